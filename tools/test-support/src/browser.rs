//! A headless Chromium for the page tests, driven over W3C WebDriver.
//!
//! ```text
//! test --fantoccini: HTTP/JSON--> chromedriver --DevTools--> chromium --headless
//! ```
//!
//! [`Browser::launch`] starts Debian's `chromedriver` on a free port, in a process group of
//! its own (Chromium's processes join it) and with a temporary directory of its own as
//! `TMPDIR` (Chromium's profile goes there). Dropping the [`Browser`] kills the group and
//! removes the directory, even when a test panics half-way. One WebDriver session holds
//! every page: each [`Browser::open`] gets a window of its own (the chat check needs
//! several members in one room), and every [`Page`] call first switches the session to its
//! window.
//!
//! The session asks chromedriver (`goog:loggingPrefs`) to keep two logs, which
//! [`Browser::close`] reads through chromedriver's `POST /session/{id}/se/log`:
//! - `performance`: the DevTools events `Network.requestWillBeSent` and
//!   `Network.webSocketCreated` of every window, so every URL a page asked for. Each must be
//!   on an allowed origin (that of any page opened so far, or one given to `launch`): no
//!   CDN, the pages work offline.
//! - `browser`: the console. Entries whose source is `javascript` are uncaught exceptions
//!   and unhandled rejections; any of them fails the test.
//!
//! Waits poll the DOM every 50 ms for up to [`TIMEOUT`]; one that times out also reports
//! what the logs show so far. Like Playwright's locators, a [`Target`] must match exactly
//! one element unless it says [`first`] or [`last`].
//!
//! `CHROMIUM` and `CHROMEDRIVER` name other binaries (defaults `/usr/bin/chromium` and
//! `chromedriver`). With `SCREENSHOT=file.png` every page is saved, full length, when the
//! browser closes (the second as `file-2.png`, and so on).

use std::fmt;
use std::io::{BufRead, BufReader};
use std::os::unix::process::CommandExt;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::Mutex;
use std::time::{Duration, Instant};

use base64::Engine;
use fantoccini::elements::{Element, ElementRef};
use fantoccini::key::Key;
use fantoccini::wd::{WebDriverCompatibleCommand, WindowHandle};
use fantoccini::{Client, ClientBuilder};
use hyper_util::client::legacy::connect::HttpConnector;
use serde_json::{Value as Json, json};

/// How long a wait polls before the test fails.
pub const TIMEOUT: Duration = Duration::from_secs(15);

const POLL: Duration = Duration::from_millis(50);

/// Chromium's switches: headless, and nothing that reaches the network by itself.
const CHROMIUM_ARGS: &[&str] = &[
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    // Playwright's default viewport, which the pages were first checked at.
    "--window-size=1280,720",
];

/// How WebDriver marks an element in JSON (W3C WebDriver, "web element identifier").
const ELEMENT_KEY: &str = "element-6066-11e4-a52e-4f735466cecf";

/// The browser binary: `CHROMIUM`, or Debian's.
fn chromium() -> String {
    std::env::var("CHROMIUM").unwrap_or_else(|_| "/usr/bin/chromium".to_owned())
}

/// The driver binary: `CHROMEDRIVER`, or `chromedriver` on the `PATH` (Debian's
/// `chromium-driver` package, of the same version as `chromium`).
fn chromedriver() -> String {
    std::env::var("CHROMEDRIVER").unwrap_or_else(|_| "chromedriver".to_owned())
}

/// Requires Chromium and chromedriver: without either the test is skipped, and fails
/// under CI (see [`crate::require_tool`]).
pub fn require(why: &str) {
    crate::require_tool(&chromium(), "--version", why);
    crate::require_tool(&chromedriver(), "--version", why);
}

/// Which elements a call acts on: a CSS selector, optionally narrowed to the elements
/// whose text is exactly some string, and to the first or last match.
#[derive(Debug, Clone)]
pub struct Target {
    css: String,
    text: Option<String>,
    pick: Pick,
}

