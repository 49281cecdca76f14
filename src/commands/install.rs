//! `hashpin install`: peep's flow done right. pip resolves; hashpin downloads every artifact
//! pip chose, hashes it and holds it against the lockfile (recording what is new, unless
//! `--frozen`); the user's hooks look at each verified file; then pip installs exactly those
//! files, offline, with every hash required.
//!
//! Any refusal stops everything before pip installs a single package, and lists every
//! refusal at once. Where the lockfile records every requirement with hashes, pip's own
//! resolution runs with those hashes too, so no sdist of a recorded release is built from
//! unverified bytes; where it records some but not all, recorded projects are resolved from
//! wheels only (`--only-binary`), which run no code to be resolved.

use std::collections::BTreeMap;
use std::fmt::Write as _;
use std::path::Path;

use anyhow::{Context as _, Result};
use serde::Serialize;

use crate::artifact::{ArtifactName, check_filename};
use crate::cache::Cache;
use crate::cli::{InstallArgs, OutputFormat};
use crate::commands::Context;
use crate::error::{Status, UsageError};
use crate::fetch::{FetchRequest, Fetched, fetch};
use crate::hash::HashDigest;
use crate::hooks::{self, ArtifactInfo, Hook, HookOutcome};
use crate::lockfile::{Lockable, classify};
use crate::name::PackageName;
use crate::persist;
use crate::pip::{Interpreter, PipError, Resolved};
use crate::report::{Printer, Style};
use crate::requirements::edit::{Pins, Splice, apply, pin};
use crate::requirements::load::{Loaded, Role, load, options_in_pip_order};
use crate::requirements::{Document, Entry, FileOption, Line, Provenance, Target};
use crate::safe_url::{Redacted, recordable};
use crate::survey::{self, location, plural};

/// How many other recorded artifacts of a release install tries when a hook asks to retry.
const MAX_RETRIES: usize = 3;

/// Where a resolved project stands in the lockfile.
struct Slot<'a> {
    document: usize,
    line: &'a Line,
    entry: &'a Entry,
    /// What the entry pins (a release, or one URL).
    lockable: Option<Lockable>,
}

impl Slot<'_> {
    /// Whether the entry pins this version (a URL entry pins whatever its file is).
    fn pins_version(&self, version: &str) -> bool {
        match &self.lockable {
            Some(Lockable::Release {
                version: pinned, ..
            }) => pinned.matches_text(version),
            Some(Lockable::Url { .. }) | None => true,
        }
    }
}

/// The lockfile entries of each project, by normalized name: several when markers split a
/// project across versions.
struct Slots<'a>(BTreeMap<PackageName, Vec<Slot<'a>>>);

impl Slots<'_> {
    /// The entry for this project that pins this version, else the project's only entry (so
    /// that a version mismatch is reported against it), else none.
    fn get(&self, project: &PackageName, version: &str) -> Option<&Slot<'_>> {
        let slots = self.0.get(project)?;
        slots
            .iter()
            .find(|slot| slot.pins_version(version))
            .or_else(|| slots.first())
    }
}

/// What happened to one artifact pip chose.
enum Outcome {
    /// Its bytes match the record.
    Verified,
    /// Recorded now (trust on first use).
    Recorded,
}

/// An artifact that passed, ready for pip.
struct Accepted {
    resolved: Resolved,
    fetched: Fetched,
    outcome: Outcome,
}

/// One artifact in the JSON report.
#[derive(Debug, Serialize)]
struct ArtifactJson {
    project: String,
    version: String,
    filename: String,
    url: String,
    /// `verified`, `recorded`, `refused` or `hook-refused`.
    status: &'static str,
    expected: Vec<String>,
    observed: Option<String>,
    message: Option<String>,
}

/// The JSON document `--format json` prints (schema `hashpin-install/1`).
#[derive(Debug, Serialize)]
struct InstallJson {
    schema: &'static str,
    /// `installed`, `refused` or `error`.
    outcome: &'static str,
    exit_code: u8,
    artifacts: Vec<ArtifactJson>,
    errors: Vec<String>,
}

