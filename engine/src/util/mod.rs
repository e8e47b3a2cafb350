//! Small utilities shared by every layer: a deterministic PRNG for tests, simulations and benches.

pub mod rng;

pub use rng::SplitMix64;
