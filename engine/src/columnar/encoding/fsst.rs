//! FSST, the Fast Static Symbol Table (after Boncz, Neumann and Leis, VLDB 2020): high-
//! cardinality text compressed by a table of up to 255 symbols of 1–8 bytes, each occurrence
//! replaced by its one-byte code; a byte no symbol covers is the escape code 255 followed by
//! the byte itself.
//!
//! Encoding (`encode`):
//! 1. take a sample of the values (at most [`SAMPLE_BYTES`] bytes, spread over the chunk);
//! 2. build the table in [`ROUNDS`] rounds: compress the sample with the current table,
//!    counting how often each symbol (and each escaped byte) is used and how often each pair
//!    of them follows one another; the candidates are the symbols, the escaped bytes and the
//!    concatenations of the pairs (cut to 8 bytes); the 255 with the highest gain
//!    (count × length) form the next table;
//! 3. compress every value greedily, the longest symbol matching at each position;
//! 4. write the table, the `n + 1` offsets of the compressed values (an integer child stream,
//!    chosen at `depth + 1`) and the compressed bytes.
//!
//! Payload: symbol count `s` u8 (≤ 255); per symbol its length u8 (1..=8) and its bytes; the
//! offsets as a child (`u32` length + stream); the compressed values, the rest of the payload.
//!
//! Decoding trusts nothing: lengths 1..=8, every code < `s` or the escape, an escape followed
//! by a byte of the same value, offsets from 0, never decreasing, ending at the data's length.
//! A value decodes to at most 8 bytes per compressed byte by construction; the total decoded
//! size must fit the 4 GiB of a [`ByteColumn`].
#![deny(clippy::indexing_slicing)]

use std::collections::HashMap;

use super::{ChunkError, Encoding, EncodingKind, invalid, push_child, read_child};
use super::{select, stream};
use crate::columnar::vector::ByteColumn;
use crate::util::codec::Reader;

/// The code that escapes one literal byte.
pub const ESCAPE: u8 = 255;
/// The most symbols a table holds (codes 0..=254).
pub const MAX_SYMBOLS: usize = 255;
/// The longest symbol, in bytes.
pub const MAX_SYMBOL_LEN: usize = 8;
/// How many rounds build a table.
pub const ROUNDS: usize = 5;
/// How many bytes of values the table is built from, at most.
pub const SAMPLE_BYTES: usize = 16 * 1024;

/// One symbol: up to 8 bytes.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
struct Symbol {
    len: u8,
    bytes: [u8; MAX_SYMBOL_LEN],
}

impl Symbol {
    fn of(b: &[u8]) -> Symbol {
        let len = b.len().min(MAX_SYMBOL_LEN);
        let mut bytes = [0; MAX_SYMBOL_LEN];
        for (d, s) in bytes.iter_mut().zip(b) {
            *d = *s;
        }
        Symbol {
            len: len as u8,
            bytes,
        }
    }

    fn as_slice(&self) -> &[u8] {
        self.bytes.get(..self.len as usize).unwrap_or_default()
    }

    /// `self` followed by `next`, cut to 8 bytes.
    fn concat(&self, next: &Symbol) -> Symbol {
        let mut b = [0u8; 2 * MAX_SYMBOL_LEN];
        let (a, c) = (self.as_slice(), next.as_slice());
        for (d, s) in b.iter_mut().zip(a.iter().chain(c)) {
            *d = *s;
        }
        Symbol::of(b.get(..a.len() + c.len()).unwrap_or_default())
    }
}

/// A symbol table and, for encoding, an index: the codes of the symbols of two bytes or more
/// grouped by their first two bytes (longest first), and the one-byte symbol of each byte.
#[derive(Clone, Debug, Default)]
pub struct Table {
    symbols: Vec<Symbol>,
    /// Per code, the symbol's bytes as a little-endian word and the mask of its length.
    words: Vec<(u64, u64)>,
    /// `codes[starts[p]..starts[p + 1]]` start with the two bytes `p` (first byte low).
    starts: Vec<u32>,
    codes: Vec<u8>,
    /// The code of the one-byte symbol of each byte, or 256.
    single: Vec<u16>,
}

/// The first 8 bytes of `b` as a little-endian word, zero-padded.
fn word(b: &[u8]) -> u64 {
    match b.first_chunk::<8>() {
        Some(w) => u64::from_le_bytes(*w),
        None => {
            let mut w = [0u8; 8];
            for (d, s) in w.iter_mut().zip(b) {
                *d = *s;
            }
            u64::from_le_bytes(w)
        }
    }
}

