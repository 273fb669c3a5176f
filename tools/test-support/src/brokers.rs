//! Real brokers for tests, each test with its own.
//!
//! - [`Vhost`]: a virtual host of its own on the RabbitMQ server of the machine
//!   (127.0.0.1:5672, which `.ci/run` starts), made with `rabbitmqctl` and deleted
//!   afterwards, so exchanges and queues of parallel tests never meet.
//! - [`RabbitNode`]: a RabbitMQ node of the test's own (its own ports, data and Erlang
//!   node name), for tests that stop and start the broker.
//! - [`Mosquitto`]: a Mosquitto of the test's own, with a plain and a WebSocket
//!   listener and persistence, stopped and started at will.
//!
//! Without the programs the test is skipped ([`crate::harness::skip`]), and fails
//! under CI.

use std::net::SocketAddr;
use std::os::unix::process::CommandExt;
use std::path::Path;
use std::time::{Duration, Instant};

use tokio::process::{Child, Command};

use crate::process::free_port;

/// The machine's RabbitMQ server, as `.ci/run` starts it.
pub const RABBITMQ: &str = "127.0.0.1:5672";
/// How long a broker may take to start.
const START_TIMEOUT: Duration = Duration::from_secs(60);

/// A fresh virtual host on the machine's RabbitMQ server, deleted on drop.
pub struct Vhost {
    name: String,
}

impl Vhost {
    /// Makes one, and lets `guest` use it.
    pub async fn new() -> Vhost {
        crate::require_tool("rabbitmqctl", "version", "the AMQP tests talk to RabbitMQ");
        if tokio::net::TcpStream::connect(RABBITMQ).await.is_err() {
            crate::harness::skip(format!(
                "RabbitMQ does not listen on {RABBITMQ}; .ci/run shows how to start it"
            ));
        }
        let name = format!(
            "protocols-test-{}-{}",
            std::process::id(),
            fastrand::u32(..)
        );
        rabbitmqctl(&["add_vhost", &name]).await;
        rabbitmqctl(&["set_permissions", "-p", &name, "guest", ".*", ".*", ".*"]).await;
        Vhost { name }
    }

    /// The URL of the vhost, as `AMQP_URL` takes it.
    pub fn url(&self) -> String {
        format!("amqp://guest:guest@{RABBITMQ}/{}", self.name)
    }

    /// Its name.
    pub fn name(&self) -> &str {
        &self.name
    }
}

impl Drop for Vhost {
    fn drop(&mut self) {
        let _ = std::process::Command::new("rabbitmqctl")
            .args(["delete_vhost", &self.name])
            .stdout(std::process::Stdio::null())
            .stderr(std::process::Stdio::null())
            .status();
    }
}

async fn rabbitmqctl(args: &[&str]) {
    let output = Command::new("rabbitmqctl")
        .args(args)
        .output()
        .await
        .expect("run rabbitmqctl");
    assert!(
        output.status.success(),
        "rabbitmqctl {args:?}: {}",
        String::from_utf8_lossy(&output.stderr)
    );
}

/// A broker process of the test's own, in its own process group (stopped with the
/// group, on drop at the latest).
struct Broker {
    child: Option<Child>,
}

impl Broker {
    fn stopped() -> Broker {
        Broker { child: None }
    }

    async fn start(&mut self, mut command: std::process::Command, addr: SocketAddr, log: &Path) {
        assert!(self.child.is_none(), "the broker already runs");
        let log = std::fs::File::create(log).expect("create the broker's log");
        command
            .stdout(log.try_clone().expect("log file"))
            .stderr(log)
            .process_group(0);
        let mut child = Command::from(command).spawn().expect("start the broker");
        let started = Instant::now();
        while tokio::net::TcpStream::connect(addr).await.is_err() {
            if let Ok(Some(status)) = child.try_wait() {
                panic!("the broker exited with {status} before it listened on {addr}");
            }
            assert!(
                started.elapsed() < START_TIMEOUT,
                "the broker did not listen on {addr}"
            );
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
        self.child = Some(child);
    }

    /// SIGTERM to the group, and waits for the end.
    async fn stop(&mut self) {
        if let Some(mut child) = self.child.take() {
            signal_group(&child, "-TERM");
            if tokio::time::timeout(Duration::from_secs(30), child.wait())
                .await
                .is_err()
            {
                signal_group(&child, "-KILL");
                let _ = child.wait().await;
            }
        }
    }
}

fn signal_group(child: &Child, signal: &str) {
    if let Some(pid) = child.id() {
        let _ = std::process::Command::new("kill")
            .args([signal, "--", &format!("-{pid}")])
            .status();
    }
}

impl Drop for Broker {
    fn drop(&mut self) {
        if let Some(child) = &self.child {
            signal_group(child, "-KILL");
        }
    }
}

/// A Mosquitto of the test's own: MQTT on one port, MQTT over WebSocket on another,
/// retained messages kept across a restart.
pub struct Mosquitto {
    dir: tempfile::TempDir,
    port: u16,
    ws_port: u16,
    broker: Broker,
}

impl Mosquitto {
    /// Starts one.
    pub async fn start() -> Mosquitto {
        // `mosquitto -h` prints its usage and exits 3: that it starts is enough.
        if std::process::Command::new("mosquitto")
            .arg("-h")
            .output()
            .is_err()
        {
            crate::harness::skip(
                "mosquitto is not available (the MQTT tests talk to Mosquitto); .ci/run shows how to install it",
            );
        }
        let dir = tempfile::tempdir().expect("a directory for mosquitto");
        let (port, ws_port) = (free_port(), free_port());
        // Started as root, Mosquitto runs as the user `mosquitto`, which could not write
        // its retained messages into this directory: stay the user the test runs as.
        let user = std::process::Command::new("id")
            .arg("-un")
            .output()
            .ok()
            .map(|o| String::from_utf8_lossy(&o.stdout).trim().to_owned())
            .filter(|name| !name.is_empty())
            .unwrap_or_else(|| "root".to_owned());
        let config = format!(
            "user {user}\n\
             listener {port} 127.0.0.1\n\
             listener {ws_port} 127.0.0.1\nprotocol websockets\n\
             allow_anonymous true\n\
             persistence true\npersistence_location {}/\n",
            dir.path().display()
        );
        std::fs::write(dir.path().join("mosquitto.conf"), config).expect("write the config");
        let mut mosquitto = Mosquitto {
            dir,
            port,
            ws_port,
            broker: Broker::stopped(),
        };
        mosquitto.start_again().await;
        mosquitto
    }

