//! `hashpin check`'s report: the judge's statuses in the seven words of the `hashpin-check/1`
//! schema, one table per release for people (on stdout: it is what the command exists to
//! produce) and one JSON document for CI.

use std::collections::BTreeMap;
use std::io;

use serde::Serialize;

use super::{Printer, Style};
use crate::error::Status as ExitStatus;
use crate::judge::{Judged, Status};
use crate::survey::plural;

/// What became of one artifact, in the words of `hashpin-check/1`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
#[serde(rename_all = "kebab-case")]
pub(crate) enum CheckStatus {
    /// Same filename, same bytes, same URL.
    Unchanged,
    /// Same filename, other bytes: republished or tampered.
    Changed,
    /// The digest the index declares disagrees with the bytes.
    IndexMismatch,
    /// Gone from the listing, or its URL answers 404/410.
    Missing,
    /// A file of a locked release that the lockfile does not record.
    Added,
    /// Yanked (PEP 592).
    Yanked,
    /// Same bytes, new URL.
    Moved,
}

impl CheckStatus {
    /// Every status, in report order.
    pub(crate) const ALL: [CheckStatus; 7] = [
        Self::Unchanged,
        Self::Changed,
        Self::IndexMismatch,
        Self::Missing,
        Self::Added,
        Self::Yanked,
        Self::Moved,
    ];

    /// The judge's status in the schema's words; a yanked file that is otherwise unchanged is
    /// `yanked`.
    pub(crate) fn of(judged: &Judged) -> Self {
        match judged.status {
            Status::Verified | Status::Adopted if judged.yanked.is_some() => Self::Yanked,
            Status::Verified | Status::Adopted => Self::Unchanged,
            Status::Changed
            | Status::Republished
            | Status::NothingMatches
            | Status::NoMatch
            | Status::Inconsistent => Self::Changed,
            Status::IndexMismatch => Self::IndexMismatch,
            Status::Missing | Status::Unmatched => Self::Missing,
            // `check` records nothing, so bytes it would refuse to record never arise there; a
            // file about to be recorded is one the lockfile does not record.
            Status::NotRecorded
            | Status::Renamed
            | Status::RecordedNow
            | Status::Unrecordable
            | Status::NotAnArchive => Self::Added,
            Status::Moved => Self::Moved,
        }
    }

    /// The word in reports.
    pub(crate) fn as_str(self) -> &'static str {
        match self {
            Self::Unchanged => "unchanged",
            Self::Changed => "changed",
            Self::IndexMismatch => "index-mismatch",
            Self::Missing => "missing",
            Self::Added => "added",
            Self::Yanked => "yanked",
            Self::Moved => "moved",
        }
    }

    fn style(self) -> Option<Style> {
        match self {
            Self::Unchanged => None,
            Self::Changed | Self::IndexMismatch => Some(Style::Red),
            Self::Missing | Self::Added | Self::Yanked | Self::Moved => Some(Style::Yellow),
        }
    }
}

/// What changed inside a changed artifact.
#[derive(Debug, Clone, Serialize)]
pub(crate) struct Inside {
    /// Members added.
    pub(crate) added: Vec<String>,
    /// Members removed.
    pub(crate) removed: Vec<String>,
    /// Members whose contents changed.
    pub(crate) changed: Vec<String>,
    /// What a reviewer should read first.
    pub(crate) notable: Vec<String>,
    /// The core metadata diff, if it changed.
    pub(crate) metadata_diff: Option<String>,
}

/// One artifact in the report (a `hashpin-check/1` artifact object).
#[derive(Debug, Clone, Serialize)]
pub(crate) struct ArtifactReport {
    /// The project, normalized.
    pub(crate) project: String,
    /// The version the filename names.
    pub(crate) version: String,
    /// The requirement as written (credentials redacted).
    pub(crate) requirement: String,
    /// The lockfile holding it.
    pub(crate) lockfile: String,
    /// Its line.
    pub(crate) line: usize,
    /// The file; empty for a hash recorded without a filename that matches nothing.
    pub(crate) filename: String,
    /// The URL on record, or where an added file is served.
    pub(crate) url: String,
    /// Where the index serves it now, when that differs from `url`.
    pub(crate) current_url: Option<String>,
    /// What became of it.
    pub(crate) status: CheckStatus,
    /// The recorded hash.
    pub(crate) recorded: Option<String>,
    /// The hash of the bytes served now.
    pub(crate) observed: Option<String>,
    /// Digests the index declares that the bytes do not have.
    pub(crate) declared: Vec<String>,
    /// Why the bytes differ, or why it is missing or moved, in words.
    pub(crate) reason: Option<String>,
    /// What changed inside the archive, when the earlier bytes were cached.
    pub(crate) inside: Option<Inside>,
    /// `inspect::render` text, for people.
    #[serde(skip)]
    pub(crate) inside_text: Option<String>,
    /// PEP 592 reason, when yanked.
    pub(crate) yank_reason: Option<String>,
}

