//! The pages `protocols serve` hosts, in a real browser (Debian's headless Chromium,
//! driven by playwright-core): the gRPC-Web page against the gRPC port, and the
//! WebSocket pages (echo, two pages in one room, the live feed) on the composed port.

use std::path::Path;

use test_support::TestDb;

use crate::helpers::{Served, seed};

fn browser_ready() -> bool {
    let dir = concat!(env!("CARGO_MANIFEST_DIR"), "/../../tests/browser");
    if !test_support::tool_available("node", "--version", "browser tests")
        || !test_support::tool_available("chromium", "--version", "browser tests")
    {
        return false;
    }
    let installed = Path::new(dir).join("node_modules/playwright-core").exists();
    assert!(
        installed || !std::env::var("CI").is_ok_and(|v| v == "true"),
        "run `npm ci` in tests/browser (.ci/run does)"
    );
    if !installed {
        eprintln!("skipping: run `npm ci` in tests/browser for the browser tests");
    }
    installed
}

fn node(script: &str, args: &[String]) {
    let output = std::process::Command::new("node")
        .arg(script)
        .args(args)
        .current_dir(concat!(env!("CARGO_MANIFEST_DIR"), "/../../tests/browser"))
        .output()
        .expect("run node");
    let stdout = String::from_utf8_lossy(&output.stdout);
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(
        output.status.success(),
        "{script} failed\n{stdout}\n{stderr}"
    );
    assert!(stdout.contains("browser checks passed"), "{stdout}");
}

#[test]
fn the_grpc_web_page_calls_every_kind_of_rpc_and_shows_the_frames() {
    if !browser_ready() {
        return;
    }
    let db = TestDb::sqlite();
    seed(&db.url, 5);
    let served = Served::start(&db.url);
    node(
        "grpc.mjs",
        &[
            format!("http://{}", served.http),
            format!("http://{}", served.grpc),
        ],
    );
}

#[test]
fn the_websocket_pages_echo_chat_and_show_the_live_feed() {
    if !browser_ready() {
        return;
    }
    let db = TestDb::sqlite();
    let served = Served::start(&db.url);
    node("ws.mjs", &[format!("http://{}", served.http)]);
}
