//! What a lockfile records and how observed bytes are judged against it.
//!
//! A requirement is lockable when it names one release (`==V` or `===V`) or one URL. For each,
//! lock observes the files the index serves now and [`judge`]s them against what the entry
//! records: its `--hash` options (and peep comments) and hashpin's provenance lines.
//!
//! Trust on first use: an entry with no hashes records every file it sees. After that, a hash
//! is never replaced without `--update`: a recorded file whose bytes changed is a failure, a new
//! file is reported and left out, a vanished file is reported and kept.

use std::path::Path;

use pep440_rs::Operator;
use pep508_rs::VersionOrUrl;
use url::Url;

use crate::artifact::{ArtifactName, check_filename, same_artifact};
use crate::hash::{Digests, HashAlgorithm, HashDigest};
use crate::name::PackageName;
use crate::requirements::edit::Pins;
use crate::requirements::{Entry, Provenance, Target};
use crate::safe_url::recordable;

/// Which version a release pin accepts.
#[derive(Debug, Clone)]
pub enum PinnedVersion {
    /// `==V`: PEP 440 equality (`1.0` matches `1.0.0`).
    Equal(pep440_rs::VersionSpecifier),
    /// `===V`: the same string.
    Arbitrary(String),
}

impl PinnedVersion {
    /// Whether a version, as text, is the pinned one.
    pub fn matches_text(&self, version: &str) -> bool {
        match self {
            Self::Equal(specifier) => version
                .parse()
                .is_ok_and(|version| specifier.contains(&version)),
            Self::Arbitrary(text) => version.eq_ignore_ascii_case(text),
        }
    }

