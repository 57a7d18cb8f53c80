//! The Asterisk xtask: RPMs and a runtime image from an Asterisk working tree, in stages.
//!
//! `cli` parses, `plan` decides, and each command in `commands/` sequences the stages, whose
//! folders draw the pipeline: `source/` (tree, files, version, date, archive), `build/` (spec,
//! rpmbuild here or in the builder, outputs, publish, manifest), `container/` (engine, image,
//! smoke). `exec/` is the one place programs run. See the README's contributor section.

pub mod bench;
pub mod build;
pub mod cli;
pub mod commands;

pub mod container;
pub mod doctor;
pub mod exec;
pub mod plan;
pub mod report;
pub mod sha256;
pub mod source;
pub mod thirdparty;

use anyhow::{Context, Result};
use camino::{Utf8Path, Utf8PathBuf};

/// Where the xtask lives and writes.
#[derive(Debug, Clone)]
pub struct Workspace {
    /// The workspace root: the Asterisk checkout the xtask was dropped into (or this repository).
    pub root: Utf8PathBuf,
    /// The target directory: `CARGO_TARGET_DIR`, else `<root>/target`. Everything the xtask
    /// writes goes under it, unless `--out` says otherwise.
    pub target: Utf8PathBuf,
}

impl Workspace {
    pub fn from_env() -> Result<Workspace> {
        let root = Utf8Path::new(env!("CARGO_MANIFEST_DIR"))
            .parent()
            .context("the xtask crate has no parent directory")?
            .to_owned();
        let target = match std::env::var("CARGO_TARGET_DIR") {
            Ok(dir) if !dir.is_empty() => plan::absolute(Utf8Path::new(&dir))?,
            _ => root.join("target"),
        };
        Ok(Workspace { root, target })
    }

    /// Holds the target directory's build lock until the returned file is dropped: two builds
    /// at once would share the work directory.
    pub fn lock(&self) -> Result<std::fs::File> {
        let dir = self.target.join("xtask");
        std::fs::create_dir_all(&dir).with_context(|| format!("creating {dir}"))?;
        let path = dir.join("lock");
        let file = std::fs::OpenOptions::new()
            .create(true)
            .truncate(false)
            .write(true)
            .open(&path)
            .with_context(|| format!("opening {path}"))?;
        match file.try_lock() {
            Ok(()) => Ok(file),
            Err(std::fs::TryLockError::WouldBlock) => anyhow::bail!(
                "another cargo xtask is building in {}: wait for it to finish, or give this one its own CARGO_TARGET_DIR",
                self.target
            ),
            Err(std::fs::TryLockError::Error(e)) => {
                Err(e).with_context(|| format!("locking {path}"))
            }
        }
    }

    /// Creates the target directory with a `.gitignore` of `*` in it, so that git in the tree
    /// around it (an Asterisk checkout's `.gitignore` does not name `target/`) leaves it alone.
    pub fn prepare_target(&self) -> Result<()> {
        std::fs::create_dir_all(&self.target)
            .with_context(|| format!("creating the target directory {}", self.target))?;
        let ignore = self.target.join(".gitignore");
        if !ignore.exists() {
            std::fs::write(
                &ignore,
                "# Written by cargo xtask: everything here is build output.\n*\n",
            )
            .with_context(|| format!("writing {ignore}"))?;
        }
        Ok(())
    }
}

/// The exit status for an error: 2 for a command line the xtask cannot take, 130 for an
/// interrupt (a program killed by the same Ctrl-C fails with its own error: still an
/// interrupt), 1 for everything else.
pub fn exit_code(e: &anyhow::Error) -> u8 {
    if e.downcast_ref::<cli::Usage>().is_some() {
        2
    } else if e.downcast_ref::<exec::interrupt::Interrupted>().is_some()
        || exec::interrupt::requested()
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
            Some((first, rest)) => format!("{first}: {hint}\n{rest}"),
            None => format!("{text}: {hint}"),
        },
    }
}

const DISK_FULL: &str = "the disk is full: free some space there (df -h shows how much is left), \
    or point --out, --download-cache or CARGO_TARGET_DIR (whichever it was) at a disk with room";
const NOT_ALLOWED: &str = "writing there is not allowed: check the owner and permissions \
    (or whether it is mounted read-only), or point --out, --download-cache or CARGO_TARGET_DIR \
    (whichever it was) at a directory you own";

/// Runs the command line (without the program name).
pub fn run(args: &[String]) -> Result<()> {
    match cli::parse(args)? {
        cli::Command::Print(text) => {
            print!("{text}");
            Ok(())
        }
        cli::Command::Rpm(f) => commands::rpm::run(f, &Workspace::from_env()?),
        cli::Command::Image(f) => commands::image::run(f, &Workspace::from_env()?),
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
        let program = anyhow::anyhow!(exec::Failed {
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
            exit_code(&anyhow::Error::from(exec::interrupt::Interrupted::default())),
            130
        );
        assert_eq!(exit_code(&anyhow::anyhow!("x")), 1);
    }
}
