//! What a lock protects and how: [`LockMode`] (shared or exclusive) and [`LockTarget`] (one key
//! or a half-open key range `[start, end)`), with the overlap, coverage and compatibility rules
//! the lock table is built on.
//!
//! Compatibility matrix (between locks of *different* transactions on overlapping targets):
//!
//! | held \ requested | Shared | Exclusive |
//! |------------------|--------|-----------|
//! | Shared           | yes    | no        |
//! | Exclusive        | no     | no        |

use std::fmt;

use super::LockError;

/// The mode of a lock.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, serde::Serialize)]
pub enum LockMode {
    /// A read lock: any number of transactions may hold it together.
    Shared,
    /// A write lock: no other transaction may hold any lock on an overlapping target.
    Exclusive,
}

impl LockMode {
    /// Whether a lock in mode `self` held by one transaction can coexist with a lock in mode
    /// `other` held by another transaction on an overlapping target.
    pub fn compatible_with(self, other: LockMode) -> bool {
        matches!((self, other), (LockMode::Shared, LockMode::Shared))
    }

    /// Whether holding `self` already gives everything a request for `requested` asks for.
    pub fn includes(self, requested: LockMode) -> bool {
        self == LockMode::Exclusive || requested == LockMode::Shared
    }
}

impl fmt::Display for LockMode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            LockMode::Shared => "shared",
            LockMode::Exclusive => "exclusive",
        })
    }
}

/// A half-open key range `[start, end)`; `end == None` means "to the end of the key space".
///
/// Invariant (checked by [`KeyRange::new`]): `start <= end`. An empty `start` is below every key.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct KeyRange {
    start: Vec<u8>,
    end: Option<Vec<u8>>,
}

impl KeyRange {
    /// The range `[start, end)`, or `[start, +inf)` when `end` is `None`.
    ///
    /// Fails with [`LockError::InvalidRequest`] when `start > end`.
    pub fn new(start: impl Into<Vec<u8>>, end: Option<Vec<u8>>) -> Result<Self, LockError> {
        let start = start.into();
        if let Some(end) = &end
            && start > *end
        {
            return Err(LockError::InvalidRequest(format!(
                "key range start {} is after its end {}",
                EscapedKey(&start),
                EscapedKey(end)
            )));
        }
        Ok(KeyRange { start, end })
    }

    /// The first key in the range.
    pub fn start(&self) -> &[u8] {
        &self.start
    }

    /// The first key after the range, or `None` when the range is unbounded above.
    pub fn end(&self) -> Option<&[u8]> {
        self.end.as_deref()
    }

    /// Whether the range holds no key at all (`start == end`).
    pub fn is_empty(&self) -> bool {
        self.end.as_deref() == Some(self.start.as_slice())
    }

    /// Whether `key` lies in the range.
    pub fn contains(&self, key: &[u8]) -> bool {
        key >= self.start.as_slice() && self.end.as_deref().is_none_or(|end| key < end)
    }

    /// Whether the two ranges share at least one key.
    pub fn overlaps(&self, other: &KeyRange) -> bool {
        !self.is_empty()
            && !other.is_empty()
            && ends_after(self.end.as_deref(), &other.start)
            && ends_after(other.end.as_deref(), &self.start)
    }

    /// Whether every key of `other` lies in `self`.
    pub fn covers(&self, other: &KeyRange) -> bool {
        other.is_empty()
            || (self.start <= other.start
                && match (self.end.as_deref(), other.end.as_deref()) {
                    (None, _) => true,
                    (Some(_), None) => false,
                    (Some(mine), Some(theirs)) => theirs <= mine,
                })
    }
}

/// Whether a range ending at `end` (exclusive; `None` = unbounded) still holds keys `>= key`.
pub(super) fn ends_after(end: Option<&[u8]>, key: &[u8]) -> bool {
    end.is_none_or(|end| end > key)
}

/// What a lock protects.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub enum LockTarget {
    /// One key.
    Key(Vec<u8>),
    /// Every key in a half-open range, including keys that do not exist yet (a predicate lock,
    /// which is what stops phantoms under `Serializable`).
    Range(KeyRange),
}

impl LockTarget {
    /// A lock target for one key.
    pub fn key(key: impl Into<Vec<u8>>) -> Self {
        LockTarget::Key(key.into())
    }

    /// A lock target for the keys in `[start, end)` (`end == None`: unbounded above).
    ///
    /// Fails with [`LockError::InvalidRequest`] when `start > end`.
    pub fn range(start: impl Into<Vec<u8>>, end: Option<Vec<u8>>) -> Result<Self, LockError> {
        Ok(LockTarget::Range(KeyRange::new(start, end)?))
    }

