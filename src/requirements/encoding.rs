//! The bytes of a requirements file as pip decodes them (`_decode_req_file`), and back.
//!
//! pip looks for a byte-order mark first (UTF-8, UTF-32, UTF-16, in that order, since UTF-16
//! LE's mark starts UTF-32 LE's), then for a PEP 263 `coding:` comment in the first two lines,
//! then tries UTF-8. hashpin does the same, and writes a file back in the encoding it was read
//! in, mark included, so an edit changes nothing else. Of the encodings a `coding:` comment can
//! name, hashpin reads UTF-8 and Latin-1 (ISO 8859-1); any other is an input error that says
//! so, never a guess. pip's last resort, the locale's encoding, is left out for the same reason.

use std::fmt;

/// How a file's bytes stand for its text.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub(crate) enum Encoding {
    /// UTF-8; a byte-order mark, if any, stays part of the text (`\u{feff}`).
    #[default]
    Utf8,
    /// UTF-16, little-endian, after its byte-order mark.
    Utf16Le,
    /// UTF-16, big-endian, after its byte-order mark.
    Utf16Be,
    /// UTF-32, little-endian, after its byte-order mark.
    Utf32Le,
    /// UTF-32, big-endian, after its byte-order mark.
    Utf32Be,
    /// ISO 8859-1, declared by a `# -*- coding: latin-1 -*-` comment.
    Latin1,
}

impl fmt::Display for Encoding {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Self::Utf8 => "UTF-8",
            Self::Utf16Le => "UTF-16 LE",
            Self::Utf16Be => "UTF-16 BE",
            Self::Utf32Le => "UTF-32 LE",
            Self::Utf32Be => "UTF-32 BE",
            Self::Latin1 => "Latin-1",
        })
    }
}

/// Why bytes are not a requirements file hashpin can read.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub(crate) enum DecodeError {
    /// No mark and no `coding:` comment, and not UTF-8.
    #[error("not UTF-8 text, and no byte-order mark or `# -*- coding: … -*-` line says what it is")]
    NotUtf8,
    /// The bytes do not decode in the encoding their mark or comment names.
    #[error("not valid {0}, though its byte-order mark or `coding:` line says so")]
    Invalid(Encoding),
    /// A `coding:` comment names an encoding hashpin does not read.
    #[error("it declares `coding: {0}`, and hashpin reads UTF-8, UTF-16, UTF-32 and Latin-1 only")]
    Unsupported(String),
}

/// Byte-order marks in the order pip tries them.
const MARKS: [(&[u8], Encoding); 5] = [
    (b"\x00\x00\xfe\xff", Encoding::Utf32Be),
    (b"\xff\xfe\x00\x00", Encoding::Utf32Le),
    (b"\xfe\xff", Encoding::Utf16Be),
    (b"\xff\xfe", Encoding::Utf16Le),
    (b"\xef\xbb\xbf", Encoding::Utf8),
];

/// Decodes a file's bytes as pip does.
pub(crate) fn decode(bytes: &[u8]) -> Result<(String, Encoding), DecodeError> {
    for (mark, encoding) in MARKS {
        if let Some(rest) = bytes.strip_prefix(mark) {
            return match encoding {
                // The UTF-8 mark stays in the text, as it always has: the parser skips it.
                Encoding::Utf8 => utf8(bytes).ok_or(DecodeError::Invalid(encoding)),
                _ => units(rest, encoding).ok_or(DecodeError::Invalid(encoding)),
            }
            .map(|text| (text, encoding));
        }
    }
    if let Some(declared) = declared_coding(bytes) {
        let name = declared.to_ascii_lowercase().replace('_', "-");
        return match name.as_str() {
            "utf-8" | "utf8" => utf8(bytes)
                .map(|text| (text, Encoding::Utf8))
                .ok_or(DecodeError::Invalid(Encoding::Utf8)),
            "latin-1" | "latin1" | "iso-8859-1" | "iso8859-1" | "l1" | "iso-latin-1" => Ok((
                bytes.iter().map(|&byte| char::from(byte)).collect(),
                Encoding::Latin1,
            )),
            _ => Err(DecodeError::Unsupported(declared)),
        };
    }
    utf8(bytes)
        .map(|text| (text, Encoding::Utf8))
        .ok_or(DecodeError::NotUtf8)
}

