//! [`WriteBatch`]: the operations of one atomic commit.

use crate::error::{Error, Result};
use crate::wal::Op;

pub use crate::btree::{MAX_KEY_LEN, MAX_VALUE_LEN};

/// A set of puts and deletes applied atomically by [`crate::Database::commit`], in order.
#[derive(Clone, Debug, Default)]
pub struct WriteBatch {
    pub(crate) ops: Vec<Op>,
    bytes: usize,
}

impl WriteBatch {
    /// An empty batch.
    pub fn new() -> Self {
        Self::default()
    }

    /// Sets `key` to `value`.
    pub fn put(&mut self, key: impl Into<Vec<u8>>, value: impl Into<Vec<u8>>) -> &mut Self {
        let (key, value) = (key.into(), value.into());
        self.bytes += key.len() + value.len();
        self.ops.push(Op::Put { key, value });
        self
    }

    /// Removes `key` (a no-op if it is absent).
    pub fn delete(&mut self, key: impl Into<Vec<u8>>) -> &mut Self {
        let key = key.into();
        self.bytes += key.len();
        self.ops.push(Op::Delete { key });
        self
    }

    /// Number of operations.
    pub fn len(&self) -> usize {
        self.ops.len()
    }

    /// Whether the batch holds no operation.
    pub fn is_empty(&self) -> bool {
        self.ops.is_empty()
    }

    /// Total key and value bytes in the batch.
    pub fn byte_size(&self) -> usize {
        self.bytes
    }

    /// Checks every key and value against the engine's limits for pages of `page_size` bytes,
    /// before anything is written.
    pub(crate) fn validate(&self, page_size: usize) -> Result<()> {
        for op in &self.ops {
            match op {
                Op::Put { key, value } => validate_write(key, Some(value), page_size)?,
                Op::Delete { key } => validate_write(key, None, page_size)?,
            }
        }
        Ok(())
    }
}

/// Checks one write — `key` and, for a put, its value — against the engine's limits for pages of
/// `page_size` bytes.
pub(crate) fn validate_write(key: &[u8], value: Option<&[u8]>, page_size: usize) -> Result<()> {
    let max_key = crate::btree::max_key_len(page_size);
    if key.is_empty() {
        return Err(Error::InvalidArgument("keys must not be empty".into()));
    }
    if key.len() > max_key {
        return Err(Error::TooLarge {
            what: "key",
            len: key.len(),
            max: max_key,
        });
    }
    let value_len = value.map_or(0, <[u8]>::len);
    if value_len > MAX_VALUE_LEN {
        return Err(Error::TooLarge {
            what: "value",
            len: value_len,
            max: MAX_VALUE_LEN,
        });
    }
    Ok(())
}
