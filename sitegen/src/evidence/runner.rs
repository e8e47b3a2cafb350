//! Running checks: each configured command becomes one evidence record.
//!
//! Steps, per run: order the selected checks in waves (a check waits for its `depends_on`;
//! [`Config::run_order`]) → run each wave of normal checks in parallel threads, each with its
//! own timeout, with an indicatif progress line per check → then the bench checks
//! (`kind = "bench"`), one at a time in dependency order, each with nothing else of ours
//! running, so their figures measure the code rather than the load of the other checks → per check: spawn the command in its own process group, stream
//! stdout/stderr through bounded capture (head + tail kept, every byte hashed) → on timeout kill
//! the whole group → ingest the declared outputs and artifacts → decide the status. The
//! machine's [`conditions`](crate::evidence::conditions) (load average, CPU frequency,
//! governor) are read just before the command starts and again once its outputs are read. A check
//! that fails, times out or cannot start is recorded as such, never dropped.

use std::io::Read;
use std::path::Path;
use std::process::{Command, Stdio};
use std::sync::Mutex;
use std::time::{Duration, Instant, SystemTime};

use anyhow::{Result, bail};
use chrono::Utc;
use indicatif::{MultiProgress, ProgressBar, ProgressStyle};
use sha2::{Digest, Sha256};

use crate::evidence::conditions::{self, Conditions};
use crate::evidence::hash;
use crate::evidence::ingest;
use crate::evidence::metrics::{self, Metric};
use crate::evidence::record::{
    Artifact, Captured, Environment, EvidenceRecord, FORMAT_VERSION, Status,
};
use crate::model::config::{CheckConfig, Config, StdoutFormat};

/// Bytes of each stream kept at the start and at the end (so at most twice this is stored).
pub const CAPTURE_KEEP: usize = 16 * 1024;

/// Bounded capture of a stream: head and tail kept, every byte counted and hashed.
#[derive(Default)]
pub struct Capture {
    head: Vec<u8>,
    tail: std::collections::VecDeque<u8>,
    total: u64,
    hasher: Sha256,
    keep: usize,
}

impl Capture {
    /// A capture keeping `keep` bytes at each end.
    pub fn new(keep: usize) -> Capture {
        Capture {
            keep,
            ..Capture::default()
        }
    }

    /// Feeds bytes.
    pub fn push(&mut self, data: &[u8]) {
        self.hasher.update(data);
        self.total += data.len() as u64;
        let room = self.keep.saturating_sub(self.head.len());
        let (to_head, rest) = data.split_at(room.min(data.len()));
        self.head.extend_from_slice(to_head);
        for &b in rest {
            if self.tail.len() == self.keep {
                self.tail.pop_front();
            }
            self.tail.push_back(b);
        }
    }

    /// The full stream's bytes fed so far, kept text (with a marker where cut) and hash.
    pub fn finish(self) -> (Captured, Vec<u8>) {
        let kept = self.head.len() as u64 + self.tail.len() as u64;
        let truncated = kept < self.total;
        let mut text = String::from_utf8_lossy(&self.head).into_owned();
        if truncated {
            text.push_str(&format!("\n[… {} bytes not kept …]\n", self.total - kept));
        }
        let tail: Vec<u8> = self.tail.into_iter().collect();
        text.push_str(&String::from_utf8_lossy(&tail));
        let mut whole = self.head;
        if !truncated {
            whole.extend_from_slice(&tail);
        }
        (
            Captured {
                text,
                bytes: self.total,
                truncated,
                sha256: hash::hex(&self.hasher.finalize()),
            },
            whole,
        )
    }
}

fn pump(mut src: impl Read, keep: usize) -> (Captured, Vec<u8>, Option<String>) {
    let mut cap = Capture::new(keep);
    let mut buf = [0u8; 8192];
    let mut err = None;
    loop {
        match src.read(&mut buf) {
            Ok(0) => break,
            Ok(n) => cap.push(buf.get(..n).unwrap_or_default()),
            Err(e) if e.kind() == std::io::ErrorKind::Interrupted => {}
            Err(e) => {
                err = Some(e.to_string());
                break;
            }
        }
    }
    let (c, whole) = cap.finish();
    (c, whole, err)
}

