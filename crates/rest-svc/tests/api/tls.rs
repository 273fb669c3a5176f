//! The TLS port: the same routes, HTTP/2 or HTTP/1.1 by ALPN, as curl and Python's
//! urllib see them. The certificate is made for the test by the `openssl` command.

use std::net::SocketAddr;
use std::path::Path;
use std::sync::{Arc, Mutex};

use test_support::{Backend, TestDb};

use crate::helpers::{TestApp, curl};

/// A self-signed certificate for localhost and 127.0.0.1, and its key.
fn make_certificate(dir: &Path) {
    test_support::require_tool("openssl", "version", "the TLS test's certificate");
    let status = std::process::Command::new("openssl")
        .current_dir(dir)
        .args([
            "req",
            "-x509",
            "-newkey",
            "rsa:2048",
            "-nodes",
            "-days",
            "1",
            "-keyout",
            "key.pem",
            "-out",
            "cert.pem",
            "-subj",
            "/CN=localhost",
            "-addext",
            "subjectAltName=DNS:localhost,IP:127.0.0.1",
        ])
        .output()
        .expect("run openssl");
    assert!(
        status.status.success(),
        "{}",
        String::from_utf8_lossy(&status.stderr)
    );
}

/// rest-svc with its TLS port on a free port; the app and that port's address.
async fn spawn_with_tls(dir: &Path) -> (TestApp, SocketAddr) {
    let db = TestDb::new(Backend::Sqlite);
    let tls = runtime::http::TlsListen {
        addr: "127.0.0.1:0".parse().unwrap(),
        cert_pem: std::fs::read(dir.join("cert.pem")).unwrap(),
        key_pem: std::fs::read(dir.join("key.pem")).unwrap(),
    };
    let bound = Arc::new(Mutex::new(None));
    let app = TestApp::start_with_tls(db.migrated_store().await, Some(db), tls, bound.clone());
    let tls_addr = bound.lock().unwrap().expect("the TLS port is bound");
    (app, tls_addr)
}

async fn alpn_gives_http2_to_clients_that_offer_it_and_http1_to_the_others() {
    test_support::require_tool("curl", "--version", "the TLS test");
    let dir = tempfile::tempdir().unwrap();
    make_certificate(dir.path());
    let (_app, tls_addr) = spawn_with_tls(dir.path()).await;
    let ca = dir.path().join("cert.pem");
    let ca = ca.to_str().unwrap();
    let url = |path: &str| format!("https://localhost:{}{path}", tls_addr.port());

    let head = curl(&[
        "--http2",
        "--cacert",
        ca,
        "-D",
        "-",
        "-o",
        "/dev/null",
        &url("/api/http/get"),
    ])
    .await;
    assert!(head.starts_with("HTTP/2 200"), "{head}");
    assert!(head.contains("x-http-version: HTTP/2.0"), "{head}");
    let body: serde_json::Value =
        serde_json::from_str(&curl(&["--http2", "--cacert", ca, &url("/api/http/anything")]).await)
            .unwrap();
    assert_eq!(body["http_version"], "HTTP/2.0");
    assert!(
        body["url"].as_str().unwrap().starts_with("https://"),
        "{body}"
    );

    let head = curl(&[
        "--http1.1",
        "--cacert",
        ca,
        "-D",
        "-",
        "-o",
        "/dev/null",
        &url("/api/http/get"),
    ])
    .await;
    assert!(head.starts_with("HTTP/1.1 200"), "{head}");
    assert!(head.contains("x-http-version: HTTP/1.1"), "{head}");

    // Every route, not only the playground: the REST API over HTTP/2.
    let list = curl(&["--http2", "--cacert", ca, &url("/api/rest/dummies")]).await;
    assert_eq!(list, "[]");

    // Python's urllib speaks HTTP/1.1 over TLS.
    test_support::require_python("ssl", "the TLS test with urllib");
    let script = format!(
        "import json, ssl, urllib.request\n\
         context = ssl.create_default_context(cafile={ca:?})\n\
         with urllib.request.urlopen({:?}, context=context) as r:\n    \
         print(r.headers['x-http-version'], json.load(r)['http_version'])",
        url("/api/http/get")
    );
    let output = tokio::process::Command::new("python3")
        .args(["-c", &script])
        .output()
        .await
        .unwrap();
    assert!(
        output.status.success(),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    assert_eq!(
        String::from_utf8_lossy(&output.stdout).trim(),
        "HTTP/1.1 HTTP/1.1"
    );
}

async fn a_certificate_that_is_not_one_stops_the_start_with_a_reason() {
    let tls = runtime::http::TlsListen {
        addr: "127.0.0.1:0".parse().unwrap(),
        cert_pem: b"not a certificate".to_vec(),
        key_pem: b"nor a key".to_vec(),
    };
    let settings = runtime::http::ServerSettings {
        addr: "127.0.0.1:0".parse().unwrap(),
        workers: 1,
        shutdown_grace: std::time::Duration::from_secs(1),
        tls: Some(tls),
    };
    let error = runtime::http::HttpApp::build(&settings, |_| {})
        .err()
        .expect("refused");
    assert!(error.to_string().contains("no certificate"), "{error}");
}

test_support::tests! {
    tokio: alpn_gives_http2_to_clients_that_offer_it_and_http1_to_the_others,
        a_certificate_that_is_not_one_stops_the_start_with_a_reason;
}
