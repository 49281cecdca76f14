//! The verifying index behind `hashpin serve`: pages built from the upstream listings and the
//! lockfile, and a gate every file passes through.
//!
//! The gate asks the same judge as `hashpin verify` ([`decide_file`]) about bytes hashpin
//! downloaded and hashed itself, and only bytes it passes are sent: nothing is streamed to a
//! client before the whole file is in and judged, so not one byte of a refused artifact leaves.
//! What is sent is read from the very file handle that was hashed last, so a cache file swapped
//! after the check is not what goes out.
//!
//! Everything here is blocking (the index client is), and runs on threads of its own; the HTTP
//! side is in `commands::serve`.
//!
//! PEP 658/714 core metadata is offered for a wheel only once that wheel has passed the gate,
//! from its verified bytes.
//!
//! Non-goals: a lockfile's index options are read once, at start.

pub(crate) mod pages;

use std::collections::HashMap;
use std::path::PathBuf;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex, PoisonError};
use std::time::{Duration, Instant, SystemTime};

use crate::artifact::{ArtifactName, check_filename};
use crate::cache::Cache;
use crate::cli::{LockArgs, ServeArgs};
use crate::commands::Context;
use crate::commands::lock::{lock_files, lock_loaded};
use crate::commands::verify::decide_file;
use crate::downloads::Earlier;
use crate::error::Status;
use crate::fetch::{self, FetchRequest};
use crate::hash::{HashAlgorithm, HashDigest, Hasher};
use crate::index::{Client, ProjectListing};
use crate::lockfile::{Lookup, PinIndex};
use crate::name::PackageName;
use crate::report::verify::{Answer, print_text};
use crate::requirements::load::{Loaded, Role, load};
use crate::resolver::ResolverChoice;
use crate::safe_url::redact_text;
use pages::{Format, ListedFile};

/// How long an upstream listing is reused before it is asked for again.
const LISTING_TTL: Duration = Duration::from_secs(60);

/// An HTTP answer that is not a file.
#[derive(Debug)]
pub(crate) struct Answered {
    /// The status code.
    pub(crate) status: u16,
    /// The `Content-Type`.
    pub(crate) content_type: &'static str,
    /// The body.
    pub(crate) body: String,
}

impl Answered {
    fn page(format: Format, body: String) -> Self {
        Self {
            status: 200,
            content_type: format.content_type(),
            body,
        }
    }

    /// A refusal or failure: the status and a one-line reason.
    fn text(status: u16, reason: impl Into<String>) -> Self {
        let mut body = reason.into().replace('\n', " ");
        body.push('\n');
        Self {
            status,
            content_type: "text/plain; charset=utf-8",
            body,
        }
    }
}

/// A file the gate passed: the handle its bytes were last hashed from, rewound, and their
/// number.
#[derive(Debug)]
pub(crate) struct Passed {
    /// The open file.
    pub(crate) file: std::fs::File,
    /// How many bytes to send.
    pub(crate) length: u64,
}

/// A wheel that passed the gate: where from and its digests (to ask the judge again when the
/// metadata is asked for), and its core metadata with the metadata's own sha256 (computed
/// once, when the wheel passed).
struct PassedMetadata {
    url: url::Url,
    wheel: crate::hash::Digests,
    sha256: HashDigest,
    bytes: Arc<Vec<u8>>,
}

/// The lockfiles as last read, and what they were on disk then.
struct Snapshot {
    stamps: Vec<Option<(SystemTime, u64)>>,
    loaded: Arc<Vec<Loaded>>,
}

/// The proxy's state, shared by every request.
pub(crate) struct Proxy {
    lockfiles: Vec<PathBuf>,
    snapshot: Mutex<Snapshot>,
    client: std::mem::ManuallyDrop<Client>,
    cache: Cache,
    record: Option<LockArgs>,
    context: Context,
    listings: Mutex<HashMap<PackageName, (Instant, Arc<ProjectListing>)>>,
    /// One `--record` at a time: each rewrites the lockfile.
    recording: Mutex<()>,
    /// The core metadata of wheels that passed the gate, by filename: with the wheel's sha256,
    /// so it is offered only for those bytes (PEP 658/714).
    metadata: Mutex<HashMap<String, PassedMetadata>>,
    served: AtomicUsize,
    refused: AtomicUsize,
}

