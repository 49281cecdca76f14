//! Ctrl-C and SIGTERM: stop what hashpin started, remove what it created, leave every lockfile
//! as it was, say `error: interrupted`, and exit 130 (128 + SIGINT, what a shell reports for a
//! process Ctrl-C ended). See <https://github.com/hashpin/hashpin/issues/8>.
//!
//! Nothing runs in the signal handler itself: signal-hook writes to a pipe, and a thread of
//! ours reads it. Everything an interrupt must undo is registered here while it exists: child
//! processes (pip and hooks, started with [`spawn`], each in a process group of its own, so
//! that whatever they start goes with them) and temporary files and directories (made with
//! [`temporary`]).
//!
//! On the signal, the thread takes the registry's lock and never lets go. From then on nothing
//! new starts, no temporary file is created, no lockfile is replaced (the final renames run
//! under the same lock, through [`uninterrupted`]), and no child is reaped by anyone else, so
//! every process group it signals still belongs to a child of ours. It sends each group SIGINT,
//! as a terminal's Ctrl-C would (pip then cleans up after itself), gives them
//! [`GRACE`] (a second Ctrl-C cuts it short), kills the groups still there, removes every
//! registered path, prints, and exits. A signal after the children are stopped ends hashpin at
//! once, by the signal's default action, in case what is left to do gets stuck.
//!
//! Non-goals: files other modules create under the cache directory are theirs to clean; and
//! a lockfile written before the signal stays written (a whole file, never half of one).

use std::io::{self, Read};
use std::ops::{Deref, DerefMut};
use std::path::{Path, PathBuf};
use std::process::{Child, ChildStderr, ChildStdout, Command, ExitStatus, Output, Stdio};
use std::sync::{Mutex, MutexGuard, PoisonError};
use std::thread;
use std::time::{Duration, Instant};

use crate::error::Status;
use crate::report::Printer;

/// How long children get to stop after SIGINT before their process groups are killed.
const GRACE: Duration = Duration::from_millis(500);

/// The longest sleep between two checks on a running child, where nothing says when it ends.
const MAX_POLL_INTERVAL: Duration = Duration::from_millis(20);

/// The longest wait on a child's pidfd before it is checked again: the pidfd says when it ends,
/// this only bounds a wait on a kernel that would not.
#[cfg(target_os = "linux")]
const MAX_PIDFD_WAIT: Duration = Duration::from_secs(1);

/// What an interrupt must undo.
struct Registry {
    /// The id the next registration gets.
    next_id: u64,
    /// Running children, owned here so that a child is only ever reaped under the lock.
    children: Vec<(u64, Child)>,
    /// Temporary files and directories to remove.
    paths: Vec<(u64, PathBuf)>,
}

impl Registry {
    /// A fresh id.
    fn next_id(&mut self) -> u64 {
        self.next_id += 1;
        self.next_id
    }

    /// The registered child with `id`.
    fn child(&mut self, id: u64) -> Option<&mut Child> {
        self.children
            .iter_mut()
            .find(|(registered, _)| *registered == id)
            .map(|(_, child)| child)
    }

    /// Forgets the child with `id` (it has been reaped).
    fn forget_child(&mut self, id: u64) {
        self.children.retain(|(registered, _)| *registered != id);
    }
}

/// The one registry. A panic while it was held leaves nothing half-done that matters here.
static REGISTRY: Mutex<Registry> = Mutex::new(Registry {
    next_id: 0,
    children: Vec::new(),
    paths: Vec::new(),
});

/// Takes the registry's lock; after an interrupt, never returns.
fn registry() -> MutexGuard<'static, Registry> {
    REGISTRY.lock().unwrap_or_else(PoisonError::into_inner)
}

/// What a command that runs until it is stopped (`hashpin serve`) says when a signal ends it:
/// its summary, and the status to exit with instead of `interrupted` and 130.
type Farewell = Box<dyn Fn() -> Status + Send>;

/// The farewell, when a command set one ([`on_stop`]).
static FAREWELL: Mutex<Option<Farewell>> = Mutex::new(None);

/// Makes SIGINT and SIGTERM the normal end of this run: after the usual clean-up, `farewell`
/// prints what it has to say and gives the exit status.
pub(crate) fn on_stop(farewell: impl Fn() -> Status + Send + 'static) {
    *FAREWELL.lock().unwrap_or_else(PoisonError::into_inner) = Some(Box::new(farewell));
}

