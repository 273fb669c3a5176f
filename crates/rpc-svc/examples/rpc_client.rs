//! The original project's client script, in Rust: calls `add`, `upper`, `reverse` and
//! `swap` over XML-RPC and over JSON-RPC and prints each call and its result.
//!
//! ```text
//! cargo run -p protocols -- serve                 # in one terminal
//! cargo run -p rpc-svc --example rpc_client       # in another
//! cargo run -p rpc-svc --example rpc_client -- http://localhost:8002
//! ```
//!
//! Each request is written by the project's clients (`clients::wire`: the XML with
//! `dxr`, the same crate the server uses, the JSON with `serde_json`), printed, and
//! sent with `reqwest`.

use std::collections::BTreeMap;

use clients::wire::{jsonrpc, xmlrpc};
use dxr::{MethodResponse, Value};
use serde_json::json;

#[tokio::main(flavor = "current_thread")]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    let base = std::env::args()
        .nth(1)
        .unwrap_or_else(|| "http://localhost:8080".to_owned());
    let client = reqwest::Client::new();
    let swap_arg: BTreeMap<String, Value> =
        [("left".to_owned(), Value::String("right".into()))].into();
    let calls: Vec<(&str, Vec<Value>, serde_json::Value)> = vec![
        (
            "add",
            vec![Value::Integer(2), Value::Integer(3)],
            json!([2, 3]),
        ),
        (
            "upper",
            vec![Value::String("hello".into())],
            json!(["hello"]),
        ),
        (
            "reverse",
            vec![Value::String("live".into())],
            json!(["live"]),
        ),
        (
            "swap",
            vec![Value::Struct(swap_arg)],
            json!([{"left": "right"}]),
        ),
    ];

    println!("XML-RPC  {base}/api/rpc/xml");
    for (method, params, _) in &calls {
        let call = xmlrpc::call(method, params.clone());
        println!("  -> {}", String::from_utf8_lossy(&call.body));
        let text = call.on(&client, &base).send().await?.text().await?;
        match MethodResponse::from_xml(&text) {
            Ok(response) => println!(
                "  {method}({}) = {}",
                show(params),
                display(&response.value)
            ),
            Err(_) => println!("  {method}({}) failed: {text}", show(params)),
        }
    }

    println!("JSON-RPC {base}/api/rpc/json");
    for (method, _, params) in &calls {
        let call = jsonrpc::call(method, params);
        println!("  -> {}", String::from_utf8_lossy(&call.body));
        let response: serde_json::Value = call.on(&client, &base).send().await?.json().await?;
        match response.get("result") {
            Some(result) => println!("  {method}({params}) = {result}"),
            None => println!("  {method}({params}) failed: {}", response["error"]),
        }
    }
    Ok(())
}

fn show(params: &[Value]) -> String {
    params.iter().map(display).collect::<Vec<_>>().join(", ")
}

/// An XML-RPC value written the way Python prints it.
fn display(value: &Value) -> String {
    match value {
        Value::Integer(i) => i.to_string(),
        Value::Long(i) => i.to_string(),
        Value::Double(f) => f.to_string(),
        Value::Boolean(b) => if *b { "True" } else { "False" }.to_owned(),
        Value::String(s) => format!("'{s}'"),
        Value::Struct(members) => {
            let members: Vec<String> = members
                .iter()
                .map(|(k, v)| format!("'{k}': {}", display(v)))
                .collect();
            format!("{{{}}}", members.join(", "))
        }
        Value::Array(items) => format!("[{}]", show(items)),
        other => format!("{other:?}"),
    }
}
