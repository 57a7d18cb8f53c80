//! NAME
//!     builder: the builder image, and rpmbuild run inside it.
//!
//! DESCRIPTION
//!     The image is built from `contrib/docker/Dockerfile.builder` (the tree's own, else the
//!     one beside the xtask) with the spec in its context, and tagged by a hash of what it is
//!     made of: the Dockerfile, the spec's BuildRequires and the base image's id. A tag that
//!     exists is reused.
//!
//!     The build container gets the source archive and the spec read-only (never the live
//!     tree), the work directory for its outputs, the invoking uid:gid with a passwd entry and a
//!     private HOME, no network, a ccache volume per builder image, and a name and label so that
//!     an interrupt removes it.

use std::time::Instant;

use anyhow::{Context, Result};
use camino::{Utf8Path, Utf8PathBuf};

use crate::engine::{self, Engine, EngineKind};
use crate::process::Cmd;
use crate::sha256;

/// Where the builder's Dockerfile lives, relative to a tree.
pub const DOCKERFILE: &str = "contrib/docker/Dockerfile.builder";
/// The default base: see the Dockerfile for why.
pub const DEFAULT_BASE_IMAGE: &str = "docker.io/library/almalinux:9";
/// Inside the container: the work directory, and where the download cache is mounted.
pub const WORK: &str = "/xtask";
pub const DOWNLOADS: &str = "/xtask-downloads";
const CCACHE_DIR: &str = "/ccache";
const HOME: &str = "/home/xtask";

/// The spec's BuildRequires, as written, in order.
pub fn build_requires(spec: &str) -> Vec<String> {
    spec.lines()
        .filter_map(|line| {
            let (tag, value) = line.split_once(':')?;
            tag.trim()
                .eq_ignore_ascii_case("BuildRequires")
                .then(|| value.trim().to_string())
        })
        .collect()
}

/// `asterisk-xtask-builder:<hash>` of what the image is made of.
pub fn builder_tag(dockerfile: &[u8], build_requires: &[String], base_id: &str) -> String {
    let mut h = sha256::Sha256::default();
    h.update(dockerfile);
    h.update(b"\0");
    h.update(build_requires.join("\n").as_bytes());
    h.update(b"\0");
    h.update(base_id.as_bytes());
    format!("asterisk-xtask-builder:{}", &h.hex()[..16])
}

/// The image's passwd with a line for `uid` when it has none.
pub fn passwd_with(passwd: &str, uid: u32, gid: u32) -> String {
    let known = passwd
        .lines()
        .any(|l| l.split(':').nth(2) == Some(&uid.to_string()));
    let mut out = passwd.trim_end_matches('\n').to_string();
    out.push('\n');
    if !known {
        out.push_str(&format!("xtask:x:{uid}:{gid}:cargo xtask:{HOME}:/bin/sh\n"));
    }
    out
}

/// The image's group file with a line for `gid` when it has none.
pub fn group_with(group: &str, gid: u32) -> String {
    let known = group
        .lines()
        .any(|l| l.split(':').nth(2) == Some(&gid.to_string()));
    let mut out = group.trim_end_matches('\n').to_string();
    out.push('\n');
    if !known {
        out.push_str(&format!("xtask:x:{gid}:\n"));
    }
    out
}

/// ccache's statistics (`--print-stats`, or `-s` of older versions) as (hits, misses).
pub fn ccache_hits(stats: &str) -> Option<(u64, u64)> {
    let mut hits = None::<u64>;
    let mut misses = None::<u64>;
    let add = |slot: &mut Option<u64>, n: u64| *slot = Some(slot.unwrap_or(0) + n);
    for line in stats.lines() {
        let mut words = line.split_whitespace();
        let (Some(first), rest) = (words.next(), words.collect::<Vec<_>>()) else {
            continue;
        };
        let number = |s: Option<&&str>| s.and_then(|w| w.parse::<u64>().ok());
        match first {
            // --print-stats: `key<TAB>value`
            "direct_cache_hit" | "preprocessed_cache_hit" => {
                if let Some(n) = number(rest.first()) {
                    add(&mut hits, n)
                }
            }
            "cache_miss" => {
                if let Some(n) = number(rest.first()) {
                    add(&mut misses, n)
                }
            }
            // ccache 3: `cache hit (direct)   12`, `cache miss   3`
            "cache" => {
                let n = number(rest.last());
                match (rest.first(), n) {
                    (Some(&"hit"), Some(n)) => add(&mut hits, n),
                    (Some(&"miss"), Some(n)) => add(&mut misses, n),
                    _ => {}
                }
            }
            _ => {}
        }
    }
    match (hits, misses) {
        (None, None) => None,
        (h, m) => Some((h.unwrap_or(0), m.unwrap_or(0))),
    }
}