/// Starts the thread that handles SIGINT and SIGTERM; without it (elsewhere than Unix, or if
/// the handlers cannot be installed) the signals keep their default action.
pub(crate) fn handle_signals(printer: Printer) {
    #[cfg(unix)]
    {
        use std::sync::Arc;
        use std::sync::atomic::{AtomicBool, Ordering};

        use signal_hook::consts::{SIGINT, SIGTERM};

        let armed = Arc::new(AtomicBool::new(false));
        for signal in [SIGINT, SIGTERM] {
            // Registered first, so it runs first: once armed (the children are stopped), a
            // further signal takes the default action, in case what is left gets stuck.
            let _ = signal_hook::flag::register_conditional_default(signal, Arc::clone(&armed));
        }
        let Ok(mut signals) = signal_hook::iterator::Signals::new([SIGINT, SIGTERM]) else {
            return;
        };
        let _ = thread::Builder::new()
            .name("hashpin-signals".to_string())
            .spawn(move || {
                if signals.forever().next().is_some() {
                    // A second Ctrl-C while children get their moment cuts it short.
                    let mut again = || signals.pending().next().is_some();
                    stop(&printer, &mut again, &|| {
                        armed.store(true, Ordering::SeqCst)
                    });
                }
            });
    }
    #[cfg(not(unix))]
    drop(printer);
}

/// Undoes everything registered, says so, and exits with [`Status::Interrupted`]. `again`
/// says whether another signal came meanwhile; `arm` is called once the children are stopped.
fn stop(printer: &Printer, again: &mut dyn FnMut() -> bool, arm: &dyn Fn()) -> ! {
    // Held until the process exits: see the module documentation.
    let mut registry = registry();
    stop_children(&mut registry.children, again);
    arm();
    for (_, path) in &registry.paths {
        let _ = if path.is_dir() {
            fs_err::remove_dir_all(path)
        } else {
            fs_err::remove_file(path)
        };
    }
    printer.clear_progress();
    let farewell = FAREWELL
        .lock()
        .unwrap_or_else(PoisonError::into_inner)
        .take();
    if let Some(farewell) = farewell {
        std::process::exit(i32::from(farewell() as u8));
    }
    printer.error_text("interrupted");
    std::process::exit(i32::from(Status::Interrupted as u8))
}

/// SIGINT to every child's process group, a moment to stop ([`GRACE`], unless `again` says
/// another signal came), then SIGKILL to those left. Only groups of children not yet reaped
/// are signalled: a reaped child's id may be reused.
fn stop_children(children: &mut Vec<(u64, Child)>, again: &mut dyn FnMut() -> bool) {
    for (_, child) in children.iter() {
        signal_group(child, "INT");
    }
    let deadline = Instant::now() + GRACE;
    loop {
        children.retain_mut(|(_, child)| !matches!(child.try_wait(), Ok(Some(_))));
        if children.is_empty() || Instant::now() >= deadline || again() {
            break;
        }
        thread::sleep(Duration::from_millis(5));
    }
    for (_, child) in children.iter_mut() {
        kill(child);
    }
}

/// Sends `signal` (a name such as `KILL`) to the child's process group. std cannot signal a
/// group and this crate has no unsafe code, so `/bin/sh`'s `kill` builtin does it; the group
/// id goes in as an argument, never into the script text. Safe only while the child is not
/// reaped: until then its pid, which is the group id, cannot be reused by another process.
#[cfg(unix)]
fn signal_group(child: &Child, signal: &str) {
    let _ = Command::new("/bin/sh")
        .args([
            "-c",
            "kill -s \"$1\" -- \"-$2\"",
            "hashpin-kill",
            signal,
            &child.id().to_string(),
        ])
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .status();
}

/// Elsewhere than Unix there are no process groups to signal; [`kill`] kills the child itself.
#[cfg(not(unix))]
fn signal_group(_: &Child, _: &str) {}

/// Kills a child that has not been reaped, and everything in its process group, then reaps it.
fn kill(child: &mut Child) {
    signal_group(child, "KILL");
    // The group kill may not have run (no `/bin/sh`); the child itself is always killed. An
    // error means it has already exited, which is what we want.
    let _ = child.kill();
    let _ = child.wait();
}

/// A child process started by [`spawn`]. Dropped while it runs, it is killed with its group.
#[derive(Debug)]
pub(crate) struct Supervised {
    /// Its registration.
    id: u64,
    /// Its process id.
    pid: u32,
    /// How it ended, once reaped.
    status: Option<ExitStatus>,
    /// Its stdout, if piped.
    pub(crate) stdout: Option<ChildStdout>,
    /// Its stderr, if piped.
    pub(crate) stderr: Option<ChildStderr>,
}

