//! `GET /api/http/openapi.json`: the playground described in OpenAPI 3.0, for client
//! generators and for schemathesis (`scripts/schemathesis.sh` runs it over this
//! document too).
//!
//! Written here as data, beside the routes, rather than derived from attributes: most
//! playground answers are whatever the request asked for (any status, any header), so
//! what a derive would say is little, and what matters (the bounds, which methods each
//! path takes, which statuses can come) reads best in one table. The bounds are
//! [`super::limits`]' constants; `tests/api/playground.rs` calls every operation
//! listed and probes the methods left out.

use actix_web::HttpResponse;
use serde_json::{Value, json};

use super::limits::{
    MAX_CACHE_SECS, MAX_COOKIES, MAX_DELAY_SECS, MAX_DRIP_BYTES, MAX_RANGE_BYTES, MAX_REDIRECTS,
    MAX_RESPONSE_HEADERS, MAX_STREAM_LINES,
};

/// The methods the "any method" routes take: every one OpenAPI 3.0 can name.
const ANY: [&str; 8] = [
    "get", "post", "put", "patch", "delete", "head", "options", "trace",
];

fn detail(description: &str) -> Value {
    json!({"description": description, "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Detail"}}}})
}

fn reflection(description: &str) -> Value {
    json!({"description": description, "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Reflection"}}}})
}

fn object(description: &str) -> Value {
    json!({"description": description, "content": {"application/json": {"schema": {"type": "object"}}}})
}

/// Free-form query parameters: any names, any values.
fn free_query() -> Value {
    json!({"name": "args", "in": "query", "required": false, "style": "form", "explode": true,
           "schema": {"type": "object", "additionalProperties": true}})
}

fn operation(id: &str, summary: &str, parameters: Value, responses: Value) -> Value {
    json!({"operationId": id, "summary": summary, "parameters": parameters, "responses": responses})
}

/// The reflection's operation for one method.
fn reflect(method: &str, id: &str) -> Value {
    let mut op = operation(
        id,
        "The request as the server saw it, whatever it carries.",
        json!([free_query()]),
        json!({"200": reflection("The reflection."), "400": detail("A multipart body that does not parse."),
               "413": detail("Body over the REST body limit.")}),
    );
    if matches!(method, "post" | "put" | "patch") {
        op["requestBody"] = json!({"required": false, "content": {"*/*": {"schema": {}}}});
    }
    op
}

