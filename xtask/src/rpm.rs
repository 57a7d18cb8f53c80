//! NAME
//!     rpm: `cargo xtask rpm`, the working tree becomes RPMs.
//!
//! SYNOPSIS
//!     cargo xtask rpm [--native | --container] [--source DIR] [--out DIR] [-q] ...
//!
//! DESCRIPTION
//!     Tree -> file set -> version -> deterministic source archive -> rpmbuild -ba with the spec
//!     (every rpmbuild directory under the target directory), on the host or in the builder
//!     container -> atomic publish of the RPMs, the SRPM, the archive and manifest.json -> a
//!     summary with sizes and time per phase.

use anyhow::{bail, Context, Result};
use camino::{Utf8Path, Utf8PathBuf};

use crate::builder::{self, Builder, BuilderInputs, RunInputs};
use crate::engine::Engine;
use crate::flags::RpmFlags;
use crate::manifest::{Artifact, Kind, Manifest};
use crate::process::{self, Cmd};
use crate::report::{human_duration, human_size, phase_of_line, PhaseTimer, PhaseTracker};
use crate::rpm_version::{self, Derived, RpmVersion, Snapshot};
use crate::spec::{self, SpecInputs};
use crate::tree::{Tree, TreeKind};
use crate::version;
use crate::{archive, fileset, interrupt, publish, report, sha256, Workspace};

/// The install hint for a missing rpmbuild, per distribution.
pub const RPMBUILD_HINT: &str = "rpmbuild is not installed: install it (Fedora/RHEL/Rocky/Alma: \
    dnf install rpm-build; Debian/Ubuntu: apt-get install rpm; openSUSE: zypper install rpm-build; \
    Arch: pacman -S rpm-tools)";

pub fn run(flags: RpmFlags, ws: &Workspace) -> Result<()> {
    process::set_dry_run(flags.dry_run);
    process::set_verbose(flags.verbose);
    let mut timer = PhaseTimer::default();
    let place = choose_place(&flags)?;
    let packed = pack(&flags, ws, &mut timer)?;
    let manifest = build(&flags, ws, &packed, &place, &mut timer)?;
    if flags.dry_run {
        eprintln!("dry run: nothing was built or written");
    } else {
        report::summary(&packed.out, &manifest, &timer);
    }
    Ok(())
}

/// The tree packed into its source archive, and everything known about the build to come.
pub struct Packed {
    pub tree: Tree,
    pub spec: spec::Located,
    pub spec_sha256: String,
    pub out: Utf8PathBuf,
    pub work: Utf8PathBuf,
    pub asterisk_version: String,
    pub rpm: RpmVersion,
    pub source_date: i64,
    pub revision: String,
    pub stem: String,
    pub archive_name: String,
    pub archive_path: Utf8PathBuf,
    /// Empty in a dry run, which writes no archive.
    pub archive_sha256: String,
    pub download_cache: Option<Utf8PathBuf>,
    /// The target directory's build lock, held until the build is published.
    _lock: Option<std::fs::File>,
}

impl Packed {
    /// What the manifest of a build of this says before rpmbuild's packages are read: the
    /// name, version and release as given to the spec, no artifacts.
    pub fn manifest(&self, builder: String) -> Manifest {
        Manifest {
            name: "asterisk".into(),
            version: self.rpm.version.clone(),
            release: self.rpm.release.clone(),
            spec_release: self.rpm.release.clone(),
            asterisk_version: self.asterisk_version.clone(),
            source_date_epoch: self.source_date,
            revision: self.revision.clone(),
            spec: self.spec.path.to_string(),
            spec_sha256: self.spec_sha256.clone(),
            builder,
            artifacts: Vec::new(),
            image: None,
        }
    }

    /// Whether the RPMs a manifest describes were built from exactly this: the same archive
    /// bytes, spec and version.
    pub fn built(&self, manifest: &Manifest) -> bool {
        manifest.source().map(|a| a.sha256.as_str()) == Some(self.archive_sha256.as_str())
            && manifest.spec_sha256 == self.spec_sha256
            && manifest.version == self.rpm.version
            && manifest.spec_release == self.rpm.release
    }
}

