//! What a lockfile pins and records.
//!
//! A requirement is lockable when it names one release (`==V` or `===V`) or one URL
//! ([`classify`]). Each requirement entry of the loaded files is viewed once, as a [`Pin`]: where
//! it is, what it pins, and its [`Record`] (the `--hash` options, peep comments and hashpin's
//! provenance lines). [`PinIndex`] holds them all, with a lookup by project and version.
//! Judging observed bytes against a record is `judge`'s work, not this module's.

use std::collections::HashMap;
use std::path::Path;

use pep440_rs::Operator;
use pep508_rs::VersionOrUrl;
use url::Url;

use crate::artifact::{ArtifactName, check_filename};
use crate::hash::{HashAlgorithm, HashDigest};
use crate::name::PackageName;
use crate::requirements::load::{Loaded, Role};
use crate::requirements::{Document, Entry, Line, ParseError, Provenance, Target};
use crate::safe_url::recordable;

/// Which version a release pin accepts.
#[derive(Debug, Clone)]
pub(crate) enum PinnedVersion {
    /// `==V`: PEP 440 equality (`1.0` matches `1.0.0`).
    Equal(pep440_rs::VersionSpecifier),
    /// `===V`: the same string.
    Arbitrary(String),
}

/// Whether two entries' markers can never both hold, so that pip never sees both.
fn markers_exclude(a: &Entry, b: &Entry) -> bool {
    match (&a.target, &b.target) {
        (Target::Pep508(a), Target::Pep508(b)) => a.marker.is_disjoint(&b.marker),
        _ => false,
    }
}

impl PinnedVersion {
    /// Whether two pins accept the same version (`1.0` is `1.0.0`).
    fn same_as(&self, other: &Self) -> bool {
        match (self, other) {
            (Self::Equal(a), Self::Equal(b)) => a.version() == b.version(),
            (Self::Arbitrary(a), Self::Arbitrary(b)) => a.eq_ignore_ascii_case(b),
            (Self::Equal(a), Self::Arbitrary(b)) | (Self::Arbitrary(b), Self::Equal(a)) => {
                a.version().to_string().eq_ignore_ascii_case(b)
            }
        }
    }

    /// The pinned version as text (`==` pins normalized, `===` pins as written).
    pub(crate) fn text(&self) -> String {
        match self {
            Self::Equal(specifier) => specifier.version().to_string(),
            Self::Arbitrary(text) => text.clone(),
        }
    }

    /// Whether a version, as text, is the pinned one.
    pub(crate) fn matches_text(&self, version: &str) -> bool {
        match self {
            Self::Equal(specifier) => version
                .parse()
                .is_ok_and(|version| specifier.contains(&version)),
            Self::Arbitrary(text) => version.eq_ignore_ascii_case(text),
        }
    }

    /// Whether a file's version is the pinned one.
    pub(crate) fn matches(&self, artifact: &ArtifactName) -> bool {
        match self {
            Self::Equal(specifier) => artifact
                .version
                .as_ref()
                .is_some_and(|version| specifier.contains(version)),
            Self::Arbitrary(text) => artifact.version_text.eq_ignore_ascii_case(text),
        }
    }
}

/// What lock can pin for an entry.
#[derive(Debug, Clone)]
pub(crate) enum Lockable {
    /// Every file of one release.
    Release {
        /// The project.
        project: PackageName,
        /// The pinned version.
        version: PinnedVersion,
    },
    /// The bytes behind one URL (`name @ url`, a bare URL or an archive path).
    Url {
        /// Where the bytes are (a `file:` URL for local paths), fragment included.
        url: Url,
        /// The artifact filename: the URL's last path segment.
        filename: String,
    },
}

/// Why an entry cannot be locked.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum NotLockable {
    /// Not pinned to one version: an input error.
    Unpinned(String),
    /// A kind of requirement whose bytes cannot be pinned (VCS, directories): a warning.
    Unhashable(String),
}

