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
use camino::{Utf8Path, Utf8PathBuf};

use crate::infra::exec::Shell;
use crate::infra::interrupt;
use crate::rpmbuild::{spec, subpackages, BuildInputs};
use crate::source::pack::Packed;
use manifest::{Artifact, Kind, Manifest};

/// Moves the RPMs, the SRPM and the archive into the output directory with the build's record,
/// its SBOM and manifest.json, in one step: found, read, hashed, staged, described, swapped in.
/// `base` is the manifest the concerns made (`manifest::of`): its packages are added here.
/// Packages `for_trying` (`spec::for_trying`) get an SBOM of the packages alone: hashing every
/// file of every package is for what ships.
pub fn publish_build(
    sh: Shell,
    inputs: &BuildInputs,
    packed: &Packed,
    base: Manifest,
    for_trying: bool,
) -> Result<Manifest> {
    interrupt::check()?;
    let work = &packed.work;
    let made = made(work, packed)?;
    let (name, version, release) = name_version_release(sh, &made)?;
    // The spec's record of the build, read first: why modules were left out.
    let record = build_record::read(&work.join(spec::INFO_DIR))?;
    let (mut outputs, records) = package_records(sh, inputs, &record, made)?;
    // The spec's record of the build, published under build/.
    outputs.extend(record.files.iter().map(|path| Output {
        path: path.clone(),
        rel: format!(
            "{}/{}",
            build_record::PUBLISHED_DIR,
            path.file_name().unwrap_or_default()
        ),
        kind: Kind::BuildInfo,
    }));
    // Hashed and staged.
    let staging = publish::staging_dir(&packed.out)?;
    let mut artifacts = Vec::new();
    for o in &outputs {
        artifacts.push(Artifact::of(&o.path, o.rel.clone(), o.kind)?);
        publish::stage_file(&o.path, &staging, &o.rel)?;
    }
    // The SBOM of what was staged.
    interrupt::check()?;
    if for_trying {
        eprintln!(
            "sbom: the packages without their files' hashes (packages for trying; a release or a committed tree's build hashes every file)"
        );
    }
    let version_release = format!("{version}-{release}");
    let documents = sbom::write(
        sh,
        &sbom::Staged {
            dir: &staging.path,
            artifacts: &artifacts,
            name: &name,
            version_release: &version_release,
            packed,
            bundled: &base.records.bundled.sources,
            scratch: &work.join("sbom"),
            hash_files: !for_trying,
        },
    )?;
    artifacts.extend(documents);
    // The manifest, and the swap.
    let mut modules: Vec<String> = records.iter().flat_map(|p| p.modules.clone()).collect();
    modules.sort();
    modules.dedup();
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
    manifest.records.options.effective_sha256 = record.effective_sha256;
    manifest.write(&staging.path.join(manifest::MANIFEST))?;
    interrupt::check()?;
    publish::swap_in(staging, &packed.out)?;
    Ok(manifest)
}

/// A file to publish: where it is, its path in the output directory, its kind.
struct Output {
    path: Utf8PathBuf,
    rel: String,
    kind: Kind,
}

/// What rpmbuild made in `work` (binary and source RPMs), and the archive.
fn made(work: &Utf8Path, packed: &Packed) -> Result<Vec<Output>> {
    let mut outputs: Vec<Output> = Vec::new();
    for path in crate::rpmbuild::packages_in(work)? {
        let rel = path.strip_prefix(work).unwrap_or(&path).to_string();
        let kind = match rel.starts_with("SRPMS/") {
            true => Kind::Srpm,
            false => Kind::Rpm,
        };
        outputs.push(Output { path, rel, kind });
    }
    outputs.push(Output {
        path: packed.archive_path.clone(),
        rel: packed.archive_name.clone(),
        kind: Kind::Source,
    });
    Ok(outputs)
}

/// The name, version and release of the build, as its source RPM says them.
fn name_version_release(sh: Shell, made: &[Output]) -> Result<(String, String, String)> {
    let srpm = made
        .iter()
        .find(|o| o.kind == Kind::Srpm)
        .map(|o| &o.path)
        .context("rpmbuild wrote no source RPM")?;
    let nvr = sh
        .rpm_query(srpm, "%{NAME}\\t%{VERSION}\\t%{RELEASE}")
        .read()
        .with_context(|| format!("reading the name and version of {srpm}"))?;
    let mut nvr = nvr.trim().split('\t').map(str::to_string);
    Ok((
        nvr.next().unwrap_or_default(),
        nvr.next().unwrap_or_default(),
        nvr.next().unwrap_or_default(),
    ))
}

/// Each binary package (not debuginfo) with its modules, and what of `made` is published: a
/// declared subpackage that holds nothing (none of its modules was built here: its library is
/// missing on this build host) is recorded, not published.
fn package_records(
    sh: Shell,
    inputs: &BuildInputs,
    record: &build_record::BuildRecord,
    made: Vec<Output>,
) -> Result<(Vec<Output>, Vec<subpackages::PackageRecord>)> {
    let mut records = Vec::new();
    let mut kept = Vec::new();
    for o in made {
        let debug = o.rel.contains("-debuginfo-") || o.rel.contains("-debugsource-");
        if o.kind != Kind::Rpm || debug {
            kept.push(o);
            continue;
        }
        let listing = sh
            .rpm_query_with(&o.path, &["--qf", "%{NAME}\\n", "-l"])
            .read()
            .with_context(|| format!("listing the files of {}", o.path))?;
        let package = listing
            .lines()
            .next()
            .unwrap_or_default()
            .trim()
            .to_string();
        let sub = inputs.split.packages.iter().find(|p| p.name == package);
        let mut entry = subpackages::PackageRecord {
            name: package.clone(),
            path: Some(o.rel.clone()),
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
            _ => kept.push(o),
        }
        records.push(entry);
    }
    Ok((kept, records))
}
