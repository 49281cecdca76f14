//! `hashpin lock`: record the hashes and source URLs of every artifact of each pinned
//! requirement, and check again everything recorded before.
//!
//! The recipe: load the files and their includes; decide what each entry pins; list every
//! project on every index; download and hash what must be seen; judge each entry; refuse with a
//! report if anything recorded changed; otherwise write each file that changed, atomically.

use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::fmt::Write as _;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;

use anyhow::{Context as _, Result};
use url::Url;

use crate::artifact::ArtifactName;
use crate::cache::Cache;
use crate::cli::LockArgs;
use crate::commands::Context;
use crate::env_vars::EnvVars;
use crate::error::{Status, UsageError};
use crate::fetch::{FetchRequest, Fetched, fetch_all};
use crate::hash::{HashAlgorithm, HashDigest};
use crate::index::{Client, ProjectListing, config};
use crate::lockfile::{
    Candidate, Finding, Lockable, NotLockable, Observation, Verdict, algorithms_for, classify,
    judge, needs_download,
};
use crate::name::PackageName;
use crate::platform::TargetFilter;
use crate::report::Style;
use crate::requirements::edit::{Pins, Splice, apply, pin};
use crate::requirements::load::{Loaded, Role, load};
use crate::requirements::{Document, Entry, FileOption, Line, ParseError, ParseErrors};
use crate::{persist, pool};

/// One entry lock will pin: where it is, and what it pins.
struct Plan {
    document: usize,
    line: usize,
    lockable: Lockable,
    candidates: Vec<Candidate>,
}

impl Plan {
    fn line<'a>(&self, loaded: &'a [Loaded]) -> (&'a Document, &'a Line, &'a Entry) {
        let document = &loaded[self.document].document;
        let line = &document.lines[self.line];
        let crate::requirements::LineKind::Requirement(entry) = &line.kind else {
            unreachable!("plans are made from requirement lines only");
        };
        (document, line, entry)
    }
}

