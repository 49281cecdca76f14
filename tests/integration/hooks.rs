//! `hashpin install`'s hooks seen from the terminal, with a fake pip (see `fake_pip`): what a
//! hook prints reaches the user only as text.

use crate::fake_pip::{FakePip, Resolution};
use crate::harness::TestContext;

const TINY_WHEEL: &str = "tinyproj-1.0.0-py3-none-any.whl";

// A hook could clear the screen, set the window title, move the cursor or return to the start
// of a line, and so print over hashpin's own lines or forge new ones.
// See: https://github.com/hashpin/hashpin/issues/8
#[test]
fn what_a_hook_prints_cannot_drive_the_terminal() {
    let context = TestContext::new();
    context.write("requirements.txt", "tinyproj==1.0.0\n");
    assert_eq!(context.lock(&[]).code, 0);
    let pip = FakePip::new(
        &context,
        &Resolution::Install(&[("tinyproj", "1.0.0", TINY_WHEEL)]),
    );
    context.write(
        "loud-hook.sh",
        "#!/bin/sh\n\
         printf '\\033[2J\\033[Hscreen cleared\\n'\n\
         printf '\\033]0;window title\\007\\033[32mgreen\\033[0m\\n'\n\
         printf 'checking\\rverified 1 artifact; installing with pip\\n'\n\
         printf '\\033[1A\\033[2Kline above erased\\n' >&2\n\
         printf 'a\\ttab stays\\n'\n\
         exit 1\n",
    );
    let run = context.run(&[
        "install",
        "--python",
        pip.python.to_str().unwrap(),
        "-i",
        &context.server.simple_url(),
        "--hook",
        "sh loud-hook.sh",
    ]);
    assert_eq!(run.code, 1, "{}", run.stderr);
    for raw in ['\x1b', '\x07', '\r'] {
        assert!(!run.stderr.contains(raw), "{raw:?} in {:?}", run.stderr);
    }
    insta::assert_snapshot!(run.stderr, @r"
    pip resolved 1 package
      [sh loud-hook.sh] \u{1b}[2J\u{1b}[Hscreen cleared
      [sh loud-hook.sh] \u{1b}]0;window title\u{7}\u{1b}[32mgreen\u{1b}[0m
      [sh loud-hook.sh] checking\rverified 1 artifact; installing with pip
      [sh loud-hook.sh] a	tab stays
      [sh loud-hook.sh] \u{1b}[1A\u{1b}[2Kline above erased
    error: a hook refused `tinyproj-1.0.0-py3-none-any.whl`: exited with code 1
    refused: 1 artifact refused by hooks; nothing installed
    ");
}
