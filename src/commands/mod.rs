//! One module per subcommand; each reads as a short recipe of calls into the rooms below.

pub mod check;
pub mod hash;
pub mod install;
pub mod lock;
pub mod resolve;
pub mod verify;

use std::time::Instant;

use crate::report::Printer;

/// Looks an environment variable up.
pub type EnvLookup = dyn Fn(&str) -> Option<String> + Sync;

/// What every command gets besides its arguments.
pub struct Context {
    /// Where output goes.
    pub printer: Printer,
    /// Reads an environment variable (empty counts as unset); tests and callers can swap it.
    pub env: Box<EnvLookup>,
    /// When the command started, for timings in summaries.
    pub started: Instant,
}
