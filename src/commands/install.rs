//! `hashpin install`: peep's flow done right. pip resolves; hashpin downloads every artifact
//! pip chose, hashes it and asks the judge about it (recording what is new, unless `--frozen`);
//! the user's hooks look at each verified file; then pip installs exactly those files, offline,
//! with every hash required.
//!
//! A release recorded for the first time is recorded whole, as `hashpin lock` records it: every
//! file the indexes list for it is downloaded and hashed, so the lockfile installs on every
//! platform the release supports and a following `hashpin lock` finds nothing new. pip's own
//! choice for this interpreter is among those files, judged with them.
//!
//! Any refusal stops everything before pip installs a single package, and lists every
//! refusal at once. Where the lockfile records every requirement with hashes, pip's own
//! resolution runs with those hashes too, so no sdist of a recorded release is built from
//! unverified bytes; where it records some but not all, recorded projects are resolved from
//! wheels only (`--only-binary`), which run no code to be resolved.

use std::collections::{BTreeMap, HashMap};
use std::fmt::Write as _;
use std::path::Path;

use anyhow::{Context as _, Result};
use url::Url;

use crate::artifact::{ArtifactName, check_filename, same_artifact};
use crate::cache::Cache;
use crate::cli::{InstallArgs, OutputFormat};
use crate::commands::Context;
use crate::error::{Status, UsageError};
use crate::fetch::{FetchRequest, Fetched, fetch};
use crate::hash::HashAlgorithm;
use crate::hooks::{self, ArtifactInfo, Hook, HookOutcome};
use crate::judge::{
    Candidate, Outcome, Policy, Recording, Scope, Sighting, Status as Judgement, Verdict, judge,
    judge_among,
};
use crate::lockfile::{Lockable, Lookup, Pin, PinIndex, PinnedVersion, Record};
use crate::persist;
use crate::pip::{Interpreter, LocalCopies, PipError, Resolution, Resolved};
use crate::report::install::{self as view, ArtifactJson, InstallJson, Refusal};
use crate::report::verdict::{About, headline};
use crate::report::{Printer, Style};
use crate::requirements::edit::{Splice, apply, new_entry, pin as pin_edit};
use crate::requirements::load::{Loaded, Role, load};
use crate::requirements::{FileOption, Target};
use crate::safe_url::{Redacted, recordable};
use crate::survey::{self, Plan, location, plural};

/// How many other recorded artifacts of a release install tries when a hook asks to retry.
const MAX_RETRIES: usize = 3;

/// An artifact pip chose that passed, ready for the hooks and pip.
struct Accepted {
    resolved: Resolved,
    fetched: Fetched,
    /// Recorded now, rather than verified against an earlier record.
    recorded_now: bool,
    /// What another file of its release is held against when a hook asks to retry: the
    /// entry's record, or what is recorded now.
    record: Record,
}

/// What the judge said of one artifact pip chose.
enum Judgment<'p> {
    /// Its bytes match the record.
    Verified(Record),
    /// Nothing is recorded for its release: record the release whole (into this entry, or as a
    /// new one).
    RecordRelease(Option<&'p Pin<'p>>),
    /// Refused.
    Refused(Box<Refusal>),
}

/// Runs `hashpin install`.
pub(crate) fn run(args: &InstallArgs, context: &Context) -> Result<Status> {
    let mut json = InstallJson {
        schema: "hashpin-install/1",
        outcome: "error",
        exit_code: Status::Error as u8,
        artifacts: Vec::new(),
        errors: Vec::new(),
    };
    let result = install(args, context, &mut json);
    if args.format == OutputFormat::Json {
        let status = match &result {
            Ok(status) => *status,
            Err(error) => {
                json.errors.push(error.to_string());
                crate::error::status_of(error)
            }
        };
        json.exit_code = status as u8;
        json.outcome = match status {
            Status::Success => "installed",
            Status::Failure => "refused",
            _ => "error",
        };
        let mut text = serde_json::to_string_pretty(&json)?;
        text.push('\n');
        context.printer.out(&text)?;
    }
    result
}

