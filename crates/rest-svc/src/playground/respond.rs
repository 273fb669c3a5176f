//! Answers shaped by the request: a status, a delay, redirects, headers, and the
//! conditional requests of HTTP caching (RFC 9110 section 13, RFC 9111).
//!
//! ```text
//! GET /api/http/redirect/2        ->  302  location: /api/http/redirect/1
//! GET /api/http/redirect/1        ->  302  location: /api/http/get
//! GET /api/http/etag/abc
//! If-None-Match: "abc"            ->  304  etag: "abc"   (no body: the client's copy is current)
//! ```

use std::time::{Duration, SystemTime};

use actix_web::http::StatusCode;
use actix_web::http::header::{self, HeaderName, HeaderValue};
use actix_web::web::{self, Payload};
use actix_web::{HttpRequest, HttpResponse};
use serde_json::{Map, Value, json};

use super::limits::{self, MAX_REDIRECTS, MAX_RESPONSE_HEADERS, MAX_STATUS_CHOICES};
use super::reflect::{self, Reflection};
use crate::error::ApiError;
use crate::routes::AppState;

/// Any method on `/status/{codes}`: `418`, or `200,500:3` to pick one at random by
/// weight (no weight is 1).
///
/// A `3xx` carries `Location: /api/http/redirect/1`; a `401` a Basic challenge. The body
/// names the status, except where HTTP forbids one (`204`, `304`).
///
/// # Errors
/// 400 for a code outside 200 to 599, a weight that is not a positive number, or more
/// than [`MAX_STATUS_CHOICES`] choices.
pub async fn status(codes: web::Path<String>) -> Result<HttpResponse, ApiError> {
    let status = pick_status(&codes)?;
    let mut response = HttpResponse::build(status);
    if status.is_redirection() && status != StatusCode::NOT_MODIFIED {
        response.insert_header((header::LOCATION, "/api/http/redirect/1"));
    }
    if status == StatusCode::UNAUTHORIZED {
        response.insert_header((header::WWW_AUTHENTICATE, "Basic realm=\"playground\""));
    }
    if matches!(status.as_u16(), 204 | 304) {
        return Ok(response.finish());
    }
    Ok(response.json(json!({
        "status": status.as_u16(),
        "reason": status.canonical_reason().unwrap_or(""),
    })))
}

/// One status out of `200,500:3`.
///
/// # Errors
/// 400 as [`status`] says.
pub fn pick_status(codes: &str) -> Result<StatusCode, ApiError> {
    let bad = |message: String| ApiError::BadRequest(message);
    let mut choices = Vec::new();
    for choice in codes.split(',') {
        let (code, weight) = choice.split_once(':').unwrap_or((choice, "1"));
        let code = code
            .trim()
            .parse::<u16>()
            .ok()
            .filter(|code| (200..=599).contains(code))
            .ok_or_else(|| {
                bad(format!(
                    "\"{choice}\" is not a status code from 200 to 599 (1xx codes can't end a request)."
                ))
            })?;
        let weight = weight
            .trim()
            .parse::<f64>()
            .ok()
            .filter(|weight| weight.is_finite() && *weight > 0.0)
            .ok_or_else(|| {
                bad(format!(
                    "\"{choice}\" has a weight that is not a positive number."
                ))
            })?;
        choices.push((code, weight));
    }
    if choices.len() > MAX_STATUS_CHOICES {
        return Err(bad(format!(
            "At most {MAX_STATUS_CHOICES} status codes to choose from, not {}.",
            choices.len()
        )));
    }
    let total: f64 = choices.iter().map(|(_, weight)| weight).sum();
    let mut roll = fastrand::f64() * total;
    let mut chosen = choices[0].0;
    for (code, weight) in choices {
        chosen = code;
        if roll < weight {
            break;
        }
        roll -= weight;
    }
    Ok(StatusCode::from_u16(chosen).expect("checked to be 200 to 599"))
}

/// Any method on `/delay/{seconds}`: the reflection, after that long (a fraction is
/// fine). Ends early, with the same answer, when the server shuts down.
///
/// # Errors
/// 400 for a delay that is not a number from 0 to [`limits::MAX_DELAY_SECS`].
pub async fn delay(
    req: HttpRequest,
    seconds: web::Path<String>,
    state: web::Data<AppState>,
) -> Result<HttpResponse, ApiError> {
    let secs = limits::seconds(&seconds, "The delay")?;
    tokio::select! {
        () = tokio::time::sleep(Duration::from_secs_f64(secs)) => {}
        () = state.shutdown.cancelled() => {}
    }
    let mut answer = serde_json::to_value(Reflection::of(&req)).expect("a reflection is JSON");
    answer["delay"] = json!(secs);
    Ok(HttpResponse::Ok().json(answer))
}

