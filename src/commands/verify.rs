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

use std::fmt::Write as _;
use std::path::Path;

use anyhow::{Context as _, Result};
use serde::Serialize;
use url::Url;

use crate::artifact::{ArtifactName, same_artifact};
use crate::cli::{OutputFormat, VerifyArgs};
use crate::commands::Context;
use crate::error::{Status, UsageError};
use crate::hash::{Digests, HashAlgorithm, HashDigest, Hasher};
use crate::lockfile::{Lockable, NotLockable, PinnedVersion, classify};
use crate::name::PackageName;
use crate::report::{Printer, Style};
use crate::requirements::load::{Loaded, Role, load};
use crate::requirements::{Document, Entry, Line, ParseError, Provenance, Target};
use crate::safe_url::{Redacted, percent_decode, recordable, redact_str, redact_text};
use crate::survey::{location, plural};

/// Runs `hashpin verify`.
pub fn run(args: &VerifyArgs, context: &Context) -> Result<Status> {
    let filename = artifact_filename(&args.artifact)?;
    let artifact =
        ArtifactName::parse(&filename, None).map_err(|error| UsageError::new(error.to_string()))?;
    if !args.artifact.is_file() {
        return Err(UsageError::new(format!(
            "`{}` does not exist or is not a file",
            args.artifact.display()
        ))
        .into());
    }
    let url = Url::parse(&args.url).map_err(|error| {
        UsageError::new(format!(
            "`{}` is not a URL: {error}",
            redact_text(&args.url)
        ))
    })?;
    if !args.lockfile.is_file() {
        return Err(UsageError::new(format!(
            "`{}` does not exist or is not a file\nhint: name the lockfile: `hashpin verify --lock path/to/requirements.txt ARTIFACT URL`",
            args.lockfile.display()
        ))
        .into());
    }
    let loaded = load(std::slice::from_ref(&args.lockfile), &*context.env)?;
    let found = find_pins(&loaded, &artifact.project)?;
    let digests = hash_file(&args.artifact, &found.pins)?;

    let mut decision = decide(&artifact, &filename, &url, &digests, &found, &args.lockfile);
    if let Some(warning) = url_names_another_file(&url, &filename) {
        decision.judgment.warnings.insert(0, warning);
    }
    match args.format {
        OutputFormat::Text => report_text(&decision, &context.printer),
        OutputFormat::Json => {
            let mut json = serde_json::to_string(&decision.to_json())
                .context("a decision always serializes")?;
            json.push('\n');
            context.printer.out(&json)?;
        }
    }
    Ok(decision.judgment.outcome.status())
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

/// One lockfile entry for the artifact's project, and what it pins.
struct Pin<'a> {
    /// The file it is in.
    document: &'a Document,
    /// Its line.
    line: &'a Line,
    /// The entry.
    entry: &'a Entry,
    /// What it pins.
    kind: PinKind,
}

/// What an entry pins, as far as deciding about one file goes.
enum PinKind {
    /// Every file of one release (`name==version`).
    Release(PinnedVersion),
    /// The bytes behind one URL (`name @ url`): that file is the entry's one recorded file.
    Direct {
        /// The URL, as written (credentials are never shown).
        url: Url,
        /// Its last path segment.
        filename: String,
        /// The file's name parsed, when it is a wheel or sdist name.
        artifact: Option<Box<ArtifactName>>,
    },
}

impl<'a> Pin<'a> {
    /// Whether the entry pins the artifact's version. A direct URL whose filename is not an
    /// artifact name pins no known version, so it counts.
    fn pins_version_of(&self, artifact: &ArtifactName) -> bool {
        match &self.kind {
            PinKind::Release(version) => version.matches(artifact),
            PinKind::Direct {
                artifact: Some(pinned),
                ..
            } => match (&pinned.version, &artifact.version) {
                (Some(pinned), Some(version)) => pinned == version,
                _ => pinned
                    .version_text
                    .eq_ignore_ascii_case(&artifact.version_text),
            },
            PinKind::Direct { artifact: None, .. } => true,
        }
    }

    /// `requirements.txt:3`.
    fn location(&self) -> String {
        location(self.document, self.line)
    }

