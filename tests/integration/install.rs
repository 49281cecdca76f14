//! `hashpin install` end to end, with real pip in throwaway virtual environments.

use std::path::Path;
use std::process::Command;

use crate::harness::{Run, TestContext};

/// `hashpin install --python PYTHON -i INDEX ARGS...`.
fn install(context: &TestContext, python: &Path, args: &[&str]) -> Run {
    let index = context.server.simple_url();
    let python = python.to_str().unwrap();
    let mut all = vec!["install", "--python", python, "-i", &index];
    all.extend_from_slice(args);
    context.run(&all)
}

/// Which of `modules` import in the environment.
fn importable(python: &Path, modules: &[&str]) -> Vec<String> {
    modules
        .iter()
        .filter(|module| {
            Command::new(python)
                .args(["-c", &format!("import {module}")])
                .output()
                .is_ok_and(|output| output.status.success())
        })
        .map(|module| (*module).to_string())
        .collect()
}

#[test]
fn a_first_install_records_dependencies_and_a_second_verifies() {
    let context = TestContext::new();
    context.write("requirements.txt", "# app\ndepa==1.0.0  # the app\n");
    let python = context.venv("venv");
    let run = install(&context, &python, &[]);
    assert_eq!(run.code, 0, "{}", run.stderr);
    assert_eq!(importable(&python, &["depa", "depb"]), ["depa", "depb"]);
    let text = context.read("requirements.txt");
    let depb_wheel = "depb-1.2.0-py3-none-any.whl";
    let depb_sdist = "depb-1.2.0.tar.gz";
    // Every file of each release is recorded, not only the one pip chose for this interpreter,
    // in the lines `hashpin lock` writes.
    for expected in [
        "# app\ndepa==1.0.0 \\\n    --hash=sha256:".to_string(),
        "  # the app\n    # hashpin: depa-1.0.0-py3-none-any.whl sha256:".to_string(),
        "    # hashpin: depa-1.0.0.tar.gz sha256:".to_string(),
        format!(
            "depb==1.2.0 \\\n    --hash=sha256:{} \\\n    --hash=sha256:{}\n    # hashpin: {depb_wheel} sha256:",
            context.server.sha256(depb_wheel),
            context.server.sha256(depb_sdist),
        ),
        format!("    # hashpin: {depb_sdist} sha256:"),
        "    # via depa\n".to_string(),
    ] {
        assert!(text.contains(&expected), "missing `{expected}` in:\n{text}");
    }
    // What install recorded is what lock would have: lock finds nothing to add.
    let relock = context.lock(&["--check"]);
    assert_eq!(relock.code, 0, "{}", relock.snapshot());
    assert!(relock.stderr.contains("is up to date"), "{}", relock.stderr);
    assert!(!relock.stderr.contains("warning"), "{}", relock.stderr);

    // A second install verifies and changes nothing.
    let again = context.venv("venv2");
    let run = install(&context, &again, &[]);
    assert_eq!(run.code, 0, "{}", run.stderr);
    assert_eq!(context.read("requirements.txt"), text);

    // Plain pip accepts the lockfile.
    let plain = context.venv("venv3");
    context.assert_pip_accepts(&plain, "requirements.txt");
}

