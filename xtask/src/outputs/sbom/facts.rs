//! The facts both SBOM documents render, and how they are read off the packages.

use anyhow::{Context, Result};
use camino::{Utf8Path, Utf8PathBuf};

use super::ids::{self, Party};
use crate::bundled::Bundled;
use crate::infra::exec::Shell;

/// A file inside a binary package.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PackedFile {
    /// `/usr/sbin/asterisk`
    pub path: String,
    pub sha1: String,
    pub sha256: String,
}

/// A package the build made, as rpm describes it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BuiltPackage {
    /// `asterisk`, `asterisk-devel`, the source package `asterisk` (then `source` is true).
    pub name: String,
    /// `version-release`
    pub version: String,
    pub file_name: String,
    pub sha256: String,
    pub source: bool,
    /// `x86_64`, `noarch`; a source package's is the build host's (its purl says `src`).
    pub arch: String,
    /// The package's License tag.
    pub license: String,
    /// The package's Vendor tag (`(none)` unless the build system sets one).
    pub vendor: String,
    /// Regular files, for binary packages.
    pub files: Vec<PackedFile>,
}

/// What the documents describe, besides the packages.
pub struct SbomInputs<'a> {
    pub name: &'a str,
    pub version_release: &'a str,
    pub source_date_epoch: i64,
    /// What `make_version` printed for the tree, and its commit (empty outside git).
    pub asterisk_version: &'a str,
    pub revision: &'a str,
    /// The tree had uncommitted changes.
    pub dirty: bool,
    /// Asterisk's release as it publishes it (`Packed::upstream_release`).
    pub upstream_release: bool,
    /// The source archive (Source0): its file name and sha256 (which also names the documents).
    pub archive_name: &'a str,
    pub archive_sha256: &'a str,
    pub packages: &'a [BuiltPackage],
    pub bundled: &'a [Bundled],
}

/// What a component is in the build.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Role {
    Rpm,
    Srpm,
    /// The source archive packed from the tree.
    Archive,
    /// A third-party source the packages bundle.
    Bundled,
}

