//! The memcomparable key encoding: tuples of [`Value`]s to bytes whose lexicographic order is the
//! values' order, and the key builders for the schema's reserved keyspace (`\xFF\x53 …`).
//!
//! Each value is one tag byte followed by a self-delimiting payload, so the encoding of a value
//! is never a prefix of another value's, and a tuple's encoding is the concatenation of its
//! values' (a tuple prefix encodes to a byte prefix, which is what prefix range bounds use):
//!
//! | value            | tag    | payload                                                         |
//! |------------------|--------|-----------------------------------------------------------------|
//! | `NULL`           | `0x00` | none (sorts before every non-NULL value)                        |
//! | `Int(v)`         | `0x01` | `v` with the sign bit flipped, 8 bytes big-endian               |
//! | `Double(v)`      | `0x02` | IEEE bits: sign set → all bits inverted, else sign bit set; BE  |
//! | `Text(s)`        | `0x03` | UTF-8 bytes, `00` escaped as `00 FF`, then terminator `00 01`    |
//! | `Bytes(b)`       | `0x04` | as text                                                          |
//! | `Bool(b)`        | `0x05` | `00` (false) or `01` (true)                                      |
//! | `Timestamp(us)`  | `0x06` | as `Int`                                                         |
//!
//! Doubles: `-0.0` is stored as `0.0` (they compare equal) and every NaN as one canonical NaN
//! that sorts after `+inf`; decoding refuses any other NaN or a negative zero (non-canonical
//! bytes are corruption). Decoding validates every byte and returns [`SchemaError::Corrupt`].

use std::cmp::Ordering;

use super::def::{IndexId, TableId};
use super::error::{Result, SchemaError};
use super::value::{ColumnType, Value};

/// The two bytes every schema key starts with (`"\xFFS"`); raw-KV users must not write here.
pub const RESERVED_PREFIX: [u8; 2] = [0xFF, 0x53];
/// Catalog entries: `FF 53 00 …`.
pub const CATALOG_SPACE: u8 = 0x00;
/// Table rows: `FF 53 01 <table id> <pk>`.
pub const ROW_SPACE: u8 = 0x01;
/// Index entries: `FF 53 02 <table id> <index id> <columns> [<pk>]`.
pub const INDEX_SPACE: u8 = 0x02;
/// Migration history: `FF 53 03 <version u64 BE>`.
pub const MIGRATION_SPACE: u8 = 0x03;
/// Columnar tables' segments: `FF 53 04 <table id> <part> …` (see [`ColumnarKey`]).
pub const COLUMNAR_SPACE: u8 = 0x04;
/// Materialized views' state: `FF 53 05 <view id> <part> …` (see [`MvKey`]).
pub const MV_SPACE: u8 = 0x05;

/// The parts of a materialized view's own keyspace, `FF 53 05 <view id u32 BE> <part u8> …`.
/// (The view's result rows are row entries `FF 53 01 <view id> <group key>`.)
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum MvKey<'a> {
    /// `… 00`: the view's refresh state (log positions, commits and time of the last refresh).
    State,
    /// `… 01 <group key>`: one group's aggregate state (the group key is the memcomparable
    /// encoding of its group-column values).
    Group(&'a [u8]),
    /// `… 02 <refresh number u64 BE>`: the record of one refresh.
    Refresh(u64),
}

/// The parts of a columnar table's keyspace, `FF 53 04 <table id u32 BE> <part u8> …`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ColumnarKey {
    /// `… 00`: the table's segment state (next segment id, rows in the delta).
    State,
    /// `… 01 <segment u64 BE>`: a segment's meta entry (rows, zone maps, chunk sizes).
    Segment(u64),
    /// `… 02 <segment u64 BE> <column id u32 BE>`: one column's encoded chunk of a segment.
    Chunk(u64, u32),
    /// `… 03 <segment u64 BE>`: the bitmap of a segment's deleted rows (absent: none).
    Deleted(u64),
    /// `… 04 <column id u32 BE>`: one column's statistics over the table's segments
    /// (`columnar::table_stats`).
    Stats(u32),
    /// `… 05 <view id u32 BE> <seq u64 BE>`: one entry of a materialized view's change log
    /// (the rows one write inserted into or deleted from the table, not yet applied).
    MvLog(u32, u64),
    /// `… 06 <partition u32 BE>`: a partitioned table's partition entry (its bounds and next
    /// segment number). The partition's segments are those whose id's high 32 bits are the
    /// partition number (`columnar::partition`).
    Partition(u32),
}

const NULL_TAG: u8 = 0x00;
/// The one NaN the encoding stores (the positive quiet NaN).
const CANONICAL_NAN: u64 = 0x7FF8_0000_0000_0000;

