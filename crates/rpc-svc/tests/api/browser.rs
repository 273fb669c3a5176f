//! A real browser (Debian's headless Chromium, driven by playwright-core) uses `/rpc`.

use crate::helpers::TestApp;

#[tokio::test]
async fn the_rpc_page_calls_both_endpoints_and_shows_the_bytes() {
    let browser_dir = concat!(env!("CARGO_MANIFEST_DIR"), "/../../tests/browser");
    if !test_support::tool_available("node", "--version", "browser test of /rpc")
        || !test_support::tool_available("chromium", "--version", "browser test of /rpc")
    {
        return;
    }
    assert!(
        std::path::Path::new(browser_dir)
            .join("node_modules/playwright-core")
            .exists()
            || std::env::var("CI").is_err(),
        "run `npm ci` in tests/browser (.ci/run does)"
    );
    if !std::path::Path::new(browser_dir)
        .join("node_modules/playwright-core")
        .exists()
    {
        eprintln!("skipping: run `npm ci` in tests/browser for the browser tests");
        return;
    }
    let app = TestApp::sqlite().await;
    let output = tokio::process::Command::new("node")
        .arg("rpc.mjs")
        .arg(app.url(""))
        .current_dir(browser_dir)
        .output()
        .await
        .expect("run node");
    let stdout = String::from_utf8_lossy(&output.stdout);
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(
        output.status.success(),
        "browser test failed\n{stdout}\n{stderr}"
    );
    assert!(stdout.contains("browser checks passed"), "{stdout}");
}
