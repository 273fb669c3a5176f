//! How the bytes of an answer travel: content codings chosen by `Accept-Encoding`
//! (RFC 9110 section 12.5.3), chunked streaming (RFC 9112 section 7.1), a slow drip,
//! and byte ranges (RFC 9110 section 14).
//!
//! ```text
//! GET /api/http/gzip                   GET /api/http/range/26
//! Accept-Encoding: gzip, br            Range: bytes=0-3
//!
//! HTTP/1.1 200 OK                      HTTP/1.1 206 Partial Content
//! content-encoding: gzip               content-range: bytes 0-3/26
//! vary: accept-encoding                content-length: 4
//!
//! <gzip bytes: 1f 8b 08 ...>           abcd
//!
//! GET /api/http/stream/2           ->  HTTP/1.1 200 OK
//!                                      transfer-encoding: chunked
//!
//!                                      9c\r\n{"id":0,...}\n\r\n     each line its own chunk:
//!                                      9c\r\n{"id":1,...}\n\r\n     size in hex, CRLF, bytes, CRLF
//!                                      0\r\n\r\n                   the last chunk is empty
//! ```
//!
//! Over HTTP/2 there is no chunked coding: the same lines go as DATA frames.

use std::convert::Infallible;
use std::io::Write;
use std::time::Duration;

use actix_web::http::StatusCode;
use actix_web::http::header;
use actix_web::web::{self, Bytes};
use actix_web::{HttpRequest, HttpResponse};
use futures_util::stream;

use super::limits::{self, MAX_DRIP_BYTES, MAX_RANGE_BYTES, MAX_STREAM_LINES};
use super::reflect::{self, Reflection};
use crate::error::ApiError;
use crate::routes::AppState;

/// A content coding the playground can answer in.
#[derive(Debug, Clone, Copy, PartialEq)]
enum Coding {
    Gzip,
    Deflate,
    Brotli,
}

impl Coding {
    /// Its token in `Accept-Encoding` and `Content-Encoding`.
    fn token(self) -> &'static str {
        match self {
            Coding::Gzip => "gzip",
            Coding::Deflate => "deflate",
            Coding::Brotli => "br",
        }
    }

    /// The reflection's flag for it, as httpbin names them.
    fn flag(self) -> &'static str {
        match self {
            Coding::Gzip => "gzipped",
            Coding::Deflate => "deflated",
            Coding::Brotli => "brotli",
        }
    }

    fn encode(self, bytes: &[u8]) -> Vec<u8> {
        let mut out = Vec::new();
        match self {
            Coding::Gzip => {
                let mut encoder =
                    flate2::write::GzEncoder::new(&mut out, flate2::Compression::default());
                encoder.write_all(bytes).expect("writing to memory");
                encoder.finish().expect("writing to memory");
            }
            // HTTP's "deflate" is the zlib format (RFC 1950) around deflate data.
            Coding::Deflate => {
                let mut encoder =
                    flate2::write::ZlibEncoder::new(&mut out, flate2::Compression::default());
                encoder.write_all(bytes).expect("writing to memory");
                encoder.finish().expect("writing to memory");
            }
            Coding::Brotli => {
                let mut encoder = brotli::CompressorWriter::new(&mut out, 4096, 5, 22);
                encoder.write_all(bytes).expect("writing to memory");
                // Dropping the writer ends the brotli stream.
                drop(encoder);
            }
        }
        out
    }
}

/// Whether `Accept-Encoding` lets `token` be used: named (or `*`) with a q-value above 0,
/// and not named with `q=0`.
pub fn accepts(accept_encoding: &str, token: &str) -> bool {
    let mut star = false;
    for item in accept_encoding.split(',') {
        let mut params = item.split(';');
        let name = params.next().unwrap_or_default().trim();
        let q = params
            .filter_map(|param| param.trim().strip_prefix("q="))
            .find_map(|q| q.trim().parse::<f32>().ok())
            .unwrap_or(1.0);
        if name.eq_ignore_ascii_case(token) {
            return q > 0.0;
        }
        if name == "*" {
            star = q > 0.0;
        }
    }
    star
}

/// The reflection, encoded with `coding`, or 406 when the client does not accept it.
fn encoded(req: &HttpRequest, coding: Coding) -> Result<HttpResponse, ApiError> {
    let accept = req
        .headers()
        .get(header::ACCEPT_ENCODING)
        .and_then(|value| value.to_str().ok())
        .unwrap_or_default();
    if !accepts(accept, coding.token()) {
        return Err(ApiError::NotAcceptable(format!(
            "This answer is only sent {}-encoded; ask with Accept-Encoding: {}.",
            coding.token(),
            coding.token()
        )));
    }
    let mut reflection = serde_json::to_value(Reflection::of(req)).expect("a reflection is JSON");
    reflection[coding.flag()] = serde_json::Value::Bool(true);
    let body = coding.encode(reflection.to_string().as_bytes());
    Ok(HttpResponse::Ok()
        .content_type("application/json")
        .insert_header((header::CONTENT_ENCODING, coding.token()))
        .insert_header((header::VARY, "accept-encoding"))
        .body(body))
}

