//! Compares the workspace with its map: every member has a section, its workspace dependencies
//! are the ones listed, the forbidden ones are absent, every module is listed, and every import
//! points down (to an earlier line) or sideways (to a peer on the same line), never up.

use std::collections::{BTreeSet, HashMap, HashSet};
use std::fs;
use std::path::{Path, PathBuf};

use crate::doc::{self, CrateMap};
use crate::items::{FileItems, scan};
use crate::workspace::{self, Member};

/// The outcome of a check.
#[derive(Debug, Default)]
pub struct Report {
    /// Crates checked.
    pub crates: usize,
    /// Module files scanned.
    pub modules: usize,
    /// Imports resolved to a module of their own crate and compared.
    pub imports: usize,
    /// One sentence per violation, each naming a file (and line).
    pub violations: Vec<String>,
}

/// The map's location, relative to the workspace root.
pub const MAP: &str = "docs/ARCHITECTURE.md";

/// Checks the workspace at `root` against its map.
pub fn run(root: &Path) -> Result<Report, String> {
    let map_path = root.join(MAP);
    let text = fs::read_to_string(&map_path)
        .map_err(|e| format!("{}: cannot read: {e}", map_path.display()))?;
    let maps = doc::parse(&text).map_err(|e| format!("{MAP}: {e}"))?;
    let members = workspace::read(root)?;
    let names: HashSet<&str> = members.iter().map(|m| m.name.as_str()).collect();
    let mut report = Report::default();
    for map in &maps {
        if !names.contains(map.name.as_str()) {
            report.violations.push(format!(
                "{MAP}:{}: crate `{}` is not a workspace member",
                map.line, map.name
            ));
        }
    }
    for member in &members {
        let Some(map) = maps.iter().find(|m| m.name == member.name) else {
            report.violations.push(format!(
                "{}/Cargo.toml: crate `{}` has no `## Crate` section in {MAP}",
                member.dir, member.name
            ));
            continue;
        };
        report.crates += 1;
        check_dependencies(member, map, &names, &mut report);
        check_modules(root, member, map, &mut report)?;
    }
    Ok(report)
}

fn check_dependencies(member: &Member, map: &CrateMap, names: &HashSet<&str>, report: &mut Report) {
    let actual: BTreeSet<&str> = member
        .dependencies
        .iter()
        .map(String::as_str)
        .filter(|d| names.contains(d))
        .collect();
    let listed: BTreeSet<&str> = map.depends_on.iter().map(String::as_str).collect();
    if actual != listed {
        report.violations.push(format!(
            "{}/Cargo.toml: `{}` depends on the workspace crates {:?}, but {MAP}:{} lists {:?}",
            member.dir, member.name, actual, map.line, listed
        ));
    }
    for forbidden in &map.never_depends_on {
        if member.dependencies.contains(forbidden) {
            report.violations.push(format!(
                "{}/Cargo.toml: `{}` depends on `{forbidden}`, which {MAP}:{} says it never depends on",
                member.dir, member.name, map.line
            ));
        }
    }
}

/// One scanned module file.
struct ModuleFile {
    path: Vec<String>,
    file: PathBuf,
    items: FileItems,
}

