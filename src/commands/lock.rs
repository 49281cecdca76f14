//! `hashpin lock`: record the hashes and source URLs of every artifact of each pinned
//! requirement, and check again everything recorded before.
//!
//! The recipe: load the files and their includes; decide what each entry pins; list every
//! project on every index; download and hash what must be seen; judge each entry; refuse with a
//! report if anything recorded changed; otherwise write each file that changed, atomically.

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

use anyhow::{Context as _, Result};

use crate::cache::Cache;
use crate::cli::LockArgs;
use crate::commands::Context;
use crate::downloads::Earlier;
use crate::error::{Status, UsageError, status_of};
use crate::hash::HashAlgorithm;
use crate::judge::{Candidate, Outcome, Policy, Recording, Scope, Verdict, judge};
use crate::lockfile::{Lockable, PinIndex};
use crate::name::PackageName;
use crate::persist;
use crate::report::{self, Printer, Style};
use crate::requirements::edit::{Pins, Splice, apply, pin as pin_edit};
use crate::requirements::load::{Loaded, Role, load};
use crate::survey::{self, Plan, plural};

/// Runs `hashpin lock`.
pub(crate) fn run(args: &LockArgs, context: &Context) -> Result<Status> {
    let (files, update) = split_update_values(args);
    if args.resolve {
        return crate::commands::resolve::run(args, &files, context);
    }
    let files = survey::requirement_files(&files, "lock")?;
    let (_locks, loaded) = lock_and_load(&files, context)?;
    let on_disk: Vec<String> = loaded
        .iter()
        .map(|item| item.document.source.clone())
        .collect();
    lock_loaded(
        args,
        &loaded,
        &on_disk,
        update.as_ref(),
        &Earlier::default(),
        None,
        context,
    )
}

/// Takes the advisory lock of each file, saying so when another hashpin holds one. A file
/// named twice (`r.txt ./r.txt`) is locked once: a second lock on it would wait for the first.
/// Then removes what a killed hashpin left beside each file (see
/// [`persist::remove_stale_temporaries`]).
pub(crate) fn lock_files(
    files: &[PathBuf],
    printer: &crate::report::Printer,
) -> Result<Vec<persist::FileLock>> {
    // Always in the same order (by canonical path), so that two runs locking overlapping sets
    // of files can never wait on each other; a file named twice is locked once.
    let by_canonical: BTreeMap<PathBuf, &PathBuf> = files
        .iter()
        .map(|path| {
            (
                fs_err::canonicalize(path).unwrap_or_else(|_| path.clone()),
                path,
            )
        })
        .collect();
    let locks = by_canonical
        .values()
        .map(|path| {
            persist::lock(path, || {
                printer.info(&format!(
                    "waiting for another hashpin to finish with `{}`",
                    path.display()
                ));
            })
            .with_context(|| format!("cannot lock `{}`", path.display()))
        })
        .collect::<Result<Vec<_>>>()?;
    let directories: BTreeSet<PathBuf> = files
        .iter()
        .map(|path| persist::directory_of(path))
        .collect();
    for directory in directories {
        let removed = persist::remove_stale_temporaries(&directory);
        if removed > 0 {
            printer.info(&format!(
                "removed {removed} stale temporary {} left in `{}` by an interrupted hashpin",
                plural(removed, "file", "files"),
                directory.display()
            ));
        }
    }
    Ok(locks)
}

/// Locks the files named and every file they include with `-r` (all of which a run may write),
/// and loads them. The includes are only known once the files are read, so when they add to
/// the set, every lock is let go and the whole set taken again in order, then read again.
pub(crate) fn lock_and_load(
    files: &[PathBuf],
    context: &Context,
) -> Result<(Vec<persist::FileLock>, Vec<Loaded>)> {
    let mut wanted: Vec<PathBuf> = files.to_vec();
    for _ in 0..4 {
        let locks = lock_files(&wanted, &context.printer)?;
        let loaded = load(files, &*context.env)?;
        let canonical =
            |path: &PathBuf| fs_err::canonicalize(path).unwrap_or_else(|_| path.clone());
        let held: BTreeSet<PathBuf> = wanted.iter().map(canonical).collect();
        let written: Vec<PathBuf> = loaded
            .iter()
            .filter(|item| item.role == Role::Requirements)
            .map(|item| item.document.path.clone())
            .collect();
        if written.iter().all(|path| held.contains(&canonical(path))) {
            return Ok((locks, loaded));
        }
        drop(locks);
        wanted.extend(written);
    }
    Err(anyhow::anyhow!(
        "the files included with `-r` kept changing while hashpin read them\nhint: run again"
    ))
}

