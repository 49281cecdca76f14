//! The package-index client: simple-repository pages (PEP 691 JSON, PEP 503 HTML), find-links
//! directories and pages, and the one HTTP client every download goes through.
//!
//! Transport rules, enforced for every request and every redirect: https always; plain http only
//! to loopback hosts or hosts the user trusts (`--trusted-host`); a redirect never goes from https
//! to http. Credentials come from index URLs and netrc and are sent to their own host only.

pub(crate) mod config;
pub(crate) mod credentials;
mod dns;
pub(crate) mod retry;
pub(crate) mod simple;
mod tls;

use std::collections::HashMap;
use std::io::Read;
use std::net::IpAddr;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use url::Url;

use crate::artifact::ArtifactName;
use crate::name::PackageName;
use crate::safe_url::Redacted;
use config::{FindLinks, IndexSettings};
use credentials::Credentials;
use retry::{Attempt, RetryPolicy};
use simple::{IndexFile, Page};

/// What the simple API is asked for: JSON first, HTML as a fallback (PEP 691).
const ACCEPT: &str = "application/vnd.pypi.simple.v1+json, application/vnd.pypi.simple.v1+html;q=0.2, text/html;q=0.01";

/// Retries for a refused connection. A refusal is the host's immediate, definite answer that
/// nothing listens on that port: most often a wrong URL or port, which no retry mends, and
/// sometimes a server restarting, which is back within moments or not for minutes. One retry,
/// after the first back-off delay (0.5 s), covers the moment at a cost under a second; pip and
/// uv give a refusal their whole budget (5 and 3 retries with back-off), which spends about 15 s
/// before saying what the first attempt said.
const REFUSED_RETRIES: u32 = 1;

/// At most this many bytes of an index's root page are read. PyPI's lists every project and
/// is tens of MB; a page past this bound is refused rather than held in memory for what is only
/// a suggestion.
const ROOT_PAGE_LIMIT: u64 = 64 * 1024 * 1024;

/// Why talking to an index failed.
#[derive(Debug, thiserror::Error)]
pub(crate) enum IndexError {
    /// A URL hashpin will not fetch.
    #[error("refusing to fetch `{url}`: {reason}\nhint: {hint}")]
    Refused {
        /// The URL, redacted.
        url: String,
        /// Why.
        reason: String,
        /// What to do instead.
        hint: String,
    },
    /// The server answered with an error status.
    #[error("GET `{url}` failed: HTTP {status}{}", effort(*.retries, *.elapsed))]
    Status {
        /// The URL, redacted.
        url: String,
        /// The status code.
        status: u16,
        /// Retries made.
        retries: u32,
        /// Time spent.
        elapsed: Duration,
    },
    /// The connection failed or broke.
    #[error("GET `{url}` failed: {message}{}{}", effort(*.retries, *.elapsed), hint_line(.hint.as_deref()))]
    Network {
        /// The URL, redacted.
        url: String,
        /// What went wrong.
        message: String,
        /// What to do about it, when something can be said.
        hint: Option<String>,
        /// Retries made.
        retries: u32,
        /// Time spent.
        elapsed: Duration,
    },
    /// The page is not a simple-repository page.
    #[error("cannot read the index page `{url}`: {message}")]
    Page {
        /// The URL, redacted.
        url: String,
        /// Why.
        message: String,
    },
    /// The client could not be set up.
    #[error("cannot set up the HTTP client: {0}")]
    Setup(String),
    /// The client was told to stop asking: the work it was doing is no longer needed.
    #[error("stopped: the work was begun ahead of need and is no longer needed")]
    Stopped,
    /// A local file or directory could not be read.
    #[error("cannot read `{path}`: {message}")]
    Local {
        /// The path.
        path: String,
        /// Why.
        message: String,
    },
}

/// `\nhint: …`, or nothing.
fn hint_line(hint: Option<&str>) -> String {
    hint.map(|hint| format!("\nhint: {hint}"))
        .unwrap_or_default()
}

fn effort(retries: u32, elapsed: Duration) -> String {
    if retries == 0 {
        String::new()
    } else {
        format!(
            " (after {retries} {}, {:.1}s)",
            if retries == 1 { "retry" } else { "retries" },
            elapsed.as_secs_f64()
        )
    }
}

/// What one GET found.
pub(crate) enum Reply {
    /// A success: the body is the caller's to read.
    Found(reqwest::blocking::Response),
    /// 404 Not Found or 410 Gone: nothing there. The status says which.
    Absent(u16),
}

/// What kind of failure a request met, which decides whether asking again can help.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Failure {
    /// The server's certificate was refused: it will be refused again.
    Certificate,
    /// The TLS handshake failed otherwise, most often because the server does not speak TLS
    /// there: it will fail again.
    Handshake,
    /// Nothing accepts connections at the address.
    Refused,
    /// Anything else (a timeout, a reset, a name that did not resolve): maybe transient.
    Other,
}