/// Finds and checks the tree, computes its version, writes its archive.
pub fn pack(flags: &RpmFlags, ws: &Workspace, timer: &mut PhaseTimer) -> Result<Packed> {
    let tree = Tree::locate(flags.source.as_deref(), &ws.root)?;
    let spec = spec::locate(flags.spec.as_deref(), &tree.root, &ws.root)?;
    let out = match &flags.out {
        Some(dir) => absolute(dir)?,
        None => ws.target.join("rpm"),
    };
    let download_cache = download_cache(flags.download_cache.as_deref())?;
    let lock = if flags.dry_run {
        None
    } else {
        ws.prepare_target()?;
        let lock = ws.lock()?;
        publish::check_out_dir(&out)?;
        Some(lock)
    };
    eprintln!(
        "tree: {} ({})",
        tree.root,
        if tree.kind == TreeKind::Git {
            "git"
        } else {
            "no git"
        }
    );
    eprintln!("spec: {} ({})", spec.path, spec.origin.describe());

    // What goes in, and what it is called.
    let files = fileset::collect(&tree, &[ws.target.clone(), out.clone()])?;
    for warning in &files.warnings {
        eprintln!("warning: {warning}");
    }
    let head = tree.head()?;
    let facts = tree.version_facts(files.tracked_changes)?;
    let asterisk_version = version::asterisk_version(&facts);
    if asterisk_version == version::UNKNOWN_VERSION && flags.rpm_version.is_none() {
        bail!("{}", tree.why_unknown());
    }
    let changed: std::collections::HashSet<&str> =
        files.changed.iter().map(String::as_str).collect();
    let changed_mtimes: Vec<(&str, i64)> = files
        .entries
        .iter()
        .filter(|e| changed.contains(e.path.as_str()))
        .map(|e| (e.path.as_str(), e.mtime))
        .collect();
    let date = source_date(
        std::env::var("SOURCE_DATE_EPOCH").ok().as_deref(),
        head.as_ref().map(|h| h.commit_time),
        files.differs,
        &changed_mtimes,
        now_epoch(),
    )?;
    if let Some(note) = &date.note {
        eprintln!("warning: {note}");
    }
    let source_date = date.epoch;
    let dirty = tree.kind == TreeKind::Git && files.differs;
    let snapshot = match &head {
        Some(h) if facts.dot_version.is_none() && asterisk_version.starts_with("GIT-") => {
            Some(tree.snapshot(h, version::mainline_branch(&facts))?)
        }
        _ => None,
    };
    let derived = resolve_rpm_version(
        &asterisk_version,
        snapshot.as_ref(),
        dirty.then(|| version::utc_stamp(source_date).1),
        flags.rpm_version.as_deref(),
        flags.rpm_release.as_deref(),
    )?;
    let rpm = derived.rpm;
    eprintln!(
        "version: {asterisk_version} -> asterisk-{}-{}{}",
        rpm.version,
        rpm.release,
        if dirty { " (uncommitted changes)" } else { "" }
    );
    if !derived.basis.is_empty() {
        eprintln!("  based on: {}", derived.basis);
    }
    for note in &derived.notes {
        eprintln!("note: {note}");
    }
    let revision = match &head {
        Some(h) => format!("{}{}", h.commit, if dirty { "-dirty" } else { "" }),
        None => String::new(),
    };

    // The archive.
    let work = ws.target.join("xtask/rpm-work");
    let stem = version::archive_stem(&asterisk_version);
    let archive_name = format!("{stem}.tar.gz");
    let archive_path = work.join("SOURCES").join(&archive_name);
    let members = archive::members(
        &files.entries,
        &[(".version", format!("{asterisk_version}\n").into_bytes())],
    );
    let mut archive_sha256 = String::new();
    if flags.dry_run {
        eprintln!(
            "would write {archive_path} ({} entries, mtime {source_date})",
            members.len()
        );
    } else {
        reset_work_dir(&work)?;
        archive::write(&tree.root, &members, &stem, source_date, &archive_path)?;
        archive_sha256 = sha256::of_file(&archive_path)?;
        eprintln!(
            "archive: {archive_name} ({} files, {})",
            files.entries.len() + 1,
            human_size(file_size(&archive_path)?)
        );
    }
    timer.end("archive");
    interrupt::check()?;
    Ok(Packed {
        spec_sha256: sha256::of_file(&spec.path)?,
        tree,
        spec,
        out,
        work,
        asterisk_version,
        rpm,
        source_date,
        revision,
        stem,
        archive_name,
        archive_path,
        archive_sha256,
        download_cache,
        _lock: lock,
    })
}

