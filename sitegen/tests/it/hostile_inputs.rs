//! `sitegen build` over hostile repositories: what the site publishes must not run script
//! (links and images with `javascript:`/`data:`/… URLs), must not carry files from outside the
//! repository (symbolic links), and must finish (values that chart badly).

use std::path::Path;

use sitegen::site::{BuildOptions, BuildReport, build};

/// A repository without `sitegen.toml` (no evidence): content pages and ADRs only.
fn plain_repo() -> tempfile::TempDir {
    let tmp = tempfile::tempdir().expect("tempdir");
    write(
        tmp.path(),
        "content/intro.md",
        "+++\ntitle = \"Intro\"\n+++\nHello.\n",
    );
    write(
        tmp.path(),
        "adr/0001-first.md",
        "+++\nid = \"ADR-0001\"\ntitle = \"First\"\nstatus = \"accepted\"\ndate = \"2026-01-02\"\n+++\nBody.\n",
    );
    tmp
}

fn write(root: &Path, rel: &str, text: &str) {
    let path = root.join(rel);
    std::fs::create_dir_all(path.parent().expect("parent")).expect("mkdir");
    std::fs::write(path, text).expect("write");
}

fn options(root: &Path) -> BuildOptions {
    let mut o = BuildOptions::new(root);
    o.version = Some("v1".to_string());
    o
}

/// Every `href`/`src` value (double- or single-quoted) in every HTML file of the build, with
/// the page it is on.
fn published_urls(report: &BuildReport) -> Vec<(String, String)> {
    let mut out = Vec::new();
    for (name, bytes) in crate::common::tree(&report.output) {
        if !name.ends_with(".html") {
            continue;
        }
        let html = String::from_utf8_lossy(&bytes).to_string();
        for attr in ["href=", "src="] {
            let mut rest = html.as_str();
            while let Some(at) = rest.find(attr) {
                let after = &rest[at + attr.len()..];
                let quote = after.chars().next().unwrap_or(' ');
                let value: String = if quote == '"' || quote == '\'' {
                    after[1..].chars().take_while(|c| *c != quote).collect()
                } else {
                    after
                        .chars()
                        .take_while(|c| !c.is_whitespace() && *c != '>')
                        .collect()
                };
                out.push((name.clone(), value));
                rest = &after[1..];
            }
        }
    }
    out
}

/// Fails when any published `href`/`src` has a scheme other than http, https or mailto.
fn assert_no_unsafe_urls(report: &BuildReport) {
    let urls = published_urls(report);
    assert!(!urls.is_empty(), "no links found at all");
    for (page, url) in urls {
        let squashed: String = url
            .replace("&#106;", "j")
            .chars()
            .filter(|c| !c.is_whitespace() && !c.is_control())
            .collect::<String>()
            .to_ascii_lowercase();
        for scheme in ["javascript:", "vbscript:", "data:", "file:"] {
            assert!(
                !squashed.starts_with(scheme),
                "{page} publishes `{url}` as a link or image"
            );
        }
    }
}

/// Every markdown vector of a script URL, in a content page and in an ADR body.
const HOSTILE_MARKDOWN: &str = "\
[inline](javascript:alert(1)) [reference][r] <javascript:alert(2)> \
[entity](&#106;avascript:alert(3)) [tab](<java\tscript:alert(4)>) [case](JaVaScRiPt:alert(5)) \
[space](< javascript:alert(6)>) [vb](vbscript:msgbox(7)) [file](file:///etc/passwd) \
![image](javascript:alert(8)) ![svg](data:image/svg+xml;base64,PHN2ZyBvbmxvYWQ9YWxlcnQoOSk+) \
[html](data:text/html,<script>alert(10)</script>) [ok](https://example.org/)\n\n\
[r]: javascript:alert(11)\n";

