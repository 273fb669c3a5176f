//! Black-box tests of rpc-svc: the real server on a free port, real HTTP clients
//! (reqwest, Python's standard library, a browser), a fresh database per test.

mod helpers;

mod browser;
mod dummies;
mod errors;
mod fuzz_regressions;
mod procedures;
mod python;
mod spec_examples;
mod wire;

fn main() {
    test_support::harness::main([
        browser::trials(),
        dummies::trials(),
        errors::trials(),
        fuzz_regressions::trials(),
        procedures::trials(),
        python::trials(),
        spec_examples::trials(),
        wire::trials(),
    ])
}
