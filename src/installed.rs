//! What an environment has installed, read from its `*.dist-info` directories as the
//! installation-records specification (PEP 376, PEP 627) lays them out: each distribution's
//! name and version (`METADATA`), the files it installed with their hashes (`RECORD`), and the
//! wheel tags it was installed from (`WHEEL`).
//!
//! Nothing here is trusted for more than it says: `RECORD` is written by the installer, so a
//! file that matches its `RECORD` proves only that nothing changed since the install. What was
//! installed is held against a recorded wheel elsewhere (`commands::verify_installed`).

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Component, Path, PathBuf};
use std::process::Command;

use serde::Deserialize;

use crate::hash::{HashAlgorithm, HashDigest};
use crate::name::PackageName;

/// Where an environment keeps its packages, as its interpreter says.
#[derive(Debug, Deserialize)]
pub(crate) struct Layout {
    /// `sys.prefix`: every installed file must be inside it.
    pub(crate) prefix: PathBuf,
    /// `sysconfig` `purelib`.
    pub(crate) purelib: PathBuf,
    /// `sysconfig` `platlib`.
    pub(crate) platlib: PathBuf,
}

impl Layout {
    /// Asks `python` for its layout.
    pub(crate) fn of(python: &Path) -> anyhow::Result<Self> {
        let script = "import json, sys, sysconfig\npaths = sysconfig.get_paths()\nprint(json.dumps({'prefix': sys.prefix, 'purelib': paths['purelib'], 'platlib': paths['platlib']}))";
        let mut command = Command::new(python);
        command.args(["-I", "-c", script]);
        let output = crate::interrupt::output(&mut command).map_err(|error| {
            anyhow::anyhow!(
                "cannot run `{}`: {error}\nhint: pass `--python <path to the environment's python>`",
                python.display()
            )
        })?;
        if !output.status.success() {
            anyhow::bail!(
                "`{}` could not say where its packages are: {}",
                python.display(),
                String::from_utf8_lossy(&output.stderr).trim()
            );
        }
        Ok(serde_json::from_slice(&output.stdout)?)
    }

    /// The package directories, each once.
    pub(crate) fn site_dirs(&self) -> Vec<&Path> {
        let mut dirs = vec![self.purelib.as_path()];
        if self.platlib != self.purelib {
            dirs.push(&self.platlib);
        }
        dirs
    }
}

/// One row of a `RECORD`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct RecordRow {
    /// The path as written (relative to the package directory, `/`-separated).
    pub(crate) path: String,
    /// Its hash, when the row has one (`RECORD` itself and `.pyc` files may not).
    pub(crate) hash: Option<HashDigest>,
}

/// One installed distribution.
#[derive(Debug)]
pub(crate) struct Distribution {
    /// Its `.dist-info` directory.
    pub(crate) dist_info: PathBuf,
    /// `Name:`, normalized.
    pub(crate) project: PackageName,
    /// `Name:` as written.
    pub(crate) name: String,
    /// `Version:`.
    pub(crate) version: String,
    /// Its `RECORD`, when readable.
    pub(crate) record: Result<Vec<RecordRow>, String>,
    /// The wheel tags `WHEEL` names (`py3-none-any`, ...), expanded, sorted.
    pub(crate) tags: BTreeSet<String>,
}

/// Every `*.dist-info` in the environment's package directories, by name.
pub(crate) fn distributions(layout: &Layout) -> Vec<Distribution> {
    let mut found = Vec::new();
    for dir in layout.site_dirs() {
        let Ok(entries) = fs_err::read_dir(dir) else {
            continue;
        };
        let mut names: Vec<PathBuf> = entries
            .flatten()
            .map(|entry| entry.path())
            .filter(|path| {
                path.is_dir()
                    && path
                        .file_name()
                        .and_then(|name| name.to_str())
                        .is_some_and(|name| name.ends_with(".dist-info"))
            })
            .collect();
        names.sort();
        for dist_info in names {
            if let Some(distribution) = read_distribution(&dist_info) {
                found.push(distribution);
            }
        }
    }
    found.sort_by(|a, b| a.project.cmp(&b.project));
    found
}

