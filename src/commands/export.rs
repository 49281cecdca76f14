//! `hashpin export --format pylock [-o pylock.toml] [FILE]...`: a PEP 751 lock from a locked
//! requirements file, so that any installer that reads `pylock.toml` (uv, pip) installs exactly
//! what hashpin verified.
//!
//! Only what the lockfile records goes in: each file's URL and hash come from its `# hashpin:`
//! line, never from the index. The index is asked only for what the lockfile does not hold
//! (size and upload time), and only for files it lists with the recorded digest; a cached copy
//! of the recorded bytes gives the size without asking. An entry without recorded files (bare
//! `--hash` options, an unpinned or VCS requirement) cannot be exported: nothing says which
//! file each hash is for.

use std::collections::HashMap;
use std::path::{Path, PathBuf};

use anyhow::Result;

use crate::artifact::ArtifactName;
use crate::cache::Cache;
use crate::cli::ExportArgs;
use crate::commands::Context;
use crate::error::{Status, UsageError};
use crate::hash::HashAlgorithm;
use crate::index::ProjectListing;
use crate::lockfile::{Lockable, Pin, PinIndex, PinnedVersion};
use crate::name::PackageName;
use crate::pylock::{LockedFile, Package, Source};
use crate::requirements::ParseError;
use crate::safe_url::recordable;

/// Runs `hashpin export`.
pub(crate) fn run(args: &ExportArgs, context: &Context) -> Result<Status> {
    if let Some(output) = &args.output {
        check_output_name(output)?;
    }
    let files = if args.files.is_empty() {
        vec![PathBuf::from("requirements.txt")]
    } else {
        args.files.clone()
    };
    let loaded = crate::commands::verify::load_lockfiles(
        &files,
        "hashpin export --format pylock path/to/requirements.txt",
        &*context.env,
    )?;
    let pins = PinIndex::new(&loaded);
    let mut packages = Vec::new();
    let mut errors = Vec::new();
    for pin in pins.iter() {
        match package_of(pin) {
            Ok(package) => packages.push(package),
            Err(message) => errors.push(ParseError::new(
                &pin.document.path,
                &pin.document.source,
                pin.entry.requirement.span.clone(),
                message,
            )),
        }
    }
    if !errors.is_empty() {
        return Err(crate::requirements::ParseErrors(errors).into());
    }

    let cache = Cache::from_env(&*context.env);
    let client = if args.offline {
        None
    } else {
        Some(crate::survey::open_client(
            &args.index,
            &loaded,
            &*context.env,
        )?)
    };
    let listings = match &client {
        Some(client) => listings(client, &packages)?,
        None => HashMap::new(),
    };
    let single_index =
        client
            .as_ref()
            .and_then(|client| match client.settings().indexes.as_slice() {
                [only] => Some(recordable(only)),
                _ => None,
            });
    for package in &mut packages {
        let listing = listings.get(&PackageName::new(&package.name));
        let mut listed_on_index = false;
        for file in package_files(package) {
            listed_on_index |= describe(file, listing, cache.as_ref());
        }
        if listed_on_index && matches!(package.source, Source::Release { .. }) {
            package.index.clone_from(&single_index);
        }
    }
    packages
        .sort_by(|a, b| (&a.name, &a.version, &a.marker).cmp(&(&b.name, &b.version, &b.marker)));

    let mut command = String::from("hashpin export --format pylock");
    for file in &files {
        command.push(' ');
        command.push_str(&file.display().to_string());
    }
    let text = crate::pylock::render(&packages, &command);
    match &args.output {
        Some(output) => {
            let read = fs_err::read(output).unwrap_or_default();
            let prepared = crate::persist::prepare(output, read, text.as_bytes())?;
            crate::persist::commit(vec![prepared])?;
            context.printer.info(&format!(
                "exported {} package{} to `{}`",
                packages.len(),
                if packages.len() == 1 { "" } else { "s" },
                output.display()
            ));
        }
        None => context.printer.out(&text)?,
    }
    Ok(Status::Success)
}

/// PEP 751: `pylock.toml`, or `pylock.<name>.toml`; installers find the file by that name.
fn check_output_name(output: &Path) -> Result<()> {
    let name = output
        .file_name()
        .and_then(|name| name.to_str())
        .unwrap_or_default();
    let valid = name == "pylock.toml"
        || name
            .strip_prefix("pylock.")
            .and_then(|rest| rest.strip_suffix(".toml"))
            .is_some_and(|middle| !middle.is_empty() && !middle.contains('.'));
    if valid {
        Ok(())
    } else {
        Err(UsageError::new(format!(
            "`{}` is not a PEP 751 lock file name\nhint: name it `pylock.toml` or `pylock.<name>.toml` (installers recognize it by that name)",
            output.display()
        ))
        .into())
    }
}

