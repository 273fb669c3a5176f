//! # Webhooks, after the Standard Webhooks specification
//!
//! A webhook turns the client/server roles around: the client gives this server a URL
//! once (a *subscription*), and from then on this server calls *it*, with an HTTP POST
//! per change of a Dummy. The receiver needs no open connection, only a reachable URL.
//!
//! ```text
//! POST /api/webhooks  {"url":"http://127.0.0.1:9000/hook","kinds":["created"]}
//!   ->  201 {"id":1,…,"secret":"whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"}
//!
//! later, for each change:
//!   this server  ->  POST http://127.0.0.1:9000/hook
//!                    webhook-id: msg_5e1f…   webhook-timestamp: 1733306400
//!                    webhook-signature: v1,K5oZ…
//!                    {"type":"dummy.created","timestamp":"…","data":{"seq":42,"dummy":{…}}}
//!   receiver     ->  any 2xx: delivered; anything else, or no answer: tried again later
//! ```
//!
//! The receiver checks the signature ([`signature`]) with the secret it was given, so
//! it knows the call came from this server and the body was not changed on the way.
//!
//! ## Where to read
//!
//! 1. [`signature`]: the HMAC, the secret, the `webhook-id`.
//! 2. [`outbound`]: one attempt, and the guards of a server that calls URLs its users
//!    gave it.
//! 3. [`deliver`]: the loop that feeds deliveries from the event journal, in order, with
//!    backoff and disabling.
//! 4. `model::webhooks`: the tables, and why nothing is lost across a restart.
//! 5. `routes::webhooks`: the REST API of subscriptions and the echo receiver.

pub mod deliver;
pub mod outbound;
pub mod signature;

use std::sync::Arc;
use std::time::Duration;

use ipnet::IpNet;

pub use outbound::{AllowList, Sender};

/// The webhook settings, shared by `rest-svc` and `protocols serve`.
#[derive(Debug, Clone, clap::Args)]
#[group(id = "webhooks")]
pub struct Settings {
    /// Networks deliveries may go to, comma-separated CIDRs. A URL whose host resolves
    /// to any other address is refused when subscribing and when delivering.
    #[arg(
        id = "webhook_allowed_networks",
        long = "webhook-allowed-networks",
        env = "WEBHOOK_ALLOWED_NETWORKS",
        value_delimiter = ',',
        default_value = "127.0.0.0/8,::1/128"
    )]
    pub allowed_networks: Vec<IpNet>,
    /// How long one delivery attempt may take, answer included, in milliseconds.
    #[arg(
        id = "webhook_timeout_ms",
        long = "webhook-timeout-ms",
        env = "WEBHOOK_TIMEOUT_MS",
        default_value_t = 5_000,
        value_parser = clap::value_parser!(u64).range(1..=60_000),
    )]
    pub timeout_ms: u64,
    /// How much of a receiver's answer is read, in bytes; the rest is dropped.
    #[arg(
        id = "webhook_max_response_bytes",
        long = "webhook-max-response-bytes",
        env = "WEBHOOK_MAX_RESPONSE_BYTES",
        default_value_t = 64 * 1024,
    )]
    pub max_response_bytes: usize,
    /// Failed attempts in a row after which a subscription is disabled.
    #[arg(
        id = "webhook_disable_after",
        long = "webhook-disable-after",
        env = "WEBHOOK_DISABLE_AFTER",
        default_value_t = 10,
        value_parser = clap::value_parser!(u32).range(1..=1_000),
    )]
    pub disable_after: u32,
    /// The wait after the first failed attempt, in milliseconds; it doubles with each
    /// failure after that, with jitter.
    #[arg(
        id = "webhook_retry_base_ms",
        long = "webhook-retry-base-ms",
        env = "WEBHOOK_RETRY_BASE_MS",
        default_value_t = 1_000,
        value_parser = clap::value_parser!(u64).range(1..=3_600_000),
    )]
    pub retry_base_ms: u64,
    /// The longest wait between attempts, in seconds.
    #[arg(
        id = "webhook_retry_max_secs",
        long = "webhook-retry-max-secs",
        env = "WEBHOOK_RETRY_MAX_SECS",
        default_value_t = 3_600,
        value_parser = clap::value_parser!(u64).range(1..=86_400),
    )]
    pub retry_max_secs: u64,
}

impl Default for Settings {
    fn default() -> Self {
        Settings {
            allowed_networks: vec![
                "127.0.0.0/8".parse().expect("a network"),
                "::1/128".parse().expect("a network"),
            ],
            timeout_ms: 5_000,
            max_response_bytes: 64 * 1024,
            disable_after: 10,
            retry_base_ms: 1_000,
            retry_max_secs: 3_600,
        }
    }
}

impl Settings {
    /// How long one attempt may take.
    pub fn timeout(&self) -> Duration {
        Duration::from_millis(self.timeout_ms)
    }

    /// The wait before the next attempt after `failures` failed ones in a row:
    /// `base × 2^(failures−1)`, capped, then a random part of it dropped (between none
    /// and half), so that receivers that failed together are not retried together.
    pub fn backoff(&self, failures: u32) -> Duration {
        let base = Duration::from_millis(self.retry_base_ms);
        let cap = Duration::from_secs(self.retry_max_secs);
        let full = base
            .checked_mul(2u32.saturating_pow(failures.saturating_sub(1)))
            .unwrap_or(cap)
            .min(cap);
        full.mul_f64(1.0 - fastrand::f64() / 2.0)
    }
}

/// Starts the deliverer ([`deliver`]) with these settings; the handle the routes use.
/// One per process: `rest-svc` and `protocols serve` call it once.
pub fn start(
    settings: Settings,
    store: model::Store,
    shutdown: tokio_util::sync::CancellationToken,
) -> Webhooks {
    let webhooks = Webhooks::new(settings);
    deliver::spawn(webhooks.clone(), store, shutdown);
    webhooks
}

/// What the webhook routes and the deliverer share.
#[derive(Debug, Clone)]
pub struct Webhooks {
    /// The settings.
    pub settings: Arc<Settings>,
    /// Sends deliveries.
    pub sender: Sender,
}

impl Webhooks {
    /// The shared parts for these settings.
    pub fn new(settings: Settings) -> Webhooks {
        let sender = Sender::new(
            AllowList::new(settings.allowed_networks.clone()),
            settings.timeout(),
            settings.max_response_bytes,
        );
        Webhooks {
            settings: Arc::new(settings),
            sender,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn backoff_doubles_with_jitter_up_to_the_cap() {
        let settings = Settings {
            retry_base_ms: 100,
            retry_max_secs: 1,
            ..Settings::default()
        };
        for failures in 1..=6 {
            let full =
                Duration::from_millis(100 * 2u64.pow(failures - 1)).min(Duration::from_secs(1));
            let wait = settings.backoff(failures);
            assert!(
                wait <= full && wait >= full / 2,
                "{failures}: {wait:?} for {full:?}"
            );
        }
        assert!(settings.backoff(u32::MAX) <= Duration::from_secs(1));
    }

    #[test]
    fn the_allow_list_takes_ipv4_written_as_ipv6() {
        let list = AllowList::new(Settings::default().allowed_networks);
        assert!(list.allows("127.0.0.1".parse().unwrap()));
        assert!(list.allows("::ffff:127.0.0.1".parse().unwrap()));
        assert!(list.allows("::1".parse().unwrap()));
        assert!(!list.allows("10.0.0.1".parse().unwrap()));
        assert!(!list.allows("169.254.169.254".parse().unwrap()));
    }
}
