//! The bench in smoke mode (a fraction of a second per cell): every cell must produce
//! figures, and every response must have been correct (the bench stops on a wrong one).
//! Speed is never asserted.

use std::process::Command;

fn every_cell_of_the_shootout_produces_figures() {
    let bench = env!("CARGO_BIN_EXE_bench");
    let dir = std::path::Path::new(bench).parent().unwrap();
    if !dir.join("protocols").exists() {
        let cargo = std::env::var("CARGO").unwrap_or_else(|_| "cargo".to_owned());
        let status = Command::new(cargo)
            .args(["build", "-p", "protocols"])
            .status()
            .unwrap();
        assert!(status.success(), "building protocols failed");
    }
    let out = tempfile::tempdir().unwrap();
    let output = Command::new(bench)
        .args(["--smoke", "--concurrency", "1,4", "--out"])
        .arg(out.path())
        .output()
        .expect("run the bench");
    let stdout = String::from_utf8_lossy(&output.stdout);
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(
        output.status.success(),
        "the bench failed\n{stdout}\n{stderr}"
    );

    let json: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(out.path().join("shootout.json")).unwrap())
            .unwrap();
    let cells = json["cells"].as_array().unwrap();
    // 23 (operation, protocol) cells at each of the two concurrencies.
    assert_eq!(cells.len(), 23 * 2, "{stdout}");
    for op in ["Get", "Create", "List"] {
        assert!(
            cells
                .iter()
                .any(|c| c["protocol"] == "Graphql" && c["op"] == op),
            "no GraphQL {op} cell: {stdout}"
        );
    }
    for cell in cells {
        assert!(cell["calls"].as_u64().unwrap() > 0, "{cell}");
        assert!(cell["rps"].as_f64().unwrap() > 0.0, "{cell}");
        assert!(cell["received_per_call"].as_f64().unwrap() > 0.0, "{cell}");
    }
    // The push latency of every live feed, measured over the same five writes.
    let feeds = json["extras"]["feeds"].as_array().unwrap();
    let names: Vec<&str> = feeds.iter().map(|f| f["feed"].as_str().unwrap()).collect();
    let mut expected = vec![
        "WebSocket feed",
        "gRPC WatchDummies",
        "Server-Sent Events",
        "Webhook",
        "GraphQL subscription",
    ];
    // The brokers' feeds, when the machine runs RabbitMQ and Mosquitto (CI does).
    let up = |addr: &str| std::net::TcpStream::connect(addr).is_ok();
    if up("127.0.0.1:5672") {
        expected.push("AMQP queue (RabbitMQ)");
    } else if std::env::var("CI").is_ok_and(|v| v == "true") {
        panic!("CI=true, but RabbitMQ does not listen on 127.0.0.1:5672");
    }
    if up("127.0.0.1:1883") {
        expected.push("MQTT subscription (Mosquitto)");
    } else if std::env::var("CI").is_ok_and(|v| v == "true") {
        panic!("CI=true, but Mosquitto does not listen on 127.0.0.1:1883");
    }
    assert_eq!(names, expected, "{stdout}");
    for feed in feeds {
        assert_eq!(feed["events"], 5, "{feed}");
        assert!(feed["write_p50_us"].as_i64().unwrap() > 0, "{feed}");
        assert!(
            feed["p99_us"].as_i64().unwrap() >= feed["p50_us"].as_i64().unwrap(),
            "{feed}"
        );
    }
    assert!(json["machine"]["cores"].as_u64().unwrap() > 0);
    let svg = std::fs::read_to_string(out.path().join("shootout.svg")).unwrap();
    assert!(svg.starts_with("<svg") && svg.contains("requests per second"));
}

test_support::tests! {
    sync: every_cell_of_the_shootout_produces_figures;
}

fn main() {
    test_support::harness::main([trials()])
}
