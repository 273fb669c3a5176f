//! The OpenAPI document says exactly what the server does. Each request here goes to the
//! server, and the same body, query or answer is checked against the document by Python's
//! `jsonschema` (Draft 4, which OpenAPI 3.0's schemas build on: a validator nobody here
//! wrote); the two verdicts must agree.
//!
//! These are the regression tests for what schemathesis found; `scripts/schemathesis.sh`
//! runs schemathesis itself, with every check and phase.

use std::io::Write;
use std::process::{Command, Stdio};

use serde_json::{Value, json};

use crate::helpers::{TestApp, expect_json};

/// Validates each `(schema, instance)` pair; `$ref`s resolve in the document's components.
const VALIDATE: &str = r#"
import json, sys, jsonschema
given = json.load(sys.stdin)
print(json.dumps([
    jsonschema.Draft4Validator(dict(schema, components=given["components"])).is_valid(instance)
    for schema, instance in given["cases"]
]))
"#;

/// What the document allows, one verdict per `(schema, instance)` pair.
fn document_allows(spec: &Value, cases: &[(Value, Value)]) -> Vec<bool> {
    test_support::require_python(
        "jsonschema",
        "it checks values against the OpenAPI document",
    );
    let mut python = Command::new("python3")
        .args(["-c", VALIDATE])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .spawn()
        .expect("python3 starts");
    let input = json!({"components": spec["components"], "cases": cases});
    python
        .stdin
        .take()
        .unwrap()
        .write_all(input.to_string().as_bytes())
        .unwrap();
    let output = python.wait_with_output().unwrap();
    assert!(output.status.success(), "the validator failed");
    serde_json::from_slice(&output.stdout).expect("one verdict per case")
}

async fn spec(app: &TestApp) -> Value {
    let response = app.client.get(app.url("/api/rest/openapi.json"));
    expect_json(response.send().await.unwrap(), 200).await
}

/// The JSON request body schema of an operation, with its read-only properties: an
/// update ignores those (OpenAPI: they "SHOULD NOT be sent"), so they are not judged.
fn body_schema(spec: &Value, path: &str, method: &str) -> (Value, Vec<String>) {
    let schema =
        spec["paths"][path][method]["requestBody"]["content"]["application/json"]["schema"].clone();
    let name = schema["$ref"].as_str().unwrap().rsplit('/').next().unwrap();
    let properties = spec["components"]["schemas"][name]["properties"]
        .as_object()
        .unwrap();
    let read_only = properties
        .iter()
        .filter(|(_, property)| property["readOnly"] == true)
        .map(|(key, _)| key.clone())
        .collect();
    (schema, read_only)
}

/// Asserts that the server accepted (2xx) exactly the cases the document allows.
fn assert_verdicts_agree(spec: &Value, cases: Vec<(String, u16, Value, Value)>) {
    let pairs: Vec<(Value, Value)> = cases
        .iter()
        .map(|(_, _, schema, instance)| (schema.clone(), instance.clone()))
        .collect();
    let allowed = document_allows(spec, &pairs);
    let disagreements: Vec<String> = cases
        .iter()
        .zip(allowed)
        .filter(|((_, status, _, _), allowed)| (200..300).contains(status) != *allowed)
        .map(|((request, status, _, _), allowed)| {
            format!("{request}: the server answered {status}, the document allows it: {allowed}")
        })
        .collect();
    assert!(disagreements.is_empty(), "{disagreements:#?}");
}

/// Bodies with loosely typed fields (numbers as text, booleans as words), read-only
/// fields on updates, and broken fields: accepted exactly when the document allows them.
async fn write_bodies_are_accepted_exactly_when_the_document_allows_them(app: TestApp) {
    let spec = spec(&app).await;
    let id = app.create(TestApp::sample()).await["id"].clone();
    let wide = "\u{3000}".to_owned() + &"0".repeat(998);
    let with = |key: &str, value: Value| {
        let mut body = TestApp::sample();
        body[key] = value;
        body
    };
    let mut requests = Vec::new();
    for value in [
        json!(true),
        json!(0),
        json!(1),
        json!("yes"),
        json!(" Off\t"),
        json!("\u{3000}on"),
        json!(2),
        json!("maybe"),
        json!("tRue"),
        json!(null),
        json!({}),
    ] {
        requests.push(("post", "/api/rest/dummie", with("pre_seeded", value)));
    }
    for value in [
        json!("1985"),
        json!(" +01985.00 "),
        json!("-2147483648"),
        json!(-2147483648_i64),
        json!(2147483647),
        json!(format!("{wide}7")),
        json!("2147483648"),
        json!(2147483648_i64),
        json!("1985.5"),
        json!(""),
        json!("\u{661}\u{669}\u{668}\u{665}"),
        json!(format!("{wide}07")),
    ] {
        requests.push(("post", "/api/rest/dummies", with("year", value)));
    }
    for value in [json!("31"), json!(31), json!("32"), json!("0"), json!(1.5)] {
        requests.push(("post", "/api/rest/dummie", with("day", value)));
    }
    requests.push(("post", "/api/rest/dummie", with("colour", json!("red"))));
    requests.push(("post", "/api/rest/dummie", with("weekday", json!("Mon"))));
    requests.push(("post", "/api/rest/dummie", json!({"day": 1, "year": 1})));
    let item = format!("/api/rest/dummie/{id}");
    for value in [json!({}), json!("maybe"), json!(false)] {
        requests.push(("put", &item, with("pre_seeded", value)));
    }
    requests.push(("put", &item, json!({"day": 1, "weekday": "Monday"})));
    for body in [
        json!({}),
        json!({"pre_seeded": []}),
        json!({"year": "1984"}),
        json!({"day": 32}),
    ] {
        requests.push(("patch", &item, body));
    }

    let mut cases = Vec::new();
    for (method, path, body) in requests {
        let response = app
            .client
            .request(method.to_uppercase().parse().unwrap(), app.url(path))
            .json(&body)
            .send()
            .await
            .unwrap();
        let status = response.status().as_u16();
        let (schema, read_only) =
            body_schema(&spec, &path.replace(&id.to_string(), "{id}"), method);
        let mut judged = body.clone();
        for key in read_only {
            judged.as_object_mut().unwrap().remove(&key);
        }
        cases.push((format!("{method} {path} {body}"), status, schema, judged));
    }
    assert_verdicts_agree(&spec, cases);
}

