//! Splitting a line into words the way a POSIX shell does, keeping where each word came from.
//!
//! Two callers use it, each with its [`Dialect`]: the options of a requirements file, which pip
//! splits with Python's `shlex.split`, and `--hook CMD` values, which a user writes as for a
//! shell. The rules they share:
//!
//! - white space is only space, tab, CR and LF (`shlex`'s): a no-break space is part of a word;
//! - `'…'` keeps everything literally;
//! - `"…"` keeps everything but a `\` before `"`, `\`, `$` or `` ` ``, which escapes it
//!   (Python's `shlex` would keep the `\` before `$` and `` ` ``; the requirements parser has
//!   always dropped it, as a shell does, and still does);
//! - an unquoted `\` escapes the next character;
//! - quoted and unquoted parts next to each other make one word, and `''` is a word, empty.
//!
//! Non-goals: nothing is expanded (variables, `~`, globs), and `;`, `|`, `&` and `#` are
//! ordinary characters: no shell runs, and a requirements file's comments are stripped before
//! its options are split.

use std::iter::Peekable;
use std::ops::Range;
use std::str::CharIndices;

/// Where the two callers' rules part: a `\` before a newline, and a `\` at the very end.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Dialect {
    /// Python's `shlex.split` in POSIX mode, as pip applies it to a requirements file's
    /// options: a `\` before a newline escapes it, so the newline stays in the word (inside
    /// `"…"` the `\` stays too). A `\` at the very end makes an empty word, which the option
    /// parser then reports (`shlex` itself would raise "No escaped character").
    Shlex,
    /// A POSIX shell, without expansion, for `--hook CMD`: a `\` before a newline joins the
    /// lines, inside `"…"` as well, and a `\` at the very end is an error.
    Shell,
}

/// One word: its text once quotes and escapes are removed, and where it was read.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Word {
    /// The text, unquoted and unescaped.
    pub(crate) value: String,
    /// Byte offsets in the split text, from the word's first character to its last, quotes
    /// and escaping backslashes included.
    pub(crate) span: Range<usize>,
}

/// Why a line could not be split into words.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub(crate) enum SplitError {
    /// A quote opened and never closed.
    #[error("no closing quotation `{quote}`")]
    UnclosedQuote {
        /// The quote character.
        quote: char,
        /// The byte offset where the word holding the quote starts.
        word_start: usize,
    },
    /// A backslash at the very end, escaping nothing.
    #[error("a trailing backslash escapes nothing")]
    TrailingBackslash,
    /// Nothing but white space, or an empty program ([`split_command`] only).
    #[error("empty command")]
    Empty,
}

/// Splits `text` into words, by the rules of the module documentation and of `dialect`.
///
/// # Errors
///
/// [`SplitError::UnclosedQuote`] for a quote that never closes, and
/// [`SplitError::TrailingBackslash`] for a backslash that escapes nothing.
pub(crate) fn split(text: &str, dialect: Dialect) -> Result<Vec<Word>, SplitError> {
    let mut words = Vec::new();
    // A word can be empty yet present (`''`), so its start is tracked apart from its text.
    let mut start: Option<usize> = None;
    let mut value = String::new();
    let mut end = 0;
    let mut chars = text.char_indices().peekable();
    while let Some((index, character)) = chars.next() {
        let mut after = index + character.len_utf8();
        match character {
            ' ' | '\t' | '\r' | '\n' => {
                if let Some(word_start) = start.take() {
                    words.push(Word {
                        value: std::mem::take(&mut value),
                        span: word_start..end,
                    });
                }
                continue;
            }
            '\\' => match chars.next() {
                // A line continuation belongs to no word and ends none.
                Some((_, '\n')) if dialect == Dialect::Shell => continue,
                Some((escaped_index, escaped)) => {
                    start.get_or_insert(index);
                    value.push(escaped);
                    after = escaped_index + escaped.len_utf8();
                }
                // Python's shlex: "No escaped character"; a shell: nothing to escape.
                None => return Err(SplitError::TrailingBackslash),
            },
            '\'' | '"' => {
                let word_start = *start.get_or_insert(index);
                after = read_quoted(character, &mut chars, &mut value, dialect).ok_or(
                    SplitError::UnclosedQuote {
                        quote: character,
                        word_start,
                    },
                )?;
            }
            other => {
                start.get_or_insert(index);
                value.push(other);
            }
        }
        end = after;
    }
    if let Some(word_start) = start {
        words.push(Word {
            value,
            span: word_start..end,
        });
    }
    Ok(words)
}

