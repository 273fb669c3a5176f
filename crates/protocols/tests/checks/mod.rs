//! Checks shared by the test binaries that run the system from outside: the README's curl
//! walkthrough and the tour through a gateway. Each takes the address to check, so the
//! same assertions run against `protocols serve`, the host-run full stack and Compose.

use std::time::Duration;

use futures_util::{SinkExt, StreamExt};
use grpc_svc::pb::app::HelloRequest;
use grpc_svc::pb::app::greeter_client::GreeterClient;
use grpc_svc::pb::dummy::CountDummiesRequest;
use grpc_svc::pb::dummy::dummy_service_client::DummyServiceClient;
use prost::Message as _;
use serde_json::{Value, json};
use tokio_tungstenite::tungstenite::Message;

/// The lines between the walkthrough markers of README.md.
pub fn readme_commands() -> Vec<String> {
    let readme = include_str!("../../../../README.md");
    let start = readme
        .find("<!-- walkthrough:start -->")
        .expect("start marker");
    let end = readme.find("<!-- walkthrough:end -->").expect("end marker");
    readme[start..end]
        .lines()
        .filter(|line| line.starts_with("curl "))
        .map(str::to_owned)
        .collect()
}

/// Runs one README line against `addr` instead of localhost:8080, without `| jq`.
pub fn run(line: &str, addr: &str) -> String {
    let command = line.replace("localhost:8080", addr).replace(" | jq", "");
    let output = std::process::Command::new("bash")
        .args(["-c", &command])
        .output()
        .expect("bash and curl are installed");
    assert!(
        output.status.success(),
        "{command}: {}",
        String::from_utf8_lossy(&output.stderr)
    );
    String::from_utf8(output.stdout).unwrap()
}

fn json(body: &str) -> Value {
    serde_json::from_str(body).unwrap_or_else(|e| panic!("not JSON ({e}): {body}"))
}

