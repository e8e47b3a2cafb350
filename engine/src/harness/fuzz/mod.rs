//! Fuzzing the engine's decoders on the stable toolchain, without instrumentation: a seeded
//! mutation loop over a corpus of real encodings ([`corpus`]), each input fed to one target's
//! decoders ([`targets`]), every panic caught and kept as a crash.
//!
//! The mutator applies one to four of: flip a bit, set a byte, write an "interesting" integer
//! (0, 1, −1, the extremes and near-extremes of 8/16/32/64 bits, lengths just past a buffer)
//! over 1, 2, 4 or 8 bytes, truncate, extend with random bytes, delete a range, duplicate a
//! range, splice in a range of another corpus entry. Targets whose bytes carry a checksum
//! (pages, columnar chunks) re-seal half of the mutated inputs, so the structure behind the
//! checksum is fuzzed too, not only its rejection.
//!
//! Without coverage instrumentation there are no "paths" to count; the report counts
//! executions, inputs accepted and refused, and distinct refusal messages (a rough measure of
//! how many different checks the inputs reached), and keeps every crash with its input.

pub mod corpus;
pub mod targets;

use std::collections::BTreeSet;
use std::panic::{AssertUnwindSafe, catch_unwind};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use crate::util::SplitMix64;

pub use corpus::Corpus;
pub use targets::Target;

/// How long to fuzz one target.
#[derive(Clone, Copy, Debug)]
pub enum Budget {
    /// Exactly this many executions (reproducible with the seed).
    Executions(u64),
    /// As many executions as fit in this time.
    Time(Duration),
}

/// A panic a target's decoder raised, with the input that raised it.
#[derive(Clone, Debug)]
pub struct Crash {
    /// The panic message and location.
    pub message: String,
    /// The input, as fed to the target.
    pub input: Vec<u8>,
}

/// What fuzzing one target found.
#[derive(Clone, Debug)]
pub struct TargetReport {
    /// The target.
    pub target: Target,
    /// Inputs fed to it.
    pub executions: u64,
    /// Inputs its decoders accepted.
    pub accepted: u64,
    /// Distinct messages its decoders refused inputs with (numbers masked).
    pub distinct_refusals: usize,
    /// Panics: each is a bug.
    pub crash_count: u64,
    /// The first few crashes, with their inputs.
    pub crashes: Vec<Crash>,
    /// Time spent.
    pub elapsed: Duration,
}

/// Interesting integers, little-endian when written.
const INTERESTING: &[u64] = &[
    0,
    1,
    u64::MAX,
    0x7F,
    0x80,
    0xFF,
    0x100,
    0x7FFF,
    0x8000,
    0xFFFF,
    0x1_0000,
    0x7FFF_FFFF,
    0x8000_0000,
    0xFFFF_FFFF,
    0xFFFF_FFF0,
    0x1_0000_0000,
    i64::MAX as u64,
    i64::MIN as u64,
    4096,
    4097,
];

/// One mutation of `input` (seeded by `rng`); `other` is another corpus entry for splicing.
pub fn mutate(rng: &mut SplitMix64, input: &[u8], other: &[u8]) -> Vec<u8> {
    let mut out = input.to_vec();
    for _ in 0..1 + rng.below(4) {
        let len = out.len() as u64;
        match rng.below(9) {
            0 if len > 0 => {
                let at = rng.below(len) as usize;
                if let Some(b) = out.get_mut(at) {
                    *b ^= 1 << rng.below(8);
                }
            }
            1 if len > 0 => {
                let at = rng.below(len) as usize;
                if let Some(b) = out.get_mut(at) {
                    *b = rng.next_u64() as u8;
                }
            }
            2 if len > 0 => {
                let width = [1usize, 2, 4, 8][rng.below(4) as usize];
                let v = INTERESTING
                    .get(rng.below(INTERESTING.len() as u64) as usize)
                    .copied()
                    .unwrap_or(0);
                let at = rng.below(len) as usize;
                for (i, byte) in v.to_le_bytes().iter().take(width).enumerate() {
                    if let Some(b) = out.get_mut(at + i) {
                        *b = *byte;
                    }
                }
            }
            3 if len > 0 => out.truncate(rng.below(len) as usize),
            4 => {
                let n = 1 + rng.below(64);
                out.extend((0..n).map(|_| rng.next_u64() as u8));
            }
            5 if len > 1 => {
                let at = rng.below(len) as usize;
                let n = (1 + rng.below(32) as usize).min(out.len() - at);
                out.drain(at..at + n);
            }
            6 if len > 1 => {
                let at = rng.below(len) as usize;
                let n = (1 + rng.below(32) as usize).min(out.len() - at);
                let piece: Vec<u8> = out.get(at..at + n).unwrap_or_default().to_vec();
                let to = rng.below(out.len() as u64 + 1) as usize;
                out.splice(to..to, piece);
            }
            7 if !other.is_empty() && len > 0 => {
                let from = rng.below(other.len() as u64) as usize;
                let n = (1 + rng.below(64) as usize).min(other.len() - from);
                let at = rng.below(len) as usize;
                let end = (at + n).min(out.len());
                out.splice(
                    at..end,
                    other
                        .get(from..from + n)
                        .unwrap_or_default()
                        .iter()
                        .copied(),
                );
            }
            _ => {
                // A whole random input, now and then.
                if rng.chance(1, 50) {
                    let n = rng.below(256) as usize;
                    out = (0..n).map(|_| rng.next_u64() as u8).collect();
                }
            }
        }
    }
    out
}

