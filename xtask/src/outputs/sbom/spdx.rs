//! The SPDX 2.3 JSON rendering of the SBOM's facts.

use crate::infra::json::{json, Value};

use super::facts::{BomFacts, LinkKind, PackedFile};
use crate::source::version;

/// An SPDX identifier from any text: `SPDXRef-` and letters, digits, `.` and `-`.
fn spdx_id(kind: &str, text: &str) -> String {
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
fn verification_code(files: &[PackedFile]) -> String {
    let mut sums: Vec<&str> = files.iter().map(|f| f.sha1.as_str()).collect();
    sums.sort();
    let parts: Vec<&[u8]> = sums.iter().map(|s| s.as_bytes()).collect();
    crate::infra::digest::sha1_of_parts(&parts)
}

/// The SPDX 2.3 document.
pub fn document(f: &BomFacts) -> Value {
    let mut packages = Vec::new();
    let mut files = Vec::new();
    let mut relationships = Vec::new();
    let id = |key: &str| spdx_id("Package", key);
    for c in f.described() {
        relationships.push(json!({
            "spdxElementId": "SPDXRef-DOCUMENT",
            "relationshipType": "DESCRIBES",
            "relatedSpdxElement": id(&c.key),
        }));
    }
    for c in &f.components {
        let purpose = match c.role {
            super::facts::Role::Rpm => "INSTALL",
            _ => "SOURCE",
        };
        let mut refs = vec![json!({
            "referenceCategory": "PACKAGE-MANAGER",
            "referenceType": "purl",
            "referenceLocator": c.purl,
        })];
        if let Some(cpe) = &c.cpe {
            refs.push(json!({
                "referenceCategory": "SECURITY",
                "referenceType": "cpe23Type",
                "referenceLocator": cpe,
            }));
        }
        let mut package = json!({
            "SPDXID": id(&c.key),
            "name": c.name,
            "versionInfo": c.version,
            "downloadLocation": c.download.as_deref().unwrap_or("NOASSERTION"),
            "supplier": c.supplier.spdx(),
            "primaryPackagePurpose": purpose,
            "checksums": c.checksums.iter().map(|(algorithm, value)| json!({
                "algorithm": algorithm, "checksumValue": value,
            })).collect::<Vec<_>>(),
            "licenseConcluded": "NOASSERTION",
            "licenseDeclared": c.license.as_deref().unwrap_or("NOASSERTION"),
            "copyrightText": "NOASSERTION",
            "filesAnalyzed": !c.files.is_empty(),
            "externalRefs": refs,
        });
        if let Some(name) = &c.file_name {
            package["packageFileName"] = json!(name);
        }
        if let Some(o) = &c.originator {
            package["originator"] = json!(o.spdx());
        }
        if let Some(comment) = &c.comment {
            package["comment"] = json!(comment);
        }
        if !c.files.is_empty() {
            package["packageVerificationCode"] =
                json!({"packageVerificationCodeValue": verification_code(&c.files)});
        }
        packages.push(package);
        for file in &c.files {
            let file_id = spdx_id("File", &format!("{}{}", c.name, file.path));
            files.push(json!({
                "SPDXID": file_id,
                "fileName": format!(".{}", file.path),
                "checksums": [
                    {"algorithm": "SHA1", "checksumValue": file.sha1},
                    {"algorithm": "SHA256", "checksumValue": file.sha256},
                ],
                "licenseConcluded": "NOASSERTION",
                "copyrightText": "NOASSERTION",
            }));
            relationships.push(json!({
                "spdxElementId": id(&c.key),
                "relationshipType": "CONTAINS",
                "relatedSpdxElement": file_id,
            }));
        }
    }
    for l in &f.links {
        let mut r = json!({
            "spdxElementId": id(&l.from),
            "relationshipType": match l.kind {
                LinkKind::GeneratedFrom => "GENERATED_FROM",
                LinkKind::DependsOn => "DEPENDS_ON",
            },
            "relatedSpdxElement": id(&l.to),
        });
        if l.kind == LinkKind::DependsOn {
            r["comment"] = json!("bundled: built into the package from this source");
        }
        relationships.push(r);
    }
    json!({
        "spdxVersion": "SPDX-2.3",
        "dataLicense": "CC0-1.0",
        "SPDXID": "SPDXRef-DOCUMENT",
        "name": format!("{}-{}", f.name, f.version_release),
        "documentNamespace": format!("https://spdx.org/spdxdocs/asterisk-xtask/{}", f.unique),
        "creationInfo": {
            "created": version::rfc3339(f.created),
            "creators": [format!("Tool: asterisk-xtask-{}", env!("CARGO_PKG_VERSION"))],
        },
        "packages": packages,
        "files": files,
        "relationships": relationships,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::outputs::sbom::facts::{facts, tests::sample};

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
        // Two files holding "a\n" and "b\n", given in the other order: the SHA-1 of their
        // SHA-1s sorted and joined (`printf 3f78...89e6... | sha1sum`, SPDX 2.3 section 7.9).
        let a_file = "3f786850e387550fdab836ed7e6dc881de23001b";
        let b_file = "89e6c98d92887913cadf06b2adb97f26cde4849b";
        assert_eq!(
            verification_code(&[file("/b", b_file), file("/a", a_file)]),
            "2c04f768f5cbc20d7a1b7ab18523a6609425dbd8"
        );
    }

    #[test]
    fn the_document_names_packages_files_sources_and_how_they_relate() {
        let (packages, bundled) = sample();
        let doc = document(&facts(&crate::outputs::sbom::facts::tests::inputs(
            &packages, &bundled,
        )));
        assert_eq!(doc["spdxVersion"], "SPDX-2.3");
        assert_eq!(doc["creationInfo"]["created"], "1970-01-01T00:00:00Z");
        // The main package, the SRPM, the archive, pjproject.
        let p = doc["packages"].as_array().unwrap();
        assert_eq!(p.len(), 4);
        assert_eq!(doc["files"][0]["fileName"], "./usr/sbin/asterisk");
        assert_eq!(p[0]["supplier"], "Organization: Asterisk project");
        assert_eq!(p[0]["originator"], "Organization: Sangoma Technologies");
        assert_eq!(p[0]["licenseDeclared"], "GPL-2.0-only AND GPL-2.0-or-later");
        assert_eq!(
            p[0]["externalRefs"][0]["referenceLocator"],
            "pkg:rpm/asterisk/asterisk@22.1.0-1?arch=x86_64"
        );
        assert_eq!(
            p[1]["externalRefs"][0]["referenceLocator"],
            "pkg:rpm/asterisk/asterisk@22.1.0-1?arch=src"
        );
        assert_eq!(p[1]["filesAnalyzed"], false);
        assert_eq!(
            p[2]["downloadLocation"],
            "https://downloads.asterisk.org/pub/telephony/asterisk/releases/asterisk-22.1.0.tar.gz"
        );
        assert_eq!(
            p[2]["externalRefs"][1]["referenceLocator"],
            "cpe:2.3:a:sangoma:asterisk:22.1.0:*:*:*:*:*:*:*"
        );
        assert_eq!(p[3]["licenseDeclared"], "GPL-2.0-or-later");
        assert_eq!(p[3]["originator"], "Organization: Teluu Ltd.");
        assert_eq!(
            p[3]["externalRefs"][0]["referenceLocator"],
            "pkg:github/pjsip/pjproject@2.17"
        );
        let rels = doc["relationships"].as_array().unwrap();
        let has = |from: &str, kind: &str, to: &str| {
            rels.iter().any(|r| {
                r["spdxElementId"] == from
                    && r["relationshipType"] == kind
                    && r["relatedSpdxElement"] == to
            })
        };
        let rpm = "SPDXRef-Package-asterisk-22.1.0-1.x86-64.rpm";
        let srpm = "SPDXRef-Package-asterisk-22.1.0-1.src.rpm";
        assert!(has("SPDXRef-DOCUMENT", "DESCRIBES", rpm));
        assert!(has("SPDXRef-DOCUMENT", "DESCRIBES", srpm));
        assert!(has(rpm, "GENERATED_FROM", srpm));
        assert!(has(
            srpm,
            "GENERATED_FROM",
            "SPDXRef-Package-source-asterisk-22.1.0.tar.gz"
        ));
        assert!(has(
            srpm,
            "GENERATED_FROM",
            "SPDXRef-Package-bundled-pjproject-2.17"
        ));
        assert!(has(
            rpm,
            "DEPENDS_ON",
            "SPDXRef-Package-bundled-pjproject-2.17"
        ));
        assert!(has(
            rpm,
            "CONTAINS",
            "SPDXRef-File-asterisk-usr-sbin-asterisk"
        ));
        // Every relationship names elements the document has.
        let ids: Vec<&str> = p
            .iter()
            .chain(doc["files"].as_array().unwrap())
            .map(|e| e["SPDXID"].as_str().unwrap())
            .chain(["SPDXRef-DOCUMENT"])
            .collect();
        for r in rels {
            for end in ["spdxElementId", "relatedSpdxElement"] {
                assert!(ids.contains(&r[end].as_str().unwrap()), "{r}");
            }
        }
    }
}
