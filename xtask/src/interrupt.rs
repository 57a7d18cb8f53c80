//! Ctrl-C and SIGTERM end a build cleanly.
//!
//! The handler only raises a flag. `process` watches it while a program runs: it kills the
//! program and runs that command's cleanup (removing a build container, which would survive its
//! CLI otherwise). Commands check it between steps and while packing, so an interrupted build
//! publishes nothing, and `main` exits with 130.

use std::sync::atomic::{AtomicBool, Ordering};

static INTERRUPTED: AtomicBool = AtomicBool::new(false);

extern "C" fn on_signal(_signal: libc::c_int) {
    INTERRUPTED.store(true, Ordering::SeqCst);
}

/// Installs the handler for SIGINT and SIGTERM.
pub fn install() {
    let handler = on_signal as extern "C" fn(libc::c_int) as libc::sighandler_t;
    // SAFETY: the handler only stores to an atomic, which is async-signal-safe.
    unsafe {
        libc::signal(libc::SIGINT, handler);
        libc::signal(libc::SIGTERM, handler);
    }
}

pub fn requested() -> bool {
    INTERRUPTED.load(Ordering::SeqCst)
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
