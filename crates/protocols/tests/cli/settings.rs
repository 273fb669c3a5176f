//! Settings: every variable any binary reads is in `.env.example`, `.env` in the
//! current directory is read, and listen addresses may name a host.

use std::path::Path;
use std::process::Command;

use crate::helpers::{protocols, service};

/// The binaries this workspace ships besides `protocols`.
const SERVICES: [&str; 5] = ["rest-svc", "rpc-svc", "ws-svc", "grpc-svc", "graphql-svc"];

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
    let mut commands: Vec<(String, Command)> = ["serve", "seed", "migrate"]
        .into_iter()
        .map(|sub| {
            let mut command = protocols();
            command.arg(sub);
            (format!("protocols {sub}"), command)
        })
        .collect();
    commands.extend(SERVICES.map(|name| (name.to_owned(), service(name))));
    for (name, mut command) in commands {
        let output = command.arg("--help").output().unwrap();
        assert!(output.status.success(), "{name} --help failed");
        for var in variables(&String::from_utf8_lossy(&output.stdout)) {
            seen += 1;
            if !documented(&var) && !missing.contains(&var) {
                missing.push(var);
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
