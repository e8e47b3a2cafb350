//! Range partitions of a columnar table, as values: which range of the partition column a
//! value falls in (calendar months or days of a `TIMESTAMP`, aligned ranges of a fixed width of
//! an integer), the partition's label (`2024-01`, `2024-01-15`, `100`), the partition entry's
//! byte layout, and how a partition number and a segment number make a segment id.
//!
//! A partition covers the inclusive range `lo..=last` of the partition column. Its entry,
//! under [`ColumnarKey::Partition`](crate::schema::keys::ColumnarKey::Partition), is
//! `01 | lo i64 | last i64 | next segment u32 | crc32c u32` (little-endian, 25 bytes). Its
//! segments have ids `partition << 32 | n`, so they sort together and are read as one key range
//! (layouts in `engine/FORMAT.md`, "Columnar tables").
#![deny(clippy::indexing_slicing)]

use chrono::{Datelike, NaiveDate};

use super::encoding::{ChunkError, invalid};
use crate::schema::def::PartitionInterval;
use crate::util::codec::{Reader, push_u32, push_u64};

/// Microseconds in a day.
const DAY_US: i64 = 86_400_000_000;
/// The version byte a partition entry starts with.
const ENTRY_VERSION: u8 = 1;
/// A partition entry's size in bytes.
const ENTRY_LEN: usize = 25;

/// A partition as its entry records it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Partition {
    /// Its number (the key's and its segment ids' high 32 bits; never 0).
    pub number: u32,
    /// The smallest partition-column value it holds.
    pub lo: i64,
    /// The largest partition-column value it holds.
    pub last: i64,
    /// The number its next segment gets (the low 32 bits of the segment id).
    pub next_segment: u32,
}

/// The id of segment `n` of partition `partition`.
pub fn segment_id(partition: u32, n: u32) -> u64 {
    (u64::from(partition) << 32) | u64::from(n)
}

/// The partition number a segment id carries.
pub fn partition_of(segment: u64) -> u32 {
    (segment >> 32) as u32
}

fn date_of(us: i64) -> Option<NaiveDate> {
    chrono::DateTime::from_timestamp_micros(us).map(|t| t.date_naive())
}

fn micros_of(d: NaiveDate) -> Option<i64> {
    d.and_hms_opt(0, 0, 0)
        .map(|t| t.and_utc().timestamp_micros())
}

fn first_of_month(d: NaiveDate) -> Option<NaiveDate> {
    NaiveDate::from_ymd_opt(d.year(), d.month(), 1)
}

fn next_month(d: NaiveDate) -> Option<NaiveDate> {
    let (y, m) = if d.month() == 12 {
        (d.year().checked_add(1)?, 1)
    } else {
        (d.year(), d.month() + 1)
    };
    NaiveDate::from_ymd_opt(y, m, 1)
}

/// The inclusive range `(lo, last)` of the partition `v` falls in, or `None` when the range
/// cannot be represented (a timestamp outside the calendar's years).
pub fn bounds(interval: PartitionInterval, v: i64) -> Option<(i64, i64)> {
    match interval {
        PartitionInterval::Month => {
            let first = first_of_month(date_of(v)?)?;
            let lo = micros_of(first)?;
            let next = micros_of(next_month(first)?)?;
            Some((lo, next.checked_sub(1)?))
        }
        PartitionInterval::Day => {
            let lo = v.div_euclid(DAY_US).checked_mul(DAY_US)?;
            Some((lo, lo.checked_add(DAY_US - 1)?))
        }
        PartitionInterval::Width(w) => {
            let w = i128::from(w);
            let lo = (i128::from(v).div_euclid(w) * w).max(i128::from(i64::MIN));
            let last = (lo + w - 1).min(i128::from(i64::MAX));
            Some((i64::try_from(lo).ok()?, i64::try_from(last).ok()?))
        }
    }
}

/// The label of the partition starting at `lo`: `YYYY-MM` (months), `YYYY-MM-DD` (days), the
/// lower bound (widths).
pub fn label(interval: PartitionInterval, lo: i64) -> String {
    let date = || date_of(lo);
    match interval {
        PartitionInterval::Month => date().map(|d| d.format("%Y-%m").to_string()),
        PartitionInterval::Day => date().map(|d| d.format("%Y-%m-%d").to_string()),
        PartitionInterval::Width(_) => None,
    }
    .unwrap_or_else(|| lo.to_string())
}

/// The lower bound of the partition `text` labels (as [`label`] prints it), or `None` when
/// it labels no partition of `interval`.
pub fn parse_label(interval: PartitionInterval, text: &str) -> Option<i64> {
    let text = text.trim();
    let lo = match interval {
        PartitionInterval::Month => {
            let d = NaiveDate::parse_from_str(&format!("{text}-01"), "%Y-%m-%d").ok()?;
            micros_of(d)?
        }
        PartitionInterval::Day => micros_of(NaiveDate::parse_from_str(text, "%Y-%m-%d").ok()?)?,
        PartitionInterval::Width(_) => text.parse::<i64>().ok()?,
    };
    // Only a partition's own lower bound labels it (`2024-1` or `150` for width 100 do not).
    (bounds(interval, lo)?.0 == lo && label(interval, lo) == text).then_some(lo)
}

