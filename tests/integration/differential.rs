//! The differential test of issue 9: hashpin reads every requirements file as pip does.
//! See: https://github.com/hashpin/hashpin/issues/9
//!
//! For every case of a corpus (the concrete inputs of pip's and packaging's published test
//! suites, real files of public projects, the cases issue 9 lists; `testdata/requirements/
//! differential/`) and for seeded random mutations of them, `hashpin parse --format json` and
//! pip itself (`pip_oracle.py`, pip's own reader in a throwaway virtual environment) must both
//! accept with the same content (names, extras, specifiers, markers, URLs, hashes, options) or
//! both refuse. Every disagreement is either a row of [`KNOWN`], with its reason, or a failure.
//! Then every accepted case that pins with `==` is locked twice against a find-links directory
//! of generated sdists: the second lock writes nothing new, every byte outside the requirement
//! entries is what it was, and pip reads the written file as the same requirements plus the
//! hashes.
//!
//! The summary (cases, agreed, known differences by id) is printed on stderr: run
//! `cargo test --test integration differential -- --nocapture` to see it. Non-goals: what pip
//! does after reading (resolving, `--require-hashes` checks at install time), and files pip
//! fetches over the network.

use std::collections::{BTreeMap, BTreeSet};
use std::fmt::Write as _;
use std::io::Write as _;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::sync::OnceLock;
use std::time::Instant;

use serde::Deserialize;
use serde_json::Value;
use sha2::{Digest, Sha256};

use crate::harness::{TestContext, hermetic, tool_venv};

/// The pip the oracle runs: the current release when this test was written.
const PIP_VERSION: &str = "26.3";
/// The packaging the oracle compares markers and specifiers with.
const PACKAGING_VERSION: &str = "26.4";
/// The mutations' seed; `HASHPIN_DIFFERENTIAL_SEED` replaces it to explore further.
const SEED: u64 = 9;
/// How many mutations each run generates.
const MUTATIONS: usize = 1200;

/// One case: the root file `requirements.txt`, the files it includes, its environment.
#[derive(Debug, Clone, Deserialize)]
struct Case {
    /// Where it comes from, unique: `pip-req-file/join-lines`, `mutation/0042`.
    id: String,
    /// The test, file or issue it was taken from.
    #[serde(rename = "from")]
    origin: String,
    /// The root file's text.
    text: String,
    /// How the root file is encoded (`utf-8` unless said: `latin-1`, `utf-16-le-bom`, ...).
    #[serde(default)]
    encoding: Option<String>,
    /// Other files of the case, by path relative to the root file (UTF-8).
    #[serde(default)]
    files: BTreeMap<String, String>,
    /// Environment variables for `${NAME}` expansion.
    #[serde(default)]
    env: BTreeMap<String, String>,
    /// For a mutation, what was done to its parent.
    #[serde(default)]
    mutations: Vec<String>,
}

impl Case {
    /// The root text and every other file's text, for the known-difference patterns.
    fn all_text(&self) -> String {
        let mut text = self.text.clone();
        for file in self.files.values() {
            text.push('\n');
            text.push_str(file);
        }
        text
    }

    /// Whether the case's root file is encoded as anything but UTF-8.
    fn not_utf8(&self) -> bool {
        !matches!(self.encoding.as_deref(), None | Some("utf-8" | "utf-8-sig"))
    }

    fn root_bytes(&self) -> Vec<u8> {
        encode(&self.text, self.encoding.as_deref())
    }

    /// Writes the case's files into `dir`.
    fn write(&self, dir: &Path) {
        fs_err::create_dir_all(dir).unwrap();
        for (name, text) in &self.files {
            let path = dir.join(name);
            fs_err::create_dir_all(path.parent().unwrap()).unwrap();
            fs_err::write(path, text).unwrap();
        }
        fs_err::write(dir.join("requirements.txt"), self.root_bytes()).unwrap();
    }
}

/// The text in a named encoding, as the corpus names them.
fn encode(text: &str, encoding: Option<&str>) -> Vec<u8> {
    let units16 = |big: bool| -> Vec<u8> {
        text.encode_utf16()
            .flat_map(|unit| {
                if big {
                    unit.to_be_bytes()
                } else {
                    unit.to_le_bytes()
                }
            })
            .collect()
    };
    let units32 = |big: bool| -> Vec<u8> {
        text.chars()
            .flat_map(|c| {
                let unit = u32::from(c);
                if big {
                    unit.to_be_bytes()
                } else {
                    unit.to_le_bytes()
                }
            })
            .collect()
    };
    match encoding.unwrap_or("utf-8") {
        "utf-8" => text.as_bytes().to_vec(),
        "utf-8-sig" => [b"\xef\xbb\xbf".as_slice(), text.as_bytes()].concat(),
        "latin-1" => text
            .chars()
            .map(|c| u8::try_from(u32::from(c)).expect("a latin-1 character"))
            .collect(),
        "utf-16-le-bom" => [b"\xff\xfe".to_vec(), units16(false)].concat(),
        "utf-16-be-bom" => [b"\xfe\xff".to_vec(), units16(true)].concat(),
        "utf-32-le-bom" => [b"\xff\xfe\x00\x00".to_vec(), units32(false)].concat(),
        "utf-32-be-bom" => [b"\x00\x00\xfe\xff".to_vec(), units32(true)].concat(),
        other => panic!("unknown encoding `{other}` in the corpus"),
    }
}

/// The bytes in a named encoding as text, or `None` when they are not in it ([`encode`] undone).
fn decode(bytes: &[u8], encoding: Option<&str>) -> Option<String> {
    let units16 = |rest: &[u8], big: bool| -> Option<String> {
        let units: Vec<u16> = rest
            .chunks(2)
            .map(|pair| {
                let pair = [pair[0], *pair.get(1).unwrap_or(&0)];
                if big {
                    u16::from_be_bytes(pair)
                } else {
                    u16::from_le_bytes(pair)
                }
            })
            .collect();
        String::from_utf16(&units).ok()
    };
    let units32 = |rest: &[u8], big: bool| -> Option<String> {
        rest.chunks(4)
            .map(|quad| {
                let quad: [u8; 4] = quad.try_into().ok()?;
                let unit = if big {
                    u32::from_be_bytes(quad)
                } else {
                    u32::from_le_bytes(quad)
                };
                char::from_u32(unit)
            })
            .collect()
    };
    match encoding.unwrap_or("utf-8") {
        "utf-8" => String::from_utf8(bytes.to_vec()).ok(),
        "utf-8-sig" => String::from_utf8(bytes.strip_prefix(b"\xef\xbb\xbf")?.to_vec()).ok(),
        "latin-1" => Some(bytes.iter().map(|&byte| char::from(byte)).collect()),
        "utf-16-le-bom" => units16(bytes.strip_prefix(b"\xff\xfe")?, false),
        "utf-16-be-bom" => units16(bytes.strip_prefix(b"\xfe\xff")?, true),
        "utf-32-le-bom" => units32(bytes.strip_prefix(b"\xff\xfe\x00\x00")?, false),
        "utf-32-be-bom" => units32(bytes.strip_prefix(b"\x00\x00\xfe\xff")?, true),
        other => panic!("unknown encoding `{other}` in the corpus"),
    }
}

