//! Webhook subscriptions and their deliveries, kept in the database so that they
//! survive a restart.
//!
//! ```text
//! webhooks:            id │ url                              │ kinds   │ state  │ position │ failures
//!                       1 │ http://127.0.0.1:9000/hook       │ created │ active │       41 │        0
//!
//! webhook_deliveries:  id │ webhook_id │ message_id │ seq │ event_type    │ state     │ attempts
//!                       7 │          1 │ msg_9f0c…  │  41 │ dummy.created │ delivered │        1
//!                       8 │          1 │ msg_1b2e…  │  42 │ dummy.created │ pending   │        3
//! ```
//!
//! **Fed from the journal.** A subscription keeps a `position` in the event journal
//! ([`crate::journal`]). [`Store::enqueue_deliveries`] copies the changes after it
//! that the subscription wants into `webhook_deliveries` and moves `position`, in one
//! transaction, so a change is queued once or not at all. A new subscription starts at
//! the journal's head: it gets the changes made after it was created.
//!
//! **In order, at least once.** The deliverer (rest-svc's `webhooks::deliver`) sends
//! only the oldest pending delivery of a subscription, and the next one once that one
//! is delivered. A process that dies mid-attempt leaves it pending, and it is sent
//! again: a receiver may see a `webhook-id` twice, never a gap.
//!
//! **One deliverer per subscription at a time.** A deliverer leases a subscription
//! ([`Store::lease_webhook`]) with a token of its own before it works on it; other
//! processes on the same PostgreSQL database leave it alone until the lease runs out.
//! It renews, releases and records failures only under its token, so a deliverer whose
//! lease ran out while it waited cannot undo the work of the one that took over.
//! (Leases compare the processes' clocks: they assume those agree within seconds.)
//!
//! **Bounded.** At most [`MAX_WEBHOOKS`] subscriptions, and at most [`MAX_PENDING`]
//! queued deliveries each: past that, the changes wait in the journal.
//!
//! **Failures.** Each failed attempt counts; the deliverer sets when the next may
//! happen (`retry_at`) and, at its limit, disables the subscription
//! ([`AfterAttempt`]). Resuming it ([`WebhookState::Active`]) starts again from the
//! same pending delivery: nothing is dropped.
//!
//! Times are microseconds since 1970 in both backends' tables, and
//! `chrono::DateTime<Utc>` here.

use std::time::Duration;

use chrono::{DateTime, Utc};
use diesel::prelude::*;
use secrecy::{ExposeSecret, SecretString};

use crate::db::AnyConnection;
use crate::error::{Error, FieldErrors, from_diesel};
use crate::feed::{ChangeEvent, ChangeKind};
use crate::journal;
use crate::schema::webhooks::{webhook_deliveries as d, webhooks as w};
use crate::store::Store;

/// The longest description accepted, in characters.
pub const MAX_DESCRIPTION: usize = 200;
/// The longest URL accepted, in bytes.
pub const MAX_URL: usize = 2_000;
/// The most subscriptions kept.
pub const MAX_WEBHOOKS: i64 = 100;
/// The most pending deliveries queued per subscription; the journal keeps the rest.
pub const MAX_PENDING: i64 = 10_000;
/// The most journal events one [`Store::enqueue_deliveries`] reads.
pub const ENQUEUE_PAGE: i64 = 100;
/// The most entries of a delivery log one read returns, and the most finished ones
/// kept per subscription.
pub const LOG_KEPT: i64 = 1_000;

/// Runs the same diesel code on either backend's connection: the webhook tables have
/// one declaration for both.
macro_rules! on_any {
    ($conn:expr, |$c:ident| $body:expr) => {
        match &mut *$conn {
            AnyConnection::Postgres($c) => $body,
            AnyConnection::Sqlite($c) => $body,
        }
    };
}

fn micros(at: DateTime<Utc>) -> i64 {
    at.timestamp_micros()
}

fn time(micros: i64) -> DateTime<Utc> {
    DateTime::from_timestamp_micros(micros).unwrap_or(DateTime::<Utc>::MIN_UTC)
}

/// Whether a subscription gets deliveries.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum WebhookState {
    /// Deliveries are sent.
    Active,
    /// Paused by hand: changes are not queued or sent until it is resumed.
    Paused,
    /// Too many failed attempts in a row: as paused, until resumed by hand.
    Disabled,
}

