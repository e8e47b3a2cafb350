//! Segment metadata: what a columnar table records about each immutable segment (row group) —
//! its row count and, per column, the chunk's size, encoding and zone map — and the table's
//! segment state (the next segment id, the rows waiting in the delta). Scans read only these
//! entries to decide which chunks to fetch; the chunks themselves are separate entries.
//!
//! Layouts (`engine/FORMAT.md`, "Columnar tables"); every integer little-endian, each entry
//! ending in a crc32c of the bytes before it:
//!
//! - segment meta: `01 | rows u32 | columns u16 | per column: id u32 | type u8 | chunk bytes
//!   u32 | plain bytes u64 | zone map | encoding text (u16 length, UTF-8) | crc32c u32`;
//! - state: `01 | next segment u64 | delta rows u64 | crc32c u32`;
//! - deleted rows: `01 | rows u32 | words u64 × ⌈rows/64⌉ | crc32c u32`.

use super::ChunkError;
use super::encoding::invalid;
use super::vector::{Bitmap, PhysicalType};
use super::zone::ZoneMap;
use crate::util::codec::{Reader, push_u16, push_u32, push_u64};

/// The version byte every columnar meta entry starts with.
pub const META_VERSION: u8 = 1;
/// The most columns a segment meta entry lists (a table's column limit).
const MAX_META_COLUMNS: usize = 1024;
/// The longest encoding description a meta entry keeps.
const MAX_ENCODING_TEXT: usize = 256;

/// One column's chunk in a segment.
#[derive(Clone, Debug, PartialEq)]
pub struct ChunkMeta {
    /// The column's stable id.
    pub column: u32,
    /// The chunk's physical type.
    pub ty: PhysicalType,
    /// The chunk's size in bytes (checksum included).
    pub bytes: u32,
    /// The column's plain fixed-width size: 8 bytes a value for integers, timestamps and
    /// doubles, 1 for booleans, the bytes plus a 4-byte offset for text (the baseline of
    /// compression ratios).
    pub plain_bytes: u64,
    /// Its zone map.
    pub zone: ZoneMap,
    /// The encoding chosen, as [`Encoding`](super::Encoding) prints it (`dict(bitpack[3])`).
    pub encoding: String,
}

/// A segment's meta entry.
#[derive(Clone, Debug, PartialEq)]
pub struct SegmentMeta {
    /// Rows in the segment (deleted ones included).
    pub rows: u32,
    /// One entry per column the segment stores, in the table's column order when written.
    pub chunks: Vec<ChunkMeta>,
}

impl SegmentMeta {
    /// The chunk of column `id`, if the segment has one (a column added later has none).
    pub fn chunk(&self, id: u32) -> Option<&ChunkMeta> {
        self.chunks.iter().find(|c| c.column == id)
    }
}

pub(super) fn seal(mut out: Vec<u8>) -> Vec<u8> {
    let crc = crc32c::crc32c(&out);
    push_u32(&mut out, crc);
    out
}

/// Checks the trailing crc32c and returns the bytes it covers.
pub(super) fn unseal<'a>(bytes: &'a [u8], what: &str) -> Result<&'a [u8], ChunkError> {
    let Some(split) = bytes.len().checked_sub(4) else {
        return Err(invalid(format!(
            "{what}: {} bytes, too short for a checksum",
            bytes.len()
        )));
    };
    let (body, tail) = bytes.split_at(split);
    let stored = Reader::new(tail).u32()?;
    let computed = crc32c::crc32c(body);
    if stored != computed {
        return Err(ChunkError::Checksum { stored, computed });
    }
    let mut r = Reader::new(body);
    let version = r.u8()?;
    if version != META_VERSION {
        return Err(invalid(format!(
            "{what}: version {version}, expected {META_VERSION}"
        )));
    }
    Ok(body)
}

/// Encodes a segment meta entry.
pub fn encode_meta(meta: &SegmentMeta) -> Vec<u8> {
    let mut out = vec![META_VERSION];
    push_u32(&mut out, meta.rows);
    push_u16(
        &mut out,
        u16::try_from(meta.chunks.len()).unwrap_or(u16::MAX),
    );
    for c in &meta.chunks {
        push_u32(&mut out, c.column);
        out.push(c.ty.tag());
        push_u32(&mut out, c.bytes);
        push_u64(&mut out, c.plain_bytes);
        c.zone.encode(&mut out);
        let text = c.encoding.as_bytes();
        let text = text
            .get(..text.len().min(MAX_ENCODING_TEXT))
            .unwrap_or_default();
        push_u16(&mut out, text.len() as u16);
        out.extend_from_slice(text);
    }
    seal(out)
}

