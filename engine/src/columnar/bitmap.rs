//! [`Bitmap`]: a fixed-length bit set in `u64` words — the validity mask of a column vector
//! and the result of a predicate over a chunk.

/// A fixed-length set of bits, 64 to a word, bit `i` in word `i / 64` at position `i % 64`.
/// Bits at or past `len` are always zero.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Bitmap {
    words: Vec<u64>,
    len: usize,
}

impl Bitmap {
    /// `len` bits, all set.
    pub fn all(len: usize) -> Bitmap {
        let mut b = Bitmap {
            words: vec![u64::MAX; len.div_ceil(64)],
            len,
        };
        b.clear_tail();
        b
    }

    /// `len` bits, none set.
    pub fn none(len: usize) -> Bitmap {
        Bitmap {
            words: vec![0; len.div_ceil(64)],
            len,
        }
    }

    /// A bitmap of `len` bits from its words; bits past `len` are cleared. Missing words read
    /// as zero and extra words are dropped.
    pub fn from_words(mut words: Vec<u64>, len: usize) -> Bitmap {
        words.resize(len.div_ceil(64), 0);
        let mut b = Bitmap { words, len };
        b.clear_tail();
        b
    }

    fn clear_tail(&mut self) {
        let rem = self.len % 64;
        if rem != 0
            && let Some(last) = self.words.last_mut()
        {
            *last &= (1u64 << rem) - 1;
        }
    }

    /// Number of bits.
    pub fn len(&self) -> usize {
        self.len
    }

    /// Whether the bitmap has no bits at all.
    pub fn is_empty(&self) -> bool {
        self.len == 0
    }

    /// The words, least significant bit first.
    pub fn words(&self) -> &[u64] {
        &self.words
    }

    /// Bit `i` (`false` past the end).
    pub fn get(&self, i: usize) -> bool {
        i < self.len
            && self
                .words
                .get(i / 64)
                .is_some_and(|w| w >> (i % 64) & 1 == 1)
    }

    /// Sets bit `i` to `v` (ignored past the end).
    pub fn set(&mut self, i: usize, v: bool) {
        if i >= self.len {
            return;
        }
        if let Some(w) = self.words.get_mut(i / 64) {
            let m = 1u64 << (i % 64);
            if v { *w |= m } else { *w &= !m }
        }
    }

    /// Sets bits `range.start..range.end` (clamped to the length).
    pub fn set_range(&mut self, start: usize, end: usize) {
        let end = end.min(self.len);
        let mut i = start;
        while i < end {
            let (wi, bit) = (i / 64, i % 64);
            let n = (64 - bit).min(end - i);
            let mask = if n == 64 {
                u64::MAX
            } else {
                ((1u64 << n) - 1) << bit
            };
            if let Some(w) = self.words.get_mut(wi) {
                *w |= mask;
            }
            i += n;
        }
    }

    /// Number of set bits.
    pub fn count_ones(&self) -> usize {
        self.words.iter().map(|w| w.count_ones() as usize).sum()
    }

    /// Bitwise AND with `other` (bits past the shorter length are cleared).
    pub fn and(&self, other: &Bitmap) -> Bitmap {
        let words = self
            .words
            .iter()
            .zip(other.words.iter().chain(std::iter::repeat(&0)))
            .map(|(a, b)| a & b)
            .collect();
        Bitmap::from_words(words, self.len)
    }

    /// Bitwise OR with `other` (truncated to this bitmap's length).
    pub fn or(&self, other: &Bitmap) -> Bitmap {
        let words = self
            .words
            .iter()
            .zip(other.words.iter().chain(std::iter::repeat(&0)))
            .map(|(a, b)| a | b)
            .collect();
        Bitmap::from_words(words, self.len)
    }

    /// The indexes of the set bits, ascending.
    pub fn iter_ones(&self) -> impl Iterator<Item = usize> + '_ {
        self.words.iter().enumerate().flat_map(|(wi, &w)| {
            let mut w = w;
            std::iter::from_fn(move || {
                if w == 0 {
                    return None;
                }
                let t = w.trailing_zeros() as usize;
                w &= w - 1;
                Some(wi * 64 + t)
            })
        })
    }
}
