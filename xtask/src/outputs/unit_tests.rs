//! Where `smoke --unit-tests` leaves Asterisk's JUnit XML: in an output directory of `rpm`,
//! recorded in its manifest (so the next build there removes it as its own, and CI finds it).

use anyhow::{bail, Context, Result};
use camino::{Utf8Path, Utf8PathBuf};

use crate::outputs::manifest::MANIFEST;
use crate::outputs::manifest::{Artifact, Kind, Manifest};

/// The results' file name in the output directory.
pub const FILE: &str = "unit-tests.xml";

/// Where the results go, and whether `--out` named it (for what a missing manifest means).
pub struct Destination<'a> {
    pub out: &'a Utf8Path,
    pub given: bool,
    pub tag: &'a str,
    /// The image's id: the manifest must record that image (empty when there is none, which
    /// the smoke test says).
    pub image_id: &'a str,
}

/// The manifest of `out`, which must be an output directory of `rpm`.
fn manifest_of(place: &Destination) -> Result<Manifest> {
    let out = place.out;
    let path = out.join(MANIFEST);
    let Ok(text) = std::fs::read_to_string(&path) else {
        match place.given {
            true => bail!(
                "{out} given with --out holds no {MANIFEST} of cargo xtask rpm, so the unit test \
                 results have no place there: name the output directory the image's RPMs were \
                 published to"
            ),
            false => bail!(
                "the unit test results go beside the RPMs of the image {} (their manifest records \
                 them), and {out}, the default, holds no {MANIFEST}: the image was built from \
                 another output directory; name it with --out DIR",
                place.tag
            ),
        }
    };
    Manifest::from_json(&text).with_context(|| format!("{path} is not a manifest of cargo xtask"))
}

/// Where the results go: `<out>/unit-tests.xml`, checked before the container starts: the
/// output directory's manifest must record the image (else the results would join another
/// build's). A file of that name that the manifest does not list is someone else's and stays.
pub fn prepare(place: &Destination) -> Result<Utf8PathBuf> {
    let manifest = manifest_of(place)?;
    let recorded = manifest.image.as_ref().map(|i| i.id.as_str());
    if !place.image_id.is_empty() && recorded != Some(place.image_id) {
        let out = place.out;
        let holds = match recorded {
            Some(id) => format!("records another image ({id})"),
            None => "records no image".to_string(),
        };
        bail!(
            "{out}/{MANIFEST} {holds}, not {} ({}): its unit test results belong beside that \
             image's RPMs; name their output directory with --out DIR{}",
            place.tag,
            place.image_id,
            if place.given {
                ""
            } else {
                " (the default is this one)"
            }
        );
    }
    let results = place.out.join(FILE);
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
pub fn record(place: &Destination, results: &Utf8Path) -> Result<()> {
    let out = place.out;
    let mut manifest = manifest_of(place)?;
    manifest.artifacts.retain(|a| a.kind != Kind::UnitTests);
    manifest
        .artifacts
        .push(Artifact::of(results, FILE.into(), Kind::UnitTests)?);
    manifest.write(&out.join(MANIFEST))
}
