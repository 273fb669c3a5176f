//! The README's curl walkthrough, run line by line with curl (a client this project
//! did not write) against `protocols serve`, on the composed port and on the REST port.

use test_support::{Backend, TestDb};

use crate::checks::check_walkthrough;
use crate::helpers::{Served, seed};

fn walkthrough_gives_the_documented_answers(backend: Backend, port: fn(&Served) -> &str) {
    test_support::require_tool("curl", "--version", "the README walkthrough");
    let db = TestDb::new(backend);
    seed(&db.url, 10);
    let served = Served::start(&db.url);
    check_walkthrough(port(&served));
}

fn readme_walkthrough_on_the_composed_port_sqlite() {
    walkthrough_gives_the_documented_answers(Backend::Sqlite, |s| &s.http);
}

fn readme_walkthrough_on_the_rest_port_sqlite() {
    walkthrough_gives_the_documented_answers(Backend::Sqlite, |s| &s.rest);
}

fn readme_walkthrough_on_the_composed_port_postgres() {
    walkthrough_gives_the_documented_answers(Backend::Postgres, |s| &s.http);
}

fn readme_walkthrough_on_the_rest_port_postgres() {
    walkthrough_gives_the_documented_answers(Backend::Postgres, |s| &s.rest);
}

test_support::tests! {
    sync:
        readme_walkthrough_on_the_composed_port_sqlite,
        readme_walkthrough_on_the_rest_port_sqlite,
        readme_walkthrough_on_the_composed_port_postgres,
        readme_walkthrough_on_the_rest_port_postgres;
}
