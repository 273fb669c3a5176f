//! The request bodies: each field as the model reads it, and the OpenAPI schemas that
//! say so. (The JSON form of a Dummy that the answers carry is [`model::DummyJson`],
//! shared with the WebSocket feed.)
//!
//! A body reaches the model as a map of loosely typed values ([`model::Value`]), from
//! JSON, a URL-encoded form or a multipart form alike; the model then checks each
//! field with the original API's messages. The three body types below are that map,
//! named per operation, so the document can say exactly which values the model
//! accepts, lenient spellings included (`"year": " 1985 "`, `"pre_seeded": "on"`,
//! what forms send). A client generated from the document, or a tool testing against
//! it, then agrees with the server.

use model::{Day, Month, Value, Weekday};
use utoipa::ToSchema;
use utoipa::openapi::schema::{ObjectBuilder, OneOfBuilder, Schema, Type};
use utoipa::openapi::{KnownFormat, SchemaFormat};

/// Whole numbers may also be sent as numeric strings ("1985"); form fields always are. Other keys are ignored.
#[derive(ToSchema)]
#[allow(dead_code)] // a schema only: `crate::body` reads the body into a map of values
#[schema(example = json!({"day": 2, "weekday": "Tuesday", "month": "February", "year": "1985"}))]
pub struct DummyCreate {
    #[schema(schema_with = day)]
    day: Value,
    weekday: Weekday,
    month: Month,
    #[schema(schema_with = year)]
    year: Value,
    #[schema(schema_with = flag, required = false)]
    pre_seeded: Value,
}

/// Whole numbers may also be sent as numeric strings ("1985"); form fields always are. Other keys are ignored.
#[derive(ToSchema)]
#[allow(dead_code)] // a schema only: `crate::body` reads the body into a map of values
#[schema(example = json!({"day": 1, "weekday": "Monday", "month": "January", "year": 1984}))]
pub struct DummyReplace {
    #[schema(schema_with = day)]
    day: Value,
    weekday: Weekday,
    month: Month,
    #[schema(schema_with = year)]
    year: Value,
    #[schema(schema_with = pre_seeded_kept, required = false)]
    pre_seeded: Value,
}

/// Whole numbers may also be sent as numeric strings ("1985"); form fields always are. Other keys are ignored.
#[derive(ToSchema)]
#[allow(dead_code)] // a schema only: `crate::body` reads the body into a map of values
#[schema(example = json!({"year": "1985"}))]
pub struct DummyPatch {
    #[schema(schema_with = day, required = false)]
    day: Value,
    #[schema(required = false)]
    weekday: Weekday,
    #[schema(required = false)]
    month: Month,
    #[schema(schema_with = year, required = false)]
    year: Value,
    #[schema(schema_with = pre_seeded_kept, required = false)]
    pre_seeded: Value,
}

/// The characters the model trims from text it reads (Rust's `char::is_whitespace`, the
/// Unicode `White_Space` property), as a regular expression class.
const WHITESPACE: &str =
    "[\\t-\\r \\u0085\\u00a0\\u1680\\u2000-\\u200a\\u2028\\u2029\\u202f\\u205f\\u3000]";

/// `day`: 1..=31, as a number or as text.
fn day() -> Schema {
    let number = ObjectBuilder::new()
        .schema_type(Type::Integer)
        .minimum(Some(Day::MIN))
        .maximum(Some(Day::MAX));
    let text = number_text(&format!("[+]?0*{}", one_up_to(Day::MAX.unsigned_abs())));
    OneOfBuilder::new().item(number).item(text).into()
}

/// `year`: any 32-bit integer, as a number or as text.
fn year() -> Schema {
    let number = ObjectBuilder::new()
        .schema_type(Type::Integer)
        .format(Some(SchemaFormat::KnownFormat(KnownFormat::Int32)))
        .minimum(Some(i32::MIN))
        .maximum(Some(i32::MAX));
    let text = number_text(&format!(
        "([+]?0*{}|-0*{}|[+-]?0+)",
        one_up_to(i32::MAX.unsigned_abs().into()),
        one_up_to(i32::MIN.unsigned_abs().into())
    ));
    OneOfBuilder::new().item(number).item(text).into()
}

