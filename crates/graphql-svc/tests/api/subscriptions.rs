//! `dummyChanged` over WebSocket (tokio-tungstenite as the client): the
//! `graphql-transport-ws` exchange, a write from HTTP seen live on both backends, and
//! each way a session can be refused.

use std::time::Duration;

use futures_util::{SinkExt, StreamExt};
use serde_json::{Value, json};
use test_support::Backend;
use tokio_tungstenite::tungstenite::Message;
use tokio_tungstenite::tungstenite::client::IntoClientRequest;
use tokio_tungstenite::tungstenite::protocol::frame::coding::CloseCode;
use tokio_tungstenite::{MaybeTlsStream, WebSocketStream};

use graphql_svc::limits::Limits;

use crate::helpers::TestApp;

type Ws = WebSocketStream<MaybeTlsStream<tokio::net::TcpStream>>;

async fn connect(app: &TestApp, protocol: &str) -> Ws {
    let mut request = format!("ws://{}/api/graphql", app.addr)
        .into_client_request()
        .unwrap();
    request
        .headers_mut()
        .insert("sec-websocket-protocol", protocol.parse().unwrap());
    let (socket, response) = tokio_tungstenite::connect_async(request).await.unwrap();
    assert_eq!(response.headers()["sec-websocket-protocol"], protocol);
    socket
}

async fn send(socket: &mut Ws, message: Value) {
    socket
        .send(Message::text(message.to_string()))
        .await
        .unwrap();
}

/// The next text message as JSON, or the close frame's code; fails after 10 s.
async fn next(socket: &mut Ws) -> Result<Value, u16> {
    loop {
        let message = tokio::time::timeout(Duration::from_secs(10), socket.next())
            .await
            .expect("no message within 10 s")
            .expect("the socket ended without a close frame")
            .unwrap();
        match message {
            Message::Text(text) => return Ok(serde_json::from_str(&text).unwrap()),
            Message::Close(frame) => return Err(frame.map_or(1005, |f| u16::from(f.code))),
            _ => {}
        }
    }
}

const SUBSCRIPTION: &str = "subscription($kinds: [ChangeKind!]) { dummyChanged(kinds: $kinds) { __typename ... on DummyChanged { kind dummy { id day } } } }";

async fn a_write_over_http_arrives_as_a_subscription_event(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let mut socket = connect(&app, "graphql-transport-ws").await;
    send(&mut socket, json!({"type": "connection_init"})).await;
    assert_eq!(
        next(&mut socket).await,
        Ok(json!({"type": "connection_ack"}))
    );
    send(
        &mut socket,
        json!({"id": "1", "type": "subscribe", "payload": {"query": SUBSCRIPTION, "variables": {"kinds": ["DELETED"]}}}),
    )
    .await;
    // The subscription goes live some time after the server reads it (on PostgreSQL
    // its LISTEN must be in place), and the protocol does not say when: write until
    // an event arrives. A create is not among the kinds asked for; a delete is.
    let mut deleted = Vec::new();
    let event = loop {
        let created = app.create(6).await;
        app.data(
            "mutation($id: ID!) { deleteDummy(id: $id) }",
            json!({"id": created["id"]}),
        )
        .await;
        deleted.push(created["id"].clone());
        match tokio::time::timeout(Duration::from_millis(300), next(&mut socket)).await {
            Ok(event) => break event.expect("a message, not a close"),
            Err(_) => assert!(
                deleted.len() < 30,
                "no event after {} deletes",
                deleted.len()
            ),
        }
    };
    let id = event["payload"]["data"]["dummyChanged"]["dummy"]["id"].clone();
    assert!(deleted.contains(&id), "{event}");
    assert_eq!(
        event,
        json!({"id": "1", "type": "next", "payload": {"data": {"dummyChanged": {
            "__typename": "DummyChanged",
            "kind": "DELETED",
            "dummy": {"id": id, "day": 6},
        }}}})
    );
    send(&mut socket, json!({"id": "1", "type": "complete"})).await;
    send(&mut socket, json!({"type": "ping"})).await;
    // After `complete` the server sends nothing more for "1"; the ping still works.
    let after = next(&mut socket).await.unwrap();
    assert!(
        after == json!({"type": "pong"}) || after == json!({"id": "1", "type": "complete"}),
        "{after}"
    );
}