/// The bytes of `text` in `encoding`, byte-order mark first where it had one; `None` when a
/// character cannot be written in it (Latin-1 above U+00FF).
pub(crate) fn encode(text: &str, encoding: Encoding) -> Option<Vec<u8>> {
    let mut bytes = Vec::with_capacity(text.len() * 2);
    match encoding {
        Encoding::Utf8 => bytes.extend_from_slice(text.as_bytes()),
        Encoding::Latin1 => {
            for character in text.chars() {
                bytes.push(u8::try_from(u32::from(character)).ok()?);
            }
        }
        Encoding::Utf16Le | Encoding::Utf16Be => {
            let big = encoding == Encoding::Utf16Be;
            bytes.extend_from_slice(if big { b"\xfe\xff" } else { b"\xff\xfe" });
            for unit in text.encode_utf16() {
                bytes.extend_from_slice(&if big {
                    unit.to_be_bytes()
                } else {
                    unit.to_le_bytes()
                });
            }
        }
        Encoding::Utf32Le | Encoding::Utf32Be => {
            let big = encoding == Encoding::Utf32Be;
            bytes.extend_from_slice(if big {
                b"\x00\x00\xfe\xff"
            } else {
                b"\xff\xfe\x00\x00"
            });
            for character in text.chars() {
                let value = u32::from(character);
                bytes.extend_from_slice(&if big {
                    value.to_be_bytes()
                } else {
                    value.to_le_bytes()
                });
            }
        }
    }
    Some(bytes)
}

fn utf8(bytes: &[u8]) -> Option<String> {
    String::from_utf8(bytes.to_vec()).ok()
}

/// UTF-16 or UTF-32 code units after the mark.
fn units(bytes: &[u8], encoding: Encoding) -> Option<String> {
    match encoding {
        Encoding::Utf16Le | Encoding::Utf16Be => {
            if !bytes.len().is_multiple_of(2) {
                return None;
            }
            let units: Vec<u16> = bytes
                .chunks_exact(2)
                .map(|pair| {
                    let pair = [pair[0], pair[1]];
                    if encoding == Encoding::Utf16Be {
                        u16::from_be_bytes(pair)
                    } else {
                        u16::from_le_bytes(pair)
                    }
                })
                .collect();
            String::from_utf16(&units).ok()
        }
        Encoding::Utf32Le | Encoding::Utf32Be => {
            if !bytes.len().is_multiple_of(4) {
                return None;
            }
            bytes
                .chunks_exact(4)
                .map(|quad| {
                    let quad = [quad[0], quad[1], quad[2], quad[3]];
                    char::from_u32(if encoding == Encoding::Utf32Be {
                        u32::from_be_bytes(quad)
                    } else {
                        u32::from_le_bytes(quad)
                    })
                })
                .collect()
        }
        Encoding::Utf8 | Encoding::Latin1 => None,
    }
}

/// The encoding a PEP 263 comment names in the first two lines. pip matches
/// `^#.*coding[:=]\s*([-\w.]+)` against each of the first two `\n`-split lines; the greedy
/// `.*` makes the last `coding:` of a line the one that counts, and `\w` is ASCII there.
fn declared_coding(bytes: &[u8]) -> Option<String> {
    const KEY: &[u8] = b"coding";
    for line in bytes.split(|&byte| byte == b'\n').take(2) {
        if line.first() != Some(&b'#') {
            continue;
        }
        let declared = (1..line.len().saturating_sub(KEY.len() - 1))
            .rev()
            .filter(|&at| line[at..].starts_with(KEY))
            .find_map(|at| {
                let rest = &line[at + KEY.len()..];
                let rest = rest
                    .strip_prefix(b":")
                    .or_else(|| rest.strip_prefix(b"="))?;
                let start = rest.iter().position(|byte| !is_python_space(*byte))?;
                let name: String = rest[start..]
                    .iter()
                    .take_while(|byte| byte.is_ascii_alphanumeric() || b"-_.".contains(byte))
                    .map(|&byte| char::from(byte))
                    .collect();
                (!name.is_empty()).then_some(name)
            });
        if declared.is_some() {
            return declared;
        }
    }
    None
}

