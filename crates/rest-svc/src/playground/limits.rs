//! Every bound of the HTTP playground, in one place. A value past one is refused with
//! `400 {"detail": "..."}` naming the bound; nothing is cut short in silence.
//!
//! | What | Bound |
//! |---|---|
//! | `/delay/{s}`, `/drip`'s `delay` and `duration` | [`MAX_DELAY_SECS`] each |
//! | `/redirect/{n}` | [`MAX_REDIRECTS`] |
//! | `/status/{codes}` choices | [`MAX_STATUS_CHOICES`]; codes 200 to 599 |
//! | `/stream/{n}` | [`MAX_STREAM_LINES`] lines |
//! | `/drip` | [`MAX_DRIP_BYTES`] bytes |
//! | `/range/{n}` | [`MAX_RANGE_BYTES`] bytes |
//! | `/cache/{s}` | [`MAX_CACHE_SECS`] |
//! | `/cookies/set`, `/cookies/delete` | [`MAX_COOKIES`] per call |
//! | `/response-headers` | [`MAX_RESPONSE_HEADERS`] |
//! | request body of `/anything` | the REST body limit (`REST_BODY_LIMIT_BYTES`) |
//! | request head | actix-http's: at most 96 headers, else `431` |

use crate::error::ApiError;

/// Longest wait any playground answer may be asked for, in seconds.
pub const MAX_DELAY_SECS: f64 = 10.0;
/// Most redirects `/redirect/{n}` gives before `/get`.
pub const MAX_REDIRECTS: u32 = 20;
/// Most codes `/status/{codes}` chooses among.
pub const MAX_STATUS_CHOICES: usize = 20;
/// Most lines of `/stream/{n}`.
pub const MAX_STREAM_LINES: u32 = 100;
/// Most bytes `/drip` dribbles.
pub const MAX_DRIP_BYTES: u64 = 10_000;
/// Longest body `/range/{n}` serves.
pub const MAX_RANGE_BYTES: u64 = 100 * 1024;
/// Longest `max-age` `/cache/{s}` sets: a day.
pub const MAX_CACHE_SECS: u64 = 86_400;
/// Most cookies set or expired by one call.
pub const MAX_COOKIES: usize = 20;
/// Most headers `/response-headers` adds.
pub const MAX_RESPONSE_HEADERS: usize = 50;

/// A number of seconds between 0 and [`MAX_DELAY_SECS`], or a 400 naming `what`.
pub fn seconds(raw: &str, what: &str) -> Result<f64, ApiError> {
    match raw.parse::<f64>() {
        Ok(secs) if (0.0..=MAX_DELAY_SECS).contains(&secs) => Ok(secs),
        _ => Err(ApiError::BadRequest(format!(
            "{what} must be a number of seconds from 0 to {MAX_DELAY_SECS}, not \"{raw}\"."
        ))),
    }
}

/// A whole number from `min` to `max`, or a 400 naming `what`.
pub fn count(raw: &str, what: &str, min: u64, max: u64) -> Result<u64, ApiError> {
    match raw.parse::<u64>() {
        Ok(n) if (min..=max).contains(&n) => Ok(n),
        _ => Err(ApiError::BadRequest(format!(
            "{what} must be a whole number from {min} to {max}, not \"{raw}\"."
        ))),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn numbers_past_their_bounds_are_named_in_the_error() {
        assert_eq!(seconds("1.5", "delay").unwrap(), 1.5);
        for bad in ["-1", "11", "NaN", "inf", "x", ""] {
            let error = seconds(bad, "delay").unwrap_err().to_string();
            assert!(error.contains("from 0 to 10"), "{bad}: {error}");
        }
        assert_eq!(count("20", "n", 1, 20).unwrap(), 20);
        for bad in ["0", "21", "-3", "1e3", "99999999999999999999"] {
            assert!(count(bad, "n", 1, 20).is_err(), "{bad}");
        }
    }
}