impl Failure {
    /// Classifies a request's error by its causes. rustls errors arrive wrapped in `io::Error`s
    /// (two deep, seen with reqwest 0.13), whose `source()` skips what they wrap, so every
    /// `io::Error` is looked inside as well as past.
    fn of(error: &reqwest::Error) -> Self {
        let mut refused = false;
        let mut pending: Vec<&(dyn std::error::Error + 'static)> = vec![error];
        while let Some(current) = pending.pop() {
            match current.downcast_ref::<rustls::Error>() {
                Some(rustls::Error::InvalidCertificate(_)) => return Self::Certificate,
                Some(rustls::Error::Other(other)) if other.0.is::<tls::NoSystemRoots>() => {
                    return Self::Certificate;
                }
                Some(_) => return Self::Handshake,
                None => {}
            }
            if let Some(io) = current.downcast_ref::<std::io::Error>() {
                refused |= io.kind() == std::io::ErrorKind::ConnectionRefused;
                if let Some(inner) = io.get_ref() {
                    pending.push(inner);
                }
            }
            pending.extend(current.source());
        }
        if refused { Self::Refused } else { Self::Other }
    }

    /// What a person can do about it.
    fn hint(self) -> Option<String> {
        match self {
            Self::Certificate => Some(
                "if a proxy or mirror uses its own CA, pass `--cert <bundle.pem>` or set `PIP_CERT`"
                    .to_string(),
            ),
            Self::Handshake => Some(
                "the server does not seem to speak TLS at this address; if it is a plain-http index on a network you trust, use its `http://` URL with `--trusted-host`"
                    .to_string(),
            ),
            Self::Refused => Some(
                "nothing accepts connections there: check the URL and its port, and that the index is running"
                    .to_string(),
            ),
            Self::Other => None,
        }
    }
}

/// Every file of one project across all indexes and find-links locations.
#[derive(Debug, Clone, Default)]
pub(crate) struct ProjectListing {
    /// The files, in index order.
    pub(crate) files: Vec<IndexFile>,
    /// Filenames refused as unsafe, with the page that offered them.
    pub(crate) refused: Vec<(String, String)>,
}

/// The index client. Cheap to share across threads.
pub(crate) struct Client {
    http: reqwest::blocking::Client,
    credentials: Credentials,
    trusted_hosts: Arc<Vec<String>>,
    retry: RetryPolicy,
    settings: IndexSettings,
    /// Each find-links location, read once per run and indexed by project: a lockfile of many
    /// pins against one directory must not read (or scan) the directory once per pin.
    find_links_pages: Mutex<HashMap<FindLinks, Arc<FindLinksPage>>>,
    /// The PEP 700 size each listing declared for a file URL: a download of that URL is held
    /// to it. Kept here because every listing is read and every artifact downloaded through
    /// this one client, whichever command asks.
    declared_sizes: Mutex<HashMap<Url, u64>>,
    /// The quickest answer (microseconds until the response headers) of an index on this
    /// machine: one that answers at once costs CPU, not waiting; a slower one (a proxy in
    /// front of a distant index) waits like the network.
    quickest_loopback_answer: AtomicU64,
    /// Listings and JSON API answers kept for a later command of the same run, when asked for
    /// ([`Client::remember_listings`]).
    remembered: Option<Remembered>,
    /// Once set, every request (a retry included) fails at once with [`IndexError::Stopped`].
    stop: Option<Arc<AtomicBool>>,
}

/// What a remembering client was told, by project (and release).
#[derive(Debug, Default)]
struct Remembered {
    listings: Mutex<HashMap<PackageName, ProjectListing>>,
    json_api: Mutex<HashMap<(PackageName, String), JsonApiDigests>>,
}

/// What PyPI's JSON API declares for the files of one release, by file URL.
pub(crate) type JsonApiDigests = HashMap<Url, Vec<crate::hash::HashDigest>>;

/// What `read` answers, or, with a `memo` (a remembering client), what it answered before
/// under `key`; a failure is not remembered.
fn recall<K: std::hash::Hash + Eq, V: Clone, E>(
    memo: Option<&Mutex<HashMap<K, V>>>,
    key: K,
    read: impl FnOnce() -> Result<V, E>,
) -> Result<V, E> {
    let Some(memo) = memo else {
        return read();
    };
    let lock = || {
        memo.lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
    };
    if let Some(value) = lock().get(&key) {
        return Ok(value.clone());
    }
    let value = read()?;
    lock().insert(key, value.clone());
    Ok(value)
}

/// An index on this machine whose quickest answer took this long waits on something farther.
const LOOPBACK_WAITS_AFTER: Duration = Duration::from_millis(5);

/// Whether plain http to this URL is acceptable: loopback, or a host the user trusts.
fn http_allowed(url: &Url, trusted_hosts: &[String]) -> bool {
    let Some(host) = url.host_str() else {
        return false;
    };
    let bare = host.trim_start_matches('[').trim_end_matches(']');
    let loopback = bare.eq_ignore_ascii_case("localhost")
        || bare.parse::<IpAddr>().is_ok_and(|ip| ip.is_loopback());
    let with_port = url.port().map(|port| format!("{host}:{port}"));
    loopback
        || trusted_hosts.iter().any(|trusted| {
            trusted.eq_ignore_ascii_case(host) || with_port.as_deref() == Some(trusted.as_str())
        })
}

/// Refuses any URL hashpin must not fetch over the network.
fn check_transport(url: &Url, trusted_hosts: &[String]) -> Result<(), IndexError> {
    let refuse = |reason: &str, hint: String| IndexError::Refused {
        url: Redacted(url).to_string(),
        reason: reason.to_string(),
        hint,
    };
    match url.scheme() {
        "https" => Ok(()),
        "http" if http_allowed(url, trusted_hosts) => Ok(()),
        "http" => Err(refuse(
            "plain http can be read and altered on the way",
            format!(
                "use https, or pass `--trusted-host {}` if you trust this network",
                url.host_str().unwrap_or_default()
            ),
        )),
        other => Err(refuse(
            &format!("unsupported scheme `{other}`"),
            "use an https URL".to_string(),
        )),
    }
}

/// Whether a redirect may be followed: never from https down to http, never to a URL the
/// transport rules refuse, and not more than 10 times.
fn check_redirect(previous: &[Url], next: &Url, trusted_hosts: &[String]) -> Result<(), String> {
    let downgrade = previous.iter().any(|url| url.scheme() == "https") && next.scheme() != "https";
    if downgrade {
        return Err("redirect from https to plain http refused".into());
    }
    check_transport(next, trusted_hosts).map_err(|error| error.to_string())?;
    if previous.len() >= 10 {
        return Err("too many redirects".into());
    }
    Ok(())
}

/// Every index and find-links page the settings name (not find-links directories).
fn locations(settings: &IndexSettings) -> impl Iterator<Item = &Url> {
    settings
        .indexes
        .iter()
        .chain(
            settings
                .find_links
                .iter()
                .filter_map(|location| match location {
                    FindLinks::Page(url) => Some(url),
                    FindLinks::Directory(_) => None,
                }),
        )
}

impl Client {
    /// Builds a client for these settings. `netrc` is the text of the user's netrc file.
    pub(crate) fn new(
        settings: IndexSettings,
        netrc: Option<&str>,
        retry_base_delay: Duration,
    ) -> Result<Self, IndexError> {
        // reqwest needs a process-wide rustls provider; a second install is harmless.
        let _ = rustls::crypto::ring::default_provider().install_default();
        let trusted_hosts = Arc::new(settings.trusted_hosts.clone());
        let redirect_trusted = Arc::clone(&trusted_hosts);
        let policy = reqwest::redirect::Policy::custom(move |attempt| {
            match check_redirect(attempt.previous(), attempt.url(), &redirect_trusted) {
                Ok(()) => attempt.follow(),
                Err(reason) => attempt.error(reason),
            }
        });
        let mut builder = reqwest::blocking::Client::builder()
            .user_agent(concat!("hashpin/", env!("CARGO_PKG_VERSION")))
            .redirect(policy)
            .dns_resolver(Arc::new(dns::Resolver::system()))
            .timeout(settings.timeout)
            .connect_timeout(settings.timeout);
        let mut extra_roots = Vec::new();
        if let Some(cert) = &settings.cert {
            use rustls::pki_types::pem::PemObject as _;
            let pem = fs_err::read(cert).map_err(|error| IndexError::Setup(error.to_string()))?;
            extra_roots = rustls::pki_types::CertificateDer::pem_slice_iter(&pem)
                .collect::<Result<_, _>>()
                .map_err(|error| {
                    IndexError::Setup(format!("`{}` is not a PEM bundle: {error}", cert.display()))
                })?;
            if extra_roots.is_empty() {
                return Err(IndexError::Setup(format!(
                    "`{}` holds no PEM certificates\nhint: `--cert` (or `PIP_CERT`, pip.conf `cert`) takes a PEM bundle of CA certificates",
                    cert.display()
                )));
            }
        }
        let https_ahead = locations(&settings).any(|url| url.scheme() == "https");
        let tls_config = tls::client_config(extra_roots, https_ahead).map_err(|error| {
            let cert = settings
                .cert
                .as_ref()
                .map(|cert| format!(" (is `{}` a bundle of CA certificates?)", cert.display()))
                .unwrap_or_default();
            IndexError::Setup(format!("cannot set up TLS: {error}{cert}"))
        })?;
        // From here reqwest's own TLS options (`tls_certs_merge`, `min_tls_version`, ...) no
        // longer apply: what TLS does is all in `tls::client_config`.
        builder = builder.tls_backend_preconfigured(tls_config);
        // Certificates were read above: what is left to fail here is not theirs.
        let http = builder
            .build()
            .map_err(|error| IndexError::Setup(describe(&error)))?;
        let credentials = Credentials::new(locations(&settings), netrc);
        Ok(Self {
            http,
            credentials,
            trusted_hosts,
            retry: RetryPolicy {
                retries: settings.retries,
                base_delay: retry_base_delay,
            },
            settings,
            find_links_pages: Mutex::new(HashMap::new()),
            declared_sizes: Mutex::new(HashMap::new()),
            quickest_loopback_answer: AtomicU64::new(u64::MAX),
            remembered: None,
            stop: None,
        })
    }