/// Locks loaded documents: lists, downloads, judges, and writes each document whose text
/// differs from `on_disk` (what its file holds now, by document). With `only`, only that
/// project's entries are locked, and every other line is left as it is, unlisted: recording
/// one project costs one project's listing, however long the lockfile.
pub(crate) fn lock_loaded(
    args: &LockArgs,
    loaded: &[Loaded],
    on_disk: &[String],
    update: Option<&Vec<String>>,
    earlier: &Earlier,
    only: Option<&PackageName>,
    context: &Context,
) -> Result<Status> {
    let printer = &context.printer;
    let pins = PinIndex::new(loaded);
    let mut plans = survey::plan_entries(&pins, loaded, printer)?;
    if let Some(only) = only {
        plans.retain(|plan| plan.project().as_ref() == Some(only));
    }
    check_update_names(update, &plans)?;
    let settings = survey::client_settings(&args.index, loaded, &*context.env)?;
    // Earlier downloads count only with the client that made them: under other settings
    // (another index, trusted host or certificate) they are made again.
    let (opened, no_earlier);
    let (client, earlier) = match earlier.client_for(&settings) {
        Some(client) => (client, earlier),
        None => {
            opened = survey::open_client_with(settings, &*context.env)?;
            no_earlier = Earlier::default();
            (&*opened, &no_earlier)
        }
    };
    let filter = survey::target_filter(&args.target)?;
    let jobs = args.download.jobs.max(1);
    let second_opinion = if update.is_some() {
        survey::SecondOpinion::Always
    } else {
        survey::SecondOpinion::WhenDownloading
    };
    let cooldown = crate::cooldown::for_command(&args.cooldown, &*context.env)?;
    // Download and hash everything that must be seen, each URL once. A download is skipped
    // only to confirm a record the index vouches for: never for `--update`, which must write
    // hashes computed here, and never for a direct URL, whose `#sha256=` fragment is the
    // user's own text and cannot vouch for itself.
    let algorithm = HashAlgorithm::from_name(&args.algorithm).unwrap_or(HashAlgorithm::Sha256);
    let cache = Cache::unless_disabled(args.download.no_cache, &*context.env);
    let wants = |plan: &Plan<'_>, candidates: &[Candidate]| {
        let always = wants_update(update, plan) || matches!(plan.lockable, Lockable::Url { .. });
        survey::wants_to_judge(plan, candidates, algorithm, always)
    };
    let (mut problems, downloaded) = survey::list_and_download(
        &mut plans,
        &survey::Listing {
            client,
            filter: &filter,
            jobs,
            second_opinion,
            cooldown: cooldown.as_ref(),
            stop: None,
        },
        cache.as_ref(),
        earlier,
        &wants,
        printer,
    );
    let (downloaded, failed) = survey::split_failures(downloaded);
    problems.extend(failed);
    if !problems.is_empty() {
        return Ok(report_problems(&problems, printer));
    }

    let verdicts: Vec<Verdict> = plans
        .iter()
        .map(|plan| {
            let recording = if wants_update(update, plan) {
                Recording::Update
            } else {
                Recording::FirstUse
            };
            let policy = Policy {
                scope: Scope::Release,
                recording,
                algorithm,
            };
            judge(plan.record(), &survey::sightings(plan, &downloaded), policy)
        })
        .collect();

    if verdicts.iter().any(Verdict::refuses) {
        report_refusal(&plans, &verdicts, loaded, printer);
        // What arrived was not the file (an error page, a body cut short): the index failed,
        // which is operational (4). A verdict on bytes (1) outranks it, and is never hidden.
        let operational = verdicts.iter().all(|verdict| {
            verdict
                .with_outcome(Outcome::Fail)
                .chain(verdict.with_outcome(Outcome::Retry))
                .all(|judged| judged.status.is_operational())
        });
        return Ok(if operational {
            Status::Error
        } else {
            Status::Failure
        });
    }
    for (plan, verdict) in plans.iter().zip(&verdicts) {
        report::verdict::print_lock_warnings(printer, &plan.about(), verdict, &plan.update_name());
    }
    save(args, &plans, &verdicts, loaded, on_disk, context)
}

/// Reports every problem that kept lock from seeing everything; the status is the gravest:
/// 4 if anything operational failed, else 2 (every problem was in the input).
pub(crate) fn report_problems(problems: &[anyhow::Error], printer: &Printer) -> Status {
    for problem in problems {
        printer.error(problem);
    }
    let count = problems.len();
    printer.err(&format!(
        "nothing written: {count} {}",
        plural(count, "problem", "problems")
    ));
    problems
        .iter()
        .map(status_of)
        .max()
        .unwrap_or(Status::Error)
}

/// `--update` takes names; a value that names an existing file is a file given after it.
fn split_update_values(args: &LockArgs) -> (Vec<PathBuf>, Option<Vec<String>>) {
    let mut files = args.files.clone();
    let update = args.update.as_ref().map(|values| {
        values
            .iter()
            .filter(|value| {
                let is_file = Path::new(value).is_file();
                if is_file {
                    files.push(PathBuf::from(value));
                }
                !is_file
            })
            .cloned()
            .collect()
    });
    (files, update)
}

