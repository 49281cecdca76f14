//! Which indexes to ask, and how: the command line, the requirements files, pip's environment
//! variables and pip's configuration files, merged with the precedence pip itself applies.
//!
//! Checked against pip 23.2 (`pip download -r` with each source set, reading "Looking in
//! indexes"):
//! - configuration files load global (`/etc/xdg/pip/pip.conf`, `/etc/pip.conf`), then user
//!   (`~/.pip/pip.conf`, `~/.config/pip/pip.conf`), then site (`$VIRTUAL_ENV/pip.conf`), then
//!   `PIP_CONFIG_FILE`; a later file wins. `PIP_CONFIG_FILE=/dev/null` loads none, and an existing
//!   `PIP_CONFIG_FILE` skips the user files. In each, `[install]` overrides `[global]`.
//! - a `PIP_*` variable replaces the configuration value; a command-line `--index-url` replaces
//!   both, while command-line `--extra-index-url`, `--find-links` and `--trusted-host` are added
//!   after the environment's (or configuration's) list.
//! - a requirements file's `-i` replaces every index chosen so far, extras included; its
//!   `--extra-index-url` adds to the list; its `--no-index` empties it for good.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::time::Duration;

use url::Url;

use crate::env_vars::EnvVars;
use crate::requirements::{Document, FileOption, Spanned};

/// PyPI's simple API, pip's default index.
pub(crate) const DEFAULT_INDEX_URL: &str = "https://pypi.org/simple/";

/// The most bytes one artifact may have unless `--max-artifact-size` says otherwise: 16 GiB.
///
/// No real wheel comes near it. PyPI refuses files over 100 MB unless a project is granted
/// more, and its maintainers have refused limits above about 1 GB ("What to do about GPUs?",
/// discuss.python.org, 2021); the largest wheels anywhere are GPU builds on vendor indexes,
/// such as PyTorch's CUDA wheels at about 2.5 GB and ROCm builds at a few GB. 16 GiB leaves
/// several times that, while an endless body from a hostile index still stops after a few
/// minutes at most on a fast link rather than never (and the free-space check guards the disk
/// long before that).
pub(crate) const DEFAULT_MAX_ARTIFACT_SIZE: u64 = 16 << 30;

/// Index options given on the command line.
#[derive(Debug, Clone, Default)]
pub(crate) struct IndexArgs {
    /// `--index-url`.
    pub(crate) index_url: Option<String>,
    /// `--extra-index-url`, repeatable.
    pub(crate) extra_index_urls: Vec<String>,
    /// `--find-links`, repeatable.
    pub(crate) find_links: Vec<String>,
    /// `--no-index`.
    pub(crate) no_index: bool,
    /// `--trusted-host`, repeatable.
    pub(crate) trusted_hosts: Vec<String>,
    /// `--cert`.
    pub(crate) cert: Option<PathBuf>,
    /// `--timeout`, seconds.
    pub(crate) timeout: Option<f64>,
    /// `--retries`.
    pub(crate) retries: Option<u32>,
    /// `--max-artifact-size` (or `HASHPIN_MAX_ARTIFACT_SIZE`), bytes.
    pub(crate) max_artifact_size: Option<u64>,
}

/// A `--find-links` location.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub(crate) enum FindLinks {
    /// A local directory of artifacts.
    Directory(PathBuf),
    /// An HTML page of links.
    Page(Url),
}

/// Everything the index client needs to know.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct IndexSettings {
    /// Simple-API roots, the primary first.
    pub(crate) indexes: Vec<Url>,
    /// Find-links locations.
    pub(crate) find_links: Vec<FindLinks>,
    /// Hosts (`host` or `host:port`) allowed over plain http.
    pub(crate) trusted_hosts: Vec<String>,
    /// An extra CA bundle (`--cert`, `PIP_CERT`, pip.conf `cert`).
    pub(crate) cert: Option<PathBuf>,
    /// Connect and read timeout.
    pub(crate) timeout: Duration,
    /// Retries after a connection error, a 5xx or a 429.
    pub(crate) retries: u32,
    /// The most bytes one artifact may have.
    pub(crate) max_artifact_size: u64,
}

/// Why the settings could not be assembled.
#[derive(Debug, thiserror::Error)]
pub(crate) enum ConfigError {
    /// A URL that does not parse.
    #[error("invalid index URL `{url}` (from {origin}): {reason}")]
    BadUrl {
        /// The text, redacted.
        url: String,
        /// Where it came from.
        origin: String,
        /// Why it is invalid.
        reason: url::ParseError,
    },
    /// A number that does not parse.
    #[error("invalid value `{value}` for `{key}` (from {origin}): expected a number")]
    BadNumber {
        /// The key.
        key: String,
        /// The value.
        value: String,
        /// Where it came from.
        origin: String,
    },
}

