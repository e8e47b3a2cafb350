//! End-to-end tests of the evidence pages over a fixture repository with a real ledger (runs
//! made by `sitegen run` on fixture checks): the dashboard never shows "no evidence" as green
//! and names the waiving ADR, compare pages report significance from the regression code, log
//! excerpts are escaped, the schema catalog renders and diffs, and an incremental rebuild
//! re-renders only the pages whose data changed.

use crate::common::tree;

use std::path::Path;

use crate::common::{CONFIG, Fixture};
use sitegen::site::{BuildOptions, BuildReport, build};

fn build_version(root: &Path, version: &str) -> BuildReport {
    let mut o = BuildOptions::new(root);
    o.version = Some(version.to_string());
    build(&o).expect("site builds")
}

fn page(root: &Path, version: &str, path: &str) -> String {
    let file = root
        .join("site")
        .join(version)
        .join(path)
        .join("index.html");
    std::fs::read_to_string(&file).unwrap_or_else(|e| panic!("{}: {e}", file.display()))
}

/// The table row of criterion `id` on the dashboard.
fn criterion_row<'a>(html: &'a str, id: &str) -> &'a str {
    let start = html
        .find(&format!("id=\"crit-{id}\""))
        .unwrap_or_else(|| panic!("no row for {id}"));
    let rest = &html[start..];
    &rest[..rest.find("</tr>").expect("row ends")]
}

const EXTRA_CHECKS: &str = include_str!("../fixtures/repo/extra-checks.toml");

fn fixture() -> Fixture {
    let f = Fixture::new();
    f.write("sitegen.toml", &format!("{CONFIG}{EXTRA_CHECKS}"));
    f.write(
        "catalog.json",
        r#"{"format_version": 1, "engine_version": "0.1.0", "page_types": [{"id": 1, "name": "meta"}, {"id": 2, "name": "<leaf>"}], "configuration": {"page_size": 4096}}"#,
    );
    f
}

#[test]
fn dashboard_marks_no_evidence_and_waivers_and_never_green_without_evidence() {
    let f = fixture();
    f.run(&["metrics", "junit", "noisy"]);
    build_version(f.root(), "v1");
    let dash = page(f.root(), "v1", "dashboard");
    // X.future reads a metric nothing measures.
    let row = criterion_row(&dash, "X.future");
    assert!(
        row.contains("v-missing")
            && row.contains("no measurement")
            && row.contains("no measurement: no run recorded `never.measured`")
            && row.contains("warning: X.future: no check emits `never.measured`"),
        "{row}"
    );
    assert!(
        !row.contains("v-ok"),
        "no measurement shown as green: {row}"
    );
    // P1.compression is waived by the accepted ADR-0002.
    let row = criterion_row(&dash, "P1.compression");
    assert!(
        row.contains("waived by <a href=\"../adr/adr-0002/index.html\">ADR-0002</a>"),
        "{row}"
    );
    // P0.cache is met from the metrics record, with a link to it and its hash.
    let row = criterion_row(&dash, "P0.cache");
    assert!(
        row.contains("v-ok") && row.contains("#check-metrics"),
        "{row}"
    );
    let record_sha = f
        .project()
        .load_runs()
        .expect("runs")
        .last()
        .and_then(|r| r.record("metrics").map(|x| x.sha256.clone()))
        .expect("metrics record");
    assert!(row.contains(&record_sha), "{row}");
    // The home page links the dashboard; the traceability page shows the holes.
    assert!(page(f.root(), "v1", "").contains("dashboard/index.html"));
    let trace = page(f.root(), "v1", "trace");
    assert!(trace.contains("Criteria no ADR claims"));
    assert!(trace.contains("crit-P0.cache"));
}

#[test]
fn log_excerpts_are_escaped() {
    let f = fixture();
    let run = f.run(&["noisy"]);
    build_version(f.root(), "v1");
    let html = page(f.root(), "v1", &format!("runs/{run}"));
    assert!(
        html.contains("&lt;script&gt;alert(1)&lt;&#x2F;script&gt;")
            || html.contains("&lt;script&gt;alert(1)&lt;/script&gt;"),
        "log not escaped"
    );
    assert!(!html.contains("<script>alert(1)"), "raw script from a log");
}