/// `GET /gzip`: the reflection, gzip-encoded.
///
/// # Errors
/// 406 when `Accept-Encoding` does not allow gzip.
pub async fn gzip(req: HttpRequest) -> Result<HttpResponse, ApiError> {
    encoded(&req, Coding::Gzip)
}

/// `GET /deflate`: the reflection, deflate-encoded (zlib).
///
/// # Errors
/// 406 when `Accept-Encoding` does not allow deflate.
pub async fn deflate(req: HttpRequest) -> Result<HttpResponse, ApiError> {
    encoded(&req, Coding::Deflate)
}

/// `GET /brotli`: the reflection, brotli-encoded (`br`).
///
/// # Errors
/// 406 when `Accept-Encoding` does not allow br.
pub async fn brotli(req: HttpRequest) -> Result<HttpResponse, ApiError> {
    encoded(&req, Coding::Brotli)
}

/// `GET /stream/{n}`: n lines of JSON (`application/x-ndjson`), each sent as its own
/// chunk as soon as it is made.
///
/// # Errors
/// 400 for n outside 1 to [`MAX_STREAM_LINES`].
pub async fn stream(req: HttpRequest, n: web::Path<String>) -> Result<HttpResponse, ApiError> {
    let n = limits::count(&n, "The number of lines", 1, MAX_STREAM_LINES.into())?;
    let reflection = serde_json::to_value(Reflection::of(&req)).expect("a reflection is JSON");
    let lines = stream::iter((0..n).map(move |id| {
        let mut line = reflection.clone();
        line["id"] = id.into();
        let mut bytes = line.to_string().into_bytes();
        bytes.push(b'\n');
        Ok::<_, Infallible>(Bytes::from(bytes))
    }));
    Ok(HttpResponse::Ok()
        .content_type("application/x-ndjson")
        .streaming(lines))
}

/// `GET /drip?duration=2&numbytes=10&delay=0&code=200`: waits `delay` seconds, then
/// sends `numbytes` asterisks spread evenly over `duration` seconds, one byte a write,
/// with that status. The length is announced up front, so a client can watch the body
/// arrive against it. Ends early when the server shuts down.
///
/// # Errors
/// 400 past the bounds: [`MAX_DRIP_BYTES`], [`limits::MAX_DELAY_SECS`] for each time, a
/// code outside 200 to 599.
pub async fn drip(req: HttpRequest, state: web::Data<AppState>) -> Result<HttpResponse, ApiError> {
    let args = reflect::args(req.query_string());
    let arg = |name: &str, default: &str| -> String {
        args.get(name)
            .and_then(|value| value.as_str())
            .unwrap_or(default)
            .to_owned()
    };
    let duration = limits::seconds(&arg("duration", "2"), "duration")?;
    let delay = limits::seconds(&arg("delay", "0"), "delay")?;
    let numbytes = limits::count(&arg("numbytes", "10"), "numbytes", 1, MAX_DRIP_BYTES)?;
    let code = limits::count(&arg("code", "200"), "code", 200, 599)?;
    let status = StatusCode::from_u16(u16::try_from(code).expect("at most 599"))
        .expect("checked to be 200 to 599");
    tokio::select! {
        () = tokio::time::sleep(Duration::from_secs_f64(delay)) => {}
        () = state.shutdown.cancelled() => {}
    }
    let pause = Duration::from_secs_f64(duration / numbytes as f64);
    let shutdown = state.shutdown.clone();
    let bytes = stream::unfold(0, move |sent| {
        let shutdown = shutdown.clone();
        async move {
            if sent == numbytes {
                return None;
            }
            if sent > 0 && !shutdown.is_cancelled() {
                tokio::select! {
                    () = tokio::time::sleep(pause) => {}
                    () = shutdown.cancelled() => {}
                }
            }
            Some((Ok::<_, Infallible>(Bytes::from_static(b"*")), sent + 1))
        }
    });
    Ok(HttpResponse::build(status)
        .content_type("application/octet-stream")
        .no_chunking(numbytes)
        .streaming(bytes))
}

