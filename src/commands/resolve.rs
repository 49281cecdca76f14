//! `hashpin lock --resolve requirements.in [-o requirements.txt]`: loose requirements in, a
//! fully pinned and hashed lockfile out, as `pip-compile --generate-hashes` does, with the
//! resolution left to pip and every file of each release recorded by `lock`.
//!
//! Run again, it keeps the pins the output already has (they go to pip as constraints) unless
//! `--upgrade [NAME]...`; entries it keeps are carried over byte for byte, so their recorded
//! hashes are checked again rather than replaced. Nothing is written unless lock succeeds.

use std::collections::BTreeMap;
use std::fmt::Write as _;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex, PoisonError};

use anyhow::Result;

use crate::artifact::ArtifactName;
use crate::cache::Cache;
use crate::cli::LockArgs;
use crate::commands::Context;
use crate::commands::lock::{lock_files, lock_loaded, names_project, report_problems};
use crate::downloads::{Earlier, Want};
use crate::error::{Status, UsageError};
use crate::hash::HashAlgorithm;
use crate::index::config;
use crate::judge::{Candidate, Policy, Recording, Scope, Verdict, judge};
use crate::lockfile::{Lockable, Pin, PinIndex, PinnedVersion, classify};
use crate::name::PackageName;
use crate::pip::{Interpreter, PipError, Resolution};
use crate::report;
use crate::requirements::load::{Loaded, Role, load, options_in_pip_order};
use crate::requirements::marker::Marker;
use crate::requirements::{Document, parse};
use crate::resolver::{Pick, ResolverChoice, picks_from_pip};
use crate::survey::{self, Plan};
use crate::uv::{Compile, Uv};

/// Runs `hashpin lock --resolve`.
pub(crate) fn run(args: &LockArgs, files: &[PathBuf], context: &Context) -> Result<Status> {
    let printer = &context.printer;
    let [input] = files else {
        return Err(UsageError::new(
            "`--resolve` takes exactly one input file\nhint: `hashpin lock --resolve requirements.in`",
        )
        .into());
    };
    let output = match &args.output {
        Some(output) => output.clone(),
        None => default_output(input)?,
    };
    // Parse the input first: a malformed file is an input error before pip runs.
    let inputs = load(std::slice::from_ref(input), &*context.env)?;
    let _locks = lock_files(std::slice::from_ref(&output), printer)?;
    let previous = match fs_err::read_to_string(&output) {
        Ok(text) => Some(parse(&output, text, &*context.env)?),
        Err(error) if error.kind() == std::io::ErrorKind::NotFound => None,
        Err(error) => return Err(error.into()),
    };

    let mut kept = kept_pins(previous.as_ref(), args.upgrade.as_ref());
    // As pip-tools does: a pin the input's own specifier no longer allows gives way.
    kept.retain(|project, version| input_allows(&inputs, project, version));
    // A kept pin's recorded sdist may be built by pip to read its metadata: its bytes are
    // checked against the record first, so no changed sdist runs.
    let resolver = choose_resolver(args, context)?;
    if let Some(previous) = &previous
        && let Some(refused) =
            verify_kept_sdists(input, previous, &kept, &inputs, &resolver, args, context)?
    {
        return Ok(refused);
    }
    // While the resolver runs, the input's own pins are listed and downloaded (see
    // [`head_start`]); a resolution that fails stops that work.
    let stop = Arc::new(AtomicBool::new(false));
    let previous_pins = kept_pins(previous.as_ref(), None);
    let (picks, earlier) = std::thread::scope(|scope| {
        let head_start = scope.spawn(|| head_start(args, &inputs, &previous_pins, &stop, context));
        let picks = pick_versions(
            &resolver,
            input,
            &inputs,
            &kept,
            previous.as_ref(),
            args,
            context,
        );
        if picks.is_err() {
            stop.store(true, Ordering::Relaxed);
        }
        let earlier = head_start
            .join()
            .unwrap_or_else(|panic| std::panic::resume_unwind(panic));
        (picks, earlier)
    });
    let (picks, resolved_for) = picks?;
    report::trace(|| format!("{} downloads made while resolving", earlier.len()));

    let text = render(
        input,
        &output,
        &inputs,
        &picks,
        previous.as_ref(),
        args,
        &resolved_for,
    );
    let document = parse(&output, text, &*context.env)?;
    let on_disk = vec![
        previous
            .as_ref()
            .map(|previous| previous.source.clone())
            .unwrap_or_default(),
    ];
    let loaded = vec![Loaded {
        document,
        role: Role::Requirements,
        includes: Vec::new(),
        root: Some(0),
    }];
    // Carried-over entries are checked again; only `--update` re-records them.
    lock_loaded(
        args,
        &loaded,
        &on_disk,
        args.update.as_ref(),
        &earlier,
        None,
        context,
    )
}

