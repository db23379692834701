//! The natter binary's entry point, built by `cargo test` for the tests to spawn
//! as edge and store-worker processes (so they can be killed for real).

fn main() -> std::process::ExitCode {
    natter::main_entry()
}
