//! The `Dummy` record and the validated values that make it up.
//!
//! Every protocol builds its input as [`DummyFields`] (loosely typed, exactly as it
//! arrived on the wire) and asks this module to turn it into a [`NewDummy`],
//! [`DummyData`] or [`DummyPatch`]. The rules, and the messages a client sees when
//! it breaks them, live here and nowhere else.

use std::fmt;
use std::str::FromStr;

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use crate::error::{Error, FieldErrors};

/// The primary key of a Dummy. A newtype so an id is never confused with a day or a year.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(transparent)]
pub struct DummyId(pub i64);

impl fmt::Display for DummyId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.0.fmt(f)
    }
}

/// One stored Dummy, as the store returns it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Dummy {
    /// Assigned by the database.
    pub id: DummyId,
    /// Day of the month, 1..=31.
    pub day: Day,
    /// Day of the week.
    pub weekday: Weekday,
    /// Month of the year.
    pub month: Month,
    /// Any year that fits a 32-bit integer (the original's column type).
    pub year: i32,
    /// True for rows written by `protocols seed`.
    pub pre_seeded: bool,
    /// Set by the store when the row is inserted (UTC, microsecond precision).
    pub created_at: DateTime<Utc>,
    /// Set by the store on insert and moved forward on every update.
    pub updated_at: DateTime<Utc>,
}

/// A day of the month, 1..=31. The only way to build one is [`Day::new`], which checks the range.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
#[serde(transparent)]
pub struct Day(u8);

impl Day {
    /// The smallest valid day.
    pub const MIN: i64 = 1;
    /// The largest valid day.
    pub const MAX: i64 = 31;

    /// Checks the range and returns the day, or the message a client sees.
    pub fn new(value: i64) -> Result<Day, String> {
        if value < Self::MIN {
            Err(format!(
                "Ensure this value is greater than or equal to {}.",
                Self::MIN
            ))
        } else if value > Self::MAX {
            Err(format!(
                "Ensure this value is less than or equal to {}.",
                Self::MAX
            ))
        } else {
            Ok(Day(value as u8))
        }
    }

    /// The day as a plain number.
    pub fn get(self) -> u8 {
        self.0
    }
}

/// Day of the week, Monday first. Its English name is the stored and the wire form,
/// read back by an exact, case-sensitive match.
// strum writes the name (`Display`) and reads it back (`FromStr`).
#[derive(
    Debug,
    Clone,
    Copy,
    PartialEq,
    Eq,
    Hash,
    Serialize,
    Deserialize,
    strum::Display,
    strum::EnumString,
    strum::IntoStaticStr,
    strum::VariantArray,
)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[allow(missing_docs)]
pub enum Weekday {
    Monday,
    Tuesday,
    Wednesday,
    Thursday,
    Friday,
    Saturday,
    Sunday,
}

/// Month of the year, January first. Its English name is the stored and the wire form,
/// read back by an exact, case-sensitive match.
#[derive(
    Debug,
    Clone,
    Copy,
    PartialEq,
    Eq,
    Hash,
    Serialize,
    Deserialize,
    strum::Display,
    strum::EnumString,
    strum::IntoStaticStr,
    strum::VariantArray,
)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[allow(missing_docs)]
pub enum Month {
    January,
    February,
    March,
    April,
    May,
    June,
    July,
    August,
    September,
    October,
    November,
    December,
}

impl Weekday {
    /// Every value, in calendar order.
    pub const ALL: &'static [Weekday] = <Weekday as strum::VariantArray>::VARIANTS;

    /// The English name, which is also the stored and the wire form.
    pub fn as_str(self) -> &'static str {
        self.into()
    }
}

impl Month {
    /// Every value, in calendar order.
    pub const ALL: &'static [Month] = <Month as strum::VariantArray>::VARIANTS;

    /// The English name, which is also the stored and the wire form.
    pub fn as_str(self) -> &'static str {
        self.into()
    }
}

