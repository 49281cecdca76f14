//! `hashpin check`: audit the index for changed, added and removed artifacts of every locked
//! release, without writing anything.
//!
//! The recipe: load the lockfiles; list every locked release again; download every recorded
//! artifact again (from its recorded URL, and from the index's current URL where that differs)
//! and every file the lockfile does not record; ask the judge about each release, recording
//! nothing; for a changed artifact whose earlier bytes are in the cache, say what changed inside
//! and why the bytes differ; report per release, with a diff of the lockfile lines as recorded
//! against the lines as the index serves them now.

use std::fmt::Write as _;

use anyhow::Result;
use url::Url;

use crate::artifact::ArtifactName;
use crate::cache::Cache;
use crate::cli::{CheckArgs, OutputFormat};
use crate::commands::Context;
use crate::downloads::{Downloaded, Earlier, Want};
use crate::error::{NoReleaseFiles, Status as ExitStatus};
use crate::fetch::{FetchError, Fetched};
use crate::hash::HashAlgorithm;
use crate::inspect::{self, Difference};
use crate::judge::{
    Bytes, Candidate, Judged, Outcome, Policy, Recording, Scope, Sighting, Status, Verdict, judge,
};
use crate::lockfile::PinIndex;
use crate::report::check::{
    self as view, ArtifactReport, CheckStatus, Inside, ReleaseReport, Unhashed,
};
use crate::report::unified_diff;
use crate::report::verdict::why;
use crate::requirements::edit::{apply, pin};
use crate::requirements::load::load;
use crate::survey::{self, Plan};

/// Runs `hashpin check`.
pub(crate) fn run(args: &CheckArgs, context: &Context) -> Result<ExitStatus> {
    let printer = &context.printer;
    let files = survey::requirement_files(&args.files, "check")?;
    let loaded = load(&files, &*context.env)?;
    let pins = PinIndex::new(&loaded);
    let mut plans = survey::plan_entries(&pins, &loaded, printer)?;
    // A pin with no hashes is a finding, not a pass: an audit that checks nothing must not
    // stay green after someone regenerates the lockfile without hashes.
    let mut unhashed = Vec::new();
    plans.retain(|plan| {
        let recorded = !plan.record().hashes.is_empty();
        if !recorded {
            unhashed.push(Unhashed {
                requirement: plan.label.clone(),
                lockfile: plan
                    .pin
                    .map(|pin| pin.document.path.display().to_string())
                    .unwrap_or_default(),
                line: plan.pin.map_or(0, |pin| pin.line.number),
            });
        }
        recorded
    });
    let client = survey::open_client(&args.index, &loaded, &*context.env)?;
    let filter = survey::target_filter(&args.target)?;
    let jobs = args.download.jobs.max(1);
    let cache = Cache::unless_disabled(args.download.no_cache, &*context.env);
    let (problems, downloads) = survey::list_and_download(
        &mut plans,
        &survey::Listing {
            client: &client,
            filter: &filter,
            jobs,
            second_opinion: survey::SecondOpinion::Always,
            cooldown: None,
            stop: None,
        },
        cache.as_ref(),
        &Earlier::default(),
        &wants,
        printer,
    );
    // A release with no files at all is not an input error here: its artifacts are missing.
    let mut problems: Vec<anyhow::Error> = problems
        .into_iter()
        .filter(|problem| !problem.is::<NoReleaseFiles>())
        .collect();
    // A file that is not there is reported as missing, not as a failure.
    for url in survey::failed_urls(&downloads) {
        if let Some(Err(error)) = downloads.get(&url)
            && !matches!(error, FetchError::NotFound(_))
        {
            problems.push(anyhow::anyhow!("{error}"));
        }
    }

    let mut releases = Vec::new();
    let mut outcome = Outcome::Pass;
    // A release whose listing failed is not judged: its failure is reported (exit 4), and no
    // file of it is called missing for want of an answer.
    for plan in plans.iter().filter(|plan| plan.listed) {
        let (sightings, fetched) = sightings(plan, &downloads);
        let verdict = judge(
            plan.record(),
            &sightings,
            Policy::new(Scope::Release, Recording::Never),
        );
        outcome = outcome.max(verdict.outcome());
        releases.push(release_report(plan, &verdict, &fetched, cache.as_ref()));
    }

    let verified = releases
        .iter()
        .flat_map(|release| &release.artifacts)
        .filter(|artifact| {
            matches!(
                artifact.status,
                CheckStatus::Unchanged | CheckStatus::Yanked | CheckStatus::Moved
            )
        })
        .count();
    let failed = outcome == Outcome::Fail
        || (args.strict && (outcome == Outcome::Warn || !unhashed.is_empty()))
        || (verified == 0 && problems.is_empty());
    let status = if failed {
        ExitStatus::Failure
    } else if !problems.is_empty() {
        ExitStatus::Error
    } else {
        ExitStatus::Success
    };
    match args.format {
        OutputFormat::Json => {
            let files: Vec<String> = files.iter().map(|f| f.display().to_string()).collect();
            view::print_json(printer, &files, &releases, &unhashed, &problems, status)?;
        }
        OutputFormat::Text => view::print_text(printer, &releases, &unhashed, &problems)?,
    }
    Ok(status)
}

