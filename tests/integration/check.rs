//! `hashpin check`: one test per status, mixes of them, the inside-the-archive report, JSON,
//! exit codes, `--strict`, and a lockfile that is never written.

use std::io::{Cursor, Read, Write};

use crate::harness::{Run, TestContext, republished_wheel, testdata_artifact};

const TINY_WHEEL: &str = "tinyproj-1.0.0-py3-none-any.whl";
const TINY_SDIST: &str = "tinyproj-1.0.0.tar.gz";

/// Locks `tinyproj==1.0.0` and returns the lockfile text.
fn locked(context: &TestContext) -> String {
    context.write("requirements.txt", "# app\ntinyproj==1.0.0\n");
    let run = context.lock(&[]);
    assert_eq!(run.code, 0, "{}", run.snapshot());
    context.read("requirements.txt")
}

/// Pins `tinyproj==1.0.0` with both hashes and no `# hashpin:` lines, as pip-compile writes.
fn hashes_without_filenames(context: &TestContext) {
    let wheel = context.server.sha256(TINY_WHEEL);
    let sdist = context.server.sha256(TINY_SDIST);
    context.write(
        "requirements.txt",
        &format!("tinyproj==1.0.0 --hash=sha256:{wheel} --hash=sha256:{sdist}\n"),
    );
}

/// Runs `hashpin check ARGS... -i <index>` and checks that the lockfile did not change.
fn check(context: &TestContext, args: &[&str]) -> Run {
    let before = context.read("requirements.txt");
    let index = context.server.simple_url();
    let mut all = vec!["check"];
    all.extend_from_slice(args);
    all.extend_from_slice(&["-i", &index]);
    let run = context.run(&all);
    assert_eq!(
        context.read("requirements.txt"),
        before,
        "check never writes"
    );
    run
}

#[test]
fn an_unchanged_lockfile_passes() {
    let context = TestContext::new();
    locked(&context);
    let run = check(&context, &[]);
    assert_eq!(run.code, 0, "{}", run.snapshot());
    assert!(
        run.stdout
            .contains("checked 1 release, 2 artifacts: 2 unchanged"),
        "{}",
        run.stdout
    );
}

#[test]
fn a_republished_wheel_shows_what_changed_inside() {
    let context = TestContext::new();
    locked(&context);
    context
        .server
        .replace_bytes(TINY_WHEEL, republished_wheel());
    let run = check(&context, &[]);
    assert_eq!(run.code, 1, "{}", run.snapshot());
    for expected in [
        "changed        tinyproj-1.0.0-py3-none-any.whl",
        "why:       modified",
        "zzz_tinyproj.pth",
        "+Requires-Dist: evil-helper",
        "new dependency `evil-helper`",
        "~ tinyproj/__init__.py",
        "-    --hash=sha256:",
        "1 changed",
    ] {
        assert!(
            run.stdout.contains(expected),
            "missing `{expected}` in:\n{}",
            run.stdout
        );
    }
    insta::assert_snapshot!("check_republished_wheel", run.snapshot());
}

#[test]
fn why_the_bytes_differ_tells_a_broken_mirror_from_an_attack() {
    let context = TestContext::new();
    locked(&context);
    let sdist = context.server.bytes(TINY_SDIST);
    context
        .server
        .replace_bytes(TINY_SDIST, sdist[..sdist.len() / 2].to_vec());
    context.server.replace_bytes(
        TINY_WHEEL,
        b"<!DOCTYPE html><html><body>502 Bad Gateway</body></html>".to_vec(),
    );
    let run = check(&context, &[]);
    assert_eq!(run.code, 1, "{}", run.snapshot());
    assert!(
        run.stdout.contains("why:       truncated"),
        "{}",
        run.stdout
    );
    assert!(run.stdout.contains("an HTML page"), "{}", run.stdout);
}

#[test]
fn an_index_that_declares_a_wrong_digest_fails() {
    let context = TestContext::new();
    locked(&context);
    context.server.declare_wrong_hash(TINY_SDIST);
    let run = check(&context, &[]);
    assert_eq!(run.code, 1, "{}", run.snapshot());
    assert!(
        run.stdout.contains("index-mismatch tinyproj-1.0.0.tar.gz"),
        "{}",
        run.stdout
    );
}

#[test]
fn missing_added_and_yanked_are_warnings_unless_strict() {
    let context = TestContext::new();
    locked(&context);
    context.server.remove_file(TINY_SDIST);
    let extra = "tinyproj-1.0.0-cp311-cp311-win_amd64.whl";
    context
        .server
        .add_file("tinyproj", extra, b"a new wheel".to_vec());
    context.server.set_yanked(TINY_WHEEL, Some("broken build"));
    let run = check(&context, &[]);
    assert_eq!(run.code, 0, "{}", run.snapshot());
    for expected in [
        "missing        tinyproj-1.0.0.tar.gz",
        &format!("added          {extra}"),
        "yanked         tinyproj-1.0.0-py3-none-any.whl",
        "yanked:    broken build",
        "1 missing, 1 added, 1 yanked",
    ] {
        assert!(
            run.stdout.contains(expected),
            "missing `{expected}` in:\n{}",
            run.stdout
        );
    }
    assert_eq!(check(&context, &["--strict"]).code, 1);
}

