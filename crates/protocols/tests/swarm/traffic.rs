//! The traffic the Swarm test keeps up while the stack changes, and what it must show.
//!
//! Everything goes to the gateway on the node's own address, as a load balancer in front
//! of the swarm's nodes would (on loopback, Docker's userland proxy would accept each
//! connection before it knows whether the gateway is there).
//!
//! - Callers: 4 per protocol over REST, JSON-RPC (through the gateway's 8080) and gRPC
//!   (its 8081), each one call every 64 ms: about 190 calls/s, half of them creates
//!   (each with a `year` of its own, so PostgreSQL can be asked about every one) and half
//!   reads of a row it created.
//! - Chat members: 6 in one room through the gateway's `/api/ws/chat/swarm/`, each
//!   sending a message every 500 ms (12 messages/s). The room acknowledges a message by
//!   sending it back to its sender (it went out through PostgreSQL to every replica).
//!
//! What a client may do when a call fails, and so what the test allows:
//! - A read is idempotent: it is retried until it succeeds.
//! - A create is retried only when it provably never reached a service: the
//!   connection was refused, or an HTTP/2 stream was refused (REFUSED_STREAM: "before
//!   processing any application logic") or came after the last one a GOAWAY said the
//!   server would process. Any other failed create is ambiguous; none may
//!   happen while the six services roll. When a replica is killed, its in-flight calls
//!   fail that way; PostgreSQL then says, for each one, whether it was applied.

use std::collections::{BTreeMap, HashMap, HashSet};
use std::fmt;
use std::net::{IpAddr, SocketAddr};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};

use clients::{Client, Failure, Fields, Proto};
use futures_util::{SinkExt, StreamExt};
use serde_json::{Value, json};
use tokio::task::JoinHandle;
use tokio_tungstenite::tungstenite::Message;

/// Every row the test creates has a year at or above this (none of the seed's do).
pub const YEAR_BASE: i32 = 50_000_000;
const PROTOS: [Proto; 3] = [Proto::Rest, Proto::JsonRpc, Proto::Grpc];
/// Callers per protocol.
const WORKERS: usize = 4;
/// Each caller's pace: 3 protocols x 4 callers / 64 ms = 187.5 calls/s.
const PERIOD: Duration = Duration::from_millis(64);
const MEMBERS: usize = 6;
const CHAT_PERIOD: Duration = Duration::from_millis(500);
const ROOM: &str = "swarm";
/// A member counts as in the room for a message when its connection was open from this
/// long before the message was sent until this long after the sender's acknowledgement.
const PRESENT_MARGIN: Duration = Duration::from_secs(1);
/// How long after the kill every caller must still be succeeding (the traffic goes on
/// until 10 s after the replacement runs).
const KEPT_GOING: Duration = Duration::from_secs(5);

/// The gateway's port for `proto` on the node at `node`.
fn addr(node: IpAddr, proto: Proto) -> SocketAddr {
    let port = if proto == Proto::Grpc { 8081 } else { 8080 };
    SocketAddr::new(node, port)
}

fn room(node: IpAddr) -> String {
    format!("ws://{node}:8080/api/ws/chat/{ROOM}/")
}

/// Waits until the gateway answers over every protocol the traffic uses (a service's
/// "not found" for a row that does not exist is an answer).
pub async fn wait_serving(node: IpAddr, within: Duration) {
    let started = Instant::now();
    let clients: Vec<_> = PROTOS
        .iter()
        .map(|&p| (p, Client::new(p, addr(node, p))))
        .collect();
    loop {
        let mut waiting = Vec::new();
        for (proto, client) in &clients {
            match client.get(i64::MAX).await {
                Ok(_) => {}
                // The service's own "no such row", in its protocol's form; not the
                // gateway's 502/503/504 or gRPC's UNAVAILABLE.
                Err(Failure::Answered(what))
                    if !["502", "503", "504", "Unavailable"]
                        .iter()
                        .any(|gateway| what.contains(gateway)) => {}
                Err(other) => waiting.push(format!("{}: {other}", proto.name())),
            }
        }
        if let Err(e) = clients::ws::connect(&room(node)).await {
            waiting.push(format!("WebSocket: {e}"));
        }
        if waiting.is_empty() {
            return;
        }
        assert!(
            started.elapsed() < within,
            "the gateway does not serve within {within:?}: {waiting:?}"
        );
        tokio::time::sleep(Duration::from_millis(500)).await;
    }
}

