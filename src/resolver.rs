//! Who picks the versions for `hashpin lock --resolve`: pip (`pip install --dry-run --report`)
//! or uv (`uv pip compile`). Either only chooses versions; every file of the chosen releases is
//! then downloaded, hashed and judged by `lock`, whatever the resolver believed about them.

use url::Url;

use crate::name::PackageName;
use crate::pip::Resolution;

/// `--resolver`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub(crate) enum ResolverChoice {
    /// uv when found (`HASHPIN_UV`, else `uv` on PATH), else pip.
    Auto,
    /// `pip install --dry-run --report` with the target interpreter's pip.
    Pip,
    /// `uv pip compile`.
    Uv,
}

/// One package a resolver chose.
#[derive(Debug, Clone)]
pub(crate) struct Pick {
    /// The project, normalized.
    pub(crate) project: PackageName,
    /// The name as the resolver spells it.
    pub(crate) display_name: String,
    /// The version (empty for a direct URL).
    pub(crate) version: String,
    /// Where it applies (a universal resolution's `sys_platform == 'win32'`), as written.
    pub(crate) marker: Option<String>,
    /// A direct URL requirement's URL.
    pub(crate) direct_url: Option<Url>,
    /// Named in the input, rather than pulled in as a dependency.
    pub(crate) requested: bool,
    /// The chosen packages that require it, normalized and sorted.
    pub(crate) via: Vec<String>,
}

impl Pick {
    /// The requirement line that pins it.
    pub(crate) fn requirement(&self) -> String {
        let mut line = match &self.direct_url {
            Some(url) => format!(
                "{} @ {}",
                self.display_name,
                crate::safe_url::recordable(url)
            ),
            None => format!("{}=={}", self.display_name, self.version),
        };
        if let Some(marker) = &self.marker {
            line.push_str(" ; ");
            line.push_str(marker);
        }
        line
    }
}

/// pip's report as picks.
pub(crate) fn picks_from_pip(resolution: &Resolution) -> Vec<Pick> {
    resolution
        .items
        .iter()
        .map(|item| Pick {
            project: item.project.clone(),
            // Normalized, as pip-compile and uv write names.
            display_name: item.project.to_string(),
            version: item.version.clone(),
            marker: None,
            direct_url: item.is_direct.then(|| item.url.clone()),
            requested: item.requested,
            via: resolution.via(&item.project),
        })
        .collect()
}
