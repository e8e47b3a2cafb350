//! Vectorized hash aggregation: `GROUP BY` columns and `COUNT/SUM/AVG/MIN/MAX` over batches.
//!
//! Per batch: each row's group id is found from its key columns' bytes (one hash probe per row,
//! a reused key buffer, no per-row values built), then each aggregate runs one typed loop over
//! its argument vector, adding into its per-group state. Results are the SQL layer's
//! ([`schema::sql::aggregate`](crate::schema::sql::aggregate)) value for value: `NULL`s are
//! skipped, `SUM` of `BIGINT` is a checked `BIGINT`, `AVG` is a `DOUBLE`, `MIN`/`MAX` keep the
//! argument's type, and a query without `GROUP BY` has one group even over no rows.

use std::cmp::Ordering;
use std::collections::HashMap;

use super::scan::Batch;
use super::vector::{ColumnVector, Values};
use super::vexpr::VExpr;
use crate::schema::error::{Result, SchemaError, SqlError};
use crate::schema::keys::encode_tuple;
use crate::schema::value::{ColumnType, Value};

/// An aggregate function.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum AggKind {
    /// `COUNT(*)`.
    CountStar,
    /// `COUNT(x)`.
    Count,
    /// `SUM(x)`.
    Sum,
    /// `AVG(x)`.
    Avg,
    /// `MIN(x)`.
    Min,
    /// `MAX(x)`.
    Max,
}

/// One aggregate: its function, argument and the argument's type.
#[derive(Clone, Debug, PartialEq)]
pub struct AggSpec {
    /// The function.
    pub kind: AggKind,
    /// The argument (`None` for `COUNT(*)`).
    pub arg: Option<VExpr>,
    /// The argument's column type (for `MIN`/`MAX` of a timestamp, say).
    pub ty: Option<ColumnType>,
}

/// One aggregate's state, one slot per group (struct of arrays, so each loop is a tight one).
#[derive(Clone, Debug)]
enum Acc {
    /// `COUNT(*)` / `COUNT(x)`.
    Count(Vec<i64>),
    /// `SUM` of integers: sums and whether a value was seen.
    SumInt(Vec<i64>, Vec<bool>),
    /// `SUM` of doubles (or of integers once a double came): sums and seen flags.
    SumDouble(Vec<f64>, Vec<bool>),
    /// `AVG`: sums and counts.
    Avg(Vec<f64>, Vec<i64>),
    /// `MIN`/`MAX` so far.
    Extreme(Vec<Option<Value>>),
}

impl Acc {
    fn push_group(&mut self) {
        match self {
            Acc::Count(c) => c.push(0),
            Acc::SumInt(s, seen) => {
                s.push(0);
                seen.push(false);
            }
            Acc::SumDouble(s, seen) => {
                s.push(0.0);
                seen.push(false);
            }
            Acc::Avg(s, n) => {
                s.push(0.0);
                n.push(0);
            }
            Acc::Extreme(v) => v.push(None),
        }
    }

    fn result(&self, g: usize) -> Value {
        let seen = |v: &Vec<bool>| v.get(g).copied().unwrap_or(false);
        match self {
            Acc::Count(c) => Value::Int(c.get(g).copied().unwrap_or(0)),
            Acc::SumInt(s, f) if seen(f) => Value::Int(s.get(g).copied().unwrap_or(0)),
            Acc::SumDouble(s, f) if seen(f) => Value::Double(s.get(g).copied().unwrap_or(0.0)),
            Acc::SumInt(..) | Acc::SumDouble(..) => Value::Null,
            Acc::Avg(s, n) => match (s.get(g), n.get(g)) {
                (Some(s), Some(&n)) if n > 0 => Value::Double(s / n as f64),
                _ => Value::Null,
            },
            Acc::Extreme(v) => v.get(g).cloned().flatten().unwrap_or(Value::Null),
        }
    }
}

