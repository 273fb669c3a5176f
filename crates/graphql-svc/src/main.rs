//! `graphql-svc`: the GraphQL service on its own.
//! Its settings and how it runs are in [`graphql_svc::Args`]; `graphql-svc --help` lists them.

fn main() -> std::process::ExitCode {
    runtime::service::main::<graphql_svc::Args>()
}
