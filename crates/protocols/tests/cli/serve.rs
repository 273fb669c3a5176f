//! `protocols serve`: both ports answer, and SIGTERM stops it cleanly.

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
    });
    let line = served.log_line("GET /api/rest/dummies?limit=1 HTTP/1.1 200 2 B");
    assert!(line.contains(" ms") && line.contains("INFO"), "{line}");
    served.log_line("GET /api/rest/dummie/424242 HTTP/1.1 404");
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

test_support::tests! {
    sync:
        serve_logs_one_line_per_request,
        serve_answers_413_to_a_client_that_writes_the_whole_body_first,
        serve_answers_on_every_port_and_stops_on_sigterm,
        serve_listens_with_its_database_down_and_stops_on_sigterm;
}
