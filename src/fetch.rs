//! Downloading artifacts: the only door to the network for artifact bytes.
//!
//! Each download is hashed while it streams (one pass, a 64 KiB buffer, constant memory) and,
//! when a cache is given, written to it at the same time. A transfer that breaks or ends short
//! of its `Content-Length` is retried like a 5xx. Several downloads run at once on a bounded
//! number of threads.
//!
//! Every download is held to limits, so that a hostile index can neither fill the disk nor keep
//! hashpin reading forever (issue 8): the size the index's listing declares (PEP 700), the
//! `Content-Length` the server announces, and `--max-artifact-size`. A body announced past a
//! limit is refused before it is read, and one that runs past it is cut off there. Before a byte
//! is written to disk the file system must have room for what is announced with
//! [`KEEP_FREE`] to spare, and a body of unknown length checks again as it grows. Nothing of a
//! refused download is kept.
//!
//! Asked to ([`fetch_examined`]), a download is also examined before it is handed back: whether
//! its bytes are the archive its filename promises ([`crate::inspect::examine`]), so that the
//! judge can refuse to record an error page or a body cut short (issue 8). The bytes are read
//! from the cached copy, or, without a cache, from a private temporary file removed afterwards.
//! Bytes that are not an archive are not kept in the cache.

use std::fmt;
use std::io::{Read, Write};
use std::path::{Path, PathBuf};
use std::time::Duration;

use url::Url;

use crate::cache::Cache;
use crate::hash::{Digests, HashAlgorithm, HashDigest, Hasher};
use crate::index::retry::{self, Attempt};
use crate::index::{Client, IndexError, Reply, with_effort};
use crate::inspect::{self, Shape};
use crate::safe_url::Redacted;
use crate::size::Size;

/// A download never leaves less than this free on the file system it writes to, so that other
/// programs (and the lockfile write that follows) still find room.
pub(crate) const KEEP_FREE: u64 = 64 * 1024 * 1024;

/// How many bytes a body of unknown length may write between two checks of the free space.
const SPACE_CHECK_EVERY: u64 = 16 * 1024 * 1024;

/// One artifact to download.
#[derive(Debug, Clone)]
pub(crate) struct FetchRequest {
    /// Where from.
    pub(crate) url: Url,
    /// Digests to compute besides sha256.
    pub(crate) algorithms: Vec<HashAlgorithm>,
}

/// What to examine a download for once its bytes are in.
#[derive(Debug, Clone)]
pub(crate) struct Examine {
    /// The filename the bytes are listed under, which promises what they are.
    pub(crate) filename: String,
    /// Hashes already recorded for the file: bytes that have one of them add nothing to a
    /// lockfile, so they need no examination.
    pub(crate) recorded: Vec<HashDigest>,
    /// The strong digests the index declares for the file: bytes with one of them are the
    /// file the index published (not an error page, not a body cut on the way), so only their
    /// outward shape is examined, not a gzip stream read to its end.
    pub(crate) declared: Vec<HashDigest>,
    /// Whether what the examination says could only explain a refusal, never prevent a record
    /// (every entry that lists the file records it by name, and none re-records): then, with
    /// no cache, the bytes are not copied to a temporary file just to be examined.
    pub(crate) only_explains: bool,
}

/// A downloaded artifact.
#[derive(Debug, Clone)]
pub(crate) struct Fetched {
    /// Its digests and size.
    pub(crate) digests: Digests,
    /// Where its bytes are kept, when a cache was used (never for bytes that are not an
    /// archive).
    pub(crate) cached: Option<PathBuf>,
    /// What the bytes turned out to be, when they were examined.
    pub(crate) shape: Shape,
}

/// A file that is not there, and who said so.
#[derive(Debug)]
pub(crate) struct Absent {
    /// The URL (redacted) or local path.
    pub(crate) location: String,
    /// The HTTP status that said so (404 or 410); `None` for a local path.
    pub(crate) status: Option<u16>,
}

impl fmt::Display for Absent {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let location = &self.location;
        match self.status {
            Some(404) => write!(f, "`{location}` answered 404 Not Found"),
            Some(410) => write!(f, "`{location}` answered 410 Gone"),
            Some(status) => write!(f, "`{location}` answered HTTP {status}"),
            None => write!(f, "`{location}` does not exist"),
        }
    }
}

