//! What a run shares with other processes and leaves behind: the lock two runs take turns
//! through, the temporary files beside a lockfile, a lockfile edited during a run, and Ctrl-C.
//! See: https://github.com/hashpin/hashpin/issues/8

use std::io::{BufRead as _, BufReader};
use std::net::{Shutdown, SocketAddr, TcpListener, TcpStream};
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::sync::mpsc::{self, Receiver};
use std::sync::{Arc, Condvar, Mutex};
use std::thread;
use std::time::{Duration, Instant};

use crate::fake_pip::{FakePip, Resolution};
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

/// What a [`GatedIndex`] does with the connections it holds.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Gate {
    /// Hold them: the client waits.
    Closed,
    /// Pass them on to the real index.
    Open,
    /// The test is over: drop them.
    Gone,
}

/// A loopback proxy in front of the test index that holds every connection until the test
/// opens its gate: a run that reaches the index stays there, holding whatever it holds (its
/// lock, the lockfile it has read), until the test lets it go on.
struct GatedIndex {
    listener_address: SocketAddr,
    gate: Arc<(Mutex<Gate>, Condvar)>,
    connections: Receiver<()>,
}

impl GatedIndex {
    /// A proxy that passes connections on to `target` (an `http://host:port` base URL) once
    /// opened.
    fn start(target: &str) -> Self {
        let target: SocketAddr = target
            .trim_start_matches("http://")
            .trim_end_matches('/')
            .parse()
            .expect("the test index listens on an IP address");
        let listener = TcpListener::bind("127.0.0.1:0").expect("a loopback port");
        let listener_address = listener.local_addr().expect("bound");
        let gate = Arc::new((Mutex::new(Gate::Closed), Condvar::new()));
        let (sender, connections) = mpsc::channel();
        let shared = Arc::clone(&gate);
        thread::spawn(move || {
            for client in listener.incoming() {
                let Ok(client) = client else { break };
                let gate = Arc::clone(&shared);
                let _ = sender.send(());
                thread::spawn(move || {
                    let (state, changed) = &*gate;
                    let mut state = state.lock().unwrap();
                    while *state == Gate::Closed {
                        state = changed.wait(state).unwrap();
                    }
                    if *state == Gate::Open {
                        drop(state);
                        forward(client, target);
                    }
                });
            }
        });
        Self {
            listener_address,
            gate,
            connections,
        }
    }

    /// The simple index's URL, through the proxy.
    fn url(&self) -> String {
        format!("http://{}/simple/", self.listener_address)
    }

    /// Waits until a client has connected.
    fn wait_for_a_connection(&self) {
        self.connections
            .recv_timeout(Duration::from_secs(20))
            .expect("a client connects");
    }

    /// Lets every held and later connection through.
    fn open(&self) {
        self.set(Gate::Open);
    }

    fn set(&self, value: Gate) {
        let (state, changed) = &*self.gate;
        *state.lock().unwrap() = value;
        changed.notify_all();
    }
}

impl Drop for GatedIndex {
    fn drop(&mut self) {
        self.set(Gate::Gone);
    }
}

