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

/// The builder a manifest names: `native` or `container <tag>`.
pub fn same_builder(recorded: &str, now: Option<&str>) -> bool {
    match now {
        Some(now) => recorded == now,
        // Nothing to build with here: the outputs' builder cannot be compared, and need not be.
        None => true,
    }
}

/// The builder this plan would use, as the manifest names it; None when it cannot be known
/// without building (no engine or rpmbuild, or a base image that is not here).
pub fn builder_now(plan: &Plan, ws: &Workspace, start: &Start) -> Option<String> {
    match plan.place.as_ref().ok()? {
        Place::Native { .. } => Some("native".into()),
        Place::Container {
            engine, base_image, ..
        } => {
            let dockerfile =
                spec::locate_file(builder::DOCKERFILE, None, None, &start.tree.root, &ws.root)
                    .ok()?;
            builder::expected_tag(engine, &dockerfile.path, &start.spec.path, base_image)
                .ok()
                .flatten()
                .map(|tag| format!("container {tag}"))
        }
    }
}

/// The published manifest when it is this build's, else why not.
pub fn check(
    out: &Utf8Path,
    packed: &Packed,
    start: &Start,
    builder: Option<&str>,
) -> Result<Manifest, String> {
    let path = out.join(MANIFEST);
    let Ok(text) = std::fs::read_to_string(&path) else {
        return Err("holds no RPMs".into());
    };
    let manifest = Manifest::from_json(&text)
        .map_err(|e| format!("has a manifest that cannot be read ({e:#})"))?;
    let mut differ = manifest::differences(&manifest, packed, start);
    if !same_builder(&manifest.builder, builder) {
        differ.push("builder");
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
        assert!(same_builder("native", Some("native")));
        assert!(!same_builder(
            "native",
            Some("container asterisk-xtask-builder:ab")
        ));
        assert!(!same_builder(
            "container asterisk-xtask-builder:ab",
            Some("container asterisk-xtask-builder:cd")
        ));
        assert!(same_builder("container asterisk-xtask-builder:ab", None));
    }
}
