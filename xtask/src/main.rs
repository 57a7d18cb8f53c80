//! `cargo xtask`: parse, dispatch, print the error chain once.

use std::process::ExitCode;

fn main() -> ExitCode {
    let args: Option<Vec<String>> = std::env::args_os()
        .skip(1)
        .map(|a| a.into_string().ok())
        .collect();
    let Some(args) = args else {
        eprintln!("error: an argument is not UTF-8: pass paths and values as UTF-8");
        return ExitCode::FAILURE;
    };
    xtask::interrupt::install();
    match xtask::run(&args) {
        Ok(()) => ExitCode::SUCCESS,
        // A program killed by the same Ctrl-C fails with its own error: still an interrupt.
        Err(e)
            if e.downcast_ref::<xtask::interrupt::Interrupted>().is_some()
                || xtask::interrupt::requested() =>
        {
            eprintln!("error: {e:#}");
            ExitCode::from(130)
        }
        Err(e) => {
            eprintln!("error: {e:#}");
            ExitCode::FAILURE
        }
    }
}
