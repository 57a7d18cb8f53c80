//! `manifest.json`: what a build published, for CI and for `cargo xtask image`.
//!
//! Name, version, release, the Asterisk version, the source date, what the RPMs were built from
//! (the spec's and the archive's sha256, the revision), every artifact with its path (relative
//! to the output directory), kind, sha256 and size, and the image built from them.

use anyhow::{bail, Context, Result};
use serde_json::{json, Value};

use super::options::Options;
use super::Start;
use crate::source::pack::Packed;

/// What the manifest of a build of `packed` says before rpmbuild's packages are read: the
/// name, version and release as given to the spec, no artifacts.
pub fn of(packed: &Packed, start: &Start, builder: String) -> Manifest {
    Manifest {
        name: "asterisk".into(),
        version: packed.rpm.version.clone(),
        release: packed.rpm.release.clone(),
        spec_release: packed.rpm.release.clone(),
        asterisk_version: packed.asterisk_version.clone(),
        source_date_epoch: packed.source_date,
        revision: packed.revision.clone(),
        tree_digest: packed.tree_digest.clone(),
        dirty_time: packed.dirty_time,
        spec: start.spec.path.to_string(),
        spec_sha256: start.spec_sha256.clone(),
        builder,
        artifacts: Vec::new(),
        bundled: start
            .bundled
            .iter()
            .map(|f| Bundled {
                name: f.tarball.name.clone(),
                version: f.tarball.version.clone(),
                url: f.tarball.url.clone(),
                md5: f.tarball.md5.clone(),
                sha256: f.sha256.clone(),
            })
            .collect(),
        bundled_note: if start.bundled.is_empty() {
            WITHOUT_PJPROJECT.into()
        } else {
            String::new()
        },
        sounds: start
            .sounds
            .iter()
            .map(|s| (s.name.clone(), s.version.clone(), s.package.clone()))
            .collect(),
        options: OptionsRecord::of(&start.options),
        signed_by: start
            .signer
            .as_ref()
            .map(|s| (s.key.clone(), s.fingerprint.clone())),
        modules: Vec::new(),
        left_out: Vec::new(),
        image: None,
    }
}

/// The choices a build was made with, as the manifest keeps them.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct OptionsRecord {
    pub dev: bool,
    /// `--enable app_skel`, ..., after the spec's own choices.
    pub menuselect: Vec<String>,
    pub menuselect_file_sha256: Option<String>,
    pub configure_args: Vec<String>,
    /// The optional libraries configure went without.
    pub libraries_left_out: Vec<String>,
    /// Libraries built with because a selected module needs them.
    pub libraries_named: Vec<String>,
    /// The sha256 of the choices: what a reuse compares.
    pub digest: String,
    /// The sha256 of the effective menuselect.makeopts and configure arguments (the image's
    /// org.asterisk.build.options label).
    pub effective_sha256: String,
}

impl OptionsRecord {
    pub fn of(o: &Options) -> OptionsRecord {
        OptionsRecord {
            dev: o.dev,
            menuselect: o
                .choices
                .iter()
                .map(|c| format!("{} {}", c.flag(), c.name()))
                .collect(),
            menuselect_file_sha256: o.menuselect_file.as_ref().map(|(_, sha)| sha.clone()),
            configure_args: o.configure_args.clone(),
            libraries_left_out: o.left_out.iter().map(|l| l.var.clone()).collect(),
            libraries_named: o.named_libraries.clone(),
            digest: o.digest(),
            effective_sha256: String::new(),
        }
    }

    fn to_json(&self) -> Value {
        json!({
            "dev": self.dev,
            "menuselect": self.menuselect,
            "menuselect_file_sha256": self.menuselect_file_sha256,
            "configure_args": self.configure_args,
            "libraries_left_out": self.libraries_left_out,
            "libraries_named": self.libraries_named,
            "digest": self.digest,
            "effective_sha256": self.effective_sha256,
        })
    }