/// Runs `hashpin install`.
pub fn run(args: &InstallArgs, context: &Context) -> Result<Status> {
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
    survey::plan_entries(&loaded, printer)?;
    let client = survey::open_client(&args.index, &loaded, &*context.env)?;
    let scratch = tempfile::tempdir().context("cannot create a temporary directory")?;
    let cache = if args.download.no_cache {
        Cache::at(scratch.path().join("cache"))
    } else {
        Cache::from_env(&*context.env).unwrap_or_else(|| Cache::at(scratch.path().join("cache")))
    };

    // 0. Direct URLs with recorded hashes are checked before pip sees them (`--only-binary`
    // cannot keep pip from building a direct URL's sdist), and pip gets the verified copy.
    let (local_copies, early_refusals) =
        verify_direct_urls(&loaded, &client, &cache, &scratch.path().join("direct"))?;
    if !early_refusals.is_empty() {
        json.artifacts
            .extend(early_refusals.iter().map(refusal_json));
        report_refusals(
            &early_refusals,
            &[],
            &loaded,
            &slots_by_project(&loaded),
            printer,
        );
        return Ok(Status::Failure);
    }

    // 1. pip resolves, for the target interpreter.
    let resolution = match resolve(
        &interpreter,
        &loaded,
        &local_copies,
        &args.index.to_pip_args(),
        printer,
    ) {
        Ok(resolution) => resolution,
        Err(PipError::HashMismatch { stderr }) => {
            printer.err(&stderr);
            printer.err(&format!(
                "{}: pip's own hash check refused a download during resolution; nothing installed",
                printer.err_style(Style::Red, "refused")
            ));
            return Ok(Status::Failure);
        }
        Err(error) => return Err(error.into()),
    };
    printer.info(&format!(
        "pip resolved {} {}",
        resolution.items.len(),
        plural(resolution.items.len(), "package", "packages")
    ));

    // 2. hashpin downloads and hashes every artifact itself, and holds it against the record.
    let slots = slots_by_project(&loaded);
    let jobs = args.download.jobs.max(1);
    let fetched = crate::pool::map_bounded(
        &resolution.items,
        jobs,
        |item| {
            let algorithms = slots
                .get(&item.project, &item.version)
                .map(|slot| slot.entry.recorded_hashes())
                .unwrap_or_default()
                .iter()
                .map(|hash| hash.algorithm)
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

    let mut refusals: Vec<Refusal> = Vec::new();
    let mut accepted: Vec<Accepted> = Vec::new();
    let mut problems = Vec::new();
    for (item, result) in resolution.items.iter().zip(fetched) {
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
        match judge(
            item,
            &fetched,
            slots.get(&item.project, &item.version),
            args.frozen,
        ) {
            Ok(outcome) => accepted.push(Accepted {
                resolved: item.clone(),
                fetched,
                outcome,
            }),
            Err(refusal) => refusals.push(*refusal),
        }
    }
    json.artifacts.extend(accepted.iter().map(accepted_json));
    json.artifacts.extend(refusals.iter().map(refusal_json));
    if !problems.is_empty() {
        for problem in &problems {
            printer.error(problem);
        }
        json.errors.extend(problems.iter().map(ToString::to_string));
        printer.err("nothing installed: some artifacts could not be downloaded");
        return Ok(Status::Error);
    }
    if !refusals.is_empty() {
        report_refusals(&refusals, &accepted, &loaded, &slots, printer);
        return Ok(Status::Failure);
    }

    // 3. The user's hooks look at every verified file.
    let verified_dir = scratch.path().join("verified");
    fs_err::create_dir_all(&verified_dir)?;
    let mut hook_failures = Vec::new();
    for artifact in &mut accepted {
        if let Err(reason) = run_hooks(
            &hooks,
            artifact,
            slots.get(&artifact.resolved.project, &artifact.resolved.version),
            &client,
            &cache,
            &interpreter,
            printer,
        ) {
            hook_failures.push(format!("`{}`: {reason}", artifact.resolved.filename));
        }
    }
    // The JSON names the artifact finally used (a hook's retry may have replaced it).
    json.artifacts
        .retain(|artifact| artifact.status == "refused");
    json.artifacts.extend(accepted.iter().map(accepted_json));
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
            printer.err(&format!(
                "{}: a hook refused {failure}",
                printer.err_style(Style::Red, "error")
            ));
        }
        printer.err(&format!(
            "{}: {} {} refused by hooks; nothing installed",
            printer.err_style(Style::Red, "refused"),
            hook_failures.len(),
            plural(hook_failures.len(), "artifact", "artifacts")
        ));
        return Ok(Status::Failure);
    }
    let mut verified = Vec::new();
    for artifact in &accepted {
        let Some(cached) = &artifact.fetched.cached else {
            continue;
        };
        let path = verified_dir.join(&artifact.resolved.filename);
        fs_err::copy(cached, &path)?;
        verified.push((path, artifact.fetched.digests.sha256().clone()));
    }

    // 4. Record what was new, then let pip install exactly the verified files.
    let recorded = accepted
        .iter()
        .filter(|artifact| matches!(artifact.outcome, Outcome::Recorded))
        .count();
    if recorded > 0 && !args.frozen {
        record(&accepted, &loaded, &slots, &resolution, printer)?;
    }
    printer.info(&format!(
        "{} {} {} ({recorded} recorded now); installing with pip",
        printer.err_style(Style::Green, "verified"),
        accepted.len(),
        plural(accepted.len(), "artifact", "artifacts"),
    ));
    // With JSON on stdout, pip's own chatter goes to stderr.
    let pip_output_to_stderr = args.format == OutputFormat::Json;
    interpreter.install_verified(&verified, &args.pip_args, pip_output_to_stderr)?;
    Ok(Status::Success)
}

