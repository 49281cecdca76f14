//! Loading a requirements file and everything it includes with `-r` and `-c`.
//!
//! Included paths are relative to the including file, as pip resolves them. A file reached twice
//! (a diamond) is loaded once; a file that includes itself, directly or not, is an error that
//! names the chain. Non-goal: `-r https://...`; pip fetches those, hashpin refuses to lock them.

use std::collections::HashMap;
use std::path::{Path, PathBuf};

use super::span::{ParseError, ParseErrors};
use super::{Document, FileOption, Spanned, parse};

/// How a document was reached.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Role {
    /// Named on the command line or included with `-r`: its requirements are installed.
    Requirements,
    /// Only included with `-c`: constraints, not installed, never locked.
    Constraints,
}

/// A loaded document and how it was reached.
#[derive(Debug)]
pub(crate) struct Loaded {
    /// The parsed file.
    pub(crate) document: Document,
    /// `-r`/command line, or `-c` only.
    pub(crate) role: Role,
    /// Its `-r`/`-c` includes: (where the option starts in the source, index of the loaded file).
    pub(crate) includes: Vec<(usize, usize)>,
    /// Its position among the files named on the command line, if it is one.
    pub(crate) root: Option<usize>,
}

/// Every option of every loaded file in the order pip meets them: each file's options line by
/// line, an included file's options at the point of its `-r`/`-c`. Index options depend on
/// this order (a later `-i` replaces the indexes chosen before it).
pub(crate) fn options_in_pip_order(loaded: &[Loaded]) -> Vec<(&Document, &Spanned<FileOption>)> {
    fn walk<'a>(
        loaded: &'a [Loaded],
        index: usize,
        seen: &mut Vec<bool>,
        out: &mut Vec<(&'a Document, &'a Spanned<FileOption>)>,
    ) {
        if std::mem::replace(&mut seen[index], true) {
            return;
        }
        let item = &loaded[index];
        for (_, option) in item.document.options() {
            out.push((&item.document, option));
            let child = item
                .includes
                .iter()
                .find(|(start, _)| *start == option.span.start)
                .map(|(_, child)| *child);
            if let Some(child) = child {
                walk(loaded, child, seen, out);
            }
        }
    }
    let mut roots: Vec<(usize, usize)> = loaded
        .iter()
        .enumerate()
        .filter_map(|(index, item)| item.root.map(|order| (order, index)))
        .collect();
    roots.sort_unstable();
    let mut seen = vec![false; loaded.len()];
    let mut out = Vec::new();
    for (_, index) in roots {
        walk(loaded, index, &mut seen, &mut out);
    }
    out
}

/// Why loading failed.
#[derive(Debug, thiserror::Error)]
pub(crate) enum LoadError {
    /// One or more files did not parse, or an include was wrong.
    #[error("{0}")]
    Parse(ParseErrors),
    /// A file is in no encoding hashpin reads: an input error.
    #[error("`{path}` cannot be read: {reason}\nhint: save it as UTF-8, or say its encoding in a first line such as `# -*- coding: latin-1 -*-`; hashpin edits files in place and will not guess", path = path.display())]
    NotUtf8 {
        /// The file.
        path: PathBuf,
        /// What is wrong with its bytes.
        reason: String,
    },
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
pub(crate) fn load(
    roots: &[PathBuf],
    env: &dyn Fn(&str) -> Option<String>,
) -> Result<Vec<Loaded>, LoadError> {
    let mut loader = Loader {
        env,
        loaded: Vec::new(),
        by_path: HashMap::new(),
        errors: Vec::new(),
    };
    for (order, root) in roots.iter().enumerate() {
        if let Some(index) = loader.visit(root, Role::Requirements, &mut Vec::new(), None)? {
            loader.loaded[index].root.get_or_insert(order);
        }
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
    ) -> Result<Option<usize>, LoadError> {
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
            return Ok(None);
        }
        if let Some(&index) = self.by_path.get(&key) {
            if role == Role::Requirements {
                self.loaded[index].role = Role::Requirements;
            }
            return Ok(Some(index));
        }
        // Decoded as pip decodes it (a byte-order mark, a `coding:` line, else UTF-8), and
        // written back the same way.
        let mut encoding = super::Encoding::Utf8;
        let bytes = fs_err::read(path).and_then(|bytes| {
            let (text, found) = super::encoding::decode(&bytes).map_err(|error| {
                std::io::Error::new(std::io::ErrorKind::InvalidData, error.to_string())
            })?;
            encoding = found;
            Ok(text)
        });
        let source = match bytes {
            Ok(source) => source,
            Err(error) => {
                if let Some(site) = site {
                    self.errors.push(ParseError::new(
                        &site.document.path,
                        &site.document.source,
                        site.span,
                        format!("cannot read included file `{}`: {}", path.display(), error),
                    ));
                    return Ok(None);
                }
                if error.kind() == std::io::ErrorKind::InvalidData {
                    return Err(LoadError::NotUtf8 {
                        path: path.to_path_buf(),
                        reason: error.to_string(),
                    });
                }
                return Err(LoadError::Read {
                    path: path.to_path_buf(),
                    source: error,
                });
            }
        };
        let document = match parse(path, source, self.env) {
            Ok(document) => Document {
                encoding,
                ..document
            },
            Err(ParseErrors(errors)) => {
                self.errors.extend(errors);
                return Ok(None);
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
        let mut children = Vec::new();
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
            let child = self.visit(
                &included,
                *include_role,
                stack,
                Some(IncludeSite {
                    document: &document,
                    span: span.clone(),
                }),
            )?;
            if let Some(child) = child {
                children.push((span.start, child));
            }
        }
        stack.pop();
        let index = self.loaded.len();
        self.by_path.insert(key, index);
        self.loaded.push(Loaded {
            document,
            role,
            includes: children,
            root: None,
        });
        Ok(Some(index))
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
    fn options_come_in_the_order_pip_meets_them() {
        let dir = tempfile::tempdir().unwrap();
        fs_err::write(
            dir.path().join("top.txt"),
            "-i http://a/\n-r sub.txt\n--pre\n",
        )
        .unwrap();
        fs_err::write(dir.path().join("sub.txt"), "--extra-index-url http://b/\n").unwrap();
        let loaded = load(&[dir.path().join("top.txt")], &|_| None).unwrap();
        let order: Vec<FileOption> = options_in_pip_order(&loaded)
            .into_iter()
            .map(|(_, option)| option.value.clone())
            .collect();
        assert_eq!(
            order,
            [
                FileOption::IndexUrl("http://a/".into()),
                FileOption::Requirement("sub.txt".into()),
                FileOption::ExtraIndexUrl("http://b/".into()),
                FileOption::Pre,
            ]
        );
    }

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
