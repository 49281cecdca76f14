//! `hashpin check`: audit the index for changed, added and removed artifacts of every locked
//! release, without writing anything.
//!
//! The recipe: load the lockfiles; list every locked release again; download every recorded
//! artifact again (from its recorded URL, and from the index's current URL where that differs)
//! and every file the lockfile does not record; give each artifact one [`Status`]; for a changed
//! artifact whose earlier bytes are in the cache, say what changed inside and why the bytes
//! differ; report per project, with a diff of the lockfile lines as recorded against the lines as
//! the index serves them now.

use std::collections::{BTreeMap, HashMap};
use std::fmt::Write as _;

use anyhow::Result;
use serde::Serialize;
use url::Url;

use crate::artifact::same_artifact;
use crate::cache::Cache;
use crate::cli::{CheckArgs, OutputFormat};
use crate::commands::Context;
use crate::error::{NoReleaseFiles, Status as ExitStatus};
use crate::fetch::{FetchError, FetchRequest, Fetched};
use crate::hash::{HashAlgorithm, HashDigest};
use crate::inspect::{self, Difference};
use crate::lockfile::{Candidate, Lockable, Observation, Seen, candidate_for, judge};
use crate::report::{Printer, Style, unified_diff};
use crate::requirements::Provenance;
use crate::requirements::edit::{apply, pin};
use crate::requirements::load::{Loaded, load};
use crate::safe_url::recordable;
use crate::survey::{self, Plan, location, plural};

/// What became of one artifact.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Status {
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

impl Status {
    /// Every status, in report order.
    const ALL: [Status; 7] = [
        Self::Unchanged,
        Self::Changed,
        Self::IndexMismatch,
        Self::Missing,
        Self::Added,
        Self::Yanked,
        Self::Moved,
    ];

    fn as_str(self) -> &'static str {
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

    /// Changed bytes and lying indexes always fail.
    fn is_failure(self) -> bool {
        matches!(self, Self::Changed | Self::IndexMismatch)
    }

    /// Reported as a warning; a failure with `--strict`.
    fn is_warning(self) -> bool {
        matches!(
            self,
            Self::Missing | Self::Added | Self::Yanked | Self::Moved
        )
    }

    fn style(self) -> Option<Style> {
        match self {
            Self::Unchanged => None,
            Self::Changed | Self::IndexMismatch => Some(Style::Red),
            Self::Missing | Self::Added | Self::Yanked | Self::Moved => Some(Style::Yellow),
        }
    }
}

/// What changed inside a changed artifact, for the JSON report.
#[derive(Debug, Clone, Serialize)]
struct Inside {
    added: Vec<String>,
    removed: Vec<String>,
    changed: Vec<String>,
    notable: Vec<String>,
    metadata_diff: Option<String>,
}

/// One artifact's verdict.
#[derive(Debug, Clone, Serialize)]
struct ArtifactReport {
    project: String,
    version: String,
    requirement: String,
    lockfile: String,
    line: usize,
    filename: String,
    /// The URL on record, or where an added file is served.
    url: String,
    /// Where the index serves it now, when that differs from `url`.
    current_url: Option<String>,
    status: Status,
    recorded: Option<String>,
    observed: Option<String>,
    /// Digests the index declares that the bytes do not have.
    declared: Vec<String>,
    /// Why the bytes differ, in words, when they do.
    reason: Option<String>,
    /// What changed inside the archive, when the earlier bytes were cached.
    inside: Option<Inside>,
    /// `inspect::render` text for people.
    #[serde(skip)]
    inside_text: Option<String>,
    /// PEP 592 reason, when yanked.
    yank_reason: Option<String>,
}

/// The JSON document `--format json` prints.
#[derive(Serialize)]
struct JsonReport<'a> {
    schema: &'static str,
    files: Vec<String>,
    exit_code: u8,
    summary: BTreeMap<&'static str, usize>,
    artifacts: &'a [ArtifactReport],
    errors: Vec<String>,
}