/// `graphql-transport-ws`: a `subscribe` before `connection_init` closes with `4401`.
async fn a_subscription_without_connection_init_is_refused() {
    let app = TestApp::spawn(Backend::Sqlite).await;
    let mut socket = connect(&app, "graphql-transport-ws").await;
    send(
        &mut socket,
        json!({"id": "1", "type": "subscribe", "payload": {"query": SUBSCRIPTION}}),
    )
    .await;
    assert_eq!(next(&mut socket).await, Err(4401));
}

/// `graphql-transport-ws`: a socket whose `connection_init` does not come in time
/// closes with `4408`; one that sent it stays open past the timeout.
async fn a_socket_without_connection_init_closes_after_the_timeout() {
    let app = TestApp::spawn_with(
        Backend::Sqlite,
        Limits {
            init_timeout: Duration::from_millis(300),
            ..Limits::default()
        },
    )
    .await;
    let mut silent = connect(&app, "graphql-transport-ws").await;
    let mut greeted = connect(&app, "graphql-transport-ws").await;
    send(&mut greeted, json!({"type": "connection_init"})).await;
    assert_eq!(
        next(&mut greeted).await,
        Ok(json!({"type": "connection_ack"}))
    );
    assert_eq!(next(&mut silent).await, Err(4408));
    tokio::time::sleep(Duration::from_millis(600)).await;
    send(&mut greeted, json!({"type": "ping"})).await;
    assert_eq!(next(&mut greeted).await, Ok(json!({"type": "pong"})));
}

/// The server pings every heartbeat; a client that answers stays, one that falls
/// silent for two heartbeats is closed with `1001`.
async fn the_server_pings_and_closes_a_silent_client() {
    let beat = Duration::from_millis(200);
    let app = TestApp::spawn_with(
        Backend::Sqlite,
        Limits {
            heartbeat: beat,
            ..Limits::default()
        },
    )
    .await;
    let mut socket = connect(&app, "graphql-transport-ws").await;
    send(&mut socket, json!({"type": "connection_init"})).await;
    assert_eq!(
        next(&mut socket).await,
        Ok(json!({"type": "connection_ack"}))
    );
    // Reading answers each ping with a pong (tungstenite does it by itself).
    let until = tokio::time::Instant::now() + beat * 4;
    let mut pings = 0;
    while let Ok(frame) = tokio::time::timeout_at(until, socket.next()).await {
        match frame.expect("the socket ended").unwrap() {
            Message::Ping(_) => pings += 1,
            Message::Close(frame) => panic!("a client that answers was closed: {frame:?}"),
            _ => {}
        }
    }
    assert!(pings >= 2, "{pings} pings in four heartbeats");
    // Not reading: no pongs go back.
    tokio::time::sleep(beat * 4).await;
    assert_eq!(next(&mut socket).await, Err(u16::from(CloseCode::Away)));
}

/// A message over the size limit closes with `1009 Message Too Big`; a handshake
/// without a sub-protocol the server speaks is `400`.
async fn oversized_messages_and_unknown_protocols_are_refused() {
    let app = TestApp::spawn(Backend::Sqlite).await;
    let mut socket = connect(&app, "graphql-transport-ws").await;
    send(&mut socket, json!({"type": "connection_init"})).await;
    assert_eq!(
        next(&mut socket).await,
        Ok(json!({"type": "connection_ack"}))
    );
    let huge = json!({"id": "1", "type": "subscribe", "payload": {"query": " ".repeat(100_000)}});
    send(&mut socket, huge).await;
    assert_eq!(next(&mut socket).await, Err(u16::from(CloseCode::Size)));

    let request = format!("ws://{}/api/graphql", app.addr)
        .into_client_request()
        .unwrap();
    match tokio_tungstenite::connect_async(request).await {
        Err(tokio_tungstenite::tungstenite::Error::Http(response)) => {
            assert_eq!(response.status(), 400);
        }
        other => panic!("a handshake without a sub-protocol was not refused: {other:?}"),
    }
    // The server is still up.
    assert_eq!(
        app.data("{ dummiesCount }", json!({})).await["dummiesCount"],
        0
    );
}

