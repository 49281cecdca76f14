//! Help, shell completions and man pages, all generated from the one command-line definition.

use std::process::Command;

use crate::harness::TestContext;

const COMMANDS: &[&str] = &[
    "hash",
    "parse",
    "lock",
    "check",
    "verify",
    "install",
    "serve",
    "completions",
    "man",
];

#[test]
fn every_commands_help_ends_with_an_example() {
    let context = TestContext::new();
    for command in COMMANDS {
        let run = context.run(&[command, "--help"]);
        assert_eq!(run.code, 0, "{command}: {}", run.stderr);
        let example = run
            .stdout
            .rfind("Example")
            .unwrap_or_else(|| panic!("`{command} --help` has no example:\n{}", run.stdout));
        assert!(
            run.stdout[example..].contains(&format!("hashpin {command}"))
                || run.stdout[example..].contains("hashpin "),
            "{command}: {}",
            &run.stdout[example..]
        );
    }
}

#[test]
fn bash_loads_the_completion_script_and_it_knows_every_command() {
    let context = TestContext::new();
    let run = context.run(&["completions", "bash"]);
    assert_eq!(run.code, 0, "{}", run.stderr);
    for command in COMMANDS {
        assert!(run.stdout.contains(command), "{command} missing");
    }
    context.write("hashpin.bash", &run.stdout);
    // bash sources it and registers the completion; asking it to complete `hashpin lo`
    // offers `lock`.
    let script = r#"
source ./hashpin.bash
complete -p hashpin >/dev/null || exit 3
COMP_WORDS=(hashpin lo); COMP_CWORD=1; COMP_LINE="hashpin lo"; COMP_POINT=${#COMP_LINE}
_hashpin hashpin lo hashpin
printf '%s\n' "${COMPREPLY[@]}"
"#;
    let output = Command::new("bash")
        .args(["-c", script])
        .current_dir(context.temp.path())
        .output()
        .unwrap();
    let offered = String::from_utf8_lossy(&output.stdout);
    assert!(
        output.status.success(),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    assert_eq!(offered.trim(), "lock", "{offered}");

    for shell in ["zsh", "fish", "powershell"] {
        let run = context.run(&["completions", shell]);
        assert_eq!(run.code, 0, "{shell}: {}", run.stderr);
        assert!(run.stdout.contains("serve"), "{shell}");
    }
    let run = context.run(&["completions", "tcsh"]);
    assert_eq!(run.code, 2, "{}", run.stderr);
}

#[test]
fn man_pages_cover_every_command_and_option() {
    let context = TestContext::new();
    let run = context.run(&["man"]);
    assert_eq!(run.code, 0, "{}", run.stderr);
    assert!(run.stdout.starts_with(".ie"), "roff: {}", &run.stdout[..40]);
    assert!(run.stdout.contains(".TH hashpin 1"), "{}", run.stdout);
    let run = context.run(&["man", "lock"]);
    assert!(run.stdout.contains(".TH hashpin-lock 1"), "{}", run.stdout);
    for option in [
        "\\-\\-update",
        "\\-\\-resolver",
        "\\-\\-universal",
        "\\-\\-index\\-url",
    ] {
        assert!(run.stdout.contains(option), "{option} missing");
    }
    let run = context.run(&["man", "--out-dir", "man1"]);
    assert_eq!(run.code, 0, "{}", run.stderr);
    for command in COMMANDS {
        assert!(
            context.path(&format!("man1/hashpin-{command}.1")).is_file(),
            "{command}"
        );
    }
    assert!(context.path("man1/hashpin.1").is_file());
    let run = context.run(&["man", "nope"]);
    assert_eq!(run.code, 2);
    assert!(
        run.stderr.contains("hint: one of hash, parse, lock"),
        "{}",
        run.stderr
    );
}

#[test]
fn verbose_shows_every_request_with_its_timing() {
    let context = TestContext::new();
    context.write("requirements.txt", "tinyproj==1.0.0\n");
    let run = context.lock(&["-v"]);
    assert_eq!(run.code, 0, "{}", run.stderr);
    assert!(
        run.stderr
            .contains("GET [INDEX]/simple/tinyproj/ → 200 in "),
        "{}",
        run.stderr
    );
    assert!(
        run.stderr
            .contains("GET [INDEX]/files/tinyproj-1.0.0-py3-none-any.whl → 200 in "),
        "{}",
        run.stderr
    );
    assert!(
        run.stderr
            .contains("    body of [INDEX]/files/tinyproj-1.0.0.tar.gz: "),
        "{}",
        run.stderr
    );
    // Without it, none of that.
    context.write("requirements.txt", "tinyproj==1.0.0\n");
    let quiet = context.lock(&[]);
    assert!(!quiet.stderr.contains("GET "), "{}", quiet.stderr);
    let both = context.lock(&["-v", "-q"]);
    assert_eq!(both.code, 2, "{}", both.stderr);
}

#[test]
fn the_progress_bar_is_drawn_on_a_terminal_and_never_on_a_pipe() {
    let context = TestContext::new();
    context.write("requirements.txt", "tinyproj==1.0.0\n");
    let piped = context.lock(&[]);
    assert_eq!(piped.code, 0, "{}", piped.stderr);
    assert!(
        !piped.stderr.contains('\r') && !piped.stderr.contains('\x1b'),
        "{:?}",
        piped.stderr
    );

    // `script` gives hashpin a terminal; what it drew comes back in the typescript.
    context.write("requirements.txt", "tinyproj==1.0.0\n");
    let index = context.server.simple_url();
    let line = format!(
        "{} lock --index-url {index} requirements.txt",
        env!("CARGO_BIN_EXE_hashpin")
    );
    let mut command = std::process::Command::new("script");
    command
        .args(["-qec", &line, "/dev/null"])
        .current_dir(context.temp.path());
    for (name, value) in context.command().get_envs() {
        match value {
            Some(value) => command.env(name, value),
            None => command.env_remove(name),
        };
    }
    let output = command.output().unwrap();
    let drawn = String::from_utf8_lossy(&output.stdout);
    assert!(output.status.success(), "{drawn}");
    assert!(
        drawn.contains("artifacts"),
        "no progress bar drawn: {drawn:?}"
    );
    assert!(drawn.contains("locked `requirements.txt`"), "{drawn:?}");
}
