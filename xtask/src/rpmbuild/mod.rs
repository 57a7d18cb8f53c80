//! The rpmbuild stage: the spec and what the tree bundles gathered (`BuildInputs`), the kept build
//! directory of an incremental build laid, the spec rendered and staged beside the archive, and
//! rpmbuild run here or in the builder container (`Run`). What it made stays in the work
//! directory for the outputs stage.

mod announce;
pub mod builder;
pub mod host;
pub mod in_container;
pub mod incremental;
pub mod moduleinfo;
pub mod options;
pub mod phases;
pub mod spec;
pub mod subpackages;

use anyhow::{Context, Result};
use camino::{Utf8Path, Utf8PathBuf};

use crate::bundled::sounds::{self, SoundSet};
use crate::bundled::{self, cache, Bundled};
use crate::infra::digest;
use crate::infra::exec::Failed;
use crate::infra::interrupt;
use crate::infra::progress::{human_duration, PhaseTimer};
use crate::infra::workspace::Workspace;
use crate::plan::incremental::{self as plan_incremental, Rebuild};
use crate::plan::place::Place;
use crate::plan::{BuildLog, Plan};
use crate::source::pack::Packed;
use crate::source::tree::{Tree, TreeKind};
use phases::{phase_of_line, PhaseTracker};
use spec::SpecInputs;

/// What rpmbuild builds from besides the archive, gathered (fetched, verified, resolved) before
/// anything is built.
pub struct BuildInputs {
    pub tree: Tree,
    pub spec: spec::Located,
    pub spec_sha256: String,
    /// The third-party tarballs the build bundles, fetched and verified.
    pub bundled: Vec<Bundled>,
    /// The sound sets it packages, fetched and verified (with their `.sha1`).
    pub sounds: Vec<SoundSet>,
    /// The menuselect and configure choices, resolved against the tree and the spec.
    pub options: options::Options,
    /// The subpackages, from the tree's modules and the choices.
    pub split: subpackages::Split,
}

impl BuildInputs {
    /// The spec (the given one, the tree's, else the xtask's), what the tree bundles in the
    /// download cache, the sound sets, and the choices resolved; each said as it is found.
    pub fn gather(plan: &Plan, ws: &Workspace, tree: Tree) -> Result<BuildInputs> {
        let spec = spec::locate(plan.given.core.spec.as_deref(), &tree.root, &ws.root)?;
        eprintln!(
            "tree: {} ({})",
            tree.root,
            match tree.kind {
                TreeKind::Git => "git",
                TreeKind::Plain => "no git",
            }
        );
        eprintln!("spec: {} ({})", spec.path, spec.origin.describe());
        let b = &plan.bundled;
        let bundled = bundled::prepare(
            plan.sh,
            &b.packages,
            &tree.root,
            &b.download_cache,
            b.network,
        )?;
        let names: Vec<&str> = bundled.iter().map(|f| f.tarball.name.as_str()).collect();
        if let Some(why) = bundled::without_pjproject(&bundled) {
            let what = match names.is_empty() {
                true => "nothing".to_string(),
                false => names.join(", "),
            };
            eprintln!("bundled: {what} ({why})");
        }
        let sounds = sounds::selected(&tree.root, &plan.given.sounds)?;
        cache::ensure_sounds(plan.sh, &sounds, &b.download_cache, b.network)?;
        let spec_text = std::fs::read_to_string(&spec.path)
            .with_context(|| format!("reading {}", spec.path))?;
        let info = moduleinfo::read(&tree.root)?;
        let options = options::resolve(&plan.options, &info, &spec_text, &names)?;
        let reserved: Vec<String> = sounds.iter().map(|s| s.package.clone()).collect();
        let split = subpackages::split(&info, &options, &reserved)?;
        // What `--without-library` cost: the modules, and the packages gone with them.
        let cost = subpackages::cost(&info, &options, &split);
        announce::announce(&options, &split, &cost);
        Ok(BuildInputs {
            split,
            spec_sha256: digest::sha256_of_file(&spec.path)?,
            tree,
            spec,
            bundled,
            sounds,
            options,
        })
    }
}

