//! The command line. Doc comments here are the `--help` text.

use std::path::PathBuf;

use clap::{Args, Parser, Subcommand};

use crate::env_vars::EnvVars;
use crate::index::config::IndexArgs;
use crate::report::ColorChoice;

/// The exit codes, as help text (a macro, so that `concat!` can put an example before it).
macro_rules! exit_codes {
    () => {
        "\
Exit codes:
    0  success (warnings allowed)
    1  verification failure: a hash differs, an index lied about a digest, --check found changes
    2  usage or input error: bad flags, a malformed or unpinned requirements file
    3  verify: retry, this file of a locked release is not recorded; try another artifact
    4  operational error: network, index or I/O
  130  interrupted (Ctrl-C or SIGTERM): pip and hooks stopped, temporary files removed"
    };
}

const EXIT_CODES: &str = exit_codes!();

const HASH_HELP: &str = "\
Example:
    hashpin hash dist/*.whl            # --hash=sha256:... lines, as `pip hash` prints them";

const PARSE_HELP: &str = concat!(
    "\
Example:
    hashpin parse requirements.txt --format json | jq '.requirements[].name'

",
    exit_codes!()
);

const LOCK_HELP: &str = concat!(
    "\
Examples:
    hashpin lock                                   # record every file of each pin
    hashpin lock --check                           # in CI: exit 1 if the file would change
    hashpin lock --update requests                 # re-record one project on purpose
    hashpin lock --resolve requirements.in         # resolve (uv or pip), then record

",
    exit_codes!()
);

const CHECK_HELP: &str = concat!(
    "\
Examples:
    hashpin check                                  # is every recorded artifact still served as recorded?
    hashpin check --strict --format json > audit.json

",
    exit_codes!()
);

const VERIFY_HELP: &str = concat!(
    "\
Examples:
    hashpin verify --lock requirements.txt dl/six-1.17.0-py2.py3-none-any.whl \\
        https://files.pythonhosted.org/packages/.../six-1.17.0-py2.py3-none-any.whl
    hashpin verify --installed --python .venv/bin/python --lock requirements.txt

",
    exit_codes!()
);

const INSTALL_HELP: &str = concat!(
    "\
Examples:
    hashpin install -r requirements.txt            # record on first install, refuse changes
    hashpin install -r requirements.txt --frozen   # in CI: install only what is recorded

",
    exit_codes!()
);

const EXPORT_HELP: &str = concat!(
    "\
Examples:
    hashpin export --format pylock -o pylock.toml requirements.txt
    uv pip install -r pylock.toml

",
    exit_codes!()
);

const COMPLETIONS_HELP: &str = "\
Examples:
    hashpin completions bash > ~/.local/share/bash-completion/completions/hashpin
    hashpin completions zsh > \"${fpath[1]}/_hashpin\"
    hashpin completions fish > ~/.config/fish/completions/hashpin.fish
    hashpin man > ~/.local/share/man/man1/hashpin.1";

const SERVE_HELP: &str = "\
Example:
    hashpin serve --lock requirements.txt --listen 127.0.0.1:8000 &
    pip install --index-url http://127.0.0.1:8000/simple/ -r requirements.txt
    uv pip install --index-url http://127.0.0.1:8000/simple/ -r requirements.txt

The first line on stdout is `serving http://HOST:PORT/simple/`. SIGINT or SIGTERM stops it
(exit 0) with a summary of what was served and refused; a lockfile is never left half-written.

Exit codes:
    0  stopped by SIGINT or SIGTERM
    2  usage or input error: bad flags, a malformed lockfile, a remote address without
       --allow-remote
    4  operational error: the address is taken, I/O";

/// Pin the exact bytes of every Python package a project installs.
///
/// hashpin records the sha256 of every artifact (wheel or sdist) of each pinned requirement,
/// with the filename and URL it came from, in pip's own requirements syntax, and refuses when
/// an index later serves different bytes under a recorded name.
#[derive(Debug, Parser)]
#[command(name = "hashpin", version, after_help = EXIT_CODES, max_term_width = 100)]
pub(crate) struct Cli {
    /// What to do.
    #[command(subcommand)]
    pub(crate) command: Command,
    /// When to color output.
    #[arg(long, global = true, value_enum, default_value_t = ColorChoice::Auto)]
    pub(crate) color: ColorChoice,
    /// Print only warnings and errors.
    #[arg(short, long, global = true)]
    pub(crate) quiet: bool,
    /// Show every request and download, with its timing.
    #[arg(short, long, global = true, conflicts_with = "quiet")]
    pub(crate) verbose: bool,
}

/// The subcommands.
#[derive(Debug, Subcommand)]
pub(crate) enum Command {
    /// Print `--hash=` lines for local files, exactly as `pip hash` does.
    #[command(after_help = HASH_HELP)]
    Hash(HashArgs),
    /// Print what hashpin reads in requirements files, as pip reads them, without asking any
    /// index: every requirement and option with its file and line, or every error.
    #[command(after_help = PARSE_HELP)]
    Parse(ParseArgs),
    /// Record the hashes and source URLs of every artifact of each pinned requirement.
    ///
    /// Every file of each pinned release (`name==version`) is downloaded and hashed, and its
    /// hash written as a `--hash=` option with a `# hashpin:` comment naming the file and URL.
    /// Hashes already recorded are checked again and never replaced silently: a recorded file
    /// whose bytes changed refuses the lock (exit 1) and leaves the file as it was.
    #[command(after_help = LOCK_HELP)]
    Lock(Box<LockArgs>),
    /// Audit the index: download every recorded artifact again and report what changed.
    ///
    /// Each recorded artifact gets one status: unchanged, changed (same filename, other
    /// bytes), index-mismatch (the index declares a digest the bytes do not have), missing,
    /// added (a file of a locked release the lockfile does not record), yanked, or moved (same
    /// bytes, new URL). The lockfile is never written. Exit 1 when anything changed or an index
    /// lied; missing, added, yanked and moved are warnings unless `--strict`.
    #[command(after_help = CHECK_HELP)]
    Check(Box<CheckArgs>),
    /// The verify hook: decide from the lockfile whether a downloaded artifact may be used.
    ///
    /// Exit 0 pass (the bytes match what is recorded for this file of its release), 1 fail (they
    /// differ from a hash recorded for it, or another version is pinned), 3 retry (this file is
    /// not recorded, but other files of its release are: try another).
    #[command(after_help = VERIFY_HELP)]
    Verify(VerifyArgs),
    /// Install with pip, recording on first install and refusing any download whose hash
    /// differs.
    ///
    /// pip resolves (`pip install --dry-run --report`); hashpin downloads every artifact pip
    /// chose, hashes it and holds it against the lockfile: recorded artifacts must match, new
    /// ones are recorded (unless `--frozen`). Any refusal stops everything before pip installs a
    /// single package. Then the user's hooks run, and pip installs only the verified files, by
    /// path (`--no-index --no-deps --require-hashes`).
    #[command(after_help = INSTALL_HELP)]
    Install(Box<InstallArgs>),
    /// A verifying package index: any installer pointed at it only ever receives recorded bytes.
    ///
    /// Serves PEP 503 HTML and PEP 691 JSON pages built from the upstream index, listing for
    /// each locked project only the recorded files of its pinned release, each with its
    /// recorded sha256. Every file is downloaded and hashed before a byte of it is sent; bytes
    /// that differ from the lockfile get 403 with the reason, and the report on stderr. Projects
    /// the lockfile does not pin are refused, or recorded on first use with `--record`.
    #[command(after_help = SERVE_HELP)]
    Serve(Box<ServeArgs>),
    /// Write a PEP 751 `pylock.toml` from a locked requirements file: every recorded file with
    /// its URL and hash, for any installer that reads `pylock.toml`.
    #[command(after_help = EXPORT_HELP)]
    Export(ExportArgs),
    /// Print a shell completion script for bash, zsh, fish or powershell.
    #[command(after_help = COMPLETIONS_HELP)]
    Completions(CompletionsArgs),
    /// Print a man page (roff), generated from the same definitions as `--help`: `hashpin(1)`,
    /// or `hashpin-COMMAND(1)`; `--out-dir` writes them all.
    #[command(after_help = COMPLETIONS_HELP)]
    Man(ManArgs),
}

/// Arguments of `hashpin install`.
#[derive(Debug, Args)]
pub(crate) struct InstallArgs {
    /// The lockfile (repeatable; default `requirements.txt`).
    #[arg(short = 'r', long = "requirement", value_name = "FILE")]
    pub(crate) requirements: Vec<PathBuf>,
    /// The interpreter to install for (default: the active virtual environment's, else
    /// `python3`).
    #[arg(long, value_name = "PATH")]
    pub(crate) python: Option<PathBuf>,
    /// Refuse anything the lockfile does not record, and never write it (deploys and CI).
    #[arg(long)]
    pub(crate) frozen: bool,
    /// Output format: with `json`, one document on stdout and pip's output on stderr.
    #[arg(long, value_enum, default_value_t = OutputFormat::Text)]
    pub(crate) format: OutputFormat,
    /// A command to run on every verified artifact, as `CMD... PATH URL` (repeatable; adds to
    /// the hooks in pyproject.toml, hashpin.toml and ~/.config/hashpin/config.toml).
    #[arg(long = "hook", value_name = "CMD")]
    pub(crate) hooks: Vec<String>,
    /// Downloads.
    #[command(flatten)]
    pub(crate) download: DownloadOptions,
    /// The cooldown, for what a first install records.
    #[command(flatten)]
    pub(crate) cooldown: CooldownOptions,
    /// Index options, passed on to pip for resolution too.
    #[command(flatten)]
    pub(crate) index: IndexOptions,
    /// Arguments for the final `pip install` (after `--`).
    #[arg(last = true, value_name = "PIP_ARGS")]
    pub(crate) pip_args: Vec<String>,
}

/// How to print results.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, clap::ValueEnum)]
pub(crate) enum OutputFormat {
    /// For people.
    #[default]
    Text,
    /// One JSON document on stdout, for CI (schema in README).
    Json,
}

/// Arguments of `hashpin check`.
#[derive(Debug, Args)]
pub(crate) struct CheckArgs {
    /// Lockfiles to audit (default: `requirements.txt`), with the files they include.
    #[arg(value_name = "FILE")]
    pub(crate) files: Vec<PathBuf>,
    /// Output format.
    #[arg(long, value_enum, default_value_t = OutputFormat::Text)]
    pub(crate) format: OutputFormat,
    /// Fail (exit 1) on missing, added, yanked and moved artifacts too.
    #[arg(long)]
    pub(crate) strict: bool,
    /// Downloads.
    #[command(flatten)]
    pub(crate) download: DownloadOptions,
    /// Which wheels the lockfile was meant to record.
    #[command(flatten)]
    pub(crate) target: TargetOptions,
    /// Index options.
    #[command(flatten)]
    pub(crate) index: IndexOptions,
}

/// What `hashpin export` writes.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub(crate) enum ExportFormat {
    /// PEP 751 `pylock.toml`.
    Pylock,
}

/// Arguments of `hashpin export`.
#[derive(Debug, Args)]
pub(crate) struct ExportArgs {
    /// Locked requirements files (default: `requirements.txt`), with the files they include.
    #[arg(value_name = "FILE")]
    pub(crate) files: Vec<PathBuf>,
    /// The format.
    #[arg(long, value_enum, default_value = "pylock")]
    pub(crate) format: ExportFormat,
    /// Where to write it (`pylock.toml` or `pylock.<name>.toml`; default: stdout).
    #[arg(short, long, value_name = "FILE")]
    pub(crate) output: Option<PathBuf>,
    /// Ask no index: sizes only from the cache, no upload times.
    #[arg(long)]
    pub(crate) offline: bool,
    /// Index options (where sizes and upload times are looked up).
    #[command(flatten)]
    pub(crate) index: IndexOptions,
}

/// Arguments of `hashpin completions`.
#[derive(Debug, Args)]
pub(crate) struct CompletionsArgs {
    /// The shell.
    #[arg(value_enum)]
    pub(crate) shell: clap_complete::Shell,
}

/// Arguments of `hashpin man`.
#[derive(Debug, Args)]
pub(crate) struct ManArgs {
    /// The command whose page to print (default: hashpin's own).
    #[arg(value_name = "COMMAND")]
    pub(crate) command: Option<String>,
    /// Write every page (`hashpin.1`, `hashpin-lock.1`, ...) into this directory instead.
    #[arg(long, value_name = "DIR", conflicts_with = "command")]
    pub(crate) out_dir: Option<PathBuf>,
}

/// Arguments of `hashpin serve`.
#[derive(Debug, Args)]
pub(crate) struct ServeArgs {
    /// The lockfile to enforce (repeatable; default `requirements.txt`). Edited while serving,
    /// it is read again on the next request.
    #[arg(long = "lock", value_name = "FILE")]
    pub(crate) lockfiles: Vec<PathBuf>,
    /// Where to listen; port 0 picks a free one.
    #[arg(long, value_name = "ADDR:PORT", default_value = "127.0.0.1:8000")]
    pub(crate) listen: std::net::SocketAddr,
    /// Allow listening on an address other machines can reach.
    #[arg(long)]
    pub(crate) allow_remote: bool,
    /// Trust on first use: a project the lockfile does not pin is recorded (the release a
    /// client asks a file of, every file of it, as `hashpin lock` records them) and served.
    #[arg(long)]
    pub(crate) record: bool,
    /// Downloads.
    #[command(flatten)]
    pub(crate) download: DownloadOptions,
    /// With `--record`: which wheels to record.
    #[command(flatten)]
    pub(crate) target: TargetOptions,
    /// With `--record`: the cooldown.
    #[command(flatten)]
    pub(crate) cooldown: CooldownOptions,
    /// Index options (the upstream the proxy reads from).
    #[command(flatten)]
    pub(crate) index: IndexOptions,
}

/// Arguments of `hashpin verify`.
#[derive(Debug, Args)]
pub(crate) struct VerifyArgs {
    /// The lockfile to decide from.
    #[arg(long = "lock", value_name = "FILE", default_value = "requirements.txt")]
    pub(crate) lockfile: PathBuf,
    /// Output format.
    #[arg(long, value_enum, default_value_t = OutputFormat::Text)]
    pub(crate) format: OutputFormat,
    /// The downloaded artifact (a wheel or sdist, named as its index named it).
    #[arg(value_name = "ARTIFACT", required_unless_present = "installed")]
    pub(crate) artifact: Option<PathBuf>,
    /// The URL it was downloaded from.
    #[arg(value_name = "URL", required_unless_present = "installed")]
    pub(crate) url: Option<String>,
    /// Verify an installed environment instead: every file each distribution's RECORD lists,
    /// its version against the lockfile, and its RECORD against the recorded wheel's.
    #[arg(long, conflicts_with_all = ["artifact", "url"])]
    pub(crate) installed: bool,
    /// With `--installed`: the environment's interpreter (default: the active virtual
    /// environment's, else `python3`).
    #[arg(long, value_name = "PATH", requires = "installed")]
    pub(crate) python: Option<PathBuf>,
    /// With `--installed`: installed distributions the lockfile does not pin fail too.
    #[arg(long, requires = "installed")]
    pub(crate) strict: bool,
}

/// Arguments of `hashpin parse`.
#[derive(Debug, Args)]
pub(crate) struct ParseArgs {
    /// Requirements files (default: `requirements.txt`), with the files they include.
    #[arg(value_name = "FILE")]
    pub(crate) files: Vec<PathBuf>,
    /// Output format: `json` prints one `hashpin-parse/1` document on stdout, errors included.
    #[arg(long, value_enum, default_value_t = OutputFormat::Text)]
    pub(crate) format: OutputFormat,
}

/// Arguments of `hashpin hash`.
#[derive(Debug, Args)]
pub(crate) struct HashArgs {
    /// The hash algorithm.
    #[arg(short, long, default_value = "sha256", value_parser = ["sha256", "sha384", "sha512"])]
    pub(crate) algorithm: String,
    /// Files to hash.
    #[arg(required = true, value_name = "FILE")]
    pub(crate) files: Vec<PathBuf>,
}

/// Arguments of `hashpin lock`.
#[derive(Debug, Args)]
pub(crate) struct LockArgs {
    /// Requirements files to lock (default: `requirements.txt`). Files they include with `-r`
    /// are locked in place too.
    #[arg(value_name = "FILE")]
    pub(crate) files: Vec<PathBuf>,
    /// Re-record deliberately: replace recorded hashes with what the index serves now, for
    /// the named projects, or for every project when no name is given.
    #[arg(long, num_args = 0.., value_name = "NAME")]
    pub(crate) update: Option<Vec<String>>,
    /// Print the diff lock would make, and write nothing.
    #[arg(long)]
    pub(crate) dry_run: bool,
    /// Like `--dry-run`, but exit 1 if the file would change (for CI).
    #[arg(long, conflicts_with = "dry_run")]
    pub(crate) check: bool,
    /// The algorithm for new hashes.
    #[arg(short, long, default_value = "sha256", value_parser = ["sha256", "sha384", "sha512"])]
    pub(crate) algorithm: String,
    /// Resolve loose requirements (`requirements.in`) with uv or pip into a fully pinned and
    /// hashed lockfile, as `pip-compile --generate-hashes` does.
    #[arg(long)]
    pub(crate) resolve: bool,
    /// With `--resolve`: the lockfile to write (default: the input with `.in` replaced by
    /// `.txt`).
    #[arg(short, long, value_name = "FILE", requires = "resolve")]
    pub(crate) output: Option<PathBuf>,
    /// With `--resolve`: let the resolver pick new versions, for the named projects or all;
    /// without it, the pins already in the output are kept.
    #[arg(long, num_args = 0.., value_name = "NAME", requires = "resolve")]
    pub(crate) upgrade: Option<Vec<String>>,
    /// With `--resolve`: the interpreter to resolve for (default: the active virtual
    /// environment's, else `python3`).
    #[arg(long, value_name = "PATH", requires = "resolve")]
    pub(crate) python: Option<PathBuf>,
    /// With `--resolve`: who picks the versions: `uv` (`uv pip compile`; `HASHPIN_UV` or PATH),
    /// `pip`, or `auto`: uv when found, else pip. Either only picks: hashpin downloads and hashes
    /// every file itself.
    #[arg(long, value_enum, value_name = "RESOLVER", env = EnvVars::HASHPIN_RESOLVER, default_value = "auto")]
    pub(crate) resolver: crate::resolver::ResolverChoice,
    /// With `--resolve` (uv): one lockfile for every platform and Python version, with markers
    /// where they differ; every wheel of each release is recorded.
    #[arg(long, requires = "resolve")]
    pub(crate) universal: bool,
    /// Downloads.
    #[command(flatten)]
    pub(crate) download: DownloadOptions,
    /// Which wheels to record.
    #[command(flatten)]
    pub(crate) target: TargetOptions,
    /// The cooldown.
    #[command(flatten)]
    pub(crate) cooldown: CooldownOptions,
    /// Index options.
    #[command(flatten)]
    pub(crate) index: IndexOptions,
}

/// How artifacts are downloaded.
#[derive(Debug, Args, Clone)]
pub(crate) struct DownloadOptions {
    /// How many downloads to run at once (the largest start first).
    // uv's default too (`UV_CONCURRENT_DOWNLOADS`): from an index 20 ms away, 119 files took
    // 155 ms at 32, 128 ms at 50, and no less at 64 or 128.
    #[arg(short, long, env = EnvVars::HASHPIN_JOBS, default_value_t = 50)]
    pub(crate) jobs: usize,
    /// Do not keep downloaded artifacts in the cache (`hashpin check` can then not show what
    /// changed inside a republished artifact).
    #[arg(long, env = EnvVars::HASHPIN_NO_CACHE, value_parser = clap::builder::FalseyValueParser::new())]
    pub(crate) no_cache: bool,
}

/// The cooldown.
#[derive(Debug, Args, Clone, Default)]
pub(crate) struct CooldownOptions {
    /// Do not record files uploaded after this date (`2026-11-01`) or time (RFC 3339), by the
    /// index's upload time; files already recorded are judged as always. Adds to
    /// `exclude-newer-days` in hashpin's configuration: the earlier cutoff holds.
    #[arg(long, value_name = "DATE")]
    pub(crate) exclude_newer: Option<String>,
}

/// Narrowing a release's wheels to a target interpreter.
#[derive(Debug, Args, Clone, Default)]
#[command(next_help_heading = "Target options")]
pub(crate) struct TargetOptions {
    /// Keep only wheels for this Python version (`3.11`); sdists are always kept.
    #[arg(long, value_name = "X.Y")]
    pub(crate) python_version: Option<String>,
    /// Keep only wheels for these platform tags (`manylinux_2_17_x86_64`), or `any`.
    #[arg(long, value_name = "TAG")]
    pub(crate) platform: Vec<String>,
    /// Keep only wheels for this implementation (`cp`, `pp`).
    #[arg(long, value_name = "IMPL")]
    pub(crate) implementation: Option<String>,
}

/// Where to find packages; pip's options, with pip's precedence.
#[derive(Debug, Args, Clone, Default)]
#[command(next_help_heading = "Index options")]
pub(crate) struct IndexOptions {
    /// The primary simple-API index (default: `PIP_INDEX_URL`, pip.conf, else PyPI).
    #[arg(short = 'i', long, value_name = "URL")]
    pub(crate) index_url: Option<String>,
    /// More indexes, searched as well.
    #[arg(long, value_name = "URL")]
    pub(crate) extra_index_url: Vec<String>,
    /// A directory or HTML page of artifacts.
    #[arg(short = 'f', long, value_name = "PATH_OR_URL")]
    pub(crate) find_links: Vec<String>,
    /// Ignore every index; use only `--find-links`.
    #[arg(long)]
    pub(crate) no_index: bool,
    /// Allow plain http to this host (`host` or `host:port`).
    #[arg(long, value_name = "HOST")]
    pub(crate) trusted_host: Vec<String>,
    /// A PEM CA bundle to trust besides the system's.
    #[arg(long, value_name = "PATH")]
    pub(crate) cert: Option<PathBuf>,
    /// Network timeout in seconds (default 15).
    #[arg(long, value_name = "SECONDS")]
    pub(crate) timeout: Option<f64>,
    /// Retries after a connection error, a 5xx or a 429 (default 5; a refused connection is
    /// retried once, a TLS failure never).
    #[arg(long, value_name = "N")]
    pub(crate) retries: Option<u32>,
    /// The most bytes one artifact may have: a larger download stops there and fails (default
    /// 16 GiB; units `KiB`, `MiB`, `GiB`, `TiB`, or `KB`, `MB`, `GB`, `TB`).
    #[arg(long, value_name = "SIZE", env = EnvVars::HASHPIN_MAX_ARTIFACT_SIZE, value_parser = crate::size::parse)]
    pub(crate) max_artifact_size: Option<u64>,
}

impl IndexOptions {
    /// The options as given, for pip's command line, so that pip applies its own precedence
    /// to them, its environment and its configuration (as it does for the user). pip has no
    /// `--max-artifact-size`: hashpin downloads every artifact pip installs itself, so its own
    /// limit holds for them.
    pub(crate) fn to_pip_args(&self) -> Vec<String> {
        let mut args = Vec::new();
        let mut pair = |flag: &str, value: String| args.extend([flag.to_string(), value]);
        if let Some(url) = &self.index_url {
            pair("--index-url", url.clone());
        }
        for url in &self.extra_index_url {
            pair("--extra-index-url", url.clone());
        }
        for location in &self.find_links {
            pair("--find-links", location.clone());
        }
        for host in &self.trusted_host {
            pair("--trusted-host", host.clone());
        }
        if let Some(cert) = &self.cert {
            pair("--cert", cert.display().to_string());
        }
        if let Some(timeout) = self.timeout {
            pair("--timeout", timeout.to_string());
        }
        if let Some(retries) = self.retries {
            pair("--retries", retries.to_string());
        }
        if self.no_index {
            args.push("--no-index".into());
        }
        args
    }

    /// The options as the index configuration takes them.
    pub(crate) fn to_args(&self) -> IndexArgs {
        IndexArgs {
            index_url: self.index_url.clone(),
            extra_index_urls: self.extra_index_url.clone(),
            find_links: self.find_links.clone(),
            no_index: self.no_index,
            trusted_hosts: self.trusted_host.clone(),
            cert: self.cert.clone(),
            timeout: self.timeout,
            retries: self.retries,
            max_artifact_size: self.max_artifact_size,
        }
    }
}