fn corpus_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("testdata/requirements/differential")
}

/// Every case of the corpus: the `.jsonl` files, then each file of `real/` as it is.
fn corpus() -> Vec<Case> {
    let dir = corpus_dir();
    let mut cases = Vec::new();
    let mut names: Vec<PathBuf> = fs_err::read_dir(&dir)
        .unwrap()
        .map(|entry| entry.unwrap().path())
        .collect();
    names.sort();
    for path in names
        .iter()
        .filter(|path| path.extension().is_some_and(|e| e == "jsonl"))
    {
        for (number, line) in fs_err::read_to_string(path).unwrap().lines().enumerate() {
            let case: Case = serde_json::from_str(line)
                .unwrap_or_else(|error| panic!("{}:{}: {error}", path.display(), number + 1));
            cases.push(case);
        }
    }
    let mut real: Vec<PathBuf> = fs_err::read_dir(dir.join("real"))
        .unwrap()
        .map(|entry| entry.unwrap().path())
        .collect();
    real.sort();
    for path in real {
        let name = path.file_name().unwrap().to_string_lossy().into_owned();
        cases.push(Case {
            id: format!("real/{name}"),
            origin: format!("real/{name} (see README.md there)"),
            text: fs_err::read_to_string(&path).unwrap(),
            encoding: None,
            files: BTreeMap::new(),
            env: BTreeMap::new(),
            mutations: Vec::new(),
        });
    }
    let mut ids = BTreeSet::new();
    for case in &cases {
        assert!(
            ids.insert(case.id.clone()),
            "duplicate case id `{}`",
            case.id
        );
    }
    cases
}

/// SplitMix64: a small, fixed generator, so that a seed names the same mutations everywhere.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9e37_79b9_7f4a_7c15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
        z ^ (z >> 31)
    }

    fn below(&mut self, n: usize) -> usize {
        usize::try_from(self.next() % (n as u64)).unwrap()
    }

    fn pick<'a, T>(&mut self, items: &'a [T]) -> &'a T {
        &items[self.below(items.len())]
    }

    fn hex(&mut self, len: usize) -> String {
        (0..len)
            .map(|_| char::from_digit(u32::try_from(self.below(16)).unwrap(), 16).unwrap())
            .collect()
    }
}

/// What a mutation does to a text; each is named, and the names go with the case.
const OPERATORS: &[&str] = &[
    "crlf",
    "mixed-crlf",
    "lone-cr",
    "unicode-line-break",
    "no-final-newline",
    "blank-line",
    "continuation-split",
    "continuation-at-eof",
    "backslash-joins-next",
    "tab",
    "indent",
    "trailing-space",
    "comment-inline",
    "comment-line",
    "comment-backslash",
    "comment-no-space",
    "bom",
    "nbsp",
    "env-var",
    "env-var-empty",
    "env-var-unset",
    "duplicate-line",
    "duplicate-option",
    "hash",
    "option-line",
    "pinned-line",
];

/// Lines of a text split after each `\n`, each with its ending.
fn lines_of(text: &str) -> Vec<String> {
    text.split_inclusive('\n').map(str::to_string).collect()
}

/// What `str.splitlines` breaks a line at (`\r\n` counts once).
const LINE_BREAKS: [char; 10] = [
    '\n', '\r', '\u{b}', '\u{c}', '\u{1c}', '\u{1d}', '\u{1e}', '\u{85}', '\u{2028}', '\u{2029}',
];

/// `text.splitlines(keepends=True)`.
fn physical_lines(text: &str) -> Vec<&str> {
    let mut lines = Vec::new();
    let mut start = 0;
    let mut characters = text.char_indices().peekable();
    while let Some((at, character)) = characters.next() {
        if !LINE_BREAKS.contains(&character) {
            continue;
        }
        let mut end = at + character.len_utf8();
        if character == '\r' && characters.peek().is_some_and(|(_, next)| *next == '\n') {
            characters.next();
            end += 1;
        }
        lines.push(&text[start..end]);
        start = end;
    }
    if start < text.len() {
        lines.push(&text[start..]);
    }
    lines
}

/// A line without its ending, and the ending.
fn split_ending(line: &str) -> (&str, &str) {
    let body = line.trim_end_matches(['\n', '\r']);
    (body, &line[body.len()..])
}

/// Applies `edit` to the body of one line chosen by `rng` among those `wanted` accepts.
fn edit_line(
    rng: &mut Rng,
    text: &str,
    wanted: impl Fn(&str) -> bool,
    edit: impl FnOnce(&mut Rng, &str) -> String,
) -> String {
    let mut lines = lines_of(text);
    let candidates: Vec<usize> = (0..lines.len())
        .filter(|&index| wanted(split_ending(&lines[index]).0))
        .collect();
    if candidates.is_empty() {
        return text.to_string();
    }
    let index = *rng.pick(&candidates);
    let (body, ending) = split_ending(&lines[index]);
    let replaced = format!("{}{ending}", edit(rng, body));
    lines[index] = replaced;
    lines.concat()
}

/// Inserts `line` (with the text's first line ending) before a line chosen by `rng`.
fn insert_line(rng: &mut Rng, text: &str, line: &str) -> String {
    let ending = if text.contains("\r\n") { "\r\n" } else { "\n" };
    let mut lines = lines_of(text);
    if let Some(last) = lines.last_mut()
        && !last.ends_with('\n')
    {
        last.push_str(ending);
    }
    let index = rng.below(lines.len() + 1);
    lines.insert(index, format!("{line}{ending}"));
    lines.concat()
}

/// Replaces one occurrence of `from`, chosen by `rng`, with `to`.
fn replace_one(rng: &mut Rng, text: &str, from: &str, to: &str) -> String {
    let positions: Vec<usize> = text.match_indices(from).map(|(at, _)| at).collect();
    if positions.is_empty() {
        return text.to_string();
    }
    let at = *rng.pick(&positions);
    format!("{}{to}{}", &text[..at], &text[at + from.len()..])
}

fn is_requirement_line(body: &str) -> bool {
    let trimmed = body.trim_start();
    !trimmed.is_empty() && !trimmed.starts_with('#') && !trimmed.starts_with('-')
}

