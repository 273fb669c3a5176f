//! Interoperability with clients this project did not write: Python's `pika` (AMQP)
//! and `paho-mqtt`, driven by `tests/python/messaging_interop.py`. The script makes
//! its changes through the request queue, reads them from the exchange and the topics,
//! checks the retained state, and checks every payload against
//! `asyncapi/messaging.yaml`, and that every channel and message it lists was seen.

use test_support::Backend;

use crate::helpers::TestApp;

async fn pika_and_paho_read_what_the_asyncapi_document_promises() {
    test_support::require_python(
        "pika, paho.mqtt, jsonschema, yaml",
        "the messaging interop test",
    );
    let app = TestApp::spawn(Backend::Sqlite).await;
    let root = concat!(env!("CARGO_MANIFEST_DIR"), "/../..");
    let script = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/tests/python/messaging_interop.py"
    );
    let output = tokio::process::Command::new("python3")
        .arg(script)
        .env("AMQP_URL", &app.amqp_url)
        .env("MQTT_HOST", "127.0.0.1")
        .env("MQTT_PORT", app.mosquitto.port().to_string())
        .env("ASYNCAPI", format!("{root}/asyncapi/messaging.yaml"))
        .output()
        .await
        .expect("run python3");
    let stdout = String::from_utf8_lossy(&output.stdout);
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(
        output.status.success(),
        "{script} failed\n{stdout}\n{stderr}"
    );
    assert!(stdout.contains("all messaging checks passed"), "{stdout}");
}

test_support::tests! {
    tokio: pika_and_paho_read_what_the_asyncapi_document_promises;
}
