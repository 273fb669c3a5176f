//! # clients: one typed client per protocol
//!
//! What the tests, the reliability suite and the tools use to talk to the services,
//! written once:
//!
//! - [`Client`]: the same four calls on a Dummy (create, patch, delete, get) over REST
//!   (reqwest), JSON-RPC, XML-RPC (dxr builds and reads the XML), gRPC (the
//!   generated client of `grpc-pb`) and GraphQL ([`graphql::GraphqlClient`]), each
//!   answering with the row the server acknowledged, as [`Fields`].
//! - [`graphql::GraphqlClient`]: the four calls over GraphQL (one document per call,
//!   the row read back from `data`), and any other document.
//! - [`amqp`]: the messaging service's change events and request queue over AMQP
//!   (lapin), and [`mqtt`], its topics over MQTT (rumqttc).
//! - [`ws`]: WebSocket connections that send and read JSON text frames.
//! - [`grpc`]: reading a server stream of the generated clients.
//! - [`sse`]: reading a Server-Sent Events stream, block by block.
//! - [`webhooks`]: subscribing a receiver's URL, reading its delivery log.
//! - [`wire`]: each protocol's requests as they go on the wire, for any HTTP
//!   transport: `Client` sends them with reqwest, the shootout over connections that
//!   count their bytes.
//!
//! A call either returns what the server acknowledged, or a [`Failure`] that says
//! whether the server answered with an error in its protocol's own form (and which
//! one), or the transport failed (connection refused, reset, timeout).

#![warn(missing_docs)]

pub mod amqp;
pub mod graphql;
pub mod grpc;
pub mod mqtt;
pub mod sse;
pub mod webhooks;
pub mod wire;
pub mod ws;

use std::collections::BTreeMap;
use std::fmt;
use std::net::SocketAddr;
use std::time::Duration;

use grpc_pb::dummy::dummy_service_client::DummyServiceClient;
use grpc_pb::dummy::{
    self as pb, CreateDummyRequest, DeleteDummyRequest, GetDummyRequest, UpdateDummyRequest,
};
use serde_json::{Value, json};
use tonic::transport::{Channel, Endpoint};

/// The weekday numbered as the proto numbers it (1 = Monday).
pub fn weekday_name(number: u8) -> &'static str {
    model::Weekday::ALL[usize::from(number - 1)].as_str()
}

/// The month numbered as the proto numbers it (1 = January).
pub fn month_name(number: u8) -> &'static str {
    model::Month::ALL[usize::from(number - 1)].as_str()
}

/// The proto number of a weekday's name.
pub fn weekday_number(name: &str) -> Option<u8> {
    let index = model::Weekday::ALL
        .iter()
        .position(|w| w.as_str() == name)?;
    u8::try_from(index + 1).ok()
}

/// The proto number of a month's name.
pub fn month_number(name: &str) -> Option<u8> {
    let index = model::Month::ALL.iter().position(|m| m.as_str() == name)?;
    u8::try_from(index + 1).ok()
}

/// How long any one call may take before the client gives up.
pub const CALL_TIMEOUT: Duration = Duration::from_secs(15);

/// Which protocol a client speaks.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Proto {
    /// rest-svc, JSON bodies
    Rest,
    /// rpc-svc, `/api/rpc/json`
    JsonRpc,
    /// rpc-svc, `/api/rpc/xml`
    XmlRpc,
    /// grpc-svc, `dummy.v1.DummyService`
    Grpc,
    /// graphql-svc, `/api/graphql`
    Graphql,
}

impl Proto {
    /// All five writers.
    pub const ALL: [Proto; 5] = [
        Proto::Rest,
        Proto::JsonRpc,
        Proto::XmlRpc,
        Proto::Grpc,
        Proto::Graphql,
    ];