fn kill_group(child: &mut std::process::Child) {
    #[cfg(unix)]
    {
        let _ = Command::new("kill")
            .args(["-KILL", "--", &format!("-{}", child.id())])
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .status();
    }
    let _ = child.kill();
}

struct Outcome {
    status: Status,
    exit_code: Option<i32>,
    message: Option<String>,
    stdout: Captured,
    stdout_whole: Vec<u8>,
    stderr: Captured,
}

/// The process a check runs in `root`: its command with `{root}` expanded, in its work dir,
/// with its environment, stdin closed, stdout and stderr piped, in a process group of its own
/// (so a timeout can kill everything it started). `None` for an empty command.
pub fn command_for(check: &CheckConfig, root: &Path) -> Option<(String, Command)> {
    let root_text = root.display().to_string();
    let expand = |s: &String| s.replace("{root}", &root_text);
    let (program, args) = check.command.split_first()?;
    let mut cmd = Command::new(expand(program));
    cmd.args(args.iter().map(expand))
        .current_dir(root.join(&check.workdir))
        .envs(check.env.iter().map(|(k, v)| (k, expand(v))))
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
    #[cfg(unix)]
    std::os::unix::process::CommandExt::process_group(&mut cmd, 0);
    Some((program.clone(), cmd))
}

fn execute(root: &Path, check: &CheckConfig, progress: &ProgressBar) -> Outcome {
    let Some((program, mut cmd)) = command_for(check, root) else {
        return Outcome {
            status: Status::Error,
            exit_code: None,
            message: Some("the check has an empty command".into()),
            stdout: Captured::default(),
            stdout_whole: Vec::new(),
            stderr: Captured::default(),
        };
    };
    let mut child = match cmd.spawn() {
        Ok(c) => c,
        Err(e) => {
            return Outcome {
                status: Status::Error,
                exit_code: None,
                message: Some(format!("could not start `{program}`: {e}")),
                stdout: Captured::default(),
                stdout_whole: Vec::new(),
                stderr: Captured::default(),
            };
        }
    };
    let keep_out = if matches!(check.stdout, StdoutFormat::Metrics | StdoutFormat::Json) {
        ingest::MAX_INPUT_BYTES as usize / 2
    } else {
        CAPTURE_KEEP
    };
    let out = child.stdout.take();
    let err = child.stderr.take();
    let start = Instant::now();
    let limit = Duration::from_secs(check.timeout_secs);
    std::thread::scope(|s| {
        let out_t = s.spawn(move || out.map(|o| pump(o, keep_out)));
        let err_t = s.spawn(move || err.map(|e| pump(e, CAPTURE_KEEP)));
        let mut timed_out = false;
        let wait = loop {
            match child.try_wait() {
                Ok(Some(status)) => break Ok(status),
                Ok(None) if start.elapsed() >= limit => {
                    timed_out = true;
                    kill_group(&mut child);
                    break child.wait();
                }
                Ok(None) => {
                    progress.tick();
                    std::thread::sleep(Duration::from_millis(50));
                }
                Err(e) => break Err(e),
            }
        };
        let (stdout, stdout_whole, _) = out_t.join().ok().flatten().unwrap_or_default();
        let (stderr, _, _) = err_t.join().ok().flatten().unwrap_or_default();
        let (status, exit_code, message) = match wait {
            _ if timed_out => (
                Status::Timeout,
                None,
                Some(format!("killed after {} s", check.timeout_secs)),
            ),
            Ok(st) if st.success() => (Status::Pass, st.code(), None),
            Ok(st) => (
                Status::Fail,
                st.code(),
                Some(match st.code() {
                    Some(c) => format!("exited with code {c}"),
                    None => "killed by a signal".to_string(),
                }),
            ),
            Err(e) => (Status::Error, None, Some(format!("while waiting: {e}"))),
        };
        Outcome {
            status,
            exit_code,
            message,
            stdout,
            stdout_whole,
            stderr,
        }
    })
}

