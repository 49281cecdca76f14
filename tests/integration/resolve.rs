//! `hashpin lock --resolve`: loose requirements in, a pinned and hashed lockfile out.

use crate::harness::{Run, TestContext, uv_program};

fn resolve(context: &TestContext, args: &[&str]) -> Run {
    let index = context.server.simple_url();
    let mut all = vec!["lock", "--resolve", "requirements.in", "-i", &index];
    all.extend_from_slice(args);
    context.run(&all)
}

/// The `name==version` lines of a lockfile.
fn pins(text: &str) -> Vec<&str> {
    text.lines()
        .filter(|line| line.contains("==") && !line.starts_with(' ') && !line.starts_with('#'))
        .map(|line| line.trim_end_matches(" \\"))
        .collect()
}

#[test]
fn loose_requirements_become_a_lockfile_pip_accepts() {
    let context = TestContext::new();
    context.write("requirements.in", "depa  # the app\n");
    let run = resolve(&context, &[]);
    assert_eq!(run.code, 0, "{}", run.stderr);
    let text = context.read("requirements.txt");
    assert_eq!(pins(&text), ["depa==1.0.0", "depb==1.2.0"], "{text}");
    for expected in [
        "# via -r requirements.in\n",
        "# via depa\n",
        "# hashpin: depa-1.0.0.tar.gz sha256:",
        "# hashpin: depb-1.2.0-py3-none-any.whl sha256:",
    ] {
        assert!(text.contains(expected), "missing `{expected}` in:\n{text}");
    }
    // Every file of each release is recorded: the wheel and the sdist.
    assert_eq!(text.matches("--hash=sha256:").count(), 4, "{text}");

    let venv = context.venv("venv");
    context.assert_pip_accepts(&venv, "requirements.txt");

    // Run again: nothing changes.
    let again = resolve(&context, &[]);
    assert_eq!(again.code, 0, "{}", again.stderr);
    assert_eq!(context.read("requirements.txt"), text);
}

#[test]
fn pins_are_kept_until_upgraded() {
    let context = TestContext::new();
    context.write("requirements.in", "depa\ndepb<1.2\n");
    assert_eq!(resolve(&context, &[]).code, 0);
    assert_eq!(
        pins(&context.read("requirements.txt")),
        ["depa==1.0.0", "depb==1.0.0"]
    );
    context.write("requirements.in", "depa\n");
    let kept = resolve(&context, &[]);
    assert_eq!(kept.code, 0, "{}", kept.stderr);
    assert_eq!(
        pins(&context.read("requirements.txt")),
        ["depa==1.0.0", "depb==1.0.0"]
    );
    let upgraded = resolve(&context, &["--upgrade", "depb"]);
    assert_eq!(upgraded.code, 0, "{}", upgraded.stderr);
    assert_eq!(
        pins(&context.read("requirements.txt")),
        ["depa==1.0.0", "depb==1.2.0"]
    );
}

#[test]
fn the_output_name_must_be_derivable() {
    let context = TestContext::new();
    context.write("reqs.txt", "depa\n");
    let run = context.run(&["lock", "--resolve", "reqs.txt"]);
    assert_eq!(run.code, 2, "{}", run.stderr);
    assert!(run.stderr.contains("-o requirements.txt"), "{}", run.stderr);
}

#[test]
fn a_pin_the_input_no_longer_allows_gives_way_alone() {
    let context = TestContext::new();
    context.write("requirements.in", "tinyproj<1.1\ndepb<1.2\n");
    assert_eq!(resolve(&context, &[]).code, 0);
    assert_eq!(
        pins(&context.read("requirements.txt")),
        ["depb==1.0.0", "tinyproj==1.0.0"]
    );
    context.write("requirements.in", "tinyproj\ndepb>=1.2\n");
    let run = resolve(&context, &[]);
    assert_eq!(run.code, 0, "{}", run.stderr);
    assert_eq!(
        pins(&context.read("requirements.txt")),
        ["depb==1.2.0", "tinyproj==1.0.0"]
    );
}

