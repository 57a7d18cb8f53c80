//! `cargo xtask rpm`: the working tree becomes RPMs.
//!
//! plan -> tree -> lock, output checked, work emptied -> inputs (spec, bundled, sounds,
//! choices) -> signing key checked -> archive -> up to date? -> rpmbuild (here or in the
//! builder) -> reproducible? -> signed -> published with the manifest -> summary.

use anyhow::Result;

use crate::infra::progress::PhaseTimer;
use crate::infra::workspace::Workspace;
use crate::outputs::{self, earlier, publish, sign, summary, uptodate};
use crate::plan::{Plan, RpmFlags};
use crate::rpmbuild::{self, in_container, BuildInputs, Run};
use crate::source::pack;
use crate::source::tree::Tree;

pub fn run(flags: RpmFlags, ws: &Workspace) -> Result<()> {
    let mut timer = PhaseTimer::default();
    let plan = Plan::resolve(&flags, ws)?;
    plan.place()?;
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
        Err(uptodate::Stale::Asked(_)) if plan.sh.dry_run => {}
        Err(why) => eprintln!("build: {} {why}", plan.out),
    }
    let manifest = build(&plan, ws, &begun, &mut timer)?;
    if !plan.sh.dry_run {
        summary::summary(&plan.out, &manifest, &timer);
    }
    Ok(())
}

/// rpmbuild where the plan says, the check of reproducibility when asked, the signature, and
/// the outputs published with their manifest (`image` runs these too when its RPMs are stale).
pub fn build(
    plan: &Plan,
    ws: &Workspace,
    begun: &Begun,
    timer: &mut PhaseTimer,
) -> Result<outputs::manifest::Manifest> {
    let (inputs, packed) = (&begun.inputs, &begun.packed);
    let run = Run::prepare(plan, ws, inputs, packed)?;
    let builder = run.rpmbuild(in_container::HOSTNAME, timer)?;
    run.finished()?;
    if plan.sh.dry_run {
        eprintln!("dry run: nothing was built or written");
        return Ok(outputs::manifest::of(
            packed,
            inputs,
            None,
            "dry run".into(),
        ));
    }
    if plan.given.check_reproducible {
        outputs::reproducible::check(&run, timer)?;
    }
    let signed_by = sign::sign_if(plan.sh, begun.signer.as_ref(), &packed.work, timer)?;
    let base = outputs::manifest::of(
        packed,
        inputs,
        signed_by,
        rpmbuild::built_by(builder.as_ref()),
    );
    let manifest = outputs::publish_build(plan.sh, inputs, packed, base)?;
    timer.end("publish");
    in_container::report_ccache(plan.place()?, &packed.work);
    Ok(manifest)
}

/// What a build has before rpmbuild runs.
pub struct Begun {
    /// The target directory's lock, held until the command ends: two builds at once would
    /// share the work directory.
    pub _lock: Option<std::fs::File>,
    pub inputs: BuildInputs,
    pub signer: Option<sign::Signer>,
    pub packed: pack::Packed,
}

/// The tree found; the target directory locked, the output directory checked and rpmbuild's
/// work directory emptied (none of it in a dry run); the inputs gathered and said; the signing
/// key checked; the tree packed (`image` begins the same way).
pub fn begin(plan: &Plan, ws: &Workspace, timer: &mut PhaseTimer) -> Result<Begun> {
    let tree = Tree::locate(plan.sh, plan.given.core.source.as_deref(), &ws.root)?;
    let lock = match plan.sh.dry_run {
        true => None,
        false => {
            ws.prepare_target()?;
            let lock = ws.lock()?;
            publish::check_out_not_packed(&plan.out, &tree, &ws.target)?;
            publish::check_out_dir(&plan.out)?;
            rpmbuild::reset_work_dir(&plan.work)?;
            Some(lock)
        }
    };
    let inputs = BuildInputs::gather(plan, ws, tree)?;
    summary::options(&inputs);
    let signer = sign::prepare_if(plan, &inputs.spec.path)?;
    let mut pack_inputs = pack::PackInputs::of(plan, ws);
    pack_inputs.published = earlier::published_stamp(&plan.out);
    let packed = pack::pack(&pack_inputs, &inputs.tree, timer)?;
    Ok(Begun {
        _lock: lock,
        inputs,
        signer,
        packed,
    })
}
