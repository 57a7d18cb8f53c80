//! Where `smoke --unit-tests` leaves Asterisk's JUnit XML: in an output directory of `rpm`,
//! recorded in its manifest (so the next build there removes it as its own, and CI finds it).

use anyhow::{bail, Context, Result};
use camino::{Utf8Path, Utf8PathBuf};

use super::manifest::{Artifact, Kind, Manifest};
use super::publish::MANIFEST;
use crate::sha256;

/// The results' file name in the output directory.
pub const FILE: &str = "unit-tests.xml";

/// The manifest of `out`, which must be an output directory of `rpm`.
fn manifest_of(out: &Utf8Path) -> Result<Manifest> {
    let path = out.join(MANIFEST);
    let text = std::fs::read_to_string(&path).map_err(|_| {
        anyhow::anyhow!(
            "{out} holds no {MANIFEST} of cargo xtask rpm, so the unit test results have no \
             place there: build the image first (cargo xtask image --dev) or name its output \
             directory with --out"
        )
    })?;
    Manifest::from_json(&text).with_context(|| format!("{path} is not a manifest of cargo xtask"))
}

/// Where the results go: `<out>/unit-tests.xml`, checked before the container starts. A file
/// of that name that the manifest does not list is someone else's and stays.
pub fn prepare(out: &Utf8Path) -> Result<Utf8PathBuf> {
    let manifest = manifest_of(out)?;
    let results = out.join(FILE);
    let listed = manifest
        .artifacts
        .iter()
        .any(|a| a.path == FILE && a.kind == Kind::UnitTests);
    if results.exists() && !listed {
        bail!("{results} exists and is not a result of cargo xtask smoke: move it away, or name another directory with --out");
    }
    Ok(results)
}

/// Records the results in the manifest, in place of any earlier ones.
pub fn record(out: &Utf8Path, results: &Utf8Path) -> Result<()> {
    let mut manifest = manifest_of(out)?;
    manifest.artifacts.retain(|a| a.kind != Kind::UnitTests);
    manifest.artifacts.push(Artifact {
        path: FILE.into(),
        kind: Kind::UnitTests,
        sha256: sha256::of_file(results)?,
        size: std::fs::metadata(results)
            .with_context(|| format!("reading {results}"))?
            .len(),
    });
    manifest.write(&out.join(MANIFEST))
}
