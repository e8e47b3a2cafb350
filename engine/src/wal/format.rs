//! The WAL's byte layouts: the segment header, the record frame, and the op encoding.
//!
//! Everything is little-endian. See `engine/FORMAT.md` ("Write-ahead log") for the tables.
//! Decoders never trust their input: lengths are bounded and every failure is a value, not a
//! panic.

#![deny(clippy::indexing_slicing)]

use crate::types::{Lsn, TxnId};
use crate::util::codec::{
    self, DecodeError, Reader, field_bytes, push_u32, push_u64, push_varint, put_bytes_at,
    put_u32_at, put_u64_at, read_u8_at, read_u32_at, read_u64_at, varint_len,
};

/// The fields of the segment header and of the record header, each named once: the codec
/// below, the catalog and the drift test against `engine/FORMAT.md` all read these.
pub mod layout {
    use crate::util::codec::Field;

    /// The segment header's fields.
    pub mod segment {
        use crate::util::codec::Field;

        /// Magic number `b"LDBWAL01"`.
        pub const MAGIC: Field = Field::bytes(0, 8);
        /// Segment format version.
        pub const VERSION: Field = Field::u32(8);
        /// Page size of the database the log belongs to.
        pub const PAGE_SIZE: Field = Field::u32(12);
        /// LSN of the segment's first record.
        pub const FIRST_LSN: Field = Field::u64(16);
        /// The size the file was created with (format version 3 on; zero before).
        pub const SEGMENT_SIZE: Field = Field::u64(24);
        /// Reserved, zero.
        pub const RESERVED: Field = Field::zeros(32, 28);
        /// CRC32C of the header's bytes before it.
        pub const CRC: Field = Field::u32(60);
    }

    /// Record header: payload length.
    pub const LEN: Field = Field::u32(0);
    /// Record header: CRC32C over payload, LSN and kind.
    pub const CRC: Field = Field::u32(4);
    /// Record header: the record's own LSN.
    pub const LSN: Field = Field::u64(8);
    /// Record header: the record kind.
    pub const KIND: Field = Field::u8(16);

    /// Commit and chunk payloads start with the transaction id.
    pub const TXN_ID: Field = Field::u64(0);
}

/// Magic number at the start of every segment.
pub const SEGMENT_MAGIC: &[u8; 8] = b"LDBWAL01";
/// Segment format version written by this build. Version 2 added the commit timestamp at the
/// end of every Commit payload; version 3 added the durable mark after it, the segment size in
/// the header and the closing record of a full segment. Versions 1 and 2 are still read.
pub const SEGMENT_VERSION: u32 = 3;
/// The oldest segment format version this build reads.
pub const MIN_SEGMENT_VERSION: u32 = 1;
/// Bytes of the commit timestamp that ends a Commit payload (format version 2 and later).
pub const COMMIT_TIME_LEN: usize = 8;
/// Bytes of the durable mark that follows the commit timestamp (format version 3 and later).
pub const DURABLE_MARK_LEN: usize = 8;
/// Bytes of the segment header.
pub const SEGMENT_HEADER_LEN: u64 = layout::segment::CRC.end() as u64;
/// Bytes of a record header: `len u32 | crc u32 | lsn u64 | kind u8`.
pub const RECORD_HEADER_LEN: usize = layout::KIND.end();

const _: () = assert!(SEGMENT_HEADER_LEN == 64 && RECORD_HEADER_LEN == 17);
/// The largest payload a record may carry; anything larger is corruption.
pub const MAX_PAYLOAD: usize = 16 << 20;
/// Transactions whose encoded ops exceed this are split into chunk records of at most this size.
pub const CHUNK_TARGET: usize = 1 << 20;

/// The kind byte of a record.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum RecordKind {
    /// The final record of a transaction: `txn u64 | op count varint | op bytes | commit time
    /// u64` (the time only from segment format version 2 on).
    Commit = 1,
    /// A non-final piece of a large transaction: `txn u64 | op bytes`.
    TxnChunk = 2,
    /// The last record of a full segment (format version 3 and later), written once the next
    /// segment exists: the log goes on in the segment named after this record's end. Its
    /// payload is empty.
    SegmentEnd = 3,
}

