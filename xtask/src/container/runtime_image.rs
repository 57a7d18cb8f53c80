//! The image stage: a runtime image installed from published RPMs, labelled from the manifest.
//!
//! `contrib/docker/Dockerfile` (the tree's own, else the one beside the xtask) is built with the
//! runtime packages in its context and the manifest's versions as build arguments; RPMs are
//! reused when the manifest says they were built from exactly the packed archive and spec.

use anyhow::{bail, Context, Result};
use camino::Utf8Path;

use crate::infra::engine::{Engine, EngineKind};
use crate::infra::exec::Shell;
use crate::infra::interrupt::Interrupted;
use crate::infra::progress::human_size;
use crate::infra::regular;
use crate::outputs::build_record;
use crate::outputs::manifest::MANIFEST;
use crate::outputs::manifest::{Artifact, ImageRecord, Kind, Manifest};
use crate::rpmbuild::spec;
use crate::source::tree::{Tree, TreeKind};
use crate::source::version;

use crate::plan::flag::{self, Usage};
use crate::plan::RpmFlags;
use bpaf::{construct, long, Parser};

pub const DOCKERFILE: &str = "contrib/docker/Dockerfile";
/// Beside the Dockerfile: the image's default configuration and its entry point.
const IMAGE_DIR: &str = "image";
/// The list of the image's packages, under /usr/share/doc/asterisk/build/.
const PACKAGES_FILE: &str = "packages";
pub const DEFAULT_RUNTIME_BASE: &str = "docker.io/library/almalinux:9-minimal";
const DEFAULT_SOURCE: &str = "https://github.com/asterisk/asterisk";

/// Checks that the runtime base is here (or pullable) and can install RPMs; in a dry run, a
/// base that is not here is only said.
pub fn check_runtime_base(engine: &Engine, runtime_base: &str) -> Result<()> {
    if engine.sh.dry_run && engine.image_id(runtime_base)?.is_none() {
        eprintln!("would pull {runtime_base} (not here): nothing is pulled in a dry run");
        return Ok(());
    }
    engine.image_id_or_pull(runtime_base, "--runtime-base")?;
    let has_installer = engine
        .peek(
            runtime_base,
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
    Ok(())
}

/// What an image is built from.
struct ImageInputs<'a> {
    pub tree: &'a Tree,
    pub manifest: &'a Manifest,
    pub out: &'a Utf8Path,
    pub runtime_base: &'a str,
    pub tags: &'a [String],
    pub rtp_ports: (u16, u16),
    /// The xtask's own checkout, where the Dockerfile is when the tree has none.
    pub xtask_root: &'a Utf8Path,
    pub scratch: &'a Utf8Path,
    /// The binary packages to install (`packages::rpms`).
    pub rpms: Vec<&'a Artifact>,
}

/// What `make` is asked for beside the build's packages: the choices of `image`.
pub struct Request<'a> {
    pub tree: &'a Tree,
    pub out: &'a Utf8Path,
    pub runtime_base: &'a str,
    /// `--tag`s as given (none: `default_tags`).
    pub tags: &'a [String],
    pub rtp_ports: (u16, u16),
    /// `run`: an image the manifest records that still matches every choice is used as it is.
    pub reuse: bool,
    pub xtask_root: &'a Utf8Path,
    pub scratch: &'a Utf8Path,
}

/// The image of the build `manifest` records with the packages at `rpms` (`packages::rpms`):
/// reused when `w.reuse` allows, else built, recorded in the manifest (written back into the
/// output directory) and reported. Its first tag.
pub fn make(
    engine: &Engine,
    manifest: &mut Manifest,
    rpms: &[String],
    w: &Request,
    timer: &mut crate::infra::progress::PhaseTimer,
) -> Result<String> {
    let tags = match w.tags.is_empty() {
        true => default_tags(&format!("{}-{}", manifest.version, manifest.release)),
        false => w.tags.to_vec(),
    };
    let artifacts: Vec<Artifact> = rpms
        .iter()
        .filter_map(|path| manifest.artifacts.iter().find(|a| &a.path == path))
        .cloned()
        .collect();
    let chosen: Vec<&Artifact> = artifacts.iter().collect();
    if w.reuse {
        let names = package_names(manifest, &chosen);
        let reused = image_reusable(engine, manifest, w.runtime_base, &names, &tags, w.rtp_ports)?;
        if let Some(record) = reused {
            eprintln!(
                "image: {} ({}) is this build's, with the same base, packages and RTP range: using it",
                tags[0], record.id
            );
            return Ok(tags[0].clone());
        }
    }
    let record = build(
        engine,
        &ImageInputs {
            rpms: chosen.clone(),
            tree: w.tree,
            manifest,
            out: w.out,
            runtime_base: w.runtime_base,
            tags: &tags,
            rtp_ports: w.rtp_ports,
            xtask_root: w.xtask_root,
            scratch: w.scratch,
        },
    )?;
    timer.end("image");
    manifest.image = Some(record.clone());
    manifest.write(&w.out.join(MANIFEST))?;
    report(engine, &record, &chosen, w.out)?;
    Ok(tags[0].clone())
}