/// The most bytes a download may have, and who says so.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Bound {
    /// The size the index's listing declares for the file (PEP 700).
    Declared(u64),
    /// `--max-artifact-size`.
    Maximum(u64),
}

impl Bound {
    /// The number of bytes.
    fn bytes(self) -> u64 {
        match self {
            Self::Declared(bytes) | Self::Maximum(bytes) => bytes,
        }
    }

    /// What to do about a download past this bound.
    fn hint(self) -> &'static str {
        match self {
            Self::Declared(_) => {
                "the index's listing and the file it serves disagree: a broken mirror, or an index not to be trusted"
            }
            Self::Maximum(_) => {
                "if the artifact really is that large, raise `--max-artifact-size` (or `HASHPIN_MAX_ARTIFACT_SIZE`)"
            }
        }
    }
}

impl fmt::Display for Bound {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Declared(bytes) => write!(
                f,
                "the {} the index declares as its PEP 700 `size`",
                Size(*bytes)
            ),
            Self::Maximum(bytes) => write!(
                f,
                "the {} maximum per artifact of `--max-artifact-size`",
                Size(*bytes)
            ),
        }
    }
}

/// A size announced for a download before its body is read.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Claim {
    /// The server's `Content-Length`.
    ContentLength(u64),
    /// The index's listing (PEP 700 `size`).
    Declared(u64),
}

impl fmt::Display for Claim {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::ContentLength(bytes) => {
                write!(f, "`Content-Length` announces {}", Size(*bytes))
            }
            Self::Declared(bytes) => write!(
                f,
                "the index declares {} as its PEP 700 `size`",
                Size(*bytes)
            ),
        }
    }
}

/// The limits one download is held to.
#[derive(Debug, Clone, Copy)]
struct Limits {
    /// The size the index declares, if it does.
    declared: Option<u64>,
    /// `--max-artifact-size`.
    maximum: u64,
}

impl Limits {
    /// The limits for a download from `url` through `client`.
    fn for_url(client: &Client, url: &Url) -> Self {
        Self {
            declared: client.declared_size(url),
            maximum: client.settings().max_artifact_size,
        }
    }

    /// The tightest bound.
    fn bound(self) -> Bound {
        match self.declared {
            Some(declared) if declared <= self.maximum => Bound::Declared(declared),
            _ => Bound::Maximum(self.maximum),
        }
    }

    /// The bound a size announced before the body goes past, if any.
    fn exceeded_by(self, bytes: u64) -> Option<Bound> {
        let bound = self.bound();
        (bytes > bound.bytes()).then_some(bound)
    }
}