/// A `--hash` option as people and tools write them, valid or not.
fn hash_variant(rng: &mut Rng) -> String {
    let digest = rng.hex(64);
    match rng.below(12) {
        0 => format!(" --hash=sha256:{digest}"),
        1 => format!(" --hash sha256:{digest}"),
        2 => format!(" --hash=sha256:{}", digest.to_uppercase()),
        3 => format!(" --hash=SHA256:{digest}"),
        4 => format!(" --hash=sha512:{}", rng.hex(128)),
        5 => format!(" --hash=md5:{}", rng.hex(32)),
        6 => format!(" --hash={digest}"),
        7 => format!(" --hash=sha256:{}", &digest[1..]),
        8 => format!(" --hash sha256:{digest} sha256:{}", rng.hex(64)),
        9 => format!(" --hash='sha256:{digest}'"),
        10 => format!(" \\\n    --hash=sha256:{digest}"),
        _ => format!(" --hash=sha256:{digest} --hash=sha256:{digest}"),
    }
}

/// One mutation of `parent`: one to three operators, each recorded by name.
fn mutate(rng: &mut Rng, parent: &Case, number: usize) -> Case {
    let mut text = parent.text.clone();
    let mut env = parent.env.clone();
    let mut applied = Vec::new();
    for _ in 0..=rng.below(3) {
        let operator = *rng.pick(OPERATORS);
        applied.push(operator.to_string());
        text = match operator {
            "crlf" if !text.contains('\r') => text.replace('\n', "\r\n"),
            "crlf" | "mixed-crlf" => replace_one(rng, &text, "\n", "\r\n"),
            "lone-cr" => replace_one(rng, &text, "\n", "\r"),
            "unicode-line-break" => {
                let to = *rng.pick(&["\u{b}", "\u{c}", "\u{85}", "\u{2028}", "\u{1e}"]);
                replace_one(rng, &text, "\n", to)
            }
            "no-final-newline" => text.trim_end_matches(['\n', '\r']).to_string(),
            "blank-line" => {
                let line = *rng.pick(&["", "   ", "\t"]);
                insert_line(rng, &text, line)
            }
            "continuation-split" => edit_line(
                rng,
                &text,
                |body| body.trim().contains(' '),
                |rng, body| {
                    let spaces: Vec<usize> = body
                        .trim_end()
                        .match_indices(' ')
                        .map(|(at, _)| at)
                        .filter(|&at| at > 0)
                        .collect();
                    match spaces.is_empty() {
                        true => body.to_string(),
                        false => {
                            let at = *rng.pick(&spaces);
                            format!("{} \\\n    {}", &body[..at], &body[at + 1..])
                        }
                    }
                },
            ),
            "continuation-at-eof" => {
                let trimmed = text.trim_end_matches(['\n', '\r']).to_string();
                if rng.below(2) == 0 {
                    format!("{trimmed} \\")
                } else {
                    format!("{trimmed} \\\n")
                }
            }
            "backslash-joins-next" => {
                edit_line(rng, &text, |_| true, |_, body| format!("{body} \\"))
            }
            "tab" => replace_one(rng, &text, " ", "\t"),
            "indent" => edit_line(
                rng,
                &text,
                |_| true,
                |rng, body| format!("{}{body}", rng.pick(&["\t", "  ", " \t "])),
            ),
            "trailing-space" => edit_line(rng, &text, |_| true, |_, body| format!("{body} \t ")),
            "comment-inline" => {
                edit_line(rng, &text, |_| true, |_, body| format!("{body}  # a note"))
            }
            "comment-line" => insert_line(rng, &text, "# a note"),
            "comment-backslash" => insert_line(rng, &text, "# a note \\"),
            "comment-no-space" => edit_line(rng, &text, is_requirement_line, |_, body| {
                format!("{body}#note")
            }),
            "bom" => format!("\u{feff}{text}"),
            "nbsp" => replace_one(rng, &text, " ", "\u{a0}"),
            "env-var" | "env-var-empty" | "env-var-unset" => {
                let name = format!("HASHPIN_DIFF_{number}_{}", applied.len());
                let mut original = None;
                let replaced = edit_line(rng, &text, is_requirement_line, |_, body| {
                    let start = body.len() - body.trim_start().len();
                    let end = body[start..]
                        .find(|c: char| !(c.is_ascii_alphanumeric() || "._-".contains(c)))
                        .map_or(body.len(), |end| start + end);
                    original = Some(body[start..end].to_string());
                    format!("{}${{{name}}}{}", &body[..start], &body[end..])
                });
                match (operator, original) {
                    ("env-var", Some(value)) => {
                        env.insert(name, value);
                    }
                    ("env-var-empty", Some(_)) => {
                        env.insert(name, String::new());
                    }
                    _ => {}
                }
                replaced
            }
            "duplicate-line" => {
                let mut lines = lines_of(&text);
                if !lines.is_empty() {
                    let index = rng.below(lines.len());
                    let mut copy = lines[index].clone();
                    if !copy.ends_with('\n') {
                        copy.push('\n');
                    }
                    lines.insert(index, copy);
                }
                lines.concat()
            }
            "duplicate-option" => {
                if text.contains(" --") {
                    edit_line(
                        rng,
                        &text,
                        |body| body.contains(" --"),
                        |_, body| {
                            let at = body.find(" --").unwrap();
                            let option = body[at..].split_whitespace().next().unwrap().to_string();
                            format!("{body} {option}")
                        },
                    )
                } else {
                    let line = *rng.pick(&["--pre", "--no-index", "--prefer-binary"]);
                    let once = insert_line(rng, &text, line);
                    insert_line(rng, &once, line)
                }
            }
            "hash" => {
                let hash = hash_variant(rng);
                edit_line(rng, &text, is_requirement_line, |_, body| {
                    format!("{body}{hash}")
                })
            }
            "option-line" => {
                let line = *rng.pick(&[
                    "--pre",
                    "--prefer-binary",
                    "--require-hashes",
                    "--no-binary :all:",
                    "--only-binary=:none:",
                    "-i https://pypi.example/simple/",
                    "--index-url=https://pypi.example/simple/",
                    "--extra-index-url https://extra.example/simple/",
                    "--trusted-host pypi.example",
                    "--no-index",
                    "-f ./wheels",
                ]);
                insert_line(rng, &text, line)
            }
            "pinned-line" => {
                let line = *rng.pick(&["added==1.0", "Added_Pkg == 2.0.1", "x[y]==3"]);
                insert_line(rng, &text, line)
            }
            _ => text,
        };
    }
    Case {
        id: format!("mutation/{number:04}"),
        origin: format!("{} mutated: {}", parent.id, applied.join(", ")),
        text,
        encoding: None,
        files: parent.files.clone(),
        env,
        mutations: applied,
    }
}