#[test]
fn a_republished_artifact_stops_everything_before_pip_installs_anything() {
    let context = TestContext::new();
    context.write("requirements.txt", "depa==1.0.0\n");
    let python = context.venv("venv");
    assert_eq!(install(&context, &python, &[]).code, 0);
    let locked = context.read("requirements.txt");

    let wheel = "depb-1.2.0-py3-none-any.whl";
    let mut evil = context.server.bytes(wheel);
    evil.extend_from_slice(b"\0");
    context.server.replace_bytes(wheel, evil);
    let fresh = context.venv("fresh");
    let run = install(&context, &fresh, &[]);
    insta::assert_snapshot!(run.stderr, @r"
    pip resolved 2 packages
    error: `depb-1.2.0-py3-none-any.whl` changed since it was locked
      requirement: depb==1.2.0 (requirements.txt:6)
      url:         [INDEX]/files/depb-1.2.0-py3-none-any.whl
      recorded:    sha256:16a20139ee776d923390d9ce5139ac9a6a18fc05467a0f1cb10d23bf9b657a6e
      observed:    sha256:2ecfc87738d5803793feeaf9aafd46006daf31415c2567dd1f7d65d9ba88e478
    hint: re-record only if you know why the bytes changed: `hashpin lock --update depb`
    --- a/requirements.txt
    +++ b/requirements.txt
    @@ -4,8 +4,8 @@
         # hashpin: depa-1.0.0-py3-none-any.whl sha256:460a8e463e518443af3a3a0485cf3f82bba59177f5b752526dadc75a536012b7 [INDEX]/files/depa-1.0.0-py3-none-any.whl
         # hashpin: depa-1.0.0.tar.gz sha256:888991248638f58bb28b6941e895cfa8ec736af2e3808672a405cc833d005c26 [INDEX]/files/depa-1.0.0.tar.gz
     depb==1.2.0 \
    -    --hash=sha256:16a20139ee776d923390d9ce5139ac9a6a18fc05467a0f1cb10d23bf9b657a6e \
    -    --hash=sha256:2ebc46cce000dbdeecd6279c7ad54e94cd6e74d31f4a062644dd1c6bee012ef2
    -    # hashpin: depb-1.2.0-py3-none-any.whl sha256:16a20139ee776d923390d9ce5139ac9a6a18fc05467a0f1cb10d23bf9b657a6e [INDEX]/files/depb-1.2.0-py3-none-any.whl
    +    --hash=sha256:2ebc46cce000dbdeecd6279c7ad54e94cd6e74d31f4a062644dd1c6bee012ef2 \
    +    --hash=sha256:2ecfc87738d5803793feeaf9aafd46006daf31415c2567dd1f7d65d9ba88e478
    +    # hashpin: depb-1.2.0-py3-none-any.whl sha256:2ecfc87738d5803793feeaf9aafd46006daf31415c2567dd1f7d65d9ba88e478 [INDEX]/files/depb-1.2.0-py3-none-any.whl
         # hashpin: depb-1.2.0.tar.gz sha256:2ebc46cce000dbdeecd6279c7ad54e94cd6e74d31f4a062644dd1c6bee012ef2 [INDEX]/files/depb-1.2.0.tar.gz
         # via depa
    refused: 1 artifact refused, 1 verified; nothing installed, the lockfile unchanged
    ");
    assert_eq!(run.code, 1, "{}", run.stderr);
    for expected in [
        "error: `depb-1.2.0-py3-none-any.whl` changed since it was locked",
        "  requirement: depb==1.2.0 (requirements.txt:",
        "  recorded:    sha256:",
        "  observed:    sha256:",
        "--- a/requirements.txt",
        "nothing installed",
    ] {
        assert!(
            run.stderr.contains(expected),
            "missing `{expected}` in:\n{}",
            run.stderr
        );
    }
    assert!(
        importable(&fresh, &["depa", "depb"]).is_empty(),
        "no package at all is installed"
    );
    assert_eq!(context.read("requirements.txt"), locked);

    // The same refusal as one JSON document, for CI.
    let run = install(&context, &fresh, &["--format", "json"]);
    insta::assert_snapshot!(run.stdout, @r#"
    {
      "schema": "hashpin-install/1",
      "outcome": "refused",
      "exit_code": 1,
      "artifacts": [
        {
          "project": "depa",
          "version": "1.0.0",
          "filename": "depa-1.0.0-py3-none-any.whl",
          "url": "[INDEX]/files/depa-1.0.0-py3-none-any.whl",
          "status": "verified",
          "expected": [],
          "observed": "sha256:460a8e463e518443af3a3a0485cf3f82bba59177f5b752526dadc75a536012b7",
          "message": null
        },
        {
          "project": "depb",
          "version": "1.2.0",
          "filename": "depb-1.2.0-py3-none-any.whl",
          "url": "[INDEX]/files/depb-1.2.0-py3-none-any.whl",
          "status": "refused",
          "expected": [
            "sha256:16a20139ee776d923390d9ce5139ac9a6a18fc05467a0f1cb10d23bf9b657a6e"
          ],
          "observed": "sha256:2ecfc87738d5803793feeaf9aafd46006daf31415c2567dd1f7d65d9ba88e478",
          "message": "`depb-1.2.0-py3-none-any.whl` changed since it was locked"
        }
      ],
      "errors": []
    }
    "#);
    assert_eq!(run.code, 1, "{}", run.stderr);
    let report: serde_json::Value = serde_json::from_str(&run.stdout).unwrap();
    assert_eq!(report["schema"], "hashpin-install/1");
    assert_eq!(report["outcome"], "refused");
    assert_eq!(report["exit_code"], 1);
    let artifacts = report["artifacts"].as_array().unwrap();
    let depa = artifacts.iter().find(|a| a["project"] == "depa").unwrap();
    assert_eq!(depa["status"], "verified");
    let depb = artifacts.iter().find(|a| a["project"] == "depb").unwrap();
    assert_eq!(depb["status"], "refused");
    assert_eq!(depb["filename"], wheel);
    assert_eq!(
        depb["observed"],
        format!("sha256:{}", context.server.sha256(wheel))
    );
    assert_eq!(depb["expected"].as_array().unwrap().len(), 1);
    assert_eq!(context.read("requirements.txt"), locked);
}

#[test]
fn frozen_refuses_what_is_not_recorded_and_never_writes() {
    let context = TestContext::new();
    context.write("requirements.txt", "depa==1.0.0\n");
    assert_eq!(context.lock(&[]).code, 0);
    let locked = context.read("requirements.txt");
    let python = context.venv("venv");
    let run = install(&context, &python, &["--frozen"]);
    insta::assert_snapshot!(run.stderr, @"
    pip resolved 2 packages
    error: `depb==1.2.0` is not in the lockfile (pulled in as a dependency) and `--frozen` records nothing
      url:      [INDEX]/files/depb-1.2.0-py3-none-any.whl
      observed: sha256:16a20139ee776d923390d9ce5139ac9a6a18fc05467a0f1cb10d23bf9b657a6e
    refused: 1 artifact refused, 1 verified; nothing installed, the lockfile unchanged
    ");
    assert_eq!(run.code, 1, "{}", run.stderr);
    assert!(
        run.stderr.contains("`depb==1.2.0` is not in the lockfile"),
        "{}",
        run.stderr
    );
    assert!(importable(&python, &["depa", "depb"]).is_empty());
    assert_eq!(context.read("requirements.txt"), locked);
}

#[test]
fn hooks_pass_fail_and_retry() {
    let context = TestContext::new();
    // A second wheel for this interpreter, so a retry has somewhere to go.
    let cp311 = "platpkg-0.5.0-cp311-cp311-manylinux_2_17_x86_64.manylinux2014_x86_64.whl";
    context.server.add_file(
        "platpkg",
        "platpkg-0.5.0-py3-none-any.whl",
        context.server.bytes(cp311),
    );
    context.write("requirements.txt", "platpkg==0.5.0\n");
    assert_eq!(context.lock(&[]).code, 0);
    let log = context.path("hook.log");
    context.write(
        "retry-native.sh",
        &format!(
            "#!/bin/sh\necho \"$HASHPIN_FILENAME $HASHPIN_SHA256 $2\" >> {}\ncase \"$1\" in *cp311*) echo 'native wheels are not allowed here'; exit 3;; esac\nexit 0\n",
            log.display()
        ),
    );
    context.write(
        "refuse.sh",
        "#!/bin/sh\necho 'license not allowed' >&2\nexit 1\n",
    );
    let hook = |name: &str| format!("sh {}", context.path(name).display());

    let python = context.venv("venv");
    let refused = install(&context, &python, &["--hook", &hook("refuse.sh")]);
    insta::assert_snapshot!(refused.stderr, @"
    pip resolved 1 package
      [sh [TEMP]/refuse.sh] license not allowed
    error: a hook refused `platpkg-0.5.0-cp311-cp311-manylinux_2_17_x86_64.manylinux2014_x86_64.whl`: exited with code 1
    refused: 1 artifact refused by hooks; nothing installed
    ");
    assert_eq!(refused.code, 1, "{}", refused.stderr);
    assert!(
        refused.stderr.contains("license not allowed"),
        "{}",
        refused.stderr
    );
    assert!(importable(&python, &["platpkg"]).is_empty());

    let run = install(&context, &python, &["--hook", &hook("retry-native.sh")]);
    assert_eq!(run.code, 0, "{}", run.stderr);
    assert!(
        run.stderr
            .contains("trying `platpkg-0.5.0-py3-none-any.whl`"),
        "{}",
        run.stderr
    );
    let calls = fs_err::read_to_string(&log).unwrap();
    assert!(calls.starts_with(&format!("{cp311} ")), "{calls}");
    assert!(calls.contains("platpkg-0.5.0-py3-none-any.whl"), "{calls}");
    assert_eq!(importable(&python, &["platpkg"]), ["platpkg"]);
}

#[test]
fn a_changed_direct_url_is_refused_before_pip_sees_it() {
    let context = TestContext::new();
    let sdist = "tinyproj-1.0.0.tar.gz";
    let url = context.server.file_url(sdist);
    context.write("requirements.txt", &format!("tinyproj @ {url}\n"));
    assert_eq!(context.lock(&[]).code, 0);
    let locked = context.read("requirements.txt");
    context
        .server
        .replace_bytes(sdist, b"not the sdist that was locked".to_vec());
    let before = context.server.request_count();
    let python = context.venv("venv");
    let run = install(&context, &python, &[]);
    insta::assert_snapshot!(run.stderr, @"
    error: `tinyproj-1.0.0.tar.gz` changed since it was locked
      requirement: tinyproj @ [INDEX]/files/tinyproj-1.0.0.tar.gz (requirements.txt:1)
      url:         [INDEX]/files/tinyproj-1.0.0.tar.gz
      recorded:    sha256:69a25f6130fbe75b3c1c0aabddbed8a3b47df9f288022c9c27370d4d5d7f84ff
      observed:    sha256:e4236e0187e39203059344b22c8e559fdec0e96996b947b397628b402b00fa11
    refused: 1 artifact refused, 0 verified; nothing installed, the lockfile unchanged
    ");
    assert_eq!(run.code, 1, "{}", run.stderr);
    assert!(
        run.stderr
            .contains("`tinyproj-1.0.0.tar.gz` changed since it was locked"),
        "{}",
        run.stderr
    );
    let fetches: Vec<String> = context.server.request_log()[before..]
        .iter()
        .filter(|request| request.contains(sdist))
        .cloned()
        .collect();
    assert_eq!(
        fetches.len(),
        1,
        "only hashpin fetched it, pip never did: {fetches:?}"
    );
    assert_eq!(context.read("requirements.txt"), locked);
}

#[test]
fn unpinned_lines_are_refused_before_anything_runs() {
    let context = TestContext::new();
    context.write("requirements.txt", "tinyproj>=1.0\n");
    let python = context.venv("venv");
    let run = install(&context, &python, &[]);
    assert_eq!(run.code, 2, "{}", run.stderr);
    assert!(
        run.stderr.contains("not pinned to one version"),
        "{}",
        run.stderr
    );
    assert_eq!(context.read("requirements.txt"), "tinyproj>=1.0\n");
    assert_eq!(context.server.request_count(), 0);
}

#[test]
fn marker_split_pins_record_each_version_under_its_own_line() {
    let context = TestContext::new();
    let text = "depb==1.0.0 ; python_version < \"3.8\"\ndepb==1.2.0 ; python_version >= \"3.8\"\n";
    context.write("requirements.txt", text);
    let python = context.venv("venv");
    let run = install(&context, &python, &[]);
    assert_eq!(run.code, 0, "{}", run.stderr);
    let locked = context.read("requirements.txt");
    assert!(
        locked.starts_with(
            "depb==1.0.0 ; python_version < \"3.8\"\ndepb==1.2.0 ; python_version >= \"3.8\" \\\n"
        ),
        "{locked}"
    );
    assert!(
        locked.contains("# hashpin: depb-1.2.0-py3-none-any.whl"),
        "{locked}"
    );
}

#[test]
fn a_bare_url_keeps_its_marker() {
    let context = TestContext::new();
    let wheel = "tinyproj-1.0.0-py3-none-any.whl";
    let url = context.server.file_url(wheel);
    context.write(
        "requirements.txt",
        &format!(
            "{url} ; python_version < \"3.0\" --hash=sha256:{}\ndepb==1.2.0\n",
            context.server.sha256(wheel)
        ),
    );
    assert_eq!(context.lock(&["requirements.txt"]).code, 0);
    let python = context.venv("venv");
    let run = install(&context, &python, &[]);
    assert_eq!(run.code, 0, "{}", run.stderr);
    assert_eq!(
        importable(&python, &["tinyproj", "depb"]),
        ["depb"],
        "the marker excludes tinyproj"
    );
}

/// `hashpin install -i INDEX ARGS...` without `--python`: for runs that must stop before any
/// interpreter or pip is looked for.
fn install_without_python(context: &TestContext, args: &[&str]) -> Run {
    let index = context.server.simple_url();
    let mut all = vec!["install", "-i", &index];
    all.extend_from_slice(args);
    context.run(&all)
}

#[test]
fn a_malformed_hook_table_is_an_input_error_naming_the_file() {
    let context = TestContext::new();
    context.write("requirements.txt", "tinyproj==1.0.0\n");
    // `[[hook]]` for `[[hooks]]`: a typo that must not silently drop a check.
    context.write("hashpin.toml", "[[hook]]\ncommand = [\"true\"]\n");
    let run = install_without_python(&context, &[]);
    assert_eq!(run.code, 2, "{}", run.stderr);
    for expected in [
        "invalid hashpin configuration in `./hashpin.toml`",
        "unknown field `hook`",
        "hint: expected",
    ] {
        assert!(
            run.stderr.contains(expected),
            "missing `{expected}` in:\n{}",
            run.stderr
        );
    }
    // Hooks are loaded before the index or pip is asked anything.
    assert_eq!(context.server.request_count(), 0);
    assert_eq!(context.read("requirements.txt"), "tinyproj==1.0.0\n");

    // Not UTF-8: the file was read, and what it holds is wrong, so input too.
    fs_err::write(context.path("hashpin.toml"), b"hook-timeout = 1 # \xff\n").unwrap();
    let run = install_without_python(&context, &[]);
    assert_eq!(run.code, 2, "{}", run.stderr);
    assert!(
        run.stderr
            .contains("cannot read hook configuration `./hashpin.toml`"),
        "{}",
        run.stderr
    );

    // A file that exists but cannot be read is operational trouble, not input: exit 4.
    fs_err::remove_file(context.path("hashpin.toml")).unwrap();
    fs_err::create_dir(context.path("hashpin.toml")).unwrap();
    let run = install_without_python(&context, &[]);
    assert_eq!(run.code, 4, "{}", run.stderr);
    assert!(
        run.stderr
            .contains("cannot read hook configuration `./hashpin.toml`"),
        "{}",
        run.stderr
    );
    assert_eq!(context.server.request_count(), 0);
}

#[test]
fn a_hook_value_that_does_not_split_is_an_input_error() {
    let context = TestContext::new();
    context.write("requirements.txt", "tinyproj==1.0.0\n");
    let run = install_without_python(&context, &["--hook", "python3 'unclosed"]);
    assert_eq!(run.code, 2, "{}", run.stderr);
    assert!(
        run.stderr
            .contains("invalid `--hook python3 'unclosed`: no closing quotation `'`"),
        "{}",
        run.stderr
    );
    assert_eq!(context.server.request_count(), 0);
}

// See: https://github.com/hashpin/hashpin/issues/7
#[test]
fn a_file_pip_chose_that_the_lockfile_does_not_record_is_refused() {
    let context = TestContext::new();
    let sdist = "tinyproj-1.0.0.tar.gz";
    let hash = format!("sha256:{}", context.server.sha256(sdist));
    // Only the sdist is recorded; pip resolves recorded projects from wheels only.
    context.write(
        "requirements.txt",
        &format!(
            "tinyproj==1.0.0 \\\n    --hash={hash}\n    # hashpin: {sdist} {hash} {}\n",
            context.server.file_url(sdist)
        ),
    );
    let locked = context.read("requirements.txt");
    let python = context.venv("venv");
    let run = install(&context, &python, &[]);
    assert_eq!(run.code, 1, "{}", run.stderr);
    insta::assert_snapshot!(run.stderr, @r"
    pip resolved 1 package
    error: `tinyproj-1.0.0-py3-none-any.whl` is not recorded for `tinyproj==1.0.0`, but 1 other file of it is
      requirement: tinyproj==1.0.0 (requirements.txt:1)
      url:         [INDEX]/files/tinyproj-1.0.0-py3-none-any.whl
      recorded:    sha256:69a25f6130fbe75b3c1c0aabddbed8a3b47df9f288022c9c27370d4d5d7f84ff  tinyproj-1.0.0.tar.gz
      observed:    sha256:579a70f4d94e0634fed025f489280c121ab96de425a53cda9af7ae4db6619ba4
    hint: pip chose it for this interpreter; review it, then record it with `hashpin lock --update tinyproj`
    --- a/requirements.txt
    +++ b/requirements.txt
    @@ -1,3 +1,5 @@
     tinyproj==1.0.0 \
    +    --hash=sha256:579a70f4d94e0634fed025f489280c121ab96de425a53cda9af7ae4db6619ba4 \
         --hash=sha256:69a25f6130fbe75b3c1c0aabddbed8a3b47df9f288022c9c27370d4d5d7f84ff
    +    # hashpin: tinyproj-1.0.0-py3-none-any.whl sha256:579a70f4d94e0634fed025f489280c121ab96de425a53cda9af7ae4db6619ba4 [INDEX]/files/tinyproj-1.0.0-py3-none-any.whl
         # hashpin: tinyproj-1.0.0.tar.gz sha256:69a25f6130fbe75b3c1c0aabddbed8a3b47df9f288022c9c27370d4d5d7f84ff [INDEX]/files/tinyproj-1.0.0.tar.gz
    refused: 1 artifact refused, 0 verified; nothing installed, the lockfile unchanged
    ");
    assert!(importable(&python, &["tinyproj"]).is_empty());
    assert_eq!(context.read("requirements.txt"), locked);
}

// See: https://github.com/hashpin/hashpin/issues/7
#[test]
fn a_misspelt_project_is_an_input_error_with_a_suggestion_as_in_lock() {
    let context = TestContext::new();
    context.write("requirements.txt", "tinyprj==1.0.0\n");
    let python = context.venv("venv");
    let run = install(&context, &python, &[]);
    assert_eq!(run.code, 2, "{}", run.stderr);
    assert!(
        run.stderr.contains(
            "error: requirements.txt:1: no files for `tinyprj==1.0.0` in `[INDEX]/simple/`\nhint: no release of `tinyprj` is listed there; did you mean `tinyproj`?"
        ),
        "{}",
        run.stderr
    );
    assert_eq!(context.read("requirements.txt"), "tinyprj==1.0.0\n");
}
