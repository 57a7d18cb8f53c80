//! The Asterisk xtask: `cargo xtask rpm` packs a working tree and builds RPMs from it,
//! `cargo xtask image` makes a runtime image of them, `cargo xtask smoke` proves it boots.
//! `main.rs` only parses and dispatches; each command is a module named after it, and every
//! decision is a pure function in the module that owns the data (see the README's contributor
//! section for the data flow).

pub mod archive;
pub mod builder;
pub mod engine;
pub mod fileset;
pub mod flags;
pub mod image;
pub mod interrupt;
pub mod json;
pub mod manifest;
pub mod process;
pub mod publish;
pub mod report;
pub mod rpm;
pub mod sha256;
pub mod smoke;
pub mod spec;
pub mod tree;
pub mod version;

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
            Ok(dir) if !dir.is_empty() => rpm::absolute(Utf8Path::new(&dir))?,
            _ => root.join("target"),
        };
        Ok(Workspace { root, target })
    }

    /// Holds the target directory's build lock until the returned file is dropped: two builds
    /// at once would share the work directory.
    pub fn lock(&self) -> Result<std::fs::File> {
        use std::os::unix::io::AsRawFd;
        let dir = self.target.join("xtask");
        std::fs::create_dir_all(&dir).with_context(|| format!("creating {dir}"))?;
        let path = dir.join("lock");
        let file = std::fs::OpenOptions::new()
            .create(true)
            .truncate(false)
            .write(true)
            .open(&path)
            .with_context(|| format!("opening {path}"))?;
        // SAFETY: flock(2) on a descriptor this function owns.
        if unsafe { libc::flock(file.as_raw_fd(), libc::LOCK_EX | libc::LOCK_NB) } != 0 {
            anyhow::bail!(
                "another cargo xtask is building in {}: wait for it to finish, or give this one its own CARGO_TARGET_DIR",
                self.target
            );
        }
        Ok(file)
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

/// Runs the command line (without the program name).
pub fn run(args: &[String]) -> Result<()> {
    match flags::parse(args)? {
        flags::Command::Help(text) => {
            print!("{text}");
            Ok(())
        }
        flags::Command::Rpm(f) => rpm::run(f, &Workspace::from_env()?),
        flags::Command::Image(f) => image::run(f, &Workspace::from_env()?),
        flags::Command::Smoke(f) => smoke::run(f, &Workspace::from_env()?),
    }
}
