//! uv as the resolver of `hashpin lock --resolve`: `uv pip compile` picks the versions, fast,
//! and nothing else. Its hashes are never asked for (`--generate-hashes` would take the
//! index's word): hashpin downloads and hashes every file of the releases uv picked itself.
//!
//! uv gets the index settings hashpin assembled with pip's precedence (command line, `PIP_*`,
//! pip.conf, the input's own options), so both resolvers see the same indexes, and pip's
//! strategy across them (`--index-strategy unsafe-best-match`: the best version of any index).

use std::path::{Path, PathBuf};
use std::process::Command;

use url::Url;

use crate::env_vars::EnvVars;
use crate::index::config::{FindLinks, IndexSettings};
use crate::interrupt;
use crate::name::PackageName;
use crate::resolver::Pick;
use crate::safe_url::redact_text;

/// Why uv could not resolve.
#[derive(Debug, thiserror::Error)]
pub(crate) enum UvError {
    /// The program could not be started.
    #[error(
        "cannot run `{program}`: {source}\nhint: install uv (`pipx install uv`), point `HASHPIN_UV` at it, or pass `--resolver pip`"
    )]
    Spawn {
        /// The program.
        program: String,
        /// Why.
        source: std::io::Error,
    },
    /// uv exited with an error.
    #[error("`uv pip compile` failed (exit {code}):\n{stderr}")]
    Failed {
        /// uv's exit code.
        code: i32,
        /// What uv said, credentials redacted.
        stderr: String,
    },
    /// uv wrote a line this version of hashpin does not read.
    #[error(
        "cannot read uv's resolution, line {line}: `{text}`\nhint: pass `--resolver pip`, or report this with your uv version"
    )]
    Output {
        /// The 1-based line.
        line: usize,
        /// The line.
        text: String,
    },
    /// A temporary file could not be made or read.
    #[error("cannot prepare uv's output file: {0}")]
    Io(#[from] std::io::Error),
}

/// A uv executable.
#[derive(Debug, Clone)]
pub(crate) struct Uv {
    /// Its path, or a bare name looked up on PATH.
    pub(crate) program: PathBuf,
}

/// What to resolve, and for which target.
pub(crate) struct Compile<'a> {
    /// The loose requirements (`requirements.in`).
    pub(crate) input: &'a Path,
    /// Pins uv should keep where it can (the previous output's, as requirement lines, less
    /// those `--upgrade` lets go).
    pub(crate) preferences: String,
    /// The indexes, as hashpin assembled them.
    pub(crate) settings: &'a IndexSettings,
    /// The interpreter to resolve for (`--python`).
    pub(crate) python: &'a Path,
    /// `--python-version`.
    pub(crate) python_version: Option<&'a str>,
    /// `--universal`: markers for every platform and Python version.
    pub(crate) universal: bool,
    /// The cooldown's cutoff (RFC 3339), for `--exclude-newer`.
    pub(crate) exclude_newer: Option<&'a str>,
}

impl Uv {
    /// `HASHPIN_UV`, else `uv` found on `PATH`; `Ok(None)` when there is none, an error when
    /// `HASHPIN_UV` names no program.
    pub(crate) fn find(env: &dyn Fn(&str) -> Option<String>) -> Result<Option<Self>, String> {
        if let Some(program) = env(EnvVars::HASHPIN_UV) {
            let program = PathBuf::from(program);
            // A bare name is looked up on PATH, as a shell would.
            let found = if program.components().count() == 1 {
                on_path(env, &program)
            } else {
                Some(program.clone()).filter(|program| is_executable(program))
            };
            return match found {
                Some(program) => Ok(Some(Self { program })),
                None => Err(format!(
                    "`HASHPIN_UV` is `{}`, which is no program that can run",
                    program.display()
                )),
            };
        }
        Ok(on_path(env, Path::new("uv")).map(|program| Self { program }))
    }