/// The first and last byte a `Range: bytes=…` header asks of `length` bytes: `None` to
/// send it all (no header, several ranges, or one this does not parse, which RFC 9110
/// lets a server ignore), `Some(Err)` when it starts past the end.
pub fn byte_range(range: Option<&str>, length: u64) -> Option<Result<(u64, u64), ()>> {
    let spec = range?.trim().strip_prefix("bytes=")?;
    if spec.contains(',') {
        return None;
    }
    let (first, last) = spec.split_once('-')?;
    let (first, last) = (first.trim(), last.trim());
    if first.is_empty() {
        // `-500`: the last 500 bytes.
        let suffix: u64 = last.parse().ok()?;
        if suffix == 0 {
            return Some(Err(()));
        }
        return Some(Ok((length.saturating_sub(suffix), length - 1)));
    }
    let first: u64 = first.parse().ok()?;
    let last = match last {
        "" => length - 1,
        last => last.parse::<u64>().ok()?.min(length - 1),
    };
    if first >= length {
        return Some(Err(()));
    }
    (first <= last).then_some(Ok((first, last)))
}

/// `GET /range/{n}`: n bytes of `abc…xyzabc…`, honouring one `Range`: `206` with
/// `Content-Range`, or `416` when it starts past the end. `Accept-Ranges: bytes` says
/// ranges may be asked for; the `ETag` names the body.
///
/// # Errors
/// 400 for n outside 1 to [`MAX_RANGE_BYTES`]; 416 as said.
pub async fn range(req: HttpRequest, n: web::Path<String>) -> Result<HttpResponse, ApiError> {
    let length = limits::count(&n, "The number of bytes", 1, MAX_RANGE_BYTES)?;
    let asked = req
        .headers()
        .get(header::RANGE)
        .and_then(|value| value.to_str().ok());
    let byte = |i: u64| b'a' + u8::try_from(i % 26).expect("below 26");
    let (status, first, last) = match byte_range(asked, length) {
        None => (StatusCode::OK, 0, length - 1),
        Some(Ok((first, last))) => (StatusCode::PARTIAL_CONTENT, first, last),
        Some(Err(())) => return Err(ApiError::RangeNotSatisfiable { length }),
    };
    let mut response = HttpResponse::build(status);
    response
        .content_type("application/octet-stream")
        .insert_header((header::ACCEPT_RANGES, "bytes"))
        .insert_header((header::ETAG, format!("\"range{length}\"")));
    if status == StatusCode::PARTIAL_CONTENT {
        response.insert_header((
            header::CONTENT_RANGE,
            format!("bytes {first}-{last}/{length}"),
        ));
    }
    Ok(response.body((first..=last).map(byte).collect::<Vec<u8>>()))
}

#[cfg(test)]
mod tests {
    use std::io::Read;

    use super::*;

    #[test]
    fn accept_encoding_is_read_with_its_q_values() {
        assert!(accepts("gzip, br", "gzip"));
        assert!(accepts("deflate;q=0.5, br", "br"));
        assert!(!accepts("gzip;q=0", "gzip"));
        assert!(accepts("*", "deflate"));
        assert!(!accepts("*, br;q=0", "br"));
        assert!(!accepts("identity", "gzip"));
        assert!(!accepts("", "gzip"));
    }

    #[test]
    fn each_coding_decodes_back() {
        let text = b"{\"hello\":\"world\"}".repeat(10);
        let mut out = Vec::new();
        flate2::read::GzDecoder::new(&Coding::Gzip.encode(&text)[..])
            .read_to_end(&mut out)
            .unwrap();
        assert_eq!(out, text);
        out.clear();
        flate2::read::ZlibDecoder::new(&Coding::Deflate.encode(&text)[..])
            .read_to_end(&mut out)
            .unwrap();
        assert_eq!(out, text);
        out.clear();
        brotli::Decompressor::new(&Coding::Brotli.encode(&text)[..], 4096)
            .read_to_end(&mut out)
            .unwrap();
        assert_eq!(out, text);
    }

    #[test]
    fn ranges_are_read_as_rfc_9110_says() {
        assert_eq!(byte_range(None, 10), None);
        assert_eq!(byte_range(Some("bytes=0-3"), 10), Some(Ok((0, 3))));
        assert_eq!(byte_range(Some("bytes=5-"), 10), Some(Ok((5, 9))));
        assert_eq!(byte_range(Some("bytes=-3"), 10), Some(Ok((7, 9))));
        assert_eq!(byte_range(Some("bytes=-30"), 10), Some(Ok((0, 9))));
        assert_eq!(byte_range(Some("bytes=8-100"), 10), Some(Ok((8, 9))));
        assert_eq!(byte_range(Some("bytes=10-"), 10), Some(Err(())));
        assert_eq!(byte_range(Some("bytes=0-1,4-5"), 10), None);
        assert_eq!(byte_range(Some("bytes=4-2"), 10), None);
        assert_eq!(byte_range(Some("items=0-1"), 10), None);
    }
}
