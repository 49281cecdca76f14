//! The judge's conclusions in words, for people: one headline per status, and the same labelled
//! lines under it in every command (`requirement`, `url`, `now at`, `recorded`, `declared`,
//! `observed`), aligned so that the recorded and observed hashes read as a diff.

use std::collections::BTreeMap;
use std::fmt::Write as _;

use super::{Printer, Style};
use crate::hash::HashDigest;
use crate::judge::{Judged, Outcome, Status, Verdict, Why};
use crate::requirements::edit::{Splice, apply};
use crate::requirements::load::Loaded;
use crate::survey::plural;

/// The entry a judgement is about, as messages name it.
#[derive(Debug, Clone)]
pub(crate) struct About {
    /// The requirement as it may be shown (credentials redacted).
    pub(crate) requirement: String,
    /// `requirements.txt:3`, when the lockfile has an entry.
    pub(crate) location: Option<String>,
}

impl About {
    /// `req (requirements.txt:3)`, or `req` alone.
    pub(crate) fn located(&self) -> String {
        match &self.location {
            Some(location) => format!("{} ({location})", self.requirement),
            None => self.requirement.to_string(),
        }
    }
}

/// One sentence that says what became of the artifact.
pub(crate) fn headline(judged: &Judged, about: &About) -> String {
    let file = &judged.filename;
    let requirement = &about.requirement;
    match judged.status {
        Status::Verified | Status::Adopted => {
            format!("`{file}` matches a hash recorded for `{requirement}`")
        }
        Status::RecordedNow => format!("`{file}` recorded for `{requirement}`"),
        Status::Changed => match &judged.served_as {
            Some(name) => format!("`{file}` changed since it was locked (served now as `{name}`)"),
            None => format!("`{file}` changed since it was locked"),
        },
        Status::Republished => format!(
            "`{file}` is served with a hash the lockfile does not record, while a recorded hash matches no file: it was probably republished"
        ),
        Status::NothingMatches => format!(
            "none of the {} recorded {} belongs to a file of `{requirement}`: the pin was changed without re-locking, or every file was replaced",
            judged.recorded.len(),
            plural(judged.recorded.len(), "hash", "hashes"),
        ),
        Status::IndexMismatch => {
            format!("the index declares a digest that `{file}` does not have")
        }
        Status::NoMatch => format!(
            "`{file}` matches none of the {} {} recorded for `{requirement}`",
            judged.recorded.len(),
            plural(judged.recorded.len(), "hash", "hashes"),
        ),
        Status::NotRecorded if judged.recorded_as.is_empty() => {
            format!("`{file}` is not recorded for `{requirement}`")
        }
        Status::NotRecorded => {
            let mut names = judged.recorded_as.clone();
            names.sort();
            names.dedup();
            let others = names.len();
            format!(
                "`{file}` is not recorded for `{requirement}`, but {others} other {} of it {}",
                plural(others, "file", "files"),
                plural(others, "is", "are"),
            )
        }
        Status::Renamed => {
            let names: Vec<String> = judged
                .recorded_as
                .iter()
                .map(|name| format!("`{name}`"))
                .collect();
            format!(
                "`{file}` has the bytes the lockfile records for {}",
                names.join(", ")
            )
        }
        Status::Missing if file.is_empty() => {
            format!("`{requirement}`: no file served now has a recorded hash")
        }
        Status::Missing => match judged.why {
            Some(Why::NotFound | Why::NewUrlNotFound) => {
                format!("`{file}` is recorded, but its URL answers 404 Not Found or 410 Gone")
            }
            _ => format!("`{file}` is recorded but no longer listed; its hash is kept"),
        },
        Status::Unmatched => format!(
            "no file served now has the hash `{}` recorded for `{requirement}`",
            judged
                .recorded
                .first()
                .map(crate::hash::HashDigest::short)
                .unwrap_or_default()
        ),
        Status::Moved => format!(
            "`{file}` was recorded from `{}`, not from `{}`",
            judged.url,
            judged.current_url.as_deref().unwrap_or_default()
        ),
        Status::Inconsistent if judged.why == Some(Why::ForeignFile) => format!(
            "`{requirement}` records `{file}`, which is not a file of that release: the lockfile was edited"
        ),
        Status::Inconsistent if judged.why == Some(Why::UnpinnedRecord) => format!(
            "the hash recorded for `{file}` is not among the `--hash` options of `{requirement}`: its `--hash` was edited"
        ),
        Status::Inconsistent => format!(
            "`{requirement}` has a `--hash` that no `# hashpin:` line names{}: it was added by hand",
            if file.is_empty() {
                String::new()
            } else {
                format!(", and `{file}` has exactly those bytes")
            }
        ),
        Status::NotAnArchive => format!(
            "`{file}` cannot be recorded: `{}` sent {}, not {}",
            judged.url,
            judged.arrived.as_deref().unwrap_or("something else"),
            if file.to_ascii_lowercase().ends_with(".whl") {
                "a wheel"
            } else {
                "an sdist"
            }
        ),
        Status::Unrecordable if about.location.is_some() => {
            format!("`{requirement}` records no hashes, so `{file}` cannot be checked")
        }
        Status::Unrecordable => format!(
            "`{requirement}` is not in the lockfile, and nothing may be recorded now, so `{file}` cannot be checked"
        ),
    }
}

