//! `cargo xtask image`: a runtime image from the RPMs of the working tree.
//!
//! Packs the tree as `rpm` does; when the output directory's manifest says its RPMs were built
//! from exactly that archive, spec and version, uses them, else builds them first. Then builds
//! `contrib/docker/Dockerfile` (the tree's own, else the one beside the xtask) with the runtime
//! packages in its context, labelled with the manifest's versions, and records the image in the
//! manifest.

use anyhow::{bail, Context, Result};
use camino::{Utf8Path, Utf8PathBuf};

use crate::engine::{Engine, EngineKind};
use crate::flags::ImageFlags;
use crate::manifest::{Artifact, ImageRecord, Kind, Manifest};
use crate::process::{self, Cmd};
use crate::report::{human_duration, human_size, PhaseTimer};
use crate::rpm;
use crate::{publish, spec, version, Workspace};

pub const DOCKERFILE: &str = "contrib/docker/Dockerfile";
pub const DEFAULT_RUNTIME_BASE: &str = "docker.io/library/almalinux:9-minimal";
const DEFAULT_SOURCE: &str = "https://github.com/asterisk/asterisk";

pub fn run(flags: ImageFlags, ws: &Workspace) -> Result<()> {
    process::set_dry_run(flags.rpm.dry_run);
    process::set_verbose(flags.rpm.verbose);
    let mut timer = PhaseTimer::default();
    let engine = Engine::find(flags.rpm.engine.as_deref()).context(
        "no container engine to build the image with: install docker or podman, or name one with --engine or CONTAINER_ENGINE",
    )?;
    engine.check()?;
    let runtime_base = flags
        .runtime_base
        .clone()
        .unwrap_or_else(|| DEFAULT_RUNTIME_BASE.to_string());

    // The runtime base must be here (or pullable) and able to install RPMs.
    if flags.rpm.dry_run && engine.image_id(&runtime_base)?.is_none() {
        eprintln!("would pull {runtime_base} (not here): nothing is pulled in a dry run");
    } else {
        engine.image_id_or_pull(&runtime_base, "--runtime-base")?;
        let has_installer = engine
            .peek(
                &runtime_base,
                "sh",
                &[
                    "-c",
                    "command -v dnf || command -v microdnf || command -v rpm",
                ],
            )
            .read_optional()?;
        if has_installer.is_none() {
            bail!(
                "the runtime base {runtime_base} has neither dnf, microdnf nor rpm: choose an RPM-based image with --runtime-base"
            );
        }
    }

    // The RPMs: the published ones if they are this tree's, else built now.
    let packed = rpm::pack(&flags.rpm, ws, &mut timer)?;
    if flags.rpm.dry_run {
        eprintln!("dry run: would build the image from {}", packed.out);
        return Ok(());
    }
    let manifest_path = packed.out.join(publish::MANIFEST);
    let previous = read_manifest(&manifest_path);
    let mut manifest = match previous {
        Some(m) if packed.built(&m) && artifacts_present(&packed.out, &m) => {
            eprintln!(
                "rpms: {} holds the RPMs of this tree: using them",
                packed.out
            );
            m
        }
        previous => {
            eprintln!(
                "rpms: {} {}: building them",
                packed.out,
                if previous.is_some() {
                    "holds RPMs of another tree, spec or version"
                } else {
                    "holds no RPMs"
                }
            );
            let place = rpm::choose_place(&flags.rpm)
                .context("the RPMs of this tree are needed for the image")?;
            rpm::build(&flags.rpm, ws, &packed, &place, &mut timer)?
        }
    };
    // From here on an interrupt no longer leaves the outputs as they were: it says so.
    let published = |e: anyhow::Error| match e.downcast_ref::<crate::interrupt::Interrupted>() {
        Some(_) => anyhow::Error::from(crate::interrupt::Interrupted {
            done: Some(format!(
                "the RPMs in {} are this tree's; no image was built",
                packed.out
            )),
        }),
        None => e,
    };

    // The context: the Dockerfile and the runtime packages.
    let tree = &packed.tree;
    let dockerfile = spec::locate_file(DOCKERFILE, None, None, &tree.root, &ws.root)?;
    eprintln!(
        "dockerfile: {} ({})",
        dockerfile.path,
        dockerfile.origin.describe()
    );
    let context = ws.target.join("xtask/image-context");
    let rpms = runtime_rpms(&manifest.artifacts, &manifest.name);
    if rpms.is_empty() {
        bail!(
            "{} lists no runtime package of {}: run cargo xtask rpm again",
            manifest_path,
            manifest.name
        );
    }
    fill_context(&context, &dockerfile.path, &packed.out, &rpms)?;
    let version_release = format!("{}-{}", manifest.version, manifest.release);
    let tags = if flags.tags.is_empty() {
        default_tags(&version_release)
    } else {
        flags.tags.clone()
    };
    let source = source_url(tree);
    let build_args = [
        ("BASE_IMAGE", runtime_base.clone()),
        ("ASTERISK_VERSION", manifest.asterisk_version.clone()),
        ("RPM_VERSION_RELEASE", version_release.clone()),
        (
            "REVISION",
            if manifest.revision.is_empty() {
                "unknown".to_string()
            } else {
                manifest.revision.clone()
            },
        ),
        ("CREATED", version::rfc3339(manifest.source_date_epoch)),
        ("SOURCE", source),
        ("RTP_START", flags.rtp_ports.0.to_string()),
        ("RTP_END", flags.rtp_ports.1.to_string()),
    ];
    let mut build = engine.cmd().args(["build", "--network", "host"]);
    if engine.kind == EngineKind::Podman {
        // OCI images have no HEALTHCHECK, STOPSIGNAL and the rest: podman must write docker's.
        build = build.args(["--format", "docker"]);
    }
    for (k, v) in &build_args {
        build = build.args(["--build-arg", &format!("{k}={v}")]);
    }
    for tag in &tags {
        build = build.args(["-t", tag]);
    }
    build
        .args(["--label", "org.asterisk.xtask.image=1"])
        .args(["-f", context.join("Dockerfile").as_str(), context.as_str()])
        .run(|line| eprintln!("{line}"))
        .map_err(published)
        .with_context(|| format!("building the image from {}", dockerfile.path))?;
    timer.end("image");

    // What was built, and what the packages added.
    let inspect = engine
        .cmd()
        .args([
            "image",
            "inspect",
            "--format",
            "{{.Id}} {{.Size}}",
            &tags[0],
        ])
        .read()?;
    let (id, size) = inspect
        .trim()
        .split_once(' ')
        .context("reading the image's id")?;
    let size: u64 = size.parse().unwrap_or(0);
    let base_size: u64 = engine
        .cmd()
        .args(["image", "inspect", "--format", "{{.Size}}", &runtime_base])
        .read()?
        .trim()
        .parse()
        .unwrap_or(0);
    let installed = installed_size(&packed.out, &rpms)?;
    manifest.image = Some(ImageRecord {
        id: id.to_string(),
        tags: tags.clone(),
        size,
        runtime_base: runtime_base.clone(),
    });
    write_manifest(&manifest_path, &manifest)?;
    eprintln!("\nimage: {}", tags.join(", "));
    eprintln!("  id      {id}");
    eprintln!(
        "  size    {} ({} over {runtime_base}; the packages install {})",
        human_size(size),
        human_size(size.saturating_sub(base_size)),
        human_size(installed)
    );
    eprintln!(
        "  recorded in {manifest_path}; check it with: cargo xtask smoke --tag {}",
        tags[0]
    );
    eprintln!("time: total {}", human_duration(timer.total()));
    Ok(())
}

