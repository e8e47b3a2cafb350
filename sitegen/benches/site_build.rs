//! Build time of the site for a synthetic repository at the part-1 scale: 200 content
//! pages of about 1,500 words, 100 ADRs and 200 commits (see `sitegen::site::synthetic`).
//!
//! `full_build` measures load → plan → render → write, link check included, replacing the same
//! version each iteration (`--force`). `markdown_200_pages` isolates markdown rendering.

#![allow(missing_docs)] // criterion_group! generates an undocumented public function.

use criterion::{Criterion, criterion_group, criterion_main};
use sitegen::site::synthetic::{SyntheticSpec, generate};
use sitegen::site::{BuildOptions, build};

fn site_build(c: &mut Criterion) {
    let tmp = tempfile::tempdir().expect("tempdir");
    let spec = SyntheticSpec::default();
    generate(tmp.path(), &spec).expect("synthetic repository");
    let mut options = BuildOptions::new(tmp.path());
    options.version = Some("bench".to_string());
    options.force = true;
    let report = build(&options).expect("first build");
    eprintln!(
        "synthetic site: {} pages; phases: {}",
        report.pages,
        report
            .timings
            .iter()
            .map(|t| format!("{} {:.1} ms", t.name, t.duration.as_secs_f64() * 1e3))
            .collect::<Vec<_>>()
            .join(", ")
    );
    let mut group = c.benchmark_group("site");
    group.sample_size(10);
    group.bench_function("full_build", |b| {
        b.iter(|| build(&options).expect("build"));
    });
    let pages = sitegen::content::load_dir(&tmp.path().join("content")).expect("pages");
    group.bench_function("markdown_200_pages", |b| {
        b.iter(|| {
            pages
                .iter()
                .map(|p| {
                    sitegen::markdown::render(&p.body, &Default::default())
                        .html
                        .len()
                })
                .sum::<usize>()
        });
    });
    group.finish();
}

criterion_group!(benches, site_build);
criterion_main!(benches);