/// A value as it arrived on the wire, before validation.
///
/// Protocols differ in how they type things: a form field is always text, JSON has
/// numbers and strings, XML-RPC has `<int>` and `<string>`. Each protocol maps its own
/// value model onto this one, and the rules below decide what is acceptable, so
/// `"year": "1985"` and `"year": 1985` mean the same thing everywhere.
#[derive(Debug, Clone, PartialEq)]
pub enum Value {
    /// JSON `null`, XML-RPC `<nil/>`.
    Null,
    /// A boolean.
    Bool(bool),
    /// A whole number.
    Int(i64),
    /// A floating-point number.
    Float(f64),
    /// Text, including every form field.
    Text(String),
    /// A weekday the protocol already typed (a protobuf enum).
    Weekday(Weekday),
    /// A month the protocol already typed (a protobuf enum).
    Month(Month),
    /// Anything else (a list, a map, a number too big for i64): never valid for a Dummy field.
    Other,
}

/// The writable fields of a Dummy as a client sent them; `None` means "not sent".
#[derive(Debug, Clone, Default, PartialEq)]
pub struct DummyFields {
    /// `day`
    pub day: Option<Value>,
    /// `weekday`
    pub weekday: Option<Value>,
    /// `month`
    pub month: Option<Value>,
    /// `year`
    pub year: Option<Value>,
    /// `pre_seeded` (only read on create, as in the original)
    pub pre_seeded: Option<Value>,
}

impl DummyFields {
    /// Sets a field by its wire name. Returns false for a name that is not a writable field
    /// (callers ignore those, as the original API did).
    pub fn set(&mut self, name: &str, value: Value) -> bool {
        let slot = match name {
            "day" => &mut self.day,
            "weekday" => &mut self.weekday,
            "month" => &mut self.month,
            "year" => &mut self.year,
            "pre_seeded" => &mut self.pre_seeded,
            _ => return false,
        };
        *slot = Some(value);
        true
    }
}

/// The four fields that describe a date, all validated. What a full update (PUT) writes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct DummyData {
    /// Day of the month.
    pub day: Day,
    /// Day of the week.
    pub weekday: Weekday,
    /// Month of the year.
    pub month: Month,
    /// Year.
    pub year: i32,
}

/// A validated Dummy to insert.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct NewDummy {
    /// The record's content.
    pub data: DummyData,
    /// Marks rows written by the seeder; a client may set it on create (defaults to false).
    pub pre_seeded: bool,
}

/// A validated partial update: only the `Some` fields are written.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct DummyPatch {
    /// New day, if sent.
    pub day: Option<Day>,
    /// New weekday, if sent.
    pub weekday: Option<Weekday>,
    /// New month, if sent.
    pub month: Option<Month>,
    /// New year, if sent.
    pub year: Option<i32>,
}

/// Message for a required field that was not sent.
pub const REQUIRED: &str = "This field is required.";
/// Message for a field sent as null.
pub const NOT_NULL: &str = "This field may not be null.";
/// Message for a value that is not a whole number.
pub const NOT_INTEGER: &str = "A valid integer is required.";
/// Message for a value that is not a boolean.
pub const NOT_BOOLEAN: &str = "Must be a valid boolean.";
/// Longest numeric string accepted, in characters (longer ones are refused before parsing).
pub const MAX_NUMBER_TEXT: usize = 1000;

impl DummyData {
    /// Validates all four fields; each one is required. Every broken rule is reported,
    /// not only the first one.
    ///
    /// # Errors
    /// [`Error::Invalid`] with one message per broken field.
    pub fn parse(fields: &DummyFields) -> Result<DummyData, Error> {
        let mut errors = FieldErrors::default();
        let day = required(&mut errors, "day", &fields.day, parse_day);
        let weekday = required(&mut errors, "weekday", &fields.weekday, parse_weekday);
        let month = required(&mut errors, "month", &fields.month, parse_month);
        let year = required(&mut errors, "year", &fields.year, parse_year);
        match (day, weekday, month, year) {
            (Some(day), Some(weekday), Some(month), Some(year)) if errors.is_empty() => {
                Ok(DummyData {
                    day,
                    weekday,
                    month,
                    year,
                })
            }
            _ => Err(Error::Invalid(errors)),
        }
    }
}

