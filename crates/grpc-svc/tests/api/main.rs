//! Black-box tests of grpc-svc: the real server on a free port, tonic's generated
//! clients, raw gRPC-Web frames over HTTP/1.1, and Python's grpcio.

mod helpers;

mod dummies;
mod echo;
mod fuzz_regressions;
mod greeter;
mod grpc_web;
mod health_reflection;
mod limits;
mod playground;
mod python;
mod tls;

fn main() {
    test_support::harness::main([
        dummies::trials(),
        dummies::restart_trials(),
        echo::trials(),
        fuzz_regressions::trials(),
        greeter::trials(),
        grpc_web::trials(),
        health_reflection::trials(),
        limits::trials(),
        playground::trials(),
        python::trials(),
        tls::trials(),
    ])
}
