//! `just capture` (scripts/capture.sh, Debian's tshark) on loopback records a REST
//! request, a GraphQL query, a webhook delivery, a WebSocket handshake and a gRPC
//! message decoded field by field.

use std::process::{Command, Stdio};
use std::time::Duration;

use futures_util::{SinkExt, StreamExt};
use grpc_pb::app::HelloRequest;
use grpc_pb::app::greeter_client::GreeterClient;
use test_support::TestDb;
use tokio_tungstenite::tungstenite::Message;

use crate::helpers::Served;

fn port(addr: &str) -> &str {
    addr.rsplit(':').next().unwrap()
}

fn capture_records_rest_a_websocket_handshake_and_decoded_grpc() {
    test_support::require_tool("tshark", "--version", "the capture test");
    let db = TestDb::sqlite();
    let served = Served::start(&db.url);
    let dir = tempfile::tempdir().unwrap();
    let script = concat!(env!("CARGO_MANIFEST_DIR"), "/../../scripts/capture.sh");
    let ports = format!(
        "{} {} {} {}",
        port(&served.rest),
        port(&served.http),
        port(&served.ws),
        port(&served.grpc)
    );
    let capture = Command::new("bash")
        .arg(script)
        .args(["all", "8"])
        .arg(dir.path().join("capture.pcapng"))
        .env("CAPTURE_PORTS", &ports)
        .env("CAPTURE_GRPC_PORTS", port(&served.grpc))
        .env("CAPTURE_VERBOSE", "1")
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("run scripts/capture.sh");
    // Wait until tshark reports that it is capturing, then make the traffic.
    let mut capture = capture;
    let stderr = capture.stderr.take().unwrap();
    let (started_tx, started) = std::sync::mpsc::channel();
    let log = std::thread::spawn(move || {
        let mut lines = Vec::new();
        for line in std::io::BufRead::lines(std::io::BufReader::new(stderr)).map_while(Result::ok) {
            // Recent tshark logs "Capture started" once dumpcap records; older ones
            // only "Capturing on …", after which a few seconds are enough.
            if line.contains("Capture started") {
                let _ = started_tx.send(());
            } else if line.starts_with("Capturing on") {
                let later = started_tx.clone();
                std::thread::spawn(move || {
                    std::thread::sleep(Duration::from_secs(3));
                    let _ = later.send(());
                });
            }
            lines.push(line);
        }
        lines.join("\n")
    });
    started
        .recv_timeout(Duration::from_secs(30))
        .expect("tshark started capturing within 30 s");

    let runtime = tokio::runtime::Runtime::new().unwrap();
    runtime.block_on(async {
        let list = reqwest::get(format!("http://{}/api/rest/dummies", served.rest))
            .await
            .unwrap();
        assert_eq!(list.status(), 200);
        let graphql = reqwest::Client::new()
            .post(format!("http://{}/api/graphql", served.http))
            .json(&serde_json::json!({"query": "{ dummiesCount }"}))
            .send()
            .await
            .unwrap();
        assert_eq!(graphql.status(), 200);
        // A webhook to rest-svc's own echo receiver: the delivery is a POST on the wire.
        let http = reqwest::Client::new();
        let rest = format!("http://{}", served.rest);
        clients::webhooks::subscribe(&http, &rest, &format!("{rest}/api/webhooks/echo"), &[])
            .await
            .unwrap();
        let created = http
            .post(format!("{rest}/api/rest/dummie"))
            .json(&serde_json::json!({"day": 4, "weekday": "Friday", "month": "December", "year": 2026}))
            .send()
            .await
            .unwrap();
        assert_eq!(created.status(), 201);
        let (mut ws, _) =
            tokio_tungstenite::connect_async(format!("ws://{}/api/ws/echo/", served.ws))
                .await
                .unwrap();
        ws.send(Message::text(r#"{"message":"on the wire"}"#))
            .await
            .unwrap();
        let _ = tokio::time::timeout(Duration::from_secs(5), ws.next()).await;
        let mut greeter = GreeterClient::connect(format!("http://{}", served.grpc))
            .await
            .unwrap();
        greeter
            .say_hello(HelloRequest {
                name: "capture".into(),
            })
            .await
            .unwrap();
    });

    let output = capture.wait_with_output().unwrap();
    let stdout = String::from_utf8_lossy(&output.stdout);
    let stderr = log.join().unwrap();
    assert!(
        output.status.success(),
        "capture failed\n{stdout}\n{stderr}"
    );
    for expected in [
        "GET /api/rest/dummies",
        "POST /api/graphql",
        "POST /api/rest/dummie",
        "POST /api/webhooks/echo",
        "101 Switching Protocols",
        "WebSocket Text",
        "app.HelloRequest",
        "name = capture",
    ] {
        assert!(
            stdout.contains(expected),
            "{expected:?} missing from the capture:\n{stdout}\n{stderr}"
        );
    }
}

test_support::tests! {
    sync: capture_records_rest_a_websocket_handshake_and_decoded_grpc;
}
