//! `rest-svc`'s settings, read once from flags or the environment (`rest-svc --help`),
//! and how the binary runs with them. `protocols serve` flattens the same [`Args`].

use model::Store;
use runtime::http::{HttpApp, HttpService, Listen, ServerSettings};
use tokio_util::sync::CancellationToken;

use crate::startup;

/// The REST server's settings.
#[derive(Debug, Clone, clap::Args)]
#[group(id = "rest-svc")]
pub struct Args {
    /// `--rest-addr`, `--rest-workers`.
    #[command(flatten)]
    pub listen: Listen<Args>,

    /// Largest REST request body, in bytes; larger ones get 413.
    #[arg(id = "rest_body_limit", long = "rest-body-limit", env = "REST_BODY_LIMIT_BYTES", default_value_t = 64 * 1024)]
    pub body_limit: usize,

    /// Where webhook deliveries may go, and how they are tried.
    #[command(flatten)]
    pub webhooks: crate::webhooks::Settings,

    /// The TLS port, served when a certificate and key are given: the same routes, with
    /// HTTP/2 or HTTP/1.1 chosen by ALPN.
    #[arg(id = "rest_tls_addr", long = "rest-tls-addr", env = "REST_TLS_ADDR", default_value = "127.0.0.1:8443", value_parser = runtime::settings::listen_addr)]
    pub tls_addr: std::net::SocketAddr,

    /// The TLS port's certificate chain, a PEM file (with --rest-tls-key).
    #[arg(
        id = "rest_tls_cert",
        long = "rest-tls-cert",
        env = "REST_TLS_CERT",
        requires = "rest_tls_key"
    )]
    pub tls_cert: Option<std::path::PathBuf>,

    /// The TLS port's private key, a PEM file (with --rest-tls-cert).
    #[arg(
        id = "rest_tls_key",
        long = "rest-tls-key",
        env = "REST_TLS_KEY",
        requires = "rest_tls_cert"
    )]
    pub tls_key: Option<std::path::PathBuf>,
}

impl Args {
    /// The TLS port, when a certificate and key are given.
    ///
    /// # Errors
    /// When a file can't be read; the error names it.
    pub fn tls(&self) -> std::io::Result<Option<runtime::http::TlsListen>> {
        let (Some(cert), Some(key)) = (&self.tls_cert, &self.tls_key) else {
            return Ok(None);
        };
        let read = |path: &std::path::PathBuf, var: &str| {
            std::fs::read(path).map_err(|e| {
                std::io::Error::new(e.kind(), format!("{var} {}: {e}", path.display()))
            })
        };
        Ok(Some(runtime::http::TlsListen {
            addr: self.tls_addr,
            cert_pem: read(cert, "REST_TLS_CERT")?,
            key_pem: read(key, "REST_TLS_KEY")?,
        }))
    }
}

impl HttpService for Args {
    const NAME: &'static str = "rest-svc";
    const ABOUT: &'static str = "REST/JSON CRUD over the shared Dummy model (actix-web)";
    const VERSION: &'static str = env!("CARGO_PKG_VERSION");
    const DEFAULT_ADDR: &'static str = "127.0.0.1:8001";

    fn listen(&self) -> &Listen<Self> {
        &self.listen
    }

    fn build(
        self,
        settings: &ServerSettings,
        store: Store,
        shutdown: CancellationToken,
    ) -> std::io::Result<HttpApp> {
        let mut settings = settings.clone();
        settings.tls = self.tls()?;
        let webhooks = crate::webhooks::start(self.webhooks, store.clone(), shutdown.clone());
        startup::build(&settings, self.body_limit, webhooks, store, shutdown)
    }
}
