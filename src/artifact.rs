//! Wheel and sdist filenames: which project, version and tags a file is for.
//!
//! Filenames come from indexes, which hashpin does not trust: [`check_filename`] refuses any name
//! that could act as a path before it is used anywhere. Non-goal: eggs and Windows installers,
//! which pip no longer installs.

use pep440_rs::Version;

use crate::name::PackageName;

/// Why a filename from an index was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub(crate) enum FilenameError {
    /// The name could act as a path, or hide text from a terminal.
    #[error(
        "refusing filename `{0}`: an artifact name must not contain a path separator, `..`, white space or control characters"
    )]
    Unsafe(String),
    /// Not a wheel or sdist name hashpin understands.
    #[error("`{0}` is not a wheel or sdist filename")]
    Unrecognized(String),
}

/// Refuses filenames that are not plain names: separators, `..`, leading dots, control
/// characters, or absurd lengths. A filename from an index is data, never a path.
pub(crate) fn check_filename(filename: &str) -> Result<(), FilenameError> {
    let unsafe_name = filename.is_empty()
        || filename.len() > 255
        || filename.starts_with('.')
        || filename.contains("..")
        || filename
            .chars()
            // White space covers the line breaks Python's `splitlines` knows (U+2028, U+2029,
            // U+0085 and the rest): a filename must never start a new line in a lockfile.
            .any(|c| c == '/' || c == '\\' || c == ':' || c.is_control() || c.is_whitespace());
    if unsafe_name {
        Err(FilenameError::Unsafe(filename.escape_debug().to_string()))
    } else {
        Ok(())
    }
}

/// What kind of distribution a file is.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum ArtifactKind {
    /// A built distribution, with its compatibility tags.
    Wheel(WheelTags),
    /// A source distribution.
    Sdist,
}

/// The compatibility tags of a wheel filename, each part split on `.` (compressed tag sets).
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct WheelTags {
    /// The optional build tag (`1` in `pkg-1.0-1-py3-none-any.whl`): a rebuild is another file.
    pub(crate) build: Option<String>,
    /// Python tags: `py3`, `cp311`, `pp310`.
    pub(crate) python: Vec<String>,
    /// ABI tags: `none`, `abi3`, `cp311`.
    pub(crate) abi: Vec<String>,
    /// Platform tags: `any`, `manylinux_2_17_x86_64`, `win_amd64`.
    pub(crate) platform: Vec<String>,
}

/// A parsed artifact filename.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct ArtifactName {
    /// The project, normalized.
    pub(crate) project: PackageName,
    /// The version, as written in the filename.
    pub(crate) version_text: String,
    /// The version, parsed when it is valid PEP 440.
    pub(crate) version: Option<Version>,
    /// Wheel or sdist.
    pub(crate) kind: ArtifactKind,
}

const SDIST_SUFFIXES: [&str; 5] = [".tar.gz", ".zip", ".tar.bz2", ".tgz", ".tar.xz"];

impl ArtifactName {
    /// Parses a wheel or sdist filename.
    ///
    /// Legacy sdist names may contain `-` in the project part (`python-dateutil-2.8.2.tar.gz`),
    /// so the split point is found with the project the caller expects, when it knows one.
    pub(crate) fn parse(
        filename: &str,
        expected: Option<&PackageName>,
    ) -> Result<Self, FilenameError> {
        check_filename(filename)?;
        let unrecognized = || FilenameError::Unrecognized(filename.to_string());
        if let Some(stem) = filename.strip_suffix(".whl") {
            // {distribution}-{version}(-{build})?-{python}-{abi}-{platform}.whl
            let parts: Vec<&str> = stem.split('-').collect();
            if !(parts.len() == 5 || parts.len() == 6) {
                return Err(unrecognized());
            }
            let tags = |part: &str| part.split('.').map(str::to_string).collect();
            let n = parts.len();
            return Ok(Self::new(
                parts[0],
                parts[1],
                ArtifactKind::Wheel(WheelTags {
                    build: (n == 6).then(|| parts[2].to_string()),
                    python: tags(parts[n - 3]),
                    abi: tags(parts[n - 2]),
                    platform: tags(parts[n - 1]),
                }),
            ));
        }
        let lowercase = filename.to_ascii_lowercase();
        let suffix = SDIST_SUFFIXES
            .iter()
            .find(|suffix| lowercase.ends_with(*suffix))
            .ok_or_else(unrecognized)?;
        let stem = &filename[..filename.len() - suffix.len()];
        let split = match expected {
            Some(project) => stem
                .match_indices('-')
                .map(|(index, _)| index)
                .find(|&index| PackageName::new(&stem[..index]) == *project),
            None => None,
        }
        .or_else(|| stem.rfind('-'))
        .ok_or_else(unrecognized)?;
        let (name, version) = (&stem[..split], &stem[split + 1..]);
        if name.is_empty() || version.is_empty() {
            return Err(unrecognized());
        }
        Ok(Self::new(name, version, ArtifactKind::Sdist))
    }

    fn new(name: &str, version: &str, kind: ArtifactKind) -> Self {
        Self {
            project: PackageName::new(name),
            version_text: version.to_string(),
            version: version.parse().ok(),
            kind,
        }
    }

