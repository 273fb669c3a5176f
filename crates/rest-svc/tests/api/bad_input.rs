//! Every bad input gets a clear JSON error, changes nothing, and leaves the server up.

use reqwest::multipart::Form;
use serde_json::{Value, json};

use crate::helpers::{BODY_LIMIT, TestApp, expect_json};

/// After a bad request: nothing was written, and the server still serves.
async fn assert_unchanged_and_alive(app: &TestApp, rows: i64) {
    assert_eq!(app.count().await, rows, "a bad request changed the table");
    let response = app
        .client
        .get(app.url("/api/rest/dummies"))
        .send()
        .await
        .unwrap();
    assert_eq!(
        response.status(),
        200,
        "server stopped answering after a bad request"
    );
}

async fn post_json(app: &TestApp, body: Value) -> reqwest::Response {
    app.client
        .post(app.url("/api/rest/dummie"))
        .json(&body)
        .send()
        .await
        .unwrap()
}

async fn field_errors_name_each_broken_field(app: TestApp) {
    let cases = [
        (
            json!({"day": 2, "weekday": "Mon", "month": "February", "year": 1985}),
            json!({"weekday": ["\"Mon\" is not a valid choice."]}),
        ),
        (
            json!({"day": 0, "weekday": "Monday", "month": "February", "year": 1985}),
            json!({"day": ["Ensure this value is greater than or equal to 1."]}),
        ),
        (
            json!({"day": 32, "weekday": "Monday", "month": "February", "year": 1985}),
            json!({"day": ["Ensure this value is less than or equal to 31."]}),
        ),
        (
            json!({"day": 2, "weekday": "Monday", "month": "Smarch", "year": 1985}),
            json!({"month": ["\"Smarch\" is not a valid choice."]}),
        ),
        (
            json!({"day": 2, "weekday": "Monday", "month": "May", "year": "nineteen"}),
            json!({"year": ["A valid integer is required."]}),
        ),
        (
            json!({"day": 2.5, "weekday": "Monday", "month": "May", "year": 1985}),
            json!({"day": ["A valid integer is required."]}),
        ),
        (
            json!({"day": null, "weekday": "Monday", "month": "May", "year": 1985}),
            json!({"day": ["This field may not be null."]}),
        ),
        (
            json!({"day": 2, "weekday": "Monday", "month": "May", "year": 9_999_999_999_i64}),
            json!({"year": ["Ensure this value is less than or equal to 2147483647."]}),
        ),
        (
            json!({"weekday": "Monday"}),
            json!({"day": ["This field is required."], "month": ["This field is required."], "year": ["This field is required."]}),
        ),
    ];
    for (body, expected) in cases {
        let errors = expect_json(post_json(&app, body.clone()).await, 400).await;
        assert_eq!(errors, expected, "for {body}");
    }
    assert_unchanged_and_alive(&app, 0).await;
}

async fn form_fields_get_the_same_errors_as_json(app: TestApp) {
    let form = Form::new()
        .text("day", "32")
        .text("weekday", "Funday")
        .text("year", "x");
    let errors = expect_json(
        app.client
            .post(app.url("/api/rest/dummie"))
            .multipart(form)
            .send()
            .await
            .unwrap(),
        400,
    )
    .await;
    assert_eq!(
        errors,
        json!({
            "day": ["Ensure this value is less than or equal to 31."],
            "weekday": ["\"Funday\" is not a valid choice."],
            "month": ["This field is required."],
            "year": ["A valid integer is required."],
        })
    );
    assert_unchanged_and_alive(&app, 0).await;
}

