//! Every single-line mutation of a locked entry's hash and provenance lines must be caught by
//! `lock --check`, `check` and `install --frozen`: a flipped hex digit, two hashes swapped, a
//! line deleted, a foreign hash added, a version changed.
//! See: https://github.com/hashpin/hashpin/issues/8

use std::process::Command;

use crate::harness::{TestContext, tampered_wheel};

/// One mutation: what it did, and the lockfile text it gives.
struct Mutant {
    name: String,
    text: String,
}

/// The hash (`sha256:<hex>`) a line carries, as (start, end) byte offsets of the hex digits.
fn hex_span(line: &str) -> Option<(usize, usize)> {
    let start = line.find("sha256:")? + "sha256:".len();
    let end = start
        + line[start..]
            .find(|c: char| !c.is_ascii_hexdigit())
            .unwrap_or(line.len() - start);
    Some((start, end))
}

fn flip(digit: u8) -> char {
    if digit == b'0' { '1' } else { '0' }
}

/// Every single-line mutation of `text`, without those that change nothing pip or hashpin reads
/// (two `--hash` options swapped are the same set). `foreign` is the hex digest an added or
/// replaced hash carries.
fn mutants(text: &str, foreign: &str) -> Vec<Mutant> {
    let lines: Vec<&str> = text.lines().collect();
    let hashed: Vec<usize> = (0..lines.len())
        .filter(|&index| hex_span(lines[index]).is_some())
        .collect();
    let join = |lines: &[String]| lines.join("\n") + "\n";
    let owned = || lines.iter().map(ToString::to_string).collect::<Vec<_>>();
    let mut mutants = Vec::new();
    for &index in &hashed {
        let (start, end) = hex_span(lines[index]).unwrap();
        for at in [start, end - 1] {
            let mut changed = owned();
            let mut line = changed[index].clone();
            line.replace_range(at..=at, &flip(line.as_bytes()[at]).to_string());
            changed[index] = line;
            mutants.push(Mutant {
                name: format!("flip a digit at {at} of line {}", index + 1),
                text: join(&changed),
            });
        }
        let mut deleted = owned();
        deleted.remove(index);
        mutants.push(Mutant {
            name: format!("delete line {}", index + 1),
            text: join(&deleted),
        });
    }
    for (position, &a) in hashed.iter().enumerate() {
        for &b in &hashed[position + 1..] {
            let (a_start, a_end) = hex_span(lines[a]).unwrap();
            let (b_start, b_end) = hex_span(lines[b]).unwrap();
            let (hex_a, hex_b) = (&lines[a][a_start..a_end], &lines[b][b_start..b_end]);
            let both_options = lines[a].contains("--hash") && lines[b].contains("--hash");
            if hex_a == hex_b || both_options {
                continue;
            }
            let mut swapped = owned();
            swapped[a] = lines[a].replace(hex_a, hex_b);
            swapped[b] = lines[b].replace(hex_b, hex_a);
            mutants.push(Mutant {
                name: format!("swap the hashes of lines {} and {}", a + 1, b + 1),
                text: join(&swapped),
            });
        }
    }
    let first_option = hashed[0];
    let mut added = owned();
    added.insert(first_option + 1, format!("    --hash=sha256:{foreign} \\"));
    mutants.push(Mutant {
        name: "add a foreign --hash".into(),
        text: join(&added),
    });
    let first_record = *hashed
        .iter()
        .find(|&&index| lines[index].contains("# hashpin:"))
        .unwrap();
    let (start, end) = hex_span(lines[first_record]).unwrap();
    let mut added = owned();
    added.insert(
        first_record + 1,
        lines[first_record].replace(&lines[first_record][start..end], foreign),
    );
    mutants.push(Mutant {
        name: "add a foreign provenance line".into(),
        text: join(&added),
    });
    for (index, line) in lines.iter().enumerate() {
        if line.starts_with("tinyproj==1.0.0") || line.contains("# hashpin: tinyproj-1.0.0") {
            let mut changed = owned();
            changed[index] = line.replacen("1.0.0", "1.1.0", 1);
            mutants.push(Mutant {
                name: format!("change the version on line {}", index + 1),
                text: join(&changed),
            });
        }
    }
    // A line added beside the entry: a second pin of the same release with only that hash.
    mutants.push(Mutant {
        name: "add a line pinning the release to a foreign hash".into(),
        text: format!("{text}tinyproj==1.0.0 --hash=sha256:{foreign}\n"),
    });
    // Every hash replaced by the foreign one, line by line.
    for &index in &hashed {
        let (start, end) = hex_span(lines[index]).unwrap();
        let mut changed = owned();
        changed[index].replace_range(start..end, foreign);
        mutants.push(Mutant {
            name: format!("replace the hash of line {} by a foreign one", index + 1),
            text: join(&changed),
        });
    }
    mutants.retain(|mutant| mutant.text != text);
    mutants
}

