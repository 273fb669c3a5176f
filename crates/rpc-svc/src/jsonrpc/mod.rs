//! JSON-RPC 2.0 over HTTP: `POST /api/rpc/json`.
//!
//! ```text
//! POST /api/rpc/json HTTP/1.1
//! Content-Type: application/json
//!
//! {"jsonrpc":"2.0","method":"add","params":[2,3],"id":1}            a call: positional params
//! {"jsonrpc":"2.0","method":"add","params":{"a":2,"b":3},"id":2}    a call: named params
//! {"jsonrpc":"2.0","method":"dummies.delete","params":[7]}          a notification: no id, no reply
//! [{"jsonrpc":"2.0","method":"upper","params":["hi"],"id":"a"}, …]  a batch: an array of the above
//!
//! HTTP/1.1 200 OK
//! Content-Type: application/json
//!
//! {"jsonrpc":"2.0","result":5,"id":1}
//! {"jsonrpc":"2.0","error":{"code":1,"message":"Dummy 7 not found"},"id":3}
//! ```
//!
//! A request made only of notifications gets `204 No Content` and no body.
//!
//! # jsonrpc-core, and how to swap it out
//!
//! Method routing and the response types come from `jsonrpc-core`, which this module
//! alone imports. That crate is no longer developed (its authors point to `jsonrpsee`)
//! and strays from the spec at the edges, so this module checks each request object
//! itself before handing it over:
//!
//! - `[]` is one `-32600 Invalid Request`, and `[1,2,3]` three of them (jsonrpc-core
//!   answers -32700, or nothing);
//! - a request without `"jsonrpc": "2.0"` is `-32600`;
//! - a notification still runs its procedure (jsonrpc-core drops notifications to
//!   procedures registered as methods);
//! - batch members run one after another, in order.
//!
//! Replacing jsonrpc-core means rewriting [`io_handler`] and [`respond`]; the
//! procedures in [`crate::methods`] do not change.

use std::sync::LazyLock;

use actix_web::http::StatusCode;
use actix_web::{HttpRequest, HttpResponse, web};
use jsonrpc_core::{
    Call, Error as CoreError, ErrorCode, Failure, Id, MetaIoHandler, Metadata, MethodCall, Output,
    Params as CoreParams, Response, Value, Version,
};
use model::Store;

use crate::error::RpcError;
use crate::methods::{self, Envelope, Method, Params};
use crate::state::{BodyError, RpcState};
use crate::value::RpcValue;

/// What each JSON-RPC call can reach.
#[derive(Clone)]
pub struct Ctx {
    /// The shared database handle.
    pub store: Store,
}

impl Metadata for Ctx {}

/// The method table, built once, on first use.
static IO: LazyLock<MetaIoHandler<Ctx>> = LazyLock::new(io_handler);

/// Registers every procedure offered on JSON-RPC.
pub fn io_handler() -> MetaIoHandler<Ctx> {
    let mut io = MetaIoHandler::default();
    for &method in Method::ALL.iter().filter(|m| m.offered_on(Envelope::Json)) {
        io.add_method_with_meta(method.name(), move |params: CoreParams, ctx: Ctx| {
            dispatch(method, params, ctx)
        });
    }
    io
}

/// Turns jsonrpc-core's params into ours and runs the procedure through the one
/// dispatcher both envelopes share.
async fn dispatch(method: Method, params: CoreParams, ctx: Ctx) -> Result<Value, CoreError> {
    let params = match params {
        CoreParams::None => Params::Positional(Vec::new()),
        CoreParams::Array(values) => {
            Params::Positional(values.into_iter().map(from_json).collect())
        }
        CoreParams::Map(members) => Params::Named(
            members
                .into_iter()
                .map(|(k, v)| (k, from_json(v)))
                .collect(),
        ),
    };
    methods::dispatch(method, params, &ctx.store, Envelope::Json)
        .await
        .map(to_json)
        .map_err(to_core)
}

/// Answers a whole HTTP body: one call, a notification, or a batch. `None` means
/// "send no body" (only notifications).
pub async fn respond<M: Metadata>(io: &MetaIoHandler<M>, body: &[u8], meta: M) -> Option<String> {
    let parsed: Value = match serde_json::from_slice(body) {
        Ok(value) => value,
        Err(_) => {
            let parse_error = Output::from(
                Err(CoreError::new(ErrorCode::ParseError)),
                Id::Null,
                Some(Version::V2),
            );
            return Some(encode(Response::Single(parse_error)));
        }
    };
    let response = match parsed {
        Value::Array(items) if items.is_empty() => {
            Some(Response::Single(invalid_request(Id::Null)))
        }
        Value::Array(items) => {
            let mut outputs = Vec::with_capacity(items.len());
            for item in items {
                outputs.extend(respond_to_one(io, item, meta.clone()).await);
            }
            (!outputs.is_empty()).then_some(Response::Batch(outputs))
        }
        single => respond_to_one(io, single, meta).await.map(Response::Single),
    };
    response.map(encode)
}