/// Runs the resolver: the versions it picks, and who resolved for what (the header's words).
fn pick_versions(
    resolver: &Resolver,
    input: &Path,
    inputs: &[Loaded],
    kept: &BTreeMap<PackageName, String>,
    previous: Option<&Document>,
    args: &LockArgs,
    context: &Context,
) -> Result<(Vec<Pick>, String)> {
    let printer = &context.printer;
    let interpreter = &Interpreter::find(args.python.as_deref(), &*context.env);
    let picks = match resolver {
        Resolver::Pip => {
            let input_names = input_names(inputs);
            let resolution = resolve(interpreter, input, kept, &input_names, &args.index, printer)
                .map_err(|error| explain_unfound(error, inputs, args, context))?;
            printer.info(&format!(
                "pip resolved {} packages for `{}`",
                resolution.items.len(),
                interpreter.python.display()
            ));
            let python = resolution
                .environment
                .get("python_version")
                .cloned()
                .unwrap_or_default();
            let platform = resolution
                .environment
                .get("sys_platform")
                .cloned()
                .unwrap_or_default();
            (
                picks_from_pip(&resolution),
                format!("pip, for Python {python} on {platform}"),
            )
        }
        Resolver::Uv(uv) => {
            let file_options = options_in_pip_order(inputs);
            let settings = config::resolve(&args.index.to_args(), &file_options, &*context.env)?;
            let cutoff = crate::cooldown::for_command(&args.cooldown, &*context.env)?
                .map(|cutoff| cutoff.shown());
            let (picks, python) = std::thread::scope(|scope| {
                // The header names the Python resolved for: asked while uv resolves, since
                // asking starts the interpreter when it is not a virtual environment's.
                let python = (!args.universal && args.target.python_version.is_none())
                    .then(|| scope.spawn(|| interpreter.version()));
                let picks = uv.compile(&Compile {
                    input,
                    preferences: preferences(previous, kept),
                    settings: &settings,
                    python: &interpreter.python,
                    python_version: args.target.python_version.as_deref(),
                    universal: args.universal,
                    exclude_newer: cutoff.as_deref(),
                });
                let python = python.and_then(|asked| asked.join().ok().flatten());
                (picks, python)
            });
            let picks = picks?;
            let target = if args.universal {
                "every platform".to_string()
            } else {
                format!("`{}`", interpreter.python.display())
            };
            printer.info(&format!(
                "uv resolved {} packages for {target}",
                picks.len()
            ));
            let resolved_for = if args.universal {
                "uv, for every platform and Python version".to_string()
            } else {
                let python = args
                    .target
                    .python_version
                    .clone()
                    .or(python)
                    .unwrap_or_default();
                format!("uv, for Python {python}")
            };
            (picks, resolved_for)
        }
    };
    Ok(picks)
}