/// Starts `command` in a process group of its own (on Unix), registered so that an interrupt
/// stops it and whatever it started. A terminal's Ctrl-C then reaches hashpin alone, which
/// passes it on.
pub(crate) fn spawn(command: &mut Command) -> io::Result<Supervised> {
    #[cfg(unix)]
    {
        use std::os::unix::process::CommandExt as _;
        command.process_group(0);
    }
    // Under the lock: an interrupt either finds the child registered, or comes before it
    // starts and it never does.
    let mut registry = registry();
    let mut child = command.spawn()?;
    let stdout = child.stdout.take();
    let stderr = child.stderr.take();
    let id = registry.next_id();
    let pid = child.id();
    registry.children.push((id, child));
    Ok(Supervised {
        id,
        pid,
        status: None,
        stdout,
        stderr,
    })
}

impl Supervised {
    /// How it ended, if it has; reaps it then.
    pub(crate) fn try_wait(&mut self) -> io::Result<Option<ExitStatus>> {
        if let Some(status) = self.status {
            return Ok(Some(status));
        }
        let mut registry = registry();
        let Some(child) = registry.child(self.id) else {
            return Err(io::Error::other("the child was reaped elsewhere"));
        };
        let status = child.try_wait()?;
        if let Some(status) = status {
            registry.forget_child(self.id);
            self.status = Some(status);
        }
        Ok(status)
    }

    /// Waits for it to end. Never blocks holding the lock an interrupt needs: it sleeps until
    /// the child ends ([`sleep_until_exit`]) and reaps it under the lock.
    pub(crate) fn wait(&mut self) -> io::Result<ExitStatus> {
        self.wait_until(None)?
            .ok_or_else(|| io::Error::other("no deadline, yet the wait timed out"))
    }

    /// Waits for it to end until `deadline` (if any); `None` if it still runs then.
    pub(crate) fn wait_until(
        &mut self,
        deadline: Option<Instant>,
    ) -> io::Result<Option<ExitStatus>> {
        let mut interval = Duration::from_millis(1);
        loop {
            if let Some(status) = self.try_wait()? {
                return Ok(Some(status));
            }
            let now = Instant::now();
            let remaining = match deadline {
                Some(deadline) if now >= deadline => return Ok(None),
                Some(deadline) => Some(deadline - now),
                None => None,
            };
            sleep_until_exit(self.pid, remaining, interval);
            interval = (interval * 2).min(MAX_POLL_INTERVAL);
        }
    }

    /// Kills it and everything in its process group, and reaps it; nothing if it has ended.
    pub(crate) fn kill(&mut self) {
        let mut registry = registry();
        if let Some(child) = registry.child(self.id) {
            kill(child);
            self.status = child.try_wait().ok().flatten();
            registry.forget_child(self.id);
        }
    }
}

impl Supervised {
    /// Kills the child alone (not its group) and forgets it: for a child whose state could not
    /// be read, whose pid may then no longer be ours to signal as a group.
    pub(crate) fn kill_alone(&mut self) {
        let mut registry = registry();
        if let Some(child) = registry.child(self.id) {
            let _ = child.kill();
            let _ = child.wait();
            registry.forget_child(self.id);
        }
    }
}

impl Drop for Supervised {
    fn drop(&mut self) {
        self.kill();
    }
}

/// Sleeps until the child `pid` has ended (it is not reaped) or `remaining` has passed (`None`:
/// no deadline). On Linux the child's pidfd turns readable the moment it exits, so a caller
/// learns of the end at once: polling found a resolver that ran 90 ms up to 20 ms late.
/// Without pidfds (before Linux 5.3, other systems) it sleeps `interval` at most. A child an
/// interrupt reaped meanwhile is no longer found; the caller then meets the interrupt's lock.
#[cfg_attr(not(target_os = "linux"), allow(unused_variables))]
fn sleep_until_exit(pid: u32, remaining: Option<Duration>, interval: Duration) {
    #[cfg(target_os = "linux")]
    {
        use rustix::event::{PollFd, PollFlags, Timespec, poll};
        use rustix::process::{Pid, PidfdFlags, pidfd_open};
        let pidfd = i32::try_from(pid)
            .ok()
            .and_then(Pid::from_raw)
            .and_then(|pid| pidfd_open(pid, PidfdFlags::empty()).ok());
        if let Some(pidfd) = pidfd {
            let wait = remaining.map_or(MAX_PIDFD_WAIT, |remaining| remaining.min(MAX_PIDFD_WAIT));
            let timeout = Timespec::try_from(wait).ok();
            let mut fds = [PollFd::new(&pidfd, PollFlags::IN)];
            // A poll that fails at once (a sandbox that refuses it) falls back to sleeping,
            // rather than spinning.
            if poll(&mut fds, timeout.as_ref()).is_ok() {
                return;
            }
        }
    }
    thread::sleep(remaining.map_or(interval, |remaining| remaining.min(interval)));
}