/// Runs rpmbuild (here or in the builder) on the packed archive and publishes the outputs.
pub fn build(
    flags: &RpmFlags,
    ws: &Workspace,
    packed: &Packed,
    place: &Place,
    timer: &mut PhaseTimer,
) -> Result<Manifest> {
    let work = &packed.work;
    let inputs = SpecInputs {
        asterisk_version: packed.asterisk_version.clone(),
        rpm: packed.rpm.clone(),
        archive_name: packed.archive_name.clone(),
        top_dir: packed.stem.clone(),
        source_date_epoch: packed.source_date,
        download_cache: packed.download_cache.clone(),
        jobs: flags.jobs,
    };
    let mut phases = PhaseTracker::default();
    let quiet = flags.quiet;
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
    let (result, builder_image) = match place {
        Place::Native(rpmbuild) => {
            let (nodeps, note) = decide_nodeps(flags.nodeps, host_rpmdb_knows_shell());
            if let Some(note) = note {
                eprintln!("note: {note}");
            }
            let cmd = report::watch_rpmbuild(Cmd::new(rpmbuild.as_str()))
                .arg("-ba")
                .args(spec::define_args(&spec::defines(&inputs, work)))
                .args(nodeps.then_some("--nodeps"))
                .arg(packed.spec.path.as_str())
                .env("SOURCE_DATE_EPOCH", packed.source_date.to_string());
            interrupt::check()?;
            (cmd.run(on_line), None)
        }
        Place::Container(_) if process::dry_run() => {
            eprintln!("would build the builder image (or reuse it) and run rpmbuild in it");
            (Ok(()), None)
        }
        Place::Container(engine) => {
            let builder = prepare_builder(engine, flags, &packed.tree, ws, &packed.spec.path)?;
            timer.end("builder");
            let job = container_job(&builder, flags, &inputs, work, &packed.spec.path)?;
            let transfer = builder::transfer_for(engine.endpoint().as_deref());
            if transfer == builder::Transfer::Copy {
                eprintln!("note: the engine is not on this machine: inputs and outputs are copied, not mounted");
            }
            interrupt::check()?;
            let result = builder::run_rpmbuild(engine, &builder, &job, transfer, on_line);
            (result, Some(builder))
        }
    };
    let rpm_phases = phases.finish();
    interrupt::check()?;
    if let Err(e) = result {
        let keep = format!("the previous outputs in {} are untouched", packed.out);
        let missing_deps = e.downcast_ref::<process::Failed>().is_some_and(|f| {
            f.tail
                .iter()
                .any(|l| l.contains("Failed build dependencies"))
        });
        return Err(match rpm_phases.last() {
            _ if e.downcast_ref::<builder::Setup>().is_some() => e.context(keep),
            None if missing_deps => {
                e.context(format!(
                "rpmbuild stopped before %prep: the {} lacks BuildRequires of the spec (listed \
                 below): install them, or pass --nodeps if it has them under other names; {keep}",
                if builder_image.is_some() { "builder image" } else { "build host" }
            ))
            }
            None => e.context(format!(
                "rpmbuild stopped before %prep: it rejected the spec {} or its sources; {keep}",
                packed.spec.path
            )),
            Some((phase, _)) => e.context(format!("rpmbuild failed in {phase}; {keep}")),
        });
    }
    timer.absorb(&rpm_phases);
    if flags.dry_run {
        return Ok(packed.manifest("dry run".into()));
    }
    let manifest = publish_outputs(packed, builder_image.as_ref())?;
    timer.end("publish");
    if builder_image.is_some() && !flags.no_ccache {
        let stats = std::fs::read_to_string(work.join("ccache-stats")).unwrap_or_default();
        match builder::ccache_hits(&stats) {
            Some((hits, misses)) if hits + misses > 0 => eprintln!(
                "ccache: {hits} hits, {misses} misses ({:.0}% hit rate)",
                100.0 * hits as f64 / (hits + misses) as f64
            ),
            _ => eprintln!("ccache: no compilations were cached"),
        }
    }
    Ok(manifest)
}

