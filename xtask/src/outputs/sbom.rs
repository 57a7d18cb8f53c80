//! The build's SBOM: one SPDX 2.3 JSON document (`<name>-<version>-<release>.spdx.json`) with
//! the packages built (name, version, checksums), every file in each binary package with its
//! SHA-1 and SHA-256, and the bundled third-party sources (name, version, download address,
//! checksums) as what the main package depends on.
//!
//! The document is a pure function of plain data (`document`); `read_packages` unpacks the
//! binary packages (rpm2cpio | cpio) to hash their files.

use anyhow::{Context, Result};
use camino::{Utf8Path, Utf8PathBuf};
use serde_json::{json, Value};
use sha1::{Digest, Sha1};

use crate::bundled::Bundled;
use crate::infra::exec::Shell;
use crate::source::version;

/// A file inside a binary package.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PackedFile {
    /// `/usr/sbin/asterisk`
    pub path: String,
    pub sha1: String,
    pub sha256: String,
}

/// A package the build made.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BuiltPackage {
    /// `asterisk`, `asterisk-devel`, the source package `asterisk` (then `source` is true).
    pub name: String,
    /// `version-release`
    pub version: String,
    pub file_name: String,
    pub sha256: String,
    pub source: bool,
    /// Regular files, for binary packages.
    pub files: Vec<PackedFile>,
}

/// What the document says, besides the packages.
pub struct SbomInputs<'a> {
    pub name: &'a str,
    pub version_release: &'a str,
    pub source_date_epoch: i64,
    /// The source archive's sha256: names the document uniquely.
    pub archive_sha256: &'a str,
    pub packages: &'a [BuiltPackage],
    pub bundled: &'a [Bundled],
}

/// The file name SPDX's convention gives the document.
pub fn file_name(name: &str, version_release: &str) -> String {
    format!("{name}-{version_release}.spdx.json")
}

/// An SPDX identifier from any text: `SPDXRef-` and letters, digits, `.` and `-`.
pub fn spdx_id(kind: &str, text: &str) -> String {
    let clean: String = text
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || c == '.' || c == '-' {
                c
            } else {
                '-'
            }
        })
        .collect();
    format!("SPDXRef-{kind}-{clean}")
}

/// SPDX's package verification code: the SHA-1 of the files' SHA-1s, sorted and concatenated.
pub fn verification_code(files: &[PackedFile]) -> String {
    let mut sums: Vec<&str> = files.iter().map(|f| f.sha1.as_str()).collect();
    sums.sort();
    let mut hasher = Sha1::new();
    for s in sums {
        hasher.update(s.as_bytes());
    }
    hasher
        .finalize()
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}

/// The SPDX 2.3 document.
pub fn document(i: &SbomInputs) -> Value {
    let mut packages = Vec::new();
    let mut files = Vec::new();
    let mut relationships = Vec::new();
    let main_id = i
        .packages
        .iter()
        .find(|p| !p.source && p.name == i.name)
        .map(|p| spdx_id("Package", &p.file_name));
    for p in i.packages {
        let id = spdx_id("Package", &p.file_name);
        let mut package = json!({
            "SPDXID": id,
            "name": p.name,
            "versionInfo": p.version,
            "packageFileName": p.file_name,
            "downloadLocation": "NOASSERTION",
            "supplier": "NOASSERTION",
            "primaryPackagePurpose": if p.source { "SOURCE" } else { "INSTALL" },
            "checksums": [{"algorithm": "SHA256", "checksumValue": p.sha256}],
            "licenseConcluded": "NOASSERTION",
            "licenseDeclared": "GPL-2.0-only",
            "copyrightText": "NOASSERTION",
            "filesAnalyzed": !p.files.is_empty(),
        });
        if !p.files.is_empty() {
            package["packageVerificationCode"] =
                json!({"packageVerificationCodeValue": verification_code(&p.files)});
        }
        packages.push(package);
        relationships.push(json!({
            "spdxElementId": "SPDXRef-DOCUMENT",
            "relationshipType": "DESCRIBES",
            "relatedSpdxElement": id,
        }));
        for f in &p.files {
            let file_id = spdx_id("File", &format!("{}{}", p.name, f.path));
            files.push(json!({
                "SPDXID": file_id,
                "fileName": format!(".{}", f.path),
                "checksums": [
                    {"algorithm": "SHA1", "checksumValue": f.sha1},
                    {"algorithm": "SHA256", "checksumValue": f.sha256},
                ],
                "licenseConcluded": "NOASSERTION",
                "copyrightText": "NOASSERTION",
            }));
            relationships.push(json!({
                "spdxElementId": id,
                "relationshipType": "CONTAINS",
                "relatedSpdxElement": file_id,
            }));
        }
    }
    for b in i.bundled {
        let id = spdx_id("Package", &format!("bundled-{}-{}", b.name, b.version));
        packages.push(json!({
            "SPDXID": id,
            "name": b.name,
            "versionInfo": b.version,
            "downloadLocation": if b.url.is_empty() { "NOASSERTION" } else { b.url.as_str() },
            "supplier": "NOASSERTION",
            "primaryPackagePurpose": "SOURCE",
            "checksums": [
                {"algorithm": "MD5", "checksumValue": b.md5},
                {"algorithm": "SHA256", "checksumValue": b.sha256},
            ],
            "licenseConcluded": "NOASSERTION",
            "licenseDeclared": "NOASSERTION",
            "copyrightText": "NOASSERTION",
            "filesAnalyzed": false,
        }));
        if let Some(main) = &main_id {
            relationships.push(json!({
                "spdxElementId": main,
                "relationshipType": "DEPENDS_ON",
                "relatedSpdxElement": id,
                "comment": "bundled: built into the package from this source",
            }));
        }
    }
    json!({
        "spdxVersion": "SPDX-2.3",
        "dataLicense": "CC0-1.0",
        "SPDXID": "SPDXRef-DOCUMENT",
        "name": format!("{}-{}", i.name, i.version_release),
        "documentNamespace": format!(
            "https://spdx.org/spdxdocs/asterisk-xtask/{}-{}-{}",
            i.name, i.version_release, i.archive_sha256
        ),
        "creationInfo": {
            "created": version::rfc3339(i.source_date_epoch),
            "creators": [format!("Tool: asterisk-xtask-{}", env!("CARGO_PKG_VERSION"))],
        },
        "packages": packages,
        "files": files,
        "relationships": relationships,
    })
}

