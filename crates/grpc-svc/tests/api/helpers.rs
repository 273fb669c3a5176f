//! Starts grpc-svc the way `main` does, on `127.0.0.1:0`, against a fresh database.

use std::future::Future;
use std::ops::Deref;
use std::time::Duration;

use grpc_pb::app::greeter_client::GreeterClient;
use grpc_pb::dummy::dummy_service_client::DummyServiceClient;
use grpc_pb::echo::echo_service_client::EchoServiceClient;
use grpc_svc::startup::{GrpcSettings, TlsSettings};
use model::{DatabaseUrl, PoolOptions, Store};
use test_support::server::Server;
use test_support::{Backend, TestDb};
use tokio_util::sync::CancellationToken;
use tonic::transport::Channel;

/// The message limit the tests run with.
pub const MAX_MESSAGE: usize = 64 * 1024;

/// A running grpc-svc and a channel to it.
pub struct TestApp {
    pub server: Server,
    pub channel: Channel,
}

impl Deref for TestApp {
    type Target = Server;
    fn deref(&self) -> &Server {
        &self.server
    }
}

pub fn settings(tls: Option<TlsSettings>) -> GrpcSettings {
    GrpcSettings {
        addr: "127.0.0.1:0".parse().unwrap(),
        max_message_bytes: MAX_MESSAGE,
        health_interval: Duration::from_millis(200),
        tls,
        shutdown_grace: Duration::from_secs(1),
    }
}

impl TestApp {
    pub async fn spawn(backend: Backend) -> TestApp {
        let db = TestDb::new(backend);
        let store = db.migrated_store().await;
        TestApp::start(store, Some(db)).await
    }

    pub async fn sqlite() -> TestApp {
        TestApp::spawn(Backend::Sqlite).await
    }

    pub async fn spawn_with_url(url: &DatabaseUrl) -> TestApp {
        let options = PoolOptions {
            max_size: 2,
            connection_timeout: Duration::from_millis(300),
            ..PoolOptions::default()
        };
        TestApp::start(Store::open(url, &options), None).await
    }

    /// Starts the service on this store, which keeps `db` alive.
    pub async fn start(store: Store, db: Option<TestDb>) -> TestApp {
        let app = grpc_svc::startup::build(&settings(None), store.clone())
            .await
            .expect("bind 127.0.0.1:0");
        let addr = app.local_addr();
        let shutdown = CancellationToken::new();
        let serving = app.run_until_stopped(shutdown.clone());
        let server = Server::start(addr, store, db, shutdown, serving);
        let channel = Channel::from_shared(format!("http://{addr}"))
            .unwrap()
            .connect()
            .await
            .expect("connect to the test server");
        TestApp { server, channel }
    }

    pub fn greeter(&self) -> GreeterClient<Channel> {
        GreeterClient::new(self.channel.clone())
    }

    pub fn echo(&self) -> EchoServiceClient<Channel> {
        EchoServiceClient::new(self.channel.clone())
    }

    pub fn dummies(&self) -> DummyServiceClient<Channel> {
        DummyServiceClient::new(self.channel.clone())
    }
}

/// Waits at most 10 s for a future, so a broken stream fails the test instead of hanging it.
pub async fn within<T>(future: impl Future<Output = T>) -> T {
    tokio::time::timeout(Duration::from_secs(10), future)
        .await
        .expect("no answer within 10 s")
}
