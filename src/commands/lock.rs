//! `hashpin lock`: record the hashes and source URLs of every artifact of each pinned
//! requirement, and check again everything recorded before.
//!
//! The recipe: load the files and their includes; decide what each entry pins; list every
//! project on every index; download and hash what must be seen; judge each entry; refuse with a
//! report if anything recorded changed; otherwise write each file that changed, atomically.

use std::collections::{BTreeMap, BTreeSet};
use std::fmt::Write as _;
use std::path::{Path, PathBuf};

use anyhow::{Context as _, Result};

use crate::artifact::ArtifactName;
use crate::cache::Cache;
use crate::cli::LockArgs;
use crate::commands::Context;
use crate::error::{Status, UsageError, status_of};
use crate::fetch::FetchRequest;
use crate::hash::HashAlgorithm;
use crate::lockfile::{
    Finding, Lockable, Observation, Seen, Verdict, algorithms_for, confirmed_by_index, judge,
};
use crate::name::PackageName;
use crate::persist;
use crate::report::Style;
use crate::requirements::edit::{Pins, Splice, apply, pin};
use crate::requirements::load::{Loaded, load};
use crate::survey::{self, Plan, location, plural};

/// Runs `hashpin lock`.
pub fn run(args: &LockArgs, context: &Context) -> Result<Status> {
    let (files, update) = split_update_values(args);
    if args.resolve {
        return crate::commands::resolve::run(args, &files, context);
    }
    let files = survey::requirement_files(&files, "lock")?;
    let _locks = lock_files(&files, &context.printer)?;
    let loaded = load(&files, &*context.env)?;
    let on_disk: Vec<String> = loaded
        .iter()
        .map(|item| item.document.source.clone())
        .collect();
    lock_loaded(args, &loaded, &on_disk, update.as_ref(), context)
}

/// Takes the advisory lock of each file, saying so when another hashpin holds one.
pub fn lock_files(
    files: &[PathBuf],
    printer: &crate::report::Printer,
) -> Result<Vec<persist::FileLock>> {
    files
        .iter()
        .map(|path| {
            persist::lock(path, || {
                printer.info(&format!(
                    "waiting for another hashpin to finish with `{}`",
                    path.display()
                ));
            })
            .with_context(|| format!("cannot lock `{}`", path.display()))
        })
        .collect()
}

/// Locks loaded documents: lists, downloads, judges, and writes each document whose text
/// differs from `on_disk` (what its file holds now, by document).
pub fn lock_loaded(
    args: &LockArgs,
    loaded: &[Loaded],
    on_disk: &[String],
    update: Option<&Vec<String>>,
    context: &Context,
) -> Result<Status> {
    let printer = &context.printer;
    let mut plans = survey::plan_entries(loaded, printer)?;
    check_update_names(update, &plans, loaded)?;
    let client = survey::open_client(&args.index, loaded, &*context.env)?;
    let filter = survey::target_filter(&args.target)?;
    let jobs = args.download.jobs.max(1);
    let mut problems = survey::find_candidates(&mut plans, loaded, &client, &filter, jobs, printer);

    // Download and hash everything that must be seen, each URL once.
    let algorithm = HashAlgorithm::from_name(&args.algorithm).unwrap_or(HashAlgorithm::Sha256);
    let requests = fetch_requests(&plans, loaded, algorithm, update);
    let cache = if args.download.no_cache {
        None
    } else {
        Cache::from_env(&*context.env)
    };
    let (downloaded, failed) = survey::download(&client, cache.as_ref(), &requests, jobs, printer);
    problems.extend(failed);
    if !problems.is_empty() {
        return Ok(report_problems(&problems, printer));
    }

    // Judge every entry.
    let verdicts: Vec<Verdict> = plans
        .iter()
        .map(|plan| {
            let (_, _, entry) = plan.line(loaded);
            let observations: Vec<Observation> = plan
                .candidates
                .iter()
                .filter_map(|candidate| {
                    let seen = match downloaded.get(&candidate.url) {
                        Some(fetched) => Seen::Downloaded(fetched.digests.clone()),
                        None => Seen::ConfirmedByIndex(confirmed_by_index(entry, candidate)?),
                    };
                    Some(Observation {
                        candidate: candidate.clone(),
                        seen,
                    })
                })
                .collect();
            judge(entry, &observations, wants_update(update, plan), algorithm)
        })
        .collect();

    if verdicts.iter().any(|verdict| !verdict.failures.is_empty()) {
        report_refusal(&plans, &verdicts, loaded, context);
        return Ok(Status::Failure);
    }
    report_warnings(&plans, &verdicts, loaded, context);
    save(args, &plans, &verdicts, loaded, on_disk, context)
}

