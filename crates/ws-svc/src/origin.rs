//! Which web pages may open a WebSocket here.
//!
//! Browsers send cookies with a WebSocket handshake to any site, and the same-origin
//! policy does not apply to WebSockets: a hostile page could open one to this server
//! on a visitor's behalf ("cross-site WebSocket hijacking"). Browsers always send an
//! `Origin` header, so the server checks it:
//!
//! - no `Origin` header: not a browser (curl, websocat, a Python script): allowed;
//! - the page's origin is this server's own (`Origin` matches `Host`): allowed;
//! - listed in `WS_ALLOWED_ORIGINS` (comma-separated, `*` for any): allowed;
//! - anything else: `403 Forbidden` before the upgrade.

use actix_web::HttpRequest;
use actix_web::http::header;

/// The configured extra origins.
#[derive(Debug, Clone, Default)]
pub struct AllowedOrigins(Vec<String>);

impl AllowedOrigins {
    /// Parses `WS_ALLOWED_ORIGINS`: comma-separated origins such as `http://localhost:3000`, or `*`.
    pub fn parse(list: &str) -> AllowedOrigins {
        AllowedOrigins(
            list.split(',')
                .map(|o| o.trim().trim_end_matches('/').to_ascii_lowercase())
                .filter(|o| !o.is_empty())
                .collect(),
        )
    }

    /// Whether this handshake may proceed.
    pub fn allows(&self, req: &HttpRequest) -> bool {
        let Some(origin) = req
            .headers()
            .get(header::ORIGIN)
            .and_then(|o| o.to_str().ok())
        else {
            return true;
        };
        let origin = origin.trim_end_matches('/').to_ascii_lowercase();
        if self
            .0
            .iter()
            .any(|allowed| allowed == "*" || *allowed == origin)
        {
            return true;
        }
        // Same origin: the Origin's host:port is the Host the request was sent to.
        let host = req.connection_info().host().to_ascii_lowercase();
        origin
            .split_once("://")
            .is_some_and(|(_, origin_host)| origin_host == host)
    }
}

#[cfg(test)]
mod tests {
    use actix_web::test::TestRequest;

    use super::*;

    #[test]
    fn same_origin_listed_origins_and_non_browsers_are_allowed() {
        let none = AllowedOrigins::default();
        let listed = AllowedOrigins::parse("http://localhost:3000/, https://demo.test");
        let req = |origin: Option<&str>| {
            let mut r = TestRequest::default().insert_header((header::HOST, "localhost:8003"));
            if let Some(origin) = origin {
                r = r.insert_header((header::ORIGIN, origin));
            }
            r.to_http_request()
        };
        assert!(none.allows(&req(None)));
        assert!(none.allows(&req(Some("http://localhost:8003"))));
        assert!(!none.allows(&req(Some("http://evil.test"))));
        assert!(listed.allows(&req(Some("http://localhost:3000"))));
        assert!(listed.allows(&req(Some("https://demo.test"))));
        assert!(!listed.allows(&req(Some("http://localhost:3001"))));
        assert!(AllowedOrigins::parse("*").allows(&req(Some("http://anything.test"))));
    }
}
