//! XML-RPC bytes to and from the procedures' value model, with the `dxr` crate
//! (which parses with `quick-xml`: no DTDs, no external entities, nesting capped).

use std::collections::BTreeMap;

use std::fmt::Write as _;

use base64::Engine as _;
use chrono::{Datelike as _, NaiveDateTime, TimeZone, Utc};
use dxr::{Fault, MethodCall, Value};

use crate::error::RpcError;
use crate::value::RpcValue;

/// The XML-RPC spec's `dateTime.iso8601` layout: no zone, whole seconds. We send UTC.
const DATETIME_FORMAT: &str = "%Y%m%dT%H:%M:%S";

/// A decoded `<methodCall>`.
#[derive(Debug)]
pub struct Request {
    /// `<methodName>`
    pub method: String,
    /// The `<param>` values, in order.
    pub params: Vec<Value>,
}

/// Decodes a `<methodCall>`.
///
/// # Errors
/// -32700 when the body is not well-formed XML; -32600 when it is XML but not a
/// valid `<methodCall>` (unknown type tags, a bad number, a missing `<methodName>`).
pub fn decode_call(body: &[u8]) -> Result<Request, RpcError> {
    let text = std::str::from_utf8(body).map_err(|_| RpcError::parse_error())?;
    if !well_formed(text) {
        return Err(RpcError::parse_error());
    }
    // dxr's error messages repeat the whole input: keep them out of replies and logs.
    let call = MethodCall::from_xml(text)
        .map_err(|_| RpcError::invalid_request("not a valid XML-RPC methodCall"))?;
    Ok(Request {
        method: call.name.into_owned(),
        params: call.params,
    })
}

/// A character XML 1.0 allows in a document (its `Char` production). A control
/// character such as NUL is not one, raw or as `&#0;`: echoing it back would make the
/// answer unreadable for a strict client (tests/api/fuzz_regressions.rs).
fn xml_char(c: char) -> bool {
    matches!(c, '\t' | '\n' | '\r' | '\u{20}'..='\u{D7FF}' | '\u{E000}'..='\u{FFFD}' | '\u{10000}'..)
}

/// True when `text` is one well-formed XML document (quick-xml's reader, no DTD
/// processing), made only of characters XML allows.
fn well_formed(text: &str) -> bool {
    if !text.chars().all(xml_char) {
        return false;
    }
    let mut reader = quick_xml::Reader::from_str(text);
    reader.config_mut().check_end_names = true;
    let mut depth = 0usize;
    let mut roots = 0usize;
    loop {
        match reader.read_event() {
            Ok(quick_xml::events::Event::Eof) => return depth == 0 && roots == 1,
            Ok(quick_xml::events::Event::Start(_)) => {
                if depth == 0 {
                    roots += 1;
                }
                depth += 1;
            }
            Ok(quick_xml::events::Event::End(_)) => depth = depth.saturating_sub(1),
            Ok(quick_xml::events::Event::Empty(_)) if depth == 0 => roots += 1,
            Ok(quick_xml::events::Event::GeneralRef(reference)) => {
                match reference.resolve_char_ref() {
                    Ok(Some(c)) if !xml_char(c) => return false,
                    Ok(_) => {}
                    Err(_) => return false,
                }
            }
            Ok(_) => {}
            Err(_) => return false,
        }
    }
}

/// The XML declaration every answer starts with.
const DECLARATION: &str = "<?xml version=\"1.0\"?>\n";

/// A `<methodResponse>` with one `<param>`.
///
/// Written straight from the value model into one buffer sized for a Dummy, with
/// quick-xml's escaping for text. The bytes are the same as dxr's serializer writes
/// (a test holds the two together); going through dxr cost a quarter of an XML-RPC
/// GET's server time, half of it growing strings (the data path's profile in the README).
pub fn encode_response(value: &RpcValue) -> String {
    let mut xml = String::with_capacity(1024);
    xml.push_str(DECLARATION);
    xml.push_str("<methodResponse><params><param>");
    write_value(&mut xml, value);
    xml.push_str("</param></params></methodResponse>");
    xml
}

/// A `<methodResponse>` with a `<fault>`.
pub fn encode_fault(err: &RpcError) -> String {
    let mut xml = String::with_capacity(256);
    xml.push_str(DECLARATION);
    xml.push_str("<methodResponse><fault>");
    write_value(&mut xml, &fault_value(err));
    xml.push_str("</fault></methodResponse>");
    xml
}

/// The `{faultCode, faultString}` struct of a fault, in the value model.
fn fault_value(err: &RpcError) -> RpcValue {
    RpcValue::Struct(BTreeMap::from([
        ("faultCode".to_owned(), RpcValue::Int(i64::from(err.code))),
        (
            "faultString".to_owned(),
            RpcValue::String(err.fault_string()),
        ),
    ]))
}

