//! The requirements-file parser.
//!
//! It follows pip's own reader (`pip/_internal/req/req_file.py`), step by step, so that hashpin
//! sees exactly the requirements pip will see:
//!
//! 1. Physical lines end at `\n` (a preceding `\r` belongs to the line ending).
//! 2. A line ending in `\` continues on the next one, unless it is a comment line (first
//!    non-blank character `#`). A comment line met inside a continuation ends it.
//! 3. On the joined line, a comment starts at the first `#` that opens the line or follows white
//!    space (pip's `(^|\s+)#.*$`); `pkg @ https://host/x.whl#sha256=...` keeps its fragment.
//! 4. The text before the first space-separated token that starts with `-` is the requirement;
//!    the rest are options, split as Python's `shlex.split` does ([`crate::shell_words`]).
//! 5. `${NAME}` (upper case, digits, `_`) expands from the environment when set.
//!
//! Supported options: `-i/--index-url`, `--extra-index-url`, `--no-index`, `-f/--find-links`,
//! `--trusted-host`, `-r/--requirement`, `-c/--constraint`, `-e/--editable`, `--pre`,
//! `--prefer-binary`, `--require-hashes`, `--only-binary`, `--no-binary`, `--use-feature`, and per
//! requirement `--hash`, `-C/--config-settings`; as pip 26 reads them, `--pypi-url`,
//! `--no-require-hashes`, `--all-releases`, `--only-final`, and any unambiguous prefix of a long
//! option (optparse's rule). pip 26 no longer takes `--global-option` or `--install-option`.
//! Unlike pip, a stray word among options is an error rather than silently ignored: pip drops
//! the second digest of `--hash sha256:a sha256:b` without a word.

use std::path::Path;

use pep508_rs::{Requirement, VerbatimUrl};

use super::marker::Marker;
use super::span::{ParseError, ParseErrors, Span, Spanned, physical_lines};
use super::{
    Document, Entry, FileOption, Line as DocumentLine, LineKind, PROVENANCE_PREFIX, Provenance,
    Target,
};
use crate::hash::HashDigest;
use crate::shell_words::{self, Dialect, SplitError, Word};

/// Parses a requirements file. `env` looks environment variables up for `${NAME}` expansion.
pub(crate) fn parse(
    path: &Path,
    source: String,
    env: &dyn Fn(&str) -> Option<String>,
) -> Result<Document, ParseErrors> {
    let mut errors = Vec::new();
    let mut lines = Vec::new();
    for logical in join_lines(&source) {
        let context = LineContext {
            path,
            source: &source,
            logical: &logical,
            env,
        };
        match context.parse() {
            Ok(line) => lines.push(line),
            Err(error) => {
                errors.push(*error);
                lines.push(DocumentLine {
                    number: logical.number,
                    span: logical.start..logical.end,
                    kind: LineKind::Comment,
                    comment: None,
                });
            }
        }
    }
    if !errors.is_empty() {
        return Err(ParseErrors(errors));
    }
    attach_comments(&mut lines);
    Ok(Document {
        path: path.to_path_buf(),
        source,
        lines,
        encoding: super::Encoding::Utf8,
    })
}

/// Gives peep hashes to the requirement below them and provenance lines to the one above.
fn attach_comments(lines: &mut [DocumentLine]) {
    let mut peep = Vec::new();
    let mut owner: Option<usize> = None;
    for index in 0..lines.len() {
        match &lines[index].kind {
            LineKind::PeepHash(hash) => {
                peep.push(hash.clone());
                owner = None;
            }
            LineKind::Provenance(record) => {
                if let Some(owner_index) = owner {
                    let record = Spanned {
                        value: record.clone(),
                        span: lines[index].span.clone(),
                    };
                    let end = lines[index].span.end;
                    if let LineKind::Requirement(entry) = &mut lines[owner_index].kind {
                        entry.provenance.push(record);
                        entry.block_end = end;
                    }
                }
            }
            LineKind::Requirement(_) => {
                let hashes = std::mem::take(&mut peep);
                if let LineKind::Requirement(entry) = &mut lines[index].kind {
                    entry.peep_hashes = hashes;
                }
                owner = Some(index);
            }
            LineKind::Blank | LineKind::Comment | LineKind::Options(_) => owner = None,
        }
    }
}

/// A logical line: pip's joined text, and where each piece of it came from.
struct Logical {
    number: usize,
    start: usize,
    end: usize,
    text: String,
    /// `(offset in text, offset in source)` at the start of each joined piece.
    segments: Vec<(usize, usize)>,
}

impl Logical {
    fn new(number: usize, start: usize) -> Self {
        Self {
            number,
            start,
            end: start,
            text: String::new(),
            segments: Vec::new(),
        }
    }

    fn push(&mut self, piece: &str, source_offset: usize) {
        self.segments.push((self.text.len(), source_offset));
        self.text.push_str(piece);
    }

    /// Maps an offset in the joined text to the source.
    fn map_start(&self, offset: usize) -> usize {
        let (text_offset, source_offset) = self
            .segments
            .iter()
            .rev()
            .find(|(text_offset, _)| *text_offset <= offset)
            .copied()
            .unwrap_or((0, self.start));
        source_offset + (offset - text_offset)
    }

    /// Maps an end offset, preferring the end of a piece to the start of the next.
    fn map_end(&self, offset: usize) -> usize {
        if offset == 0 {
            return self.map_start(0);
        }
        self.map_start(offset - 1) + 1
    }

    fn map(&self, span: &Span) -> Span {
        self.map_start(span.start)..self.map_end(span.end).max(self.map_start(span.start))
    }
}

/// pip's `join_lines`.
fn join_lines(source: &str) -> Vec<Logical> {
    let mut logical_lines = Vec::new();
    let mut current: Option<Logical> = None;
    for (index, physical) in physical_lines(source).into_iter().enumerate() {
        let (number, start, content_end) = (index + 1, physical.start, physical.content_end);
        let content = &source[start..content_end];
        let is_comment = content.trim_start().starts_with('#');
        if !content.ends_with('\\') || is_comment {
            let mut logical = current
                .take()
                .unwrap_or_else(|| Logical::new(number, start));
            if is_comment && !logical.text.is_empty() {
                // pip prefixes a space so the comment is stripped as a comment later.
                logical.push(" ", start);
            }
            logical.push(content, start);
            logical.end = content_end;
            logical_lines.push(logical);
        } else {
            let lead = content.len() - content.trim_start_matches('\\').len();
            let inner = content.trim_matches('\\');
            let logical = current.get_or_insert_with(|| Logical::new(number, start));
            logical.push(inner, start + lead.min(content.len()));
            logical.end = content_end;
        }
    }
    logical_lines.extend(current);
    logical_lines
}

