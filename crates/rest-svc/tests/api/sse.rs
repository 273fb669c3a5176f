//! `GET /api/sse/dummies`: Server-Sent Events read over a real socket, chunk by chunk,
//! as they arrive: ids from the journal, kinds, resume with `Last-Event-ID` or
//! `?after=`, the filter, the answers to bad input, and the end on shutdown.

use serde_json::{Value, json};

use clients::sse::{self, EventStream};

use crate::helpers::TestApp;

/// Opens the stream (asserting the SSE headers) after `Last-Event-ID`, if given.
async fn open(app: &TestApp, query: &str, last_event_id: Option<&str>) -> EventStream {
    let url = app.url(&format!("/api/sse/dummies{query}"));
    let stream = sse::connect(&app.client, &url, last_event_id)
        .await
        .unwrap();
    assert_eq!(stream.response.headers()["cache-control"], "no-cache");
    assert_eq!(stream.response.headers()["x-accel-buffering"], "no");
    stream
}

fn dummy(day: i64) -> Value {
    json!({"day": day, "weekday": "Monday", "month": "May", "year": 2026})
}

/// Writes made through REST arrive as `created`, `updated` and `deleted` events whose
/// `id` is the journal number and `data` the record as REST shows it; a client that
/// comes back with `Last-Event-ID` gets what it missed first, nothing twice.
async fn changes_arrive_with_ids_and_resume_with_last_event_id(backend: test_support::Backend) {
    let app = TestApp::spawn(backend).await;
    let head = app.store.journal_bounds().await.unwrap().head;
    let mut stream = open(&app, &format!("?after={head}"), None).await;
    let opening = stream.next().await.unwrap().unwrap();
    assert_eq!(opening.retry, Some(2000));
    assert_eq!(opening.comments, [format!("resuming after {head}")]);

    let created = app.create(dummy(1)).await;
    let id = created["id"].as_i64().unwrap();
    app.client
        .patch(app.url(&format!("/api/rest/dummie/{id}")))
        .json(&json!({"day": 2}))
        .send()
        .await
        .unwrap();
    app.client
        .delete(app.url(&format!("/api/rest/dummie/{id}")))
        .send()
        .await
        .unwrap();
    let events = [
        stream.event().await.unwrap(),
        stream.event().await.unwrap(),
        stream.event().await.unwrap(),
    ];
    let names: Vec<_> = events.iter().map(|e| e.event.clone().unwrap()).collect();
    assert_eq!(names, ["created", "updated", "deleted"]);
    assert_eq!(
        serde_json::from_str::<Value>(&events[0].data).unwrap(),
        created
    );
    assert_eq!(
        serde_json::from_str::<Value>(&events[1].data).unwrap()["day"],
        2
    );
    let ids: Vec<i64> = events
        .iter()
        .map(|e| e.id.as_deref().unwrap().parse().unwrap())
        .collect();
    assert!(
        head < ids[0] && ids[0] < ids[1] && ids[1] < ids[2],
        "{ids:?}"
    );
    drop(stream);

    // Away while one more change is made; back with the second id.
    let later = app.create(dummy(3)).await;
    let second = ids[1].to_string();
    let mut stream = open(&app, "", Some(&second)).await;
    let again = stream.event().await.unwrap();
    assert_eq!(
        (again.event.as_deref(), again.id.as_deref()),
        (Some("deleted"), Some(ids[2].to_string().as_str()))
    );
    let next = stream.event().await.unwrap();
    assert_eq!(next.event.as_deref(), Some("created"));
    assert_eq!(serde_json::from_str::<Value>(&next.data).unwrap(), later);
}

