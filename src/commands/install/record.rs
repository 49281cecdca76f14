//! Recording a release for the first time, as `hashpin lock` records it: every file the indexes
//! list for it, listed, downloaded, hashed and judged together with pip's own choice; then the
//! same lines `lock` writes, into the entry or as a new entry with `# via`.

use std::collections::{BTreeMap, HashMap};
use std::fmt::Write as _;

use anyhow::Result;
use url::Url;

use crate::artifact::same_artifact;
use crate::cache::Cache;
use crate::downloads::Earlier;
use crate::fetch::Fetched;
use crate::hash::HashAlgorithm;
use crate::judge::{Candidate, Outcome, Policy, Recording, Scope, Verdict, judge};
use crate::lockfile::{Lockable, Pin, PinnedVersion};
use crate::persist;
use crate::pip::{Resolution, Resolved};
use crate::report::Printer;
use crate::report::install::Refusal;
use crate::report::verdict::headline;
use crate::requirements::edit::{Splice, apply, new_entry, pin as pin_edit};
use crate::requirements::load::Loaded;
use crate::safe_url::recordable;
use crate::survey::{self, Plan};

/// Lists, downloads and judges every file of each release to record, as `lock` does for an
/// entry with nothing recorded. pip's chosen file is judged with the others (and not downloaded
/// again). Returns a plan and verdict per release, in order, and the problems met.
pub(super) fn record_releases<'p>(
    to_record: &[(Resolved, Fetched, Option<&'p Pin<'p>>)],
    client: &crate::index::Client,
    cache: &Cache,
    jobs: usize,
    cooldown: Option<&crate::cooldown::Cutoff>,
    printer: &Printer,
) -> (Vec<(Plan<'p>, Verdict)>, Vec<anyhow::Error>) {
    let mut plans: Vec<Plan<'p>> = to_record
        .iter()
        .map(|(item, _, pin)| release_plan(item, *pin))
        .collect();
    let filter = crate::platform::TargetFilter::default();
    let mut downloaded: HashMap<Url, Fetched> = to_record
        .iter()
        .map(|(item, fetched, _)| (item.url.clone(), fetched.clone()))
        .collect();
    // Every other file of each release is downloaded and judged with pip's choice.
    let wants = |plan: &Plan<'_>, candidates: &[Candidate]| {
        let others: Vec<Candidate> = candidates
            .iter()
            .filter(|candidate| !downloaded.contains_key(&candidate.url))
            .cloned()
            .collect();
        survey::wants_to_judge(plan, &others, HashAlgorithm::Sha256, true)
    };
    let (mut problems, more) = survey::list_and_download(
        &mut plans,
        &survey::Listing {
            client,
            filter: &filter,
            jobs,
            second_opinion: survey::SecondOpinion::Always,
            cooldown,
            stop: None,
        },
        Some(cache),
        &Earlier::default(),
        &wants,
        printer,
    );
    let (more, failed) = survey::split_failures(more);
    downloaded.extend(more);
    // A file pip chose that the cooldown holds back is not recorded, so it is not installed.
    if let Some(cutoff) = cooldown {
        for ((item, _, _), plan) in to_record.iter().zip(&plans) {
            if plan.listed
                && !plan.candidates.is_empty()
                && !plan
                    .candidates
                    .iter()
                    .any(|candidate| candidate.filename == item.filename)
            {
                problems.push(anyhow::anyhow!(
                    "pip chose `{}`, which was uploaded after the cooldown cutoff {} ({}), so it is not recorded and not installed\nhint: pin a release uploaded before the cutoff, or wait",
                    item.filename,
                    cutoff.shown(),
                    cutoff.source
                ));
            }
        }
    }
    for ((item, _, _), plan) in to_record.iter().zip(&mut plans) {
        // pip's choice is judged with the release's files even if no listing names it.
        if !plan
            .candidates
            .iter()
            .any(|candidate| same_artifact(&candidate.filename, &item.filename))
        {
            plan.candidates
                .push(Candidate::given(&item.filename, &item.url));
        }
    }
    problems.extend(failed);
    let policy = Policy::new(Scope::Release, Recording::FirstUse);
    let releases = plans
        .into_iter()
        .map(|plan| {
            let verdict = judge(
                plan.record(),
                &survey::sightings(&plan, &downloaded),
                policy,
            );
            (plan, verdict)
        })
        .collect();
    (releases, problems)
}