/// Where pip's comment regex `(^|\s+)#.*$` matches: (start of the match, offset of `#`).
fn find_comment(text: &str) -> Option<(usize, usize)> {
    let mut previous_is_space = true;
    for (index, character) in text.char_indices() {
        if character == '#' && previous_is_space {
            let match_start = text[..index].trim_end().len();
            return Some((match_start, index));
        }
        previous_is_space = character.is_whitespace();
    }
    None
}

/// pip's `expand_env_variables`: `${NAME}` with NAME in `[A-Z0-9_]+`, left alone when unset.
fn expand_env(text: &str, env: &dyn Fn(&str) -> Option<String>) -> String {
    let mut out = String::with_capacity(text.len());
    let mut rest = text;
    while let Some(open) = rest.find("${") {
        out.push_str(&rest[..open]);
        let after = &rest[open + 2..];
        let name_len = after
            .bytes()
            .take_while(|b| b.is_ascii_uppercase() || b.is_ascii_digit() || *b == b'_')
            .count();
        if name_len > 0 && after[name_len..].starts_with('}') {
            let name = &after[..name_len];
            match env(name) {
                Some(value) => out.push_str(&value),
                None => out.push_str(&rest[open..open + 3 + name_len]),
            }
            rest = &after[name_len + 1..];
        } else {
            out.push_str("${");
            rest = after;
        }
    }
    out.push_str(rest);
    out
}

/// How an option is spelled and whether it takes a value.
struct OptionSpec {
    short: Option<&'static str>,
    long: &'static str,
    takes_value: bool,
}

const OPTIONS: &[OptionSpec] = &[
    OptionSpec {
        short: Some("-i"),
        long: "--index-url",
        takes_value: true,
    },
    OptionSpec {
        short: None,
        long: "--extra-index-url",
        takes_value: true,
    },
    OptionSpec {
        short: None,
        long: "--no-index",
        takes_value: false,
    },
    OptionSpec {
        short: Some("-f"),
        long: "--find-links",
        takes_value: true,
    },
    OptionSpec {
        short: None,
        long: "--trusted-host",
        takes_value: true,
    },
    OptionSpec {
        short: Some("-r"),
        long: "--requirement",
        takes_value: true,
    },
    OptionSpec {
        short: Some("-c"),
        long: "--constraint",
        takes_value: true,
    },
    OptionSpec {
        short: Some("-e"),
        long: "--editable",
        takes_value: true,
    },
    OptionSpec {
        short: None,
        long: "--pre",
        takes_value: false,
    },
    OptionSpec {
        short: None,
        long: "--prefer-binary",
        takes_value: false,
    },
    OptionSpec {
        short: None,
        long: "--require-hashes",
        takes_value: false,
    },
    OptionSpec {
        short: None,
        long: "--only-binary",
        takes_value: true,
    },
    OptionSpec {
        short: None,
        long: "--no-binary",
        takes_value: true,
    },
    OptionSpec {
        short: None,
        long: "--use-feature",
        takes_value: true,
    },
    OptionSpec {
        short: None,
        long: "--hash",
        takes_value: true,
    },
    OptionSpec {
        short: Some("-C"),
        long: "--config-settings",
        takes_value: true,
    },
    OptionSpec {
        short: None,
        long: "--pypi-url",
        takes_value: true,
    },
    OptionSpec {
        short: None,
        long: "--no-require-hashes",
        takes_value: false,
    },
    OptionSpec {
        short: None,
        long: "--all-releases",
        takes_value: true,
    },
    OptionSpec {
        short: None,
        long: "--only-final",
        takes_value: true,
    },
];

/// One option as written: its canonical long name, value, and spans.
struct ParsedOption {
    long: &'static str,
    value: Option<Spanned<String>>,
    span: Span,
}

struct LineContext<'a> {
    path: &'a Path,
    source: &'a str,
    logical: &'a Logical,
    env: &'a dyn Fn(&str) -> Option<String>,
}

type LineResult<T> = Result<T, Box<ParseError>>;

