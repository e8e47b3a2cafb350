//! Git history via git2: the commits reachable from HEAD, the ADRs each mentions, and the
//! version name of the working tree.
//!
//! Steps for [`history`]: open the repository (searching upward from the root) → resolve HEAD
//! (an unborn branch gives an empty history; a detached HEAD is walked like any other) → walk
//! the commits newest first → extract `ADR-NNNN` mentions from each message.

use std::path::Path;

use anyhow::{Context, Result, bail};
use chrono::{DateTime, FixedOffset, TimeZone, Utc};
use serde::Serialize;

/// One commit, as the site shows it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Commit {
    /// Full hex id.
    pub id: String,
    /// First 8 hex digits.
    pub short_id: String,
    /// Author name.
    pub author: String,
    /// Author time, RFC 3339 in the author's offset.
    pub time: String,
    /// Author time as Unix seconds.
    pub timestamp: i64,
    /// First line of the message.
    pub summary: String,
    /// The whole message.
    pub message: String,
    /// ADR ids mentioned in the message (`ADR-NNNN`), sorted, without duplicates.
    pub adrs: Vec<String>,
}

/// The repository's state: HEAD and the history behind it.
#[derive(Debug, Clone, Default, Serialize)]
pub struct History {
    /// Commits reachable from HEAD, newest first. Empty when the repository has no commits or
    /// there is no repository.
    pub commits: Vec<Commit>,
    /// The branch HEAD points at; `None` when detached or unborn.
    pub branch: Option<String>,
}

/// The reference HEAD points at; `None` in a repository without commits (an unborn branch).
pub fn head(repo: &git2::Repository) -> Result<Option<git2::Reference<'_>>> {
    match repo.head() {
        Ok(head) => Ok(Some(head)),
        Err(e)
            if matches!(
                e.code(),
                git2::ErrorCode::UnbornBranch | git2::ErrorCode::NotFound
            ) =>
        {
            Ok(None)
        }
        Err(e) => Err(e).context("while resolving git HEAD"),
    }
}

/// Reads the history of the repository containing `root`. No repository at all is not an error
/// (a site can be built from a plain directory); a corrupt one is.
pub fn history(root: &Path) -> Result<History> {
    let repo = match git2::Repository::discover(root) {
        Ok(repo) => repo,
        Err(e) if e.code() == git2::ErrorCode::NotFound => return Ok(History::default()),
        Err(e) => {
            return Err(e)
                .with_context(|| format!("while opening git repository at {}", root.display()));
        }
    };
    let Some(head) = head(&repo)? else {
        return Ok(History::default());
    };
    let branch = if head.is_branch() {
        head.shorthand().map(str::to_string)
    } else {
        None
    };
    let head_oid = head.target().context("HEAD does not point at a commit")?;
    let mut walk = repo.revwalk().context("while starting the commit walk")?;
    walk.set_sorting(git2::Sort::TOPOLOGICAL | git2::Sort::TIME)
        .context("while sorting the commit walk")?;
    walk.push(head_oid).context("while walking from HEAD")?;
    let mut commits = Vec::new();
    for oid in walk {
        let oid = oid.context("while walking the history")?;
        let commit = repo
            .find_commit(oid)
            .with_context(|| format!("while reading commit {oid}"))?;
        commits.push(convert(&commit));
    }
    Ok(History { commits, branch })
}

fn convert(commit: &git2::Commit<'_>) -> Commit {
    let id = commit.id().to_string();
    let message = String::from_utf8_lossy(commit.message_bytes()).into_owned();
    let summary = message.lines().next().unwrap_or("").trim().to_string();
    let author = commit.author();
    let author_name = String::from_utf8_lossy(author.name_bytes()).into_owned();
    let when = author.when();
    let time = format_time(when.seconds(), when.offset_minutes());
    Commit {
        short_id: super::ids::short_commit(&id).to_string(),
        id,
        author: author_name,
        time,
        timestamp: when.seconds(),
        summary,
        adrs: adr_mentions(&message),
        message,
    }
}

fn format_time(seconds: i64, offset_minutes: i32) -> String {
    let utc: DateTime<Utc> = Utc
        .timestamp_opt(seconds, 0)
        .single()
        .unwrap_or(DateTime::<Utc>::UNIX_EPOCH);
    match FixedOffset::east_opt(offset_minutes * 60) {
        Some(offset) => utc.with_timezone(&offset).to_rfc3339(),
        None => utc.to_rfc3339(),
    }
}

