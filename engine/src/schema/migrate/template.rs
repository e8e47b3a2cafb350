//! `migrate new NAME [--template T]`: the next-numbered up/down pair, empty or filled from a
//! template with `{{param}}` placeholders. Every placeholder of the template must be given and
//! every given parameter must be used; otherwise a clear error lists what the template takes.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use super::error::{MigrateError, Result};
use super::files::{self, MigrationSet};

/// A built-in template: its name, what it is for, its up and down text.
pub struct Template {
    /// The name `--template` takes.
    pub name: &'static str,
    /// One line on what it does.
    pub about: &'static str,
    /// The up file's text.
    pub up: &'static str,
    /// The down file's text.
    pub down: &'static str,
}

/// The built-in templates.
pub const TEMPLATES: &[Template] = &[
    Template {
        name: "create-table",
        about: "a table with a BIGINT primary key `id` and one more column",
        up: "CREATE TABLE {{table}} (\n    id BIGINT NOT NULL PRIMARY KEY,\n    {{column}} {{type}}\n);\n",
        down: "DROP TABLE {{table}};\n",
    },
    Template {
        name: "add-column",
        about: "a column added to an existing table",
        up: "ALTER TABLE {{table}} ADD COLUMN {{column}} {{type}};\n",
        down: "ALTER TABLE {{table}} DROP COLUMN {{column}};\n",
    },
    Template {
        name: "add-index",
        about: "a secondary index on one column of an existing table",
        up: "CREATE INDEX {{index}} ON {{table}} ({{column}});\n",
        down: "DROP INDEX {{index}};\n",
    },
];

/// The placeholders of `text`, in order of first appearance.
pub fn placeholders(text: &str) -> Vec<String> {
    let mut out: Vec<String> = Vec::new();
    let mut rest = text;
    while let Some(start) = rest.find("{{") {
        let after = &rest[start + 2..];
        let Some(end) = after.find("}}") else { break };
        let name = after[..end].trim().to_string();
        if !out.contains(&name) {
            out.push(name);
        }
        rest = &after[end + 2..];
    }
    out
}

fn fill(text: &str, params: &BTreeMap<String, String>) -> String {
    let mut out = text.to_string();
    for (k, v) in params {
        out = out.replace(&format!("{{{{{k}}}}}"), v);
    }
    out
}

/// The up and down text of template `name` with `params` filled in.
pub fn render(name: &str, params: &BTreeMap<String, String>) -> Result<(String, String)> {
    let known: Vec<&str> = TEMPLATES.iter().map(|t| t.name).collect();
    let Some(t) = TEMPLATES.iter().find(|t| t.name == name) else {
        return Err(MigrateError::Template {
            template: name.into(),
            reason: format!("no such template (known: {})", known.join(", ")),
        });
    };
    let mut wanted = placeholders(t.up);
    for p in placeholders(t.down) {
        if !wanted.contains(&p) {
            wanted.push(p);
        }
    }
    let takes = format!("it takes --param {}", wanted.join("=… --param "));
    if let Some(extra) = params.keys().find(|k| !wanted.contains(k)) {
        return Err(MigrateError::Template {
            template: name.into(),
            reason: format!("unknown parameter `{extra}` ({takes}=…)"),
        });
    }
    let missing: Vec<&String> = wanted.iter().filter(|w| !params.contains_key(*w)).collect();
    if !missing.is_empty() {
        let list: Vec<&str> = missing.iter().map(|s| s.as_str()).collect();
        return Err(MigrateError::Template {
            template: name.into(),
            reason: format!("missing parameter(s) {} ({takes}=…)", list.join(", ")),
        });
    }
    if let Some((k, v)) = params
        .iter()
        .find(|(_, v)| v.is_empty() || v.contains(['\n', ';']))
    {
        return Err(MigrateError::Template {
            template: name.into(),
            reason: format!("parameter `{k}` = `{v}` must be non-empty, one line, without `;`"),
        });
    }
    Ok((fill(t.up, params), fill(t.down, params)))
}