impl WebhookState {
    /// `active`, `paused` or `disabled`.
    pub fn as_str(self) -> &'static str {
        match self {
            WebhookState::Active => "active",
            WebhookState::Paused => "paused",
            WebhookState::Disabled => "disabled",
        }
    }

    fn parse(name: &str) -> Result<WebhookState, Error> {
        match name {
            "active" => Ok(WebhookState::Active),
            "paused" => Ok(WebhookState::Paused),
            "disabled" => Ok(WebhookState::Disabled),
            other => Err(Error::internal(format!("unknown webhook state {other:?}"))),
        }
    }
}

/// A subscription as asked for: checked by [`NewWebhook::parse`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewWebhook {
    /// Where deliveries are POSTed: an `http://` URL.
    pub url: url::Url,
    /// The kinds of change it wants; empty for every kind.
    pub kinds: Vec<ChangeKind>,
    /// Free text for people.
    pub description: String,
}

impl NewWebhook {
    /// Checks a subscription's fields; each broken rule is one message on its field.
    ///
    /// Only the form is checked here; where the URL may point (the allow-list) is the
    /// deliverer's question, asked when subscribing and again on every delivery.
    ///
    /// # Errors
    /// [`Error::Invalid`] with messages on `url`, `kinds` and `description`.
    pub fn parse(
        url: Option<&str>,
        kinds: Option<&[String]>,
        description: Option<&str>,
    ) -> Result<NewWebhook, Error> {
        let mut errors = FieldErrors::default();
        let url = match url {
            None => {
                errors.push("url", "This field is required.");
                None
            }
            Some(url) => match parse_url(url) {
                Ok(url) => Some(url),
                Err(message) => {
                    errors.push("url", message);
                    None
                }
            },
        };
        let mut parsed = Vec::new();
        for name in kinds.unwrap_or_default() {
            match ChangeKind::parse(name) {
                Some(kind) if !parsed.contains(&kind) => parsed.push(kind),
                Some(_) => {}
                None => errors.push(
                    "kinds",
                    format!("\"{name}\" is not a valid choice: created, updated or deleted."),
                ),
            }
        }
        let description = description.unwrap_or_default();
        if description.chars().count() > MAX_DESCRIPTION {
            errors.push(
                "description",
                format!("Ensure this field has no more than {MAX_DESCRIPTION} characters."),
            );
        }
        match url {
            Some(url) if errors.is_empty() => Ok(NewWebhook {
                url,
                kinds: parsed,
                description: description.to_owned(),
            }),
            _ => Err(Error::Invalid(errors)),
        }
    }
}

fn parse_url(text: &str) -> Result<url::Url, String> {
    if text.len() > MAX_URL {
        return Err(format!("Ensure this URL has no more than {MAX_URL} bytes."));
    }
    let url = url::Url::parse(text).map_err(|e| format!("Enter a valid URL ({e})."))?;
    if url.scheme() != "http" {
        return Err(format!(
            "Only http:// URLs are accepted, not {}:// (deliveries go to this host or its private network, in plain HTTP).",
            url.scheme()
        ));
    }
    if url.host().is_none() {
        return Err("Enter a URL with a host.".into());
    }
    if !url.username().is_empty() || url.password().is_some() {
        return Err("Enter a URL without a user name or password.".into());
    }
    if url.fragment().is_some() {
        return Err("Enter a URL without a #fragment.".into());
    }
    Ok(url)
}

/// A subscription.
#[derive(Debug, Clone)]
pub struct Webhook {
    /// Its number.
    pub id: i64,
    /// Where deliveries are POSTed.
    pub url: String,
    /// The kinds of change it wants; empty for every kind.
    pub kinds: Vec<ChangeKind>,
    /// Free text for people.
    pub description: String,
    /// The signing secret, `whsec_…`. `Debug` does not show it.
    pub secret: SecretString,
    /// Whether deliveries are sent.
    pub state: WebhookState,
    /// The last journal number taken into its deliveries.
    pub position: i64,
    /// Failed attempts in a row.
    pub failures: i32,
    /// No attempt before this time, after a failure.
    pub retry_at: Option<DateTime<Utc>>,
    /// Why it was disabled.
    pub disabled_reason: Option<String>,
    /// When it was created.
    pub created_at: DateTime<Utc>,
    /// When it last changed.
    pub updated_at: DateTime<Utc>,
}

