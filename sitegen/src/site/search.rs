//! The client-side search index: `search-index.js` in the version's root, one script that
//! assigns `window.SITEGEN_SEARCH` (a script, not JSON, because browsers refuse to `fetch` a
//! local file from a `file://` page). `search.js` loads it when the search box is first used.
//!
//! Steps: the site's own pages → content pages (title and the start of their text) → ADRs →
//! criteria (linked to their row on the dashboard) → metrics (with their area and latest
//! value) → runs; each entry is `{k: kind, t: title, u: URL from the version root, x: excerpt}`
//! with the excerpt cut to [`EXCERPT`] characters, so the index stays small. Built from what
//! was loaded, not from the page jobs, so pages shared with the previous version are in it.

use serde_json::{Value, json};

use crate::site::areas::area_of;
use crate::site::load::Loaded;
use crate::site::render::format::quantity;
use crate::site::urls::{adr_path, metric_path, run_path};

/// File name of the index, in the version's root.
pub const FILE: &str = "search-index.js";

/// Longest excerpt, in characters.
pub const EXCERPT: usize = 140;

/// `text` with markdown punctuation and runs of white space dropped, cut to [`EXCERPT`]
/// characters at a word boundary (with `…` when cut).
pub fn excerpt(text: &str) -> String {
    let plain: String = text
        .lines()
        .filter(|l| !l.trim_start().starts_with("```") && !l.trim_start().starts_with('|'))
        .collect::<Vec<_>>()
        .join(" ")
        .chars()
        .filter(|c| !matches!(c, '#' | '*' | '`' | '_' | '[' | ']' | '>'))
        .collect();
    let words: Vec<&str> = plain.split_whitespace().collect();
    let mut out = String::new();
    for w in words {
        let len = out.chars().count() + w.chars().count() + 1;
        if len > EXCERPT {
            out.push('…');
            return out;
        }
        if !out.is_empty() {
            out.push(' ');
        }
        out.push_str(w);
    }
    out
}

fn entry(kind: &str, title: &str, url: String, text: &str) -> Value {
    json!({"k": kind, "t": title, "u": url, "x": excerpt(text)})
}

/// Every entry of the index, in the order listed in the module documentation.
pub fn entries(loaded: &Loaded) -> Vec<Value> {
    let ev = loaded.evidence.as_ref();
    let mut out = Vec::new();
    let mut pages = vec![
        ("Overview", "index.html", "The project at a glance"),
        (
            "Schema catalog",
            "catalog/index.html",
            "On-disk structures, codes and limits the engine describes",
        ),
        (
            "Decisions (ADRs)",
            "adr/index.html",
            "Every architecture decision record",
        ),
        (
            "History",
            "history/index.html",
            "Commits, the runs made at each and the ADRs they mention",
        ),
    ];
    if ev.is_some() {
        pages.extend([
            (
                "Sign-off dashboard",
                "dashboard/index.html",
                "Are we signed off? Every criterion's verdict and evidence",
            ),
            (
                "Sign-off report",
                "signoff/index.html",
                "Per phase: baseline to latest, open risks, unmet criteria",
            ),
            (
                "Metrics",
                "metrics/index.html",
                "Every measured metric by area, with its criteria",
            ),
            (
                "Evidence runs",
                "runs/index.html",
                "Every evidence run, newest first",
            ),
            (
                "Traceability",
                "trace/index.html",
                "ADR, criterion, metric and evidence",
            ),
        ]);
    }
    for (title, url, text) in pages {
        out.push(entry("page", title, url.to_string(), text));
    }
    for p in &loaded.pages {
        out.push(entry(
            "page",
            &p.meta.title,
            format!("{}/index.html", p.slug),
            &p.body,
        ));
    }
    for a in &loaded.adrs {
        out.push(entry(
            "ADR",
            &format!("{} {}", a.meta.id, a.meta.title),
            format!("{}/index.html", adr_path(&a.meta.id)),
            a.meta.status.as_str(),
        ));
    }
    let Some(ev) = ev else { return out };
    for c in &ev.eval.criteria {
        out.push(entry(
            "criterion",
            &c.id,
            format!("dashboard/index.html#crit-{}", c.id),
            &format!("{} — {}", c.verdict.label(), c.text),
        ));
    }
    for s in ev.series.values() {
        let Some(slug) = ev.slugs.get(&s.name) else {
            continue;
        };
        let latest = s
            .points
            .last()
            .map(|p| format!(", latest {}", quantity(p.value, &s.unit)))
            .unwrap_or_default();
        out.push(entry(
            "metric",
            &s.name,
            format!("{}/index.html", metric_path(slug)),
            &format!("{}{latest}", area_of(&s.name).title),
        ));
    }
    for run in ev.runs.iter().rev() {
        let failed = run
            .records
            .iter()
            .filter(|r| r.record.status != crate::evidence::record::Status::Pass)
            .count();
        let commit = &run.info.environment.git_commit;
        out.push(entry(
            "run",
            &run.id,
            format!("{}/index.html", run_path(&run.id)),
            &format!(
                "commit {}, {} checks, {failed} failed",
                commit.get(..8).unwrap_or(commit),
                run.records.len()
            ),
        ));
    }
    out
}

/// The text of `search-index.js` for `entries`: JSON with `<`, `>`, `&` and the line
/// separators escaped, so no text from the repository can end the script or break the line.
pub fn script(entries: &[Value]) -> String {
    let json = Value::Array(entries.to_vec()).to_string();
    let mut out = String::with_capacity(json.len() + 64);
    out.push_str("window.SITEGEN_SEARCH=");
    for c in json.chars() {
        match c {
            '<' => out.push_str("\\u003c"),
            '>' => out.push_str("\\u003e"),
            '&' => out.push_str("\\u0026"),
            '\u{2028}' => out.push_str("\\u2028"),
            '\u{2029}' => out.push_str("\\u2029"),
            c => out.push(c),
        }
    }
    out.push_str(";\n");
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn excerpts_drop_markup_and_cut_at_a_word() {
        assert_eq!(
            excerpt("# Title\n\nSome *bold* `code`."),
            "Title Some bold code."
        );
        assert_eq!(excerpt("```\nfn x()\n```\ntext"), "fn x() text");
        let long = "word ".repeat(100);
        let e = excerpt(&long);
        assert!(e.ends_with('…') && e.chars().count() <= EXCERPT + 1, "{e}");
        assert!(!e.contains("wor…"), "cut between words");
    }

    #[test]
    fn script_assigns_the_global_and_escapes_what_could_end_it() {
        let s = script(&[
            json!({"k": "page", "t": "</script><b>&", "u": "a/index.html", "x": "\u{2028}\"q\""}),
        ]);
        assert!(s.starts_with("window.SITEGEN_SEARCH=["));
        assert!(s.ends_with("];\n"));
        assert!(
            !s.contains('<') && !s.contains('>') && !s.contains('&') && !s.contains('\u{2028}')
        );
        let json = s
            .trim_start_matches("window.SITEGEN_SEARCH=")
            .trim_end_matches(";\n");
        let back: Value = serde_json::from_str(json).expect("still JSON");
        assert_eq!(back[0]["t"], "</script><b>&");
        assert_eq!(back[0]["x"], "\u{2028}\"q\"", "text kept whole");
    }
}