    /// Whether a file's version is the pinned one.
    pub fn matches(&self, artifact: &ArtifactName) -> bool {
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
pub enum Lockable {
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
pub enum NotLockable {
    /// Not pinned to one version: an input error.
    Unpinned(String),
    /// A kind of requirement whose bytes cannot be pinned (VCS, directories): a warning.
    Unhashable(String),
}

/// Decides what lock can pin for an entry of a file in `directory`.
pub fn classify(entry: &Entry, directory: &Path) -> Result<Lockable, NotLockable> {
    match &entry.target {
        Target::Pep508(requirement) => match &requirement.version_or_url {
            Some(VersionOrUrl::Url(url)) => classify_url(&url.to_url(), directory),
            Some(VersionOrUrl::VersionSpecifier(specifiers)) => {
                let only = specifiers.iter().next().filter(|_| specifiers.len() == 1);
                match only.map(|specifier| (specifier.operator(), specifier)) {
                    Some((Operator::Equal, specifier)) => Ok(Lockable::Release {
                        project: PackageName::new(requirement.name.as_ref()),
                        version: PinnedVersion::Equal(specifier.clone()),
                    }),
                    Some((Operator::ExactEqual, specifier)) => Ok(Lockable::Release {
                        project: PackageName::new(requirement.name.as_ref()),
                        version: PinnedVersion::Arbitrary(specifier.version().to_string()),
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
        Target::Unnamed(text) => {
            let head = text.split("; ").next().unwrap_or(text).trim();
            match Url::parse(head) {
                Ok(url) if url.scheme().len() > 1 => classify_url(&url, directory),
                _ => {
                    let path = directory.join(head.split('[').next().unwrap_or(head));
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

/// One file of a release as listed now.
#[derive(Debug, Clone)]
pub struct Candidate {
    /// Its filename.
    pub filename: String,
    /// Where it is served (may carry credentials; never recorded as is).
    pub url: Url,
    /// Digests the index declares for it.
    pub declared: Vec<HashDigest>,
    /// PEP 592 yank reason, when yanked.
    pub yanked: Option<String>,
}

impl Candidate {
    /// The URL as it is recorded: no credentials, no fragment.
    pub fn recorded_url(&self) -> String {
        recordable(&self.url)
    }
}

/// How a candidate's bytes were seen.
#[derive(Debug, Clone)]
pub enum Seen {
    /// Downloaded and hashed here.
    Downloaded(Digests),
    /// Not downloaded: the index declares exactly the digest the entry records for this file.
    /// Only ever confirms that record; it never supplies a new hash.
    ConfirmedByIndex(HashDigest),
}

/// A candidate, and how its bytes were seen.
#[derive(Debug, Clone)]
pub struct Observation {
    /// The file.
    pub candidate: Candidate,
    /// Its digests.
    pub seen: Seen,
}

impl Observation {
    /// The file's digest in `algorithm`, if known: computed from its bytes, or the recorded
    /// digest the index confirmed.
    fn hash(&self, algorithm: HashAlgorithm) -> Option<HashDigest> {
        match &self.seen {
            Seen::Downloaded(digests) => digests.get(algorithm).cloned(),
            Seen::ConfirmedByIndex(hash) => (hash.algorithm == algorithm).then(|| hash.clone()),
        }
    }

    /// The digests computed from the bytes, if they were downloaded.
    pub fn digests(&self) -> Option<&Digests> {
        match &self.seen {
            Seen::Downloaded(digests) => Some(digests),
            Seen::ConfirmedByIndex(_) => None,
        }
    }
}

/// How closely a record and a listed file correspond: the same name and URL (2), the same
/// name (1), or the same artifact spelled differently (0); `None` for different files. A name
/// spelled differently (case, `1.0` for `1.0.0`) is still the recorded file: a changed file
/// must not escape its record by a rename.
fn correspondence(record: &Provenance, candidate: &Candidate) -> Option<u8> {
    if record.filename == candidate.filename {
        Some(if record.url == candidate.recorded_url() {
            2
        } else {
            1
        })
    } else {
        same_artifact(&record.filename, &candidate.filename).then_some(0)
    }
}

/// The record an entry holds for a listed file, if any, the closest first.
fn record_for<'a>(records: &'a [Provenance], candidate: &Candidate) -> Option<&'a Provenance> {
    records
        .iter()
        .filter_map(|record| Some((correspondence(record, candidate)?, record)))
        .max_by_key(|(rank, _)| *rank)
        .map(|(_, record)| record)
}

/// The listed file a record stands for, if any, the closest first.
pub fn candidate_for<'a>(
    record: &Provenance,
    candidates: &'a [Candidate],
) -> Option<&'a Candidate> {
    candidates
        .iter()
        .filter_map(|candidate| Some((correspondence(record, candidate)?, candidate)))
        .max_by_key(|(rank, _)| *rank)
        .map(|(_, candidate)| candidate)
}

/// The recorded hash the index confirms for a candidate, when the entry records that file and
/// the index declares that very digest: then the bytes need not be downloaded to check the
/// record. `None` means the bytes must be downloaded.
pub fn confirmed_by_index(entry: &Entry, candidate: &Candidate) -> Option<HashDigest> {
    let records = entry.recorded_provenance();
    record_for(&records, candidate)
        .filter(|record| candidate.declared.contains(&record.hash))
        .map(|record| record.hash.clone())
}

/// The algorithms to compute for a candidate: the pin's, every recorded one, every declared one.
pub fn algorithms_for(
    entry: &Entry,
    candidate: &Candidate,
    pin: HashAlgorithm,
) -> Vec<HashAlgorithm> {
    let mut algorithms: Vec<HashAlgorithm> = entry
        .recorded_hashes()
        .iter()
        .map(|hash| hash.algorithm)
        .chain(candidate.declared.iter().map(|digest| digest.algorithm))
        .chain([pin])
        .collect();
    algorithms.sort();
    algorithms.dedup();
    algorithms
}

/// Something lock noticed about one file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Finding {
    /// A recorded file now has other bytes: republished or tampered.
    Changed {
        /// The file.
        filename: String,
        /// Where it was fetched now.
        url: String,
        /// The hash on record.
        recorded: HashDigest,
        /// The hash of the bytes served now.
        observed: HashDigest,
    },
    /// The index declares a digest its bytes do not have.
    IndexMismatch {
        /// The file.
        filename: String,
        /// Where it was fetched.
        url: String,
        /// What the index declares.
        declared: HashDigest,
        /// What the bytes hash to.
        observed: HashDigest,
    },
    /// A file of a locked release that the lockfile does not record.
    Added {
        /// The file.
        filename: String,
        /// Where it is served.
        url: String,
        /// Its hash.
        hash: HashDigest,
    },
    /// A recorded file no longer listed.
    Missing {
        /// The file.
        filename: String,
        /// Where it was recorded from.
        url: String,
        /// Its recorded hash.
        hash: HashDigest,
    },
    /// A hash recorded without provenance that no file served now has.
    Unmatched {
        /// The hash.
        hash: HashDigest,
    },
    /// None of the recorded hashes belongs to any file of the pinned release: the pin was
    /// edited without re-locking, or every file was replaced.
    NothingMatches {
        /// How many hashes are recorded.
        recorded: usize,
    },
    /// A file served with a hash the entry does not record, while a hash the entry records
    /// (without a filename) matches nothing: most likely that file, republished.
    Unaccounted {
        /// The file.
        filename: String,
        /// Where it is served.
        url: String,
        /// Its hash now.
        observed: HashDigest,
        /// The recorded hashes that match nothing.
        unmatched: Vec<HashDigest>,
    },
    /// A yanked file (PEP 592) that the pin still selects.
    Yanked {
        /// The file.
        filename: String,
        /// The yank reason, possibly empty.
        reason: String,
    },
}

impl Finding {
    /// The file a finding is about, for sorting and reports.
    pub fn filename(&self) -> &str {
        match self {
            Self::Changed { filename, .. }
            | Self::IndexMismatch { filename, .. }
            | Self::Added { filename, .. }
            | Self::Missing { filename, .. }
            | Self::Unaccounted { filename, .. }
            | Self::Yanked { filename, .. } => filename,
            Self::Unmatched { .. } | Self::NothingMatches { .. } => "",
        }
    }
}

/// What lock concluded for one entry.
#[derive(Debug, Clone, Default)]
pub struct Verdict {
    /// What the entry should record after this run.
    pub pins: Pins,
    /// What it would record if every observed byte were accepted (`--update`); the diff in a
    /// refusal report is between the file and this.
    pub accepted: Pins,
    /// Findings that refuse the lock.
    pub failures: Vec<Finding>,
    /// Findings that are reported but do not refuse.
    pub warnings: Vec<Finding>,
}

/// Judges the observed files of one entry against its record.
pub fn judge(
    entry: &Entry,
    observations: &[Observation],
    update: bool,
    pin: HashAlgorithm,
) -> Verdict {
    let recorded = entry.recorded_hashes();
    let records = entry.recorded_provenance();
    let mut verdict = Verdict::default();

    for observation in observations {
        let candidate = &observation.candidate;
        let url = candidate.recorded_url();
        if let Some(digests) = observation.digests() {
            for declared in &candidate.declared {
                if let Some(observed) = digests.get(declared.algorithm)
                    && observed != declared
                {
                    verdict.failures.push(Finding::IndexMismatch {
                        filename: candidate.filename.clone(),
                        url: url.clone(),
                        declared: declared.clone(),
                        observed: observed.clone(),
                    });
                }
            }
        }
        if let Some(reason) = &candidate.yanked {
            verdict.warnings.push(Finding::Yanked {
                filename: candidate.filename.clone(),
                reason: reason.clone(),
            });
        }
        let Some(new_hash) = observation
            .hash(pin)
            .or_else(|| observation.hash(HashAlgorithm::Sha256))
        else {
            continue;
        };
        verdict.accepted.provenance.push(Provenance {
            filename: candidate.filename.clone(),
            hash: new_hash.clone(),
            url: url.clone(),
        });

        if let Some(record) = record_for(&records, candidate) {
            match observation.hash(record.hash.algorithm) {
                Some(observed) if observed == record.hash => {
                    verdict.pins.provenance.push(record.clone());
                }
                Some(observed) => {
                    let finding = Finding::Changed {
                        filename: candidate.filename.clone(),
                        url: url.clone(),
                        recorded: record.hash.clone(),
                        observed,
                    };
                    if update {
                        verdict.warnings.push(finding);
                    } else {
                        verdict.failures.push(finding);
                    }
                    verdict.pins.provenance.push(record.clone());
                }
                None => verdict.pins.provenance.push(record.clone()),
            }
            continue;
        }
        // Recorded without provenance (pip-compile, peep, a hand-written pin): adopt it.
        let adopted = recorded
            .iter()
            .filter(|hash| records.iter().all(|record| record.hash != **hash))
            .find(|hash| observation.hash(hash.algorithm).as_ref() == Some(*hash));
        if let Some(hash) = adopted {
            verdict.pins.provenance.push(Provenance {
                filename: candidate.filename.clone(),
                hash: hash.clone(),
                url,
            });
        } else if recorded.is_empty() {
            verdict.pins.provenance.push(Provenance {
                filename: candidate.filename.clone(),
                hash: new_hash,
                url,
            });
        } else {
            verdict.warnings.push(Finding::Added {
                filename: candidate.filename.clone(),
                url,
                hash: new_hash,
            });
        }
    }

    for record in &records {
        let still_listed = observations
            .iter()
            .any(|observation| same_artifact(&observation.candidate.filename, &record.filename));
        if !still_listed {
            verdict.warnings.push(Finding::Missing {
                filename: record.filename.clone(),
                url: record.url.clone(),
                hash: record.hash.clone(),
            });
            verdict.pins.provenance.push(record.clone());
        }
    }

    let observed_any = |hash: &HashDigest| {
        observations
            .iter()
            .any(|observation| observation.hash(hash.algorithm).as_ref() == Some(hash))
    };
    let mut hashes: Vec<HashDigest> = verdict
        .pins
        .provenance
        .iter()
        .map(|record| record.hash.clone())
        .collect();
    for hash in &recorded {
        let has_provenance = records.iter().any(|record| record.hash == *hash);
        if !has_provenance && !observed_any(hash) {
            verdict
                .warnings
                .push(Finding::Unmatched { hash: hash.clone() });
        }
        hashes.push(hash.clone());
    }
    verdict.pins.hashes = hashes;
    finish(&mut verdict.pins);
    if !update {
        refuse_unexplained(&recorded, observations, &mut verdict);
    }
    verdict.accepted.hashes = verdict
        .accepted
        .provenance
        .iter()
        .map(|record| record.hash.clone())
        .collect();
    finish(&mut verdict.accepted);
    if update {
        // A deliberate re-record: the entry says exactly what is served now, so files added,
        // gone or unmatched are no longer news; a changed one is reported as re-recorded.
        verdict.pins = verdict.accepted.clone();
        verdict.warnings.retain(|finding| {
            !matches!(
                finding,
                Finding::Added { .. } | Finding::Missing { .. } | Finding::Unmatched { .. }
            )
        });
    }
    verdict
}

/// Turns what cannot be explained innocently into failures: recorded hashes that match no
/// file at all, and hashes without a filename that match nothing while some file is served
/// with a hash nobody recorded.
fn refuse_unexplained(
    recorded: &[HashDigest],
    observations: &[Observation],
    verdict: &mut Verdict,
) {
    let matched_any = observations.iter().any(|observation| {
        recorded
            .iter()
            .any(|hash| observation.hash(hash.algorithm).as_ref() == Some(hash))
    });
    let changed_any = verdict
        .failures
        .iter()
        .any(|finding| matches!(finding, Finding::Changed { .. }));
    if !recorded.is_empty() && !observations.is_empty() && !matched_any && !changed_any {
        verdict.failures.push(Finding::NothingMatches {
            recorded: recorded.len(),
        });
        return;
    }
    let unmatched: Vec<HashDigest> = verdict
        .warnings
        .iter()
        .filter_map(|finding| match finding {
            Finding::Unmatched { hash } => Some(hash.clone()),
            _ => None,
        })
        .collect();
    if unmatched.is_empty() {
        return;
    }
    let (added, kept): (Vec<Finding>, Vec<Finding>) = std::mem::take(&mut verdict.warnings)
        .into_iter()
        .partition(|finding| matches!(finding, Finding::Added { .. }));
    verdict.warnings = kept;
    for finding in added {
        if let Finding::Added {
            filename,
            url,
            hash,
        } = finding
        {
            verdict.failures.push(Finding::Unaccounted {
                filename,
                url,
                observed: hash,
                unmatched: unmatched.clone(),
            });
        }
    }
}

/// Sorts hashes and provenance so that the same observations always write the same bytes.
fn finish(pins: &mut Pins) {
    pins.hashes.sort();
    pins.hashes.dedup();
    pins.provenance
        .sort_by(|a, b| (&a.filename, &a.url, &a.hash).cmp(&(&b.filename, &b.url, &b.hash)));
    pins.provenance.dedup();
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::hash::Hasher;
    use crate::requirements::parse;

    fn digests(bytes: &[u8]) -> Digests {
        let mut hasher = Hasher::new([HashAlgorithm::Sha256]);
        hasher.update(bytes);
        hasher.finish()
    }

    fn observation(filename: &str, bytes: &[u8]) -> Observation {
        Observation {
            candidate: Candidate {
                filename: filename.into(),
                url: Url::parse(&format!("https://files.example/{filename}")).unwrap(),
                declared: vec![],
                yanked: None,
            },
            seen: Seen::Downloaded(digests(bytes)),
        }
    }

    fn entry_for(text: &str) -> Entry {
        let document = parse(Path::new("r.txt"), text.to_string(), &|_| None).unwrap();
        document.entries().next().unwrap().2.clone()
    }

    fn locked_text(observations: &[Observation]) -> String {
        let mut text = String::from("pkg==1.0");
        let verdict = judge(
            &entry_for("pkg==1.0\n"),
            observations,
            false,
            HashAlgorithm::Sha256,
        );
        for hash in &verdict.pins.hashes {
            text.push_str(&format!(" --hash={hash}"));
        }
        text.push('\n');
        for record in &verdict.pins.provenance {
            text.push_str(&format!("    {}\n", record.render()));
        }
        text
    }

    #[test]
    fn first_lock_records_everything() {
        let observations = [
            observation("pkg-1.0.tar.gz", b"s"),
            observation("pkg-1.0-py3-none-any.whl", b"w"),
        ];
        let verdict = judge(
            &entry_for("pkg==1.0\n"),
            &observations,
            false,
            HashAlgorithm::Sha256,
        );
        assert_eq!(verdict.pins.hashes.len(), 2);
        assert_eq!(
            verdict.pins.provenance[0].filename,
            "pkg-1.0-py3-none-any.whl"
        );
        assert!(verdict.failures.is_empty() && verdict.warnings.is_empty());
    }

    #[test]
    fn changed_bytes_fail_and_keep_the_record() {
        let text = locked_text(&[observation("pkg-1.0.tar.gz", b"s")]);
        let entry = entry_for(&text);
        let verdict = judge(
            &entry,
            &[observation("pkg-1.0.tar.gz", b"evil")],
            false,
            HashAlgorithm::Sha256,
        );
        assert!(
            matches!(&verdict.failures[..], [Finding::Changed { filename, .. }] if filename == "pkg-1.0.tar.gz")
        );
        assert_eq!(verdict.pins.hashes, entry.recorded_hashes());
        assert_ne!(verdict.accepted.hashes, entry.recorded_hashes());
        let updated = judge(
            &entry,
            &[observation("pkg-1.0.tar.gz", b"evil")],
            true,
            HashAlgorithm::Sha256,
        );
        assert!(updated.failures.is_empty());
        assert_eq!(updated.pins.hashes, vec![digests(b"evil").sha256().clone()]);
    }

    #[test]
    fn new_files_are_reported_not_added_and_missing_ones_kept() {
        let text = locked_text(&[
            observation("pkg-1.0.tar.gz", b"s"),
            observation("pkg-1.0-py3-none-any.whl", b"w"),
        ]);
        let entry = entry_for(&text);
        let verdict = judge(
            &entry,
            &[
                observation("pkg-1.0-py3-none-any.whl", b"w"),
                observation("pkg-1.0-cp311-cp311-win_amd64.whl", b"x"),
            ],
            false,
            HashAlgorithm::Sha256,
        );
        assert!(verdict.failures.is_empty(), "{verdict:?}");
        assert!(
            verdict
                .warnings
                .iter()
                .any(|f| matches!(f, Finding::Added { .. }))
        );
        assert!(
            verdict
                .warnings
                .iter()
                .any(|f| matches!(f, Finding::Missing { .. }))
        );
        assert_eq!(verdict.pins.hashes, entry.recorded_hashes());
    }

    #[test]
    fn adopts_hashes_recorded_without_provenance_and_checks_declared_digests() {
        let sha = digests(b"s").sha256().clone();
        let entry = entry_for(&format!("pkg==1.0 --hash={sha}\n"));
        let mut lying = observation("pkg-1.0.tar.gz", b"s");
        lying.candidate.declared = vec![digests(b"other").sha256().clone()];
        let verdict = judge(&entry, &[lying], false, HashAlgorithm::Sha256);
        assert_eq!(verdict.pins.provenance.len(), 1);
        assert!(matches!(
            &verdict.failures[..],
            [Finding::IndexMismatch { .. }]
        ));
    }

    #[test]
    fn a_pin_whose_hashes_match_nothing_is_refused() {
        let text = locked_text(&[observation("pkg-1.0.tar.gz", b"s")]);
        let entry = entry_for(&text.replace("pkg==1.0", "pkg==2.0"));
        let verdict = judge(
            &entry,
            &[observation("pkg-2.0.tar.gz", b"t")],
            false,
            HashAlgorithm::Sha256,
        );
        assert!(matches!(
            &verdict.failures[..],
            [Finding::NothingMatches { recorded: 1 }]
        ));
    }

    #[test]
    fn a_republished_file_under_hashes_without_filenames_is_refused() {
        let (wheel, sdist) = (digests(b"w"), digests(b"s"));
        let entry = entry_for(&format!(
            "pkg==1.0 --hash={} --hash={}\n",
            wheel.sha256(),
            sdist.sha256()
        ));
        let observations = [
            observation("pkg-1.0-py3-none-any.whl", b"w"),
            observation("pkg-1.0.tar.gz", b"evil"),
        ];
        let verdict = judge(&entry, &observations, false, HashAlgorithm::Sha256);
        assert!(
            matches!(&verdict.failures[..], [Finding::Unaccounted { filename, .. }] if filename == "pkg-1.0.tar.gz"),
            "{verdict:?}"
        );
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
}