/// Reports every problem that kept lock from seeing everything; the status is the gravest:
/// 4 if anything operational failed, else 2 (every problem was in the input).
fn report_problems(problems: &[anyhow::Error], printer: &crate::report::Printer) -> Status {
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
fn check_update_names(
    update: Option<&Vec<String>>,
    plans: &[Plan],
    loaded: &[Loaded],
) -> Result<()> {
    let Some(names) = update else {
        return Ok(());
    };
    for name in names {
        let wanted = PackageName::new(name);
        let found = plans
            .iter()
            .any(|plan| plan.project(loaded).as_ref() == Some(&wanted));
        if !found {
            return Err(UsageError::new(format!(
                "`--update {name}` names no requirement in the files being locked"
            ))
            .into());
        }
    }
    Ok(())
}

fn wants_update(update: Option<&Vec<String>>, plan: &Plan) -> bool {
    let project = match &plan.lockable {
        Lockable::Release { project, .. } => Some(project.clone()),
        Lockable::Url { filename, .. } => ArtifactName::parse(filename, None)
            .ok()
            .map(|artifact| artifact.project),
    };
    project.is_some_and(|project| names_project(update, &project))
        || update.is_some_and(Vec::is_empty)
}

/// Whether `--update [NAME]...` covers `project`: no name means every project.
pub fn names_project(update: Option<&Vec<String>>, project: &PackageName) -> bool {
    update.is_some_and(|names| {
        names.is_empty() || names.iter().any(|name| PackageName::new(name) == *project)
    })
}

/// One request per URL that must be downloaded, with every algorithm any entry needs of it.
///
/// A download is skipped only to *confirm* a record the index vouches for. Never for
/// `--update`, which must write hashes computed here, and never for a direct URL, whose
/// `#sha256=` fragment is the user's own text and cannot vouch for itself.
fn fetch_requests(
    plans: &[Plan],
    loaded: &[Loaded],
    algorithm: HashAlgorithm,
    update: Option<&Vec<String>>,
) -> Vec<FetchRequest> {
    let mut by_url: BTreeMap<String, FetchRequest> = BTreeMap::new();
    for plan in plans {
        let (_, _, entry) = plan.line(loaded);
        let always = wants_update(update, plan) || matches!(plan.lockable, Lockable::Url { .. });
        for candidate in &plan.candidates {
            if !always && confirmed_by_index(entry, candidate).is_some() {
                continue;
            }
            let algorithms = algorithms_for(entry, candidate, algorithm);
            let request = by_url
                .entry(candidate.url.to_string())
                .or_insert_with(|| FetchRequest {
                    url: candidate.url.clone(),
                    algorithms: Vec::new(),
                });
            request.algorithms.extend(algorithms);
            request.algorithms.sort();
            request.algorithms.dedup();
        }
    }
    by_url.into_values().collect()
}

/// The refusal: every failure with both hashes, then a diff of each affected file.
fn report_refusal(plans: &[Plan], verdicts: &[Verdict], loaded: &[Loaded], context: &Context) {
    let printer = &context.printer;
    let mut splices: BTreeMap<usize, Vec<Splice>> = BTreeMap::new();
    let mut changed = 0;
    let mut lied = 0;
    let mut projects = BTreeSet::new();
    for (plan, verdict) in plans.iter().zip(verdicts) {
        if verdict.failures.is_empty() {
            continue;
        }
        let (document, line, entry) = plan.line(loaded);
        let requirement = entry.shown();
        for failure in &verdict.failures {
            let mut text = String::new();
            match failure {
                Finding::Changed {
                    filename,
                    url,
                    recorded,
                    observed,
                } => {
                    changed += 1;
                    let _ = write!(
                        text,
                        "`{filename}` changed since it was locked\n  requirement: {requirement} ({})\n  url:         {url}\n  recorded:    {}\n  observed:    {}",
                        location(document, line),
                        printer.err_style(Style::Red, &recorded.to_string()),
                        printer.err_style(Style::Green, &observed.to_string()),
                    );
                }
                Finding::IndexMismatch {
                    filename,
                    url,
                    declared,
                    observed,
                } => {
                    lied += 1;
                    let _ = write!(
                        text,
                        "the index declares a digest that `{filename}` does not have\n  requirement: {requirement} ({})\n  url:         {url}\n  declared:    {}\n  observed:    {}",
                        location(document, line),
                        printer.err_style(Style::Red, &declared.to_string()),
                        printer.err_style(Style::Green, &observed.to_string()),
                    );
                }
                Finding::NothingMatches { recorded } => {
                    changed += 1;
                    let _ = write!(
                        text,
                        "none of the {recorded} recorded {} belongs to a file of `{requirement}` ({})\n  the pin was changed without re-locking, or every file was replaced",
                        plural(*recorded, "hash", "hashes"),
                        location(document, line),
                    );
                }
                Finding::Unaccounted {
                    filename,
                    url,
                    observed,
                    unmatched,
                } => {
                    changed += 1;
                    let shown: Vec<String> = unmatched.iter().map(ToString::to_string).collect();
                    let _ = write!(
                        text,
                        "`{filename}` is served with a hash the lockfile does not record, while a recorded hash matches no file: it was probably republished\n  requirement: {requirement} ({})\n  url:         {url}\n  recorded:    {}\n  observed:    {}",
                        location(document, line),
                        printer.err_style(Style::Red, &shown.join(", ")),
                        printer.err_style(Style::Green, &observed.to_string()),
                    );
                }
                _ => continue,
            }
            let prefix = printer.err_style(Style::Red, "error");
            printer.err(&format!(
                "{}: {text}",
                printer.err_style(Style::Bold, &prefix)
            ));
        }
        if let Some(project) = plan.project(loaded) {
            projects.insert(project.to_string());
        }
        if let Some(splice) = pin(document, line, entry, &verdict.accepted) {
            splices.entry(plan.document).or_default().push(splice);
        }
    }
    survey::print_diffs(printer, loaded, splices);
    if changed > 0 {
        let names: Vec<String> = projects.into_iter().collect();
        printer.err(&format!(
            "{} only if you know why the bytes changed: `hashpin lock --update {}`",
            printer.err_style(Style::Cyan, "hint: re-record"),
            names.join(" ")
        ));
    }
    let mut parts = Vec::new();
    if changed > 0 {
        parts.push(format!(
            "{changed} recorded {} changed",
            plural(changed, "artifact", "artifacts")
        ));
    }
    if lied > 0 {
        parts.push(format!(
            "{lied} declared {} wrong",
            plural(lied, "digest", "digests")
        ));
    }
    printer.err(&format!(
        "{}: {}; nothing written",
        printer.err_style(Style::Red, "refused"),
        parts.join(", ")
    ));
}

fn report_warnings(plans: &[Plan], verdicts: &[Verdict], loaded: &[Loaded], context: &Context) {
    let printer = &context.printer;
    for (plan, verdict) in plans.iter().zip(verdicts) {
        let (document, line, entry) = plan.line(loaded);
        let at = location(document, line);
        let requirement = entry.shown();
        let project = plan
            .project(loaded)
            .map_or_else(String::new, |p| p.to_string());
        // New files come in groups (every wheel of a release recorded by `install`): one
        // warning per entry, naming the first few.
        let added: Vec<&str> = verdict
            .warnings
            .iter()
            .filter_map(|finding| match finding {
                Finding::Added { filename, .. } => Some(filename.as_str()),
                _ => None,
            })
            .collect();
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
        for warning in &verdict.warnings {
            let message = match warning {
                Finding::Added { .. } => continue,
                Finding::Missing { filename, .. } => format!(
                    "{at}: `{requirement}`: `{filename}` is recorded but no longer listed; its hash is kept\nhint: drop it with `hashpin lock --update {project}`"
                ),
                Finding::Unmatched { hash } => format!(
                    "{at}: `{requirement}`: no file served now has the recorded hash `{}`",
                    hash.short()
                ),
                Finding::Yanked { filename, reason } if reason.is_empty() => {
                    format!("{at}: `{filename}` is yanked")
                }
                Finding::Yanked { filename, reason } => {
                    format!("{at}: `{filename}` is yanked: {reason}")
                }
                Finding::Changed {
                    filename,
                    recorded,
                    observed,
                    ..
                } => format!(
                    "{at}: `{filename}` re-recorded: {} -> {}",
                    recorded.short(),
                    observed.short()
                ),
                Finding::IndexMismatch { .. }
                | Finding::NothingMatches { .. }
                | Finding::Unaccounted { .. } => continue,
            };
            printer.warning(&message);
        }
    }
}

/// Writes (or, with `--dry-run`/`--check`, shows) each file that changed.
fn save(
    args: &LockArgs,
    plans: &[Plan],
    verdicts: &[Verdict],
    loaded: &[Loaded],
    on_disk: &[String],
    context: &Context,
) -> Result<Status> {
    let printer = &context.printer;
    let mut splices: BTreeMap<usize, Vec<Splice>> = BTreeMap::new();
    let mut counts: BTreeMap<usize, (usize, usize)> = BTreeMap::new();
    for (plan, verdict) in plans.iter().zip(verdicts) {
        let (document, line, entry) = plan.line(loaded);
        let count = counts.entry(plan.document).or_default();
        count.0 += 1;
        count.1 += verdict.pins.provenance.len();
        if verdict.pins == Pins::default() {
            continue;
        }
        if let Some(splice) = pin(document, line, entry, &verdict.pins) {
            splices.entry(plan.document).or_default().push(splice);
        }
    }
    let elapsed = context.started.elapsed().as_secs_f64();
    let mut status = Status::Success;
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
            printer.info(&format!("`{shown}` is up to date ({summary})"));
            continue;
        }
        if args.dry_run || args.check {
            printer.out(&printer.diff(true, &shown, old_text, &new_text))?;
            if args.check {
                status = Status::Failure;
            }
            printer.info(&format!(
                "`{shown}` would change ({summary}); nothing written"
            ));
            continue;
        }
        persist::write_atomically(&document.path, &new_text)
            .with_context(|| format!("cannot write `{shown}`"))?;
        printer.info(&format!(
            "{} `{shown}` ({summary}) in {elapsed:.2}s",
            printer.err_style(Style::Green, "locked")
        ));
    }
    Ok(status)
}