    fn from_json(v: &Value) -> OptionsRecord {
        let list = |key: &str| -> Vec<String> {
            v.get(key)
                .and_then(Value::as_array)
                .map(|l| {
                    l.iter()
                        .filter_map(|x| x.as_str().map(str::to_string))
                        .collect()
                })
                .unwrap_or_default()
        };
        OptionsRecord {
            dev: v.get("dev").and_then(Value::as_bool).unwrap_or(false),
            menuselect: list("menuselect"),
            menuselect_file_sha256: text_of(v, "menuselect_file_sha256").ok(),
            configure_args: list("configure_args"),
            libraries_left_out: list("libraries_left_out"),
            libraries_named: list("libraries_named"),
            digest: text_of(v, "digest").unwrap_or_default(),
            effective_sha256: text_of(v, "effective_sha256").unwrap_or_default(),
        }
    }
}

/// What differs between the build a manifest records and this one: the bundled sources, the
/// archive's bytes, the spec, the version, the options, the signing key. Empty: the same.
pub fn differences(manifest: &Manifest, packed: &Packed, start: &Start) -> Vec<&'static str> {
    let bundled: Vec<(&str, &str)> = start
        .bundled
        .iter()
        .map(|f| (f.tarball.name.as_str(), f.sha256.as_str()))
        .collect();
    let recorded: Vec<(&str, &str)> = manifest
        .bundled
        .iter()
        .map(|b| (b.name.as_str(), b.sha256.as_str()))
        .collect();
    let mut out = Vec::new();
    if manifest.source().map(|a| a.sha256.as_str()) != Some(packed.archive_sha256.as_str()) {
        out.push("source archive");
    }
    if bundled != recorded {
        out.push("bundled sources");
    }
    if manifest.spec_sha256 != start.spec_sha256 {
        out.push("spec");
    }
    let sounds: Vec<(&str, &str)> = start
        .sounds
        .iter()
        .map(|s| (s.name.as_str(), s.version.as_str()))
        .collect();
    let recorded_sounds: Vec<(&str, &str)> = manifest
        .sounds
        .iter()
        .map(|(name, version, _)| (name.as_str(), version.as_str()))
        .collect();
    if sounds != recorded_sounds {
        out.push("sound sets");
    }
    if manifest.version != packed.rpm.version || manifest.spec_release != packed.rpm.release {
        out.push("version");
    }
    if manifest.options.digest != start.options.digest() {
        out.push("options");
    }
    if manifest.signed_by.as_ref().map(|(k, _)| k.as_str())
        != start.signer.as_ref().map(|s| s.key.as_str())
    {
        out.push("signing key");
    }
    out
}

/// Whether the RPMs a manifest describes were built from exactly this.
pub fn describes(manifest: &Manifest, packed: &Packed, start: &Start) -> bool {
    differences(manifest, packed, start).is_empty()
}

/// The manifest's format; a manifest of another schema is not this tool's.
pub const SCHEMA: i64 = 1;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    Rpm,
    Srpm,
    Source,
    /// The build's record: the effective menuselect.makeopts, configure arguments, modules
    /// left out.
    BuildInfo,
    /// Unit test results (JUnit XML) that `smoke --unit-tests` wrote.
    UnitTests,
    /// The SPDX 2.3 document of the build.
    Sbom,
}

impl Kind {
    pub fn as_str(self) -> &'static str {
        match self {
            Kind::Rpm => "rpm",
            Kind::Srpm => "srpm",
            Kind::Source => "source",
            Kind::BuildInfo => "build-info",
            Kind::UnitTests => "unit-tests",
            Kind::Sbom => "sbom",
        }
    }

    fn parse(s: &str) -> Option<Kind> {
        [
            Kind::Rpm,
            Kind::Srpm,
            Kind::Source,
            Kind::BuildInfo,
            Kind::UnitTests,
            Kind::Sbom,
        ]
        .into_iter()
        .find(|k| k.as_str() == s)
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Artifact {
    pub path: String,
    pub kind: Kind,
    pub sha256: String,
    pub size: u64,
}

/// A third-party source the packages bundle.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Bundled {
    pub name: String,
    pub version: String,
    pub url: String,
    pub md5: String,
    pub sha256: String,
}