/// Runs `hashpin lock`.
pub fn run(args: &LockArgs, context: &Context) -> Result<Status> {
    let printer = &context.printer;
    let (files, update) = split_update_values(args);
    let files = requirement_files(&files)?;
    let _locks = files
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
        .collect::<Result<Vec<_>>>()?;

    let loaded = load(&files, &*context.env)?;
    let mut plans = plan_entries(&loaded, context)?;
    check_update_names(update.as_ref(), &plans, &loaded)?;

    let documents: Vec<&Document> = loaded.iter().map(|l| &l.document).collect();
    let settings = config::resolve(&args.index.to_args(), &documents, &*context.env)?;
    if settings.indexes.is_empty() && settings.find_links.is_empty() {
        return Err(UsageError::new(
            "no index to look in: `--no-index` is set and there is no `--find-links`\nhint: drop `--no-index`, or add `--find-links <dir>`",
        )
        .into());
    }
    let netrc = netrc_text(context);
    let retry_delay = (context.env)(EnvVars::HASHPIN_RETRY_DELAY_MS)
        .and_then(|ms| ms.parse().ok())
        .map_or(Duration::from_millis(500), Duration::from_millis);
    // Never dropped: dropping the blocking client joins its runtime, which waits for any DNS
    // lookup still running in the background (seen taking 5 s after all work was done).
    let client = std::mem::ManuallyDrop::new(Client::new(settings, netrc.as_deref(), retry_delay)?);
    let filter = target_filter(args)?;
    let jobs = args.jobs.max(1);

    // List every project once, all at the same time.
    let mut problems = Vec::new();
    let projects: Vec<PackageName> = plans
        .iter()
        .filter_map(|plan| match &plan.lockable {
            Lockable::Release { project, .. } => Some(project.clone()),
            Lockable::Url { .. } => None,
        })
        .collect::<BTreeSet<_>>()
        .into_iter()
        .collect();
    let listed = AtomicUsize::new(0);
    let listings = pool::map_bounded(
        &projects,
        jobs,
        |project| client.list_project(project),
        &|_| {
            let done = listed.fetch_add(1, Ordering::Relaxed) + 1;
            printer.progress(&format!("listing {done}/{} projects", projects.len()));
        },
    );
    let mut by_project: HashMap<PackageName, ProjectListing> = HashMap::new();
    for (project, listing) in projects.iter().zip(listings) {
        match listing {
            Ok(listing) => {
                for (name, page) in &listing.refused {
                    printer.warning(&format!(
                        "`{page}` lists `{name}`, which is not a safe artifact name; ignored"
                    ));
                }
                by_project.insert(project.clone(), listing);
            }
            Err(error) => problems.push(anyhow::Error::from(error)),
        }
    }

    for plan in &mut plans {
        plan.candidates = match &plan.lockable {
            Lockable::Release { project, version } => {
                let Some(listing) = by_project.get(project) else {
                    continue;
                };
                let candidates = release_candidates(listing, project, version, &filter);
                if candidates.is_empty() {
                    let (document, line, entry) = plan.line(&loaded);
                    problems.push(no_files_error(
                        document, line, entry, listing, project, &client,
                    ));
                }
                candidates
            }
            Lockable::Url { url, filename } => vec![url_candidate(url, filename)],
        };
    }

    add_json_api_digests(&mut plans, &client, jobs);

    // Download and hash everything that must be seen, each URL once.
    let algorithm = HashAlgorithm::from_name(&args.algorithm).unwrap_or(HashAlgorithm::Sha256);
    let requests = fetch_requests(&plans, &loaded, algorithm);
    let cache = if args.no_cache {
        None
    } else {
        Cache::from_env(&*context.env)
    };
    let fetched_count = AtomicUsize::new(0);
    let results = fetch_all(&client, cache.as_ref(), &requests, jobs, &|_| {
        let done = fetched_count.fetch_add(1, Ordering::Relaxed) + 1;
        printer.progress(&format!("hashing {done}/{} artifacts", requests.len()));
    });
    printer.clear_progress();
    let mut downloaded: HashMap<Url, Fetched> = HashMap::new();
    for (request, result) in requests.iter().zip(results) {
        match result {
            Ok(fetched) => {
                downloaded.insert(request.url.clone(), fetched);
            }
            Err(error) => problems.push(anyhow::Error::from(error)),
        }
    }
    if !problems.is_empty() {
        let count = problems.len();
        for problem in &problems {
            printer.error(problem);
        }
        printer.err(&format!(
            "nothing written: {count} {} could not be listed or downloaded",
            if count == 1 { "thing" } else { "things" }
        ));
        return Ok(Status::Error);
    }

    // Judge every entry.
    let verdicts: Vec<Verdict> = plans
        .iter()
        .map(|plan| {
            let (_, _, entry) = plan.line(&loaded);
            let observations: Vec<Observation> = plan
                .candidates
                .iter()
                .map(|candidate| Observation {
                    candidate: candidate.clone(),
                    digests: downloaded
                        .get(&candidate.url)
                        .map(|fetched| fetched.digests.clone()),
                })
                .collect();
            judge(
                entry,
                &observations,
                wants_update(update.as_ref(), plan),
                algorithm,
            )
        })
        .collect();

    if verdicts.iter().any(|verdict| !verdict.failures.is_empty()) {
        report_refusal(&plans, &verdicts, &loaded, context);
        return Ok(Status::Failure);
    }
    report_warnings(&plans, &verdicts, &loaded, context);
    save(args, &plans, &verdicts, &loaded, context)
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

/// The files to lock: those named, else `requirements.txt`.
fn requirement_files(files: &[PathBuf]) -> Result<Vec<PathBuf>> {
    if !files.is_empty() {
        for file in files {
            if !file.is_file() {
                return Err(UsageError::new(format!(
                    "`{}` does not exist or is not a file",
                    file.display()
                ))
                .into());
            }
        }
        return Ok(files.to_vec());
    }
    let default = PathBuf::from("requirements.txt");
    if default.is_file() {
        Ok(vec![default])
    } else {
        Err(UsageError::new(
            "no `requirements.txt` in the current directory\nhint: name the file to lock: `hashpin lock path/to/requirements.txt`",
        )
        .into())
    }
}

/// Decides what each entry pins; unpinned entries are input errors, reported all at once.
fn plan_entries(loaded: &[Loaded], context: &Context) -> Result<Vec<Plan>> {
    let mut plans = Vec::new();
    let mut unpinned = Vec::new();
    for (document_index, item) in loaded.iter().enumerate() {
        if item.role == Role::Constraints {
            continue;
        }
        let document = &item.document;
        let directory = document
            .path
            .parent()
            .filter(|parent| !parent.as_os_str().is_empty())
            .unwrap_or(Path::new("."));
        for (line_index, line, entry) in document.entries() {
            match classify(entry, directory) {
                Ok(lockable) => plans.push(Plan {
                    document: document_index,
                    line: line_index,
                    lockable,
                    candidates: Vec::new(),
                }),
                Err(NotLockable::Unpinned(message)) => unpinned.push(ParseError::new(
                    &document.path,
                    &document.source,
                    entry.requirement.span.clone(),
                    message,
                )),
                Err(NotLockable::Unhashable(message)) => context.printer.warning(&format!(
                    "{}:{}: not locked: {message}\nhint: `pip install --require-hashes` refuses such a requirement",
                    document.path.display(),
                    line.number
                )),
            }
        }
        for (line, option) in document.options() {
            if let FileOption::Editable(target) = &option.value {
                context.printer.warning(&format!(
                    "{}:{}: not locked: `-e {target}` is editable, and pip refuses hashes for editable requirements",
                    document.path.display(),
                    line.number
                ));
            }
        }
    }
    if unpinned.is_empty() {
        return Ok(plans);
    }
    let count = unpinned.len();
    Err(anyhow::Error::from(ParseErrors(unpinned)).context(format!(
        "{count} {} not pinned to one version\nhint: pin each as `name==version`; `hashpin lock` records the files of one release",
        if count == 1 { "requirement is" } else { "requirements are" }
    )))
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
            .any(|plan| plan_project(plan, loaded).as_ref() == Some(&wanted));
        if !found {
            return Err(UsageError::new(format!(
                "`--update {name}` names no requirement in the files being locked"
            ))
            .into());
        }
    }
    Ok(())
}

