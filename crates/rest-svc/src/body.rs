//! Request bodies: JSON, `application/x-www-form-urlencoded` and `multipart/form-data`,
//! all decoded into the same [`model::DummyFields`].
//!
//! What each looks like on the wire for the same record:
//!
//! ```text
//! Content-Type: application/json
//! {"day":2,"weekday":"Tuesday","month":"February","year":"1985"}
//!
//! Content-Type: application/x-www-form-urlencoded
//! day=2&weekday=Tuesday&month=February&year=1985
//!
//! Content-Type: multipart/form-data; boundary=------------------------d74496d66958873e
//! --------------------------d74496d66958873e
//! Content-Disposition: form-data; name="day"
//!
//! 2
//! --------------------------d74496d66958873e
//! ...
//! --------------------------d74496d66958873e--
//! ```
//!
//! Form fields are always text; the model decides that `"2"` is a valid day. Unknown
//! keys are ignored, as in the original API, whatever bytes their names hold: browsers,
//! curl and Python's urllib3 send a part name as raw UTF-8 and escape only `"`, CR and LF
//! (as `%22`, `%0D`, `%0A`), so a name may carry any other control character. A body
//! larger than the configured limit is refused with 413 before it is decoded.
//!
//! A request with no body at all (no `Content-Type`, zero bytes) is not an empty form:
//! [`read_body`] tells it apart, so a PATCH can refuse it (POST and PUT report their
//! required fields instead).

use actix_web::HttpRequest;
use actix_web::http::header;
use actix_web::web::{Bytes, Payload};
use model::{DummyFields, Value};

use crate::dto::json_to_value;
use crate::error::ApiError;

/// Reads and decodes the body according to its `Content-Type`; a request without a body
/// reads as an empty form, so POST and PUT report each required field as missing.
///
/// # Errors
/// 400 for a body that does not parse, 413 over `limit` bytes, 415 for another content type.
pub async fn read_fields(
    req: &HttpRequest,
    payload: Payload,
    limit: usize,
) -> Result<DummyFields, ApiError> {
    Ok(read_body(req, payload, limit).await?.unwrap_or_default())
}

/// Like [`read_fields`], but `None` when the request has no body at all: no
/// `Content-Type` and zero bytes. An empty JSON object, form or multipart form is a body.
///
/// # Errors
/// 400 for a body that does not parse, 413 over `limit` bytes, 415 for another content type.
pub async fn read_body(
    req: &HttpRequest,
    payload: Payload,
    limit: usize,
) -> Result<Option<DummyFields>, ApiError> {
    if runtime::http::declared_length(req).is_some_and(|length| length > limit) {
        return Err(ApiError::PayloadTooLarge { limit });
    }
    let content_type = req
        .headers()
        .get(header::CONTENT_TYPE)
        .map(|v| v.to_str().unwrap_or("").to_owned());
    let mime = content_type.as_deref().map(|ct| {
        ct.split(';')
            .next()
            .unwrap_or("")
            .trim()
            .to_ascii_lowercase()
    });
    let fields = match mime.as_deref() {
        Some("application/json") => json(&read_all(payload, limit).await?)?,
        Some("application/x-www-form-urlencoded") => urlencoded(&read_all(payload, limit).await?),
        Some("multipart/form-data") => multipart(
            content_type.as_deref().unwrap_or_default(),
            &read_all(payload, limit).await?,
        )?,
        None | Some("") => {
            if read_all(payload, limit).await?.is_empty() {
                return Ok(None);
            }
            return Err(ApiError::UnsupportedMediaType(String::new()));
        }
        Some(_) => {
            return Err(ApiError::UnsupportedMediaType(
                content_type.unwrap_or_default(),
            ));
        }
    };
    Ok(Some(fields))
}

/// The whole body as bytes, whatever its type: 413 when `Content-Length` says it is over
/// `limit`, or as soon as it passes it.
///
/// # Errors
/// As said, and 400 when the body can't be read.
pub(crate) async fn read_limited(
    req: &HttpRequest,
    payload: Payload,
    limit: usize,
) -> Result<Bytes, ApiError> {
    if runtime::http::declared_length(req).is_some_and(|length| length > limit) {
        return Err(ApiError::PayloadTooLarge { limit });
    }
    read_all(payload, limit).await
}

/// Collects the body, refusing it as soon as it passes `limit`.
async fn read_all(payload: Payload, limit: usize) -> Result<Bytes, ApiError> {
    match payload.to_bytes_limited(limit).await {
        Ok(Ok(body)) => Ok(body),
        Ok(Err(e)) => Err(ApiError::BadRequest(format!(
            "Could not read the request body - {e}"
        ))),
        Err(_) => Err(ApiError::PayloadTooLarge { limit }),
    }
}

