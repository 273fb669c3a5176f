//! Handlers for the Dummy resource. Each one decodes, calls the [`model::Store`], and
//! encodes; rules live in `model`, error mapping in [`crate::error`].
//!
//! A create on the wire (the other verbs differ only in method, path and status):
//!
//! ```text
//! POST /api/rest/dummie HTTP/1.1
//! Host: localhost:8001
//! Content-Type: application/json
//! Content-Length: 63
//!
//! {"day":2,"weekday":"Tuesday","month":"February","year":"1985"}
//!
//! HTTP/1.1 201 Created
//! content-type: application/json
//! location: /api/rest/dummie/11
//! content-length: 170
//!
//! {"id":11,"day":2,"weekday":"Tuesday","month":"February","year":1985,"pre_seeded":false,
//!  "created_at":"2026-11-29T10:11:52.123456Z","updated_at":"2026-11-29T10:11:52.123456Z"}
//! ```
//!
//! # Listing
//!
//! `GET /api/rest/dummies` takes these query parameters (all optional, all combinable):
//!
//! - `id` (repeatable): only these ids; missing ones are skipped, as in the original.
//! - `limit` (1..=10000): a page of at most this many rows.
//! - `after`: keyset pagination, only ids greater than this one. A full page carries
//!   `Link: </api/rest/dummies?limit=100&after=100>; rel="next"`.
//! - `offset`: skip this many rows (works, but costs more the deeper it goes: prefer `after`).
//!
//! Without any of them the whole table is returned, as in the original, but streamed:
//! the server reads it in keyset pages of [`STREAM_PAGE`] rows and writes each page to
//! the socket as it goes (chunked transfer encoding), so memory stays bounded however
//! many rows there are. The pages are separate queries: rows written during a long
//! stream may or may not appear in it.

use actix_web::http::header;
use actix_web::web::{self, Bytes};
use actix_web::{HttpRequest, HttpResponse};
use futures_util::stream::{self, StreamExt};
use model::{DummyData, DummyId, DummyJson, DummyPatch, ListQuery, NewDummy, Store};

use super::AppState;
use crate::body::{read_body, read_fields};
use crate::dto::{DummyCreate, DummyPatch as PatchBody, DummyReplace};
use crate::error::{ApiError, Detail, ErrorBody, FieldErrors};

/// A write's 400: field errors from validation, or `{"detail": …}` for a body that does
/// not parse (malformed JSON, a broken multipart form), as the original API answers.
const BAD_BODY: &str = "Field errors (one list of messages per field), or `{\"detail\": …}` for a body that does not parse.";

/// Rows per page when the whole table is streamed.
pub const STREAM_PAGE: i64 = 1_000;

/// Dummies in id order: all of them (streamed), some ids, or one page.
#[utoipa::path(get, path = "/api/rest/dummies", operation_id = "listDummies",
    params(
        ("id" = Option<Vec<i64>>, Query, style = Form, explode, max_items = 1000,
         description = "Only these ids; repeat the parameter. Missing ids are skipped."),
        ("limit" = Option<i64>, Query, minimum = 1, maximum = 10000,
         description = "Page size. A full page carries a Link rel=\"next\" header."),
        ("after" = Option<i64>, Query, description = "Keyset pagination: only ids greater than this."),
        ("offset" = Option<i64>, Query, minimum = 0, description = "Skip this many rows."),
    ),
    responses(
        (status = 200, description = "The Dummies.", body = [DummyJson]),
        (status = 400, description = "A query parameter is not a valid number or is out of range.",
         body = FieldErrors),
    ))]
pub async fn list(state: web::Data<AppState>, req: HttpRequest) -> Result<HttpResponse, ApiError> {
    let query = parse_list_query(req.query_string())?;
    if query == ListQuery::default() {
        return stream_all(state.store.clone()).await;
    }
    let page = state.store.list(query.clone()).await?;
    let mut response = HttpResponse::Ok();
    if let (Some(limit), Some(last)) = (query.limit, page.last())
        && page.len() as i64 == limit
    {
        response.insert_header((header::LINK, next_link(req.query_string(), last.id)));
    }
    Ok(response.json(page.iter().map(DummyJson::from).collect::<Vec<_>>()))
}

/// Create a Dummy.
///
/// Served at `/api/rest/dummie` (the original's path) and `/api/rest/dummies` alike.
#[utoipa::path(post, path = "/api/rest/dummie", operation_id = "createDummy",
    request_body(description = "All four fields, and optionally `pre_seeded`. A request without a body is answered 400 with each field reported missing.",
        content((DummyCreate = "application/json"), (DummyCreate = "application/x-www-form-urlencoded"), (DummyCreate = "multipart/form-data"))),
    responses(
        (status = 201, description = "Created.", body = DummyJson, headers(("Location" = String))),
        (status = 400, description = BAD_BODY, body = inline(ErrorBody)),
        (status = 413, description = "Body over the limit.", body = Detail),
        (status = 415, description = "Unsupported content type.", body = Detail),
    ))]
