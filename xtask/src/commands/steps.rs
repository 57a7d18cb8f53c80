//! The sequences commands share: a build's beginning (`begin`), rpm's build steps (`build`),
//! which `image` runs when its RPMs are stale, and the image of the tree (`image`), which `run`
//! makes before it starts it.

use anyhow::{Context, Result};

use crate::container::packages;
use crate::container::runtime_image::{self, ImageFlags, DEFAULT_RUNTIME_BASE};
use crate::infra::engine::Engine;
use crate::infra::progress::PhaseTimer;
use crate::infra::workspace::Workspace;
use crate::outputs::{self, earlier, publish, uptodate};
use crate::plan::Plan;
use crate::rpmbuild::{self, in_container, BuildInputs, Run};
use crate::source::pack;
use crate::source::tree::Tree;

/// rpmbuild where the plan says, the check of reproducibility when asked, the signature, and
/// the outputs published with their manifest (`image` runs these too when its RPMs are stale).
pub fn build(
    plan: &Plan,
    ws: &Workspace,
    begun: &Begun,
    timer: &mut PhaseTimer,
) -> Result<outputs::manifest::Manifest> {
    let (inputs, packed) = (&begun.inputs, &begun.packed);
    let next = outputs::manifest::Next {
        plan,
        packed,
        inputs,
    };
    let run = Run::prepare(plan, ws, inputs, packed)?;
    let builder = run.rpmbuild(in_container::HOSTNAME, timer)?;
    run.finished()?;
    if plan.sh.dry_run {
        eprintln!("dry run: nothing was built or written");
        return Ok(outputs::manifest::of(&next, "dry run".into()));
    }
    if plan.given.reproducible {
        outputs::reproducible::check(&run, timer)?;
    }
    outputs::sign::sign_if(plan.sh, plan.sign.as_ref(), &packed.work, timer)?;
    let base = outputs::manifest::of(&next, rpmbuild::built_by(builder.as_ref()));
    let for_trying = rpmbuild::spec::for_trying(&run.spec_inputs);
    let manifest = outputs::publish_build(plan.sh, inputs, packed, base, for_trying)?;
    packed.record_published()?;
    timer.end("publish");
    in_container::report_ccache(crate::plan::place::required(&plan.place)?, &packed.work);
    Ok(manifest)
}

/// What a build has before rpmbuild runs.
pub struct Begun {
    /// The target directory's lock, held until the command ends: two builds at once would
    /// share the work directory.
    pub _lock: Option<std::fs::File>,
    pub inputs: BuildInputs,
    pub packed: pack::Packed,
}

/// The tree found; the target directory locked, the output directory checked and rpmbuild's
/// work directory emptied (a dry run only checks the output directory); the inputs gathered and
/// said; the tree packed (`image` begins the same way).
pub fn begin(plan: &Plan, ws: &Workspace, timer: &mut PhaseTimer) -> Result<Begun> {
    let tree = Tree::locate(plan.sh, plan.given.core.source.as_deref(), &ws.root)?;
    let lock = match plan.sh.dry_run {
        true => {
            // What the real run would refuse, a dry run refuses too (reading only).
            publish::check_out_not_packed(&plan.out, &tree, &ws.target)?;
            publish::check_out_usable(&plan.out)?;
            publish::check_out_parent_readonly(&plan.out)?;
            None
        }
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
    let mut pack_inputs = pack::PackInputs::of(plan, ws);
    pack_inputs.published = earlier::published_stamp(&plan.out);
    let packed = pack::pack(&pack_inputs, &inputs.tree, timer)?;
    Ok(Begun {
        _lock: lock,
        inputs,
        packed,
    })
}

/// The image `image` and `run` make: its first tag, the engine and the tree it is of.
pub struct Made {
    pub tag: String,
    pub engine: Engine,
    pub tree: Tree,
}

/// The RPMs of the tree (built when they are not this tree's), then the image; with `reuse`
/// (`run`), an image the manifest records that still matches every choice is used as it is.
/// None in a dry run.
pub fn image(
    flags: &ImageFlags,
    ws: &Workspace,
    timer: &mut PhaseTimer,
    reuse: bool,
) -> Result<Option<Made>> {
    let plan = Plan::resolve(&flags.rpm, ws)?;
    let engine = Engine::ready(
        plan.sh,
        flags.rpm.place.engine.as_deref(),
        "to build the image with",
        true,
    )?;
    let runtime_base = flags
        .runtime_base
        .clone()
        .unwrap_or_else(|| DEFAULT_RUNTIME_BASE.to_string());
    runtime_image::check_runtime_base(&engine, &runtime_base)?;
    let begun = begin(&plan, ws, timer)?;
    let (inputs, packed) = (&begun.inputs, &begun.packed);
    // The packages to install, checked against the build's subpackages before anything is built.
    let chosen = packages::to_install(flags.packages.as_deref(), &inputs.split.packages)?;
    eprintln!("packages: {}", packages::installed(&chosen).join(", "));
    if plan.sh.dry_run {
        eprintln!("dry run: would build the image from {}", plan.out);
        return Ok(None);
    }
    let mut manifest = match uptodate::reusable(&plan, ws, packed, inputs) {
        Ok(m) => {
            eprintln!("rpms: {} holds the RPMs of this tree: using them", plan.out);
            m
        }
        Err(why) => {
            eprintln!("rpms: {} {why}: building them", plan.out);
            crate::plan::place::required(&plan.place)
                .context("the RPMs of this tree are needed for the image")?;
            build(&plan, ws, &begun, timer)?
        }
    };
    let rpms: Vec<String> = packages::rpms(&manifest, &chosen)
        .iter()
        .map(|a| a.path.clone())
        .collect();
    let request = runtime_image::Request {
        tree: &inputs.tree,
        out: &plan.out,
        runtime_base: &runtime_base,
        tags: &flags.tags,
        rtp_ports: flags.rtp_ports,
        reuse,
        xtask_root: &ws.root,
        scratch: &ws.target.join("xtask"),
    };
    let tag = runtime_image::make(&engine, &mut manifest, &rpms, &request, timer)?;
    Ok(Some(Made {
        tag,
        engine,
        tree: inputs.tree.clone(),
    }))
}
