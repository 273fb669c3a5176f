//! The table on the terminal, `shootout.json` (every figure plus the machine), and
//! `shootout.svg` (one group of bars per operation, one bar per protocol; requests per
//! second and bytes per call side by side).

use std::fmt::Write as _;
use std::path::Path;

use crate::clients::{Op, Protocol};
use crate::extras::Extras;
use crate::run::{CellResult, Window};

/// The table's first lines.
pub fn header() -> String {
    format!(
        "{:<7} {:<24} {:>4} {:>10} {:>6} {:>9} {:>9} {:>9} {:>9} {:>10} {:>8}\n{}",
        "op",
        "protocol",
        "conn",
        "req/s",
        "±",
        "p50 µs",
        "p90 µs",
        "p99 µs",
        "sent B",
        "recv B",
        "setup B",
        "-".repeat(115)
    )
}

/// One row of the table.
pub fn row(r: &CellResult) -> String {
    format!(
        "{:<7} {:<24} {:>4} {:>10.0} {:>5.1}% {:>9} {:>9} {:>9} {:>9.0} {:>10.0} {:>8.0}",
        r.op.name(),
        r.protocol.name(),
        r.concurrency,
        r.rps,
        r.spread() * 100.0,
        r.p50_us,
        r.p90_us,
        r.p99_us,
        r.sent_per_call,
        r.received_per_call,
        r.setup_bytes_per_connection
    )
}

/// The ceiling each protocol is measured against, and the share it should reach (the
/// targets table in the README).
const TARGETS: &[(Op, Protocol, Protocol, f64)] = &[
    (Op::Get, Protocol::Rest, Protocol::BareActix, 0.50),
    (Op::Get, Protocol::Rest, Protocol::BareActixDb, 0.80),
    (Op::Get, Protocol::JsonRpc, Protocol::BareActixDb, 0.60),
    (Op::Get, Protocol::XmlRpc, Protocol::BareActixDb, 0.60),
    (Op::Get, Protocol::Grpc, Protocol::BareTonic, 0.70),
    (Op::Echo, Protocol::WebSocket, Protocol::BareWs, 0.80),
    (Op::Get, Protocol::Rest, Protocol::Pgbench, 0.70),
    (Op::Create, Protocol::Rest, Protocol::Pgbench, 0.70),
];

/// Each protocol's throughput as a share of its ceiling, per concurrency.
pub fn ratios(results: &[CellResult]) -> String {
    let mut out = String::from("\nshare of the ceiling (target):\n");
    for &(op, protocol, ceiling, target) in TARGETS {
        for r in results
            .iter()
            .filter(|r| r.op == op && r.protocol == protocol)
        {
            let Some(c) = results
                .iter()
                .find(|c| c.op == op && c.protocol == ceiling && c.concurrency == r.concurrency)
            else {
                continue;
            };
            let share = r.rps / c.rps;
            let _ = writeln!(
                out,
                "  {} {} @{}: {:.0}% of {} (target {:.0}%){}",
                protocol.name(),
                op.name(),
                r.concurrency,
                share * 100.0,
                ceiling.name(),
                target * 100.0,
                if share >= target {
                    ""
                } else {
                    "  <- below target"
                }
            );
        }
    }
    out
}

/// Facts about the machine and build, for the JSON file.
fn machine() -> serde_json::Value {
    let cpu = std::fs::read_to_string("/proc/cpuinfo")
        .ok()
        .and_then(|c| {
            c.lines()
                .find(|l| l.starts_with("model name"))
                .map(|l| l.split(':').nth(1).unwrap_or("").trim().to_owned())
        })
        .unwrap_or_default();
    let command = |program: &str, args: &[&str]| {
        std::process::Command::new(program)
            .args(args)
            .output()
            .ok()
            .map(|o| String::from_utf8_lossy(&o.stdout).trim().to_owned())
            .unwrap_or_default()
    };
    serde_json::json!({
        "cpu": cpu,
        "cores": std::thread::available_parallelism().map(|n| n.get()).unwrap_or(0),
        "os": command("uname", &["-srm"]),
        "rustc": command("rustc", &["--version"]),
        "git_commit": command("git", &["rev-parse", "--short", "HEAD"]),
        "profile": if cfg!(debug_assertions) { "debug" } else { "release" },
    })
}