/// Builds the runtime image from the manifest's RPMs; returns what the manifest records.
fn build(engine: &Engine, i: &ImageInputs) -> Result<ImageRecord> {
    let dockerfile = spec::locate_file(DOCKERFILE, None, None, &i.tree.root, i.xtask_root)?;
    eprintln!(
        "dockerfile: {} ({})",
        dockerfile.path,
        dockerfile.origin.describe()
    );
    let context = i.scratch.join("image-context");
    let rpms = &i.rpms;
    let main = i.manifest.main_rpm().map(|a| a.path.as_str());
    if !rpms.iter().any(|a| Some(a.path.as_str()) == main) {
        bail!(
            "{}/{} lists no runtime package of {}: run cargo xtask rpm again",
            i.out,
            MANIFEST,
            i.manifest.name
        );
    }
    let record: Vec<&Artifact> = i
        .manifest
        .artifacts
        .iter()
        .filter(|a| matches!(a.kind, Kind::BuildInfo | Kind::Sbom))
        .collect();
    let sbom_sha256 = i
        .manifest
        .artifacts
        .iter()
        .find(|a| a.kind == Kind::Sbom)
        .map_or_else(|| "none".to_string(), |a| a.sha256.clone());
    fill_context(&context, &dockerfile.path, i.out, rpms, &record)?;
    // A --dev image: the tree's test keys, which res_crypto's unit tests read from the
    // working directory (as upstream runs them from the source tree).
    let keys = i.tree.root.join("tests/keys");
    if i.manifest.records.options.dev && keys.is_dir() {
        regular::copy_dir(
            &keys,
            &context.join(IMAGE_DIR).join("test-keys"),
            &mut |_| Ok(()),
        )?;
    }
    let m = i.manifest;
    // What the image holds: the packages, named with their versions, in the label and beside
    // the build's record.
    let names = package_names(m, rpms);
    let listing: String = names
        .iter()
        .map(|n| format!("{n}-{}-{}\n", m.version, m.release))
        .collect();
    let listing_path = context
        .join(build_record::PUBLISHED_DIR)
        .join(PACKAGES_FILE);
    std::fs::write(&listing_path, listing).with_context(|| format!("writing {listing_path}"))?;
    let version_release = format!("{}-{}", m.version, m.release);
    let build_args = [
        ("BASE_IMAGE", i.runtime_base.to_string()),
        ("ASTERISK_VERSION", m.asterisk_version.clone()),
        ("RPM_VERSION_RELEASE", version_release.clone()),
        (
            "REVISION",
            if m.revision.is_empty() {
                "unknown".to_string()
            } else {
                m.revision.clone()
            },
        ),
        ("CREATED", version::rfc3339(m.source_date_epoch)),
        ("SOURCE", source_url(i.tree)),
        ("RTP_START", i.rtp_ports.0.to_string()),
        ("RTP_END", i.rtp_ports.1.to_string()),
        ("OPTIONS_SHA256", m.records.options.effective_sha256.clone()),
        (
            "DEV",
            if m.records.options.dev { "yes" } else { "no" }.to_string(),
        ),
        ("SBOM_SHA256", sbom_sha256),
        ("PACKAGES", names.join(" ")),
        ("TREE", tree_label(i.tree)),
    ];
    let mut build = engine.cmd().args(["build", "--network", "host"]);
    if engine.kind == EngineKind::Podman {
        // OCI images have no HEALTHCHECK, STOPSIGNAL and the rest: podman must write docker's.
        build = build.args(["--format", "docker"]);
    }
    for (k, v) in &build_args {
        build = build.args(["--build-arg", &format!("{k}={v}")]);
    }
    for tag in i.tags {
        build = build.args(["-t", tag]);
    }
    build
        .args(["--label", "org.asterisk.xtask.image=1"])
        .args(["-f", context.join("Dockerfile").as_str(), context.as_str()])
        .run(|line| eprintln!("{line}"))
        .map_err(|e| match e.downcast_ref::<Interrupted>() {
            // The RPMs were published before: the interrupt must not say nothing was.
            Some(_) => anyhow::Error::from(Interrupted {
                done: Some(format!(
                    "the RPMs in {} are this tree's; no image was built",
                    i.out
                )),
            }),
            None => e,
        })
        .with_context(|| format!("building the image from {}", dockerfile.path))?;
    let inspect = engine
        .cmd()
        .args([
            "image",
            "inspect",
            "--format",
            "{{.Id}} {{.Size}}",
            &i.tags[0],
        ])
        .read()?;
    let (id, size) = inspect
        .trim()
        .split_once(' ')
        .context("reading the image's id")?;
    Ok(ImageRecord {
        id: id.to_string(),
        tags: i.tags.to_vec(),
        size: size.parse().unwrap_or(0),
        runtime_base: i.runtime_base.to_string(),
        packages: names,
    })
}

