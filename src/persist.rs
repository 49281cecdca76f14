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

use std::collections::BTreeSet;
use std::fs::{File, Metadata};
use std::io::{self, Write};
use std::path::{Path, PathBuf};
use std::time::Duration;

use tempfile::NamedTempFile;

use crate::interrupt::{self, Temporary};

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

/// The directory a file is (or would be) in: `.` for a bare file name.
pub(crate) fn directory_of(path: &Path) -> PathBuf {
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

/// The temporary files a write leaves while it runs: `.hashpin-write-XXXXXXXXXXXXXXXX.tmp`
/// beside the lockfile, the sixteen `X`s letters and digits: a name no person gives a file of
/// their own (found in review: `.hashpin-backup.tmp` matched the six-letter pattern before).
const TEMPORARY_PREFIX: &str = ".hashpin-write-";
/// See [`TEMPORARY_PREFIX`].
const TEMPORARY_SUFFIX: &str = ".tmp";
/// See [`TEMPORARY_PREFIX`].
const TEMPORARY_RANDOM_CHARACTERS: usize = 16;

/// How old a temporary file must be before another run may call it stale. Its writer locks it
/// the moment it is created, and the lock, not the age, is what tells a live write from a
/// dead one; the age only covers that moment, generously, clock skew on network file systems
/// included.
const STALE_AFTER: Duration = Duration::from_secs(60);

/// Why a lockfile was not written.
#[derive(Debug, thiserror::Error)]
pub(crate) enum PersistError {
    /// The file no longer holds what was read: someone edited it while hashpin worked.
    #[error(
        "`{path}` changed after hashpin read it; nothing written\nhint: another program edited it while hashpin worked; run hashpin again to start from what it holds now",
        path = path.display()
    )]
    Changed {
        /// The file, as named.
        path: PathBuf,
    },
    /// The write failed.
    #[error("cannot write `{path}`", path = path.display())]
    Write {
        /// The file, as named.
        path: PathBuf,
        /// Why.
        source: io::Error,
    },
}

/// Refuses, with [`PersistError::Changed`], when `path` no longer holds `read` (a file that does
/// not exist holds nothing).
fn ensure_unchanged(path: &Path, read: &[u8]) -> Result<(), PersistError> {
    let now = match fs_err::read(path) {
        Ok(bytes) => bytes,
        Err(error) if error.kind() == io::ErrorKind::NotFound => Vec::new(),
        Err(source) => {
            return Err(PersistError::Write {
                path: path.to_path_buf(),
                source,
            });
        }
    };
    if now == read {
        Ok(())
    } else {
        Err(PersistError::Changed {
            path: path.to_path_buf(),
        })
    }
}

/// A lockfile's new text, written and synced to a temporary file beside it, waiting for
/// [`commit`] to put it in place. Dropped instead, it leaves nothing behind.
#[derive(Debug)]
pub(crate) struct Prepared {
    /// The lockfile, as named.
    path: PathBuf,
    /// The bytes it held when it was read.
    read: Vec<u8>,
    /// The new text, locked by this process until the rename (see
    /// [`remove_stale_temporaries`]) and removed by an interrupt.
    temporary: Temporary<NamedTempFile>,
}

/// Writes `bytes`, meant to replace `path` (which held `read` when it was read), to a temporary
/// file in the same directory, with the file's permissions, and syncs it.
pub(crate) fn prepare(path: &Path, read: Vec<u8>, bytes: &[u8]) -> Result<Prepared, PersistError> {
    let failed = |source| PersistError::Write {
        path: path.to_path_buf(),
        source,
    };
    let directory = directory_of(path);
    let mut temporary = interrupt::temporary(|| {
        tempfile::Builder::new()
            .prefix(TEMPORARY_PREFIX)
            .suffix(TEMPORARY_SUFFIX)
            .rand_bytes(TEMPORARY_RANDOM_CHARACTERS)
            .tempfile_in(&directory)
    })
    .map_err(failed)?;
    // Held until the rename, so another run can tell this live write from the leftovers of a
    // killed one (see `remove_stale_temporaries`).
    temporary.as_file().lock().map_err(failed)?;
    temporary.write_all(bytes).map_err(failed)?;
    temporary.as_file().sync_all().map_err(failed)?;
    if let Ok(metadata) = fs_err::metadata(path) {
        fs_err::set_permissions(temporary.path(), metadata.permissions()).map_err(failed)?;
    }
    Ok(Prepared {
        path: path.to_path_buf(),
        read,
        temporary,
    })
}