impl Proxy {
    /// Reads the lockfiles and opens the upstream client. `cache` is where verified bytes are
    /// kept (a private temporary one when the user's cache is off).
    pub(crate) fn new(
        args: &ServeArgs,
        lockfiles: Vec<PathBuf>,
        cache: Cache,
        context: Context,
    ) -> anyhow::Result<Self> {
        let loaded = crate::commands::verify::load_lockfiles(
            &lockfiles,
            "hashpin serve --lock path/to/requirements.txt",
            &*context.env,
        )?;
        let client = crate::survey::open_client(&args.index, &loaded, &*context.env)?;
        let record = args.record.then(|| LockArgs {
            files: vec![lockfiles[0].clone()],
            update: None,
            dry_run: false,
            check: false,
            algorithm: "sha256".to_string(),
            resolve: false,
            output: None,
            upgrade: None,
            python: None,
            resolver: ResolverChoice::Pip,
            universal: false,
            download: args.download.clone(),
            target: args.target.clone(),
            cooldown: args.cooldown.clone(),
            index: args.index.clone(),
        });
        Ok(Self {
            snapshot: Mutex::new(Snapshot {
                stamps: stamps(&lockfiles),
                loaded: Arc::new(loaded),
            }),
            lockfiles,
            client,
            cache,
            record,
            context,
            listings: Mutex::new(HashMap::new()),
            recording: Mutex::new(()),
            metadata: Mutex::new(HashMap::new()),
            served: AtomicUsize::new(0),
            refused: AtomicUsize::new(0),
        })
    }

    /// Whether an upstream index is this very address (`PIP_INDEX_URL` still pointing at the
    /// proxy from an earlier run in the same shell): every request would ask itself.
    pub(crate) fn upstream_is(&self, address: std::net::SocketAddr) -> Option<String> {
        self.client.settings().indexes.iter().find_map(|url| {
            let port = url.port_or_known_default()?;
            let host = url
                .host_str()?
                .trim_start_matches('[')
                .trim_end_matches(']');
            let same_host = host.eq_ignore_ascii_case("localhost")
                || host.parse::<std::net::IpAddr>().is_ok_and(|ip| {
                    ip == address.ip() || (ip.is_loopback() && address.ip().is_unspecified())
                });
            (port == address.port() && same_host)
                .then(|| crate::safe_url::Redacted(url).to_string())
        })
    }

    /// How many files were served and refused so far.
    pub(crate) fn counts(&self) -> (usize, usize) {
        (
            self.served.load(Ordering::Relaxed),
            self.refused.load(Ordering::Relaxed),
        )
    }

    /// The lockfiles, read again when any changed on disk since the last request. A lockfile
    /// that no longer parses keeps the last good reading, with an error in the log.
    fn loaded(&self) -> Arc<Vec<Loaded>> {
        let mut snapshot = self.snapshot.lock().unwrap_or_else(PoisonError::into_inner);
        let now = stamps(&self.lockfiles);
        if now != snapshot.stamps {
            match load(&self.lockfiles, &*self.context.env) {
                Ok(loaded) => {
                    snapshot.loaded = Arc::new(loaded);
                    self.context.printer.info("lockfile changed; read it again");
                }
                Err(error) => self
                    .context
                    .printer
                    .error(&anyhow::Error::from(error).context(
                    "the lockfile changed and no longer reads; still serving what it said before",
                )),
            }
            snapshot.stamps = now;
        }
        Arc::clone(&snapshot.loaded)
    }

    /// The upstream listing of `project`, reused for [`LISTING_TTL`].
    fn listing(&self, project: &PackageName) -> Result<Arc<ProjectListing>, Answered> {
        {
            let listings = self.listings.lock().unwrap_or_else(PoisonError::into_inner);
            if let Some((when, listing)) = listings.get(project)
                && when.elapsed() < LISTING_TTL
            {
                return Ok(Arc::clone(listing));
            }
        }
        let listing = self.client.list_project(project).map_err(|error| {
            let reason = redact_text(&error.to_string());
            self.context
                .printer
                .warning(&format!("upstream listing of `{project}` failed: {reason}"));
            Answered::text(502, format!("the upstream index failed: {reason}"))
        })?;
        let listing = Arc::new(listing);
        self.listings
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .insert(project.clone(), (Instant::now(), Arc::clone(&listing)));
        Ok(listing)
    }

    /// `/simple/`: the projects the lockfiles pin.
    pub(crate) fn index(&self, format: Format) -> Answered {
        let loaded = self.loaded();
        let pins = PinIndex::new(&loaded);
        let mut projects: Vec<PackageName> =
            pins.iter().filter_map(|pin| pin.project.clone()).collect();
        projects.sort();
        projects.dedup();
        Answered::page(format, pages::index_page(&projects, format))
    }

