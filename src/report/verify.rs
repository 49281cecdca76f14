//! `hashpin verify`'s report: the hook's decision for people (stderr: the decision itself is the
//! exit code) and as one JSON object on stdout.

use std::io;

use serde::Serialize;

use super::verdict::{About, details};
use super::{Printer, Style};
use crate::hash::HashDigest;
use crate::judge::{Judged, Outcome, Status};

/// The hook's three answers (a warning still passes).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub(crate) enum Answer {
    /// Use the file.
    Pass,
    /// Do not use the file.
    Fail,
    /// Do not use the file; another file of the same release may pass.
    Retry,
}

impl From<Outcome> for Answer {
    fn from(outcome: Outcome) -> Self {
        match outcome {
            Outcome::Pass | Outcome::Warn => Self::Pass,
            Outcome::Retry => Self::Retry,
            Outcome::Fail => Self::Fail,
        }
    }
}

impl Answer {
    fn word(self) -> &'static str {
        match self {
            Self::Pass => "pass",
            Self::Fail => "fail",
            Self::Retry => "retry",
        }
    }

    fn style(self) -> Style {
        match self {
            Self::Pass => Style::Green,
            Self::Fail => Style::Red,
            Self::Retry => Style::Yellow,
        }
    }
}

/// What the hook decided, with everything both reports show.
#[derive(Debug)]
pub(crate) struct Decision {
    /// Pass, fail or retry.
    pub(crate) answer: Answer,
    /// One sentence that names the file.
    pub(crate) message: String,
    /// What to do about it.
    pub(crate) hint: Option<String>,
    /// Said whatever the answer.
    pub(crate) warnings: Vec<String>,
    /// The judge's view of the file, when an entry judged it.
    pub(crate) judged: Option<Judged>,
    /// The deciding entry, when there is one.
    pub(crate) about: Option<About>,
    /// The project, normalized, from the filename.
    pub(crate) project: String,
    /// The version, as the filename writes it.
    pub(crate) version: String,
    /// The artifact's filename.
    pub(crate) filename: String,
    /// The URL given, credentials redacted.
    pub(crate) url: String,
    /// The sha256 of the file's bytes.
    pub(crate) observed: HashDigest,
    /// The file holding the deciding entry, else the lockfile named on the command line.
    pub(crate) lockfile: String,
    /// The deciding entry's line.
    pub(crate) line: Option<usize>,
}

/// The `--format json` object (fields documented in README).
#[derive(Serialize)]
struct JsonDecision<'a> {
    outcome: Answer,
    project: &'a str,
    version: &'a str,
    filename: &'a str,
    url: &'a str,
    expected: Vec<String>,
    observed: String,
    lockfile: &'a str,
    line: Option<usize>,
    warnings: &'a [String],
    message: &'a str,
}

/// The decision as one JSON object on stdout.
pub(crate) fn print_json(printer: &Printer, decision: &Decision) -> io::Result<()> {
    let json = JsonDecision {
        outcome: decision.answer,
        project: &decision.project,
        version: &decision.version,
        filename: &decision.filename,
        url: &decision.url,
        expected: {
            let mut expected: Vec<String> = decision
                .judged
                .iter()
                .flat_map(|judged| &judged.recorded)
                .map(ToString::to_string)
                .collect();
            expected.sort();
            expected
        },
        observed: decision.observed.to_string(),
        lockfile: &decision.lockfile,
        line: decision.line,
        warnings: &decision.warnings,
        message: &decision.message,
    };
    let mut text = serde_json::to_string(&json).map_err(io::Error::other)?;
    text.push('\n');
    printer.out(&text)
}

/// The decision for people on stderr: warnings, the answer and its sentence, then for fail and
/// retry the entry, the URL, the recorded hashes against the observed one, and a hint.
pub(crate) fn print_text(printer: &Printer, decision: &Decision) {
    for warning in &decision.warnings {
        printer.warning(warning);
    }
    if decision.answer == Answer::Pass {
        let word = printer.err_style(Style::Green, "pass");
        printer.info(&format!(
            "{}: {}",
            printer.err_style(Style::Bold, &word),
            decision.message
        ));
        return;
    }
    let mut text = decision.message.clone();
    match (&decision.judged, &decision.about) {
        (Some(judged), Some(about)) => {
            let mut judged = judged.clone();
            // The file was judged in the algorithm of its record; show its sha256 too.
            if judged.observed.is_none() {
                judged.observed = Some(decision.observed.clone());
            }
            text.push_str(&details(printer, &judged, Some(about)));
        }
        _ => {
            let mut shown = Judged::new(
                Status::Unrecordable,
                &decision.filename,
                decision.url.clone(),
            );
            shown.observed = Some(decision.observed.clone());
            text.push_str(&details(printer, &shown, decision.about.as_ref()));
        }
    }
    printer.labelled(decision.answer.word(), decision.answer.style(), &text);
    if let Some(hint) = &decision.hint {
        printer.hint(hint);
    }
}