    /// Runs `uv pip compile` and reads what it picked.
    pub(crate) fn compile(&self, request: &Compile<'_>) -> Result<Vec<Pick>, UvError> {
        // uv keeps the pins of an existing output file unless told to upgrade: a private
        // directory holds that file, removed on every exit path.
        let dir =
            interrupt::temporary(|| tempfile::Builder::new().prefix("hashpin-uv-").tempdir())?;
        let output = dir.path().join("requirements.txt");
        fs_err::write(&output, &request.preferences)?;
        let mut command = Command::new(&self.program);
        // Only the indexes and rules hashpin hands over: uv's own variables that would change
        // what it resolves against (`UV_INDEX`, `UV_FIND_LINKS`, `UV_CONSTRAINT`, ...) are not
        // passed on; those that only say how uv runs are.
        for (name, _) in std::env::vars_os() {
            let name = name.to_string_lossy().into_owned();
            if name.starts_with("UV_") && !KEPT_UV_VARIABLES.contains(&name.as_str()) {
                command.env_remove(&name);
            }
        }
        command
            .args(["pip", "compile", "--quiet", "--no-header", "--no-config"])
            .args(["--annotation-style", "split"])
            .args(["--index-strategy", "unsafe-best-match"])
            .arg("--output-file")
            .arg(&output)
            .arg("--python")
            .arg(request.python);
        index_args(&mut command, request.settings);
        if let Some(version) = request.python_version {
            command.args(["--python-version", version]);
        }
        if request.universal {
            command.arg("--universal");
        }
        if let Some(cutoff) = request.exclude_newer {
            // The cooldown, so that uv picks what hashpin will record.
            command.args(["--exclude-newer", cutoff]);
        }
        command.arg(request.input);
        // hashpin's policy for TLS is the system's roots (company proxies live there); the
        // user's own choice wins. Older uv knows only `UV_NATIVE_TLS`.
        if std::env::var_os("UV_NATIVE_TLS").is_none()
            && std::env::var_os("UV_SYSTEM_CERTS").is_none()
        {
            command
                .env("UV_SYSTEM_CERTS", "1")
                .env("UV_NATIVE_TLS", "1");
        }
        if let Some(cert) = &request.settings.cert {
            command.env("SSL_CERT_FILE", cert);
        }
        command.env(
            "UV_HTTP_TIMEOUT",
            request.settings.timeout.as_secs().max(1).to_string(),
        );
        let result = interrupt::output(&mut command).map_err(|source| UvError::Spawn {
            program: self.program.display().to_string(),
            source,
        })?;
        if !result.status.success() {
            return Err(UvError::Failed {
                code: result.status.code().unwrap_or(-1),
                stderr: redact_text(String::from_utf8_lossy(&result.stderr).trim_end()),
            });
        }
        let text = fs_err::read_to_string(&output)?;
        parse_output(&text)
    }
}

/// uv's variables that say how it runs, not what it resolves against: passed on.
const KEPT_UV_VARIABLES: &[&str] = &[
    "UV_CACHE_DIR",
    "UV_NO_CACHE",
    "UV_NATIVE_TLS",
    "UV_SYSTEM_CERTS",
    "UV_PYTHON_DOWNLOADS",
    "UV_PYTHON_INSTALL_DIR",
    "UV_NO_PROGRESS",
    "UV_CONCURRENT_DOWNLOADS",
    "UV_CONCURRENT_BUILDS",
    "UV_OFFLINE",
    "UV_KEYRING_PROVIDER",
];

/// The index settings, in uv's variables rather than on its command line: a URL may carry
/// credentials, and a command line is readable by every user of the machine.
fn index_args(command: &mut Command, settings: &IndexSettings) {
    match settings.indexes.split_first() {
        None => {
            command.arg("--no-index");
        }
        Some((primary, extra)) => {
            command.env("UV_INDEX_URL", primary.as_str());
            if !extra.is_empty() {
                let extra: Vec<&str> = extra.iter().map(url::Url::as_str).collect();
                command.env("UV_EXTRA_INDEX_URL", extra.join(" "));
            }
        }
    }
    let find_links: Vec<String> = settings
        .find_links
        .iter()
        .map(|location| match location {
            FindLinks::Directory(path) => path.display().to_string(),
            FindLinks::Page(url) => url.as_str().to_string(),
        })
        .collect();
    if !find_links.is_empty() {
        command.env("UV_FIND_LINKS", find_links.join(","));
    }
    for host in &settings.trusted_hosts {
        command.arg("--allow-insecure-host").arg(host);
    }
}