    /// Where the entry is.
    fn site(&self) -> Site<'a> {
        (self.document, self.line, self.entry)
    }

    /// The filenames the entry records: its provenance lines, and a direct URL's own file.
    fn recorded_filenames(&self) -> Vec<String> {
        let mut names: Vec<String> = self
            .entry
            .recorded_provenance()
            .into_iter()
            .map(|record| record.filename)
            .collect();
        if let PinKind::Direct { filename, .. } = &self.kind {
            names.push(filename.clone());
        }
        names.sort();
        names.dedup();
        names
    }

    /// The URLs the entry records for a file, as recorded (no credentials, no fragment).
    fn recorded_urls(&self, records: &[&Provenance]) -> Vec<String> {
        let mut urls: Vec<String> = records
            .iter()
            .map(|record| {
                Url::parse(&record.url).map_or_else(|_| record.url.clone(), |url| recordable(&url))
            })
            .collect();
        if let PinKind::Direct { url, .. } = &self.kind {
            urls.push(recordable(url));
        }
        urls
    }
}

/// The entries of the lockfile for one project.
struct Found<'a> {
    /// Entries that pin a release or a URL.
    pins: Vec<Pin<'a>>,
    /// Entries that install the project from something without hashes (VCS, a directory).
    unhashable: Vec<Site<'a>>,
}

/// Finds every entry for `project` in the documents installed from (`-r` counts, `-c` does
/// not). An entry for it that is not pinned is an input error, as it is for `hashpin lock`.
fn find_pins<'a>(loaded: &'a [Loaded], project: &PackageName) -> Result<Found<'a>> {
    let mut found = Found {
        pins: Vec::new(),
        unhashable: Vec::new(),
    };
    for item in loaded {
        if item.role != Role::Requirements {
            continue;
        }
        let document = &item.document;
        for (_, line, entry) in document.entries() {
            let named = match &entry.target {
                Target::Pep508(requirement) => Some(PackageName::new(requirement.name.as_ref())),
                Target::Unnamed(_) => None,
            };
            // pip resolves a path on a requirement line against the working directory.
            match classify(entry, Path::new(".")) {
                Ok(Lockable::Release {
                    project: pinned,
                    version,
                }) if pinned == *project => found.pins.push(Pin {
                    document,
                    line,
                    entry,
                    kind: PinKind::Release(version),
                }),
                Ok(Lockable::Url { url, filename }) => {
                    let parsed = ArtifactName::parse(&filename, named.as_ref()).ok();
                    let for_project = named.as_ref().or(parsed.as_ref().map(|a| &a.project));
                    if for_project == Some(project) {
                        found.pins.push(Pin {
                            document,
                            line,
                            entry,
                            kind: PinKind::Direct {
                                url,
                                filename,
                                artifact: parsed.filter(|a| a.project == *project).map(Box::new),
                            },
                        });
                    }
                }
                Ok(Lockable::Release { .. }) => {}
                Err(NotLockable::Unpinned(message)) if named.as_ref() == Some(project) => {
                    return Err(ParseError::new(
                        &document.path,
                        &document.source,
                        entry.requirement.span.clone(),
                        format!("{message}\nhint: pin it and run `hashpin lock` before verifying its files"),
                    )
                    .into());
                }
                Err(NotLockable::Unhashable(_)) if named.as_ref() == Some(project) => {
                    found.unhashable.push((document, line, entry));
                }
                Err(_) => {}
            }
        }
    }
    Ok(found)
}