/// The seeded mutations of the corpus's UTF-8 cases.
fn mutations(corpus: &[Case], seed: u64, count: usize) -> Vec<Case> {
    let parents: Vec<&Case> = corpus.iter().filter(|case| !case.not_utf8()).collect();
    let mut rng = Rng(seed);
    (0..count)
        .map(|number| {
            let parent = parents[rng.below(parents.len())];
            mutate(&mut rng, parent, number)
        })
        .collect()
}

/// The oracle's interpreter: a virtual environment under the cargo target directory with
/// exact pip and packaging, made once (and kept for the next run).
fn oracle_python() -> &'static Path {
    static PYTHON: OnceLock<PathBuf> = OnceLock::new();
    PYTHON.get_or_init(|| {
        tool_venv(
            &format!("pip-oracle-{PIP_VERSION}-packaging-{PACKAGING_VERSION}"),
            &[
                &format!("pip=={PIP_VERSION}"),
                &format!("packaging=={PACKAGING_VERSION}"),
            ],
        )
        .join("bin/python")
    })
}

/// What one side read: both sides in the oracle's shape.
#[derive(Debug, Clone, Deserialize)]
struct Reading {
    accepted: bool,
    error: Option<String>,
    requirements: Vec<BTreeMap<String, Value>>,
    options: Vec<Value>,
}

/// One line of the oracle's answer.
#[derive(Debug, Deserialize)]
struct Answer {
    key: String,
    #[serde(default)]
    pip: Option<Reading>,
    #[serde(default)]
    hashpin: Option<Reading>,
    #[serde(default)]
    crash: Option<String>,
}

/// One case as the oracle takes it.
struct OracleCase<'a> {
    key: String,
    dir: &'a Path,
    env: &'a BTreeMap<String, String>,
    hashpin: Option<&'a Value>,
}

/// Runs the oracle once for every case.
fn ask_oracle(cases: &[OracleCase<'_>]) -> BTreeMap<String, Answer> {
    let input = serde_json::json!({
        "cases": cases.iter().map(|case| serde_json::json!({
            "key": case.key,
            "dir": case.dir,
            "roots": ["requirements.txt"],
            "env": case.env,
            "hashpin": case.hashpin,
        })).collect::<Vec<_>>(),
    });
    let script = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/integration/pip_oracle.py");
    let mut command = Command::new(oracle_python());
    hermetic(&mut command);
    let mut child = command
        .arg(script)
        .env("LC_ALL", "C.UTF-8")
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("the oracle starts");
    let mut stdin = child.stdin.take().unwrap();
    let writer = std::thread::spawn(move || stdin.write_all(input.to_string().as_bytes()));
    let output = child.wait_with_output().unwrap();
    writer.join().unwrap().unwrap();
    assert!(
        output.status.success(),
        "the oracle failed:\n{}",
        String::from_utf8_lossy(&output.stderr)
    );
    let mut answers = BTreeMap::new();
    for line in String::from_utf8(output.stdout).unwrap().lines() {
        let answer: Answer = serde_json::from_str(line).unwrap();
        if let Some(crash) = &answer.crash {
            panic!("the oracle crashed on `{}`:\n{crash}", answer.key);
        }
        answers.insert(answer.key.clone(), answer);
    }
    assert_eq!(answers.len(), cases.len(), "one answer per case");
    answers
}

/// How pip and hashpin differ on one case.
#[derive(Debug, Clone)]
enum Disagreement {
    /// pip accepts, hashpin refuses.
    HashpinRefuses { error: String },
    /// hashpin accepts, pip refuses.
    PipRefuses { error: String },
    /// Both accept, with a different number of requirements.
    Count { pip: usize, hashpin: usize },
    /// Both accept; one field of one requirement differs.
    Field {
        field: String,
        pip: Value,
        hashpin: Value,
    },
    /// Both accept; the options of option lines differ.
    Options { pip: Value, hashpin: Value },
    /// Locking the case twice went wrong.
    Lock { step: &'static str, detail: String },
}

impl std::fmt::Display for Disagreement {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Self::HashpinRefuses { error } => write!(f, "pip accepts, hashpin refuses: {error}"),
            Self::PipRefuses { error } => write!(f, "hashpin accepts, pip refuses: {error}"),
            Self::Count { pip, hashpin } => {
                write!(f, "pip reads {pip} requirements, hashpin {hashpin}")
            }
            Self::Field {
                field,
                pip,
                hashpin,
            } => write!(f, "`{field}` differs: pip {pip}, hashpin {hashpin}"),
            Self::Options { pip, hashpin } => {
                write!(f, "options differ: pip {pip}, hashpin {hashpin}")
            }
            Self::Lock { step, detail } => write!(f, "lock twice, {step}: {detail}"),
        }
    }
}

/// The fields compared, in the order reported.
const FIELDS: &[&str] = &[
    "file",
    "line",
    "name",
    "extras",
    "specifier",
    "marker",
    "url",
    "hashes",
    "options",
    "constraint",
];

/// Every way the two readings of one case differ.
fn compare(pip: &Reading, hashpin: &Reading) -> Vec<Disagreement> {
    match (pip.accepted, hashpin.accepted) {
        (false, false) => return Vec::new(),
        (true, false) => {
            return vec![Disagreement::HashpinRefuses {
                error: hashpin.error.clone().unwrap_or_default(),
            }];
        }
        (false, true) => {
            return vec![Disagreement::PipRefuses {
                error: pip.error.clone().unwrap_or_default(),
            }];
        }
        (true, true) => {}
    }
    let mut found = Vec::new();
    if pip.options != hashpin.options {
        found.push(Disagreement::Options {
            pip: Value::from(pip.options.clone()),
            hashpin: Value::from(hashpin.options.clone()),
        });
    }
    if pip.requirements.len() != hashpin.requirements.len() {
        found.push(Disagreement::Count {
            pip: pip.requirements.len(),
            hashpin: hashpin.requirements.len(),
        });
        return found;
    }
    for (theirs, ours) in pip.requirements.iter().zip(&hashpin.requirements) {
        // A bare URL or path: pip names it after its wheel filename or `#egg=`; hashpin keeps
        // it unnamed, and the URL is what both read.
        let named_by_pip_only = ours["name"].is_null() && theirs["named_from_link"] == true;
        for &field in FIELDS {
            if named_by_pip_only && matches!(field, "name" | "specifier") {
                continue;
            }
            if theirs[field] != ours[field] {
                found.push(Disagreement::Field {
                    field: field.to_string(),
                    pip: theirs[field].clone(),
                    hashpin: ours[field].clone(),
                });
            }
        }
    }
    found
}

