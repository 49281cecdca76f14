//! A hostile index and a hostile lockfile edit, tried as an attacker would, end to end against
//! the loopback index: nothing wrong may be accepted, and nothing recorded may be lost.
//! See: https://github.com/hashpin/hashpin/issues/8

use crate::harness::{TestContext, codes, every_command, tampered_wheel};

const TINY_WHEEL: &str = "tinyproj-1.0.0-py3-none-any.whl";
const TINY_SDIST: &str = "tinyproj-1.0.0.tar.gz";

/// A temp dir whose `requirements.txt` pins tinyproj 1.0.0, locked.
fn locked() -> TestContext {
    let context = TestContext::new();
    context.write("requirements.txt", "tinyproj==1.0.0\n");
    let run = context.lock(&[]);
    assert_eq!(run.code, 0, "{}", run.stderr);
    context
}

/// The sha256 of bytes, as a `--hash` value.
fn sha256(bytes: &[u8]) -> String {
    use sha2::Digest as _;
    format!("sha256:{}", hex::encode(sha2::Sha256::digest(bytes)))
}

#[test]
fn a_hash_added_by_hand_for_a_tampered_wheel_opens_no_gate() {
    let context = locked();
    let sdist = format!("sha256:{}", context.server.sha256(TINY_SDIST));
    let evil = tampered_wheel();
    let text = context.read("requirements.txt").replacen(
        &format!("--hash={sdist}\n"),
        &format!("--hash={sdist} \\\n    --hash={}\n", sha256(&evil)),
        1,
    );
    context.write("requirements.txt", &text);

    // While the index still serves the real wheel, the edit itself is the finding.
    let run = context.lock(&[]);
    assert_eq!(run.code, 1, "{}", run.stderr);
    assert!(
        run.stderr
            .contains("has a `--hash` that no `# hashpin:` line names"),
        "{}",
        run.stderr
    );
    assert_eq!(context.read("requirements.txt"), text, "nothing rewritten");

    // Once the index serves the tampered wheel under the recorded name, every command refuses it.
    context.server.replace_bytes(TINY_WHEEL, evil);
    let everyone = every_command(&context, TINY_WHEEL);
    assert_eq!(
        codes(&everyone),
        [1, 1, 1, 1],
        "{}",
        everyone.install.stderr
    );
    assert!(
        everyone
            .verify
            .stderr
            .contains("changed since it was locked"),
        "{}",
        everyone.verify.stderr
    );
}

#[test]
fn an_edited_hash_under_its_own_provenance_line_is_refused_not_rewritten() {
    let context = locked();
    let wheel = format!("sha256:{}", context.server.sha256(TINY_WHEEL));
    let edited = sha256(b"something else");
    let text = context.read("requirements.txt").replacen(
        &format!("--hash={wheel}"),
        &format!("--hash={edited}"),
        1,
    );
    context.write("requirements.txt", &text);
    let everyone = every_command(&context, TINY_WHEEL);
    assert_eq!(
        codes(&everyone),
        [1, 1, 1, 1],
        "{}",
        everyone.install.stderr
    );
    assert!(
        everyone.lock.stderr.contains(&format!(
            "the hash recorded for `{TINY_WHEEL}` is not among the `--hash` options"
        )),
        "{}",
        everyone.lock.stderr
    );
    let run = context.lock(&[]);
    assert_eq!(run.code, 1, "{}", run.stderr);
    assert_eq!(context.read("requirements.txt"), text, "nothing rewritten");
}

#[test]
fn one_wrong_algorithm_is_refused_and_its_evidence_kept() {
    let context = TestContext::new();
    let wheel_url = context.server.file_url(TINY_WHEEL);
    let sdist = format!("sha256:{}", context.server.sha256(TINY_SDIST));
    let wrong = sha256(b"not the wheel");
    let right = {
        use sha2::Digest as _;
        format!(
            "sha512:{}",
            hex::encode(sha2::Sha512::digest(context.server.bytes(TINY_WHEEL)))
        )
    };
    let text = format!(
        "tinyproj==1.0.0 \\\n    --hash={wrong} \\\n    --hash={sdist} \\\n    --hash={right}\n    # hashpin: {TINY_WHEEL} {wrong} {wheel_url}\n    # hashpin: {TINY_WHEEL} {right} {wheel_url}\n    # hashpin: {TINY_SDIST} {sdist} {}\n",
        context.server.file_url(TINY_SDIST)
    );
    context.write("requirements.txt", &text);
    let run = context.lock(&[]);
    assert_eq!(run.code, 1, "{}", run.stderr);
    assert_eq!(
        context.read("requirements.txt"),
        text,
        "no evidence deleted"
    );
    let index = context.server.simple_url();
    let run = context.run(&["check", "-i", &index]);
    assert_eq!(run.code, 1, "{}", run.snapshot());
}

