//! The services under test, each as its own process: the same binaries a container runs,
//! and `protocols serve`, all four in one process.
//!
//! Every process logs (at `warn`) to its own file, so the suite can count panics
//! afterwards; it is killed when its [`Service`] is dropped, however the scenario ends.

use std::net::{SocketAddr, TcpListener};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, ExitStatus, Stdio};
use std::time::{Duration, Instant};

use crate::clients::Proto;

/// Which binary.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    /// rest-svc
    Rest,
    /// rpc-svc (JSON-RPC and XML-RPC)
    Rpc,
    /// grpc-svc
    Grpc,
    /// ws-svc
    Ws,
    /// `protocols serve`: the four services in one process, every HTTP route on one
    /// port ([`Service::addr`]) and gRPC on another.
    Serve,
}

impl Kind {
    /// The four service binaries, in the order the tables list them.
    pub const ALL: [Kind; 4] = [Kind::Rest, Kind::Rpc, Kind::Grpc, Kind::Ws];

    /// The four service binaries and `protocols serve`.
    pub const EVERY: [Kind; 5] = [Kind::Rest, Kind::Rpc, Kind::Grpc, Kind::Ws, Kind::Serve];

    /// The binary's name.
    pub fn binary(self) -> &'static str {
        match self {
            Kind::Rest => "rest-svc",
            Kind::Rpc => "rpc-svc",
            Kind::Grpc => "grpc-svc",
            Kind::Ws => "ws-svc",
            Kind::Serve => "protocols",
        }
    }

    /// The name in tables and log files: the binary's, or `protocols serve`.
    pub fn name(self) -> &'static str {
        match self {
            Kind::Serve => "protocols serve",
            other => other.binary(),
        }
    }

    /// The binary, with the subcommand `protocols` needs.
    pub fn command(self) -> Command {
        let mut command = Command::new(binary_path(self.binary()));
        if self == Kind::Serve {
            command.arg("serve");
        }
        command
    }

    /// The environment variable that sets the (main) listening address: for
    /// `protocols serve`, the port with every HTTP route.
    pub fn addr_env(self) -> &'static str {
        match self {
            Kind::Rest => "REST_ADDR",
            Kind::Rpc => "RPC_ADDR",
            Kind::Grpc => "GRPC_ADDR",
            Kind::Ws => "WS_ADDR",
            Kind::Serve => "HTTP_ADDR",
        }
    }

    /// The protocols whose Dummy calls this binary answers.
    pub fn protos(self) -> &'static [Proto] {
        match self {
            Kind::Rest => &[Proto::Rest],
            Kind::Rpc => &[Proto::JsonRpc, Proto::XmlRpc],
            Kind::Grpc => &[Proto::Grpc],
            Kind::Ws => &[],
            Kind::Serve => &Proto::ALL,
        }
    }

    /// Whether it serves the WebSocket routes (`/api/ws/…`).
    pub fn serves_websockets(self) -> bool {
        matches!(self, Kind::Ws | Kind::Serve)
    }
}

/// The service binaries live next to this one (`target/<profile>/`). A `cargo test`
/// run builds them; when they are missing this builds them with the same profile.
pub fn binary_path(name: &str) -> PathBuf {
    let exe = std::env::current_exe().expect("the current executable's path");
    let mut dir = exe.parent().expect("a directory").to_path_buf();
    // Test binaries sit one level deeper, in `deps/`.
    if dir.ends_with("deps") {
        dir.pop();
    }
    let path = dir.join(name);
    if !path.exists() {
        let cargo = std::env::var("CARGO").unwrap_or_else(|_| "cargo".to_owned());
        let mut build = Command::new(cargo);
        build.args([
            "build",
            "-p",
            "rest-svc",
            "-p",
            "rpc-svc",
            "-p",
            "grpc-svc",
            "-p",
            "ws-svc",
            "-p",
            "protocols",
        ]);
        if dir.ends_with("release") {
            build.arg("--release");
        }
        let status = build.status().expect("run cargo build");
        assert!(status.success(), "building the service binaries failed");
    }
    path
}

/// A free port on localhost (bound, then released for the service to take).
pub fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .map(|a| a.port())
        .expect("a free port")
}

/// One running service process.
pub struct Service {
    /// Which binary.
    pub kind: Kind,
    /// Where it listens (`protocols serve`: the port with every HTTP route).
    pub addr: SocketAddr,
    /// Where `protocols serve` answers gRPC; the same as `addr` for the other kinds.
    pub grpc_addr: SocketAddr,
    child: Child,
    log: PathBuf,
    exited: Option<ExitStatus>,
}