    /// Keeps every listing and JSON API answer this client reads from now on, and answers a
    /// second question about the same project or release from them: for work begun ahead of
    /// the command that needs it (`lock --resolve` lists the input's pins while the resolver
    /// runs), so that the command does not ask the index again a moment later.
    pub(crate) fn remember_listings(&mut self) {
        self.remembered.get_or_insert_with(Remembered::default);
    }

    /// Makes every request from now on, retries included, fail at once once `stop` is set: for
    /// work begun ahead of need (a resolution that fails makes it unneeded), so that nothing
    /// waits on a retry's back-off for it.
    pub(crate) fn stop_when(&mut self, stop: Arc<AtomicBool>) {
        self.stop = Some(stop);
    }

    /// Whether the index on this machine waits before it answers (see
    /// `quickest_loopback_answer`); `false` until it has answered once.
    pub(crate) fn loopback_waits(&self) -> bool {
        let quickest = self.quickest_loopback_answer.load(Ordering::Relaxed);
        quickest != u64::MAX && quickest >= LOOPBACK_WAITS_AFTER.as_micros() as u64
    }

    /// The settings this client was built with.
    pub(crate) fn settings(&self) -> &IndexSettings {
        &self.settings
    }

    /// The size a listing declared for the file at `url` (PEP 700), if any listing read so far
    /// declared one. Where two listings disagree, the smaller counts: a body past either is
    /// more than one of them promised.
    pub(crate) fn declared_size(&self, url: &Url) -> Option<u64> {
        self.declared_sizes
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
            .get(url)
            .copied()
    }