/// What to download of a plan: each recorded URL, each file's current URL, each unrecorded
/// file, in every algorithm recorded or declared.
fn wants(plan: &Plan<'_>, candidates: &[Candidate]) -> Vec<Want> {
    let record = plan.record();
    let recorded: Vec<HashAlgorithm> = record.algorithms().collect();
    let mut wants = Vec::new();
    for provenance in &record.files {
        if let Ok(url) = Url::parse(&provenance.url) {
            wants.push(crate::downloads::want(&url, &recorded, None));
        }
    }
    for candidate in candidates {
        let declared: Vec<HashAlgorithm> = candidate
            .declared
            .iter()
            .map(|digest| digest.algorithm)
            .chain(recorded.iter().copied())
            .collect();
        wants.push(crate::downloads::want(&candidate.url, &declared, None));
    }
    wants
}

/// What the judge is shown for a release: every listed file, and every recorded URL the index
/// no longer lists, each with what its download gave; and the downloads, by sighting.
fn sightings<'d>(
    plan: &Plan<'_>,
    downloads: &'d Downloaded,
) -> (Vec<Sighting>, Vec<Option<&'d Fetched>>) {
    let bytes_at = |url: &Url| match downloads.get(url) {
        Some(Ok(fetched)) => (Bytes::Downloaded(fetched.digests.clone()), Some(fetched)),
        Some(Err(FetchError::NotFound(_))) => (Bytes::Gone, None),
        _ => (Bytes::Unread, None),
    };
    let mut sightings = Vec::new();
    let mut fetched = Vec::new();
    for candidate in &plan.candidates {
        let (bytes, download) = bytes_at(&candidate.url);
        sightings.push(Sighting {
            file: candidate.clone(),
            listed: true,
            bytes,
        });
        fetched.push(download);
    }
    let mut seen: Vec<String> = plan
        .candidates
        .iter()
        .map(Candidate::recorded_url)
        .collect();
    for provenance in &plan.record().files {
        let Ok(url) = Url::parse(&provenance.url) else {
            continue;
        };
        if seen.contains(&provenance.url) {
            continue;
        }
        seen.push(provenance.url.clone());
        let (bytes, download) = bytes_at(&url);
        sightings.push(Sighting {
            file: Candidate::given(&provenance.filename, &url),
            listed: false,
            bytes,
        });
        fetched.push(download);
    }
    (sightings, fetched)
}