impl Webhook {
    /// Whether it wants changes of this kind.
    pub fn wants(&self, kind: ChangeKind) -> bool {
        self.kinds.is_empty() || self.kinds.contains(&kind)
    }
}

type WebhookRow = (
    i64,
    String,
    String,
    String,
    String,
    String,
    i64,
    i32,
    i64,
    Option<String>,
    i64,
    i64,
);

const WEBHOOK_COLUMNS: (
    w::id,
    w::url,
    w::kinds,
    w::description,
    w::secret,
    w::state,
    w::position,
    w::failures,
    w::retry_at,
    w::disabled_reason,
    w::created_at,
    w::updated_at,
) = (
    w::id,
    w::url,
    w::kinds,
    w::description,
    w::secret,
    w::state,
    w::position,
    w::failures,
    w::retry_at,
    w::disabled_reason,
    w::created_at,
    w::updated_at,
);

fn webhook(row: WebhookRow) -> Result<Webhook, Error> {
    let (id, url, kinds, description, secret, state, position, failures, retry_at, reason, c, u) =
        row;
    let kinds = kinds
        .split(',')
        .filter(|k| !k.is_empty())
        .map(|k| {
            ChangeKind::parse(k).ok_or_else(|| Error::internal(format!("webhook {id}: kind {k:?}")))
        })
        .collect::<Result<_, _>>()?;
    Ok(Webhook {
        id,
        url,
        kinds,
        description,
        secret: SecretString::from(secret),
        state: WebhookState::parse(&state)?,
        position,
        failures,
        retry_at: (retry_at > 0).then(|| time(retry_at)),
        disabled_reason: reason,
        created_at: time(c),
        updated_at: time(u),
    })
}

fn kinds_text(kinds: &[ChangeKind]) -> String {
    kinds
        .iter()
        .map(|k| k.as_str())
        .collect::<Vec<_>>()
        .join(",")
}

/// Where a delivery stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DeliveryState {
    /// Not delivered yet: waiting for its turn, or for its next attempt.
    Pending,
    /// The receiver answered 2xx.
    Delivered,
    /// Not a delivery: a note that retention deleted changes before they were queued.
    Skipped,
}

impl DeliveryState {
    /// `pending`, `delivered` or `skipped`.
    pub fn as_str(self) -> &'static str {
        match self {
            DeliveryState::Pending => "pending",
            DeliveryState::Delivered => "delivered",
            DeliveryState::Skipped => "skipped",
        }
    }

    fn parse(name: &str) -> Result<DeliveryState, Error> {
        match name {
            "pending" => Ok(DeliveryState::Pending),
            "delivered" => Ok(DeliveryState::Delivered),
            "skipped" => Ok(DeliveryState::Skipped),
            other => Err(Error::internal(format!("unknown delivery state {other:?}"))),
        }
    }
}

/// One change on its way to one subscription, with how its attempts went.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Delivery {
    /// Its number.
    pub id: i64,
    /// The subscription.
    pub webhook_id: i64,
    /// The `webhook-id` header, the same on every attempt.
    pub message_id: String,
    /// The journal number of the change.
    pub seq: i64,
    /// `dummy.created`, `dummy.updated` or `dummy.deleted`.
    pub event_type: String,
    /// The JSON body sent.
    pub body: String,
    /// Where it stands.
    pub state: DeliveryState,
    /// Attempts made.
    pub attempts: i32,
    /// The status code of the last answer, if one came.
    pub response_status: Option<i32>,
    /// Why the last attempt failed, if it did.
    pub error: Option<String>,
    /// How long the last attempt took.
    pub latency: Option<Duration>,
    /// When it was queued.
    pub created_at: DateTime<Utc>,
    /// When it was last tried.
    pub attempted_at: Option<DateTime<Utc>>,
    /// When the receiver accepted it.
    pub delivered_at: Option<DateTime<Utc>>,
}

type DeliveryRow = (
    i64,
    i64,
    String,
    i64,
    String,
    String,
    String,
    i32,
    Option<i32>,
    Option<String>,
    Option<i64>,
    i64,
    Option<i64>,
    Option<i64>,
);

/// The columns of a [`DeliveryRow`], in its order.
type DeliveryColumns = (
    d::id,
    d::webhook_id,
    d::message_id,
    d::seq,
    d::event_type,
    d::body,
    d::state,
    d::attempts,
    d::response_status,
    d::error,
    d::latency_us,
    d::created_at,
    d::attempted_at,
    d::delivered_at,
);

