//! The SBOM: an SPDX 2.3 JSON document per build, checked by SPDX's own validator
//! (`pyspdxtools`, PyPI's spdx-tools) and NTIA's minimum elements (`ntia-checker`), with a CycloneDX
//! 1.6 document beside it checked by CycloneDX's own schema validator, against the packages' real
//! contents.

use std::process::Command;

use crate::support::*;

/// A validator the test runs, or None (said loudly; under CI it must be there: .ci/run installs
/// it). `probe` is a command line that succeeds when it is installed.
fn installed(what: &str, probe: &[&str]) -> bool {
    if Command::new(probe[0])
        .args(&probe[1..])
        .output()
        .is_ok_and(|o| o.status.success())
    {
        return true;
    }
    cannot_run(&format!("the SBOM validation: {what} is not installed"));
    false
}

/// CycloneDX's own JSON schema validator (PyPI's cyclonedx-python-lib), strict: Ok or the error.
const CDX_VALIDATE: &str = "import sys
from cyclonedx.validation.json import JsonStrictValidator
from cyclonedx.schema import SchemaVersion
e = JsonStrictValidator(SchemaVersion.V1_6).validate_str(open(sys.argv[1]).read())
sys.exit(f'invalid: {e}' if e else 0)";

/// Runs a validator on a file: (passed, what it printed).
fn validate(program: &str, args: &[&str], file: &std::path::Path) -> (bool, String) {
    let out = Command::new(program).args(args).arg(file).output().unwrap();
    (
        out.status.success(),
        format!(
            "{}{}",
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        ),
    )
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

    // Scanners' identifiers: a purl for every RPM and the SRPM, CPEs for Asterisk and what it
    // bundles, suppliers, licenses, and each RPM made from the SRPM, the SRPM from its sources.
    let rels = doc["relationships"].as_array().unwrap();
    let related = |from: &serde_json::Value, kind: &str, to: &serde_json::Value| {
        rels.iter().any(|r| {
            r["spdxElementId"] == *from
                && r["relationshipType"] == kind
                && r["relatedSpdxElement"] == *to
        })
    };
    let refs = |p: &serde_json::Value, kind: &str| -> Vec<String> {
        p["externalRefs"]
            .as_array()
            .unwrap()
            .iter()
            .filter(|r| r["referenceType"] == kind)
            .map(|r| r["referenceLocator"].as_str().unwrap().to_string())
            .collect()
    };
    let srpm = packages
        .iter()
        .find(|p| p["packageFileName"].as_str().unwrap().ends_with(".src.rpm"))
        .unwrap();
    for (path, kind, _) in artifacts.iter().filter(|a| a.1 == "rpm" || a.1 == "srpm") {
        let file = path.rsplit('/').next().unwrap();
        let p = packages
            .iter()
            .find(|p| p["packageFileName"] == *file)
            .unwrap();
        let name = p["name"].as_str().unwrap();
        let arch = if kind == "srpm" {
            "src"
        } else {
            file.rsplit('.').nth(1).unwrap()
        };
        assert_eq!(
            refs(p, "purl"),
            [format!(
                "pkg:rpm/asterisk/{name}@{}?arch={arch}",
                version.replace('^', "%5E")
            )],
            "{file}"
        );
        assert_eq!(refs(p, "cpe23Type").len(), 1, "{file}");
        assert_eq!(p["supplier"], "Organization: Asterisk project");
        assert!(
            p["licenseDeclared"]
                .as_str()
                .unwrap()
                .starts_with("GPL-2.0-only AND GPL-2.0-or-later"),
            "{p}"
        );
        if kind == "rpm" {
            assert!(
                related(&p["SPDXID"], "GENERATED_FROM", &srpm["SPDXID"]),
                "{file}"
            );
        }
    }
    let archive = packages
        .iter()
        .find(|p| p["packageFileName"].as_str().unwrap().ends_with(".tar.gz"))
        .unwrap();
    assert!(related(
        &srpm["SPDXID"],
        "GENERATED_FROM",
        &archive["SPDXID"]
    ));
    assert_eq!(
        refs(archive, "cpe23Type"),
        [format!(
            "cpe:2.3:a:sangoma:asterisk:{}:*:*:*:*:*:*:*",
            manifest_field(&text, "asterisk_version")
        )]
    );
    for (name, cpe, license) in [
        (
            "pjproject",
            "cpe:2.3:a:teluu:pjsip:2.17:*:*:*:*:*:*:*",
            "GPL-2.0-or-later",
        ),
        (
            "libjwt",
            "cpe:2.3:a:benmcollins:libjwt:1.15.3:*:*:*:*:*:*:*",
            "MPL-2.0",
        ),
    ] {
        let p = packages.iter().find(|p| p["name"] == name).unwrap();
        assert_eq!(refs(p, "cpe23Type"), [cpe]);
        assert_eq!(refs(p, "purl").len(), 1);
        assert_eq!(p["licenseDeclared"], license);
        assert!(p["originator"].as_str().is_some());
        assert!(
            related(&srpm["SPDXID"], "GENERATED_FROM", &p["SPDXID"]),
            "{name}"
        );
    }

    // The CycloneDX document beside it says the same: the same purls, hashes and files.
    let cdx_name = name.replace(".spdx.json", ".cdx.json");
    let (listed, _, cdx_sha) = artifacts
        .iter()
        .find(|a| a.0 == cdx_name)
        .expect("no CycloneDX document in the manifest");
    assert!(sh(&out, &format!("sha256sum '{listed}'")).starts_with(cdx_sha.as_str()));
    let cdx: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(out.join(&cdx_name)).unwrap()).unwrap();
    assert_eq!(cdx["specVersion"], "1.6");
    let components = cdx["components"].as_array().unwrap();
    let mut spdx_purls: Vec<String> = packages.iter().flat_map(|p| refs(p, "purl")).collect();
    let mut cdx_purls: Vec<String> = components
        .iter()
        .map(|c| c["purl"].as_str().unwrap().to_string())
        .collect();
    spdx_purls.sort();
    cdx_purls.sort();
    assert_eq!(spdx_purls, cdx_purls);
    let main = components
        .iter()
        .find(|c| c["bom-ref"].as_str() == Some(rpm.rsplit('/').next().unwrap()))
        .unwrap();
    assert_eq!(
        main["components"].as_array().unwrap().len(),
        count,
        "the main package's files"
    );
    assert!(main["pedigree"]["ancestors"][0]["purl"]
        .as_str()
        .unwrap()
        .ends_with("?arch=src"));

    // The validators: SPDX's own (a valid SPDX 2.3 document), NTIA's minimum elements, and
    // CycloneDX's schema; each fails a broken document.
    if installed(
        "pyspdxtools (pip install spdx-tools)",
        &["pyspdxtools", "--help"],
    ) {
        let (ok, said) = validate("pyspdxtools", &["-i"], &out.join(&name));
        assert!(ok, "{said}");
        let mut broken = doc.clone();
        broken["files"][0]["checksums"] = serde_json::json!([broken["files"][0]["checksums"][1]]);
        let bad = dir.join("broken.spdx.json");
        std::fs::write(&bad, serde_json::to_string(&broken).unwrap()).unwrap();
        assert!(
            !validate("pyspdxtools", &["-i"], &bad).0,
            "the validator took a file entry without SHA-1"
        );
    }
    if installed(
        "ntia-checker (pip install ntia-conformance-checker)",
        &["ntia-checker", "--version"],
    ) {
        let (ok, said) = validate("ntia-checker", &["-c", "ntia"], &out.join(&name));
        assert!(ok && said.contains("Conformant: True"), "{said}");
        assert!(
            !said.contains("floating"),
            "an element no relationship reaches: {said}"
        );
        let mut broken = doc.clone();
        broken["packages"][0]
            .as_object_mut()
            .unwrap()
            .remove("supplier");
        let bad = dir.join("no-supplier.spdx.json");
        std::fs::write(&bad, serde_json::to_string(&broken).unwrap()).unwrap();
        assert!(
            !validate("ntia-checker", &["-c", "ntia"], &bad).0,
            "NTIA's checker took a package without a supplier"
        );
    }
    if installed(
        "cyclonedx-python-lib (pip install 'cyclonedx-python-lib[json-validation]')",
        &[
            "python3",
            "-c",
            "import cyclonedx.validation.json, jsonschema",
        ],
    ) {
        let (ok, said) = validate("python3", &["-c", CDX_VALIDATE], &out.join(&cdx_name));
        assert!(ok, "{said}");
        let mut broken = cdx.clone();
        broken["components"][0]["hashes"][0]["alg"] = serde_json::json!("SHA-257");
        let bad = dir.join("broken.cdx.json");
        std::fs::write(&bad, serde_json::to_string(&broken).unwrap()).unwrap();
        assert!(
            !validate("python3", &["-c", CDX_VALIDATE], &bad).0,
            "CycloneDX's validator took an unknown hash algorithm"
        );
    }

    // An edit's incremental build makes packages for trying: its SBOM lists the packages (and
    // still validates) without hashing their files, and says so.
    sh(&tree, "echo '/* edit */' >> main/sip.c");
    let out_edit = dir.join("out-edit");
    let run = must(xtask(&native_rpm_args(&tree, &out_edit), &target, &[]));
    assert!(
        run.stderr
            .contains("sbom: the packages without their files' hashes (packages for trying"),
        "{}",
        run.stderr
    );
    let text = std::fs::read_to_string(out_edit.join("manifest.json")).unwrap();
    let (spdx, _, _) = manifest_artifacts(&text)
        .into_iter()
        .find(|a| a.1 == "sbom" && a.0.ends_with(".spdx.json"))
        .unwrap();
    let doc: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(out_edit.join(&spdx)).unwrap()).unwrap();
    assert!(
        doc["files"].as_array().unwrap().is_empty(),
        "{}",
        doc["files"]
    );
    let rpms: Vec<&serde_json::Value> = doc["packages"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|p| p["packageFileName"].as_str().unwrap().ends_with(".rpm"))
        .collect();
    assert!(rpms.len() > 2);
    assert!(rpms.iter().all(|p| p["filesAnalyzed"] == false), "{rpms:?}");
    let (ok, said) = validate("pyspdxtools", &["-i"], &out_edit.join(&spdx));
    assert!(ok, "{said}");
    let (ok, said) = validate("ntia-checker", &["-c", "ntia"], &out_edit.join(&spdx));
    assert!(ok && said.contains("Conformant: True"), "{said}");
    let cdx = spdx.replace(".spdx.json", ".cdx.json");
    let (ok, said) = validate("python3", &["-c", CDX_VALIDATE], &out_edit.join(&cdx));
    assert!(ok, "{said}");
    std::fs::remove_dir_all(&dir).unwrap();
}

