//! `manifest.json`: what a build published, for CI and for every later stage (`image`, `smoke`,
//! up to date, the next publish).
//!
//! Written and read through its types, with an explicit schema (`SCHEMA`): every field is
//! written (null or empty when there is nothing), and reading one that is missing or of another
//! type is an error that names it. A manifest of an older schema is not read as this one; its
//! artifact list alone is read, on purpose, so that the directory it describes stays an earlier
//! output that a build may replace (`listed_artifacts`). Each concern writes, reads and compares
//! its own record (`infra::record::Record`), and `records!` lists them, one line each: the
//! bundled sources (`bundled::BundledRecord`), the sound sets (`bundled::sounds`), the choices
//! (`rpmbuild::options::OptionsRecord`), the signer (`plan::sign::SignedBy`). The image's record
//! (`ImageRecord`) is written by `image`.

use crate::infra::json::{json, Value};
use anyhow::{bail, Context, Result};

use crate::bundled::{self, sounds};
use crate::infra::json;
use crate::infra::record::Record;
use crate::plan::Plan;
use crate::rpmbuild::{options, subpackages, BuildInputs};
use crate::source::pack::Packed;

/// The build a record is made of, or compared with: the plan, the packed tree, the inputs.
#[derive(Clone, Copy)]
pub struct Next<'a> {
    pub plan: &'a Plan,
    pub packed: &'a Packed,
    pub inputs: &'a BuildInputs,
}

/// The concerns' records, one line each: the field, its type (a `Record`), and how the build
/// `Next` makes it. Declares `Records`, which the manifest writes, reads and compares field by
/// field, in this order.
macro_rules! records {
    ($($field:ident: $ty:ty = $next:expr,)*) => {
        /// Each concern's record (see `records!`); the default is a build with none of them.
        #[derive(Debug, Clone, Default, PartialEq, Eq)]
        pub struct Records {
            $(pub $field: $ty,)*
        }

        impl Records {
            /// What each record calls itself when it differs, in order.
            pub const LABELS: &'static [&'static str] = &[$(<$ty as Record>::LABEL,)*];

            /// The records the build `next` makes.
            pub fn of(next: &Next) -> Records {
                Records {
                    $($field: {
                        let make: fn(&Next) -> $ty = $next;
                        make(next)
                    },)*
                }
            }

            fn write(&self) -> Vec<(&'static str, Value)> {
                let mut fields = Vec::new();
                $(fields.extend(self.$field.write());)*
                fields
            }

            fn read(doc: &Value) -> Result<Records> {
                Ok(Records { $($field: <$ty as Record>::read(doc)?,)* })
            }

            /// The labels of the records that differ from `next`'s.
            fn differences(&self, next: &Records) -> Vec<&'static str> {
                let mut differ = Vec::new();
                $(if !self.$field.same(&next.$field) {
                    differ.push(<$ty as Record>::LABEL);
                })*
                differ
            }
        }
    };
}

records! {
    bundled: bundled::BundledRecord = |n| bundled::BundledRecord::of(&n.inputs.bundled),
    sounds: Vec<sounds::SoundRecord> = |n| n.inputs.sounds.iter().map(|s| s.record()).collect(),
    options: options::OptionsRecord = |n| n.inputs.options.record(),
    signed_by: Option<crate::plan::sign::SignedBy> = |n| crate::plan::sign::record(&n.plan.given.sign, n.plan.sign.as_ref()),
}

pub const MANIFEST: &str = "manifest.json";

/// The manifest's format. 1: before 2026-12 (no tree digest, fields could be left out); 2:
/// before subpackages (`modules` were the main package's); 3: before the xtask's own identity;
/// 4: before each bundled source's file name.
const SCHEMA: i64 = 5;

/// What the manifest of the build `next` says before rpmbuild's packages are read: the name,
/// version and release as given to the spec, no artifacts.
pub fn of(next: &Next, builder: String) -> Manifest {
    let (packed, inputs) = (next.packed, next.inputs);
    Manifest {
        name: subpackages::MAIN.into(),
        version: packed.rpm.version.clone(),
        release: packed.rpm.release.clone(),
        spec_release: packed.rpm.release.clone(),
        asterisk_version: packed.asterisk_version.clone(),
        source_date_epoch: packed.source_date,
        revision: packed.revision.clone(),
        tree_digest: packed.tree_digest.clone(),
        dirty_time: packed.dirty_time,
        spec: inputs.spec.path.to_string(),
        spec_sha256: inputs.spec_sha256.clone(),
        builder,
        xtask: crate::infra::workspace::xtask_identity(),
        artifacts: Vec::new(),
        records: Records::of(next),
        modules: Vec::new(),
        packages: Vec::new(),
        left_out: Vec::new(),
        image: None,
    }
}

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
    /// The build's SBOM: the SPDX 2.3 document and the CycloneDX 1.6 one.
    Sbom,
}