pub async fn create(
    state: web::Data<AppState>,
    req: HttpRequest,
    payload: web::Payload,
) -> Result<HttpResponse, ApiError> {
    let fields = read_fields(&req, payload, state.body_limit).await?;
    let created = state.store.create(NewDummy::parse(&fields)?).await?;
    Ok(HttpResponse::Created()
        .insert_header((header::LOCATION, format!("/api/rest/dummie/{}", created.id)))
        .json(DummyJson::from(&created)))
}

/// One Dummy by id.
#[utoipa::path(get, path = "/api/rest/dummie/{id}", operation_id = "getDummy",
    responses(
        (status = 200, description = "The Dummy.", body = DummyJson),
        (status = 404, description = "No Dummy has this id.", body = Detail),
    ))]
pub async fn read(
    state: web::Data<AppState>,
    id: web::Path<String>,
) -> Result<HttpResponse, ApiError> {
    let dummy = state.store.get(parse_id(&id)?).await?;
    Ok(HttpResponse::Ok().json(DummyJson::from(&dummy)))
}

/// Full update: all four fields are required.
///
/// As in the original, a missing id is reported (404) before the body is validated.
#[utoipa::path(put, path = "/api/rest/dummie/{id}", operation_id = "replaceDummy",
    request_body(description = "All four fields. A request without a body is answered 400 with each field reported missing.",
        content((DummyReplace = "application/json"), (DummyReplace = "application/x-www-form-urlencoded"), (DummyReplace = "multipart/form-data"))),
    responses(
        (status = 200, description = "The Dummy.", body = DummyJson),
        (status = 400, description = BAD_BODY, body = inline(ErrorBody)),
        (status = 404, description = "No Dummy has this id.", body = Detail),
        (status = 413, description = "Body over the limit.", body = Detail),
        (status = 415, description = "Unsupported content type.", body = Detail),
    ))]
pub async fn replace(
    state: web::Data<AppState>,
    id: web::Path<String>,
    req: HttpRequest,
    payload: web::Payload,
) -> Result<HttpResponse, ApiError> {
    let id = parse_id(&id)?;
    state.store.get(id).await?;
    let fields = read_fields(&req, payload, state.body_limit).await?;
    let updated = state.store.replace(id, DummyData::parse(&fields)?).await?;
    Ok(HttpResponse::Ok().json(DummyJson::from(&updated)))
}

/// Partial update: any subset of the fields.
///
/// `{}` (or an empty form) changes nothing but `updated_at`. A request with no body at
/// all is refused: a partial update must say what it changes, and an absent body is
/// more likely a client's mistake than a wish to touch the record.
#[utoipa::path(patch, path = "/api/rest/dummie/{id}", operation_id = "patchDummy",
    request_body(description = "The fields to change; `{}` changes none. A request without a body is answered 400 (`non_field_errors`).",
        content((PatchBody = "application/json"), (PatchBody = "application/x-www-form-urlencoded"), (PatchBody = "multipart/form-data"))),
    responses(
        (status = 200, description = "The Dummy.", body = DummyJson),
        (status = 400, description = BAD_BODY, body = inline(ErrorBody)),
        (status = 404, description = "No Dummy has this id.", body = Detail),
        (status = 413, description = "Body over the limit.", body = Detail),
        (status = 415, description = "Unsupported content type.", body = Detail),
    ))]
pub async fn patch(
    state: web::Data<AppState>,
    id: web::Path<String>,
    req: HttpRequest,
    payload: web::Payload,
) -> Result<HttpResponse, ApiError> {
    let id = parse_id(&id)?;
    state.store.get(id).await?;
    let fields = read_body(&req, payload, state.body_limit)
        .await?
        .ok_or_else(|| model::Error::invalid("non_field_errors", NO_DATA))?;
    let updated = state.store.patch(id, DummyPatch::parse(&fields)?).await?;
    Ok(HttpResponse::Ok().json(DummyJson::from(&updated)))
}

/// Delete one Dummy.
#[utoipa::path(delete, path = "/api/rest/dummie/{id}", operation_id = "deleteDummy",
    responses(
        (status = 204, description = "Deleted; no body."),
        (status = 404, description = "No Dummy has this id.", body = Detail),
    ))]
pub async fn delete(
    state: web::Data<AppState>,
    id: web::Path<String>,
) -> Result<HttpResponse, ApiError> {
    state.store.delete(parse_id(&id)?).await?;
    Ok(HttpResponse::NoContent().finish())
}

