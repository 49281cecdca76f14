//! Every environment variable hashpin reads, in one place.
//!
//! hashpin honours pip's own variables the way pip does, so that a shell set up for pip locks
//! what pip will install. Tests clear all of these to stay hermetic.

/// The environment variables hashpin reads.
pub struct EnvVars;

impl EnvVars {
    /// Where hashpin keeps downloaded artifacts, keyed by sha256.
    pub const HASHPIN_CACHE_DIR: &'static str = "HASHPIN_CACHE_DIR";
    /// Disables the artifact cache when set to `1`.
    pub const HASHPIN_NO_CACHE: &'static str = "HASHPIN_NO_CACHE";
    /// How many artifacts to download at once.
    pub const HASHPIN_JOBS: &'static str = "HASHPIN_JOBS";
    /// The first delay between retries, in milliseconds (doubling each time).
    pub const HASHPIN_RETRY_DELAY_MS: &'static str = "HASHPIN_RETRY_DELAY_MS";
    /// Disables color when set to anything non-empty (<https://no-color.org>).
    pub const NO_COLOR: &'static str = "NO_COLOR";
    /// Forces color even when not on a terminal.
    pub const FORCE_COLOR: &'static str = "FORCE_COLOR";
    /// pip's index URL.
    pub const PIP_INDEX_URL: &'static str = "PIP_INDEX_URL";
    /// pip's extra index URLs, separated by white space.
    pub const PIP_EXTRA_INDEX_URL: &'static str = "PIP_EXTRA_INDEX_URL";
    /// pip's find-links locations, separated by white space.
    pub const PIP_FIND_LINKS: &'static str = "PIP_FIND_LINKS";
    /// pip's `--no-index`.
    pub const PIP_NO_INDEX: &'static str = "PIP_NO_INDEX";
    /// pip's trusted hosts, separated by white space.
    pub const PIP_TRUSTED_HOST: &'static str = "PIP_TRUSTED_HOST";
    /// pip's CA bundle.
    pub const PIP_CERT: &'static str = "PIP_CERT";
    /// pip's network timeout, in seconds.
    pub const PIP_DEFAULT_TIMEOUT: &'static str = "PIP_DEFAULT_TIMEOUT";
    /// pip's `--timeout`, another spelling pip reads.
    pub const PIP_TIMEOUT: &'static str = "PIP_TIMEOUT";
    /// pip's retry count.
    pub const PIP_RETRIES: &'static str = "PIP_RETRIES";
    /// pip's configuration file; `/dev/null` disables every configuration file.
    pub const PIP_CONFIG_FILE: &'static str = "PIP_CONFIG_FILE";
    /// pip's isolated mode: ignore user configuration.
    pub const PIP_ISOLATED_MODE: &'static str = "PIP_ISOLATED_MODE";
    /// The active virtual environment, whose `pip.conf` pip reads.
    pub const VIRTUAL_ENV: &'static str = "VIRTUAL_ENV";
    /// The netrc file for credentials (default `~/.netrc`).
    pub const NETRC: &'static str = "NETRC";
    /// The user's home directory.
    pub const HOME: &'static str = "HOME";
    /// XDG configuration home (default `~/.config`).
    pub const XDG_CONFIG_HOME: &'static str = "XDG_CONFIG_HOME";
    /// XDG configuration directories (default `/etc/xdg`).
    pub const XDG_CONFIG_DIRS: &'static str = "XDG_CONFIG_DIRS";
    /// XDG cache home (default `~/.cache`).
    pub const XDG_CACHE_HOME: &'static str = "XDG_CACHE_HOME";

    /// Every variable above that changes what hashpin does; the tests remove them all.
    pub const ALL: &'static [&'static str] = &[
        Self::HASHPIN_CACHE_DIR,
        Self::HASHPIN_NO_CACHE,
        Self::HASHPIN_JOBS,
        Self::HASHPIN_RETRY_DELAY_MS,
        Self::NO_COLOR,
        Self::FORCE_COLOR,
        Self::PIP_INDEX_URL,
        Self::PIP_EXTRA_INDEX_URL,
        Self::PIP_FIND_LINKS,
        Self::PIP_NO_INDEX,
        Self::PIP_TRUSTED_HOST,
        Self::PIP_CERT,
        Self::PIP_DEFAULT_TIMEOUT,
        Self::PIP_TIMEOUT,
        Self::PIP_RETRIES,
        Self::PIP_CONFIG_FILE,
        Self::PIP_ISOLATED_MODE,
        Self::VIRTUAL_ENV,
        Self::NETRC,
        Self::XDG_CONFIG_HOME,
        Self::XDG_CONFIG_DIRS,
        Self::XDG_CACHE_HOME,
    ];
}

/// A variable's value, `None` when unset or empty.
pub fn var(name: &str) -> Option<String> {
    std::env::var(name).ok().filter(|value| !value.is_empty())
}