#[derive(Debug, Clone, Copy)]
enum Pick {
    /// Exactly one element must match.
    Only,
    /// The first match, in document order.
    First,
    /// The last match, in document order.
    Last,
}

impl Target {
    /// Only the elements whose `textContent` is exactly `text`.
    pub fn with_text(mut self, text: &str) -> Target {
        self.text = Some(text.to_owned());
        self
    }

    fn args(&self) -> Vec<Json> {
        let pick = match self.pick {
            Pick::Only => "only",
            Pick::First => "first",
            Pick::Last => "last",
        };
        vec![json!(self.css), json!(self.text), json!(pick)]
    }
}

impl From<&str> for Target {
    fn from(css: &str) -> Target {
        Target {
            css: css.to_owned(),
            text: None,
            pick: Pick::Only,
        }
    }
}

impl From<String> for Target {
    fn from(css: String) -> Target {
        Target::from(css.as_str())
    }
}

impl From<&String> for Target {
    fn from(css: &String) -> Target {
        Target::from(css.as_str())
    }
}

impl fmt::Display for Target {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.pick {
            Pick::Only => write!(f, "`{}`", self.css)?,
            Pick::First => write!(f, "the first `{}`", self.css)?,
            Pick::Last => write!(f, "the last `{}`", self.css)?,
        }
        match &self.text {
            Some(text) => write!(f, " with the text {text:?}"),
            None => Ok(()),
        }
    }
}

/// The first element that matches `css`.
pub fn first(css: &str) -> Target {
    Target {
        pick: Pick::First,
        ..Target::from(css)
    }
}

/// The last element that matches `css`.
pub fn last(css: &str) -> Target {
    Target {
        pick: Pick::Last,
        ..Target::from(css)
    }
}

/// Finds a target's elements; every script that looks for one starts with this.
/// `arguments`: the selector, the exact text or null, and which match to keep.
const LOCATE: &str = r#"
const [css, text, pick] = arguments;
let found = [...document.querySelectorAll(css)];
if (text !== null) found = found.filter((el) => el.textContent === text);
if (pick === 'first') found = found.slice(0, 1);
if (pick === 'last') found = found.slice(-1);
"#;

/// What a wait needs of the one element before it goes on.
#[derive(Debug, Clone, Copy, PartialEq)]
enum Ready {
    /// In the document.
    Attached,
    /// Laid out with a size, not hidden (what Playwright waits for by default).
    Visible,
    /// Visible and not disabled: it can be clicked or typed into.
    Enabled,
}

/// A chromedriver command of its own, which fantoccini sends for us: `POST
/// /session/{id}/{path}` with a JSON body.
#[derive(Debug)]
struct SessionPost {
    path: &'static str,
    body: Json,
}

impl WebDriverCompatibleCommand for SessionPost {
    fn endpoint(
        &self,
        base_url: &url::Url,
        session_id: Option<&str>,
    ) -> Result<url::Url, url::ParseError> {
        let session = session_id.unwrap_or_default();
        base_url.join(&format!("session/{session}/{}", self.path))
    }

    fn method_and_body(&self, _request_url: &url::Url) -> (http::Method, Option<String>) {
        (http::Method::POST, Some(self.body.to_string()))
    }
}

/// The chromedriver process; dropping it kills its whole process group (the driver and
/// every Chromium process it started), then removes their temporary files.
struct Driver {
    child: Child,
    url: String,
    /// The driver's and Chromium's `TMPDIR`: the profile Chromium runs with is made in here.
    _tmp: tempfile::TempDir,
}

