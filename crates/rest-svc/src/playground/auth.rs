//! State a client carries: cookies (RFC 6265) and credentials (RFC 9110 section 11,
//! RFC 7617 Basic, RFC 6750 Bearer).
//!
//! ```text
//! GET /api/http/cookies/set?flavour=oat     ->  302  set-cookie: flavour=oat; Path=/
//!                                                    location: /api/http/cookies
//! GET /api/http/cookies                     ->  200  {"cookies":{"flavour":"oat"}}
//! Cookie: flavour=oat
//!
//! GET /api/http/basic-auth/ada/lovelace     ->  401  www-authenticate: Basic realm="playground"
//! GET /api/http/basic-auth/ada/lovelace     ->  200  {"authenticated":true,"user":"ada"}
//! Authorization: Basic YWRhOmxvdmVsYWNl          (base64 of "ada:lovelace": encoded, not encrypted)
//! ```

use actix_web::cookie::Cookie;
use actix_web::http::header;
use actix_web::{HttpRequest, HttpResponse, web};
use base64::Engine;
use serde_json::{Map, Value, json};

use super::limits::MAX_COOKIES;
use crate::error::ApiError;

/// `GET /cookies`: the cookies the request carried, by name.
pub async fn cookies(req: HttpRequest) -> Result<HttpResponse, ApiError> {
    let mut cookies = Map::new();
    for cookie in req
        .cookies()
        .map_err(|e| ApiError::BadRequest(format!("The Cookie header does not parse - {e}")))?
        .iter()
    {
        cookies.insert(
            cookie.name().to_owned(),
            Value::String(cookie.value().to_owned()),
        );
    }
    Ok(HttpResponse::Ok().json(json!({ "cookies": cookies })))
}

/// Query pairs for cookies, checked: names are RFC 6265 tokens, values cookie-octets.
///
/// # Errors
/// 400 for no pair, too many, or a name or value a cookie can't have.
pub fn cookie_pairs(query: &str) -> Result<Vec<(String, String)>, ApiError> {
    let pairs: Vec<(String, String)> = form_urlencoded::parse(query.as_bytes())
        .map(|(name, value)| (name.into_owned(), value.into_owned()))
        .collect();
    if pairs.is_empty() || pairs.len() > MAX_COOKIES {
        return Err(ApiError::BadRequest(format!(
            "Name from 1 to {MAX_COOKIES} cookies in the query (?name=value), not {}.",
            pairs.len()
        )));
    }
    let token = |c: char| c.is_ascii_graphic() && !"()<>@,;:\\\"/[]?={}".contains(c);
    let octet = |c: char| c.is_ascii_graphic() && !"\",;\\".contains(c);
    for (name, value) in &pairs {
        if name.is_empty() || !name.chars().all(token) {
            return Err(ApiError::BadRequest(format!(
                "\"{name}\" is not a cookie name: letters, digits and !#$%&'*+-.^_`|~ only."
            )));
        }
        if !value.chars().all(octet) {
            return Err(ApiError::BadRequest(format!(
                "The value of \"{name}\" has a character a cookie can't carry (space, quote, comma, semicolon, backslash or a control)."
            )));
        }
    }
    Ok(pairs)
}

/// `GET /cookies/set?name=value&…`: sets those cookies (`Path=/`), then `302` to
/// `/cookies`, so a client that keeps cookies shows them there.
///
/// # Errors
/// 400 for no cookie, more than [`MAX_COOKIES`], or a name or value a cookie can't have.
pub async fn set_cookies(req: HttpRequest) -> Result<HttpResponse, ApiError> {
    let mut response = HttpResponse::Found();
    response.insert_header((header::LOCATION, "/api/http/cookies"));
    for (name, value) in cookie_pairs(req.query_string())? {
        response.cookie(Cookie::build(name, value).path("/").finish());
    }
    Ok(response.finish())
}

/// `GET /cookies/delete?name&…`: expires those cookies, then `302` to `/cookies`.
///
/// # Errors
/// As [`set_cookies`].
pub async fn delete_cookies(req: HttpRequest) -> Result<HttpResponse, ApiError> {
    let mut response = HttpResponse::Found();
    response.insert_header((header::LOCATION, "/api/http/cookies"));
    for (name, _) in cookie_pairs(req.query_string())? {
        let mut cookie = Cookie::build(name, "").path("/").finish();
        cookie.make_removal();
        response.cookie(cookie);
    }
    Ok(response.finish())
}

/// The credentials of an `Authorization: <scheme> <credentials>` header.
fn credentials<'a>(req: &'a HttpRequest, scheme: &str) -> Option<&'a str> {
    let value = req.headers().get(header::AUTHORIZATION)?.to_str().ok()?;
    let (given, credentials) = value.split_once(' ')?;
    given
        .eq_ignore_ascii_case(scheme)
        .then(|| credentials.trim())
        .filter(|credentials| !credentials.is_empty())
}

/// `GET /basic-auth/{user}/{password}`: `200` when `Authorization: Basic` carries exactly
/// that user and password, else `401` with a Basic challenge, which makes a browser ask.
///
/// # Errors
/// 401 as said.
pub async fn basic(
    req: HttpRequest,
    path: web::Path<(String, String)>,
) -> Result<HttpResponse, ApiError> {
    let (user, password) = path.into_inner();
    let given = credentials(&req, "Basic")
        .and_then(|encoded| {
            base64::engine::general_purpose::STANDARD
                .decode(encoded)
                .ok()
        })
        .and_then(|decoded| String::from_utf8(decoded).ok());
    if given.as_deref() != Some(&format!("{user}:{password}")) {
        return Err(ApiError::Unauthorized {
            challenge: "Basic realm=\"playground\", charset=\"UTF-8\"",
        });
    }
    Ok(HttpResponse::Ok().json(json!({ "authenticated": true, "user": user })))
}

/// `GET /bearer`: `200` with any `Authorization: Bearer <token>`, else `401` with a
/// Bearer challenge.
///
/// # Errors
/// 401 as said.
pub async fn bearer(req: HttpRequest) -> Result<HttpResponse, ApiError> {
    let token = credentials(&req, "Bearer").ok_or(ApiError::Unauthorized {
        challenge: "Bearer realm=\"playground\"",
    })?;
    Ok(HttpResponse::Ok().json(json!({ "authenticated": true, "token": token })))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cookie_names_and_values_are_checked() {
        assert_eq!(cookie_pairs("a=1&b=x").unwrap().len(), 2);
        assert!(cookie_pairs("").is_err());
        assert!(cookie_pairs("a%20b=1").is_err());
        assert!(cookie_pairs("a=x%3By").is_err());
        assert!(cookie_pairs("a=%0d%0aSet-Cookie:%20x=1").is_err());
        let many = (0..=MAX_COOKIES)
            .map(|i| format!("c{i}=1"))
            .collect::<Vec<_>>();
        assert!(cookie_pairs(&many.join("&")).is_err());
    }
}