/// Walks the module tree from each crate root, following `mod name;` declarations.
fn walk(roots: &[PathBuf], report: &mut Report) -> Result<Vec<ModuleFile>, String> {
    let mut out = Vec::new();
    let mut seen = HashSet::new();
    let mut stack: Vec<(PathBuf, Vec<String>)> =
        roots.iter().map(|r| (r.clone(), Vec::new())).collect();
    while let Some((file, path)) = stack.pop() {
        if !seen.insert(file.clone()) {
            continue;
        }
        let source = fs::read_to_string(&file)
            .map_err(|e| format!("{}: cannot read: {e}", file.display()))?;
        let items = scan(&source);
        if items.test_only {
            continue;
        }
        for line in &items.path_attributes {
            report.violations.push(format!(
                "{}:{line}: a `#[path]` module outside tests; archcheck cannot follow it",
                file.display()
            ));
        }
        let stem = file.file_stem().and_then(|s| s.to_str()).unwrap_or("");
        let parent = file.parent().unwrap_or(Path::new("."));
        let dir = if matches!(stem, "lib" | "main" | "mod") {
            parent.to_path_buf()
        } else {
            parent.join(stem)
        };
        for name in &items.mods {
            let flat = dir.join(format!("{name}.rs"));
            let nested = dir.join(name).join("mod.rs");
            let child = if flat.is_file() { flat } else { nested };
            if !child.is_file() {
                return Err(format!(
                    "{}: declares `mod {name}` but neither {name}.rs nor {name}/mod.rs exists",
                    file.display()
                ));
            }
            let mut child_path = path.clone();
            child_path.push(name.clone());
            stack.push((child, child_path));
        }
        out.push(ModuleFile { path, file, items });
    }
    out.sort_by(|a, b| a.file.cmp(&b.file));
    Ok(out)
}

/// The absolute module path an import refers to, if it names this crate.
fn absolute(
    from: &[String],
    segments: &[String],
    children: &HashMap<Vec<String>, Vec<String>>,
) -> Option<Vec<String>> {
    let first = segments.first()?;
    let mut base: Vec<String> = match first.as_str() {
        "crate" => Vec::new(),
        "self" => from.to_vec(),
        "super" => {
            let ups = segments.iter().take_while(|s| *s == "super").count();
            let keep = from.len().checked_sub(ups)?;
            let mut base = from.get(..keep)?.to_vec();
            base.extend(segments.iter().skip(ups).cloned());
            return Some(base);
        }
        name if children
            .get(from)
            .is_some_and(|c| c.iter().any(|n| n == name)) =>
        {
            let mut base = from.to_vec();
            base.extend(segments.iter().cloned());
            return Some(base);
        }
        _ => return None,
    };
    base.extend(segments.iter().skip(1).cloned());
    Some(base)
}

/// The longest listed prefix of `path` and its layer.
fn owner<'a>(map: &'a CrateMap, path: &[String]) -> Option<&'a (Vec<String>, usize)> {
    map.modules
        .iter()
        .filter(|(listed, _)| path.starts_with(listed))
        .max_by_key(|(listed, _)| listed.len())
}

