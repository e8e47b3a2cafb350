//! Changing the baseline is an audited act: `sitegen baseline set RUN --reason … [--adr …]`
//! records why, who, which ADR and what it replaced; `baseline history` and the dashboard show
//! every change; the sign-off report's "before" is the named baseline run's own value.

use std::path::Path;

use crate::common::{Fixture, sitegen};
use sitegen::site::{BuildOptions, build};

const HIGH: &str = "higher_is_better";

fn page(root: &Path, path: &str) -> String {
    let file = root.join("site/v1").join(path).join("index.html");
    std::fs::read_to_string(&file).unwrap_or_else(|e| panic!("{}: {e}", file.display()))
}

/// The table row that names `metric` on a page.
fn row_of<'a>(html: &'a str, metric: &str) -> &'a str {
    let at = html
        .find(&format!(">{metric}<"))
        .unwrap_or_else(|| panic!("no row for {metric}"));
    let start = html[..at].rfind("<tr>").expect("row starts");
    let end = at + html[at..].find("</tr>").expect("row ends");
    &html[start..end]
}

#[test]
fn a_baseline_change_needs_a_reason_and_records_who_why_which_adr_and_what_it_replaced() {
    let f = Fixture::new();
    let first = f.run(&["metrics"]);
    let second = f.run(&["metrics"]);

    let (code, text) = sitegen(&f, &["baseline", "set", &first]);
    assert_eq!(code, 2, "the reason is a required flag: {text}");
    assert!(text.contains("--reason"), "{text}");
    let (code, text) = sitegen(&f, &["baseline", "set", &first, "--reason", "  "]);
    assert_eq!(code, 1, "{text}");
    assert!(text.contains("needs a reason"), "{text}");
    let (code, text) = sitegen(
        &f,
        &[
            "baseline", "set", &first, "--reason", "r", "--adr", "ADR-9999",
        ],
    );
    assert_eq!(code, 1, "{text}");
    assert!(
        text.contains("ADR-9999") && text.contains("no ADR"),
        "{text}"
    );
    assert_eq!(
        sitegen(&f, &["baseline", "history"]).1.trim(),
        "no baseline set yet (sitegen baseline set RUN --reason …)",
        "refusals record nothing"
    );

    let (code, text) = sitegen(&f, &["baseline", "set", &first, "--reason", "first run"]);
    assert_eq!(code, 0, "{text}");
    let (code, text) = sitegen(&f, &["baseline", "set", &first, "--reason", "again"]);
    assert_eq!(code, 1, "{text}");
    assert!(text.contains("already the baseline"), "{text}");
    let (code, text) = sitegen(
        &f,
        &[
            "baseline",
            "set",
            &second,
            "--reason",
            "the OLTP checks start here",
            "--adr",
            "ADR-0002",
        ],
    );
    assert_eq!(code, 0, "{text}");

    let (code, json) = sitegen(&f, &["baseline", "history", "--json"]);
    assert_eq!(code, 0, "{json}");
    let history: serde_json::Value = serde_json::from_str(&json).expect("history is JSON");
    let entries = history.as_array().expect("a list");
    assert_eq!(entries.len(), 2, "{json}");
    assert_eq!(entries[0]["baseline"], first.as_str());
    assert!(entries[0]["previous"].is_null());
    assert_eq!(entries[1]["baseline"], second.as_str());
    assert_eq!(entries[1]["previous"], first.as_str());
    let change = &entries[1]["change"];
    assert_eq!(change["reason"], "the OLTP checks start here");
    assert_eq!(change["adr"], "ADR-0002");
    assert_eq!(change["previous"], first.as_str());
    assert!(
        change["set_by"].as_str().is_some_and(|s| !s.is_empty()),
        "{json}"
    );
    let (_, text) = sitegen(&f, &["baseline", "history"]);
    assert!(
        text.contains(&format!("{second} (was {first})"))
            && text.contains("ADR-0002: the OLTP checks start here"),
        "{text}"
    );
    // The entries are ledger runs like any other: the chain still verifies.
    let (code, text) = sitegen(&f, &["verify"]);
    assert_eq!(code, 0, "{text}");
    assert_eq!(
        f.project().evaluate(None).expect("evaluates").baseline,
        Some(second)
    );
}

#[test]
fn the_dashboard_lists_baseline_changes_and_signoff_before_is_the_baseline_runs_own_value() {
    let f = Fixture::new();
    // The baseline run predates the OLTP metric; two later runs measure it.
    let base = f.run(&["metrics"]);
    f.project()
        .set_baseline(&base, "the first run", Some("ADR-0002"))
        .expect("baseline set");
    f.metrics(&[
        ("page_cache.hit_ratio", 0.95, HIGH, &[]),
        ("oltp.tps", 100.0, HIGH, &[]),
    ]);
    f.run(&["metrics"]);
    f.metrics(&[
        ("page_cache.hit_ratio", 0.96, HIGH, &[]),
        ("oltp.tps", 120.0, HIGH, &[]),
    ]);
    f.run(&["metrics"]);
    let mut options = BuildOptions::new(f.root());
    options.version = Some("v1".into());
    build(&options).expect("site builds");

    let signoff = page(f.root(), "signoff");
    let row = row_of(&signoff, "oltp.tps");
    assert!(
        row.contains("not measured in the baseline run"),
        "before must be the baseline run's value, which it did not measure: {row}"
    );
    assert!(
        !row.contains(">100 "),
        "a later run stood in for the baseline: {row}"
    );
    assert!(row.contains("120"), "{row}");
    let row = row_of(&signoff, "page_cache.hit_ratio");
    assert!(row.contains("0.95") && row.contains("0.96"), "{row}");

    let dash = page(f.root(), "dashboard");
    let at = dash
        .find("id=\"baseline-history\"")
        .expect("a baseline history");
    let section = &dash[at..at + dash[at..].find("</section>").expect("ends")];
    assert!(section.contains("the first run"), "{section}");
    assert!(
        section.contains(&format!("href=\"../runs/{base}/index.html\"")),
        "{section}"
    );
    assert!(
        section.contains("href=\"../adr/adr-0002/index.html\""),
        "{section}"
    );
}