/// Why a file is missing or moved, or why its bytes differ, in words a reviewer can act on.
pub(crate) fn why(judged: &Judged) -> Option<&'static str> {
    Some(match (judged.status, judged.why) {
        (Status::Missing, Some(Why::GoneFromListing)) => "gone from the index's listing",
        (Status::Missing, Some(Why::NotFound)) => "its URL answers 404 Not Found or 410 Gone",
        (Status::Missing, Some(Why::NewUrlNotFound)) => {
            "the index lists it at a new URL that answers 404 Not Found or 410 Gone"
        }
        (Status::Moved, Some(Why::RecordedUrlGone)) => {
            "the recorded URL answers 404; the index serves the same bytes elsewhere"
        }
        (Status::Moved, _) => "the index lists the same bytes at a new URL",
        (Status::Republished, _) => {
            "served with a hash the lockfile does not record, while a recorded hash matches no file: probably republished"
        }
        (Status::NothingMatches, _) => {
            "none of the recorded hashes belongs to a file of this release: the pin was changed without re-locking, or every file was replaced"
        }
        (Status::Unmatched, _) => "no file served now has this recorded hash",
        (Status::Inconsistent, Some(Why::ForeignFile)) => {
            "its `# hashpin:` line names a file of another release: the lockfile was edited"
        }
        (Status::Inconsistent, Some(Why::UnpinnedRecord)) => {
            "its `# hashpin:` line names a hash that no `--hash` option carries: the lockfile was edited"
        }
        (Status::Inconsistent, _) => {
            "a `--hash` that no `# hashpin:` line names, in an entry that records where each hash came from: the lockfile was edited"
        }
        (Status::Renamed, _) => "the bytes the lockfile records for another filename",
        (Status::NotAnArchive, _) => {
            "the index answered with something other than the file (an error page, a cut-off transfer); nothing was recorded"
        }
        _ => return None,
    })
}

/// The labelled lines under a headline, each on its own line, indented by two spaces, labels
/// padded to one width.
pub(crate) fn details(printer: &Printer, judged: &Judged, about: Option<&About>) -> String {
    let mut lines: Vec<(&str, String)> = Vec::new();
    if let Some(about) = about {
        lines.push(("requirement", about.located()));
    }
    if !judged.url.is_empty() {
        lines.push(("url", judged.url.clone()));
    }
    if let Some(current) = &judged.current_url
        && judged.status != Status::Moved
    {
        lines.push(("now at", current.clone()));
    }
    // Said in the headline of a refusal to record; for a changed file it is news.
    if let Some(arrived) = &judged.arrived
        && judged.status != Status::NotAnArchive
    {
        lines.push(("arrived", arrived.clone()));
    }
    for (index, hash) in judged.recorded.iter().enumerate() {
        let label = if index == 0 { "recorded" } else { "" };
        let mut value = printer.err_style(Style::Red, &hash.to_string());
        if let Some(name) = judged
            .recorded_as
            .get(index)
            .filter(|name| **name != judged.filename)
            && matches!(judged.status, Status::Renamed | Status::NotRecorded)
        {
            let _ = write!(value, "  {name}");
        }
        lines.push((label, value));
    }
    // A digest the requirement's own URL fragment declares is already shown as recorded.
    for declared in judged
        .declared
        .iter()
        .filter(|d| !judged.recorded.contains(d))
    {
        lines.push((
            "declared",
            printer.err_style(Style::Red, &declared.to_string()),
        ));
    }
    if let Some(observed) = &judged.observed
        && !(judged.recorded.contains(observed) && judged.status != Status::IndexMismatch)
    {
        lines.push((
            "observed",
            printer.err_style(Style::Green, &observed.to_string()),
        ));
    }
    let width = lines
        .iter()
        .map(|(label, _)| label.len())
        .max()
        .unwrap_or(0)
        + 1;
    let mut text = String::new();
    for (label, value) in lines {
        let label = if label.is_empty() {
            String::new()
        } else {
            format!("{label}:")
        };
        let _ = write!(text, "\n  {label:width$} {value}");
    }
    text
}

