//! User hooks: programs the user configures to run on every downloaded artifact after its hash
//! check has passed, as pip issue 1035 asked ("arbitrary checks on every downloaded
//! artifact"): a signature check, a license allow-list, a malware scan.
//!
//! # Where hooks come from
//!
//! Only from the user's own configuration, never from a requirements file (which may come from
//! anywhere and must not be able to run programs). The same table is read in four places, and
//! the hooks of all of them are combined in this order:
//!
//! 1. the user configuration, `$XDG_CONFIG_HOME/hashpin/config.toml` (an absolute
//!    `XDG_CONFIG_HOME` only, as the XDG spec asks), else `~/.config/hashpin/config.toml`;
//! 2. `hashpin.toml` in the project directory (top level);
//! 3. `pyproject.toml` in the project directory, under `[tool.hashpin]`;
//! 4. `--hook CMD` on the command line, in the order given.
//!
//! Hooks only add up: no file can remove or replace a hook another file configured, so a
//! project cannot switch off a check the user set up. The table:
//!
//! ```toml
//! hook-timeout = 60          # seconds; default 60; for this file's hooks without their own
//! [[hooks]]                  # in pyproject.toml: [[tool.hashpin.hooks]]
//! name = "signature"         # optional; shown in reports (default: the program's file name)
//! command = ["python3", "testdata/hooks/check_signature.py", "--keys", "keys/"]
//! timeout = 30               # optional, seconds
//! ```
//!
//! An unknown key is an error, not a warning: a typo such as `[[hook]]` must not silently
//! disable a security check. A program path with a `/` that is relative is resolved against
//! the directory of the file that names it (a user configuration must never run a program
//! that the current project supplies by the same relative name); a bare name is looked up on
//! `PATH` when the hook runs. Arguments are passed as written, so a script given as an
//! argument (`python3 hooks/check.py`) is found from the directory hashpin runs in: in the user
//! configuration, write such paths absolute.
//!
//! A `--hook CMD` is split the way a POSIX shell splits words ([`crate::shell_words`]: quotes
//! and backslashes honoured; no variables, `~` or globs are expanded, since no shell runs) and
//! takes the `hook-timeout` of the nearest file that sets one (`pyproject.toml`, then
//! `hashpin.toml`, then the user configuration), else 60 s.
//!
//! # How a hook runs
//!
//! As `command... PATH URL`, with `HASHPIN_PROJECT`, `HASHPIN_VERSION`, `HASHPIN_FILENAME` and
//! `HASHPIN_SHA256` added to the inherited environment, stdin null, and stdout and stderr
//! captured for the caller to show. Exit 0 is a pass, 3 asks the caller to try another
//! artifact of the release, anything else is a fail. It fails closed: a program that is
//! missing, crashes, is killed or outlives its timeout is a fail.
//!
//! Non-goals: this module never decides whether bytes are trusted (a hook runs only after the
//! hash check passed, and its verdict can only *refuse* an artifact, never accept a hash
//! mismatch); it does not pick the next artifact on a retry or count retries (the caller
//! does); it does not print (the caller shows what [`HookRun`] holds); and it runs no shell.

use std::fmt::Write as _;
use std::io::{self, Read};
use std::path::{Path, PathBuf};
use std::process::{Command, ExitStatus, Stdio};
use std::sync::mpsc::{self, Receiver};
use std::sync::{Arc, Mutex, PoisonError};
use std::thread;
use std::time::{Duration, Instant};

use serde::{Deserialize, Deserializer};

use crate::env_vars::EnvVars;
use crate::interrupt;
use crate::safe_url::redact_str;
use crate::shell_words::{SplitError, split_command};

/// The timeout of a hook when no configuration sets one.
pub(crate) const DEFAULT_TIMEOUT: Duration = Duration::from_secs(60);

/// At most this many bytes of a hook's stdout, and as many of its stderr, are kept.
pub(crate) const OUTPUT_LIMIT: usize = 64 * 1024;

/// The exit code by which a hook asks for another artifact of the release.
pub(crate) const RETRY_EXIT_CODE: i32 = 3;

/// The environment variable naming the artifact's project, as the lockfile records it.
pub(crate) const HASHPIN_PROJECT: &str = "HASHPIN_PROJECT";
/// The environment variable naming the artifact's version.
pub(crate) const HASHPIN_VERSION: &str = "HASHPIN_VERSION";
/// The environment variable holding the artifact's filename (the path may be a cache file).
pub(crate) const HASHPIN_FILENAME: &str = "HASHPIN_FILENAME";
/// The environment variable holding the artifact's sha256 digest, lowercase hex.
pub(crate) const HASHPIN_SHA256: &str = "HASHPIN_SHA256";

/// How long to wait for a hook's output to close after the hook itself has exited. Data
/// written before the exit is already in the pipe; only a background process that inherited
/// the pipe can hold it open longer, and its output is not worth hanging for.
const OUTPUT_GRACE: Duration = Duration::from_millis(500);

/// One configured hook.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Hook {
    /// The hook's name, for reports.
    pub(crate) name: String,
    /// The program and its arguments; no shell is involved.
    pub(crate) command: Vec<String>,
    /// How long the hook may run before it is killed and counted as a fail.
    pub(crate) timeout: Duration,
    /// Where it was configured: ``"`pyproject.toml` [tool.hashpin]"``, `"--hook"`, ….
    pub(crate) source: String,
}

/// Why the hook configuration could not be loaded.
#[derive(Debug, thiserror::Error)]
pub(crate) enum HookConfigError {
    /// A configuration file exists but cannot be read.
    #[error("cannot read hook configuration `{path}`")]
    Read {
        /// The file.
        path: PathBuf,
        /// Why it cannot be read.
        source: io::Error,
    },
    /// A configuration file is not valid TOML, or its hashpin table is not what we expect.
    #[error("invalid hashpin configuration in `{path}`: {message}\nhint: expected {expected}")]
    Invalid {
        /// The file.
        path: PathBuf,
        /// The TOML parser's message, with line, column and the offending line.
        message: String,
        /// What the file should hold, in words.
        expected: &'static str,
    },
    /// A `--hook` value that does not split into a command.
    #[error("invalid `--hook {value}`: {reason}")]
    CliHook {
        /// The value as given.
        value: String,
        /// Why it does not split into a program and arguments.
        reason: SplitError,
    },
}

/// What the user configuration, `hashpin.toml` and `pyproject.toml` should hold.
const EXPECTED_TABLE: &str = "`hook-timeout = SECONDS`, `exclude-newer-days = DAYS` and `[[hooks]]` entries with `command = [\"program\", \"arg\", ...]` and optional `name` and `timeout`";
/// The same, as spelled in `pyproject.toml`.
const EXPECTED_PYPROJECT: &str = "`[tool.hashpin]` with `hook-timeout = SECONDS`, `exclude-newer-days = DAYS` and `[[tool.hashpin.hooks]]` entries with `command = [\"program\", \"arg\", ...]` and optional `name` and `timeout`";

/// The hashpin table, wherever it sits.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "kebab-case")]
struct HashpinTable {
    /// The default timeout of this file's hooks.
    #[serde(default, deserialize_with = "deserialize_seconds")]
    hook_timeout: Option<Duration>,
    /// The hooks, in order.
    #[serde(default)]
    hooks: Vec<HookEntry>,
    /// The cooldown: files uploaded fewer days ago than this are not recorded.
    #[serde(default)]
    exclude_newer_days: Option<u32>,
}

/// One `[[hooks]]` entry as written.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct HookEntry {
    /// The name for reports.
    #[serde(default)]
    name: Option<String>,
    /// Program and arguments.
    #[serde(deserialize_with = "deserialize_command")]
    command: Vec<String>,
    /// This hook's own timeout.
    #[serde(default, deserialize_with = "deserialize_seconds")]
    timeout: Option<Duration>,
}

