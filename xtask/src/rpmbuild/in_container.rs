//! rpmbuild in the builder container: the job, the container's arguments, mounts or copies.
//!
//! The build container gets the source archive and the spec read-only (never the live tree),
//! the work directory for its outputs, the invoking uid:gid with a passwd entry and a private
//! HOME, no network, a ccache volume per builder image, and a name and label so that an
//! interrupt removes it. An engine elsewhere (`DOCKER_HOST=tcp://`, `ssh://`) gets copies.

use anyhow::{Context, Result};
use camino::{Utf8Path, Utf8PathBuf};

use super::builder::{self, Builder, BuilderInputs, WORK};
use super::phases;
use super::spec::{self, SpecInputs};
use crate::infra::engine::{self, Engine, EngineKind};
use crate::infra::exec::Cmd;
use crate::infra::interrupt;
use crate::infra::progress::PhaseTimer;
use crate::plan::place::Place;

const CCACHE_DIR: &str = "/ccache";
use super::builder::HOME;

struct RunInputs<'a> {
    pub work: &'a Utf8Path,
    pub passwd: Utf8PathBuf,
    pub group: Utf8PathBuf,
    pub ccache: bool,
    /// A host directory for ccache instead of the builder's volume.
    pub ccache_dir: Option<Utf8PathBuf>,
    /// An incremental build's kept directory, mounted at KEPT.
    pub kept: Option<Utf8PathBuf>,
    pub uid: u32,
    pub gid: u32,
    pub source_date_epoch: i64,
    /// rpmbuild's arguments, with container paths.
    pub rpmbuild_args: Vec<String>,
    /// The container's host name (what `uname -n` says in the build).
    pub hostname: String,
}

/// Inside the container: an incremental build's kept directory.
const KEPT: &str = "/xtask-kept";

/// The build container's host name: a fixed one, not the container's id.
pub const HOSTNAME: &str = "asterisk-xtask-builder";

/// A failure around rpmbuild (creating the container, copying), not of rpmbuild itself.
#[derive(Debug)]
pub struct Setup(pub String);

impl std::fmt::Display for Setup {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

/// How the build's inputs reach the container and its outputs come back.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Transfer {
    /// Bind mounts: the engine runs on this machine and sees its files.
    Mounts,
    /// `cp` in and out: the engine is elsewhere (`DOCKER_HOST=ssh://...`, a remote context).
    Copy,
}

/// Bind mounts for an engine on a local socket (or the default one), copies for anything else.
pub fn transfer_for(endpoint: Option<&str>) -> Transfer {
    match endpoint.map(str::trim).filter(|e| !e.is_empty()) {
        None => Transfer::Mounts,
        Some(e) if e.starts_with("unix://") || e.starts_with("npipe://") => Transfer::Mounts,
        Some(_) => Transfer::Copy,
    }
}

/// Runs rpmbuild in the builder; its output lines go to `on_line`. The container is removed
/// afterwards, and on Ctrl-C.
fn run_rpmbuild(
    engine: &Engine,
    builder: &Builder,
    run: &RunInputs,
    transfer: Transfer,
    on_line: impl FnMut(&str),
) -> Result<()> {
    let name = container_name();
    let args = container_args(engine, builder, run, transfer, &name);
    match transfer {
        Transfer::Mounts => phases::watch_rpmbuild(engine.cmd())
            .args(["run", "--rm"])
            .args(args)
            .on_interrupt(engine.remove_cmd(&name))
            .run(on_line)
            .map_err(|e| match e.downcast_ref::<crate::infra::exec::Failed>() {
                // 125: the engine itself failed (bad option, missing runtime piece), so the
                // container never ran.
                Some(f) if f.code == Some(125) => e.context(Setup(
                    "the engine could not start the build container".into(),
                )),
                _ => e,
            }),
        Transfer::Copy => {
            let result = copy_and_run(engine, run, args, &name, on_line);
            engine.remove_container(&name);
            result
        }
    }
}

/// That each directory can be given to `-v HOST:INSIDE`, which splits at ':' (and `--mount`
/// at ','): one line naming the directory, before the engine says something about a mode.
fn mountable<'a>(dirs: impl Iterator<Item = &'a Utf8Path>) -> Result<()> {
    match dirs.into_iter().find(|d| d.as_str().contains(':')) {
        Some(dir) => anyhow::bail!(
            "{dir} holds a ':', which a container engine cannot mount (-v splits at it): build \
             with a target directory (CARGO_TARGET_DIR) and --ccache-dir without ':', or with \
             --native"
        ),
        None => Ok(()),
    }
}

