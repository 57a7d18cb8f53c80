//! The CycloneDX 1.6 JSON rendering of the SBOM's facts: the same components, purls, CPEs,
//! hashes, licenses and suppliers as the SPDX document; each binary package's files as nested
//! `file` components; GENERATED_FROM as `pedigree.ancestors` (what a component was made from);
//! DEPENDS_ON and what the build made (SPDX's DESCRIBES) as `dependencies`.

use crate::infra::json::{json, Value};

use super::facts::{BomFacts, Component, LinkKind, Role};
use crate::infra::digest;
use crate::source::version;

/// CycloneDX's algorithm names for SPDX's.
fn algorithm(spdx: &str) -> &str {
    match spdx {
        "SHA1" => "SHA-1",
        "SHA256" => "SHA-256",
        other => other,
    }
}

/// A UUID (version 5 layout) from the build's unique name: the same build, the same serial.
fn serial_number(unique: &str) -> String {
    let h = digest::sha256_of_parts(&[b"asterisk-xtask cyclonedx ", unique.as_bytes()]);
    let mut hex: Vec<char> = h.chars().take(32).collect();
    hex[12] = '5';
    // The variant: 10xx.
    let v = hex[16].to_digit(16).unwrap_or(0);
    hex[16] = std::char::from_digit(8 | (v & 3), 16).unwrap_or('8');
    let s: String = hex.into_iter().collect();
    format!(
        "urn:uuid:{}-{}-{}-{}-{}",
        &s[0..8],
        &s[8..12],
        &s[12..16],
        &s[16..20],
        &s[20..32]
    )
}

/// A component as CycloneDX writes it, without what only the full entry carries.
fn identity(c: &Component) -> Value {
    let mut v = json!({
        "type": match c.role {
            Role::Rpm | Role::Srpm => "application",
            Role::Archive | Role::Bundled => "library",
        },
        "name": c.name,
        "version": c.version,
        "purl": c.purl,
    });
    if let Some(cpe) = &c.cpe {
        v["cpe"] = json!(cpe);
    }
    v
}

fn full(c: &Component, ancestors: Vec<Value>) -> Value {
    let mut v = identity(c);
    v["bom-ref"] = json!(c.key);
    v["supplier"] = json!({"name": c.supplier.name()});
    if let Some(o) = &c.originator {
        v["authors"] = json!([{"name": o.name()}]);
    }
    v["hashes"] = json!(c
        .checksums
        .iter()
        .map(|(a, h)| json!({"alg": algorithm(a), "content": h}))
        .collect::<Vec<_>>());
    if let Some(l) = &c.license {
        v["licenses"] = json!([{"expression": l}]);
    }
    if let Some(url) = &c.download {
        v["externalReferences"] = json!([{"type": "distribution", "url": url}]);
    }
    let mut properties = Vec::new();
    if let Some(name) = &c.file_name {
        properties.push(json!({"name": "asterisk-xtask:file-name", "value": name}));
    }
    if let Some(comment) = &c.comment {
        v["description"] = json!(comment);
    }
    if !properties.is_empty() {
        v["properties"] = json!(properties);
    }
    if !ancestors.is_empty() {
        v["pedigree"] = json!({"ancestors": ancestors});
    }
    if !c.files.is_empty() {
        v["components"] = json!(c
            .files
            .iter()
            .map(|f| json!({
                "type": "file",
                "bom-ref": format!("{}:{}", c.key, f.path),
                "name": f.path,
                "hashes": [
                    {"alg": "SHA-1", "content": f.sha1},
                    {"alg": "SHA-256", "content": f.sha256},
                ],
            }))
            .collect::<Vec<_>>());
    }
    v
}

/// The CycloneDX 1.6 document.
pub fn document(f: &BomFacts) -> Value {
    let by_key = |key: &str| f.components.iter().find(|c| c.key == key);
    let mut components = Vec::new();
    let mut dependencies = Vec::new();
    for c in &f.components {
        let ancestors: Vec<Value> = f
            .links
            .iter()
            .filter(|l| l.kind == LinkKind::GeneratedFrom && l.from == c.key)
            .filter_map(|l| by_key(&l.to))
            .map(identity)
            .collect();
        components.push(full(c, ancestors));
        let depends: Vec<&str> = f
            .links
            .iter()
            .filter(|l| l.kind == LinkKind::DependsOn && l.from == c.key)
            .map(|l| l.to.as_str())
            .collect();
        dependencies.push(json!({"ref": c.key, "dependsOn": depends}));
    }
    let build_ref = format!("build-{}-{}", f.name, f.version_release);
    dependencies.push(json!({
        "ref": build_ref,
        "dependsOn": f.described().map(|c| c.key.as_str()).collect::<Vec<_>>(),
    }));
    json!({
        "$schema": "http://cyclonedx.org/schema/bom-1.6.schema.json",
        "bomFormat": "CycloneDX",
        "specVersion": "1.6",
        "serialNumber": serial_number(&f.unique),
        "version": 1,
        "metadata": {
            "timestamp": version::rfc3339(f.created),
            "tools": {"components": [{
                "type": "application",
                "name": "asterisk-xtask",
                "version": env!("CARGO_PKG_VERSION"),
            }]},
            "component": {
                "type": "application",
                "bom-ref": build_ref,
                "name": f.name,
                "version": f.version_release,
            },
        },
        "components": components,
        "dependencies": dependencies,
    })
}
