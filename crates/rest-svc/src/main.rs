//! `rest-svc`: the REST service on its own (one container of the Compose stack).
//! Its settings and how it runs are in [`rest_svc::Args`]; `rest-svc --help` lists them.

fn main() -> std::process::ExitCode {
    runtime::service::main::<rest_svc::Args>()
}
