//! Reads the architecture map, `docs/ARCHITECTURE.md`.
//!
//! The parts this checker reads:
//!
//! ```text
//! ## Crate `lightning-db` — `engine/src`
//! Depends on: `lightning-metrics`            (the workspace crates it may link; or "nothing")
//! Never depends on: `clap`, `anyhow`         (crates that must not be its dependencies)
//! - `vfs` — file I/O behind a trait          (modules, bottom-up: one line per layer)
//! - `storage`, `util` — …                    (modules on one line are peers)
//! ```
//!
//! A module may import the modules on earlier lines and its peers, never a later line. A nested
//! module (`site::render`) owns its whole subtree unless a deeper one is listed too.

use std::fmt;

/// The map of one crate.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CrateMap {
    /// The package name.
    pub name: String,
    /// The source folder, relative to the workspace root.
    pub src: String,
    /// Workspace crates it may depend on.
    pub depends_on: Vec<String>,
    /// Crates that must not be among its dependencies.
    pub never_depends_on: Vec<String>,
    /// Listed modules as `(path, layer)`; a larger layer sits higher.
    pub modules: Vec<(Vec<String>, usize)>,
    /// The line of the crate's heading.
    pub line: usize,
}

/// A line of the map that does not say what the checker expects.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DocError {
    /// 1-based line in the document.
    pub line: usize,
    /// What was expected.
    pub message: String,
}

impl fmt::Display for DocError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "line {}: {}", self.line, self.message)
    }
}

/// The backticked spans of a line, in order.
fn backticked(text: &str) -> Vec<String> {
    text.split('`')
        .enumerate()
        .filter(|(k, _)| k % 2 == 1)
        .map(|(_, s)| s.trim().to_string())
        .collect()
}

/// Parses the document into one map per crate.
pub fn parse(text: &str) -> Result<Vec<CrateMap>, DocError> {
    let mut maps: Vec<CrateMap> = Vec::new();
    // False after a heading that is not a crate's: its lists are prose, not the map.
    let mut in_crate = false;
    for (index, raw) in text.lines().enumerate() {
        let line = index + 1;
        let trimmed = raw.trim();
        if let Some(rest) = trimmed.strip_prefix("## ") {
            in_crate = false;
            if let Some(heading) = rest.strip_prefix("Crate ") {
                let names = backticked(heading);
                let [name, src] = names.as_slice() else {
                    return Err(DocError {
                        line,
                        message: "expected ``## Crate `name` — `path/src` ``".into(),
                    });
                };
                maps.push(CrateMap {
                    name: name.clone(),
                    src: src.clone(),
                    depends_on: Vec::new(),
                    never_depends_on: Vec::new(),
                    modules: Vec::new(),
                    line,
                });
                in_crate = true;
            }
            continue;
        }
        let Some(current) = maps.last_mut().filter(|_| in_crate) else {
            continue;
        };
        if let Some(rest) = trimmed.strip_prefix("Depends on:") {
            current.depends_on = backticked(rest);
        } else if let Some(rest) = trimmed.strip_prefix("Never depends on:") {
            current.never_depends_on = backticked(rest);
        } else if trimmed.starts_with("- `") {
            let head = trimmed
                .split(" — ")
                .next()
                .unwrap_or(trimmed)
                .split(" - ")
                .next()
                .unwrap_or(trimmed);
            let layer = current.modules.last().map_or(0, |(_, l)| l + 1);
            for module in backticked(head) {
                let path: Vec<String> = module.split("::").map(str::to_string).collect();
                if path
                    .iter()
                    .any(|s| s.is_empty() || !s.chars().all(|c| c.is_alphanumeric() || c == '_'))
                {
                    return Err(DocError {
                        line,
                        message: format!("`{module}` is not a module path"),
                    });
                }
                if current.modules.iter().any(|(p, _)| *p == path) {
                    return Err(DocError {
                        line,
                        message: format!("`{module}` is listed twice"),
                    });
                }
                current.modules.push((path, layer));
            }
        }
    }
    Ok(maps)
}

#[cfg(test)]
mod tests {
    use super::*;

    const MAP: &str = "# Architecture\n\n## Crate `db` — `db/src`\nDepends on: `metrics`\nNever depends on: `clap`, `anyhow`\n\n- `vfs` — files\n- `storage`, `util` — pages\n- `site::render` - rendering\n\n## Other\n- `ignored`\n";

    #[test]
    fn reads_crates_dependencies_and_layers() {
        let maps = parse(MAP).expect("parses");
        assert_eq!(maps.len(), 1);
        let db = &maps[0];
        assert_eq!(
            (db.name.as_str(), db.src.as_str(), db.line),
            ("db", "db/src", 3)
        );
        assert_eq!(db.depends_on, ["metrics"]);
        assert_eq!(db.never_depends_on, ["clap", "anyhow"]);
        let layers: Vec<(String, usize)> =
            db.modules.iter().map(|(p, l)| (p.join("::"), *l)).collect();
        assert_eq!(
            layers,
            [
                ("vfs".to_string(), 0),
                ("storage".to_string(), 1),
                ("util".to_string(), 1),
                ("site::render".to_string(), 2)
            ]
        );
    }

    #[test]
    fn a_bad_heading_or_module_names_its_line() {
        let error = parse("## Crate `db`\n").expect_err("one name only");
        assert_eq!(error.line, 1);
        let error = parse("## Crate `a` — `a/src`\n- `x`\n- `x` — again\n").expect_err("twice");
        assert_eq!(
            (error.line, error.message.as_str()),
            (3, "`x` is listed twice")
        );
        let error = parse("## Crate `a` — `a/src`\n- `x y`\n").expect_err("bad path");
        assert_eq!(error.line, 2);
    }
}
