//! Requirements files read exactly as pip reads them: each disagreement issue 9 found, with
//! what pip 26.3 reads (checked by running it on the same input).
//! See: https://github.com/hashpin/hashpin/issues/9

use crate::harness::{Run, TestContext};

/// `hashpin parse --format json` of `text`, as a JSON value.
fn parse(context: &TestContext, text: &str) -> (Run, serde_json::Value) {
    context.write("requirements.txt", text);
    parse_file(context)
}

/// `hashpin parse --format json` of the `requirements.txt` already written.
fn parse_file(context: &TestContext) -> (Run, serde_json::Value) {
    let run = context.run(&["parse", "--format", "json"]);
    let document = serde_json::from_str(&run.stdout).unwrap_or(serde_json::Value::Null);
    (run, document)
}

#[test]
fn a_comment_line_ending_in_a_backslash_ends_the_continuation_as_in_pip() {
    let context = TestContext::new();
    // pip: `req1==1.0` and `req2==1.0`; a comment line never continues.
    let text = "tinyproj==1.0.0 \\\n# comment \\\ndepb==1.2.0\n";
    let (run, document) = parse(&context, text);
    assert_eq!(run.code, 0, "{}", run.stderr);
    let names: Vec<&str> = document["requirements"]
        .as_array()
        .unwrap()
        .iter()
        .map(|requirement| requirement["name"].as_str().unwrap())
        .collect();
    assert_eq!(names, ["tinyproj", "depb"]);
    // And lock takes it: nothing is swallowed, so nothing is refused.
    let run = context.lock(&[]);
    assert_eq!(run.code, 0, "{}", run.stderr);
    // A trailing comment ending in `\` with only a blank line after it swallows nothing.
    context.write(
        "requirements.txt",
        "tinyproj==1.0.0 # note \\\n\ndepb==1.2.0\n",
    );
    assert_eq!(context.lock(&[]).code, 0);
    // One that swallows a requirement is still refused: pip would never read it.
    context.write(
        "requirements.txt",
        "tinyproj==1.0.0 # note \\\ndepb==1.2.0\n",
    );
    let run = context.lock(&[]);
    assert_eq!(run.code, 2, "{}", run.stderr);
}

#[test]
fn markers_whose_keywords_touch_a_parenthesis_are_read() {
    let context = TestContext::new();
    // Each marker as pip 26.3 prints it (`str(ireq.markers)`), by packaging's rules.
    for (text, marker) in [
        (
            "a==1 ; sys_platform != 'linux' and(os_name == 'linux')\n",
            r#"sys_platform != "linux" and os_name == "linux""#,
        ),
        (
            "a==1 ; (os_name == 'nt')or(os_name == 'posix')\n",
            r#"os_name == "nt" or os_name == "posix""#,
        ),
    ] {
        let (run, document) = parse(&context, text);
        assert_eq!(run.code, 0, "{text}: {}", run.stderr);
        assert_eq!(document["requirements"][0]["marker"], marker, "{text}");
    }
}

#[test]
fn arbitrary_equality_takes_any_string_and_pins_it() {
    let context = TestContext::new();
    let (run, document) = parse(&context, "name===arbitrarystring\n");
    assert_eq!(run.code, 0, "{}", run.stderr);
    assert_eq!(
        document["requirements"][0]["specifier"],
        "===arbitrarystring"
    );
}