/// Hashes the file in one streaming pass: sha256, plus every algorithm the project's entries
/// record, so that a sha512 pin is checked as a sha512.
fn hash_file(path: &Path, pins: &[Pin<'_>]) -> Result<Digests> {
    let algorithms = pins
        .iter()
        .flat_map(|pin| pin.entry.recorded_hashes())
        .map(|hash| hash.algorithm)
        .chain([HashAlgorithm::Sha256]);
    let mut file = fs_err::File::open(path)?;
    Hasher::new(algorithms)
        .hash_reader(&mut file)
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

/// The three outcomes of the hook.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "lowercase")]
enum Outcome {
    /// Use the file.
    Pass,
    /// Do not use the file.
    Fail,
    /// Do not use this file; another file of the same release may pass.
    Retry,
}

impl Outcome {
    /// The exit status: 0, 1 or 3.
    fn status(self) -> Status {
        match self {
            Self::Pass => Status::Success,
            Self::Fail => Status::Failure,
            Self::Retry => Status::Retry,
        }
    }

    /// The word that starts the report.
    fn word(self) -> &'static str {
        match self {
            Self::Pass => "pass",
            Self::Fail => "fail",
            Self::Retry => "retry",
        }
    }

    /// The word's color.
    fn style(self) -> Style {
        match self {
            Self::Pass => Style::Green,
            Self::Fail => Style::Red,
            Self::Retry => Style::Yellow,
        }
    }
}

/// A hash the lockfile expects, and the file it was recorded for, when known.
#[derive(Debug, Clone)]
struct Expected {
    /// The recorded hash.
    hash: HashDigest,
    /// The filename its provenance line names.
    recorded_for: Option<String>,
}

impl Expected {
    /// A recorded hash, without naming its file.
    fn hash(hash: &HashDigest) -> Self {
        Self {
            hash: hash.clone(),
            recorded_for: None,
        }
    }
}

/// The verdict on the file and why.
#[derive(Debug)]
struct Judgment {
    /// Pass, fail or retry.
    outcome: Outcome,
    /// The hashes the file is held against: those it matched for a pass, those recorded for its
    /// filename when it changed, every hash of its release otherwise.
    expected: Vec<Expected>,
    /// Reported on stderr (or in `warnings`), whatever the outcome.
    warnings: Vec<String>,
    /// One sentence that names the file.
    message: String,
    /// What to do about it, for people.
    hint: Option<String>,
}

impl Judgment {
    /// A failure that expects nothing in particular.
    fn fail(message: String) -> Self {
        Self {
            outcome: Outcome::Fail,
            expected: Vec::new(),
            warnings: Vec::new(),
            message,
            hint: None,
        }
    }
}

/// What the hook decided, with everything both reports show.
#[derive(Debug)]
struct Decision {
    /// The verdict.
    judgment: Judgment,
    /// The project, normalized, from the filename.
    project: String,
    /// The version, as the filename writes it.
    version: String,
    /// The artifact's filename.
    filename: String,
    /// The URL given, credentials redacted.
    url: String,
    /// The sha256 of the file's bytes.
    observed: HashDigest,
    /// The file holding the deciding entry, else the lockfile named on the command line.
    lockfile: String,
    /// The deciding entry's line.
    line: Option<usize>,
    /// The deciding entry as written, credentials redacted.
    requirement: Option<String>,
}

/// The `--format json` document (schema in README).
#[derive(Serialize)]
struct JsonDecision<'a> {
    outcome: Outcome,
    project: &'a str,
    version: &'a str,
    filename: &'a str,
    url: &'a str,
    expected: Vec<String>,
    observed: String,
    lockfile: &'a str,
    line: Option<usize>,
    warnings: &'a [String],
    message: &'a str,
}

impl Decision {
    /// The JSON report's view of the decision.
    fn to_json(&self) -> JsonDecision<'_> {
        JsonDecision {
            outcome: self.judgment.outcome,
            project: &self.project,
            version: &self.version,
            filename: &self.filename,
            url: &self.url,
            expected: self
                .judgment
                .expected
                .iter()
                .map(|expected| expected.hash.to_string())
                .collect(),
            observed: self.observed.to_string(),
            lockfile: &self.lockfile,
            line: self.line,
            warnings: &self.judgment.warnings,
            message: &self.judgment.message,
        }
    }
}

/// Decides from every entry for the project, and says which entry decided.
fn decide(
    artifact: &ArtifactName,
    filename: &str,
    url: &Url,
    digests: &Digests,
    found: &Found<'_>,
    lockfile: &Path,
) -> Decision {
    let (judgment, site) = judge_project(artifact, filename, url, digests, found);
    Decision {
        judgment,
        project: artifact.project.to_string(),
        version: artifact.version_text.clone(),
        filename: filename.to_string(),
        url: Redacted(url).to_string(),
        observed: digests.sha256().clone(),
        lockfile: site.map_or_else(
            || lockfile.display().to_string(),
            |(document, _, _)| document.path.display().to_string(),
        ),
        line: site.map(|(_, line, _)| line.number),
        requirement: site.map(|(_, _, entry)| entry.shown()),
    }
}