impl NewDummy {
    /// Validates a create: the four date fields are required, `pre_seeded` is optional.
    ///
    /// # Errors
    /// [`Error::Invalid`] with one message per broken field.
    pub fn parse(fields: &DummyFields) -> Result<NewDummy, Error> {
        let data = DummyData::parse(fields);
        let mut errors = match &data {
            Err(Error::Invalid(errors)) => errors.clone(),
            _ => FieldErrors::default(),
        };
        let pre_seeded = optional(&mut errors, "pre_seeded", &fields.pre_seeded, parse_bool);
        match data {
            Ok(data) if errors.is_empty() => Ok(NewDummy {
                data,
                pre_seeded: pre_seeded.unwrap_or(false),
            }),
            _ => Err(Error::Invalid(errors)),
        }
    }
}

impl DummyPatch {
    /// Validates a partial update: any subset of the four date fields. `pre_seeded`
    /// is ignored, as in the original API.
    ///
    /// # Errors
    /// [`Error::Invalid`] with one message per broken field.
    pub fn parse(fields: &DummyFields) -> Result<DummyPatch, Error> {
        let mut errors = FieldErrors::default();
        let patch = DummyPatch {
            day: optional(&mut errors, "day", &fields.day, parse_day),
            weekday: optional(&mut errors, "weekday", &fields.weekday, parse_weekday),
            month: optional(&mut errors, "month", &fields.month, parse_month),
            year: optional(&mut errors, "year", &fields.year, parse_year),
        };
        if errors.is_empty() {
            Ok(patch)
        } else {
            Err(Error::Invalid(errors))
        }
    }
}

impl From<DummyData> for DummyPatch {
    fn from(data: DummyData) -> Self {
        DummyPatch {
            day: Some(data.day),
            weekday: Some(data.weekday),
            month: Some(data.month),
            year: Some(data.year),
        }
    }
}

fn required<T>(
    errors: &mut FieldErrors,
    field: &'static str,
    value: &Option<Value>,
    parse: fn(&Value) -> Result<T, String>,
) -> Option<T> {
    match value {
        None => {
            errors.push(field, REQUIRED);
            None
        }
        Some(value) => checked(errors, field, value, parse),
    }
}

fn optional<T>(
    errors: &mut FieldErrors,
    field: &'static str,
    value: &Option<Value>,
    parse: fn(&Value) -> Result<T, String>,
) -> Option<T> {
    value
        .as_ref()
        .and_then(|value| checked(errors, field, value, parse))
}

fn checked<T>(
    errors: &mut FieldErrors,
    field: &'static str,
    value: &Value,
    parse: fn(&Value) -> Result<T, String>,
) -> Option<T> {
    if *value == Value::Null {
        errors.push(field, NOT_NULL);
        return None;
    }
    parse(value)
        .map_err(|message| errors.push(field, message))
        .ok()
}

/// Whole numbers: `1985`, `1985.0`, `"1985"`, `" 1985 "`, `"1985.0"`. Not `1985.5`, `true` or `"abc"`.
pub fn parse_integer(value: &Value) -> Result<i64, String> {
    match value {
        Value::Int(i) => Ok(*i),
        Value::Float(f) if f.fract() == 0.0 && f.abs() < 9.0e15 => Ok(*f as i64),
        Value::Text(s) if s.chars().nth(MAX_NUMBER_TEXT).is_some() => {
            Err("String value too large.".to_owned())
        }
        Value::Text(s) => {
            let s = s.trim();
            // Like the original, "12.000" counts as 12.
            let s = match s.split_once('.') {
                Some((int, zeros)) if zeros.bytes().all(|b| b == b'0') => int,
                _ => s,
            };
            s.parse::<i64>().map_err(|_| NOT_INTEGER.to_owned())
        }
        _ => Err(NOT_INTEGER.to_owned()),
    }
}

