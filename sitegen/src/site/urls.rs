//! Where pages live: the URL path of every kind of page, and the relative prefix back to the
//! version root. Page producers and view helpers build links only through these.

/// `../` once per path segment of `path`.
pub fn root_prefix(path: &str) -> String {
    if path.is_empty() {
        String::new()
    } else {
        "../".repeat(path.split('/').count())
    }
}

/// URL path of an ADR page: `ADR-0007` → `adr/adr-0007`.
pub fn adr_path(id: &str) -> String {
    format!("adr/{}", id.to_ascii_lowercase())
}

/// Path of a run page.
pub fn run_path(id: &str) -> String {
    format!("runs/{id}")
}

/// Path of a paired run's page (`sitegen pair`).
pub fn paired_path(id: &str) -> String {
    format!("paired/{id}")
}

/// Path of the compare page of `new` against `old`: one folder per pair (`compare/<new>-vs-<old>`,
/// run ids never contain `-vs-`), not a folder per run holding a folder per pair, which would
/// double the folders every version of the site creates.
pub fn compare_path(new: &str, old: &str) -> String {
    format!("compare/{new}-vs-{old}")
}

/// Path of the page of the metric whose page slug is `slug`.
pub fn metric_path(slug: &str) -> String {
    format!("metrics/{slug}")
}

/// The site's evidence store, a folder of the site root beside the versions that every version
/// links to ([`crate::site::output::evidence`]).
pub const EVIDENCE_STORE: &str = "evidence";

/// The link, from the version root, to the published copy of `file` (relative to the run
/// folder: `records/fmt.json`) of run `run`: the store keeps the repository's `evidence/`
/// layout, one level up from the version (`../evidence/<run>/<file>`).
pub fn evidence_file(run: &str, file: &str) -> String {
    evidence_link(&format!("{run}/{file}"))
}

/// The link, from the version root, to `path` in the evidence store (`<run>/records/x.json`,
/// as the ledger's `evidence/` folder names it).
pub fn evidence_link(path: &str) -> String {
    format!("../{EVIDENCE_STORE}/{path}")
}