/// The document.
pub fn spec() -> Value {
    let mut paths = serde_json::Map::new();
    let mut add = |path: &str, item: Value| {
        paths.insert(path.to_owned(), item);
    };

    add(
        "/api/http",
        json!({"get": operation("playgroundIndex", "Every endpoint, with an example.", json!([]), json!({"200": object("The endpoints.")}))}),
    );
    add(
        "/api/http/anything",
        Value::Object(
            ANY.iter()
                .map(|m| ((*m).to_owned(), reflect(m, &format!("anything_{m}"))))
                .collect(),
        ),
    );
    for method in ["get", "post", "put", "patch", "delete"] {
        add(
            &format!("/api/http/{method}"),
            json!({ method: reflect(method, method) }),
        );
    }
    add(
        "/api/http/headers",
        json!({"get": operation("headers", "The request's headers, names lowercase.", json!([]), json!({"200": object("{\"headers\": {…}}")}))}),
    );
    add(
        "/api/http/ip",
        json!({"get": operation("ip", "The caller's address.", json!([]), json!({"200": object("{\"origin\": …, \"peer\": …}")}))}),
    );
    add(
        "/api/http/user-agent",
        json!({"get": operation("userAgent", "The User-Agent header.", json!([]), json!({"200": object("{\"user-agent\": …}")}))}),
    );

    let seconds = |name: &str, description: &str| {
        json!({"name": name, "in": "path", "required": true, "description": description,
        "schema": {"type": "number", "minimum": 0, "maximum": MAX_DELAY_SECS}})
    };
    add("/api/http/delay/{seconds}", Value::Object(ANY.iter().map(|m| ((*m).to_owned(), operation(&format!("delay_{m}"),
        "The reflection, after that many seconds.", json!([seconds("seconds", "How long to wait.")]),
        json!({"200": reflection("The reflection, with `delay`."), "400": detail("Not a number of seconds within the bound.")})))).collect()));

    add(
        "/api/http/redirect/{n}",
        json!({"get": operation("redirect", "302 to /redirect/{n-1}, and from /redirect/1 to /get.",
        json!([{"name": "n", "in": "path", "required": true, "schema": {"type": "integer", "minimum": 1, "maximum": MAX_REDIRECTS}},
               {"name": "absolute", "in": "query", "required": false, "schema": {"type": "boolean"}}]),
        json!({"302": {"description": "The next hop.", "headers": {"Location": {"schema": {"type": "string"}}}},
               "400": detail("n out of bounds.")}))}),
    );
    add("/api/http/redirect-to", Value::Object(ANY.iter().map(|m| ((*m).to_owned(), operation(&format!("redirectTo_{m}"),
        "One redirect to a path of this server.",
        json!([{"name": "url", "in": "query", "required": true, "schema": {"type": "string", "pattern": "^/[^/\\\\]"}},
               {"name": "status_code", "in": "query", "required": false, "schema": {"type": "integer", "enum": [300, 301, 302, 303, 305, 307, 308]}}]),
        json!({"300": {"description": "Redirect."}, "301": {"description": "Redirect."}, "302": {"description": "Redirect."},
               "303": {"description": "Redirect."}, "305": {"description": "Redirect."}, "307": {"description": "Redirect."},
               "308": {"description": "Redirect."},
               "400": detail("A URL that is not a path of this server, or a status that is not a redirect.")})))).collect()));

    add("/api/http/response-headers", Value::Object(ANY.iter().map(|m| ((*m).to_owned(), operation(&format!("responseHeaders_{m}"),
        &format!("An answer carrying the headers named in the query (at most {MAX_RESPONSE_HEADERS})."), json!([free_query()]),
        json!({"200": {"description": "The headers, also as the JSON body (unless a Content-Type was asked for).", "content": {"*/*": {"schema": {}}}},
               "400": detail("A name or value HTTP does not allow, a framing header, or too many.")})))).collect()));

    add(
        "/api/http/cache",
        json!({"get": operation("cache", "304 to a conditional GET, else 200 with ETag and Last-Modified.",
        json!([{"name": "If-None-Match", "in": "header", "required": false, "schema": {"type": "string"}},
               {"name": "If-Modified-Since", "in": "header", "required": false, "schema": {"type": "string"}}]),
        json!({"200": reflection("Fresh."), "304": {"description": "Not modified."}}))}),
    );
    add(
        "/api/http/cache/{seconds}",
        json!({"get": operation("cacheFor", "The reflection with Cache-Control: public, max-age=seconds.",
        json!([{"name": "seconds", "in": "path", "required": true, "schema": {"type": "integer", "minimum": 0, "maximum": MAX_CACHE_SECS}}]),
        json!({"200": reflection("With Cache-Control."), "400": detail("Out of bounds.")}))}),
    );
    add(
        "/api/http/etag/{tag}",
        json!({"get": operation("etag", "ETag: \"tag\"; 304 to If-None-Match, 412 to a failed If-Match.",
        json!([{"name": "tag", "in": "path", "required": true, "schema": {"type": "string", "pattern": "^[!#-~]+$"}},
               {"name": "If-None-Match", "in": "header", "required": false, "schema": {"type": "string"}},
               {"name": "If-Match", "in": "header", "required": false, "schema": {"type": "string"}}]),
        json!({"200": reflection("The reflection."), "304": {"description": "Not modified."}, "412": detail("If-Match names no current tag."),
               "400": detail("Not a tag.")}))}),
    );

    add(
        "/api/http/cookies",
        json!({"get": operation("cookies", "The cookies sent.", json!([]), json!({"200": object("{\"cookies\": {…}}"), "400": detail("A Cookie header that does not parse.")}))}),
    );
    let cookie_query = json!([{"name": "cookies", "in": "query", "required": true, "style": "form", "explode": true,
        "schema": {"type": "object", "minProperties": 1, "maxProperties": MAX_COOKIES,
                   "additionalProperties": {"type": "string", "pattern": "^[!#-+\\--:<-\\[\\]-~]*$"}}}]);
    add(
        "/api/http/cookies/set",
        json!({"get": operation("setCookies", "Sets the cookies, then 302 to /cookies.", cookie_query.clone(),
        json!({"302": {"description": "Set.", "headers": {"Set-Cookie": {"schema": {"type": "string"}}, "Location": {"schema": {"type": "string"}}}},
               "400": detail("No cookie, too many, or a name or value a cookie can't have.")}))}),
    );
    add(
        "/api/http/cookies/delete",
        json!({"get": operation("deleteCookies", "Expires the cookies, then 302 to /cookies.", cookie_query,
        json!({"302": {"description": "Expired.", "headers": {"Set-Cookie": {"schema": {"type": "string"}}, "Location": {"schema": {"type": "string"}}}},
               "400": detail("No cookie, too many, or a name a cookie can't have.")}))}),
    );

    add(
        "/api/http/basic-auth/{user}/{password}",
        json!({"get": {"operationId": "basicAuth", "summary": "200 with exactly these Basic credentials.",
        "security": [{"basic": []}],
        "parameters": [{"name": "user", "in": "path", "required": true, "schema": {"type": "string"}},
                       {"name": "password", "in": "path", "required": true, "schema": {"type": "string"}}],
        "responses": {"200": object("{\"authenticated\": true, \"user\": …}"),
                      "401": {"description": "Missing or wrong.", "headers": {"WWW-Authenticate": {"schema": {"type": "string"}}},
                              "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Detail"}}}}}}}),
    );
    add(
        "/api/http/bearer",
        json!({"get": {"operationId": "bearer", "summary": "200 with any Bearer token.",
        "security": [{"bearer": []}], "parameters": [],
        "responses": {"200": object("{\"authenticated\": true, \"token\": …}"),
                      "401": {"description": "No token.", "headers": {"WWW-Authenticate": {"schema": {"type": "string"}}},
                              "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Detail"}}}}}}}),
    );

    for (path, id, coding) in [
        ("/api/http/gzip", "gzip", "gzip"),
        ("/api/http/deflate", "deflate", "deflate"),
        ("/api/http/brotli", "brotli", "br"),
    ] {
        add(
            path,
            json!({"get": operation(id, &format!("The reflection, {coding}-encoded, when Accept-Encoding allows it."),
            json!([{"name": "Accept-Encoding", "in": "header", "required": false, "schema": {"type": "string"}}]),
            json!({"200": {"description": "Encoded.", "headers": {"Content-Encoding": {"schema": {"type": "string", "enum": [coding]}}},
                           "content": {"application/json": {"schema": {}}}},
                   "406": detail("The client does not accept this coding.")}))}),
        );
    }
    add(
        "/api/http/stream/{n}",
        json!({"get": operation("stream", "n JSON lines, each its own chunk.",
        json!([{"name": "n", "in": "path", "required": true, "schema": {"type": "integer", "minimum": 1, "maximum": MAX_STREAM_LINES}}]),
        json!({"200": {"description": "The lines.", "content": {"application/x-ndjson": {"schema": {"type": "string"}}}}, "400": detail("Out of bounds.")}))}),
    );
    add(
        "/api/http/drip",
        json!({"get": operation("drip", "Bytes dribbled over a time.",
        json!([{"name": "duration", "in": "query", "required": false, "schema": {"type": "number", "minimum": 0, "maximum": MAX_DELAY_SECS}},
               {"name": "delay", "in": "query", "required": false, "schema": {"type": "number", "minimum": 0, "maximum": MAX_DELAY_SECS}},
               {"name": "numbytes", "in": "query", "required": false, "schema": {"type": "integer", "minimum": 1, "maximum": MAX_DRIP_BYTES}},
               {"name": "code", "in": "query", "required": false, "schema": {"type": "integer", "minimum": 200, "maximum": 599}}]),
        json!({"default": {"description": "The bytes, with the status asked for.", "content": {"application/octet-stream": {"schema": {"type": "string"}}}},
               "400": detail("A value out of bounds.")}))}),
    );
    add(
        "/api/http/range/{n}",
        json!({"get": operation("range", "n bytes, honouring Range.",
        json!([{"name": "n", "in": "path", "required": true, "schema": {"type": "integer", "minimum": 1, "maximum": MAX_RANGE_BYTES}},
               {"name": "Range", "in": "header", "required": false, "schema": {"type": "string"}}]),
        json!({"200": {"description": "All of it.", "content": {"application/octet-stream": {"schema": {"type": "string"}}}},
               "206": {"description": "The range.", "headers": {"Content-Range": {"schema": {"type": "string"}}}, "content": {"application/octet-stream": {"schema": {"type": "string"}}}},
               "416": detail("The range starts past the end."), "400": detail("n out of bounds.")}))}),
    );
    add("/api/http/status/{codes}", Value::Object(ANY.iter().map(|m| ((*m).to_owned(), operation(&format!("status_{m}"),
        "That status, or one of a weighted list.",
        json!([{"name": "codes", "in": "path", "required": true, "schema": {"type": "string"}}]),
        json!({"default": {"description": "The status asked for (JSON naming it, no body for 204 and 304).", "content": {"application/json": {"schema": {}}}}})))).collect()));

    json!({
        "openapi": "3.0.3",
        "info": {"title": "protocols HTTP playground", "version": env!("CARGO_PKG_VERSION"),
                 "description": "Endpoints to poke, after httpbin: the request reflected, or the status, delay, redirect, cookie, encoding or range it asks for."},
        "paths": paths,
        "components": {
            "securitySchemes": {"basic": {"type": "http", "scheme": "basic"}, "bearer": {"type": "http", "scheme": "bearer"}},
            "schemas": {
                "Detail": {"type": "object", "required": ["detail"], "properties": {"detail": {"type": "string"}}},
                "Reflection": {"type": "object", "required": ["method", "url", "http_version", "args", "headers", "origin", "peer"],
                    "properties": {
                        "method": {"type": "string"}, "url": {"type": "string"}, "http_version": {"type": "string"},
                        "args": {"type": "object"}, "headers": {"type": "object", "additionalProperties": {"type": "string"}},
                        "origin": {"type": "string"}, "peer": {"type": "string"},
                        "data": {"type": "string"}, "form": {"type": "object"}, "files": {"type": "object"}, "json": {},
                        "delay": {"type": "number"}}},
            },
        },
    })
}

/// `GET /api/http/openapi.json`.
pub async fn document() -> HttpResponse {
    HttpResponse::Ok().json(spec())
}
