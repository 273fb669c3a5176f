//! Black-box tests of ws-svc: the real server on a free port, tokio-tungstenite and
//! Python's `websockets` as clients, a fresh database per test.

mod helpers;

mod chat;
mod echo;
mod feed;
mod fuzz_regressions;
mod paths;
mod python;
mod raw;
mod robustness;
mod wire;

fn main() {
    test_support::harness::main([
        chat::trials(),
        echo::trials(),
        feed::trials(),
        fuzz_regressions::trials(),
        paths::trials(),
        python::trials(),
        raw::trials(),
        robustness::trials(),
    ])
}