/// The `ADR-NNNN` ids (exactly four digits, not part of a longer word) in `text`, sorted and
/// without duplicates.
pub fn adr_mentions(text: &str) -> Vec<String> {
    let bytes = text.as_bytes();
    let mut found = Vec::new();
    let mut start = 0;
    while let Some(pos) = text.get(start..).and_then(|t| t.find("ADR-")) {
        let at = start + pos;
        let digits = bytes.get(at + 4..at + 8);
        let before_ok = at == 0
            || bytes
                .get(at - 1)
                .is_some_and(|b| !b.is_ascii_alphanumeric());
        let after_ok = bytes.get(at + 8).is_none_or(|b| !b.is_ascii_alphanumeric());
        if let Some(d) = digits
            && before_ok
            && after_ok
            && d.iter().all(u8::is_ascii_digit)
        {
            found.push(format!("ADR-{}", String::from_utf8_lossy(d)));
        }
        start = at + 4;
    }
    found.sort();
    found.dedup();
    found
}

/// The default version name of the tree at `root`: the tag pointing at HEAD if there is one,
/// else the short commit hash; `-dirty` is appended when the tree differs from HEAD outside
/// `outputs` ([`dirty_outside`]: the evidence and site folders, so that the run `sitegen
/// publish` records right before it builds does not make its version dirty).
pub fn default_version(root: &Path, outputs: &[&Path]) -> Result<String> {
    let repo = git2::Repository::discover(root).with_context(|| {
        format!(
            "{} is not in a git repository; pass --version to name the build",
            root.display()
        )
    })?;
    let head = match repo.head() {
        Ok(head) => head,
        Err(e) if e.code() == git2::ErrorCode::UnbornBranch => {
            bail!("the repository has no commits yet; pass --version to name the build")
        }
        Err(e) => return Err(e).context("while resolving HEAD"),
    };
    let oid = head.target().context("HEAD does not point at a commit")?;
    let mut name = None;
    let tags = repo.tag_names(None).context("while listing tags")?;
    for tag in tags.iter().flatten() {
        let Ok(obj) = repo.revparse_single(&format!("refs/tags/{tag}")) else {
            continue;
        };
        if obj.peel_to_commit().map(|c| c.id()).ok() == Some(oid) {
            name = Some(tag.to_string());
            break;
        }
    }
    let oid_text = oid.to_string();
    let mut version = name.unwrap_or_else(|| super::ids::short_commit(&oid_text).to_string());
    if dirty_outside(&repo, root, outputs)? {
        version.push_str("-dirty");
    }
    Ok(version)
}

/// A repository path at a commit.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct AtCommit {
    /// The full commit id.
    pub commit: String,
    /// The path from the repository's top folder, `/`-separated.
    pub path: String,
}

/// `rel` at the HEAD commit, when `rel` (a file or folder, `/`-separated, relative to `root`,
/// which may be a subdirectory of the repository) is in HEAD's tree and the working tree has
/// no change under it: then a forge shows it at that commit exactly as it was read. `None`
/// when there is no repository or no commit, or when `rel` is untracked, changed or deleted.
pub fn committed_unchanged(root: &Path, rel: &str) -> Result<Option<AtCommit>> {
    let repo = match git2::Repository::discover(root) {
        Ok(repo) => repo,
        Err(e) if e.code() == git2::ErrorCode::NotFound => return Ok(None),
        Err(e) => {
            return Err(e)
                .with_context(|| format!("while opening git repository at {}", root.display()));
        }
    };
    let (Some(workdir), Some(head)) = (repo.workdir(), head(&repo)?) else {
        return Ok(None);
    };
    let canonical = |p: &Path| p.canonicalize().unwrap_or_else(|_| p.to_path_buf());
    let full = canonical(&root.join(rel));
    let Ok(in_repo) = full.strip_prefix(canonical(workdir)) else {
        return Ok(None);
    };
    let in_repo: Vec<String> = in_repo
        .components()
        .map(|c| c.as_os_str().to_string_lossy().into_owned())
        .collect();
    let in_repo = in_repo.join("/");
    let commit = head
        .peel_to_commit()
        .context("HEAD does not point at a commit")?;
    let tree = commit
        .tree()
        .with_context(|| format!("while reading the tree of commit {}", commit.id()))?;
    if in_repo.is_empty() || tree.get_path(Path::new(&in_repo)).is_err() {
        return Ok(None);
    }
    let mut opts = git2::StatusOptions::new();
    opts.include_untracked(true)
        .recurse_untracked_dirs(true)
        .include_ignored(false);
    let statuses = repo
        .statuses(Some(&mut opts))
        .with_context(|| format!("{}: while reading git status of `{rel}`", root.display()))?;
    // `in_repo` itself, or anything under it.
    let changed = statuses.iter().any(|e| {
        e.path().is_some_and(|p| {
            let p = p.trim_end_matches('/');
            p == in_repo || p.starts_with(&format!("{in_repo}/"))
        })
    });
    Ok((!changed).then(|| AtCommit {
        commit: commit.id().to_string(),
        path: in_repo,
    }))
}