/// Refuses `--update NAME` when NAME is pinned nowhere: a typo would otherwise re-record nothing.
fn check_update_names(update: Option<&Vec<String>>, plans: &[Plan<'_>]) -> Result<()> {
    let Some(names) = update else {
        return Ok(());
    };
    for name in names {
        let wanted = PackageName::new(name);
        if !plans
            .iter()
            .any(|plan| plan.project() == Some(wanted.clone()))
        {
            return Err(UsageError::new(format!(
                "`--update {name}` names no requirement in the files being locked"
            ))
            .into());
        }
    }
    Ok(())
}

fn wants_update(update: Option<&Vec<String>>, plan: &Plan<'_>) -> bool {
    update.is_some_and(Vec::is_empty)
        || plan
            .project()
            .is_some_and(|project| names_project(update, &project))
}

/// Whether `--update [NAME]...` covers `project`: no name means every project.
pub(crate) fn names_project(update: Option<&Vec<String>>, project: &PackageName) -> bool {
    update.is_some_and(|names| {
        names.is_empty() || names.iter().any(|name| PackageName::new(name) == *project)
    })
}

/// The refusal: every failure with both hashes, then a diff of each affected file.
fn report_refusal(plans: &[Plan<'_>], verdicts: &[Verdict], loaded: &[Loaded], printer: &Printer) {
    let mut splices: BTreeMap<usize, Vec<Splice>> = BTreeMap::new();
    let mut projects = BTreeSet::new();
    let mut refused = Vec::new();
    for (plan, verdict) in plans.iter().zip(verdicts) {
        if !verdict.refuses() {
            continue;
        }
        report::verdict::print_failures(printer, &plan.about(), verdict);
        refused.push(verdict);
        projects.insert(plan.update_name());
        if let Some(pin) = plan.pin
            && let Some(splice) = pin_edit(pin.document, pin.line, pin.entry, &verdict.accepted)
        {
            splices.entry(pin.document_index).or_default().push(splice);
        }
    }
    report::verdict::print_lockfile_diffs(printer, loaded, splices);
    let names: Vec<String> = projects.into_iter().collect();
    report::verdict::print_refusal_summary(printer, &refused, &names, "nothing written");
}

/// Writes (or, with `--dry-run`/`--check`, shows) each file that changed.
fn save(
    args: &LockArgs,
    plans: &[Plan<'_>],
    verdicts: &[Verdict],
    loaded: &[Loaded],
    on_disk: &[String],
    context: &Context,
) -> Result<Status> {
    let printer = &context.printer;
    let mut splices: BTreeMap<usize, Vec<Splice>> = BTreeMap::new();
    let mut counts: BTreeMap<usize, (usize, usize)> = BTreeMap::new();
    for (plan, verdict) in plans.iter().zip(verdicts) {
        let Some(pin) = plan.pin else { continue };
        let count = counts.entry(pin.document_index).or_default();
        count.0 += 1;
        count.1 += verdict.pins.provenance.len();
        if verdict.pins == Pins::default() {
            continue;
        }
        if let Some(splice) = pin_edit(pin.document, pin.line, pin.entry, &verdict.pins) {
            splices.entry(pin.document_index).or_default().push(splice);
        }
    }
    let elapsed = context.started.elapsed().as_secs_f64();
    let mut status = Status::Success;
    // A write puts every file in place or none (see `persist::commit`), so what it says waits
    // until then; `--dry-run` and `--check` write nothing and say it as they go.
    let writes = !(args.dry_run || args.check);
    let mut prepared = Vec::new();
    let mut said = Vec::new();
    let mut say = |line: String| {
        if writes {
            said.push(line);
        } else {
            printer.info(&line);
        }
    };
    for (document_index, item) in loaded.iter().enumerate() {
        let Some(&(requirements, artifacts)) = counts.get(&document_index) else {
            continue;
        };
        let document = &item.document;
        let shown = document.path.display().to_string();
        let new_text = apply(
            &document.source,
            splices.remove(&document_index).unwrap_or_default(),
        );
        let summary = format!(
            "{requirements} {}, {artifacts} {}",
            plural(requirements, "requirement", "requirements"),
            plural(artifacts, "artifact", "artifacts"),
        );
        let old_text = &on_disk[document_index];
        if new_text == *old_text {
            say(format!("`{shown}` is up to date ({summary})"));
            continue;
        }
        if !writes {
            printer.out(&printer.diff(true, &shown, old_text, &new_text))?;
            if args.check {
                status = Status::Failure;
            }
            say(format!(
                "`{shown}` would change ({summary}); nothing written"
            ));
            continue;
        }
        prepared.push(persist::prepare(
            &document.path,
            document.encode(old_text)?,
            &document.encode(&new_text)?,
        )?);
        say(format!(
            "{} `{shown}` ({summary}) in {elapsed:.2}s",
            printer.err_style(Style::Green, "locked")
        ));
    }
    persist::commit(prepared)?;
    for line in said {
        printer.info(&line);
    }
    Ok(status)
}
