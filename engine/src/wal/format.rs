//! The WAL's byte layouts: the segment header, the record frame, and the op encoding.
//!
//! Everything is little-endian. See `engine/FORMAT.md` ("Write-ahead log") for the tables.
//! Decoders never trust their input: lengths are bounded and every failure is a value, not a
//! panic.

use crate::types::{Lsn, TxnId};

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
pub const SEGMENT_HEADER_LEN: u64 = 64;
/// Bytes of a record header: `len u32 | crc u32 | lsn u64 | kind u8`.
pub const RECORD_HEADER_LEN: usize = 17;
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
        let mut b = [0u8; SEGMENT_HEADER_LEN as usize];
        b[0..8].copy_from_slice(SEGMENT_MAGIC);
        b[8..12].copy_from_slice(&self.version.to_le_bytes());
        b[12..16].copy_from_slice(&self.page_size.to_le_bytes());
        b[16..24].copy_from_slice(&self.first_lsn.0.to_le_bytes());
        if self.version >= 3 {
            b[24..32].copy_from_slice(&self.segment_size.to_le_bytes());
        }
        let crc = crc32c::crc32c(&b[0..60]);
        b[60..64].copy_from_slice(&crc.to_le_bytes());
        b
    }

    /// Decodes and verifies a header; the error says what was wrong.
    pub fn decode(b: &[u8; SEGMENT_HEADER_LEN as usize]) -> Result<Self, String> {
        if &b[0..8] != SEGMENT_MAGIC {
            return Err("bad segment magic (expected LDBWAL01)".into());
        }
        let crc = u32::from_le_bytes([b[60], b[61], b[62], b[63]]);
        if crc != crc32c::crc32c(&b[0..60]) {
            return Err("segment header checksum mismatch".into());
        }
        let version = u32::from_le_bytes([b[8], b[9], b[10], b[11]]);
        if !(MIN_SEGMENT_VERSION..=SEGMENT_VERSION).contains(&version) {
            return Err(format!(
                "segment format version {version}; this build reads versions \
                 {MIN_SEGMENT_VERSION} to {SEGMENT_VERSION}"
            ));
        }
        let page_size = u32::from_le_bytes([b[12], b[13], b[14], b[15]]);
        let mut lsn = [0u8; 8];
        lsn.copy_from_slice(&b[16..24]);
        let mut size = [0u8; 8];
        size.copy_from_slice(&b[24..32]);
        let segment_size = if version >= 3 {
            u64::from_le_bytes(size)
        } else {
            0
        };
        Ok(SegmentHeader {
            version,
            page_size,
            first_lsn: Lsn(u64::from_le_bytes(lsn)),
            segment_size,
        })
    }
}

/// The checksum of a record with `payload_crc = crc32c(payload)`: the payload CRC extended over
/// the LSN (8 bytes LE) and the kind byte. Computing the payload part first lets committers
/// checksum outside the log lock, before their LSN is known.
pub fn record_crc(payload_crc: u32, lsn: Lsn, kind: u8) -> u32 {
    let mut tail = [0u8; 9];
    tail[..8].copy_from_slice(&lsn.0.to_le_bytes());
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
        t[..COMMIT_TIME_LEN].copy_from_slice(&unix_micros.to_le_bytes());
        t[COMMIT_TIME_LEN..].copy_from_slice(&durable.0.to_le_bytes());
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
        out.extend_from_slice(&(self.payload.len() as u32).to_le_bytes());
        out.extend_from_slice(&record_crc(self.payload_crc, lsn, kind).to_le_bytes());
        out.extend_from_slice(&lsn.0.to_le_bytes());
        out.push(kind);
        out.extend_from_slice(&self.payload);
    }
}

fn put_varint(out: &mut Vec<u8>, mut v: u64) {
    while v >= 0x80 {
        out.push((v as u8) | 0x80);
        v >>= 7;
    }
    out.push(v as u8);
}