/// The remote way: create the container, copy the inputs in, start it, copy the outputs out.
fn copy_and_run(
    engine: &Engine,
    run: &RunInputs,
    args: Vec<String>,
    name: &str,
    on_line: impl FnMut(&str),
) -> Result<()> {
    let quiet = |cmd: Cmd| cmd.run(|_| {});
    quiet(engine.cmd().arg("create").args(args))
        .context(Setup("creating the build container".into()))?;
    // Copied in as root-owned, world-readable files: the build reads them and writes beside
    // them in /xtask (mode 1777).
    let into = |from: &Utf8Path, to: &str| {
        quiet(
            engine
                .cmd()
                .arg("cp")
                .arg(from.as_str())
                .arg(format!("{name}:{to}")),
        )
        .context(Setup(format!("copying {from} into the build container")))
    };
    into(&run.passwd, "/etc/passwd")?;
    into(&run.group, "/etc/group")?;
    into(&run.work.join("SOURCES"), &format!("{WORK}/SOURCES"))?;
    into(&run.work.join("SPECS"), &format!("{WORK}/SPECS"))?;
    interrupt::check()?;
    phases::watch_rpmbuild(engine.cmd())
        .args(["start", "-a", name])
        .on_interrupt(engine.remove_cmd(name))
        .run(on_line)?;
    // The spec's record of the build: a tree's older spec may write none.
    let _ = quiet(
        engine
            .cmd()
            .arg("cp")
            .arg(format!("{name}:{WORK}/{}/.", spec::INFO_DIR))
            .arg(run.work.join(spec::INFO_DIR).as_str()),
    );
    for dir in ["RPMS", "SRPMS"] {
        quiet(
            engine
                .cmd()
                .arg("cp")
                .arg(format!("{name}:{WORK}/{dir}/."))
                .arg(run.work.join(dir).as_str()),
        )
        .context(Setup(format!("copying {dir} out of the build container")))?;
    }
    if run.ccache {
        let _ = quiet(
            engine
                .cmd()
                .arg("cp")
                .arg(format!("{name}:{WORK}/ccache-stats"))
                .arg(run.work.join("ccache-stats").as_str()),
        );
    }
    Ok(())
}

