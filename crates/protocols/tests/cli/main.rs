//! The `protocols` binary as a user runs it: real processes, real sockets, and curl.

#[path = "../checks/mod.rs"]
mod checks;
mod helpers;

mod browser;
mod capture;
mod gateway;
mod seed;
mod serve;
mod walkthrough;

fn main() {
    test_support::harness::main([
        browser::trials(),
        capture::trials(),
        gateway::trials(),
        seed::trials(),
        serve::trials(),
        walkthrough::trials(),
    ])
}