/// Decides whether the build is incremental and, when it is, lays the tree over its kept
/// directory; says what it decided and did.
fn incremental_dir(
    plan: &Plan,
    ws: &Workspace,
    inputs: &BuildInputs,
    packed: &Packed,
    place: &Place,
) -> Result<Option<incremental::Kept>> {
    let (mounts, where_) = match place {
        Place::Native { .. } => (true, host::identity()),
        Place::Container {
            engine, base_image, ..
        } => (
            in_container::transfer_for(engine.endpoint().as_deref())
                == in_container::Transfer::Mounts,
            format!("container {base_image}"),
        ),
    };
    let release = plan_incremental::is_release(&packed.asterisk_version);
    let decision = plan_incremental::decide(plan.given.incremental, packed.dirty, release, mounts);
    let (on, seeds, why) = match decision {
        Rebuild::Incremental(why) => (true, false, why),
        Rebuild::KeepClean => (false, true, ""),
        Rebuild::Clean(why) => (false, false, why),
    };
    if plan.given.reproducible || !(on || seeds) {
        // Said when asked for, when it would be on, and for a release (which never is).
        if plan.given.incremental != plan_incremental::Mode::Auto || on || release {
            let why = if plan.given.reproducible {
                "--check-reproducible compares clean builds"
            } else if seeds {
                "the tree is committed (--incremental keeps the build directory)"
            } else {
                why
            };
            eprintln!("incremental: no ({why})");
        }
        return Ok(None);
    }
    let key = incremental::key(
        &inputs.tree.root,
        &inputs.spec_sha256,
        &inputs.options.digest(),
        &where_,
    );
    let kept = incremental::Kept {
        dir: ws.target.join("xtask/incremental").join(key),
        seeding: seeds,
        fresh: seeds,
    };
    if plan.sh.dry_run {
        // What the run would do, and the directory it would do it in; nothing is laid.
        match seeds {
            true => eprintln!(
                "incremental: no (a committed tree): would build in full in {}, kept for the next edit's incremental build",
                kept.dir
            ),
            false => eprintln!(
                "incremental: yes ({why}); would lay the tree over the build directory {} (a dry run lays nothing)",
                kept.dir
            ),
        }
        return Ok(Some(kept));
    }
    // Laid from the archive, not the tree: the packages are what the archive and the SRPM hold.
    let files = incremental::archive_files(&packed.archive_path, &packed.stem)?;
    if seeds {
        kept.sow(&files, &packed.members)?;
        eprintln!(
            "incremental: no (a committed tree): built in full in {}, kept for the next edit's incremental build",
            kept.dir
        );
        return Ok(Some(kept));
    }
    let synced = kept.sync(&files, &packed.members)?;
    let kept = incremental::Kept {
        fresh: synced.fresh.is_some(),
        ..kept
    };
    let laid = match &synced.fresh {
        Some(why) => format!(
            "a fresh build directory in {} ({why}): {} files laid",
            kept.dir, synced.written
        ),
        None => format!(
            "the kept build directory in {}: {} changed, {} removed, {} unchanged (make \
             rebuilds what depends on them)",
            kept.dir,
            crate::infra::progress::count(synced.written, "file"),
            synced.removed,
            synced.unchanged
        ),
    };
    eprintln!("incremental: yes ({why}); {laid}");
    eprintln!(
        "packaging: fast, for trying (an incremental build: no debuginfo, zstd or gzip level 1)"
    );
    Ok(Some(kept))
}