/// Writes the next-numbered pair `NNNN_name.up.sql` / `.down.sql` into `set`'s folder (from
/// `template` with `params`, or with a comment when no template is given). Never overwrites.
pub fn create(
    set: &MigrationSet,
    name: &str,
    template: Option<&str>,
    params: &BTreeMap<String, String>,
) -> Result<(PathBuf, PathBuf)> {
    let version = set.latest() + 1;
    let stem = format!("{version:04}_{name}");
    files::parse_name(&format!("{stem}.up.sql")).map_err(|reason| MigrateError::BadFile {
        path: set.dir.join(format!("{stem}.up.sql")),
        reason,
    })?;
    let (up, down) = match template {
        Some(t) => render(t, params)?,
        None if !params.is_empty() => {
            return Err(MigrateError::Invalid(
                "--param needs --template".to_string(),
            ));
        }
        None => (
            format!("-- {stem}: the change, in SQL statements separated by `;`.\n"),
            format!("-- {stem}: the statements that undo the up file.\n"),
        ),
    };
    let up_path = set.dir.join(format!("{stem}.up.sql"));
    let down_path = set.dir.join(format!("{stem}.down.sql"));
    write_new(&up_path, &up)?;
    if let Err(e) = write_new(&down_path, &down) {
        let _ = std::fs::remove_file(&up_path);
        return Err(e);
    }
    Ok((up_path, down_path))
}

fn write_new(path: &Path, text: &str) -> Result<()> {
    use std::io::Write;
    let mut f = std::fs::OpenOptions::new()
        .write(true)
        .create_new(true)
        .open(path)
        .map_err(|e| MigrateError::io(path, e))?;
    f.write_all(text.as_bytes())
        .and_then(|()| f.sync_all())
        .map_err(|e| MigrateError::io(path, e))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn params(pairs: &[(&str, &str)]) -> BTreeMap<String, String> {
        pairs
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect()
    }

    #[test]
    fn templates_fill_and_refuse_bad_parameters() {
        let (up, down) = render(
            "add-column",
            &params(&[("table", "users"), ("column", "email"), ("type", "TEXT")]),
        )
        .expect("renders");
        assert_eq!(up, "ALTER TABLE users ADD COLUMN email TEXT;\n");
        assert_eq!(down, "ALTER TABLE users DROP COLUMN email;\n");
        let err = render("add-column", &params(&[("table", "users")]))
            .expect_err("missing")
            .to_string();
        assert!(err.contains("missing parameter(s) column, type"), "{err}");
        let err = render(
            "add-index",
            &params(&[
                ("table", "t"),
                ("column", "c"),
                ("index", "i"),
                ("colour", "x"),
            ]),
        )
        .expect_err("unknown")
        .to_string();
        assert!(err.contains("unknown parameter `colour`"), "{err}");
        let err = render("nope", &params(&[]))
            .expect_err("no such")
            .to_string();
        assert!(
            err.contains("known: create-table, add-column, add-index"),
            "{err}"
        );
        let err = render(
            "create-table",
            &params(&[
                ("table", "t; DROP TABLE x"),
                ("column", "c"),
                ("type", "TEXT"),
            ]),
        )
        .expect_err("injection");
        assert!(err.to_string().contains("without `;`"), "{err}");
    }

    #[test]
    fn new_writes_the_next_numbered_pair_and_never_overwrites() {
        let dir = tempfile::tempdir().expect("tempdir");
        std::fs::write(dir.path().join("0007_old.up.sql"), "x").expect("write");
        let set = files::read_dir(dir.path()).expect("reads");
        let (up, down) = create(
            &set,
            "add_email",
            Some("add-column"),
            &params(&[("table", "users"), ("column", "email"), ("type", "TEXT")]),
        )
        .expect("creates");
        assert!(up.ends_with("0008_add_email.up.sql"), "{}", up.display());
        assert!(down.ends_with("0008_add_email.down.sql"));
        let set2 = files::read_dir(dir.path()).expect("reads again");
        assert_eq!(set2.latest(), 8);
        // The same set again would pick 0008 again: refused, nothing overwritten.
        let err = create(&set, "add_email", None, &BTreeMap::new()).expect_err("exists");
        assert!(err.to_string().contains("0008_add_email.up.sql"), "{err}");
        assert!(create(&set2, "bad name", None, &BTreeMap::new()).is_err());
    }
}
