//! The build stage: rpmbuild runs on the packed archive, here or in the builder, and what it made
//! is published with its manifest.

pub mod builder;
pub mod container;
pub mod earlier;
pub mod incremental;
pub mod manifest;
pub mod options;
pub mod outputs;
pub mod publish;
pub mod record;
pub mod report;
pub mod reproducible;
pub mod sbom;
pub mod sign;
pub mod spec;
pub mod unit_tests;
pub mod uptodate;

use anyhow::{Context, Result};
use camino::{Utf8Path, Utf8PathBuf};

use crate::exec::{interrupt, Failed};
use crate::plan::{Output, Place, Plan};
use crate::report::{human_duration, PhaseTimer};
use crate::sha256;
use crate::source::pack::Packed;
use crate::source::tree::{Tree, TreeKind};
use crate::thirdparty::sounds::{self, SoundSet};
use crate::thirdparty::{self, cache, Fetched};
use crate::Workspace;
use manifest::Manifest;
use report::{phase_of_line, PhaseTracker};
use spec::SpecInputs;

/// What a build starts from: the tree and the spec found and checked, the target directory's
/// lock held and the output directory checked (unless in a dry run), rpmbuild's directories
/// fresh.
pub struct Start {
    pub tree: Tree,
    pub spec: spec::Located,
    pub spec_sha256: String,
    /// The third-party tarballs the build bundles, fetched and verified.
    pub bundled: Vec<Fetched>,
    /// The sound sets it packages, fetched and verified (with their `.sha1`).
    pub sounds: Vec<SoundSet>,
    /// The menuselect and configure choices, resolved against the tree and the spec.
    pub options: options::Options,
    /// The key to sign with, checked (`--sign`).
    pub signer: Option<sign::Signer>,
    /// Held until the command ends: two builds at once would share the work directory.
    _lock: Option<std::fs::File>,
}

/// Finds the tree and the spec, and makes ready to pack and build, before any work is done.
pub fn start(plan: &Plan, ws: &Workspace) -> Result<Start> {
    let tree = Tree::locate(plan.sh, plan.source.as_deref(), &ws.root)?;
    let spec = spec::locate(plan.spec.as_deref(), &tree.root, &ws.root)?;
    let lock = if plan.sh.dry_run {
        None
    } else {
        ws.prepare_target()?;
        let lock = ws.lock()?;
        publish::check_out_dir(&plan.out)?;
        reset_work_dir(&plan.work)?;
        Some(lock)
    };
    eprintln!(
        "tree: {} ({})",
        tree.root,
        match tree.kind {
            TreeKind::Git => "git",
            TreeKind::Plain => "no git",
        }
    );
    eprintln!("spec: {} ({})", spec.path, spec.origin.describe());
    let bundled = thirdparty::prepare(
        plan.sh,
        &plan.bundled,
        &tree.root,
        &plan.download_cache,
        plan.network,
    )?;
    if bundled.is_empty() {
        eprintln!("bundled: nothing (--without-pjproject: no res_pjsip modules, no chan_pjsip)");
    }
    let sounds = sounds::selected(&tree.root, &plan.sounds)?;
    cache::ensure_sounds(plan.sh, &sounds, &plan.download_cache, plan.network)?;
    let spec_text =
        std::fs::read_to_string(&spec.path).with_context(|| format!("reading {}", spec.path))?;
    let options = options::resolve(&plan.options, &tree.root, &spec_text, !bundled.is_empty())?;
    report::options(&options);
    let signer = match &plan.sign {
        Some(key) if !plan.sh.dry_run => {
            let signer = sign::prepare(plan.sh, key, &spec.path)?;
            eprintln!("sign: with {} ({})", signer.key, signer.fingerprint);
            Some(signer)
        }
        _ => None,
    };
    Ok(Start {
        bundled,
        sounds,
        options,
        signer,
        spec_sha256: sha256::of_file(&spec.path)?,
        tree,
        spec,
        _lock: lock,
    })
}

/// Decides whether the build is incremental and, when it is, lays the tree over its kept
/// directory; says what it decided and did.
fn incremental_dir(
    plan: &Plan,
    ws: &Workspace,
    start: &Start,
    packed: &Packed,
    place: &Place,
) -> Result<Option<incremental::Kept>> {
    let (mounts, where_) = match place {
        Place::Native { .. } => (true, "native".to_string()),
        Place::Container {
            engine, base_image, ..
        } => (
            container::transfer_for(engine.endpoint().as_deref()) == container::Transfer::Mounts,
            format!("container {base_image}"),
        ),
    };
    let (on, why) = incremental::decide(
        plan.incremental,
        packed.dirty,
        incremental::is_release(&packed.asterisk_version),
        mounts,
    );
    if plan.sh.dry_run || plan.check_reproducible || !on {
        if plan.incremental != incremental::Asked::Auto || on {
            let why = if plan.check_reproducible {
                "--check-reproducible compares clean builds"
            } else {
                why
            };
            eprintln!("incremental: no ({why})");
        }
        return Ok(None);
    }
    let key = incremental::key(
        &start.tree.root,
        &start.spec_sha256,
        &start.options.digest(),
        &where_,
    );
    let kept = incremental::Kept {
        dir: ws.target.join("xtask/incremental").join(key),
    };
    let synced = kept.sync(&start.tree.root, &packed.members)?;
    let laid = match &synced.fresh {
        Some(why) => format!(
            "a fresh build directory in {} ({why}): {} files laid",
            kept.dir, synced.written
        ),
        None => format!(
            "the kept build directory in {}: {} files changed, {} removed, {} unchanged (make \
             rebuilds what depends on them)",
            kept.dir, synced.written, synced.removed, synced.unchanged
        ),
    };
    eprintln!("incremental: yes ({why}); {laid}");
    eprintln!(
        "packaging: fast, for trying (an incremental build: no debuginfo, zstd or gzip level 1)"
    );
    Ok(Some(kept))
}

