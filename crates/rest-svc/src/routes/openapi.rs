//! `GET /api/rest/openapi.json`: an OpenAPI 3.0 description of this API.
//!
//! Written by hand, next to the routes it describes; the integration test
//! `openapi::every_documented_operation_is_routed` calls every operation listed here
//! against the running service, and `every_route_is_documented` checks the other way
//! round, so the document and the routes cannot drift apart unnoticed.
//!
//! It also says exactly which values the server accepts, lenient spellings included
//! (`"year": " 1985 "`, `"pre_seeded": "on"`, what forms send), so a client generated
//! from it, or a tool that tests against it, agrees with the server. The `conformance`
//! tests check bodies, queries and 400 answers against it with Python's `jsonschema`,
//! and `scripts/schemathesis.sh` (in CI) runs schemathesis over every operation.

use actix_web::HttpResponse;
use serde_json::{Value, json};

/// The characters the model trims from text it reads (Rust's `char::is_whitespace`, the
/// Unicode `White_Space` property), as a regular expression class.
const WHITESPACE: &str =
    "[\\t-\\r \\u0085\\u00a0\\u1680\\u2000-\\u200a\\u2028\\u2029\\u202f\\u205f\\u3000]";

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

/// Serves the document.
pub async fn document() -> HttpResponse {
    HttpResponse::Ok().json(spec())
}