/// Every refusing judgement of a verdict, as `error:` blocks on stderr.
pub(crate) fn print_failures(printer: &Printer, about: &About, verdict: &Verdict) {
    for judged in verdict
        .artifacts
        .iter()
        .filter(|judged| verdict.outcome_of(judged) >= Outcome::Retry)
    {
        printer.error_text(&format!(
            "{}{}",
            headline(judged, about),
            details(printer, judged, Some(about))
        ));
    }
}

/// The diff each document would get from its splices, on stderr: the lockfile as recorded
/// against the lockfile as it would read if what was observed were accepted.
pub(crate) fn print_lockfile_diffs(
    printer: &Printer,
    loaded: &[Loaded],
    splices: BTreeMap<usize, Vec<Splice>>,
) {
    for (document_index, splices) in splices {
        let document = &loaded[document_index].document;
        let accepted = apply(&document.source, splices);
        let diff = printer.diff(
            false,
            &document.path.display().to_string(),
            &document.source,
            &accepted,
        );
        printer.err(diff.trim_end_matches('\n'));
    }
}

/// What refused, counted: `1 recorded artifact changed, 1 declared digest wrong`.
pub(crate) fn refusal_counts(verdicts: &[&Verdict]) -> String {
    let count = |wanted: &[Status]| {
        verdicts
            .iter()
            .flat_map(|verdict| {
                verdict
                    .artifacts
                    .iter()
                    .filter(|judged| verdict.outcome_of(judged) >= Outcome::Retry)
            })
            .filter(|judged| wanted.contains(&judged.status))
            .count()
    };
    let changed = count(&[
        Status::Changed,
        Status::Republished,
        Status::NothingMatches,
        Status::NoMatch,
    ]);
    let edited = count(&[Status::Inconsistent]);
    let lied = count(&[Status::IndexMismatch]);
    let unrecorded = count(&[Status::NotRecorded, Status::Unrecordable]);
    let not_archives = count(&[Status::NotAnArchive]);
    let parts: Vec<String> = [
        (
            changed,
            "recorded artifact",
            "recorded artifacts",
            "changed",
        ),
        (edited, "recorded hash", "recorded hashes", "inconsistent"),
        (lied, "declared digest", "declared digests", "wrong"),
        (unrecorded, "artifact", "artifacts", "not recorded"),
        (not_archives, "download", "downloads", "not an archive"),
    ]
    .into_iter()
    .filter(|(count, ..)| *count > 0)
    .map(|(count, one, many, what)| format!("{count} {} {what}", plural(count, one, many)))
    .collect();
    parts.join(", ")
}