/// Moves the RPMs, the SRPM and the archive into the output directory with manifest.json.
fn publish_outputs(packed: &Packed, builder_image: Option<&Builder>) -> Result<Manifest> {
    interrupt::check()?;
    let work = &packed.work;
    let staging = publish::staging_dir(&packed.out)?;
    let mut outputs: Vec<(Utf8PathBuf, String, Kind)> = Vec::new();
    for (dir, suffix, kind) in [
        ("RPMS", ".rpm", Kind::Rpm),
        ("SRPMS", ".src.rpm", Kind::Srpm),
    ] {
        for path in find_files(&work.join(dir), suffix)? {
            let rel = path.strip_prefix(work).unwrap_or(&path).to_string();
            outputs.push((path, rel, kind));
        }
    }
    outputs.push((
        packed.archive_path.clone(),
        packed.archive_name.clone(),
        Kind::Source,
    ));
    let srpm = outputs
        .iter()
        .find(|o| o.2 == Kind::Srpm)
        .map(|o| o.0.clone())
        .context("rpmbuild wrote no source RPM")?;
    let nvr = Cmd::new("rpm")
        .args([
            "-qp",
            "--nosignature",
            "--qf",
            "%{NAME}\\t%{VERSION}\\t%{RELEASE}",
        ])
        .arg(srpm.as_str())
        .read()
        .with_context(|| format!("reading the name and version of {srpm}"))?;
    let mut nvr = nvr.split('\t').map(str::to_string);
    let mut artifacts = Vec::new();
    for (path, rel, kind) in &outputs {
        artifacts.push(Artifact {
            path: rel.clone(),
            kind: *kind,
            sha256: sha256::of_file(path)?,
            size: file_size(path)?,
        });
        publish::stage_file(path, &staging, rel)?;
    }
    let builder = match builder_image {
        Some(b) => format!("container {}", b.tag),
        None => "native".into(),
    };
    let manifest = Manifest {
        name: nvr.next().unwrap_or_default(),
        version: nvr.next().unwrap_or_default(),
        release: nvr.next().unwrap_or_default(),
        artifacts,
        ..packed.manifest(builder)
    };
    let manifest_path = staging.path.join(publish::MANIFEST);
    std::fs::write(&manifest_path, manifest.to_json())
        .with_context(|| format!("writing {manifest_path}"))?;
    interrupt::check()?;
    publish::swap_in(staging, &packed.out)?;
    Ok(manifest)
}

/// Where rpmbuild runs.
pub enum Place {
    Native(Utf8PathBuf),
    Container(Engine),
}

/// What the flags and the machine allow, in the order the README gives.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Choice {
    Native,
    Container,
}