impl RecordKind {
    fn from_byte(b: u8) -> Option<Self> {
        match b {
            1 => Some(RecordKind::Commit),
            2 => Some(RecordKind::TxnChunk),
            3 => Some(RecordKind::SegmentEnd),
            _ => None,
        }
    }
}

/// One logical operation of a transaction.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Op {
    /// Insert or replace `key` with `value`.
    Put {
        /// The key.
        key: Vec<u8>,
        /// The value.
        value: Vec<u8>,
    },
    /// Remove `key` (absent keys are fine).
    Delete {
        /// The key.
        key: Vec<u8>,
    },
}

impl Op {
    /// The key the operation writes.
    pub fn key(&self) -> &[u8] {
        match self {
            Op::Put { key, .. } | Op::Delete { key } => key,
        }
    }

    /// Key plus value bytes of the operation.
    pub fn byte_len(&self) -> usize {
        match self {
            Op::Put { key, value } => key.len() + value.len(),
            Op::Delete { key } => key.len(),
        }
    }
}

const TAG_PUT: u8 = 1;
const TAG_DELETE: u8 = 2;

/// The segment header: `magic[8] | version u32 | page_size u32 | first_lsn u64 | segment_size
/// u64 | zeros | crc u32` with the CRC32C of bytes `0..60` at `60..64` (`segment_size` from
/// format version 3 on; zero before).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct SegmentHeader {
    /// Segment format version ([`MIN_SEGMENT_VERSION`]..=[`SEGMENT_VERSION`]); it decides the
    /// layout of the Commit payloads inside.
    pub version: u32,
    /// Page size of the database the log belongs to (a sanity check).
    pub page_size: u32,
    /// LSN of the first byte after the header.
    pub first_lsn: Lsn,
    /// The size the segment file was preallocated to (format version 3 and later; `0` in older
    /// segments). A shorter file has been truncated.
    pub segment_size: u64,
}

impl SegmentHeader {
    /// The header of a new segment in the current format version.
    pub fn new(page_size: u32, first_lsn: Lsn, segment_size: u64) -> Self {
        SegmentHeader {
            version: SEGMENT_VERSION,
            page_size,
            first_lsn,
            segment_size,
        }
    }

    /// Whether Commit payloads in this segment end with a commit timestamp.
    pub fn has_commit_time(&self) -> bool {
        self.version >= 2
    }

    /// Whether this segment's format has durable marks, the segment size and closing records
    /// (version 3 and later).
    pub fn has_durable_marks(&self) -> bool {
        self.version >= 3
    }

    /// Encodes the header into its 64 bytes.
    pub fn encode(&self) -> [u8; SEGMENT_HEADER_LEN as usize] {
        use layout::segment as f;
        let mut b = [0u8; SEGMENT_HEADER_LEN as usize];
        put_bytes_at(&mut b, f::MAGIC.offset, SEGMENT_MAGIC);
        put_u32_at(&mut b, f::VERSION.offset, self.version);
        put_u32_at(&mut b, f::PAGE_SIZE.offset, self.page_size);
        put_u64_at(&mut b, f::FIRST_LSN.offset, self.first_lsn.0);
        if self.version >= 3 {
            put_u64_at(&mut b, f::SEGMENT_SIZE.offset, self.segment_size);
        }
        let crc = crc32c::crc32c(&b[..f::CRC.offset]);
        put_u32_at(&mut b, f::CRC.offset, crc);
        b
    }