/// A multiply-rotate hasher for group keys (keys are short byte strings this process built;
/// no attacker chooses them), much cheaper per row than the default SipHash.
#[derive(Default, Clone, Copy)]
struct KeyHasher(u64);

impl std::hash::Hasher for KeyHasher {
    fn finish(&self) -> u64 {
        self.0
    }
    fn write_u64(&mut self, w: u64) {
        self.0 = (self.0.rotate_left(5) ^ w).wrapping_mul(0x51_7c_c1_b7_27_22_0a_95);
    }
    fn write(&mut self, bytes: &[u8]) {
        let mut chunks = bytes.chunks_exact(8);
        for c in &mut chunks {
            let w = u64::from_le_bytes(c.try_into().unwrap_or_default());
            self.0 = (self.0.rotate_left(5) ^ w).wrapping_mul(0x51_7c_c1_b7_27_22_0a_95);
        }
        for &b in chunks.remainder() {
            self.0 = (self.0.rotate_left(5) ^ u64::from(b)).wrapping_mul(0x51_7c_c1_b7_27_22_0a_95);
        }
    }
}

type KeyMap = HashMap<Vec<u8>, u32, std::hash::BuildHasherDefault<KeyHasher>>;

/// Up to this many groups, a row's key is found by comparing with each group's key in turn
/// (cheaper than hashing for the few groups analytics queries often have).
const LINEAR_GROUPS: usize = 16;

fn runtime(message: String) -> SchemaError {
    SchemaError::Sql(SqlError {
        message,
        line: 0,
        column: 0,
    })
}

/// A hash aggregation in progress.
pub struct HashAggregate {
    keys: Vec<(usize, ColumnType)>,
    aggs: Vec<AggSpec>,
    accs: Vec<Acc>,
    coders: Vec<Coder>,
    codes: Vec<u32>,
    tuples: HashMap<Vec<u32>, u32, std::hash::BuildHasherDefault<KeyHasher>>,
    packed: HashMap<u64, u32, std::hash::BuildHasherDefault<KeyHasher>>,
    /// Group ids of keys of one or two columns whose numbers are below 255 (NULL as 255),
    /// indexed by `first << 8 | second`: found without hashing. Empty until first used.
    direct: Vec<u32>,
    key_values: Vec<Vec<Value>>,
    ids: Vec<u32>,
    /// Each group's key (as [`encode_tuple`] bytes) to its id, for [`HashAggregate::merge`].
    by_key: HashMap<Vec<u8>, u32, std::hash::BuildHasherDefault<KeyHasher>>,
}

/// The [`HashAggregate::direct`] slot of a key of one or two column numbers, if it has one.
fn direct_slot(key: &[u32]) -> Option<usize> {
    let small = |c: u32| match c {
        NULL_CODE => Some(255),
        c if c < 255 => Some(c as usize),
        _ => None,
    };
    match key {
        [a] => small(*a),
        [a, b] => Some(small(*a)? << 8 | small(*b)?),
        _ => None,
    }
}

/// NULL's number in every key column (no column has 2^32 - 1 distinct values).
const NULL_CODE: u32 = u32::MAX;

/// Numbers the distinct values of one key column as they are met.
#[derive(Default)]
struct Coder {
    /// Each value's key bytes (the raw bytes of text, 8 little-endian bytes of a number), by
    /// number.
    values: Vec<Vec<u8>>,
    /// Key bytes to number, once there are more than [`LINEAR_GROUPS`] values.
    map: KeyMap,
    /// The previous row's number.
    last: Option<u32>,
    /// Values that fit in one word (numbers, booleans, text of up to 7 bytes), with their
    /// numbers: compared as words, never as byte strings.
    words: Vec<(u64, u32)>,
    /// Word to number, once there are more than [`LINEAR_GROUPS`] words.
    word_map: HashMap<u64, u32, std::hash::BuildHasherDefault<KeyHasher>>,
    /// The previous row's word and number.
    last_word: Option<(u64, u32)>,
    /// A direct-mapped cache of words met, (word, number + 1; 0: empty), slot by a
    /// multiplicative hash: a hit costs one multiply and one comparison, and for the few
    /// distinct values group keys usually have, every row hits.
    cache: Vec<(u64, u32)>,
}