#[test]
fn run_page_shows_the_conditions_each_check_ran_under() {
    let f = fixture();
    let run = f.run(&["noisy"]);
    let runs = f.project().load_runs().expect("runs");
    let record = runs
        .last()
        .and_then(|r| r.record("noisy"))
        .expect("noisy record");
    let conditions = record
        .record
        .conditions
        .as_ref()
        .expect("conditions recorded");
    if std::path::Path::new("/proc/loadavg").exists() {
        assert!(conditions.start.load.is_some() && conditions.end.load.is_some());
    }
    build_version(f.root(), "v1");
    let html = page(f.root(), "v1", &format!("runs/{run}"));
    for needle in [
        "Conditions at start",
        "Conditions at end",
        "load (1 / 5 / 15 min)",
    ] {
        assert!(html.contains(needle), "{needle} missing from the run page");
    }
}

#[test]
fn compare_page_reports_significance_from_samples() {
    let f = fixture();
    let slow: Vec<f64> = (0..20).map(|i| 100.0 + f64::from(i % 5)).collect();
    let fast: Vec<f64> = (0..20).map(|i| 200.0 + f64::from(i % 5)).collect();
    let same: Vec<f64> = (0..20).map(|i| 100.0 + f64::from((i + 2) % 5)).collect();
    f.metrics(&[
        ("oltp.p95_latency_ms", 102.0, "lower_is_better", &slow),
        ("oltp.tps", 102.0, "higher_is_better", &slow),
    ]);
    let old = f.run(&["metrics"]);
    // Latency doubles (significant); throughput is the same distribution (not significant).
    f.metrics(&[
        ("oltp.p95_latency_ms", 202.0, "lower_is_better", &fast),
        ("oltp.tps", 102.0, "higher_is_better", &same),
    ]);
    let new = f.run(&["metrics"]);
    build_version(f.root(), "v1");
    let html = page(f.root(), "v1", &format!("compare/{new}-vs-{old}"));
    let row = |metric: &str| -> String {
        let start = html.find(&format!(">{metric}</a>")).expect("metric row");
        let rest = &html[start..];
        rest[..rest.find("</tr>").expect("row end")].to_string()
    };
    let latency = row("oltp.p95_latency_ms");
    assert!(
        latency.contains(">significant") && latency.contains("regressed"),
        "{latency}"
    );
    let tps = row("oltp.tps");
    assert!(
        tps.contains("not significant") || tps.contains("unchanged"),
        "{tps}"
    );
    assert!(!tps.contains("regressed"), "{tps}");
    // Each run links to the compare page against its predecessor.
    let run_page = page(f.root(), "v1", &format!("runs/{new}"));
    assert!(run_page.contains(&format!("compare/{new}-vs-{old}/index.html")));
}

#[test]
fn catalog_page_renders_generically_and_shows_changes() {
    let f = fixture();
    build_version(f.root(), "v0");
    assert!(page(f.root(), "v0", "catalog").contains("No catalog evidence yet"));
    f.run(&["engine-catalog"]);
    f.write(
        "catalog.json",
        r#"{"format_version": 1, "engine_version": "0.2.0", "page_types": [{"id": 1, "name": "meta"}, {"id": 2, "name": "<leaf>"}], "configuration": {"page_size": 8192},
            "hdr": {"description": "the header", "size": 16, "fields": [{"name": "crc", "offset": 12, "size": 4, "encoding": "u32 le", "description": "checksum"}, {"name": "magic", "offset": 0, "size": 8, "encoding": "bytes", "description": "\"LDB\""}, {"name": "body", "offset": 16, "encoding": "bytes", "description": "the rest"}]},
            "kinds": [{"code": 2, "name": "two"}, {"code": 1, "name": "one"}]}"#,
    );
    f.run(&["engine-catalog"]);
    build_version(f.root(), "v1");
    let html = page(f.root(), "v1", "catalog");
    assert!(
        html.contains("<th scope=\"col\">name</th>"),
        "array of objects as a table"
    );
    assert!(html.contains("&lt;leaf&gt;"), "values escaped");
    assert!(
        html.contains("<code>configuration.page_size</code>"),
        "changed path listed"
    );
    assert!(
        html.contains("<td class=\"num\">8,192 bytes (8 KiB)</td>"),
        "settings in bytes"
    );
    assert!(html.contains("<code>4096</code>") && html.contains("<code>8192</code>"));
    // A structure reads as a document: its heading, a strip with a title per field (and the
    // undescribed bytes 8..12 as a gap, the variable-length body marked), a table in offset order.
    assert!(html.contains("<h3 id=\"cat-hdr\">Hdr"), "structure heading");
    let strip = &html[html.find("<svg").expect("a strip")..html.find("</svg>").expect("end")];
    assert!(strip.contains("<title>magic: bytes 0..8 (8 bytes), bytes — &quot;LDB&quot;</title>"));
    assert!(strip.contains("<title>bytes 8..12 (4 bytes): not described</title>"));
    assert!(strip.contains("body: from byte 16, variable length"));
    let magic = html.find("<code>magic</code>").expect("magic row");
    let crc = html.find("<code>crc</code>").expect("crc row");
    assert!(magic < crc, "rows in offset order");
    assert!(html.contains("<td>\"LDB\"</td>") || html.contains("<td>&quot;LDB&quot;</td>"));
    assert!(html.contains("<td class=\"num\">variable</td>"));
    let one = html.find("<code>one</code>").expect("code one");
    assert!(
        one < html.find("<code>two</code>").expect("code two"),
        "codes in code order"
    );
}

