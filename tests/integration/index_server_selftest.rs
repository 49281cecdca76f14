//! Checks that the loopback index (`index_server.rs`) and the generated
//! artifacts in `testdata/index` behave as the other tests assume.
//!
//! Uses a tiny std-only HTTP/1.1 client so that these checks do not depend
//! on the HTTP stack under test.

use std::collections::{BTreeMap, BTreeSet};
use std::fmt::Write as _;
use std::io::{Read, Write};
use std::net::TcpStream;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::Duration;

use sha2::{Digest, Sha256};
use url::Url;

use crate::index_server::IndexServer;

const ACCEPT_JSON: &str = "application/vnd.pypi.simple.v1+json";

/// Every artifact `testdata/make_index.py` generates, by project directory.
const EXPECTED_FILES: &[(&str, &str)] = &[
    ("tinyproj", "tinyproj-1.0.0-py3-none-any.whl"),
    ("tinyproj", "tinyproj-1.0.0.tar.gz"),
    ("tinyproj", "tinyproj-1.1.0-py3-none-any.whl"),
    ("tinyproj", "tinyproj-1.1.0.tar.gz"),
    ("other-proj", "other_proj-2.0.0-py3-none-any.whl"),
    ("other-proj", "other_proj-2.0.0.tar.gz"),
    (
        "platpkg",
        "platpkg-0.5.0-cp311-cp311-manylinux_2_17_x86_64.manylinux2014_x86_64.whl",
    ),
    (
        "platpkg",
        "platpkg-0.5.0-cp310-cp310-manylinux_2_17_x86_64.manylinux2014_x86_64.whl",
    ),
    ("platpkg", "platpkg-0.5.0-cp311-cp311-win_amd64.whl"),
    ("platpkg", "platpkg-0.5.0-cp311-cp311-macosx_11_0_arm64.whl"),
    (
        "platpkg",
        "platpkg-0.5.0-pp310-pypy310_pp73-manylinux_2_17_x86_64.whl",
    ),
    ("platpkg", "platpkg-0.5.0.tar.gz"),
    ("depa", "depa-1.0.0-py3-none-any.whl"),
    ("depa", "depa-1.0.0.tar.gz"),
    ("depb", "depb-1.0.0-py3-none-any.whl"),
    ("depb", "depb-1.0.0.tar.gz"),
    ("depb", "depb-1.2.0-py3-none-any.whl"),
    ("depb", "depb-1.2.0.tar.gz"),
    ("newfiles", "newfiles-3.0.0-py3-none-any.whl"),
    ("newfiles", "newfiles-3.0.0.tar.gz"),
];

const TINY_WHEEL: &str = "tinyproj-1.0.0-py3-none-any.whl";
const TINY_SDIST: &str = "tinyproj-1.0.0.tar.gz";

// ---------------------------------------------------------------------------
// A minimal HTTP client.

struct HttpResponse {
    status: u16,
    headers: Vec<(String, String)>,
    body: Vec<u8>,
}

impl HttpResponse {
    fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(n, _)| n.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    }

    fn content_length(&self) -> usize {
        self.header("content-length")
            .expect("Content-Length header")
            .parse()
            .expect("numeric Content-Length")
    }

    fn text(&self) -> String {
        String::from_utf8(self.body.clone()).expect("UTF-8 body")
    }

    fn json(&self) -> serde_json::Value {
        serde_json::from_slice(&self.body).expect("JSON body")
    }
}

/// `GET url` with no extra headers; reads until the server closes.
fn get(url: &str) -> HttpResponse {
    get_with(url, &[])
}

fn get_json(url: &str) -> HttpResponse {
    get_with(url, &[("Accept", ACCEPT_JSON)])
}

/// `GET url` with extra request headers. Never follows redirects.
fn get_with(url: &str, headers: &[(&str, &str)]) -> HttpResponse {
    request("GET", url, headers)
}