impl LineContext<'_> {
    fn error(&self, span: &Span, message: String) -> Box<ParseError> {
        Box::new(ParseError::new(
            self.path,
            self.source,
            self.logical.map(span),
            message,
        ))
    }

    fn parse(&self) -> LineResult<DocumentLine> {
        let text = &self.logical.text;
        let (content_end, comment) = match find_comment(text) {
            Some((match_start, hash)) => (
                match_start,
                Some(self.logical.map_start(hash)..self.logical.end),
            ),
            None => (text.len(), None),
        };
        let content = &text[..content_end];
        let leading = content.len() - content.trim_start().len();
        let stripped = content.trim();
        let kind = if stripped.is_empty() {
            match &comment {
                Some(span) => classify_comment(&self.source[span.clone()]),
                None => LineKind::Blank,
            }
        } else {
            self.parse_content(stripped, leading)?
        };
        Ok(DocumentLine {
            number: self.logical.number,
            span: self.logical.start..self.logical.end,
            kind,
            comment,
        })
    }

    /// Parses the comment-free, stripped text of a line starting at `base` in the joined text.
    fn parse_content(&self, content: &str, base: usize) -> LineResult<LineKind> {
        // pip's break_args_options: split on single spaces; options start at the first
        // token that begins with `-`.
        let mut options_at = content.len();
        let mut offset = 0;
        for token in content.split(' ') {
            if token.starts_with('-') {
                options_at = offset;
                break;
            }
            offset += token.len() + 1;
        }
        let requirement_text = content[..options_at].trim_end();
        let options = self.parse_options(&content[options_at..], base + options_at)?;
        if requirement_text.is_empty() {
            return self.option_line(options);
        }
        let requirement_span = base..base + requirement_text.len();
        let expanded = expand_env(requirement_text, self.env);
        let (target, marker) = self.parse_target(&expanded, &requirement_span)?;
        let mut hashes = Vec::new();
        let mut other_options = Vec::new();
        let mut ignored_options = Vec::new();
        for option in options {
            if option.long == "--hash" {
                let value = option.value.expect("--hash takes a value");
                let digest = value
                    .value
                    .parse::<HashDigest>()
                    .map_err(|error| self.error(&value.span, error.to_string()))?;
                hashes.push(Spanned {
                    value: digest,
                    span: self.logical.map(&option.span),
                });
            } else {
                let span = self.logical.map(&option.span);
                if option.long != "--config-settings" {
                    ignored_options.push(span.clone());
                }
                other_options.push(span);
            }
        }
        let source_span = self.logical.map(&requirement_span);
        Ok(LineKind::Requirement(Box::new(Entry {
            requirement: Spanned {
                value: expanded,
                span: source_span,
            },
            target,
            marker,
            hashes,
            peep_hashes: Vec::new(),
            provenance: Vec::new(),
            other_options,
            ignored_options,
            block_end: self.logical.end,
        })))
    }

    fn option_line(&self, options: Vec<ParsedOption>) -> LineResult<LineKind> {
        // pip opens the first `-r`/`-c` file of a line and ignores everything else on it (the
        // other files and options): refused, so no option is silently lost.
        let includes = options
            .iter()
            .filter(|option| matches!(option.long, "--requirement" | "--constraint"))
            .count();
        if includes > 0 && options.len() > 1 {
            let extra = options
                .iter()
                .filter(|option| matches!(option.long, "--requirement" | "--constraint"))
                .nth(1)
                .or_else(|| {
                    options
                        .iter()
                        .find(|option| !matches!(option.long, "--requirement" | "--constraint"))
                })
                .expect("a second option");
            return Err(self.error(
                &extra.span,
                format!(
                    "`{}` shares a line with `-r`/`-c`: pip reads only the first file of such a \
                     line and ignores the rest; put each option on its own line",
                    extra.long
                ),
            ));
        }
        let mut parsed = Vec::new();
        for option in options {
            let value = option.value.as_ref().map(|value| value.value.clone());
            let value = || value.clone().unwrap_or_default();
            let file_option = match option.long {
                "--index-url" | "--pypi-url" => FileOption::IndexUrl(value()),
                "--extra-index-url" => FileOption::ExtraIndexUrl(value()),
                "--no-index" => FileOption::NoIndex,
                "--find-links" => FileOption::FindLinks(value()),
                "--trusted-host" => FileOption::TrustedHost(value()),
                "--requirement" => FileOption::Requirement(value()),
                "--constraint" => FileOption::Constraint(value()),
                "--editable" => FileOption::Editable(value()),
                "--pre" => FileOption::Pre,
                "--prefer-binary" => FileOption::PreferBinary,
                "--require-hashes" => FileOption::RequireHashes,
                "--only-binary" => FileOption::OnlyBinary(value()),
                "--no-binary" => FileOption::NoBinary(value()),
                // optparse's `choice` type: pip refuses a feature it does not know.
                "--use-feature" if !PIP_FEATURES.contains(&value().as_str()) => {
                    return Err(self.error(
                        &option.span,
                        format!(
                            "unknown feature `{}` for `--use-feature` (pip 26.3 knows {})",
                            value(),
                            PIP_FEATURES
                                .iter()
                                .map(|feature| format!("`{feature}`"))
                                .collect::<Vec<_>>()
                                .join(", ")
                        ),
                    ));
                }
                "--hash" => {
                    return Err(self.error(
                        &option.span,
                        "`--hash` must follow a requirement on the same logical line".into(),
                    ));
                }
                other => FileOption::Other {
                    option: other,
                    value: option.value.as_ref().map(|value| value.value.clone()),
                },
            };
            parsed.push(Spanned {
                value: file_option,
                span: self.logical.map(&option.span),
            });
        }
        Ok(LineKind::Options(parsed))
    }

    fn parse_options(&self, text: &str, base: usize) -> LineResult<Vec<ParsedOption>> {
        let words = shell_words::split(text, Dialect::Shlex).map_err(|error| {
            // An unclosed quote is shown from the word that opens it to the end of the line; a
            // backslash that escapes nothing (`--opt=x\ \` at the end of the file, which pip
            // strips to `--opt=x\`), where it stands.
            let start = match error {
                SplitError::UnclosedQuote { word_start, .. } => word_start,
                SplitError::TrailingBackslash => text.len().saturating_sub(1),
                SplitError::Empty => 0,
            };
            self.error(&(base + start..base + text.len()), error.to_string())
        })?;
        let mut tokens = words.into_iter().map(|word| Word {
            span: base + word.span.start..base + word.span.end,
            ..word
        });
        let mut options = Vec::new();
        while let Some(token) = tokens.next() {
            let (spec, inline) = self.lookup_option(&token)?;
            let value = if spec.takes_value {
                match inline {
                    Some(value) => Some(value),
                    None => {
                        let next = tokens.next().ok_or_else(|| {
                            self.error(
                                &token.span,
                                format!("`{}` expects a value after it", spec.long),
                            )
                        })?;
                        Some(Spanned {
                            value: next.value,
                            span: next.span,
                        })
                    }
                }
            } else if inline.is_some() {
                return Err(self.error(&token.span, format!("`{}` takes no value", spec.long)));
            } else {
                None
            };
            let span_end = value
                .as_ref()
                .map_or(token.span.end, |value| value.span.end);
            let value = value.map(|value| Spanned {
                value: expand_env(&value.value, self.env),
                span: value.span,
            });
            options.push(ParsedOption {
                long: spec.long,
                value,
                span: token.span.start..span_end,
            });
        }
        Ok(options)
    }

    /// Finds the option a token names, and any value attached to it (`--x=v`, `-iURL`).
    fn lookup_option(
        &self,
        token: &Word,
    ) -> LineResult<(&'static OptionSpec, Option<Spanned<String>>)> {
        let word = &token.value;
        if let Some(long) = word.strip_prefix("--") {
            let (name, inline) = match long.split_once('=') {
                Some((name, value)) => (name, Some(value)),
                None => (long, None),
            };
            // optparse, which pip reads options with, takes any unambiguous prefix of a long
            // option (`--ha=` for `--hash=`).
            let exact = OPTIONS.iter().find(|spec| &spec.long[2..] == name);
            let prefixed: Vec<&'static OptionSpec> = OPTIONS
                .iter()
                .filter(|spec| spec.long[2..].starts_with(name) && !name.is_empty())
                .collect();
            let spec: &'static OptionSpec = match (exact, &prefixed[..]) {
                (Some(spec), _) => spec,
                (None, [spec]) => spec,
                (None, []) => {
                    return Err(self.error(
                        &token.span,
                        format!("unknown option `--{name}` in a requirements file"),
                    ));
                }
                (None, several) => {
                    let names: Vec<String> = several
                        .iter()
                        .map(|spec| format!("`{}`", spec.long))
                        .collect();
                    return Err(self.error(
                        &token.span,
                        format!(
                            "ambiguous option `--{name}`: it could be {}",
                            names.join(", ")
                        ),
                    ));
                }
            };
            let inline = inline.map(|value| Spanned {
                value: value.to_string(),
                span: token.span.end - value.len().min(token.span.len())..token.span.end,
            });
            return Ok((spec, inline));
        }
        if word.starts_with('-') && word.len() >= 2 {
            // `-` and one character, which need not be one byte (found by the fuzz loop).
            let split = 1 + word[1..].chars().next().map_or(0, char::len_utf8);
            let (short, rest) = word.split_at(split);
            let spec = OPTIONS
                .iter()
                .find(|spec| spec.short == Some(short))
                .ok_or_else(|| {
                    self.error(
                        &token.span,
                        format!("unknown option `{short}` in a requirements file"),
                    )
                })?;
            let inline = (!rest.is_empty()).then(|| Spanned {
                value: rest.trim_start_matches('=').to_string(),
                span: token.span.start + split..token.span.end,
            });
            return Ok((spec, inline));
        }
        Err(self.error(
            &token.span,
            format!(
                "unexpected `{word}` among options (expected an option such as `--hash=sha256:<hex>`)"
            ),
        ))
    }

    fn parse_target(&self, text: &str, span: &Span) -> LineResult<(Target, Option<Marker>)> {
        let exact = text.len() == span.len();
        // Spans into the expanded text are only exact when nothing was expanded.
        let at = |offset: usize, length: usize| {
            if exact {
                let start = (span.start + offset).min(span.end);
                start..(start + length.max(1)).min(span.end.max(start + 1))
            } else {
                span.clone()
            }
        };
        // pip (`parse_req_from_line`) splits the marker off first: at the first `; ` in a URL
        // (`is_url`), else at the first `;`, and reads the requirement and the marker apart:
        // `name @ https://x/; extra == "y"` is a URL and a marker to pip, though PEP 508 alone
        // would call the URL's end ambiguous.
        let separator = if is_url(text) { "; " } else { ";" };
        let (head, marker) = match text.split_once(separator) {
            Some((head, marker)) => (head, Some((head.len() + separator.len(), marker))),
            None => (text, None),
        };
        let marker = match marker {
            Some((offset, written)) if !written.trim().is_empty() => {
                let leading = written.len() - written.trim_start().len();
                let parsed = Marker::parse(written.trim()).map_err(|error| {
                    // A `;` inside a URL is where pip starts the marker.
                    let hint = if head.contains('@') || is_url(head) {
                        "\nhint: pip reads everything after the first `;` as a marker; write a `;` in a URL as `%3B`"
                    } else {
                        ""
                    };
                    self.error(
                        &at(offset + leading + error.offset, error.length),
                        format!("invalid marker: {}{hint}", error.message),
                    )
                })?;
                Some((written.trim(), parsed))
            }
            _ => None,
        };
        if looks_unnamed(head) {
            // pip reads a wheel's name and version from its filename, and refuses one it
            // cannot read (`InvalidWheelFilename`).
            if let Some(filename) = unnamed_wheel_filename(head.trim())
                && let Some(problem) = wheel_filename_problem(&filename)
            {
                return Err(self.error(
                    &at(0, head.trim_end().len()),
                    format!(
                        "invalid wheel filename `{}`: {problem} (expected `name-version(-build)?-python-abi-platform.whl`)",
                        filename.escape_debug()
                    ),
                ));
            }
            let (location, extras) = split_path_extras(head.trim());
            if is_url(&location) {
                self.check_url(&location, &at(0, head.trim_end().len()))?;
            }
            return Ok((
                Target::Unnamed { location, extras },
                marker.map(|(_, parsed)| parsed),
            ));
        }
        let target = self.parse_named(
            head,
            marker.as_ref().map(|(written, _)| *written),
            span,
            &at,
        )?;
        let url = match &target {
            Target::Pep508(requirement) => match &requirement.version_or_url {
                Some(pep508_rs::VersionOrUrl::Url(url)) => {
                    Some(url.given().unwrap_or(url.as_str()).to_string())
                }
                _ => None,
            },
            Target::NamedUrl { url, .. } => Some(url.clone()),
            Target::Unnamed { .. } => None,
        };
        if let Some(url) = url {
            self.check_url(&url, &at(0, head.trim_end().len()))?;
        }
        Ok((target, marker.map(|(_, parsed)| parsed)))
    }

    /// What pip refuses in a URL while reading the file: a `file:` URL naming another host
    /// (`url_to_path`: "non-local file URIs are not supported"), and an `#egg=` value that is
    /// no project name.
    fn check_url(&self, url: &str, span: &Span) -> LineResult<()> {
        if let Some(rest) = url
            .get(..5)
            .filter(|scheme| scheme.eq_ignore_ascii_case("file:"))
            .and(url[5..].strip_prefix("//"))
        {
            let host = &rest[..rest.find(['/', '?', '#']).unwrap_or(rest.len())];
            if !host.is_empty() && host != "localhost" {
                return Err(self.error(
                    span,
                    format!(
                        "`file:` URL on host `{host}`: pip reads only local files (`file:///path` or `file://localhost/path`)"
                    ),
                ));
            }
        }
        self.check_egg_fragment(url, span)
    }

    /// pip's `Link` refuses a URL whose first `#egg=`/`&egg=` value is no project name
    /// (`InvalidEggFragment`), wherever in the URL it stands.
    fn check_egg_fragment(&self, url: &str, span: &Span) -> LineResult<()> {
        let Some(at) = url.match_indices("egg=").find_map(|(at, _)| {
            (at > 0 && matches!(url.as_bytes()[at - 1], b'#' | b'&')).then_some(at)
        }) else {
            return Ok(());
        };
        let value = &url[at + 4..];
        let value = &value[..value.find('&').unwrap_or(value.len())];
        if is_project_name(value) {
            return Ok(());
        }
        Err(self.error(
            span,
            format!(
                "invalid `#egg=` fragment `{value}`: pip wants a project name there (letters, digits, `.`, `-`, `_`)"
            ),
        ))
    }

    fn parse_named(
        &self,
        head: &str,
        marker: Option<&str>,
        span: &Span,
        at: &dyn Fn(usize, usize) -> Span,
    ) -> LineResult<Target> {
        // pep508_rs 0.9 panics on a name that ends in `.`, `-` or `_` when more text follows
        // (`last-=2`); packaging rejects such a name, and so does pip: say so before it is asked.
        let leading = head.len() - head.trim_start().len();
        let name_end = head[leading..]
            .find(|c: char| !(c.is_ascii_alphanumeric() || matches!(c, '.' | '-' | '_')))
            .map_or(head.len(), |end| leading + end);
        if let Some(last) = head[leading..name_end].chars().next_back()
            && matches!(last, '.' | '-' | '_')
        {
            return Err(self.error(
                &at(name_end - 1, 1),
                format!("invalid requirement: a package name must end with a letter or digit, not `{last}`"),
            ));
        }
        // pep508_rs 0.9 also panics on a non-ASCII word among markers (it counts characters
        // where it slices bytes). Outside quoted strings and a URL, PEP 508 is ASCII, and
        // packaging refuses anything else: so does hashpin, before pep508_rs is asked.
        if let Some(offset) = non_ascii_outside_quotes(head) {
            return Err(self.error(
                &at(
                    offset,
                    head[offset..].chars().next().map_or(1, char::len_utf8),
                ),
                "invalid requirement: only ASCII may stand outside quoted strings and URLs"
                    .to_string(),
            ));
        }
        // `name()` and `name[extra] ( )`: an empty specifier in parentheses, which packaging
        // reads as no specifier and pep508_rs refuses.
        let without_parentheses = empty_parentheses(head, name_end);
        let head = without_parentheses.as_deref().unwrap_or(head);
        // PEP 440's `===` compares strings: `name===anything` is a pin pip takes, but pep508_rs
        // wants a version there. It reads a stand-in; the string itself is read from the
        // requirement's text where it is needed (`arbitrary_equality`).
        let head = match arbitrary_equality(head) {
            Some((range, value)) if value.parse::<pep440_rs::Version>().is_err() => {
                let mut stand_in = head.to_string();
                stand_in.replace_range(range, "0");
                std::borrow::Cow::Owned(stand_in)
            }
            _ => std::borrow::Cow::Borrowed(head),
        };
        // pip resolves relative paths in requirement lines against the working directory.
        let working_dir = std::env::current_dir().unwrap_or_else(|_| Path::new(".").to_path_buf());
        // Whatever other input pep508_rs 0.9 still panics on (names of extras ending in `.`,
        // found by the fuzz loop) is an input error too, never a crash. The binary's panic hook
        // keeps that library's panic message off the terminal.
        let parsed = std::panic::catch_unwind(|| {
            Requirement::<VerbatimUrl>::parse(head.trim_end(), working_dir)
        })
        .map_err(|_| {
            self.error(
                span,
                "invalid requirement: not a PEP 508 requirement (expected `name[extras] ==version ; marker`)"
                    .to_string(),
            )
        })?;
        let mut requirement = match parsed {
            Ok(requirement) => requirement,
            Err(error) => {
                // pip takes some URLs PEP 508's parser here cannot (scp-like VCS URLs,
                // credentials with `%20`): a name and a URL are kept as written.
                if let Some((name, extras, url)) = named_url(&head) {
                    return Ok(Target::NamedUrl { name, extras, url });
                }
                return Err(self.error(
                    &at(error.start, error.len),
                    format!("invalid requirement: {}", error.message),
                ));
            }
        };
        // pep508_rs's reading of the marker serves one question only, whether two pins can
        // both apply (`lockfile`); what pip sees is `Entry::marker`. Where pep508_rs cannot
        // read a marker packaging takes, it stands for "always", which only ever makes two
        // pins look more alike. pip reads `and(…)` and `)or(`; pep508_rs wants spaces there.
        if let Some(marker) = marker {
            let spaced = space_parentheses(marker);
            if let Ok(Ok(tree)) = std::panic::catch_unwind(|| {
                pep508_rs::MarkerTree::parse_str::<VerbatimUrl>(spaced.trim())
            }) {
                requirement.marker = tree;
            }
        }
        Ok(Target::Pep508(Box::new(requirement)))
    }
}