#[test]
fn contradictory_pins_are_an_input_error_naming_both_lines() {
    let context = TestContext::new();
    context.write("more.txt", "# pinned elsewhere\ntinyproj==1.1.0\n");
    context.write("requirements.txt", "tinyproj==1.0.0\n-r more.txt\n");
    let run = context.lock(&[]);
    insta::assert_snapshot!(run.snapshot(), @"
    exit code: 2
    ----- stdout -----
    ----- stderr -----
    error: `tinyproj==1.0.0` contradicts `tinyproj==1.1.0` (more.txt:2): pip refuses to install both
    hint: keep one version, or give each a marker that excludes the other
     --> requirements.txt:1:1
      |
    1 | tinyproj==1.0.0
      | ^^^^^^^^^^^^^^^
    ");
    assert_eq!(
        context.server.request_count(),
        0,
        "nothing asked of the index"
    );
    // verify too: it would otherwise pass a file of either version.
    fs_err::write(context.path(TINY_WHEEL), context.server.bytes(TINY_WHEEL)).unwrap();
    let url = context.server.file_url(TINY_WHEEL);
    let run = context.run(&["verify", TINY_WHEEL, &url]);
    assert_eq!(run.code, 2, "{}", run.stderr);
    // The same version twice, or versions split by markers that exclude each other, are fine.
    context.write("more.txt", "TinyProj==1.0 ; python_version >= \"3\"\n");
    assert_eq!(context.lock(&[]).code, 0);
}

#[test]
fn inputs_the_fuzz_loop_found_are_input_errors_not_crashes() {
    let context = TestContext::new();
    for text in [
        "last-=2\n",
        "tinyproj[extra.]==1.0.0\n",
        "a==1 ; python_version >= \"3\" an\u{e9}d os_name == \"nt\"\n",
        "-\u{e9}r more.txt\n",
    ] {
        context.write("requirements.txt", text);
        let run = context.lock(&[]);
        assert_eq!(run.code, 2, "{text:?}: {}", run.stderr);
        assert!(
            run.stderr.starts_with("error: "),
            "{text:?}: {}",
            run.stderr
        );
        assert!(!run.stderr.contains("panicked"), "{text:?}: {}", run.stderr);
        assert!(
            run.stderr.contains("requirements.txt:1:"),
            "{text:?}: {}",
            run.stderr
        );
    }
    // The end of a file just after a `\` keeps provenance where pip reads it, and a second
    // lock changes nothing.
    context.write("requirements.txt", "tinyproj==1.0.0 \\");
    assert_eq!(context.lock(&[]).code, 0);
    let once = context.read("requirements.txt");
    let run = context.lock(&["--check"]);
    assert_eq!(run.code, 0, "{}\n{once}", run.stdout);
}

#[test]
fn a_line_added_beside_a_locked_entry_cannot_vouch_for_a_tampered_wheel() {
    // Found in review: pip intersects the hashes of repeated lines; so must hashpin.
    let context = locked();
    let evil = tampered_wheel();
    let mut text = context.read("requirements.txt");
    text.push_str(&format!("tinyproj==1.0.0 --hash={}\n", sha256(&evil)));
    context.write("requirements.txt", &text);
    context.server.replace_bytes(TINY_WHEEL, evil);
    let everyone = every_command(&context, TINY_WHEEL);
    assert_eq!(
        codes(&everyone),
        [1, 1, 1, 1],
        "{}",
        everyone.install.stderr
    );
}

#[test]
fn an_error_page_elsewhere_cannot_hide_a_changed_file() {
    // Found in review: a failed download (exit 4) used to stop lock before it judged the rest.
    let context = locked();
    context.server.replace_bytes(TINY_WHEEL, tampered_wheel());
    let mut text = context.read("requirements.txt");
    text.push_str("depa==1.0.0\n");
    context.write("requirements.txt", &text);
    context.server.replace_bytes(
        "depa-1.0.0-py3-none-any.whl",
        b"<!DOCTYPE html><html><body>502 Bad Gateway</body></html>".to_vec(),
    );
    context.server.omit_hashes(true);
    let run = context.lock(&[]);
    assert_eq!(run.code, 1, "{}", run.stderr);
    for expected in [
        "`tinyproj-1.0.0-py3-none-any.whl` changed since it was locked",
        "`depa-1.0.0-py3-none-any.whl` cannot be recorded",
    ] {
        assert!(run.stderr.contains(expected), "{}", run.stderr);
    }
    assert_eq!(context.read("requirements.txt"), text);
}