/// `pyproject.toml`: everything but `[tool.hashpin]` belongs to other tools and is ignored.
#[derive(Debug, Default, Deserialize)]
struct PyProject {
    /// The `[tool]` table.
    #[serde(default)]
    tool: Option<PyProjectTool>,
}

/// `pyproject.toml`'s `[tool]` table.
#[derive(Debug, Default, Deserialize)]
struct PyProjectTool {
    /// `[tool.hashpin]`.
    #[serde(default)]
    hashpin: Option<HashpinTable>,
}

/// A positive number of seconds, integer or float. Going through serde's error lets the TOML
/// parser point at the offending value.
fn deserialize_seconds<'de, D: Deserializer<'de>>(
    deserializer: D,
) -> Result<Option<Duration>, D::Error> {
    let seconds = f64::deserialize(deserializer)?;
    // TOML allows `nan` and `inf`; the first is caught here, the second by `try_from_secs_f64`.
    if seconds.is_nan() || seconds <= 0.0 {
        return Err(serde::de::Error::custom(format!(
            "expected a positive number of seconds, found {seconds}"
        )));
    }
    Duration::try_from_secs_f64(seconds)
        .map(Some)
        .map_err(|_| serde::de::Error::custom(format!("{seconds} seconds is too long")))
}

/// A non-empty array of strings whose first element, the program, is not empty.
fn deserialize_command<'de, D: Deserializer<'de>>(
    deserializer: D,
) -> Result<Vec<String>, D::Error> {
    let command = Vec::<String>::deserialize(deserializer)?;
    match command.first() {
        None => Err(serde::de::Error::custom(
            "expected a program and its arguments, found an empty array",
        )),
        Some(program) if program.is_empty() => Err(serde::de::Error::custom(
            "expected a program name or path, found an empty string",
        )),
        Some(_) => Ok(command),
    }
}

/// Hooks from the user's own configuration, in order: the user configuration file, then
/// `hashpin.toml`, then `pyproject.toml` `[tool.hashpin]`, then `cli_hooks` (see the module
/// documentation).
///
/// `project_dir` is the directory whose `pyproject.toml` and `hashpin.toml` count (the current
/// directory in practice). `env` looks up `XDG_CONFIG_HOME` and `HOME`; an empty value counts
/// as unset. `cli_hooks` are `--hook CMD` values. A missing file is no error; an unreadable or
/// malformed one is, naming the file.
///
/// # Errors
///
/// [`HookConfigError::Read`] for a file that exists but cannot be read,
/// [`HookConfigError::Invalid`] for one that is not TOML or whose hashpin table has an unknown
/// key or a wrong value, and [`HookConfigError::CliHook`] for a `--hook` value that does not
/// split into a command.
pub(crate) fn load(
    project_dir: &Path,
    env: &dyn Fn(&str) -> Option<String>,
    cli_hooks: &[String],
) -> Result<Vec<Hook>, HookConfigError> {
    // The command line first: a `--hook` value that does not split is a usage error, whatever
    // the files hold.
    let cli_commands = cli_hooks
        .iter()
        .map(|value| {
            split_command(value)
                .map(|command| (value, command))
                .map_err(|reason| HookConfigError::CliHook {
                    value: value.clone(),
                    reason,
                })
        })
        .collect::<Result<Vec<_>, _>>()?;
    let mut hooks = Vec::new();
    // The `hook-timeout` of the nearest file that sets one, for `--hook` values; later files
    // are nearer to the project, so each one that sets it overwrites the last.
    let mut cli_timeout = DEFAULT_TIMEOUT;

    if let Some(path) = user_config_path(env)
        && let Some(text) = read_optional(&path)?
    {
        let table = toml::from_str::<HashpinTable>(&text)
            .map_err(|error| invalid(&path, &error, EXPECTED_TABLE))?;
        let source = format!("`{}`", path.display());
        cli_timeout = table.hook_timeout.unwrap_or(cli_timeout);
        hooks.extend(resolve(table, &path, &source));
    }

    let path = project_dir.join("hashpin.toml");
    if let Some(text) = read_optional(&path)? {
        let table = toml::from_str::<HashpinTable>(&text)
            .map_err(|error| invalid(&path, &error, EXPECTED_TABLE))?;
        let source = format!("`{}`", path.display());
        cli_timeout = table.hook_timeout.unwrap_or(cli_timeout);
        hooks.extend(resolve(table, &path, &source));
    }

    let path = project_dir.join("pyproject.toml");
    if let Some(text) = read_optional(&path)? {
        // The whole document is parsed, so a syntax error anywhere in it is an error: hooks
        // cannot be known to be absent from a file that does not parse.
        let pyproject = toml::from_str::<PyProject>(&text)
            .map_err(|error| invalid(&path, &error, EXPECTED_PYPROJECT))?;
        if let Some(table) = pyproject.tool.and_then(|tool| tool.hashpin) {
            let source = format!("`{}` [tool.hashpin]", path.display());
            cli_timeout = table.hook_timeout.unwrap_or(cli_timeout);
            hooks.extend(resolve(table, &path, &source));
        }
    }

    for (value, command) in cli_commands {
        hooks.push(Hook {
            name: value.clone(),
            command,
            timeout: cli_timeout,
            source: "--hook".to_string(),
        });
    }
    Ok(hooks)
}

/// The cooldown in days the user's configuration sets: the largest of the user configuration,
/// `hashpin.toml` and `pyproject.toml` `[tool.hashpin]` (as hooks only add up, a project can
/// lengthen the user's cooldown, never shorten it). Read from the same files as hooks, never
/// from a requirements file.
///
/// # Errors
///
/// As [`load`], for a file that cannot be read or does not parse.
pub(crate) fn cooldown_days(
    project_dir: &Path,
    env: &dyn Fn(&str) -> Option<String>,
) -> Result<Option<u32>, HookConfigError> {
    let mut days: Option<u32> = None;
    let mut take = |found: Option<u32>| days = days.max(found);
    if let Some(path) = user_config_path(env)
        && let Some(text) = read_optional(&path)?
    {
        let table = toml::from_str::<HashpinTable>(&text)
            .map_err(|error| invalid(&path, &error, EXPECTED_TABLE))?;
        take(table.exclude_newer_days);
    }
    let path = project_dir.join("hashpin.toml");
    if let Some(text) = read_optional(&path)? {
        let table = toml::from_str::<HashpinTable>(&text)
            .map_err(|error| invalid(&path, &error, EXPECTED_TABLE))?;
        take(table.exclude_newer_days);
    }
    let path = project_dir.join("pyproject.toml");
    if let Some(text) = read_optional(&path)? {
        let pyproject = toml::from_str::<PyProject>(&text)
            .map_err(|error| invalid(&path, &error, EXPECTED_PYPROJECT))?;
        take(
            pyproject
                .tool
                .and_then(|tool| tool.hashpin)
                .and_then(|table| table.exclude_newer_days),
        );
    }
    Ok(days)
}

/// The user configuration file: `$XDG_CONFIG_HOME/hashpin/config.toml`, else
/// `$HOME/.config/hashpin/config.toml`; `None` when neither variable helps.
fn user_config_path(env: &dyn Fn(&str) -> Option<String>) -> Option<PathBuf> {
    let set = |name: &str| env(name).filter(|value| !value.is_empty());
    // XDG Base Directory spec: a relative path in these variables is invalid and ignored.
    let config_home = set(EnvVars::XDG_CONFIG_HOME)
        .map(PathBuf::from)
        .filter(|path| path.is_absolute())
        .or_else(|| set(EnvVars::HOME).map(|home| Path::new(&home).join(".config")))?;
    Some(config_home.join("hashpin").join("config.toml"))
}

