//! `hashpin check`: audit the index (being written).

use anyhow::Result;

use crate::cli::CheckArgs;
use crate::commands::Context;
use crate::error::{Status, UsageError};

/// Runs `hashpin check`.
pub fn run(_args: &CheckArgs, _context: &Context) -> Result<Status> {
    Err(UsageError::new("`hashpin check` is not available yet").into())
}
