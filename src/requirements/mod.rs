//! Requirements files as pip reads them, kept byte for byte.
//!
//! A [`Document`] owns its source text and a list of logical [`Line`]s (physical lines joined
//! across `\` continuations, as pip joins them). Every line keeps byte spans into the source, so
//! edits are splices that leave every other byte alone: comments, blank lines, option lines, line
//! endings and a missing final newline all survive a rewrite (see [`edit`]).
//!
//! hashpin's own additions are ordinary pip syntax: `--hash=` options, plus one comment line per
//! artifact right after the requirement (`# hashpin: <filename> <hash> <url>`) that records where
//! each hash came from. pip ignores comments, so `pip install --require-hashes -r` accepts the file.

pub(crate) mod edit;
pub(crate) mod encoding;
pub(crate) mod load;
pub(crate) mod marker;
mod parse;
pub(crate) mod span;

use std::path::PathBuf;

use pep508_rs::{Requirement, VerbatimUrl};

use crate::hash::HashDigest;
pub(crate) use encoding::Encoding;
pub(crate) use parse::{arbitrary_equality, parse};
pub(crate) use span::{ParseError, ParseErrors, Span, Spanned};

/// The prefix of the comment lines that record an artifact's provenance.
pub(crate) const PROVENANCE_PREFIX: &str = "# hashpin:";

/// A parsed requirements file.
#[derive(Debug, Clone)]
pub(crate) struct Document {
    /// The path as the user named it, or as reached through `-r`.
    pub(crate) path: PathBuf,
    /// The text of the file, decoded as pip decodes it.
    pub(crate) source: String,
    /// Logical lines, in order; together their spans and line endings cover the whole source.
    pub(crate) lines: Vec<Line>,
    /// How the file's bytes stand for `source`; it is written back the same way.
    pub(crate) encoding: Encoding,
}

/// One logical line: one or more physical lines joined by `\` continuations.
#[derive(Debug, Clone)]
pub(crate) struct Line {
    /// 1-based number of the first physical line.
    pub(crate) number: usize,
    /// From the start of the first physical line to the end of the last one, line ending excluded.
    pub(crate) span: Span,
    /// What the line says.
    pub(crate) kind: LineKind,
    /// The trailing or full-line comment, from `#` to the end of the logical line.
    pub(crate) comment: Option<Span>,
}

/// What a logical line says.
#[derive(Debug, Clone)]
pub(crate) enum LineKind {
    /// Nothing but white space.
    Blank,
    /// A comment hashpin has no use for.
    Comment,
    /// peep's `# sha256: <urlsafe base64>`, a hash for the next requirement.
    PeepHash(HashDigest),
    /// `# hashpin: <filename> <hash> <url>`, written by hashpin after a requirement.
    Provenance(Provenance),
    /// A requirement, with its per-requirement options.
    Requirement(Box<Entry>),
    /// Option lines: `-r`, `-c`, `-e`, `-i`, `--hash`-less global options.
    Options(Vec<Spanned<FileOption>>),
}

/// Where one recorded hash came from.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub(crate) struct Provenance {
    /// The artifact's filename, as the index listed it.
    pub(crate) filename: String,
    /// The hash of its bytes.
    pub(crate) hash: HashDigest,
    /// The URL it was downloaded from, without credentials.
    pub(crate) url: String,
}

impl Provenance {
    /// The comment text, without indentation.
    pub(crate) fn render(&self) -> String {
        format!(
            "{PROVENANCE_PREFIX} {} {} {}",
            self.filename, self.hash, self.url
        )
    }
}

/// A requirement line.
#[derive(Debug, Clone)]
pub(crate) struct Entry {
    /// The requirement text after `${VAR}` expansion, and where its raw text sits.
    pub(crate) requirement: Spanned<String>,
    /// What the requirement asks for.
    pub(crate) target: Target,
    /// Its environment marker, as pip reads it (packaging's grammar), if any.
    pub(crate) marker: Option<marker::Marker>,
    /// `--hash` options, in the order written.
    pub(crate) hashes: Vec<Spanned<HashDigest>>,
    /// Hashes from peep comments just above the requirement.
    pub(crate) peep_hashes: Vec<HashDigest>,
    /// hashpin's provenance comments right after the requirement.
    pub(crate) provenance: Vec<Spanned<Provenance>>,
    /// Other per-requirement options (`--config-settings`, ...), kept verbatim.
    pub(crate) other_options: Vec<Span>,
    /// Those of `other_options` pip ignores on a requirement line (`--pre`, `-i URL`: global
    /// options count on option lines only).
    pub(crate) ignored_options: Vec<Span>,
    /// The end of the entry's block: its last provenance line, or the line itself.
    pub(crate) block_end: usize,
}