fn read_distribution(dist_info: &Path) -> Option<Distribution> {
    let metadata = fs_err::read_to_string(dist_info.join("METADATA")).ok()?;
    let header = |key: &str| {
        metadata
            .lines()
            .take_while(|line| !line.is_empty())
            .find_map(|line| line.strip_prefix(key).map(|value| value.trim().to_string()))
    };
    let name = header("Name:")?;
    let version = header("Version:")?;
    let record = fs_err::read_to_string(dist_info.join("RECORD"))
        .map_err(|error| format!("cannot read RECORD: {error}"))
        .and_then(|text| parse_record(&text));
    let tags = fs_err::read_to_string(dist_info.join("WHEEL"))
        .map(|text| wheel_file_tags(&text))
        .unwrap_or_default();
    Some(Distribution {
        dist_info: dist_info.to_path_buf(),
        project: PackageName::new(&name),
        name,
        version,
        record,
        tags,
    })
}

/// Parses a `RECORD` (CSV: path, `algorithm=urlsafe-base64`, size).
pub(crate) fn parse_record(text: &str) -> Result<Vec<RecordRow>, String> {
    let mut rows = Vec::new();
    for (number, line) in text.lines().enumerate() {
        if line.trim().is_empty() {
            continue;
        }
        let fields = csv_fields(line);
        let Some(path) = fields.first().filter(|path| !path.is_empty()) else {
            return Err(format!("RECORD line {} names no path", number + 1));
        };
        let hash =
            match fields.get(1).map(String::as_str) {
                None | Some("") => None,
                Some(hash) => Some(record_hash(hash).ok_or_else(|| {
                    format!("RECORD line {}: unreadable hash `{hash}`", number + 1)
                })?),
            };
        rows.push(RecordRow {
            path: path.clone(),
            hash,
        });
    }
    Ok(rows)
}

/// The fields of one CSV line (Python's `csv` module's default dialect: `"` quotes, `""`
/// inside quotes is a quote).
fn csv_fields(line: &str) -> Vec<String> {
    let mut fields = Vec::new();
    let mut field = String::new();
    let mut quoted = false;
    let mut chars = line.chars().peekable();
    while let Some(c) = chars.next() {
        match c {
            '"' if quoted && chars.peek() == Some(&'"') => {
                field.push('"');
                chars.next();
            }
            '"' => quoted = !quoted,
            ',' if !quoted => fields.push(std::mem::take(&mut field)),
            c => field.push(c),
        }
    }
    fields.push(field);
    fields
}

/// `sha256=<urlsafe base64, no padding>` as a digest.
fn record_hash(text: &str) -> Option<HashDigest> {
    let (algorithm, encoded) = text.split_once('=')?;
    HashDigest::from_urlsafe_base64(HashAlgorithm::from_name(algorithm)?, encoded)
}

/// The tags a `WHEEL` file's `Tag:` lines name.
fn wheel_file_tags(text: &str) -> BTreeSet<String> {
    text.lines()
        .filter_map(|line| line.strip_prefix("Tag:"))
        .map(|tag| tag.trim().to_string())
        .collect()
}

/// The tags a wheel filename's compressed tag set expands to (`py2.py3-none-any` is two).
pub(crate) fn filename_tags(tags: &crate::artifact::WheelTags) -> BTreeSet<String> {
    let mut expanded = BTreeSet::new();
    for python in &tags.python {
        for abi in &tags.abi {
            for platform in &tags.platform {
                expanded.insert(format!("{python}-{abi}-{platform}"));
            }
        }
    }
    expanded
}

/// Where a `RECORD` path lives: relative to the package directory, and never outside the
/// environment (`None` for a path that would leave it, or an absolute one elsewhere).
pub(crate) fn resolve_path(site: &Path, prefix: &Path, path: &str) -> Option<PathBuf> {
    let joined = site.join(path);
    let mut normal = PathBuf::new();
    for component in joined.components() {
        match component {
            Component::ParentDir => {
                normal.pop();
            }
            Component::CurDir => {}
            other => normal.push(other),
        }
    }
    if !normal.starts_with(prefix) {
        return None;
    }
    // A symlink inside the environment must not lead out of it either.
    match (fs_err::canonicalize(&normal), fs_err::canonicalize(prefix)) {
        (Ok(real), Ok(real_prefix)) if !real.starts_with(&real_prefix) => None,
        _ => Some(normal),
    }
}

