//! The Asterisk xtask: RPMs and a runtime image from an Asterisk working tree, in stages.
//!
//! From the bottom up (each layer imports only those below it; `layers` checks it):
//! `infra` (the program runner, the engine, the workspace), `plan` (the user's choices, a
//! module per concern), the stages `source`, `bundled`, `rpmbuild`, `outputs`, `container`,
//! then `machine` and `measure` (doctor's and bench's logic), `cli` (composes the flags), and
//! `commands` (thin sequences of the stages). See ARCHITECTURE.md.

// Crate-private, so that the compiler reports what nothing uses; what the end-to-end tests
// check against the real programs is re-exported in `checked`.
pub(crate) mod bundled;
pub(crate) mod cli;
pub(crate) mod commands;
pub(crate) mod container;
pub(crate) mod infra;
pub(crate) mod machine;
pub(crate) mod measure;
pub(crate) mod outputs;
pub(crate) mod plan;
pub(crate) mod rpmbuild;
pub(crate) mod source;

use anyhow::Result;

/// What the end-to-end tests check against the real programs: the version rules (against rpm's
/// own order) and the rule that names the main package (against the packages rpmbuild makes).
pub mod checked {
    pub use crate::rpmbuild::subpackages::is_main;
    pub use crate::source::rpm_version::rpm_version;
    pub use crate::source::snapshot::{Snapshot, Tag};
    pub use crate::source::vercmp::rpmvercmp;
}

use infra::workspace::Workspace;

/// Takes what `cargo run` put in LD_LIBRARY_PATH back out (`infra::workspace`): `main` calls it
/// first.
pub fn forget_cargo_library_paths() {
    infra::workspace::forget_cargo_library_paths()
}

/// Makes Ctrl-C and SIGTERM end a run cleanly (see `infra::interrupt`): `main` calls it first.
pub fn install_interrupt_handler() -> Result<()> {
    infra::interrupt::install()
}

/// The exit status for an error: 2 for a command line the xtask cannot take, 130 for an
/// interrupt (a program killed by the same Ctrl-C fails with its own error: still an
/// interrupt), 1 for everything else.
pub fn exit_code(e: &anyhow::Error) -> u8 {
    if e.downcast_ref::<crate::plan::flag::Usage>().is_some() {
        2
    } else if e.downcast_ref::<infra::interrupt::Interrupted>().is_some()
        || infra::interrupt::requested()
    {
        130
    } else {
        1
    }
}

/// The error as the user reads it: the chain on one line (a failed program's last lines
/// follow, indented), with what to do when the cause is a full disk or a refused write.
pub fn explain(e: &anyhow::Error) -> String {
    let text = format!("{e:#}");
    let errno = e
        .chain()
        .find_map(|cause| cause.downcast_ref::<std::io::Error>())
        .and_then(std::io::Error::raw_os_error);
    let hint = match errno {
        Some(libc::ENOSPC | libc::EDQUOT) => Some(DISK_FULL),
        Some(libc::EACCES | libc::EPERM | libc::EROFS) => Some(NOT_ALLOWED),
        _ if text.contains("No space left on device") => Some(DISK_FULL),
        _ => None,
    };
    match hint {
        None => text,
        Some(hint) => match text.split_once('\n') {
            // A failed program's line ends with "; its last lines:": the hint goes before.
            Some((first, rest)) => match first.strip_suffix("; its last lines:") {
                Some(said) => format!("{said}: {hint}; its last lines:\n{rest}"),
                None => format!("{first}: {hint}\n{rest}"),
            },
            None => format!("{text}: {hint}"),
        },
    }
}

const DISK_FULL: &str = "the disk is full: free some space there (df -h shows how much is left), \
    or move the directory named above to a disk with room (with --out, --download-cache or \
    CARGO_TARGET_DIR, as it is one of those)";
const NOT_ALLOWED: &str = "writing there is not allowed: check the owner and permissions \
    (or whether it is mounted read-only), or move the directory named above to one you own \
    (with --out, --download-cache or CARGO_TARGET_DIR, as it is one of those)";

/// Runs the command line (without the program name).
pub fn run(args: &[String]) -> Result<()> {
    let command = cli::parse(args)?;
    plan::flag::check_limit_settings(|var| std::env::var(var).ok())?;
    match command {
        cli::Command::Print(text) => {
            print!("{text}");
            Ok(())
        }
        cli::Command::Rpm(f) => commands::rpm::run(f, &Workspace::from_env()?),
        cli::Command::Image(f) => commands::image::run(f, &Workspace::from_env()?),
        cli::Command::Run(f) => commands::run::run(f, &Workspace::from_env()?),
        cli::Command::Smoke(f) => commands::smoke::run(f, &Workspace::from_env()?),
        cli::Command::Fetch(f) => commands::fetch::run(f, &Workspace::from_env()?),
        cli::Command::Doctor(f) => commands::doctor::run(f, &Workspace::from_env()?),
        cli::Command::Bench(f) => commands::bench::run(f, &Workspace::from_env()?),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn errors_say_what_to_do_and_exit_with_their_kind() {
        let full = anyhow::Error::from(std::io::Error::from_raw_os_error(libc::ENOSPC))
            .context("copying a to b");
        let text = explain(&full);
        assert!(
            text.starts_with("copying a to b: No space left") && text.contains("df -h"),
            "{text}"
        );
        let ro = anyhow::Error::from(std::io::Error::from_raw_os_error(libc::EROFS)).context("x");
        assert!(explain(&ro).contains("read-only"), "{}", explain(&ro));
        let program = anyhow::anyhow!(infra::exec::Failed {
            program: "rpmbuild".into(),
            code: Some(1),
            status: "exited with status 1".into(),
            tail: vec!["cp: error writing 'x': No space left on device".into()],
        });
        let text = explain(&program);
        let first = text.lines().next().unwrap();
        assert!(
            first.contains("rpmbuild exited") && first.contains("df -h"),
            "{text}"
        );
        assert!(
            text.lines().nth(1).unwrap().starts_with("    cp:"),
            "{text}"
        );
        assert_eq!(explain(&anyhow::anyhow!("plain")), "plain");
        assert_eq!(
            exit_code(&cli::parse(&["bogus".to_string()]).unwrap_err()),
            2
        );
        assert_eq!(
            exit_code(&anyhow::Error::from(
                infra::interrupt::Interrupted::default()
            )),
            130
        );
        assert_eq!(exit_code(&anyhow::anyhow!("x")), 1);
    }
}
#[cfg(test)]
mod layers;