#[test]
fn the_inputs_index_options_come_along() {
    let context = TestContext::new();
    let depa = crate::harness::testdata_artifact("depa", "");
    let depb = crate::harness::testdata_artifact("depb", "");
    context.write(
        "requirements.in",
        &format!(
            "--no-index\n--find-links {}\n--find-links {}\ndepa\n",
            depa.display(),
            depb.display()
        ),
    );
    let run = context.run(&["lock", "--resolve", "requirements.in"]);
    assert_eq!(run.code, 0, "{}", run.stderr);
    let text = context.read("requirements.txt");
    assert!(text.contains("--no-index\n--find-links "), "{text}");
    assert!(
        text.contains(" file:///"),
        "recorded from the find-links directories: {text}"
    );
    assert_eq!(context.server.request_count(), 0, "nothing from any index");
}

#[test]
fn a_kept_pins_changed_sdist_is_refused_before_pip_builds_it() {
    let context = TestContext::new();
    context.write("requirements.in", "depb<1.2\n");
    assert_eq!(resolve(&context, &[]).code, 0);
    let locked = context.read("requirements.txt");
    context
        .server
        .replace_bytes("depb-1.0.0.tar.gz", b"a changed sdist".to_vec());
    let run = resolve(&context, &[]);
    insta::assert_snapshot!(run.snapshot(), @"
    exit code: 1
    ----- stdout -----
    ----- stderr -----
    error: `depb-1.0.0.tar.gz` changed since it was locked
      requirement: depb==1.0.0 (requirements.txt:4)
      url:         [INDEX]/files/depb-1.0.0.tar.gz
      arrived:     plain text of 15 bytes
      recorded:    sha256:38df003bf7bb4568cf4926a38eeb86cffdfe22ce62ced70809badf21db9cfbe2
      observed:    sha256:8d7dbd6310986de7d3ab8a942ac379d71a619dca45060c538b64756613955a98
    hint: pip could build these sdists to resolve; review them, then re-record: `hashpin lock --resolve requirements.in --update depb`
    refused: 1 recorded artifact changed; nothing written, pip not run
    ");
    assert_eq!(run.code, 1, "{}", run.stderr);
    assert!(
        run.stderr
            .contains("error: `depb-1.0.0.tar.gz` changed since it was locked"),
        "{}",
        run.stderr
    );
    assert_eq!(context.read("requirements.txt"), locked);
}

// See: https://github.com/hashpin/hashpin/issues/7
#[test]
fn a_failed_listing_of_a_kept_pin_stops_before_pip_runs() {
    let context = TestContext::new();
    context.write("requirements.in", "depb<1.2\n");
    assert_eq!(resolve(&context, &[]).code, 0);
    let locked = context.read("requirements.txt");
    context.server.fail_times("/simple/depb/", 500, 100);
    let before = context.server.request_count();
    let run = resolve(&context, &["--retries", "1"]);
    assert_eq!(run.code, 4, "{}", run.snapshot());
    assert!(
        run.stderr.contains("HTTP 500 (after 1 retry"),
        "{}",
        run.stderr
    );
    assert!(run.stderr.contains("nothing written"), "{}", run.stderr);
    assert!(!run.stderr.contains("pip"), "pip never ran: {}", run.stderr);
    // hashpin's two attempts at the listing, and nothing else: pip asked for nothing.
    let requests = &context.server.request_log()[before..];
    assert!(
        requests
            .iter()
            .all(|request| request.contains("/simple/depb/")),
        "{requests:?}"
    );
    assert_eq!(requests.len(), 2, "{requests:?}");
    assert_eq!(context.read("requirements.txt"), locked);
}

// See: https://github.com/hashpin/hashpin/issues/7
#[test]
fn a_misspelt_project_is_an_input_error_with_a_suggestion_as_in_lock() {
    let context = TestContext::new();
    context.write("requirements.in", "# app\ntinyprj\n");
    let run = resolve(&context, &[]);
    assert_eq!(run.code, 2, "{}", run.snapshot());
    assert!(
        run.stderr.contains(
            "error: requirements.in:2: no files for `tinyprj` in `[INDEX]/simple/`\nhint: no release of `tinyprj` is listed there; did you mean `tinyproj`?"
        ),
        "{}",
        run.stderr
    );
    assert!(!context.path("requirements.txt").exists());

    // `hashpin lock` says the same of the same mistake, with the same exit code.
    context.write("requirements.txt", "tinyprj==1.0.0\n");
    let run = context.lock(&[]);
    assert_eq!(run.code, 2, "{}", run.snapshot());
    assert!(
        run.stderr.contains(
            "error: requirements.txt:1: no files for `tinyprj==1.0.0` in `[INDEX]/simple/`\nhint: no release of `tinyprj` is listed there; did you mean `tinyproj`?"
        ),
        "{}",
        run.stderr
    );
}

// See: https://github.com/hashpin/hashpin/issues/7
#[test]
fn a_failed_download_of_a_kept_sdist_stops_before_pip_runs() {
    let context = TestContext::new();
    context.write("requirements.in", "depb<1.2\n");
    assert_eq!(resolve(&context, &[]).code, 0);
    let locked = context.read("requirements.txt");
    context
        .server
        .fail_times("/files/depb-1.0.0.tar.gz", 500, 100);
    let before = context.server.request_count();
    let run = resolve(&context, &["--retries", "0"]);
    assert_eq!(run.code, 4, "{}", run.snapshot());
    assert!(
        run.stderr
            .contains("error: GET `[INDEX]/files/depb-1.0.0.tar.gz` failed: HTTP 500"),
        "{}",
        run.stderr
    );
    assert!(!run.stderr.contains("pip"), "pip never ran: {}", run.stderr);
    // The listing and the one download hashpin tried: pip asked for nothing.
    let requests = &context.server.request_log()[before..];
    assert!(
        requests
            .iter()
            .all(|request| request.contains("/simple/depb/")
                || request.contains("depb-1.0.0.tar.gz")
                || request.contains("/pypi/depb/")),
        "{requests:?}"
    );
    assert_eq!(context.read("requirements.txt"), locked);
}

#[test]
fn no_cache_keeps_the_checked_sdists_of_kept_pins_out_of_the_cache() {
    let context = TestContext::new();
    context.write("requirements.in", "depb<1.2\n");
    assert_eq!(resolve(&context, &[]).code, 0);
    fs_err::remove_dir_all(context.path("cache")).unwrap();
    let before = context.server.request_count();
    let run = resolve(&context, &["--no-cache"]);
    assert_eq!(run.code, 0, "{}", run.snapshot());
    // The kept pin's sdist was downloaded and checked before pip ran, and kept nowhere.
    assert!(
        context.server.request_log()[before..]
            .iter()
            .any(|request| request.contains("depb-1.0.0.tar.gz")),
        "{:?}",
        context.server.request_log()
    );
    assert!(!context.path("cache").exists(), "nothing cached");
}

#[test]
fn a_release_pip_refuses_for_another_reason_keeps_pips_own_error() {
    let context = TestContext::new();
    for file in [
        "tinyproj-1.0.0-py3-none-any.whl",
        "tinyproj-1.0.0.tar.gz",
        "tinyproj-1.1.0-py3-none-any.whl",
        "tinyproj-1.1.0.tar.gz",
    ] {
        context.server.set_requires_python(file, ">=4");
    }
    context.write("requirements.in", "tinyproj\n");
    let run = resolve(&context, &[]);
    assert_eq!(run.code, 4, "{}", run.snapshot());
    // The files are there and the requirement allows them: this is pip's to explain.
    assert!(!run.stderr.contains("no files for"), "{}", run.stderr);
    assert!(
        run.stderr
            .contains("No matching distribution found for tinyproj"),
        "{}",
        run.stderr
    );
}

/// `lock --resolve` with the pinned uv as the resolver.
fn resolve_with_uv(context: &TestContext, args: &[&str]) -> Run {
    resolve_with_uv_at(context, args, uv_program())
}

/// `lock --resolve` with the uv at `program` as the resolver.
fn resolve_with_uv_at(context: &TestContext, args: &[&str], program: &std::path::Path) -> Run {
    let index = context.server.simple_url();
    let mut all = vec![
        "lock",
        "--resolve",
        "requirements.in",
        "-i",
        &index,
        "--resolver",
        "uv",
    ];
    all.extend_from_slice(args);
    context.run_with_env(&all, &[("HASHPIN_UV", program.to_str().unwrap())])
}

#[test]
fn uv_picks_the_versions_and_hashpin_downloads_every_file_itself() {
    let with_pip = TestContext::new();
    with_pip.write("requirements.in", "depa  # the app\n");
    assert_eq!(resolve(&with_pip, &[]).code, 0);

    let context = TestContext::new();
    context.write("requirements.in", "depa  # the app\n");
    let run = resolve_with_uv(&context, &[]);
    assert_eq!(run.code, 0, "{}", run.stderr);
    assert!(
        run.stderr.contains("uv resolved 2 packages"),
        "{}",
        run.stderr
    );
    let text = context.read("requirements.txt");
    // Both resolvers make the same lockfile: the same pins, `# via` lines and records; only
    // the header line saying who resolved differs.
    let index_of = |context: &TestContext| context.server.simple_url().replace("/simple/", "");
    let body = |text: &str| -> String {
        text.lines()
            .filter(|line| !line.starts_with("# Resolved by "))
            .collect::<Vec<_>>()
            .join("\n")
    };
    assert!(text.contains("# Resolved by uv, for Python 3."), "{text}");
    let by_pip = with_pip.read("requirements.txt");
    assert!(
        by_pip.contains("# Resolved by pip, for Python 3."),
        "{by_pip}"
    );
    assert_eq!(
        body(&text.replace(&index_of(&context), "[INDEX]")),
        body(&by_pip.replace(&index_of(&with_pip), "[INDEX]"))
    );
    assert_eq!(text.matches("--hash=sha256:").count(), 4, "{text}");
    // hashpin fetched every recorded file itself (uv's cache is its own business).
    let log = context.server.request_log();
    for file in [
        "depa-1.0.0.tar.gz",
        "depa-1.0.0-py3-none-any.whl",
        "depb-1.2.0.tar.gz",
        "depb-1.2.0-py3-none-any.whl",
    ] {
        assert!(
            log.iter()
                .any(|line| line.ends_with(&format!("/files/{file}"))),
            "{file} never downloaded: {log:?}"
        );
    }
    let venv = context.venv("venv");
    context.assert_pip_accepts(&venv, "requirements.txt");

    let again = resolve_with_uv(&context, &[]);
    assert_eq!(again.code, 0, "{}", again.stderr);
    assert_eq!(context.read("requirements.txt"), text);
}

#[test]
fn uv_keeps_pins_until_upgraded() {
    let context = TestContext::new();
    context.write("requirements.in", "depa\ndepb<1.2\n");
    assert_eq!(resolve_with_uv(&context, &[]).code, 0);
    let first = context.read("requirements.txt");
    assert_eq!(pins(&first), ["depa==1.0.0", "depb==1.0.0"]);
    context.write("requirements.in", "depa\n");
    let kept = resolve_with_uv(&context, &[]);
    assert_eq!(kept.code, 0, "{}", kept.stderr);
    assert_eq!(
        pins(&context.read("requirements.txt")),
        ["depa==1.0.0", "depb==1.0.0"]
    );
    let upgraded = resolve_with_uv(&context, &["--upgrade", "depb"]);
    assert_eq!(upgraded.code, 0, "{}", upgraded.stderr);
    assert_eq!(
        pins(&context.read("requirements.txt")),
        ["depa==1.0.0", "depb==1.2.0"]
    );
}

#[test]
fn a_universal_resolution_keeps_markers_and_records_every_platform() {
    let context = TestContext::new();
    context.write(
        "requirements.in",
        "tinyproj\nplatpkg ; sys_platform == 'win32'\n",
    );
    let run = resolve_with_uv(&context, &["--universal"]);
    assert_eq!(run.code, 0, "{}", run.stderr);
    assert!(
        run.stderr
            .contains("uv resolved 2 packages for every platform"),
        "{}",
        run.stderr
    );
    let text = context.read("requirements.txt");
    assert!(
        text.starts_with(
            "# This file is generated by `hashpin lock --resolve requirements.in --universal`"
        ),
        "{text}"
    );
    assert!(
        text.contains("platpkg==0.5.0 ; sys_platform == 'win32' \\\n"),
        "{text}"
    );
    // Every wheel of the release, whatever its platform, and the sdist.
    let platpkg_files = std::fs::read_dir(crate::harness::testdata_artifact("platpkg", ""))
        .unwrap()
        .count();
    assert_eq!(
        text.matches("# hashpin: platpkg-0.5.0").count(),
        platpkg_files,
        "{text}"
    );
    // pip on this Linux machine skips the Windows-only pin and installs the rest.
    let venv = context.venv("venv");
    context.assert_pip_accepts(&venv, "requirements.txt");
    // Running again changes nothing: the marker is part of what a kept entry must match.
    let again = resolve_with_uv(&context, &["--universal"]);
    assert_eq!(again.code, 0, "{}", again.stderr);
    assert_eq!(context.read("requirements.txt"), text);
}

#[test]
fn auto_picks_uv_on_path_and_pip_without_it() {
    let context = TestContext::new();
    context.write("requirements.in", "tinyproj\n");
    let bin = context.path("bin");
    fs_err::create_dir_all(&bin).unwrap();
    std::os::unix::fs::symlink(uv_program(), bin.join("uv")).unwrap();
    let path = format!("{}:/usr/local/bin:/usr/bin:/bin", bin.display());
    let index = context.server.simple_url();
    let args = ["lock", "--resolve", "requirements.in", "-i", &index];
    let with_uv = context.run_with_env(&args, &[("HASHPIN_RESOLVER", "auto"), ("PATH", &path)]);
    assert_eq!(with_uv.code, 0, "{}", with_uv.stderr);
    assert!(
        with_uv.stderr.contains("uv resolved 1 package"),
        "{}",
        with_uv.stderr
    );

    fs_err::remove_file(bin.join("uv")).unwrap();
    fs_err::remove_file(context.path("requirements.txt")).unwrap();
    let with_pip = context.run_with_env(&args, &[("HASHPIN_RESOLVER", "auto"), ("PATH", &path)]);
    assert_eq!(with_pip.code, 0, "{}", with_pip.stderr);
    assert!(
        with_pip.stderr.contains("pip resolved 1 package"),
        "{}",
        with_pip.stderr
    );
}

#[test]
fn asking_for_uv_without_one_says_how_to_get_it() {
    let context = TestContext::new();
    context.write("requirements.in", "tinyproj\n");
    let missing = context.path("no-such-uv");
    let run = context.run_with_env(
        &["lock", "--resolve", "requirements.in", "--universal"],
        &[("HASHPIN_RESOLVER", "auto"), ("PATH", "/nonexistent")],
    );
    assert_eq!(run.code, 2, "{}", run.stderr);
    assert!(
        run.stderr.contains("`--universal` needs uv"),
        "{}",
        run.stderr
    );
    assert!(run.stderr.contains("HASHPIN_UV"), "{}", run.stderr);
    let run = context.run_with_env(
        &["lock", "--resolve", "requirements.in", "--resolver", "uv"],
        &[("HASHPIN_UV", missing.to_str().unwrap())],
    );
    assert_eq!(run.code, 2, "{}", run.stderr);
    assert!(
        run.stderr
            .contains("`HASHPIN_UV` is `[TEMP]/no-such-uv`, which is no program"),
        "{}",
        run.stderr
    );
    let run = context.run(&[
        "lock",
        "--resolve",
        "requirements.in",
        "--universal",
        "--resolver",
        "pip",
    ]);
    assert_eq!(run.code, 2, "{}", run.stderr);
    assert!(
        run.stderr.contains("pip resolves for one interpreter"),
        "{}",
        run.stderr
    );
    assert!(!context.path("requirements.txt").exists());
}

/// A wheel whose metadata requires `requires` (one `Requires-Dist` per item).
fn wheel_requiring(name: &str, requires: &[&str]) -> Vec<u8> {
    use std::io::Write as _;
    let mut writer = zip::ZipWriter::new(std::io::Cursor::new(Vec::new()));
    let options = zip::write::SimpleFileOptions::default();
    let dist_info = format!("{name}-1.0.0.dist-info");
    let mut metadata = format!("Metadata-Version: 2.1\nName: {name}\nVersion: 1.0.0\n");
    for requirement in requires {
        metadata.push_str(&format!("Requires-Dist: {requirement}\n"));
    }
    let files = [
        (format!("{name}/__init__.py"), String::new()),
        (format!("{dist_info}/METADATA"), metadata),
        (
            format!("{dist_info}/WHEEL"),
            "Wheel-Version: 1.0\nGenerator: hashpin-tests\nRoot-Is-Purelib: true\nTag: py3-none-any\n".to_string(),
        ),
    ];
    let mut record = String::new();
    for (path, text) in &files {
        writer.start_file(path.as_str(), options).unwrap();
        writer.write_all(text.as_bytes()).unwrap();
        record.push_str(&format!("{path},,\n"));
    }
    record.push_str(&format!("{dist_info}/RECORD,,\n"));
    writer
        .start_file(format!("{dist_info}/RECORD"), options)
        .unwrap();
    writer.write_all(record.as_bytes()).unwrap();
    writer.finish().unwrap().into_inner()
}

#[test]
fn via_names_only_what_really_requires_a_package_and_names_are_normalized() {
    let context = TestContext::new();
    // tinyproj only under an extra nobody asks for; depa only on Python 2; depb always.
    context.server.add_file(
        "Extra_Pkg",
        "extra_pkg-1.0.0-py3-none-any.whl",
        wheel_requiring(
            "Extra_Pkg",
            &[
                "depb",
                "tinyproj; extra == \"test\"",
                "depa; python_version < \"3\"",
            ],
        ),
    );
    context.write("requirements.in", "Extra_Pkg\ntinyproj\ndepa\n");
    let run = resolve(&context, &[]);
    assert_eq!(run.code, 0, "{}", run.stderr);
    let text = context.read("requirements.txt");
    assert!(
        text.contains("# Resolved by pip, for Python 3."),
        "the header says how it was produced: {text}"
    );
    assert_eq!(
        pins(&text),
        [
            "depa==1.0.0",
            "depb==1.2.0",
            "extra-pkg==1.0.0",
            "tinyproj==1.1.0"
        ],
        "normalized names, as pip-compile writes them: {text}"
    );
    let via_of = |project: &str| -> String {
        let start = text.find(&format!("\n{project}==")).unwrap();
        text[start..]
            .lines()
            .find(|line| line.trim_start().starts_with("# via"))
            .unwrap()
            .trim()
            .to_string()
    };
    assert_eq!(via_of("tinyproj"), "# via -r requirements.in", "{text}");
    assert_eq!(via_of("depa"), "# via -r requirements.in", "{text}");
    assert_eq!(via_of("depb"), "# via depa, extra-pkg", "{text}");
}

#[test]
fn uv_resolves_within_the_cooldown() {
    let context = TestContext::new();
    for file in ["depb-1.0.0-py3-none-any.whl", "depb-1.0.0.tar.gz"] {
        context
            .server
            .declare_upload_time(file, "2000-01-01T00:00:00Z");
    }
    for file in ["depb-1.2.0-py3-none-any.whl", "depb-1.2.0.tar.gz"] {
        context
            .server
            .declare_upload_time(file, "2999-01-01T00:00:00Z");
    }
    context.write("requirements.in", "depb\n");
    let run = resolve_with_uv(&context, &["--exclude-newer", "2026-01-01"]);
    assert_eq!(run.code, 0, "{}", run.stderr);
    assert_eq!(pins(&context.read("requirements.txt")), ["depb==1.0.0"]);
}

/// The input's own `==` pins are listed and downloaded while the resolver runs, and lock takes
/// those downloads and listings instead of asking again: with `depb`'s listing held back 1.5 s
/// (both resolvers need it to finish), `depa`'s sdist, which no resolver reads, is fetched
/// before that listing is answered, and once.
#[test]
fn the_inputs_own_pins_are_downloaded_while_the_resolver_runs() {
    for resolver in ["uv", "pip"] {
        let context = TestContext::new();
        context.write("requirements.in", "depa==1.0.0\n");
        context
            .server
            .delay("/simple/depb/", std::time::Duration::from_millis(1500));
        let run = if resolver == "uv" {
            resolve_with_uv(&context, &[])
        } else {
            resolve(&context, &["--resolver", "pip"])
        };
        assert_eq!(run.code, 0, "{resolver}: {}", run.stderr);
        let text = context.read("requirements.txt");
        assert_eq!(pins(&text), ["depa==1.0.0", "depb==1.2.0"], "{text}");
        assert_eq!(text.matches("--hash=sha256:").count(), 4, "{text}");
        let log = context.server.request_log();
        let sdist = |line: &&String| line.ends_with("/files/depa-1.0.0.tar.gz");
        let fetched = log.iter().position(|line| sdist(&line)).unwrap();
        let depb_listed = log
            .iter()
            .position(|line| line.contains("/simple/depb/"))
            .unwrap();
        assert!(
            fetched < depb_listed,
            "{resolver}: depa's sdist waited for the resolution: {log:#?}"
        );
        assert_eq!(log.iter().filter(sdist).count(), 1, "{resolver}: {log:#?}");
        // What hashpin read of the release while the resolver ran, lock did not ask again
        // (no resolver asks PyPI's JSON API).
        let json_api = log
            .iter()
            .filter(|line| line.ends_with("/pypi/depa/1.0.0/json"))
            .count();
        assert_eq!(json_api, 1, "{resolver}: {log:#?}");
    }
}

/// A resolver that prints uv's words for a failed resolution after `seconds` and exits 1.
fn failing_uv(context: &TestContext, seconds: &str) -> std::path::PathBuf {
    use std::os::unix::fs::PermissionsExt;

    let uv = context.path("failing-uv");
    fs_err::write(
        &uv,
        format!(
            "#!/bin/sh\nsleep {seconds}\necho 'error: No solution found when resolving dependencies' >&2\nexit 1\n"
        ),
    )
    .unwrap();
    fs_err::set_permissions(&uv, std::fs::Permissions::from_mode(0o755)).unwrap();
    uv
}

/// A resolution that fails stops what began beside it: no file is downloaded once the
/// resolver has given up, and the resolver's error is what the user reads.
#[test]
fn a_failed_resolution_stops_the_downloads_begun_beside_it() {
    let context = TestContext::new();
    context.write("requirements.in", "depa==1.0.0\n");
    // The resolver gives up after 1 s, while the pin's listing (held 2.5 s) is on its way.
    let uv = failing_uv(&context, "1");
    context
        .server
        .delay("/simple/depa/", std::time::Duration::from_millis(2500));
    let run = resolve_with_uv_at(&context, &[], &uv);
    assert_ne!(run.code, 0, "{}", run.stderr);
    assert!(run.stderr.contains("No solution found"), "{}", run.stderr);
    let log = context.server.request_log();
    assert!(
        log.iter().any(|line| line.contains("/simple/depa/")),
        "{log:#?}\n{}",
        run.stderr
    );
    assert!(
        !log.iter().any(|line| line.contains("/files/")),
        "downloaded after the resolution failed: {log:#?}"
    );
    assert!(!context.path("requirements.txt").exists());
}

/// Nor does a failed resolution wait for a listing beside it to be retried: the index answers
/// 503 and each retry waits 1 s, then 2, 4, ... (half a minute in all); the resolver gives up
/// after half a second, and the retries stop with it.
#[test]
fn a_failed_resolution_does_not_wait_for_the_retries_beside_it() {
    let context = TestContext::new();
    context.write("requirements.in", "depa==1.0.0\n");
    let uv = failing_uv(&context, "0.5");
    context.server.fail_times("/simple/depa/", 503, 100);
    let index = context.server.simple_url();
    let started = std::time::Instant::now();
    let run = context.run_with_env(
        &["lock", "--resolve", "requirements.in", "-i", &index],
        &[
            ("HASHPIN_RESOLVER", "uv"),
            ("HASHPIN_UV", uv.to_str().unwrap()),
            ("HASHPIN_RETRY_DELAY_MS", "1000"),
        ],
    );
    let elapsed = started.elapsed();
    assert_ne!(run.code, 0, "{}", run.stderr);
    assert!(run.stderr.contains("No solution found"), "{}", run.stderr);
    let listings = context
        .server
        .request_log()
        .iter()
        .filter(|line| line.contains("/simple/depa/"))
        .count();
    assert!(
        listings <= 1,
        "{listings} listings after the resolver gave up"
    );
    // Far under the retries' half minute; generous for a loaded CI runner.
    assert!(elapsed < std::time::Duration::from_secs(8), "{elapsed:?}");
}

/// A pin the previous output already records at the same version is not downloaded beside
/// the resolver, `--upgrade` or not: its records are carried over, and lock finds them
/// confirmed by the index.
#[test]
fn an_upgrade_that_keeps_a_pins_version_downloads_nothing_beside_the_resolver() {
    let context = TestContext::new();
    context.write("requirements.in", "depa==1.0.0\n");
    let first = resolve_with_uv(&context, &[]);
    assert_eq!(first.code, 0, "{}", first.stderr);
    let locked = context.read("requirements.txt");
    let sdist = |log: &[String]| {
        log.iter()
            .filter(|line| line.ends_with("/files/depa-1.0.0.tar.gz"))
            .count()
    };
    assert_eq!(sdist(&context.server.request_log()), 1);
    let upgraded = resolve_with_uv(&context, &["--upgrade"]);
    assert_eq!(upgraded.code, 0, "{}", upgraded.stderr);
    let log = context.server.request_log();
    assert_eq!(sdist(&log), 1, "{log:#?}");
    assert_eq!(context.read("requirements.txt"), locked);
}
