//! The `seedbed` binary: everything lives in the library's `cli` module.

fn main() -> std::process::ExitCode {
    seedbed::cli::main()
}
