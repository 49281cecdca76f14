//! `hashpin verify --installed`: is what an environment has installed what the lockfile
//! records? pip trusts whatever is in site-packages; a file edited after the install, or a
//! package installed around the lockfile, would go unnoticed.
//!
//! For every installed distribution: each file its `RECORD` lists exists and has its `RECORD`
//! hash; its version is the pinned one; and its `RECORD` agrees with the `RECORD` inside the
//! recorded wheel it was installed from (the wheel whose tags its `WHEEL` file names, taken
//! from the cache or downloaded, and hashed against the lockfile first), so a package installed
//! from other bytes is caught even when its files agree with their own `RECORD`.
//!
//! Non-goals: pinned projects that are not installed are not reported (markers may leave them
//! out); a distribution built from an sdist can be checked against its own `RECORD` only.

use std::collections::{BTreeMap, BTreeSet};
use std::path::Path;

use anyhow::Result;

use crate::artifact::ArtifactName;
use crate::cache::Cache;
use crate::cli::{IndexOptions, OutputFormat, VerifyArgs};
use crate::commands::Context;
use crate::commands::verify::decide_file;
use crate::error::Status;
use crate::fetch::{self, FetchRequest};
use crate::hash::{HashAlgorithm, HashDigest};
use crate::installed::{self, Distribution, Layout, RecordRow};
use crate::lockfile::{Lookup, Pin, PinIndex};
use crate::pip::Interpreter;
use crate::report::installed::{self as view, Problem, Report};
use crate::report::verify::Answer;
use crate::requirements::Provenance;

/// What installers put in every environment: not reported as unpinned unless the lockfile
/// pins them (as pip-sync leaves them alone).
const ENVIRONMENT_TOOLS: &[&str] = &["pip", "setuptools", "wheel", "distribute"];

/// Files an installer adds to a `.dist-info` that no wheel carries (PEP 376, PEP 610).
const INSTALLER_FILES: &[&str] = &["INSTALLER", "REQUESTED", "direct_url.json", "RECORD"];

/// Runs `hashpin verify --installed`.
pub(crate) fn run(args: &VerifyArgs, context: &Context) -> Result<Status> {
    let loaded = crate::commands::verify::load_lockfiles(
        std::slice::from_ref(&args.lockfile),
        "hashpin verify --installed --lock path/to/requirements.txt",
        &*context.env,
    )?;
    let pins = PinIndex::new(&loaded);
    let interpreter = Interpreter::find(args.python.as_deref(), &*context.env);
    let layout = Layout::of(&interpreter.python)?;
    let cache = Cache::from_env(&*context.env);
    let scratch = crate::interrupt::temporary(tempfile::tempdir)?;
    let wheels = WheelSource {
        cache: cache.unwrap_or_else(|| Cache::at(scratch.path().join("cache"))),
        client: crate::survey::open_client(&IndexOptions::default(), &loaded, &*context.env)?,
        lockfile: &args.lockfile,
    };

    let distributions = installed::distributions(&layout);
    let mut reports = Vec::new();
    for distribution in &distributions {
        reports.push(check(distribution, &layout, &pins, &wheels, args.strict));
    }
    let unowned = unowned_startup_files(&layout, &distributions);
    let outcome = view::Outcome {
        python: interpreter.python.display().to_string(),
        lockfile: args.lockfile.display().to_string(),
        distributions: reports,
        unowned_startup_files: unowned,
    };
    match args.format {
        OutputFormat::Json => view::print_json(&context.printer, &outcome)?,
        OutputFormat::Text => view::print_text(&context.printer, &outcome, args.strict),
    }
    let (failed, warned) = outcome.counts();
    Ok(if failed > 0 || (warned > 0 && args.strict) {
        Status::Failure
    } else {
        Status::Success
    })
}

/// Where recorded wheels come from: the cache, else their recorded URL.
struct WheelSource<'a> {
    cache: Cache,
    client: std::mem::ManuallyDrop<crate::index::Client>,
    /// The lockfile the judge names in its answers.
    lockfile: &'a Path,
}

