//! The request as the server saw it: `/anything` (and `/get`, `/post`, …), `/headers`,
//! `/ip` and `/user-agent`.
//!
//! A body is shown four ways, as httpbin does: `data` is its text (or, when it is not
//! UTF-8, a `data:` URL with its bytes in base64); `json` is it parsed, when the
//! `Content-Type` says JSON and it parses (else `null`); `form` holds the fields of an
//! urlencoded or multipart form, and `files` the multipart parts that carry a
//! `filename`.

use std::collections::BTreeMap;

use actix_web::http::{Version, header};
use actix_web::web::{self, Payload};
use actix_web::{HttpRequest, HttpResponse};
use base64::Engine;
use serde::Serialize;
use serde_json::{Map, Value};

use crate::body;
use crate::error::ApiError;
use crate::routes::AppState;

/// What `/anything` answers.
#[derive(Debug, Serialize)]
pub struct Reflection {
    /// The request's method.
    pub method: String,
    /// The URL as the client addressed it: scheme, `Host`, path and query.
    pub url: String,
    /// `HTTP/1.1` or `HTTP/2.0`.
    pub http_version: &'static str,
    /// The query's parameters; a repeated one as a list.
    pub args: Map<String, Value>,
    /// The headers, names lowercase; repeated ones joined with `, `.
    pub headers: BTreeMap<String, String>,
    /// The client's address (see the module docs).
    pub origin: String,
    /// The socket's peer address.
    pub peer: String,
    /// The body (see the module docs); not shown by the routes that take none.
    #[serde(flatten, skip_serializing_if = "Option::is_none")]
    pub body: Option<BodyReflection>,
}

/// A request body, four ways.
#[derive(Debug, Serialize)]
pub struct BodyReflection {
    /// The body as text, or as a base64 `data:` URL.
    pub data: String,
    /// Form fields (urlencoded, or multipart parts without a filename).
    pub form: Map<String, Value>,
    /// Multipart parts with a filename: their contents, text or a `data:` URL.
    pub files: Map<String, Value>,
    /// The body parsed as JSON, when it is JSON.
    pub json: Value,
}

/// The name `x-http-version` and the reflections give a version.
pub fn version_name(version: Version) -> &'static str {
    match version {
        Version::HTTP_09 => "HTTP/0.9",
        Version::HTTP_10 => "HTTP/1.0",
        Version::HTTP_11 => "HTTP/1.1",
        Version::HTTP_2 => "HTTP/2.0",
        Version::HTTP_3 => "HTTP/3.0",
        _ => "HTTP/?",
    }
}

impl Reflection {
    /// The request line, headers and addresses of `req`, without a body.
    pub fn of(req: &HttpRequest) -> Reflection {
        let info = req.connection_info();
        Reflection {
            method: req.method().to_string(),
            url: format!("{}://{}{}", info.scheme(), info.host(), req.uri()),
            http_version: version_name(req.version()),
            args: args(req.query_string()),
            headers: header_map(req),
            origin: info.realip_remote_addr().unwrap_or_default().to_owned(),
            peer: req.peer_addr().map(|a| a.to_string()).unwrap_or_default(),
            body: None,
        }
    }
}

/// Query parameters, in order of first appearance; a repeated name gets a list.
pub(crate) fn args(query: &str) -> Map<String, Value> {
    let mut args = Map::new();
    for (key, value) in form_urlencoded::parse(query.as_bytes()) {
        add(
            &mut args,
            key.into_owned(),
            Value::String(value.into_owned()),
        );
    }
    args
}

/// Puts `value` under `key`, turning a second value into a list.
pub(crate) fn add(map: &mut Map<String, Value>, key: String, value: Value) {
    match map.get_mut(&key) {
        None => {
            map.insert(key, value);
        }
        Some(Value::Array(values)) => values.push(value),
        Some(first) => *first = Value::Array(vec![first.take(), value]),
    }
}