fn schema_catalog(status_default: &str, with_transfers: bool, chain_ok: bool) -> String {
    let transfers = if with_transfers {
        r#", {"name": "transfers", "rows": 3, "primary_key": ["id"], "columns": [{"name": "id", "type": "BIGINT", "not_null": true, "default": null}], "indexes": []}"#
    } else {
        ""
    };
    format!(
        r#"{{"format_version": 2, "engine_version": "0.1.0", "schema": {{"tables": [{{"name": "accounts", "rows": 4, "primary_key": ["id"],
            "columns": [{{"name": "id", "type": "BIGINT", "not_null": true, "default": null}}, {{"name": "status", "type": "TEXT", "not_null": true, "default": "{status_default}"}}],
            "indexes": [{{"name": "accounts_by_owner", "columns": ["owner"], "unique": true}}]}}{transfers}],
            "migrations": [{{"version": 1, "name": "create_accounts", "kind": "applied", "applied_at": "2026-12-03T16:14:13.425873Z", "up_sha256": "2113bf3a", "down_sha256": "d2614c18", "entry_hash": "e400a3b9", "chain_ok": {chain_ok}}}],
            "chain_ok": {chain_ok}, "chain_findings": []}}}}"#
    )
}

#[test]
fn catalog_page_renders_tables_history_and_the_schema_diff() {
    let f = fixture();
    f.write("catalog.json", &schema_catalog("'open'", true, true));
    f.run(&["engine-catalog"]);
    f.write("catalog.json", &schema_catalog("'closed'", false, false));
    f.run(&["engine-catalog"]);
    build_version(f.root(), "v1");
    let html = page(f.root(), "v1", "catalog");
    assert!(html.contains("<h2 id=\"schema\">Tables and migrations</h2>"));
    assert!(html.contains("<h3 id=\"cat-table-accounts\">accounts <span class=\"muted\">4 row(s) · primary key (id)</span></h3>"));
    assert!(html.contains("<td class=\"num\">2</td><td><code>status</code></td><td>TEXT</td><td>yes</td><td><code>&#x27;closed&#x27;</code></td>")
        || html.contains("<td class=\"num\">2</td><td><code>status</code></td><td>TEXT</td><td>yes</td><td><code>&#39;closed&#39;</code></td>"),
        "columns in order with type, NOT NULL and default");
    assert!(html.contains("<td><code>accounts_by_owner</code></td><td>owner</td><td>yes</td>"));
    assert!(
        html.contains("<code>create_accounts</code>")
            && html.contains("2026-12-03T16:14:13.425873Z")
    );
    assert!(html.contains("Hash chain: <span class=\"verdict v-bad\">broken</span>"));
    // The schema diff against the previous run: the default changed, a table and its column removed.
    let diff = &html[html.find("id=\"schema-changes\"").expect("schema diff")
        ..html.find("id=\"leaf-changes\"").expect("leaf diff")];
    assert!(
        diff.contains("<td>column</td><td><code>accounts.status</code></td><td>changed</td>"),
        "{diff}"
    );
    assert!(diff.contains("<td>table</td><td><code>transfers</code></td><td><span class=\"verdict v-bad\">removed</span></td>"), "{diff}");
    assert!(
        !diff.contains("accounts_by_owner"),
        "an unchanged index is not listed"
    );
}

