//! Builds the gRPC server: the three services, reflection, health, gRPC-Web with CORS,
//! optional TLS. `main`, `protocols serve` and the tests call the same [`build`].

use std::net::SocketAddr;
use std::time::Duration;

use http::header::HeaderName;
use model::Store;
use tokio_util::sync::CancellationToken;
use tonic::codec::CompressionEncoding;
use tonic::transport::server::TcpIncoming;
use tonic::transport::{Certificate, Identity, Server, ServerTlsConfig};
use tonic_health::ServingStatus;
use tonic_health::server::HealthReporter;
use tower_http::cors::{AllowOrigin, CorsLayer};

use crate::pb;
use crate::pb::app::greeter_server::GreeterServer;
use crate::pb::dummy::dummy_service_server::DummyServiceServer;
use crate::pb::echo::echo_service_server::EchoServiceServer;
use crate::pb::playground::playground_service_server::PlaygroundServiceServer;
use crate::service::dummy::Dummies;
use crate::service::echo::Echo;
use crate::service::greeter::GreeterService;
use crate::service::playground::{MetadataEchoLayer, Playground};

/// PEM files for TLS; with `client_ca` the server also asks clients for a certificate (mTLS).
#[derive(Debug, Clone)]
pub struct TlsSettings {
    /// The server's certificate chain, PEM.
    pub cert_pem: Vec<u8>,
    /// The server's private key, PEM.
    pub key_pem: Vec<u8>,
    /// The CA that client certificates must chain to, PEM; `None` for server-only TLS.
    pub client_ca_pem: Option<Vec<u8>>,
}

/// Everything the gRPC server needs besides the store.
#[derive(Debug, Clone)]
pub struct GrpcSettings {
    /// Where to listen; port 0 picks a free one.
    pub addr: SocketAddr,
    /// Largest request message, in bytes; larger ones get RESOURCE_EXHAUSTED.
    pub max_message_bytes: usize,
    /// How often the health service checks the database.
    pub health_interval: Duration,
    /// TLS, or `None` for plaintext HTTP/2 (h2c), which is what Wireshark can read.
    pub tls: Option<TlsSettings>,
    /// How long calls still running at shutdown get before they are cut off.
    pub shutdown_grace: Duration,
}

/// A bound, not yet running, gRPC server.
pub struct GrpcApp {
    listener: tokio::net::TcpListener,
    local_addr: SocketAddr,
    settings: GrpcSettings,
    store: Store,
}

/// The services the health endpoint reports on, besides the server as a whole ("").
const SERVICES: [&str; 4] = [
    "app.Greeter",
    "echo.v1.EchoService",
    "dummy.v1.DummyService",
    "playground.v1.PlaygroundService",
];

/// Binds the listener, so the port is known and clients can connect at once.
///
/// # Errors
/// When the address can't be bound.
pub async fn build(settings: &GrpcSettings, store: Store) -> std::io::Result<GrpcApp> {
    let listener = runtime::listen(settings.addr)?;
    listener.set_nonblocking(true)?;
    let listener = tokio::net::TcpListener::from_std(listener)?;
    Ok(GrpcApp {
        local_addr: listener.local_addr()?,
        listener,
        settings: settings.clone(),
        store,
    })
}

impl GrpcApp {
    /// The address actually bound.
    pub fn local_addr(&self) -> SocketAddr {
        self.local_addr
    }

