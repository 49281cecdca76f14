//! The one judge: may these bytes be used for this pin, and what may the lockfile say after?
//!
//! Every command asks here and nowhere else. `lock`, `check`, `lock --resolve` and a first
//! `install` show the judge every file an index lists for a release ([`Scope::Release`]);
//! `verify` and `install` show it the one file about to be used ([`Scope::Files`]). It answers
//! with a [`Verdict`]: one [`Judged`] per artifact, each with a [`Status`], and the record the
//! entry may hold after this run. How grave each status is comes from the [`Policy`] (one
//! table, [`Policy::outcome`]); the commands only render and act on the answer.
//!
//! The rules, each in one place:
//! - A file corresponds to every record of the same artifact, however its name is spelled
//!   (`same_artifact`): a changed file cannot escape its record by a rename. Every one of those
//!   records must match its bytes.
//! - An index's word never becomes a hash. A declared digest only confirms a record
//!   ([`confirmed_by_index`]); one the bytes do not have is a failure.
//! - Trust on first use: an entry with nothing recorded records every file it is shown, unless
//!   the policy records nothing (`verify`, `check`, `install --frozen`).
//! - A hash recorded without a filename (pip-compile, uv, peep) is adopted by the file that has
//!   it. If such a hash matches no file while a file is served with a hash nobody recorded, that
//!   file was most likely republished.
//! - Nothing recorded is dropped or replaced, except by [`Recording::Update`].
//! - Bytes that are not the archive their filename promises (an error page, a body cut short)
//!   never put a hash into the lockfile ([`Status::NotAnArchive`]); judged against what is
//!   already recorded, they are judged like any bytes (a recorded file is [`Status::Changed`]).

use std::collections::HashMap;

use url::Url;

use crate::artifact::same_artifact;
use crate::hash::{Digests, HashAlgorithm, HashDigest};
use crate::lockfile::{Pin, Record};
use crate::requirements::Provenance;
use crate::requirements::edit::Pins;
use crate::safe_url::recordable;

/// One file as an index lists it (or, for a direct URL, as the requirement names it).
#[derive(Debug, Clone)]
pub(crate) struct Candidate {
    /// Its filename.
    pub(crate) filename: String,
    /// Where it is served (may carry credentials; never recorded as is).
    pub(crate) url: Url,
    /// Digests the index declares for it.
    pub(crate) declared: Vec<HashDigest>,
    /// PEP 592 yank reason, when yanked.
    pub(crate) yanked: Option<String>,
}

impl Candidate {
    /// A file handed over by a caller (a download to verify), with nothing declared.
    pub(crate) fn given(filename: &str, url: &Url) -> Self {
        Self {
            filename: filename.to_string(),
            url: url.clone(),
            declared: Vec::new(),
            yanked: None,
        }
    }

    /// The URL as it is recorded: no credentials, no fragment.
    pub(crate) fn recorded_url(&self) -> String {
        recordable(&self.url)
    }
}

/// What is known of a file's bytes.
#[derive(Debug, Clone)]
pub(crate) enum Bytes {
    /// Downloaded and hashed here.
    Downloaded(Digests),
    /// Downloaded and hashed here, and not the archive the filename promises: what arrived, in
    /// words ("an HTML page of 135 bytes"). Held against records like any bytes; never
    /// recorded.
    NotAnArchive(Digests, String),
    /// Not downloaded: the index declares exactly the digests recorded for this file. Only
    /// ever confirms those records; it never supplies a hash.
    ConfirmedByIndex(Vec<HashDigest>),
    /// The URL answers 404 or 410.
    Gone,
    /// The download failed otherwise; the caller reports why, and nothing is judged on it.
    Unread,
}

/// A file, and what is known of its bytes.
#[derive(Debug, Clone)]
pub(crate) struct Sighting {
    /// The file.
    pub(crate) file: Candidate,
    /// Listed by the index now. A file fetched from the URL a record names, without being
    /// listed, is matched to that record by its URL and never counts as listed.
    pub(crate) listed: bool,
    /// Its bytes.
    pub(crate) bytes: Bytes,
}

impl Sighting {
    /// A file handed over by a caller, with its digests.
    pub(crate) fn given(filename: &str, url: &Url, digests: Digests) -> Self {
        Self {
            file: Candidate::given(filename, url),
            listed: true,
            bytes: Bytes::Downloaded(digests),
        }
    }

    /// The digest of the bytes in `algorithm`, when known.
    pub(crate) fn digest(&self, algorithm: HashAlgorithm) -> Option<&HashDigest> {
        match &self.bytes {
            Bytes::Downloaded(digests) | Bytes::NotAnArchive(digests, _) => digests.get(algorithm),
            Bytes::ConfirmedByIndex(hashes) => {
                hashes.iter().find(|hash| hash.algorithm == algorithm)
            }
            Bytes::Gone | Bytes::Unread => None,
        }
    }

    /// The digests of bytes downloaded here, archive or not.
    fn downloaded(&self) -> Option<&Digests> {
        match &self.bytes {
            Bytes::Downloaded(digests) | Bytes::NotAnArchive(digests, _) => Some(digests),
            _ => None,
        }
    }

    /// What arrived, when it is not the archive the filename promises.
    fn not_an_archive(&self) -> Option<&str> {
        match &self.bytes {
            Bytes::NotAnArchive(_, arrived) => Some(arrived),
            _ => None,
        }
    }

    /// Whether anything is known of the bytes.
    fn seen(&self) -> bool {
        self.downloaded().is_some() || matches!(self.bytes, Bytes::ConfirmedByIndex(_))
    }

    /// Whether the bytes have this hash.
    fn has(&self, hash: &HashDigest) -> bool {
        self.digest(hash.algorithm) == Some(hash)
    }

    /// Digests the index declares that the downloaded bytes do not have.
    fn lying_declarations(&self) -> Vec<HashDigest> {
        let Some(digests) = self.downloaded() else {
            return Vec::new();
        };
        self.file
            .declared
            .iter()
            .filter(|declared| {
                digests
                    .get(declared.algorithm)
                    .is_some_and(|observed| observed != *declared)
            })
            .cloned()
            .collect()
    }

    /// The hash to record for these bytes: in the pin's algorithm where known, else sha256,
    /// else whatever the index confirmed.
    fn recordable_hash(&self, algorithm: HashAlgorithm) -> Option<HashDigest> {
        self.digest(algorithm)
            .or_else(|| self.digest(HashAlgorithm::Sha256))
            .cloned()
            .or_else(|| match &self.bytes {
                Bytes::ConfirmedByIndex(hashes) => hashes.first().cloned(),
                _ => None,
            })
    }
}

/// Which files the judge is shown.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Scope {
    /// Every file the index lists for the release: a recorded file not shown is missing, a
    /// shown file not recorded is new.
    Release,
    /// Only the files about to be used: nothing else is judged.
    Files,
}

/// What the judge may record.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Recording {
    /// Nothing (`verify`, `check`, `install --frozen`): a file with nothing recorded is refused.
    Never,
    /// Trust on first use: an entry with nothing recorded records what it is shown.
    FirstUse,
    /// A deliberate re-record (`lock --update`): the entry becomes exactly what is served now.
    Update,
}

/// How a command asks: which files it shows and what may be recorded.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Policy {
    /// Which files are shown.
    pub(crate) scope: Scope,
    /// What may be recorded.
    pub(crate) recording: Recording,
    /// The algorithm of hashes recorded now.
    pub(crate) algorithm: HashAlgorithm,
}

impl Policy {
    /// A policy for `scope` and `recording`, recording sha256.
    pub(crate) fn new(scope: Scope, recording: Recording) -> Self {
        Self {
            scope,
            recording,
            algorithm: HashAlgorithm::Sha256,
        }
    }

    /// How grave a status is under this policy: the one table every command reads.
    pub(crate) fn outcome(&self, status: Status) -> Outcome {
        let update = self.recording == Recording::Update;
        match status {
            Status::Verified | Status::Adopted | Status::RecordedNow => Outcome::Pass,
            // Re-recorded on purpose: reported, not refused.
            Status::Changed
            | Status::Republished
            | Status::NothingMatches
            | Status::Inconsistent
                if update =>
            {
                Outcome::Warn
            }
            Status::Changed
            | Status::Republished
            | Status::NothingMatches
            | Status::Inconsistent => Outcome::Fail,
            Status::IndexMismatch
            | Status::NoMatch
            | Status::Unrecordable
            | Status::NotAnArchive => Outcome::Fail,
            Status::NotRecorded if self.scope == Scope::Files => Outcome::Retry,
            // With `--update` these are simply what the entry records now.
            Status::NotRecorded
            | Status::Renamed
            | Status::Moved
            | Status::Missing
            | Status::Unmatched
                if update =>
            {
                Outcome::Pass
            }
            Status::NotRecorded
            | Status::Renamed
            | Status::Moved
            | Status::Missing
            | Status::Unmatched => Outcome::Warn,
        }
    }
}