/// The end of a refusal: how to re-record, when bytes changed, and what refused.
pub(crate) fn print_refusal_summary(
    printer: &Printer,
    verdicts: &[&Verdict],
    names: &[String],
    tail: &str,
) {
    let changed = verdicts.iter().any(|verdict| {
        verdict.with_outcome(Outcome::Fail).any(|judged| {
            matches!(
                judged.status,
                Status::Changed
                    | Status::Republished
                    | Status::NothingMatches
                    | Status::Inconsistent
            )
        })
    });
    if changed {
        printer.err(&format!(
            "{} only if you know why the bytes changed: `hashpin lock --update {}`",
            printer.err_style(Style::Cyan, "hint: re-record"),
            names.join(" ")
        ));
    }
    let not_archives = verdicts.iter().any(|verdict| {
        verdict
            .with_outcome(Outcome::Fail)
            .any(|judged| judged.status == Status::NotAnArchive)
    });
    if not_archives {
        printer.hint(
            "the index answered with something other than the file (an error page, a cut-off transfer); try again later, or ask the index's operator",
        );
    }
    printer.refused(&format!("{}; {tail}", refusal_counts(verdicts)));
}

/// What `lock` tells a person about an entry it writes: files new on the index (one warning per
/// entry), files gone, hashes that match nothing, moves, yanks and deliberate re-records.
pub(crate) fn print_lock_warnings(
    printer: &Printer,
    about: &About,
    verdict: &Verdict,
    project: &str,
) {
    let at = about.location.as_deref().unwrap_or("");
    let requirement = &about.requirement;
    let warned = |judged: &&Judged| verdict.outcome_of(judged) == Outcome::Warn;
    let added: Vec<&str> = verdict
        .artifacts
        .iter()
        .filter(warned)
        .filter(|judged| matches!(judged.status, Status::NotRecorded | Status::Renamed))
        .map(|judged| judged.filename.as_str())
        .collect();
    // New files come in groups (every wheel of a new platform): one warning, the first few named.
    if let [only] = added[..] {
        printer.warning(&format!(
            "{at}: `{requirement}`: the index now also serves `{only}`, which the lockfile does not record\nhint: record it after review with `hashpin lock --update {project}`"
        ));
    } else if !added.is_empty() {
        let shown: Vec<String> = added
            .iter()
            .take(3)
            .map(|name| format!("`{name}`"))
            .collect();
        let more = added.len().saturating_sub(3);
        printer.warning(&format!(
            "{at}: `{requirement}`: the index serves {} files the lockfile does not record: {}{}\nhint: record them after review with `hashpin lock --update {project}`",
            added.len(),
            shown.join(", "),
            if more > 0 { format!(" and {more} more") } else { String::new() }
        ));
    }
    let moved: Vec<&Judged> = verdict
        .artifacts
        .iter()
        .filter(warned)
        .filter(|judged| judged.status == Status::Moved)
        .collect();
    if let Some(first) = moved.first() {
        printer.warning(&format!(
            "{at}: `{requirement}`: {} recorded {} now served from another URL (`{}` now at `{}`); the records keep the URLs they were made from\nhint: record the new URLs with `hashpin lock --update {project}`",
            moved.len(),
            plural(moved.len(), "file is", "files are"),
            first.filename,
            first.current_url.as_deref().unwrap_or_default(),
        ));
    }
    for judged in &verdict.artifacts {
        let outcome = verdict.outcome_of(judged);
        let message = match judged.status {
            Status::Missing if outcome == Outcome::Warn => Some(format!(
                "{at}: `{requirement}`: `{}` is recorded but no longer listed; its hash is kept\nhint: drop it with `hashpin lock --update {project}`",
                judged.filename
            )),
            Status::Unmatched if outcome == Outcome::Warn => Some(format!(
                "{at}: `{requirement}`: no file served now has the recorded hash `{}`",
                judged
                    .recorded
                    .first()
                    .map(HashDigest::short)
                    .unwrap_or_default()
            )),
            Status::Changed | Status::Republished if outcome == Outcome::Warn => Some(format!(
                "{at}: `{}` re-recorded: {} -> {}",
                judged.filename,
                judged
                    .recorded
                    .first()
                    .map(HashDigest::short)
                    .unwrap_or_default(),
                judged
                    .observed
                    .as_ref()
                    .map(HashDigest::short)
                    .unwrap_or_default()
            )),
            _ => None,
        };
        if let Some(message) = message {
            printer.warning(&message);
        }
        match judged.yanked.as_deref() {
            Some("") => printer.warning(&format!("{at}: `{}` is yanked", judged.filename)),
            Some(reason) => {
                printer.warning(&format!("{at}: `{}` is yanked: {reason}", judged.filename));
            }
            None => {}
        }
    }
}
