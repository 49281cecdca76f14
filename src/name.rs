//! Package names, normalized as PEP 503 says, so that `Flask`, `flask` and `FLASK` are one
//! project and `zope.interface` is `zope-interface`.
//!
//! Reports keep the name as the user wrote it; only comparisons and URLs use this type.

use std::fmt;

/// A PEP 503-normalized project name: lowercase, runs of `-`, `_` and `.` replaced by one `-`.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub(crate) struct PackageName(String);

impl PackageName {
    /// Normalizes any spelling of a name.
    pub(crate) fn new(name: &str) -> Self {
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

    /// The normalized name, if `name` is a valid project name as PEP 508 spells one: ASCII
    /// letters and digits, with `.`, `_` and `-` only between them. Names an index lists are
    /// checked with this before anyone shows them: a page could otherwise put terminal controls
    /// into a message.
    pub(crate) fn validated(name: &str) -> Option<Self> {
        let bytes = name.as_bytes();
        let valid = bytes.first().is_some_and(u8::is_ascii_alphanumeric)
            && bytes.last().is_some_and(u8::is_ascii_alphanumeric)
            && bytes
                .iter()
                .all(|byte| byte.is_ascii_alphanumeric() || matches!(byte, b'.' | b'_' | b'-'));
        valid.then(|| Self::new(name))
    }

    /// The normalized name.
    pub(crate) fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for PackageName {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// At most this many names are suggested for a misspelt one.
const MAX_SUGGESTIONS: usize = 3;

/// The names among `names` that `wanted` is most plausibly a misspelling of: at most three,
/// closest first, then in name order; `wanted` itself is never among them.
///
/// Closeness is the optimal string alignment distance (Damerau-Levenshtein restricted to
/// edits that do not overlap): one insertion, deletion, substitution or swap of two adjacent
/// characters counts 1, so `djnago` is as close to `django` as `djang` is. A name is suggested
/// only within a quarter of `wanted`'s length (rounded down): one edit from four characters
/// on, two from eight, three from twelve. Names of three characters or fewer get no
/// suggestion: an index such as PyPI serves dozens of names one edit away from each (`six`,
/// `sip`, `sox`, `fix`), so any pick would be a guess.
pub(crate) fn nearest<'a>(
    wanted: &PackageName,
    names: impl IntoIterator<Item = &'a PackageName>,
) -> Vec<PackageName> {
    let wanted_chars: Vec<char> = wanted.as_str().chars().collect();
    let budget = wanted_chars.len() / 4;
    if budget == 0 {
        return Vec::new();
    }
    let mut candidate_chars = Vec::new();
    let mut close: Vec<(usize, &PackageName)> = names
        .into_iter()
        .filter(|name| *name != wanted)
        .filter_map(|name| {
            candidate_chars.clear();
            candidate_chars.extend(name.as_str().chars());
            // Every edit changes the length by at most one: a cheap way to skip most names.
            if candidate_chars.len().abs_diff(wanted_chars.len()) > budget {
                return None;
            }
            let distance = typo_distance(&wanted_chars, &candidate_chars, budget);
            (distance <= budget).then_some((distance, name))
        })
        .collect();
    close.sort();
    close.dedup();
    close
        .into_iter()
        .take(MAX_SUGGESTIONS)
        .map(|(_, name)| name.clone())
        .collect()
}

/// The optimal string alignment distance between `a` and `b`: the fewest insertions,
/// deletions, substitutions and swaps of adjacent characters, no character edited twice. Once
/// the distance is sure to exceed `limit`, some number above `limit` is returned instead.
fn typo_distance(a: &[char], b: &[char], limit: usize) -> usize {
    // Three rows of the classic table: the one before last is needed for swaps.
    let mut before_last: Vec<usize> = vec![0; b.len() + 1];
    let mut last: Vec<usize> = (0..=b.len()).collect();
    let mut current: Vec<usize> = vec![0; b.len() + 1];
    let mut last_minimum = 0;
    for i in 1..=a.len() {
        current[0] = i;
        let mut minimum = i;
        for j in 1..=b.len() {
            let substitution = usize::from(a[i - 1] != b[j - 1]);
            let mut best = (last[j] + 1)
                .min(current[j - 1] + 1)
                .min(last[j - 1] + substitution);
            if i > 1 && j > 1 && a[i - 1] == b[j - 2] && a[i - 2] == b[j - 1] {
                best = best.min(before_last[j - 2] + 1);
            }
            current[j] = best;
            minimum = minimum.min(best);
        }
        // Each cell is at least a cell of the row above, or one more than a cell two rows up
        // (moving along a row only adds), so the smaller minimum of two consecutive rows never
        // decreases: once it is past `limit`, so is the distance.
        if minimum.min(last_minimum) > limit {
            return limit.saturating_add(1);
        }
        last_minimum = minimum;
        std::mem::swap(&mut before_last, &mut last);
        std::mem::swap(&mut last, &mut current);
    }
    last[b.len()]
}

#[cfg(test)]
mod tests {
    use super::{PackageName, nearest, typo_distance};

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

    #[test]
    fn only_pep_508_names_are_valid() {
        for (given, expected) in [
            ("Flask", Some("flask")),
            ("zope.interface", Some("zope-interface")),
            ("a", Some("a")),
            ("A1_b-C.d", Some("a1-b-c-d")),
            ("", None),
            ("-a", None),
            ("a.", None),
            ("a b", None),
            ("\u{1b}[31mred", None),
            ("caf\u{e9}", None),
        ] {
            assert_eq!(
                PackageName::validated(given)
                    .as_ref()
                    .map(PackageName::as_str),
                expected,
                "{given:?}"
            );
        }
    }

    #[test]
    fn typo_distance_counts_an_adjacent_swap_as_one_edit() {
        let distance = |a: &str, b: &str| {
            let a: Vec<char> = a.chars().collect();
            let b: Vec<char> = b.chars().collect();
            typo_distance(&a, &b, usize::MAX)
        };
        assert_eq!(distance("requests", "requests"), 0);
        assert_eq!(distance("reqeusts", "requests"), 1);
        assert_eq!(distance("djang", "django"), 1);
        assert_eq!(distance("kitten", "sitting"), 3);
        assert_eq!(distance("", "abc"), 3);
        assert_eq!(distance("abc", ""), 3);
        // No character is edited twice: `ca` -> `abc` is 3, not true Damerau's 2.
        assert_eq!(distance("ca", "abc"), 3);

        // With a limit, the answer is exact up to it and above it past it.
        let limited = |a: &str, b: &str, limit: usize| {
            let a: Vec<char> = a.chars().collect();
            let b: Vec<char> = b.chars().collect();
            typo_distance(&a, &b, limit)
        };
        for (a, b) in [
            ("reqeusts", "requests"),
            ("kitten", "sitting"),
            ("ab", "ba"),
            ("abcdef", "badcfe"),
            ("flask", "django"),
            ("setuptool", "setup-tools"),
            ("", "abc"),
        ] {
            let exact = distance(a, b);
            for limit in 0..6 {
                let bounded = limited(a, b, limit);
                if exact <= limit {
                    assert_eq!(bounded, exact, "{a} {b} {limit}");
                } else {
                    assert!(bounded > limit, "{a} {b} {limit}");
                }
            }
        }
    }

    /// The names a small index might serve.
    fn served() -> Vec<PackageName> {
        [
            "requests",
            "requests-oauthlib",
            "django",
            "djangorestframework",
            "flask",
            "numpy",
            "six",
            "sip",
            "sox",
            "python-dateutil",
            "setuptools",
            "setuptoolz",
            "setup-tools",
            "setuptools-scm",
            "urllib2",
            "urllib3",
            "urllib4",
            "urllib5",
        ]
        .iter()
        .map(|name| PackageName::new(name))
        .collect()
    }

    /// `nearest` for a name as a user would write it, as plain strings.
    fn suggest(wanted: &str) -> Vec<String> {
        nearest(&PackageName::new(wanted), &served())
            .iter()
            .map(ToString::to_string)
            .collect()
    }

    #[test]
    fn suggests_the_names_a_typo_was_meant_for() {
        assert_eq!(suggest("reqeusts"), ["requests"]);
        assert_eq!(suggest("requets"), ["requests"]);
        assert_eq!(suggest("djang"), ["django"]);
        assert_eq!(suggest("djnago"), ["django"]);
        assert_eq!(suggest("Flsk"), ["flask"]);
        assert_eq!(suggest("nunpy"), ["numpy"]);
        // Separators are normalized before comparing: only the missing `-` counts.
        assert_eq!(suggest("python_dateutils"), ["python-dateutil"]);
        assert_eq!(suggest("pythondateutil"), ["python-dateutil"]);
    }

    #[test]
    fn suggestions_are_closest_first_then_by_name_and_at_most_three() {
        // `setuptools` and `setuptoolz` are one edit away, `setup-tools` two.
        assert_eq!(
            suggest("setuptool"),
            ["setuptools", "setuptoolz", "setup-tools"]
        );
        assert_eq!(suggest("urllib"), ["urllib2", "urllib3", "urllib4"]);
    }

    #[test]
    fn nothing_far_short_or_identical_is_suggested() {
        // Too many edits for the length.
        assert!(suggest("reqsts").is_empty());
        assert!(suggest("flaskk-app").is_empty());
        assert!(suggest("unrelated-name").is_empty());
        // Three characters or fewer get nothing: `siz` is one edit from `six`, `sip` and `sox`
        // alike, and even the swap in `sxi` is left alone.
        assert!(suggest("siz").is_empty());
        assert!(suggest("sxi").is_empty());
        let short = [PackageName::new("sip"), PackageName::new("sox")];
        assert!(nearest(&PackageName::new("six"), &short).is_empty());
        // The name itself, however spelt, is not a suggestion for itself.
        assert!(suggest("Requests").is_empty());
        assert_eq!(
            nearest(
                &PackageName::new("requests"),
                &[PackageName::new("requests")]
            ),
            Vec::<PackageName>::new()
        );
        // Duplicates in the listing are suggested once.
        let twice = [PackageName::new("django"), PackageName::new("Django")];
        assert_eq!(
            nearest(&PackageName::new("djang"), &twice),
            [PackageName::new("django")]
        );
    }
}