/// Why a failed create may be sent again without creating a second row, if it may.
fn safe_to_retry(failure: &Failure) -> Option<&'static str> {
    let text = failure.text();
    match failure {
        Failure::Transport(_) if text.contains("Connection refused") => {
            Some("connection refused: nothing was sent")
        }
        Failure::Transport(_) if text.contains("before processing any application logic") => {
            Some("HTTP/2 stream refused (REFUSED_STREAM): not processed")
        }
        // The server's GOAWAY (NO_ERROR: nginx stopping gracefully) names the last stream
        // it will process; h2 fails with this error only the streams after it, which "were
        // not processed and can be safely retried" (RFC 9113, 6.8). Streams up to it finish.
        Failure::Transport(_)
            if text.contains("connection error received: not a result of an error") =>
        {
            Some("HTTP/2 GOAWAY: a stream after the last one the server processes")
        }
        _ => None,
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
enum Op {
    Create,
    Get,
}

/// One failed attempt.
#[derive(Debug)]
struct Failed {
    at: Instant,
    op: Op,
    failure: Failure,
    /// The create's year tag (what PostgreSQL is asked about).
    year: Option<i32>,
    /// Why it was sent again, when it was.
    retried: Option<&'static str>,
}

/// What one caller did.
struct Ledger {
    proto: Proto,
    calls: usize,
    acked: Vec<(i64, Fields)>,
    failed: Vec<Failed>,
    /// Creates that failed and were not retried: PostgreSQL says whether they happened.
    ambiguous: Vec<i32>,
    /// Reads that answered another row than the one acknowledged.
    wrong: Vec<String>,
    /// When a call last succeeded.
    last_ok: Option<Instant>,
}

async fn caller(node: IpAddr, proto: Proto, worker: usize, stop: Arc<AtomicBool>) -> Ledger {
    let client = Client::new(proto, addr(node, proto));
    let tag = YEAR_BASE
        + i32::try_from(PROTOS.iter().position(|&p| p == proto).unwrap()).unwrap() * 1_000_000
        + i32::try_from(worker).unwrap() * 100_000;
    let mut ledger = Ledger {
        proto,
        calls: 0,
        acked: Vec::new(),
        failed: Vec::new(),
        ambiguous: Vec::new(),
        wrong: Vec::new(),
        last_ok: None,
    };
    let mut tick = tokio::time::interval(PERIOD);
    tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    let mut seq = 0;
    while !stop.load(Ordering::Relaxed) {
        tick.tick().await;
        seq += 1;
        if seq % 2 == 1 || ledger.acked.is_empty() {
            let fields = Fields::random(tag + seq);
            loop {
                ledger.calls += 1;
                match client.create(fields).await {
                    Ok((id, got)) => {
                        if got != fields {
                            ledger
                                .wrong
                                .push(format!("created {fields:?}, acknowledged {got:?}"));
                        }
                        ledger.acked.push((id, got));
                        ledger.last_ok = Some(Instant::now());
                        break;
                    }
                    Err(failure) => {
                        let retried = safe_to_retry(&failure);
                        ledger.failed.push(Failed {
                            at: Instant::now(),
                            op: Op::Create,
                            failure,
                            year: Some(fields.year),
                            retried,
                        });
                        if retried.is_none() {
                            ledger.ambiguous.push(fields.year);
                            break;
                        }
                        tokio::time::sleep(Duration::from_millis(50)).await;
                    }
                }
            }
        } else {
            let (id, fields) = ledger.acked[usize::try_from(seq).unwrap() % ledger.acked.len()];
            for attempt in 0.. {
                ledger.calls += 1;
                match client.get(id).await {
                    Ok(got) => {
                        if got != fields {
                            ledger
                                .wrong
                                .push(format!("row {id}: acknowledged {fields:?}, read {got:?}"));
                        }
                        ledger.last_ok = Some(Instant::now());
                        break;
                    }
                    Err(failure) => {
                        ledger.failed.push(Failed {
                            at: Instant::now(),
                            op: Op::Get,
                            failure,
                            year: None,
                            retried: Some("a read: idempotent"),
                        });
                        assert!(attempt < 100, "row {id} unreadable for 100 attempts");
                        tokio::time::sleep(Duration::from_millis(50)).await;
                    }
                }
            }
        }
    }
    ledger
}

/// How a chat connection ended.
#[derive(Debug, Clone, PartialEq, Eq)]
enum Ended {
    /// The member closed it (the traffic stopped).
    ByUs,
    /// The server said why: a close frame with this code.
    Code(u16, String),
    /// The TCP connection ended without a close frame.
    Cut(String),
}

struct Session {
    opened: Instant,
    closed: Instant,
    ended: Ended,
}

/// What one chat member did and heard.
struct Member {
    index: usize,
    sessions: Vec<Session>,
    /// Its own messages the room acknowledged: text -> (sent, acknowledged).
    acked: HashMap<String, (Instant, Instant)>,
    sent: usize,
    received: HashSet<String>,
    connect_failures: Vec<String>,
}

async fn member(node: IpAddr, index: usize, stop: Arc<AtomicBool>) -> Member {
    let url = room(node);
    let mine = format!("m{index}-");
    let mut m = Member {
        index,
        sessions: Vec::new(),
        acked: HashMap::new(),
        sent: 0,
        received: HashSet::new(),
        connect_failures: Vec::new(),
    };
    let mut pending: HashMap<String, Instant> = HashMap::new();
    let mut seq = 0;
    while !stop.load(Ordering::Relaxed) {
        let socket = match clients::ws::connect(&url).await {
            Ok(socket) => socket,
            Err(e) => {
                m.connect_failures.push(e.to_string());
                tokio::time::sleep(Duration::from_millis(100)).await;
                continue;
            }
        };
        let opened = Instant::now();
        let (mut tx, mut rx) = socket.split();
        let mut tick = tokio::time::interval(CHAT_PERIOD);
        let ended = loop {
            tokio::select! {
                _ = tick.tick() => {
                    if stop.load(Ordering::Relaxed) {
                        let _ = tx.send(Message::Close(None)).await;
                        break Ended::ByUs;
                    }
                    seq += 1;
                    let text = format!("{mine}{seq}");
                    pending.insert(text.clone(), Instant::now());
                    m.sent += 1;
                    if let Err(e) = tx.send(Message::text(json!({"message": text}).to_string())).await {
                        break Ended::Cut(e.to_string());
                    }
                }
                frame = rx.next() => match frame {
                    Some(Ok(Message::Text(text))) => {
                        let value: Value = serde_json::from_str(&text).unwrap_or(Value::Null);
                        if let Some(message) = value["message"].as_str() {
                            if message.starts_with(&mine)
                                && let Some(sent) = pending.remove(message)
                            {
                                m.acked.insert(message.to_owned(), (sent, Instant::now()));
                            }
                            m.received.insert(message.to_owned());
                        }
                    }
                    Some(Ok(Message::Close(frame))) => {
                        break match frame {
                            Some(frame) => Ended::Code(frame.code.into(), frame.reason.as_str().to_owned()),
                            None => Ended::Code(1005, String::new()),
                        };
                    }
                    Some(Ok(_)) => {}
                    Some(Err(e)) => break Ended::Cut(e.to_string()),
                    None => break Ended::Cut("the stream ended".into()),
                }
            }
        };
        m.sessions.push(Session {
            opened,
            closed: Instant::now(),
            ended,
        });
    }
    m
}

/// The traffic, running.
pub struct Traffic {
    stop: Arc<AtomicBool>,
    started: Instant,
    callers: Vec<JoinHandle<Ledger>>,
    members: Vec<JoinHandle<Member>>,
}

impl Traffic {
    pub async fn start(node: IpAddr) -> Traffic {
        let stop = Arc::new(AtomicBool::new(false));
        let mut callers = Vec::new();
        for proto in PROTOS {
            for worker in 0..WORKERS {
                callers.push(tokio::spawn(caller(node, proto, worker, stop.clone())));
            }
        }
        let members = (0..MEMBERS)
            .map(|i| tokio::spawn(member(node, i, stop.clone())))
            .collect();
        Traffic {
            stop,
            started: Instant::now(),
            callers,
            members,
        }
    }

    /// Notes when a phase begins.
    pub fn mark(&self, phase: &str) -> Instant {
        eprintln!("traffic: {phase} at {:.1?}", self.started.elapsed());
        Instant::now()
    }

    pub async fn stop(self) -> Report {
        self.stop.store(true, Ordering::Relaxed);
        let mut ledgers = Vec::new();
        for caller in self.callers {
            ledgers.push(caller.await.expect("a caller panicked"));
        }
        let mut members = Vec::new();
        for member in self.members {
            members.push(member.await.expect("a chat member panicked"));
        }
        Report {
            started: self.started,
            elapsed: self.started.elapsed(),
            ledgers,
            members,
        }
    }
}

pub struct Report {
    started: Instant,
    elapsed: Duration,
    ledgers: Vec<Ledger>,
    members: Vec<Member>,
}

/// The outcome: a table to print and what went wrong.
pub struct Verdict {
    table: String,
    problems: Vec<String>,
}

impl Verdict {
    pub fn assert_ok(&self) {
        assert!(
            self.problems.is_empty(),
            "{}\n{}",
            self.table,
            self.problems.join("\n")
        );
    }
}

impl fmt::Display for Verdict {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.table)?;
        for problem in &self.problems {
            writeln!(f, "PROBLEM: {problem}")?;
        }
        Ok(())
    }
}

