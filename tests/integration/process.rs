//! What a run shares with other processes and leaves behind: the lock two runs take turns
//! through, the temporary files beside a lockfile, a lockfile edited during a run, and Ctrl-C.
//! See: https://github.com/hashpin/hashpin/issues/8

use std::io::{BufRead as _, BufReader};
use std::net::{TcpListener, TcpStream};
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::sync::mpsc::{self, Receiver};
use std::thread;
use std::time::{Duration, Instant};

use crate::harness::TestContext;

/// A process's stderr, read line by line on a thread so that a test can wait for one line
/// while the process goes on.
struct Lines {
    receiver: Receiver<String>,
    seen: Vec<String>,
}

impl Lines {
    /// Starts reading the child's stderr (which must be piped).
    fn of(child: &mut Child) -> Self {
        let stderr = child.stderr.take().expect("stderr is piped");
        let (sender, receiver) = mpsc::channel();
        thread::spawn(move || {
            for line in BufReader::new(stderr).lines() {
                let Ok(line) = line else { break };
                if sender.send(line).is_err() {
                    break;
                }
            }
        });
        Self {
            receiver,
            seen: Vec::new(),
        }
    }

    /// Waits up to `timeout` for a line containing `needle`; whether it came.
    fn wait_for(&mut self, needle: &str, timeout: Duration) -> bool {
        let deadline = Instant::now() + timeout;
        loop {
            if self.seen.iter().any(|line| line.contains(needle)) {
                return true;
            }
            let left = deadline.saturating_duration_since(Instant::now());
            match self.receiver.recv_timeout(left) {
                Ok(line) => self.seen.push(line),
                Err(_) => return false,
            }
        }
    }

    /// Every line, once the process has closed its stderr.
    fn all(mut self) -> String {
        self.seen.extend(self.receiver.iter());
        self.seen.join("\n")
    }
}

/// A loopback "index" that accepts connections and never answers: a run that reaches it
/// stays there, holding whatever it holds.
struct StalledIndex {
    listener: TcpListener,
}

impl StalledIndex {
    fn start() -> Self {
        Self {
            listener: TcpListener::bind("127.0.0.1:0").expect("a loopback port"),
        }
    }

    fn url(&self) -> String {
        format!(
            "http://{}/simple/",
            self.listener.local_addr().expect("bound")
        )
    }

    /// Waits until a client connects, and keeps the connection open.
    fn accept(&self) -> TcpStream {
        self.listener.accept().expect("a client connects").0
    }
}

/// Waits up to `timeout` for the child to exit; kills it if it has not.
fn wait_or_kill(child: &mut Child, timeout: Duration) -> Option<std::process::ExitStatus> {
    let deadline = Instant::now() + timeout;
    while Instant::now() < deadline {
        if let Some(status) = child.try_wait().unwrap() {
            return Some(status);
        }
        thread::sleep(Duration::from_millis(20));
    }
    child.kill().unwrap();
    child.wait().unwrap();
    None
}

/// The names in a directory, sorted.
fn names_in(directory: &Path) -> Vec<String> {
    let mut names: Vec<String> = fs_err::read_dir(directory)
        .unwrap()
        .map(|entry| entry.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    names.sort();
    names
}

// See: https://github.com/hashpin/hashpin/issues/8
#[test]
fn a_second_run_waits_for_the_first_and_nothing_is_created_to_lock() {
    let context = TestContext::new();
    context.write("requirements.txt", "tinyproj==1.0.0\n");
    let tmp = context.path("tmp");
    fs_err::create_dir(&tmp).unwrap();
    let stalled = StalledIndex::start();

    // The first run takes the lock, then hangs on an index that never answers.
    let mut first = context
        .command()
        .args(["lock", "--index-url", &stalled.url()])
        .env("TMPDIR", &tmp)
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let _connection = stalled.accept();

    let mut second = context
        .command()
        .args(["lock", "--index-url", &context.server.simple_url()])
        .env("TMPDIR", &tmp)
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let mut lines = Lines::of(&mut second);
    assert!(
        lines.wait_for(
            "waiting for another hashpin to finish with `requirements.txt`",
            Duration::from_secs(20)
        ),
        "{:?}",
        lines.seen
    );
    assert!(second.try_wait().unwrap().is_none(), "the second run waits");
    assert_eq!(context.read("requirements.txt"), "tinyproj==1.0.0\n");

    // A holder killed outright leaves no lock behind: the kernel releases it.
    first.kill().unwrap();
    first.wait().unwrap();
    let status = second.wait().unwrap();
    let stderr = lines.all();
    assert_eq!(status.code(), Some(0), "{stderr}");
    assert!(context.read("requirements.txt").contains("--hash=sha256:"));
    assert_eq!(names_in(&tmp), Vec::<String>::new(), "nothing under TMPDIR");
    assert_eq!(
        names_in(context.temp.path()),
        ["cache", "home", "requirements.txt", "tmp"],
        "nothing beside the lockfile"
    );
}

// See: https://github.com/hashpin/hashpin/issues/8
#[test]
fn what_another_user_left_in_the_temporary_directory_does_not_matter() {
    let context = TestContext::new();
    context.write("requirements.txt", "tinyproj==1.0.0\n");
    // Another user's file where a shared lock directory used to be: it cannot be used, nor
    // replaced.
    let tmp = context.path("tmp");
    fs_err::create_dir(&tmp).unwrap();
    fs_err::write(tmp.join("hashpin-locks"), "not ours\n").unwrap();
    let run = context
        .command()
        .args(["lock", "--index-url", &context.server.simple_url()])
        .env("TMPDIR", &tmp)
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&run.stderr);
    assert_eq!(run.status.code(), Some(0), "{stderr}");
    assert!(context.read("requirements.txt").contains("--hash=sha256:"));
    assert_eq!(names_in(&tmp), ["hashpin-locks"]);
}

