//! `hashpin parse [FILE]...`: what hashpin reads in requirements files, read as pip reads them,
//! without asking any index: every requirement (name, extras, specifier, marker, URL, hashes,
//! its other options) and every option line, in file order, with where each stands; or every
//! error. For people who want to see what hashpin sees, and for comparing hashpin with pip.

use anyhow::Result;

use crate::cli::{OutputFormat, ParseArgs};
use crate::commands::Context;
use crate::error::Status;
use crate::report::parse::{self as view, FileView, OptionView, ParseReport, RequirementView};
use crate::requirements::load::{LoadError, Loaded, Role, load};
use crate::requirements::{FileOption, LineKind, Target, arbitrary_equality};
use crate::survey;

/// Runs `hashpin parse`.
pub(crate) fn run(args: &ParseArgs, context: &Context) -> Result<Status> {
    let files = survey::requirement_files(&args.files, "parse")?;
    let loaded = match load(&files, &*context.env) {
        Ok(loaded) => loaded,
        Err(LoadError::Parse(errors)) if args.format == OutputFormat::Json => {
            let report = ParseReport::errors(&errors.0);
            view::print_json(&context.printer, &report)?;
            return Ok(Status::Usage);
        }
        Err(error) => return Err(error.into()),
    };
    let report = report(&loaded);
    match args.format {
        OutputFormat::Json => view::print_json(&context.printer, &report)?,
        OutputFormat::Text => view::print_text(&context.printer, &report)?,
    }
    Ok(Status::Success)
}

/// Every requirement and option of the loaded files, in file order.
fn report(loaded: &[Loaded]) -> ParseReport {
    let mut report = ParseReport::default();
    for item in loaded {
        let document = &item.document;
        let file = document.path.display().to_string();
        report.files.push(FileView {
            file: file.clone(),
            encoding: document.encoding.to_string(),
        });
        for line in &document.lines {
            match &line.kind {
                LineKind::Requirement(entry) => {
                    let mut view = RequirementView {
                        file: file.clone(),
                        line: line.number,
                        requirement: entry.requirement.value.clone(),
                        constraint: item.role == Role::Constraints,
                        hashes: entry
                            .recorded_hashes()
                            .iter()
                            .map(ToString::to_string)
                            .collect(),
                        options: entry
                            .other_options
                            .iter()
                            .filter(|span| !entry.ignored_options.contains(span))
                            .map(|span| crate::safe_url::redact_text(document.text(span)))
                            .collect(),
                        ignored_options: entry
                            .ignored_options
                            .iter()
                            .map(|span| crate::safe_url::redact_text(document.text(span)))
                            .collect(),
                        ..RequirementView::default()
                    };
                    match &entry.target {
                        Target::Pep508(requirement) => {
                            view.name = Some(requirement.name.to_string());
                            view.extras =
                                requirement.extras.iter().map(ToString::to_string).collect();
                            match &requirement.version_or_url {
                                Some(pep508_rs::VersionOrUrl::VersionSpecifier(specifiers)) => {
                                    let mut specifier = specifiers.to_string();
                                    // `===` takes any string; the parser read a stand-in.
                                    if let Some((_, value)) =
                                        arbitrary_equality(&entry.requirement.value)
                                    {
                                        specifier =
                                            specifier.replacen("===0", &format!("==={value}"), 1);
                                    }
                                    view.specifier = Some(specifier);
                                }
                                Some(pep508_rs::VersionOrUrl::Url(url)) => {
                                    view.url = Some(crate::safe_url::redact_text(&url.to_string()));
                                }
                                None => {}
                            }
                        }
                        Target::NamedUrl { name, extras, url } => {
                            view.name = Some(crate::name::PackageName::new(name).to_string());
                            view.extras = extras
                                .iter()
                                .flat_map(|extras| extras.split(','))
                                .map(|extra| {
                                    crate::name::PackageName::new(extra.trim()).to_string()
                                })
                                .filter(|extra| !extra.is_empty())
                                .collect();
                            view.url = Some(crate::safe_url::redact_text(url));
                        }
                        Target::Unnamed { location, extras } => {
                            view.url = Some(crate::safe_url::redact_text(location));
                            view.extras.clone_from(extras);
                        }
                    }
                    view.marker = entry.marker.as_ref().map(ToString::to_string);
                    report.requirements.push(view);
                }
                LineKind::Options(options) => {
                    for option in options {
                        let (name, value) = describe(&option.value);
                        report.options.push(OptionView {
                            file: file.clone(),
                            line: line.number,
                            option: name.to_string(),
                            value: value.map(crate::safe_url::redact_text),
                        });
                    }
                }
                LineKind::Blank
                | LineKind::Comment
                | LineKind::PeepHash(_)
                | LineKind::Provenance(_) => {}
            }
        }
    }
    report
}

/// An option line's option as its long flag, and its value.
fn describe(option: &FileOption) -> (&'static str, Option<&str>) {
    match option {
        FileOption::IndexUrl(value) => ("--index-url", Some(value)),
        FileOption::ExtraIndexUrl(value) => ("--extra-index-url", Some(value)),
        FileOption::NoIndex => ("--no-index", None),
        FileOption::FindLinks(value) => ("--find-links", Some(value)),
        FileOption::TrustedHost(value) => ("--trusted-host", Some(value)),
        FileOption::Requirement(value) => ("--requirement", Some(value)),
        FileOption::Constraint(value) => ("--constraint", Some(value)),
        FileOption::Editable(value) => ("--editable", Some(value)),
        FileOption::Pre => ("--pre", None),
        FileOption::PreferBinary => ("--prefer-binary", None),
        FileOption::RequireHashes => ("--require-hashes", None),
        FileOption::OnlyBinary(value) => ("--only-binary", Some(value)),
        FileOption::NoBinary(value) => ("--no-binary", Some(value)),
        FileOption::Other { option, value } => (option, value.as_deref()),
    }
}