/// Runs the README's curl lines against `addr` (a database seeded with 10 rows) and checks each answer.
pub fn check_walkthrough(addr: &str) {
    let commands = readme_commands();
    assert_eq!(
        commands.len(),
        9,
        "the README walkthrough changed: update this test"
    );

    let all = json(&run(&commands[0], addr));
    let ids: Vec<i64> = all
        .as_array()
        .unwrap()
        .iter()
        .map(|d| d["id"].as_i64().unwrap())
        .collect();
    assert_eq!(ids, (1..=10).collect::<Vec<_>>());

    let some = json(&run(&commands[1], addr));
    assert_eq!(some.as_array().unwrap().len(), 3);

    let two = json(&run(&commands[2], addr));
    assert_eq!(two["id"], 2);
    assert_eq!(two["pre_seeded"], true);

    let form = json(&run(&commands[3], addr));
    assert_eq!(
        (
            &form["id"],
            &form["day"],
            &form["weekday"],
            &form["month"],
            &form["year"]
        ),
        (
            &11.into(),
            &1.into(),
            &"Monday".into(),
            &"January".into(),
            &1984.into()
        )
    );

    let from_json = json(&run(&commands[4], addr));
    assert_eq!(
        (&from_json["id"], &from_json["year"]),
        (&12.into(), &1985.into())
    );

    let put = json(&run(&commands[5], addr));
    assert_eq!(
        (&put["id"], &put["day"], &put["month"]),
        (&11.into(), &2.into(), &"February".into())
    );

    let patched = json(&run(&commands[6], addr));
    assert_eq!(patched["year"], 1984);
    let patched = json(&run(&commands[7], addr));
    assert_eq!(patched["year"], 1985);

    let deleted = run(&commands[8], addr);
    assert!(deleted.starts_with("HTTP/1.1 204 No Content"), "{deleted}");
    let gone = run(&commands[2].replace("dummie/2", "dummie/11"), addr);
    assert_eq!(json(&gone), json(r#"{"detail":"Not found."}"#));
}

/// Through a gateway: `http` is its HTTP/1.1 address (8080 in Compose), `grpc` its h2c
/// address (8081). Checks JSON-RPC and XML-RPC, the gateway's own body limit, native gRPC
/// and gRPC-Web, and a chat between two WebSocket clients (on two replicas when there are
/// two, as nginx takes turns). Expects a database holding at least 10 Dummies.
pub async fn check_gateway(through: &str, grpc: &str) {
    let http = reqwest::Client::new();
    // No server banner with a version.
    let index = http.get(format!("http://{through}/")).send().await.unwrap();
    assert_eq!(index.status(), 200);
    assert_eq!(index.headers()["server"], "nginx");

    // JSON-RPC and XML-RPC.
    let json_rpc = json_rpc(through, "add", json!([2, 3])).await;
    assert_eq!(json_rpc["result"], 5);
    let xml = http
        .post(format!("http://{through}/api/rpc/xml"))
        .header("content-type", "text/xml")
        .body("<methodCall><methodName>upper</methodName><params><param><value>gateway</value></param></params></methodCall>")
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(xml.contains("<string>GATEWAY</string>"), "{xml}");

    // The gateway's own body limit (client_max_body_size 1m on this port) answers
    // before any service sees the body.
    let too_big = http
        .post(format!("http://{through}/api/rpc/json"))
        .header("content-type", "application/json")
        .body(vec![b' '; 2 * 1024 * 1024])
        .send()
        .await
        .unwrap();
    assert_eq!(too_big.status(), 413);

    // Native gRPC through grpc_pass (HTTP/2 cleartext on the gateway's gRPC port).
    let mut greeter = GreeterClient::connect(format!("http://{grpc}"))
        .await
        .unwrap();
    let hello = greeter
        .say_hello(HelloRequest {
            name: "gateway".into(),
        })
        .await
        .unwrap();
    assert_eq!(hello.into_inner().message, "Hello, gateway!");
    let mut dummies = DummyServiceClient::connect(format!("http://{grpc}"))
        .await
        .unwrap();
    let count = dummies
        .count_dummies(CountDummiesRequest {})
        .await
        .unwrap()
        .into_inner();
    assert!(count.count >= 10);

    // gRPC-Web over HTTP/1.1 on the main port.
    let message = HelloRequest { name: "web".into() }.encode_to_vec();
    let mut frame = vec![0u8];
    frame.extend_from_slice(&(message.len() as u32).to_be_bytes());
    frame.extend_from_slice(&message);
    let response = http
        .post(format!("http://{through}/app.Greeter/SayHello"))
        .header("content-type", "application/grpc-web+proto")
        .header("x-grpc-web", "1")
        .body(frame)
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 200);
    let body = response.bytes().await.unwrap();
    assert!(String::from_utf8_lossy(&body).contains("Hello, web!"));
    assert!(String::from_utf8_lossy(&body).contains("grpc-status:0"));

    // WebSocket: two clients, one per replica (round robin), one room.
    let room = format!("ws://{through}/api/ws/chat/gateway/");
    let (mut alice, _) = tokio_tungstenite::connect_async(room.as_str())
        .await
        .unwrap();
    let (mut bob, _) = tokio_tungstenite::connect_async(room.as_str())
        .await
        .unwrap();
    // Both replicas' hubs subscribe as they start; give the second a moment.
    tokio::time::sleep(Duration::from_millis(500)).await;
    alice
        .send(Message::text(
            json!({"message": "through nginx"}).to_string(),
        ))
        .await
        .unwrap();
    for ws in [&mut alice, &mut bob] {
        let text = loop {
            match tokio::time::timeout(Duration::from_secs(10), ws.next())
                .await
                .unwrap()
                .unwrap()
                .unwrap()
            {
                Message::Text(text) => break text,
                _ => continue,
            }
        };
        let got: Value = serde_json::from_str(&text).unwrap();
        assert_eq!(got["message"], "through nginx");
    }
}

/// One JSON-RPC 2.0 call (id 1) to `addr`'s `/api/rpc/json`; the whole answer object.
pub async fn json_rpc(addr: &str, method: &str, params: Value) -> Value {
    reqwest::Client::new()
        .post(format!("http://{addr}/api/rpc/json"))
        .json(&json!({"jsonrpc": "2.0", "method": method, "params": params, "id": 1}))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap()
}
