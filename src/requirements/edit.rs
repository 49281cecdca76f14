//! Rewriting requirement entries without touching anything else.
//!
//! An edit is a list of [`Splice`]s applied in one pass from the front of the file; every byte
//! outside a splice is copied unchanged. New text copies the style around it: the file's line ending, the
//! entry's continuation indentation (4 spaces if it has none), ` \` before each break. The user's
//! trailing comment stays on the entry's last physical line, because pip joins `\` lines before
//! it strips comments.

use super::{Document, Entry, Line, Provenance, Span};
use crate::hash::HashDigest;

/// Replace `range` of the source with `text`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Splice {
    /// The bytes replaced.
    pub(crate) range: Span,
    /// The new text.
    pub(crate) text: String,
}

/// Applies non-overlapping splices to a source.
///
/// One forward copy: splicing in place would move the rest of the file once per splice, which
/// is quadratic in the size of the file (a minute at 100,000 entries).
pub(crate) fn apply(source: &str, mut splices: Vec<Splice>) -> String {
    splices.sort_by_key(|splice| splice.range.start);
    let added: usize = splices.iter().map(|splice| splice.text.len()).sum();
    let mut text = String::with_capacity(source.len() + added);
    let mut copied = 0;
    for splice in splices {
        debug_assert!(copied <= splice.range.start, "splices overlap");
        text.push_str(&source[copied..splice.range.start]);
        text.push_str(&splice.text);
        copied = splice.range.end;
    }
    text.push_str(&source[copied..]);
    text
}

/// What an entry should record: its hashes, and where each came from.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub(crate) struct Pins {
    /// Every hash for the `--hash` options; sorted and deduplicated by [`pin`].
    pub(crate) hashes: Vec<HashDigest>,
    /// One provenance line per artifact.
    pub(crate) provenance: Vec<Provenance>,
}

/// The splice that makes `entry` record `pins`, or `None` when it already does.
///
/// When only provenance lines change, only they are rewritten: the `--hash` options (and any
/// formatting the user gave them) stay as they are.
pub(crate) fn pin(document: &Document, line: &Line, entry: &Entry, pins: &Pins) -> Option<Splice> {
    let mut hashes = pins.hashes.clone();
    hashes.sort();
    hashes.dedup();
    let mut written: Vec<HashDigest> = entry.hashes.iter().map(|h| h.value.clone()).collect();
    written.sort();
    written.dedup();
    let eol = entry_line_ending(document, line);
    let indent = continuation_indent(document, line);
    let mut provenance_text: String = pins
        .provenance
        .iter()
        .map(|record| format!("{eol}{indent}{}", record.render()))
        .collect();
    // A line that ends in `\` at the end of the file would join the first provenance line
    // into itself (pip joins a comment line into a continuation): a blank line ends the
    // continuation first, keeping the user's backslash.
    if !provenance_text.is_empty() && document.source[..line.span.end].ends_with('\\') {
        provenance_text.insert_str(0, eol);
    }

    if written == hashes {
        if entry.recorded_provenance() == pins.provenance {
            return None;
        }
        return Some(Splice {
            range: line.span.end..entry.block_end,
            text: provenance_text,
        });
    }

    let mut text = document.source[line.span.start..entry.requirement.span.end].to_string();
    let separator = format!(" \\{eol}{indent}");
    let options: Vec<&str> = entry
        .other_options
        .iter()
        .map(|option| document.text(option))
        .collect();
    let hash_options: Vec<String> = hashes.iter().map(|hash| format!("--hash={hash}")).collect();
    // pip starts the options at the first word beginning with `-`: an option written with an
    // escape or a quote (`\-e…`, found by the fuzz loop) must come after a `--hash`, or it
    // would be read as part of the requirement.
    let plain = options.iter().all(|option| option.starts_with('-'));
    let ordered: Vec<&str> = if plain {
        options
            .iter()
            .copied()
            .chain(hash_options.iter().map(String::as_str))
            .collect()
    } else {
        hash_options
            .iter()
            .map(String::as_str)
            .chain(options.iter().copied())
            .collect()
    };
    for option in ordered {
        text.push_str(&separator);
        text.push_str(option);
    }
    if let Some(comment) = &line.comment {
        text.push_str(comment_gap(document, comment));
        text.push_str(document.text(comment));
    }
    // Whatever followed the last option on the logical line (a trailing ` \` and the blank
    // line it joins) stays as it was.
    text.push_str(&document.source[content_end(line, entry)..line.span.end]);
    text.push_str(&provenance_text);
    Some(Splice {
        range: line.span.start..entry.block_end,
        text,
    })
}