/// Empties the work directory (the xtask's own, under the target directory) for rpmbuild.
fn reset_work_dir(work: &Utf8Path) -> Result<()> {
    if work.exists() {
        std::fs::remove_dir_all(work)
            .with_context(|| format!("removing the old work directory {work}"))?;
    }
    for (_, dir) in spec::rpmbuild_dirs(work) {
        std::fs::create_dir_all(&dir).with_context(|| format!("creating {dir}"))?;
    }
    Ok(())
}

/// Puts beside the archive what rpmbuild reads besides it: the spec with this build's values in
/// front (the one the SRPM carries) and the bundled tarballs. Returns the spec's path.
fn stage_inputs(
    plan: &Plan,
    start: &Start,
    packed: &Packed,
    inputs: &SpecInputs,
) -> Result<Utf8PathBuf> {
    let rendered = packed.work.join("SPECS/asterisk.spec");
    if plan.sh.dry_run {
        return Ok(rendered);
    }
    let text = std::fs::read_to_string(&start.spec.path)
        .with_context(|| format!("reading {}", start.spec.path))?;
    std::fs::write(&rendered, spec::render(&text, inputs))
        .with_context(|| format!("writing {rendered}"))?;
    // The bundled tarballs where fetching left them; each sound set's tarball and .sha1 beside.
    let bundled = start.bundled.iter().map(|f| f.path.clone());
    let sounds = start.sounds.iter().flat_map(|s| {
        let tarball = plan.download_cache.join(&s.file);
        [
            tarball.clone(),
            Utf8PathBuf::from(format!("{tarball}.sha1")),
        ]
    });
    for from in bundled.chain(sounds) {
        let to = packed
            .work
            .join("SOURCES")
            .join(from.file_name().unwrap_or_default());
        std::fs::copy(&from, &to).with_context(|| format!("copying {from} to {to}"))?;
    }
    // The menuselect file to start from, as Source2, and configure's extra arguments, one a
    // line, as Source3: the SRPM carries both, and no shell or rpm reads their values.
    if let Some(text) = &start.options.menuselect_text {
        let to = packed.work.join("SOURCES").join(options::MENUSELECT_SOURCE);
        std::fs::write(&to, text).with_context(|| format!("writing {to}"))?;
    }
    if let Some(lines) = start.options.configure_file() {
        let to = packed.work.join("SOURCES").join(options::CONFIGURE_SOURCE);
        std::fs::write(&to, lines).with_context(|| format!("writing {to}"))?;
    }
    // The SRPM records its files' times: the source date, not when they were copied here.
    let when = std::time::UNIX_EPOCH
        + std::time::Duration::from_secs(u64::try_from(packed.source_date).unwrap_or(0));
    let sources = packed.work.join("SOURCES");
    let staged = sources
        .read_dir_utf8()
        .with_context(|| format!("reading {sources}"))?
        .filter_map(|e| e.ok().map(|e| e.path().to_owned()));
    for path in staged.chain([rendered.clone()]) {
        std::fs::File::options()
            .write(true)
            .open(&path)
            .and_then(|f| f.set_modified(when))
            .with_context(|| format!("dating {path}"))?;
    }
    Ok(rendered)
}

