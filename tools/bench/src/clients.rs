//! One connection per worker, for every protocol, each on a [`CountingStream`], and the
//! calls the shootout makes on it. Every answer is checked: a wrong or failed
//! response is an error, never a data point.

use std::sync::Arc;

use bytes::Bytes;
use futures_util::{SinkExt, StreamExt};
use grpc_pb::dummy::dummy_service_client::DummyServiceClient;
use grpc_pb::dummy::{self as pb, CreateDummyRequest, GetDummyRequest, ListDummiesRequest};
use grpc_pb::echo::EchoRequest;
use grpc_pb::echo::echo_service_client::EchoServiceClient;
use http_body_util::{BodyExt, Full};
use hyper::client::conn::http1::SendRequest;
use hyper_util::rt::TokioIo;
use tokio_tungstenite::WebSocketStream;
use tokio_tungstenite::tungstenite::Message;
use tonic::transport::{Channel, Endpoint};

use clients::wire::{self, HttpCall, jsonrpc, xmlrpc};
use serde_json::json;

use crate::counting::{Counters, CountingStream};

/// Who answers.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, serde::Serialize)]
pub enum Protocol {
    /// rest-svc
    Rest,
    /// rpc-svc, JSON envelope
    JsonRpc,
    /// rpc-svc, XML envelope
    XmlRpc,
    /// grpc-svc over HTTP/2
    Grpc,
    /// grpc-svc over HTTP/1.1 (gRPC-Web)
    GrpcWeb,
    /// ws-svc
    WebSocket,
    /// graphql-svc, GraphQL over HTTP
    Graphql,
    /// Ceiling: a bare actix-web handler returning a fixed Dummy JSON.
    BareActix,
    /// Ceiling: the same handler doing the same indexed read with the driver alone.
    BareActixDb,
    /// Ceiling: a bare tonic unary handler.
    BareTonic,
    /// Ceiling: the same tonic handler doing the same indexed read with the driver alone.
    BareTonicDb,
    /// Ceiling: a bare actix-ws echo.
    BareWs,
    /// Ceiling: PostgreSQL's own load generator, `pgbench` ([`crate::pgbench`]).
    Pgbench,
}

impl Protocol {
    /// The name in tables and files.
    pub fn name(self) -> &'static str {
        match self {
            Protocol::Rest => "REST",
            Protocol::JsonRpc => "JSON-RPC",
            Protocol::XmlRpc => "XML-RPC",
            Protocol::Grpc => "gRPC",
            Protocol::GrpcWeb => "gRPC-Web",
            Protocol::WebSocket => "WebSocket",
            Protocol::Graphql => "GraphQL",
            Protocol::BareActix => "bare actix-web",
            Protocol::BareActixDb => "bare actix-web + driver",
            Protocol::BareTonic => "bare tonic",
            Protocol::BareTonicDb => "bare tonic + driver",
            Protocol::BareWs => "bare actix-ws",
            Protocol::Pgbench => "pgbench",
        }
    }

    /// Whether this is one of the stack's ceilings rather than a service.
    pub fn is_ceiling(self) -> bool {
        matches!(
            self,
            Protocol::BareActix
                | Protocol::BareActixDb
                | Protocol::BareTonic
                | Protocol::BareTonicDb
                | Protocol::BareWs
                | Protocol::Pgbench
        )
    }
}

/// What is asked.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, serde::Serialize)]
pub enum Op {
    /// One Dummy by a random existing id.
    Get,
    /// A short string round trip.
    Echo,
    /// One new Dummy.
    Create,
    /// 1,000 rows.
    List,
}

impl Op {
    /// The name in tables and files.
    pub fn name(self) -> &'static str {
        match self {
            Op::Get => "get",
            Op::Echo => "echo",
            Op::Create => "create",
            Op::List => "list",
        }
    }
}

/// Every (operation, protocol) the shootout measures, in table order.
pub const CELLS: &[(Op, Protocol)] = &[
    (Op::Get, Protocol::Rest),
    (Op::Get, Protocol::JsonRpc),
    (Op::Get, Protocol::XmlRpc),
    (Op::Get, Protocol::Grpc),
    (Op::Get, Protocol::GrpcWeb),
    (Op::Get, Protocol::Graphql),
    (Op::Get, Protocol::BareActix),
    (Op::Get, Protocol::BareActixDb),
    (Op::Get, Protocol::BareTonic),
    (Op::Get, Protocol::BareTonicDb),
    (Op::Get, Protocol::Pgbench),
    (Op::Echo, Protocol::JsonRpc),
    (Op::Echo, Protocol::XmlRpc),
    (Op::Echo, Protocol::Grpc),
    (Op::Echo, Protocol::WebSocket),
    (Op::Echo, Protocol::BareWs),
    (Op::Create, Protocol::Rest),
    (Op::Create, Protocol::JsonRpc),
    (Op::Create, Protocol::Grpc),
    (Op::Create, Protocol::Graphql),
    (Op::Create, Protocol::Pgbench),
    (Op::List, Protocol::Rest),
    (Op::List, Protocol::JsonRpc),
    (Op::List, Protocol::Grpc),
    (Op::List, Protocol::Graphql),
];

