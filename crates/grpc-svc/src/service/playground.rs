//! `playground.v1.PlaygroundService`: the gRPC playground (`proto/playground/v1`).
//!
//! ```text
//! grpcurl -plaintext -H 'x-user: ada' -d '{"payload":"hi"}' localhost:50051 playground.v1.PlaygroundService/Reflect
//!
//! HEADERS   :status 200, content-type application/grpc, x-user: ada       the metadata, as headers
//! DATA      00 00 00 00 5c  <92 bytes: ReflectResponse>
//! HEADERS   grpc-status: 0, x-user: ada                                   and again as trailers
//!
//! …/Fail {"code":3,"message":"no","bad_field":"day"}
//! HEADERS   :status 200, grpc-status: 3, grpc-message: no,                a "trailers-only" answer:
//!           grpc-status-details-bin: <base64 google.rpc.Status>           no message, just the status
//! ```
//!
//! The echo of the metadata as headers and trailers is [`MetadataEchoLayer`]'s: tonic's
//! handlers can set response headers but not trailers, so the layer adds both on the
//! HTTP response, around the handler.

use std::pin::Pin;
use std::time::{Duration, Instant};

use base64::Engine;
use futures_util::{Stream, StreamExt, stream};
use http_body_util::BodyExt;
use tonic::metadata::KeyAndValueRef;
use tonic::{Code, Request, Response, Status};
use tonic_types::{ErrorDetails, StatusExt};

use crate::limits::parse_grpc_timeout;
use crate::pb::playground::playground_service_server::PlaygroundService;
use crate::pb::playground::{
    FailRequest, FailResponse, MetadataEntry, ReflectRequest, ReflectResponse, StreamRequest,
    StreamResponse, WaitRequest, WaitResponse,
};

/// Longest interval or wait a call may ask for.
pub const MAX_WAIT: Duration = Duration::from_secs(10);
/// Most messages a stream may ask for.
pub const MAX_STREAM: u32 = 1_000;
/// The path whose metadata [`MetadataEchoLayer`] echoes.
pub const REFLECT_PATH: &str = "/playground.v1.PlaygroundService/Reflect";

type Messages = Pin<Box<dyn Stream<Item = Result<StreamResponse, Status>> + Send>>;

/// The playground service; it needs no state.
#[derive(Debug, Default, Clone)]
pub struct Playground;

/// Whether a metadata key is the client's own, not HTTP's or gRPC's: pseudo-headers,
/// `grpc-*`, and the headers that frame a message or a connection (over gRPC-Web's
/// HTTP/1.1 a request may carry `transfer-encoding` or `keep-alive`, which echoed on
/// the answer would misframe it) are not.
fn echoable(key: &str) -> bool {
    !(key.starts_with(':')
        || key.starts_with("grpc-")
        || matches!(
            key,
            "content-type"
                | "content-length"
                | "content-encoding"
                | "transfer-encoding"
                | "te"
                | "trailer"
                | "connection"
                | "keep-alive"
                | "upgrade"
                | "proxy-connection"
                | "host"
                | "user-agent"
        ))
}

/// The deadline a call carries (`grpc-timeout`), in milliseconds; 0 for none.
fn deadline_ms<T>(request: &Request<T>) -> u64 {
    request
        .metadata()
        .get("grpc-timeout")
        .and_then(|value| value.to_str().ok())
        .and_then(parse_grpc_timeout)
        .map_or(0, |left| {
            u64::try_from(left.as_millis()).unwrap_or(u64::MAX)
        })
}

fn millis(ms: u32, what: &str) -> Result<Duration, Status> {
    let wait = Duration::from_millis(u64::from(ms));
    if wait > MAX_WAIT {
        return Err(Status::invalid_argument(format!(
            "{what} must be at most {} ms",
            MAX_WAIT.as_millis()
        )));
    }
    Ok(wait)
}

#[tonic::async_trait]
impl PlaygroundService for Playground {
    async fn reflect(
        &self,
        request: Request<ReflectRequest>,
    ) -> Result<Response<ReflectResponse>, Status> {
        let text = |key: &str| {
            request
                .metadata()
                .get(key)
                .and_then(|value| value.to_str().ok())
                .map(str::to_owned)
        };
        let mut metadata = std::collections::BTreeMap::<String, Vec<String>>::new();
        for entry in request.metadata().iter() {
            let (key, value) = match entry {
                KeyAndValueRef::Ascii(key, value) => (
                    key.as_str().to_owned(),
                    String::from_utf8_lossy(value.as_encoded_bytes()).into_owned(),
                ),
                KeyAndValueRef::Binary(key, value) => (
                    key.as_str().to_owned(),
                    value.to_bytes().map_or_else(
                        |_| "(not base64)".to_owned(),
                        |bytes| base64::engine::general_purpose::STANDARD.encode(bytes),
                    ),
                ),
            };
            metadata.entry(key).or_default().push(value);
        }
        let answer = ReflectResponse {
            method: REFLECT_PATH.to_owned(),
            metadata: metadata
                .into_iter()
                .map(|(key, values)| MetadataEntry { key, values })
                .collect(),
            deadline_ms: deadline_ms(&request),
            request_encoding: text("grpc-encoding").unwrap_or_else(|| "identity".to_owned()),
            accept_encoding: text("grpc-accept-encoding").unwrap_or_default(),
            peer: request
                .remote_addr()
                .map(|addr| addr.to_string())
                .unwrap_or_default(),
            payload: request.into_inner().payload,
        };
        Ok(Response::new(answer))
    }