/// The list's query parameters are plain integers within the documented bounds.
async fn query_parameters_are_accepted_exactly_when_the_document_allows_them(app: TestApp) {
    let spec = spec(&app).await;
    app.create(TestApp::sample()).await;
    let parameters = spec["paths"]["/api/rest/dummies"]["get"]["parameters"]
        .as_array()
        .unwrap();
    let mut cases = Vec::new();
    for query in [
        "limit=1",
        "limit=10000",
        "limit=0",
        "limit=10001",
        "limit=-9223372036854775808",
        "offset=0",
        "offset=-1",
        "after=-5",
        "after=0.0",
        "after=1e3",
        "id=1&id=2",
        "id=1.0",
        "id=x",
    ] {
        let status = app
            .client
            .get(app.url(&format!("/api/rest/dummies?{query}")))
            .send()
            .await
            .unwrap()
            .status()
            .as_u16();
        // Each value as schemathesis sends it: JSON's spelling of the number (or the text).
        let mut values = serde_json::Map::new();
        for pair in query.split('&') {
            let (key, text) = pair.split_once('=').unwrap();
            let value = serde_json::from_str(text).unwrap_or_else(|_| json!(text));
            // `id` is an array, sent as the parameter repeated.
            let empty = if key == "id" { json!([]) } else { Value::Null };
            match values.entry(key).or_insert(empty) {
                Value::Array(items) => items.push(value),
                slot => *slot = value,
            }
        }
        for (key, value) in values {
            let parameter = parameters
                .iter()
                .find(|p| p["name"] == key.as_str())
                .unwrap();
            cases.push((
                format!("GET ?{query}"),
                status,
                parameter["schema"].clone(),
                value,
            ));
        }
    }
    assert_verdicts_agree(&spec, cases);
}

/// Every 400, whatever caused it, has a body the document describes for that operation:
/// field errors, or `{"detail": …}` for a body that does not parse.
async fn every_400_answer_matches_the_schema_the_document_gives_for_it(app: TestApp) {
    let spec = spec(&app).await;
    let id = app.create(TestApp::sample()).await["id"].clone();
    let item = format!("/api/rest/dummie/{id}");
    let json_body = |body: &str| ("application/json", body.to_owned());
    let requests = [
        (
            "post",
            "/api/rest/dummie".to_owned(),
            Some(json_body("{\"day\":")),
        ),
        (
            "post",
            "/api/rest/dummies".to_owned(),
            Some(json_body("\u{0}")),
        ),
        (
            "post",
            "/api/rest/dummie".to_owned(),
            Some(json_body("[1]")),
        ),
        (
            "post",
            "/api/rest/dummie".to_owned(),
            Some(json_body("{\"day\":0}")),
        ),
        ("post", "/api/rest/dummie".to_owned(), None),
        ("put", item.clone(), Some(json_body(""))),
        ("put", item.clone(), None),
        (
            "patch",
            item.clone(),
            Some((
                "multipart/form-data; boundary=b",
                "--b\r\n1e-119--b--\r\n".to_owned(),
            )),
        ),
        ("patch", item.clone(), None),
        ("get", "/api/rest/dummies?limit=0".to_owned(), None),
        ("get", "/api/rest/dummies?id=x".to_owned(), None),
    ];
    let mut cases = Vec::new();
    for (method, path, body) in requests {
        let mut request = app
            .client
            .request(method.to_uppercase().parse().unwrap(), app.url(&path));
        if let Some((content_type, body)) = body {
            request = request.header("content-type", content_type).body(body);
        }
        let answer = expect_json(request.send().await.unwrap(), 400).await;
        let route = path
            .split('?')
            .next()
            .unwrap()
            .replace(&id.to_string(), "{id}");
        let schema = spec["paths"][route.as_str()][method]["responses"]["400"]["content"]
            ["application/json"]["schema"]
            .clone();
        assert!(schema.is_object(), "{method} {route} documents no 400");
        cases.push((format!("{method} {path}: {answer}"), schema, answer));
    }
    let pairs: Vec<(Value, Value)> = cases
        .iter()
        .map(|(_, schema, answer)| (schema.clone(), answer.clone()))
        .collect();
    let undocumented: Vec<&String> = cases
        .iter()
        .zip(document_allows(&spec, &pairs))
        .filter(|(_, allowed)| !allowed)
        .map(|((request, _, _), _)| request)
        .collect();
    assert!(
        undocumented.is_empty(),
        "400s the document does not describe: {undocumented:#?}"
    );
}

