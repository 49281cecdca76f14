//! `hashpin serve`: real pip and uv install through the verifying index, which hands out only
//! recorded bytes.

use std::io::{BufRead, BufReader, Read};
use std::path::Path;
use std::process::{Child, Command, Output, Stdio};
use std::sync::{Arc, Mutex};

use crate::harness::{TestContext, hermetic, republished_wheel, uv_program};

const TINY_WHEEL: &str = "tinyproj-1.0.0-py3-none-any.whl";

/// A running `hashpin serve`.
struct Proxy {
    child: Child,
    /// `http://127.0.0.1:PORT`.
    base: String,
    stderr: Arc<Mutex<String>>,
}

impl Proxy {
    fn start(context: &TestContext, args: &[&str]) -> Self {
        let index = context.server.simple_url();
        let mut command = context.command();
        command
            .args(["serve", "--listen", "127.0.0.1:0", "-i", &index])
            .args(args)
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped());
        let mut child = command.spawn().expect("hashpin serve starts");
        let stderr = Arc::new(Mutex::new(String::new()));
        let mut pipe = child.stderr.take().unwrap();
        let collected = Arc::clone(&stderr);
        std::thread::spawn(move || {
            let mut buffer = [0; 4096];
            while let Ok(n) = pipe.read(&mut buffer) {
                if n == 0 {
                    break;
                }
                collected
                    .lock()
                    .unwrap()
                    .push_str(&String::from_utf8_lossy(&buffer[..n]));
            }
        });
        let mut first = String::new();
        BufReader::new(child.stdout.take().unwrap())
            .read_line(&mut first)
            .unwrap();
        let base = first
            .trim()
            .strip_prefix("serving ")
            .and_then(|url| url.strip_suffix("/simple/"))
            .unwrap_or_else(|| panic!("first line `{first}`; stderr: {}", stderr.lock().unwrap()))
            .to_string();
        Self {
            child,
            base,
            stderr,
        }
    }

    fn index_url(&self) -> String {
        format!("{}/simple/", self.base)
    }

    fn log(&self) -> String {
        self.stderr.lock().unwrap().clone()
    }

    /// SIGTERM, then the exit code and everything it logged.
    fn stop(mut self) -> (Option<i32>, String) {
        let _ = Command::new("kill")
            .args(["-TERM", &self.child.id().to_string()])
            .status();
        let status = self.child.wait().unwrap();
        std::thread::sleep(std::time::Duration::from_millis(50));
        (status.code(), self.log())
    }
}