/// True when the working tree of `repo` differs from HEAD outside `outputs` (paths relative to
/// `root`, which may be a subdirectory of the repository): a change, a deletion or a new file
/// under one of them does not count. The one rule of "dirty" for the evidence capture
/// (`evidence::environment::git_state`) and the site's version name ([`default_version`]),
/// which both pass the folders sitegen writes itself (`Project::outputs`).
pub fn dirty_outside(repo: &git2::Repository, root: &Path, outputs: &[&Path]) -> Result<bool> {
    let mut opts = git2::StatusOptions::new();
    // Untracked folders file by file: a new folder holding only outputs (`docs/site/` of a
    // site rooted at `docs/`) is not a change.
    opts.include_untracked(true)
        .recurse_untracked_dirs(true)
        .include_ignored(false);
    let canonical = |p: &Path| {
        let p = root.join(p);
        p.canonicalize().unwrap_or(p)
    };
    let outputs: Vec<std::path::PathBuf> = outputs.iter().map(|p| canonical(p)).collect();
    let workdir = repo.workdir().map(canonical);
    let statuses = repo
        .statuses(Some(&mut opts))
        .with_context(|| format!("{}: while reading git status", root.display()))?;
    Ok(statuses.iter().any(|entry| {
        let (Some(dir), Some(path)) = (&workdir, entry.path()) else {
            return true;
        };
        let path = dir.join(path.trim_end_matches('/'));
        !outputs.iter().any(|o| path.starts_with(o))
    }))
}

#[cfg(test)]
mod tests {
    use super::*;

    /// What `Project::outputs` names by default, and the build folder.
    fn out() -> [&'static Path; 3] {
        [
            Path::new("evidence"),
            Path::new("site"),
            Path::new("target"),
        ]
    }

    pub(crate) fn commit(
        repo: &git2::Repository,
        file: &str,
        message: &str,
        time: i64,
    ) -> git2::Oid {
        let root = repo.workdir().expect("workdir");
        std::fs::write(root.join(file), message).expect("write");
        let mut index = repo.index().expect("index");
        index.add_path(Path::new(file)).expect("add");
        index.write().expect("index write");
        let tree = repo
            .find_tree(index.write_tree().expect("tree"))
            .expect("tree");
        let sig = git2::Signature::new("Tester", "t@example.invalid", &git2::Time::new(time, 0))
            .expect("sig");
        let parents: Vec<git2::Commit<'_>> = repo
            .head()
            .ok()
            .and_then(|h| h.target())
            .map(|oid| vec![repo.find_commit(oid).expect("parent")])
            .unwrap_or_default();
        let parent_refs: Vec<&git2::Commit<'_>> = parents.iter().collect();
        repo.commit(Some("HEAD"), &sig, &sig, message, &tree, &parent_refs)
            .expect("commit")
    }

    #[test]
    fn mentions_need_exactly_four_digits_and_word_bounds() {
        assert_eq!(
            adr_mentions(
                "Implements ADR-0003 and ADR-0001, again ADR-0003; not ADR-12 XADR-0004 ADR-00055"
            ),
            vec!["ADR-0001".to_string(), "ADR-0003".to_string()]
        );
    }

    #[test]
    fn empty_repo_and_no_repo_give_empty_history() {
        let tmp = tempfile::tempdir().expect("tempdir");
        assert!(history(tmp.path()).expect("no repo").commits.is_empty());
        git2::Repository::init(tmp.path()).expect("init");
        assert!(history(tmp.path()).expect("unborn").commits.is_empty());
        let err = default_version(tmp.path(), &out()).expect_err("no commits");
        assert!(err.to_string().contains("--version"), "{err}");
    }

    #[test]
    fn history_is_newest_first_with_mentions_and_detached_head_works() {
        let tmp = tempfile::tempdir().expect("tempdir");
        let repo = git2::Repository::init(tmp.path()).expect("init");
        let first = commit(&repo, "a", "First\n\nbody mentions ADR-0002", 1_700_000_000);
        commit(&repo, "b", "Second <script>", 1_700_000_100);
        let h = history(tmp.path()).expect("history");
        assert_eq!(h.commits.len(), 2);
        assert_eq!(h.commits[0].summary, "Second <script>");
        assert_eq!(h.commits[1].adrs, vec!["ADR-0002".to_string()]);
        assert_eq!(h.commits[1].time, "2023-11-14T22:13:20+00:00");
        let version = default_version(tmp.path(), &out()).expect("version");
        assert_eq!(version, h.commits[0].short_id);
        repo.set_head_detached(first).expect("detach");
        let h = history(tmp.path()).expect("detached history");
        assert_eq!(h.commits.len(), 1);
        assert_eq!(h.branch, None);
    }

