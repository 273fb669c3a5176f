//! `GET /api/feeds/dummies.atom`: the latest changes to the Dummies as an Atom feed
//! (RFC 4287), read from the event journal (`model::journal`), newest first, the way
//! a feed reader polls a blog.
//!
//! ```text
//! GET /api/feeds/dummies.atom HTTP/1.1
//! If-None-Match: "42-1-0"                    the ETag of the copy the reader has
//!
//! HTTP/1.1 304 Not Modified                  nothing new: no body travels
//! etag: "42-1-0"
//!
//! HTTP/1.1 200 OK                            (or, after a change)
//! content-type: application/atom+xml; charset=utf-8
//! etag: "43-1-0"
//! last-modified: Fri, 04 Dec 2026 10:00:05 GMT
//!
//! <feed xmlns="http://www.w3.org/2005/Atom">
//!   <id>tag:protocols.localhost,2026:dummy-events</id>
//!   <title>Dummy changes</title>
//!   <updated>2026-12-04T10:00:05.123456Z</updated>
//!   <link rel="self" href="/api/feeds/dummies.atom"/>
//!   <link rel="first" href="/api/feeds/dummies.atom"/>
//!   <link rel="next" href="/api/feeds/dummies.atom?before=24"/>     older entries (RFC 5005)
//!   <entry>
//!     <id>tag:protocols.localhost,2026:dummy-events/43</id>
//!     <title>Dummy 17 created</title>
//!     <updated>2026-12-04T10:00:05.123456Z</updated>
//!     <link rel="alternate" href="/api/rest/dummie/17"/>
//!     <summary>Friday 3 May 1999</summary>
//!     <content type="text">{"id":17,"day":3,…}</content>            the record as REST shows it
//!   </entry>
//! </feed>
//! ```
//!
//! **Conditional GET.** Each page has an `ETag` (its newest and oldest event numbers,
//! and whether older ones follow) and a `Last-Modified` (its newest event's time, to
//! the second, as HTTP dates are: a change in the same second as a reader's last
//! fetch is seen by the ETag, not by the date, so readers should send both, as
//! feedparser does; `If-None-Match` then decides).
//! A request whose `If-None-Match` names the current tag, or, without one, whose
//! `If-Modified-Since` is not older than `Last-Modified`, gets `304 Not Modified` and
//! no body: a reader polling every minute costs a few hundred bytes until something
//! changes.
//!
//! **Paging** (RFC 5005, "paged feeds"): a page holds [`PAGE`] entries; `next` links to
//! the page of older ones (`?before=` the oldest number shown), `first` to the newest.
//! A `before` that is not a whole number is a `400` in the REST form.

use std::fmt::Write as _;
use std::time::{Duration, SystemTime};

use actix_web::http::header::{self, EntityTag, Header, HttpDate, IfModifiedSince, IfNoneMatch};
use actix_web::{HttpRequest, HttpResponse, web};
use chrono::{DateTime, SecondsFormat, Utc};
use model::{DummyJson, Entry, Error};
use quick_xml::Writer;
use quick_xml::events::{BytesDecl, BytesText, Event};

use super::AppState;
use crate::error::ApiError;

/// Entries per page.
pub const PAGE: i64 = 50;
/// Where the feed lives (its links are relative to the site).
const PATH: &str = "/api/feeds/dummies.atom";
/// The feed's `id`, and the stem of each entry's (a `tag:` URI, RFC 4151).
const ID: &str = "tag:protocols.localhost,2026:dummy-events";

/// The query string: `?before=24`.
#[derive(Debug, serde::Deserialize)]
pub struct AtomQuery {
    before: Option<String>,
}

/// The feed, or `304` (see the module docs).
pub async fn dummies(
    req: HttpRequest,
    query: web::Query<AtomQuery>,
    state: web::Data<AppState>,
) -> Result<HttpResponse, ApiError> {
    let before = match query.into_inner().before {
        Some(before) => Some(model::journal::parse_position("before", &before)?),
        None => None,
    };
    let mut entries = state.store.journal_before(before, PAGE + 1).await?;
    let more = entries.len() as i64 > PAGE;
    entries.truncate(PAGE as usize);

    let newest = entries.first().map_or(0, |e| e.event.seq);
    let oldest = entries.last().map_or(0, |e| e.event.seq);
    // The page's body follows from these three (an empty page's `updated` is fixed).
    let etag = EntityTag::new_strong(format!("{newest}-{oldest}-{}", u8::from(more)));
    let modified = entries.first().map(|e| http_date(e.at));
    if not_modified(&req, &etag, modified) {
        let mut response = HttpResponse::NotModified();
        response.insert_header(header::ETag(etag));
        if let Some(modified) = modified {
            response.insert_header(header::LastModified(modified));
        }
        return Ok(response.finish());
    }
    let body = feed(&entries, before, more.then_some(oldest))
        .map_err(|e| ApiError::Model(Error::internal(e)))?;
    let mut response = HttpResponse::Ok();
    response
        .content_type("application/atom+xml; charset=utf-8")
        .insert_header(header::ETag(etag));
    if let Some(modified) = modified {
        response.insert_header(header::LastModified(modified));
    }
    Ok(response.body(body))
}