/// What the three commands made of every mutant; the mutants any of them let through.
fn survivors(context: &TestContext, mutants: &[Mutant]) -> Vec<String> {
    let index = context.server.simple_url();
    let python = context.venv("venv");
    let python = python.to_str().unwrap();
    let mut survivors = Vec::new();
    for mutant in mutants {
        context.write("requirements.txt", &mutant.text);
        let lock = context.lock(&["--check"]);
        let check = context.run(&["check", "-i", &index]);
        let install = context.run(&["install", "--frozen", "--python", python, "-i", &index]);
        let installed = Command::new(python)
            .args(["-c", "import tinyproj"])
            .output()
            .unwrap()
            .status
            .success();
        for (command, run) in [
            ("lock --check", &lock),
            ("check", &check),
            ("install --frozen", &install),
        ] {
            // Caught means refused (1) or rejected as input (2), never an operational error.
            if !matches!(run.code, 1 | 2) {
                survivors.push(format!(
                    "{}: `{command}` exited {}\n{}{}",
                    mutant.name, run.code, mutant.text, run.stderr
                ));
            }
        }
        assert!(!installed, "{}: installed\n{}", mutant.name, mutant.text);
        assert_eq!(
            context.read("requirements.txt"),
            mutant.text,
            "{}",
            mutant.name
        );
    }
    survivors
}

#[test]
fn every_single_line_mutation_of_a_locked_entry_is_caught_by_every_command() {
    let context = TestContext::new();
    context.write("requirements.txt", "tinyproj==1.0.0\n");
    assert_eq!(context.lock(&[]).code, 0);
    let locked = context.read("requirements.txt");
    let mutants = mutants(&locked, &"ab".repeat(32));
    assert_eq!(mutants.len(), 25, "the count the README gives");
    let survivors = survivors(&context, &mutants);
    assert!(
        survivors.is_empty(),
        "{} of {} mutants survived:\n{}",
        survivors.len(),
        mutants.len(),
        survivors.join("\n")
    );
}

#[test]
fn every_mutation_toward_a_tampered_wheel_the_index_serves_is_caught() {
    // The real attack: the mutated hash is that of a tampered wheel, and the index serves it.
    let context = TestContext::new();
    context.write("requirements.txt", "tinyproj==1.0.0\n");
    assert_eq!(context.lock(&[]).code, 0);
    let locked = context.read("requirements.txt");
    let evil = tampered_wheel();
    let foreign = {
        use sha2::Digest as _;
        hex::encode(sha2::Sha256::digest(&evil))
    };
    context
        .server
        .replace_bytes("tinyproj-1.0.0-py3-none-any.whl", evil);
    let mutants = mutants(&locked, &foreign);
    assert_eq!(mutants.len(), 25, "the count the README gives");
    let survivors = survivors(&context, &mutants);
    assert!(
        survivors.is_empty(),
        "{} of {} mutants survived:\n{}",
        survivors.len(),
        mutants.len(),
        survivors.join("\n")
    );
}
