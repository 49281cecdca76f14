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
