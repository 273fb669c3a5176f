//! The README's curl walkthrough, run line by line with curl (a client this project
//! did not write) against `protocols serve`, on the composed port and on the REST port.

use test_support::{Backend, TestDb};

use crate::checks::check_walkthrough;
use crate::helpers::{Served, seed};

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