    /// Decodes and verifies a header; the error says what was wrong.
    pub fn decode(b: &[u8; SEGMENT_HEADER_LEN as usize]) -> Result<Self, String> {
        use layout::segment as f;
        // `b` is the whole header, so none of the reads below can fail.
        let short = |e: crate::util::codec::DecodeError| format!("segment header: {e}");
        if field_bytes(b, f::MAGIC).map_err(short)? != SEGMENT_MAGIC {
            return Err("bad segment magic (expected LDBWAL01)".into());
        }
        let crc = read_u32_at(b, f::CRC.offset).map_err(short)?;
        if crc != crc32c::crc32c(&b[..f::CRC.offset]) {
            return Err("segment header checksum mismatch".into());
        }
        let version = read_u32_at(b, f::VERSION.offset).map_err(short)?;
        if !(MIN_SEGMENT_VERSION..=SEGMENT_VERSION).contains(&version) {
            return Err(format!(
                "segment format version {version}; this build reads versions \
                 {MIN_SEGMENT_VERSION} to {SEGMENT_VERSION}"
            ));
        }
        let page_size = read_u32_at(b, f::PAGE_SIZE.offset).map_err(short)?;
        let first_lsn = read_u64_at(b, f::FIRST_LSN.offset).map_err(short)?;
        let segment_size = if version >= 3 {
            read_u64_at(b, f::SEGMENT_SIZE.offset).map_err(short)?
        } else {
            0
        };
        Ok(SegmentHeader {
            version,
            page_size,
            first_lsn: Lsn(first_lsn),
            segment_size,
        })
    }
}

/// The checksum of a record with `payload_crc = crc32c(payload)`: the payload CRC extended over
/// the LSN (8 bytes LE) and the kind byte. Computing the payload part first lets committers
/// checksum outside the log lock, before their LSN is known.
pub fn record_crc(payload_crc: u32, lsn: Lsn, kind: u8) -> u32 {
    let mut tail = [0u8; 9];
    put_u64_at(&mut tail, 0, lsn.0);
    tail[8] = kind;
    crc32c::crc32c_append(payload_crc, &tail)
}

/// A record payload ready to be framed: its kind, bytes and payload CRC.
#[derive(Debug)]
pub struct PreparedRecord {
    /// Commit or chunk.
    pub kind: RecordKind,
    /// The payload bytes.
    pub payload: Vec<u8>,
    /// `crc32c(payload)`.
    pub payload_crc: u32,
}

impl PreparedRecord {
    /// Bytes the framed record occupies in the log.
    pub fn framed_len(&self) -> u64 {
        (RECORD_HEADER_LEN + self.payload.len()) as u64
    }

    /// Ends a Commit payload with its commit time (microseconds since the Unix epoch) and the
    /// log's durable LSN at the moment the record is framed, as format version 3 defines them;
    /// the payload CRC is extended, not recomputed.
    pub fn stamp_commit(&mut self, unix_micros: u64, durable: Lsn) {
        let mut t = [0u8; COMMIT_TIME_LEN + DURABLE_MARK_LEN];
        put_u64_at(&mut t, 0, unix_micros);
        put_u64_at(&mut t, COMMIT_TIME_LEN, durable.0);
        self.payload.extend_from_slice(&t);
        self.payload_crc = crc32c::crc32c_append(self.payload_crc, &t);
    }

    /// The closing record of a full segment (empty payload).
    pub fn segment_end() -> Self {
        finish(RecordKind::SegmentEnd, Vec::new())
    }

    /// Appends the framed record, positioned at `lsn`, to `out`.
    pub fn frame_into(&self, lsn: Lsn, out: &mut Vec<u8>) {
        let kind = self.kind as u8;
        out.reserve(self.framed_len() as usize);
        push_u32(out, self.payload.len() as u32);
        push_u32(out, record_crc(self.payload_crc, lsn, kind));
        push_u64(out, lsn.0);
        out.push(kind);
        out.extend_from_slice(&self.payload);
    }
}

/// Encoded bytes of one op in the op stream.
fn op_len(op: &Op) -> usize {
    match op {
        Op::Put { key, value } => {
            1 + varint_len(key.len() as u64)
                + key.len()
                + varint_len(value.len() as u64)
                + value.len()
        }
        Op::Delete { key } => 1 + varint_len(key.len() as u64) + key.len(),
    }
}