impl Drop for Proxy {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// `GET url` with an `Accept` header, through curl-free std: status line, headers and body.
fn get(url: &str, accept: Option<&str>) -> (u16, String, String) {
    let rest = url.strip_prefix("http://").unwrap();
    let (host, path) = rest.split_at(rest.find('/').unwrap());
    let mut stream = std::net::TcpStream::connect(host).unwrap();
    let accept = accept.map_or(String::new(), |value| format!("Accept: {value}\r\n"));
    std::io::Write::write_all(
        &mut stream,
        format!("GET {path} HTTP/1.1\r\nHost: {host}\r\n{accept}Connection: close\r\n\r\n")
            .as_bytes(),
    )
    .unwrap();
    let mut bytes = Vec::new();
    stream.read_to_end(&mut bytes).unwrap();
    let response = String::from_utf8_lossy(&bytes).into_owned();
    let (head, body) = response.split_once("\r\n\r\n").unwrap();
    let status = head.split(' ').nth(1).unwrap().parse().unwrap();
    (status, head.to_string(), body.to_string())
}

/// `pip install ARGS` into `python`'s environment, through nothing but the given index.
fn pip_install(context: &TestContext, python: &Path, args: &[&str]) -> Output {
    let mut command = Command::new(python);
    command
        .args(["-m", "pip", "install", "--no-cache-dir", "--quiet"])
        .args(args)
        .current_dir(context.temp.path());
    hermetic(&mut command);
    command.output().expect("pip runs")
}

/// `uv pip install ARGS` into `python`'s environment, with a cache of the test's own.
fn uv_install(context: &TestContext, python: &Path, args: &[&str]) -> Output {
    let mut command = Command::new(uv_program());
    command
        .args(["pip", "install", "--no-config", "--python"])
        .arg(python)
        .args(args)
        .current_dir(context.temp.path())
        .env("UV_CACHE_DIR", context.path("uv-cache"))
        .env("UV_PYTHON_DOWNLOADS", "never")
        .env("NO_COLOR", "1");
    for (name, _) in std::env::vars_os() {
        if name.to_string_lossy().starts_with("UV_") {
            command.env_remove(name);
        }
    }
    command.env("UV_CACHE_DIR", context.path("uv-cache"));
    hermetic(&mut command);
    command.output().expect("uv runs")
}

/// Whether `project` is installed in `python`'s environment.
fn installed(python: &Path, project: &str) -> bool {
    let mut command = Command::new(python);
    command.args(["-m", "pip", "show", "--quiet", project]);
    hermetic(&mut command);
    command.output().unwrap().status.success()
}

fn locked(context: &TestContext) {
    context.write("requirements.txt", "tinyproj==1.0.0\n");
    let run = context.lock(&[]);
    assert_eq!(run.code, 0, "{}", run.stderr);
}

#[test]
fn pip_and_uv_install_recorded_artifacts_through_the_proxy() {
    let context = TestContext::new();
    locked(&context);
    let proxy = Proxy::start(&context, &["--lock", "requirements.txt"]);
    let index = proxy.index_url();

    let venv = context.venv("with-hashes");
    let out = pip_install(
        &context,
        &venv,
        &[
            "--index-url",
            &index,
            "--require-hashes",
            "-r",
            "requirements.txt",
        ],
    );
    assert!(
        out.status.success(),
        "{}\n{}",
        String::from_utf8_lossy(&out.stderr),
        proxy.log()
    );
    assert!(installed(&venv, "tinyproj"));

    let venv = context.venv("without-hashes");
    let out = pip_install(&context, &venv, &["--index-url", &index, "tinyproj"]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(installed(&venv, "tinyproj"));

    let venv = context.venv("uv");
    let out = uv_install(
        &context,
        &venv,
        &["--index-url", &index, "-r", "requirements.txt"],
    );
    assert!(
        out.status.success(),
        "{}\n{}",
        String::from_utf8_lossy(&out.stderr),
        proxy.log()
    );
    assert!(installed(&venv, "tinyproj"));

    let (code, log) = proxy.stop();
    assert_eq!(code, Some(0), "{log}");
    // uv may ask for a wheel more than once (its metadata first); every answer was a pass.
    assert!(log.contains(" served, 0 requests refused"), "{log}");
    assert!(!log.contains("stopped: 0 files"), "{log}");
}

#[test]
fn a_republished_artifact_is_refused_and_nothing_is_installed() {
    let context = TestContext::new();
    locked(&context);
    context
        .server
        .replace_bytes(TINY_WHEEL, republished_wheel());
    {
        // The recorded bytes are still in the cache `lock` filled: those are what is served.
        let proxy = Proxy::start(&context, &["--lock", "requirements.txt"]);
        let venv = context.venv("cached");
        let out = pip_install(
            &context,
            &venv,
            &["--index-url", &proxy.index_url(), "tinyproj"],
        );
        assert!(
            out.status.success(),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
        assert!(
            proxy.log().contains(&format!(
                "served  {TINY_WHEEL}  sha256:{}",
                crate::harness::pip_hash(&crate::harness::testdata_artifact(
                    "tinyproj", TINY_WHEEL
                ))
                .trim_start_matches("sha256:")
            )),
            "{}",
            proxy.log()
        );
    }
    // Without them, upstream's new bytes are all there is, and they are refused.
    let proxy = Proxy::start(&context, &["--lock", "requirements.txt", "--no-cache"]);
    let index = proxy.index_url();

    let venv = context.venv("pip");
    let out = pip_install(&context, &venv, &["--index-url", &index, "tinyproj"]);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        !out.status.success(),
        "pip installed a refused artifact:\n{stderr}\n{}",
        proxy.log()
    );
    assert!(stderr.contains("403"), "{stderr}");
    assert!(!installed(&venv, "tinyproj"));

    let venv = context.venv("uv");
    let out = uv_install(&context, &venv, &["--index-url", &index, "tinyproj"]);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(!out.status.success(), "uv installed a refused artifact");
    assert!(stderr.contains("403"), "{stderr}");
    assert!(!installed(&venv, "tinyproj"));

    // The reason, in one line, for whoever fetches it.
    let (status, _, body) = get(&format!("{}/files/tinyproj/{TINY_WHEEL}", proxy.base), None);
    assert_eq!(status, 403);
    assert!(
        body.contains(&format!("hashpin refused `{TINY_WHEEL}`")),
        "{body}"
    );
    assert!(body.contains("changed since it was locked"), "{body}");
    assert_eq!(body.lines().count(), 1, "{body}");

    let (_, log) = proxy.stop();
    // The same report `lock` prints: both hashes, so a person sees what changed.
    for expected in [
        format!("`{TINY_WHEEL}` changed since it was locked"),
        "recorded:".to_string(),
        "observed:".to_string(),
        format!("sha256:{}", context.server.sha256(TINY_WHEEL)),
    ] {
        assert!(log.contains(&expected), "missing `{expected}`:\n{log}");
    }
}

#[test]
fn pages_list_only_recorded_files_of_the_pinned_release_with_their_recorded_hashes() {
    let context = TestContext::new();
    context.write("requirements.txt", "depb==1.0.0\n");
    assert_eq!(context.lock(&[]).code, 0);
    let text = context.read("requirements.txt");
    let proxy = Proxy::start(&context, &["--lock", "requirements.txt"]);

    let (status, head, body) = get(
        &format!("{}/simple/depb/", proxy.base),
        Some("application/vnd.pypi.simple.v1+json"),
    );
    assert_eq!(status, 200, "{body}");
    assert!(
        head.contains("application/vnd.pypi.simple.v1+json"),
        "{head}"
    );
    let page: serde_json::Value = serde_json::from_str(&body).unwrap();
    let files = page["files"].as_array().unwrap();
    let names: Vec<&str> = files
        .iter()
        .map(|f| f["filename"].as_str().unwrap())
        .collect();
    assert_eq!(
        names.len(),
        2,
        "only 1.0.0's two files, not 1.2.0's: {names:?}"
    );
    for file in files {
        let name = file["filename"].as_str().unwrap();
        assert!(name.starts_with("depb-1.0.0"), "{name}");
        let hash = file["hashes"]["sha256"].as_str().unwrap();
        assert!(
            text.contains(&format!("{name} sha256:{hash}")),
            "{name} {hash}\n{text}"
        );
        assert_eq!(file["url"], format!("../../files/depb/{name}"));
    }

    let (status, head, html) = get(&format!("{}/simple/depb/", proxy.base), Some("text/html"));
    assert_eq!(status, 200);
    // `text/html`, which every pip accepts (pip before 22.2 accepts nothing else).
    assert!(head.contains("content-type: text/html"), "{head}");
    assert_eq!(html.matches("<a href=").count(), 2, "{html}");

    // A name not normalized is redirected, as PyPI does; health answers.
    let (status, head, _) = get(&format!("{}/simple/DepB/", proxy.base), None);
    assert_eq!(status, 301);
    assert!(head.contains("location: /simple/depb/"), "{head}");
    assert_eq!(get(&format!("{}/health", proxy.base), None).0, 200);
    let (status, _, body) = get(&format!("{}/simple/", proxy.base), None);
    assert_eq!(status, 200);
    assert!(body.contains("depb/"), "{body}");
}

/// Installs `requirement` with pip through a proxy started with `--record`, which must succeed;
/// the proxy (still running) and the venv.
fn install_recording(context: &TestContext, requirement: &str) -> (Proxy, std::path::PathBuf) {
    let proxy = Proxy::start(context, &["--lock", "requirements.txt", "--record"]);
    let venv = context.venv("recorded");
    let out = pip_install(
        context,
        &venv,
        &["--index-url", &proxy.index_url(), requirement],
    );
    assert!(
        out.status.success(),
        "{}\n{}",
        String::from_utf8_lossy(&out.stderr),
        proxy.log()
    );
    (proxy, venv)
}

#[test]
fn an_unpinned_project_is_refused_then_recorded_with_record() {
    let context = TestContext::new();
    locked(&context);
    let before = context.read("requirements.txt");
    {
        let proxy = Proxy::start(&context, &["--lock", "requirements.txt"]);
        let venv = context.venv("refused");
        let out = pip_install(
            &context,
            &venv,
            &["--index-url", &proxy.index_url(), "depb"],
        );
        assert!(!out.status.success());
        let (status, _, body) = get(&format!("{}/simple/depb/", proxy.base), None);
        assert_eq!(status, 403);
        assert!(
            body.contains("`depb` is not pinned in `requirements.txt`"),
            "{body}"
        );
        assert!(body.contains("--record"), "{body}");
        assert_eq!(context.read("requirements.txt"), before);
    }

    let (proxy, venv) = install_recording(&context, "depb==1.0.0");
    assert!(installed(&venv, "depb"));
    let after = context.read("requirements.txt");
    assert!(
        after.starts_with(&before),
        "the old entries stay as they were:\n{after}"
    );
    assert!(after.contains("depb==1.0.0 \\\n"), "{after}");
    // Every file of the release, as `lock` records them.
    assert!(
        after.contains("# hashpin: depb-1.0.0-py3-none-any.whl sha256:"),
        "{after}"
    );
    assert!(
        after.contains("# hashpin: depb-1.0.0.tar.gz sha256:"),
        "{after}"
    );
    // What was recorded is what `lock` would leave alone.
    drop(proxy);
    let relock = context.lock(&["--check"]);
    assert_eq!(relock.code, 0, "{}", relock.stderr);
    let pip = context.venv("check");
    context.assert_pip_accepts(&pip, "requirements.txt");
}

/// Recording one project locks that project alone: the lockfile's other entries are neither
/// listed nor downloaded again (their listing failing upstream does not stop the record), and
/// their lines stay as they were.
#[test]
fn record_locks_the_recorded_project_alone() {
    let context = TestContext::new();
    locked(&context);
    let before = context.read("requirements.txt");
    context.server.fail_times("/simple/tinyproj/", 503, 1000);
    let asked_before = context.server.request_count();
    let (_proxy, _) = install_recording(&context, "depb==1.0.0");
    let after = context.read("requirements.txt");
    assert!(after.starts_with(&before), "{after}");
    assert!(
        after.contains("# hashpin: depb-1.0.0.tar.gz sha256:"),
        "{after}"
    );
    let log = context.server.request_log();
    assert!(
        !log[asked_before..]
            .iter()
            .any(|line| line.contains("/simple/tinyproj/")),
        "{:#?}",
        &log[asked_before..]
    );
}

#[test]
fn eight_installs_at_once_through_one_proxy() {
    let context = TestContext::new();
    context.write(
        "requirements.txt",
        "depa==1.0.0\ndepb==1.2.0\ntinyproj==1.0.0\n",
    );
    assert_eq!(context.lock(&[]).code, 0);
    let proxy = Proxy::start(&context, &["--lock", "requirements.txt"]);
    let index = proxy.index_url();
    let venvs: Vec<_> = (0..8).map(|n| context.venv(&format!("venv{n}"))).collect();
    let outputs: Vec<Output> = std::thread::scope(|scope| {
        let handles: Vec<_> = venvs
            .iter()
            .map(|venv| {
                let index = index.clone();
                let context = &context;
                scope.spawn(move || {
                    pip_install(
                        context,
                        venv,
                        &[
                            "--index-url",
                            &index,
                            "--require-hashes",
                            "-r",
                            "requirements.txt",
                        ],
                    )
                })
            })
            .collect();
        handles
            .into_iter()
            .map(|handle| handle.join().unwrap())
            .collect()
    });
    for (venv, out) in venvs.iter().zip(&outputs) {
        assert!(
            out.status.success(),
            "{}\n{}",
            String::from_utf8_lossy(&out.stderr),
            proxy.log()
        );
        for project in ["depa", "depb", "tinyproj"] {
            assert!(installed(venv, project), "{project} missing");
        }
    }
    let (code, log) = proxy.stop();
    assert_eq!(code, Some(0));
    assert!(log.contains("0 requests refused"), "{log}");
}

#[test]
fn a_remote_address_a_proxy_of_itself_and_a_missing_lockfile_are_refused() {
    let context = TestContext::new();
    locked(&context);
    let run = context.run(&["serve", "--listen", "0.0.0.0:0"]);
    assert_eq!(run.code, 2, "{}", run.stderr);
    assert!(run.stderr.contains("--allow-remote"), "{}", run.stderr);
    // An upstream that is the proxy itself (a `PIP_INDEX_URL` left from an earlier run).
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let listen = format!("127.0.0.1:{port}");
    let itself = format!("http://localhost:{port}/simple/");
    let run = context.run_with_env(
        &["serve", "--listen", &listen],
        &[("PIP_INDEX_URL", &itself)],
    );
    assert_eq!(run.code, 2, "{}", run.stderr);
    assert!(
        run.stderr.contains("is this proxy itself"),
        "{}",
        run.stderr
    );
    let run = context.run(&["serve", "--lock", "missing.txt", "--listen", "127.0.0.1:0"]);
    assert_eq!(run.code, 2, "{}", run.stderr);
    assert!(
        run.stderr.contains("`missing.txt` does not exist"),
        "{}",
        run.stderr
    );
}

#[test]
fn kill_9_while_recording_leaves_the_lockfile_old_or_complete() {
    let context = TestContext::new();
    locked(&context);
    let before = context.read("requirements.txt");
    let mut recorded = 0;
    // Killed at moments along the way, and last only once the request has been answered.
    for delay_ms in [Some(0), Some(5), Some(20), Some(60), Some(150), None] {
        context.write("requirements.txt", &before);
        let mut proxy = Proxy::start(
            &context,
            &["--lock", "requirements.txt", "--record", "--no-cache"],
        );
        let url = format!("{}/files/depb/depb-1.2.0-py3-none-any.whl", proxy.base);
        let request = std::thread::spawn(move || get(&url, None).0);
        match delay_ms {
            Some(ms) => std::thread::sleep(std::time::Duration::from_millis(ms)),
            None => {
                let answered = request.join();
                assert!(matches!(answered, Ok(200)), "{answered:?}\n{}", proxy.log());
            }
        }
        proxy.child.kill().unwrap();
        proxy.child.wait().unwrap();
        let after = context.read("requirements.txt");
        if after != before {
            recorded += 1;
            assert!(after.starts_with(&before), "{delay_ms:?}: {after}");
            assert!(after.contains("depb==1.2.0 \\\n"), "{delay_ms:?}: {after}");
            let check = context.lock(&["--check"]);
            assert_eq!(
                check.code, 0,
                "{delay_ms:?}: a partial record:\n{after}\n{}",
                check.stderr
            );
        }
    }
    assert!(recorded >= 1, "the answered request recorded nothing");
}

#[test]
fn a_lockfile_edited_while_serving_is_read_again() {
    let context = TestContext::new();
    locked(&context);
    let proxy = Proxy::start(&context, &["--lock", "requirements.txt"]);
    assert_eq!(get(&format!("{}/simple/depb/", proxy.base), None).0, 403);
    context.write("requirements.txt", "tinyproj==1.0.0\ndepb==1.2.0\n");
    assert_eq!(context.lock(&[]).code, 0);
    let (status, _, body) = get(&format!("{}/simple/depb/", proxy.base), None);
    assert_eq!(status, 200, "{body}");
    assert!(body.contains("depb-1.2.0-py3-none-any.whl"), "{body}");
    assert!(!body.contains("depb-1.0.0"), "{body}");
}

#[test]
fn core_metadata_is_offered_only_for_wheels_that_passed() {
    use sha2::Digest as _;
    let context = TestContext::new();
    locked(&context);
    let proxy = Proxy::start(&context, &["--lock", "requirements.txt"]);
    let page = |proxy: &Proxy| -> serde_json::Value {
        let (_, _, body) = get(
            &format!("{}/simple/tinyproj/", proxy.base),
            Some("application/vnd.pypi.simple.v1+json"),
        );
        serde_json::from_str(&body).unwrap()
    };
    let wheel_entry = |page: &serde_json::Value| {
        page["files"]
            .as_array()
            .unwrap()
            .iter()
            .find(|file| file["filename"] == TINY_WHEEL)
            .cloned()
            .unwrap()
    };
    assert!(wheel_entry(&page(&proxy)).get("core-metadata").is_none());
    let metadata_url = format!("{}/files/tinyproj/{TINY_WHEEL}.metadata", proxy.base);
    assert_eq!(get(&metadata_url, None).0, 404);

    let venv = context.venv("venv");
    let out = pip_install(
        &context,
        &venv,
        &["--index-url", &proxy.index_url(), "tinyproj"],
    );
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );

    let offered = wheel_entry(&page(&proxy))["core-metadata"]["sha256"]
        .as_str()
        .unwrap()
        .to_string();
    let (status, _, body) = get(&metadata_url, None);
    assert_eq!(status, 200);
    assert!(body.contains("Name: tinyproj"), "{body}");
    assert_eq!(hex::encode(sha2::Sha256::digest(body.as_bytes())), offered);
    // pip installs again using it.
    let venv = context.venv("again");
    let out = pip_install(
        &context,
        &venv,
        &["--index-url", &proxy.index_url(), "tinyproj"],
    );
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
}

#[test]
fn record_holds_back_what_the_cooldown_holds_back() {
    let context = TestContext::new();
    locked(&context);
    let before = context.read("requirements.txt");
    context
        .server
        .declare_upload_time("depb-1.2.0-py3-none-any.whl", "2999-01-01T00:00:00Z");
    context
        .server
        .declare_upload_time("depb-1.2.0.tar.gz", "2999-01-01T00:00:00Z");
    let proxy = Proxy::start(
        &context,
        &[
            "--lock",
            "requirements.txt",
            "--record",
            "--exclude-newer",
            "2026-01-01",
        ],
    );
    let (status, _, body) = get(
        &format!("{}/files/depb/depb-1.2.0-py3-none-any.whl", proxy.base),
        None,
    );
    assert_eq!(status, 403, "{body}");
    assert!(body.contains("refused to record `depb==1.2.0`"), "{body}");
    assert_eq!(context.read("requirements.txt"), before);
    let (_, log) = proxy.stop();
    assert!(
        log.contains("every file was uploaded after the cooldown cutoff"),
        "{log}"
    );
}

#[test]
fn yanked_state_and_requires_python_pass_through() {
    let context = TestContext::new();
    locked(&context);
    context.server.set_yanked(TINY_WHEEL, Some("broken build"));
    context.server.set_requires_python(TINY_WHEEL, ">=3.8");
    let proxy = Proxy::start(&context, &["--lock", "requirements.txt"]);
    let (_, _, body) = get(
        &format!("{}/simple/tinyproj/", proxy.base),
        Some("application/vnd.pypi.simple.v1+json"),
    );
    let page: serde_json::Value = serde_json::from_str(&body).unwrap();
    let wheel = page["files"]
        .as_array()
        .unwrap()
        .iter()
        .find(|file| file["filename"] == TINY_WHEEL)
        .unwrap();
    assert_eq!(wheel["yanked"], "broken build");
    assert_eq!(wheel["requires-python"], ">=3.8");
    let (_, _, html) = get(
        &format!("{}/simple/tinyproj/", proxy.base),
        Some("text/html"),
    );
    assert!(html.contains("data-yanked=\"broken build\""), "{html}");
    assert!(html.contains("data-requires-python=\"&gt;=3.8\""), "{html}");
}
