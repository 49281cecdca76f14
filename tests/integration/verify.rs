//! `hashpin verify ARTIFACT URL`, the hook: pass (0), fail (1), retry (3), bad input (2), and
//! the lockfile left byte for byte as it was after every run.

use crate::harness::{Run, TestContext, pip_hash, testdata_artifact};

const TINY_WHEEL: &str = "tinyproj-1.0.0-py3-none-any.whl";
const TINY_SDIST: &str = "tinyproj-1.0.0.tar.gz";
const PLAT_LINUX: &str = "platpkg-0.5.0-cp311-cp311-manylinux_2_17_x86_64.manylinux2014_x86_64.whl";
const PLAT_WINDOWS: &str = "platpkg-0.5.0-cp311-cp311-win_amd64.whl";

/// A temp dir whose `requirements.txt` was locked against the loopback index.
fn locked(text: &str, lock_args: &[&str]) -> TestContext {
    let context = TestContext::new();
    context.write("requirements.txt", text);
    let run = context.lock(lock_args);
    assert_eq!(run.code, 0, "{}", run.stderr);
    context
}

/// Runs `hashpin verify ARGS...` and checks that the lockfile (if any) is untouched.
fn verify(context: &TestContext, args: &[&str]) -> Run {
    let lockfile = context.path("requirements.txt");
    let before = fs_err::read(&lockfile).ok();
    let mut all = vec!["verify"];
    all.extend_from_slice(args);
    let run = context.run(&all);
    assert_eq!(
        fs_err::read(&lockfile).ok(),
        before,
        "verify never writes the lockfile"
    );
    run
}

/// Copies the bytes the index serves for `filename` into the temp dir under `saved_as`.
fn download(context: &TestContext, filename: &str, saved_as: &str) {
    fs_err::write(context.path(saved_as), context.server.bytes(filename)).unwrap();
}

fn assert_contains(text: &str, expected: &str) {
    assert!(text.contains(expected), "missing `{expected}` in:\n{text}");
}

#[test]
fn a_recorded_artifact_passes_silently() {
    let context = locked("tinyproj==1.0.0\n", &[]);
    for filename in [TINY_WHEEL, TINY_SDIST] {
        download(&context, filename, filename);
        let url = context.server.file_url(filename);
        let run = verify(&context, &[filename, &url]);
        assert_eq!(run.code, 0, "{}", run.stderr);
        assert_contains(&run.stderr, &format!("pass: `{filename}`"));
        assert!(!run.stderr.contains("warning"), "{}", run.stderr);
        assert_eq!(run.stdout, "");
    }
    // `--quiet` keeps a pass silent.
    let url = context.server.file_url(TINY_WHEEL);
    let quiet = verify(&context, &["--quiet", TINY_WHEEL, &url]);
    assert_eq!((quiet.code, quiet.stderr.as_str()), (0, ""));
}

