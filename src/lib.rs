//! hashpin records and verifies the exact bytes of every Python artifact a project installs.
//!
//! Data flows one way: `cli` → `commands` → (`requirements`, `index`, `fetch`, `lockfile`) →
//! `report`. The lower rooms (`hash`, `name`, `artifact`) import nothing of ours above them.

pub mod artifact;
pub mod cache;
pub mod cli;
pub mod commands;
pub mod env_vars;
pub mod error;
pub mod fetch;
pub mod hash;
pub mod hooks;
pub mod index;
pub mod inspect;
pub mod judge;
pub mod lockfile;
pub mod name;
pub mod persist;
pub mod pip;
pub mod platform;
pub mod pool;
pub mod report;
pub mod requirements;
pub mod safe_url;
pub mod shell_words;
pub mod survey;

use std::time::Instant;

use cli::{Cli, Command};
use commands::Context;
use error::Status;
use report::Printer;

/// The printer the command line asks for.
pub fn printer_for(cli: &Cli) -> Printer {
    Printer::new(cli.color, cli.quiet, &env_vars::var)
}

/// Runs a parsed command line.
pub fn run(cli: Cli, printer: Printer) -> anyhow::Result<Status> {
    let context = Context {
        printer,
        env: Box::new(env_vars::var),
        started: Instant::now(),
    };
    match &cli.command {
        Command::Hash(args) => commands::hash::run(args, &context),
        Command::Lock(args) => commands::lock::run(args, &context),
        Command::Check(args) => commands::check::run(args, &context),
        Command::Verify(args) => commands::verify::run(args, &context),
        Command::Install(args) => commands::install::run(args, &context),
    }
}
