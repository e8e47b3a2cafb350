//! The evidence as the site publishes it: every hash a page shows links to a published file
//! whose sha256 is that hash, each run's `SHA256SUMS` checks with `sha256sum -c`, versions share
//! one evidence store (`site/evidence/`) whose changed files the next build restores, and
//! recording a run before a build does not make the version dirty.

use std::path::Path;

use crate::common::{Fixture, sitegen};

/// Every `<a … href="X" …><code>HASH</code></a>` on `html` whose text is a full sha256.
fn hash_links(html: &str) -> Vec<(String, String)> {
    let mut out = Vec::new();
    for part in html.split("<a ").skip(1) {
        let Some(href) = part
            .split("href=\"")
            .nth(1)
            .and_then(|r| r.split('"').next())
        else {
            continue;
        };
        let Some(text) = part
            .split_once("><code>")
            .and_then(|(_, r)| r.split("</code>").next())
        else {
            continue;
        };
        if text.len() == 64 && text.bytes().all(|b| b.is_ascii_hexdigit()) {
            out.push((href.to_string(), text.to_string()));
        }
    }
    out
}

fn sha256_of(path: &Path) -> String {
    let bytes = std::fs::read(path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    sitegen::evidence::hash::bytes(&bytes)
}

fn built(f: &Fixture) -> std::path::PathBuf {
    let (code, out) = sitegen(f, &["build", "--version", "v1"]);
    assert_eq!(code, 0, "{out}");
    f.root().join("site/v1")
}

#[test]
fn every_hash_on_a_run_page_links_to_a_published_file_with_that_hash() {
    let f = Fixture::new();
    let run = f.run(&["metrics"]);
    let site = built(&f);
    let page_dir = site.join("runs").join(&run);
    let html = std::fs::read_to_string(page_dir.join("index.html")).expect("run page");
    let links = hash_links(&html);
    let manifest =
        std::fs::read_to_string(f.evidence().join(&run).join("manifest.json")).expect("manifest");
    let manifest: serde_json::Value = serde_json::from_str(&manifest).expect("json");
    let files = manifest["files"].as_object().expect("files").len();
    // manifest.json (twice: environment and files) and every file of the manifest, the record
    // once more beside its check.
    assert!(links.len() > files, "{links:?}");
    for (href, hash) in &links {
        let target = page_dir.join(href);
        assert_eq!(&sha256_of(&target), hash, "{href}");
    }
    // The published copy is byte for byte the ledger's file, in the evidence store beside
    // the version.
    let record = f
        .root()
        .join("site/evidence")
        .join(&run)
        .join("records/metrics.json");
    assert_eq!(
        std::fs::read(&record).expect("published"),
        std::fs::read(f.evidence().join(&run).join("records/metrics.json")).expect("ledger")
    );
    // The dashboard's criteria link their record hashes too.
    let dash = std::fs::read_to_string(site.join("dashboard/index.html")).expect("dashboard");
    assert!(
        dash.contains(&format!(
            "href=\"../../evidence/{run}/records/metrics.json\""
        )),
        "criteria link to the published record"
    );
    assert!(html.contains("sha256sum -c SHA256SUMS") && html.contains("sitegen verify"));
}

#[test]
fn sha256sums_lists_every_file_of_the_run_and_checks() {
    let f = Fixture::new();
    let run = f.run(&["metrics"]);
    built(&f);
    let dir = f.root().join("site/evidence").join(&run);
    let sums = std::fs::read_to_string(dir.join("SHA256SUMS")).expect("SHA256SUMS");
    let lines: Vec<&str> = sums.lines().collect();
    assert!(lines[0].ends_with("  manifest.json"), "{sums}");
    assert!(sums.contains("  run.json\n") && sums.contains("  records/metrics.json\n"));
    for line in &lines {
        let (hash, name) = line.split_once("  ").expect("two spaces");
        assert_eq!(sha256_of(&dir.join(name)), hash, "{name}");
    }
    if let Ok(out) = std::process::Command::new("sha256sum")
        .args(["-c", "--strict", "SHA256SUMS"])
        .current_dir(&dir)
        .output()
    {
        assert!(
            out.status.success(),
            "{}",
            String::from_utf8_lossy(&out.stdout)
        );
        assert_eq!(
            String::from_utf8_lossy(&out.stdout).matches(": OK").count(),
            lines.len()
        );
    }
}

#[test]
fn a_version_built_right_after_recording_a_run_is_not_dirty() {
    let f = Fixture::new();
    f.run(&["metrics"]);
    f.commit_all("first run");
    // The second run rewrites the committed chain head and adds a run folder, as `publish` does.
    f.run(&["metrics"]);
    let head = git2::Repository::open(f.root())
        .expect("repo")
        .head()
        .expect("head")
        .target()
        .expect("oid")
        .to_string();
    let (code, out) = sitegen(&f, &["build"]);
    assert_eq!(code, 0, "{out}");
    let versions = std::fs::read_to_string(f.root().join("site/versions.json")).expect("list");
    assert!(
        versions.contains(&format!("\"{}\"", &head[..8])),
        "{versions}"
    );
    assert!(!versions.contains("-dirty"), "{versions}");
    // A change of a source file still counts.
    f.write(
        "sitegen.toml",
        &format!("{}\n# edited\n", crate::common::CONFIG),
    );
    let (code, out) = sitegen(&f, &["build"]);
    assert_eq!(code, 0, "{out}");
    let versions = std::fs::read_to_string(f.root().join("site/versions.json")).expect("list");
    assert!(
        versions.contains(&format!("\"{}-dirty\"", &head[..8])),
        "{versions}"
    );
}

#[test]
fn commit_ids_link_to_the_configured_source_url() {
    let f = Fixture::new();
    f.run(&["metrics"]);
    let (code, out) = sitegen(&f, &["build", "--version", "plain"]);
    assert_eq!(code, 0, "{out}");
    let plain =
        std::fs::read_to_string(f.root().join("site/plain/history/index.html")).expect("history");
    assert!(
        !plain.contains("class=\"commit\""),
        "no source_url: plain text"
    );
    f.write(
        "sitegen.toml",
        &format!(
            "{}\n[site]\nsource_url = \"https://forge.example/lightning/commit/{{sha}}\"\n",
            crate::common::CONFIG
        ),
    );
    let (code, out) = sitegen(&f, &["build", "--version", "linked"]);
    assert_eq!(code, 0, "{out}");
    let head = git2::Repository::open(f.root())
        .expect("repo")
        .head()
        .expect("head")
        .target()
        .expect("oid")
        .to_string();
    let want = format!("href=\"https://forge.example/lightning/commit/{head}\"");
    for page in ["history/index.html", "index.html"] {
        let html = std::fs::read_to_string(f.root().join("site/linked").join(page)).expect("page");
        assert!(html.contains(&want), "{page}: {want}");
    }
    let runs = std::fs::read_to_string(f.root().join("site/linked/runs/index.html")).expect("runs");
    assert!(
        runs.contains("href=\"https://forge.example/lightning/commit/"),
        "{runs}"
    );
}

#[test]
fn a_source_url_without_sha_is_refused_naming_the_key() {
    let f = Fixture::new();
    f.write(
        "sitegen.toml",
        &format!(
            "{}\n[site]\nsource_url = \"https://forge.example/lightning/commit/\"\n",
            crate::common::CONFIG
        ),
    );
    let (code, out) = sitegen(&f, &["build", "--version", "v1"]);
    assert_ne!(code, 0, "{out}");
    assert!(
        out.contains("site.source_url") && out.contains("{sha}"),
        "{out}"
    );
    assert!(
        out.contains("sitegen.toml:"),
        "names the file and line: {out}"
    );
}

#[test]
fn build_state_stays_out_of_the_published_folder_and_old_state_there_is_removed() {
    let f = Fixture::new();
    f.run(&["metrics"]);
    // State an older build left inside the site folder.
    f.write("site/.cache/render.json", "{}");
    let (code, out) = sitegen(&f, &["build", "--version", "v1"]);
    assert_eq!(code, 0, "{out}");
    assert!(!f.root().join("site/.cache").exists(), "old state removed");
    let hidden: Vec<String> = std::fs::read_dir(f.root().join("site"))
        .expect("ls")
        .map(|e| e.expect("entry").file_name().to_string_lossy().into_owned())
        .filter(|n| n.starts_with('.'))
        .collect();
    assert!(hidden.is_empty(), "{hidden:?}");
    let cache = f.root().join("target/sitegen-cache");
    assert!(cache.join("pages.json").exists() && cache.join("site.lock").exists());
    // Incremental builds still work from there: the next version shares every page.
    let mut o = sitegen::site::BuildOptions::new(f.root());
    o.version = Some("v2".into());
    let report = sitegen::site::build(&o).expect("builds");
    assert_eq!(report.reused, report.pages, "{report:?}");
}

fn with_site_table(f: &Fixture, table: &str) {
    f.write(
        "sitegen.toml",
        &format!("{}\n[site]\n{table}\n", crate::common::CONFIG),
    );
}

#[test]
fn latest_as_a_copy_is_a_real_folder_with_the_newest_version_s_files() {
    let f = Fixture::new();
    f.run(&["metrics"]);
    with_site_table(&f, "latest = \"copy\"");
    for v in ["v1", "v2"] {
        let (code, out) = sitegen(&f, &["build", "--version", v]);
        assert_eq!(code, 0, "{out}");
    }
    let latest = f.root().join("site/latest");
    let meta = std::fs::symlink_metadata(&latest).expect("latest");
    assert!(
        meta.is_dir() && !meta.file_type().is_symlink(),
        "a real folder"
    );
    assert_eq!(
        crate::common::tree(&latest),
        crate::common::tree(&f.root().join("site/v2")),
        "byte for byte the newest version"
    );
}

#[test]
fn latest_as_redirects_sends_each_page_to_the_same_page_of_the_newest_version() {
    let f = Fixture::new();
    let run = f.run(&["metrics"]);
    // A symbolic link from an earlier build is replaced.
    let (code, out) = sitegen(&f, &["build", "--version", "v1"]);
    assert_eq!(code, 0, "{out}");
    with_site_table(&f, "latest = \"redirect\"");
    let (code, out) = sitegen(&f, &["build", "--version", "v2"]);
    assert_eq!(code, 0, "{out}");
    let latest = f.root().join("site/latest");
    assert!(
        !std::fs::symlink_metadata(&latest)
            .expect("latest")
            .file_type()
            .is_symlink()
    );
    let page = std::fs::read_to_string(latest.join("runs").join(&run).join("index.html"))
        .expect("a stub per page");
    let target = format!("../../../v2/runs/{run}/index.html");
    assert!(page.contains(&format!("url={target}\"")), "{page}");
    // The target resolves from the stub's folder.
    assert!(latest.join("runs").join(&run).join(&target).exists());
    let home = std::fs::read_to_string(latest.join("index.html")).expect("home stub");
    assert!(home.contains("url=../v2/index.html\""), "{home}");
    // Only pages: no data files, assets or evidence are duplicated.
    let files = crate::common::tree(&latest);
    assert!(
        files.keys().all(|k| k.ends_with(".html")),
        "{:?}",
        files.keys()
    );
    let version_pages = crate::common::tree(&f.root().join("site/v2"))
        .into_keys()
        .filter(|k| k.ends_with(".html"))
        .count();
    assert_eq!(files.len(), version_pages);
}

#[test]
fn each_version_lists_its_pages_for_the_banner_of_older_versions() {
    let f = Fixture::new();
    f.run(&["metrics"]);
    for v in ["v0", "v1"] {
        let (code, out) = sitegen(&f, &["build", "--version", v]);
        assert_eq!(code, 0, "{out}");
    }
    let site = f.root().join("site");
    let js = std::fs::read_to_string(site.join("v1/pages.js")).expect("pages.js");
    let list = js
        .strip_prefix("window.SITEGEN_PAGES = ")
        .and_then(|r| r.strip_suffix(";\n"))
        .expect("one assignment");
    let pages: Vec<String> = serde_json::from_str(list).expect("a JSON list");
    let built: Vec<String> = crate::common::tree(&site.join("v1"))
        .into_keys()
        .filter(|k| k.ends_with("index.html"))
        .map(|k| {
            k.strip_suffix("index.html")
                .unwrap_or_default()
                .trim_end_matches('/')
                .to_string()
        })
        .collect();
    let mut sorted = built.clone();
    sorted.sort();
    assert_eq!(pages, sorted, "every page of the version, nothing else");
    assert!(pages.contains(&String::new()) && pages.contains(&"dashboard".to_string()));
    // The banner of an older page reads the newest version's list and the page's own path.
    let old = std::fs::read_to_string(site.join("v0/dashboard/index.html")).expect("v0 page");
    assert!(
        old.contains("data-path=\"dashboard\""),
        "the page names its path"
    );
    let script = std::fs::read_to_string(site.join("v0/assets/site.js")).expect("site.js");
    assert!(script.contains("\"pages.js\"") && script.contains("SITEGEN_PAGES"));
    // The versions page is styled and leads back.
    let versions = std::fs::read_to_string(site.join("versions.html")).expect("versions");
    assert!(
        versions.contains("href=\"v1/assets/style.css\""),
        "{versions}"
    );
    assert!(
        versions.contains("href=\"v1/index.html\">← Back"),
        "{versions}"
    );
}

#[test]
fn versions_share_one_evidence_store_and_a_changed_copy_is_restored_for_all() {
    use std::os::unix::fs::MetadataExt;
    let f = Fixture::new();
    let run = f.run(&["metrics"]);
    let v1 = built(&f);
    let store = f.root().join("site/evidence");
    assert!(
        !v1.join("evidence").exists(),
        "a version holds its pages only, not a copy of the evidence"
    );
    let record = store.join(&run).join("records/metrics.json");
    let inode = |p: &Path| std::fs::metadata(p).expect("stat").ino();
    let kept = [
        store.join(&run).join("run.json"),
        store.join(&run).join("manifest.json"),
        store.join(&run).join("SHA256SUMS"),
    ];
    let before: Vec<u64> = kept.iter().map(|p| inode(p)).collect();
    let second = f.run(&["metrics"]);
    // Someone changes a published file after the fact.
    std::fs::write(&record, b"{\"forged\": true}").expect("tamper");
    let (code, out) = sitegen(&f, &["build", "--version", "v2"]);
    assert_eq!(code, 0, "{out}");
    // Unchanged files of the older run are left as they are; the new run is added.
    let after: Vec<u64> = kept.iter().map(|p| inode(p)).collect();
    assert_eq!(before, after, "unchanged store files were rewritten");
    assert!(store.join(&second).join("SHA256SUMS").is_file());
    // The changed copy holds the ledger's bytes again — for both versions, which link to it.
    let ledger =
        std::fs::read(f.evidence().join(&run).join("records/metrics.json")).expect("ledger");
    assert_eq!(std::fs::read(&record).expect("published"), ledger);
    for v in ["v1", "v2"] {
        let page = f.root().join("site").join(v).join("runs").join(&run);
        let html = std::fs::read_to_string(page.join("index.html")).expect("run page");
        for (href, hash) in hash_links(&html) {
            assert_eq!(sha256_of(&page.join(&href)), hash, "{v}: {href}");
        }
    }
}