/// Decides what lock can pin for an entry of a file in `directory`.
pub(crate) fn classify(entry: &Entry, directory: &Path) -> Result<Lockable, NotLockable> {
    match &entry.target {
        Target::Pep508(requirement) => match &requirement.version_or_url {
            Some(VersionOrUrl::Url(url)) => classify_url(&url.to_url(), directory),
            Some(VersionOrUrl::VersionSpecifier(specifiers)) => {
                // `name == 1.0, == 1.0` is one pin to pip: the same specifier twice counts once.
                let first = specifiers.iter().next();
                let only = first.filter(|first| specifiers.iter().all(|other| other == *first));
                match only.map(|specifier| (specifier.operator(), specifier)) {
                    Some((Operator::Equal, specifier)) => Ok(Lockable::Release {
                        project: PackageName::new(requirement.name.as_ref()),
                        version: PinnedVersion::Equal(specifier.clone()),
                    }),
                    Some((Operator::ExactEqual, specifier)) => Ok(Lockable::Release {
                        project: PackageName::new(requirement.name.as_ref()),
                        // `===` compares strings, which need not be versions: the string as
                        // written, not the stand-in pep508_rs was given.
                        version: PinnedVersion::Arbitrary(
                            crate::requirements::arbitrary_equality(&entry.requirement.value)
                                .map_or_else(
                                    || specifier.version().to_string(),
                                    |(_, value)| value,
                                ),
                        ),
                    }),
                    _ => Err(NotLockable::Unpinned(format!(
                        "`{}` is not pinned to one version (expected `{}==<version>`)",
                        entry.shown(),
                        requirement.name
                    ))),
                }
            }
            None => Err(NotLockable::Unpinned(format!(
                "`{}` has no version (expected `{}==<version>`)",
                entry.shown(),
                requirement.name
            ))),
        },
        // A URL pep508_rs cannot read: a VCS checkout (the usual case), or one hashpin
        // cannot download if the `url` crate cannot read it either.
        Target::NamedUrl { url, .. } => {
            let scheme = url.split_once("://").map_or("", |(scheme, _)| scheme);
            if scheme.contains('+') {
                return Err(NotLockable::Unhashable(format!(
                    "`{}` is a VCS checkout; pip cannot check hashes of one",
                    crate::safe_url::redact_text(url)
                )));
            }
            match Url::parse(url) {
                Ok(url) => classify_url(&url, directory),
                Err(_) => Err(NotLockable::Unhashable(format!(
                    "`{}` is not a URL hashpin can download",
                    crate::safe_url::redact_text(url)
                ))),
            }
        }
        Target::Unnamed { location, .. } => {
            let head = location.as_str();
            match Url::parse(head) {
                Ok(url) if url.scheme().len() > 1 => classify_url(&url, directory),
                _ => {
                    let path = directory.join(head);
                    let path = std::path::absolute(&path).unwrap_or(path);
                    match Url::from_file_path(&path) {
                        Ok(url) => classify_url(&url, directory),
                        Err(()) => Err(NotLockable::Unhashable(format!(
                            "`{head}` is not a usable path"
                        ))),
                    }
                }
            }
        }
    }
}

fn classify_url(url: &Url, directory: &Path) -> Result<Lockable, NotLockable> {
    let scheme = url.scheme();
    if scheme.contains('+') {
        return Err(NotLockable::Unhashable(format!(
            "`{}` is a VCS checkout; pip cannot check hashes of one",
            crate::safe_url::Redacted(url)
        )));
    }
    let url = if scheme == "file" {
        let path = url.to_file_path().unwrap_or_default();
        let path = if path.is_relative() {
            directory.join(path)
        } else {
            path
        };
        if path.is_dir() {
            return Err(NotLockable::Unhashable(format!(
                "`{}` is a directory; pip cannot check hashes of one",
                path.display()
            )));
        }
        Url::from_file_path(&path).unwrap_or_else(|()| url.clone())
    } else {
        url.clone()
    };
    let filename = url
        .path_segments()
        .and_then(|mut segments| segments.next_back())
        .unwrap_or_default()
        .to_string();
    check_filename(&filename).map_err(|error| NotLockable::Unhashable(error.to_string()))?;
    Ok(Lockable::Url { url, filename })
}

