//! Runs the `protocols` binary and waits for it to report where it listens.

use std::io::{BufRead, BufReader};
use std::process::{Command, Stdio};
use std::sync::{Arc, Mutex, mpsc};
use std::time::Duration;

use model::DatabaseUrl;
pub use test_support::process::free_port;
use test_support::process::{self, Process};

/// The binary under test, built by cargo for this test run.
pub fn protocols() -> Command {
    let mut command = Command::new(env!("CARGO_BIN_EXE_protocols"));
    command.env("RUST_LOG", "warn").env_remove("DATABASE_URL");
    command
}

/// A service binary (`rest-svc`, …) beside this test's `protocols`, logging warnings.
pub fn service(name: &str) -> Command {
    let mut command = Command::new(process::binary(name));
    command.env("RUST_LOG", "warn");
    command
}

/// `protocols serve` running on free ports; stopped when dropped.
pub struct Served {
    process: Process,
    /// The composed port (8080 in production).
    pub http: String,
    /// The REST service's own port (8001 in production).
    pub rest: String,
    /// The gRPC port (50051 in production).
    pub grpc: String,
    /// The WebSocket service's own port (8003 in production).
    pub ws: String,
    /// What it logged, when started with [`Served::start_logging`].
    log: Arc<Mutex<String>>,
}

impl Served {
    pub fn start(database: &DatabaseUrl) -> Served {
        Served::launch(database, "127.0.0.1", false)
    }

    /// Logs at info level (`RUST_LOG=info`), kept for [`Served::log_line`].
    pub fn start_logging(database: &DatabaseUrl) -> Served {
        Served::launch(database, "127.0.0.1", true)
    }

    /// Every listen address given as `{host}:0` (a name such as `localhost`, say).
    pub fn start_on_host(database: &DatabaseUrl, host: &str) -> Served {
        Served::launch(database, host, false)
    }

    /// The first log line containing `needle`, waiting up to 10 s for it (started with
    /// [`Served::start_logging`]).
    ///
    /// # Panics
    /// When no such line came, with the log in the message.
    pub fn log_line(&self, needle: &str) -> String {
        for _ in 0..100 {
            let log = self.log.lock().unwrap().clone();
            if let Some(line) = log.lines().find(|l| l.contains(needle)) {
                return line.to_owned();
            }
            std::thread::sleep(Duration::from_millis(100));
        }
        panic!(
            "no log line with {needle:?} within 10 s:\n{}",
            self.log.lock().unwrap()
        );
    }

    fn launch(database: &DatabaseUrl, host: &str, logging: bool) -> Served {
        let mut command = protocols();
        if logging {
            command.env("RUST_LOG", "info").stderr(Stdio::piped());
        }
        command.arg("serve");
        for option in [
            "--http-addr",
            "--rest-addr",
            "--rpc-addr",
            "--grpc-addr",
            "--ws-addr",
            "--graphql-addr",
            "--messaging-addr",
        ] {
            command.arg(option).arg(format!("{host}:0"));
        }
        // No brokers: messaging is tested where it has brokers of its own.
        command
            .env("AMQP_URL", "")
            .env("MQTT_ADDR", "")
            .args(["--workers", "1"])
            .args(["--shutdown-grace-secs", "2"])
            .arg("--database-url")
            .arg(database.expose())
            .stdout(Stdio::piped());
        let mut process =
            Process::start("protocols serve", &mut command).expect("start protocols serve");
        let child = process.child_mut();
        let log = Arc::new(Mutex::new(String::new()));
        if let Some(stderr) = child.stderr.take() {
            let log = log.clone();
            std::thread::spawn(move || {
                for line in BufReader::new(stderr).lines().map_while(Result::ok) {
                    let mut log = log.lock().unwrap();
                    log.push_str(&line);
                    log.push('\n');
                }
            });
        }
        // The banner names the real addresses; read it on a thread so a silent server times out.
        let stdout = child.stdout.take().unwrap();
        let (tx, rx) = mpsc::channel();
        std::thread::spawn(move || {
            for line in BufReader::new(stdout).lines() {
                let Ok(line) = line else { break };
                // Keep draining after the test stopped listening, so the server never
                // writes into a closed pipe.
                let _ = tx.send(line);
            }
        });
        let mut http = None;
        let mut rest = None;
        let mut grpc = None;
        let mut ws = None;
        while http.is_none() || rest.is_none() || grpc.is_none() || ws.is_none() {
            let Ok(line) = rx.recv_timeout(Duration::from_secs(60)) else {
                panic!("protocols serve did not print its addresses within 60 s");
            };
            let address = || {
                line.split("http://")
                    .nth(1)
                    .and_then(|rest| rest.split('/').next())
                    .map(str::to_owned)
            };
            if line.trim_start().starts_with("all HTTP routes") {
                http = address();
            } else if line.trim_start().starts_with("REST") {
                rest = address();
            } else if line.trim_start().starts_with("WebSocket ") {
                ws = line
                    .split("ws://")
                    .nth(1)
                    .and_then(|rest| rest.split('/').next())
                    .map(str::to_owned);
            } else if line.trim_start().starts_with("gRPC ") {
                grpc = line.split_whitespace().nth(1).map(str::to_owned);
            }
        }
        Served {
            process,
            http: http.unwrap(),
            rest: rest.unwrap(),
            grpc: grpc.unwrap(),
            ws: ws.unwrap(),
            log,
        }
    }

    /// Sends SIGTERM (what `docker stop` sends) and waits for the exit status.
    pub fn terminate(mut self) -> std::process::ExitStatus {
        self.process.terminate();
        self.process
            .wait_exit_blocking(Duration::from_secs(10))
            .expect("protocols serve stops within 10 s of SIGTERM")
    }
}

/// `protocols seed N` into a database; returns its stdout.
pub fn seed(database: &DatabaseUrl, n: usize) -> String {
    let output = protocols()
        .args(["seed", &n.to_string(), "--database-url", database.expose()])
        .output()
        .expect("run protocols seed");
    assert!(
        output.status.success(),
        "seed failed: {}",
        String::from_utf8_lossy(&output.stderr)
    );
    String::from_utf8(output.stdout).unwrap()
}