/// Why a download failed.
#[derive(Debug, thiserror::Error)]
pub(crate) enum FetchError {
    /// The request failed.
    #[error(transparent)]
    Index(#[from] IndexError),
    /// The file is not there: the server said so (404 or 410), or a local path does not exist.
    #[error("{0}")]
    NotFound(Absent),
    /// The transfer ended early, every time it was tried.
    #[error("download of `{url}` ended after {received} of {expected} bytes{}", retries_text(*.retries))]
    Truncated {
        /// The URL, redacted.
        url: String,
        /// Bytes received.
        received: u64,
        /// Bytes announced.
        expected: u64,
        /// Retries made.
        retries: u32,
    },
    /// A size announced before the body was read is past a limit: nothing was read.
    #[error("refusing `{url}`: {claim}, more than {bound}; nothing was downloaded\nhint: {}", bound.hint())]
    Announced {
        /// The URL, redacted.
        url: String,
        /// What was announced.
        claim: Claim,
        /// The limit it goes past.
        bound: Bound,
    },
    /// The body ran past a limit and was cut off there; nothing of it was kept.
    #[error("stopped downloading `{url}`: the body ran past {bound} and had not ended; nothing was kept\nhint: {}", bound.hint())]
    TooLarge {
        /// The URL, redacted.
        url: String,
        /// The limit it ran past.
        bound: Bound,
    },
    /// The whole body arrived, and it is shorter than the index declares.
    #[error("download of `{url}` ended after {}, but the index declares {} as its PEP 700 `size`; nothing was kept\nhint: {}", Size(*.received), Size(*.declared), Bound::Declared(*.declared).hint())]
    ShorterThanDeclared {
        /// The URL, redacted.
        url: String,
        /// Bytes received.
        received: u64,
        /// Bytes the index declares.
        declared: u64,
    },
    /// The file system the download is written to has too little room left.
    #[error("not enough free space in `{}` for `{url}`: {} free, {}\nhint: free some space, or set `HASHPIN_CACHE_DIR` (or, with `--no-cache`, `TMPDIR`) to a roomier place", .directory.display(), Size(*.available), room_wanted(*.needed))]
    NoSpace {
        /// The URL, redacted.
        url: String,
        /// Where the download was being written.
        directory: PathBuf,
        /// Bytes free there.
        available: u64,
        /// Bytes still to come, when known.
        needed: Option<u64>,
    },
    /// A local file could not be read, or the cache could not be written.
    #[error("`{path}`: {source}")]
    Io {
        /// The path.
        path: String,
        /// Why.
        source: std::io::Error,
    },
}

fn retries_text(retries: u32) -> String {
    if retries == 0 {
        String::new()
    } else {
        format!(" (after {retries} retries)")
    }
}

/// What a download short of room needed, in words.
fn room_wanted(needed: Option<u64>) -> String {
    match needed {
        Some(needed) => format!(
            "{} still to come and {} to leave free",
            Size(needed),
            Size(KEEP_FREE)
        ),
        None => format!(
            "with more of the body still coming and {} to leave free",
            Size(KEEP_FREE)
        ),
    }
}

/// Downloads and hashes one artifact.
pub(crate) fn fetch(
    client: &Client,
    cache: Option<&Cache>,
    request: &FetchRequest,
) -> Result<Fetched, FetchError> {
    fetch_with(client, cache, request, None)
}

/// Downloads and hashes one artifact, and examines what arrived: whether it is the archive
/// `examine.filename` promises. Without a cache the bytes go to a private temporary file for
/// that, removed afterwards, unless the examination could only explain a refusal.
pub(crate) fn fetch_examined(
    client: &Client,
    cache: Option<&Cache>,
    request: &FetchRequest,
    examine: &Examine,
) -> Result<Fetched, FetchError> {
    fetch_with(client, cache, request, Some(examine))
}

fn fetch_with(
    client: &Client,
    cache: Option<&Cache>,
    request: &FetchRequest,
    examine: Option<&Examine>,
) -> Result<Fetched, FetchError> {
    let limits = Limits::for_url(client, &request.url);
    let shown = Redacted(&request.url).to_string();
    let examine = examine.filter(|examine| cache.is_some() || !examine.only_explains);
    if request.url.scheme() == "file" {
        return fetch_local(cache, request, examine, limits, &shown);
    }
    // A listing that declares more than the maximum needs no request to be refused.
    if let Some(declared) = limits.declared
        && declared > limits.maximum
    {
        return Err(FetchError::Announced {
            url: shown,
            claim: Claim::Declared(declared),
            bound: Bound::Maximum(limits.maximum),
        });
    }
    let outcome = retry::run(client.retry_policy(), || {
        let response = match client.get_once(&request.url, "*/*") {
            Attempt::Done(Ok(Reply::Found(response))) => response,
            Attempt::Done(Ok(Reply::Absent(status))) => {
                return Attempt::Done(Err(FetchError::NotFound(Absent {
                    location: shown.clone(),
                    status: Some(status),
                })));
            }
            Attempt::Done(Err(error)) => return Attempt::Done(Err(error.into())),
            Attempt::Retry(error, after) => return Attempt::Retry(error.into(), after),
            Attempt::RetryAtMost(error, at_most) => {
                return Attempt::RetryAtMost(error.into(), at_most);
            }
        };
        let announced = response.content_length();
        if let Some(announced) = announced
            && let Some(bound) = limits.exceeded_by(announced)
        {
            return Attempt::Done(Err(FetchError::Announced {
                url: shown.clone(),
                claim: Claim::ContentLength(announced),
                bound,
            }));
        }
        let mut spool = match Spool::for_download(cache, examine.is_some()) {
            Ok(spool) => spool,
            Err(error) => return Attempt::Done(Err(cache_error(cache, error))),
        };
        let expected = announced.or(limits.declared);
        let started = std::time::Instant::now();
        let digests = match stream(
            response,
            spool.as_mut(),
            &request.algorithms,
            limits,
            expected,
        ) {
            Ok(digests) => digests,
            Err(StreamError::Read(error)) => {
                return Attempt::Retry(
                    FetchError::Index(IndexError::Network {
                        url: shown.clone(),
                        message: format!("transfer broke off: {error}"),
                        hint: None,
                        retries: 0,
                        elapsed: Duration::ZERO,
                    }),
                    None,
                );
            }
            Err(error) => return Attempt::Done(Err(error.into_fetch_error(&shown, cache))),
        };
        crate::report::trace(|| {
            let elapsed = started.elapsed();
            format!(
                "    body of {shown}: {} in {} ms ({:.0} MB/s), hashed",
                crate::size::Size(digests.size),
                elapsed.as_millis(),
                digests.size as f64 / 1e6 / elapsed.as_secs_f64().max(1e-6)
            )
        });
        // A body that ends short of its `Content-Length` broke off: try again.
        if let Some(announced) = announced
            && digests.size != announced
        {
            return Attempt::Retry(
                FetchError::Truncated {
                    url: shown.clone(),
                    received: digests.size,
                    expected: announced,
                    retries: 0,
                },
                None,
            );
        }
        // A body the server calls complete that is short of what the index declares: the two
        // disagree, and asking again will not change that.
        if let Some(declared) = limits.declared
            && digests.size != declared
        {
            return Attempt::Done(Err(FetchError::ShorterThanDeclared {
                url: shown.clone(),
                received: digests.size,
                declared,
            }));
        }
        Attempt::Done(keep(cache, spool, digests, examine, None))
    });
    outcome.result.map_err(|error| match error {
        FetchError::Index(error) => {
            FetchError::Index(with_effort(error, outcome.retries, outcome.elapsed))
        }
        FetchError::Truncated {
            url,
            received,
            expected,
            ..
        } => FetchError::Truncated {
            url,
            received,
            expected,
            retries: outcome.retries,
        },
        other => other,
    })
}

/// The fetched artifact: examined when asked (from the spool, else from `original`, a local
/// file), and its copy moved into the cache under its sha256 unless it is not an archive. A
/// spool not kept is removed as it is dropped.
fn keep(
    cache: Option<&Cache>,
    spool: Option<Spool>,
    digests: Digests,
    examine: Option<&Examine>,
    original: Option<&Path>,
) -> Result<Fetched, FetchError> {
    let already_recorded = |examine: &Examine| {
        examine
            .recorded
            .iter()
            .any(|hash| digests.get(hash.algorithm) == Some(hash))
    };
    let shape = match examine {
        Some(examine) if !already_recorded(examine) => {
            let path = spool.as_ref().map(|spool| spool.file.path()).or(original);
            match path {
                Some(path) => {
                    let published = examine
                        .declared
                        .iter()
                        .any(|hash| digests.get(hash.algorithm) == Some(hash));
                    let depth = if published {
                        inspect::Depth::Published
                    } else {
                        inspect::Depth::Whole
                    };
                    inspect::examine(path, &examine.filename, depth).map_err(|source| {
                        FetchError::Io {
                            path: path.display().to_string(),
                            source,
                        }
                    })?
                }
                None => Shape::Unexamined,
            }
        }
        _ => Shape::Unexamined,
    };
    // Already there (content-addressed): the copy is dropped, not moved over it.
    let already_cached = cache
        .filter(|_| spool.is_some())
        .and_then(|cache| cache.locate(digests.sha256()));
    let cached = match (cache, spool) {
        (Some(_), Some(_)) if already_cached.is_some() => already_cached,
        (Some(cache), Some(spool)) if !matches!(shape, Shape::NotAnArchive(_)) => {
            // Registered until it has moved: an interrupt before then removes it.
            let (file, _registration) = spool.file.into_parts();
            Some(
                cache
                    .store(file, digests.sha256())
                    .map_err(|error| cache_error(Some(cache), error))?,
            )
        }
        _ => None,
    };
    Ok(Fetched {
        digests,
        cached,
        shape,
    })
}

/// A cache that could not be written, as a download error.
fn cache_error(cache: Option<&Cache>, source: std::io::Error) -> FetchError {
    FetchError::Io {
        path: cache.map_or_else(
            || "the hashpin cache".to_string(),
            |cache| cache.root().display().to_string(),
        ),
        source,
    }
}

/// Why streaming a body stopped.
#[derive(Debug)]
enum StreamError {
    /// Reading the body failed: the transfer broke.
    Read(std::io::Error),
    /// Writing the copy failed.
    Write(std::io::Error),
    /// The body ran past its bound.
    TooLarge(Bound),
    /// The file system being written to ran short of room.
    NoSpace {
        /// Where.
        directory: PathBuf,
        /// Bytes free there.
        available: u64,
        /// Bytes still to come, when known.
        needed: Option<u64>,
    },
}

impl StreamError {
    /// The download error this stands for; a broken read is the caller's to retry.
    fn into_fetch_error(self, url: &str, cache: Option<&Cache>) -> FetchError {
        match self {
            Self::Read(error) | Self::Write(error) => cache_error(cache, error),
            Self::TooLarge(bound) => FetchError::TooLarge {
                url: url.to_string(),
                bound,
            },
            Self::NoSpace {
                directory,
                available,
                needed,
            } => FetchError::NoSpace {
                url: url.to_string(),
                directory,
                available,
                needed,
            },
        }
    }
}

/// A file a download is copied into as it streams, and a watch on the room left beside it.
struct Spool {
    /// The copy; removed when dropped unless it is moved into the cache, and by an interrupt
    /// (Ctrl-C) in the middle of a download.
    file: crate::interrupt::Temporary<tempfile::NamedTempFile>,
    /// The directory it is in, whose file system's free space is checked.
    directory: PathBuf,
    /// Bytes free on a path's file system (`fs4::available_space`; a test passes its own).
    available: fn(&Path) -> std::io::Result<u64>,
}

impl Spool {
    /// Where a download is copied: into the cache when there is one, else, when its bytes must
    /// be examined, into a private temporary file (mode 0600, in `TMPDIR`); else nowhere.
    fn for_download(cache: Option<&Cache>, examined: bool) -> std::io::Result<Option<Self>> {
        match cache {
            Some(cache) => Self::in_cache(cache).map(Some),
            None if examined => Self::private().map(Some),
            None => Ok(None),
        }
    }