/// How grave a judgement is: the outcomes pip issue 1035 asked a download hook for.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub(crate) enum Outcome {
    /// Use it.
    Pass,
    /// Use it, and tell a person.
    Warn,
    /// Do not use this file; another file of the same release may pass.
    Retry,
    /// Do not use it.
    Fail,
}

/// What became of one artifact.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub(crate) enum Status {
    /// The bytes match this file's record.
    Verified,
    /// The bytes match a hash recorded without a filename; the file is now known to be its.
    Adopted,
    /// First sighting, recorded now.
    RecordedNow,
    /// A recorded file (by name) now has other bytes: republished or tampered.
    Changed,
    /// A file the entry does not record, served while a hash it records without a filename
    /// matches no file: most likely that file, republished.
    Republished,
    /// None of the recorded hashes belongs to any file of the release: the pin was edited
    /// without re-locking, or every file was replaced. About the entry, not one file.
    NothingMatches,
    /// The index declares a digest the bytes do not have.
    IndexMismatch,
    /// The bytes match none of the hashes of an entry that names no file, so a new file cannot
    /// be told from a changed one.
    NoMatch,
    /// A file of the release the entry does not record.
    NotRecorded,
    /// A file the entry does not record by this name, with the bytes it records for another.
    Renamed,
    /// A recorded file that is no longer there.
    Missing,
    /// A hash recorded without a filename that no file has. About a hash, not a file.
    Unmatched,
    /// A recorded file served with the same bytes from another URL.
    Moved,
    /// Nothing is recorded, and the policy records nothing.
    Unrecordable,
    /// The entry contradicts itself: a `--hash` that no provenance line names although the
    /// entry records provenance, or a provenance line whose hash no `--hash` carries. Someone
    /// edited the lockfile; which bytes are meant cannot be known.
    Inconsistent,
    /// Bytes that would be recorded now are not the archive the filename promises: the index
    /// answered with an error page, or the body was cut short. Nothing is recorded.
    NotAnArchive,
}

impl Status {
    /// Whether a refusal says that the index failed to serve the file at all, rather than that
    /// the bytes it served differ from a record or a declaration: an operational error (exit 4),
    /// as a download that failed is, where the other refusals are verification failures (1).
    pub(crate) fn is_operational(self) -> bool {
        self == Self::NotAnArchive
    }
}

/// Why a file is missing or moved, where the sightings tell.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Why {
    /// No longer in the index's listing.
    GoneFromListing,
    /// Its URL answers 404 or 410.
    NotFound,
    /// The index lists it at a new URL, which answers 404.
    NewUrlNotFound,
    /// The recorded URL answers 404; the index serves the same bytes elsewhere.
    RecordedUrlGone,
    /// The index lists the same bytes at a new URL.
    NewUrl,
    /// A `--hash` that no provenance line names, in an entry that records provenance.
    StrayHash,
    /// A provenance line whose hash no `--hash` option carries.
    UnpinnedRecord,
    /// A provenance line naming no file of the pinned release.
    ForeignFile,
}

/// The judgement of one artifact (or, for [`Status::NothingMatches`] and
/// [`Status::Unmatched`], of the entry or one recorded hash).
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Judged {
    /// What became of it.
    pub(crate) status: Status,
    /// The file; empty when the judgement is not about one file.
    pub(crate) filename: String,
    /// The URL on record, or where an unrecorded file is served (as recorded: no credentials).
    pub(crate) url: String,
    /// Where it is served now, when that differs from `url`.
    pub(crate) current_url: Option<String>,
    /// The recorded hashes it is held against.
    pub(crate) recorded: Vec<HashDigest>,
    /// The hash of the bytes seen, in the algorithm that decided.
    pub(crate) observed: Option<HashDigest>,
    /// Digests the index declares that the bytes do not have.
    pub(crate) declared: Vec<HashDigest>,
    /// The filenames `recorded` was recorded for, in order, where known: the files whose
    /// bytes these are ([`Status::Renamed`]), or every file the entry records
    /// ([`Status::NotRecorded`]).
    pub(crate) recorded_as: Vec<String>,
    /// The name the file is served under now, when that is another spelling of the recorded one.
    pub(crate) served_as: Option<String>,
    /// Why it is missing or moved.
    pub(crate) why: Option<Why>,
    /// PEP 592 reason, when the file is yanked.
    pub(crate) yanked: Option<String>,
    /// What arrived, when the bytes are not the archive the filename promises.
    pub(crate) arrived: Option<String>,
    /// The sighting whose bytes decided, by position in what the judge was shown.
    pub(crate) sighting: Option<usize>,
}

impl Judged {
    /// A judgement of one file, nothing known yet but its status, name and URL.
    pub(crate) fn new(status: Status, filename: &str, url: String) -> Self {
        Self {
            status,
            filename: filename.to_string(),
            url,
            current_url: None,
            recorded: Vec::new(),
            observed: None,
            declared: Vec::new(),
            recorded_as: Vec::new(),
            served_as: None,
            why: None,
            yanked: None,
            arrived: None,
            sighting: None,
        }
    }
}

/// The judge's answer for one entry.
#[derive(Debug, Clone)]
pub(crate) struct Verdict {
    /// One judgement per artifact.
    pub(crate) artifacts: Vec<Judged>,
    /// What the entry records after this run: its record, plus what is recorded now.
    pub(crate) pins: Pins,
    /// What it would record if every byte shown were accepted: the other side of the diff a
    /// refusal shows.
    pub(crate) accepted: Pins,
    /// The policy it was judged under.
    pub(crate) policy: Policy,
}

impl Verdict {
    /// How grave one judgement is: its status under the policy, and a yank is worth a warning.
    pub(crate) fn outcome_of(&self, judged: &Judged) -> Outcome {
        let outcome = self.policy.outcome(judged.status);
        if judged.yanked.is_some() {
            outcome.max(Outcome::Warn)
        } else {
            outcome
        }
    }

    /// The gravest outcome of all.
    pub(crate) fn outcome(&self) -> Outcome {
        self.artifacts
            .iter()
            .map(|judged| self.outcome_of(judged))
            .max()
            .unwrap_or(Outcome::Pass)
    }

    /// The judgements with this outcome.
    pub(crate) fn with_outcome(&self, outcome: Outcome) -> impl Iterator<Item = &Judged> {
        self.artifacts
            .iter()
            .filter(move |judged| self.outcome_of(judged) == outcome)
    }

    /// The gravest judgement: what a command about one file reports. Of equally grave ones, a
    /// judgement about a file comes before one about the entry as a whole.
    pub(crate) fn gravest(&self) -> Option<&Judged> {
        self.artifacts
            .iter()
            .max_by_key(|judged| (self.outcome_of(judged), !judged.filename.is_empty()))
    }

    /// Whether anything refuses.
    pub(crate) fn refuses(&self) -> bool {
        self.outcome() >= Outcome::Retry
    }
}

/// The records a sighting stands for: every record of the same artifact, however its name is
/// spelled (`1.0` is `1.0.0`), unless the entry records a file of exactly the sighting's name:
/// then only that record (a release may list `foo-1.0.tar.gz` and `foo-1.0.0.tar.gz`, two
/// files). A file fetched from a recorded URL without being listed stands for the records of
/// that URL.
///
/// Positions in `record.files`, found in one pass over them: a release's files are all
/// recorded and all listed, and asking of every pair would be quadratic in its size.
fn records_of(record: &Record, sighting: &Sighting) -> Vec<usize> {
    let exact = record
        .files
        .iter()
        .any(|provenance| provenance.filename == sighting.file.filename);
    records_among(record, sighting, 0..record.files.len(), exact)
}

/// Of the records at `positions`, those `sighting` stands for: of exactly its name when `exact`
/// (the entry records that name), else of its artifact however spelled.
fn records_among(
    record: &Record,
    sighting: &Sighting,
    positions: impl IntoIterator<Item = usize>,
    exact: bool,
) -> Vec<usize> {
    let filename = &sighting.file.filename;
    positions
        .into_iter()
        .filter(|&position| {
            let provenance = &record.files[position];
            let same = if exact {
                provenance.filename == *filename
            } else {
                same_artifact(&provenance.filename, filename)
            };
            same && (sighting.listed || provenance.url == sighting.file.recorded_url())
        })
        .collect()
}

/// Which records each sighting of a judgement stands for ([`records_of`]), and the reverse,
/// worked out once.
struct Pairs {
    /// By sighting: positions in `record.files`.
    of_sighting: Vec<Vec<usize>>,
    /// By record: positions in the sightings.
    of_record: Vec<Vec<usize>>,
}