/// Decodes a segment meta entry, checking its checksum and every count.
pub fn decode_meta(bytes: &[u8]) -> Result<SegmentMeta, ChunkError> {
    let body = unseal(bytes, "segment meta")?;
    let mut r = Reader::new(body);
    r.u8()?;
    let rows = r.u32()?;
    let n = usize::from(r.u16()?);
    if n > MAX_META_COLUMNS {
        return Err(invalid(format!("segment meta lists {n} columns")));
    }
    let mut chunks = Vec::with_capacity(n);
    for _ in 0..n {
        let column = r.u32()?;
        let tag = r.u8()?;
        let ty = PhysicalType::from_tag(tag)
            .ok_or_else(|| invalid(format!("segment meta: column {column} has type tag {tag}")))?;
        let bytes = r.u32()?;
        let plain_bytes = r.u64()?;
        let zone = ZoneMap::decode(&mut r)?;
        if zone.rows != rows {
            return Err(invalid(format!(
                "segment meta: column {column}'s zone map has {} rows, the segment {rows}",
                zone.rows
            )));
        }
        let len = usize::from(r.u16()?);
        if len > MAX_ENCODING_TEXT {
            return Err(invalid(format!(
                "segment meta: encoding text of {len} bytes"
            )));
        }
        let encoding = String::from_utf8(r.bytes(len)?.to_vec())
            .map_err(|_| invalid("segment meta: encoding text is not UTF-8"))?;
        if chunks.iter().any(|c: &ChunkMeta| c.column == column) {
            return Err(invalid(format!("segment meta lists column {column} twice")));
        }
        chunks.push(ChunkMeta {
            column,
            ty,
            bytes,
            plain_bytes,
            zone,
            encoding,
        });
    }
    if !r.is_empty() {
        return Err(invalid(format!(
            "segment meta: {} trailing bytes",
            r.remaining()
        )));
    }
    Ok(SegmentMeta { rows, chunks })
}

/// A columnar table's segment state.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct State {
    /// The id the next segment gets (ids are never reused).
    pub next_segment: u64,
    /// Rows in the delta (row entries not yet compacted into a segment).
    pub delta_rows: u64,
}

/// Encodes the state entry.
pub fn encode_state(s: &State) -> Vec<u8> {
    let mut out = vec![META_VERSION];
    push_u64(&mut out, s.next_segment);
    push_u64(&mut out, s.delta_rows);
    seal(out)
}

/// Decodes the state entry.
pub fn decode_state(bytes: &[u8]) -> Result<State, ChunkError> {
    let body = unseal(bytes, "columnar state")?;
    let mut r = Reader::new(body);
    r.u8()?;
    let next_segment = r.u64()?;
    let delta_rows = r.u64()?;
    if !r.is_empty() {
        return Err(invalid(format!(
            "columnar state: {} trailing bytes",
            r.remaining()
        )));
    }
    Ok(State {
        next_segment,
        delta_rows,
    })
}

/// Encodes a deleted-rows bitmap.
pub fn encode_deleted(b: &Bitmap) -> Vec<u8> {
    let mut out = vec![META_VERSION];
    push_u32(&mut out, b.len() as u32);
    for w in b.words() {
        push_u64(&mut out, *w);
    }
    seal(out)
}

/// Decodes a deleted-rows bitmap of a segment of `rows` rows.
pub fn decode_deleted(bytes: &[u8], rows: u32) -> Result<Bitmap, ChunkError> {
    let body = unseal(bytes, "deleted rows")?;
    let mut r = Reader::new(body);
    r.u8()?;
    let len = r.u32()?;
    if len != rows {
        return Err(invalid(format!(
            "deleted rows: bitmap of {len} rows for a segment of {rows}"
        )));
    }
    let words = (len as usize).div_ceil(64);
    if r.remaining() != words * 8 {
        return Err(invalid(format!(
            "deleted rows: {} bytes of words, expected {}",
            r.remaining(),
            words * 8
        )));
    }
    let words = (0..words).map(|_| r.u64()).collect::<Result<Vec<_>, _>>()?;
    Ok(Bitmap::from_words(words, len as usize))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::columnar::Scalar;

    fn meta() -> SegmentMeta {
        SegmentMeta {
            rows: 3,
            chunks: vec![ChunkMeta {
                column: 2,
                ty: PhysicalType::Int,
                bytes: 40,
                plain_bytes: 24,
                zone: ZoneMap {
                    rows: 3,
                    null_count: 1,
                    min: Some(Scalar::Int(-4)),
                    max: Some(Scalar::Int(9)),
                },
                encoding: "frame+bitpack[4]".into(),
            }],
        }
    }

    #[test]
    fn entries_round_trip_and_every_flipped_byte_is_refused() {
        let m = meta();
        let bytes = encode_meta(&m);
        assert_eq!(decode_meta(&bytes).expect("decodes"), m);
        for i in 0..bytes.len() {
            let mut bad = bytes.clone();
            bad[i] ^= 0x10;
            assert!(decode_meta(&bad).is_err(), "byte {i} flipped was accepted");
        }
        let s = State {
            next_segment: 7,
            delta_rows: 12,
        };
        assert_eq!(decode_state(&encode_state(&s)).expect("state"), s);
        let mut d = Bitmap::none(70);
        d.set(69, true);
        let bytes = encode_deleted(&d);
        assert_eq!(decode_deleted(&bytes, 70).expect("bitmap"), d);
        assert!(decode_deleted(&bytes, 71).is_err(), "row count is checked");
    }

    #[test]
    fn a_zone_map_disagreeing_with_the_segment_is_invalid() {
        let mut m = meta();
        m.chunks[0].zone.rows = 4;
        let err = decode_meta(&encode_meta(&m)).expect_err("refused");
        assert!(err.to_string().contains("zone map has 4 rows"), "{err}");
    }
}