/// Everything after `run --rm` (or `create`): the container's name, labels, user, mounts (with
/// `Transfer::Mounts`), environment, image and command.
fn container_args(
    engine: &Engine,
    builder: &Builder,
    run: &RunInputs,
    transfer: Transfer,
    name: &str,
) -> Vec<String> {
    let mut a: Vec<String> = Vec::new();
    let mut add = |items: &[&str]| a.extend(items.iter().map(|s| s.to_string()));
    add(&["--init", "-e", "TINI_KILL_PROCESS_GROUP=1"]);
    add(&["--name", name]);
    add(&[
        "--label",
        &format!("{}={}", engine::BUILD_LABEL, engine::owner_label()),
    ]);
    add(&["--network", "none"]);
    // Asterisk's build.h records the build host: a fixed name, not the container's id.
    add(&["--hostname", &run.hostname]);
    add(&["--user", &format!("{}:{}", run.uid, run.gid)]);
    if engine.kind == EngineKind::Podman && run.uid != 0 {
        add(&["--userns=keep-id"]);
    }
    // A private HOME in memory, the invoking user's (podman's tmpfs takes no uid=: sticky,
    // writable by all, which in a container of one user is the same).
    let home = match engine.kind {
        EngineKind::Docker => format!("{HOME}:rw,uid={},gid={},mode=0700", run.uid, run.gid),
        EngineKind::Podman => format!("{HOME}:rw,mode=1777"),
    };
    add(&["--tmpfs", &home]);
    add(&["-e", &format!("HOME={HOME}")]);
    add(&[
        "-e",
        &format!("SOURCE_DATE_EPOCH={}", run.source_date_epoch),
    ]);
    add(&["-w", WORK]);
    if transfer == Transfer::Mounts {
        // :z (shared), not :Z, so that two builds may use the same directories on SELinux hosts.
        let bind = |host: &Utf8Path, inside: &str, mode: &str| format!("{host}:{inside}:{mode}z");
        add(&["-v", &bind(&run.passwd, "/etc/passwd", "ro,")]);
        add(&["-v", &bind(&run.group, "/etc/group", "ro,")]);
        add(&["-v", &bind(run.work, WORK, "")]);
        if let Some(kept) = &run.kept {
            add(&["-v", &bind(kept, KEPT, "")]);
            let (key, value) = spec::kept_env(Some(Utf8Path::new(KEPT)));
            add(&["-e", &format!("{key}={value}")]);
        }
        add(&[
            "-v",
            &bind(&run.work.join("SOURCES"), &format!("{WORK}/SOURCES"), "ro,"),
        ]);
        add(&[
            "-v",
            &bind(&run.work.join("SPECS"), &format!("{WORK}/SPECS"), "ro,"),
        ]);
    }
    let script = if run.ccache {
        match &run.ccache_dir {
            Some(dir) => add(&["-v", &format!("{dir}:{CCACHE_DIR}:z")]),
            None => add(&["-v", &format!("{}:{CCACHE_DIR}", builder.ccache_volume)]),
        }
        add(&["-e", &format!("CCACHE_DIR={CCACHE_DIR}")]);
        // The build directory is named after the version, which changes with every edit
        // (GIT-...M): hash paths relative to it, and not the directory itself, so that a
        // rebuild after a one-line patch finds the rest in the cache.
        add(&[
            "-e",
            &format!("CCACHE_BASEDIR={WORK}/BUILD"),
            "-e",
            "CCACHE_NOHASHDIR=1",
        ]);
        // Builds as different users share the volume: what one writes, the next may update.
        add(&["-e", "CCACHE_UMASK=000"]);
        add(&[
            "-e",
            "PATH=/usr/lib64/ccache:/usr/lib/ccache:/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin",
        ]);
        // This build's own statistics (a log in its work directory: builds that share the
        // volume at the same time do not disturb them), kept for the summary.
        add(&["-e", &format!("CCACHE_STATSLOG={WORK}/ccache-stats.log")]);
        format!(
            "rpmbuild \"$@\"; rc=$?; \
             ccache --show-log-stats > {WORK}/ccache-stats 2>/dev/null || ccache -s > {WORK}/ccache-stats 2>&1; \
             exit $rc"
        )
    } else {
        "exec rpmbuild \"$@\"".to_string()
    };
    add(&[&builder.tag, "sh", "-c", &script, "rpmbuild"]);
    a.extend(run.rpmbuild_args.iter().cloned());
    a
}

/// The name of this run's build container.
fn container_name() -> String {
    format!("asterisk-xtask-build-{}", std::process::id())
}

/// The invoking user's uid and gid.
fn invoking_ids() -> (u32, u32) {
    // SAFETY: getuid and getgid cannot fail.
    unsafe { (libc::getuid(), libc::getgid()) }
}

/// What a container build is given: where it runs, the files it is made of, the rendered
/// spec's values and the work directory.
pub struct Job<'a> {
    pub place: &'a Place,
    /// Where the tree's and the xtask's Dockerfile.builder are looked for.
    pub tree: &'a Utf8Path,
    pub xtask_root: &'a Utf8Path,
    pub spec: &'a Utf8Path,
    pub spec_inputs: &'a SpecInputs,
    pub work: &'a Utf8Path,
    /// Scratch space for the builder's context and passwd files.
    pub scratch: Utf8PathBuf,
}