/// The lines of a new entry for `requirement` (one line of pip syntax, such as `name==1.0`)
/// recording `pins`, each ending in `eol`: exactly what [`pin`] writes for that requirement on a
/// line of its own.
pub(crate) fn new_entry(requirement: &str, pins: &Pins, eol: &str) -> String {
    let text = format!("{requirement}{eol}");
    let Ok(document) = super::parse(std::path::Path::new(""), text.clone(), &|_| None) else {
        return text;
    };
    let Some((_, line, entry)) = document.entries().next() else {
        return text;
    };
    match pin(&document, line, entry, pins) {
        Some(splice) => apply(&document.source, vec![splice]),
        None => text,
    }
}

/// Where the entry's last meaningful text ends: its comment, last option or requirement.
fn content_end(line: &Line, entry: &Entry) -> usize {
    let options = entry
        .hashes
        .iter()
        .map(|hash| hash.span.end)
        .chain(entry.other_options.iter().map(|span| span.end));
    let end = options
        .chain([entry.requirement.span.end])
        .max()
        .unwrap_or(line.span.end);
    match &line.comment {
        Some(comment) => comment.end.max(end),
        None => end,
    }
    .min(line.span.end)
}

/// The line break new lines of an entry use: the one that ends the entry, else the last one
/// inside it, else the file's. Following the entry's own break matters beyond looks: a `\n`
/// written after a lone `\r` would make one `\r\n` of two breaks, and swallow a line.
fn entry_line_ending<'a>(document: &'a Document, line: &Line) -> &'a str {
    let source = document.source.as_str();
    if let Some(length) = super::span::break_length(&source[line.span.end..]) {
        return &source[line.span.end..line.span.end + length];
    }
    let body = &source[line.span.clone()];
    let last_break = body.char_indices().rev().find_map(|(offset, _)| {
        let length = super::span::break_length(&body[offset..])?;
        // `\r\n` is one break: from its `\n`, step back to the `\r`.
        let start =
            if length == 1 && body[offset..].starts_with('\n') && body[..offset].ends_with('\r') {
                offset - 1
            } else {
                offset
            };
        Some((start, super::span::break_length(&body[start..])?))
    });
    match last_break {
        Some((start, length)) => &body[start..start + length],
        None => document.line_ending(),
    }
}

/// The indentation of the entry's second physical line, else four spaces.
fn continuation_indent(document: &Document, line: &Line) -> String {
    let body = document.text(&line.span);
    // The second physical line, whatever break ends the first.
    let second = body.char_indices().find_map(|(offset, _)| {
        super::span::break_length(&body[offset..]).map(|length| &body[offset + length..])
    });
    // Spaces only: pip splits options from the requirement at spaces, so `--hash` after a tab
    // would be read as part of the requirement (found by the fuzz loop).
    second
        .map(|second| second.chars().take_while(|c| *c == ' ').collect::<String>())
        .filter(|indent| !indent.is_empty())
        .unwrap_or_else(|| "    ".to_string())
}

/// The white space the user put before their comment, or two spaces when the comment stood
/// on a physical line of its own or touched the text before it.
fn comment_gap<'a>(document: &'a Document, comment: &Span) -> &'a str {
    let before = &document.source[..comment.start];
    let line_start = before.rfind('\n').map_or(0, |index| index + 1);
    let gap_start = before.trim_end_matches([' ', '\t']).len();
    if gap_start <= line_start || gap_start == before.len() {
        "  "
    } else {
        &before[gap_start..]
    }
}

#[cfg(test)]
mod tests {
    use std::path::Path;

    use super::*;
    use crate::requirements::parse;

    const SHA_A: &str = "sha256:aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa";
    const SHA_B: &str = "sha256:bbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbb";

    struct Given(String);

    fn given(text: &str) -> Given {
        Given(text.to_string())
    }

    impl Given {
        fn pin(&self, name: &str, hashes: &[&str], files: &[&str]) -> String {
            let document = parse(Path::new("r.txt"), self.0.clone(), &|_| None).unwrap();
            let (_, line, entry) = document
                .entries()
                .find(|(_, _, entry)| entry.requirement.value.starts_with(name))
                .unwrap();
            let hashes: Vec<HashDigest> = hashes.iter().map(|h| h.parse().unwrap()).collect();
            let provenance = files
                .iter()
                .zip(&hashes)
                .map(|(file, hash)| Provenance {
                    filename: (*file).to_string(),
                    hash: hash.clone(),
                    url: format!("https://files.example/{file}"),
                })
                .collect();
            let pins = Pins { hashes, provenance };
            match pin(&document, line, entry, &pins) {
                Some(splice) => apply(&document.source, vec![splice]),
                None => document.source.clone(),
            }
        }
    }

