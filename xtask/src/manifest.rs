//! NAME
//!     manifest: `manifest.json`, what a build published, for CI and for `cargo xtask image`.
//!
//! DESCRIPTION
//!     Name, version, release, the Asterisk version, the source date, what the RPMs were built
//!     from (the spec's and the archive's sha256, the revision), every artifact with its path
//!     (relative to the output directory), kind and sha256, and the image built from them.

use anyhow::{Context, Result};

use crate::json::{self, Json};

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    Rpm,
    Srpm,
    Source,
}

impl Kind {
    pub fn as_str(self) -> &'static str {
        match self {
            Kind::Rpm => "rpm",
            Kind::Srpm => "srpm",
            Kind::Source => "source",
        }
    }

    fn parse(s: &str) -> Option<Kind> {
        [Kind::Rpm, Kind::Srpm, Kind::Source]
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
    pub spec: String,
    pub spec_sha256: String,
    pub builder: String,
    pub artifacts: Vec<Artifact>,
    pub image: Option<ImageRecord>,
}

fn s(v: &str) -> Json {
    Json::String(v.to_string())
}

fn n(v: i64) -> Json {
    Json::Number(v as f64)
}

impl Manifest {
    /// The source archive's artifact.
    pub fn source(&self) -> Option<&Artifact> {
        self.artifacts.iter().find(|a| a.kind == Kind::Source)
    }

    pub fn to_json(&self) -> String {
        let artifacts = self
            .artifacts
            .iter()
            .map(|a| {
                Json::Object(vec![
                    ("path".into(), s(&a.path)),
                    ("kind".into(), s(a.kind.as_str())),
                    ("sha256".into(), s(&a.sha256)),
                    ("size".into(), n(a.size as i64)),
                ])
            })
            .collect();
        let mut fields = vec![
            ("schema".to_string(), n(1)),
            ("name".into(), s(&self.name)),
            ("version".into(), s(&self.version)),
            ("release".into(), s(&self.release)),
            ("spec_release".into(), s(&self.spec_release)),
            ("asterisk_version".into(), s(&self.asterisk_version)),
            ("source_date_epoch".into(), n(self.source_date_epoch)),
            ("revision".into(), s(&self.revision)),
            ("spec".into(), s(&self.spec)),
            ("spec_sha256".into(), s(&self.spec_sha256)),
            ("builder".into(), s(&self.builder)),
            ("artifacts".into(), Json::Array(artifacts)),
        ];
        if let Some(image) = &self.image {
            fields.push((
                "image".into(),
                Json::Object(vec![
                    ("id".into(), s(&image.id)),
                    (
                        "tags".into(),
                        Json::Array(image.tags.iter().map(|t| s(t)).collect()),
                    ),
                    ("size".into(), n(image.size as i64)),
                    ("runtime_base".into(), s(&image.runtime_base)),
                ]),
            ));
        }
        Json::Object(fields).to_pretty()
    }

    pub fn from_json(text: &str) -> Result<Manifest> {
        let v = json::parse(text)?;
        match v.get("schema").and_then(Json::as_i64) {
            Some(1) => {}
            Some(n) => anyhow::bail!("schema {n}, not 1"),
            None => anyhow::bail!("no \"schema\""),
        }
        let artifacts = v
            .get("artifacts")
            .and_then(Json::as_array)
            .context("no \"artifacts\" list")?
            .iter()
            .map(|a| {
                Ok(Artifact {
                    path: a.str_field("path")?,
                    kind: Kind::parse(&a.str_field("kind")?).context("unknown artifact kind")?,
                    sha256: a.str_field("sha256")?,
                    size: a.get("size").and_then(Json::as_i64).unwrap_or(0) as u64,
                })
            })
            .collect::<Result<Vec<_>>>()?;
        let image = match v.get("image") {
            Some(i) => Some(ImageRecord {
                id: i.str_field("id")?,
                tags: i
                    .get("tags")
                    .and_then(Json::as_array)
                    .unwrap_or(&[])
                    .iter()
                    .filter_map(|t| t.as_str().map(str::to_string))
                    .collect(),
                size: i.get("size").and_then(Json::as_i64).unwrap_or(0) as u64,
                runtime_base: i.str_field("runtime_base").unwrap_or_default(),
            }),
            None => None,
        };
        Ok(Manifest {
            name: v.str_field("name")?,
            version: v.str_field("version")?,
            release: v.str_field("release")?,
            spec_release: v.str_field("spec_release").unwrap_or_default(),
            asterisk_version: v.str_field("asterisk_version")?,
            source_date_epoch: v
                .get("source_date_epoch")
                .and_then(Json::as_i64)
                .context("no \"source_date_epoch\"")?,
            revision: v.str_field("revision").unwrap_or_default(),
            spec: v.str_field("spec")?,
            spec_sha256: v.str_field("spec_sha256").unwrap_or_default(),
            builder: v.str_field("builder").unwrap_or_default(),
            artifacts,
            image,
        })
    }
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
            spec: "contrib/rpm/asterisk.spec".into(),
            spec_sha256: "ff".into(),
            builder: "native".into(),
            artifacts: vec![Artifact {
                path: "SRPMS/a.src.rpm".into(),
                kind: Kind::Srpm,
                sha256: "ab".into(),
                size: 3,
            }],
            image: None,
        }
    }

    #[test]
    fn manifest_shape() {
        let json = sample().to_json();
        assert!(json.contains("  \"source_date_epoch\": 42,\n"), "{json}");
        assert!(
            json.contains(
                r#"{"path": "SRPMS/a.src.rpm", "kind": "srpm", "sha256": "ab", "size": 3}"#
            ),
            "{json}"
        );
        assert!(json.ends_with("]\n}\n"), "{json}");
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
    }
}