/// A file's text, `None` when it does not exist.
fn read_optional(path: &Path) -> Result<Option<String>, HookConfigError> {
    match std::fs::read_to_string(path) {
        Ok(text) => Ok(Some(text)),
        Err(error) if error.kind() == io::ErrorKind::NotFound => Ok(None),
        Err(source) => Err(HookConfigError::Read {
            path: path.to_path_buf(),
            source,
        }),
    }
}

/// The error for a file that does not hold what we expect.
fn invalid(path: &Path, error: &toml::de::Error, expected: &'static str) -> HookConfigError {
    HookConfigError::Invalid {
        path: path.to_path_buf(),
        message: error.to_string().trim_end().to_string(),
        expected,
    }
}

/// The hooks of one file: timeouts filled in, relative program paths resolved against the
/// file's directory.
fn resolve(table: HashpinTable, file: &Path, source: &str) -> Vec<Hook> {
    let file_timeout = table.hook_timeout.unwrap_or(DEFAULT_TIMEOUT);
    let directory = file.parent().map(absolute_or_given).unwrap_or_default();
    table
        .hooks
        .into_iter()
        .map(|entry| {
            let mut command = entry.command;
            let name = entry.name.unwrap_or_else(|| {
                command
                    .first()
                    .map_or("", |program| program_file_name(program))
                    .to_string()
            });
            // A bare name goes to PATH at run time, like a shell would; only a relative path
            // is tied to the file that wrote it.
            if let Some(program) = command.first_mut()
                && program.contains('/')
                && Path::new(program.as_str()).is_relative()
            {
                *program = directory.join(program.as_str()).display().to_string();
            }
            Hook {
                name,
                command,
                timeout: entry.timeout.unwrap_or(file_timeout),
                source: source.to_string(),
            }
        })
        .collect()
}

/// The path made absolute against the current directory without resolving symlinks, or as
/// given if the current directory is unknown (the path then stays relative to it anyway).
fn absolute_or_given(path: &Path) -> PathBuf {
    std::path::absolute(path).unwrap_or_else(|_| path.to_path_buf())
}

/// The last component of a program path, for a default hook name.
fn program_file_name(program: &str) -> &str {
    program.rsplit('/').next().unwrap_or(program)
}

/// What the artifact is, for the hook's environment.
#[derive(Debug, Clone, Copy)]
pub(crate) struct ArtifactInfo<'a> {
    /// The project name, as the lockfile records it (`HASHPIN_PROJECT`).
    pub(crate) project: &'a str,
    /// The version (`HASHPIN_VERSION`).
    pub(crate) version: &'a str,
    /// The artifact's filename (`HASHPIN_FILENAME`).
    pub(crate) filename: &'a str,
    /// The sha256 digest, lowercase hex without a prefix (`HASHPIN_SHA256`).
    pub(crate) sha256: &'a str,
}

/// A hook's verdict.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum HookOutcome {
    /// Exit code 0: the artifact may be used.
    Pass,
    /// Exit code 3: refuse this artifact, but another artifact of the release may be tried.
    Retry,
    /// Anything else: refuse the artifact.
    Fail {
        /// Why, in words: `exited with code 1`, `timed out after 30s`, ….
        reason: String,
    },
}

/// What one run of a hook produced.
#[derive(Debug, Clone)]
pub(crate) struct HookRun {
    /// The verdict.
    pub(crate) outcome: HookOutcome,
    /// The first [`OUTPUT_LIMIT`] bytes of stdout (lossy UTF-8), with a note if more was cut.
    pub(crate) stdout: String,
    /// The first [`OUTPUT_LIMIT`] bytes of stderr (lossy UTF-8), with a note if more was cut.
    pub(crate) stderr: String,
    /// From just before the start until the verdict and the output were in.
    #[cfg_attr(
        not(test),
        expect(
            dead_code,
            reason = "the timeout tests measure it; nothing prints it yet"
        )
    )]
    pub(crate) elapsed: Duration,
}

/// Runs one hook as `command... PATH URL`, with `HASHPIN_PROJECT`, `HASHPIN_VERSION`,
/// `HASHPIN_FILENAME` and `HASHPIN_SHA256` added to the inherited environment and stdin null.
///
/// Exit 0 is [`HookOutcome::Pass`], 3 is [`HookOutcome::Retry`], any other code a
/// [`HookOutcome::Fail`]; so is a program that cannot be started, one killed by a signal, and
/// one still running at its timeout (it is then killed, with its process group on Unix). Never
/// panics. Credentials in `url` are replaced by `****` before it is passed on: a command line
/// is visible to every user of the machine.
///
/// On Unix the hook runs in a process group of its own ([`interrupt::spawn`]), so that a timeout
/// kills whatever it started as well. A terminal's Ctrl-C reaches hashpin alone, which stops the
/// hook's group in turn.
pub(crate) fn run(hook: &Hook, artifact: &Path, url: &str, info: &ArtifactInfo<'_>) -> HookRun {
    let started = Instant::now();
    let Some((program, arguments)) = hook.command.split_first() else {
        return HookRun {
            outcome: HookOutcome::Fail {
                reason: "the hook has no command".to_string(),
            },
            stdout: String::new(),
            stderr: String::new(),
            elapsed: started.elapsed(),
        };
    };
    let mut command = Command::new(program);
    command
        .args(arguments)
        .arg(artifact)
        .arg(redact_str(url))
        .env(HASHPIN_PROJECT, info.project)
        .env(HASHPIN_VERSION, info.version)
        .env(HASHPIN_FILENAME, info.filename)
        .env(HASHPIN_SHA256, info.sha256)
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());

    let mut child = match interrupt::spawn(&mut command) {
        Ok(child) => child,
        Err(error) => {
            return HookRun {
                outcome: HookOutcome::Fail {
                    reason: spawn_failure(program, &error),
                },
                stdout: String::new(),
                stderr: String::new(),
                elapsed: started.elapsed(),
            };
        }
    };
    // Both pipes are drained on their own threads from the start: a hook that fills one pipe
    // while we wait on the other, or on its exit, would otherwise block forever.
    let stdout = child.stdout.take().map(Capture::start);
    let stderr = child.stderr.take().map(Capture::start);

    // A timeout too large for the clock (say `Duration::MAX`) means no deadline at all.
    let deadline = started.checked_add(hook.timeout);
    let outcome = match child.wait_until(deadline) {
        Ok(Some(status)) => judge(status),
        Ok(None) => {
            child.kill();
            HookOutcome::Fail {
                reason: format!("timed out after {}", format_seconds(hook.timeout)),
            }
        }
        Err(error) => {
            // The child may have been reaped elsewhere (SIGCHLD ignored), so its pid may be
            // free for reuse: signal no group, only what std still considers ours.
            child.kill_alone();
            HookOutcome::Fail {
                reason: format!("could not wait for the hook: {error}"),
            }
        }
    };
    let output_deadline = Instant::now() + OUTPUT_GRACE;
    HookRun {
        outcome,
        stdout: stdout.map_or_else(String::new, |capture| capture.finish(output_deadline)),
        stderr: stderr.map_or_else(String::new, |capture| capture.finish(output_deadline)),
        elapsed: started.elapsed(),
    }
}

/// The verdict for an exit status.
fn judge(status: ExitStatus) -> HookOutcome {
    match status.code() {
        Some(0) => HookOutcome::Pass,
        Some(RETRY_EXIT_CODE) => HookOutcome::Retry,
        Some(code) => HookOutcome::Fail {
            reason: format!("exited with code {code}"),
        },
        None => HookOutcome::Fail {
            reason: killed_reason(status),
        },
    }
}