/// What to list for a release pip chose: the entry's pin, or the version pip chose.
fn release_plan<'p>(item: &Resolved, pin: Option<&'p Pin<'p>>) -> Plan<'p> {
    if let Some(plan) = pin.and_then(Plan::for_pin) {
        return plan;
    }
    let mut bare = item.url.clone();
    bare.set_fragment(None);
    let (lockable, label) = if item.is_direct {
        (
            Lockable::Url {
                url: bare,
                filename: item.filename.clone(),
            },
            format!("{} @ {}", item.display_name, recordable(&item.url)),
        )
    } else {
        let version = match item.version.parse::<pep440_rs::Version>() {
            Ok(version) => {
                PinnedVersion::Equal(pep440_rs::VersionSpecifier::equals_version(version))
            }
            Err(_) => PinnedVersion::Arbitrary(item.version.clone()),
        };
        (
            Lockable::Release {
                project: item.project.clone(),
                version,
            },
            format!("{}=={}", item.display_name, item.version),
        )
    };
    Plan {
        pin: None,
        lockable,
        label,
        candidates: Vec::new(),
        listed: false,
    }
}

/// The refusals of a release that could not be recorded (an index that lied about a digest).
pub(super) fn release_refusals(
    item: &Resolved,
    plan: &Plan<'_>,
    verdict: &Verdict,
) -> Vec<Refusal> {
    verdict
        .with_outcome(Outcome::Fail)
        .chain(verdict.with_outcome(Outcome::Retry))
        .map(|judged| {
            let about = plan.about();
            let mut refusal = Refusal::new(item, headline(judged, &about));
            // The refused file may be another of the release than pip's choice.
            if judged.filename != item.filename {
                refusal.resolved.filename.clone_from(&judged.filename);
                if let Some(file) = plan
                    .candidates
                    .iter()
                    .find(|candidate| candidate.filename == judged.filename)
                {
                    refusal.resolved.url = file.url.clone();
                }
            }
            refusal.hint = not_an_archive_hint(judged);
            refusal.judged = Some(judged.clone());
            refusal.observed.clone_from(&judged.observed);
            refusal.about = Some(about);
            refusal
        })
        .collect()
}

/// What to do about bytes the judge would not record because they are not an archive.
pub(super) fn not_an_archive_hint(judged: &crate::judge::Judged) -> Option<String> {
    (judged.status == crate::judge::Status::NotAnArchive).then(|| {
        format!(
            "{}; try again later, or ask the index's operator",
            crate::report::verdict::why(judged).unwrap_or_default()
        )
    })
}

/// Writes what was recorded now, the same lines `lock` writes: into the entry of a release
/// that had none, or as a new entry for a dependency, with `# via` naming who pulled it in.
pub(super) fn write_records(
    recorded: &[(Plan<'_>, Verdict)],
    loaded: &[Loaded],
    resolution: &Resolution,
    printer: &Printer,
) -> Result<()> {
    let Some(top) = loaded.iter().position(|item| item.root == Some(0)) else {
        return Ok(());
    };
    let mut splices: BTreeMap<usize, Vec<Splice>> = BTreeMap::new();
    let mut appended = String::new();
    let top_document = &loaded[top].document;
    let eol = top_document.line_ending();
    for (plan, verdict) in recorded {
        if let Some(pin) = plan.pin {
            if let Some(splice) = pin_edit(pin.document, pin.line, pin.entry, &verdict.pins) {
                splices.entry(pin.document_index).or_default().push(splice);
            }
            continue;
        }
        appended.push_str(&new_entry(&plan.label, &verdict.pins, eol));
        let via = plan
            .project()
            .map(|project| resolution.via(&project))
            .unwrap_or_default();
        if !via.is_empty() {
            let _ = write!(appended, "    # via {}{eol}", via.join(", "));
        }
    }
    if !appended.is_empty() {
        let source = &top_document.source;
        let separator = if source.is_empty() || source.ends_with('\n') || source.ends_with('\r') {
            ""
        } else {
            eol
        };
        splices.entry(top).or_default().push(Splice {
            range: source.len()..source.len(),
            text: format!("{separator}{appended}"),
        });
    }
    // Every file in place or none (see `persist::commit`).
    let mut prepared = Vec::new();
    let mut written = Vec::new();
    for (document_index, splices) in splices {
        let document = &loaded[document_index].document;
        let text = apply(&document.source, splices);
        prepared.push(persist::prepare(
            &document.path,
            document.encode(&document.source)?,
            &document.encode(&text)?,
        )?);
        written.push(&document.path);
    }
    persist::commit(prepared)?;
    for path in written {
        printer.info(&format!("recorded new artifacts in `{}`", path.display()));
    }
    Ok(())
}
