//! The suite's one table: one row per scenario and protocol.

use std::fmt::Write as _;
use std::time::Duration;

/// What one scenario found for one protocol (or for the whole stack).
#[derive(Debug, Clone, Default)]
pub struct Row {
    /// Which scenario.
    pub scenario: &'static str,
    /// Which protocol, or "all".
    pub protocol: String,
    /// Requests, messages or connections tried.
    pub cases: u64,
    /// Checks that did not hold (each one is listed under the table).
    pub failures: Vec<String>,
    /// Panics in the services' logs.
    pub panics: u64,
    /// Acknowledged writes that are missing or wrong, plus half-applied ones.
    pub lost_writes: u64,
    /// Time from the database's return until this protocol answered again.
    pub recovery: Option<Duration>,
    /// Peak resident memory of the services involved, in MiB.
    pub peak_rss_mib: Option<f64>,
    /// Anything else worth a line (a rate, a latency, a per-connection figure).
    pub note: String,
}

/// The line printed as each row comes in.
impl std::fmt::Display for Row {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "{} / {}: {} cases, {} failures, {} panics, {} lost writes {}",
            self.scenario,
            self.protocol,
            self.cases,
            self.failures.len(),
            self.panics,
            self.lost_writes,
            self.note
        )
    }
}

impl Row {
    /// An empty row for `scenario` and `protocol`.
    pub fn new(scenario: &'static str, protocol: impl Into<String>) -> Row {
        Row {
            scenario,
            protocol: protocol.into(),
            ..Row::default()
        }
    }

    /// Counts one case; records a failure when `ok` is false.
    pub fn check(&mut self, ok: bool, what: impl FnOnce() -> String) -> bool {
        self.cases += 1;
        if !ok {
            self.failures.push(what());
        }
        ok
    }

    /// Records a failure without counting a case.
    pub fn fail(&mut self, what: impl std::fmt::Display) {
        // `:#`: an error with its causes ("connect: Connection refused").
        self.failures.push(format!("{what:#}"));
    }

    /// Whether this row is clean.
    pub fn passed(&self) -> bool {
        self.failures.is_empty() && self.panics == 0 && self.lost_writes == 0
    }
}

/// Kibibytes to mebibytes, for the table.
pub fn mib(kib: u64) -> f64 {
    kib as f64 / 1024.0
}

/// The table, in Markdown (it is pasted into the README as it is).
pub fn table(rows: &[Row]) -> String {
    let mut out = String::from(
        "| scenario | protocol | cases | failures | panics | lost or half-applied writes | recovery | peak RSS | notes |\n\
         |---|---|---:|---:|---:|---:|---:|---:|---|\n",
    );
    for row in rows {
        let recovery = row
            .recovery
            .map_or_else(|| "-".to_owned(), |d| format!("{:.2} s", d.as_secs_f64()));
        let rss = row
            .peak_rss_mib
            .map_or_else(|| "-".to_owned(), |m| format!("{m:.1} MiB"));
        let _ = writeln!(
            out,
            "| {} | {} | {} | {} | {} | {} | {} | {} | {} |",
            row.scenario,
            row.protocol,
            row.cases,
            row.failures.len(),
            row.panics,
            row.lost_writes,
            recovery,
            rss,
            row.note
        );
    }
    out
}

/// Every failure, one line each, under the table.
pub fn failures(rows: &[Row]) -> String {
    let mut out = String::new();
    for row in rows {
        for failure in row.failures.iter().take(20) {
            let _ = writeln!(out, "- {} / {}: {failure}", row.scenario, row.protocol);
        }
        if row.failures.len() > 20 {
            let _ = writeln!(
                out,
                "- {} / {}: … and {} more",
                row.scenario,
                row.protocol,
                row.failures.len() - 20
            );
        }
    }
    out
}