fn parse_day(value: &Value) -> Result<Day, String> {
    Day::new(parse_integer(value)?)
}

fn parse_year(value: &Value) -> Result<i32, String> {
    let year = parse_integer(value)?;
    i32::try_from(year).map_err(|_| {
        if year < 0 {
            format!(
                "Ensure this value is greater than or equal to {}.",
                i32::MIN
            )
        } else {
            format!("Ensure this value is less than or equal to {}.", i32::MAX)
        }
    })
}

/// A weekday, typed by the protocol or named in its text.
fn parse_weekday(value: &Value) -> Result<Weekday, String> {
    match value {
        Value::Weekday(weekday) => Ok(*weekday),
        other => parse_name(other),
    }
}

/// A month, typed by the protocol or named in its text.
fn parse_month(value: &Value) -> Result<Month, String> {
    match value {
        Value::Month(month) => Ok(*month),
        other => parse_name(other),
    }
}

/// A weekday or month from any other wire value: its text must be one of the English
/// names. The error is the message a client sees.
fn parse_name<T: FromStr>(value: &Value) -> Result<T, String> {
    let text = match value {
        Value::Text(s) => s.clone(),
        Value::Int(i) => format!("{i}"),
        Value::Bool(b) => (if *b { "True" } else { "False" }).to_owned(),
        Value::Float(f) => format!("{f}"),
        Value::Weekday(weekday) => weekday.as_str().to_owned(),
        Value::Month(month) => month.as_str().to_owned(),
        Value::Null | Value::Other => return Err("Not a valid choice.".to_owned()),
    };
    text.parse().map_err(|_| not_a_choice(&text))
}

/// What a client (or the log, for a stored value) is told of a name that is no choice.
pub(crate) fn not_a_choice(text: &str) -> String {
    format!("\"{text}\" is not a valid choice.")
}

/// The texts read as `true` (after trimming whitespace), as the original API's BooleanField.
pub const TRUE_TEXTS: [&str; 14] = [
    "true", "True", "TRUE", "t", "T", "yes", "Yes", "YES", "y", "Y", "on", "On", "ON", "1",
];
/// The texts read as `false` (after trimming whitespace).
pub const FALSE_TEXTS: [&str; 14] = [
    "false", "False", "FALSE", "f", "F", "no", "No", "NO", "n", "N", "off", "Off", "OFF", "0",
];