/// Where an entry is.
type Site<'a> = (&'a Document, &'a Line, &'a Entry);

/// The judgment of the project's entries, and the entry it comes from.
fn judge_project<'a>(
    artifact: &ArtifactName,
    filename: &str,
    url: &Url,
    digests: &Digests,
    found: &Found<'a>,
) -> (Judgment, Option<Site<'a>>) {
    let project = &artifact.project;
    if found.pins.is_empty() {
        if let Some(&site) = found.unhashable.first() {
            return (
                Judgment::fail(format!(
                    "`{project}` is installed from a source without hashes, so `{filename}` cannot be checked"
                )),
                Some(site),
            );
        }
        let mut judgment = Judgment::fail(format!(
            "`{project}` is not in the lockfile, so `{filename}` cannot be checked"
        ));
        judgment.hint = Some(format!(
            "if it belongs, add `{project}=={}` and run `hashpin lock`",
            artifact.version_text
        ));
        return (judgment, None);
    }

    let same_version: Vec<&Pin<'a>> = found
        .pins
        .iter()
        .filter(|pin| pin.pins_version_of(artifact))
        .collect();
    if same_version.is_empty() {
        let pinned: Vec<String> = found
            .pins
            .iter()
            .map(|pin| format!("`{}` ({})", pin.entry.shown(), pin.location()))
            .collect();
        let judgment = Judgment::fail(format!(
            "`{filename}` is version {}, but the lockfile pins {}",
            artifact.version_text,
            pinned.join(", ")
        ));
        return (judgment, Some(found.pins[0].site()));
    }

    // Several entries can pin one release under different markers: any that passes the file
    // passes it; otherwise a changed file (fail) outranks an unrecorded one (retry).
    same_version
        .into_iter()
        .map(|pin| {
            (
                judge(pin, project, filename, url, digests),
                Some(pin.site()),
            )
        })
        .min_by_key(|(judgment, _)| judgment.outcome)
        .unwrap_or_else(|| (Judgment::fail(String::new()), None))
}

/// Judges the file against one entry that pins its version.
fn judge(
    pin: &Pin<'_>,
    project: &PackageName,
    filename: &str,
    url: &Url,
    digests: &Digests,
) -> Judgment {
    let requirement = pin.entry.shown();
    let recorded = pin.entry.recorded_hashes();
    let records = pin.entry.recorded_provenance();
    if recorded.is_empty() {
        let mut judgment = Judgment::fail(format!(
            "`{requirement}` records no hashes, so `{filename}` cannot be checked"
        ));
        judgment.hint = Some("record them with `hashpin lock`".to_string());
        return judgment;
    }

    // pip's rule: the bytes may have any hash recorded for the requirement.
    let matched: Vec<&HashDigest> = recorded
        .iter()
        .filter(|hash| digests.get(hash.algorithm) == Some(*hash))
        .collect();
    if !matched.is_empty() {
        return Judgment {
            outcome: Outcome::Pass,
            expected: matched.iter().copied().map(Expected::hash).collect(),
            warnings: pass_warnings(pin, &records, &matched, filename, url),
            message: format!("`{filename}` matches a hash recorded for `{requirement}`"),
            hint: None,
        };
    }

    let filenames = pin.recorded_filenames();
    if filenames.iter().any(|name| same_artifact(name, filename)) {
        // The file is on record and its bytes are not: republished or tampered.
        let mut expected: Vec<Expected> = records
            .iter()
            .filter(|record| same_artifact(&record.filename, filename))
            .map(|record| Expected::hash(&record.hash))
            .collect();
        if expected.is_empty() {
            // A direct URL pinned with hashes and no provenance: every hash is this file's.
            expected = recorded.iter().map(Expected::hash).collect();
        }
        let mut judgment = Judgment::fail(format!("`{filename}` changed since it was locked"));
        judgment.expected = expected;
        judgment.hint = Some(format!(
            "do not use it; re-record only if you know why the bytes changed: `hashpin lock --update {project}`"
        ));
        return judgment;
    }

    let expected = recorded
        .iter()
        .map(|hash| Expected {
            hash: hash.clone(),
            recorded_for: records
                .iter()
                .find(|record| record.hash == *hash)
                .map(|record| record.filename.clone()),
        })
        .collect();
    if filenames.is_empty() {
        // Hashes from pip-compile or uv name no file, so a new file cannot be told from a
        // changed one; none matches, and pip would refuse the file too.
        let mut judgment = Judgment::fail(format!(
            "`{filename}` matches none of the {} {} recorded for `{requirement}`",
            recorded.len(),
            plural(recorded.len(), "hash", "hashes")
        ));
        judgment.expected = expected;
        return judgment;
    }
    Judgment {
        outcome: Outcome::Retry,
        expected,
        warnings: Vec::new(),
        message: format!(
            "`{filename}` is not recorded for `{requirement}`, but {} other {} of it {}",
            filenames.len(),
            plural(filenames.len(), "file", "files"),
            plural(filenames.len(), "is", "are"),
        ),
        hint: Some("try one of the recorded files instead".to_string()),
    }
}

