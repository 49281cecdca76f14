//! Every environment variable hashpin reads, in one place.
//!
//! hashpin honours pip's own variables the way pip does, so that a shell set up for pip locks
//! what pip will install. Tests clear all of these to stay hermetic.

/// The environment variables hashpin reads.
pub(crate) struct EnvVars;

impl EnvVars {
    /// Where hashpin keeps downloaded artifacts, keyed by sha256.
    pub(crate) const HASHPIN_CACHE_DIR: &'static str = "HASHPIN_CACHE_DIR";
    /// Disables the artifact cache when set to `1`.
    pub(crate) const HASHPIN_NO_CACHE: &'static str = "HASHPIN_NO_CACHE";
    /// How many artifacts to download at once.
    pub(crate) const HASHPIN_JOBS: &'static str = "HASHPIN_JOBS";
    /// The most bytes one artifact may have (`--max-artifact-size`).
    pub(crate) const HASHPIN_MAX_ARTIFACT_SIZE: &'static str = "HASHPIN_MAX_ARTIFACT_SIZE";
    /// The first delay between retries, in milliseconds (doubling each time).
    pub(crate) const HASHPIN_RETRY_DELAY_MS: &'static str = "HASHPIN_RETRY_DELAY_MS";
    /// The uv executable `lock --resolve` runs (default: `uv` on `PATH`).
    pub(crate) const HASHPIN_UV: &'static str = "HASHPIN_UV";
    /// `--resolver`: `auto`, `pip` or `uv`.
    pub(crate) const HASHPIN_RESOLVER: &'static str = "HASHPIN_RESOLVER";
    /// Where programs are looked up.
    pub(crate) const PATH: &'static str = "PATH";
    /// Disables color when set to anything non-empty (<https://no-color.org>).
    pub(crate) const NO_COLOR: &'static str = "NO_COLOR";
    /// Forces color even when not on a terminal.
    pub(crate) const FORCE_COLOR: &'static str = "FORCE_COLOR";
    /// pip's index URL.
    pub(crate) const PIP_INDEX_URL: &'static str = "PIP_INDEX_URL";
    /// pip's extra index URLs, separated by white space.
    pub(crate) const PIP_EXTRA_INDEX_URL: &'static str = "PIP_EXTRA_INDEX_URL";
    /// pip's find-links locations, separated by white space.
    pub(crate) const PIP_FIND_LINKS: &'static str = "PIP_FIND_LINKS";
    /// pip's `--no-index`.
    pub(crate) const PIP_NO_INDEX: &'static str = "PIP_NO_INDEX";
    /// pip's trusted hosts, separated by white space.
    pub(crate) const PIP_TRUSTED_HOST: &'static str = "PIP_TRUSTED_HOST";
    /// pip's CA bundle.
    pub(crate) const PIP_CERT: &'static str = "PIP_CERT";
    /// pip's network timeout, in seconds.
    pub(crate) const PIP_DEFAULT_TIMEOUT: &'static str = "PIP_DEFAULT_TIMEOUT";
    /// pip's `--timeout`, another spelling pip reads.
    pub(crate) const PIP_TIMEOUT: &'static str = "PIP_TIMEOUT";
    /// pip's retry count.
    pub(crate) const PIP_RETRIES: &'static str = "PIP_RETRIES";
    /// pip's configuration file; `/dev/null` disables every configuration file.
    pub(crate) const PIP_CONFIG_FILE: &'static str = "PIP_CONFIG_FILE";
    /// pip's isolated mode: ignore user configuration.
    pub(crate) const PIP_ISOLATED_MODE: &'static str = "PIP_ISOLATED_MODE";
    /// The active virtual environment, whose `pip.conf` pip reads.
    pub(crate) const VIRTUAL_ENV: &'static str = "VIRTUAL_ENV";
    /// The netrc file for credentials (default `~/.netrc`).
    pub(crate) const NETRC: &'static str = "NETRC";
    /// The user's home directory.
    pub(crate) const HOME: &'static str = "HOME";
    /// XDG configuration home (default `~/.config`).
    pub(crate) const XDG_CONFIG_HOME: &'static str = "XDG_CONFIG_HOME";
    /// XDG configuration directories (default `/etc/xdg`).
    pub(crate) const XDG_CONFIG_DIRS: &'static str = "XDG_CONFIG_DIRS";
    /// XDG cache home (default `~/.cache`).
    pub(crate) const XDG_CACHE_HOME: &'static str = "XDG_CACHE_HOME";
}

/// A variable's value, `None` when unset or empty.
pub(crate) fn var(name: &str) -> Option<String> {
    std::env::var(name).ok().filter(|value| !value.is_empty())
}
