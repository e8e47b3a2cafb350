//! How keys and values travel through the command line.
//!
//! Arguments are taken as UTF-8 text, or as hexadecimal with `--hex`. Output escapes bytes that
//! would break the one-line-per-entry format: `\\`, `\t`, `\n`, `\r` and any byte that is not
//! printable UTF-8 is written as `\xNN`; with `--hex`, keys and values print as hex.

use anyhow::{Result, bail};

/// Decodes a command-line argument into bytes.
pub fn decode(arg: &str, hex: bool, what: &str) -> Result<Vec<u8>> {
    if !hex {
        return Ok(arg.as_bytes().to_vec());
    }
    if !arg.len().is_multiple_of(2) {
        bail!("{what} `{arg}` is not hexadecimal: odd number of digits");
    }
    (0..arg.len())
        .step_by(2)
        .map(|i| {
            u8::from_str_radix(&arg[i..i + 2], 16).map_err(|_| {
                anyhow::anyhow!("{what} `{arg}` is not hexadecimal: bad digits at offset {i}")
            })
        })
        .collect()
}

/// Decodes a key argument: like [`decode`], and an empty key is refused before the database is
/// opened, with the same message for every command (the engine stores no empty key, so a read
/// of one could only ever say "not found").
pub fn decode_key(arg: &str, hex: bool, what: &str) -> Result<Vec<u8>> {
    let key = decode(arg, hex, what)?;
    if key.is_empty() {
        bail!("{what} is empty; keys must not be empty");
    }
    Ok(key)
}

/// Encodes bytes for output.
pub fn encode(bytes: &[u8], hex: bool) -> String {
    if hex {
        return bytes.iter().map(|b| format!("{b:02x}")).collect();
    }
    let mut out = String::with_capacity(bytes.len());
    for chunk in bytes.utf8_chunks() {
        for c in chunk.valid().chars() {
            match c {
                '\\' => out.push_str("\\\\"),
                '\t' => out.push_str("\\t"),
                '\n' => out.push_str("\\n"),
                '\r' => out.push_str("\\r"),
                c if c.is_control() => {
                    for b in c.to_string().bytes() {
                        out.push_str(&format!("\\x{b:02x}"));
                    }
                }
                c => out.push(c),
            }
        }
        for b in chunk.invalid() {
            out.push_str(&format!("\\x{b:02x}"));
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn escapes_separators_and_invalid_utf8() {
        assert_eq!(encode(b"a\tb\nc\\d\xff", false), "a\\tb\\nc\\\\d\\xff");
        assert_eq!(encode("héllo".as_bytes(), false), "héllo");
    }

    #[test]
    fn hex_round_trip_and_errors() {
        assert_eq!(
            decode("00ff10", true, "key").expect("hex"),
            vec![0, 255, 16]
        );
        assert_eq!(encode(&[0, 255, 16], true), "00ff10");
        assert!(decode("abc", true, "key").is_err());
        assert!(decode("zz", true, "key").is_err());
    }
}