    /// Serves until `shutdown` is cancelled. Then health turns NOT_SERVING, watch
    /// streams end with UNAVAILABLE, the server sends GOAWAY and drains in-flight calls.
    ///
    /// # Errors
    /// When the TLS files are unusable or the server fails.
    pub async fn run_until_stopped(
        self,
        shutdown: CancellationToken,
    ) -> Result<(), tonic::transport::Error> {
        let max = self.settings.max_message_bytes;
        let (reporter, health) = tonic_health::server::health_reporter();
        // Known from the first moment: what needs the database is NOT_SERVING until it answers.
        reporter
            .set_service_status("", ServingStatus::NotServing)
            .await;
        reporter
            .set_service_status("dummy.v1.DummyService", ServingStatus::NotServing)
            .await;
        for service in [
            "app.Greeter",
            "echo.v1.EchoService",
            "playground.v1.PlaygroundService",
        ] {
            reporter
                .set_service_status(service, ServingStatus::Serving)
                .await;
        }
        tokio::spawn(watch_health(
            self.store.clone(),
            reporter.clone(),
            self.settings.health_interval,
            shutdown.clone(),
        ));
        let reflection_v1 = tonic_reflection::server::Builder::configure()
            .register_encoded_file_descriptor_set(pb::FILE_DESCRIPTOR_SET)
            .register_encoded_file_descriptor_set(tonic_health::pb::FILE_DESCRIPTOR_SET)
            .build_v1()
            .expect("the generated descriptor set is valid");
        let reflection_v1alpha = tonic_reflection::server::Builder::configure()
            .register_encoded_file_descriptor_set(pb::FILE_DESCRIPTOR_SET)
            .register_encoded_file_descriptor_set(tonic_health::pb::FILE_DESCRIPTOR_SET)
            .build_v1alpha()
            .expect("the generated descriptor set is valid");

        let mut server = Server::builder()
            // HTTP/1.1 too, for gRPC-Web from browsers.
            .accept_http1(true)
            .trace_fn(|request| tracing::info_span!("grpc", rpc.path = %request.uri().path()));
        if let Some(tls) = &self.settings.tls {
            let mut config =
                ServerTlsConfig::new().identity(Identity::from_pem(&tls.cert_pem, &tls.key_pem));
            if let Some(ca) = &tls.client_ca_pem {
                config = config.client_ca_root(Certificate::from_pem(ca));
            }
            server = server.tls_config(config)?;
        }
        let incoming = TcpIncoming::from(self.listener).with_nodelay(Some(true));
        let stopping = shutdown.clone();
        let grace_over = {
            let shutdown = shutdown.clone();
            let grace = self.settings.shutdown_grace;
            async move {
                shutdown.cancelled().await;
                tokio::time::sleep(grace).await;
                tracing::warn!(
                    ?grace,
                    "gRPC calls still open after the grace period; cutting them off"
                );
            }
        };
        let serving = server
            .layer(cors())
            .layer(tonic_web::GrpcWebLayer::new())
            .layer(tower::util::MapResponseLayer::new(
                crate::limits::over_limit_is_resource_exhausted,
            ))
            .layer(crate::limits::DeadlineLayer)
            .layer(crate::request_log::RequestLogLayer)
            .layer(MetadataEchoLayer)
            .add_service(health)
            .add_service(reflection_v1)
            .add_service(reflection_v1alpha)
            .add_service(GreeterServer::new(GreeterService).max_decoding_message_size(max))
            .add_service(EchoServiceServer::new(Echo).max_decoding_message_size(max))
            .add_service(
                PlaygroundServiceServer::new(Playground)
                    .max_decoding_message_size(max)
                    .accept_compressed(CompressionEncoding::Gzip)
                    .send_compressed(CompressionEncoding::Gzip),
            )
            .add_service(
                DummyServiceServer::new(Dummies::new(self.store, shutdown))
                    .max_decoding_message_size(max),
            )
            .serve_with_incoming_shutdown(incoming, async move {
                stopping.cancelled().await;
                // Tell health checkers (and the gateway) first, then stop accepting.
                set_all(&reporter, ServingStatus::NotServing).await;
                tracing::info!("gRPC server draining");
            });
        // tonic drains until every connection has closed; a client holding a stream
        // open must not keep the process alive past the grace period.
        tokio::select! {
            result = serving => result,
            () = grace_over => Ok(()),
        }
    }
}

/// CORS for gRPC-Web from any page: browsers send a preflight before every call, and
/// may only read the status headers they are told they may read.
fn cors() -> CorsLayer {
    CorsLayer::new()
        .allow_origin(AllowOrigin::mirror_request())
        .max_age(Duration::from_secs(86_400))
        .allow_methods([http::Method::POST, http::Method::OPTIONS])
        .allow_headers(
            [
                "x-grpc-web",
                "content-type",
                "x-user-agent",
                "grpc-timeout",
                "authorization",
            ]
            .map(HeaderName::from_static),
        )
        .expose_headers(
            ["grpc-status", "grpc-message", "grpc-status-details-bin"].map(HeaderName::from_static),
        )
}

/// Checks the database every `interval`: DummyService and the server as a whole are
/// SERVING only while it answers. Greeter and Echo need no database.
async fn watch_health(
    store: Store,
    reporter: HealthReporter,
    interval: Duration,
    shutdown: CancellationToken,
) {
    let mut last = None;
    loop {
        let status = match store.ping().await {
            Ok(()) => ServingStatus::Serving,
            Err(_) => ServingStatus::NotServing,
        };
        if last != Some(status) {
            tracing::info!(?status, "gRPC health");
            reporter.set_service_status("", status).await;
            reporter
                .set_service_status("dummy.v1.DummyService", status)
                .await;
            last = Some(status);
        }
        tokio::select! {
            () = shutdown.cancelled() => return,
            () = tokio::time::sleep(interval) => {}
        }
    }
}

async fn set_all(reporter: &HealthReporter, status: ServingStatus) {
    reporter.set_service_status("", status).await;
    for service in SERVICES {
        reporter.set_service_status(service, status).await;
    }
}
