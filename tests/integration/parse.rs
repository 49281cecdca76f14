//! `hashpin parse`: what hashpin reads, without an index.
//! See: https://github.com/hashpin/hashpin/issues/9

use crate::harness::TestContext;

#[test]
fn parse_prints_every_requirement_and_option_without_an_index() {
    let context = TestContext::new();
    context.write("more.txt", "depb==1.2.0 ; python_version >= \"3.8\"\n");
    context.write(
        "requirements.txt",
        "-i https://pypi.example/simple/\n-r more.txt\n# pinned\ntinyproj[extra] == 1.0.0 --hash=sha256:579a70f4d94e0634fed025f489280c121ab96de425a53cda9af7ae4db6619ba4  # note\npkg @ https://files.example/pkg-1.0.tar.gz\n",
    );
    let run = context.run(&["parse"]);
    insta::assert_snapshot!(run.snapshot(), @r#"
    exit code: 0
    ----- stdout -----
    requirements.txt:1  --index-url https://pypi.example/simple/
    requirements.txt:2  --requirement more.txt
    more.txt:1  depb==1.2.0 ; python_version >= "3.8"
    requirements.txt:4  tinyproj[extra] == 1.0.0  (1 hash)
    requirements.txt:5  pkg @ https://files.example/pkg-1.0.tar.gz
    ----- stderr -----
    "#);
    let run = context.run(&["parse", "--format", "json"]);
    assert_eq!(run.code, 0, "{}", run.stderr);
    let document: serde_json::Value = serde_json::from_str(&run.stdout).unwrap();
    assert_eq!(document["schema"], "hashpin-parse/1");
    let first = &document["requirements"][1];
    assert_eq!(first["name"], "tinyproj");
    assert_eq!(first["extras"][0], "extra");
    assert_eq!(first["specifier"], "==1.0.0");
    assert_eq!(first["hashes"].as_array().unwrap().len(), 1);
    assert_eq!(document["requirements"][0]["file"], "more.txt");
    assert_eq!(context.server.request_count(), 0);
}

#[test]
fn parse_reports_every_error_in_json_with_exit_2() {
    let context = TestContext::new();
    context.write(
        "requirements.txt",
        "ok==1.0\nbad==1.0 --hash=md5:00\nlast-=2\n",
    );
    let run = context.run(&["parse", "--format", "json"]);
    insta::assert_snapshot!(run.snapshot(), @r#"
    exit code: 2
    ----- stdout -----
    {
      "schema": "hashpin-parse/1",
      "files": [],
      "requirements": [],
      "options": [],
      "errors": [
        {
          "file": "requirements.txt",
          "line": 2,
          "column": 17,
          "message": "unsupported hash algorithm `md5` (expected `sha256`, `sha384` or `sha512`)"
        },
        {
          "file": "requirements.txt",
          "line": 3,
          "column": 5,
          "message": "invalid requirement: a package name must end with a letter or digit, not `-`"
        }
      ]
    }
    ----- stderr -----
    "#);
}
