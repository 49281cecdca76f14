//! Real pip, in a throwaway virtual environment, installs from the loopback index with
//! `--require-hashes -r` on the file hashpin wrote.

use std::process::Command;

use crate::harness::TestContext;

#[test]
fn pip_installs_the_locked_file_with_require_hashes() {
    let context = TestContext::new();
    context.write(
        "requirements.txt",
        "# app\ntinyproj==1.0.0  # core\ndepa==1.0.0\ndepb==1.2.0\nOther_Proj==2.0.0\nplatpkg==0.5.0\n",
    );
    let run = context.lock(&[]);
    assert_eq!(run.code, 0, "{}", run.stderr);

    let python = context.venv("venv");

    context.assert_pip_accepts(&python, "requirements.txt");
    let index = context.server.simple_url();
    let imported = Command::new(&python)
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
    let refused = context.pip(
        &python,
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