/// A partition value as text: a timestamp as its date (and time), an integer as itself.
pub fn show_value(interval: PartitionInterval, v: i64) -> String {
    match interval {
        PartitionInterval::Width(_) => v.to_string(),
        PartitionInterval::Month | PartitionInterval::Day => {
            match chrono::DateTime::from_timestamp_micros(v) {
                Some(t) if v.rem_euclid(DAY_US) == 0 => t.format("%Y-%m-%d").to_string(),
                Some(t) => t.format("%Y-%m-%d %H:%M:%S%.6f").to_string(),
                None => v.to_string(),
            }
        }
    }
}

/// A partition entry's bytes.
pub fn encode_entry(p: &Partition) -> Vec<u8> {
    let mut out = Vec::with_capacity(ENTRY_LEN);
    out.push(ENTRY_VERSION);
    push_u64(&mut out, p.lo as u64);
    push_u64(&mut out, p.last as u64);
    push_u32(&mut out, p.next_segment);
    let crc = crc32c::crc32c(&out);
    push_u32(&mut out, crc);
    out
}

/// Decodes the entry of partition `number`: length, checksum, version and `lo <= last`
/// checked.
pub fn decode_entry(number: u32, bytes: &[u8]) -> Result<Partition, ChunkError> {
    if bytes.len() != ENTRY_LEN {
        return Err(invalid(format!(
            "partition entry of {} bytes, expected {ENTRY_LEN}",
            bytes.len()
        )));
    }
    let (body, tail) = bytes.split_at(ENTRY_LEN - 4);
    let stored = Reader::new(tail).u32()?;
    let computed = crc32c::crc32c(body);
    if stored != computed {
        return Err(ChunkError::Checksum { stored, computed });
    }
    let mut r = Reader::new(body);
    let version = r.u8()?;
    if version != ENTRY_VERSION {
        return Err(invalid(format!(
            "partition entry version {version}, expected {ENTRY_VERSION}"
        )));
    }
    let lo = r.u64()? as i64;
    let last = r.u64()? as i64;
    let next_segment = r.u32()?;
    if lo > last {
        return Err(invalid(format!("partition bounds {lo}..={last} are empty")));
    }
    Ok(Partition {
        number,
        lo,
        last,
        next_segment,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ts(s: &str) -> i64 {
        let t = chrono::NaiveDateTime::parse_from_str(s, "%Y-%m-%d %H:%M:%S")
            .or_else(|_| {
                NaiveDate::parse_from_str(s, "%Y-%m-%d")
                    .map(|d| d.and_hms_opt(0, 0, 0).unwrap_or_default())
            })
            .expect("a timestamp");
        t.and_utc().timestamp_micros()
    }

    #[test]
    fn months_days_and_widths_cut_where_the_calendar_does() {
        let m = PartitionInterval::Month;
        assert_eq!(
            bounds(m, ts("2024-02-29 23:59:59")),
            Some((ts("2024-02-01"), ts("2024-03-01") - 1))
        );
        assert_eq!(
            bounds(m, ts("1969-12-31 10:00:00")),
            Some((ts("1969-12-01"), ts("1970-01-01") - 1))
        );
        assert_eq!(
            bounds(m, ts("2023-12-05")),
            Some((ts("2023-12-01"), ts("2024-01-01") - 1))
        );
        let d = PartitionInterval::Day;
        assert_eq!(
            bounds(d, ts("1969-12-31 10:00:00")),
            Some((ts("1969-12-31"), ts("1970-01-01") - 1))
        );
        let w = PartitionInterval::Width(100);
        assert_eq!(bounds(w, 150), Some((100, 199)));
        assert_eq!(bounds(w, -1), Some((-100, -1)));
        assert_eq!(bounds(w, i64::MAX).map(|b| b.1), Some(i64::MAX));
        assert_eq!(bounds(w, i64::MIN).map(|b| b.0), Some(i64::MIN));
    }

    #[test]
    fn labels_name_exactly_one_partition() {
        let m = PartitionInterval::Month;
        assert_eq!(label(m, ts("2024-01-01")), "2024-01");
        assert_eq!(parse_label(m, "2024-01"), Some(ts("2024-01-01")));
        assert_eq!(parse_label(m, "2024-1"), None);
        assert_eq!(parse_label(m, "2024-13"), None);
        let d = PartitionInterval::Day;
        assert_eq!(parse_label(d, "2024-02-29"), Some(ts("2024-02-29")));
        assert_eq!(parse_label(d, "2023-02-29"), None);
        let w = PartitionInterval::Width(100);
        assert_eq!(parse_label(w, "-100"), Some(-100));
        assert_eq!(parse_label(w, "150"), None);
    }

    #[test]
    fn entries_round_trip_and_refuse_damage() {
        let p = Partition {
            number: 3,
            lo: -5,
            last: 94,
            next_segment: 7,
        };
        let bytes = encode_entry(&p);
        assert_eq!(bytes.len(), ENTRY_LEN);
        assert_eq!(decode_entry(3, &bytes), Ok(p));
        for i in 0..bytes.len() {
            let mut bad = bytes.clone();
            if let Some(b) = bad.get_mut(i) {
                *b ^= 0x10;
            }
            assert!(decode_entry(3, &bad).is_err(), "flipped byte {i}");
        }
        assert!(decode_entry(3, bytes.get(..24).unwrap_or_default()).is_err());
        assert_eq!(segment_id(3, 7) >> 32, 3);
        assert_eq!(partition_of(segment_id(3, 7)), 3);
    }
}