impl Driver {
    async fn start() -> Driver {
        let program = chromedriver();
        let tmp = tempfile::tempdir().expect("create a temporary directory");
        let mut child = Command::new(&program)
            // Port 0: it picks a free one and prints it.
            .arg("--port=0")
            .env("TMPDIR", tmp.path())
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .process_group(0)
            .spawn()
            .unwrap_or_else(|e| panic!("cannot start {program}: {e}"));
        let stdout = child.stdout.take().expect("stdout is piped");
        let mut driver = Driver {
            child,
            url: String::new(),
            _tmp: tmp,
        };
        let (port_tx, port_rx) = tokio::sync::oneshot::channel();
        std::thread::spawn(move || {
            let mut port_tx = Some(port_tx);
            for line in BufReader::new(stdout).lines() {
                let Ok(line) = line else { break };
                // "ChromeDriver was started successfully on port 41235."
                let port = line
                    .strip_prefix("ChromeDriver was started successfully on port ")
                    .and_then(|rest| rest.trim_end_matches('.').parse::<u16>().ok());
                if let Some(port) = port
                    && let Some(tx) = port_tx.take()
                {
                    let _ = tx.send(port);
                }
                // Keep reading to the end, so the driver never writes into a closed pipe.
            }
        });
        match tokio::time::timeout(TIMEOUT, port_rx).await {
            Ok(Ok(port)) => driver.url = format!("http://127.0.0.1:{port}"),
            _ => panic!("{program} did not report its port within {TIMEOUT:?}"),
        }
        driver
    }
}