/// `--native`, `--container`, or (neither) the container when an engine answers, else native
/// when rpmbuild exists. `engine` is None when no engine is installed, else whether it answers.
pub fn choose(
    native: bool,
    container: bool,
    engine: Option<std::result::Result<(), String>>,
    rpmbuild_found: bool,
) -> Result<Choice> {
    match (native, container) {
        (true, true) => bail!("--native and --container exclude each other: choose one"),
        (true, false) if rpmbuild_found => Ok(Choice::Native),
        (true, false) => bail!("{RPMBUILD_HINT}, or build in a container (drop --native)"),
        (false, true) => match engine {
            Some(Ok(())) => Ok(Choice::Container),
            Some(Err(why)) => bail!(why),
            None => bail!(
                "no container engine: install docker or podman, name one with --engine or \
                 CONTAINER_ENGINE, or build with --native"
            ),
        },
        (false, false) => match engine {
            Some(Ok(())) => Ok(Choice::Container),
            _ if rpmbuild_found => Ok(Choice::Native),
            Some(Err(why)) => {
                bail!("{why}; rpmbuild is not installed either, so --native cannot stand in")
            }
            None => bail!(
                "nothing to build with: install docker or podman (cargo xtask rpm then builds in a \
                 container) or rpmbuild (then --native; Debian/Ubuntu: apt-get install rpm; \
                 Fedora/EL: dnf install rpm-build)"
            ),
        },
    }
}

pub fn choose_place(flags: &RpmFlags) -> Result<Place> {
    let rpmbuild = which::which("rpmbuild")
        .ok()
        .and_then(|p| Utf8PathBuf::try_from(p).ok());
    let engine = if flags.native {
        None
    } else {
        Engine::find(flags.engine.as_deref())
    };
    let answers = engine
        .as_ref()
        .map(|e| e.check().map_err(|err| format!("{err:#}")));
    let choice = choose(
        flags.native,
        flags.container,
        answers.clone(),
        rpmbuild.is_some(),
    )?;
    match (choice, engine, rpmbuild) {
        (Choice::Container, Some(engine), _) => {
            eprintln!("build: in a container ({})", engine.program);
            Ok(Place::Container(engine))
        }
        (Choice::Native, _, Some(rpmbuild)) => {
            if let Some(Err(why)) = answers {
                eprintln!("note: {why}; building with this host's rpmbuild");
            }
            eprintln!("build: on this host ({rpmbuild})");
            Ok(Place::Native(rpmbuild))
        }
        _ => bail!("{RPMBUILD_HINT}"),
    }
}

fn prepare_builder(
    engine: &Engine,
    flags: &RpmFlags,
    tree: &Tree,
    ws: &Workspace,
    spec: &Utf8Path,
) -> Result<Builder> {
    engine.remove_leftovers()?;
    let dockerfile = spec::locate_file(builder::DOCKERFILE, None, None, &tree.root, &ws.root)?;
    eprintln!(
        "dockerfile: {} ({})",
        dockerfile.path,
        dockerfile.origin.describe()
    );
    let (uid, gid) = builder::invoking_ids();
    builder::ensure(
        engine,
        &BuilderInputs {
            dockerfile: &dockerfile.path,
            spec,
            base_image: flags
                .base_image
                .as_deref()
                .unwrap_or(builder::DEFAULT_BASE_IMAGE),
            rebuild: flags.rebuild_builder,
            scratch: &ws.target.join("xtask"),
            uid,
            gid,
        },
    )
}

/// rpmbuild in the builder: the spec copied next to the archive, container paths throughout.
fn container_job<'a>(
    builder: &Builder,
    flags: &RpmFlags,
    inputs: &SpecInputs,
    work: &'a Utf8Path,
    spec: &Utf8Path,
) -> Result<RunInputs<'a>> {
    let inside = Utf8Path::new(builder::WORK);
    let spec_inside = inside.join("SPECS/asterisk.spec");
    if !process::dry_run() {
        std::fs::copy(spec, work.join("SPECS/asterisk.spec"))
            .with_context(|| format!("copying {spec} into {work}/SPECS"))?;
    }
    let mut container_inputs = inputs.clone();
    container_inputs.download_cache = inputs
        .download_cache
        .as_ref()
        .map(|_| Utf8PathBuf::from(builder::DOWNLOADS));
    let mut args = vec!["-ba".to_string()];
    args.extend(spec::define_args(&spec::defines(&container_inputs, inside)));
    // The container's id would be recorded as the build host.
    args.extend([
        "--define".into(),
        "_buildhost asterisk-xtask-builder".into(),
    ]);
    if flags.nodeps {
        args.push("--nodeps".into());
    }
    args.push(spec_inside.to_string());
    let (uid, gid) = builder::invoking_ids();
    Ok(RunInputs {
        work,
        passwd: builder.passwd.clone(),
        group: builder.group.clone(),
        download_cache: inputs.download_cache.clone(),
        ccache: !flags.no_ccache,
        uid,
        gid,
        source_date_epoch: inputs.source_date_epoch,
        rpmbuild_args: args,
    })
}

