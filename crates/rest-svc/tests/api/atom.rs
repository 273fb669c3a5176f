//! `GET /api/feeds/dummies.atom`: the Atom feed of the journal, its conditional GET
//! (ETag and Last-Modified answered with 304), and its RFC 5005 paging.

use serde_json::json;

use crate::helpers::TestApp;

const FEED: &str = "/api/feeds/dummies.atom";

fn dummy(day: i64) -> serde_json::Value {
    json!({"day": day, "weekday": "Monday", "month": "May", "year": 2026})
}

/// A change shows up as the newest entry; a reader that sends back the ETag or the
/// Last-Modified it got is answered 304 with no body, until the next change.
async fn changes_are_entries_and_a_conditional_get_is_304(app: TestApp) {
    let created = app.create(dummy(3)).await;
    let response = app.client.get(app.url(FEED)).send().await.unwrap();
    assert_eq!(response.status(), 200);
    assert_eq!(
        response.headers()["content-type"],
        "application/atom+xml; charset=utf-8"
    );
    let etag = response.headers()["etag"].to_str().unwrap().to_owned();
    let modified = response.headers()["last-modified"]
        .to_str()
        .unwrap()
        .to_owned();
    let body = response.text().await.unwrap();
    assert!(
        body.starts_with("<?xml version=\"1.0\" encoding=\"utf-8\"?>"),
        "{body}"
    );
    assert!(body.contains("<feed xmlns=\"http://www.w3.org/2005/Atom\">"));
    let id = created["id"].as_i64().unwrap();
    assert!(
        body.contains(&format!("<title>Dummy {id} created</title>")),
        "{body}"
    );
    assert!(body.contains(&format!("href=\"/api/rest/dummie/{id}\"")));

    for (name, value) in [("if-none-match", &etag), ("if-modified-since", &modified)] {
        let again = app
            .client
            .get(app.url(FEED))
            .header(name, value.as_str())
            .send()
            .await
            .unwrap();
        assert_eq!(again.status(), 304, "{name}: {value}");
        assert_eq!(again.headers()["etag"].to_str().unwrap(), etag);
        assert!(again.text().await.unwrap().is_empty());
    }

    app.create(dummy(4)).await;
    let changed = app
        .client
        .get(app.url(FEED))
        .header("if-none-match", etag.as_str())
        .send()
        .await
        .unwrap();
    assert_eq!(changed.status(), 200, "a new entry, a new tag");
    assert_ne!(changed.headers()["etag"].to_str().unwrap(), etag);
}

/// Fifty entries a page, newest first; `next` leads to the older ones and the last
/// page has no `next`. A `before` that is not a number is a 400.
async fn pages_link_to_older_entries() {
    let app = TestApp::spawn(test_support::Backend::Sqlite).await;
    for day in 1..=27 {
        app.create(dummy(day)).await;
        app.create(dummy(day)).await;
    }
    let app = &app;
    let page = |path: String| async move {
        let response = app.client.get(app.url(&path)).send().await.unwrap();
        assert_eq!(response.status(), 200, "{path}");
        response.text().await.unwrap()
    };
    let first = page(FEED.to_owned()).await;
    assert_eq!(first.matches("<entry>").count(), 50);
    let next = first
        .split("<link rel=\"next\" href=\"")
        .nth(1)
        .and_then(|rest| rest.split('"').next())
        .expect("a next link on a full page");
    assert_eq!(next, "/api/feeds/dummies.atom?before=5");
    let older = page(next.to_owned()).await;
    assert_eq!(older.matches("<entry>").count(), 4);
    assert!(!older.contains("rel=\"next\""), "the last page has no next");
    assert!(older.contains("<link rel=\"first\" href=\"/api/feeds/dummies.atom\"/>"));

    let bad = app
        .client
        .get(app.url(&format!("{FEED}?before=yesterday")))
        .send()
        .await
        .unwrap();
    assert_eq!(bad.status(), 400);
    let body: serde_json::Value = bad.json().await.unwrap();
    assert_eq!(body, json!({"before": ["A valid integer is required."]}));
}

test_support::tests! {
    tokio: pages_link_to_older_entries;
    backends(crate::helpers::TestApp::spawn): changes_are_entries_and_a_conditional_get_is_304;
}