const DELIVERY_COLUMNS: DeliveryColumns = (
    d::id,
    d::webhook_id,
    d::message_id,
    d::seq,
    d::event_type,
    d::body,
    d::state,
    d::attempts,
    d::response_status,
    d::error,
    d::latency_us,
    d::created_at,
    d::attempted_at,
    d::delivered_at,
);

fn delivery(row: DeliveryRow) -> Result<Delivery, Error> {
    let (
        id,
        webhook_id,
        message_id,
        seq,
        event_type,
        body,
        state,
        attempts,
        status,
        error,
        lat,
        c,
        a,
        dv,
    ) = row;
    Ok(Delivery {
        id,
        webhook_id,
        message_id,
        seq,
        event_type,
        body,
        state: DeliveryState::parse(&state)?,
        attempts,
        response_status: status,
        error,
        latency: lat.map(|us| Duration::from_micros(us.max(0).unsigned_abs())),
        created_at: time(c),
        attempted_at: a.map(time),
        delivered_at: dv.map(time),
    })
}

/// What one attempt to deliver gave.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Attempt {
    /// When it started.
    pub at: DateTime<Utc>,
    /// How long it took.
    pub latency: Duration,
    /// The status code, if an answer came.
    pub status: Option<u16>,
    /// Why it failed, if it did (no answer, or an answer that is not 2xx).
    pub error: Option<String>,
}

impl Attempt {
    /// A 2xx answer.
    pub fn succeeded(&self) -> bool {
        self.status.is_some_and(|s| (200..300).contains(&s))
    }
}

/// What an attempt does to its subscription.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum AfterAttempt {
    /// It succeeded: the failure count starts again.
    Delivered,
    /// It failed: the next attempt not before this time.
    RetryAt(DateTime<Utc>),
    /// It failed once too often: the subscription is disabled, for this reason.
    Disable(String),
    /// A resend by hand: the subscription is left as it is.
    Manual,
}

/// Which subscriptions a deliverer may work on now ([`Store::due_webhooks`]).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Due {
    /// Active, no backoff in force, not leased by anyone.
    pub ids: Vec<i64>,
    /// When the earliest backoff in force ends.
    pub next_retry: Option<DateTime<Utc>>,
    /// Whether any subscription is active (due or not).
    pub any_active: bool,
}

/// A change made ready to send: its `webhook-id` and its body.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Message {
    /// The `webhook-id` header.
    pub id: String,
    /// `dummy.created`, …
    pub event_type: String,
    /// The JSON body.
    pub body: String,
}

fn load_webhook(conn: &mut AnyConnection, id: i64) -> Result<Option<Webhook>, Error> {
    let row: Option<WebhookRow> = on_any!(conn, |c| w::table
        .find(id)
        .select(WEBHOOK_COLUMNS)
        .first(c)
        .optional())
    .map_err(|e| from_diesel(e, None))?;
    row.map(webhook).transpose()
}

impl Store {
    /// Saves a subscription with its secret, starting at the journal's head.
    ///
    /// # Errors
    /// [`Error::Unavailable`] when the database can't be reached.
    pub async fn create_webhook(
        &self,
        new: NewWebhook,
        secret: SecretString,
    ) -> Result<Webhook, Error> {
        let now = micros(Utc::now());
        self.write(move |conn| {
            let kept: i64 = on_any!(conn, |c| w::table.count().get_result(c))
                .map_err(|e| from_diesel(e, None))?;
            if kept >= MAX_WEBHOOKS {
                return Err(Error::Conflict(format!(
                    "There are {kept} subscriptions already, the most this server keeps; delete one first."
                )));
            }
            let head = journal::bounds(conn)
                .map_err(|e| from_diesel(e, None))?
                .head;
            let values = (
                w::url.eq(new.url.as_str()),
                w::kinds.eq(kinds_text(&new.kinds)),
                w::description.eq(&new.description),
                w::secret.eq(secret.expose_secret()),
                w::state.eq(WebhookState::Active.as_str()),
                w::position.eq(head),
                w::failures.eq(0),
                w::retry_at.eq(0),
                w::lease_until.eq(0),
                w::lease_token.eq(""),
                w::created_at.eq(now),
                w::updated_at.eq(now),
            );
            let row: WebhookRow = on_any!(conn, |c| diesel::insert_into(w::table)
                .values(values)
                .returning(WEBHOOK_COLUMNS)
                .get_result(c))
            .map_err(|e| from_diesel(e, None))?;
            webhook(row)
        })
        .await
    }

