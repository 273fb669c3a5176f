//! The HTTP playground (`/api/http/…`) with reqwest, which never follows a redirect
//! or decodes a body here, so each answer is checked as it left the server; and with
//! curl, as a learner would poke it. The playground does not touch the database, so
//! these run on SQLite only.

use std::io::Read;
use std::time::{Duration, Instant};

use reqwest::header;
use serde_json::{Value, json};
use test_support::Backend;

use crate::helpers::{TestApp, curl, expect_json};

/// A client that shows each answer as it came: no redirects followed, no decoding.
fn raw_client() -> reqwest::Client {
    reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .timeout(Duration::from_secs(30))
        .build()
        .unwrap()
}

async fn playground() -> (TestApp, reqwest::Client, impl Fn(&str) -> String) {
    let app = TestApp::spawn(Backend::Sqlite).await;
    let base = app.url("/api/http");
    (app, raw_client(), move |path: &str| format!("{base}{path}"))
}

async fn anything_reflects_the_request_and_every_kind_of_body() {
    let (_app, client, url) = playground().await;

    let response = client
        .put(url("/anything/a/b?x=1&x=2&y=%C3%A9"))
        .header("X-Custom", "one")
        .json(&json!({"day": 2}))
        .send()
        .await
        .unwrap();
    assert_eq!(response.headers()["x-http-version"], "HTTP/1.1");
    let body = expect_json(response, 200).await;
    assert_eq!(body["method"], "PUT");
    assert!(
        body["url"]
            .as_str()
            .unwrap()
            .ends_with("/api/http/anything/a/b?x=1&x=2&y=%C3%A9")
    );
    assert_eq!(body["http_version"], "HTTP/1.1");
    assert_eq!(body["args"], json!({"x": ["1", "2"], "y": "é"}));
    assert_eq!(body["headers"]["x-custom"], "one");
    assert_eq!(body["origin"], "127.0.0.1");
    assert_eq!(body["json"], json!({"day": 2}));
    assert_eq!(body["data"], r#"{"day":2}"#);

    let form = reqwest::multipart::Form::new().text("day", "2").part(
        "photo",
        reqwest::multipart::Part::bytes(vec![0xff, 0xd8, 0x00])
            .file_name("a.jpg")
            .mime_str("image/jpeg")
            .unwrap(),
    );
    let body = expect_json(
        client
            .post(url("/post"))
            .multipart(form)
            .send()
            .await
            .unwrap(),
        200,
    )
    .await;
    assert_eq!(body["form"], json!({"day": "2"}));
    assert_eq!(
        body["files"],
        json!({"photo": "data:image/jpeg;base64,/9gA"})
    );

    let body = expect_json(
        client
            .delete(url("/delete"))
            .body(vec![0x80, 0x81])
            .send()
            .await
            .unwrap(),
        200,
    )
    .await;
    assert_eq!(body["data"], "data:application/octet-stream;base64,gIE=");
    assert_eq!(body["json"], Value::Null);

    // Each method route takes its method only; a body over the REST limit is 413.
    let response = client.post(url("/get")).send().await.unwrap();
    assert_eq!(response.headers()["allow"], "GET, HEAD");
    expect_json(response, 405).await;
    let big = vec![b'a'; crate::helpers::BODY_LIMIT + 1];
    expect_json(
        client
            .post(url("/anything"))
            .body(big)
            .send()
            .await
            .unwrap(),
        413,
    )
    .await;
    expect_json(client.get(url("/nothing-here")).send().await.unwrap(), 404).await;

    let body = expect_json(
        client
            .get(url("/user-agent"))
            .header("User-Agent", "poke/1")
            .send()
            .await
            .unwrap(),
        200,
    )
    .await;
    assert_eq!(body, json!({"user-agent": "poke/1"}));
    let body = expect_json(
        client
            .get(url("/ip"))
            .header("X-Forwarded-For", "203.0.113.9")
            .send()
            .await
            .unwrap(),
        200,
    )
    .await;
    assert_eq!(body["origin"], "203.0.113.9", "the proxy's word wins");
    assert!(body["peer"].as_str().unwrap().starts_with("127.0.0.1:"));
}

async fn statuses_delays_and_redirects_come_as_asked() {
    let (_app, client, url) = playground().await;

    let teapot = client.post(url("/status/418")).send().await.unwrap();
    assert_eq!(
        expect_json(teapot, 418).await,
        json!({"status": 418, "reason": "I'm a teapot"})
    );
    let empty = client.get(url("/status/204")).send().await.unwrap();
    assert_eq!(empty.status(), 204);
    assert!(empty.bytes().await.unwrap().is_empty());
    let moved = client.get(url("/status/301")).send().await.unwrap();
    assert_eq!(moved.headers()["location"], "/api/http/redirect/1");
    let mut seen = std::collections::BTreeSet::new();
    for _ in 0..40 {
        let response = client.get(url("/status/200:1,503:1")).send().await.unwrap();
        seen.insert(response.status().as_u16());
    }
    assert_eq!(seen, [200, 503].into(), "both codes come up");
    for absurd in ["/status/99", "/status/600", "/status/abc", "/status/200:0"] {
        let body = expect_json(client.get(url(absurd)).send().await.unwrap(), 400).await;
        assert!(
            body["detail"].as_str().unwrap().contains("200"),
            "{absurd}: {body}"
        );
    }

    let started = Instant::now();
    let body = expect_json(client.get(url("/delay/0.3")).send().await.unwrap(), 200).await;
    assert!(started.elapsed() >= Duration::from_millis(300));
    assert_eq!(body["delay"], 0.3);
    for absurd in ["/delay/11", "/delay/-1", "/delay/NaN", "/delay/soon"] {
        let body = expect_json(client.get(url(absurd)).send().await.unwrap(), 400).await;
        assert!(
            body["detail"].as_str().unwrap().contains("from 0 to 10"),
            "{absurd}"
        );
    }

    let mut next = url("/redirect/3");
    let mut hops = Vec::new();
    for _ in 0..3 {
        let response = client.get(&next).send().await.unwrap();
        assert_eq!(response.status(), 302);
        let location = response.headers()["location"].to_str().unwrap().to_owned();
        hops.push(location.clone());
        next = format!("{}{location}", url("").trim_end_matches("/api/http"));
    }
    assert_eq!(
        hops,
        [
            "/api/http/redirect/2",
            "/api/http/redirect/1",
            "/api/http/get"
        ]
    );
    let absolute = client
        .get(url("/redirect/2?absolute=true"))
        .send()
        .await
        .unwrap();
    assert_eq!(
        absolute.headers()["location"].to_str().unwrap(),
        url("/redirect/1?absolute=true")
    );
    expect_json(client.get(url("/redirect/21")).send().await.unwrap(), 400).await;
    expect_json(client.get(url("/redirect/0")).send().await.unwrap(), 400).await;

    let to = client
        .get(url("/redirect-to?url=/api/rest/dummies&status_code=307"))
        .send()
        .await
        .unwrap();
    assert_eq!(to.status(), 307);
    assert_eq!(to.headers()["location"], "/api/rest/dummies");
    for foreign in [
        "http://example.com/",
        "//example.com/",
        "/\\example.com",
        "example.com",
        "",
        "/api/http/redirect-to?url=/",
    ] {
        let query = format!("/redirect-to?url={}", urlencode(foreign));
        expect_json(client.get(url(&query)).send().await.unwrap(), 400).await;
    }
    expect_json(
        client
            .get(url("/redirect-to?url=/x&status_code=200"))
            .send()
            .await
            .unwrap(),
        400,
    )
    .await;
}

fn urlencode(text: &str) -> String {
    url::form_urlencoded::byte_serialize(text.as_bytes()).collect()
}

async fn cookies_and_credentials_are_checked() {
    let (_app, client, url) = playground().await;

    let set = client
        .get(url("/cookies/set?flavour=oat&size=large"))
        .send()
        .await
        .unwrap();
    assert_eq!(set.status(), 302);
    assert_eq!(set.headers()["location"], "/api/http/cookies");
    let cookies: Vec<&str> = set
        .headers()
        .get_all(header::SET_COOKIE)
        .iter()
        .map(|value| value.to_str().unwrap())
        .collect();
    assert_eq!(cookies, ["flavour=oat; Path=/", "size=large; Path=/"]);
    let shown = client
        .get(url("/cookies"))
        .header(header::COOKIE, "flavour=oat; size=large")
        .send()
        .await
        .unwrap();
    assert_eq!(
        expect_json(shown, 200).await,
        json!({"cookies": {"flavour": "oat", "size": "large"}})
    );
    let deleted = client
        .get(url("/cookies/delete?size"))
        .send()
        .await
        .unwrap();
    let removal = deleted.headers()[header::SET_COOKIE].to_str().unwrap();
    assert!(
        removal.starts_with("size=; ") && removal.contains("Max-Age=0"),
        "{removal}"
    );
    for bad in ["", "a%20b=1", "a=x%3By", "a=%0D%0ASet-Cookie:%20evil=1"] {
        let response = client
            .get(url(&format!("/cookies/set?{bad}")))
            .send()
            .await
            .unwrap();
        assert!(response.headers().get(header::SET_COOKIE).is_none());
        expect_json(response, 400).await;
    }

    let good = client
        .get(url("/basic-auth/ada/lovelace"))
        .basic_auth("ada", Some("lovelace"))
        .send()
        .await
        .unwrap();
    assert_eq!(
        expect_json(good, 200).await,
        json!({"authenticated": true, "user": "ada"})
    );
    for request in [
        client.get(url("/basic-auth/ada/lovelace")),
        client
            .get(url("/basic-auth/ada/lovelace"))
            .basic_auth("ada", Some("babbage")),
        client
            .get(url("/basic-auth/ada/lovelace"))
            .header(header::AUTHORIZATION, "Basic !!!"),
    ] {
        let response = request.send().await.unwrap();
        assert!(
            response.headers()[header::WWW_AUTHENTICATE]
                .to_str()
                .unwrap()
                .starts_with("Basic realm=")
        );
        expect_json(response, 401).await;
    }
    let bearer = client
        .get(url("/bearer"))
        .bearer_auth("t0ken")
        .send()
        .await
        .unwrap();
    assert_eq!(expect_json(bearer, 200).await["token"], "t0ken");
    let none = client.get(url("/bearer")).send().await.unwrap();
    assert!(
        none.headers()[header::WWW_AUTHENTICATE]
            .to_str()
            .unwrap()
            .starts_with("Bearer")
    );
    expect_json(none, 401).await;
}

async fn codings_streams_drips_and_ranges_travel_as_http_says() {
    let (_app, client, url) = playground().await;

    type Decode = fn(&[u8]) -> Vec<u8>;
    let codings: [(&str, &str, &str, Decode); 3] = [
        ("/gzip", "gzip", "gzipped", |b| {
            let mut out = Vec::new();
            flate2::read::GzDecoder::new(b)
                .read_to_end(&mut out)
                .unwrap();
            out
        }),
        ("/deflate", "deflate", "deflated", |b| {
            let mut out = Vec::new();
            flate2::read::ZlibDecoder::new(b)
                .read_to_end(&mut out)
                .unwrap();
            out
        }),
        ("/brotli", "br", "brotli", |b| {
            let mut out = Vec::new();
            brotli::Decompressor::new(b, 4096)
                .read_to_end(&mut out)
                .unwrap();
            out
        }),
    ];
    for (path, token, flag, decode) in codings {
        let response = client
            .get(url(path))
            .header(header::ACCEPT_ENCODING, format!("identity, {token}"))
            .send()
            .await
            .unwrap();
        assert_eq!(response.status(), 200);
        assert_eq!(response.headers()[header::CONTENT_ENCODING], token);
        assert_eq!(response.headers()[header::VARY], "accept-encoding");
        let body: Value =
            serde_json::from_slice(&decode(&response.bytes().await.unwrap())).unwrap();
        assert_eq!(body[flag], true, "{path}");
        for refusing in ["identity", &format!("{token};q=0"), ""] {
            let response = client
                .get(url(path))
                .header(header::ACCEPT_ENCODING, refusing)
                .send()
                .await
                .unwrap();
            let body = expect_json(response, 406).await;
            assert!(
                body["detail"].as_str().unwrap().contains(token),
                "{path} {refusing:?}"
            );
        }
    }

    let stream = client.get(url("/stream/3")).send().await.unwrap();
    assert_eq!(stream.headers()[header::TRANSFER_ENCODING], "chunked");
    let text = stream.text().await.unwrap();
    let ids: Vec<Value> = text
        .lines()
        .map(|line| serde_json::from_str::<Value>(line).unwrap()["id"].clone())
        .collect();
    assert_eq!(ids, [json!(0), json!(1), json!(2)]);
    expect_json(client.get(url("/stream/101")).send().await.unwrap(), 400).await;

    let started = Instant::now();
    let drip = client
        .get(url("/drip?duration=0.4&numbytes=5&code=202"))
        .send()
        .await
        .unwrap();
    assert_eq!(drip.status(), 202);
    assert_eq!(drip.headers()[header::CONTENT_LENGTH], "5");
    assert_eq!(drip.bytes().await.unwrap(), "*****");
    assert!(
        started.elapsed() >= Duration::from_millis(300),
        "spread over the duration"
    );
    for absurd in [
        "numbytes=0",
        "numbytes=10001",
        "duration=11",
        "delay=-1",
        "code=99",
    ] {
        expect_json(
            client
                .get(url(&format!("/drip?{absurd}")))
                .send()
                .await
                .unwrap(),
            400,
        )
        .await;
    }

    let whole = client.get(url("/range/30")).send().await.unwrap();
    assert_eq!(whole.headers()[header::ACCEPT_RANGES], "bytes");
    assert_eq!(
        whole.bytes().await.unwrap(),
        "abcdefghijklmnopqrstuvwxyzabcd"
    );
    for (asked, status, range, body) in [
        ("bytes=0-3", 206, Some("bytes 0-3/30"), "abcd"),
        ("bytes=26-", 206, Some("bytes 26-29/30"), "abcd"),
        ("bytes=-2", 206, Some("bytes 28-29/30"), "cd"),
        ("bytes=0-1,5-6", 200, None, "abcdefghijklmnopqrstuvwxyzabcd"),
        ("bytes=30-", 416, Some("bytes */30"), ""),
    ] {
        let response = client
            .get(url("/range/30"))
            .header(header::RANGE, asked)
            .send()
            .await
            .unwrap();
        assert_eq!(response.status(), status, "{asked}");
        assert_eq!(
            response
                .headers()
                .get(header::CONTENT_RANGE)
                .map(|v| v.to_str().unwrap()),
            range,
            "{asked}"
        );
        if status != 416 {
            assert_eq!(response.bytes().await.unwrap(), body, "{asked}");
        }
    }
    expect_json(client.get(url("/range/102401")).send().await.unwrap(), 400).await;
}

async fn conditional_requests_and_chosen_headers() {
    let (_app, client, url) = playground().await;

    let fresh = client.get(url("/cache")).send().await.unwrap();
    assert_eq!(fresh.status(), 200);
    let etag = fresh.headers()[header::ETAG].clone();
    let modified = fresh.headers()[header::LAST_MODIFIED].clone();
    for (name, value) in [
        (header::IF_NONE_MATCH, etag),
        (header::IF_MODIFIED_SINCE, modified),
    ] {
        let again = client
            .get(url("/cache"))
            .header(name, value)
            .send()
            .await
            .unwrap();
        assert_eq!(again.status(), 304);
        assert!(again.bytes().await.unwrap().is_empty());
    }
    let cached = client.get(url("/cache/60")).send().await.unwrap();
    assert_eq!(
        cached.headers()[header::CACHE_CONTROL],
        "public, max-age=60"
    );
    expect_json(client.get(url("/cache/86401")).send().await.unwrap(), 400).await;

    for (name, value, status) in [
        (header::IF_NONE_MATCH, "\"v1\"", 304),
        (header::IF_NONE_MATCH, "W/\"v1\", \"v0\"", 304),
        (header::IF_NONE_MATCH, "\"v0\"", 200),
        (header::IF_MATCH, "\"v0\"", 412),
        (header::IF_MATCH, "\"v1\"", 200),
    ] {
        let response = client
            .get(url("/etag/v1"))
            .header(name.clone(), value)
            .send()
            .await
            .unwrap();
        assert_eq!(response.status(), status, "{name}: {value}");
        if status != 412 {
            assert_eq!(response.headers()[header::ETAG], "\"v1\"");
        }
    }

    let chosen = client
        .get(url(
            "/response-headers?X-Hello=world&X-Hello=again&Content-Type=text/plain",
        ))
        .send()
        .await
        .unwrap();
    let hellos: Vec<_> = chosen.headers().get_all("x-hello").iter().collect();
    assert_eq!(hellos, ["world", "again"]);
    assert_eq!(chosen.headers()[header::CONTENT_TYPE], "text/plain");
    let body: Value = serde_json::from_str(&chosen.text().await.unwrap()).unwrap();
    assert_eq!(
        body,
        json!({"X-Hello": ["world", "again"], "Content-Type": "text/plain"})
    );
    let flood = (0..=50)
        .map(|i| format!("X-{i}=1"))
        .collect::<Vec<_>>()
        .join("&");
    for refused in [
        "Content-Length=1",
        "Transfer-Encoding=chunked",
        "Bad%20Name=1",
        "X-Split=a%0D%0AInjected:%201",
        flood.as_str(),
    ] {
        let response = client
            .get(url(&format!("/response-headers?{refused}")))
            .send()
            .await
            .unwrap();
        assert!(response.headers().get("injected").is_none());
        expect_json(response, 400).await;
    }

    // A header flood in the request is stopped by actix-http before any handler: 431.
    let mut flood = client.get(url("/headers"));
    for i in 0..100 {
        flood = flood.header(format!("x-flood-{i}"), "1");
    }
    assert_eq!(flood.send().await.unwrap().status(), 431);
}

/// The playground's OpenAPI document tells the truth about the routes: every operation
/// it lists is answered (not 404 or 405), and every method it leaves out of a path is 405.
async fn the_openapi_document_lists_exactly_the_routes() {
    let (_app, client, url) = playground().await;
    let doc = expect_json(client.get(url("/openapi.json")).send().await.unwrap(), 200).await;
    assert_eq!(doc["openapi"], "3.0.3");
    let paths = doc["paths"].as_object().unwrap();
    assert!(paths.len() >= 25, "{}", paths.len());
    let base = url("");
    let origin = base.trim_end_matches("/api/http");
    for (path, item) in paths {
        let concrete = path
            .replace("{seconds}", "0")
            .replace("{n}", "1")
            .replace("{tag}", "x")
            .replace("{user}", "u")
            .replace("{password}", "p")
            .replace("{codes}", "200");
        for method in ["get", "post", "put", "patch", "delete"] {
            let request = client.request(
                reqwest::Method::from_bytes(method.to_uppercase().as_bytes()).unwrap(),
                format!("{origin}{concrete}"),
            );
            let status = request.send().await.unwrap().status().as_u16();
            if item.get(method).is_some() {
                assert!(
                    status != 404 && status != 405,
                    "{method} {path} is documented but answered {status}"
                );
            } else {
                assert_eq!(
                    status, 405,
                    "{method} {path} is not documented but answered {status}"
                );
            }
        }
    }
}

/// curl, as a learner pokes the playground: it decodes gzip and brotli with
/// `--compressed`, keeps cookies in a jar across `-L` redirects, sends Basic credentials
/// with `-u`, asks for a range with `-r`, and shows the chunk framing with `--raw`.
async fn curl_pokes_the_playground() {
    test_support::require_tool("curl", "--version", "the curl playground test");
    let (_app, _client, url) = playground().await;
    let dir = tempfile::tempdir().unwrap();
    let jar = dir.path().join("jar");
    let jar = jar.to_str().unwrap();
    let json = |text: String| -> Value {
        serde_json::from_str(&text).unwrap_or_else(|e| panic!("{e}: {text}"))
    };

    let note = dir.path().join("note.txt");
    std::fs::write(&note, "from a file").unwrap();
    let file_field = format!("note=@{}", note.display());
    let body = json(curl(&["-F", "day=2", "-F", &file_field, &url("/anything")]).await);
    assert_eq!(body["method"], "POST");
    assert_eq!(body["form"], json!({"day": "2"}));
    assert_eq!(body["files"], json!({"note": "from a file"}));
    assert!(
        body["headers"]["user-agent"]
            .as_str()
            .unwrap()
            .starts_with("curl/")
    );

    for (path, flag) in [("/gzip", "gzipped"), ("/deflate", "deflated")] {
        assert_eq!(
            json(curl(&["--compressed", &url(path)]).await)[flag],
            true,
            "{path}"
        );
    }
    let features = curl(&["--version"]).await;
    if features.contains("brotli") {
        assert_eq!(
            json(curl(&["--compressed", &url("/brotli")]).await)["brotli"],
            true
        );
    }

    let cookies = json(curl(&["-L", "-c", jar, "-b", jar, &url("/cookies/set?flavour=oat")]).await);
    assert_eq!(cookies, json!({"cookies": {"flavour": "oat"}}));
    let cookies = json(curl(&["-L", "-c", jar, "-b", jar, &url("/cookies/delete?flavour")]).await);
    assert_eq!(cookies, json!({"cookies": {}}));

    let auth = json(curl(&["-u", "ada:lovelace", &url("/basic-auth/ada/lovelace")]).await);
    assert_eq!(auth["authenticated"], true);
    let code = curl(&[
        "-o",
        "/dev/null",
        "-w",
        "%{http_code}",
        &url("/basic-auth/ada/x"),
    ])
    .await;
    assert_eq!(code, "401");

    assert_eq!(curl(&["-r", "2-4", &url("/range/26")]).await, "cde");
    let followed = json(curl(&["-L", &url("/redirect/4")]).await);
    assert!(followed["url"].as_str().unwrap().ends_with("/api/http/get"));

    let raw = curl(&["--raw", &url("/stream/2")]).await;
    let mut lines = raw.split("\r\n");
    let size = usize::from_str_radix(lines.next().unwrap(), 16).unwrap();
    let chunk = lines.next().unwrap();
    assert_eq!(
        size,
        chunk.len(),
        "the size line counts the line and its newline"
    );
    assert!(chunk.ends_with('\n'));
    assert!(
        raw.ends_with("0\r\n\r\n"),
        "the last chunk is empty: {raw:?}"
    );
}

test_support::tests! {
    tokio: anything_reflects_the_request_and_every_kind_of_body,
        statuses_delays_and_redirects_come_as_asked,
        cookies_and_credentials_are_checked,
        codings_streams_drips_and_ranges_travel_as_http_says,
        conditional_requests_and_chosen_headers,
        the_openapi_document_lists_exactly_the_routes,
        curl_pokes_the_playground;
}
