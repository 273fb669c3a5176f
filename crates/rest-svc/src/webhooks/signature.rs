//! Standard Webhooks signatures: HMAC-SHA256 over `id.timestamp.body`.
//!
//! ```text
//! secret:            whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw     (whsec_ + base64 of the key)
//! signed content:    msg_2b3c….1733306400.{"type":"dummy.created",…}
//! webhook-signature: v1,K5oZfzN95Z9UVu1EsfQmfVNQhnkZ2pj9o9NDN/H/pI4=
//! ```
//!
//! The key is the secret's base64 part decoded (24 random bytes here). A header may
//! carry several signatures separated by spaces (`v1,… v1,…`), for example while a
//! sender rotates its secret; a receiver accepts the message if any `v1` one matches.
//! The timestamp is signed too, so a receiver that refuses old timestamps (five
//! minutes here) also refuses a captured delivery replayed later.

use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use hmac::{Hmac, KeyInit, Mac};
use secrecy::SecretString;
use sha2::Sha256;

/// The prefix of every secret.
pub const SECRET_PREFIX: &str = "whsec_";
/// How far a delivery's timestamp may be from the receiver's clock.
pub const TOLERANCE_SECS: i64 = 5 * 60;

/// A fresh secret: `whsec_` and the base64 of 24 random bytes.
///
/// # Panics
/// When the operating system has no randomness to give.
pub fn new_secret() -> SecretString {
    let mut key = [0u8; 24];
    getrandom::fill(&mut key).expect("the operating system's random source");
    SecretString::from(format!("{SECRET_PREFIX}{}", STANDARD.encode(key)))
}

/// A fresh `webhook-id`: `msg_` and 16 random bytes in hex.
///
/// # Panics
/// When the operating system has no randomness to give.
pub fn new_message_id() -> String {
    let mut id = [0u8; 16];
    getrandom::fill(&mut id).expect("the operating system's random source");
    let hex: String = id.iter().map(|b| format!("{b:02x}")).collect();
    format!("msg_{hex}")
}

fn mac(secret: &str, id: &str, timestamp: i64, body: &[u8]) -> Result<Hmac<Sha256>, String> {
    let encoded = secret.strip_prefix(SECRET_PREFIX).unwrap_or(secret);
    let key = STANDARD
        .decode(encoded)
        .map_err(|e| format!("the secret is not base64 ({e})"))?;
    let mut mac = Hmac::<Sha256>::new_from_slice(&key).map_err(|e| e.to_string())?;
    mac.update(id.as_bytes());
    mac.update(b".");
    mac.update(timestamp.to_string().as_bytes());
    mac.update(b".");
    mac.update(body);
    Ok(mac)
}

/// The `webhook-signature` header for a message: `v1,` and the base64 HMAC.
///
/// # Errors
/// When the secret is not `whsec_` and base64.
pub fn sign(secret: &str, id: &str, timestamp: i64, body: &[u8]) -> Result<String, String> {
    let tag = mac(secret, id, timestamp, body)?.finalize().into_bytes();
    Ok(format!("v1,{}", STANDARD.encode(tag)))
}

/// Checks a delivery as a receiver does: the timestamp within [`TOLERANCE_SECS`] of
/// `now`, and one `v1` signature in `header` that matches (compared in constant time).
/// The matching signature, or why the delivery is refused.
///
/// # Errors
/// A message for the sender: a stale timestamp, no `v1` signature, no match.
pub fn verify(
    secret: &str,
    id: &str,
    timestamp: &str,
    body: &[u8],
    header: &str,
    now: i64,
) -> Result<String, String> {
    let timestamp: i64 = timestamp
        .trim()
        .parse()
        .map_err(|_| format!("webhook-timestamp {timestamp:?} is not a number of seconds"))?;
    if now.abs_diff(timestamp) > TOLERANCE_SECS.unsigned_abs() {
        return Err(format!(
            "webhook-timestamp {timestamp} is more than {TOLERANCE_SECS} s from this server's clock ({now})"
        ));
    }
    let mut versions = 0;
    for signature in header.split(' ') {
        let Some(encoded) = signature.strip_prefix("v1,") else {
            continue;
        };
        versions += 1;
        let Ok(tag) = STANDARD.decode(encoded) else {
            continue;
        };
        if mac(secret, id, timestamp, body)?.verify_slice(&tag).is_ok() {
            return Ok(signature.to_owned());
        }
    }
    Err(if versions == 0 {
        "webhook-signature holds no v1 signature".to_owned()
    } else {
        "no signature in webhook-signature matches the body with this subscription's secret"
            .to_owned()
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    // The example of the Standard Webhooks specification's reference libraries.
    const SECRET: &str = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw";
    const ID: &str = "msg_p5jXN8AQM9LWM0D4loKWxJek";
    const TIMESTAMP: i64 = 1614265330;
    const BODY: &[u8] = br#"{"test": 2432232314}"#;
    const SIGNATURE: &str = "v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE=";

    #[test]
    fn signs_as_the_specification_s_example() {
        assert_eq!(sign(SECRET, ID, TIMESTAMP, BODY).unwrap(), SIGNATURE);
    }

    #[test]
    fn verifies_a_good_signature_among_others_and_refuses_the_rest() {
        let header = format!("v1,bm90IGl0 {SIGNATURE}");
        assert_eq!(
            verify(SECRET, ID, "1614265330", BODY, &header, TIMESTAMP + 10),
            Ok(SIGNATURE.to_owned())
        );
        let tampered = br#"{"test": 2432232315}"#;
        assert!(verify(SECRET, ID, "1614265330", tampered, SIGNATURE, TIMESTAMP).is_err());
        assert!(verify(SECRET, ID, "1614265330", BODY, SIGNATURE, TIMESTAMP + 301).is_err());
        assert!(verify(SECRET, ID, "soon", BODY, SIGNATURE, TIMESTAMP).is_err());
        let furthest = i64::MIN.to_string();
        assert!(verify(SECRET, ID, &furthest, BODY, SIGNATURE, i64::MAX).is_err());
        assert!(verify(SECRET, ID, "1614265330", BODY, "v2,abc", TIMESTAMP).is_err());
    }

    #[test]
    fn secrets_and_ids_are_fresh_and_well_formed() {
        use secrecy::ExposeSecret;
        let (a, b) = (new_secret(), new_secret());
        assert_ne!(a.expose_secret(), b.expose_secret());
        let key = STANDARD
            .decode(a.expose_secret().strip_prefix(SECRET_PREFIX).unwrap())
            .unwrap();
        assert_eq!(key.len(), 24);
        assert_ne!(new_message_id(), new_message_id());
        assert_eq!(new_message_id().len(), 4 + 32);
    }
}
