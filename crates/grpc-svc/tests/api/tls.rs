//! TLS and mutual TLS, with certificates made for the test by the `openssl` command.

use std::path::Path;
use std::process::Command;

use grpc_pb::app::HelloRequest;
use grpc_pb::app::greeter_client::GreeterClient;
use grpc_svc::startup::TlsSettings;
use model::{PoolOptions, Store};
use tokio_util::sync::CancellationToken;
use tonic::transport::{Certificate, Channel, ClientTlsConfig, Identity};

use crate::helpers::settings;

fn openssl(dir: &Path, args: &[&str]) {
    let status = Command::new("openssl")
        .args(args)
        .current_dir(dir)
        .output()
        .expect("run openssl");
    assert!(
        status.status.success(),
        "openssl {args:?}: {}",
        String::from_utf8_lossy(&status.stderr)
    );
}

/// A CA, a server certificate for localhost and a client certificate, all signed by the CA.
fn make_certificates(dir: &Path) {
    openssl(
        dir,
        &[
            "req",
            "-x509",
            "-newkey",
            "rsa:2048",
            "-nodes",
            "-keyout",
            "ca.key",
            "-out",
            "ca.pem",
            "-days",
            "1",
            "-subj",
            "/CN=protocols test CA",
        ],
    );
    std::fs::write(
        dir.join("server.ext"),
        "subjectAltName=DNS:localhost,IP:127.0.0.1\n",
    )
    .unwrap();
    openssl(
        dir,
        &[
            "req",
            "-newkey",
            "rsa:2048",
            "-nodes",
            "-keyout",
            "server.key",
            "-out",
            "server.csr",
            "-subj",
            "/CN=localhost",
        ],
    );
    openssl(
        dir,
        &[
            "x509",
            "-req",
            "-in",
            "server.csr",
            "-CA",
            "ca.pem",
            "-CAkey",
            "ca.key",
            "-CAcreateserial",
            "-out",
            "server.pem",
            "-days",
            "1",
            "-extfile",
            "server.ext",
        ],
    );
    openssl(
        dir,
        &[
            "req",
            "-newkey",
            "rsa:2048",
            "-nodes",
            "-keyout",
            "client.key",
            "-out",
            "client.csr",
            "-subj",
            "/CN=learner",
        ],
    );
    // An extension file makes these X.509 v3 certificates, which rustls requires.
    std::fs::write(dir.join("client.ext"), "extendedKeyUsage=clientAuth\n").unwrap();
    openssl(
        dir,
        &[
            "x509",
            "-req",
            "-in",
            "client.csr",
            "-CA",
            "ca.pem",
            "-CAkey",
            "ca.key",
            "-CAcreateserial",
            "-out",
            "client.pem",
            "-days",
            "1",
            "-extfile",
            "client.ext",
        ],
    );
}

async fn mutual_tls_accepts_a_signed_client_and_refuses_an_anonymous_one() {
    test_support::require_tool("openssl", "version", "TLS test certificates");
    let dir = tempfile::tempdir().unwrap();
    make_certificates(dir.path());
    let read = |name: &str| std::fs::read(dir.path().join(name)).unwrap();
    let tls = TlsSettings {
        cert_pem: read("server.pem"),
        key_pem: read("server.key"),
        client_ca_pem: Some(read("ca.pem")),
    };
    let db = test_support::TestDb::sqlite();
    let store = Store::open(&db.url, &PoolOptions::default());
    let app = grpc_svc::startup::build(&settings(Some(tls)), store)
        .await
        .unwrap();
    let port = app.local_addr().port();
    let stop = CancellationToken::new();
    tokio::spawn(app.run_until_stopped(stop.clone()));

    let connect = |identity: Option<Identity>| {
        let mut config = ClientTlsConfig::new()
            .ca_certificate(Certificate::from_pem(read("ca.pem")))
            .domain_name("localhost");
        if let Some(identity) = identity {
            config = config.identity(identity);
        }
        async move {
            Channel::from_shared(format!("https://localhost:{port}"))
                .unwrap()
                .tls_config(config)
                .unwrap()
                .connect()
                .await
        }
    };

    let channel = connect(Some(Identity::from_pem(
        read("client.pem"),
        read("client.key"),
    )))
    .await
    .expect("a client with a certificate from the CA connects");
    let reply = GreeterClient::new(channel)
        .say_hello(HelloRequest { name: "tls".into() })
        .await
        .unwrap();
    assert_eq!(reply.into_inner().message, "Hello, tls!");

    let anonymous = match connect(None).await {
        Err(_) => true,
        Ok(channel) => GreeterClient::new(channel)
            .say_hello(HelloRequest {
                name: "anon".into(),
            })
            .await
            .is_err(),
    };
    assert!(anonymous, "a client without a certificate must be refused");
    stop.cancel();
}

test_support::tests! {
    tokio: mutual_tls_accepts_a_signed_client_and_refuses_an_anonymous_one;
}