fn request(method: &str, url: &str, headers: &[(&str, &str)]) -> HttpResponse {
    let url = Url::parse(url).expect("valid URL");
    let host = url.host_str().expect("URL with a host");
    let port = url.port().expect("URL with a port");
    let mut stream = TcpStream::connect((host, port)).expect("connecting to the index");
    stream
        .set_read_timeout(Some(Duration::from_secs(30)))
        .unwrap();
    let target = match url.query() {
        Some(q) => format!("{}?{q}", url.path()),
        None => url.path().to_owned(),
    };
    let mut head = format!("{method} {target} HTTP/1.1\r\nHost: {host}:{port}\r\n");
    for (name, value) in headers {
        let _ = write!(head, "{name}: {value}\r\n");
    }
    head.push_str("Connection: close\r\n\r\n");
    stream.write_all(head.as_bytes()).unwrap();
    let mut raw = Vec::new();
    stream
        .read_to_end(&mut raw)
        .expect("reading the response until the server closes");
    let split = raw
        .windows(4)
        .position(|w| w == b"\r\n\r\n")
        .expect("a complete response head");
    let head = String::from_utf8(raw[..split].to_vec()).expect("ASCII head");
    let mut lines = head.split("\r\n");
    let status_line = lines.next().unwrap();
    let status = status_line
        .split(' ')
        .nth(1)
        .and_then(|s| s.parse().ok())
        .unwrap_or_else(|| panic!("bad status line {status_line:?}"));
    let headers = lines
        .map(|line| {
            let (n, v) = line.split_once(':').expect("header line");
            (n.trim().to_owned(), v.trim().to_owned())
        })
        .collect();
    HttpResponse {
        status,
        headers,
        body: raw[split + 4..].to_vec(),
    }
}

fn sha256_hex(bytes: &[u8]) -> String {
    hex::encode(Sha256::digest(bytes))
}

/// Resolves `href` against `page` and returns the absolute URL without its
/// fragment, plus the fragment.
fn resolve(page: &str, href: &str) -> (String, Option<String>) {
    let mut url = Url::parse(page).unwrap().join(href).unwrap();
    let fragment = url.fragment().map(str::to_owned);
    url.set_fragment(None);
    (url.to_string(), fragment)
}

/// `(href, whole <a ...> start tag)` for every anchor in an HTML page.
fn anchors(html: &str) -> Vec<(String, String)> {
    html.match_indices("<a ")
        .map(|(start, _)| {
            let tag = &html[start..=start + html[start..].find('>').unwrap()];
            let href_start = tag.find("href=\"").unwrap() + 6;
            let href_len = tag[href_start..].find('"').unwrap();
            let href = tag[href_start..href_start + href_len].replace("&amp;", "&");
            (href, tag.to_owned())
        })
        .collect()
}

/// The anchor start tag whose link text is `filename`.
fn anchor_for(html: &str, filename: &str) -> Option<String> {
    let end = html.find(&format!(">{filename}</a>"))?;
    let start = html[..end].rfind("<a ")?;
    Some(html[start..=end].to_owned())
}

/// The JSON `files` entry for `filename`.
fn json_file<'a>(page: &'a serde_json::Value, filename: &str) -> Option<&'a serde_json::Value> {
    page["files"]
        .as_array()
        .unwrap()
        .iter()
        .find(|f| f["filename"] == filename)
}

fn index_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("testdata/index")
}

/// Relative path -> bytes of every file under `dir`.
fn read_tree(dir: &Path) -> BTreeMap<String, Vec<u8>> {
    fn walk(root: &Path, dir: &Path, out: &mut BTreeMap<String, Vec<u8>>) {
        for entry in std::fs::read_dir(dir).unwrap() {
            let path = entry.unwrap().path();
            if path.is_dir() {
                walk(root, &path, out);
            } else {
                let rel = path.strip_prefix(root).unwrap().to_string_lossy();
                out.insert(rel.replace('\\', "/"), std::fs::read(&path).unwrap());
            }
        }
    }
    let mut out = BTreeMap::new();
    walk(dir, dir, &mut out);
    out
}

fn python3() -> Command {
    Command::new("python3")
}

fn run_ok(mut command: Command) -> String {
    let output = command
        .output()
        .unwrap_or_else(|e| panic!("running {command:?} (is python3 installed?): {e}"));
    let stdout = String::from_utf8_lossy(&output.stdout).into_owned();
    assert!(
        output.status.success(),
        "{command:?} failed with {}\nstdout:\n{stdout}\nstderr:\n{}",
        output.status,
        String::from_utf8_lossy(&output.stderr)
    );
    stdout
}

// ---------------------------------------------------------------------------
// Listings.