/// Reads a check's outputs and artifacts after it ran; an error means the check's evidence is
/// incomplete.
fn collect(
    root: &Path,
    check: &CheckConfig,
    since: SystemTime,
    stdout: &[u8],
) -> Result<(Vec<Metric>, Vec<Artifact>, u64)> {
    let mut metrics_out = Vec::new();
    let mut artifacts = Vec::new();
    let mut failed = 0;
    if check.stdout == StdoutFormat::Metrics {
        let text = String::from_utf8_lossy(stdout);
        metrics_out.extend(ingest::json::parse_any(
            &format!("standard output of check `{}`", check.id),
            &text,
        )?);
    }
    if check.stdout == StdoutFormat::Json {
        serde_json::from_slice::<serde_json::Value>(stdout).map_err(|e| {
            anyhow::anyhow!(
                "standard output of check `{}` is not JSON (line {}, column {}): {e}",
                check.id,
                e.line(),
                e.column()
            )
        })?;
    }
    for rel in &check.outputs {
        let path = root.join(rel);
        if !path.exists() {
            bail!("output `{rel}` was not written");
        }
        if path.is_file() {
            let modified = std::fs::metadata(&path).and_then(|m| m.modified())?;
            if modified < since {
                bail!("output `{rel}` is older than this run (left over from an earlier one)");
            }
        }
        let ing = ingest::ingest_path(&path, &check.id, Some(since))?;
        metrics_out.extend(ing.metrics);
        failed += ing.failed_tests;
        for f in ing.files {
            let (sha256, size) = hash::file(&f)?;
            let rel = f
                .strip_prefix(root)
                .unwrap_or(&f)
                .to_string_lossy()
                .replace('\\', "/");
            artifacts.push(Artifact {
                path: rel,
                size,
                sha256,
            });
        }
    }
    for rel in &check.artifacts {
        let path = root.join(rel);
        let (sha256, size) = hash::file(&path)?;
        artifacts.push(Artifact {
            path: rel.clone(),
            size,
            sha256,
        });
    }
    metrics::validate(&format!("outputs of check `{}`", check.id), &metrics_out)?;
    Ok((metrics_out, artifacts, failed))
}

fn run_one(
    root: &Path,
    check: &CheckConfig,
    env: &Environment,
    bar: &ProgressBar,
) -> EvidenceRecord {
    let at_start = conditions::read();
    let started = Utc::now();
    // Coarse file clocks: allow one second of slack when deciding what this run wrote.
    let since = SystemTime::now() - Duration::from_secs(1);
    let t0 = Instant::now();
    let mut o = execute(root, check, bar);
    let mut metrics_out = Vec::new();
    let mut artifacts = Vec::new();
    if matches!(o.status, Status::Pass | Status::Fail) {
        match collect(root, check, since, &o.stdout_whole) {
            Ok((m, a, failed)) => {
                metrics_out = m;
                artifacts = a;
                if failed > 0 && o.status == Status::Pass {
                    o.status = Status::Fail;
                    o.message = Some(format!("{failed} tests failed"));
                }
            }
            Err(e) if o.status == Status::Pass => {
                o.status = Status::Error;
                o.message = Some(format!("{e:#}"));
            }
            Err(e) => {
                let m = o.message.take().unwrap_or_default();
                o.message = Some(format!("{m}; outputs unreadable: {e:#}"));
            }
        }
    }
    let duration_ms = t0.elapsed().as_millis() as u64;
    let at_end = conditions::read();
    EvidenceRecord {
        format_version: FORMAT_VERSION,
        check_id: check.id.clone(),
        phase: check.phase,
        status: o.status,
        command: check.command.clone(),
        workdir: check.workdir.clone(),
        started_at: started.to_rfc3339_opts(chrono::SecondsFormat::Millis, true),
        duration_ms,
        exit_code: o.exit_code,
        message: o.message,
        metrics: metrics_out,
        artifacts,
        stdout: o.stdout,
        stderr: o.stderr,
        environment: env.clone(),
        conditions: Some(Conditions {
            start: at_start,
            end: at_end,
        }),
        paired: None,
    }
}

