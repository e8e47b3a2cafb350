//! The columnar layer: analytics segments as encoded column chunks, with zone maps, statistics
//! and vectorized predicate evaluation.
//!
//! Bottom up, first the pure, storage-independent part — it turns column values into bytes and
//! back, and answers questions about those bytes:
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
//! Then the storage and execution part, over transactions:
//! * [`segment`] — segment meta entries (rows, per-column chunk size, encoding, zone map), the
//!   table's segment state, deleted-row bitmaps;
//! * [`store`] — segments in the store: written in the caller's transaction, listed and read
//!   back as its snapshot sees them;
//! * [`write`] — inserts (whole row groups to segments, the rest to the delta), compaction,
//!   deletes, the primary key across delta and segments;
//! * [`partition`] and [`partitioned`] — range partitions: a value's partition, labels and
//!   the partition entry (pure), then routing rows to partitions, pruning whole partitions
//!   before a scan, dropping and describing them; [`partition_merge`] merges a partition's
//!   small segments;
//! * [`scan`] — the scan: zone-map pruning, predicates on encoded chunks, late
//!   materialization, batches of rows;
//! * [`table_stats`] — each column's statistics stored per table, maintained as segments are
//!   written, rebuilt by `ANALYZE`, verified against the segments ([`table_stats::verify`]);
//! * [`sizes`] — each column's stored and plain bytes and its encodings;
//! * [`vexpr`] and [`aggregate`] — vectorized arithmetic and hash aggregation over batches;
//! * [`mv`] — materialized views' change logs (appended by every insert and delete) and
//!   refresh states.
//!
//! The SQL front end reaches columnar tables through `schema::sql::columnar`. Byte layouts are in
//! `engine/FORMAT.md`, "Columnar chunks" and "Columnar tables".

pub mod aggregate;
pub mod bitmap;
pub mod encoding;
pub mod mv;
pub mod partition;
pub mod partition_merge;
pub mod partitioned;
pub mod predicate;
pub mod scan;
pub mod segment;
pub mod sizes;
pub mod stats;
pub mod store;
pub mod table_stats;
pub mod vector;
pub mod vexpr;
pub mod write;
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