    #[test]
    fn adds_hashes_keeping_the_comment_on_the_last_line() {
        let out = given("# top\nflask==3.0.0  # web\nother==1\n").pin(
            "flask",
            &[SHA_B, SHA_A],
            &["b.whl", "a.tar.gz"],
        );
        assert_eq!(
            out,
            format!(
                "# top\nflask==3.0.0 \\\n    --hash={SHA_A} \\\n    --hash={SHA_B}  # web\n    # hashpin: b.whl {SHA_B} https://files.example/b.whl\n    # hashpin: a.tar.gz {SHA_A} https://files.example/a.tar.gz\nother==1\n"
            )
        );
    }

    #[test]
    fn keeps_crlf_indentation_and_missing_final_newline() {
        let out = given(&format!("x==1\r\nflask==3.0.0 \\\r\n  --hash={SHA_A}")).pin(
            "flask",
            &[SHA_A, SHA_B],
            &[],
        );
        assert_eq!(
            out,
            format!("x==1\r\nflask==3.0.0 \\\r\n  --hash={SHA_A} \\\r\n  --hash={SHA_B}")
        );
    }

    #[test]
    fn a_blank_line_joined_by_a_trailing_backslash_survives() {
        let out = given("flask==3.0.0 \\\n\n# next\n").pin("flask", &[SHA_A], &[]);
        assert_eq!(
            out,
            format!("flask==3.0.0 \\\n    --hash={SHA_A} \\\n\n# next\n")
        );
        assert_eq!(given(&out).pin("flask", &[SHA_A], &[]), out);
    }

    #[test]
    fn a_new_entry_reads_as_a_pinned_line_would() {
        let hashes: Vec<HashDigest> = [SHA_B, SHA_A].iter().map(|h| h.parse().unwrap()).collect();
        let provenance = vec![Provenance {
            filename: "a.whl".into(),
            hash: hashes[1].clone(),
            url: "https://files.example/a.whl".into(),
        }];
        let pins = Pins { hashes, provenance };
        assert_eq!(
            new_entry("pkg==1.0", &pins, "\r\n"),
            format!(
                "pkg==1.0 \\\r\n    --hash={SHA_A} \\\r\n    --hash={SHA_B}\r\n    # hashpin: a.whl {SHA_A} https://files.example/a.whl\r\n"
            )
        );
        assert_eq!(
            given("pkg==1.0\n").pin("pkg", &[SHA_B, SHA_A], &[]),
            new_entry(
                "pkg==1.0",
                &Pins {
                    hashes: vec![SHA_A.parse().unwrap(), SHA_B.parse().unwrap()],
                    provenance: vec![]
                },
                "\n"
            )
        );
    }

    #[test]
    fn a_backslash_at_the_end_of_the_file_does_not_swallow_provenance() {
        // Found by the property tests (and issue 9): pinning twice must change nothing.
        for text in ["flask==3.0.0 \\", "flask==3.0.0 \\\n"] {
            let once = given(text).pin("flask", &[SHA_A], &["a.whl"]);
            assert!(once.contains(" \\\n\n    # hashpin: a.whl"), "{once:?}");
            assert_eq!(given(&once).pin("flask", &[SHA_A], &["a.whl"]), once);
        }
    }

    #[test]
    fn an_escaped_option_stays_among_the_options() {
        // Found by the fuzz loop: `\-e…` is an option to pip only after the options began.
        let text = format!("six==1.16.0 --hash={SHA_A} \\-e--x\n");
        let out = given(&text).pin("six", &[SHA_B], &[]);
        let reparsed = parse(Path::new("r.txt"), out.clone(), &|_| None).unwrap();
        let entry = reparsed.entries().next().unwrap().2;
        assert_eq!(entry.requirement.value, "six==1.16.0", "{out:?}");
        assert_eq!(entry.other_options.len(), 1, "{out:?}");
    }

    #[test]
    fn indentation_is_spaces_whatever_the_user_put() {
        let out = given("flask==3.0.0 \\\n  \t# note\n").pin("flask", &[SHA_A], &[]);
        assert!(out.contains("\n  --hash="), "{out:?}");
        let reparsed = parse(Path::new("r.txt"), out.clone(), &|_| None).unwrap();
        assert_eq!(
            reparsed.entries().next().unwrap().2.hashes.len(),
            1,
            "{out:?}"
        );
    }

    #[test]
    fn same_hashes_only_touch_provenance() {
        // The user's odd layout of the hashes survives when only provenance is added.
        let text = format!("flask==3.0.0 --hash={SHA_A}   --hash {SHA_B}\n");
        let out = given(&text).pin("flask", &[SHA_A, SHA_B], &["a.whl", "b.whl"]);
        assert!(out.starts_with(&text[..text.len() - 1]), "{out}");
        assert!(out.contains("\n    # hashpin: a.whl"), "{out}");
        // Pinning again with the same data changes nothing.
        assert_eq!(
            given(&out).pin("flask", &[SHA_A, SHA_B], &["a.whl", "b.whl"]),
            out
        );
    }
}
