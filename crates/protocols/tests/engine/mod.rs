//! What the tests that drive the Docker engine share (the Compose stack's and the
//! Swarm's): commands run in the workspace root, and the tools they need.

use std::path::{Path, PathBuf};
use std::process::{Child, Command, Output};
use std::time::Duration;

/// The workspace root, where the Compose and stack files are.
pub fn root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../..")
        .canonicalize()
        .unwrap()
}

/// Runs a command in the workspace root, whatever its exit status.
pub fn output(command: &mut Command) -> Output {
    command
        .current_dir(root())
        .output()
        .unwrap_or_else(|e| panic!("{command:?}: {e}"))
}

/// Runs a command in the workspace root; panics with its output unless it succeeds.
pub fn run(command: &mut Command) -> String {
    let output = output(command);
    assert!(
        output.status.success(),
        "{command:?} failed\n{}\n{}",
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr)
    );
    String::from_utf8_lossy(&output.stdout).into_owned()
}

/// `docker <args>`, which must succeed: its standard output.
pub fn docker(args: &[&str]) -> String {
    run(Command::new("docker").args(args))
}

/// Skips the test (fails it under CI) unless the engine answers and the docker CLI has
/// Compose v2 (which builds the images), and `just` is here (the offline binaries).
pub fn require_engine(why: &str) {
    test_support::require_tool("docker", "info", why);
    let compose = Command::new("docker").args(["compose", "version"]).output();
    if !compose.is_ok_and(|o| o.status.success()) {
        test_support::harness::skip(format!(
            "`docker compose` (Compose v2) is not available ({why}); .ci/run shows how to install it"
        ));
    }
    test_support::require_tool("just", "--version", why);
}

/// Waits until the capture `just capture` / `scripts/capture.sh` started (with its stderr
/// piped) records, echoing what it says.
pub fn wait_until_capturing(capture: &mut Child) {
    let stderr = capture.stderr.take().unwrap();
    let (started_tx, started) = std::sync::mpsc::channel();
    std::thread::spawn(move || {
        for line in std::io::BufRead::lines(std::io::BufReader::new(stderr)).map_while(Result::ok) {
            eprintln!("capture: {line}");
            if line.contains("Capture started") || line.starts_with("Capturing on") {
                let _ = started_tx.send(());
            }
        }
    });
    started
        .recv_timeout(Duration::from_secs(30))
        .expect("tshark started capturing within 30 s");
    // Older tshark says "Capturing on" a little before dumpcap records.
    std::thread::sleep(Duration::from_secs(2));
}
