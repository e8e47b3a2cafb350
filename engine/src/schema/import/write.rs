//! Writing CSV: one value as one field, in the formats [`read`](super::read) parses back to the
//! same value — `NULL` as an empty field, the empty text as `""`, doubles in Rust's shortest
//! round-trip form (`0.1`, `1e300`, `-0.0`, `inf`, `NaN`), bytes as `\x` and lowercase hex,
//! booleans as `true`/`false`, timestamps as `YYYY-MM-DD` at midnight and as
//! `YYYY-MM-DD HH:MM:SS[.ffffff]` otherwise (UTC). A field is quoted (RFC 4180, `"` doubled)
//! only when it must be: when it holds `,`, `"`, `\r` or `\n`, or is empty text.

use std::io::{self, Write};

use crate::schema::value::Value;

/// Writes `s` as one field, quoted only if it must be.
pub fn write_text<W: Write + ?Sized>(out: &mut W, s: &str) -> io::Result<()> {
    let needs = s.is_empty() || s.bytes().any(|b| matches!(b, b',' | b'"' | b'\r' | b'\n'));
    if !needs {
        return out.write_all(s.as_bytes());
    }
    out.write_all(b"\"")?;
    let mut rest = s;
    while let Some(i) = rest.find('"') {
        let (head, tail) = rest.split_at(i + 1);
        out.write_all(head.as_bytes())?;
        out.write_all(b"\"")?;
        rest = tail;
    }
    out.write_all(rest.as_bytes())?;
    out.write_all(b"\"")
}

/// A timestamp (microseconds since the epoch, UTC) as `YYYY-MM-DD`, or with the time of day
/// when it is not midnight; `None` outside the dates the calendar code can represent.
pub fn format_timestamp(us: i64) -> Option<String> {
    let t = chrono::DateTime::from_timestamp_micros(us)?;
    let day = 86_400_000_000i64;
    Some(if us.rem_euclid(day) == 0 {
        t.format("%Y-%m-%d").to_string()
    } else if us.rem_euclid(1_000_000) == 0 {
        t.format("%Y-%m-%d %H:%M:%S").to_string()
    } else {
        t.format("%Y-%m-%d %H:%M:%S%.6f").to_string()
    })
}

/// Writes `v` as one field. A timestamp the calendar cannot represent is an
/// [`io::ErrorKind::InvalidData`] error.
pub fn write_value<W: Write + ?Sized>(out: &mut W, v: &Value) -> io::Result<()> {
    match v {
        Value::Null => Ok(()),
        Value::Int(i) => write!(out, "{i}"),
        Value::Double(d) => write!(out, "{d:?}"),
        Value::Text(s) => write_text(out, s),
        Value::Bytes(b) => {
            out.write_all(b"\\x")?;
            for byte in b {
                write!(out, "{byte:02x}")?;
            }
            Ok(())
        }
        Value::Bool(b) => out.write_all(if *b { b"true" } else { b"false" }),
        Value::Timestamp(us) => match format_timestamp(*us) {
            Some(s) => out.write_all(s.as_bytes()),
            None => Err(io::Error::new(
                io::ErrorKind::InvalidData,
                format!("timestamp {us} µs is outside the representable dates"),
            )),
        },
    }
}

/// Writes one record: the values separated by `,`, then `\n`.
pub fn write_record<W: Write + ?Sized>(out: &mut W, values: &[Value]) -> io::Result<()> {
    for (i, v) in values.iter().enumerate() {
        if i > 0 {
            out.write_all(b",")?;
        }
        write_value(out, v)?;
    }
    out.write_all(b"\n")
}
