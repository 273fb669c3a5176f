//! `/api/ws/`: which WebSocket endpoints exist.
//!
//! A WebSocket path cannot be listed by the protocol itself (there is no `OPTIONS`
//! or directory listing over a socket), so the service says it over plain HTTP, in the
//! form the client asked for:
//!
//! - **JSON** by default (`curl`, `httpie`, scripts):
//!
//!   ```text
//!   $ curl -s localhost:8080/api/ws/
//!   {"endpoints":[{"path":"/api/ws/echo/","websocket":true,"description":"every message back …"},…],
//!    "note":"Every path also answers without its trailing slash. …"}
//!   ```
//!
//! - **HTML**, a small page with links, when the `Accept` header lists `text/html` (what
//!   a browser sends when you open the URL).
//!
//! Both are written from the one table [`ENDPOINTS`], and the answer carries
//! `Vary: Accept` so a cache keeps the two apart.

use actix_web::http::header;
use actix_web::{HttpRequest, HttpResponse};
use serde::Serialize;
use serde_json::json;

/// One row of the index.
#[derive(Debug, Serialize)]
pub struct Endpoint {
    /// The canonical path (with the trailing slash); `{room}` stands for a room name.
    pub path: &'static str,
    /// Whether the path takes a WebSocket handshake (every path also serves a page).
    pub websocket: bool,
    /// What it does, in one line.
    pub description: &'static str,
}

/// Every path under `/api/ws/`, in the order the index shows them.
pub const ENDPOINTS: &[Endpoint] = &[
    Endpoint {
        path: "/api/ws/echo/",
        websocket: true,
        description: "every message back to its sender; {\"message\": \"hi\", \"delay\": 2} answers 2 s later",
    },
    Endpoint {
        path: "/api/ws/chat/",
        websocket: false,
        description: "a room picker page",
    },
    Endpoint {
        path: "/api/ws/chat/{room}/",
        websocket: true,
        description: "a chat room (names of letters, digits and _); every member gets {\"message\", \"room\", \"sender\", \"timestamp\"}",
    },
    Endpoint {
        path: "/api/ws/async_chat/{room}/",
        websocket: true,
        description: "the same rooms under the original project's second path",
    },
    Endpoint {
        path: "/api/ws/dummies/",
        websocket: true,
        description: "a live feed: {\"event\": \"created\" | \"updated\" | \"deleted\", \"dummy\": {…}} for writes through any protocol",
    },
    Endpoint {
        path: "/api/ws/raw/",
        websocket: true,
        description: "the raw echo: any frame back as it came, text or binary; ?close_after=N&code=4000&reason=bye closes, ?ping_every=1 pings",
    },
];

/// The index's closing remark, in both forms.
const NOTE: &str = "Every path also answers without its trailing slash. A plain GET (no Upgrade \
                    header) of a WebSocket path answers the browser page that uses it.";

/// The pages' icon, inline, so a browser asks for no `/favicon.ico` (as in `web/`).
const ICON: &str = "data:image/svg+xml,%3Csvg xmlns='http://www.w3.org/2000/svg' viewBox='0 0 16 16'%3E\
                    %3Crect width='16' height='16' rx='3' fill='%23264b73'/%3E\
                    %3Cpath d='M3 5.5h9M9.5 3l2.5 2.5-2.5 2.5M13 10.5H4M6.5 8 4 10.5 6.5 13' \
                    stroke='%23fff' stroke-width='1.5' fill='none'/%3E%3C/svg%3E";

/// `GET /api/ws/` (and `/api/ws`): the endpoints as JSON, or as HTML for a browser.
pub async fn index(req: HttpRequest) -> HttpResponse {
    let mut answer = HttpResponse::Ok();
    answer.insert_header((header::VARY, "Accept"));
    if wants_html(&req) {
        answer.content_type("text/html; charset=utf-8").body(html())
    } else {
        answer.json(json!({"endpoints": ENDPOINTS, "note": NOTE}))
    }
}

/// Whether the client listed `text/html` in `Accept` (browsers do; curl sends `*/*`).
fn wants_html(req: &HttpRequest) -> bool {
    req.headers()
        .get_all(header::ACCEPT)
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(','))
        .any(|media| {
            media
                .split(';')
                .next()
                .is_some_and(|t| t.trim().eq_ignore_ascii_case("text/html"))
        })
}

/// The small HTML page: one row per endpoint, a link where the path has no `{room}`.
fn html() -> String {
    let mut rows = String::new();
    for endpoint in ENDPOINTS {
        let shown = escape(endpoint.path);
        let path = if endpoint.path.contains('{') {
            format!("<code>{shown}</code>")
        } else {
            format!("<a href=\"{shown}\"><code>{shown}</code></a>")
        };
        let kind = if endpoint.websocket {
            "WebSocket and page"
        } else {
            "page"
        };
        rows += &format!(
            "<tr><td>{path}</td><td>{kind}</td><td>{}</td></tr>\n",
            escape(endpoint.description)
        );
    }
    format!(
        "<!doctype html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n\
         <meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n\
         <title>WebSocket endpoints · protocols</title>\n<link rel=\"icon\" href=\"{ICON}\">\n\
         <style>body {{ font: 16px/1.5 system-ui, sans-serif; max-width: 60rem; margin: 2rem auto; padding: 0 1rem; color: #222; }} \
         td {{ border-top: 1px solid #ddd; padding: .3rem .6rem .3rem 0; vertical-align: top; }} \
         code {{ background: #f3f3f3; border-radius: 3px; padding: 0 .25rem; font-size: .85rem; }}</style>\n\
         </head>\n<body data-ready=\"true\">\n<h1>WebSocket endpoints</h1>\n<table>\n{rows}</table>\n<p>{}</p>\n\
         <p>The same list as JSON: ask without <code>text/html</code> in <code>Accept</code> (as curl does).</p>\n\
         </body>\n</html>\n",
        escape(NOTE)
    )
}

fn escape(text: &str) -> String {
    text.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn browsers_get_html_and_everyone_else_json() {
        let with = |accept: &str| {
            actix_web::test::TestRequest::default()
                .insert_header((header::ACCEPT, accept))
                .to_http_request()
        };
        assert!(wants_html(&with(
            "text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8"
        )));
        assert!(!wants_html(&with("*/*")));
        assert!(!wants_html(&with("application/json, */*;q=0.5")));
        assert!(!wants_html(
            &actix_web::test::TestRequest::default().to_http_request()
        ));
    }

    #[test]
    fn the_page_links_every_path_without_a_placeholder() {
        let page = html();
        assert!(page.contains("<a href=\"/api/ws/echo/\">"));
        assert!(page.contains("<code>/api/ws/chat/{room}/</code>"));
        assert!(!page.contains("href=\"/api/ws/chat/{room}/\""));
    }
}