impl Pairs {
    fn new(record: &Record, sightings: &[Sighting]) -> Self {
        // A few records are scanned faster than a map of their names is built.
        const SCANNED: usize = 16;
        let mut by_name: HashMap<&str, Vec<usize>> = HashMap::new();
        if record.files.len() > SCANNED {
            for (position, provenance) in record.files.iter().enumerate() {
                by_name
                    .entry(provenance.filename.as_str())
                    .or_default()
                    .push(position);
            }
        }
        let mut of_record = vec![Vec::new(); record.files.len()];
        let of_sighting: Vec<Vec<usize>> = sightings
            .iter()
            .enumerate()
            .map(|(index, sighting)| {
                // A name recorded exactly is found through the map; only a name no record
                // spells so is compared with each record.
                let records = if by_name.is_empty() {
                    records_of(record, sighting)
                } else {
                    match by_name.get(sighting.file.filename.as_str()) {
                        Some(exact) => records_among(record, sighting, exact.iter().copied(), true),
                        None => records_among(record, sighting, 0..record.files.len(), false),
                    }
                };
                for &position in &records {
                    of_record[position].push(index);
                }
                records
            })
            .collect();
        Self {
            of_sighting,
            of_record,
        }
    }

    /// The records sighting `index` stands for.
    fn records<'r>(
        &self,
        record: &'r Record,
        index: usize,
    ) -> impl Iterator<Item = &'r Provenance> {
        self.of_sighting[index]
            .iter()
            .map(move |&position| &record.files[position])
    }
}

/// Whether new bytes of a listed file can only ever be held against records, never recorded,
/// unless the entry is re-recorded on purpose: the entry records that very file (by name,
/// however spelled), so a sighting of it is judged against its records ([`Status::Changed`]
/// when they differ) and is never a first sighting or an adoption. Whether such bytes are an
/// archive then only explains a refusal.
pub(crate) fn records_file(record: &Record, file: &Candidate) -> bool {
    let listed = Sighting {
        file: file.clone(),
        listed: true,
        bytes: Bytes::Unread,
    };
    !records_of(record, &listed).is_empty()
}

/// The recorded hashes an index confirms for a listed file: when the entry records that file
/// and the index declares every digest recorded for it. Then the bytes need not be downloaded
/// to check the records; `None` means they must be.
pub(crate) fn confirmed_by_index(record: &Record, file: &Candidate) -> Option<Vec<HashDigest>> {
    let listed = Sighting {
        file: file.clone(),
        listed: true,
        bytes: Bytes::Unread,
    };
    let hashes: Vec<HashDigest> = records_of(record, &listed)
        .into_iter()
        .map(|position| record.files[position].hash.clone())
        .collect();
    // Every recorded digest declared, and nothing else declared in a recorded algorithm: an
    // index that contradicts itself (its JSON API against its simple page) gets downloaded.
    let consistent = file.declared.iter().all(|declared| {
        hashes.contains(declared)
            || hashes
                .iter()
                .all(|hash| hash.algorithm != declared.algorithm)
    });
    (!hashes.is_empty() && consistent && hashes.iter().all(|hash| file.declared.contains(hash)))
        .then_some(hashes)
}

/// Whether a sighting's bytes stand on their own (downloaded, or not seen at all), or the index
/// confirms exactly hashes recorded for that very file.
fn vouches_only_for_records(
    record: &Record,
    pairs: &Pairs,
    index: usize,
    sighting: &Sighting,
) -> bool {
    let Bytes::ConfirmedByIndex(hashes) = &sighting.bytes else {
        return true;
    };
    !hashes.is_empty()
        && hashes.iter().all(|hash| {
            pairs
                .records(record, index)
                .any(|provenance| provenance.hash == *hash)
        })
}

/// The algorithms to compute for a file: the policy's, every recorded one, every declared one.
pub(crate) fn algorithms_for(
    record: &Record,
    file: &Candidate,
    pin: HashAlgorithm,
) -> Vec<HashAlgorithm> {
    let mut algorithms: Vec<HashAlgorithm> = record
        .algorithms()
        .chain(file.declared.iter().map(|digest| digest.algorithm))
        .chain([pin, HashAlgorithm::Sha256])
        .collect();
    algorithms.sort();
    algorithms.dedup();
    algorithms
}

/// Judges what was seen of an entry's files against what it records.
pub(crate) fn judge(record: &Record, sightings: &[Sighting], policy: Policy) -> Verdict {
    // An index's word only ever confirms what is recorded: a confirmation that is not exactly
    // the records of its file counts as bytes never seen, whatever the caller built.
    // Pairs depend on names and URLs only, which vouching leaves as they are.
    let pairs = Pairs::new(record, sightings);
    let vouched: Vec<Sighting>;
    let sightings = if sightings
        .iter()
        .enumerate()
        .all(|(index, sighting)| vouches_only_for_records(record, &pairs, index, sighting))
    {
        sightings
    } else {
        vouched = sightings
            .iter()
            .enumerate()
            .map(|(index, sighting)| {
                let mut sighting = sighting.clone();
                if !vouches_only_for_records(record, &pairs, index, &sighting) {
                    sighting.bytes = Bytes::Unread;
                }
                sighting
            })
            .collect();
        &vouched
    };
    let release = policy.scope == Scope::Release;
    let mut artifacts = Vec::new();

    for (position, provenance) in record.files.iter().enumerate() {
        let mine: Vec<(usize, &Sighting)> = pairs.of_record[position]
            .iter()
            .map(|&index| (index, &sightings[index]))
            .collect();
        if let Some(judged) = judge_record(record, provenance, mine, release) {
            artifacts.push(judged);
        }
    }
    // An entry that contradicts itself is refused whichever of its files is shown.
    artifacts.extend(stray_hashes(record, &pairs, sightings));

    let mut unrecorded = Vec::new();
    for (index, sighting) in sightings.iter().enumerate() {
        if !sighting.listed || !sighting.seen() {
            continue;
        }
        if !pairs.of_sighting[index].is_empty() {
            continue;
        }
        unrecorded.push(judge_unrecorded(record, index, sighting, policy));
    }

    if release && policy.recording != Recording::Update && !record.hashes.is_empty() {
        explain_unrecorded(record, sightings, &artifacts, &mut unrecorded);
    }
    artifacts.extend(unrecorded);

    let mut pins = if policy.recording == Recording::Update {
        accepted(record, &pairs, sightings, policy)
    } else {
        kept_and_new(record, sightings, &artifacts, policy)
    };
    let mut accepted = accepted(record, &pairs, sightings, policy);
    refuse_non_archives(
        record,
        &pairs,
        sightings,
        &mut artifacts,
        [&mut pins, &mut accepted],
    );
    Verdict {
        accepted,
        artifacts,
        pins,
        policy,
    }
}

/// The judgement of a recorded file, or `None` when nothing can be said yet (its bytes could
/// not be read: the caller reports why), or it was not shown in a [`Scope::Files`] judgement.
fn judge_record(
    record: &Record,
    provenance: &Provenance,
    mine: Vec<(usize, &Sighting)>,
    release: bool,
) -> Option<Judged> {
    let listed: Vec<(usize, &Sighting)> = mine
        .iter()
        .copied()
        .filter(|(_, sighting)| sighting.listed)
        .collect();
    let mut judged = Judged::new(
        Status::Verified,
        &provenance.filename,
        provenance.url.clone(),
    );
    judged.recorded = vec![provenance.hash.clone()];
    // A provenance line whose hash pip is not given (the `--hash` was edited under it), or
    // that names no file of the pinned release (the name was edited): which bytes are meant
    // cannot be known.
    let unpinned = !record.hashes.contains(&provenance.hash);
    if unpinned || record.foreign.contains(&provenance.filename) {
        judged.status = Status::Inconsistent;
        judged.why = Some(if unpinned {
            Why::UnpinnedRecord
        } else {
            Why::ForeignFile
        });
        judged.sighting = mine.first().map(|(index, _)| *index);
        judged.observed = mine
            .iter()
            .find_map(|(_, sighting)| sighting.digest(provenance.hash.algorithm))
            .cloned();
        return Some(judged);
    }
    let elsewhere = |sighting: &Sighting| {
        let url = sighting.file.recorded_url();
        (url != provenance.url).then_some(url)
    };

    // Other bytes anywhere, at the recorded URL first, is the gravest finding.
    let mut by_url = mine.clone();
    by_url.sort_by_key(|(_, sighting)| sighting.listed);
    if let Some((index, sighting, observed)) = by_url.iter().find_map(|(index, sighting)| {
        let observed = sighting.digest(provenance.hash.algorithm)?;
        (*observed != provenance.hash).then_some((*index, *sighting, observed))
    }) {
        judged.status = Status::Changed;
        judged.observed = Some(observed.clone());
        judged.current_url = elsewhere(sighting);
        judged.served_as =
            (sighting.file.filename != provenance.filename).then(|| sighting.file.filename.clone());
        judged.declared = sighting.lying_declarations();
        judged.sighting = Some(index);
        return Some(judged);
    }
    if mine.is_empty() && !release {
        return None;
    }
    let recorded_url_gone = mine
        .iter()
        .any(|(_, sighting)| !sighting.listed && matches!(sighting.bytes, Bytes::Gone));
    let Some(&(index, sighting)) = listed
        .iter()
        .find(|(_, sighting)| sighting.seen())
        .or(listed.first())
    else {
        judged.status = Status::Missing;
        judged.why = Some(Why::GoneFromListing);
        return Some(judged);
    };
    // Bytes seen without a digest in the record's algorithm cannot vouch for the record.
    if sighting.seen() && sighting.digest(provenance.hash.algorithm).is_none() {
        return None;
    }
    judged.sighting = Some(index);
    judged.yanked.clone_from(&sighting.file.yanked);
    judged.observed = sighting.digest(provenance.hash.algorithm).cloned();
    judged.current_url = elsewhere(sighting);
    let lying = sighting.lying_declarations();
    if !lying.is_empty() {
        judged.status = Status::IndexMismatch;
        judged.observed = observed_for(sighting, &lying);
        judged.declared = lying;
        return Some(judged);
    }
    if !sighting.seen() {
        if !matches!(sighting.bytes, Bytes::Gone) {
            return None;
        }
        // Gone where it is listed. If it was listed where it was recorded, it is plainly gone.
        judged.status = Status::Missing;
        judged.why = Some(if judged.current_url.is_some() {
            Why::NewUrlNotFound
        } else {
            Why::NotFound
        });
        return Some(judged);
    }
    if judged.current_url.is_some() {
        judged.status = Status::Moved;
        judged.why = Some(if recorded_url_gone {
            Why::RecordedUrlGone
        } else {
            Why::NewUrl
        });
    }
    Some(judged)
}