/// The filename of a bare URL's or path's wheel (pip's `Link.is_wheel`: the last path
/// segment, percent-decoded, ends in `.whl`), extras after a path taken off.
fn unnamed_wheel_filename(location: &str) -> Option<String> {
    let path = if is_url(location) {
        let url = url::Url::parse(location).ok()?;
        let last = url.path_segments()?.next_back()?.to_string();
        percent_decode(&last)
    } else {
        let path = match location.rfind('[') {
            Some(open) if location.ends_with(']') => &location[..open],
            _ => location,
        };
        path.rsplit(['/', '\\']).next()?.to_string()
    };
    path.ends_with(".whl").then_some(path)
}

/// What packaging's `parse_wheel_filename` (which pip asks) refuses in a wheel's filename.
fn wheel_filename_problem(filename: &str) -> Option<&'static str> {
    let stem = filename.strip_suffix(".whl")?;
    let dashes = stem.matches('-').count();
    if !(dashes == 4 || dashes == 5) {
        return Some("wrong number of parts");
    }
    let parts: Vec<&str> = stem.splitn(dashes - 1, '-').collect();
    // PEP 427's escaped name: `^[\w._]+$`, without `__`; pip then reads `name==version` as a
    // requirement, so the name is also a PEP 508 name: ASCII, a letter or digit at each end.
    let name = parts[0];
    if name.contains("__")
        || !name.starts_with(|c: char| c.is_ascii_alphanumeric())
        || !name.ends_with(|c: char| c.is_ascii_alphanumeric())
        || !name
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '_' | '.'))
    {
        return Some("invalid project name");
    }
    if parts[1].parse::<pep440_rs::Version>().is_err() {
        return Some("invalid version");
    }
    if dashes == 5 && !parts[2].starts_with(|c: char| c.is_ascii_digit()) {
        return Some("a build tag starts with a digit");
    }
    let tags = parts[parts.len() - 1];
    if tags.split('-').any(|tag| tag.split('.').any(str::is_empty)) {
        return Some("empty tag");
    }
    None
}