/// `after`: the changes after that `seq` come first, in order, then the live ones; a
/// position retention deleted is an error with the code `TOO_OLD`.
async fn a_subscription_resumes_after_a_seq(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let url = format!("ws://{}/api/graphql", app.addr);
    let query = "subscription($after: ID) { dummyChanged(after: $after) { __typename ... on DummyChanged { seq kind dummy { id } } } }";
    let head = app.store.journal_bounds().await.unwrap().head;
    let first = app.create(1).await;
    let second = app.create(2).await;
    let mut socket = clients::graphql::subscribe(&url, query, &json!({"after": head.to_string()}))
        .await
        .unwrap();
    let mut seqs = Vec::new();
    for want in [&first, &second] {
        let event = clients::graphql::next_event(&mut socket).await.unwrap();
        assert_eq!(event["dummyChanged"]["dummy"]["id"], want["id"]);
        seqs.push(
            event["dummyChanged"]["seq"]
                .as_str()
                .unwrap()
                .parse::<i64>()
                .unwrap(),
        );
    }
    assert!(head < seqs[0] && seqs[0] < seqs[1], "{seqs:?}");
    let third = app.create(3).await;
    let event = clients::graphql::next_event(&mut socket).await.unwrap();
    assert_eq!(event["dummyChanged"]["dummy"]["id"], third["id"]);

    let keep_one = model::Retention {
        max_rows: 1,
        ..model::Retention::default()
    };
    app.store.prune_journal(keep_one).await.unwrap();
    let mut socket = clients::graphql::subscribe(&url, query, &json!({"after": "0"}))
        .await
        .unwrap();
    let refused = next(&mut socket).await.unwrap();
    assert_eq!(refused["type"], "next", "{refused}");
    assert_eq!(
        refused["payload"]["errors"][0]["extensions"]["code"], "TOO_OLD",
        "{refused}"
    );
}

/// Across a server restart: a subscription to the next server on the same database
/// with `after` gets what was committed while none ran, then the live changes. The
/// second server has a store of its own, as a new process would.
async fn a_subscription_resumes_on_a_restarted_server(backend: Backend) {
    let db = test_support::TestDb::new(backend);
    let query = "subscription($after: ID) { dummyChanged(after: $after) { __typename ... on DummyChanged { seq dummy { id } } } }";
    let mut first = TestApp::start(db.migrated_store().await, None, Limits::default());
    let head = first.store.journal_bounds().await.unwrap().head;
    let url = format!("ws://{}/api/graphql", first.addr);
    let mut socket = clients::graphql::subscribe(&url, query, &json!({"after": head.to_string()}))
        .await
        .unwrap();
    let made = first.create(1).await;
    let event = clients::graphql::next_event(&mut socket).await.unwrap();
    assert_eq!(event["dummyChanged"]["dummy"]["id"], made["id"]);
    let seen = event["dummyChanged"]["seq"].as_str().unwrap().to_owned();
    first.stopped().await.unwrap();
    drop((socket, first));

    let store = db.migrated_store().await;
    let meanwhile = store
        .create(model::NewDummy {
            data: model::DummyData {
                day: model::Day::new(2).unwrap(),
                weekday: model::Weekday::Monday,
                month: model::Month::June,
                year: 2002,
            },
            pre_seeded: false,
        })
        .await
        .unwrap();
    let second = TestApp::start(store, None, Limits::default());
    let url = format!("ws://{}/api/graphql", second.addr);
    let mut socket = clients::graphql::subscribe(&url, query, &json!({"after": seen}))
        .await
        .unwrap();
    let event = clients::graphql::next_event(&mut socket).await.unwrap();
    assert_eq!(
        event["dummyChanged"]["dummy"]["id"],
        meanwhile.id.0.to_string()
    );
    let live = second.create(3).await;
    let event = clients::graphql::next_event(&mut socket).await.unwrap();
    assert_eq!(event["dummyChanged"]["dummy"]["id"], live["id"]);
}

test_support::tests! {
    tokio:
        a_subscription_without_connection_init_is_refused,
        a_socket_without_connection_init_closes_after_the_timeout,
        the_server_pings_and_closes_a_silent_client,
        oversized_messages_and_unknown_protocols_are_refused;
    backends(std::future::ready):
        a_write_over_http_arrives_as_a_subscription_event,
        a_subscription_resumes_after_a_seq,
        a_subscription_resumes_on_a_restarted_server;
}