impl Kind {
    const ALL: [Kind; 6] = [
        Kind::Rpm,
        Kind::Srpm,
        Kind::Source,
        Kind::BuildInfo,
        Kind::UnitTests,
        Kind::Sbom,
    ];

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

    fn parse(s: &str) -> Result<Kind> {
        Kind::ALL
            .into_iter()
            .find(|k| k.as_str() == s)
            .with_context(|| format!("unknown artifact kind \"{s}\""))
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Artifact {
    pub path: String,
    pub kind: Kind,
    pub sha256: String,
    pub size: u64,
}

impl Artifact {
    /// The artifact `path` (relative to the output directory) of the file `file`: its SHA-256
    /// and size, read.
    pub fn of(file: &camino::Utf8Path, path: String, kind: Kind) -> Result<Artifact> {
        Ok(Artifact {
            path,
            kind,
            sha256: crate::infra::digest::sha256_of_file(file)?,
            size: crate::infra::digest::size_of_file(file)?,
        })
    }

    fn to_json(&self) -> Value {
        json!({"path": self.path, "kind": self.kind.as_str(), "sha256": self.sha256, "size": self.size})
    }

    fn from_json(v: &Value) -> Result<Artifact> {
        Ok(Artifact {
            path: json::text(v, "path")?,
            kind: Kind::parse(&json::text(v, "kind")?)?,
            sha256: json::text(v, "sha256")?,
            size: json::uint(v, "size")?,
        })
    }
}

/// The image `cargo xtask image` built from the RPMs.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ImageRecord {
    pub id: String,
    pub tags: Vec<String>,
    pub size: u64,
    pub runtime_base: String,
    /// The packages it holds.
    pub packages: Vec<String>,
}

impl ImageRecord {
    fn to_json(&self) -> Value {
        json!({"id": self.id, "tags": self.tags, "size": self.size, "runtime_base": self.runtime_base, "packages": self.packages})
    }

    fn from_json(v: &Value) -> Result<ImageRecord> {
        Ok(ImageRecord {
            id: json::text(v, "id")?,
            tags: json::texts(v, "tags")?,
            size: json::uint(v, "size")?,
            runtime_base: json::text(v, "runtime_base")?,
            packages: json::texts(v, "packages")?,
        })
    }
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
    /// `native` or `container <builder tag>`: the place concern's record.
    pub builder: String,
    /// The xtask that built them (`xtask_identity`): another one may pack, render or build
    /// otherwise.
    pub xtask: String,
    pub artifacts: Vec<Artifact>,
    /// Each concern's record, written at the top level: the third-party sources inside the
    /// packages, the sound sets, the choices, the signer.
    pub records: Records,
    /// Every module the packages hold.
    pub modules: Vec<String>,
    /// Each binary package (not debuginfo) with its modules, published or not.
    pub packages: Vec<subpackages::PackageRecord>,
    /// (module, why) for each module the build left out.
    pub left_out: Vec<(String, String)>,
    pub image: Option<ImageRecord>,
}

/// What `differences` compares besides the concerns' records (`Records::LABELS`), which follow.
pub const COMPARED: [&str; 3] = ["source archive", "spec", "version"];

impl Manifest {
    /// What differs between the build this manifest records and the one `plan` would make of
    /// `packed` and `inputs`: the archive's bytes, the spec, the version, then each concern
    /// comparing its own record. Empty: the same. (The builder and the xtask are `uptodate`'s.)
    pub fn differences(&self, next: &Next) -> Vec<&'static str> {
        let packed = next.packed;
        // A dry run writes no archive: what it would pack (the tree's digest, the version and
        // the date, of which the archive's bytes are made) stands for its bytes.
        let archive = match packed.archive_sha256.is_empty() {
            false => {
                self.source().map(|a| a.sha256.as_str()) == Some(packed.archive_sha256.as_str())
            }
            true => {
                !packed.tree_digest.is_empty()
                    && self.tree_digest == packed.tree_digest
                    && self.asterisk_version == packed.asterisk_version
                    && self.source_date_epoch == packed.source_date
            }
        };
        let same = [
            archive,
            self.spec_sha256 == next.inputs.spec_sha256,
            self.version == packed.rpm.version && self.spec_release == packed.rpm.release,
        ];
        let mut differ: Vec<&'static str> = COMPARED
            .into_iter()
            .zip(same)
            .filter(|(_, same)| !same)
            .map(|(what, _)| what)
            .collect();
        differ.extend(self.records.differences(&Records::of(next)));
        differ
    }