/// `?kinds=` filters; an unknown kind, a position that is not a number or not given
/// out yet is a 400 in the REST form; a position retention deleted gets a `too_old`
/// event and the stream goes on from now; shutdown ends the stream.
async fn filters_bad_positions_too_old_and_shutdown() {
    let app = TestApp::spawn(test_support::Backend::Sqlite).await;
    for (query, header, field) in [
        ("?kinds=created,exploded", None, "kinds"),
        ("?kinds=,", None, "kinds"),
        ("", Some("soon"), "Last-Event-ID"),
        ("?after=999999", None, "after"),
    ] {
        let mut request = app.client.get(app.url(&format!("/api/sse/dummies{query}")));
        if let Some(header) = header {
            request = request.header("last-event-id", header);
        }
        let response = request.send().await.unwrap();
        assert_eq!(response.status(), 400, "{query} {header:?}");
        let body: Value = response.json().await.unwrap();
        assert!(body[field][0].is_string(), "{body}");
    }

    for day in 1..=3 {
        app.create(dummy(day)).await;
    }
    let keep_one = model::Retention {
        max_rows: 1,
        ..model::Retention::default()
    };
    app.store.prune_journal(keep_one).await.unwrap();
    let mut stream = open(&app, "?after=0&kinds=deleted", None).await;
    let too_old = stream.event().await.unwrap();
    assert_eq!(too_old.event.as_deref(), Some("too_old"));
    // …with the position now, so a reconnect does not ask for the lost one again.
    let now = app.store.journal_bounds().await.unwrap().head;
    assert_eq!(too_old.id, Some(now.to_string()));
    let data: Value = serde_json::from_str(&too_old.data).unwrap();
    assert_eq!(data["after"], 0);
    // From now on, deletes only.
    let created = app.create(dummy(4)).await;
    let id = created["id"].as_i64().unwrap();
    app.client
        .delete(app.url(&format!("/api/rest/dummie/{id}")))
        .send()
        .await
        .unwrap();
    let deleted = stream.event().await.unwrap();
    assert_eq!(deleted.event.as_deref(), Some("deleted"));
    assert_eq!(
        serde_json::from_str::<Value>(&deleted.data).unwrap()["id"],
        id
    );

    app.shutdown.cancel();
    assert_eq!(stream.next().await, Ok(None), "the stream ends on shutdown");
}

/// Across a server restart: the stream ends when the first server stops; a change made
/// while no server runs and one made after the restart both come to a client that
/// resumes with `Last-Event-ID` on the new server, in order, once.
async fn a_client_resumes_across_a_server_restart(backend: test_support::Backend) {
    let db = test_support::TestDb::new(backend);
    let mut first = TestApp::spawn_on(&db, rest_svc::webhooks::Settings::default()).await;
    let head = first.store.journal_bounds().await.unwrap().head;
    let mut stream = open(&first, &format!("?after={head}"), None).await;
    let created = first.create(dummy(1)).await;
    let seen = stream.event().await.unwrap();
    assert_eq!(serde_json::from_str::<Value>(&seen.data).unwrap(), created);
    first.stopped().await.unwrap();
    assert!(
        stream.event().await.is_err(),
        "the stream ends with its server"
    );
    drop(first);

    let store = db.migrated_store().await;
    let meanwhile = store
        .delete(model::DummyId(created["id"].as_i64().unwrap()))
        .await;
    assert!(meanwhile.is_ok());
    let second = TestApp::spawn_on(&db, rest_svc::webhooks::Settings::default()).await;
    let mut stream = open(&second, "", seen.id.as_deref()).await;
    let after = second.create(dummy(2)).await;
    let deleted = stream.event().await.unwrap();
    assert_eq!(deleted.event.as_deref(), Some("deleted"));
    assert_eq!(
        serde_json::from_str::<Value>(&deleted.data).unwrap()["id"],
        created["id"]
    );
    let next = stream.event().await.unwrap();
    assert_eq!(next.event.as_deref(), Some("created"));
    assert_eq!(serde_json::from_str::<Value>(&next.data).unwrap(), after);
    let ids: Vec<i64> = [&seen, &deleted, &next]
        .iter()
        .map(|e| e.id.as_deref().unwrap().parse().unwrap())
        .collect();
    assert!(ids.windows(2).all(|w| w[0] < w[1]), "{ids:?}");
}

test_support::tests! {
    tokio: filters_bad_positions_too_old_and_shutdown;
    backends(std::future::ready): changes_arrive_with_ids_and_resume_with_last_event_id,
        a_client_resumes_across_a_server_restart;
}