    /// Remembers the sizes a listing declares, for the downloads that follow.
    fn remember_sizes(&self, files: &[IndexFile]) {
        let mut sizes = self
            .declared_sizes
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        for file in files {
            if let Some(size) = file.size {
                sizes
                    .entry(file.url.clone())
                    .and_modify(|known| *known = (*known).min(size))
                    .or_insert(size);
            }
        }
    }

    /// The retry policy, for downloads that retry a broken body.
    pub(crate) fn retry_policy(&self) -> RetryPolicy {
        self.retry
    }

    /// One GET, no retries: [`Reply::Absent`] for 404 and 410; a retryable error for 5xx, 429
    /// and connection failures (a refused connection deserves [`REFUSED_RETRIES`]); a final one
    /// for a TLS failure, since the same server answers the same way again, and for anything
    /// else.
    pub(crate) fn get_once(&self, url: &Url, accept: &str) -> Attempt<Reply, IndexError> {
        if self
            .stop
            .as_ref()
            .is_some_and(|stop| stop.load(Ordering::Relaxed))
        {
            return Attempt::Done(Err(IndexError::Stopped));
        }
        if let Err(error) = check_transport(url, &self.trusted_hosts) {
            return Attempt::Done(Err(error));
        }
        let mut bare = url.clone();
        let _ = bare.set_username("");
        let _ = bare.set_password(None);
        let mut request = self
            .http
            .get(bare)
            .header(reqwest::header::ACCEPT, accept)
            // Artifacts are hashed as served: never let a transfer encoding change the bytes.
            .header(reqwest::header::ACCEPT_ENCODING, "identity");
        if let Some(credential) = self.credentials.for_url(url) {
            request = request.basic_auth(credential.username, credential.password);
        }
        let shown = Redacted(url).to_string();
        let started = std::time::Instant::now();
        let sent = request.send();
        // Only a success counts: a proxy answers a 404 (a JSON API it lacks) at once even
        // when everything it serves comes from far away.
        if sent
            .as_ref()
            .is_ok_and(|response| response.status().is_success())
            && crate::fetch::is_loopback(url)
        {
            let waited = u64::try_from(started.elapsed().as_micros()).unwrap_or(u64::MAX);
            self.quickest_loopback_answer
                .fetch_min(waited, Ordering::Relaxed);
        }
        crate::report::trace(|| match &sent {
            Ok(response) => format!(
                "GET {shown} → {} in {} ms",
                response.status().as_u16(),
                started.elapsed().as_millis()
            ),
            Err(error) => format!(
                "GET {shown} → {} after {} ms",
                describe(error),
                started.elapsed().as_millis()
            ),
        });
        match sent {
            Ok(response) => {
                let status = response.status().as_u16();
                if response.status().is_success() {
                    Attempt::Done(Ok(Reply::Found(response)))
                } else if status == 404 || status == 410 {
                    Attempt::Done(Ok(Reply::Absent(status)))
                } else {
                    let error = IndexError::Status {
                        url: shown,
                        status,
                        retries: 0,
                        elapsed: Duration::ZERO,
                    };
                    if status == 429 || response.status().is_server_error() {
                        let retry_after = response
                            .headers()
                            .get(reqwest::header::RETRY_AFTER)
                            .and_then(|value| value.to_str().ok())
                            .and_then(|value| value.trim().parse::<u64>().ok())
                            .map(Duration::from_secs);
                        Attempt::Retry(error, retry_after)
                    } else {
                        Attempt::Done(Err(error))
                    }
                }
            }
            Err(error) => {
                let failure = Failure::of(&error);
                let network = IndexError::Network {
                    url: shown,
                    message: describe(&error),
                    hint: failure.hint(),
                    retries: 0,
                    elapsed: Duration::ZERO,
                };
                if error.is_redirect() || error.is_builder() {
                    return Attempt::Done(Err(network));
                }
                match failure {
                    Failure::Certificate | Failure::Handshake => Attempt::Done(Err(network)),
                    Failure::Refused => Attempt::RetryAtMost(network, REFUSED_RETRIES),
                    Failure::Other => Attempt::Retry(network, None),
                }
            }
        }
    }

    /// GET with retries; `Ok(None)` for 404 and 410.
    pub(crate) fn get(
        &self,
        url: &Url,
        accept: &str,
    ) -> Result<Option<reqwest::blocking::Response>, IndexError> {
        let outcome = retry::run(self.retry, || self.get_once(url, accept));
        match outcome.result {
            Ok(Reply::Found(response)) => Ok(Some(response)),
            Ok(Reply::Absent(_)) => Ok(None),
            Err(error) => Err(with_effort(error, outcome.retries, outcome.elapsed)),
        }
    }

    /// Every file of `project` on every index and find-links location.
    pub(crate) fn list_project(&self, project: &PackageName) -> Result<ProjectListing, IndexError> {
        recall(
            self.remembered.as_ref().map(|kept| &kept.listings),
            project.clone(),
            || self.read_listing(project),
        )
    }

    /// Every file of one project, read from each index and find-links location.
    fn read_listing(&self, project: &PackageName) -> Result<ProjectListing, IndexError> {
        let mut listing = ProjectListing::default();
        for index in &self.settings.indexes {
            let page_url = project_page(index, project)?;
            let Some(page) = self.fetch_page(&page_url)? else {
                continue;
            };
            listing.add(&page, &Redacted(&page_url).to_string());
        }
        for location in &self.settings.find_links {
            let page = self.find_links_page(location)?;
            let listed_by = match location {
                FindLinks::Directory(path) => path.display().to_string(),
                FindLinks::Page(url) => Redacted(url).to_string(),
            };
            listing.files.extend(page.files_of(project).cloned());
            listing.add_refused(&page.page, &listed_by);
        }
        self.remember_sizes(&listing.files);
        Ok(listing)
    }

