//! The requests, as they go on the wire, whatever carries them: [`Client`](crate::Client)
//! sends them with reqwest, the shootout with hyper over a connection that counts its
//! bytes. One place says what each protocol's call looks like.
//!
//! ```text
//! REST      GET /api/rest/dummie/7                       (no body)
//! JSON-RPC  POST /api/rpc/json  application/json         {"jsonrpc":"2.0","method":"dummies.get","params":[7],"id":1}
//! XML-RPC   POST /api/rpc/xml   text/xml                 <methodCall><methodName>dummies.get</methodName><params>…
//! gRPC-Web  POST /dummy.v1.DummyService/GetDummy  application/grpc-web+proto   0x00, length (4 bytes), protobuf
//! GraphQL   POST /api/graphql   application/json         {"query":"query($id: ID!) { dummy(id: $id) { id day … } }","variables":{"id":"7"}}
//! ```

use serde_json::{Value, json};

/// One HTTP request: method, path, content type and body.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct HttpCall {
    /// `GET`, `POST`, `PATCH`, `DELETE`.
    pub method: &'static str,
    /// The path and query.
    pub path: String,
    /// The body's `Content-Type`, if there is a body.
    pub content_type: Option<&'static str>,
    /// The body (empty for none).
    pub body: Vec<u8>,
    /// Other headers the protocol sends.
    pub headers: &'static [(&'static str, &'static str)],
}

impl HttpCall {
    fn new(method: &'static str, path: String) -> HttpCall {
        HttpCall {
            method,
            path,
            content_type: None,
            body: Vec::new(),
            headers: &[],
        }
    }

    /// `GET path`, for a server that is none of the services (the shootout's ceilings).
    pub fn get(path: &str) -> HttpCall {
        HttpCall::new("GET", path.to_owned())
    }

    fn with_body(mut self, content_type: &'static str, body: Vec<u8>) -> HttpCall {
        self.content_type = Some(content_type);
        self.body = body;
        self
    }

    /// The request on reqwest, to the server at `base` (`http://host:port`).
    pub fn on(self, http: &reqwest::Client, base: &str) -> reqwest::RequestBuilder {
        let method = reqwest::Method::from_bytes(self.method.as_bytes()).expect("a valid method");
        let mut request = http.request(method, format!("{base}{}", self.path));
        for (name, value) in self.headers {
            request = request.header(*name, *value);
        }
        match self.content_type {
            Some(content_type) => request
                .header(reqwest::header::CONTENT_TYPE, content_type)
                .body(self.body),
            None => request,
        }
    }
}

/// REST: resources under `/api/rest/`, JSON bodies.
pub mod rest {
    use super::{HttpCall, Value};

    /// `GET /api/rest/dummie/{id}`
    pub fn get(id: i64) -> HttpCall {
        HttpCall::new("GET", format!("/api/rest/dummie/{id}"))
    }

    /// `GET /api/rest/dummies?limit={limit}`
    pub fn list(limit: usize) -> HttpCall {
        HttpCall::new("GET", format!("/api/rest/dummies?limit={limit}"))
    }

    /// `POST /api/rest/dummie` with the fields.
    pub fn create(fields: &Value) -> HttpCall {
        HttpCall::new("POST", "/api/rest/dummie".into())
            .with_body("application/json", fields.to_string().into_bytes())
    }

    /// `PATCH /api/rest/dummie/{id}` with the fields to change.
    pub fn patch(id: i64, fields: &Value) -> HttpCall {
        HttpCall::new("PATCH", format!("/api/rest/dummie/{id}"))
            .with_body("application/json", fields.to_string().into_bytes())
    }

    /// `DELETE /api/rest/dummie/{id}`
    pub fn delete(id: i64) -> HttpCall {
        HttpCall::new("DELETE", format!("/api/rest/dummie/{id}"))
    }
}

/// JSON-RPC 2.0: one call object, POSTed to `/api/rpc/json`.
pub mod jsonrpc {
    use super::{HttpCall, Value, json};

    /// A call of `method` with `params` (an array or an object), id 1.
    pub fn call(method: &str, params: &Value) -> HttpCall {
        let body = json!({"jsonrpc": "2.0", "method": method, "params": params, "id": 1});
        HttpCall::new("POST", "/api/rpc/json".into())
            .with_body("application/json", body.to_string().into_bytes())
    }
}

/// XML-RPC: one `<methodCall>`, POSTed to `/api/rpc/xml`; dxr writes the XML.
pub mod xmlrpc {
    use super::HttpCall;

