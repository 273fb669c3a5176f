//! GraphQL over HTTP, as the GraphQL-over-HTTP spec describes it
//! (<https://graphql.github.io/graphql-over-http/draft/>).
//!
//! ```text
//! POST /api/graphql HTTP/1.1
//! Content-Type: application/json
//! Accept: application/graphql-response+json
//!
//! {"query":"query($id: ID!) { dummy(id: $id) { id day weekday } }","variables":{"id":"7"}}
//!
//! HTTP/1.1 200 OK
//! content-type: application/graphql-response+json
//!
//! {"data":{"dummy":{"id":"7","day":2,"weekday":"TUESDAY"}}}
//! ```
//!
//! A query may also be sent as a `GET`, so that caches can keep it:
//! `GET /api/graphql?query={dummiesCount}`. A mutation may not: that is `405`,
//! `Allow: POST`.
//!
//! **Which status.** The answer's media type follows `Accept`:
//! `application/graphql-response+json` when the client lists it, else
//! `application/json` (also when `Accept` is missing), else `406`.
//!
//! | What happened | `graphql-response+json` | `json` |
//! |---|---|---|
//! | ran, even with field errors (`data` is there) | `200` | `200` |
//! | refused before running: syntax, unknown field, wrong variable type, a limit (no `data`) | `400` | `200` |
//! | not JSON, or no `query` | `400` | `400` |
//! | over the size limit | `413` | `413` |
//! | not `application/json` | `415` | `415` |
//! | over the time limit | `504` | `200` |
//!
//! A JSON array of requests is a batch, answered by an array, up to the batch limit
//! ([`crate::limits`]).

use actix_web::http::{Method, StatusCode, header};
use actix_web::{HttpRequest, HttpResponse, web};
use async_graphql::parser::types::OperationType;
use async_graphql::{BatchRequest, Request, Response, ServerError};
use serde_json::json;

use crate::limits::Limits;
use crate::schema::DummySchema;

/// The media type of the spec's answers.
pub const GRAPHQL_RESPONSE: &str = "application/graphql-response+json";

/// What the GraphQL handlers can reach.
#[derive(Clone)]
pub struct GraphqlState {
    /// The executable schema (it holds the store).
    pub schema: DummySchema,
    /// The request limits.
    pub limits: Limits,
    /// Cancelled when the server stops: open WebSockets close with `1001`.
    pub shutdown: tokio_util::sync::CancellationToken,
}

/// The media type of the answer, from `Accept`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Media {
    /// `application/graphql-response+json`: request errors are `400`.
    GraphqlResponse,
    /// `application/json`: every answer GraphQL wrote is `200`.
    Json,
}

/// An answer before it becomes an HTTP response: its status and its JSON body.
#[derive(Debug)]
pub struct Answer {
    /// The HTTP status.
    pub status: StatusCode,
    /// The body: `{"data":…,"errors":[…]}`, or an array of them for a batch.
    pub body: serde_json::Value,
}

impl Answer {
    fn errors(status: StatusCode, code: &str, message: &str) -> Answer {
        Answer {
            status,
            body: json!({"errors": [{"message": message, "extensions": {"code": code}}]}),
        }
    }

    fn into_response(self, media: Media) -> HttpResponse {
        HttpResponse::build(self.status)
            .content_type(media.content_type())
            .json(self.body)
    }
}

impl Media {
    fn negotiate(req: &HttpRequest) -> Option<Media> {
        let Some(accept) = req
            .headers()
            .get(header::ACCEPT)
            .and_then(|v| v.to_str().ok())
        else {
            return Some(Media::Json);
        };
        let listed: Vec<&str> = accept
            .split(',')
            .filter(|item| !item.contains("q=0") || item.contains("q=0."))
            .map(|item| item.split(';').next().unwrap_or("").trim())
            .collect();
        if listed.contains(&GRAPHQL_RESPONSE) {
            Some(Media::GraphqlResponse)
        } else if listed
            .iter()
            .any(|m| matches!(*m, "application/json" | "application/*" | "*/*"))
        {
            Some(Media::Json)
        } else {
            None
        }
    }

