//! `hashpin hash` prints what `pip hash` prints.

use std::process::Command;

use crate::harness::{TestContext, testdata_artifact};

#[test]
fn output_is_byte_identical_to_pip_hash() {
    let context = TestContext::new();
    for algorithm in ["sha256", "sha512"] {
        let wheel = testdata_artifact("tinyproj", "tinyproj-1.0.0-py3-none-any.whl");
        let sdist = testdata_artifact("tinyproj", "tinyproj-1.0.0.tar.gz");
        let ours = context
            .command()
            .args(["hash", "-a", algorithm])
            .arg(&wheel)
            .arg(&sdist)
            .output()
            .unwrap();
        let pips = Command::new("python3")
            .args(["-m", "pip", "hash", "-a", algorithm])
            .arg(&wheel)
            .arg(&sdist)
            .env("PIP_CONFIG_FILE", "/dev/null")
            .output()
            .unwrap();
        assert!(ours.status.success() && pips.status.success());
        assert_eq!(
            String::from_utf8(ours.stdout).unwrap(),
            String::from_utf8(pips.stdout).unwrap()
        );
    }
}

#[test]
fn weak_algorithms_and_missing_files_are_usage_errors() {
    let context = TestContext::new();
    let md5 = context.run(&["hash", "-a", "md5", "x"]);
    assert_eq!(md5.code, 2, "{}", md5.stderr);
    let missing = context.run(&["hash", "does-not-exist.whl"]);
    assert_eq!(missing.code, 2, "{}", missing.stderr);
    assert!(
        missing.stderr.contains("does-not-exist.whl"),
        "{}",
        missing.stderr
    );
}