/// `%xx` escapes decoded, as `urllib.parse.unquote` does (invalid ones kept).
fn percent_decode(text: &str) -> String {
    let bytes = text.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut index = 0;
    while index < bytes.len() {
        if bytes[index] == b'%'
            && let Some(hex) = text.get(index + 1..index + 3)
            && let Ok(byte) = u8::from_str_radix(hex, 16)
        {
            out.push(byte);
            index += 3;
            continue;
        }
        out.push(bytes[index]);
        index += 1;
    }
    String::from_utf8_lossy(&out).into_owned()
}

/// `head` without an empty `( )` after its name and extras, when it has one.
fn empty_parentheses(head: &str, name_end: usize) -> Option<String> {
    let mut at = name_end;
    let skip_space = |at: usize| at + (head[at..].len() - head[at..].trim_start().len());
    at = skip_space(at);
    if head[at..].starts_with('[') {
        at += head[at..].find(']')? + 1;
        at = skip_space(at);
    }
    let open = at;
    let inside = head[open..].strip_prefix('(')?;
    let after = inside.trim_start().strip_prefix(')')?;
    after.trim().is_empty().then(|| head[..open].to_string())
}

/// A bare location and its extras as pip's `strip_extras` splits them: a path (never a URL)
/// that ends in `[…]` has extras; they are normalized names.
fn split_path_extras(location: &str) -> (String, Vec<String>) {
    if is_url(location) || !location.ends_with(']') {
        return (location.to_string(), Vec::new());
    }
    match location.rfind('[') {
        // `^(.+)(\[[^\]]+\])$`: something before, something between the brackets.
        Some(open)
            if open > 0
                && open + 2 < location.len()
                && !location[open + 1..location.len() - 1].contains(']') =>
        {
            let extras = location[open + 1..location.len() - 1]
                .split(',')
                .map(str::trim)
                .filter(|extra| !extra.is_empty())
                .map(|extra| crate::name::PackageName::new(extra).to_string())
                .collect();
            (location[..open].trim_end().to_string(), extras)
        }
        _ => (location.to_string(), Vec::new()),
    }
}