/// Builds (or reuses) the builder and runs rpmbuild in it; its lines go to `on_line`. Returns
/// the builder with rpmbuild's result, so that a failure can say where it happened.
pub fn rpmbuild(
    to_run: &Job,
    hostname: &str,
    timer: &mut PhaseTimer,
    on_line: impl FnMut(&str),
) -> Result<(Builder, Result<()>)> {
    let Place::Container {
        engine,
        base_image,
        rebuild_builder,
        ccache,
        ccache_dir,
        nodeps,
    } = to_run.place
    else {
        anyhow::bail!("not a container build");
    };
    let transfer = transfer_for(engine.endpoint().as_deref());
    if transfer == Transfer::Mounts {
        let ccache_dir = ccache_dir.as_deref().filter(|_| *ccache);
        let kept = to_run.spec_inputs.incremental.as_deref();
        mountable([Some(to_run.work), kept, ccache_dir].into_iter().flatten())?;
    }
    // (An interrupted run's build container was removed by `Run::prepare`, before the kept
    // directory was laid.)
    let dockerfile = spec::locate_file(
        builder::DOCKERFILE,
        None,
        None,
        to_run.tree,
        to_run.xtask_root,
    )?;
    eprintln!(
        "dockerfile: {} ({})",
        dockerfile.path,
        dockerfile.origin.describe()
    );
    let (uid, gid) = invoking_ids();
    let builder = builder::ensure(
        engine,
        &BuilderInputs {
            dockerfile: &dockerfile.path,
            spec: to_run.spec,
            base_image,
            rebuild: *rebuild_builder,
            scratch: &to_run.scratch,
            uid,
            gid,
        },
    )?;
    timer.end("builder");
    let mut job = job(&builder, to_run.spec_inputs, to_run.work, *ccache, *nodeps);
    job.hostname = hostname.to_string();
    if let Some(dir) = ccache_dir.as_ref().filter(|_| *ccache) {
        if transfer == Transfer::Copy {
            anyhow::bail!(
                "--ccache-dir {dir} needs an engine on this machine, which can mount it; this one \
                 is elsewhere ({}): drop --ccache-dir to keep ccache in a volume there",
                engine.endpoint().unwrap_or_default()
            );
        }
        std::fs::create_dir_all(dir)
            .with_context(|| format!("creating the ccache directory {dir} (--ccache-dir)"))?;
        job.ccache_dir = Some(dir.clone());
    }
    if transfer == Transfer::Copy {
        eprintln!(
            "note: the engine is not on this machine: inputs and outputs are copied, not mounted"
        );
    }
    interrupt::check()?;
    let result = run_rpmbuild(engine, &builder, &job, transfer, on_line);
    Ok((builder, result))
}

/// rpmbuild in the builder: the rendered spec beside the archive, container paths throughout.
fn job<'a>(
    builder: &Builder,
    inputs: &SpecInputs,
    work: &'a Utf8Path,
    ccache: bool,
    nodeps: bool,
) -> RunInputs<'a> {
    let inside = Utf8Path::new(WORK);
    let spec_inside = inside.join("SPECS/asterisk.spec");
    let mut args = vec!["-ba".to_string()];
    let kept = inputs.incremental.as_ref().map(|_| Utf8Path::new(KEPT));
    args.extend(spec::define_args(&spec::defines(inputs, inside, kept)));
    if nodeps {
        args.push("--nodeps".into());
    }
    args.push(spec_inside.to_string());
    let (uid, gid) = invoking_ids();
    RunInputs {
        work,
        passwd: builder.passwd.clone(),
        group: builder.group.clone(),
        ccache,
        uid,
        gid,
        source_date_epoch: inputs.source_date_epoch,
        rpmbuild_args: args,
        hostname: HOSTNAME.to_string(),
        ccache_dir: None,
        kept: inputs.incremental.clone(),
    }
}

/// What ccache says it did in the build that just ran (in a container with ccache).
pub fn report_ccache(place: &Place, work: &Utf8Path) {
    if !matches!(place, Place::Container { ccache: true, .. }) {
        return;
    }
    let stats = std::fs::read_to_string(work.join("ccache-stats")).unwrap_or_default();
    match builder::ccache_hits(&stats) {
        Some((hits, misses)) if hits + misses > 0 => eprintln!(
            "ccache: {hits} hits, {misses} misses ({:.0}% hit rate)",
            100.0 * hits as f64 / (hits + misses) as f64
        ),
        _ => eprintln!("ccache: no compilations were cached"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_directory_with_a_colon_is_not_mounted() {
        let dirs = |d: &[&'static str]| d.iter().map(|d| Utf8Path::new(*d)).collect::<Vec<_>>();
        assert!(mountable(dirs(&["/t/xtask/rpm-work", "/c,d"]).into_iter()).is_ok());
        let err = mountable(dirs(&["/t/xtask/rpm-work", "/a:b/ccache"]).into_iter()).unwrap_err();
        assert!(
            err.to_string()
                .starts_with("/a:b/ccache holds a ':', which a container engine"),
            "{err}"
        );
    }

    #[test]
    fn transfers() {
        let cases = [
            (None, Transfer::Mounts),
            (Some(""), Transfer::Mounts),
            (Some("unix:///var/run/docker.sock"), Transfer::Mounts),
            (
                Some("unix:///run/user/1000/podman/podman.sock"),
                Transfer::Mounts,
            ),
            (Some("tcp://10.0.0.5:2376"), Transfer::Copy),
            (Some("ssh://builder@ci-host"), Transfer::Copy),
        ];
        for (endpoint, want) in cases {
            assert_eq!(transfer_for(endpoint), want, "{endpoint:?}");
        }
    }
}