impl WheelSource<'_> {
    /// The recorded wheel's bytes, as the open handle they were hashed from (so a file swapped
    /// in the cache after the check is not what is read), once the judge (the same as
    /// `hashpin verify`'s) has passed them against the entries that pin its release.
    fn get(
        &self,
        file: &Provenance,
        pinning: &[&Pin<'_>],
        project: &crate::name::PackageName,
    ) -> Result<std::fs::File, Problem> {
        let problem = |kind: &'static str, message: String| Problem {
            kind,
            path: None,
            expected: None,
            observed: None,
            message,
        };
        let url = url::Url::parse(&file.url).map_err(|error| {
            problem(
                "unreadable",
                format!(
                    "the recorded URL of `{}` is not a URL: {error}",
                    file.filename
                ),
            )
        })?;
        let algorithms = [file.hash.algorithm];
        let cached = (file.hash.algorithm == HashAlgorithm::Sha256)
            .then(|| self.cache.open(&file.hash, &algorithms))
            .flatten();
        let (handle, digests) = match cached {
            Some(opened) => opened,
            None => {
                let fetched = fetch::fetch(
                    &self.client,
                    Some(&self.cache),
                    &FetchRequest {
                        url: url.clone(),
                        algorithms: algorithms.to_vec(),
                    },
                )
                .map_err(|error| {
                    problem(
                        "unreadable",
                        format!(
                            "cannot download the recorded wheel `{}`: {error}",
                            file.filename
                        ),
                    )
                })?;
                // Hashed again from the handle that is read, like a cached wheel.
                self.cache
                    .open(fetched.digests.sha256(), &algorithms)
                    .ok_or_else(|| {
                        problem(
                            "unreadable",
                            format!("`{}` could not be kept to be read", file.filename),
                        )
                    })?
            }
        };
        let artifact = ArtifactName::parse(&file.filename, Some(project))
            .map_err(|error| problem("unreadable", format!("`{}`: {error}", file.filename)))?;
        let decision = decide_file(
            self.lockfile,
            &Lookup::Pinned(pinning.to_vec()),
            &artifact,
            &file.filename,
            &url,
            digests,
        );
        if decision.answer != Answer::Pass {
            return Err(Problem {
                kind: "wheel-changed",
                path: None,
                expected: Some(file.hash.to_string()),
                observed: Some(decision.observed.to_string()),
                message: format!(
                    "{}, so the install cannot be held against it",
                    decision.message
                ),
            });
        }
        Ok(handle)
    }
}

/// Everything about one distribution.
fn check(
    distribution: &Distribution,
    layout: &Layout,
    pins: &PinIndex<'_>,
    wheels: &WheelSource,
    strict: bool,
) -> Report {
    let mut report = Report {
        name: distribution.name.clone(),
        version: distribution.version.clone(),
        status: "ok",
        wheel: None,
        files: 0,
        problems: Vec::new(),
        warnings: Vec::new(),
    };
    let site = distribution
        .dist_info
        .parent()
        .unwrap_or(Path::new("/"))
        .to_path_buf();
    let rows = match &distribution.record {
        Ok(rows) => rows.as_slice(),
        Err(reason) => {
            report.problems.push(Problem {
                kind: "unreadable",
                path: Some("RECORD".to_string()),
                expected: None,
                observed: None,
                message: reason.clone(),
            });
            &[]
        }
    };
    check_record(rows, &site, &layout.prefix, &mut report);

    let project = &distribution.project;
    match pins.lookup(project, &distribution.version) {
        Lookup::Pinned(pinning) => {
            check_against_wheel(distribution, rows, &pinning, wheels, &mut report)
        }
        Lookup::OtherVersion(pinning) => report.problems.push(Problem {
            kind: "version",
            path: None,
            expected: Some(pinning[0].shown()),
            observed: Some(format!("{}=={}", distribution.name, distribution.version)),
            message: format!(
                "{} {} is installed, but `{}` ({}) pins another version",
                distribution.name,
                distribution.version,
                pinning[0].shown(),
                pinning[0].location()
            ),
        }),
        Lookup::Unhashable(pin) => report.warnings.push(format!(
            "`{}` ({}) installs it from a source without hashes: checked against its RECORD only",
            pin.shown(),
            pin.location()
        )),
        Lookup::Absent | Lookup::Unpinned(_) => {
            if !ENVIRONMENT_TOOLS.contains(&project.as_str()) {
                report.warnings.push(format!(
                    "{} {} is installed, but the lockfile does not pin it{}",
                    distribution.name,
                    distribution.version,
                    if strict { " (--strict)" } else { "" }
                ));
            }
        }
    }
    report.status = if !report.problems.is_empty() {
        "failed"
    } else if !report.warnings.is_empty() {
        "warning"
    } else {
        "ok"
    };
    report
}

