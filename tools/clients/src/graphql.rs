//! A typed GraphQL client: the four calls on a Dummy the other protocols' [`Client`]
//! makes, each one document POSTed to `/api/graphql` ([`wire::graphql`]), and
//! [`GraphqlClient::execute`] for any other document. [`subscribe`] opens a
//! subscription over `graphql-transport-ws`, and [`next_event`] reads its events.
//!
//! GraphQL answers `200` with an `errors` list for most failures; the first error's
//! `extensions.code` (`NOT_FOUND`, `INVALID`, `UNAVAILABLE`, …) becomes
//! [`Failure::Answered`].
//!
//! [`Client`]: crate::Client

use std::net::SocketAddr;

use serde_json::{Value, json};
use tokio_tungstenite::tungstenite::client::IntoClientRequest;

use crate::ws::{Socket, send_json};
use crate::{
    CALL_TIMEOUT, Failure, Fields, Outcome, Patch, month_name, month_number, transport, unexpected,
    weekday_name, weekday_number, wire,
};

/// A GraphQL client of one server.
#[derive(Debug, Clone)]
pub struct GraphqlClient {
    base: String,
    http: reqwest::Client,
}

impl GraphqlClient {
    /// A client of the GraphQL service at `addr`.
    ///
    /// # Panics
    /// When the HTTP client can't be built (no TLS is involved, so never).
    pub fn new(addr: SocketAddr) -> GraphqlClient {
        GraphqlClient {
            base: format!("http://{addr}"),
            http: reqwest::Client::builder()
                .timeout(CALL_TIMEOUT)
                .connect_timeout(std::time::Duration::from_secs(2))
                .build()
                .expect("an HTTP client"),
        }
    }

    /// Runs `query` with `variables` and returns `data`.
    ///
    /// # Errors
    /// The first GraphQL error's code, or the transport's failure.
    pub async fn execute(&self, query: &str, variables: &Value) -> Outcome<Value> {
        self.send(wire::graphql::call(query, variables)).await
    }

    /// Creates a Dummy; returns its id and fields as acknowledged.
    ///
    /// # Errors
    /// See [`Failure`].
    pub async fn create(&self, fields: Fields) -> Outcome<(i64, Fields)> {
        let input = json!({
            "day": fields.day,
            "weekday": weekday_name(fields.weekday).to_uppercase(),
            "month": month_name(fields.month).to_uppercase(),
            "year": fields.year,
        });
        let data = self.send(wire::graphql::create(&input)).await?;
        row(&data["createDummy"]).ok_or_else(|| unexpected(&data))
    }

    /// Reads Dummy `id`.
    ///
    /// # Errors
    /// See [`Failure`]; a missing row is `GraphQL error NOT_FOUND`.
    pub async fn get(&self, id: i64) -> Outcome<Fields> {
        let data = self.send(wire::graphql::get(id)).await?;
        row(&data["dummy"])
            .map(|(_, fields)| fields)
            .ok_or_else(|| unexpected(&data))
    }

    /// Writes day, weekday and month of Dummy `id` in one `patchDummy`.
    ///
    /// # Errors
    /// See [`Failure`].
    pub async fn patch(&self, id: i64, patch: Patch) -> Outcome<Fields> {
        let input = json!({
            "day": patch.day,
            "weekday": weekday_name(patch.weekday).to_uppercase(),
            "month": month_name(patch.month).to_uppercase(),
        });
        let data = self.send(wire::graphql::patch(id, &input)).await?;
        row(&data["patchDummy"])
            .map(|(_, fields)| fields)
            .ok_or_else(|| unexpected(&data))
    }

    /// Deletes Dummy `id`.
    ///
    /// # Errors
    /// See [`Failure`].
    pub async fn delete(&self, id: i64) -> Outcome<()> {
        let data = self.send(wire::graphql::delete(id)).await?;
        if data["deleteDummy"] == json!(id.to_string()) {
            Ok(())
        } else {
            Err(unexpected(&data))
        }
    }

    /// Sends one request and returns `data`, or the first error's code.
    async fn send(&self, call: wire::HttpCall) -> Outcome<Value> {
        let response = call
            .on(&self.http, &self.base)
            .header(reqwest::header::ACCEPT, "application/graphql-response+json")
            .send()
            .await
            .map_err(transport)?;
        let status = response.status();
        let mut answer: Value = response.json().await.map_err(transport)?;
        if let Some(error) = answer.pointer("/errors/0") {
            let code = error
                .pointer("/extensions/code")
                .and_then(Value::as_str)
                .unwrap_or("without a code");
            return Err(Failure::Answered(format!("GraphQL error {code}")));
        }
        if !status.is_success() {
            return Err(Failure::Answered(format!("HTTP {}", status.as_u16())));
        }
        answer
            .get_mut("data")
            .map(Value::take)
            .ok_or_else(|| unexpected(&answer))
    }
}