/// Warnings for a pass: the bytes were recorded under another filename, or this file was
/// recorded from another URL (credentials and fragments do not count).
fn pass_warnings(
    pin: &Pin<'_>,
    records: &[Provenance],
    matched: &[&HashDigest],
    filename: &str,
    url: &Url,
) -> Vec<String> {
    let same_bytes: Vec<&Provenance> = records
        .iter()
        .filter(|record| matched.contains(&&record.hash))
        .collect();
    let as_this_file: Vec<&Provenance> = same_bytes
        .iter()
        .copied()
        .filter(|record| same_artifact(&record.filename, filename))
        .collect();
    if !same_bytes.is_empty() && as_this_file.is_empty() {
        let names: Vec<String> = same_bytes
            .iter()
            .map(|record| format!("`{}`", record.filename))
            .collect();
        return vec![format!(
            "`{filename}` has the bytes the lockfile records for {} ({})",
            names.join(", "),
            pin.location()
        )];
    }
    let direct_is_this_file = matches!(&pin.kind, PinKind::Direct { filename: name, .. } if same_artifact(name, filename));
    if as_this_file.is_empty() && !direct_is_this_file {
        // Hashes without provenance name no file and no URL to compare with.
        return Vec::new();
    }
    let given = recordable(url);
    let urls = pin.recorded_urls(&as_this_file);
    if urls.contains(&given) {
        return Vec::new();
    }
    vec![format!(
        "`{filename}` was recorded from `{}`, not from `{given}` ({})",
        redact_str(&urls[0]),
        pin.location()
    )]
}

/// The report for people, on stderr: warnings, the outcome line, then for fail and retry the
/// expected hashes against the observed one and where the lockfile says so.
fn report_text(decision: &Decision, printer: &Printer) {
    let judgment = &decision.judgment;
    for warning in &judgment.warnings {
        printer.warning(warning);
    }
    let word = printer.err_style(
        Style::Bold,
        &printer.err_style(judgment.outcome.style(), judgment.outcome.word()),
    );
    let headline = format!("{word}: {}", judgment.message);
    if judgment.outcome == Outcome::Pass {
        printer.info(&headline);
        return;
    }
    // Labels are padded to one width so the values line up, as in a diff.
    let mut text = headline;
    let _ = write!(text, "\n  url:      {}", decision.url);
    for (index, expected) in judgment.expected.iter().enumerate() {
        let label = if index == 0 { "expected:" } else { "" };
        let hash = printer.err_style(Style::Red, &expected.hash.to_string());
        let _ = write!(text, "\n  {label:9} {hash}");
        if let Some(name) = expected
            .recorded_for
            .as_ref()
            .filter(|name| **name != decision.filename)
        {
            let _ = write!(text, "  {name}");
        }
    }
    let _ = write!(
        text,
        "\n  observed: {}",
        printer.err_style(Style::Green, &decision.observed.to_string())
    );
    let _ = write!(text, "\n  lockfile: {}", decision.lockfile);
    if let Some(line) = decision.line {
        let _ = write!(text, ":{line}");
    }
    if let Some(requirement) = &decision.requirement {
        let _ = write!(text, " ({requirement})");
    }
    printer.err(&text);
    if let Some(hint) = &judgment.hint {
        printer.err(&format!(
            "{} {hint}",
            printer.err_style(Style::Cyan, "hint:")
        ));
    }
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
