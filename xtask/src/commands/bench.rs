//! `cargo xtask bench`: clean build, no-op, patch loop and archive, measured on a scratch copy.

use anyhow::{Context, Result};
use camino::Utf8PathBuf;

use crate::infra::workspace::Workspace;
use crate::measure::BenchFlags;
use crate::measure::{self, scratch, Bench};
use crate::source::tree::Tree;

pub fn run(flags: BenchFlags, ws: &Workspace) -> Result<()> {
    let sh = flags.sh;
    let tree = Tree::locate(sh, flags.source.as_deref(), &ws.root)?;
    let out = scratch::results_dir(flags.out.as_deref(), ws)?;
    let rpm_args = flags.rpm_args()?;
    let engine = match flags.running {
        true => Some(measure::check_engine(&flags)?),
        false => None,
    };
    let work = ws.target.join("xtask/bench");
    let copy = scratch::copy(sh, &tree, ws, &work)?;
    let xtask = Utf8PathBuf::try_from(std::env::current_exe().context("finding the xtask")?)
        .context("the xtask's path is not UTF-8")?;
    let measured = Bench {
        sh,
        xtask,
        tree: copy,
        work: &work,
        rpm_args,
        running: flags.image_args(),
        engine,
    }
    .run(flags.runs)
    .and_then(|measured| measure::write_results(&out, &measured, &tree.root, flags.runs));
    // The scratch copy goes however the bench ended (an interrupt, a failed build): its
    // builds have ended by now, their containers removed.
    let removed = std::fs::remove_dir_all(&work).with_context(|| format!("removing {work}"));
    measured?;
    removed
}