/// One release's part of the report.
#[derive(Debug)]
pub(crate) struct ReleaseReport {
    /// `tinyproj==1.0.0 (requirements.txt:2)`.
    pub(crate) heading: String,
    /// Its artifacts.
    pub(crate) artifacts: Vec<ArtifactReport>,
    /// The lockfile lines as recorded against the lines as the index serves them now (plain).
    pub(crate) diff: String,
}

/// A pinned requirement that records no hashes: nothing about it could be checked.
#[derive(Debug, Clone, Serialize)]
pub(crate) struct Unhashed {
    /// The requirement as written (credentials redacted).
    pub(crate) requirement: String,
    /// The lockfile holding it.
    pub(crate) lockfile: String,
    /// Its line.
    pub(crate) line: usize,
}

/// The JSON document `--format json` prints.
#[derive(Serialize)]
struct JsonReport<'a> {
    schema: &'static str,
    files: &'a [String],
    exit_code: u8,
    summary: BTreeMap<&'static str, usize>,
    artifacts: Vec<&'a ArtifactReport>,
    unhashed: &'a [Unhashed],
    errors: Vec<String>,
}

fn summary<'a>(
    artifacts: impl Iterator<Item = &'a ArtifactReport> + Clone,
) -> BTreeMap<&'static str, usize> {
    CheckStatus::ALL
        .iter()
        .map(|status| {
            let count = artifacts
                .clone()
                .filter(|artifact| artifact.status == *status)
                .count();
            (status.as_str(), count)
        })
        .collect()
}

/// The whole report as one `hashpin-check/1` document on stdout; errors go to stderr too.
pub(crate) fn print_json(
    printer: &Printer,
    files: &[String],
    releases: &[ReleaseReport],
    unhashed: &[Unhashed],
    problems: &[anyhow::Error],
    status: ExitStatus,
) -> io::Result<()> {
    for problem in problems {
        printer.error(problem);
    }
    let artifacts = releases.iter().flat_map(|release| &release.artifacts);
    let report = JsonReport {
        schema: "hashpin-check/1",
        files,
        exit_code: status as u8,
        summary: summary(artifacts.clone()),
        artifacts: artifacts.collect(),
        unhashed,
        errors: problems.iter().map(ToString::to_string).collect(),
    };
    let mut text = serde_json::to_string_pretty(&report).map_err(io::Error::other)?;
    text.push('\n');
    printer.out(&text)
}

/// The width of the status column: the longest status and a space.
const STATUS_WIDTH: usize = 15;

