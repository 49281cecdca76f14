//! Loading a requirements file and everything it includes with `-r` and `-c`.
//!
//! Included paths are relative to the including file, as pip resolves them. A file reached twice
//! (a diamond) is loaded once; a file that includes itself, directly or not, is an error that
//! names the chain. Non-goal: `-r https://...`; pip fetches those, hashpin refuses to lock them.

use std::collections::HashMap;
use std::path::{Path, PathBuf};

use super::span::{ParseError, ParseErrors};
use super::{Document, FileOption, parse};

/// How a document was reached.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Role {
    /// Named on the command line or included with `-r`: its requirements are installed.
    Requirements,
    /// Only included with `-c`: constraints, not installed, never locked.
    Constraints,
}

/// A loaded document and how it was reached.
#[derive(Debug)]
pub struct Loaded {
    /// The parsed file.
    pub document: Document,
    /// `-r`/command line, or `-c` only.
    pub role: Role,
}

/// Why loading failed.
#[derive(Debug, thiserror::Error)]
pub enum LoadError {
    /// One or more files did not parse, or an include was wrong.
    #[error("{0}")]
    Parse(ParseErrors),
    /// A file could not be read.
    #[error("cannot read `{path}`: {source}")]
    Read {
        /// The file.
        path: PathBuf,
        /// Why.
        source: std::io::Error,
    },
}

/// Loads `roots` and, depth first, everything they include.
pub fn load(
    roots: &[PathBuf],
    env: &dyn Fn(&str) -> Option<String>,
) -> Result<Vec<Loaded>, LoadError> {
    let mut loader = Loader {
        env,
        loaded: Vec::new(),
        by_path: HashMap::new(),
        errors: Vec::new(),
    };
    for root in roots {
        loader.visit(root, Role::Requirements, &mut Vec::new(), None)?;
    }
    if loader.errors.is_empty() {
        Ok(loader.loaded)
    } else {
        Err(LoadError::Parse(ParseErrors(loader.errors)))
    }
}

struct Loader<'a> {
    env: &'a dyn Fn(&str) -> Option<String>,
    loaded: Vec<Loaded>,
    by_path: HashMap<PathBuf, usize>,
    errors: Vec<ParseError>,
}

/// Where an include was written, to point errors at it.
struct IncludeSite<'a> {
    document: &'a Document,
    span: std::ops::Range<usize>,
}

impl Loader<'_> {
    fn visit(
        &mut self,
        path: &Path,
        role: Role,
        stack: &mut Vec<PathBuf>,
        site: Option<IncludeSite<'_>>,
    ) -> Result<(), LoadError> {
        let key = fs_err::canonicalize(path).unwrap_or_else(|_| path.to_path_buf());
        if let Some(position) = stack.iter().position(|entry| *entry == key) {
            let chain: Vec<String> = stack[position..]
                .iter()
                .chain(std::iter::once(&key))
                .map(|p| {
                    format!(
                        "`{}`",
                        p.file_name().map_or(p.display().to_string(), |n| n
                            .to_string_lossy()
                            .into_owned())
                    )
                })
                .collect();
            if let Some(site) = site {
                self.errors.push(ParseError::new(
                    &site.document.path,
                    &site.document.source,
                    site.span,
                    format!("include cycle: {}", chain.join(" -> ")),
                ));
            }
            return Ok(());
        }
        if let Some(&index) = self.by_path.get(&key) {
            if role == Role::Requirements {
                self.loaded[index].role = Role::Requirements;
            }
            return Ok(());
        }
        let source = match fs_err::read_to_string(path) {
            Ok(source) => source,
            Err(error) => {
                if let Some(site) = site {
                    self.errors.push(ParseError::new(
                        &site.document.path,
                        &site.document.source,
                        site.span,
                        format!(
                            "cannot read included file `{}`: {}",
                            path.display(),
                            error.kind()
                        ),
                    ));
                    return Ok(());
                }
                return Err(LoadError::Read {
                    path: path.to_path_buf(),
                    source: error,
                });
            }
        };
        let document = match parse(path, source, self.env) {
            Ok(document) => document,
            Err(ParseErrors(errors)) => {
                self.errors.extend(errors);
                return Ok(());
            }
        };
        let includes: Vec<(String, Role, std::ops::Range<usize>)> = document
            .options()
            .filter_map(|(_, option)| match &option.value {
                FileOption::Requirement(target) => {
                    Some((target.clone(), role, option.span.clone()))
                }
                FileOption::Constraint(target) => {
                    Some((target.clone(), Role::Constraints, option.span.clone()))
                }
                _ => None,
            })
            .collect();
        stack.push(key.clone());
        for (target, include_role, span) in &includes {
            if target.contains("://") {
                self.errors.push(ParseError::new(
                    &document.path,
                    &document.source,
                    span.clone(),
                    format!("cannot lock remote include `{target}`; download it and include the local copy"),
                ));
                continue;
            }
            let included = resolve_relative(path, target);
            self.visit(
                &included,
                *include_role,
                stack,
                Some(IncludeSite {
                    document: &document,
                    span: span.clone(),
                }),
            )?;
        }
        stack.pop();
        self.by_path.insert(key, self.loaded.len());
        self.loaded.push(Loaded { document, role });
        Ok(())
    }
}

/// pip joins a relative include onto the including file's directory.
fn resolve_relative(including: &Path, target: &str) -> PathBuf {
    let target = Path::new(target.strip_prefix("file://").unwrap_or(target));
    if target.is_absolute() {
        return target.to_path_buf();
    }
    match including.parent() {
        Some(parent) if !parent.as_os_str().is_empty() => parent.join(target),
        _ => target.to_path_buf(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn includes_are_relative_and_cycles_named() {
        let dir = tempfile::tempdir().unwrap();
        let sub = dir.path().join("sub");
        fs_err::create_dir(&sub).unwrap();
        fs_err::write(
            dir.path().join("top.txt"),
            "-r sub/a.txt\n-c sub/c.txt\nx==1\n",
        )
        .unwrap();
        fs_err::write(sub.join("a.txt"), "-r b.txt\ny==1\n").unwrap();
        fs_err::write(sub.join("b.txt"), "z==1\n").unwrap();
        fs_err::write(sub.join("c.txt"), "z<2\n").unwrap();
        let loaded = load(&[dir.path().join("top.txt")], &|_| None).unwrap();
        let names: Vec<_> = loaded
            .iter()
            .map(|l| {
                (
                    l.document
                        .path
                        .file_name()
                        .unwrap()
                        .to_str()
                        .unwrap()
                        .to_string(),
                    l.role,
                )
            })
            .collect();
        assert_eq!(
            names,
            [
                ("b.txt".to_string(), Role::Requirements),
                ("a.txt".to_string(), Role::Requirements),
                ("c.txt".to_string(), Role::Constraints),
                ("top.txt".to_string(), Role::Requirements),
            ]
        );

        fs_err::write(sub.join("b.txt"), "-r ../top.txt\n").unwrap();
        let error = load(&[dir.path().join("top.txt")], &|_| None)
            .unwrap_err()
            .to_string();
        assert!(
            error.contains("include cycle: `top.txt` -> `a.txt` -> `b.txt` -> `top.txt`"),
            "{error}"
        );
        assert!(error.contains("b.txt:1:1"), "{error}");
    }
}
