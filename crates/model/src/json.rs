//! The JSON form of a Dummy: the one shape every service that writes JSON uses (REST
//! bodies, the WebSocket feed, and whatever comes next), so a client sees one record
//! whichever way it came.
//!
//! ```text
//! {"id":1,"day":1,"weekday":"Monday","month":"January","year":1984,"pre_seeded":false,
//!  "created_at":"2026-11-29T10:11:52.123456Z","updated_at":"2026-11-29T10:11:52.123456Z"}
//! ```
//!
//! Keys come in the original API's order. Timestamps are RFC 3339 in UTC with
//! microseconds (the original printed a `strftime` pattern that mixed epoch seconds
//! into the time; we chose the standard form).

use chrono::{DateTime, SecondsFormat, Utc};
use serde::Serialize;

use crate::dummy::Dummy;

/// A Dummy as JSON.
#[derive(Debug, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema), schema(as = Dummy))]
pub struct DummyJson {
    /// Primary key.
    pub id: i64,
    /// 1..=31.
    #[cfg_attr(feature = "openapi", schema(minimum = 1, maximum = 31))]
    pub day: u8,
    /// English name, e.g. "Monday".
    #[cfg_attr(feature = "openapi", schema(value_type = crate::Weekday))]
    pub weekday: &'static str,
    /// English name, e.g. "January".
    #[cfg_attr(feature = "openapi", schema(value_type = crate::Month))]
    pub month: &'static str,
    /// The year.
    pub year: i32,
    /// Whether `protocols seed` wrote it.
    pub pre_seeded: bool,
    /// RFC 3339, UTC.
    #[serde(serialize_with = "rfc3339")]
    pub created_at: DateTime<Utc>,
    /// RFC 3339, UTC.
    #[serde(serialize_with = "rfc3339")]
    pub updated_at: DateTime<Utc>,
}

fn rfc3339<S: serde::Serializer>(at: &DateTime<Utc>, s: S) -> Result<S::Ok, S::Error> {
    s.serialize_str(&at.to_rfc3339_opts(SecondsFormat::Micros, true))
}

impl From<&Dummy> for DummyJson {
    fn from(d: &Dummy) -> Self {
        DummyJson {
            id: d.id.0,
            day: d.day.get(),
            weekday: d.weekday.as_str(),
            month: d.month.as_str(),
            year: d.year,
            pre_seeded: d.pre_seeded,
            created_at: d.created_at,
            updated_at: d.updated_at,
        }
    }
}

#[cfg(test)]
mod tests {
    use chrono::TimeZone;

    use super::*;
    use crate::dummy::{Day, DummyId, Month, Weekday};

    #[test]
    fn keys_in_the_original_order_and_times_with_microseconds() {
        let at = Utc.with_ymd_and_hms(2026, 11, 29, 10, 11, 52).unwrap()
            + chrono::Duration::microseconds(123_456);
        let dummy = Dummy {
            id: DummyId(1),
            day: Day::new(1).unwrap(),
            weekday: Weekday::Monday,
            month: Month::January,
            year: 1984,
            pre_seeded: false,
            created_at: at,
            updated_at: at,
        };
        assert_eq!(
            serde_json::to_string(&DummyJson::from(&dummy)).unwrap(),
            r#"{"id":1,"day":1,"weekday":"Monday","month":"January","year":1984,"pre_seeded":false,"created_at":"2026-11-29T10:11:52.123456Z","updated_at":"2026-11-29T10:11:52.123456Z"}"#
        );
    }
}
