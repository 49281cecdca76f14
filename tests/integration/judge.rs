//! One rule, every command: each rule of the judge (a renamed file, hashes recorded without a
//! filename, a file recorded twice) tested end to end through `lock`, `check`, `verify` and
//! `install --frozen` on the same lockfile and the same index, which must all agree.
//! See: https://github.com/hashpin/hashpin/issues/7

use sha2::{Digest, Sha256};

use crate::harness::{TestContext, codes, every_command, tampered_wheel, testdata_artifact};

const TINY_WHEEL: &str = "tinyproj-1.0.0-py3-none-any.whl";
const TINY_SDIST: &str = "tinyproj-1.0.0.tar.gz";

fn sha256(name: &str) -> String {
    let bytes = fs_err::read(testdata_artifact("tinyproj", name)).unwrap();
    format!("sha256:{}", hex::encode(Sha256::digest(&bytes)))
}

#[test]
fn a_changed_file_under_another_spelling_of_its_name_is_refused_by_every_command() {
    let context = TestContext::new();
    context.write("requirements.txt", "tinyproj==1.0.0\n");
    assert_eq!(context.lock(&[]).code, 0);
    // The wheel, republished under `1.0` for `1.0.0` and another case: the same artifact.
    let renamed = "TinyProj-1.0-py3-none-any.whl";
    context.server.remove_file(TINY_WHEEL);
    context
        .server
        .add_file("tinyproj", renamed, tampered_wheel());
    let everyone = every_command(&context, renamed);
    assert_eq!(
        codes(&everyone),
        [1, 1, 1, 1],
        "{}",
        everyone.install.stderr
    );
    for (run, expected) in [
        (&everyone.lock.stderr, "`TinyProj-1.0-py3-none-any.whl`"),
        (
            &everyone.check.stdout,
            "changed        tinyproj-1.0.0-py3-none-any.whl",
        ),
        (&everyone.verify.stderr, "changed since it was locked"),
        (&everyone.install.stderr, "changed since it was locked"),
    ] {
        assert!(run.contains(expected), "missing `{expected}` in:\n{run}");
    }
    insta::assert_snapshot!(everyone.lock.snapshot(), @r"
    exit code: 1
    ----- stdout -----
    ----- stderr -----
    error: `tinyproj-1.0.0-py3-none-any.whl` changed since it was locked (served now as `TinyProj-1.0-py3-none-any.whl`)
      requirement: tinyproj==1.0.0 (requirements.txt:1)
      url:         [INDEX]/files/tinyproj-1.0.0-py3-none-any.whl
      now at:      [INDEX]/files/TinyProj-1.0-py3-none-any.whl
      recorded:    sha256:579a70f4d94e0634fed025f489280c121ab96de425a53cda9af7ae4db6619ba4
      observed:    sha256:76e78f527732b8153fcc72e8782c640814614981b5e96350301edfea26e9e78c
    --- a/requirements.txt
    +++ b/requirements.txt
    @@ -1,5 +1,5 @@
     tinyproj==1.0.0 \
    -    --hash=sha256:579a70f4d94e0634fed025f489280c121ab96de425a53cda9af7ae4db6619ba4 \
    -    --hash=sha256:69a25f6130fbe75b3c1c0aabddbed8a3b47df9f288022c9c27370d4d5d7f84ff
    -    # hashpin: tinyproj-1.0.0-py3-none-any.whl sha256:579a70f4d94e0634fed025f489280c121ab96de425a53cda9af7ae4db6619ba4 [INDEX]/files/tinyproj-1.0.0-py3-none-any.whl
    +    --hash=sha256:69a25f6130fbe75b3c1c0aabddbed8a3b47df9f288022c9c27370d4d5d7f84ff \
    +    --hash=sha256:76e78f527732b8153fcc72e8782c640814614981b5e96350301edfea26e9e78c
    +    # hashpin: TinyProj-1.0-py3-none-any.whl sha256:76e78f527732b8153fcc72e8782c640814614981b5e96350301edfea26e9e78c [INDEX]/files/TinyProj-1.0-py3-none-any.whl
         # hashpin: tinyproj-1.0.0.tar.gz sha256:69a25f6130fbe75b3c1c0aabddbed8a3b47df9f288022c9c27370d4d5d7f84ff [INDEX]/files/tinyproj-1.0.0.tar.gz
    hint: re-record only if you know why the bytes changed: `hashpin lock --update tinyproj`
    refused: 1 recorded artifact changed; nothing written
    ");
    insta::assert_snapshot!(everyone.verify.snapshot(), @"
    exit code: 1
    ----- stdout -----
    ----- stderr -----
    fail: `tinyproj-1.0.0-py3-none-any.whl` changed since it was locked (served now as `TinyProj-1.0-py3-none-any.whl`)
      requirement: tinyproj==1.0.0 (requirements.txt:1)
      url:         [INDEX]/files/tinyproj-1.0.0-py3-none-any.whl
      now at:      [INDEX]/files/TinyProj-1.0-py3-none-any.whl
      recorded:    sha256:579a70f4d94e0634fed025f489280c121ab96de425a53cda9af7ae4db6619ba4
      observed:    sha256:76e78f527732b8153fcc72e8782c640814614981b5e96350301edfea26e9e78c
    hint: do not use it; re-record only if you know why the bytes changed: `hashpin lock --update tinyproj`
    ");
}

#[test]
fn hashes_without_filenames_are_adopted_by_every_command_and_a_republish_refused() {
    let context = TestContext::new();
    let (wheel, sdist) = (sha256(TINY_WHEEL), sha256(TINY_SDIST));
    context.write(
        "requirements.txt",
        &format!("tinyproj==1.0.0 --hash={wheel} --hash={sdist}\n"),
    );
    let everyone = every_command(&context, TINY_WHEEL);
    // Nothing changed: lock would only add provenance (`--check` says so), the rest pass.
    assert_eq!(
        codes(&everyone),
        [1, 0, 0, 0],
        "{}",
        everyone.install.stderr
    );
    assert!(
        everyone
            .lock
            .stdout
            .contains("+    # hashpin: tinyproj-1.0.0-py3-none-any.whl"),
        "{}",
        everyone.lock.stdout
    );

    context.server.replace_bytes(TINY_WHEEL, tampered_wheel());
    let everyone = every_command(&context, TINY_WHEEL);
    assert_eq!(
        codes(&everyone),
        [1, 1, 1, 1],
        "{}",
        everyone.install.stderr
    );
    assert!(
        everyone.check.stdout.contains("probably republished"),
        "{}",
        everyone.check.stdout
    );
    insta::assert_snapshot!(everyone.lock.snapshot(), @r"
    exit code: 1
    ----- stdout -----
    ----- stderr -----
    error: `tinyproj-1.0.0-py3-none-any.whl` is served with a hash the lockfile does not record, while a recorded hash matches no file: it was probably republished
      requirement: tinyproj==1.0.0 (requirements.txt:1)
      url:         [INDEX]/files/tinyproj-1.0.0-py3-none-any.whl
      recorded:    sha256:579a70f4d94e0634fed025f489280c121ab96de425a53cda9af7ae4db6619ba4
      observed:    sha256:76e78f527732b8153fcc72e8782c640814614981b5e96350301edfea26e9e78c
    --- a/requirements.txt
    +++ b/requirements.txt
    @@ -1 +1,5 @@
    -tinyproj==1.0.0 --hash=sha256:579a70f4d94e0634fed025f489280c121ab96de425a53cda9af7ae4db6619ba4 --hash=sha256:69a25f6130fbe75b3c1c0aabddbed8a3b47df9f288022c9c27370d4d5d7f84ff
    +tinyproj==1.0.0 \
    +    --hash=sha256:69a25f6130fbe75b3c1c0aabddbed8a3b47df9f288022c9c27370d4d5d7f84ff \
    +    --hash=sha256:76e78f527732b8153fcc72e8782c640814614981b5e96350301edfea26e9e78c
    +    # hashpin: tinyproj-1.0.0-py3-none-any.whl sha256:76e78f527732b8153fcc72e8782c640814614981b5e96350301edfea26e9e78c [INDEX]/files/tinyproj-1.0.0-py3-none-any.whl
    +    # hashpin: tinyproj-1.0.0.tar.gz sha256:69a25f6130fbe75b3c1c0aabddbed8a3b47df9f288022c9c27370d4d5d7f84ff [INDEX]/files/tinyproj-1.0.0.tar.gz
    hint: re-record only if you know why the bytes changed: `hashpin lock --update tinyproj`
    refused: 1 recorded artifact changed; nothing written
    ");
    insta::assert_snapshot!(everyone.verify.snapshot(), @"
    exit code: 1
    ----- stdout -----
    ----- stderr -----
    fail: `tinyproj-1.0.0-py3-none-any.whl` matches none of the 2 hashes recorded for `tinyproj==1.0.0`
      requirement: tinyproj==1.0.0 (requirements.txt:1)
      url:         [INDEX]/files/tinyproj-1.0.0-py3-none-any.whl
      recorded:    sha256:579a70f4d94e0634fed025f489280c121ab96de425a53cda9af7ae4db6619ba4
                   sha256:69a25f6130fbe75b3c1c0aabddbed8a3b47df9f288022c9c27370d4d5d7f84ff
      observed:    sha256:76e78f527732b8153fcc72e8782c640814614981b5e96350301edfea26e9e78c
    ");
    insta::assert_snapshot!(everyone.install.stderr, @r"
    pip resolved 1 package
    error: `tinyproj-1.0.0-py3-none-any.whl` matches none of the 2 hashes recorded for `tinyproj==1.0.0`
      requirement: tinyproj==1.0.0 (requirements.txt:1)
      url:         [INDEX]/files/tinyproj-1.0.0-py3-none-any.whl
      recorded:    sha256:579a70f4d94e0634fed025f489280c121ab96de425a53cda9af7ae4db6619ba4
                   sha256:69a25f6130fbe75b3c1c0aabddbed8a3b47df9f288022c9c27370d4d5d7f84ff
      observed:    sha256:76e78f527732b8153fcc72e8782c640814614981b5e96350301edfea26e9e78c
    --- a/requirements.txt
    +++ b/requirements.txt
    @@ -1 +1,5 @@
    -tinyproj==1.0.0 --hash=sha256:579a70f4d94e0634fed025f489280c121ab96de425a53cda9af7ae4db6619ba4 --hash=sha256:69a25f6130fbe75b3c1c0aabddbed8a3b47df9f288022c9c27370d4d5d7f84ff
    +tinyproj==1.0.0 \
    +    --hash=sha256:579a70f4d94e0634fed025f489280c121ab96de425a53cda9af7ae4db6619ba4 \
    +    --hash=sha256:69a25f6130fbe75b3c1c0aabddbed8a3b47df9f288022c9c27370d4d5d7f84ff \
    +    --hash=sha256:76e78f527732b8153fcc72e8782c640814614981b5e96350301edfea26e9e78c
    +    # hashpin: tinyproj-1.0.0-py3-none-any.whl sha256:76e78f527732b8153fcc72e8782c640814614981b5e96350301edfea26e9e78c [INDEX]/files/tinyproj-1.0.0-py3-none-any.whl
    refused: 1 artifact refused, 0 verified; nothing installed, the lockfile unchanged
    ");
}

#[test]
fn every_hash_recorded_for_a_file_must_match_in_every_command() {
    let context = TestContext::new();
    let url = |name: &str| context.server.file_url(name);
    let wrong = format!("sha512:{}", "0".repeat(128));
    // The wheel recorded twice, right (sha256) and then wrong (sha512): pip would accept its
    // bytes (one hash matches), hashpin must not, whichever record comes first.
    context.write(
        "requirements.txt",
        &format!(
            "tinyproj==1.0.0 \\\n    --hash={wheel} \\\n    --hash={sdist} \\\n    --hash={wrong}\n    # hashpin: {TINY_WHEEL} {wheel} {wheel_url}\n    # hashpin: {TINY_WHEEL} {wrong} {wheel_url}\n    # hashpin: {TINY_SDIST} {sdist} {sdist_url}\n",
            wheel = sha256(TINY_WHEEL),
            sdist = sha256(TINY_SDIST),
            wheel_url = url(TINY_WHEEL),
            sdist_url = url(TINY_SDIST),
        ),
    );
    let everyone = every_command(&context, TINY_WHEEL);
    assert_eq!(
        codes(&everyone),
        [1, 1, 1, 1],
        "{}",
        everyone.install.stderr
    );
    for run in [
        &everyone.lock.stderr,
        &everyone.verify.stderr,
        &everyone.install.stderr,
    ] {
        assert!(run.contains(&format!("recorded:    {wrong}")), "{run}");
    }
    insta::assert_snapshot!(everyone.check.snapshot(), @r"
    exit code: 1
    ----- stdout -----
    tinyproj==1.0.0 (requirements.txt:1)
      unchanged      tinyproj-1.0.0-py3-none-any.whl
      changed        tinyproj-1.0.0-py3-none-any.whl
                     url:       [INDEX]/files/tinyproj-1.0.0-py3-none-any.whl
                     recorded:  sha512:00000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000
                     observed:  sha512:d8c8047e0e1e31acc2a1617ffee1055a7f05e538af48c01b1d5512155bf4d69832b6c658de81ca8f8420a3471d4d86c47461475ac1904fc1feda130c6ab19001
                     why:       the earlier bytes are not in the cache, so what changed inside cannot be shown
      unchanged      tinyproj-1.0.0.tar.gz
    --- a/requirements.txt
    +++ b/requirements.txt
    @@ -1,7 +1,5 @@
     tinyproj==1.0.0 \
    -    --hash=sha256:579a70f4d94e0634fed025f489280c121ab96de425a53cda9af7ae4db6619ba4 \
         --hash=sha256:69a25f6130fbe75b3c1c0aabddbed8a3b47df9f288022c9c27370d4d5d7f84ff \
    -    --hash=sha512:00000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000
    -    # hashpin: tinyproj-1.0.0-py3-none-any.whl sha256:579a70f4d94e0634fed025f489280c121ab96de425a53cda9af7ae4db6619ba4 [INDEX]/files/tinyproj-1.0.0-py3-none-any.whl
    -    # hashpin: tinyproj-1.0.0-py3-none-any.whl sha512:00000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000 [INDEX]/files/tinyproj-1.0.0-py3-none-any.whl
    +    --hash=sha512:d8c8047e0e1e31acc2a1617ffee1055a7f05e538af48c01b1d5512155bf4d69832b6c658de81ca8f8420a3471d4d86c47461475ac1904fc1feda130c6ab19001
    +    # hashpin: tinyproj-1.0.0-py3-none-any.whl sha512:d8c8047e0e1e31acc2a1617ffee1055a7f05e538af48c01b1d5512155bf4d69832b6c658de81ca8f8420a3471d4d86c47461475ac1904fc1feda130c6ab19001 [INDEX]/files/tinyproj-1.0.0-py3-none-any.whl
         # hashpin: tinyproj-1.0.0.tar.gz sha256:69a25f6130fbe75b3c1c0aabddbed8a3b47df9f288022c9c27370d4d5d7f84ff [INDEX]/files/tinyproj-1.0.0.tar.gz
    checked 1 release, 3 artifacts: 2 unchanged, 1 changed
    ----- stderr -----
    ");
}

#[test]
fn an_entry_that_records_nothing_cannot_let_a_changed_file_through_a_first_install() {
    let context = TestContext::new();
    context.write(
        "requirements.txt",
        "tinyproj==1.0.0 ; sys_platform != \"win32\"\n",
    );
    assert_eq!(context.lock(&[]).code, 0);
    // Another entry for the same release, for another platform, with nothing recorded.
    let mut text = context.read("requirements.txt");
    text.push_str("tinyproj==1.0.0 ; sys_platform == \"win32\"\n");
    context.write("requirements.txt", &text);
    context.server.replace_bytes(TINY_WHEEL, tampered_wheel());
    let python = context.venv("venv");
    let index = context.server.simple_url();
    let run = context.run(&[
        "install",
        "--python",
        python.to_str().unwrap(),
        "-i",
        &index,
    ]);
    assert_eq!(run.code, 1, "{}", run.stderr);
    assert!(
        run.stderr
            .contains("error: `tinyproj-1.0.0-py3-none-any.whl` changed since it was locked"),
        "{}",
        run.stderr
    );
    assert_eq!(context.read("requirements.txt"), text, "nothing recorded");
    let imported = std::process::Command::new(&python)
        .args(["-c", "import tinyproj"])
        .output()
        .unwrap();
    assert!(!imported.status.success(), "nothing installed");
}