/// Runs `hashpin check`.
pub fn run(args: &CheckArgs, context: &Context) -> Result<ExitStatus> {
    let printer = &context.printer;
    let files = survey::requirement_files(&args.files, "check")?;
    let loaded = load(&files, &*context.env)?;
    let mut plans = survey::plan_entries(&loaded, printer)?;
    let client = survey::open_client(&args.index, &loaded, &*context.env)?;
    let filter = survey::target_filter(&args.target)?;
    let jobs = args.download.jobs.max(1);
    // A release with no files at all is not an input error here: its artifacts are missing.
    let mut problems: Vec<anyhow::Error> =
        survey::find_candidates(&mut plans, &loaded, &client, &filter, jobs, printer)
            .into_iter()
            .filter(|problem| !problem.is::<NoReleaseFiles>())
            .collect();
    for plan in &plans {
        let (document, line, entry) = plan.line(&loaded);
        if entry.recorded_hashes().is_empty() {
            printer.warning(&format!(
                "{}: `{}` has no recorded hashes, so there is nothing to check\nhint: record them with `hashpin lock`",
                location(document, line),
                entry.shown()
            ));
        }
    }

    let requests = fetch_requests(&plans, &loaded);
    let cache = if args.download.no_cache {
        None
    } else {
        Cache::from_env(&*context.env)
    };
    let results = survey::download_each(&client, cache.as_ref(), &requests, jobs, printer);
    for request in &requests {
        if let Some(Err(error)) = results.get(&request.url)
            && !matches!(error, FetchError::NotFound(_))
        {
            problems.push(anyhow::anyhow!("{error}"));
        }
    }

    let mut reports = Vec::new();
    let mut diffs: BTreeMap<usize, String> = BTreeMap::new();
    for (index, plan) in plans.iter().enumerate() {
        let audit = Audit {
            plan,
            loaded: &loaded,
            results: &results,
            cache: cache.as_ref(),
        };
        let artifacts = audit.artifacts();
        if artifacts
            .iter()
            .any(|artifact| artifact.status != Status::Unchanged)
        {
            diffs.insert(index, audit.diff());
        }
        reports.push(artifacts);
    }

    let all: Vec<ArtifactReport> = reports.iter().flatten().cloned().collect();
    let status = exit_status(&all, &problems, args.strict);
    match args.format {
        OutputFormat::Json => print_json(&files, &all, &problems, status, printer)?,
        OutputFormat::Text => print_text(&plans, &loaded, &reports, &diffs, &problems, printer),
    }
    Ok(status)
}

/// 1 for a changed artifact or a lying index (or, with `--strict`, any warning); else 4 if
/// anything could not be checked; else 0.
fn exit_status(
    artifacts: &[ArtifactReport],
    problems: &[anyhow::Error],
    strict: bool,
) -> ExitStatus {
    let failed = artifacts
        .iter()
        .any(|artifact| artifact.status.is_failure() || (strict && artifact.status.is_warning()));
    if failed {
        ExitStatus::Failure
    } else if !problems.is_empty() {
        ExitStatus::Error
    } else {
        ExitStatus::Success
    }
}