/// Runs `command` to its end as [`spawn`] starts it, with stdin null and stdout and stderr
/// collected, as [`Command::output`] does.
pub(crate) fn output(command: &mut Command) -> io::Result<Output> {
    command
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
    let mut child = spawn(command)?;
    // Both pipes are drained on their own threads: a child that fills one while we read the
    // other would otherwise block forever.
    let stdout = child.stdout.take().map(read_to_end);
    let stderr = child.stderr.take().map(read_to_end);
    let status = child.wait()?;
    let collect = |reader: Option<thread::JoinHandle<Vec<u8>>>| {
        reader
            .and_then(|reader| reader.join().ok())
            .unwrap_or_default()
    };
    Ok(Output {
        status,
        stdout: collect(stdout),
        stderr: collect(stderr),
    })
}

/// Reads `pipe` to its end on a thread of its own.
fn read_to_end(mut pipe: impl Read + Send + 'static) -> thread::JoinHandle<Vec<u8>> {
    thread::spawn(move || {
        let mut bytes = Vec::new();
        let _ = pipe.read_to_end(&mut bytes);
        bytes
    })
}

/// Runs `command` to its end as [`spawn`] starts it, its streams as the caller set them.
pub(crate) fn status(command: &mut Command) -> io::Result<ExitStatus> {
    spawn(command)?.wait()
}

/// Runs `action` where no interrupt can fall in the middle of it, nor after it has begun:
/// once a signal is being handled, `action` never starts. For the final renames of a write,
/// so that an interrupted run leaves each lockfile as it was. `action` must not call into
/// this module (the lock is not reentrant).
pub(crate) fn uninterrupted<T>(action: impl FnOnce() -> T) -> T {
    let _registry = registry();
    action()
}

/// Something on disk with a path: a temporary file or directory.
pub(crate) trait OnDisk {
    /// Where it is.
    fn path(&self) -> &Path;
}

impl OnDisk for tempfile::NamedTempFile {
    fn path(&self) -> &Path {
        tempfile::NamedTempFile::path(self)
    }
}

impl OnDisk for tempfile::TempDir {
    fn path(&self) -> &Path {
        tempfile::TempDir::path(self)
    }
}

/// A temporary file or directory that an interrupt removes. It derefs to what it wraps, and is
/// removed as that is, when dropped.
#[derive(Debug)]
pub(crate) struct Temporary<T> {
    /// Dropped (removed) first, so an interrupt never misses it.
    inner: T,
    /// Forgotten second.
    registration: Registration,
}

/// A registered path, forgotten when dropped.
#[derive(Debug)]
pub(crate) struct Registration(u64);

impl Drop for Registration {
    fn drop(&mut self) {
        registry().paths.retain(|(id, _)| *id != self.0);
    }
}

/// Makes a temporary file or directory with `create`, registered so that an interrupt
/// removes it.
pub(crate) fn temporary<T: OnDisk>(
    create: impl FnOnce() -> io::Result<T>,
) -> io::Result<Temporary<T>> {
    // Under the lock: an interrupt either finds it registered, or comes before it is made and
    // it never is.
    let mut registry = registry();
    let inner = create()?;
    let id = registry.next_id();
    registry.paths.push((id, inner.path().to_path_buf()));
    Ok(Temporary {
        inner,
        registration: Registration(id),
    })
}

impl<T> Temporary<T> {
    /// What it wraps, and its registration: the path stays registered until that is dropped.
    pub(crate) fn into_parts(self) -> (T, Registration) {
        (self.inner, self.registration)
    }
}

impl<T> Deref for Temporary<T> {
    type Target = T;

    fn deref(&self) -> &T {
        &self.inner
    }
}

