//! What the indexes serve now for the pinned entries of requirements files: the shared first
//! half of `lock`, `check`, `install` and `lock --resolve`.
//!
//! The recipe: decide what each entry pins ([`plan_entries`]), open one client with pip's index
//! settings ([`open_client`]), then list every project once, pick each release's files, and
//! download what the command wants of them ([`list_and_download`]): a project's downloads start
//! as soon as its listing is read (see [`crate::downloads`]). Nothing here writes a
//! requirements file or decides whether bytes are acceptable; the judge decides, the commands
//! report. Bytes the judge refuses to record because they are not an archive (an error page, a
//! body cut short) are reported with the failed downloads, as the operational problem they are
//! (exit 4).

use std::collections::{BTreeSet, HashMap};
use std::mem::ManuallyDrop;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::time::Duration;

use anyhow::Result;
use url::Url;

use crate::artifact::ArtifactName;
use crate::cache::Cache;
use crate::cli::{IndexOptions, TargetOptions};
use crate::commands::EnvLookup;
use crate::cooldown::Cutoff;
use crate::downloads::{Downloaded, Downloads, Earlier, Want};
use crate::env_vars::EnvVars;
use crate::error::{NoReleaseFiles, UsageError};
use crate::fetch::{Examine, Fetched};
use crate::hash::{HashAlgorithm, HashDigest};
use crate::index::{Client, JsonApiDigests, ProjectListing, config};
use crate::inspect::Shape;
use crate::judge::{Bytes, Candidate, Sighting, algorithms_for, confirmed_by_index, records_file};
use crate::lockfile::{Lockable, NotLockable, Pin, PinIndex, PinnedVersion, Record};
use crate::name::PackageName;
use crate::platform::TargetFilter;
use crate::pool;
use crate::report::Printer;
use crate::report::verdict::About;
use crate::requirements::load::{Loaded, Role, options_in_pip_order};
use crate::requirements::{Document, FileOption, Line, ParseError, ParseErrors};

/// One lockable entry (or a release to record that no entry names yet), and the files the
/// indexes serve for it.
pub(crate) struct Plan<'p> {
    /// The entry, when the lockfile has one.
    pub(crate) pin: Option<&'p Pin<'p>>,
    /// What is pinned.
    pub(crate) lockable: Lockable,
    /// The requirement as it may be shown.
    pub(crate) label: String,
    /// The files of the pinned release (or the one URL) as served now.
    pub(crate) candidates: Vec<Candidate>,
    /// Whether the indexes could be asked: `false` when a listing failed, so that `candidates`
    /// says nothing about what is served.
    pub(crate) listed: bool,
}

/// The record of a release no entry names yet.
static NOTHING_RECORDED: Record = Record {
    hashes: Vec::new(),
    files: Vec::new(),
    direct: None,
    foreign: Vec::new(),
};

impl<'p> Plan<'p> {
    /// The plan for a lockable entry.
    pub(crate) fn for_pin(pin: &'p Pin<'p>) -> Option<Self> {
        Some(Self {
            lockable: pin.lockable()?.clone(),
            label: pin.shown(),
            pin: Some(pin),
            candidates: Vec::new(),
            listed: false,
        })
    }

    /// What the entry records; nothing for a release no entry names.
    pub(crate) fn record(&self) -> &Record {
        self.pin.map_or(&NOTHING_RECORDED, |pin| &pin.record)
    }

    /// The project pinned, when it names one.
    pub(crate) fn project(&self) -> Option<PackageName> {
        match &self.lockable {
            Lockable::Release { project, .. } => Some(project.clone()),
            Lockable::Url { filename, .. } => self
                .pin
                .and_then(|pin| pin.project.clone())
                .or_else(|| ArtifactName::parse(filename, None).ok().map(|a| a.project)),
        }
    }

    /// The entry as messages name it.
    pub(crate) fn about(&self) -> About {
        About {
            requirement: self.label.clone(),
            location: self.pin.map(Pin::location),
        }
    }