/// `GET /redirect/{n}`: `302` to `/redirect/{n-1}`, and from `/redirect/1` to `/get`.
/// With `?absolute=true` the `Location` is a whole URL on the `Host` the client used.
///
/// # Errors
/// 400 for `n` outside 1 to [`MAX_REDIRECTS`].
pub async fn redirect(req: HttpRequest, n: web::Path<String>) -> Result<HttpResponse, ApiError> {
    let n = limits::count(&n, "The number of redirects", 1, MAX_REDIRECTS.into())?;
    let absolute = match reflect::args(req.query_string()).get("absolute") {
        None => false,
        Some(value) if value == "true" => true,
        Some(value) if value == "false" => false,
        Some(other) => {
            return Err(ApiError::BadRequest(format!(
                "absolute must be true or false, not {other}."
            )));
        }
    };
    let path = if n == 1 {
        "/api/http/get".to_owned()
    } else if absolute {
        format!("/api/http/redirect/{}?absolute=true", n - 1)
    } else {
        format!("/api/http/redirect/{}", n - 1)
    };
    let location = if absolute {
        let info = req.connection_info();
        format!("{}://{}{path}", info.scheme(), info.host())
    } else {
        path
    };
    Ok(HttpResponse::Found()
        .insert_header((header::LOCATION, location))
        .finish())
}

/// Any method on `/redirect-to?url=/some/path&status_code=307`: one redirect, to a path
/// of this server only (no open redirect: a scheme, a host, `//` or a backslash is
/// refused), and never to `/redirect-to` itself.
///
/// # Errors
/// 400 for a missing or foreign `url`, or a status that is not a redirect.
pub async fn redirect_to(req: HttpRequest) -> Result<HttpResponse, ApiError> {
    let args = reflect::args(req.query_string());
    let url = args.get("url").and_then(Value::as_str).unwrap_or_default();
    let own_path = url.starts_with('/')
        && !url.starts_with("//")
        && !url.contains('\\')
        && !url.chars().any(char::is_control);
    if !own_path {
        return Err(ApiError::BadRequest(format!(
            "url must be a path on this server, starting with one \"/\", not \"{url}\"."
        )));
    }
    if url.starts_with("/api/http/redirect-to") {
        return Err(ApiError::BadRequest(
            "url may not point at /api/http/redirect-to itself: that would loop.".into(),
        ));
    }
    let code = match args.get("status_code").and_then(Value::as_str) {
        None => 302,
        Some(raw) => raw
            .parse::<u16>()
            .ok()
            .filter(|code| matches!(code, 300..=303 | 305 | 307 | 308))
            .ok_or_else(|| {
                ApiError::BadRequest(format!(
                    "status_code must be a redirect: 300 to 303, 305, 307 or 308, not \"{raw}\"."
                ))
            })?,
    };
    Ok(
        HttpResponse::build(StatusCode::from_u16(code).expect("a redirect code"))
            .insert_header((header::LOCATION, url))
            .finish(),
    )
}

/// Any method on `/response-headers?X-Hello=world&X-Hello=again`: an answer carrying those
/// headers, with them as its JSON body too. `Content-Type` may be set this way.
///
/// # Errors
/// 400 for a name or value HTTP does not allow, a header that frames the message
/// (`Content-Length`, `Transfer-Encoding`, `Connection`, …), or more than
/// [`MAX_RESPONSE_HEADERS`].
pub async fn response_headers(req: HttpRequest, _body: Payload) -> Result<HttpResponse, ApiError> {
    const FRAMING: [&str; 8] = [
        "content-length",
        "transfer-encoding",
        "connection",
        "keep-alive",
        "upgrade",
        "trailer",
        "te",
        "proxy-connection",
    ];
    let pairs: Vec<(String, String)> = form_urlencoded::parse(req.query_string().as_bytes())
        .map(|(name, value)| (name.into_owned(), value.into_owned()))
        .collect();
    if pairs.len() > MAX_RESPONSE_HEADERS {
        return Err(ApiError::BadRequest(format!(
            "At most {MAX_RESPONSE_HEADERS} headers, not {}.",
            pairs.len()
        )));
    }
    let mut response = HttpResponse::Ok();
    let mut shown = Map::new();
    for (name, value) in pairs {
        let header_name = HeaderName::from_bytes(name.as_bytes()).map_err(|_| {
            ApiError::BadRequest(format!("\"{name}\" is not a header name HTTP allows."))
        })?;
        if FRAMING.contains(&header_name.as_str()) {
            return Err(ApiError::BadRequest(format!(
                "\"{name}\" frames the message; the server sets it itself."
            )));
        }
        let header_value = HeaderValue::from_str(&value).map_err(|_| {
            ApiError::BadRequest(format!(
                "The value of \"{name}\" has bytes HTTP does not allow."
            ))
        })?;
        response.append_header((header_name, header_value));
        reflect::add(&mut shown, name, Value::String(value));
    }
    let has_type = shown
        .keys()
        .any(|name| name.eq_ignore_ascii_case("content-type"));
    if !has_type {
        response.content_type("application/json");
    }
    Ok(response.body(Value::Object(shown).to_string()))
}

