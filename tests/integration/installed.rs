//! `hashpin verify --installed`: an environment installed by real pip, held against the
//! lockfile and the recorded wheels.

use std::path::{Path, PathBuf};

use crate::harness::{Run, TestContext, tampered_wheel};

const TINY_WHEEL: &str = "tinyproj-1.0.0-py3-none-any.whl";

/// A venv with `requirements.txt` (locked) installed by pip from the loopback index.
fn installed(context: &TestContext, pins: &str) -> PathBuf {
    context.write("requirements.txt", pins);
    assert_eq!(context.lock(&[]).code, 0);
    let python = context.venv("venv");
    let index = context.server.simple_url();
    let out = context.pip(
        &python,
        &[
            "install",
            "--no-cache-dir",
            "--require-hashes",
            "--index-url",
            &index,
            "-r",
            "requirements.txt",
        ],
    );
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    python
}

fn verify(context: &TestContext, python: &Path, args: &[&str]) -> Run {
    let mut all = vec![
        "verify",
        "--installed",
        "--python",
        python.to_str().unwrap(),
    ];
    all.extend_from_slice(args);
    context.run(&all)
}

fn site_packages(python: &Path) -> PathBuf {
    let lib = python.parent().unwrap().parent().unwrap().join("lib");
    let version = fs_err::read_dir(&lib)
        .unwrap()
        .next()
        .unwrap()
        .unwrap()
        .path();
    version.join("site-packages")
}

#[test]
fn a_clean_install_matches_its_records_and_the_recorded_wheel() {
    let context = TestContext::new();
    let python = installed(&context, "tinyproj==1.0.0\n");
    let run = verify(&context, &python, &[]);
    assert_eq!(run.code, 0, "{}", run.stderr);
    assert!(
        run.stderr
            .contains(&format!("RECORD matches the recorded `{TINY_WHEEL}`")),
        "{}",
        run.stderr
    );
    let json = verify(&context, &python, &["--format", "json"]);
    assert_eq!(json.code, 0, "{}", json.stderr);
    let report: serde_json::Value = serde_json::from_str(&json.stdout).unwrap();
    assert_eq!(report["schema"], "hashpin-verify-installed/1");
    let tiny = report["distributions"]
        .as_array()
        .unwrap()
        .iter()
        .find(|d| d["name"] == "tinyproj")
        .unwrap();
    assert_eq!(tiny["status"], "ok");
    assert_eq!(tiny["wheel"], TINY_WHEEL);
    assert!(tiny["files"].as_u64().unwrap() >= 2);
}

#[test]
fn a_file_edited_after_the_install_fails_with_both_hashes() {
    let context = TestContext::new();
    let python = installed(&context, "tinyproj==1.0.0\n");
    let module = site_packages(&python).join("tinyproj/__init__.py");
    let mut text = fs_err::read_to_string(&module).unwrap();
    text.push_str("import os\n");
    fs_err::write(&module, text).unwrap();
    let run = verify(&context, &python, &[]);
    assert_eq!(run.code, 1, "{}", run.stderr);
    assert!(
        run.stderr
            .contains("tinyproj 1.0.0: `tinyproj/__init__.py` differs from its RECORD hash"),
        "{}",
        run.stderr
    );
    assert!(
        run.stderr.contains("expected: sha256:") && run.stderr.contains("observed: sha256:"),
        "{}",
        run.stderr
    );
}

#[test]
fn a_package_installed_from_other_bytes_is_caught_though_its_record_agrees() {
    let context = TestContext::new();
    let python = installed(&context, "tinyproj==1.0.0\n");
    // Someone installs the tampered wheel around the lockfile: pip writes a RECORD that agrees
    // with the files it installed.
    let evil = context.path(TINY_WHEEL);
    fs_err::write(&evil, tampered_wheel()).unwrap();
    let out = context.pip(
        &python,
        &[
            "install",
            "--no-index",
            "--no-deps",
            "--force-reinstall",
            evil.to_str().unwrap(),
        ],
    );
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    // pip keeps the wheel's RECORD hashes, so the edit shows against RECORD; a careful attacker
    // rewrites RECORD to agree with the files.
    let run = verify(&context, &python, &[]);
    assert_eq!(run.code, 1, "{}", run.stderr);
    assert!(
        run.stderr.contains("differs from its RECORD hash"),
        "{}",
        run.stderr
    );
    agree_with_record(&site_packages(&python));
    let run = verify(&context, &python, &[]);
    assert_eq!(run.code, 1, "{}", run.stderr);
    assert!(
        run.stderr.contains(&format!(
            "`tinyproj/__init__.py` is not installed as the recorded wheel `{TINY_WHEEL}` holds it"
        )),
        "{}",
        run.stderr
    );
    assert!(
        run.stderr
            .contains("`zzz_tinyproj.pth` is installed, but the recorded wheel"),
        "{}",
        run.stderr
    );
    assert!(
        !run.stderr.contains("differs from its RECORD hash"),
        "{}",
        run.stderr
    );
}

