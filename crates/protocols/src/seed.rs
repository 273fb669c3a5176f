//! `protocols seed [N]`: fills the table with random Dummies, as the original's
//! `manage.py seed` did: day 1..=31, any weekday and month, year 1800..=2020,
//! `pre_seeded = true`.
//!
//! Rows are generated in memory and written in transactions of `--batch` rows, each
//! made of multi-row INSERT statements. A progress bar shows on a terminal; otherwise
//! (CI, pipes) one plain line per batch. The last line gives the rate in rows/s.

use std::io::IsTerminal;
use std::time::Instant;

use indicatif::{ProgressBar, ProgressStyle};
use model::{Day, DummyData, Month, NewDummy, Store, Weekday};

use crate::cli::SeedArgs;

/// One random Dummy, in the original seeder's ranges.
pub fn random_dummy(rng: &mut fastrand::Rng) -> NewDummy {
    NewDummy {
        data: DummyData {
            day: Day::new(rng.i64(1..=31)).expect("1..=31 is a valid day"),
            weekday: Weekday::ALL[rng.usize(..Weekday::ALL.len())],
            month: Month::ALL[rng.usize(..Month::ALL.len())],
            year: rng.i32(1800..=2020),
        },
        pre_seeded: true,
    }
}

pub async fn run(args: SeedArgs) -> anyhow::Result<()> {
    args.database.database_url.prepare()?;
    let store = Store::open(&args.database.database_url, &args.database.pool_options());
    store.migrate().await?;
    let batch = args.batch.max(1);
    let bar = std::io::stdout().is_terminal().then(|| {
        let bar = ProgressBar::new(args.count as u64);
        bar.set_style(
            ProgressStyle::with_template(
                "{spinner} seeding [{bar:40}] {pos}/{len} rows ({per_sec}, eta {eta})",
            )
            .expect("a valid template")
            .progress_chars("=> "),
        );
        bar
    });
    println!(
        "Seeding {} Dummies into {} ({})",
        args.count,
        args.database.database_url,
        store.backend()
    );
    let mut rng = fastrand::Rng::new();
    let started = Instant::now();
    let mut written = 0;
    while written < args.count {
        let rows: Vec<NewDummy> = (0..batch.min(args.count - written))
            .map(|_| random_dummy(&mut rng))
            .collect();
        written += store.insert_many(rows).await?;
        match &bar {
            Some(bar) => bar.set_position(written as u64),
            None => println!("seeded {written}/{}", args.count),
        }
    }
    if let Some(bar) = bar {
        bar.finish_and_clear();
    }
    let seconds = started.elapsed().as_secs_f64();
    println!(
        "Seeded {written} rows in {seconds:.2} s ({:.0} rows/s) on {}",
        written as f64 / seconds.max(1e-9),
        store.backend()
    );
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn random_dummies_stay_in_the_original_ranges() {
        let mut rng = fastrand::Rng::with_seed(7);
        for _ in 0..10_000 {
            let d = random_dummy(&mut rng);
            assert!((1800..=2020).contains(&d.data.year));
            assert!((1..=31).contains(&d.data.day.get()));
            assert!(d.pre_seeded);
        }
    }
}