impl<T> DerefMut for Temporary<T> {
    fn deref_mut(&mut self) -> &mut T {
        &mut self.inner
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[cfg(target_os = "linux")]
    #[test]
    fn a_wait_ends_when_the_child_does_not_at_the_next_poll() {
        let mut child = spawn(Command::new("true").stdin(Stdio::null())).unwrap();
        // Ended (not yet reaped): the pidfd is readable at once, where a poll would sleep
        // out its interval (ten seconds here).
        while !fs_err::read_to_string(format!("/proc/{}/stat", child.pid))
            .is_ok_and(|stat| stat.contains(") Z "))
        {
            thread::sleep(Duration::from_millis(1));
        }
        let started = Instant::now();
        sleep_until_exit(
            child.pid,
            Some(Duration::from_secs(10)),
            Duration::from_secs(10),
        );
        assert!(
            started.elapsed() < Duration::from_secs(5),
            "{:?}",
            started.elapsed()
        );
        assert!(child.wait().unwrap().success());

        // A child still running: the deadline holds.
        let mut running = spawn(Command::new("sleep").arg("5").stdin(Stdio::null())).unwrap();
        let started = Instant::now();
        sleep_until_exit(
            running.pid,
            Some(Duration::from_millis(50)),
            Duration::from_secs(10),
        );
        assert!(started.elapsed() >= Duration::from_millis(50));
        assert!(running.try_wait().unwrap().is_none());
        running.kill();
    }

    #[test]
    fn output_collects_what_the_child_printed() {
        let output =
            output(Command::new("/bin/sh").args(["-c", "echo out; echo err >&2; exit 3"])).unwrap();
        assert_eq!(output.status.code(), Some(3));
        assert_eq!(output.stdout, b"out\n");
        assert_eq!(output.stderr, b"err\n");
    }

    #[test]
    #[cfg(target_os = "linux")]
    fn a_dropped_child_is_killed_with_its_group() {
        let directory = tempfile::tempdir().unwrap();
        let pid_file = directory.path().join("grandchild");
        let mut command = Command::new("/bin/sh");
        command.args([
            "-c",
            "sleep 600 & echo $! > \"$1\"; wait",
            "sh",
            pid_file.to_str().unwrap(),
        ]);
        let mut child = spawn(&mut command).unwrap();
        let deadline = Instant::now() + Duration::from_secs(10);
        while fs_err::read_to_string(&pid_file).map_or(true, |text| !text.ends_with('\n')) {
            assert!(Instant::now() < deadline, "the grandchild started");
            thread::sleep(Duration::from_millis(5));
        }
        assert!(child.try_wait().unwrap().is_none());
        let grandchild = fs_err::read_to_string(&pid_file).unwrap();
        drop(child);
        // The grandchild, in the same group, is gone too (or a zombie of init's, briefly).
        let deadline = Instant::now() + Duration::from_secs(5);
        let gone = || {
            fs_err::read_to_string(format!("/proc/{}/stat", grandchild.trim()))
                .map_or(true, |stat| stat.contains(") Z "))
        };
        while !gone() {
            assert!(Instant::now() < deadline, "the grandchild was killed");
            thread::sleep(Duration::from_millis(5));
        }
    }

    /// A child in a process group of its own that ignores SIGINT, as a stubborn pip might.
    #[cfg(unix)]
    fn stubborn_child() -> Child {
        use std::os::unix::process::CommandExt as _;
        Command::new("/bin/sh")
            .args(["-c", "trap '' INT; exec sleep 600"])
            .process_group(0)
            .spawn()
            .unwrap()
    }

    #[test]
    #[cfg(unix)]
    fn a_child_that_ignores_sigint_is_killed_after_the_grace_or_a_second_signal() {
        let mut children = vec![(1, stubborn_child())];
        // Give `sh` time to set its trap.
        thread::sleep(Duration::from_millis(100));
        let started = Instant::now();
        stop_children(&mut children, &mut || false);
        let waited = started.elapsed();
        assert!(waited >= GRACE, "{waited:?}");
        assert!(waited < GRACE + Duration::from_secs(1), "{waited:?}");
        assert!(matches!(children[0].1.try_wait(), Ok(Some(_))));

        let mut children = vec![(2, stubborn_child())];
        thread::sleep(Duration::from_millis(100));
        let started = Instant::now();
        stop_children(&mut children, &mut || true);
        assert!(started.elapsed() < GRACE, "{:?}", started.elapsed());
        assert!(matches!(children[0].1.try_wait(), Ok(Some(_))));
    }

    #[test]
    fn a_temporary_is_registered_while_it_exists() {
        let file = temporary(tempfile::NamedTempFile::new).unwrap();
        let path = file.path().to_path_buf();
        assert!(
            registry()
                .paths
                .iter()
                .any(|(_, registered)| *registered == path)
        );
        drop(file);
        assert!(!path.exists());
        assert!(
            !registry()
                .paths
                .iter()
                .any(|(_, registered)| *registered == path)
        );
    }
}