impl Drop for Driver {
    fn drop(&mut self) {
        // process_group(0) made the driver's pid its group's id; the zombie we have not
        // reaped yet keeps that id from being reused.
        let group = format!("-{}", self.child.id());
        let _ = Command::new("kill")
            .args(["-KILL", "--", &group])
            .stderr(Stdio::null())
            .status();
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// What the logs showed so far.
#[derive(Debug, Default)]
struct Findings {
    /// URLs on origins that were not allowed, each once.
    foreign: Vec<String>,
    /// Uncaught exceptions, as the console printed them.
    errors: Vec<String>,
}

impl Findings {
    fn summary(&self) -> String {
        let mut out = String::new();
        if !self.foreign.is_empty() {
            out += &format!(
                "\nthe page requested other origins: {}",
                self.foreign.join(", ")
            );
        }
        if !self.errors.is_empty() {
            out += &format!("\nthe page threw: {}", self.errors.join("; "));
        }
        out
    }
}

/// The origin a page or request URL belongs to, `scheme://host:port`. A WebSocket URL
/// belongs to the HTTP origin on the same host and port.
fn origin_of(url: &str) -> Option<String> {
    let mut url = url::Url::parse(url).ok()?;
    match url.scheme() {
        "ws" => url.set_scheme("http").ok()?,
        "wss" => url.set_scheme("https").ok()?,
        _ => {}
    }
    Some(url.origin().ascii_serialization())
}

/// One headless Chromium with any number of pages; see the module docs.
pub struct Browser {
    client: Client,
    /// The blank window the session starts with; the first page uses it.
    initial: WindowHandle,
    /// Every page's window, in the order they were opened (for the screenshots).
    windows: Mutex<Vec<WindowHandle>>,
    /// The window the session's commands go to now. Held for the length of each page call,
    /// so calls on two pages never interleave between the switch and the command.
    focused: tokio::sync::Mutex<WindowHandle>,
    /// The origins pages may request: each opened page's own, and those given to `launch`.
    origins: Mutex<Vec<String>>,
    findings: Mutex<Findings>,
    _driver: Driver,
}

impl Browser {
    /// Starts chromedriver and a headless Chromium with no page yet. Besides each page's
    /// own origin, pages may request `allowed_origins` (for instance the gRPC port, which
    /// the `/grpc` page calls with CORS).
    ///
    /// # Panics
    /// When chromedriver or Chromium can't start, or an allowed origin is not a URL.
    pub async fn launch(allowed_origins: &[&str]) -> Browser {
        let origins = allowed_origins
            .iter()
            .map(|o| origin_of(o).unwrap_or_else(|| panic!("not a URL: {o}")))
            .collect();
        let driver = Driver::start().await;
        let Json::Object(capabilities) = json!({
            "browserName": "chrome",
            "goog:chromeOptions": {
                "binary": chromium(),
                "args": CHROMIUM_ARGS,
                // Only the network events: the origin check needs nothing else.
                "perfLoggingPrefs": { "enableNetwork": true, "enablePage": false },
            },
            "goog:loggingPrefs": { "performance": "ALL", "browser": "ALL" },
        }) else {
            unreachable!("an object literal")
        };
        let client = ClientBuilder::new(HttpConnector::new())
            .capabilities(capabilities)
            .connect(&driver.url)
            .await
            .unwrap_or_else(|e| panic!("chromedriver could not start {}: {e}", chromium()));
        let initial = client.window().await.expect("the session's first window");
        Browser {
            client,
            focused: tokio::sync::Mutex::new(initial.clone()),
            initial,
            windows: Mutex::new(Vec::new()),
            origins: Mutex::new(origins),
            findings: Mutex::new(Findings::default()),
            _driver: driver,
        }
    }

    /// A page in a window of its own that has loaded `url`; its origin is allowed from now on.
    ///
    /// # Panics
    /// When the window can't be opened or the page can't be loaded.
    pub async fn open(&self, url: &str) -> Page<'_> {
        let origin = origin_of(url).unwrap_or_else(|| panic!("not a URL: {url}"));
        self.origins.lock().unwrap().push(origin);
        let mut focused = self.focused.lock().await;
        let first = self.windows.lock().unwrap().is_empty();
        let window = if first {
            self.initial.clone()
        } else {
            self.client
                .new_window(false)
                .await
                .unwrap_or_else(|e| panic!("open a window for {url}: {e}"))
                .handle
        };
        self.client
            .switch_to_window(window.clone())
            .await
            .unwrap_or_else(|e| panic!("switch to the window for {url}: {e}"));
        *focused = window.clone();
        self.windows.lock().unwrap().push(window.clone());
        self.client
            .goto(url)
            .await
            .unwrap_or_else(|e| panic!("load {url}: {e}"));
        Page {
            browser: self,
            window,
            name: url.to_owned(),
        }
    }

    /// Saves the screenshots if asked, ends the session and chromedriver.
    ///
    /// # Panics
    /// When any page requested an origin that is not allowed, or threw an uncaught error.
    pub async fn close(self) {
        if let Some(path) = std::env::var_os("SCREENSHOT") {
            self.screenshots(Path::new(&path)).await;
        }
        self.read_logs().await;
        let findings = std::mem::take(&mut *self.findings.lock().unwrap());
        let Browser { client, .. } = self;
        // Deleting the session makes chromedriver quit Chromium; then the rest is dropped.
        if let Err(e) = client.close().await {
            eprintln!("closing the browser session: {e}");
        }
        let summary = findings.summary();
        assert!(summary.is_empty(), "the browser check failed:{summary}");
    }

    /// Full-length PNGs of every page: `path` for the first, `stem-N.ext` for the N-th.
    /// A failure is reported and otherwise ignored.
    async fn screenshots(&self, path: &Path) {
        let windows = self.windows.lock().unwrap().clone();
        let mut focused = self.focused.lock().await;
        for (i, window) in windows.into_iter().enumerate() {
            let file = numbered(path, i + 1);
            if let Err(e) = self.screenshot(&window, &file).await {
                eprintln!("screenshot {}: {e}", file.display());
            }
            *focused = window;
        }
    }

    async fn screenshot(&self, window: &WindowHandle, file: &Path) -> Result<(), String> {
        self.client
            .switch_to_window(window.clone())
            .await
            .map_err(|e| e.to_string())?;
        let size = self
            .client
            .execute(
                "const e = document.documentElement; return [e.scrollWidth, e.scrollHeight];",
                vec![],
            )
            .await
            .map_err(|e| e.to_string())?;
        // WebDriver's own screenshot stops at the viewport; DevTools can take the whole page.
        let shot = self
            .client
            .issue_cmd(SessionPost {
                path: "goog/cdp/execute",
                body: json!({
                    "cmd": "Page.captureScreenshot",
                    "params": {
                        "format": "png",
                        "captureBeyondViewport": true,
                        "clip": { "x": 0, "y": 0, "width": size[0], "height": size[1], "scale": 1 },
                    },
                }),
            })
            .await
            .map_err(|e| e.to_string())?;
        let png = base64::engine::general_purpose::STANDARD
            .decode(shot["data"].as_str().ok_or("no image data")?)
            .map_err(|e| e.to_string())?;
        std::fs::write(file, png).map_err(|e| e.to_string())
    }

    /// Takes what chromedriver logged since the last call into [`Findings`].
    async fn read_logs(&self) {
        for kind in ["performance", "browser"] {
            // chromedriver hands a log out in batches; an empty one means it's all read.
            loop {
                let batch = self
                    .client
                    .issue_cmd(SessionPost {
                        path: "se/log",
                        body: json!({ "type": kind }),
                    })
                    .await
                    .unwrap_or_else(|e| panic!("read the {kind} log: {e}"));
                let entries = batch.as_array().cloned().unwrap_or_default();
                if entries.is_empty() {
                    break;
                }
                for entry in entries {
                    match kind {
                        "performance" => self.check_request(&entry),
                        _ => self.check_console(&entry),
                    }
                }
            }
        }
    }

    /// A `performance` entry: its `message` is a DevTools event, as JSON text.
    fn check_request(&self, entry: &Json) {
        let Some(event) = entry["message"]
            .as_str()
            .and_then(|m| serde_json::from_str::<Json>(m).ok())
        else {
            return;
        };
        let params = &event["message"]["params"];
        let url = match event["message"]["method"].as_str() {
            Some("Network.requestWillBeSent") => params["request"]["url"].as_str(),
            Some("Network.webSocketCreated") => params["url"].as_str(),
            _ => None,
        };
        // Only these schemes reach the network; data:, blob:, about: and Chromium's own
        // chrome:// pages don't.
        let Some(url) = url.filter(|u| {
            ["http:", "https:", "ws:", "wss:"]
                .iter()
                .any(|scheme| u.starts_with(scheme))
        }) else {
            return;
        };
        let allowed = origin_of(url).is_some_and(|o| self.origins.lock().unwrap().contains(&o));
        let mut findings = self.findings.lock().unwrap();
        if !allowed && !findings.foreign.iter().any(|f| f == url) {
            findings.foreign.push(url.to_owned());
        }
    }

    /// A `browser` entry: `javascript` is the source of uncaught exceptions (console calls
    /// are `console-api`, failed loads `network`).
    fn check_console(&self, entry: &Json) {
        if entry["source"] == "javascript" {
            let message = entry["message"].as_str().unwrap_or_default().to_owned();
            self.findings.lock().unwrap().errors.push(message);
        }
    }
}

/// `dir/shot.png` for n = 1, `dir/shot-2.png` for n = 2, and so on.
fn numbered(path: &Path, n: usize) -> PathBuf {
    if n == 1 {
        return path.to_owned();
    }
    let stem = path.file_stem().unwrap_or_default().to_string_lossy();
    match path.extension() {
        Some(ext) => path.with_file_name(format!("{stem}-{n}.{}", ext.to_string_lossy())),
        None => path.with_file_name(format!("{stem}-{n}")),
    }
}

/// One window of a [`Browser`]. Every call waits (polling, up to [`TIMEOUT`]) for what it
/// needs, and panics with the reason when it can't go on.
pub struct Page<'b> {
    browser: &'b Browser,
    window: WindowHandle,
    /// The URL it was opened with, for messages.
    name: String,
}

