//! Byte spans into a requirements file, and turning them into `line:column` with a caret.
//!
//! Spans stay byte offsets everywhere; only display converts them. Columns count code points,
//! and `\r\n` is one line break, so a CRLF file reports the same positions as its LF twin.

use std::fmt;
use std::ops::Range;
use std::path::PathBuf;

/// A byte range in a document's source.
pub type Span = Range<usize>;

/// A parsed value next to where it was written.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Spanned<T> {
    /// The value.
    pub value: T,
    /// Where it was written.
    pub span: Span,
}

/// 1-based line and column of a byte offset.
pub fn line_column(source: &str, offset: usize) -> (usize, usize) {
    let offset = offset.min(source.len());
    let before = &source[..offset];
    let line = before.matches('\n').count() + 1;
    let line_start = before.rfind('\n').map_or(0, |index| index + 1);
    let column = source[line_start..offset].chars().count() + 1;
    (line, column)
}

/// An error in a requirements file, with everything needed to point at it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ParseError {
    /// The file, as the user named it (or as reached through `-r`).
    pub path: PathBuf,
    /// 1-based line.
    pub line: usize,
    /// 1-based column, in code points.
    pub column: usize,
    /// The physical source line, without its line ending.
    pub source_line: String,
    /// How many code points to underline (at least one).
    pub width: usize,
    /// What is wrong and what was expected.
    pub message: String,
}

impl ParseError {
    /// Builds an error for `span` of `source`.
    pub fn new(path: impl Into<PathBuf>, source: &str, span: Span, message: String) -> Self {
        let (line, column) = line_column(source, span.start);
        let line_start = source[..span.start.min(source.len())]
            .rfind('\n')
            .map_or(0, |index| index + 1);
        let line_end = source[line_start..]
            .find('\n')
            .map_or(source.len(), |index| line_start + index);
        let source_line = source[line_start..line_end]
            .trim_end_matches('\r')
            .to_string();
        let underline_end = span.end.clamp(span.start, line_end);
        let width = source
            .get(span.start.min(line_end)..underline_end)
            .map_or(1, |text| text.trim_end_matches('\r').chars().count().max(1));
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
pub struct ParseErrors(pub Vec<ParseError>);

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
}