impl Table {
    fn new(mut symbols: Vec<Symbol>) -> Table {
        symbols.truncate(MAX_SYMBOLS);
        let words = symbols
            .iter()
            .map(|s| {
                let mask = if s.len >= 8 {
                    u64::MAX
                } else {
                    (1u64 << (8 * s.len)) - 1
                };
                (word(s.as_slice()) & mask, mask)
            })
            .collect();
        let prefix = |s: &Symbol| usize::from(s.bytes[0]) | usize::from(s.bytes[1]) << 8;
        let mut order: Vec<u8> = (0..symbols.len())
            .filter(|&c| symbols.get(c).is_some_and(|s| s.len >= 2))
            .map(|c| c as u8)
            .collect();
        order.sort_by_key(|&c| {
            symbols
                .get(c as usize)
                .map(|s| (prefix(s), std::cmp::Reverse(s.len)))
        });
        let mut starts = vec![0u32; (1 << 16) + 1];
        for &c in &order {
            if let Some(slot) = symbols
                .get(c as usize)
                .and_then(|s| starts.get_mut(prefix(s) + 1))
            {
                *slot += 1;
            }
        }
        let mut acc = 0;
        for slot in &mut starts {
            acc += *slot;
            *slot = acc;
        }
        let mut single = vec![256u16; 256];
        for (c, s) in symbols.iter().enumerate().filter(|(_, s)| s.len == 1) {
            if let Some(slot) = single.get_mut(usize::from(s.bytes[0])) {
                *slot = c as u16;
            }
        }
        Table {
            symbols,
            words,
            starts,
            codes: order,
            single,
        }
    }

    /// The number of symbols.
    pub fn len(&self) -> usize {
        self.symbols.len()
    }

    /// Whether the table has no symbols (every byte is escaped).
    pub fn is_empty(&self) -> bool {
        self.symbols.is_empty()
    }

    /// The longest symbol `rest` starts with: its code and length.
    fn longest(&self, rest: &[u8]) -> Option<(u8, usize)> {
        let first = *rest.first()?;
        if let Some(&second) = rest.get(1) {
            let p = usize::from(first) | usize::from(second) << 8;
            if let (Some(&a), Some(&b)) = (self.starts.get(p), self.starts.get(p + 1)) {
                let w = word(rest);
                let found = self
                    .codes
                    .get(a as usize..b as usize)
                    .unwrap_or_default()
                    .iter()
                    .find(|&&c| {
                        self.words.get(c as usize).is_some_and(|&(sw, mask)| {
                            w & mask == sw && mask.count_ones() as usize <= 8 * rest.len()
                        })
                    });
                if let Some(&c) = found {
                    let len = self.symbols.get(c as usize).map_or(1, |s| s.len as usize);
                    return Some((c, len));
                }
            }
        }
        match self.single.get(usize::from(first)) {
            Some(&c) if c < 256 => Some((c as u8, 1)),
            _ => None,
        }
    }

    /// Appends the compressed form of `value`.
    pub fn compress(&self, value: &[u8], out: &mut Vec<u8>) {
        let mut rest = value;
        while let Some(&b) = rest.first() {
            match self.longest(rest) {
                Some((code, len)) => {
                    out.push(code);
                    rest = rest.get(len..).unwrap_or_default();
                }
                None => {
                    out.push(ESCAPE);
                    out.push(b);
                    rest = rest.get(1..).unwrap_or_default();
                }
            }
        }
    }

    /// Builds a table from `sample` (see the module head).
    pub fn build(sample: &[&[u8]]) -> Table {
        let mut table = Table::default();
        // Unit `u` < 256 is symbol code `u`; 256 + b is byte b escaped.
        for _ in 0..ROUNDS {
            let unit = |u: usize, t: &Table| -> Symbol {
                if u >= 256 {
                    Symbol::of(&[(u - 256) as u8])
                } else {
                    t.symbols.get(u).copied().unwrap_or(Symbol::of(&[]))
                }
            };
            let mut single = vec![0u64; 512];
            let mut pairs: HashMap<(u16, u16), u64> = HashMap::new();
            for v in sample {
                let mut rest = *v;
                let mut prev: Option<u16> = None;
                while let Some(&b) = rest.first() {
                    let (u, len) = match table.longest(rest) {
                        Some((c, len)) => (c as u16, len),
                        None => (256 + b as u16, 1),
                    };
                    if let Some(s) = single.get_mut(u as usize) {
                        *s += 1;
                    }
                    if let Some(p) = prev {
                        *pairs.entry((p, u)).or_default() += 1;
                    }
                    prev = Some(u);
                    rest = rest.get(len..).unwrap_or_default();
                }
            }
            let mut gain: HashMap<Symbol, u64> = HashMap::new();
            for (u, &c) in single.iter().enumerate().filter(|(_, c)| **c > 0) {
                let s = unit(u, &table);
                *gain.entry(s).or_default() += c * u64::from(s.len);
            }
            for (&(a, b), &c) in &pairs {
                let s = unit(a as usize, &table).concat(&unit(b as usize, &table));
                *gain.entry(s).or_default() += c * u64::from(s.len);
            }
            let mut ranked: Vec<(u64, Symbol)> = gain
                .into_iter()
                .filter(|(s, _)| s.len > 0)
                .map(|(s, g)| (g, s))
                .collect();
            ranked.sort_unstable_by(|a, b| b.0.cmp(&a.0).then(a.1.cmp(&b.1)));
            table = Table::new(
                ranked
                    .into_iter()
                    .take(MAX_SYMBOLS)
                    .map(|(_, s)| s)
                    .collect(),
            );
        }
        table
    }

