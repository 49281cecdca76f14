//! Narrowing a release's files to a target interpreter (`--python-version`, `--platform`,
//! `--implementation`), as hashin does. Without any of them every file is kept, which is what a
//! lockfile shared across machines wants.
//!
//! The rules follow the wheel compatibility tags pip generates: a `py3`/`py3X` tag suits every
//! Python 3 at or above it, `cpXY` suits CPython X.Y exactly, or X.Y and later with the `abi3`
//! ABI. sdists are always kept: they build anywhere.

use crate::artifact::{ArtifactKind, ArtifactName, WheelTags};

/// The target interpreter, as far as the user described it.
#[derive(Debug, Clone, Default)]
pub(crate) struct TargetFilter {
    /// `(major, minor)`.
    pub(crate) python_version: Option<(u32, u32)>,
    /// Platform tags, any of which will do.
    pub(crate) platforms: Vec<String>,
    /// `cp`, `pp`, ... (`py` means any).
    pub(crate) implementation: Option<String>,
}

impl TargetFilter {
    /// Parses `3.11` or `311`.
    pub(crate) fn parse_python_version(text: &str) -> Option<(u32, u32)> {
        if let Some((major, minor)) = text.split_once('.') {
            return Some((major.parse().ok()?, minor.split('.').next()?.parse().ok()?));
        }
        let (major, minor) = text.split_at(1.min(text.len()));
        Some((major.parse().ok()?, minor.parse().ok()?))
    }

    /// Whether the file suits the target.
    pub(crate) fn accepts(&self, artifact: &ArtifactName) -> bool {
        match &artifact.kind {
            ArtifactKind::Sdist => true,
            ArtifactKind::Wheel(tags) => self.accepts_wheel(tags),
        }
    }

    fn accepts_wheel(&self, tags: &WheelTags) -> bool {
        let platform_ok = self.platforms.is_empty()
            || tags
                .platform
                .iter()
                .any(|tag| tag == "any" || self.platforms.iter().any(|wanted| wanted == tag));
        let python_ok = tags
            .python
            .iter()
            .any(|python| self.accepts_python_tag(python, &tags.abi));
        platform_ok && python_ok
    }

    fn accepts_python_tag(&self, tag: &str, abi: &[String]) -> bool {
        let split = tag.find(|c: char| c.is_ascii_digit()).unwrap_or(tag.len());
        let (implementation, digits) = tag.split_at(split);
        if let Some(wanted) = &self.implementation
            && wanted != "py"
            && implementation != "py"
            && implementation != wanted
        {
            return false;
        }
        let Some((major, minor)) = self.python_version else {
            return true;
        };
        let tag_major: Option<u32> = digits.get(..1).and_then(|d| d.parse().ok());
        let tag_minor: Option<u32> = digits
            .get(1..)
            .filter(|d| !d.is_empty())
            .and_then(|d| d.parse().ok());
        if tag_major != Some(major) {
            return false;
        }
        match (implementation, tag_minor) {
            (_, None) => true,
            ("py", Some(tag_minor)) => tag_minor <= minor,
            (_, Some(tag_minor)) if abi.iter().any(|abi| abi == "abi3") => tag_minor <= minor,
            (_, Some(tag_minor)) => tag_minor == minor,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn accepts(filter: &TargetFilter, filename: &str) -> bool {
        filter.accepts(&ArtifactName::parse(filename, None).unwrap())
    }

    #[test]
    fn narrows_by_version_platform_and_implementation() {
        let filter = TargetFilter {
            python_version: TargetFilter::parse_python_version("3.11"),
            platforms: vec!["manylinux_2_17_x86_64".into()],
            implementation: Some("cp".into()),
        };
        assert!(accepts(
            &filter,
            "p-1-cp311-cp311-manylinux_2_17_x86_64.manylinux2014_x86_64.whl"
        ));
        assert!(!accepts(
            &filter,
            "p-1-cp310-cp310-manylinux_2_17_x86_64.whl"
        ));
        assert!(accepts(&filter, "p-1-cp38-abi3-manylinux_2_17_x86_64.whl"));
        assert!(!accepts(&filter, "p-1-cp311-cp311-win_amd64.whl"));
        assert!(!accepts(
            &filter,
            "p-1-pp310-pypy310_pp73-manylinux_2_17_x86_64.whl"
        ));
        assert!(accepts(&filter, "p-1-py3-none-any.whl"));
        assert!(accepts(&filter, "p-1-py2.py3-none-any.whl"));
        assert!(!accepts(&filter, "p-1-py2-none-any.whl"));
        assert!(accepts(&filter, "p-1.tar.gz"));
        assert_eq!(TargetFilter::parse_python_version("312"), Some((3, 12)));
    }
}