/// Puts every prepared text in place, each by one rename, or none of them: refuses with
/// [`PersistError::Changed`] when any lockfile no longer holds what was read (an editor does not
/// take hashpin's lock, so an edit made while hashpin worked would otherwise be lost without a
/// word), checked as late as can be. The renames run where an interrupt cannot fall between
/// them, so Ctrl-C leaves every lockfile as it was, or every one written.
pub(crate) fn commit(prepared: Vec<Prepared>) -> Result<(), PersistError> {
    let mut registrations = Vec::new();
    let mut directories = BTreeSet::new();
    let mut files = Vec::new();
    for Prepared {
        path,
        read,
        temporary,
    } in prepared
    {
        let (file, registration) = temporary.into_parts();
        // Kept until every rename is done; dropped outside `uninterrupted`, which they lock.
        registrations.push(registration);
        directories.insert(directory_of(&path));
        files.push((path, read, file));
    }
    interrupt::uninterrupted(|| {
        for (path, read, _) in &files {
            ensure_unchanged(path, read)?;
        }
        for (path, _, file) in files {
            // Follow a symlinked lockfile to its target, so the link itself survives.
            let target = fs_err::canonicalize(&path).unwrap_or_else(|_| path.clone());
            file.persist(&target).map_err(|error| PersistError::Write {
                path: path.clone(),
                source: error.error,
            })?;
        }
        Ok::<(), PersistError>(())
    })?;
    drop(registrations);
    for directory in directories {
        if let Ok(directory) = File::open(&directory) {
            let _ = directory.sync_all();
        }
    }
    Ok(())
}

/// Whether `name` is one of [`prepare`]'s temporary files.
fn is_temporary_name(name: &str) -> bool {
    name.strip_prefix(TEMPORARY_PREFIX)
        .and_then(|rest| rest.strip_suffix(TEMPORARY_SUFFIX))
        .is_some_and(|random| {
            random.len() == TEMPORARY_RANDOM_CHARACTERS
                && random.bytes().all(|byte| byte.is_ascii_alphanumeric())
        })
}

/// Removes the temporary files a killed hashpin left in `directory` (`kill -9` during a write),
/// and returns how many. A file is removed only when it is hashpin's own and stale: its name is
/// exactly what [`prepare`] makes, it is a regular file (not a link or a directory),
/// it is older than [`STALE_AFTER`], and no process holds its lock (a live writer holds it
/// until the rename; the kernel lets go of a killed one's). Anything else, and anything that
/// cannot be checked, stays.
pub(crate) fn remove_stale_temporaries(directory: &Path) -> usize {
    let Ok(entries) = fs_err::read_dir(directory) else {
        return 0;
    };
    let mut removed = 0;
    for entry in entries.flatten() {
        let is_ours = entry.file_name().to_str().is_some_and(is_temporary_name);
        // `DirEntry::metadata` does not follow a symlink.
        let is_stale = || {
            entry.metadata().is_ok_and(|metadata| {
                metadata.is_file()
                    && metadata
                        .modified()
                        .ok()
                        .and_then(|modified| modified.elapsed().ok())
                        .is_some_and(|age| age >= STALE_AFTER)
            })
        };
        if !is_ours || !is_stale() {
            continue;
        }
        let path = entry.path();
        let Ok(file) = File::open(&path) else {
            continue;
        };
        if file.try_lock().is_ok() && fs_err::remove_file(&path).is_ok() {
            removed += 1;
        }
    }
    removed
}

#[cfg(test)]
mod tests {
    use std::os::unix::fs::PermissionsExt;

    use super::*;

    /// Replaces one file, as `lock` does.
    fn write_atomically(path: &Path, read: &str, text: &str) -> Result<(), PersistError> {
        commit(vec![prepare(
            path,
            read.as_bytes().to_vec(),
            text.as_bytes(),
        )?])
    }

