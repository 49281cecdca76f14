//! Bad input exits 2, names the file, line and column, and changes nothing.

use crate::harness::TestContext;

#[test]
fn malformed_lines_are_reported_with_a_caret() {
    let context = TestContext::new();
    let text = "ok==1.0\nflask==3.0 --hash=md5:d41d8cd98f00b204e9800998ecf8427e\nbroken===\n";
    context.write("requirements.txt", text);
    let run = context.lock(&[]);
    assert_eq!(run.code, 2, "{}", run.stderr);
    insta::assert_snapshot!("malformed", run.snapshot());
    assert_eq!(context.read("requirements.txt"), text);
}

#[test]
fn unpinned_requirements_are_named_by_line() {
    let context = TestContext::new();
    let text = "tinyproj==1.0.0\nflask>=3\n\nrequests\n";
    context.write("requirements.txt", text);
    let run = context.lock(&[]);
    assert_eq!(run.code, 2, "{}", run.stderr);
    assert!(
        run.stderr.contains("requirements.txt:2:1"),
        "{}",
        run.stderr
    );
    assert!(
        run.stderr.contains("requirements.txt:4:1"),
        "{}",
        run.stderr
    );
    assert!(
        run.stderr.contains("2 requirements are not pinned"),
        "{}",
        run.stderr
    );
    assert_eq!(context.read("requirements.txt"), text);
    assert_eq!(
        context.server.request_count(),
        0,
        "nothing is fetched for bad input"
    );
}

#[test]
fn include_cycles_and_missing_includes_point_at_the_include() {
    let context = TestContext::new();
    context.write("a.txt", "-r b.txt\n");
    context.write("b.txt", "x==1\n-r a.txt\n");
    let run = context.lock(&["a.txt"]);
    assert_eq!(run.code, 2, "{}", run.stderr);
    assert!(
        run.stderr
            .contains("include cycle: `a.txt` -> `b.txt` -> `a.txt`"),
        "{}",
        run.stderr
    );
    assert!(run.stderr.contains("b.txt:2:1"), "{}", run.stderr);

    context.write("c.txt", "x==1\n-r missing.txt\n");
    let run = context.lock(&["c.txt"]);
    assert_eq!(run.code, 2, "{}", run.stderr);
    assert!(run.stderr.contains("c.txt:2:1"), "{}", run.stderr);
    assert!(run.stderr.contains("missing.txt"), "{}", run.stderr);
}

#[test]
fn a_missing_default_file_says_what_to_do() {
    let context = TestContext::new();
    let run = context.lock(&[]);
    assert_eq!(run.code, 2, "{}", run.stderr);
    assert!(
        run.stderr.contains("no `requirements.txt`"),
        "{}",
        run.stderr
    );
    assert!(run.stderr.contains("hint:"), "{}", run.stderr);
}

#[test]
fn help_lists_the_exit_codes() {
    let context = TestContext::new();
    let run = context.run(&["lock", "--help"]);
    assert_eq!(run.code, 0);
    insta::assert_snapshot!("lock_help", run.stdout);
}
