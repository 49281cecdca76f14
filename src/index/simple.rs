//! Reading simple-repository pages: PEP 691 JSON and PEP 503 HTML.
//!
//! Both yield the same [`IndexFile`]s: an absolute URL (relative links resolved against the
//! page, or its `<base href>`), declared digests (JSON `hashes`, or a `#<algorithm>=` fragment,
//! in every algorithm hashpin computes: sha256, sha384, sha512, blake2b-256, md5, sha1),
//! `requires-python`, PEP 592 yanking and the PEP 700 size. A filename that could act as a path
//! is refused here, before anything else sees it.
//!
//! The root page, which lists the projects an index serves, is read for names only
//! ([`parse_root_json`], [`parse_root_html`]); a name that is not a valid project name is left
//! out.

use serde::Deserialize;
use url::Url;

use crate::artifact::check_filename;
use crate::hash::{HashAlgorithm, HashDigest};
use crate::name::PackageName;

/// One file a listing offers.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct IndexFile {
    /// The filename, checked to be a plain name.
    pub(crate) filename: String,
    /// Where to download it, absolute, without a fragment (may carry credentials).
    pub(crate) url: Url,
    /// Digests the listing declares, for the algorithms hashpin computes (md5 and sha1 among
    /// them, to be compared with the bytes; never recorded).
    pub(crate) declared: Vec<HashDigest>,
    /// PEP 345 `Requires-Python`, as declared.
    pub(crate) requires_python: Option<String>,
    /// PEP 592: `Some(reason)` when yanked (the reason may be empty).
    pub(crate) yanked: Option<String>,
    /// PEP 700 size in bytes, when declared.
    pub(crate) size: Option<u64>,
    /// PEP 700 `upload-time` (RFC 3339), when declared (JSON pages only).
    pub(crate) upload_time: Option<String>,
    /// PEP 658/714: the index serves the file's core metadata separately, with this digest
    /// (`sha256=<hex>`) or just `true`.
    pub(crate) core_metadata: Option<String>,
}

/// A parsed page: the files, and the names refused as unsafe.
#[derive(Debug, Default, Clone)]
pub(crate) struct Page {
    /// Files with acceptable names.
    pub(crate) files: Vec<IndexFile>,
    /// Filenames refused because they could act as paths.
    pub(crate) refused: Vec<String>,
}

impl Page {
    fn push(&mut self, file: IndexFile) {
        match check_filename(&file.filename) {
            Ok(()) => self.files.push(file),
            Err(_) => self.refused.push(file.filename.escape_debug().to_string()),
        }
    }
}

#[derive(Deserialize)]
struct JsonPage {
    meta: JsonMeta,
    files: Vec<JsonFile>,
}

#[derive(Deserialize)]
struct JsonMeta {
    #[serde(rename = "api-version")]
    api_version: String,
}

#[derive(Deserialize)]
struct JsonFile {
    filename: String,
    url: String,
    #[serde(default)]
    hashes: std::collections::BTreeMap<String, String>,
    #[serde(rename = "requires-python", default)]
    requires_python: Option<String>,
    #[serde(default)]
    yanked: Option<serde_json::Value>,
    #[serde(default)]
    size: Option<u64>,
    #[serde(rename = "upload-time", default)]
    upload_time: Option<String>,
    /// PEP 714's name, and PEP 658's older one.
    #[serde(rename = "core-metadata", default)]
    core_metadata: Option<serde_json::Value>,
    #[serde(rename = "dist-info-metadata", default)]
    dist_info_metadata: Option<serde_json::Value>,
}