/// pip's merged configuration: `[global]` then `[install]`, every file in order.
#[derive(Debug, Default)]
struct PipConfig {
    values: BTreeMap<String, (String, String)>,
}

impl PipConfig {
    fn load(env: &dyn Fn(&str) -> Option<String>) -> Self {
        let config_file = env(EnvVars::PIP_CONFIG_FILE);
        if config_file.as_deref() == Some("/dev/null") {
            return Self::default();
        }
        let mut files: Vec<PathBuf> = Vec::new();
        let xdg_dirs = env(EnvVars::XDG_CONFIG_DIRS).unwrap_or_else(|| "/etc/xdg".into());
        files.extend(
            xdg_dirs
                .split(':')
                .filter(|dir| !dir.is_empty())
                .map(|dir| Path::new(dir).join("pip").join("pip.conf")),
        );
        files.push(PathBuf::from("/etc/pip.conf"));
        let env_file_exists = config_file
            .as_deref()
            .is_some_and(|f| Path::new(f).exists());
        let isolated = env(EnvVars::PIP_ISOLATED_MODE).is_some_and(|v| truthy(&v));
        if !isolated && !env_file_exists {
            if let Some(home) = env(EnvVars::HOME) {
                files.push(Path::new(&home).join(".pip").join("pip.conf"));
            }
            let config_home = env(EnvVars::XDG_CONFIG_HOME)
                .or_else(|| env(EnvVars::HOME).map(|home| format!("{home}/.config")));
            if let Some(config_home) = config_home {
                files.push(Path::new(&config_home).join("pip").join("pip.conf"));
            }
        }
        if let Some(venv) = env(EnvVars::VIRTUAL_ENV) {
            files.push(Path::new(&venv).join("pip.conf"));
        }
        if let Some(file) = config_file {
            files.push(PathBuf::from(file));
        }
        let parsed: Vec<(PathBuf, IniSections)> = files
            .into_iter()
            .filter_map(|path| {
                let text = std::fs::read_to_string(&path).ok()?;
                Some((path, parse_ini(&text)))
            })
            .collect();
        let mut config = Self::default();
        for section in ["global", "install"] {
            for (path, sections) in &parsed {
                for (key, value) in sections.get(section).into_iter().flatten() {
                    let origin = format!("`{}` [{section}]", path.display());
                    config.values.insert(key.clone(), (value.clone(), origin));
                }
            }
        }
        config
    }
}

/// Sections of an INI file, each a map of normalized keys to values.
type IniSections = BTreeMap<String, BTreeMap<String, String>>;

/// A minimal INI reader for pip.conf: sections, `key = value` or `key: value`, indented
/// continuation lines, `#` and `;` comments. Keys are normalized as pip does.
fn parse_ini(text: &str) -> IniSections {
    let mut sections = IniSections::new();
    let mut section = String::new();
    let mut last_key: Option<String> = None;
    for raw in text.lines() {
        let trimmed = raw.trim();
        if trimmed.is_empty() || trimmed.starts_with('#') || trimmed.starts_with(';') {
            continue;
        }
        if raw.starts_with([' ', '\t']) {
            if let Some(key) = &last_key
                && let Some(value) = sections.entry(section.clone()).or_default().get_mut(key)
            {
                value.push('\n');
                value.push_str(trimmed);
            }
            continue;
        }
        if let Some(name) = trimmed.strip_prefix('[').and_then(|s| s.strip_suffix(']')) {
            section = name.trim().to_string();
            last_key = None;
            continue;
        }
        if let Some(split) = trimmed.find(['=', ':']) {
            let key = trimmed[..split]
                .trim()
                .trim_start_matches("--")
                .to_ascii_lowercase()
                .replace('_', "-");
            let value = trimmed[split + 1..].trim().to_string();
            sections
                .entry(section.clone())
                .or_default()
                .insert(key.clone(), value);
            last_key = Some(key);
        }
    }
    sections
}

fn truthy(value: &str) -> bool {
    matches!(
        value.trim().to_ascii_lowercase().as_str(),
        "1" | "true" | "yes" | "on" | "y"
    )
}