/// Cuts a transaction's op stream into record payloads as it is encoded: `chunk` op bytes per
/// payload, the last (possibly shorter) piece going into the Commit payload. The stream's total
/// length is known up front, so each payload is allocated once at its final size and no byte is
/// copied twice.
struct PayloadCutter {
    txn: TxnId,
    op_count: u64,
    chunk: usize,
    /// Op bytes not yet placed in a payload.
    remaining: usize,
    cur: Vec<u8>,
    /// Room left for op bytes in `cur`.
    room: usize,
    records: Vec<PreparedRecord>,
}

impl PayloadCutter {
    fn new(txn: TxnId, op_count: u64, chunk: usize, total: usize) -> Self {
        let mut cutter = PayloadCutter {
            txn,
            op_count,
            chunk: chunk.max(1),
            remaining: total,
            cur: Vec::new(),
            room: 0,
            records: Vec::with_capacity(total / chunk.max(1) + 1),
        };
        cutter.start_payload();
        cutter
    }

    /// Starts the next payload: a chunk if more than `chunk` op bytes remain (as slicing the
    /// stream into `chunk`-byte pieces leaves the last piece to the Commit), else the Commit.
    fn start_payload(&mut self) {
        let last = self.remaining <= self.chunk;
        let take = self.remaining.min(self.chunk);
        // Transaction id, op count varint, and room for the commit time stamped under the log
        // lock, so stamping never reallocates.
        let mut payload = Vec::with_capacity(18 + COMMIT_TIME_LEN + DURABLE_MARK_LEN + take);
        push_u64(&mut payload, self.txn.0);
        if last {
            push_varint(&mut payload, self.op_count);
        }
        self.cur = payload;
        self.room = take;
        self.remaining -= take;
    }

    fn put(&mut self, mut bytes: &[u8]) {
        while !bytes.is_empty() {
            if self.room == 0 {
                let full = std::mem::take(&mut self.cur);
                self.records.push(finish(RecordKind::TxnChunk, full));
                self.start_payload();
            }
            let (now, later) = bytes.split_at(bytes.len().min(self.room));
            self.cur.extend_from_slice(now);
            self.room -= now.len();
            bytes = later;
        }
    }

    fn put_varint(&mut self, v: u64) {
        let mut buf = Vec::with_capacity(10);
        push_varint(&mut buf, v);
        self.put(&buf);
    }

    fn finish(mut self) -> Vec<PreparedRecord> {
        self.records.push(finish(RecordKind::Commit, self.cur));
        self.records
    }
}

/// Encodes a transaction into record payloads: zero or more chunks of exactly `chunk` op bytes,
/// then one Commit with the rest. An op may straddle chunks: recovery concatenates the op
/// bytes first.
pub fn prepare_txn(txn: TxnId, ops: &[Op], chunk: usize) -> Vec<PreparedRecord> {
    let total: usize = ops.iter().map(op_len).sum();
    let mut out = PayloadCutter::new(txn, ops.len() as u64, chunk, total);
    for op in ops {
        match op {
            Op::Put { key, value } => {
                out.put(&[TAG_PUT]);
                out.put_varint(key.len() as u64);
                out.put(key);
                out.put_varint(value.len() as u64);
                out.put(value);
            }
            Op::Delete { key } => {
                out.put(&[TAG_DELETE]);
                out.put_varint(key.len() as u64);
                out.put(key);
            }
        }
    }
    out.finish()
}

fn finish(kind: RecordKind, payload: Vec<u8>) -> PreparedRecord {
    let payload_crc = crc32c::crc32c(&payload);
    PreparedRecord {
        kind,
        payload,
        payload_crc,
    }
}

/// Why a record could not be read at a position (recovery stops there).
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum FrameError {
    /// Fewer bytes remain than the header or payload needs (a partial record).
    Partial,
    /// An all-zero header: the preallocated, never-written end of the segment.
    End,
    /// A header or checksum that cannot be valid.
    Invalid(String),
}

