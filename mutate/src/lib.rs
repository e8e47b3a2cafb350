//! The seeded mutation loop behind `ldb fuzz` and `sitegen fuzz`: fuzzing on the stable
//! toolchain without instrumentation. A caller gives seed inputs (real encodings of the format
//! under test), a budget, an optional re-sealing step (to recompute a checksum a mutation
//! broke) and the decoder to feed; [`run_with`] mutates, feeds, catches every panic as a
//! [`Crash`] and counts what the decoder accepted and how it refused the rest.
//!
//! The mutator ([`mutate`]) applies one to four of: flip a bit, set a byte, write an
//! "interesting" integer (0, 1, −1, the extremes and near-extremes of 8/16/32/64 bits, lengths
//! just past a page) over 1, 2, 4 or 8 bytes, truncate, extend with random bytes, delete a
//! range, duplicate a range, splice in a range of another seed input; now and then it starts
//! from random bytes. The same seed gives the same inputs.
//!
//! Without coverage instrumentation there are no paths to count: the report counts distinct
//! refusal messages (digits masked) as a rough measure of how many checks the inputs reached.
//! Panics inside a loop are recorded, not printed; a panic anywhere else (another thread, a
//! test running beside the loop) still reaches the panic hook that was installed before.

use std::cell::{Cell, RefCell};
use std::collections::BTreeSet;
use std::panic::{AssertUnwindSafe, catch_unwind};
use std::sync::Once;
use std::time::{Duration, Instant};

thread_local! {
    /// Whether this thread is inside [`run_with`]'s loop (its panics are crashes to record).
    static FUZZING: Cell<bool> = const { Cell::new(false) };
    /// The message of this thread's last panic inside the loop.
    static LAST_PANIC: RefCell<Option<String>> = const { RefCell::new(None) };
}

static HOOK: Once = Once::new();

/// Installs, once per process, a panic hook that records the panics of threads inside the loop
/// (silently: they are expected, and reported as crashes) and hands every other panic to the
/// hook that was there before — so loops on several threads, and other code panicking at the
/// same time (a test harness's other tests), each keep their own messages.
fn install_hook() {
    HOOK.call_once(|| {
        let previous = std::panic::take_hook();
        std::panic::set_hook(Box::new(move |info| {
            if FUZZING.with(Cell::get) {
                LAST_PANIC.with(|m| *m.borrow_mut() = Some(info.to_string()));
            } else {
                previous(info);
            }
        }));
    });
}

/// SplitMix64: the mutator's deterministic random stream.
#[derive(Clone, Debug)]
pub struct Rng(u64);

impl Rng {
    /// A stream for `seed`.
    pub fn new(seed: u64) -> Rng {
        Rng(seed)
    }

    /// The next 64 random bits.
    pub fn next_u64(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }

    /// A value in `0..bound` (0 when `bound` is 0).
    pub fn below(&mut self, bound: u64) -> u64 {
        if bound == 0 {
            0
        } else {
            self.next_u64() % bound
        }
    }

    /// True with probability `num / den`.
    pub fn chance(&mut self, num: u64, den: u64) -> bool {
        self.below(den) < num
    }
}

/// How long to fuzz one target.
#[derive(Clone, Copy, Debug)]
pub enum Budget {
    /// Exactly this many executions (reproducible with the seed).
    Executions(u64),
    /// As many executions as fit in this time.
    Time(Duration),
}

/// A panic the decoder raised, with the input that raised it.
#[derive(Clone, Debug)]
pub struct Crash {
    /// The panic message and location.
    pub message: String,
    /// The input, as fed to the decoder.
    pub input: Vec<u8>,
}

/// What one [`run_with`] found.
#[derive(Clone, Debug, Default)]
pub struct LoopReport {
    /// Inputs fed.
    pub executions: u64,
    /// Inputs the decoder accepted.
    pub accepted: u64,
    /// Distinct messages it refused inputs with (digits masked; at most 100,000 counted).
    pub distinct_refusals: usize,
    /// Panics: each is a bug.
    pub crash_count: u64,
    /// The first 16 crashes, with their inputs.
    pub crashes: Vec<Crash>,
    /// Time spent.
    pub elapsed: Duration,
}

/// Interesting integers, written little-endian.
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