/// Why a process that has no exit code ended.
#[cfg(unix)]
fn killed_reason(status: ExitStatus) -> String {
    use std::os::unix::process::ExitStatusExt as _;
    match status.signal() {
        Some(signal) => format!("killed by signal {signal}"),
        None => format!("ended without an exit code ({status})"),
    }
}

/// Why a process that has no exit code ended.
#[cfg(not(unix))]
fn killed_reason(status: ExitStatus) -> String {
    format!("ended without an exit code ({status})")
}

/// Why the program did not start, with the likely cause for the common case.
fn spawn_failure(program: &str, error: &io::Error) -> String {
    if error.kind() == io::ErrorKind::NotFound && !program.contains('/') {
        format!("could not start `{program}`: not found on PATH")
    } else {
        format!("could not start `{program}`: {error}")
    }
}

/// `60s`, `0.2s`, `1.25s`.
fn format_seconds(duration: Duration) -> String {
    let text = format!("{:.3}", duration.as_secs_f64());
    let text = text.trim_end_matches('0').trim_end_matches('.');
    format!("{text}s")
}

/// What a reader thread has collected so far.
#[derive(Debug, Default)]
struct Captured {
    /// The first bytes, up to [`OUTPUT_LIMIT`].
    kept: Vec<u8>,
    /// How many bytes after those were read and dropped.
    dropped: u64,
}

/// One pipe being drained on its own thread.
struct Capture {
    /// Shared with the thread, so that output read so far can be taken even if the pipe never
    /// closes.
    captured: Arc<Mutex<Captured>>,
    /// Signalled (or disconnected) when the thread is done.
    done: Receiver<()>,
}

impl Capture {
    /// Starts a thread that reads `pipe` to its end, keeping the first [`OUTPUT_LIMIT`] bytes
    /// and dropping the rest: the hook must never block on a full pipe.
    fn start(mut pipe: impl Read + Send + 'static) -> Self {
        let captured = Arc::new(Mutex::new(Captured::default()));
        let (sender, done) = mpsc::channel();
        let shared = Arc::clone(&captured);
        // If no thread can be started, the closure is dropped with the pipe and the sender in
        // it: the hook's writes then fail with EPIPE, and `finish` does not wait.
        let _ = thread::Builder::new()
            .name("hashpin-hook-output".to_string())
            .spawn(move || {
                let mut buffer = [0_u8; 8192];
                loop {
                    let read = match pipe.read(&mut buffer) {
                        Ok(0) => break,
                        Ok(read) => read,
                        Err(error) if error.kind() == io::ErrorKind::Interrupted => continue,
                        Err(_) => break,
                    };
                    let mut captured = shared.lock().unwrap_or_else(PoisonError::into_inner);
                    let room = OUTPUT_LIMIT.saturating_sub(captured.kept.len());
                    let keep = read.min(room);
                    captured.kept.extend_from_slice(&buffer[..keep]);
                    captured.dropped += (read - keep) as u64;
                }
                let _ = sender.send(());
            });
        Self { captured, done }
    }

    /// The text read by the deadline. A pipe still open then (held by a background process the
    /// hook started) is abandoned to its thread, which ends when the pipe closes.
    fn finish(self, deadline: Instant) -> String {
        let _ = self
            .done
            .recv_timeout(deadline.saturating_duration_since(Instant::now()));
        let captured = self.captured.lock().unwrap_or_else(PoisonError::into_inner);
        let mut text = String::from_utf8_lossy(&captured.kept).into_owned();
        if captured.dropped > 0 {
            if !text.ends_with('\n') {
                text.push('\n');
            }
            let _ = write!(text, "[{} more bytes not shown]", captured.dropped);
        }
        text
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    use std::collections::HashMap;
    use std::io::Write as _;
    use std::net::TcpListener;

    use sha2::{Digest as _, Sha256};

    /// The crate's root, where `testdata/` lives.
    fn manifest_dir() -> PathBuf {
        PathBuf::from(env!("CARGO_MANIFEST_DIR"))
    }

    /// An environment lookup over a fixed map.
    fn env_of(pairs: &[(&str, &str)]) -> impl Fn(&str) -> Option<String> + use<> {
        let map: HashMap<String, String> = pairs
            .iter()
            .map(|(key, value)| ((*key).to_string(), (*value).to_string()))
            .collect();
        move |name| map.get(name).cloned()
    }

    /// No environment at all.
    fn no_env(_: &str) -> Option<String> {
        None
    }

    /// Writes `text` to `dir/relative`, creating directories.
    fn write(dir: &Path, relative: &str, text: &str) -> PathBuf {
        let path = dir.join(relative);
        std::fs::create_dir_all(path.parent().unwrap()).unwrap();
        std::fs::write(&path, text).unwrap();
        path
    }

    /// A hook running `command` with a 10 s timeout.
    fn hook(command: &[&str]) -> Hook {
        Hook {
            name: "test".to_string(),
            command: command.iter().map(|word| (*word).to_string()).collect(),
            timeout: Duration::from_secs(10),
            source: "test".to_string(),
        }
    }

    /// A shell-script hook: `sh -c SCRIPT hook PATH URL`, so PATH is `$1` and URL is `$2`.
    fn shell_hook(script: &str) -> Hook {
        hook(&["sh", "-c", script, "hook"])
    }

    /// What the simple hooks are told about the artifact.
    const INFO: ArtifactInfo<'static> = ArtifactInfo {
        project: "tinyproj",
        version: "1.0.0",
        filename: "tinyproj-1.0.0-py3-none-any.whl",
        sha256: "579a70f4",
    };

    /// Runs `hook` on a dummy path and URL.
    fn run_simple(hook: &Hook) -> HookRun {
        run(
            hook,
            Path::new("/tmp/artifact.whl"),
            "https://files.example/artifact.whl",
            &INFO,
        )
    }

    /// The reason of a failed run; panics on any other outcome.
    fn fail_reason(run: &HookRun) -> &str {
        match &run.outcome {
            HookOutcome::Fail { reason } => reason,
            other => panic!("expected a fail, got {other:?} ({run:?})"),
        }
    }

    // ---- configuration ----

    /// A user configuration with a file-wide timeout.
    const USER_CONFIG: &str = r#"
hook-timeout = 5
[[hooks]]
name = "user-scan"
command = ["scan", "--quick"]
"#;

    /// A `hashpin.toml` whose hook sets its own timeout.
    const HASHPIN_TOML: &str = r#"
[[hooks]]
name = "signature"
command = ["python3", "testdata/hooks/check_signature.py", "--keys", "keys/"]
timeout = 30
"#;

    /// A `pyproject.toml` with other tools' tables, a relative and an absolute program.
    const PYPROJECT: &str = r#"
[project]
name = "app"
version = "1.0"

[tool.black]
line-length = 100

[tool.hashpin]
hook-timeout = 90

[[tool.hashpin.hooks]]
name = "licenses"
command = ["./hooks/licenses.sh", "--allow", "MIT"]

[[tool.hashpin.hooks]]
command = ["/usr/local/bin/scanner"]
timeout = 2.5
"#;

    #[test]
    fn no_configuration_means_no_hooks() {
        let project = tempfile::tempdir().unwrap();
        let home = tempfile::tempdir().unwrap();
        let env = env_of(&[("HOME", home.path().to_str().unwrap())]);
        assert_eq!(load(project.path(), &env, &[]).unwrap(), vec![]);
        assert_eq!(load(project.path(), &no_env, &[]).unwrap(), vec![]);
    }