/// The digest of the bytes to show beside declarations they do not have: in the algorithm of
/// the first, so that a wrong md5 is shown against the md5 of the bytes.
fn observed_for(sighting: &Sighting, lying: &[HashDigest]) -> Option<HashDigest> {
    lying
        .first()
        .and_then(|declared| sighting.digest(declared.algorithm))
        .cloned()
}

/// The judgement of a shown file that no record names.
fn judge_unrecorded(record: &Record, index: usize, sighting: &Sighting, policy: Policy) -> Judged {
    let file = &sighting.file;
    let mut judged = Judged::new(Status::NotRecorded, &file.filename, file.recorded_url());
    judged.sighting = Some(index);
    judged.yanked.clone_from(&file.yanked);
    judged.observed = sighting.recordable_hash(policy.algorithm);
    judged.declared = sighting.lying_declarations();
    let bare = record.bare_hashes().find(|hash| sighting.has(hash));
    // With provenance recorded, a hash no provenance line names vouches for nothing.
    let stray = bare.filter(|_| !record.files.is_empty());
    let same_bytes: Vec<&Provenance> = record
        .files
        .iter()
        .filter(|provenance| sighting.has(&provenance.hash))
        .collect();
    let is_direct_file = record
        .direct
        .as_ref()
        .is_some_and(|(filename, _)| same_artifact(filename, &file.filename));
    judged.status = if !judged.declared.is_empty() {
        judged.observed = observed_for(sighting, &judged.declared);
        Status::IndexMismatch
    } else if let Some(hash) = stray {
        judged.recorded = vec![hash.clone()];
        judged.observed = Some(hash.clone());
        judged.why = Some(Why::StrayHash);
        Status::Inconsistent
    } else if let Some(hash) = bare {
        judged.recorded = vec![hash.clone()];
        judged.observed = Some(hash.clone());
        Status::Adopted
    } else if !same_bytes.is_empty() {
        judged.recorded = same_bytes.iter().map(|p| p.hash.clone()).collect();
        judged.recorded_as = same_bytes.iter().map(|p| p.filename.clone()).collect();
        judged.observed = Some(same_bytes[0].hash.clone());
        Status::Renamed
    } else if is_direct_file && !record.hashes.is_empty() {
        // A direct URL stands for one file: every hash recorded for it is that file's.
        judged.recorded.clone_from(&record.hashes);
        if let Some(hash) = record.hashes.first() {
            judged.observed = sighting.digest(hash.algorithm).cloned();
        }
        Status::Changed
    } else if record.hashes.is_empty() {
        if policy.recording == Recording::Never {
            Status::Unrecordable
        } else {
            Status::RecordedNow
        }
    } else if policy.scope == Scope::Files && record.files.is_empty() && record.direct.is_none() {
        judged.recorded.clone_from(&record.hashes);
        Status::NoMatch
    } else {
        // Held against every recorded file, each named, then any hash without a filename.
        judged.recorded = record.files.iter().map(|p| p.hash.clone()).collect();
        judged.recorded_as = record.files.iter().map(|p| p.filename.clone()).collect();
        judged.recorded.extend(record.bare_hashes().cloned());
        Status::NotRecorded
    };
    judged
}

/// In a whole release, every `--hash` of an entry that records provenance must be named by a
/// provenance line: one that is not was added by hand, and is reported, whether or not a file
/// has it (a file that has it is judged as that file).
fn stray_hashes(record: &Record, pairs: &Pairs, sightings: &[Sighting]) -> Vec<Judged> {
    if record.files.is_empty() {
        return Vec::new();
    }
    record
        .bare_hashes()
        .filter(|hash| {
            !sightings.iter().enumerate().any(|(index, sighting)| {
                sighting.listed && sighting.has(hash) && pairs.of_sighting[index].is_empty()
            })
        })
        .map(|hash| {
            let mut judged = Judged::new(Status::Inconsistent, "", String::new());
            judged.recorded = vec![hash.clone()];
            judged.why = Some(Why::StrayHash);
            judged
        })
        .collect()
}

/// In a whole release, turns what cannot be explained innocently into findings: recorded
/// hashes that match no file at all, and hashes without a filename that match nothing while a
/// file is served with a hash nobody recorded. Only when every listed file was seen can a hash
/// be said to match none of them.
fn explain_unrecorded(
    record: &Record,
    sightings: &[Sighting],
    recorded: &[Judged],
    unrecorded: &mut Vec<Judged>,
) {
    // A listed file whose download failed might be the one a hash belongs to: no conclusion.
    // One that answers 404 is not there, and cannot hide a republished file.
    if sightings
        .iter()
        .any(|sighting| sighting.listed && matches!(sighting.bytes, Bytes::Unread))
    {
        return;
    }
    let listed: Vec<&Sighting> = sightings
        .iter()
        .filter(|sighting| sighting.listed && sighting.seen())
        .collect();
    if listed.is_empty() {
        return;
    }
    let matched_any = listed
        .iter()
        .any(|sighting| record.hashes.iter().any(|hash| sighting.has(hash)));
    let changed_any = recorded
        .iter()
        .chain(unrecorded.iter())
        .any(|judged| judged.status == Status::Changed);
    if !matched_any && !changed_any {
        let mut judged = Judged::new(Status::NothingMatches, "", String::new());
        judged.recorded.clone_from(&record.hashes);
        unrecorded.push(judged);
        return;
    }
    // A hash a changed file is already held to is reported with that file.
    let explained = |hash: &HashDigest| {
        unrecorded
            .iter()
            .any(|judged| judged.status == Status::Changed && judged.recorded.contains(hash))
    };
    let unmatched: Vec<&HashDigest> = record
        .bare_hashes()
        .filter(|_| record.files.is_empty())
        .filter(|hash| !listed.iter().any(|sighting| sighting.has(hash)) && !explained(hash))
        .collect();
    if unmatched.is_empty() {
        return;
    }
    for judged in unrecorded.iter_mut() {
        if judged.status == Status::NotRecorded {
            judged.status = Status::Republished;
            judged.recorded = unmatched.iter().copied().cloned().collect();
        }
    }
    for hash in unmatched {
        let mut judged = Judged::new(Status::Unmatched, "", String::new());
        judged.recorded = vec![hash.clone()];
        unrecorded.push(judged);
    }
}

