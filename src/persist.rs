//! Saving lockfiles: one writer at a time, and never a half-written file.
//!
//! A write goes to a temporary file in the same directory, is synced, takes the old file's
//! permissions, and is renamed over the old one, so a reader sees the old bytes or the new bytes,
//! nothing between. Two `hashpin lock` runs on one file take turns through an advisory lock kept
//! outside the user's directory (nothing is left next to their files).

use std::fs::File;
use std::io::Write;
use std::path::{Path, PathBuf};

use sha2::Digest as _;

/// Holds the advisory lock on one requirements file until dropped.
#[derive(Debug)]
pub(crate) struct FileLock {
    _file: File,
}

/// The lock file that stands for `path`: under the temporary directory, named by the hash of
/// the canonical path, so every spelling of one file shares one lock.
fn lock_path(path: &Path) -> PathBuf {
    let canonical = fs_err::canonicalize(path).unwrap_or_else(|_| path.to_path_buf());
    let digest = sha2::Sha256::digest(canonical.to_string_lossy().as_bytes());
    std::env::temp_dir()
        .join("hashpin-locks")
        .join(format!("{}.lock", &hex::encode(digest)[..24]))
}

/// Takes the lock for `path`, calling `on_wait` once if another process holds it, then waiting.
pub(crate) fn lock(path: &Path, on_wait: impl FnOnce()) -> std::io::Result<FileLock> {
    let lock_path = lock_path(path);
    if let Some(parent) = lock_path.parent() {
        fs_err::create_dir_all(parent)?;
    }
    let file = fs_err::OpenOptions::new()
        .create(true)
        .truncate(false)
        .write(true)
        .open(&lock_path)?
        .into_parts()
        .0;
    match file.try_lock() {
        Ok(()) => {}
        Err(std::fs::TryLockError::WouldBlock) => {
            on_wait();
            file.lock()?;
        }
        Err(std::fs::TryLockError::Error(error)) => return Err(error),
    }
    Ok(FileLock { _file: file })
}

/// Replaces `path` with `text` atomically, keeping the file's permissions.
pub(crate) fn write_atomically(path: &Path, text: &str) -> std::io::Result<()> {
    let directory = match path.parent() {
        Some(parent) if !parent.as_os_str().is_empty() => parent.to_path_buf(),
        _ => PathBuf::from("."),
    };
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
}
