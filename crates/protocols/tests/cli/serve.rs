//! `protocols serve`: both ports answer, and SIGTERM stops it cleanly.

use grpc_pb::app::HelloRequest;
use grpc_pb::dummy::GetDummyRequest;
use grpc_pb::dummy::dummy_service_client::DummyServiceClient;
use grpc_pb::echo::ServerStreamingEchoRequest;
use prost::Message;
use test_support::TestDb;

use crate::checks::json_rpc;
use crate::helpers::Served;

fn serve_answers_on_every_port_and_stops_on_sigterm() {
    let db = TestDb::sqlite();
    let served = Served::start(&db.url);
    let runtime = tokio::runtime::Runtime::new().unwrap();
    runtime.block_on(async {
        let client = reqwest::Client::new();
        for addr in [&served.http, &served.rest] {
            let health = client
                .get(format!("http://{addr}/healthz"))
                .send()
                .await
                .unwrap();
            assert_eq!(health.status(), 200, "{addr}");
            let list = client
                .get(format!("http://{addr}/api/rest/dummies"))
                .send()
                .await
                .unwrap();
            assert_eq!(list.text().await.unwrap(), "[]");
        }
        let index = client
            .get(format!("http://{}/", served.http))
            .send()
            .await
            .unwrap();
        assert_eq!(index.status(), 200);
        assert!(
            index
                .text()
                .await
                .unwrap()
                .contains("<title>protocols</title>")
        );
    });
    let status = served.terminate();
    assert!(status.success(), "exit status after SIGTERM: {status}");
}

/// One log line per request, as Django's development server prints: method, path,
/// version, status, size and duration.
fn serve_logs_one_line_per_request() {
    let db = TestDb::sqlite();
    let served = Served::start_logging(&db.url);
    let runtime = tokio::runtime::Runtime::new().unwrap();
    runtime.block_on(async {
        let client = reqwest::Client::new();
        let list = format!("http://{}/api/rest/dummies?limit=1", served.http);
        assert_eq!(client.get(&list).send().await.unwrap().status(), 200);
        let missing = format!("http://{}/api/rest/dummie/424242", served.rest);
        assert_eq!(client.get(&missing).send().await.unwrap().status(), 404);
        let mut dummies = DummyServiceClient::connect(format!("http://{}", served.grpc))
            .await
            .unwrap();
        let refused = dummies
            .get_dummy(GetDummyRequest { id: 424_242 })
            .await
            .unwrap_err();
        assert_eq!(refused.code(), tonic::Code::NotFound);
    });
    let line = served.log_line("GET /api/rest/dummies?limit=1 HTTP/1.1 200 2 B");
    assert!(line.contains(" ms") && line.contains("INFO"), "{line}");
    served.log_line("GET /api/rest/dummie/424242 HTTP/1.1 404");
    // gRPC's outcome is grpc-status (5: NOT_FOUND), not the HTTP status.
    served.log_line("POST /dummy.v1.DummyService/GetDummy HTTP/2.0 200 grpc-status=5");
    let status = served.terminate();
    assert!(status.success(), "exit status after SIGTERM: {status}");
}

/// The composed port carries gRPC-Web as the gateway does: a unary call and a
/// server-streaming one, framed by hand (5-byte prefix; the status in a last frame
/// flagged 0x80), forwarded to the process's own gRPC server.
fn serve_carries_grpc_web_on_the_composed_port() {
    let db = TestDb::sqlite();
    let served = Served::start(&db.url);
    let runtime = tokio::runtime::Runtime::new().unwrap();
    let framed = |message: Vec<u8>| {
        let mut frame = vec![0u8];
        frame.extend_from_slice(&u32::try_from(message.len()).unwrap().to_be_bytes());
        frame.extend_from_slice(&message);
        frame
    };
    runtime.block_on(async {
        let client = reqwest::Client::new();
        let call = |path: &str, message: Vec<u8>| {
            client
                .post(format!("http://{}{path}", served.http))
                .header("content-type", "application/grpc-web+proto")
                .header("x-grpc-web", "1")
                .body(framed(message))
                .send()
        };
        let hello = call(
            "/app.Greeter/SayHello",
            HelloRequest { name: "web".into() }.encode_to_vec(),
        )
        .await
        .unwrap();
        assert_eq!(hello.status(), 200);
        assert_eq!(
            hello.headers()["content-type"],
            "application/grpc-web+proto"
        );
        let body = String::from_utf8_lossy(&hello.bytes().await.unwrap()).into_owned();
        assert!(body.contains("Hello, web!"), "{body}");
        assert!(body.contains("grpc-status:0"), "{body}");

        let words = call(
            "/echo.v1.EchoService/ServerStreamingEcho",
            ServerStreamingEchoRequest {
                message: "one two three".into(),
                delay_ms: 50,
            }
            .encode_to_vec(),
        )
        .await
        .unwrap();
        let body = words.bytes().await.unwrap();
        // Three data frames (flag 0) and the trailers frame (flag 0x80).
        let mut flags = Vec::new();
        let mut rest = &body[..];
        while rest.len() >= 5 {
            let length = u32::from_be_bytes(rest[1..5].try_into().unwrap()) as usize;
            flags.push(rest[0]);
            rest = &rest[5 + length..];
        }
        assert_eq!(flags, [0, 0, 0, 0x80], "{body:?}");
        assert!(String::from_utf8_lossy(&body).contains("grpc-status:0"));
    });
    let status = served.terminate();
    assert!(status.success(), "exit status after SIGTERM: {status}");
}