/// Where each server listens (host:port).
#[derive(Debug, Clone, serde::Serialize)]
pub struct Targets {
    /// rest-svc (or the composed port).
    pub rest: String,
    /// rpc-svc.
    pub rpc: String,
    /// grpc-svc.
    pub grpc: String,
    /// ws-svc.
    pub ws: String,
    /// graphql-svc; `None` for a stack without it (its cells are left out).
    pub graphql: Option<String>,
    /// The RabbitMQ broker messaging-svc publishes to (`AMQP_URL`); `None`: no AMQP feed.
    pub amqp: Option<String>,
    /// The Mosquitto broker messaging-svc publishes to (`host:port`); `None`: no MQTT feed.
    pub mqtt: Option<String>,
    /// The ceilings' HTTP server (actix-web and actix-ws).
    pub bare_http: Option<String>,
    /// The ceilings' tonic server.
    pub bare_grpc: Option<String>,
}

/// An open connection of the right kind.
pub enum Conn {
    /// One HTTP/1.1 connection (keep-alive).
    Http {
        sender: SendRequest<Full<Bytes>>,
        host: String,
    },
    /// One HTTP/2 connection, shared by the typed clients.
    Grpc(Channel),
    /// One WebSocket.
    Ws(Box<WebSocketStream<CountingStream>>),
}

fn target(protocol: Protocol, targets: &Targets) -> anyhow::Result<String> {
    let missing = || anyhow::anyhow!("no address for {}", protocol.name());
    Ok(match protocol {
        Protocol::Rest => targets.rest.clone(),
        Protocol::JsonRpc | Protocol::XmlRpc => targets.rpc.clone(),
        Protocol::Grpc | Protocol::GrpcWeb => targets.grpc.clone(),
        Protocol::WebSocket => targets.ws.clone(),
        Protocol::Graphql => targets.graphql.clone().ok_or_else(missing)?,
        Protocol::BareActix | Protocol::BareActixDb | Protocol::BareWs => {
            targets.bare_http.clone().ok_or_else(missing)?
        }
        Protocol::BareTonic | Protocol::BareTonicDb => {
            targets.bare_grpc.clone().ok_or_else(missing)?
        }
        Protocol::Pgbench => anyhow::bail!("pgbench is run as a process, not called"),
    })
}

/// Opens one connection for `protocol`, counting its bytes into `counters`.
pub async fn connect(
    protocol: Protocol,
    targets: &Targets,
    counters: Arc<Counters>,
) -> anyhow::Result<Conn> {
    let addr = target(protocol, targets)?;
    match protocol {
        Protocol::Grpc | Protocol::BareTonic | Protocol::BareTonicDb => {
            let counters_for_connector = counters.clone();
            let target_addr = addr.clone();
            let channel = Endpoint::from_shared(format!("http://{addr}"))?
                .connect_with_connector(tower::service_fn(move |_uri: http::Uri| {
                    let counters = counters_for_connector.clone();
                    let addr = target_addr.clone();
                    async move {
                        CountingStream::connect(&addr, counters)
                            .await
                            .map(TokioIo::new)
                    }
                }))
                .await
                .map_err(|e| anyhow::anyhow!("gRPC connect to {addr}: {e}"))?;
            Ok(Conn::Grpc(channel))
        }
        Protocol::WebSocket | Protocol::BareWs => {
            let stream = CountingStream::connect(&addr, counters).await?;
            let path = if protocol == Protocol::WebSocket {
                "/api/ws/echo/"
            } else {
                "/ws"
            };
            let ws = clients::ws::connect_over(&format!("ws://{addr}{path}"), stream)
                .await
                .map_err(|e| anyhow::anyhow!("WebSocket handshake with {addr}: {e}"))?;
            Ok(Conn::Ws(Box::new(ws)))
        }
        _ => {
            let stream = CountingStream::connect(&addr, counters).await?;
            let (sender, connection) =
                hyper::client::conn::http1::handshake(TokioIo::new(stream)).await?;
            tokio::spawn(connection);
            Ok(Conn::Http { sender, host: addr })
        }
    }
}

