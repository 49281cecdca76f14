//! Everything hashpin prints goes through here: colors only on a terminal (and never with
//! `NO_COLOR`), diagnostics on stderr, data on stdout, unified diffs made with `similar`.

use std::fmt::Write as _;
use std::io::{self, IsTerminal, Write};

use similar::{ChangeTag, TextDiff};

use crate::env_vars::EnvVars;

pub(crate) mod check;
pub(crate) mod install;
pub(crate) mod installed;
pub(crate) mod parse;
pub(crate) mod verdict;
pub(crate) mod verify;

/// `-v`: every request and download, with its timing, on stderr.
static VERBOSE: std::sync::atomic::AtomicBool = std::sync::atomic::AtomicBool::new(false);

/// Turns `-v` on.
pub(crate) fn set_verbose(on: bool) {
    VERBOSE.store(on, std::sync::atomic::Ordering::Relaxed);
}

/// Whether `-v` is on.
pub(crate) fn verbose() -> bool {
    VERBOSE.load(std::sync::atomic::Ordering::Relaxed)
}

/// One line for `-v` (nothing without it). Callers redact URLs first.
pub(crate) fn trace(text: impl FnOnce() -> String) {
    if verbose() {
        let mut stderr = io::stderr().lock();
        let _ = writeln!(stderr, "  · {}", text());
    }
}

/// When to use color.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, clap::ValueEnum)]
pub(crate) enum ColorChoice {
    /// On a terminal, unless `NO_COLOR` is set.
    #[default]
    Auto,
    /// Always.
    Always,
    /// Never.
    Never,
}

/// A text style.
#[derive(Debug, Clone, Copy)]
pub(crate) enum Style {
    /// Errors and removed lines.
    Red,
    /// Added lines and success.
    Green,
    /// Warnings.
    Yellow,
    /// Hunk headers and hints.
    Cyan,
    /// Emphasis.
    Bold,
}

impl Style {
    fn code(self) -> &'static str {
        match self {
            Self::Red => "31",
            Self::Green => "32",
            Self::Yellow => "33",
            Self::Cyan => "36",
            Self::Bold => "1",
        }
    }
}

/// Writes to stdout and stderr, colored where that helps a person.
#[derive(Debug, Clone)]
pub(crate) struct Printer {
    color_stdout: bool,
    color_stderr: bool,
    quiet: bool,
    /// Writes nothing to stderr at all: for work begun ahead of need, whose problems the
    /// work that needs it meets again and reports.
    muted: bool,
}

impl Printer {
    /// Decides on color for each stream once.
    pub(crate) fn new(
        choice: ColorChoice,
        quiet: bool,
        env: &dyn Fn(&str) -> Option<String>,
    ) -> Self {
        let decide = |is_terminal: bool| match choice {
            ColorChoice::Always => true,
            ColorChoice::Never => false,
            ColorChoice::Auto => {
                env(EnvVars::NO_COLOR).is_none()
                    && (is_terminal || env(EnvVars::FORCE_COLOR).is_some())
            }
        };
        Self {
            color_stdout: decide(io::stdout().is_terminal()),
            color_stderr: decide(io::stderr().is_terminal()),
            quiet,
            muted: false,
        }
    }

    /// This printer, writing nothing to stderr.
    pub(crate) fn muted(&self) -> Self {
        Self {
            quiet: true,
            muted: true,
            ..self.clone()
        }
    }

    /// Whether stderr is a terminal a person watches (for progress).
    pub(crate) fn stderr_is_terminal(&self) -> bool {
        !self.quiet && io::stderr().is_terminal()
    }

    fn paint(enabled: bool, style: Style, text: &str) -> String {
        if enabled {
            format!("\x1b[{}m{text}\x1b[0m", style.code())
        } else {
            text.to_string()
        }
    }

    /// Styles text meant for stderr.
    pub(crate) fn err_style(&self, style: Style, text: &str) -> String {
        Self::paint(self.color_stderr, style, text)
    }

    /// Writes data to stdout; a closed pipe comes back as an error for the caller to stop on.
    pub(crate) fn out(&self, text: &str) -> io::Result<()> {
        let mut stdout = io::stdout().lock();
        stdout.write_all(text.as_bytes())?;
        stdout.flush()
    }

    /// Styles text meant for stdout.
    pub(crate) fn out_style(&self, style: Style, text: &str) -> String {
        Self::paint(self.color_stdout, style, text)
    }