    #[test]
    fn combines_user_config_then_hashpin_toml_then_pyproject_then_cli() {
        let project = tempfile::tempdir().unwrap();
        let config_home = tempfile::tempdir().unwrap();
        let user_file = write(config_home.path(), "hashpin/config.toml", USER_CONFIG);
        write(project.path(), "hashpin.toml", HASHPIN_TOML);
        write(project.path(), "pyproject.toml", PYPROJECT);
        let env = env_of(&[
            ("XDG_CONFIG_HOME", config_home.path().to_str().unwrap()),
            ("HOME", "/nonexistent-home"),
        ]);
        let cli = vec!["audit --strict 'a b'".to_string()];

        let hooks = load(project.path(), &env, &cli).unwrap();

        let names: Vec<&str> = hooks.iter().map(|hook| hook.name.as_str()).collect();
        assert_eq!(
            names,
            [
                "user-scan",
                "signature",
                "licenses",
                "scanner",
                "audit --strict 'a b'"
            ]
        );
        let sources: Vec<&str> = hooks.iter().map(|hook| hook.source.as_str()).collect();
        let project_dir = project.path().display();
        assert_eq!(
            sources,
            [
                format!("`{}`", user_file.display()),
                format!("`{project_dir}/hashpin.toml`"),
                format!("`{project_dir}/pyproject.toml` [tool.hashpin]"),
                format!("`{project_dir}/pyproject.toml` [tool.hashpin]"),
                "--hook".to_string(),
            ]
        );
        // Each file's `hook-timeout` covers its own hooks; a hook's `timeout` wins; `--hook`
        // takes the nearest file's `hook-timeout` (pyproject.toml's 90 here).
        let timeouts: Vec<Duration> = hooks.iter().map(|hook| hook.timeout).collect();
        assert_eq!(
            timeouts,
            [
                Duration::from_secs(5),
                Duration::from_secs(30),
                Duration::from_secs(90),
                Duration::from_millis(2500),
                Duration::from_secs(90),
            ]
        );
        assert_eq!(hooks[4].command, ["audit", "--strict", "a b"]);
    }

    #[test]
    fn user_config_falls_back_to_home_dot_config() {
        let project = tempfile::tempdir().unwrap();
        let home = tempfile::tempdir().unwrap();
        write(home.path(), ".config/hashpin/config.toml", USER_CONFIG);
        // A relative XDG_CONFIG_HOME is invalid by the XDG spec and ignored.
        let env = env_of(&[
            ("HOME", home.path().to_str().unwrap()),
            ("XDG_CONFIG_HOME", "relative/config"),
        ]);
        let hooks = load(project.path(), &env, &[]).unwrap();
        assert_eq!(hooks.len(), 1);
        assert_eq!(hooks[0].name, "user-scan");
        assert_eq!(hooks[0].command, ["scan", "--quick"]);
        assert_eq!(hooks[0].timeout, Duration::from_secs(5));
    }

    #[test]
    fn empty_environment_values_count_as_unset() {
        let project = tempfile::tempdir().unwrap();
        let home = tempfile::tempdir().unwrap();
        write(home.path(), ".config/hashpin/config.toml", USER_CONFIG);
        let env = env_of(&[
            ("HOME", home.path().to_str().unwrap()),
            ("XDG_CONFIG_HOME", ""),
        ]);
        assert_eq!(load(project.path(), &env, &[]).unwrap().len(), 1);
    }

    #[test]
    fn each_place_alone_is_loaded() {
        let project = tempfile::tempdir().unwrap();
        write(project.path(), "hashpin.toml", HASHPIN_TOML);
        let hooks = load(project.path(), &no_env, &[]).unwrap();
        assert_eq!(hooks.len(), 1);
        assert_eq!(hooks[0].timeout, Duration::from_secs(30));
        // Only the program is resolved; arguments are passed exactly as written.
        assert_eq!(
            hooks[0].command,
            [
                "python3",
                "testdata/hooks/check_signature.py",
                "--keys",
                "keys/"
            ]
        );

        let project = tempfile::tempdir().unwrap();
        write(project.path(), "pyproject.toml", PYPROJECT);
        let hooks = load(project.path(), &no_env, &[]).unwrap();
        assert_eq!(hooks.len(), 2);

        let project = tempfile::tempdir().unwrap();
        let hooks = load(project.path(), &no_env, &["check".to_string()]).unwrap();
        assert_eq!(
            hooks,
            [Hook {
                name: "check".to_string(),
                command: vec!["check".to_string()],
                timeout: DEFAULT_TIMEOUT,
                source: "--hook".to_string(),
            }]
        );
    }

    #[test]
    fn default_timeout_is_sixty_seconds() {
        let project = tempfile::tempdir().unwrap();
        write(
            project.path(),
            "hashpin.toml",
            "[[hooks]]\ncommand = [\"x\"]\n",
        );
        let hooks = load(project.path(), &no_env, &["y".to_string()]).unwrap();
        assert_eq!(hooks[0].timeout, Duration::from_secs(60));
        assert_eq!(hooks[0].name, "x");
        assert_eq!(hooks[1].timeout, Duration::from_secs(60));
    }

    #[test]
    fn pyproject_without_hashpin_table_has_no_hooks() {
        let project = tempfile::tempdir().unwrap();
        write(
            project.path(),
            "pyproject.toml",
            "[project]\nname = \"app\"\n[tool.ruff]\nline-length = 1\nhooks = 3\n",
        );
        assert_eq!(load(project.path(), &no_env, &[]).unwrap(), vec![]);
    }

    #[test]
    fn relative_program_paths_resolve_against_the_file_directory() {
        let project = tempfile::tempdir().unwrap();
        write(project.path(), "pyproject.toml", PYPROJECT);
        let hooks = load(project.path(), &no_env, &[]).unwrap();
        let expected = std::path::absolute(project.path())
            .unwrap()
            .join("./hooks/licenses.sh");
        assert_eq!(hooks[0].command[0], expected.display().to_string());
        assert_eq!(hooks[0].command[1..], ["--allow", "MIT"]);
        // Absolute paths stay as they are.
        assert_eq!(hooks[1].command, ["/usr/local/bin/scanner"]);

        // In the user configuration too: never against the current project.
        let config_home = tempfile::tempdir().unwrap();
        write(
            config_home.path(),
            "hashpin/config.toml",
            "[[hooks]]\ncommand = [\"bin/check\", \"x/y\"]\n",
        );
        let env = env_of(&[("XDG_CONFIG_HOME", config_home.path().to_str().unwrap())]);
        let hooks = load(Path::new("/nonexistent"), &env, &[]).unwrap();
        let expected = std::path::absolute(config_home.path().join("hashpin/bin/check")).unwrap();
        assert_eq!(
            hooks[0].command,
            [expected.display().to_string(), "x/y".to_string()]
        );
    }

    #[test]
    fn unknown_key_is_an_error_naming_the_file_and_the_key() {
        let project = tempfile::tempdir().unwrap();
        let path = write(
            project.path(),
            "hashpin.toml",
            "[[hook]]\ncommand = [\"x\"]\n",
        );
        let error = load(project.path(), &no_env, &[]).unwrap_err();
        let message = error.to_string();
        assert!(
            matches!(&error, HookConfigError::Invalid { path: p, .. } if *p == path),
            "{message}"
        );
        assert!(message.contains(&path.display().to_string()), "{message}");
        assert!(message.contains("unknown field `hook`"), "{message}");
        assert!(message.contains("line 1"), "{message}");
        assert!(message.contains("hint: expected"), "{message}");

        // A typo inside a hook, in pyproject.toml.
        let project = tempfile::tempdir().unwrap();
        write(
            project.path(),
            "pyproject.toml",
            "[tool.hashpin]\n[[tool.hashpin.hooks]]\ncommand = [\"x\"]\ntimout = 5\n",
        );
        let message = load(project.path(), &no_env, &[]).unwrap_err().to_string();
        assert!(message.contains("pyproject.toml"), "{message}");
        assert!(message.contains("unknown field `timout`"), "{message}");
        assert!(message.contains("line 4"), "{message}");
        assert!(message.contains("[tool.hashpin]"), "{message}");
    }