/// The file's digest in `algorithm`, `None` when it cannot be read.
pub(crate) fn hash_file(path: &Path, algorithm: HashAlgorithm) -> Option<HashDigest> {
    crate::hash::hash_file(path, [algorithm])
        .ok()?
        .get(algorithm)
        .cloned()
}

/// The `*.dist-info/METADATA` inside an open wheel (at most 16 MiB), when it has one. The
/// handle is rewound afterwards; an error says it could not be.
pub(crate) fn read_wheel_metadata(file: &mut std::fs::File) -> std::io::Result<Option<Vec<u8>>> {
    let bytes = wheel_metadata_of(&mut *file);
    std::io::Seek::seek(file, std::io::SeekFrom::Start(0))?;
    Ok(bytes)
}

fn wheel_metadata_of(file: &mut std::fs::File) -> Option<Vec<u8>> {
    dist_info_member(file, "METADATA", 16 * 1024 * 1024).ok()?
}

/// The wheel's top-level `*.dist-info/<name>`, at most `limit` bytes of it; `Ok(None)` when
/// the wheel has no such member.
fn dist_info_member(
    file: &mut std::fs::File,
    name: &str,
    limit: u64,
) -> Result<Option<Vec<u8>>, String> {
    let mut archive =
        zip::ZipArchive::new(std::io::BufReader::new(file)).map_err(|error| error.to_string())?;
    let suffix = format!(".dist-info/{name}");
    let Some(member) = archive
        .file_names()
        .filter_map(Result::ok)
        .find(|member| member.ends_with(&suffix) && member.matches('/').count() == 1)
        .map(|member| member.into_owned())
    else {
        return Ok(None);
    };
    let mut bytes = Vec::new();
    std::io::Read::read_to_end(
        &mut std::io::Read::take(
            archive
                .by_name(&member)
                .map_err(|error| error.to_string())?,
            limit,
        ),
        &mut bytes,
    )
    .map_err(|error| error.to_string())?;
    Ok(Some(bytes))
}

/// The `*.dist-info/RECORD` inside a wheel, read from its open handle.
pub(crate) fn wheel_record(
    wheel: &mut std::fs::File,
) -> Result<BTreeMap<String, Option<HashDigest>>, String> {
    let bytes = dist_info_member(wheel, "RECORD", 64 * 1024 * 1024)?
        .ok_or_else(|| "the wheel has no `*.dist-info/RECORD`".to_string())?;
    let text = String::from_utf8(bytes).map_err(|error| error.to_string())?;
    Ok(parse_record(&text)?
        .into_iter()
        .map(|row| (row.path, row.hash))
        .collect())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_record_rows_as_pythons_csv_writes_them() {
        let text = "pkg/__init__.py,sha256=47DEQpj8HBSa-_TImW-5JCeuQeRkm5NMpJWZG3hSuFU,0\n\"odd,name.py\",sha256=47DEQpj8HBSa-_TImW-5JCeuQeRkm5NMpJWZG3hSuFU,0\npkg-1.0.dist-info/RECORD,,\n";
        let rows = parse_record(text).unwrap();
        assert_eq!(rows.len(), 3);
        assert_eq!(
            rows[0].hash.as_ref().unwrap().hex,
            "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"
        );
        assert_eq!(rows[1].path, "odd,name.py");
        assert_eq!(rows[2].hash, None);
        assert!(parse_record("x.py,sha256=!!,1\n").is_err());
    }

    #[test]
    fn record_paths_stay_inside_the_environment() {
        let prefix = Path::new("/venv");
        let site = Path::new("/venv/lib/python3.11/site-packages");
        assert_eq!(
            resolve_path(site, prefix, "../../../bin/tool").unwrap(),
            Path::new("/venv/bin/tool")
        );
        assert_eq!(resolve_path(site, prefix, "../../../../etc/passwd"), None);
        assert_eq!(resolve_path(site, prefix, "/etc/passwd"), None);
    }
}
