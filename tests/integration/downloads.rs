//! What a hostile or broken index sends instead of an artifact, end to end against the loopback
//! index: bodies past every size limit, error pages and bodies cut short. Each must stop the
//! command with exit 4, name the URL (and the limit) and what arrived, and leave nothing
//! recorded and nothing in the cache. And digests an index declares in any algorithm hashpin
//! can compute, md5 included: a wrong one is refused (exit 1) as a wrong sha256 is. And network
//! failures that retrying cannot mend: they must fail at once, with a clear error.
//! See: https://github.com/hashpin/hashpin/issues/8

use std::net::TcpListener;
use std::path::Path;
use std::process::Command;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant};

use crate::harness::TestContext;

const TINY_WHEEL: &str = "tinyproj-1.0.0-py3-none-any.whl";
const TINY_SDIST: &str = "tinyproj-1.0.0.tar.gz";
const UNLOCKED: &str = "tinyproj==1.0.0\n";

/// A temp dir pinning tinyproj 1.0.0 with nothing recorded, and an index that declares no
/// digests: the case where hashpin records whatever arrives.
fn unlocked() -> TestContext {
    let context = TestContext::new();
    context.write("requirements.txt", UNLOCKED);
    context.server.omit_hashes(true);
    context
}

/// Every file under the cache directory, relative to it.
fn cached_files(context: &TestContext) -> Vec<String> {
    fn walk(root: &Path, dir: &Path, out: &mut Vec<String>) {
        let Ok(entries) = fs_err::read_dir(dir) else {
            return;
        };
        for entry in entries {
            let path = entry.unwrap().path();
            if path.is_dir() {
                walk(root, &path, out);
            } else {
                out.push(path.strip_prefix(root).unwrap().display().to_string());
            }
        }
    }
    let root = context.path("cache");
    let mut files = Vec::new();
    walk(&root, &root, &mut files);
    files.sort();
    files
}

/// Whether the cache holds a copy of what the index serves for `filename`.
fn is_cached(context: &TestContext, filename: &str) -> bool {
    let sha256 = context.server.sha256(filename);
    context
        .path("cache/sha256")
        .join(&sha256[..2])
        .join(&sha256)
        .exists()
}