/// The SRPM's spec and the SBOM's archive entry of a build of `tree` into `out`.
fn spec_and_archive(
    tree: &std::path::Path,
    out: &std::path::Path,
    target: &std::path::Path,
) -> (String, serde_json::Value, String) {
    let run = must(xtask(&native_rpm_args(tree, out), target, &[]));
    let spec = sh(
        out,
        "rpm2cpio SRPMS/*.src.rpm | cpio -i --quiet --to-stdout asterisk.spec",
    );
    let name = sh(out, "ls *.spdx.json").trim().to_string();
    let doc: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(out.join(&name)).unwrap()).unwrap();
    let archive = doc["packages"]
        .as_array()
        .unwrap()
        .iter()
        .find(|p| {
            p["SPDXID"]
                .as_str()
                .unwrap()
                .starts_with("SPDXRef-Package-source-")
        })
        .unwrap()
        .clone();
    if installed(
        "pyspdxtools (pip install spdx-tools)",
        &["pyspdxtools", "--help"],
    ) {
        let (ok, said) = validate("pyspdxtools", &["-i"], &out.join(&name));
        assert!(ok, "{said}");
    }
    (spec, archive, run.stderr)
}

#[test]
fn asterisks_release_address_only_for_its_release_and_only_addresses_that_hold() {
    let dir = scratch("release-address");
    let target = dir.join("target");
    let release = "https://downloads.asterisk.org/pub/telephony/asterisk/releases";
    // An unpacked release (no git, .version 22.1.0): Asterisk's address, its tag's purl.
    let plain = plain_tree(&dir.join("plain"), true);
    let (spec, archive, _) = spec_and_archive(&plain, &dir.join("out-plain"), &target);
    assert!(
        spec.contains(&format!("%global asterisk_source_url {release}\n")),
        "{spec}"
    );
    assert_eq!(
        archive["downloadLocation"],
        format!("{release}/asterisk-22.1.0.tar.gz")
    );
    assert_eq!(
        archive["externalRefs"][0]["referenceLocator"],
        "pkg:github/asterisk/asterisk@22.1.0"
    );
    // A git tree whose .version says 22.1.0 on an untagged commit: not Asterisk's release.
    let tree = git_tree(&dir.join("git"));
    sh(
        &tree,
        "echo 22.1.0 > .version && git add .version && git commit -q -m release-files",
    );
    let (spec, archive, _) = spec_and_archive(&tree, &dir.join("out-git"), &target);
    assert!(!spec.contains("%global asterisk_source_url"), "{spec}");
    assert_eq!(archive["downloadLocation"], "NOASSERTION");
    let commit = sh(&tree, "git rev-parse HEAD").trim().to_string();
    assert_eq!(
        archive["externalRefs"][0]["referenceLocator"],
        format!("pkg:github/asterisk/asterisk@{commit}")
    );
    // Tagged 22.1.0: the release. With an uncommitted edit: the commit, never `-dirty`.
    sh(&tree, "git tag 22.1.0");
    let (spec, _, _) = spec_and_archive(&tree, &dir.join("out-tagged"), &target);
    assert!(
        spec.contains(&format!("%global asterisk_source_url {release}\n")),
        "{spec}"
    );
    sh(&tree, "echo '/* edit */' >> main/sip.c");
    let (spec, archive, _) = spec_and_archive(&tree, &dir.join("out-dirty"), &target);
    assert!(!spec.contains("%global asterisk_source_url"), "{spec}");
    assert_eq!(
        archive["externalRefs"][0]["referenceLocator"],
        format!("pkg:github/asterisk/asterisk@{commit}")
    );
    // An address a Source line cannot hold: said, the file alone in the SRPM, NOASSERTION in
    // the SBOM (which stays valid).
    sh(&tree, "git checkout -q main/sip.c && sed -i 's|^PACKAGE_URL ?= .*|PACKAGE_URL ?= https://ex ample.com/100%/\"q\"/$(PJPROJECT_VERSION)|' third-party/pjproject/Makefile.rules");
    let out = dir.join("out-odd");
    let (spec, _, said) = spec_and_archive(&tree, &out, &target);
    assert!(said.contains("note: the address third-party/pjproject gives (https://ex ample.com/100%/\"q\"/2.17/pjproject-2.17.tar.bz2) is not one a Source line or an SBOM can hold"), "{said}");
    assert!(!spec.contains("%global asterisk_pjproject_url"), "{spec}");
    assert!(
        spec.contains(
            "Source1:        %{?asterisk_pjproject_url:%{asterisk_pjproject_url}/}pjproject-"
        ),
        "{spec}"
    );
    let name = sh(&out, "ls *.spdx.json").trim().to_string();
    let doc: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(out.join(&name)).unwrap()).unwrap();
    let pj = doc["packages"]
        .as_array()
        .unwrap()
        .iter()
        .find(|p| p["name"] == "pjproject")
        .unwrap();
    assert_eq!(pj["downloadLocation"], "NOASSERTION");
    std::fs::remove_dir_all(&dir).unwrap();
}