async fn put_requires_every_field_and_changes_nothing_when_refused(app: TestApp) {
    let created = app.create(TestApp::sample()).await;
    let path = app.url(&format!("/api/rest/dummie/{}", created["id"]));
    let errors = expect_json(
        app.client
            .put(&path)
            .json(&json!({"year": 1990}))
            .send()
            .await
            .unwrap(),
        400,
    )
    .await;
    assert_eq!(
        errors,
        json!({"day": ["This field is required."], "weekday": ["This field is required."], "month": ["This field is required."]})
    );
    let errors = expect_json(
        app.client
            .patch(&path)
            .json(&json!({"day": 40}))
            .send()
            .await
            .unwrap(),
        400,
    )
    .await;
    assert_eq!(
        errors,
        json!({"day": ["Ensure this value is less than or equal to 31."]})
    );
    let after = expect_json(app.client.get(&path).send().await.unwrap(), 200).await;
    assert_eq!(after, created, "a refused update changed the record");
}

async fn malformed_json_is_a_400_with_detail(app: TestApp) {
    let response = app
        .client
        .post(app.url("/api/rest/dummie"))
        .header("content-type", "application/json")
        .body(r#"{"day": 2, "weekday": "#)
        .send()
        .await
        .unwrap();
    let body = expect_json(response, 400).await;
    assert!(
        body["detail"]
            .as_str()
            .unwrap()
            .starts_with("JSON parse error - "),
        "{body}"
    );

    let body = expect_json(post_json(&app, json!([1, 2, 3])).await, 400).await;
    assert_eq!(
        body,
        json!({"non_field_errors": ["Invalid data. Expected a dictionary, but got list."]})
    );

    let deep = format!("{}{}", "[".repeat(100_000), "]".repeat(100_000));
    let response = app
        .client
        .post(app.url("/api/rest/dummie"))
        .header("content-type", "application/json")
        .body(deep)
        .send()
        .await
        .unwrap();
    // Over the body limit, so refused before parsing; either way never a 500.
    assert_eq!(response.status(), 413);
    assert_unchanged_and_alive(&app, 0).await;
}

async fn deeply_nested_json_under_the_limit_is_a_400(app: TestApp) {
    let deep = format!("{}{}", "[".repeat(10_000), "]".repeat(10_000));
    let response = app
        .client
        .post(app.url("/api/rest/dummie"))
        .header("content-type", "application/json")
        .body(deep)
        .send()
        .await
        .unwrap();
    let body = expect_json(response, 400).await;
    assert!(
        body["detail"].as_str().unwrap().contains("recursion limit"),
        "{body}"
    );
    assert_unchanged_and_alive(&app, 0).await;
}

async fn unsupported_content_type_is_a_415(app: TestApp) {
    let response = app
        .client
        .post(app.url("/api/rest/dummie"))
        .header("content-type", "text/plain")
        .body("day=1")
        .send()
        .await
        .unwrap();
    let body = expect_json(response, 415).await;
    assert_eq!(
        body,
        json!({"detail": "Unsupported media type \"text/plain\" in request."})
    );
    assert_unchanged_and_alive(&app, 0).await;
}

async fn a_body_over_the_limit_is_a_413(app: TestApp) {
    let mut body = TestApp::sample();
    body["padding"] = json!("x".repeat(BODY_LIMIT));
    let response = post_json(&app, body).await;
    assert_eq!(
        response.headers()["connection"],
        "close",
        "an unread body ends the connection"
    );
    assert_eq!(
        expect_json(response, 413).await,
        json!({"detail": "Request body is larger than 65536 bytes."})
    );

    let form = Form::new()
        .text("day", "1")
        .text("padding", "y".repeat(BODY_LIMIT + 1));
    let response = app
        .client
        .post(app.url("/api/rest/dummie"))
        .multipart(form)
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 413);
    assert_unchanged_and_alive(&app, 0).await;
}

/// A client that writes the whole body before it reads (Python's urllib, requests)
/// still reads the 413 and its JSON: the server discards the unread body first.
async fn a_client_that_writes_all_16_mb_first_reads_the_413(app: TestApp) {
    let (status, body) = test_support::post_whole_body_then_read(
        app.addr,
        "/api/rest/dummie",
        "application/json",
        16 * 1024 * 1024,
    )
    .await;
    assert_eq!(status, 413, "{body}");
    assert_eq!(
        serde_json::from_str::<Value>(&body).unwrap(),
        json!({"detail": "Request body is larger than 65536 bytes."})
    );
    assert_unchanged_and_alive(&app, 0).await;
}