/// A record read from a buffer.
#[derive(Debug)]
pub struct Frame<'a> {
    /// The record kind.
    pub kind: RecordKind,
    /// The verified payload.
    pub payload: &'a [u8],
    /// Total bytes the record occupies.
    pub len: usize,
}

/// Reads and verifies the record at the start of `buf`, expected at position `lsn`.
pub fn read_frame(buf: &[u8], lsn: Lsn) -> Result<Frame<'_>, FrameError> {
    let Some(h) = buf.get(..RECORD_HEADER_LEN) else {
        return if buf.iter().all(|&b| b == 0) {
            Err(FrameError::End)
        } else {
            Err(FrameError::Partial)
        };
    };
    if h.iter().all(|&b| b == 0) {
        return Err(FrameError::End);
    }
    // `h` is the whole record header, so none of these reads can fail.
    let short = |_| FrameError::Partial;
    let len = read_u32_at(h, layout::LEN.offset).map_err(short)? as usize;
    let crc = read_u32_at(h, layout::CRC.offset).map_err(short)?;
    let rec_lsn = read_u64_at(h, layout::LSN.offset).map_err(short)?;
    let kind_byte = read_u8_at(h, layout::KIND.offset).map_err(short)?;
    if len > MAX_PAYLOAD {
        return Err(FrameError::Invalid(format!(
            "payload length {len} exceeds {MAX_PAYLOAD}"
        )));
    }
    if rec_lsn != lsn.0 {
        return Err(FrameError::Invalid(format!(
            "record claims lsn {rec_lsn}, found at {}",
            lsn.0
        )));
    }
    let kind = RecordKind::from_byte(kind_byte)
        .ok_or_else(|| FrameError::Invalid(format!("unknown record kind {kind_byte}")))?;
    let payload = buf
        .get(RECORD_HEADER_LEN..RECORD_HEADER_LEN + len)
        .ok_or(FrameError::Partial)?;
    if record_crc(crc32c::crc32c(payload), lsn, kind_byte) != crc {
        return Err(FrameError::Invalid("record checksum mismatch".into()));
    }
    Ok(Frame {
        kind,
        payload,
        len: RECORD_HEADER_LEN + len,
    })
}

/// Splits a payload into its transaction id and the rest.
pub fn split_txn(payload: &[u8]) -> Result<(TxnId, &[u8]), String> {
    let mut r = Reader::at(payload, layout::TXN_ID.offset);
    let id = r
        .u64()
        .map_err(|_| "payload shorter than its transaction id")?;
    Ok((TxnId(id), r.rest()))
}

/// What ends a Commit body in a segment of a given format version.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct CommitTrailer {
    /// The commit time, µs since the Unix epoch (format version 2 and later).
    pub time: Option<u64>,
    /// The log's durable LSN when the record was framed (format version 3 and later): every
    /// record below it had been fsynced before this one was written.
    pub durable: Option<Lsn>,
}

/// Splits the trailer off the end of a Commit body (the bytes after the transaction id) in a
/// segment whose header is `header`: the commit time from format version 2 on, the durable
/// mark from version 3 on; version 1 bodies carry neither.
pub fn split_commit_trailer<'a>(
    body: &'a [u8],
    header: &SegmentHeader,
) -> Result<(&'a [u8], CommitTrailer), String> {
    let mut rest = body;
    let mut trailer = CommitTrailer {
        time: None,
        durable: None,
    };
    if header.has_durable_marks() {
        let at = rest
            .len()
            .checked_sub(DURABLE_MARK_LEN)
            .ok_or("commit payload shorter than its durable mark")?;
        let (head, mark) = rest.split_at(at);
        let mark = read_u64_at(mark, 0).map_err(|e| format!("durable mark: {e}"))?;
        trailer.durable = Some(Lsn(mark));
        rest = head;
    }
    if header.has_commit_time() {
        let at = rest
            .len()
            .checked_sub(COMMIT_TIME_LEN)
            .ok_or("commit payload shorter than its commit time")?;
        let (head, t) = rest.split_at(at);
        let t = read_u64_at(t, 0).map_err(|e| format!("commit time: {e}"))?;
        trailer.time = Some(t);
        rest = head;
    }
    Ok((rest, trailer))
}

