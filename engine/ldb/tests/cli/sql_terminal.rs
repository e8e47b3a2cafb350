//! The interactive `ldb sql` on a terminal: line editing, Ctrl-C dropping the statement being
//! typed, the continuation prompt, Ctrl-D ending the input, and the history file. The terminal
//! is a pseudo-terminal made by util-linux `script`; without it the test says so and passes.
//! Each key sequence is sent only once the prompt it answers has appeared, so the test does
//! not depend on timing.

use std::io::{Read, Write};
use std::process::{Command, Stdio};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use crate::common::{ok, s};

/// Output collected from the terminal so far.
type Screen = Arc<Mutex<Vec<u8>>>;

/// Waits until `needle` has appeared `count` times on `screen` (10 s at most).
fn wait_for(screen: &Screen, needle: &str, count: usize) {
    let deadline = Instant::now() + Duration::from_secs(10);
    loop {
        let text = String::from_utf8_lossy(&screen.lock().expect("screen")).into_owned();
        if text.matches(needle).count() >= count {
            return;
        }
        assert!(
            Instant::now() < deadline,
            "`{needle}` did not appear {count} times; the terminal shows:\n{text}"
        );
        std::thread::sleep(Duration::from_millis(20));
    }
}

#[test]
fn the_terminal_session_edits_lines_cancels_and_keeps_history() {
    if Command::new("script").arg("--version").output().is_err() {
        eprintln!("note: util-linux `script` is not installed; the terminal session is not tested");
        return;
    }
    let tmp = tempfile::tempdir().expect("tempdir");
    let db = tmp.path().join("db");
    let history = tmp.path().join("history");
    ok(&["init", &s(&db)]);
    let command = format!("{} sql {}", env!("CARGO_BIN_EXE_ldb"), s(&db));
    let mut child = Command::new("script")
        .args(["-q", "-e", "-c", &command, "/dev/null"])
        .env("LDB_HISTORY", &history)
        .env("TERM", "xterm")
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .expect("spawn script");
    let mut stdin = child.stdin.take().expect("stdin");
    let mut stdout = child.stdout.take().expect("stdout");
    let screen: Screen = Arc::default();
    let reader = {
        let screen = Arc::clone(&screen);
        std::thread::spawn(move || {
            let mut buf = [0u8; 4096];
            while let Ok(n) = stdout.read(&mut buf) {
                if n == 0 {
                    break;
                }
                screen.lock().expect("screen").extend_from_slice(&buf[..n]);
            }
        })
    };
    let count = |needle: &str| {
        String::from_utf8_lossy(&screen.lock().expect("screen"))
            .matches(needle)
            .count()
    };
    // Types `keys` and waits for `until` to appear once more than before.
    let mut type_keys = |keys: &[u8], until: &str| {
        let before = count(until);
        stdin.write_all(keys).expect("type");
        stdin.flush().expect("flush");
        wait_for(&screen, until, before + 1);
    };
    wait_for(&screen, "ldb> ", 1);
    type_keys(
        b"CREATE TABLE t (id BIGINT PRIMARY KEY, name TEXT);\r",
        "CREATE TABLE: done",
    );
    wait_for(&screen, "ldb> ", 2);
    // Ctrl-C drops the half-typed statement: nothing runs, a fresh prompt appears.
    type_keys(b"INSERT INTO t VALUES (1, 'dropped\x03", "ldb> ");
    type_keys(b"INSERT INTO t VALUES (2, 'b');\r", "INSERT: 1 row(s)");
    wait_for(&screen, "ldb> ", 4);
    // Up arrow brings the INSERT back; eight backspaces remove `2, 'b');`, then it is retyped.
    type_keys(b"\x1b[A", "INSERT INTO t VALUES (2, 'b');");
    type_keys(
        b"\x7f\x7f\x7f\x7f\x7f\x7f\x7f\x7f3, 'c');\r",
        "INSERT: 1 row(s)",
    );
    // A statement over two lines gets the continuation prompt.
    type_keys(b"SELECT id, name FROM t\r", "  ...> ");
    let prompts = count("ldb> ");
    type_keys(b"ORDER BY id;\r", "(2 rows)");
    wait_for(&screen, "ldb> ", prompts + 1);
    // Ctrl-D at the prompt ends the session.
    stdin.write_all(b"\x04").expect("type");
    stdin.flush().expect("flush");
    let status = child.wait().expect("ldb ends");
    reader.join().expect("reader");
    let text = String::from_utf8_lossy(&screen.lock().expect("screen")).into_owned();
    assert!(status.success(), "ldb sql failed:\n{text}");
    assert!(
        !text.contains("dropped'"),
        "the cancelled statement ran:\n{text}"
    );
    assert!(
        text.contains(" 3 | c"),
        "the edited INSERT did not run:\n{text}"
    );
    let saved = std::fs::read_to_string(&history).expect("history file");
    for line in [
        "CREATE TABLE t (id BIGINT PRIMARY KEY, name TEXT);",
        "INSERT INTO t VALUES (3, 'c');",
        "ORDER BY id;",
    ] {
        assert!(saved.contains(line), "history lacks `{line}`:\n{saved}");
    }
    assert!(!saved.contains("dropped"), "{saved}");
    // The table holds exactly what ran.
    let rows = ok(&["sql", &s(&db), "SELECT id FROM t ORDER BY id", "--json"]);
    assert!(rows.contains("[[2],[3]]"), "{rows}");
}
