//! The `hashpin` binary; everything it does is in the library.

/// mimalloc instead of glibc's allocator: many threads allocate and free short-lived download
/// and listing state, which glibc serves from per-thread arenas that fragment (a lock of
/// 100,000 pins held hundreds of MB it no longer used) and contend on their locks.
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

fn main() -> std::process::ExitCode {
    hashpin::main()
}
