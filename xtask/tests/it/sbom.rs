//! The SBOM: an SPDX 2.3 JSON document per build, checked by SPDX's own validator
//! (`pyspdxtools`, PyPI's spdx-tools), against the packages' real contents.

use std::process::Command;

use crate::support::*;

/// SPDX's validator, or None (said loudly; under CI it must be there: .ci/run installs it).
fn validator() -> Option<&'static str> {
    if Command::new("pyspdxtools").arg("--help").output().is_ok() {
        return Some("pyspdxtools");
    }
    let msg = "pyspdxtools (pip install spdx-tools) is not installed";
    if std::env::var("CI").map(|v| v == "true").unwrap_or(false) {
        panic!("{msg} (CI=true: the SBOM must be validated)");
    }
    eprintln!("\n!!!!!!!! SKIPPED the SBOM validation: {msg} !!!!!!!!\n");
    None
}

#[test]
fn every_build_has_a_valid_spdx_document_of_what_it_made() {
    let dir = scratch("sbom");
    let tree = git_tree(&dir);
    let target = dir.join("target");
    let out = dir.join("out");
    must(xtask(&native_rpm_args(&tree, &out), &target, &[]));
    let text = std::fs::read_to_string(out.join("manifest.json")).unwrap();
    let artifacts = manifest_artifacts(&text);
    let (name, _, sha) = artifacts
        .iter()
        .find(|a| a.1 == "sbom")
        .expect("no sbom artifact")
        .clone();
    let version = format!(
        "{}-{}",
        manifest_field(&text, "version"),
        manifest_field(&text, "release")
    );
    assert_eq!(name, format!("asterisk-{version}.spdx.json"));
    assert!(sh(&out, &format!("sha256sum '{name}'")).starts_with(&sha));
    let doc: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(out.join(&name)).unwrap()).unwrap();
    assert_eq!(doc["spdxVersion"], "SPDX-2.3");

    // The packages built, with the checksums the manifest records.
    let packages = doc["packages"].as_array().unwrap();
    for (path, kind, sha) in artifacts.iter().filter(|a| a.1 == "rpm" || a.1 == "srpm") {
        let file = path.rsplit('/').next().unwrap();
        let p = packages
            .iter()
            .find(|p| p["packageFileName"] == *file)
            .unwrap_or_else(|| panic!("{file} ({kind}) is not in the SBOM"));
        assert_eq!(p["checksums"][0]["checksumValue"], *sha);
        assert_eq!(p["versionInfo"], version);
    }
    // Every file, hashed from the package's real contents.
    let rpm = main_rpm(&text);
    let unpacked = dir.join("unpacked");
    std::fs::create_dir_all(&unpacked).unwrap();
    sh(
        &unpacked,
        &format!(
            "rpm2cpio '{}' | cpio -idm --quiet",
            out.join(&rpm).display()
        ),
    );
    let real = sh(&unpacked, "sha256sum usr/sbin/asterisk");
    let listed = doc["files"]
        .as_array()
        .unwrap()
        .iter()
        .find(|f| f["fileName"] == "./usr/sbin/asterisk")
        .expect("/usr/sbin/asterisk is not in the SBOM");
    assert!(
        real.starts_with(listed["checksums"][1]["checksumValue"].as_str().unwrap()),
        "{real} vs {listed}"
    );
    let count = sh(&unpacked, "find . -type f | wc -l")
        .trim()
        .parse::<usize>()
        .unwrap();
    let in_main = doc["relationships"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|r| {
            r["relationshipType"] == "CONTAINS"
                && r["spdxElementId"]
                    .as_str()
                    .unwrap()
                    .contains(&format!("Package-asterisk-{}", &version[..2]))
        })
        .count();
    assert_eq!(in_main, count, "the main package's files");
    // The bundled pjproject and libjwt: name, version, address, checksums, and the main package
    // depends on each.
    let manifest = manifest_json(&text);
    for (i, name) in ["pjproject", "libjwt"].iter().enumerate() {
        let bundled = &manifest["bundled"][i];
        assert_eq!(bundled["name"], *name);
        let pj = packages
            .iter()
            .find(|p| p["name"] == *name)
            .unwrap_or_else(|| panic!("no {name}"));
        assert_eq!(pj["versionInfo"], bundled["version"]);
        assert_eq!(pj["downloadLocation"], bundled["url"]);
        assert_eq!(pj["checksums"][0]["checksumValue"], bundled["md5"]);
        assert!(doc["relationships"]
            .as_array()
            .unwrap()
            .iter()
            .any(|r| r["relationshipType"] == "DEPENDS_ON"
                && r["relatedSpdxElement"] == pj["SPDXID"]));
    }

    // SPDX's own validator says it is a valid SPDX 2.3 document; and it does fail a broken one.
    if let Some(tool) = validator() {
        let ok = Command::new(tool)
            .arg("-i")
            .arg(out.join(&name))
            .output()
            .unwrap();
        assert!(
            ok.status.success(),
            "{}{}",
            String::from_utf8_lossy(&ok.stdout),
            String::from_utf8_lossy(&ok.stderr)
        );
        let mut broken = doc.clone();
        broken["files"][0]["checksums"] = serde_json::json!([broken["files"][0]["checksums"][1]]);
        let bad = dir.join("broken.spdx.json");
        std::fs::write(&bad, serde_json::to_string(&broken).unwrap()).unwrap();
        let failed = Command::new(tool).arg("-i").arg(&bad).output().unwrap();
        assert!(
            !failed.status.success(),
            "the validator took a file entry without SHA-1"
        );
    }
}
