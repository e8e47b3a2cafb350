//! The workspace as Cargo sees it, read from the manifests with a deliberately small TOML
//! reader: the members, each member's package name, its normal dependencies and its crate roots.

use std::fs;
use std::path::{Path, PathBuf};

/// One workspace member.
#[derive(Debug, Clone)]
pub struct Member {
    /// The package name.
    pub name: String,
    /// The member's folder, relative to the workspace root (`engine`, `tools/archcheck`).
    pub dir: String,
    /// Names of its `[dependencies]` (not dev- or build-dependencies).
    pub dependencies: Vec<String>,
    /// Its crate roots: the library's and each binary's source file.
    pub roots: Vec<PathBuf>,
}

/// The TOML sections of a manifest as `(header, lines)`; the first has an empty header.
fn sections(text: &str) -> Vec<(String, Vec<String>)> {
    let mut out = vec![(String::new(), Vec::new())];
    for line in text.lines() {
        let trimmed = line.trim();
        if trimmed.starts_with('[') && !trimmed.starts_with("[\"") {
            out.push((trimmed.to_string(), Vec::new()));
        } else if let Some((_, lines)) = out.last_mut() {
            lines.push(trimmed.to_string());
        }
    }
    out
}

/// The string value of `key = "value"` in `lines`.
fn string_value(lines: &[String], key: &str) -> Option<String> {
    lines.iter().find_map(|line| {
        let (k, v) = line.split_once('=')?;
        (k.trim() == key).then(|| v.trim().trim_matches('"').to_string())
    })
}

/// Reads the workspace rooted at `root`.
pub fn read(root: &Path) -> Result<Vec<Member>, String> {
    let manifest = root.join("Cargo.toml");
    let text = fs::read_to_string(&manifest)
        .map_err(|e| format!("{}: cannot read: {e}", manifest.display()))?;
    let start = text
        .find("members")
        .ok_or_else(|| format!("{}: no `members` list in [workspace]", manifest.display()))?;
    let list = text
        .get(start..)
        .and_then(|rest| rest.get(rest.find('[')? + 1..rest.find(']')?))
        .ok_or_else(|| format!("{}: `members` is not a list", manifest.display()))?;
    list.split(',')
        .map(|s| s.trim().trim_matches('"'))
        .filter(|s| !s.is_empty())
        .map(|dir| member(root, dir))
        .collect()
}

fn member(root: &Path, dir: &str) -> Result<Member, String> {
    let manifest = root.join(dir).join("Cargo.toml");
    let text = fs::read_to_string(&manifest)
        .map_err(|e| format!("{}: cannot read: {e}", manifest.display()))?;
    let sections = sections(&text);
    let mut name = None;
    let mut dependencies = Vec::new();
    let mut roots = Vec::new();
    for (header, lines) in &sections {
        match header.as_str() {
            "[package]" => name = string_value(lines, "name"),
            "[dependencies]" => dependencies.extend(lines.iter().filter_map(|line| {
                let key = line.split(['=', '.']).next()?.trim();
                (!key.is_empty() && !key.starts_with('#')).then(|| key.to_string())
            })),
            "[lib]" | "[[bin]]" => {
                let default = if header == "[lib]" {
                    "src/lib.rs"
                } else {
                    "src/main.rs"
                };
                let path = string_value(lines, "path").unwrap_or_else(|| default.into());
                roots.push(root.join(dir).join(path));
            }
            other => {
                if let Some(dependency) = other
                    .strip_prefix("[dependencies.")
                    .and_then(|s| s.strip_suffix(']'))
                {
                    dependencies.push(dependency.to_string());
                }
            }
        }
    }
    for default in ["src/lib.rs", "src/main.rs"] {
        let path = root.join(dir).join(default);
        if path.is_file() && !roots.contains(&path) {
            roots.push(path);
        }
    }
    let name = name.ok_or_else(|| format!("{}: no [package] name", manifest.display()))?;
    Ok(Member {
        name,
        dir: dir.to_string(),
        dependencies,
        roots,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sections_and_dependencies() {
        let text = "[package]\nname = \"db\"\n\n[dependencies]\ncrc32c.workspace = true\nclap = { version = \"4\" }\n# a comment\n\n[dev-dependencies]\ntempfile = \"3\"\n\n[dependencies.serde]\nversion = \"1\"\n";
        let sections = sections(text);
        let deps: Vec<&str> = sections
            .iter()
            .find(|(h, _)| h == "[dependencies]")
            .map(|(_, lines)| lines.iter().map(String::as_str).collect())
            .unwrap_or_default();
        assert!(deps.contains(&"crc32c.workspace = true"));
        assert_eq!(string_value(&sections[1].1, "name").as_deref(), Some("db"));
    }
}
