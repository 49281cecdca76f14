//! `hashpin install`'s report: every refused artifact with the judge's reasons and the diff the
//! lockfile would need, for people; one `hashpin-install/1` document for CI.

use std::collections::BTreeMap;
use std::fmt::Write as _;

use serde::Serialize;

use super::Printer;
use super::verdict::{About, details, print_lockfile_diffs};
use crate::hash::HashDigest;
use crate::judge::{Judged, Status};
use crate::pip::Resolved;
use crate::requirements::edit::Splice;
use crate::requirements::load::Loaded;
use crate::safe_url::Redacted;
use crate::survey::plural;

/// An artifact refused, and why.
pub(crate) struct Refusal {
    /// The artifact.
    pub(crate) resolved: Resolved,
    /// One sentence naming the file.
    pub(crate) message: String,
    /// What to do about it.
    pub(crate) hint: Option<String>,
    /// The judge's view, when an entry judged the file.
    pub(crate) judged: Option<Judged>,
    /// The entry, when there is one.
    pub(crate) about: Option<About>,
    /// The sha256 of the bytes, when downloaded.
    pub(crate) observed: Option<HashDigest>,
    /// The edit the lockfile would need to accept the bytes: (document, splice).
    pub(crate) edit: Option<(usize, Splice)>,
}

impl Refusal {
    /// A refusal with nothing but its sentence.
    pub(crate) fn new(resolved: &Resolved, message: String) -> Self {
        Self {
            resolved: resolved.clone(),
            message,
            hint: None,
            judged: None,
            about: None,
            observed: None,
            edit: None,
        }
    }
}

/// One artifact in the JSON report.
#[derive(Debug, Serialize)]
pub(crate) struct ArtifactJson {
    pub(crate) project: String,
    pub(crate) version: String,
    pub(crate) filename: String,
    pub(crate) url: String,
    /// `verified`, `recorded`, `refused` or `hook-refused`.
    pub(crate) status: &'static str,
    pub(crate) expected: Vec<String>,
    pub(crate) observed: Option<String>,
    pub(crate) message: Option<String>,
}

/// The JSON document `--format json` prints (schema `hashpin-install/1`).
#[derive(Debug, Serialize)]
pub(crate) struct InstallJson {
    pub(crate) schema: &'static str,
    /// `installed`, `refused` or `error`.
    pub(crate) outcome: &'static str,
    pub(crate) exit_code: u8,
    pub(crate) artifacts: Vec<ArtifactJson>,
    pub(crate) errors: Vec<String>,
}

impl ArtifactJson {
    /// An artifact that passed: verified against its record, or recorded now.
    pub(crate) fn passed(resolved: &Resolved, sha256: &HashDigest, recorded_now: bool) -> Self {
        Self {
            project: resolved.project.to_string(),
            version: resolved.version.clone(),
            filename: resolved.filename.clone(),
            url: Redacted(&resolved.url).to_string(),
            status: if recorded_now { "recorded" } else { "verified" },
            expected: Vec::new(),
            observed: Some(sha256.to_string()),
            message: None,
        }
    }

    /// A refused artifact, with the hashes it was held against.
    pub(crate) fn refused(refusal: &Refusal) -> Self {
        Self {
            project: refusal.resolved.project.to_string(),
            version: refusal.resolved.version.clone(),
            filename: refusal.resolved.filename.clone(),
            url: Redacted(&refusal.resolved.url).to_string(),
            status: "refused",
            expected: refusal
                .judged
                .iter()
                .flat_map(|judged| &judged.recorded)
                .map(ToString::to_string)
                .collect(),
            observed: refusal.observed.as_ref().map(ToString::to_string),
            message: Some(refusal.message.clone()),
        }
    }
}

/// Every refusal with both sides, then the diff the lockfile would need to accept them.
pub(crate) fn print_refusals(
    printer: &Printer,
    refusals: &[Refusal],
    verified: usize,
    loaded: &[Loaded],
) {
    let mut splices: BTreeMap<usize, Vec<Splice>> = BTreeMap::new();
    for refusal in refusals {
        let mut text = refusal.message.clone();
        let judged = refusal.judged.clone().unwrap_or_else(|| {
            let mut shown = Judged::new(
                Status::Unrecordable,
                &refusal.resolved.filename,
                Redacted(&refusal.resolved.url).to_string(),
            );
            shown.observed.clone_from(&refusal.observed);
            shown
        });
        text.push_str(&details(printer, &judged, refusal.about.as_ref()));
        if let Some(hint) = &refusal.hint {
            let _ = write!(text, "\nhint: {hint}");
        }
        printer.error_text(&text);
        if let Some((document, splice)) = &refusal.edit {
            splices.entry(*document).or_default().push(splice.clone());
        }
    }
    print_lockfile_diffs(printer, loaded, splices);
    printer.refused(&format!(
        "{} {} refused, {verified} verified; nothing installed, the lockfile unchanged",
        refusals.len(),
        plural(refusals.len(), "artifact", "artifacts"),
    ));
}