/// Why `bundled` is empty, when it is.
pub const WITHOUT_PJPROJECT: &str =
    "built --without-pjproject: no res_pjsip modules, no chan_pjsip";

/// The image `cargo xtask image` built from the RPMs.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ImageRecord {
    pub id: String,
    pub tags: Vec<String>,
    pub size: u64,
    pub runtime_base: String,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Manifest {
    pub name: String,
    pub version: String,
    pub release: String,
    /// The Release the spec was given, before `%{?dist}`.
    pub spec_release: String,
    pub asterisk_version: String,
    pub source_date_epoch: i64,
    /// The commit (with `-dirty` when the tree differs from it), or empty without git.
    pub revision: String,
    /// What was packed, summed up (empty for a tree without git).
    pub tree_digest: String,
    /// A dirty tree's Release time (`1.dirty.<this>`).
    pub dirty_time: Option<i64>,
    pub spec: String,
    pub spec_sha256: String,
    pub builder: String,
    pub artifacts: Vec<Artifact>,
    /// The third-party sources inside the packages (pjproject); empty with `bundled_note` saying
    /// why.
    pub bundled: Vec<Bundled>,
    pub bundled_note: String,
    /// The sound sets packaged: (menuselect name, version, subpackage).
    pub sounds: Vec<(String, String, String)>,
    pub options: OptionsRecord,
    /// (key id as given, fingerprint) when the packages were signed (`--sign`).
    pub signed_by: Option<(String, String)>,
    /// The modules in the main package.
    pub modules: Vec<String>,
    /// (module, why) for each module the build left out.
    pub left_out: Vec<(String, String)>,
    pub image: Option<ImageRecord>,
}

impl Manifest {
    /// The source archive's artifact.
    pub fn source(&self) -> Option<&Artifact> {
        self.artifacts.iter().find(|a| a.kind == Kind::Source)
    }

    /// Writes the manifest to `path` in one step (a temporary file renamed over it).
    pub fn write(&self, path: &camino::Utf8Path) -> Result<()> {
        let tmp = camino::Utf8PathBuf::from(format!("{path}.tmp-{}", std::process::id()));
        std::fs::write(&tmp, self.to_json()).with_context(|| format!("writing {tmp}"))?;
        std::fs::rename(&tmp, path).with_context(|| format!("replacing {path}"))?;
        Ok(())
    }

    pub fn to_json(&self) -> String {
        let artifacts: Vec<Value> = self
            .artifacts
            .iter()
            .map(|a| {
                json!({
                    "path": a.path,
                    "kind": a.kind.as_str(),
                    "sha256": a.sha256,
                    "size": a.size,
                })
            })
            .collect();
        let mut m = json!({
            "schema": SCHEMA,
            "name": self.name,
            "version": self.version,
            "release": self.release,
            "spec_release": self.spec_release,
            "asterisk_version": self.asterisk_version,
            "source_date_epoch": self.source_date_epoch,
            "revision": self.revision,
            "tree_digest": self.tree_digest,
            "dirty_time": self.dirty_time,
            "spec": self.spec,
            "spec_sha256": self.spec_sha256,
            "builder": self.builder,
            "artifacts": artifacts,
            "bundled": self.bundled.iter().map(|b| json!({
                "name": b.name,
                "version": b.version,
                "url": b.url,
                "md5": b.md5,
                "sha256": b.sha256,
            })).collect::<Vec<Value>>(),
        });
        m["sounds"] = self
            .sounds
            .iter()
            .map(|(name, version, package)| json!({"name": name, "version": version, "package": package}))
            .collect::<Vec<Value>>()
            .into();
        if !self.bundled_note.is_empty() {
            m["bundled_note"] = json!(self.bundled_note);
        }
        m["options"] = self.options.to_json();
        if let Some((key, fingerprint)) = &self.signed_by {
            m["signed_by"] = json!({"key": key, "fingerprint": fingerprint});
        }
        m["modules"] = json!(self.modules);
        m["left_out"] = self
            .left_out
            .iter()
            .map(|(name, why)| json!({"name": name, "why": why}))
            .collect::<Vec<Value>>()
            .into();
        if let Some(image) = &self.image {
            m["image"] = json!({
                "id": image.id,
                "tags": image.tags,
                "size": image.size,
                "runtime_base": image.runtime_base,
            });
        }
        let mut text = serde_json::to_string_pretty(&m).unwrap_or_default();
        text.push('\n');
        text
    }