/// The package one entry records, or why it cannot be exported.
fn package_of(pin: &Pin<'_>) -> Result<Package, String> {
    let marker = pin
        .entry
        .marker
        .as_ref()
        .map(|marker| marker.written().to_string());
    let record = &pin.record;
    match pin.lockable() {
        Some(Lockable::Release { project, version }) => {
            if record.files.is_empty() {
                return Err(format!(
                    "`{}` records no files (`# hashpin:` lines), so nothing says which file each hash is for\nhint: run `hashpin lock` first",
                    pin.shown()
                ));
            }
            let mut sdists = Vec::new();
            let mut wheels = Vec::new();
            for file in &record.files {
                let locked = LockedFile {
                    name: file.filename.clone(),
                    url: file.url.clone(),
                    hash: file.hash.clone(),
                    size: None,
                    upload_time: None,
                };
                match ArtifactName::parse(&file.filename, Some(project)) {
                    Ok(artifact) if artifact.wheel_tags().is_some() => wheels.push(locked),
                    Ok(_) => sdists.push(locked),
                    Err(_) => {}
                }
            }
            wheels.sort_by(|a, b| a.name.cmp(&b.name));
            wheels.dedup_by(|a, b| a.name == b.name);
            // PEP 751 allows one sdist: the `.tar.gz` (PEP 625) when there are several.
            sdists.sort_by_key(|sdist| (!sdist.name.ends_with(".tar.gz"), sdist.name.clone()));
            if sdists.is_empty() && wheels.is_empty() {
                return Err(format!(
                    "`{}` records no file that is an sdist or wheel of its release\nhint: run `hashpin lock` again",
                    pin.shown()
                ));
            }
            // PEP 751's `version` must be a PEP 440 version; an `===` pin may not be one.
            let version = match version {
                PinnedVersion::Equal(specifier) => Some(specifier.version().to_string()),
                PinnedVersion::Arbitrary(text) => text
                    .parse::<pep440_rs::Version>()
                    .ok()
                    .map(|version| version.to_string()),
            };
            Ok(Package {
                name: project.to_string(),
                version,
                marker,
                index: None,
                source: Source::Release {
                    sdist: sdists.into_iter().next(),
                    wheels,
                },
            })
        }
        Some(Lockable::Url { url, filename }) => {
            let project = pin
                .project
                .clone()
                .ok_or_else(|| format!("`{}` names no project", pin.shown()))?;
            let hash = record
                .files
                .iter()
                .find(|file| file.filename == *filename)
                .map(|file| file.hash.clone())
                .or_else(|| record.hashes.first().cloned())
                .ok_or_else(|| {
                    format!(
                        "`{}` records no hash\nhint: run `hashpin lock` first",
                        pin.shown()
                    )
                })?;
            let version = ArtifactName::parse(filename, Some(&project))
                .ok()
                .map(|artifact| artifact.version_text);
            Ok(Package {
                name: project.to_string(),
                version,
                marker,
                index: None,
                source: Source::Archive(LockedFile {
                    name: filename.clone(),
                    url: recordable(url),
                    hash,
                    size: None,
                    upload_time: None,
                }),
            })
        }
        None => Err(format!(
            "`{}` is not locked to files hashpin can name (a VCS or directory requirement, or no single version)",
            pin.shown()
        )),
    }
}

/// The files of a package, to fill in.
fn package_files(package: &mut Package) -> Vec<&mut LockedFile> {
    match &mut package.source {
        Source::Release { sdist, wheels } => sdist.iter_mut().chain(wheels.iter_mut()).collect(),
        Source::Archive(archive) => vec![archive],
    }
}

/// Fills in a file's size and upload time: the size from the cached copy of the recorded bytes,
/// else from the listing; the upload time from the listing, which is believed only for a file
/// it lists under the same name with the recorded digest (or no digest). Returns whether the
/// listing lists it.
fn describe(
    file: &mut LockedFile,
    listing: Option<&ProjectListing>,
    cache: Option<&Cache>,
) -> bool {
    // The cache is content-addressed: the length of the file under the recorded hash is the
    // recorded bytes' length, without reading (and hashing) gigabytes of wheels to learn it.
    if file.hash.algorithm == HashAlgorithm::Sha256
        && let Some(cache) = cache
        && let Some(path) = cache.locate(&file.hash)
        && let Ok(meta) = fs_err::metadata(path)
    {
        file.size = Some(meta.len());
    }
    let Some(listed) = listing.and_then(|listing| {
        listing.files.iter().find(|listed| {
            listed.filename == file.name
                && listed
                    .declared
                    .iter()
                    .filter(|digest| digest.algorithm == file.hash.algorithm)
                    .all(|digest| *digest == file.hash)
        })
    }) else {
        return false;
    };
    if file.size.is_none() {
        file.size = listed.size;
    }
    file.upload_time.clone_from(&listed.upload_time);
    !listed.url.scheme().eq_ignore_ascii_case("file")
}

/// Every exported project's listing, asked at once; a failure is an error (exit 4), since the
/// output would otherwise depend on which listings happened to answer.
fn listings(
    client: &crate::index::Client,
    packages: &[Package],
) -> Result<HashMap<PackageName, ProjectListing>> {
    let mut projects: Vec<PackageName> = packages
        .iter()
        .filter(|package| matches!(package.source, Source::Release { .. }))
        .map(|package| PackageName::new(&package.name))
        .collect();
    projects.sort();
    projects.dedup();
    let answers = crate::pool::map_bounded(
        &projects,
        16,
        |project| client.list_project(project),
        &|_| {},
    );
    let mut listings = HashMap::new();
    for (project, answer) in projects.into_iter().zip(answers) {
        listings.insert(project, answer?);
    }
    Ok(listings)
}