impl Page<'_> {
    /// Makes this page's window the session's current one, for as long as the guard lives.
    async fn focus(&self) -> tokio::sync::MutexGuard<'_, WindowHandle> {
        let mut focused = self.browser.focused.lock().await;
        if *focused != self.window {
            self.browser
                .client
                .switch_to_window(self.window.clone())
                .await
                .unwrap_or_else(|e| panic!("switch to {}: {e}", self.name));
            *focused = self.window.clone();
        }
        focused
    }

    /// Runs `script` (a function body; `arguments` holds `args`) in the page and returns
    /// what it returns.
    ///
    /// # Panics
    /// When the script throws.
    pub async fn eval(&self, script: &str, args: Vec<Json>) -> Json {
        let _focus = self.focus().await;
        self.browser
            .client
            .execute(script, args)
            .await
            .unwrap_or_else(|e| panic!("script on {}: {e}\n{script}", self.name))
    }

    /// Polls `script` until it returns something truthy, and returns that.
    ///
    /// # Panics
    /// When it is still falsy after [`TIMEOUT`]; `what` names the wait in the message.
    pub async fn wait_until(&self, what: &str, script: &str, args: Vec<Json>) -> Json {
        let deadline = Instant::now() + TIMEOUT;
        loop {
            let value = self.eval(script, args.clone()).await;
            if truthy(&value) {
                return value;
            }
            if Instant::now() > deadline {
                self.time_out(what).await;
            }
            tokio::time::sleep(POLL).await;
        }
    }

    /// Fails the test: `what` did not happen in time. Reads the logs first, so an exception
    /// the page threw meanwhile shows in the message.
    async fn time_out(&self, what: &str) -> ! {
        self.browser.read_logs().await;
        let findings = self.browser.findings.lock().unwrap().summary();
        panic!(
            "timed out after {TIMEOUT:?} waiting for {what} on {}{findings}",
            self.name
        );
    }

    /// The one element `target` names, once it is `ready`. The DOM is polled; more than one
    /// match for a target that is not `first`/`last` fails at once, as in Playwright.
    async fn element(&self, target: &Target, ready: Ready) -> Element {
        let script = format!(
            "{LOCATE}
            if (found.length !== 1) return {{ count: found.length }};
            const el = found[0];
            const box = el.getBoundingClientRect();
            const visible = box.width > 0 && box.height > 0
              && el.checkVisibility({{ visibilityProperty: true }});
            return {{ count: 1, el, visible, enabled: !el.disabled }};"
        );
        let deadline = Instant::now() + TIMEOUT;
        loop {
            let found = self.eval(&script, target.args()).await;
            let count = found["count"].as_u64().unwrap_or_default();
            assert!(
                count <= 1,
                "{target} matches {count} elements on {}; one was expected",
                self.name
            );
            let is_ready = count == 1
                && match ready {
                    Ready::Attached => true,
                    Ready::Visible => found["visible"] == true,
                    Ready::Enabled => found["visible"] == true && found["enabled"] == true,
                };
            if is_ready {
                let id = found["el"][ELEMENT_KEY]
                    .as_str()
                    .expect("WebDriver returns elements by reference");
                return Element::from_element_id(
                    self.browser.client.clone(),
                    ElementRef::from(id.to_owned()),
                );
            }
            if Instant::now() > deadline {
                let state = match ready {
                    Ready::Attached => "be in the page",
                    Ready::Visible => "be visible",
                    Ready::Enabled => "be visible and enabled",
                };
                self.time_out(&format!("{target} to {state}")).await;
            }
            tokio::time::sleep(POLL).await;
        }
    }

    /// Waits until `target` is visible (Playwright's `waitFor()`).
    pub async fn wait_for(&self, target: impl Into<Target>) {
        self.element(&target.into(), Ready::Visible).await;
    }

    /// How many elements `target` matches now, without waiting.
    pub async fn count(&self, target: impl Into<Target>) -> usize {
        let script = format!("{LOCATE} return found.length;");
        let count = self.eval(&script, target.into().args()).await;
        count.as_u64().expect("a count") as usize
    }

    /// The `textContent` of `target` (raw, not the rendered text), once it is in the page.
    pub async fn text(&self, target: impl Into<Target>) -> String {
        let element = self.element(&target.into(), Ready::Attached).await;
        let text = self
            .eval("return arguments[0].textContent;", vec![json!(element)])
            .await;
        text.as_str().unwrap_or_default().to_owned()
    }

    /// An attribute of `target`, once it is in the page.
    pub async fn attr(&self, target: impl Into<Target>, name: &str) -> Option<String> {
        let element = self.element(&target.into(), Ready::Attached).await;
        let _focus = self.focus().await;
        element
            .attr(name)
            .await
            .unwrap_or_else(|e| panic!("read {name} on {}: {e}", self.name))
    }

    /// The current value of the input `target`, once it is in the page.
    pub async fn value(&self, target: impl Into<Target>) -> String {
        let element = self.element(&target.into(), Ready::Attached).await;
        let value = self
            .eval("return arguments[0].value;", vec![json!(element)])
            .await;
        value.as_str().unwrap_or_default().to_owned()
    }

    /// Clicks `target` (a real mouse click through WebDriver) once it can be clicked.
    pub async fn click(&self, target: impl Into<Target>) {
        let target = target.into();
        let element = self.element(&target, Ready::Enabled).await;
        let _focus = self.focus().await;
        element
            .click()
            .await
            .unwrap_or_else(|e| panic!("click {target} on {}: {e}", self.name));
    }

    /// Replaces the text in the input `target` with `text`, typed key by key.
    pub async fn fill(&self, target: impl Into<Target>, text: &str) {
        let target = target.into();
        let element = self.element(&target, Ready::Enabled).await;
        let _focus = self.focus().await;
        element
            .clear()
            .await
            .unwrap_or_else(|e| panic!("clear {target} on {}: {e}", self.name));
        element
            .send_keys(text)
            .await
            .unwrap_or_else(|e| panic!("type into {target} on {}: {e}", self.name));
    }

    /// Presses Enter in `target`.
    pub async fn press_enter(&self, target: impl Into<Target>) {
        let target = target.into();
        let element = self.element(&target, Ready::Enabled).await;
        let _focus = self.focus().await;
        element
            .send_keys(&char::from(Key::Enter).to_string())
            .await
            .unwrap_or_else(|e| panic!("press Enter in {target} on {}: {e}", self.name));
    }

    /// Chooses the option with `value` in the `<select>` `target`.
    pub async fn select(&self, target: impl Into<Target>, value: &str) {
        let target = target.into();
        let element = self.element(&target, Ready::Enabled).await;
        let _focus = self.focus().await;
        element
            .select_by_value(value)
            .await
            .unwrap_or_else(|e| panic!("select {value:?} in {target} on {}: {e}", self.name));
    }

    /// The URL the page shows now.
    pub async fn url(&self) -> url::Url {
        let _focus = self.focus().await;
        self.browser
            .client
            .current_url()
            .await
            .unwrap_or_else(|e| panic!("read the URL of {}: {e}", self.name))
    }

    /// Waits until the page's URL has the path `path` (after a navigation).
    pub async fn wait_for_path(&self, path: &str) {
        let deadline = Instant::now() + TIMEOUT;
        while self.url().await.path() != path {
            if Instant::now() > deadline {
                self.time_out(&format!("the path {path}")).await;
            }
            tokio::time::sleep(POLL).await;
        }
    }
}