/// The project an entry pins, when it names one.
fn plan_project(plan: &Plan, loaded: &[Loaded]) -> Option<PackageName> {
    match &plan.lockable {
        Lockable::Release { project, .. } => Some(project.clone()),
        Lockable::Url { .. } => match &plan.line(loaded).2.target {
            crate::requirements::Target::Pep508(requirement) => {
                Some(PackageName::new(requirement.name.as_ref()))
            }
            crate::requirements::Target::Unnamed(_) => None,
        },
    }
}

fn wants_update(update: Option<&Vec<String>>, plan: &Plan) -> bool {
    match update {
        None => false,
        Some(names) if names.is_empty() => true,
        Some(names) => match &plan.lockable {
            Lockable::Release { project, .. } => {
                names.iter().any(|name| PackageName::new(name) == *project)
            }
            Lockable::Url { filename, .. } => {
                ArtifactName::parse(filename, None).is_ok_and(|artifact| {
                    names
                        .iter()
                        .any(|name| PackageName::new(name) == artifact.project)
                })
            }
        },
    }
}

fn target_filter(args: &LockArgs) -> Result<TargetFilter> {
    let python_version = match &args.python_version {
        None => None,
        Some(text) => Some(TargetFilter::parse_python_version(text).ok_or_else(|| {
            UsageError::new(format!(
                "invalid `--python-version {text}` (expected `X.Y`, such as `3.11`)"
            ))
        })?),
    };
    Ok(TargetFilter {
        python_version,
        platforms: args.platform.clone(),
        implementation: args.implementation.clone(),
    })
}

fn netrc_text(context: &Context) -> Option<String> {
    let path = (context.env)(EnvVars::NETRC)
        .map(PathBuf::from)
        .or_else(|| (context.env)(EnvVars::HOME).map(|home| Path::new(&home).join(".netrc")))?;
    std::fs::read_to_string(path).ok()
}

/// The files of one release that suit the target, each (filename, URL) once.
fn release_candidates(
    listing: &ProjectListing,
    project: &PackageName,
    version: &crate::lockfile::PinnedVersion,
    filter: &TargetFilter,
) -> Vec<Candidate> {
    let mut seen = BTreeSet::new();
    let mut candidates = Vec::new();
    for listed in &listing.files {
        let file = &listed.file;
        let Ok(artifact) = ArtifactName::parse(&file.filename, Some(project)) else {
            continue;
        };
        if artifact.project != *project || !version.matches(&artifact) || !filter.accepts(&artifact)
        {
            continue;
        }
        if !seen.insert((file.filename.clone(), file.url.clone())) {
            continue;
        }
        candidates.push(Candidate {
            filename: file.filename.clone(),
            url: file.url.clone(),
            declared: file.declared.clone(),
            yanked: file.yanked.clone(),
        });
    }
    candidates.sort_by(|a, b| (&a.filename, &a.url).cmp(&(&b.filename, &b.url)));
    candidates
}

fn url_candidate(url: &Url, filename: &str) -> Candidate {
    let declared = url
        .fragment()
        .and_then(|fragment| fragment.split_once('='))
        .and_then(|(algorithm, hex)| {
            HashDigest::new(HashAlgorithm::from_name(algorithm)?, hex).ok()
        })
        .into_iter()
        .collect();
    let mut bare = url.clone();
    bare.set_fragment(None);
    Candidate {
        filename: filename.to_string(),
        url: bare,
        declared,
        yanked: None,
    }
}

