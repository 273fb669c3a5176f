//! Inputs found by `tools/fuzz/` (cargo-fuzz), kept as tests. Each one's bytes are also in
//! `tools/fuzz/regressions/<target>/`, which `scripts/fuzz.sh` replays on every run.

use crate::helpers::TestApp;

/// XML 1.0's `Char` production (section 2.2), for the characters a `&str` can hold.
fn is_xml_char(c: char) -> bool {
    matches!(c, '\t' | '\n' | '\r' | ' '..='\u{D7FF}' | '\u{E000}'..='\u{FFFD}' | '\u{10000}'..)
}

/// The response is XML a strict parser accepts, and a -32700 fault: a request holding a
/// character XML 1.0 forbids is not well-formed, so it is a parse error.
fn assert_parse_error_fault(status: u16, body: &str) {
    assert_eq!(status, 200);
    assert!(
        body.chars().all(is_xml_char),
        "a forbidden character in the response: {body:?}"
    );
    assert!(
        body.contains("<name>faultCode</name><value><i4>-32700</i4></value>"),
        "not a parse error: {body:?}"
    );
}

async fn a_nul_in_the_method_name_is_a_parse_error_not_echoed_back() {
    // tools/fuzz/regressions/xmlrpc_request/nul-in-method-name.xml
    let app = TestApp::sqlite().await;
    let (status, body) = app
        .post_xml_raw("<methodCall><methodName>\0</methodName></methodCall>")
        .await;
    assert_parse_error_fault(status, &body);
}

async fn a_reference_to_a_control_character_is_a_parse_error_not_echoed_back() {
    // tools/fuzz/regressions/xmlrpc_request/control-char-reference.xml
    let app = TestApp::sqlite().await;
    let (status, body) = app
        .post_xml_raw(
            "<methodCall><methodName>upper</methodName><params><param>\
             <value>&#1;</value></param></params></methodCall>",
        )
        .await;
    assert_parse_error_fault(status, &body);
}

test_support::tests! {
    tokio:
        a_nul_in_the_method_name_is_a_parse_error_not_echoed_back,
        a_reference_to_a_control_character_is_a_parse_error_not_echoed_back;
}
