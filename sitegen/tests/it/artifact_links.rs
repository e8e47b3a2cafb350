//! Artifact criteria link to the artifact at the commit their verdict was read at: with
//! `[site] source_file_url` on the dashboard, the traceability matrix and the sign-off report;
//! without it, or for an artifact not committed unchanged at `HEAD`, the path and sha256 only.

use crate::common::{CONFIG, Fixture, sitegen};

fn head(f: &Fixture) -> String {
    git2::Repository::open(f.root())
        .expect("repo")
        .head()
        .expect("head")
        .target()
        .expect("oid")
        .to_string()
}

fn page(f: &Fixture, version: &str, path: &str) -> String {
    let file = f.root().join("site").join(version).join(path);
    std::fs::read_to_string(&file).unwrap_or_else(|e| panic!("{}: {e}", file.display()))
}

fn build(f: &Fixture, version: &str) {
    let (code, out) = sitegen(f, &["build", "--version", version]);
    assert_eq!(code, 0, "{out}");
}

const FILE_URL: &str = "https://forge.example/lightning/blob/{sha}/{path}";

#[test]
fn artifacts_link_to_the_forge_at_the_commit_they_were_read_at() {
    let f = Fixture::new();
    // `P0.doc` is decided by `docs/*`.
    f.write("docs/guide notes.md", "# Guide\n");
    f.write(
        "sitegen.toml",
        &format!("{CONFIG}\n[site]\nsource_file_url = \"{FILE_URL}\"\n"),
    );
    f.commit_all("docs");
    f.run(&["metrics"]);
    build(&f, "linked");
    let sha = head(&f);
    let want = format!("href=\"https://forge.example/lightning/blob/{sha}/docs/guide%20notes.md\"");
    for path in [
        "dashboard/index.html",
        "trace/index.html",
        "signoff/index.html",
    ] {
        let html = page(&f, "linked", path);
        assert!(html.contains(&want), "{path}: no {want}");
    }
    let dash = page(&f, "linked", "dashboard/index.html");
    assert!(
        dash.contains(&format!(
            "<code title=\"commit {sha}\">{}</code>",
            &sha[..8]
        )),
        "the commit is named beside the hash"
    );

    // Changed in the working tree: the forge's copy is not what was read, so no link.
    f.write("docs/guide notes.md", "# Guide, edited\n");
    build(&f, "edited");
    let dash = page(&f, "edited", "dashboard/index.html");
    assert!(!dash.contains("class=\"artifact\""), "no forge link");
    assert!(dash.contains("not committed"), "says why there is no link");
    assert!(
        dash.contains("<code>docs/guide notes.md</code>"),
        "the path"
    );
}

#[test]
fn without_a_file_url_an_artifact_shows_its_path_hash_and_commit() {
    let f = Fixture::new();
    f.write("docs/guide.md", "# Guide\n");
    f.commit_all("docs");
    f.run(&["metrics"]);
    build(&f, "plain");
    let sha = head(&f);
    let dash = page(&f, "plain", "dashboard/index.html");
    assert!(
        !dash.contains("class=\"artifact\""),
        "no link without the key"
    );
    assert!(dash.contains("<code>docs/guide.md</code>"), "the path");
    let digest = sitegen::evidence::hash::bytes(b"# Guide\n");
    assert!(
        dash.contains(&format!("title=\"sha256 {digest}\"")),
        "the sha256 of the file"
    );
    assert!(
        dash.contains(&format!(
            "<code title=\"commit {sha}\">{}</code>",
            &sha[..8]
        )),
        "the commit it was read at"
    );
}

#[test]
fn a_file_url_without_path_or_sha_is_refused_naming_the_file_and_key() {
    for (template, missing) in [
        ("https://forge.example/lightning/blob/{sha}/", "{path}"),
        ("https://forge.example/lightning/blob/main/{path}", "{sha}"),
    ] {
        let f = Fixture::new();
        f.write(
            "sitegen.toml",
            &format!("{CONFIG}\n[site]\nsource_file_url = \"{template}\"\n"),
        );
        let (code, out) = sitegen(&f, &["build", "--version", "v1"]);
        assert_ne!(code, 0, "{out}");
        assert!(
            out.contains("site.source_file_url") && out.contains(missing),
            "{out}"
        );
        assert!(
            out.contains("sitegen.toml:"),
            "names the file and line: {out}"
        );
    }
}
