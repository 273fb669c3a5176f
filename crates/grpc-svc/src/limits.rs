//! Message size limits and deadlines, with the status codes the gRPC spec gives them.
//!
//! # Deadlines
//!
//! A client states its deadline in the `grpc-timeout` header (`100m` is 100 ms, `5S`
//! five seconds). tonic enforces it but reports CANCELLED "Timeout expired"; the spec's
//! code for a deadline that passed is DEADLINE_EXCEEDED. [`DeadlineLayer`] ends the call
//! itself a millisecond before tonic would, with DEADLINE_EXCEEDED.
//!
//! # Message size
//!
//! tonic refuses a request message over `max_decoding_message_size` with OUT_OF_RANGE;
//! gRPC's status code table says a server that receives a message larger than its
//! limit answers RESOURCE_EXHAUSTED. This response layer rewrites that one case.
//! (A refusal before any response message is a "trailers-only" response: the status
//! is in the headers, where this layer can see it.)

const TONIC_TOO_LARGE: &str = "Error, decoded message length too large";

/// Rewrites tonic's OUT_OF_RANGE "message too large" into RESOURCE_EXHAUSTED.
pub fn over_limit_is_resource_exhausted<B>(mut response: http::Response<B>) -> http::Response<B> {
    let headers = response.headers();
    let too_large = headers.get("grpc-status").is_some_and(|s| s == "11")
        && headers
            .get("grpc-message")
            .and_then(|m| m.to_str().ok())
            .is_some_and(|m| m.starts_with(TONIC_TOO_LARGE) || m.starts_with("Error,%20decoded"));
    if too_large {
        response
            .headers_mut()
            .insert("grpc-status", http::HeaderValue::from_static("8"));
    }
    response
}

/// Ends calls at their `grpc-timeout` deadline with DEADLINE_EXCEEDED (see the module docs).
#[derive(Debug, Clone, Copy)]
pub struct DeadlineLayer;

impl<S> tower::Layer<S> for DeadlineLayer {
    type Service = Deadline<S>;

    fn layer(&self, inner: S) -> Deadline<S> {
        Deadline { inner }
    }
}

/// The service [`DeadlineLayer`] wraps around each route.
#[derive(Debug, Clone)]
pub struct Deadline<S> {
    inner: S,
}

impl<S, B> tower::Service<http::Request<B>> for Deadline<S>
where
    S: tower::Service<http::Request<B>, Response = http::Response<tonic::body::Body>>,
    S::Future: Send + 'static,
    S::Error: Send + 'static,
{
    type Response = http::Response<tonic::body::Body>;
    type Error = S::Error;
    type Future = std::pin::Pin<
        Box<dyn std::future::Future<Output = Result<Self::Response, S::Error>> + Send>,
    >;

    fn poll_ready(
        &mut self,
        cx: &mut std::task::Context<'_>,
    ) -> std::task::Poll<Result<(), S::Error>> {
        self.inner.poll_ready(cx)
    }

    fn call(&mut self, request: http::Request<B>) -> Self::Future {
        let deadline = request
            .headers()
            .get("grpc-timeout")
            .and_then(|v| v.to_str().ok())
            .and_then(parse_grpc_timeout)
            // Just before tonic's own timer, which would say CANCELLED.
            .map(|d| d.saturating_sub(std::time::Duration::from_millis(1)));
        let call = self.inner.call(request);
        Box::pin(async move {
            match deadline {
                None => call.await,
                Some(limit) => match tokio::time::timeout(limit, call).await {
                    Ok(response) => response,
                    Err(_) => Ok(tonic::Status::deadline_exceeded("deadline exceeded").into_http()),
                },
            }
        })
    }
}

/// `grpc-timeout`: up to 8 digits and a unit (H, M, S, m milli, u micro, n nano).
pub fn parse_grpc_timeout(value: &str) -> Option<std::time::Duration> {
    use std::time::Duration;
    let (digits, unit) = value.split_at(value.len().checked_sub(1)?);
    if digits.is_empty() || digits.len() > 8 {
        return None;
    }
    let n: u64 = digits.parse().ok()?;
    Some(match unit {
        "H" => Duration::from_secs(n * 3600),
        "M" => Duration::from_secs(n * 60),
        "S" => Duration::from_secs(n),
        "m" => Duration::from_millis(n),
        "u" => Duration::from_micros(n),
        "n" => Duration::from_nanos(n),
        _ => return None,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn grpc_timeout_values_parse_by_unit() {
        use std::time::Duration;
        assert_eq!(parse_grpc_timeout("100m"), Some(Duration::from_millis(100)));
        assert_eq!(parse_grpc_timeout("5S"), Some(Duration::from_secs(5)));
        assert_eq!(parse_grpc_timeout("2H"), Some(Duration::from_secs(7200)));
        assert_eq!(parse_grpc_timeout("123456789m"), None);
        assert_eq!(parse_grpc_timeout("m"), None);
        assert_eq!(parse_grpc_timeout("10x"), None);
    }

    #[test]
    fn only_the_size_refusal_is_rewritten() {
        let too_large = http::Response::builder()
            .header("grpc-status", "11")
            .header(
                "grpc-message",
                "Error, decoded message length too large: found 5000000 bytes",
            )
            .body(())
            .unwrap();
        assert_eq!(
            over_limit_is_resource_exhausted(too_large).headers()["grpc-status"],
            "8"
        );
        let other = http::Response::builder()
            .header("grpc-status", "11")
            .header("grpc-message", "something else")
            .body(())
            .unwrap();
        assert_eq!(
            over_limit_is_resource_exhausted(other).headers()["grpc-status"],
            "11"
        );
    }
}
