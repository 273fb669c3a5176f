//! With its PostgreSQL down, a process logs one WARN line per step of the migrations'
//! back-off, not one per connection attempt of its pool (which used to give a line
//! every few hundred milliseconds, dozens in a few seconds).

use std::process::Command;
use std::time::{Duration, Instant};

use reliability::down_at_start;
use reliability::procs::Kind;
use test_support::process::Process;

use crate::helpers::{protocols, service};

/// How long a request waits for a connection (`DB_TIMEOUT_SECS`): each migration
/// attempt waits this long before it fails.
const DB_TIMEOUT: Duration = Duration::from_secs(1);
/// How long the database stays down before SIGTERM.
const DOWN_FOR: Duration = Duration::from_secs(6);

/// Runs `command` against a closed port for [`DOWN_FOR`], then SIGTERM; its stderr.
fn stderr_while_down(mut command: Command) -> (String, Duration) {
    let closed = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let port = closed.local_addr().unwrap().port();
    drop(closed);
    for var in [
        "REST_ADDR",
        "RPC_ADDR",
        "GRPC_ADDR",
        "WS_ADDR",
        "GRAPHQL_ADDR",
        "MESSAGING_ADDR",
        "HTTP_ADDR",
    ] {
        command.env(var, "127.0.0.1:0");
    }
    // No brokers: messaging is tested where it has brokers of its own.
    for var in ["AMQP_URL", "MQTT_ADDR"] {
        command.env(var, "");
    }
    let started = Instant::now();
    command
        .env(
            "DATABASE_URL",
            format!("postgres://postgres:postgres@127.0.0.1:{port}/x"),
        )
        .env("DB_TIMEOUT_SECS", DB_TIMEOUT.as_secs().to_string())
        .env("SHUTDOWN_GRACE_SECS", "2")
        .env("RUST_LOG", "warn");
    let dir = tempfile::tempdir().unwrap();
    let mut process = Process::start_logged("the binary", &mut command, &dir.path().join("log"))
        .expect("start the binary");
    std::thread::sleep(DOWN_FOR);
    process.terminate();
    let status = process
        .wait_exit_blocking(Duration::from_secs(10))
        .unwrap_or_else(|| panic!("still running 10 s after SIGTERM: {}", process.log_tail()));
    let window = started.elapsed();
    let stderr = process.log_text();
    assert!(status.success(), "exit {status} after SIGTERM: {stderr}");
    (stderr, window)
}

fn check(serve: bool, stderr: &str, window: Duration) {
    let warns: Vec<&str> = stderr.lines().filter(|l| l.contains(" WARN ")).collect();
    // The reliability suite's budget, for the same binaries (its `startup` scenario).
    let kind = if serve { Kind::Serve } else { Kind::Rest };
    let total = down_at_start::warn_budget(kind, DB_TIMEOUT, window);
    let steps = down_at_start::back_off_steps(DB_TIMEOUT, window);
    assert!(
        warns.len() <= total,
        "{} WARN lines in {window:?} with the database down, more than {total}:\n{}",
        warns.len(),
        warns.join("\n")
    );
    // The pool's attempts: one line for the whole outage.
    let pool = warns
        .iter()
        .filter(|l| l.contains("database connection failed") && l.contains("\"pool\""))
        .count();
    assert_eq!(pool, 1, "{stderr}");
    // One line per back-off step, numbered, with the next delay and the reason.
    let migrations: Vec<&&str> = warns
        .iter()
        .filter(|l| l.contains("database not ready for migrations"))
        .collect();
    assert!(
        (1..=steps).contains(&migrations.len()),
        "{} migration lines, expected 1..={steps}: {stderr}",
        migrations.len()
    );
    for (i, line) in migrations.iter().enumerate() {
        assert!(line.contains(&format!("attempt={}", i + 1)), "{line}");
        assert!(line.contains("retry_in="), "{line}");
        assert!(line.contains("Connection refused"), "{line}");
    }
}

fn serve_logs_one_warning_per_back_off_step_while_its_database_is_down() {
    let mut serve = protocols();
    serve.args(["serve", "--workers", "1"]);
    let (stderr, window) = stderr_while_down(serve);
    check(true, &stderr, window);
}

fn a_service_logs_one_warning_per_back_off_step_while_its_database_is_down() {
    let (stderr, window) = stderr_while_down(service("rest-svc"));
    check(false, &stderr, window);
}

test_support::tests! {
    sync:
        serve_logs_one_warning_per_back_off_step_while_its_database_is_down,
        a_service_logs_one_warning_per_back_off_step_while_its_database_is_down;
}