    /// The main package's artifact (`subpackages::is_main`), when it was published.
    pub fn main_rpm(&self) -> Option<&Artifact> {
        let record = self
            .packages
            .iter()
            .find(|p| subpackages::is_main(&p.name))?;
        let path = record.path.as_deref()?;
        self.artifacts.iter().find(|a| a.path == path)
    }

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
        let m = json!({
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
            "xtask": self.xtask,
            "artifacts": self.artifacts.iter().map(Artifact::to_json).collect::<Vec<_>>(),
            "modules": self.modules,
            "packages": self.packages.iter().map(subpackages::PackageRecord::to_json).collect::<Vec<_>>(),
            "left_out": self.left_out.iter()
                .map(|(name, why)| json!({"name": name, "why": why}))
                .collect::<Vec<_>>(),
            "image": self.image.as_ref().map_or(Value::Null, ImageRecord::to_json),
        });
        let mut m = m;
        if let Some(map) = m.as_object_mut() {
            for (key, value) in self.records.write() {
                // A record's key is its own: one that took a core field's (or another
                // record's) would overwrite it, and the manifest would not read back.
                let taken = map.insert(key.to_string(), value);
                assert!(taken.is_none(), "the manifest's key {key} is written twice");
            }
        }
        let mut text = m.pretty();
        text.push('\n');
        text
    }

    pub fn from_json(text: &str) -> Result<Manifest> {
        let v: Value = json::parse(text).context("not JSON")?;
        match schema(&v)? {
            SCHEMA => {}
            n if n < SCHEMA => bail!(
                "schema {n}, from an older cargo xtask (this one writes {SCHEMA}): its packages \
                 are built again"
            ),
            n => bail!("schema {n}, from a newer cargo xtask (this one reads {SCHEMA})"),
        }
        Ok(Manifest {
            name: json::text(&v, "name")?,
            version: json::text(&v, "version")?,
            release: json::text(&v, "release")?,
            spec_release: json::text(&v, "spec_release")?,
            asterisk_version: json::text(&v, "asterisk_version")?,
            source_date_epoch: json::int(&v, "source_date_epoch")?,
            revision: json::text(&v, "revision")?,
            tree_digest: json::text(&v, "tree_digest")?,
            dirty_time: json::nullable(&v, "dirty_time", |x| {
                x.as_i64().context("not a whole number")
            })?,
            spec: json::text(&v, "spec")?,
            spec_sha256: json::text(&v, "spec_sha256")?,
            builder: json::text(&v, "builder")?,
            xtask: json::text(&v, "xtask")?,
            artifacts: json::list(&v, "artifacts", Artifact::from_json)?,
            records: Records::read(&v)?,
            modules: json::texts(&v, "modules")?,
            packages: json::list(&v, "packages", subpackages::PackageRecord::from_json)?,
            left_out: json::list(&v, "left_out", |x| {
                Ok((json::text(x, "name")?, json::text(x, "why")?))
            })?,
            image: json::nullable(&v, "image", ImageRecord::from_json)?,
        })
    }
}

fn schema(v: &Value) -> Result<i64> {
    json::int(v, "schema").context("not a manifest of cargo xtask")
}

/// The artifacts (path and size) a manifest of this schema or an older one lists: what makes
/// a directory an earlier output that a build may replace, whichever xtask wrote it.
pub fn listed_artifacts(text: &str) -> Result<Vec<(String, u64)>> {
    let v: Value = json::parse(text).context("not JSON")?;
    match schema(&v)? {
        1..=SCHEMA => json::list(&v, "artifacts", |a| {
            Ok((json::text(a, "path")?, json::uint(a, "size")?))
        }),
        n => bail!("schema {n}, which this cargo xtask does not know"),
    }
}