    #[test]
    fn malformed_toml_is_an_error_naming_the_file_and_line() {
        let project = tempfile::tempdir().unwrap();
        let config_home = tempfile::tempdir().unwrap();
        let path = write(
            config_home.path(),
            "hashpin/config.toml",
            "[[hooks]]\ncommand = [\"x\"\n",
        );
        let env = env_of(&[("XDG_CONFIG_HOME", config_home.path().to_str().unwrap())]);
        let message = load(project.path(), &env, &[]).unwrap_err().to_string();
        assert!(message.contains(&path.display().to_string()), "{message}");
        assert!(message.contains("line 2"), "{message}");

        // A syntax error anywhere in pyproject.toml, even outside [tool.hashpin].
        write(project.path(), "pyproject.toml", "[project\nname = 1\n");
        let message = load(project.path(), &no_env, &[]).unwrap_err().to_string();
        assert!(message.contains("pyproject.toml"), "{message}");
    }

    #[test]
    fn bad_values_are_errors() {
        for (text, expected) in [
            ("hook-timeout = 0\n", "positive number of seconds"),
            ("hook-timeout = -1\n", "positive number of seconds"),
            ("hook-timeout = \"60\"\n", "invalid type"),
            ("[[hooks]]\ncommand = []\n", "empty array"),
            ("[[hooks]]\ncommand = [\"\"]\n", "empty string"),
            ("[[hooks]]\ncommand = \"python3 x.py\"\n", "invalid type"),
            (
                "[[hooks]]\nname = \"no command\"\n",
                "missing field `command`",
            ),
            ("[[hooks]]\ncommand = [\"x\"]\ntimeout = 0.0\n", "positive"),
        ] {
            let project = tempfile::tempdir().unwrap();
            write(project.path(), "hashpin.toml", text);
            let message = load(project.path(), &no_env, &[]).unwrap_err().to_string();
            assert!(message.contains(expected), "{text:?}: {message}");
            assert!(message.contains("hashpin.toml"), "{text:?}: {message}");
        }
    }

    #[test]
    fn unreadable_config_is_an_error() {
        let project = tempfile::tempdir().unwrap();
        // A directory where the file should be cannot be read as text.
        std::fs::create_dir(project.path().join("hashpin.toml")).unwrap();
        let error = load(project.path(), &no_env, &[]).unwrap_err();
        assert!(matches!(error, HookConfigError::Read { .. }), "{error}");
    }

    #[test]
    fn cli_hooks_split_like_a_posix_shell() {
        // The splitting rules themselves are tested in `shell_words`.
        let hooks = load(
            Path::new("/nonexistent"),
            &no_env,
            &["check 'a b' \\\n  \"c\\\"d\"".to_string()],
        )
        .unwrap();
        assert_eq!(hooks[0].command, ["check", "a b", "c\"d"]);
        assert_eq!(hooks[0].name, "check 'a b' \\\n  \"c\\\"d\"");

        for (value, message) in [
            ("x 'y", "invalid `--hook x 'y`: no closing quotation `'`"),
            (
                "x \\",
                "invalid `--hook x \\`: a trailing backslash escapes nothing",
            ),
            ("'' x", "invalid `--hook '' x`: empty command"),
        ] {
            let error = load(Path::new("/nonexistent"), &no_env, &[value.to_string()]).unwrap_err();
            assert!(
                matches!(&error, HookConfigError::CliHook { value: v, .. } if v == value),
                "{error}"
            );
            assert_eq!(error.to_string(), message);
        }
    }

    // ---- running ----

    #[test]
    fn exit_zero_passes_three_retries_other_codes_fail() {
        let run_0 = run_simple(&shell_hook("echo fine; echo note >&2"));
        assert_eq!(run_0.outcome, HookOutcome::Pass);
        assert_eq!(run_0.stdout, "fine\n");
        assert_eq!(run_0.stderr, "note\n");

        assert_eq!(
            run_simple(&shell_hook("exit 3")).outcome,
            HookOutcome::Retry
        );

        let run_1 = run_simple(&shell_hook("echo bad signature >&2; exit 1"));
        assert_eq!(fail_reason(&run_1), "exited with code 1");
        assert_eq!(run_1.stderr, "bad signature\n");

        assert_eq!(
            fail_reason(&run_simple(&shell_hook("exit 2"))),
            "exited with code 2"
        );
    }

    #[test]
    fn missing_program_fails() {
        let run_missing = run_simple(&hook(&["hashpin-no-such-hook-program"]));
        assert_eq!(
            fail_reason(&run_missing),
            "could not start `hashpin-no-such-hook-program`: not found on PATH"
        );
        let run_missing = run_simple(&hook(&["/nonexistent/hook"]));
        assert!(
            fail_reason(&run_missing).starts_with("could not start `/nonexistent/hook`: "),
            "{run_missing:?}"
        );
        let run_empty = run_simple(&hook(&[]));
        assert_eq!(fail_reason(&run_empty), "the hook has no command");
    }

    #[test]
    #[cfg(unix)]
    fn killed_by_a_signal_fails() {
        let run_killed = run_simple(&shell_hook("kill -9 $$"));
        assert_eq!(fail_reason(&run_killed), "killed by signal 9");
    }

    #[test]
    fn timeout_kills_the_hook_and_fails() {
        // `sleep 5` itself would be handed PATH and URL as more durations and exit at once
        // with an error, so the sleep runs under `sh -c`.
        let mut sleeper = shell_hook("sleep 5");
        sleeper.timeout = Duration::from_millis(200);
        let run_slow = run_simple(&sleeper);
        assert_eq!(fail_reason(&run_slow), "timed out after 0.2s");
        assert!(run_slow.elapsed < Duration::from_secs(3), "{run_slow:?}");
        assert!(
            run_slow.elapsed >= Duration::from_millis(200),
            "{run_slow:?}"
        );
    }

    #[test]
    #[cfg(unix)]
    fn timeout_kills_the_whole_process_group() {
        // The hook starts a background job that would leave a marker after 1 s, then waits.
        // Killing only `sh` would leave the job running (and holding the output pipes open).
        let dir = tempfile::tempdir().unwrap();
        let marker = dir.path().join("survived");
        let mut sleeper = hook(&[
            "sh",
            "-c",
            "echo started; (sleep 1 && touch \"$0\") & wait",
            marker.to_str().unwrap(),
        ]);
        sleeper.timeout = Duration::from_millis(300);
        let run_slow = run_simple(&sleeper);
        assert_eq!(fail_reason(&run_slow), "timed out after 0.3s");
        // Everything the hook wrote before the timeout is still shown.
        assert_eq!(run_slow.stdout, "started\n");
        assert!(run_slow.elapsed < Duration::from_secs(3), "{run_slow:?}");
        thread::sleep(Duration::from_millis(1500));
        assert!(
            !marker.exists(),
            "the hook's background job outlived the timeout"
        );
    }

    #[test]
    fn a_timeout_too_large_for_the_clock_means_no_deadline() {
        let mut patient = shell_hook("exit 0");
        patient.timeout = Duration::MAX;
        assert_eq!(run_simple(&patient).outcome, HookOutcome::Pass);
    }

    #[test]
    fn background_process_holding_the_output_does_not_hang_the_run() {
        // The hook passes and exits at once but leaves a child with its stdout open.
        let run_bg = run_simple(&shell_hook("echo done; sleep 5 & exit 0"));
        assert_eq!(run_bg.outcome, HookOutcome::Pass);
        assert_eq!(run_bg.stdout, "done\n");
        assert!(run_bg.elapsed < Duration::from_secs(3), "{run_bg:?}");
    }

