//! Settings: every variable any binary reads is in `.env.example`, `.env` in the
//! current directory is read, and listen addresses may name a host.

use std::path::{Path, PathBuf};
use std::process::Command;

use crate::helpers::protocols;

/// The binaries this workspace ships, with their packages.
const BINARIES: [(&str, &str); 5] = [
    ("protocols", "protocols"),
    ("rest-svc", "rest-svc"),
    ("rpc-svc", "rpc-svc"),
    ("ws-svc", "ws-svc"),
    ("grpc-svc", "grpc-svc"),
];

/// A workspace binary beside this test's `protocols`, built if `cargo test` did not
/// build it (it builds every package's binaries only with `--workspace`).
fn binary(name: &str, package: &str) -> PathBuf {
    let dir = Path::new(env!("CARGO_BIN_EXE_protocols")).parent().unwrap();
    let path = dir.join(name);
    if !path.exists() {
        let cargo = std::env::var("CARGO").unwrap_or_else(|_| "cargo".to_owned());
        let status = Command::new(cargo)
            .args(["build", "-p", package, "--bin", name])
            .status()
            .unwrap();
        assert!(status.success(), "building {name} failed");
    }
    path
}

/// The `[env: NAME=…]` variables a `--help` text names.
fn variables(help: &str) -> Vec<String> {
    help.split("[env: ")
        .skip(1)
        .filter_map(|rest| rest.split(['=', ']']).next())
        .map(str::to_owned)
        .collect()
}

fn every_variable_in_any_help_is_in_env_example() {
    let example =
        std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/../../.env.example"))
            .unwrap();
    let documented = |var: &str| {
        example.lines().any(|line| {
            let line = line.trim_start_matches("# ");
            line.starts_with(&format!("{var}="))
        })
    };
    let mut missing = Vec::new();
    let mut seen = 0;
    for (name, package) in BINARIES {
        let path = binary(name, package);
        let commands: &[&[&str]] = if name == "protocols" {
            &[&["serve"], &["seed"], &["migrate"]]
        } else {
            &[&[]]
        };
        for args in commands {
            let output = Command::new(&path)
                .args(*args)
                .arg("--help")
                .output()
                .unwrap();
            assert!(output.status.success(), "{name} {args:?} --help failed");
            for var in variables(&String::from_utf8_lossy(&output.stdout)) {
                seen += 1;
                if !documented(&var) && !missing.contains(&var) {
                    missing.push(var);
                }
            }
        }
    }
    assert!(seen > 20, "the --help texts name {seen} variables");
    assert!(
        missing.is_empty(),
        ".env.example lacks {missing:?} (each as `NAME=default`, or `# NAME=example` when unset by default)"
    );
}

fn a_dot_env_in_the_current_directory_is_read_and_the_environment_wins() {
    let dir = tempfile::tempdir().unwrap();
    let from_file = dir.path().join("from-dot-env.sqlite3");
    let from_environment = dir.path().join("from-environment.sqlite3");
    std::fs::write(
        dir.path().join(".env"),
        format!("DATABASE_URL={}\n", from_file.display()),
    )
    .unwrap();
    let migrate = |database_url: Option<&Path>| {
        let mut command = protocols();
        command.current_dir(dir.path()).arg("migrate");
        if let Some(url) = database_url {
            command.env("DATABASE_URL", url);
        }
        let output = command.output().unwrap();
        assert!(
            output.status.success(),
            "{}",
            String::from_utf8_lossy(&output.stderr)
        );
    };
    // The environment wins over the file ...
    migrate(Some(&from_environment));
    assert!(from_environment.exists() && !from_file.exists());
    // ... and without it, the file's DATABASE_URL is the one migrated.
    migrate(None);
    assert!(from_file.exists());
}

fn listen_addresses_may_name_a_host_and_a_bad_one_says_the_form() {
    let output = protocols()
        .args(["serve", "--http-addr", "localhost"])
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(!output.status.success());
    assert!(stderr.contains("expected HOST:PORT"), "{stderr}");

    let db = test_support::TestDb::sqlite();
    let served = crate::helpers::Served::start_on_host(&db.url, "localhost");
    assert!(served.http.starts_with("127.0.0.1:"), "{}", served.http);
    let runtime = tokio::runtime::Runtime::new().unwrap();
    let health = runtime
        .block_on(reqwest::get(format!("http://{}/healthz", served.http)))
        .unwrap();
    assert_eq!(health.status(), 200);
}

test_support::tests! {
    sync:
        every_variable_in_any_help_is_in_env_example,
        a_dot_env_in_the_current_directory_is_read_and_the_environment_wins,
        listen_addresses_may_name_a_host_and_a_bad_one_says_the_form;
}