/// Reads a JSON object body (`Content-Type: application/json`), as the webhook
/// routes take: 400 for a body that does not parse or is not an object, 413 over
/// `limit` bytes, 415 for another content type.
///
/// # Errors
/// As said.
pub async fn read_json_object(
    req: &HttpRequest,
    payload: Payload,
    limit: usize,
) -> Result<serde_json::Map<String, serde_json::Value>, ApiError> {
    if runtime::http::declared_length(req).is_some_and(|length| length > limit) {
        return Err(ApiError::PayloadTooLarge { limit });
    }
    let content_type = req
        .headers()
        .get(header::CONTENT_TYPE)
        .map(|v| v.to_str().unwrap_or("").to_owned())
        .unwrap_or_default();
    let mime = content_type.split(';').next().unwrap_or("").trim();
    if !mime.eq_ignore_ascii_case("application/json") {
        return Err(ApiError::UnsupportedMediaType(content_type));
    }
    json_object(&read_all(payload, limit).await?)
}

fn json(body: &[u8]) -> Result<DummyFields, ApiError> {
    let mut fields = DummyFields::default();
    for (key, value) in json_object(body)? {
        fields.set(&key, json_to_value(value));
    }
    Ok(fields)
}

fn json_object(body: &[u8]) -> Result<serde_json::Map<String, serde_json::Value>, ApiError> {
    let value: serde_json::Value = serde_json::from_slice(body)
        .map_err(|e| ApiError::BadRequest(format!("JSON parse error - {e}")))?;
    let serde_json::Value::Object(object) = value else {
        let kind = match value {
            serde_json::Value::Array(_) => "list",
            serde_json::Value::String(_) => "str",
            serde_json::Value::Number(_) => "number",
            serde_json::Value::Bool(_) => "bool",
            _ => "null",
        };
        return Err(model::Error::invalid(
            "non_field_errors",
            format!("Invalid data. Expected a dictionary, but got {kind}."),
        )
        .into());
    };
    Ok(object)
}

fn urlencoded(body: &[u8]) -> DummyFields {
    let mut fields = DummyFields::default();
    // A repeated key keeps its last value, as Django's QueryDict does.
    for (key, value) in form_urlencoded::parse(body) {
        fields.set(&key, Value::Text(value.into_owned()));
    }
    fields
}

/// Splits a `multipart/form-data` body (RFC 7578; the framing is RFC 2046 section 5.1.1)
/// into its parts and keeps the ones named after a field.
///
/// ```text
/// preamble (ignored)
/// --BOUNDARY[spaces]\r\n
/// Content-Disposition: form-data; name="day"\r\n     part headers, up to an empty line
/// \r\n
/// 2                                                   the value
/// \r\n--BOUNDARY--                                    the close delimiter; epilogue ignored
/// ```
///
/// The whole body is already in memory (bounded by the limit), so this is a scan over
/// bytes. Part headers are read leniently: only a part without a `Content-Disposition`
/// name, or a body cut short, is refused.
fn multipart(content_type: &str, body: &[u8]) -> Result<DummyFields, ApiError> {
    let mut fields = DummyFields::default();
    for part in multipart_parts(content_type, body)? {
        let value = match String::from_utf8(part.content.to_vec()) {
            Ok(text) => Value::Text(text),
            Err(_) => Value::Other,
        };
        fields.set(&part.name, value);
    }
    Ok(fields)
}

/// One part of a `multipart/form-data` body.
#[derive(Debug)]
pub(crate) struct Part<'a> {
    /// The `name` of its `Content-Disposition`.
    pub name: String,
    /// The `filename` of its `Content-Disposition`, when it carries a file.
    pub filename: Option<String>,
    /// Its own `Content-Type`, if it has one.
    pub content_type: Option<String>,
    /// Its bytes.
    pub content: &'a [u8],
}