/// Slots of [`Coder::cache`] (a power of two).
const WORD_CACHE: usize = 256;

fn cache_slot(w: u64) -> usize {
    (w.wrapping_mul(0x9E37_79B9_7F4A_7C15) >> 56) as usize % WORD_CACHE
}

/// Row `i`'s value as one word, if it fits: an integer's or a double's bits (−0.0 as 0.0), a
/// boolean, or text of up to 7 bytes with its length in the top byte.
fn word_of(col: &ColumnVector, i: usize) -> Option<u64> {
    Some(match &col.values {
        Values::Int(v) => *v.get(i)? as u64,
        Values::Double(v) => {
            let x = *v.get(i)?;
            if x == 0.0 { 0 } else { x.to_bits() }
        }
        Values::Bool(v) => u64::from(*v.get(i)?),
        Values::Bytes(c) => c.word(i)?,
    })
}

impl Coder {
    /// The number of the value whose word is `w`.
    fn code_word(&mut self, w: u64) -> u32 {
        let slot = cache_slot(w);
        if let Some(&(cw, n1)) = self.cache.get(slot)
            && cw == w
            && n1 != 0
        {
            return n1 - 1;
        }
        let n = self.code_word_slow(w);
        if self.cache.is_empty() {
            self.cache = vec![(0, 0); WORD_CACHE];
        }
        if let Some(c) = self.cache.get_mut(slot) {
            *c = (w, n + 1);
        }
        n
    }

    /// [`Coder::code_word`] past the cache.
    fn code_word_slow(&mut self, w: u64) -> u32 {
        if let Some((lw, n)) = self.last_word
            && lw == w
        {
            return n;
        }
        let found = if self.words.len() <= LINEAR_GROUPS {
            self.words.iter().find(|(x, _)| *x == w).map(|(_, n)| *n)
        } else {
            self.word_map.get(&w).copied()
        };
        let n = match found {
            Some(n) => n,
            None => {
                let n = self.values.len() as u32;
                // The number is taken from the one counter both kinds of key share.
                self.values.push(Vec::new());
                self.words.push((w, n));
                if self.words.len() > LINEAR_GROUPS {
                    if self.word_map.is_empty() {
                        self.word_map.extend(self.words.iter().copied());
                    } else {
                        self.word_map.insert(w, n);
                    }
                }
                n
            }
        };
        self.last_word = Some((w, n));
        n
    }

    /// The number of row `i`'s value.
    fn code(&mut self, col: &ColumnVector, i: usize) -> u32 {
        if col.is_null(i) {
            return NULL_CODE;
        }
        if let Some(w) = word_of(col, i) {
            return self.code_word(w);
        }
        let mut fixed = [0u8; 8];
        let key: &[u8] = match &col.values {
            // Text and bytes are compared as they are.
            Values::Bytes(c) => c.get(i),
            Values::Int(v) => {
                fixed = v.get(i).copied().unwrap_or(0).to_le_bytes();
                &fixed
            }
            Values::Double(v) => {
                let x = v.get(i).copied().unwrap_or(0.0);
                // -0.0 and 0.0 are one group, as they compare equal.
                let x = if x == 0.0 { 0.0 } else { x };
                fixed = x.to_bits().to_le_bytes();
                &fixed
            }
            Values::Bool(v) => {
                fixed[0] = u8::from(v.get(i).copied().unwrap_or(false));
                &fixed[..1]
            }
        };
        if let Some(n) = self.last
            && self
                .values
                .get(n as usize)
                .is_some_and(|v| v.as_slice() == key)
        {
            return n;
        }
        let found = if self.values.len() <= LINEAR_GROUPS {
            // Length and first byte reject most candidates without a comparison call.
            let first = key.first();
            self.values
                .iter()
                .position(|v| v.len() == key.len() && v.first() == first && v.as_slice() == key)
                .map(|p| p as u32)
        } else {
            self.map.get(key).copied()
        };
        let n = match found {
            Some(n) => n,
            None => {
                let n = self.values.len() as u32;
                self.values.push(key.to_vec());
                if self.values.len() > LINEAR_GROUPS {
                    if self.map.is_empty() {
                        for (j, v) in self.values.iter().enumerate() {
                            self.map.insert(v.clone(), j as u32);
                        }
                    } else {
                        self.map.insert(key.to_vec(), n);
                    }
                }
                n
            }
        };
        self.last = Some(n);
        n
    }
}

