//! `cargo xtask smoke`: an image boots, answers with its version, and stops cleanly.

use anyhow::{Context, Result};

use crate::cli::SmokeFlags;
use crate::container::engine::Engine;
use crate::container::smoke::{self, DEFAULT_TAG};
use crate::exec::Shell;

pub fn run(flags: SmokeFlags) -> Result<()> {
    let sh = Shell {
        dry_run: false,
        verbose: flags.verbose,
    };
    let engine = Engine::find(sh, flags.engine.as_deref()).context(
        "no container engine: install docker or podman, or name one with --engine or CONTAINER_ENGINE",
    )?;
    engine.check()?;
    smoke::check(
        &engine,
        flags.tag.as_deref().unwrap_or(DEFAULT_TAG),
        flags.timeout_secs,
    )
}