/// Reads a LEB128 varint from the front of `buf`, advancing it.
pub fn get_varint(buf: &mut &[u8]) -> Result<u64, String> {
    let mut r = Reader::new(buf);
    let v = r.varint().map_err(varint_error)?;
    *buf = r.rest();
    Ok(v)
}

/// The op-stream message for a varint the codec could not read.
fn varint_error(e: DecodeError) -> String {
    if e.expected == codec::LONG_VARINT {
        "varint longer than 10 bytes".into()
    } else {
        "truncated varint".into()
    }
}

fn take<'a>(r: &mut Reader<'a>, n: u64, what: &str) -> Result<&'a [u8], String> {
    let n = usize::try_from(n).map_err(|_| format!("{what} length {n} too large"))?;
    r.bytes(n)
        .map_err(|_| format!("{what} length {n} runs past the end of the transaction"))
}

/// Decodes exactly `count` ops from a transaction's concatenated op bytes.
pub fn decode_ops(buf: &[u8], count: u64) -> Result<Vec<Op>, String> {
    let mut ops = Vec::with_capacity(usize::try_from(count.min(1 << 16)).unwrap_or(0));
    let mut r = Reader::new(buf);
    for i in 0..count {
        let tag = r.u8().map_err(|_| format!("op {i} missing"))?;
        let klen = r.varint().map_err(varint_error)?;
        let key = take(&mut r, klen, "key")?.to_vec();
        match tag {
            TAG_PUT => {
                let vlen = r.varint().map_err(varint_error)?;
                let value = take(&mut r, vlen, "value")?.to_vec();
                ops.push(Op::Put { key, value });
            }
            TAG_DELETE => ops.push(Op::Delete { key }),
            t => return Err(format!("op {i} has unknown tag {t}")),
        }
    }
    if !r.is_empty() {
        return Err(format!(
            "{} trailing bytes after {count} ops",
            r.remaining()
        ));
    }
    Ok(ops)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::util::SplitMix64;

    fn random_ops(rng: &mut SplitMix64) -> Vec<Op> {
        (0..rng.below(20))
            .map(|_| {
                let klen = rng.range_inclusive(1, 40) as usize;
                let key = rng.bytes(klen);
                if rng.chance(1, 3) {
                    Op::Delete { key }
                } else {
                    let vlen = rng.below(3000) as usize;
                    Op::Put {
                        key,
                        value: rng.bytes(vlen),
                    }
                }
            })
            .collect()
    }

    /// Encoded transactions decode to the same ops, whatever the chunk size (seeded).
    #[test]
    fn ops_round_trip_through_chunks() {
        let seed = 0xC0DE;
        let mut rng = SplitMix64::new(seed);
        for case in 0..200 {
            let ops = random_ops(&mut rng);
            let chunk = rng.range_inclusive(1, 5000) as usize;
            let recs = prepare_txn(TxnId(case), &ops, chunk);
            let mut stream = Vec::new();
            let mut count = 0;
            for (i, r) in recs.iter().enumerate() {
                let mut framed = Vec::new();
                r.frame_into(Lsn(100), &mut framed);
                let f = read_frame(&framed, Lsn(100)).expect("valid frame");
                let (txn, mut body) = split_txn(f.payload).expect("txn");
                assert_eq!(txn, TxnId(case));
                if i + 1 == recs.len() {
                    assert_eq!(f.kind, RecordKind::Commit);
                    count = get_varint(&mut body).expect("count");
                } else {
                    assert_eq!(f.kind, RecordKind::TxnChunk);
                    assert!(body.len() <= chunk);
                }
                stream.extend_from_slice(body);
            }
            assert_eq!(
                decode_ops(&stream, count).expect("decode"),
                ops,
                "seed {seed} case {case}"
            );
        }
    }

    /// Random bytes never panic the decoders and are never accepted as a record (seeded).
    #[test]
    fn garbage_is_rejected_without_panics() {
        let seed = 0xBAD;
        let mut rng = SplitMix64::new(seed);
        for case in 0..2000 {
            let len = rng.below(200) as usize;
            let buf = rng.bytes(len);
            assert!(read_frame(&buf, Lsn(0)).is_err(), "seed {seed} case {case}");
            let _ = decode_ops(&buf, rng.below(5));
            let mut hb = [0u8; SEGMENT_HEADER_LEN as usize];
            rng.fill(&mut hb);
            assert!(SegmentHeader::decode(&hb).is_err());
        }
        let h = SegmentHeader::new(4096, Lsn(77), 1 << 20);
        assert_eq!(SegmentHeader::decode(&h.encode()), Ok(h));
        // Older versions carry no segment size: it decodes as 0.
        let old = SegmentHeader {
            version: 1,
            segment_size: 0,
            ..h
        };
        assert_eq!(SegmentHeader::decode(&old.encode()), Ok(old));
        let future = SegmentHeader { version: 4, ..h };
        let err = SegmentHeader::decode(&future.encode()).expect_err("future version refused");
        assert!(err.contains("version 4"), "{err}");
    }

    /// The op stream encoded in one piece, as the format defines it.
    fn stream(ops: &[Op]) -> Vec<u8> {
        let mut s = Vec::new();
        for op in ops {
            match op {
                Op::Put { key, value } => {
                    s.push(TAG_PUT);
                    push_varint(&mut s, key.len() as u64);
                    s.extend_from_slice(key);
                    push_varint(&mut s, value.len() as u64);
                    s.extend_from_slice(value);
                }
                Op::Delete { key } => {
                    s.push(TAG_DELETE);
                    push_varint(&mut s, key.len() as u64);
                    s.extend_from_slice(key);
                }
            }
        }
        s
    }

    #[test]
    fn payloads_are_exact_chunks_of_the_op_stream_then_a_commit() {
        let mut ops = Vec::new();
        for i in 0..40u8 {
            let key = vec![i; 1 + usize::from(i % 5)];
            if i % 7 == 3 {
                ops.push(Op::Delete { key });
            } else {
                let value = vec![i ^ 0x5A; usize::from(i) * 11];
                ops.push(Op::Put { key, value });
            }
        }
        let want = stream(&ops);
        for chunk in [
            1,
            3,
            7,
            64,
            want.len() - 1,
            want.len(),
            want.len() + 1,
            1 << 20,
        ] {
            let records = prepare_txn(TxnId(9), &ops, chunk);
            let (last, chunks) = records.split_last().expect("a commit record");
            let mut got = Vec::new();
            for r in chunks {
                assert_eq!(r.kind, RecordKind::TxnChunk, "chunk size {chunk}");
                let (txn, bytes) = split_txn(&r.payload).expect("txn id");
                assert_eq!((txn, bytes.len()), (TxnId(9), chunk), "chunk size {chunk}");
                assert_eq!(r.payload_crc, crc32c::crc32c(&r.payload));
                got.extend_from_slice(bytes);
            }
            assert_eq!(last.kind, RecordKind::Commit);
            let (txn, mut rest) = split_txn(&last.payload).expect("txn id");
            assert_eq!(txn, TxnId(9));
            assert_eq!(get_varint(&mut rest).expect("count"), ops.len() as u64);
            assert!(rest.len() <= chunk, "chunk size {chunk}");
            got.extend_from_slice(rest);
            assert_eq!(got, want, "chunk size {chunk}");
            assert_eq!(decode_ops(&got, ops.len() as u64).expect("decode"), ops);
        }
        let empty = prepare_txn(TxnId(1), &[], 8);
        assert_eq!(empty.len(), 1);
        assert_eq!(empty[0].payload, [1, 0, 0, 0, 0, 0, 0, 0, 0]);
    }
}
