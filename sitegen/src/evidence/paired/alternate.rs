//! Running one check alternately at the baseline and at the current tree.
//!
//! Steps, per check: a warm-up run at each side (it builds the binary, e.g. through
//! `cargo run`; its values are not kept) → hash each side's binary → `rounds` rounds, each
//! running both sides back to back, the baseline first in odd rounds and the current tree first
//! in even ones (A B, B A, A B, … — a linear drift then weighs on both sides alike) → one
//! [`Pair`] of metric values per round. Each run is the check's command in its own working
//! directory inside that side's tree (`{root}` = the tree), with its timeout; any run that
//! fails, times out or prints no metrics ends the pairing with the reason. The rounds
//! themselves ([`rounds`]) take the run of one side as a function, so the gate drill
//! (`evidence::drill`) alternates the same way within one tree.

use std::collections::BTreeMap;
use std::io::Read;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use crate::evidence::hash;
use crate::evidence::ingest;
use crate::evidence::metrics::Metric;
use crate::evidence::record::{Artifact, Pair};
use crate::model::config::{CheckConfig, StdoutFormat};

/// Which side a run measures.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Side {
    /// The baseline commit, in its worktree.
    Baseline,
    /// The current tree (the repository's work tree, as it is).
    Current,
}

impl Side {
    /// `baseline` or `current`.
    pub fn as_str(self) -> &'static str {
        match self {
            Side::Baseline => "baseline",
            Side::Current => "current",
        }
    }

    /// How messages name it: `baseline` or `current tree`.
    pub fn describe(self) -> &'static str {
        match self {
            Side::Baseline => "baseline",
            Side::Current => "current tree",
        }
    }
}

/// The order of the two runs in round `round` (from 1): the baseline first in odd rounds.
pub fn order(round: u32) -> [Side; 2] {
    if round % 2 == 1 {
        [Side::Baseline, Side::Current]
    } else {
        [Side::Current, Side::Baseline]
    }
}

/// The two trees a check runs in.
#[derive(Debug, Clone)]
pub struct Trees {
    /// The baseline worktree.
    pub baseline: PathBuf,
    /// The current tree (the repository root).
    pub current: PathBuf,
}

impl Trees {
    fn of(&self, side: Side) -> &Path {
        match side {
            Side::Baseline => &self.baseline,
            Side::Current => &self.current,
        }
    }
}

/// What the alternating runs of one check produced.
#[derive(Debug, Clone, Default)]
pub struct Alternated {
    /// Each side's binary after its warm-up (baseline, current).
    pub binaries: [Option<Artifact>; 2],
    /// One pair per completed round.
    pub pairs: Vec<Pair>,
    /// Unit and direction of each metric, from the current side's last run.
    pub metrics: BTreeMap<String, Metric>,
    /// Why the pairing stopped, when it did: `not pairable: …`.
    pub failure: Option<String>,
}

/// Runs the command of `check` once in `tree`, with `env` added to its environment, and returns
/// its metrics, or why not.
pub fn run_once(
    check: &CheckConfig,
    tree: &Path,
    env: &[(&str, String)],
) -> Result<Vec<Metric>, String> {
    let Some((program, mut cmd)) = crate::evidence::runner::command_for(check, tree) else {
        return Err("the check has an empty command".into());
    };
    cmd.envs(env.iter().map(|(k, v)| (k, v)));
    let mut child = cmd
        .spawn()
        .map_err(|e| format!("could not start `{program}`: {e}"))?;
    let limit = Duration::from_secs(check.timeout_secs);
    let start = Instant::now();
    let out = child.stdout.take();
    let err = child.stderr.take();
    let (status, stdout, stderr) = std::thread::scope(|s| {
        let read_all = |src: Option<Box<dyn Read + Send>>| {
            let mut buf = Vec::new();
            if let Some(mut r) = src {
                let _ = r.read_to_end(&mut buf);
            }
            buf
        };
        let out_t = s.spawn(move || read_all(out.map(|o| Box::new(o) as Box<dyn Read + Send>)));
        let err_t = s.spawn(move || read_all(err.map(|e| Box::new(e) as Box<dyn Read + Send>)));
        let status = loop {
            match child.try_wait() {
                Ok(Some(st)) => break Ok(st),
                Ok(None) if start.elapsed() >= limit => {
                    #[cfg(unix)]
                    let _ = Command::new("kill")
                        .args(["-KILL", "--", &format!("-{}", child.id())])
                        .stdout(Stdio::null())
                        .stderr(Stdio::null())
                        .status();
                    let _ = child.kill();
                    let _ = child.wait();
                    break Err(format!("killed after {} s", check.timeout_secs));
                }
                Ok(None) => std::thread::sleep(Duration::from_millis(20)),
                Err(e) => break Err(format!("while waiting: {e}")),
            }
        };
        (
            status,
            out_t.join().unwrap_or_default(),
            err_t.join().unwrap_or_default(),
        )
    });
    let status = status?;
    if !status.success() {
        let last = String::from_utf8_lossy(&stderr)
            .lines()
            .rev()
            .find(|l| !l.trim().is_empty())
            .map(|l| format!(": {}", l.trim()))
            .unwrap_or_default();
        return Err(match status.code() {
            Some(c) => format!("exited with code {c}{last}"),
            None => format!("killed by a signal{last}"),
        });
    }
    ingest::json::parse_any(
        &format!("standard output of check `{}`", check.id),
        &String::from_utf8_lossy(&stdout),
    )
    .map_err(|e| format!("{e:#}"))
}

