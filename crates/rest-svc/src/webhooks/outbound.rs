//! Sending a delivery: one signed POST, with the safety a server that calls URLs its
//! users gave needs.
//!
//! ```text
//! POST /hook HTTP/1.1
//! host: 127.0.0.1:9000
//! content-type: application/json
//! user-agent: protocols-webhooks/0.1
//! webhook-id: msg_5e1f0c…
//! webhook-timestamp: 1733306400
//! webhook-signature: v1,K5oZfzN95Z9UVu1EsfQmfVNQhnkZ2pj9o9NDN/H/pI4=
//!
//! {"type":"dummy.created","timestamp":"2026-12-04T10:00:00.123456Z","data":{"seq":42,"dummy":{"id":17,…}}}
//! ```
//!
//! - **Where to.** A destination must resolve only to addresses in the allow-list
//!   (`WEBHOOK_ALLOWED_NETWORKS`): checked when the subscription is made, and again by
//!   the resolver the connection itself uses, so a name that resolves elsewhere later
//!   (DNS rebinding) is refused at delivery time too. No proxy from the environment.
//! - **No redirects.** A 3xx is a failed attempt, not a hop to somewhere else.
//! - **Bounded.** The whole attempt, answer included, within `WEBHOOK_TIMEOUT_MS`; at
//!   most `WEBHOOK_MAX_RESPONSE_BYTES` of the answer read, the rest dropped.
//! - **Secrets** are only ever in the signature: never in a log line or an error.

use std::net::{IpAddr, SocketAddr};
use std::sync::Arc;
use std::time::{Duration, Instant};

use chrono::Utc;
use ipnet::IpNet;
use model::webhooks::{Attempt, Delivery, Webhook};
use reqwest::dns::{Addrs, Name, Resolve, Resolving};
use secrecy::ExposeSecret;

use super::signature;

/// The `User-Agent` of every delivery. The routes that manage webhooks refuse requests
/// that carry it, so a subscription pointed at this server cannot drive them.
pub const USER_AGENT: &str = concat!("protocols-webhooks/", env!("CARGO_PKG_VERSION"));

/// Where deliveries may go.
#[derive(Debug, Clone)]
pub struct AllowList(Vec<IpNet>);

impl AllowList {
    /// The networks given.
    pub fn new(networks: Vec<IpNet>) -> AllowList {
        AllowList(networks)
    }

    /// Whether `ip` is in one of the networks (an IPv4 address written as IPv6,
    /// `::ffff:127.0.0.1`, counts as the IPv4 one).
    pub fn allows(&self, ip: IpAddr) -> bool {
        let ip = ip.to_canonical();
        self.0.iter().any(|net| net.contains(&ip))
    }

    /// Why `host` is refused. The address it resolved to stays in this server's log:
    /// told to the client, it would make subscribing a way to look up internal names.
    fn refuse(&self, host: &str, ip: IpAddr) -> String {
        tracing::debug!(host, %ip, "a webhook destination outside the allowed networks");
        format!(
            "{host} resolves to an address outside the networks deliveries may go to (WEBHOOK_ALLOWED_NETWORKS)."
        )
    }

    /// The addresses of `host`, all of them allowed, or why not.
    ///
    /// # Errors
    /// A name that does not resolve, or resolves to any address outside the list.
    pub async fn resolve(&self, host: &str, port: u16) -> Result<Vec<SocketAddr>, String> {
        let addrs: Vec<SocketAddr> = tokio::net::lookup_host((host, port))
            .await
            .map_err(|e| format!("{host} does not resolve ({e})."))?
            .collect();
        if addrs.is_empty() {
            return Err(format!("{host} does not resolve."));
        }
        match addrs.iter().find(|addr| !self.allows(addr.ip())) {
            Some(addr) => Err(self.refuse(host, addr.ip())),
            None => Ok(addrs),
        }
    }

    /// Whether a subscription's URL may be used: its host is an allowed address, or
    /// a name whose every address is allowed.
    ///
    /// # Errors
    /// A message for the `url` field.
    pub async fn check(&self, url: &url::Url) -> Result<(), String> {
        let port = url.port_or_known_default().unwrap_or(80);
        match url.host() {
            Some(url::Host::Ipv4(ip)) => self.check_ip(&ip.to_string(), ip.into()),
            Some(url::Host::Ipv6(ip)) => self.check_ip(&ip.to_string(), ip.into()),
            Some(url::Host::Domain(name)) => self.resolve(name, port).await.map(drop),
            None => Err("Enter a URL with a host.".into()),
        }
    }

