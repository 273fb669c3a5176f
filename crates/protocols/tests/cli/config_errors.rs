//! A database path that can never work is a configuration error: every binary exits
//! non-zero at once, before it listens, and says which path and why. (It used to listen
//! and log "Unable to open the database file" every few hundred milliseconds.)
//!
//! The tests run as root here, where no permission is ever denied, so the paths fail
//! for everyone: a regular file where a directory should be, and a file that is not
//! an SQLite database.

use std::path::PathBuf;
use std::process::Command;
use std::time::Duration;

use test_support::process::Process;

use crate::helpers::{protocols, service};

/// Every binary that opens the database, as a command to which `DATABASE_URL` is added.
fn every_binary() -> Vec<(&'static str, Command)> {
    let mut serve = protocols();
    serve.args(["serve", "--workers", "1"]);
    vec![
        ("rest-svc", service("rest-svc")),
        ("rpc-svc", service("rpc-svc")),
        ("grpc-svc", service("grpc-svc")),
        ("ws-svc", service("ws-svc")),
        ("graphql-svc", service("graphql-svc")),
        ("messaging-svc", service("messaging-svc")),
        ("protocols serve", serve),
    ]
}

/// Runs `command` on free ports with this `DATABASE_URL`; its exit code and stderr.
/// A process still running after 10 s (listening, as it used to) fails the test.
fn run_with(mut command: Command, database: &str) -> (Option<i32>, String) {
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
    command.env("DATABASE_URL", database);
    let dir = tempfile::tempdir().unwrap();
    let mut process = Process::start_logged("the binary", &mut command, &dir.path().join("log"))
        .expect("start the binary");
    let status = process
        .wait_exit_blocking(Duration::from_secs(10))
        .unwrap_or_else(|| {
            panic!(
                "still running after 10 s with DATABASE_URL={database}: {}",
                process.log_text()
            )
        });
    (status.code(), process.log_text())
}

/// A temporary directory with a regular text file in it.
fn plain_file() -> (tempfile::TempDir, PathBuf) {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("notes.txt");
    std::fs::write(&file, "not a directory, and not a database").unwrap();
    (dir, file)
}

fn every_binary_refuses_an_sqlite_file_under_a_regular_file() {
    let (_dir, file) = plain_file();
    let database = file.join("db.sqlite3");
    let database = database.to_str().unwrap();
    for (name, command) in every_binary() {
        let (code, stderr) = run_with(command, database);
        assert!(
            code.is_some_and(|c| c != 0),
            "{name} exited with {code:?}: {stderr}"
        );
        assert!(
            stderr.contains(file.to_str().unwrap()),
            "{name} does not name the path: {stderr}"
        );
        assert!(
            stderr.contains("Not a directory"),
            "{name} does not give the reason: {stderr}"
        );
        assert!(!stderr.contains("panicked"), "{name}: {stderr}");
    }
}

fn a_service_refuses_a_directory_it_cannot_create() {
    // /proc takes no new directories, not even from root.
    let (code, stderr) = run_with(service("rest-svc"), "/proc/no-such-dir/db.sqlite3");
    assert!(code.is_some_and(|c| c != 0), "exit {code:?}: {stderr}");
    assert!(stderr.contains("/proc/no-such-dir"), "{stderr}");
    assert!(stderr.contains("No such file or directory"), "{stderr}");
}

fn every_binary_refuses_a_file_that_is_not_an_sqlite_database() {
    let (_dir, file) = plain_file();
    for (name, command) in every_binary() {
        let (code, stderr) = run_with(command, file.to_str().unwrap());
        assert!(
            code.is_some_and(|c| c != 0),
            "{name} exited with {code:?}: {stderr}"
        );
        assert!(
            stderr.contains(file.to_str().unwrap()) && stderr.contains("not an SQLite database"),
            "{name}: {stderr}"
        );
    }
    // The file is left as it was.
    assert_eq!(
        std::fs::read_to_string(&file).unwrap(),
        "not a directory, and not a database"
    );
}

fn seed_and_migrate_refuse_an_unusable_sqlite_path() {
    let (_dir, file) = plain_file();
    let database = file.join("db.sqlite3");
    for args in [&["migrate"][..], &["seed", "5"][..]] {
        let output = protocols()
            .args(args)
            .arg("--database-url")
            .arg(&database)
            .output()
            .unwrap();
        let stderr = String::from_utf8_lossy(&output.stderr);
        assert!(!output.status.success(), "{args:?}: {stderr}");
        assert!(
            stderr.contains(file.to_str().unwrap()),
            "{args:?}: {stderr}"
        );
        assert!(stderr.contains("Not a directory"), "{args:?}: {stderr}");
    }
}

fn a_new_directory_for_the_sqlite_file_is_created() {
    let dir = tempfile::tempdir().unwrap();
    let database = dir.path().join("data/more/protocols.sqlite3");
    let output = protocols()
        .args(["migrate", "--database-url"])
        .arg(&database)
        .output()
        .unwrap();
    assert!(
        output.status.success(),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    assert!(database.is_file());
}

test_support::tests! {
    sync:
        every_binary_refuses_an_sqlite_file_under_a_regular_file,
        a_service_refuses_a_directory_it_cannot_create,
        every_binary_refuses_a_file_that_is_not_an_sqlite_database,
        seed_and_migrate_refuse_an_unusable_sqlite_path,
        a_new_directory_for_the_sqlite_file_is_created;
}