    /// The name `hashpin lock --update NAME` takes for this entry.
    pub(crate) fn update_name(&self) -> String {
        self.project()
            .map_or_else(|| self.label.clone(), |project| project.to_string())
    }

    /// `requirements.txt:3 `, or nothing for a release no entry names.
    fn location_prefix(&self) -> String {
        self.pin
            .map_or_else(String::new, |pin| format!("{}: ", pin.location()))
    }
}

/// The files to work on: those named, else `requirements.txt`; a missing one is a usage error.
pub(crate) fn requirement_files(files: &[PathBuf], command: &str) -> Result<Vec<PathBuf>> {
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
        Err(UsageError::new(format!(
            "no `requirements.txt` in the current directory\nhint: name the file: `hashpin {command} path/to/requirements.txt`",
        ))
        .into())
    }
}

/// The lockable entries; unpinned entries are input errors, reported all at once, and entries
/// whose bytes cannot be pinned (VCS, directories, editables) are warned about.
pub(crate) fn plan_entries<'p>(
    pins: &'p PinIndex<'p>,
    loaded: &[Loaded],
    printer: &Printer,
) -> Result<Vec<Plan<'p>>> {
    let mut plans = Vec::new();
    let mut unpinned = Vec::new();
    let mut malformed = pins.contradictions();
    for pin in pins.iter() {
        let (document, line, entry) = (pin.document, pin.line, pin.entry);
        // A trailing comment that ends in `\` joins the next line into itself (pip joins
        // before it strips comments), so that line is never read: refused, unless what it
        // swallows is blank. A full-line comment ending in `\` joins nothing: pip ends a
        // continuation at a comment line.
        if let Some(comment) = &line.comment
            && swallows_a_line(document.text(comment))
        {
            malformed.push(ParseError::new(
                &document.path,
                &document.source,
                comment.clone(),
                "this comment ends with `\\`, so pip joins the next line into it and never reads that line\nhint: remove the trailing backslash".to_string(),
            ));
            continue;
        }
        match &pin.pinned {
            Ok(_) => plans.extend(Plan::for_pin(pin)),
            Err(NotLockable::Unpinned(message)) => unpinned.push(ParseError::new(
                &document.path,
                &document.source,
                entry.requirement.span.clone(),
                message.clone(),
            )),
            Err(NotLockable::Unhashable(message)) => printer.warning(&format!(
                "{}: not locked: {message}\nhint: `pip install --require-hashes` refuses such a requirement",
                pin.location()
            )),
        }
    }
    for item in loaded.iter().filter(|item| item.role == Role::Requirements) {
        for (line, option) in item.document.options() {
            if let FileOption::Editable(target) = &option.value {
                printer.warning(&format!(
                    "{}:{}: not locked: `-e {target}` is editable, and pip refuses hashes for editable requirements",
                    item.document.path.display(),
                    line.number
                ));
            }
        }
    }
    if unpinned.is_empty() && malformed.is_empty() {
        return Ok(plans);
    }
    let count = unpinned.len();
    malformed.extend(unpinned);
    let error = anyhow::Error::from(ParseErrors(malformed));
    if count == 0 {
        return Err(error);
    }
    Err(error.context(format!(
        "{count} {} not pinned to one version\nhint: pin each as `name==version`; `hashpin lock` records the files of one release",
        if count == 1 { "requirement is" } else { "requirements are" }
    )))
}

/// Whether a comment's text joins a non-blank line into itself: a part ending in `\` with more
/// than white space after it.
fn swallows_a_line(comment: &str) -> bool {
    let parts: Vec<&str> = comment.lines().collect();
    parts.iter().enumerate().any(|(index, part)| {
        part.trim_end().ends_with('\\')
            && parts[index + 1..]
                .iter()
                .any(|later| !later.trim().is_empty())
    })
}