/// A whole number as text, as the model reads it: whitespace around, a sign, leading
/// zeros and a ".0" tail allowed ("1985", " 01985.00 "); form fields always send text.
fn number_text(digits: &str) -> ObjectBuilder {
    ObjectBuilder::new()
        .schema_type(Type::String)
        .max_length(Some(model::dummy::MAX_NUMBER_TEXT))
        .pattern(Some(format!(
            "^{WHITESPACE}*{digits}(\\.0*)?{WHITESPACE}*$"
        )))
}

/// `pre_seeded` on a create: what the model reads as a boolean, as the original API's
/// BooleanField does: JSON's true and false, 0 and 1, and words such as "yes" or "off"
/// (what a form can send).
fn flag() -> Schema {
    let words = model::dummy::TRUE_TEXTS
        .iter()
        .chain(&model::dummy::FALSE_TEXTS)
        .copied()
        .collect::<Vec<_>>()
        .join("|");
    OneOfBuilder::new()
        .description(Some(
            "Marks a seeded record; only a create sets it. Default false.",
        ))
        .item(ObjectBuilder::new().schema_type(Type::Boolean))
        .item(
            ObjectBuilder::new()
                .schema_type(Type::Integer)
                .enum_values(Some([0, 1])),
        )
        .item(
            ObjectBuilder::new()
                .schema_type(Type::String)
                .pattern(Some(format!("^{WHITESPACE}*({words}){WHITESPACE}*$"))),
        )
        .into()
}

/// `pre_seeded` on an update: read-only after the create, ignored whatever its value.
fn pre_seeded_kept() -> Schema {
    ObjectBuilder::new()
        .schema_type(Type::Boolean)
        .read_only(Some(true))
        .description(Some(
            "Only a create sets it; an update ignores it, whatever its value.",
        ))
        .into()
}

/// A regular expression for the numbers 1..=`max` in decimal, without leading zeros:
/// `one_up_to(31)` is `([1-9]|[1-2][0-9]|30|31)`.
fn one_up_to(max: u64) -> String {
    let digits = max.to_string();
    let n = digits.len();
    let any = |count: usize| match count {
        0 => String::new(),
        1 => "[0-9]".to_owned(),
        _ => format!("[0-9]{{{count}}}"),
    };
    // Fewer digits than max: any of them.
    let mut alternatives = match n {
        1 => vec![],
        2 => vec!["[1-9]".to_owned()],
        _ => vec![format!("[1-9][0-9]{{0,{}}}", n - 2)],
    };
    // As many digits: the same prefix as max, then a smaller digit, then anything.
    for (i, digit) in digits.bytes().enumerate() {
        let lowest = if i == 0 { b'1' } else { b'0' };
        if digit > lowest {
            let smaller = match (char::from(lowest), char::from(digit - 1)) {
                (low, high) if low == high => low.to_string(),
                (low, high) => format!("[{low}-{high}]"),
            };
            alternatives.push(format!("{}{smaller}{}", &digits[..i], any(n - i - 1)));
        }
    }
    alternatives.push(digits);
    format!("({})", alternatives.join("|"))
}

/// Maps a JSON value onto the model's loosely typed input value.
pub fn json_to_value(value: serde_json::Value) -> Value {
    use serde_json::Value as J;
    match value {
        J::Null => Value::Null,
        J::Bool(b) => Value::Bool(b),
        J::Number(n) => match (n.as_i64(), n.as_f64()) {
            (Some(i), _) => Value::Int(i),
            (None, Some(f)) if n.is_f64() => Value::Float(f),
            _ => Value::Other,
        },
        J::String(s) => Value::Text(s),
        J::Array(_) | J::Object(_) => Value::Other,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn one_up_to_spells_every_number_in_range() {
        assert_eq!(one_up_to(31), "([1-9]|[1-2][0-9]|30|31)");
        assert_eq!(one_up_to(7), "([1-6]|7)");
        assert_eq!(one_up_to(10), "([1-9]|10)");
        assert_eq!(
            one_up_to(2147483647),
            "([1-9][0-9]{0,8}|1[0-9]{9}|20[0-9]{8}|21[0-3][0-9]{7}|214[0-6][0-9]{6}\
             |2147[0-3][0-9]{5}|21474[0-7][0-9]{4}|214748[0-2][0-9]{3}|2147483[0-5][0-9]{2}\
             |21474836[0-3][0-9]|214748364[0-6]|2147483647)"
        );
        // The day pattern is 1..=Day::MAX.
        assert_eq!(Day::MIN, 1);
    }
}