    /// Every subscription, by id.
    ///
    /// # Errors
    /// [`Error::Unavailable`] when the database can't be reached.
    pub async fn webhooks(&self) -> Result<Vec<Webhook>, Error> {
        self.run(|conn| {
            let rows: Vec<WebhookRow> = on_any!(conn, |c| w::table
                .order(w::id.asc())
                .select(WEBHOOK_COLUMNS)
                .load(c))
            .map_err(|e| from_diesel(e, None))?;
            rows.into_iter().map(webhook).collect()
        })
        .await
    }

    /// One subscription, if it exists.
    ///
    /// # Errors
    /// [`Error::Unavailable`] when the database can't be reached.
    pub async fn webhook(&self, id: i64) -> Result<Option<Webhook>, Error> {
        self.run(move |conn| load_webhook(conn, id)).await
    }

    /// Deletes a subscription and its delivery log; whether it existed.
    ///
    /// # Errors
    /// [`Error::Unavailable`] when the database can't be reached.
    pub async fn delete_webhook(&self, id: i64) -> Result<bool, Error> {
        self.write(move |conn| {
            on_any!(conn, |c| c.transaction(|c| {
                diesel::delete(d::table.filter(d::webhook_id.eq(id))).execute(c)?;
                diesel::delete(w::table.find(id)).execute(c)
            }))
            .map(|deleted| deleted == 1)
            .map_err(|e| from_diesel(e, None))
        })
        .await
    }

    /// Gives a subscription a new secret; the subscription, if it exists.
    ///
    /// # Errors
    /// [`Error::Unavailable`] when the database can't be reached.
    pub async fn rotate_webhook_secret(
        &self,
        id: i64,
        secret: SecretString,
    ) -> Result<Option<Webhook>, Error> {
        let now = micros(Utc::now());
        self.write(move |conn| {
            on_any!(conn, |c| diesel::update(w::table.find(id))
                .set((w::secret.eq(secret.expose_secret()), w::updated_at.eq(now)))
                .execute(c))
            .map_err(|e| from_diesel(e, None))?;
            load_webhook(conn, id)
        })
        .await
    }

    /// Pauses, resumes or disables a subscription; the subscription, if it exists.
    /// Resuming (to [`WebhookState::Active`]) clears the failures, the backoff and the
    /// reason it was disabled; it goes on from the same pending delivery.
    ///
    /// # Errors
    /// [`Error::Unavailable`] when the database can't be reached.
    pub async fn set_webhook_state(
        &self,
        id: i64,
        state: WebhookState,
    ) -> Result<Option<Webhook>, Error> {
        let now = micros(Utc::now());
        self.write(move |conn| {
            let target = w::table.find(id);
            on_any!(conn, |c| match state {
                WebhookState::Active => diesel::update(target)
                    .set((
                        w::state.eq(state.as_str()),
                        w::failures.eq(0),
                        w::retry_at.eq(0),
                        w::disabled_reason.eq(None::<String>),
                        w::updated_at.eq(now),
                    ))
                    .execute(c),
                _ => diesel::update(target)
                    .set((w::state.eq(state.as_str()), w::updated_at.eq(now)))
                    .execute(c),
            })
            .map_err(|e| from_diesel(e, None))?;
            load_webhook(conn, id)
        })
        .await
    }

    /// A subscription's delivery log, newest first, at most `limit` entries; `None`
    /// when the subscription does not exist.
    ///
    /// # Errors
    /// [`Error::Unavailable`] when the database can't be reached.
    pub async fn webhook_deliveries(
        &self,
        id: i64,
        limit: i64,
    ) -> Result<Option<Vec<Delivery>>, Error> {
        self.run(move |conn| {
            if load_webhook(conn, id)?.is_none() {
                return Ok(None);
            }
            let rows: Vec<DeliveryRow> = on_any!(conn, |c| d::table
                .filter(d::webhook_id.eq(id))
                .order(d::id.desc())
                .limit(limit.clamp(1, LOG_KEPT))
                .select(DELIVERY_COLUMNS)
                .load(c))
            .map_err(|e| from_diesel(e, None))?;
            rows.into_iter()
                .map(delivery)
                .collect::<Result<_, _>>()
                .map(Some)
        })
        .await
    }