    /// The name in tables.
    pub fn name(self) -> &'static str {
        match self {
            Proto::Rest => "REST",
            Proto::JsonRpc => "JSON-RPC",
            Proto::XmlRpc => "XML-RPC",
            Proto::Grpc => "gRPC",
            Proto::Graphql => "GraphQL",
        }
    }
}

/// A Dummy's four date fields: what the suite writes and checks.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Fields {
    /// 1..=31
    pub day: u8,
    /// 1 = Monday .. 7 = Sunday
    pub weekday: u8,
    /// 1 = January .. 12 = December
    pub month: u8,
    /// Any i32; the suite uses it to tag who created the row.
    pub year: i32,
}

impl Fields {
    /// Random day, weekday and month with this year.
    pub fn random(year: i32) -> Fields {
        Fields {
            day: fastrand::u8(1..=28),
            weekday: fastrand::u8(1..=7),
            month: fastrand::u8(1..=12),
            year,
        }
    }

    /// Reads the four fields from the JSON both REST and JSON-RPC answer with.
    fn from_json(value: &Value) -> Option<(i64, Fields)> {
        let id = value.get("id")?.as_i64()?;
        let day = u8::try_from(value.get("day")?.as_i64()?).ok()?;
        let weekday = weekday_number(value.get("weekday")?.as_str()?)?;
        let month = month_number(value.get("month")?.as_str()?)?;
        let year = i32::try_from(value.get("year")?.as_i64()?).ok()?;
        Some((
            id,
            Fields {
                day,
                weekday,
                month,
                year,
            },
        ))
    }

    fn to_pb(self, id: i64) -> pb::Dummy {
        pb::Dummy {
            id,
            day: Some(i32::from(self.day)),
            weekday: i32::from(self.weekday),
            month: i32::from(self.month),
            year: Some(self.year),
            ..Default::default()
        }
    }

    fn from_pb(dummy: &pb::Dummy) -> Option<(i64, Fields)> {
        Some((
            dummy.id,
            Fields {
                day: u8::try_from(dummy.day?).ok()?,
                weekday: u8::try_from(dummy.weekday)
                    .ok()
                    .filter(|w| (1..=7).contains(w))?,
                month: u8::try_from(dummy.month)
                    .ok()
                    .filter(|m| (1..=12).contains(m))?,
                year: dummy.year?,
            },
        ))
    }
}

/// A new day, weekday and month, all three written at once: a patch that half
/// applied would show.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Patch {
    /// New day.
    pub day: u8,
    /// New weekday.
    pub weekday: u8,
    /// New month.
    pub month: u8,
}

impl Patch {
    /// A random patch.
    pub fn random() -> Patch {
        let f = Fields::random(0);
        Patch {
            day: f.day,
            weekday: f.weekday,
            month: f.month,
        }
    }

    /// The row after this patch.
    pub fn apply(self, to: Fields) -> Fields {
        Fields {
            day: self.day,
            weekday: self.weekday,
            month: self.month,
            year: to.year,
        }
    }
}

/// Why a call did not return an acknowledged row.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Failure {
    /// The server answered with an error in the protocol's own form: the HTTP status,
    /// the JSON-RPC error code, the XML-RPC fault code or the gRPC status code.
    Answered(String),
    /// No answer: the connection failed, was reset, or the call timed out.
    Transport(String),
}

impl Failure {
    /// The error as a short text.
    pub fn text(&self) -> &str {
        match self {
            Failure::Answered(s) | Failure::Transport(s) => s,
        }
    }
}

impl fmt::Display for Failure {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Failure::Answered(s) => write!(f, "answered {s}"),
            Failure::Transport(s) => write!(f, "transport: {s}"),
        }
    }
}

impl std::error::Error for Failure {}

/// What a call returns.
pub type Outcome<T> = Result<T, Failure>;