/// The builder image, ready to run.
#[derive(Debug, Clone)]
pub struct Builder {
    pub tag: String,
    pub passwd: Utf8PathBuf,
    pub group: Utf8PathBuf,
    pub ccache_volume: String,
}

pub struct BuilderInputs<'a> {
    pub dockerfile: &'a Utf8Path,
    pub spec: &'a Utf8Path,
    pub base_image: &'a str,
    pub rebuild: bool,
    /// Scratch space for the build context and the passwd files.
    pub scratch: &'a Utf8Path,
    pub uid: u32,
    pub gid: u32,
}

/// Builds the builder image, or reuses it when its tag exists.
pub fn ensure(engine: &Engine, inputs: &BuilderInputs) -> Result<Builder> {
    let dockerfile = std::fs::read(inputs.dockerfile)
        .with_context(|| format!("reading {}", inputs.dockerfile))?;
    let spec =
        std::fs::read_to_string(inputs.spec).with_context(|| format!("reading {}", inputs.spec))?;
    let base_id = engine.image_id_or_pull(inputs.base_image, "--base-image")?;
    let tag = builder_tag(&dockerfile, &build_requires(&spec), &base_id);
    let exists = engine.image_id(&tag)?.is_some();
    if exists && !inputs.rebuild {
        eprintln!("builder: {tag} (reused; --rebuild-builder builds it again)");
    } else {
        let started = Instant::now();
        let context = inputs.scratch.join("builder-context");
        if context.exists() {
            std::fs::remove_dir_all(&context).with_context(|| format!("removing {context}"))?;
        }
        std::fs::create_dir_all(&context).with_context(|| format!("creating {context}"))?;
        std::fs::write(context.join("Dockerfile"), &dockerfile)
            .with_context(|| format!("writing {context}/Dockerfile"))?;
        std::fs::write(context.join("asterisk.spec"), &spec)
            .with_context(|| format!("writing {context}/asterisk.spec"))?;
        let mut build = engine
            .cmd()
            .args(["build", "--network", "host"])
            .args(["--build-arg", &format!("BASE_IMAGE={}", inputs.base_image)])
            .args(["--label", "org.asterisk.xtask.builder=1", "-t", &tag])
            .args(["-f", context.join("Dockerfile").as_str(), context.as_str()]);
        if engine.kind == EngineKind::Podman {
            build = build.arg("--pull=never");
        }
        if inputs.rebuild {
            // A forced rebuild is for fresh packages: the layer cache would replay the old ones.
            build = build.arg("--no-cache");
        }
        build
            .run(|line| eprintln!("{line}"))
            .with_context(|| format!("building the builder image from {}", inputs.dockerfile))?;
        eprintln!(
            "builder: {tag} (built in {})",
            crate::report::human_duration(started.elapsed())
        );
    }

    // The image's passwd and group, with the invoking user added, made once per image and uid.
    let users = inputs
        .scratch
        .join("users")
        .join(tag.replace([':', '/'], "_"));
    std::fs::create_dir_all(&users).with_context(|| format!("creating {users}"))?;
    let passwd = users.join(format!("passwd-{}", inputs.uid));
    let group = users.join(format!("group-{}", inputs.gid));
    if !passwd.is_file() || !group.is_file() || !exists || inputs.rebuild {
        let cat = |file: &str| {
            engine
                .peek(&tag, "cat", &[file])
                .read()
                .with_context(|| format!("reading {file} of {tag}"))
        };
        std::fs::write(
            &passwd,
            passwd_with(&cat("/etc/passwd")?, inputs.uid, inputs.gid),
        )
        .with_context(|| format!("writing {passwd}"))?;
        std::fs::write(&group, group_with(&cat("/etc/group")?, inputs.gid))
            .with_context(|| format!("writing {group}"))?;
    }
    let ccache_volume = format!(
        "asterisk-xtask-ccache-{}",
        tag.rsplit(':').next().unwrap_or("default")
    );
    Ok(Builder {
        tag,
        passwd,
        group,
        ccache_volume,
    })
}