#[test]
fn project_page_negotiates_json_and_html() {
    let server = IndexServer::start();
    let page_url = format!("{}tinyproj/", server.simple_url());

    let json = get_json(&page_url);
    assert_eq!(json.status, 200);
    assert_eq!(json.header("content-type"), Some(ACCEPT_JSON));
    let page = json.json();
    assert_eq!(page["meta"]["api-version"], "1.1");
    assert_eq!(page["name"], "tinyproj");
    assert_eq!(page["versions"], serde_json::json!(["1.0.0", "1.1.0"]));
    let files = page["files"].as_array().unwrap();
    let names: Vec<&str> = files
        .iter()
        .map(|f| f["filename"].as_str().unwrap())
        .collect();
    let mut sorted = names.clone();
    sorted.sort_unstable();
    assert_eq!(names.len(), 4);
    assert_ne!(names, sorted, "listing order must not be sorted");
    for file in files {
        let filename = file["filename"].as_str().unwrap();
        let url = file["url"].as_str().unwrap();
        assert_eq!(url, format!("../../files/{filename}"), "relative URL");
        assert_eq!(resolve(&page_url, url).0, server.file_url(filename));
        assert_eq!(file["yanked"], false);
        assert_eq!(file["core-metadata"], false);
        assert_eq!(file["size"], server.bytes(filename).len());
        assert!(file.get("requires-python").is_none());
    }

    // The `latest` alias is JSON too; anything else is HTML.
    let latest = get_with(
        &page_url,
        &[("Accept", "application/vnd.pypi.simple.latest+json")],
    );
    assert_eq!(latest.header("content-type"), Some(ACCEPT_JSON));

    for accept in [None, Some("text/html"), Some("*/*")] {
        let headers: Vec<(&str, &str)> = accept.map(|a| ("Accept", a)).into_iter().collect();
        let html = get_with(&page_url, &headers);
        assert_eq!(html.status, 200);
        assert!(
            html.header("content-type")
                .unwrap()
                .starts_with("text/html")
        );
        let text = html.text();
        let links = anchors(&text);
        assert_eq!(links.len(), 4, "{text}");
        for (href, _) in links {
            assert!(href.starts_with("../../files/"), "relative href {href}");
            let (url, fragment) = resolve(&page_url, &href);
            let filename = url.rsplit('/').next().unwrap();
            assert_eq!(url, server.file_url(filename));
            assert_eq!(
                fragment,
                Some(format!("sha256={}", server.sha256(filename)))
            );
        }
    }
}

#[test]
fn html_simple_is_always_html_and_resolves_to_files() {
    let server = IndexServer::start();
    let page_url = format!("{}depb/", server.html_simple_url());
    let response = get_json(&page_url);
    assert_eq!(response.status, 200);
    assert!(
        response
            .header("content-type")
            .unwrap()
            .starts_with("text/html")
    );
    let text = response.text();
    assert!(text.contains("<meta name=\"pypi:repository-version\""));
    let links = anchors(&text);
    assert_eq!(links.len(), 4);
    for (href, _) in links {
        let (url, _) = resolve(&page_url, &href);
        let filename = url.rsplit('/').next().unwrap();
        assert!(filename.starts_with("depb-"));
        assert_eq!(url, server.file_url(filename));
        assert_eq!(get(&url).body, server.bytes(filename));
    }
}

#[test]
fn non_normalized_names_redirect() {
    let server = IndexServer::start();
    for (path, location) in [
        ("/simple/Other_Proj/", "/simple/other-proj/"),
        ("/simple/other.proj/", "/simple/other-proj/"),
        ("/simple/OTHER-__-proj/", "/simple/other-proj/"),
        ("/simple/other-proj", "/simple/other-proj/"),
        ("/html/simple/Other_Proj/", "/html/simple/other-proj/"),
        ("/simple", "/simple/"),
    ] {
        let response = get_json(&format!("{}{path}", server.base_url()));
        assert_eq!(response.status, 301, "{path}");
        assert_eq!(response.header("location"), Some(location), "{path}");
    }
    let page = get_json(&format!("{}other-proj/", server.simple_url())).json();
    assert_eq!(page["name"], "other-proj");
    assert_eq!(page["versions"], serde_json::json!(["2.0.0"]));
    assert!(json_file(&page, "other_proj-2.0.0-py3-none-any.whl").is_some());

    assert_eq!(
        get(&format!("{}no-such-project/", server.simple_url())).status,
        404
    );
    assert_eq!(get(&server.file_url("no-such-file.whl")).status, 404);
    assert_eq!(get(&format!("{}/elsewhere", server.base_url())).status, 404);
    assert_eq!(request("POST", &server.simple_url(), &[]).status, 405);
}

#[test]
fn root_index_lists_projects() {
    let server = IndexServer::start();
    let projects: BTreeSet<&str> = EXPECTED_FILES.iter().map(|(p, _)| *p).collect();

    let html = get(&server.simple_url()).text();
    let hrefs: BTreeSet<String> = anchors(&html).into_iter().map(|(h, _)| h).collect();
    let expected: BTreeSet<String> = projects.iter().map(|p| format!("{p}/")).collect();
    assert_eq!(hrefs, expected);
    assert_eq!(get(&server.html_simple_url()).text(), html);

    let json = get_json(&server.simple_url()).json();
    let names: BTreeSet<&str> = json["projects"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| p["name"].as_str().unwrap())
        .collect();
    assert_eq!(names, projects);
}

