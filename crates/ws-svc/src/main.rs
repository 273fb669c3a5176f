//! `ws-svc`: the WebSocket service on its own (one container of the Compose stack).
//! Its settings and how it runs are in [`ws_svc::Args`]; `ws-svc --help` lists them.

fn main() -> std::process::ExitCode {
    runtime::service::main::<ws_svc::Args>()
}