fn accepted_json(artifact: &Accepted) -> ArtifactJson {
    ArtifactJson {
        project: artifact.resolved.project.to_string(),
        version: artifact.resolved.version.clone(),
        filename: artifact.resolved.filename.clone(),
        url: Redacted(&artifact.resolved.url).to_string(),
        status: match artifact.outcome {
            Outcome::Verified => "verified",
            Outcome::Recorded => "recorded",
        },
        expected: Vec::new(),
        observed: Some(artifact.fetched.digests.sha256().to_string()),
        message: None,
    }
}

fn refusal_json(refusal: &Refusal) -> ArtifactJson {
    ArtifactJson {
        project: refusal.project.to_string(),
        version: refusal.version.clone(),
        filename: refusal.filename.clone(),
        url: refusal.url.clone(),
        status: "refused",
        expected: refusal.expected.iter().map(ToString::to_string).collect(),
        observed: refusal.observed.as_ref().map(ToString::to_string),
        message: Some(refusal.message.clone()),
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

/// Requirements pip gets as a verified local copy instead of their URL, by (file, where the
/// requirement starts).
type LocalCopies = std::collections::HashMap<(std::path::PathBuf, usize), String>;

/// Downloads every direct-URL requirement that has recorded hashes and checks it; a match is
/// copied under `directory` and pip is pointed at that copy, a mismatch is refused.
fn verify_direct_urls(
    loaded: &[Loaded],
    client: &crate::index::Client,
    cache: &Cache,
    directory: &Path,
) -> Result<(LocalCopies, Vec<Refusal>)> {
    let mut copies = LocalCopies::new();
    let mut refusals = Vec::new();
    for (document, entry) in requirement_entries(loaded) {
        let recorded = entry.recorded_hashes();
        let Ok(Lockable::Url { url, filename }) = classify(entry, Path::new(".")) else {
            continue;
        };
        if recorded.is_empty() {
            continue;
        }
        let mut bare = url.clone();
        bare.set_fragment(None);
        let fetched = fetch(
            client,
            Some(cache),
            &FetchRequest {
                url: bare.clone(),
                algorithms: recorded.iter().map(|hash| hash.algorithm).collect(),
            },
        )?;
        let name = ArtifactName::parse(&filename, None).ok();
        if !recorded
            .iter()
            .any(|hash| fetched.digests.get(hash.algorithm) == Some(hash))
        {
            refusals.push(Refusal {
                project: name
                    .as_ref()
                    .map_or_else(|| PackageName::new(&filename), |name| name.project.clone()),
                version: name.map(|name| name.version_text).unwrap_or_default(),
                filename: filename.clone(),
                url: Redacted(&bare).to_string(),
                message: format!(
                    "`{filename}` does not match the lockfile: republished or tampered"
                ),
                expected: recorded,
                observed: Some(fetched.digests.sha256().clone()),
            });
            continue;
        }
        let Some(cached) = &fetched.cached else {
            continue;
        };
        fs_err::create_dir_all(directory)?;
        let copy = directory.join(&filename);
        fs_err::copy(cached, &copy)?;
        let local = std::path::absolute(&copy).unwrap_or(copy);
        let text = match &entry.target {
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
                let file_url = url::Url::from_file_path(&local)
                    .map_or_else(|()| local.display().to_string(), |url| url.to_string());
                format!("{}{extras} @ {file_url}{marker}", requirement.name)
            }
            // The marker stays: pip must skip the line where it skipped the original.
            Target::Unnamed(text) => match text.split_once(';') {
                Some((_, marker)) => format!("{} ; {}", local.display(), marker.trim()),
                None => local.display().to_string(),
            },
        };
        copies.insert((document.path.clone(), entry.requirement.span.start), text);
    }
    Ok((copies, refusals))
}

/// How pip resolves without running code from bytes hashpin has not verified yet.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Mode {
    /// Nothing is recorded yet: trust on first use, pip resolves as it would.
    FirstUse,
    /// Recorded projects from wheels only (`--only-binary`): a wheel's metadata is read, never
    /// run. hashpin then checks every byte itself and reports any mismatch its own way.
    WheelsOnly,
    /// Every requirement's hashes go to pip, which checks each download before it builds
    /// anything: for recorded releases that have no wheel for this interpreter.
    PipHashes,
}