/// Every file `RECORD` hashes exists, inside the environment, with that hash.
fn check_record(rows: &[RecordRow], site: &Path, prefix: &Path, report: &mut Report) {
    for row in rows {
        let Some(recorded) = &row.hash else {
            continue;
        };
        report.files += 1;
        let Some(path) = installed::resolve_path(site, prefix, &row.path) else {
            report.problems.push(Problem {
                kind: "outside",
                path: Some(row.path.clone()),
                expected: None,
                observed: None,
                message: format!("RECORD names `{}`, outside the environment", row.path),
            });
            continue;
        };
        match installed::hash_file(&path, recorded.algorithm) {
            None => report.problems.push(Problem {
                kind: "missing",
                path: Some(row.path.clone()),
                expected: Some(recorded.to_string()),
                observed: None,
                message: format!("`{}` is in RECORD but not on disk", row.path),
            }),
            Some(observed) if observed != *recorded => report.problems.push(Problem {
                kind: "changed",
                path: Some(row.path.clone()),
                expected: Some(recorded.to_string()),
                observed: Some(observed.to_string()),
                message: format!(
                    "`{}` differs from its RECORD hash (edited after the install)",
                    row.path
                ),
            }),
            Some(_) => {}
        }
    }
}

/// The installed `RECORD` against the `RECORD` of the recorded wheel with the tags `WHEEL`
/// names.
fn check_against_wheel(
    distribution: &Distribution,
    rows: &[RecordRow],
    pinning: &[&Pin<'_>],
    wheels: &WheelSource,
    report: &mut Report,
) {
    let recorded: Vec<&Provenance> = pinning.iter().flat_map(|pin| &pin.record.files).collect();
    let matching: Vec<&Provenance> = recorded
        .iter()
        .copied()
        .filter(|file| {
            ArtifactName::parse(&file.filename, Some(&distribution.project))
                .ok()
                .and_then(|artifact| artifact.wheel_tags().map(installed::filename_tags))
                .is_some_and(|tags| !distribution.tags.is_empty() && tags == distribution.tags)
        })
        .collect();
    if matching.is_empty() {
        let has_sdist = recorded.iter().any(|file| !file.filename.ends_with(".whl"));
        let tags: Vec<&str> = distribution.tags.iter().map(String::as_str).collect();
        if recorded.is_empty() {
            report.warnings.push(format!(
                "the lockfile records no files for {} {} (bare hashes): checked against its RECORD only",
                distribution.name, distribution.version
            ));
        } else if has_sdist {
            report.warnings.push(format!(
                "no recorded wheel has the tags its WHEEL names ({}): built from the recorded sdist, it can be checked against its own RECORD only",
                if tags.is_empty() { "none".to_string() } else { tags.join(", ") }
            ));
        } else {
            report.problems.push(Problem {
                kind: "unrecorded-wheel",
                path: None,
                expected: Some(
                    recorded
                        .iter()
                        .map(|file| file.filename.as_str())
                        .collect::<Vec<_>>()
                        .join(", "),
                ),
                observed: Some(tags.join(", ")),
                message: format!(
                    "{} {} was installed from a wheel the lockfile does not record (tags {})",
                    distribution.name,
                    distribution.version,
                    tags.join(", ")
                ),
            });
        }
        return;
    }
    let installed: BTreeMap<&str, Option<&HashDigest>> = rows
        .iter()
        .map(|row| (row.path.as_str(), row.hash.as_ref()))
        .collect();
    let dist_info = distribution
        .dist_info
        .file_name()
        .map(|name| name.to_string_lossy().into_owned())
        .unwrap_or_default();
    let wheel_file = format!("{dist_info}/WHEEL");
    // Of the recorded wheels with these tags (several builds may share them), the one whose
    // `WHEEL` file is the installed one is what was installed.
    let mut first: Option<(&Provenance, BTreeMap<String, Option<HashDigest>>)> = None;
    let mut chosen = None;
    for candidate in &matching {
        let inside = match wheels
            .get(candidate, pinning, &distribution.project)
            .and_then(|mut wheel| {
                installed::wheel_record(&mut wheel).map_err(|reason| Problem {
                    kind: "unreadable",
                    path: None,
                    expected: None,
                    observed: None,
                    message: format!(
                        "cannot read the RECORD inside `{}`: {reason}",
                        candidate.filename
                    ),
                })
            }) {
            Ok(inside) => inside,
            Err(problem) => {
                report.problems.push(problem);
                return;
            }
        };
        let same_wheel_file = matches!(
            (inside.get(&wheel_file), installed.get(wheel_file.as_str())),
            (Some(Some(a)), Some(Some(b))) if a == *b
        );
        if same_wheel_file {
            chosen = Some((*candidate, inside));
            break;
        }
        first.get_or_insert((*candidate, inside));
    }
    let has_sdist = recorded.iter().any(|file| !file.filename.ends_with(".whl"));
    let (wheel, inside) = match (chosen, first) {
        (Some(chosen), _) => chosen,
        // A wheel built here from the sdist carries its builder's `WHEEL` file, not a recorded
        // wheel's: such an install can be held against its own RECORD only.
        (None, Some((wheel, _))) if has_sdist => {
            report.warnings.push(format!(
                "its WHEEL file is not the recorded `{}`'s: built locally from the recorded sdist, it can be checked against its own RECORD only",
                wheel.filename
            ));
            return;
        }
        (None, Some(first)) => first,
        (None, None) => return,
    };
    report.wheel = Some(wheel.filename.clone());
    // What the wheel holds must be installed as it holds it. Its `.data/` files move (scripts
    // are rewritten), and its RECORD is replaced by the installer's.
    for (path, hash) in &inside {
        let Some(hash) = hash else {
            continue;
        };
        // `<name>-<version>.data/purelib/p` and `platlib/p` are installed as `p`; its other
        // `.data` directories (scripts, headers, data) go elsewhere, scripts rewritten.
        let installed_as = match data_path(path) {
            Some((scheme, rest)) if scheme == "purelib" || scheme == "platlib" => rest,
            Some(_) => continue,
            None => path.as_str(),
        };
        match installed.get(installed_as) {
            Some(Some(installed_hash)) if *installed_hash == hash => {}
            found => report.problems.push(Problem {
                kind: "not-from-recorded-wheel",
                path: Some(path.clone()),
                expected: Some(hash.to_string()),
                observed: found.copied().flatten().map(ToString::to_string),
                message: format!(
                    "`{path}` is not installed as the recorded wheel `{}` holds it",
                    wheel.filename
                ),
            }),
        }
    }
    let data_targets: BTreeSet<&str> = inside
        .keys()
        .filter_map(|path| data_path(path))
        .filter(|(scheme, _)| *scheme == "purelib" || *scheme == "platlib")
        .map(|(_, rest)| rest)
        .collect();
    // And nothing beside it, but what installers add: the installer's own `.dist-info` files,
    // compiled bytecode, and scripts outside the package directory.
    let extra: BTreeSet<&str> = rows
        .iter()
        .map(|row| row.path.as_str())
        .filter(|path| !inside.contains_key(*path) && !data_targets.contains(*path))
        .filter(|path| !path.starts_with("../") && !path.ends_with(".pyc"))
        .filter(|path| {
            !INSTALLER_FILES
                .iter()
                .any(|file| *path == format!("{dist_info}/{file}"))
        })
        .collect();
    for path in extra {
        report.problems.push(Problem {
            kind: "not-from-recorded-wheel",
            path: Some(path.to_string()),
            expected: None,
            observed: installed
                .get(path)
                .copied()
                .flatten()
                .map(ToString::to_string),
            message: format!(
                "`{path}` is installed, but the recorded wheel `{}` does not hold it",
                wheel.filename
            ),
        });
    }
}

/// Files in the package directories that Python runs at start-up (`*.pth`, `sitecustomize.py`,
/// `usercustomize.py`) and that no installed distribution's RECORD lists: the usual place to
/// hide code that runs in every process.
fn unowned_startup_files(layout: &Layout, distributions: &[Distribution]) -> Vec<String> {
    let mut owned = BTreeSet::new();
    for distribution in distributions {
        let Some(site) = distribution.dist_info.parent() else {
            continue;
        };
        for row in distribution.record.as_deref().unwrap_or_default() {
            if let Some(path) = installed::resolve_path(site, &layout.prefix, &row.path) {
                owned.insert(path);
            }
        }
    }
    let mut unowned = Vec::new();
    for dir in layout.site_dirs() {
        let Ok(entries) = fs_err::read_dir(dir) else {
            continue;
        };
        let mut names: Vec<String> = entries
            .flatten()
            .filter(|entry| entry.path().is_file())
            .map(|entry| entry.file_name().to_string_lossy().into_owned())
            .filter(|name| {
                name.ends_with(".pth") || name == "sitecustomize.py" || name == "usercustomize.py"
            })
            .collect();
        names.sort();
        for name in names {
            if !owned.contains(&dir.join(&name)) {
                unowned.push(dir.join(&name).display().to_string());
            }
        }
    }
    unowned
}

/// A wheel path in its top-level `<name>-<version>.data/<scheme>/` directory, as (scheme, the
/// rest); `None` for any other path (a package's own `foo.data/` directory included).
fn data_path(path: &str) -> Option<(&str, &str)> {
    let (top, rest) = path.split_once('/')?;
    if !top.ends_with(".data") || top.contains(['\\']) || !top.contains('-') {
        return None;
    }
    rest.split_once('/')
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_the_top_level_data_directory_is_moved() {
        assert_eq!(
            data_path("pkg-1.0.data/purelib/pkg/x.py"),
            Some(("purelib", "pkg/x.py"))
        );
        assert_eq!(
            data_path("pkg-1.0.data/scripts/tool"),
            Some(("scripts", "tool"))
        );
        assert_eq!(data_path("pkg/foo.data/x.py"), None);
        assert_eq!(data_path("foo.data/x.py"), None);
    }
}