/// What an entry records: the hashes pip will check, and the files hashpin knows they belong to.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub(crate) struct Record {
    /// Every recorded hash (`--hash` options and peep comments), sorted, without duplicates.
    pub(crate) hashes: Vec<HashDigest>,
    /// The provenance lines: which file each hash was recorded for, and from where.
    pub(crate) files: Vec<Provenance>,
    /// A direct-URL pin's own file (its filename and recorded URL): the one file the entry
    /// stands for, whether or not a provenance line names it.
    pub(crate) direct: Option<(String, String)>,
    /// Filenames of provenance lines that name no file of the pinned release (another project
    /// or version, or no artifact name at all): an edited lockfile.
    pub(crate) foreign: Vec<String>,
}

impl Record {
    /// What `entry` records; `lockable` says whether it pins one URL.
    pub(crate) fn of(entry: &Entry, lockable: Option<&Lockable>) -> Self {
        let files = entry.recorded_provenance();
        let foreign = match lockable {
            Some(Lockable::Release { project, version }) => files
                .iter()
                .filter(|file| {
                    !ArtifactName::parse(&file.filename, Some(project)).is_ok_and(|artifact| {
                        artifact.project == *project && version.matches(&artifact)
                    })
                })
                .map(|file| file.filename.clone())
                .collect(),
            _ => Vec::new(),
        };
        Self {
            hashes: entry.recorded_hashes(),
            files,
            direct: match lockable {
                Some(Lockable::Url { url, filename }) => Some((filename.clone(), recordable(url))),
                _ => None,
            },
            foreign,
        }
    }

    /// Every algorithm the record uses, in `--hash` options or provenance lines.
    pub(crate) fn algorithms(&self) -> impl Iterator<Item = crate::hash::HashAlgorithm> + '_ {
        self.hashes
            .iter()
            .chain(self.files.iter().map(|file| &file.hash))
            .map(|hash| hash.algorithm)
    }

    /// Recorded hashes that no provenance line names: written by pip-compile, uv, peep or a
    /// person, they say which bytes are allowed but not for which file.
    pub(crate) fn bare_hashes(&self) -> impl Iterator<Item = &HashDigest> {
        self.hashes
            .iter()
            .filter(|hash| self.files.iter().all(|file| file.hash != **hash))
    }
}

/// One requirement entry of the loaded lockfiles, viewed once: where it is, what it pins and
/// what it records. Every command walks these instead of re-reading documents and lines.
#[derive(Debug)]
pub(crate) struct Pin<'a> {
    /// Which loaded document it is in.
    pub(crate) document_index: usize,
    /// That document.
    pub(crate) document: &'a Document,
    /// Its logical line.
    pub(crate) line: &'a Line,
    /// The entry.
    pub(crate) entry: &'a Entry,
    /// What lock can pin for it, or why it cannot.
    pub(crate) pinned: Result<Lockable, NotLockable>,
    /// The project it installs: its name, or for a bare URL the project its filename names.
    pub(crate) project: Option<PackageName>,
    /// What it records.
    pub(crate) record: Record,
}

impl Pin<'_> {
    /// What it pins, when it is lockable.
    pub(crate) fn lockable(&self) -> Option<&Lockable> {
        self.pinned.as_ref().ok()
    }

    /// `requirements.txt:3`, for messages.
    pub(crate) fn location(&self) -> String {
        format!("{}:{}", self.document.path.display(), self.line.number)
    }

    /// The requirement as it may be shown (credentials redacted).
    pub(crate) fn shown(&self) -> String {
        self.entry.shown()
    }

    /// Whether the entry pins this version of its project. A direct URL pins the version its
    /// filename names; one whose filename names none pins whatever it is.
    pub(crate) fn pins_version(&self, version: &str) -> bool {
        match self.lockable() {
            Some(Lockable::Release {
                version: pinned, ..
            }) => pinned.matches_text(version),
            Some(Lockable::Url { filename, .. }) => match ArtifactName::parse(filename, None) {
                Ok(artifact) => match (&artifact.version, version.parse::<pep440_rs::Version>()) {
                    (Some(pinned), Ok(version)) => *pinned == version,
                    _ => artifact.version_text.eq_ignore_ascii_case(version),
                },
                Err(_) => true,
            },
            None => false,
        }
    }
}