/// The catalog meta entry's key: `FF 53 00 00` (catalog version and id counters).
pub const CATALOG_META_KEY: [u8; 4] = [0xFF, 0x53, CATALOG_SPACE, 0x00];

/// [`CATALOG_META_KEY`] as an owned key.
pub fn catalog_meta_key() -> Vec<u8> {
    CATALOG_META_KEY.to_vec()
}

/// The prefix of every table's catalog entry: `FF 53 00 01`.
pub fn catalog_tables_prefix() -> Vec<u8> {
    vec![0xFF, 0x53, CATALOG_SPACE, 0x01]
}

/// The catalog entry key of table `id`: `FF 53 00 01 <id u32 BE>`.
pub fn catalog_table_key(id: TableId) -> Vec<u8> {
    let mut k = catalog_tables_prefix();
    k.extend_from_slice(&id.to_be_bytes());
    k
}

/// The prefix of every materialized view's catalog entry: `FF 53 00 02`.
pub fn catalog_views_prefix() -> Vec<u8> {
    vec![0xFF, 0x53, CATALOG_SPACE, 0x02]
}

/// The catalog entry key of materialized view `id`: `FF 53 00 02 <id u32 BE>`.
pub fn catalog_view_key(id: u32) -> Vec<u8> {
    let mut k = catalog_views_prefix();
    k.extend_from_slice(&id.to_be_bytes());
    k
}

/// The prefix of every row key of table `id`: `FF 53 01 <id u32 BE>`.
pub fn row_prefix(id: TableId) -> Vec<u8> {
    let mut k = Vec::with_capacity(32);
    k.extend_from_slice(&[0xFF, 0x53, ROW_SPACE]);
    k.extend_from_slice(&id.to_be_bytes());
    k
}

/// The prefix of every entry of index `index` of table `table`.
pub fn index_prefix(table: TableId, index: IndexId) -> Vec<u8> {
    let mut k = Vec::with_capacity(40);
    k.extend_from_slice(&[0xFF, 0x53, INDEX_SPACE]);
    k.extend_from_slice(&table.to_be_bytes());
    k.extend_from_slice(&index.to_be_bytes());
    k
}

/// The prefix of every index entry of table `table` (all its indexes).
pub fn table_indexes_prefix(table: TableId) -> Vec<u8> {
    let mut k = vec![0xFF, 0x53, INDEX_SPACE];
    k.extend_from_slice(&table.to_be_bytes());
    k
}

/// The prefix of every columnar key of table `id`: `FF 53 04 <id u32 BE>`.
pub fn columnar_prefix(id: TableId) -> Vec<u8> {
    let mut k = Vec::with_capacity(24);
    k.extend_from_slice(&[0xFF, 0x53, COLUMNAR_SPACE]);
    k.extend_from_slice(&id.to_be_bytes());
    k
}

/// The key of one part of table `id`'s columnar keyspace.
pub fn columnar_key(id: TableId, part: ColumnarKey) -> Vec<u8> {
    let mut k = columnar_prefix(id);
    match part {
        ColumnarKey::State => k.push(0x00),
        ColumnarKey::Segment(seg) => {
            k.push(0x01);
            k.extend_from_slice(&seg.to_be_bytes());
        }
        ColumnarKey::Chunk(seg, column) => {
            k.push(0x02);
            k.extend_from_slice(&seg.to_be_bytes());
            k.extend_from_slice(&column.to_be_bytes());
        }
        ColumnarKey::Deleted(seg) => {
            k.push(0x03);
            k.extend_from_slice(&seg.to_be_bytes());
        }
        ColumnarKey::Stats(column) => {
            k.push(0x04);
            k.extend_from_slice(&column.to_be_bytes());
        }
        ColumnarKey::MvLog(view, seq) => {
            k.push(0x05);
            k.extend_from_slice(&view.to_be_bytes());
            k.extend_from_slice(&seq.to_be_bytes());
        }
        ColumnarKey::Partition(p) => {
            k.push(0x06);
            k.extend_from_slice(&p.to_be_bytes());
        }
    }
    k
}

/// The prefix of every column-statistics key of table `id` (`… 04`).
pub fn columnar_stats_prefix(id: TableId) -> Vec<u8> {
    let mut k = columnar_prefix(id);
    k.push(0x04);
    k
}

/// The prefix of every change-log entry of view `view` over table `table` (`… 05 <view>`).
pub fn columnar_mvlog_prefix(table: TableId, view: u32) -> Vec<u8> {
    let mut k = columnar_prefix(table);
    k.push(0x05);
    k.extend_from_slice(&view.to_be_bytes());
    k
}

