//! The one place that runs pip: resolution (`pip install --dry-run --report`), the target
//! interpreter's wheel tags, and the final install hand-off.
//!
//! Resolution is pip's own, never a home-made resolver: pip knows the target interpreter,
//! markers, extras and every index option. hashpin only reads pip's report, and never takes
//! the hashes in it: every artifact is downloaded and hashed again by hashpin.
//! Non-goal: driving pip's internals; everything goes through `python -m pip` on the command
//! line, so any pip from 22.2 on works.

use std::collections::HashMap;
use std::fmt::Write as _;
use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};

use serde::Deserialize;
use url::Url;

use crate::env_vars::EnvVars;
use crate::interrupt::{self, Temporary};
use crate::lockfile::PinIndex;
use crate::name::PackageName;
use crate::report::Printer;
use crate::requirements::load::{Loaded, options_in_pip_order};
use crate::requirements::marker::Marker;
use crate::requirements::{FileOption, Target};
use crate::safe_url::redact_text;

/// Why running pip failed.
#[derive(Debug, thiserror::Error)]
pub(crate) enum PipError {
    /// The interpreter could not be started.
    #[error(
        "cannot run `{python}`: {source}\nhint: pass `--python <path to python>`, or activate a virtual environment"
    )]
    Spawn {
        /// The interpreter.
        python: String,
        /// Why.
        source: std::io::Error,
    },
    /// pip exited with an error.
    #[error("`pip {step}` failed (exit {code}):\n{stderr}")]
    Failed {
        /// What pip was asked to do.
        step: &'static str,
        /// pip's exit code.
        code: i32,
        /// What pip said, credentials redacted.
        stderr: String,
    },
    /// pip's own hash check refused a file during resolution.
    #[error("pip refused a download whose hash differs from the lockfile:\n{stderr}")]
    HashMismatch {
        /// What pip said.
        stderr: String,
    },
    /// pip's report was not what this version of hashpin reads.
    #[error(
        "cannot read pip's resolution report: {0}\nhint: hashpin needs pip 22.2 or newer (`python -m pip install -U pip`)"
    )]
    Report(String),
    /// A temporary file could not be made.
    #[error("cannot create a temporary file for pip's report: {0}")]
    Io(#[from] std::io::Error),
}

/// The interpreter packages are resolved and installed for.
#[derive(Debug, Clone)]
pub(crate) struct Interpreter {
    /// Its path.
    pub(crate) python: PathBuf,
}

impl Interpreter {
    /// `--python`, else the active virtual environment's, else `python3` on PATH.
    pub(crate) fn find(explicit: Option<&Path>, env: &dyn Fn(&str) -> Option<String>) -> Self {
        let python = explicit.map(Path::to_path_buf).unwrap_or_else(|| {
            env(EnvVars::VIRTUAL_ENV)
                .map(|venv| Path::new(&venv).join("bin").join("python"))
                .filter(|python| python.exists())
                .unwrap_or_else(|| PathBuf::from("python3"))
        });
        Self { python }
    }

    /// `X.Y`, as `python_version` in markers; `None` when the interpreter does not answer.
    /// A virtual environment's is read from its `pyvenv.cfg` instead of starting it: that
    /// costs ~15 ms of CPU, beside the resolver on a small machine, and a virtual environment's
    /// `X.Y` never changes (its packages live under `lib/pythonX.Y`; one whose base interpreter
    /// was replaced by another `X.Y` in place no longer works, and only the header would say
    /// the old one).
    pub(crate) fn version(&self) -> Option<String> {
        self.virtual_environment_version()
            .or_else(|| self.asked_version())
    }

    /// `X.Y` from the `pyvenv.cfg` beside the interpreter or one directory up (PEP 405):
    /// `version_info` (virtualenv, uv) or `version` (`python -m venv`).
    fn virtual_environment_version(&self) -> Option<String> {
        // A bare name is looked up on PATH: no directory to look in.
        if self.python.components().count() < 2 {
            return None;
        }
        let bin = self.python.parent()?;
        let text = [bin.join("pyvenv.cfg"), bin.parent()?.join("pyvenv.cfg")]
            .iter()
            .find_map(|path| fs_err::read_to_string(path).ok())?;
        let value = |wanted: &str| {
            text.lines().find_map(|line| {
                let (key, value) = line.split_once('=')?;
                (key.trim() == wanted).then(|| value.trim())
            })
        };
        let version = value("version_info").or_else(|| value("version"))?;
        let mut parts = version.split('.');
        let (major, minor) = (parts.next()?, parts.next()?);
        let numeric = |part: &str| !part.is_empty() && part.bytes().all(|b| b.is_ascii_digit());
        (numeric(major) && numeric(minor)).then(|| format!("{major}.{minor}"))
    }

