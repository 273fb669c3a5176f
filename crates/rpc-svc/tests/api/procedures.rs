//! The toy procedures and introspection, over both envelopes.

use serde_json::json;

use crate::helpers::TestApp;

async fn add_keeps_integers_and_promotes_doubles() {
    let app = TestApp::sqlite().await;
    assert_eq!(app.json_ok("add", json!([2, 3])).await, json!(5));
    assert_eq!(app.json_ok("add", json!({"a": 2, "b": 3})).await, json!(5));
    assert_eq!(app.json_ok("add", json!([2, 0.5])).await, json!(2.5));
    assert_eq!(
        app.json_ok("add", json!([-7_000_000_000_i64, 1])).await,
        json!(-6_999_999_999_i64)
    );

    let xml = app.xml_call("add", &["<int>2</int>", "<i4>3</i4>"]).await;
    assert!(xml.contains("<value><i4>5</i4></value>"), "{xml}");
    let xml = app
        .xml_call("add", &["<double>1.25</double>", "<int>1</int>"])
        .await;
    assert!(xml.contains("<double>2.25</double>"), "{xml}");
}

async fn strings_are_upper_cased_and_reversed_by_character() {
    let app = TestApp::sqlite().await;
    assert_eq!(app.json_ok("upper", json!(["hello"])).await, json!("HELLO"));
    assert_eq!(app.json_ok("reverse", json!(["live"])).await, json!("evil"));
    assert_eq!(
        app.json_ok("reverse", json!({"msg": "añb 😀!"})).await,
        json!("!😀 bña")
    );
    // An untyped XML-RPC value is a string.
    let xml = app.xml_call("upper", &["straße"]).await;
    assert!(xml.contains("<string>STRASSE</string>"), "{xml}");
    let xml = app.xml_call("reverse", &["<string>a&amp;b</string>"]).await;
    assert!(xml.contains("<string>b&amp;a</string>"), "{xml}");
}

async fn swap_exchanges_keys_and_values() {
    let app = TestApp::sqlite().await;
    assert_eq!(
        app.json_ok("swap", json!([{"left": "right"}])).await,
        json!({"right": "left"})
    );
    let xml = app
        .xml_call("swap", &["<struct><member><name>left</name><value><string>right</string></value></member></struct>"])
        .await;
    assert!(
        xml.contains("<name>right</name><value><string>left</string></value>"),
        "{xml}"
    );
}

async fn introspection_lists_documents_and_signs_every_procedure() {
    let app = TestApp::sqlite().await;
    let names = app.json_ok("system.listMethods", json!([])).await;
    let names: Vec<&str> = names
        .as_array()
        .unwrap()
        .iter()
        .map(|n| n.as_str().unwrap())
        .collect();
    for expected in [
        "add",
        "upper",
        "reverse",
        "swap",
        "dummies.list",
        "dummies.get",
        "dummies.create",
        "dummies.update",
        "dummies.patch",
        "dummies.delete",
        "dummies.count",
        "system.listMethods",
        "system.methodHelp",
        "system.methodSignature",
    ] {
        assert!(
            names.contains(&expected),
            "{expected} missing from {names:?}"
        );
    }
    assert!(
        !names.contains(&"system.multicall"),
        "JSON-RPC has batches instead"
    );
    for name in &names {
        let help = app.json_ok("system.methodHelp", json!([name])).await;
        assert!(!help.as_str().unwrap().is_empty(), "{name} has no help");
        let signatures = app.json_ok("system.methodSignature", json!([name])).await;
        assert!(
            !signatures.as_array().unwrap().is_empty(),
            "{name} has no signature"
        );
    }
    assert_eq!(
        app.json_ok("system.methodSignature", json!(["add"])).await,
        json!([["int", "int", "int"]])
    );

    let xml = app.xml_call("system.listMethods", &[]).await;
    assert!(xml.contains("<string>system.multicall</string>"), "{xml}");
}

async fn get_on_either_endpoint_explains_how_to_call_it() {
    let app = TestApp::sqlite().await;
    for (path, mentions) in [
        ("/api/rpc/json", "\"jsonrpc\":\"2.0\""),
        ("/api/rpc/xml", "<methodCall>"),
    ] {
        let response = app.client.get(app.url(path)).send().await.unwrap();
        assert_eq!(response.status(), 200);
        let text = response.text().await.unwrap();
        assert!(
            text.contains(mentions) && text.contains("dummies.create"),
            "{text}"
        );
    }
}

test_support::tests! {
    tokio:
        add_keeps_integers_and_promotes_doubles,
        strings_are_upper_cased_and_reversed_by_character,
        swap_exchanges_keys_and_values,
        introspection_lists_documents_and_signs_every_procedure,
        get_on_either_endpoint_explains_how_to_call_it;
}