/// One release's report, from its verdict.
fn release_report(
    plan: &Plan<'_>,
    verdict: &Verdict,
    fetched: &[Option<&Fetched>],
    cache: Option<&Cache>,
) -> ReleaseReport {
    let about = plan.about();
    let artifacts: Vec<ArtifactReport> = verdict
        .artifacts
        .iter()
        .map(|judged| artifact_report(plan, judged, fetched, cache))
        .collect();
    let diff = if artifacts.iter().all(|a| a.status == CheckStatus::Unchanged) {
        String::new()
    } else {
        diff(plan, verdict)
    };
    ReleaseReport {
        heading: about.located(),
        artifacts,
        diff,
    }
}

fn artifact_report(
    plan: &Plan<'_>,
    judged: &Judged,
    fetched: &[Option<&Fetched>],
    cache: Option<&Cache>,
) -> ArtifactReport {
    let project = plan.project();
    let version = project
        .as_ref()
        .and_then(|project| ArtifactName::parse(&judged.filename, Some(project)).ok())
        .filter(|_| matches!(plan.lockable, crate::lockfile::Lockable::Release { .. }))
        .map(|name| name.version_text)
        .unwrap_or_default();
    let status = CheckStatus::of(judged);
    let recorded = if status == CheckStatus::Added {
        None
    } else {
        let hashes: Vec<String> = judged.recorded.iter().map(ToString::to_string).collect();
        (!hashes.is_empty()).then(|| hashes.join(", "))
    };
    let mut report = ArtifactReport {
        project: project.map(|p| p.to_string()).unwrap_or_default(),
        version,
        requirement: plan.label.clone(),
        lockfile: plan
            .pin
            .map(|pin| pin.document.path.display().to_string())
            .unwrap_or_default(),
        line: plan.pin.map_or(0, |pin| pin.line.number),
        filename: judged.filename.clone(),
        url: judged.url.clone(),
        current_url: judged.current_url.clone(),
        status,
        recorded,
        observed: judged.observed.as_ref().map(ToString::to_string),
        declared: judged.declared.iter().map(ToString::to_string).collect(),
        reason: why(judged).map(str::to_string),
        inside: None,
        inside_text: None,
        yank_reason: judged.yanked.clone(),
    };
    if judged.status == Status::Changed
        && let Some(Some(fetched)) = judged.sighting.map(|index| fetched[index])
    {
        explain(judged, fetched, cache, &mut report);
    }
    report
}

/// Why a recorded artifact's bytes differ, and what changed inside, from the cache.
fn explain(judged: &Judged, fetched: &Fetched, cache: Option<&Cache>, report: &mut ArtifactReport) {
    let Some(observed_path) = &fetched.cached else {
        report.reason =
            Some("the new bytes were not kept (`--no-cache`), so they cannot be inspected".into());
        return;
    };
    let recorded_path = judged
        .recorded
        .iter()
        .find(|hash| hash.algorithm == HashAlgorithm::Sha256)
        .and_then(|hash| cache.and_then(|cache| cache.get(hash)));
    let difference = inspect::explain(recorded_path.as_deref(), observed_path, &judged.filename);
    report.reason = Some(describe(&difference));
    // A file that claims to be another release may still carry what matters most (a new
    // `.pth`, a new dependency): compare the members too when the old bytes are at hand.
    let changes = match (&difference, &recorded_path) {
        (Difference::Modified(changes), _) => Some(changes.clone()),
        (Difference::DifferentFile { .. }, Some(recorded_path)) => {
            match (
                inspect::summarize(recorded_path, &judged.filename),
                inspect::summarize(observed_path, &judged.filename),
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
fn diff(plan: &Plan<'_>, verdict: &Verdict) -> String {
    let Some(entry) = plan.pin else {
        return String::new();
    };
    let Some(splice) = pin(entry.document, entry.line, entry.entry, &verdict.accepted) else {
        return String::new();
    };
    let document = entry.document;
    let now = apply(&document.source, vec![splice]);
    unified_diff(
        &document.path.display().to_string(),
        &document.source,
        &now,
        false,
    )
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