/// The headers, lowercase names, values that are not visible ASCII shown lossily.
fn header_map(req: &HttpRequest) -> BTreeMap<String, String> {
    let mut headers = BTreeMap::<String, String>::new();
    for (name, value) in req.headers() {
        let value = String::from_utf8_lossy(value.as_bytes());
        let separator = if name == header::COOKIE { "; " } else { ", " };
        headers
            .entry(name.as_str().to_owned())
            .and_modify(|joined| {
                joined.push_str(separator);
                joined.push_str(&value);
            })
            .or_insert_with(|| value.into_owned());
    }
    headers
}

/// Text if it is UTF-8, else a `data:` URL of its bytes.
fn text_or_data_url(bytes: &[u8], content_type: &str) -> String {
    match std::str::from_utf8(bytes) {
        Ok(text) => text.to_owned(),
        Err(_) => format!(
            "data:{content_type};base64,{}",
            base64::engine::general_purpose::STANDARD.encode(bytes)
        ),
    }
}

/// Reads the body (up to the REST body limit) and shows it four ways.
async fn reflect_body(
    req: &HttpRequest,
    payload: Payload,
    limit: usize,
) -> Result<BodyReflection, ApiError> {
    let bytes = body::read_limited(req, payload, limit).await?;
    let content_type = req
        .headers()
        .get(header::CONTENT_TYPE)
        .and_then(|value| value.to_str().ok())
        .unwrap_or_default()
        .to_owned();
    let mime = content_type
        .split(';')
        .next()
        .unwrap_or_default()
        .trim()
        .to_ascii_lowercase();
    let mut reflection = BodyReflection {
        data: text_or_data_url(&bytes, "application/octet-stream"),
        form: Map::new(),
        files: Map::new(),
        json: Value::Null,
    };
    match mime.as_str() {
        "application/x-www-form-urlencoded" => {
            reflection.form = args(&String::from_utf8_lossy(&bytes));
        }
        "multipart/form-data" => {
            for part in body::multipart_parts(&content_type, &bytes)? {
                let kind = part
                    .content_type
                    .as_deref()
                    .unwrap_or("application/octet-stream");
                let shown = Value::String(text_or_data_url(part.content, kind));
                match part.filename {
                    Some(_) => add(&mut reflection.files, part.name, shown),
                    None => add(&mut reflection.form, part.name, shown),
                }
            }
        }
        mime if mime == "application/json" || mime.ends_with("+json") => {
            reflection.json = serde_json::from_slice(&bytes).unwrap_or(Value::Null);
        }
        _ => {}
    }
    Ok(reflection)
}

/// Any method on `/anything` (and `/get`, `/post`, …): the whole request reflected.
///
/// # Errors
/// 413 past the body limit; 400 for a multipart body that does not parse.
pub async fn anything(
    req: HttpRequest,
    payload: Payload,
    state: web::Data<AppState>,
) -> Result<HttpResponse, ApiError> {
    let mut reflection = Reflection::of(&req);
    reflection.body = Some(reflect_body(&req, payload, state.body_limit).await?);
    Ok(HttpResponse::Ok().json(reflection))
}

/// `GET /headers`.
pub async fn headers(req: HttpRequest) -> HttpResponse {
    HttpResponse::Ok().json(serde_json::json!({ "headers": header_map(&req) }))
}

/// `GET /ip`.
pub async fn ip(req: HttpRequest) -> HttpResponse {
    let reflection = Reflection::of(&req);
    HttpResponse::Ok().json(serde_json::json!({
        "origin": reflection.origin,
        "peer": reflection.peer,
    }))
}

/// `GET /user-agent`.
pub async fn user_agent(req: HttpRequest) -> HttpResponse {
    let agent = req
        .headers()
        .get(header::USER_AGENT)
        .map(|value| String::from_utf8_lossy(value.as_bytes()).into_owned());
    HttpResponse::Ok().json(serde_json::json!({ "user-agent": agent }))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn repeated_arguments_become_lists() {
        let args = args("a=1&b=x%20y&a=2&a=3");
        assert_eq!(
            Value::Object(args),
            serde_json::json!({"a": ["1", "2", "3"], "b": "x y"})
        );
    }

    #[test]
    fn bytes_that_are_not_text_become_a_data_url() {
        assert_eq!(text_or_data_url(b"hi", "x/y"), "hi");
        assert_eq!(
            text_or_data_url(&[0xff, 0x00], "image/png"),
            "data:image/png;base64,/wA="
        );
    }
}