/// The parts of a `multipart/form-data` body, in order (see [`multipart`] for the
/// framing). The HTTP playground reflects them all, files included.
pub(crate) fn multipart_parts<'a>(
    content_type: &str,
    body: &'a [u8],
) -> Result<Vec<Part<'a>>, ApiError> {
    const INCOMPLETE: &str = "Multipart stream is incomplete";
    let bad = |reason: &str| ApiError::BadRequest(format!("Multipart form parse error - {reason}"));
    let boundary = boundary(content_type).ok_or_else(|| bad("Multipart boundary is not found"))?;
    let dash_boundary = [b"--", boundary.as_bytes()].concat();
    let delimiter = [b"\r\n", dash_boundary.as_slice()].concat();
    // The first boundary starts the body or a line; anything before it is preamble.
    let mut rest = if body.starts_with(&dash_boundary) {
        &body[dash_boundary.len()..]
    } else {
        let at = find(body, &delimiter).ok_or_else(|| bad(INCOMPLETE))?;
        &body[at + delimiter.len()..]
    };
    let mut parts = Vec::new();
    loop {
        // After a boundary: `--` closes the form, else optional padding and CRLF open a part.
        if rest.starts_with(b"--") {
            return Ok(parts);
        }
        let padding = rest
            .iter()
            .take_while(|&&b| b == b' ' || b == b'\t')
            .count();
        let after = rest[padding..]
            .strip_prefix(b"\r\n")
            .ok_or_else(|| bad("a boundary is not followed by a line break"))?;
        let end = find(after, &delimiter).ok_or_else(|| bad(INCOMPLETE))?;
        let (part, next) = (&after[..end], &after[end + delimiter.len()..]);
        // Headers, an empty line, the content; a part with no headers starts with the empty line.
        let (head, content) = match part.strip_prefix(b"\r\n") {
            Some(content) => (&part[..0], content),
            None => {
                let blank = find(part, b"\r\n\r\n")
                    .ok_or_else(|| bad("a part's headers do not end with an empty line"))?;
                (&part[..blank], &part[blank + 4..])
            }
        };
        let disposition = header_value(head, "content-disposition").unwrap_or_default();
        let name = disposition_param(disposition, "name").ok_or_else(|| {
            bad("a part has no Content-Disposition: form-data header with a name")
        })?;
        parts.push(Part {
            name,
            filename: disposition_param(disposition, "filename"),
            content_type: header_value(head, "content-type")
                .map(|value| String::from_utf8_lossy(value).trim().to_owned()),
            content,
        });
        rest = next;
    }
}

/// The `boundary` parameter of a `multipart/form-data` content type, unquoted.
fn boundary(content_type: &str) -> Option<&str> {
    content_type.split(';').skip(1).find_map(|param| {
        let (key, value) = param.split_once('=')?;
        let value = value.trim();
        let value = value
            .strip_prefix('"')
            .and_then(|v| v.strip_suffix('"'))
            .unwrap_or(value);
        (key.trim().eq_ignore_ascii_case("boundary") && !value.is_empty()).then_some(value)
    })
}

/// The value of a part's header `name` (lowercase), as raw bytes.
fn header_value<'a>(head: &'a [u8], name: &str) -> Option<&'a [u8]> {
    head.split(|&b| b == b'\n').find_map(|line| {
        let line = line.strip_suffix(b"\r").unwrap_or(line);
        let colon = line.iter().position(|&b| b == b':')?;
        String::from_utf8_lossy(&line[..colon])
            .trim()
            .eq_ignore_ascii_case(name)
            .then_some(&line[colon + 1..])
    })
}

/// A parameter (`name`, `filename`) of a `Content-Disposition: form-data; name="..."`
/// header's value.
///
/// A quoted value runs to the next `"`: clients escape a quote inside a name as `%22`,
/// and a backslash is sent as itself (WHATWG's form encoding, RFC 7578 section 4.2).
/// Bytes that are not UTF-8 are replaced; such a name matches no field anyway.
fn disposition_param(disposition: &[u8], wanted: &str) -> Option<String> {
    let mut params = disposition.splitn(2, |&b| b == b';');
    let kind = String::from_utf8_lossy(params.next()?);
    if !kind.trim().eq_ignore_ascii_case("form-data") {
        return None;
    }
    let mut rest = params.next().unwrap_or_default();
    while !rest.is_empty() {
        // `key=value`, `key="value"`, or a bare `key` (skipped).
        let stop = rest
            .iter()
            .position(|&b| b == b'=' || b == b';')
            .unwrap_or(rest.len());
        let key = String::from_utf8_lossy(&rest[..stop]);
        if rest.get(stop) != Some(&b'=') {
            rest = rest.get(stop + 1..).unwrap_or_default();
            continue;
        }
        let value = rest[stop + 1..].trim_ascii_start();
        let (value, after) = match value.strip_prefix(b"\"") {
            Some(quoted) => {
                let close = quoted.iter().position(|&b| b == b'"');
                // No closing quote: the value runs to the end of the line.
                let close = close.unwrap_or(quoted.len());
                (
                    &quoted[..close],
                    quoted.get(close + 1..).unwrap_or_default(),
                )
            }
            None => {
                let end = value.iter().position(|&b| b == b';').unwrap_or(value.len());
                (value[..end].trim_ascii_end(), &value[end..])
            }
        };
        if key.trim().eq_ignore_ascii_case(wanted) {
            return Some(String::from_utf8_lossy(value).into_owned());
        }
        // Whatever follows the value up to the next `;` is not ours to judge.
        rest = match after.iter().position(|&b| b == b';') {
            Some(semi) => &after[semi + 1..],
            None => &[],
        };
    }
    None
}

