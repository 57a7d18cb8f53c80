//! `cargo xtask image`: a runtime image from the RPMs of the working tree.
//!
//! plan (the signing key checked) -> the engine and the runtime base checked -> tree, lock, inputs ->
//! archive -> the published RPMs when they are this tree's, else rpm's build steps -> image ->
//! recorded in the manifest.

use anyhow::Result;

use super::steps;
use crate::container::runtime_image::ImageFlags;
use crate::infra::progress::PhaseTimer;
use crate::infra::workspace::Workspace;

pub fn run(flags: ImageFlags, ws: &Workspace) -> Result<()> {
    let mut timer = PhaseTimer::default();
    steps::image(&flags, ws, &mut timer, false)?;
    eprintln!("{}", timer.line());
    Ok(())
}