    /// `X.Y`, from the interpreter itself.
    fn asked_version(&self) -> Option<String> {
        let mut command = Command::new(&self.python);
        command.args([
            "-I",
            "-c",
            "import sys; print('%d.%d' % sys.version_info[:2])",
        ]);
        let output = interrupt::output(&mut command).ok()?;
        output
            .status
            .success()
            .then(|| String::from_utf8_lossy(&output.stdout).trim().to_string())
    }

    fn pip(&self) -> Command {
        let mut command = Command::new(&self.python);
        command
            .args(["-m", "pip", "--disable-pip-version-check", "--no-input"])
            .stdin(Stdio::null());
        command
    }

    fn output(&self, command: &mut Command, step: &'static str) -> Result<Output, PipError> {
        // Through `interrupt`: Ctrl-C stops pip, and whatever pip started, too.
        let output = interrupt::output(command).map_err(|source| PipError::Spawn {
            python: self.python.display().to_string(),
            source,
        })?;
        if output.status.success() {
            return Ok(output);
        }
        let stderr = redact_text(&String::from_utf8_lossy(&output.stderr));
        if stderr.contains("DO NOT MATCH THE HASHES") {
            return Err(PipError::HashMismatch { stderr });
        }
        Err(PipError::Failed {
            step,
            code: output.status.code().unwrap_or(-1),
            stderr,
        })
    }

    /// Resolves `requirement_files` (plus `extra_args`, e.g. index options) for this
    /// interpreter with `pip install --dry-run --ignore-installed --report`.
    pub(crate) fn resolve(
        &self,
        requirement_files: &[PathBuf],
        extra_args: &[String],
    ) -> Result<Resolution, PipError> {
        let report = interrupt::temporary(|| {
            tempfile::Builder::new()
                .prefix("hashpin-report-")
                .suffix(".json")
                .tempfile()
        })?;
        let mut command = self.pip();
        command.args([
            "install",
            "--dry-run",
            "--ignore-installed",
            "--quiet",
            "--report",
        ]);
        command.arg(report.path());
        for file in requirement_files {
            command.arg("-r").arg(file);
        }
        command.args(extra_args);
        self.output(&mut command, "install --dry-run --report")?;
        let text = fs_err::read_to_string(report.path())?;
        Resolution::parse(&text)
    }

    /// The wheel tags this interpreter accepts, most preferred first, as pip computes them.
    pub(crate) fn supported_tags(&self) -> Result<Vec<String>, PipError> {
        let mut command = Command::new(&self.python);
        command.args([
            "-c",
            "from pip._vendor.packaging import tags\nfor t in tags.sys_tags(): print(t)",
        ]);
        let output = self.output(&mut command, "tags")?;
        Ok(String::from_utf8_lossy(&output.stdout)
            .lines()
            .map(str::to_string)
            .collect())
    }

    /// Installs exactly the verified files, named by path with their hashes: no index, no
    /// find-links, no dependency resolution. Not the lockfile itself: its own `-i`/`-f` lines
    /// (or pip.conf's) would let pip reach for files hashpin never saw.
    pub(crate) fn install_verified(
        &self,
        verified: &[(PathBuf, crate::hash::HashDigest)],
        pip_args: &[String],
        output_to_stderr: bool,
    ) -> Result<(), PipError> {
        let mut requirements = interrupt::temporary(|| {
            tempfile::Builder::new()
                .prefix("hashpin-verified-")
                .suffix(".txt")
                .tempfile()
        })?;
        let text: String = verified
            .iter()
            .map(|(path, hash)| format!("{} --hash={hash}\n", path.display()))
            .collect();
        std::io::Write::write_all(&mut *requirements, text.as_bytes())?;
        let mut command = self.pip();
        command
            .args([
                "install",
                "--no-index",
                "--no-deps",
                "--require-hashes",
                "-r",
            ])
            .arg(requirements.path());
        command.args(pip_args);
        for variable in [
            EnvVars::PIP_FIND_LINKS,
            EnvVars::PIP_INDEX_URL,
            EnvVars::PIP_EXTRA_INDEX_URL,
        ] {
            command.env_remove(variable);
        }
        if output_to_stderr {
            command.stdout(std::io::stderr());
        }
        let status =
            interrupt::status(command.stdin(Stdio::null())).map_err(|source| PipError::Spawn {
                python: self.python.display().to_string(),
                source,
            })?;
        if status.success() {
            Ok(())
        } else {
            Err(PipError::Failed {
                step: "install",
                code: status.code().unwrap_or(-1),
                stderr: "(pip's output is above)".into(),
            })
        }
    }
}