/// The archive's one mtime, and why it is not what it would have been.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SourceDate {
    pub epoch: i64,
    /// Set when a date in the future was brought back to now.
    pub note: Option<String>,
}

/// SOURCE_DATE_EPOCH if set; else the commit time of a clean tree; else the newest mtime among
/// the files that differ from the commit (and never before the commit). Never in the future:
/// make rebuilds forever on files dated after its clock, so a SOURCE_DATE_EPOCH ahead of `now`
/// is refused, and a commit or file dated ahead (clock skew) is brought back to `now`.
pub fn source_date(
    env: Option<&str>,
    commit_time: Option<i64>,
    differs: bool,
    changed: &[(&str, i64)],
    now: i64,
) -> Result<SourceDate> {
    if let Some(value) = env.filter(|v| !v.is_empty()) {
        let epoch: i64 = value.trim().parse().map_err(|_| {
            anyhow::anyhow!(
                "SOURCE_DATE_EPOCH must be a whole number of seconds since 1970, not '{}'",
                value.escape_debug()
            )
        })?;
        if epoch < 0 {
            bail!("SOURCE_DATE_EPOCH={epoch} is before 1970: set it to a time after, or unset it");
        }
        if epoch > now {
            bail!(
                "SOURCE_DATE_EPOCH={epoch} ({}) is in the future, and make would rebuild forever on \
                 files dated after its clock: set it to a time past, or unset it",
                version::rfc3339(epoch.min(253_402_300_799))
            );
        }
        return Ok(SourceDate { epoch, note: None });
    }
    let newest = changed.iter().max_by_key(|(_, mtime)| *mtime);
    let (epoch, what) = match (commit_time, differs, newest) {
        (Some(commit), false, _) | (Some(commit), true, None) => (commit, "the commit".to_string()),
        (Some(commit), true, Some((path, mtime))) if *mtime > commit => {
            (*mtime, format!("{path}'s modification time"))
        }
        (Some(commit), true, Some(_)) => (commit, "the commit".to_string()),
        (None, _, Some((path, mtime))) => (*mtime, format!("{path}'s modification time")),
        (None, _, None) => (0, String::new()),
    };
    if epoch > now {
        return Ok(SourceDate {
            epoch: now,
            note: Some(format!(
                "{what} is in the future ({}; is a clock wrong?): the archive is dated now instead, \
                 so make does not rebuild forever",
                version::rfc3339(epoch.min(253_402_300_799))
            )),
        });
    }
    Ok(SourceDate { epoch, note: None })
}

fn now_epoch() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_secs() as i64)
        .unwrap_or(0)
}

/// The RPM Version/Release: the overrides where given, else derived from the Asterisk version.
pub fn resolve_rpm_version(
    asterisk: &str,
    snapshot: Option<&Snapshot>,
    dirty_stamp: Option<String>,
    version_override: Option<&str>,
    release_override: Option<&str>,
) -> Result<Derived> {
    let mut derived = match version_override {
        Some(v) => Derived {
            rpm: RpmVersion {
                version: v.to_string(),
                release: match &dirty_stamp {
                    Some(stamp) => format!("1.dirty.{stamp}"),
                    None => "1".into(),
                },
            },
            basis: "--rpm-version".into(),
            notes: Vec::new(),
        },
        None => rpm_version::rpm_version(asterisk, snapshot, dirty_stamp.as_deref())?,
    };
    if let Some(r) = release_override {
        derived.rpm.release = r.to_string();
    }
    rpm_version::check_rpm_field("the RPM Version (--rpm-version)", &derived.rpm.version)?;
    rpm_version::check_rpm_field("the RPM Release (--rpm-release)", &derived.rpm.release)?;
    Ok(derived)
}