/// What the image took over its base, and what its packages take installed.
fn report(engine: &Engine, image: &ImageRecord, rpms: &[&Artifact], out: &Utf8Path) -> Result<()> {
    let base_size: u64 = engine
        .cmd()
        .args([
            "image",
            "inspect",
            "--format",
            "{{.Size}}",
            &image.runtime_base,
        ])
        .read()?
        .trim()
        .parse()
        .unwrap_or(0);
    let installed = installed_size(engine.sh, out, rpms)?;
    eprintln!("\nimage: {}", image.tags.join(", "));
    eprintln!("  holds   {}", image.packages.join(" "));
    eprintln!("  id      {}", image.id);
    eprintln!(
        "  size    {} ({} over {}; the packages install {})",
        human_size(image.size),
        human_size(image.size.saturating_sub(base_size)),
        image.runtime_base,
        human_size(installed)
    );
    eprintln!(
        "  recorded in {out}/{}; check it with: cargo xtask smoke --tag {}",
        MANIFEST, image.tags[0]
    );
    Ok(())
}

/// `asterisk:<version-release>` (made a valid tag) and `asterisk:dev`.
fn default_tags(version_release: &str) -> Vec<String> {
    vec![
        format!("asterisk:{}", tag_safe(version_release)),
        "asterisk:dev".to_string(),
    ]
}