    fn content_type(self) -> &'static str {
        match self {
            Media::GraphqlResponse => "application/graphql-response+json; charset=utf-8",
            Media::Json => "application/json; charset=utf-8",
        }
    }
}

/// An answer made only of errors, for a request refused before GraphQL saw it.
fn refused(status: StatusCode, media: Media, code: &str, message: &str) -> HttpResponse {
    Answer::errors(status, code, message).into_response(media)
}

/// `POST /api/graphql`
pub async fn post(
    state: web::Data<GraphqlState>,
    req: HttpRequest,
    payload: web::Payload,
) -> HttpResponse {
    let Some(media) = Media::negotiate(&req) else {
        return not_acceptable();
    };
    let is_json = req
        .headers()
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.split(';').next())
        .is_some_and(|v| v.trim().eq_ignore_ascii_case("application/json"));
    if !is_json {
        return refused(
            StatusCode::UNSUPPORTED_MEDIA_TYPE,
            media,
            "UNSUPPORTED_MEDIA_TYPE",
            "a GraphQL POST is sent as application/json",
        );
    }
    let limit = state.limits.max_bytes;
    let too_large = || {
        let mut answer = refused(
            StatusCode::PAYLOAD_TOO_LARGE,
            media,
            "TOO_LARGE",
            &format!("the request is larger than {limit} bytes"),
        );
        // The rest of the body was never read: the connection cannot be reused.
        answer
            .head_mut()
            .set_connection_type(actix_web::http::ConnectionType::Close);
        answer
    };
    if runtime::http::declared_length(&req).is_some_and(|length| length > limit) {
        return too_large();
    }
    let body = match payload.to_bytes_limited(limit).await {
        Ok(Ok(body)) => body,
        Ok(Err(_)) => {
            return refused(
                StatusCode::BAD_REQUEST,
                media,
                "BAD_REQUEST",
                "the body broke off",
            );
        }
        Err(_) => return too_large(),
    };
    respond(&state, media, &body).await.into_response(media)
}

/// The body of a `POST`, read in full and of the right media type, answered: one
/// request or a batch. The fuzz target `graphql_request` calls this directly.
pub async fn respond(state: &GraphqlState, media: Media, body: &[u8]) -> Answer {
    let batch: BatchRequest = match serde_json::from_slice(body) {
        Ok(batch) => batch,
        Err(error) => {
            return Answer::errors(
                StatusCode::BAD_REQUEST,
                "BAD_REQUEST",
                &format!("the body is not a GraphQL request: {error}"),
            );
        }
    };
    match batch {
        BatchRequest::Single(request) => execute(state, media, request).await,
        BatchRequest::Batch(requests) => execute_batch(state, media, requests).await,
    }
}

/// `GET /api/graphql?query=…&variables=…&operationName=…`: queries only. With
/// `Upgrade: websocket`, subscriptions ([`crate::ws`]).
pub async fn get(
    state: web::Data<GraphqlState>,
    req: HttpRequest,
    payload: web::Payload,
) -> HttpResponse {
    if crate::ws::wants_websocket(&req) {
        return crate::ws::upgrade(&state, &req, payload);
    }
    let Some(media) = Media::negotiate(&req) else {
        return not_acceptable();
    };
    let query_string = req.query_string();
    if query_string.len() > state.limits.max_bytes {
        return refused(
            StatusCode::URI_TOO_LONG,
            media,
            "TOO_LARGE",
            &format!(
                "the query string is longer than {} bytes",
                state.limits.max_bytes
            ),
        );
    }
    let request = match async_graphql::http::parse_query_string(query_string) {
        Ok(request) => request,
        Err(error) => {
            return refused(
                StatusCode::BAD_REQUEST,
                media,
                "BAD_REQUEST",
                &format!("the query string is not a GraphQL request: {error}"),
            );
        }
    };
    if is_mutation(&request) {
        return HttpResponse::MethodNotAllowed()
            .insert_header((header::ALLOW, Method::POST.as_str()))
            .content_type(media.content_type())
            .json(json!({"errors": [{
                "message": "a mutation is sent with POST, not GET",
                "extensions": {"code": "METHOD_NOT_ALLOWED"},
            }]}));
    }
    execute(&state, media, request).await.into_response(media)
}