/// Lists the input's own pins (`name==version`, direct URLs) and downloads their files, as lock
/// will: any resolution keeps them (or fails), so lock then takes those downloads instead of
/// making them again, and the resolver's time is not added to theirs. A release the previous
/// output already pins (`previous_pins`; upgraded or not, the same version keeps its records)
/// is left to lock, which may find them confirmed by the index and download nothing, and so is
/// a pin under a marker unless the resolution is universal. Silent: what goes wrong here, lock
/// meets again and reports.
fn head_start(
    args: &LockArgs,
    inputs: &[Loaded],
    previous_pins: &BTreeMap<PackageName, String>,
    stop: &Arc<AtomicBool>,
    context: &Context,
) -> Earlier {
    let pins = PinIndex::new(inputs);
    let recorded_before = |pin: &Pin<'_>| match (pin.lockable(), &pin.project) {
        (Some(Lockable::Release { version, .. }), Some(project)) => previous_pins
            .get(project)
            .is_some_and(|previous| version.matches_text(previous)),
        (_, Some(project)) => previous_pins.contains_key(project),
        (_, None) => true,
    };
    let mut plans: Vec<Plan<'_>> = pins
        .iter()
        // A pin under a marker may not apply to this resolution; a universal one keeps it.
        .filter(|pin| pin.pinned.is_ok() && (args.universal || pin.entry.marker.is_none()))
        .filter(|pin| !recorded_before(pin))
        .filter_map(Plan::for_pin)
        .collect();
    if plans.is_empty() {
        return Earlier::default();
    }
    let (Ok(mut client), Ok(filter), Ok(cooldown)) = (
        survey::open_client(&args.index, inputs, &*context.env),
        survey::target_filter(&args.target),
        crate::cooldown::for_command(&args.cooldown, &*context.env),
    ) else {
        return Earlier::default();
    };
    // What it lists, lock reads from it again instead of asking the index a moment later.
    client.remember_listings();
    // A failed resolution stops its requests too, retries included.
    client.stop_when(Arc::clone(stop));
    let algorithm = HashAlgorithm::from_name(&args.algorithm).unwrap_or(HashAlgorithm::Sha256);
    let cache = Cache::unless_disabled(args.download.no_cache, &*context.env);
    let asked: Mutex<Vec<Want>> = Mutex::new(Vec::new());
    let wants = |plan: &Plan<'_>, candidates: &[Candidate]| {
        if stop.load(Ordering::Relaxed) {
            return Vec::new();
        }
        // Every file, examined whatever its bytes: the most lock could ask of it.
        let wants = survey::wants_to_judge(plan, candidates, algorithm, true);
        asked
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .extend(wants.iter().cloned());
        wants
    };
    let (_, downloaded) = survey::list_and_download(
        &mut plans,
        &survey::Listing {
            client: &client,
            filter: &filter,
            jobs: args.download.jobs.max(1),
            second_opinion: survey::SecondOpinion::WhenDownloading,
            cooldown: cooldown.as_ref(),
            stop: Some(stop),
        },
        cache.as_ref(),
        &Earlier::default(),
        &wants,
        &context.printer.muted(),
    );
    let asked = asked.into_inner().unwrap_or_else(PoisonError::into_inner);
    Earlier::new(asked, downloaded).with_client(client)
}

/// The resolver that runs.
enum Resolver {
    Pip,
    Uv(Uv),
}

impl Resolver {
    fn name(&self) -> &'static str {
        match self {
            Self::Pip => "pip",
            Self::Uv(_) => "uv",
        }
    }
}

/// `--resolver`, with `auto` settled: uv when found, else pip. Only uv resolves universally.
fn choose_resolver(args: &LockArgs, context: &Context) -> Result<Resolver> {
    let found = Uv::find(&*context.env).map_err(|why| {
        UsageError::new(format!(
            "{why}\nhint: point `HASHPIN_UV` at uv's executable, or unset it to use `uv` on PATH"
        ))
    })?;
    let missing = |why: &str| {
        UsageError::new(format!(
            "{why} needs uv, and none was found (`HASHPIN_UV`, or `uv` on PATH)\nhint: install uv (`pipx install uv`) or point `HASHPIN_UV` at it"
        ))
    };
    match args.resolver {
        ResolverChoice::Pip if args.universal => Err(UsageError::new(
            "`--universal` needs uv: pip resolves for one interpreter only\nhint: drop `--resolver pip`",
        )
        .into()),
        ResolverChoice::Pip => Ok(Resolver::Pip),
        ResolverChoice::Uv => Ok(Resolver::Uv(
            found.ok_or_else(|| missing("`--resolver uv`"))?,
        )),
        ResolverChoice::Auto => match found {
            Some(uv) => Ok(Resolver::Uv(uv)),
            None if args.universal => Err(missing("`--universal`").into()),
            None => Ok(Resolver::Pip),
        },
    }
}