    /// Writes data for people to stdout, unless `--quiet`.
    pub(crate) fn out_info(&self, text: &str) -> io::Result<()> {
        if self.quiet { Ok(()) } else { self.out(text) }
    }

    /// Colors a plain unified diff for stdout or stderr.
    pub(crate) fn color_diff(&self, for_stdout: bool, diff: &str) -> String {
        let color = if for_stdout {
            self.color_stdout
        } else {
            self.color_stderr
        };
        let mut out = String::new();
        for line in diff.lines() {
            let style = if line.starts_with("---") || line.starts_with("+++") {
                Some(Style::Bold)
            } else if line.starts_with("@@") {
                Some(Style::Cyan)
            } else if line.starts_with('-') {
                Some(Style::Red)
            } else if line.starts_with('+') {
                Some(Style::Green)
            } else {
                None
            };
            match style {
                Some(style) => out.push_str(&Self::paint(color, style, line)),
                None => out.push_str(line),
            }
            out.push('\n');
        }
        out
    }

    /// Writes a diagnostic line to stderr.
    pub(crate) fn err(&self, text: &str) {
        if self.muted {
            return;
        }
        let mut stderr = io::stderr().lock();
        let _ = writeln!(stderr, "{text}");
    }

    /// A status line for people, suppressed by `--quiet`.
    pub(crate) fn info(&self, text: &str) {
        if !self.quiet {
            self.err(text);
        }
    }

    /// `warning: ...`, with any `hint:` lines styled.
    pub(crate) fn warning(&self, message: &str) {
        self.labelled("warning", Style::Yellow, message);
    }

    /// `error: ...` for an error and its causes.
    pub(crate) fn error(&self, error: &anyhow::Error) {
        let mut text = error.to_string();
        for cause in error.chain().skip(1) {
            let _ = write!(text, "\n  caused by: {cause}");
        }
        self.labelled("error", Style::Red, &text);
    }

    /// `error: ...` for a message.
    pub(crate) fn error_text(&self, text: &str) {
        self.labelled("error", Style::Red, text);
    }

    /// `refused: ...`: the last line of a refusal, saying what refused and what was not done.
    pub(crate) fn refused(&self, text: &str) {
        self.labelled("refused", Style::Red, text);
    }

    /// `hint: ...`.
    pub(crate) fn hint(&self, text: &str) {
        self.err(&format!("{} {text}", self.err_style(Style::Cyan, "hint:")));
    }

    /// `LABEL: text` on stderr, the label bold and colored, any `hint:` lines styled.
    pub(crate) fn labelled(&self, label: &str, style: Style, text: &str) {
        let prefix = self.err_style(style, label);
        self.err(&format!(
            "{}: {}",
            self.err_style(Style::Bold, &prefix),
            self.style_hints(text)
        ));
    }

    fn style_hints(&self, text: &str) -> String {
        text.lines()
            .map(|line| match line.strip_prefix("hint:") {
                Some(rest) => format!("{}{rest}", self.err_style(Style::Cyan, "hint:")),
                None => line.to_string(),
            })
            .collect::<Vec<_>>()
            .join("\n")
    }

    /// A transient progress line on a terminal; nothing elsewhere.
    pub(crate) fn progress(&self, text: &str) {
        if self.stderr_is_terminal() {
            let mut stderr = io::stderr().lock();
            let _ = write!(stderr, "\r\x1b[2K{text}");
            let _ = stderr.flush();
        }
    }

    /// A progress bar for downloads, drawn on a terminal only (not with `--quiet` or `-v`,
    /// whose lines it would tear); it grows as downloads are found.
    pub(crate) fn download_bar(&self) -> Bar {
        if !self.stderr_is_terminal() || self.quiet || verbose() {
            return Bar(None);
        }
        let bar = indicatif::ProgressBar::with_draw_target(
            Some(0),
            indicatif::ProgressDrawTarget::hidden(),
        );
        let style = indicatif::ProgressStyle::with_template(
            "{prefix} [{bar:30}] {pos}/{len} artifacts, {elapsed}{msg}",
        )
        .map(|style| style.progress_chars("=> "));
        if let Ok(style) = style {
            bar.set_style(style);
        }
        bar.set_prefix("hashing");
        Bar(Some(bar))
    }