/// The target interpreter the user described, if any.
pub(crate) fn target_filter(args: &TargetOptions) -> Result<TargetFilter> {
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

/// The user's netrc file (`NETRC`, else `~/.netrc`), if readable.
fn netrc_text(env: &EnvLookup) -> Option<String> {
    let path = env(EnvVars::NETRC)
        .map(PathBuf::from)
        .or_else(|| env(EnvVars::HOME).map(|home| Path::new(&home).join(".netrc")))?;
    std::fs::read_to_string(path).ok()
}

/// One client for every request, with pip's index settings for these files.
///
/// Never dropped: dropping the blocking client joins its runtime, which waits for any DNS
/// lookup still running in the background (seen taking 5 s after all work was done).
pub(crate) fn open_client(
    index: &IndexOptions,
    loaded: &[Loaded],
    env: &EnvLookup,
) -> Result<ManuallyDrop<Client>> {
    open_client_with(client_settings(index, loaded, env)?, env)
}

/// The index settings [`open_client`] builds its client with.
pub(crate) fn client_settings(
    index: &IndexOptions,
    loaded: &[Loaded],
    env: &EnvLookup,
) -> Result<config::IndexSettings> {
    let file_options = options_in_pip_order(loaded);
    Ok(config::resolve(&index.to_args(), &file_options, env)?)
}

/// A client with `settings`, the user's netrc and `HASHPIN_RETRY_DELAY_MS` (see
/// [`open_client`]).
pub(crate) fn open_client_with(
    settings: config::IndexSettings,
    env: &EnvLookup,
) -> Result<ManuallyDrop<Client>> {
    let netrc = netrc_text(env);
    let retry_delay = env(EnvVars::HASHPIN_RETRY_DELAY_MS)
        .and_then(|ms| ms.parse().ok())
        .map_or(Duration::from_millis(500), Duration::from_millis);
    Ok(ManuallyDrop::new(Client::new(
        settings,
        netrc.as_deref(),
        retry_delay,
    )?))
}

/// Lists every project once, all at the same time, and fills in each plan's candidates.
/// Returns the problems met (a listing that failed, a release with no files).
/// When PyPI's JSON API is asked for a release's digests (blake2b-256 besides sha256: a second,
/// independent statement of the index, held against the bytes and the listing).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum SecondOpinion {
    /// For every release.
    Always,
    /// Unless the listing confirms every file of the release as recorded: then nothing is
    /// downloaded (a re-lock with nothing changed), and the API's word would check nothing.
    WhenDownloading,
}

/// What a command downloads of one plan, given the files the indexes serve for it now.
pub(crate) type WantsOf<'w> = dyn Fn(&Plan<'_>, &[Candidate]) -> Vec<Want> + Sync + 'w;

/// Where and how the projects are listed: what every listing job needs.
pub(crate) struct Listing<'a> {
    /// The index client.
    pub(crate) client: &'a Client,
    /// Which wheels count (`--platform`, `--python-version`, `--implementation`).
    pub(crate) filter: &'a TargetFilter,
    /// Listings (and downloads from the network) at once.
    pub(crate) jobs: usize,
    /// When PyPI's JSON API is asked for a second statement of the digests.
    pub(crate) second_opinion: SecondOpinion,
    /// Files uploaded after this are held back.
    pub(crate) cooldown: Option<&'a Cutoff>,
    /// Once set, no more projects are listed and nothing more is downloaded (the work was
    /// begun ahead of need, and is no longer needed).
    pub(crate) stop: Option<&'a AtomicBool>,
}

