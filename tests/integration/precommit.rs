//! The repository's `.pre-commit-hooks.yaml`, run by real pre-commit (from PyPI) against a
//! throwaway git repository.

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

use crate::harness::{TestContext, hermetic, republished_wheel, tool_venv};

const PRE_COMMIT_VERSION: &str = "4.7.0";

fn hooks_file() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join(".pre-commit-hooks.yaml")
}

/// Each hook's lines but its `id`, `name`, `description` and `language`, by id.
fn hooks() -> Vec<(String, Vec<String>, String)> {
    let text = fs_err::read_to_string(hooks_file()).unwrap();
    let mut hooks: Vec<(String, Vec<String>, String)> = Vec::new();
    for line in text.lines().filter(|line| !line.starts_with('#')) {
        if let Some(id) = line.strip_prefix("- id: ") {
            hooks.push((id.to_string(), Vec::new(), String::new()));
        } else if let Some((_, rest, language)) = hooks.last_mut() {
            let line = line.trim();
            if let Some(value) = line.strip_prefix("language: ") {
                *language = value.to_string();
            } else if !line.starts_with("name:") && !line.starts_with("description:") {
                rest.push(line.to_string());
            }
        }
    }
    hooks
}

#[test]
fn the_system_variants_run_exactly_what_the_rust_hooks_run() {
    let hooks = hooks();
    for id in ["hashpin-lock-check", "hashpin-check"] {
        let built = hooks.iter().find(|(hook, ..)| hook == id).unwrap();
        let system = hooks
            .iter()
            .find(|(hook, ..)| *hook == format!("{id}-system"))
            .unwrap();
        assert_eq!(built.2, "rust");
        assert_eq!(system.2, "system");
        assert_eq!(
            built.1, system.1,
            "{id}: entry, files and options must match"
        );
    }
}

fn git(dir: &Path, args: &[&str]) {
    let output = Command::new("git")
        .args([
            "-c",
            "user.name=t",
            "-c",
            "user.email=t@example.invalid",
            "-c",
            "commit.gpgsign=false",
        ])
        .args(args)
        .current_dir(dir)
        .output()
        .unwrap();
    assert!(
        output.status.success(),
        "git {args:?}: {}",
        String::from_utf8_lossy(&output.stderr)
    );
}

fn pre_commit(context: &TestContext, project: &Path) -> Output {
    let venv = tool_venv(
        &format!("tool-pre-commit-{PRE_COMMIT_VERSION}"),
        &[&format!("pre-commit=={PRE_COMMIT_VERSION}")],
    );
    let bin = Path::new(env!("CARGO_BIN_EXE_hashpin")).parent().unwrap();
    let path = format!(
        "{}:{}",
        bin.display(),
        std::env::var("PATH").unwrap_or_default()
    );
    let mut command = Command::new(venv.join("bin/pre-commit"));
    command
        .args(["run", "--all-files", "--color", "never"])
        .current_dir(project);
    hermetic(&mut command);
    for (name, value) in context.command().get_envs() {
        if let Some(value) = value {
            command.env(name, value);
        }
    }
    command
        .env("PATH", path)
        .env("PRE_COMMIT_HOME", context.path("pre-commit-home"))
        .env("PIP_INDEX_URL", context.server.simple_url());
    command.output().unwrap()
}

#[test]
fn pre_commit_runs_the_hooks_on_requirements_files() {
    let context = TestContext::new();
    // The hook repository: this repository's hooks file, at a commit.
    let hooks = context.path("hooks");
    fs_err::create_dir_all(&hooks).unwrap();
    fs_err::copy(hooks_file(), hooks.join(".pre-commit-hooks.yaml")).unwrap();
    git(&hooks, &["init", "-q"]);
    git(&hooks, &["add", "."]);
    git(&hooks, &["commit", "-qm", "hooks"]);
    let rev = String::from_utf8(
        Command::new("git")
            .args(["rev-parse", "HEAD"])
            .current_dir(&hooks)
            .output()
            .unwrap()
            .stdout,
    )
    .unwrap();

    // The project: a locked requirements file.
    let project = context.path("project");
    fs_err::create_dir_all(&project).unwrap();
    git(&project, &["init", "-q"]);
    context.write("project/requirements.txt", "tinyproj==1.0.0\n");
    let locked = context.run(&[
        "lock",
        "--index-url",
        &context.server.simple_url(),
        "project/requirements.txt",
    ]);
    assert_eq!(locked.code, 0, "{}", locked.stderr);
    context.write(
        "project/.pre-commit-config.yaml",
        &format!(
            "repos:\n- repo: {}\n  rev: {}\n  hooks:\n  - id: hashpin-lock-check-system\n  - id: hashpin-check-system\n",
            hooks.display(),
            rev.trim()
        ),
    );
    git(&project, &["add", "."]);

    let run = pre_commit(&context, &project);
    let said = String::from_utf8_lossy(&run.stdout);
    assert!(
        run.status.success(),
        "{said}\n{}",
        String::from_utf8_lossy(&run.stderr)
    );
    assert_eq!(said.matches("Passed").count(), 2, "{said}");

    // A pin added without locking: lock --check fails and shows what lock would write.
    context.write(
        "project/requirements.txt",
        &format!("{}depb==1.0.0\n", context.read("project/requirements.txt")),
    );
    git(&project, &["add", "."]);
    let run = pre_commit(&context, &project);
    let said = String::from_utf8_lossy(&run.stdout);
    assert!(!run.status.success(), "{said}");
    assert!(
        said.contains("hashpin lock --check") && said.contains("Failed"),
        "{said}"
    );
    assert!(said.contains("+depb==1.0.0"), "{said}");

    // Locked again, then the index republishes a recorded file: the audit hook fails.
    let relock = context.run(&[
        "lock",
        "--index-url",
        &context.server.simple_url(),
        "project/requirements.txt",
    ]);
    assert_eq!(relock.code, 0, "{}", relock.stderr);
    git(&project, &["add", "."]);
    assert!(pre_commit(&context, &project).status.success());
    context
        .server
        .replace_bytes("tinyproj-1.0.0-py3-none-any.whl", republished_wheel());
    let run = pre_commit(&context, &project);
    let said = String::from_utf8_lossy(&run.stdout);
    assert!(!run.status.success(), "{said}");
    assert!(said.contains("changed"), "{said}");
}
