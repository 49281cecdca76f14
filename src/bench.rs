//! Entry points for the criterion benchmarks in `benches/`: the parser, the editor and the judge
//! on generated lockfiles, and hashing. Not an API: hidden, and free to change with the benches.

use std::collections::HashMap;
use std::io;
use std::path::Path;

use url::Url;

use crate::hash::{Digests, HashAlgorithm, HashDigest, Hasher};
use crate::judge::{Policy, Recording, Scope, Sighting, Status, judge};
use crate::lockfile::PinIndex;
use crate::name::PackageName;
use crate::requirements::edit::{self, Pins};
use crate::requirements::load::{Loaded, Role};
use crate::requirements::{Document, Provenance};

/// The sha256 of `bytes`, in hex.
pub fn sha256_hex(bytes: &[u8]) -> String {
    let mut hasher = Hasher::new([HashAlgorithm::Sha256]);
    hasher.update(bytes);
    hasher.finish().sha256().hex.clone()
}

/// The sha256 of a file, in hex, read as `hashpin hash` reads it.
///
/// # Errors
///
/// The file cannot be read.
pub fn sha256_file(path: &Path) -> io::Result<String> {
    let mut file = fs_err::File::open(path)?;
    let digests = Hasher::new([HashAlgorithm::Sha256]).hash_reader(&mut file)?;
    Ok(digests.sha256().hex.clone())
}

/// The files of generated release `index`: an sdist, then `files - 1` wheels for as many
/// platforms, with made-up hashes.
fn release_files(index: usize, files: usize) -> Vec<Provenance> {
    let name = project(index);
    std::iter::once(format!("{name}-1.0.tar.gz"))
        .chain((1..files).map(|wheel| {
            let platform = if wheel == 1 {
                "any".to_string()
            } else {
                format!("manylinux_2_{wheel}_x86_64")
            };
            format!("{name}-1.0-py3-none-{platform}.whl")
        }))
        .map(|filename| Provenance {
            hash: HashDigest::new(HashAlgorithm::Sha256, &sha256_hex(filename.as_bytes()))
                .expect("a sha256 in hex"),
            url: format!("https://files.example/{filename}"),
            filename,
        })
        .collect()
}

fn project(index: usize) -> String {
    format!("project{index:06}")
}

/// A requirements file of `entries` pins, with a comment every ten lines; `locked`: each entry
/// records its two files as `lock` writes them (`--hash` options and provenance lines).
pub fn requirements_text(entries: usize, locked: bool) -> String {
    requirements_text_of(entries, if locked { 2 } else { 0 })
}

/// A requirements file of `entries` pins, each recording `files` files (none: not locked).
fn requirements_text_of(entries: usize, files: usize) -> String {
    let locked = files > 0;
    let mut text =
        String::from("# generated for the benchmarks\n--index-url https://pypi.example/simple/\n");
    for index in 0..entries {
        if index % 10 == 0 {
            text.push_str(&format!("# group {}\n", index / 10));
        }
        text.push_str(&format!("{}==1.0", project(index)));
        if locked {
            let files = release_files(index, files);
            let mut hashes: Vec<&HashDigest> = files.iter().map(|file| &file.hash).collect();
            hashes.sort();
            for hash in hashes {
                text.push_str(&format!(" \\\n    --hash={hash}"));
            }
            text.push('\n');
            for file in &files {
                text.push_str(&format!("    {}\n", file.render()));
            }
        } else {
            text.push('\n');
        }
    }
    text
}

fn parse_document(text: &str) -> Document {
    crate::requirements::parse(Path::new("requirements.txt"), text.to_string(), &|_| None)
        .expect("generated requirements parse")
}

/// Parses a requirements file; the number of requirement entries.
pub fn parse(text: &str) -> usize {
    parse_document(text).entries().count()
}

/// Parses a requirements file, records two files for every entry and writes the result, as a
/// first lock does once every hash is known; the length of the new text.
pub fn lock_edit(text: &str) -> usize {
    let document = parse_document(text);
    let splices = document
        .entries()
        .enumerate()
        .filter_map(|(index, (_, line, entry))| {
            let provenance = release_files(index, 2);
            let pins = Pins {
                hashes: provenance.iter().map(|file| file.hash.clone()).collect(),
                provenance,
            };
            edit::pin(&document, line, entry, &pins)
        })
        .collect();
    edit::apply(&document.source, splices).len()
}

/// A parsed lockfile and, by project, the files an index serves for it: what the judge is
/// asked about for every entry of a re-lock.
pub struct Judging {
    loaded: Vec<Loaded>,
    sightings: HashMap<PackageName, Vec<Sighting>>,
}

impl Judging {
    /// A lockfile of `entries` locked entries of `files` files each, and the index serving
    /// each the recorded bytes.
    pub fn new(entries: usize, files: usize) -> Self {
        let document = parse_document(&requirements_text_of(entries, files));
        let sightings = (0..entries)
            .map(|index| {
                let files = release_files(index, files).into_iter().map(|file| {
                    let url = Url::parse(&file.url).expect("a URL");
                    let digests = Digests {
                        size: 1,
                        digests: vec![file.hash],
                    };
                    Sighting::given(&file.filename, &url, digests)
                });
                (PackageName::new(&project(index)), files.collect())
            })
            .collect();
        Self {
            loaded: vec![Loaded {
                document,
                role: Role::Requirements,
                includes: Vec::new(),
                root: Some(0),
            }],
            sightings,
        }
    }

    /// Views every entry and judges it against its files; how many files were verified.
    pub fn judge_all(&self) -> usize {
        let policy = Policy::new(Scope::Release, Recording::FirstUse);
        let pins = PinIndex::new(&self.loaded);
        pins.iter()
            .map(|pin| {
                let project = pin.project.as_ref().expect("a named pin");
                judge(&pin.record, &self.sightings[project], policy)
                    .artifacts
                    .iter()
                    .filter(|judged| judged.status == Status::Verified)
                    .count()
            })
            .sum()
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn every_recorded_file_served_as_recorded_is_verified() {
        let judging = super::Judging::new(3, 2);
        assert_eq!(judging.judge_all(), 6);
        let judging = super::Judging::new(2, 40);
        assert_eq!(judging.judge_all(), 80);
        assert_eq!(
            super::lock_edit(&super::requirements_text(3, false)),
            super::requirements_text(3, true).len()
        );
    }
}