/// One client of one protocol, on one server.
pub enum Client {
    /// REST or JSON-RPC or XML-RPC: HTTP/1.1 with keep-alive.
    Http {
        /// Which envelope.
        proto: Proto,
        /// `http://127.0.0.1:port`
        base: String,
        /// The connection pool.
        http: reqwest::Client,
    },
    /// gRPC over one HTTP/2 connection.
    Grpc(DummyServiceClient<Channel>),
    /// GraphQL: one document per call, POSTed over HTTP/1.1 with keep-alive.
    Graphql(graphql::GraphqlClient),
}

impl Client {
    /// A client of `proto` talking to the server at `addr`.
    ///
    /// # Panics
    /// When the HTTP client can't be built (no TLS is involved, so never).
    pub fn new(proto: Proto, addr: SocketAddr) -> Client {
        match proto {
            Proto::Grpc => {
                let channel = Endpoint::from_shared(format!("http://{addr}"))
                    .expect("a valid URI")
                    .connect_timeout(Duration::from_secs(2))
                    .timeout(CALL_TIMEOUT)
                    .connect_lazy();
                Client::Grpc(DummyServiceClient::new(channel))
            }
            Proto::Graphql => Client::Graphql(graphql::GraphqlClient::new(addr)),
            Proto::Rest | Proto::JsonRpc | Proto::XmlRpc => Client::Http {
                proto,
                base: format!("http://{addr}"),
                http: reqwest::Client::builder()
                    .timeout(CALL_TIMEOUT)
                    .connect_timeout(Duration::from_secs(2))
                    .build()
                    .expect("an HTTP client"),
            },
        }
    }

    /// Creates a Dummy; returns its id and fields as acknowledged.
    ///
    /// # Errors
    /// See [`Failure`].
    pub async fn create(&self, fields: Fields) -> Outcome<(i64, Fields)> {
        match self {
            Client::Http { proto, base, http } => {
                let body = json!({
                    "day": fields.day, "weekday": weekday_name(fields.weekday),
                    "month": month_name(fields.month), "year": fields.year,
                });
                let call = match proto {
                    Proto::Rest => wire::rest::create(&body),
                    Proto::JsonRpc => wire::jsonrpc::call("dummies.create", &json!([body])),
                    _ => wire::xmlrpc::call("dummies.create", vec![xml_fields(&body)]),
                };
                let answer = send(*proto, call.on(http, base)).await?;
                Fields::from_json(&answer).ok_or_else(|| unexpected(&answer))
            }
            Client::Grpc(client) => {
                let request = CreateDummyRequest {
                    dummy: Some(fields.to_pb(0)),
                };
                let answer = client.clone().create_dummy(request).await.map_err(grpc)?;
                Fields::from_pb(answer.get_ref()).ok_or_else(|| unexpected(answer.get_ref()))
            }
            Client::Graphql(client) => client.create(fields).await,
        }
    }

    /// Writes day, weekday and month of Dummy `id` in one partial update.
    ///
    /// # Errors
    /// See [`Failure`].
    pub async fn patch(&self, id: i64, patch: Patch) -> Outcome<Fields> {
        match self {
            Client::Http { proto, base, http } => {
                let body = json!({
                    "day": patch.day,
                    "weekday": weekday_name(patch.weekday),
                    "month": month_name(patch.month),
                });
                let call = match proto {
                    Proto::Rest => wire::rest::patch(id, &body),
                    Proto::JsonRpc => wire::jsonrpc::call("dummies.patch", &json!([id, body])),
                    _ => wire::xmlrpc::call("dummies.patch", vec![xml_int(id), xml_fields(&body)]),
                };
                let answer = send(*proto, call.on(http, base)).await?;
                Fields::from_json(&answer)
                    .map(|(_, f)| f)
                    .ok_or_else(|| unexpected(&answer))
            }
            Client::Grpc(client) => {
                let request = UpdateDummyRequest {
                    dummy: Some(pb::Dummy {
                        id,
                        day: Some(i32::from(patch.day)),
                        weekday: i32::from(patch.weekday),
                        month: i32::from(patch.month),
                        ..Default::default()
                    }),
                    update_mask: Some(prost_types::FieldMask {
                        paths: vec!["day".into(), "weekday".into(), "month".into()],
                    }),
                };
                let answer = client.clone().update_dummy(request).await.map_err(grpc)?;
                Fields::from_pb(answer.get_ref())
                    .map(|(_, f)| f)
                    .ok_or_else(|| unexpected(answer.get_ref()))
            }
            Client::Graphql(client) => client.patch(id, patch).await,
        }
    }