    /// A private temporary file, removed when dropped.
    fn private() -> std::io::Result<Self> {
        let file = crate::interrupt::temporary(|| {
            tempfile::Builder::new()
                .prefix("hashpin-download-")
                .tempfile()
        })?;
        Ok(Self {
            directory: file
                .path()
                .parent()
                .map_or_else(std::env::temp_dir, Path::to_path_buf),
            file,
            available: |path| fs4::available_space(path),
        })
    }

    /// A temporary file inside the cache, on the file system of its final place.
    fn in_cache(cache: &Cache) -> std::io::Result<Self> {
        let file = crate::interrupt::temporary(|| cache.temporary())?;
        Ok(Self {
            directory: file
                .path()
                .parent()
                .map_or_else(|| cache.root().to_path_buf(), Path::to_path_buf),
            file,
            available: |path| fs4::available_space(path),
        })
    }

    /// Refuses to go on unless `needed` more bytes fit with [`KEEP_FREE`] to spare. When the
    /// free space cannot be read (a file system that does not say), the download goes on: the
    /// check guards against filling the disk, it is not a reason to refuse to work.
    fn check_room(&self, needed: Option<u64>) -> Result<(), StreamError> {
        let Ok(available) = (self.available)(&self.directory) else {
            return Ok(());
        };
        if available >= needed.unwrap_or(0).saturating_add(KEEP_FREE) {
            return Ok(());
        }
        Err(StreamError::NoSpace {
            directory: self.directory.clone(),
            available,
            needed,
        })
    }
}

/// Hashes a body as it arrives, copying it into the spool when there is one. Stops as soon as
/// the body runs past the limits' bound, and when the spool's file system runs short of room.
/// `expected` is the size announced for the body, if any, which must fit before a byte is
/// written.
fn stream(
    mut body: impl Read,
    mut spool: Option<&mut Spool>,
    algorithms: &[HashAlgorithm],
    limits: Limits,
    expected: Option<u64>,
) -> Result<Digests, StreamError> {
    let bound = limits.bound();
    let mut hasher = Hasher::new(algorithms.iter().copied().chain([HashAlgorithm::Sha256]));
    if let Some(spool) = &spool {
        spool.check_room(expected)?;
    }
    let mut received: u64 = 0;
    let mut unchecked: u64 = 0;
    let mut buffer = vec![0; 64 * 1024];
    loop {
        let read = match body.read(&mut buffer) {
            Ok(0) => break,
            Ok(read) => read,
            Err(error) if error.kind() == std::io::ErrorKind::Interrupted => continue,
            Err(error) => return Err(StreamError::Read(error)),
        };
        received += read as u64;
        if received > bound.bytes() {
            return Err(StreamError::TooLarge(bound));
        }
        hasher.update(&buffer[..read]);
        if let Some(spool) = spool.as_deref_mut() {
            unchecked += read as u64;
            if unchecked >= SPACE_CHECK_EVERY {
                unchecked = 0;
                spool.check_room(expected.map(|expected| expected.saturating_sub(received)))?;
            }
            spool
                .file
                .write_all(&buffer[..read])
                .map_err(StreamError::Write)?;
        }
    }
    Ok(hasher.finish())
}

fn fetch_local(
    cache: Option<&Cache>,
    request: &FetchRequest,
    examine: Option<&Examine>,
    limits: Limits,
    shown: &str,
) -> Result<Fetched, FetchError> {
    let path = request.url.to_file_path().map_err(|()| {
        FetchError::NotFound(Absent {
            location: request.url.to_string(),
            status: None,
        })
    })?;
    let io = |source: std::io::Error| FetchError::Io {
        path: path.display().to_string(),
        source,
    };
    let file = match fs_err::File::open(&path) {
        Ok(file) => file,
        Err(error) if error.kind() == std::io::ErrorKind::NotFound => {
            return Err(FetchError::NotFound(Absent {
                location: path.display().to_string(),
                status: None,
            }));
        }
        Err(error) => return Err(io(error)),
    };
    let size = file.metadata().map_err(io)?.len();
    let read_error = |error| match error {
        StreamError::Read(error) => io(error),
        other => other.into_fetch_error(shown, cache),
    };
    let digests =
        stream(file, None, &request.algorithms, limits, Some(size)).map_err(read_error)?;
    // A local file is examined where it is; only a cache that lacks its bytes needs a copy, so
    // that locking a directory of files again writes nothing.
    let mut spool = None;
    if let Some(cache) = cache.filter(|cache| !cache.contains(digests.sha256())) {
        let mut copy = Spool::in_cache(cache).map_err(|error| cache_error(Some(cache), error))?;
        let file = fs_err::File::open(&path).map_err(io)?;
        let copied = stream(
            file,
            Some(&mut copy),
            &request.algorithms,
            limits,
            Some(size),
        )
        .map_err(read_error)?;
        // Bytes that changed between the two reads are not cached under the first hash.
        if copied.sha256() == digests.sha256() {
            spool = Some(copy);
        }
    }
    keep(cache, spool, digests, examine, Some(&path))
}

/// Whether the URL names this machine (`localhost`, `127.0.0.0/8`, `::1`).
pub(crate) fn is_loopback(url: &Url) -> bool {
    match url.host() {
        Some(url::Host::Domain(name)) => name.eq_ignore_ascii_case("localhost"),
        Some(url::Host::Ipv4(address)) => address.is_loopback(),
        Some(url::Host::Ipv6(address)) => address.is_loopback(),
        None => false,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const LIMITS: Limits = Limits {
        declared: None,
        maximum: 1000,
    };

    /// A spool in a temporary directory whose file system reports `available` bytes free.
    fn spool(directory: &Path, available: fn(&Path) -> std::io::Result<u64>) -> Spool {
        Spool {
            file: crate::interrupt::temporary(|| tempfile::NamedTempFile::new_in(directory))
                .unwrap(),
            directory: directory.to_path_buf(),
            available,
        }
    }

    #[test]
    fn a_body_is_cut_at_the_tightest_bound() {
        let body = vec![b'x'; 1001];
        let error = stream(&body[..], None, &[], LIMITS, None).unwrap_err();
        assert!(matches!(error, StreamError::TooLarge(Bound::Maximum(1000))));
        let exact = stream(&body[..1000], None, &[], LIMITS, None).unwrap();
        assert_eq!(exact.size, 1000);
        let declared = Limits {
            declared: Some(10),
            ..LIMITS
        };
        assert_eq!(declared.bound(), Bound::Declared(10));
        let error = stream(&body[..], None, &[], declared, None).unwrap_err();
        assert!(matches!(error, StreamError::TooLarge(Bound::Declared(10))));
        // A declared size past the maximum does not loosen it.
        let generous = Limits {
            declared: Some(5000),
            ..LIMITS
        };
        assert_eq!(generous.bound(), Bound::Maximum(1000));
        assert_eq!(generous.exceeded_by(1001), Some(Bound::Maximum(1000)));
        assert_eq!(generous.exceeded_by(1000), None);
    }

    #[test]
    fn nothing_is_written_without_room_for_it() {
        let directory = tempfile::tempdir().unwrap();
        // Room for 100 bytes beyond what must stay free.
        let mut tight = spool(directory.path(), |_| Ok(KEEP_FREE + 100));
        let body = vec![b'x'; 500];
        let error = stream(&body[..], Some(&mut tight), &[], LIMITS, Some(500)).unwrap_err();
        assert!(
            matches!(
                error,
                StreamError::NoSpace {
                    available,
                    needed: Some(500),
                    ..
                } if available == KEEP_FREE + 100
            ),
            "{error:?}"
        );
        assert_eq!(fs_err::metadata(tight.file.path()).unwrap().len(), 0);
        // What fits is written.
        let digests = stream(&body[..100], Some(&mut tight), &[], LIMITS, Some(100)).unwrap();
        assert_eq!(digests.size, 100);
        // A file system that cannot say how much is free does not stop a download.
        let mut unknown = spool(directory.path(), |_| {
            Err(std::io::ErrorKind::Unsupported.into())
        });
        assert!(stream(&body[..], Some(&mut unknown), &[], LIMITS, Some(500)).is_ok());
    }

    #[test]
    fn a_body_of_unknown_length_stops_when_the_disk_runs_short() {
        let directory = tempfile::tempdir().unwrap();
        // Room to start with, but less than what must stay free once 16 MiB are written.
        let mut shrinking = spool(directory.path(), |path| {
            let written = fs_err::read_dir(path)?
                .map(|entry| entry.and_then(|entry| entry.metadata()).map(|m| m.len()))
                .sum::<std::io::Result<u64>>()?;
            Ok((KEEP_FREE + SPACE_CHECK_EVERY).saturating_sub(written))
        });
        let limits = Limits {
            declared: None,
            maximum: u64::MAX,
        };
        let endless = std::io::repeat(b'x').take(4 * SPACE_CHECK_EVERY);
        let error = stream(endless, Some(&mut shrinking), &[], limits, None).unwrap_err();
        assert!(
            matches!(error, StreamError::NoSpace { needed: None, .. }),
            "{error:?}"
        );
        let written = fs_err::metadata(shrinking.file.path()).unwrap().len();
        assert!(written <= 2 * SPACE_CHECK_EVERY, "{written}");
    }

    #[test]
    fn refusals_name_the_url_the_limit_and_what_arrived() {
        let url = "https://files.example/pkg-1.0.tar.gz".to_string();
        let announced = FetchError::Announced {
            url: url.clone(),
            claim: Claim::ContentLength(4 << 30),
            bound: Bound::Declared(10263),
        };
        insta::assert_snapshot!(announced.to_string(), @"
        refusing `https://files.example/pkg-1.0.tar.gz`: `Content-Length` announces 4 GiB, more than the 10263 bytes the index declares as its PEP 700 `size`; nothing was downloaded
        hint: the index's listing and the file it serves disagree: a broken mirror, or an index not to be trusted
        ");
        let cut = FetchError::TooLarge {
            url: url.clone(),
            bound: Bound::Maximum(16 << 30),
        };
        insta::assert_snapshot!(cut.to_string(), @"
        stopped downloading `https://files.example/pkg-1.0.tar.gz`: the body ran past the 16 GiB maximum per artifact of `--max-artifact-size` and had not ended; nothing was kept
        hint: if the artifact really is that large, raise `--max-artifact-size` (or `HASHPIN_MAX_ARTIFACT_SIZE`)
        ");
        let short = FetchError::NoSpace {
            url,
            directory: PathBuf::from("/home/me/.cache/hashpin/tmp"),
            available: 100 << 20,
            needed: Some(2 << 30),
        };
        insta::assert_snapshot!(short.to_string(), @"
        not enough free space in `/home/me/.cache/hashpin/tmp` for `https://files.example/pkg-1.0.tar.gz`: 100 MiB free, 2 GiB still to come and 64 MiB to leave free
        hint: free some space, or set `HASHPIN_CACHE_DIR` (or, with `--no-cache`, `TMPDIR`) to a roomier place
        ");
    }
}