#[derive(Deserialize)]
struct Report {
    install: Vec<ReportItem>,
    /// The marker environment pip resolved for.
    #[serde(default)]
    environment: HashMap<String, String>,
}

#[derive(Deserialize)]
struct ReportItem {
    download_info: DownloadInfo,
    #[serde(default)]
    is_direct: bool,
    #[serde(default)]
    requested: bool,
    /// The extras the user asked for (pip reports them for user-supplied requirements).
    #[serde(default)]
    requested_extras: Vec<String>,
    metadata: ReportMetadata,
}

#[derive(Deserialize)]
struct DownloadInfo {
    url: String,
    #[serde(default)]
    archive_info: Option<serde_json::Value>,
}

#[derive(Deserialize)]
struct ReportMetadata {
    name: String,
    version: String,
    #[serde(default)]
    requires_dist: Vec<String>,
}

/// One package pip would install.
#[derive(Debug, Clone)]
pub(crate) struct Resolved {
    /// The project, normalized.
    pub(crate) project: PackageName,
    /// The name as its metadata spells it.
    pub(crate) display_name: String,
    /// The version.
    pub(crate) version: String,
    /// The artifact pip chose.
    pub(crate) url: Url,
    /// Its filename (the URL's last path segment).
    pub(crate) filename: String,
    /// Named in the requirements, rather than pulled in as a dependency.
    pub(crate) requested: bool,
    /// A direct URL requirement.
    pub(crate) is_direct: bool,
    /// Whether pip would install an archive (not a directory or a VCS checkout).
    pub(crate) is_archive: bool,
    /// Its `Requires-Dist` lines.
    pub(crate) requires_dist: Vec<String>,
    /// The extras the user asked for it with.
    pub(crate) requested_extras: Vec<String>,
}

/// pip's resolution.
#[derive(Debug, Clone, Default)]
pub(crate) struct Resolution {
    /// What pip would install, in pip's order.
    pub(crate) items: Vec<Resolved>,
    /// The marker environment pip resolved for (`python_version`, `sys_platform`, ...).
    pub(crate) environment: HashMap<String, String>,
    /// Who requires whom, worked out once ([`Resolution::via`]).
    parents: std::sync::OnceLock<HashMap<PackageName, Vec<String>>>,
}

impl Resolution {
    /// Parses pip's `--report` JSON.
    pub(crate) fn parse(text: &str) -> Result<Self, PipError> {
        let report: Report =
            serde_json::from_str(text).map_err(|error| PipError::Report(error.to_string()))?;
        let mut items = Vec::new();
        for item in report.install {
            let url = Url::parse(&item.download_info.url)
                .map_err(|error| PipError::Report(format!("bad URL in report: {error}")))?;
            let filename = url
                .path_segments()
                .and_then(|mut segments| segments.next_back())
                .map(crate::safe_url::percent_decode)
                .unwrap_or_default();
            items.push(Resolved {
                project: PackageName::new(&item.metadata.name),
                display_name: item.metadata.name,
                version: item.metadata.version,
                url,
                filename,
                requested: item.requested,
                is_direct: item.is_direct,
                is_archive: item.download_info.archive_info.is_some(),
                requires_dist: item.metadata.requires_dist,
                requested_extras: item.requested_extras,
            });
        }
        Ok(Self {
            items,
            environment: report.environment,
            parents: std::sync::OnceLock::new(),
        })
    }

