//! Start-up and configuration.
//!
//! - **Five at once:** rest-svc, rpc-svc, grpc-svc, ws-svc and graphql-svc start at
//!   the same moment on one fresh PostgreSQL database. Each runs the migrations at start-up;
//!   an advisory lock makes them take turns, so the schema is applied exactly once
//!   (one process logs the versions it applied, the others an empty list) and all
//!   five become healthy, each with its open-file limit raised to the hard limit.
//! - **Database down at start** ([`crate::down_at_start`]): each service binary and
//!   `protocols serve` listen at once, answer "unavailable", log one WARN line per
//!   back-off step, stop on SIGTERM, and recover when the database comes.
//! - **Bad settings:** a `DATABASE_URL` of an unknown kind, an SQLite file that can
//!   never work (under a regular file, or a file that is not a database), a setting with
//!   a value that does not parse, a port that is already taken; for each service binary
//!   and `protocols serve`. Each must end the process at once with a non-zero code and a
//!   short message on stderr (naming the path and the reason, for the SQLite files),
//!   never a panic or a backtrace.

use std::net::TcpListener;
use std::process::Stdio;
use std::time::{Duration, Instant};

use diesel::{Connection, PgConnection, RunQueryDsl};
use futures_util::future::join_all;

use crate::Suite;
use crate::procs::{Kind, Launch, Service};
use crate::report::{Row, mib};

/// Runs the three parts.
pub async fn run(suite: &Suite) -> Vec<Row> {
    let mut rows = vec![four_at_once(suite).await];
    rows.extend(crate::down_at_start::run(suite).await);
    rows.extend(bad_settings().await);
    rows
}

/// How many migrations the PostgreSQL schema has: the folders under the model's
/// `migrations/postgres`, counted where the suite was built.
fn postgres_migrations() -> i64 {
    let dir = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../../crates/model/migrations/postgres"
    );
    std::fs::read_dir(dir).map_or(0, |entries| {
        entries
            .filter(|e| e.as_ref().is_ok_and(|e| e.path().is_dir()))
            .count() as i64
    })
}

#[derive(diesel::QueryableByName)]
struct Count {
    #[diesel(sql_type = diesel::sql_types::BigInt)]
    n: i64,
}

