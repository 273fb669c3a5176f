//! The README's Python snippets, as a reader pastes them (from the repository's root),
//! against `protocols serve`: grpcio with stubs generated from `proto/` by grpcio-tools,
//! and the `websockets` chat client. Only the addresses and the stubs' directory change.

use std::path::Path;

use test_support::TestDb;

use crate::helpers::{Served, seed};

/// The `sh` block between `<!-- {name}:start -->` and `<!-- {name}:end -->`, without the
/// fence and without the `pip install` line (the test's packages are there already).
fn readme_snippet(name: &str) -> String {
    let readme = include_str!("../../../../README.md");
    let start = readme
        .find(&format!("<!-- {name}:start -->"))
        .unwrap_or_else(|| panic!("the README has a {name} snippet"));
    let end = readme
        .find(&format!("<!-- {name}:end -->"))
        .expect("its end marker");
    readme[start..end]
        .lines()
        .skip_while(|line| !line.starts_with("```sh"))
        .skip(1)
        .take_while(|line| !line.starts_with("```"))
        .filter(|line| !line.starts_with("python3 -m pip install"))
        .map(|line| format!("{line}\n"))
        .collect()
}

/// Runs `script` with bash in the repository's root; its stdout.
fn run(script: &str) -> String {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("../..");
    let output = std::process::Command::new("bash")
        .args(["-euo", "pipefail", "-c", script])
        .current_dir(root)
        .output()
        .expect("run bash");
    let stdout = String::from_utf8_lossy(&output.stdout).into_owned();
    assert!(
        output.status.success(),
        "{script}\nstdout: {stdout}\nstderr: {}",
        String::from_utf8_lossy(&output.stderr)
    );
    stdout
}

fn the_readme_python_snippets_work_as_written() {
    test_support::require_python(
        "grpc, grpc_tools, websockets",
        "the README's Python snippets",
    );
    let db = TestDb::sqlite();
    seed(&db.url, 5);
    let served = Served::start(&db.url);
    let stubs = tempfile::tempdir().unwrap();

    let grpc = readme_snippet("python-grpc")
        .replace("localhost:50051", &served.grpc)
        .replace("/tmp/stubs", &stubs.path().display().to_string());
    let printed = run(&grpc);
    let lines: Vec<&str> = printed.lines().collect();
    assert_eq!(lines.first(), Some(&"Hello, Python!"), "{printed}");
    assert_eq!(
        lines
            .iter()
            .filter(|l| l.starts_with(char::is_numeric))
            .count(),
        3,
        "three Dummies from the stream: {printed}"
    );
    assert_eq!(
        lines.last(),
        Some(&"StatusCode.NOT_FOUND Dummy 424242 not found"),
        "{printed}"
    );

    let websockets = readme_snippet("python-websockets").replace("localhost:8080", &served.http);
    let printed = run(&websockets);
    assert!(
        printed.starts_with("{'message': 'hi from Python', 'room': 'lobby', 'sender': "),
        "{printed}"
    );
}

test_support::tests! {
    sync: the_readme_python_snippets_work_as_written;
}
