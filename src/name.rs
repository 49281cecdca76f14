//! Package names, normalized as PEP 503 says, so that `Flask`, `flask` and `FLASK` are one
//! project and `zope.interface` is `zope-interface`.
//!
//! Reports keep the name as the user wrote it; only comparisons and URLs use this type.

use std::fmt;

/// A PEP 503-normalized project name: lowercase, runs of `-`, `_` and `.` replaced by one `-`.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct PackageName(String);

impl PackageName {
    /// Normalizes any spelling of a name.
    pub fn new(name: &str) -> Self {
        let mut normalized = String::with_capacity(name.len());
        let mut in_separator_run = false;
        for character in name.trim().chars() {
            if matches!(character, '-' | '_' | '.') {
                if !in_separator_run {
                    normalized.push('-');
                }
                in_separator_run = true;
            } else {
                normalized.push(character.to_ascii_lowercase());
                in_separator_run = false;
            }
        }
        Self(normalized)
    }

    /// The normalized name.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for PackageName {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

#[cfg(test)]
mod tests {
    use super::PackageName;

    #[test]
    fn normalizes_as_pep_503() {
        for (given, expected) in [
            ("Flask", "flask"),
            ("zope.interface", "zope-interface"),
            ("Other__Proj", "other-proj"),
            ("a-_.b", "a-b"),
            ("friendly-bard", "friendly-bard"),
        ] {
            assert_eq!(PackageName::new(given).as_str(), expected, "{given}");
        }
    }
}
