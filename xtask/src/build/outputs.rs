//! What rpmbuild made, found, recorded in the manifest and published in one step.

use anyhow::{Context, Result};
use camino::{Utf8Path, Utf8PathBuf};

use super::manifest::{Artifact, Kind, Manifest};
use super::{publish, record, sbom, spec};
use crate::exec::{interrupt, Shell};
use crate::sha256;
use crate::source::pack::Packed;

/// Moves the RPMs, the SRPM and the archive into the output directory with manifest.json.
pub fn publish(
    sh: Shell,
    start: &super::Start,
    packed: &Packed,
    built_by: String,
) -> Result<Manifest> {
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
    let nvr = sh
        .rpm_query(&srpm, "%{NAME}\\t%{VERSION}\\t%{RELEASE}")
        .read()
        .with_context(|| format!("reading the name and version of {srpm}"))?;
    let mut nvr = nvr.split('\t').map(str::to_string);
    // The modules in the main package (the one named as the SRPM, not -devel or sounds).
    let main_rpm = outputs
        .iter()
        .filter(|o| o.2 == Kind::Rpm)
        .find(|o| {
            let file = o.0.file_name().unwrap_or_default();
            file.starts_with("asterisk-")
                && !file.contains("-devel-")
                && !file.contains("-debug")
                && !file.contains("sounds-")
        })
        .map(|o| o.0.clone());
    let modules = match &main_rpm {
        Some(rpm) => record::modules_of(
            &sh.rpm()
                .args(["-qlp", "--nosignature", rpm.as_str()])
                .read()
                .with_context(|| format!("listing the files of {rpm}"))?,
        ),
        None => Vec::new(),
    };
    // The spec's record of the build, published under build/.
    let record = record::read(&work.join(spec::INFO_DIR))?;
    for path in &record.files {
        let rel = format!(
            "{}/{}",
            record::PUBLISHED_DIR,
            path.file_name().unwrap_or_default()
        );
        outputs.push((path.clone(), rel, Kind::BuildInfo));
    }
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
    // The SBOM of what was just staged.
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
    let version_release = packages
        .iter()
        .find(|p| p.source)
        .map(|p| p.version.clone())
        .unwrap_or_default();
    let name = sbom::file_name(&start_name(&packages), &version_release);
    let document = sbom::document(&sbom::Inputs {
        name: &start_name(&packages),
        version_release: &version_release,
        source_date_epoch: packed.source_date,
        archive_sha256: &packed.archive_sha256,
        packages: &packages,
        bundled: &super::manifest::of(packed, start, String::new()).bundled,
    });
    let sbom_path = staging.path.join(&name);
    let mut text = serde_json::to_string_pretty(&document).unwrap_or_default();
    text.push('\n');
    std::fs::write(&sbom_path, &text).with_context(|| format!("writing {sbom_path}"))?;
    artifacts.push(Artifact {
        path: name,
        kind: Kind::Sbom,
        sha256: sha256::of_file(&sbom_path)?,
        size: file_size(&sbom_path)?,
    });
    let manifest = Manifest {
        name: nvr.next().unwrap_or_default(),
        version: nvr.next().unwrap_or_default(),
        release: nvr.next().unwrap_or_default(),
        artifacts,
        modules,
        left_out: record.left_out,
        ..super::manifest::of(packed, start, built_by)
    };
    let manifest = Manifest {
        options: super::manifest::OptionsRecord {
            effective_sha256: record.effective_sha256,
            ..manifest.options
        },
        ..manifest
    };
    let manifest_path = staging.path.join(publish::MANIFEST);
    std::fs::write(&manifest_path, manifest.to_json())
        .with_context(|| format!("writing {manifest_path}"))?;
    interrupt::check()?;
    publish::swap_in(staging, &packed.out)?;
    Ok(manifest)
}

/// The source package's name (the SBOM is named after it).
fn start_name(packages: &[sbom::BuiltPackage]) -> String {
    packages
        .iter()
        .find(|p| p.source)
        .map(|p| p.name.clone())
        .unwrap_or_else(|| "asterisk".into())
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

pub fn file_size(path: &Utf8Path) -> Result<u64> {
    Ok(std::fs::metadata(path)
        .with_context(|| format!("reading {path}"))?
        .len())
}