/// Each package's name and version-release (from rpm), sha256 (given), and, for binary
/// packages, its regular files hashed (unpacked under `scratch`, removed afterwards).
pub fn read_packages(
    sh: Shell,
    packages: &[(Utf8PathBuf, String, bool)],
    scratch: &Utf8Path,
) -> Result<Vec<BuiltPackage>> {
    let mut out = Vec::new();
    for (path, sha256, source) in packages {
        let nvr = sh
            .rpm_query(path, "%{NAME}\\t%{VERSION}-%{RELEASE}")
            .read()
            .with_context(|| format!("reading {path}"))?;
        let (name, version) = nvr.trim().split_once('\t').unwrap_or((nvr.trim(), ""));
        let files = match source {
            true => Vec::new(),
            false => files_of(sh, path, scratch)?,
        };
        out.push(BuiltPackage {
            name: name.to_string(),
            version: version.to_string(),
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
mod tests {
    use super::*;

    fn file(path: &str, sha1: &str) -> PackedFile {
        PackedFile {
            path: path.into(),
            sha1: sha1.into(),
            sha256: "ee".into(),
        }
    }

    #[test]
    fn identifiers_and_verification_codes() {
        assert_eq!(
            spdx_id("File", "asterisk/usr/lib64/asterisk/modules/app_dial.so"),
            "SPDXRef-File-asterisk-usr-lib64-asterisk-modules-app-dial.so"
        );
        assert_eq!(spdx_id("Package", "a~b^c+d"), "SPDXRef-Package-a-b-c-d");
        // SHA-1 of "" is the code of no files; order does not matter.
        assert_eq!(
            verification_code(&[]),
            "da39a3ee5e6b4b0d3255bfef95601890afd80709"
        );
        let a = [file("/a", "11"), file("/b", "22")];
        let b = [file("/b", "22"), file("/a", "11")];
        assert_eq!(verification_code(&a), verification_code(&b));
        assert_eq!(
            file_name("asterisk", "22.1.0-1"),
            "asterisk-22.1.0-1.spdx.json"
        );
    }

    #[test]
    fn the_document_names_packages_files_and_what_is_bundled() {
        let packages = [
            BuiltPackage {
                name: "asterisk".into(),
                version: "22.1.0-1".into(),
                file_name: "asterisk-22.1.0-1.x86_64.rpm".into(),
                sha256: "aa".into(),
                source: false,
                files: vec![file("/usr/sbin/asterisk", "11")],
            },
            BuiltPackage {
                name: "asterisk".into(),
                version: "22.1.0-1".into(),
                file_name: "asterisk-22.1.0-1.src.rpm".into(),
                sha256: "bb".into(),
                source: true,
                files: vec![],
            },
        ];
        let bundled = [Bundled {
            name: "pjproject".into(),
            version: "2.17".into(),
            url: "https://example.org/pjproject-2.17.tar.bz2".into(),
            md5: "cc".into(),
            sha256: "dd".into(),
        }];
        let doc = document(&SbomInputs {
            name: "asterisk",
            version_release: "22.1.0-1",
            source_date_epoch: 0,
            archive_sha256: "ff",
            packages: &packages,
            bundled: &bundled,
        });
        assert_eq!(doc["spdxVersion"], "SPDX-2.3");
        assert_eq!(doc["creationInfo"]["created"], "1970-01-01T00:00:00Z");
        assert_eq!(doc["packages"].as_array().unwrap().len(), 3);
        assert_eq!(doc["files"][0]["fileName"], "./usr/sbin/asterisk");
        assert_eq!(doc["packages"][1]["filesAnalyzed"], false);
        assert_eq!(
            doc["packages"][2]["downloadLocation"],
            "https://example.org/pjproject-2.17.tar.bz2"
        );
        let rels = doc["relationships"].as_array().unwrap();
        assert!(rels.iter().any(|r| r["relationshipType"] == "DEPENDS_ON"
            && r["spdxElementId"] == "SPDXRef-Package-asterisk-22.1.0-1.x86-64.rpm"
            && r["relatedSpdxElement"] == "SPDXRef-Package-bundled-pjproject-2.17"));
    }
}
