//! `hashpin export --format pylock`: a PEP 751 lock uv installs, holding only what was recorded.

use std::process::Command;

use crate::harness::{TestContext, hermetic, uv_program};

fn export(context: &TestContext, args: &[&str]) -> crate::harness::Run {
    let index = context.server.simple_url();
    let mut all = vec!["export", "--format", "pylock", "--index-url", &index];
    all.extend_from_slice(args);
    context.run(&all)
}

/// `# hashpin:` lines of a lockfile: (filename, hash, url).
fn provenance(text: &str) -> Vec<(String, String, String)> {
    text.lines()
        .filter_map(|line| line.trim().strip_prefix("# hashpin: "))
        .map(|rest| {
            let parts: Vec<&str> = rest.split(' ').collect();
            (
                parts[0].to_string(),
                parts[1].to_string(),
                parts[2].to_string(),
            )
        })
        .collect()
}

#[test]
fn a_pylock_with_every_recorded_file_that_uv_installs() {
    let context = TestContext::new();
    context.write(
        "requirements.txt",
        "depa==1.0.0\ndepb==1.2.0 ; python_version >= \"3.8\"\ntinyproj==1.0.0\nplatpkg==0.5.0 ; sys_platform == \"win32\"\n",
    );
    assert_eq!(context.lock(&[]).code, 0);
    let locked = context.read("requirements.txt");
    context
        .server
        .declare_upload_time("depb-1.2.0-py3-none-any.whl", "2025-03-04T05:06:07.123456Z");

    let run = export(&context, &["-o", "pylock.toml", "requirements.txt"]);
    assert_eq!(run.code, 0, "{}", run.stderr);
    assert!(
        run.stderr.contains("exported 4 packages to `pylock.toml`"),
        "{}",
        run.stderr
    );
    let text = context.read("pylock.toml");
    let lock: toml::Table = toml::from_str(&text).unwrap();

    // PEP 751's required keys, and its rules for each package and file.
    assert_eq!(lock["lock-version"].as_str(), Some("1.0"));
    assert_eq!(lock["created-by"].as_str(), Some("hashpin"));
    let packages = lock["packages"].as_array().unwrap();
    assert_eq!(packages.len(), 4);
    let recorded = provenance(&locked);
    let mut files_seen = 0;
    for package in packages {
        let name = package["name"].as_str().unwrap();
        assert_eq!(
            name,
            name.to_lowercase().replace(['_', '.'], "-"),
            "normalized"
        );
        assert!(package["version"].is_str(), "{name}");
        assert!(
            package.get("vcs").is_none()
                && package.get("directory").is_none()
                && package.get("archive").is_none(),
            "a release has only sdist and wheels"
        );
        let mut files: Vec<&toml::Value> = package
            .get("wheels")
            .and_then(|wheels| wheels.as_array())
            .map(|wheels| wheels.iter().collect())
            .unwrap_or_default();
        files.extend(package.get("sdist"));
        assert!(!files.is_empty(), "{name}");
        for file in files {
            files_seen += 1;
            let filename = file["name"].as_str().unwrap();
            let url = file["url"].as_str().unwrap();
            let hash = file["hashes"]["sha256"].as_str().unwrap();
            assert!(
                recorded
                    .iter()
                    .any(|(f, h, u)| f == filename && *h == format!("sha256:{hash}") && u == url),
                "{filename} {hash} {url} is not what the lockfile records"
            );
            assert_eq!(
                file["size"].as_integer(),
                Some(context.server.bytes(filename).len() as i64),
                "{filename}"
            );
        }
    }
    assert_eq!(
        files_seen,
        recorded.len(),
        "every recorded file, nothing else"
    );
    let depb = packages
        .iter()
        .find(|p| p["name"].as_str() == Some("depb"))
        .unwrap();
    assert_eq!(depb["marker"].as_str(), Some("python_version >= \"3.8\""));
    assert_eq!(depb["version"].as_str(), Some("1.2.0"));
    let wheel = &depb["wheels"][0];
    assert_eq!(
        wheel["upload-time"]
            .as_datetime()
            .map(ToString::to_string)
            .as_deref(),
        Some("2025-03-04T05:06:07.123456Z")
    );
    assert_eq!(
        depb["index"].as_str(),
        Some(context.server.simple_url().as_str())
    );

    // Exported again: the same bytes.
    let again = export(&context, &["-o", "pylock.toml", "requirements.txt"]);
    assert_eq!(again.code, 0, "{}", again.stderr);
    assert_eq!(context.read("pylock.toml"), text);
    let printed = export(&context, &["requirements.txt"]);
    assert_eq!(
        printed.stdout,
        context.filter(&text),
        "stdout is the same document"
    );

    // uv installs it; the Windows-only package is left out on this machine.
    let python = context.venv("venv");
    let mut uv = Command::new(uv_program());
    uv.args(["pip", "install", "--no-config", "--python"])
        .arg(&python)
        .args(["-r", "pylock.toml"])
        .current_dir(context.temp.path())
        .env("UV_CACHE_DIR", context.path("uv-cache"));
    hermetic(&mut uv);
    let output = uv.output().unwrap();
    let said = String::from_utf8_lossy(&output.stderr);
    assert!(output.status.success(), "{said}");
    for installed in ["depa==1.0.0", "depb==1.2.0", "tinyproj==1.0.0"] {
        assert!(
            said.contains(&format!("+ {installed}")),
            "{installed}: {said}"
        );
    }
    assert!(!said.contains("platpkg"), "{said}");
}

#[test]
fn entries_without_recorded_files_and_bad_names_are_refused() {
    let context = TestContext::new();
    context.write(
        "requirements.txt",
        &format!(
            "tinyproj==1.0.0 --hash=sha256:{}\n",
            context.server.sha256("tinyproj-1.0.0.tar.gz")
        ),
    );
    let run = export(&context, &["requirements.txt"]);
    assert_eq!(run.code, 2, "{}", run.stderr);
    assert!(run.stderr.contains("requirements.txt:1"), "{}", run.stderr);
    assert!(run.stderr.contains("records no files"), "{}", run.stderr);
    assert!(run.stderr.contains("hashpin lock"), "{}", run.stderr);

    let run = export(&context, &["-o", "lock.toml", "requirements.txt"]);
    assert_eq!(run.code, 2, "{}", run.stderr);
    assert!(
        run.stderr.contains("`pylock.toml` or `pylock.<name>.toml`"),
        "{}",
        run.stderr
    );
    assert!(!context.path("lock.toml").exists());
}