/// The sub-protocol of a GraphQL WebSocket, as the `graphql-ws` library names it.
pub const TRANSPORT_WS: &str = "graphql-transport-ws";

/// Opens `url` (`ws://host:port/api/graphql`) with the `graphql-transport-ws`
/// sub-protocol, sends `connection_init`, waits for `connection_ack`, and subscribes
/// to `query` with `variables` under the id `"1"`:
///
/// ```text
/// → {"type":"connection_init"}
/// ← {"type":"connection_ack"}
/// → {"id":"1","type":"subscribe","payload":{"query":"subscription { … }","variables":{}}}
/// ← {"id":"1","type":"next","payload":{"data":{…}}}      (one per event)
/// ```
///
/// # Errors
/// What went wrong, as text: the handshake, or an answer other than the ack.
pub async fn subscribe(url: &str, query: &str, variables: &Value) -> Result<Socket, String> {
    let mut request = url
        .into_client_request()
        .map_err(|e| format!("not a WebSocket URL {url}: {e}"))?;
    request.headers_mut().insert(
        "sec-websocket-protocol",
        tokio_tungstenite::tungstenite::http::HeaderValue::from_static(TRANSPORT_WS),
    );
    let (mut socket, _) = tokio_tungstenite::connect_async(request)
        .await
        .map_err(|e| format!("the WebSocket handshake failed: {e}"))?;
    let sent = |result: Result<(), _>| result.map_err(|e| format!("send: {e}"));
    sent(send_json(&mut socket, &json!({"type": "connection_init"})).await)?;
    let ack = crate::ws::next_json(&mut socket).await?;
    if ack["type"] != "connection_ack" {
        return Err(format!("expected connection_ack, got {ack}"));
    }
    let subscribe = json!({"id": "1", "type": "subscribe", "payload": {"query": query, "variables": variables}});
    sent(send_json(&mut socket, &subscribe).await)?;
    Ok(socket)
}

/// The `data` of the subscription's next event, each message read within [`crate::ws::WAIT`]
/// ([`crate::ws::next_json`]). The protocol's own `ping` is answered with `pong` on the way.
///
/// # Errors
/// What came instead: an `error` or `complete` message, a close frame, nothing in time.
pub async fn next_event(socket: &mut Socket) -> Result<Value, String> {
    loop {
        let mut message = crate::ws::next_json(socket).await?;
        match message["type"].as_str() {
            Some("next") => {
                if let Some(errors) = message.pointer("/payload/errors") {
                    return Err(format!("an event with errors: {errors}"));
                }
                return Ok(message
                    .pointer_mut("/payload/data")
                    .map(Value::take)
                    .unwrap_or_default());
            }
            Some("ping") => send_json(socket, &json!({"type": "pong"}))
                .await
                .map_err(|e| format!("send pong: {e}"))?,
            Some("pong") => {}
            _ => return Err(format!("the subscription ended: {message}")),
        }
    }
}

/// The id and fields of a GraphQL `Dummy`: an `ID` string, enums in capitals.
fn row(value: &Value) -> Option<(i64, Fields)> {
    let id = value.get("id")?.as_str()?.parse().ok()?;
    let title = |name: &str| -> Option<String> {
        let mut chars = name.chars();
        let first = chars.next()?;
        Some(first.to_string() + &chars.as_str().to_lowercase())
    };
    let fields = Fields {
        day: u8::try_from(value.get("day")?.as_i64()?).ok()?,
        weekday: weekday_number(&title(value.get("weekday")?.as_str()?)?)?,
        month: month_number(&title(value.get("month")?.as_str()?)?)?,
        year: i32::try_from(value.get("year")?.as_i64()?).ok()?,
    };
    Some((id, fields))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_graphql_dummy_reads_as_fields() {
        let dummy =
            json!({"id": "7", "day": 2, "weekday": "TUESDAY", "month": "FEBRUARY", "year": 1985});
        assert_eq!(
            row(&dummy),
            Some((
                7,
                Fields {
                    day: 2,
                    weekday: 2,
                    month: 2,
                    year: 1985
                }
            ))
        );
        assert_eq!(row(&json!({"id": 7})), None);
        assert_eq!(
            row(&json!({"id": "7", "day": 2, "weekday": "FUNDAY", "month": "MAY", "year": 1})),
            None
        );
    }
}
