//! Webhooks: subscribing a URL on rest-svc, reading its delivery log, and
//! unsubscribing. The receiver is the caller's own HTTP server; each delivery is a
//! POST with `webhook-id`, `webhook-timestamp` and `webhook-signature` headers and a
//! `{"type", "timestamp", "data": {"seq", "dummy"}}` body.

use serde_json::{Value, json};

/// A subscription the server made.
#[derive(Debug, Clone)]
pub struct Subscription {
    /// Its number, for the paths under `/api/webhooks/{id}`.
    pub id: i64,
    /// The signing secret, `whsec_…`.
    pub secret: String,
}

/// Subscribes `url` on the server at `base` (`http://host:port`) for `kinds`
/// (`created`, `updated`, `deleted`; empty for all).
///
/// # Errors
/// The server's answer when it is not 201, or the transport's failure.
pub async fn subscribe(
    http: &reqwest::Client,
    base: &str,
    url: &str,
    kinds: &[&str],
) -> Result<Subscription, String> {
    let response = http
        .post(format!("{base}/api/webhooks"))
        .json(&json!({"url": url, "kinds": kinds}))
        .send()
        .await
        .map_err(|e| e.to_string())?;
    let status = response.status();
    let body: Value = response.json().await.map_err(|e| e.to_string())?;
    if status != reqwest::StatusCode::CREATED {
        return Err(format!("subscribe: {status} {body}"));
    }
    match (body["id"].as_i64(), body["secret"].as_str()) {
        (Some(id), Some(secret)) => Ok(Subscription {
            id,
            secret: secret.to_owned(),
        }),
        _ => Err(format!("subscribe: no id or secret in {body}")),
    }
}

/// The newest `limit` entries of a subscription's delivery log.
///
/// # Errors
/// The server's answer when it is not 200, or the transport's failure.
pub async fn deliveries(
    http: &reqwest::Client,
    base: &str,
    id: i64,
    limit: usize,
) -> Result<Vec<Value>, String> {
    let response = http
        .get(format!("{base}/api/webhooks/{id}/deliveries?limit={limit}"))
        .send()
        .await
        .map_err(|e| e.to_string())?;
    let status = response.status();
    let body: Value = response.json().await.map_err(|e| e.to_string())?;
    match body {
        Value::Array(entries) if status.is_success() => Ok(entries),
        other => Err(format!("deliveries: {status} {other}")),
    }
}

/// Deletes a subscription and its log.
///
/// # Errors
/// The server's answer when it is not 204, or the transport's failure.
pub async fn unsubscribe(http: &reqwest::Client, base: &str, id: i64) -> Result<(), String> {
    let response = http
        .delete(format!("{base}/api/webhooks/{id}"))
        .send()
        .await
        .map_err(|e| e.to_string())?;
    match response.status() {
        reqwest::StatusCode::NO_CONTENT => Ok(()),
        status => Err(format!("unsubscribe: {status}")),
    }
}