/// The report for people on stdout (a release that is all unchanged gets one `ok` line, left
/// out by `--quiet`), errors on stderr, and a summary line.
pub(crate) fn print_text(
    printer: &Printer,
    releases: &[ReleaseReport],
    unhashed: &[Unhashed],
    problems: &[anyhow::Error],
) -> io::Result<()> {
    for entry in unhashed {
        let label = format!("{:<STATUS_WIDTH$}", "unhashed");
        printer.out(&format!(
            "{} ({}:{})\n  {}nothing recorded, so nothing checked\n{}hint: record them with `hashpin lock`\n",
            printer.out_style(Style::Bold, &entry.requirement),
            entry.lockfile,
            entry.line,
            printer.out_style(Style::Yellow, &label),
            " ".repeat(STATUS_WIDTH + 2),
        ))?;
    }
    for release in releases
        .iter()
        .filter(|release| !release.artifacts.is_empty())
    {
        let clean = release
            .artifacts
            .iter()
            .all(|artifact| artifact.status == CheckStatus::Unchanged);
        if clean {
            printer.out_info(&format!(
                "{} {}: {} unchanged\n",
                printer.out_style(Style::Green, "ok"),
                release.heading,
                release.artifacts.len()
            ))?;
            continue;
        }
        let mut text = printer.out_style(Style::Bold, &release.heading);
        text.push('\n');
        for artifact in &release.artifacts {
            text.push_str(&artifact_text(artifact, printer));
        }
        if !release.diff.is_empty() {
            text.push_str(&printer.color_diff(true, &release.diff));
        }
        printer.out(&text)?;
    }
    for problem in problems {
        printer.error(problem);
    }
    let all: Vec<&ArtifactReport> = releases.iter().flat_map(|r| &r.artifacts).collect();
    let count = releases.iter().filter(|r| !r.artifacts.is_empty()).count();
    let counts: Vec<String> = CheckStatus::ALL
        .iter()
        .filter_map(|status| {
            let n = all.iter().filter(|a| a.status == *status).count();
            (n > 0).then(|| {
                let text = format!("{n} {}", status.as_str());
                match status.style() {
                    Some(style) => printer.out_style(style, &text),
                    None => text,
                }
            })
        })
        .collect();
    let unhashed_text = if unhashed.is_empty() {
        String::new()
    } else {
        format!(
            "; {} {} no hashes",
            unhashed.len(),
            plural(unhashed.len(), "requirement records", "requirements record")
        )
    };
    printer.out(&format!(
        "checked {count} {}, {} {}: {}{unhashed_text}\n",
        plural(count, "release", "releases"),
        all.len(),
        plural(all.len(), "artifact", "artifacts"),
        if counts.is_empty() {
            "nothing verified".to_string()
        } else {
            counts.join(", ")
        }
    ))
}

fn artifact_text(artifact: &ArtifactReport, printer: &Printer) -> String {
    let label = format!("{:<STATUS_WIDTH$}", artifact.status.as_str());
    let label = match artifact.status.style() {
        Some(style) => printer.out_style(style, &label),
        None => label,
    };
    let name = if artifact.filename.is_empty() {
        "(a file recorded by hash only)"
    } else {
        &artifact.filename
    };
    let mut text = format!("  {label}{name}\n");
    if artifact.status == CheckStatus::Unchanged {
        return text;
    }
    let pad = " ".repeat(STATUS_WIDTH + 2);
    let mut lines = Vec::new();
    if !artifact.url.is_empty() {
        lines.push(format!("url:       {}", artifact.url));
    }
    if let Some(current) = &artifact.current_url {
        lines.push(format!("now at:    {current}"));
    }
    if let Some(recorded) = &artifact.recorded {
        lines.push(format!(
            "recorded:  {}",
            printer.out_style(Style::Red, recorded)
        ));
    }
    if let Some(observed) = &artifact.observed
        && Some(observed) != artifact.recorded.as_ref()
    {
        lines.push(format!(
            "observed:  {}",
            printer.out_style(Style::Green, observed)
        ));
    }
    for declared in &artifact.declared {
        lines.push(format!(
            "declared:  {}",
            printer.out_style(Style::Red, declared)
        ));
    }
    if let Some(reason) = &artifact.yank_reason
        && !reason.is_empty()
    {
        lines.push(format!("yanked:    {reason}"));
    }
    if let Some(reason) = &artifact.reason {
        lines.push(format!("why:       {reason}"));
    }
    for line in lines {
        text.push_str(&format!("{pad}{line}\n"));
    }
    if let Some(inside) = &artifact.inside_text {
        for line in inside.lines() {
            text.push_str(&format!("{pad}  {line}\n"));
        }
    }
    text
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn statuses_are_kebab_case_in_json() {
        for status in CheckStatus::ALL {
            assert_eq!(
                serde_json::to_string(&status).unwrap(),
                format!("\"{}\"", status.as_str())
            );
        }
        let names: Vec<&str> = CheckStatus::ALL.iter().map(|s| s.as_str()).collect();
        assert_eq!(
            names,
            [
                "unchanged",
                "changed",
                "index-mismatch",
                "missing",
                "added",
                "yanked",
                "moved"
            ]
        );
    }
}