/// Writes shootout.json and shootout.svg into `dir`.
pub fn write(
    dir: &Path,
    results: &[CellResult],
    extras: &Extras,
    window: Window,
) -> anyhow::Result<()> {
    std::fs::create_dir_all(dir)?;
    let json = serde_json::json!({
        "machine": machine(),
        "window": {"warmup_s": window.warmup.as_secs_f64(), "measured_s": window.measure.as_secs_f64()},
        "cells": results,
        "extras": extras,
    });
    std::fs::write(
        dir.join("shootout.json"),
        serde_json::to_string_pretty(&json)?,
    )?;
    std::fs::write(dir.join("shootout.svg"), svg(results))?;
    Ok(())
}

fn color(protocol: Protocol) -> &'static str {
    match protocol {
        Protocol::Rest => "#4c78a8",
        Protocol::JsonRpc => "#f58518",
        Protocol::XmlRpc => "#e45756",
        Protocol::Grpc => "#54a24b",
        Protocol::GrpcWeb => "#88d27a",
        Protocol::WebSocket => "#b279a2",
        Protocol::Graphql => "#e535ab",
        _ => "#bab0ac",
    }
}

/// Two panels (req/s, bytes per call), one group per operation, at the highest concurrency.
fn svg(results: &[CellResult]) -> String {
    let top = results.iter().map(|r| r.concurrency).max().unwrap_or(1);
    let cells: Vec<&CellResult> = results.iter().filter(|r| r.concurrency == top).collect();
    let ops = [Op::Get, Op::Echo, Op::Create, Op::List];
    let (width, panel_h, bar_w, gap) = (960.0, 260.0, 16.0, 28.0);
    let mut out = format!(
        "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"{width}\" height=\"{}\" font-family=\"sans-serif\" font-size=\"11\">\n\
         <rect width=\"100%\" height=\"100%\" fill=\"white\"/>\n",
        panel_h * 2.0 + 140.0
    );
    type Measure = fn(&CellResult) -> f64;
    let panels: [(&str, Measure); 2] = [
        ("requests per second", |r| r.rps),
        ("bytes on the wire per call (sent + received)", |r| {
            r.sent_per_call + r.received_per_call
        }),
    ];
    for (p, (title, value)) in panels.iter().enumerate() {
        let y0 = 30.0 + p as f64 * (panel_h + 50.0);
        let max = cells.iter().map(|c| value(c)).fold(1.0_f64, f64::max);
        let _ = writeln!(
            out,
            "<text x=\"10\" y=\"{}\" font-size=\"13\" font-weight=\"bold\">{title} ({top} connections)</text>",
            y0 - 10.0
        );
        let mut x = 60.0;
        for op in ops {
            let group: Vec<&&CellResult> = cells.iter().filter(|c| c.op == op).collect();
            if group.is_empty() {
                continue;
            }
            let start = x;
            for c in &group {
                let h = value(c) / max * (panel_h - 40.0);
                let y = y0 + panel_h - 20.0 - h;
                let _ = writeln!(
                    out,
                    "<rect x=\"{x:.1}\" y=\"{y:.1}\" width=\"{bar_w}\" height=\"{h:.1}\" fill=\"{}\"><title>{} {}: {:.0}</title></rect>",
                    color(c.protocol),
                    c.protocol.name(),
                    op.name(),
                    value(c)
                );
                let _ = writeln!(
                    out,
                    "<text x=\"{:.1}\" y=\"{:.1}\" font-size=\"9\" text-anchor=\"middle\">{:.0}</text>",
                    x + bar_w / 2.0,
                    y - 3.0,
                    value(c)
                );
                x += bar_w + 2.0;
            }
            let _ = writeln!(
                out,
                "<text x=\"{:.1}\" y=\"{:.1}\" text-anchor=\"middle\">{}</text>",
                (start + x) / 2.0,
                y0 + panel_h - 5.0,
                op.name()
            );
            x += gap;
        }
    }
    // Legend.
    let mut lx = 10.0;
    let ly = panel_h * 2.0 + 120.0;
    let mut seen = Vec::new();
    for c in &cells {
        if seen.contains(&c.protocol) {
            continue;
        }
        seen.push(c.protocol);
        let _ = writeln!(
            out,
            "<rect x=\"{lx}\" y=\"{}\" width=\"10\" height=\"10\" fill=\"{}\"/>",
            ly - 9.0,
            color(c.protocol)
        );
        let _ = writeln!(
            out,
            "<text x=\"{}\" y=\"{ly}\">{}</text>",
            lx + 14.0,
            c.protocol.name()
        );
        lx += 14.0 + 7.0 * c.protocol.name().len() as f64 + 16.0;
    }
    out.push_str("</svg>\n");
    out
}
