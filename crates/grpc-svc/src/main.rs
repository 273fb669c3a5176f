//! `grpc-svc`: the gRPC service on its own (one container of the Compose stack).
//! Its settings and how it runs are in [`grpc_svc::Args`]; `grpc-svc --help` lists them.

fn main() -> std::process::ExitCode {
    runtime::service::main::<grpc_svc::Args>()
}