impl HashAggregate {
    /// An aggregation grouping by the columns `keys` (table position and type).
    pub fn new(keys: Vec<(usize, ColumnType)>, aggs: Vec<AggSpec>) -> HashAggregate {
        let accs = aggs
            .iter()
            .map(|a| match a.kind {
                AggKind::CountStar | AggKind::Count => Acc::Count(Vec::new()),
                AggKind::Sum => match a.ty {
                    Some(ColumnType::Double) => Acc::SumDouble(Vec::new(), Vec::new()),
                    _ => Acc::SumInt(Vec::new(), Vec::new()),
                },
                AggKind::Avg => Acc::Avg(Vec::new(), Vec::new()),
                AggKind::Min | AggKind::Max => Acc::Extreme(Vec::new()),
            })
            .collect();
        HashAggregate {
            keys,
            aggs,
            accs,
            coders: Vec::new(),
            codes: Vec::new(),
            tuples: HashMap::default(),
            packed: HashMap::default(),
            direct: Vec::new(),
            key_values: Vec::new(),
            ids: Vec::new(),
            by_key: HashMap::default(),
        }
    }

    /// A new, empty aggregation of the same keys and aggregates (a partial state for one
    /// segment of a parallel scan, see [`super::scan::fold`]).
    pub fn empty_like(&self) -> HashAggregate {
        HashAggregate::new(self.keys.clone(), self.aggs.clone())
    }

    /// Adds the groups of `other`, an aggregation of the same keys and aggregates over other
    /// rows: counts and sums add, `AVG`'s sums and counts add, `MIN`/`MAX` keep the better.
    pub fn merge(&mut self, other: HashAggregate) -> Result<()> {
        if self.by_key.len() != self.key_values.len() {
            self.by_key = self
                .key_values
                .iter()
                .enumerate()
                .map(|(g, k)| {
                    let mut bytes = Vec::new();
                    encode_tuple(&mut bytes, k);
                    (bytes, g as u32)
                })
                .collect();
        }
        let HashAggregate {
            key_values, accs, ..
        } = other;
        let mut bytes = Vec::new();
        for (g, key) in key_values.into_iter().enumerate() {
            bytes.clear();
            encode_tuple(&mut bytes, &key);
            let id = match self.by_key.get(&bytes) {
                Some(&id) => id,
                None => {
                    let id = self.new_group(key);
                    self.by_key.insert(bytes.clone(), id);
                    id
                }
            };
            for (a, theirs) in accs.iter().enumerate() {
                let kind = self.aggs.get(a).map(|s| s.kind);
                if let (Some(mine), Some(kind)) = (self.accs.get_mut(a), kind) {
                    combine(mine, id as usize, theirs, g, kind)?;
                }
            }
        }
        Ok(())
    }

    fn new_group(&mut self, key: Vec<Value>) -> u32 {
        let id = self.key_values.len() as u32;
        self.key_values.push(key);
        for a in &mut self.accs {
            a.push_group();
        }
        id
    }

