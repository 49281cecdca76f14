//! `hashpin verify ARTIFACT URL`: the verify hook. Given a downloaded file and the URL it came
//! from, decide from the lockfile whether it may be used.
//!
//! The recipe: learn the project and version from the filename; load the lockfile and its `-r`
//! includes; find the entries for that project; hash the file once, in every algorithm those
//! entries record; judge; report. Outcomes and exit codes:
//!
//! - **pass** (0): the bytes match a hash recorded for the pinned release. Warnings when the
//!   same bytes were recorded under another filename or from another URL.
//! - **fail** (1): the release is locked and the bytes match none of its hashes while this
//!   filename is recorded for it (republished or tampered), or the entry records hashes with no
//!   provenance and none matches; or another version is pinned; or the project is not in the
//!   lockfile at all.
//! - **retry** (3): this filename is not recorded for its release, but other files of it are:
//!   the caller may try another artifact.
//!
//! Non-goals: the hook never writes the lockfile and never touches the network; it does not
//! evaluate markers (an entry for another platform still counts for its project).

use std::path::Path;

use anyhow::{Context as _, Result};
use url::Url;

use crate::artifact::ArtifactName;
use crate::cli::{OutputFormat, VerifyArgs};
use crate::commands::Context;
use crate::error::{Status, UsageError};
use crate::hash::{Digests, HashAlgorithm};
use crate::judge::{Policy, Recording, Scope, Sighting, Status as Judged, judge_among};
use crate::lockfile::{Lookup, PinIndex};
use crate::report::verdict::{About, headline};
use crate::report::verify::{self as view, Answer, Decision};
use crate::requirements::ParseError;
use crate::requirements::load::load;
use crate::safe_url::{Redacted, percent_decode, redact_text};

/// Runs `hashpin verify`.
pub(crate) fn run(args: &VerifyArgs, context: &Context) -> Result<Status> {
    if args.installed {
        return crate::commands::verify_installed::run(args, context);
    }
    let (Some(artifact_path), Some(url)) = (&args.artifact, &args.url) else {
        return Err(UsageError::new(
            "name the artifact and its URL, or pass `--installed`\nhint: `hashpin verify ARTIFACT URL`",
        )
        .into());
    };
    let filename = artifact_filename(artifact_path)?;
    let artifact =
        ArtifactName::parse(&filename, None).map_err(|error| UsageError::new(error.to_string()))?;
    if !artifact_path.is_file() {
        return Err(UsageError::new(format!(
            "`{}` does not exist or is not a file",
            artifact_path.display()
        ))
        .into());
    }
    let url = Url::parse(url).map_err(|error| {
        UsageError::new(format!("`{}` is not a URL: {error}", redact_text(url)))
    })?;
    let loaded = load_lockfiles(
        std::slice::from_ref(&args.lockfile),
        "hashpin verify --lock path/to/requirements.txt ARTIFACT URL",
        &*context.env,
    )?;
    let pins = PinIndex::new(&loaded);
    let lookup = pins.lookup(&artifact.project, &artifact.version_text);
    if let Lookup::Unpinned(pin) = &lookup {
        // As for `hashpin lock`: an entry that pins no version is an input error.
        let message = match &pin.pinned {
            Err(crate::lockfile::NotLockable::Unpinned(message)) => message.clone(),
            _ => format!("`{}` is not pinned to one version", pin.shown()),
        };
        return Err(ParseError::new(
            &pin.document.path,
            &pin.document.source,
            pin.entry.requirement.span.clone(),
            format!("{message}\nhint: pin it and run `hashpin lock` before verifying its files"),
        )
        .into());
    }
    // One streaming pass: sha256, plus every algorithm the project's entries record, so that a
    // sha512 pin is checked as a sha512.
    let algorithms = pins.algorithms_for(&artifact.project);
    let digests = hash_file(artifact_path, algorithms)?;

    let decision = decide_file(&args.lockfile, &lookup, &artifact, &filename, &url, digests);
    match args.format {
        OutputFormat::Text => view::print_text(&context.printer, &decision),
        OutputFormat::Json => view::print_json(&context.printer, &decision)?,
    }
    Ok(match decision.answer {
        Answer::Pass => Status::Success,
        Answer::Fail => Status::Failure,
        Answer::Retry => Status::Retry,
    })
}

/// The lockfiles a command decides from, with their `-r` includes: each must exist (`usage`
/// shows how to name one), read, and together pin no project twice in ways pip refuses.
pub(crate) fn load_lockfiles(
    paths: &[std::path::PathBuf],
    usage: &str,
    env: &dyn Fn(&str) -> Option<String>,
) -> Result<Vec<crate::requirements::load::Loaded>> {
    if let Some(missing) = paths.iter().find(|path| !path.is_file()) {
        return Err(UsageError::new(format!(
            "`{}` does not exist or is not a file\nhint: name the lockfile: `{usage}`",
            missing.display()
        ))
        .into());
    }
    let loaded = load(paths, env)?;
    let contradictions = PinIndex::new(&loaded).contradictions();
    if !contradictions.is_empty() {
        return Err(crate::requirements::ParseErrors(contradictions).into());
    }
    Ok(loaded)
}

/// The hook's answer for one artifact (its name, where it came from, its digests) against the
/// loaded lockfile: what `verify` prints and `serve` enforces.
pub(crate) fn decide_file(
    lockfile: &Path,
    lookup: &Lookup<'_, '_>,
    artifact: &ArtifactName,
    filename: &str,
    url: &Url,
    digests: Digests,
) -> Decision {
    let mut decision = Decision {
        answer: Answer::Fail,
        message: String::new(),
        hint: None,
        warnings: Vec::new(),
        judged: None,
        about: None,
        project: artifact.project.to_string(),
        version: artifact.version_text.clone(),
        filename: filename.to_string(),
        url: Redacted(url).to_string(),
        observed: digests.sha256().clone(),
        lockfile: lockfile.display().to_string(),
        line: None,
    };
    if let Some(warning) = url_names_another_file(url, filename) {
        decision.warnings.push(warning);
    }
    decide(&mut decision, lookup, artifact, filename, url, digests);
    decision
}