// See: https://github.com/hashpin/hashpin/issues/8
#[test]
fn a_file_named_twice_is_locked_once_rather_than_waited_for() {
    let context = TestContext::new();
    context.write("requirements.txt", "tinyproj==1.0.0\n");
    let mut run = context
        .command()
        .args(["lock", "requirements.txt", "./requirements.txt"])
        .args(["--index-url", &context.server.simple_url()])
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let lines = Lines::of(&mut run);
    let status = wait_or_kill(&mut run, Duration::from_secs(20));
    let stderr = lines.all();
    assert_eq!(status.and_then(|status| status.code()), Some(0), "{stderr}");
    assert!(!stderr.contains("waiting for another hashpin"), "{stderr}");
}

/// Whether the tests run as root, and `setpriv` can run a program as `nobody`.
fn can_switch_to_nobody() -> bool {
    let is_root = Command::new("id")
        .arg("-u")
        .output()
        .is_ok_and(|output| String::from_utf8_lossy(&output.stdout).trim() == "0");
    is_root
        && Command::new("setpriv")
            .args(["--reuid=65534", "--regid=65534", "--clear-groups"])
            .arg(env!("CARGO_BIN_EXE_hashpin"))
            .arg("--version")
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .status()
            .is_ok_and(|status| status.success())
}

/// Makes `path` and everything under it belong to `nobody`.
fn give_to_nobody(path: &Path) {
    let status = Command::new("chown")
        .args(["-R", "65534:65534"])
        .arg(path)
        .status()
        .unwrap();
    assert!(status.success());
}

// The issue as reported: root ran hashpin first (the test suite does), and then another user
// could lock nothing at all.
// See: https://github.com/hashpin/hashpin/issues/8
#[test]
#[expect(
    clippy::print_stderr,
    reason = "a test that cannot run here says why in the test output"
)]
fn a_user_locks_their_own_file_after_root_ran_first() {
    if !can_switch_to_nobody() {
        eprintln!("skipped: needs root and `setpriv` to run hashpin as another user");
        return;
    }
    let context = TestContext::new();
    let tmp = context.path("tmp");
    fs_err::create_dir(&tmp).unwrap();
    let project = context.path("project");
    fs_err::create_dir(&project).unwrap();
    fs_err::write(project.join("requirements.txt"), "tinyproj==1.0.0\n").unwrap();
    // Root's run first, in its own directory.
    let root_project = context.path("root-project");
    fs_err::create_dir(&root_project).unwrap();
    fs_err::write(root_project.join("requirements.txt"), "tinyproj==1.0.0\n").unwrap();
    let run = context
        .command()
        .args(["lock", "--index-url", &context.server.simple_url()])
        .current_dir(&root_project)
        .env("TMPDIR", &tmp)
        .output()
        .unwrap();
    assert_eq!(run.status.code(), Some(0), "{run:?}");
    // `/tmp` is world-writable and sticky; the test's own directory stands in for it.
    let status = Command::new("chmod")
        .arg("1777")
        .arg(&tmp)
        .status()
        .unwrap();
    assert!(status.success());
    for owned in ["project", "cache", "home"] {
        let path = context.path(owned);
        fs_err::create_dir_all(&path).unwrap();
        give_to_nobody(&path);
    }
    let status = Command::new("chmod")
        .arg("755")
        .arg(context.temp.path())
        .status()
        .unwrap();
    assert!(status.success());

    let mut command = Command::new("setpriv");
    command
        .args(["--reuid=65534", "--regid=65534", "--clear-groups"])
        .arg(env!("CARGO_BIN_EXE_hashpin"))
        .args(["lock", "--index-url", &context.server.simple_url()]);
    // The harness's environment, then the user's own project and temporary directory.
    let harness = context.command();
    for (key, value) in harness.get_envs() {
        match value {
            Some(value) => command.env(key, value),
            None => command.env_remove(key),
        };
    }
    let run = command
        .current_dir(&project)
        .env("TMPDIR", &tmp)
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&run.stderr);
    assert_eq!(run.status.code(), Some(0), "{stderr}");
    let text = fs_err::read_to_string(project.join("requirements.txt")).unwrap();
    assert!(text.contains("--hash=sha256:"), "{text}");
    assert_eq!(names_in(&tmp), Vec::<String>::new());
}