/// The field error for a PATCH without a body.
pub const NO_DATA: &str = "No data provided: send the fields to change (or {} to change none).";

/// A path id that is not a number matches no record: 404, as the original's `<int:id>` route.
fn parse_id(raw: &str) -> Result<DummyId, ApiError> {
    super::path_number(raw).map(DummyId)
}

/// Reads `id`, `after`, `offset` and `limit`; other parameters are ignored.
///
/// Each value is a plain integer, as the OpenAPI document says (`5`, `-5`): the lenient
/// spellings a body field accepts for the original API's sake (`"5.0"`, `" 5 "`) are
/// refused here, where nothing old depends on them.
fn parse_list_query(query_string: &str) -> Result<ListQuery, ApiError> {
    let mut query = ListQuery::default();
    let mut errors = model::FieldErrors::default();
    let mut number = |name: &'static str, raw: &str| -> Option<i64> {
        raw.parse::<i64>()
            .map_err(|_| errors.push(name, model::dummy::NOT_INTEGER))
            .ok()
    };
    for (key, value) in form_urlencoded::parse(query_string.as_bytes()) {
        match key.as_ref() {
            "id" => {
                if let Some(id) = number("id", &value) {
                    query.ids.get_or_insert_with(Vec::new).push(DummyId(id));
                }
            }
            "after" => query.after = number("after", &value).map(DummyId),
            "offset" => query.offset = number("offset", &value),
            "limit" => query.limit = number("limit", &value),
            _ => {}
        }
    }
    if !errors.is_empty() {
        return Err(model::Error::Invalid(errors).into());
    }
    query.validate()?;
    Ok(query)
}

/// The `Link` header for the page after `last`: same query, `after` moved on, no `offset`.
fn next_link(query_string: &str, last: DummyId) -> String {
    let mut next = form_urlencoded::Serializer::new(String::new());
    for (key, value) in form_urlencoded::parse(query_string.as_bytes()) {
        if key != "after" && key != "offset" {
            next.append_pair(&key, &value);
        }
    }
    next.append_pair("after", &last.to_string());
    format!("</api/rest/dummies?{}>; rel=\"next\"", next.finish())
}

/// The whole table as one JSON array, written page by page.
///
/// The first page is read before the response starts, so a database that is down
/// still gets a clean 503. A failure later in the stream can only cut the connection:
/// the status line has already been sent.
async fn stream_all(store: Store) -> Result<HttpResponse, ApiError> {
    let pages = store.pages(None, None, STREAM_PAGE).await?;
    let rows = pages.enumerate().map(|(i, page)| match page {
        Ok(page) => Ok(Bytes::from(encode_page(&page, i == 0))),
        Err(err) => {
            tracing::error!(error = ?err, "list stream cut short");
            Err(ApiError::from(err))
        }
    });
    let body = stream::iter([Ok::<_, ApiError>(Bytes::from_static(b"["))])
        .chain(rows)
        .chain(stream::iter([Ok(Bytes::from_static(b"]"))]));
    Ok(HttpResponse::Ok()
        .content_type("application/json")
        .streaming(body))
}

/// Rows as comma-separated JSON objects; a leading comma unless this is the first page.
fn encode_page(page: &[model::Dummy], first: bool) -> Vec<u8> {
    let mut out = Vec::with_capacity(page.len() * 192);
    for (i, dummy) in page.iter().enumerate() {
        if !(first && i == 0) {
            out.push(b',');
        }
        serde_json::to_writer(&mut out, &DummyJson::from(dummy))
            .expect("a DummyJson always serializes");
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ids_in_the_path_must_be_plain_digits() {
        assert_eq!(parse_id("42").unwrap(), DummyId(42));
        for bad in ["", "-1", "abc", "1.0", "+1", "99999999999999999999999"] {
            assert!(matches!(parse_id(bad), Err(ApiError::NotFound)), "{bad}");
        }
    }

    #[test]
    fn list_query_reads_repeated_ids_and_paging() {
        let q = parse_list_query("id=1&id=2&limit=5&after=7&offset=1&format=json").unwrap();
        assert_eq!(q.ids, Some(vec![DummyId(1), DummyId(2)]));
        assert_eq!(
            (q.limit, q.after, q.offset),
            (Some(5), Some(DummyId(7)), Some(1))
        );
        assert!(parse_list_query("id=abc").is_err());
        assert!(parse_list_query("limit=0").is_err());
    }

    #[test]
    fn next_link_moves_after_and_keeps_the_rest() {
        assert_eq!(
            next_link("limit=2&after=1&offset=3", DummyId(9)),
            "</api/rest/dummies?limit=2&after=9>; rel=\"next\""
        );
    }
}