fn install(args: &InstallArgs, context: &Context, json: &mut InstallJson) -> Result<Status> {
    let printer = &context.printer;
    let files = survey::requirement_files(&args.requirements, "install")?;
    let _locks = if args.frozen {
        Vec::new()
    } else {
        crate::commands::lock::lock_files(&files, printer)?
    };
    let loaded = load(&files, &*context.env)?;
    refuse_editables(&loaded)?;
    let hooks = hooks::load(Path::new("."), &*context.env, &args.hooks)?;
    let interpreter = Interpreter::find(args.python.as_deref(), &*context.env);

    // Unpinned lines would leave pip a lockfile it refuses: stop here, as lock does.
    let pins = PinIndex::new(&loaded);
    survey::plan_entries(&pins, &loaded, printer)?;
    let client = survey::open_client(&args.index, &loaded, &*context.env)?;
    let scratch = tempfile::tempdir().context("cannot create a temporary directory")?;
    let cache = if args.download.no_cache {
        Cache::at(scratch.path().join("cache"))
    } else {
        Cache::from_env(&*context.env).unwrap_or_else(|| Cache::at(scratch.path().join("cache")))
    };
    let jobs = args.download.jobs.max(1);

    // 0. Direct URLs with recorded hashes are checked before pip sees them (`--only-binary`
    // cannot keep pip from building a direct URL's sdist), and pip gets the verified copy.
    let (local_copies, early_refusals) =
        verify_direct_urls(&pins, &client, &cache, &scratch.path().join("direct"))?;
    if !early_refusals.is_empty() {
        json.artifacts
            .extend(early_refusals.iter().map(ArtifactJson::refused));
        view::print_refusals(printer, &early_refusals, 0, &loaded);
        return Ok(Status::Failure);
    }

    // 1. pip resolves, for the target interpreter.
    let resolution = match crate::pip::resolve_lockfile(
        &interpreter,
        &pins,
        &loaded,
        &local_copies,
        &args.index.to_pip_args(),
        printer,
    ) {
        Ok(resolution) => resolution,
        Err(PipError::HashMismatch { stderr }) => {
            printer.err(&stderr);
            printer.refused(
                "pip's own hash check refused a download during resolution; nothing installed",
            );
            return Ok(Status::Failure);
        }
        Err(error) => return Err(error.into()),
    };
    printer.info(&format!(
        "pip resolved {} {}",
        resolution.items.len(),
        plural(resolution.items.len(), "package", "packages")
    ));

    // 2. hashpin downloads and hashes every artifact itself, and asks the judge about it.
    let downloads = crate::pool::map_bounded(
        &resolution.items,
        jobs,
        |item| {
            let algorithms = pins
                .for_project(&item.project)
                .flat_map(|pin| pin.record.hashes.iter().map(|hash| hash.algorithm))
                .collect();
            fetch(
                &client,
                Some(&cache),
                &FetchRequest {
                    url: item.url.clone(),
                    algorithms,
                },
            )
        },
        &|_| {},
    );
    let recording = if args.frozen {
        Recording::Never
    } else {
        Recording::FirstUse
    };
    let mut refusals: Vec<Refusal> = Vec::new();
    let mut accepted: Vec<Accepted> = Vec::new();
    let mut to_record: Vec<(Resolved, Fetched, Option<&Pin<'_>>)> = Vec::new();
    let mut problems = Vec::new();
    for (item, result) in resolution.items.iter().zip(downloads) {
        if !item.is_archive {
            refusals.push(Refusal::new(
                item,
                format!(
                    "`{}` would be installed from a directory or VCS checkout, whose bytes cannot be pinned",
                    Redacted(&item.url)
                ),
            ));
            continue;
        }
        if let Err(error) = check_filename(&item.filename) {
            refusals.push(Refusal::new(item, error.to_string()));
            continue;
        }
        let fetched = match result {
            Ok(fetched) => fetched,
            Err(error) => {
                problems.push(anyhow::Error::from(error));
                continue;
            }
        };
        match judge_item(&pins, item, &fetched, recording, printer) {
            Judgment::Verified(record) => accepted.push(Accepted {
                resolved: item.clone(),
                fetched,
                recorded_now: false,
                record,
            }),
            Judgment::RecordRelease(pin) => to_record.push((item.clone(), fetched, pin)),
            Judgment::Refused(refusal) => refusals.push(*refusal),
        }
    }

    // 3. Releases recorded for the first time are recorded whole, as `lock` records them.
    let mut recorded = Vec::new();
    if problems.is_empty() && !to_record.is_empty() {
        let (releases, failed) = record_releases(&to_record, &client, &cache, jobs, printer);
        problems.extend(failed);
        for ((item, fetched, _), (plan, verdict)) in to_record.iter().zip(&releases) {
            if verdict.refuses() {
                refusals.extend(release_refusals(item, plan, verdict));
                continue;
            }
            accepted.push(Accepted {
                resolved: item.clone(),
                fetched: fetched.clone(),
                recorded_now: true,
                record: Record {
                    hashes: verdict.pins.hashes.clone(),
                    files: verdict.pins.provenance.clone(),
                    direct: None,
                },
            });
        }
        recorded = releases;
    }
    json.artifacts.extend(accepted.iter().map(|artifact| {
        ArtifactJson::passed(
            &artifact.resolved,
            artifact.fetched.digests.sha256(),
            artifact.recorded_now,
        )
    }));
    json.artifacts
        .extend(refusals.iter().map(ArtifactJson::refused));
    if !problems.is_empty() {
        for problem in &problems {
            printer.error(problem);
        }
        json.errors.extend(problems.iter().map(ToString::to_string));
        printer.err("nothing installed: some artifacts could not be downloaded or listed");
        return Ok(Status::Error);
    }
    if !refusals.is_empty() {
        view::print_refusals(printer, &refusals, accepted.len(), &loaded);
        return Ok(Status::Failure);
    }

    // 4. The user's hooks look at every verified file.
    let mut hook_failures = Vec::new();
    for artifact in &mut accepted {
        if let Err(reason) = run_hooks(&hooks, artifact, &client, &cache, &interpreter, printer) {
            hook_failures.push(format!("`{}`: {reason}", artifact.resolved.filename));
        }
    }
    // The JSON names the artifact finally used (a hook's retry may have replaced it).
    json.artifacts
        .retain(|artifact| artifact.status == "refused");
    json.artifacts.extend(accepted.iter().map(|artifact| {
        ArtifactJson::passed(
            &artifact.resolved,
            artifact.fetched.digests.sha256(),
            artifact.recorded_now,
        )
    }));
    for failure in &hook_failures {
        if let Some(artifact) = json
            .artifacts
            .iter_mut()
            .find(|artifact| failure.starts_with(&format!("`{}`", artifact.filename)))
        {
            artifact.status = "hook-refused";
            artifact.message = Some(failure.clone());
        }
    }
    if !hook_failures.is_empty() {
        for failure in &hook_failures {
            printer.error_text(&format!("a hook refused {failure}"));
        }
        printer.refused(&format!(
            "{} {} refused by hooks; nothing installed",
            hook_failures.len(),
            plural(hook_failures.len(), "artifact", "artifacts")
        ));
        return Ok(Status::Failure);
    }
    let verified_dir = scratch.path().join("verified");
    fs_err::create_dir_all(&verified_dir)?;
    let mut verified = Vec::new();
    for artifact in &accepted {
        let Some(cached) = &artifact.fetched.cached else {
            continue;
        };
        let path = verified_dir.join(&artifact.resolved.filename);
        fs_err::copy(cached, &path)?;
        verified.push((path, artifact.fetched.digests.sha256().clone()));
    }

    // 5. Record what was new, then let pip install exactly the verified files.
    if !recorded.is_empty() {
        write_records(&recorded, &loaded, &resolution, printer)?;
    }
    let recorded_now = accepted.iter().filter(|a| a.recorded_now).count();
    printer.info(&format!(
        "{} {} {} ({recorded_now} recorded now); installing with pip",
        printer.err_style(Style::Green, "verified"),
        accepted.len(),
        plural(accepted.len(), "artifact", "artifacts"),
    ));
    // With JSON on stdout, pip's own chatter goes to stderr.
    let pip_output_to_stderr = args.format == OutputFormat::Json;
    interpreter.install_verified(&verified, &args.pip_args, pip_output_to_stderr)?;
    Ok(Status::Success)
}

/// Asks the judge about one artifact pip chose, against every entry that pins its release.
fn judge_item<'p>(
    pins: &'p PinIndex<'p>,
    item: &Resolved,
    fetched: &Fetched,
    recording: Recording,
    printer: &Printer,
) -> Judgment<'p> {
    let observed = fetched.digests.sha256().clone();
    let refuse = |message: String, pin: Option<&Pin<'_>>| {
        let mut refusal = Refusal::new(item, message);
        refusal.observed = Some(observed.clone());
        refusal.about = pin.map(|pin| About {
            requirement: pin.shown(),
            location: Some(pin.location()),
        });
        Judgment::Refused(Box::new(refusal))
    };
    let project = &item.project;
    match pins.lookup(project, &item.version) {
        Lookup::Absent | Lookup::Unpinned(_) if recording == Recording::Never => refuse(
            format!(
                "`{}=={}` is not in the lockfile (pulled in as a dependency) and `--frozen` records nothing",
                item.display_name, item.version
            ),
            None,
        ),
        Lookup::Absent | Lookup::Unpinned(_) => Judgment::RecordRelease(None),
        Lookup::Unhashable(pin) => refuse(
            format!(
                "`{}` is installed from a source without hashes, so `{}` cannot be checked",
                pin.shown(),
                item.filename
            ),
            Some(pin),
        ),
        Lookup::OtherVersion(found) => refuse(
            format!(
                "pip chose `{}=={}`, but the lockfile pins `{}`",
                item.display_name,
                item.version,
                found[0].shown()
            ),
            Some(found[0]),
        ),
        Lookup::Pinned(found) => {
            let sighting = Sighting::given(&item.filename, &item.url, fetched.digests.clone());
            let policy = Policy::new(Scope::Files, recording);
            let Some((pin, verdict)) = judge_among(&found, &sighting, policy) else {
                return Judgment::RecordRelease(None);
            };
            let Some(judged) = verdict.artifacts.first() else {
                return Judgment::Verified(pin.record.clone());
            };
            let about = About {
                requirement: pin.shown(),
                location: Some(pin.location()),
            };
            match verdict.outcome_of(judged) {
                Outcome::Pass if judged.status == Judgement::RecordedNow => {
                    Judgment::RecordRelease(Some(pin))
                }
                Outcome::Pass => Judgment::Verified(pin.record.clone()),
                Outcome::Warn => {
                    printer.warning(&format!(
                        "{} ({})",
                        headline(judged, &about),
                        pin.location()
                    ));
                    Judgment::Verified(pin.record.clone())
                }
                Outcome::Retry | Outcome::Fail => {
                    let mut refusal = Refusal::new(item, headline(judged, &about));
                    refusal.hint = match judged.status {
                        Judgement::NotRecorded => Some(format!(
                            "pip chose it for this interpreter; review it, then record it with `hashpin lock --update {project}`"
                        )),
                        Judgement::Changed => Some(format!(
                            "re-record only if you know why the bytes changed: `hashpin lock --update {project}`"
                        )),
                        _ => None,
                    };
                    refusal.judged = Some(judged.clone());
                    refusal.observed = Some(observed.clone());
                    refusal.edit = pin_edit(pin.document, pin.line, pin.entry, &verdict.accepted)
                        .map(|splice| (pin.document_index, splice));
                    refusal.about = Some(about);
                    Judgment::Refused(Box::new(refusal))
                }
            }
        }
    }
}

