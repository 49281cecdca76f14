//! The cooldown: files uploaded after `--exclude-newer` (or `exclude-newer-days` ago) are not
//! recorded; what is recorded already is judged as always.

use crate::harness::TestContext;

const WHEEL: &str = "tinyproj-1.0.0-py3-none-any.whl";
const SDIST: &str = "tinyproj-1.0.0.tar.gz";

#[test]
fn a_file_uploaded_after_the_cutoff_is_not_recorded_and_the_rest_is() {
    let context = TestContext::new();
    context
        .server
        .declare_upload_time(WHEEL, "2026-11-28T10:00:00.5Z");
    context
        .server
        .declare_upload_time(SDIST, "2020-01-01T00:00:00Z");
    context.write("requirements.txt", "tinyproj==1.0.0\n");
    let run = context.lock(&["--exclude-newer", "2026-01-01"]);
    assert_eq!(run.code, 0, "{}", run.stderr);
    assert!(
        run.stderr.contains(&format!(
            "warning: requirements.txt:1: not recording `{WHEEL}`: uploaded 2026-11-28T10:00:00.5Z, after the cooldown cutoff 2026-01-01T00:00:00Z (`--exclude-newer 2026-01-01`)"
        )),
        "{}",
        run.stderr
    );
    let text = context.read("requirements.txt");
    assert!(text.contains(&format!("# hashpin: {SDIST} ")), "{text}");
    assert!(!text.contains(WHEEL), "{text}");
}

#[test]
fn a_release_uploaded_after_the_cutoff_is_refused_and_nothing_written() {
    let context = TestContext::new();
    context
        .server
        .declare_upload_time(WHEEL, "2026-11-28T10:00:00Z");
    context
        .server
        .declare_upload_time(SDIST, "2026-11-28T09:00:00Z");
    context.write("requirements.txt", "tinyproj==1.0.0\n");
    let run = context.lock(&["--exclude-newer", "2026-11-28T08:00:00Z"]);
    assert_eq!(run.code, 1, "{}", run.stderr);
    assert!(
        run.stderr.contains(
            "requirements.txt:1: tinyproj==1.0.0: every file was uploaded after the cooldown cutoff 2026-11-28T08:00:00Z"
        ),
        "{}",
        run.stderr
    );
    assert!(
        run.stderr.contains("the first at 2026-11-28T09:00:00Z"),
        "{}",
        run.stderr
    );
    assert_eq!(context.read("requirements.txt"), "tinyproj==1.0.0\n");
}

#[test]
fn recorded_files_are_judged_as_always_however_new() {
    let context = TestContext::new();
    context.write("requirements.txt", "tinyproj==1.0.0\n");
    assert_eq!(context.lock(&[]).code, 0);
    let locked = context.read("requirements.txt");
    context
        .server
        .declare_upload_time(WHEEL, "2026-11-28T10:00:00Z");
    context
        .server
        .declare_upload_time(SDIST, "2026-11-28T10:00:00Z");
    let run = context.lock(&["--exclude-newer", "2026-01-01", "--check"]);
    assert_eq!(run.code, 0, "{}", run.stderr);
    assert!(!run.stderr.contains("not recording"), "{}", run.stderr);
    assert_eq!(context.read("requirements.txt"), locked);
}

#[test]
fn exclude_newer_days_comes_from_the_users_configuration_and_the_stricter_cutoff_holds() {
    let context = TestContext::new();
    // Far in the future: after any cutoff of "some days ago".
    context
        .server
        .declare_upload_time(WHEEL, "2999-01-01T00:00:00Z");
    context
        .server
        .declare_upload_time(SDIST, "2000-01-01T00:00:00Z");
    context.write("hashpin.toml", "exclude-newer-days = 7\n");
    context.write("requirements.txt", "tinyproj==1.0.0\n");
    // A later `--exclude-newer` cannot loosen the configured cooldown.
    let run = context.lock(&["--exclude-newer", "2999-12-31"]);
    assert_eq!(run.code, 0, "{}", run.stderr);
    assert!(
        run.stderr.contains("(`exclude-newer-days = 7`)"),
        "{}",
        run.stderr
    );
    let text = context.read("requirements.txt");
    assert!(!text.contains(WHEEL) && text.contains(SDIST), "{text}");

    // A requirements file cannot set it: pip's parser does not know the option.
    context.write("hashpin.toml", "");
    context.write(
        "requirements.txt",
        "--exclude-newer 2000-01-01\ntinyproj==1.0.0\n",
    );
    let run = context.lock(&[]);
    assert_eq!(run.code, 2, "{}", run.stderr);

    context.write("hashpin.toml", "exclude-newer-days = \"a week\"\n");
    context.write("requirements.txt", "tinyproj==1.0.0\n");
    let run = context.lock(&[]);
    assert_eq!(run.code, 2, "{}", run.stderr);
    assert!(run.stderr.contains("hashpin.toml"), "{}", run.stderr);
    let run = context.lock(&["--exclude-newer", "soon"]);
    assert_eq!(run.code, 2, "{}", run.stderr);
}

#[test]
fn install_does_not_install_a_file_the_cooldown_holds_back() {
    let context = TestContext::new();
    context
        .server
        .declare_upload_time(WHEEL, "2999-01-01T00:00:00Z");
    context
        .server
        .declare_upload_time(SDIST, "2000-01-01T00:00:00Z");
    context.write("requirements.txt", "tinyproj==1.0.0\n");
    let python = context.venv("venv");
    let index = context.server.simple_url();
    let run = context.run(&[
        "install",
        "-r",
        "requirements.txt",
        "--python",
        python.to_str().unwrap(),
        "--exclude-newer",
        "2026-01-01",
        "--index-url",
        &index,
    ]);
    assert_ne!(run.code, 0, "{}", run.stderr);
    assert!(
        run.stderr.contains(&format!("pip chose `{WHEEL}`")),
        "{}",
        run.stderr
    );
    assert_eq!(context.read("requirements.txt"), "tinyproj==1.0.0\n");
    let shown = context.pip(&python, &["show", "tinyproj"]);
    assert!(!shown.status.success(), "installed anyway");
}