    /// The group ids of the batch's rows (new groups created as met). Each key column's
    /// values are first numbered by that column's [`Coder`]; the tuple of numbers finds the
    /// group — no per-row key bytes are built or compared.
    fn group_ids(&mut self, batch: &Batch) -> Result<()> {
        self.ids.clear();
        if self.keys.is_empty() {
            if self.key_values.is_empty() {
                self.new_group(Vec::new());
            }
            self.ids.resize(batch.len, 0);
            return Ok(());
        }
        let cols = self
            .keys
            .iter()
            .map(|(pos, _)| {
                batch
                    .columns
                    .get(*pos)
                    .and_then(Option::as_ref)
                    .ok_or_else(|| runtime(format!("group column {pos} was not read by the scan")))
            })
            .collect::<Result<Vec<_>>>()?;
        if self.coders.len() != cols.len() {
            self.coders = cols.iter().map(|_| Coder::default()).collect();
        }
        self.codes.clear();
        self.codes.resize(batch.len * cols.len(), 0);
        for (k, c) in cols.iter().enumerate() {
            let coder = &mut self.coders[k];
            for i in 0..batch.len {
                self.codes[i * cols.len() + k] = coder.code(c, i);
            }
        }
        let width = cols.len();
        let mut last: Option<(u64, u32)> = None;
        for i in 0..batch.len {
            let key = &self.codes[i * width..(i + 1) * width];
            // Up to four columns of fewer than 65,535 values (NULL included) pack into one
            // word; wider keys use the tuple itself.
            let packed = if width <= 4 {
                key.iter().try_fold(0u64, |acc, &c| {
                    let c = match c {
                        NULL_CODE => 0xFFFF,
                        c if c < 0xFFFF => c,
                        _ => return None,
                    };
                    Some((acc << 16) | u64::from(c))
                })
            } else {
                None
            };
            if let (Some(p), Some((q, id))) = (packed, last)
                && p == q
            {
                self.ids.push(id);
                continue;
            }
            let slot = direct_slot(key);
            if let Some(slot) = slot {
                if self.direct.is_empty() {
                    self.direct = vec![u32::MAX; 1 << 16];
                }
                if let Some(&id) = self.direct.get(slot)
                    && id != u32::MAX
                {
                    self.ids.push(id);
                    continue;
                }
            }
            let found = match packed {
                Some(p) => self.packed.get(&p).copied(),
                None => self.tuples.get(key).copied(),
            };
            let id = match found {
                Some(id) => id,
                None => {
                    let key = key.to_vec();
                    let values = cols
                        .iter()
                        .zip(&self.keys)
                        .map(|(c, (_, ty))| c.value(i, *ty))
                        .collect();
                    let id = self.new_group(values);
                    if let Some(d) = slot.and_then(|slot| self.direct.get_mut(slot)) {
                        *d = id;
                    }
                    match packed {
                        Some(p) => {
                            self.packed.insert(p, id);
                        }
                        None => {
                            self.tuples.insert(key, id);
                        }
                    }
                    id
                }
            };
            last = packed.map(|p| (p, id));
            self.ids.push(id);
        }
        Ok(())
    }

    /// Adds a batch.
    pub fn add(&mut self, batch: &Batch) -> Result<()> {
        self.group_ids(batch)?;
        for a in 0..self.aggs.len() {
            let Some(arg) = &self.aggs[a].arg else {
                if let Some(Acc::Count(c)) = self.accs.get_mut(a) {
                    for &g in &self.ids {
                        c[g as usize] += 1;
                    }
                }
                continue;
            };
            let v = arg.eval(batch)?;
            let (kind, ty) = (self.aggs[a].kind, self.aggs[a].ty);
            feed(&mut self.accs[a], kind, ty, &self.ids, &v)?;
        }
        Ok(())
    }

    /// The group rows — key values, then each aggregate's result — sorted by key.
    pub fn finish(mut self) -> Vec<Vec<Value>> {
        if self.keys.is_empty() && self.key_values.is_empty() {
            self.new_group(Vec::new());
        }
        let accs = self.accs;
        let mut rows: Vec<(Vec<u8>, Vec<Value>)> = self
            .key_values
            .into_iter()
            .enumerate()
            .map(|(g, mut key)| {
                let mut sort_key = Vec::new();
                encode_tuple(&mut sort_key, &key);
                key.extend(accs.iter().map(|a| a.result(g)));
                (sort_key, key)
            })
            .collect();
        rows.sort_by(|a, b| a.0.cmp(&b.0));
        rows.into_iter().map(|(_, r)| r).collect()
    }
}