/// Whether to pass `--nodeps`, and a note when the xtask decided it.
pub fn decide_nodeps(flag: bool, rpmdb_knows_host: bool) -> (bool, Option<&'static str>) {
    match (flag, rpmdb_knows_host) {
        (true, _) => (true, None),
        (false, true) => (false, None),
        (false, false) => (
            true,
            Some(
                "this host's packages are not in the rpm database (a Debian-family host?): \
                  BuildRequires are not checked (--nodeps)",
            ),
        ),
    }
}

/// Whether rpm's database knows what provides /bin/sh: false on hosts whose packages are not
/// RPMs, where every BuildRequires would be reported missing.
fn host_rpmdb_knows_shell() -> bool {
    Cmd::new("rpm")
        .args(["-q", "--whatprovides", "/bin/sh"])
        .read_optional()
        .map(|answer| answer.is_some())
        .unwrap_or(false)
}

/// `--download-cache DIR` must exist; the default is used only when it does.
fn download_cache(given: Option<&Utf8Path>) -> Result<Option<Utf8PathBuf>> {
    if let Some(dir) = given {
        if !dir.is_dir() {
            bail!("the download cache {dir} is not a directory: create it and put the third-party tarballs there");
        }
        return Ok(Some(absolute(dir)?));
    }
    let base = std::env::var("XDG_CACHE_HOME")
        .ok()
        .filter(|s| !s.is_empty())
        .map(Utf8PathBuf::from)
        .or_else(|| {
            std::env::var("HOME")
                .ok()
                .map(|h| Utf8PathBuf::from(h).join(".cache"))
        });
    Ok(base
        .map(|b| b.join("asterisk-xtask/downloads"))
        .filter(|d| d.is_dir()))
}

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

/// Files under `dir` (recursively) whose names end with `suffix`, sorted.
fn find_files(dir: &Utf8Path, suffix: &str) -> Result<Vec<Utf8PathBuf>> {
    let mut found = Vec::new();
    let mut pending = vec![dir.to_owned()];
    while let Some(d) = pending.pop() {
        for entry in d.read_dir_utf8().with_context(|| format!("reading {d}"))? {
            let entry = entry.with_context(|| format!("reading {d}"))?;
            let path = entry.path().to_owned();
            if path.is_dir() {
                pending.push(path);
            } else if entry.file_name().ends_with(suffix) {
                found.push(path);
            }
        }
    }
    found.sort();
    Ok(found)
}

fn file_size(path: &Utf8Path) -> Result<u64> {
    Ok(std::fs::metadata(path)
        .with_context(|| format!("reading {path}"))?
        .len())
}

