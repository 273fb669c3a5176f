//! What the fuzz targets share: one migrated SQLite store per fuzzing process.
//!
//! libFuzzer calls a target's closure millions of times in one process, so the
//! runtime, the pool and the database are built once, on the first input, and kept.
//! The database lives in a temporary directory under `$TMPDIR`; `scripts/fuzz.sh`
//! points `$TMPDIR` at a scratch directory that it removes after each target.
//! Rows pile up over a run; that is fine, every list is paginated.

use std::sync::OnceLock;

use model::{DatabaseUrl, PoolOptions, Store};
use tokio::runtime::Runtime;

/// A multi-thread tokio runtime (the services run on one; the store's queries go to
/// its blocking pool) and a store on a fresh, migrated SQLite file.
pub struct Backend {
    /// Runs each input's future with `block_on`.
    pub runtime: Runtime,
    /// The store every call goes to.
    pub store: Store,
    /// Kept so the directory outlives the process's last input.
    _dir: tempfile::TempDir,
}

/// The process's backend, created on first use.
///
/// # Panics
/// If the temporary directory, the runtime or the migrations cannot be set up: the
/// target cannot run at all then, and libFuzzer reports the panic at once.
pub fn backend() -> &'static Backend {
    static BACKEND: OnceLock<Backend> = OnceLock::new();
    BACKEND.get_or_init(|| {
        let dir = tempfile::Builder::new()
            .prefix("protocols-fuzz-")
            .tempdir()
            .expect("create a temporary directory for the fuzz database");
        let path = dir.path().join("fuzz.sqlite3");
        let url = DatabaseUrl::parse(path.to_str().expect("temporary paths are UTF-8"))
            .expect("an SQLite path is a valid DATABASE_URL");
        let runtime = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(2)
            .enable_all()
            .build()
            .expect("build a tokio runtime");
        let store = Store::open(&url, &PoolOptions::default());
        runtime
            .block_on(store.migrate())
            .expect("migrate the fuzz database");
        Backend {
            runtime,
            store,
            _dir: dir,
        }
    })
}
