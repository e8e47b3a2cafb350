//! End-to-end tests of `sitegen build` over the fixture repository in `tests/fixtures/basic/`:
//! HTML and `data.json` snapshots, escaping, the link checker, versioned output and
//! immutability of published versions. See `tests/README.md` for updating snapshots.

use crate::common::tree;

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use sitegen::site::{BuildOptions, build};

const FIXED_TIME: i64 = 1_767_225_600; // 2026-01-01T00:00:00Z

/// Copies the fixture to a temporary directory and gives it a git history with fixed
/// signatures, so commit ids (and therefore snapshots) are stable.
fn fixture_repo() -> tempfile::TempDir {
    let tmp = tempfile::tempdir().expect("tempdir");
    let src = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/basic");
    copy_dir(&src, tmp.path());
    let mut init = git2::RepositoryInitOptions::new();
    init.initial_head("main");
    let repo = git2::Repository::init_opts(tmp.path(), &init).expect("init");
    let messages = [
        ("Initial import of the fixture site", None),
        (
            "Adopt ADR-0003, replacing ADR-0002\n\nThe old way is superseded.",
            Some("notes.txt"),
        ),
        (
            "<script>alert(1)</script> mentions ADR-0001 and ADR-0099",
            Some("notes2.txt"),
        ),
    ];
    for (i, (message, extra)) in messages.iter().enumerate() {
        if let Some(file) = extra {
            std::fs::write(tmp.path().join(file), message).expect("write");
        }
        let mut index = repo.index().expect("index");
        index
            .add_all(["*"], git2::IndexAddOption::DEFAULT, None)
            .expect("add");
        index.write().expect("index write");
        let tree = repo
            .find_tree(index.write_tree().expect("tree"))
            .expect("tree");
        let time = git2::Time::new(FIXED_TIME + i as i64 * 3600, 0);
        let sig = git2::Signature::new("Fixture Author", "fixture@example.invalid", &time)
            .expect("signature");
        let parent = repo
            .head()
            .ok()
            .and_then(|h| h.target())
            .map(|oid| repo.find_commit(oid).expect("parent"));
        let parents: Vec<&git2::Commit<'_>> = parent.iter().collect();
        repo.commit(Some("HEAD"), &sig, &sig, message, &tree, &parents)
            .expect("commit");
    }
    tmp
}

fn copy_dir(src: &Path, dst: &Path) {
    for entry in walkdir::WalkDir::new(src) {
        let entry = entry.expect("walk");
        let rel = entry.path().strip_prefix(src).expect("under src");
        // Build output and the ledger lock (made by any command that read the fixture's
        // ledger) are not part of the fixture.
        if rel.starts_with("site")
            || rel == Path::new("evidence").join(sitegen::evidence::ledger::LOCK)
        {
            continue;
        }
        let target = dst.join(rel);
        if entry.file_type().is_dir() {
            std::fs::create_dir_all(&target).expect("mkdir");
        } else {
            std::fs::copy(entry.path(), &target).expect("copy");
        }
    }
}

fn options(root: &Path, version: &str) -> BuildOptions {
    let mut o = BuildOptions::new(root);
    o.version = Some(version.to_string());
    o
}

