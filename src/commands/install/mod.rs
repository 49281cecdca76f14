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

use std::path::Path;

use anyhow::{Context as _, Result};

mod direct;
mod record;
mod retry;

use crate::artifact::check_filename;
use crate::cache::Cache;
use crate::cli::{InstallArgs, OutputFormat};
use crate::commands::Context;
use crate::error::{Status, UsageError};
use crate::fetch::{Examine, FetchRequest, Fetched, fetch_examined};
use crate::hooks::{self};
use crate::judge::{
    Candidate, Outcome, Policy, Recording, Scope, Sighting, Status as Judgement, judge_among,
};
use crate::lockfile::{Lookup, Pin, PinIndex, Record};
use crate::pip::{Interpreter, PipError, Resolved};
use crate::report::install::{self as view, ArtifactJson, InstallJson, Refusal};
use crate::report::verdict::{About, headline};
use crate::report::{self, Printer, Style};
use crate::requirements::FileOption;
use crate::requirements::edit::pin as pin_edit;
use crate::requirements::load::{Loaded, Role, load};
use crate::safe_url::Redacted;
use crate::survey::{self, location, plural};

/// An artifact pip chose that passed, ready for the hooks and pip.
pub(super) struct Accepted {
    pub(super) resolved: Resolved,
    pub(super) fetched: Fetched,
    /// Recorded now, rather than verified against an earlier record.
    pub(super) recorded_now: bool,
    /// What another file of its release is held against when a hook asks to retry: the
    /// entry's record, or what is recorded now.
    pub(super) record: Record,
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
    // Hooks first: a `--hook` value that does not split is a usage error (exit 2), and must not
    // wait for a lock or fail on anything operational before it is seen.
    let hooks = hooks::load(Path::new("."), &*context.env, &args.hooks)?;
    let cooldown = crate::cooldown::for_command(&args.cooldown, &*context.env)?;
    let files = survey::requirement_files(&args.requirements, "install")?;
    let (_locks, loaded) = if args.frozen {
        (Vec::new(), load(&files, &*context.env)?)
    } else {
        crate::commands::lock::lock_and_load(&files, context)?
    };
    refuse_editables(&loaded)?;
    let interpreter = Interpreter::find(args.python.as_deref(), &*context.env);

    // Unpinned lines would leave pip a lockfile it refuses: stop here, as lock does.
    let pins = PinIndex::new(&loaded);
    survey::plan_entries(&pins, &loaded, printer)?;
    let client = survey::open_client(&args.index, &loaded, &*context.env)?;
    let scratch = crate::interrupt::temporary(tempfile::tempdir)
        .context("cannot create a temporary directory")?;
    let cache = if args.download.no_cache {
        Cache::at(scratch.path().join("cache"))
    } else {
        Cache::from_env(&*context.env).unwrap_or_else(|| Cache::at(scratch.path().join("cache")))
    };
    let jobs = args.download.jobs.max(1);

    // 0. Direct URLs with recorded hashes are checked before pip sees them (`--only-binary`
    // cannot keep pip from building a direct URL's sdist), and pip gets the verified copy.
    let (local_copies, early_refusals) =
        direct::verify_direct_urls(&pins, &client, &cache, &scratch.path().join("direct"))?;
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
        Err(error) => return Err(survey::explain_unfound(error.into(), &client, &pins)),
    };
    printer.info(&format!(
        "pip resolved {} {}",
        resolution.items.len(),
        plural(resolution.items.len(), "package", "packages")
    ));

    // 2. hashpin downloads and hashes every artifact itself, and asks the judge about it.
    // Bytes a record already has need no examination; any others may be recorded now, and
    // must first be found to be the archive their filename promises.
    let downloads = crate::pool::map_bounded(
        &resolution.items,
        jobs,
        |item| {
            let algorithms = pins.algorithms_for(&item.project);
            let examine = Examine {
                filename: item.filename.clone(),
                recorded: pins
                    .for_project(&item.project)
                    .flat_map(|pin| pin.record.hashes.iter().cloned())
                    .collect(),
                // pip's report names no digest the index declared.
                declared: Vec::new(),
                // install always has a cache (a scratch one with `--no-cache`).
                only_explains: false,
            };
            fetch_examined(
                &client,
                Some(&cache),
                &FetchRequest {
                    url: item.url.clone(),
                    algorithms,
                },
                &examine,
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
        let (releases, failed) = record::record_releases(
            &to_record,
            &client,
            &cache,
            jobs,
            cooldown.as_ref(),
            printer,
        );
        problems.extend(failed);
        for ((item, fetched, _), (plan, verdict)) in to_record.iter().zip(&releases) {
            if verdict.refuses() {
                refusals.extend(record::release_refusals(item, plan, verdict));
                continue;
            }
            // What `lock` would say of the release (a yanked file, say), install says too.
            report::verdict::print_lock_warnings(
                printer,
                &plan.about(),
                verdict,
                &plan.update_name(),
            );
            accepted.push(Accepted {
                resolved: item.clone(),
                fetched: fetched.clone(),
                recorded_now: true,
                record: Record {
                    hashes: verdict.pins.hashes.clone(),
                    files: verdict.pins.provenance.clone(),
                    ..Record::default()
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
        return Ok(refusal_status(&refusals));
    }

    // 4. The user's hooks look at every verified file.
    let mut hook_failures = Vec::new();
    for artifact in &mut accepted {
        if let Err(reason) =
            retry::run_hooks(&hooks, artifact, &client, &cache, &interpreter, printer)
        {
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
        record::write_records(&recorded, &loaded, &resolution, printer)?;
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

/// The status refusals end install with: 4 when the index failed to serve a file at all (the
/// judge refused to record what arrived, which is not an archive), as when a download fails;
/// otherwise 1, a verification failure.
fn refusal_status(refusals: &[Refusal]) -> Status {
    // A verdict on bytes (1) says more than an index that failed to serve a file (4), and must
    // not hide behind it: 4 only when every refusal is operational.
    let all_operational = refusals.iter().all(|refusal| {
        refusal
            .judged
            .as_ref()
            .is_some_and(|judged| judged.status.is_operational())
    });
    if all_operational {
        Status::Error
    } else {
        Status::Failure
    }
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
            let sighting = Sighting {
                file: Candidate::given(&item.filename, &item.url),
                listed: true,
                bytes: survey::bytes_of(fetched),
            };
            let policy = Policy::new(Scope::Files, recording);
            let Some((pin, verdict)) = judge_among(&found, &sighting, policy) else {
                return Judgment::RecordRelease(None);
            };
            let Some(judged) = verdict.gravest() else {
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
                        _ => record::not_an_archive_hint(judged),
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
