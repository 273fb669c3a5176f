//! `messaging-svc`: the messaging service on its own.
//! Its settings and how it runs are in [`messaging_svc::Args`]; `messaging-svc --help` lists them.

fn main() -> std::process::ExitCode {
    runtime::service::main::<messaging_svc::Args>()
}