/// A deliberate difference, or a bug not fixed yet.
struct Known {
    /// A short id, for the summary.
    id: &'static str,
    /// Why hashpin differs: "deliberate: …" or "bug: …".
    reason: &'static str,
    /// Which disagreements of which cases it covers.
    matches: fn(&Case, &Disagreement) -> bool,
}

fn refused_by_hashpin(disagreement: &Disagreement, words: &[&str]) -> bool {
    matches!(disagreement, Disagreement::HashpinRefuses { error }
        if words.iter().any(|word| error.contains(word)))
}

fn refused_by_pip(disagreement: &Disagreement, words: &[&str]) -> bool {
    matches!(disagreement, Disagreement::PipRefuses { error }
        if words.iter().any(|word| error.contains(word)))
}

/// Whether two option lists hold the same facts, however often each.
fn same_facts(pip: &Value, hashpin: &Value) -> bool {
    let set = |value: &Value| -> BTreeSet<String> {
        value
            .as_array()
            .map(|items| items.iter().map(ToString::to_string).collect())
            .unwrap_or_default()
    };
    set(pip) == set(hashpin)
}

/// The one table of known differences. A row that matches nothing is reported, not failed:
/// the bug it names was fixed, or this run's mutations did not meet it (some rows are met only
/// with other seeds).
const KNOWN: &[Known] = &[
    // --- Deliberate: hashpin is stricter where pip would go on and fail later, or silently.
    Known {
        id: "hash-format",
        reason: "deliberate: hashpin refuses a `--hash` that can never match (not hex of the \
                 algorithm's length, md5, no algorithm); pip reads it and fails at install",
        matches: |_, d| {
            refused_by_hashpin(
                d,
                &[
                    "digest must be",
                    "unsupported hash algorithm",
                    "expected `<algorithm>:<hex>`",
                    "hash algorithm",
                    "must be written in lower case",
                ],
            )
        },
    },
    Known {
        id: "stray-word",
        reason: "deliberate: hashpin refuses a word among options that is no option's value \
                 (`--hash sha256:a sha256:b`, a lone `-`); pip silently drops it",
        matches: |_, d| refused_by_hashpin(d, &["among options"]),
    },
    Known {
        id: "orphan-hash",
        reason: "deliberate: hashpin refuses a `--hash` on a line of its own, which pip drops \
                 with a warning",
        matches: |_, d| refused_by_hashpin(d, &["must follow a requirement"]),
    },
    Known {
        id: "credentials-hidden",
        reason: "deliberate: `hashpin parse` never prints credentials; the user part of a URL is \
                 shown as `****`",
        matches: |_, d| match d {
            Disagreement::Field { field, hashpin, .. } => {
                field == "url" && hashpin.to_string().contains("****")
            }
            Disagreement::Options { hashpin, .. } => hashpin.to_string().contains("****"),
            _ => false,
        },
    },
    Known {
        id: "include-once",
        reason: "deliberate: a file included twice (a diamond of `-r`) is read once; pip reads \
                 its requirements twice, which installs the same",
        matches: |case, d| {
            !case.files.is_empty()
                && match d {
                    Disagreement::Count { .. } => true,
                    Disagreement::Options { pip, hashpin } => same_facts(pip, hashpin),
                    _ => false,
                }
        },
    },
    Known {
        id: "no-disk",
        reason: "deliberate: parsing does not look at the disk; pip refuses a local directory \
                 that is not a project, or a path-like word that names no file",
        matches: |_, d| {
            refused_by_pip(
                d,
                &[
                    "is not installable",
                    "It looks like a path",
                    // A path-like word that is no directory: pip then reads it as a name.
                    "Expected package name at the start",
                ],
            )
        },
    },
    Known {
        id: "newer-packaging",
        reason: "deliberate: hashpin refuses non-ASCII letters in versions, as packaging 26.4 \
                 does (pypa/packaging#469); pip 26.3 vendors packaging 26.3, which accepts them",
        matches: |_, d| refused_by_hashpin(d, &["only ASCII"]),
    },
    Known {
        id: "comment-swallows-line",
        reason: "deliberate: lock refuses a requirement whose comment ends in `\\`: pip joins \
                 the next line into the comment and never reads it (often the `--hash` meant \
                 for it); `hashpin parse` reads the file as pip does",
        matches: |_, d| {
            matches!(d, Disagreement::Lock { detail, .. }
                if detail.contains("this comment ends with `\\`"))
        },
    },
    Known {
        id: "include-line",
        reason: "deliberate: hashpin refuses other options on a `-r`/`-c` line; pip opens only \
                 the line's first file and silently ignores the rest",
        matches: |_, d| refused_by_hashpin(d, &["shares a line with `-r`/`-c`"]),
    },
    Known {
        id: "editable-unchecked",
        reason: "deliberate: hashpin never locks an editable (`-e`), so it does not look at its \
                 value; pip refuses one that is neither a local project nor a VCS URL",
        matches: |_, d| refused_by_pip(d, &["is not a valid editable requirement"]),
    },
    Known {
        id: "file-url-dot",
        reason: "deliberate: `file:.` (the current directory, which is never locked) is shown as \
                 pep508_rs normalizes it, `file:///`; pip shows `file:///.`",
        matches: |case, d| {
            matches!(d, Disagreement::Field { field, pip, hashpin }
                if field == "url"
                    && pip.as_str().map(|url| url.replacen("/.", "/", 1)).as_deref()
                        == hashpin.as_str())
                && case.all_text().contains("file:")
        },
    },
];

/// A case, both readings, and what differs.
struct Outcome {
    case: Case,
    dir: PathBuf,
    hashpin: Value,
    pip: Reading,
    disagreements: Vec<Disagreement>,
}

/// Runs `hashpin parse --format json` for every case, two at a time.
fn hashpin_parse_all(context: &TestContext, cases: &[(Case, PathBuf)]) -> Vec<Value> {
    let run = |(case, dir): &(Case, PathBuf)| -> Value {
        let output = context
            .command()
            .current_dir(dir)
            .envs(&case.env)
            .args(["parse", "requirements.txt", "--format", "json"])
            .output()
            .expect("hashpin runs");
        let code = output.status.code();
        match serde_json::from_slice::<Value>(&output.stdout) {
            Ok(report) if code == Some(0) || code == Some(2) => report,
            // Input errors hashpin reports before parsing (not UTF-8): one error, no line.
            _ if code == Some(2) => serde_json::json!({
                "requirements": [], "options": [],
                "errors": [{"file": "requirements.txt", "line": 0, "column": 0,
                            "message": String::from_utf8_lossy(&output.stderr).trim()}],
            }),
            _ => panic!(
                "`hashpin parse` failed on `{}` ({code:?}):\n{}",
                case.id,
                String::from_utf8_lossy(&output.stderr)
            ),
        }
    };
    let half = cases.len().div_ceil(2);
    std::thread::scope(|scope| {
        let first = scope.spawn(|| cases[..half].iter().map(run).collect::<Vec<_>>());
        let second: Vec<Value> = cases[half..].iter().map(run).collect();
        let mut all = first.join().unwrap();
        all.extend(second);
        all
    })
}