/// Every requirement entry of the loaded lockfiles (constraints files excluded), built once,
/// with an index by project.
#[derive(Debug)]
pub(crate) struct PinIndex<'a> {
    /// The entries, in file order.
    pins: Vec<Pin<'a>>,
    /// Positions in `pins`, by project.
    by_project: HashMap<PackageName, Vec<usize>>,
}

/// What the lockfile says about one version of one project.
#[derive(Debug)]
pub(crate) enum Lookup<'p, 'a> {
    /// Entries that pin that version and can record hashes (several under different markers).
    Pinned(Vec<&'p Pin<'a>>),
    /// The project is pinned, but to other versions.
    OtherVersion(Vec<&'p Pin<'a>>),
    /// The project is installed from something whose bytes cannot be pinned (VCS, a directory).
    Unhashable(&'p Pin<'a>),
    /// The project is listed without one version.
    Unpinned(&'p Pin<'a>),
    /// The project is not in the lockfile.
    Absent,
}

impl Lookup<'_, '_> {
    /// Whether this answer comes from an entry that locks the project (see [`PinIndex::locks`]).
    pub(crate) fn locks_project(&self) -> bool {
        !matches!(self, Self::Unpinned(_) | Self::Absent)
    }
}

impl<'a> PinIndex<'a> {
    /// Views every requirement entry of the documents installed from (`-r` and the files named;
    /// `-c` files constrain and are never locked). A path on a requirement line is resolved
    /// against the working directory, as pip resolves it (unlike an include's path).
    pub(crate) fn new(loaded: &'a [Loaded]) -> Self {
        let mut pins = Vec::new();
        let mut by_project: HashMap<PackageName, Vec<usize>> = HashMap::new();
        for (document_index, item) in loaded.iter().enumerate() {
            if item.role != Role::Requirements {
                continue;
            }
            let document = &item.document;
            for (_, line, entry) in document.entries() {
                let pinned = classify(entry, Path::new("."));
                let project = match (&entry.target, &pinned) {
                    (_, Ok(Lockable::Release { project, .. })) => Some(project.clone()),
                    (Target::NamedUrl { name, .. }, _) => Some(PackageName::new(name)),
                    (Target::Pep508(requirement), _) => {
                        Some(PackageName::new(requirement.name.as_ref()))
                    }
                    (Target::Unnamed { .. }, Ok(Lockable::Url { filename, .. })) => {
                        ArtifactName::parse(filename, None)
                            .ok()
                            .map(|artifact| artifact.project)
                    }
                    (Target::Unnamed { .. }, Err(_)) => None,
                };
                let record = Record::of(entry, pinned.as_ref().ok());
                if let Some(project) = &project {
                    by_project
                        .entry(project.clone())
                        .or_default()
                        .push(pins.len());
                }
                pins.push(Pin {
                    document_index,
                    document,
                    line,
                    entry,
                    pinned,
                    project,
                    record,
                });
            }
        }
        Self { pins, by_project }
    }

