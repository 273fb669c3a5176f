//! The webhook subscriptions, as REST resources, and a receiver to point one at.
//!
//! | Method | Path | Answer |
//! |---|---|---|
//! | POST | `/api/webhooks` | 201 + `Location`: the subscription, with its `secret` |
//! | GET | `/api/webhooks` | 200: every subscription (no secrets) |
//! | GET, DELETE | `/api/webhooks/{id}` | 200 / 204 |
//! | POST | `/api/webhooks/{id}/rotate-secret` | 200: with the new `secret` |
//! | POST | `/api/webhooks/{id}/pause`, `/resume` | 200 |
//! | GET | `/api/webhooks/{id}/deliveries?limit=50` | 200: the log, newest first |
//! | POST | `/api/webhooks/{id}/deliveries/{delivery}/resend` | 200: sent now, the entry after it |
//! | POST | `/api/webhooks/echo` | 200: what it verified, or 400 and why not |
//!
//! A subscription is `{"url": "http://…", "kinds": ["created", …], "description": "…"}`;
//! `kinds` left out or empty means every kind. The secret is shown twice only: in the
//! answer that creates the subscription and in the one that rotates it.
//!
//! The echo receiver finds the subscription a delivery came from by its `webhook-id`
//! (every delivery this server made is in its log), checks the signature with that
//! subscription's secret, and answers what it found: point a subscription at
//! `http://127.0.0.1:8001/api/webhooks/echo` and read its delivery log.

use actix_web::http::header;
use actix_web::web::{self, Bytes};
use actix_web::{HttpRequest, HttpResponse};
use model::webhooks::{AfterAttempt, Delivery, DeliveryState, NewWebhook, Webhook, WebhookState};
use secrecy::{ExposeSecret, SecretString};
use serde_json::{Value, json};

use super::{AppState, path_number as parse_id};
use crate::body::read_json_object;
use crate::error::ApiError;
use crate::webhooks::signature;

/// Log entries one read returns when `limit` is not given.
pub const DEFAULT_LOG_LIMIT: i64 = 50;

fn rfc3339(at: chrono::DateTime<chrono::Utc>) -> String {
    at.to_rfc3339_opts(chrono::SecondsFormat::Micros, true)
}

/// A subscription as JSON; with its secret only when `secret` is given.
fn webhook_json(hook: &Webhook, secret: Option<&SecretString>) -> Value {
    let mut body = json!({
        "id": hook.id,
        "url": hook.url,
        "kinds": hook.kinds.iter().map(|k| k.as_str()).collect::<Vec<_>>(),
        "description": hook.description,
        "state": hook.state.as_str(),
        "position": hook.position,
        "failures": hook.failures,
        "retry_at": hook.retry_at.map(rfc3339),
        "disabled_reason": hook.disabled_reason,
        "created_at": rfc3339(hook.created_at),
        "updated_at": rfc3339(hook.updated_at),
        "deliveries": format!("/api/webhooks/{}/deliveries", hook.id),
    });
    if let Some(secret) = secret {
        body["secret"] = Value::from(secret.expose_secret());
    }
    body
}

fn delivery_json(delivery: &Delivery) -> Value {
    json!({
        "id": delivery.id,
        "message_id": delivery.message_id,
        "seq": delivery.seq,
        "type": delivery.event_type,
        "state": delivery.state.as_str(),
        "attempts": delivery.attempts,
        "response_status": delivery.response_status,
        "error": delivery.error,
        "latency_ms": delivery.latency.map(|l| l.as_secs_f64() * 1_000.0),
        "created_at": rfc3339(delivery.created_at),
        "attempted_at": delivery.attempted_at.map(rfc3339),
        "delivered_at": delivery.delivered_at.map(rfc3339),
        "body": serde_json::from_str::<Value>(&delivery.body).unwrap_or(Value::Null),
    })
}

/// Refuses a request made by one of this server's own deliveries: a subscription
/// pointed at these routes would otherwise make the deliverer manage webhooks (a
/// resend that resends itself, a subscription that subscribes).
fn not_a_delivery(req: &HttpRequest) -> Result<(), ApiError> {
    let user_agent = req
        .headers()
        .get(header::USER_AGENT)
        .and_then(|v| v.to_str().ok())
        .unwrap_or_default();
    if user_agent == crate::webhooks::outbound::USER_AGENT {
        return Err(ApiError::BadRequest(
            "A webhook delivery cannot manage webhooks; point subscriptions at a receiver, such as /api/webhooks/echo."
                .into(),
        ));
    }
    Ok(())
}