#[test]
fn a_body_larger_than_the_declared_size_is_refused_before_it_is_read() {
    // See: https://github.com/hashpin/hashpin/issues/8
    let context = unlocked();
    context.server.declare_size(TINY_WHEEL, Some(100));
    let run = context.lock(&[]);
    insta::assert_snapshot!(run.snapshot(), @"
    exit code: 4
    ----- stdout -----
    ----- stderr -----
    error: refusing `[INDEX]/files/tinyproj-1.0.0-py3-none-any.whl`: `Content-Length` announces 1083 bytes, more than the 100 bytes the index declares as its PEP 700 `size`; nothing was downloaded
    hint: the index's listing and the file it serves disagree: a broken mirror, or an index not to be trusted
    nothing written: 1 problem
    ");
    assert_eq!(context.read("requirements.txt"), UNLOCKED);
    assert!(!is_cached(&context, TINY_WHEEL));
}

#[test]
fn a_chunked_body_is_cut_at_the_declared_size() {
    // See: https://github.com/hashpin/hashpin/issues/8
    let context = unlocked();
    context.server.declare_size(TINY_WHEEL, Some(1000));
    context.server.endless_body(TINY_WHEEL);
    let run = context.lock(&[]);
    insta::assert_snapshot!(run.snapshot(), @"
    exit code: 4
    ----- stdout -----
    ----- stderr -----
    error: stopped downloading `[INDEX]/files/tinyproj-1.0.0-py3-none-any.whl`: the body ran past the 1000 bytes the index declares as its PEP 700 `size` and had not ended; nothing was kept
    hint: the index's listing and the file it serves disagree: a broken mirror, or an index not to be trusted
    nothing written: 1 problem
    ");
    assert_eq!(context.read("requirements.txt"), UNLOCKED);
    assert_eq!(cached_files(&context), [sdist_in_cache(&context)]);
}

#[test]
fn a_body_that_runs_past_its_content_length_is_not_read() {
    // See: https://github.com/hashpin/hashpin/issues/8
    let context = unlocked();
    // 100 bytes announced, the whole sdist sent: only the 100 may be read, and they are not
    // the 10263 bytes the index declares.
    context.server.understate_content_length(TINY_SDIST, 100);
    let run = context.lock(&[]);
    insta::assert_snapshot!(run.snapshot(), @"
    exit code: 4
    ----- stdout -----
    ----- stderr -----
    error: download of `[INDEX]/files/tinyproj-1.0.0.tar.gz` ended after 100 bytes, but the index declares 10263 bytes as its PEP 700 `size`; nothing was kept
    hint: the index's listing and the file it serves disagree: a broken mirror, or an index not to be trusted
    nothing written: 1 problem
    ");
    assert_eq!(context.read("requirements.txt"), UNLOCKED);
    assert!(!is_cached(&context, TINY_SDIST));
}

#[test]
fn an_endless_body_is_cut_at_the_maximum_artifact_size() {
    // See: https://github.com/hashpin/hashpin/issues/8
    let context = unlocked();
    context.server.declare_size(TINY_WHEEL, None);
    context.server.endless_body(TINY_WHEEL);
    let started = Instant::now();
    let run = context.lock(&["--max-artifact-size", "64KiB"]);
    let elapsed = started.elapsed();
    insta::assert_snapshot!(run.snapshot(), @"
    exit code: 4
    ----- stdout -----
    ----- stderr -----
    error: stopped downloading `[INDEX]/files/tinyproj-1.0.0-py3-none-any.whl`: the body ran past the 64 KiB maximum per artifact of `--max-artifact-size` and had not ended; nothing was kept
    hint: if the artifact really is that large, raise `--max-artifact-size` (or `HASHPIN_MAX_ARTIFACT_SIZE`)
    nothing written: 1 problem
    ");
    assert!(elapsed < Duration::from_secs(10), "{elapsed:?}");
    assert_eq!(context.read("requirements.txt"), UNLOCKED);
    // The sdist is cached; of the endless body nothing is left, not even a temporary file.
    assert_eq!(cached_files(&context), [sdist_in_cache(&context)]);

    // The same limit from the environment.
    let index = context.server.simple_url();
    let vars = [("HASHPIN_MAX_ARTIFACT_SIZE", "64KiB")];
    let run = context.run_with_env(&["lock", "-i", &index], &vars);
    assert_eq!(run.code, 4, "{}", run.stderr);
    assert!(run.stderr.contains("64 KiB maximum"), "{}", run.stderr);
}

#[test]
fn check_holds_its_downloads_to_the_same_limits() {
    // See: https://github.com/hashpin/hashpin/issues/8
    let context = unlocked();
    assert_eq!(context.lock(&[]).code, 0);
    context.server.declare_size(TINY_WHEEL, None);
    context.server.endless_body(TINY_WHEEL);
    let index = context.server.simple_url();
    let vars = [("HASHPIN_MAX_ARTIFACT_SIZE", "64KiB")];
    let run = context.run_with_env(&["check", "-i", &index], &vars);
    assert_eq!(run.code, 4, "{}", run.snapshot());
    assert!(
        run.stderr
            .contains("the body ran past the 64 KiB maximum per artifact of `--max-artifact-size`"),
        "{}",
        run.stderr
    );
}

#[test]
fn a_content_length_past_the_maximum_is_refused_before_downloading() {
    // See: https://github.com/hashpin/hashpin/issues/8
    let context = unlocked();
    let run = context.lock(&["--max-artifact-size", "2000"]);
    insta::assert_snapshot!(run.snapshot(), @"
    exit code: 4
    ----- stdout -----
    ----- stderr -----
    error: refusing `[INDEX]/files/tinyproj-1.0.0.tar.gz`: the index declares 10263 bytes as its PEP 700 `size`, more than the 2000 bytes maximum per artifact of `--max-artifact-size`; nothing was downloaded
    hint: if the artifact really is that large, raise `--max-artifact-size` (or `HASHPIN_MAX_ARTIFACT_SIZE`)
    nothing written: 1 problem
    ");
    assert_eq!(context.read("requirements.txt"), UNLOCKED);
    assert!(!is_cached(&context, TINY_SDIST));
}

/// The cache path of the sdist as served, relative to the cache.
fn sdist_in_cache(context: &TestContext) -> String {
    let sha256 = context.server.sha256(TINY_SDIST);
    format!("sha256/{sha256}")
}

/// What a broken mirror or a captive portal answers with, status 200 and all.
const ERROR_PAGE: &[u8] = b"<!DOCTYPE html>\n<html><head><title>Service Unavailable</title></head><body><h1>Please try again later</h1></body></html>\n";

#[test]
fn lock_refuses_to_record_an_error_page() {
    // See: https://github.com/hashpin/hashpin/issues/8
    let context = unlocked();
    context
        .server
        .replace_bytes(TINY_WHEEL, ERROR_PAGE.to_vec());
    let run = context.lock(&[]);
    insta::assert_snapshot!(run.snapshot(), @r"
    exit code: 4
    ----- stdout -----
    ----- stderr -----
    error: `tinyproj-1.0.0-py3-none-any.whl` cannot be recorded: `[INDEX]/files/tinyproj-1.0.0-py3-none-any.whl` sent an HTML page of 121 bytes, not a wheel
      requirement: tinyproj==1.0.0 (requirements.txt:1)
      url:         [INDEX]/files/tinyproj-1.0.0-py3-none-any.whl
      observed:    sha256:0099be7553fb32ffbdc37f0461c58df3c486a0bf7349344ccb16f89fd77be0fe
    --- a/requirements.txt
    +++ b/requirements.txt
    @@ -1 +1,3 @@
    -tinyproj==1.0.0
    +tinyproj==1.0.0 \
    +    --hash=sha256:69a25f6130fbe75b3c1c0aabddbed8a3b47df9f288022c9c27370d4d5d7f84ff
    +    # hashpin: tinyproj-1.0.0.tar.gz sha256:69a25f6130fbe75b3c1c0aabddbed8a3b47df9f288022c9c27370d4d5d7f84ff [INDEX]/files/tinyproj-1.0.0.tar.gz
    hint: the index answered with something other than the file (an error page, a cut-off transfer); try again later, or ask the index's operator
    refused: 1 download not an archive; nothing written
    ");
    assert_eq!(context.read("requirements.txt"), UNLOCKED);
    assert!(
        !is_cached(&context, TINY_WHEEL),
        "an error page is not kept"
    );

    // Without the cache the page is examined from a private temporary file, removed after.
    let temporary = context.path("tmp");
    fs_err::create_dir_all(&temporary).unwrap();
    let index = context.server.simple_url();
    let vars = [("TMPDIR", temporary.to_str().unwrap())];
    let run = context.run_with_env(&["lock", "--no-cache", "-i", &index], &vars);
    assert_eq!(run.code, 4, "{}", run.snapshot());
    assert!(
        run.stderr.contains("sent an HTML page of 121 bytes"),
        "{}",
        run.stderr
    );
    assert_eq!(context.read("requirements.txt"), UNLOCKED);
    let left: Vec<String> = fs_err::read_dir(&temporary)
        .unwrap()
        .map(|entry| entry.unwrap().file_name().to_string_lossy().into_owned())
        .filter(|name| name.starts_with("hashpin-download-"))
        .collect();
    assert_eq!(left, Vec::<String>::new());
}

/// Bytes whose digest the index declares are the file it published, so their gzip stream is not
/// read to its end; an error page the index declares is still no archive, wheel or sdist.
#[test]
fn an_error_page_the_index_declares_is_still_refused() {
    let context = TestContext::new();
    context.write("requirements.txt", UNLOCKED);
    for filename in [TINY_WHEEL, TINY_SDIST] {
        let original = context.server.bytes(filename);
        context.server.replace_bytes(filename, ERROR_PAGE.to_vec());
        let run = context.lock(&[]);
        assert_eq!(run.code, 4, "{}", run.snapshot());
        assert!(
            run.stderr.contains(&format!(
                "`{filename}` cannot be recorded: `[INDEX]/files/{filename}` sent an HTML page of 121 bytes"
            )),
            "{}",
            run.stderr
        );
        assert_eq!(context.read("requirements.txt"), UNLOCKED);
        context.server.replace_bytes(filename, original);
    }
    // One page served for both files: both are refused, each by name.
    for filename in [TINY_WHEEL, TINY_SDIST] {
        context.server.replace_bytes(filename, ERROR_PAGE.to_vec());
    }
    let run = context.lock(&[]);
    assert_eq!(run.code, 4, "{}", run.snapshot());
    assert!(
        run.stderr.contains("refused: 2 downloads not an archive"),
        "{}",
        run.stderr
    );
}

#[test]
fn lock_refuses_to_record_bodies_cut_short_without_a_content_length() {
    // See: https://github.com/hashpin/hashpin/issues/8
    let context = unlocked();
    for (filename, keep) in [(TINY_WHEEL, 500), (TINY_SDIST, 5000)] {
        context.server.declare_size(filename, None);
        context.server.omit_content_length(filename);
        context.server.truncate_body(filename, keep);
    }
    let run = context.lock(&[]);
    insta::assert_snapshot!(run.snapshot(), @"
    exit code: 4
    ----- stdout -----
    ----- stderr -----
    error: `tinyproj-1.0.0-py3-none-any.whl` cannot be recorded: `[INDEX]/files/tinyproj-1.0.0-py3-none-any.whl` sent a zip archive cut short after 500 bytes, not a wheel
      requirement: tinyproj==1.0.0 (requirements.txt:1)
      url:         [INDEX]/files/tinyproj-1.0.0-py3-none-any.whl
      observed:    sha256:a847d6e162c921eb0c6c80474b18b7b1ee6a27e2315b060fc673f8f2c29126d2
    error: `tinyproj-1.0.0.tar.gz` cannot be recorded: `[INDEX]/files/tinyproj-1.0.0.tar.gz` sent a gzip'd tar archive cut short after 5000 bytes, not an sdist
      requirement: tinyproj==1.0.0 (requirements.txt:1)
      url:         [INDEX]/files/tinyproj-1.0.0.tar.gz
      observed:    sha256:916ffa46878051d6e060c410cdde825505eeacb4af47a888d22c14ae7d72d6c0
    hint: the index answered with something other than the file (an error page, a cut-off transfer); try again later, or ask the index's operator
    refused: 2 downloads not an archive; nothing written
    ");
    assert_eq!(context.read("requirements.txt"), UNLOCKED);
    assert_eq!(cached_files(&context), Vec::<String>::new());
}

#[test]
fn a_recorded_file_now_served_as_an_error_page_is_changed_as_before() {
    // See: https://github.com/hashpin/hashpin/issues/8
    let context = unlocked();
    assert_eq!(context.lock(&[]).code, 0);
    let locked = context.read("requirements.txt");
    context
        .server
        .replace_bytes(TINY_WHEEL, ERROR_PAGE.to_vec());
    let run = context.lock(&[]);
    assert_eq!(run.code, 1, "{}", run.snapshot());
    assert!(
        run.stderr
            .contains(&format!("`{TINY_WHEEL}` changed since it was locked")),
        "{}",
        run.stderr
    );
    assert!(
        run.stderr
            .contains("arrived:     an HTML page of 121 bytes"),
        "{}",
        run.stderr
    );
    assert_eq!(context.read("requirements.txt"), locked);
    // A deliberate re-record does not take the page either: the index failed (exit 4).
    let run = context.lock(&["--update"]);
    assert_eq!(run.code, 4, "{}", run.snapshot());
    assert!(
        run.stderr
            .contains("sent an HTML page of 121 bytes, not a wheel"),
        "{}",
        run.stderr
    );
    assert_eq!(context.read("requirements.txt"), locked);
}

#[test]
fn install_refuses_to_record_an_error_page() {
    // See: https://github.com/hashpin/hashpin/issues/8
    let context = unlocked();
    context.server.declare_size(TINY_WHEEL, None);
    // pip's resolution gets the wheel; hashpin's own download, the one it would record, the page.
    context
        .server
        .replace_bytes_after(TINY_WHEEL, 1, ERROR_PAGE.to_vec());
    let python = context.venv("venv");
    let index = context.server.simple_url();
    let run = context.run(&[
        "install",
        "--python",
        python.to_str().unwrap(),
        "-i",
        &index,
    ]);
    insta::assert_snapshot!(run.snapshot(), @"
    exit code: 4
    ----- stdout -----
    ----- stderr -----
    pip resolved 1 package
    error: `tinyproj-1.0.0-py3-none-any.whl` cannot be recorded: `[INDEX]/files/tinyproj-1.0.0-py3-none-any.whl` sent an HTML page of 121 bytes, not a wheel
      requirement: tinyproj==1.0.0 (requirements.txt:1)
      url:         [INDEX]/files/tinyproj-1.0.0-py3-none-any.whl
      observed:    sha256:0099be7553fb32ffbdc37f0461c58df3c486a0bf7349344ccb16f89fd77be0fe
    hint: the index answered with something other than the file (an error page, a cut-off transfer); nothing was recorded; try again later, or ask the index's operator
    refused: 1 artifact refused, 0 verified; nothing installed, the lockfile unchanged
    ");
    assert_eq!(context.read("requirements.txt"), UNLOCKED);
    let imported = Command::new(&python)
        .args(["-c", "import tinyproj"])
        .output()
        .unwrap();
    assert!(!imported.status.success(), "nothing is installed");
}

#[test]
fn a_wrong_md5_fragment_is_refused_as_a_wrong_sha256_is() {
    // See: https://github.com/hashpin/hashpin/issues/8
    let context = TestContext::new();
    context.write("requirements.txt", UNLOCKED);
    let html = context.server.html_simple_url();
    context.server.declare_md5(TINY_WHEEL, false);
    let run = context.run(&["lock", "-i", &html]);
    insta::assert_snapshot!(run.snapshot(), @r"
    exit code: 1
    ----- stdout -----
    ----- stderr -----
    error: the index declares a digest that `tinyproj-1.0.0-py3-none-any.whl` does not have
      requirement: tinyproj==1.0.0 (requirements.txt:1)
      url:         [INDEX]/files/tinyproj-1.0.0-py3-none-any.whl
      declared:    md5:91c002495c153c42d18a6a4236059587
      observed:    md5:1b99e59c20d335e27016fef4045cf2b6
    --- a/requirements.txt
    +++ b/requirements.txt
    @@ -1 +1,5 @@
    -tinyproj==1.0.0
    +tinyproj==1.0.0 \
    +    --hash=sha256:579a70f4d94e0634fed025f489280c121ab96de425a53cda9af7ae4db6619ba4 \
    +    --hash=sha256:69a25f6130fbe75b3c1c0aabddbed8a3b47df9f288022c9c27370d4d5d7f84ff
    +    # hashpin: tinyproj-1.0.0-py3-none-any.whl sha256:579a70f4d94e0634fed025f489280c121ab96de425a53cda9af7ae4db6619ba4 [INDEX]/files/tinyproj-1.0.0-py3-none-any.whl
    +    # hashpin: tinyproj-1.0.0.tar.gz sha256:69a25f6130fbe75b3c1c0aabddbed8a3b47df9f288022c9c27370d4d5d7f84ff [INDEX]/files/tinyproj-1.0.0.tar.gz
    refused: 1 declared digest wrong; nothing written
    ");
    assert_eq!(context.read("requirements.txt"), UNLOCKED);

    // A right one is fine, and is never recorded: pip takes no md5 after `--hash`.
    context.server.declare_md5(TINY_WHEEL, true);
    let run = context.run(&["lock", "-i", &html]);
    assert_eq!(run.code, 0, "{}", run.snapshot());
    let locked = context.read("requirements.txt");
    assert!(!locked.contains("md5"), "{locked}");

    // `check` downloads what it audits, and refuses the wrong md5 too.
    context.server.declare_md5(TINY_WHEEL, false);
    let run = context.run(&["check", "-i", &html]);
    assert_eq!(run.code, 1, "{}", run.snapshot());
    assert!(run.stdout.contains("index-mismatch"), "{}", run.stdout);
}

#[test]
fn a_wrong_md5_beside_a_right_sha256_in_json_is_refused() {
    // See: https://github.com/hashpin/hashpin/issues/8
    let context = TestContext::new();
    context.write("requirements.txt", UNLOCKED);
    context.server.declare_md5(TINY_SDIST, false);
    let run = context.lock(&[]);
    assert_eq!(run.code, 1, "{}", run.snapshot());
    assert!(
        run.stderr.contains(&format!(
            "error: the index declares a digest that `{TINY_SDIST}` does not have"
        )),
        "{}",
        run.stderr
    );
    assert!(run.stderr.contains("declared:    md5:"), "{}", run.stderr);
    assert_eq!(context.read("requirements.txt"), UNLOCKED);
}

/// The retry delay hashpin uses outside the tests (the harness makes it 5 ms): with it, the five
/// retries a network error gets take 15 s.
const REAL_RETRY_DELAY: (&str, &str) = ("HASHPIN_RETRY_DELAY_MS", "500");

/// A loopback server that accepts connections on `serve` and counts them: its port and the
/// count.
fn listener(serve: impl Fn(std::net::TcpStream) + Send + 'static) -> (u16, Arc<AtomicUsize>) {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let port = listener.local_addr().unwrap().port();
    let connections = Arc::new(AtomicUsize::new(0));
    let counter = Arc::clone(&connections);
    std::thread::spawn(move || {
        for stream in listener.incoming() {
            let Ok(stream) = stream else { continue };
            counter.fetch_add(1, Ordering::SeqCst);
            serve(stream);
        }
    });
    (port, connections)
}

/// A TLS server whose certificate no CA vouches for (self-signed, `testdata/tls`).
fn self_signed_server() -> (u16, Arc<AtomicUsize>) {
    use rustls::pki_types::pem::PemObject as _;
    use rustls::pki_types::{CertificateDer, PrivateKeyDer};
    let directory = Path::new(env!("CARGO_MANIFEST_DIR")).join("testdata/tls");
    let certificate = CertificateDer::from_pem_file(directory.join("cert.pem")).unwrap();
    let key = PrivateKeyDer::from_pem_file(directory.join("key.pem")).unwrap();
    let config = Arc::new(
        rustls::ServerConfig::builder_with_provider(Arc::new(
            rustls::crypto::ring::default_provider(),
        ))
        .with_safe_default_protocol_versions()
        .unwrap()
        .with_no_client_auth()
        .with_single_cert(vec![certificate], key)
        .unwrap(),
    );
    listener(move |mut stream| {
        let mut connection = rustls::ServerConnection::new(Arc::clone(&config)).unwrap();
        // The client gives up on the certificate half way through the handshake.
        let _ = connection.complete_io(&mut stream);
    })
}

/// `text` with the port and the time a run took replaced, for snapshots.
fn without_port_and_time(text: &str, port: u16) -> String {
    let text = text.replace(&port.to_string(), "[PORT]");
    match text.find(" retry, ").or_else(|| text.find(" retries, ")) {
        Some(start) => {
            let from = text[start..].find(", ").unwrap() + start + 2;
            let to = text[from..].find("s)").unwrap() + from + 1;
            format!("{}[TIME]{}", &text[..from], &text[to..])
        }
        None => text,
    }
}

#[test]
fn a_certificate_no_ca_vouches_for_fails_at_once() {
    // See: https://github.com/hashpin/hashpin/issues/8
    let context = TestContext::new();
    context.write("requirements.txt", UNLOCKED);
    let (port, connections) = self_signed_server();
    let index = format!("https://127.0.0.1:{port}/simple/");
    let started = Instant::now();
    let run = context.run_with_env(&["lock", "-i", &index], &[REAL_RETRY_DELAY]);
    let elapsed = started.elapsed();
    insta::assert_snapshot!(without_port_and_time(&run.snapshot(), port), @"
    exit code: 4
    ----- stdout -----
    ----- stderr -----
    error: GET `https://127.0.0.1:[PORT]/simple/tinyproj/` failed: invalid peer certificate: UnknownIssuer
    hint: if a proxy or mirror uses its own CA, pass `--cert <bundle.pem>` or set `PIP_CERT`
    nothing written: 1 problem
    ");
    // One attempt at the listing, one at PyPI's JSON API asked beside it: neither retried.
    assert_eq!(connections.load(Ordering::SeqCst), 2, "no retries");
    // Well under the 15 s five retries took; generous for a loaded CI runner.
    assert!(elapsed < Duration::from_secs(5), "{elapsed:?}");
}

/// A machine whose system store holds no CA certificate (a minimal container): the store's
/// file and directory point at an empty file and an empty directory.
fn without_system_roots(context: &TestContext) -> [(&'static str, String); 2] {
    let empty_file = context.write("no-roots/bundle.pem", "");
    let empty_dir = context.path("no-roots/certs");
    fs_err::create_dir_all(&empty_dir).unwrap();
    [
        ("SSL_CERT_FILE", empty_file.display().to_string()),
        ("SSL_CERT_DIR", empty_dir.display().to_string()),
    ]
}

#[test]
fn an_index_named_by_host_name_is_reached_through_hashpins_resolver() {
    // `localhost`, not an address: the name goes through the resolver hashpin gives reqwest
    // (asked once per host, asked again when an answer is slow).
    let context = unlocked();
    let index = context
        .server
        .simple_url()
        .replace("127.0.0.1", "localhost");
    let run = context.run(&["lock", "-i", &index]);
    assert_eq!(run.code, 0, "{}", run.snapshot());
    assert!(context.read("requirements.txt").contains("--hash=sha256:"));
}

#[test]
fn a_plain_http_index_needs_no_ca_certificate() {
    // The system's roots are read at the first https handshake: a lock against an index on this
    // machine works on a machine that has none (it failed to set up its client before).
    let context = unlocked();
    let vars = without_system_roots(&context);
    let vars: Vec<(&str, &str)> = vars.iter().map(|(k, v)| (*k, v.as_str())).collect();
    let index = context.server.simple_url();
    let run = context.run_with_env(&["lock", "-i", &index], &vars);
    assert_eq!(run.code, 0, "{}", run.snapshot());
    assert!(context.read("requirements.txt").contains("--hash=sha256:"));
}

#[test]
fn an_https_index_without_any_ca_certificate_is_refused_with_a_hint() {
    let context = TestContext::new();
    context.write("requirements.txt", UNLOCKED);
    let (port, connections) = self_signed_server();
    let vars = without_system_roots(&context);
    let mut vars: Vec<(&str, &str)> = vars.iter().map(|(k, v)| (*k, v.as_str())).collect();
    vars.push(REAL_RETRY_DELAY);
    let index = format!("https://127.0.0.1:{port}/simple/");
    let run = context.run_with_env(&["lock", "-i", &index], &vars);
    assert_eq!(run.code, 4, "{}", run.snapshot());
    assert!(
        run.stderr
            .contains("no CA certificate could be read from the system's store"),
        "{}",
        run.stderr
    );
    assert!(
        run.stderr.contains("pass `--cert <bundle.pem>`"),
        "{}",
        run.stderr
    );
    // Refused like a certificate no CA vouches for: not retried.
    assert_eq!(connections.load(Ordering::SeqCst), 2, "no retries");
    assert_eq!(context.read("requirements.txt"), UNLOCKED);
}

#[test]
fn https_to_a_plain_http_server_fails_at_once() {
    // See: https://github.com/hashpin/hashpin/issues/8
    let context = TestContext::new();
    context.write("requirements.txt", UNLOCKED);
    let (port, connections) = listener(|mut stream| {
        let mut hello = [0; 512];
        let _ = std::io::Read::read(&mut stream, &mut hello);
        let _ = std::io::Write::write_all(
            &mut stream,
            b"HTTP/1.1 400 Bad Request\r\nContent-Length: 0\r\nConnection: close\r\n\r\n",
        );
    });
    let index = format!("https://127.0.0.1:{port}/simple/");
    let started = Instant::now();
    let run = context.run_with_env(&["lock", "-i", &index], &[REAL_RETRY_DELAY]);
    let elapsed = started.elapsed();
    insta::assert_snapshot!(without_port_and_time(&run.snapshot(), port), @"
    exit code: 4
    ----- stdout -----
    ----- stderr -----
    error: GET `https://127.0.0.1:[PORT]/simple/tinyproj/` failed: received corrupt message of type InvalidContentType
    hint: the server does not seem to speak TLS at this address; if it is a plain-http index on a network you trust, use its `http://` URL with `--trusted-host`
    nothing written: 1 problem
    ");
    // One attempt at the listing, one at PyPI's JSON API asked beside it: neither retried.
    assert_eq!(connections.load(Ordering::SeqCst), 2, "no retries");
    // Well under the 15 s five retries took; generous for a loaded CI runner.
    assert!(elapsed < Duration::from_secs(5), "{elapsed:?}");
}

#[test]
fn a_refused_connection_fails_after_one_quick_retry() {
    // See: https://github.com/hashpin/hashpin/issues/8
    let context = TestContext::new();
    context.write("requirements.txt", UNLOCKED);
    // A port nothing listens on: bound, then let go.
    let port = TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let index = format!("http://127.0.0.1:{port}/simple/");
    let started = Instant::now();
    let run = context.run_with_env(&["lock", "-i", &index], &[REAL_RETRY_DELAY]);
    let elapsed = started.elapsed();
    insta::assert_snapshot!(without_port_and_time(&run.snapshot(), port), @"
    exit code: 4
    ----- stdout -----
    ----- stderr -----
    error: GET `http://127.0.0.1:[PORT]/simple/tinyproj/` failed: Connection refused (os error 111) (after 1 retry, [TIME])
    hint: nothing accepts connections there: check the URL and its port, and that the index is running
    nothing written: 1 problem
    ");
    // One 0.5 s retry, against the 15 s it took; generous for a loaded CI runner.
    assert!(elapsed < Duration::from_secs(6), "{elapsed:?}");
}

#[test]
fn a_410_is_reported_as_gone() {
    // See: https://github.com/hashpin/hashpin/issues/8
    let context = unlocked();
    context
        .server
        .fail_times(&format!("/files/{TINY_WHEEL}"), 410, 1);
    let run = context.lock(&[]);
    insta::assert_snapshot!(run.snapshot(), @"
    exit code: 4
    ----- stdout -----
    ----- stderr -----
    error: `[INDEX]/files/tinyproj-1.0.0-py3-none-any.whl` answered 410 Gone
    nothing written: 1 problem
    ");
    assert_eq!(context.read("requirements.txt"), UNLOCKED);
}
