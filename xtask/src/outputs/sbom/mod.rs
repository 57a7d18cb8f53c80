//! The build's SBOM, in the two formats consumers read: SPDX 2.3 JSON
//! (`<name>-<version>-<release>.spdx.json`) and CycloneDX 1.6 JSON (`....cdx.json`), both
//! rendered from one set of facts (`facts`), so that they say the same:
//! - every RPM and the SRPM: name, version, file, SHA-256, purl (`pkg:rpm/...`), CPE, supplier,
//!   the License tag the package carries, and for binary packages every regular file with its
//!   SHA-1 and SHA-256 (but for packages for trying, `Staged::hash_files`);
//! - the source archive (Asterisk as packed from the tree) and each bundled third-party source
//!   (pjproject, libjwt): version, download address, checksums, purl, CPE, originator, license;
//! - how they relate: each RPM GENERATED_FROM the SRPM, the SRPM GENERATED_FROM the archive and
//!   the bundled sources, the main package DEPENDS_ON what it bundles.
//!
//! `write` is the stage's one entry: `facts` is a pure function of plain data; `read_packages`
//! asks rpm and unpacks the binary packages (rpm2cpio | cpio) to hash their files.

pub(crate) mod cyclonedx;
pub(crate) mod facts;
pub(crate) mod ids;
pub(crate) mod spdx;

use facts::{facts, file_names, read_packages, SbomInputs};

use anyhow::{Context, Result};
use camino::{Utf8Path, Utf8PathBuf};

use super::manifest::{Artifact, Kind};
use crate::bundled::Bundled;
use crate::infra::exec::Shell;
use crate::source::pack::Packed;

/// What the SBOM describes: the packages staged for publishing, and what they were built from.
pub struct Staged<'a> {
    /// The staging directory the artifacts' paths are relative to.
    pub dir: &'a Utf8Path,
    pub artifacts: &'a [Artifact],
    pub name: &'a str,
    pub version_release: &'a str,
    pub packed: &'a Packed,
    pub bundled: &'a [Bundled],
    /// Where the binary packages are unpacked to hash their files.
    pub scratch: &'a Utf8Path,
    /// Whether each binary package's files are listed with their hashes (false: the packages
    /// alone, `filesAnalyzed: false`).
    pub hash_files: bool,
}

/// Writes both documents into the staging directory; their artifacts.
pub fn write(sh: Shell, s: &Staged) -> Result<Vec<Artifact>> {
    let built: Vec<(Utf8PathBuf, String, bool)> = s
        .artifacts
        .iter()
        .filter(|a| matches!(a.kind, Kind::Rpm | Kind::Srpm))
        .map(|a| (s.dir.join(&a.path), a.sha256.clone(), a.kind == Kind::Srpm))
        .collect();
    let packages = read_packages(sh, &built, s.scratch, s.hash_files)?;
    let p = s.packed;
    let facts = facts(&SbomInputs {
        name: s.name,
        version_release: s.version_release,
        source_date_epoch: p.source_date,
        asterisk_version: &p.asterisk_version,
        revision: &p.revision,
        dirty: p.dirty,
        upstream_release: p.upstream_release,
        archive_name: &p.archive_name,
        archive_sha256: &p.archive_sha256,
        packages: &packages,
        bundled: s.bundled,
    });
    let (spdx_name, cdx_name) = file_names(s.name, s.version_release);
    let mut artifacts = Vec::new();
    for (file, document) in [
        (spdx_name, spdx::document(&facts)),
        (cdx_name, cyclonedx::document(&facts)),
    ] {
        let path = s.dir.join(&file);
        let mut text = document.pretty();
        text.push('\n');
        std::fs::write(&path, &text).with_context(|| format!("writing {path}"))?;
        artifacts.push(Artifact::of(&path, file, Kind::Sbom)?);
    }
    Ok(artifacts)
}