/// Adds group `theirs_g` of the state `theirs` into group `g` of `mine` (same aggregate).
fn combine(mine: &mut Acc, g: usize, theirs: &Acc, theirs_g: usize, kind: AggKind) -> Result<()> {
    if let (Acc::SumInt(..), Acc::SumDouble(..)) = (&*mine, theirs)
        && let Acc::SumInt(s, seen) = mine
    {
        // An integer sum meeting a double one becomes a double sum, as in `feed`.
        let s = s.iter().map(|&x| x as f64).collect();
        *mine = Acc::SumDouble(s, std::mem::take(seen));
    }
    if g >= group_count(mine) {
        return Ok(());
    }
    match (mine, theirs) {
        (Acc::Count(c), Acc::Count(o)) => c[g] += o.get(theirs_g).copied().unwrap_or(0),
        (Acc::SumInt(s, seen), Acc::SumInt(o, oseen)) => {
            if oseen.get(theirs_g).copied().unwrap_or(false) {
                let (sum, val) = (s[g], o.get(theirs_g).copied().unwrap_or(0));
                s[g] = sum
                    .checked_add(val)
                    .ok_or_else(|| runtime(format!("integer overflow in SUM ({sum} + {val})")))?;
                seen[g] = true;
            }
        }
        (Acc::SumDouble(s, seen), Acc::SumDouble(o, oseen)) => {
            if oseen.get(theirs_g).copied().unwrap_or(false) {
                s[g] += o.get(theirs_g).copied().unwrap_or(0.0);
                seen[g] = true;
            }
        }
        (Acc::SumDouble(s, seen), Acc::SumInt(o, oseen)) => {
            if oseen.get(theirs_g).copied().unwrap_or(false) {
                s[g] += o.get(theirs_g).copied().unwrap_or(0) as f64;
                seen[g] = true;
            }
        }
        (Acc::Avg(s, n), Acc::Avg(os, on)) => {
            s[g] += os.get(theirs_g).copied().unwrap_or(0.0);
            n[g] += on.get(theirs_g).copied().unwrap_or(0);
        }
        (Acc::Extreme(best), Acc::Extreme(o)) => {
            if let Some(Some(v)) = o.get(theirs_g) {
                let want = if kind == AggKind::Max {
                    Ordering::Greater
                } else {
                    Ordering::Less
                };
                let better = match &best[g] {
                    None => true,
                    Some(b) => compare_values(v, b) == Some(want),
                };
                if better {
                    best[g] = Some(v.clone());
                }
            }
        }
        _ => return Err(runtime("partial aggregates of different kinds".into())),
    }
    Ok(())
}

/// Groups a state has slots for.
fn group_count(acc: &Acc) -> usize {
    match acc {
        Acc::Count(c) => c.len(),
        Acc::SumInt(s, _) => s.len(),
        Acc::SumDouble(s, _) => s.len(),
        Acc::Avg(s, _) => s.len(),
        Acc::Extreme(v) => v.len(),
    }
}

/// Two values of one column type compared (`None` across types or with a NaN).
fn compare_values(a: &Value, b: &Value) -> Option<Ordering> {
    match (a, b) {
        (Value::Int(x) | Value::Timestamp(x), Value::Int(y) | Value::Timestamp(y)) => {
            Some(x.cmp(y))
        }
        (Value::Double(x), Value::Double(y)) => x.partial_cmp(y),
        (Value::Bool(x), Value::Bool(y)) => Some(x.cmp(y)),
        (Value::Text(x), Value::Text(y)) => Some(x.cmp(y)),
        (Value::Bytes(x), Value::Bytes(y)) => Some(x.cmp(y)),
        _ => None,
    }
}