/// One mutation of `input` (seeded by `rng`); `other` is another seed input for splicing.
pub fn mutate(rng: &mut Rng, input: &[u8], other: &[u8]) -> Vec<u8> {
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
pub fn shape(message: &str) -> String {
    let mut out = String::with_capacity(message.len());
    for c in message.chars() {
        let c = if c.is_ascii_digit() { '#' } else { c };
        if !(c == '#' && out.ends_with('#')) {
            out.push(c);
        }
    }
    out
}

/// The mutation loop over `seeds`: each execution mutates a seed input, reseals half of them
/// with `reseal`, and feeds the result to `exec`, catching panics as crashes (their messages
/// recorded by a process-wide hook for the threads inside a loop; see [`install_hook`]).
pub fn run_with(
    seeds: &[Vec<u8>],
    budget: Budget,
    seed: u64,
    reseal: impl Fn(&mut Vec<u8>),
    exec: impl Fn(&[u8]) -> Result<(), String>,
) -> LoopReport {
    install_hook();
    let mut rng = Rng::new(seed);
    let start = Instant::now();
    let mut report = LoopReport::default();
    let mut refusals = BTreeSet::new();
    let done = |executions: u64| match budget {
        Budget::Executions(n) => executions >= n,
        Budget::Time(t) => executions.is_multiple_of(64) && start.elapsed() >= t,
    };
    FUZZING.with(|f| f.set(true));
    while !done(report.executions) && !seeds.is_empty() {
        let pick = |rng: &mut Rng| {
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
                let message = LAST_PANIC
                    .with(|m| m.borrow_mut().take())
                    .unwrap_or_default();
                if report.crashes.len() < 16 {
                    report.crashes.push(Crash { message, input });
                }
            }
        }
    }
    FUZZING.with(|f| f.set(false));
    report.distinct_refusals = refusals.len();
    report.elapsed = start.elapsed();
    report
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_same_seed_gives_the_same_mutations() {
        let base = b"0123456789abcdef".to_vec();
        let (mut a, mut b) = (Rng::new(9), Rng::new(9));
        for _ in 0..200 {
            assert_eq!(mutate(&mut a, &base, &base), mutate(&mut b, &base, &base));
        }
    }

    #[test]
    fn a_planted_panic_is_caught_as_a_crash_with_its_input() {
        // A decoder with a planted bug: it indexes past the end when the first byte is 0xFF.
        let buggy = |input: &[u8]| -> Result<(), String> {
            match input.first() {
                Some(0xFF) => {
                    let len = input.len();
                    #[allow(clippy::indexing_slicing)]
                    let _ = input[len + 3];
                    Ok(())
                }
                Some(_) => Ok(()),
                None => Err("empty".into()),
            }
        };
        let seeds = vec![b"0123456789abcdef".to_vec()];
        let r = run_with(&seeds, Budget::Executions(20_000), 3, |_| {}, buggy);
        assert_eq!(r.executions, 20_000);
        assert!(r.crash_count > 0, "the planted bug was not found");
        let first = r.crashes.first().expect("a crash kept");
        assert_eq!(first.input.first(), Some(&0xFF));
        assert!(
            first.message.contains("index out of bounds"),
            "{}",
            first.message
        );
        let again = run_with(&seeds, Budget::Executions(20_000), 3, |_| {}, buggy);
        assert_eq!(
            again.crash_count, r.crash_count,
            "the same seed finds the same crashes"
        );
        assert!(r.distinct_refusals >= 1);
    }

    #[test]
    fn loops_on_two_threads_at_once_keep_their_own_crash_messages() {
        let seeds = vec![b"abcdefgh".to_vec()];
        let planted = |tag: &'static str| {
            move |input: &[u8]| -> Result<(), String> {
                if input.len() > 12 {
                    panic!("{tag}: too long");
                }
                Ok(())
            }
        };
        let (a, b) = std::thread::scope(|s| {
            let a =
                s.spawn(|| run_with(&seeds, Budget::Executions(3000), 1, |_| {}, planted("left")));
            let b = s.spawn(|| {
                run_with(
                    &seeds,
                    Budget::Executions(3000),
                    2,
                    |_| {},
                    planted("right"),
                )
            });
            (a.join().expect("left"), b.join().expect("right"))
        });
        assert!(a.crash_count > 0 && b.crash_count > 0);
        assert!(
            a.crashes
                .iter()
                .all(|c| c.message.contains("left: too long")),
            "{:?}",
            a.crashes
        );
        assert!(
            b.crashes
                .iter()
                .all(|c| c.message.contains("right: too long")),
            "{:?}",
            b.crashes
        );
    }

    #[test]
    fn refusal_messages_are_counted_by_shape() {
        assert_eq!(
            shape("length 17 exceeds 4096"),
            shape("length 18 exceeds 512")
        );
        assert_ne!(shape("length 17"), shape("kind 17"));
    }

    #[test]
    fn a_time_budget_ends_and_an_empty_seed_list_runs_nothing() {
        let seeds = vec![vec![1u8, 2, 3]];
        let r = run_with(
            &seeds,
            Budget::Time(Duration::from_millis(20)),
            1,
            |_| {},
            |_| Ok(()),
        );
        assert!(r.executions > 0 && r.executions.is_multiple_of(64));
        let none = run_with(&[], Budget::Executions(10), 1, |_| {}, |_| Ok(()));
        assert_eq!(none.executions, 0);
    }
}