    /// Digests PyPI's JSON API declares for the files of one release, by file URL, from every
    /// index that offers the API (`<root>/pypi/<name>/<version>/json` beside `<root>/simple/`).
    ///
    /// Best effort and a single attempt: an index without the API answers 404 and adds
    /// nothing. What it declares is only ever compared with the bytes, never trusted alone.
    pub(crate) fn json_api_digests(&self, project: &PackageName, version: &str) -> JsonApiDigests {
        let Ok(digests) = recall(
            self.remembered.as_ref().map(|kept| &kept.json_api),
            (project.clone(), version.to_string()),
            || Ok::<_, std::convert::Infallible>(self.read_json_api_digests(project, version)),
        );
        digests
    }

    /// What the JSON API of each index declares for one release (see [`Self::json_api_digests`]).
    fn read_json_api_digests(&self, project: &PackageName, version: &str) -> JsonApiDigests {
        let mut digests = HashMap::new();
        for index in &self.settings.indexes {
            let path = index.path().trim_end_matches('/');
            let Some(root) = path.strip_suffix("simple") else {
                continue;
            };
            let Ok(api) = index.join(&format!("{root}pypi/{project}/{version}/json")) else {
                continue;
            };
            let Attempt::Done(Ok(Reply::Found(mut response))) =
                self.get_once(&api, "application/json")
            else {
                continue;
            };
            let is_json = response
                .headers()
                .get(reqwest::header::CONTENT_TYPE)
                .and_then(|value| value.to_str().ok())
                .is_some_and(|value| value.contains("json"));
            let mut body = Vec::new();
            if !is_json || response.read_to_end(&mut body).is_err() {
                continue;
            }
            let final_url = response.url().clone();
            if let Ok(files) = simple::parse_json_api(&body, &final_url) {
                for (url, declared) in files {
                    digests.entry(url).or_insert_with(Vec::new).extend(declared);
                }
            }
        }
        digests
    }

    /// Every project name the indexes and find-links locations serve, normalized, sorted and
    /// without duplicates: what a misspelt name can be compared with ([`crate::name::nearest`]).
    ///
    /// Each index's root page gives its names: the `projects` of PEP 691 JSON, else the anchor
    /// texts of PEP 503 HTML. It is asked for once, without retries, since this runs on an
    /// error path where waiting would only delay the real error, and read up to 64 MiB only
    /// (PyPI's is tens of MB). An index without a root page (404 or 410) adds nothing.
    /// Find-links locations add the project of each wheel or sdist they list; a find-links page
    /// that [`Client::list_project`] already read is not fetched again. A name that is not a
    /// valid project name is left out, so the names are safe to print.
    ///
    /// # Errors
    ///
    /// The first location that fails: a refused URL, a network error or an error status after
    /// one attempt, a root page that is neither JSON nor HTML or is larger than the bound, or a
    /// find-links location that cannot be read.
    pub(crate) fn project_names(&self) -> Result<Vec<PackageName>, IndexError> {
        let mut names = Vec::new();
        for index in &self.settings.indexes {
            names.extend(self.root_page_names(index)?);
        }
        for location in &self.settings.find_links {
            names.extend(artifact_projects(&self.find_links_page(location)?.page));
        }
        names.sort();
        names.dedup();
        Ok(names)
    }

    /// The project names on the root page of `index`, in one attempt.
    fn root_page_names(&self, index: &Url) -> Result<Vec<PackageName>, IndexError> {
        // PEP 503: the root URL ends in `/`; asking for it directly saves a redirect.
        let mut root = index.clone();
        if !root.path().ends_with('/') {
            root.set_path(&format!("{}/", root.path()));
        }
        let page_error = |message: String| IndexError::Page {
            url: Redacted(&root).to_string(),
            message,
        };
        let response = match self.get_once(&root, ACCEPT) {
            Attempt::Done(Ok(Reply::Found(response))) => response,
            Attempt::Done(Ok(Reply::Absent(_))) => return Ok(Vec::new()),
            Attempt::Done(Err(error))
            | Attempt::Retry(error, _)
            | Attempt::RetryAtMost(error, _) => return Err(error),
        };
        let content_type = content_type(&response);
        let body = read_bounded(response, ROOT_PAGE_LIMIT)
            .map_err(|error| page_error(error.to_string()))?;
        match content_type.as_str() {
            "application/vnd.pypi.simple.v1+json" | "application/json" => {
                simple::parse_root_json(&body).map_err(|error| page_error(error.to_string()))
            }
            "application/vnd.pypi.simple.v1+html" | "text/html" | "application/xhtml+xml" => {
                Ok(simple::parse_root_html(&String::from_utf8_lossy(&body)))
            }
            other => Err(page_error(format!(
                "unexpected content type `{other}` (expected PEP 691 JSON or PEP 503 HTML)"
            ))),
        }
    }

    /// A find-links location's files, read (or fetched) on first use only.
    fn find_links_page(&self, location: &FindLinks) -> Result<Arc<FindLinksPage>, IndexError> {
        if let Some(page) = self.lock_pages().get(location) {
            return Ok(Arc::clone(page));
        }
        // Two threads may read one location at once on first use; both read the same files.
        let page = match location {
            FindLinks::Directory(path) => read_directory(path)?,
            FindLinks::Page(url) => self.fetch_page(url)?.unwrap_or_default(),
        };
        let page = Arc::new(FindLinksPage::new(page));
        self.lock_pages()
            .insert(location.clone(), Arc::clone(&page));
        Ok(page)
    }

    fn lock_pages(&self) -> std::sync::MutexGuard<'_, HashMap<FindLinks, Arc<FindLinksPage>>> {
        self.find_links_pages
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
    }