    #[test]
    fn chatty_hook_does_not_deadlock_and_output_is_bounded() {
        // 1 MB on each stream, far beyond a pipe's buffer.
        let run_chatty = run_simple(&shell_hook(
            "head -c 1000000 /dev/zero | tr '\\0' o; head -c 1000000 /dev/zero | tr '\\0' e >&2",
        ));
        assert_eq!(run_chatty.outcome, HookOutcome::Pass);
        let expected_note = format!("\n[{} more bytes not shown]", 1_000_000 - OUTPUT_LIMIT);
        assert_eq!(
            run_chatty.stdout,
            format!("{}{expected_note}", "o".repeat(OUTPUT_LIMIT))
        );
        assert_eq!(
            run_chatty.stderr,
            format!("{}{expected_note}", "e".repeat(OUTPUT_LIMIT))
        );
    }

    #[test]
    fn arguments_are_path_then_url_after_the_configured_ones() {
        let mut printer = hook(&["sh", "-c", "printf '%s\\n' \"$@\"", "hook", "--keys", "k d"]);
        printer.timeout = Duration::from_secs(10);
        let run_args = run(
            &printer,
            Path::new("/cache/ab/cd.whl"),
            "https://user:secret@files.example/t.whl",
            &INFO,
        );
        assert_eq!(run_args.outcome, HookOutcome::Pass);
        // Credentials never reach a command line, where any local user could read them.
        assert_eq!(
            run_args.stdout,
            "--keys\nk d\n/cache/ab/cd.whl\nhttps://user:****@files.example/t.whl\n"
        );
    }

    #[test]
    fn environment_describes_the_artifact() {
        let dir = tempfile::tempdir().unwrap();
        let script = write(
            dir.path(),
            "env-hook.sh",
            "#!/bin/sh\nprintf 'project=%s\\nversion=%s\\nfilename=%s\\nsha256=%s\\n' \
             \"$HASHPIN_PROJECT\" \"$HASHPIN_VERSION\" \"$HASHPIN_FILENAME\" \"$HASHPIN_SHA256\"\n",
        );
        let run_env = run_simple(&hook(&["sh", script.to_str().unwrap()]));
        assert_eq!(run_env.outcome, HookOutcome::Pass);
        assert_eq!(
            run_env.stdout,
            "project=tinyproj\nversion=1.0.0\nfilename=tinyproj-1.0.0-py3-none-any.whl\nsha256=579a70f4\n"
        );
        // The rest of the environment is inherited (PATH found `sh` and `printf`).
        let run_path = run_simple(&shell_hook("test -n \"$PATH\""));
        assert_eq!(run_path.outcome, HookOutcome::Pass);
    }

    #[test]
    fn formats_seconds_without_trailing_zeros() {
        assert_eq!(format_seconds(Duration::from_secs(60)), "60s");
        assert_eq!(format_seconds(Duration::from_millis(200)), "0.2s");
        assert_eq!(format_seconds(Duration::from_millis(1250)), "1.25s");
    }

    // ---- the example hooks in testdata/hooks ----

    /// A hook running one of the example scripts with `python3`.
    fn example(script: &str, arguments: &[&str]) -> Hook {
        let path = manifest_dir().join("testdata/hooks").join(script);
        let mut command = vec!["python3".to_string(), path.display().to_string()];
        command.extend(arguments.iter().map(|argument| (*argument).to_string()));
        Hook {
            name: script.to_string(),
            command,
            timeout: Duration::from_secs(30),
            source: "test".to_string(),
        }
    }