    pub fn from_json(text: &str) -> Result<Manifest> {
        let v: Value = serde_json::from_str(text).context("not JSON")?;
        match v.get("schema").and_then(Value::as_i64) {
            Some(SCHEMA) => {}
            Some(n) => bail!("schema {n}, not {SCHEMA}"),
            None => bail!("no \"schema\""),
        }
        let artifacts = v
            .get("artifacts")
            .and_then(Value::as_array)
            .context("no \"artifacts\" list")?
            .iter()
            .map(|a| {
                Ok(Artifact {
                    path: text_of(a, "path")?,
                    kind: Kind::parse(&text_of(a, "kind")?).context("unknown artifact kind")?,
                    sha256: text_of(a, "sha256")?,
                    size: a
                        .get("size")
                        .and_then(Value::as_u64)
                        .context("an artifact without \"size\"")?,
                })
            })
            .collect::<Result<Vec<_>>>()?;
        let bundled = match v.get("bundled").and_then(Value::as_array) {
            Some(list) => list
                .iter()
                .map(|b| {
                    Ok(Bundled {
                        name: text_of(b, "name")?,
                        version: text_of(b, "version")?,
                        url: text_of(b, "url").unwrap_or_default(),
                        md5: text_of(b, "md5")?,
                        sha256: text_of(b, "sha256")?,
                    })
                })
                .collect::<Result<Vec<_>>>()?,
            None => Vec::new(),
        };
        let image = match v.get("image") {
            Some(i) => Some(ImageRecord {
                id: text_of(i, "id")?,
                tags: i
                    .get("tags")
                    .and_then(Value::as_array)
                    .map(|tags| {
                        tags.iter()
                            .filter_map(|t| t.as_str().map(str::to_string))
                            .collect()
                    })
                    .unwrap_or_default(),
                size: i.get("size").and_then(Value::as_u64).unwrap_or(0),
                runtime_base: text_of(i, "runtime_base").unwrap_or_default(),
            }),
            None => None,
        };
        Ok(Manifest {
            name: text_of(&v, "name")?,
            version: text_of(&v, "version")?,
            release: text_of(&v, "release")?,
            spec_release: text_of(&v, "spec_release").unwrap_or_default(),
            asterisk_version: text_of(&v, "asterisk_version")?,
            source_date_epoch: v
                .get("source_date_epoch")
                .and_then(Value::as_i64)
                .context("no \"source_date_epoch\"")?,
            revision: text_of(&v, "revision").unwrap_or_default(),
            tree_digest: text_of(&v, "tree_digest").unwrap_or_default(),
            dirty_time: v.get("dirty_time").and_then(Value::as_i64),
            spec: text_of(&v, "spec")?,
            spec_sha256: text_of(&v, "spec_sha256").unwrap_or_default(),
            builder: text_of(&v, "builder").unwrap_or_default(),
            artifacts,
            bundled,
            bundled_note: text_of(&v, "bundled_note").unwrap_or_default(),
            sounds: v
                .get("sounds")
                .and_then(Value::as_array)
                .map(|list| {
                    list.iter()
                        .filter_map(|s| {
                            Some((
                                text_of(s, "name").ok()?,
                                text_of(s, "version").ok()?,
                                text_of(s, "package").ok()?,
                            ))
                        })
                        .collect()
                })
                .unwrap_or_default(),
            options: v
                .get("options")
                .map(OptionsRecord::from_json)
                .unwrap_or_default(),
            signed_by: v
                .get("signed_by")
                .and_then(|s| Some((text_of(s, "key").ok()?, text_of(s, "fingerprint").ok()?))),
            modules: v
                .get("modules")
                .and_then(Value::as_array)
                .map(|l| {
                    l.iter()
                        .filter_map(|x| x.as_str().map(str::to_string))
                        .collect()
                })
                .unwrap_or_default(),
            left_out: v
                .get("left_out")
                .and_then(Value::as_array)
                .map(|l| {
                    l.iter()
                        .filter_map(|x| {
                            Some((
                                text_of(x, "name").ok()?,
                                text_of(x, "why").unwrap_or_default(),
                            ))
                        })
                        .collect()
                })
                .unwrap_or_default(),
            image,
        })
    }
}