pub fn absolute(path: &Utf8Path) -> Result<Utf8PathBuf> {
    if path.is_absolute() {
        return Ok(path.to_owned());
    }
    let cwd = std::env::current_dir().context("finding the current directory")?;
    let cwd = Utf8PathBuf::try_from(cwd).context("the current directory is not UTF-8")?;
    Ok(cwd.join(path))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn source_dates() {
        const NOW: i64 = 2_000_000_000;
        // (SOURCE_DATE_EPOCH, commit time, tree differs, mtimes of changed files, answer)
        type Case<'a> = (Option<&'a str>, Option<i64>, bool, &'a [i64], i64);
        let cases: [Case; 8] = [
            (Some("123"), Some(5), true, &[9], 123),
            (None, Some(100), false, &[500], 100),
            (None, Some(100), true, &[50, 500, 200], 500),
            (None, Some(100), true, &[50], 100),
            (None, Some(100), true, &[], 100),
            (None, None, true, &[7, 3], 7),
            (Some(""), Some(100), false, &[], 100),
            (Some(" 42 "), None, true, &[], 42),
        ];
        for (env, commit, differs, mtimes, want) in cases {
            let changed: Vec<(&str, i64)> = mtimes.iter().map(|m| ("f", *m)).collect();
            let got = source_date(env, commit, differs, &changed, NOW).unwrap();
            assert_eq!(
                got,
                SourceDate {
                    epoch: want,
                    note: None
                },
                "{env:?} {commit:?} {mtimes:?}"
            );
        }
        // Refused: not a number, before 1970, in the future (past tar's 11 octal digits too).
        for (env, want) in [
            ("yesterday", "whole number"),
            ("-5", "before 1970"),
            ("2000000001", "in the future"),
            ("8589934592", "in the future"),
            ("99999999999999999999", "whole number"),
        ] {
            let err = source_date(Some(env), None, true, &[], NOW)
                .unwrap_err()
                .to_string();
            assert!(err.contains(want), "{env}: {err}");
        }
        // Clock skew in the tree or the commit: brought back to now, and said.
        let skewed = source_date(None, Some(100), true, &[("main/a.c", NOW + 5)], NOW).unwrap();
        assert_eq!(skewed.epoch, NOW);
        assert!(skewed.note.unwrap().contains("main/a.c"));
        let commit = source_date(None, Some(NOW + 9), false, &[], NOW).unwrap();
        assert_eq!(commit.epoch, NOW);
        assert!(commit.note.unwrap().contains("the commit"));
    }

    #[test]
    fn overrides_win_and_are_checked() {
        let got = resolve_rpm_version("22.1.0", None, None, None, None).unwrap();
        assert_eq!(
            (got.rpm.version.as_str(), got.rpm.release.as_str()),
            ("22.1.0", "1")
        );
        let got = resolve_rpm_version(
            "UNKNOWN__and_probably_unsupported",
            None,
            None,
            Some("9.9"),
            Some("7"),
        )
        .unwrap();
        assert_eq!(
            (got.rpm.version.as_str(), got.rpm.release.as_str()),
            ("9.9", "7")
        );
        let got = resolve_rpm_version("x", None, Some("20261130000000".into()), Some("1.0"), None)
            .unwrap();
        assert_eq!(got.rpm.release, "1.dirty.20261130000000");
        let err = resolve_rpm_version("22.1.0", None, None, Some("1-2"), None).unwrap_err();
        assert!(
            err.to_string().contains("'-'") && err.to_string().contains("--rpm-version"),
            "{err}"
        );
        let err = resolve_rpm_version("22.1.0", None, None, None, Some("")).unwrap_err();
        assert!(err.to_string().contains("is empty"), "{err}");
        let err = resolve_rpm_version("UNKNOWN__and_probably_unsupported", None, None, None, None)
            .unwrap_err();
        assert!(err.to_string().contains("--rpm-version"), "{err}");
    }

    #[test]
    fn where_the_build_runs() {
        let up = || Some(Ok(()));
        let down = || {
            Some(Err(
                "the container engine docker does not answer".to_string()
            ))
        };
        let ok = [
            ((true, false, None, true), Choice::Native),
            ((false, true, up(), false), Choice::Container),
            ((false, false, up(), true), Choice::Container),
            ((false, false, down(), true), Choice::Native),
            ((false, false, None, true), Choice::Native),
        ];
        for ((native, container, engine, rpmbuild), want) in ok {
            assert_eq!(choose(native, container, engine, rpmbuild).unwrap(), want);
        }
        let bad = [
            ((true, true, up(), true), "exclude each other"),
            ((true, false, up(), false), "apt-get install rpm"),
            ((false, true, down(), true), "does not answer"),
            ((false, true, None, true), "no container engine"),
            (
                (false, false, down(), false),
                "rpmbuild is not installed either",
            ),
            ((false, false, None, false), "install docker or podman"),
        ];
        for ((native, container, engine, rpmbuild), want) in bad {
            let err = choose(native, container, engine, rpmbuild)
                .unwrap_err()
                .to_string();
            assert!(err.contains(want), "{err}");
        }
    }

    #[test]
    fn nodeps_decision() {
        assert_eq!(decide_nodeps(true, true), (true, None));
        assert_eq!(decide_nodeps(false, true), (false, None));
        let (on, note) = decide_nodeps(false, false);
        assert!(on && note.is_some());
    }
}