/// The names `--use-feature` takes in pip 26.3 (`cmdoptions.use_new_feature`'s choices).
const PIP_FEATURES: [&str; 6] = [
    "fast-deps",
    "truststore",
    "no-binary-enable-wheel-cache",
    "inprocess-build-deps",
    "venv-isolation",
    "build-constraint",
];

/// pip's `is_url`: the text starts with a scheme (as `urllib.parse.urlsplit` finds one) that
/// pip downloads or checks out.
fn is_url(text: &str) -> bool {
    const SCHEMES: [&str; 26] = [
        "http",
        "https",
        "file",
        "ftp",
        "git+http",
        "git+https",
        "git+ssh",
        "git+git",
        "git+file",
        "hg+file",
        "hg+http",
        "hg+https",
        "hg+ssh",
        "hg+static-http",
        "svn+ssh",
        "svn+http",
        "svn+https",
        "svn+svn",
        "svn+file",
        "bzr+http",
        "bzr+https",
        "bzr+ssh",
        "bzr+sftp",
        "bzr+ftp",
        "bzr+lp",
        "bzr+file",
    ];
    let text = text.trim_start_matches(|c: char| c <= ' ');
    let Some((scheme, _)) = text.split_once(':') else {
        return false;
    };
    let valid = scheme.starts_with(|c: char| c.is_ascii_alphabetic())
        && scheme
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '+' | '-' | '.'));
    valid && SCHEMES.contains(&scheme.to_ascii_lowercase().as_str())
}

/// `name[extras] @ url` split up, when the name is a valid project name and the URL has a
/// scheme and no white space: the form pip takes, whatever pep508_rs makes of the URL.
fn named_url(head: &str) -> Option<(String, Option<String>, String)> {
    let (before, url) = head.split_once('@')?;
    let url = url.trim();
    // packaging takes any run of non-space characters as the URL; pip then wants a scheme.
    let scheme = url.split_once(':')?.0;
    // packaging's URL token ends at a space or a tab only (a no-break space is part of it).
    if url.is_empty()
        || url.contains([' ', '\t'])
        || !scheme.starts_with(|c: char| c.is_ascii_alphabetic())
        || !scheme
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '+' | '-' | '.'))
    {
        return None;
    }
    let before = before.trim();
    let (name, extras) = match before.split_once('[') {
        Some((name, rest)) => (
            name.trim(),
            Some(rest.strip_suffix(']')?.trim().to_string()),
        ),
        None => (before, None),
    };
    is_project_name(name).then(|| (name.to_string(), extras, url.to_string()))
}

/// PEP 508's name: ASCII letters, digits, `.`, `-` and `_`, a letter or digit at each end.
fn is_project_name(name: &str) -> bool {
    name.starts_with(|c: char| c.is_ascii_alphanumeric())
        && name.ends_with(|c: char| c.is_ascii_alphanumeric())
        && name
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '.' | '-' | '_'))
}

/// A marker with a space on either side of every parenthesis outside quoted strings: the same
/// marker to packaging, and one pep508_rs 0.9 reads (it wants `and (`, not `and(`).
fn space_parentheses(marker: &str) -> String {
    let mut spaced = String::with_capacity(marker.len() + 8);
    let mut quote = None;
    for character in marker.chars() {
        match quote {
            Some(open) => {
                if character == open {
                    quote = None;
                }
                spaced.push(character);
            }
            None => match character {
                '\'' | '"' => {
                    quote = Some(character);
                    spaced.push(character);
                }
                '(' | ')' => {
                    spaced.push(' ');
                    spaced.push(character);
                    spaced.push(' ');
                }
                _ => spaced.push(character),
            },
        }
    }
    spaced
}