/// Bytes that are not the archive their filename promises never put a hash into the lockfile:
/// the judgement of a file whose bytes would add one becomes [`Status::NotAnArchive`]; what
/// they would add is taken out of the pins (what the entry records after this run, and what it
/// would record if everything were accepted: there is nothing to accept), and what the entry
/// recorded for that file, which a re-record would have replaced, is put back. A hash the entry
/// already records is not added by
/// them: a file adopting it gains only its provenance, and bytes someone recorded knowingly
/// (with pip-compile, say) are theirs to answer for, so the hash match is judged as before.
/// Every judgement of such bytes says what arrived.
fn refuse_non_archives(
    record: &Record,
    pairs: &Pairs,
    sightings: &[Sighting],
    artifacts: &mut Vec<Judged>,
    all_pins: [&mut Pins; 2],
) {
    let [pins, accepted] = all_pins;
    // Decided against the pins as they were: two files with the same bytes (one error page
    // served for a wheel and its sdist) are both refused, though the first takes the hash out.
    let refusals: Vec<(usize, &str, bool)> = sightings
        .iter()
        .enumerate()
        .filter_map(|(index, sighting)| {
            let arrived = sighting.not_an_archive()?;
            let refused = pins
                .hashes
                .iter()
                .any(|hash| !record.hashes.contains(hash) && sighting.has(hash));
            Some((index, arrived, refused))
        })
        .collect();
    for (index, arrived, refused) in refusals {
        let sighting = &sightings[index];
        let adds = |hash: &HashDigest| !record.hashes.contains(hash) && sighting.has(hash);
        // A refusal of other bytes (a changed file) still shows what accepting them would
        // write; these would have been recorded, and there is nothing to accept.
        for pins in [&mut *pins, &mut *accepted] {
            if !refused {
                break;
            }
            pins.hashes.retain(|hash| !adds(hash));
            pins.provenance.retain(|provenance| !adds(&provenance.hash));
            for provenance in pairs.records(record, index) {
                pins.hashes.push(provenance.hash.clone());
                pins.provenance.push(provenance.clone());
            }
            finish(pins);
        }
        let mut judged_here = false;
        for judged in artifacts
            .iter_mut()
            .filter(|judged| judged.sighting == Some(index))
        {
            judged_here = true;
            judged.arrived = Some(arrived.to_string());
            if refused {
                judged.status = Status::NotAnArchive;
                judged.why = None;
            }
        }
        if refused && !judged_here {
            let file = &sighting.file;
            let mut judged = Judged::new(Status::NotAnArchive, &file.filename, file.recorded_url());
            judged.arrived = Some(arrived.to_string());
            judged.observed = sighting.digest(HashAlgorithm::Sha256).cloned();
            judged.sighting = Some(index);
            artifacts.push(judged);
        }
    }
}

/// What the entry records after a run that may not re-record: everything it recorded, plus
/// the provenance of adopted hashes and the files recorded now.
fn kept_and_new(
    record: &Record,
    sightings: &[Sighting],
    artifacts: &[Judged],
    policy: Policy,
) -> Pins {
    let mut pins = Pins {
        hashes: record.hashes.clone(),
        provenance: record.files.clone(),
    };
    if policy.recording == Recording::Never {
        return pins;
    }
    for judged in artifacts {
        let (Status::Adopted | Status::RecordedNow, Some(index), Some(hash)) =
            (judged.status, judged.sighting, &judged.observed)
        else {
            continue;
        };
        pins.hashes.push(hash.clone());
        pins.provenance.push(Provenance {
            filename: judged.filename.clone(),
            hash: hash.clone(),
            url: sightings[index].file.recorded_url(),
        });
    }
    finish(&mut pins);
    pins
}

/// What the entry would record if every byte shown were accepted. For a whole release, exactly
/// the files shown; for some files, their records replaced and every other record kept. A file
/// keeps the strongest algorithm it was recorded in, unless it is being re-recorded on purpose
/// (`--update`, whose `--algorithm` may be the point).
fn accepted(record: &Record, pairs: &Pairs, sightings: &[Sighting], policy: Policy) -> Pins {
    let shown: Vec<Provenance> = sightings
        .iter()
        .enumerate()
        .filter(|(_, sighting)| sighting.listed)
        .filter_map(|(index, sighting)| {
            let recorded_in = pairs
                .records(record, index)
                .map(|provenance| provenance.hash.algorithm)
                .max();
            let algorithm = match recorded_in {
                Some(algorithm) if policy.recording != Recording::Update => algorithm,
                _ => policy.algorithm,
            };
            Some(Provenance {
                filename: sighting.file.filename.clone(),
                hash: sighting.recordable_hash(algorithm)?,
                url: sighting.file.recorded_url(),
            })
        })
        .collect();
    let mut pins = Pins::default();
    if policy.scope == Scope::Files {
        let replaced: Vec<&Provenance> = record
            .files
            .iter()
            .enumerate()
            .filter(|(position, _)| !pairs.of_record[*position].is_empty())
            .map(|(_, provenance)| provenance)
            .collect();
        pins.provenance = record
            .files
            .iter()
            .filter(|provenance| !replaced.contains(provenance))
            .cloned()
            .collect();
        pins.hashes = record
            .hashes
            .iter()
            .filter(|hash| {
                !replaced.iter().any(|provenance| provenance.hash == **hash)
                    || pins.provenance.iter().any(|kept| kept.hash == **hash)
            })
            .cloned()
            .collect();
    }
    pins.hashes.extend(shown.iter().map(|p| p.hash.clone()));
    pins.provenance.extend(shown);
    finish(&mut pins);
    pins
}

/// Sorts hashes and provenance so that the same observations always write the same bytes.
fn finish(pins: &mut Pins) {
    pins.hashes.sort();
    pins.hashes.dedup();
    pins.provenance
        .sort_by(|a, b| (&a.filename, &a.url, &a.hash).cmp(&(&b.filename, &b.url, &b.hash)));
    pins.provenance.dedup();
}

