//! One log line per call, like the HTTP services' request log, once the answer is
//! finished: `POST /dummy.v1.DummyService/GetDummy HTTP/2.0 200 grpc-status=0 25 B 0.8 ms`.
//!
//! A gRPC call is an HTTP/2 POST to `/{package.Service}/{Method}`; its outcome is not
//! the HTTP status (200 nearly always) but `grpc-status` in the trailers, the last
//! frame of the answer (or in the headers, for an answer that is only an error). So
//! the line is written when the body has ended, from what went by: gRPC-Web calls
//! show `HTTP/1.1`, native ones `HTTP/2.0`. Info level; `RUST_LOG=warn` silences it.

use std::pin::Pin;
use std::task::{Context, Poll};
use std::time::Instant;

use http_body::{Body, Frame, SizeHint};
use tonic::body::Body as TonicBody;

/// Logs every call that goes through the wrapped service (see the module docs).
#[derive(Debug, Clone, Copy)]
pub struct RequestLogLayer;

impl<S> tower::Layer<S> for RequestLogLayer {
    type Service = RequestLog<S>;

    fn layer(&self, inner: S) -> RequestLog<S> {
        RequestLog { inner }
    }
}

/// The service [`RequestLogLayer`] wraps around each route.
#[derive(Debug, Clone)]
pub struct RequestLog<S> {
    inner: S,
}

impl<S, B> tower::Service<http::Request<B>> for RequestLog<S>
where
    S: tower::Service<http::Request<B>, Response = http::Response<TonicBody>>,
    S::Future: Send + 'static,
    S::Error: Send + 'static,
{
    type Response = http::Response<TonicBody>;
    type Error = S::Error;
    type Future = Pin<Box<dyn Future<Output = Result<Self::Response, S::Error>> + Send>>;

    fn poll_ready(&mut self, cx: &mut Context<'_>) -> Poll<Result<(), S::Error>> {
        self.inner.poll_ready(cx)
    }

    fn call(&mut self, request: http::Request<B>) -> Self::Future {
        let mut line = Line {
            path: request.uri().path().to_owned(),
            version: request.version(),
            status: 0,
            grpc_status: None,
            bytes: 0,
            started: Instant::now(),
        };
        let answer = self.inner.call(request);
        Box::pin(async move {
            let response = answer.await?;
            line.status = response.status().as_u16();
            line.grpc_status = grpc_status(response.headers());
            Ok(response.map(|body| TonicBody::new(Logged { body, line })))
        })
    }
}

/// `grpc-status` from a header map (the headers of a trailers-only answer, or trailers).
fn grpc_status(headers: &http::HeaderMap) -> Option<String> {
    headers
        .get("grpc-status")
        .and_then(|v| v.to_str().ok())
        .map(str::to_owned)
}

/// What the log line says; written when dropped with the answer's body.
struct Line {
    path: String,
    version: http::Version,
    status: u16,
    grpc_status: Option<String>,
    bytes: usize,
    started: Instant,
}

impl Drop for Line {
    fn drop(&mut self) {
        let ms = self.started.elapsed().as_secs_f64() * 1e3;
        let grpc_status = self.grpc_status.as_deref().unwrap_or("-");
        tracing::info!(
            target: "request",
            method = "POST",
            path = %self.path,
            version = ?self.version,
            status = self.status,
            grpc_status,
            bytes = self.bytes,
            ms = format!("{ms:.1}"),
            "POST {} {:?} {} grpc-status={grpc_status} {} B {ms:.1} ms",
            self.path,
            self.version,
            self.status,
            self.bytes,
        );
    }
}

/// An answer's body that counts its bytes and reads `grpc-status` from its trailers.
struct Logged {
    body: TonicBody,
    line: Line,
}

impl Body for Logged {
    type Data = <TonicBody as Body>::Data;
    type Error = <TonicBody as Body>::Error;

    fn poll_frame(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
    ) -> Poll<Option<Result<Frame<Self::Data>, Self::Error>>> {
        let this = self.get_mut();
        let frame = Pin::new(&mut this.body).poll_frame(cx);
        if let Poll::Ready(Some(Ok(frame))) = &frame {
            if let Some(data) = frame.data_ref() {
                this.line.bytes += data.len();
            } else if let Some(trailers) = frame.trailers_ref() {
                this.line.grpc_status = grpc_status(trailers).or(this.line.grpc_status.take());
            }
        }
        frame
    }

    fn is_end_stream(&self) -> bool {
        self.body.is_end_stream()
    }

    fn size_hint(&self) -> SizeHint {
        self.body.size_hint()
    }
}
