//! Fuzzing the engine's decoders: the seeded mutation loop of `lightning-mutate` over a
//! corpus of real encodings ([`corpus`]), each input fed to one target's decoders
//! ([`targets`]), every panic caught and kept as a crash. Targets whose bytes carry a checksum
//! (pages, columnar chunks) re-seal half of the mutated inputs, so the structure behind the
//! checksum is fuzzed too, not only its rejection.

pub mod corpus;
pub mod targets;

pub use corpus::Corpus;
pub use lightning_mutate::{Budget, Crash};
pub use targets::Target;

/// What fuzzing one target found.
#[derive(Clone, Debug)]
pub struct TargetReport {
    /// The target.
    pub target: Target,
    /// The loop's counts: executions, accepted, distinct refusals, crashes.
    pub found: lightning_mutate::LoopReport,
}

/// Fuzzes `target` for `budget`, mutating `corpus`'s inputs for it with a stream seeded by
/// `seed` (and the target).
pub fn run(target: Target, corpus: &Corpus, budget: Budget, seed: u64) -> TargetReport {
    let found = lightning_mutate::run_with(
        corpus.inputs(target),
        budget,
        seed ^ (target as u64).wrapping_mul(0x9E37_79B9),
        |input| target.reseal(input),
        |input| target.exec(input, corpus),
    );
    TargetReport { target, found }
}

#[cfg(test)]
mod regressions;
#[cfg(test)]
mod tests;