#[test]
fn find_links_page_lists_every_file() {
    let server = IndexServer::start();
    let page_url = server.find_links_url();
    let text = get(&page_url).text();
    let mut seen = BTreeSet::new();
    for (href, _) in anchors(&text) {
        assert!(href.starts_with("/files/"), "absolute-path href {href}");
        let (url, fragment) = resolve(&page_url, &href);
        let filename = url.rsplit('/').next().unwrap().to_owned();
        assert_eq!(url, server.file_url(&filename));
        assert_eq!(
            fragment,
            Some(format!("sha256={}", server.sha256(&filename)))
        );
        seen.insert(filename);
    }
    let expected: BTreeSet<String> = EXPECTED_FILES
        .iter()
        .map(|(_, f)| (*f).to_owned())
        .collect();
    assert_eq!(seen, expected);
}

#[test]
fn declared_hashes_match_downloaded_bytes() {
    let server = IndexServer::start();
    let on_disk = read_tree(&index_dir());
    for (project, filename) in EXPECTED_FILES {
        let page_url = format!("{}{project}/", server.simple_url());
        let page = get_json(&page_url).json();
        let entry = json_file(&page, filename).unwrap_or_else(|| panic!("{filename} listed"));
        let declared = entry["hashes"]["sha256"].as_str().unwrap();

        let (url, _) = resolve(&page_url, entry["url"].as_str().unwrap());
        let download = get(&url);
        assert_eq!(download.status, 200);
        assert_eq!(
            download.header("content-type"),
            Some("application/octet-stream")
        );
        assert_eq!(download.content_length(), download.body.len());
        assert_eq!(sha256_hex(&download.body), declared, "{filename}");
        assert_eq!(server.sha256(filename), declared);
        assert_eq!(server.bytes(filename), download.body);
        assert_eq!(on_disk[&format!("{project}/{filename}")], download.body);
    }
}

#[test]
fn serves_concurrent_clients() {
    let server = IndexServer::start();
    let url = server.file_url(TINY_WHEEL);
    let expected = server.bytes(TINY_WHEEL);
    std::thread::scope(|scope| {
        let handles: Vec<_> = (0..8).map(|_| scope.spawn(|| get(&url).body)).collect();
        for handle in handles {
            assert_eq!(handle.join().unwrap(), expected);
        }
    });
    assert_eq!(server.request_count(), 8);
}

// ---------------------------------------------------------------------------
// Misbehaviour switches.

#[test]
fn fail_times_fails_then_recovers() {
    let server = IndexServer::start();
    server.fail_times("/files/tinyproj-1.0.0", 500, 2);
    server.fail_times("/simple/depa/", 429, 1);

    // Other paths are unaffected while faults are pending.
    assert_eq!(get(&server.file_url("tinyproj-1.1.0.tar.gz")).status, 200);

    assert_eq!(get(&server.file_url(TINY_WHEEL)).status, 500);
    assert_eq!(get(&server.file_url(TINY_SDIST)).status, 500);
    let ok = get(&server.file_url(TINY_WHEEL));
    assert_eq!(ok.status, 200);
    assert_eq!(ok.body, server.bytes(TINY_WHEEL));

    let listing = format!("{}depa/", server.simple_url());
    assert_eq!(get_json(&listing).status, 429);
    assert_eq!(get_json(&listing).status, 200);
}

#[test]
fn truncate_body_sends_fewer_bytes_than_content_length() {
    let server = IndexServer::start();
    let full = server.bytes(TINY_WHEEL);
    server.truncate_body(TINY_WHEEL, 100);
    let response = get(&server.file_url(TINY_WHEEL));
    assert_eq!(response.status, 200);
    assert_eq!(response.content_length(), full.len());
    assert_eq!(response.body, full[..100]);
    // Other files are whole.
    let other = get(&server.file_url(TINY_SDIST));
    assert_eq!(other.body.len(), other.content_length());
}

#[test]
fn declare_size_changes_or_removes_the_listed_size() {
    let server = IndexServer::start();
    let page_url = format!("{}tinyproj/", server.simple_url());
    let real = server.bytes(TINY_WHEEL).len();
    let page = get_json(&page_url).json();
    assert_eq!(json_file(&page, TINY_WHEEL).unwrap()["size"], real);

    server.declare_size(TINY_WHEEL, Some(100));
    let page = get_json(&page_url).json();
    assert_eq!(json_file(&page, TINY_WHEEL).unwrap()["size"], 100);
    assert_eq!(get(&server.file_url(TINY_WHEEL)).body.len(), real);

    server.declare_size(TINY_WHEEL, None);
    let page = get_json(&page_url).json();
    assert!(json_file(&page, TINY_WHEEL).unwrap().get("size").is_none());
    // Other files keep their real size.
    let sdist = json_file(&page, TINY_SDIST).unwrap();
    assert_eq!(sdist["size"], server.bytes(TINY_SDIST).len());
}