#[test]
fn the_same_bytes_at_a_new_url_are_moved() {
    let context = TestContext::new();
    context.write("requirements.txt", "tinyproj==1.0.0\n");
    let directory = testdata_artifact("tinyproj", "");
    let run = context.run(&["lock", "--no-index", "-f", directory.to_str().unwrap()]);
    assert_eq!(run.code, 0, "{}", run.snapshot());
    let run = check(&context, &[]);
    assert_eq!(run.code, 0, "{}", run.snapshot());
    assert!(
        run.stdout.contains("moved          tinyproj-1.0.0.tar.gz"),
        "{}",
        run.stdout
    );
    assert!(
        run.stdout
            .contains("now at:    [INDEX]/files/tinyproj-1.0.0.tar.gz"),
        "{}",
        run.stdout
    );
    assert_eq!(check(&context, &["--strict"]).code, 1);
}

#[test]
fn hashes_without_filenames_are_checked_too() {
    let context = TestContext::new();
    hashes_without_filenames(&context);
    assert_eq!(check(&context, &[]).code, 0);
    context
        .server
        .replace_bytes(TINY_SDIST, b"republished".to_vec());
    let run = check(&context, &[]);
    assert_eq!(run.code, 1, "{}", run.snapshot());
    assert!(
        run.stdout.contains("probably republished"),
        "{}",
        run.stdout
    );
}

#[test]
fn json_output_is_one_documented_document() {
    let context = TestContext::new();
    locked(&context);
    context
        .server
        .replace_bytes(TINY_WHEEL, republished_wheel());
    context.server.set_yanked(TINY_SDIST, None);
    let run = check(&context, &["--format", "json"]);
    assert_eq!(run.code, 1, "{}", run.snapshot());
    let document: serde_json::Value = serde_json::from_str(&run.stdout).unwrap();
    assert_eq!(document["schema"], "hashpin-check/1");
    assert_eq!(document["exit_code"], 1);
    assert_eq!(document["summary"]["changed"], 1);
    assert_eq!(document["summary"]["yanked"], 1);
    let changed = &document["artifacts"][0];
    assert_eq!(changed["project"], "tinyproj");
    assert_eq!(changed["version"], "1.0.0");
    assert_eq!(changed["status"], "changed");
    assert_eq!(
        changed["observed"],
        format!("sha256:{}", context.server.sha256(TINY_WHEEL))
    );
    assert_eq!(changed["inside"]["added"][0], "zzz_tinyproj.pth");
    insta::assert_snapshot!("check_json", run.stdout);
}

#[test]
fn nothing_to_check_is_said_and_listing_failures_exit_4() {
    let context = TestContext::new();
    context.write("requirements.txt", "tinyproj==1.0.0\n");
    let run = check(&context, &[]);
    assert_eq!(run.code, 0, "{}", run.snapshot());
    assert!(run.stdout.contains("nothing to check"), "{}", run.stdout);

    locked(&context);
    context.server.fail_times("/simple/tinyproj/", 500, 100);
    let run = check(&context, &["--retries", "0"]);
    assert_eq!(run.code, 4, "{}", run.snapshot());
}

#[test]
fn a_wrong_digest_fails_for_hashes_without_filenames_too() {
    let context = TestContext::new();
    hashes_without_filenames(&context);
    context.server.declare_wrong_hash(TINY_SDIST);
    let run = check(&context, &[]);
    assert_eq!(run.code, 1, "{}", run.snapshot());
    assert!(
        run.stdout.contains("index-mismatch tinyproj-1.0.0.tar.gz"),
        "{}",
        run.stdout
    );
}

#[test]
fn a_download_that_fails_is_an_error_not_missing() {
    let context = TestContext::new();
    locked(&context);
    context.server.fail_times(TINY_SDIST, 500, 100);
    let run = check(&context, &["--retries", "0", "--strict"]);
    assert_eq!(run.code, 4, "{}", run.snapshot());
    assert!(!run.stdout.contains("missing"), "{}", run.stdout);
}

#[test]
fn a_file_claiming_another_version_still_shows_what_changed_inside() {
    let context = TestContext::new();
    locked(&context);
    let original = fs_err::read(testdata_artifact("tinyproj", TINY_WHEEL)).unwrap();
    let mut archive = zip::ZipArchive::new(Cursor::new(original)).unwrap();
    let mut writer = zip::ZipWriter::new(Cursor::new(Vec::new()));
    let options = zip::write::SimpleFileOptions::default();
    for index in 0..archive.len() {
        let mut member = archive.by_index(index).unwrap();
        let name = member.name().unwrap().to_string();
        let mut text = String::new();
        member.read_to_string(&mut text).unwrap();
        writer.start_file(name, options).unwrap();
        writer
            .write_all(
                text.replace("Version: 1.0.0", "Version: 1.0.0.post0")
                    .as_bytes(),
            )
            .unwrap();
    }
    writer.start_file("evil.pth", options).unwrap();
    writer.write_all(b"import os\n").unwrap();
    let bytes = writer.finish().unwrap().into_inner();
    context.server.replace_bytes(TINY_WHEEL, bytes);
    let run = check(&context, &[]);
    assert_eq!(run.code, 1, "{}", run.snapshot());
    assert!(run.stdout.contains("a different file"), "{}", run.stdout);
    assert!(
        run.stdout.contains(".pth file `evil.pth`"),
        "{}",
        run.stdout
    );
}

#[test]
fn a_download_error_under_hashes_without_filenames_is_not_a_republish() {
    let context = TestContext::new();
    hashes_without_filenames(&context);
    context.server.fail_times(TINY_WHEEL, 500, 100);
    let run = check(&context, &["--retries", "0"]);
    assert_eq!(run.code, 4, "{}", run.snapshot());
    assert!(!run.stdout.contains("republished"), "{}", run.stdout);
}
