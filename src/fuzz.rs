//! For tests only: the properties the parsers and the editor must keep whatever they are fed,
//! checked two ways. `proptest` builds requirements files from their grammar (with every line
//! break, continuation and comment pip knows) and checks that an edit touches only the intended
//! entry; a mutation fuzz loop feeds the same targets, and the index parsers, millions of
//! inputs derived from the seed corpora in `testdata/fuzz/`:
//!
//! ```console
//! $ HASHPIN_FUZZ_INPUTS=10000000 cargo test --release --lib fuzz_loop -- --ignored --nocapture
//! ```
//!
//! A target that panics, or breaks an invariant, fails with the input that did it.

use std::path::Path;

use url::Url;

use crate::hash::{HashAlgorithm, HashDigest};
use crate::requirements::edit::{Pins, apply, pin};
use crate::requirements::{Document, Provenance, parse};

/// Parses a requirements file and, when it parses, checks what every edit relies on: the lines
/// cover the source in order, on character boundaries, and pinning any entry changes only that
/// entry's bytes and reads back as pinned, idempotently.
pub(crate) fn requirements_target(source: &str) -> Result<(), String> {
    let Ok(document) = parse(Path::new("r.txt"), source.to_string(), &|_| None) else {
        return Ok(());
    };
    check_spans(&document)?;
    for (index, (_, line, entry)) in document.entries().enumerate() {
        // `lock` refuses an entry whose comment ends in `\` before any edit (pip would join the
        // next line into the comment): the editor is never asked to pin one.
        if line.comment.as_ref().is_some_and(|comment| {
            document
                .text(comment)
                .lines()
                .any(|l| l.trim_end().ends_with('\\'))
        }) {
            continue;
        }
        let pins = Pins {
            hashes: vec![sample_hash(index)],
            provenance: vec![Provenance {
                filename: "pkg-1.0-py3-none-any.whl".into(),
                hash: sample_hash(index),
                url: "https://files.example/pkg-1.0-py3-none-any.whl".into(),
            }],
        };
        let Some(splice) = pin(&document, line, entry, &pins) else {
            continue;
        };
        let range = splice.range.clone();
        let edited = apply(&document.source, vec![splice]);
        if edited[..range.start] != source[..range.start] {
            return Err(format!("the edit of entry {index} changed bytes before it"));
        }
        let tail = &source[range.end..];
        if !edited.ends_with(tail) {
            return Err(format!("the edit of entry {index} changed bytes after it"));
        }
        let reparsed = parse(Path::new("r.txt"), edited.clone(), &|_| None)
            .map_err(|error| format!("the edit of entry {index} no longer parses: {error}"))?;
        let Some((_, line, entry)) = reparsed.entries().nth(index) else {
            return Err(format!("entry {index} is gone after its edit"));
        };
        // peep's `# sha256:` comments above an entry are left alone: only `--hash` options count.
        let written: Vec<HashDigest> = entry.hashes.iter().map(|hash| hash.value.clone()).collect();
        if written != pins.hashes || entry.recorded_provenance() != pins.provenance {
            return Err(format!(
                "entry {index} does not read back as pinned:\n{edited}"
            ));
        }
        if pin(&reparsed, line, entry, &pins).is_some() {
            return Err(format!(
                "pinning entry {index} again changes it again:\n{edited}"
            ));
        }
    }
    Ok(())
}

/// Every logical line's span lies in the source, on character boundaries, after the last one.
fn check_spans(document: &Document) -> Result<(), String> {
    let source = &document.source;
    let mut end = 0;
    for line in &document.lines {
        let span = &line.span;
        if span.start < end || span.end < span.start || span.end > source.len() {
            return Err(format!(
                "line {} has span {span:?} after {end}",
                line.number
            ));
        }
        if !source.is_char_boundary(span.start) || !source.is_char_boundary(span.end) {
            return Err(format!("line {} splits a character", line.number));
        }
        end = span.end;
    }
    Ok(())
}

/// A distinct, well-formed hash for entry `index`.
fn sample_hash(index: usize) -> HashDigest {
    HashDigest::new(HashAlgorithm::Sha256, &format!("{:064x}", index + 1))
        .unwrap_or_else(|_| unreachable!("64 hex digits are a sha256"))
}

