//! One way to run a binary as a process of its own, for every test and tool that does
//! (the reliability suite, the shootout, the command-line and gateway tests): find the
//! binary beside the running executable, start it with its log in a file, wait for its
//! port, stop it with SIGTERM as `docker stop` does, and read what it logged.
//!
//! A [`Process`] that is dropped while it runs gets SIGTERM, then SIGKILL if it has not
//! ended a moment later, so nothing is left behind however a test ends (and nginx's
//! master process takes its workers along).

use std::net::{SocketAddr, TcpListener};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, ExitStatus, Stdio};
use std::time::{Duration, Instant};

/// How long a dropped process gets between SIGTERM and SIGKILL.
const DROP_GRACE: Duration = Duration::from_secs(2);

/// The workspace's binary `name` (`rest-svc`, `protocols`, …), next to the running
/// executable (`target/<profile>/`, or one level up for a test in `deps/`). A
/// `cargo test -p x` run builds only x's binaries: a missing one is built here, with
/// the same profile.
///
/// # Panics
/// When it is missing and cannot be built.
pub fn binary(name: &str) -> PathBuf {
    let exe = std::env::current_exe().expect("the current executable's path");
    let mut dir = exe.parent().expect("a directory").to_path_buf();
    if dir.ends_with("deps") {
        dir.pop();
    }
    let path = dir.join(name);
    if !path.exists() {
        let cargo = std::env::var("CARGO").unwrap_or_else(|_| "cargo".to_owned());
        let mut build = Command::new(cargo);
        build.args(["build", "-p", name, "--bin", name]);
        if dir.ends_with("release") {
            build.arg("--release");
        }
        let status = build.status().expect("run cargo build");
        assert!(status.success(), "building {name} failed");
    }
    path
}

/// A port of 127.0.0.1 that nothing listens on, for a process to be started on.
///
/// Taken below the kernel's ephemeral range (`/proc/sys/net/ipv4/ip_local_port_range`,
/// where a `bind` to port 0 and every outgoing connection get their ports), and never
/// the same twice in one test binary: so between this call and the bind of the process
/// it is for, no server another test binds to port 0, and no other call here, can take
/// it. (Taking a port 0 bind's number and releasing it left that window open: a gRPC
/// server of a parallel test once took a WebSocket replica's port.)
pub fn free_port() -> u16 {
    use std::sync::atomic::{AtomicU32, Ordering};
    static NEXT: AtomicU32 = AtomicU32::new(0);
    const LOWEST: u32 = 10_000;
    let ephemeral = std::fs::read_to_string("/proc/sys/net/ipv4/ip_local_port_range")
        .ok()
        .and_then(|range| range.split_whitespace().next()?.parse::<u32>().ok())
        .unwrap_or(32_768);
    let span = ephemeral.saturating_sub(LOWEST).max(1_000);
    // Test binaries that run at once start at different places of the span.
    let start = std::process::id().wrapping_mul(7_919) % span;
    for _ in 0..span {
        let offset = (start + NEXT.fetch_add(1, Ordering::Relaxed)) % span;
        let port = u16::try_from(LOWEST + offset).expect("below the ephemeral range");
        if TcpListener::bind(("127.0.0.1", port)).is_ok() {
            return port;
        }
    }
    panic!("no free port between {LOWEST} and {ephemeral}");
}

/// `127.0.0.1:` and a [`free_port`].
pub fn free_addr() -> SocketAddr {
    SocketAddr::from(([127, 0, 0, 1], free_port()))
}

/// A running child process.
pub struct Process {
    name: String,
    child: Child,
    log: Option<PathBuf>,
    exited: Option<ExitStatus>,
}

impl Process {
    /// Starts `command` as it is set up (its standard streams included); `name` is for
    /// messages.
    ///
    /// # Errors
    /// When the process can't be started.
    pub fn start(name: &str, command: &mut Command) -> std::io::Result<Process> {
        Ok(Process {
            name: name.to_owned(),
            child: command.spawn()?,
            log: None,
            exited: None,
        })
    }

    /// Starts `command` with its standard error written to the file `log` (the services
    /// log there) and its standard output discarded.
    ///
    /// # Errors
    /// When the file can't be created or the process can't be started.
    pub fn start_logged(name: &str, command: &mut Command, log: &Path) -> std::io::Result<Process> {
        let file = std::fs::File::create(log)?;
        let mut process = Process::start(name, command.stdout(Stdio::null()).stderr(file))?;
        process.log = Some(log.to_owned());
        Ok(process)
    }

    /// The name given at start.
    pub fn name(&self) -> &str {
        &self.name
    }

    /// The process id.
    pub fn pid(&self) -> u32 {
        self.child.id()
    }

    /// The child, for its piped standard streams.
    pub fn child_mut(&mut self) -> &mut Child {
        &mut self.child
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

    /// Waits for the process to end; `None` when it still runs after `timeout`.
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

    /// [`Process::wait_exit`], blocking the thread.
    pub fn wait_exit_blocking(&mut self, timeout: Duration) -> Option<ExitStatus> {
        let started = Instant::now();
        while started.elapsed() < timeout {
            if let Some(status) = self.try_exit() {
                return Some(status);
            }
            std::thread::sleep(Duration::from_millis(20));
        }
        None
    }

    /// Waits until `addr` accepts connections (nothing is sent): how long that took.
    ///
    /// # Errors
    /// When it does not within `timeout`, or the process ends first; the message has
    /// the end of the log.
    pub async fn wait_listening(
        &mut self,
        addr: SocketAddr,
        timeout: Duration,
    ) -> Result<Duration, String> {
        let started = Instant::now();
        while started.elapsed() < timeout {
            self.check_running("listened")?;
            if tokio::net::TcpStream::connect(addr).await.is_ok() {
                return Ok(started.elapsed());
            }
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
        Err(self.failure(&format!("did not listen on {addr} within {timeout:?}")))
    }

    /// [`Process::wait_listening`], for a test that is not async (not to be called
    /// from within an async runtime).
    ///
    /// # Errors
    /// As [`Process::wait_listening`].
    pub fn wait_listening_blocking(
        &mut self,
        addr: SocketAddr,
        timeout: Duration,
    ) -> Result<Duration, String> {
        tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .map_err(|e| format!("cannot start a runtime: {e}"))?
            .block_on(self.wait_listening(addr, timeout))
    }

    /// An error when the process has ended, saying it ended before it `did` something.
    ///
    /// # Errors
    /// When it has ended.
    pub fn check_running(&mut self, did: &str) -> Result<(), String> {
        match self.try_exit() {
            Some(status) => Err(self.failure(&format!("exited with {status} before it {did}"))),
            None => Ok(()),
        }
    }

    /// `"{name} {what}: {the end of the log}"`, for an error message.
    pub fn failure(&self, what: &str) -> String {
        format!("{} {what}: {}", self.name, self.log_tail())
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

    /// Everything the process logged (started with [`Process::start_logged`]).
    pub fn log_text(&self) -> String {
        self.log
            .as_ref()
            .and_then(|log| std::fs::read_to_string(log).ok())
            .unwrap_or_default()
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

impl Drop for Process {
    fn drop(&mut self) {
        if self.try_exit().is_some() {
            return;
        }
        self.terminate();
        if self.wait_exit_blocking(DROP_GRACE).is_none() {
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