    /// A call of `method` with positional `params`.
    pub fn call(method: &str, params: Vec<dxr::Value>) -> HttpCall {
        let call = dxr::MethodCall {
            name: method.into(),
            params,
        };
        let xml = call.to_xml().expect("a call of plain values");
        HttpCall::new("POST", "/api/rpc/xml".into()).with_body("text/xml", xml.into_bytes())
    }
}

/// GraphQL over HTTP: a document and its variables, POSTed as JSON to `/api/graphql`.
pub mod graphql {
    use super::{HttpCall, Value, json};

    /// Every field of a Dummy, as a selection.
    pub const DUMMY_FIELDS: &str = "id day weekday month year preSeeded createdAt updatedAt";

    /// A request for `query` with `variables`.
    pub fn call(query: &str, variables: &Value) -> HttpCall {
        let body = json!({"query": query, "variables": variables});
        HttpCall::new("POST", "/api/graphql".into())
            .with_body("application/json", body.to_string().into_bytes())
    }

    /// `dummy(id:)` with every field.
    pub fn get(id: i64) -> HttpCall {
        call(
            &format!("query($id: ID!) {{ dummy(id: $id) {{ {DUMMY_FIELDS} }} }}"),
            &json!({"id": id.to_string()}),
        )
    }

    /// `dummies(first:)`: the first `first` rows, every field.
    pub fn list(first: usize) -> HttpCall {
        call(
            &format!(
                "query($first: Int) {{ dummies(first: $first) {{ edges {{ node {{ {DUMMY_FIELDS} }} }} }} }}"
            ),
            &json!({"first": first}),
        )
    }

    /// `patchDummy(id:)` with the fields to change, as `DummyPatchInput`.
    pub fn patch(id: i64, input: &Value) -> HttpCall {
        call(
            &format!(
                "mutation($id: ID!, $input: DummyPatchInput!) {{ patchDummy(id: $id, input: $input) {{ {DUMMY_FIELDS} }} }}"
            ),
            &json!({"id": id.to_string(), "input": input}),
        )
    }

    /// `deleteDummy(id:)`, which answers the deleted id.
    pub fn delete(id: i64) -> HttpCall {
        call(
            "mutation($id: ID!) { deleteDummy(id: $id) }",
            &json!({"id": id.to_string()}),
        )
    }

    /// `createDummy`, with `input` as GraphQL's `DummyInput` (enums in capitals).
    pub fn create(input: &Value) -> HttpCall {
        call(
            &format!(
                "mutation($input: DummyInput!) {{ createDummy(input: $input) {{ {DUMMY_FIELDS} }} }}"
            ),
            &json!({"input": input}),
        )
    }
}

/// gRPC-Web: a gRPC call over HTTP/1.1, its message in a length-prefixed frame.
pub mod grpc_web {
    use super::HttpCall;

    /// A unary call to `path` (`/package.Service/Method`) with one message.
    pub fn call(path: &str, message: &impl prost::Message) -> HttpCall {
        let message = message.encode_to_vec();
        let length = u32::try_from(message.len()).expect("a message under 4 GiB");
        let mut frame = vec![0u8];
        frame.extend_from_slice(&length.to_be_bytes());
        frame.extend_from_slice(&message);
        let mut call =
            HttpCall::new("POST", path.to_owned()).with_body("application/grpc-web+proto", frame);
        call.headers = &[("x-grpc-web", "1")];
        call
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn each_protocol_writes_its_own_envelope() {
        let get = rest::get(7);
        assert_eq!(
            (get.method, get.path.as_str(), get.body.len()),
            ("GET", "/api/rest/dummie/7", 0)
        );
        let call = jsonrpc::call("dummies.get", &json!([7]));
        let body: Value = serde_json::from_slice(&call.body).unwrap();
        assert_eq!(
            body,
            json!({"jsonrpc": "2.0", "method": "dummies.get", "params": [7], "id": 1})
        );
        let xml =
            String::from_utf8(xmlrpc::call("upper", vec![dxr::Value::String("hi".into())]).body)
                .unwrap();
        assert!(xml.contains("<methodName>upper</methodName>"), "{xml}");
        let web = grpc_web::call(
            "/dummy.v1.DummyService/GetDummy",
            &grpc_pb::dummy::GetDummyRequest { id: 7 },
        );
        // Flag 0, a 2-byte message (field 1, varint 7), then the message.
        assert_eq!(web.body, vec![0, 0, 0, 0, 2, 8, 7]);
    }
}