/// A client that writes a 16 MB body before it reads gets the 413 on the composed port,
/// for REST and for both RPC envelopes (the server discards what it did not read).
fn serve_answers_413_to_a_client_that_writes_the_whole_body_first() {
    let db = TestDb::sqlite();
    let served = Served::start(&db.url);
    let addr = served.http.parse().unwrap();
    let runtime = tokio::runtime::Runtime::new().unwrap();
    for (path, content_type, marker) in [
        ("/api/rest/dummie", "application/json", "\"detail\""),
        ("/api/rpc/json", "application/json", "-32600"),
        ("/api/rpc/xml", "text/xml", "<name>faultCode</name>"),
    ] {
        let (status, body) = runtime.block_on(test_support::post_whole_body_then_read(
            addr,
            path,
            content_type,
            16 * 1024 * 1024,
        ));
        assert_eq!(status, 413, "{path}: {body}");
        assert!(body.contains(marker), "{path}: {body}");
    }
    let status = served.terminate();
    assert!(status.success(), "exit status after SIGTERM: {status}");
}

/// With its PostgreSQL down, `serve` still opens every port, answers "unavailable" in each
/// protocol's form, and stops on SIGTERM within its grace period. (It used to wait for the
/// database before listening, deaf to Ctrl-C and SIGTERM.)
fn serve_listens_with_its_database_down_and_stops_on_sigterm() {
    let closed = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let port = closed.local_addr().unwrap().port();
    drop(closed);
    let url = model::DatabaseUrl::parse(&format!("postgres://nobody@127.0.0.1:{port}/protocols"))
        .unwrap();
    let served = Served::start(&url);
    let runtime = tokio::runtime::Runtime::new().unwrap();
    runtime.block_on(async {
        let client = reqwest::Client::new();
        for addr in [&served.http, &served.rest] {
            let health = client
                .get(format!("http://{addr}/healthz"))
                .send()
                .await
                .unwrap();
            assert_eq!(health.status(), 503, "{addr}/healthz");
            let list = client
                .get(format!("http://{addr}/api/rest/dummies"))
                .send()
                .await
                .unwrap();
            assert_eq!(list.status(), 503, "{addr}/api/rest/dummies");
        }
        let rpc = json_rpc(&served.http, "dummies.count", serde_json::json!([])).await;
        assert_eq!(rpc["error"]["code"], 4, "{rpc}");
    });
    let stopping = std::time::Instant::now();
    let status = served.terminate();
    assert!(status.success(), "exit status after SIGTERM: {status}");
    assert!(
        stopping.elapsed() < std::time::Duration::from_secs(5),
        "serve took {:?} to stop with its database down",
        stopping.elapsed()
    );
}

/// A port that is taken stops `serve` at once, and its error names the address, the
/// setting and what the operating system said.
fn serve_names_the_setting_of_a_port_it_cannot_take() {
    let taken = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let addr = taken.local_addr().unwrap();
    let db = TestDb::sqlite();
    let output = crate::helpers::protocols()
        .arg("serve")
        .args(["--rest-addr", &addr.to_string()])
        .args(["--rpc-addr", "127.0.0.1:0", "--ws-addr", "127.0.0.1:0"])
        .args([
            "--graphql-addr",
            "127.0.0.1:0",
            "--messaging-addr",
            "127.0.0.1:0",
        ])
        .args(["--amqp-url", "", "--mqtt-addr", ""])
        .args(["--grpc-addr", "127.0.0.1:0", "--http-addr", "127.0.0.1:0"])
        .arg("--database-url")
        .arg(db.url.expose())
        .output()
        .unwrap();
    assert!(!output.status.success());
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(
        stderr.contains(&format!("cannot listen on {addr} (REST_ADDR): ")),
        "{stderr}"
    );
    assert!(stderr.to_lowercase().contains("in use"), "{stderr}");
}

test_support::tests! {
    sync:
        serve_carries_grpc_web_on_the_composed_port,
        serve_logs_one_line_per_request,
        serve_answers_413_to_a_client_that_writes_the_whole_body_first,
        serve_answers_on_every_port_and_stops_on_sigterm,
        serve_listens_with_its_database_down_and_stops_on_sigterm,
        serve_names_the_setting_of_a_port_it_cannot_take;
}