/// A list of strings, or a field error.
fn strings(value: Option<&Value>, field: &'static str) -> Result<Option<Vec<String>>, ApiError> {
    match value {
        None | Some(Value::Null) => Ok(None),
        Some(Value::Array(items)) => items
            .iter()
            .map(|item| match item {
                Value::String(s) => Ok(s.clone()),
                other => Err(model::Error::invalid(
                    field,
                    format!("Expected a list of strings, but got {other} in it."),
                )
                .into()),
            })
            .collect::<Result<_, _>>()
            .map(Some),
        Some(_) => Err(model::Error::invalid(field, "Expected a list of strings.").into()),
    }
}

fn string<'a>(value: Option<&'a Value>, field: &'static str) -> Result<Option<&'a str>, ApiError> {
    match value {
        None | Some(Value::Null) => Ok(None),
        Some(Value::String(s)) => Ok(Some(s)),
        Some(_) => Err(model::Error::invalid(field, "Not a valid string.").into()),
    }
}

/// `POST /api/webhooks`: subscribes a URL.
pub async fn create(
    state: web::Data<AppState>,
    req: HttpRequest,
    payload: web::Payload,
) -> Result<HttpResponse, ApiError> {
    not_a_delivery(&req)?;
    let body = read_json_object(&req, payload, state.body_limit).await?;
    let new = NewWebhook::parse(
        string(body.get("url"), "url")?,
        strings(body.get("kinds"), "kinds")?.as_deref(),
        string(body.get("description"), "description")?,
    )?;
    state
        .webhooks
        .sender
        .allow_list()
        .check(&new.url)
        .await
        .map_err(|message| model::Error::invalid("url", message))?;
    let secret = signature::new_secret();
    let hook = state.store.create_webhook(new, secret.clone()).await?;
    crate::webhooks::deliver::wake(&state.store, hook.id).await;
    Ok(HttpResponse::Created()
        .insert_header((header::LOCATION, format!("/api/webhooks/{}", hook.id)))
        .json(webhook_json(&hook, Some(&secret))))
}

/// `GET /api/webhooks`: every subscription.
pub async fn list(state: web::Data<AppState>) -> Result<HttpResponse, ApiError> {
    let hooks = state.store.webhooks().await?;
    let body: Vec<Value> = hooks.iter().map(|h| webhook_json(h, None)).collect();
    Ok(HttpResponse::Ok().json(body))
}

/// `GET /api/webhooks/{id}`.
pub async fn read(
    state: web::Data<AppState>,
    id: web::Path<String>,
) -> Result<HttpResponse, ApiError> {
    let hook = state
        .store
        .webhook(parse_id(&id)?)
        .await?
        .ok_or(ApiError::NotFound)?;
    Ok(HttpResponse::Ok().json(webhook_json(&hook, None)))
}

/// `DELETE /api/webhooks/{id}`: the subscription and its log.
pub async fn delete(
    state: web::Data<AppState>,
    id: web::Path<String>,
    req: HttpRequest,
) -> Result<HttpResponse, ApiError> {
    not_a_delivery(&req)?;
    if state.store.delete_webhook(parse_id(&id)?).await? {
        Ok(HttpResponse::NoContent().finish())
    } else {
        Err(ApiError::NotFound)
    }
}

/// `POST /api/webhooks/{id}/rotate-secret`: a new secret, from the next attempt on.
pub async fn rotate_secret(
    state: web::Data<AppState>,
    id: web::Path<String>,
    req: HttpRequest,
) -> Result<HttpResponse, ApiError> {
    not_a_delivery(&req)?;
    let secret = signature::new_secret();
    let hook = state
        .store
        .rotate_webhook_secret(parse_id(&id)?, secret.clone())
        .await?
        .ok_or(ApiError::NotFound)?;
    Ok(HttpResponse::Ok().json(webhook_json(&hook, Some(&secret))))
}

async fn set_state(state: &AppState, id: &str, to: WebhookState) -> Result<HttpResponse, ApiError> {
    let hook = state
        .store
        .set_webhook_state(parse_id(id)?, to)
        .await?
        .ok_or(ApiError::NotFound)?;
    if to == WebhookState::Active {
        crate::webhooks::deliver::wake(&state.store, hook.id).await;
    }
    Ok(HttpResponse::Ok().json(webhook_json(&hook, None)))
}

/// `POST /api/webhooks/{id}/pause`: no deliveries until resumed.
pub async fn pause(
    state: web::Data<AppState>,
    id: web::Path<String>,
    req: HttpRequest,
) -> Result<HttpResponse, ApiError> {
    not_a_delivery(&req)?;
    set_state(&state, &id, WebhookState::Paused).await
}

