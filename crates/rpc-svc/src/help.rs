//! The plain-text guide each endpoint answers to `GET`, instead of a bare 405: how to
//! call it, and every procedure it offers with its parameters.

use std::fmt::Write;

use crate::methods::{Envelope, Method};

/// The plain-text guide served on `GET`.
pub fn help_text(envelope: Envelope) -> String {
    let mut text = String::new();
    let (name, path, example) = match envelope {
        Envelope::Json => (
            "JSON-RPC 2.0",
            "/api/rpc/json",
            r#"curl -s localhost:8080/api/rpc/json -H 'Content-Type: application/json' -d '{"jsonrpc":"2.0","method":"add","params":[2,3],"id":1}'"#,
        ),
        Envelope::Xml => (
            "XML-RPC",
            "/api/rpc/xml",
            r#"curl -s localhost:8080/api/rpc/xml -H 'Content-Type: text/xml' -d '<methodCall><methodName>add</methodName><params><param><value><int>2</int></value></param><param><value><int>3</int></value></param></params></methodCall>'"#,
        ),
    };
    let _ = writeln!(
        text,
        "{name} endpoint. POST a request to {path}, for example:\n\n  {example}\n"
    );
    let _ = writeln!(text, "Procedures:");
    for method in Method::ALL.iter().filter(|m| m.offered_on(envelope)) {
        let params: Vec<String> = method
            .params()
            .iter()
            .map(|p| {
                if p.optional {
                    format!("[{}]", p.name)
                } else {
                    p.name.to_owned()
                }
            })
            .collect();
        let _ = writeln!(
            text,
            "  {}({}) -> {}\n      {}",
            method.name(),
            params.join(", "),
            method.returns(),
            method.help()
        );
    }
    let _ = writeln!(
        text,
        "\nErrors: -32700 parse error, -32600 invalid request, -32601 no such procedure, -32602 params do not fit, \
         -32603 internal; 1 not found, 2 invalid Dummy (per-field messages), 3 conflict, 4 database unavailable."
    );
    text
}