/// The previous output's pins that stay, as requirement lines (markers included) for uv to
/// keep where it can.
fn preferences(previous: Option<&Document>, kept: &BTreeMap<PackageName, String>) -> String {
    let mut text = String::new();
    for (_, _, entry) in previous.iter().flat_map(|previous| previous.entries()) {
        if let Ok(Lockable::Release { project, .. }) = classify(entry, Path::new("."))
            && kept.contains_key(&project)
        {
            text.push_str(&entry.requirement.value);
            text.push('\n');
        }
    }
    text
}

/// `requirements.in` → `requirements.txt`.
fn default_output(input: &Path) -> Result<PathBuf> {
    match input.extension().and_then(|extension| extension.to_str()) {
        Some("in") => Ok(input.with_extension("txt")),
        _ => Err(UsageError::new(format!(
            "cannot derive the output name from `{}` (it does not end in `.in`)\nhint: name it: `-o requirements.txt`",
            input.display()
        ))
        .into()),
    }
}

/// The `name==version` pins of the previous output that stay, by project.
fn kept_pins(
    previous: Option<&Document>,
    upgrade: Option<&Vec<String>>,
) -> BTreeMap<PackageName, String> {
    let mut kept = BTreeMap::new();
    let Some(previous) = previous else {
        return kept;
    };
    if upgrade.is_some_and(Vec::is_empty) {
        return kept;
    }
    let upgraded: Vec<PackageName> = upgrade
        .into_iter()
        .flatten()
        .map(|name| PackageName::new(name))
        .collect();
    for (_, _, entry) in previous.entries() {
        if let Ok(Lockable::Release {
            project,
            version: PinnedVersion::Equal(specifier),
        }) = classify(entry, Path::new("."))
            && !upgraded.contains(&project)
        {
            kept.insert(project, specifier.version().to_string());
        }
    }
    kept
}

/// Whether every requirement of the input that names `project` allows `version`.
fn input_allows(inputs: &[Loaded], project: &PackageName, version: &str) -> bool {
    let Ok(version) = version.parse::<pep440_rs::Version>() else {
        return false;
    };
    inputs
        .iter()
        .flat_map(|item| item.document.entries())
        .all(|(_, _, entry)| match &entry.target {
            crate::requirements::Target::Pep508(requirement)
                if PackageName::new(requirement.name.as_ref()) == *project =>
            {
                match &requirement.version_or_url {
                    Some(pep508_rs::VersionOrUrl::VersionSpecifier(specifiers)) => {
                        specifiers.contains(&version)
                    }
                    Some(pep508_rs::VersionOrUrl::Url(_)) => false,
                    None => true,
                }
            }
            _ => true,
        })
}

/// Projects the input names itself: when the user changed one of them, its old pin is the
/// first to give way.
fn input_names(inputs: &[Loaded]) -> Vec<PackageName> {
    inputs
        .iter()
        .flat_map(|item| item.document.entries())
        .filter_map(|(_, _, entry)| match &entry.target {
            crate::requirements::Target::Pep508(requirement) => {
                Some(PackageName::new(requirement.name.as_ref()))
            }
            crate::requirements::Target::NamedUrl { name, .. } => Some(PackageName::new(name)),
            crate::requirements::Target::Unnamed { .. } => None,
        })
        .collect()
}