#[test]
fn understate_content_length_sends_more_than_it_announces() {
    let server = IndexServer::start();
    let full = server.bytes(TINY_SDIST);
    server.understate_content_length(TINY_SDIST, 100);
    // This client reads until the server closes, so it sees everything that was sent.
    let response = get(&server.file_url(TINY_SDIST));
    assert_eq!(response.status, 200);
    assert_eq!(response.content_length(), 100);
    assert_eq!(response.body, full);
}

#[test]
fn omit_content_length_ends_the_body_with_the_connection() {
    let server = IndexServer::start();
    let full = server.bytes(TINY_WHEEL);
    server.omit_content_length(TINY_WHEEL);
    server.truncate_body(TINY_WHEEL, 100);
    let response = get(&server.file_url(TINY_WHEEL));
    assert_eq!(response.status, 200);
    assert_eq!(response.header("content-length"), None);
    assert_eq!(response.header("transfer-encoding"), None);
    assert_eq!(response.body, full[..100]);
}

#[test]
fn replace_bytes_after_serves_the_original_first() {
    let server = IndexServer::start();
    let original = server.bytes(TINY_WHEEL);
    server.replace_bytes_after(TINY_WHEEL, 1, b"<html>oops</html>".to_vec());
    assert_eq!(get(&server.file_url(TINY_WHEEL)).body, original);
    assert_eq!(get(&server.file_url(TINY_WHEEL)).body, b"<html>oops</html>");
    assert_eq!(get(&server.file_url(TINY_WHEEL)).body, b"<html>oops</html>");
    // Listings still describe the original.
    assert_eq!(server.sha256(TINY_WHEEL), sha256_hex(&original));
}

#[test]
fn endless_body_streams_chunks_until_the_client_leaves() {
    let server = IndexServer::start();
    server.endless_body(TINY_WHEEL);
    let url = Url::parse(&server.file_url(TINY_WHEEL)).unwrap();
    let mut stream = TcpStream::connect((url.host_str().unwrap(), url.port().unwrap())).unwrap();
    stream
        .set_read_timeout(Some(Duration::from_secs(30)))
        .unwrap();
    write!(
        stream,
        "GET {} HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n",
        url.path()
    )
    .unwrap();
    // Far more than the file, and still coming: read 4 MiB, then hang up.
    let mut received = vec![0; 4 * 1024 * 1024];
    stream.read_exact(&mut received).unwrap();
    let head_end = received.windows(4).position(|w| w == b"\r\n\r\n").unwrap();
    let head = String::from_utf8_lossy(&received[..head_end]).to_ascii_lowercase();
    assert!(head.contains("transfer-encoding: chunked"), "{head}");
    assert!(!head.contains("content-length"), "{head}");
    assert!(received[head_end + 4..].starts_with(b"10000\r\nxxxx"));
    drop(stream);
    // The server is still well.
    assert_eq!(
        get(&server.file_url(TINY_SDIST)).body,
        server.bytes(TINY_SDIST)
    );
}

#[test]
fn replace_bytes_changes_bytes_and_declared_hash() {
    let server = IndexServer::start();
    let page_url = format!("{}tinyproj/", server.simple_url());
    let old_hash = server.sha256(TINY_WHEEL);
    let new_bytes = b"republished, not even a zip".to_vec();
    server.replace_bytes(TINY_WHEEL, new_bytes.clone());

    assert_eq!(server.bytes(TINY_WHEEL), new_bytes);
    assert_eq!(server.sha256(TINY_WHEEL), sha256_hex(&new_bytes));
    assert_ne!(server.sha256(TINY_WHEEL), old_hash);
    assert_eq!(get(&server.file_url(TINY_WHEEL)).body, new_bytes);

    let page = get_json(&page_url).json();
    let entry = json_file(&page, TINY_WHEEL).unwrap();
    assert_eq!(entry["hashes"]["sha256"], sha256_hex(&new_bytes));
    assert_eq!(entry["size"], new_bytes.len());
    let html = get(&page_url).text();
    assert!(
        anchor_for(&html, TINY_WHEEL)
            .unwrap()
            .contains(&format!("#sha256={}", sha256_hex(&new_bytes)))
    );
}