/// Masks the digits of a refusal message, so "length 17" and "length 18" count as one.
fn shape(message: &str) -> String {
    message
        .chars()
        .map(|c| if c.is_ascii_digit() { '#' } else { c })
        .collect::<String>()
        .split("##")
        .collect::<Vec<_>>()
        .join("#")
}

/// Fuzzes `target` for `budget`, mutating `corpus`'s inputs for it with a stream seeded by
/// `seed` (see [`run_with`]).
pub fn run(target: Target, corpus: &Corpus, budget: Budget, seed: u64) -> TargetReport {
    let mut report = run_with(
        corpus.inputs(target),
        budget,
        seed ^ (target as u64).wrapping_mul(0x9E37_79B9),
        |input| target.reseal(input),
        |input| target.exec(input, corpus),
    );
    report.target = target;
    report
}

/// The mutation loop over `seeds`: each execution mutates a seed input, reseals half of them
/// with `reseal`, and feeds the result to `exec`, catching panics (the process's panic hook is
/// silenced for the duration and restored after).
pub fn run_with(
    seeds: &[Vec<u8>],
    budget: Budget,
    seed: u64,
    reseal: impl Fn(&mut Vec<u8>),
    exec: impl Fn(&[u8]) -> Result<(), String>,
) -> TargetReport {
    let mut rng = SplitMix64::new(seed);
    let last_panic: Arc<Mutex<String>> = Arc::new(Mutex::new(String::new()));
    let hook_panic = Arc::clone(&last_panic);
    let previous = std::panic::take_hook();
    std::panic::set_hook(Box::new(move |info| {
        if let Ok(mut m) = hook_panic.lock() {
            *m = info.to_string();
        }
    }));
    let start = Instant::now();
    let mut report = TargetReport {
        target: Target::Sql,
        executions: 0,
        accepted: 0,
        distinct_refusals: 0,
        crash_count: 0,
        crashes: Vec::new(),
        elapsed: Duration::ZERO,
    };
    let mut refusals = BTreeSet::new();
    let done = |executions: u64| match budget {
        Budget::Executions(n) => executions >= n,
        Budget::Time(t) => executions.is_multiple_of(64) && start.elapsed() >= t,
    };
    while !done(report.executions) && !seeds.is_empty() {
        let pick = |rng: &mut SplitMix64| {
            seeds
                .get(rng.below(seeds.len() as u64) as usize)
                .map(Vec::as_slice)
                .unwrap_or_default()
        };
        let (base, other) = (pick(&mut rng), pick(&mut rng));
        let mut input = mutate(&mut rng, base, other);
        if rng.chance(1, 2) {
            reseal(&mut input);
        }
        report.executions += 1;
        match catch_unwind(AssertUnwindSafe(|| exec(&input))) {
            Ok(Ok(())) => report.accepted += 1,
            Ok(Err(why)) => {
                if refusals.len() < 100_000 {
                    refusals.insert(shape(&why));
                }
            }
            Err(_) => {
                report.crash_count += 1;
                let message = last_panic.lock().map(|m| m.clone()).unwrap_or_default();
                if report.crashes.len() < 16 {
                    report.crashes.push(Crash { message, input });
                }
            }
        }
    }
    std::panic::set_hook(previous);
    report.distinct_refusals = refusals.len();
    report.elapsed = start.elapsed();
    report
}

#[cfg(test)]
mod regressions;
#[cfg(test)]
mod tests;