/// pip's resolution of the input, keeping the previous pins where pip can: first all of
/// them; if they conflict, all but those the input names; then none.
fn resolve(
    interpreter: &Interpreter,
    input: &Path,
    kept: &BTreeMap<PackageName, String>,
    input_names: &[PackageName],
    index: &crate::cli::IndexOptions,
    printer: &crate::report::Printer,
) -> Result<Resolution> {
    let index_args = index.to_pip_args();
    let without_input_names: BTreeMap<PackageName, String> = kept
        .iter()
        .filter(|(project, _)| !input_names.contains(project))
        .map(|(project, version)| (project.clone(), version.clone()))
        .collect();
    let mut attempts = vec![kept.clone()];
    if without_input_names.len() < kept.len() {
        attempts.push(without_input_names);
    }
    for constraints in attempts
        .into_iter()
        .filter(|constraints| !constraints.is_empty())
    {
        let mut file = crate::interrupt::temporary(|| {
            tempfile::Builder::new()
                .prefix("hashpin-constraints-")
                .suffix(".txt")
                .tempfile()
        })?;
        let text: String = constraints
            .iter()
            .map(|(project, version)| format!("{project}=={version}\n"))
            .collect();
        std::io::Write::write_all(&mut *file, text.as_bytes())?;
        let mut args = index_args.clone();
        args.extend([
            "--constraint".to_string(),
            file.path().display().to_string(),
        ]);
        match interpreter.resolve(&[input.to_path_buf()], &args) {
            Ok(resolution) => return Ok(resolution),
            // Only a conflict makes pins give way; a network error is not a reason to upgrade.
            Err(PipError::Failed { stderr, .. }) if is_conflict(&stderr) => printer.warning(
                "some pins already in the output no longer fit the input; letting them go",
            ),
            Err(error) => return Err(error.into()),
        }
    }
    Ok(interpreter.resolve(&[input.to_path_buf()], &index_args)?)
}

/// pip's failure, explained as `hashpin lock` would explain it where it can.
fn explain_unfound(
    error: anyhow::Error,
    inputs: &[Loaded],
    args: &LockArgs,
    context: &Context,
) -> anyhow::Error {
    match survey::open_client(&args.index, inputs, &*context.env) {
        Ok(client) => survey::explain_unfound(error, &client, &PinIndex::new(inputs)),
        Err(_) => error,
    }
}

/// Whether pip failed because the requirements cannot all be satisfied together.
fn is_conflict(stderr: &str) -> bool {
    [
        "ResolutionImpossible",
        "conflicting dependencies",
        "No matching distribution",
        "Cannot install",
    ]
    .iter()
    .any(|marker| stderr.contains(marker))
}