/// Appends one `<value>`: the same mapping as [`to_xml`], without building dxr's tree.
fn write_value(xml: &mut String, value: &RpcValue) {
    // Writing to a String cannot fail.
    let _ = write_value_fmt(xml, value);
}

fn write_value_fmt(xml: &mut String, value: &RpcValue) -> std::fmt::Result {
    xml.push_str("<value>");
    match value {
        RpcValue::Nil => xml.push_str("<nil></nil>"),
        RpcValue::Bool(b) => xml.push_str(if *b {
            "<boolean>1</boolean>"
        } else {
            "<boolean>0</boolean>"
        }),
        RpcValue::Int(i) => match i32::try_from(*i) {
            Ok(small) => write!(xml, "<i4>{small}</i4>")?,
            Err(_) => write!(xml, "<i8>{i}</i8>")?,
        },
        RpcValue::Double(f) => write!(xml, "<double>{f}</double>")?,
        RpcValue::String(s) => {
            xml.push_str("<string>");
            xml.push_str(&quick_xml::escape::escape(s.as_str()));
            xml.push_str("</string>");
        }
        RpcValue::Bytes(b) => {
            xml.push_str("<base64>");
            base64::engine::general_purpose::STANDARD.encode_string(b, xml);
            xml.push_str("</base64>");
        }
        RpcValue::DateTime(t) if (0..=9999).contains(&t.year()) => write!(
            xml,
            "<dateTime.iso8601>{}</dateTime.iso8601>",
            t.format(DATETIME_FORMAT)
        )?,
        // Outside four-digit years the XML-RPC layout has no form: text, as to_xml does.
        RpcValue::DateTime(t) => {
            xml.push_str("<string>");
            xml.push_str(&t.to_rfc3339());
            xml.push_str("</string>");
        }
        RpcValue::Array(items) => {
            xml.push_str("<array><data>");
            for item in items {
                write_value_fmt(xml, item)?;
            }
            xml.push_str("</data></array>");
        }
        RpcValue::Struct(members) => {
            xml.push_str("<struct>");
            for (name, member) in members {
                xml.push_str("<member><name>");
                xml.push_str(&quick_xml::escape::escape(name.as_str()));
                xml.push_str("</name>");
                write_value_fmt(xml, member)?;
                xml.push_str("</member>");
            }
            xml.push_str("</struct>");
        }
    }
    xml.push_str("</value>");
    Ok(())
}

/// The fault struct for an error: `faultCode` and `faultString` (field errors folded in).
pub fn to_fault(err: &RpcError) -> Fault {
    Fault::new(err.code, err.fault_string())
}

/// XML-RPC to the procedures' value model.
pub fn from_xml(value: Value) -> RpcValue {
    match value {
        Value::Integer(i) => RpcValue::Int(i64::from(i)),
        Value::Long(i) => RpcValue::Int(i),
        Value::Boolean(b) => RpcValue::Bool(b),
        Value::String(s) => RpcValue::String(s),
        Value::Double(f) => RpcValue::Double(f),
        Value::DateTime(t) => {
            match NaiveDateTime::parse_from_str(&t.to_string(), DATETIME_FORMAT) {
                Ok(naive) => RpcValue::DateTime(Utc.from_utc_datetime(&naive)),
                Err(_) => RpcValue::String(t.to_string()),
            }
        }
        Value::Base64(bytes) => RpcValue::Bytes(bytes),
        Value::Struct(members) => {
            RpcValue::Struct(members.into_iter().map(|(k, v)| (k, from_xml(v))).collect())
        }
        Value::Array(items) => RpcValue::Array(items.into_iter().map(from_xml).collect()),
        Value::Nil => RpcValue::Nil,
        // dxr's Value is non-exhaustive; a future type we do not know is not a Dummy field either.
        _ => RpcValue::Nil,
    }
}

