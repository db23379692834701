//! The `natter` binary; everything lives in the library so tests can run it too.

fn main() -> std::process::ExitCode {
    natter::main_entry()
}