/// The tree digest and dirty Release time a manifest of this schema or an older one (from 2,
/// which has both) records: a later dirty Release must be above it, whichever xtask wrote it.
pub fn dirty_record(text: &str) -> Result<Option<(String, i64)>> {
    let v: Value = json::parse(text).context("not JSON")?;
    match schema(&v)? {
        2..=SCHEMA => {
            let digest = json::text(&v, "tree_digest")?;
            let time = json::nullable(&v, "dirty_time", |x| {
                x.as_i64().context("not a whole number")
            })?;
            Ok(time.map(|t| (digest, t)))
        }
        n => bail!("schema {n} records no tree digest"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    pub fn sample() -> Manifest {
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
            xtask: "0.1.0 0123456789abcdef".into(),
            artifacts: vec![Artifact {
                path: "SRPMS/a.src.rpm".into(),
                kind: Kind::Srpm,
                sha256: "ab".into(),
                size: 3,
            }],
            records: Records {
                bundled: bundled::BundledRecord {
                    sources: vec![bundled::Bundled {
                        tarball: crate::bundled::tarball::Tarball {
                            name: "pjproject".into(),
                            version: "2.17".into(),
                            file: "pjproject-2.17.tar.bz2".into(),
                            url: "https://example.org/pjproject-2.17.tar.bz2".into(),
                            md5: "baacc87418a95107657039269bc71538".into(),
                        },
                        sha256: "cd".into(),
                    }],
                    note: String::new(),
                },
                sounds: vec![sounds::SoundRecord {
                    name: "MOH-OPSOUND-WAV".into(),
                    version: "2.03".into(),
                    package: "asterisk-moh-opsound-wav".into(),
                }],
                options: options::OptionsRecord {
                    dev: true,
                    menuselect: vec!["--enable app_skel".into()],
                    menuselect_file_sha256: Some("ee".into()),
                    configure_args: vec!["--with-x=a b".into()],
                    libraries_left_out: vec!["PGSQL".into()],
                    libraries_named: vec![],
                    libraries_without: vec!["PGSQL".into()],
                    digest: "dd".into(),
                    effective_sha256: "ef".into(),
                },
                signed_by: Some(crate::plan::sign::SignedBy {
                    key: "t@x".into(),
                    fingerprint: "AB12".into(),
                }),
            },
            modules: vec!["app_skel".into(), "res_mini".into()],
            packages: vec![subpackages::PackageRecord {
                name: "asterisk-postgresql".into(),
                path: None,
                modules: vec![],
                requires: vec![],
                conflicts: vec![],
                note: "not published: nothing of it was built".into(),
            }],
            left_out: vec![(
                "cdr_pgsql".into(),
                "pgsql (a library this spec does not build with)".into(),
            )],
            image: None,
        }
    }

    #[test]
    fn the_main_package_is_the_record_named_main() {
        let record = |name: &str, path: Option<&str>| subpackages::PackageRecord {
            name: name.into(),
            path: path.map(str::to_string),
            modules: vec![],
            requires: vec![],
            conflicts: vec![],
            note: String::new(),
        };
        let artifact = |path: &str| Artifact {
            path: path.into(),
            kind: Kind::Rpm,
            sha256: "ab".into(),
            size: 1,
        };
        let main = "RPMS/x86_64/asterisk-22.1.0-1.x86_64.rpm";
        let devel = "RPMS/x86_64/asterisk-devel-22.1.0-1.x86_64.rpm";
        // (records, artifacts, the main package's artifact)
        let cases: [(Vec<subpackages::PackageRecord>, Vec<&str>, Option<&str>); 5] = [
            (
                vec![
                    record("asterisk-devel", Some(devel)),
                    record("asterisk", Some(main)),
                ],
                vec![devel, main],
                Some(main),
            ),
            // Only the record's name counts, not the file's.
            (vec![record("asterisk-devel", Some(main))], vec![main], None),
            // Not published, or published under a path the artifacts do not list.
            (vec![record("asterisk", None)], vec![main], None),
            (vec![record("asterisk", Some(main))], vec![devel], None),
            (vec![], vec![main], None),
        ];
        for (packages, artifacts, want) in cases {
            let m = Manifest {
                packages,
                artifacts: artifacts.into_iter().map(artifact).collect(),
                ..sample()
            };
            assert_eq!(m.main_rpm().map(|a| a.path.as_str()), want, "{m:?}");
        }
        assert!(subpackages::is_main("asterisk"));
        for other in [
            "asterisk-devel",
            "asterisk-debuginfo",
            "asterisk-core-sounds-en-gsm",
            "",
        ] {
            assert!(!subpackages::is_main(other), "{other}");
        }
    }

    #[test]
    fn manifest_shape() {
        let v: Value = json::parse(&sample().to_json()).unwrap();
        assert_eq!(v["schema"], SCHEMA);
        assert_eq!(v["source_date_epoch"], 42);
        assert_eq!(
            v["artifacts"][0],
            json!({"path": "SRPMS/a.src.rpm", "kind": "srpm", "sha256": "ab", "size": 3})
        );
        // Every field is written, null when there is nothing.
        assert_eq!(v["image"], Value::Null);
        // Sizes past 2^53 stay exact: integers, not floats.
        let mut big = sample();
        big.artifacts[0].size = (1 << 60) + 1;
        assert_eq!(Manifest::from_json(&big.to_json()).unwrap(), big);
    }

    #[test]
    fn each_concern_compares_its_own_record() {
        let recorded = sample().records;
        assert!(recorded.differences(&recorded).is_empty());
        type Edit = fn(&mut Records);
        let change: [(&str, Edit); 9] = [
            ("bundled sources", |r| {
                r.bundled.sources[0].sha256 = "00".into()
            }),
            ("bundled sources", |r| r.bundled.sources.clear()),
            ("sound sets", |r| r.sounds[0].version = "2.04".into()),
            ("sound sets", |r| r.sounds.push(r.sounds[0].clone())),
            ("options", |r| r.options.digest = "de".into()),
            ("signing key", |r| r.signed_by = None),
            ("signing key", |r| {
                r.signed_by = Some(crate::plan::sign::SignedBy {
                    key: "other@x".into(),
                    fingerprint: "AB12".into(),
                })
            }),
            // The same name, another key behind it (rotated): signed anew.
            ("signing key", |r| {
                r.signed_by.as_mut().unwrap().fingerprint = "CD34".into();
            }),
            // What a record keeps beside what it compares is not a difference: the note, the
            // subpackage, the choices' words (their digest is compared), an unknown
            // fingerprint (a dry run asks gpg nothing).
            ("", |r| {
                r.bundled.note = "n".into();
                r.sounds[0].package = "p".into();
                r.options.dev = false;
                r.signed_by.as_mut().unwrap().fingerprint = String::new();
            }),
        ];
        for (want, edit) in change {
            let mut next = recorded.clone();
            edit(&mut next);
            let want: Vec<&str> = [want].into_iter().filter(|w| !w.is_empty()).collect();
            assert_eq!(recorded.differences(&next), want, "{next:?}");
        }
        assert_eq!(
            Records::LABELS,
            ["bundled sources", "sound sets", "options", "signing key"]
        );
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
            packages: vec!["asterisk".into(), "asterisk-pjsip".into()],
        });
        m.records.signed_by = None;
        m.dirty_time = None;
        assert_eq!(Manifest::from_json(&m.to_json()).unwrap(), m);
    }

    #[test]
    fn a_missing_field_is_named_and_other_schemas_are_said() {
        assert_eq!(
            format!("{:#}", Manifest::from_json("{}").unwrap_err()),
            "not a manifest of cargo xtask: no \"schema\""
        );
        let text = sample().to_json();
        let mut v: Value = json::parse(&text).unwrap();
        v.as_object_mut().unwrap().remove("builder");
        let err = Manifest::from_json(&v.pretty()).unwrap_err();
        assert_eq!(format!("{err:#}"), "no \"builder\"");
        v["builder"] = json!("native");
        v["options"].as_object_mut().unwrap().remove("digest");
        let err = Manifest::from_json(&v.pretty()).unwrap_err();
        assert_eq!(format!("{err:#}"), "in \"options\": no \"digest\"");
        v["artifacts"][0]["kind"] = json!("tarball");
        assert!(
            format!("{:#}", Manifest::from_json(&v.pretty()).unwrap_err())
                .contains("item 1 of \"artifacts\"")
        );
        // An older schema: not read as this one, but its artifacts are (it may be replaced).
        let old = r#"{"schema": 1, "name": "asterisk", "artifacts": [{"path": "RPMS/a.rpm", "kind": "rpm", "sha256": "x", "size": 5}]}"#;
        assert!(Manifest::from_json(old)
            .unwrap_err()
            .to_string()
            .contains("schema 1, from an older cargo xtask"));
        assert_eq!(
            listed_artifacts(old).unwrap(),
            [("RPMS/a.rpm".to_string(), 5)]
        );
        let newer = text.replace(&format!("\"schema\": {SCHEMA}"), "\"schema\": 99");
        assert!(Manifest::from_json(&newer)
            .unwrap_err()
            .to_string()
            .contains("schema 99, from a newer"));
        assert_eq!(
            format!("{:#}", listed_artifacts(&newer).unwrap_err()),
            "schema 99, which this cargo xtask does not know"
        );
        // The dirty Release of this schema and of an older one is read; schema 1 has none.
        assert_eq!(
            dirty_record(&text).unwrap(),
            Some(("ab".repeat(32), 1_790_000_000))
        );
        let older = text.replace(&format!("\"schema\": {SCHEMA}"), "\"schema\": 3");
        assert_eq!(
            dirty_record(&older).unwrap(),
            Some(("ab".repeat(32), 1_790_000_000))
        );
        assert_eq!(
            format!("{:#}", dirty_record(old).unwrap_err()),
            "schema 1 records no tree digest"
        );
    }
}
