//! `GET /api/rest/openapi.json`: an OpenAPI 3.0 description of this API.
//!
//! Derived by [utoipa] from the code it describes: each handler carries its operation
//! (`#[utoipa::path]` in [`super::dummies`]: path, status codes, bodies), the answer's
//! schema is [`model::DummyJson`]'s, the request bodies' are [`crate::dto`]'s, the
//! errors' [`crate::error`]'s. [`ApiDoc`] gathers them; [`Aliases`] adds what the
//! attributes cannot say (the plural paths the router also serves, the `id` every
//! operation on a record shares, `/healthz` from `runtime`).
//!
//! Checked three ways: the integration tests call every documented operation against
//! the running service and probe every method the document leaves out (so document
//! and routes cannot drift apart unnoticed) and compare it with
//! `tests/api/openapi.golden.json` (so a change to what clients read is made on
//! purpose); the `conformance` tests check bodies, queries and 400 answers against it
//! with Python's `jsonschema`, and `scripts/schemathesis.sh` (in CI) runs schemathesis
//! over every operation.
//!
//! utoipa writes OpenAPI 3.1; this document keeps to what 3.0 and 3.1 read alike (no
//! `null` types, one `example` per schema), and is served as 3.0.3, which more tools
//! of the field read.

use actix_web::HttpResponse;
use serde_json::Value;
use utoipa::openapi::path::{OperationBuilder, ParameterBuilder, ParameterIn, PathItem};
use utoipa::openapi::{
    HttpMethod, KnownFormat, ObjectBuilder, OpenApi as Document, ResponseBuilder, SchemaFormat,
    Type,
};
use utoipa::{Modify, OpenApi};

use super::dummies;

/// The document: every operation and the schemas they name.
#[derive(OpenApi)]
#[openapi(
    info(
        title = "protocols REST API",
        description = "CRUD over the shared Dummy record, compatible with the original Django REST API."
    ),
    paths(
        dummies::list,
        dummies::create,
        dummies::read,
        dummies::replace,
        dummies::patch,
        dummies::delete,
        document
    ),
    modifiers(&Aliases)
)]
pub struct ApiDoc;

/// What the handlers' attributes cannot say.
pub struct Aliases;

impl Modify for Aliases {
    fn modify(&self, doc: &mut Document) {
        let paths = &mut doc.paths.paths;
        // The `id` of `/dummie/{id}`, shared by each operation on the record.
        let id = ParameterBuilder::new()
            .name("id")
            .parameter_in(ParameterIn::Path)
            .required(utoipa::openapi::Required::True)
            .description(Some(
                "The Dummy's id. A value that is not a whole number matches no route (404).",
            ))
            .schema(Some(
                ObjectBuilder::new()
                    .schema_type(Type::Integer)
                    .format(Some(SchemaFormat::KnownFormat(KnownFormat::Int64)))
                    .minimum(Some(0)),
            ))
            .build();
        if let Some(item) = paths.get_mut("/api/rest/dummie/{id}") {
            item.parameters = Some(vec![id]);
        }
        // The router serves each record operation under the plural path too, and the
        // create under both.
        for (alias, original) in [
            ("/api/rest/dummies/{id}", "/api/rest/dummie/{id}"),
            ("/api/rest/dummies", "/api/rest/dummie"),
        ] {
            let Some(original) = paths.get(original).cloned() else {
                continue;
            };
            let alias = paths.entry(alias.to_owned()).or_default();
            alias.parameters = alias.parameters.take().or(original.parameters);
            alias.post = alias.post.take().or(original.post);
            alias.get = alias.get.take().or(original.get);
            alias.put = alias.put.take().or(original.put);
            alias.patch = alias.patch.take().or(original.patch);
            alias.delete = alias.delete.take().or(original.delete);
        }
        // `/healthz` is `runtime::health`, the same handler in every service.
        let health = OperationBuilder::new()
            .operation_id(Some("healthz"))
            .summary(Some("200 when the database answers, 503 when not."))
            .response("200", ResponseBuilder::new().description("Healthy."))
            .response(
                "503",
                ResponseBuilder::new().description("Database unavailable."),
            );
        paths.insert(
            "/healthz".to_owned(),
            PathItem::new(HttpMethod::Get, health),
        );
    }
}

/// This document.
#[utoipa::path(get, path = "/api/rest/openapi.json", operation_id = "openapi",
    responses((status = 200, description = "OpenAPI 3 JSON.")))]
pub async fn document() -> HttpResponse {
    HttpResponse::Ok().json(spec())
}

/// The OpenAPI document as JSON, as served.
pub fn spec() -> Value {
    let mut doc = ApiDoc::openapi();
    // Not a license of the API: Cargo's, which utoipa reads by default.
    doc.info.license = None;
    let mut json = serde_json::to_value(doc).expect("an OpenAPI document is JSON");
    json["openapi"] = "3.0.3".into();
    drop_ref_siblings(&mut json);
    json
}

/// OpenAPI 3.0 ignores whatever stands beside a `$ref`, where utoipa (writing 3.1)
/// puts a field's doc comment: keep the reference alone.
fn drop_ref_siblings(value: &mut Value) {
    match value {
        Value::Object(map) => {
            if map.contains_key("$ref") {
                map.retain(|key, _| key == "$ref");
            }
            map.values_mut().for_each(drop_ref_siblings);
        }
        Value::Array(items) => items.iter_mut().for_each(drop_ref_siblings),
        _ => {}
    }
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    #[test]
    fn a_reference_stands_alone() {
        let mut doc = json!({"a": {"$ref": "#/x", "description": "d"}, "b": [{"$ref": "#/y", "title": "t"}], "c": {"description": "kept"}});
        drop_ref_siblings(&mut doc);
        assert_eq!(
            doc,
            json!({"a": {"$ref": "#/x"}, "b": [{"$ref": "#/y"}], "c": {"description": "kept"}})
        );
    }

    /// The bounds written as literals in `#[utoipa::path]` and `#[schema]` attributes
    /// (utoipa reads no constants there) are the model's.
    #[test]
    fn the_documented_bounds_are_the_models() {
        let doc = spec();
        let list = &doc["paths"]["/api/rest/dummies"]["get"]["parameters"];
        let param = |name: &str| {
            list.as_array()
                .unwrap()
                .iter()
                .find(|p| p["name"] == name)
                .unwrap()["schema"]
                .clone()
        };
        assert_eq!(param("id")["maxItems"], json!(model::MAX_IDS));
        assert_eq!(param("limit")["maximum"], json!(model::MAX_PAGE));
        let day = &doc["components"]["schemas"]["Dummy"]["properties"]["day"];
        assert_eq!(day["minimum"], json!(model::Day::MIN));
        assert_eq!(day["maximum"], json!(model::Day::MAX));
    }
}
