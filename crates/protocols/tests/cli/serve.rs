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
        serve_answers_on_every_port_and_stops_on_sigterm,
        serve_listens_with_its_database_down_and_stops_on_sigterm;
}