/// pip's resolution: wheels only for recorded projects, falling back to pip's own hash
/// checking when a recorded release has no wheel pip can use.
fn resolve(
    interpreter: &Interpreter,
    loaded: &[Loaded],
    local_copies: &LocalCopies,
    index_args: &[String],
    printer: &Printer,
) -> Result<crate::pip::Resolution, PipError> {
    let any_recorded = requirement_entries(loaded)
        .iter()
        .any(|(_, entry)| !entry.recorded_hashes().is_empty());
    if !any_recorded {
        let input = resolution_input(loaded, local_copies, Mode::FirstUse)?;
        return interpreter.resolve(&[input.path().to_path_buf()], index_args);
    }
    let input = resolution_input(loaded, local_copies, Mode::WheelsOnly)?;
    match interpreter.resolve(&[input.path().to_path_buf()], index_args) {
        Err(wheels_only @ PipError::Failed { .. }) => {
            printer.info("a recorded release has no wheel for this interpreter; resolving with pip's own hash checking");
            let input = resolution_input(loaded, local_copies, Mode::PipHashes)?;
            // pip checks every hashed download before it builds anything; if it cannot
            // resolve that way either, the first error says more.
            match interpreter.resolve(&[input.path().to_path_buf()], index_args) {
                Err(PipError::Failed { .. }) => Err(wheels_only),
                other => other,
            }
        }
        other => other,
    }
}

fn requirement_entries(loaded: &[Loaded]) -> Vec<(&Document, &Entry)> {
    loaded
        .iter()
        .filter(|item| item.role == Role::Requirements)
        .flat_map(|item| {
            item.document
                .entries()
                .map(move |(_, _, entry)| (&item.document, entry))
        })
        .collect()
}

