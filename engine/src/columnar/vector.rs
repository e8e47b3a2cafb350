//! Column vectors: the in-memory form of one column of a chunk, as encodings produce and
//! consume it and vectorized operators process it.
//!
//! * [`PhysicalType`] — the four storage shapes the six column types map onto.
//! * [`Bitmap`] (from [`super::bitmap`]) — validity masks and filter results.
//! * [`ByteColumn`] — variable-length values as one data buffer and `u32` offsets.
//! * [`Values`] and [`ColumnVector`] — typed values plus an optional validity bitmap (bit set =
//!   not NULL; `None` = no NULLs). A NULL slot holds the type's default (0, 0.0, false, empty),
//!   so encodings never see a hole.

pub use super::bitmap::Bitmap;
use crate::error::{Error, Result};
use crate::schema::value::{ColumnType, Value};

/// How a column's values are laid out in memory and in chunks.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum PhysicalType {
    /// `i64` values: `BIGINT` and `TIMESTAMP` (microseconds).
    Int,
    /// `f64` values: `DOUBLE`.
    Double,
    /// `bool` values: `BOOLEAN`.
    Bool,
    /// Variable-length bytes: `TEXT` (UTF-8) and `BYTES`.
    Bytes,
}

impl PhysicalType {
    /// The physical type that stores columns of type `ty`.
    pub fn of(ty: ColumnType) -> PhysicalType {
        match ty {
            ColumnType::Int | ColumnType::Timestamp => PhysicalType::Int,
            ColumnType::Double => PhysicalType::Double,
            ColumnType::Bool => PhysicalType::Bool,
            ColumnType::Text | ColumnType::Bytes => PhysicalType::Bytes,
        }
    }

    /// The one-byte tag in chunk headers (`engine/FORMAT.md`, "Columnar chunks").
    pub fn tag(self) -> u8 {
        match self {
            PhysicalType::Int => 1,
            PhysicalType::Double => 2,
            PhysicalType::Bool => 3,
            PhysicalType::Bytes => 4,
        }
    }

    /// The type with tag `tag`, if there is one.
    pub fn from_tag(tag: u8) -> Option<PhysicalType> {
        [
            PhysicalType::Int,
            PhysicalType::Double,
            PhysicalType::Bool,
            PhysicalType::Bytes,
        ]
        .into_iter()
        .find(|t| t.tag() == tag)
    }
}

/// Variable-length values: value `i` is `data[offsets[i]..offsets[i + 1]]`; `offsets` starts
/// with 0 and never decreases.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ByteColumn {
    offsets: Vec<u32>,
    data: Vec<u8>,
}

impl Default for ByteColumn {
    fn default() -> Self {
        ByteColumn::new()
    }
}

impl ByteColumn {
    /// An empty column.
    pub fn new() -> ByteColumn {
        ByteColumn {
            offsets: vec![0],
            data: Vec::new(),
        }
    }

    /// A column from its parts, if `offsets` starts with 0, never decreases and ends at
    /// `data.len()`.
    pub fn from_parts(offsets: Vec<u32>, data: Vec<u8>) -> Option<ByteColumn> {
        let ok = offsets.first() == Some(&0)
            && offsets.windows(2).all(|w| matches!(w, [a, b] if a <= b))
            && offsets.last().is_some_and(|&l| l as usize == data.len());
        ok.then_some(ByteColumn { offsets, data })
    }

    /// Appends a value.
    ///
    /// # Panics
    /// If the column's data would exceed 4 GiB (chunks are far smaller).
    pub fn push(&mut self, v: &[u8]) {
        self.data.extend_from_slice(v);
        let end = u32::try_from(self.data.len()).expect("byte column data exceeds 4 GiB");
        self.offsets.push(end);
    }

    /// Value `i` (empty past the end).
    pub fn get(&self, i: usize) -> &[u8] {
        match (self.offsets.get(i), self.offsets.get(i + 1)) {
            (Some(&a), Some(&b)) => self.data.get(a as usize..b as usize).unwrap_or_default(),
            _ => &[],
        }
    }

    /// Number of values.
    pub fn len(&self) -> usize {
        self.offsets.len().saturating_sub(1)
    }

    /// Values `start..end` (clamped to the column) as a new column: one copy of their bytes.
    pub fn slice(&self, start: usize, end: usize) -> ByteColumn {
        let end = end.min(self.len());
        let start = start.min(end);
        let offs = self.offsets.get(start..=end).unwrap_or(&[0]);
        let base = offs.first().copied().unwrap_or(0);
        let last = offs.last().copied().unwrap_or(base);
        ByteColumn {
            offsets: offs.iter().map(|&o| o - base).collect(),
            data: self
                .data
                .get(base as usize..last as usize)
                .unwrap_or_default()
                .to_vec(),
        }
    }

