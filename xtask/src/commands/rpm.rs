//! `cargo xtask rpm`: the working tree becomes RPMs.
//!
//! plan -> start (tree, spec, lock, output check) -> pack (archive) -> up to date? -> build
//! (rpmbuild here or in the builder, publish) -> summary.

use anyhow::Result;

use crate::build::{self, report, uptodate};
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
    if !flags.force && !flags.rebuild_builder && !plan.check_reproducible && !plan.sh.dry_run {
        let builder = uptodate::builder_now(&plan, ws, &start);
        match uptodate::check(&plan.out, &packed, &start, &builder) {
            Ok(manifest) => {
                eprintln!(
                    "up to date: {} holds this build's packages (compared: {}); nothing was \
                     built (--force builds anyway)",
                    plan.out,
                    uptodate::COMPARED
                );
                report::summary(&plan.out, &manifest, &timer);
                return Ok(());
            }
            Err(why) => eprintln!("build: {} {why}", plan.out),
        }
    }
    let manifest = build::build(&plan, ws, &start, &packed, &mut timer)?;
    if plan.sh.dry_run {
        eprintln!("dry run: nothing was built or written");
    } else {
        report::summary(&plan.out, &manifest, &timer);
    }
    Ok(())
}
