//! Byte sizes as people write and read them: `--max-artifact-size 4GiB` in, `1.5 MiB` out.
//!
//! Binary units (`KiB`, `MiB`, `GiB`, `TiB`, and the bare `K`, `M`, `G`, `T`) are powers of
//! 1024; decimal units (`KB`, `MB`, `GB`, `TB`) are powers of 1000, as the IEC and SI define
//! them. Non-goal: fractions (`1.5GiB`); a size is a whole number of its unit.

use std::fmt;

/// A number of bytes, shown in the largest binary unit that keeps it readable.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub(crate) struct Size(pub(crate) u64);

/// Binary units, largest first, for display.
const BINARY: [(&str, u64); 4] = [
    ("TiB", 1 << 40),
    ("GiB", 1 << 30),
    ("MiB", 1 << 20),
    ("KiB", 1 << 10),
];

impl fmt::Display for Size {
    /// `64 KiB`, `10263 bytes`, `1.5 MiB (1572865 bytes)`: a whole number of a unit as is, so
    /// that a limit reads as it was written; anything else exactly, with one decimal of a unit
    /// in front from 1 MiB up, so that two sizes a byte apart never read the same.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let bytes = self.0;
        for (unit, scale) in BINARY {
            if bytes >= scale && (bytes.is_multiple_of(scale) || scale >= 1 << 20) {
                if bytes.is_multiple_of(scale) {
                    return write!(f, "{} {unit}", bytes / scale);
                }
                // Tenths, rounded down, in integers: exact for every u64.
                let tenths = u128::from(bytes) * 10 / u128::from(scale);
                return write!(f, "{}.{} {unit} ({bytes} bytes)", tenths / 10, tenths % 10);
            }
        }
        write!(f, "{bytes} {}", if bytes == 1 { "byte" } else { "bytes" })
    }
}

/// Parses `4GiB`, `500 MB`, `64k` or `1048576`: a whole number and an optional unit, case
/// aside. For clap's `value_parser`.
pub(crate) fn parse(text: &str) -> Result<u64, String> {
    let text = text.trim();
    let digits = text
        .find(|c: char| !c.is_ascii_digit())
        .unwrap_or(text.len());
    let (number, unit) = text.split_at(digits);
    let invalid = || {
        format!(
            "`{text}` is not a size (expected a whole number of bytes, or one with a unit: `KiB`, `MiB`, `GiB`, `TiB`, `KB`, `MB`, `GB`, `TB`)"
        )
    };
    let number: u64 = number.parse().map_err(|_| invalid())?;
    let scale: u64 = match unit.trim().to_ascii_lowercase().as_str() {
        "" | "b" => 1,
        "k" | "kib" => 1 << 10,
        "m" | "mib" => 1 << 20,
        "g" | "gib" => 1 << 30,
        "t" | "tib" => 1 << 40,
        "kb" => 1_000,
        "mb" => 1_000_000,
        "gb" => 1_000_000_000,
        "tb" => 1_000_000_000_000,
        _ => return Err(invalid()),
    };
    let bytes = number
        .checked_mul(scale)
        .ok_or_else(|| format!("`{text}` is too large"))?;
    if bytes == 0 {
        return Err("a size of 0 would refuse every artifact".to_string());
    }
    Ok(bytes)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_bytes_and_units() {
        for (text, bytes) in [
            ("1048576", 1 << 20),
            ("64KiB", 64 << 10),
            ("64k", 64 << 10),
            ("16 GiB", 16 << 30),
            ("16g", 16 << 30),
            ("500MB", 500_000_000),
            ("2000b", 2000),
            ("1TiB", 1 << 40),
        ] {
            assert_eq!(parse(text), Ok(bytes), "{text}");
        }
        for bad in ["", "GiB", "1.5GiB", "-1", "4 parsecs", "0"] {
            assert!(parse(bad).is_err(), "{bad}");
        }
        assert_eq!(
            parse("99999999999TiB"),
            Err("`99999999999TiB` is too large".into())
        );
    }

    #[test]
    fn shows_sizes_as_written() {
        assert_eq!(Size(1).to_string(), "1 byte");
        assert_eq!(Size(1023).to_string(), "1023 bytes");
        assert_eq!(Size(64 << 10).to_string(), "64 KiB");
        assert_eq!(Size(3 << 19).to_string(), "1.5 MiB (1572864 bytes)");
        assert_eq!(Size(16 << 30).to_string(), "16 GiB");
        assert_eq!(Size(10263).to_string(), "10263 bytes");
        assert_eq!(Size(2000).to_string(), "2000 bytes");
        assert_eq!(
            Size(u64::MAX).to_string(),
            "16777215.9 TiB (18446744073709551615 bytes)"
        );
    }
}