    /// Value `i` as one word if it has at most 7 bytes: its bytes little-endian, its length in
    /// the top byte (`None` for longer values or past the end).
    pub fn word(&self, i: usize) -> Option<u64> {
        let (a, b) = (
            *self.offsets.get(i)? as usize,
            *self.offsets.get(i + 1)? as usize,
        );
        let len = b.checked_sub(a)?;
        if len > 7 {
            return None;
        }
        let bytes = match self.data.get(a..a + 8) {
            // Eight bytes from the value's start, masked to its length: no copy loop.
            Some(eight) => {
                let w = u64::from_le_bytes(eight.try_into().ok()?);
                if len == 0 {
                    0
                } else {
                    w & (u64::MAX >> (64 - 8 * len))
                }
            }
            None => {
                let mut w = [0u8; 8];
                w.get_mut(..len)?.copy_from_slice(self.data.get(a..b)?);
                u64::from_le_bytes(w)
            }
        };
        Some(bytes | ((len as u64) << 56))
    }

    /// Whether there are no values.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// The values in order.
    pub fn iter(&self) -> impl Iterator<Item = &[u8]> + '_ {
        (0..self.len()).map(|i| self.get(i))
    }

    /// The offsets (`len() + 1` of them).
    pub fn offsets(&self) -> &[u32] {
        &self.offsets
    }

    /// The concatenated values.
    pub fn data(&self) -> &[u8] {
        &self.data
    }
}

/// A column's values, one variant per [`PhysicalType`].
#[derive(Clone, Debug, PartialEq)]
pub enum Values {
    /// [`PhysicalType::Int`] values.
    Int(Vec<i64>),
    /// [`PhysicalType::Double`] values.
    Double(Vec<f64>),
    /// [`PhysicalType::Bool`] values.
    Bool(Vec<bool>),
    /// [`PhysicalType::Bytes`] values.
    Bytes(ByteColumn),
}

impl Values {
    /// Number of values.
    pub fn len(&self) -> usize {
        match self {
            Values::Int(v) => v.len(),
            Values::Double(v) => v.len(),
            Values::Bool(v) => v.len(),
            Values::Bytes(v) => v.len(),
        }
    }

    /// Whether there are no values.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// The physical type of the values.
    pub fn physical_type(&self) -> PhysicalType {
        match self {
            Values::Int(_) => PhysicalType::Int,
            Values::Double(_) => PhysicalType::Double,
            Values::Bool(_) => PhysicalType::Bool,
            Values::Bytes(_) => PhysicalType::Bytes,
        }
    }
}

/// One column of a chunk: values and which of them are NULL.
#[derive(Clone, Debug, PartialEq)]
pub struct ColumnVector {
    /// The values; a NULL slot holds the type's default value.
    pub values: Values,
    /// Bit `i` set = row `i` is not NULL; `None` = no row is NULL.
    pub validity: Option<Bitmap>,
}

impl ColumnVector {
    /// Number of rows.
    pub fn len(&self) -> usize {
        self.values.len()
    }

    /// Whether there are no rows.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// Whether row `i` is NULL.
    pub fn is_null(&self, i: usize) -> bool {
        self.validity.as_ref().is_some_and(|v| !v.get(i))
    }

    /// Number of NULL rows.
    pub fn null_count(&self) -> usize {
        self.validity
            .as_ref()
            .map_or(0, |v| self.len() - v.count_ones())
    }