#[test]
fn hashpin_reads_requirements_files_as_pip_does() {
    let started = Instant::now();
    let seed = std::env::var("HASHPIN_DIFFERENTIAL_SEED")
        .ok()
        .map_or(SEED, |seed| seed.parse().expect("a number"));
    let corpus = corpus();
    let corpus_files = corpus.len();
    let mutated = mutations(&corpus, seed, MUTATIONS);
    let context = TestContext::new();
    let cases: Vec<(Case, PathBuf)> = corpus
        .into_iter()
        .chain(mutated)
        .enumerate()
        .map(|(index, case)| {
            let dir = context.path(&format!("cases/{index:05}"));
            case.write(&dir);
            (case, dir)
        })
        .collect();
    let reports = hashpin_parse_all(&context, &cases);
    let questions: Vec<OracleCase<'_>> = cases
        .iter()
        .zip(&reports)
        .map(|((case, dir), report)| OracleCase {
            key: case.id.clone(),
            dir,
            env: &case.env,
            hashpin: Some(report),
        })
        .collect();
    let mut answers = ask_oracle(&questions);
    let mut outcomes: Vec<Outcome> = cases
        .into_iter()
        .zip(reports)
        .map(|((case, dir), hashpin)| {
            let answer = answers.remove(&case.id).unwrap();
            let pip = answer.pip.unwrap();
            let disagreements = compare(&pip, answer.hashpin.as_ref().unwrap());
            Outcome {
                case,
                dir,
                hashpin,
                pip,
                disagreements,
            }
        })
        .collect();
    let parse_time = started.elapsed();
    let locked = lock_twice(&context, &mut outcomes);
    judge(&outcomes, corpus_files, seed, locked, parse_time, started);
}

/// Sorts every disagreement into the known rows, prints the summary, and fails on the rest.
fn judge(
    outcomes: &[Outcome],
    corpus_files: usize,
    seed: u64,
    locked: usize,
    parse_time: std::time::Duration,
    started: Instant,
) {
    let mut by_row: BTreeMap<&str, usize> = KNOWN.iter().map(|row| (row.id, 0)).collect();
    let mut agreed = 0;
    let mut both_refuse = 0;
    let mut unexplained = String::new();
    // `HASHPIN_DIFFERENTIAL_SHOW=<row id>` prints the cases a row explains, to work on them.
    let show = std::env::var("HASHPIN_DIFFERENTIAL_SHOW").unwrap_or_default();
    let mut shown = String::new();
    for outcome in outcomes {
        if outcome.disagreements.is_empty() {
            agreed += 1;
            if !outcome.pip.accepted {
                both_refuse += 1;
            }
            continue;
        }
        let mut rows = BTreeSet::new();
        for disagreement in &outcome.disagreements {
            match KNOWN
                .iter()
                .find(|row| (row.matches)(&outcome.case, disagreement))
            {
                Some(row) => {
                    rows.insert(row.id);
                    if row.id == show {
                        let _ = writeln!(
                            shown,
                            "{}: {:?}\n  {disagreement}\n",
                            outcome.case.id, outcome.case.text
                        );
                    }
                }
                None => {
                    let _ = writeln!(
                        unexplained,
                        "{} ({}; mutations {:?}):\n  text: {:?}\n  files: {:?}\n  env: {:?}\n  {disagreement}\n  hashpin: {}\n",
                        outcome.case.id,
                        outcome.case.origin,
                        outcome.case.mutations,
                        outcome.case.text,
                        outcome.case.files,
                        outcome.case.env,
                        outcome.hashpin
                    );
                }
            }
        }
        for row in rows {
            *by_row.get_mut(row).unwrap() += 1;
        }
    }
    let mut summary = format!(
        "differential: {} cases ({corpus_files} from the corpus, {} mutations with seed {seed}); \
         {agreed} agreed ({both_refuse} of them refused by both); {locked} locked twice; \
         parse {:.1}s, total {:.1}s\nknown differences (cases):\n",
        outcomes.len(),
        outcomes.len() - corpus_files,
        parse_time.as_secs_f64(),
        started.elapsed().as_secs_f64(),
    );
    for row in KNOWN {
        let count = by_row[row.id];
        let note = if count == 0 {
            "  (no case differs so this run)"
        } else {
            ""
        };
        let _ = writeln!(summary, "  {:<24} {count:>5}{note}  {}", row.id, row.reason);
    }
    print_summary(&summary);
    if !shown.is_empty() {
        print_summary(&shown);
    }
    assert!(
        unexplained.is_empty(),
        "disagreements with pip that no row of KNOWN explains:\n\n{unexplained}"
    );
}

#[expect(
    clippy::print_stderr,
    reason = "the summary is what this test reports, shown with --nocapture"
)]
fn print_summary(summary: &str) {
    eprintln!("{summary}");
}

/// A requirement `==` pins: (name, release, version as written in an sdist filename).
type Pin = (String, String, String);

/// One generated sdist per release: by (name, release), the version its filename spells and
/// its hash. One file per release (two sdists spelling one version two ways, `1.0` and
/// `1.0.0`, are tested apart: `regression::two_sdists_spelling_one_version_two_ways_are_two_files`).
type Artifacts = BTreeMap<(String, String), (String, String)>;

/// A tiny valid sdist: a gzip'd tar with `<name>-<version>/PKG-INFO`.
pub(crate) fn sdist(name: &str, version: &str) -> (String, Vec<u8>) {
    let stem = format!("{}-{version}", name.replace(['-', '.'], "_"));
    let metadata = format!("Metadata-Version: 2.1\nName: {name}\nVersion: {version}\n");
    let mut builder = tar::Builder::new(flate2::write::GzEncoder::new(
        Vec::new(),
        flate2::Compression::default(),
    ));
    let mut header = tar::Header::new_gnu();
    header.set_size(metadata.len() as u64);
    header.set_mode(0o644);
    header.set_mtime(0);
    header.set_cksum();
    builder
        .append_data(&mut header, format!("{stem}/PKG-INFO"), metadata.as_bytes())
        .unwrap();
    let bytes = builder.into_inner().unwrap().finish().unwrap();
    (format!("{stem}.tar.gz"), bytes)
}