    /// `127.0.0.1:port` of the plain listener, as `MQTT_ADDR` takes it.
    pub fn addr(&self) -> String {
        format!("127.0.0.1:{}", self.port)
    }

    /// The plain listener's port.
    pub fn port(&self) -> u16 {
        self.port
    }

    /// The WebSocket listener's port.
    pub fn ws_port(&self) -> u16 {
        self.ws_port
    }

    /// Stops it (SIGTERM: it saves its retained messages first).
    pub async fn stop(&mut self) {
        self.broker.stop().await;
    }

    /// Starts it again on the same ports and data.
    pub async fn start_again(&mut self) {
        let mut command = std::process::Command::new("mosquitto");
        command
            .arg("-c")
            .arg(self.dir.path().join("mosquitto.conf"));
        let addr = SocketAddr::from(([127, 0, 0, 1], self.port));
        let log = self.dir.path().join("mosquitto.log");
        self.broker.start(command, addr, &log).await;
    }
}

/// A RabbitMQ node of the test's own (about 5 s to start).
pub struct RabbitNode {
    dir: tempfile::TempDir,
    node: String,
    port: u16,
    dist_port: u16,
    broker: Broker,
}

/// Where Debian's package keeps the scripts that run a node as the calling user.
const RABBITMQ_BIN: &str = "/usr/lib/rabbitmq/bin";

impl RabbitNode {
    /// Starts one.
    pub async fn start() -> RabbitNode {
        if !Path::new(RABBITMQ_BIN).join("rabbitmq-server").exists() {
            crate::harness::skip(format!(
                "no {RABBITMQ_BIN}/rabbitmq-server (Debian's rabbitmq-server package); .ci/run installs it"
            ));
        }
        let dir = tempfile::tempdir().expect("a directory for the node");
        std::fs::write(dir.path().join("enabled_plugins"), "[].\n").expect("write plugins");
        let mut node = RabbitNode {
            node: format!(
                "protocols-test-{}-{}@localhost",
                std::process::id(),
                fastrand::u32(..)
            ),
            port: free_port(),
            dist_port: free_port(),
            dir,
            broker: Broker::stopped(),
        };
        node.start_again().await;
        node
    }

    /// The URL of its default vhost, as `AMQP_URL` takes it.
    pub fn url(&self) -> String {
        format!("amqp://guest:guest@127.0.0.1:{}/%2f", self.port)
    }

    /// Stops the node (SIGTERM: a clean shutdown that keeps durable queues and
    /// persistent messages).
    pub async fn stop(&mut self) {
        self.broker.stop().await;
    }

    /// Starts it again on the same ports and data.
    pub async fn start_again(&mut self) {
        let dir = self.dir.path();
        let mut command =
            std::process::Command::new(Path::new(RABBITMQ_BIN).join("rabbitmq-server"));
        command
            .env("HOME", dir)
            .env("RABBITMQ_NODENAME", &self.node)
            .env("RABBITMQ_NODE_PORT", self.port.to_string())
            .env("RABBITMQ_DIST_PORT", self.dist_port.to_string())
            .env("RABBITMQ_MNESIA_BASE", dir.join("mnesia"))
            .env("RABBITMQ_LOG_BASE", dir.join("log"))
            .env("RABBITMQ_ENABLED_PLUGINS_FILE", dir.join("enabled_plugins"))
            .env("RABBITMQ_CONFIG_FILE", dir.join("none"));
        let addr = SocketAddr::from(([127, 0, 0, 1], self.port));
        self.broker
            .start(command, addr, &dir.join("node.log"))
            .await;
    }
}