async fn four_at_once(suite: &Suite) -> Row {
    let mut row = Row::new("startup", "all");
    let rounds = suite.mode.pick(2, 5);
    let mut slowest = Duration::ZERO;
    let mut peak = 0;
    for round in 0..rounds {
        let db = suite.database();
        let url = db.url.expose().to_owned();
        let env = [("RUST_LOG", "info".to_owned())];
        let mut services = Vec::new();
        for kind in Kind::ALL {
            let launch = Launch {
                kind,
                database: &url,
                log_dir: &suite.log_dir,
                name: &format!("startup-{round}-{}", kind.binary()),
                env: &env,
            };
            match Service::start_with_soft_open_files(&launch, 1024) {
                Ok(service) => services.push(service),
                Err(error) => row.fail(format!("start {}: {error}", kind.binary())),
            }
        }
        let healthy = join_all(
            services
                .iter_mut()
                .map(|s| s.wait_healthy(Duration::from_secs(30))),
        )
        .await;
        for result in healthy {
            match result {
                Ok(took) => {
                    row.cases += 1;
                    slowest = slowest.max(took);
                }
                Err(error) => row.fail(format!("round {round}: {error}")),
            }
        }
        // Healthy means the database answers; the schema may still be on its way.
        let settled = Instant::now();
        while settled.elapsed() < Duration::from_secs(15)
            && !services
                .iter()
                .all(|s| s.log_text().contains("database schema is up to date"))
        {
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
        // Exactly one process applied the migrations; the table lists each once.
        let applied: Vec<&Service> = services
            .iter()
            .filter(|s| {
                let log = s.log_text();
                log.contains("database schema is up to date") && !log.contains("applied=[]")
            })
            .collect();
        row.check(applied.len() == 1, || {
            format!(
                "round {round}: {} processes say they applied migrations",
                applied.len()
            )
        });
        let recorded = PgConnection::establish(&url)
            .map_err(anyhow::Error::from)
            .and_then(|mut c| {
                diesel::sql_query("SELECT count(*) AS n FROM __diesel_schema_migrations")
                    .get_result::<Count>(&mut c)
                    .map_err(anyhow::Error::from)
            });
        row.check(
            recorded
                .as_ref()
                .is_ok_and(|c| c.n > 0 && c.n == postgres_migrations()),
            || {
                format!(
                    "round {round}: migration table: {:?}",
                    recorded.as_ref().map(|c| c.n)
                )
            },
        );
        for service in &services {
            row.panics += service.panics() as u64;
            peak = peak.max(service.peak_rss_kib().unwrap_or(0));
            // Each service took the hard open-file limit as its soft one.
            let (soft, hard) = service.open_file_limits().unwrap_or_default();
            row.check(soft == hard && soft > 0, || {
                format!(
                    "{}: open files soft {soft}, hard {hard} (the soft limit was not raised)",
                    service.kind.binary()
                )
            });
        }
        drop(services);
        drop(db);
    }
    row.peak_rss_mib = Some(mib(peak));
    row.note = format!(
        "{rounds} rounds; slowest service healthy after {:.2} s",
        slowest.as_secs_f64()
    );
    row
}

/// One bad setting, for one binary.
struct BadCase {
    kind: Kind,
    what: &'static str,
    env: Vec<(&'static str, String)>,
    /// What stderr must say (besides being short).
    says: Vec<String>,
}

async fn bad_settings() -> Vec<Row> {
    // A port someone else holds.
    let taken = TcpListener::bind("127.0.0.1:0").expect("bind a port");
    let taken_addr = taken.local_addr().expect("its address").to_string();
    let sqlite = tempfile::tempdir().expect("a temporary directory");
    let sqlite_url = sqlite.path().join("config.sqlite3");
    let sqlite_url = sqlite_url.to_str().expect("UTF-8").to_owned();
    // Root may write anywhere, so no chmod: a regular file where the directory should
    // be, and a file that is not a database, fail for everyone.
    let plain = sqlite.path().join("plain.txt");
    std::fs::write(&plain, "not a directory, not a database").expect("write a file");
    let plain = plain.to_str().expect("UTF-8").to_owned();
    let under_plain = format!("{plain}/db.sqlite3");

    let mut cases = Vec::new();
    for kind in Kind::EVERY {
        let number_env = match kind {
            Kind::Rest | Kind::Serve => "REST_BODY_LIMIT_BYTES",
            Kind::Rpc => "RPC_BODY_LIMIT_BYTES",
            Kind::Grpc => "GRPC_MAX_MESSAGE_BYTES",
            Kind::Ws => "WS_MAX_FRAME_BYTES",
            Kind::Graphql => "GRAPHQL_MAX_BYTES",
            Kind::Messaging => "MESSAGING_MAX_BYTES",
        };
        let addr_env = kind.addr_env();
        let case = |what, env: Vec<(&'static str, String)>, says: Vec<String>| BadCase {
            kind,
            what,
            env,
            says,
        };
        cases.push(case(
            "DATABASE_URL of an unknown kind",
            vec![("DATABASE_URL", "mysql://root@127.0.0.1/protocols".into())],
            vec![],
        ));
        cases.push(case(
            "an SQLite file under a regular file",
            vec![("DATABASE_URL", under_plain.clone())],
            vec![plain.clone(), "Not a directory".into()],
        ));
        cases.push(case(
            "a file that is not an SQLite database",
            vec![("DATABASE_URL", plain.clone())],
            vec![plain.clone(), "not an SQLite database".into()],
        ));
        cases.push(case(
            "a number setting that is not a number",
            vec![(number_env, "lots".into())],
            vec![],
        ));
        cases.push(case(
            "LOG_FORMAT that is not pretty or json",
            vec![("LOG_FORMAT", "yaml".into())],
            vec![],
        ));
        cases.push(case(
            "an address that is not host:port",
            vec![(addr_env, "localhost".into())],
            vec![],
        ));
        cases.push(case(
            "a port already in use",
            vec![(addr_env, taken_addr.clone())],
            vec![],
        ));
    }

    let mut rows: Vec<Row> = Kind::EVERY
        .iter()
        .map(|k| Row::new("bad settings", k.name()))
        .collect();
    let results = join_all(cases.iter().map(|case| run_bad(case, &sqlite_url))).await;
    for (case, result) in cases.iter().zip(results) {
        let row = &mut rows[Kind::EVERY
            .iter()
            .position(|k| *k == case.kind)
            .expect("a kind")];
        match result {
            Ok((code, stderr, took)) => {
                let lines: Vec<&str> = stderr.lines().filter(|l| !l.trim().is_empty()).collect();
                let panicked = stderr.contains("panicked") || stderr.contains("backtrace");
                if panicked {
                    row.panics += 1;
                }
                row.check(
                    code.is_some_and(|c| c != 0)
                        && !panicked
                        && !lines.is_empty()
                        && lines.len() <= 3
                        && case.says.iter().all(|s| stderr.contains(s.as_str())),
                    || {
                        format!(
                            "{}: exit {code:?} after {took:?}, stderr: {stderr:.400}",
                            case.what
                        )
                    },
                );
            }
            Err(error) => row.fail(format!("{}: {error}", case.what)),
        }
    }
    for row in &mut rows {
        row.note = "unknown database kind, SQLite path under a file, not an SQLite file, \
             unparsable number, bad LOG_FORMAT, bad address, port in use"
            .to_owned();
    }
    drop(taken);
    rows
}

/// Runs the binary with the bad setting; its exit code, stderr and run time.
async fn run_bad(
    case: &BadCase,
    sqlite_url: &str,
) -> anyhow::Result<(Option<i32>, String, Duration)> {
    let mut command = tokio::process::Command::from(case.kind.command());
    command
        .env("DATABASE_URL", sqlite_url)
        .env("RUST_LOG", "warn")
        .env("RUST_BACKTRACE", "1")
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .kill_on_drop(true);
    // Every service on a free port unless the case says otherwise.
    for var in [
        "REST_ADDR",
        "RPC_ADDR",
        "GRPC_ADDR",
        "WS_ADDR",
        "GRAPHQL_ADDR",
        "MESSAGING_ADDR",
        "HTTP_ADDR",
    ] {
        command.env(var, "127.0.0.1:0");
    }
    // No brokers: messaging is tested where it has brokers of its own.
    for var in ["AMQP_URL", "MQTT_ADDR"] {
        command.env(var, "");
    }
    for (key, value) in &case.env {
        command.env(key, value);
    }
    let started = Instant::now();
    let child = command.spawn()?;
    match tokio::time::timeout(Duration::from_secs(10), child.wait_with_output()).await {
        Ok(Ok(output)) => Ok((
            output.status.code(),
            String::from_utf8_lossy(&output.stderr).into_owned(),
            started.elapsed(),
        )),
        Ok(Err(error)) => Err(error.into()),
        Err(_) => Err(anyhow::anyhow!(
            "still running after 10 s (it should have refused to start)"
        )),
    }
}