#[test]
fn another_url_passes_with_a_warning_and_no_credentials() {
    let context = locked("tinyproj==1.0.0\n", &[]);
    download(&context, TINY_WHEEL, TINY_WHEEL);
    let mirror = format!("https://alice:s3cret@mirror.example/packages/{TINY_WHEEL}#sha256=00");
    let run = verify(&context, &[TINY_WHEEL, &mirror]);
    insta::assert_snapshot!(run.snapshot(), @"
    exit code: 0
    ----- stdout -----
    ----- stderr -----
    warning: `tinyproj-1.0.0-py3-none-any.whl` was recorded from `[INDEX]/files/tinyproj-1.0.0-py3-none-any.whl`, not from `https://mirror.example/packages/tinyproj-1.0.0-py3-none-any.whl` (requirements.txt:1)
    pass: `tinyproj-1.0.0-py3-none-any.whl` matches a hash recorded for `tinyproj==1.0.0`
    ");
    assert_eq!(run.code, 0, "{}", run.stderr);
    assert_contains(
        &run.stderr,
        &format!(
            "warning: `{TINY_WHEEL}` was recorded from `{}`, not from `https://mirror.example/packages/{TINY_WHEEL}`",
            context.filter(&context.server.file_url(TINY_WHEEL))
        ),
    );
    assert_contains(&run.stderr, &format!("pass: `{TINY_WHEEL}`"));
    assert!(!run.stderr.contains("s3cret"), "{}", run.stderr);

    // The same URL with credentials and a fragment is the recorded one.
    let recorded = context.server.file_url(TINY_WHEEL);
    let with_token = recorded.replacen("http://", "http://tok3n@", 1) + "#sha256=abc";
    let run = verify(&context, &[TINY_WHEEL, &with_token]);
    insta::assert_snapshot!(run.snapshot(), @"
    exit code: 0
    ----- stdout -----
    ----- stderr -----
    pass: `tinyproj-1.0.0-py3-none-any.whl` matches a hash recorded for `tinyproj==1.0.0`
    ");
    assert_eq!(run.code, 0, "{}", run.stderr);
    assert!(!run.stderr.contains("warning"), "{}", run.stderr);
}

#[test]
fn a_url_naming_another_file_passes_with_a_warning() {
    let context = locked("tinyproj==1.0.0\n", &[]);
    download(&context, TINY_SDIST, TINY_SDIST);
    let run = verify(
        &context,
        &[TINY_SDIST, "https://files.example/download/7?name=x"],
    );
    insta::assert_snapshot!(run.snapshot(), @"
    exit code: 0
    ----- stdout -----
    ----- stderr -----
    warning: the URL names `7`, but the artifact is `tinyproj-1.0.0.tar.gz`
    warning: `tinyproj-1.0.0.tar.gz` was recorded from `[INDEX]/files/tinyproj-1.0.0.tar.gz`, not from `https://files.example/download/7?name=x` (requirements.txt:1)
    pass: `tinyproj-1.0.0.tar.gz` matches a hash recorded for `tinyproj==1.0.0`
    ");
    assert_eq!(run.code, 0, "{}", run.stderr);
    assert_contains(
        &run.stderr,
        &format!("warning: the URL names `7`, but the artifact is `{TINY_SDIST}`"),
    );
}

#[test]
fn the_same_bytes_under_another_filename_pass_with_a_warning() {
    let context = locked("tinyproj==1.0.0\n", &[]);
    let renamed = "tinyproj-1.0.0-py3-none-manylinux_2_17_x86_64.whl";
    download(&context, TINY_WHEEL, renamed);
    let url = format!("https://mirror.example/{renamed}");
    let run = verify(&context, &[renamed, &url]);
    insta::assert_snapshot!(run.snapshot(), @"
    exit code: 0
    ----- stdout -----
    ----- stderr -----
    warning: `tinyproj-1.0.0-py3-none-manylinux_2_17_x86_64.whl` has the bytes the lockfile records for `tinyproj-1.0.0-py3-none-any.whl` (requirements.txt:1)
    pass: `tinyproj-1.0.0-py3-none-manylinux_2_17_x86_64.whl` matches a hash recorded for `tinyproj==1.0.0`
    ");
    assert_eq!(run.code, 0, "{}", run.stderr);
    assert_contains(
        &run.stderr,
        &format!("warning: `{renamed}` has the bytes the lockfile records for `{TINY_WHEEL}`"),
    );
}

#[test]
fn changed_bytes_under_a_recorded_filename_fail_with_both_hashes() {
    let context = locked("# pinned\ntinyproj==1.0.0\n", &[]);
    let mut evil = context.server.bytes(TINY_SDIST);
    evil.extend_from_slice(b"\0tampered");
    fs_err::write(context.path(TINY_SDIST), &evil).unwrap();
    let recorded = pip_hash(&testdata_artifact("tinyproj", TINY_SDIST));
    let observed = pip_hash(&context.path(TINY_SDIST));
    assert_ne!(recorded, observed);

    let url = context.server.file_url(TINY_SDIST);
    let run = verify(&context, &[TINY_SDIST, &url]);
    insta::assert_snapshot!(run.snapshot(), @"
    exit code: 1
    ----- stdout -----
    ----- stderr -----
    fail: `tinyproj-1.0.0.tar.gz` changed since it was locked
      requirement: tinyproj==1.0.0 (requirements.txt:2)
      url:         [INDEX]/files/tinyproj-1.0.0.tar.gz
      recorded:    sha256:69a25f6130fbe75b3c1c0aabddbed8a3b47df9f288022c9c27370d4d5d7f84ff
      observed:    sha256:a4b5525b9e5d67b4d808048306e59d443205b8f31807e4f0d2cd34dde2cc79f1
    hint: do not use it; re-record only if you know why the bytes changed: `hashpin lock --update tinyproj`
    ");
    assert_eq!(run.code, 1, "{}", run.stderr);
    for expected in [
        format!("fail: `{TINY_SDIST}` changed since it was locked"),
        "  requirement: tinyproj==1.0.0 (requirements.txt:2)\n".to_string(),
        format!("  url:         {}\n", context.filter(&url)),
        format!("  recorded:    {recorded}\n"),
        format!("  observed:    {observed}\n"),
        "hashpin lock --update tinyproj".to_string(),
    ] {
        assert_contains(&run.stderr, &expected);
    }
    // Only the hash recorded for this file is expected, not the wheel's.
    let wheel = pip_hash(&testdata_artifact("tinyproj", TINY_WHEEL));
    assert!(!run.stderr.contains(&wheel), "{}", run.stderr);
}

#[test]
fn hashes_without_provenance_fail_when_none_matches() {
    let context = TestContext::new();
    let wheel = pip_hash(&testdata_artifact("tinyproj", TINY_WHEEL));
    let sdist = pip_hash(&testdata_artifact("tinyproj", TINY_SDIST));
    // pip-compile style: hashes, no filenames; no lock run, so no index either.
    context.write(
        "requirements.txt",
        &format!("tinyproj==1.0.0 \\\n    --hash={wheel} \\\n    --hash={sdist}\n"),
    );
    let url = format!("https://files.example/{TINY_SDIST}");
    download(&context, TINY_SDIST, TINY_SDIST);
    let pass = verify(&context, &[TINY_SDIST, &url]);
    assert_eq!(pass.code, 0, "{}", pass.stderr);

    fs_err::write(context.path(TINY_SDIST), b"not the sdist").unwrap();
    let run = verify(&context, &[TINY_SDIST, &url]);
    insta::assert_snapshot!(run.snapshot(), @"
    exit code: 1
    ----- stdout -----
    ----- stderr -----
    fail: `tinyproj-1.0.0.tar.gz` matches none of the 2 hashes recorded for `tinyproj==1.0.0`
      requirement: tinyproj==1.0.0 (requirements.txt:1)
      url:         https://files.example/tinyproj-1.0.0.tar.gz
      recorded:    sha256:579a70f4d94e0634fed025f489280c121ab96de425a53cda9af7ae4db6619ba4
                   sha256:69a25f6130fbe75b3c1c0aabddbed8a3b47df9f288022c9c27370d4d5d7f84ff
      observed:    sha256:6c921a4e4ada386207c32401f1df7045aecbc79f2fbc27436598021441e42fdd
    ");
    assert_eq!(run.code, 1, "{}", run.stderr);
    assert_contains(
        &run.stderr,
        &format!(
            "fail: `{TINY_SDIST}` matches none of the 2 hashes recorded for `tinyproj==1.0.0`"
        ),
    );
    let mut expected = [wheel, sdist];
    expected.sort();
    assert_contains(
        &run.stderr,
        &format!(
            "  recorded:    {}\n               {}\n",
            expected[0], expected[1]
        ),
    );
}

#[test]
fn another_pinned_version_fails() {
    let context = locked("tinyproj==1.0.0\n", &[]);
    let other = "tinyproj-1.1.0-py3-none-any.whl";
    download(&context, other, other);
    let url = context.server.file_url(other);
    let run = verify(&context, &[other, &url]);
    insta::assert_snapshot!(run.snapshot(), @"
    exit code: 1
    ----- stdout -----
    ----- stderr -----
    fail: `tinyproj-1.1.0-py3-none-any.whl` is version 1.1.0, but the lockfile pins `tinyproj==1.0.0` (requirements.txt:1)
      requirement: tinyproj==1.0.0 (requirements.txt:1)
      url:         [INDEX]/files/tinyproj-1.1.0-py3-none-any.whl
      observed:    sha256:ba6a7ebe47c1f0254147f5ef66d855b1a6062de5975b9c201592c98f6cbdb940
    ");
    assert_eq!(run.code, 1, "{}", run.stderr);
    assert_contains(
        &run.stderr,
        &format!(
            "fail: `{other}` is version 1.1.0, but the lockfile pins `tinyproj==1.0.0` (requirements.txt:1)"
        ),
    );
}

#[test]
fn a_project_not_in_the_lockfile_fails() {
    let context = locked("tinyproj==1.0.0\n", &[]);
    let stranger = "depb-1.0.0-py3-none-any.whl";
    download(&context, stranger, stranger);
    let url = context.server.file_url(stranger);
    let run = verify(&context, &[stranger, &url]);
    insta::assert_snapshot!(run.snapshot(), @"
    exit code: 1
    ----- stdout -----
    ----- stderr -----
    fail: `depb` is not in the lockfile `requirements.txt`, so `depb-1.0.0-py3-none-any.whl` cannot be checked
      url:      [INDEX]/files/depb-1.0.0-py3-none-any.whl
      observed: sha256:8454da1d46b605e3087334d0f468158dda05a6edd1ac25761c82b37a753c2f07
    hint: if it belongs, add `depb==1.0.0` and run `hashpin lock`
    ");
    assert_eq!(run.code, 1, "{}", run.stderr);
    assert_contains(&run.stderr, "fail: `depb` is not in the lockfile");
    assert_contains(&run.stderr, "is not in the lockfile `requirements.txt`");
}

#[test]
fn an_unrecorded_file_of_a_locked_release_is_a_retry() {
    let context = locked(
        "platpkg==0.5.0\n",
        &[
            "--python-version",
            "3.11",
            "--platform",
            "manylinux_2_17_x86_64",
            "--implementation",
            "cp",
        ],
    );
    assert!(!context.read("requirements.txt").contains(PLAT_WINDOWS));
    download(&context, PLAT_WINDOWS, PLAT_WINDOWS);
    let url = context.server.file_url(PLAT_WINDOWS);
    let run = verify(&context, &[PLAT_WINDOWS, &url]);
    insta::assert_snapshot!(run.snapshot(), @"
    exit code: 3
    ----- stdout -----
    ----- stderr -----
    retry: `platpkg-0.5.0-cp311-cp311-win_amd64.whl` is not recorded for `platpkg==0.5.0`, but 2 other files of it are
      requirement: platpkg==0.5.0 (requirements.txt:1)
      url:         [INDEX]/files/platpkg-0.5.0-cp311-cp311-win_amd64.whl
      recorded:    sha256:16f281f8385ace4bc178ebda2b8126c120ffca1e6ff6cf011959f2b3ac3d66ac  platpkg-0.5.0-cp311-cp311-manylinux_2_17_x86_64.manylinux2014_x86_64.whl
                   sha256:d78deaa4edca75820c58e55696f90bdf12779846737e6b08d931df321d92bc54  platpkg-0.5.0.tar.gz
      observed:    sha256:5c62034ae5a957502a2341d52015ec03ad0481c4edeeb635964c3a0b4149f721
    hint: try one of the recorded files instead
    ");
    assert_eq!(run.code, 3, "{}", run.stderr);
    assert_contains(
        &run.stderr,
        &format!(
            "retry: `{PLAT_WINDOWS}` is not recorded for `platpkg==0.5.0`, but 2 other files of it are"
        ),
    );
    // The recorded files are named next to their hashes, so the caller knows what to try.
    let linux = pip_hash(&testdata_artifact("platpkg", PLAT_LINUX));
    assert_contains(&run.stderr, &format!("{linux}  {PLAT_LINUX}"));

    // A recorded wheel of the same release passes.
    download(&context, PLAT_LINUX, PLAT_LINUX);
    let url = context.server.file_url(PLAT_LINUX);
    assert_eq!(verify(&context, &[PLAT_LINUX, &url]).code, 0);
}

#[test]
fn included_files_and_normalized_names_count() {
    let context = TestContext::new();
    context.write("requirements.txt", "-r sub/more.txt\n");
    context.write("sub/more.txt", "Other_Proj==2.0.0\n");
    assert_eq!(context.lock(&[]).code, 0);
    let wheel = "other_proj-2.0.0-py3-none-any.whl";
    download(&context, wheel, wheel);
    let url = context.server.file_url(wheel);
    let run = verify(&context, &["--format", "json", wheel, &url]);
    insta::assert_snapshot!(run.snapshot(), @r#"
    exit code: 0
    ----- stdout -----
    {"outcome":"pass","project":"other-proj","version":"2.0.0","filename":"other_proj-2.0.0-py3-none-any.whl","url":"[INDEX]/files/other_proj-2.0.0-py3-none-any.whl","expected":["sha256:a5011ea91616c407e38f4a33d49ba5173f04d0ee1fe6cde0e01da3169b14e214"],"observed":"sha256:a5011ea91616c407e38f4a33d49ba5173f04d0ee1fe6cde0e01da3169b14e214","lockfile":"sub/more.txt","line":1,"warnings":[],"message":"`other_proj-2.0.0-py3-none-any.whl` matches a hash recorded for `Other_Proj==2.0.0`"}
    ----- stderr -----
    "#);
    assert_eq!(run.code, 0, "{}", run.stderr);
    let json: serde_json::Value = serde_json::from_str(&run.stdout).unwrap();
    assert_eq!(json["outcome"], "pass");
    assert_eq!(json["project"], "other-proj");
    assert_eq!(json["lockfile"], "sub/more.txt");
    assert_eq!(json["line"], 1);
}

#[test]
fn a_direct_url_entry_records_its_one_file() {
    let context = TestContext::new();
    let sdist_url = context.server.file_url(TINY_SDIST);
    context.write("requirements.txt", &format!("tinyproj @ {sdist_url}\n"));
    assert_eq!(context.lock(&[]).code, 0);
    download(&context, TINY_SDIST, TINY_SDIST);
    assert_eq!(verify(&context, &[TINY_SDIST, &sdist_url]).code, 0);

    download(&context, TINY_WHEEL, TINY_WHEEL);
    let wheel_url = context.server.file_url(TINY_WHEEL);
    assert_eq!(verify(&context, &[TINY_WHEEL, &wheel_url]).code, 3);

    fs_err::write(context.path(TINY_SDIST), b"other bytes").unwrap();
    assert_eq!(verify(&context, &[TINY_SDIST, &sdist_url]).code, 1);
}

#[test]
fn json_reports_every_field_on_stdout() {
    let context = locked("tinyproj==1.0.0\n", &[]);
    fs_err::write(context.path(TINY_SDIST), b"tampered").unwrap();
    let observed = pip_hash(&context.path(TINY_SDIST));
    let recorded = pip_hash(&testdata_artifact("tinyproj", TINY_SDIST));
    let url = context
        .server
        .file_url(TINY_SDIST)
        .replacen("http://", "http://bob:hunter2@", 1);

    let run = verify(&context, &["--format", "json", TINY_SDIST, &url]);
    insta::assert_snapshot!(run.snapshot(), @r#"
    exit code: 1
    ----- stdout -----
    {"outcome":"fail","project":"tinyproj","version":"1.0.0","filename":"tinyproj-1.0.0.tar.gz","url":"http://bob:****@[HOST]/files/tinyproj-1.0.0.tar.gz","expected":["sha256:69a25f6130fbe75b3c1c0aabddbed8a3b47df9f288022c9c27370d4d5d7f84ff"],"observed":"sha256:d121be3103007b41edf96f8262925f8c7d61894afe9a041843b631f69445bc57","lockfile":"requirements.txt","line":1,"warnings":[],"message":"`tinyproj-1.0.0.tar.gz` changed since it was locked"}
    ----- stderr -----
    "#);
    assert_eq!(run.code, 1, "{}", run.stderr);
    assert_eq!(run.stderr, "", "JSON mode keeps stderr for errors");
    assert!(run.stdout.ends_with("}\n") && run.stdout.lines().count() == 1);
    assert!(!run.stdout.contains("hunter2"), "{}", run.stdout);
    let json: serde_json::Value = serde_json::from_str(&run.stdout).unwrap();
    let object = json.as_object().unwrap();
    assert_eq!(object.len(), 11, "{json}");
    assert_eq!(json["outcome"], "fail");
    assert_eq!(json["project"], "tinyproj");
    assert_eq!(json["version"], "1.0.0");
    assert_eq!(json["filename"], TINY_SDIST);
    assert_eq!(
        json["url"],
        context.filter(&url.replacen("hunter2", "****", 1))
    );
    assert_eq!(json["expected"], serde_json::json!([recorded]));
    assert_eq!(json["observed"], observed);
    assert_eq!(json["lockfile"], "requirements.txt");
    assert_eq!(json["line"], 1);
    assert_eq!(json["warnings"], serde_json::json!([]));
    assert_eq!(
        json["message"],
        format!("`{TINY_SDIST}` changed since it was locked")
    );

    // A project not in the lockfile has no line and expects nothing.
    let stranger = "depb-1.2.0.tar.gz";
    download(&context, stranger, stranger);
    let mirror = format!("https://mirror.example/{stranger}");
    let run = verify(&context, &["--format", "json", stranger, &mirror]);
    insta::assert_snapshot!(run.snapshot(), @r#"
    exit code: 1
    ----- stdout -----
    {"outcome":"fail","project":"depb","version":"1.2.0","filename":"depb-1.2.0.tar.gz","url":"https://mirror.example/depb-1.2.0.tar.gz","expected":[],"observed":"sha256:2ebc46cce000dbdeecd6279c7ad54e94cd6e74d31f4a062644dd1c6bee012ef2","lockfile":"requirements.txt","line":null,"warnings":[],"message":"`depb` is not in the lockfile `requirements.txt`, so `depb-1.2.0.tar.gz` cannot be checked"}
    ----- stderr -----
    "#);
    assert_eq!(run.code, 1, "{}", run.stderr);
    let json: serde_json::Value = serde_json::from_str(&run.stdout).unwrap();
    assert_eq!(json["outcome"], "fail");
    assert_eq!(json["project"], "depb");
    assert_eq!(json["version"], "1.2.0");
    assert_eq!(json["line"], serde_json::Value::Null);
    assert_eq!(json["expected"], serde_json::json!([]));
    assert_eq!(
        json["observed"],
        pip_hash(&testdata_artifact("depb", stranger))
    );

    // A pass with a warning lists it.
    download(&context, TINY_WHEEL, TINY_WHEEL);
    let mirror = format!("https://mirror.example/{TINY_WHEEL}");
    let run = verify(&context, &["--format", "json", TINY_WHEEL, &mirror]);
    insta::assert_snapshot!(run.snapshot(), @r#"
    exit code: 0
    ----- stdout -----
    {"outcome":"pass","project":"tinyproj","version":"1.0.0","filename":"tinyproj-1.0.0-py3-none-any.whl","url":"https://mirror.example/tinyproj-1.0.0-py3-none-any.whl","expected":["sha256:579a70f4d94e0634fed025f489280c121ab96de425a53cda9af7ae4db6619ba4"],"observed":"sha256:579a70f4d94e0634fed025f489280c121ab96de425a53cda9af7ae4db6619ba4","lockfile":"requirements.txt","line":1,"warnings":["`tinyproj-1.0.0-py3-none-any.whl` was recorded from `[INDEX]/files/tinyproj-1.0.0-py3-none-any.whl`, not from `https://mirror.example/tinyproj-1.0.0-py3-none-any.whl` (requirements.txt:1)"],"message":"`tinyproj-1.0.0-py3-none-any.whl` matches a hash recorded for `tinyproj==1.0.0`"}
    ----- stderr -----
    "#);
    assert_eq!(run.code, 0, "{}", run.stderr);
    let json: serde_json::Value = serde_json::from_str(&run.stdout).unwrap();
    assert_eq!(json["outcome"], "pass");
    let wheel = pip_hash(&testdata_artifact("tinyproj", TINY_WHEEL));
    assert_eq!(json["expected"], serde_json::json!([wheel]));
    assert_eq!(json["observed"], wheel);
    let warnings = json["warnings"].as_array().unwrap();
    assert_eq!(warnings.len(), 1, "{json}");
    assert!(
        warnings[0].as_str().unwrap().contains(&mirror),
        "{warnings:?}"
    );
}

#[test]
fn json_reports_a_retry() {
    let context = locked("platpkg==0.5.0\n", &["--platform", "manylinux_2_17_x86_64"]);
    download(&context, PLAT_WINDOWS, PLAT_WINDOWS);
    let url = context.server.file_url(PLAT_WINDOWS);
    let run = verify(&context, &["--format", "json", PLAT_WINDOWS, &url]);
    insta::assert_snapshot!(run.snapshot(), @r#"
    exit code: 3
    ----- stdout -----
    {"outcome":"retry","project":"platpkg","version":"0.5.0","filename":"platpkg-0.5.0-cp311-cp311-win_amd64.whl","url":"[INDEX]/files/platpkg-0.5.0-cp311-cp311-win_amd64.whl","expected":["sha256:16f281f8385ace4bc178ebda2b8126c120ffca1e6ff6cf011959f2b3ac3d66ac","sha256:3c925c99426c4c7faf6335bfeac0ec8210742011737dbec4d618a985b493d529","sha256:8417be7812584c0762114ebea16dbb02ec59ef425e0e50314fef3f6071cc7478","sha256:d78deaa4edca75820c58e55696f90bdf12779846737e6b08d931df321d92bc54"],"observed":"sha256:5c62034ae5a957502a2341d52015ec03ad0481c4edeeb635964c3a0b4149f721","lockfile":"requirements.txt","line":1,"warnings":[],"message":"`platpkg-0.5.0-cp311-cp311-win_amd64.whl` is not recorded for `platpkg==0.5.0`, but 4 other files of it are"}
    ----- stderr -----
    "#);
    assert_eq!(run.code, 3, "{}", run.stderr);
    let json: serde_json::Value = serde_json::from_str(&run.stdout).unwrap();
    assert_eq!(json["outcome"], "retry");
    assert_eq!(json["filename"], PLAT_WINDOWS);
    assert_eq!(json["url"], context.filter(&url));
    let recorded: Vec<String> = context
        .read("requirements.txt")
        .lines()
        .filter_map(|line| line.trim().strip_prefix("--hash="))
        .map(|hash| hash.trim_end_matches(" \\").to_string())
        .collect();
    assert!(!recorded.is_empty());
    assert_eq!(json["expected"], serde_json::json!(recorded));
}

#[test]
fn a_file_that_is_not_an_artifact_is_bad_input() {
    let context = locked("tinyproj==1.0.0\n", &[]);
    context.write("notes.txt", "hello\n");
    let run = verify(&context, &["notes.txt", "https://files.example/notes.txt"]);
    assert_eq!(run.code, 2, "{}", run.stderr);
    assert_contains(
        &run.stderr,
        "error: `notes.txt` is not a wheel or sdist filename",
    );
}

#[test]
fn a_missing_artifact_is_bad_input() {
    let context = locked("tinyproj==1.0.0\n", &[]);
    let run = verify(&context, &[TINY_SDIST, "https://files.example/x"]);
    assert_eq!(run.code, 2, "{}", run.stderr);
    assert_contains(&run.stderr, "does not exist or is not a file");
}

#[test]
fn a_missing_lockfile_is_bad_input() {
    let context = TestContext::new();
    download(&context, TINY_SDIST, TINY_SDIST);
    let url = context.server.file_url(TINY_SDIST);
    let run = verify(&context, &[TINY_SDIST, &url]);
    assert_eq!(run.code, 2, "{}", run.stderr);
    assert_contains(
        &run.stderr,
        "error: `requirements.txt` does not exist or is not a file",
    );
    let run = verify(&context, &["--lock", "locks/prod.txt", TINY_SDIST, &url]);
    assert_eq!(run.code, 2, "{}", run.stderr);
    assert_contains(&run.stderr, "`locks/prod.txt` does not exist");
}

#[test]
fn a_malformed_or_unpinned_lockfile_is_bad_input() {
    let context = TestContext::new();
    download(&context, TINY_SDIST, TINY_SDIST);
    let url = context.server.file_url(TINY_SDIST);
    context.write("requirements.txt", "tinyproj==1.0.0 --hash=md5:00\n");
    let run = verify(&context, &[TINY_SDIST, &url]);
    assert_eq!(run.code, 2, "{}", run.stderr);
    assert_contains(&run.stderr, "requirements.txt:1:");

    context.write("requirements.txt", "depb==1.0.0\ntinyproj>=1.0\n");
    let run = verify(&context, &[TINY_SDIST, &url]);
    assert_eq!(run.code, 2, "{}", run.stderr);
    assert_contains(&run.stderr, "requirements.txt:2:1");
}

#[test]
fn an_entry_without_hashes_fails() {
    let context = TestContext::new();
    context.write("requirements.txt", "tinyproj==1.0.0\n");
    download(&context, TINY_SDIST, TINY_SDIST);
    let url = context.server.file_url(TINY_SDIST);
    let run = verify(&context, &[TINY_SDIST, &url]);
    insta::assert_snapshot!(run.snapshot(), @"
    exit code: 1
    ----- stdout -----
    ----- stderr -----
    fail: `tinyproj==1.0.0` records no hashes, so `tinyproj-1.0.0.tar.gz` cannot be checked
      requirement: tinyproj==1.0.0 (requirements.txt:1)
      url:         [INDEX]/files/tinyproj-1.0.0.tar.gz
      observed:    sha256:69a25f6130fbe75b3c1c0aabddbed8a3b47df9f288022c9c27370d4d5d7f84ff
    hint: record them with `hashpin lock`
    ");
    assert_eq!(run.code, 1, "{}", run.stderr);
    assert_contains(&run.stderr, "`tinyproj==1.0.0` records no hashes");
}

#[test]
fn a_sha512_pin_is_checked_as_sha512() {
    let context = TestContext::new();
    download(&context, TINY_SDIST, TINY_SDIST);
    let output = std::process::Command::new("python3")
        .args([
            "-c",
            "import hashlib, sys; print(hashlib.sha512(open(sys.argv[1], 'rb').read()).hexdigest())",
        ])
        .arg(context.path(TINY_SDIST))
        .output()
        .expect("python3 runs");
    let sha512 = String::from_utf8(output.stdout).unwrap().trim().to_string();
    assert_eq!(sha512.len(), 128);
    context.write(
        "requirements.txt",
        &format!("tinyproj==1.0.0 --hash=sha512:{sha512}\n"),
    );
    let url = format!("https://files.example/{TINY_SDIST}");
    let run = verify(&context, &["--format", "json", TINY_SDIST, &url]);
    assert_eq!(run.code, 0, "{}", run.stderr);
    let json: serde_json::Value = serde_json::from_str(&run.stdout).unwrap();
    assert_eq!(
        json["expected"],
        serde_json::json!([format!("sha512:{sha512}")])
    );
    assert_eq!(
        json["observed"],
        pip_hash(&testdata_artifact("tinyproj", TINY_SDIST))
    );
}

#[test]
fn tampered_bytes_under_another_spelling_of_a_recorded_name_fail() {
    let context = locked("tinyproj==1.0.0\n", &[]);
    let tampered = context.path("TinyProj-1.0-py3-none-any.whl");
    fs_err::write(&tampered, b"tampered bytes").unwrap();
    let url = context.server.file_url("TinyProj-1.0-py3-none-any.whl");
    let run = verify(&context, &[tampered.to_str().unwrap(), &url]);
    insta::assert_snapshot!(run.snapshot(), @"
    exit code: 1
    ----- stdout -----
    ----- stderr -----
    fail: `tinyproj-1.0.0-py3-none-any.whl` changed since it was locked (served now as `TinyProj-1.0-py3-none-any.whl`)
      requirement: tinyproj==1.0.0 (requirements.txt:1)
      url:         [INDEX]/files/tinyproj-1.0.0-py3-none-any.whl
      now at:      [INDEX]/files/TinyProj-1.0-py3-none-any.whl
      recorded:    sha256:579a70f4d94e0634fed025f489280c121ab96de425a53cda9af7ae4db6619ba4
      observed:    sha256:c90a090615d6c77dfdc45a02d9d18c7cebe71c0d2213efbc7dd50f7e9ea2dbd5
    hint: do not use it; re-record only if you know why the bytes changed: `hashpin lock --update tinyproj`
    ");
    assert_eq!(run.code, 1, "{}", run.stderr);
}
