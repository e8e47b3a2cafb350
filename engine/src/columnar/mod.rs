//! The columnar layer: analytics segments as encoded column chunks, with zone maps, statistics
//! and vectorized predicate evaluation.
//!
//! This part is pure and storage-independent — it turns column values into bytes and back, and
//! answers questions about those bytes; segment storage and SQL build on it:
//! * [`vector`] — column vectors ([`ColumnVector`]): typed values, validity [`Bitmap`]s
//!   ([`bitmap`]);
//! * [`encoding`] — the chunk format ([`encode`], [`decode`]) and its cascading encodings
//!   (plain, bit-packing, frame of reference, dictionary, run-length, delta, pseudodecimal),
//!   chosen per chunk by sampling;
//! * [`predicate`] — [`filter`]: predicates evaluated on encoded chunks, and [`may_match`]:
//!   zone-map pruning;
//! * [`zone`] — [`ZoneMap`]: row and NULL counts and value bounds per chunk;
//! * [`stats`] — column statistics for the optimizer: HyperLogLog distinct counts, equi-depth
//!   histograms, mergeable across segments.
//!
//! Byte layouts are in `engine/FORMAT.md`, "Columnar chunks".

pub mod bitmap;
pub mod encoding;
pub mod predicate;
pub mod stats;
pub mod vector;
pub mod zone;

#[cfg(test)]
mod tests;

pub use encoding::{
    ChunkError, EncodeOptions, EncodedChunk, Encoding, EncodingKind, decode, describe, encode,
};
pub use predicate::{ChunkPredicate, CmpOp, Scalar, filter, may_match};
pub use stats::{ColumnStats, EquiDepthHistogram, HyperLogLog};
pub use vector::{Bitmap, ByteColumn, ColumnVector, PhysicalType, Values};
pub use zone::ZoneMap;
