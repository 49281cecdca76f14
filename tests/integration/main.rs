//! Integration tests: one binary, as in ripgrep's tests/tests.rs.

// The loopback index and the test context every test starts from.
mod harness;
mod index_server;
// Checks that the loopback index itself behaves as the tests assume.
mod index_server_selftest;
// `hashpin hash` against `pip hash`.
mod hash;
// `hashpin lock` end to end.
mod lock;
// `hashpin check` audits the index.
mod check;
// `hashpin verify`, the hook: pass, fail, retry and bad input.
mod verify;
// Bad input: exit 2 with the file, line and column.
mod errors;
// Regressions found in review, each named for its behaviour.
mod regression;
// `hashpin lock --resolve` with real pip.
mod resolve;
// `hashpin install` with real pip.
mod install;
// One rule of the judge, every command agreeing on it.
mod judge;
// A hostile index and hostile lockfile edits.
mod hostile;
// Every single-line mutation of a locked entry is caught.
mod mutation;
// What arrives instead of an artifact (too much, an error page, a wrong digest), and network
// failures that must fail fast.
mod downloads;
// `hashpin parse`: what hashpin reads, without an index.
mod parse;
// Issue 9: hashpin and pip itself read the same corpus and its seeded mutations alike.
mod differential;
// Requirements files read exactly as pip reads them.
mod fidelity;
// Real pip accepts what hashpin writes.
mod pip;
// Locks, leftovers, edits during a run, and Ctrl-C: what a run shares and leaves behind.
mod process;
// A stand-in for pip, for tests of what hashpin does around it.
mod fake_pip;
// `hashpin install`'s hooks as the terminal sees them.
mod hooks;
// `hashpin serve`: pip and uv through the verifying index.
mod serve;
// Help, completions and man pages.
mod cli;
// `.pre-commit-hooks.yaml` run by real pre-commit.
mod precommit;
// `hashpin export --format pylock`, installed by uv.
mod export;
// The cooldown (`--exclude-newer`, `exclude-newer-days`).
mod cooldown;
// `hashpin verify --installed` on environments pip installed.
mod installed;