#[test]
fn declare_wrong_hash_keeps_the_bytes() {
    let server = IndexServer::start();
    let bytes = server.bytes(TINY_WHEEL);
    server.declare_wrong_hash(TINY_WHEEL);

    let page_url = format!("{}tinyproj/", server.simple_url());
    let page = get_json(&page_url).json();
    let declared = json_file(&page, TINY_WHEEL).unwrap()["hashes"]["sha256"]
        .as_str()
        .unwrap()
        .to_owned();
    assert_eq!(declared.len(), 64);
    assert_ne!(declared, sha256_hex(&bytes));
    assert_eq!(server.sha256(TINY_WHEEL), sha256_hex(&bytes));
    assert_eq!(get(&server.file_url(TINY_WHEEL)).body, bytes);

    let html = get(&page_url).text();
    assert!(
        anchor_for(&html, TINY_WHEEL)
            .unwrap()
            .contains(&format!("#sha256={declared}"))
    );
    let links = get(&server.find_links_url()).text();
    assert!(
        anchor_for(&links, TINY_WHEEL)
            .unwrap()
            .contains(&format!("#sha256={declared}"))
    );
    // Other files still declare their true hash.
    let sdist = json_file(&page, TINY_SDIST).unwrap();
    assert_eq!(sdist["hashes"]["sha256"], server.sha256(TINY_SDIST));
}

#[test]
fn add_and_remove_files() {
    let server = IndexServer::start();
    let page_url = format!("{}newfiles/", server.simple_url());
    let new_wheel = "newfiles-3.0.1-py3-none-any.whl";
    let bytes = server.bytes("newfiles-3.0.0-py3-none-any.whl");
    server.add_file("newfiles", new_wheel, bytes.clone());

    let page = get_json(&page_url).json();
    assert_eq!(page["versions"], serde_json::json!(["3.0.0", "3.0.1"]));
    let entry = json_file(&page, new_wheel).unwrap();
    assert_eq!(entry["hashes"]["sha256"], sha256_hex(&bytes));
    assert!(anchor_for(&get(&page_url).text(), new_wheel).is_some());
    assert!(anchor_for(&get(&server.find_links_url()).text(), new_wheel).is_some());
    assert_eq!(get(&server.file_url(new_wheel)).body, bytes);

    // A brand-new project appears under its normalized name.
    server.add_file("Brand_New", "brand_new-0.1.tar.gz", b"sdist".to_vec());
    let page = get_json(&format!("{}brand-new/", server.simple_url())).json();
    assert_eq!(page["versions"], serde_json::json!(["0.1"]));

    server.remove_file(new_wheel);
    server.remove_file("newfiles-3.0.0.tar.gz");
    let page = get_json(&page_url).json();
    let names: Vec<&str> = page["files"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| f["filename"].as_str().unwrap())
        .collect();
    assert_eq!(names, ["newfiles-3.0.0-py3-none-any.whl"]);
    assert_eq!(page["versions"], serde_json::json!(["3.0.0"]));
    assert_eq!(get(&server.file_url(new_wheel)).status, 404);
    assert!(anchor_for(&get(&page_url).text(), new_wheel).is_none());

    // Removing the last file leaves an empty listing, not a 404.
    server.remove_file("newfiles-3.0.0-py3-none-any.whl");
    let page = get_json(&page_url).json();
    assert_eq!(page["files"], serde_json::json!([]));
}

#[test]
fn yanked_and_requires_python_are_declared() {
    let server = IndexServer::start();
    let page_url = format!("{}depb/", server.simple_url());
    let with_reason = "depb-1.2.0-py3-none-any.whl";
    let without_reason = "depb-1.2.0.tar.gz";
    server.set_yanked(with_reason, Some("broken <build> & \"worse\""));
    server.set_yanked(without_reason, None);
    server.set_requires_python(with_reason, ">=3.8");

    let page = get_json(&page_url).json();
    let entry = json_file(&page, with_reason).unwrap();
    assert_eq!(entry["yanked"], "broken <build> & \"worse\"");
    assert_eq!(entry["requires-python"], ">=3.8");
    assert_eq!(json_file(&page, without_reason).unwrap()["yanked"], true);
    assert_eq!(
        json_file(&page, "depb-1.0.0.tar.gz").unwrap()["yanked"],
        false
    );

    let html = get(&page_url).text();
    let tag = anchor_for(&html, with_reason).unwrap();
    assert!(tag.contains(" data-requires-python=\"&gt;=3.8\""), "{tag}");
    assert!(
        tag.contains(" data-yanked=\"broken &lt;build&gt; &amp; &quot;worse&quot;\""),
        "{tag}"
    );
    let tag = anchor_for(&html, without_reason).unwrap();
    assert!(tag.contains(" data-yanked=\"\""), "{tag}");
    assert!(!tag.contains("data-requires-python"), "{tag}");
    let tag = anchor_for(&html, "depb-1.0.0.tar.gz").unwrap();
    assert!(!tag.contains("data-yanked"), "{tag}");
}