/// The string field `key` of a JSON object.
fn text_of(v: &Value, key: &str) -> Result<String> {
    v.get(key)
        .and_then(Value::as_str)
        .map(str::to_string)
        .with_context(|| format!("no \"{key}\" string"))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sample() -> Manifest {
        Manifest {
            name: "asterisk".into(),
            version: "22.1.0".into(),
            release: "1".into(),
            spec_release: "1".into(),
            asterisk_version: "22.1.0".into(),
            source_date_epoch: 42,
            revision: "abc-dirty".into(),
            tree_digest: "ab".repeat(32),
            dirty_time: Some(1_790_000_000),
            spec: "contrib/rpm/asterisk.spec".into(),
            spec_sha256: "ff".into(),
            builder: "native".into(),
            artifacts: vec![Artifact {
                path: "SRPMS/a.src.rpm".into(),
                kind: Kind::Srpm,
                sha256: "ab".into(),
                size: 3,
            }],
            bundled: vec![Bundled {
                name: "pjproject".into(),
                version: "2.17".into(),
                url: "https://example.org/pjproject-2.17.tar.bz2".into(),
                md5: "baacc87418a95107657039269bc71538".into(),
                sha256: "cd".into(),
            }],
            bundled_note: String::new(),
            sounds: vec![(
                "MOH-OPSOUND-WAV".into(),
                "2.03".into(),
                "asterisk-moh-opsound-wav".into(),
            )],
            options: OptionsRecord {
                dev: true,
                menuselect: vec!["--enable app_skel".into()],
                menuselect_file_sha256: Some("ee".into()),
                configure_args: vec!["--with-x=a b".into()],
                libraries_left_out: vec!["PGSQL".into()],
                libraries_named: vec![],
                digest: "dd".into(),
                effective_sha256: "ef".into(),
            },
            signed_by: Some(("t@x".into(), "AB12".into())),
            modules: vec!["app_skel".into(), "res_mini".into()],
            left_out: vec![(
                "cdr_pgsql".into(),
                "pgsql (a library this spec does not build with)".into(),
            )],
            image: None,
        }
    }

    #[test]
    fn manifest_shape() {
        let v: Value = serde_json::from_str(&sample().to_json()).unwrap();
        assert_eq!(v["schema"], 1);
        assert_eq!(v["source_date_epoch"], 42);
        assert_eq!(
            v["artifacts"][0],
            json!({"path": "SRPMS/a.src.rpm", "kind": "srpm", "sha256": "ab", "size": 3})
        );
        // Sizes past 2^53 stay exact: integers, not floats.
        let mut big = sample();
        big.artifacts[0].size = (1 << 60) + 1;
        assert_eq!(Manifest::from_json(&big.to_json()).unwrap(), big);
    }

    #[test]
    fn manifest_round_trips() {
        let mut m = sample();
        assert_eq!(Manifest::from_json(&m.to_json()).unwrap(), m);
        m.image = Some(ImageRecord {
            id: "sha256:1".into(),
            tags: vec!["asterisk:22.1.0-1".into(), "asterisk:dev".into()],
            size: 9,
            runtime_base: "almalinux:9-minimal".into(),
        });
        assert_eq!(Manifest::from_json(&m.to_json()).unwrap(), m);
        assert!(Manifest::from_json("{}").is_err());
        let other = sample().to_json().replace("\"schema\": 1", "\"schema\": 2");
        assert!(Manifest::from_json(&other)
            .unwrap_err()
            .to_string()
            .contains("schema 2"));
    }
}
