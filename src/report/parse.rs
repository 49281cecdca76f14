//! `hashpin parse`'s report: one `hashpin-parse/1` JSON document, or one line per requirement
//! and option for people.

use std::io;

use serde::Serialize;

use super::Printer;
use crate::requirements::ParseError;

/// One requirement as hashpin reads it.
#[derive(Debug, Default, Serialize)]
pub(crate) struct RequirementView {
    /// The file it is in.
    pub(crate) file: String,
    /// Its first line.
    pub(crate) line: usize,
    /// The requirement text: joined, `${VAR}` expanded, options and comment taken off.
    pub(crate) requirement: String,
    /// The project name (normalized), unless the requirement is a bare URL or path.
    pub(crate) name: Option<String>,
    /// Its extras (normalized).
    pub(crate) extras: Vec<String>,
    /// Its version specifiers, as PEP 440 writes them.
    pub(crate) specifier: Option<String>,
    /// Its marker, as PEP 508 writes it.
    pub(crate) marker: Option<String>,
    /// Its URL or path, for a direct or bare URL requirement (credentials redacted).
    pub(crate) url: Option<String>,
    /// Every hash it records (`--hash` options and peep comments).
    pub(crate) hashes: Vec<String>,
    /// Its other per-requirement options (`--config-settings`), as written.
    pub(crate) options: Vec<String>,
    /// Options written on its line that pip ignores there (`--pre`, `-i URL`: global options
    /// count on option lines only), as written.
    pub(crate) ignored_options: Vec<String>,
    /// Whether it comes from a constraints file (`-c`).
    pub(crate) constraint: bool,
}

/// One option of an option line.
#[derive(Debug, Serialize)]
pub(crate) struct OptionView {
    /// The file it is in.
    pub(crate) file: String,
    /// Its line.
    pub(crate) line: usize,
    /// The option's long name (`--index-url`, `--use-feature`).
    pub(crate) option: String,
    /// Its value, when it takes one (credentials redacted).
    pub(crate) value: Option<String>,
}

/// One input error.
#[derive(Debug, Serialize)]
pub(crate) struct ErrorView {
    /// The file.
    pub(crate) file: String,
    /// 1-based line.
    pub(crate) line: usize,
    /// 1-based column, in code points.
    pub(crate) column: usize,
    /// What is wrong.
    pub(crate) message: String,
}

/// One file read, with the encoding its bytes were decoded from.
#[derive(Debug, Serialize)]
pub(crate) struct FileView {
    /// The file.
    pub(crate) file: String,
    /// `UTF-8`, `UTF-16 LE`, …, `Latin-1`: what an edit writes it back in.
    pub(crate) encoding: String,
}

/// What `hashpin parse` found.
#[derive(Debug, Default, Serialize)]
pub(crate) struct ParseReport {
    /// Every file read (`-r` and `-c` includes too), in the order read.
    pub(crate) files: Vec<FileView>,
    /// Every requirement, in file order.
    pub(crate) requirements: Vec<RequirementView>,
    /// Every option of an option line, in file order.
    pub(crate) options: Vec<OptionView>,
    /// Every input error; when there is one, nothing else is reported.
    pub(crate) errors: Vec<ErrorView>,
}

impl ParseReport {
    /// A report of input errors only.
    pub(crate) fn errors(errors: &[ParseError]) -> Self {
        Self {
            errors: errors
                .iter()
                .map(|error| ErrorView {
                    file: error.path.display().to_string(),
                    line: error.line,
                    column: error.column,
                    message: error.message.clone(),
                })
                .collect(),
            ..Self::default()
        }
    }
}

#[derive(Serialize)]
struct JsonReport<'a> {
    schema: &'static str,
    #[serde(flatten)]
    report: &'a ParseReport,
}

/// The report as one `hashpin-parse/1` document on stdout.
pub(crate) fn print_json(printer: &Printer, report: &ParseReport) -> io::Result<()> {
    let document = JsonReport {
        schema: "hashpin-parse/1",
        report,
    };
    let mut text = serde_json::to_string_pretty(&document).map_err(io::Error::other)?;
    text.push('\n');
    printer.out(&text)
}

/// One line per requirement and option, `file:line` first.
pub(crate) fn print_text(printer: &Printer, report: &ParseReport) -> io::Result<()> {
    let mut text = String::new();
    for option in &report.options {
        text.push_str(&format!(
            "{}:{}  {}",
            option.file, option.line, option.option
        ));
        if let Some(value) = &option.value {
            text.push_str(&format!(" {value}"));
        }
        text.push('\n');
    }
    for requirement in &report.requirements {
        text.push_str(&format!(
            "{}:{}  {}",
            requirement.file, requirement.line, requirement.requirement
        ));
        if !requirement.hashes.is_empty() {
            let count = requirement.hashes.len();
            text.push_str(&format!(
                "  ({count} {})",
                crate::survey::plural(count, "hash", "hashes")
            ));
        }
        if requirement.constraint {
            text.push_str("  (constraint)");
        }
        if !requirement.ignored_options.is_empty() {
            text.push_str(&format!(
                "  (pip ignores `{}` on a requirement line)",
                requirement.ignored_options.join(" ")
            ));
        }
        text.push('\n');
    }
    printer.out(&text)
}