    /// Fetches and parses a simple-repository or find-links page.
    fn fetch_page(&self, url: &Url) -> Result<Option<Page>, IndexError> {
        let page_error = |message: String| IndexError::Page {
            url: Redacted(url).to_string(),
            message,
        };
        let Some(mut response) = self.get(url, ACCEPT)? else {
            return Ok(None);
        };
        // Links resolve against where the page really is, after redirects.
        let final_url = response.url().clone();
        let content_type = content_type(&response);
        let mut body = Vec::new();
        response
            .read_to_end(&mut body)
            .map_err(|error| page_error(error.to_string()))?;
        let mut page = match content_type.as_str() {
            "application/vnd.pypi.simple.v1+json" | "application/json" => {
                simple::parse_json(&body, &final_url).map_err(|e| page_error(e.to_string()))?
            }
            "application/vnd.pypi.simple.v1+html" | "text/html" | "application/xhtml+xml" => {
                simple::parse_html(&String::from_utf8_lossy(&body), &final_url)
                    .map_err(|e| page_error(e.to_string()))?
            }
            other => {
                return Err(page_error(format!(
                    "unexpected content type `{other}` (expected PEP 691 JSON or PEP 503 HTML)"
                )));
            }
        };
        // A remote page may only point at remote files.
        let (files, local): (Vec<IndexFile>, Vec<IndexFile>) = page
            .files
            .into_iter()
            .partition(|file| matches!(file.url.scheme(), "http" | "https"));
        page.files = files;
        page.refused.extend(
            local
                .into_iter()
                .map(|file| Redacted(&file.url).to_string()),
        );
        Ok(Some(page))
    }
}

impl ProjectListing {
    /// Every file of a project's own page.
    fn add(&mut self, page: &Page, listed_by: &str) {
        self.files.extend(page.files.iter().cloned());
        self.add_refused(page, listed_by);
    }

    fn add_refused(&mut self, page: &Page, listed_by: &str) {
        self.refused.extend(
            page.refused
                .iter()
                .map(|name| (name.clone(), listed_by.to_string())),
        );
    }
}

/// A find-links page or directory, with its files indexed by every project their names can
/// belong to, so that listing one project costs what that project has, not what the page has.
struct FindLinksPage {
    page: Page,
    /// Positions in `page.files`, in page order. An sdist's name is ambiguous (`a-b-1.0.tar.gz`
    /// may be project `a` or `a-b`): it is filed under the name before each of its dashes, and
    /// [`FindLinksPage::files_of`] keeps those whose name really is that project's.
    by_project: HashMap<PackageName, Vec<usize>>,
}

impl FindLinksPage {
    fn new(page: Page) -> Self {
        let mut by_project: HashMap<PackageName, Vec<usize>> = HashMap::new();
        for (position, file) in page.files.iter().enumerate() {
            for (dash, _) in file.filename.match_indices('-') {
                let positions = by_project
                    .entry(PackageName::new(&file.filename[..dash]))
                    .or_default();
                if positions.last() != Some(&position) {
                    positions.push(position);
                }
            }
        }
        Self { page, by_project }
    }

    /// The files of `project`, in page order.
    fn files_of<'a>(&'a self, project: &'a PackageName) -> impl Iterator<Item = &'a IndexFile> {
        self.by_project
            .get(project)
            .into_iter()
            .flatten()
            .map(|&position| &self.page.files[position])
            .filter(move |file| {
                ArtifactName::parse(&file.filename, Some(project))
                    .is_ok_and(|name| name.project == *project)
            })
    }
}

/// The media type of a response, lowercase and without parameters; `text/html` when the
/// server names none.
fn content_type(response: &reqwest::blocking::Response) -> String {
    response
        .headers()
        .get(reqwest::header::CONTENT_TYPE)
        .and_then(|value| value.to_str().ok())
        .unwrap_or("text/html")
        .split(';')
        .next()
        .unwrap_or_default()
        .trim()
        .to_ascii_lowercase()
}

/// The project of every wheel and sdist a find-links page or directory lists.
fn artifact_projects(page: &Page) -> impl Iterator<Item = PackageName> + '_ {
    page.files
        .iter()
        .filter_map(|file| ArtifactName::parse(&file.filename, None).ok())
        .filter_map(|artifact| PackageName::validated(artifact.project.as_str()))
}

/// Reads all of `reader`, or fails once it yields more than `limit` bytes.
fn read_bounded(reader: impl Read, limit: u64) -> std::io::Result<Vec<u8>> {
    let mut body = Vec::new();
    // One byte past the limit tells a body of exactly `limit` bytes from a longer one.
    reader
        .take(limit.saturating_add(1))
        .read_to_end(&mut body)?;
    if u64::try_from(body.len()).unwrap_or(u64::MAX) > limit {
        return Err(std::io::Error::new(
            std::io::ErrorKind::FileTooLarge,
            format!("larger than {} MiB; not read", limit / (1024 * 1024)),
        ));
    }
    Ok(body)
}

/// PEP 503: `<index>/<normalized name>/`.
fn project_page(index: &Url, project: &PackageName) -> Result<Url, IndexError> {
    let text = format!("{}/{}/", index.as_str().trim_end_matches('/'), project);
    Url::parse(&text).map_err(|error| IndexError::Page {
        url: Redacted(index).to_string(),
        message: error.to_string(),
    })
}