/// A part name may hold any character but `"`, CR and LF (browsers, curl and urllib3
/// escape those): unknown names are ignored, whatever they hold, not a parse error.
async fn multipart_parts_with_unusual_names_are_ignored(app: TestApp) {
    let mut body = Vec::new();
    for (name, value) in [
        ("\u{b}\u{1b}\u{7f}\u{0}", "{}"),
        ("", "x"),
        ("back\\", "x"),
        ("semi;colon", "x"),
        ("\u{a5}\u{83}\u{f3}", "x"),
        ("day", "3"),
        ("weekday", "Wednesday"),
        ("month", "March"),
        ("year", "1986"),
    ] {
        body.extend_from_slice(b"--XyZ\r\nContent-Disposition: form-data; name=\"");
        body.extend_from_slice(name.as_bytes());
        body.extend_from_slice(b"\"\r\n\r\n");
        body.extend_from_slice(value.as_bytes());
        body.extend_from_slice(b"\r\n");
    }
    body.extend_from_slice(b"--XyZ--\r\n");
    let created = expect_json(
        app.client
            .post(app.url("/api/rest/dummie"))
            .header("content-type", "multipart/form-data; boundary=XyZ")
            .body(body)
            .send()
            .await
            .unwrap(),
        201,
    )
    .await;
    assert_eq!(
        (&created["day"], &created["weekday"], &created["year"]),
        (&json!(3), &json!("Wednesday"), &json!(1986))
    );
    assert_eq!(app.count().await, 1);
}

/// A PATCH must say what it changes: no body at all is a 400 that changes nothing, while
/// `{}` is an explicit "nothing". POST and PUT without a body report their fields.
async fn a_write_without_a_body_is_refused_and_changes_nothing(app: TestApp) {
    let created = app.create(TestApp::sample()).await;
    let item = app.url(&format!("/api/rest/dummie/{}", created["id"]));
    let refused = expect_json(app.client.patch(&item).send().await.unwrap(), 400).await;
    assert_eq!(
        refused,
        json!({"non_field_errors": [rest_svc::routes::dummies::NO_DATA]})
    );
    for request in [
        app.client.put(&item),
        app.client.post(app.url("/api/rest/dummies")),
    ] {
        let refused = expect_json(request.send().await.unwrap(), 400).await;
        assert_eq!(
            refused["year"],
            json!(["This field is required."]),
            "{refused}"
        );
    }
    let read = expect_json(app.client.get(&item).send().await.unwrap(), 200).await;
    assert_eq!(read, created);
    assert_eq!(app.count().await, 1);
}

/// The model caps numeric text at 1000 characters, as the document's `maxLength` says:
/// characters, not bytes, so wide spaces around a number do not count double.
async fn numeric_text_is_limited_in_characters_not_bytes(app: TestApp) {
    let padded = "\u{3000}".repeat(10) + &"0".repeat(989) + "7";
    assert_eq!(padded.chars().count(), 1000);
    let mut body = TestApp::sample();
    body["year"] = json!(padded);
    assert_eq!(app.create(body.clone()).await["year"], 7);
    body["year"] = json!(format!("0{padded}"));
    let refused = expect_json(
        app.client
            .post(app.url("/api/rest/dummie"))
            .json(&body)
            .send()
            .await
            .unwrap(),
        400,
    )
    .await;
    assert_eq!(refused, json!({"year": ["String value too large."]}));
}

test_support::tests! {
    backends(crate::helpers::TestApp::spawn):
        write_bodies_are_accepted_exactly_when_the_document_allows_them,
        query_parameters_are_accepted_exactly_when_the_document_allows_them,
        every_400_answer_matches_the_schema_the_document_gives_for_it,
        multipart_parts_with_unusual_names_are_ignored,
        a_write_without_a_body_is_refused_and_changes_nothing,
        numeric_text_is_limited_in_characters_not_bytes;
}
