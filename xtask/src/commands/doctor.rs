//! `cargo xtask doctor`: what each command needs on this machine, ok or the fix.

use anyhow::{bail, Result};

use crate::infra::workspace::Workspace;
use crate::machine;
use crate::machine::DoctorFlags;

pub fn run(flags: DoctorFlags, ws: &Workspace) -> Result<()> {
    let sh = flags.sh;
    let facts = machine::probe(sh, flags.engine.as_deref(), &ws.target);
    let found = machine::findings(&facts);
    for f in &found {
        println!("{:<8} {:<10} {}", f.state, f.item, f.text);
    }
    let missing: Vec<&str> = found
        .iter()
        .filter(|f| f.state == machine::State::Missing)
        .map(|f| f.item)
        .collect();
    if !missing.is_empty() {
        bail!(
            "this machine lacks what some commands need: {} (the fixes are above)",
            missing.join(", ")
        );
    }
    Ok(())
}
