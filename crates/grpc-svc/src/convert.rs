//! Every conversion between protobuf types and the model, in one place.
//!
//! Inbound, a `pb::dummy::Dummy` becomes the model's loosely typed `DummyFields`, and
//! the model validates it exactly as it does for every other protocol. An enum left at
//! `*_UNSPECIFIED` (0) counts as "not sent", so the model answers "This field is
//! required."; an enum number the proto does not define is reported as an invalid choice.

use chrono::{DateTime, Utc};
use model::{DummyFields, Month, Value, Weekday};
use prost_types::Timestamp;

use crate::pb::dummy as pb;

/// A stored Dummy as the wire type.
pub fn dummy(d: model::Dummy) -> pb::Dummy {
    pb::Dummy {
        id: d.id.0,
        day: Some(i32::from(d.day.get())),
        weekday: weekday_to_pb(d.weekday) as i32,
        month: month_to_pb(d.month) as i32,
        year: Some(d.year),
        pre_seeded: d.pre_seeded,
        created_at: Some(timestamp(d.created_at)),
        updated_at: Some(timestamp(d.updated_at)),
    }
}

/// A change from the feed as the wire type (`missed` is set by the watch, when it lagged).
pub fn event(event: model::ChangeEvent) -> pb::DummyEvent {
    let kind = match event.kind {
        model::ChangeKind::Created => pb::dummy_event::Kind::Created,
        model::ChangeKind::Updated => pb::dummy_event::Kind::Updated,
        model::ChangeKind::Deleted => pb::dummy_event::Kind::Deleted,
    };
    pb::DummyEvent {
        kind: kind as i32,
        dummy: Some(dummy(event.dummy)),
        missed: 0,
    }
}

/// The model's enums are in calendar order, as are the proto's after UNSPECIFIED = 0.
fn weekday_to_pb(w: Weekday) -> pb::Weekday {
    let index = Weekday::ALL
        .iter()
        .position(|x| *x == w)
        .expect("every weekday is listed");
    pb::Weekday::try_from(index as i32 + 1).expect("the proto lists the same weekdays")
}

fn month_to_pb(m: Month) -> pb::Month {
    let index = Month::ALL
        .iter()
        .position(|x| *x == m)
        .expect("every month is listed");
    pb::Month::try_from(index as i32 + 1).expect("the proto lists the same months")
}

/// An enum field as the model sees it: not sent, a known name, or an unknown number.
fn enum_field<T: Copy + std::fmt::Display>(number: i32, all: &[T]) -> Option<Value> {
    match number {
        0 => None,
        n => Some(Value::Text(
            // checked: i32::MIN - 1 would overflow (tests/api/fuzz_regressions.rs).
            match n
                .checked_sub(1)
                .and_then(|i| usize::try_from(i).ok())
                .and_then(|i| all.get(i))
            {
                Some(known) => known.to_string(),
                None => n.to_string(),
            },
        )),
    }
}

/// The writable fields of a proto Dummy, for the model to validate.
pub fn fields(d: &pb::Dummy) -> DummyFields {
    DummyFields {
        day: d.day.map(|v| Value::Int(i64::from(v))),
        weekday: enum_field(d.weekday, Weekday::ALL),
        month: enum_field(d.month, Month::ALL),
        year: d.year.map(|v| Value::Int(i64::from(v))),
        pre_seeded: Some(Value::Bool(d.pre_seeded)),
    }
}

/// A UTC time as a protobuf Timestamp.
pub fn timestamp(at: DateTime<Utc>) -> Timestamp {
    Timestamp {
        seconds: at.timestamp(),
        nanos: at.timestamp_subsec_nanos() as i32,
    }
}

#[cfg(test)]
mod tests {
    use chrono::TimeZone;
    use model::{Day, DummyId};

    use super::*;

    fn sample() -> model::Dummy {
        let at = Utc.with_ymd_and_hms(2026, 11, 29, 10, 0, 0).unwrap();
        model::Dummy {
            id: DummyId(7),
            day: Day::new(31).unwrap(),
            weekday: Weekday::Sunday,
            month: Month::December,
            year: 1999,
            pre_seeded: true,
            created_at: at,
            updated_at: at,
        }
    }

    #[test]
    fn a_model_dummy_round_trips_through_its_proto_fields() {
        let proto = dummy(sample());
        assert_eq!(proto.weekday, pb::Weekday::Sunday as i32);
        assert_eq!(proto.month, pb::Month::December as i32);
        let new = model::NewDummy::parse(&fields(&proto)).unwrap();
        assert_eq!(new.data.day.get(), 31);
        assert_eq!(new.data.weekday, Weekday::Sunday);
        assert_eq!(new.data.month, Month::December);
        assert_eq!(new.data.year, 1999);
        assert!(new.pre_seeded);
    }

    #[test]
    fn unspecified_enums_are_missing_and_unknown_numbers_are_invalid() {
        let proto = pb::Dummy {
            day: Some(1),
            weekday: 0,
            month: 99,
            year: None,
            ..Default::default()
        };
        let model::Error::Invalid(errors) = model::NewDummy::parse(&fields(&proto)).unwrap_err()
        else {
            panic!("expected field errors");
        };
        let errors: Vec<(&str, &str)> = errors.iter().collect();
        assert_eq!(
            errors,
            vec![
                ("weekday", "This field is required."),
                ("month", "\"99\" is not a valid choice."),
                ("year", "This field is required."),
            ]
        );
    }

    #[test]
    fn timestamps_keep_microseconds() {
        let at = Utc.timestamp_opt(1_700_000_000, 123_456_000).unwrap();
        let ts = timestamp(at);
        assert_eq!((ts.seconds, ts.nanos), (1_700_000_000, 123_456_000));
    }
}
