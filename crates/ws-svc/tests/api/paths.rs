//! The paths themselves: the trailing slash is optional (the original's clients write
//! `/api/ws/echo` and `/api/ws/chat/lobby`), and `/api/ws/` says which endpoints exist.

use std::collections::BTreeSet;

use reqwest::header::{CONTENT_TYPE, LOCATION, VARY};
use serde_json::{Value, json};

use crate::helpers::{TestApp, recv, send};

/// A client that shows redirects instead of following them.
fn client() -> reqwest::Client {
    reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .unwrap()
}

async fn handshakes_without_the_trailing_slash_reach_the_same_endpoints() {
    let app = TestApp::sqlite().await;

    let mut echo = app.connect("/api/ws/echo").await;
    send(&mut echo, json!({"message": "no slash"})).await;
    assert_eq!(recv(&mut echo).await, json!({"message": "no slash"}));

    // One room, whichever of the four paths a member took.
    let mut members = vec![
        app.connect("/api/ws/chat/lobby").await,
        app.connect("/api/ws/chat/lobby/").await,
        app.connect("/api/ws/async_chat/lobby").await,
    ];
    send(&mut members[0], json!({"message": "hello room"})).await;
    for member in &mut members {
        let got = recv(member).await;
        assert_eq!(
            (&got["message"], &got["room"]),
            (&json!("hello room"), &json!("lobby"))
        );
    }

    // The feed opens too (its events are feed.rs's business).
    app.connect("/api/ws/dummies").await;
}

async fn a_page_without_the_trailing_slash_redirects_to_the_one_with_it() {
    let app = TestApp::sqlite().await;
    let client = client();
    for (path, location) in [
        ("/api/ws/echo", "/api/ws/echo/"),
        ("/api/ws/chat", "/api/ws/chat/"),
        ("/api/ws/chat/lobby", "/api/ws/chat/lobby/"),
        ("/api/ws/async_chat/lobby", "/api/ws/async_chat/lobby/"),
        ("/api/ws/dummies", "/api/ws/dummies/"),
        // The page's own settings survive the redirect.
        (
            "/api/ws/chat/lobby?server=http%3A%2F%2F127.0.0.1%3A8003",
            "/api/ws/chat/lobby/?server=http%3A%2F%2F127.0.0.1%3A8003",
        ),
    ] {
        let answer = client
            .get(format!("http://{}{path}", app.addr))
            .send()
            .await
            .unwrap();
        assert_eq!(answer.status(), 301, "GET {path}");
        assert_eq!(answer.headers()[LOCATION], location, "GET {path}");
        // And the page is there.
        let page = client
            .get(format!("http://{}{location}", app.addr))
            .send()
            .await
            .unwrap();
        assert_eq!(page.status(), 200, "GET {location}");
    }
    // A room name that is not one stays a 404, slash or not.
    for path in ["/api/ws/chat/not-a-room", "/api/ws/chat/not-a-room/"] {
        let answer = client
            .get(format!("http://{}{path}", app.addr))
            .send()
            .await
            .unwrap();
        assert_eq!(answer.status(), 404, "GET {path}");
    }
}

async fn the_index_lists_every_endpoint_as_json() {
    let app = TestApp::sqlite().await;
    let client = client();
    for path in ["/api/ws/", "/api/ws"] {
        let answer = client
            .get(format!("http://{}{path}", app.addr))
            .header("accept", "*/*")
            .send()
            .await
            .unwrap();
        assert_eq!(answer.status(), 200, "GET {path}");
        assert_eq!(answer.headers()[CONTENT_TYPE], "application/json");
        assert_eq!(answer.headers()[VARY], "Accept");
        let index: Value = answer.json().await.unwrap();
        let endpoints = index["endpoints"].as_array().expect("a list of endpoints");
        let paths: BTreeSet<&str> = endpoints
            .iter()
            .map(|e| e["path"].as_str().unwrap())
            .collect();
        assert_eq!(
            paths,
            BTreeSet::from([
                "/api/ws/echo/",
                "/api/ws/chat/",
                "/api/ws/chat/{room}/",
                "/api/ws/async_chat/{room}/",
                "/api/ws/dummies/",
                "/api/ws/raw/",
            ]),
            "GET {path}"
        );
        for endpoint in endpoints {
            assert!(
                endpoint["description"]
                    .as_str()
                    .is_some_and(|d| !d.is_empty()),
                "{endpoint}"
            );
        }
    }

    // The index tells the truth: each path it lists answers, a socket where it says so.
    let index: Value = reqwest::get(format!("http://{}/api/ws/", app.addr))
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    for endpoint in index["endpoints"].as_array().unwrap() {
        let path = endpoint["path"]
            .as_str()
            .unwrap()
            .replace("{room}", "lobby");
        let page = reqwest::get(format!("http://{}{path}", app.addr))
            .await
            .unwrap();
        assert_eq!(page.status(), 200, "GET {path}");
        if endpoint["websocket"] == true {
            app.connect(&path).await;
        }
    }
}

async fn a_browser_gets_the_index_as_a_page_with_links() {
    let app = TestApp::sqlite().await;
    let answer = client()
        .get(format!("http://{}/api/ws/", app.addr))
        // What Chromium sends for a page.
        .header(
            "accept",
            "text/html,application/xhtml+xml,application/xml;q=0.9,image/avif,image/webp,*/*;q=0.8",
        )
        .send()
        .await
        .unwrap();
    assert_eq!(answer.status(), 200);
    assert_eq!(answer.headers()[CONTENT_TYPE], "text/html; charset=utf-8");
    let page = answer.text().await.unwrap();
    for link in ["/api/ws/echo/", "/api/ws/chat/", "/api/ws/dummies/"] {
        assert!(
            page.contains(&format!("<a href=\"{link}\">")),
            "{link}: {page}"
        );
    }
    assert!(page.contains("/api/ws/chat/{room}/"), "{page}");
    // An inline icon: the browser asks for no /favicon.ico, which ws-svc does not serve.
    assert!(page.contains("<link rel=\"icon\" href=\"data:"), "{page}");
}

test_support::tests! {
    tokio:
        handshakes_without_the_trailing_slash_reach_the_same_endpoints,
        a_page_without_the_trailing_slash_redirects_to_the_one_with_it,
        the_index_lists_every_endpoint_as_json,
        a_browser_gets_the_index_as_a_page_with_links;
}