/// How to start a service.
pub struct Launch<'a> {
    /// Which binary.
    pub kind: Kind,
    /// `DATABASE_URL`.
    pub database: &'a str,
    /// Where the log file goes.
    pub log_dir: &'a Path,
    /// A name for the log file (unique within `log_dir`).
    pub name: &'a str,
    /// More environment variables.
    pub env: &'a [(&'a str, String)],
}

impl Service {
    /// Starts the binary on a free port.
    ///
    /// # Errors
    /// When the process can't be started.
    pub fn start(launch: &Launch<'_>) -> std::io::Result<Service> {
        Service::spawn(launch, None)
    }

    /// Starts the binary with its soft open-file limit lowered to `soft` first (through
    /// the shell's `ulimit`), as a login shell's default of 1024 would leave it.
    ///
    /// # Errors
    /// When the process can't be started.
    pub fn start_with_soft_open_files(launch: &Launch<'_>, soft: u64) -> std::io::Result<Service> {
        Service::spawn(launch, Some(soft))
    }

    fn spawn(launch: &Launch<'_>, soft_open_files: Option<u64>) -> std::io::Result<Service> {
        let addr: SocketAddr = ([127, 0, 0, 1], free_port()).into();
        let grpc_addr = match launch.kind {
            Kind::Serve => ([127, 0, 0, 1], free_port()).into(),
            _ => addr,
        };
        let log = launch.log_dir.join(format!("{}.log", launch.name));
        let file = std::fs::File::create(&log)?;
        let binary = binary_path(launch.kind.binary());
        let mut command = match soft_open_files {
            Some(soft) => {
                let mut sh = Command::new("sh");
                sh.args(["-c", &format!("ulimit -Sn {soft} && exec \"$0\" \"$@\"")])
                    .arg(&binary);
                sh
            }
            None => Command::new(&binary),
        };
        if launch.kind == Kind::Serve {
            command.arg("serve");
            // Its other ports: each service's own, which the suite does not use.
            for var in ["REST_ADDR", "RPC_ADDR", "WS_ADDR"] {
                command.env(var, "127.0.0.1:0");
            }
            command
                .env("GRPC_ADDR", grpc_addr.to_string())
                .env("HTTP_WORKERS", "2");
        }
        command
            .env(launch.kind.addr_env(), addr.to_string())
            .env("DATABASE_URL", launch.database)
            .env("RUST_LOG", "warn")
            .env("RUST_BACKTRACE", "1")
            .env("WS_WORKERS", "2")
            .env("REST_WORKERS", "2")
            .env("RPC_WORKERS", "2")
            .stdout(Stdio::null())
            .stderr(file);
        for (key, value) in launch.env {
            command.env(key, value);
        }
        let child = command.spawn()?;
        Ok(Service {
            kind: launch.kind,
            addr,
            grpc_addr,
            child,
            log,
            exited: None,
        })
    }

    /// `http://127.0.0.1:port`
    pub fn base(&self) -> String {
        format!("http://{}", self.addr)
    }

    /// Where this process answers `proto`'s Dummy calls.
    pub fn addr_for(&self, proto: Proto) -> SocketAddr {
        match proto {
            Proto::Grpc => self.grpc_addr,
            _ => self.addr,
        }
    }

    /// The process id.
    pub fn pid(&self) -> u32 {
        self.child.id()
    }

