//! `cargo xtask rpm`: the working tree becomes RPMs.
//!
//! plan (the signing key checked) -> tree -> lock, output checked, work emptied -> inputs
//! (spec, bundled, sounds, choices) -> archive -> up to date? -> rpmbuild (here or in the
//! builder) -> reproducible? -> signed -> published with the manifest -> summary.

use anyhow::Result;

use super::steps::{begin, build};
use crate::infra::progress::PhaseTimer;
use crate::infra::workspace::Workspace;
use crate::outputs::{summary, uptodate};
use crate::plan::{Plan, RpmFlags};

pub fn run(flags: RpmFlags, ws: &Workspace) -> Result<()> {
    let mut timer = PhaseTimer::default();
    let plan = Plan::resolve(&flags, ws)?;
    crate::plan::place::required(&plan.place)?;
    let begun = begin(&plan, ws, &mut timer)?;
    let (inputs, packed) = (&begun.inputs, &begun.packed);
    match uptodate::reusable(&plan, ws, packed, inputs) {
        Ok(manifest) => {
            eprintln!(
                "up to date: {} holds this build's packages (compared: {}); nothing was built \
                 (--force builds anyway)",
                plan.out,
                uptodate::compared()
            );
            summary::summary(&plan.out, &manifest, &timer);
            return Ok(());
        }
        Err(why) => eprintln!("build: {} {why}", plan.out),
    }
    let manifest = build(&plan, ws, &begun, &mut timer)?;
    if !plan.sh.dry_run {
        summary::summary(&plan.out, &manifest, &timer);
    }
    Ok(())
}