/// Downloads the sdists the indexes list *now* for the pins being kept, and asks the judge about
/// each: pip may build one of them to read its metadata, so a file that is not recorded must not
/// reach pip. Pins being re-recorded (`--update`) are left to lock. Fails closed: a listing or
/// download that fails stops everything before pip runs. Returns the status to stop with, after
/// printing every problem or refusal; `None` when pip may go on.
fn verify_kept_sdists(
    input: &Path,
    previous: &Document,
    kept: &BTreeMap<PackageName, String>,
    inputs: &[Loaded],
    resolver: &Resolver,
    args: &LockArgs,
    context: &Context,
) -> Result<Option<Status>> {
    let printer = &context.printer;
    let updated = |project: &PackageName| names_project(args.update.as_ref(), project);
    let loaded = vec![Loaded {
        document: previous.clone(),
        role: Role::Requirements,
        includes: Vec::new(),
        root: Some(0),
    }];
    let pins = PinIndex::new(&loaded);
    let mut plans = survey::plan_entries(&pins, &loaded, printer)?;
    plans.retain(|plan| match &plan.lockable {
        Lockable::Release { project, .. } => kept.contains_key(project) && !updated(project),
        Lockable::Url { .. } => false,
    });
    if plans.is_empty() {
        return Ok(None);
    }
    let client = survey::open_client(&args.index, inputs, &*context.env)?;
    let jobs = args.download.jobs.max(1);
    let filter = crate::platform::TargetFilter::default();
    let is_sdist = |candidate: &Candidate| {
        ArtifactName::parse(&candidate.filename, None).is_ok_and(|name| name.wheel_tags().is_none())
    };
    // pip would build these very bytes: never skip a download on the index's word.
    let wants = |plan: &Plan<'_>, candidates: &[Candidate]| {
        let sdists: Vec<Candidate> = candidates.iter().filter(|c| is_sdist(c)).cloned().collect();
        survey::wants_to_judge(plan, &sdists, HashAlgorithm::Sha256, true)
    };
    let cache = Cache::unless_disabled(args.download.no_cache, &*context.env);
    let (mut problems, downloaded) = survey::list_and_download(
        &mut plans,
        &survey::Listing {
            client: &client,
            filter: &filter,
            jobs,
            second_opinion: survey::SecondOpinion::WhenDownloading,
            cooldown: None,
            stop: None,
        },
        cache.as_ref(),
        &Earlier::default(),
        &wants,
        printer,
    );
    for plan in &mut plans {
        plan.candidates.retain(is_sdist);
    }
    let (downloaded, failed) = survey::split_failures(downloaded);
    problems.extend(failed);
    if !problems.is_empty() {
        return Ok(Some(report_problems(&problems, printer)));
    }
    let policy = Policy::new(Scope::Files, Recording::Never);
    let mut refused = Vec::new();
    let mut names = Vec::new();
    let verdicts: Vec<(&Plan<'_>, Verdict)> = plans
        .iter()
        .map(|plan| {
            let sightings = survey::sightings(plan, &downloaded);
            (plan, judge(plan.record(), &sightings, policy))
        })
        .collect();
    for (plan, verdict) in &verdicts {
        if verdict.refuses() {
            report::verdict::print_failures(printer, &plan.about(), verdict);
            refused.push(verdict);
            names.push(plan.update_name());
        }
    }
    if refused.is_empty() {
        return Ok(None);
    }
    printer.hint(&format!(
        "{} could build these sdists to resolve; review them, then re-record: `hashpin lock --resolve {} --update {}`",
        resolver.name(),
        input.display(),
        names.join(" ")
    ));
    printer.refused(&format!(
        "{}; nothing written, {} not run",
        report::verdict::refusal_counts(&refused),
        resolver.name()
    ));
    Ok(Some(Status::Failure))
}

/// The lockfile text: a header, then one entry per resolved package in name order, each
/// carried over verbatim from the previous output when its pin is unchanged, with `# via`.
fn render(
    input: &Path,
    output: &Path,
    inputs: &[Loaded],
    picks: &[Pick],
    previous: Option<&Document>,
    args: &LockArgs,
    resolved_for: &str,
) -> String {
    let eol = previous.map_or("\n", Document::line_ending);
    let input_name = input.display().to_string();
    // The options that change what is resolved, so that running the header's command again
    // gives the same file.
    let mut command = format!("hashpin lock --resolve {input_name}");
    if args.universal {
        command.push_str(" --universal");
    }
    if let Some(version) = &args.target.python_version {
        let _ = write!(command, " --python-version {version}");
    }
    for platform in &args.target.platform {
        let _ = write!(command, " --platform {platform}");
    }
    if let Some(implementation) = &args.target.implementation {
        let _ = write!(command, " --implementation {implementation}");
    }
    let mut text = format!(
        "# This file is generated by `{command}`:{eol}# edit `{input_name}` and run it again.{eol}# Resolved by {resolved_for}; every file hashed by hashpin.{eol}"
    );
    // The input's index options come along, as written (`${VAR}` unexpanded): the lockfile
    // must be checked against the indexes it was resolved from.
    for (document, option) in crate::requirements::load::options_in_pip_order(inputs) {
        use crate::requirements::FileOption;
        if matches!(
            option.value,
            FileOption::IndexUrl(_)
                | FileOption::ExtraIndexUrl(_)
                | FileOption::FindLinks(_)
                | FileOption::NoIndex
                | FileOption::TrustedHost(_)
                | FileOption::Pre
                | FileOption::PreferBinary
                | FileOption::OnlyBinary(_)
                | FileOption::NoBinary(_)
        ) {
            match &option.value {
                FileOption::FindLinks(value) => {
                    let moved = relocate(value, document.path.parent(), output.parent());
                    text.push_str(&moved.map_or_else(
                        || document.text(&option.span).to_string(),
                        |path| format!("--find-links {path}"),
                    ));
                }
                _ => text.push_str(document.text(&option.span)),
            }
            text.push_str(eol);
        }
    }
    // By name, then a universal resolution's versions of one project oldest first.
    let mut picks: Vec<&Pick> = picks.iter().collect();
    picks.sort_by_cached_key(|pick| {
        (
            pick.project.clone(),
            pick.version.parse::<pep440_rs::Version>().ok(),
            pick.marker.clone(),
        )
    });
    for pick in picks {
        let carried = previous.and_then(|previous| carried_block(previous, pick));
        match carried {
            Some(block) => text.push_str(&block),
            None => text.push_str(&pick.requirement()),
        }
        text.push_str(eol);
        // `# via` lines are regenerated every time, from the resolver's answer.
        let mut via = pick.via.clone();
        if pick.requested {
            via.insert(0, format!("-r {input_name}"));
        }
        if !via.is_empty() {
            let _ = write!(text, "    # via {}{eol}", via.join(", "));
        }
    }
    text
}