/// Judges one file against every entry that pins its release (several, under different
/// markers or repeated). pip holds a file to every line of a project that applies (it
/// intersects their hashes), and markers are not evaluated here, so a file must pass every
/// entry that records the release: one line added beside a locked entry cannot vouch for other
/// bytes. Entries that record nothing count only when none records anything. The gravest
/// verdict is returned (a failure before a retry, since it says more); `None` without entries.
pub(crate) fn judge_among<'p, 'a>(
    pins: &[&'p Pin<'a>],
    sighting: &Sighting,
    policy: Policy,
) -> Option<(&'p Pin<'a>, Verdict)> {
    let rank = |outcome: Outcome| match outcome {
        Outcome::Pass | Outcome::Warn => 0,
        Outcome::Retry => 1,
        Outcome::Fail => 2,
    };
    let any_recorded = pins.iter().any(|pin| !pin.record.hashes.is_empty());
    let mut verdicts = pins
        .iter()
        .filter(|pin| !any_recorded || !pin.record.hashes.is_empty())
        .map(|pin| {
            let verdict = judge(&pin.record, std::slice::from_ref(sighting), policy);
            (*pin, verdict)
        });
    let first = verdicts.next()?;
    // The first of the gravest: with every entry passing, the first entry decides.
    Some(verdicts.fold(first, |gravest, next| {
        if rank(next.1.outcome()) > rank(gravest.1.outcome()) {
            next
        } else {
            gravest
        }
    }))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::hash::Hasher;

    const SDIST: &str = "pkg-1.0.tar.gz";
    const WHEEL: &str = "pkg-1.0-py3-none-any.whl";

    fn digests(bytes: &[u8]) -> Digests {
        let mut hasher = Hasher::new([HashAlgorithm::Sha256, HashAlgorithm::Sha512]);
        hasher.update(bytes);
        hasher.finish()
    }

    fn sha(bytes: &[u8]) -> HashDigest {
        digests(bytes).sha256().clone()
    }

    fn url(filename: &str) -> Url {
        Url::parse(&format!("https://files.example/{filename}")).unwrap()
    }

    fn listed(filename: &str, bytes: &[u8]) -> Sighting {
        Sighting::given(filename, &url(filename), digests(bytes))
    }

    fn provenance(filename: &str, bytes: &[u8]) -> Provenance {
        Provenance {
            filename: filename.into(),
            hash: sha(bytes),
            url: url(filename).to_string(),
        }
    }

    /// A record of these files, with their sha256 hashes and provenance lines.
    fn record(files: &[(&str, &[u8])]) -> Record {
        let files: Vec<Provenance> = files.iter().map(|(f, b)| provenance(f, b)).collect();
        let mut hashes: Vec<HashDigest> = files.iter().map(|p| p.hash.clone()).collect();
        hashes.sort();
        Record {
            hashes,
            files,
            ..Record::default()
        }
    }

    fn bare(hashes: &[HashDigest]) -> Record {
        Record {
            hashes: hashes.to_vec(),
            ..Record::default()
        }
    }

    const LOCK: Policy = Policy {
        scope: Scope::Release,
        recording: Recording::FirstUse,
        algorithm: HashAlgorithm::Sha256,
    };
    const UPDATE: Policy = Policy {
        recording: Recording::Update,
        ..LOCK
    };
    const CHECK: Policy = Policy {
        recording: Recording::Never,
        ..LOCK
    };
    const VERIFY: Policy = Policy {
        scope: Scope::Files,
        recording: Recording::Never,
        algorithm: HashAlgorithm::Sha256,
    };

    fn statuses(verdict: &Verdict) -> Vec<(Status, &str)> {
        verdict
            .artifacts
            .iter()
            .map(|judged| (judged.status, judged.filename.as_str()))
            .collect()
    }

    #[test]
    fn a_first_sighting_records_every_file() {
        let verdict = judge(
            &Record::default(),
            &[listed(SDIST, b"s"), listed(WHEEL, b"w")],
            LOCK,
        );
        assert_eq!(
            statuses(&verdict),
            [(Status::RecordedNow, SDIST), (Status::RecordedNow, WHEEL)]
        );
        assert_eq!(verdict.outcome(), Outcome::Pass);
        assert_eq!(verdict.pins, verdict.accepted);
        assert_eq!(verdict.pins.provenance[0].filename, WHEEL);
        // Where nothing may be recorded, a first sighting is refused instead.
        let verdict = judge(&Record::default(), &[listed(WHEEL, b"w")], VERIFY);
        assert_eq!(statuses(&verdict), [(Status::Unrecordable, WHEEL)]);
        assert_eq!(verdict.outcome(), Outcome::Fail);
    }

    #[test]
    fn changed_bytes_fail_keep_the_record_and_re_record_only_on_update() {
        let record = record(&[(SDIST, b"s")]);
        let verdict = judge(&record, &[listed(SDIST, b"evil")], LOCK);
        assert_eq!(statuses(&verdict), [(Status::Changed, SDIST)]);
        let changed = &verdict.artifacts[0];
        assert_eq!(changed.recorded, [sha(b"s")]);
        assert_eq!(changed.observed, Some(sha(b"evil")));
        assert_eq!(verdict.outcome(), Outcome::Fail);
        assert_eq!(verdict.pins.hashes, record.hashes);
        assert_eq!(verdict.accepted.hashes, [sha(b"evil")]);

        let updated = judge(&record, &[listed(SDIST, b"evil")], UPDATE);
        assert_eq!(updated.outcome(), Outcome::Warn);
        assert_eq!(updated.pins.hashes, [sha(b"evil")]);
    }

    /// The wheel recorded right in sha256 and wrong in sha512, each with its provenance line.
    fn wheel_with_a_wrong_sha512() -> (Record, HashDigest) {
        let mut record = record(&[(WHEEL, b"w")]);
        let wrong = digests(b"other")
            .get(HashAlgorithm::Sha512)
            .unwrap()
            .clone();
        record.hashes.push(wrong.clone());
        record.files.push(Provenance {
            hash: wrong.clone(),
            ..provenance(WHEEL, b"w")
        });
        (record, wrong)
    }

    #[test]
    fn every_hash_recorded_for_a_file_must_match() {
        // A right sha256 does not excuse a wrong sha512 recorded for the same file.
        let (record, wrong) = wheel_with_a_wrong_sha512();
        let verdict = judge(&record, &[listed(WHEEL, b"w")], LOCK);
        assert!(
            verdict.artifacts.iter().any(
                |judged| judged.status == Status::Changed && judged.recorded == [wrong.clone()]
            ),
            "{verdict:?}"
        );
        assert_eq!(verdict.outcome(), Outcome::Fail);
        // Nothing recorded is dropped.
        assert_eq!(verdict.pins.provenance.len(), 2);
    }

    #[test]
    fn a_renamed_file_is_still_held_to_its_record() {
        let record = record(&[(SDIST, b"s")]);
        let verdict = judge(&record, &[listed("PKG-1.0.0.tar.gz", b"evil")], LOCK);
        assert_eq!(statuses(&verdict), [(Status::Changed, SDIST)]);
        assert_eq!(
            verdict.artifacts[0].served_as.as_deref(),
            Some("PKG-1.0.0.tar.gz")
        );
        assert_eq!(verdict.outcome(), Outcome::Fail);
    }

    #[test]
    fn new_files_are_reported_not_recorded_and_vanished_ones_kept() {
        let record = record(&[(SDIST, b"s"), (WHEEL, b"w")]);
        let other = "pkg-1.0-cp311-cp311-win_amd64.whl";
        let verdict = judge(&record, &[listed(WHEEL, b"w"), listed(other, b"x")], LOCK);
        assert_eq!(
            statuses(&verdict),
            [
                (Status::Missing, SDIST),
                (Status::Verified, WHEEL),
                (Status::NotRecorded, other)
            ]
        );
        assert_eq!(verdict.artifacts[0].why, Some(Why::GoneFromListing));
        assert_eq!(verdict.outcome(), Outcome::Warn);
        assert_eq!(verdict.pins.hashes, record.hashes);
        // `--update` makes the entry say exactly what is served now, and that is no news.
        let updated = judge(&record, &[listed(WHEEL, b"w"), listed(other, b"x")], UPDATE);
        assert_eq!(updated.outcome(), Outcome::Pass);
        assert_eq!(updated.pins.hashes.len(), 2);
        assert!(updated.pins.hashes.contains(&sha(b"x")));
    }

    #[test]
    fn hashes_without_filenames_are_adopted_by_the_file_that_has_them() {
        let verdict = judge(&bare(&[sha(b"s")]), &[listed(SDIST, b"s")], LOCK);
        assert_eq!(statuses(&verdict), [(Status::Adopted, SDIST)]);
        assert_eq!(verdict.pins.provenance, [provenance(SDIST, b"s")]);
        // A check records nothing, not even provenance.
        let checked = judge(&bare(&[sha(b"s")]), &[listed(SDIST, b"s")], CHECK);
        assert!(checked.pins.provenance.is_empty());
    }

    #[test]
    fn a_republished_file_under_hashes_without_filenames_is_refused() {
        let record = bare(&[sha(b"w"), sha(b"s")]);
        let verdict = judge(
            &record,
            &[listed(WHEEL, b"w"), listed(SDIST, b"evil")],
            LOCK,
        );
        assert_eq!(
            statuses(&verdict),
            [
                (Status::Adopted, WHEEL),
                (Status::Republished, SDIST),
                (Status::Unmatched, "")
            ]
        );
        assert_eq!(verdict.artifacts[1].recorded, [sha(b"s")]);
        assert_eq!(verdict.outcome(), Outcome::Fail);
    }

    #[test]
    fn a_pin_whose_hashes_match_nothing_is_refused() {
        let record = record(&[(SDIST, b"s")]);
        let verdict = judge(&record, &[listed("pkg-2.0.tar.gz", b"t")], LOCK);
        assert!(
            statuses(&verdict).contains(&(Status::NothingMatches, "")),
            "{verdict:?}"
        );
        assert_eq!(verdict.outcome(), Outcome::Fail);
    }

    #[test]
    fn an_index_that_declares_a_wrong_digest_fails() {
        let mut lying = listed(SDIST, b"s");
        lying.file.declared = vec![sha(b"other")];
        let verdict = judge(&Record::default(), &[lying.clone()], LOCK);
        assert_eq!(statuses(&verdict), [(Status::IndexMismatch, SDIST)]);
        assert_eq!(verdict.outcome(), Outcome::Fail);
        let verdict = judge(&record(&[(SDIST, b"s")]), &[lying], LOCK);
        assert_eq!(statuses(&verdict), [(Status::IndexMismatch, SDIST)]);
        assert_eq!(verdict.artifacts[0].declared, [sha(b"other")]);
    }

    #[test]
    fn an_index_confirms_records_but_never_supplies_a_hash() {
        let record = record(&[(SDIST, b"s")]);
        let mut file = listed(SDIST, b"s").file;
        assert_eq!(confirmed_by_index(&record, &file), None);
        file.declared = vec![sha(b"s")];
        assert_eq!(confirmed_by_index(&record, &file), Some(vec![sha(b"s")]));
        // A file the entry does not record is never confirmed, whatever is declared.
        assert_eq!(confirmed_by_index(&Record::default(), &file), None);
        let confirmed = Sighting {
            file,
            listed: true,
            bytes: Bytes::ConfirmedByIndex(vec![sha(b"s")]),
        };
        let verdict = judge(&record, &[confirmed], LOCK);
        assert_eq!(statuses(&verdict), [(Status::Verified, SDIST)]);
    }

    #[test]
    fn a_check_tells_missing_moved_and_unread_apart() {
        let record = record(&[(SDIST, b"s")]);
        let mut moved = listed(SDIST, b"s");
        moved.file.url = Url::parse("https://mirror.example/pkg-1.0.tar.gz").unwrap();
        let verdict = judge(&record, &[moved.clone()], CHECK);
        assert_eq!(statuses(&verdict), [(Status::Moved, SDIST)]);
        assert_eq!(verdict.artifacts[0].why, Some(Why::NewUrl));
        assert_eq!(
            verdict.artifacts[0].current_url.as_deref(),
            Some("https://mirror.example/pkg-1.0.tar.gz")
        );
        // The recorded URL answering 404 is said, too.
        let at_recorded = Sighting {
            file: Candidate::given(SDIST, &url(SDIST)),
            listed: false,
            bytes: Bytes::Gone,
        };
        let verdict = judge(&record, &[at_recorded.clone(), moved.clone()], CHECK);
        assert_eq!(verdict.artifacts[0].why, Some(Why::RecordedUrlGone));
        // Listed but answering 404 is missing; a failed download is no verdict at all.
        let mut gone = listed(SDIST, b"s");
        gone.bytes = Bytes::Gone;
        let verdict = judge(&record, &[gone.clone()], CHECK);
        assert_eq!(statuses(&verdict), [(Status::Missing, SDIST)]);
        assert_eq!(verdict.artifacts[0].why, Some(Why::NotFound));
        gone.bytes = Bytes::Unread;
        assert!(judge(&record, &[gone], CHECK).artifacts.is_empty());
    }

    #[test]
    fn one_file_judged_alone_passes_retries_or_fails() {
        let record = record(&[(SDIST, b"s"), (WHEEL, b"w")]);
        let judged = |sighting: Sighting| {
            let verdict = judge(&record, &[sighting], VERIFY);
            (verdict.artifacts[0].status, verdict.outcome())
        };
        assert_eq!(
            judged(listed(WHEEL, b"w")),
            (Status::Verified, Outcome::Pass)
        );
        assert_eq!(
            judged(listed(WHEEL, b"x")),
            (Status::Changed, Outcome::Fail)
        );
        let other = "pkg-1.0-cp311-cp311-win_amd64.whl";
        assert_eq!(
            judged(listed(other, b"x")),
            (Status::NotRecorded, Outcome::Retry)
        );
        assert_eq!(
            judged(listed(other, b"w")),
            (Status::Renamed, Outcome::Warn)
        );
        let mut elsewhere = listed(WHEEL, b"w");
        elsewhere.file.url = Url::parse("https://mirror.example/x.whl").unwrap();
        assert_eq!(judged(elsewhere), (Status::Moved, Outcome::Warn));
        // Records of files not shown are not judged at all.
        assert_eq!(
            judge(&record, &[listed(WHEEL, b"w")], VERIFY)
                .artifacts
                .len(),
            1
        );
        // Hashes without filenames cannot tell a new file from a changed one.
        let verdict = judge(&bare(&[sha(b"s")]), &[listed(WHEEL, b"w")], VERIFY);
        assert_eq!(statuses(&verdict), [(Status::NoMatch, WHEEL)]);
        assert_eq!(verdict.outcome(), Outcome::Fail);
    }

    #[test]
    fn a_direct_url_stands_for_its_one_file() {
        let record = Record {
            hashes: vec![sha(b"s")],
            direct: Some((SDIST.into(), url(SDIST).to_string())),
            ..Record::default()
        };
        let verdict = judge(&record, &[listed(SDIST, b"evil")], VERIFY);
        assert_eq!(statuses(&verdict), [(Status::Changed, SDIST)]);
        let verdict = judge(&record, &[listed(SDIST, b"evil")], LOCK);
        assert_eq!(statuses(&verdict), [(Status::Changed, SDIST)]);
        assert_eq!(verdict.outcome(), Outcome::Fail);
    }

    #[test]
    fn a_yank_is_worth_a_warning() {
        let mut yanked = listed(SDIST, b"s");
        yanked.file.yanked = Some("broken".into());
        let verdict = judge(&record(&[(SDIST, b"s")]), &[yanked], LOCK);
        assert_eq!(statuses(&verdict), [(Status::Verified, SDIST)]);
        assert_eq!(verdict.outcome(), Outcome::Warn);
    }

    #[test]
    fn every_record_of_a_file_holds_whatever_their_order() {
        // Right first, wrong second: a command judging one file must still refuse it.
        let (record, wrong) = wheel_with_a_wrong_sha512();
        let verdict = judge(&record, &[listed(WHEEL, b"w")], VERIFY);
        assert_eq!(verdict.outcome(), Outcome::Fail);
        let gravest = verdict.gravest().unwrap();
        assert_eq!(
            (gravest.status, &gravest.recorded),
            (Status::Changed, &vec![wrong])
        );
        // The record's algorithms are all computed, not only those of `--hash` options.
        let file = listed(WHEEL, b"w").file;
        assert!(
            algorithms_for(&record, &file, HashAlgorithm::Sha256).contains(&HashAlgorithm::Sha512)
        );
    }

    #[test]
    fn a_file_that_answers_404_cannot_hide_a_republished_one() {
        let record = bare(&[sha(b"w"), sha(b"s")]);
        let mut decoy = listed("pkg-1.0-py2-none-any.whl", b"");
        decoy.bytes = Bytes::Gone;
        let verdict = judge(
            &record,
            &[listed(WHEEL, b"evil"), listed(SDIST, b"s"), decoy.clone()],
            CHECK,
        );
        assert_eq!(verdict.outcome(), Outcome::Fail, "{verdict:?}");
        assert!(statuses(&verdict).contains(&(Status::Republished, WHEEL)));
        // A download that failed, though, leaves the question open.
        decoy.bytes = Bytes::Unread;
        let verdict = judge(
            &record,
            &[listed(WHEEL, b"evil"), listed(SDIST, b"s"), decoy],
            CHECK,
        );
        assert!(!statuses(&verdict).contains(&(Status::Republished, WHEEL)));
    }

    #[test]
    fn an_index_confirmation_never_becomes_a_record() {
        // A caller handing the judge an index's word for a file nothing records gets nothing
        // recorded, in a first lock or a deliberate re-record.
        let confirmed = Sighting {
            file: listed(SDIST, b"s").file,
            listed: true,
            bytes: Bytes::ConfirmedByIndex(vec![sha(b"s")]),
        };
        for policy in [LOCK, UPDATE] {
            let verdict = judge(&Record::default(), std::slice::from_ref(&confirmed), policy);
            assert!(verdict.artifacts.is_empty(), "{verdict:?}");
            assert!(verdict.pins.hashes.is_empty() && verdict.accepted.hashes.is_empty());
        }
        // Nor may it confirm another hash than the one recorded for that file.
        let verdict = judge(&record(&[(WHEEL, b"s")]), &[confirmed], LOCK);
        assert!(verdict.pins.provenance.iter().all(|p| p.filename == WHEEL));
    }

    #[test]
    fn an_index_that_contradicts_itself_is_not_taken_at_its_word() {
        let record = record(&[(SDIST, b"s")]);
        let mut file = listed(SDIST, b"s").file;
        file.declared = vec![sha(b"s"), sha(b"other")];
        assert_eq!(confirmed_by_index(&record, &file), None);
        // A digest in an algorithm nothing records does not stand in the way.
        file.declared = vec![
            sha(b"s"),
            digests(b"s").get(HashAlgorithm::Sha512).unwrap().clone(),
        ];
        assert!(confirmed_by_index(&record, &file).is_some());
    }

    #[test]
    fn an_entry_that_records_nothing_cannot_outvote_one_that_records() {
        use crate::lockfile::{Lookup, PinIndex};
        use crate::requirements::load::{Loaded, Role};
        let text = format!(
            "pkg==1.0 ; sys_platform != 'win32' --hash={}\n    # hashpin: {WHEEL} {} {}\npkg==1.0 ; sys_platform == 'win32'\n",
            sha(b"w"),
            sha(b"w"),
            url(WHEEL)
        );
        let loaded = vec![Loaded {
            document: crate::requirements::parse(std::path::Path::new("r.txt"), text, &|_| None)
                .unwrap(),
            role: Role::Requirements,
            includes: Vec::new(),
            root: Some(0),
        }];
        let pins = PinIndex::new(&loaded);
        let Lookup::Pinned(found) = pins.lookup(&crate::name::PackageName::new("pkg"), "1.0")
        else {
            panic!("both entries pin 1.0");
        };
        let first_use = Policy::new(Scope::Files, Recording::FirstUse);
        let (pin, verdict) = judge_among(&found, &listed(WHEEL, b"evil"), first_use).unwrap();
        assert_eq!(pin.line.number, 1);
        assert_eq!(verdict.outcome(), Outcome::Fail);
        let (_, verdict) = judge_among(&found, &listed(WHEEL, b"w"), first_use).unwrap();
        assert_eq!(verdict.outcome(), Outcome::Pass);
        // With nothing recorded anywhere, the first sighting is recorded.
        let (_, verdict) = judge_among(&found[1..], &listed(WHEEL, b"evil"), first_use).unwrap();
        assert_eq!(statuses(&verdict), [(Status::RecordedNow, WHEEL)]);
    }

    #[test]
    fn a_hash_no_provenance_line_names_is_a_finding_where_provenance_is_recorded() {
        // See: https://github.com/hashpin/hashpin/issues/8
        let mut record = record(&[(WHEEL, b"w"), (SDIST, b"s")]);
        record.hashes.push(sha(b"evil"));
        let shown = [listed(WHEEL, b"w"), listed(SDIST, b"s")];
        let verdict = judge(&record, &shown, LOCK);
        assert!(
            statuses(&verdict).contains(&(Status::Inconsistent, "")),
            "{verdict:?}"
        );
        assert_eq!(verdict.outcome(), Outcome::Fail);
        assert_eq!(judge(&record, &shown, CHECK).outcome(), Outcome::Fail);
        // `--update` re-records: the stray hash goes, and that is reported, not refused.
        let updated = judge(&record, &shown, UPDATE);
        assert_eq!(updated.outcome(), Outcome::Warn);
        assert!(!updated.pins.hashes.contains(&sha(b"evil")));
        // A file judged alone that has only that hash is refused, under any name.
        for name in [WHEEL, "pkg-1.0-cp311-cp311-win_amd64.whl"] {
            let verdict = judge(&record, &[listed(name, b"evil")], VERIFY);
            assert_eq!(verdict.outcome(), Outcome::Fail, "{name}: {verdict:?}");
        }
        // Without any provenance, hashes without filenames are simply adopted.
        let verdict = judge(&bare(&[sha(b"w")]), &[listed(WHEEL, b"w")], VERIFY);
        assert_eq!(verdict.outcome(), Outcome::Pass);
    }

    #[test]
    fn a_provenance_line_whose_hash_pip_is_not_given_is_a_finding() {
        // See: https://github.com/hashpin/hashpin/issues/8
        let mut record = record(&[(WHEEL, b"w"), (SDIST, b"s")]);
        // The wheel's `--hash` edited; its provenance line left as it was.
        record.hashes.retain(|hash| *hash != sha(b"w"));
        record.hashes.push(sha(b"edited"));
        let shown = [listed(WHEEL, b"w"), listed(SDIST, b"s")];
        let verdict = judge(&record, &shown, LOCK);
        assert!(statuses(&verdict).contains(&(Status::Inconsistent, WHEEL)));
        assert!(statuses(&verdict).contains(&(Status::Inconsistent, "")));
        assert_eq!(verdict.outcome(), Outcome::Fail);
        assert_eq!(verdict.pins.hashes, record.hashes, "nothing rewritten");
        let verdict = judge(&record, &[listed(WHEEL, b"w")], VERIFY);
        assert_eq!(verdict.outcome(), Outcome::Fail);
    }

    /// A listed file whose bytes are not an archive.
    fn page(filename: &str, bytes: &[u8]) -> Sighting {
        let mut sighting = listed(filename, bytes);
        sighting.bytes = Bytes::NotAnArchive(digests(bytes), "an HTML page of 9 bytes".into());
        sighting
    }

    #[test]
    fn bytes_that_are_not_an_archive_are_never_recorded() {
        // See: https://github.com/hashpin/hashpin/issues/8
        let verdict = judge(
            &Record::default(),
            &[listed(SDIST, b"s"), page(WHEEL, b"<html>")],
            LOCK,
        );
        assert_eq!(
            statuses(&verdict),
            [(Status::RecordedNow, SDIST), (Status::NotAnArchive, WHEEL)]
        );
        assert_eq!(verdict.outcome(), Outcome::Fail);
        assert!(Status::NotAnArchive.is_operational());
        assert!(!Status::Changed.is_operational());
        assert_eq!(
            verdict.artifacts[1].arrived.as_deref(),
            Some("an HTML page of 9 bytes")
        );
        assert!(
            !verdict.pins.hashes.contains(&sha(b"<html>")),
            "{verdict:?}"
        );
        assert!(verdict.pins.provenance.iter().all(|p| p.filename == SDIST));
        // Judged alone, as `install` judges pip's choice.
        let first_use = Policy::new(Scope::Files, Recording::FirstUse);
        let alone = judge(&Record::default(), &[page(WHEEL, b"<html>")], first_use);
        assert_eq!(statuses(&alone), [(Status::NotAnArchive, WHEEL)]);
        // Nor does a deliberate re-record take them.
        let record = record(&[(WHEEL, b"w")]);
        let updated = judge(&record, &[page(WHEEL, b"<html>")], UPDATE);
        assert_eq!(statuses(&updated), [(Status::NotAnArchive, WHEEL)]);
        assert_eq!(updated.outcome(), Outcome::Fail);
        assert_eq!(updated.pins.hashes, [sha(b"w")]);
        // One error page served for both files of a release: both are refused.
        let twice = judge(
            &Record::default(),
            &[page(SDIST, b"<html>"), page(WHEEL, b"<html>")],
            LOCK,
        );
        assert_eq!(
            statuses(&twice),
            [(Status::NotAnArchive, SDIST), (Status::NotAnArchive, WHEEL)]
        );
        assert!(twice.pins.hashes.is_empty(), "{twice:?}");
    }

    #[test]
    fn bytes_that_are_not_an_archive_are_held_to_records_as_before() {
        // See: https://github.com/hashpin/hashpin/issues/8
        let record = record(&[(WHEEL, b"w")]);
        let verdict = judge(&record, &[page(WHEEL, b"<html>")], LOCK);
        assert_eq!(statuses(&verdict), [(Status::Changed, WHEEL)]);
        assert!(!verdict.artifacts[0].status.is_operational());
        assert_eq!(
            verdict.artifacts[0].arrived.as_deref(),
            Some("an HTML page of 9 bytes")
        );
        assert_eq!(verdict.pins.hashes, record.hashes);
        // Bytes someone recorded, even an error page, match their record; a hash recorded
        // without a filename is adopted: it adds only the provenance line.
        let verdict = judge(&record, &[page(WHEEL, b"w")], LOCK);
        assert_eq!(statuses(&verdict), [(Status::Verified, WHEEL)]);
        let verdict = judge(&bare(&[sha(b"w")]), &[page(WHEEL, b"w")], LOCK);
        assert_eq!(statuses(&verdict), [(Status::Adopted, WHEEL)]);
        assert_eq!(verdict.pins.provenance, [provenance(WHEEL, b"w")]);
    }

    #[test]
    fn new_bytes_of_a_file_recorded_by_name_are_never_recorded_without_update() {
        // What `records_file` promises the downloads that skip examining such bytes.
        let record = record(&[(WHEEL, b"w")]);
        let renamed = listed("PKG-1.0-py3-none-any.whl", b"<html>");
        assert!(records_file(&record, &renamed.file));
        assert!(!records_file(&record, &listed(SDIST, b"s").file));
        assert!(!records_file(&bare(&[sha(b"w")]), &renamed.file));
        for policy in [LOCK, CHECK, VERIFY] {
            let verdict = judge(&record, std::slice::from_ref(&renamed), policy);
            assert_eq!(verdict.pins.hashes, record.hashes, "{policy:?}");
        }
    }

    #[test]
    fn a_wrong_digest_in_any_algorithm_is_a_lie() {
        // See: https://github.com/hashpin/hashpin/issues/8
        let mut hasher = Hasher::new([HashAlgorithm::Sha256, HashAlgorithm::Md5]);
        hasher.update(b"other");
        let wrong_md5 = hasher.finish().get(HashAlgorithm::Md5).unwrap().clone();
        let mut hasher = Hasher::new([HashAlgorithm::Sha256, HashAlgorithm::Md5]);
        hasher.update(b"s");
        let bytes = hasher.finish();
        let mut lying = Sighting::given(SDIST, &url(SDIST), bytes.clone());
        lying.file.declared = vec![sha(b"s"), wrong_md5.clone()];
        for record in [Record::default(), record(&[(SDIST, b"s")])] {
            let verdict = judge(&record, std::slice::from_ref(&lying), LOCK);
            assert_eq!(statuses(&verdict), [(Status::IndexMismatch, SDIST)]);
            let judged = &verdict.artifacts[0];
            assert_eq!(judged.declared, std::slice::from_ref(&wrong_md5));
            // Shown against the md5 of the bytes.
            assert_eq!(judged.observed.as_ref(), bytes.get(HashAlgorithm::Md5));
        }
        // A right md5 is no finding, and is never recorded.
        lying.file.declared = vec![bytes.get(HashAlgorithm::Md5).unwrap().clone()];
        let verdict = judge(&Record::default(), &[lying], LOCK);
        assert_eq!(statuses(&verdict), [(Status::RecordedNow, SDIST)]);
        assert_eq!(verdict.pins.hashes, [sha(b"s")]);
    }

    #[test]
    fn a_line_added_beside_a_locked_entry_cannot_vouch_for_other_bytes() {
        // See: https://github.com/hashpin/hashpin/issues/8 (found in review)
        use crate::lockfile::{Lookup, PinIndex};
        use crate::requirements::load::{Loaded, Role};
        let text = format!(
            "pkg==1.0 --hash={w}\n    # hashpin: {WHEEL} {w} {}\npkg==1.0 --hash={evil}\n",
            url(WHEEL),
            w = sha(b"w"),
            evil = sha(b"evil"),
        );
        let loaded = vec![Loaded {
            document: crate::requirements::parse(std::path::Path::new("r.txt"), text, &|_| None)
                .unwrap(),
            role: Role::Requirements,
            includes: Vec::new(),
            root: Some(0),
        }];
        let pins = PinIndex::new(&loaded);
        let Lookup::Pinned(found) = pins.lookup(&crate::name::PackageName::new("pkg"), "1.0")
        else {
            panic!("both entries pin 1.0");
        };
        let (_, verdict) = judge_among(&found, &listed(WHEEL, b"evil"), VERIFY).unwrap();
        assert_eq!(verdict.outcome(), Outcome::Fail);
        // The genuine file fails the added line too: the lockfile contradicts itself.
        let (_, verdict) = judge_among(&found, &listed(WHEEL, b"w"), VERIFY).unwrap();
        assert_eq!(verdict.outcome(), Outcome::Fail);
    }
}
