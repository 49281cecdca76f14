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
    load(std::slice::from_ref(input), &*context.env)?;
    let _locks = lock_files(std::slice::from_ref(&output), printer)?;
    let previous = match fs_err::read_to_string(&output) {
        Ok(text) => Some(parse(&output, text, &*context.env)?),
        Err(error) if error.kind() == std::io::ErrorKind::NotFound => None,
        Err(error) => return Err(error.into()),
    };

    let kept = kept_pins(previous.as_ref(), args.upgrade.as_ref());
    let interpreter = Interpreter::find(args.python.as_deref(), &*context.env);
    let resolution = resolve(&interpreter, input, &kept, &args.index, printer)?;
    printer.info(&format!(
        "pip resolved {} packages for `{}`",
        resolution.items.len(),
        interpreter.python.display()
    ));

    let text = render(input, &resolution, previous.as_ref());
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

/// pip's resolution of the input, keeping the previous pins when pip can.
fn resolve(
    interpreter: &Interpreter,
    input: &Path,
    kept: &BTreeMap<PackageName, String>,
    index: &crate::cli::IndexOptions,
    printer: &crate::report::Printer,
) -> Result<Resolution> {
    let index_args = index.to_pip_args();
    if !kept.is_empty() {
        let mut constraints = tempfile::Builder::new()
            .prefix("hashpin-constraints-")
            .suffix(".txt")
            .tempfile()?;
        let text: String = kept
            .iter()
            .map(|(project, version)| format!("{project}=={version}\n"))
            .collect();
        std::io::Write::write_all(&mut constraints, text.as_bytes())?;
        let mut with_constraints = index_args.clone();
        with_constraints.extend([
            "--constraint".to_string(),
            constraints.path().display().to_string(),
        ]);
        match interpreter.resolve(&[input.to_path_buf()], &with_constraints) {
            Ok(resolution) => return Ok(resolution),
            Err(PipError::Failed { .. }) => printer.warning(
                "the pins already in the output no longer fit the input; resolving afresh",
            ),
            Err(error) => return Err(error.into()),
        }
    }
    Ok(interpreter.resolve(&[input.to_path_buf()], &index_args)?)
}

/// The lockfile text: a header, then one entry per resolved package in name order, each
/// carried over verbatim from the previous output when its pin is unchanged, with `# via`.
fn render(input: &Path, resolution: &Resolution, previous: Option<&Document>) -> String {
    let eol = previous.map_or("\n", Document::line_ending);
    let input_name = input.display().to_string();
    let mut text = format!(
        "# This file is generated by `hashpin lock --resolve {input_name}`:{eol}# edit `{input_name}` and run it again.{eol}"
    );
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
