//! Small utilities shared by every layer: the byte codec of every on-disk field ([`codec`]) and a
//! deterministic PRNG for tests, simulations and benches.

pub mod codec;
pub mod rng;

pub use rng::SplitMix64;