/// Bytes of `v` as a varint.
fn varint_len(mut v: u64) -> usize {
    let mut n = 1;
    while v >= 0x80 {
        v >>= 7;
        n += 1;
    }
    n
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
        payload.extend_from_slice(&self.txn.0.to_le_bytes());
        if last {
            put_varint(&mut payload, self.op_count);
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
            let n = bytes.len().min(self.room);
            self.cur.extend_from_slice(&bytes[..n]);
            self.room -= n;
            bytes = &bytes[n..];
        }
    }

    fn put_varint(&mut self, v: u64) {
        let mut buf = Vec::with_capacity(10);
        put_varint(&mut buf, v);
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
    let len = u32::from_le_bytes([h[0], h[1], h[2], h[3]]) as usize;
    let crc = u32::from_le_bytes([h[4], h[5], h[6], h[7]]);
    let mut l = [0u8; 8];
    l.copy_from_slice(&h[8..16]);
    let rec_lsn = u64::from_le_bytes(l);
    let kind_byte = h[16];
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
    let (id, rest) = payload
        .split_at_checked(8)
        .ok_or("payload shorter than its transaction id")?;
    let mut b = [0u8; 8];
    b.copy_from_slice(id);
    Ok((TxnId(u64::from_le_bytes(b)), rest))
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
        let mut b = [0u8; DURABLE_MARK_LEN];
        b.copy_from_slice(mark);
        trailer.durable = Some(Lsn(u64::from_le_bytes(b)));
        rest = head;
    }
    if header.has_commit_time() {
        let at = rest
            .len()
            .checked_sub(COMMIT_TIME_LEN)
            .ok_or("commit payload shorter than its commit time")?;
        let (head, t) = rest.split_at(at);
        let mut b = [0u8; COMMIT_TIME_LEN];
        b.copy_from_slice(t);
        trailer.time = Some(u64::from_le_bytes(b));
        rest = head;
    }
    Ok((rest, trailer))
}

/// Reads a LEB128 varint from the front of `buf`, advancing it.
pub fn get_varint(buf: &mut &[u8]) -> Result<u64, String> {
    let mut v: u64 = 0;
    for i in 0..10 {
        let (&b, rest) = buf.split_first().ok_or("truncated varint")?;
        *buf = rest;
        v |= u64::from(b & 0x7f) << (7 * i);
        if b & 0x80 == 0 {
            return Ok(v);
        }
    }
    Err("varint longer than 10 bytes".into())
}

fn take<'a>(buf: &mut &'a [u8], n: u64, what: &str) -> Result<&'a [u8], String> {
    let n = usize::try_from(n).map_err(|_| format!("{what} length {n} too large"))?;
    let (head, rest) = buf
        .split_at_checked(n)
        .ok_or_else(|| format!("{what} length {n} runs past the end of the transaction"))?;
    *buf = rest;
    Ok(head)
}

/// Decodes exactly `count` ops from a transaction's concatenated op bytes.
pub fn decode_ops(mut buf: &[u8], count: u64) -> Result<Vec<Op>, String> {
    let mut ops = Vec::with_capacity(usize::try_from(count.min(1 << 16)).unwrap_or(0));
    for i in 0..count {
        let (&tag, rest) = buf.split_first().ok_or_else(|| format!("op {i} missing"))?;
        buf = rest;
        let klen = get_varint(&mut buf)?;
        let key = take(&mut buf, klen, "key")?.to_vec();
        match tag {
            TAG_PUT => {
                let vlen = get_varint(&mut buf)?;
                let value = take(&mut buf, vlen, "value")?.to_vec();
                ops.push(Op::Put { key, value });
            }
            TAG_DELETE => ops.push(Op::Delete { key }),
            t => return Err(format!("op {i} has unknown tag {t}")),
        }
    }
    if !buf.is_empty() {
        return Err(format!("{} trailing bytes after {count} ops", buf.len()));
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
                    put_varint(&mut s, key.len() as u64);
                    s.extend_from_slice(key);
                    put_varint(&mut s, value.len() as u64);
                    s.extend_from_slice(value);
                }
                Op::Delete { key } => {
                    s.push(TAG_DELETE);
                    put_varint(&mut s, key.len() as u64);
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
