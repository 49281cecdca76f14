//! The `hashpin` binary; everything it does is in the library.

fn main() -> std::process::ExitCode {
    hashpin::main()
}