/// Checks one request object the way the spec reads, then runs it.
async fn respond_to_one<M: Metadata>(
    io: &MetaIoHandler<M>,
    request: Value,
    meta: M,
) -> Option<Output> {
    let Value::Object(object) = &request else {
        return Some(invalid_request(Id::Null));
    };
    // The id decides whether an answer is owed, so read it first.
    let id = match object.get("id") {
        None => None,
        Some(Value::Null) => Some(Id::Null),
        Some(Value::String(s)) => Some(Id::Str(s.clone())),
        Some(Value::Number(n)) => match n.as_u64() {
            Some(n) => Some(Id::Num(n)),
            None => return Some(invalid_request(Id::Null)),
        },
        Some(_) => return Some(invalid_request(Id::Null)),
    };
    let well_formed = object.get("jsonrpc") == Some(&Value::from("2.0"))
        && object.get("method").is_some_and(Value::is_string)
        && object
            .get("params")
            .is_none_or(|p| p.is_array() || p.is_object());
    if !well_formed {
        return Some(invalid_request(id.unwrap_or(Id::Null)));
    }
    let call = match serde_json::from_value::<Call>(request) {
        Ok(call) => call,
        Err(_) => return Some(invalid_request(id.unwrap_or(Id::Null))),
    };
    match call {
        Call::MethodCall(call) => io.handle_call(Call::MethodCall(call), meta).await,
        // A notification runs like a call; its answer is dropped.
        Call::Notification(n) => {
            let as_call = MethodCall {
                jsonrpc: n.jsonrpc,
                method: n.method,
                params: n.params,
                id: Id::Null,
            };
            let _ = io.handle_call(Call::MethodCall(as_call), meta).await;
            None
        }
        Call::Invalid { id } => Some(invalid_request(id)),
    }
}

/// `-32600 Invalid Request`, worded as the spec's examples word it.
fn invalid_request(id: Id) -> Output {
    Output::Failure(Failure {
        jsonrpc: Some(Version::V2),
        error: CoreError {
            code: ErrorCode::InvalidRequest,
            message: "Invalid Request".to_owned(),
            data: None,
        },
        id,
    })
}

fn encode(response: Response) -> String {
    serde_json::to_string(&response).expect("a JSON-RPC response always serializes")
}

/// `POST /api/rpc/json`
pub async fn post(
    state: web::Data<RpcState>,
    req: HttpRequest,
    payload: web::Payload,
) -> HttpResponse {
    let body = match state.read_body(&req, payload).await {
        Ok(body) => body,
        Err(BodyError::Broken) => return HttpResponse::BadRequest().finish(),
        Err(BodyError::TooLarge) => {
            let error = Output::Failure(Failure {
                jsonrpc: Some(Version::V2),
                error: CoreError {
                    code: ErrorCode::InvalidRequest,
                    message: format!(
                        "Invalid Request: body larger than {} bytes",
                        state.body_limit
                    ),
                    data: None,
                },
                id: Id::Null,
            });
            // The rest of the body was never read: the connection cannot be reused.
            return HttpResponse::build(StatusCode::PAYLOAD_TOO_LARGE)
                .force_close()
                .content_type("application/json")
                .body(encode(Response::Single(error)));
        }
    };
    let ctx = Ctx {
        store: state.store.clone(),
    };
    match respond(&IO, &body, ctx).await {
        Some(response) => HttpResponse::Ok()
            .content_type("application/json")
            .body(response),
        None => HttpResponse::NoContent().finish(),
    }
}

/// `GET /api/rpc/json`: how to call this endpoint.
pub async fn help() -> HttpResponse {
    HttpResponse::Ok()
        .content_type("text/plain; charset=utf-8")
        .body(crate::help::help_text(Envelope::Json))
}

/// JSON to the procedures' value model. JSON has no bytes or dates: those stay strings.
pub fn from_json(value: Value) -> RpcValue {
    match value {
        Value::Null => RpcValue::Nil,
        Value::Bool(b) => RpcValue::Bool(b),
        Value::Number(n) => match n.as_i64() {
            Some(i) => RpcValue::Int(i),
            None => RpcValue::Double(n.as_f64().unwrap_or(f64::NAN)),
        },
        Value::String(s) => RpcValue::String(s),
        Value::Array(items) => RpcValue::Array(items.into_iter().map(from_json).collect()),
        Value::Object(members) => RpcValue::Struct(
            members
                .into_iter()
                .map(|(k, v)| (k, from_json(v)))
                .collect(),
        ),
    }
}

/// The procedures' value model to JSON: bytes as base64, times as RFC 3339.
pub fn to_json(value: RpcValue) -> Value {
    use base64::Engine;
    match value {
        RpcValue::Nil => Value::Null,
        RpcValue::Bool(b) => Value::Bool(b),
        RpcValue::Int(i) => Value::from(i),
        RpcValue::Double(f) => Value::from(f),
        RpcValue::String(s) => Value::String(s),
        RpcValue::Bytes(b) => Value::String(base64::engine::general_purpose::STANDARD.encode(b)),
        RpcValue::DateTime(t) => {
            Value::String(t.to_rfc3339_opts(chrono::SecondsFormat::Micros, true))
        }
        RpcValue::Array(items) => Value::Array(items.into_iter().map(to_json).collect()),
        RpcValue::Struct(members) => {
            Value::Object(members.into_iter().map(|(k, v)| (k, to_json(v))).collect())
        }
    }
}

fn to_core(err: RpcError) -> CoreError {
    CoreError {
        code: ErrorCode::from(i64::from(err.code)),
        message: err.message,
        data: err.data,
    }
}
