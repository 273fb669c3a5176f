//! The README's curl walkthrough, run line by line with curl (a client this project
//! did not write) against `protocols serve`, on the composed port and on the REST port.

use serde_json::Value;
use test_support::{Backend, TestDb};

use crate::helpers::{Served, seed};

/// The lines between the walkthrough markers of README.md.
pub fn readme_commands() -> Vec<String> {
    let readme = include_str!("../../../../README.md");
    let start = readme
        .find("<!-- walkthrough:start -->")
        .expect("start marker");
    let end = readme.find("<!-- walkthrough:end -->").expect("end marker");
    readme[start..end]
        .lines()
        .filter(|line| line.starts_with("curl "))
        .map(str::to_owned)
        .collect()
}

/// Runs one README line against `addr` instead of localhost:8080, without `| jq`.
pub fn run(line: &str, addr: &str) -> String {
    let command = line.replace("localhost:8080", addr).replace(" | jq", "");
    let output = std::process::Command::new("bash")
        .args(["-c", &command])
        .output()
        .expect("bash and curl are installed");
    assert!(
        output.status.success(),
        "{command}: {}",
        String::from_utf8_lossy(&output.stderr)
    );
    String::from_utf8(output.stdout).unwrap()
}

fn json(body: &str) -> Value {
    serde_json::from_str(body).unwrap_or_else(|e| panic!("not JSON ({e}): {body}"))
}

fn walkthrough_gives_the_documented_answers(backend: Backend, port: fn(&Served) -> &str) {
    if !test_support::tool_available("curl", "--version", "the README walkthrough") {
        return;
    }
    let Some(db) = TestDb::new(backend, "walkthrough") else {
        return;
    };
    seed(&db.url, 10);
    let served = Served::start(&db.url);
    check_walkthrough(port(&served));
}

/// Runs the README's curl lines against `addr` (a database seeded with 10 rows) and checks each answer.
pub fn check_walkthrough(addr: &str) {
    let commands = readme_commands();
    assert_eq!(
        commands.len(),
        9,
        "the README walkthrough changed: update this test"
    );

    let all = json(&run(&commands[0], addr));
    let ids: Vec<i64> = all
        .as_array()
        .unwrap()
        .iter()
        .map(|d| d["id"].as_i64().unwrap())
        .collect();
    assert_eq!(ids, (1..=10).collect::<Vec<_>>());

    let some = json(&run(&commands[1], addr));
    assert_eq!(some.as_array().unwrap().len(), 3);

    let two = json(&run(&commands[2], addr));
    assert_eq!(two["id"], 2);
    assert_eq!(two["pre_seeded"], true);

    let form = json(&run(&commands[3], addr));
    assert_eq!(
        (
            &form["id"],
            &form["day"],
            &form["weekday"],
            &form["month"],
            &form["year"]
        ),
        (
            &11.into(),
            &1.into(),
            &"Monday".into(),
            &"January".into(),
            &1984.into()
        )
    );

    let from_json = json(&run(&commands[4], addr));
    assert_eq!(
        (&from_json["id"], &from_json["year"]),
        (&12.into(), &1985.into())
    );

    let put = json(&run(&commands[5], addr));
    assert_eq!(
        (&put["id"], &put["day"], &put["month"]),
        (&11.into(), &2.into(), &"February".into())
    );

    let patched = json(&run(&commands[6], addr));
    assert_eq!(patched["year"], 1984);
    let patched = json(&run(&commands[7], addr));
    assert_eq!(patched["year"], 1985);

    let deleted = run(&commands[8], addr);
    assert!(deleted.starts_with("HTTP/1.1 204 No Content"), "{deleted}");
    let gone = run(&commands[2].replace("dummie/2", "dummie/11"), addr);
    assert_eq!(json(&gone), json(r#"{"detail":"Not found."}"#));
}

#[test]
fn readme_walkthrough_on_the_composed_port_sqlite() {
    walkthrough_gives_the_documented_answers(Backend::Sqlite, |s| &s.http);
}

#[test]
fn readme_walkthrough_on_the_rest_port_sqlite() {
    walkthrough_gives_the_documented_answers(Backend::Sqlite, |s| &s.rest);
}

#[test]
fn readme_walkthrough_on_the_composed_port_postgres() {
    walkthrough_gives_the_documented_answers(Backend::Postgres, |s| &s.http);
}

#[test]
fn readme_walkthrough_on_the_rest_port_postgres() {
    walkthrough_gives_the_documented_answers(Backend::Postgres, |s| &s.rest);
}