/// Every URL to download: each recorded URL, each file's current URL, each unrecorded file.
fn fetch_requests(plans: &[Plan], loaded: &[Loaded]) -> Vec<FetchRequest> {
    let mut by_url: BTreeMap<String, FetchRequest> = BTreeMap::new();
    let mut add = |url: &Url, algorithms: &[HashAlgorithm]| {
        let request = by_url
            .entry(url.to_string())
            .or_insert_with(|| FetchRequest {
                url: url.clone(),
                algorithms: vec![HashAlgorithm::Sha256],
            });
        request.algorithms.extend_from_slice(algorithms);
        request.algorithms.sort();
        request.algorithms.dedup();
    };
    for plan in plans {
        let (_, _, entry) = plan.line(loaded);
        let recorded: Vec<HashAlgorithm> = entry
            .recorded_hashes()
            .iter()
            .map(|hash| hash.algorithm)
            .collect();
        if recorded.is_empty() {
            continue;
        }
        for record in entry.recorded_provenance() {
            if let Ok(url) = Url::parse(&record.url) {
                add(&url, &recorded);
            }
        }
        for candidate in &plan.candidates {
            let declared: Vec<HashAlgorithm> = candidate
                .declared
                .iter()
                .map(|digest| digest.algorithm)
                .chain(recorded.iter().copied())
                .collect();
            add(&candidate.url, &declared);
        }
    }
    by_url.into_values().collect()
}

/// Judging one plan's artifacts.
struct Audit<'a> {
    plan: &'a Plan,
    loaded: &'a [Loaded],
    results: &'a HashMap<Url, Result<Fetched, FetchError>>,
    cache: Option<&'a Cache>,
}