/// The requirements pip resolves: every requirement and option of the lockfiles, in one
/// temporary file (mode 0600: it may hold index credentials), prepared for `mode`.
fn resolution_input(
    loaded: &[Loaded],
    local_copies: &LocalCopies,
    mode: Mode,
) -> Result<tempfile::NamedTempFile, PipError> {
    let entries = requirement_entries(loaded);
    let mut text = String::new();
    for (document, option) in options_in_pip_order(loaded) {
        let directory = document.path.parent().unwrap_or(Path::new("."));
        let absolute = |value: &str| {
            let joined = directory.join(value);
            if joined.exists() {
                std::path::absolute(&joined)
                    .unwrap_or(joined)
                    .display()
                    .to_string()
            } else {
                value.to_string()
            }
        };
        let line = match &option.value {
            FileOption::IndexUrl(url) => format!("--index-url {url}"),
            FileOption::ExtraIndexUrl(url) => format!("--extra-index-url {url}"),
            FileOption::NoIndex => "--no-index".into(),
            FileOption::FindLinks(value) => format!("--find-links {}", absolute(value)),
            FileOption::TrustedHost(host) => format!("--trusted-host {host}"),
            FileOption::Constraint(path) => format!("--constraint {}", absolute(path)),
            FileOption::Pre => "--pre".into(),
            FileOption::PreferBinary => "--prefer-binary".into(),
            FileOption::OnlyBinary(value) => format!("--only-binary {value}"),
            FileOption::NoBinary(value) => format!("--no-binary {value}"),
            FileOption::RequireHashes
            | FileOption::Requirement(_)
            | FileOption::Editable(_)
            | FileOption::Other(_) => continue,
        };
        text.push_str(&line);
        text.push('\n');
    }
    let mut wheels_only = Vec::new();
    for (document, entry) in &entries {
        match local_copies.get(&(document.path.clone(), entry.requirement.span.start)) {
            Some(local) => text.push_str(local),
            None => text.push_str(&entry.requirement.value),
        }
        let hashes = entry.recorded_hashes();
        match mode {
            Mode::PipHashes => {
                for hash in &hashes {
                    let _ = write!(text, " --hash={hash}");
                }
            }
            Mode::WheelsOnly if !hashes.is_empty() => {
                if let Target::Pep508(requirement) = &entry.target {
                    wheels_only.push(requirement.name.to_string());
                }
            }
            Mode::WheelsOnly | Mode::FirstUse => {}
        }
        text.push('\n');
    }
    if !wheels_only.is_empty() {
        let _ = writeln!(text, "--only-binary {}", wheels_only.join(","));
    }
    let mut file = tempfile::Builder::new()
        .prefix("hashpin-resolve-")
        .suffix(".txt")
        .tempfile()?;
    std::io::Write::write_all(&mut file, text.as_bytes())?;
    Ok(file)
}

/// The lockfile entry of each project, by normalized name.
fn slots_by_project(loaded: &[Loaded]) -> Slots<'_> {
    let mut slots: BTreeMap<PackageName, Vec<Slot<'_>>> = BTreeMap::new();
    for (document_index, item) in loaded.iter().enumerate() {
        if item.role != Role::Requirements {
            continue;
        }
        for (_, line, entry) in item.document.entries() {
            let lockable = classify(entry, Path::new(".")).ok();
            let project = match (&entry.target, &lockable) {
                (_, Some(Lockable::Release { project, .. })) => project.clone(),
                (Target::Pep508(requirement), _) => PackageName::new(requirement.name.as_ref()),
                // A bare URL or path names its project in its filename.
                (Target::Unnamed(_), Some(Lockable::Url { filename, .. })) => {
                    match ArtifactName::parse(filename, None) {
                        Ok(name) => name.project,
                        Err(_) => continue,
                    }
                }
                (Target::Unnamed(_), _) => continue,
            };
            slots.entry(project).or_default().push(Slot {
                document: document_index,
                line,
                entry,
                lockable,
            });
        }
    }
    Slots(slots)
}

/// One refused artifact.
struct Refusal {
    project: PackageName,
    version: String,
    filename: String,
    url: String,
    message: String,
    expected: Vec<HashDigest>,
    observed: Option<HashDigest>,
}

impl Refusal {
    fn new(item: &Resolved, message: String) -> Self {
        Self {
            project: item.project.clone(),
            version: item.version.clone(),
            filename: item.filename.clone(),
            url: Redacted(&item.url).to_string(),
            message,
            expected: Vec::new(),
            observed: None,
        }
    }
}