/// Lists a find-links directory: every regular file with a plain name.
fn read_directory(path: &std::path::Path) -> Result<Page, IndexError> {
    let local = |error: std::io::Error| IndexError::Local {
        path: path.display().to_string(),
        message: error.to_string(),
    };
    let mut page = Page::default();
    let entries = match fs_err::read_dir(path) {
        Ok(entries) => entries,
        // pip skips a find-links directory that does not exist.
        Err(error) if error.kind() == std::io::ErrorKind::NotFound => return Ok(page),
        Err(error) => return Err(local(error)),
    };
    let mut names: Vec<String> = Vec::new();
    for entry in entries {
        let entry = entry.map_err(local)?;
        // Not followed: a symbolic link is not a regular file here.
        if entry.file_type().map_err(local)?.is_file()
            && let Ok(name) = entry.file_name().into_string()
        {
            names.push(name);
        }
    }
    names.sort_unstable();
    // The directory is resolved once; its regular files are then plain names inside it.
    let directory = fs_err::canonicalize(path).map_err(local)?;
    for filename in names {
        let Ok(url) = Url::from_file_path(directory.join(&filename)) else {
            continue;
        };
        page.files.push(IndexFile {
            filename,
            url,
            declared: Vec::new(),
            requires_python: None,
            yanked: None,
            size: None,
            upload_time: None,
            core_metadata: None,
        });
    }
    Ok(page)
}

/// The most useful text of a reqwest error: the deepest cause, which names the real problem
/// (a refused connection, an unknown certificate issuer).
fn describe(error: &reqwest::Error) -> String {
    let mut message = error.to_string();
    let mut source = std::error::Error::source(error);
    while let Some(cause) = source {
        message = cause.to_string();
        source = cause.source();
    }
    message
}

/// Puts the retry count and time into an error that carries them.
pub(crate) fn with_effort(error: IndexError, retries: u32, elapsed: Duration) -> IndexError {
    match error {
        IndexError::Status { url, status, .. } => IndexError::Status {
            url,
            status,
            retries,
            elapsed,
        },
        IndexError::Network {
            url, message, hint, ..
        } => IndexError::Network {
            url,
            message,
            hint,
            retries,
            elapsed,
        },
        other => other,
    }
}

#[cfg(test)]
mod tests {
    use std::io::Write as _;
    use std::net::TcpListener;
    use std::sync::atomic::{AtomicUsize, Ordering};
    use std::thread;

    use super::*;

    #[test]
    fn plain_http_only_to_loopback_or_trusted_hosts() {
        let trusted = vec!["mirror.corp".to_string(), "other.corp:8080".to_string()];
        for (url, allowed) in [
            ("https://pypi.org/simple/", true),
            ("http://127.0.0.1:8000/simple/", true),
            ("http://[::1]:8000/simple/", true),
            ("http://localhost/simple/", true),
            ("http://mirror.corp/simple/", true),
            ("http://other.corp:8080/simple/", true),
            ("http://other.corp:9090/simple/", false),
            ("http://pypi.org/simple/", false),
            ("ftp://pypi.org/x", false),
        ] {
            let url = Url::parse(url).unwrap();
            assert_eq!(check_transport(&url, &trusted).is_ok(), allowed, "{url}");
        }
    }

    #[test]
    fn redirects_never_downgrade_https() {
        let url = |text: &str| Url::parse(text).unwrap();
        let https = [url("https://pypi.org/simple/x/")];
        assert!(check_redirect(&https, &url("https://files.example/x.whl"), &[]).is_ok());
        // Not even to loopback or a trusted host once the chain was https.
        assert!(check_redirect(&https, &url("http://127.0.0.1/x.whl"), &[]).is_err());
        let trusted = ["mirror.corp".to_string()];
        assert!(check_redirect(&https, &url("http://mirror.corp/x"), &trusted).is_err());
        let http = [url("http://127.0.0.1:9/simple/x/")];
        assert!(check_redirect(&http, &url("http://evil.example/x"), &[]).is_err());
        assert!(check_redirect(&http, &url("http://127.0.0.1:9/files/x"), &[]).is_ok());
        let long: Vec<Url> = (0..10).map(|i| url(&format!("https://h/{i}"))).collect();
        assert!(check_redirect(&long, &url("https://h/next"), &[]).is_err());
    }

    #[test]
    fn project_pages_are_normalized() {
        let index = Url::parse("https://pypi.org/simple").unwrap();
        let page = project_page(&index, &PackageName::new("Zope.Interface")).unwrap();
        assert_eq!(page.as_str(), "https://pypi.org/simple/zope-interface/");
    }

