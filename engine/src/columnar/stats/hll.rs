//! The HyperLogLog distinct-count sketch of column statistics and its fixed hash (see the
//! parent module doc for the hash and the layout).
#![deny(clippy::indexing_slicing)]

use crate::columnar::encoding::{ChunkError, invalid};
use crate::columnar::predicate::Scalar;
use crate::util::codec::Reader;

/// Precision of the sketch: `2^12` registers (standard error ≈ 1.6 %).
pub const HLL_PRECISION: u8 = 12;
const REGISTERS: usize = 1 << HLL_PRECISION;

/// The statistics hash of a value's bytes (see the module doc).
pub fn hash64(bytes: &[u8]) -> u64 {
    let mut h: u64 = 0xcbf2_9ce4_8422_2325;
    for &b in bytes {
        h ^= u64::from(b);
        h = h.wrapping_mul(0x0000_0100_0000_01b3);
    }
    h = (h ^ (h >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
    h = (h ^ (h >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
    h ^ (h >> 31)
}

/// The statistics hash of a scalar.
pub fn hash_scalar(s: &Scalar) -> u64 {
    match s {
        Scalar::Int(v) => hash64(&v.to_le_bytes()),
        Scalar::Double(v) => {
            let bits = if v.is_nan() {
                0x7FF8_0000_0000_0000
            } else if *v == 0.0 {
                0
            } else {
                v.to_bits()
            };
            hash64(&bits.to_le_bytes())
        }
        Scalar::Bool(b) => hash64(&[u8::from(*b)]),
        Scalar::Bytes(b) => hash64(b),
    }
}

/// A HyperLogLog distinct-count sketch of precision [`HLL_PRECISION`].
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct HyperLogLog {
    registers: Vec<u8>,
}

impl Default for HyperLogLog {
    fn default() -> Self {
        HyperLogLog::new()
    }
}

impl HyperLogLog {
    /// An empty sketch.
    pub fn new() -> HyperLogLog {
        HyperLogLog {
            registers: vec![0; REGISTERS],
        }
    }

    /// Adds a value by its [`hash64`].
    pub fn add_hash(&mut self, h: u64) {
        let idx = (h >> (64 - HLL_PRECISION)) as usize;
        let rest = (h << HLL_PRECISION) | (1 << (HLL_PRECISION - 1));
        let rank = rest.leading_zeros() as u8 + 1;
        if let Some(r) = self.registers.get_mut(idx) {
            *r = (*r).max(rank);
        }
    }

    /// Adds a value.
    pub fn add(&mut self, s: &Scalar) {
        self.add_hash(hash_scalar(s));
    }

    /// Merges `other` in (the sketch of the union).
    pub fn merge(&mut self, other: &HyperLogLog) {
        for (a, b) in self.registers.iter_mut().zip(&other.registers) {
            *a = (*a).max(*b);
        }
    }

    /// The estimated number of distinct values (linear counting for small cardinalities).
    pub fn estimate(&self) -> f64 {
        let m = REGISTERS as f64;
        let alpha = 0.7213 / (1.0 + 1.079 / m);
        let sum: f64 = self
            .registers
            .iter()
            .map(|&r| 2f64.powi(-i32::from(r)))
            .sum();
        let raw = alpha * m * m / sum;
        let zeros = self.registers.iter().filter(|&&r| r == 0).count();
        if raw <= 2.5 * m && zeros > 0 {
            m * (m / zeros as f64).ln()
        } else {
            raw
        }
    }

    /// Appends the sketch: precision `u8`, then the registers.
    pub fn encode(&self, out: &mut Vec<u8>) {
        out.push(HLL_PRECISION);
        out.extend_from_slice(&self.registers);
    }

    /// Reads a sketch written by [`HyperLogLog::encode`].
    pub fn decode(r: &mut Reader<'_>) -> Result<HyperLogLog, ChunkError> {
        let p = r.u8()?;
        if p != HLL_PRECISION {
            return Err(invalid(format!("sketch precision {p}")));
        }
        let registers = r.bytes(REGISTERS)?.to_vec();
        let max = 64 - HLL_PRECISION + 1;
        if registers.iter().any(|&x| x > max) {
            return Err(invalid(format!("sketch register above {max}")));
        }
        Ok(HyperLogLog { registers })
    }
}
