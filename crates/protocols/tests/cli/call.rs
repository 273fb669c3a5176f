//! `protocols call` against `protocols serve`, as a learner runs it: each protocol's
//! answer printed, the bytes with `--wire`, a load run with `--count`, and an error in
//! the protocol's own form with a failing exit.

use std::process::Output;

use test_support::{Backend, TestDb};

use crate::helpers::{Served, protocols, seed};

/// Runs `protocols call ARGS…`; its output and whether it succeeded.
fn call(args: &[&str]) -> (bool, String) {
    let Output {
        status,
        stdout,
        stderr,
    } = protocols()
        .arg("call")
        .args(args)
        .output()
        .expect("run protocols call");
    let stdout = String::from_utf8_lossy(&stdout).into_owned();
    (
        status.success(),
        format!("{stdout}{}", String::from_utf8_lossy(&stderr)),
    )
}

/// Asserts the call succeeded and printed every one of `needles`.
fn prints(args: &[&str], needles: &[&str]) -> String {
    let (ok, output) = call(args);
    assert!(ok, "protocols call {args:?} failed:\n{output}");
    for needle in needles {
        assert!(
            output.contains(needle),
            "protocols call {args:?}: no {needle:?} in\n{output}"
        );
    }
    output
}

fn every_protocol_answers_and_shows_its_wire() {
    let db = TestDb::new(Backend::Sqlite);
    let served = Served::start(&db.url);
    seed(&db.url, 3);
    let http = served.http.as_str();
    let grpc = served.grpc.as_str();

    prints(
        &["--host", http, "rest", "GET", "/api/rest/dummie/2"],
        &["HTTP/1.1 200 OK", "\"id\": 2"],
    );
    prints(
        &[
            "--host",
            http,
            "rest",
            "POST",
            "/api/rest/dummie",
            r#"{"day":2,"weekday":"Tuesday","month":"May","year":1990}"#,
        ],
        &["HTTP/1.1 201 Created", "\"month\": \"May\""],
    );
    prints(
        &["--host", http, "jsonrpc", "add", "2", "3"],
        &["\"result\": 5"],
    );
    prints(
        &["--host", http, "xmlrpc", "reverse", "live"],
        &["<string>evil</string>"],
    );
    prints(
        &[
            "--host",
            grpc,
            "grpc",
            "dummy.v1.DummyService/GetDummy",
            r#"{"id":2}"#,
        ],
        &["\"id\": \"2\"", "status: OK"],
    );
    prints(
        &["--host", http, "ws", "/api/ws/echo/", r#"{"message":"hi"}"#],
        &["101 Switching Protocols", "← {\"message\":\"hi\"}"],
    );
    prints(
        &[
            "--host",
            http,
            "graphql",
            "query($id: ID!) { dummy(id: $id) { id year } }",
            r#"{"id":"2"}"#,
        ],
        &[
            "content-type: application/graphql-response+json",
            "\"dummy\": {",
            "\"id\": \"2\"",
        ],
    );

    // SSE: the stream's own lines, as they come, until the event asked for.
    let events = protocols()
        .args([
            "call",
            "--host",
            http,
            "--events",
            "1",
            "sse",
            "/api/sse/dummies?kinds=created",
        ])
        .stdout(std::process::Stdio::piped())
        .spawn()
        .expect("run protocols call sse");
    let watchdog = events.id();
    std::thread::spawn(move || {
        std::thread::sleep(std::time::Duration::from_secs(30));
        let _ = std::process::Command::new("kill")
            .arg(watchdog.to_string())
            .status();
    });
    std::thread::sleep(std::time::Duration::from_millis(500));
    prints(
        &[
            "--host",
            http,
            "rest",
            "POST",
            "/api/rest/dummie",
            r#"{"day":7,"weekday":"Sunday","month":"July","year":1977}"#,
        ],
        &["201 Created"],
    );
    let output = events.wait_with_output().unwrap();
    let stream = String::from_utf8_lossy(&output.stdout);
    assert!(output.status.success(), "{stream}");
    for line in [
        "content-type: text/event-stream",
        "event: created",
        "\"year\":1977",
    ] {
        assert!(
            stream.contains(line),
            "no {line:?} in the stream:\n{stream}"
        );
    }

    // --wire: the exact exchange, annotated as each protocol frames it.
    prints(
        &[
            "--host",
            http,
            "--wire",
            "rest",
            "GET",
            "/api/http/stream/2",
        ],
        &[
            "→ GET /api/http/stream/2 HTTP/1.1\\r\\n",
            "← transfer-encoding: chunked\\r\\n",
            "(the last chunk: the body ends)",
            "no TLS",
        ],
    );
    prints(
        &[
            "--host",
            grpc,
            "--wire",
            "-H",
            "x-user:ada",
            "grpc",
            "playground.v1.PlaygroundService/Reflect",
            r#"{"payload":"hi"}"#,
        ],
        &[
            "→ preface PRI * HTTP/2.0",
            "→ SETTINGS stream 0",
            "→ HEADERS stream 1, END_HEADERS: HPACK block of",
            "→   gRPC message: prefix 00 00 00 00 04 (compressed 0, length 4), protobuf: 0a 02 68 69",
            "← HEADERS stream 1, END_STREAM, END_HEADERS",
            "header x-user: ada",
        ],
    );
    prints(
        &["--host", http, "--wire", "ws", "/api/ws/raw/", "hi"],
        &[
            "→ Upgrade: websocket\\r\\n",
            "← HTTP/1.1 101 Switching Protocols\\r\\n",
            ", masked, 2 bytes: hi",
            "← frame 81 02: FIN, text, 2 bytes: hi",
        ],
    );

    // --count: a small load run.
    prints(
        &[
            "--host",
            http,
            "--count",
            "50",
            "--concurrency",
            "3",
            "rest",
            "GET",
            "/api/rest/dummie/1",
        ],
        &["50 calls over 3 connections", "0 failed", "p99"],
    );
    prints(
        &[
            "--host",
            grpc,
            "--count",
            "20",
            "--concurrency",
            "2",
            "grpc",
            "echo.v1.EchoService/UnaryEcho",
            r#"{"message":"x"}"#,
        ],
        &["20 calls over 2 connections", "0 failed"],
    );

    // Errors come in the protocol's own form, and the exit says so.
    let (ok, output) = call(&["--host", http, "rest", "GET", "/api/rest/dummie/999"]);
    assert!(
        !ok && output.contains("404 Not Found") && output.contains("Not found."),
        "{output}"
    );
    let (ok, output) = call(&[
        "--host",
        grpc,
        "grpc",
        "dummy.v1.DummyService/GetDummy",
        r#"{"id":999}"#,
    ]);
    assert!(!ok && output.contains("status: NotFound"), "{output}");
    let (ok, output) = call(&["--host", grpc, "grpc", "dummy.v1.DummyService/Nope"]);
    assert!(
        !ok && output.contains("has no method Nope; it has"),
        "{output}"
    );
    let (ok, output) = call(&[
        "--host",
        grpc,
        "grpc",
        "dummy.v1.DummyService/GetDummy",
        r#"{"id":"#,
    ]);
    assert!(!ok && output.contains("not JSON"), "{output}");
}

test_support::tests! {
    sync: every_protocol_answers_and_shows_its_wire;
}