impl Audit<'_> {
    fn fetched(&self, url: &Url) -> Option<&Fetched> {
        self.results
            .get(url)
            .and_then(|result| result.as_ref().ok())
    }

    fn gone(&self, url: &Url) -> bool {
        matches!(self.results.get(url), Some(Err(FetchError::NotFound(_))))
    }

    /// A report with the plan's common fields filled in.
    fn blank(&self, filename: &str, url: String, status: Status) -> ArtifactReport {
        let (document, line, entry) = self.plan.line(self.loaded);
        let (project, version) = match &self.plan.lockable {
            Lockable::Release { project, .. } => (
                project.to_string(),
                crate::artifact::ArtifactName::parse(filename, Some(project))
                    .map(|name| name.version_text)
                    .unwrap_or_default(),
            ),
            Lockable::Url { .. } => (
                self.plan
                    .project(self.loaded)
                    .map(|project| project.to_string())
                    .unwrap_or_default(),
                String::new(),
            ),
        };
        ArtifactReport {
            project,
            version,
            requirement: entry.shown(),
            lockfile: document.path.display().to_string(),
            line: line.number,
            filename: filename.to_string(),
            url,
            current_url: None,
            status,
            recorded: None,
            observed: None,
            declared: Vec::new(),
            reason: None,
            inside: None,
            inside_text: None,
            yank_reason: None,
        }
    }

    fn artifacts(&self) -> Vec<ArtifactReport> {
        let (_, _, entry) = self.plan.line(self.loaded);
        let recorded = entry.recorded_hashes();
        if recorded.is_empty() {
            return Vec::new();
        }
        let records = entry.recorded_provenance();
        let mut reports = Vec::new();
        // An artifact that could not be downloaded at all has no status: the failure is
        // reported as an operational error (exit 4), never as `missing`.
        reports.extend(
            records
                .iter()
                .filter_map(|record| self.recorded_artifact(record)),
        );
        // Files the lockfile does not record by name.
        let mut unrecorded = Vec::new();
        for candidate in &self.plan.candidates {
            if records
                .iter()
                .any(|record| same_artifact(&record.filename, &candidate.filename))
            {
                continue;
            }
            // Not downloaded: the error is reported (exit 4); no verdict on bytes unseen.
            if self.fetched(&candidate.url).is_none() {
                continue;
            }
            let observed = self
                .fetched(&candidate.url)
                .and_then(|fetched| fetched.digests.get(HashAlgorithm::Sha256).cloned());
            let matches_bare = self.fetched(&candidate.url).is_some_and(|fetched| {
                recorded
                    .iter()
                    .any(|hash| fetched.digests.get(hash.algorithm) == Some(hash))
            });
            let status = if matches_bare {
                self.index_verdict(candidate, Status::Unchanged)
            } else {
                Status::Added
            };
            let mut report = self.blank(&candidate.filename, recordable(&candidate.url), status);
            report.observed = observed.map(|hash| hash.to_string());
            report.yank_reason.clone_from(&candidate.yanked);
            report.declared = self.lying_digests(candidate);
            if !report.declared.is_empty() {
                report.status = Status::IndexMismatch;
            } else if report.status == Status::Unchanged && candidate.yanked.is_some() {
                report.status = Status::Yanked;
            }
            unrecorded.push(report);
        }
        // Hashes recorded without a filename that match no file: their file is missing, or it
        // is one of the added files, republished.
        // Only when every file was seen can a recorded hash be said to match none of them.
        let all_seen = self
            .plan
            .candidates
            .iter()
            .all(|candidate| self.fetched(&candidate.url).is_some());
        let unmatched: Vec<&HashDigest> = recorded
            .iter()
            .filter(|_| all_seen)
            .filter(|hash| records.iter().all(|record| &record.hash != *hash))
            .filter(|hash| {
                self.plan.candidates.iter().all(|candidate| {
                    self.fetched(&candidate.url)
                        .is_none_or(|fetched| fetched.digests.get(hash.algorithm) != Some(*hash))
                })
            })
            .collect();
        for report in &mut unrecorded {
            if report.status == Status::Added && !unmatched.is_empty() {
                report.status = Status::Changed;
                report.reason = Some(
                    "served with a hash the lockfile does not record, while a recorded hash matches no file: probably republished".into(),
                );
            }
        }
        reports.extend(unrecorded);
        for hash in unmatched {
            let mut report = self.blank("", String::new(), Status::Missing);
            report.recorded = Some(hash.to_string());
            report.reason = Some("no file served now has this recorded hash".into());
            reports.push(report);
        }
        reports
    }

    /// The status of a file the entry records by name.
    fn recorded_artifact(&self, record: &Provenance) -> Option<ArtifactReport> {
        let recorded_url = Url::parse(&record.url).ok();
        let candidate = candidate_for(record, &self.plan.candidates);
        let mut report = self.blank(&record.filename, record.url.clone(), Status::Unchanged);
        report.recorded = Some(record.hash.to_string());
        if let Some(candidate) = candidate
            && candidate.recorded_url() != record.url
        {
            report.current_url = Some(candidate.recorded_url());
        }

        // Every place the bytes were fetched from: the recorded URL and the current one.
        let mut sightings: Vec<(&Url, &Fetched)> = Vec::new();
        if let Some(url) = &recorded_url
            && let Some(fetched) = self.fetched(url)
        {
            sightings.push((url, fetched));
        }
        if let Some(candidate) = candidate
            && Some(&candidate.url) != recorded_url.as_ref()
            && let Some(fetched) = self.fetched(&candidate.url)
        {
            sightings.push((&candidate.url, fetched));
        }
        if let Some((url, fetched)) = sightings
            .iter()
            .find(|(_, fetched)| fetched.digests.get(record.hash.algorithm) != Some(&record.hash))
        {
            let observed = fetched
                .digests
                .get(record.hash.algorithm)
                .or_else(|| fetched.digests.get(HashAlgorithm::Sha256))
                .cloned();
            report.status = Status::Changed;
            report.observed = observed.map(|hash| hash.to_string());
            if Some(*url) != recorded_url.as_ref() {
                report.current_url = Some(recordable(url));
            }
            self.explain(record, fetched, &mut report);
            return Some(report);
        }
        if let Some((_, fetched)) = sightings.first() {
            report.observed = fetched
                .digests
                .get(record.hash.algorithm)
                .map(ToString::to_string);
        }
        let Some(candidate) = candidate else {
            report.status = Status::Missing;
            report.reason = Some("gone from the index's listing".into());
            return Some(report);
        };
        report.declared = self.lying_digests(candidate);
        if !report.declared.is_empty() {
            report.status = Status::IndexMismatch;
            return Some(report);
        }
        if sightings.is_empty() {
            // Neither URL could be read: a 404 is missing; anything else was reported as an
            // operational problem and stays unjudged here.
            let gone = recorded_url.as_ref().is_some_and(|url| self.gone(url))
                || self.gone(&candidate.url);
            if !gone {
                return None;
            }
            report.status = Status::Missing;
            report.reason = Some("its URL answers 404 Not Found".into());
            return Some(report);
        }
        if candidate.recorded_url() != record.url && self.fetched(&candidate.url).is_none() {
            if !self.gone(&candidate.url) {
                // The new URL could not be read: reported as an error, judged no further.
                return None;
            }
            report.status = Status::Missing;
            report.reason =
                Some("the index lists it at a new URL that answers 404 Not Found".into());
            return Some(report);
        }
        if candidate.recorded_url() != record.url {
            report.status = Status::Moved;
            report.reason = Some(if recorded_url.as_ref().is_some_and(|url| self.gone(url)) {
                "the recorded URL answers 404; the index serves the same bytes elsewhere".into()
            } else {
                "the index lists the same bytes at a new URL".into()
            });
            return Some(report);
        }
        report.status = self.index_verdict(candidate, Status::Unchanged);
        report.yank_reason.clone_from(&candidate.yanked);
        Some(report)
    }

    /// `Yanked` for a yanked file, else `otherwise`.
    fn index_verdict(&self, candidate: &Candidate, otherwise: Status) -> Status {
        if candidate.yanked.is_some() {
            Status::Yanked
        } else {
            otherwise
        }
    }

    /// Declared digests the downloaded bytes do not have.
    fn lying_digests(&self, candidate: &Candidate) -> Vec<String> {
        let Some(fetched) = self.fetched(&candidate.url) else {
            return Vec::new();
        };
        candidate
            .declared
            .iter()
            .filter(|declared| {
                fetched
                    .digests
                    .get(declared.algorithm)
                    .is_some_and(|observed| observed != *declared)
            })
            .map(ToString::to_string)
            .collect()
    }

    /// Why a recorded artifact's bytes differ, and what changed inside, from the cache.
    fn explain(&self, record: &Provenance, fetched: &Fetched, report: &mut ArtifactReport) {
        let Some(observed_path) = &fetched.cached else {
            report.reason = Some(
                "the new bytes were not kept (`--no-cache`), so they cannot be inspected".into(),
            );
            return;
        };
        let recorded_path = (record.hash.algorithm == HashAlgorithm::Sha256)
            .then(|| self.cache.and_then(|cache| cache.get(&record.hash)))
            .flatten();
        let difference =
            inspect::explain(recorded_path.as_deref(), observed_path, &record.filename);
        report.reason = Some(describe(&difference));
        // A file that claims to be another release may still carry what matters most (a new
        // `.pth`, a new dependency): compare the members too when the old bytes are at hand.
        let changes = match (&difference, &recorded_path) {
            (Difference::Modified(changes), _) => Some(changes.clone()),
            (Difference::DifferentFile { .. }, Some(recorded_path)) => {
                match (
                    inspect::summarize(recorded_path, &record.filename),
                    inspect::summarize(observed_path, &record.filename),
                ) {
                    (Ok(old), Ok(new)) => Some(inspect::compare(&old, &new)),
                    _ => None,
                }
            }
            _ => None,
        };
        if let Some(changes) = &changes {
            report.inside_text = Some(inspect::render(changes));
            report.inside = Some(Inside {
                added: changes.added.clone(),
                removed: changes.removed.clone(),
                changed: changes.changed.clone(),
                notable: changes.notable.iter().map(ToString::to_string).collect(),
                metadata_diff: changes.metadata_diff.clone(),
            });
        }
    }

    /// The lockfile lines as recorded against the lines as the index serves them now.
    fn diff(&self) -> String {
        let (document, line, entry) = self.plan.line(self.loaded);
        let observations: Vec<Observation> = self
            .plan
            .candidates
            .iter()
            .filter_map(|candidate| {
                let fetched = self.fetched(&candidate.url)?;
                Some(Observation {
                    candidate: candidate.clone(),
                    seen: Seen::Downloaded(fetched.digests.clone()),
                })
            })
            .collect();
        let verdict = judge(entry, &observations, true, HashAlgorithm::Sha256);
        let Some(splice) = pin(document, line, entry, &verdict.accepted) else {
            return String::new();
        };
        let now = apply(&document.source, vec![splice]);
        if document.source == now {
            String::new()
        } else {
            unified_diff(
                &document.path.display().to_string(),
                &document.source,
                &now,
                false,
            )
        }
    }
}

