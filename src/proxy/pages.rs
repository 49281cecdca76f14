//! The pages `hashpin serve` answers with: PEP 503 HTML and PEP 691 JSON, chosen by the
//! client's `Accept` header as PyPI chooses.

use std::fmt::Write as _;

use serde_json::json;

use crate::hash::HashDigest;
use crate::name::PackageName;

/// PEP 691's JSON media type.
pub(crate) const JSON: &str = "application/vnd.pypi.simple.v1+json";
/// PEP 691's HTML media type.
pub(crate) const HTML: &str = "application/vnd.pypi.simple.v1+html";

/// Which page format a client gets.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Format {
    /// PEP 691 JSON.
    Json,
    /// PEP 503 HTML (as PEP 691's HTML type, or `text/html`).
    Html,
}

impl Format {
    /// The `Content-Type` of a page in this format. HTML goes out as `text/html`, which every
    /// pip accepts (before 22.2 it took nothing else), and which PEP 691 clients take too.
    pub(crate) fn content_type(self) -> &'static str {
        match self {
            Self::Json => JSON,
            Self::Html => "text/html; charset=utf-8",
        }
    }

    /// The format with the highest quality the `Accept` header gives it (PEP 691's types,
    /// their `latest` aliases, `text/html`, wildcards); HTML when none is named, as pip
    /// before PEP 691 sent no header. A tie goes to JSON, whose order is unambiguous.
    pub(crate) fn negotiate(accept: Option<&str>) -> Self {
        let Some(accept) = accept else {
            return Self::Html;
        };
        let mut best: Option<(f32, Self)> = None;
        for item in accept.split(',') {
            let mut parts = item.split(';').map(str::trim);
            let media = parts.next().unwrap_or_default().to_ascii_lowercase();
            let quality = parts
                .filter_map(|parameter| parameter.strip_prefix("q="))
                .find_map(|q| q.trim().parse::<f32>().ok())
                .unwrap_or(1.0);
            let format = match media.as_str() {
                JSON | "application/vnd.pypi.simple.latest+json" => Self::Json,
                HTML | "application/vnd.pypi.simple.latest+html" | "text/html" | "*/*" => {
                    Self::Html
                }
                _ => continue,
            };
            if quality <= 0.0 {
                continue;
            }
            let better = match best {
                None => true,
                Some((q, held)) => {
                    quality > q || (quality == q && format == Self::Json && held != Self::Json)
                }
            };
            if better {
                best = Some((quality, format));
            }
        }
        best.map_or(Self::Html, |(_, format)| format)
    }
}

/// One file as the proxy lists it.
#[derive(Debug, Clone)]
pub(crate) struct ListedFile {
    /// The filename.
    pub(crate) filename: String,
    /// Its URL, relative to the project page (the proxy's own).
    pub(crate) url: String,
    /// The recorded hash, when the lockfile names one for this file.
    pub(crate) hash: Option<HashDigest>,
    /// PEP 345 `Requires-Python`, from upstream.
    pub(crate) requires_python: Option<String>,
    /// PEP 592 yanked state, from upstream.
    pub(crate) yanked: Option<String>,
    /// PEP 700 size, when known.
    pub(crate) size: Option<u64>,
    /// PEP 658/714: the sha256 of the wheel's core metadata, offered only once the wheel it
    /// comes from has passed the gate.
    pub(crate) core_metadata: Option<HashDigest>,
    /// PEP 700 `upload-time`, from upstream (uv's `--exclude-newer` needs it).
    pub(crate) upload_time: Option<String>,
}

/// The root page: every project the proxy serves.
pub(crate) fn index_page(projects: &[PackageName], format: Format) -> String {
    match format {
        Format::Json => json!({
            "meta": {"api-version": "1.0"},
            "projects": projects.iter().map(|name| json!({"name": name.to_string()})).collect::<Vec<_>>(),
        })
        .to_string(),
        Format::Html => {
            let mut page = String::from(
                "<!DOCTYPE html>\n<html>\n<head><meta name=\"pypi:repository-version\" content=\"1.0\"><title>Simple index</title></head>\n<body>\n",
            );
            for name in projects {
                let name = escape(&name.to_string());
                let _ = writeln!(page, "<a href=\"{name}/\">{name}</a><br>");
            }
            page.push_str("</body>\n</html>\n");
            page
        }
    }
}