/// The OpenAPI document as JSON.
pub fn spec() -> Value {
    let id_param = json!({
        "name": "id", "in": "path", "required": true,
        "description": "The Dummy's id. A value that is not a whole number matches no route (404).",
        "schema": {"type": "integer", "format": "int64", "minimum": 0}
    });
    let body = |schema: &str, description: &str| {
        let schema = json!({"$ref": format!("#/components/schemas/{schema}")});
        json!({
            "required": true,
            "description": description,
            "content": {
                "application/json": {"schema": schema},
                "application/x-www-form-urlencoded": {"schema": schema},
                "multipart/form-data": {"schema": schema}
            }
        })
    };
    let one = json!({"description": "The Dummy.", "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Dummy"}}}});
    let err = |description: &str, schema: &str| json!({"description": description, "content": {"application/json": {"schema": {"$ref": format!("#/components/schemas/{schema}")}}}});
    // A write's 400: field errors from validation, or {"detail": …} for a body that does
    // not parse (malformed JSON, a broken multipart form), as the original API answers.
    let bad_body = json!({
        "description": "Field errors (one list of messages per field), or `{\"detail\": …}` for a body that does not parse.",
        "content": {"application/json": {"schema": {"oneOf": [
            {"$ref": "#/components/schemas/FieldErrors"},
            {"$ref": "#/components/schemas/Detail"}
        ]}}}
    });
    let item = json!({
        "parameters": [id_param],
        "get": {"operationId": "getDummy", "summary": "One Dummy by id.", "responses": {
            "200": one, "404": err("No Dummy has this id.", "Detail")}},
        "put": {"operationId": "replaceDummy", "summary": "Full update: all four fields are required.",
            "requestBody": body("DummyReplace", "All four fields. A request without a body is answered 400 with each field reported missing."),
            "responses": {
            "200": one, "400": bad_body, "404": err("No Dummy has this id.", "Detail"),
            "413": err("Body over the limit.", "Detail"), "415": err("Unsupported content type.", "Detail")}},
        "patch": {"operationId": "patchDummy", "summary": "Partial update: any subset of the fields.",
            "requestBody": body("DummyPatch", "The fields to change; `{}` changes none. A request without a body is answered 400 (`non_field_errors`)."),
            "responses": {
            "200": one, "400": bad_body, "404": err("No Dummy has this id.", "Detail"),
            "413": err("Body over the limit.", "Detail"), "415": err("Unsupported content type.", "Detail")}},
        "delete": {"operationId": "deleteDummy", "summary": "Delete one Dummy.", "responses": {
            "204": {"description": "Deleted; no body."}, "404": err("No Dummy has this id.", "Detail")}}
    });
    let create = json!({"operationId": "createDummy", "summary": "Create a Dummy.",
        "requestBody": body("DummyCreate", "All four fields, and optionally `pre_seeded`. A request without a body is answered 400 with each field reported missing."),
        "responses": {
            "201": {"description": "Created.", "headers": {"Location": {"schema": {"type": "string"}}},
                    "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Dummy"}}}},
            "400": bad_body,
            "413": err("Body over the limit.", "Detail"),
            "415": err("Unsupported content type.", "Detail")}});
    let int_query = |name: &str, description: &str, bounds: Value| {
        let mut schema = json!({"type": "integer", "format": "int64"});
        schema
            .as_object_mut()
            .unwrap()
            .extend(bounds.as_object().cloned().unwrap_or_default());
        json!({"name": name, "in": "query", "required": false, "description": description, "schema": schema})
    };
    // A whole number is a JSON number, or text as the model reads it: whitespace around,
    // a sign, leading zeros and a ".0" tail allowed ("1985", " 01985.00 "); form fields
    // always send text.
    let number_text = |digits: String| {
        json!({"type": "string", "maxLength": model::dummy::MAX_NUMBER_TEXT,
               "pattern": format!("^{WHITESPACE}*{digits}(\\.0*)?{WHITESPACE}*$")})
    };
    let day = json!({"oneOf": [
        {"type": "integer", "minimum": model::Day::MIN, "maximum": model::Day::MAX},
        number_text(format!("[+]?0*{}", one_up_to(model::Day::MAX.unsigned_abs())))
    ]});
    let year = json!({"oneOf": [
        {"type": "integer", "format": "int32", "minimum": i32::MIN, "maximum": i32::MAX},
        number_text(format!(
            "([+]?0*{}|-0*{}|[+-]?0+)",
            one_up_to(i32::MAX.unsigned_abs().into()),
            one_up_to(i32::MIN.unsigned_abs().into())
        ))
    ]});
    // What the model reads as a boolean, as the original API's BooleanField does: JSON's
    // true and false, 0 and 1, and words such as "yes" or "off" (what a form can send).
    let words = model::dummy::TRUE_TEXTS
        .iter()
        .chain(&model::dummy::FALSE_TEXTS)
        .copied()
        .collect::<Vec<_>>()
        .join("|");
    let flag = json!({
        "description": "Marks a seeded record; only a create sets it. Default false.",
        "oneOf": [
            {"type": "boolean"},
            {"type": "integer", "enum": [0, 1]},
            {"type": "string", "pattern": format!("^{WHITESPACE}*({words}){WHITESPACE}*$")}
        ]
    });
    // Read-only after the create: an update ignores it, whatever its value.
    let pre_seeded_kept = json!({"type": "boolean", "readOnly": true,
        "description": "Only a create sets it; an update ignores it, whatever its value."});
    json!({
        "openapi": "3.0.3",
        "info": {
            "title": "protocols REST API",
            "version": env!("CARGO_PKG_VERSION"),
            "description": "CRUD over the shared Dummy record, compatible with the original Django REST API."
        },
        "paths": {
            "/api/rest/dummies": {
                "get": {
                    "operationId": "listDummies",
                    "summary": "Dummies in id order: all of them (streamed), some ids, or one page.",
                    "parameters": [
                        {"name": "id", "in": "query", "required": false, "style": "form", "explode": true,
                         "description": "Only these ids; repeat the parameter. Missing ids are skipped.",
                         "schema": {"type": "array", "items": {"type": "integer", "format": "int64"}, "maxItems": model::MAX_IDS}},
                        int_query("limit", "Page size. A full page carries a Link rel=\"next\" header.",
                            json!({"minimum": 1, "maximum": model::MAX_PAGE})),
                        int_query("after", "Keyset pagination: only ids greater than this.", json!({})),
                        int_query("offset", "Skip this many rows.", json!({"minimum": 0}))
                    ],
                    "responses": {
                        "200": {"description": "The Dummies.", "content": {"application/json": {"schema": {
                            "type": "array", "items": {"$ref": "#/components/schemas/Dummy"}}}}},
                        "400": err("A query parameter is not a valid number or is out of range.", "FieldErrors")
                    }
                },
                "post": create.clone()
            },
            "/api/rest/dummie": {"post": create},
            "/api/rest/dummie/{id}": item.clone(),
            "/api/rest/dummies/{id}": item,
            "/api/rest/openapi.json": {
                "get": {"operationId": "openapi", "summary": "This document.",
                        "responses": {"200": {"description": "OpenAPI 3 JSON."}}}
            },
            "/healthz": {
                "get": {"operationId": "healthz", "summary": "200 when the database answers, 503 when not.",
                        "responses": {"200": {"description": "Healthy."}, "503": {"description": "Database unavailable."}}}
            }
        },
        "components": {"schemas": {
            "Dummy": {"type": "object", "required": ["id", "day", "weekday", "month", "year", "pre_seeded", "created_at", "updated_at"],
                "properties": {
                    "id": {"type": "integer", "format": "int64"},
                    "day": {"type": "integer", "minimum": 1, "maximum": 31},
                    "weekday": {"$ref": "#/components/schemas/Weekday"},
                    "month": {"$ref": "#/components/schemas/Month"},
                    "year": {"type": "integer", "format": "int32"},
                    "pre_seeded": {"type": "boolean"},
                    "created_at": {"type": "string", "format": "date-time"},
                    "updated_at": {"type": "string", "format": "date-time"}
                }},
            "DummyCreate": {"type": "object", "required": ["day", "weekday", "month", "year"],
                "example": {"day": 2, "weekday": "Tuesday", "month": "February", "year": "1985"},
                "description": "Whole numbers may also be sent as numeric strings (\"1985\"); form fields always are. Other keys are ignored.",
                "properties": {
                    "day": day.clone(),
                    "weekday": {"$ref": "#/components/schemas/Weekday"},
                    "month": {"$ref": "#/components/schemas/Month"},
                    "year": year.clone(),
                    "pre_seeded": flag
                }},
            "DummyReplace": {"type": "object", "required": ["day", "weekday", "month", "year"],
                "example": {"day": 1, "weekday": "Monday", "month": "January", "year": 1984},
                "description": "Whole numbers may also be sent as numeric strings (\"1985\"); form fields always are. Other keys are ignored.",
                "properties": {
                    "day": day.clone(),
                    "weekday": {"$ref": "#/components/schemas/Weekday"},
                    "month": {"$ref": "#/components/schemas/Month"},
                    "year": year.clone(),
                    "pre_seeded": pre_seeded_kept.clone()
                }},
            "DummyPatch": {"type": "object",
                "example": {"year": "1985"},
                "description": "Whole numbers may also be sent as numeric strings (\"1985\"); form fields always are. Other keys are ignored.",
                "properties": {
                    "day": day,
                    "weekday": {"$ref": "#/components/schemas/Weekday"},
                    "month": {"$ref": "#/components/schemas/Month"},
                    "year": year,
                    "pre_seeded": pre_seeded_kept
                }},
            "Weekday": {"type": "string", "enum": model::Weekday::ALL.iter().map(|w| w.as_str()).collect::<Vec<_>>()},
            "Month": {"type": "string", "enum": model::Month::ALL.iter().map(|m| m.as_str()).collect::<Vec<_>>()},
            "FieldErrors": {"type": "object", "description": "Messages per field name, e.g. {\"day\": [\"Ensure this value is less than or equal to 31.\"]}.",
                "additionalProperties": {"type": "array", "items": {"type": "string"}}},
            "Detail": {"type": "object", "required": ["detail"], "properties": {"detail": {"type": "string"}}}
        }}
    })
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
        assert_eq!(model::Day::MIN, 1);
    }
}