/// Empties the work directory (the xtask's own, under the target directory) for rpmbuild.
pub fn reset_work_dir(work: &Utf8Path) -> Result<()> {
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
fn stage(
    plan: &Plan,
    inputs: &BuildInputs,
    packed: &Packed,
    spec_inputs: &SpecInputs,
) -> Result<Utf8PathBuf> {
    let rendered = packed.work.join("SPECS/asterisk.spec");
    if plan.sh.dry_run {
        return Ok(rendered);
    }
    let text = std::fs::read_to_string(&inputs.spec.path)
        .with_context(|| format!("reading {}", inputs.spec.path))?;
    std::fs::write(&rendered, spec::render(&text, spec_inputs))
        .with_context(|| format!("writing {rendered}"))?;
    // The bundled tarballs where fetching left them; each sound set's tarball and .sha1 beside.
    let bundled = inputs
        .bundled
        .iter()
        .map(|b| b.path_in(&plan.bundled.download_cache));
    let sounds = inputs.sounds.iter().flat_map(|s| {
        let tarball = plan.bundled.download_cache.join(&s.file);
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
    if let Some(text) = &inputs.options.menuselect_text {
        let to = packed.work.join("SOURCES").join(options::MENUSELECT_SOURCE);
        std::fs::write(&to, text).with_context(|| format!("writing {to}"))?;
    }
    if let Some(lines) = inputs.options.configure_file() {
        let to = packed.work.join("SOURCES").join(options::CONFIGURE_SOURCE);
        std::fs::write(&to, lines).with_context(|| format!("writing {to}"))?;
    }
    // Which module and configuration file goes to which subpackage, as Source4.
    let to = packed.work.join("SOURCES").join(spec::PACKAGES_SOURCE);
    std::fs::write(&to, inputs.split.map_file()).with_context(|| format!("writing {to}"))?;
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

/// How the manifest names the builder: `native <host state>`, or `container <builder tag>
/// <its image id>`.
pub fn built_by(builder: Option<&builder::Builder>) -> String {
    match builder {
        Some(b) => container_builder(&b.tag, &b.id),
        None => host::identity(),
    }
}

/// `container <tag> <image id>`: the builder as the manifest names it.
pub fn container_builder(tag: &str, id: &str) -> String {
    format!("container {tag} {id}")
}

/// The packages rpmbuild wrote under `work` (RPMS and SRPMS), sorted: to publish, to sign
/// before they are published, or to compare. A directory rpmbuild did not make holds none; one
/// that cannot be read is an error.
pub fn packages_in(work: &Utf8Path) -> Result<Vec<Utf8PathBuf>> {
    let mut out = Vec::new();
    let mut pending = vec![work.join("RPMS"), work.join("SRPMS")];
    while let Some(dir) = pending.pop() {
        let entries = match dir.read_dir_utf8() {
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => continue,
            r => r.with_context(|| format!("reading {dir}"))?,
        };
        for entry in entries {
            let path = entry
                .with_context(|| format!("reading {dir}"))?
                .path()
                .to_owned();
            if path.is_dir() {
                pending.push(path);
            } else if path.as_str().ends_with(".rpm") {
                out.push(path);
            }
        }
    }
    out.sort();
    Ok(out)
}

/// One rpmbuild of the staged inputs: what a build runs, and `--check-reproducible` again.
pub struct Run<'a> {
    pub plan: &'a Plan,
    pub ws: &'a Workspace,
    pub inputs: &'a BuildInputs,
    pub packed: &'a Packed,
    pub spec_inputs: SpecInputs,
    /// The spec with this build's values, beside the archive.
    pub rendered: Utf8PathBuf,
    /// An incremental build's kept directory.
    kept: Option<incremental::Kept>,
}

impl<'a> Run<'a> {
    /// Says where the build runs, decides whether it is incremental (laying the tree over its
    /// kept directory when it is), renders the spec and stages it beside the archive with the
    /// bundled tarballs.
    pub fn prepare(
        plan: &'a Plan,
        ws: &'a Workspace,
        inputs: &'a BuildInputs,
        packed: &'a Packed,
    ) -> Result<Run<'a>> {
        let place = crate::plan::place::required(&plan.place)?;
        match place {
            Place::Native { rpmbuild, .. } => eprintln!("build: on this host ({rpmbuild})"),
            Place::Container { engine, .. } => {
                eprintln!("build: in a container ({})", engine.program);
                // A build container an interrupted run left (its xtask killed) may still write
                // into the kept directory: it goes before the tree is laid there.
                if !plan.sh.dry_run {
                    engine.remove_leftovers()?;
                }
            }
        }
        let kept = incremental_dir(plan, ws, inputs, packed, place)?;
        for f in &inputs.bundled {
            if !f.tarball.url.is_empty() && !spec::plain_url(&f.tarball.url) {
                eprintln!(
                    "note: the address third-party/{} gives ({}) is not one a Source line or an SBOM can hold (a scheme, no spaces, quotes or %): the SRPM names {} alone, the SBOM says NOASSERTION",
                    f.tarball.name, f.tarball.url, f.tarball.file
                );
            }
        }
        let spec_inputs = SpecInputs {
            asterisk_version: packed.asterisk_version.clone(),
            rpm: packed.rpm.clone(),
            archive_name: packed.archive_name.clone(),
            top_dir: packed.stem.clone(),
            source_date_epoch: packed.source_date,
            source_url: crate::source::version::release_url(&packed.asterisk_version)
                .filter(|_| packed.upstream_release),
            bundled: inputs.bundled.iter().map(|b| b.tarball.clone()).collect(),
            sounds: inputs.sounds.clone(),
            options: inputs.options.clone(),
            split: inputs.split.clone(),
            jobs: plan.given.core.jobs,
            incremental: kept.as_ref().map(|k| k.dir.clone()),
            seeding: kept.as_ref().is_some_and(|k| k.seeding),
        };
        let rendered = stage(plan, inputs, packed, &spec_inputs)?;
        Ok(Run {
            plan,
            ws,
            inputs,
            packed,
            spec_inputs,
            rendered,
            kept,
        })
    }

    /// The build finished: an incremental build's directory is good to build on.
    pub fn finished(&self) -> Result<()> {
        match &self.kept {
            Some(kept) if !self.plan.sh.dry_run => kept.done(),
            _ => Ok(()),
        }
    }
}

/// Whether rpmbuild's last lines say a program of the build was killed (make itself, killed by
/// the OOM killer, cannot delete what it half wrote): the shell's `Killed` or `Terminated`,
/// make's `Error 137`.
fn killed(tail: &[String]) -> bool {
    tail.iter().any(|l| {
        let words: Vec<&str> = l.split_whitespace().collect();
        // (A word in a compiler's message counts too: the next build is then a clean one.)
        words.iter().any(|w| matches!(*w, "Killed" | "Terminated"))
            || matches!(words.as_slice(), [.., "Error", code] if code.parse::<u32>().is_ok_and(|c| c >= 128))
    })
}

impl Run<'_> {
    /// Runs rpmbuild where the plan says (a container gets `hostname`); its failure in words.
    /// An incremental build that wrote over a file of the tree (a generated file the tree also
    /// holds) is made again in a fresh directory: a clean build packages the tree's file.
    pub fn rpmbuild(
        &self,
        hostname: &str,
        timer: &mut PhaseTimer,
    ) -> Result<Option<builder::Builder>> {
        let builder = match self.rpmbuild_once(hostname, timer) {
            Ok(builder) => builder,
            Err(e) => {
                self.after_failure(&e);
                return Err(e);
            }
        };
        let on_kept = self.kept.as_ref().filter(|k| !k.fresh);
        let Some(kept) = on_kept.filter(|_| !self.plan.sh.dry_run) else {
            return Ok(builder);
        };
        let Some(path) = kept.rewritten()? else {
            return Ok(builder);
        };
        eprintln!(
            "incremental: the build wrote over {path}, a file of the tree, which a clean build \
             packages as the tree has it: building again in a fresh directory"
        );
        for dir in ["RPMS", "SRPMS", "BUILDROOT"] {
            let dir = self.packed.work.join(dir);
            if dir.exists() {
                std::fs::remove_dir_all(&dir).with_context(|| format!("removing {dir}"))?;
            }
            std::fs::create_dir_all(&dir).with_context(|| format!("creating {dir}"))?;
        }
        let files = incremental::archive_files(&self.packed.archive_path, &self.packed.stem)?;
        kept.sow(&files, &self.packed.members)?;
        self.rpmbuild_once(hostname, timer)
    }

    /// After rpmbuild failed: a kept directory stays good to build on when rpmbuild exited on
    /// its own (make deletes what a failed recipe half wrote: the spec gives every make
    /// `.DELETE_ON_ERROR`), so that the next edit builds on it; one that was stopped or killed
    /// (Ctrl-C, the silence watch, a signal: no exit code, or 128 and above) may hold a half
    /// written file, and the next build starts afresh.
    fn after_failure(&self, e: &anyhow::Error) {
        let exited = e
            .downcast_ref::<crate::infra::exec::Failed>()
            .is_some_and(|f| {
                f.code.is_some_and(|code| (1..128).contains(&code)) && !killed(&f.tail)
            });
        match &self.kept {
            // (If the mark cannot be removed, the next build starts afresh: the failure is
            // what is said.)
            Some(kept) if exited && !self.plan.sh.dry_run && kept.done().is_ok() => eprintln!(
                "incremental: {} stays good to build on (make removed what the failed recipe \
                 wrote): the next build continues there",
                kept.dir
            ),
            _ => {}
        }
    }

    fn rpmbuild_once(
        &self,
        hostname: &str,
        timer: &mut PhaseTimer,
    ) -> Result<Option<builder::Builder>> {
        let Run {
            plan,
            inputs,
            packed,
            ..
        } = self;
        let spec_inputs = &self.spec_inputs;
        let place = crate::plan::place::required(&plan.place)?;
        let mut phases = PhaseTracker::default();
        let quiet = plan.log == BuildLog::Phases;
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
                // The system's macros only (`rpm --showrc`'s path without the user's files).
                let showrc = plan.sh.rpm().arg("--showrc").read().unwrap_or_default();
                let macros = spec::system_macro_path(&showrc).map(|m| format!("--macros={m}"));
                let rcfiles = spec::system_rcfiles(Utf8Path::new("/usr/lib/rpm"))
                    .map(|r| format!("--rcfile={r}"));
                let cmd = phases::watch_rpmbuild(plan.sh.cmd(rpmbuild.as_str()))
                    .args(rcfiles)
                    .args(macros)
                    .arg("-ba")
                    .args(spec::define_args(&spec::defines(
                        spec_inputs,
                        &packed.work,
                        spec_inputs.incremental.as_deref(),
                    )))
                    .args(nodeps.then_some("--nodeps"))
                    .arg(self.rendered.as_str())
                    .env("SOURCE_DATE_EPOCH", packed.source_date.to_string());
                let (key, value) = spec::kept_env(spec_inputs.incremental.as_deref());
                let cmd = cmd.env(key, value);
                interrupt::check()?;
                (cmd.run(on_line), None)
            }
            Place::Container { .. } if plan.sh.dry_run => {
                eprintln!("would build the builder image (or reuse it) and run rpmbuild in it");
                (Ok(()), None)
            }
            Place::Container { .. } => {
                let job = in_container::Job {
                    place,
                    tree: &inputs.tree.root,
                    xtask_root: &self.ws.root,
                    spec: &inputs.spec.path,
                    spec_inputs,
                    work: &packed.work,
                    scratch: self.ws.target.join("xtask"),
                };
                let (builder, result) = in_container::rpmbuild(&job, hostname, timer, on_line)?;
                (result, Some(builder))
            }
        };
        let rpm_phases = phases.finish();
        interrupt::check()?;
        if let Err(e) = result {
            let keep = format!("the previous outputs in {} are untouched", packed.out);
            // rpm's list of what is missing may be longer than the tail: its lines count too.
            let missing_deps = e.downcast_ref::<Failed>().is_some_and(|f| {
                f.tail.iter().any(|l| {
                    l.contains("Failed build dependencies")
                        || l.trim_start().contains(" is needed by ")
                })
            });
            // The spec says why it stopped in one line of its own: that line leads the error.
            let said = e.downcast_ref::<Failed>().and_then(|f| {
                f.tail.iter().find_map(|l| {
                    l.split_once("xtask error: ")
                        .map(|(_, why)| why.trim().to_string())
                })
            });
            return Err(match rpm_phases.last() {
                _ if e.downcast_ref::<in_container::Setup>().is_some() => e.context(keep),
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
                    inputs.spec.path
                )),
                Some((phase, _)) => e.context(format!("rpmbuild failed in {phase}; {keep}")),
            });
        }
        timer.absorb(&rpm_phases);
        Ok(builder)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_killed_program_is_told_from_a_failed_one() {
        let cases = [
            (
                "make: *** [Makefile:102: doc/core-en_US.xml] Error 1",
                false,
            ),
            ("make: *** [Makefile:40: main/asterisk] Error 137", true),
            (
                "/var/tmp/rpm-tmp.x: line 40: 1234 Killed                  make -j2",
                true,
            ),
            ("make[1]: *** [Makefile:7: x.o] Terminated", true),
            (
                "res_mini.c:3:1: error: expected ';' before '}' token",
                false,
            ),
            (
                "error: Bad exit status from /var/tmp/rpm-tmp.x (%build)",
                false,
            ),
        ];
        for (line, want) in cases {
            assert_eq!(killed(&[line.to_string()]), want, "{line}");
        }
    }
}