    /// One delivery of a subscription, with the subscription.
    ///
    /// # Errors
    /// [`Error::Unavailable`] when the database can't be reached.
    pub async fn webhook_delivery(
        &self,
        id: i64,
        delivery_id: i64,
    ) -> Result<Option<(Webhook, Delivery)>, Error> {
        self.run(move |conn| {
            let Some(hook) = load_webhook(conn, id)? else {
                return Ok(None);
            };
            let row: Option<DeliveryRow> = on_any!(conn, |c| d::table
                .filter(d::webhook_id.eq(id).and(d::id.eq(delivery_id)))
                .select(DELIVERY_COLUMNS)
                .first(c)
                .optional())
            .map_err(|e| from_diesel(e, None))?;
            row.map(|row| Ok((hook, delivery(row)?))).transpose()
        })
        .await
    }

    /// The subscription a delivery with this `webhook-id` was made for: how a
    /// receiver on this server finds the secret to check a signature with.
    ///
    /// # Errors
    /// [`Error::Unavailable`] when the database can't be reached.
    pub async fn webhook_for_message(&self, message_id: String) -> Result<Option<Webhook>, Error> {
        self.run(move |conn| {
            let id: Option<i64> = on_any!(conn, |c| d::table
                .filter(d::message_id.eq(&message_id))
                .select(d::webhook_id)
                .first(c)
                .optional())
            .map_err(|e| from_diesel(e, None))?;
            match id {
                Some(id) => load_webhook(conn, id),
                None => Ok(None),
            }
        })
        .await
    }

    /// The active subscriptions that are due (no backoff in force) and not leased,
    /// when the next backoff of the others ends, and whether any is active at all.
    ///
    /// # Errors
    /// [`Error::Unavailable`] when the database can't be reached.
    pub async fn due_webhooks(&self) -> Result<Due, Error> {
        let now = micros(Utc::now());
        self.run(move |conn| {
            let active = w::state.eq(WebhookState::Active.as_str());
            let ids = on_any!(conn, |c| w::table
                .filter(active)
                .filter(w::retry_at.le(now))
                .filter(w::lease_until.le(now))
                .order(w::id.asc())
                .select(w::id)
                .load(c))
            .map_err(|e| from_diesel(e, None))?;
            let count: i64 = on_any!(conn, |c| w::table.filter(active).count().get_result(c))
                .map_err(|e| from_diesel(e, None))?;
            let next: Option<i64> = on_any!(conn, |c| w::table
                .filter(active)
                .filter(w::retry_at.gt(now))
                .select(diesel::dsl::min(w::retry_at))
                .first(c))
            .map_err(|e| from_diesel(e, None))?;
            Ok(Due {
                ids,
                next_retry: next.map(time),
                any_active: count > 0,
            })
        })
        .await
    }

    /// Takes, or with `renew` extends, the lease on an active subscription until
    /// `until`, under `token`; the subscription if this caller now holds it. A lease is
    /// taken only once the previous one ran out, and renewed only under its own token.
    ///
    /// # Errors
    /// [`Error::Unavailable`] when the database can't be reached.
    pub async fn lease_webhook(
        &self,
        id: i64,
        token: &str,
        until: DateTime<Utc>,
        renew: bool,
    ) -> Result<Option<Webhook>, Error> {
        let now = micros(Utc::now());
        let until = micros(until);
        let token = token.to_owned();
        self.write(move |conn| {
            let active = w::table
                .find(id)
                .filter(w::state.eq(WebhookState::Active.as_str()));
            let taken = on_any!(conn, |c| if renew {
                diesel::update(active.filter(w::lease_token.eq(&token)))
                    .set(w::lease_until.eq(until))
                    .execute(c)
            } else {
                diesel::update(active.filter(w::lease_until.le(now)))
                    .set((w::lease_until.eq(until), w::lease_token.eq(&token)))
                    .execute(c)
            })
            .map_err(|e| from_diesel(e, None))?;
            if taken == 0 {
                return Ok(None);
            }
            load_webhook(conn, id)
        })
        .await
    }