#[test]
fn declare_md5_adds_a_right_or_wrong_md5() {
    use md5::Digest as _;
    let server = IndexServer::start();
    let page_url = format!("{}tinyproj/", server.simple_url());
    let html_url = format!("{}tinyproj/", server.html_simple_url());
    let right = hex::encode(md5::Md5::digest(server.bytes(TINY_WHEEL)));
    let api = format!("{}/pypi/tinyproj/1.0.0/json", server.base_url());
    let api_md5 = |response: HttpResponse| {
        response.json()["urls"]
            .as_array()
            .unwrap()
            .iter()
            .find(|file| file["filename"] == TINY_WHEEL)
            .unwrap()["digests"]["md5"]
            .as_str()
            .unwrap()
            .to_owned()
    };
    // The JSON API always declares the right md5; simple pages none.
    assert_eq!(api_md5(get(&api)), right);
    assert!(!get(&html_url).text().contains("#md5="));

    server.declare_md5(TINY_WHEEL, true);
    let page = get_json(&page_url).json();
    assert_eq!(
        json_file(&page, TINY_WHEEL).unwrap()["hashes"]["md5"],
        right
    );
    let anchor = anchor_for(&get(&html_url).text(), TINY_WHEEL).unwrap();
    assert!(anchor.contains(&format!("#md5={right}")), "{anchor}");
    assert!(!anchor.contains("sha256"), "{anchor}");

    server.declare_md5(TINY_WHEEL, false);
    let page = get_json(&page_url).json();
    let wrong = json_file(&page, TINY_WHEEL).unwrap()["hashes"]["md5"]
        .as_str()
        .unwrap()
        .to_owned();
    assert_eq!(wrong.len(), 32);
    assert_ne!(wrong, right);
    assert!(get(&html_url).text().contains(&format!("#md5={wrong}")));
    assert_eq!(api_md5(get(&api)), wrong);
    // The sha256 and the bytes stay true.
    assert_eq!(
        json_file(&page, TINY_WHEEL).unwrap()["hashes"]["sha256"],
        server.sha256(TINY_WHEEL)
    );
}

#[test]
fn omit_hashes_removes_every_declared_hash() {
    let server = IndexServer::start();
    let page_url = format!("{}tinyproj/", server.simple_url());
    server.omit_hashes(true);

    let page = get_json(&page_url).json();
    for file in page["files"].as_array().unwrap() {
        assert_eq!(file["hashes"], serde_json::json!({}));
    }
    assert!(!get(&page_url).text().contains("sha256"));
    assert!(!get(&server.find_links_url()).text().contains("sha256"));
    assert!(
        !get(&format!("{}tinyproj/", server.html_simple_url()))
            .text()
            .contains('#')
    );

    server.omit_hashes(false);
    let page = get_json(&page_url).json();
    let entry = json_file(&page, TINY_WHEEL).unwrap();
    assert_eq!(entry["hashes"]["sha256"], server.sha256(TINY_WHEEL));
}

#[test]
fn request_log_records_every_request_in_order() {
    let server = IndexServer::start();
    assert_eq!(server.request_count(), 0);
    server.fail_times("tinyproj-1.1.0", 503, 1);
    get_json(&format!("{}Other_Proj/", server.simple_url()));
    get(&server.file_url("tinyproj-1.1.0.tar.gz"));
    get(&server.file_url("tinyproj-1.1.0.tar.gz"));
    get(&format!("{}/nowhere?x=1", server.base_url()));
    get(&server.find_links_url());
    assert_eq!(
        server.request_log(),
        [
            "GET /simple/Other_Proj/",
            "GET /files/tinyproj-1.1.0.tar.gz",
            "GET /files/tinyproj-1.1.0.tar.gz",
            "GET /nowhere?x=1",
            "GET /links/",
        ]
    );
    assert_eq!(server.request_count(), 5);
}

// ---------------------------------------------------------------------------
// The generated artifacts.

/// Checks every wheel (zip integrity, RECORD rows against members, names,
/// tags) and every sdist (gzip/tar integrity, PKG-INFO) with Python's own
/// zipfile/tarfile modules.
const VALIDATE_PY: &str = r#"
import base64, csv, hashlib, io, pathlib, re, sys, tarfile, zipfile

