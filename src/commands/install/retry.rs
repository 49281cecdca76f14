//! The user's hooks on every verified artifact; on a hook's retry, another recorded file of the
//! same release that suits the interpreter, held against the record by the judge first.

use url::Url;

use super::Accepted;
use crate::artifact::ArtifactName;
use crate::cache::Cache;
use crate::fetch::{FetchRequest, fetch};
use crate::hooks::{self, ArtifactInfo, Hook, HookOutcome};
use crate::inspect::{escape_for_terminal, escape_text_for_terminal};
use crate::judge::{Policy, Recording, Scope, Sighting, judge};
use crate::lockfile::Record;
use crate::pip::{Interpreter, Resolved};
use crate::report::Printer;
use crate::report::verdict::{About, headline};
use crate::safe_url::recordable;

/// How many other recorded artifacts of a release install tries when a hook asks to retry.
const MAX_RETRIES: usize = 3;

/// Runs every hook on a verified artifact; on "retry", tries other recorded artifacts of the
/// same release that suit the interpreter, each held against the record by the judge. `Err`
/// carries why it was refused.
pub(super) fn run_hooks(
    hooks: &[Hook],
    artifact: &mut Accepted,
    client: &crate::index::Client,
    cache: &Cache,
    interpreter: &Interpreter,
    printer: &Printer,
) -> std::result::Result<(), String> {
    if hooks.is_empty() {
        return Ok(());
    }
    let mut alternatives: Option<Vec<crate::requirements::Provenance>> = None;
    let mut tried = vec![artifact.resolved.filename.clone()];
    loop {
        match run_hooks_once(hooks, artifact, printer)? {
            HookOutcome::Pass => return Ok(()),
            HookOutcome::Fail { reason } => return Err(reason),
            HookOutcome::Retry => {}
        }
        if tried.len() > MAX_RETRIES {
            return Err(format!(
                "hooks asked to retry {MAX_RETRIES} times; giving up"
            ));
        }
        let alternatives = alternatives.get_or_insert_with(|| {
            suitable_alternatives(&artifact.record, &artifact.resolved, interpreter)
        });
        let Some(next) = alternatives
            .iter()
            .find(|record| !tried.contains(&record.filename))
            .cloned()
        else {
            return Err("a hook asked to retry, and no other recorded artifact of this release suits this interpreter".into());
        };
        tried.push(next.filename.clone());
        printer.info(&format!(
            "a hook asked to retry `{}`; trying `{}`",
            artifact.resolved.filename, next.filename
        ));
        let url = Url::parse(&next.url).map_err(|error| error.to_string())?;
        let fetched = fetch(
            client,
            Some(cache),
            &FetchRequest {
                url: url.clone(),
                algorithms: artifact.record.algorithms().collect(),
            },
        )
        .map_err(|error| error.to_string())?;
        let sighting = Sighting::given(&next.filename, &url, fetched.digests.clone());
        let verdict = judge(
            &artifact.record,
            &[sighting],
            Policy::new(Scope::Files, Recording::Never),
        );
        if verdict.refuses() {
            let about = About {
                requirement: artifact.resolved.display_name.clone(),
                location: None,
            };
            let why = verdict
                .gravest()
                .map(|judged| headline(judged, &about))
                .unwrap_or_default();
            return Err(why);
        }
        artifact.resolved.url = url;
        artifact.resolved.filename = next.filename.clone();
        artifact.fetched = fetched;
    }
}

fn run_hooks_once(
    hooks: &[Hook],
    artifact: &Accepted,
    printer: &Printer,
) -> std::result::Result<HookOutcome, String> {
    let Some(path) = &artifact.fetched.cached else {
        return Err("the verified bytes were not kept".into());
    };
    let sha256 = artifact.fetched.digests.sha256().hex.clone();
    let info = ArtifactInfo {
        project: artifact.resolved.project.as_str(),
        version: &artifact.resolved.version,
        filename: &artifact.resolved.filename,
        sha256: &sha256,
    };
    // Hooks get the file under its own name, never the cache's hash-named path.
    let staging =
        crate::interrupt::temporary(tempfile::tempdir).map_err(|error| error.to_string())?;
    let staged = staging.path().join(&artifact.resolved.filename);
    fs_err::copy(path, &staged).map_err(|error| error.to_string())?;
    let url = recordable(&artifact.resolved.url);
    for hook in hooks {
        let run = hooks::run(hook, &staged, &url, &info);
        // A hook's output is shown as text, never passed to the terminal raw: escape
        // sequences could clear the screen, retitle the window, or move the cursor to print
        // over hashpin's own lines (issue 8).
        let name = escape_for_terminal(&hook.name);
        for line in run.stdout.lines().chain(run.stderr.lines()) {
            printer.info(&format!("  [{name}] {}", escape_text_for_terminal(line)));
        }
        match run.outcome {
            HookOutcome::Pass => {}
            other => return Ok(other),
        }
    }
    Ok(HookOutcome::Pass)
}

/// Recorded artifacts of the release, other than the one given, whose tags suit the
/// interpreter (every sdist does), most preferred first.
fn suitable_alternatives(
    record: &Record,
    resolved: &Resolved,
    interpreter: &Interpreter,
) -> Vec<crate::requirements::Provenance> {
    let supported = interpreter.supported_tags().unwrap_or_default();
    let rank = |record: &crate::requirements::Provenance| -> Option<usize> {
        let name = ArtifactName::parse(&record.filename, Some(&resolved.project)).ok()?;
        match name.wheel_tags() {
            None => Some(usize::MAX),
            Some(tags) => supported.iter().position(|tag| {
                let mut parts = tag.split('-');
                let (Some(python), Some(abi), Some(platform)) =
                    (parts.next(), parts.next(), parts.next())
                else {
                    return false;
                };
                tags.python.iter().any(|t| t == python)
                    && tags.abi.iter().any(|t| t == abi)
                    && tags.platform.iter().any(|t| t == platform)
            }),
        }
    };
    let mut ranked: Vec<(usize, crate::requirements::Provenance)> = record
        .files
        .iter()
        .filter(|record| record.filename != resolved.filename)
        .filter_map(|record| rank(record).map(|rank| (rank, record.clone())))
        .collect();
    ranked.sort();
    ranked.into_iter().map(|(_, record)| record).collect()
}