    /// What the test server answers: status, content type and body.
    type Answer = (u16, &'static str, Vec<u8>);

    /// A loopback HTTP server that answers each request with `respond(path, accept)`, one
    /// request per connection. Returns its base URL and a count of the requests it served.
    fn serve(
        respond: impl Fn(&str, &str) -> Answer + Send + 'static,
    ) -> (String, Arc<AtomicUsize>) {
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        let base = format!("http://{}", listener.local_addr().unwrap());
        let requests = Arc::new(AtomicUsize::new(0));
        let counter = Arc::clone(&requests);
        thread::spawn(move || {
            for stream in listener.incoming() {
                let Ok(mut stream) = stream else { continue };
                let request = crate::test_http::read_request_head(&mut stream);
                counter.fetch_add(1, Ordering::SeqCst);
                let request = String::from_utf8_lossy(&request);
                let path = request.split_whitespace().nth(1).unwrap_or("/");
                let accept = request
                    .lines()
                    .find_map(|line| {
                        let (name, value) = line.split_once(':')?;
                        name.eq_ignore_ascii_case("accept").then(|| value.trim())
                    })
                    .unwrap_or_default();
                let (status, content_type, body) = respond(path, accept);
                let _ = write!(
                    stream,
                    "HTTP/1.1 {status} Test\r\nContent-Type: {content_type}\r\nContent-Length: {}\r\nConnection: close\r\n\r\n",
                    body.len()
                );
                let _ = stream.write_all(&body);
            }
        });
        (base, requests)
    }

    /// A client for these locations, with retries that a root page must not use.
    fn client_for(indexes: &[String], find_links: Vec<FindLinks>) -> Client {
        let settings = IndexSettings {
            indexes: indexes.iter().map(|url| Url::parse(url).unwrap()).collect(),
            find_links,
            trusted_hosts: Vec::new(),
            cert: None,
            timeout: Duration::from_secs(10),
            retries: 3,
            max_artifact_size: config::DEFAULT_MAX_ARTIFACT_SIZE,
        };
        Client::new(settings, None, Duration::from_millis(1)).unwrap()
    }

    /// An index on this machine that answers at once is not waited on; one that takes 50 ms
    /// for every answer (a proxy in front of a distant index) is, though it answers a 404 (a
    /// JSON API it lacks) at once: only successful answers count.
    #[test]
    fn an_index_on_this_machine_that_answers_slowly_waits() {
        for (delay, waits) in [(0, false), (50, true)] {
            let (base, _) = serve(move |path, _| {
                if path.starts_with("/pypi/") {
                    return (404, "text/plain", Vec::new());
                }
                thread::sleep(Duration::from_millis(delay));
                (200, "text/plain", b"ok".to_vec())
            });
            let client = client_for(&[format!("{base}/simple/")], Vec::new());
            let missing = Url::parse(&format!("{base}/pypi/a/1.0/json")).unwrap();
            assert!(matches!(
                client.get_once(&missing, "application/json"),
                Attempt::Done(Ok(Reply::Absent(404)))
            ));
            assert!(!client.loopback_waits(), "nothing successful answered yet");
            let url = Url::parse(&format!("{base}/files/a-1.0.tar.gz")).unwrap();
            // The quickest of three answers counts: one slowed by a busy machine does not.
            for _ in 0..3 {
                assert!(matches!(
                    client.get_once(&url, "*/*"),
                    Attempt::Done(Ok(Reply::Found(_)))
                ));
            }
            assert_eq!(client.loopback_waits(), waits, "{delay} ms");
        }
    }

    #[test]
    fn project_names_come_from_root_pages_and_find_links() {
        let (base, requests) = serve(|path, accept| {
            match path {
            // A PEP 691 index answers JSON only to a client that asks for it.
            "/json/simple/" if accept.contains("application/vnd.pypi.simple.v1+json") => (
                200,
                "application/vnd.pypi.simple.v1+json",
                br#"{"meta":{"api-version":"1.1"},"projects":[{"name":"Requests"},{"name":"zope.interface"},{"name":"bad name"}]}"#.to_vec(),
            ),
            "/html/simple/" => (
                200,
                "text/html; charset=utf-8",
                b"<html><body><a href=\"/html/simple/flask/\">Flask</a><a href=\"/html/simple/requests/\">requests</a></body></html>".to_vec(),
            ),
            _ => (404, "text/plain", Vec::new()),
        }
        });
        let directory = tempfile::tempdir().unwrap();
        for filename in [
            "python_dateutil-2.8.2-py2.py3-none-any.whl",
            "legacy-name-1.0.tar.gz",
            "README.txt",
        ] {
            fs_err::write(directory.path().join(filename), b"").unwrap();
        }
        let client = client_for(
            &[
                format!("{base}/json/simple/"),
                // Without the slash PEP 503 puts at the end of a root URL.
                format!("{base}/html/simple"),
                // No root page at all: nothing to add, and no error.
                format!("{base}/missing/simple/"),
            ],
            vec![FindLinks::Directory(directory.path().to_path_buf())],
        );
        let names: Vec<String> = client
            .project_names()
            .unwrap()
            .iter()
            .map(ToString::to_string)
            .collect();
        assert_eq!(
            names,
            [
                "flask",
                "legacy-name",
                "python-dateutil",
                "requests",
                "zope-interface"
            ]
        );
        assert_eq!(requests.load(Ordering::SeqCst), 3);
    }

    #[test]
    fn a_failing_root_page_is_asked_once() {
        let (base, requests) = serve(|path, _| match path {
            "/busy/simple/" => (503, "text/plain", Vec::new()),
            "/pdf/simple/" => (200, "application/pdf", b"%PDF".to_vec()),
            _ => (404, "text/plain", Vec::new()),
        });
        let error = client_for(&[format!("{base}/busy/simple/")], Vec::new())
            .project_names()
            .unwrap_err();
        assert!(
            matches!(
                error,
                IndexError::Status {
                    status: 503,
                    retries: 0,
                    ..
                }
            ),
            "{error}"
        );
        assert_eq!(requests.load(Ordering::SeqCst), 1, "no retries");

        let error = client_for(&[format!("{base}/pdf/simple/")], Vec::new())
            .project_names()
            .unwrap_err();
        assert!(
            error
                .to_string()
                .contains("unexpected content type `application/pdf`"),
            "{error}"
        );
    }

    #[test]
    fn bodies_past_the_bound_are_refused() {
        const MIB: usize = 1024 * 1024;
        let exact = read_bounded(std::io::Cursor::new(vec![b'x'; MIB]), MIB as u64).unwrap();
        assert_eq!(exact.len(), MIB);
        let error =
            read_bounded(std::io::Cursor::new(vec![b'x'; MIB + 1]), MIB as u64).unwrap_err();
        assert_eq!(error.kind(), std::io::ErrorKind::FileTooLarge);
        assert_eq!(error.to_string(), "larger than 1 MiB; not read");
    }
}