    /// The installed projects that really require `project`, sorted: a `Requires-Dist` line
    /// that names it and whose marker holds in pip's environment, for the extras the parent
    /// itself was asked for (by the user, or by another parent's `name[extra]`). A dependency
    /// under an extra nobody asked for pulled nothing in.
    pub(crate) fn via(&self, project: &PackageName) -> Vec<String> {
        self.parents
            .get_or_init(|| {
                let mut parents: HashMap<PackageName, Vec<String>> = HashMap::new();
                for (parent, child) in self.edges() {
                    parents.entry(child).or_default().push(parent.to_string());
                }
                for names in parents.values_mut() {
                    names.sort();
                    names.dedup();
                }
                parents
            })
            .get(project)
            .cloned()
            .unwrap_or_default()
    }

    /// Every (parent, child) requirement that holds, with the extras each project is
    /// installed with found by following `name[extra]` requirements to a fixed point.
    fn edges(&self) -> Vec<(PackageName, PackageName)> {
        let environment = |name: &str| self.environment.get(name).cloned();
        let installed: std::collections::HashSet<&PackageName> =
            self.items.iter().map(|item| &item.project).collect();
        let mut extras: HashMap<PackageName, std::collections::BTreeSet<String>> = self
            .items
            .iter()
            .map(|item| {
                (
                    item.project.clone(),
                    item.requested_extras.iter().cloned().collect(),
                )
            })
            .collect();
        let parsed: Vec<Vec<Dependency>> = self
            .items
            .iter()
            .map(|item| {
                item.requires_dist
                    .iter()
                    .filter_map(|line| parse_requires_dist(line))
                    .collect()
            })
            .collect();
        loop {
            let mut edges = Vec::new();
            let mut grew = false;
            for (item, requirements) in self.items.iter().zip(&parsed) {
                let asked: Vec<String> = extras
                    .get(&item.project)
                    .map(|set| set.iter().cloned().collect())
                    .unwrap_or_default();
                for (child, child_extras, marker) in requirements {
                    if !installed.contains(child) {
                        continue;
                    }
                    if marker
                        .as_ref()
                        .is_some_and(|marker| !marker.evaluate(&environment, &asked))
                    {
                        continue;
                    }
                    edges.push((item.project.clone(), child.clone()));
                    let known = extras.entry(child.clone()).or_default();
                    for extra in child_extras {
                        grew |= known.insert(extra.clone());
                    }
                }
            }
            if !grew {
                return edges;
            }
        }
    }
}

/// A `Requires-Dist` line read: the project, the extras it asks of it, and its marker.
type Dependency = (PackageName, Vec<String>, Option<Marker>);

