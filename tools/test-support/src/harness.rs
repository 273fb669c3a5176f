//! The harness every integration-test binary runs under: cargo's own summary line
//! counts a test that could not run here as **ignored**, with the reason, never as
//! passed.
//!
//! Rust's built-in harness decides `#[ignore]` when the test is compiled; whether
//! PostgreSQL, nginx or Chromium is on this machine is only known when the test runs.
//! So each test binary sets `harness = false` and its `main` hands its tests to
//! [`main`], built on `libtest2-mimic`, which can ignore a test at run time:
//!
//! ```text
//! note: ignoring the tests that need it: PROTOCOLS_TEST_POSTGRES_URL is not set (…)
//! test crud::postgres::create_then_read ... ignored
//! test result: ok. 28 passed; 0 failed; 27 ignored; 0 filtered out; finished in 3.7s
//! ```
//!
//! A test that needs something calls [`skip`] (through [`crate::TestDb::new`],
//! [`crate::require_tool`] or [`crate::require_python`]); outside CI that ends the test
//! as ignored. Under CI (`CI=true`) it fails the test instead: CI must run everything.
//! `--include-ignored` turns a skip into a failure that says what is missing.
//!
//! Each test module lists its tests once, with [`tests!`](crate::tests):
//!
//! ```ignore
//! async fn create_then_read(app: TestApp) { /* … */ }
//! fn parses() { /* … */ }
//!
//! test_support::tests! {
//!     sync: parses;
//!     backends(crate::helpers::TestApp::spawn): create_then_read;
//! }
//! ```
//!
//! and the binary's `main.rs` collects the modules:
//! `fn main() { test_support::harness::main([crud::trials(), list::trials()]) }`.

use std::any::Any;
use std::collections::BTreeSet;
use std::future::Future;
use std::panic::{AssertUnwindSafe, catch_unwind, resume_unwind};
use std::sync::{Mutex, PoisonError};

pub use libtest2_mimic::Trial;
use libtest2_mimic::{RunContext, RunError};

/// Whether this run is CI's (`CI=true` or `CI=1`), where nothing may be skipped.
pub fn under_ci() -> bool {
    std::env::var("CI").is_ok_and(|v| v == "true" || v == "1")
}

/// The payload [`skip`] unwinds with; the harness turns it into "ignored".
struct Skip(String);

/// Ends the current test as ignored because `reason` (what is missing, and how to get
/// it) keeps it from running here.
///
/// # Panics
/// Always unwinds. Under CI it is an ordinary panic, so the test fails.
pub fn skip(reason: impl Into<String>) -> ! {
    let reason = reason.into();
    if under_ci() {
        panic!("CI=true, so every test must run, but {reason}");
    }
    // resume_unwind: no panic message is printed for a skip.
    resume_unwind(Box::new(Skip(reason)))
}

/// Runs the test binary: every trial of every module, with libtest's command line
/// (filters, `--ignored`, `--include-ignored`, `--test-threads`, `--list`).
pub fn main(modules: impl IntoIterator<Item = Vec<Trial>>) -> ! {
    libtest2_mimic::Harness::with_env()
        .discover(modules.into_iter().flatten())
        .main()
}

/// A trial named `path::name` (the module path without the binary's name).
fn name(module_path: &str, name: &str) -> String {
    match module_path.split_once("::") {
        Some((_, module)) => format!("{module}::{name}"),
        None => name.to_owned(),
    }
}

/// Whether a caught panic was a [`skip`], and then the harness's verdict.
fn verdict(
    context: &RunContext<'_>,
    caught: Result<(), Box<dyn Any + Send>>,
) -> Result<(), RunError> {
    match caught {
        Ok(()) => Ok(()),
        Err(payload) => match payload.downcast::<Skip>() {
            Ok(skip) => {
                announce(&skip.0);
                context.ignore_for(&skip.0)?;
                // Run although ignored (--include-ignored): what is missing is a failure.
                Err(RunError::fail(format!("cannot run here: {}", skip.0)))
            }
            Err(panic) => resume_unwind(panic),
        },
    }
}