/// Why the bytes differ, in a sentence a reviewer can act on.
fn describe(difference: &Difference) -> String {
    match difference {
        Difference::Truncated {
            recorded_size,
            observed_size,
        } if *recorded_size > 0 => format!(
            "truncated: {observed_size} of {recorded_size} bytes, a cut-off download or a broken mirror rather than an attack"
        ),
        Difference::Truncated { observed_size, .. } => format!(
            "truncated: the archive ends early after {observed_size} bytes, a cut-off download or a broken mirror"
        ),
        Difference::NotAnArchive { looks_like } => format!(
            "not an archive: the index served {looks_like} under this name (an error page from a proxy or mirror?)"
        ),
        Difference::Repacked => {
            "repacked: the same members with the same contents in a re-written archive (a proxy re-compressing, or a re-upload)".into()
        }
        Difference::DifferentFile { name, version } => format!(
            "a different file: its metadata names `{name}` {version}, not this release"
        ),
        Difference::Modified(changes) => {
            let mut text = String::from("modified: the contents changed");
            if !changes.notable.is_empty() {
                let _ = write!(text, " ({} to review first)", changes.notable.len());
            }
            text
        }
        Difference::Unknown => {
            "the earlier bytes are not in the cache, so what changed inside cannot be shown".into()
        }
        Difference::Unreadable(error) => format!("the new bytes cannot be read as an archive: {error}"),
    }
}