/// Lists, downloads and judges every file of each release to record, as `lock` does for an
/// entry with nothing recorded. pip's chosen file is judged with the others (and not downloaded
/// again). Returns a plan and verdict per release, in order, and the problems met.
fn record_releases<'p>(
    to_record: &[(Resolved, Fetched, Option<&'p Pin<'p>>)],
    client: &crate::index::Client,
    cache: &Cache,
    jobs: usize,
    printer: &Printer,
) -> (Vec<(Plan<'p>, Verdict)>, Vec<anyhow::Error>) {
    let mut plans: Vec<Plan<'p>> = to_record
        .iter()
        .map(|(item, _, pin)| release_plan(item, *pin))
        .collect();
    let filter = crate::platform::TargetFilter::default();
    let mut problems = survey::find_candidates(&mut plans, client, &filter, jobs, printer);
    let mut downloaded: HashMap<Url, Fetched> = HashMap::new();
    for ((item, fetched, _), plan) in to_record.iter().zip(&mut plans) {
        // pip's choice is judged with the release's files even if no listing names it.
        if !plan
            .candidates
            .iter()
            .any(|candidate| same_artifact(&candidate.filename, &item.filename))
        {
            plan.candidates
                .push(Candidate::given(&item.filename, &item.url));
        }
        downloaded.insert(item.url.clone(), fetched.clone());
    }
    let requests: Vec<FetchRequest> =
        survey::fetch_requests(&plans, HashAlgorithm::Sha256, |_| true)
            .into_iter()
            .filter(|request| !downloaded.contains_key(&request.url))
            .collect();
    let (more, failed) = survey::download(client, Some(cache), &requests, jobs, printer);
    downloaded.extend(more);
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
    }
}

