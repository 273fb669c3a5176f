//! RabbitMQ's tutorial patterns, and MQTT's QoS levels, as `examples/` shows them: each
//! example run as a learner runs it, against the running service and its brokers.

use std::path::PathBuf;
use std::time::Duration;

use test_support::Backend;

use crate::helpers::TestApp;

/// The example's binary, built beside this test (by `cargo test`, or now). Examples
/// of every crate share one directory, so their names must differ across the
/// workspace (rpc-svc has an `rpc_client` too).
fn example(name: &str) -> PathBuf {
    let exe = std::env::current_exe().expect("the test's path");
    let mut dir = exe.parent().expect("a directory").to_path_buf();
    if dir.ends_with("deps") {
        dir.pop();
    }
    let path = dir.join("examples").join(name);
    if !path.exists() {
        let cargo = std::env::var("CARGO").unwrap_or_else(|_| "cargo".to_owned());
        let mut build = std::process::Command::new(cargo);
        build.args(["build", "-p", "messaging-svc", "--examples"]);
        if dir.ends_with("release") {
            build.arg("--release");
        }
        assert!(
            build.status().expect("run cargo").success(),
            "building the examples failed"
        );
    }
    path
}

/// Runs an example with these variables; its standard output.
async fn run(name: &str, env: &[(&str, String)]) -> String {
    let mut command = tokio::process::Command::new(example(name));
    command
        .envs(env.iter().map(|(k, v)| (*k, v.as_str())))
        .kill_on_drop(true);
    let output = tokio::time::timeout(Duration::from_secs(60), command.output())
        .await
        .unwrap_or_else(|_| panic!("the {name} example still runs after 60 s"))
        .expect("run the example");
    let stdout = String::from_utf8_lossy(&output.stdout).into_owned();
    assert!(
        output.status.success(),
        "the {name} example failed\n{stdout}\n{}",
        String::from_utf8_lossy(&output.stderr)
    );
    stdout
}

async fn the_amqp_patterns_do_what_they_say() {
    let app = TestApp::spawn(Backend::Sqlite).await;
    let env = [("AMQP_URL", app.amqp_url.clone())];
    let out = run("amqp_work_queue", &env).await;
    assert!(
        out.contains("worker B took dummy") && out.contains("(redelivered: true)"),
        "{out}"
    );
    let out = run("amqp_fanout", &env).await;
    for line in [
        "subscriber-1 got dummy.created",
        "subscriber-2 got dummy.created",
        "subscriber-2 got dummy.deleted",
    ] {
        assert!(out.contains(line), "{line}: {out}");
    }
    let out = run("amqp_routing", &env).await;
    assert!(
        out.contains("bound to dummy.deleted got dummy.deleted"),
        "{out}"
    );
    let out = run("amqp_topics", &env).await;
    assert!(
        out.contains("binding dummy.*        got dummy.created, dummy.deleted"),
        "{out}"
    );
    assert!(
        out.contains("binding #.created      got dummy.created\n"),
        "{out}"
    );
    let out = run("amqp_rpc_client", &env).await;
    assert!(
        out.contains(r#"-> {"jsonrpc":"2.0","result":5,"id":0}"#),
        "{out}"
    );
    assert!(out.contains(r#""code":-32601"#), "{out}");
}

async fn mqtt_qos_levels_take_their_packets() {
    let app = TestApp::spawn(Backend::Sqlite).await;
    let out = run("mqtt_qos", &[("MQTT_ADDR", app.mosquitto.addr())]).await;
    let line = |level: u8| {
        out.lines()
            .find(|l| l.starts_with(&format!("QoS {level}:")))
            .unwrap_or_else(|| panic!("no QoS {level} line: {out}"))
            .to_owned()
    };
    assert!(
        !line(0).contains("<- PUBACK") && !line(0).contains("PUBREC"),
        "{out}"
    );
    assert!(
        line(1).contains("<- PUBACK") && !line(1).contains("PUBREC"),
        "{out}"
    );
    for packet in ["-> PUBLISH", "<- PUBREC", "-> PUBREL", "<- PUBCOMP"] {
        assert!(line(2).contains(packet), "QoS 2 has {packet}: {out}");
    }
}

test_support::tests! {
    tokio: the_amqp_patterns_do_what_they_say, mqtt_qos_levels_take_their_packets;
}
