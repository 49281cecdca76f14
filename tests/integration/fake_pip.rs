//! A stand-in for `python -m pip`, for tests of what hashpin does around pip rather than of
//! pip itself: it answers `install --dry-run --report FILE` with a report the test writes
//! (pip's resolution, without pip), records the PID of each call, and can be told to hang.
//! Milliseconds per call, where a real virtual environment takes seconds.

use std::path::PathBuf;

use crate::harness::TestContext;

/// A fake interpreter in a test's directory.
pub(crate) struct FakePip {
    /// The script to pass as `--python`.
    pub(crate) python: PathBuf,
    /// One line per call: the PID of the process that answered it.
    pub(crate) pids: PathBuf,
}

/// What the fake does when hashpin asks it to resolve.
pub(crate) enum Resolution<'a> {
    /// Writes a report installing these files of the test index, as (project, version,
    /// filename), each requested.
    Install(&'a [(&'a str, &'a str, &'a str)]),
    /// Never answers: sleeps, under the PID it recorded, until it is stopped; with
    /// `ignoring_interrupts`, SIGINT does not stop it, and only SIGKILL will.
    Hang {
        /// Whether SIGINT is ignored.
        ignoring_interrupts: bool,
    },
}

impl FakePip {
    /// Writes the fake into the test's directory. Any other call (the final install, the
    /// wheel tags) succeeds and does nothing.
    pub(crate) fn new(context: &TestContext, resolution: &Resolution<'_>) -> Self {
        let python = context.path("fake-python");
        let pids = context.path("fake-python.pids");
        let on_report = match resolution {
            Resolution::Install(files) => {
                let report = context.path("fake-report.json");
                fs_err::write(&report, report_json(context, files)).unwrap();
                format!("cat '{}' > \"$report\"", report.display())
            }
            // `exec` keeps the PID just recorded: the process to look for afterwards. A signal
            // ignored stays ignored across `exec`.
            Resolution::Hang {
                ignoring_interrupts,
            } => {
                let trap = if *ignoring_interrupts {
                    "trap '' INT; "
                } else {
                    ""
                };
                format!("{trap}exec sleep 600")
            }
        };
        let script = format!(
            "#!/bin/sh\n\
             echo $$ >> '{pids}'\n\
             report=''\n\
             previous=''\n\
             for argument in \"$@\"; do\n\
             \x20   if [ \"$previous\" = --report ]; then report=\"$argument\"; fi\n\
             \x20   previous=\"$argument\"\n\
             done\n\
             if [ -n \"$report\" ]; then\n\
             \x20   {on_report}\n\
             fi\n\
             exit 0\n",
            pids = pids.display(),
        );
        fs_err::write(&python, script).unwrap();
        let status = std::process::Command::new("chmod")
            .arg("+x")
            .arg(&python)
            .status()
            .unwrap();
        assert!(status.success());
        Self { python, pids }
    }
}

/// pip's `--report` JSON for `files` of the test index.
fn report_json(context: &TestContext, files: &[(&str, &str, &str)]) -> String {
    let items: Vec<String> = files
        .iter()
        .map(|(project, version, filename)| {
            format!(
                r#"{{"download_info":{{"url":"{url}","archive_info":{{"hashes":{{}}}}}},"is_direct":false,"requested":true,"metadata":{{"name":"{project}","version":"{version}"}}}}"#,
                url = context.server.file_url(filename),
            )
        })
        .collect();
    format!(
        r#"{{"version":"1","pip_version":"23.2.1","install":[{}],"environment":{{}}}}"#,
        items.join(",")
    )
}
