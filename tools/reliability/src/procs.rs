//! The services under test, each as its own process: the same binaries a container runs,
//! and `protocols serve`, all five in one process.
//!
//! Every process logs (at `warn`) to its own file, so the suite can count panics
//! afterwards; it is stopped when its [`Service`] is dropped, however the scenario ends
//! (a [`Process`] of the workspace's one process harness, `test_support::process`).

use std::net::SocketAddr;
use std::ops::{Deref, DerefMut};
use std::path::Path;
use std::process::Command;
use std::time::{Duration, Instant};

use test_support::process::{self, Process};

use clients::Proto;

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
    /// graphql-svc
    Graphql,
    /// messaging-svc (its brokers come from the launch's `AMQP_URL` and `MQTT_ADDR`)
    Messaging,
    /// `protocols serve`: the five services in one process, every HTTP route on one
    /// port ([`Service::addr`]) and gRPC on another.
    Serve,
}

impl Kind {
    /// The five service binaries, in the order the tables list them.
    pub const ALL: [Kind; 5] = [Kind::Rest, Kind::Rpc, Kind::Grpc, Kind::Ws, Kind::Graphql];

    /// The five service binaries and `protocols serve`.
    pub const EVERY: [Kind; 6] = [
        Kind::Rest,
        Kind::Rpc,
        Kind::Grpc,
        Kind::Ws,
        Kind::Graphql,
        Kind::Serve,
    ];

    /// The binary's name.
    pub fn binary(self) -> &'static str {
        match self {
            Kind::Rest => "rest-svc",
            Kind::Rpc => "rpc-svc",
            Kind::Grpc => "grpc-svc",
            Kind::Ws => "ws-svc",
            Kind::Graphql => "graphql-svc",
            Kind::Messaging => "messaging-svc",
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
        let mut command = Command::new(process::binary(self.binary()));
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
            Kind::Graphql => "GRAPHQL_ADDR",
            Kind::Messaging => "MESSAGING_ADDR",
            Kind::Serve => "HTTP_ADDR",
        }
    }

    /// The protocols whose Dummy calls this binary answers.
    pub fn protos(self) -> &'static [Proto] {
        match self {
            Kind::Rest => &[Proto::Rest],
            Kind::Rpc => &[Proto::JsonRpc, Proto::XmlRpc],
            Kind::Grpc => &[Proto::Grpc],
            Kind::Ws | Kind::Messaging => &[],
            Kind::Graphql => &[Proto::Graphql],
            Kind::Serve => &Proto::ALL,
        }
    }

    /// Whether it serves the WebSocket routes (`/api/ws/…`).
    pub fn serves_websockets(self) -> bool {
        matches!(self, Kind::Ws | Kind::Serve)
    }
}

/// One running service process.
pub struct Service {
    /// Which binary.
    pub kind: Kind,
    /// Where it listens (`protocols serve`: the port with every HTTP route).
    pub addr: SocketAddr,
    /// Where `protocols serve` answers gRPC; the same as `addr` for the other kinds.
    pub grpc_addr: SocketAddr,
    process: Process,
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
        let addr = process::free_addr();
        let grpc_addr = match launch.kind {
            Kind::Serve => process::free_addr(),
            _ => addr,
        };
        let log = launch.log_dir.join(format!("{}.log", launch.name));
        let binary = process::binary(launch.kind.binary());
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
            for var in [
                "REST_ADDR",
                "RPC_ADDR",
                "WS_ADDR",
                "GRAPHQL_ADDR",
                "MESSAGING_ADDR",
            ] {
                command.env(var, "127.0.0.1:0");
            }
            command
                .env("GRPC_ADDR", grpc_addr.to_string())
                .env("HTTP_WORKERS", "2")
                // No brokers: the suite's scenarios are about the database.
                .env("AMQP_URL", "")
                .env("MQTT_ADDR", "");
        }
        command
            .env(launch.kind.addr_env(), addr.to_string())
            .env("DATABASE_URL", launch.database)
            .env("RUST_LOG", "warn")
            .env("RUST_BACKTRACE", "1")
            .env("WS_WORKERS", "2")
            .env("REST_WORKERS", "2")
            .env("RPC_WORKERS", "2")
            .env("GRAPHQL_WORKERS", "2");
        for (key, value) in launch.env {
            command.env(key, value);
        }
        Ok(Service {
            kind: launch.kind,
            addr,
            grpc_addr,
            process: Process::start_logged(launch.kind.name(), &mut command, &log)?,
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
            self.process
                .check_running("was healthy")
                .map_err(anyhow::Error::msg)?;
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
        Err(anyhow::Error::msg(
            self.failure(&format!("was not healthy after {timeout:?}")),
        ))
    }

    /// Waits until its port accepts connections (nothing is sent): how long that took.
    ///
    /// # Errors
    /// When it does not within `timeout`, or the process exits.
    pub async fn wait_listening(&mut self, timeout: Duration) -> anyhow::Result<Duration> {
        let addr = self.addr;
        self.process
            .wait_listening(addr, timeout)
            .await
            .map_err(anyhow::Error::msg)
    }
}

/// A service is its process too: its pid, SIGTERM, exit status, memory and log.
impl Deref for Service {
    type Target = Process;
    fn deref(&self) -> &Process {
        &self.process
    }
}

impl DerefMut for Service {
    fn deref_mut(&mut self) -> &mut Process {
        &mut self.process
    }
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
