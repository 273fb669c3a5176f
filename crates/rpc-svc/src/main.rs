//! `rpc-svc`: the JSON-RPC and XML-RPC service on its own (one container of the Compose stack).
//! Its settings and how it runs are in [`rpc_svc::Args`]; `rpc-svc --help` lists them.

fn main() -> std::process::ExitCode {
    runtime::service::main::<rpc_svc::Args>()
}