/// Holds one downloaded artifact against its lockfile entry.
fn judge(
    item: &Resolved,
    fetched: &Fetched,
    slot: Option<&Slot<'_>>,
    frozen: bool,
) -> Result<Outcome, Box<Refusal>> {
    let observed = fetched.digests.sha256().clone();
    let refuse = |message: String, expected: Vec<HashDigest>| {
        let mut refusal = Refusal::new(item, message);
        refusal.expected = expected;
        refusal.observed = Some(observed.clone());
        Box::new(refusal)
    };
    let Some(slot) = slot else {
        if frozen {
            return Err(refuse(
                format!(
                    "`{}=={}` is not in the lockfile (pulled in as a dependency) and `--frozen` records nothing",
                    item.display_name, item.version
                ),
                Vec::new(),
            ));
        }
        return Ok(Outcome::Recorded);
    };
    if !slot.pins_version(&item.version) {
        return Err(refuse(
            format!(
                "pip chose `{}=={}`, but the lockfile pins `{}`",
                item.display_name,
                item.version,
                slot.entry.shown()
            ),
            slot.entry.recorded_hashes(),
        ));
    }
    let recorded = slot.entry.recorded_hashes();
    if recorded.is_empty() {
        if frozen {
            return Err(refuse(
                format!(
                    "`{}` has no recorded hashes and `--frozen` records nothing",
                    slot.entry.shown()
                ),
                Vec::new(),
            ));
        }
        return Ok(Outcome::Recorded);
    }
    let matches = recorded
        .iter()
        .any(|hash| fetched.digests.get(hash.algorithm) == Some(hash));
    let records = slot.entry.recorded_provenance();
    let filename_recorded = records
        .iter()
        .any(|record| record.filename == item.filename);
    // The bytes match a recorded hash: pip will accept them, under whatever name they came.
    if matches {
        return Ok(Outcome::Verified);
    }
    if !records.is_empty() && !filename_recorded {
        return Err(refuse(
            format!(
                "`{}` is not recorded for `{}`; pip chose it for this interpreter\nhint: review it, then record it with `hashpin lock --update {}`",
                item.filename,
                slot.entry.shown(),
                item.project
            ),
            recorded,
        ));
    }
    Err(refuse(
        format!(
            "`{}` does not match the lockfile: republished or tampered",
            item.filename
        ),
        recorded,
    ))
}

/// Every refusal with both sides, then the diff the lockfile would need to accept them.
fn report_refusals(
    refusals: &[Refusal],
    accepted: &[Accepted],
    loaded: &[Loaded],
    slots: &Slots<'_>,
    printer: &Printer,
) {
    // What each affected entry would record if the observed bytes were accepted.
    let mut would_record: BTreeMap<(PackageName, String), Pins> = BTreeMap::new();
    for refusal in refusals {
        let mut text = format!("{}\n  url:      {}", refusal.message, refusal.url);
        for hash in &refusal.expected {
            let _ = write!(
                text,
                "\n  expected: {}",
                printer.err_style(Style::Red, &hash.to_string())
            );
        }
        if let Some(observed) = &refusal.observed {
            let _ = write!(
                text,
                "\n  observed: {}",
                printer.err_style(Style::Green, &observed.to_string())
            );
        }
        if let Some(slot) = slots.get(&refusal.project, &refusal.version) {
            let document = &loaded[slot.document].document;
            let _ = write!(text, "\n  lockfile: {}", location(document, slot.line));
            if let Some(observed) = &refusal.observed {
                let pins = would_record
                    .entry((refusal.project.clone(), refusal.version.clone()))
                    .or_insert_with(|| Pins {
                        hashes: slot.entry.recorded_hashes(),
                        provenance: slot.entry.recorded_provenance(),
                    });
                let replaced: Vec<HashDigest> = pins
                    .provenance
                    .iter()
                    .filter(|record| record.filename == refusal.filename)
                    .map(|record| record.hash.clone())
                    .collect();
                pins.provenance
                    .retain(|record| record.filename != refusal.filename);
                pins.hashes.retain(|hash| !replaced.contains(hash));
                pins.hashes.push(observed.clone());
                pins.provenance.push(Provenance {
                    filename: refusal.filename.clone(),
                    hash: observed.clone(),
                    url: refusal.url.clone(),
                });
                pins.provenance.sort();
            }
        }
        let prefix = printer.err_style(Style::Red, "error");
        printer.err(&format!(
            "{}: {text}",
            printer.err_style(Style::Bold, &prefix)
        ));
    }
    let mut splices: BTreeMap<usize, Vec<Splice>> = BTreeMap::new();
    for ((project, version), pins) in &would_record {
        let Some(slot) = slots.get(project, version) else {
            continue;
        };
        let document = &loaded[slot.document].document;
        if let Some(splice) = pin(document, slot.line, slot.entry, pins) {
            splices.entry(slot.document).or_default().push(splice);
        }
    }
    survey::print_diffs(printer, loaded, splices);
    printer.err(&format!(
        "{}: {} {} refused, {} verified; nothing installed, the lockfile unchanged",
        printer.err_style(Style::Red, "refused"),
        refusals.len(),
        plural(refusals.len(), "artifact", "artifacts"),
        accepted.len()
    ));
}

