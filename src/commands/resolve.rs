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

use anyhow::Result;

use crate::cli::LockArgs;
use crate::commands::Context;
use crate::commands::lock::{lock_files, lock_loaded};
use crate::error::{Status, UsageError};
use crate::lockfile::{Lockable, PinnedVersion, classify};
use crate::name::PackageName;
use crate::pip::{Interpreter, PipError, Resolution};
use crate::requirements::load::{Loaded, Role, load};
use crate::requirements::{Document, parse};

/// Runs `hashpin lock --resolve`.
pub fn run(args: &LockArgs, files: &[PathBuf], context: &Context) -> Result<Status> {
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
    if let Some(previous) = &previous
        && !verify_kept_sdists(previous, &kept, &inputs, args, context)?
    {
        return Ok(Status::Failure);
    }
    let interpreter = Interpreter::find(args.python.as_deref(), &*context.env);
    let input_names = input_names(&inputs);
    let resolution = resolve(
        &interpreter,
        input,
        &kept,
        &input_names,
        &args.index,
        printer,
    )?;
    printer.info(&format!(
        "pip resolved {} packages for `{}`",
        resolution.items.len(),
        interpreter.python.display()
    ));

    let text = render(input, &inputs, &resolution, previous.as_ref());
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
    lock_loaded(args, &loaded, &on_disk, args.update.as_ref(), context)
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
            crate::requirements::Target::Unnamed(_) => None,
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
        let mut file = tempfile::Builder::new()
            .prefix("hashpin-constraints-")
            .suffix(".txt")
            .tempfile()?;
        let text: String = constraints
            .iter()
            .map(|(project, version)| format!("{project}=={version}\n"))
            .collect();
        std::io::Write::write_all(&mut file, text.as_bytes())?;
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

/// Downloads the recorded sdists of the pins being kept and compares them with the record.
/// Prints every mismatch and returns `false` if there is one.
fn verify_kept_sdists(
    previous: &Document,
    kept: &BTreeMap<PackageName, String>,
    inputs: &[Loaded],
    args: &LockArgs,
    context: &Context,
) -> Result<bool> {
    let records: Vec<crate::requirements::Provenance> = previous
        .entries()
        .filter(|(_, _, entry)| match classify(entry, Path::new(".")) {
            Ok(Lockable::Release { project, .. }) => kept.contains_key(&project),
            _ => false,
        })
        .flat_map(|(_, _, entry)| entry.recorded_provenance())
        .filter(|record| {
            crate::artifact::ArtifactName::parse(&record.filename, None)
                .is_ok_and(|name| name.wheel_tags().is_none())
        })
        .collect();
    if records.is_empty() {
        return Ok(true);
    }
    let client = crate::survey::open_client(&args.index, inputs, &*context.env)?;
    let cache = crate::cache::Cache::from_env(&*context.env);
    let mut ok = true;
    for record in records {
        let Ok(url) = url::Url::parse(&record.url) else {
            continue;
        };
        let fetched = crate::fetch::fetch(
            &client,
            cache.as_ref(),
            &crate::fetch::FetchRequest {
                url,
                algorithms: vec![record.hash.algorithm],
            },
        )?;
        if fetched.digests.get(record.hash.algorithm) != Some(&record.hash) {
            ok = false;
            context.printer.error(&anyhow::anyhow!(
                "`{}` changed since it was locked; pip would build it to resolve\n  url:      {}\n  recorded: {}\n  observed: {}\nhint: review it, then `hashpin lock --resolve --upgrade {}`",
                record.filename,
                record.url,
                record.hash,
                fetched.digests.sha256(),
                crate::artifact::ArtifactName::parse(&record.filename, None)
                    .map(|name| name.project.to_string())
                    .unwrap_or_default()
            ));
        }
    }
    Ok(ok)
}

/// The lockfile text: a header, then one entry per resolved package in name order, each
/// carried over verbatim from the previous output when its pin is unchanged, with `# via`.
fn render(
    input: &Path,
    inputs: &[Loaded],
    resolution: &Resolution,
    previous: Option<&Document>,
) -> String {
    let eol = previous.map_or("\n", Document::line_ending);
    let input_name = input.display().to_string();
    let mut text = format!(
        "# This file is generated by `hashpin lock --resolve {input_name}`:{eol}# edit `{input_name}` and run it again.{eol}"
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
            text.push_str(document.text(&option.span));
            text.push_str(eol);
        }
    }
    let mut items: Vec<_> = resolution.items.iter().collect();
    items.sort_by(|a, b| a.project.cmp(&b.project));
    for item in items {
        let pin = if item.is_direct {
            format!(
                "{} @ {}",
                item.display_name,
                crate::safe_url::recordable(&item.url)
            )
        } else {
            format!("{}=={}", item.display_name, item.version)
        };
        let carried =
            previous.and_then(|previous| carried_block(previous, &item.project, &item.version));
        match carried {
            Some(block) => text.push_str(&block),
            None => text.push_str(&pin),
        }
        text.push_str(eol);
        // `# via` lines are regenerated every time, from pip's report.
        let mut via = resolution.via(&item.project);
        if item.requested {
            via.insert(0, format!("-r {input_name}"));
        }
        if !via.is_empty() {
            let _ = write!(text, "    # via {}{eol}", via.join(", "));
        }
    }
    text
}

/// The previous output's block for `project` (requirement, hashes and provenance lines), when
/// it pins the same version.
fn carried_block(previous: &Document, project: &PackageName, version: &str) -> Option<String> {
    previous.entries().find_map(|(_, line, entry)| {
        let Ok(Lockable::Release {
            project: pinned,
            version: PinnedVersion::Equal(specifier),
        }) = classify(entry, Path::new("."))
        else {
            return None;
        };
        let same_version = version
            .parse::<pep440_rs::Version>()
            .is_ok_and(|version| specifier.contains(&version));
        (pinned == *project && same_version)
            .then(|| previous.source[line.span.start..entry.block_end].to_string())
    })
}