#[test]
fn incremental_rebuild_rerenders_only_changed_pages() {
    let f = fixture();
    f.metrics(&[("page_cache.hit_ratio", 0.95, "higher_is_better", &[])]);
    f.run(&["metrics", "junit"]);
    let first = build_version(f.root(), "v1");
    assert_eq!(
        first.rendered, first.pages,
        "a cold build renders everything"
    );
    // Nothing changed: a new version reuses every body.
    let second = build_version(f.root(), "v2");
    assert_eq!(second.rendered, 0, "unchanged pages re-rendered");
    // One more run: its page, its compare page, the runs index and archive, the pages showing
    // the latest run or metric (dashboard, home, history, metrics index, the metric page,
    // traceability, sign-off report) — and nothing else.
    f.metrics(&[("page_cache.hit_ratio", 0.97, "higher_is_better", &[])]);
    f.run(&["metrics"]);
    let third = build_version(f.root(), "v3");
    assert_eq!(
        third.pages,
        second.pages + 2,
        "a run page and a compare page were added"
    );
    assert!(third.rendered >= 2, "{}", third.rendered);
    assert!(
        third.rendered <= 14,
        "{} of {} pages re-rendered",
        third.rendered,
        third.pages
    );
    eprintln!("re-rendered {} of {} pages", third.rendered, third.pages);
}

fn publish(root: &Path, version: &str) -> i32 {
    use clap::Parser;
    let cli = sitegen::cmd::Cli::parse_from([
        "sitegen",
        "--root",
        root.to_str().expect("utf-8 temp path"),
        "publish",
        "--no-progress",
        "--version",
        version,
    ]);
    sitegen::cmd::execute(cli).expect("publish runs")
}

#[test]
fn publish_runs_verifies_and_builds_even_when_a_check_fails() {
    let f = fixture();
    // The quick profile includes `failing`: publish still builds; the dashboard shows it.
    assert_eq!(publish(f.root(), "p1"), 0);
    assert_eq!(
        f.project().load_runs().expect("runs").len(),
        1,
        "one run recorded"
    );
    let runs = page(f.root(), "p1", "runs");
    assert!(runs.contains("2/3 pass"), "the failing check is shown");
    assert!(f.root().join("site/latest/dashboard/index.html").exists());
}

#[test]
fn publish_stops_when_the_ledger_does_not_verify() {
    let f = fixture();
    let run = f.run(&["metrics"]);
    // Tamper with the recorded run: publish records a new run, then verify fails.
    let record = f.evidence().join(&run).join("records/metrics.json");
    let text = std::fs::read_to_string(&record).expect("record");
    std::fs::write(&record, text.replace("0.95", "0.99")).expect("tamper");
    assert_eq!(publish(f.root(), "p1"), 1);
    assert!(!f.root().join("site/p1").exists(), "nothing published");
}