/// One thing the documents describe.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Component {
    /// Unique in the document: names its SPDX id and CycloneDX bom-ref.
    pub key: String,
    pub role: Role,
    pub name: String,
    pub version: String,
    pub file_name: Option<String>,
    pub purl: String,
    pub cpe: Option<String>,
    pub supplier: Party,
    pub originator: Option<Party>,
    /// An SPDX license expression; None: not known (NOASSERTION).
    pub license: Option<String>,
    pub download: Option<String>,
    /// (SPDX algorithm name, hex): `SHA256`, `MD5`.
    pub checksums: Vec<(&'static str, String)>,
    pub files: Vec<PackedFile>,
    pub comment: Option<String>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LinkKind {
    /// `from` was made from `to` (an RPM from the SRPM, the SRPM from its sources).
    GeneratedFrom,
    /// `from` holds code built from `to` (the main package from a bundled source).
    DependsOn,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Link {
    pub from: String,
    pub kind: LinkKind,
    pub to: String,
}

/// The facts both documents render.
pub struct BomFacts {
    pub name: String,
    pub version_release: String,
    pub created: i64,
    /// Unique per build: the name and the archive's sha256.
    pub unique: String,
    /// The packages the build made and its source archive (what the documents describe, all
    /// published beside them), then the bundled sources.
    pub components: Vec<Component>,
    pub links: Vec<Link>,
}

impl BomFacts {
    pub fn described(&self) -> impl Iterator<Item = &Component> {
        self.components
            .iter()
            .filter(|c| matches!(c.role, Role::Rpm | Role::Srpm | Role::Archive))
    }
}

/// The SPDX document's file name (SPDX's convention) and the CycloneDX one's.
pub fn file_names(name: &str, version_release: &str) -> (String, String) {
    (
        format!("{name}-{version_release}.spdx.json"),
        format!("{name}-{version_release}.cdx.json"),
    )
}

/// The components and their relations, from what rpm said and what the tree bundles.
pub fn facts(i: &SbomInputs) -> BomFacts {
    let asterisk = ids::asterisk();
    let mut components = Vec::new();
    let mut links = Vec::new();
    let archive_key = format!("source-{}", i.archive_name);
    let srpm_key = i
        .packages
        .iter()
        .find(|p| p.source)
        .map(|p| p.file_name.clone());
    let main_key = i
        .packages
        .iter()
        .find(|p| !p.source && crate::rpmbuild::subpackages::is_main(&p.name))
        .map(|p| p.file_name.clone());
    let asterisk_cpe = ids::cpe(asterisk.cpe.0, asterisk.cpe.1, i.asterisk_version);
    for p in i.packages {
        let (namespace, supplier) = ids::rpm_vendor(&p.vendor);
        let arch = if p.source { "src" } else { p.arch.as_str() };
        let license = match p.license.trim() {
            "" | "(none)" => None,
            l => Some(l.to_string()),
        };
        components.push(Component {
            key: p.file_name.clone(),
            role: if p.source { Role::Srpm } else { Role::Rpm },
            name: p.name.clone(),
            version: p.version.clone(),
            file_name: Some(p.file_name.clone()),
            purl: ids::rpm_purl(&namespace, &p.name, &p.version, arch),
            cpe: Some(asterisk_cpe.clone()),
            supplier,
            originator: Some(asterisk.originator.clone()),
            license,
            download: None,
            checksums: vec![("SHA256", p.sha256.clone())],
            files: p.files.clone(),
            comment: None,
        });
        match (&srpm_key, p.source) {
            (Some(srpm), false) => links.push(Link {
                from: p.file_name.clone(),
                kind: LinkKind::GeneratedFrom,
                to: srpm.clone(),
            }),
            (_, true) => links.push(Link {
                from: p.file_name.clone(),
                kind: LinkKind::GeneratedFrom,
                to: archive_key.clone(),
            }),
            _ => {}
        }
    }
    // The archive: Asterisk as packed from the tree.
    let release_url =
        crate::source::version::release_url(i.asterisk_version).filter(|_| i.upstream_release);
    // The commit the tree is (or, with changes, was made from).
    let commit = i.revision.trim_end_matches("-dirty");
    let purl = match (&release_url, commit) {
        (Some(_), _) => ids::github_purl(asterisk.github, i.asterisk_version),
        (None, "") => ids::generic_purl("asterisk", i.asterisk_version, ""),
        (None, rev) => ids::github_purl(asterisk.github, rev),
    };
    let builder = i
        .packages
        .first()
        .map(|p| ids::rpm_vendor(&p.vendor).1)
        .unwrap_or_else(|| ids::rpm_vendor("").1);
    components.push(Component {
        key: archive_key.clone(),
        role: Role::Archive,
        name: "asterisk".into(),
        version: i.asterisk_version.to_string(),
        file_name: Some(i.archive_name.to_string()),
        purl,
        cpe: Some(asterisk_cpe),
        supplier: if i.dirty {
            builder
        } else {
            asterisk.originator.clone()
        },
        originator: Some(asterisk.originator.clone()),
        license: Some(asterisk.license.to_string()),
        download: release_url,
        checksums: vec![("SHA256", i.archive_sha256.to_string())],
        files: Vec::new(),
        comment: Some(match (i.dirty, commit) {
            (true, "") => "packed from a working tree with changes".to_string(),
            (true, rev) => format!("packed from a working tree with uncommitted changes on {rev}"),
            (false, "") => "packed from a tree outside git".to_string(),
            (false, rev) => format!("packed from commit {rev}"),
        }),
    });
    for bundled in i.bundled {
        let b = &bundled.tarball;
        let key = format!("bundled-{}-{}", b.name, b.version);
        let known = ids::bundled(&b.name);
        // An address SPDX and the spec can hold (the tree's Makefile.rules may say anything).
        let url = crate::rpmbuild::spec::plain_url(&b.url).then(|| b.url.clone());
        let (purl, cpe, originator, license) = match &known {
            Some(u) => (
                ids::github_purl(u.github, &format!("{}{}", u.tag_prefix, b.version)),
                Some(ids::cpe(u.cpe.0, u.cpe.1, &b.version)),
                Some(u.originator.clone()),
                Some(u.license.to_string()),
            ),
            None => (
                ids::generic_purl(&b.name, &b.version, &b.url),
                None,
                None,
                None,
            ),
        };
        components.push(Component {
            key: key.clone(),
            role: Role::Bundled,
            name: b.name.clone(),
            version: b.version.clone(),
            file_name: url
                .as_deref()
                .and_then(|u| u.rsplit('/').next())
                .map(str::to_string),
            purl,
            cpe,
            // Upstream's release, which Asterisk's third-party address serves unchanged.
            supplier: originator
                .clone()
                .unwrap_or_else(|| asterisk.originator.clone()),
            originator,
            license,
            download: url,
            checksums: vec![("MD5", b.md5.clone()), ("SHA256", bundled.sha256.clone())],
            files: Vec::new(),
            comment: Some("bundled: built into the packages from this source".into()),
        });
        if let Some(srpm) = &srpm_key {
            links.push(Link {
                from: srpm.clone(),
                kind: LinkKind::GeneratedFrom,
                to: key.clone(),
            });
        }
        if let Some(main) = &main_key {
            links.push(Link {
                from: main.clone(),
                kind: LinkKind::DependsOn,
                to: key,
            });
        }
    }
    BomFacts {
        name: i.name.to_string(),
        version_release: i.version_release.to_string(),
        created: i.source_date_epoch,
        unique: format!("{}-{}-{}", i.name, i.version_release, i.archive_sha256),
        components,
        links,
    }
}

/// Each package's name and version-release (from rpm), sha256 (given), and, for binary
/// packages when `hash_files`, its regular files hashed (unpacked under `scratch`, removed
/// afterwards).
pub fn read_packages(
    sh: Shell,
    packages: &[(Utf8PathBuf, String, bool)],
    scratch: &Utf8Path,
    hash_files: bool,
) -> Result<Vec<BuiltPackage>> {
    let mut out = Vec::new();
    for (path, sha256, source) in packages {
        let said = sh
            .rpm_query(
                path,
                "%{NAME}\\t%{VERSION}-%{RELEASE}\\t%{ARCH}\\t%{LICENSE}\\t%{VENDOR}",
            )
            .read()
            .with_context(|| format!("reading {path}"))?;
        let mut fields = said.trim_end_matches('\n').split('\t');
        let mut next = || fields.next().unwrap_or_default().to_string();
        let (name, version, arch, license, vendor) = (next(), next(), next(), next(), next());
        let files = match !source && hash_files {
            true => files_of(sh, path, scratch)?,
            false => Vec::new(),
        };
        out.push(BuiltPackage {
            name,
            version,
            arch,
            license,
            vendor,
            file_name: path.file_name().unwrap_or_default().to_string(),
            sha256: sha256.clone(),
            source: *source,
            files,
        });
    }
    Ok(out)
}

/// The regular files of a binary package, hashed.
fn files_of(sh: Shell, rpm: &Utf8Path, scratch: &Utf8Path) -> Result<Vec<PackedFile>> {
    let dir = scratch.join("sbom-unpack");
    if dir.exists() {
        std::fs::remove_dir_all(&dir).with_context(|| format!("removing {dir}"))?;
    }
    std::fs::create_dir_all(&dir).with_context(|| format!("creating {dir}"))?;
    sh.cmd("sh")
        .args([
            "-c",
            "rpm2cpio \"$1\" | cpio -idm --quiet --no-absolute-filenames",
            "sh",
            rpm.as_str(),
        ])
        .dir(&dir)
        .read()
        .with_context(|| format!("unpacking {rpm} to list its files"))?;
    let mut files = Vec::new();
    let mut pending = vec![dir.clone()];
    while let Some(d) = pending.pop() {
        for entry in d.read_dir_utf8().with_context(|| format!("reading {d}"))? {
            let entry = entry.with_context(|| format!("reading {d}"))?;
            let path = entry.path().to_owned();
            let kind = entry
                .file_type()
                .with_context(|| format!("reading {path}"))?;
            if kind.is_dir() {
                pending.push(path);
            } else if kind.is_file() {
                let rel = path.strip_prefix(&dir).unwrap_or(&path);
                files.push(PackedFile {
                    path: format!("/{rel}"),
                    sha1: crate::infra::digest::sha1_of_file(&path)?,
                    sha256: crate::infra::digest::sha256_of_file(&path)?,
                });
            }
        }
    }
    std::fs::remove_dir_all(&dir).with_context(|| format!("removing {dir}"))?;
    files.sort_by(|a, b| a.path.cmp(&b.path));
    Ok(files)
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;

    pub fn sample() -> (Vec<BuiltPackage>, Vec<Bundled>) {
        let packages = vec![
            BuiltPackage {
                name: "asterisk".into(),
                version: "22.1.0-1".into(),
                file_name: "asterisk-22.1.0-1.x86_64.rpm".into(),
                sha256: "aa".into(),
                source: false,
                arch: "x86_64".into(),
                license: "GPL-2.0-only AND GPL-2.0-or-later".into(),
                vendor: "(none)".into(),
                files: vec![PackedFile {
                    path: "/usr/sbin/asterisk".into(),
                    sha1: "11".into(),
                    sha256: "ee".into(),
                }],
            },
            BuiltPackage {
                name: "asterisk".into(),
                version: "22.1.0-1".into(),
                file_name: "asterisk-22.1.0-1.src.rpm".into(),
                sha256: "bb".into(),
                source: true,
                arch: "x86_64".into(),
                license: "GPL-2.0-only AND GPL-2.0-or-later".into(),
                vendor: "(none)".into(),
                files: vec![],
            },
        ];
        let bundled = vec![Bundled {
            tarball: crate::bundled::tarball::Tarball {
                name: "pjproject".into(),
                version: "2.17".into(),
                file: "pjproject-2.17.tar.bz2".into(),
                url: "https://example.org/pjproject-2.17.tar.bz2".into(),
                md5: "cc".into(),
            },
            sha256: "dd".into(),
        }];
        (packages, bundled)
    }

    pub fn inputs<'a>(packages: &'a [BuiltPackage], bundled: &'a [Bundled]) -> SbomInputs<'a> {
        SbomInputs {
            name: "asterisk",
            version_release: "22.1.0-1",
            source_date_epoch: 0,
            asterisk_version: "22.1.0",
            revision: "0123456789abcdef0123456789abcdef01234567",
            dirty: false,
            upstream_release: true,
            archive_name: "asterisk-22.1.0.tar.gz",
            archive_sha256: "ff",
            packages,
            bundled,
        }
    }

    #[test]
    fn the_archive_says_where_it_came_from() {
        let (packages, bundled) = sample();
        let archive = |i: &SbomInputs| {
            facts(i)
                .components
                .into_iter()
                .find(|c| c.role == Role::Archive)
                .unwrap()
        };
        let clean = archive(&inputs(&packages, &bundled));
        assert_eq!(clean.purl, "pkg:github/asterisk/asterisk@22.1.0");
        assert_eq!(clean.supplier.spdx(), "Organization: Sangoma Technologies");
        assert!(clean.download.is_some());
        // A dirty release tree: the commit, no release address, supplied by whoever built it.
        let dirty = archive(&SbomInputs {
            dirty: true,
            upstream_release: false,
            revision: "0123456789abcdef0123456789abcdef01234567-dirty",
            ..inputs(&packages, &bundled)
        });
        assert_eq!(
            dirty.purl,
            "pkg:github/asterisk/asterisk@0123456789abcdef0123456789abcdef01234567"
        );
        assert_eq!(dirty.download, None);
        assert_eq!(dirty.supplier.spdx(), "Organization: Asterisk project");
        assert!(dirty
            .comment
            .unwrap()
            .contains("uncommitted changes on 0123"));
        // A branch snapshot outside git.
        let plain = archive(&SbomInputs {
            asterisk_version: "GIT-master-abc1234",
            revision: "",
            ..inputs(&packages, &bundled)
        });
        assert_eq!(plain.purl, "pkg:generic/asterisk@GIT-master-abc1234");
        assert_eq!(
            plain.cpe.as_deref(),
            Some("cpe:2.3:a:sangoma:asterisk:GIT-master-abc1234:*:*:*:*:*:*:*")
        );
        // A bundled source nothing is known of: a generic purl with its address, no CPE.
        let mut other = bundled.clone();
        other[0].tarball.name = "libfoo".into();
        let f = facts(&inputs(&packages, &other));
        let foo = f.components.iter().find(|c| c.name == "libfoo").unwrap();
        assert!(foo
            .purl
            .starts_with("pkg:generic/libfoo@2.17?download_url=https%3A"));
        assert_eq!((foo.cpe.as_ref(), foo.license.as_ref()), (None, None));
    }

    #[test]
    fn both_documents_say_the_same() {
        let (packages, bundled) = sample();
        let f = facts(&inputs(&packages, &bundled));
        let s = super::super::spdx::document(&f);
        let c = super::super::cyclonedx::document(&f);
        let spdx_purls: Vec<&str> = s["packages"]
            .as_array()
            .unwrap()
            .iter()
            .map(|p| p["externalRefs"][0]["referenceLocator"].as_str().unwrap())
            .collect();
        let cdx_purls: Vec<&str> = c["components"]
            .as_array()
            .unwrap()
            .iter()
            .map(|p| p["purl"].as_str().unwrap())
            .collect();
        assert_eq!(spdx_purls, cdx_purls);
        assert_eq!(c["specVersion"], "1.6");
        assert_eq!(
            c["components"][0]["components"][0]["name"],
            "/usr/sbin/asterisk"
        );
        assert_eq!(
            c["components"][0]["pedigree"]["ancestors"][0]["purl"],
            "pkg:rpm/asterisk/asterisk@22.1.0-1?arch=src"
        );
        assert_eq!(
            c["components"][1]["pedigree"]["ancestors"]
                .as_array()
                .unwrap()
                .len(),
            2
        );
        assert_eq!(
            c["components"][0]["licenses"][0]["expression"],
            "GPL-2.0-only AND GPL-2.0-or-later"
        );
        let serial = c["serialNumber"].as_str().unwrap();
        assert_eq!(serial.len(), "urn:uuid:".len() + 36);
        assert_eq!(&serial[9 + 14..9 + 15], "5");
        assert_eq!(
            super::super::cyclonedx::document(&f)["serialNumber"],
            serial
        );
        assert_eq!(
            file_names("asterisk", "22.1.0-1"),
            (
                "asterisk-22.1.0-1.spdx.json".to_string(),
                "asterisk-22.1.0-1.cdx.json".to_string()
            )
        );
    }
}
