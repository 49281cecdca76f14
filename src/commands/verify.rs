//! `hashpin verify`: the verify hook (being written).

use anyhow::Result;

use crate::cli::VerifyArgs;
use crate::commands::Context;
use crate::error::{Status, UsageError};

/// Runs `hashpin verify`.
pub fn run(_args: &VerifyArgs, _context: &Context) -> Result<Status> {
    Err(UsageError::new("`hashpin verify` is not available yet").into())
}
