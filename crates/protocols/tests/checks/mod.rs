//! Checks shared by the test binaries that run the system from outside: the README's curl
//! walkthrough and the tour through a gateway. Each takes the address to check, so the
//! same assertions run against `protocols serve`, the host-run full stack and Compose.

use std::time::Duration;

use futures_util::{SinkExt, StreamExt};
use grpc_pb::app::HelloRequest;
use grpc_pb::app::greeter_client::GreeterClient;
use grpc_pb::dummy::CountDummiesRequest;
use grpc_pb::dummy::dummy_service_client::DummyServiceClient;
use prost::Message as _;
use serde_json::{Value, json};
use tokio_tungstenite::tungstenite::Message;
use tokio_tungstenite::tungstenite::client::IntoClientRequest;

/// The README walkthrough's command lines (between its markers): `curl …`, and
/// `id=$(curl … | jq .id)`, which keeps the id of the record it creates for the lines
/// after it (they say `"…/dummie/$id"`).
pub fn readme_commands() -> Vec<String> {
    let readme = include_str!("../../../../README.md");
    let start = readme
        .find("<!-- walkthrough:start -->")
        .expect("start marker");
    let end = readme.find("<!-- walkthrough:end -->").expect("end marker");
    readme[start..end]
        .lines()
        .filter(|line| line.starts_with("curl ") || line.starts_with("id=$(curl "))
        .map(str::to_owned)
        .collect()
}

/// Runs one README line with bash against `addr` instead of localhost:8080, without its
/// closing `| jq` (which only pretty-prints), with `$id` set to `id`.
pub fn run(line: &str, addr: &str, id: Option<i64>) -> String {
    let line = line.strip_suffix(" | jq").unwrap_or(line);
    let command = line.replace("localhost:8080", addr);
    let mut bash = std::process::Command::new("bash");
    bash.args(["-c", &command]);
    if let Some(id) = id {
        bash.env("id", id.to_string());
    }
    let output = bash.output().expect("bash and curl are installed");
    assert!(
        output.status.success(),
        "{command}: {}",
        String::from_utf8_lossy(&output.stderr)
    );
    String::from_utf8(output.stdout).unwrap()
}

/// The command inside `id=$(… | jq .id)`: the test reads `.id` from its answer itself,
/// so it needs no jq.
fn captured_command(line: &str) -> &str {
    line.strip_prefix("id=$(")
        .and_then(|rest| rest.strip_suffix(" | jq .id)"))
        .unwrap_or_else(|| panic!("not of the form id=$(curl … | jq .id): {line}"))
}

fn json(body: &str) -> Value {
    serde_json::from_str(body).unwrap_or_else(|e| panic!("not JSON ({e}): {body}"))
}

/// Runs the README's walkthrough against `addr` (a database seeded with ids 1 to 10)
/// twice, as a reader who tries it again would, and checks each answer.
pub fn check_walkthrough(addr: &str) {
    let commands = readme_commands();
    assert_eq!(
        commands.len(),
        9,
        "the README walkthrough changed: update this test"
    );
    // The ids in the table: the seeded ten, then each round's form-created record (the
    // JSON-created one is deleted at the end of its round).
    let mut ids: Vec<i64> = (1..=10).collect();
    for round in 1..=2 {
        walk_through(&commands, addr, &mut ids, round);
    }
}