/// `\s` of a bytes pattern in Python: ASCII whitespace, vertical tab included.
fn is_python_space(byte: u8) -> bool {
    matches!(byte, b' ' | b'\t' | b'\n' | b'\r' | b'\x0b' | b'\x0c')
}

#[cfg(test)]
mod tests {
    use proptest::prelude::*;

    use super::*;

    #[test]
    fn reads_and_writes_back_every_encoding_pip_reads() {
        let text = "# caf\u{e9}\nsix==1.16.0\n";
        for encoding in [
            Encoding::Utf16Le,
            Encoding::Utf16Be,
            Encoding::Utf32Le,
            Encoding::Utf32Be,
        ] {
            let bytes = encode(text, encoding).unwrap();
            assert_eq!(
                decode(&bytes),
                Ok((text.to_string(), encoding)),
                "{encoding}"
            );
        }
        let latin = b"# -*- coding: latin-1 -*-\n# caf\xe9\nsix==1.16.0\n";
        let (decoded, encoding) = decode(latin).unwrap();
        assert_eq!(encoding, Encoding::Latin1);
        assert!(decoded.contains('\u{e9}'));
        assert_eq!(encode(&decoded, encoding).unwrap(), latin);
        assert_eq!(
            decode(b"six==1\n"),
            Ok(("six==1\n".to_string(), Encoding::Utf8))
        );
        assert_eq!(decode(b"caf\xe9\n"), Err(DecodeError::NotUtf8));
        assert_eq!(
            decode(b"# coding: shift_jis\nsix==1\n"),
            Err(DecodeError::Unsupported("shift_jis".into()))
        );
        assert_eq!(encode("\u{2603}", Encoding::Latin1), None);
    }

    #[test]
    fn the_last_coding_declaration_of_a_line_counts_as_in_pip() {
        // pip's pattern is greedy: `# encoding coding: latin-1` declares Latin-1.
        assert_eq!(
            declared_coding(b"# encoding coding: latin-1\n").as_deref(),
            Some("latin-1")
        );
        assert_eq!(
            declared_coding(b"# coding=utf-8 ... coding: latin-1\n").as_deref(),
            Some("latin-1")
        );
        // Only the first two lines, only lines that start with `#`.
        assert_eq!(declared_coding(b"six==1\n\n# coding: latin-1\n"), None);
        assert_eq!(declared_coding(b" # coding: latin-1\n"), None);
        assert_eq!(
            declared_coding(b"six==1\n# vim: set fileencoding=latin-1 :\n").as_deref(),
            Some("latin-1")
        );
        assert_eq!(declared_coding(b"# coding:\n"), None);
    }

    /// Any bytes, Latin-1-declared bytes, and UTF-16 LE units after a mark.
    fn file_bytes() -> impl Strategy<Value = Vec<u8>> {
        prop_oneof![
            prop::collection::vec(any::<u8>(), 0..64),
            prop::collection::vec(any::<u8>(), 0..64).prop_map(|tail| {
                let mut bytes = b"# coding: latin-1\n".to_vec();
                bytes.extend(tail);
                bytes
            }),
            prop::collection::vec(any::<u16>(), 0..32).prop_map(|units| {
                let mut bytes = vec![0xff, 0xfe];
                bytes.extend(units.iter().flat_map(|unit| unit.to_le_bytes()));
                bytes
            }),
        ]
    }

    proptest! {
        /// Whatever decodes is written back byte for byte: an edit changes only what it edits.
        #[test]
        fn decoded_bytes_encode_back_to_themselves(
            bytes in file_bytes()
        ) {
            if let Ok((text, encoding)) = decode(&bytes) {
                prop_assert_eq!(encode(&text, encoding), Some(bytes));
            }
        }
    }
}
