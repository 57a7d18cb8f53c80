//! The builder image: built from `contrib/docker/Dockerfile.builder`, tagged by what it is made of.
//!
//! The image is built from the tree's own Dockerfile.builder (else the one beside the xtask)
//! with the spec in its context, and tagged by a hash of its inputs: the Dockerfile, the spec's
//! BuildRequires and the base image's id. A tag that exists is reused.

use std::time::Instant;

use anyhow::{Context, Result};
use camino::{Utf8Path, Utf8PathBuf};

use crate::infra::digest;
use crate::infra::engine::{Engine, EngineKind};

/// Where the builder's Dockerfile lives, relative to a tree.
pub const DOCKERFILE: &str = "contrib/docker/Dockerfile.builder";
/// Inside the container: the work directory.
pub const WORK: &str = "/xtask";
/// The invoking user's HOME in the build container.
pub const HOME: &str = "/home/xtask";

/// The spec's BuildRequires, as written, in order.
fn build_requires(spec: &str) -> Vec<String> {
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
fn builder_tag(dockerfile: &[u8], build_requires: &[String], base_id: &str) -> String {
    let requires = build_requires.join("\n");
    let hash = digest::sha256_of_parts(&[
        dockerfile,
        b"\0",
        requires.as_bytes(),
        b"\0",
        base_id.as_bytes(),
    ]);
    format!("asterisk-xtask-builder:{}", &hash[..16])
}

/// The image's passwd with a line for `uid` when it has none.
fn passwd_with(passwd: &str, uid: u32, gid: u32) -> String {
    with_entry(
        passwd,
        uid,
        &format!("xtask:x:{uid}:{gid}:cargo xtask:{HOME}:/bin/sh"),
    )
}

/// The image's group file with a line for `gid` when it has none.
fn group_with(group: &str, gid: u32) -> String {
    with_entry(group, gid, &format!("xtask:x:{gid}:"))
}

/// A passwd-style file (the id in the third field) with `line` added when no line has `id`.
fn with_entry(file: &str, id: u32, line: &str) -> String {
    let known = file
        .lines()
        .any(|l| l.split(':').nth(2) == Some(&id.to_string()));
    let mut out = file.trim_end_matches('\n').to_string();
    out.push('\n');
    if !known {
        out.push_str(line);
        out.push('\n');
    }
    out
}

/// ccache's statistics as (hits, misses): `--show-log-stats` or `-s` of ccache 4
/// (`Hits: 5 / 7`), `--print-stats` (`direct_cache_hit\t5`), or `-s` of ccache 3
/// (`cache hit (direct)   12`).
pub fn ccache_hits(stats: &str) -> Option<(u64, u64)> {
    let mut hits = None::<u64>;
    let mut misses = None::<u64>;
    let mut seen_v4 = (false, false);
    let add = |slot: &mut Option<u64>, n: u64| *slot = Some(slot.unwrap_or(0) + n);
    for line in stats.lines() {
        let mut words = line.split_whitespace();
        let (Some(first), rest) = (words.next(), words.collect::<Vec<_>>()) else {
            continue;
        };
        let number = |s: Option<&&str>| s.and_then(|w| w.parse::<u64>().ok());
        match first {
            // ccache 4: the first `Hits:` and `Misses:` are the calls' (storage repeats them).
            "Hits:" if !seen_v4.0 => {
                if let Some(n) = number(rest.first()) {
                    add(&mut hits, n);
                    seen_v4.0 = true;
                }
            }
            "Misses:" if !seen_v4.1 => {
                if let Some(n) = number(rest.first()) {
                    add(&mut misses, n);
                    seen_v4.1 = true;
                }
            }
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
    /// The image the tag names now: the manifest records it, so that another image put behind
    /// the same tag is another builder.
    pub id: String,
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

/// The tag the builder of these inputs has, without building it; None when the base image is
/// not on this machine (its id, part of the tag, is not known until it is pulled).
pub fn expected_tag(
    engine: &Engine,
    dockerfile: &Utf8Path,
    spec: &Utf8Path,
    base_image: &str,
) -> Result<Option<String>> {
    let bytes = std::fs::read(dockerfile).with_context(|| format!("reading {dockerfile}"))?;
    let spec = std::fs::read_to_string(spec).with_context(|| format!("reading {spec}"))?;
    Ok(engine
        .image_id(base_image)?
        .map(|base_id| builder_tag(&bytes, &build_requires(&spec), &base_id)))
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
            crate::infra::progress::human_duration(started.elapsed())
        );
    }

    let id = engine
        .image_id(&tag)?
        .with_context(|| format!("the builder {tag} is not there after it was made"))?;
    // The image's passwd and group, with the invoking user added, made once per image and uid.
    let users = inputs
        .scratch
        .join("users")
        .join(id.replace([':', '/'], "_"));
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
        id,
        passwd,
        group,
        ccache_volume,
    })
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
    fn ccache_statistics() {
        let v4 =
            "cache_miss\t3\ndirect_cache_hit\t5\npreprocessed_cache_hit\t1\nfiles_in_cache\t40\n";
        assert_eq!(ccache_hits(v4), Some((6, 3)));
        let v3 = "cache directory /ccache\ncache hit (direct)    7\ncache hit (preprocessed)  2\ncache miss   1\n";
        assert_eq!(ccache_hits(v3), Some((9, 1)));
        assert_eq!(ccache_hits("ccache: command not found"), None);
        let log = "Cacheable calls:  7 / 7 (100.0%)\n  Hits:           5 / 7 (71.43%)\n    Direct:       5 / 5\n  Misses:         2 / 7 (28.57%)\nLocal storage:\n  Hits:           5 / 7\n  Misses:         2 / 7\n";
        assert_eq!(ccache_hits(log), Some((5, 2)));
    }
}