    /// Clears the progress line.
    pub(crate) fn clear_progress(&self) {
        if self.stderr_is_terminal() {
            let mut stderr = io::stderr().lock();
            let _ = write!(stderr, "\r\x1b[2K");
            let _ = stderr.flush();
        }
    }

    /// A unified diff between two versions of a file, colored for the stream it goes to.
    pub(crate) fn diff(&self, for_stdout: bool, label: &str, old: &str, new: &str) -> String {
        let color = if for_stdout {
            self.color_stdout
        } else {
            self.color_stderr
        };
        unified_diff(label, old, new, color)
    }
}

/// A unified diff (`--- a/label`, `+++ b/label`, 3 lines of context). Line endings are shown
/// as `\n`; a `\r` difference alone still shows as a changed line.
pub(crate) fn unified_diff(label: &str, old: &str, new: &str, color: bool) -> String {
    let diff = TextDiff::from_lines(old, new);
    let mut out = String::new();
    let _ = writeln!(
        out,
        "{}",
        Printer::paint(color, Style::Bold, &format!("--- a/{label}"))
    );
    let _ = writeln!(
        out,
        "{}",
        Printer::paint(color, Style::Bold, &format!("+++ b/{label}"))
    );
    for group in diff.grouped_ops(3) {
        let (Some(first), Some(last)) = (group.first(), group.last()) else {
            continue;
        };
        let old_range = first.old_range().start..last.old_range().end;
        let new_range = first.new_range().start..last.new_range().end;
        let header = format!(
            "@@ -{} +{} @@",
            hunk_range(&old_range),
            hunk_range(&new_range)
        );
        let _ = writeln!(out, "{}", Printer::paint(color, Style::Cyan, &header));
        for op in &group {
            for change in diff.iter_changes(op) {
                let (sign, style) = match change.tag() {
                    ChangeTag::Delete => ("-", Some(Style::Red)),
                    ChangeTag::Insert => ("+", Some(Style::Green)),
                    ChangeTag::Equal => (" ", None),
                };
                let value = change.value();
                let line = value.trim_end_matches(['\n', '\r']);
                let text = format!("{sign}{line}");
                let _ = match style {
                    Some(style) => writeln!(out, "{}", Printer::paint(color, style, &text)),
                    None => writeln!(out, "{text}"),
                };
                if !value.ends_with('\n') {
                    let _ = writeln!(out, "\\ No newline at end of file");
                }
            }
        }
    }
    out
}

/// A hunk range as GNU diff writes it: `start,length`, `start` alone for one line, and the line
/// before for an empty range.
fn hunk_range(range: &std::ops::Range<usize>) -> String {
    match range.len() {
        0 => format!("{},0", range.start),
        1 => format!("{}", range.start + 1),
        length => format!("{},{length}", range.start + 1),
    }
}

/// A download progress bar; does nothing when not on a terminal.
pub(crate) struct Bar(Option<indicatif::ProgressBar>);

impl Bar {
    /// More artifacts to do.
    pub(crate) fn grow(&self, more: usize) {
        if let Some(bar) = &self.0 {
            // Drawn from the first download on: an empty bar says nothing.
            if bar.is_hidden() {
                bar.set_draw_target(indicatif::ProgressDrawTarget::stderr());
            }
            bar.inc_length(more as u64);
        }
    }

    /// Shows `text` after the count; `false` when there is no bar to show it on.
    pub(crate) fn note(&self, text: &str) -> bool {
        if let Some(bar) = &self.0 {
            bar.set_message(text.to_string());
        }
        self.0.is_some()
    }

    /// One more artifact done.
    pub(crate) fn inc(&self) {
        if let Some(bar) = &self.0 {
            bar.inc(1);
        }
    }
}

impl Drop for Bar {
    fn drop(&mut self) {
        if let Some(bar) = &self.0 {
            bar.finish_and_clear();
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn diff_shows_changed_lines_with_context() {
        let diff = unified_diff("r.txt", "a\nb\nc\n", "a\nB\nc\n", false);
        assert_eq!(
            diff,
            "--- a/r.txt\n+++ b/r.txt\n@@ -1,3 +1,3 @@\n a\n-b\n+B\n c\n"
        );
        let colored = unified_diff("r.txt", "a\n", "b\n", true);
        assert!(colored.contains("\x1b[31m-a\x1b[0m"));
    }
}
