//! Evidence benchmarks over synthetic ledgers generated in a temp folder:
//! - `verify/1000x20`: verify 1,000 runs × 20 files (target ≤ 1 s);
//! - `load_evaluate/1000x40`: load 1,000 runs × 40 metrics and evaluate the repository's plan
//!   (target ≤ 500 ms).
//!
//! The generator writes the documented formats directly (no fsync per file, so setup is quick);
//! the ledger it writes verifies clean, which the setup asserts before measuring.

// criterion_group! generates an undocumented function.
#![allow(missing_docs)]

use std::collections::BTreeMap;
use std::path::Path;
use std::time::Duration;

use criterion::{Criterion, criterion_group, criterion_main};
use sitegen::evidence::hash;
use sitegen::evidence::ledger::{self, ChainHead, Link, Manifest, RunInfo, RunKind};
use sitegen::evidence::metrics::{Direction, Metric};
use sitegen::evidence::record::{Captured, Environment, EvidenceRecord, Status};
use sitegen::project::Project;

fn env() -> Environment {
    Environment {
        git_commit: "4cec030".repeat(5) + "abcde",
        dirty: false,
        rustc: "rustc 1.95.0".into(),
        cargo_lock_sha256: Some("0".repeat(64)),
        os: "linux".into(),
        cpu: "bench cpu".into(),
        cores: 2,
        ..Environment::default()
    }
}

fn record(check: &str, metrics: Vec<Metric>) -> EvidenceRecord {
    EvidenceRecord {
        format_version: 1,
        check_id: check.into(),
        phase: Some(3),
        status: Status::Pass,
        command: vec!["ldb".into(), "bench".into()],
        workdir: ".".into(),
        started_at: "2026-11-25T21:00:00.000Z".into(),
        duration_ms: 1234,
        exit_code: Some(0),
        message: None,
        metrics,
        artifacts: Vec::new(),
        stdout: Captured {
            text: "ok\n".into(),
            bytes: 3,
            truncated: false,
            sha256: hash::bytes(b"ok\n"),
        },
        stderr: Captured::default(),
        environment: env(),
        conditions: None,
        paired: None,
    }
}

fn json<T: serde::Serialize>(v: &T) -> Vec<u8> {
    serde_json::to_vec_pretty(v).expect("synthetic data serialises")
}

/// Writes `runs` runs of `checks` records, each record holding `metrics_per_record` metrics.
fn generate(evidence: &Path, runs: usize, checks: usize, metrics_per_record: usize) {
    let mut previous: Option<Link> = None;
    let start = chrono::DateTime::parse_from_rfc3339("2026-11-01T00:00:00Z")
        .expect("fixed time")
        .with_timezone(&chrono::Utc);
    for r in 0..runs {
        let id = ledger::run_id(start + chrono::Duration::seconds(r as i64 * 60), "4cec030");
        let dir = evidence.join(&id);
        std::fs::create_dir_all(dir.join("records")).expect("mkdir");
        let mut files = BTreeMap::new();
        let mut ids = Vec::new();
        for c in 0..checks {
            let check = format!("check-{c:02}");
            let metrics = (0..metrics_per_record)
                .map(|m| {
                    let base = 100.0 + (m as f64) + (r % 7) as f64;
                    let mut metric = Metric::new(
                        match (c, m) {
                            (0, 0) => "oltp.tps".to_string(),
                            (0, 1) => "oltp.p95_latency_ms".to_string(),
                            (0, 2) => "page_cache.hit_ratio".to_string(),
                            _ => format!("bench.c{c}.m{m}"),
                        },
                        if (c, m) == (0, 2) { 0.91 } else { base },
                        "ns",
                        if (c, m) == (0, 0) {
                            Direction::HigherIsBetter
                        } else {
                            Direction::LowerIsBetter
                        },
                    );
                    metric.samples = (0..20).map(|s| base + (s % 5) as f64).collect();
                    metric
                })
                .collect();
            let bytes = json(&record(&check, metrics));
            let rel = format!("records/{check}.json");
            std::fs::write(dir.join(&rel), &bytes).expect("write");
            files.insert(rel, hash::bytes(&bytes));
            ids.push(check);
        }
        let info = RunInfo {
            format_version: 1,
            run_id: id.clone(),
            kind: RunKind::Checks,
            profile: Some("quick".into()),
            started_at: "2026-11-25T21:00:00Z".into(),
            finished_at: "2026-11-25T21:01:00Z".into(),
            environment: env(),
            checks: ids,
            baseline: None,
            baseline_change: None,
        };
        let bytes = json(&info);
        std::fs::write(dir.join("run.json"), &bytes).expect("write");
        files.insert("run.json".into(), hash::bytes(&bytes));
        let manifest = Manifest {
            format_version: 1,
            run_id: id.clone(),
            previous: previous.take(),
            files,
        };
        let bytes = json(&manifest);
        std::fs::write(dir.join("manifest.json"), &bytes).expect("write");
        previous = Some(Link {
            run_id: id,
            manifest_sha256: hash::bytes(&bytes),
        });
    }
    if let Some(last) = previous {
        let head = ChainHead {
            format_version: 1,
            run_id: last.run_id,
            manifest_sha256: last.manifest_sha256,
        };
        std::fs::write(evidence.join("chain-head.json"), json(&head)).expect("write");
    }
}

fn benches(c: &mut Criterion) {
    let verify_dir = tempfile::tempdir().expect("tempdir");
    let evidence = verify_dir.path().join("evidence");
    generate(&evidence, 1000, 18, 2);
    let report = sitegen::evidence::verify::verify(&evidence).expect("verify");
    assert!(
        report.ok() && report.files == 20_000,
        "{:?} files={}",
        report.problems.first(),
        report.files
    );
    c.bench_function("verify/1000x20", |b| {
        b.iter(|| sitegen::evidence::verify::verify(&evidence).expect("verify"))
    });

    let eval_dir = tempfile::tempdir().expect("tempdir");
    let root = eval_dir.path();
    let repo = Path::new(env!("CARGO_MANIFEST_DIR")).join("..");
    std::fs::create_dir_all(root.join("content")).expect("mkdir");
    std::fs::copy(
        repo.join("content/plan.toml"),
        root.join("content/plan.toml"),
    )
    .expect("plan");
    std::fs::create_dir_all(root.join("adr")).expect("mkdir");
    for entry in std::fs::read_dir(repo.join("adr")).expect("adr dir") {
        let p = entry.expect("entry").path();
        std::fs::copy(&p, root.join("adr").join(p.file_name().expect("name"))).expect("copy adr");
    }
    generate(&root.join("evidence"), 1000, 2, 20);
    // A project is a folder with a sitegen.toml (the defaults are enough here).
    std::fs::write(root.join("sitegen.toml"), "").expect("sitegen.toml");
    let project = Project::open(root).expect("project");
    let baseline = project.load_runs().expect("load")[0].id.clone();
    let e = project.evaluate(Some(&baseline)).expect("evaluate");
    assert_eq!(e.regressions.len(), 40);
    c.bench_function("load_evaluate/1000x40", |b| {
        b.iter(|| project.evaluate(Some(&baseline)).expect("evaluate"))
    });
}

criterion_group! {
    name = evidence;
    config = Criterion::default()
        .sample_size(10)
        .warm_up_time(Duration::from_secs(1))
        .measurement_time(Duration::from_secs(5));
    targets = benches
}
criterion_main!(evidence);