/// A `Requires-Dist` line's project, extras and marker; `None` when it cannot be read.
fn parse_requires_dist(line: &str) -> Option<Dependency> {
    let (requirement, marker) = match line.split_once(';') {
        Some((requirement, marker)) => (requirement, Some(Marker::parse(marker.trim()).ok()?)),
        None => (line, None),
    };
    let requirement = requirement.trim();
    let name_end = requirement
        .find(|c: char| !(c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.')))
        .unwrap_or(requirement.len());
    let name = &requirement[..name_end];
    if name.is_empty() {
        return None;
    }
    let rest = requirement[name_end..].trim_start();
    let extras = rest
        .strip_prefix('[')
        .and_then(|rest| rest.split_once(']'))
        .map(|(inside, _)| {
            inside
                .split(',')
                .map(|extra| extra.trim().to_string())
                .filter(|extra| !extra.is_empty())
                .collect()
        })
        .unwrap_or_default();
    Some((PackageName::new(name), extras, marker))
}

/// Requirements pip gets as a verified local copy instead of their URL, by (file, where the
/// requirement starts).
pub(crate) type LocalCopies = HashMap<(PathBuf, usize), String>;

/// How pip resolves without running code from bytes hashpin has not verified yet.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Mode {
    /// Nothing is recorded yet: trust on first use, pip resolves as it would.
    FirstUse,
    /// Recorded projects from wheels only (`--only-binary`): a wheel's metadata is read, never
    /// run. hashpin then checks every byte itself and reports any mismatch its own way.
    WheelsOnly,
    /// Every requirement's hashes go to pip, which checks each download before it builds
    /// anything: for recorded releases that have no wheel for this interpreter.
    PipHashes,
}

/// pip's resolution of the lockfiles for `hashpin install`: wheels only for recorded projects, falling back to pip's own hash
/// checking when a recorded release has no wheel pip can use.
pub(crate) fn resolve_lockfile(
    interpreter: &Interpreter,
    pins: &PinIndex<'_>,
    loaded: &[Loaded],
    local_copies: &LocalCopies,
    index_args: &[String],
    printer: &Printer,
) -> Result<crate::pip::Resolution, PipError> {
    let any_recorded = pins.iter().any(|pin| !pin.record.hashes.is_empty());
    if !any_recorded {
        let input = resolution_input(pins, loaded, local_copies, Mode::FirstUse)?;
        return interpreter.resolve(&[input.path().to_path_buf()], index_args);
    }
    let input = resolution_input(pins, loaded, local_copies, Mode::WheelsOnly)?;
    match interpreter.resolve(&[input.path().to_path_buf()], index_args) {
        Err(wheels_only @ PipError::Failed { .. }) => {
            printer.info("a recorded release has no wheel for this interpreter; resolving with pip's own hash checking");
            let input = resolution_input(pins, loaded, local_copies, Mode::PipHashes)?;
            // pip checks every hashed download before it builds anything; if it cannot
            // resolve that way either, the first error says more.
            match interpreter.resolve(&[input.path().to_path_buf()], index_args) {
                Err(PipError::Failed { .. }) => Err(wheels_only),
                other => other,
            }
        }
        other => other,
    }
}

/// The requirements pip resolves: every requirement and option of the lockfiles, in one
/// temporary file (mode 0600: it may hold index credentials), prepared for `mode`.
fn resolution_input(
    pins: &PinIndex<'_>,
    loaded: &[Loaded],
    local_copies: &LocalCopies,
    mode: Mode,
) -> Result<Temporary<tempfile::NamedTempFile>, PipError> {
    let mut text = String::new();
    for (document, option) in options_in_pip_order(loaded) {
        let directory = document.path.parent().unwrap_or(Path::new("."));
        let absolute = |value: &str| {
            let joined = directory.join(value);
            if joined.exists() {
                std::path::absolute(&joined)
                    .unwrap_or(joined)
                    .display()
                    .to_string()
            } else {
                value.to_string()
            }
        };
        let line = match &option.value {
            FileOption::IndexUrl(url) => format!("--index-url {url}"),
            FileOption::ExtraIndexUrl(url) => format!("--extra-index-url {url}"),
            FileOption::NoIndex => "--no-index".into(),
            FileOption::FindLinks(value) => format!("--find-links {}", absolute(value)),
            FileOption::TrustedHost(host) => format!("--trusted-host {host}"),
            FileOption::Constraint(path) => format!("--constraint {}", absolute(path)),
            FileOption::Pre => "--pre".into(),
            FileOption::PreferBinary => "--prefer-binary".into(),
            FileOption::OnlyBinary(value) => format!("--only-binary {value}"),
            FileOption::NoBinary(value) => format!("--no-binary {value}"),
            FileOption::RequireHashes
            | FileOption::Requirement(_)
            | FileOption::Editable(_)
            | FileOption::Other { .. } => continue,
        };
        text.push_str(&line);
        text.push('\n');
    }
    let mut wheels_only = Vec::new();
    for pin in pins.iter() {
        let entry = pin.entry;
        match local_copies.get(&(pin.document.path.clone(), entry.requirement.span.start)) {
            Some(local) => text.push_str(local),
            None => text.push_str(&entry.requirement.value),
        }
        let hashes = &pin.record.hashes;
        match mode {
            Mode::PipHashes => {
                for hash in hashes {
                    let _ = write!(text, " --hash={hash}");
                }
            }
            Mode::WheelsOnly if !hashes.is_empty() => {
                if let Target::Pep508(requirement) = &entry.target {
                    wheels_only.push(requirement.name.to_string());
                }
            }
            Mode::WheelsOnly | Mode::FirstUse => {}
        }
        text.push('\n');
    }
    if !wheels_only.is_empty() {
        let _ = writeln!(text, "--only-binary {}", wheels_only.join(","));
    }
    let mut file = interrupt::temporary(|| {
        tempfile::Builder::new()
            .prefix("hashpin-resolve-")
            .suffix(".txt")
            .tempfile()
    })?;
    std::io::Write::write_all(&mut *file, text.as_bytes())?;
    Ok(file)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_virtual_environments_version_is_read_from_its_pyvenv_cfg() {
        let dir = tempfile::tempdir().unwrap();
        let bin = dir.path().join("bin");
        fs_err::create_dir_all(&bin).unwrap();
        // No program there to start: the answer can only come from the file.
        let interpreter = Interpreter {
            python: bin.join("python"),
        };
        assert_eq!(interpreter.version(), None, "no pyvenv.cfg, no interpreter");
        let cfg = dir.path().join("pyvenv.cfg");
        fs_err::write(&cfg, "home = /usr/bin\nversion = 3.11.7\n").unwrap();
        assert_eq!(interpreter.version().as_deref(), Some("3.11"));
        fs_err::write(&cfg, "version_info = 3.12.1.final.0\nversion = 9.9\n").unwrap();
        assert_eq!(
            interpreter.version().as_deref(),
            Some("3.12"),
            "virtualenv's key first"
        );
        fs_err::write(bin.join("pyvenv.cfg"), "version = 3.13.0\n").unwrap();
        assert_eq!(
            interpreter.version().as_deref(),
            Some("3.13"),
            "beside it first"
        );
        fs_err::write(bin.join("pyvenv.cfg"), "version = three\n").unwrap();
        assert_eq!(
            interpreter.version(),
            None,
            "not a version, and nothing to ask"
        );
        let bare = Interpreter {
            python: PathBuf::from("python-that-is-not-on-path"),
        };
        assert_eq!(bare.virtual_environment_version(), None);
    }

    #[test]
    fn reads_a_pip_report_and_finds_who_pulled_what_in() {
        let report = r#"{"version":"1","pip_version":"23.2.1","install":[
            {"download_info":{"url":"https://files.example/depa-1.0.0-py3-none-any.whl","archive_info":{"hashes":{"sha256":"00"}}},
             "is_direct":false,"requested":true,"metadata":{"name":"DepA","version":"1.0.0","requires_dist":["depb>=1.0","other; extra == 'x'"]}},
            {"download_info":{"url":"https://files.example/depb-1.2.0-py3-none-any.whl","archive_info":{}},
             "requested":false,"metadata":{"name":"depb","version":"1.2.0"}}],"environment":{}}"#;
        let resolution = Resolution::parse(report).unwrap();
        assert_eq!(resolution.items.len(), 2);
        let depb = &resolution.items[1];
        assert_eq!(depb.filename, "depb-1.2.0-py3-none-any.whl");
        assert!(!depb.requested && depb.is_archive);
        assert_eq!(resolution.via(&depb.project), ["depa"]);
        assert!(Resolution::parse("{}").is_err());
    }

    #[test]
    fn via_names_only_what_really_requires_a_package() {
        let item = |name: &str, requested: &str, extras: &str, requires: &str| {
            format!(
                r#"{{"download_info":{{"url":"https://f/{name}-1.0-py3-none-any.whl","archive_info":{{}}}},"requested":{requested},"requested_extras":[{extras}],"metadata":{{"name":"{name}","version":"1.0","requires_dist":[{requires}]}}}}"#
            )
        };
        let report = format!(
            r#"{{"install":[{},{},{},{},{}],"environment":{{"python_version":"3.11","sys_platform":"linux"}}}}"#,
            // The user asked for pytest[testing]; idna wants coverage only under an extra
            // nobody asked for; pytest's `testing` extra wants hypothesis[cli], whose `cli`
            // extra wants click; colorama only on Windows.
            item(
                "pytest",
                "true",
                r#""testing""#,
                r#""hypothesis[cli]; extra == 'testing'","colorama; sys_platform == 'win32'","iniconfig""#
            ),
            item("idna", "true", "", r#""coverage; extra == 'all'""#),
            item("hypothesis", "false", "", r#""click; extra == 'cli'""#),
            item(
                "click",
                "false",
                "",
                r#""colorama; sys_platform == 'win32'""#
            ),
            item("coverage", "true", "", ""),
        );
        let resolution = Resolution::parse(&report).unwrap();
        let via = |name: &str| resolution.via(&PackageName::new(name));
        assert_eq!(via("hypothesis"), ["pytest"]);
        assert_eq!(via("click"), ["hypothesis"], "through hypothesis[cli]");
        assert!(via("coverage").is_empty(), "idna wants it only under `all`");
        assert!(via("colorama").is_empty());
        assert!(via("iniconfig").is_empty(), "not installed");
    }
}