/// A string made fit for an image tag: `[A-Za-z0-9_.-]`, at most 128, not starting with . or -.
fn tag_safe(s: &str) -> String {
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
fn source_url_of(origin: Option<&str>) -> String {
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

/// The packages of `rpms`, by name, as the manifest records them.
fn package_names(m: &Manifest, rpms: &[&Artifact]) -> Vec<String> {
    rpms.iter()
        .filter_map(|a| {
            m.packages
                .iter()
                .find(|p| p.path.as_deref() == Some(a.path.as_str()))
        })
        .map(|p| p.name.clone())
        .collect()
}

/// The label that says which tree an image was built from: `<host>:<path>`.
pub const TREE_LABEL: &str = "org.asterisk.xtask.tree";

/// `<host>:<the tree's canonical path>`, the value of `TREE_LABEL`.
pub fn tree_label(tree: &Tree) -> String {
    format!("{}:{}", crate::infra::engine::hostname(), tree.root)
}

/// The image the manifest records, when the engine still has it under every wanted tag and it
/// was made with these choices (runtime base, packages, RTP range): `run` uses it as it is.
fn image_reusable(
    engine: &Engine,
    m: &Manifest,
    runtime_base: &str,
    packages: &[String],
    tags: &[String],
    rtp_ports: (u16, u16),
) -> Result<Option<ImageRecord>> {
    let Some(record) = &m.image else {
        return Ok(None);
    };
    if record.runtime_base != runtime_base || record.packages != packages {
        return Ok(None);
    }
    for tag in tags {
        if engine.image_id(tag)?.as_deref() != Some(record.id.as_str()) {
            return Ok(None);
        }
    }
    Ok((rtp_range(engine, &record.id)? == Some(rtp_ports)).then(|| record.clone()))
}

/// An image's RTP range, from its environment (ASTERISK_RTP_PORTS); None for an image that
/// is not here or names none.
pub fn rtp_range(engine: &Engine, image: &str) -> Result<Option<(u16, u16)>> {
    let env = engine
        .cmd()
        .args([
            "image",
            "inspect",
            "--format",
            "{{range .Config.Env}}{{println .}}{{end}}",
            image,
        ])
        .read_optional()?
        .unwrap_or_default();
    Ok(env
        .lines()
        .find_map(|l| l.strip_prefix("ASTERISK_RTP_PORTS="))
        .and_then(|r| r.split_once('-'))
        .and_then(|(a, b)| Some((a.trim().parse().ok()?, b.trim().parse().ok()?))))
}

fn source_url(tree: &Tree) -> String {
    let origin = match tree.kind {
        TreeKind::Git => tree
            .git()
            .args(["remote", "get-url", "origin"])
            .read_optional()
            .ok()
            .flatten(),
        TreeKind::Plain => None,
    };
    source_url_of(origin.as_deref())
}

fn fill_context(
    context: &Utf8Path,
    dockerfile: &Utf8Path,
    out: &Utf8Path,
    rpms: &[&Artifact],
    record: &[&Artifact],
) -> Result<()> {
    if context.exists() {
        std::fs::remove_dir_all(context).with_context(|| format!("removing {context}"))?;
    }
    let rpm_dir = context.join("rpms");
    std::fs::create_dir_all(&rpm_dir).with_context(|| format!("creating {rpm_dir}"))?;
    // The build's record (menuselect file, configure arguments, modules left out), copied to
    // /usr/share/doc/asterisk/build/: the packages' copy is documentation, which the runtime
    // installs without.
    let record_dir = context.join(build_record::PUBLISHED_DIR);
    std::fs::create_dir_all(&record_dir).with_context(|| format!("creating {record_dir}"))?;
    for a in record {
        let src = out.join(&a.path);
        let dest = record_dir.join(src.file_name().unwrap_or("record"));
        std::fs::copy(&src, &dest).with_context(|| format!("copying {src} into {record_dir}"))?;
    }
    std::fs::copy(dockerfile, context.join("Dockerfile"))
        .with_context(|| format!("copying {dockerfile} into {context}"))?;
    // The image's own configuration and entry point, beside the Dockerfile.
    let image_dir = dockerfile
        .parent()
        .unwrap_or(Utf8Path::new("."))
        .join(IMAGE_DIR);
    if !image_dir.is_dir() {
        bail!(
            "{image_dir} is missing: the Dockerfile takes the image's configuration and entry \
             point from it (copy contrib/docker/{IMAGE_DIR}/ from the xtask's checkout)"
        );
    }
    regular::copy_dir(&image_dir, &context.join(IMAGE_DIR), &mut |_| Ok(()))?;
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
fn installed_size(sh: Shell, out: &Utf8Path, rpms: &[&Artifact]) -> Result<u64> {
    let mut total = 0;
    for a in rpms {
        let size = sh.rpm_query(&out.join(&a.path), "%{SIZE}").read()?;
        total += size.trim().parse::<u64>().unwrap_or(0);
    }
    Ok(total)
}

// The image's flags: `image` takes them (and `run`).

#[derive(Debug, Clone, Default)]
pub struct ImageFlags {
    pub rpm: RpmFlags,
    pub tags: Vec<String>,
    pub runtime_base: Option<String>,
    /// The first and last RTP port.
    pub rtp_ports: (u16, u16),
    /// `--packages A,B`: the subpackages to install; None for the defaults.
    pub packages: Option<Vec<String>>,
}

/// Fifty calls' worth of RTP: enough to try a build, small enough for `docker run -P`.
pub const DEFAULT_RTP_PORTS: (u16, u16) = (10000, 10099);

/// `--runtime-base IMG` (bench passes it on to run).
pub fn runtime_base_flag(help: &'static str) -> impl Parser<Option<String>> {
    flag::text("runtime-base", "IMG", help)
}

pub fn flags() -> impl Parser<ImageFlags> {
    let rpm = crate::plan::rpm_flags();
    let tags = flag::tag(
        "Tag the image T; may repeat (default: asterisk:<rpm version-release> and asterisk:dev)",
    )
    .many();
    let runtime_base = runtime_base_flag(
        "Base of the runtime image, with dnf, microdnf or rpm (default: docker.io/library/almalinux:9-minimal)",
    );
    let rtp_ports = long("rtp-ports")
        .help("The UDP range for media: written into the image's rtp.conf and EXPOSEd (default: 10000-10099)")
        .argument::<String>("FIRST-LAST")
        .parse(|v| rtp_ports(&v))
        .fallback(DEFAULT_RTP_PORTS);
    let packages = long("packages")
        .help("The subpackages to install besides asterisk, by name (pjsip or asterisk-pjsip), comma-separated; what they need comes along (default: pjsip, voicemail-plain, curl, srtp and the codecs speex, ogg, gsm, opus, those the build has)")
        .argument::<String>("NAME,...")
        .parse(|v| super::packages::parse_names(&v))
        .optional();
    construct!(ImageFlags {
        rpm,
        tags,
        runtime_base,
        rtp_ports,
        packages,
    })
}

/// The most ports `--rtp-ports` may name: each is a line in the image's config.
const MAX_RTP_PORTS: u32 = 10_001;

/// `FIRST-LAST`: at most 10,001 ports within 1024..=65535, FIRST below LAST.
pub fn rtp_ports(v: &str) -> std::result::Result<(u16, u16), Usage> {
    let parsed = v
        .split_once('-')
        .and_then(|(a, b)| Some((a.trim().parse::<u16>().ok()?, b.trim().parse::<u16>().ok()?)));
    match parsed {
        Some((first, last))
            if first >= 1024 && first < last && u32::from(last - first) < MAX_RTP_PORTS =>
        {
            Ok((first, last))
        }
        _ => Err(Usage(format!(
            "--rtp-ports takes FIRST-LAST, two ports from 1024 to 65535 with FIRST below LAST and \
             at most {MAX_RTP_PORTS} ports, not '{v}'"
        ))),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

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
