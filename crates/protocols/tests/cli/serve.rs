//! `protocols serve`: both ports answer, and SIGTERM stops it cleanly.

use test_support::TestDb;

use crate::helpers::Served;

#[test]
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