/// Why a page could not be read.
#[derive(Debug, thiserror::Error)]
pub(crate) enum PageError {
    /// Not valid PEP 691 JSON.
    #[error("invalid PEP 691 JSON: {0}")]
    Json(#[from] serde_json::Error),
    /// A major API version this client does not speak.
    #[error("unsupported simple API version `{0}` (expected 1.x)")]
    Version(String),
    /// A link that does not resolve to a URL.
    #[error("invalid link `{href}`: {reason}")]
    Link {
        /// The link as written.
        href: String,
        /// Why.
        reason: url::ParseError,
    },
}

fn declared_digest(algorithm: &str, hex: &str) -> Option<HashDigest> {
    let algorithm = HashAlgorithm::from_name(algorithm)?;
    HashDigest::new(algorithm, hex).ok()
}

/// Refuses a major API version other than 1 (PEP 629: a client must not guess at one).
fn check_version(meta: JsonMeta) -> Result<(), PageError> {
    if !meta.api_version.starts_with("1.") && meta.api_version != "1" {
        return Err(PageError::Version(meta.api_version));
    }
    Ok(())
}

/// Parses a PEP 691 JSON page served at `page_url`.
pub(crate) fn parse_json(body: &[u8], page_url: &Url) -> Result<Page, PageError> {
    let page: JsonPage = serde_json::from_slice(body)?;
    check_version(page.meta)?;
    let mut out = Page::default();
    for file in page.files {
        let mut url = page_url.join(&file.url).map_err(|reason| PageError::Link {
            href: file.url.clone(),
            reason,
        })?;
        let mut declared: Vec<HashDigest> = file
            .hashes
            .iter()
            .filter_map(|(algorithm, hex)| declared_digest(algorithm, hex))
            .collect();
        declared.extend(fragment_digest(&url));
        declared.sort();
        declared.dedup();
        url.set_fragment(None);
        let yanked = match file.yanked {
            Some(serde_json::Value::Bool(true)) => Some(String::new()),
            Some(serde_json::Value::String(reason)) => Some(reason),
            _ => None,
        };
        out.push(IndexFile {
            filename: file.filename,
            url,
            declared,
            requires_python: file.requires_python,
            yanked,
            size: file.size,
            upload_time: file.upload_time,
            core_metadata: metadata_value(file.core_metadata.or(file.dist_info_metadata)),
        });
    }
    Ok(out)
}

/// A PEP 691 JSON root page.
#[derive(Deserialize)]
struct JsonRoot {
    meta: JsonMeta,
    projects: Vec<JsonProject>,
}

/// One project of a JSON root page; other keys (`_last-serial`) are ignored.
#[derive(Deserialize)]
struct JsonProject {
    name: String,
}

/// Parses a PEP 691 JSON root page: the names in `projects`, normalized, in page order.
pub(crate) fn parse_root_json(body: &[u8]) -> Result<Vec<PackageName>, PageError> {
    let root: JsonRoot = serde_json::from_slice(body)?;
    check_version(root.meta)?;
    Ok(root
        .projects
        .iter()
        .filter_map(|project| PackageName::validated(&project.name))
        .collect())
}

/// Parses a PEP 503 HTML root page: the text of each anchor, which PEP 503 says is the
/// project's name, normalized, in page order.
pub(crate) fn parse_root_html(body: &str) -> Vec<PackageName> {
    let mut names = Vec::new();
    let mut rest = body;
    while let Some(open) = rest.find('<') {
        rest = &rest[open + 1..];
        let close = rest.find('>').unwrap_or(rest.len());
        let tag = &rest[..close];
        rest = &rest[(close + 1).min(rest.len())..];
        let is_anchor = tag
            .split(char::is_whitespace)
            .next()
            .is_some_and(|name| name.eq_ignore_ascii_case("a"));
        if !is_anchor {
            continue;
        }
        let text = &rest[..rest.find('<').unwrap_or(rest.len())];
        names.extend(PackageName::validated(decode_entities(text).trim()));
    }
    names
}

#[derive(Deserialize)]
struct JsonApiRelease {
    urls: Vec<JsonApiFile>,
}

#[derive(Deserialize)]
struct JsonApiFile {
    url: String,
    #[serde(default)]
    digests: std::collections::BTreeMap<String, String>,
}

/// Parses PyPI's JSON API for one release (`/pypi/<name>/<version>/json`): the digests it
/// declares for each file URL, among them `blake2b_256`, which the simple API does not carry.
pub(crate) fn parse_json_api(
    body: &[u8],
    page_url: &Url,
) -> Result<Vec<(Url, Vec<HashDigest>)>, PageError> {
    let release: JsonApiRelease = serde_json::from_slice(body)?;
    let mut files = Vec::new();
    for file in release.urls {
        let Ok(mut url) = page_url.join(&file.url) else {
            continue;
        };
        url.set_fragment(None);
        let digests = file
            .digests
            .iter()
            .filter_map(|(algorithm, hex)| declared_digest(algorithm, hex))
            .collect();
        files.push((url, digests));
    }
    Ok(files)
}

/// PEP 691's metadata field: `false` means none, `true` or `{"sha256": hex}` means served.
fn metadata_value(value: Option<serde_json::Value>) -> Option<String> {
    match value? {
        serde_json::Value::Bool(true) => Some("true".into()),
        serde_json::Value::Object(hashes) => hashes
            .iter()
            .find_map(|(algorithm, hex)| Some(format!("{algorithm}={}", hex.as_str()?))),
        _ => None,
    }
}

/// A `#<algorithm>=<hex>` fragment, as PEP 503 links carry.
fn fragment_digest(url: &Url) -> Option<HashDigest> {
    let (algorithm, hex) = url.fragment()?.split_once('=')?;
    declared_digest(algorithm, hex)
}

/// Parses a PEP 503 HTML page (or a find-links page) served at `page_url`.
pub(crate) fn parse_html(body: &str, page_url: &Url) -> Result<Page, PageError> {
    let mut base = page_url.clone();
    let mut out = Page::default();
    let mut rest = body;
    while let Some(open) = rest.find('<') {
        rest = &rest[open + 1..];
        let close = rest.find('>').unwrap_or(rest.len());
        let tag = &rest[..close];
        rest = &rest[close.min(rest.len())..];
        let (name, attributes) = tag.split_once(char::is_whitespace).unwrap_or((tag, ""));
        let attributes = parse_attributes(attributes);
        let get = |key: &str| {
            attributes
                .iter()
                .find(|(name, _)| name == key)
                .map(|(_, value)| value.clone())
        };
        if name.eq_ignore_ascii_case("base") {
            if let Some(href) = get("href") {
                base = page_url
                    .join(&href)
                    .map_err(|reason| PageError::Link { href, reason })?;
            }
            continue;
        }
        if !name.eq_ignore_ascii_case("a") {
            continue;
        }
        let Some(href) = get("href") else { continue };
        let mut url = base.join(&href).map_err(|reason| PageError::Link {
            href: href.clone(),
            reason,
        })?;
        let declared: Vec<HashDigest> = fragment_digest(&url).into_iter().collect();
        url.set_fragment(None);
        let Some(filename) = url
            .path_segments()
            .and_then(|mut segments| segments.next_back())
            .map(crate::safe_url::percent_decode)
        else {
            continue;
        };
        if filename.is_empty() {
            continue;
        }
        out.push(IndexFile {
            filename,
            url,
            declared,
            requires_python: get("data-requires-python"),
            yanked: get("data-yanked"),
            size: None,
            upload_time: None,
            core_metadata: get("data-core-metadata").or_else(|| get("data-dist-info-metadata")),
        });
    }
    Ok(out)
}

/// `name="value"`, `name='value'`, `name=value` and bare `name`, entities decoded.
fn parse_attributes(text: &str) -> Vec<(String, String)> {
    let mut attributes = Vec::new();
    let mut rest = text.trim_end_matches('/').trim();
    while !rest.is_empty() {
        let name_end = rest
            .find(|c: char| c == '=' || c.is_whitespace())
            .unwrap_or(rest.len());
        let name = rest[..name_end].to_ascii_lowercase();
        rest = rest[name_end..].trim_start();
        let value = if let Some(after) = rest.strip_prefix('=') {
            let after = after.trim_start();
            let (value, remaining) = match after.chars().next() {
                Some(quote @ ('"' | '\'')) => {
                    let inner = &after[1..];
                    let end = inner.find(quote).unwrap_or(inner.len());
                    (&inner[..end], &inner[(end + 1).min(inner.len())..])
                }
                _ => {
                    let end = after.find(char::is_whitespace).unwrap_or(after.len());
                    (&after[..end], &after[end..])
                }
            };
            rest = remaining.trim_start();
            decode_entities(value)
        } else {
            String::new()
        };
        if !name.is_empty() {
            attributes.push((name, value));
        }
    }
    attributes
}

/// Decodes the HTML entities that matter in attribute values.
fn decode_entities(text: &str) -> String {
    if !text.contains('&') {
        return text.to_string();
    }
    let mut out = String::with_capacity(text.len());
    let mut rest = text;
    while let Some(amp) = rest.find('&') {
        out.push_str(&rest[..amp]);
        rest = &rest[amp..];
        let Some(semi) = rest.find(';').filter(|&semi| semi <= 10) else {
            out.push('&');
            rest = &rest[1..];
            continue;
        };
        let entity = &rest[1..semi];
        let decoded = match entity {
            "amp" => Some('&'),
            "lt" => Some('<'),
            "gt" => Some('>'),
            "quot" => Some('"'),
            "apos" => Some('\''),
            _ => entity
                .strip_prefix("#x")
                .or_else(|| entity.strip_prefix("#X"))
                .and_then(|hex| u32::from_str_radix(hex, 16).ok())
                .or_else(|| entity.strip_prefix('#').and_then(|dec| dec.parse().ok()))
                .and_then(char::from_u32),
        };
        match decoded {
            Some(character) => {
                out.push(character);
                rest = &rest[semi + 1..];
            }
            None => {
                out.push('&');
                rest = &rest[1..];
            }
        }
    }
    out.push_str(rest);
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    const SHA: &str = "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef";

    #[test]
    fn html_links_resolve_and_carry_metadata() {
        let page = Url::parse("https://idx.example/simple/pkg/").unwrap();
        let html = format!(
            r#"<html><body>
            <a href="../../files/pkg-1.0.tar.gz#sha256={SHA}" data-requires-python="&gt;=3.8" data-dist-info-metadata="sha256={SHA}">pkg-1.0.tar.gz</a>
            <a href='https://cdn.example/p/pkg-1.0-py3-none-any.whl#md5=900150983cd24fb0d6963f7d28e17f72' data-yanked>w</a>
            <a href='https://cdn.example/p/pkg-1.0-py2-none-any.whl#md5=00'>too short to be one</a>
            <a href="../../files/..%2F..%2Fetc%2Fpasswd.whl">evil</a>
            </body></html>"#
        );
        let parsed = parse_html(&html, &page).unwrap();
        assert_eq!(parsed.files.len(), 3);
        let sdist = &parsed.files[0];
        assert_eq!(
            sdist.url.as_str(),
            "https://idx.example/files/pkg-1.0.tar.gz"
        );
        assert_eq!(sdist.declared[0].hex, SHA);
        assert_eq!(sdist.requires_python.as_deref(), Some(">=3.8"));
        assert_eq!(sdist.core_metadata, Some(format!("sha256={SHA}")));
        assert_eq!(parsed.files[1].yanked.as_deref(), Some(""));
        // An md5 is read, to be checked against the bytes (never recorded); a malformed one
        // declares nothing.
        assert_eq!(
            parsed.files[1].declared,
            [HashDigest::new(HashAlgorithm::Md5, "900150983cd24fb0d6963f7d28e17f72").unwrap()]
        );
        assert!(parsed.files[2].declared.is_empty());
        assert_eq!(parsed.refused, ["../../etc/passwd.whl"]);
    }

    #[test]
    fn json_files_resolve_relative_urls() {
        let page = Url::parse("http://127.0.0.1:9/simple/pkg/").unwrap();
        let json = format!(
            r#"{{"meta":{{"api-version":"1.1"}},"name":"pkg","files":[
            {{"filename":"pkg-1.0.tar.gz","url":"../../files/pkg-1.0.tar.gz","hashes":{{"sha256":"{SHA}","md5":"00"}},"yanked":"broken","size":12,"core-metadata":{{"sha256":"{SHA}"}}}}]}}"#
        );
        let parsed = parse_json(json.as_bytes(), &page).unwrap();
        let file = &parsed.files[0];
        assert_eq!(file.url.as_str(), "http://127.0.0.1:9/files/pkg-1.0.tar.gz");
        assert_eq!(file.declared.len(), 1);
        assert_eq!(file.yanked.as_deref(), Some("broken"));
        assert_eq!(file.size, Some(12));
        assert_eq!(file.core_metadata, Some(format!("sha256={SHA}")));
        let future = r#"{"meta":{"api-version":"2.0"},"files":[]}"#;
        assert!(matches!(
            parse_json(future.as_bytes(), &page),
            Err(PageError::Version(_))
        ));
    }

    #[test]
    fn json_root_pages_list_project_names() {
        let json = r#"{"meta":{"_last-serial":7,"api-version":"1.1"},"projects":[
            {"_last-serial":3,"name":"Requests"},{"name":"zope.interface"},
            {"name":"bad name"},{"name":"\u001b[31mred"}]}"#;
        let names = parse_root_json(json.as_bytes()).unwrap();
        assert_eq!(
            names,
            [
                PackageName::new("requests"),
                PackageName::new("zope-interface")
            ]
        );
        let future = r#"{"meta":{"api-version":"2.0"},"projects":[]}"#;
        assert!(matches!(
            parse_root_json(future.as_bytes()),
            Err(PageError::Version(_))
        ));
        // A project page is not a root page.
        let project = r#"{"meta":{"api-version":"1.1"},"name":"pkg","files":[]}"#;
        assert!(matches!(
            parse_root_json(project.as_bytes()),
            Err(PageError::Json(_))
        ));
    }

    #[test]
    fn html_root_pages_list_anchor_texts() {
        let html = r#"<!DOCTYPE html>
            <html><head><meta name="pypi:repository-version" content="1.0"><title>Simple index</title></head>
            <body>
            <a href="/simple/flask/">Flask</a>
            <A HREF="/simple/zope-interface/"> zope.interface </A><br/>
            <a href="/simple/at-t/">at&amp;t</a>
            <a href="/simple/x/">&#x1b;[31mred</a>
            <a href="/simple/empty/"></a>
            <abbr>notananchor</abbr>
            <a href="/simple/six/">six</a></body></html>"#;
        assert_eq!(
            parse_root_html(html),
            [
                PackageName::new("flask"),
                PackageName::new("zope-interface"),
                PackageName::new("six"),
            ]
        );
    }
}