    /// Whether the target holds no key (an empty range); locking it is a no-op.
    pub fn is_empty(&self) -> bool {
        matches!(self, LockTarget::Range(r) if r.is_empty())
    }

    /// Whether the two targets share at least one key.
    pub fn overlaps(&self, other: &LockTarget) -> bool {
        match (self, other) {
            (LockTarget::Key(a), LockTarget::Key(b)) => a == b,
            (LockTarget::Key(k), LockTarget::Range(r))
            | (LockTarget::Range(r), LockTarget::Key(k)) => r.contains(k),
            (LockTarget::Range(a), LockTarget::Range(b)) => a.overlaps(b),
        }
    }

    /// Whether every key of `other` is also a key of `self`.
    pub fn covers(&self, other: &LockTarget) -> bool {
        match (self, other) {
            (LockTarget::Key(a), LockTarget::Key(b)) => a == b,
            (LockTarget::Key(_), LockTarget::Range(r)) => r.is_empty(),
            (LockTarget::Range(r), LockTarget::Key(k)) => r.contains(k),
            (LockTarget::Range(a), LockTarget::Range(b)) => a.covers(b),
        }
    }
}

impl fmt::Display for LockTarget {
    /// Keys print as quoted strings with non-printable bytes escaped as `\xNN`; ranges as
    /// `["start", "end")` or `["start", +inf)`.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            LockTarget::Key(k) => write!(f, "key {}", EscapedKey(k)),
            LockTarget::Range(r) => match r.end() {
                Some(end) => write!(f, "range [{}, {})", EscapedKey(r.start()), EscapedKey(end)),
                None => write!(f, "range [{}, +inf)", EscapedKey(r.start())),
            },
        }
    }
}

/// Displays a byte key as a quoted string, escaping quotes, backslashes and non-printable bytes.
pub(super) struct EscapedKey<'a>(pub &'a [u8]);

impl fmt::Display for EscapedKey<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("\"")?;
        for &b in self.0 {
            match b {
                b'"' => f.write_str("\\\"")?,
                b'\\' => f.write_str("\\\\")?,
                0x20..=0x7e => write!(f, "{}", b as char)?,
                _ => write!(f, "\\x{b:02x}")?,
            }
        }
        f.write_str("\"")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn range(start: &str, end: Option<&str>) -> KeyRange {
        KeyRange::new(start, end.map(|e| e.as_bytes().to_vec())).expect("valid range")
    }

    #[test]
    fn compatibility_matrix() {
        use LockMode::*;
        assert!(Shared.compatible_with(Shared));
        assert!(!Shared.compatible_with(Exclusive));
        assert!(!Exclusive.compatible_with(Shared));
        assert!(!Exclusive.compatible_with(Exclusive));
        assert!(Exclusive.includes(Shared) && Exclusive.includes(Exclusive));
        assert!(Shared.includes(Shared) && !Shared.includes(Exclusive));
    }

    #[test]
    fn ranges_are_half_open() {
        let r = range("b", Some("d"));
        assert!(!r.contains(b"a") && r.contains(b"b") && r.contains(b"c\xff") && !r.contains(b"d"));
        assert!(range("a", None).contains(b"\xff\xff"));
        assert!(r.overlaps(&range("c", Some("z"))));
        assert!(
            !r.overlaps(&range("d", Some("z"))),
            "touching ranges share no key"
        );
        assert!(!r.overlaps(&range("a", Some("b"))));
        assert!(r.overlaps(&range("", None)));
        assert!(
            !r.overlaps(&range("c", Some("c"))),
            "an empty range overlaps nothing"
        );
        assert!(range("a", None).covers(&r) && !r.covers(&range("a", None)));
        assert!(r.covers(&range("b", Some("c"))) && !r.covers(&range("b", Some("e"))));
    }

    #[test]
    fn inverted_range_is_rejected_with_both_bounds_named() {
        let err = KeyRange::new("z", Some(b"a".to_vec())).expect_err("start after end");
        assert_eq!(
            err.to_string(),
            "invalid lock request: key range start \"z\" is after its end \"a\""
        );
    }

    #[test]
    fn targets_display_escaped() {
        assert_eq!(
            LockTarget::key(b"a\x00\"".to_vec()).to_string(),
            "key \"a\\x00\\\"\""
        );
        let r = LockTarget::range("a", None).expect("valid");
        assert_eq!(r.to_string(), "range [\"a\", +inf)");
        assert!(r.overlaps(&LockTarget::key("b")) && !LockTarget::key("b").covers(&r));
    }
}