    #[test]
    fn keeps_permissions_and_leaves_no_temporary_files() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("requirements.txt");
        fs_err::write(&path, "old\n").unwrap();
        fs_err::set_permissions(&path, std::fs::Permissions::from_mode(0o640)).unwrap();
        write_atomically(&path, "old\n", "new\n").unwrap();
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
    fn a_file_edited_since_it_was_read_is_not_written() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("requirements.txt");
        fs_err::write(&path, "edited by someone\n").unwrap();
        let error = write_atomically(&path, "as read\n", "locked\n").unwrap_err();
        assert!(matches!(error, PersistError::Changed { .. }), "{error:?}");
        assert_eq!(
            error.to_string(),
            format!(
                "`{}` changed after hashpin read it; nothing written\nhint: another program edited it while hashpin worked; run hashpin again to start from what it holds now",
                path.display()
            )
        );
        assert_eq!(
            fs_err::read_to_string(&path).unwrap(),
            "edited by someone\n"
        );
        assert_eq!(fs_err::read_dir(dir.path()).unwrap().count(), 1);
        // A file removed since it was read counts as changed; one that was absent, as empty.
        fs_err::remove_file(&path).unwrap();
        assert!(write_atomically(&path, "as read\n", "locked\n").is_err());
        assert!(!path.exists());
        write_atomically(&path, "", "locked\n").unwrap();
        assert_eq!(fs_err::read_to_string(&path).unwrap(), "locked\n");
    }

    #[test]
    fn only_names_write_atomically_makes_are_temporary_names() {
        for name in [
            ".hashpin-write-a1B2c3d4e5f6g7h8.tmp",
            ".hashpin-write-zzzzzzzzzzzzzzzz.tmp",
        ] {
            assert!(is_temporary_name(name), "{name}");
        }
        for name in [
            ".hashpin-write-a1B2c3d4e5f6g7h.tmp",
            ".hashpin-write-a1B2c3d4e5f6g7h8i.tmp",
            ".hashpin-write-a1B2c3d4e5f6g7-8.tmp",
            ".hashpin-write-a1B2c3d4e5f6g7h8.tmp.bak",
            "hashpin-write-a1B2c3d4e5f6g7h8.tmp",
            ".hashpin-backup.tmp",
            ".hashpin-a1B2c3.tmp",
            ".hashpin-notes.txt",
            "requirements.txt",
        ] {
            assert!(!is_temporary_name(name), "{name}");
        }
    }

    /// Writes `name` in `dir` with a modification time `age` ago.
    fn leftover(dir: &Path, name: &str, age: Duration) -> PathBuf {
        let path = dir.join(name);
        fs_err::write(&path, "half a lockfile").unwrap();
        let file = fs_err::File::options().write(true).open(&path).unwrap();
        file.set_modified(std::time::SystemTime::now() - age)
            .unwrap();
        path
    }

    // See: https://github.com/hashpin/hashpin/issues/8
    #[test]
    fn only_stale_temporary_files_of_hashpin_are_removed() {
        let dir = tempfile::tempdir().unwrap();
        let hour = Duration::from_secs(3600);
        let stale = leftover(dir.path(), ".hashpin-write-Stale1234567890a.tmp", hour);
        let fresh = leftover(
            dir.path(),
            ".hashpin-write-Fresh1234567890a.tmp",
            Duration::ZERO,
        );
        let someone_elses = leftover(dir.path(), ".hashpin-backup.tmp", hour);
        // A writer that is alive (suspended with Ctrl-Z, say) holds its file's lock.
        let live = leftover(dir.path(), ".hashpin-write-Live12345678901a.tmp", hour);
        let writer = File::open(&live).unwrap();
        writer.lock().unwrap();
        let target = leftover(dir.path(), "old-target", hour);
        let link = dir.path().join(".hashpin-write-Link12345678901a.tmp");
        std::os::unix::fs::symlink(&target, &link).unwrap();
        let directory = dir.path().join(".hashpin-write-Dir123456789012a.tmp");
        fs_err::create_dir(&directory).unwrap();

        assert_eq!(remove_stale_temporaries(dir.path()), 1);
        assert!(!stale.exists());
        for kept in [&fresh, &someone_elses, &live, &target, &link, &directory] {
            assert!(kept.exists(), "{}", kept.display());
        }
        drop(writer);
        assert_eq!(remove_stale_temporaries(dir.path()), 1);
        assert!(!live.exists());
        assert_eq!(remove_stale_temporaries(&dir.path().join("missing")), 0);
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
            write_atomically(&path, "old\n", "new\n").unwrap();
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
            write_atomically(&path, "", "new\n").unwrap();
            drop(first);
            let second = second.join().unwrap();
            assert!(!is_free(&path));
            drop(second);
        });
        assert!(waited.load(std::sync::atomic::Ordering::SeqCst));
    }
}