/// Lists every project (see [`find_candidates`]) and downloads what `wants` asks of each plan,
/// each project's downloads starting as soon as its listing is read, and none that `earlier`
/// downloads settle. Returns the problems that kept a plan from being listed and every
/// download's outcome, by URL.
pub(crate) fn list_and_download(
    plans: &mut [Plan<'_>],
    listing: &Listing<'_>,
    cache: Option<&Cache>,
    earlier: &Earlier,
    wants: &WantsOf<'_>,
    printer: &Printer,
) -> (Vec<anyhow::Error>, Downloaded) {
    Downloads::run(
        listing.client,
        cache,
        listing.jobs,
        printer,
        earlier,
        listing.stop,
        |downloads| find_candidates(plans, listing, downloads, wants, printer),
    )
}

/// The URLs whose download failed, in URL order, so the same failures are always reported in
/// the same order.
pub(crate) fn failed_urls(downloaded: &Downloaded) -> Vec<Url> {
    let mut failed: Vec<Url> = downloaded
        .iter()
        .filter(|(_, result)| result.is_err())
        .map(|(url, _)| url.clone())
        .collect();
    failed.sort();
    failed
}

/// The failed downloads among `downloaded` (see [`failed_urls`]), and the rest.
pub(crate) fn split_failures(
    mut downloaded: Downloaded,
) -> (HashMap<Url, Fetched>, Vec<anyhow::Error>) {
    let failed = failed_urls(&downloaded)
        .iter()
        .filter_map(|url| downloaded.remove(url)?.err())
        .map(anyhow::Error::from)
        .collect();
    let fetched = downloaded
        .into_iter()
        .filter_map(|(url, result)| Some((url, result.ok()?)))
        .collect();
    (fetched, failed)
}

/// Lists every project the plans pin once, picks each plan's files, and queues what each plan
/// wants downloaded as soon as its project's listing is read.
fn find_candidates(
    plans: &mut [Plan<'_>],
    listing: &Listing<'_>,
    downloads: &Downloads<'_>,
    wants: &WantsOf<'_>,
    printer: &Printer,
) -> Vec<anyhow::Error> {
    let &Listing {
        client,
        filter,
        jobs,
        second_opinion,
        cooldown,
        stop,
    } = listing;
    let mut problems = Vec::new();
    // Direct URLs need no listing: their downloads start first.
    for plan in plans.iter() {
        if let Lockable::Url { url, filename } = &plan.lockable {
            downloads.add(wants(plan, &[url_candidate(url, filename)]));
        }
    }
    let plans_listed: &[Plan<'_>] = plans;
    let projects: Vec<PackageName> = plans
        .iter()
        .filter_map(|plan| match &plan.lockable {
            Lockable::Release { project, .. } => Some(project.clone()),
            Lockable::Url { .. } => None,
        })
        .collect::<BTreeSet<_>>()
        .into_iter()
        .collect();
    let settings = client.settings();
    if !projects.is_empty() && settings.indexes.is_empty() && settings.find_links.is_empty() {
        problems.push(
            UsageError::new(
                "no index to look in: `--no-index` is set and there is no `--find-links`\nhint: drop `--no-index`, or add `--find-links <dir>`",
            )
            .into(),
        );
        return problems;
    }
    // By project, the plans that pin a release of it (their positions in `plans`).
    let mut pinned: HashMap<&PackageName, Vec<(usize, &PinnedVersion, &Record)>> = HashMap::new();
    for (position, plan) in plans_listed.iter().enumerate() {
        if let Lockable::Release { project, version } = &plan.lockable {
            pinned
                .entry(project)
                .or_default()
                .push((position, version, plan.record()));
        }
    }
    let listed = AtomicUsize::new(0);
    // A progress line drawn without the download bar is cleared at the end.
    let drew_progress = AtomicBool::new(false);
    // Listing only local directories is CPU work: no more threads than cores.
    let local = settings.indexes.is_empty()
        && settings
            .find_links
            .iter()
            .all(|location| matches!(location, crate::index::config::FindLinks::Directory(_)));
    let listing_threads = if local { jobs.min(pool::cores()) } else { jobs };
    // Local listings wait on nothing, so there is nothing for downloads to overlap: their
    // downloads are queued at once after the last listing, which spares the threads taking
    // turns on the queue for every project.
    let held_wants: std::sync::Mutex<Vec<Want>> = std::sync::Mutex::new(Vec::new());
    // One job per project: its listing, each pinned release's files in it, then at once what
    // PyPI's JSON API declares for the release ([`SecondOpinion`]), so the lookups overlap
    // other listings instead of waiting for them all.
    let listings = pool::map_bounded(
        &projects,
        listing_threads,
        |project| {
            std::thread::scope(|scope| {
                if stop.is_some_and(|stop| stop.load(Ordering::Relaxed)) {
                    return Ok(Default::default());
                }
                let pins = pinned.get(project).map_or(&[][..], Vec::as_slice);
                let mut early = EarlyAnswers::ask(scope, client, project, pins, second_opinion);
                let listing = client.list_project(project)?;
                let mut declared = HashMap::new();
                let mut asked = BTreeSet::new();
                let mut releases = Vec::new();
                let mut held = Vec::new();
                for &(position, version, record) in pins {
                    let mut candidates = release_candidates(&listing, project, version, filter);
                    if let Some(cutoff) = cooldown {
                        let too_new = hold_back(&listing, &mut candidates, record, cutoff);
                        if !too_new.is_empty() {
                            held.push((position, too_new));
                        }
                    }
                    // A release whose every file the listing confirms as recorded is not
                    // downloaded, so a second statement of its digests would check nothing.
                    let confirmed = second_opinion == SecondOpinion::WhenDownloading
                        && !candidates.is_empty()
                        && candidates
                            .iter()
                            .all(|candidate| confirmed_by_index(record, candidate).is_some());
                    if let Some(version) = listed_version(&candidates, project)
                        && !confirmed
                        && asked.insert(version.clone())
                    {
                        declared.extend(early.take(client, project, &version));
                    }
                    releases.push((position, candidates));
                }
                for (_, candidates) in &mut releases {
                    add_declared(candidates, &declared);
                }
                let wanted = releases
                    .iter()
                    .flat_map(|(position, candidates)| wants(&plans_listed[*position], candidates));
                if local {
                    held_wants
                        .lock()
                        .unwrap_or_else(std::sync::PoisonError::into_inner)
                        .extend(wanted);
                } else {
                    downloads.add(wanted.collect::<Vec<_>>());
                }
                Ok::<_, crate::index::IndexError>((listing, declared, releases, held))
            })
        },
        &|_| {
            let done = listed.fetch_add(1, Ordering::Relaxed) + 1;
            if !downloads.note_listing(done, projects.len()) {
                printer.progress(&format!("listing {done}/{} projects", projects.len()));
                drew_progress.store(true, Ordering::Relaxed);
            }
        },
    );
    downloads.add(
        held_wants
            .into_inner()
            .unwrap_or_else(std::sync::PoisonError::into_inner),
    );
    let mut by_project: HashMap<PackageName, ProjectListing> = HashMap::new();
    let mut declared: HashMap<Url, Vec<HashDigest>> = HashMap::new();
    let mut candidates_of: HashMap<usize, Vec<Candidate>> = HashMap::new();
    let mut held_of: HashMap<usize, Vec<(String, String)>> = HashMap::new();
    for (project, listing) in projects.iter().zip(listings) {
        match listing {
            Ok((listing, digests, releases, held)) => {
                declared.extend(digests);
                candidates_of.extend(releases);
                held_of.extend(held);
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
    for (position, plan) in plans.iter_mut().enumerate() {
        plan.candidates = match &plan.lockable {
            Lockable::Release { project, .. } => {
                let (Some(listing), Some(candidates)) =
                    (by_project.get(project), candidates_of.remove(&position))
                else {
                    continue;
                };
                let held = held_of.remove(&position).unwrap_or_default();
                if let Some(cutoff) = cooldown {
                    for (filename, uploaded) in &held {
                        printer.warning(&format!(
                            "{}not recording `{filename}`: uploaded {uploaded}, after the cooldown cutoff {} ({})",
                            plan.location_prefix(),
                            cutoff.shown(),
                            cutoff.source
                        ));
                    }
                    if candidates.is_empty() && !held.is_empty() {
                        problems.push(
                            CooldownRefusal {
                                label: format!("{}{}", plan.location_prefix(), plan.label),
                                first: held
                                    .iter()
                                    .map(|(_, uploaded)| uploaded.clone())
                                    .min()
                                    .unwrap_or_default(),
                                cutoff: cutoff.shown(),
                                set_by: cutoff.source.clone(),
                            }
                            .into(),
                        );
                        plan.listed = true;
                        continue;
                    }
                }
                if candidates.is_empty() {
                    problems.push(no_files_error(
                        &plan.location_prefix(),
                        &plan.label,
                        listing,
                        project,
                        client,
                    ));
                }
                candidates
            }
            Lockable::Url { url, filename } => vec![url_candidate(url, filename)],
        };
        plan.listed = true;
    }
    // Each release's files got their project's declarations in its listing job; a direct
    // URL that another entry's release lists gets them here (its download was queued before
    // any listing, so they cross-check its bytes without adding a digest to compute).
    for plan in plans
        .iter_mut()
        .filter(|plan| matches!(plan.lockable, Lockable::Url { .. }))
    {
        add_declared(&mut plan.candidates, &declared);
    }
    if drew_progress.load(Ordering::Relaxed) {
        printer.clear_progress();
    }
    problems
}

/// PyPI's JSON API answers asked for beside a project's listing, by version.
struct EarlyAnswers<'scope> {
    asked: HashMap<String, std::thread::ScopedJoinHandle<'scope, JsonApiDigests>>,
}

impl<'scope> EarlyAnswers<'scope> {
    /// Asks, each on its own thread of `scope`, for the releases whose API answer the listing
    /// cannot make unneeded: one with nothing recorded is downloaded whatever the listing says,
    /// and `check` asks for every release. They come a round trip sooner than if asked once
    /// the listing is read.
    fn ask<'env>(
        scope: &'scope std::thread::Scope<'scope, 'env>,
        client: &'env Client,
        project: &'env PackageName,
        pins: &[(usize, &PinnedVersion, &Record)],
        second_opinion: SecondOpinion,
    ) -> Self {
        let mut asked = HashMap::new();
        if client.settings().indexes.is_empty() {
            return Self { asked };
        }
        for &(_, version, record) in pins {
            if second_opinion == SecondOpinion::Always || record.hashes.is_empty() {
                asked.entry(version.text()).or_insert_with_key(|text| {
                    let text = text.clone();
                    scope.spawn(move || client.json_api_digests(project, &text))
                });
            }
        }
        Self { asked }
    }

    /// The answer for `version` as the listing spells it: the early one when it was asked under
    /// that spelling, else asked now.
    fn take(&mut self, client: &Client, project: &PackageName, version: &str) -> JsonApiDigests {
        match self.asked.remove(version) {
            Some(answer) => answer
                .join()
                .unwrap_or_else(|panic| std::panic::resume_unwind(panic)),
            None => client.json_api_digests(project, version),
        }
    }
}

/// Adds to each candidate what PyPI's JSON API declares for its URL.
fn add_declared(candidates: &mut [Candidate], declared: &HashMap<Url, Vec<HashDigest>>) {
    for candidate in candidates {
        if let Some(extra) = declared.get(&candidate.url) {
            candidate.declared.extend(extra.iter().cloned());
            candidate.declared.sort();
            candidate.declared.dedup();
        }
    }
}

/// Takes out of `candidates` the files uploaded after the cutoff that `record` does not
/// record (by name, or by a hash the index declares for them): they are not to be recorded
/// yet. Returns them with their upload times.
fn hold_back(
    listing: &ProjectListing,
    candidates: &mut Vec<Candidate>,
    record: &Record,
    cutoff: &Cutoff,
) -> Vec<(String, String)> {
    let uploaded: HashMap<(&str, &Url), Option<&str>> = listing
        .files
        .iter()
        .map(|file| {
            (
                (file.filename.as_str(), &file.url),
                file.upload_time.as_deref(),
            )
        })
        .collect();
    let mut held = Vec::new();
    candidates.retain(|candidate| {
        let when = uploaded
            .get(&(candidate.filename.as_str(), &candidate.url))
            .copied()
            .flatten();
        let recorded = record
            .files
            .iter()
            .any(|file| file.filename == candidate.filename)
            || candidate
                .declared
                .iter()
                .any(|digest| record.hashes.contains(digest));
        if recorded || !cutoff.excludes(when) {
            return true;
        }
        held.push((
            candidate.filename.clone(),
            when.unwrap_or_default().to_string(),
        ));
        false
    });
    held
}

/// Every file of a pinned release was uploaded after the cooldown cutoff: nothing may be
/// recorded for it yet. A refusal (exit 1), as a changed artifact is.
#[derive(Debug, thiserror::Error)]
#[error(
    "{label}: every file was uploaded after the cooldown cutoff {cutoff} ({set_by}); the first at {first}\nhint: wait until the cooldown has passed, or pin an older release"
)]
pub(crate) struct CooldownRefusal {
    label: String,
    first: String,
    cutoff: String,
    set_by: String,
}

/// The version a pinned release's files spell, as PyPI's JSON API wants it in its URL: that of
/// the first of its files (`1.0.0` where the pin says `1.0`).
fn listed_version(candidates: &[Candidate], project: &PackageName) -> Option<String> {
    let first = candidates.first()?;
    Some(
        ArtifactName::parse(&first.filename, Some(project))
            .ok()?
            .version_text,
    )
}

/// What to download of one plan's files to judge them, with every algorithm the entry needs of
/// each: every file, except one whose records the index confirms, unless `always` (a re-record
/// or a direct URL, whose bytes must be hashed here).
pub(crate) fn wants_to_judge(
    plan: &Plan<'_>,
    candidates: &[Candidate],
    algorithm: HashAlgorithm,
    always: bool,
) -> Vec<Want> {
    let record = plan.record();
    candidates
        .iter()
        .filter(|candidate| always || confirmed_by_index(record, candidate).is_none())
        .map(|candidate| {
            crate::downloads::want(
                &candidate.url,
                &algorithms_for(record, candidate, algorithm),
                Some(Examine {
                    filename: candidate.filename.clone(),
                    recorded: record.hashes.clone(),
                    declared: candidate
                        .declared
                        .iter()
                        .filter(|digest| {
                            !matches!(digest.algorithm, HashAlgorithm::Md5 | HashAlgorithm::Sha1)
                        })
                        .cloned()
                        .collect(),
                    // A re-record (or a direct URL) may record what arrives.
                    only_explains: !always && records_file(record, candidate),
                }),
            )
        })
        .collect()
}

/// What is known of each listed file of a plan: its downloaded bytes, or the records the
/// index confirms for it (files neither downloaded nor confirmed are left out).
pub(crate) fn sightings(plan: &Plan<'_>, downloaded: &HashMap<Url, Fetched>) -> Vec<Sighting> {
    sightings_of(plan.record(), &plan.candidates, downloaded)
}

/// What is known of each of `candidates`, for an entry that records `record`.
fn sightings_of(
    record: &Record,
    candidates: &[Candidate],
    downloaded: &HashMap<Url, Fetched>,
) -> Vec<Sighting> {
    candidates
        .iter()
        .filter_map(|candidate| {
            let bytes = match downloaded.get(&candidate.url) {
                Some(fetched) => bytes_of(fetched),
                None => Bytes::ConfirmedByIndex(confirmed_by_index(record, candidate)?),
            };
            Some(Sighting {
                file: candidate.clone(),
                listed: true,
                bytes,
            })
        })
        .collect()
}

/// What the judge is told of a download's bytes: their digests, and what arrived when it is
/// not an archive.
pub(crate) fn bytes_of(fetched: &Fetched) -> Bytes {
    match &fetched.shape {
        Shape::NotAnArchive(arrived) => {
            Bytes::NotAnArchive(fetched.digests.clone(), arrived.clone())
        }
        Shape::Archive | Shape::Unexamined => Bytes::Downloaded(fetched.digests.clone()),
    }
}

fn release_candidates(
    listing: &ProjectListing,
    project: &PackageName,
    version: &PinnedVersion,
    filter: &TargetFilter,
) -> Vec<Candidate> {
    let mut seen = BTreeSet::new();
    let mut candidates = Vec::new();
    for listed in &listing.files {
        let file = listed;
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

/// Why a requirement (`label`, at `location`) found no files: the versions the indexes do list,
/// or, when they list none, the project names nearest to the one asked for.
fn no_files_error(
    location: &str,
    label: &str,
    listing: &ProjectListing,
    project: &PackageName,
    client: &Client,
) -> anyhow::Error {
    let mut versions: Vec<pep440_rs::Version> = listing
        .files
        .iter()
        .filter_map(|listed| ArtifactName::parse(&listed.filename, Some(project)).ok())
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
        // Only on this error path are all the indexes' project names fetched, to catch a typo.
        let names = client.project_names().unwrap_or_default();
        let nearest: Vec<String> = crate::name::nearest(project, &names)
            .iter()
            .map(|name| format!("`{name}`"))
            .collect();
        match &nearest[..] {
            [] => format!("no release of `{project}` is listed there"),
            [only] => format!("no release of `{project}` is listed there; did you mean {only}?"),
            [first @ .., last] => format!(
                "no release of `{project}` is listed there; did you mean {} or {last}?",
                first.join(", ")
            ),
        }
    } else {
        let shown: Vec<String> = versions
            .iter()
            .rev()
            .take(10)
            .map(ToString::to_string)
            .collect();
        format!("versions listed: {}", shown.join(", "))
    };
    // The pin asks for something the configured indexes do not have: an input error (2).
    NoReleaseFiles(format!(
        "{location}no files for `{label}` in {}\nhint: {available}",
        searched.join(", ")
    ))
    .into()
}

/// pip's "No matching distribution found for NAME", said the way `hashpin lock` says it:
/// hashpin lists NAME itself, so a misspelt or unreleased project is an input error (exit 2)
/// naming the file and line, and the versions listed or the nearest project names; an index
/// that cannot be reached is an operational error (exit 4). When the indexes do list a version
/// the requirement allows, pip had another reason (`Requires-Python`, a conflict), and its own
/// error is passed on, as is any other pip failure.
pub(crate) fn explain_unfound(
    error: anyhow::Error,
    client: &Client,
    pins: &PinIndex<'_>,
) -> anyhow::Error {
    let Some(crate::pip::PipError::Failed { stderr, .. }) =
        error.downcast_ref::<crate::pip::PipError>()
    else {
        return error;
    };
    let Some(wanted) = stderr
        .lines()
        .find_map(|line| line.split("No matching distribution found for ").nth(1))
    else {
        return error;
    };
    let name_end = wanted
        .find(|c: char| !(c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.')))
        .unwrap_or(wanted.len());
    let project = PackageName::new(&wanted[..name_end]);
    let entry = pins.for_project(&project).next();
    let (location, label) = entry.map_or_else(
        || (String::new(), wanted.trim().to_string()),
        |pin| (format!("{}: ", pin.location()), pin.shown()),
    );
    let listing = match client.list_project(&project) {
        Ok(listing) => listing,
        Err(index_error) => return index_error.into(),
    };
    let allows = |version: &pep440_rs::Version| match entry.map(|pin| &pin.entry.target) {
        Some(crate::requirements::Target::Pep508(requirement)) => match &requirement.version_or_url
        {
            Some(pep508_rs::VersionOrUrl::VersionSpecifier(specifiers)) => {
                specifiers.contains(version)
            }
            _ => true,
        },
        _ => true,
    };
    let listed_and_allowed = listing
        .files
        .iter()
        .filter_map(|file| ArtifactName::parse(&file.filename, Some(&project)).ok())
        .filter(|artifact| artifact.project == project)
        .any(|artifact| artifact.version.as_ref().is_some_and(allows));
    if listed_and_allowed {
        return error;
    }
    no_files_error(&location, &label, &listing, &project, client)
}

/// `path:line` of a line, for messages.
pub(crate) fn location(document: &Document, line: &Line) -> String {
    format!("{}:{}", document.path.display(), line.number)
}

/// `one` for 1, `many` otherwise.
pub(crate) fn plural<'a>(count: usize, one: &'a str, many: &'a str) -> &'a str {
    if count == 1 { one } else { many }
}