fn parse_bool(value: &Value) -> Result<bool, String> {
    match value {
        Value::Bool(b) => Ok(*b),
        Value::Int(1) => Ok(true),
        Value::Int(0) => Ok(false),
        Value::Text(s) if TRUE_TEXTS.contains(&s.trim()) => Ok(true),
        Value::Text(s) if FALSE_TEXTS.contains(&s.trim()) => Ok(false),
        _ => Err(NOT_BOOLEAN.to_owned()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn text(s: &str) -> Option<Value> {
        Some(Value::Text(s.to_owned()))
    }

    fn valid_fields() -> DummyFields {
        DummyFields {
            day: Some(Value::Int(2)),
            weekday: text("Tuesday"),
            month: text("February"),
            year: text("1985"),
            pre_seeded: None,
        }
    }

    fn messages(err: Error) -> Vec<(&'static str, String)> {
        match err {
            Error::Invalid(errors) => errors.into_iter().collect(),
            other => panic!("expected Invalid, got {other:?}"),
        }
    }

    #[test]
    fn numeric_strings_and_numbers_are_the_same_year() {
        let data = DummyData::parse(&valid_fields()).unwrap();
        assert_eq!(data.year, 1985);
        assert_eq!(data.day.get(), 2);
        assert_eq!(data.weekday, Weekday::Tuesday);
        assert_eq!(data.month, Month::February);
    }

    #[test]
    fn day_zero_and_day_thirty_two_are_refused_with_range_messages() {
        for (day, message) in [
            (0, "Ensure this value is greater than or equal to 1."),
            (32, "Ensure this value is less than or equal to 31."),
        ] {
            let fields = DummyFields {
                day: Some(Value::Int(day)),
                ..valid_fields()
            };
            assert_eq!(
                messages(DummyData::parse(&fields).unwrap_err()),
                vec![("day", message.to_owned())]
            );
        }
    }

    #[test]
    fn every_broken_field_is_reported_at_once() {
        let fields = DummyFields {
            day: None,
            weekday: text("Mon"),
            month: Some(Value::Null),
            year: text("nineteen"),
            pre_seeded: None,
        };
        assert_eq!(
            messages(DummyData::parse(&fields).unwrap_err()),
            vec![
                ("day", REQUIRED.to_owned()),
                ("weekday", "\"Mon\" is not a valid choice.".to_owned()),
                ("month", NOT_NULL.to_owned()),
                ("year", NOT_INTEGER.to_owned()),
            ]
        );
    }

    #[test]
    fn patch_accepts_any_subset_and_checks_what_is_sent() {
        let patch = DummyPatch::parse(&DummyFields {
            year: text("1984"),
            ..Default::default()
        })
        .unwrap();
        assert_eq!(
            patch,
            DummyPatch {
                year: Some(1984),
                ..Default::default()
            }
        );
        let err = DummyPatch::parse(&DummyFields {
            month: text("january"),
            ..Default::default()
        })
        .unwrap_err();
        assert_eq!(
            messages(err),
            vec![("month", "\"january\" is not a valid choice.".to_owned())]
        );
    }

    #[test]
    fn integers_follow_the_original_rules() {
        assert_eq!(parse_integer(&Value::Text("12.000".into())), Ok(12));
        assert_eq!(parse_integer(&Value::Text(" 7 ".into())), Ok(7));
        assert_eq!(parse_integer(&Value::Float(3.0)), Ok(3));
        assert!(parse_integer(&Value::Float(3.5)).is_err());
        assert!(parse_integer(&Value::Bool(true)).is_err());
        assert!(parse_integer(&Value::Text("".into())).is_err());
        assert_eq!(
            parse_integer(&Value::Text("9".repeat(1001))),
            Err("String value too large.".to_owned())
        );
    }

    #[test]
    fn year_must_fit_the_column() {
        let fields = DummyFields {
            year: Some(Value::Int(i64::from(i32::MAX) + 1)),
            ..valid_fields()
        };
        assert_eq!(
            messages(DummyData::parse(&fields).unwrap_err()),
            vec![(
                "year",
                "Ensure this value is less than or equal to 2147483647.".to_owned()
            )]
        );
    }

    #[test]
    fn pre_seeded_is_read_on_create_only() {
        let fields = DummyFields {
            pre_seeded: text("true"),
            ..valid_fields()
        };
        assert!(NewDummy::parse(&fields).unwrap().pre_seeded);
        let bad = DummyFields {
            pre_seeded: text("maybe"),
            ..valid_fields()
        };
        assert_eq!(
            messages(NewDummy::parse(&bad).unwrap_err()),
            vec![("pre_seeded", NOT_BOOLEAN.to_owned())]
        );
    }

    #[test]
    fn weekday_and_month_round_trip_through_their_names() {
        for w in Weekday::ALL {
            assert_eq!(w.as_str().parse::<Weekday>(), Ok(*w));
        }
        for m in Month::ALL {
            assert_eq!(m.as_str().parse::<Month>(), Ok(*m));
        }
        assert_eq!(Month::ALL.len(), 12);
        assert_eq!(Weekday::ALL.len(), 7);
    }
}
