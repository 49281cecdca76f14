//! Downloading artifacts: the only door to the network for artifact bytes.
//!
//! Each download is hashed while it streams (one pass, a 64 KiB buffer, constant memory) and,
//! when a cache is given, written to it at the same time. A transfer that breaks or ends short
//! of its `Content-Length` is retried like a 5xx. Several downloads run at once on a bounded
//! number of threads.

use std::io::{Read, Write};
use std::path::PathBuf;
use std::time::Duration;

use url::Url;

use crate::cache::Cache;
use crate::hash::{Digests, HashAlgorithm, Hasher};
use crate::index::retry::{self, Attempt};
use crate::index::{Client, IndexError, with_effort};
use crate::safe_url::Redacted;

/// One artifact to download.
#[derive(Debug, Clone)]
pub(crate) struct FetchRequest {
    /// Where from.
    pub(crate) url: Url,
    /// Digests to compute besides sha256.
    pub(crate) algorithms: Vec<HashAlgorithm>,
}

/// A downloaded artifact.
#[derive(Debug, Clone)]
pub(crate) struct Fetched {
    /// Its digests and size.
    pub(crate) digests: Digests,
    /// Where its bytes are kept, when a cache was used.
    pub(crate) cached: Option<PathBuf>,
}

/// Why a download failed.
#[derive(Debug, thiserror::Error)]
pub(crate) enum FetchError {
    /// The request failed.
    #[error(transparent)]
    Index(#[from] IndexError),
    /// The server says the file is not there.
    #[error("`{0}` answered 404 Not Found")]
    NotFound(String),
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

/// Downloads and hashes one artifact.
pub(crate) fn fetch(
    client: &Client,
    cache: Option<&Cache>,
    request: &FetchRequest,
) -> Result<Fetched, FetchError> {
    if request.url.scheme() == "file" {
        return fetch_local(cache, request);
    }
    let shown = Redacted(&request.url).to_string();
    let outcome = retry::run(client.retry_policy(), || {
        let response = match client.get_once(&request.url, "*/*") {
            Attempt::Done(Ok(Some(response))) => response,
            Attempt::Done(Ok(None)) => {
                return Attempt::Done(Err(FetchError::NotFound(shown.clone())));
            }
            Attempt::Done(Err(error)) => return Attempt::Done(Err(error.into())),
            Attempt::Retry(error, after) => return Attempt::Retry(error.into(), after),
        };
        let expected = response.content_length();
        match stream(response, cache, &request.algorithms) {
            Ok(fetched) => match expected {
                Some(expected) if fetched.digests.size != expected => Attempt::Retry(
                    FetchError::Truncated {
                        url: shown.clone(),
                        received: fetched.digests.size,
                        expected,
                        retries: 0,
                    },
                    None,
                ),
                _ => Attempt::Done(Ok(fetched)),
            },
            Err(StreamError::Read(error)) => Attempt::Retry(
                FetchError::Index(IndexError::Network {
                    url: shown.clone(),
                    message: format!("transfer broke off: {error}"),
                    retries: 0,
                    elapsed: Duration::ZERO,
                }),
                None,
            ),
            Err(StreamError::Cache(error)) => Attempt::Done(Err(FetchError::Io {
                path: "the hashpin cache".into(),
                source: error,
            })),
        }
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

enum StreamError {
    Read(std::io::Error),
    Cache(std::io::Error),
}

/// Hashes a body as it arrives, copying it into the cache when there is one.
fn stream(
    mut body: impl Read,
    cache: Option<&Cache>,
    algorithms: &[HashAlgorithm],
) -> Result<Fetched, StreamError> {
    let mut hasher = Hasher::new(algorithms.iter().copied().chain([HashAlgorithm::Sha256]));
    let mut temporary = match cache {
        Some(cache) => Some(cache.temporary().map_err(StreamError::Cache)?),
        None => None,
    };
    let mut buffer = vec![0; 64 * 1024];
    loop {
        let read = match body.read(&mut buffer) {
            Ok(0) => break,
            Ok(read) => read,
            Err(error) if error.kind() == std::io::ErrorKind::Interrupted => continue,
            Err(error) => return Err(StreamError::Read(error)),
        };
        hasher.update(&buffer[..read]);
        if let Some(file) = &mut temporary {
            file.write_all(&buffer[..read])
                .map_err(StreamError::Cache)?;
        }
    }
    let digests = hasher.finish();
    let cached = match (cache, temporary) {
        (Some(cache), Some(file)) => Some(
            cache
                .store(file, digests.sha256())
                .map_err(StreamError::Cache)?,
        ),
        _ => None,
    };
    Ok(Fetched { digests, cached })
}

fn fetch_local(cache: Option<&Cache>, request: &FetchRequest) -> Result<Fetched, FetchError> {
    let path = request
        .url
        .to_file_path()
        .map_err(|()| FetchError::NotFound(request.url.to_string()))?;
    let io = |source: std::io::Error| FetchError::Io {
        path: path.display().to_string(),
        source,
    };
    let file = match fs_err::File::open(&path) {
        Ok(file) => file,
        Err(error) if error.kind() == std::io::ErrorKind::NotFound => {
            return Err(FetchError::NotFound(path.display().to_string()));
        }
        Err(error) => return Err(io(error)),
    };
    stream(file, cache, &request.algorithms).map_err(|error| match error {
        StreamError::Read(error) | StreamError::Cache(error) => io(error),
    })
}

/// Downloads every request on at most `jobs` threads; results come back in request order.
pub(crate) fn fetch_all(
    client: &Client,
    cache: Option<&Cache>,
    requests: &[FetchRequest],
    jobs: usize,
    on_done: &(dyn Fn(usize) + Sync),
) -> Vec<Result<Fetched, FetchError>> {
    crate::pool::map_bounded(
        requests,
        jobs,
        |request| fetch(client, cache, request),
        on_done,
    )
}