/// The index parsers, the filename parser and the shell-word splitter never panic, and what
/// they accept is consistent.
pub(crate) fn index_target(bytes: &[u8]) -> Result<(), String> {
    let page = Url::parse("https://index.example/simple/pkg/").map_err(|e| e.to_string())?;
    let _ = crate::index::simple::parse_json(bytes, &page);
    let _ = crate::index::simple::parse_json_api(bytes, &page);
    let _ = crate::index::simple::parse_root_json(bytes);
    let text = String::from_utf8_lossy(bytes);
    let _ = crate::index::simple::parse_html(&text, &page);
    let _ = crate::index::simple::parse_root_html(&text);
    for word in text.split_whitespace().take(16) {
        if crate::artifact::ArtifactName::parse(word, None).is_ok()
            && !crate::artifact::same_artifact(word, word)
        {
            return Err(format!("`{word}` is not the same artifact as itself"));
        }
    }
    let _ = crate::shell_words::split(&text, crate::shell_words::Dialect::Shlex);
    let _ = crate::shell_words::split(&text, crate::shell_words::Dialect::Shell);
    Ok(())
}

#[cfg(test)]
mod tests {
    use std::panic::{AssertUnwindSafe, catch_unwind};

    use proptest::prelude::*;

    use super::*;

    /// One physical line of a requirements file, as pip could meet it.
    fn line() -> impl Strategy<Value = String> {
        let name = prop::sample::select(vec!["six", "Flask", "zope.interface", "a-b_c", "x"]);
        let version = prop::sample::select(vec!["1.0", "1.16.0", "2.0.0rc1", "1!2.0", "1.0+local"]);
        let marker = prop::sample::select(vec![
            "",
            " ; python_version >= \"3.8\"",
            "; sys_platform == 'win32'",
            " ; extra == \"x\"",
        ]);
        let option = prop::sample::select(vec![
            "",
            " --hash=sha256:0000000000000000000000000000000000000000000000000000000000000001",
            " --hash sha256:0000000000000000000000000000000000000000000000000000000000000002",
            " --config-settings a=b",
        ]);
        let comment = prop::sample::select(vec!["", "  # pinned", " #x", " # ends \\"]);
        let requirement = (name, version, marker, option, comment).prop_map(
            |(name, version, marker, option, comment)| {
                format!("{name}=={version}{marker}{option}{comment}")
            },
        );
        prop_oneof![
            4 => requirement,
            1 => prop::sample::select(vec![
                "", "# comment", "   # indented", "-i https://pypi.example/simple/",
                "--extra-index-url https://x.example/", "-f ./wheels", "--pre", "\\",
                "    --hash=sha256:0000000000000000000000000000000000000000000000000000000000000003",
                "    # hashpin: six-1.16.0.tar.gz sha256:0000000000000000000000000000000000000000000000000000000000000003 https://f.example/six-1.16.0.tar.gz",
                "pkg @ https://h.example/pkg-1.0.tar.gz#sha256=00",
                "-e ./local", "${VAR}==1.0", "six==1.16.0 \\",
            ]).prop_map(str::to_string),
        ]
    }