    /// Appends the table: count u8, per symbol length u8 and bytes.
    fn write(&self, out: &mut Vec<u8>) {
        out.push(self.symbols.len() as u8);
        for s in &self.symbols {
            out.push(s.len);
            out.extend_from_slice(s.as_slice());
        }
    }

    /// Reads a table written by [`Table::write`], checking every length.
    fn read(r: &mut Reader<'_>) -> Result<Table, ChunkError> {
        let count = r.u8()? as usize;
        if count > MAX_SYMBOLS {
            return Err(invalid(format!(
                "FSST symbol count {count} > {MAX_SYMBOLS}"
            )));
        }
        let mut symbols = Vec::with_capacity(count);
        for i in 0..count {
            let len = r.u8()? as usize;
            if !(1..=MAX_SYMBOL_LEN).contains(&len) {
                return Err(invalid(format!(
                    "FSST symbol {i} has length {len}, not 1..={MAX_SYMBOL_LEN}"
                )));
            }
            symbols.push(Symbol::of(r.bytes(len)?));
        }
        // Decoding needs no index.
        Ok(Table {
            symbols,
            ..Table::default()
        })
    }

    /// The decoded length of one compressed value, checking its codes (`i` names the value).
    fn decoded_len(&self, compressed: &[u8], i: usize) -> Result<usize, ChunkError> {
        let mut len = 0usize;
        let mut it = compressed.iter();
        while let Some(&c) = it.next() {
            if c == ESCAPE {
                if it.next().is_none() {
                    return Err(invalid(format!(
                        "FSST escape at the end of value {i} without its byte"
                    )));
                }
                len += 1;
            } else {
                let s = self.symbols.get(c as usize).ok_or_else(|| {
                    invalid(format!(
                        "FSST code {c} in value {i} >= symbol count {}",
                        self.symbols.len()
                    ))
                })?;
                len += s.len as usize;
            }
        }
        Ok(len)
    }

    /// Appends the decoded form of a value [`Table::decoded_len`] checked.
    fn decompress(&self, compressed: &[u8], out: &mut Vec<u8>) {
        let mut it = compressed.iter();
        while let Some(&c) = it.next() {
            if c == ESCAPE {
                if let Some(&b) = it.next() {
                    out.push(b);
                }
            } else if let Some(s) = self.symbols.get(c as usize) {
                out.extend_from_slice(s.as_slice());
            }
        }
    }
}

/// The values the table is built from: every `k`-th value, at most [`SAMPLE_BYTES`] bytes.
fn sample(values: &ByteColumn) -> Vec<&[u8]> {
    let total = values.data().len();
    let n = values.len();
    if total <= SAMPLE_BYTES || n == 0 {
        return values.iter().collect();
    }
    let step = total.div_ceil(SAMPLE_BYTES).max(1);
    let mut out = Vec::new();
    let mut bytes = 0;
    for i in (0..n).step_by(step) {
        let v = values.get(i);
        bytes += v.len();
        out.push(v);
        if bytes >= SAMPLE_BYTES {
            break;
        }
    }
    out
}

/// FSST-encodes `values`, the offsets encoded at `depth + 1`.
pub fn encode(values: &ByteColumn, depth: usize, sample_streams: bool) -> (Encoding, Vec<u8>) {
    let table = Table::build(&sample(values));
    let mut data = Vec::with_capacity(values.data().len() / 2);
    let mut offsets = Vec::with_capacity(values.len() + 1);
    offsets.push(0i64);
    for v in values.iter() {
        table.compress(v, &mut data);
        offsets.push(data.len() as i64);
    }
    let (child, offset_bytes) = select::encode_ints(&offsets, depth + 1, sample_streams);
    let mut out = Vec::with_capacity(1 + 9 * table.len() + 4 + offset_bytes.len() + data.len());
    table.write(&mut out);
    push_child(&mut out, &offset_bytes);
    out.extend_from_slice(&data);
    (
        Encoding {
            kind: EncodingKind::Fsst,
            param: 0,
            children: vec![child],
        },
        out,
    )
}