/// `POST /api/webhooks/{id}/resume`: active again, failures forgotten, from the same
/// pending delivery on.
pub async fn resume(
    state: web::Data<AppState>,
    id: web::Path<String>,
    req: HttpRequest,
) -> Result<HttpResponse, ApiError> {
    not_a_delivery(&req)?;
    set_state(&state, &id, WebhookState::Active).await
}

/// `GET /api/webhooks/{id}/deliveries?limit=`: the log, newest first.
pub async fn deliveries(
    state: web::Data<AppState>,
    id: web::Path<String>,
    req: HttpRequest,
) -> Result<HttpResponse, ApiError> {
    let id = parse_id(&id)?;
    let mut limit = DEFAULT_LOG_LIMIT;
    for (key, value) in form_urlencoded::parse(req.query_string().as_bytes()) {
        if key == "limit" {
            limit = value
                .parse::<i64>()
                .ok()
                .filter(|l| (1..=model::webhooks::LOG_KEPT).contains(l))
                .ok_or_else(|| {
                    model::Error::invalid(
                        "limit",
                        format!(
                            "Ensure this value is a whole number from 1 to {}.",
                            model::webhooks::LOG_KEPT
                        ),
                    )
                })?;
        }
    }
    let log = state
        .store
        .webhook_deliveries(id, limit)
        .await?
        .ok_or(ApiError::NotFound)?;
    let body: Vec<Value> = log.iter().map(delivery_json).collect();
    Ok(HttpResponse::Ok().json(body))
}

/// `POST /api/webhooks/{id}/deliveries/{delivery}/resend`: one attempt now, whatever
/// the subscription's state and order; the entry as it is after it.
pub async fn resend(
    state: web::Data<AppState>,
    path: web::Path<(String, String)>,
    req: HttpRequest,
) -> Result<HttpResponse, ApiError> {
    not_a_delivery(&req)?;
    let (id, delivery_id) = (parse_id(&path.0)?, parse_id(&path.1)?);
    let (hook, delivery) = state
        .store
        .webhook_delivery(id, delivery_id)
        .await?
        .ok_or(ApiError::NotFound)?;
    if delivery.state == DeliveryState::Skipped {
        return Err(model::Error::Conflict(
            "This entry notes changes that were never queued; there is nothing to send.".into(),
        )
        .into());
    }
    let attempt = state.webhooks.sender.send(&hook, &delivery).await;
    let delivery = state
        .store
        .record_attempt(delivery.id, attempt, AfterAttempt::Manual, "")
        .await?
        .ok_or(ApiError::NotFound)?;
    Ok(HttpResponse::Ok().json(delivery_json(&delivery)))
}

fn header_text<'a>(req: &'a HttpRequest, name: &str) -> Result<&'a str, ApiError> {
    req.headers()
        .get(name)
        .and_then(|v| v.to_str().ok())
        .ok_or_else(|| ApiError::BadRequest(format!("Missing the {name} header.")))
}

/// `POST /api/webhooks/echo`: checks a delivery made by this server, as a receiver
/// would, and answers what it verified.
pub async fn echo(
    state: web::Data<AppState>,
    req: HttpRequest,
    payload: web::Payload,
) -> Result<HttpResponse, ApiError> {
    let limit = state.body_limit;
    if runtime::http::declared_length(&req).is_some_and(|length| length > limit) {
        return Err(ApiError::PayloadTooLarge { limit });
    }
    let body: Bytes = payload
        .to_bytes_limited(limit)
        .await
        .map_err(|_| ApiError::PayloadTooLarge { limit })?
        .map_err(|e| ApiError::BadRequest(format!("Could not read the request body - {e}")))?;
    let id = header_text(&req, "webhook-id")?;
    let timestamp = header_text(&req, "webhook-timestamp")?;
    let signatures = header_text(&req, "webhook-signature")?;
    let hook = state
        .store
        .webhook_for_message(id.to_owned())
        .await?
        .ok_or_else(|| {
            ApiError::BadRequest(format!(
                "No delivery of this server has webhook-id {id:?}; the echo receiver checks deliveries made here."
            ))
        })?;
    let now = chrono::Utc::now().timestamp();
    let matched = signature::verify(
        hook.secret.expose_secret(),
        id,
        timestamp,
        &body,
        signatures,
        now,
    )
    .map_err(|reason| ApiError::BadRequest(format!("Not verified: {reason}.")))?;
    Ok(HttpResponse::Ok().json(json!({
        "verified": true,
        "webhook": hook.id,
        "webhook-id": id,
        "webhook-timestamp": timestamp,
        "signature": matched,
        "payload": serde_json::from_slice::<Value>(&body).unwrap_or(Value::Null),
    })))
}