/// JavaScript's truthiness, for the values a script can return.
fn truthy(value: &Json) -> bool {
    match value {
        Json::Null => false,
        Json::Bool(b) => *b,
        Json::Number(n) => n.as_f64().is_some_and(|n| n != 0.0),
        Json::String(s) => !s.is_empty(),
        Json::Array(_) | Json::Object(_) => true,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn origins_of_pages_requests_and_websockets() {
        assert_eq!(
            origin_of("http://127.0.0.1:8080/api/ws/chat/").as_deref(),
            Some("http://127.0.0.1:8080")
        );
        assert_eq!(
            origin_of("ws://127.0.0.1:8080/api/ws/echo/").as_deref(),
            Some("http://127.0.0.1:8080")
        );
        assert_eq!(
            origin_of("wss://example.com/x").as_deref(),
            Some("https://example.com")
        );
        assert_ne!(
            origin_of("http://127.0.0.1:8081/"),
            origin_of("http://127.0.0.1:8080/")
        );
    }

    #[test]
    fn screenshots_after_the_first_are_numbered() {
        assert_eq!(
            numbered(Path::new("out/shot.png"), 1),
            Path::new("out/shot.png")
        );
        assert_eq!(
            numbered(Path::new("out/shot.png"), 2),
            Path::new("out/shot-2.png")
        );
        assert_eq!(numbered(Path::new("shot"), 3), Path::new("shot-3"));
    }
}
