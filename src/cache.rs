//! A content-addressed store of artifacts hashpin has downloaded, keyed by sha256.
//!
//! Being in the cache proves nothing: [`Cache::get`] hashes a file again before handing it out,
//! and drops it if the bytes no longer match their name. The cache lets later runs show what
//! changed inside a republished artifact; it is never a reason to skip a download that checks
//! an index.

use std::io::Write;
use std::path::{Path, PathBuf};

use crate::env_vars::EnvVars;
use crate::hash::{Digests, HashAlgorithm, HashDigest, Hasher};

/// How long a partial download in the cache's `tmp` may sit untouched before a later run
/// takes it for the leftover of a killed one. A download in progress writes all the time, and
/// one that stalls for this long has long given up (the read timeout is seconds).
const STALE_AFTER: std::time::Duration = std::time::Duration::from_secs(3600);

/// Removes regular files in `directory` (the cache's own `tmp`) untouched for `age`.
fn remove_stale(directory: &Path, age: std::time::Duration) {
    let Ok(entries) = fs_err::read_dir(directory) else {
        return;
    };
    for entry in entries.flatten() {
        let Ok(metadata) = entry.path().symlink_metadata() else {
            continue;
        };
        let stale = metadata
            .modified()
            .ok()
            .and_then(|modified| modified.elapsed().ok())
            .is_some_and(|elapsed| elapsed >= age);
        if metadata.is_file() && stale {
            let _ = fs_err::remove_file(entry.path());
        }
    }
}

/// The artifact store.
#[derive(Debug, Clone)]
pub(crate) struct Cache {
    root: PathBuf,
}

impl Cache {
    /// The cache at `HASHPIN_CACHE_DIR`, else `$XDG_CACHE_HOME/hashpin`, else
    /// `~/.cache/hashpin`; `None` when no location can be found.
    pub(crate) fn from_env(env: &dyn Fn(&str) -> Option<String>) -> Option<Self> {
        let root = env(EnvVars::HASHPIN_CACHE_DIR)
            .map(PathBuf::from)
            .or_else(|| env(EnvVars::XDG_CACHE_HOME).map(|dir| Path::new(&dir).join("hashpin")))
            .or_else(|| env(EnvVars::HOME).map(|home| Path::new(&home).join(".cache/hashpin")))?;
        Some(Self { root })
    }

    /// The cache a command uses: none with `--no-cache`, else [`Cache::from_env`].
    pub(crate) fn unless_disabled(
        no_cache: bool,
        env: &dyn Fn(&str) -> Option<String>,
    ) -> Option<Self> {
        if no_cache { None } else { Self::from_env(env) }
    }

    /// A cache rooted at `root`.
    pub(crate) fn at(root: PathBuf) -> Self {
        Self { root }
    }

    /// The directory the cache lives in.
    pub(crate) fn root(&self) -> &Path {
        &self.root
    }

    /// Whether the cache holds a file under `sha256` (not hashed again: [`Cache::get`] does
    /// that before any use).
    pub(crate) fn contains(&self, sha256: &HashDigest) -> bool {
        self.locate(sha256).is_some()
    }

    /// Where the file under `sha256` is, in either layout; `None` when there is none.
    pub(crate) fn locate(&self, sha256: &HashDigest) -> Option<PathBuf> {
        [self.path_for(sha256), self.fanned_path_for(sha256)]
            .into_iter()
            .find(|path| path.is_file())
    }

    /// Where [`Cache::store`] puts the file under `sha256`: `sha256/<hex>`, one flat directory.
    /// A directory per leading byte costs an inode per first file in it, as much as the file
    /// itself on ext4, which a first lock into an empty cache paid ~100 times for 120 files;
    /// ext4 and the other file systems in use look names up in a large directory by hash.
    fn path_for(&self, sha256: &HashDigest) -> PathBuf {
        self.root.join("sha256").join(&sha256.hex)
    }

    /// Where hashpin 0.1 stored it (`sha256/<2 hex>/<hex>`): still read, never written.
    fn fanned_path_for(&self, sha256: &HashDigest) -> PathBuf {
        self.root
            .join("sha256")
            .join(&sha256.hex[..2])
            .join(&sha256.hex)
    }

    /// A temporary file inside the cache, on the same file system as its final place. The
    /// first one a run makes sweeps away what a killed run left there.
    pub(crate) fn temporary(&self) -> std::io::Result<tempfile::NamedTempFile> {
        let directory = self.root.join("tmp");
        fs_err::create_dir_all(&directory)?;
        static SWEPT: std::sync::Once = std::sync::Once::new();
        SWEPT.call_once(|| remove_stale(&directory, STALE_AFTER));
        tempfile::NamedTempFile::new_in(directory)
    }