    /// Every entry, in file order.
    pub(crate) fn iter(&self) -> impl Iterator<Item = &Pin<'a>> {
        self.pins.iter()
    }

    /// The entries for one project.
    pub(crate) fn for_project(&self, project: &PackageName) -> impl Iterator<Item = &Pin<'a>> {
        self.by_project
            .get(project)
            .into_iter()
            .flatten()
            .map(|&index| &self.pins[index])
    }

    /// Pins pip would refuse together: two entries for one project that pin different versions
    /// under markers that can both hold (pip: "Cannot install a==1 and a==2"). Each is an input
    /// error at the later entry, naming the earlier one. The same version twice is allowed, as
    /// pip allows it, and so are versions split by markers that exclude each other.
    pub(crate) fn contradictions(&self) -> Vec<ParseError> {
        let mut errors = Vec::new();
        let mut projects: Vec<&PackageName> = self.by_project.keys().collect();
        projects.sort();
        for project in projects {
            // A direct URL pins the version its filename names (found in review: `a==1` beside
            // `a @ …/a-2-….whl` passed).
            let releases: Vec<(&Pin<'a>, PinnedVersion)> = self
                .for_project(project)
                .filter_map(|pin| match pin.lockable() {
                    Some(Lockable::Release { version, .. }) => Some((pin, version.clone())),
                    Some(Lockable::Url { filename, .. }) => {
                        let artifact = ArtifactName::parse(filename, Some(project)).ok()?;
                        let version = match artifact.version {
                            Some(version) => PinnedVersion::Equal(
                                pep440_rs::VersionSpecifier::equals_version(version),
                            ),
                            None => PinnedVersion::Arbitrary(artifact.version_text),
                        };
                        Some((pin, version))
                    }
                    None => None,
                })
                .collect();
            for (later, (pin, version)) in releases.iter().enumerate() {
                let Some((earlier, _)) = releases[..later].iter().find(|(other, other_version)| {
                    !other_version.same_as(version) && !markers_exclude(other.entry, pin.entry)
                }) else {
                    continue;
                };
                errors.push(ParseError::new(
                    &pin.document.path,
                    &pin.document.source,
                    pin.entry.requirement.span.clone(),
                    format!(
                        "`{}` contradicts `{}` ({}): pip refuses to install both\nhint: keep one version, or give each a marker that excludes the other",
                        pin.shown(),
                        earlier.shown(),
                        earlier.location()
                    ),
                ));
            }
        }
        errors
    }

    /// Every algorithm the entries for `project` record in, and sha256 (what a download of one
    /// of its files must be hashed in), sorted, each once.
    pub(crate) fn algorithms_for(&self, project: &PackageName) -> Vec<HashAlgorithm> {
        let mut algorithms: Vec<HashAlgorithm> = self
            .for_project(project)
            .flat_map(|pin| pin.record.algorithms())
            .chain([HashAlgorithm::Sha256])
            .collect();
        algorithms.sort();
        algorithms.dedup();
        algorithms
    }

    /// Whether the lockfile decides about `project` whatever the version: an entry pins a
    /// version of it, or installs it from bytes that cannot be pinned. Not when it is absent,
    /// or listed without a version.
    pub(crate) fn locks(&self, project: &PackageName) -> bool {
        self.lookup(project, "").locks_project()
    }

    /// What the lockfile says about `version` of `project`.
    pub(crate) fn lookup(&self, project: &PackageName, version: &str) -> Lookup<'_, 'a> {
        let entries: Vec<&Pin<'a>> = self.for_project(project).collect();
        let lockable: Vec<&Pin<'a>> = entries
            .iter()
            .copied()
            .filter(|pin| pin.lockable().is_some())
            .collect();
        let same_version: Vec<&Pin<'a>> = lockable
            .iter()
            .copied()
            .filter(|pin| pin.pins_version(version))
            .collect();
        if !same_version.is_empty() {
            return Lookup::Pinned(same_version);
        }
        if !lockable.is_empty() {
            return Lookup::OtherVersion(lockable);
        }
        if let Some(pin) = entries
            .iter()
            .find(|pin| matches!(pin.pinned, Err(NotLockable::Unpinned(_))))
        {
            return Lookup::Unpinned(pin);
        }
        entries
            .first()
            .map_or(Lookup::Absent, |pin| Lookup::Unhashable(pin))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::requirements::parse;

    fn entry_for(text: &str) -> Entry {
        let document = parse(Path::new("r.txt"), text.to_string(), &|_| None).unwrap();
        document.entries().next().unwrap().2.clone()
    }

    fn loaded(text: &str) -> Vec<Loaded> {
        vec![Loaded {
            document: parse(Path::new("r.txt"), text.to_string(), &|_| None).unwrap(),
            role: Role::Requirements,
            includes: Vec::new(),
            root: Some(0),
        }]
    }

    #[test]
    fn lookups_find_the_entry_for_a_version() {
        let loaded = loaded(
            "a==1.0 ; python_version < '3'\na==2.0 ; python_version >= '3'\nb>=1\nc @ git+https://h/c.git\nd-1.0-py3-none-any.whl\n",
        );
        let pins = PinIndex::new(&loaded);
        let a = PackageName::new("A");
        assert!(
            matches!(pins.lookup(&a, "2.0"), Lookup::Pinned(found) if found.len() == 1 && found[0].line.number == 2)
        );
        assert!(matches!(pins.lookup(&a, "3.0"), Lookup::OtherVersion(found) if found.len() == 2));
        assert!(matches!(
            pins.lookup(&PackageName::new("b"), "1.0"),
            Lookup::Unpinned(_)
        ));
        assert!(matches!(
            pins.lookup(&PackageName::new("c"), "1.0"),
            Lookup::Unhashable(_)
        ));
        // A bare archive path names its project in its filename.
        assert!(matches!(
            pins.lookup(&PackageName::new("d"), "1.0.0"),
            Lookup::Pinned(_)
        ));
        assert!(matches!(
            pins.lookup(&PackageName::new("e"), "1.0"),
            Lookup::Absent
        ));
    }

    #[test]
    fn bare_hashes_are_those_no_provenance_line_names() {
        let sha = |c: char| format!("sha256:{}", c.to_string().repeat(64));
        let text = format!(
            "a==1.0 --hash={} --hash={}\n    # hashpin: a-1.0.tar.gz {} https://h/a-1.0.tar.gz\n",
            sha('a'),
            sha('b'),
            sha('a')
        );
        let record = Record::of(&entry_for(&text), None);
        let bare: Vec<String> = record.bare_hashes().map(ToString::to_string).collect();
        assert_eq!(bare, [sha('b')]);
        // A provenance line for a file of another release is foreign to the pin.
        let text = format!(
            "a==1.0 --hash={0}\n    # hashpin: a-1.1-py3-none-any.whl {0} https://h/a-1.1-py3-none-any.whl\n    # hashpin: A-1.0.0.tar.gz {0} https://h/A-1.0.0.tar.gz\n",
            sha('a')
        );
        let entry = entry_for(&text);
        let record = Record::of(&entry, classify(&entry, Path::new(".")).ok().as_ref());
        assert_eq!(record.foreign, ["a-1.1-py3-none-any.whl"]);
    }

    #[test]
    fn classifies_pins() {
        let directory = Path::new(".");
        assert!(matches!(
            classify(&entry_for("a==1.0\n"), directory),
            Ok(Lockable::Release { .. })
        ));
        assert!(matches!(
            classify(&entry_for("a===1.0\n"), directory),
            Ok(Lockable::Release { .. })
        ));
        assert!(matches!(
            classify(&entry_for("a>=1.0\n"), directory),
            Err(NotLockable::Unpinned(_))
        ));
        assert!(matches!(
            classify(&entry_for("a==1.*\n"), directory),
            Err(NotLockable::Unpinned(_))
        ));
        assert!(matches!(
            classify(&entry_for("a\n"), directory),
            Err(NotLockable::Unpinned(_))
        ));
        assert!(matches!(
            classify(&entry_for("a @ https://h/a-1.0.tar.gz\n"), directory),
            Ok(Lockable::Url { filename, .. }) if filename == "a-1.0.tar.gz"
        ));
        assert!(matches!(
            classify(&entry_for("git+https://h/r.git\n"), directory),
            Err(NotLockable::Unhashable(_))
        ));
    }

    #[test]
    fn contradictory_pins_are_found_unless_markers_exclude_each_other() {
        // See: https://github.com/hashpin/hashpin/issues/8
        let found = |text: &str| {
            let loaded = loaded(text);
            PinIndex::new(&loaded)
                .contradictions()
                .iter()
                .map(|error| error.to_string())
                .collect::<Vec<_>>()
        };
        let errors = found("six==1.16.0\nsix==1.15.0\n");
        assert_eq!(errors.len(), 1);
        assert!(
            errors[0].contains("`six==1.15.0` contradicts `six==1.16.0` (r.txt:1)"),
            "{errors:?}"
        );
        assert!(found("six==1.16.0\nSix==1.16\n").is_empty());
        assert!(found("a==1 ; python_version < '3'\na==2 ; python_version >= '3'\n").is_empty());
        assert_eq!(
            found("a==1 ; python_version >= '3'\na==2 ; python_version >= '3.8'\n").len(),
            1
        );
        assert_eq!(found("a==1\na[x]==2\n").len(), 1);
        assert_eq!(
            found("a==1\na @ https://h/a-2.0-py3-none-any.whl\n").len(),
            1
        );
        assert!(found("a==2\na @ https://h/a-2.0-py3-none-any.whl\n").is_empty());
    }
}
