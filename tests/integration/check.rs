//! `hashpin check`: one test per status, mixes of them, the inside-the-archive report, JSON,
//! exit codes, `--strict`, and a lockfile that is never written.

use crate::harness::{Run, TestContext, republished_wheel, rewrite_tiny_wheel, testdata_artifact};

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
    insta::assert_snapshot!(run.snapshot(), @r"
    exit code: 1
    ----- stdout -----
    tinyproj==1.0.0 (requirements.txt:2)
      changed        tinyproj-1.0.0-py3-none-any.whl
                     url:       [INDEX]/files/tinyproj-1.0.0-py3-none-any.whl
                     recorded:  sha256:579a70f4d94e0634fed025f489280c121ab96de425a53cda9af7ae4db6619ba4
                     observed:  sha256:3a164c47107837e58b16bd8a2b40fa99afeeb8f827343f3113cc28baa1a4c4b4
                     why:       modified: the contents changed (2 to review first)
                       2 members changed, 1 added, 0 removed
                       ! .pth file `zzz_tinyproj.pth` (runs at every interpreter start)
                       ! new dependency `evil-helper` (Requires-Dist)
                       + zzz_tinyproj.pth
                       ~ tinyproj-1.0.0.dist-info/METADATA
                       ~ tinyproj/__init__.py
                       --- recorded/METADATA
                       +++ observed/METADATA
                       @@ -1,5 +1,6 @@
                        Metadata-Version: 2.1
                        Name: tinyproj
                        Version: 1.0.0
                       +Requires-Dist: evil-helper
                        Summary: Test fixture for hashpin
                        
      unchanged      tinyproj-1.0.0.tar.gz
    --- a/requirements.txt
    +++ b/requirements.txt
    @@ -1,6 +1,6 @@
     # app
     tinyproj==1.0.0 \
    -    --hash=sha256:579a70f4d94e0634fed025f489280c121ab96de425a53cda9af7ae4db6619ba4 \
    +    --hash=sha256:3a164c47107837e58b16bd8a2b40fa99afeeb8f827343f3113cc28baa1a4c4b4 \
         --hash=sha256:69a25f6130fbe75b3c1c0aabddbed8a3b47df9f288022c9c27370d4d5d7f84ff
    -    # hashpin: tinyproj-1.0.0-py3-none-any.whl sha256:579a70f4d94e0634fed025f489280c121ab96de425a53cda9af7ae4db6619ba4 [INDEX]/files/tinyproj-1.0.0-py3-none-any.whl
    +    # hashpin: tinyproj-1.0.0-py3-none-any.whl sha256:3a164c47107837e58b16bd8a2b40fa99afeeb8f827343f3113cc28baa1a4c4b4 [INDEX]/files/tinyproj-1.0.0-py3-none-any.whl
         # hashpin: tinyproj-1.0.0.tar.gz sha256:69a25f6130fbe75b3c1c0aabddbed8a3b47df9f288022c9c27370d4d5d7f84ff [INDEX]/files/tinyproj-1.0.0.tar.gz
    checked 1 release, 2 artifacts: 1 unchanged, 1 changed
    ----- stderr -----
    ");
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
    insta::assert_snapshot!(run.snapshot(), @r"
    exit code: 1
    ----- stdout -----
    tinyproj==1.0.0 (requirements.txt:2)
      changed        tinyproj-1.0.0-py3-none-any.whl
                     url:       [INDEX]/files/tinyproj-1.0.0-py3-none-any.whl
                     recorded:  sha256:579a70f4d94e0634fed025f489280c121ab96de425a53cda9af7ae4db6619ba4
                     observed:  sha256:e57fe7ac1354a7081aa86bd2c88ed044b475b21c0a96cd8c062cef973b32a21e
                     why:       not an archive: the index served an HTML page under this name (an error page from a proxy or mirror?)
      changed        tinyproj-1.0.0.tar.gz
                     url:       [INDEX]/files/tinyproj-1.0.0.tar.gz
                     recorded:  sha256:69a25f6130fbe75b3c1c0aabddbed8a3b47df9f288022c9c27370d4d5d7f84ff
                     observed:  sha256:6ed7d59385afcc386354e6c2452aff49b97048578f9e7ba30b1b5d56e274c862
                     why:       truncated: 5131 of 10263 bytes, a cut-off download or a broken mirror rather than an attack
    --- a/requirements.txt
    +++ b/requirements.txt
    @@ -1,6 +1,6 @@
     # app
     tinyproj==1.0.0 \
    -    --hash=sha256:579a70f4d94e0634fed025f489280c121ab96de425a53cda9af7ae4db6619ba4 \
    -    --hash=sha256:69a25f6130fbe75b3c1c0aabddbed8a3b47df9f288022c9c27370d4d5d7f84ff
    -    # hashpin: tinyproj-1.0.0-py3-none-any.whl sha256:579a70f4d94e0634fed025f489280c121ab96de425a53cda9af7ae4db6619ba4 [INDEX]/files/tinyproj-1.0.0-py3-none-any.whl
    -    # hashpin: tinyproj-1.0.0.tar.gz sha256:69a25f6130fbe75b3c1c0aabddbed8a3b47df9f288022c9c27370d4d5d7f84ff [INDEX]/files/tinyproj-1.0.0.tar.gz
    +    --hash=sha256:6ed7d59385afcc386354e6c2452aff49b97048578f9e7ba30b1b5d56e274c862 \
    +    --hash=sha256:e57fe7ac1354a7081aa86bd2c88ed044b475b21c0a96cd8c062cef973b32a21e
    +    # hashpin: tinyproj-1.0.0-py3-none-any.whl sha256:e57fe7ac1354a7081aa86bd2c88ed044b475b21c0a96cd8c062cef973b32a21e [INDEX]/files/tinyproj-1.0.0-py3-none-any.whl
    +    # hashpin: tinyproj-1.0.0.tar.gz sha256:6ed7d59385afcc386354e6c2452aff49b97048578f9e7ba30b1b5d56e274c862 [INDEX]/files/tinyproj-1.0.0.tar.gz
    checked 1 release, 2 artifacts: 2 changed
    ----- stderr -----
    ");
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
    insta::assert_snapshot!(run.snapshot(), @"
    exit code: 1
    ----- stdout -----
    tinyproj==1.0.0 (requirements.txt:2)
      unchanged      tinyproj-1.0.0-py3-none-any.whl
      index-mismatch tinyproj-1.0.0.tar.gz
                     url:       [INDEX]/files/tinyproj-1.0.0.tar.gz
                     recorded:  sha256:69a25f6130fbe75b3c1c0aabddbed8a3b47df9f288022c9c27370d4d5d7f84ff
                     declared:  sha256:c28368070fc99df4323811cb64ae7634768f1aba483a540ce41e638276377148
    checked 1 release, 2 artifacts: 1 unchanged, 1 index-mismatch
    ----- stderr -----
    ");
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
    insta::assert_snapshot!(run.snapshot(), @r"
    exit code: 0
    ----- stdout -----
    tinyproj==1.0.0 (requirements.txt:2)
      yanked         tinyproj-1.0.0-py3-none-any.whl
                     url:       [INDEX]/files/tinyproj-1.0.0-py3-none-any.whl
                     recorded:  sha256:579a70f4d94e0634fed025f489280c121ab96de425a53cda9af7ae4db6619ba4
                     yanked:    broken build
      missing        tinyproj-1.0.0.tar.gz
                     url:       [INDEX]/files/tinyproj-1.0.0.tar.gz
                     recorded:  sha256:69a25f6130fbe75b3c1c0aabddbed8a3b47df9f288022c9c27370d4d5d7f84ff
                     why:       gone from the index's listing
      added          tinyproj-1.0.0-cp311-cp311-win_amd64.whl
                     url:       [INDEX]/files/tinyproj-1.0.0-cp311-cp311-win_amd64.whl
                     observed:  sha256:3720f744fb617ee3c160d22894862e63672667bafa160bdb7443b00986c788e9
    --- a/requirements.txt
    +++ b/requirements.txt
    @@ -1,6 +1,6 @@
     # app
     tinyproj==1.0.0 \
    -    --hash=sha256:579a70f4d94e0634fed025f489280c121ab96de425a53cda9af7ae4db6619ba4 \
    -    --hash=sha256:69a25f6130fbe75b3c1c0aabddbed8a3b47df9f288022c9c27370d4d5d7f84ff
    +    --hash=sha256:3720f744fb617ee3c160d22894862e63672667bafa160bdb7443b00986c788e9 \
    +    --hash=sha256:579a70f4d94e0634fed025f489280c121ab96de425a53cda9af7ae4db6619ba4
    +    # hashpin: tinyproj-1.0.0-cp311-cp311-win_amd64.whl sha256:3720f744fb617ee3c160d22894862e63672667bafa160bdb7443b00986c788e9 [INDEX]/files/tinyproj-1.0.0-cp311-cp311-win_amd64.whl
         # hashpin: tinyproj-1.0.0-py3-none-any.whl sha256:579a70f4d94e0634fed025f489280c121ab96de425a53cda9af7ae4db6619ba4 [INDEX]/files/tinyproj-1.0.0-py3-none-any.whl
    -    # hashpin: tinyproj-1.0.0.tar.gz sha256:69a25f6130fbe75b3c1c0aabddbed8a3b47df9f288022c9c27370d4d5d7f84ff [INDEX]/files/tinyproj-1.0.0.tar.gz
    checked 1 release, 3 artifacts: 1 missing, 1 added, 1 yanked
    ----- stderr -----
    ");
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
    insta::assert_snapshot!(run.snapshot(), @r"
    exit code: 0
    ----- stdout -----
    tinyproj==1.0.0 (requirements.txt:1)
      moved          tinyproj-1.0.0-py3-none-any.whl
                     url:       file://[REPO]/testdata/index/tinyproj/tinyproj-1.0.0-py3-none-any.whl
                     now at:    [INDEX]/files/tinyproj-1.0.0-py3-none-any.whl
                     recorded:  sha256:579a70f4d94e0634fed025f489280c121ab96de425a53cda9af7ae4db6619ba4
                     why:       the index lists the same bytes at a new URL
      moved          tinyproj-1.0.0.tar.gz
                     url:       file://[REPO]/testdata/index/tinyproj/tinyproj-1.0.0.tar.gz
                     now at:    [INDEX]/files/tinyproj-1.0.0.tar.gz
                     recorded:  sha256:69a25f6130fbe75b3c1c0aabddbed8a3b47df9f288022c9c27370d4d5d7f84ff
                     why:       the index lists the same bytes at a new URL
    --- a/requirements.txt
    +++ b/requirements.txt
    @@ -1,5 +1,5 @@
     tinyproj==1.0.0 \
         --hash=sha256:579a70f4d94e0634fed025f489280c121ab96de425a53cda9af7ae4db6619ba4 \
         --hash=sha256:69a25f6130fbe75b3c1c0aabddbed8a3b47df9f288022c9c27370d4d5d7f84ff
    -    # hashpin: tinyproj-1.0.0-py3-none-any.whl sha256:579a70f4d94e0634fed025f489280c121ab96de425a53cda9af7ae4db6619ba4 file://[REPO]/testdata/index/tinyproj/tinyproj-1.0.0-py3-none-any.whl
    -    # hashpin: tinyproj-1.0.0.tar.gz sha256:69a25f6130fbe75b3c1c0aabddbed8a3b47df9f288022c9c27370d4d5d7f84ff file://[REPO]/testdata/index/tinyproj/tinyproj-1.0.0.tar.gz
    +    # hashpin: tinyproj-1.0.0-py3-none-any.whl sha256:579a70f4d94e0634fed025f489280c121ab96de425a53cda9af7ae4db6619ba4 [INDEX]/files/tinyproj-1.0.0-py3-none-any.whl
    +    # hashpin: tinyproj-1.0.0.tar.gz sha256:69a25f6130fbe75b3c1c0aabddbed8a3b47df9f288022c9c27370d4d5d7f84ff [INDEX]/files/tinyproj-1.0.0.tar.gz
    checked 1 release, 2 artifacts: 2 moved
    ----- stderr -----
    ");
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
    insta::assert_snapshot!(run.snapshot(), @r"
    exit code: 1
    ----- stdout -----
    tinyproj==1.0.0 (requirements.txt:1)
      unchanged      tinyproj-1.0.0-py3-none-any.whl
      changed        tinyproj-1.0.0.tar.gz
                     url:       [INDEX]/files/tinyproj-1.0.0.tar.gz
                     recorded:  sha256:69a25f6130fbe75b3c1c0aabddbed8a3b47df9f288022c9c27370d4d5d7f84ff
                     observed:  sha256:bee67f05049ea7c3f616ec2b6b63c18bc86b46503a4464b55a23273b972e00b7
                     why:       served with a hash the lockfile does not record, while a recorded hash matches no file: probably republished
      missing        (a file recorded by hash only)
                     recorded:  sha256:69a25f6130fbe75b3c1c0aabddbed8a3b47df9f288022c9c27370d4d5d7f84ff
                     why:       no file served now has this recorded hash
    --- a/requirements.txt
    +++ b/requirements.txt
    @@ -1 +1,5 @@
    -tinyproj==1.0.0 --hash=sha256:579a70f4d94e0634fed025f489280c121ab96de425a53cda9af7ae4db6619ba4 --hash=sha256:69a25f6130fbe75b3c1c0aabddbed8a3b47df9f288022c9c27370d4d5d7f84ff
    +tinyproj==1.0.0 \
    +    --hash=sha256:579a70f4d94e0634fed025f489280c121ab96de425a53cda9af7ae4db6619ba4 \
    +    --hash=sha256:bee67f05049ea7c3f616ec2b6b63c18bc86b46503a4464b55a23273b972e00b7
    +    # hashpin: tinyproj-1.0.0-py3-none-any.whl sha256:579a70f4d94e0634fed025f489280c121ab96de425a53cda9af7ae4db6619ba4 [INDEX]/files/tinyproj-1.0.0-py3-none-any.whl
    +    # hashpin: tinyproj-1.0.0.tar.gz sha256:bee67f05049ea7c3f616ec2b6b63c18bc86b46503a4464b55a23273b972e00b7 [INDEX]/files/tinyproj-1.0.0.tar.gz
    checked 1 release, 3 artifacts: 1 unchanged, 1 changed, 1 missing
    ----- stderr -----
    ");
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
    insta::assert_snapshot!(run.stdout, @r#"
    {
      "schema": "hashpin-check/1",
      "files": [
        "requirements.txt"
      ],
      "exit_code": 1,
      "summary": {
        "added": 0,
        "changed": 1,
        "index-mismatch": 0,
        "missing": 0,
        "moved": 0,
        "unchanged": 0,
        "yanked": 1
      },
      "artifacts": [
        {
          "project": "tinyproj",
          "version": "1.0.0",
          "requirement": "tinyproj==1.0.0",
          "lockfile": "requirements.txt",
          "line": 2,
          "filename": "tinyproj-1.0.0-py3-none-any.whl",
          "url": "[INDEX]/files/tinyproj-1.0.0-py3-none-any.whl",
          "current_url": null,
          "status": "changed",
          "recorded": "sha256:579a70f4d94e0634fed025f489280c121ab96de425a53cda9af7ae4db6619ba4",
          "observed": "sha256:3a164c47107837e58b16bd8a2b40fa99afeeb8f827343f3113cc28baa1a4c4b4",
          "declared": [],
          "reason": "modified: the contents changed (2 to review first)",
          "inside": {
            "added": [
              "zzz_tinyproj.pth"
            ],
            "removed": [],
            "changed": [
              "tinyproj-1.0.0.dist-info/METADATA",
              "tinyproj/__init__.py"
            ],
            "notable": [
              ".pth file `zzz_tinyproj.pth` (runs at every interpreter start)",
              "new dependency `evil-helper` (Requires-Dist)"
            ],
            "metadata_diff": "--- recorded/METADATA\n+++ observed/METADATA\n@@ -1,5 +1,6 @@\n Metadata-Version: 2.1\n Name: tinyproj\n Version: 1.0.0\n+Requires-Dist: evil-helper\n Summary: Test fixture for hashpin\n \n"
          },
          "yank_reason": null
        },
        {
          "project": "tinyproj",
          "version": "1.0.0",
          "requirement": "tinyproj==1.0.0",
          "lockfile": "requirements.txt",
          "line": 2,
          "filename": "tinyproj-1.0.0.tar.gz",
          "url": "[INDEX]/files/tinyproj-1.0.0.tar.gz",
          "current_url": null,
          "status": "yanked",
          "recorded": "sha256:69a25f6130fbe75b3c1c0aabddbed8a3b47df9f288022c9c27370d4d5d7f84ff",
          "observed": "sha256:69a25f6130fbe75b3c1c0aabddbed8a3b47df9f288022c9c27370d4d5d7f84ff",
          "declared": [],
          "reason": null,
          "inside": null,
          "yank_reason": ""
        }
      ],
      "unhashed": [],
      "errors": []
    }
    "#);
}

#[test]
fn an_audit_that_verifies_nothing_fails_and_listing_failures_exit_4() {
    // See: https://github.com/hashpin/hashpin/issues/8
    let context = TestContext::new();
    context.write("requirements.txt", "tinyproj==1.0.0\n");
    let run = check(&context, &[]);
    insta::assert_snapshot!(run.snapshot(), @"
    exit code: 1
    ----- stdout -----
    tinyproj==1.0.0 (requirements.txt:1)
      unhashed       nothing recorded, so nothing checked
                     hint: record them with `hashpin lock`
    checked 0 releases, 0 artifacts: nothing verified; 1 requirement records no hashes
    ----- stderr -----
    ");

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
    insta::assert_snapshot!(run.snapshot(), @"
    exit code: 1
    ----- stdout -----
    tinyproj==1.0.0 (requirements.txt:1)
      unchanged      tinyproj-1.0.0-py3-none-any.whl
      index-mismatch tinyproj-1.0.0.tar.gz
                     url:       [INDEX]/files/tinyproj-1.0.0.tar.gz
                     observed:  sha256:69a25f6130fbe75b3c1c0aabddbed8a3b47df9f288022c9c27370d4d5d7f84ff
                     declared:  sha256:c28368070fc99df4323811cb64ae7634768f1aba483a540ce41e638276377148
    --- a/requirements.txt
    +++ b/requirements.txt
    @@ -1 +1,3 @@
     tinyproj==1.0.0 --hash=sha256:579a70f4d94e0634fed025f489280c121ab96de425a53cda9af7ae4db6619ba4 --hash=sha256:69a25f6130fbe75b3c1c0aabddbed8a3b47df9f288022c9c27370d4d5d7f84ff
    +    # hashpin: tinyproj-1.0.0-py3-none-any.whl sha256:579a70f4d94e0634fed025f489280c121ab96de425a53cda9af7ae4db6619ba4 [INDEX]/files/tinyproj-1.0.0-py3-none-any.whl
    +    # hashpin: tinyproj-1.0.0.tar.gz sha256:69a25f6130fbe75b3c1c0aabddbed8a3b47df9f288022c9c27370d4d5d7f84ff [INDEX]/files/tinyproj-1.0.0.tar.gz
    checked 1 release, 2 artifacts: 1 unchanged, 1 index-mismatch
    ----- stderr -----
    ");
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
    insta::assert_snapshot!(run.snapshot(), @"
    exit code: 4
    ----- stdout -----
    ok tinyproj==1.0.0 (requirements.txt:2): 1 unchanged
    checked 1 release, 1 artifact: 1 unchanged
    ----- stderr -----
    error: GET `[INDEX]/files/tinyproj-1.0.0.tar.gz` failed: HTTP 500
    ");
    assert_eq!(run.code, 4, "{}", run.snapshot());
    assert!(!run.stdout.contains("missing"), "{}", run.stdout);
}

#[test]
fn a_file_claiming_another_version_still_shows_what_changed_inside() {
    let context = TestContext::new();
    locked(&context);
    let bytes = rewrite_tiny_wheel(
        |_, text| text.replace("Version: 1.0.0", "Version: 1.0.0.post0"),
        ("evil.pth", "import os\n"),
    );
    context.server.replace_bytes(TINY_WHEEL, bytes);
    let run = check(&context, &[]);
    insta::assert_snapshot!(run.snapshot(), @r"
    exit code: 1
    ----- stdout -----
    tinyproj==1.0.0 (requirements.txt:2)
      changed        tinyproj-1.0.0-py3-none-any.whl
                     url:       [INDEX]/files/tinyproj-1.0.0-py3-none-any.whl
                     recorded:  sha256:579a70f4d94e0634fed025f489280c121ab96de425a53cda9af7ae4db6619ba4
                     observed:  sha256:3acda8e21e35c44c8ebc8aaca4c356bcc0c2ecc7517a9749561ef88dca6300aa
                     why:       a different file: its metadata names `tinyproj` 1.0.0.post0, not this release
                       1 member changed, 1 added, 0 removed
                       ! .pth file `evil.pth` (runs at every interpreter start)
                       + evil.pth
                       ~ tinyproj-1.0.0.dist-info/METADATA
                       --- recorded/METADATA
                       +++ observed/METADATA
                       @@ -1,5 +1,5 @@
                        Metadata-Version: 2.1
                        Name: tinyproj
                       -Version: 1.0.0
                       +Version: 1.0.0.post0
                        Summary: Test fixture for hashpin
                        
      unchanged      tinyproj-1.0.0.tar.gz
    --- a/requirements.txt
    +++ b/requirements.txt
    @@ -1,6 +1,6 @@
     # app
     tinyproj==1.0.0 \
    -    --hash=sha256:579a70f4d94e0634fed025f489280c121ab96de425a53cda9af7ae4db6619ba4 \
    +    --hash=sha256:3acda8e21e35c44c8ebc8aaca4c356bcc0c2ecc7517a9749561ef88dca6300aa \
         --hash=sha256:69a25f6130fbe75b3c1c0aabddbed8a3b47df9f288022c9c27370d4d5d7f84ff
    -    # hashpin: tinyproj-1.0.0-py3-none-any.whl sha256:579a70f4d94e0634fed025f489280c121ab96de425a53cda9af7ae4db6619ba4 [INDEX]/files/tinyproj-1.0.0-py3-none-any.whl
    +    # hashpin: tinyproj-1.0.0-py3-none-any.whl sha256:3acda8e21e35c44c8ebc8aaca4c356bcc0c2ecc7517a9749561ef88dca6300aa [INDEX]/files/tinyproj-1.0.0-py3-none-any.whl
         # hashpin: tinyproj-1.0.0.tar.gz sha256:69a25f6130fbe75b3c1c0aabddbed8a3b47df9f288022c9c27370d4d5d7f84ff [INDEX]/files/tinyproj-1.0.0.tar.gz
    checked 1 release, 2 artifacts: 1 unchanged, 1 changed
    ----- stderr -----
    ");
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
    insta::assert_snapshot!(run.snapshot(), @"
    exit code: 4
    ----- stdout -----
    ok tinyproj==1.0.0 (requirements.txt:1): 1 unchanged
    checked 1 release, 1 artifact: 1 unchanged
    ----- stderr -----
    error: GET `[INDEX]/files/tinyproj-1.0.0-py3-none-any.whl` failed: HTTP 500
    ");
    assert_eq!(run.code, 4, "{}", run.snapshot());
    assert!(!run.stdout.contains("republished"), "{}", run.stdout);
}

// See: https://github.com/hashpin/hashpin/issues/7
#[test]
fn a_listed_file_that_answers_404_cannot_hide_a_republished_one() {
    let context = TestContext::new();
    hashes_without_filenames(&context);
    context
        .server
        .replace_bytes(TINY_SDIST, b"republished".to_vec());
    let decoy = "tinyproj-1.0.0-py2-none-any.whl";
    context
        .server
        .add_file("tinyproj", decoy, context.server.bytes(TINY_WHEEL));
    context
        .server
        .fail_times(&format!("/files/{decoy}"), 404, 100);
    let run = check(&context, &[]);
    assert_eq!(run.code, 1, "{}", run.snapshot());
    assert!(
        run.stdout.contains("probably republished"),
        "{}",
        run.stdout
    );
}

// See: https://github.com/hashpin/hashpin/issues/8
#[test]
fn a_pin_without_hashes_is_reported_and_fails_with_strict() {
    let context = TestContext::new();
    locked(&context);
    let mut text = context.read("requirements.txt");
    text.push_str("depb==1.2.0\n");
    context.write("requirements.txt", &text);
    let run = check(&context, &[]);
    assert_eq!(run.code, 0, "{}", run.snapshot());
    assert!(
        run.stdout.contains("depb==1.2.0 (requirements.txt:"),
        "{}",
        run.stdout
    );
    let run = check(&context, &["--strict"]);
    assert_eq!(run.code, 1, "{}", run.snapshot());
    let run = check(&context, &["--format", "json"]);
    let document: serde_json::Value = serde_json::from_str(&run.stdout).unwrap();
    assert_eq!(document["unhashed"][0]["requirement"], "depb==1.2.0");
}
