//! `hashpin verify --installed`'s report: one line per distribution, the problems with the
//! file and both hashes, the start-up files nobody owns, a summary; or one JSON document.

use std::io;

use serde::Serialize;

use crate::report::{Printer, Style};

/// One thing wrong with an installed distribution.
#[derive(Debug, Serialize)]
pub(crate) struct Problem {
    /// `changed`, `missing`, `outside`, `version`, `not-from-recorded-wheel`,
    /// `unrecorded-wheel`, `wheel-changed`, `unreadable`.
    pub(crate) kind: &'static str,
    /// The file, as `RECORD` names it, when it is about one.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub(crate) path: Option<String>,
    /// What should be there.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub(crate) expected: Option<String>,
    /// What is there.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub(crate) observed: Option<String>,
    /// One sentence.
    pub(crate) message: String,
}

/// What was found for one distribution.
#[derive(Debug, Serialize)]
pub(crate) struct Report {
    pub(crate) name: String,
    pub(crate) version: String,
    /// `ok`, `warning` or `failed`.
    pub(crate) status: &'static str,
    /// The recorded wheel its `RECORD` was held against.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub(crate) wheel: Option<String>,
    /// Files checked against `RECORD`.
    pub(crate) files: usize,
    pub(crate) problems: Vec<Problem>,
    pub(crate) warnings: Vec<String>,
}

/// Everything `verify --installed` found.
#[derive(Debug, Serialize)]
pub(crate) struct Outcome {
    /// The interpreter whose environment was read.
    pub(crate) python: String,
    /// The lockfile.
    pub(crate) lockfile: String,
    /// One report per installed distribution.
    pub(crate) distributions: Vec<Report>,
    /// `.pth` files and `sitecustomize.py`/`usercustomize.py` in the package directories that
    /// no distribution's RECORD lists.
    pub(crate) unowned_startup_files: Vec<String>,
}

impl Outcome {
    /// How many distributions failed, and how many warnings there are (distributions with
    /// warnings, and start-up files nobody owns).
    pub(crate) fn counts(&self) -> (usize, usize) {
        let with = |status: &str| {
            self.distributions
                .iter()
                .filter(|report| report.status == status)
                .count()
        };
        (
            with("failed"),
            with("warning") + self.unowned_startup_files.len(),
        )
    }
}

/// The `hashpin-verify-installed/1` document on stdout.
pub(crate) fn print_json(printer: &Printer, outcome: &Outcome) -> io::Result<()> {
    #[derive(Serialize)]
    struct Json<'a> {
        schema: &'static str,
        #[serde(flatten)]
        outcome: &'a Outcome,
    }
    let json = Json {
        schema: "hashpin-verify-installed/1",
        outcome,
    };
    printer.out(&format!(
        "{}\n",
        serde_json::to_string_pretty(&json).map_err(io::Error::other)?
    ))
}

/// The text report on stderr.
pub(crate) fn print_text(printer: &Printer, outcome: &Outcome, strict: bool) {
    for file in &outcome.unowned_startup_files {
        printer.warning(&format!(
            "`{file}` belongs to no installed distribution, and Python runs it at every start{}",
            if strict { " (--strict)" } else { "" }
        ));
    }
    let reports = &outcome.distributions;

    let width = reports
        .iter()
        .map(|report| report.name.len() + report.version.len() + 1)
        .max()
        .unwrap_or(0);
    for report in reports {
        let label = format!("{} {}", report.name, report.version);
        match report.status {
            "ok" => printer.info(&format!(
                "{}  {label:<width$}  {} files match RECORD{}",
                printer.err_style(Style::Green, "ok    "),
                report.files,
                report
                    .wheel
                    .as_ref()
                    .map(|wheel| format!("; RECORD matches the recorded `{wheel}`"))
                    .unwrap_or_default()
            )),
            _ => {
                for warning in &report.warnings {
                    printer.warning(&format!("{label}: {warning}"));
                }
                for problem in &report.problems {
                    let mut text = format!("{label}: {}", problem.message);
                    if let Some(expected) = &problem.expected {
                        text.push_str(&format!("\n  expected: {expected}"));
                    }
                    if problem.expected.is_some() || problem.observed.is_some() {
                        text.push_str(&format!(
                            "\n  observed: {}",
                            problem.observed.as_deref().unwrap_or("(absent)")
                        ));
                    }
                    printer.labelled("error", Style::Red, &text);
                }
            }
        }
    }
    let failed = reports
        .iter()
        .filter(|report| report.status == "failed")
        .count();
    let warned = reports
        .iter()
        .filter(|report| report.status == "warning")
        .count();
    let summary = format!(
        "{} distributions in `{}`: {} ok, {warned} with warnings, {failed} failed",
        reports.len(),
        outcome.python,
        reports.len() - failed - warned
    );
    if failed > 0 {
        printer.refused(&summary);
    } else {
        printer.info(&summary);
    }
}
