//! One module per subcommand; each reads as a short recipe of calls into the rooms below.

pub(crate) mod check;
pub(crate) mod completions;
pub(crate) mod export;
pub(crate) mod hash;
pub(crate) mod install;
pub(crate) mod lock;
pub(crate) mod parse;
pub(crate) mod resolve;
pub(crate) mod serve;
pub(crate) mod verify;
pub(crate) mod verify_installed;

use std::time::Instant;

use crate::report::Printer;

/// Looks an environment variable up.
pub(crate) type EnvLookup = dyn Fn(&str) -> Option<String> + Sync;

/// What every command gets besides its arguments.
pub(crate) struct Context {
    /// Where output goes.
    pub(crate) printer: Printer,
    /// Reads an environment variable (empty counts as unset); tests and callers can swap it.
    pub(crate) env: Box<EnvLookup>,
    /// When the command started, for timings in summaries.
    pub(crate) started: Instant,
}