/// The binary of `check` in `tree`: the declared `binary`, else the first command word that
/// names a file in the check's working directory; hashed.
pub fn binary(check: &CheckConfig, tree: &Path) -> Result<Artifact, String> {
    let rel = match &check.binary {
        Some(b) => b.clone(),
        None => {
            let root_text = tree.display().to_string();
            let workdir = tree.join(&check.workdir);
            let found = check.command.iter().find_map(|w| {
                let w = w.replace("{root}", &root_text);
                let p = workdir.join(&w);
                p.is_file().then(|| {
                    p.strip_prefix(tree)
                        .map(|r| r.to_string_lossy().replace('\\', "/"))
                        .unwrap_or(w)
                })
            });
            found.ok_or_else(|| {
                "no command word names a file in the tree; declare `binary` for the check"
                    .to_string()
            })?
        }
    };
    let (sha256, size) =
        hash::file(&tree.join(&rel)).map_err(|e| format!("binary `{rel}`: {e:#}"))?;
    Ok(Artifact {
        path: rel,
        size,
        sha256,
    })
}

/// Runs `check` alternately in `trees` for `count` rounds; `progress` hears of every run.
pub fn alternate(
    check: &CheckConfig,
    trees: &Trees,
    count: u32,
    progress: &dyn Fn(&str),
) -> Alternated {
    let mut alt = Alternated::default();
    if check.stdout != StdoutFormat::Metrics {
        alt.failure = Some(format!(
            "not pairable: pairing reads metrics from standard output, and check `{}` does \
             not declare stdout = \"metrics\"",
            check.id
        ));
        return alt;
    }
    // The baseline side may spell the same measurement as its own CLI does.
    let baseline_check = check.at_baseline();
    let at = |side: Side| match side {
        Side::Baseline => &baseline_check,
        Side::Current => check,
    };
    for (i, side) in [Side::Baseline, Side::Current].into_iter().enumerate() {
        progress(&format!(
            "{}: warm-up and build at the {}",
            check.id,
            side.describe()
        ));
        let tree = trees.of(side);
        let outcome = run_once(at(side), tree, &[]).and_then(|_| binary(at(side), tree));
        match outcome {
            Ok(b) => {
                if let Some(slot) = alt.binaries.get_mut(i) {
                    *slot = Some(b);
                }
            }
            Err(why) => {
                alt.failure = Some(format!(
                    "not pairable: the check fails at the {}: {why}",
                    side.describe()
                ));
                return alt;
            }
        }
    }
    let names = [Side::Baseline.describe(), Side::Current.describe()];
    let run = &mut |side: Side| run_once(at(side), trees.of(side), &[]);
    match rounds(&check.id, count, names, progress, run) {
        Ok(measured) => {
            alt.pairs = measured.pairs;
            alt.metrics = measured.metrics;
        }
        Err(why) => alt.failure = Some(format!("not pairable: {why}")),
    }
    alt
}

/// What the rounds of one pairing measured.
#[derive(Debug, Clone, Default)]
pub struct Measured {
    /// One pair per round.
    pub pairs: Vec<Pair>,
    /// Unit and direction of each metric, from the current side's last run.
    pub metrics: BTreeMap<String, Metric>,
}

/// `count` rounds of A B / B A ([`order`]): `run(side)` measures one side once; `names` are how
/// progress and failures name the baseline and the current side; `progress` hears of every run,
/// under `label`. The first run that fails ends the rounds with `round N fails at the …: why`.
/// Shared by `sitegen pair` (the two sides are two trees) and the gate drill (one tree, with or
/// without the planted slowdown).
pub fn rounds(
    label: &str,
    count: u32,
    names: [&str; 2],
    progress: &dyn Fn(&str),
    run: &mut dyn FnMut(Side) -> Result<Vec<Metric>, String>,
) -> Result<Measured, String> {
    let mut out = Measured::default();
    for round in 1..=count {
        let mut values: [BTreeMap<String, f64>; 2] = Default::default();
        for side in order(round) {
            let name = names[side as usize];
            progress(&format!("{label}: round {round}/{count} at the {name}"));
            let metrics =
                run(side).map_err(|why| format!("round {round} fails at the {name}: {why}"))?;
            let slot = &mut values[side as usize];
            for m in metrics {
                slot.insert(m.name.clone(), m.value);
                if side == Side::Current {
                    out.metrics.insert(m.name.clone(), m);
                }
            }
        }
        let [baseline, current] = values;
        out.pairs.push(Pair {
            round,
            first: order(round)[0].as_str().to_string(),
            baseline,
            current,
        });
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rounds_alternate_which_side_goes_first() {
        let seq: Vec<&str> = (1..=3).flat_map(order).map(Side::as_str).collect();
        assert_eq!(
            seq,
            [
                "baseline", "current", "current", "baseline", "baseline", "current"
            ]
        );
    }
}
