//! The DuckDB side of `ldb bench tpch`: [`DuckDbPeer`], a long-lived Python process
//! (`scripts/olap/duckdb_peer.py` in the venv `scripts/olap/setup-duckdb` makes) spoken to in
//! JSON lines, so one run can alternate queries between Lightning and DuckDB.
//!
//! One request per line on the peer's standard input, one answer per line on its standard
//! output (the protocol is written at the head of the script); the peer's standard error is
//! ours, so a Python traceback shows. Dropping the peer sends `quit` and waits for it.

use std::io::{BufRead, BufReader, Write};
use std::path::{Path, PathBuf};
use std::process::{Child, ChildStdin, ChildStdout, Command, Stdio};

use anyhow::{Context, Result, bail};
use serde_json::{Value, json};

/// The peer script, relative to the workspace root.
pub const PEER_SCRIPT: &str = "scripts/olap/duckdb_peer.py";
/// The venv's Python, relative to the workspace root.
pub const VENV_PYTHON: &str = "target/olap-venv/bin/python";

/// The workspace root: the nearest ancestor of the current directory that holds
/// [`PEER_SCRIPT`], else the source tree `ldb` was built from.
pub fn workspace_root() -> Result<PathBuf> {
    let cwd = std::env::current_dir().context("while reading the current directory")?;
    let built = Path::new(env!("CARGO_MANIFEST_DIR")).join("../..");
    cwd.ancestors()
        .map(Path::to_path_buf)
        .chain(std::iter::once(built))
        .find(|dir| dir.join(PEER_SCRIPT).is_file())
        .context(
            "cannot find the workspace root (a folder holding scripts/olap/duckdb_peer.py) \
             above the current directory; run ldb from inside the Lightning DB repository",
        )
}

/// What loading the tables did.
#[derive(Clone, Debug, PartialEq)]
pub struct LoadResult {
    /// Seconds of CREATE TABLE, COPY and CHECKPOINT together.
    pub seconds: f64,
    /// The DuckDB file's size after the checkpoint.
    pub bytes: u64,
}

/// A query's answer.
#[derive(Clone, Debug, PartialEq)]
pub struct QueryResult {
    /// Seconds from execute to the last row fetched, measured inside the peer.
    pub seconds: f64,
    /// The result's column names.
    pub columns: Vec<String>,
    /// The rows: numbers as JSON numbers, timestamps and dates as ISO strings.
    pub rows: Vec<Vec<Value>>,
}

/// A running DuckDB peer process.
pub struct DuckDbPeer {
    child: Child,
    stdin: Option<ChildStdin>,
    stdout: BufReader<ChildStdout>,
}

