//! Regressions found in review of `hashpin lock`.
//! See: https://github.com/hashpin/hashpin/issues/2

use crate::harness::{TestContext, pip_hash, testdata_artifact};

const TINY_WHEEL: &str = "tinyproj-1.0.0-py3-none-any.whl";
const TINY_SDIST: &str = "tinyproj-1.0.0.tar.gz";

#[test]
fn a_filename_that_would_start_a_new_line_is_refused() {
    let context = TestContext::new();
    context.write("requirements.txt", "tinyproj==1.0.0\n");
    let evil = "tinyproj-1.0.0-py3-none-any\u{2028}depa==1.0.0\u{2028}#.whl";
    context
        .server
        .add_file("tinyproj", evil, context.server.bytes(TINY_WHEEL));
    let run = context.lock(&[]);
    assert_eq!(run.code, 0, "{}", run.stderr);
    assert!(
        run.stderr.contains("not a safe artifact name"),
        "{}",
        run.stderr
    );
    let text = context.read("requirements.txt");
    assert!(!text.contains('\u{2028}'), "{text:?}");
}

#[test]
fn update_downloads_every_file_it_records() {
    let context = TestContext::new();
    context.write("requirements.txt", "tinyproj==1.0.0\n");
    assert_eq!(context.lock(&[]).code, 0);
    let before = context.server.request_count();
    assert_eq!(context.lock(&["--update"]).code, 0);
    let downloads = context.server.request_log()[before..]
        .iter()
        .filter(|request| request.contains("/files/"))
        .count();
    assert_eq!(downloads, 2, "--update writes only hashes computed here");
}

