//! The outputs stage: what rpmbuild made, found, recorded in the manifest and published in
//! one step, and what reads published outputs back (up to date, earlier outputs).

pub(crate) mod build_record;
pub(crate) mod earlier;
pub mod manifest;
pub(crate) mod publish;
pub(crate) mod reproducible;
pub(crate) mod sbom;
pub(crate) mod sign;
pub(crate) mod summary;
pub(crate) mod unit_tests;
pub(crate) mod uptodate;

use anyhow::{Context, Result};
use camino::Utf8PathBuf;

use crate::infra::exec::Shell;
use crate::infra::interrupt;
use crate::rpmbuild::{spec, subpackages, BuildInputs};
use crate::source::pack::Packed;
use manifest::{Artifact, Kind, Manifest};

/// Moves the RPMs, the SRPM and the archive into the output directory with the build's record,
/// its SBOM and manifest.json, in one step: found, read, hashed, staged, described, swapped in.
/// `base` is the manifest the concerns made (`manifest::of`): its packages are added here.
pub fn publish_build(
    sh: Shell,
    inputs: &BuildInputs,
    packed: &Packed,
    base: Manifest,
) -> Result<Manifest> {
    interrupt::check()?;
    let work = &packed.work;
    // What rpmbuild made, and the archive.
    let mut outputs: Vec<(Utf8PathBuf, String, Kind)> = Vec::new();
    for path in crate::rpmbuild::packages_in(work)? {
        let rel = path.strip_prefix(work).unwrap_or(&path).to_string();
        let kind = match rel.starts_with("SRPMS/") {
            true => Kind::Srpm,
            false => Kind::Rpm,
        };
        outputs.push((path, rel, kind));
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
    let nvr = sh
        .rpm_query(&srpm, "%{NAME}\\t%{VERSION}\\t%{RELEASE}")
        .read()
        .with_context(|| format!("reading the name and version of {srpm}"))?;
    let mut nvr = nvr.trim().split('\t').map(str::to_string);
    let (name, version, release) = (
        nvr.next().unwrap_or_default(),
        nvr.next().unwrap_or_default(),
        nvr.next().unwrap_or_default(),
    );
    // The spec's record of the build, read first: why modules were left out.
    let record = build_record::read(&work.join(spec::INFO_DIR))?;
    // Each binary package with its modules. A declared subpackage that holds nothing (none of
    // its modules was built here: its library is missing on this build host) is not published.
    let mut records = Vec::new();
    let mut kept = Vec::new();
    for (path, rel, kind) in outputs {
        let debug = rel.contains("-debuginfo-") || rel.contains("-debugsource-");
        if kind != Kind::Rpm || debug {
            kept.push((path, rel, kind));
            continue;
        }
        let listing = sh
            .rpm_query_with(&path, &["--qf", "%{NAME}\\n", "-l"])
            .read()
            .with_context(|| format!("listing the files of {path}"))?;
        let package = listing
            .lines()
            .next()
            .unwrap_or_default()
            .trim()
            .to_string();
        let sub = inputs.split.packages.iter().find(|p| p.name == package);
        let mut entry = subpackages::PackageRecord {
            name: package.clone(),
            path: Some(rel.clone()),
            modules: build_record::modules_of(&listing),
            requires: sub.map(|s| s.requires.clone()).unwrap_or_default(),
            conflicts: sub.map(|s| s.conflicts.clone()).unwrap_or_default(),
            note: match sub {
                Some(s) if s.unfamiliar => format!(
                    "named after its library ({}): no family of Fedora's has it",
                    s.libraries.join(", ")
                ),
                _ => String::new(),
            },
        };
        let empty = listing
            .lines()
            .skip(1)
            .all(|l| l.trim().is_empty() || l.contains("(contains no files)"));
        match sub {
            Some(s) if empty => {
                let why: Vec<String> = s
                    .modules
                    .iter()
                    .map(|m| match record.left_out.iter().find(|(n, _)| n == m) {
                        Some((_, why)) => format!("{m}: {why}"),
                        None => m.clone(),
                    })
                    .collect();
                entry.path = None;
                entry.note = format!(
                    "not published: none of its modules was built ({})",
                    why.join("; ")
                );
            }
            _ => kept.push((path, rel, kind)),
        }
        records.push(entry);
    }
    let mut outputs = kept;
    let mut modules: Vec<String> = records.iter().flat_map(|p| p.modules.clone()).collect();
    modules.sort();
    modules.dedup();
    // The spec's record of the build, published under build/.
    for path in &record.files {
        let rel = format!(
            "{}/{}",
            build_record::PUBLISHED_DIR,
            path.file_name().unwrap_or_default()
        );
        outputs.push((path.clone(), rel, Kind::BuildInfo));
    }
    // Hashed and staged.
    let staging = publish::staging_dir(&packed.out)?;
    let mut artifacts = Vec::new();
    for (path, rel, kind) in &outputs {
        artifacts.push(Artifact::of(path, rel.clone(), *kind)?);
        publish::stage_file(path, &staging, rel)?;
    }
    // The SBOM of what was staged.
    interrupt::check()?;
    let built: Vec<(Utf8PathBuf, String, bool)> = artifacts
        .iter()
        .filter(|a| matches!(a.kind, Kind::Rpm | Kind::Srpm))
        .map(|a| {
            (
                staging.path.join(&a.path),
                a.sha256.clone(),
                a.kind == Kind::Srpm,
            )
        })
        .collect();
    let packages = sbom::read_packages(sh, &built, &work.join("sbom"))?;
    let version_release = format!("{version}-{release}");
    let facts = sbom::facts(&sbom::SbomInputs {
        name: &name,
        version_release: &version_release,
        source_date_epoch: packed.source_date,
        asterisk_version: &packed.asterisk_version,
        revision: &packed.revision,
        dirty: packed.dirty,
        upstream_release: packed.upstream_release,
        archive_name: &packed.archive_name,
        archive_sha256: &packed.archive_sha256,
        packages: &packages,
        bundled: &base.bundled,
    });
    let (spdx_name, cdx_name) = sbom::file_names(&name, &version_release);
    for (file, document) in [
        (spdx_name, sbom::spdx::document(&facts)),
        (cdx_name, sbom::cyclonedx::document(&facts)),
    ] {
        let path = staging.path.join(&file);
        let mut text = serde_json::to_string_pretty(&document).context("writing the SBOM")?;
        text.push('\n');
        std::fs::write(&path, &text).with_context(|| format!("writing {path}"))?;
        artifacts.push(Artifact::of(&path, file, Kind::Sbom)?);
    }
    // The manifest, and the swap.
    let mut manifest = Manifest {
        name,
        version,
        release,
        artifacts,
        modules,
        packages: records,
        left_out: record.left_out,
        ..base
    };
    manifest.options.effective_sha256 = record.effective_sha256;
    manifest.write(&staging.path.join(manifest::MANIFEST))?;
    interrupt::check()?;
    publish::swap_in(staging, &packed.out)?;
    Ok(manifest)
}