/// The environment variable pip reads for a configuration key (`PIP_<KEY>`).
fn pip_variable(key: &str) -> Option<&'static str> {
    Some(match key {
        "index-url" => EnvVars::PIP_INDEX_URL,
        "extra-index-url" => EnvVars::PIP_EXTRA_INDEX_URL,
        "find-links" => EnvVars::PIP_FIND_LINKS,
        "no-index" => EnvVars::PIP_NO_INDEX,
        "trusted-host" => EnvVars::PIP_TRUSTED_HOST,
        "cert" => EnvVars::PIP_CERT,
        "timeout" => EnvVars::PIP_TIMEOUT,
        "retries" => EnvVars::PIP_RETRIES,
        _ => return None,
    })
}

/// A value from the environment (`PIP_<KEY>`), else from the configuration files.
fn env_or_config(
    key: &str,
    env: &dyn Fn(&str) -> Option<String>,
    config: &PipConfig,
) -> Option<(String, String)> {
    pip_variable(key)
        .and_then(|variable| env(variable).map(|value| (value, format!("`{variable}`"))))
        .or_else(|| config.values.get(key).cloned())
}

fn parse_index_url(text: &str, origin: &str) -> Result<Url, ConfigError> {
    Url::parse(text.trim()).map_err(|reason| ConfigError::BadUrl {
        url: crate::safe_url::redact_str(text),
        origin: origin.to_string(),
        reason,
    })
}

/// A find-links value: a URL, or a path (pip resolves a file's relative paths against the
/// file's directory when that path exists).
fn parse_find_links(text: &str, relative_to: Option<&Path>) -> Result<FindLinks, ConfigError> {
    if let Some(path) = text.strip_prefix("file://") {
        return Ok(FindLinks::Directory(PathBuf::from(path)));
    }
    if text.contains("://") {
        return parse_index_url(text, "--find-links").map(FindLinks::Page);
    }
    let path = PathBuf::from(text);
    if let Some(base) = relative_to {
        let joined = base.join(&path);
        if path.is_relative() && joined.exists() {
            return Ok(FindLinks::Directory(joined));
        }
    }
    Ok(FindLinks::Directory(path))
}

/// Merges every source into the settings pip would use for `pip install -r <files>`.
///
/// `file_options` are the requirements files' options in the order pip meets them
/// ([`crate::requirements::load::options_in_pip_order`]).
pub(crate) fn resolve(
    args: &IndexArgs,
    file_options: &[(&Document, &Spanned<FileOption>)],
    env: &dyn Fn(&str) -> Option<String>,
) -> Result<IndexSettings, ConfigError> {
    let config = PipConfig::load(env);
    let list = |key: &str, cli: &[String]| -> Vec<(String, String)> {
        let mut values: Vec<(String, String)> = env_or_config(key, env, &config)
            .map(|(value, origin)| {
                value
                    .split_whitespace()
                    .map(|item| (item.to_string(), origin.clone()))
                    .collect()
            })
            .unwrap_or_default();
        values.extend(cli.iter().map(|item| (item.clone(), format!("`--{key}`"))));
        values
    };

    let (primary, primary_origin) = match &args.index_url {
        Some(url) => (url.clone(), "`--index-url`".to_string()),
        None => env_or_config("index-url", env, &config)
            .unwrap_or_else(|| (DEFAULT_INDEX_URL.to_string(), "the default".to_string())),
    };
    let mut indexes = vec![parse_index_url(&primary, &primary_origin)?];
    for (url, origin) in list("extra-index-url", &args.extra_index_urls) {
        indexes.push(parse_index_url(&url, &origin)?);
    }
    let mut no_index = args.no_index
        || env_or_config("no-index", env, &config).is_some_and(|(value, _)| truthy(&value));
    let mut find_links = Vec::new();
    for (value, _) in list("find-links", &args.find_links) {
        find_links.push(parse_find_links(&value, None)?);
    }
    let mut trusted_hosts: Vec<String> = list("trusted-host", &args.trusted_hosts)
        .into_iter()
        .map(|(host, _)| host)
        .collect();

    for (document, option) in file_options {
        let origin = format!("`{}`", document.path.display());
        match &option.value {
            FileOption::NoIndex => {
                no_index = true;
                indexes.clear();
            }
            FileOption::IndexUrl(url) if !no_index => {
                indexes = vec![parse_index_url(url, &origin)?];
            }
            FileOption::ExtraIndexUrl(url) if !no_index => {
                indexes.push(parse_index_url(url, &origin)?);
            }
            FileOption::FindLinks(value) => {
                find_links.push(parse_find_links(value, document.path.parent())?);
            }
            FileOption::TrustedHost(host) => trusted_hosts.push(host.clone()),
            _ => {}
        }
    }
    if no_index {
        indexes.clear();
    }
    indexes.dedup();

    let cert = args
        .cert
        .clone()
        .or_else(|| env_or_config("cert", env, &config).map(|(path, _)| PathBuf::from(path)));
    let number = |key: &str, cli: Option<f64>| -> Result<Option<f64>, ConfigError> {
        if cli.is_some() {
            return Ok(cli);
        }
        let found = env_or_config(key, env, &config).or_else(|| {
            (key == "timeout")
                .then(|| {
                    env(EnvVars::PIP_DEFAULT_TIMEOUT).map(|v| (v, "`PIP_DEFAULT_TIMEOUT`".into()))
                })
                .flatten()
        });
        match found {
            None => Ok(None),
            Some((value, origin)) => {
                value
                    .trim()
                    .parse::<f64>()
                    .map(Some)
                    .map_err(|_| ConfigError::BadNumber {
                        key: key.to_string(),
                        value,
                        origin,
                    })
            }
        }
    };
    let timeout = number("timeout", args.timeout)?.unwrap_or(15.0).max(0.1);
    let retries = number("retries", args.retries.map(f64::from))?.unwrap_or(5.0);
    Ok(IndexSettings {
        indexes,
        find_links,
        trusted_hosts,
        cert,
        timeout: Duration::from_secs_f64(timeout),
        #[expect(
            clippy::cast_possible_truncation,
            clippy::cast_sign_loss,
            reason = "clamped to a small count"
        )]
        retries: retries.clamp(0.0, 50.0) as u32,
        max_artifact_size: args.max_artifact_size.unwrap_or(DEFAULT_MAX_ARTIFACT_SIZE),
    })
}