/// The refusals of a release that could not be recorded (an index that lied about a digest).
fn release_refusals(item: &Resolved, plan: &Plan<'_>, verdict: &Verdict) -> Vec<Refusal> {
    verdict
        .with_outcome(Outcome::Fail)
        .chain(verdict.with_outcome(Outcome::Retry))
        .map(|judged| {
            let about = plan.about();
            let mut refusal = Refusal::new(item, headline(judged, &about));
            refusal.resolved.filename.clone_from(&judged.filename);
            refusal.judged = Some(judged.clone());
            refusal.observed.clone_from(&judged.observed);
            refusal.about = Some(about);
            refusal
        })
        .collect()
}

/// pip refuses hashes for editable requirements, so an editable line cannot be installed here.
fn refuse_editables(loaded: &[Loaded]) -> Result<()> {
    for item in loaded.iter().filter(|item| item.role == Role::Requirements) {
        for (line, option) in item.document.options() {
            if let FileOption::Editable(target) = &option.value {
                return Err(UsageError::new(format!(
                    "{}: `-e {target}` is editable; pip cannot check hashes of an editable install\nhint: install it separately with `pip install -e {target}`",
                    location(&item.document, line)
                ))
                .into());
            }
        }
    }
    Ok(())
}

/// Downloads every direct-URL requirement that has recorded hashes and asks the judge about it;
/// a pass is copied under `directory` and pip is pointed at that copy, anything else refused.
fn verify_direct_urls(
    pins: &PinIndex<'_>,
    client: &crate::index::Client,
    cache: &Cache,
    directory: &Path,
) -> Result<(LocalCopies, Vec<Refusal>)> {
    let mut copies = LocalCopies::new();
    let mut refusals = Vec::new();
    for pin in pins.iter() {
        let Some(Lockable::Url { url, filename }) = pin.lockable() else {
            continue;
        };
        if pin.record.hashes.is_empty() {
            continue;
        }
        let mut bare = url.clone();
        bare.set_fragment(None);
        let fetched = fetch(
            client,
            Some(cache),
            &FetchRequest {
                url: bare.clone(),
                algorithms: pin
                    .record
                    .hashes
                    .iter()
                    .map(|hash| hash.algorithm)
                    .collect(),
            },
        )?;
        let sighting = Sighting::given(filename, &bare, fetched.digests.clone());
        let verdict = judge(
            &pin.record,
            &[sighting],
            Policy::new(Scope::Files, Recording::Never),
        );
        if verdict.refuses() {
            let name = ArtifactName::parse(filename, None).ok();
            let about = About {
                requirement: pin.shown(),
                location: Some(pin.location()),
            };
            let resolved = Resolved {
                project: pin
                    .project
                    .clone()
                    .or_else(|| name.as_ref().map(|name| name.project.clone()))
                    .unwrap_or_else(|| crate::name::PackageName::new(filename)),
                display_name: pin.shown(),
                version: name.map(|name| name.version_text).unwrap_or_default(),
                url: bare.clone(),
                filename: filename.clone(),
                requested: true,
                is_direct: true,
                is_archive: true,
                requires_dist: Vec::new(),
            };
            for judged in verdict.with_outcome(Outcome::Fail) {
                let mut refusal = Refusal::new(&resolved, headline(judged, &about));
                refusal.judged = Some(judged.clone());
                refusal.observed = Some(fetched.digests.sha256().clone());
                refusal.about = Some(about.clone());
                refusals.push(refusal);
            }
            continue;
        }
        let Some(cached) = &fetched.cached else {
            continue;
        };
        fs_err::create_dir_all(directory)?;
        let copy = directory.join(filename);
        fs_err::copy(cached, &copy)?;
        let local = std::path::absolute(&copy).unwrap_or(copy);
        let text = match &pin.entry.target {
            Target::Pep508(requirement) => {
                let extras: Vec<String> =
                    requirement.extras.iter().map(ToString::to_string).collect();
                let extras = if extras.is_empty() {
                    String::new()
                } else {
                    format!("[{}]", extras.join(","))
                };
                let marker = requirement
                    .marker
                    .contents()
                    .map(|marker| format!(" ; {marker}"))
                    .unwrap_or_default();
                let file_url = Url::from_file_path(&local)
                    .map_or_else(|()| local.display().to_string(), |url| url.to_string());
                format!("{}{extras} @ {file_url}{marker}", requirement.name)
            }
            // The marker stays: pip must skip the line where it skipped the original.
            Target::Unnamed(text) => match text.split_once(';') {
                Some((_, marker)) => format!("{} ; {}", local.display(), marker.trim()),
                None => local.display().to_string(),
            },
        };
        copies.insert(
            (pin.document.path.clone(), pin.entry.requirement.span.start),
            text,
        );
    }
    Ok((copies, refusals))
}

