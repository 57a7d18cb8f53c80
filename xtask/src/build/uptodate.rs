//! Whether the published outputs are already this build's: the manifest records the same source
//! archive bytes, bundled sources, spec, sound sets, version, options and signing key, the same builder
//! (this host, or the builder image of the same inputs), and every artifact it lists is there
//! with its size. `rpm` then builds nothing and says what it compared; `image` uses the RPMs.

use camino::Utf8Path;

use super::manifest::{self, Manifest};
use super::publish::MANIFEST;
use super::{builder, spec, Start};
use crate::plan::{Place, Plan};
use crate::source::pack::Packed;
use crate::Workspace;

/// What `rpm` and `image` compared, for the line that says the outputs are up to date.
pub const COMPARED: &str =
    "source archive bytes, bundled sources, spec, sound sets, version, options, signing key and builder";

/// Whether the builder a manifest names (`native` or `container <tag>`) is the one this build
/// would use. A builder that cannot be known here (`Err`) is never the same: packages made
/// elsewhere are not this build's.
pub fn same_builder(recorded: &str, now: &Result<String, String>) -> bool {
    now.as_deref().is_ok_and(|now| now == recorded)
}

/// The builder this plan would use, as the manifest names it; or why it cannot be known
/// without building (no engine or rpmbuild, or a base image that is not here).
pub fn builder_now(plan: &Plan, ws: &Workspace, start: &Start) -> Result<String, String> {
    match plan.place.as_ref() {
        Err(why) => Err(format!("nothing here builds: {why}")),
        Ok(Place::Native { .. }) => Ok("native".into()),
        Ok(Place::Container {
            engine, base_image, ..
        }) => {
            let dockerfile =
                spec::locate_file(builder::DOCKERFILE, None, None, &start.tree.root, &ws.root)
                    .map_err(|e| format!("{e:#}"))?;
            match builder::expected_tag(engine, &dockerfile.path, &start.spec.path, base_image) {
                Ok(Some(tag)) => Ok(format!("container {tag}")),
                Ok(None) => Err(format!(
                    "the base image {base_image} is not on this machine, so the builder it makes \
                     is not known"
                )),
                Err(e) => Err(format!("{e:#}")),
            }
        }
    }
}

/// The published manifest when it is this build's, else why not.
pub fn check(
    out: &Utf8Path,
    packed: &Packed,
    start: &Start,
    builder: &Result<String, String>,
) -> Result<Manifest, String> {
    let path = out.join(MANIFEST);
    let Ok(text) = std::fs::read_to_string(&path) else {
        return Err("holds no RPMs".into());
    };
    let manifest = Manifest::from_json(&text)
        .map_err(|e| format!("has a manifest that cannot be read ({e:#})"))?;
    let mut differ: Vec<String> = manifest::differences(&manifest, packed, start)
        .into_iter()
        .map(str::to_string)
        .collect();
    if !same_builder(&manifest.builder, builder) {
        differ.push(match builder {
            Ok(_) => "builder".to_string(),
            Err(why) => format!("builder ({why})"),
        });
    }
    if !differ.is_empty() {
        return Err(format!(
            "holds other outputs (different: {})",
            differ.join(", ")
        ));
    }
    let missing: Vec<&str> = manifest
        .artifacts
        .iter()
        .filter(|a| {
            std::fs::metadata(out.join(&a.path))
                .map(|m| m.len() != a.size)
                .unwrap_or(true)
        })
        .map(|a| a.path.as_str())
        .collect();
    if !missing.is_empty() {
        return Err(format!(
            "lacks or has changed {} of its outputs ({})",
            missing.len(),
            missing.join(", ")
        ));
    }
    Ok(manifest)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn builders() {
        let known = |b: &str| Ok::<String, String>(b.to_string());
        let unknown = Err::<String, String>("the base image x is not on this machine".into());
        let cases = [
            ("native", known("native"), true),
            (
                "native",
                known("container asterisk-xtask-builder:ab"),
                false,
            ),
            (
                "container asterisk-xtask-builder:ab",
                known("container asterisk-xtask-builder:cd"),
                false,
            ),
            (
                "container asterisk-xtask-builder:ab",
                known("container asterisk-xtask-builder:ab"),
                true,
            ),
            // Unknown is never equal.
            (
                "container asterisk-xtask-builder:ab",
                unknown.clone(),
                false,
            ),
            ("native", unknown, false),
        ];
        for (recorded, now, want) in cases {
            assert_eq!(same_builder(recorded, &now), want, "{recorded} {now:?}");
        }
    }
}