#[cfg(test)]
mod tests {
    use std::collections::HashMap;

    use super::*;

    fn settings(args: &IndexArgs, file: &str, vars: &[(&str, &str)]) -> IndexSettings {
        let vars: HashMap<String, String> = vars
            .iter()
            .map(|(k, v)| ((*k).to_string(), (*v).to_string()))
            .collect();
        let env = move |name: &str| vars.get(name).cloned();
        let document =
            crate::requirements::parse(Path::new("r.txt"), file.to_string(), &env).unwrap();
        let options: Vec<_> = document
            .options()
            .map(|(_, option)| (&document, option))
            .collect();
        resolve(args, &options, &env).unwrap()
    }

    fn urls(settings: &IndexSettings) -> Vec<String> {
        settings.indexes.iter().map(ToString::to_string).collect()
    }

    #[test]
    fn precedence_matches_pip() {
        let dir = tempfile::tempdir().unwrap();
        let conf = dir.path().join("pip.conf");
        fs_err::write(
            &conf,
            "[global]\nindex-url = http://h/conf-global\nextra-index-url = http://h/conf-extra\ntimeout = 7\n[install]\nindex_url = http://h/conf-install\n",
        )
        .unwrap();
        let conf = conf.to_str().unwrap();
        let base = [("PIP_CONFIG_FILE", conf)];
        // [install] overrides [global].
        let only_config = settings(&IndexArgs::default(), "x==1\n", &base);
        assert_eq!(
            urls(&only_config),
            ["http://h/conf-install", "http://h/conf-extra"]
        );
        assert_eq!(only_config.timeout, Duration::from_secs(7));
        // The environment replaces the configuration's extras; the command line adds after it.
        let args = IndexArgs {
            index_url: Some("http://h/cli".into()),
            extra_index_urls: vec!["http://h/cli-extra".into()],
            ..IndexArgs::default()
        };
        let with_env = [
            ("PIP_CONFIG_FILE", conf),
            ("PIP_EXTRA_INDEX_URL", "http://h/env-extra"),
        ];
        assert_eq!(
            urls(&settings(
                &args,
                "--extra-index-url http://h/file-extra\nx==1\n",
                &with_env
            )),
            [
                "http://h/cli",
                "http://h/env-extra",
                "http://h/cli-extra",
                "http://h/file-extra"
            ]
        );
        // The file's -i replaces everything before it.
        assert_eq!(
            urls(&settings(
                &args,
                "-i http://h/file\n--extra-index-url http://h/fe\n",
                &with_env
            )),
            ["http://h/file", "http://h/fe"]
        );
        // --no-index in the file wins over a later -i.
        assert!(
            settings(&args, "--no-index\n-i http://h/file\n", &with_env)
                .indexes
                .is_empty()
        );
        // /dev/null disables every configuration file.
        let none = settings(
            &IndexArgs::default(),
            "",
            &[("PIP_CONFIG_FILE", "/dev/null")],
        );
        assert_eq!(urls(&none), [DEFAULT_INDEX_URL]);
    }
}