/// The binary packages an image installs: the named package and its subpackages, without
/// -devel, -debuginfo and -debugsource.
pub fn runtime_rpms<'a>(artifacts: &'a [Artifact], name: &str) -> Vec<&'a Artifact> {
    artifacts
        .iter()
        .filter(|a| a.kind == Kind::Rpm)
        .filter(|a| {
            let file = a.path.rsplit('/').next().unwrap_or(&a.path);
            file.starts_with(&format!("{name}-"))
                && !["-devel-", "-debuginfo-", "-debugsource-"]
                    .iter()
                    .any(|s| file.contains(s))
        })
        .collect()
}

/// `asterisk:<version-release>` (made a valid tag) and `asterisk:dev`.
pub fn default_tags(version_release: &str) -> Vec<String> {
    vec![
        format!("asterisk:{}", tag_safe(version_release)),
        "asterisk:dev".to_string(),
    ]
}

/// A string made fit for an image tag: `[A-Za-z0-9_.-]`, at most 128, not starting with . or -.
pub fn tag_safe(s: &str) -> String {
    let mut t: String = s
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || "_.-".contains(c) {
                c
            } else {
                '_'
            }
        })
        .collect();
    if t.starts_with(['.', '-']) {
        t.insert(0, '_');
    }
    t.truncate(128);
    t
}

/// The public address of the tree's origin when it is one, else Asterisk's.
pub fn source_url_of(origin: Option<&str>) -> String {
    let Some(origin) = origin.map(str::trim).filter(|o| !o.is_empty()) else {
        return DEFAULT_SOURCE.to_string();
    };
    let https = if let Some(rest) = origin.strip_prefix("git@") {
        rest.split_once(':')
            .map(|(host, path)| format!("https://{host}/{path}"))
    } else if origin.starts_with("https://") && !origin.contains('@') {
        Some(origin.to_string())
    } else {
        None
    };
    match https {
        Some(url) => url.trim_end_matches(".git").to_string(),
        None => DEFAULT_SOURCE.to_string(),
    }
}

fn source_url(tree: &crate::tree::Tree) -> String {
    let origin = match tree.kind {
        crate::tree::TreeKind::Git => tree
            .git()
            .args(["remote", "get-url", "origin"])
            .read_optional()
            .ok()
            .flatten(),
        crate::tree::TreeKind::Plain => None,
    };
    source_url_of(origin.as_deref())
}

