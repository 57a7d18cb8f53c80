//! `cargo xtask`: parse, dispatch, print the error chain once, exit with what it means.

use std::process::ExitCode;

fn main() -> ExitCode {
    // Before any thread or program: what `cargo run` added to LD_LIBRARY_PATH is not the user's.
    xtask::forget_cargo_library_paths();
    let args: Option<Vec<String>> = std::env::args_os()
        .skip(1)
        .map(|a| a.into_string().ok())
        .collect();
    let Some(args) = args else {
        eprintln!("error: an argument is not UTF-8: pass paths and values as UTF-8");
        return ExitCode::from(2);
    };
    match xtask::install_interrupt_handler().and_then(|()| xtask::run(&args)) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("error: {}", xtask::explain(&e));
            ExitCode::from(xtask::exit_code(&e))
        }
    }
}