/// A project's page.
pub(crate) fn project_page(project: &PackageName, files: &[ListedFile], format: Format) -> String {
    let mut versions: Vec<String> = files
        .iter()
        .filter_map(|file| crate::artifact::ArtifactName::parse(&file.filename, Some(project)).ok())
        .map(|artifact| artifact.version_text)
        .collect();
    versions.sort();
    versions.dedup();
    match format {
        Format::Json => {
            let files: Vec<_> = files
                .iter()
                .map(|file| {
                    let mut entry = json!({
                        "filename": file.filename,
                        "url": file.url,
                        "hashes": file.hash.as_ref().map_or_else(
                            || json!({}),
                            |hash| json!({hash.algorithm.as_str(): hash.hex}),
                        ),
                    });
                    if let Some(requires_python) = &file.requires_python {
                        entry["requires-python"] = json!(requires_python);
                    }
                    if let Some(reason) = &file.yanked {
                        entry["yanked"] = if reason.is_empty() {
                            json!(true)
                        } else {
                            json!(reason)
                        };
                    }
                    if let Some(size) = file.size {
                        entry["size"] = json!(size);
                    }
                    if let Some(when) = &file.upload_time {
                        entry["upload-time"] = json!(when);
                    }
                    if let Some(metadata) = &file.core_metadata {
                        let hashes = json!({metadata.algorithm.as_str(): metadata.hex});
                        entry["core-metadata"] = hashes.clone();
                        entry["dist-info-metadata"] = hashes;
                    }
                    entry
                })
                .collect();
            let mut page = json!({
                "meta": {"api-version": "1.0"},
                "name": project.to_string(),
                "files": files,
            });
            // PEP 700's 1.1 needs every file's size, and the versions.
            if !files.is_empty() && files.iter().all(|file| file.get("size").is_some()) {
                page["meta"]["api-version"] = json!("1.1");
                page["versions"] = json!(versions);
            }
            page.to_string()
        }
        Format::Html => {
            let name = escape(&project.to_string());
            let mut page = format!(
                "<!DOCTYPE html>\n<html>\n<head><meta name=\"pypi:repository-version\" content=\"1.0\"><title>Links for {name}</title></head>\n<body>\n<h1>Links for {name}</h1>\n"
            );
            for file in files {
                let mut href = escape(&file.url);
                if let Some(hash) = &file.hash {
                    let _ = write!(href, "#{}={}", hash.algorithm.as_str(), hash.hex);
                }
                let _ = write!(page, "<a href=\"{href}\"");
                if let Some(requires_python) = &file.requires_python {
                    let _ = write!(
                        page,
                        " data-requires-python=\"{}\"",
                        escape(requires_python)
                    );
                }
                if let Some(reason) = &file.yanked {
                    let _ = write!(page, " data-yanked=\"{}\"", escape(reason));
                }
                if let Some(metadata) = &file.core_metadata {
                    let value = format!("{}={}", metadata.algorithm.as_str(), metadata.hex);
                    let _ = write!(
                        page,
                        " data-core-metadata=\"{value}\" data-dist-info-metadata=\"{value}\""
                    );
                }
                let _ = writeln!(page, ">{}</a><br>", escape(&file.filename));
            }
            page.push_str("</body>\n</html>\n");
            page
        }
    }
}

/// HTML-escapes text for an attribute or element.
fn escape(text: &str) -> String {
    let mut escaped = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '&' => escaped.push_str("&amp;"),
            '<' => escaped.push_str("&lt;"),
            '>' => escaped.push_str("&gt;"),
            '"' => escaped.push_str("&quot;"),
            '\'' => escaped.push_str("&#x27;"),
            _ => escaped.push(c),
        }
    }
    escaped
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn accept_headers_choose_as_pypi_does() {
        // pip 26 and uv send these.
        assert_eq!(
            Format::negotiate(Some(
                "application/vnd.pypi.simple.v1+json, application/vnd.pypi.simple.v1+html; q=0.1, text/html; q=0.01"
            )),
            Format::Json
        );
        assert_eq!(Format::negotiate(Some("text/html")), Format::Html);
        assert_eq!(Format::negotiate(None), Format::Html);
        assert_eq!(
            Format::negotiate(Some("application/vnd.pypi.simple.v1+json;q=0.5, text/html")),
            Format::Html
        );
        assert_eq!(
            Format::negotiate(Some("application/vnd.pypi.simple.latest+json")),
            Format::Json
        );
        assert_eq!(
            Format::negotiate(Some("application/vnd.pypi.simple.v1+json;q=0, */*")),
            Format::Html
        );
    }

    #[test]
    fn pages_carry_the_recorded_hash_and_escape_what_upstream_said() {
        let project = PackageName::new("demo");
        let hash = HashDigest::new(crate::hash::HashAlgorithm::Sha256, &"ab".repeat(32)).unwrap();
        let files = [ListedFile {
            filename: "demo-1.0.tar.gz".into(),
            url: "../../files/demo/demo-1.0.tar.gz".into(),
            hash: Some(hash.clone()),
            requires_python: Some(">=3.8,<4\"><script>".into()),
            yanked: Some(String::new()),
            size: Some(10),
            core_metadata: None,
            upload_time: Some("2024-01-02T03:04:05Z".into()),
        }];
        let html = project_page(&project, &files, Format::Html);
        assert!(
            html.contains(&format!(
                "<a href=\"../../files/demo/demo-1.0.tar.gz#sha256={}\" data-requires-python=\"&gt;=3.8,&lt;4&quot;&gt;&lt;script&gt;\" data-yanked=\"\">demo-1.0.tar.gz</a>",
                hash.hex
            )),
            "{html}"
        );
        let json: serde_json::Value =
            serde_json::from_str(&project_page(&project, &files, Format::Json)).unwrap();
        assert_eq!(json["files"][0]["hashes"]["sha256"], hash.hex.as_str());
        assert_eq!(json["files"][0]["yanked"], true);
        assert_eq!(json["name"], "demo");
        assert_eq!(json["meta"]["api-version"], "1.1");
        assert_eq!(json["versions"][0], "1.0");
        assert_eq!(json["files"][0]["upload-time"], "2024-01-02T03:04:05Z");
    }
}
