//! Saving lockfiles: one writer at a time, and never a half-written file.
//!
//! A write goes to a temporary file in the same directory, is synced, takes the old file's
//! permissions, and is renamed over the old one, so a reader sees the old bytes or the new bytes,
//! nothing between.
//!
//! Two hashpin runs on one file take turns through an advisory lock (`flock`) on the lockfile
//! itself, opened read-only: nothing is created to lock it, so there is no shared directory that
//! another user could own first or fill, nothing piles up, and whoever can read the file can
//! lock it (see <https://github.com/hashpin/hashpin/issues/8>). A file that does not exist yet
//! (the first `lock --resolve -o FILE`) is stood for by its directory until it does.
//!
//! A write replaces the file with a new one (a new inode), and a lock on the file that was
//! replaced guards nothing: so a lock, once taken, is checked to be on the file the path names
//! now, and taken again if not. Once a run has written a file it does not touch it again, so
//! the next run may start on the new file while the writer is still finishing.

use std::fs::{File, Metadata};
use std::io::{self, Write};
use std::path::{Path, PathBuf};

/// Holds the advisory lock on one requirements file until dropped.
#[derive(Debug)]
pub(crate) struct FileLock {
    _file: File,
}

/// What stands for a path's lock: the file itself, or its directory while it does not exist.
enum LockTarget {
    /// The file, open read-only.
    File(File),
    /// The file's directory, open read-only: the file does not exist yet.
    Directory(File),
}

impl LockTarget {
    /// Opens what stands for `path` now.
    fn open(path: &Path) -> io::Result<Self> {
        match fs_err::File::open(path) {
            Ok(file) => Ok(Self::File(file.into_parts().0)),
            Err(error) if error.kind() == io::ErrorKind::NotFound => {
                let directory = directory_of(path);
                Ok(Self::Directory(
                    fs_err::File::open(&directory)?.into_parts().0,
                ))
            }
            Err(error) => Err(error),
        }
    }

    /// The open file to lock.
    fn file(&self) -> &File {
        match self {
            Self::File(file) | Self::Directory(file) => file,
        }
    }

    /// Whether the lock just taken still stands for `path`: the file it names is the one
    /// locked, or it still does not exist.
    fn still_stands_for(&self, path: &Path) -> io::Result<bool> {
        let now = match fs_err::metadata(path) {
            Ok(metadata) => Some(metadata),
            Err(error) if error.kind() == io::ErrorKind::NotFound => None,
            Err(error) => return Err(error),
        };
        Ok(match (self, now) {
            (Self::File(file), Some(now)) => same_file(&file.metadata()?, &now),
            (Self::Directory(_), None) => true,
            (Self::File(_), None) | (Self::Directory(_), Some(_)) => false,
        })
    }
}

/// The directory a file is (or would be) in.
fn directory_of(path: &Path) -> PathBuf {
    match path.parent() {
        Some(parent) if !parent.as_os_str().is_empty() => parent.to_path_buf(),
        _ => PathBuf::from("."),
    }
}

/// Whether two metadata describe one file.
#[cfg(unix)]
fn same_file(a: &Metadata, b: &Metadata) -> bool {
    use std::os::unix::fs::MetadataExt as _;
    a.dev() == b.dev() && a.ino() == b.ino()
}

/// Whether two metadata describe one file. Elsewhere than Unix a file with an open handle is
/// not replaced under it, so the file locked is the file the path names.
#[cfg(not(unix))]
fn same_file(_: &Metadata, _: &Metadata) -> bool {
    true
}

/// Takes the lock for `path`, calling `on_wait` once if another process holds it, then waiting.
pub(crate) fn lock(path: &Path, on_wait: impl FnOnce()) -> io::Result<FileLock> {
    let mut on_wait = Some(on_wait);
    loop {
        let target = LockTarget::open(path)?;
        match target.file().try_lock() {
            Ok(()) => {}
            Err(std::fs::TryLockError::WouldBlock) => {
                if let Some(on_wait) = on_wait.take() {
                    on_wait();
                }
                target.file().lock()?;
            }
            Err(std::fs::TryLockError::Error(error)) => return Err(error),
        }
        // The holder we waited for may have replaced the file, or created it: then this lock
        // is on something the path no longer names, and is dropped (released) to try again.
        if target.still_stands_for(path)? {
            let (LockTarget::File(file) | LockTarget::Directory(file)) = target;
            return Ok(FileLock { _file: file });
        }
    }
}