/// Copies bytes both ways between `client` and `target` until both sides are done.
fn forward(client: TcpStream, target: SocketAddr) {
    let Ok(upstream) = TcpStream::connect(target) else {
        return;
    };
    let (Ok(mut client_reader), Ok(mut upstream_writer)) =
        (client.try_clone(), upstream.try_clone())
    else {
        return;
    };
    let requests = thread::spawn(move || {
        let _ = std::io::copy(&mut client_reader, &mut upstream_writer);
        let _ = upstream_writer.shutdown(Shutdown::Write);
    });
    let (mut upstream_reader, mut client_writer) = (upstream, client);
    let _ = std::io::copy(&mut upstream_reader, &mut client_writer);
    let _ = client_writer.shutdown(Shutdown::Write);
    let _ = requests.join();
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
    let stalled = GatedIndex::start(&context.server.base_url());

    // The first run takes the lock, then hangs on an index that does not answer.
    let mut first = context
        .command()
        .args(["lock", "--index-url", &stalled.url()])
        .env("TMPDIR", &tmp)
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    stalled.wait_for_a_connection();

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

// See: https://github.com/hashpin/hashpin/issues/8
#[test]
fn an_edit_made_while_lock_runs_is_not_overwritten() {
    let context = TestContext::new();
    context.write("requirements.txt", "tinyproj==1.0.0\n");
    let gated = GatedIndex::start(&context.server.base_url());
    let mut run = context
        .command()
        .args(["lock", "--index-url", &gated.url()])
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let lines = Lines::of(&mut run);
    // The run has read the file (it lists projects only after), and waits on the index.
    gated.wait_for_a_connection();
    let edited = "tinyproj==1.0.0\nother-proj==2.0.0  # added by hand meanwhile\n";
    context.write("requirements.txt", edited);
    gated.open();
    let status = wait_or_kill(&mut run, Duration::from_secs(30));
    let stderr = context.filter(&lines.all());
    assert_eq!(status.and_then(|status| status.code()), Some(4), "{stderr}");
    insta::assert_snapshot!(stderr, @"
    error: `requirements.txt` changed after hashpin read it; nothing written
    hint: another program edited it while hashpin worked; run hashpin again to start from what it holds now
    ");
    assert_eq!(context.read("requirements.txt"), edited);
    assert_eq!(
        names_in(context.temp.path()),
        ["cache", "home", "requirements.txt"]
    );
}

// See: https://github.com/hashpin/hashpin/issues/8
#[test]
fn a_temporary_file_a_killed_run_left_is_removed_by_the_next() {
    let context = TestContext::new();
    context.write("requirements.txt", "tinyproj==1.0.0\n");
    // What `kill -9` during a write leaves: a temporary file nobody holds, older than a minute.
    let leftover = context.write(
        ".hashpin-write-k9Ab3Zq8Wm2Lx7Pc.tmp",
        "tinyproj==1.0.0 \\\n    --hash=sha",
    );
    fs_err::File::options()
        .write(true)
        .open(&leftover)
        .unwrap()
        .set_modified(std::time::SystemTime::now() - Duration::from_secs(3600))
        .unwrap();
    // Not hashpin's, by name: kept.
    context.write(".hashpin-notes.tmp", "mine\n");
    let run = context.lock(&["--check"]);
    assert_eq!(run.code, 1, "{}", run.stderr);
    assert!(
        run.stderr
            .contains("removed 1 stale temporary file left in `.` by an interrupted hashpin"),
        "{}",
        run.stderr
    );
    assert_eq!(
        names_in(context.temp.path()),
        [".hashpin-notes.tmp", "cache", "home", "requirements.txt"]
    );
}

// See: https://github.com/hashpin/hashpin/issues/8
#[test]
fn an_empty_hook_is_a_usage_error_before_anything_else() {
    let context = TestContext::new();
    let lockfile = context.write("requirements.txt", "tinyproj==1.0.0\n");
    // Another hashpin holds the lockfile: a usage error must not wait for it.
    let holder = std::fs::File::open(&lockfile).unwrap();
    holder.lock().unwrap();
    let mut run = context
        .command()
        .args(["install", "--hook", "", "--python", "/nonexistent/python"])
        .args(["-i", &context.server.simple_url()])
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let lines = Lines::of(&mut run);
    let status = wait_or_kill(&mut run, Duration::from_secs(10));
    let stderr = lines.all();
    assert_eq!(status.and_then(|status| status.code()), Some(2), "{stderr}");
    assert_eq!(stderr, "error: invalid `--hook `: empty command");
    assert_eq!(context.server.request_count(), 0);
}

/// The PIDs listed in `path`, one a line, once there is one (waits up to 20 s).
fn wait_for_pids(path: &Path) -> Vec<u32> {
    let deadline = Instant::now() + Duration::from_secs(20);
    loop {
        let pids: Vec<u32> = fs_err::read_to_string(path)
            .unwrap_or_default()
            .lines()
            .filter_map(|line| line.trim().parse().ok())
            .collect();
        if !pids.is_empty() {
            return pids;
        }
        assert!(
            Instant::now() < deadline,
            "nothing started: {}",
            path.display()
        );
        thread::sleep(Duration::from_millis(10));
    }
}

/// Whether the process is gone: no such process, or a zombie waiting for its new parent.
fn is_gone(pid: u32) -> bool {
    fs_err::read_to_string(format!("/proc/{pid}/stat")).map_or(true, |stat| stat.contains(") Z "))
}

/// Runs `hashpin ARGS...` with its own `TMPDIR`; once a child of it has written its PID to
/// `pids`, sends hashpin (and hashpin alone, as `kill -INT` does) SIGINT, and checks what it
/// left: exit 130, `error: interrupted` last, the child gone within a second, every temporary
/// file removed, the lockfile as it was. `temporaries` are name prefixes expected in `TMPDIR`
/// while the child runs, so the test knows there was something to clean.
fn interrupt_while_a_child_runs(
    context: &TestContext,
    args: &[&str],
    pids: &Path,
    temporaries: &[&str],
) {
    let tmp = context.path("tmp");
    fs_err::create_dir_all(&tmp).unwrap();
    let lockfile = context.path("requirements.txt");
    let before = fs_err::read(&lockfile).unwrap();
    let mut run = context
        .command()
        .args(args)
        .env("TMPDIR", &tmp)
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let lines = Lines::of(&mut run);
    let child = *wait_for_pids(pids).last().unwrap();
    let present = names_in(&tmp);
    for prefix in temporaries {
        assert!(
            present.iter().any(|name| name.starts_with(prefix)),
            "no `{prefix}*` in {present:?}"
        );
    }

    let signalled = Instant::now();
    let status = Command::new("kill")
        .args(["-INT", &run.id().to_string()])
        .status()
        .unwrap();
    assert!(status.success());
    let exit = wait_or_kill(&mut run, Duration::from_secs(10));
    while !is_gone(child) && signalled.elapsed() < Duration::from_secs(5) {
        thread::sleep(Duration::from_millis(5));
    }
    let stopped_after = signalled.elapsed();
    let stderr = lines.all();

    assert_eq!(exit.and_then(|exit| exit.code()), Some(130), "{stderr}");
    assert_eq!(
        stderr.lines().last(),
        Some("error: interrupted"),
        "{stderr}"
    );
    assert!(is_gone(child), "the child {child} still runs");
    assert!(
        // The grace period is 0.5 s; the bound is generous for a loaded CI runner.
        stopped_after < Duration::from_secs(3),
        "the child took {stopped_after:?} to stop"
    );
    assert_eq!(names_in(&tmp), Vec::<String>::new(), "left in TMPDIR");
    assert_eq!(
        fs_err::read(&lockfile).unwrap(),
        before,
        "the lockfile changed"
    );
    let beside: Vec<String> = names_in(context.temp.path())
        .into_iter()
        .filter(|name| name.starts_with(".hashpin-"))
        .collect();
    assert_eq!(beside, Vec::<String>::new(), "left beside the lockfile");
}

// See: https://github.com/hashpin/hashpin/issues/8
#[test]
fn ctrl_c_during_install_stops_pip_even_if_it_ignores_sigint() {
    let context = TestContext::new();
    context.write("requirements.txt", "tinyproj==1.0.0\n");
    assert_eq!(context.lock(&[]).code, 0);
    let pip = FakePip::new(
        &context,
        &Resolution::Hang {
            ignoring_interrupts: true,
        },
    );
    let index = context.server.simple_url();
    let python = pip.python.to_str().unwrap();
    interrupt_while_a_child_runs(
        &context,
        &["install", "--python", python, "-i", &index],
        &pip.pids,
        &["hashpin-report-", "hashpin-resolve-", ".tmp"],
    );
}

// See: https://github.com/hashpin/hashpin/issues/8
#[test]
fn ctrl_c_during_lock_resolve_stops_pip_and_removes_its_files() {
    let context = TestContext::new();
    context.write("requirements.txt", "tinyproj==1.0.0\n");
    assert_eq!(context.lock(&[]).code, 0);
    context.write("requirements.in", "tinyproj\n");
    let pip = FakePip::new(
        &context,
        &Resolution::Hang {
            ignoring_interrupts: false,
        },
    );
    let index = context.server.simple_url();
    let python = pip.python.to_str().unwrap();
    interrupt_while_a_child_runs(
        &context,
        &[
            "lock",
            "--resolve",
            "requirements.in",
            "--python",
            python,
            "--index-url",
            &index,
        ],
        &pip.pids,
        &["hashpin-constraints-", "hashpin-report-"],
    );
}

// A hook runs in a process group of its own: the terminal's Ctrl-C does not reach it, so
// hashpin must stop it.
// See: https://github.com/hashpin/hashpin/issues/8
#[test]
fn ctrl_c_while_a_hook_runs_stops_the_hook() {
    let context = TestContext::new();
    context.write("requirements.txt", "tinyproj==1.0.0\n");
    assert_eq!(context.lock(&[]).code, 0);
    let pip = FakePip::new(
        &context,
        &Resolution::Install(&[("tinyproj", "1.0.0", "tinyproj-1.0.0-py3-none-any.whl")]),
    );
    let pids = context.path("hook.pids");
    context.write(
        "hang-hook.sh",
        &format!(
            "#!/bin/sh\necho $$ >> '{}'\ntrap '' INT\nexec sleep 600\n",
            pids.display()
        ),
    );
    let index = context.server.simple_url();
    let python = pip.python.to_str().unwrap();
    interrupt_while_a_child_runs(
        &context,
        &[
            "install",
            "--python",
            python,
            "-i",
            &index,
            "--hook",
            "sh hang-hook.sh",
        ],
        &pids,
        // The scratch directory, and the hook's copy of the artifact.
        &[".tmp"],
    );
}

// Found in review: files were locked in the order named, so two runs could wait on each other.
#[test]
fn runs_locking_the_same_files_in_another_order_never_wait_on_each_other() {
    let context = TestContext::new();
    context.write("a.txt", "tinyproj==1.0.0\n");
    context.write("b.txt", "depb==1.2.0\n");
    // A third holder makes both runs queue on `b.txt` at once, the order that could deadlock.
    let mut holder = Command::new("python3")
        .args([
            "-c",
            "import fcntl, sys, time\nf = open('b.txt')\nfcntl.flock(f, fcntl.LOCK_EX)\nprint('held', flush=True)\ntime.sleep(2)",
        ])
        .current_dir(context.temp.path())
        .stdout(Stdio::piped())
        .spawn()
        .unwrap();
    let mut held = String::new();
    std::io::BufRead::read_line(
        &mut std::io::BufReader::new(holder.stdout.as_mut().unwrap()),
        &mut held,
    )
    .unwrap();
    let index = context.server.simple_url();
    let mut runs: Vec<Child> = [["b.txt", "a.txt"], ["a.txt", "b.txt"]]
        .iter()
        .map(|files| {
            context
                .command()
                .arg("lock")
                .args(files)
                .args(["--index-url", &index])
                .stderr(Stdio::null())
                .spawn()
                .unwrap()
        })
        .collect();
    for run in &mut runs {
        let status = wait_or_kill(run, Duration::from_secs(60));
        assert_eq!(
            status.and_then(|status| status.code()),
            Some(0),
            "a run hung"
        );
    }
    holder.wait().unwrap();
    assert!(context.read("a.txt").contains("--hash=sha256:"));
    assert!(context.read("b.txt").contains("--hash=sha256:"));
}

// Found in review: files included with `-r` were written without a lock.
#[test]
fn an_included_file_is_locked_like_the_files_named() {
    let context = TestContext::new();
    context.write("common.txt", "tinyproj==1.0.0\n");
    context.write("a.txt", "-r common.txt\n");
    context.write("b.txt", "-r common.txt\n");
    let stalled = GatedIndex::start(&context.server.base_url());
    let mut first = context
        .command()
        .args(["lock", "a.txt", "--index-url", &stalled.url()])
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    stalled.wait_for_a_connection();
    let mut second = context
        .command()
        .args(["lock", "b.txt", "--index-url", &context.server.simple_url()])
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let mut lines = Lines::of(&mut second);
    assert!(
        lines.wait_for(
            "waiting for another hashpin to finish with `common.txt`",
            Duration::from_secs(20)
        ),
        "{:?}",
        lines.seen
    );
    first.kill().unwrap();
    first.wait().unwrap();
    let status = wait_or_kill(&mut second, Duration::from_secs(30));
    let stderr = lines.all();
    assert_eq!(status.and_then(|status| status.code()), Some(0), "{stderr}");
    assert!(context.read("common.txt").contains("--hash=sha256:"));
}

/// A one-project index that lists one wheel, without a digest, and sends only the first bytes
/// of it before it stalls: a download hashpin is in the middle of.
fn stalling_index() -> String {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let base = format!("http://{}", listener.local_addr().unwrap());
    thread::spawn(move || {
        for stream in listener.incoming() {
            let Ok(mut stream) = stream else { break };
            thread::spawn(move || {
                let mut head = Vec::new();
                let mut reader = BufReader::new(stream.try_clone().unwrap());
                let mut line = String::new();
                while reader.read_line(&mut line).is_ok_and(|read| read > 2) {
                    head.extend_from_slice(line.as_bytes());
                    line.clear();
                }
                let head = String::from_utf8_lossy(&head).into_owned();
                let write = |stream: &mut TcpStream, text: String| {
                    let _ = std::io::Write::write_all(stream, text.as_bytes());
                };
                if head.starts_with("GET /simple/tinyproj/") {
                    let body = r#"<a href="/files/tinyproj-1.0.0-py3-none-any.whl">tinyproj-1.0.0-py3-none-any.whl</a>"#;
                    write(
                        &mut stream,
                        format!(
                            "HTTP/1.1 200 OK\r\nContent-Type: text/html\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{body}",
                            body.len()
                        ),
                    );
                } else if head.starts_with("GET /files/") {
                    write(
                        &mut stream,
                        "HTTP/1.1 200 OK\r\nContent-Length: 1000000\r\n\r\n".to_string()
                            + &"x".repeat(1000),
                    );
                    thread::sleep(Duration::from_secs(30));
                } else {
                    write(
                        &mut stream,
                        "HTTP/1.1 404 Not Found\r\nContent-Length: 0\r\nConnection: close\r\n\r\n"
                            .to_string(),
                    );
                }
            });
        }
    });
    format!("{base}/simple/")
}

// Found in review: a partial download outlived an interrupt.
#[test]
fn ctrl_c_in_the_middle_of_a_download_removes_the_partial_copy() {
    for no_cache in [false, true] {
        let context = TestContext::new();
        context.write("requirements.txt", "tinyproj==1.0.0\n");
        let tmp = context.path("tmp");
        fs_err::create_dir(&tmp).unwrap();
        let mut command = context.command();
        command
            .args(["lock", "--index-url", &stalling_index()])
            .env("TMPDIR", &tmp)
            .stderr(Stdio::piped());
        if no_cache {
            command.arg("--no-cache");
        }
        let mut run = command.spawn().unwrap();
        // Wait until the partial copy exists, wherever this run keeps it.
        let spool_directory = if no_cache {
            tmp.clone()
        } else {
            context.path("cache/tmp")
        };
        let deadline = Instant::now() + Duration::from_secs(20);
        while !spool_directory.is_dir() || names_in(&spool_directory).is_empty() {
            assert!(Instant::now() < deadline, "no partial download appeared");
            thread::sleep(Duration::from_millis(20));
        }
        let status = Command::new("kill")
            .args(["-INT", &run.id().to_string()])
            .status()
            .unwrap();
        assert!(status.success());
        let exit = wait_or_kill(&mut run, Duration::from_secs(10));
        assert_eq!(
            exit.and_then(|exit| exit.code()),
            Some(130),
            "no_cache: {no_cache}"
        );
        assert_eq!(
            names_in(&spool_directory),
            Vec::<String>::new(),
            "no_cache: {no_cache}"
        );
        assert_eq!(context.read("requirements.txt"), "tinyproj==1.0.0\n");
    }
}