/// Fills in the answer: from the judge when an entry pins the file's release, else from what
/// the lockfile says about the project.
fn decide(
    decision: &mut Decision,
    lookup: &Lookup<'_, '_>,
    artifact: &ArtifactName,
    filename: &str,
    url: &Url,
    digests: Digests,
) {
    let project = &artifact.project;
    let site = |decision: &mut Decision, pin: &crate::lockfile::Pin<'_>| {
        decision.lockfile = pin.document.path.display().to_string();
        decision.line = Some(pin.line.number);
        decision.about = Some(About {
            requirement: pin.shown(),
            location: Some(pin.location()),
        });
    };
    match lookup {
        Lookup::Absent | Lookup::Unpinned(_) => {
            decision.message = format!(
                "`{project}` is not in the lockfile `{}`, so `{filename}` cannot be checked",
                decision.lockfile
            );
            decision.hint = Some(format!(
                "if it belongs, add `{project}=={}` and run `hashpin lock`",
                artifact.version_text
            ));
        }
        Lookup::Unhashable(pin) => {
            site(decision, pin);
            decision.message = format!(
                "`{project}` is installed from a source without hashes, so `{filename}` cannot be checked"
            );
        }
        Lookup::OtherVersion(pins) => {
            site(decision, pins[0]);
            let pinned: Vec<String> = pins
                .iter()
                .map(|pin| format!("`{}` ({})", pin.shown(), pin.location()))
                .collect();
            decision.message = format!(
                "`{filename}` is version {}, but the lockfile pins {}",
                artifact.version_text,
                pinned.join(", ")
            );
        }
        Lookup::Pinned(pins) => {
            let sighting = Sighting::given(filename, url, digests);
            let policy = Policy::new(Scope::Files, Recording::Never);
            let Some((pin, verdict)) = judge_among(pins, &sighting, policy) else {
                return;
            };
            site(decision, pin);
            let about = decision.about.clone().unwrap_or(About {
                requirement: pin.shown(),
                location: None,
            });
            let Some(judged) = verdict.gravest() else {
                return;
            };
            let outcome = verdict.outcome_of(judged);
            decision.answer = Answer::from(outcome);
            let sentence = headline(judged, &about);
            if outcome == crate::judge::Outcome::Warn {
                decision
                    .warnings
                    .push(format!("{sentence} ({})", pin.location()));
                decision.message =
                    format!("`{filename}` matches a hash recorded for `{}`", pin.shown());
            } else {
                decision.message = sentence;
            }
            decision.hint = match judged.status {
                Judged::Changed => Some(format!(
                    "do not use it; re-record only if you know why the bytes changed: `hashpin lock --update {project}`"
                )),
                Judged::Unrecordable => Some("record them with `hashpin lock`".to_string()),
                Judged::NotRecorded => Some("try one of the recorded files instead".to_string()),
                _ => None,
            };
            decision.judged = Some(judged.clone());
        }
    }
}

/// The artifact's file name, which must be UTF-8 to be a wheel or sdist name at all.
fn artifact_filename(path: &Path) -> Result<String> {
    path.file_name()
        .and_then(|name| name.to_str())
        .map(str::to_string)
        .ok_or_else(|| {
            UsageError::new(format!(
                "`{}` is not a wheel or sdist filename",
                path.display()
            ))
            .into()
        })
}

/// Hashes the file in one streaming pass, in every algorithm asked for.
fn hash_file(path: &Path, algorithms: impl IntoIterator<Item = HashAlgorithm>) -> Result<Digests> {
    crate::hash::hash_file(path, algorithms)
        .with_context(|| format!("cannot read `{}`", path.display()))
}

/// A warning when the URL's last path segment is not the artifact's file name: the caller
/// saved it under another name, or the URL is not where it came from.
fn url_names_another_file(url: &Url, filename: &str) -> Option<String> {
    let segment = url
        .path_segments()
        .and_then(|mut segments| segments.next_back())
        .map(percent_decode)
        .unwrap_or_default();
    (segment != filename).then(|| {
        format!(
            "the URL names `{}`, but the artifact is `{filename}`",
            segment.escape_debug()
        )
    })
}

#[cfg(test)]
mod tests {
    use std::path::PathBuf;

    use super::*;

    #[test]
    fn the_url_may_percent_encode_the_filename() {
        let url = Url::parse("https://h/files/pkg-1.0%2Blocal-py3-none-any.whl#sha256=00").unwrap();
        assert_eq!(
            url_names_another_file(&url, "pkg-1.0+local-py3-none-any.whl"),
            None
        );
        let other = Url::parse("https://h/files/pkg-1.0.tar.gz").unwrap();
        assert!(
            url_names_another_file(&other, "pkg-1.0-py3-none-any.whl")
                .is_some_and(|warning| warning.contains("`pkg-1.0.tar.gz`"))
        );
    }

    #[test]
    fn artifact_filenames_are_the_paths_last_component() {
        assert_eq!(
            artifact_filename(&PathBuf::from("dl/pkg-1.0.tar.gz")).unwrap(),
            "pkg-1.0.tar.gz"
        );
        assert!(artifact_filename(&PathBuf::from("/")).is_err());
    }
}