async fn a_broken_multipart_body_is_a_400(app: TestApp) {
    let response = app
        .client
        .post(app.url("/api/rest/dummie"))
        .header("content-type", "multipart/form-data; boundary=xyz")
        .body("--xyz\r\nContent-Disposition: form-data; name=\"day\"\r\n\r\n1\r\n")
        .send()
        .await
        .unwrap();
    let body = expect_json(response, 400).await;
    assert!(
        body["detail"]
            .as_str()
            .unwrap()
            .starts_with("Multipart form parse error"),
        "{body}"
    );
    assert_unchanged_and_alive(&app, 0).await;
}

async fn ids_that_are_not_numbers_or_do_not_exist_are_404(app: TestApp) {
    app.create(TestApp::sample()).await;
    for id in ["abc", "-1", "1.5", "99999999999999999999999", "424242"] {
        let path = app.url(&format!("/api/rest/dummie/{id}"));
        for request in [
            app.client.get(&path),
            app.client.put(&path).json(&TestApp::sample()),
            app.client.patch(&path).json(&json!({"day": 1})),
            app.client.delete(&path),
        ] {
            let body = expect_json(request.send().await.unwrap(), 404).await;
            assert_eq!(body, json!({"detail": "Not found."}), "for id {id}");
        }
    }
    assert_unchanged_and_alive(&app, 1).await;
}

async fn unknown_routes_are_404_and_wrong_methods_are_405(app: TestApp) {
    let body = expect_json(
        app.client
            .get(app.url("/api/rest/nothing"))
            .send()
            .await
            .unwrap(),
        404,
    )
    .await;
    assert_eq!(body, json!({"detail": "Not found."}));
    let body = expect_json(
        app.client
            .get(app.url("/api/rest/dummies/"))
            .send()
            .await
            .unwrap(),
        404,
    )
    .await;
    assert_eq!(body, json!({"detail": "Not found."}));

    let response = app
        .client
        .get(app.url("/api/rest/dummie"))
        .send()
        .await
        .unwrap();
    assert_eq!(response.headers()["allow"], "POST");
    assert_eq!(
        expect_json(response, 405).await,
        json!({"detail": "Method \"GET\" not allowed."})
    );

    let response = app
        .client
        .post(app.url("/api/rest/dummie/1"))
        .send()
        .await
        .unwrap();
    assert_eq!(response.headers()["allow"], "GET, HEAD, PUT, PATCH, DELETE");
    assert_eq!(
        expect_json(response, 405).await,
        json!({"detail": "Method \"POST\" not allowed."})
    );

    // The original wiped the whole table on DELETE /dummies; here it is refused.
    app.create(TestApp::sample()).await;
    let response = app
        .client
        .delete(app.url("/api/rest/dummies"))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 405);
    assert_unchanged_and_alive(&app, 1).await;
}

async fn a_post_without_a_body_reports_the_required_fields(app: TestApp) {
    let body = expect_json(
        app.client
            .post(app.url("/api/rest/dummie"))
            .send()
            .await
            .unwrap(),
        400,
    )
    .await;
    assert_eq!(body.as_object().unwrap().len(), 4, "{body}");
    assert_eq!(body["day"], json!(["This field is required."]));
    assert_unchanged_and_alive(&app, 0).await;
}

test_support::tests! {
    backends(crate::helpers::TestApp::spawn):
        field_errors_name_each_broken_field,
        form_fields_get_the_same_errors_as_json,
        put_requires_every_field_and_changes_nothing_when_refused,
        malformed_json_is_a_400_with_detail,
        deeply_nested_json_under_the_limit_is_a_400,
        unsupported_content_type_is_a_415,
        a_body_over_the_limit_is_a_413,
        a_client_that_writes_all_16_mb_first_reads_the_413,
        a_broken_multipart_body_is_a_400,
        ids_that_are_not_numbers_or_do_not_exist_are_404,
        unknown_routes_are_404_and_wrong_methods_are_405,
        a_post_without_a_body_reports_the_required_fields;
}
