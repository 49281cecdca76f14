//! hashpin records and verifies the exact bytes of every Python artifact a project installs.
//!
//! Data flows one way: `cli` → `commands` → (`requirements`, `index`, `fetch`, `lockfile`) →
//! `report`. The lower rooms (`hash`, `name`, `artifact`) import nothing of ours above them.

mod artifact;
#[doc(hidden)]
pub mod bench;
mod cache;
mod cli;
mod commands;
mod cooldown;
mod downloads;
mod env_vars;
mod error;
mod fetch;
#[cfg(test)]
mod fuzz;
mod hash;
mod hooks;
mod index;
mod inspect;
mod installed;
mod interrupt;
mod judge;
mod lockfile;
mod name;
mod persist;
mod pip;
mod platform;
mod pool;
mod proxy;
mod pylock;
mod report;
mod requirements;
mod resolver;
mod safe_url;
mod shell_words;
mod size;
mod survey;
#[cfg(test)]
mod test_http;
mod uv;

use std::process::ExitCode;
use std::time::Instant;

use clap::Parser as _;
use cli::{Cli, Command};
use commands::Context;
use error::{Status, is_broken_pipe, status_of};
use report::Printer;

/// The whole program: parse the command line, run the command, print any error, and map the
/// outcome to an exit code. A closed pipe (`hashpin hash * | head`) is not a failure.
pub fn main() -> ExitCode {
    quiet_caught_panics();
    let cli = Cli::parse();
    let printer = Printer::new(cli.color, cli.quiet, &env_vars::var);
    report::set_verbose(cli.verbose);
    interrupt::handle_signals(printer.clone());
    match run(&cli, printer.clone()) {
        Ok(status) => status.into(),
        Err(error) if is_broken_pipe(&error) => Status::Success.into(),
        Err(error) => {
            printer.error(&error);
            status_of(&error).into()
        }
    }
}

/// pep508_rs 0.9 panics on some malformed requirements; the requirements parser catches those
/// panics and reports an input error with the file and line. Their message would only confuse.
pub(crate) fn quiet_caught_panics() {
    let default_hook = std::panic::take_hook();
    std::panic::set_hook(Box::new(move |info| {
        let in_pep508 = info
            .location()
            .is_some_and(|location| location.file().contains("pep508_rs"));
        if !in_pep508 {
            default_hook(info);
        }
    }));
}

/// Runs a parsed command line.
fn run(cli: &Cli, printer: Printer) -> anyhow::Result<Status> {
    let context = Context {
        printer,
        env: Box::new(env_vars::var),
        started: Instant::now(),
    };
    match &cli.command {
        Command::Hash(args) => commands::hash::run(args, &context),
        Command::Parse(args) => commands::parse::run(args, &context),
        Command::Lock(args) => commands::lock::run(args, &context),
        Command::Check(args) => commands::check::run(args, &context),
        Command::Verify(args) => commands::verify::run(args, &context),
        Command::Install(args) => commands::install::run(args, &context),
        Command::Export(args) => commands::export::run(args, &context),
        Command::Completions(args) => commands::completions::completions(args, &context),
        Command::Man(args) => commands::completions::man(args, &context),
        Command::Serve(args) => commands::serve::run(args, context),
    }
}
