//! The crash loop: for seeded workloads, crash at every I/O operation in turn, recover, and
//! verify that every acknowledged commit is present, nothing unacknowledged beyond the one
//! in-flight commit is visible, and the integrity check is clean.
//!
//! At least 1,000 crash points run in the default `cargo test`; `ldb crashtest --seeds N`
//! runs longer loops (nightly). A violation message names the seed and the crash point;
//! replay one with `ldb crashtest --seed S` or `crashtest::run_point`.

use lightning_db::harness::crashtest::{self, CrashConfig};
use lightning_db::wal::WalMode;

fn run(cfg: CrashConfig) -> u64 {
    let report = crashtest::run_loop(&cfg, 1, u64::MAX).expect("workload runs without a crash");
    assert!(
        report.violations.is_empty(),
        "{} violations (seed {}), first: {}",
        report.violations.len(),
        cfg.seed,
        report.violations[0]
    );
    assert!(
        report.acknowledged_commits > 0,
        "the loop verified real commits"
    );
    report.points
}

#[test]
fn every_crash_point_recovers_standard_mode() {
    let mut points = 0;
    for seed in 1..=4 {
        points += run(CrashConfig {
            seed,
            wal_mode: WalMode::Standard,
            ..CrashConfig::default()
        });
    }
    assert!(points >= 700, "only {points} crash points ran");
}

#[test]
fn every_crash_point_recovers_unified_mode() {
    let mut points = 0;
    for seed in 11..=12 {
        points += run(CrashConfig {
            seed,
            wal_mode: WalMode::Unified,
            ..CrashConfig::default()
        });
    }
    assert!(points >= 300, "only {points} crash points ran");
}

/// Seed 8's damage check writes its first commit just as the log rolls over to a new
/// segment: the bit to flip lies in that new segment, not in the old one's zero tail after its
/// closing record (where the loop once flipped it, and nothing could notice).
#[test]
fn the_damage_check_finds_its_record_across_a_roll_over() {
    run(CrashConfig {
        seed: 8,
        wal_mode: WalMode::Standard,
        ..CrashConfig::default()
    });
}