/// Replaces `path` with `text` atomically, keeping the file's permissions.
pub(crate) fn write_atomically(path: &Path, text: &str) -> io::Result<()> {
    let directory = directory_of(path);
    let mut temporary = tempfile::Builder::new()
        .prefix(".hashpin-")
        .suffix(".tmp")
        .tempfile_in(&directory)?;
    temporary.write_all(text.as_bytes())?;
    temporary.as_file().sync_all()?;
    if let Ok(metadata) = fs_err::metadata(path) {
        fs_err::set_permissions(temporary.path(), metadata.permissions())?;
    }
    // Follow a symlinked lockfile to its target, so the link itself survives.
    let target = fs_err::canonicalize(path).unwrap_or_else(|_| path.to_path_buf());
    temporary.persist(&target).map_err(|error| error.error)?;
    if let Ok(directory) = File::open(&directory) {
        let _ = directory.sync_all();
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use std::os::unix::fs::PermissionsExt;

    use super::*;

    #[test]
    fn keeps_permissions_and_leaves_no_temporary_files() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("requirements.txt");
        fs_err::write(&path, "old\n").unwrap();
        fs_err::set_permissions(&path, std::fs::Permissions::from_mode(0o640)).unwrap();
        write_atomically(&path, "new\n").unwrap();
        assert_eq!(fs_err::read_to_string(&path).unwrap(), "new\n");
        let mode = fs_err::metadata(&path).unwrap().permissions().mode() & 0o777;
        assert_eq!(mode, 0o640);
        assert_eq!(fs_err::read_dir(dir.path()).unwrap().count(), 1);
    }

    #[test]
    fn a_second_lock_waits() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("r.txt");
        fs_err::write(&path, "").unwrap();
        let first = lock(&path, || panic!("nobody holds it yet")).unwrap();
        let waited = std::sync::atomic::AtomicBool::new(false);
        std::thread::scope(|scope| {
            let handle = scope.spawn(|| {
                lock(&path, || {
                    waited.store(true, std::sync::atomic::Ordering::SeqCst)
                })
                .unwrap()
            });
            std::thread::sleep(std::time::Duration::from_millis(100));
            drop(first);
            handle.join().unwrap();
        });
        assert!(waited.load(std::sync::atomic::Ordering::SeqCst));
    }

    /// Whether another open file description could lock `path` now.
    fn is_free(path: &Path) -> bool {
        File::open(path).unwrap().try_lock().is_ok()
    }

    // See: https://github.com/hashpin/hashpin/issues/8
    #[test]
    fn the_lock_is_on_the_file_itself_and_creates_nothing() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("requirements.txt");
        fs_err::write(&path, "six==1.16.0\n").unwrap();
        let held = lock(&path, || panic!("nobody holds it yet")).unwrap();
        assert!(!is_free(&path));
        assert_eq!(fs_err::read_dir(dir.path()).unwrap().count(), 1);
        drop(held);
        assert!(is_free(&path));
    }

    // See: https://github.com/hashpin/hashpin/issues/8
    #[test]
    fn a_waiter_follows_the_file_its_holder_replaced() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("r.txt");
        fs_err::write(&path, "old\n").unwrap();
        let first = lock(&path, || panic!("nobody holds it yet")).unwrap();
        std::thread::scope(|scope| {
            let second = scope.spawn(|| lock(&path, || {}).unwrap());
            std::thread::sleep(std::time::Duration::from_millis(100));
            // The holder writes (a new inode under the same name) and lets go: the waiter got
            // the old inode, and must take the lock again on the new one.
            write_atomically(&path, "new\n").unwrap();
            drop(first);
            let second = second.join().unwrap();
            assert!(!is_free(&path), "the waiter holds the file the path names");
            drop(second);
        });
        assert!(is_free(&path));
    }

    // See: https://github.com/hashpin/hashpin/issues/8
    #[test]
    fn a_file_not_yet_written_is_locked_through_its_directory() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("requirements.txt");
        let first = lock(&path, || panic!("nobody holds it yet")).unwrap();
        assert_eq!(fs_err::read_dir(dir.path()).unwrap().count(), 0);
        let waited = std::sync::atomic::AtomicBool::new(false);
        std::thread::scope(|scope| {
            let second = scope.spawn(|| {
                lock(&path, || {
                    waited.store(true, std::sync::atomic::Ordering::SeqCst);
                })
                .unwrap()
            });
            std::thread::sleep(std::time::Duration::from_millis(100));
            // The first run creates the file; the waiter then locks the file, not the directory.
            write_atomically(&path, "new\n").unwrap();
            drop(first);
            let second = second.join().unwrap();
            assert!(!is_free(&path));
            drop(second);
        });
        assert!(waited.load(std::sync::atomic::Ordering::SeqCst));
    }
}
