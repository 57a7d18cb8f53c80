//! Ctrl-C and SIGTERM end a build cleanly.
//!
//! The handler only raises a flag. `process` watches it while a program runs: it kills the
//! program and runs that command's cleanup (removing a build container, which would survive its
//! CLI otherwise). Commands check it between steps and while packing, so an interrupted build
//! publishes nothing, and `main` exits with 130.

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, OnceLock};

/// Raised by SIGINT or SIGTERM: the one piece of process-wide state, because a signal is.
fn flag() -> &'static Arc<AtomicBool> {
    static FLAG: OnceLock<Arc<AtomicBool>> = OnceLock::new();
    FLAG.get_or_init(|| Arc::new(AtomicBool::new(false)))
}

/// Makes SIGINT and SIGTERM raise the flag instead of ending the process.
pub fn install() -> anyhow::Result<()> {
    for signal in [signal_hook::consts::SIGINT, signal_hook::consts::SIGTERM] {
        signal_hook::flag::register(signal, Arc::clone(flag()))
            .map_err(|e| anyhow::anyhow!("installing the Ctrl-C handler: {e}"))?;
    }
    Ok(())
}

pub fn requested() -> bool {
    flag().load(Ordering::SeqCst)
}

/// The error of an interrupted command, with what it had done by then, if anything.
#[derive(Debug, Default)]
pub struct Interrupted {
    pub done: Option<String>,
}

impl std::fmt::Display for Interrupted {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match &self.done {
            Some(done) => write!(f, "interrupted: {done}"),
            None => write!(
                f,
                "interrupted: nothing was published, the previous outputs are as they were"
            ),
        }
    }
}

impl std::error::Error for Interrupted {}

/// Err(Interrupted) once a signal came.
pub fn check() -> anyhow::Result<()> {
    if requested() {
        return Err(Interrupted::default().into());
    }
    Ok(())
}