impl Entry {
    /// Every hash recorded for this requirement: `--hash` options and peep comments, sorted
    /// and without duplicates.
    pub(crate) fn recorded_hashes(&self) -> Vec<HashDigest> {
        let mut hashes: Vec<HashDigest> = self
            .hashes
            .iter()
            .map(|hash| hash.value.clone())
            .chain(self.peep_hashes.iter().cloned())
            .collect();
        hashes.sort();
        hashes.dedup();
        hashes
    }

    /// The requirement as it may be shown: credentials in any URL replaced by `****`.
    pub(crate) fn shown(&self) -> String {
        crate::safe_url::redact_text(&self.requirement.value)
    }

    /// The provenance records, without spans.
    pub(crate) fn recorded_provenance(&self) -> Vec<Provenance> {
        self.provenance
            .iter()
            .map(|record| record.value.clone())
            .collect()
    }
}

/// What a requirement line asks for.
#[derive(Debug, Clone)]
pub(crate) enum Target {
    /// A PEP 508 requirement: `name[extras] specifiers ; marker` or `name @ url`.
    Pep508(Box<Requirement<VerbatimUrl>>),
    /// A bare URL or path, which pip also accepts on a line of its own (without its marker).
    Unnamed {
        /// The URL or path, without its marker and, for a path, without its extras.
        location: String,
        /// A path's `[extras]`, normalized (pip's `strip_extras`).
        extras: Vec<String>,
    },
    /// `name[extras] @ url` with a URL pip takes but pep508_rs cannot read: scp-like
    /// `git+ssh://git@host:org/repo.git`, or credentials with `%20` in them.
    NamedUrl {
        /// The project name, as written.
        name: String,
        /// The extras, as written between the brackets, if any.
        extras: Option<String>,
        /// The URL, as written.
        url: String,
    },
}

/// An option line's option, with its value expanded.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum FileOption {
    /// `-i`, `--index-url`.
    IndexUrl(String),
    /// `--extra-index-url`.
    ExtraIndexUrl(String),
    /// `--no-index`.
    NoIndex,
    /// `-f`, `--find-links`.
    FindLinks(String),
    /// `--trusted-host`.
    TrustedHost(String),
    /// `-r`, `--requirement`: an included requirements file.
    Requirement(String),
    /// `-c`, `--constraint`: an included constraints file.
    Constraint(String),
    /// `-e`, `--editable`: never lockable, pip refuses hashes for it.
    Editable(String),
    /// `--pre`.
    Pre,
    /// `--prefer-binary`.
    PreferBinary,
    /// `--require-hashes`.
    RequireHashes,
    /// `--only-binary`.
    OnlyBinary(String),
    /// `--no-binary`.
    NoBinary(String),
    /// An option hashpin does not act on (`--use-feature`, `--all-releases`, per-requirement
    /// options on their own): its long name, and its value when it takes one.
    Other {
        /// The long name, `--use-feature`.
        option: &'static str,
        /// The value, `fast-deps`.
        value: Option<String>,
    },
}

impl Document {
    /// `text` (this document's source, or an edit of it) as the bytes of this document's
    /// encoding; an error names the file when a character cannot be written in it.
    pub(crate) fn encode(&self, text: &str) -> std::io::Result<Vec<u8>> {
        encoding::encode(text, self.encoding).ok_or_else(|| {
            std::io::Error::new(
                std::io::ErrorKind::InvalidData,
                format!(
                    "`{}` is {}, and the new text has a character {} cannot hold",
                    self.path.display(),
                    self.encoding,
                    self.encoding
                ),
            )
        })
    }

    /// The requirement entries with their line numbers.
    pub(crate) fn entries(&self) -> impl Iterator<Item = (usize, &Line, &Entry)> {
        self.lines
            .iter()
            .enumerate()
            .filter_map(|(index, line)| match &line.kind {
                LineKind::Requirement(entry) => Some((index, line, entry.as_ref())),
                _ => None,
            })
    }

    /// Every option given on option lines, in order.
    pub(crate) fn options(&self) -> impl Iterator<Item = (&Line, &Spanned<FileOption>)> {
        self.lines.iter().flat_map(|line| {
            let options: &[Spanned<FileOption>] = match &line.kind {
                LineKind::Options(options) => options,
                _ => &[],
            };
            options.iter().map(move |option| (line, option))
        })
    }

    /// The line ending new lines should use: the file's first, or `\n`.
    pub(crate) fn line_ending(&self) -> &'static str {
        match self.source.find('\n') {
            Some(index) if index > 0 && self.source.as_bytes()[index - 1] == b'\r' => "\r\n",
            _ => "\n",
        }
    }

    /// The source text of a span.
    pub(crate) fn text(&self, span: &Span) -> &str {
        &self.source[span.clone()]
    }
}