fn read_manifest(path: &Utf8Path) -> Option<Manifest> {
    let text = std::fs::read_to_string(path).ok()?;
    match Manifest::from_json(&text) {
        Ok(m) => Some(m),
        Err(e) => {
            eprintln!("note: {path} cannot be read ({e:#}): the RPMs will be built again");
            None
        }
    }
}

fn artifacts_present(out: &Utf8Path, manifest: &Manifest) -> bool {
    manifest
        .artifacts
        .iter()
        .all(|a| out.join(&a.path).is_file())
}

fn fill_context(
    context: &Utf8Path,
    dockerfile: &Utf8Path,
    out: &Utf8Path,
    rpms: &[&Artifact],
) -> Result<()> {
    if context.exists() {
        std::fs::remove_dir_all(context).with_context(|| format!("removing {context}"))?;
    }
    let rpm_dir = context.join("rpms");
    std::fs::create_dir_all(&rpm_dir).with_context(|| format!("creating {rpm_dir}"))?;
    std::fs::copy(dockerfile, context.join("Dockerfile"))
        .with_context(|| format!("copying {dockerfile} into {context}"))?;
    for a in rpms {
        let src = out.join(&a.path);
        let dest = rpm_dir.join(src.file_name().unwrap_or("package.rpm"));
        if std::fs::hard_link(&src, &dest).is_err() {
            std::fs::copy(&src, &dest).with_context(|| format!("copying {src} into {rpm_dir}"))?;
        }
    }
    Ok(())
}

/// What the packages take once installed (rpm's SIZE tag).
fn installed_size(out: &Utf8Path, rpms: &[&Artifact]) -> Result<u64> {
    let mut total = 0;
    for a in rpms {
        let size = Cmd::new("rpm")
            .args(["-qp", "--nosignature", "--qf", "%{SIZE}"])
            .arg(out.join(&a.path).as_str())
            .read()?;
        total += size.trim().parse::<u64>().unwrap_or(0);
    }
    Ok(total)
}

/// Rewrites the manifest in one step.
fn write_manifest(path: &Utf8Path, manifest: &Manifest) -> Result<()> {
    let tmp = Utf8PathBuf::from(format!("{path}.tmp-{}", std::process::id()));
    std::fs::write(&tmp, manifest.to_json()).with_context(|| format!("writing {tmp}"))?;
    std::fs::rename(&tmp, path).with_context(|| format!("replacing {path}"))?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn rpm(path: &str) -> Artifact {
        Artifact {
            path: path.into(),
            kind: Kind::Rpm,
            sha256: String::new(),
            size: 0,
        }
    }

    #[test]
    fn runtime_packages() {
        let artifacts = [
            rpm("RPMS/x86_64/asterisk-22.1.0-1.x86_64.rpm"),
            rpm("RPMS/x86_64/asterisk-devel-22.1.0-1.x86_64.rpm"),
            rpm("RPMS/x86_64/asterisk-debuginfo-22.1.0-1.x86_64.rpm"),
            rpm("RPMS/x86_64/asterisk-pjsip-22.1.0-1.x86_64.rpm"),
            Artifact {
                kind: Kind::Srpm,
                ..rpm("SRPMS/asterisk-22.1.0-1.src.rpm")
            },
        ];
        let got: Vec<&str> = runtime_rpms(&artifacts, "asterisk")
            .iter()
            .map(|a| a.path.as_str())
            .collect();
        assert_eq!(
            got,
            [
                "RPMS/x86_64/asterisk-22.1.0-1.x86_64.rpm",
                "RPMS/x86_64/asterisk-pjsip-22.1.0-1.x86_64.rpm"
            ]
        );
    }

    #[test]
    fn tags() {
        assert_eq!(
            default_tags("0^34483.20260806.f0c1c1a7b7-1"),
            ["asterisk:0_34483.20260806.f0c1c1a7b7-1", "asterisk:dev"]
        );
        assert_eq!(
            tag_safe("22.8+cert4-1.dirty.2026"),
            "22.8_cert4-1.dirty.2026"
        );
        assert_eq!(tag_safe("~x"), "_x");
        for good in [
            "asterisk:dev",
            "registry.local:5000/pbx/asterisk:22.1.0-1",
            "asterisk",
        ] {
            crate::flags::check_tag(good).unwrap();
        }
        for bad in [
            "Asterisk:dev",
            "asterisk:",
            "asterisk:a^b",
            "",
            "asterisk:-x",
        ] {
            assert!(crate::flags::check_tag(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn source_urls() {
        let cases = [
            (None, DEFAULT_SOURCE),
            (
                Some("https://github.com/me/asterisk.git"),
                "https://github.com/me/asterisk",
            ),
            (
                Some("git@github.com:me/asterisk.git"),
                "https://github.com/me/asterisk",
            ),
            (
                Some("https://user:token@github.com/me/asterisk"),
                DEFAULT_SOURCE,
            ),
            (Some("/srv/git/asterisk"), DEFAULT_SOURCE),
        ];
        for (origin, want) in cases {
            assert_eq!(source_url_of(origin), want, "{origin:?}");
        }
    }
}
