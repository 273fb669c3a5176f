//! Every bad input gets a clear GraphQL error, changes nothing, and leaves the server up.

use serde_json::{Value, json};

use crate::helpers::{TestApp, codes};

/// After a bad request: nothing was written, and the server still answers.
async fn assert_unchanged_and_alive(app: &TestApp, rows: i64) {
    assert_eq!(app.count().await, rows, "a bad request changed the table");
    assert_eq!(
        app.data("{ dummiesCount }", json!({})).await["dummiesCount"],
        rows
    );
}

/// A document the engine refuses before running it: `400` with the spec's media
/// type, no `data`, and a message that says what is wrong.
async fn refused(app: &TestApp, query: &str, variables: Value, says: &str) {
    let (status, body) = app.post(query, variables).await;
    assert_eq!(status, 400, "{query}: {body}");
    assert!(
        body.get("data").is_none(),
        "a request error has no data: {body}"
    );
    let message = body["errors"][0]["message"].as_str().unwrap_or_default();
    assert!(
        message.contains(says),
        "{query}: expected {says:?} in {body}"
    );
}

async fn syntax_unknown_fields_and_wrong_types_are_request_errors(app: TestApp) {
    app.create(1).await;
    refused(&app, "{ dummiesCount", json!({}), "expected").await;
    refused(
        &app,
        "{ dummies { nope } }",
        json!({}),
        "Unknown field \"nope\"",
    )
    .await;
    refused(
        &app,
        "query($id: ID!) { dummy(id: $id) { id } }",
        json!({"id": {"not": "an id"}}),
        "Invalid value for argument",
    )
    .await;
    refused(
        &app,
        "mutation { createDummy(input: {day: \"two\", weekday: TUESDAY, month: MAY, year: 1}) { id } }",
        json!({}),
        "Invalid value for argument",
    )
    .await;
    refused(
        &app,
        "mutation { createDummy(input: {day: 2, weekday: FUNDAY, month: MAY, year: 1}) { id } }",
        json!({}),
        "FUNDAY",
    )
    .await;
    refused(
        &app,
        "mutation { createDummy(input: {day: 2, month: MAY, year: 1}) { id } }",
        json!({}),
        "weekday",
    )
    .await;
    assert_unchanged_and_alive(&app, 1).await;
}

/// What the types allow but the model does not: `INVALID`, naming the field, with
/// the very messages REST gives; one error per broken field.
async fn broken_fields_get_rest_messages(app: TestApp) {
    let cases = [
        (
            "day: 0, year: 1",
            vec![("day", "Ensure this value is greater than or equal to 1.")],
        ),
        (
            "day: 32, year: 1",
            vec![("day", "Ensure this value is less than or equal to 31.")],
        ),
    ];
    for (fields, expected) in cases {
        let query = format!(
            "mutation {{ createDummy(input: {{{fields}, weekday: MONDAY, month: MAY}}) {{ id }} }}"
        );
        let (status, body) = app.post(&query, json!({})).await;
        assert_eq!(status, 200, "field errors are not request errors: {body}");
        assert_eq!(body["data"], Value::Null);
        let errors = body["errors"].as_array().unwrap();
        assert_eq!(errors.len(), expected.len(), "{body}");
        for (error, (field, message)) in errors.iter().zip(expected) {
            assert_eq!(error["extensions"]["code"], "INVALID");
            assert_eq!(error["extensions"]["field"], field);
            assert_eq!(error["extensions"]["messages"], json!([message]));
            assert_eq!(error["path"], json!(["createDummy"]));
        }
    }
    // A patch with two broken fields: two errors, each naming its field.
    let id = app.create(4).await["id"].clone();
    let (_, body) = app
        .post(
            "mutation($id: ID!) { patchDummy(id: $id, input: {day: 40, month: null}) { id } }",
            json!({"id": id}),
        )
        .await;
    let mut fields: Vec<&str> = body["errors"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["extensions"]["field"].as_str().unwrap())
        .collect();
    fields.sort_unstable();
    assert_eq!(fields, ["day", "month"], "{body}");
    assert_eq!(
        app.store
            .get(model::DummyId(id.as_str().unwrap().parse().unwrap()))
            .await
            .unwrap()
            .day
            .get(),
        4
    );
    assert_unchanged_and_alive(&app, 1).await;
}

async fn bad_ids_and_missing_rows_are_named(app: TestApp) {
    let (status, body) = app.post("{ dummy(id: \"seven\") { id } }", json!({})).await;
    assert_eq!(status, 200);
    assert_eq!(codes(&body), ["INVALID"]);
    assert_eq!(body["errors"][0]["extensions"]["field"], "id");
    assert_eq!(
        body["errors"][0]["extensions"]["messages"],
        json!(["A valid integer is required."])
    );
    for mutation in [
        "mutation { patchDummy(id: 404, input: {day: 1}) { id } }",
        "mutation { updateDummy(id: 404, input: {day: 1, weekday: MONDAY, month: MAY, year: 1}) { id } }",
        "mutation { deleteDummy(id: 404) }",
    ] {
        let (status, body) = app.post(mutation, json!({})).await;
        assert_eq!(status, 200, "{body}");
        assert_eq!(codes(&body), ["NOT_FOUND"], "{mutation}: {body}");
        assert_eq!(body["errors"][0]["message"], "Dummy 404 not found");
    }
    let (_, body) = app
        .post("{ dummies(first: 0) { edges { cursor } } }", json!({}))
        .await;
    assert_eq!(codes(&body), ["INVALID"]);
    assert_eq!(body["errors"][0]["extensions"]["field"], "first");
    assert_unchanged_and_alive(&app, 0).await;
}

test_support::tests! {
    backends(TestApp::spawn):
        syntax_unknown_fields_and_wrong_types_are_request_errors,
        broken_fields_get_rest_messages,
        bad_ids_and_missing_rows_are_named;
}