/// Where a requirement's `===` value is, and the value: the string PEP 440's arbitrary
/// equality compares, up to white space, `,`, `;` or the `)` of `name (===value)`.
pub(crate) fn arbitrary_equality(text: &str) -> Option<(std::ops::Range<usize>, String)> {
    let operator = text.find("===")?;
    let after = operator + 3;
    let rest = &text[after..];
    let start = after + (rest.len() - rest.trim_start().len());
    let end = text[start..]
        .find(|c: char| c.is_whitespace() || matches!(c, ',' | ';' | ')'))
        .map_or(text.len(), |length| start + length);
    (end > start).then(|| (start..end, text[start..end].to_string()))
}

/// Where a PEP 508 requirement has a non-ASCII character outside quoted strings and outside the
/// URL after `@`, if anywhere.
fn non_ascii_outside_quotes(text: &str) -> Option<usize> {
    let mut quote = None;
    let mut in_url = false;
    let mut after_at = false;
    for (offset, character) in text.char_indices() {
        if let Some(open) = quote {
            if character == open {
                quote = None;
            }
            continue;
        }
        if in_url {
            if character.is_whitespace() {
                in_url = false;
            }
            continue;
        }
        if after_at && !character.is_whitespace() {
            in_url = true;
            after_at = false;
            continue;
        }
        match character {
            '\'' | '"' => quote = Some(character),
            '@' => after_at = true,
            _ if !character.is_ascii() => return Some(offset),
            _ => {}
        }
    }
    None
}

/// pip accepts a bare URL or archive path as a requirement; PEP 508 does not.
/// `parse_req_from_line`: a URL; else the text without its `[extras]` (`_strip_extras`) is a
/// path when it names an archive (`is_archive_file`), or a directory when the text looks like a
/// path (`_looks_like_path`; hashpin does not look at the disk and takes it for one), unless
/// the part before an `@` is a name (`name @ ./x.whl` is PEP 508).
fn looks_unnamed(text: &str) -> bool {
    let head = text.split(';').next().unwrap_or(text).trim();
    if is_url(head) {
        return true;
    }
    let looks_like_path = |text: &str| text.contains('/') || text.starts_with('.');
    if let Some((before, _)) = head.split_once('@')
        && !looks_like_path(before)
    {
        return false;
    }
    let (location, _) = split_path_extras(head);
    is_archive_file(&location) || (looks_like_path(head) && !location.contains(' '))
}

/// pip's `is_archive_file`: the extensions pip unpacks (`ARCHIVE_EXTENSIONS`).
fn is_archive_file(path: &str) -> bool {
    const EXTENSIONS: [&str; 12] = [
        ".whl",
        ".zip",
        ".tar.bz2",
        ".tbz",
        ".tar.gz",
        ".tgz",
        ".tar",
        ".tar.xz",
        ".txz",
        ".tlz",
        ".tar.lz",
        ".tar.lzma",
    ];
    let lower = path.to_ascii_lowercase();
    EXTENSIONS
        .iter()
        .any(|extension| lower.ends_with(extension))
}

/// Recognizes hashpin's provenance comments and peep's hash comments.
fn classify_comment(comment: &str) -> LineKind {
    if let Some(rest) = comment.strip_prefix(PROVENANCE_PREFIX) {
        let mut words = rest.split_whitespace();
        if let (Some(filename), Some(hash), Some(url), None) =
            (words.next(), words.next(), words.next(), words.next())
            && let Ok(hash) = hash.parse::<HashDigest>()
        {
            return LineKind::Provenance(Provenance {
                filename: filename.to_string(),
                hash,
                url: url.to_string(),
            });
        }
        return LineKind::Comment;
    }
    let body = comment.trim_start_matches('#').trim();
    if let Some(encoded) = body.strip_prefix("sha256:")
        && let Some(hash) = HashDigest::from_peep_base64(encoded.trim())
    {
        return LineKind::PeepHash(hash);
    }
    LineKind::Comment
}

#[cfg(test)]
mod tests {
    use super::*;

    fn no_env(_: &str) -> Option<String> {
        None
    }

    fn parse_ok(text: &str) -> Document {
        parse(Path::new("requirements.txt"), text.to_string(), &no_env).unwrap()
    }

    fn parse_err(text: &str) -> String {
        parse(Path::new("requirements.txt"), text.to_string(), &no_env)
            .unwrap_err()
            .to_string()
    }

    const SHA_A: &str = "sha256:aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa";

    #[test]
    fn joins_continuations_and_maps_spans_back() {
        let text = format!(
            "# top\nflask[async]==3.0.0 ; python_version >= \"3.8\" \\\r\n    --hash={SHA_A}  # web\r\n\r\n"
        );
        let document = parse_ok(&text);
        let (_, line, entry) = document.entries().next().unwrap();
        assert_eq!(line.number, 2);
        assert_eq!(
            document.text(&entry.requirement.span),
            "flask[async]==3.0.0 ; python_version >= \"3.8\""
        );
        assert_eq!(
            document.text(&entry.hashes[0].span),
            format!("--hash={SHA_A}")
        );
        assert_eq!(document.text(line.comment.as_ref().unwrap()), "# web");
        assert_eq!(document.lines.len(), 3);
        assert_eq!(document.line_ending(), "\n");
        let Target::Pep508(requirement) = &entry.target else {
            panic!("expected a PEP 508 requirement");
        };
        assert_eq!(requirement.name.as_ref(), "flask");
    }

    #[test]
    fn comment_rules_match_pip() {
        let document =
            parse_ok("pkg @ https://host/pkg-1.0.tar.gz#sha256=00\n# a comment \\\nother==1.0\n");
        let targets: Vec<_> = document
            .entries()
            .map(|(_, _, entry)| entry.requirement.value.clone())
            .collect();
        // The comment line ending in `\` does not swallow the next line.
        assert_eq!(
            targets,
            ["pkg @ https://host/pkg-1.0.tar.gz#sha256=00", "other==1.0"]
        );
    }

