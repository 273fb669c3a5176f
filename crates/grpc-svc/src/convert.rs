//! Every conversion between protobuf types and the model, in one place.
//!
//! Inbound, a `pb::dummy::Dummy` becomes the model's `DummyFields`, and the model
//! validates it exactly as it does for every other protocol. Enums go across typed
//! (`pb::Weekday::Friday` becomes `Value::Weekday(Weekday::Friday)`, no names in
//! between). An enum left at `*_UNSPECIFIED` (0) counts as "not sent", so the model
//! answers "This field is required."; an enum number the proto does not define is
//! reported as an invalid choice.

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

/// A change from the journal as the wire type.
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
        seq: event.seq,
    }
}

fn weekday_to_pb(weekday: Weekday) -> pb::Weekday {
    match weekday {
        Weekday::Monday => pb::Weekday::Monday,
        Weekday::Tuesday => pb::Weekday::Tuesday,
        Weekday::Wednesday => pb::Weekday::Wednesday,
        Weekday::Thursday => pb::Weekday::Thursday,
        Weekday::Friday => pb::Weekday::Friday,
        Weekday::Saturday => pb::Weekday::Saturday,
        Weekday::Sunday => pb::Weekday::Sunday,
    }
}

fn month_to_pb(month: Month) -> pb::Month {
    match month {
        Month::January => pb::Month::January,
        Month::February => pb::Month::February,
        Month::March => pb::Month::March,
        Month::April => pb::Month::April,
        Month::May => pb::Month::May,
        Month::June => pb::Month::June,
        Month::July => pb::Month::July,
        Month::August => pb::Month::August,
        Month::September => pb::Month::September,
        Month::October => pb::Month::October,
        Month::November => pb::Month::November,
        Month::December => pb::Month::December,
    }
}

/// A proto weekday as the model sees it: not sent (`WEEKDAY_UNSPECIFIED`), a weekday, or
/// a number the proto does not define, which the model reports as an invalid choice.
fn weekday_field(number: i32) -> Option<Value> {
    let weekday = match pb::Weekday::try_from(number) {
        Ok(pb::Weekday::Unspecified) => return None,
        Ok(pb::Weekday::Monday) => Weekday::Monday,
        Ok(pb::Weekday::Tuesday) => Weekday::Tuesday,
        Ok(pb::Weekday::Wednesday) => Weekday::Wednesday,
        Ok(pb::Weekday::Thursday) => Weekday::Thursday,
        Ok(pb::Weekday::Friday) => Weekday::Friday,
        Ok(pb::Weekday::Saturday) => Weekday::Saturday,
        Ok(pb::Weekday::Sunday) => Weekday::Sunday,
        Err(_) => return Some(Value::Int(i64::from(number))),
    };
    Some(Value::Weekday(weekday))
}

/// A proto month as the model sees it, as [`weekday_field`] does for weekdays.
fn month_field(number: i32) -> Option<Value> {
    let month = match pb::Month::try_from(number) {
        Ok(pb::Month::Unspecified) => return None,
        Ok(pb::Month::January) => Month::January,
        Ok(pb::Month::February) => Month::February,
        Ok(pb::Month::March) => Month::March,
        Ok(pb::Month::April) => Month::April,
        Ok(pb::Month::May) => Month::May,
        Ok(pb::Month::June) => Month::June,
        Ok(pb::Month::July) => Month::July,
        Ok(pb::Month::August) => Month::August,
        Ok(pb::Month::September) => Month::September,
        Ok(pb::Month::October) => Month::October,
        Ok(pb::Month::November) => Month::November,
        Ok(pb::Month::December) => Month::December,
        Err(_) => return Some(Value::Int(i64::from(number))),
    };
    Some(Value::Month(month))
}

/// The writable fields of a proto Dummy, for the model to validate.
pub fn fields(d: &pb::Dummy) -> DummyFields {
    DummyFields {
        day: d.day.map(|v| Value::Int(i64::from(v))),
        weekday: weekday_field(d.weekday),
        month: month_field(d.month),
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
    fn every_weekday_and_month_crosses_typed_both_ways() {
        for &weekday in Weekday::ALL {
            let number = weekday_to_pb(weekday) as i32;
            assert_eq!(weekday_field(number), Some(Value::Weekday(weekday)));
        }
        for &month in Month::ALL {
            let number = month_to_pb(month) as i32;
            assert_eq!(month_field(number), Some(Value::Month(month)));
        }
        assert_eq!(
            weekday_field(i32::MIN),
            Some(Value::Int(i64::from(i32::MIN)))
        );
    }

    #[test]
    fn timestamps_keep_microseconds() {
        let at = Utc.timestamp_opt(1_700_000_000, 123_456_000).unwrap();
        let ts = timestamp(at);
        assert_eq!((ts.seconds, ts.nanos), (1_700_000_000, 123_456_000));
    }
}