/// Reads a quoted part, its opening `quote` already read, into `value`. Returns the offset
/// just past the closing quote, or `None` when the text ends first.
fn read_quoted(
    quote: char,
    chars: &mut Peekable<CharIndices<'_>>,
    value: &mut String,
    dialect: Dialect,
) -> Option<usize> {
    while let Some((index, character)) = chars.next() {
        if character == quote {
            return Some(index + character.len_utf8());
        }
        if quote == '"' && character == '\\' {
            match chars.peek() {
                Some(&(_, escaped @ ('"' | '\\' | '$' | '`'))) => {
                    chars.next();
                    value.push(escaped);
                    continue;
                }
                Some((_, '\n')) if dialect == Dialect::Shell => {
                    chars.next();
                    continue;
                }
                // Any other backslash is kept, and the character after it read as usual.
                _ => {}
            }
        }
        value.push(character);
    }
    None
}

/// Splits a command line into a program and its arguments, as a shell would
/// ([`Dialect::Shell`]); no shell runs and nothing is expanded.
///
/// # Errors
///
/// A [`SplitError`] for an unclosed quote, a trailing backslash, or no program at all (nothing
/// but white space, or an empty first word such as `''`).
pub(crate) fn split_command(text: &str) -> Result<Vec<String>, SplitError> {
    let words: Vec<String> = split(text, Dialect::Shell)?
        .into_iter()
        .map(|word| word.value)
        .collect();
    if words.first().is_none_or(String::is_empty) {
        return Err(SplitError::Empty);
    }
    Ok(words)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The words of `text` with their spans, or the error.
    fn words(text: &str, dialect: Dialect) -> Result<Vec<(String, Range<usize>)>, SplitError> {
        split(text, dialect).map(|words| {
            words
                .into_iter()
                .map(|word| (word.value, word.span))
                .collect()
        })
    }

    /// Owned words from a fixture.
    fn expect(words: &[(&str, Range<usize>)]) -> Result<Vec<(String, Range<usize>)>, SplitError> {
        Ok(words
            .iter()
            .map(|(value, span)| ((*value).to_string(), span.clone()))
            .collect())
    }

    #[test]
    fn both_dialects_split_and_unquote_alike() {
        for (text, expected) in [
            (
                "--hash=a  -i x",
                &[("--hash=a", 0..8), ("-i", 10..12), ("x", 13..14)][..],
            ),
            // shlex's white space only; a no-break space or an em space is part of a word.
            (
                "a\tb\rc\nd",
                &[("a", 0..1), ("b", 2..3), ("c", 4..5), ("d", 6..7)],
            ),
            (
                "a\u{a0}b c\u{2003}d",
                &[("a\u{a0}b", 0..4), ("c\u{2003}d", 5..10)],
            ),
            ("'a b'\"c d\"", &[("a bc d", 0..10)]),
            ("'a \\ \"b'", &[("a \\ \"b", 0..8)]),
            // In double quotes `\` escapes only `"`, `\`, `$` and `` ` ``.
            ("\"\\\"\\\\\\$\\`\\n\"", &[("\"\\$`\\n", 0..12)]),
            ("a\\ b \\'", &[("a b", 0..4), ("'", 5..7)]),
            ("'' x", &[("", 0..2), ("x", 3..4)]),
            ("\\  x", &[(" ", 0..2), ("x", 3..4)]),
            ("'it'\\''s'", &[("it's", 0..9)]),
            ("é'ü' x", &[("éü", 0..6), ("x", 7..8)]),
            (
                "~/x *.py $HOME a;b #c",
                &[
                    ("~/x", 0..3),
                    ("*.py", 4..8),
                    ("$HOME", 9..14),
                    ("a;b", 15..18),
                    ("#c", 19..21),
                ],
            ),
            ("", &[]),
            (" \t\r\n ", &[]),
        ] {
            for dialect in [Dialect::Shlex, Dialect::Shell] {
                assert_eq!(
                    words(text, dialect),
                    expect(expected),
                    "{text:?} {dialect:?}"
                );
            }
        }
    }

    #[test]
    fn both_dialects_refuse_an_unclosed_quote_and_say_where_its_word_starts() {
        for (text, quote, word_start) in [("x 'a", '\'', 2), ("x y\"a\\\"", '"', 2)] {
            for dialect in [Dialect::Shlex, Dialect::Shell] {
                let error = split(text, dialect).unwrap_err();
                assert_eq!(error, SplitError::UnclosedQuote { quote, word_start });
                assert_eq!(error.to_string(), format!("no closing quotation `{quote}`"));
            }
        }
    }

    #[test]
    fn dialects_part_on_backslash_newline_and_a_trailing_backslash() {
        for (text, shlex, shell) in [
            // shlex escapes the newline; a shell joins the lines.
            ("a\\\nb", expect(&[("a\nb", 0..4)]), expect(&[("ab", 0..4)])),
            (
                "\"a\\\nb\"",
                expect(&[("a\\\nb", 0..6)]),
                expect(&[("ab", 0..6)]),
            ),
            ("\\\n", expect(&[("\n", 0..2)]), expect(&[])),
            (
                "x \\\n y",
                expect(&[("x", 0..1), ("\n", 2..4), ("y", 5..6)]),
                expect(&[("x", 0..1), ("y", 5..6)]),
            ),
            (
                "x \\\ny",
                expect(&[("x", 0..1), ("\ny", 2..5)]),
                expect(&[("x", 0..1), ("y", 4..5)]),
            ),
            // A trailing `\` escapes nothing: Python's shlex raises, so does a shell.
            (
                "a \\",
                Err(SplitError::TrailingBackslash),
                Err(SplitError::TrailingBackslash),
            ),
        ] {
            assert_eq!(words(text, Dialect::Shlex), shlex, "{text:?}");
            assert_eq!(words(text, Dialect::Shell), shell, "{text:?}");
        }
    }

    #[test]
    fn commands_split_like_a_posix_shell() {
        for (text, expected) in [
            ("check", &["check"][..]),
            ("  check   a\tb  ", &["check", "a", "b"]),
            ("check 'a b' \"c d\"", &["check", "a b", "c d"]),
            ("check a\\ b", &["check", "a b"]),
            ("check ''", &["check", ""]),
            ("check 'it'\\''s'", &["check", "it's"]),
            (
                "check \"\\\"q\\\" \\n $HOME\"",
                &["check", "\"q\" \\n $HOME"],
            ),
            ("check ~/x *.py", &["check", "~/x", "*.py"]),
            ("check a\\\nb", &["check", "ab"]),
            ("check \\\n --flag", &["check", "--flag"]),
        ] {
            assert_eq!(split_command(text).unwrap(), expected, "{text:?}");
        }
        for (text, expected) in [
            (
                "check 'a",
                SplitError::UnclosedQuote {
                    quote: '\'',
                    word_start: 6,
                },
            ),
            (
                "check \"a",
                SplitError::UnclosedQuote {
                    quote: '"',
                    word_start: 6,
                },
            ),
            ("check \\", SplitError::TrailingBackslash),
            ("  ", SplitError::Empty),
            ("\\\n", SplitError::Empty),
            ("'' x", SplitError::Empty),
        ] {
            assert_eq!(split_command(text), Err(expected), "{text:?}");
        }
    }
}
