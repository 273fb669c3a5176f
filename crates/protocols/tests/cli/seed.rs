//! `protocols seed` and `protocols migrate` against both backends.

use model::{ListQuery, PoolOptions, Store};
use test_support::{Backend, TestDb};

use crate::helpers::{protocols, seed};

fn seed_writes_n_pre_seeded_rows_in_the_original_ranges(backend: Backend) {
    let db = TestDb::new(backend);
    let stdout = seed(&db.url, 2_500);
    assert!(stdout.contains("Seeded 2500 rows in"), "{stdout}");
    assert!(stdout.contains("rows/s"), "{stdout}");
    // Without a terminal there is no progress bar, only plain lines.
    assert!(stdout.contains("seeded 2500/2500"), "{stdout}");

    let runtime = tokio::runtime::Runtime::new().unwrap();
    let store = Store::open(&db.url, &PoolOptions::default());
    let rows = runtime.block_on(store.list(ListQuery::default())).unwrap();
    assert_eq!(rows.len(), 2_500);
    assert!(
        rows.iter()
            .all(|d| d.pre_seeded && (1800..=2020).contains(&d.year))
    );
    // Random values: more than one distinct year and weekday.
    assert!(rows.iter().any(|d| d.year != rows[0].year));
    assert!(rows.iter().any(|d| d.weekday != rows[0].weekday));
}

fn migrate_is_idempotent(backend: Backend) {
    let db = TestDb::new(backend);
    for _ in 0..2 {
        let output = protocols()
            .args(["migrate", "--database-url", db.url.expose()])
            .output()
            .unwrap();
        assert!(
            output.status.success(),
            "{}",
            String::from_utf8_lossy(&output.stderr)
        );
    }
}

fn seed_reports_a_bad_database_url_and_fails() {
    let output = protocols()
        .args(["seed", "5", "--database-url", "mysql://x/y"])
        .output()
        .unwrap();
    assert!(!output.status.success());
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(stderr.contains("unknown scheme"), "{stderr}");
}

test_support::tests! {
    sync: seed_reports_a_bad_database_url_and_fails;
    sync_backends:
        seed_writes_n_pre_seeded_rows_in_the_original_ranges,
        migrate_is_idempotent;
}