    /// Waits until the service answers its health check: `/healthz` 200, or gRPC
    /// health `SERVING`.
    ///
    /// # Errors
    /// When it does not within `timeout`, or the process exits.
    pub async fn wait_healthy(&mut self, timeout: Duration) -> anyhow::Result<Duration> {
        let started = Instant::now();
        let http = reqwest::Client::builder()
            .timeout(Duration::from_secs(2))
            .build()?;
        while started.elapsed() < timeout {
            if let Some(status) = self.try_exit() {
                return Err(anyhow::anyhow!(
                    "{} exited with {status} before it was healthy: {}",
                    self.kind.name(),
                    self.log_tail()
                ));
            }
            let healthy = match self.kind {
                Kind::Grpc => grpc_serving(self.addr).await == Some(true),
                _ => http
                    .get(format!("{}/healthz", self.base()))
                    .send()
                    .await
                    .is_ok_and(|r| r.status().is_success()),
            };
            if healthy {
                return Ok(started.elapsed());
            }
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
        Err(anyhow::anyhow!(
            "{} was not healthy after {timeout:?}: {}",
            self.kind.name(),
            self.log_tail()
        ))
    }

    /// Waits until its port accepts connections (nothing is sent): how long that took.
    ///
    /// # Errors
    /// When it does not within `timeout`, or the process exits.
    pub async fn wait_listening(&mut self, timeout: Duration) -> anyhow::Result<Duration> {
        let started = Instant::now();
        while started.elapsed() < timeout {
            if let Some(status) = self.try_exit() {
                return Err(anyhow::anyhow!(
                    "{} exited with {status} before it listened: {}",
                    self.kind.name(),
                    self.log_tail()
                ));
            }
            if tokio::net::TcpStream::connect(self.addr).await.is_ok() {
                return Ok(started.elapsed());
            }
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
        Err(anyhow::anyhow!(
            "{} did not listen within {timeout:?}: {}",
            self.kind.name(),
            self.log_tail()
        ))
    }

    /// Sends SIGTERM, as `docker stop` does.
    pub fn terminate(&self) {
        let _ = Command::new("kill")
            .args(["-TERM", &self.pid().to_string()])
            .status();
    }

    /// The exit status, if the process has ended.
    pub fn try_exit(&mut self) -> Option<ExitStatus> {
        if self.exited.is_none() {
            self.exited = self.child.try_wait().ok().flatten();
        }
        self.exited
    }

    /// Waits for the process to end; `None` when it is still running after `timeout`.
    pub async fn wait_exit(&mut self, timeout: Duration) -> Option<ExitStatus> {
        let started = Instant::now();
        while started.elapsed() < timeout {
            if let Some(status) = self.try_exit() {
                return Some(status);
            }
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
        None
    }

    /// Peak resident memory so far, in KiB (`VmHWM`), while the process runs.
    pub fn peak_rss_kib(&self) -> Option<u64> {
        proc_status_kib(self.pid(), "VmHWM:")
    }

    /// Resident memory now, in KiB (`VmRSS`).
    pub fn rss_kib(&self) -> Option<u64> {
        proc_status_kib(self.pid(), "VmRSS:")
    }

    /// The process's open-file limits (soft, hard), from `/proc/<pid>/limits`.
    pub fn open_file_limits(&self) -> Option<(u64, u64)> {
        let limits = std::fs::read_to_string(format!("/proc/{}/limits", self.pid())).ok()?;
        let line = limits.lines().find(|l| l.starts_with("Max open files"))?;
        let mut numbers = line
            .trim_start_matches("Max open files")
            .split_whitespace()
            .map(|n| n.parse::<u64>().unwrap_or(u64::MAX));
        Some((numbers.next()?, numbers.next()?))
    }

    /// Everything the process logged.
    pub fn log_text(&self) -> String {
        std::fs::read_to_string(&self.log).unwrap_or_default()
    }

    /// How many panics the log records (a panic prints "panicked at").
    pub fn panics(&self) -> usize {
        self.log_text().matches("panicked at").count()
    }

    /// How many WARN lines the log holds so far.
    pub fn warn_lines(&self) -> usize {
        self.log_text()
            .lines()
            .filter(|l| l.contains(" WARN "))
            .count()
    }

    /// The last lines of the log, for error messages.
    pub fn log_tail(&self) -> String {
        let text = self.log_text();
        let lines: Vec<&str> = text.lines().collect();
        lines[lines.len().saturating_sub(8)..].join("\n")
    }
}

impl Drop for Service {
    fn drop(&mut self) {
        if self.try_exit().is_none() {
            let _ = self.child.kill();
            let _ = self.child.wait();
        }
    }
}

fn proc_status_kib(pid: u32, field: &str) -> Option<u64> {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).ok()?;
    let line = status.lines().find(|l| l.starts_with(field))?;
    line.split_whitespace().nth(1)?.parse().ok()
}

/// Asks `grpc.health.v1.Health/Check` for the server's overall status: `Some(true)`
/// when SERVING, `Some(false)` for any other answer, `None` when nothing answers.
pub async fn grpc_serving(addr: SocketAddr) -> Option<bool> {
    use tonic_health::pb::health_check_response::ServingStatus;
    use tonic_health::pb::{HealthCheckRequest, health_client::HealthClient};
    let channel = tonic::transport::Endpoint::from_shared(format!("http://{addr}"))
        .ok()?
        .connect_timeout(Duration::from_secs(1))
        .timeout(Duration::from_secs(2))
        .connect()
        .await
        .ok()?;
    let answer = HealthClient::new(channel)
        .check(HealthCheckRequest {
            service: String::new(),
        })
        .await
        .ok()?;
    Some(answer.into_inner().status == ServingStatus::Serving as i32)
}
