//! `hashpin lock` end to end against the loopback index.

use crate::harness::{TestContext, pip_hash, testdata_artifact};

const TINY_WHEEL: &str = "tinyproj-1.0.0-py3-none-any.whl";
const TINY_SDIST: &str = "tinyproj-1.0.0.tar.gz";

/// The `--hash=` values written for the first entry that starts with `name`.
fn hashes_of(text: &str, name: &str) -> Vec<String> {
    let start = text.find(name).expect("the entry is in the file");
    text[start..]
        .lines()
        .skip_while(|line| !line.starts_with(name))
        .take_while(|line| line.starts_with(name) || line.starts_with("    "))
        .filter_map(|line| {
            let at = line.find("--hash=")?;
            let value = &line[at + 7..];
            Some(value.split_whitespace().next().unwrap().to_string())
        })
        .collect()
}

#[test]
fn first_lock_records_every_artifact_with_pips_hashes_and_urls() {
    let context = TestContext::new();
    context.write(
        "requirements.txt",
        "tinyproj==1.0.0\nOther_Proj==2.0.0  # normalized\n",
    );
    let run = context.lock(&[]);
    assert_eq!(run.code, 0, "{}", run.stderr);
    let text = context.read("requirements.txt");

    let expected_tiny = {
        let mut hashes = vec![
            pip_hash(&testdata_artifact("tinyproj", TINY_WHEEL)),
            pip_hash(&testdata_artifact("tinyproj", TINY_SDIST)),
        ];
        hashes.sort();
        hashes
    };
    assert_eq!(hashes_of(&text, "tinyproj"), expected_tiny);
    assert_eq!(hashes_of(&text, "Other_Proj").len(), 2);
    for filename in [TINY_WHEEL, TINY_SDIST] {
        let line = format!(
            "    # hashpin: {filename} {} {}",
            pip_hash(&testdata_artifact("tinyproj", filename)),
            context.server.file_url(filename)
        );
        assert!(text.contains(&line), "missing `{line}` in:\n{text}");
    }
    // The user's comment stays on the entry's last physical line.
    assert!(text.contains(&format!(
        "--hash={}  # normalized\n",
        hashes_of(&text, "Other_Proj")[1]
    )));
    insta::assert_snapshot!(run.snapshot(), @"
    exit code: 0
    ----- stdout -----
    ----- stderr -----
    locked `requirements.txt` (2 requirements, 4 artifacts) in [TIME]
    ");
}

#[test]
fn locking_again_changes_nothing_and_downloads_nothing() {
    let context = TestContext::new();
    context.write("requirements.txt", "tinyproj==1.0.0\n");
    assert_eq!(context.lock(&[]).code, 0);
    let first = context.read("requirements.txt");
    let requests_before = context.server.request_count();
    let again = context.lock(&[]);
    assert_eq!(again.code, 0, "{}", again.stderr);
    assert_eq!(context.read("requirements.txt"), first);
    assert!(again.stderr.contains("is up to date"), "{}", again.stderr);
    let new_requests: Vec<String> = context.server.request_log()[requests_before..].to_vec();
    assert!(
        new_requests
            .iter()
            .all(|request| !request.contains("/files/")),
        "declared digests confirm the record without a download: {new_requests:?}"
    );
    // Nothing is downloaded, so PyPI's JSON API, whose digests are held against bytes, is not
    // asked either: a re-lock is the listings and nothing else.
    assert!(
        new_requests
            .iter()
            .all(|request| request.contains("/simple/")),
        "only listings: {new_requests:?}"
    );
    // `--update` downloads, and asks the JSON API for its second statement of the digests.
    let before = context.server.request_count();
    assert_eq!(context.lock(&["--update"]).code, 0);
    assert!(
        context.server.request_log()[before..]
            .iter()
            .any(|request| request.contains("/pypi/tinyproj/")),
        "{:?}",
        context.server.request_log()
    );
}

#[test]
fn recorded_artifacts_are_downloaded_again_when_the_index_declares_no_digest() {
    let context = TestContext::new();
    context.write("requirements.txt", "tinyproj==1.0.0\n");
    assert_eq!(context.lock(&[]).code, 0);
    context.server.omit_hashes(true);
    let before = context.server.request_count();
    let again = context.lock(&[]);
    assert_eq!(again.code, 0, "{}", again.stderr);
    let downloads = context.server.request_log()[before..]
        .iter()
        .filter(|request| request.contains("/files/"))
        .count();
    assert_eq!(downloads, 2);

    // And a changed file is caught by its bytes alone.
    context
        .server
        .replace_bytes(TINY_SDIST, b"not the sdist".to_vec());
    let refused = context.lock(&[]);
    assert_eq!(refused.code, 1, "{}", refused.stderr);
}

#[test]
fn a_republished_artifact_is_refused_with_a_diff_and_the_file_untouched() {
    let context = TestContext::new();
    context.write("requirements.txt", "# pinned\ntinyproj==1.0.0\n");
    assert_eq!(context.lock(&[]).code, 0);
    let locked = context.read("requirements.txt");
    let recorded = pip_hash(&testdata_artifact("tinyproj", TINY_SDIST));

    // Still a readable gzip'd tar (a second gzip member after the first, which pip's
    // `tarfile` reads too), so that `--update` may take it below.
    let mut evil = context.server.bytes(TINY_SDIST);
    let mut member = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::default());
    std::io::Write::write_all(&mut member, b"tampered").unwrap();
    evil.extend_from_slice(&member.finish().unwrap());
    context.server.replace_bytes(TINY_SDIST, evil);
    let observed = format!("sha256:{}", context.server.sha256(TINY_SDIST));

    let run = context.lock(&[]);
    assert_eq!(run.code, 1, "{}", run.stderr);
    assert_eq!(
        context.read("requirements.txt"),
        locked,
        "the file is untouched"
    );
    for expected in [
        TINY_SDIST,
        &context.filter(&context.server.file_url(TINY_SDIST)),
        &format!("recorded:    {recorded}"),
        &format!("observed:    {observed}"),
        &format!("-    --hash={recorded}"),
        "--- a/requirements.txt",
        "hashpin lock --update tinyproj",
    ] {
        assert!(
            run.stderr.contains(expected),
            "missing `{expected}` in:\n{}",
            run.stderr
        );
    }
    insta::assert_snapshot!(run.snapshot(), @r"
    exit code: 1
    ----- stdout -----
    ----- stderr -----
    error: `tinyproj-1.0.0.tar.gz` changed since it was locked
      requirement: tinyproj==1.0.0 (requirements.txt:2)
      url:         [INDEX]/files/tinyproj-1.0.0.tar.gz
      recorded:    sha256:69a25f6130fbe75b3c1c0aabddbed8a3b47df9f288022c9c27370d4d5d7f84ff
      observed:    sha256:0f9e133c0890762983095095336298961a7b0f68fd66e3931a312e7e8b80c3c6
    --- a/requirements.txt
    +++ b/requirements.txt
    @@ -1,6 +1,6 @@
     # pinned
     tinyproj==1.0.0 \
    -    --hash=sha256:579a70f4d94e0634fed025f489280c121ab96de425a53cda9af7ae4db6619ba4 \
    -    --hash=sha256:69a25f6130fbe75b3c1c0aabddbed8a3b47df9f288022c9c27370d4d5d7f84ff
    +    --hash=sha256:0f9e133c0890762983095095336298961a7b0f68fd66e3931a312e7e8b80c3c6 \
    +    --hash=sha256:579a70f4d94e0634fed025f489280c121ab96de425a53cda9af7ae4db6619ba4
         # hashpin: tinyproj-1.0.0-py3-none-any.whl sha256:579a70f4d94e0634fed025f489280c121ab96de425a53cda9af7ae4db6619ba4 [INDEX]/files/tinyproj-1.0.0-py3-none-any.whl
    -    # hashpin: tinyproj-1.0.0.tar.gz sha256:69a25f6130fbe75b3c1c0aabddbed8a3b47df9f288022c9c27370d4d5d7f84ff [INDEX]/files/tinyproj-1.0.0.tar.gz
    +    # hashpin: tinyproj-1.0.0.tar.gz sha256:0f9e133c0890762983095095336298961a7b0f68fd66e3931a312e7e8b80c3c6 [INDEX]/files/tinyproj-1.0.0.tar.gz
    hint: re-record only if you know why the bytes changed: `hashpin lock --update tinyproj`
    refused: 1 recorded artifact changed; nothing written
    ");

    // --dry-run and --check refuse the same way.
    assert_eq!(context.lock(&["--dry-run"]).code, 1);

    // Re-recording on purpose takes the new bytes.
    let update = context.lock(&["--update", "tinyproj"]);
    assert_eq!(update.code, 0, "{}", update.stderr);
    let text = context.read("requirements.txt");
    assert!(
        text.contains(&observed) && !text.contains(&recorded),
        "{text}"
    );
    assert!(text.starts_with("# pinned\n"));
}

#[test]
fn an_index_that_lies_about_a_digest_is_refused() {
    let context = TestContext::new();
    context.write("requirements.txt", "tinyproj==1.0.0\n");
    context.server.declare_wrong_hash(TINY_WHEEL);
    let run = context.lock(&[]);
    insta::assert_snapshot!(run.snapshot(), @r"
    exit code: 1
    ----- stdout -----
    ----- stderr -----
    error: the index declares a digest that `tinyproj-1.0.0-py3-none-any.whl` does not have
      requirement: tinyproj==1.0.0 (requirements.txt:1)
      url:         [INDEX]/files/tinyproj-1.0.0-py3-none-any.whl
      declared:    sha256:6877f3fc2e806ef8a3779a5d3bf2a3f864d796ee3aca381b03261e7727c1991c
      observed:    sha256:579a70f4d94e0634fed025f489280c121ab96de425a53cda9af7ae4db6619ba4
    --- a/requirements.txt
    +++ b/requirements.txt
    @@ -1 +1,5 @@
    -tinyproj==1.0.0
    +tinyproj==1.0.0 \
    +    --hash=sha256:579a70f4d94e0634fed025f489280c121ab96de425a53cda9af7ae4db6619ba4 \
    +    --hash=sha256:69a25f6130fbe75b3c1c0aabddbed8a3b47df9f288022c9c27370d4d5d7f84ff
    +    # hashpin: tinyproj-1.0.0-py3-none-any.whl sha256:579a70f4d94e0634fed025f489280c121ab96de425a53cda9af7ae4db6619ba4 [INDEX]/files/tinyproj-1.0.0-py3-none-any.whl
    +    # hashpin: tinyproj-1.0.0.tar.gz sha256:69a25f6130fbe75b3c1c0aabddbed8a3b47df9f288022c9c27370d4d5d7f84ff [INDEX]/files/tinyproj-1.0.0.tar.gz
    refused: 1 declared digest wrong; nothing written
    ");
    assert_eq!(run.code, 1, "{}", run.stderr);
    assert!(
        run.stderr.contains("the index declares a digest"),
        "{}",
        run.stderr
    );
    assert_eq!(context.read("requirements.txt"), "tinyproj==1.0.0\n");
    // --update does not accept a lie either.
    assert_eq!(context.lock(&["--update"]).code, 1);
}

#[test]
fn new_files_are_reported_and_added_only_with_update() {
    let context = TestContext::new();
    context.write("requirements.txt", "newfiles==3.0.0\n");
    assert_eq!(context.lock(&[]).code, 0);
    let locked = context.read("requirements.txt");
    let extra = "newfiles-3.0.0-cp311-cp311-manylinux_2_17_x86_64.whl";
    let wheel = context.server.bytes("newfiles-3.0.0-py3-none-any.whl");
    context.server.add_file("newfiles", extra, wheel);

    let run = context.lock(&[]);
    insta::assert_snapshot!(run.snapshot(), @"
    exit code: 0
    ----- stdout -----
    ----- stderr -----
    warning: requirements.txt:1: `newfiles==3.0.0`: the index now also serves `newfiles-3.0.0-cp311-cp311-manylinux_2_17_x86_64.whl`, which the lockfile does not record
    hint: record it after review with `hashpin lock --update newfiles`
    `requirements.txt` is up to date (1 requirement, 2 artifacts)
    ");
    assert_eq!(run.code, 0, "{}", run.stderr);
    assert!(
        run.stderr.contains(&format!("also serves `{extra}`")),
        "{}",
        run.stderr
    );
    assert_eq!(context.read("requirements.txt"), locked);

    let update = context.lock(&["--update"]);
    assert_eq!(update.code, 0, "{}", update.stderr);
    assert!(
        context
            .read("requirements.txt")
            .contains(&format!("# hashpin: {extra} "))
    );
}

#[test]
fn vanished_files_are_reported_and_kept() {
    let context = TestContext::new();
    context.write("requirements.txt", "tinyproj==1.0.0\n");
    assert_eq!(context.lock(&[]).code, 0);
    let locked = context.read("requirements.txt");
    context.server.remove_file(TINY_WHEEL);
    let run = context.lock(&[]);
    insta::assert_snapshot!(run.snapshot(), @"
    exit code: 0
    ----- stdout -----
    ----- stderr -----
    warning: requirements.txt:1: `tinyproj==1.0.0`: `tinyproj-1.0.0-py3-none-any.whl` is recorded but no longer listed; its hash is kept
    hint: drop it with `hashpin lock --update tinyproj`
    `requirements.txt` is up to date (1 requirement, 2 artifacts)
    ");
    assert_eq!(run.code, 0, "{}", run.stderr);
    assert!(run.stderr.contains("no longer listed"), "{}", run.stderr);
    assert_eq!(context.read("requirements.txt"), locked);
}

#[test]
fn transient_server_errors_are_retried() {
    let context = TestContext::new();
    context.write("requirements.txt", "tinyproj==1.0.0\n");
    context.server.fail_times("/simple/tinyproj/", 503, 2);
    context.server.fail_times(TINY_SDIST, 500, 1);
    let run = context.lock(&[]);
    assert_eq!(run.code, 0, "{}", run.stderr);
    assert_eq!(
        hashes_of(&context.read("requirements.txt"), "tinyproj").len(),
        2
    );
}

#[test]
fn a_truncated_transfer_is_an_operational_error_and_nothing_is_written() {
    let context = TestContext::new();
    context.write("requirements.txt", "tinyproj==1.0.0\n");
    context.server.truncate_body(TINY_SDIST, 100);
    let run = context.lock(&["--retries", "1"]);
    assert_eq!(run.code, 4, "{}", run.stderr);
    assert!(run.stderr.contains(TINY_SDIST), "{}", run.stderr);
    assert!(run.stderr.contains("nothing written"), "{}", run.stderr);
    assert_eq!(context.read("requirements.txt"), "tinyproj==1.0.0\n");
}

#[test]
fn persistent_server_errors_exit_4_with_the_retry_count() {
    let context = TestContext::new();
    context.write("requirements.txt", "tinyproj==1.0.0\n");
    context.server.fail_times("/simple/tinyproj/", 500, 10);
    let run = context.lock(&["--retries", "2"]);
    assert_eq!(run.code, 4, "{}", run.stderr);
    assert!(
        run.stderr.contains("HTTP 500 (after 2 retries"),
        "{}",
        run.stderr
    );
}

#[test]
fn messy_files_keep_every_byte_outside_the_locked_entries() {
    let context = TestContext::new();
    let include = "# included file\r\ndepb==1.2.0 ; python_version >= \"3\"  # from sub\r\n";
    context.write("sub/more.txt", include);
    let messy = "# Top comment\r\n\r\n--trusted-host example.org\r\n-r sub/more.txt\r\ntinyproj[extra]==1.0.0 ; sys_platform != \"win32\" \\\r\n  # trailing comment line\r\n\r\n-e ./local\r\n   # indented comment\r\nOther_Proj==2.0.0";
    context.write("requirements.txt", messy);
    let run = context.lock(&[]);
    assert_eq!(run.code, 0, "{}", run.stderr);
    assert!(
        run.stderr.contains("`-e ./local` is editable"),
        "{}",
        run.stderr
    );

    let text = context.read("requirements.txt");
    // Every line ending is still CRLF, and there is still no final newline.
    assert_eq!(text.matches('\n').count(), text.matches("\r\n").count());
    assert!(!text.ends_with('\n'));
    // Every original line is still there, in order.
    let mut rest = text.as_str();
    for line in messy.split("\r\n") {
        let at = rest
            .find(line)
            .unwrap_or_else(|| panic!("lost `{line}` in:\n{text}"));
        rest = &rest[at + line.len()..];
    }
    insta::assert_snapshot!(context.filter(&text), @r#"
    # Top comment

    --trusted-host example.org
    -r sub/more.txt
    tinyproj[extra]==1.0.0 ; sys_platform != "win32" \
      --hash=sha256:579a70f4d94e0634fed025f489280c121ab96de425a53cda9af7ae4db6619ba4 \
      --hash=sha256:69a25f6130fbe75b3c1c0aabddbed8a3b47df9f288022c9c27370d4d5d7f84ff  # trailing comment line
      # hashpin: tinyproj-1.0.0-py3-none-any.whl sha256:579a70f4d94e0634fed025f489280c121ab96de425a53cda9af7ae4db6619ba4 [INDEX]/files/tinyproj-1.0.0-py3-none-any.whl
      # hashpin: tinyproj-1.0.0.tar.gz sha256:69a25f6130fbe75b3c1c0aabddbed8a3b47df9f288022c9c27370d4d5d7f84ff [INDEX]/files/tinyproj-1.0.0.tar.gz

    -e ./local
       # indented comment
    Other_Proj==2.0.0 \
        --hash=sha256:1cf3cfa776476751c0789bdf7439b35b278fa95cdd0a2bcc11213bb9f4c578f0 \
        --hash=sha256:a5011ea91616c407e38f4a33d49ba5173f04d0ee1fe6cde0e01da3169b14e214
        # hashpin: other_proj-2.0.0-py3-none-any.whl sha256:a5011ea91616c407e38f4a33d49ba5173f04d0ee1fe6cde0e01da3169b14e214 [INDEX]/files/other_proj-2.0.0-py3-none-any.whl
        # hashpin: other_proj-2.0.0.tar.gz sha256:1cf3cfa776476751c0789bdf7439b35b278fa95cdd0a2bcc11213bb9f4c578f0 [INDEX]/files/other_proj-2.0.0.tar.gz
    "#);
    // The included file is locked in place, keeping its own comment and marker.
    let sub = context.read("sub/more.txt");
    assert!(
        sub.starts_with(
            "# included file\r\ndepb==1.2.0 ; python_version >= \"3\" \\\r\n    --hash=sha256:"
        ),
        "{sub}"
    );
    assert!(
        sub.contains("  # from sub\r\n    # hashpin: depb-1.2.0-py3-none-any.whl"),
        "{sub}"
    );
    // And locking again leaves both byte-identical.
    assert_eq!(context.lock(&[]).code, 0);
    assert_eq!(context.read("requirements.txt"), text);
    assert_eq!(context.read("sub/more.txt"), sub);
}

#[test]
fn dry_run_and_check_show_the_diff_and_write_nothing() {
    let context = TestContext::new();
    context.write("requirements.txt", "tinyproj==1.0.0\n");
    let dry = context.lock(&["--dry-run"]);
    assert_eq!(dry.code, 0, "{}", dry.stderr);
    assert!(dry.stdout.starts_with("--- a/requirements.txt\n+++ b/requirements.txt\n@@ -1 +1,5 @@\n-tinyproj==1.0.0\n+tinyproj==1.0.0 \\\n"), "{}", dry.stdout);
    assert_eq!(context.read("requirements.txt"), "tinyproj==1.0.0\n");
    let check = context.lock(&["--check"]);
    assert_eq!(check.code, 1);
    assert_eq!(context.read("requirements.txt"), "tinyproj==1.0.0\n");
    assert_eq!(context.lock(&[]).code, 0);
    assert_eq!(context.lock(&["--check"]).code, 0);
}

#[test]
fn html_and_json_indexes_give_the_same_lockfile_apart_from_urls() {
    let context = TestContext::new();
    context.write("json.txt", "platpkg==0.5.0\n");
    context.write("html.txt", "platpkg==0.5.0\n");
    assert_eq!(context.lock(&["json.txt"]).code, 0);
    let html_index = context.server.html_simple_url();
    let run = context.run(&["lock", "html.txt", "-i", &html_index]);
    assert_eq!(run.code, 0, "{}", run.stderr);
    assert_eq!(context.read("json.txt"), context.read("html.txt"));
    assert_eq!(hashes_of(&context.read("json.txt"), "platpkg").len(), 6);
    assert!(
        context
            .server
            .request_log()
            .iter()
            .any(|r| r.contains("/html/simple/platpkg/")),
        "the HTML page was really used"
    );
}

#[test]
fn find_links_directories_and_pages_work_without_an_index() {
    let context = TestContext::new();
    context.write("requirements.txt", "depb==1.0.0\n");
    let directory = testdata_artifact("depb", "");
    let run = context.run(&["lock", "--no-index", "-f", directory.to_str().unwrap()]);
    assert_eq!(run.code, 0, "{}", run.stderr);
    let text = context.read("requirements.txt");
    assert!(
        text.contains("# hashpin: depb-1.0.0.tar.gz sha256:"),
        "{text}"
    );
    assert!(text.contains(" file:///"), "{text}");
    assert!(
        !text.contains("depb-1.2.0"),
        "only the pinned release: {text}"
    );

    context.write("page.txt", "depb==1.0.0\n");
    let page = context.server.find_links_url();
    let run = context.run(&["lock", "page.txt", "--no-index", "-f", &page]);
    assert_eq!(run.code, 0, "{}", run.stderr);
    assert_eq!(
        hashes_of(&context.read("page.txt"), "depb"),
        hashes_of(&text, "depb")
    );
}

#[test]
fn options_in_the_requirements_file_choose_the_index() {
    let context = TestContext::new();
    let index = context.server.simple_url();
    context.write(
        "requirements.txt",
        &format!("--index-url {index}\ntinyproj==1.1.0\n"),
    );
    // The file's -i wins over the command line's, as in pip.
    let run = context.run(&["lock", "-i", "https://127.0.0.1:1/never/"]);
    assert_eq!(run.code, 0, "{}", run.stderr);
    assert_eq!(
        hashes_of(&context.read("requirements.txt"), "tinyproj").len(),
        2
    );
}

#[test]
fn direct_url_requirements_get_the_hash_of_their_bytes() {
    let context = TestContext::new();
    let url = context.server.file_url("depb-1.0.0-py3-none-any.whl");
    context.write("requirements.txt", &format!("depb @ {url}\n"));
    let run = context.lock(&[]);
    assert_eq!(run.code, 0, "{}", run.stderr);
    let text = context.read("requirements.txt");
    let expected = pip_hash(&testdata_artifact("depb", "depb-1.0.0-py3-none-any.whl"));
    assert_eq!(hashes_of(&text, "depb"), std::slice::from_ref(&expected));
    assert!(text.contains(&format!(
        "# hashpin: depb-1.0.0-py3-none-any.whl {expected} {url}"
    )));
}

#[test]
fn wheels_are_narrowed_to_the_target_interpreter() {
    let context = TestContext::new();
    context.write("requirements.txt", "platpkg==0.5.0\n");
    let run = context.lock(&[
        "--python-version",
        "3.11",
        "--platform",
        "manylinux_2_17_x86_64",
        "--implementation",
        "cp",
    ]);
    assert_eq!(run.code, 0, "{}", run.stderr);
    let text = context.read("requirements.txt");
    let recorded: Vec<&str> = text
        .lines()
        .filter_map(|line| line.trim().strip_prefix("# hashpin: "))
        .map(|rest| rest.split(' ').next().unwrap())
        .collect();
    assert_eq!(
        recorded,
        [
            "platpkg-0.5.0-cp311-cp311-manylinux_2_17_x86_64.manylinux2014_x86_64.whl",
            "platpkg-0.5.0.tar.gz"
        ]
    );
}

#[test]
fn hashes_from_other_tools_are_adopted_with_provenance() {
    let context = TestContext::new();
    let wheel = pip_hash(&testdata_artifact("tinyproj", TINY_WHEEL));
    let sdist = pip_hash(&testdata_artifact("tinyproj", TINY_SDIST));
    // pip-compile style, with the hashes in an order of its own.
    let original = format!("tinyproj==1.0.0 \\\n    --hash={wheel} \\\n    --hash={sdist}\n");
    context.write("requirements.txt", &original);
    let run = context.lock(&[]);
    assert_eq!(run.code, 0, "{}", run.stderr);
    let text = context.read("requirements.txt");
    assert!(
        text.starts_with(&original),
        "the hash lines stay as written:\n{text}"
    );
    assert!(
        text.contains(&format!("# hashpin: {TINY_WHEEL} {wheel} ")),
        "{text}"
    );
}

#[test]
fn credentials_are_used_but_never_printed_or_recorded() {
    let context = TestContext::new();
    context.write("requirements.txt", "tinyproj==1.0.0\n");
    let index = context
        .server
        .simple_url()
        .replace("http://", "http://alice:s3cr3t-token@");
    let run = context.run(&["lock", "-i", &index]);
    assert_eq!(run.code, 0, "{}", run.stderr);
    let text = context.read("requirements.txt");
    assert!(
        !text.contains("s3cr3t") && !text.contains("alice"),
        "{text}"
    );
    assert!(!run.stderr.contains("s3cr3t"), "{}", run.stderr);

    // An error message about that index hides the token too.
    context.server.fail_times("/simple/", 500, 10);
    let failed = context.run(&["lock", "-i", &index, "--retries", "0"]);
    assert_eq!(failed.code, 4);
    assert!(failed.stderr.contains("alice:****@"), "{}", failed.stderr);
    assert!(!failed.stderr.contains("s3cr3t"), "{}", failed.stderr);
}

#[test]
fn plain_http_to_a_remote_host_is_refused() {
    let context = TestContext::new();
    context.write("requirements.txt", "tinyproj==1.0.0\n");
    let run = context.run(&["lock", "-i", "http://pypi.invalid/simple/"]);
    assert_eq!(run.code, 4, "{}", run.stderr);
    assert!(run.stderr.contains("plain http"), "{}", run.stderr);
    assert!(
        run.stderr.contains("--trusted-host pypi.invalid"),
        "{}",
        run.stderr
    );
}

#[test]
fn blake2b_from_the_json_api_is_checked_against_the_bytes() {
    let context = TestContext::new();
    context.write("requirements.txt", "tinyproj==1.0.0\n");
    context.server.declare_wrong_blake2b(TINY_WHEEL);
    let run = context.lock(&[]);
    insta::assert_snapshot!(run.snapshot(), @r"
    exit code: 1
    ----- stdout -----
    ----- stderr -----
    error: the index declares a digest that `tinyproj-1.0.0-py3-none-any.whl` does not have
      requirement: tinyproj==1.0.0 (requirements.txt:1)
      url:         [INDEX]/files/tinyproj-1.0.0-py3-none-any.whl
      declared:    blake2b_256:86b069c92e9bc7e128e4259e5620c557f422809c7c76f34b94c7933bb4b609f5
      observed:    blake2b_256:4550e1c8d6744bed80bd1c8a5f7fdea6181c440052549fcaf51daaab857373f2
    --- a/requirements.txt
    +++ b/requirements.txt
    @@ -1 +1,5 @@
    -tinyproj==1.0.0
    +tinyproj==1.0.0 \
    +    --hash=sha256:579a70f4d94e0634fed025f489280c121ab96de425a53cda9af7ae4db6619ba4 \
    +    --hash=sha256:69a25f6130fbe75b3c1c0aabddbed8a3b47df9f288022c9c27370d4d5d7f84ff
    +    # hashpin: tinyproj-1.0.0-py3-none-any.whl sha256:579a70f4d94e0634fed025f489280c121ab96de425a53cda9af7ae4db6619ba4 [INDEX]/files/tinyproj-1.0.0-py3-none-any.whl
    +    # hashpin: tinyproj-1.0.0.tar.gz sha256:69a25f6130fbe75b3c1c0aabddbed8a3b47df9f288022c9c27370d4d5d7f84ff [INDEX]/files/tinyproj-1.0.0.tar.gz
    refused: 1 declared digest wrong; nothing written
    ");
    assert_eq!(run.code, 1, "{}", run.stderr);
    assert!(
        run.stderr.contains("declared:    blake2b_256:"),
        "{}",
        run.stderr
    );
    assert!(
        context
            .server
            .request_log()
            .iter()
            .any(|r| r.contains("/pypi/tinyproj/1.0.0/json")),
        "the JSON API was asked"
    );
    assert_eq!(context.read("requirements.txt"), "tinyproj==1.0.0\n");
}

/// Where in the server's log (the order requests were answered) the first request whose
/// line contains `needle` is.
fn answered_at(log: &[String], needle: &str) -> usize {
    log.iter()
        .position(|line| line.contains(needle))
        .unwrap_or_else(|| panic!("{needle} never asked for: {log:#?}"))
}

/// A release with nothing recorded has PyPI's JSON API asked beside its listing, not after
/// it: with the listing held back 1.5 s, the API's answer comes first; a re-lock, whose
/// records the listing confirms, asks the API nothing.
#[test]
fn the_json_api_is_asked_beside_the_listing_of_an_unrecorded_release() {
    let context = TestContext::new();
    context.write("requirements.txt", "tinyproj==1.0.0\n");
    context
        .server
        .delay("/simple/tinyproj/", std::time::Duration::from_millis(1500));
    let out = context.lock(&[]);
    assert_eq!(out.code, 0, "{}", out.stderr);
    let log = context.server.request_log();
    let position = |needle: &str| answered_at(&log, needle);
    // The log is in the order requests were answered.
    assert!(
        position("/pypi/tinyproj/1.0.0/json") < position("/simple/tinyproj/"),
        "{log:#?}"
    );
    let asked = log.len();
    let again = context.lock(&[]);
    assert_eq!(again.code, 0, "{}", again.stderr);
    let log = context.server.request_log();
    assert!(
        !log[asked..].iter().any(|line| line.contains("/pypi/")),
        "{:#?}",
        &log[asked..]
    );
}

/// A project's files are downloaded as soon as its listing is read, not after every listing:
/// while one listing is slow, the other project's file is already fetched.
#[test]
fn downloads_start_while_a_slow_listing_is_still_on_its_way() {
    let context = TestContext::new();
    context.write("requirements.txt", "tinyproj==1.0.0\nnewfiles==3.0.0\n");
    context
        .server
        .delay("/simple/newfiles/", std::time::Duration::from_millis(1500));
    let out = context.lock(&[]);
    assert_eq!(out.code, 0, "{}", out.stderr);
    let log = context.server.request_log();
    let position = |needle: &str| answered_at(&log, needle);
    // The log is in the order requests were answered; the slow listing answers last of all.
    assert!(
        position("/files/tinyproj-1.0.0-py3-none-any.whl") < position("/simple/newfiles/"),
        "{log:#?}"
    );
    let locked = context.read("requirements.txt");
    assert_eq!(locked.matches("--hash=sha256:").count(), 4, "{locked}");
}
