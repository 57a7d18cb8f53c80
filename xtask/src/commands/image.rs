//! `cargo xtask image`: a runtime image from the RPMs of the working tree.
//!
//! plan -> the engine and the runtime base checked -> tree, lock, inputs, signing key ->
//! archive -> the published RPMs when they are this tree's, else rpm's build steps -> image ->
//! recorded in the manifest.

use anyhow::{Context, Result};

use super::rpm;
use crate::container::packages;
use crate::container::runtime_image::ImageFlags;
use crate::container::runtime_image::{self, ImageInputs, DEFAULT_RUNTIME_BASE};
use crate::infra::engine::Engine;
use crate::infra::progress::PhaseTimer;
use crate::infra::workspace::Workspace;
use crate::outputs::uptodate;
use crate::plan::Plan;

pub fn run(flags: ImageFlags, ws: &Workspace) -> Result<()> {
    let mut timer = PhaseTimer::default();
    make(&flags, ws, &mut timer, false)?;
    eprintln!("{}", timer.line());
    Ok(())
}

/// The image `image` and `run` make: its first tag, the engine and the tree it is of.
pub struct Made {
    pub tag: String,
    pub engine: Engine,
    pub tree: crate::source::tree::Tree,
}

/// The RPMs of the tree (built when they are not this tree's), then the image; with `reuse`
/// (`run`), an image the manifest records that still matches every choice is used as it is.
pub fn make(
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

    let begun = rpm::begin(&plan, ws, timer)?;
    let (inputs, packed) = (&begun.inputs, &begun.packed);
    // The packages to install, checked against the build's subpackages before anything is built.
    let chosen = packages::choose(flags.packages.as_deref(), &inputs.split.packages)?;
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
            plan.place()
                .context("the RPMs of this tree are needed for the image")?;
            rpm::build(&plan, ws, &begun, timer)?
        }
    };

    let tags = if flags.tags.is_empty() {
        runtime_image::default_tags(&format!("{}-{}", manifest.version, manifest.release))
    } else {
        flags.tags.clone()
    };
    let rpms = packages::rpms(&manifest, &chosen);
    let names: Vec<String> = runtime_image::package_names(&manifest, &rpms);
    if reuse {
        if let Some(record) = runtime_image::reusable(
            &engine,
            &manifest,
            &runtime_base,
            &names,
            &tags,
            flags.rtp_ports,
        )? {
            eprintln!(
                "image: {} ({}) is this build's, with the same base, packages and RTP range: using it",
                tags[0], record.id
            );
            return Ok(Some(Made {
                tag: tags[0].clone(),
                engine,
                tree: inputs.tree.clone(),
            }));
        }
    }
    let record = runtime_image::build(
        &engine,
        &ImageInputs {
            rpms: rpms.clone(),
            tree: &inputs.tree,
            manifest: &manifest,
            out: &plan.out,
            runtime_base: &runtime_base,
            tags: &tags,
            rtp_ports: flags.rtp_ports,
            xtask_root: &ws.root,
            scratch: &ws.target.join("xtask"),
        },
    )?;
    timer.end("image");
    let rpm_paths: Vec<String> = rpms.iter().map(|a| a.path.clone()).collect();
    manifest.image = Some(record.clone());
    manifest.write(&plan.out.join(crate::outputs::manifest::MANIFEST))?;
    let rpms: Vec<&crate::outputs::manifest::Artifact> = manifest
        .artifacts
        .iter()
        .filter(|a| rpm_paths.contains(&a.path))
        .collect();
    runtime_image::report(&engine, &record, &rpms, &plan.out)?;
    Ok(Some(Made {
        tag: tags[0].clone(),
        engine,
        tree: inputs.tree.clone(),
    }))
}