    /// Gives the lease on a subscription back, if `token` still holds it.
    ///
    /// # Errors
    /// [`Error::Unavailable`] when the database can't be reached.
    pub async fn release_webhook(&self, id: i64, token: &str) -> Result<(), Error> {
        let token = token.to_owned();
        self.write(move |conn| {
            on_any!(conn, |c| diesel::update(
                w::table.find(id).filter(w::lease_token.eq(&token))
            )
            .set((w::lease_until.eq(0), w::lease_token.eq("")))
            .execute(c))
            .map(drop)
            .map_err(|e| from_diesel(e, None))
        })
        .await
    }

    /// Frees every lease: for a process that is the only one using its (SQLite)
    /// database, at start, so that the leases of a process that was killed do not
    /// hold up its successor.
    ///
    /// # Errors
    /// [`Error::Unavailable`] when the database can't be reached.
    pub async fn release_all_webhooks(&self) -> Result<(), Error> {
        self.write(|conn| {
            on_any!(conn, |c| diesel::update(w::table)
                .set((w::lease_until.eq(0), w::lease_token.eq("")))
                .execute(c))
            .map(drop)
            .map_err(|e| from_diesel(e, None))
        })
        .await
    }

    /// Queues the changes after a leased subscription's position that it wants, at
    /// most [`ENQUEUE_PAGE`] journal events, each made into a message by `message`;
    /// its new position, or `None` when there was nothing after it, [`MAX_PENDING`]
    /// deliveries are queued already, or another process moved it first. When retention deleted changes it never queued, a
    /// [`DeliveryState::Skipped`] entry in its log says which, and it goes on after
    /// them.
    ///
    /// # Errors
    /// [`Error::Unavailable`] when the database can't be reached.
    pub async fn enqueue_deliveries(
        &self,
        hook: &Webhook,
        message: fn(&ChangeEvent) -> Result<Message, Error>,
    ) -> Result<Option<i64>, Error> {
        let (id, from) = (hook.id, hook.position);
        let pending: i64 = self
            .run(move |conn| {
                on_any!(conn, |c| d::table
                    .filter(d::webhook_id.eq(id))
                    .filter(d::state.eq(DeliveryState::Pending.as_str()))
                    .count()
                    .get_result(c))
                .map_err(|e| from_diesel(e, None))
            })
            .await?;
        if pending >= MAX_PENDING {
            return Ok(None);
        }
        let (events, skipped) = match self.journal_after(from, ENQUEUE_PAGE).await {
            Ok(events) => (events, None),
            Err(Error::TooOld { pruned_through, .. }) => (Vec::new(), Some((from, pruned_through))),
            Err(error) => return Err(error),
        };
        let to = match (skipped, events.last()) {
            (Some((_, pruned_through)), _) => pruned_through,
            (None, Some(last)) => last.seq,
            (None, None) => return Ok(None),
        };
        let messages = events
            .iter()
            .filter(|event| hook.wants(event.kind))
            .map(|event| Ok((event.seq, message(event)?)))
            .collect::<Result<Vec<_>, Error>>()?;
        let now = micros(Utc::now());
        self.write(move |conn| {
            on_any!(conn, |c| c.transaction(|c| {
                // Only from where this caller read: another process that moved the
                // position first has queued these already.
                let moved = diesel::update(w::table.find(id).filter(w::position.eq(from)))
                    .set(w::position.eq(to))
                    .execute(c)?;
                if moved == 0 {
                    return QueryResult::Ok(None);
                }
                if let Some((after, through)) = skipped {
                    diesel::insert_into(d::table)
                        .values((
                            d::webhook_id.eq(id),
                            d::message_id.eq(format!("skipped_{after}_{through}")),
                            d::seq.eq(0),
                            d::event_type.eq("journal.pruned"),
                            d::body.eq(""),
                            d::state.eq(DeliveryState::Skipped.as_str()),
                            d::attempts.eq(0),
                            d::error.eq(format!(
                                "the changes after {after} up to {through} were deleted from the journal (retention) before they were queued"
                            )),
                            d::created_at.eq(now),
                        ))
                        .execute(c)?;
                }
                for (seq, message) in &messages {
                    diesel::insert_into(d::table)
                        .values((
                            d::webhook_id.eq(id),
                            d::message_id.eq(&message.id),
                            d::seq.eq(seq),
                            d::event_type.eq(&message.event_type),
                            d::body.eq(&message.body),
                            d::state.eq(DeliveryState::Pending.as_str()),
                            d::attempts.eq(0),
                            d::created_at.eq(now),
                        ))
                        .execute(c)?;
                }
                QueryResult::Ok(Some(to))
            }))
            .map_err(|e| from_diesel(e, None))
        })
        .await
    }