/// Runs every hook on a verified artifact; on "retry", tries other recorded artifacts of the
/// same release that suit the interpreter, each held against the record by the judge. `Err`
/// carries why it was refused.
fn run_hooks(
    hooks: &[Hook],
    artifact: &mut Accepted,
    client: &crate::index::Client,
    cache: &Cache,
    interpreter: &Interpreter,
    printer: &Printer,
) -> std::result::Result<(), String> {
    if hooks.is_empty() {
        return Ok(());
    }
    let mut alternatives: Option<Vec<crate::requirements::Provenance>> = None;
    let mut tried = vec![artifact.resolved.filename.clone()];
    loop {
        match run_hooks_once(hooks, artifact, printer)? {
            HookOutcome::Pass => return Ok(()),
            HookOutcome::Fail { reason } => return Err(reason),
            HookOutcome::Retry => {}
        }
        if tried.len() > MAX_RETRIES {
            return Err(format!(
                "hooks asked to retry {MAX_RETRIES} times; giving up"
            ));
        }
        let alternatives = alternatives.get_or_insert_with(|| {
            suitable_alternatives(&artifact.record, &artifact.resolved, interpreter)
        });
        let Some(next) = alternatives
            .iter()
            .find(|record| !tried.contains(&record.filename))
            .cloned()
        else {
            return Err("a hook asked to retry, and no other recorded artifact of this release suits this interpreter".into());
        };
        tried.push(next.filename.clone());
        printer.info(&format!(
            "a hook asked to retry `{}`; trying `{}`",
            artifact.resolved.filename, next.filename
        ));
        let url = Url::parse(&next.url).map_err(|error| error.to_string())?;
        let fetched = fetch(
            client,
            Some(cache),
            &FetchRequest {
                url: url.clone(),
                algorithms: artifact.record.hashes.iter().map(|h| h.algorithm).collect(),
            },
        )
        .map_err(|error| error.to_string())?;
        let sighting = Sighting::given(&next.filename, &url, fetched.digests.clone());
        let verdict = judge(
            &artifact.record,
            &[sighting],
            Policy::new(Scope::Files, Recording::Never),
        );
        if verdict.refuses() {
            let about = About {
                requirement: artifact.resolved.display_name.clone(),
                location: None,
            };
            let why = verdict
                .artifacts
                .first()
                .map(|judged| headline(judged, &about))
                .unwrap_or_default();
            return Err(why);
        }
        artifact.resolved.url = url;
        artifact.resolved.filename = next.filename.clone();
        artifact.fetched = fetched;
    }
}