/// Reads `uv pip compile --no-header --annotation-style split` output: one requirement per
/// line (`name==version`, `name @ url`, each maybe `; marker`), each followed by its `# via`
/// lines (`    # via a, b`, or `    # via` and then one `    #   a` per line).
pub(crate) fn parse_output(text: &str) -> Result<Vec<Pick>, UvError> {
    let mut picks: Vec<Pick> = Vec::new();
    for (number, line) in text.lines().enumerate() {
        let unreadable = || UvError::Output {
            line: number + 1,
            text: redact_text(line),
        };
        let trimmed = line.trim();
        if trimmed.is_empty() {
            continue;
        }
        if let Some(comment) = trimmed.strip_prefix('#') {
            let comment = comment.trim();
            let via = comment
                .strip_prefix("via")
                .filter(|rest| rest.is_empty() || rest.starts_with(' '))
                .unwrap_or(comment);
            // A comment before the first requirement, or one that is not an annotation
            // (`# This file was autogenerated`), says nothing about a pick.
            let (Some(pick), true) = (picks.last_mut(), line.starts_with(' ')) else {
                continue;
            };
            for source in via.split(", ").map(str::trim).filter(|s| !s.is_empty()) {
                if source.starts_with("-r ") {
                    pick.requested = true;
                } else if !source.starts_with("-c ") && !source.starts_with("--") {
                    pick.via.push(source.to_string());
                }
            }
            continue;
        }
        if line.starts_with(' ') || trimmed.starts_with('-') {
            return Err(unreadable());
        }
        let (requirement, marker) = match trimmed.split_once(" ; ") {
            Some((requirement, marker)) => (requirement.trim(), Some(marker.trim().to_string())),
            None => (trimmed, None),
        };
        let pick = if let Some((name, url)) = requirement.split_once(" @ ") {
            let url = Url::parse(url.trim()).map_err(|_| unreadable())?;
            Pick::new(name.trim(), "", marker, Some(url))
        } else {
            let (name, version) = requirement.split_once("==").ok_or_else(unreadable)?;
            if version.is_empty() || name.contains(['[', '<', '>', '!', '~', '=']) {
                return Err(unreadable());
            }
            Pick::new(name.trim(), version.trim(), marker, None)
        };
        picks.push(pick);
    }
    Ok(picks)
}

/// `name` in the first directory of `PATH` that has it as a program.
fn on_path(env: &dyn Fn(&str) -> Option<String>, name: &Path) -> Option<PathBuf> {
    let path = env(EnvVars::PATH)?;
    std::env::split_paths(&path)
        .map(|dir| dir.join(name))
        .find(|candidate| is_executable(candidate))
}

/// Whether `path` is a file this user may run.
#[cfg(unix)]
fn is_executable(path: &Path) -> bool {
    use std::os::unix::fs::PermissionsExt;
    path.metadata()
        .is_ok_and(|meta| meta.is_file() && meta.permissions().mode() & 0o111 != 0)
}

/// Whether `path` is a file (elsewhere than Unix, there is no execute bit to ask about).
#[cfg(not(unix))]
fn is_executable(path: &Path) -> bool {
    path.is_file()
}

impl Pick {
    fn new(name: &str, version: &str, marker: Option<String>, direct_url: Option<Url>) -> Self {
        Self {
            project: PackageName::new(name),
            display_name: name.to_string(),
            version: version.to_string(),
            marker,
            direct_url,
            requested: false,
            via: Vec::new(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_uvs_split_annotations_markers_and_urls() {
        let text = "\
certifi==2026.10.19.post1
    # via requests
colorama==0.4.6 ; sys_platform == 'win32'
    # via
    #   click
    #   pytest
local @ file:///work/local-1.0.tar.gz
    # via -r requirements.in
requests==2.34.2
    # via
    #   -r requirements.in
    #   -c constraints.txt
";
        let picks = parse_output(text).unwrap();
        assert_eq!(picks.len(), 4);
        assert_eq!(picks[0].via, ["requests"]);
        assert!(!picks[0].requested);
        assert_eq!(picks[1].marker.as_deref(), Some("sys_platform == 'win32'"));
        assert_eq!(picks[1].via, ["click", "pytest"]);
        assert_eq!(
            picks[2].direct_url.as_ref().unwrap().as_str(),
            "file:///work/local-1.0.tar.gz"
        );
        assert!(picks[2].requested && picks[2].via.is_empty());
        assert!(picks[3].requested);
        assert_eq!(picks[3].version, "2.34.2");
    }

    #[test]
    fn a_line_it_cannot_read_is_an_error_naming_it() {
        for text in [
            "-e ./local\n",
            "foo>=1\n",
            "foo[bar]==1.0\n",
            "ok==1\n  bar==2\n",
        ] {
            let error = parse_output(text).unwrap_err();
            assert!(matches!(error, UvError::Output { .. }), "{text:?}: {error}");
        }
    }
}