fn summary(artifacts: &[ArtifactReport]) -> BTreeMap<&'static str, usize> {
    Status::ALL
        .iter()
        .map(|status| {
            (
                status.as_str(),
                artifacts
                    .iter()
                    .filter(|artifact| artifact.status == *status)
                    .count(),
            )
        })
        .collect()
}

fn print_json(
    files: &[std::path::PathBuf],
    artifacts: &[ArtifactReport],
    problems: &[anyhow::Error],
    status: ExitStatus,
    printer: &Printer,
) -> Result<()> {
    for problem in problems {
        printer.error(problem);
    }
    let report = JsonReport {
        schema: "hashpin-check/1",
        files: files
            .iter()
            .map(|file| file.display().to_string())
            .collect(),
        exit_code: status as u8,
        summary: summary(artifacts),
        artifacts,
        errors: problems.iter().map(ToString::to_string).collect(),
    };
    let mut text = serde_json::to_string_pretty(&report)?;
    text.push('\n');
    printer.out(&text)?;
    Ok(())
}

/// The width of the status column: the longest status and a space.
const STATUS_WIDTH: usize = 15;

fn print_text(
    plans: &[Plan],
    loaded: &[Loaded],
    reports: &[Vec<ArtifactReport>],
    diffs: &BTreeMap<usize, String>,
    problems: &[anyhow::Error],
    printer: &Printer,
) {
    for (index, (plan, artifacts)) in plans.iter().zip(reports).enumerate() {
        if artifacts.is_empty() {
            continue;
        }
        let (document, line, entry) = plan.line(loaded);
        let clean = artifacts
            .iter()
            .all(|artifact| artifact.status == Status::Unchanged);
        if clean {
            printer.info(&format!(
                "{} {} ({}): {} unchanged",
                printer.err_style(Style::Green, "ok"),
                entry.shown(),
                location(document, line),
                artifacts.len()
            ));
            continue;
        }
        printer.err(&printer.err_style(
            Style::Bold,
            &format!("{} ({})", entry.shown(), location(document, line)),
        ));
        for artifact in artifacts {
            print_artifact(artifact, printer);
        }
        if let Some(diff) = diffs.get(&index).filter(|diff| !diff.is_empty()) {
            printer.err(&color_diff(diff, printer));
        }
    }
    for problem in problems {
        printer.error(problem);
    }
    let all: Vec<&ArtifactReport> = reports.iter().flatten().collect();
    let releases = reports
        .iter()
        .filter(|artifacts| !artifacts.is_empty())
        .count();
    let counts: Vec<String> = Status::ALL
        .iter()
        .filter_map(|status| {
            let count = all
                .iter()
                .filter(|artifact| artifact.status == *status)
                .count();
            (count > 0).then(|| {
                let text = format!("{count} {}", status.as_str());
                match status.style() {
                    Some(style) => printer.err_style(style, &text),
                    None => text,
                }
            })
        })
        .collect();
    printer.err(&format!(
        "checked {releases} {}, {} {}: {}",
        plural(releases, "release", "releases"),
        all.len(),
        plural(all.len(), "artifact", "artifacts"),
        if counts.is_empty() {
            "nothing to check".to_string()
        } else {
            counts.join(", ")
        }
    ));
}

