//! XML-RPC over HTTP: `POST /api/rpc/xml` (the spec: <http://xmlrpc.com/spec.md>).
//!
//! ```text
//! POST /api/rpc/xml HTTP/1.1
//! Content-Type: text/xml
//!
//! <?xml version="1.0"?>
//! <methodCall>
//!   <methodName>add</methodName>
//!   <params>
//!     <param><value><int>2</int></value></param>
//!     <param><value><int>3</int></value></param>
//!   </params>
//! </methodCall>
//!
//! HTTP/1.1 200 OK
//! Content-Type: text/xml
//!
//! <?xml version="1.0"?>
//! <methodResponse><params><param><value><i4>5</i4></value></param></params></methodResponse>
//! ```
//!
//! A failure is a `<fault>` in a `200 OK`, with the same codes as JSON-RPC:
//!
//! ```text
//! <methodResponse><fault><value><struct>
//!   <member><name>faultCode</name><value><i4>1</i4></value></member>
//!   <member><name>faultString</name><value><string>Dummy 7 not found</string></value></member>
//! </struct></value></fault></methodResponse>
//! ```
//!
//! `system.multicall` takes `[{methodName, params}, …]` and answers one entry per call:
//! `[result]` for a success, `{faultCode, faultString}` for a failure.

pub mod codec;

use actix_web::http::StatusCode;
use actix_web::{HttpRequest, HttpResponse, web};
use dxr::{Fault, Value};
use model::Store;
use tracing::Instrument;

use crate::error::RpcError;
use crate::methods::{self, Envelope, Method, Params};
use crate::state::{BodyError, RpcState};

/// Answers one `<methodCall>` body with a `<methodResponse>`.
pub async fn respond(store: &Store, body: &[u8]) -> String {
    let outcome = match codec::decode_call(body) {
        Ok(request) => dispatch(store, &request.method, request.params).await,
        Err(err) => Err(err),
    };
    match outcome {
        Ok(value) => codec::encode_response(&value),
        Err(err) => codec::encode_fault(&err),
    }
}

/// Runs one named procedure through the dispatcher both envelopes share;
/// `system.multicall` fans out to the others.
async fn dispatch(
    store: &Store,
    name: &str,
    params: Vec<Value>,
) -> Result<crate::value::RpcValue, RpcError> {
    let method =
        Method::find(name, Envelope::Xml).ok_or_else(|| RpcError::method_not_found(name))?;
    if method == Method::Multicall {
        let span = tracing::info_span!("rpc", rpc.system = "xmlrpc", rpc.method = method.name());
        return multicall(store, params).instrument(span).await;
    }
    let params = Params::Positional(params.into_iter().map(codec::from_xml).collect());
    methods::dispatch(method, params, store, Envelope::Xml).await
}

async fn multicall(store: &Store, params: Vec<Value>) -> Result<crate::value::RpcValue, RpcError> {
    let calls = dxr::multicall::from_multicall_params(params).map_err(|_| {
        RpcError::invalid_params("system.multicall takes one array of {methodName, params} structs")
    })?;
    let mut results: Vec<Result<Value, Fault>> = Vec::with_capacity(calls.len());
    for call in calls {
        let result = match call {
            Ok((name, _)) if name == Method::Multicall.name() => Err(RpcError::invalid_request(
                "system.multicall cannot be nested",
            )),
            // Box the recursion: multicall -> dispatch -> multicall is refused above,
            // but the future type still refers to itself.
            Ok((name, params)) => Box::pin(dispatch(store, &name, params)).await,
            Err(_) => Err(RpcError::invalid_request(
                "each call is a struct {methodName: string, params: array}",
            )),
        };
        results.push(result.map(codec::to_xml).map_err(|e| codec::to_fault(&e)));
    }
    // dxr builds [[result], {faultCode, faultString}, …]; wrap it back into our model.
    Ok(codec::from_xml(dxr::multicall::into_multicall_response(
        results,
    )))
}

/// `POST /api/rpc/xml`
pub async fn post(
    state: web::Data<RpcState>,
    req: HttpRequest,
    payload: web::Payload,
) -> HttpResponse {
    let (status, body) = match state.read_body(&req, payload).await {
        Ok(body) => (StatusCode::OK, respond(&state.store, &body).await),
        Err(BodyError::Broken) => (
            StatusCode::BAD_REQUEST,
            codec::encode_fault(&RpcError::parse_error()),
        ),
        Err(BodyError::TooLarge) => (
            StatusCode::PAYLOAD_TOO_LARGE,
            codec::encode_fault(&RpcError::invalid_request(format!(
                "body larger than {} bytes",
                state.body_limit
            ))),
        ),
    };
    let mut response = HttpResponse::build(status);
    if status == StatusCode::PAYLOAD_TOO_LARGE {
        // The rest of the body was never read: the connection cannot be reused.
        response.force_close();
    }
    response.content_type("text/xml; charset=utf-8").body(body)
}

/// `GET /api/rpc/xml`: how to call this endpoint.
pub async fn help() -> HttpResponse {
    HttpResponse::Ok()
        .content_type("text/plain; charset=utf-8")
        .body(crate::help::help_text(Envelope::Xml))
}