    #[test]
    fn version_prefers_tag_and_marks_dirty() {
        let tmp = tempfile::tempdir().expect("tempdir");
        let repo = git2::Repository::init(tmp.path()).expect("init");
        let oid = commit(&repo, "a", "one", 1_700_000_000);
        let obj = repo.find_object(oid, None).expect("obj");
        repo.tag_lightweight("v1.0", &obj, false).expect("tag");
        assert_eq!(default_version(tmp.path(), &out()).expect("v"), "v1.0");
        std::fs::create_dir_all(tmp.path().join("site/x")).expect("mkdir");
        std::fs::write(tmp.path().join("site/x/index.html"), "out").expect("write");
        assert_eq!(default_version(tmp.path(), &out()).expect("v"), "v1.0");
        std::fs::remove_dir_all(tmp.path().join("site")).expect("rm");
        std::fs::create_dir_all(tmp.path().join("docs/site")).expect("mkdir");
        std::fs::write(tmp.path().join("docs/site/x.html"), "out").expect("write");
        assert_eq!(
            default_version(&tmp.path().join("docs"), &out()).expect("v"),
            "v1.0",
            "output of a site rooted in a subdirectory is not a change"
        );
        assert_eq!(
            default_version(tmp.path(), &out()).expect("v"),
            "v1.0-dirty"
        );
        std::fs::remove_dir_all(tmp.path().join("docs")).expect("rm");
        assert_eq!(default_version(tmp.path(), &out()).expect("v"), "v1.0");
        std::fs::write(tmp.path().join("a"), "changed").expect("write");
        assert_eq!(
            default_version(tmp.path(), &out()).expect("v"),
            "v1.0-dirty"
        );
    }

    #[test]
    fn recording_evidence_is_not_a_change_but_editing_sources_is() {
        let tmp = tempfile::tempdir().expect("tempdir");
        let repo = git2::Repository::init(tmp.path()).expect("init");
        std::fs::create_dir_all(tmp.path().join("evidence/run1")).expect("mkdir");
        commit(&repo, "evidence/chain-head.json", "{}", 1_699_999_000);
        let oid = commit(&repo, "evidence/run1/run.json", "{}", 1_700_000_000);
        let short = oid.to_string()[..8].to_string();
        // `sitegen run` adds a run folder and rewrites the committed chain head.
        std::fs::create_dir_all(tmp.path().join("evidence/run2")).expect("mkdir");
        std::fs::write(tmp.path().join("evidence/run2/run.json"), "{}").expect("write");
        std::fs::write(tmp.path().join("evidence/chain-head.json"), "{\"run\":2}").expect("write");
        assert_eq!(default_version(tmp.path(), &out()).expect("v"), short);
        std::fs::write(tmp.path().join("src.rs"), "fn main() {}").expect("write");
        assert_eq!(
            default_version(tmp.path(), &out()).expect("v"),
            format!("{short}-dirty")
        );
    }

    #[test]
    fn a_path_is_at_head_only_while_committed_and_unchanged() {
        let tmp = tempfile::tempdir().expect("tempdir");
        assert_eq!(committed_unchanged(tmp.path(), "a").expect("no repo"), None);
        let repo = git2::Repository::init(tmp.path()).expect("init");
        std::fs::create_dir_all(tmp.path().join("docs/adr")).expect("mkdir");
        commit(&repo, "docs/adr/one.md", "one", 1_700_000_000);
        let head = commit(&repo, "a", "a", 1_700_000_100).to_string();
        let at = |rel: &str| {
            committed_unchanged(tmp.path(), rel)
                .expect("status")
                .map(|a| a.commit)
        };
        assert_eq!(at("a"), Some(head.clone()));
        assert_eq!(at("docs/adr"), Some(head.clone()), "a folder");
        // A subdirectory root: the path is given from the repository's top folder.
        assert_eq!(
            committed_unchanged(&tmp.path().join("docs"), "adr/one.md").expect("status"),
            Some(AtCommit {
                commit: head.clone(),
                path: "docs/adr/one.md".into()
            })
        );
        std::fs::write(tmp.path().join("docs/adr/two.md"), "new").expect("write");
        assert_eq!(at("docs/adr"), None, "an untracked file under it");
        assert_eq!(at("docs/adr/two.md"), None, "untracked");
        assert_eq!(at("a"), Some(head.clone()), "a change elsewhere");
        std::fs::write(tmp.path().join("a"), "changed").expect("write");
        assert_eq!(at("a"), None, "changed");
        assert_eq!(at("missing"), None);
    }
}