/// Makes one call and checks the answer.
pub async fn call(conn: &mut Conn, protocol: Protocol, op: Op, id: i64) -> anyhow::Result<()> {
    match conn {
        Conn::Http { sender, host } => http_call(sender, host, protocol, op, id).await,
        Conn::Grpc(channel) => grpc_call(channel, protocol, op, id).await,
        Conn::Ws(ws) => {
            ws.send(Message::text(r#"{"message":"hello"}"#)).await?;
            loop {
                match ws.next().await {
                    Some(Ok(Message::Text(text))) if text.contains("hello") => return Ok(()),
                    Some(Ok(Message::Text(text))) => {
                        return Err(anyhow::anyhow!("unexpected echo {text}"));
                    }
                    Some(Ok(_)) => continue,
                    Some(Err(e)) => return Err(e.into()),
                    None => return Err(anyhow::anyhow!("the WebSocket closed")),
                }
            }
        }
    }
}

/// Makes one call over HTTP/1.1 and checks the answer.
async fn http_call(
    sender: &mut SendRequest<Full<Bytes>>,
    host: &str,
    protocol: Protocol,
    op: Op,
    id: i64,
) -> anyhow::Result<()> {
    let (call, status, expect) = exchange(protocol, op, id)?;
    let mut builder = hyper::Request::builder()
        .method(call.method)
        .uri(&call.path)
        .header("host", host);
    if let Some(content_type) = call.content_type {
        builder = builder.header("content-type", content_type);
    }
    for (name, value) in call.headers {
        builder = builder.header(*name, *value);
    }
    let request = builder.body(Full::new(Bytes::from(call.body)))?;
    let body = send(sender, request, status).await?;
    check_answer(protocol, op, &expect, &body)
}

/// The request each (protocol, operation) cell sends over HTTP/1.1 (as the clients
/// crate writes it), the status it must get, and what its answer must contain.
fn exchange(protocol: Protocol, op: Op, id: i64) -> anyhow::Result<(HttpCall, u16, String)> {
    let dummy = json!({"day": 2, "weekday": "Tuesday", "month": "February", "year": 1985});
    let result = || "\"result\":".to_owned();
    Ok(match (protocol, op) {
        (Protocol::Rest, Op::Get) => (wire::rest::get(id), 200, format!("\"id\":{id},")),
        (Protocol::Rest, Op::Create) => (wire::rest::create(&dummy), 201, "\"year\":1985".into()),
        (Protocol::Rest, Op::List) => (wire::rest::list(1000), 200, "\"id\":".into()),
        (Protocol::JsonRpc, Op::Get) => (jsonrpc::call("dummies.get", &json!([id])), 200, result()),
        (Protocol::JsonRpc, Op::Echo) => (
            jsonrpc::call("upper", &json!(["hello"])),
            200,
            "\"HELLO\"".into(),
        ),
        (Protocol::JsonRpc, Op::Create) => (
            jsonrpc::call("dummies.create", &json!([dummy])),
            200,
            result(),
        ),
        (Protocol::JsonRpc, Op::List) => (
            jsonrpc::call("dummies.list", &json!([null, 0, 1000])),
            200,
            result(),
        ),
        (Protocol::XmlRpc, Op::Get) => (
            xmlrpc::call("dummies.get", vec![dxr::Value::Long(id)]),
            200,
            "<name>weekday</name>".into(),
        ),
        (Protocol::XmlRpc, Op::Echo) => (
            xmlrpc::call("upper", vec![dxr::Value::String("hello".into())]),
            200,
            "HELLO".into(),
        ),
        // One length-prefixed message in; a data frame (flag 0) and the trailer frame
        // (flag 0x80, with `grpc-status:0`) out.
        (Protocol::GrpcWeb, Op::Get) => (
            wire::grpc_web::call("/dummy.v1.DummyService/GetDummy", &GetDummyRequest { id }),
            200,
            "grpc-status:0".into(),
        ),
        (Protocol::Graphql, Op::Get) => (wire::graphql::get(id), 200, format!("\"id\":\"{id}\",")),
        (Protocol::Graphql, Op::Create) => (
            wire::graphql::create(
                &json!({"day": 2, "weekday": "TUESDAY", "month": "FEBRUARY", "year": 1985}),
            ),
            200,
            "\"year\":1985".into(),
        ),
        (Protocol::Graphql, Op::List) => (wire::graphql::list(1000), 200, "\"edges\":".into()),
        (Protocol::BareActix, Op::Get) => (HttpCall::get("/dummy"), 200, "\"id\":".into()),
        (Protocol::BareActixDb, Op::Get) => (
            HttpCall::get(&format!("/dummy/{id}")),
            200,
            format!("\"id\":{id},"),
        ),
        _ => {
            return Err(anyhow::anyhow!(
                "{} does not do {}",
                protocol.name(),
                op.name()
            ));
        }
    })
}

/// An answer holds what it must, no error envelope, and a list holds 1000 rows; a
/// gRPC-Web answer starts with a data frame.
fn check_answer(protocol: Protocol, op: Op, expect: &str, body: &[u8]) -> anyhow::Result<()> {
    let text = String::from_utf8_lossy(body);
    let framed = protocol != Protocol::GrpcWeb || body.first() == Some(&0);
    if !framed
        || !text.contains(expect)
        || text.contains("\"error\":")
        || text.contains("\"errors\":")
        || text.contains("<fault>")
    {
        return Err(anyhow::anyhow!(
            "unexpected answer from {}: {}",
            protocol.name(),
            &text[..text.len().min(300)]
        ));
    }
    if op == Op::List {
        // JSON-RPC's envelope has an "id" of its own.
        let envelope = usize::from(protocol == Protocol::JsonRpc);
        let rows = text.matches("\"id\":").count() - envelope;
        if rows != 1000 {
            return Err(anyhow::anyhow!(
                "{} listed {rows} rows, not 1000",
                protocol.name()
            ));
        }
    }
    Ok(())
}

async fn send(
    sender: &mut SendRequest<Full<Bytes>>,
    request: hyper::Request<Full<Bytes>>,
    expect_status: u16,
) -> anyhow::Result<Bytes> {
    sender.ready().await?;
    let response = sender.send_request(request).await?;
    let status = response.status().as_u16();
    let body = response.into_body().collect().await?.to_bytes();
    if status != expect_status {
        return Err(anyhow::anyhow!(
            "status {status}, not {expect_status}: {}",
            String::from_utf8_lossy(&body)
        ));
    }
    Ok(body)
}

async fn grpc_call(channel: &Channel, protocol: Protocol, op: Op, id: i64) -> anyhow::Result<()> {
    let status = |e: tonic::Status| anyhow::anyhow!("{}: {}", e.code(), e.message());
    match (protocol, op) {
        (Protocol::Grpc | Protocol::BareTonic | Protocol::BareTonicDb, Op::Get) => {
            // The bare handler answers a fixed Dummy for id 0 and reads the store otherwise.
            let id = if protocol == Protocol::BareTonic {
                0
            } else {
                id
            };
            let dummy = DummyServiceClient::new(channel.clone())
                .get_dummy(GetDummyRequest { id })
                .await
                .map_err(status)?
                .into_inner();
            (dummy.id == id)
                .then_some(())
                .ok_or_else(|| anyhow::anyhow!("wrong Dummy"))
        }
        (Protocol::Grpc, Op::Echo) => {
            let reply = EchoServiceClient::new(channel.clone())
                .unary_echo(EchoRequest {
                    message: "hello".into(),
                    delay_ms: 0,
                })
                .await
                .map_err(status)?
                .into_inner();
            (reply.message == "hello")
                .then_some(())
                .ok_or_else(|| anyhow::anyhow!("wrong echo"))
        }
        (Protocol::Grpc, Op::Create) => {
            let dummy = pb::Dummy {
                day: Some(2),
                weekday: pb::Weekday::Tuesday as i32,
                month: pb::Month::February as i32,
                year: Some(1985),
                ..Default::default()
            };
            let created = DummyServiceClient::new(channel.clone())
                .create_dummy(CreateDummyRequest { dummy: Some(dummy) })
                .await
                .map_err(status)?
                .into_inner();
            (created.id > 0)
                .then_some(())
                .ok_or_else(|| anyhow::anyhow!("no id"))
        }
        (Protocol::Grpc, Op::List) => {
            let mut stream = DummyServiceClient::new(channel.clone())
                .list_dummies(ListDummiesRequest {
                    limit: 1000,
                    ..Default::default()
                })
                .await
                .map_err(status)?
                .into_inner();
            let mut rows = 0;
            while let Some(row) = stream.next().await {
                row.map_err(status)?;
                rows += 1;
            }
            (rows == 1000)
                .then_some(())
                .ok_or_else(|| anyhow::anyhow!("listed {rows} rows, not 1000"))
        }
        _ => Err(anyhow::anyhow!(
            "{} does not do {}",
            protocol.name(),
            op.name()
        )),
    }
}
