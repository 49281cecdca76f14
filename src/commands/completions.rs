//! `hashpin completions SHELL` and `hashpin man`: generated from the clap definitions that
//! `--help` shows, so they cannot drift from the command line.

use anyhow::Result;
use clap::CommandFactory as _;

use crate::cli::{Cli, CompletionsArgs, ManArgs};
use crate::commands::Context;
use crate::error::{Status, UsageError};

/// Prints the completion script for one shell.
pub(crate) fn completions(args: &CompletionsArgs, context: &Context) -> Result<Status> {
    let mut command = Cli::command();
    let mut script = Vec::new();
    clap_complete::generate(args.shell, &mut command, "hashpin", &mut script);
    context.printer.out(&String::from_utf8_lossy(&script))?;
    Ok(Status::Success)
}

/// Prints one man page, or writes them all: `hashpin(1)` and `hashpin-COMMAND(1)` for each
/// command, as git and cargo lay theirs out.
pub(crate) fn man(args: &ManArgs, context: &Context) -> Result<Status> {
    let top = Cli::command();
    let mut pages = vec![("hashpin".to_string(), top.clone())];
    for sub in top.get_subcommands().filter(|sub| !sub.is_hide_set()) {
        let name = format!("hashpin-{}", sub.get_name());
        pages.push((
            name.clone(),
            sub.clone().bin_name(name.clone()).display_name(name),
        ));
    }
    let render = |command: &clap::Command| -> Result<String> {
        let mut page = Vec::new();
        clap_mangen::Man::new(command.clone()).render(&mut page)?;
        Ok(String::from_utf8_lossy(&page).into_owned())
    };
    if let Some(dir) = &args.out_dir {
        fs_err::create_dir_all(dir)?;
        for (name, command) in &pages {
            fs_err::write(dir.join(format!("{name}.1")), render(command)?)?;
        }
        context.printer.info(&format!(
            "wrote {} man pages to `{}`",
            pages.len(),
            dir.display()
        ));
        return Ok(Status::Success);
    }
    let wanted = args.command.as_deref().map_or_else(
        || "hashpin".to_string(),
        |command| format!("hashpin-{command}"),
    );
    let Some((_, command)) = pages.iter().find(|(name, _)| *name == wanted) else {
        let known: Vec<&str> = pages[1..]
            .iter()
            .map(|(name, _)| name.trim_start_matches("hashpin-"))
            .collect();
        return Err(UsageError::new(format!(
            "no command `{}`\nhint: one of {}",
            args.command.as_deref().unwrap_or_default(),
            known.join(", ")
        ))
        .into());
    };
    context.printer.out(&render(command)?)?;
    Ok(Status::Success)
}
