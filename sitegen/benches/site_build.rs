//! Build time of the site for synthetic repositories (see `sitegen::bench::synthetic`):
//!
//! - `site/full_build`: the part-1 scale without evidence — 200 content pages of about 1,500
//!   words, 100 ADRs, 200 commits; load → plan → render → check → write, replacing the same
//!   version each iteration (`--force`), render cache off (a cold build every time);
//! - `site/markdown_200_pages`: markdown rendering alone;
//! - `site_evidence/full_build`: the scale — the above plus 1,000 evidence runs × 40
//!   metrics (20 samples each), cache off, a new version each iteration;
//! - `site_evidence/add_run_rebuild`: append one run to that ledger (not timed) and build a new
//!   version with the caches and page sharing on (the incremental path a per-commit publish
//!   takes: unchanged pages are hard-linked from the previous version).
//!
//! Peak memory is not measured here; `sitegen bench-site` measures it (and the same two build
//! times, each build a fresh `sitegen build` process), and records it as evidence.

#![allow(missing_docs)] // criterion_group! generates an undocumented public function.

use std::time::Duration;

/// The `sitegen` binary's allocator (ADR-0007), so these figures match what users run.
#[global_allocator]
static GLOBAL: mimalloc::MiMalloc = mimalloc::MiMalloc;

use criterion::{BatchSize, Criterion, criterion_group, criterion_main};
use sitegen::bench::synthetic::{SyntheticSpec, generate};
use sitegen::bench::synthetic_evidence::add_run;
use sitegen::site::{BuildOptions, build};

fn report(label: &str, r: &sitegen::site::BuildReport) {
    eprintln!(
        "{label}: {} pages ({} rendered, {} shared); phases: {}",
        r.pages,
        r.rendered,
        r.reused,
        r.timings
            .iter()
            .map(|t| format!("{} {:.1} ms", t.name, t.duration.as_secs_f64() * 1e3))
            .collect::<Vec<_>>()
            .join(", ")
    );
}

fn site_build(c: &mut Criterion) {
    let tmp = tempfile::tempdir().expect("tempdir");
    let spec = SyntheticSpec::default();
    generate(tmp.path(), &spec).expect("synthetic repository");
    let mut options = BuildOptions::new(tmp.path());
    options.version = Some("bench".to_string());
    options.force = true;
    options.cache = false;
    report("synthetic site", &build(&options).expect("first build"));
    let mut group = c.benchmark_group("site");
    group.sample_size(10);
    group.bench_function("full_build", |b| {
        b.iter(|| build(&options).expect("build"));
    });
    let repo = sitegen::util::repofs::Repo::open(tmp.path());
    let pages =
        sitegen::model::content::load_dir(&repo, &tmp.path().join("content")).expect("pages");
    group.bench_function("markdown_200_pages", |b| {
        b.iter(|| {
            pages
                .iter()
                .map(|p| {
                    sitegen::site::render::markdown::render(&p.body, &Default::default())
                        .html
                        .len()
                })
                .sum::<usize>()
        });
    });
    group.finish();
}

fn site_evidence(c: &mut Criterion) {
    let tmp = tempfile::tempdir().expect("tempdir");
    let spec = SyntheticSpec {
        runs: 1000,
        metrics: 40,
        ..SyntheticSpec::default()
    };
    generate(tmp.path(), &spec).expect("synthetic repository");
    // Every iteration publishes a new version, as a per-commit publish does. Replacing one
    // version over and over (`--force`) would time the removal of the replaced tree too, and
    // on a file system without a journal, files created right after a large deletion are
    // several times slower to create (see docs/publishing.md, round 3).
    let mut cold = BuildOptions::new(tmp.path());
    cold.cache = false;
    let mut k = 0;
    let mut next = |prefix: &str| {
        k += 1;
        Some(format!("{prefix}-{k}"))
    };
    cold.version = next("cold");
    report(
        "synthetic evidence site",
        &build(&cold).expect("first build"),
    );
    let mut group = c.benchmark_group("site_evidence");
    group.sample_size(10);
    group.warm_up_time(Duration::from_secs(1));
    group.measurement_time(Duration::from_secs(20));
    group.bench_function("full_build", |b| {
        b.iter_batched(
            || {
                let mut o = cold.clone();
                o.version = next("cold");
                o
            },
            |o| build(&o).expect("build"),
            BatchSize::PerIteration,
        )
    });

    // Incremental: one more run (not timed), then a new version built with the cache warm,
    // sharing unchanged pages with the version before it.
    let mut warm = BuildOptions::new(tmp.path());
    warm.version = next("warm");
    build(&warm).expect("fills the cache");
    let mut n = spec.runs;
    group.bench_function("add_run_rebuild", |b| {
        b.iter_batched(
            || {
                add_run(tmp.path(), n, spec.metrics).expect("adds a run");
                n += 1;
                let mut o = warm.clone();
                o.version = next("warm");
                o
            },
            |o| build(&o).expect("build"),
            BatchSize::PerIteration,
        )
    });
    add_run(tmp.path(), n, spec.metrics).expect("adds a run");
    warm.version = next("warm");
    report("after adding one run", &build(&warm).expect("build"));
    group.finish();
}

criterion_group!(benches, site_build, site_evidence);
criterion_main!(benches);
