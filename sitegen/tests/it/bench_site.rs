//! `sitegen bench-site`: end to end on a small synthetic site, through the binary (each build a
//! child `sitegen build`): metrics in the metrics format, the incremental build renders fewer
//! pages than the cold one builds, the repositories are removed, bad options are refused.

use std::process::Command;

fn sitegen() -> Command {
    Command::new(env!("CARGO_BIN_EXE_sitegen"))
}

#[test]
fn measures_cold_and_incremental_builds_and_cleans_up() {
    let work = tempfile::tempdir().expect("tempdir");
    let out = sitegen()
        .args([
            "bench-site",
            "--runs",
            "3",
            "--metrics",
            "2",
            "--pages",
            "3",
            "--words",
            "50",
            "--adrs",
            "2",
            "--commits",
            "4",
            "--repeat",
            "2",
            "--json",
            "--work-dir",
        ])
        .arg(work.path())
        .output()
        .expect("runs");
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success(), "{stderr}");
    assert_eq!(stderr.matches("repetition").count(), 2, "{stderr}");
    assert_eq!(stderr.matches("warm-up (dropped)").count(), 1, "{stderr}");
    let file: sitegen::evidence::metrics::MetricsFile =
        serde_json::from_slice(&out.stdout).expect("a metrics document");
    sitegen::evidence::metrics::validate("bench-site", &file.metrics).expect("valid");
    let get = |n: &str| {
        file.metrics
            .iter()
            .find(|m| m.name == n)
            .unwrap_or_else(|| panic!("{n} missing"))
    };
    let cold = get("site.build.cold_ms");
    assert_eq!(cold.samples.len(), 2, "one sample per repetition");
    assert!(cold.value > 0.0 && get("site.build.add_run_ms").value > 0.0);
    let (pages, rendered) = (
        get("site.build.pages").value,
        get("site.build.add_run_rendered").value,
    );
    assert!(
        rendered > 0.0 && rendered < pages,
        "the incremental build renders some pages and shares the rest: {rendered} of {pages}"
    );
    if cfg!(target_os = "linux") {
        assert!(get("site.build.cold_peak_rss_mb").value > 1.0);
    }
    assert_eq!(
        std::fs::read_dir(work.path()).expect("lists").count(),
        0,
        "the synthetic repositories are removed"
    );
}

#[test]
fn zero_runs_is_refused() {
    let out = sitegen()
        .args(["bench-site", "--runs", "0"])
        .output()
        .expect("runs");
    assert!(!out.status.success());
    assert!(String::from_utf8_lossy(&out.stderr).contains("at least 1"));
}