/// Runs `ids` (all configured checks when empty is not allowed: pass the selection) and
/// returns one record per check, in the order given.
pub fn run_checks(
    root: &Path,
    config: &Config,
    ids: &[String],
    env: &Environment,
    show_progress: bool,
) -> Result<Vec<EvidenceRecord>> {
    let target = crate::util::output::progress_target(show_progress);
    run_checks_drawn(root, config, ids, env, target)
}

/// [`run_checks`] drawing its progress lines on `target`. Drawing errors (a closed or full
/// terminal) are ignored: they never stop or fail a run.
fn run_checks_drawn(
    root: &Path,
    config: &Config,
    ids: &[String],
    env: &Environment,
    target: indicatif::ProgressDrawTarget,
) -> Result<Vec<EvidenceRecord>> {
    for id in ids {
        if config.check(id).is_none() {
            bail!("unknown check `{id}` (not in sitegen.toml)");
        }
    }
    let multi = MultiProgress::with_draw_target(target);
    let style = ProgressStyle::with_template("{spinner} {prefix:<24} {elapsed:>4} {msg}")
        .unwrap_or_else(|_| ProgressStyle::default_spinner());
    let results: Mutex<Vec<EvidenceRecord>> = Mutex::new(Vec::new());
    // Normal waves first (parallel inside a wave), then one wave per bench check: a wave's
    // threads are all joined before the next wave starts.
    for wave in config.run_order(ids)? {
        let selected: Vec<&CheckConfig> = wave
            .iter()
            .filter(|id| ids.contains(id))
            .filter_map(|id| config.check(id))
            .collect();
        std::thread::scope(|s| {
            for check in selected {
                let bar = multi.add(ProgressBar::new_spinner());
                bar.set_style(style.clone());
                bar.set_prefix(check.id.clone());
                bar.set_message("running");
                let results = &results;
                s.spawn(move || {
                    let rec = run_one(root, check, env, &bar);
                    bar.finish_with_message(rec.status.as_str());
                    if let Ok(mut r) = results.lock() {
                        r.push(rec);
                    }
                });
            }
        });
    }
    let mut records = results
        .into_inner()
        .map_err(|_| anyhow::anyhow!("a check thread panicked while recording its result"))?;
    records.sort_by_key(|r| ids.iter().position(|i| i == &r.check_id));
    if records.len() != ids.len() {
        bail!(
            "{} of {} checks produced no record",
            ids.len() - records.len(),
            ids.len()
        );
    }
    Ok(records)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A terminal every write to which fails, as a closed or full standard error does.
    #[derive(Debug)]
    struct BrokenTerm;

    impl indicatif::TermLike for BrokenTerm {
        fn width(&self) -> u16 {
            80
        }
        fn move_cursor_up(&self, _: usize) -> std::io::Result<()> {
            Err(std::io::ErrorKind::BrokenPipe.into())
        }
        fn move_cursor_down(&self, _: usize) -> std::io::Result<()> {
            Err(std::io::ErrorKind::BrokenPipe.into())
        }
        fn move_cursor_right(&self, _: usize) -> std::io::Result<()> {
            Err(std::io::ErrorKind::BrokenPipe.into())
        }
        fn move_cursor_left(&self, _: usize) -> std::io::Result<()> {
            Err(std::io::ErrorKind::BrokenPipe.into())
        }
        fn write_line(&self, _: &str) -> std::io::Result<()> {
            Err(std::io::ErrorKind::StorageFull.into())
        }
        fn write_str(&self, _: &str) -> std::io::Result<()> {
            Err(std::io::ErrorKind::StorageFull.into())
        }
        fn clear_line(&self) -> std::io::Result<()> {
            Err(std::io::ErrorKind::BrokenPipe.into())
        }
        fn flush(&self) -> std::io::Result<()> {
            Err(std::io::ErrorKind::StorageFull.into())
        }
    }

    #[test]
    fn progress_lines_that_cannot_be_drawn_do_not_stop_the_run() {
        let dir = tempfile::tempdir().expect("tempdir");
        let text = "[[check]]\nid = \"a\"\ncommand = [\"sleep\", \"0.2\"]\n\n\
                    [[check]]\nid = \"b\"\ncommand = [\"true\"]\n";
        let config = Config::parse(&dir.path().join("sitegen.toml"), text).expect("config");
        let env = test_env();
        let ids = vec!["a".to_string(), "b".to_string()];
        let target = indicatif::ProgressDrawTarget::term_like(Box::new(BrokenTerm));
        let records = run_checks_drawn(dir.path(), &config, &ids, &env, target).expect("runs");
        let statuses: Vec<Status> = records.iter().map(|r| r.status).collect();
        assert_eq!(statuses, [Status::Pass, Status::Pass]);
    }

    fn test_env() -> Environment {
        Environment {
            git_commit: "0".repeat(40),
            dirty: false,
            rustc: String::new(),
            cargo_lock_sha256: None,
            os: String::new(),
            cpu: String::new(),
            cores: 1,
            ..Environment::default()
        }
    }

    /// A record's start and end, in milliseconds since the epoch.
    fn span(r: &EvidenceRecord) -> (i64, i64) {
        let start = chrono::DateTime::parse_from_rfc3339(&r.started_at)
            .expect("started_at")
            .timestamp_millis();
        (start, start + r.duration_ms as i64)
    }

    #[test]
    fn bench_checks_run_alone_after_every_normal_check() {
        let dir = tempfile::tempdir().expect("tempdir");
        let text = "[[check]]\nid = \"bench-a\"\nkind = \"bench\"\ncommand = [\"sleep\", \"0.3\"]\n\n\
                    [[check]]\nid = \"slow\"\ncommand = [\"sleep\", \"1\"]\n\n\
                    [[check]]\nid = \"bench-b\"\nkind = \"bench\"\ncommand = [\"sleep\", \"0.3\"]\n\n\
                    [[check]]\nid = \"quick\"\ncommand = [\"true\"]\n";
        let config = Config::parse(&dir.path().join("sitegen.toml"), text).expect("config");
        let ids: Vec<String> = ["bench-a", "slow", "bench-b", "quick"]
            .map(String::from)
            .into();
        let target = indicatif::ProgressDrawTarget::hidden();
        let records =
            run_checks_drawn(dir.path(), &config, &ids, &test_env(), target).expect("runs");
        assert!(records.iter().all(|r| r.status == Status::Pass));
        assert!(records.iter().all(|r| r.conditions.is_some()));
        let (benches, normal): (Vec<_>, Vec<_>) = records
            .iter()
            .partition(|r| r.check_id.starts_with("bench"));
        assert_eq!((benches.len(), normal.len()), (2, 2));
        for b in &benches {
            for n in &normal {
                assert!(
                    span(b).0 >= span(n).1,
                    "{} started before {} ended: {:?} {:?}",
                    b.check_id,
                    n.check_id,
                    span(b),
                    span(n)
                );
            }
        }
        let (a, b) = (span(benches[0]), span(benches[1]));
        assert!(a.1 <= b.0 || b.1 <= a.0, "benches overlapped: {a:?} {b:?}");
    }

    #[test]
    fn capture_keeps_head_and_tail_and_hashes_everything() {
        let data: Vec<u8> = (0..100u8).collect();
        let mut c = Capture::new(10);
        c.push(&data[..50]);
        c.push(&data[50..]);
        let (cap, _) = c.finish();
        assert_eq!(cap.bytes, 100);
        assert!(cap.truncated);
        assert_eq!(cap.sha256, hash::bytes(&data));
        assert!(cap.text.contains("80 bytes not kept"), "{}", cap.text);
        let mut small = Capture::new(10);
        small.push(b"hello");
        let (cap, whole) = small.finish();
        assert_eq!(
            (cap.text.as_str(), cap.truncated, whole.as_slice()),
            ("hello", false, &b"hello"[..])
        );
    }
}
