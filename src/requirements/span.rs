//! Byte spans into a requirements file, and turning them into `line:column` with a caret.
//!
//! Spans stay byte offsets everywhere; only display converts them. Columns count code points,
//! and `\r\n` is one line break, so a CRLF file reports the same positions as its LF twin.

use std::fmt;
use std::ops::Range;
use std::path::PathBuf;

/// A byte range in a document's source.
pub(crate) type Span = Range<usize>;

/// A parsed value next to where it was written.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Spanned<T> {
    /// The value.
    pub(crate) value: T,
    /// Where it was written.
    pub(crate) span: Span,
}

/// One physical line: where its text starts and ends, and where the next line starts.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct PhysicalLine {
    /// First byte of the line.
    pub(crate) start: usize,
    /// End of the text, before the line break.
    pub(crate) content_end: usize,
    /// First byte after the line break.
    pub(crate) next: usize,
}

/// The line breaks Python's `str.splitlines` knows, which pip uses to split a requirements
/// file: `\r\n` is one break, and so are `\n`, `\r`, `\v`, `\f`, `\x1c`-`\x1e`, U+0085,
/// U+2028 and U+2029 alone. hashpin must see the lines pip sees.
pub(crate) fn break_length(rest: &str) -> Option<usize> {
    let character = rest.chars().next()?;
    match character {
        '\r' if rest[1..].starts_with('\n') => Some(2),
        '\n' | '\r' | '\u{0b}' | '\u{0c}' | '\u{1c}' | '\u{1d}' | '\u{1e}' | '\u{85}'
        | '\u{2028}' | '\u{2029}' => Some(character.len_utf8()),
        _ => None,
    }
}

/// Splits a source into physical lines as `str.splitlines` does. A UTF-8 byte-order mark at
/// the start is not part of the first line's text (pip strips it when decoding).
pub(crate) fn physical_lines(source: &str) -> Vec<PhysicalLine> {
    let mut lines = Vec::new();
    let mut start = if source.starts_with('\u{feff}') { 3 } else { 0 };
    let mut line_start = start;
    while start < source.len() {
        let rest = &source[start..];
        if let Some(length) = break_length(rest) {
            lines.push(PhysicalLine {
                start: line_start,
                content_end: start,
                next: start + length,
            });
            start += length;
            line_start = start;
        } else {
            start += rest.chars().next().map_or(1, char::len_utf8);
        }
    }
    if line_start < source.len() {
        lines.push(PhysicalLine {
            start: line_start,
            content_end: source.len(),
            next: source.len(),
        });
    }
    lines
}

/// The largest character boundary at or before `offset` (and within the source).
fn char_floor(source: &str, offset: usize) -> usize {
    let mut offset = offset.min(source.len());
    while !source.is_char_boundary(offset) {
        offset -= 1;
    }
    offset
}

/// 1-based line and column of a byte offset, counting lines as pip does.
pub(crate) fn line_column(source: &str, offset: usize) -> (usize, usize) {
    let offset = char_floor(source, offset);
    let lines = physical_lines(source);
    let index = lines
        .iter()
        .position(|line| offset < line.next)
        .unwrap_or(lines.len().saturating_sub(1));
    let line_start = lines.get(index).map_or(0, |line| line.start.min(offset));
    let column = source[line_start..offset].chars().count() + 1;
    (index + 1, column)
}

/// An error in a requirements file, with everything needed to point at it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct ParseError {
    /// The file, as the user named it (or as reached through `-r`).
    pub(crate) path: PathBuf,
    /// 1-based line.
    pub(crate) line: usize,
    /// 1-based column, in code points.
    pub(crate) column: usize,
    /// The physical source line, without its line ending.
    pub(crate) source_line: String,
    /// How many code points to underline (at least one).
    pub(crate) width: usize,
    /// What is wrong and what was expected.
    pub(crate) message: String,
}

impl ParseError {
    /// Builds an error for `span` of `source`.
    pub(crate) fn new(path: impl Into<PathBuf>, source: &str, span: Span, message: String) -> Self {
        // A span computed inside expanded or odd text may land inside a character (found by the
        // fuzz loop): it points at that whole character instead.
        let span = char_floor(source, span.start)..char_floor(source, span.end);
        let (line, column) = line_column(source, span.start);
        let physical = physical_lines(source)
            .get(line - 1)
            .copied()
            .unwrap_or(PhysicalLine {
                start: source.len(),
                content_end: source.len(),
                next: source.len(),
            });
        let line_end = physical.content_end;
        let source_line = source[physical.start.min(line_end)..line_end].to_string();
        let underline_end = span.end.clamp(span.start, line_end);
        let width = source
            .get(span.start.min(line_end)..underline_end)
            .map_or(1, |text| text.chars().count().max(1));
        Self {
            path: path.into(),
            line,
            column,
            source_line,
            width,
            message,
        }
    }
}

impl fmt::Display for ParseError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let gutter = self.line.to_string().len();
        let pad = " ".repeat(gutter);
        // Tabs would misalign the caret; show them as one space each, like the caret line.
        let shown = self.source_line.replace('\t', " ");
        writeln!(f, "{}", self.message)?;
        writeln!(
            f,
            "{pad}--> {}:{}:{}",
            self.path.display(),
            self.line,
            self.column
        )?;
        writeln!(f, "{pad} |")?;
        writeln!(f, "{} | {shown}", self.line)?;
        write!(
            f,
            "{pad} | {}{}",
            " ".repeat(self.column - 1),
            "^".repeat(self.width)
        )
    }
}

impl std::error::Error for ParseError {}

/// Every error found in one or more files, so that a person sees them all in one run.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct ParseErrors(pub(crate) Vec<ParseError>);

impl fmt::Display for ParseErrors {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for (index, error) in self.0.iter().enumerate() {
            if index > 0 {
                write!(f, "\n\nerror: ")?;
            }
            write!(f, "{error}")?;
        }
        Ok(())
    }
}

impl std::error::Error for ParseErrors {}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn splits_lines_like_python_splitlines() {
        let source = "\u{feff}a\rb\r\nc\u{2028}d\n\ne";
        let texts: Vec<&str> = physical_lines(source)
            .iter()
            .map(|line| &source[line.start..line.content_end])
            .collect();
        assert_eq!(texts, ["a", "b", "c", "d", "", "e"]);
        assert_eq!(line_column(source, source.find('d').unwrap()), (4, 1));
    }

    #[test]
    fn crlf_counts_as_one_break_and_columns_are_code_points() {
        let source = "a==1\r\nbé==2 --hash=md5:x\r\n";
        let offset = source.find("md5").unwrap();
        assert_eq!(line_column(source, offset), (2, 14));
        let error = ParseError::new("r.txt", source, offset..offset + 3, "bad".into());
        assert_eq!(error.source_line, "bé==2 --hash=md5:x");
        assert_eq!(
            error.to_string(),
            "bad\n --> r.txt:2:14\n  |\n2 | bé==2 --hash=md5:x\n  |              ^^^"
        );
    }

    #[test]
    fn a_span_inside_a_character_points_at_the_character() {
        // Found by the fuzz loop.
        let source = "--hash=\u{fffd}sha256:00\n";
        let error = ParseError::new("r.txt", source, 8..9, "bad".into());
        assert_eq!((error.line, error.column), (1, 8));
    }
}