fn no_files_error(
    document: &Document,
    line: &Line,
    entry: &Entry,
    listing: &ProjectListing,
    project: &PackageName,
    client: &Client,
) -> anyhow::Error {
    let mut versions: Vec<pep440_rs::Version> = listing
        .files
        .iter()
        .filter_map(|listed| ArtifactName::parse(&listed.file.filename, Some(project)).ok())
        .filter(|artifact| artifact.project == *project)
        .filter_map(|artifact| artifact.version)
        .collect();
    versions.sort();
    versions.dedup();
    let searched: Vec<String> = client
        .settings()
        .indexes
        .iter()
        .map(|url| format!("`{}`", crate::safe_url::Redacted(url)))
        .chain(
            client
                .settings()
                .find_links
                .iter()
                .map(|location| match location {
                    config::FindLinks::Directory(path) => format!("`{}`", path.display()),
                    config::FindLinks::Page(url) => format!("`{}`", crate::safe_url::Redacted(url)),
                }),
        )
        .collect();
    let available = if versions.is_empty() {
        format!("no release of `{project}` is listed there")
    } else {
        let shown: Vec<String> = versions
            .iter()
            .rev()
            .take(10)
            .map(ToString::to_string)
            .collect();
        format!("versions listed: {}", shown.join(", "))
    };
    anyhow::anyhow!(
        "{}:{}: no files for `{}` in {}\nhint: {available}",
        document.path.display(),
        line.number,
        entry.requirement.value,
        searched.join(", ")
    )
}

/// Adds what PyPI's JSON API declares (blake2b-256 besides sha256) to each release's files, so
/// that the bytes are checked against a second, independent statement of the index.
fn add_json_api_digests(plans: &mut [Plan], client: &Client, jobs: usize) {
    let releases: Vec<(PackageName, String)> = plans
        .iter()
        .filter_map(|plan| match (&plan.lockable, plan.candidates.first()) {
            (Lockable::Release { project, .. }, Some(first)) => {
                let artifact = ArtifactName::parse(&first.filename, Some(project)).ok()?;
                Some((project.clone(), artifact.version_text))
            }
            _ => None,
        })
        .collect::<BTreeSet<_>>()
        .into_iter()
        .collect();
    let answers = pool::map_bounded(
        &releases,
        jobs,
        |(project, version)| client.json_api_digests(project, version),
        &|_| {},
    );
    let declared: HashMap<Url, Vec<HashDigest>> = answers.into_iter().flatten().collect();
    for candidate in plans.iter_mut().flat_map(|plan| plan.candidates.iter_mut()) {
        if let Some(extra) = declared.get(&candidate.url) {
            candidate.declared.extend(extra.iter().cloned());
            candidate.declared.sort();
            candidate.declared.dedup();
        }
    }
}

/// One request per URL that must be downloaded, with every algorithm any entry needs of it.
fn fetch_requests(
    plans: &[Plan],
    loaded: &[Loaded],
    algorithm: HashAlgorithm,
) -> Vec<FetchRequest> {
    let mut by_url: BTreeMap<String, FetchRequest> = BTreeMap::new();
    for plan in plans {
        let (_, _, entry) = plan.line(loaded);
        for candidate in &plan.candidates {
            if !needs_download(entry, candidate) {
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

fn location(document: &Document, line: &Line) -> String {
    format!("{}:{}", document.path.display(), line.number)
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
        let requirement = &entry.requirement.value;
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
                _ => continue,
            }
            let prefix = printer.err_style(Style::Red, "error");
            printer.err(&format!(
                "{}: {text}",
                printer.err_style(Style::Bold, &prefix)
            ));
        }
        if let Some(project) = plan_project(plan, loaded) {
            projects.insert(project.to_string());
        }
        if let Some(splice) = pin(document, line, entry, &verdict.accepted) {
            splices.entry(plan.document).or_default().push(splice);
        }
    }
    for (document_index, splices) in splices {
        let document = &loaded[document_index].document;
        let accepted = apply(&document.source, splices);
        printer.err(&printer.diff(
            false,
            &document.path.display().to_string(),
            &document.source,
            &accepted,
        ));
    }
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

fn plural<'a>(count: usize, one: &'a str, many: &'a str) -> &'a str {
    if count == 1 { one } else { many }
}

fn report_warnings(plans: &[Plan], verdicts: &[Verdict], loaded: &[Loaded], context: &Context) {
    let printer = &context.printer;
    for (plan, verdict) in plans.iter().zip(verdicts) {
        let (document, line, entry) = plan.line(loaded);
        let at = location(document, line);
        let requirement = &entry.requirement.value;
        let project = plan_project(plan, loaded).map_or_else(String::new, |p| p.to_string());
        for warning in &verdict.warnings {
            let message = match warning {
                Finding::Added { filename, .. } => format!(
                    "{at}: `{requirement}`: the index now also serves `{filename}`, which the lockfile does not record\nhint: record it with `hashpin lock --update {project}`"
                ),
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
                Finding::IndexMismatch { .. } => continue,
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
        if new_text == document.source {
            printer.info(&format!("`{shown}` is up to date ({summary})"));
            continue;
        }
        if args.dry_run || args.check {
            printer.out(&printer.diff(true, &shown, &document.source, &new_text))?;
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