def norm(name):
    return re.sub(r"[-_.]+", "_", name).lower()

def expand(tags):
    py, abi, plat = tags.split("-")
    return sorted(f"{p}-{a}-{q}" for p in py.split(".") for a in abi.split(".") for q in plat.split("."))

wheels = sdists = 0
for path in sorted(pathlib.Path(sys.argv[1]).glob("*/*")):
    if path.suffix == ".whl":
        dist, version, tags = re.fullmatch(r"([^-]+)-([^-]+)-(.+)\.whl", path.name).groups()
        info = f"{dist}-{version}.dist-info"
        with zipfile.ZipFile(path) as zf:
            assert zf.testzip() is None, path
            names = zf.namelist()
            assert len(names) == len(set(names)), path
            rows = list(csv.reader(io.StringIO(zf.read(f"{info}/RECORD").decode())))
            listed = {}
            for arc, digest, size in rows:
                assert arc not in listed, (path, arc)
                listed[arc] = (digest, size)
            assert set(listed) == set(names), (path, sorted(listed), names)
            for arc in names:
                digest, size = listed[arc]
                if arc == f"{info}/RECORD":
                    assert (digest, size) == ("", ""), path
                    continue
                data = zf.read(arc)
                want = "sha256=" + base64.urlsafe_b64encode(hashlib.sha256(data).digest()).rstrip(b"=").decode()
                assert digest == want and size == str(len(data)), (path, arc)
            meta = zf.read(f"{info}/METADATA").decode()
            assert meta.startswith("Metadata-Version: 2.1\n"), path
            name = re.search(r"^Name: (.+)$", meta, re.M).group(1)
            assert norm(name) == dist, (path, name)
            assert re.search(rf"^Version: {re.escape(version)}$", meta, re.M), path
            wheel = zf.read(f"{info}/WHEEL").decode()
            assert "Wheel-Version: 1.0\n" in wheel and "Root-Is-Purelib: true\n" in wheel, path
            assert sorted(re.findall(r"^Tag: (.+)$", wheel, re.M)) == expand(tags), path
            init = zf.read(f"{norm(name)}/__init__.py").decode()
            assert f'__version__ = "{version}"' in init, path
        wheels += 1
    elif path.name.endswith(".tar.gz"):
        top = path.name[: -len(".tar.gz")]
        dist, version = top.rsplit("-", 1)
        with tarfile.open(path, "r:gz") as tf:
            members = {m.name: m for m in tf.getmembers()}
            for need in ("PKG-INFO", "pyproject.toml", "setup.cfg", f"{dist}/__init__.py"):
                assert f"{top}/{need}" in members, (path, need)
            pkg_info = tf.extractfile(f"{top}/PKG-INFO").read().decode()
            name = re.search(r"^Name: (.+)$", pkg_info, re.M).group(1)
            assert norm(name) == dist, (path, name)
            assert re.search(rf"^Version: {re.escape(version)}$", pkg_info, re.M), path
        sdists += 1
    else:
        raise AssertionError(f"unexpected file {path}")
print(wheels, sdists)
"#;

#[test]
fn generated_wheels_and_sdists_are_valid() {
    let mut command = python3();
    command.arg("-c").arg(VALIDATE_PY).arg(index_dir());
    let counts = run_ok(command);
    let wheels = EXPECTED_FILES
        .iter()
        .filter(|(_, f)| Path::new(f).extension().is_some_and(|e| e == "whl"))
        .count();
    let sdists = EXPECTED_FILES.len() - wheels;
    assert_eq!(counts.trim(), format!("{wheels} {sdists}"));
}

#[test]
fn generator_is_deterministic() {
    let out = tempfile::tempdir().unwrap();
    let script = Path::new(env!("CARGO_MANIFEST_DIR")).join("testdata/make_index.py");
    let mut command = python3();
    command.arg(&script).arg("--out").arg(out.path());
    run_ok(command);

    let committed = read_tree(&index_dir());
    let regenerated = read_tree(out.path());
    assert_eq!(
        committed.keys().collect::<Vec<_>>(),
        regenerated.keys().collect::<Vec<_>>(),
        "file sets differ: rerun `python3 testdata/make_index.py`"
    );
    for (path, bytes) in &committed {
        assert!(
            regenerated[path] == *bytes,
            "{path} differs from what testdata/make_index.py generates now; rerun it"
        );
    }
    let expected: BTreeSet<String> = EXPECTED_FILES
        .iter()
        .map(|(p, f)| format!("{p}/{f}"))
        .chain(["README.md".to_owned()])
        .collect();
    assert_eq!(committed.keys().cloned().collect::<BTreeSet<_>>(), expected);
}