    /// The oldest pending delivery of a subscription: the next one to send.
    ///
    /// # Errors
    /// [`Error::Unavailable`] when the database can't be reached.
    pub async fn next_delivery(&self, id: i64) -> Result<Option<Delivery>, Error> {
        self.run(move |conn| {
            let row: Option<DeliveryRow> = on_any!(conn, |c| d::table
                .filter(d::webhook_id.eq(id))
                .filter(d::state.eq(DeliveryState::Pending.as_str()))
                .order(d::id.asc())
                .select(DELIVERY_COLUMNS)
                .first(c)
                .optional())
            .map_err(|e| from_diesel(e, None))?;
            row.map(delivery).transpose()
        })
        .await
    }

    /// Records an attempt on a delivery, and what it does to the subscription (only
    /// while `token` holds its lease: a deliverer that lost it records the attempt but
    /// leaves the subscription to the one that took over); the delivery as it is now.
    /// A delivered delivery stays delivered whatever a later resend gives.
    ///
    /// # Errors
    /// [`Error::Unavailable`] when the database can't be reached.
    pub async fn record_attempt(
        &self,
        delivery_id: i64,
        attempt: Attempt,
        after: AfterAttempt,
        token: &str,
    ) -> Result<Option<Delivery>, Error> {
        let token = token.to_owned();
        let at = micros(attempt.at);
        let latency = i64::try_from(attempt.latency.as_micros()).unwrap_or(i64::MAX);
        let status = attempt.status.map(i32::from);
        let succeeded = attempt.succeeded();
        let now = micros(Utc::now());
        self.write(move |conn| {
            let row: Option<DeliveryRow> = on_any!(conn, |c| c.transaction(|c| {
                let target = d::table.find(delivery_id);
                let Some(webhook_id) = target.select(d::webhook_id).first::<i64>(c).optional()?
                else {
                    return QueryResult::Ok(None);
                };
                diesel::update(target)
                    .set((
                        d::attempts.eq(d::attempts + 1),
                        d::response_status.eq(status),
                        d::error.eq(&attempt.error),
                        d::latency_us.eq(latency),
                        d::attempted_at.eq(at),
                    ))
                    .execute(c)?;
                if succeeded {
                    diesel::update(target.filter(d::state.eq(DeliveryState::Pending.as_str())))
                        .set((
                            d::state.eq(DeliveryState::Delivered.as_str()),
                            d::delivered_at.eq(now),
                        ))
                        .execute(c)?;
                }
                let hook = w::table.find(webhook_id).filter(w::lease_token.eq(&token));
                match &after {
                    AfterAttempt::Delivered => {
                        diesel::update(hook)
                            .set((w::failures.eq(0), w::retry_at.eq(0)))
                            .execute(c)?;
                        // The log keeps the newest LOG_KEPT finished entries.
                        let finished = d::webhook_id
                            .eq(webhook_id)
                            .and(d::state.ne(DeliveryState::Pending.as_str()));
                        let cutoff: Option<i64> = d::table
                            .filter(finished)
                            .order(d::id.desc())
                            .offset(LOG_KEPT)
                            .select(d::id)
                            .first(c)
                            .optional()?;
                        if let Some(cutoff) = cutoff {
                            diesel::delete(d::table.filter(finished).filter(d::id.le(cutoff)))
                                .execute(c)?;
                        }
                    }
                    AfterAttempt::RetryAt(when) => {
                        diesel::update(hook)
                            .set((
                                w::failures.eq(w::failures + 1),
                                w::retry_at.eq(micros(*when)),
                            ))
                            .execute(c)?;
                    }
                    AfterAttempt::Disable(reason) => {
                        diesel::update(hook)
                            .set((
                                w::failures.eq(w::failures + 1),
                                w::state.eq(WebhookState::Disabled.as_str()),
                                w::disabled_reason.eq(reason),
                                w::updated_at.eq(now),
                            ))
                            .execute(c)?;
                    }
                    AfterAttempt::Manual => {}
                }
                target.select(DELIVERY_COLUMNS).first(c).optional()
            }))
            .map_err(|e| from_diesel(e, None))?;
            row.map(delivery).transpose()
        })
        .await
    }
}