#[test]
fn the_marker_is_split_off_at_the_first_semicolon_as_pip_does() {
    let context = TestContext::new();
    // pip: a URL and a marker, though PEP 508 alone calls the URL's end ambiguous.
    let (run, document) = parse(&context, "name @ https://x.example/; extra == \"y\"\n");
    assert_eq!(run.code, 0, "{}", run.stderr);
    assert_eq!(document["requirements"][0]["url"], "https://x.example/");
    assert_eq!(document["requirements"][0]["marker"], r#"extra == "y""#);
    // pip: "Invalid requirement: 'name@https://host/pkg': Expected a marker variable or quoted
    // string"; hashpin says the same in its words, and where.
    let (run, _) = parse(&context, "name@https://host/pkg;v=1.1/?q#frag\n");
    assert_eq!(run.code, 2, "{}", run.stderr);
    let run = context.lock(&[]);
    insta::assert_snapshot!(run.snapshot(), @"
    exit code: 2
    ----- stdout -----
    ----- stderr -----
    error: invalid marker: expected a marker variable (such as `python_version`) or a quoted string
    hint: pip reads everything after the first `;` as a marker; write a `;` in a URL as `%3B`
     --> requirements.txt:1:23
      |
    1 | name@https://host/pkg;v=1.1/?q#frag
      |                       ^
    ");
}

#[test]
fn the_same_pin_twice_is_one_pin() {
    let context = TestContext::new();
    context.write("requirements.txt", "tinyproj == 1.0.0 , == 1.0.0\n");
    let run = context.lock(&[]);
    assert_eq!(run.code, 0, "{}", run.stderr);
    assert!(context.read("requirements.txt").contains("--hash=sha256:"));
}

#[test]
fn long_options_may_be_abbreviated_as_optparse_allows() {
    let context = TestContext::new();
    let hash = format!("sha256:{}", "a".repeat(64));
    let (run, document) = parse(
        &context,
        &format!("--extra-index https://x.example/simple/\nsix==1.16.0 --ha={hash} --has {hash}\n"),
    );
    assert_eq!(run.code, 0, "{}", run.stderr);
    assert_eq!(document["options"][0]["option"], "--extra-index-url");
    assert_eq!(document["requirements"][0]["hashes"][0], hash);
    // An abbreviation that fits several options is refused, naming them, as optparse does.
    let (run, _) = parse(&context, "--pr\nsix==1.16.0\n");
    assert_eq!(run.code, 2, "{}", run.stderr);
    assert!(
        run.stdout
            .contains("ambiguous option `--pr`: it could be `--pre`, `--prefer-binary`"),
        "{}",
        run.stdout
    );
    // pip 26's own spellings: `-C`, `--pypi-url`.
    let (run, document) = parse(
        &context,
        "--pypi-url https://y.example/simple/\nsix==1.16.0 -C key=value\n",
    );
    assert_eq!(run.code, 0, "{}", run.stderr);
    assert_eq!(document["options"][0]["option"], "--index-url");
    assert_eq!(document["requirements"][0]["options"][0], "-C key=value");
}

#[test]
fn urls_pip_takes_are_read_even_where_pep508_would_not() {
    let context = TestContext::new();
    for (text, name, url) in [
        (
            "name @ git+ssh://git@host.example:org/repo.git\n",
            "name",
            "git+ssh://****@host.example:org/repo.git",
        ),
        (
            "name[x] @ ssh://us%20er:pa%20ss@host.example/repo.tar.gz\n",
            "name",
            "ssh://us%20er:****@host.example/repo.tar.gz",
        ),
    ] {
        let (run, document) = parse(&context, text);
        assert_eq!(run.code, 0, "{text}: {}", run.stderr);
        assert_eq!(document["requirements"][0]["name"], name, "{text}");
        assert_eq!(document["requirements"][0]["url"], url, "{text}");
    }
    // A VCS URL is read, then not locked, with the reason.
    context.write(
        "requirements.txt",
        "name @ git+ssh://git@host.example:org/repo.git\ntinyproj==1.0.0\n",
    );
    let run = context.lock(&[]);
    assert_eq!(run.code, 0, "{}", run.stderr);
    assert!(run.stderr.contains("is a VCS checkout"), "{}", run.stderr);
    // A local wheel path with extras is a path to pip (its `strip_extras`): the extras are
    // split off, and they do not make it a name.
    let (run, document) = parse(&context, "./pkg-1.0-py3-none-any.whl[extra]\n");
    assert_eq!(run.code, 0, "{}", run.stderr);
    assert_eq!(
        document["requirements"][0]["url"],
        "./pkg-1.0-py3-none-any.whl"
    );
    assert_eq!(
        document["requirements"][0]["extras"],
        serde_json::json!(["extra"])
    );
}

/// The file's text in UTF-16 LE, byte-order mark first.
fn utf16le(text: &str) -> Vec<u8> {
    let mut bytes = vec![0xff, 0xfe];
    bytes.extend(text.encode_utf16().flat_map(u16::to_le_bytes));
    bytes
}

#[test]
fn files_pip_decodes_are_read_and_written_back_in_their_own_encoding() {
    let context = TestContext::new();
    let python = context.venv("venv");

    // A byte-order mark: pip decodes UTF-16; so does hashpin, and the lock stays UTF-16.
    let path = context.path("requirements.txt");
    fs_err::write(&path, utf16le("# zürich team\ntinyproj==1.0.0\n")).unwrap();
    let (run, document) = parse_file(&context);
    assert_eq!(run.code, 0, "{}", run.stderr);
    assert_eq!(document["files"][0]["encoding"], "UTF-16 LE");
    assert_eq!(document["requirements"][0]["name"], "tinyproj");
    let run = context.lock(&[]);
    assert_eq!(run.code, 0, "{}", run.stderr);
    let bytes = fs_err::read(&path).unwrap();
    assert_eq!(&bytes[..2], [0xff, 0xfe], "the mark is kept");
    let units: Vec<u16> = bytes[2..]
        .chunks(2)
        .map(|pair| u16::from_le_bytes([pair[0], pair[1]]))
        .collect();
    let text = String::from_utf16(&units).expect("still UTF-16 LE");
    assert!(
        text.starts_with("# zürich team\ntinyproj==1.0.0 \\\n"),
        "{text}"
    );
    assert!(text.contains("--hash=sha256:"), "{text}");
    context.assert_pip_accepts(&python, "requirements.txt");
    let index = context.server.simple_url();
    let run = context.run(&["check", "--index-url", &index]);
    assert_eq!(run.code, 0, "{}", run.stderr);

    // A PEP 263 line: Latin-1 in, Latin-1 out, the `é` still one byte.
    let latin1: Vec<u8> = "# -*- coding: latin-1 -*-\n# café\ntinyproj==1.0.0\n"
        .chars()
        .map(|character| u8::try_from(u32::from(character)).unwrap())
        .collect();
    fs_err::write(&path, &latin1).unwrap();
    assert_eq!(parse_file(&context).1["files"][0]["encoding"], "Latin-1");
    let run = context.lock(&[]);
    assert_eq!(run.code, 0, "{}", run.stderr);
    let bytes = fs_err::read(&path).unwrap();
    assert!(bytes.starts_with(b"# -*- coding: latin-1 -*-\n# caf\xe9\ntinyproj==1.0.0"));
    assert!(String::from_utf8(bytes).is_err(), "not turned into UTF-8");
    context.assert_pip_accepts(&python, "requirements.txt");

    // Bytes that are no encoding hashpin reads are refused by name, and left alone.
    for (bytes, said) in [
        (&b"# caf\xe9\ntinyproj==1.0.0\n"[..], "not UTF-8 text"),
        (
            &b"# coding: cp1252\n# caf\xe9\ntinyproj==1.0.0\n"[..],
            "declares `coding: cp1252`",
        ),
    ] {
        fs_err::write(&path, bytes).unwrap();
        let run = context.lock(&[]);
        assert_eq!(run.code, 2, "{}", run.stderr);
        assert!(run.stderr.contains("requirements.txt"), "{}", run.stderr);
        assert!(run.stderr.contains(said), "{}", run.stderr);
        assert_eq!(fs_err::read(&path).unwrap(), bytes);
    }
}

#[test]
fn each_entry_keeps_its_own_line_break_in_a_file_that_mixes_them() {
    let context = TestContext::new();
    // pip splits lines with `str.splitlines`: `\r\n`, `\n` and a lone `\r` all end a line.
    let text =
        "# windows\r\ntinyproj==1.0.0\r\n# unix\ndepb==1.2.0\n# old mac\rother-proj==2.0.0\r";
    context.write("requirements.txt", text);
    let run = context.lock(&[]);
    assert_eq!(run.code, 0, "{}", run.stderr);
    let locked = context.read("requirements.txt");
    let blocks: Vec<&str> = ["tinyproj", "depb", "other-proj"]
        .iter()
        .map(|name| {
            let start = locked.find(&format!("{name}==")).unwrap();
            let end = locked[start..]
                .find(" # ")
                .or_else(|| locked[start..].find("\n#"))
                .map_or(locked.len(), |offset| start + offset);
            &locked[start..end]
        })
        .collect();
    assert!(
        blocks[0].contains(" \\\r\n    --hash=sha256:"),
        "{locked:?}"
    );
    assert!(blocks[1].contains(" \\\n    --hash=sha256:"), "{locked:?}");
    assert!(!blocks[1].contains('\r'), "{locked:?}");
    assert!(blocks[2].contains(" \\\r    --hash=sha256:"), "{locked:?}");
    assert!(!blocks[2].contains('\n'), "{locked:?}");
    // Every line the user wrote is still there with the break it had.
    for kept in ["# windows\r\n", "# unix\n", "# old mac\r"] {
        assert!(locked.contains(kept), "{kept:?} lost from {locked:?}");
    }
    // pip reads the same three requirements, each with its hashes.
    let python = context.venv("venv");
    context.assert_pip_accepts(&python, "requirements.txt");
    let (run, document) = parse_file(&context);
    assert_eq!(run.code, 0, "{}", run.stderr);
    let hashed: Vec<usize> = document["requirements"]
        .as_array()
        .unwrap()
        .iter()
        .map(|requirement| requirement["hashes"].as_array().unwrap().len())
        .collect();
    assert_eq!(hashed.len(), 3);
    assert!(hashed.iter().all(|count| *count > 0), "{hashed:?}");
}

#[test]
fn markers_are_read_and_handed_to_pip_as_packaging_reads_them() {
    let context = TestContext::new();
    // What pip 26.3 prints for each (`str(ireq.markers)`); pep508_rs would drop the first
    // two, swap the third's sides and refuse the last three.
    for (text, marker) in [
        (
            "a==1 ; '2.7' in python_version\n",
            r#""2.7" in python_version"#,
        ),
        (
            "a==1 ; python_version >= 'dog' or extra == 'Foo_Bar'\n",
            r#"python_version >= "dog" or extra == "foo-bar""#,
        ),
        (
            "a==1 ; '1.0' != platform_release\n",
            r#""1.0" != platform_release"#,
        ),
        (
            "a==1 ; python_version === '3.11'\n",
            r#"python_version === "3.11""#,
        ),
        ("a==1 ; 'Dev' in extras\n", r#""dev" in extras"#),
        (
            "a==1 ; os.name == 'nt' and ((python_implementation == 'PyPy'))\n",
            r#"os_name == "nt" and platform_python_implementation == "PyPy""#,
        ),
        (
            "https://x.example/a-1.0-py3-none-any.whl; python_version > '3'\n",
            r#"python_version > "3""#,
        ),
    ] {
        let (run, document) = parse(&context, text);
        assert_eq!(run.code, 0, "{text}: {}", run.stderr);
        assert_eq!(document["requirements"][0]["marker"], marker, "{text}");
    }
    // A bare URL keeps its marker apart from its URL, as pip does.
    let (_, document) = parse(
        &context,
        "https://x.example/a-1.0-py3-none-any.whl; python_version > '3'\n",
    );
    assert_eq!(
        document["requirements"][0]["url"],
        "https://x.example/a-1.0-py3-none-any.whl"
    );
    // What packaging refuses, hashpin refuses, at the marker.
    for text in [
        "a==1 ; os_name == 'C:\\'\n",
        "a==1 ; python_versions < '3'\n",
        "a==1 ; os_name notin 'posix'\n",
    ] {
        let (run, document) = parse(&context, text);
        assert_eq!(run.code, 2, "{text}: {}", run.stdout);
        let error = &document["errors"][0];
        assert!(
            error["message"]
                .as_str()
                .unwrap()
                .contains("invalid marker"),
            "{error}"
        );
        assert_eq!(error["line"], 1);
    }
}

#[test]
fn install_hands_pip_the_marker_it_was_given() {
    let context = TestContext::new();
    // A direct wheel whose marker pep508_rs cannot represent: pip must still skip it here.
    let wheel = crate::harness::testdata_artifact("tinyproj", "tinyproj-1.0.0-py3-none-any.whl");
    let url = url::Url::from_file_path(&wheel).unwrap();
    context.write(
        "requirements.txt",
        &format!("tinyproj @ {url} ; '0' in python_version and os_name == 'no-such-os'\n"),
    );
    let run = context.lock(&[]);
    assert_eq!(run.code, 0, "{}", run.stderr);
    let python = context.venv("venv");
    let index = context.server.simple_url();
    let run = context.run(&[
        "install",
        "--python",
        python.to_str().unwrap(),
        "-i",
        &index,
    ]);
    assert_eq!(run.code, 0, "{}", run.stderr);
    let listed = context.pip(&python, &["list", "--format", "freeze"]);
    let listed = String::from_utf8_lossy(&listed.stdout);
    assert!(!listed.contains("tinyproj"), "{listed}");
}

#[test]
fn requirement_lines_read_as_pip_reads_their_edges() {
    let context = TestContext::new();
    // `name()`: an empty specifier in parentheses is no specifier (pip: `name`).
    let (run, document) = parse(&context, "tinyproj()\n");
    assert_eq!(run.code, 0, "{}", run.stderr);
    assert_eq!(document["requirements"][0]["name"], "tinyproj");
    assert_eq!(
        document["requirements"][0]["specifier"],
        serde_json::Value::Null
    );
    // Global options on a requirement line are ignored by pip; only `-C` applies to it.
    let (run, document) = parse(
        &context,
        "tinyproj==1.0.0 --pre -C key=value --index-url https://user:secret@x.example/\n",
    );
    assert_eq!(run.code, 0, "{}", run.stderr);
    let requirement = &document["requirements"][0];
    assert_eq!(requirement["options"], serde_json::json!(["-C key=value"]));
    let ignored = requirement["ignored_options"].as_array().unwrap();
    assert_eq!(ignored.len(), 2, "{requirement}");
    assert_eq!(ignored[0], "--pre");
    assert!(!run.stdout.contains("secret"), "{}", run.stdout);
    // A wheel whose filename pip cannot read (`InvalidWheelFilename`) is refused at its line.
    for text in [
        "./invalid.whl\n",
        "https://x.example/dist/invalid-1.0.whl\n",
    ] {
        let (run, document) = parse(&context, text);
        assert_eq!(run.code, 2, "{text}: {}", run.stdout);
        let message = document["errors"][0]["message"].as_str().unwrap();
        assert!(message.contains("invalid wheel filename"), "{message}");
    }
    let (run, _) = parse(&context, "./tinyproj-1.0.0-py3-none-any.whl\n");
    assert_eq!(run.code, 0, "{}", run.stderr);
}

#[test]
fn options_hashpin_does_not_act_on_keep_their_values_and_pips_choices() {
    let context = TestContext::new();
    let (run, document) = parse(
        &context,
        "--use-feature=fast-deps\n--all-releases :all:\n--only-final pkg1,pkg2\n",
    );
    assert_eq!(run.code, 0, "{}", run.stderr);
    let options: Vec<(String, String)> = document["options"]
        .as_array()
        .unwrap()
        .iter()
        .map(|option| {
            (
                option["option"].as_str().unwrap().to_string(),
                option["value"].as_str().unwrap_or_default().to_string(),
            )
        })
        .collect();
    assert_eq!(
        options,
        [
            ("--use-feature".to_string(), "fast-deps".to_string()),
            ("--all-releases".to_string(), ":all:".to_string()),
            ("--only-final".to_string(), "pkg1,pkg2".to_string()),
        ]
    );
    // pip: "option --use-feature: invalid choice: 'resolvelib'".
    let (run, document) = parse(&context, "--use-feature=resolvelib\n");
    assert_eq!(run.code, 2, "{}", run.stdout);
    let message = document["errors"][0]["message"].as_str().unwrap();
    assert!(
        message.contains("unknown feature `resolvelib`"),
        "{message}"
    );
    // Extras after a wheel path, a space between them: pip reads a path with extras.
    let (run, document) = parse(&context, "./tinyproj-1.0.0-py3-none-any.whl [ext]\n");
    assert_eq!(run.code, 0, "{}", run.stdout);
    assert_eq!(
        document["requirements"][0]["extras"],
        serde_json::json!(["ext"])
    );
    assert_eq!(
        document["requirements"][0]["url"],
        "./tinyproj-1.0.0-py3-none-any.whl"
    );
}

#[test]
fn what_pip_refuses_while_reading_is_refused_at_its_line() {
    let context = TestContext::new();
    for (text, expected) in [
        // pip opens only the first file of a `-r` line and ignores the rest of it.
        ("-r a.txt --pre\n", "`--pre` shares a line with `-r`/`-c`"),
        (
            "-r a.txt -c b.txt\n",
            "`--constraint` shares a line with `-r`/`-c`",
        ),
        // pip's `Link`: InvalidEggFragment.
        (
            "git+https://x.example/repo.git#egg=bar#note\n",
            "invalid `#egg=` fragment `bar#note`",
        ),
        (
            "name @ https://x.example/a.tar.gz#egg=a+b\n",
            "invalid `#egg=` fragment",
        ),
        // pip's `url_to_path`: "non-local file URIs are not supported on this platform".
        (
            "name @ file://server/share/x-1.0.tar.gz\n",
            "`file:` URL on host `server`",
        ),
        ("file://./x-1.0.tar.gz\n", "`file:` URL on host `.`"),
        // packaging's `parse_wheel_filename`, which pip asks.
        ("./a__b-1.0-py3-none-any.whl\n", "invalid project name"),
        (
            " \u{feff}simple-0.1-py3-none-any.whl\n",
            "invalid project name",
        ),
        ("./simple-x.y-py3-none-any.whl\n", "invalid version"),
        (
            "./simple-1.0-b1-py3-none-any.whl\n",
            "a build tag starts with a digit",
        ),
        // pip joins `\` at the end, strips the line, and shlex finds a `\` escaping nothing.
        (
            "--index-url=https://x.example/\\ \\\n",
            "a trailing backslash escapes nothing",
        ),
        // `\w` takes `ü`, but pip then reads `zürich==1.0`, which is no PEP 508 name.
        ("./zürich-1.0-py3-none-any.whl\n", "invalid project name"),
    ] {
        context.write("a.txt", "tinyproj==1.0.0\n");
        context.write("b.txt", "tinyproj==1.0.0\n");
        let (run, document) = parse(&context, text);
        assert_eq!(run.code, 2, "{text:?}: {}", run.stdout);
        let error = &document["errors"][0];
        assert_eq!(error["line"], 1, "{text:?}");
        let message = error["message"].as_str().unwrap();
        assert!(message.contains(expected), "{text:?}: {message}");
    }
    // What pip takes stays taken: a local host, a valid egg name, a no-break space inside a
    // URL (packaging's URL ends at a space or tab), a wheel path and its extras.
    for text in [
        "name @ file://localhost/tmp/name-1.0.tar.gz\n",
        "https://x.example/a-1.0.tar.gz#egg=a-b.c_d\n",
        "name @ gopher:/foo/com\u{a0}x\n",
        "./simple-0.1-py2.py3-none-any.whl [ext]\n",
    ] {
        let (run, _) = parse(&context, text);
        assert_eq!(run.code, 0, "{text:?}: {}", run.stdout);
    }
    // Text after a path's `[extras]` keeps it from being a path to pip: a requirement then.
    let (run, document) = parse(&context, "simple-0.1-py2.py3-none-any.whl [ext]#note\n");
    assert_eq!(run.code, 2, "{}", run.stdout);
    let message = document["errors"][0]["message"].as_str().unwrap();
    assert!(message.contains("invalid requirement"), "{message}");
}