/// The pins of a reading's requirements as (name, release, version), or `None` when some
/// requirement is not a plain `==` pin hashpin can lock here: a URL, a hash already, an option,
/// or an index option that would send hashpin to the network.
fn lockable_pins(pip: &Reading) -> Option<Vec<Pin>> {
    let mut pins = Vec::new();
    for requirement in &pip.requirements {
        if requirement["constraint"] == true {
            continue;
        }
        let (Some(name), Some(release), Some(version)) = (
            requirement["name"].as_str(),
            requirement["release"].as_str(),
            requirement["pin"].as_str(),
        ) else {
            return None;
        };
        if !requirement["url"].is_null()
            || requirement["hashes"] != Value::Array(Vec::new())
            || requirement["options"] != Value::Array(Vec::new())
        {
            return None;
        }
        pins.push((name.to_string(), release.to_string(), version.to_string()));
    }
    let network = ["index_url", "extra_index_urls", "find_links"];
    let any_network = pip.options.iter().any(|option| {
        option["fact"][0]
            .as_str()
            .is_some_and(|dest| network.contains(&dest))
    });
    (!pins.is_empty() && !any_network).then_some(pins)
}

/// Every file of a case's directory, relative to it, with its bytes.
fn files_of(dir: &Path) -> BTreeMap<PathBuf, Vec<u8>> {
    fn walk(root: &Path, dir: &Path, out: &mut BTreeMap<PathBuf, Vec<u8>>) {
        for entry in fs_err::read_dir(dir).unwrap() {
            let path = entry.unwrap().path();
            if path.is_dir() {
                walk(root, &path, out);
            } else {
                out.insert(
                    path.strip_prefix(root).unwrap().to_path_buf(),
                    fs_err::read(&path).unwrap(),
                );
            }
        }
    }
    let mut out = BTreeMap::new();
    walk(dir, dir, &mut out);
    out
}

/// The text with every requirement entry taken out: its physical lines (a `\` continues one,
/// as hashpin reads it) and the `# hashpin:` lines that follow it. What remains is what a lock
/// must keep byte for byte. Also the first line of every entry whose lines end in more than
/// one way (`\n` and `\r\n`).
fn outside_entries(text: &str, entry_lines: &BTreeSet<usize>) -> (String, Vec<usize>) {
    // Lines as pip numbers them: `str.splitlines`, so `\r`, `\v`, `\f`, … end lines too.
    let lines = physical_lines(text);
    fn ending(line: &str) -> &str {
        let body = line.trim_end_matches(LINE_BREAKS);
        if line.ends_with("\r\n") {
            "\r\n"
        } else {
            &line[body.len()..]
        }
    }
    let mut kept = String::new();
    let mut mixed = Vec::new();
    let mut index = 0;
    while index < lines.len() {
        if !entry_lines.contains(&(index + 1)) {
            kept.push_str(lines[index]);
            index += 1;
            continue;
        }
        let first = index;
        while index < lines.len() {
            let body = lines[index].trim_end_matches(LINE_BREAKS);
            index += 1;
            let comment = body.trim_start().starts_with('#');
            if !body.ends_with('\\') || (comment && index > first + 1) {
                break;
            }
        }
        while index < lines.len() && lines[index].trim_start().starts_with("# hashpin:") {
            index += 1;
        }
        let endings: BTreeSet<&str> = lines[first..index]
            .iter()
            .map(|line| ending(line))
            .filter(|ending| !ending.is_empty())
            .collect();
        if endings.len() > 1 {
            mixed.push(first + 1);
        }
    }
    (kept, mixed)
}

/// Entry first lines by file, from a `hashpin parse` report.
fn entry_lines(report: &Value) -> BTreeMap<PathBuf, BTreeSet<usize>> {
    let mut out: BTreeMap<PathBuf, BTreeSet<usize>> = BTreeMap::new();
    for requirement in report["requirements"].as_array().unwrap() {
        let file = PathBuf::from(requirement["file"].as_str().unwrap());
        let line = usize::try_from(requirement["line"].as_u64().unwrap()).unwrap();
        out.entry(file).or_default().insert(line);
    }
    out
}

