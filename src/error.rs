//! Exit statuses, and which errors mean which status.
//!
//! The statuses are part of the interface and the same for every command:
//! `0` success (warnings allowed), `1` verification failure, `2` usage or input error,
//! `3` the verify hook's "retry" (try another artifact), `4` operational error (network,
//! index, I/O), `130` interrupted (Ctrl-C or SIGTERM).

use std::process::ExitCode;

use crate::hooks::HookConfigError;
use crate::index::IndexError;
use crate::index::config::ConfigError;
use crate::requirements::load::LoadError;
use crate::requirements::{ParseError, ParseErrors};

/// How a command ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub(crate) enum Status {
    /// Everything checked out; warnings may have been printed.
    Success = 0,
    /// A hash differs, an index lied about a digest, an artifact was refused, or `--check`
    /// found that the lockfile would change.
    Failure = 1,
    /// Bad command line or bad input file.
    Usage = 2,
    /// The verify hook's "try another artifact".
    Retry = 3,
    /// Network, index or I/O trouble.
    Error = 4,
    /// Stopped by Ctrl-C (SIGINT) or SIGTERM: 128 + SIGINT's number, as a shell reports a
    /// process Ctrl-C ended. Children stopped, temporary files removed, lockfiles as they were.
    Interrupted = 130,
}

impl From<Status> for ExitCode {
    fn from(status: Status) -> Self {
        ExitCode::from(status as u8)
    }
}

/// An input error that is not a parse error: a missing file, a bad flag value.
#[derive(Debug, thiserror::Error)]
#[error("{message}")]
pub(crate) struct UsageError {
    /// What is wrong, and the hint on its own line.
    pub(crate) message: String,
}

impl UsageError {
    /// A usage error with a message.
    pub(crate) fn new(message: impl Into<String>) -> Self {
        Self {
            message: message.into(),
        }
    }
}

/// A pinned release of which no index lists any file: an input error for `lock` (exit 2), and
/// for `check` simply every recorded file missing.
#[derive(Debug, thiserror::Error)]
#[error("{0}")]
pub(crate) struct NoReleaseFiles(pub(crate) String);

/// The status an error ends the process with: 2 for input errors, 4 for everything else.
pub(crate) fn status_of(error: &anyhow::Error) -> Status {
    for cause in error.chain() {
        if cause.is::<UsageError>()
            || cause.is::<NoReleaseFiles>()
            || cause.is::<ParseErrors>()
            || cause.is::<ParseError>()
            || cause.is::<ConfigError>()
            || matches!(
                cause.downcast_ref::<LoadError>(),
                Some(LoadError::Parse(_) | LoadError::NotUtf8 { .. })
            )
        {
            return Status::Usage;
        }
        if let Some(hook_error) = cause.downcast_ref::<HookConfigError>() {
            return hook_config_status(hook_error);
        }
        if cause.is::<IndexError>() {
            return Status::Error;
        }
        if cause.is::<crate::survey::CooldownRefusal>() {
            return Status::Failure;
        }
    }
    Status::Error
}

/// The status of a hook configuration error. What the user wrote (a malformed table, an
/// unknown key, a `--hook` value that does not split) is input, 2; a file that exists but
/// cannot be read is trouble on the machine (permissions, a directory in its place, an I/O
/// error), 4, as for a requirements file. A file that is not UTF-8 is the exception: it was
/// read, and what it holds is wrong, so it is input, as `LoadError::NotUtf8` is.
fn hook_config_status(error: &HookConfigError) -> Status {
    // No wildcard arm: a new variant must be placed on one side or the other.
    match error {
        HookConfigError::Read { source, .. }
            if source.kind() == std::io::ErrorKind::InvalidData =>
        {
            Status::Usage
        }
        HookConfigError::Read { .. } => Status::Error,
        HookConfigError::Invalid { .. } | HookConfigError::CliHook { .. } => Status::Usage,
    }
}

/// Whether the error is a closed pipe (`hashpin hash * | head`), which is not a failure.
pub(crate) fn is_broken_pipe(error: &anyhow::Error) -> bool {
    error.chain().any(|cause| {
        cause
            .downcast_ref::<std::io::Error>()
            .is_some_and(|io| io.kind() == std::io::ErrorKind::BrokenPipe)
    })
}

#[cfg(test)]
mod tests {
    use std::io;
    use std::path::PathBuf;

    use super::*;
    use crate::shell_words::SplitError;

    /// A hook configuration error that could not read `hashpin.toml` for `kind`.
    fn unreadable(kind: io::ErrorKind) -> anyhow::Error {
        HookConfigError::Read {
            path: PathBuf::from("hashpin.toml"),
            source: io::Error::from(kind),
        }
        .into()
    }

    #[test]
    fn hook_configuration_errors_are_input_errors_unless_the_file_cannot_be_read() {
        let invalid: anyhow::Error = HookConfigError::Invalid {
            path: PathBuf::from("hashpin.toml"),
            message: "unknown field `hook`".to_string(),
            expected: "`[[hooks]]`",
        }
        .into();
        assert_eq!(status_of(&invalid), Status::Usage);
        let cli_hook: anyhow::Error = HookConfigError::CliHook {
            value: "x 'y".to_string(),
            reason: SplitError::UnclosedQuote {
                quote: '\'',
                word_start: 2,
            },
        }
        .into();
        assert_eq!(status_of(&cli_hook), Status::Usage);
        // Wrapped in context, as a command might.
        assert_eq!(
            status_of(&cli_hook.context("cannot load hooks")),
            Status::Usage
        );

        assert_eq!(
            status_of(&unreadable(io::ErrorKind::PermissionDenied)),
            Status::Error
        );
        assert_eq!(
            status_of(&unreadable(io::ErrorKind::IsADirectory)),
            Status::Error
        );
        // Not UTF-8: read fine, but holds the wrong thing.
        assert_eq!(
            status_of(&unreadable(io::ErrorKind::InvalidData)),
            Status::Usage
        );
    }
}