/// The procedures' value model to XML-RPC: `<int>` when it fits 32 bits, else `<i8>`.
pub fn to_xml(value: RpcValue) -> Value {
    match value {
        RpcValue::Nil => Value::Nil,
        RpcValue::Bool(b) => Value::Boolean(b),
        RpcValue::Int(i) => match i32::try_from(i) {
            Ok(small) => Value::Integer(small),
            Err(_) => Value::Long(i),
        },
        RpcValue::Double(f) => Value::Double(f),
        RpcValue::String(s) => Value::String(s),
        RpcValue::Bytes(b) => Value::Base64(b),
        RpcValue::DateTime(t) => match t.format(DATETIME_FORMAT).to_string().parse() {
            Ok(datetime) => Value::DateTime(datetime),
            Err(_) => Value::String(t.to_rfc3339()),
        },
        RpcValue::Array(items) => Value::Array(items.into_iter().map(to_xml).collect()),
        RpcValue::Struct(members) => Value::Struct(
            members
                .into_iter()
                .map(|(k, v)| (k, to_xml(v)))
                .collect::<BTreeMap<_, _>>(),
        ),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn well_formedness_is_checked_before_xml_rpc_shape() {
        assert_eq!(
            decode_call(b"<methodCall><methodName>x").unwrap_err().code,
            -32700
        );
        assert_eq!(decode_call(b"not xml at all").unwrap_err().code, -32700);
        assert_eq!(decode_call(b"<a></a><b></b>").unwrap_err().code, -32700);
        assert_eq!(
            decode_call(b"<methodCall><foo/></methodCall>")
                .unwrap_err()
                .code,
            -32600
        );
        let ok = decode_call(b"<methodCall><methodName>add</methodName><params><param><value><i4>2</i4></value></param></params></methodCall>").unwrap();
        assert_eq!(ok.method, "add");
        assert_eq!(ok.params, vec![Value::Integer(2)]);
    }

    #[test]
    fn values_round_trip_through_xml_rpc() {
        let t = Utc.with_ymd_and_hms(2026, 11, 29, 10, 11, 52).unwrap();
        for v in [
            RpcValue::Int(5),
            RpcValue::Int(1 << 40),
            RpcValue::Bool(true),
            RpcValue::Double(0.5),
            RpcValue::String("a<b&c".into()),
            RpcValue::Bytes(vec![0, 1, 255]),
            RpcValue::DateTime(t),
            RpcValue::Nil,
            RpcValue::Array(vec![RpcValue::Int(1), RpcValue::String("x".into())]),
            RpcValue::Struct([("k".to_owned(), RpcValue::Int(1))].into()),
        ] {
            assert_eq!(from_xml(to_xml(v.clone())), v);
        }
    }

    /// dxr's own serializer is the reference: the hand-written encoder must write the
    /// very bytes it writes, for every kind of value and for text that needs escaping.
    #[test]
    fn answers_are_byte_for_byte_what_dxr_writes() {
        let t = Utc.with_ymd_and_hms(2026, 11, 29, 10, 11, 52).unwrap();
        let far = Utc.with_ymd_and_hms(12026, 1, 2, 3, 4, 5).unwrap();
        let dummy = RpcValue::Struct(BTreeMap::from([
            ("id".to_owned(), RpcValue::Int(7)),
            ("day".to_owned(), RpcValue::Int(29)),
            ("weekday".to_owned(), RpcValue::String("Sunday".into())),
            ("created_at".to_owned(), RpcValue::DateTime(t)),
            ("gone".to_owned(), RpcValue::Nil),
        ]));
        for v in [
            RpcValue::Int(5),
            RpcValue::Int(-(1 << 31)),
            RpcValue::Int(1 << 40),
            RpcValue::Bool(true),
            RpcValue::Bool(false),
            RpcValue::Double(0.5),
            RpcValue::Double(-1e300),
            RpcValue::Double(3.0),
            RpcValue::String(String::new()),
            RpcValue::String("a<b>&c 'q' \"d\" \r\n\t é 💡".into()),
            RpcValue::Bytes(vec![]),
            RpcValue::Bytes(vec![0, 1, 255, 7]),
            RpcValue::DateTime(t),
            RpcValue::DateTime(far),
            RpcValue::Nil,
            RpcValue::Array(vec![]),
            RpcValue::Array(vec![RpcValue::Int(1), dummy.clone()]),
            RpcValue::Struct(BTreeMap::new()),
            RpcValue::Struct([("<&>".to_owned(), RpcValue::Array(vec![RpcValue::Nil]))].into()),
            dummy,
        ] {
            let reference = dxr::MethodResponse {
                value: to_xml(v.clone()),
            }
            .to_xml()
            .unwrap();
            assert_eq!(
                encode_response(&v),
                format!("{DECLARATION}{reference}"),
                "{v:?}"
            );
        }
        let err = RpcError::method_not_found("no<such>");
        let reference = dxr::FaultResponse {
            fault: to_fault(&err),
        }
        .to_xml()
        .unwrap();
        assert_eq!(encode_fault(&err), format!("{DECLARATION}{reference}"));
    }

    #[test]
    fn a_doctype_with_an_external_entity_is_refused() {
        let xxe = br#"<?xml version="1.0"?><!DOCTYPE m [<!ENTITY x SYSTEM "file:///etc/passwd">]><methodCall><methodName>upper</methodName><params><param><value><string>&x;</string></value></param></params></methodCall>"#;
        assert!(decode_call(xxe).is_err());
    }
}
