//! The reliability suite's short mode, as CI runs it: every scenario for a few
//! seconds against the real service binaries and PostgreSQL. The suite prints its
//! table; this test fails when any row is not clean (a failed check, a panic in a
//! service's log, a lost or half-applied write).

use std::process::Command;

fn the_short_suite_runs_clean() {
    let postgres = match std::env::var(test_support::POSTGRES_ENV) {
        Ok(url) if !url.is_empty() => url,
        _ => test_support::harness::skip(format!(
            "{} is not set (e.g. postgres://postgres@127.0.0.1:5432/postgres)",
            test_support::POSTGRES_ENV
        )),
    };
    let output = Command::new(env!("CARGO_BIN_EXE_reliability"))
        .env(test_support::POSTGRES_ENV, postgres)
        .output()
        .expect("run the reliability suite");
    let stdout = String::from_utf8_lossy(&output.stdout);
    println!("{stdout}");
    eprintln!("{}", String::from_utf8_lossy(&output.stderr));
    assert!(
        output.status.success(),
        "the reliability suite is not clean"
    );
    for row in [
        "| startup | all |",
        "| bad settings | grpc-svc |",
        "| outage | gRPC |",
        "| outage | GraphQL |",
        "| bad settings | graphql-svc |",
        "| down at start | graphql-svc |",
        "| stuck query | REST |",
        "| sqlite locked | XML-RPC |",
        "| writes | JSON-RPC |",
        "| shutdown | REST |",
        "| writes | GraphQL |",
        "| shutdown | GraphQL |",
        "| feed | WebSocket, lagging reader |",
        "| feed | GraphQL subscription |",
        "| feed | Server-Sent Events |",
        "| webhooks | SIGKILL mid-delivery |",
        "| brokers | RabbitMQ restart |",
        "| brokers | Mosquitto restart |",
        "| flood | WebSocket |",
        "| slow reader | WebSocket |",
        "| idle | gRPC (HTTP/2) |",
        "| limits | REST |",
        "| limits | GraphQL |",
    ] {
        assert!(stdout.contains(row), "the table lacks the row {row}");
    }
    assert!(stdout.lines().any(|l| l.starts_with("CLEAN in")));
}

test_support::tests! {
    sync: the_short_suite_runs_clean;
}

fn main() {
    test_support::harness::main([trials()])
}