impl DuckDbPeer {
    /// Starts the peer from the workspace at `root`; an error tells the user to run
    /// `scripts/olap/setup-duckdb` when the venv is missing.
    pub fn start(root: &Path) -> Result<DuckDbPeer> {
        let python = root.join(VENV_PYTHON);
        if !python.is_file() {
            bail!(
                "the DuckDB peer's Python venv is missing ({}): run scripts/olap/setup-duckdb \
                 first",
                python.display()
            );
        }
        let script = root.join(PEER_SCRIPT);
        let mut child = Command::new(&python)
            .arg(&script)
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::inherit())
            .spawn()
            .with_context(|| format!("while starting {} {}", python.display(), script.display()))?;
        let stdin = child
            .stdin
            .take()
            .context("the peer has no standard input")?;
        let stdout = child
            .stdout
            .take()
            .context("the peer has no standard output")?;
        Ok(DuckDbPeer {
            child,
            stdin: Some(stdin),
            stdout: BufReader::new(stdout),
        })
    }

    /// Sends one request and reads its answer; `{"ok": false}` becomes an error.
    fn request(&mut self, request: &Value) -> Result<Value> {
        let op = request["op"].as_str().unwrap_or("?").to_string();
        let stdin = self.stdin.as_mut().context("the peer was closed")?;
        writeln!(stdin, "{request}")
            .and_then(|()| stdin.flush())
            .with_context(|| format!("while sending `{op}` to the DuckDB peer"))?;
        let mut line = String::new();
        let n = self
            .stdout
            .read_line(&mut line)
            .with_context(|| format!("while reading the DuckDB peer's answer to `{op}`"))?;
        if n == 0 {
            bail!("the DuckDB peer exited before answering `{op}`");
        }
        let answer: Value = serde_json::from_str(&line)
            .with_context(|| format!("the DuckDB peer's answer to `{op}` is not JSON: {line}"))?;
        if answer["ok"] != Value::Bool(true) {
            bail!(
                "DuckDB `{op}` failed: {}",
                answer["error"].as_str().unwrap_or("no error message")
            );
        }
        Ok(answer)
    }

    /// Creates `tables` in the DuckDB file `db` from the CREATE TABLE statements of `schema`
    /// and loads each from `dir/<table>.csv`.
    pub fn load(
        &mut self,
        dir: &Path,
        tables: &[&str],
        schema: &Path,
        db: &Path,
    ) -> Result<LoadResult> {
        let answer = self.request(&json!({
            "op": "load",
            "dir": dir.display().to_string(),
            "tables": tables,
            "schema": schema.display().to_string(),
            "db": db.display().to_string(),
        }))?;
        Ok(LoadResult {
            seconds: answer["seconds"].as_f64().unwrap_or(0.0),
            bytes: answer["bytes"].as_u64().unwrap_or(0),
        })
    }

    /// Sets DuckDB's worker thread count.
    pub fn set_threads(&mut self, n: usize) -> Result<()> {
        self.request(&json!({"op": "threads", "n": n}))?;
        Ok(())
    }

    /// Runs one query and returns all its rows.
    pub fn query(&mut self, sql: &str) -> Result<QueryResult> {
        let answer = self.request(&json!({"op": "query", "sql": sql}))?;
        let columns = answer["columns"]
            .as_array()
            .map(|c| {
                c.iter()
                    .map(|v| v.as_str().unwrap_or_default().to_string())
                    .collect()
            })
            .unwrap_or_default();
        let rows = match answer.get("rows") {
            Some(Value::Array(rows)) => rows
                .iter()
                .map(|r| r.as_array().cloned().unwrap_or_default())
                .collect(),
            _ => bail!("the DuckDB peer's answer has no rows: {answer}"),
        };
        Ok(QueryResult {
            seconds: answer["seconds"].as_f64().unwrap_or(0.0),
            columns,
            rows,
        })
    }
}

impl Drop for DuckDbPeer {
    fn drop(&mut self) {
        if let Some(mut stdin) = self.stdin.take() {
            let _ = writeln!(stdin, "{}", json!({"op": "quit"}));
            // Closing standard input also ends the peer's read loop.
            drop(stdin);
        }
        let _ = self.child.wait();
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::cmd::tpch::generate::{Table, generate};

    #[test]
    fn duckdb_loads_generated_data_and_answers_q6() {
        let root = workspace_root().expect("the tests run inside the repository");
        if !root.join(VENV_PYTHON).is_file() {
            errln!(
                "skipped: no DuckDB venv at {} (run scripts/olap/setup-duckdb)",
                root.join(VENV_PYTHON).display()
            );
            return;
        }
        let dir = tempfile::tempdir().expect("temp dir");
        for table in [Table::Lineitem, Table::Orders] {
            generate(table, 0.01, dir.path()).expect("generates");
        }
        let mut peer = DuckDbPeer::start(&root).expect("starts");
        let schema = root.join("engine/ldb/tpch/schema.sql");
        let loaded = peer
            .load(
                dir.path(),
                &["lineitem", "orders"],
                &schema,
                &dir.path().join("tpch.duckdb"),
            )
            .expect("loads");
        assert!(loaded.bytes > 0);
        peer.set_threads(2).expect("threads");
        let count = peer.query("SELECT COUNT(*) FROM lineitem").expect("counts");
        assert_eq!(count.rows, vec![vec![json!(60_175)]]);
        let q6 =
            std::fs::read_to_string(root.join("engine/ldb/tpch/queries/q6.sql")).expect("q6.sql");
        let answer = peer.query(&q6).expect("q6 runs");
        assert_eq!(answer.rows.len(), 1, "{answer:?}");
        assert!(
            answer.rows[0][0].as_f64().is_some_and(|v| v > 0.0),
            "{answer:?}"
        );
        let err = peer.query("SELECT * FROM nope").expect_err("no such table");
        assert!(err.to_string().contains("DuckDB `query` failed"), "{err}");
        // The peer goes on after an error.
        assert_eq!(
            peer.query("SELECT 1").expect("runs").rows,
            vec![vec![json!(1)]]
        );
    }
}