/// A relative find-links directory, rewritten for a lockfile in another directory than the
/// input (pip reads it relative to the file that names it); `None` when it needs no change.
fn relocate(value: &str, from: Option<&Path>, to: Option<&Path>) -> Option<String> {
    let directory = |path: Option<&Path>| {
        let path = path
            .filter(|p| !p.as_os_str().is_empty())
            .unwrap_or(Path::new("."));
        std::path::absolute(path).ok()
    };
    let (from, to) = (directory(from)?, directory(to)?);
    if value.contains("://") || Path::new(value).is_absolute() || from == to {
        return None;
    }
    let target = from.join(value);
    let target: Vec<_> = target.components().collect();
    let base: Vec<_> = to.components().collect();
    let common = target.iter().zip(&base).take_while(|(a, b)| a == b).count();
    let mut relative = PathBuf::new();
    for _ in common..base.len() {
        relative.push("..");
    }
    for component in &target[common..] {
        relative.push(component);
    }
    Some(relative.display().to_string())
}

/// The previous output's block for `pick` (requirement, hashes and provenance lines), when it
/// pins the same version under the same marker.
fn carried_block(previous: &Document, pick: &Pick) -> Option<String> {
    previous.entries().find_map(|(_, line, entry)| {
        let Ok(Lockable::Release {
            project: pinned,
            version: PinnedVersion::Equal(specifier),
        }) = classify(entry, Path::new("."))
        else {
            return None;
        };
        let same_version = pick
            .version
            .parse::<pep440_rs::Version>()
            .is_ok_and(|version| specifier.contains(&version));
        // The same marker however it was spelled (pip-compile and uv quote differently).
        let same_marker = match (&entry.marker, &pick.marker) {
            (None, None) => true,
            (Some(recorded), Some(picked)) => {
                Marker::parse(picked).is_ok_and(|picked| picked.same_as(recorded))
            }
            _ => false,
        };
        (pinned == pick.project && same_version && same_marker)
            .then(|| previous.source[line.span.start..entry.block_end].to_string())
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn find_links_follow_the_lockfile_to_its_directory() {
        let (from, to) = (Path::new("/work/app"), Path::new("/work/app/locks"));
        assert_eq!(
            relocate("../flat", Some(from), Some(to)).unwrap(),
            "../../flat"
        );
        assert_eq!(
            relocate("wheels", Some(from), Some(to)).unwrap(),
            "../wheels"
        );
        assert_eq!(relocate("wheels", Some(from), Some(from)), None);
        assert_eq!(relocate("https://h/links/", Some(from), Some(to)), None);
        assert_eq!(relocate("/abs/dir", Some(from), Some(to)), None);
    }
}