fn check_modules(
    root: &Path,
    member: &Member,
    map: &CrateMap,
    report: &mut Report,
) -> Result<(), String> {
    let files = walk(&member.roots, report)?;
    let show = |file: &Path| {
        file.strip_prefix(root)
            .unwrap_or(file)
            .display()
            .to_string()
    };
    let modules: HashSet<Vec<String>> = files.iter().map(|f| f.path.clone()).collect();
    let children: HashMap<Vec<String>, Vec<String>> = files
        .iter()
        .map(|f| (f.path.clone(), f.items.mods.clone()))
        .collect();
    for (listed, _) in &map.modules {
        if !modules.contains(listed) {
            report.violations.push(format!(
                "{MAP}: crate `{}` lists `{}`, which is not a module of {}",
                map.name,
                listed.join("::"),
                map.src
            ));
        }
    }
    // Names the crate root re-exports (`pub use wal::Lsn;`), so `crate::Lsn` resolves to `wal`.
    let mut reexports: HashMap<String, Vec<String>> = HashMap::new();
    for file in files.iter().filter(|f| f.path.is_empty()) {
        for import in file.items.imports.iter().filter(|i| i.public) {
            if let (Some(name), Some(target)) = (
                import.bound_name(),
                absolute(&[], &import.segments, &children),
            ) {
                reexports.insert(name.to_string(), target);
            }
        }
    }
    let resolve = |abs: Vec<String>| -> Vec<String> {
        let mut abs = abs;
        if let Some(first) = abs.first()
            && !modules.contains(&vec![first.clone()])
            && let Some(target) = reexports.get(first)
        {
            let mut replaced = target.clone();
            replaced.extend(abs.iter().skip(1).cloned());
            abs = replaced;
        }
        (0..=abs.len())
            .rev()
            .map(|n| abs.get(..n).unwrap_or_default().to_vec())
            .find(|prefix| modules.contains(prefix))
            .unwrap_or_default()
    };
    for file in &files {
        report.modules += 1;
        if file.path.is_empty() {
            continue;
        }
        let Some((from, from_layer)) = owner(map, &file.path) else {
            report.violations.push(format!(
                "{}: module `{}` of crate `{}` is not listed in {MAP}",
                show(&file.file),
                file.path.join("::"),
                map.name
            ));
            continue;
        };
        // One violation per line and imported module, however many names the line imports.
        let mut reported = HashSet::new();
        for import in &file.items.imports {
            let Some(abs) = absolute(&file.path, &import.segments, &children) else {
                continue;
            };
            let target = resolve(abs);
            if target.is_empty() {
                continue;
            }
            let Some((to, to_layer)) = owner(map, &target) else {
                continue;
            };
            report.imports += 1;
            if to != from && to_layer > from_layer && reported.insert((import.line, to.clone())) {
                report.violations.push(format!(
                    "{}:{}: `{}` imports `{}` ({}), which sits above it in {MAP}",
                    show(&file.file),
                    import.line,
                    from.join("::"),
                    to.join("::"),
                    import.segments.join("::")
                ));
            }
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A throwaway workspace under the system temp folder, removed on drop.
    struct Fixture(PathBuf);

    impl Fixture {
        fn new(name: &str, files: &[(&str, &str)]) -> Fixture {
            let dir = std::env::temp_dir().join(format!("archcheck-{name}-{}", std::process::id()));
            let _ = fs::remove_dir_all(&dir);
            for (path, text) in files {
                let path = dir.join(path);
                fs::create_dir_all(path.parent().expect("has a parent")).expect("mkdir");
                fs::write(path, text).expect("write");
            }
            Fixture(dir)
        }
    }

    impl Drop for Fixture {
        fn drop(&mut self) {
            let _ = fs::remove_dir_all(&self.0);
        }
    }

    const WORKSPACE: &str = "[workspace]\nmembers = [\"db\", \"cli\"]\n";
    const DB: &str = "[package]\nname = \"db\"\n[dependencies]\ncrc32c = \"1\"\n";
    const CLI: &str =
        "[package]\nname = \"cli\"\n[dependencies]\ndb = { path = \"../db\" }\nclap = \"4\"\n";
    const MAP_TEXT: &str = "## Crate `db` — `db/src`\nDepends on: nothing\nNever depends on: `clap`\n- `vfs` — files\n- `storage`, `util` — pages\n- `db` — the handle\n\n## Crate `cli` — `cli/src`\nDepends on: `db`\n- `cmd` — commands\n";

    fn fixture(name: &str, storage: &str) -> Fixture {
        Fixture::new(
            name,
            &[
                ("Cargo.toml", WORKSPACE),
                ("db/Cargo.toml", DB),
                ("cli/Cargo.toml", CLI),
                ("docs/ARCHITECTURE.md", MAP_TEXT),
                (
                    "db/src/lib.rs",
                    "mod vfs;\nmod storage;\nmod util;\nmod db;\npub use db::Handle;\n#[cfg(test)]\nmod tests;\n",
                ),
                ("db/src/vfs.rs", "pub struct File;\n"),
                ("db/src/storage/mod.rs", storage),
                ("db/src/storage/page.rs", "use super::super::vfs::File;\n"),
                ("db/src/util.rs", "use crate::storage::page;\n"),
                ("db/src/db.rs", "use crate::storage;\npub struct Handle;\n"),
                ("db/src/tests.rs", "use crate::Handle;\n"),
                ("cli/src/main.rs", "mod cmd;\nfn main() {}\n"),
                ("cli/src/cmd.rs", "use db::Handle;\n"),
            ],
        )
    }

    #[test]
    fn a_workspace_that_follows_its_map_passes() {
        let fixture = fixture(
            "clean",
            "mod page;\nuse crate::util;\n#[cfg(test)]\nmod t { use crate::db::Handle; }\n",
        );
        let report = run(&fixture.0).expect("runs");
        assert_eq!(report.violations, Vec::<String>::new());
        assert_eq!((report.crates, report.modules), (2, 8));
        assert_eq!(report.imports, 4);
    }

    #[test]
    fn an_upward_import_names_file_line_and_layers() {
        let fixture = fixture(
            "upward",
            "mod page;\n\nfn f() -> crate::Handle { make() }\n",
        );
        let report = run(&fixture.0).expect("runs");
        assert_eq!(
            report.violations,
            [
                "db/src/storage/mod.rs:3: `storage` imports `db` (crate::Handle), which sits above it in docs/ARCHITECTURE.md"
            ]
        );
    }

    #[test]
    fn dependencies_and_unlisted_modules_are_checked() {
        let fixture = fixture("deps", "mod page;\nmod extra;\n");
        fs::write(fixture.0.join("db/src/storage/extra.rs"), "").expect("write");
        fs::write(fixture.0.join("db/src/extra.rs"), "").expect("write");
        let lib = fs::read_to_string(fixture.0.join("db/src/lib.rs")).expect("read");
        fs::write(
            fixture.0.join("db/src/lib.rs"),
            format!("{lib}mod extra;\n"),
        )
        .expect("write");
        fs::write(
            fixture.0.join("db/Cargo.toml"),
            format!("{DB}clap = \"4\"\n"),
        )
        .expect("write");
        fs::write(
            fixture.0.join("docs/ARCHITECTURE.md"),
            MAP_TEXT
                .replace("- `cmd` — commands", "- `cmd`, `gone` — commands")
                .replace("Depends on: `db`", "Depends on: nothing"),
        )
        .expect("write");
        let report = run(&fixture.0).expect("runs");
        let all = report.violations.join("\n");
        assert!(
            all.contains("db/Cargo.toml: `db` depends on `clap`"),
            "{all}"
        );
        assert!(
            all.contains("`cli` depends on the workspace crates {\"db\"}"),
            "{all}"
        );
        assert!(all.contains("lists `gone`, which is not a module"), "{all}");
        assert!(
            all.contains("db/src/extra.rs: module `extra` of crate `db` is not listed"),
            "{all}"
        );
        assert_eq!(report.violations.len(), 4, "{all}");
    }

    #[test]
    fn a_member_without_a_section_is_a_violation() {
        let fixture = fixture("missing", "mod page;\n");
        fs::write(
            fixture.0.join("docs/ARCHITECTURE.md"),
            MAP_TEXT.split("## Crate `cli`").next().unwrap_or_default(),
        )
        .expect("write");
        let report = run(&fixture.0).expect("runs");
        assert_eq!(
            report.violations,
            ["cli/Cargo.toml: crate `cli` has no `## Crate` section in docs/ARCHITECTURE.md"]
        );
    }

    #[test]
    fn this_workspace_follows_its_map() {
        let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("../..");
        let report = run(&root).expect("docs/ARCHITECTURE.md and the manifests are readable");
        assert_eq!(
            report.violations,
            Vec::<String>::new(),
            "the code and docs/ARCHITECTURE.md disagree (cargo run -p archcheck lists it all)"
        );
        // The map is not vacuous: every crate is checked and most imports are internal ones.
        assert!(report.crates >= 5, "{report:?}");
        assert!(report.imports > 1000, "{report:?}");
    }
}