/// Where `needle` first occurs in `haystack`.
fn find(haystack: &[u8], needle: &[u8]) -> Option<usize> {
    haystack
        .windows(needle.len())
        .position(|window| window == needle)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn urlencoded_fields_are_text_and_last_value_wins() {
        let fields = urlencoded(b"day=1&day=2&weekday=Monday&other=x");
        assert_eq!(fields.day, Some(Value::Text("2".into())));
        assert_eq!(fields.weekday, Some(Value::Text("Monday".into())));
        assert_eq!(fields.month, None);
    }

    #[test]
    fn json_must_be_an_object() {
        assert!(json(b"[1,2]").is_err());
        assert!(matches!(json(b"{\"day\":"), Err(ApiError::BadRequest(_))));
        let fields = json(br#"{"day":2,"year":"1985","pre_seeded":true}"#).unwrap();
        assert_eq!(fields.day, Some(Value::Int(2)));
        assert_eq!(fields.year, Some(Value::Text("1985".into())));
        assert_eq!(fields.pre_seeded, Some(Value::Bool(true)));
    }

    fn form(parts: &[(&[u8], &[u8])]) -> Vec<u8> {
        let mut body = b"preamble\r\n".to_vec();
        for (name, value) in parts {
            body.extend_from_slice(b"--b0und \r\nContent-Disposition: form-data; name=\"");
            body.extend_from_slice(name);
            body.extend_from_slice(b"\"\r\nContent-Type: text/plain\r\n\r\n");
            body.extend_from_slice(value);
            body.extend_from_slice(b"\r\n");
        }
        body.extend_from_slice(b"--b0und--\r\nepilogue");
        body
    }

    #[test]
    fn multipart_keeps_the_fields_whatever_the_other_names_hold() {
        let body = form(&[
            (b"day", b"2"),
            (b"\x0b\x1b\x7f\x00", b"{}"),
            (b"", b"x"),
            (b"back\\", b"x"),
            (b"semi;colon", b"x"),
            ("\u{e9}t\u{e9}".as_bytes(), b"x"),
            (b"\xff\xfe", b"x"),
            (b"year", b"1985\r\n--b0un"),
        ]);
        let fields = multipart("multipart/form-data; boundary=\"b0und\"", &body).unwrap();
        assert_eq!(fields.day, Some(Value::Text("2".into())));
        assert_eq!(fields.year, Some(Value::Text("1985\r\n--b0un".into())));
        assert_eq!(fields.weekday, None);
    }

    #[test]
    fn multipart_reads_unquoted_names_and_empty_values() {
        let body = b"--b\r\ncontent-disposition:form-data;name=day;filename=\"x\"\r\n\r\n\r\n--b--";
        let fields = multipart("multipart/form-data;boundary=b", body).unwrap();
        assert_eq!(fields.day, Some(Value::Text(String::new())));
        let empty = multipart("multipart/form-data; boundary=b", b"--b--\r\n").unwrap();
        assert_eq!(empty, DummyFields::default());
    }

    #[test]
    fn multipart_refuses_what_is_not_a_form() {
        let cases: [(&str, &[u8]); 7] = [
            ("multipart/form-data", b"--b--"),
            ("multipart/form-data; boundary=b", b""),
            (
                "multipart/form-data; boundary=b",
                b"--b\r\nContent-Disposition: form-data; name=\"day\"\r\n\r\n1\r\n",
            ),
            (
                "multipart/form-data; boundary=b",
                b"--b\r\nContent-Disposition: form-data; name=\"day\"\r\n1\r\n--b--",
            ),
            (
                "multipart/form-data; boundary=b",
                b"--b\r\nContent-Type: text/plain\r\n\r\n1\r\n--b--",
            ),
            ("multipart/form-data; boundary=b", b"--b\r\n\r\n--b--"),
            ("multipart/form-data; boundary=b", b"--bx\r\n\r\n--b--"),
        ];
        for (content_type, body) in cases {
            let err = multipart(content_type, body).unwrap_err();
            assert!(
                matches!(&err, ApiError::BadRequest(m) if m.starts_with("Multipart form parse error - ")),
                "{:?}: {err:?}",
                String::from_utf8_lossy(body)
            );
        }
    }
}