    /// The wheel's tags, or `None` for an sdist.
    pub(crate) fn wheel_tags(&self) -> Option<&WheelTags> {
        match &self.kind {
            ArtifactKind::Wheel(tags) => Some(tags),
            ArtifactKind::Sdist => None,
        }
    }
}

/// Whether two filenames name the same artifact, spelled differently: the same project (PEP 503),
/// the same version (PEP 440: `1.0` is `1.0.0`), and the same tags or sdist format. A tampered
/// file must not escape its record by changing the case of its name.
pub(crate) fn same_artifact(a: &str, b: &str) -> bool {
    if a == b {
        return true;
    }
    let (Ok(left), Ok(right)) = (ArtifactName::parse(a, None), ArtifactName::parse(b, None)) else {
        return false;
    };
    let same_version = match (&left.version, &right.version) {
        (Some(left), Some(right)) => left == right,
        _ => left.version_text.eq_ignore_ascii_case(&right.version_text),
    };
    let same_kind = match (&left.kind, &right.kind) {
        (ArtifactKind::Wheel(left), ArtifactKind::Wheel(right)) => {
            let set = |tags: &[String]| {
                let mut tags: Vec<String> =
                    tags.iter().map(|tag| tag.to_ascii_lowercase()).collect();
                tags.sort();
                tags
            };
            left.build == right.build
                && set(&left.python) == set(&right.python)
                && set(&left.abi) == set(&right.abi)
                && set(&left.platform) == set(&right.platform)
        }
        (ArtifactKind::Sdist, ArtifactKind::Sdist) => {
            let suffix = |name: &str| {
                let lower = name.to_ascii_lowercase();
                SDIST_SUFFIXES
                    .iter()
                    .find(|suffix| lower.ends_with(*suffix))
                    .copied()
            };
            suffix(a) == suffix(b)
        }
        _ => false,
    };
    left.project == right.project && same_version && same_kind
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_wheels_and_sdists() {
        let wheel = ArtifactName::parse(
            "numpy-1.26.4-cp311-cp311-manylinux_2_17_x86_64.manylinux2014_x86_64.whl",
            None,
        )
        .unwrap();
        assert_eq!(wheel.project.as_str(), "numpy");
        assert_eq!(wheel.version_text, "1.26.4");
        let tags = wheel.wheel_tags().unwrap();
        assert_eq!(tags.python, ["cp311"]);
        assert_eq!(
            tags.platform,
            ["manylinux_2_17_x86_64", "manylinux2014_x86_64"]
        );

        let built = ArtifactName::parse("pkg-1.0-1build-py2.py3-none-any.whl", None).unwrap();
        assert_eq!(built.wheel_tags().unwrap().python, ["py2", "py3"]);

        let legacy = ArtifactName::parse(
            "python-dateutil-2.8.2.tar.gz",
            Some(&PackageName::new("python_dateutil")),
        )
        .unwrap();
        assert_eq!(legacy.project.as_str(), "python-dateutil");
        assert_eq!(legacy.version_text, "2.8.2");
        assert_eq!(legacy.kind, ArtifactKind::Sdist);

        let zip = ArtifactName::parse("Other_Proj-2.0.0.zip", None).unwrap();
        assert_eq!(zip.project.as_str(), "other-proj");
    }

    #[test]
    fn the_same_artifact_spelled_differently() {
        assert!(same_artifact(
            "tinyproj-1.0.0-py3-none-any.whl",
            "TinyProj-1.0-py3-none-any.whl"
        ));
        assert!(same_artifact(
            "tinyproj-1.0.0.tar.gz",
            "TINYPROJ-1.0.0.tar.gz"
        ));
        assert!(!same_artifact(
            "tinyproj-1.0.0.tar.gz",
            "tinyproj-1.0.0.zip"
        ));
        assert!(!same_artifact(
            "tinyproj-1.0.0-py3-none-any.whl",
            "tinyproj-1.0.0.tar.gz"
        ));
        assert!(!same_artifact(
            "tinyproj-1.0.0-py3-none-any.whl",
            "tinyproj-1.0.1-py3-none-any.whl"
        ));
        assert!(!same_artifact(
            "tinyproj-1.0.0-py3-none-any.whl",
            "tinyproj-1.0.0-1-py3-none-any.whl"
        ));
    }

    #[test]
    fn refuses_path_tricks() {
        for name in [
            "../evil-1.0.tar.gz",
            "a/b-1.0.tar.gz",
            "a\\b-1.0.tar.gz",
            ".hidden-1.0.tar.gz",
            "x-1.0.tar.gz\n",
            "x-1.0\u{1b}[2J.tar.gz",
            "C:x-1.0.tar.gz",
            "pkg-1.0-py3-none-any\u{2028}evil==1\u{2028}#.whl",
            "pkg-1.0-py3-none-any linux.whl",
            "",
        ] {
            assert!(
                matches!(
                    ArtifactName::parse(name, None),
                    Err(FilenameError::Unsafe(_))
                ),
                "{name:?}"
            );
        }
        assert!(matches!(
            ArtifactName::parse("pkg-1.0.egg", None),
            Err(FilenameError::Unrecognized(_))
        ));
    }
}
