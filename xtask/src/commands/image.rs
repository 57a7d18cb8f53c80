//! `cargo xtask image`: a runtime image from the RPMs of the working tree.
//!
//! plan -> the engine and the runtime base checked -> start -> pack -> the published RPMs when
//! the manifest says they are this tree's, else build -> image -> recorded in the manifest.

use anyhow::{Context, Result};

use crate::build::{self, publish, uptodate};
use crate::cli::ImageFlags;
use crate::container::engine::Engine;
use crate::container::image::{self, ImageInputs, DEFAULT_RUNTIME_BASE};
use crate::plan::Plan;
use crate::report::PhaseTimer;
use crate::source::pack;
use crate::Workspace;

pub fn run(flags: ImageFlags, ws: &Workspace) -> Result<()> {
    let mut timer = PhaseTimer::default();
    let plan = Plan::resolve(&flags.rpm, ws)?;
    let engine = Engine::find(plan.sh, flags.rpm.engine.as_deref()).context(
        "no container engine to build the image with: install docker or podman, or name one with --engine or CONTAINER_ENGINE (cargo xtask doctor)",
    )?;
    engine.check()?;
    engine.check_buildkit()?;
    let runtime_base = flags
        .runtime_base
        .clone()
        .unwrap_or_else(|| DEFAULT_RUNTIME_BASE.to_string());
    image::check_runtime_base(&engine, &runtime_base)?;

    let start = build::start(&plan, ws)?;
    let packed = pack::pack(&plan, ws, &start.tree, &mut timer)?;
    if plan.sh.dry_run {
        eprintln!("dry run: would build the image from {}", plan.out);
        return Ok(());
    }
    let builder = uptodate::builder_now(&plan, ws, &start);
    let mut manifest = match uptodate::check(&plan.out, &packed, &start, &builder) {
        Ok(m) => {
            eprintln!("rpms: {} holds the RPMs of this tree: using them", plan.out);
            m
        }
        Err(why) => {
            eprintln!("rpms: {} {why}: building them", plan.out);
            plan.place()
                .context("the RPMs of this tree are needed for the image")?;
            build::build(&plan, ws, &start, &packed, &mut timer)?
        }
    };

    let tags = if flags.tags.is_empty() {
        image::default_tags(&format!("{}-{}", manifest.version, manifest.release))
    } else {
        flags.tags.clone()
    };
    let record = image::build(
        &engine,
        &ImageInputs {
            tree: &start.tree,
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
    manifest.image = Some(record.clone());
    manifest.write(&plan.out.join(publish::MANIFEST))?;
    image::report(&engine, &record, &manifest, &plan.out)?;
    eprintln!("{}", timer.line());
    Ok(())
}