/// Whether the operation a request would run is a mutation. A document that does not
/// parse is not: the engine reports its syntax error.
fn is_mutation(request: &Request) -> bool {
    let Ok(document) = async_graphql::parser::parse_query(&request.query) else {
        return false;
    };
    let name = request.operation_name.as_deref();
    document.operations.iter().any(|(op_name, operation)| {
        let chosen = match (name, op_name) {
            (Some(wanted), Some(op_name)) => wanted == op_name.as_str(),
            (None, _) => true,
            (Some(_), None) => false,
        };
        chosen && operation.node.ty == OperationType::Mutation
    })
}

async fn execute(state: &GraphqlState, media: Media, request: Request) -> Answer {
    if request.query.trim().is_empty() {
        return no_query();
    }
    run(state, media, request).await
}

async fn execute_batch(state: &GraphqlState, media: Media, requests: Vec<Request>) -> Answer {
    let max = state.limits.max_batch;
    if max == 0 {
        return Answer::errors(
            StatusCode::BAD_REQUEST,
            "BATCH_OFF",
            "batching is switched off",
        );
    }
    if requests.len() > max {
        return Answer::errors(
            StatusCode::BAD_REQUEST,
            "BATCH_TOO_LONG",
            &format!(
                "a batch of {} operations; at most {max} are allowed",
                requests.len()
            ),
        );
    }
    if requests
        .iter()
        .any(|request| request.query.trim().is_empty())
    {
        return no_query();
    }
    let mut answers = Vec::with_capacity(requests.len());
    for request in requests {
        answers.push(run(state, media, request).await.body);
    }
    Answer {
        status: StatusCode::OK,
        body: serde_json::Value::Array(answers),
    }
}

/// Runs one request within the time limit.
async fn run(state: &GraphqlState, media: Media, request: Request) -> Answer {
    let response =
        match tokio::time::timeout(state.limits.timeout, state.schema.execute(request)).await {
            Ok(response) => response,
            Err(_) => {
                let status = match media {
                    Media::GraphqlResponse => StatusCode::GATEWAY_TIMEOUT,
                    Media::Json => StatusCode::OK,
                };
                let mut error = ServerError::new(
                    format!("the request ran longer than {:?}", state.limits.timeout),
                    None,
                );
                error.extensions = Some({
                    let mut e = async_graphql::ErrorExtensionValues::default();
                    e.set("code", "TIMEOUT");
                    e
                });
                return Answer {
                    status,
                    body: json!({"errors": [error]}),
                };
            }
        };
    answer(media, &response)
}

/// The status and body of an executed request. A request the engine refused before
/// running any field (no `data`) is a "request error" in the spec's words.
fn answer(media: Media, response: &Response) -> Answer {
    let request_error = response.data == async_graphql::Value::Null
        && !response.errors.is_empty()
        && response.errors.iter().all(|e| e.path.is_empty());
    let mut body = serde_json::to_value(response).unwrap_or_else(|_| json!({}));
    if request_error {
        if let Some(object) = body.as_object_mut() {
            object.remove("data");
        }
    }
    let status = if request_error && media == Media::GraphqlResponse {
        StatusCode::BAD_REQUEST
    } else {
        StatusCode::OK
    };
    Answer { status, body }
}

fn no_query() -> Answer {
    Answer::errors(
        StatusCode::BAD_REQUEST,
        "BAD_REQUEST",
        "a GraphQL request carries a document in `query`",
    )
}

fn not_acceptable() -> HttpResponse {
    HttpResponse::NotAcceptable()
        .content_type("application/json; charset=utf-8")
        .json(json!({"errors": [{
            "message": format!("this endpoint answers {GRAPHQL_RESPONSE} or application/json"),
            "extensions": {"code": "NOT_ACCEPTABLE"},
        }]}))
}
