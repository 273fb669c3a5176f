//! `messaging-svc`'s settings, read once from flags or the environment
//! (`messaging-svc --help`), and how the binary runs with them.

use model::Store;
use runtime::http::{HttpApp, HttpService, Listen, ServerSettings};
use tokio_util::sync::CancellationToken;

use crate::startup;

/// The messaging service's settings.
#[derive(Debug, Clone, clap::Args)]
#[group(id = "messaging-svc")]
pub struct Args {
    /// `--messaging-addr`, `--messaging-workers`: the HTTP port (health, index, page).
    #[command(flatten)]
    pub listen: Listen<Args>,

    /// The RabbitMQ broker, with its virtual host (`%2f` is `/`); empty: no AMQP.
    #[arg(
        long = "amqp-url",
        env = "AMQP_URL",
        default_value = "amqp://guest:guest@127.0.0.1:5672/%2f"
    )]
    pub amqp_url: String,

    /// The Mosquitto broker, `host:port`; empty: no MQTT.
    #[arg(
        long = "mqtt-addr",
        env = "MQTT_ADDR",
        default_value = "127.0.0.1:1883"
    )]
    pub mqtt_addr: String,

    /// Largest request on the request queue, in bytes; a larger one is answered with an
    /// error and dead-lettered.
    #[arg(id = "messaging-max-bytes", long = "messaging-max-bytes", env = "MESSAGING_MAX_BYTES", default_value_t = 64 * 1024)]
    pub max_bytes: usize,

    /// How many requests the request queue hands this service before it acknowledges
    /// them (AMQP's prefetch, `basic.qos`): how many it works on at once.
    #[arg(long = "amqp-prefetch", env = "AMQP_PREFETCH", default_value_t = 32)]
    pub prefetch: u16,
}

impl Args {
    /// The AMQP broker's URL, unless AMQP is turned off.
    pub fn amqp(&self) -> Option<&str> {
        Some(self.amqp_url.trim()).filter(|url| !url.is_empty())
    }

    /// The MQTT broker's host and port, unless MQTT is turned off.
    pub fn mqtt(&self) -> Option<(String, u16)> {
        let addr = self.mqtt_addr.trim();
        if addr.is_empty() {
            return None;
        }
        let (host, port) = addr.rsplit_once(':').unwrap_or((addr, "1883"));
        Some((
            host.trim_matches(['[', ']']).to_owned(),
            port.parse().unwrap_or(1883),
        ))
    }
}

impl HttpService for Args {
    const NAME: &'static str = "messaging-svc";
    const ABOUT: &'static str =
        "The Dummy's changes and procedures over AMQP 0-9-1 (RabbitMQ) and MQTT (Mosquitto)";
    const VERSION: &'static str = env!("CARGO_PKG_VERSION");
    const DEFAULT_ADDR: &'static str = "127.0.0.1:8005";

    fn listen(&self) -> &Listen<Self> {
        &self.listen
    }

    fn build(
        self,
        settings: &ServerSettings,
        store: Store,
        shutdown: CancellationToken,
    ) -> std::io::Result<HttpApp> {
        startup::build(settings, &self, store, shutdown)
    }
}
