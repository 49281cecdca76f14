//! Direct URLs (`name @ url`, a bare URL or archive path) with recorded hashes are downloaded
//! and judged before pip sees them: `--only-binary` cannot keep pip from building a direct URL's
//! sdist, so pip is handed the verified copy instead.

use std::path::Path;

use anyhow::Result;
use url::Url;

use crate::artifact::ArtifactName;
use crate::cache::Cache;
use crate::fetch::{FetchRequest, fetch};
use crate::judge::{Outcome, Policy, Recording, Scope, Sighting, judge};
use crate::lockfile::{Lockable, PinIndex};
use crate::pip::{LocalCopies, Resolved};
use crate::report::install::Refusal;
use crate::report::verdict::{About, headline};
use crate::requirements::Target;

/// Downloads every direct-URL requirement that has recorded hashes and asks the judge about it;
/// a pass is copied under `directory` and pip is pointed at that copy, anything else refused.
pub(super) fn verify_direct_urls(
    pins: &PinIndex<'_>,
    client: &crate::index::Client,
    cache: &Cache,
    directory: &Path,
) -> Result<(LocalCopies, Vec<Refusal>)> {
    let mut copies = LocalCopies::new();
    let mut refusals = Vec::new();
    for pin in pins.iter() {
        let Some(Lockable::Url { url, filename }) = pin.lockable() else {
            continue;
        };
        if pin.record.hashes.is_empty() {
            continue;
        }
        let mut bare = url.clone();
        bare.set_fragment(None);
        let fetched = fetch(
            client,
            Some(cache),
            &FetchRequest {
                url: bare.clone(),
                algorithms: pin
                    .record
                    .hashes
                    .iter()
                    .map(|hash| hash.algorithm)
                    .collect(),
            },
        )?;
        let sighting = Sighting::given(filename, &bare, fetched.digests.clone());
        let verdict = judge(
            &pin.record,
            &[sighting],
            Policy::new(Scope::Files, Recording::Never),
        );
        if verdict.refuses() {
            let name = ArtifactName::parse(filename, None).ok();
            let about = About {
                requirement: pin.shown(),
                location: Some(pin.location()),
            };
            let resolved = Resolved {
                project: pin
                    .project
                    .clone()
                    .or_else(|| name.as_ref().map(|name| name.project.clone()))
                    .unwrap_or_else(|| crate::name::PackageName::new(filename)),
                display_name: pin.shown(),
                version: name.map(|name| name.version_text).unwrap_or_default(),
                url: bare.clone(),
                filename: filename.clone(),
                requested: true,
                is_direct: true,
                is_archive: true,
                requires_dist: Vec::new(),
                requested_extras: Vec::new(),
            };
            for judged in verdict.with_outcome(Outcome::Fail) {
                let mut refusal = Refusal::new(&resolved, headline(judged, &about));
                refusal.judged = Some(judged.clone());
                refusal.observed = Some(fetched.digests.sha256().clone());
                refusal.about = Some(about.clone());
                refusals.push(refusal);
            }
            continue;
        }
        let Some(cached) = &fetched.cached else {
            continue;
        };
        fs_err::create_dir_all(directory)?;
        let copy = directory.join(filename);
        fs_err::copy(cached, &copy)?;
        let local = std::path::absolute(&copy).unwrap_or(copy);
        let text = match &pin.entry.target {
            Target::Pep508(requirement) => {
                let extras: Vec<String> =
                    requirement.extras.iter().map(ToString::to_string).collect();
                let extras = if extras.is_empty() {
                    String::new()
                } else {
                    format!("[{}]", extras.join(","))
                };
                let file_url = Url::from_file_path(&local)
                    .map_or_else(|()| local.display().to_string(), |url| url.to_string());
                format!("{}{extras} @ {file_url}", requirement.name)
            }
            Target::NamedUrl { name, extras, .. } => {
                let file_url = Url::from_file_path(&local)
                    .map_or_else(|()| local.display().to_string(), |url| url.to_string());
                let extras = extras
                    .as_ref()
                    .map_or_else(String::new, |extras| format!("[{extras}]"));
                format!("{name}{extras} @ {file_url}")
            }
            Target::Unnamed { extras, .. } if !extras.is_empty() => {
                format!("{}[{}]", local.display(), extras.join(","))
            }
            Target::Unnamed { .. } => local.display().to_string(),
        };
        // The marker stays, as written: pip must skip the line where it skipped the original.
        let text = match &pin.entry.marker {
            Some(marker) => format!("{text} ; {}", marker.written()),
            None => text,
        };
        copies.insert(
            (pin.document.path.clone(), pin.entry.requirement.span.start),
            text,
        );
    }
    Ok((copies, refusals))
}