/// The prefix of every key of view `view`'s own keyspace: `FF 53 05 <view id u32 BE>`.
pub fn mv_prefix(view: u32) -> Vec<u8> {
    let mut k = vec![0xFF, 0x53, MV_SPACE];
    k.extend_from_slice(&view.to_be_bytes());
    k
}

/// The key of one part of view `view`'s keyspace.
pub fn mv_key(view: u32, part: MvKey<'_>) -> Vec<u8> {
    let mut k = mv_prefix(view);
    match part {
        MvKey::State => k.push(0x00),
        MvKey::Group(key) => {
            k.push(0x01);
            k.extend_from_slice(key);
        }
        MvKey::Refresh(n) => {
            k.push(0x02);
            k.extend_from_slice(&n.to_be_bytes());
        }
    }
    k
}

/// The prefix of one part of view `view`'s keyspace (`part` 01: groups, 02: refresh records).
pub fn mv_part_prefix(view: u32, part: u8) -> Vec<u8> {
    let mut k = mv_prefix(view);
    k.push(part);
    k
}

/// The prefix of every partition entry of table `id` (`… 06`).
pub fn columnar_partitions_prefix(id: TableId) -> Vec<u8> {
    let mut k = columnar_prefix(id);
    k.push(0x06);
    k
}

/// The prefix of every segment meta key of table `id` (`… 01`).
pub fn columnar_segments_prefix(id: TableId) -> Vec<u8> {
    let mut k = columnar_prefix(id);
    k.push(0x01);
    k
}

/// The migration-history key of `version`: `FF 53 03 <version u64 BE>`.
pub fn migration_key(version: u64) -> Vec<u8> {
    let mut k = vec![0xFF, 0x53, MIGRATION_SPACE];
    k.extend_from_slice(&version.to_be_bytes());
    k
}

/// The smallest key greater than every key starting with `prefix` (`None` if `prefix` is all
/// `0xFF`, i.e. nothing is greater).
pub fn prefix_end(prefix: &[u8]) -> Option<Vec<u8>> {
    let mut end = prefix.to_vec();
    while let Some(last) = end.pop() {
        if last < 0xFF {
            end.push(last + 1);
            return Some(end);
        }
    }
    None
}

/// Appends the memcomparable encoding of `v` to `out`.
pub fn encode_value(out: &mut Vec<u8>, v: &Value) {
    match v {
        Value::Null => out.push(NULL_TAG),
        Value::Int(i) => {
            out.push(ColumnType::Int.tag());
            out.extend_from_slice(&((*i as u64) ^ (1 << 63)).to_be_bytes());
        }
        Value::Timestamp(i) => {
            out.push(ColumnType::Timestamp.tag());
            out.extend_from_slice(&((*i as u64) ^ (1 << 63)).to_be_bytes());
        }
        Value::Double(d) => {
            out.push(ColumnType::Double.tag());
            out.extend_from_slice(&double_bits(*d).to_be_bytes());
        }
        Value::Text(s) => {
            out.push(ColumnType::Text.tag());
            escape(out, s.as_bytes());
        }
        Value::Bytes(b) => {
            out.push(ColumnType::Bytes.tag());
            escape(out, b);
        }
        Value::Bool(b) => {
            out.push(ColumnType::Bool.tag());
            out.push(u8::from(*b));
        }
    }
}

/// Appends the encoding of every value of `values`, in order.
pub fn encode_tuple(out: &mut Vec<u8>, values: &[Value]) {
    for v in values {
        encode_value(out, v);
    }
}

fn double_bits(d: f64) -> u64 {
    let bits = if d.is_nan() {
        CANONICAL_NAN
    } else if d == 0.0 {
        0 // -0.0 and 0.0 are one value
    } else {
        d.to_bits()
    };
    if bits >> 63 == 1 {
        !bits
    } else {
        bits ^ (1 << 63)
    }
}

fn escape(out: &mut Vec<u8>, bytes: &[u8]) {
    for &b in bytes {
        out.push(b);
        if b == 0 {
            out.push(0xFF);
        }
    }
    out.extend_from_slice(&[0x00, 0x01]);
}

/// The order the encoding preserves: `NULL` first, then by type tag, then by value (doubles by
/// the total order above: `-0.0 == 0.0`, NaN last and equal to itself).
pub fn compare(a: &Value, b: &Value) -> Ordering {
    let tag = |v: &Value| v.column_type().map_or(NULL_TAG, ColumnType::tag);
    match (a, b) {
        (Value::Int(x), Value::Int(y)) | (Value::Timestamp(x), Value::Timestamp(y)) => x.cmp(y),
        (Value::Double(x), Value::Double(y)) => double_bits(*x).cmp(&double_bits(*y)),
        (Value::Text(x), Value::Text(y)) => x.as_bytes().cmp(y.as_bytes()),
        (Value::Bytes(x), Value::Bytes(y)) => x.cmp(y),
        (Value::Bool(x), Value::Bool(y)) => x.cmp(y),
        _ => tag(a).cmp(&tag(b)),
    }
}