    fn check_ip(&self, host: &str, ip: IpAddr) -> Result<(), String> {
        if self.allows(ip) {
            Ok(())
        } else {
            Err(self.refuse(host, ip))
        }
    }
}

/// The resolver the HTTP client connects with: only allowed addresses come out.
struct Guarded(Arc<AllowList>);

impl Resolve for Guarded {
    fn resolve(&self, name: Name) -> Resolving {
        let list = self.0.clone();
        Box::pin(async move {
            let addrs = list.resolve(name.as_str(), 0).await?;
            Ok(Box::new(addrs.into_iter()) as Addrs)
        })
    }
}

/// Sends deliveries.
#[derive(Debug, Clone)]
pub struct Sender {
    client: reqwest::Client,
    allow: Arc<AllowList>,
    max_response_bytes: usize,
    timeout: Duration,
}

impl Sender {
    /// A sender with these bounds.
    ///
    /// # Panics
    /// When the HTTP client cannot be built (no TLS backend is asked for, so only a
    /// broken system resolver configuration could).
    pub fn new(allow: AllowList, timeout: Duration, max_response_bytes: usize) -> Sender {
        let allow = Arc::new(allow);
        let client = reqwest::Client::builder()
            .redirect(reqwest::redirect::Policy::none())
            .no_proxy()
            .timeout(timeout)
            .connect_timeout(timeout)
            .dns_resolver(Arc::new(Guarded(allow.clone())))
            .user_agent(USER_AGENT)
            .build()
            .expect("an HTTP client without TLS");
        Sender {
            client,
            allow,
            max_response_bytes,
            timeout,
        }
    }

    /// The allow-list.
    pub fn allow_list(&self) -> &AllowList {
        &self.allow
    }

    /// One attempt at a delivery: signed now, sent, answered (or not).
    pub async fn send(&self, hook: &Webhook, delivery: &Delivery) -> Attempt {
        let at = Utc::now();
        let started = Instant::now();
        let outcome = self.post(hook, delivery, at.timestamp()).await;
        let latency = started.elapsed();
        match outcome {
            Ok(status) => Attempt {
                at,
                latency,
                status: Some(status),
                error: match status {
                    200..=299 => None,
                    300..=399 => Some(format!(
                        "the receiver answered {status}; redirects are not followed"
                    )),
                    _ => Some(format!("the receiver answered {status}")),
                },
            },
            Err(error) => Attempt {
                at,
                latency,
                status: None,
                error: Some(error),
            },
        }
    }

    async fn post(
        &self,
        hook: &Webhook,
        delivery: &Delivery,
        timestamp: i64,
    ) -> Result<u16, String> {
        let url = url::Url::parse(&hook.url).map_err(|e| format!("bad URL ({e})"))?;
        // The resolver guards names; an address written in the URL is checked here.
        match url.host() {
            Some(url::Host::Ipv4(ip)) => self.allow.check_ip(&ip.to_string(), ip.into())?,
            Some(url::Host::Ipv6(ip)) => self.allow.check_ip(&ip.to_string(), ip.into())?,
            _ => {}
        }
        let signature = signature::sign(
            hook.secret.expose_secret(),
            &delivery.message_id,
            timestamp,
            delivery.body.as_bytes(),
        )?;
        let mut response = self
            .client
            .post(url)
            .header(reqwest::header::CONTENT_TYPE, "application/json")
            .header("webhook-id", &delivery.message_id)
            .header("webhook-timestamp", timestamp.to_string())
            .header("webhook-signature", signature)
            .body(delivery.body.clone())
            .send()
            .await
            .map_err(|e| self.describe(&e))?;
        let status = response.status().as_u16();
        // Read what the receiver says, up to the cap, so the connection ends cleanly;
        // past the cap the connection is dropped.
        let mut read = 0;
        while read <= self.max_response_bytes {
            match response.chunk().await {
                Ok(Some(chunk)) => read += chunk.len(),
                Ok(None) => break,
                Err(e) => return Err(self.describe(&e)),
            }
        }
        Ok(status)
    }

    /// A failed request in words, with its causes (reqwest's own text names only the URL).
    fn describe(&self, error: &reqwest::Error) -> String {
        if error.is_timeout() {
            return format!("no answer within {} ms", self.timeout.as_millis());
        }
        let mut text = if error.is_connect() {
            "could not connect".to_owned()
        } else {
            "the request failed".to_owned()
        };
        let mut source = std::error::Error::source(error);
        while let Some(cause) = source {
            text.push_str(": ");
            text.push_str(&cause.to_string());
            source = cause.source();
        }
        text
    }
}
