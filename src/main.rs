//! The `hashpin` binary: parse the command line, run, map the outcome to an exit code.

use std::process::ExitCode;

use clap::Parser;
use hashpin::cli::Cli;
use hashpin::error::{Status, is_broken_pipe, status_of};

fn main() -> ExitCode {
    let cli = Cli::parse();
    let printer = hashpin::printer_for(&cli);
    match hashpin::run(cli, printer.clone()) {
        Ok(status) => status.into(),
        Err(error) if is_broken_pipe(&error) => Status::Success.into(),
        Err(error) => {
            printer.error(&error);
            status_of(&error).into()
        }
    }
}