/// When the phases of the test began.
pub struct Phases {
    /// The rolling update of the first service.
    pub update: Instant,
    /// The gateway's (the last service's) update.
    pub gateway: Instant,
    /// The killed replica.
    pub kill: Instant,
}

/// Which phase a moment falls in.
fn phase(at: Instant, phases: &Phases) -> &'static str {
    if at < phases.update {
        "before the update"
    } else if at < phases.gateway {
        "services rolling"
    } else if at < phases.kill {
        "gateway replaced"
    } else {
        "replica killed"
    }
}

impl Report {
    /// Checks the traffic against `rows` (`id|day|weekday|month|year` lines from
    /// PostgreSQL, every row with a year from [`YEAR_BASE`]).
    pub fn check(&self, rows: &str, phases: &Phases) -> Verdict {
        let mut problems = Vec::new();
        let mut notes = Vec::new();
        let mut table = String::new();
        let mut db: BTreeMap<i32, Vec<(i64, Fields)>> = BTreeMap::new();
        for line in rows.lines().filter(|l| !l.trim().is_empty()) {
            let cols: Vec<&str> = line.trim().split('|').collect();
            let [id, day, weekday, month, year] = cols[..] else {
                panic!("not a row: {line:?}");
            };
            let fields = Fields {
                day: day.parse().unwrap(),
                weekday: clients::weekday_number(weekday)
                    .or_else(|| weekday.parse().ok())
                    .unwrap_or_else(|| panic!("weekday {weekday:?}")),
                month: clients::month_number(month)
                    .or_else(|| month.parse().ok())
                    .unwrap_or_else(|| panic!("month {month:?}")),
                year: year.parse().unwrap(),
            };
            db.entry(fields.year)
                .or_default()
                .push((id.parse().unwrap(), fields));
        }

        let seconds = self.elapsed.as_secs_f64();
        let calls: usize = self.ledgers.iter().map(|l| l.calls).sum();
        let chat_sent: usize = self.members.iter().map(|m| m.sent).sum();
        table.push_str(&format!(
            "{calls} calls and {chat_sent} chat messages in {seconds:.0} s: {:.0} calls/s\n",
            (calls + chat_sent) as f64 / seconds
        ));
        table.push_str(
            "| protocol | calls | creates acknowledged | in PostgreSQL | failed, retried safely | failed, ambiguous (applied / not) |\n|---|---|---|---|---|---|\n",
        );
        let mut sent_years = HashSet::new();
        for proto in PROTOS {
            let ledgers: Vec<&Ledger> = self.ledgers.iter().filter(|l| l.proto == proto).collect();
            let calls: usize = ledgers.iter().map(|l| l.calls).sum();
            let mut acked = 0;
            let mut found = 0;
            let mut retried: BTreeMap<String, usize> = BTreeMap::new();
            let (mut applied, mut not_applied) = (0, 0);
            for ledger in &ledgers {
                problems.extend(
                    ledger
                        .wrong
                        .iter()
                        .map(|w| format!("{}: {w}", proto.name())),
                );
                // The traffic moved on: every caller kept succeeding after the kill.
                if ledger
                    .last_ok
                    .is_none_or(|at| at < phases.kill + KEPT_GOING)
                {
                    problems.push(format!(
                        "{}: a caller had no success later than {KEPT_GOING:?} after the kill",
                        proto.name()
                    ));
                }
                for (id, fields) in &ledger.acked {
                    acked += 1;
                    sent_years.insert(fields.year);
                    match db.get(&fields.year).map(Vec::as_slice) {
                        Some([(got_id, got)]) if got_id == id && got == fields => found += 1,
                        other => problems.push(format!(
                            "{}: acknowledged row {id} {fields:?} is in PostgreSQL as {other:?}",
                            proto.name()
                        )),
                    }
                }
                for failed in &ledger.failed {
                    let when = phase(failed.at, phases);
                    match failed.retried {
                        Some(why) => {
                            *retried
                                .entry(format!("{:?}, {when}: {why}", failed.op))
                                .or_default() += 1;
                        }
                        // Replacing the node's only gateway, or killing a replica, may cut
                        // a call in flight (a keep-alive connection reset as nginx closes
                        // it): ambiguous, resolved in PostgreSQL below (never twice).
                        None if failed.at >= phases.gateway => {}
                        None => problems.push(format!(
                            "{}: a {:?} failed at {:.1?} ({when}), and may not be retried safely: {}",
                            proto.name(),
                            failed.op,
                            failed.at - self.started,
                            failed.failure
                        )),
                    }
                    if let Some(year) = failed.year {
                        sent_years.insert(year);
                    }
                }
                for failed in ledger.failed.iter().filter(|f| f.retried.is_none()) {
                    notes.push(format!(
                        "{} {:?} at {:.1?} ({}), ambiguous: {}",
                        proto.name(),
                        failed.op,
                        failed.at - self.started,
                        phase(failed.at, phases),
                        failed.failure
                    ));
                }
                for year in &ledger.ambiguous {
                    match db.get(year).map(Vec::len) {
                        None => not_applied += 1,
                        Some(1) => applied += 1,
                        Some(n) => problems.push(format!("year {year}: {n} rows")),
                    }
                }
            }
            let retried_text = if retried.is_empty() {
                "0".to_owned()
            } else {
                retried
                    .iter()
                    .map(|(why, n)| format!("{n} {why}"))
                    .collect::<Vec<_>>()
                    .join("; ")
            };
            table.push_str(&format!(
                "| {} | {calls} | {acked} | {found} | {retried_text} | {applied} / {not_applied} |\n",
                proto.name()
            ));
        }
        for (year, rows) in &db {
            if !sent_years.contains(year) {
                problems.push(format!("PostgreSQL has rows no caller created: {rows:?}"));
            } else if rows.len() > 1 {
                problems.push(format!(
                    "year {year} is in PostgreSQL {} times: {rows:?}",
                    rows.len()
                ));
            }
        }

        // Chat: every acknowledged message reached every member that was there.
        let mut acked_messages = 0;
        let mut lost = Vec::new();
        let mut ends: BTreeMap<String, usize> = BTreeMap::new();
        for member in &self.members {
            acked_messages += member.acked.len();
            for session in &member.sessions {
                let key = match &session.ended {
                    Ended::ByUs => "closed by the member at the end".to_owned(),
                    Ended::Code(code, reason) => format!("close {code} ({reason})"),
                    Ended::Cut(_) => "cut without a close frame".to_owned(),
                };
                *ends.entry(key).or_default() += 1;
                // Only the gateway's own replacement may cut a connection (after its
                // stop_grace_period); a ws-svc replica says 1001 first.
                if let Ended::Cut(why) = &session.ended
                    && !(phases.gateway <= session.closed && session.closed < phases.kill)
                {
                    problems.push(format!(
                        "member {}: cut at {:.1?}, outside the gateway's replacement: {why}",
                        member.index,
                        session.closed - self.started
                    ));
                }
                if let Ended::Code(code, reason) = &session.ended
                    && *code != 1001
                {
                    problems.push(format!(
                        "member {}: closed with {code} ({reason}), not 1001",
                        member.index
                    ));
                }
            }
            if member.sessions.len() < 2 {
                problems.push(format!(
                    "member {} was never moved to another replica",
                    member.index
                ));
            }
            if member
                .sessions
                .last()
                .is_none_or(|s| s.ended != Ended::ByUs)
            {
                problems.push(format!(
                    "member {} was not connected at the end",
                    member.index
                ));
            }
            for (text, (sent, acked)) in &member.acked {
                for other in self.members.iter().filter(|o| o.index != member.index) {
                    let present = other.sessions.iter().any(|s| {
                        s.opened + PRESENT_MARGIN <= *sent && s.closed >= *acked + PRESENT_MARGIN
                    });
                    if present && !other.received.contains(text) {
                        lost.push(format!("{text} (member {} missed it)", other.index));
                    }
                }
            }
        }
        let told_1001 = ends
            .iter()
            .filter(|(k, _)| k.starts_with("close 1001"))
            .map(|(_, n)| n)
            .sum::<usize>();
        if told_1001 == 0 {
            problems.push("no chat member was told 1001 while ws-svc rolled".into());
        }
        if acked_messages == 0 {
            problems.push("the room acknowledged no chat message".into());
        }
        if !lost.is_empty() {
            problems.push(format!(
                "{} acknowledged chat messages did not reach a member that was there: {:?}",
                lost.len(),
                &lost[..lost.len().min(10)]
            ));
        }
        let connect_failures: usize = self.members.iter().map(|m| m.connect_failures.len()).sum();
        table.push_str(&format!(
            "chat: {MEMBERS} members, {chat_sent} messages sent, {acked_messages} acknowledged, {} lost; {connect_failures} reconnection attempts refused; connections ended: {ends:?}\n",
            lost.len()
        ));
        for note in notes {
            table.push_str(&format!("note: {note}\n"));
        }
        Verdict { table, problems }
    }
}
