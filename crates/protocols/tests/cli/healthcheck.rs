//! `<service> healthcheck`, what each container's HEALTHCHECK runs: a clap subcommand
//! that asks the server on the binary's own port, and says no when none answers.

use std::process::Stdio;
use std::time::{Duration, Instant};

use test_support::TestDb;
use test_support::process::Process;

use crate::helpers::{free_port, service};

/// The five service binaries and the variable that sets each one's address.
const SERVICES: [(&str, &str); 5] = [
    ("rest-svc", "REST_ADDR"),
    ("rpc-svc", "RPC_ADDR"),
    ("ws-svc", "WS_ADDR"),
    ("grpc-svc", "GRPC_ADDR"),
    ("graphql-svc", "GRAPHQL_ADDR"),
];

fn healthcheck(name: &str, var: &str, addr: &str) -> bool {
    service(name)
        .arg("healthcheck")
        .env(var, addr)
        .env_remove("DATABASE_URL")
        .stderr(Stdio::null())
        .status()
        .unwrap()
        .success()
}

fn every_service_says_healthy_only_while_its_server_answers() {
    for (name, var) in SERVICES {
        let db = TestDb::sqlite();
        let addr = format!("127.0.0.1:{}", free_port());
        assert!(
            !healthcheck(name, var, &addr),
            "{name} healthcheck said healthy with nothing on {addr}"
        );
        let mut command = service(name);
        command
            .env(var, &addr)
            .env("DATABASE_URL", db.url.expose())
            .stdout(Stdio::null())
            .stderr(Stdio::null());
        let server = Process::start(name, &mut command).unwrap();
        let started = Instant::now();
        let healthy = loop {
            if healthcheck(name, var, &addr) {
                break true;
            }
            if started.elapsed() > Duration::from_secs(20) {
                break false;
            }
            std::thread::sleep(Duration::from_millis(200));
        };
        drop(server);
        assert!(healthy, "{name} healthcheck never said healthy on {addr}");
    }
}

fn healthcheck_is_listed_in_every_services_help() {
    for (name, _) in SERVICES {
        let output = service(name).arg("--help").output().unwrap();
        let help = String::from_utf8_lossy(&output.stdout);
        assert!(
            help.contains("healthcheck"),
            "{name} --help does not list healthcheck:\n{help}"
        );
    }
}

test_support::tests! {
    sync:
        every_service_says_healthy_only_while_its_server_answers,
        healthcheck_is_listed_in_every_services_help;
}
