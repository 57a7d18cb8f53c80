//! `cargo xtask run`: from an edit to your patched Asterisk running, in one command.
//!
//! image's steps (the RPMs built when they are not this tree's, incrementally as rpm builds
//! them; the image made, or reused when it is this build's) -> the container of this tree
//! replaced and started -> healthy -> Asterisk's console (or, detached, how to reach it).

use anyhow::Result;

use super::steps;
use crate::container::dev_container;
use crate::container::dev_container::RunFlags;
use crate::infra::engine::Engine;
use crate::infra::progress::PhaseTimer;
use crate::infra::workspace::Workspace;
use crate::source::tree::Tree;

pub fn run(flags: RunFlags, ws: &Workspace) -> Result<()> {
    let mut timer = PhaseTimer::default();
    // A --config that is no directory, a --tag that names another tree's image and a run
    // attached to this tree's container are refused before anything is built.
    dev_container::check_config(&flags.container)?;
    let rpm = &flags.image.rpm;
    let engine = Engine::ready(
        rpm.core.sh,
        rpm.place.engine.as_deref(),
        "to run the image with",
        false,
    )?;
    let tree = Tree::locate(rpm.core.sh, rpm.core.source.as_deref(), &ws.root)?;
    if let Some(tag) = flags.image.tags.first() {
        dev_container::check_image_tree(&engine, tag, &tree)?;
    }
    // What an earlier run of the tree left is removed while the build runs: the engine takes
    // seconds to take down a published RTP range.
    let left = match rpm.core.sh.dry_run {
        true => None,
        false => Some(dev_container::Leftovers::of(&engine, &tree)?),
    };
    let made = std::thread::scope(|scope| {
        let removing = left.as_ref().filter(|l| !l.names().is_empty()).map(|l| {
            eprintln!(
                "run: replacing {}, which an earlier run of this tree started (removed while the build runs)",
                l.names().join(", ")
            );
            scope.spawn(|| l.remove())
        });
        let made = steps::image(&flags.image, ws, &mut timer, true);
        if let Some(removing) = removing {
            let _ = removing.join();
        }
        made
    })?;
    let Some(made) = made else {
        eprintln!("dry run: would start the image and attach its console");
        return Ok(());
    };
    eprintln!("{}", timer.line());
    dev_container::run(&made.engine, &made.tag, &made.tree, &flags.container)
}