    /// Deletes Dummy `id`.
    ///
    /// # Errors
    /// See [`Failure`].
    pub async fn delete(&self, id: i64) -> Outcome<()> {
        match self {
            Client::Http { proto, base, http } => {
                let call = match proto {
                    Proto::Rest => wire::rest::delete(id),
                    Proto::JsonRpc => wire::jsonrpc::call("dummies.delete", &json!([id])),
                    _ => wire::xmlrpc::call("dummies.delete", vec![xml_int(id)]),
                };
                let answer = send(*proto, call.on(http, base)).await?;
                // REST answers 204 with no body (`send` reads it as null); the RPCs answer `true`.
                match proto {
                    Proto::Rest if answer.is_null() => Ok(()),
                    Proto::Rest => Err(unexpected(&answer)),
                    _ => expect_true(&answer),
                }
            }
            Client::Grpc(client) => client
                .clone()
                .delete_dummy(DeleteDummyRequest { id })
                .await
                .map(drop)
                .map_err(grpc),
            Client::Graphql(client) => client.delete(id).await,
        }
    }

    /// Reads Dummy `id`.
    ///
    /// # Errors
    /// See [`Failure`].
    pub async fn get(&self, id: i64) -> Outcome<Fields> {
        match self {
            Client::Http { proto, base, http } => {
                let call = match proto {
                    Proto::Rest => wire::rest::get(id),
                    Proto::JsonRpc => wire::jsonrpc::call("dummies.get", &json!([id])),
                    _ => wire::xmlrpc::call("dummies.get", vec![xml_int(id)]),
                };
                let answer = send(*proto, call.on(http, base)).await?;
                Fields::from_json(&answer)
                    .map(|(_, f)| f)
                    .ok_or_else(|| unexpected(&answer))
            }
            Client::Grpc(client) => {
                let answer = client
                    .clone()
                    .get_dummy(GetDummyRequest { id })
                    .await
                    .map_err(grpc)?;
                Fields::from_pb(answer.get_ref())
                    .map(|(_, f)| f)
                    .ok_or_else(|| unexpected(answer.get_ref()))
            }
            Client::Graphql(client) => client.get(id).await,
        }
    }
}

/// The error and each of its causes ("error sending request: client error (Connect):
/// tcp connect error: Connection refused"): which step failed tells whether the request
/// left at all (a refused connection) or may have reached the server (a reset after it).
pub(crate) fn transport(error: reqwest::Error) -> Failure {
    let error = error.without_url();
    let mut text = error.to_string();
    let mut cause = std::error::Error::source(&error);
    if cause.is_none() {
        text.push_str(&format!(" ({error:?})"));
    }
    while let Some(inner) = cause {
        text.push_str(": ");
        text.push_str(&inner.to_string());
        cause = inner.source();
    }
    Failure::Transport(text)
}

pub(crate) fn unexpected(answer: &impl fmt::Debug) -> Failure {
    Failure::Answered(format!("an unexpected answer: {answer:?}"))
}

fn grpc(status: tonic::Status) -> Failure {
    // tonic reports a failed connection as UNAVAILABLE (or UNKNOWN for a reset
    // stream) with a transport error as its source; the server's own statuses have none.
    if let Some(mut cause) = std::error::Error::source(&status) {
        let mut text = format!("{:?}: {}: {cause}", status.code(), status.message());
        while let Some(inner) = cause.source() {
            text.push_str(&format!(": {inner}"));
            cause = inner;
        }
        Failure::Transport(text)
    } else {
        Failure::Answered(format!("gRPC {:?}", status.code()))
    }
}

