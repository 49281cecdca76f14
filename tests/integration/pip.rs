//! Real pip, in a throwaway virtual environment, installs from the loopback index with
//! `--require-hashes -r` on the file hashpin wrote.

use std::path::Path;
use std::process::Command;

use crate::harness::TestContext;

fn pip(venv: &Path, args: &[&str]) -> std::process::Output {
    let mut command = Command::new(venv.join("bin/python"));
    command.args(["-m", "pip"]).args(args);
    for variable in [
        "PIP_FIND_LINKS",
        "PIP_INDEX_URL",
        "PIP_EXTRA_INDEX_URL",
        "PIP_CERT",
        "PIP_NO_INDEX",
    ] {
        command.env_remove(variable);
    }
    command
        .env("PIP_CONFIG_FILE", "/dev/null")
        .env("PIP_DISABLE_PIP_VERSION_CHECK", "1")
        .env("PIP_NO_INPUT", "1")
        .output()
        .expect("pip runs")
}

#[test]
fn pip_installs_the_locked_file_with_require_hashes() {
    let context = TestContext::new();
    context.write(
        "requirements.txt",
        "# app\ntinyproj==1.0.0  # core\ndepa==1.0.0\ndepb==1.2.0\nOther_Proj==2.0.0\nplatpkg==0.5.0\n",
    );
    let run = context.lock(&[]);
    assert_eq!(run.code, 0, "{}", run.stderr);

    let venv = context.path("venv");
    let created = Command::new("python3")
        .args(["-m", "venv"])
        .arg(&venv)
        .output()
        .expect("python3 -m venv runs");
    assert!(created.status.success(), "{created:?}");

    let index = context.server.simple_url();
    let lockfile = context.path("requirements.txt");
    let install = pip(
        &venv,
        &[
            "install",
            "--require-hashes",
            "-i",
            &index,
            "-r",
            lockfile.to_str().unwrap(),
        ],
    );
    assert!(
        install.status.success(),
        "pip refused the lockfile:\n{}\n{}",
        String::from_utf8_lossy(&install.stdout),
        String::from_utf8_lossy(&install.stderr)
    );
    let imported = Command::new(venv.join("bin/python"))
        .args([
            "-c",
            "import tinyproj, depa, depb, other_proj, platpkg; print(tinyproj.__version__)",
        ])
        .output()
        .unwrap();
    assert_eq!(
        String::from_utf8_lossy(&imported.stdout).trim(),
        "1.0.0",
        "{imported:?}"
    );

    // The same file with every recorded hash altered is refused by pip: the pins are real.
    let text = context.read("requirements.txt");
    let all_wrong: String = text
        .lines()
        .map(|line| {
            if let Some(at) = line.find("--hash=sha256:") {
                let mut line = line.to_string();
                let digit = at + "--hash=sha256:".len();
                let flipped = if &line[digit..=digit] == "0" {
                    "1"
                } else {
                    "0"
                };
                line.replace_range(digit..=digit, flipped);
                line
            } else {
                line.to_string()
            }
        })
        .collect::<Vec<_>>()
        .join("\n");
    context.write("wrong.txt", &all_wrong);
    let wrong = context.path("wrong.txt");
    let refused = pip(
        &venv,
        &[
            "install",
            "--force-reinstall",
            "--require-hashes",
            "-i",
            &index,
            "-r",
            wrong.to_str().unwrap(),
        ],
    );
    assert!(!refused.status.success(), "pip accepted wrong hashes");
    assert!(
        String::from_utf8_lossy(&refused.stderr).contains("THESE PACKAGES DO NOT MATCH THE HASHES")
    );
}
