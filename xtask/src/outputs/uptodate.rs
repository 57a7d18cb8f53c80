//! Whether the published outputs are already this build's: the manifest records the same source
//! archive bytes, spec, version, bundled sources, sound sets, options and signing key, the same builder
//! (this host, or the builder image of the same inputs), and every artifact it lists is there
//! with its size and sha256 (a package changed after publishing is not this build's). `rpm`
//! then builds nothing and says what it compared; `image` uses the RPMs.

use super::manifest::Manifest;
use super::manifest::MANIFEST;
use crate::infra::workspace::Workspace;
use crate::plan::place::Place;
use crate::plan::Plan;
use crate::rpmbuild::{builder, spec, BuildInputs};
use crate::source::pack::Packed;

/// What `rpm` and `image` compare, for the line that says the outputs are up to date: the
/// manifest's parts, the builder and the xtask.
pub fn compared() -> String {
    let manifest = super::manifest::COMPARED
        .iter()
        .chain(super::manifest::Records::LABELS);
    format!(
        "{}, builder and xtask",
        manifest.copied().collect::<Vec<_>>().join(", ")
    )
}

/// The flag that makes `rpm` and `image` build without comparing the published outputs, if
/// one was given: `--force`, a rebuilt builder (its packages are new), or
/// `--check-reproducible` (it needs two builds). The one "should we build" decision both
/// commands make. (A dry run compares: it says whether the real run would build.)
fn build_anyway(
    force: bool,
    rebuild_builder: bool,
    check_reproducible: bool,
) -> Option<&'static str> {
    [
        (force, "--force"),
        (rebuild_builder, "--rebuild-builder"),
        (check_reproducible, "--check-reproducible"),
    ]
    .into_iter()
    .find(|(given, _)| *given)
    .map(|(_, flag)| flag)
}

/// The published outputs when this plan would build them again unchanged and no flag asks for
/// a new build; else why it builds (`Stale`, said after the output directory).
pub fn reusable(
    plan: &Plan,
    ws: &Workspace,
    packed: &Packed,
    inputs: &BuildInputs,
) -> Result<Manifest, Stale> {
    let rebuild_builder = matches!(
        plan.place,
        Ok(Place::Container {
            rebuild_builder: true,
            ..
        })
    );
    let given = &plan.given;
    if let Some(flag) = build_anyway(given.core.force, rebuild_builder, given.reproducible) {
        return Err(Stale::Asked(flag));
    }
    check(plan, packed, inputs, &builder_now(plan, ws, inputs))
}

/// Why the builder of this plan cannot be known without building.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UnknownBuilder(pub String);

/// Why the published outputs are not this build's: each says it after "the output directory".
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Stale {
    /// A flag asks for a new build (`build_anyway`).
    Asked(&'static str),
    NoOutputs,
    Unreadable(String),
    /// What differs: the parts of `differences`, and the builder with why.
    Differs(Vec<String>),
    /// Artifacts the manifest lists that are gone or of another size.
    Missing(Vec<String>),
}

impl std::fmt::Display for Stale {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Stale::Asked(flag) => write!(f, "is not compared ({flag})"),
            Stale::NoOutputs => write!(f, "holds no RPMs"),
            Stale::Unreadable(why) => write!(f, "has a manifest that cannot be read ({why})"),
            Stale::Differs(what) => {
                write!(f, "holds other outputs (different: {})", what.join(", "))
            }
            Stale::Missing(paths) => write!(
                f,
                "lacks or has changed {} of its outputs ({})",
                paths.len(),
                paths.join(", ")
            ),
        }
    }
}

/// Whether the builder a manifest names (`native` or `container <tag>`) is the one this build
/// would use. A builder that cannot be known here is never the same: packages made elsewhere
/// are not this build's.
fn same_builder(recorded: &str, now: &Result<String, UnknownBuilder>) -> bool {
    now.as_deref().is_ok_and(|now| now == recorded)
}

/// Whether the xtask a manifest names is this one. One whose executable could not be read is
/// never the same.
fn same_xtask(recorded: &str, now: &str) -> bool {
    recorded == now && now != "unknown"
}