#[test]
fn shared_pages_equal_a_cold_build_and_survive_a_lost_file() {
    let f = fixture();
    f.metrics(&[("page_cache.hit_ratio", 0.95, "higher_is_better", &[])]);
    let first_run = f.run(&["metrics", "junit"]);
    f.metrics(&[("page_cache.hit_ratio", 0.96, "higher_is_better", &[])]);
    f.run(&["metrics"]);
    let first = build_version(f.root(), "v1");
    assert_eq!(first.reused, 0, "nothing to share on the first build");
    f.metrics(&[("page_cache.hit_ratio", 0.97, "higher_is_better", &[])]);
    f.run(&["metrics"]);
    let second = build_version(f.root(), "v2");
    assert!(
        second.reused >= second.pages / 2,
        "{} of {} pages shared",
        second.reused,
        second.pages
    );
    assert!(second.reused + second.rendered <= second.pages);
    let site = f.root().join("site");
    // The first run's page did not change (its successor is the same): v2 shares v1's file.
    let old_run = format!("runs/{first_run}/index.html");
    #[cfg(unix)]
    {
        use std::os::unix::fs::MetadataExt;
        let ino = |v: &str| {
            std::fs::metadata(site.join(v).join(&old_run))
                .expect("run page")
                .ino()
        };
        assert_eq!(ino("v1"), ino("v2"), "{old_run} is hard-linked");
    }
    // Pages are version-free, so the incremental tree equals a cold build of the same inputs
    // byte for byte: no shared page is stale.
    let mut cold = BuildOptions::new(f.root());
    cold.version = Some("cold".into());
    cold.cache = false;
    let cold = build(&cold).expect("cold build");
    assert_eq!(cold.reused, 0);
    assert!(
        tree(&site.join("v2")) == tree(&site.join("cold")),
        "incremental v2 differs from a cold build"
    );
    // The cold build recorded nothing, so the next build shares from v2. Remove a page that
    // v2 published: the build notices, starts over without sharing, and still matches.
    std::fs::remove_file(site.join("v2").join(&old_run)).expect("remove");
    let third = build_version(f.root(), "v3");
    assert_eq!(third.reused, 0, "sharing abandoned after a lost file");
    assert!(
        tree(&site.join("v3")) == tree(&site.join("cold")),
        "v3 differs from a cold build"
    );
    // And the build after that shares again.
    let fourth = build_version(f.root(), "v4");
    assert_eq!(fourth.reused, fourth.pages, "nothing changed since v3");
}

#[test]
fn a_record_changed_after_a_cached_build_still_fails_the_build() {
    let f = fixture();
    let run = f.run(&["metrics"]);
    let mut options = sitegen::site::BuildOptions::new(f.root());
    options.version = Some("h1".into());
    sitegen::site::build(&options).expect("first build");
    // A build from the render cache and the shared pages shows exactly what the first one did.
    options.version = Some("h1b".into());
    sitegen::site::build(&options).expect("second build");
    assert_eq!(
        tree(&f.root().join("site/h1")),
        tree(&f.root().join("site/h1b")),
        "the same pages from the caches"
    );
    // Same length, different bytes: every build hashes every file, so it is caught.
    let record = f.evidence().join(&run).join("records/metrics.json");
    let text = std::fs::read_to_string(&record).expect("record");
    std::fs::write(&record, text.replace("0.95", "0.99")).expect("tamper");
    options.version = Some("h2".into());
    let err = sitegen::site::build(&options).expect_err("the ledger no longer verifies");
    assert!(format!("{err:#}").contains("does not verify"), "{err:#}");
    assert!(!f.root().join("site/h2").exists(), "nothing published");
}

/// What `stat` says of `path`, as the evidence-hash cache of earlier builds recorded it
/// (`target/sitegen-cache/hashes.json`: size, times in nanoseconds, inode, device).
#[cfg(unix)]
fn stat_entry(path: &Path, sha256: &str) -> serde_json::Value {
    use std::os::unix::fs::MetadataExt;
    let m = std::fs::metadata(path).expect("stat");
    let ns = |s: i64, n: i64| i128::from(s) * 1_000_000_000 + i128::from(n);
    serde_json::json!({
        "stat": {
            "len": m.len(),
            "mtime_ns": ns(m.mtime(), m.mtime_nsec()),
            "ctime_ns": ns(m.ctime(), m.ctime_nsec()),
            "ino": m.ino(),
            "dev": m.dev(),
        },
        "sha256": sha256,
    })
}

