//! Starts messaging-svc the way `main` does, against a fresh database, a vhost of its
//! own on the machine's RabbitMQ and a Mosquitto of its own.

use std::ops::{Deref, DerefMut};
use std::time::{Duration, Instant};

use messaging_svc::Args;
use model::{Day, Dummy, DummyData, DummyId, DummyPatch, Month, NewDummy, Store, Weekday};
use serde_json::Value;
use test_support::brokers::{Mosquitto, Vhost};
use test_support::server::Server;
use test_support::{Backend, TestDb};
use tokio_util::sync::CancellationToken;

/// How long a test waits for a message it expects.
pub const WAIT: Duration = Duration::from_secs(10);

/// A running messaging-svc and its brokers.
pub struct TestApp {
    server: Server,
    /// Its RabbitMQ vhost (`None` when the test brought its own node), deleted when
    /// the test ends.
    _vhost: Option<Vhost>,
    /// `AMQP_URL`.
    pub amqp_url: String,
    /// Its Mosquitto.
    pub mosquitto: Mosquitto,
    /// An HTTP client.
    pub client: reqwest::Client,
}

impl Deref for TestApp {
    type Target = Server;
    fn deref(&self) -> &Server {
        &self.server
    }
}

impl DerefMut for TestApp {
    fn deref_mut(&mut self) -> &mut Server {
        &mut self.server
    }
}

/// The service's settings for these brokers.
pub fn args(amqp_url: &str, mqtt_addr: &str) -> Args {
    runtime::service::parse(&["--amqp-url", amqp_url, "--mqtt-addr", mqtt_addr])
        .expect("messaging-svc's settings")
}

impl TestApp {
    /// Starts the service on a fresh database of this backend, and waits until both
    /// brokers are connected.
    pub async fn spawn(backend: Backend) -> TestApp {
        let vhost = Vhost::new().await;
        let amqp_url = vhost.url();
        let app =
            TestApp::start_with(backend, amqp_url, Some(vhost), Mosquitto::start().await).await;
        app.wait_health(200).await;
        app
    }

    /// Starts the service on these brokers; does not wait for them.
    pub async fn start_with(
        backend: Backend,
        amqp_url: String,
        vhost: Option<Vhost>,
        mosquitto: Mosquitto,
    ) -> TestApp {
        let db = TestDb::new(backend);
        let store = db.migrated_store().await;
        TestApp::start(store, Some(db), amqp_url, vhost, mosquitto)
    }

    /// Starts the service on this store.
    pub fn start(
        store: Store,
        db: Option<TestDb>,
        amqp_url: String,
        vhost: Option<Vhost>,
        mosquitto: Mosquitto,
    ) -> TestApp {
        let shutdown = CancellationToken::new();
        let args = args(&amqp_url, &mosquitto.addr());
        let build = |settings: &_| {
            messaging_svc::startup::build(settings, &args, store.clone(), shutdown.clone())
        };
        TestApp {
            server: Server::http(store.clone(), db, shutdown.clone(), build),
            _vhost: vhost,
            amqp_url,
            mosquitto,
            client: test_support::server::http_client(),
        }
    }

    /// `GET /healthz`: status and body.
    pub async fn health(&self) -> (u16, Value) {
        let response = self.client.get(self.url("/healthz")).send().await.unwrap();
        let status = response.status().as_u16();
        (status, response.json().await.unwrap())
    }

    /// Waits until `/healthz` answers `status`.
    pub async fn wait_health(&self, status: u16) -> Value {
        let started = Instant::now();
        loop {
            let (now, body) = self.health().await;
            if now == status {
                return body;
            }
            assert!(
                started.elapsed() < Duration::from_secs(30),
                "/healthz stays {now}: {body}"
            );
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    }

    /// Creates a Dummy through the store (a change in the journal).
    pub async fn create(&self, day: u8) -> Dummy {
        self.store
            .create(NewDummy {
                data: DummyData {
                    day: Day::new(i64::from(day)).unwrap(),
                    weekday: Weekday::Tuesday,
                    month: Month::March,
                    year: 1999,
                },
                pre_seeded: false,
            })
            .await
            .unwrap()
    }

    /// Moves a Dummy's day.
    pub async fn update(&self, id: DummyId, day: u8) -> Dummy {
        let patch = DummyPatch {
            day: Some(Day::new(i64::from(day)).unwrap()),
            ..DummyPatch::default()
        };
        self.store.patch(id, patch).await.unwrap()
    }

    /// Deletes a Dummy.
    pub async fn delete(&self, id: DummyId) {
        self.store.delete(id).await.unwrap();
    }
}