/// A cursor that decodes values from an encoded key, naming `what` in its errors.
pub struct KeyReader<'a> {
    buf: &'a [u8],
    pos: usize,
    what: &'a str,
}

impl<'a> KeyReader<'a> {
    /// A reader over `buf` (already stripped of any prefix); `what` names it in errors.
    pub fn new(buf: &'a [u8], what: &'a str) -> Self {
        KeyReader { buf, pos: 0, what }
    }

    /// Bytes not yet decoded.
    pub fn rest(&self) -> &'a [u8] {
        self.buf.get(self.pos..).unwrap_or_default()
    }

    /// Whether every byte was decoded.
    pub fn is_empty(&self) -> bool {
        self.pos >= self.buf.len()
    }

    fn corrupt(&self, reason: impl Into<String>) -> SchemaError {
        SchemaError::Corrupt {
            what: self.what.to_string(),
            reason: format!("key byte {}: {}", self.pos, reason.into()),
        }
    }

    fn byte(&mut self) -> Result<u8> {
        let b = *self
            .buf
            .get(self.pos)
            .ok_or_else(|| self.corrupt("key ends early"))?;
        self.pos += 1;
        Ok(b)
    }

    fn u64_be(&mut self) -> Result<u64> {
        let bytes = self
            .buf
            .get(self.pos..self.pos + 8)
            .ok_or_else(|| self.corrupt("key ends inside an 8-byte field"))?;
        let mut a = [0u8; 8];
        a.copy_from_slice(bytes);
        self.pos += 8;
        Ok(u64::from_be_bytes(a))
    }

    fn unescape(&mut self) -> Result<Vec<u8>> {
        let mut out = Vec::new();
        loop {
            let b = self.byte()?;
            if b != 0 {
                out.push(b);
                continue;
            }
            match self.byte()? {
                0xFF => out.push(0),
                0x01 => return Ok(out),
                other => {
                    return Err(self.corrupt(format!(
                        "00 followed by {other:02x} (expected ff escape or 01 terminator)"
                    )));
                }
            }
        }
    }

    /// Decodes one value, which must be `NULL` or of type `ty`.
    pub fn value(&mut self, ty: ColumnType) -> Result<Value> {
        let tag = self.byte()?;
        if tag == NULL_TAG {
            return Ok(Value::Null);
        }
        if tag != ty.tag() {
            return Err(self.corrupt(format!("tag {tag:02x} where a {ty} value was expected")));
        }
        Ok(match ty {
            ColumnType::Int => Value::Int((self.u64_be()? ^ (1 << 63)) as i64),
            ColumnType::Timestamp => Value::Timestamp((self.u64_be()? ^ (1 << 63)) as i64),
            ColumnType::Double => {
                let enc = self.u64_be()?;
                let bits = if enc >> 63 == 1 {
                    enc ^ (1 << 63)
                } else {
                    !enc
                };
                let d = f64::from_bits(bits);
                if (d.is_nan() && bits != CANONICAL_NAN) || bits == (1 << 63) {
                    return Err(self.corrupt("non-canonical double (NaN or -0.0)"));
                }
                Value::Double(d)
            }
            ColumnType::Text => {
                let bytes = self.unescape()?;
                Value::Text(
                    String::from_utf8(bytes).map_err(|_| self.corrupt("text is not UTF-8"))?,
                )
            }
            ColumnType::Bytes => Value::Bytes(self.unescape()?),
            ColumnType::Bool => match self.byte()? {
                0 => Value::Bool(false),
                1 => Value::Bool(true),
                b => return Err(self.corrupt(format!("boolean byte {b:02x}"))),
            },
        })
    }

    /// Decodes one value per type of `types`.
    pub fn tuple(&mut self, types: &[ColumnType]) -> Result<Vec<Value>> {
        types.iter().map(|t| self.value(*t)).collect()
    }

    /// Fails unless every byte was decoded.
    pub fn finish(&self) -> Result<()> {
        if self.is_empty() {
            Ok(())
        } else {
            Err(self.corrupt(format!("{} trailing bytes", self.buf.len() - self.pos)))
        }
    }
}

/// Decodes exactly `types.len()` values from `buf` (no trailing bytes allowed).
pub fn decode_tuple(buf: &[u8], types: &[ColumnType], what: &str) -> Result<Vec<Value>> {
    let mut r = KeyReader::new(buf, what);
    let values = r.tuple(types)?;
    r.finish()?;
    Ok(values)
}

#[cfg(test)]
#[path = "keys_tests.rs"]
mod tests;