fn read(path: PathBuf) -> String {
    std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

#[test]
fn html_and_data_match_snapshots() {
    let repo = fixture_repo();
    let report = build(&options(repo.path(), "v1")).expect("build");
    // home, 3 documents, ADR index + 4 ADRs, history, catalog, dashboard, traceability, sign-off
    // report, metrics index + 2 metrics, runs index + archive + 2 runs + 1 compare page.
    assert_eq!(report.pages, 22);
    let built: BTreeMap<String, Vec<u8>> = tree(&report.output)
        .into_iter()
        .filter(|(name, _)| !name.starts_with("assets/"))
        .collect();
    let snap_dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/snapshots/basic");
    if std::env::var_os("UPDATE_SNAPSHOTS").is_some() {
        let _ = std::fs::remove_dir_all(&snap_dir);
        for (name, bytes) in &built {
            let path = snap_dir.join(name);
            std::fs::create_dir_all(path.parent().expect("parent")).expect("mkdir");
            std::fs::write(path, bytes).expect("write snapshot");
        }
        return;
    }
    let expected = tree(&snap_dir);
    let built_names: Vec<_> = built.keys().collect();
    let expected_names: Vec<_> = expected.keys().collect();
    assert_eq!(
        built_names, expected_names,
        "the set of pages changed; review and run UPDATE_SNAPSHOTS=1 cargo test -p sitegen"
    );
    for (name, bytes) in &built {
        let want = String::from_utf8_lossy(&expected[name]);
        let got = String::from_utf8_lossy(bytes);
        if want != got {
            let line = want
                .lines()
                .zip(got.lines())
                .position(|(a, b)| a != b)
                .unwrap_or(0);
            panic!(
                "{name} differs from its snapshot at line {}:\n  want: {:?}\n  got:  {:?}\n\
                 review and run UPDATE_SNAPSHOTS=1 cargo test -p sitegen",
                line + 1,
                want.lines().nth(line),
                got.lines().nth(line)
            );
        }
    }
}

#[test]
fn text_from_git_and_markdown_is_escaped() {
    let repo = fixture_repo();
    let report = build(&options(repo.path(), "v1")).expect("build");
    let history = read(report.output.join("history/index.html"));
    assert!(
        !history.contains("<script>alert(1)"),
        "commit message ran as HTML"
    );
    assert!(history.contains("&lt;script&gt;alert(1)&lt;/script&gt;"));
    // A mention of a known ADR links to it; an unknown one is plain text.
    assert!(history.contains(r#"href="../adr/adr-0001/index.html">ADR-0001</a>"#));
    assert!(history.contains(r#"<span class="adr-ref">ADR-0099</span>"#));
    let intro = read(report.output.join("intro/index.html"));
    assert!(!intro.contains("<script>alert"), "raw HTML in markdown ran");
    assert!(intro.contains("&lt;script&gt;"));
    let adr = read(report.output.join("adr/adr-0001/index.html"));
    assert!(adr.contains("&lt;em&gt;inline HTML&lt;/em&gt;"));
    assert!(adr.contains("&lt;script&gt;alert(1)&lt;/script&gt; mentions ADR-0001"));
}

#[test]
fn raw_html_passes_when_allowed() {
    let repo = fixture_repo();
    let mut o = options(repo.path(), "v1");
    o.allow_html = true;
    let report = build(&o).expect("build");
    let intro = read(report.output.join("intro/index.html"));
    assert!(intro.contains("<b>bold</b>"));
}

#[test]
fn one_sided_supersede_is_a_warning() {
    let repo = fixture_repo();
    let report = build(&options(repo.path(), "v1")).expect("build");
    // The evaluation's load-time warnings come first; then the one about the ADRs.
    assert_eq!(
        report.warnings.first().map(String::as_str),
        Some("X.future: no check emits `never.measured`")
    );
    let adr: Vec<&String> = report
        .warnings
        .iter()
        .filter(|w| w.contains("ADR-"))
        .collect();
    assert_eq!(adr.len(), 1, "{:?}", report.warnings);
    assert!(
        adr[0].contains("ADR-0004 supersedes ADR-0001"),
        "{:?}",
        report.warnings
    );
    let adr3 = read(report.output.join("adr/adr-0003/index.html"));
    assert!(adr3.contains(r#"href="../../adr/adr-0002/index.html">ADR-0002</a>"#));
    assert!(adr3.contains("Adopt ADR-0003, replacing ADR-0002"));
}

#[test]
fn broken_link_fails_the_build_naming_page_and_link() {
    let repo = fixture_repo();
    std::fs::write(
        repo.path().join("content/bad.md"),
        "+++\ntitle = \"Bad\"\n+++\nSee [nowhere](missing.md).\n",
    )
    .expect("write");
    let err = format!(
        "{:#}",
        build(&options(repo.path(), "v1")).expect_err("broken")
    );
    assert!(
        err.contains("bad/index.html: broken link `../missing/index.html`"),
        "{err}"
    );
    assert!(
        !repo.path().join("site/v1").exists(),
        "nothing is published"
    );
    // Pages are written to a temporary tree while rendering; a failed build removes it.
    let leftovers: Vec<_> = std::fs::read_dir(repo.path().join("site"))
        .expect("ls site")
        .map(|e| e.expect("entry").file_name().to_string_lossy().into_owned())
        .filter(|n| n.starts_with(".tmp"))
        .collect();
    assert!(leftovers.is_empty(), "left behind: {leftovers:?}");
}

#[test]
fn broken_anchor_fails_the_build_naming_page_and_link() {
    let repo = fixture_repo();
    std::fs::write(
        repo.path().join("content/bad.md"),
        "+++\ntitle = \"Bad\"\n+++\nSee [restore](guides/backup.md#nope) and [ok](guides/backup.md#restore).\n",
    )
    .expect("write");
    let err = format!(
        "{:#}",
        build(&options(repo.path(), "v1")).expect_err("broken")
    );
    assert!(
        err.contains("bad/index.html: broken anchor `../guides/backup/index.html#nope`"),
        "{err}"
    );
    assert!(err.contains("1 broken"), "{err}");
}

#[test]
fn versions_are_newest_first_and_published_versions_are_immutable() {
    let repo = fixture_repo();
    let site = repo.path().join("site");
    build(&options(repo.path(), "v1")).expect("v1");
    let v1_before = tree(&site.join("v1"));
    // A `latest/` copy left by an older sitegen is replaced by the link.
    std::fs::remove_file(site.join("latest"))
        .or_else(|_| std::fs::remove_dir_all(site.join("latest")))
        .expect("remove latest");
    std::fs::create_dir(site.join("latest")).expect("old-style latest/");
    std::fs::write(site.join("latest/stale.html"), "stale").expect("write");
    build(&options(repo.path(), "v2")).expect("v2");
    #[cfg(unix)]
    assert_eq!(
        std::fs::read_link(site.join("latest")).expect("latest is a symbolic link"),
        PathBuf::from("v2")
    );
    let versions: serde_json::Value =
        serde_json::from_str(&read(site.join("versions.json"))).expect("json");
    assert_eq!(
        versions,
        serde_json::json!([
            {"version": "v2", "title": "v2", "aliases": ["latest"]},
            {"version": "v1", "title": "v1", "aliases": []},
        ])
    );
    assert!(read(site.join("index.html")).contains("url=v2/index.html"));
    assert_eq!(tree(&site.join("latest")), tree(&site.join("v2")));
    assert_eq!(tree(&site.join("v1")), v1_before, "v1 changed");

    // Rebuilding a published version is refused and leaves everything as it was.
    std::fs::write(
        repo.path().join("content/new.md"),
        "+++\ntitle = \"New\"\n+++\nnew\n",
    )
    .expect("write");
    let err = format!(
        "{:#}",
        build(&options(repo.path(), "v1")).expect_err("exists")
    );
    assert!(
        err.contains("already exists") && err.contains("--force"),
        "{err}"
    );
    assert_eq!(tree(&site.join("v1")), v1_before, "v1 changed");
    let names: Vec<_> = std::fs::read_dir(&site)
        .expect("ls")
        .map(|e| e.expect("entry").file_name().to_string_lossy().into_owned())
        // The build state lives in `target/sitegen-cache/`: anything hidden is a leftover.
        .filter(|n| n.starts_with('.'))
        .collect();
    assert!(
        names.is_empty(),
        "temporary directories left behind: {names:?}"
    );

    // --force replaces it and makes it the newest.
    let mut forced = options(repo.path(), "v1");
    forced.force = true;
    build(&forced).expect("forced");
    assert!(site.join("v1/new/index.html").exists());
    let versions: Vec<sitegen::site::versions::VersionEntry> =
        serde_json::from_str(&read(site.join("versions.json"))).expect("json");
    assert_eq!(versions[0].version, "v1");
    assert_eq!(versions[0].aliases, vec!["latest".to_string()]);
    assert!(versions[1].aliases.is_empty());
}

#[test]
fn default_version_is_the_short_commit_hash() {
    let repo = fixture_repo();
    let report = build(&BuildOptions::new(repo.path())).expect("build");
    let head = git2::Repository::open(repo.path())
        .expect("open")
        .head()
        .expect("head")
        .target()
        .expect("oid")
        .to_string();
    assert_eq!(report.version, head[..8]);
}

#[test]
fn repository_templates_override_defaults() {
    let repo = fixture_repo();
    std::fs::create_dir_all(repo.path().join("templates")).expect("mkdir");
    std::fs::write(
        repo.path().join("templates/history.html"),
        "{% extends \"base.html\" %}{% block main %}<h1 id=\"custom\">Custom history: {{ commits | length }}</h1>{% endblock main %}",
    )
    .expect("write");
    let report = build(&options(repo.path(), "v1")).expect("build");
    let history = read(report.output.join("history/index.html"));
    assert!(history.contains("Custom history: 3"), "{history}");
    assert!(
        history.contains("assets/style.css"),
        "base layout still used"
    );
}

#[test]
fn synthetic_repository_builds_with_valid_links() {
    let tmp = tempfile::tempdir().expect("tempdir");
    let spec = sitegen::bench::synthetic::SyntheticSpec {
        pages: 24,
        words_per_page: 300,
        adrs: 12,
        commits: 6,
        runs: 0,
        metrics: 0,
        seed: 3,
    };
    sitegen::bench::synthetic::generate(tmp.path(), &spec).expect("generate");
    let report = build(&options(tmp.path(), "s1")).expect("synthetic site builds");
    // home + pages + ADR index + ADRs + history + catalog
    assert_eq!(report.pages, 1 + 24 + 1 + 12 + 1 + 1);
    assert!(report.warnings.is_empty(), "{:?}", report.warnings);
    let history = read(report.output.join("history/index.html"));
    assert_eq!(history.matches("<li id=\"c-").count(), 6);
}

#[test]
fn synthetic_repository_with_evidence_builds_every_evidence_page() {
    let tmp = tempfile::tempdir().expect("tempdir");
    let spec = sitegen::bench::synthetic::SyntheticSpec {
        pages: 4,
        words_per_page: 100,
        adrs: 12,
        commits: 6,
        runs: 9,
        metrics: 5,
        seed: 3,
    };
    sitegen::bench::synthetic::generate(tmp.path(), &spec).expect("generate");
    let report = build(&options(tmp.path(), "s1")).expect("synthetic site builds");
    // home + pages + ADR index + ADRs + history + catalog + dashboard + trace + sign-off
    // + metrics (index + 5) + runs (index + 1 archive + 9 runs + 8 compare pages)
    assert_eq!(
        report.pages,
        1 + 4 + 1 + 12 + 1 + 1 + 3 + (1 + 5) + (1 + 1 + 9 + 8)
    );
    let metric = read(report.output.join("metrics/metric_1/index.html"));
    assert!(metric.contains("<svg"), "trend chart embedded");
    assert_eq!(metric.matches("<svg").count(), 2, "trend and histogram");
    // ADR-0001 claims metric_1 and was accepted: before/after values are shown.
    let adr = read(report.output.join("adr/adr-0001/index.html"));
    assert!(adr.contains("id=\"before-after\""), "before/after section");
    assert!(adr.contains("metrics/metric_1/index.html"));
    // Every run is listed under the commit it measured.
    let history = read(report.output.join("history/index.html"));
    assert_eq!(history.matches("<a href=\"../runs/2026").count(), 9);
}

#[test]
fn the_repository_site_builds() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("..");
    let tmp = tempfile::tempdir().expect("tempdir");
    for dir in ["content", "adr", "templates"] {
        let dst = tmp.path().join(dir);
        std::fs::create_dir_all(&dst).expect("mkdir");
        copy_dir(&root.join(dir), &dst);
    }
    let report = build(&options(tmp.path(), "repo")).expect("the repository's own site builds");
    assert!(report.output.join("hardening-plan/index.html").exists());
    let risks = read(report.output.join("risk-register/index.html"));
    for id in ["R1", "R2", "R3", "R4", "R5", "R6"] {
        assert!(
            risks.contains(&format!(">{id}</a>")),
            "{id} missing from the summary"
        );
    }
}

#[test]
fn a_layout_that_transforms_the_title_is_rendered_per_page() {
    // Pages sharing a layout are filled into one skeleton; a base.html that filters the title
    // must still get each page's own transformed title.
    let repo = fixture_repo();
    let base = include_str!("../../templates/base.html").replace(
        "{{ title }} — {% endif %}",
        "{{ title | upper }} — {% endif %}",
    );
    assert!(base.contains("title | upper"));
    std::fs::create_dir_all(repo.path().join("templates")).expect("mkdir");
    std::fs::write(repo.path().join("templates/base.html"), base).expect("write");
    let report = build(&options(repo.path(), "v1")).expect("build");
    let dash = read(report.output.join("dashboard/index.html"));
    assert!(
        dash.contains("<title>SIGN-OFF DASHBOARD —"),
        "dashboard title"
    );
    let trace = read(report.output.join("trace/index.html"));
    assert!(
        trace.contains("<title>TRACEABILITY —"),
        "traceability title"
    );
    // Two run pages share a group: both get their own transformed title.
    for run in ["20251231T120000Z-1111111", "20260101T030000Z-2222222"] {
        let page = read(report.output.join(format!("runs/{run}/index.html")));
        assert!(
            page.contains(&format!("<title>RUN {} —", run.to_uppercase())),
            "{run}"
        );
    }
}

#[test]
fn shared_content_pages_match_a_cold_build_after_an_edit() {
    let repo = fixture_repo();
    let site = repo.path().join("site");
    build(&options(repo.path(), "v1")).expect("v1");
    let intro = repo.path().join("content/intro.md");
    let text = read(intro.clone());
    std::fs::write(&intro, format!("{text}\nOne more paragraph.\n")).expect("edit");
    let v2 = build(&options(repo.path(), "v2")).expect("v2");
    assert!(
        v2.reused > 0 && v2.reused < v2.pages,
        "{} shared",
        v2.reused
    );
    assert!(read(site.join("v2/intro/index.html")).contains("One more paragraph."));
    let mut cold = options(repo.path(), "cold");
    cold.cache = false;
    build(&cold).expect("cold");
    assert!(
        tree(&site.join("v2")) == tree(&site.join("cold")),
        "incremental v2 differs from a cold build"
    );
}

#[test]
fn configured_paths_are_honoured_by_every_phase() {
    let repo = fixture_repo();
    let root = repo.path();
    std::fs::rename(root.join("content"), root.join("pages")).expect("move content");
    std::fs::rename(root.join("adr"), root.join("decisions")).expect("move adr");
    let guide = root.join("pages/guides/backup.md");
    let text =
        read(guide.clone()).replace("../../adr/0001-first.md", "../../decisions/0001-first.md");
    std::fs::write(&guide, text).expect("write guide");
    let fixtures = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures");
    let config = read(fixtures.join("custom-paths.toml")) + &read(root.join("sitegen.toml"));
    std::fs::write(root.join("sitegen.toml"), config).expect("write config");
    std::fs::create_dir_all(root.join("theme")).expect("mkdir theme");
    std::fs::write(
        root.join("theme/history.html"),
        "{% extends \"base.html\" %}{% block main %}<h1 id=\"custom\">Theme history</h1>{% endblock main %}",
    )
    .expect("write template");

    let report = build(&options(root, "v1")).expect("build");
    assert_eq!(report.output, root.join("public/v1"));
    assert_eq!(report.pages, 22, "the same pages as with the default paths");
    assert!(
        !root.join("site").exists(),
        "nothing is written to the default site folder"
    );
    assert!(root.join("public/versions.json").is_file());
    let adr = read(root.join("public/v1/adr/adr-0001/index.html"));
    assert!(
        adr.contains("decisions/0001-first.md"),
        "ADR source path shown"
    );
    let intro = read(root.join("public/v1/intro/index.html"));
    assert!(
        intro.contains("pages/intro.md"),
        "content source path shown"
    );
    let backup = read(root.join("public/v1/guides/backup/index.html"));
    assert!(
        backup.contains("href=\"../../adr/adr-0001/index.html\""),
        "a link into the configured ADR folder becomes the ADR page: {backup}"
    );
    let history = read(root.join("public/v1/history/index.html"));
    assert!(
        history.contains("Theme history"),
        "templates from the configured folder"
    );
    assert!(
        read(root.join("public/v1/dashboard/index.html")).contains("P0"),
        "evidence and the plan from the configured folders"
    );
}