fn print_artifact(artifact: &ArtifactReport, printer: &Printer) {
    let label = format!("{:<STATUS_WIDTH$}", artifact.status.as_str());
    let label = match artifact.status.style() {
        Some(style) => printer.err_style(style, &label),
        None => label,
    };
    let name = if artifact.filename.is_empty() {
        "(a file recorded by hash only)"
    } else {
        &artifact.filename
    };
    printer.err(&format!("  {label}{name}"));
    if artifact.status == Status::Unchanged {
        return;
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
            printer.err_style(Style::Red, recorded)
        ));
    }
    if let Some(observed) = &artifact.observed
        && Some(observed) != artifact.recorded.as_ref()
    {
        lines.push(format!(
            "observed:  {}",
            printer.err_style(Style::Green, observed)
        ));
    }
    for declared in &artifact.declared {
        lines.push(format!(
            "declared:  {}",
            printer.err_style(Style::Red, declared)
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
        printer.err(&format!("{pad}{line}"));
    }
    if let Some(inside) = &artifact.inside_text {
        for line in inside.lines() {
            printer.err(&format!("{pad}  {line}"));
        }
    }
}

/// Colors a plain unified diff for stderr.
fn color_diff(diff: &str, printer: &Printer) -> String {
    diff.lines()
        .map(|line| {
            let style = if line.starts_with("---") || line.starts_with("+++") {
                Some(Style::Bold)
            } else if line.starts_with("@@") {
                Some(Style::Cyan)
            } else if line.starts_with('-') {
                Some(Style::Red)
            } else if line.starts_with('+') {
                Some(Style::Green)
            } else {
                None
            };
            match style {
                Some(style) => printer.err_style(style, line),
                None => line.to_string(),
            }
        })
        .collect::<Vec<_>>()
        .join("\n")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn statuses_are_kebab_case_in_json() {
        let names: Vec<String> = Status::ALL
            .iter()
            .map(|status| serde_json::to_string(status).unwrap())
            .collect();
        assert_eq!(
            names,
            [
                "\"unchanged\"",
                "\"changed\"",
                "\"index-mismatch\"",
                "\"missing\"",
                "\"added\"",
                "\"yanked\"",
                "\"moved\""
            ]
        );
        for status in Status::ALL {
            assert_eq!(
                serde_json::to_string(&status).unwrap(),
                format!("\"{}\"", status.as_str())
            );
        }
    }
}