    /// `/simple/<project>/`: the recorded files of each pinned release of a locked project;
    /// every file upstream lists for a project the lockfiles do not pin, with `--record`;
    /// otherwise a refusal.
    pub(crate) fn project(&self, project: &PackageName, format: Format) -> Answered {
        let loaded = self.loaded();
        let pins = PinIndex::new(&loaded);
        let locked = pins.locks(project);
        if !locked && self.record.is_none() {
            self.refused.fetch_add(1, Ordering::Relaxed);
            let reason = format!(
                "`{project}` is not pinned in {}; this index serves only what the lockfile records (start `hashpin serve` with `--record` to record new projects)",
                self.lockfile_names()
            );
            self.context
                .printer
                .refused(&format!("/simple/{project}/: {reason}"));
            return Answered::text(403, reason);
        }
        let listing = match self.listing(project) {
            Ok(listing) => listing,
            Err(answer) => return answer,
        };
        if listing.files.is_empty() && !locked {
            return Answered::text(404, format!("`{project}` is not on the upstream index"));
        }
        let mut files = Vec::new();
        for file in &listing.files {
            let Ok(artifact) = ArtifactName::parse(&file.filename, Some(project)) else {
                continue;
            };
            if artifact.project != *project {
                continue;
            }
            let hash = if locked {
                let Lookup::Pinned(pinning) = pins.lookup(project, &artifact.version_text) else {
                    continue;
                };
                match listed_hash(&pinning, &file.filename, &file.declared) {
                    Some(hash) => hash,
                    None => continue,
                }
            } else {
                file.declared
                    .iter()
                    .find(|digest| digest.algorithm == HashAlgorithm::Sha256)
                    .cloned()
            };
            let core_metadata = hash
                .as_ref()
                .and_then(|hash| self.core_metadata_of(&file.filename, hash));
            files.push(ListedFile {
                url: format!(
                    "../../files/{project}/{}",
                    crate::safe_url::percent_encode_segment(&file.filename)
                ),
                filename: file.filename.clone(),
                hash,
                requires_python: file.requires_python.clone(),
                yanked: file.yanked.clone(),
                size: file.size,
                core_metadata,
                upload_time: file.upload_time.clone(),
            });
        }
        Answered::page(format, pages::project_page(project, &files, format))
    }

    /// The sha256 of a passed wheel's core metadata, when the wheel passed with `wheel_hash`.
    fn core_metadata_of(&self, filename: &str, wheel_hash: &HashDigest) -> Option<HashDigest> {
        let metadata = self.metadata.lock().unwrap_or_else(PoisonError::into_inner);
        let passed = metadata.get(filename)?;
        (passed.wheel.get(wheel_hash.algorithm) == Some(wheel_hash)).then(|| passed.sha256.clone())
    }

    /// `/files/<project>/<wheel>.metadata`: a passed wheel's core metadata, while the lockfile
    /// still records those bytes for that wheel.
    pub(crate) fn core_metadata(
        &self,
        project: &PackageName,
        filename: &str,
    ) -> Result<Arc<Vec<u8>>, Answered> {
        let wheel = filename.strip_suffix(".metadata").unwrap_or(filename);
        let missing = || {
            Answered::text(
                404,
                format!("no verified metadata for `{wheel}`: the wheel has not passed"),
            )
        };
        let (url, digests, bytes) = self
            .metadata
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .get(wheel)
            .map(|passed| {
                (
                    passed.url.clone(),
                    passed.wheel.clone(),
                    Arc::clone(&passed.bytes),
                )
            })
            .ok_or_else(missing)?;
        let artifact = ArtifactName::parse(wheel, Some(project)).map_err(|_| missing())?;
        let loaded = self.loaded();
        let pins = PinIndex::new(&loaded);
        let lookup = pins.lookup(project, &artifact.version_text);
        // The lockfile may have changed since the wheel passed: the judge is asked again.
        let decision = decide_file(&self.lockfiles[0], &lookup, &artifact, wheel, &url, digests);
        if decision.answer != Answer::Pass {
            return Err(missing());
        }
        Ok(bytes)
    }

