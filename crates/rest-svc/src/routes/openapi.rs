//! `GET /api/rest/openapi.json`: an OpenAPI 3.0 description of this API.
//!
//! Written by hand, next to the routes it describes; the integration test
//! `openapi::every_documented_operation_is_routed` calls every operation listed here
//! against the running service, and `every_route_is_documented` checks the other way
//! round, so the document and the routes cannot drift apart unnoticed.

use actix_web::HttpResponse;
use serde_json::{Value, json};

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
    let body = |required: bool| {
        let schema = if required {
            "#/components/schemas/DummyInput"
        } else {
            "#/components/schemas/DummyPatch"
        };
        json!({
            "required": true,
            "content": {
                "application/json": {"schema": {"$ref": schema}},
                "application/x-www-form-urlencoded": {"schema": {"$ref": schema}},
                "multipart/form-data": {"schema": {"$ref": schema}}
            }
        })
    };
    let one = json!({"description": "The Dummy.", "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Dummy"}}}});
    let err = |description: &str, schema: &str| json!({"description": description, "content": {"application/json": {"schema": {"$ref": format!("#/components/schemas/{schema}")}}}});
    let item = json!({
        "parameters": [id_param],
        "get": {"operationId": "getDummy", "summary": "One Dummy by id.", "responses": {
            "200": one, "404": err("No Dummy has this id.", "Detail")}},
        "put": {"operationId": "replaceDummy", "summary": "Full update: all four fields are required.",
            "requestBody": body(true), "responses": {
            "200": one, "400": err("Field errors.", "FieldErrors"), "404": err("No Dummy has this id.", "Detail"),
            "413": err("Body over the limit.", "Detail"), "415": err("Unsupported content type.", "Detail")}},
        "patch": {"operationId": "patchDummy", "summary": "Partial update: any subset of the fields.",
            "requestBody": body(false), "responses": {
            "200": one, "400": err("Field errors.", "FieldErrors"), "404": err("No Dummy has this id.", "Detail"),
            "413": err("Body over the limit.", "Detail"), "415": err("Unsupported content type.", "Detail")}},
        "delete": {"operationId": "deleteDummy", "summary": "Delete one Dummy.", "responses": {
            "204": {"description": "Deleted; no body."}, "404": err("No Dummy has this id.", "Detail")}}
    });
    let create = json!({"operationId": "createDummy", "summary": "Create a Dummy.", "requestBody": body(true),
        "responses": {
            "201": {"description": "Created.", "headers": {"Location": {"schema": {"type": "string"}}},
                    "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Dummy"}}}},
            "400": err("Field errors, or a body that does not parse.", "FieldErrors"),
            "413": err("Body over the limit.", "Detail"),
            "415": err("Unsupported content type.", "Detail")}});
    let int_query = |name: &str, description: &str| json!({"name": name, "in": "query", "required": false, "description": description, "schema": {"type": "integer", "format": "int64"}});
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
                         "schema": {"type": "array", "items": {"type": "integer", "format": "int64"}, "maxItems": 1000}},
                        int_query("limit", "Page size, 1..=10000. A full page carries a Link rel=\"next\" header."),
                        int_query("after", "Keyset pagination: only ids greater than this."),
                        int_query("offset", "Skip this many rows.")
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
            "DummyInput": {"type": "object", "required": ["day", "weekday", "month", "year"],
                "description": "Whole numbers may also be sent as numeric strings (\"1985\"); form fields always are.",
                "properties": {
                    "day": {"type": "integer", "minimum": 1, "maximum": 31},
                    "weekday": {"$ref": "#/components/schemas/Weekday"},
                    "month": {"$ref": "#/components/schemas/Month"},
                    "year": {"type": "integer", "format": "int32"},
                    "pre_seeded": {"type": "boolean", "default": false, "description": "Read on create only."}
                }},
            "DummyPatch": {"type": "object",
                "properties": {
                    "day": {"type": "integer", "minimum": 1, "maximum": 31},
                    "weekday": {"$ref": "#/components/schemas/Weekday"},
                    "month": {"$ref": "#/components/schemas/Month"},
                    "year": {"type": "integer", "format": "int32"}
                }},
            "Weekday": {"type": "string", "enum": model::Weekday::ALL.iter().map(|w| w.as_str()).collect::<Vec<_>>()},
            "Month": {"type": "string", "enum": model::Month::ALL.iter().map(|m| m.as_str()).collect::<Vec<_>>()},
            "FieldErrors": {"type": "object", "description": "Messages per field name, e.g. {\"day\": [\"Ensure this value is less than or equal to 31.\"]}.",
                "additionalProperties": {"type": "array", "items": {"type": "string"}}},
            "Detail": {"type": "object", "required": ["detail"], "properties": {"detail": {"type": "string"}}}
        }}
    })
}