fn run_hooks_once(
    hooks: &[Hook],
    artifact: &Accepted,
    printer: &Printer,
) -> std::result::Result<HookOutcome, String> {
    let Some(path) = &artifact.fetched.cached else {
        return Err("the verified bytes were not kept".into());
    };
    let sha256 = artifact.fetched.digests.sha256().hex.clone();
    let info = ArtifactInfo {
        project: artifact.resolved.project.as_str(),
        version: &artifact.resolved.version,
        filename: &artifact.resolved.filename,
        sha256: &sha256,
    };
    // Hooks get the file under its own name, never the cache's hash-named path.
    let staging = tempfile::tempdir().map_err(|error| error.to_string())?;
    let staged = staging.path().join(&artifact.resolved.filename);
    fs_err::copy(path, &staged).map_err(|error| error.to_string())?;
    let url = recordable(&artifact.resolved.url);
    for hook in hooks {
        let run = hooks::run(hook, &staged, &url, &info);
        for line in run.stdout.lines().chain(run.stderr.lines()) {
            printer.info(&format!("  [{}] {line}", hook.name));
        }
        match run.outcome {
            HookOutcome::Pass => {}
            other => return Ok(other),
        }
    }
    Ok(HookOutcome::Pass)
}

/// Recorded artifacts of the release, other than the one given, whose tags suit the
/// interpreter (every sdist does), most preferred first.
fn suitable_alternatives(
    record: &Record,
    resolved: &Resolved,
    interpreter: &Interpreter,
) -> Vec<crate::requirements::Provenance> {
    let supported = interpreter.supported_tags().unwrap_or_default();
    let rank = |record: &crate::requirements::Provenance| -> Option<usize> {
        let name = ArtifactName::parse(&record.filename, Some(&resolved.project)).ok()?;
        match name.wheel_tags() {
            None => Some(usize::MAX),
            Some(tags) => supported.iter().position(|tag| {
                let mut parts = tag.split('-');
                let (Some(python), Some(abi), Some(platform)) =
                    (parts.next(), parts.next(), parts.next())
                else {
                    return false;
                };
                tags.python.iter().any(|t| t == python)
                    && tags.abi.iter().any(|t| t == abi)
                    && tags.platform.iter().any(|t| t == platform)
            }),
        }
    };
    let mut ranked: Vec<(usize, crate::requirements::Provenance)> = record
        .files
        .iter()
        .filter(|record| record.filename != resolved.filename)
        .filter_map(|record| rank(record).map(|rank| (rank, record.clone())))
        .collect();
    ranked.sort();
    ranked.into_iter().map(|(_, record)| record).collect()
}

/// Writes what was recorded now, the same lines `lock` writes: into the entry of a release
/// that had none, or as a new entry for a dependency, with `# via` naming who pulled it in.
fn write_records(
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
    for (document_index, splices) in splices {
        let document = &loaded[document_index].document;
        let text = apply(&document.source, splices);
        persist::write_atomically(&document.path, &text)
            .with_context(|| format!("cannot write `{}`", document.path.display()))?;
        printer.info(&format!(
            "recorded new artifacts in `{}`",
            document.path.display()
        ));
    }
    Ok(())
}
