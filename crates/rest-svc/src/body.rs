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
//! keys are ignored, as in the original API. A body larger than the configured limit
//! is refused with 413 before it is decoded.

use actix_web::HttpRequest;
use actix_web::http::header;
use actix_web::web::{Bytes, Payload};
use futures_util::StreamExt;
use model::{DummyFields, Value};

use crate::dto::json_to_value;
use crate::error::ApiError;

/// Reads and decodes the body according to its `Content-Type`.
///
/// # Errors
/// 400 for a body that does not parse, 413 over `limit` bytes, 415 for another content type.
pub async fn read_fields(
    req: &HttpRequest,
    payload: Payload,
    limit: usize,
) -> Result<DummyFields, ApiError> {
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
    match mime.as_deref() {
        Some("application/json") => json(&read_all(payload, limit).await?),
        Some("application/x-www-form-urlencoded") => {
            Ok(urlencoded(&read_all(payload, limit).await?))
        }
        Some("multipart/form-data") => multipart(req, payload, limit).await,
        // No Content-Type and no body: an empty form, so required fields are reported.
        None | Some("") => {
            let body = read_all(payload, limit).await?;
            if body.is_empty() {
                Ok(DummyFields::default())
            } else {
                Err(ApiError::UnsupportedMediaType(String::new()))
            }
        }
        Some(_) => Err(ApiError::UnsupportedMediaType(
            content_type.unwrap_or_default(),
        )),
    }
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

fn json(body: &[u8]) -> Result<DummyFields, ApiError> {
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
    let mut fields = DummyFields::default();
    for (key, value) in object {
        fields.set(&key, json_to_value(value));
    }
    Ok(fields)
}

fn urlencoded(body: &[u8]) -> DummyFields {
    let mut fields = DummyFields::default();
    // A repeated key keeps its last value, as Django's QueryDict does.
    for (key, value) in form_urlencoded::parse(body) {
        fields.set(&key, Value::Text(value.into_owned()));
    }
    fields
}

async fn multipart(
    req: &HttpRequest,
    payload: Payload,
    limit: usize,
) -> Result<DummyFields, ApiError> {
    let bad = |e: actix_multipart::MultipartError| {
        ApiError::BadRequest(format!("Multipart form parse error - {e}"))
    };
    // The whole body is read first, bounded by `limit`, so the size check does not
    // depend on how the parser splits it into fields. A form cut short (no closing
    // boundary) is a 400 "Multipart stream is incomplete".
    let body = read_all(payload, limit).await?;
    let stream = futures_util::stream::iter([Ok::<_, actix_web::error::PayloadError>(body)]);
    let mut form = actix_multipart::Multipart::new(req.headers(), stream);
    let mut fields = DummyFields::default();
    let mut total = 0usize;
    while let Some(field) = form.next().await {
        let mut field = field.map_err(bad)?;
        let name = field.name().map(str::to_owned);
        let mut content = Vec::new();
        while let Some(chunk) = field.next().await {
            let chunk = chunk.map_err(bad)?;
            total += chunk.len();
            if total > limit {
                return Err(ApiError::PayloadTooLarge { limit });
            }
            content.extend_from_slice(&chunk);
        }
        if let Some(name) = name {
            let value = match String::from_utf8(content) {
                Ok(text) => Value::Text(text),
                Err(_) => Value::Other,
            };
            fields.set(&name, value);
        }
    }
    Ok(fields)
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
}