    /// A whole file: lines joined by any break pip knows, with or without a final one.
    fn file() -> impl Strategy<Value = String> {
        let breaks = prop::sample::select(vec!["\n", "\r\n", "\r", "\u{2028}", "\x0c"]);
        (
            prop::collection::vec((line(), breaks), 0..12),
            any::<bool>(),
            any::<bool>(),
        )
            .prop_map(|(lines, bom, final_break)| {
                let mut text = if bom {
                    "\u{feff}".to_string()
                } else {
                    String::new()
                };
                let count = lines.len();
                for (index, (line, eol)) in lines.into_iter().enumerate() {
                    text.push_str(&line);
                    if index + 1 < count || final_break {
                        text.push_str(eol);
                    }
                }
                text
            })
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(2_000))]

        #[test]
        fn edits_touch_only_their_entry(source in file()) {
            prop_assert_eq!(requirements_target(&source), Ok(()));
        }

        #[test]
        fn index_parsers_never_panic(bytes in prop::collection::vec(any::<u8>(), 0..512)) {
            prop_assert_eq!(index_target(&bytes), Ok(()));
        }
    }

    /// A tiny deterministic generator (xorshift64*), so a failing input can be found again from
    /// its number.
    struct Random(u64);

    impl Random {
        fn next(&mut self) -> u64 {
            self.0 ^= self.0 >> 12;
            self.0 ^= self.0 << 25;
            self.0 ^= self.0 >> 27;
            self.0.wrapping_mul(0x2545_f491_4f6c_dd1d)
        }

        fn below(&mut self, bound: usize) -> usize {
            usize::try_from(self.next() % (bound.max(1) as u64)).unwrap_or(0)
        }
    }

    /// Tokens a mutation may splice in: the syntax the parsers care about most.
    const TOKENS: &[&str] = &[
        "\\\n",
        "\\\r\n",
        "#",
        " #",
        "--hash=",
        "--hash sha256:",
        "==",
        "===",
        " @ ",
        ";",
        "[",
        "]",
        "${",
        "}",
        "\r",
        "\n",
        "\u{2028}",
        "\u{85}",
        "\u{feff}",
        "\"",
        "'",
        "-r ",
        "-c ",
        "-e ",
        "--index-url ",
        "# hashpin: ",
        "sha256:",
        "<a href=\"",
        "\">",
        "</a>",
        "{\"files\":",
        "\"hashes\":{\"sha256\":\"",
        "%",
        "\\",
        "\t",
        " ",
    ];

    /// One random change to a corpus input: a byte flipped, inserted or deleted, a chunk
    /// duplicated, or a token spliced in.
    fn mutate(random: &mut Random, input: &mut Vec<u8>) {
        let at = random.below(input.len() + 1);
        match random.below(5) {
            0 if !input.is_empty() => {
                let at = at.min(input.len() - 1);
                input[at] ^= 1 << random.below(8);
            }
            1 => input.insert(at, u8::try_from(random.below(256)).unwrap_or(0)),
            2 if !input.is_empty() => {
                let end = (at + random.below(8) + 1).min(input.len());
                input.drain(at.min(end)..end);
            }
            3 if !input.is_empty() => {
                let start = random.below(input.len());
                let end = (start + random.below(32) + 1).min(input.len());
                let chunk = input[start..end].to_vec();
                input.splice(at..at, chunk);
            }
            _ => {
                let token = TOKENS[random.below(TOKENS.len())].as_bytes();
                input.splice(at..at, token.iter().copied());
            }
        }
    }

    fn corpus(kind: &str) -> Vec<Vec<u8>> {
        let directory = Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("testdata/fuzz")
            .join(kind);
        let mut files: Vec<_> = fs_err::read_dir(&directory)
            .unwrap()
            .map(|entry| entry.unwrap().path())
            .collect();
        files.sort();
        files
            .iter()
            .map(|path| fs_err::read(path).unwrap())
            .collect()
    }

    /// Runs `count` mutated inputs through both targets; panics name the input's number.
    fn fuzz(count: u64, seed: u64) {
        crate::quiet_caught_panics();
        let requirements = corpus("requirements");
        let index = corpus("index");
        let mut random = Random(seed | 1);
        for number in 0..count {
            let (seeds, requirements_kind) = if number % 2 == 0 {
                (&requirements, true)
            } else {
                (&index, false)
            };
            let mut input = seeds[random.below(seeds.len())].clone();
            for _ in 0..=random.below(8) {
                mutate(&mut random, &mut input);
            }
            let outcome = catch_unwind(AssertUnwindSafe(|| {
                if requirements_kind {
                    requirements_target(&String::from_utf8_lossy(&input))
                } else {
                    index_target(&input)
                }
            }));
            match outcome {
                Ok(Ok(())) => {}
                Ok(Err(broken)) => panic!(
                    "input {number} (seed {seed}) broke an invariant: {broken}\n{:?}",
                    String::from_utf8_lossy(&input)
                ),
                Err(_) => panic!(
                    "input {number} (seed {seed}) panicked:\n{:?}",
                    String::from_utf8_lossy(&input)
                ),
            }
        }
    }

    #[test]
    fn a_short_fuzz_run_finds_nothing() {
        fuzz(20_000, 7);
    }

    /// The long run: `HASHPIN_FUZZ_INPUTS` inputs (default ten million), `HASHPIN_FUZZ_SEED`.
    #[test]
    #[ignore = "minutes long: run it on purpose, in release mode"]
    fn fuzz_loop() {
        let count = std::env::var("HASHPIN_FUZZ_INPUTS")
            .ok()
            .and_then(|value| value.parse().ok())
            .unwrap_or(10_000_000);
        let seed = std::env::var("HASHPIN_FUZZ_SEED")
            .ok()
            .and_then(|value| value.parse().ok())
            .unwrap_or(1);
        let started = std::time::Instant::now();
        fuzz(count, seed);
        #[expect(
            clippy::print_stdout,
            reason = "the figure this long run exists to give"
        )]
        let () = println!(
            "fuzz: {count} inputs, seed {seed}, nothing broken, in {:.1}s",
            started.elapsed().as_secs_f64()
        );
    }
}