/// Whether the reader's copy is current: `If-None-Match` names this tag (or `*`), or,
/// when there is no `If-None-Match`, `If-Modified-Since` is not older than the page.
fn not_modified(req: &HttpRequest, etag: &EntityTag, modified: Option<HttpDate>) -> bool {
    if req.headers().contains_key(header::IF_NONE_MATCH) {
        return match IfNoneMatch::parse(req) {
            Ok(IfNoneMatch::Any) => true,
            Ok(IfNoneMatch::Items(tags)) => tags.iter().any(|tag| tag.weak_eq(etag)),
            Err(_) => false,
        };
    }
    match (IfModifiedSince::parse(req), modified) {
        (Ok(IfModifiedSince(since)), Some(modified)) => {
            SystemTime::from(modified) <= SystemTime::from(since)
        }
        _ => false,
    }
}

/// A time as an HTTP date (whole seconds, rounded down).
fn http_date(at: DateTime<Utc>) -> HttpDate {
    let secs = u64::try_from(at.timestamp()).unwrap_or_default();
    HttpDate::from(SystemTime::UNIX_EPOCH + Duration::from_secs(secs))
}

/// RFC 3339, as Atom's date constructs want it.
fn atom_date(at: DateTime<Utc>) -> String {
    at.to_rfc3339_opts(SecondsFormat::Micros, true)
}

/// The whole document.
fn feed(entries: &[Entry], before: Option<i64>, next: Option<i64>) -> std::io::Result<Vec<u8>> {
    let mut w = Writer::new_with_indent(Vec::new(), b' ', 2);
    w.write_event(Event::Decl(BytesDecl::new("1.0", Some("utf-8"), None)))?;
    let updated = entries.first().map_or(DateTime::UNIX_EPOCH, |e| e.at);
    let this = match before {
        Some(before) => format!("{PATH}?before={before}"),
        None => PATH.to_owned(),
    };
    w.create_element("feed")
        .with_attribute(("xmlns", "http://www.w3.org/2005/Atom"))
        .write_inner_content(|w| {
            text(w, "id", ID)?;
            text(w, "title", "Dummy changes")?;
            text(
                w,
                "subtitle",
                "Every Dummy created, updated or deleted, through any protocol",
            )?;
            text(w, "updated", &atom_date(updated))?;
            w.create_element("author")
                .write_inner_content(|w| text(w, "name", "protocols"))?;
            link(w, "self", &this)?;
            link(w, "first", PATH)?;
            if let Some(oldest) = next {
                link(w, "next", &format!("{PATH}?before={oldest}"))?;
            }
            for entry in entries {
                self::entry(w, entry)?;
            }
            Ok(())
        })?;
    Ok(w.into_inner())
}

/// One `<entry>`.
fn entry(w: &mut Writer<Vec<u8>>, entry: &Entry) -> std::io::Result<()> {
    let event = &entry.event;
    let dummy = &event.dummy;
    let mut summary = String::new();
    let _ = write!(
        summary,
        "{} {} {} {}",
        dummy.weekday.as_str(),
        dummy.day.get(),
        dummy.month.as_str(),
        dummy.year
    );
    let content = serde_json::to_string(&DummyJson::from(dummy)).unwrap_or_default();
    w.create_element("entry").write_inner_content(|w| {
        text(w, "id", &format!("{ID}/{}", event.seq))?;
        text(
            w,
            "title",
            &format!("Dummy {} {}", dummy.id, event.kind.as_str()),
        )?;
        text(w, "updated", &atom_date(entry.at))?;
        link(w, "alternate", &format!("/api/rest/dummie/{}", dummy.id))?;
        text(w, "summary", &summary)?;
        w.create_element("content")
            .with_attribute(("type", "text"))
            .write_text_content(BytesText::new(&content))?;
        Ok(())
    })?;
    Ok(())
}

/// `<name>text</name>`, the text escaped.
fn text(w: &mut Writer<Vec<u8>>, name: &str, text: &str) -> std::io::Result<()> {
    w.create_element(name)
        .write_text_content(BytesText::new(text))?;
    Ok(())
}

/// `<link rel="…" href="…"/>`.
fn link(w: &mut Writer<Vec<u8>>, rel: &str, href: &str) -> std::io::Result<()> {
    w.create_element("link")
        .with_attribute(("rel", rel))
        .with_attribute(("href", href))
        .write_empty()?;
    Ok(())
}