/// Prints each distinct reason for ignoring tests once, on stderr: the pretty output
/// of the harness says only "ignored".
fn announce(reason: &str) {
    static ANNOUNCED: Mutex<BTreeSet<String>> = Mutex::new(BTreeSet::new());
    let mut announced = ANNOUNCED.lock().unwrap_or_else(PoisonError::into_inner);
    if announced.insert(reason.to_owned()) {
        eprintln!("note: ignoring the tests that need it: {reason}");
    }
}

/// A synchronous test.
pub fn sync<F>(module_path: &str, test: &str, body: F) -> Trial
where
    F: Fn() + Send + Sync + 'static,
{
    Trial::test(name(module_path, test), move |context| {
        verdict(&context, catch_unwind(AssertUnwindSafe(&body)))
    })
}

/// An async test on a current-thread tokio runtime, as `#[tokio::test]` runs it.
pub fn tokio<F, Fut>(module_path: &str, test: &str, body: F) -> Trial
where
    F: Fn() -> Fut + Send + Sync + 'static,
    Fut: Future<Output = ()>,
{
    Trial::test(name(module_path, test), move |context| {
        verdict(
            &context,
            catch_unwind(AssertUnwindSafe(|| {
                tokio::runtime::Builder::new_current_thread()
                    .enable_all()
                    .build()
                    .expect("a tokio runtime")
                    .block_on(body());
            })),
        )
    })
}

/// Declares `pub fn trials() -> Vec<Trial>` for the tests of this module, each section
/// optional, in this order:
///
/// - `sync: a, b;` plain functions;
/// - `tokio: c, d;` async functions, each on its own runtime;
/// - `backends(spawn): e, f;` async bodies run twice, as `sqlite::e` and `postgres::e`,
///   each given what `spawn(Backend).await` starts on a fresh database of that backend
///   (`TestApp::spawn`; `std::future::ready` hands over the backend itself);
/// - `sync_backends: g, h;` plain functions of the [`Backend`](crate::Backend), run
///   twice in the same way (for tests that drive processes and block).
#[macro_export]
macro_rules! tests {
    (
        $(sync: $($sync:ident),+ $(,)?;)?
        $(tokio: $($tokio:ident),+ $(,)?;)?
        $(backends($spawn:path): $($both:ident),+ $(,)?;)?
        $(sync_backends: $($sync_both:ident),+ $(,)?;)?
    ) => {
        /// The tests of this module, for the binary's harness.
        pub fn trials() -> ::std::vec::Vec<$crate::harness::Trial> {
            #[allow(unused_mut)]
            let mut trials = ::std::vec::Vec::new();
            $($(
                trials.push($crate::harness::sync(module_path!(), stringify!($sync), $sync));
            )+)?
            $($(
                trials.push($crate::harness::tokio(module_path!(), stringify!($tokio), $tokio));
            )+)?
            $($(
                trials.push($crate::harness::tokio(
                    module_path!(),
                    concat!("sqlite::", stringify!($both)),
                    || async { $both($spawn($crate::Backend::Sqlite).await).await },
                ));
                trials.push($crate::harness::tokio(
                    module_path!(),
                    concat!("postgres::", stringify!($both)),
                    || async { $both($spawn($crate::Backend::Postgres).await).await },
                ));
            )+)?
            $($(
                trials.push($crate::harness::sync(
                    module_path!(),
                    concat!("sqlite::", stringify!($sync_both)),
                    || $sync_both($crate::Backend::Sqlite),
                ));
                trials.push($crate::harness::sync(
                    module_path!(),
                    concat!("postgres::", stringify!($sync_both)),
                    || $sync_both($crate::Backend::Postgres),
                ));
            )+)?
            trials
        }
    };
}

#[cfg(test)]
mod tests {
    use super::name;

    #[test]
    fn trial_names_drop_the_binary_name() {
        assert_eq!(name("api::crud", "sqlite::reads"), "crud::sqlite::reads");
        assert_eq!(name("api", "reads"), "reads");
    }
}