    /// `/files/<project>/<filename>`: the file, when its bytes are what the lockfile records.
    pub(crate) fn file(&self, project: &str, filename: &str) -> Result<Passed, Answered> {
        let answer = self.gate(&PackageName::new(project), filename);
        match &answer {
            Ok(_) => self.served.fetch_add(1, Ordering::Relaxed),
            Err(_) => self.refused.fetch_add(1, Ordering::Relaxed),
        };
        answer
    }

    fn gate(&self, project: &PackageName, filename: &str) -> Result<Passed, Answered> {
        if check_filename(filename).is_err() {
            return Err(Answered::text(404, "not an artifact name"));
        }
        let artifact = ArtifactName::parse(filename, Some(project))
            .ok()
            .filter(|artifact| artifact.project == *project)
            .ok_or_else(|| {
                Answered::text(404, format!("`{filename}` is no artifact of `{project}`"))
            })?;
        let mut loaded = self.loaded();
        let pinned = |loaded: &Vec<Loaded>| PinIndex::new(loaded).locks(project);
        if !pinned(&loaded)
            && let Some(args) = &self.record
        {
            self.record(args, project, &artifact.version_text)?;
            loaded = self.loaded();
        }
        let pins = PinIndex::new(&loaded);
        let lookup = pins.lookup(project, &artifact.version_text);
        let listing = self.listing(project)?;
        let Some(listed) = listing.files.iter().find(|file| file.filename == filename) else {
            return Err(Answered::text(
                404,
                format!("the upstream index does not list `{filename}`"),
            ));
        };
        let algorithms = pins.algorithms_for(project);

        // Bytes already in the cache under the hash recorded for this very file are used when
        // they hash clean; otherwise upstream is asked.
        let recorded = recorded_sha256(&lookup, filename);
        let held = recorded
            .as_ref()
            .and_then(|sha256| open_verified(&self.cache, sha256, &algorithms));
        let (digests, file) = match held {
            Some((digests, file)) => (digests, Some(file)),
            None => {
                let request = FetchRequest {
                    url: listed.url.clone(),
                    algorithms: algorithms.clone(),
                };
                let fetched =
                    fetch::fetch(&self.client, Some(&self.cache), &request).map_err(|error| {
                        let reason = redact_text(&error.to_string());
                        self.context.printer.warning(&format!(
                            "downloading `{filename}` from upstream failed: {reason}"
                        ));
                        Answered::text(502, format!("downloading from upstream failed: {reason}"))
                    })?;
                let file = open_verified(&self.cache, fetched.digests.sha256(), &algorithms)
                    .map(|(_, file)| file);
                (fetched.digests, file)
            }
        };
        let lockfile = self.lockfiles[0].clone();
        let decision = decide_file(
            &lockfile,
            &lookup,
            &artifact,
            filename,
            &listed.url,
            digests.clone(),
        );
        if decision.answer != Answer::Pass {
            print_text(&self.context.printer, &decision);
            return Err(Answered::text(
                403,
                format!("hashpin refused `{filename}`: {}", decision.message),
            ));
        }
        let Some(mut file) = file else {
            return Err(Answered::text(
                502,
                format!("`{filename}` passed, but its bytes could not be kept to be sent"),
            ));
        };
        // The metadata comes from the very handle that was hashed, which is then rewound.
        let metadata = if filename.ends_with(".whl") {
            crate::installed::read_wheel_metadata(&mut file.file).map_err(|error| {
                Answered::text(502, format!("cannot read `{filename}` again: {error}"))
            })?
        } else {
            None
        };
        if let Some(bytes) = metadata
            && let Ok(metadata_digests) =
                Hasher::new([HashAlgorithm::Sha256]).hash_reader(&mut bytes.as_slice())
        {
            self.metadata
                .lock()
                .unwrap_or_else(PoisonError::into_inner)
                .insert(
                    filename.to_string(),
                    PassedMetadata {
                        url: listed.url.clone(),
                        wheel: digests,
                        sha256: metadata_digests.sha256().clone(),
                        bytes: Arc::new(bytes),
                    },
                );
        }
        self.context
            .printer
            .info(&format!("served  {filename}  {}", decision.observed));
        Ok(file)
    }

