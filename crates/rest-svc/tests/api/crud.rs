//! The CRUD story every protocol tells, plus each body encoding and each alias.

use reqwest::multipart::Form;
use serde_json::json;

use crate::helpers::{TestApp, expect_json};

async fn create_read_replace_patch_list_delete(app: TestApp) {
    // Create, as JSON, with a year as a numeric string.
    let response = app
        .client
        .post(app.url("/api/rest/dummie"))
        .json(&json!({"day": 2, "weekday": "Tuesday", "month": "February", "year": "1985"}))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 201);
    let location = response.headers()["location"].to_str().unwrap().to_owned();
    let created = expect_json(response, 201).await;
    let id = created["id"].as_i64().unwrap();
    assert_eq!(location, format!("/api/rest/dummie/{id}"));
    assert_eq!(created["year"], 1985);
    assert_eq!(created["pre_seeded"], false);
    assert_eq!(created["created_at"], created["updated_at"]);
    let keys: Vec<&str> = created
        .as_object()
        .unwrap()
        .keys()
        .map(String::as_str)
        .collect();
    assert_eq!(
        keys,
        [
            "id",
            "day",
            "weekday",
            "month",
            "year",
            "pre_seeded",
            "created_at",
            "updated_at"
        ]
    );

    // Read.
    let read = expect_json(
        app.client.get(app.url(&location)).send().await.unwrap(),
        200,
    )
    .await;
    assert_eq!(read, created);

    // Replace, as a multipart form (what `curl --form` sends).
    let form = Form::new()
        .text("day", "3")
        .text("weekday", "Wednesday")
        .text("month", "March")
        .text("year", "1986");
    let replaced = expect_json(
        app.client
            .put(app.url(&location))
            .multipart(form)
            .send()
            .await
            .unwrap(),
        200,
    )
    .await;
    assert_eq!(
        (
            &replaced["day"],
            &replaced["weekday"],
            &replaced["month"],
            &replaced["year"]
        ),
        (
            &json!(3),
            &json!("Wednesday"),
            &json!("March"),
            &json!(1986)
        )
    );
    assert_eq!(replaced["created_at"], created["created_at"]);
    assert!(replaced["updated_at"].as_str() > created["updated_at"].as_str());

    // Patch, urlencoded: only the year changes.
    let patched = expect_json(
        app.client
            .patch(app.url(&location))
            .form(&[("year", "1984")])
            .send()
            .await
            .unwrap(),
        200,
    )
    .await;
    assert_eq!(patched["year"], 1984);
    assert_eq!(patched["month"], "March");
    assert!(patched["updated_at"].as_str() > replaced["updated_at"].as_str());

    // List.
    let list = expect_json(
        app.client
            .get(app.url("/api/rest/dummies"))
            .send()
            .await
            .unwrap(),
        200,
    )
    .await;
    assert_eq!(list, json!([patched]));

    // Delete: 204 and no body.
    let response = app.client.delete(app.url(&location)).send().await.unwrap();
    assert_eq!(response.status(), 204);
    assert!(response.bytes().await.unwrap().is_empty());
    assert_eq!(app.count().await, 0);

    // Gone.
    let missing = expect_json(
        app.client.get(app.url(&location)).send().await.unwrap(),
        404,
    )
    .await;
    assert_eq!(missing, json!({"detail": "Not found."}));
}

async fn create_accepts_multipart_form_fields(app: TestApp) {
    let form = Form::new()
        .text("day", "1")
        .text("weekday", "Monday")
        .text("month", "January")
        .text("year", "1984");
    let created = expect_json(
        app.client
            .post(app.url("/api/rest/dummie"))
            .multipart(form)
            .send()
            .await
            .unwrap(),
        201,
    )
    .await;
    assert_eq!(created["day"], 1);
    assert_eq!(created["weekday"], "Monday");
    assert_eq!(created["year"], 1984);
    assert_eq!(app.count().await, 1);
}

async fn create_accepts_urlencoded_fields(app: TestApp) {
    let created = expect_json(
        app.client
            .post(app.url("/api/rest/dummie"))
            .form(&[
                ("day", "31"),
                ("weekday", "Sunday"),
                ("month", "December"),
                ("year", "2020"),
            ])
            .send()
            .await
            .unwrap(),
        201,
    )
    .await;
    assert_eq!(created["day"], 31);
    assert_eq!(created["month"], "December");
}

async fn create_may_mark_a_record_pre_seeded_but_updates_keep_the_flag(app: TestApp) {
    let mut body = TestApp::sample();
    body["pre_seeded"] = json!(true);
    let created = app.create(body).await;
    assert_eq!(created["pre_seeded"], true);
    let id = created["id"].as_i64().unwrap();
    let mut replace = TestApp::sample();
    replace["pre_seeded"] = json!(false);
    let replaced = expect_json(
        app.client
            .put(app.url(&format!("/api/rest/dummie/{id}")))
            .json(&replace)
            .send()
            .await
            .unwrap(),
        200,
    )
    .await;
    assert_eq!(replaced["pre_seeded"], true);
}

async fn plural_aliases_answer_every_verb(app: TestApp) {
    let created = expect_json(
        app.client
            .post(app.url("/api/rest/dummies"))
            .json(&TestApp::sample())
            .send()
            .await
            .unwrap(),
        201,
    )
    .await;
    let path = format!("/api/rest/dummies/{}", created["id"]);
    let read = expect_json(app.client.get(app.url(&path)).send().await.unwrap(), 200).await;
    assert_eq!(read["id"], created["id"]);
    let mut body = TestApp::sample();
    body["day"] = json!(20);
    let replaced = expect_json(
        app.client
            .put(app.url(&path))
            .json(&body)
            .send()
            .await
            .unwrap(),
        200,
    )
    .await;
    assert_eq!(replaced["day"], 20);
    let patched = expect_json(
        app.client
            .patch(app.url(&path))
            .json(&json!({"weekday": "Friday"}))
            .send()
            .await
            .unwrap(),
        200,
    )
    .await;
    assert_eq!(patched["weekday"], "Friday");
    assert_eq!(
        app.client
            .delete(app.url(&path))
            .send()
            .await
            .unwrap()
            .status(),
        204
    );
    assert_eq!(
        app.client
            .get(app.url(&path))
            .send()
            .await
            .unwrap()
            .status(),
        404
    );
}

async fn patch_with_an_empty_body_only_moves_updated_at(app: TestApp) {
    let created = app.create(TestApp::sample()).await;
    let path = format!("/api/rest/dummie/{}", created["id"]);
    let patched = expect_json(
        app.client
            .patch(app.url(&path))
            .json(&json!({}))
            .send()
            .await
            .unwrap(),
        200,
    )
    .await;
    assert_eq!(patched["day"], created["day"]);
    assert_eq!(patched["year"], created["year"]);
    assert!(patched["updated_at"].as_str() > created["updated_at"].as_str());
}

async fn head_on_a_record_answers_without_a_body(app: TestApp) {
    let created = app.create(TestApp::sample()).await;
    let response = app
        .client
        .head(app.url(&format!("/api/rest/dummie/{}", created["id"])))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 200);
    assert!(response.bytes().await.unwrap().is_empty());
}

test_support::tests! {
    backends(crate::helpers::TestApp::spawn):
        create_read_replace_patch_list_delete,
        create_accepts_multipart_form_fields,
        create_accepts_urlencoded_fields,
        create_may_mark_a_record_pre_seeded_but_updates_keep_the_flag,
        plural_aliases_answer_every_verb,
        patch_with_an_empty_body_only_moves_updated_at,
        head_on_a_record_answers_without_a_body;
}