    async fn fail(&self, request: Request<FailRequest>) -> Result<Response<FailResponse>, Status> {
        let asked = request.into_inner();
        let code = Code::from_i32(asked.code);
        if !(1..=16).contains(&asked.code) {
            return Err(Status::invalid_argument(format!(
                "code must be a failure, 1 to 16, not {}",
                asked.code
            )));
        }
        let mut details = ErrorDetails::new();
        if !asked.bad_field.is_empty() {
            details.add_bad_request_violation(
                asked.bad_field,
                "the playground was asked to refuse it",
            );
        }
        if asked.retry_after_ms > 0 {
            details.set_retry_info(Some(Duration::from_millis(u64::from(asked.retry_after_ms))));
        }
        if !asked.error_reason.is_empty() {
            details.set_error_info(
                asked.error_reason,
                "playground.protocols",
                [("asked".to_owned(), "true".to_owned())],
            );
        }
        Err(Status::with_error_details(code, asked.message, details))
    }

    type StreamStream = Messages;

    async fn stream(
        &self,
        request: Request<StreamRequest>,
    ) -> Result<Response<Self::StreamStream>, Status> {
        let started = Instant::now();
        let asked = request.into_inner();
        let interval = millis(asked.interval_ms, "interval_ms")?;
        if asked.count > MAX_STREAM {
            return Err(Status::invalid_argument(format!(
                "count must be at most {MAX_STREAM}"
            )));
        }
        if !(0..=16).contains(&asked.end_code) {
            return Err(Status::invalid_argument("end_code must be 0 to 16"));
        }
        let messages = stream::unfold(1, move |index| async move {
            if index > asked.count {
                return None;
            }
            if index > 1 && !interval.is_zero() {
                tokio::time::sleep(interval).await;
            }
            let message = StreamResponse {
                index,
                elapsed_ms: u64::try_from(started.elapsed().as_millis()).unwrap_or(u64::MAX),
            };
            Some((Ok(message), index + 1))
        });
        let end = stream::iter((asked.end_code != 0).then(|| {
            Err(Status::new(
                Code::from_i32(asked.end_code),
                "the stream was asked to end so",
            ))
        }));
        Ok(Response::new(Box::pin(messages.chain(end))))
    }

    async fn wait(&self, request: Request<WaitRequest>) -> Result<Response<WaitResponse>, Status> {
        let deadline_ms = deadline_ms(&request);
        let wait = millis(request.into_inner().wait_ms, "wait_ms")?;
        let started = Instant::now();
        // The deadline layer (crate::limits) ends the call with DEADLINE_EXCEEDED when
        // the client's deadline passes first.
        tokio::time::sleep(wait).await;
        Ok(Response::new(WaitResponse {
            deadline_ms,
            waited_ms: u64::try_from(started.elapsed().as_millis()).unwrap_or(u64::MAX),
        }))
    }
}

/// Echoes a `Reflect` call's own metadata as response headers and as trailers (see the
/// module docs). Other calls pass untouched.
#[derive(Debug, Clone, Copy)]
pub struct MetadataEchoLayer;

impl<S> tower::Layer<S> for MetadataEchoLayer {
    type Service = MetadataEcho<S>;

    fn layer(&self, inner: S) -> MetadataEcho<S> {
        MetadataEcho { inner }
    }
}

/// The service [`MetadataEchoLayer`] wraps around each route.
#[derive(Debug, Clone)]
pub struct MetadataEcho<S> {
    inner: S,
}

impl<S, B> tower::Service<http::Request<B>> for MetadataEcho<S>
where
    S: tower::Service<http::Request<B>, Response = http::Response<tonic::body::Body>>,
    S::Future: Send + 'static,
{
    type Response = http::Response<tonic::body::Body>;
    type Error = S::Error;
    type Future =
        Pin<Box<dyn std::future::Future<Output = Result<Self::Response, S::Error>> + Send>>;

    fn poll_ready(
        &mut self,
        cx: &mut std::task::Context<'_>,
    ) -> std::task::Poll<Result<(), S::Error>> {
        self.inner.poll_ready(cx)
    }

    fn call(&mut self, request: http::Request<B>) -> Self::Future {
        let echo: Vec<(http::HeaderName, http::HeaderValue)> =
            if request.uri().path() == REFLECT_PATH {
                request
                    .headers()
                    .iter()
                    .filter(|(name, _)| echoable(name.as_str()))
                    .map(|(name, value)| (name.clone(), value.clone()))
                    .collect()
            } else {
                Vec::new()
            };
        let call = self.inner.call(request);
        Box::pin(async move {
            let response = call.await?;
            if echo.is_empty() {
                return Ok(response);
            }
            let (mut parts, body) = response.into_parts();
            for (name, value) in &echo {
                parts.headers.append(name.clone(), value.clone());
            }
            let body = body.map_frame(move |frame| match frame.into_trailers() {
                Ok(mut trailers) => {
                    for (name, value) in &echo {
                        trailers.append(name.clone(), value.clone());
                    }
                    http_body::Frame::trailers(trailers)
                }
                Err(frame) => frame,
            });
            Ok(http::Response::from_parts(
                parts,
                tonic::body::Body::new(body),
            ))
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_the_clients_own_metadata_is_echoed() {
        for own in ["x-user", "authorization", "trace-bin"] {
            assert!(echoable(own), "{own}");
        }
        for reserved in [
            "transfer-encoding",
            "keep-alive",
            "upgrade",
            "trailer",
            ":path",
            "content-type",
            "te",
            "grpc-timeout",
            "grpc-encoding",
            "user-agent",
        ] {
            assert!(!echoable(reserved), "{reserved}");
        }
    }
}