/// One round of the walkthrough; `ids` are the records there before it, and after.
fn walk_through(commands: &[String], addr: &str, ids: &mut Vec<i64>, round: u32) {
    let all = json(&run(&commands[0], addr, None));
    let listed: Vec<i64> = all
        .as_array()
        .unwrap()
        .iter()
        .map(|d| d["id"].as_i64().unwrap())
        .collect();
    assert_eq!(&listed, ids, "round {round}: every record, ordered by id");

    let some = json(&run(&commands[1], addr, None));
    assert_eq!(some.as_array().unwrap().len(), 3, "round {round}");

    let two = json(&run(&commands[2], addr, None));
    assert_eq!(two["id"], 2, "round {round}");
    assert_eq!(two["pre_seeded"], true, "round {round}");

    let form = json(&run(&commands[3], addr, None));
    let form_id = form["id"].as_i64().expect("the created record's id");
    assert!(
        form_id > *ids.last().unwrap(),
        "round {round}: a new id: {form}"
    );
    assert_eq!(
        (
            &form["day"],
            &form["weekday"],
            &form["month"],
            &form["year"]
        ),
        (&1.into(), &"Monday".into(), &"January".into(), &1984.into()),
        "round {round}"
    );
    if round == 1 {
        assert_eq!(form_id, 11, "on a fresh database, as the README says");
    }

    // id=$(curl … | jq .id): the id the lines below work on.
    let from_json = json(&run(captured_command(&commands[4]), addr, None));
    let id = from_json["id"].as_i64().expect("the created record's id");
    assert!(id > form_id, "round {round}: a new id: {from_json}");
    assert_eq!(from_json["year"], 1985, "round {round}");
    if round == 1 {
        assert_eq!(id, 12, "on a fresh database, as the README says");
    }

    let put = json(&run(&commands[5], addr, Some(id)));
    assert_eq!(
        (&put["id"], &put["day"], &put["month"]),
        (&id.into(), &2.into(), &"February".into()),
        "round {round}"
    );

    let patched = json(&run(&commands[6], addr, Some(id)));
    assert_eq!(
        (&patched["id"], &patched["year"]),
        (&id.into(), &1984.into())
    );
    let patched = json(&run(&commands[7], addr, Some(id)));
    assert_eq!(
        (&patched["id"], &patched["year"]),
        (&id.into(), &1985.into())
    );

    let deleted = run(&commands[8], addr, Some(id));
    assert!(
        deleted.starts_with("HTTP/1.1 204 No Content"),
        "round {round}: {deleted}"
    );
    let gone = run(
        &commands[2].replace("dummie/2", &format!("dummie/{id}")),
        addr,
        None,
    );
    assert_eq!(json(&gone), json(r#"{"detail":"Not found."}"#));

    ids.push(form_id);
}

/// Through a gateway: `http` is its HTTP/1.1 address (8080 in Compose), `grpc` its h2c
/// address (8081). Checks JSON-RPC and XML-RPC, the gateway's own body limit, native gRPC
/// and gRPC-Web, a chat between two WebSocket clients (on two replicas when there are
/// two, as nginx takes turns), and the WebSocket paths without their trailing slash and
/// the index at `/api/ws/`. Expects a database holding at least 10 Dummies.
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

    check_ws_paths(through).await;
    check_graphql(through).await;
}

/// Webhooks through the gateway: a subscription made at `through` for the receiver at
/// `echo` (rest-svc's echo receiver, as rest-svc reaches it: through the gateway, so
/// the delivery crosses the network), a create, and the delivery log showing it
/// delivered and verified (the echo receiver answers 200 only to a good signature).
pub async fn check_webhooks(through: &str, echo: &str) {
    let http = reqwest::Client::new();
    let base = format!("http://{through}");
    let hook = clients::webhooks::subscribe(&http, &base, echo, &["created"])
        .await
        .unwrap();
    let created = rest_create(
        through,
        json!({"day": 4, "weekday": "Friday", "month": "December", "year": 2026}),
    )
    .await;
    let deadline = std::time::Instant::now() + Duration::from_secs(30);
    let entry = loop {
        let log = clients::webhooks::deliveries(&http, &base, hook.id, 10)
            .await
            .unwrap();
        if let Some(entry) = log.first().filter(|e| e["state"] == "delivered") {
            break entry.clone();
        }
        assert!(
            std::time::Instant::now() < deadline,
            "no delivery to {echo} within 30 s: {log:?}"
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    };
    assert_eq!(entry["response_status"], 200, "{entry}");
    assert_eq!(
        entry["body"]["data"]["dummy"]["id"], created["id"],
        "{entry}"
    );
    clients::webhooks::unsubscribe(&http, &base, hook.id)
        .await
        .unwrap();
}

/// GraphQL through the gateway: a query over POST and over GET, and a subscription
/// over the WebSocket upgrade (`graphql-transport-ws`) that sees a mutation's write.
async fn check_graphql(through: &str) {
    let http = reqwest::Client::new();
    let url = format!("http://{through}/api/graphql");
    let post: Value = http
        .post(&url)
        .json(&json!({"query": "{ dummiesCount }"}))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let count = post["data"]["dummiesCount"]
        .as_i64()
        .unwrap_or_else(|| panic!("{post}"));
    assert!(count >= 10, "{post}");
    let get: Value = http
        .get(&url)
        .query(&[("query", "{ dummies(first: 2) { edges { node { id } } } }")])
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(
        get["data"]["dummies"]["edges"].as_array().map(Vec::len),
        Some(2),
        "{get}"
    );

    let mut request = format!("ws://{through}/api/graphql")
        .into_client_request()
        .unwrap();
    request.headers_mut().insert(
        "sec-websocket-protocol",
        "graphql-transport-ws".parse().unwrap(),
    );
    let (mut socket, _) = tokio_tungstenite::connect_async(request)
        .await
        .unwrap_or_else(|e| panic!("a GraphQL WebSocket through the gateway: {e}"));
    let send = |message: Value| Message::text(message.to_string());
    socket
        .send(send(json!({"type": "connection_init"})))
        .await
        .unwrap();
    assert_eq!(graphql_message(&mut socket).await["type"], "connection_ack");
    socket
        .send(send(json!({"id": "g", "type": "subscribe", "payload": {
            "query": "subscription { dummyChanged(kinds: [CREATED]) { ... on DummyChanged { dummy { day year } } } }",
        }})))
        .await
        .unwrap();
    // The subscription goes live a moment after the server reads it: write until seen.
    let create = json!({"query": "mutation { createDummy(input: {day: 17, weekday: MONDAY, month: MAY, year: 1917}) { id } }"});
    let event = 'seen: {
        for _ in 0..30 {
            http.post(&url).json(&create).send().await.unwrap();
            if let Ok(event) =
                tokio::time::timeout(Duration::from_millis(300), graphql_message(&mut socket)).await
            {
                break 'seen event;
            }
        }
        panic!("no subscription event through the gateway");
    };
    assert_eq!(
        event["payload"]["data"]["dummyChanged"]["dummy"],
        json!({"day": 17, "year": 1917}),
        "{event}"
    );
}

/// The next text message of a GraphQL WebSocket, as JSON.
async fn graphql_message(
    socket: &mut tokio_tungstenite::WebSocketStream<
        tokio_tungstenite::MaybeTlsStream<tokio::net::TcpStream>,
    >,
) -> Value {
    loop {
        match tokio::time::timeout(Duration::from_secs(10), socket.next())
            .await
            .expect("a GraphQL message within 10 s")
            .expect("the GraphQL WebSocket ended")
            .unwrap()
        {
            Message::Text(text) => return serde_json::from_str(&text).unwrap(),
            _ => continue,
        }
    }
}

/// ws-svc's paths through the gateway as the original's clients write them, without
/// the trailing slash, and its index of the endpoints at `/api/ws/` (and `/api/ws`).
async fn check_ws_paths(through: &str) {
    let (mut echo, _) = tokio_tungstenite::connect_async(format!("ws://{through}/api/ws/echo"))
        .await
        .unwrap_or_else(|e| panic!("a handshake on /api/ws/echo through the gateway: {e}"));
    echo.send(Message::text(json!({"message": "no slash"}).to_string()))
        .await
        .unwrap();
    let text = loop {
        match tokio::time::timeout(Duration::from_secs(10), echo.next())
            .await
            .unwrap()
            .unwrap()
            .unwrap()
        {
            Message::Text(text) => break text,
            _ => continue,
        }
    };
    assert_eq!(
        serde_json::from_str::<Value>(&text).unwrap(),
        json!({"message": "no slash"})
    );

    let no_redirects = reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .unwrap();
    // A browser asking for a page without the slash is sent to the one with it.
    let page = no_redirects
        .get(format!("http://{through}/api/ws/chat/lobby"))
        .send()
        .await
        .unwrap();
    assert_eq!(page.status(), 301);
    assert_eq!(page.headers()["location"], "/api/ws/chat/lobby/");

    for path in ["/api/ws/", "/api/ws"] {
        let index = no_redirects
            .get(format!("http://{through}{path}"))
            .send()
            .await
            .unwrap();
        assert_eq!(index.status(), 200, "GET {path} through the gateway");
        let index: Value = index.json().await.unwrap();
        let paths: Vec<&str> = index["endpoints"]
            .as_array()
            .unwrap_or_else(|| panic!("GET {path}: a list of endpoints: {index}"))
            .iter()
            .filter_map(|e| e["path"].as_str())
            .collect();
        assert!(paths.contains(&"/api/ws/echo/"), "GET {path}: {index}");
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

/// `POST /api/rest/dummie` on `addr` (a host and port); the record REST answers with.
pub async fn rest_create(addr: &str, dummy: Value) -> Value {
    let response = reqwest::Client::new()
        .post(format!("http://{addr}/api/rest/dummie"))
        .json(&dummy)
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 201, "create on {addr}");
    response.json().await.unwrap()
}

/// The next text message on a WebSocket, as JSON, within 10 s (pings and pongs skipped).
pub async fn next_text(
    ws: &mut (impl StreamExt<Item = Result<Message, tokio_tungstenite::tungstenite::Error>> + Unpin),
) -> Value {
    clients::ws::next_json(ws)
        .await
        .unwrap_or_else(|e| panic!("{e}"))
}

/// The HTTP playground through a proxy (`through`): the reflection shows the client's
/// own address (from `X-Forwarded-For`) and the `Host` it used, a stream's lines pass
/// as they come, a range and a gzip answer go through untouched, and a redirect's
/// `Location` stays a path on the address the client used.
pub async fn check_playground(through: &str) {
    let http = reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .unwrap();
    let base = format!("http://{through}/api/http");
    let response = http
        .get(format!("{base}/anything?via=gateway"))
        .send()
        .await
        .unwrap();
    assert_eq!(response.headers()["x-http-version"], "HTTP/1.1");
    let reflection: Value = response.json().await.unwrap();
    assert_eq!(
        reflection["args"],
        json!({"via": "gateway"}),
        "{reflection}"
    );
    assert_eq!(reflection["headers"]["host"], through, "{reflection}");
    assert!(
        reflection["headers"]["x-forwarded-for"].is_string(),
        "the proxy says whom it forwards for: {reflection}"
    );

    let lines = http
        .get(format!("{base}/stream/3"))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert_eq!(lines.lines().count(), 3, "{lines}");

    let range = http
        .get(format!("{base}/range/26"))
        .header("Range", "bytes=23-")
        .send()
        .await
        .unwrap();
    assert_eq!(range.status(), 206);
    assert_eq!(range.headers()["content-range"], "bytes 23-25/26");
    assert_eq!(range.text().await.unwrap(), "xyz");

    let gzip = http
        .get(format!("{base}/gzip"))
        .header("Accept-Encoding", "gzip")
        .send()
        .await
        .unwrap();
    assert_eq!(gzip.headers()["content-encoding"], "gzip");
    assert_eq!(
        &gzip.bytes().await.unwrap()[..2],
        [0x1f, 0x8b],
        "gzip's magic"
    );

    let redirect = http.get(format!("{base}/redirect/2")).send().await.unwrap();
    assert_eq!(redirect.headers()["location"], "/api/http/redirect/1");
}