/// Runs rpmbuild where the plan says on the packed archive and publishes the outputs.
pub fn build(
    plan: &Plan,
    ws: &Workspace,
    start: &Start,
    packed: &Packed,
    timer: &mut PhaseTimer,
) -> Result<Manifest> {
    let place = plan.place()?;
    match place {
        Place::Native { rpmbuild, .. } => eprintln!("build: on this host ({rpmbuild})"),
        Place::Container { engine, .. } => eprintln!("build: in a container ({})", engine.program),
    }
    let inputs = SpecInputs {
        asterisk_version: packed.asterisk_version.clone(),
        rpm: packed.rpm.clone(),
        archive_name: packed.archive_name.clone(),
        top_dir: packed.stem.clone(),
        source_date_epoch: packed.source_date,
        bundled: start
            .bundled
            .iter()
            .map(|f| spec::BundledSource {
                name: f.tarball.name.clone(),
                version: f.tarball.version.clone(),
            })
            .collect(),
        sounds: start.sounds.clone(),
        options: start.options.clone(),
        jobs: plan.jobs,
        incremental: None,
    };
    let kept = incremental_dir(plan, ws, start, packed, place)?;
    let inputs = SpecInputs {
        incremental: kept.as_ref().map(|k| k.dir.clone()),
        ..inputs
    };
    let rendered = stage_inputs(plan, start, packed, &inputs)?;
    let run = Run {
        plan,
        ws,
        start,
        packed,
        inputs: &inputs,
        rendered: &rendered,
    };
    let builder = run.rpmbuild(container::HOSTNAME, timer)?;
    if let Some(kept) = &kept {
        kept.done()?;
    }
    if plan.check_reproducible && !plan.sh.dry_run {
        reproducible::check(&run, timer)?;
    }
    if plan.sh.dry_run {
        return Ok(manifest::of(packed, start, "dry run".into()));
    }
    if let Some(signer) = &start.signer {
        sign::sign(plan.sh, signer, &sign::packages_in(&packed.work))?;
        timer.end("sign");
    }
    let built_by = match &builder {
        Some(b) => format!("container {}", b.tag),
        None => "native".into(),
    };
    let manifest = outputs::publish(plan.sh, start, packed, built_by)?;
    timer.end("publish");
    if let Place::Container { ccache: true, .. } = place {
        container::report_ccache(&packed.work);
    }
    Ok(manifest)
}

/// One rpmbuild of the staged inputs: what `build` runs, and `--check-reproducible` again.
pub struct Run<'a> {
    pub plan: &'a Plan,
    pub ws: &'a Workspace,
    pub start: &'a Start,
    pub packed: &'a Packed,
    pub inputs: &'a SpecInputs,
    pub rendered: &'a Utf8Path,
}

impl Run<'_> {
    /// Runs rpmbuild where the plan says (a container gets `hostname`); its failure in words.
    pub fn rpmbuild(
        &self,
        hostname: &str,
        timer: &mut PhaseTimer,
    ) -> Result<Option<builder::Builder>> {
        let Run {
            plan,
            start,
            packed,
            inputs,
            ..
        } = *self;
        let place = plan.place()?;
        let mut phases = PhaseTracker::default();
        let quiet = plan.output == Output::Phases;
        let on_line = |line: &str| {
            if let Some(next) = phase_of_line(line) {
                if let Some((done, took)) = phases.enter(next) {
                    if quiet {
                        eprintln!("  {done:<10} {}", human_duration(took));
                    }
                }
            }
            if !quiet {
                println!("{line}");
            }
        };
        let (result, builder) = match place {
            Place::Native {
                rpmbuild,
                nodeps,
                nodeps_note,
            } => {
                if let Some(note) = nodeps_note {
                    eprintln!("note: {note}");
                }
                let cmd = report::watch_rpmbuild(plan.sh.cmd(rpmbuild.as_str()))
                    .arg("-ba")
                    .args(spec::define_args(&spec::defines(
                        inputs,
                        &packed.work,
                        inputs.incremental.as_deref(),
                    )))
                    .args(nodeps.then_some("--nodeps"))
                    .arg(self.rendered.as_str())
                    .env("SOURCE_DATE_EPOCH", packed.source_date.to_string());
                interrupt::check()?;
                (cmd.run(on_line), None)
            }
            Place::Container { .. } if plan.sh.dry_run => {
                eprintln!("would build the builder image (or reuse it) and run rpmbuild in it");
                (Ok(()), None)
            }
            Place::Container { .. } => {
                let (builder, result) = container::rpmbuild(self, hostname, timer, on_line)?;
                (result, Some(builder))
            }
        };
        let rpm_phases = phases.finish();
        interrupt::check()?;
        if let Err(e) = result {
            let keep = format!("the previous outputs in {} are untouched", packed.out);
            let missing_deps = e.downcast_ref::<Failed>().is_some_and(|f| {
                f.tail
                    .iter()
                    .any(|l| l.contains("Failed build dependencies"))
            });
            // The spec says why it stopped in one line of its own: that line leads the error.
            let said = e.downcast_ref::<Failed>().and_then(|f| {
                f.tail.iter().find_map(|l| {
                    l.split_once("xtask error: ")
                        .map(|(_, why)| why.trim().to_string())
                })
            });
            return Err(match rpm_phases.last() {
                _ if e.downcast_ref::<container::Setup>().is_some() => e.context(keep),
                Some((phase, _)) if said.is_some() => e.context(format!(
                    "the build stopped in {phase}: {}; {keep}",
                    said.unwrap_or_default()
                )),
                None if missing_deps => e.context(format!(
                    "rpmbuild stopped before %prep: the {} lacks BuildRequires of the spec (listed \
                     below): install them, or pass --nodeps if it has them under other names; {keep}",
                    if builder.is_some() {
                        "builder image"
                    } else {
                        "build host"
                    }
                )),
                None => e.context(format!(
                    "rpmbuild stopped before %prep: it rejected the spec {} or its sources; {keep}",
                    start.spec.path
                )),
                Some((phase, _)) => e.context(format!("rpmbuild failed in {phase}; {keep}")),
            });
        }
        timer.absorb(&rpm_phases);
        Ok(builder)
    }
}