/// Locks every case both sides accept that pins with `==`, twice; records what went wrong as
/// `Lock` disagreements. Returns how many cases were locked.
fn lock_twice(context: &TestContext, outcomes: &mut [Outcome]) -> usize {
    let candidates: Vec<(usize, Vec<Pin>)> = (0..outcomes.len())
        .filter(|&index| {
            let outcome = &outcomes[index];
            outcome.pip.accepted
                && outcome.hashpin["errors"] == Value::Array(Vec::new())
                && !outcome
                    .disagreements
                    .iter()
                    .any(|d| matches!(d, Disagreement::HashpinRefuses { .. }))
        })
        .filter_map(|index| lockable_pins(&outcomes[index].pip).map(|pins| (index, pins)))
        .collect();
    // Each case gets its own find-links directory: `==1.0` also takes `1.0+local`, so sdists
    // of other cases would join its lock.
    let find_links = |index: usize, pins: &[Pin]| -> (String, Artifacts) {
        let links = context.path(&format!("links/{index:05}"));
        fs_err::create_dir_all(&links).unwrap();
        let mut artifacts: Artifacts = BTreeMap::new();
        for (name, release, version) in pins {
            artifacts
                .entry((name.clone(), release.clone()))
                .or_insert_with(|| (version.clone(), String::new()));
        }
        for ((name, _), (version, sha256)) in &mut artifacts {
            let (filename, bytes) = sdist(name, version);
            *sha256 = format!("sha256:{}", hex::encode(Sha256::digest(&bytes)));
            fs_err::write(links.join(filename), bytes).unwrap();
        }
        (links.to_str().unwrap().to_string(), artifacts)
    };
    let lock = |dir: &Path, env: &BTreeMap<String, String>, links: &str| {
        context
            .command()
            .current_dir(dir)
            .envs(env)
            .args(["lock", "--no-index", "-f", links, "requirements.txt"])
            .output()
            .expect("hashpin runs")
    };
    let parse = |dir: &Path, env: &BTreeMap<String, String>| -> Value {
        let output = context
            .command()
            .current_dir(dir)
            .envs(env)
            .args(["parse", "requirements.txt", "--format", "json"])
            .output()
            .expect("hashpin runs");
        serde_json::from_slice(&output.stdout).unwrap_or(Value::Null)
    };
    // Each worker locks its share; what went wrong is collected by case index.
    let work = |cases: &[(usize, Vec<Pin>)],
                outcomes: &[Outcome]|
     -> Vec<(usize, Vec<Disagreement>, Option<PathBuf>, Artifacts)> {
        cases
            .iter()
            .map(|(index, pins)| {
                let index = *index;
                let outcome = &outcomes[index];
                let (links, artifacts) = find_links(index, pins);
                let dir = context.path(&format!("locked/{index:05}"));
                let original = files_of(&outcome.dir);
                for (path, bytes) in &original {
                    fs_err::create_dir_all(dir.join(path).parent().unwrap()).unwrap();
                    fs_err::write(dir.join(path), bytes).unwrap();
                }
                let env = &outcome.case.env;
                let mut found = Vec::new();
                let first = lock(&dir, env, &links);
                if !first.status.success() {
                    found.push(Disagreement::Lock {
                        step: "first lock refused",
                        detail: String::from_utf8_lossy(&first.stderr).trim().to_string(),
                    });
                    return (index, found, None, artifacts);
                }
                let once = files_of(&dir);
                let second = lock(&dir, env, &links);
                let twice = files_of(&dir);
                if !second.status.success() || once != twice {
                    found.push(Disagreement::Lock {
                        step: "second lock changed the file",
                        detail: format!(
                            "exit {:?}; first:\n{}\nsecond:\n{}",
                            second.status.code(),
                            show(&once),
                            show(&twice)
                        ),
                    });
                }
                let before = entry_lines(&outcome.hashpin);
                let after = entry_lines(&parse(&dir, env));
                for (path, bytes) in &original {
                    // The root file is in the case's encoding, and stays in it.
                    let encoding = (path == Path::new("requirements.txt"))
                        .then_some(outcome.case.encoding.as_deref())
                        .flatten();
                    let Some(written) = decode(&once[path], encoding) else {
                        found.push(Disagreement::Lock {
                            step: "the file is no longer in its encoding",
                            detail: format!("{}: {:?}", path.display(), encoding),
                        });
                        continue;
                    };
                    let (old, mixed_before) = outside_entries(
                        &decode(bytes, encoding).unwrap(),
                        before.get(path).unwrap_or(&BTreeSet::new()),
                    );
                    let (new, mixed_after) =
                        outside_entries(&written, after.get(path).unwrap_or(&BTreeSet::new()));
                    if old != new {
                        found.push(Disagreement::Lock {
                            step: "bytes outside the entries changed",
                            detail: format!("{}: {old:?} became {new:?}", path.display()),
                        });
                    }
                    if mixed_after.len() > mixed_before.len() {
                        found.push(Disagreement::Lock {
                            step: "an entry's lines end in two ways",
                            detail: format!(
                                "{} lines {mixed_after:?}: {:?}",
                                path.display(),
                                written
                            ),
                        });
                    }
                }
                (index, found, Some(dir), artifacts)
            })
            .collect()
    };
    let half = candidates.len().div_ceil(2);
    let results = std::thread::scope(|scope| {
        let outcomes: &[Outcome] = outcomes;
        let first = scope.spawn(|| work(&candidates[..half], outcomes));
        let mut results = work(&candidates[half..], outcomes);
        results.extend(first.join().unwrap());
        results
    });
    // pip reads every written file: the same requirements, plus the hashes of the sdists.
    let written: Vec<(usize, PathBuf)> = results
        .iter()
        .filter_map(|(index, _, dir, _)| dir.clone().map(|dir| (*index, dir)))
        .collect();
    let questions: Vec<OracleCase<'_>> = written
        .iter()
        .map(|(index, dir)| OracleCase {
            key: format!("locked/{index}"),
            dir,
            env: &outcomes[*index].case.env,
            hashpin: None,
        })
        .collect();
    let mut answers = ask_oracle(&questions);
    let mut lock_findings: BTreeMap<usize, Vec<Disagreement>> = BTreeMap::new();
    let mut artifacts_of = BTreeMap::new();
    for (index, found, _, artifacts) in results {
        lock_findings.entry(index).or_default().extend(found);
        artifacts_of.insert(index, artifacts);
    }
    for (index, _) in &written {
        let after = answers
            .remove(&format!("locked/{index}"))
            .unwrap()
            .pip
            .unwrap();
        let before = &outcomes[*index].pip;
        if let Some(detail) = read_as_locked(before, &after, &artifacts_of[index]) {
            lock_findings
                .entry(*index)
                .or_default()
                .push(Disagreement::Lock {
                    step: "pip reads the written file differently",
                    detail,
                });
        }
    }
    let locked = candidates.len();
    for (index, found) in lock_findings {
        outcomes[index].disagreements.extend(found);
    }
    locked
}

/// Why pip's reading of the locked files is not the original reading plus the hashes.
fn read_as_locked(before: &Reading, after: &Reading, artifacts: &Artifacts) -> Option<String> {
    if !after.accepted {
        return Some(format!(
            "pip refuses it: {}",
            after.error.clone().unwrap_or_default()
        ));
    }
    // Option lines below a grown entry move; their file and content may not.
    let without_lines = |options: &[Value]| -> Vec<Value> {
        options
            .iter()
            .map(|option| {
                let mut option = option.clone();
                option.as_object_mut().unwrap().remove("line");
                option
            })
            .collect()
    };
    if without_lines(&before.options) != without_lines(&after.options) {
        return Some(format!(
            "options: {:?} became {:?}",
            before.options, after.options
        ));
    }
    if before.requirements.len() != after.requirements.len() {
        return Some(format!(
            "{} requirements became {}",
            before.requirements.len(),
            after.requirements.len()
        ));
    }
    for (old, new) in before.requirements.iter().zip(&after.requirements) {
        let mut expected = old.clone();
        if old["constraint"] != true
            && let (Some(name), Some(release)) = (old["name"].as_str(), old["release"].as_str())
        {
            // PEP 440: `==1.0` takes `1.0+local` too, so both files are recorded.
            let hashes: BTreeSet<String> = artifacts
                .iter()
                .filter(|((project, other), _)| {
                    project == name
                        && (other == release
                            || (!release.contains('+') && other.split('+').next() == Some(release)))
                })
                .map(|(_, (_, hash))| hash.clone())
                .collect();
            expected.insert(
                "hashes".into(),
                Value::from(hashes.into_iter().collect::<Vec<_>>()),
            );
        }
        // The line of an entry below a grown one moves; its file and content may not.
        let mut new = new.clone();
        new.insert("line".into(), old["line"].clone());
        if expected != new {
            return Some(format!("expected {expected:?}, read {new:?}"));
        }
    }
    None
}

/// The files of a case directory as text, for a failure message.
fn show(files: &BTreeMap<PathBuf, Vec<u8>>) -> String {
    files
        .iter()
        .map(|(path, bytes)| {
            format!(
                "--- {}\n{:?}",
                path.display(),
                String::from_utf8_lossy(bytes)
            )
        })
        .collect::<Vec<_>>()
        .join("\n")
}