/// Adds the argument vector `v` of one aggregate into its groups `ids`.
fn feed(
    acc: &mut Acc,
    kind: AggKind,
    ty: Option<ColumnType>,
    ids: &[u32],
    v: &ColumnVector,
) -> Result<()> {
    let valid = |i: usize| !v.is_null(i);
    let all_valid = v.validity.is_none();
    match (acc, &v.values) {
        (Acc::Count(c), _) => {
            for (i, &g) in ids.iter().enumerate() {
                if all_valid || valid(i) {
                    c[g as usize] += 1;
                }
            }
        }
        (Acc::SumDouble(s, seen), Values::Double(x)) => {
            for (i, (&g, &val)) in ids.iter().zip(x).enumerate() {
                if all_valid || valid(i) {
                    s[g as usize] += val;
                    seen[g as usize] = true;
                }
            }
        }
        (Acc::SumDouble(s, seen), Values::Int(x)) => {
            for (i, (&g, &val)) in ids.iter().zip(x).enumerate() {
                if all_valid || valid(i) {
                    s[g as usize] += val as f64;
                    seen[g as usize] = true;
                }
            }
        }
        (acc @ Acc::SumInt(..), Values::Double(_)) => {
            // An integer sum meeting a double becomes a double sum, as in the row aggregator.
            if let Acc::SumInt(s, seen) = acc {
                let s = s.iter().map(|&x| x as f64).collect();
                *acc = Acc::SumDouble(s, std::mem::take(seen));
            }
            return feed(acc, kind, ty, ids, v);
        }
        (Acc::SumInt(s, seen), Values::Int(x)) => {
            for (i, (&g, &val)) in ids.iter().zip(x).enumerate() {
                if all_valid || valid(i) {
                    let g = g as usize;
                    let sum = s[g];
                    s[g] = sum.checked_add(val).ok_or_else(|| {
                        runtime(format!("integer overflow in SUM ({sum} + {val})"))
                    })?;
                    seen[g] = true;
                }
            }
        }
        (Acc::Avg(s, n), Values::Double(x)) => {
            for (i, (&g, &val)) in ids.iter().zip(x).enumerate() {
                if all_valid || valid(i) {
                    s[g as usize] += val;
                    n[g as usize] += 1;
                }
            }
        }
        (Acc::Avg(s, n), Values::Int(x)) => {
            for (i, (&g, &val)) in ids.iter().zip(x).enumerate() {
                if all_valid || valid(i) {
                    s[g as usize] += val as f64;
                    n[g as usize] += 1;
                }
            }
        }
        (Acc::Extreme(best), _) => {
            let ty = ty.unwrap_or(ColumnType::Int);
            let want = if kind == AggKind::Max {
                Ordering::Greater
            } else {
                Ordering::Less
            };
            for (i, &g) in ids.iter().enumerate() {
                if !valid(i) {
                    continue;
                }
                let slot = &mut best[g as usize];
                let better = match slot {
                    None => true,
                    Some(b) => compare_at(v, i, b) == Some(want),
                };
                if better {
                    *slot = Some(v.value(i, ty));
                }
            }
        }
        _ => return Err(runtime("SUM and AVG need numbers".into())),
    }
    Ok(())
}

/// Row `i` of `v` compared with `b` (of the same type).
fn compare_at(v: &ColumnVector, i: usize, b: &Value) -> Option<Ordering> {
    match (&v.values, b) {
        (Values::Int(x), Value::Int(y) | Value::Timestamp(y)) => x.get(i).map(|a| a.cmp(y)),
        (Values::Double(x), Value::Double(y)) => x.get(i).and_then(|a| a.partial_cmp(y)),
        (Values::Bool(x), Value::Bool(y)) => x.get(i).map(|a| a.cmp(y)),
        (Values::Bytes(c), Value::Text(s)) => Some(c.get(i).cmp(s.as_bytes())),
        (Values::Bytes(c), Value::Bytes(s)) => Some(c.get(i).cmp(s.as_slice())),
        _ => None,
    }
}