/// `GET /cache`: `304` when the request is conditional (`If-Modified-Since` or
/// `If-None-Match`), else the reflection with a fresh `ETag` and `Last-Modified`, as
/// httpbin does, so a client's cache can be watched revalidating.
pub async fn cache(req: HttpRequest) -> HttpResponse {
    let headers = req.headers();
    if headers.contains_key(header::IF_MODIFIED_SINCE)
        || headers.contains_key(header::IF_NONE_MATCH)
    {
        return HttpResponse::NotModified().finish();
    }
    let now = header::HttpDate::from(SystemTime::now());
    HttpResponse::Ok()
        .insert_header((header::LAST_MODIFIED, now.to_string()))
        .insert_header((header::ETAG, format!("\"{:016x}\"", fastrand::u64(..))))
        .json(Reflection::of(&req))
}

/// `GET /cache/{seconds}`: the reflection with `Cache-Control: public, max-age=seconds`.
///
/// # Errors
/// 400 past [`limits::MAX_CACHE_SECS`].
pub async fn cache_for(
    req: HttpRequest,
    seconds: web::Path<String>,
) -> Result<HttpResponse, ApiError> {
    let seconds = limits::count(&seconds, "max-age", 0, limits::MAX_CACHE_SECS)?;
    Ok(HttpResponse::Ok()
        .insert_header((header::CACHE_CONTROL, format!("public, max-age={seconds}")))
        .json(Reflection::of(&req)))
}

/// `GET /etag/{tag}`: the reflection with `ETag: "tag"`; `304` to an `If-None-Match`
/// naming it (or `*`), `412` to an `If-Match` that does not.
///
/// # Errors
/// 412 as said; 400 for a tag with a `"` or bytes a header can't carry.
pub async fn etag(req: HttpRequest, tag: web::Path<String>) -> Result<HttpResponse, ApiError> {
    let tag = tag.into_inner();
    let quoted = format!("\"{tag}\"");
    if tag.contains('"') || HeaderValue::from_str(&quoted).is_err() {
        return Err(ApiError::BadRequest(format!(
            "\"{tag}\" can't be an entity tag: no quotes or control bytes."
        )));
    }
    let names = |name: header::HeaderName| {
        req.headers().get(name).map(|value| {
            value
                .to_str()
                .unwrap_or_default()
                .split(',')
                .map(|item| item.trim().trim_start_matches("W/").to_owned())
                .any(|item| item == quoted || item == "*")
        })
    };
    if names(header::IF_NONE_MATCH) == Some(true) {
        return Ok(HttpResponse::NotModified()
            .insert_header((header::ETAG, quoted))
            .finish());
    }
    if names(header::IF_MATCH) == Some(false) {
        return Err(ApiError::PreconditionFailed);
    }
    Ok(HttpResponse::Ok()
        .insert_header((header::ETAG, quoted))
        .json(Reflection::of(&req)))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn weights_pick_among_the_codes_and_bad_lists_are_refused() {
        assert_eq!(pick_status("418").unwrap().as_u16(), 418);
        for _ in 0..50 {
            let code = pick_status("200:1,500:3").unwrap().as_u16();
            assert!(code == 200 || code == 500);
        }
        for bad in ["", "99", "100", "600", "abc", "200:0", "200:-1", "200:x"] {
            assert!(pick_status(bad).is_err(), "{bad}");
        }
        assert!(pick_status(&vec!["200"; 21].join(",")).is_err());
    }
}