    /// Records `project==version` into the first lockfile, as `hashpin lock` would: every file
    /// of the release downloaded, hashed and judged, the whole file written at once or not at
    /// all.
    fn record(
        &self,
        args: &LockArgs,
        project: &PackageName,
        version: &str,
    ) -> Result<(), Answered> {
        let _one = self
            .recording
            .lock()
            .unwrap_or_else(PoisonError::into_inner);
        // Another request may have recorded it (or another version of it) while this one
        // waited: then the gate decides, as for any locked project.
        if PinIndex::new(&self.loaded()).locks(project) {
            return Ok(());
        }
        let failed = |error: anyhow::Error| {
            self.context.printer.error(&error);
            Answered::text(
                403,
                format!("recording `{project}=={version}` failed: see the proxy's log"),
            )
        };
        let path = &self.lockfiles[0];
        let _locks =
            lock_files(std::slice::from_ref(path), &self.context.printer).map_err(failed)?;
        let on_disk = match fs_err::read_to_string(path) {
            Ok(text) => text,
            Err(error) if error.kind() == std::io::ErrorKind::NotFound => String::new(),
            Err(error) => return Err(failed(error.into())),
        };
        let eol = if on_disk.contains("\r\n") {
            "\r\n"
        } else {
            "\n"
        };
        let mut text = on_disk.clone();
        if !text.is_empty() && !text.ends_with('\n') {
            text.push_str(eol);
        }
        text.push_str(&format!("{project}=={version}{eol}"));
        let document = crate::requirements::parse(path, text, &*self.context.env)
            .map_err(|error| failed(error.into()))?;
        let loaded = vec![Loaded {
            document,
            role: Role::Requirements,
            includes: Vec::new(),
            root: Some(0),
        }];
        self.context
            .printer
            .info(&format!("recording {project}=={version} (--record)"));
        match lock_loaded(
            args,
            &loaded,
            &[on_disk],
            None,
            &Earlier::default(),
            // The other entries were locked before; the gate checks every download of them.
            Some(project),
            &self.context,
        ) {
            Ok(Status::Success) => Ok(()),
            Ok(_) => Err(Answered::text(
                403,
                format!("hashpin refused to record `{project}=={version}`: see the proxy's log"),
            )),
            Err(error) => Err(failed(error)),
        }
    }

    /// The lockfiles' names, for messages.
    fn lockfile_names(&self) -> String {
        self.lockfiles
            .iter()
            .map(|path| format!("`{}`", path.display()))
            .collect::<Vec<_>>()
            .join(", ")
    }
}

/// When each lockfile was last modified, and its size.
fn stamps(paths: &[PathBuf]) -> Vec<Option<(SystemTime, u64)>> {
    paths
        .iter()
        .map(|path| {
            let meta = std::fs::metadata(path).ok()?;
            Some((meta.modified().ok()?, meta.len()))
        })
        .collect()
}

/// The hash to list for `filename` of a release these entries pin: the one a provenance line
/// records for it; for entries with bare hashes only (pip-compile, uv), a declared digest
/// among them, or none when upstream declares nothing (the gate decides on the bytes). `None`
/// when the file is not recorded, so it is not listed.
fn listed_hash(
    pins: &[&crate::lockfile::Pin<'_>],
    filename: &str,
    declared: &[HashDigest],
) -> Option<Option<HashDigest>> {
    if let Some(file) = pins
        .iter()
        .flat_map(|pin| &pin.record.files)
        .find(|file| file.filename == filename)
    {
        return Some(Some(file.hash.clone()));
    }
    let bare: Vec<&HashDigest> = pins
        .iter()
        .filter(|pin| pin.record.files.is_empty())
        .flat_map(|pin| &pin.record.hashes)
        .collect();
    if bare.is_empty() {
        return None;
    }
    if declared.is_empty() {
        return Some(None);
    }
    declared
        .iter()
        .find(|digest| bare.contains(digest))
        .map(|digest| Some(digest.clone()))
}

/// The sha256 a provenance line of the pinning entries records for `filename`.
fn recorded_sha256(lookup: &Lookup<'_, '_>, filename: &str) -> Option<HashDigest> {
    let Lookup::Pinned(pins) = lookup else {
        return None;
    };
    pins.iter()
        .flat_map(|pin| &pin.record.files)
        .find(|file| file.filename == filename && file.hash.algorithm == HashAlgorithm::Sha256)
        .map(|file| file.hash.clone())
}

/// The cached file under `sha256`, hashed again from the handle that will be sent; `None`
/// when absent or when its bytes no longer match.
fn open_verified(
    cache: &Cache,
    sha256: &HashDigest,
    algorithms: &[HashAlgorithm],
) -> Option<(crate::hash::Digests, Passed)> {
    let (file, digests) = cache.open(sha256, algorithms)?;
    let length = digests.size;
    Some((digests, Passed { file, length }))
}