#[test]
fn script_urls_in_markdown_are_published_as_text_only() {
    let repo = plain_repo();
    write(
        repo.path(),
        "content/attack.md",
        &format!("+++\ntitle = \"Attack\"\n+++\n{HOSTILE_MARKDOWN}"),
    );
    write(
        repo.path(),
        "adr/0002-attack.md",
        &format!(
            "+++\nid = \"ADR-0002\"\ntitle = \"Attack\"\nstatus = \"proposed\"\ndate = \"2026-01-03\"\n+++\n{HOSTILE_MARKDOWN}"
        ),
    );
    let report = build(&options(repo.path())).expect("build");
    assert_no_unsafe_urls(&report);
    for page in ["attack/index.html", "adr/adr-0002/index.html"] {
        let html = std::fs::read_to_string(report.output.join(page)).expect("page");
        for label in ["inline", "reference", "entity", "case", "image", "svg"] {
            assert!(
                html.contains(label),
                "{page}: the label `{label}` is kept as text"
            );
        }
        assert!(html.contains(r#"href="https://example.org/""#), "{page}");
    }
}

#[test]
fn script_urls_from_front_matter_never_become_links() {
    let repo = plain_repo();
    write(
        repo.path(),
        "content/attack.md",
        "+++\ntitle = \"javascript:alert(1)\"\ndescription = \"javascript:alert(2)\"\n+++\nBody.\n",
    );
    write(
        repo.path(),
        "adr/0002-attack.md",
        "+++\nid = \"ADR-0002\"\ntitle = \"javascript:alert(3)\"\nstatus = \"superseded\"\ndate = \"2026-01-03\"\nsupersedes = [\"javascript:alert(4)\"]\nsuperseded-by = [\"data:text/html,x\"]\ndecision-makers = [\"javascript:alert(5)\"]\n+++\nBody.\n",
    );
    let report = build(&options(repo.path())).expect("build");
    assert_no_unsafe_urls(&report);
    // A repository template that puts a front matter field into an `href` is refused by the
    // link check instead of publishing the script.
    write(
        repo.path(),
        "templates/page.html",
        "{% extends \"base.html\" %}{% block main %}<h1>{{ title }}</h1><a href=\"{{ description }}\">more</a>{{ content | safe }}{% endblock main %}",
    );
    let mut again = options(repo.path());
    again.version = Some("v2".to_string());
    let err = format!("{:#}", build(&again).expect_err("unsafe link"));
    assert!(
        err.contains("attack/index.html: unsafe link `javascript:alert(2)`"),
        "{err}"
    );
    assert!(!repo.path().join("site/v2").exists(), "nothing published");
}

#[test]
fn script_urls_from_evidence_never_become_links() {
    let f = crate::common::Fixture::new();
    f.metrics(&[
        ("javascript:alert(1)", 1.0, "higher_is_better", &[1.0, 2.0]),
        ("data:text/html,x", 2.0, "lower_is_better", &[]),
        ("page_cache.hit_ratio", 0.95, "higher_is_better", &[]),
    ]);
    f.run(&["metrics"]);
    let report = build(&options(f.root())).expect("build");
    assert_no_unsafe_urls(&report);
    let metrics =
        std::fs::read_to_string(report.output.join("metrics/index.html")).expect("metrics index");
    assert!(metrics.contains("javascript:alert(1)"), "shown as text");
}

#[test]
fn raw_html_with_a_script_url_fails_the_build_even_when_html_is_allowed() {
    let repo = plain_repo();
    write(
        repo.path(),
        "content/attack.md",
        "+++\ntitle = \"Attack\"\n+++\n<a href=\"JaVaScRiPt:alert(1)\">x</a>\n",
    );
    let mut o = options(repo.path());
    o.allow_html = true;
    let err = format!("{:#}", build(&o).expect_err("unsafe"));
    assert!(
        err.contains("attack/index.html: unsafe link `JaVaScRiPt:alert(1)`"),
        "{err}"
    );
}

#[test]
fn extreme_metric_values_build_and_chart() {
    let f = crate::common::Fixture::new();
    let extreme: [(&str, f64, &[f64]); 5] = [
        ("wide", 1e308, &[1e308, -1e308]),
        ("max_and_tiny", f64::MAX, &[f64::MAX, f64::MIN_POSITIVE]),
        ("huge_flat", 1e300, &[1e300, 1e300, 1e300]),
        ("zero_width", 5.0, &[5.0, 5.0]),
        ("subnormal", 0.0, &[0.0, 5e-324]),
    ];
    let as_metrics = |sign: f64| -> Vec<(&str, f64, &str, &[f64])> {
        extreme
            .iter()
            .map(|(n, v, s)| (*n, v * sign, "lower_is_better", *s))
            .chain(std::iter::once((
                "page_cache.hit_ratio",
                0.95,
                "higher_is_better",
                &[][..],
            )))
            .collect()
    };
    f.metrics(&as_metrics(1.0));
    f.run(&["metrics"]);
    f.metrics(&as_metrics(-1.0));
    f.run(&["metrics"]);
    let report = build(&options(f.root())).expect("build finishes");
    for (name, _, _) in extreme {
        let page =
            std::fs::read_to_string(report.output.join(format!("metrics/{name}/index.html")))
                .expect("metric page");
        assert_eq!(
            page.matches("<svg").count(),
            2,
            "{name}: trend and histogram"
        );
        assert!(page.contains("Trend of"), "{name}");
        assert!(
            page.contains("Histogram of 2") || page.contains("Histogram of 3"),
            "{name}"
        );
        for bad in ["NaN", "inf\""] {
            assert!(!page.contains(bad), "{name}: {bad}");
        }
    }
}

/// A file outside every repository, to link to.
fn outside_file(dir: &tempfile::TempDir, name: &str, text: &str) -> std::path::PathBuf {
    let path = dir.path().join(name);
    std::fs::write(&path, text).expect("write outside file");
    path
}

fn link(target: &Path, at: &Path) {
    std::fs::create_dir_all(at.parent().expect("parent")).expect("mkdir");
    std::os::unix::fs::symlink(target, at).expect("symlink");
}

/// Asserts that `err` names the link, its target and that it is outside the repository.
fn assert_names_escape(err: &anyhow::Error, link: &str, target: &Path) {
    let msg = format!("{err:#}");
    assert!(msg.contains(link), "does not name {link}: {msg}");
    assert!(
        msg.contains(&target.display().to_string()),
        "does not name {}: {msg}",
        target.display()
    );
    assert!(msg.contains("outside the repository"), "{msg}");
}

#[test]
fn symlinks_out_of_content_adr_and_templates_fail_the_build() {
    let outside = tempfile::tempdir().expect("tempdir");
    let secret = outside_file(&outside, "passwd", "root:x:0:0:secret\n");
    let page = outside_file(&outside, "page.md", "+++\ntitle = \"Leak\"\n+++\nsecret\n");
    let adr = outside_file(
        &outside,
        "adr.md",
        "+++\nid = \"ADR-0009\"\ntitle = \"Leak\"\nstatus = \"accepted\"\ndate = \"2026-01-02\"\n+++\nsecret\n",
    );
    for (rel, target) in [
        ("templates/page.html", &secret),
        ("templates/style.css", &secret),
        ("adr/0009-leak.md", &adr),
        ("content/leak.md", &page),
        ("content/guides/other.txt", &secret),
    ] {
        let repo = plain_repo();
        link(target, &repo.path().join(rel));
        let err = build(&options(repo.path())).expect_err(rel);
        assert_names_escape(&err, rel, target);
        assert!(
            !repo.path().join("site/v1").exists(),
            "{rel}: nothing published"
        );
    }
    // A linked folder is the same as a linked file.
    let repo = plain_repo();
    std::fs::create_dir_all(outside.path().join("adrs")).expect("mkdir");
    std::fs::copy(&adr, outside.path().join("adrs/0009-leak.md")).expect("copy");
    std::fs::remove_dir_all(repo.path().join("adr")).expect("rm");
    link(&outside.path().join("adrs"), &repo.path().join("adr"));
    let err = build(&options(repo.path())).expect_err("adr folder");
    assert_names_escape(&err, "adr", &outside.path().join("adrs"));
}

#[test]
fn symlinks_inside_the_repository_are_followed_in_every_folder() {
    let repo = plain_repo();
    let root = repo.path();
    write(
        root,
        "shared/page.md",
        "+++\ntitle = \"Shared page\"\n+++\nShared body.\n",
    );
    write(
        root,
        "shared/adr.md",
        "+++\nid = \"ADR-0005\"\ntitle = \"Shared decision\"\nstatus = \"accepted\"\ndate = \"2026-01-02\"\n+++\nShared.\n",
    );
    write(
        root,
        "shared/guides/deep.md",
        "+++\ntitle = \"Deep page\"\n+++\nDeep.\n",
    );
    write(
        root,
        "shared/history.html",
        "{% extends \"base.html\" %}{% block main %}<h1>Linked history template</h1>{% endblock main %}",
    );
    link(
        Path::new("../shared/page.md"),
        &root.join("content/linked.md"),
    );
    link(Path::new("../shared/guides"), &root.join("content/guides"));
    link(
        Path::new("../shared/adr.md"),
        &root.join("adr/0005-shared.md"),
    );
    link(
        Path::new("../shared/history.html"),
        &root.join("templates/history.html"),
    );
    let report = build(&options(root)).expect("inside links build");
    let read = |rel: &str| std::fs::read_to_string(report.output.join(rel)).expect(rel);
    assert!(read("linked/index.html").contains("Shared body."));
    assert!(read("guides/deep/index.html").contains("Deep."));
    assert!(read("adr/adr-0005/index.html").contains("Shared decision"));
    assert!(read("history/index.html").contains("Linked history template"));
}

#[test]
fn symlinks_out_of_evidence_plan_and_config_fail_build_and_gate() {
    let outside = tempfile::tempdir().expect("tempdir");
    // A record replaced by a link to a byte-identical copy outside: its hash still matches.
    let f = crate::common::Fixture::new();
    f.run(&["metrics"]);
    let record = f
        .evidence_files()
        .into_iter()
        .find(|p| p.to_string_lossy().contains("/records/"))
        .expect("a record");
    let copy = outside.path().join("record.json");
    std::fs::copy(&record, &copy).expect("copy");
    std::fs::remove_file(&record).expect("rm");
    link(&copy, &record);
    let rel = record
        .strip_prefix(f.root())
        .expect("under root")
        .display()
        .to_string();
    let err = build(&options(f.root())).expect_err("evidence");
    assert_names_escape(&err, &rel, &copy);
    assert_names_escape(&f.project().evaluate(None).expect_err("gate"), &rel, &copy);
    assert_names_escape(&f.project().verify().expect_err("verify"), &rel, &copy);

    // The plan, the sign-offs and the configuration itself.
    for rel in ["content/plan.toml", "content/signoffs.toml", "sitegen.toml"] {
        let f = crate::common::Fixture::new();
        f.run(&["metrics"]);
        let target = outside.path().join(rel.replace('/', "_"));
        let original = f.root().join(rel);
        if original.exists() {
            std::fs::copy(&original, &target).expect("copy");
            std::fs::remove_file(&original).expect("rm");
        } else {
            std::fs::write(&target, "format_version = 1\n").expect("write");
        }
        link(&target, &original);
        let err = build(&options(f.root())).expect_err(rel);
        assert_names_escape(&err, rel, &target);
    }

    // A whole evidence folder moved out and linked back (also what `[paths] evidence` names).
    let f = crate::common::Fixture::new();
    f.run(&["metrics"]);
    let moved = outside.path().join("ledger");
    std::fs::rename(f.evidence(), &moved).expect("move");
    link(&moved, &f.evidence());
    let err = build(&options(f.root())).expect_err("evidence folder");
    assert_names_escape(&err, "evidence", &moved);

    // An artifact the plan's gate hashes (`artifact = "docs/*"`).
    let f = crate::common::Fixture::new();
    let secret = outside_file(&outside, "artifact", "secret");
    link(&secret, &f.root().join("docs/readme.md"));
    let err = f.project().evaluate(None).expect_err("artifact");
    assert_names_escape(&err, "docs/readme.md", &secret);
}

#[test]
fn an_evidence_folder_linked_inside_the_repository_is_followed() {
    let f = crate::common::Fixture::new();
    f.run(&["metrics"]);
    std::fs::create_dir_all(f.root().join("store")).expect("mkdir");
    std::fs::rename(f.evidence(), f.root().join("store/evidence")).expect("move");
    link(Path::new("store/evidence"), &f.evidence());
    let report = build(&options(f.root())).expect("build through an inside link");
    assert!(report.output.join("dashboard/index.html").exists());
    assert!(f.project().verify().expect("verify").ok());
}