    /// The vector of `values`, all of type `ty` or `Null`; an [`Error::InvalidArgument`]
    /// naming the first value of another type.
    pub fn from_values(ty: ColumnType, values: &[Value]) -> Result<ColumnVector> {
        let mismatch = |i: usize, v: &Value| {
            Error::InvalidArgument(format!(
                "value {i} of a {ty} column is {} ({v})",
                v.type_name()
            ))
        };
        let mut validity = Bitmap::all(values.len());
        let vals = match PhysicalType::of(ty) {
            PhysicalType::Int => Values::Int(
                values
                    .iter()
                    .enumerate()
                    .map(|(i, v)| match (v, ty) {
                        (Value::Int(x), ColumnType::Int)
                        | (Value::Timestamp(x), ColumnType::Timestamp) => Ok(*x),
                        (Value::Null, _) => Ok(0),
                        _ => Err(mismatch(i, v)),
                    })
                    .collect::<Result<_>>()?,
            ),
            PhysicalType::Double => Values::Double(
                values
                    .iter()
                    .enumerate()
                    .map(|(i, v)| match v {
                        Value::Double(x) => Ok(*x),
                        Value::Null => Ok(0.0),
                        _ => Err(mismatch(i, v)),
                    })
                    .collect::<Result<_>>()?,
            ),
            PhysicalType::Bool => Values::Bool(
                values
                    .iter()
                    .enumerate()
                    .map(|(i, v)| match v {
                        Value::Bool(x) => Ok(*x),
                        Value::Null => Ok(false),
                        _ => Err(mismatch(i, v)),
                    })
                    .collect::<Result<_>>()?,
            ),
            PhysicalType::Bytes => {
                let mut col = ByteColumn::new();
                for (i, v) in values.iter().enumerate() {
                    match (v, ty) {
                        (Value::Text(s), ColumnType::Text) => col.push(s.as_bytes()),
                        (Value::Bytes(b), ColumnType::Bytes) => col.push(b),
                        (Value::Null, _) => col.push(&[]),
                        _ => return Err(mismatch(i, v)),
                    }
                }
                Values::Bytes(col)
            }
        };
        for (i, v) in values.iter().enumerate() {
            if v.is_null() {
                validity.set(i, false);
            }
        }
        let validity = (validity.count_ones() != values.len()).then_some(validity);
        Ok(ColumnVector {
            values: vals,
            validity,
        })
    }

    /// Row `i` as a [`Value`] of column type `ty` (`Null` for a NULL row or past the end; text
    /// that is not UTF-8 is converted lossily).
    pub fn value(&self, i: usize, ty: ColumnType) -> Value {
        if self.is_null(i) || i >= self.len() {
            return Value::Null;
        }
        match (&self.values, ty) {
            (Values::Int(v), ColumnType::Timestamp) => {
                v.get(i).map_or(Value::Null, |x| Value::Timestamp(*x))
            }
            (Values::Int(v), _) => v.get(i).map_or(Value::Null, |x| Value::Int(*x)),
            (Values::Double(v), _) => v.get(i).map_or(Value::Null, |x| Value::Double(*x)),
            (Values::Bool(v), _) => v.get(i).map_or(Value::Null, |x| Value::Bool(*x)),
            (Values::Bytes(c), ColumnType::Text) => {
                Value::Text(String::from_utf8_lossy(c.get(i)).into_owned())
            }
            (Values::Bytes(c), _) => Value::Bytes(c.get(i).to_vec()),
        }
    }

    /// Rows `start .. start + len` (clamped to the vector): a copy of contiguous rows, cheaper
    /// than [`gather`](Self::gather) of the same positions.
    pub fn slice(&self, start: usize, len: usize) -> ColumnVector {
        let end = start.saturating_add(len).min(self.len());
        let start = start.min(end);
        let values = match &self.values {
            Values::Int(v) => Values::Int(v.get(start..end).unwrap_or_default().to_vec()),
            Values::Double(v) => Values::Double(v.get(start..end).unwrap_or_default().to_vec()),
            Values::Bool(v) => Values::Bool(v.get(start..end).unwrap_or_default().to_vec()),
            Values::Bytes(c) => Values::Bytes(c.slice(start, end)),
        };
        let validity = self.validity.as_ref().map(|v| {
            let mut b = Bitmap::all(end - start);
            for i in start..end {
                if !v.get(i) {
                    b.set(i - start, false);
                }
            }
            b
        });
        ColumnVector { values, validity }
    }

    /// The rows at the positions `sel`, in that order (positions past the end become NULL).
    pub fn gather(&self, sel: &[u32]) -> ColumnVector {
        let idx = || sel.iter().map(|&i| i as usize);
        let values = match &self.values {
            Values::Int(v) => Values::Int(idx().map(|i| v.get(i).copied().unwrap_or(0)).collect()),
            Values::Double(v) => {
                Values::Double(idx().map(|i| v.get(i).copied().unwrap_or(0.0)).collect())
            }
            Values::Bool(v) => {
                Values::Bool(idx().map(|i| v.get(i).copied().unwrap_or(false)).collect())
            }
            Values::Bytes(c) => {
                let mut out = ByteColumn::new();
                for i in idx() {
                    out.push(c.get(i));
                }
                Values::Bytes(out)
            }
        };
        let len = self.len();
        let validity = if self.validity.is_some() || idx().any(|i| i >= len) {
            let mut b = Bitmap::all(sel.len());
            for (j, i) in idx().enumerate() {
                if i >= len || self.is_null(i) {
                    b.set(j, false);
                }
            }
            Some(b)
        } else {
            None
        };
        ColumnVector { values, validity }
    }
}
