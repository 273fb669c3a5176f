//! The `protocols` binary as a user runs it: real processes, real sockets, and curl.

#[path = "../checks/mod.rs"]
mod checks;
mod helpers;

mod across;
mod browser;
mod call;
mod capture;
mod config_errors;
mod database_down;
mod gateway;
mod healthcheck;
mod index_page;
mod justfile;
mod readme_clients;
mod seed;
mod serve;
mod settings;
mod walkthrough;

fn main() {
    test_support::harness::main([
        across::trials(),
        call::trials(),
        browser::trials(),
        capture::trials(),
        config_errors::trials(),
        database_down::trials(),
        gateway::trials(),
        healthcheck::trials(),
        index_page::trials(),
        justfile::trials(),
        readme_clients::trials(),
        seed::trials(),
        serve::trials(),
        settings::trials(),
        walkthrough::trials(),
    ])
}
