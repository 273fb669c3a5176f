//! REST request bodies: `rest_svc::body::read_fields` (JSON, urlencoded and multipart
//! decoding, the size limit, the content-type check) and then the model's validation
//! of the fields, exactly as the routes call it: `NewDummy::parse` for POST,
//! `DummyData::parse` for PUT and `DummyPatch::parse` for PATCH.
//!
//! Input layout:
//!
//! ```text
//! byte 0, low 3 bits   the Content-Type: 0 JSON, 1 urlencoded, 2 multipart/form-data
//!                      (boundary "fuzzboundary"), 3 text/plain, 4 none; 5..7 are 0..2
//! byte 0, bit 7        set: a 64-byte body limit (reaches every 413 path without
//!                      64 KiB inputs); clear: rest-svc's default limit
//! bytes 1..            the body
//! ```
//!
//! Every error must be one the client caused: 400, 413 or 415. A 5xx or a panic is a bug.

#![no_main]

use std::sync::OnceLock;

use actix_web::http::header;
use actix_web::test::TestRequest;
use actix_web::{FromRequest, HttpRequest, ResponseError, web};
use libfuzzer_sys::fuzz_target;
use model::{DummyData, DummyPatch, NewDummy};
use rest_svc::error::ApiError;

/// The limit used when byte 0's bit 7 is set.
const SMALL_LIMIT: usize = 64;

/// rest-svc's default body limit, read from its own settings' defaults.
fn default_limit() -> usize {
    static LIMIT: OnceLock<usize> = OnceLock::new();
    *LIMIT.get_or_init(|| {
        runtime::service::parse::<rest_svc::Args>(&[])
            .expect("rest-svc's settings have defaults for everything")
            .body_limit
    })
}

/// The Content-Type header each selector sends (`None`: no header).
const CONTENT_TYPES: [Option<&str>; 5] = [
    Some("application/json"),
    Some("application/x-www-form-urlencoded"),
    Some("multipart/form-data; boundary=fuzzboundary"),
    Some("text/plain; charset=utf-8"),
    None,
];

thread_local! {
    /// actix's request and payload types are `!Send`: one current-thread runtime per thread.
    static RUNTIME: tokio::runtime::Runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .expect("build a tokio runtime");

    /// One request head per content type, built once and never dropped. A `TestRequest`
    /// dropped after each input would leak: the request returns itself to its own app
    /// state's pool, an `Rc` cycle that a real server breaks when the worker stops.
    static REQUESTS: &'static [HttpRequest] = CONTENT_TYPES
        .iter()
        .map(|content_type| {
            let mut request = TestRequest::post().uri("/api/rest/dummies");
            if let Some(content_type) = content_type {
                request = request.insert_header((header::CONTENT_TYPE, *content_type));
            }
            request.to_http_request()
        })
        .collect::<Vec<_>>()
        .leak();
}

fn status(err: &ApiError) -> u16 {
    err.status_code().as_u16()
}

fuzz_target!(|data: &[u8]| {
    let Some((&selector, body)) = data.split_first() else {
        return;
    };
    let kind = usize::from(selector & 0x07) % CONTENT_TYPES.len();
    let content_type = CONTENT_TYPES[kind];
    let limit = if selector & 0x80 != 0 {
        SMALL_LIMIT
    } else {
        default_limit()
    };
    let req = REQUESTS.with(|requests| requests[kind].clone());
    // The body arrives without a Content-Length, as a chunked one does: the limit is
    // then enforced while reading.
    let mut payload = actix_web::dev::Payload::from(body.to_vec());

    RUNTIME.with(|runtime| {
        runtime.block_on(async {
            let payload = web::Payload::from_request(&req, &mut payload)
                .await
                .expect("web::Payload always extracts");
            let fields = match rest_svc::body::read_fields(&req, payload, limit).await {
                Ok(fields) => fields,
                Err(err) => {
                    let code = status(&err);
                    assert!(
                        matches!(code, 400 | 413 | 415),
                        "read_fields answered {code} ({err:?}) for {content_type:?}"
                    );
                    // text/plain is refused before the body is read, whatever its size.
                    if body.len() > limit && kind != 3 {
                        assert_eq!(code, 413, "a body over the limit: {err:?}");
                    }
                    return;
                }
            };
            // Only the three decoded types, or an empty body without a type, get this far.
            assert!(
                kind <= 2 || (kind == 4 && body.is_empty()),
                "{content_type:?} was decoded instead of answering 415"
            );
            assert!(body.len() <= limit, "a body over the limit was decoded");
            for err in [
                NewDummy::parse(&fields).err(),
                DummyData::parse(&fields).err(),
                DummyPatch::parse(&fields).err(),
            ]
            .into_iter()
            .flatten()
            {
                let err = ApiError::from(err);
                let code = status(&err);
                assert_eq!(code, 400, "validation answered {code}: {err:?}");
            }
        });
    });
});