pub struct RunInputs<'a> {
    pub work: &'a Utf8Path,
    pub passwd: Utf8PathBuf,
    pub group: Utf8PathBuf,
    pub download_cache: Option<Utf8PathBuf>,
    pub ccache: bool,
    pub uid: u32,
    pub gid: u32,
    pub source_date_epoch: i64,
    /// rpmbuild's arguments, with container paths.
    pub rpmbuild_args: Vec<String>,
}

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
pub fn run_rpmbuild(
    engine: &Engine,
    builder: &Builder,
    run: &RunInputs,
    transfer: Transfer,
    on_line: impl FnMut(&str),
) -> Result<()> {
    let name = container_name();
    let args = container_args(engine, builder, run, transfer, &name);
    match transfer {
        Transfer::Mounts => crate::report::watch_rpmbuild(engine.cmd())
            .args(["run", "--rm"])
            .args(args)
            .on_interrupt(engine.remove_cmd(&name))
            .run(on_line)
            .map_err(|e| match e.downcast_ref::<crate::process::Failed>() {
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
    if let Some(cache) = &run.download_cache {
        into(cache, DOWNLOADS)?;
    }
    crate::interrupt::check()?;
    crate::report::watch_rpmbuild(engine.cmd())
        .args(["start", "-a", name])
        .on_interrupt(engine.remove_cmd(name))
        .run(on_line)?;
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
    add(&["--hostname", "asterisk-xtask-builder"]);
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
        add(&[
            "-v",
            &bind(&run.work.join("SOURCES"), &format!("{WORK}/SOURCES"), "ro,"),
        ]);
        add(&[
            "-v",
            &bind(&run.work.join("SPECS"), &format!("{WORK}/SPECS"), "ro,"),
        ]);
        if let Some(cache) = &run.download_cache {
            add(&["-v", &bind(cache, DOWNLOADS, "ro,")]);
        }
    }
    let script = if run.ccache {
        add(&["-v", &format!("{}:{CCACHE_DIR}", builder.ccache_volume)]);
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
        // Zero the statistics, build, keep the statistics for the summary.
        format!(
            "ccache -z >/dev/null 2>&1; rpmbuild \"$@\"; rc=$?; \
             ccache --print-stats > {WORK}/ccache-stats 2>/dev/null || ccache -s > {WORK}/ccache-stats 2>&1; \
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
pub fn container_name() -> String {
    format!("asterisk-xtask-build-{}", std::process::id())
}

/// The invoking user's uid and gid.
pub fn invoking_ids() -> (u32, u32) {
    // SAFETY: getuid and getgid cannot fail.
    unsafe { (libc::getuid(), libc::getgid()) }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn build_requires_are_read_from_the_spec() {
        let spec = "Name: asterisk\nBuildRequires:  gcc\nbuildrequires: libedit-devel >= 3\n# BuildRequires: commented\nRequires: x\n";
        assert_eq!(build_requires(spec), ["gcc", "libedit-devel >= 3"]);
    }

    #[test]
    fn the_tag_follows_every_input() {
        let reqs = vec!["gcc".to_string()];
        let base = builder_tag(b"FROM x", &reqs, "sha256:1");
        assert!(base.starts_with("asterisk-xtask-builder:") && base.len() == 23 + 16);
        assert_eq!(base, builder_tag(b"FROM x", &reqs, "sha256:1"));
        assert_ne!(base, builder_tag(b"FROM y", &reqs, "sha256:1"));
        assert_ne!(
            base,
            builder_tag(b"FROM x", &["make".to_string()], "sha256:1")
        );
        assert_ne!(base, builder_tag(b"FROM x", &reqs, "sha256:2"));
    }

    #[test]
    fn the_invoking_user_gets_a_passwd_entry() {
        let passwd = "root:x:0:0:root:/root:/bin/bash\nbin:x:1:1::/:/sbin/nologin\n";
        assert_eq!(passwd_with(passwd, 0, 0), passwd);
        let added = passwd_with(passwd, 1000, 1000);
        assert!(
            added.ends_with("xtask:x:1000:1000:cargo xtask:/home/xtask:/bin/sh\n"),
            "{added}"
        );
        assert_eq!(group_with("root:x:0:\n", 0), "root:x:0:\n");
        assert_eq!(group_with("root:x:0:", 1000), "root:x:0:\nxtask:x:1000:\n");
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

    #[test]
    fn ccache_statistics() {
        let v4 =
            "cache_miss\t3\ndirect_cache_hit\t5\npreprocessed_cache_hit\t1\nfiles_in_cache\t40\n";
        assert_eq!(ccache_hits(v4), Some((6, 3)));
        let v3 = "cache directory /ccache\ncache hit (direct)    7\ncache hit (preprocessed)  2\ncache miss   1\n";
        assert_eq!(ccache_hits(v3), Some((9, 1)));
        assert_eq!(ccache_hits("ccache: command not found"), None);
    }
}