#[test]
fn a_direct_url_fragment_does_not_vouch_for_changed_bytes() {
    let context = TestContext::new();
    let url = context.server.file_url(TINY_SDIST);
    let sha = context.server.sha256(TINY_SDIST);
    context.write(
        "requirements.txt",
        &format!("tinyproj @ {url}#sha256={sha}\n"),
    );
    assert_eq!(context.lock(&[]).code, 0);
    let locked = context.read("requirements.txt");
    context
        .server
        .replace_bytes(TINY_SDIST, b"other bytes entirely".to_vec());
    let run = context.lock(&[]);
    insta::assert_snapshot!(run.snapshot(), @r"
    exit code: 1
    ----- stdout -----
    ----- stderr -----
    error: `tinyproj-1.0.0.tar.gz` changed since it was locked
      requirement: tinyproj @ [INDEX]/files/tinyproj-1.0.0.tar.gz#sha256=69a25f6130fbe75b3c1c0aabddbed8a3b47df9f288022c9c27370d4d5d7f84ff (requirements.txt:1)
      url:         [INDEX]/files/tinyproj-1.0.0.tar.gz
      arrived:     plain text of 20 bytes
      recorded:    sha256:69a25f6130fbe75b3c1c0aabddbed8a3b47df9f288022c9c27370d4d5d7f84ff
      observed:    sha256:ad1b9d2c1b53d0ad388bd603908b91407d77bb350cb3a619990b8c2c765d16be
    --- a/requirements.txt
    +++ b/requirements.txt
    @@ -1,3 +1,3 @@
     tinyproj @ [INDEX]/files/tinyproj-1.0.0.tar.gz#sha256=69a25f6130fbe75b3c1c0aabddbed8a3b47df9f288022c9c27370d4d5d7f84ff \
    -    --hash=sha256:69a25f6130fbe75b3c1c0aabddbed8a3b47df9f288022c9c27370d4d5d7f84ff
    -    # hashpin: tinyproj-1.0.0.tar.gz sha256:69a25f6130fbe75b3c1c0aabddbed8a3b47df9f288022c9c27370d4d5d7f84ff [INDEX]/files/tinyproj-1.0.0.tar.gz
    +    --hash=sha256:ad1b9d2c1b53d0ad388bd603908b91407d77bb350cb3a619990b8c2c765d16be
    +    # hashpin: tinyproj-1.0.0.tar.gz sha256:ad1b9d2c1b53d0ad388bd603908b91407d77bb350cb3a619990b8c2c765d16be [INDEX]/files/tinyproj-1.0.0.tar.gz
    hint: re-record only if you know why the bytes changed: `hashpin lock --update tinyproj`
    refused: 1 recorded artifact changed; nothing written
    ");
    assert_eq!(run.code, 1, "{}", run.stderr);
    assert_eq!(context.read("requirements.txt"), locked);
}

#[test]
fn credentials_in_a_requirement_url_are_not_printed() {
    let context = TestContext::new();
    let url = context
        .server
        .file_url(TINY_SDIST)
        .replace("http://", "http://alice:${TOKEN}@");
    context.write("requirements.txt", &format!("tinyproj @ {url}\n"));
    let lock = |context: &TestContext| {
        let output = context
            .command()
            .args(["lock"])
            .env("TOKEN", "s3cr3t")
            .output()
            .unwrap();
        (
            output.status.code(),
            String::from_utf8_lossy(&output.stderr).into_owned(),
        )
    };
    assert_eq!(lock(&context).0, Some(0));
    let text = context.read("requirements.txt");
    assert!(!text.contains("s3cr3t"), "{text}");
    context
        .server
        .replace_bytes(TINY_SDIST, b"changed".to_vec());
    let (code, stderr) = lock(&context);
    assert_eq!(code, Some(1), "{stderr}");
    assert!(stderr.contains("alice:****@"), "{stderr}");
    assert!(!stderr.contains("s3cr3t"), "{stderr}");
}

#[test]
fn a_changed_pin_with_stale_hashes_is_refused() {
    let context = TestContext::new();
    context.write("requirements.txt", "tinyproj==1.0.0\n");
    assert_eq!(context.lock(&[]).code, 0);
    let bumped = context
        .read("requirements.txt")
        .replace("tinyproj==1.0.0", "tinyproj==1.1.0");
    context.write("requirements.txt", &bumped);
    let run = context.lock(&[]);
    insta::assert_snapshot!(run.snapshot(), @r"
    exit code: 1
    ----- stdout -----
    ----- stderr -----
    error: `tinyproj==1.1.0` records `tinyproj-1.0.0-py3-none-any.whl`, which is not a file of that release: the lockfile was edited
      requirement: tinyproj==1.1.0 (requirements.txt:1)
      url:         [INDEX]/files/tinyproj-1.0.0-py3-none-any.whl
      recorded:    sha256:579a70f4d94e0634fed025f489280c121ab96de425a53cda9af7ae4db6619ba4
    error: `tinyproj==1.1.0` records `tinyproj-1.0.0.tar.gz`, which is not a file of that release: the lockfile was edited
      requirement: tinyproj==1.1.0 (requirements.txt:1)
      url:         [INDEX]/files/tinyproj-1.0.0.tar.gz
      recorded:    sha256:69a25f6130fbe75b3c1c0aabddbed8a3b47df9f288022c9c27370d4d5d7f84ff
    error: none of the 2 recorded hashes belongs to a file of `tinyproj==1.1.0`: the pin was changed without re-locking, or every file was replaced
      requirement: tinyproj==1.1.0 (requirements.txt:1)
      recorded:    sha256:579a70f4d94e0634fed025f489280c121ab96de425a53cda9af7ae4db6619ba4
                   sha256:69a25f6130fbe75b3c1c0aabddbed8a3b47df9f288022c9c27370d4d5d7f84ff
    --- a/requirements.txt
    +++ b/requirements.txt
    @@ -1,5 +1,5 @@
     tinyproj==1.1.0 \
    -    --hash=sha256:579a70f4d94e0634fed025f489280c121ab96de425a53cda9af7ae4db6619ba4 \
    -    --hash=sha256:69a25f6130fbe75b3c1c0aabddbed8a3b47df9f288022c9c27370d4d5d7f84ff
    -    # hashpin: tinyproj-1.0.0-py3-none-any.whl sha256:579a70f4d94e0634fed025f489280c121ab96de425a53cda9af7ae4db6619ba4 [INDEX]/files/tinyproj-1.0.0-py3-none-any.whl
    -    # hashpin: tinyproj-1.0.0.tar.gz sha256:69a25f6130fbe75b3c1c0aabddbed8a3b47df9f288022c9c27370d4d5d7f84ff [INDEX]/files/tinyproj-1.0.0.tar.gz
    +    --hash=sha256:1b3e696e6b5905edae0c8421445f1d9a476ec74bd247e02451842b7e8ebcf547 \
    +    --hash=sha256:ba6a7ebe47c1f0254147f5ef66d855b1a6062de5975b9c201592c98f6cbdb940
    +    # hashpin: tinyproj-1.1.0-py3-none-any.whl sha256:ba6a7ebe47c1f0254147f5ef66d855b1a6062de5975b9c201592c98f6cbdb940 [INDEX]/files/tinyproj-1.1.0-py3-none-any.whl
    +    # hashpin: tinyproj-1.1.0.tar.gz sha256:1b3e696e6b5905edae0c8421445f1d9a476ec74bd247e02451842b7e8ebcf547 [INDEX]/files/tinyproj-1.1.0.tar.gz
    hint: re-record only if you know why the bytes changed: `hashpin lock --update tinyproj`
    refused: 1 recorded artifact changed, 2 recorded hashes inconsistent; nothing written
    ");
    assert_eq!(run.code, 1, "{}", run.stderr);
    assert!(
        run.stderr.contains("none of the 2 recorded hashes"),
        "{}",
        run.stderr
    );
    assert_eq!(context.read("requirements.txt"), bumped);
    assert_eq!(context.lock(&["--update", "tinyproj"]).code, 0);
    assert!(!context.read("requirements.txt").contains("tinyproj-1.0.0"));
}

#[test]
fn a_republished_file_under_pip_compile_hashes_is_refused() {
    let context = TestContext::new();
    let wheel = pip_hash(&testdata_artifact("tinyproj", TINY_WHEEL));
    let sdist = pip_hash(&testdata_artifact("tinyproj", TINY_SDIST));
    let text = format!("tinyproj==1.0.0 \\\n    --hash={sdist} \\\n    --hash={wheel}\n");
    context.write("requirements.txt", &text);
    context
        .server
        .replace_bytes(TINY_SDIST, b"republished".to_vec());
    let run = context.lock(&[]);
    insta::assert_snapshot!(run.snapshot(), @r"
    exit code: 1
    ----- stdout -----
    ----- stderr -----
    error: `tinyproj-1.0.0.tar.gz` is served with a hash the lockfile does not record, while a recorded hash matches no file: it was probably republished
      requirement: tinyproj==1.0.0 (requirements.txt:1)
      url:         [INDEX]/files/tinyproj-1.0.0.tar.gz
      arrived:     plain text of 11 bytes
      recorded:    sha256:69a25f6130fbe75b3c1c0aabddbed8a3b47df9f288022c9c27370d4d5d7f84ff
      observed:    sha256:bee67f05049ea7c3f616ec2b6b63c18bc86b46503a4464b55a23273b972e00b7
    --- a/requirements.txt
    +++ b/requirements.txt
    @@ -1,3 +1,5 @@
     tinyproj==1.0.0 \
    -    --hash=sha256:69a25f6130fbe75b3c1c0aabddbed8a3b47df9f288022c9c27370d4d5d7f84ff \
    -    --hash=sha256:579a70f4d94e0634fed025f489280c121ab96de425a53cda9af7ae4db6619ba4
    +    --hash=sha256:579a70f4d94e0634fed025f489280c121ab96de425a53cda9af7ae4db6619ba4 \
    +    --hash=sha256:bee67f05049ea7c3f616ec2b6b63c18bc86b46503a4464b55a23273b972e00b7
    +    # hashpin: tinyproj-1.0.0-py3-none-any.whl sha256:579a70f4d94e0634fed025f489280c121ab96de425a53cda9af7ae4db6619ba4 [INDEX]/files/tinyproj-1.0.0-py3-none-any.whl
    +    # hashpin: tinyproj-1.0.0.tar.gz sha256:bee67f05049ea7c3f616ec2b6b63c18bc86b46503a4464b55a23273b972e00b7 [INDEX]/files/tinyproj-1.0.0.tar.gz
    hint: re-record only if you know why the bytes changed: `hashpin lock --update tinyproj`
    refused: 1 recorded artifact changed; nothing written
    ");
    assert_eq!(run.code, 1, "{}", run.stderr);
    assert!(
        run.stderr.contains("probably republished"),
        "{}",
        run.stderr
    );
    assert_eq!(context.read("requirements.txt"), text);
}

#[test]
fn line_breaks_pip_knows_are_lines_and_a_bom_is_kept() {
    let context = TestContext::new();
    let text = "\u{feff}# top\rtinyproj==1.0.0\n";
    context.write("requirements.txt", text);
    let run = context.lock(&[]);
    assert_eq!(run.code, 0, "{}", run.stderr);
    let locked = context.read("requirements.txt");
    assert!(
        locked.starts_with("\u{feff}# top\rtinyproj==1.0.0 \\\n    --hash=sha256:"),
        "{locked:?}"
    );
}

#[test]
fn relative_archive_paths_are_resolved_against_the_working_directory() {
    let context = TestContext::new();
    let wheel = testdata_artifact("tinyproj", TINY_WHEEL);
    fs_err::create_dir_all(context.path("dist")).unwrap();
    fs_err::copy(&wheel, context.path(&format!("dist/{TINY_WHEEL}"))).unwrap();
    fs_err::create_dir_all(context.path("sub/dist")).unwrap();
    fs_err::write(context.path(&format!("sub/dist/{TINY_WHEEL}")), b"a decoy").unwrap();
    context.write("sub/r.txt", &format!("./dist/{TINY_WHEEL}\n"));
    let run = context.lock(&["sub/r.txt"]);
    assert_eq!(run.code, 0, "{}", run.stderr);
    assert!(context.read("sub/r.txt").contains(&pip_hash(&wheel)));
}

#[test]
fn input_pip_would_misread_is_an_input_error() {
    let context = TestContext::new();
    let cases = [
        (
            format!("tinyproj==1.0.0 --hash=SHA256:{}\n", "a".repeat(64)),
            "lower case",
        ),
        (
            format!("tinyproj==1.0.0 --hash=sha256:{}\n", "A".repeat(64)),
            "lower case",
        ),
        (
            "tinyproj==1.0.0  # note \\\nother==1.0\n".to_string(),
            "joins the next line",
        ),
        (
            "tinyproj==9.9.9\n".to_string(),
            "versions listed: 1.1.0, 1.0.0",
        ),
    ];
    for (text, expected) in cases {
        context.write("requirements.txt", &text);
        let run = context.lock(&[]);
        assert_eq!(run.code, 2, "{text:?}: {}", run.stderr);
        assert!(run.stderr.contains(expected), "{text:?}: {}", run.stderr);
        assert_eq!(context.read("requirements.txt"), text);
    }
    fs_err::write(context.path("latin1.txt"), b"# caf\xe9\ntinyproj==1.0.0\n").unwrap();
    let run = context.lock(&["latin1.txt"]);
    assert_eq!(run.code, 2, "{}", run.stderr);
    assert!(run.stderr.contains("not UTF-8"), "{}", run.stderr);
}

#[test]
fn a_ca_bundle_is_read_and_a_bad_one_is_named() {
    let context = TestContext::new();
    context.write("requirements.txt", "tinyproj==1.0.0\n");
    let missing = context.lock(&["--cert", "no-such-bundle.pem"]);
    assert_eq!(missing.code, 4, "{}", missing.stderr);
    assert!(
        missing.stderr.contains("no-such-bundle.pem"),
        "{}",
        missing.stderr
    );
    context.write("garbage.pem", "not a certificate\n");
    let garbage = context.lock(&["--cert", "garbage.pem"]);
    assert_eq!(garbage.code, 4, "{}", garbage.stderr);
    assert!(
        garbage
            .stderr
            .contains("`garbage.pem` holds no PEM certificates"),
        "{}",
        garbage.stderr
    );
    // The system bundle, which pip.conf `cert` usually names, is accepted.
    let system = "/etc/ssl/certs/ca-certificates.crt";
    if std::path::Path::new(system).exists() {
        let run = context.lock(&["--cert", system]);
        assert_eq!(run.code, 0, "{}", run.stderr);
    }
}

#[test]
fn a_changed_file_cannot_escape_its_record_by_a_rename() {
    let context = TestContext::new();
    context.write("requirements.txt", "tinyproj==1.0.0\n");
    assert_eq!(context.lock(&[]).code, 0);
    let locked = context.read("requirements.txt");
    context.server.remove_file(TINY_WHEEL);
    context.server.add_file(
        "tinyproj",
        "TinyProj-1.0-py3-none-any.whl",
        b"other bytes".to_vec(),
    );
    let run = context.lock(&[]);
    insta::assert_snapshot!(run.snapshot(), @r"
    exit code: 1
    ----- stdout -----
    ----- stderr -----
    error: `tinyproj-1.0.0-py3-none-any.whl` changed since it was locked (served now as `TinyProj-1.0-py3-none-any.whl`)
      requirement: tinyproj==1.0.0 (requirements.txt:1)
      url:         [INDEX]/files/tinyproj-1.0.0-py3-none-any.whl
      now at:      [INDEX]/files/TinyProj-1.0-py3-none-any.whl
      arrived:     plain text of 11 bytes
      recorded:    sha256:579a70f4d94e0634fed025f489280c121ab96de425a53cda9af7ae4db6619ba4
      observed:    sha256:a3ead5eedad5df82318c51685dbc1c147a36d1ff8584fc82de6b08d0bf63a795
    --- a/requirements.txt
    +++ b/requirements.txt
    @@ -1,5 +1,5 @@
     tinyproj==1.0.0 \
    -    --hash=sha256:579a70f4d94e0634fed025f489280c121ab96de425a53cda9af7ae4db6619ba4 \
    -    --hash=sha256:69a25f6130fbe75b3c1c0aabddbed8a3b47df9f288022c9c27370d4d5d7f84ff
    -    # hashpin: tinyproj-1.0.0-py3-none-any.whl sha256:579a70f4d94e0634fed025f489280c121ab96de425a53cda9af7ae4db6619ba4 [INDEX]/files/tinyproj-1.0.0-py3-none-any.whl
    +    --hash=sha256:69a25f6130fbe75b3c1c0aabddbed8a3b47df9f288022c9c27370d4d5d7f84ff \
    +    --hash=sha256:a3ead5eedad5df82318c51685dbc1c147a36d1ff8584fc82de6b08d0bf63a795
    +    # hashpin: TinyProj-1.0-py3-none-any.whl sha256:a3ead5eedad5df82318c51685dbc1c147a36d1ff8584fc82de6b08d0bf63a795 [INDEX]/files/TinyProj-1.0-py3-none-any.whl
         # hashpin: tinyproj-1.0.0.tar.gz sha256:69a25f6130fbe75b3c1c0aabddbed8a3b47df9f288022c9c27370d4d5d7f84ff [INDEX]/files/tinyproj-1.0.0.tar.gz
    hint: re-record only if you know why the bytes changed: `hashpin lock --update tinyproj`
    refused: 1 recorded artifact changed; nothing written
    ");
    assert_eq!(run.code, 1, "{}", run.stderr);
    assert!(
        run.stderr.contains("changed since it was locked"),
        "{}",
        run.stderr
    );
    assert_eq!(context.read("requirements.txt"), locked);
}

#[test]
fn two_sdists_spelling_one_version_two_ways_are_two_files() {
    // `foo-1.0.0.tar.gz` and `foo-1.0.0.0.tar.gz` are one version to PEP 440 but two files:
    // each is held against its own record, and a second lock leaves the file as it was.
    let context = TestContext::new();
    for version in ["1.0.0", "1.0.0.0"] {
        let (filename, bytes) = crate::differential::sdist("spelled", version);
        context.server.add_file("spelled", &filename, bytes);
    }
    context.write("requirements.txt", "spelled==1.0\n");
    let run = context.lock(&[]);
    assert_eq!(run.code, 0, "{}", run.stderr);
    let first = context.read("requirements.txt");
    assert!(
        first.contains("# hashpin: spelled-1.0.0.tar.gz "),
        "{first}"
    );
    assert!(
        first.contains("# hashpin: spelled-1.0.0.0.tar.gz "),
        "{first}"
    );
    for command in [&["lock"][..], &["lock", "--check"], &["check"]] {
        let mut args = command.to_vec();
        let index = context.server.simple_url();
        args.extend(["--index-url", &index]);
        let run = context.run(&args);
        assert_eq!(run.code, 0, "{command:?}: {}{}", run.stdout, run.stderr);
    }
    assert_eq!(context.read("requirements.txt"), first);
    // Other bytes under either name are still refused, named by their own filename.
    let (filename, _) = crate::differential::sdist("spelled", "1.0.0.0");
    context
        .server
        .replace_bytes(&filename, b"other bytes".to_vec());
    let run = context.lock(&[]);
    assert_eq!(run.code, 1, "{}", run.stderr);
    assert!(
        run.stderr
            .contains("`spelled-1.0.0.0.tar.gz` changed since it was locked\n"),
        "{}",
        run.stderr
    );
}
