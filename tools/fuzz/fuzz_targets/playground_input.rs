//! What the playgrounds read from a request: `/status/{codes}`
//! (`rest_svc::playground::respond::pick_status`), a `Range` header and an
//! `Accept-Encoding` header (`rest_svc::playground::bytes`), the query of
//! `/cookies/set` (`rest_svc::playground::auth::cookie_pairs`), the bounded numbers of
//! every path (`rest_svc::playground::limits`), and the WebSocket raw echo's query
//! (`ws_svc::raw::Options::parse`).
//!
//! Input layout: parts separated by 0xFF bytes (never in UTF-8), each read as text:
//!
//! ```text
//! codes ∣ Range ∣ length (a number) ∣ Accept-Encoding ∣ cookie query ∣ a number ∣ raw echo query
//! ```
//!
//! Properties: a status chosen is one of the codes listed, from 200 to 599; a range is
//! inside the body and in order; a cookie accepted can be sent in a `Set-Cookie`
//! header; bounded numbers stay in their bounds; the raw echo's close code is one a
//! server may send. An error is a 400, never a panic.

#![no_main]

use libfuzzer_sys::fuzz_target;
use rest_svc::playground::{auth, bytes, limits, respond};

fuzz_target!(|data: &[u8]| {
    let parts: Vec<String> = data
        .split(|&b| b == 0xFF)
        .map(|part| String::from_utf8_lossy(part).into_owned())
        .collect();
    let part = |n: usize| parts.get(n).map(String::as_str).unwrap_or_default();

    if let Ok(status) = respond::pick_status(part(0)) {
        let code = status.as_u16();
        assert!((200..=599).contains(&code));
        assert!(part(0).contains(&code.to_string()), "{code} is not among {:?}", part(0));
    }

    let length = part(2).trim().parse::<u64>().unwrap_or(26).clamp(1, limits::MAX_RANGE_BYTES);
    if let Some(Ok((first, last))) = bytes::byte_range(Some(part(1)), length) {
        assert!(first <= last && last < length, "{first}-{last} of {length}");
    }

    for token in ["gzip", "deflate", "br"] {
        let _ = bytes::accepts(part(3), token);
    }

    if let Ok(pairs) = auth::cookie_pairs(part(4)) {
        assert!(!pairs.is_empty() && pairs.len() <= limits::MAX_COOKIES);
        for (name, value) in pairs {
            let cookie = format!("{name}={value}; Path=/");
            assert!(
                actix_web::http::header::HeaderValue::from_str(&cookie).is_ok(),
                "{cookie:?} can't be a header"
            );
        }
    }

    if let Ok(secs) = limits::seconds(part(5), "delay") {
        assert!((0.0..=limits::MAX_DELAY_SECS).contains(&secs));
    }
    if let Ok(n) = limits::count(part(5), "n", 1, 100) {
        assert!((1..=100).contains(&n));
    }

    if let Ok(options) = ws_svc::raw::Options::parse(part(6)) {
        assert!(matches!(options.code, 1000..=1003 | 1007..=1014 | 3000..=4999));
        assert!(options.reason.len() <= 123);
    }
});