#[test]
#[cfg(unix)]
fn a_forged_record_whose_stat_is_restored_in_the_hash_cache_fails_the_build() {
    let f = fixture();
    let run = f.run(&["metrics"]);
    build_version(f.root(), "genuine");
    let record = f.evidence().join(&run).join("records/metrics.json");
    let genuine_sha = sitegen::evidence::hash::file(&record).expect("hash").0;
    // The forger edits the verdict's value (same length), writes the forged file's new stat
    // into the stat-keyed hash cache under the genuine sha256, and deletes the parsed records.
    let text = std::fs::read_to_string(&record).expect("record");
    let forged = text.replace("0.95", "0.11");
    assert_ne!(forged, text);
    std::fs::write(&record, &forged).expect("forge");
    let cache = f.root().join("target/sitegen-cache");
    let files =
        serde_json::json!({ record.to_str().expect("utf-8"): stat_entry(&record, &genuine_sha) });
    std::fs::write(
        cache.join("hashes.json"),
        serde_json::to_vec(&serde_json::json!({"format_version": 1, "files": files}))
            .expect("json"),
    )
    .expect("write cache");
    let _ = std::fs::remove_file(cache.join("records.bin"));
    let mut o = BuildOptions::new(f.root());
    o.version = Some("forged".into());
    let err = format!(
        "{:#}",
        build(&o).expect_err("a forged record is never shown")
    );
    assert!(
        err.contains("does not verify") && err.contains("records/metrics.json"),
        "the error names the file whose hash does not match: {err}"
    );
    assert!(err.contains(&genuine_sha), "{err}");
    assert!(!f.root().join("site/forged").exists(), "nothing published");
    assert!(
        !cache.join("hashes.json").exists(),
        "the stat-keyed hash cache is not kept"
    );
}

/// Subfolders of `dir` that hold a page.
fn page_dirs(dir: &Path) -> Vec<String> {
    let mut out: Vec<String> = std::fs::read_dir(dir)
        .expect("dir")
        .filter_map(|e| e.ok())
        .filter(|e| e.path().join("index.html").is_file())
        .map(|e| e.file_name().to_string_lossy().into_owned())
        .collect();
    out.sort();
    out
}

#[test]
fn search_index_lists_every_page_metric_criterion_adr_and_run_and_each_link_resolves() {
    let f = fixture();
    f.metrics(&[("page_cache.hit_ratio", 0.95, "higher_is_better", &[])]);
    f.run(&["metrics", "junit"]);
    f.run(&["metrics"]);
    build_version(f.root(), "v1");
    let version = f.root().join("site").join("v1");
    let text = std::fs::read_to_string(version.join("search-index.js")).expect("index written");
    let json = text
        .strip_prefix("window.SITEGEN_SEARCH=")
        .and_then(|t| t.strip_suffix(";\n"))
        .expect("assigns the global");
    let entries: Vec<serde_json::Value> = serde_json::from_str(json).expect("JSON");
    let urls = |kind: &str| -> Vec<String> {
        let mut v: Vec<String> = entries
            .iter()
            .filter(|e| e["k"] == kind)
            .map(|e| e["u"].as_str().expect("url").to_string())
            .collect();
        v.sort();
        v
    };
    let under = |folder: &str| -> Vec<String> {
        page_dirs(&version.join(folder))
            .into_iter()
            .filter(|d| d != "archive")
            .map(|d| format!("{folder}/{d}/index.html"))
            .collect()
    };
    assert_eq!(urls("metric"), under("metrics"));
    assert_eq!(urls("run"), under("runs"));
    assert_eq!(urls("ADR"), under("adr"));
    assert_eq!(urls("run").len(), 2);
    let dash = page(f.root(), "v1", "dashboard");
    let criteria: Vec<String> = urls("criterion");
    assert_eq!(criteria.len(), dash.matches("<tr id=\"crit-").count());
    for u in &criteria {
        let anchor = u.split_once('#').expect("anchor").1;
        assert!(dash.contains(&format!("id=\"{anchor}\"")), "{u}");
    }
    // Every page of the site is found: the fixed pages and every content page.
    for p in [
        "index.html",
        "dashboard/index.html",
        "metrics/index.html",
        "catalog/index.html",
    ] {
        assert!(urls("page").iter().any(|u| u == p), "{p}");
    }
    for e in &entries {
        let u = e["u"].as_str().expect("url");
        let file = u.split('#').next().expect("path");
        assert!(version.join(file).is_file(), "{u} resolves");
        assert!(e["x"].as_str().expect("excerpt").chars().count() <= 141);
    }
    let metric = entries
        .iter()
        .find(|e| e["k"] == "metric" && e["t"] == "page_cache.hit_ratio")
        .expect("the metric");
    assert!(
        metric["x"]
            .as_str()
            .expect("x")
            .starts_with("Engine storage and commit, latest")
    );
    // Every page loads the search script; the index is not among the assets pages hash.
    assert!(dash.contains("assets/search.js") && dash.contains("id=\"site-search-input\""));
}