#[test]
fn versions_and_unpinned_distributions_are_held_to_the_lockfile() {
    let context = TestContext::new();
    let python = installed(&context, "depb==1.2.0\ntinyproj==1.0.0\n");
    // The lockfile now pins another version of one, and not the other at all.
    context.write("requirements.txt", "depb==1.0.0\n");
    assert_eq!(context.lock(&[]).code, 0);
    let run = verify(&context, &python, &[]);
    assert_eq!(run.code, 1, "{}", run.stderr);
    assert!(
        run.stderr.contains(
            "depb 1.2.0 is installed, but `depb==1.0.0` (requirements.txt:1) pins another version"
        ),
        "{}",
        run.stderr
    );
    assert!(
        run.stderr.contains(
            "warning: tinyproj 1.0.0: tinyproj 1.0.0 is installed, but the lockfile does not pin it"
        ),
        "{}",
        run.stderr
    );
    // pip and setuptools, which every venv has, are not reported.
    assert!(!run.stderr.contains("warning: pip "), "{}", run.stderr);

    context.write("requirements.txt", "depb==1.2.0\n");
    assert_eq!(context.lock(&[]).code, 0);
    let run = verify(&context, &python, &[]);
    assert_eq!(run.code, 0, "unpinned is a warning: {}", run.stderr);
    let strict = verify(&context, &python, &["--strict"]);
    assert_eq!(strict.code, 1, "{}", strict.stderr);
}

#[test]
fn verify_takes_an_artifact_or_installed_not_both() {
    let context = TestContext::new();
    context.write("requirements.txt", "tinyproj==1.0.0\n");
    let run = context.run(&["verify", "--installed", "x.whl", "https://h/x.whl"]);
    assert_eq!(run.code, 2, "{}", run.stderr);
    let run = context.run(&["verify"]);
    assert_eq!(run.code, 2, "{}", run.stderr);
}

/// Rewrites every `RECORD` hash of tinyproj's installation to what its file holds now.
fn agree_with_record(site: &Path) {
    use base64::Engine as _;
    use sha2::Digest as _;
    let record = site.join("tinyproj-1.0.0.dist-info/RECORD");
    let text = fs_err::read_to_string(&record).unwrap();
    let mut rewritten = String::new();
    for line in text.lines() {
        let fields: Vec<&str> = line.split(',').collect();
        match fields.as_slice() {
            [path, hash, _] if !hash.is_empty() => {
                let bytes = fs_err::read(site.join(path)).unwrap();
                let digest = base64::engine::general_purpose::URL_SAFE_NO_PAD
                    .encode(sha2::Sha256::digest(&bytes));
                rewritten.push_str(&format!("{path},sha256={digest},{}\n", bytes.len()));
            }
            _ => {
                rewritten.push_str(line);
                rewritten.push('\n');
            }
        }
    }
    fs_err::write(&record, rewritten).unwrap();
}

#[test]
fn a_startup_file_no_distribution_owns_is_reported() {
    let context = TestContext::new();
    let python = installed(&context, "tinyproj==1.0.0\n");
    fs_err::write(site_packages(&python).join("zz_evil.pth"), "import os\n").unwrap();
    let run = verify(&context, &python, &[]);
    assert_eq!(run.code, 0, "a warning: {}", run.stderr);
    assert!(
        run.stderr.contains(
            "zz_evil.pth` belongs to no installed distribution, and Python runs it at every start"
        ),
        "{}",
        run.stderr
    );
    let strict = verify(&context, &python, &["--strict", "--format", "json"]);
    assert_eq!(strict.code, 1, "{}", strict.stderr);
    let report: serde_json::Value = serde_json::from_str(&strict.stdout).unwrap();
    assert!(
        report["unowned_startup_files"][0]
            .as_str()
            .unwrap()
            .ends_with("zz_evil.pth")
    );
}

#[test]
fn a_recorded_wheel_served_with_other_bytes_is_judged_before_it_is_read() {
    let context = TestContext::new();
    let python = installed(&context, "tinyproj==1.0.0\n");
    // Not in the cache: the wheel must be downloaded, and the index now serves other bytes.
    fs_err::remove_dir_all(context.path("cache")).unwrap();
    context
        .server
        .replace_bytes(TINY_WHEEL, crate::harness::republished_wheel());
    let run = verify(&context, &python, &[]);
    assert_eq!(run.code, 1, "{}", run.stderr);
    assert!(
        run.stderr.contains(&format!(
            "`{TINY_WHEEL}` changed since it was locked, so the install cannot be held against it"
        )),
        "{}",
        run.stderr
    );
}
