//! `cargo xtask rpm`: the working tree becomes RPMs.
//!
//! plan -> start (tree, spec, lock, output check) -> pack (archive) -> build (rpmbuild here or
//! in the builder, publish) -> summary.

use anyhow::Result;

use crate::build::{self, report};
use crate::cli::RpmFlags;
use crate::plan::Plan;
use crate::report::PhaseTimer;
use crate::source::pack;
use crate::Workspace;

pub fn run(flags: RpmFlags, ws: &Workspace) -> Result<()> {
    let mut timer = PhaseTimer::default();
    let plan = Plan::resolve(&flags, ws)?;
    plan.place()?;
    let start = build::start(&plan, ws)?;
    let packed = pack::pack(&plan, ws, &start.tree, &mut timer)?;
    let manifest = build::build(&plan, ws, &start, &packed, &mut timer)?;
    if plan.sh.dry_run {
        eprintln!("dry run: nothing was built or written");
    } else {
        report::summary(&plan.out, &manifest, &timer);
    }
    Ok(())
}