    #[test]
    fn space_separated_hash_and_options() {
        let document = parse_ok(&format!(
            "-i https://example.org/simple\n--extra-index-url=https://x/simple\nflask==3.0.0 --hash {SHA_A}\n-r other.txt\n-e ./local\n--no-index\n"
        ));
        let options: Vec<_> = document.options().map(|(_, o)| o.value.clone()).collect();
        assert_eq!(
            options,
            [
                FileOption::IndexUrl("https://example.org/simple".into()),
                FileOption::ExtraIndexUrl("https://x/simple".into()),
                FileOption::Requirement("other.txt".into()),
                FileOption::Editable("./local".into()),
                FileOption::NoIndex,
            ]
        );
        let (_, _, entry) = document.entries().next().unwrap();
        assert_eq!(entry.recorded_hashes()[0].to_string(), SHA_A);
    }

    #[test]
    fn expands_env_variables_like_pip() {
        let env = |name: &str| (name == "TOKEN").then(|| "s3cret".to_string());
        assert_eq!(
            expand_env("https://u:${TOKEN}@h/${UNSET}/${lower}", &env),
            "https://u:s3cret@h/${UNSET}/${lower}"
        );
    }

    #[test]
    fn reads_peep_and_provenance_comments() {
        let document = parse_ok(&format!(
            "# sha256: ungWv48Bz-pBQUDeXa4iI7ADYaOWF3qctBD_YfIAFa0\npkg==1.0 \\\n    --hash={SHA_A}\n    # hashpin: pkg-1.0.tar.gz {SHA_A} https://h/pkg-1.0.tar.gz\n# user comment\n"
        ));
        let (_, _, entry) = document.entries().next().unwrap();
        assert_eq!(entry.peep_hashes.len(), 1);
        assert_eq!(entry.provenance.len(), 1);
        assert_eq!(entry.provenance[0].value.filename, "pkg-1.0.tar.gz");
        assert_eq!(entry.recorded_hashes().len(), 2);
        assert_eq!(&document.source[entry.block_end..], "\n# user comment\n");
    }

    #[test]
    fn bare_urls_and_paths_are_unnamed() {
        for text in [
            "https://host/pkg-1.0-py3-none-any.whl",
            "./dist/pkg-1.0.tar.gz",
            "pkg-1.0-py3-none-any.whl",
            "git+https://github.com/o/r.git",
        ] {
            assert!(looks_unnamed(text), "{text}");
        }
        for text in ["pkg==1.0", "pkg @ https://host/pkg-1.0.tar.gz", "pkg[x]>=1"] {
            assert!(!looks_unnamed(text), "{text}");
        }
    }

    #[test]
    fn a_name_ending_in_punctuation_is_an_error_not_a_panic() {
        // Found by the fuzz loop: pep508_rs 0.9 panics on `last-=2`.
        for text in ["last-=2\n", "a.==1\n", "b_ ==1\n"] {
            let message = parse_err(text);
            assert!(
                message.contains("must end with a letter or digit"),
                "{text}: {message}"
            );
        }
        // And a non-ASCII word among markers, which pep508_rs slices mid-character.
        // The marker is hashpin's own reading now, and refuses such a word without panicking.
        let message = parse_err("a==1 ; python_version >= \"3\" an\u{e9}d os_name == \"nt\"\n");
        assert!(message.contains("invalid marker"), "{message}");
        assert!(parse_err("c\u{e9}==1\n").contains("only ASCII"));
        assert!(
            !parse_err(
                "a==1 ; platform_release == \"\u{e9}\"\nb @ https://h/\u{e9}.whl\nc\u{e9}==1\n"
            )
            .contains("only ASCII, , ")
        );
        // And extras ending in `.`, which pep508_rs panics on.
        let message = parse_err("a[extra.]==1\n");
        assert!(message.contains("not a PEP 508 requirement"), "{message}");
        // Also found by it: a short option whose letter is not one byte.
        let message = parse_err("-\u{e9}r sub.txt\n");
        assert!(message.contains("unknown option `-\u{e9}`"), "{message}");
    }

    #[test]
    fn errors_point_at_the_culprit() {
        let message =
            parse_err("ok==1.0\nflask==3.0 --hash=md5:d41d8cd98f00b204e9800998ecf8427e\n");
        assert!(
            message.contains("unsupported hash algorithm `md5`"),
            "{message}"
        );
        assert!(message.contains("requirements.txt:2:19"), "{message}");
        let message = parse_err("flask==3.0 --hash sha256:a sha256:b\n");
        assert!(message.contains("sha256"), "{message}");
        let message = parse_err("flask=3.0\n");
        assert!(message.contains("invalid requirement"), "{message}");
        assert!(message.contains(":1:"), "{message}");
        let message = parse_err("--frobnicate\nx==1 --hash\n");
        assert!(
            message.contains("unknown option `--frobnicate`"),
            "{message}"
        );
        assert!(message.contains("`--hash` expects a value"), "{message}");
    }

    #[test]
    fn options_split_as_shlex_does() {
        let document = parse_ok("-i \"https://example.org/simple\"  --no-index\t--pre\n");
        let options: Vec<_> = document
            .options()
            .map(|(_, option)| {
                (
                    option.value.clone(),
                    document.text(&option.span).to_string(),
                )
            })
            .collect();
        assert_eq!(
            options,
            [
                (
                    FileOption::IndexUrl("https://example.org/simple".into()),
                    "-i \"https://example.org/simple\"".to_string()
                ),
                (FileOption::NoIndex, "--no-index".to_string()),
                (FileOption::Pre, "--pre".to_string()),
            ]
        );
        // A no-break space separates nothing: `--hash\u{a0}sha256:…` is one unknown option.
        let message = parse_err(&format!("flask==3.0 --hash\u{a0}{SHA_A}\n"));
        assert!(
            message.contains("unknown option `--hash\u{a0}sha256:"),
            "{message}"
        );
        // An unclosed quote is reported from the word that opens it to the end of the line.
        let message = parse_err("flask==3.0 --hash 'sha256:aa\n");
        assert!(message.contains("no closing quotation `'`"), "{message}");
        assert!(message.contains("requirements.txt:1:19"), "{message}");
    }
}