fn expect_true(answer: &Value) -> Outcome<()> {
    if answer == &Value::Bool(true) {
        Ok(())
    } else {
        Err(unexpected(answer))
    }
}

/// Sends one request and reads the answer in `proto`'s form: the JSON body (REST),
/// the `result` (JSON-RPC) or the returned value as JSON (XML-RPC). An error in the
/// protocol's own form is a [`Failure::Answered`].
async fn send(proto: Proto, request: reqwest::RequestBuilder) -> Outcome<Value> {
    let response = request.send().await.map_err(transport)?;
    let status = response.status();
    match proto {
        Proto::Rest => {
            if !status.is_success() {
                return Err(Failure::Answered(format!("HTTP {}", status.as_u16())));
            }
            if status == reqwest::StatusCode::NO_CONTENT {
                return Ok(Value::Null);
            }
            response.json().await.map_err(transport)
        }
        Proto::JsonRpc => {
            let mut answer: Value = response.json().await.map_err(transport)?;
            if let Some(code) = answer.pointer("/error/code") {
                return Err(Failure::Answered(format!("JSON-RPC error {code}")));
            }
            if !status.is_success() {
                return Err(Failure::Answered(format!("HTTP {}", status.as_u16())));
            }
            answer
                .get_mut("result")
                .map(Value::take)
                .ok_or_else(|| unexpected(&answer))
        }
        Proto::XmlRpc | Proto::Grpc | Proto::Graphql => {
            let text = response.text().await.map_err(transport)?;
            if let Ok(fault) = dxr::FaultResponse::from_xml(&text) {
                return Err(Failure::Answered(format!(
                    "XML-RPC fault {}",
                    fault.fault.code()
                )));
            }
            if !status.is_success() {
                return Err(Failure::Answered(format!("HTTP {}", status.as_u16())));
            }
            let value = dxr::MethodResponse::from_xml(&text)
                .map_err(|_| Failure::Answered(format!("not an XML-RPC response: {text:.200}")))?
                .value;
            Ok(xml_to_json(&value))
        }
    }
}

fn xml_int(id: i64) -> dxr::Value {
    dxr::Value::Long(id)
}

fn xml_fields(body: &Value) -> dxr::Value {
    let mut members = BTreeMap::new();
    for (key, value) in body.as_object().into_iter().flatten() {
        let value = match value {
            Value::Number(n) => dxr::Value::Long(n.as_i64().unwrap_or_default()),
            other => dxr::Value::String(other.as_str().unwrap_or_default().to_owned()),
        };
        members.insert(key.clone(), value);
    }
    dxr::Value::Struct(members)
}

fn xml_to_json(value: &dxr::Value) -> Value {
    match value {
        dxr::Value::Boolean(b) => Value::Bool(*b),
        dxr::Value::Integer(n) => Value::from(*n),
        dxr::Value::Long(n) => Value::from(*n),
        dxr::Value::String(s) => Value::from(s.as_str()),
        dxr::Value::Struct(members) => Value::Object(
            members
                .iter()
                .map(|(k, v)| (k.clone(), xml_to_json(v)))
                .collect(),
        ),
        _ => Value::Null,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A port nothing listens on: bound, then closed again.
    fn closed_port() -> SocketAddr {
        let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        listener.local_addr().unwrap()
    }

    #[tokio::test]
    async fn a_refused_connection_says_so_over_http_and_grpc() {
        let addr = closed_port();
        for proto in [Proto::Rest, Proto::JsonRpc, Proto::Grpc] {
            let failure = Client::new(proto, addr).get(1).await.unwrap_err();
            assert!(
                matches!(&failure, Failure::Transport(text) if text.contains("Connection refused")),
                "{}: {failure}",
                proto.name()
            );
        }
    }
}