    /// Information for an artifact named `filename`.
    fn info_for(filename: &str) -> ArtifactInfo<'_> {
        ArtifactInfo {
            project: "tinyproj",
            version: "1.0.0",
            filename,
            sha256: "0000",
        }
    }

    /// HMAC-SHA256 (RFC 2104), written out because the crate has no `hmac` dependency.
    fn hmac_sha256_hex(key: &[u8], message: &[u8]) -> String {
        let mut block = [0_u8; 64];
        if key.len() > 64 {
            block[..32].copy_from_slice(&Sha256::digest(key));
        } else {
            block[..key.len()].copy_from_slice(key);
        }
        let inner_key: Vec<u8> = block.iter().map(|byte| byte ^ 0x36).collect();
        let outer_key: Vec<u8> = block.iter().map(|byte| byte ^ 0x5c).collect();
        let inner = Sha256::new()
            .chain_update(&inner_key)
            .chain_update(message)
            .finalize();
        let outer = Sha256::new()
            .chain_update(&outer_key)
            .chain_update(inner)
            .finalize();
        hex::encode(outer)
    }

    /// Serves one HTTP response to one request on 127.0.0.1; returns the base URL.
    fn serve_once(status: &'static str, body: String) -> String {
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        let address = listener.local_addr().unwrap();
        thread::spawn(move || {
            if let Ok((mut stream, _)) = listener.accept() {
                crate::test_http::read_request_head(&mut stream);
                let _ = write!(
                    stream,
                    "HTTP/1.1 {status}\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{body}",
                    body.len()
                );
            }
        });
        format!("http://{address}")
    }

    /// A temporary directory with a copy of `artifact`, a key in `keys/hmac.key`, and
    /// (if `sign`) a valid `.sig` next to the copy.
    struct Signed {
        /// Holds the copy, the key and the signature; removed on drop.
        dir: tempfile::TempDir,
        /// The copied artifact.
        artifact: PathBuf,
        /// The valid signature of the copy, hex.
        signature: String,
    }

    /// A [`Signed`] copy of the fixture `artifact`.
    fn signed(artifact: &str, sign: bool) -> Signed {
        let dir = tempfile::tempdir().unwrap();
        let source = manifest_dir()
            .join("testdata/index/tinyproj")
            .join(artifact);
        let copy = dir.path().join(artifact);
        std::fs::copy(&source, &copy).unwrap();
        // The script strips white space around the key, as `echo KEY > hmac.key` leaves some.
        write(dir.path(), "keys/hmac.key", "test signing key\n");
        let signature = hmac_sha256_hex(b"test signing key", &std::fs::read(&copy).unwrap());
        if sign {
            write(
                dir.path(),
                &format!("{artifact}.sig"),
                &format!("{signature}\n"),
            );
        }
        Signed {
            dir,
            artifact: copy,
            signature,
        }
    }

    /// A fixture wheel without license metadata.
    const WHEEL: &str = "tinyproj-1.0.0-py3-none-any.whl";
    /// A fixture sdist without license metadata.
    const SDIST: &str = "tinyproj-1.0.0.tar.gz";

    #[test]
    fn signature_hook_passes_a_valid_local_signature() {
        let signed = signed(WHEEL, true);
        let keys = signed.dir.path().join("keys");
        let hook = example("check_signature.py", &["--keys", keys.to_str().unwrap()]);
        let result = run(&hook, &signed.artifact, "file:///nowhere", &info_for(WHEEL));
        assert_eq!(result.outcome, HookOutcome::Pass, "{result:?}");
        assert!(result.stderr.contains("valid signature"), "{result:?}");
    }

    #[test]
    fn signature_hook_fails_a_tampered_artifact() {
        let signed = signed(WHEEL, true);
        let mut bytes = std::fs::read(&signed.artifact).unwrap();
        bytes.push(b'!');
        std::fs::write(&signed.artifact, bytes).unwrap();
        let keys = signed.dir.path().join("keys");
        let hook = example("check_signature.py", &["--keys", keys.to_str().unwrap()]);
        let result = run(&hook, &signed.artifact, "file:///nowhere", &info_for(WHEEL));
        assert_eq!(fail_reason(&result), "exited with code 1");
        assert!(result.stderr.contains("INVALID signature"), "{result:?}");
    }

    #[test]
    fn signature_hook_fails_with_the_wrong_key() {
        let signed = signed(WHEEL, true);
        let other_key = write(signed.dir.path(), "other.key", "another key");
        // The key file can also come from HASHPIN_SIGNING_KEY_FILE; `env` sets it for the hook.
        let path = manifest_dir().join("testdata/hooks/check_signature.py");
        let hook = hook(&[
            "env",
            &format!("HASHPIN_SIGNING_KEY_FILE={}", other_key.display()),
            "python3",
            path.to_str().unwrap(),
        ]);
        let result = run(&hook, &signed.artifact, "file:///nowhere", &info_for(WHEEL));
        assert_eq!(fail_reason(&result), "exited with code 1");
        assert!(result.stderr.contains("INVALID signature"), "{result:?}");
    }

    #[test]
    fn signature_hook_retries_an_unsigned_wheel_and_fails_an_unsigned_sdist() {
        let wheel = signed(WHEEL, false);
        let keys = wheel.dir.path().join("keys");
        let hook = example("check_signature.py", &["--keys", keys.to_str().unwrap()]);
        // No local `.sig`, and the index answers 404 for `URL.sig`.
        let base = serve_once("404 Not Found", String::new());
        let result = run(
            &hook,
            &wheel.artifact,
            &format!("{base}/files/{WHEEL}"),
            &info_for(WHEEL),
        );
        assert_eq!(result.outcome, HookOutcome::Retry, "{result:?}");
        assert!(result.stderr.contains("no signature"), "{result:?}");

        let sdist = signed(SDIST, false);
        let keys = sdist.dir.path().join("keys");
        let hook = example("check_signature.py", &["--keys", keys.to_str().unwrap()]);
        let result = run(&hook, &sdist.artifact, "file:///nowhere", &info_for(SDIST));
        assert_eq!(fail_reason(&result), "exited with code 1");
        assert!(result.stderr.contains("no signature"), "{result:?}");
    }

    #[test]
    fn signature_hook_fetches_url_dot_sig() {
        let wheel = signed(WHEEL, false);
        let keys = wheel.dir.path().join("keys");
        let hook = example("check_signature.py", &["--keys", keys.to_str().unwrap()]);
        let base = serve_once("200 OK", wheel.signature.clone());
        let result = run(
            &hook,
            &wheel.artifact,
            &format!("{base}/files/{WHEEL}"),
            &info_for(WHEEL),
        );
        assert_eq!(result.outcome, HookOutcome::Pass, "{result:?}");
    }

    #[test]
    fn signature_hook_fails_closed_when_the_signature_cannot_be_fetched() {
        let wheel = signed(WHEEL, false);
        let keys = wheel.dir.path().join("keys");
        let hook = example("check_signature.py", &["--keys", keys.to_str().unwrap()]);
        // A server error is not "no signature": no retry.
        let base = serve_once("500 Internal Server Error", String::new());
        let result = run(
            &hook,
            &wheel.artifact,
            &format!("{base}/files/{WHEEL}"),
            &info_for(WHEEL),
        );
        assert_eq!(fail_reason(&result), "exited with code 1");
        assert!(result.stderr.contains("HTTP 500"), "{result:?}");
    }

    #[test]
    fn example_hooks_fail_bad_input_without_a_traceback() {
        let dir = tempfile::tempdir().unwrap();
        let not_an_archive = write(dir.path(), "junk.whl", "not a zip");
        for (hook, artifact) in [
            (example("check_signature.py", &[]), not_an_archive.clone()),
            (
                example("check_signature.py", &["--keys", "/nonexistent"]),
                not_an_archive.clone(),
            ),
            (
                example("license_allowlist.py", &["--allow", "MIT"]),
                not_an_archive.clone(),
            ),
            (
                example("license_allowlist.py", &["--allow", "MIT"]),
                dir.path().join("missing.whl"),
            ),
            (example("license_allowlist.py", &[]), not_an_archive.clone()),
        ] {
            let result = run(&hook, &artifact, "file:///x", &info_for("junk.whl"));
            assert_eq!(fail_reason(&result), "exited with code 1", "{result:?}");
            assert!(!result.stderr.contains("Traceback"), "{result:?}");
            assert!(!result.stderr.is_empty(), "{result:?}");
        }
    }

    /// Writes a wheel whose METADATA carries `headers`, with the `zip` crate.
    fn wheel_with_metadata(dir: &Path, headers: &str) -> PathBuf {
        let path = dir.join("licensed-1.0-py3-none-any.whl");
        let file = std::fs::File::create(&path).unwrap();
        let mut zip = zip::ZipWriter::new(file);
        let options = zip::write::SimpleFileOptions::default();
        zip.start_file("licensed/__init__.py", options).unwrap();
        zip.start_file("licensed-1.0.dist-info/METADATA", options)
            .unwrap();
        write!(
            zip,
            "Metadata-Version: 2.4\nName: licensed\nVersion: 1.0\n{headers}\nThe description.\nLicense: GPL-3.0-only\n"
        )
        .unwrap();
        zip.finish().unwrap();
        path
    }

    /// Runs the license hook with `allowed` on `artifact`.
    fn license_run(artifact: &Path, allowed: &[&str]) -> HookRun {
        let mut arguments = Vec::new();
        for id in allowed {
            arguments.extend(["--allow", id]);
        }
        let hook = example("license_allowlist.py", &arguments);
        let filename = artifact.file_name().unwrap().to_str().unwrap();
        run(&hook, artifact, "file:///x", &info_for(filename))
    }

    #[test]
    fn license_hook_fails_the_fixture_artifacts_without_license_metadata() {
        // The fixtures in testdata/index declare no license at all.
        for artifact in [WHEEL, SDIST] {
            let path = manifest_dir()
                .join("testdata/index/tinyproj")
                .join(artifact);
            let result = license_run(&path, &["MIT", "BSD-3-Clause"]);
            assert_eq!(fail_reason(&result), "exited with code 1", "{result:?}");
            assert!(result.stderr.contains("no license metadata"), "{result:?}");
        }
    }

    #[test]
    fn license_hook_judges_the_declared_license() {
        let dir = tempfile::tempdir().unwrap();
        for (headers, allowed, passes, says) in [
            (
                "License: MIT",
                &["MIT"][..],
                true,
                "License `MIT` is allowed",
            ),
            (
                "License: MIT",
                &["BSD-3-Clause"][..],
                false,
                "License `MIT` is not allowed",
            ),
            (
                "License-Expression: MIT OR GPL-3.0-only",
                &["mit"][..],
                true,
                "is allowed",
            ),
            (
                "License-Expression: MIT AND GPL-3.0-only",
                &["MIT"][..],
                false,
                "is not allowed",
            ),
            (
                "License-Expression: (MIT",
                &["MIT"][..],
                false,
                "not a valid SPDX expression",
            ),
            (
                "Classifier: License :: OSI Approved :: MIT License",
                &["MIT"][..],
                true,
                "allowed",
            ),
            (
                "Classifier: License :: OSI Approved :: BSD License",
                &["BSD-3-Clause"][..],
                false,
                "not allowed: `License :: OSI Approved :: BSD License`",
            ),
            // Free text in License defers to the classifiers.
            (
                "License: Copyright (c) 2020 Someone, all rights granted\n\
                 Classifier: License :: OSI Approved :: MIT License",
                &["MIT"][..],
                true,
                "allowed",
            ),
        ] {
            let wheel = wheel_with_metadata(dir.path(), headers);
            let result = license_run(&wheel, allowed);
            let expected = if passes {
                HookOutcome::Pass
            } else {
                HookOutcome::Fail {
                    reason: "exited with code 1".to_string(),
                }
            };
            assert_eq!(result.outcome, expected, "{headers:?}: {result:?}");
            assert!(result.stderr.contains(says), "{headers:?}: {result:?}");
        }
    }
}
