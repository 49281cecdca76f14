//! Bad input exits 2, names the file, line and column, and changes nothing.

use crate::harness::TestContext;

#[test]
fn malformed_lines_are_reported_with_a_caret() {
    let context = TestContext::new();
    let text = "ok==1.0\nflask==3.0 --hash=md5:d41d8cd98f00b204e9800998ecf8427e\nbroken===\n";
    context.write("requirements.txt", text);
    let run = context.lock(&[]);
    assert_eq!(run.code, 2, "{}", run.stderr);
    insta::assert_snapshot!(run.snapshot(), @"
    exit code: 2
    ----- stdout -----
    ----- stderr -----
    error: unsupported hash algorithm `md5` (expected `sha256`, `sha384` or `sha512`)
     --> requirements.txt:2:19
      |
    2 | flask==3.0 --hash=md5:d41d8cd98f00b204e9800998ecf8427e
      |                   ^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^

    error: invalid requirement: Unexpected end of version specifier, expected version
     --> requirements.txt:3:7
      |
    3 | broken===
      |       ^^^
    ");
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
    insta::assert_snapshot!(run.stdout, @"
    Record the hashes and source URLs of every artifact of each pinned requirement.

    Every file of each pinned release (`name==version`) is downloaded and hashed, and its hash written
    as a `--hash=` option with a `# hashpin:` comment naming the file and URL. Hashes already recorded
    are checked again and never replaced silently: a recorded file whose bytes changed refuses the lock
    (exit 1) and leaves the file as it was.

    Usage: hashpin lock [OPTIONS] [FILE]...

    Arguments:
      [FILE]...
              Requirements files to lock (default: `requirements.txt`). Files they include with `-r` are
              locked in place too

    Options:
          --update [<NAME>...]
              Re-record deliberately: replace recorded hashes with what the index serves now, for the
              named projects, or for every project when no name is given

          --dry-run
              Print the diff lock would make, and write nothing

          --check
              Like `--dry-run`, but exit 1 if the file would change (for CI)

      -a, --algorithm <ALGORITHM>
              The algorithm for new hashes
              
              [default: sha256]
              [possible values: sha256, sha384, sha512]

          --resolve
              Resolve loose requirements (`requirements.in`) with uv or pip into a fully pinned and
              hashed lockfile, as `pip-compile --generate-hashes` does

      -o, --output <FILE>
              With `--resolve`: the lockfile to write (default: the input with `.in` replaced by `.txt`)

          --upgrade [<NAME>...]
              With `--resolve`: let the resolver pick new versions, for the named projects or all;
              without it, the pins already in the output are kept

          --python <PATH>
              With `--resolve`: the interpreter to resolve for (default: the active virtual
              environment's, else `python3`)

          --resolver <RESOLVER>
              With `--resolve`: who picks the versions: `uv` (`uv pip compile`; `HASHPIN_UV` or PATH),
              `pip`, or `auto`: uv when found, else pip. Either only picks: hashpin downloads and hashes
              every file itself

              Possible values:
              - auto: uv when found (`HASHPIN_UV`, else `uv` on PATH), else pip
              - pip:  `pip install --dry-run --report` with the target interpreter's pip
              - uv:   `uv pip compile`
              
              [env: HASHPIN_RESOLVER=pip]
              [default: auto]

          --universal
              With `--resolve` (uv): one lockfile for every platform and Python version, with markers
              where they differ; every wheel of each release is recorded

          --color <COLOR>
              When to color output

              Possible values:
              - auto:   On a terminal, unless `NO_COLOR` is set
              - always: Always
              - never:  Never
              
              [default: auto]

      -j, --jobs <JOBS>
              How many downloads to run at once (the largest start first)
              
              [env: HASHPIN_JOBS=]
              [default: 50]

          --no-cache
              Do not keep downloaded artifacts in the cache (`hashpin check` can then not show what
              changed inside a republished artifact)
              
              [env: HASHPIN_NO_CACHE=]

      -q, --quiet
              Print only warnings and errors

      -v, --verbose
              Show every request and download, with its timing

      -h, --help
              Print help (see a summary with '-h')

    Target options:
          --python-version <X.Y>
              Keep only wheels for this Python version (`3.11`); sdists are always kept

          --platform <TAG>
              Keep only wheels for these platform tags (`manylinux_2_17_x86_64`), or `any`

          --implementation <IMPL>
              Keep only wheels for this implementation (`cp`, `pp`)

          --exclude-newer <DATE>
              Do not record files uploaded after this date (`2026-11-01`) or time (RFC 3339), by the
              index's upload time; files already recorded are judged as always. Adds to
              `exclude-newer-days` in hashpin's configuration: the earlier cutoff holds

    Index options:
      -i, --index-url <URL>
              The primary simple-API index (default: `PIP_INDEX_URL`, pip.conf, else PyPI)

          --extra-index-url <URL>
              More indexes, searched as well

      -f, --find-links <PATH_OR_URL>
              A directory or HTML page of artifacts

          --no-index
              Ignore every index; use only `--find-links`

          --trusted-host <HOST>
              Allow plain http to this host (`host` or `host:port`)

          --cert <PATH>
              A PEM CA bundle to trust besides the system's

          --timeout <SECONDS>
              Network timeout in seconds (default 15)

          --retries <N>
              Retries after a connection error, a 5xx or a 429 (default 5; a refused connection is
              retried once, a TLS failure never)

          --max-artifact-size <SIZE>
              The most bytes one artifact may have: a larger download stops there and fails (default 16
              GiB; units `KiB`, `MiB`, `GiB`, `TiB`, or `KB`, `MB`, `GB`, `TB`)
              
              [env: HASHPIN_MAX_ARTIFACT_SIZE=]

    Examples:
        hashpin lock                                   # record every file of each pin
        hashpin lock --check                           # in CI: exit 1 if the file would change
        hashpin lock --update requests                 # re-record one project on purpose
        hashpin lock --resolve requirements.in         # resolve (uv or pip), then record

    Exit codes:
        0  success (warnings allowed)
        1  verification failure: a hash differs, an index lied about a digest, --check found changes
        2  usage or input error: bad flags, a malformed or unpinned requirements file
        3  verify: retry, this file of a locked release is not recorded; try another artifact
        4  operational error: network, index or I/O
      130  interrupted (Ctrl-C or SIGTERM): pip and hooks stopped, temporary files removed
    ");
}