/// An FSST payload taken apart and checked: the table, the compressed values and their
/// decoded lengths.
pub struct Parts<'a> {
    table: Table,
    offsets: Vec<u32>,
    data: &'a [u8],
    /// The decoded length of each value.
    pub lens: Vec<u32>,
}

impl Parts<'_> {
    /// The compressed bytes of value `i`.
    fn compressed(&self, i: usize) -> &[u8] {
        match (self.offsets.get(i), self.offsets.get(i + 1)) {
            (Some(&a), Some(&b)) => self.data.get(a as usize..b as usize).unwrap_or_default(),
            _ => &[],
        }
    }

    /// Appends decoded value `i` to `out`.
    pub fn value_into(&self, i: usize, out: &mut Vec<u8>) {
        self.table.decompress(self.compressed(i), out);
    }

    /// Every value, decoded.
    pub fn decode_all(&self) -> Result<ByteColumn, ChunkError> {
        let mut offsets = Vec::with_capacity(self.lens.len() + 1);
        offsets.push(0u32);
        let mut total = 0u64;
        for &l in &self.lens {
            total += u64::from(l);
            let end = u32::try_from(total).map_err(|_| {
                invalid(format!(
                    "FSST values decode to more than 4 GiB ({total} bytes)"
                ))
            })?;
            offsets.push(end);
        }
        // Every symbol is copied as a whole word and the cursor advanced by its length, so
        // the buffer has 8 bytes of slack; escapes never cross values (checked by `split`), so
        // the compressed values decode as one sequence.
        let total = total as usize;
        let mut data = vec![0u8; total + MAX_SYMBOL_LEN];
        let mut pos = 0usize;
        let mut it = self.data.iter();
        while let Some(&c) = it.next() {
            if c == ESCAPE {
                if let (Some(&b), Some(d)) = (it.next(), data.get_mut(pos)) {
                    *d = b;
                }
                pos += 1;
            } else if let Some(sym) = self.table.symbols.get(c as usize) {
                if let Some(d) = data.get_mut(pos..pos + MAX_SYMBOL_LEN) {
                    d.copy_from_slice(&sym.bytes);
                }
                pos += sym.len as usize;
            }
        }
        data.truncate(total);
        super::plain::offsets_to_column(offsets, data)
    }
}

/// Splits and checks an FSST payload of `n` values.
pub fn split<'a>(enc: &Encoding, payload: &'a [u8], n: usize) -> Result<Parts<'a>, ChunkError> {
    let child = enc
        .children
        .first()
        .ok_or_else(|| invalid("FSST encoding without an offsets encoding"))?;
    let mut r = Reader::new(payload);
    let table = Table::read(&mut r)?;
    let offset_bytes = read_child(&mut r)?;
    let data = r.rest();
    let count = n
        .checked_add(1)
        .ok_or_else(|| invalid("FSST offset count overflows"))?;
    let raw = stream::decode_ints(child, offset_bytes, count)?;
    let mut offsets = Vec::with_capacity(count);
    let mut prev = 0u32;
    for (i, &o) in raw.iter().enumerate() {
        let o = u32::try_from(o)
            .ok()
            .filter(|&o| o as usize <= data.len())
            .ok_or_else(|| {
                invalid(format!(
                    "FSST offset {o} past the compressed data length {}",
                    data.len()
                ))
            })?;
        if (i == 0 && o != 0) || o < prev {
            return Err(invalid(format!(
                "FSST offsets not monotone from 0: offset {i} is {o} after {prev}"
            )));
        }
        offsets.push(o);
        prev = o;
    }
    if prev as usize != data.len() {
        return Err(invalid(format!(
            "FSST offsets end at {prev}, the compressed data has {} bytes",
            data.len()
        )));
    }
    let mut parts = Parts {
        table,
        offsets,
        data,
        lens: Vec::with_capacity(n),
    };
    for i in 0..n {
        let l = parts.table.decoded_len(parts.compressed(i), i)?;
        // A code yields at most 8 bytes, so `l ≤ 8 × compressed length` and fits a u32.
        parts.lens.push(
            u32::try_from(l)
                .map_err(|_| invalid(format!("FSST value {i} decodes to {l} bytes")))?,
        );
    }
    Ok(parts)
}

/// Decodes an FSST stream of `n` byte strings.
pub fn decode(enc: &Encoding, payload: &[u8], n: usize) -> Result<ByteColumn, ChunkError> {
    split(enc, payload, n)?.decode_all()
}
