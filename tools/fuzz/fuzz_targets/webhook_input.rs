//! What webhooks and the feeds read from clients: a subscription's fields
//! (`model::webhooks::NewWebhook::parse`), a journal position
//! (`model::journal::parse_position`, as Server-Sent Events, the Atom feed and the
//! WebSocket feed read `Last-Event-ID`, `?after=` and `?before=`), and a delivery as the
//! echo receiver checks it (`rest_svc::webhooks::signature::verify`).
//!
//! Input layout: parts separated by 0xFF bytes (never in UTF-8), each read as text:
//!
//! ```text
//! url ∣ kinds (comma-separated) ∣ description ∣ position ∣ webhook-id ∣ webhook-timestamp ∣ webhook-signature ∣ body
//! ```
//!
//! Properties: bad fields are `Error::Invalid`, never another error or a panic; a
//! signature `sign` makes for the same message verifies; and the fuzzed header verifies
//! only by holding that very signature.

#![no_main]

use libfuzzer_sys::fuzz_target;
use model::Error;
use model::webhooks::NewWebhook;
use rest_svc::webhooks::signature;

const SECRET: &str = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw";

fuzz_target!(|data: &[u8]| {
    let parts: Vec<String> = data
        .split(|&b| b == 0xFF)
        .map(|part| String::from_utf8_lossy(part).into_owned())
        .collect();
    let part = |n: usize| parts.get(n).map(String::as_str).unwrap_or_default();

    let kinds: Vec<String> = part(1).split(',').map(str::to_owned).collect();
    match NewWebhook::parse(Some(part(0)), Some(&kinds), Some(part(2))) {
        Ok(new) => assert_eq!(new.url.scheme(), "http"),
        Err(Error::Invalid(errors)) => assert!(!errors.is_empty()),
        Err(other) => panic!("a subscription's fields gave {other:?}"),
    }

    match model::journal::parse_position("after", part(3)) {
        Ok(position) => assert_eq!(part(3).trim().parse::<i64>().ok(), Some(position)),
        Err(Error::Invalid(_)) => {}
        Err(other) => panic!("a position gave {other:?}"),
    }

    let (id, timestamp, header, body) = (part(4), part(5), part(6), part(7).as_bytes());
    let now = timestamp.trim().parse::<i64>().unwrap_or(0);
    if let Ok(matched) = signature::verify(SECRET, id, timestamp, body, header, now) {
        let expected = signature::sign(SECRET, id, now, body).expect("a good secret");
        assert_eq!(matched, expected, "verified by another signature");
    }
    let good = signature::sign(SECRET, id, now, body).expect("a good secret");
    assert_eq!(
        signature::verify(SECRET, id, &now.to_string(), body, &good, now),
        Ok(good.clone())
    );
});
