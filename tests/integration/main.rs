//! Integration tests: one binary, as in ripgrep's tests/tests.rs.
mod index_server;
// Checks that the loopback index itself behaves as the tests assume.
mod index_server_selftest;