/// Runs every hook on a verified artifact; on "retry", tries other recorded artifacts of the
/// same release that suit the interpreter. `Err` carries why it was refused.
fn run_hooks(
    hooks: &[Hook],
    artifact: &mut Accepted,
    slot: Option<&Slot<'_>>,
    client: &crate::index::Client,
    cache: &Cache,
    interpreter: &Interpreter,
    printer: &Printer,
) -> std::result::Result<(), String> {
    if hooks.is_empty() {
        return Ok(());
    }
    let mut alternatives: Option<Vec<Provenance>> = None;
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
        let alternatives = alternatives
            .get_or_insert_with(|| suitable_alternatives(slot, &artifact.resolved, interpreter));
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
        let url = url::Url::parse(&next.url).map_err(|error| error.to_string())?;
        let fetched = fetch(
            client,
            Some(cache),
            &FetchRequest {
                url: url.clone(),
                algorithms: vec![next.hash.algorithm],
            },
        )
        .map_err(|error| error.to_string())?;
        if fetched.digests.get(next.hash.algorithm) != Some(&next.hash) {
            return Err(format!(
                "`{}` does not match its recorded hash {}",
                next.filename, next.hash
            ));
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
    slot: Option<&Slot<'_>>,
    resolved: &Resolved,
    interpreter: &Interpreter,
) -> Vec<Provenance> {
    let Some(slot) = slot else {
        return Vec::new();
    };
    let supported = interpreter.supported_tags().unwrap_or_default();
    let rank = |record: &Provenance| -> Option<usize> {
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
    let mut ranked: Vec<(usize, Provenance)> = slot
        .entry
        .recorded_provenance()
        .into_iter()
        .filter(|record| record.filename != resolved.filename)
        .filter_map(|record| rank(&record).map(|rank| (rank, record)))
        .collect();
    ranked.sort();
    ranked.into_iter().map(|(_, record)| record).collect()
}

/// Writes what was recorded now: hashes for entries that had none, new lines for
/// dependencies, each with `# via` naming who pulled it in.
fn record(
    accepted: &[Accepted],
    loaded: &[Loaded],
    slots: &Slots<'_>,
    resolution: &crate::pip::Resolution,
    printer: &Printer,
) -> Result<()> {
    let Some(top) = loaded.iter().position(|item| item.root == Some(0)) else {
        return Ok(());
    };
    let mut splices: BTreeMap<usize, Vec<Splice>> = BTreeMap::new();
    let mut appended = String::new();
    let top_document = &loaded[top].document;
    let eol = top_document.line_ending();
    for artifact in accepted {
        if !matches!(artifact.outcome, Outcome::Recorded) {
            continue;
        }
        let hash = artifact.fetched.digests.sha256().clone();
        let record = Provenance {
            filename: artifact.resolved.filename.clone(),
            hash: hash.clone(),
            url: recordable(&artifact.resolved.url),
        };
        if let Some(slot) = slots.get(&artifact.resolved.project, &artifact.resolved.version) {
            let pins = Pins {
                hashes: vec![hash],
                provenance: vec![record],
            };
            let document = &loaded[slot.document].document;
            if let Some(splice) = pin(document, slot.line, slot.entry, &pins) {
                splices.entry(slot.document).or_default().push(splice);
            }
            continue;
        }
        let via = resolution.via(&artifact.resolved.project);
        let _ = write!(
            appended,
            "{}=={} \\{eol}    --hash={hash}{eol}    {}{eol}",
            artifact.resolved.display_name,
            artifact.resolved.version,
            record.render()
        );
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