/// The builder this plan would use, as the manifest names it; or why it cannot be known
/// without building (no engine or rpmbuild, or a base image that is not here).
fn builder_now(
    plan: &Plan,
    ws: &Workspace,
    inputs: &BuildInputs,
) -> Result<String, UnknownBuilder> {
    let unknown = |why: String| Err(UnknownBuilder(why));
    match plan.place.as_ref() {
        Err(why) => unknown(format!("nothing here builds: {why}")),
        Ok(Place::Native { .. }) => Ok(crate::rpmbuild::host::identity()),
        Ok(Place::Container {
            engine, base_image, ..
        }) => {
            let dockerfile =
                spec::locate_file(builder::DOCKERFILE, None, None, &inputs.tree.root, &ws.root)
                    .map_err(|e| UnknownBuilder(format!("{e:#}")))?;
            match builder::expected_tag(engine, &dockerfile.path, &inputs.spec.path, base_image) {
                Ok(Some(tag)) => match engine.image_id(&tag) {
                    Ok(Some(id)) => Ok(crate::rpmbuild::container_builder(&tag, &id)),
                    Ok(None) => unknown(format!("the builder {tag} is not made yet")),
                    Err(e) => unknown(format!("{e:#}")),
                },
                Ok(None) => unknown(format!(
                    "the base image {base_image} is not on this machine, so the builder it makes \
                     is not known"
                )),
                Err(e) => unknown(format!("{e:#}")),
            }
        }
    }
}

/// The published manifest in the plan's output directory when it is this build's, else why not.
pub fn check(
    plan: &Plan,
    packed: &Packed,
    inputs: &BuildInputs,
    builder: &Result<String, UnknownBuilder>,
) -> Result<Manifest, Stale> {
    let out = &plan.out;
    let path = out.join(MANIFEST);
    let Ok(text) = std::fs::read_to_string(&path) else {
        return Err(Stale::NoOutputs);
    };
    let manifest = Manifest::from_json(&text).map_err(|e| Stale::Unreadable(format!("{e:#}")))?;
    let mut differ: Vec<String> = manifest
        .differences(&super::manifest::Next {
            plan,
            packed,
            inputs,
        })
        .into_iter()
        .map(str::to_string)
        .collect();
    if !same_builder(&manifest.builder, builder) {
        differ.push(match builder {
            Ok(_) => "builder".to_string(),
            Err(UnknownBuilder(why)) => format!("builder ({why})"),
        });
    }
    if !same_xtask(&manifest.xtask, &crate::infra::workspace::xtask_identity()) {
        differ.push("xtask".to_string());
    }
    if !differ.is_empty() {
        return Err(Stale::Differs(differ));
    }
    let missing: Vec<String> = manifest
        .artifacts
        .iter()
        .filter(|a| {
            let path = out.join(&a.path);
            let same_size = std::fs::metadata(&path).is_ok_and(|m| m.len() == a.size);
            !same_size
                || crate::infra::digest::sha256_of_file(&path).map_or(true, |sha| sha != a.sha256)
        })
        .map(|a| a.path.clone())
        .collect();
    if !missing.is_empty() {
        return Err(Stale::Missing(missing));
    }
    Ok(manifest)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn what_builds_without_comparing() {
        // (force, rebuild builder, check reproducible) -> the flag said
        let cases = [
            ((false, false, false), None),
            ((true, false, false), Some("--force")),
            ((false, true, false), Some("--rebuild-builder")),
            ((false, false, true), Some("--check-reproducible")),
            ((true, true, true), Some("--force")),
            ((false, true, true), Some("--rebuild-builder")),
        ];
        for ((f, r, c), want) in cases {
            assert_eq!(build_anyway(f, r, c), want, "{f} {r} {c}");
        }
        assert_eq!(
            Stale::Asked("--force").to_string(),
            "is not compared (--force)"
        );
        assert_eq!(
            compared(),
            "source archive, spec, version, bundled sources, sound sets, options, signing key, \
             builder and xtask"
        );
    }

    #[test]
    fn xtasks() {
        for (recorded, now, want) in [
            ("0.1.0 0123456789abcdef", "0.1.0 0123456789abcdef", true),
            ("0.1.0 0123456789abcdef", "0.1.0 fedcba9876543210", false),
            ("0.1.0 0123456789abcdef", "0.2.0 0123456789abcdef", false),
            ("unknown", "unknown", false),
        ] {
            assert_eq!(same_xtask(recorded, now), want, "{recorded} {now}");
        }
        let this = crate::infra::workspace::xtask_identity();
        assert!(
            this.starts_with(concat!(env!("CARGO_PKG_VERSION"), " ")) && this.len() > 16,
            "{this}"
        );
    }

    #[test]
    fn builders() {
        let known = |b: &str| Ok::<String, UnknownBuilder>(b.to_string());
        let unknown = Err::<String, UnknownBuilder>(UnknownBuilder(
            "the base image x is not on this machine".into(),
        ));
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