    /// Moves a fully written temporary file to its place under its sha256.
    pub(crate) fn store(
        &self,
        mut file: tempfile::NamedTempFile,
        sha256: &HashDigest,
    ) -> std::io::Result<PathBuf> {
        file.flush()?;
        let path = self.path_for(sha256);
        if let Some(parent) = path.parent() {
            fs_err::create_dir_all(parent)?;
        }
        file.persist(&path).map_err(|error| error.error)?;
        Ok(path)
    }

    /// The cached bytes for `sha256`, hashed again first; `None` if absent or corrupt.
    pub(crate) fn get(&self, sha256: &HashDigest) -> Option<PathBuf> {
        self.open_located(sha256, &[]).map(|(path, _, _)| path)
    }

    /// The cached file for `sha256`, open and rewound, with its digests in sha256 and
    /// `algorithms`, computed from this very handle (so a file swapped after the check is not
    /// what the caller reads); `None` if absent or corrupt (a corrupt file is removed).
    pub(crate) fn open(
        &self,
        sha256: &HashDigest,
        algorithms: &[HashAlgorithm],
    ) -> Option<(std::fs::File, Digests)> {
        self.open_located(sha256, algorithms)
            .map(|(_, file, digests)| (file, digests))
    }

    /// [`Cache::open`], and the path it opened.
    fn open_located(
        &self,
        sha256: &HashDigest,
        algorithms: &[HashAlgorithm],
    ) -> Option<(PathBuf, std::fs::File, Digests)> {
        let path = self.locate(sha256)?;
        let mut file = std::fs::File::open(&path).ok()?;
        let digests = Hasher::new(algorithms.iter().copied().chain([HashAlgorithm::Sha256]))
            .hash_reader(&mut file)
            .ok()?;
        if digests.sha256() != sha256 {
            let _ = fs_err::remove_file(&path);
            return None;
        }
        std::io::Seek::seek(&mut file, std::io::SeekFrom::Start(0)).ok()?;
        Some((path, file, digests))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn stores_by_hash_and_rehashes_on_get() {
        let dir = tempfile::tempdir().unwrap();
        let cache = Cache::at(dir.path().to_path_buf());
        let mut temporary = cache.temporary().unwrap();
        temporary.write_all(b"abc").unwrap();
        let sha: HashDigest =
            "sha256:ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"
                .parse()
                .unwrap();
        let path = cache.store(temporary, &sha).unwrap();
        assert_eq!(cache.get(&sha), Some(path.clone()));
        fs_err::write(&path, b"abd").unwrap();
        assert_eq!(cache.get(&sha), None, "a corrupted entry is not trusted");
        assert!(!path.exists());
    }

    #[test]
    fn stores_flat_and_still_reads_the_fanned_out_layout() {
        let dir = tempfile::tempdir().unwrap();
        let cache = Cache::at(dir.path().to_path_buf());
        let sha: HashDigest =
            "sha256:ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"
                .parse()
                .unwrap();
        let old = dir.path().join("sha256/ba").join(&sha.hex);
        fs_err::create_dir_all(old.parent().unwrap()).unwrap();
        fs_err::write(&old, b"abc").unwrap();
        assert!(cache.contains(&sha));
        assert_eq!(cache.get(&sha), Some(old.clone()));
        let (mut file, digests) = cache.open(&sha, &[]).unwrap();
        assert_eq!(digests.sha256(), &sha);
        let mut bytes = Vec::new();
        std::io::Read::read_to_end(&mut file, &mut bytes).unwrap();
        assert_eq!(bytes, b"abc");

        let mut temporary = cache.temporary().unwrap();
        temporary.write_all(b"abc").unwrap();
        let stored = cache.store(temporary, &sha).unwrap();
        assert_eq!(stored, dir.path().join("sha256").join(&sha.hex));
        assert_eq!(
            cache.get(&sha),
            Some(stored),
            "the new layout is looked in first"
        );
    }

    #[test]
    fn partial_downloads_a_killed_run_left_are_swept() {
        let directory = tempfile::tempdir().unwrap();
        let old = directory.path().join(".tmpOLD");
        fs_err::write(&old, b"partial").unwrap();
        let fresh = directory.path().join(".tmpNEW");
        fs_err::write(&fresh, b"in progress").unwrap();
        remove_stale(directory.path(), std::time::Duration::ZERO);
        assert!(!old.exists() && !fresh.exists());
        fs_err::write(&fresh, b"in progress").unwrap();
        remove_stale(directory.path(), std::time::Duration::from_secs(3600));
        assert!(fresh.exists(), "a file written just now stays");
    }
}
