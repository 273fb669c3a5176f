//! The whole XML-RPC request path: an HTTP body, as `POST /api/rpc/xml` receives it,
//! through `rpc_svc::xmlrpc::respond` (UTF-8 check, quick-xml well-formedness, dxr's
//! `<methodCall>` decoding, method binding, the procedures and the SQLite store) and
//! back out as XML.
//!
//! Whatever the bytes, the answer must be one well-formed `<methodResponse>`: a
//! `<params>` with one value, or a `<fault>` with `faultCode` and `faultString`.

#![no_main]

use libfuzzer_sys::fuzz_target;
use rpc_svc::error::INTERNAL_ERROR;

const PROLOG: &str = "<?xml version=\"1.0\"?>\n";

/// XML 1.0's `Char` production (section 2.2), for the characters a `&str` can hold.
fn is_xml_char(c: char) -> bool {
    matches!(c, '\t' | '\n' | '\r' | ' '..='\u{D7FF}' | '\u{E000}'..='\u{FFFD}' | '\u{10000}'..)
}

fuzz_target!(|body: &[u8]| {
    let backend = protocols_fuzz::backend();
    let xml = backend
        .runtime
        .block_on(rpc_svc::xmlrpc::respond(&backend.store, body));

    let document = xml
        .strip_prefix(PROLOG)
        .unwrap_or_else(|| panic!("no XML prolog: {xml:?}"));
    assert!(
        document.starts_with("<methodResponse>") && document.ends_with("</methodResponse>"),
        "not a <methodResponse>: {xml:?}"
    );
    // XML 1.0 forbids some characters even escaped (section 2.2): a strict client
    // (Python's expat, libxml2) rejects the whole response. A request holding one, raw
    // or as `&#1;`, once had it echoed back (tools/fuzz/regressions/xmlrpc_request).
    if let Some(bad) = document.chars().find(|&c| !is_xml_char(c)) {
        panic!("a character XML 1.0 forbids ({bad:?}) in the response: {xml:?}");
    }
    let is_value = dxr::MethodResponse::from_xml(document).is_ok();
    let fault = dxr::FaultResponse::from_xml(document).ok();
    assert!(
        is_value || fault.is_some(),
        "neither a value nor a fault: {xml:?}"
    );
    if let Some(fault) = fault {
        // Every fault is one of ours: the -32xxx protocol band or an application code.
        // -32603 means the server failed, and no input should make it fail.
        let code = fault.fault.code();
        assert!(
            (-32768..=-32000).contains(&code) || (1..=4).contains(&code),
            "fault code {code} is not in the code table: {xml:?}"
        );
        assert_ne!(
            code, INTERNAL_ERROR,
            "an internal error on bad input: {xml:?}"
        );
    }
});
