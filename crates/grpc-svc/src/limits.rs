//! Message size limits, with the status code the gRPC spec gives them.
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_the_size_refusal_is_rewritten() {
        let too_large = http::Response::builder()
            .header("grpc-status", "11")
            .header("grpc-message", "Error, decoded message length too large: found 5000000 bytes")
            .body(())
            .unwrap();
        assert_eq!(over_limit_is_resource_exhausted(too_large).headers()["grpc-status"], "8");
        let other = http::Response::builder()
            .header("grpc-status", "11")
            .header("grpc-message", "something else")
            .body(())
            .unwrap();
        assert_eq!(over_limit_is_resource_exhausted(other).headers()["grpc-status"], "11");
    }
}
