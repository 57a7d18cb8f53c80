//! Which packages an image installs: `asterisk`, its sound sets, and the subpackages asked for
//! with `--packages` (default: what a SIP PBX needs), with the subpackages those need. Checked
//! against the build's split before anything is built.

use anyhow::{bail, Result};

use crate::outputs::manifest::{Artifact, Manifest};
use crate::plan::flag::Usage;
use crate::rpmbuild::subpackages::{self, Subpackage};

/// What a SIP PBX needs, of what the build has: the SIP stack, voicemail kept in files, HTTP
/// client functions (and STIR/SHAKEN), SRTP (WebRTC and TLS media), the codecs and formats
/// that need a library (speex, ogg/vorbis, gsm, opus).
const DEFAULT: &[&str] = &[
    "pjsip",
    "voicemail-plain",
    "curl",
    "srtp",
    "speex",
    "ogg",
    "gsm",
    "opus",
];

/// `pjsip` or `asterisk-pjsip`: the package's full name.
fn full_name(name: &str) -> String {
    match name.starts_with("asterisk-") {
        true => name.to_string(),
        false => format!("asterisk-{name}"),
    }
}

/// The subpackages to install: the asked ones (else the defaults the build has), with what they
/// need, sorted. An unknown name, or two that cannot be installed together, is one line.
pub fn to_install(asked: Option<&[String]>, offered: &[Subpackage]) -> Result<Vec<String>> {
    let there = |n: &str| offered.iter().find(|p| p.name == n);
    let mut chosen: Vec<String> = match asked {
        None => DEFAULT
            .iter()
            .map(|n| full_name(n))
            .filter(|n| there(n).is_some())
            .collect(),
        Some(names) => {
            let mut out = Vec::new();
            for name in names {
                // The main package is always installed.
                if subpackages::is_main(name) {
                    continue;
                }
                let full = full_name(name);
                if there(&full).is_none() {
                    let all: Vec<&str> = offered.iter().map(|p| p.name.as_str()).collect();
                    bail!(
                        "--packages {name}: this build has no such subpackage; it has {}",
                        match all.is_empty() {
                            true => "none".to_string(),
                            false => all.join(", "),
                        }
                    );
                }
                out.push(full);
            }
            out
        }
    };
    // What the chosen ones need, and what that needs.
    let mut i = 0;
    while i < chosen.len() {
        if let Some(p) = there(&chosen[i]) {
            for r in &p.requires {
                if !chosen.contains(r) {
                    chosen.push(r.clone());
                }
            }
        }
        i += 1;
    }
    chosen.sort();
    chosen.dedup();
    for a in &chosen {
        if let Some(b) = there(a).and_then(|p| p.conflicts.iter().find(|c| chosen.contains(c))) {
            bail!(
                "--packages: {a} and {b} cannot be installed together (one storage of the same \
                 module each): choose one"
            );
        }
    }
    Ok(chosen)
}

/// The names of what the image installs of the packages: the main package, then `chosen`.
pub fn installed(chosen: &[String]) -> Vec<&str> {
    std::iter::once(subpackages::MAIN)
        .chain(chosen.iter().map(String::as_str))
        .collect()
}

/// The binary packages the image installs: the main package, the sound sets, and the chosen
/// subpackages that were published (never -devel or debuginfo). Says which chosen ones the
/// build could not make.
pub fn rpms<'a>(manifest: &'a Manifest, chosen: &[String]) -> Vec<&'a Artifact> {
    let sounds: Vec<&str> = manifest
        .records
        .sounds
        .iter()
        .map(|s| s.package.as_str())
        .collect();
    let mut out = Vec::new();
    for record in &manifest.packages {
        let wanted = subpackages::is_main(&record.name)
            || sounds.contains(&record.name.as_str())
            || chosen.contains(&record.name);
        if !wanted {
            continue;
        }
        match &record.path {
            Some(path) => out.extend(manifest.artifacts.iter().find(|a| &a.path == path)),
            None => eprintln!("image: without {} ({})", record.name, record.note),
        }
    }
    out
}

/// `--packages A,B,C`: package names (letters, digits, `-`, `_`, `+`, `.`), none empty.
pub fn parse_names(v: &str) -> std::result::Result<Vec<String>, Usage> {
    let names: Vec<String> = v.split(',').map(|n| n.trim().to_string()).collect();
    let good = |n: &str| {
        !n.is_empty()
            && !n.starts_with('-')
            && n.chars()
                .all(|c| c.is_ascii_alphanumeric() || "-_+.".contains(c))
    };
    match names.iter().all(|n| good(n)) {
        true => Ok(names),
        false => Err(Usage(format!(
            "--packages takes subpackage names separated by commas (pjsip,voicemail-plain), not '{v}'"
        ))),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn package(name: &str, requires: &[&str], conflicts: &[&str]) -> Subpackage {
        Subpackage {
            name: name.into(),
            summary: String::new(),
            libraries: vec![],
            conflicts: conflicts.iter().map(|s| s.to_string()).collect(),
            requires: requires.iter().map(|s| s.to_string()).collect(),
            modules: vec![],
            unfamiliar: false,
            bundles: vec![],
        }
    }

    #[test]
    fn the_packages_an_image_installs() {
        let offered = [
            package("asterisk-pjsip", &["asterisk-curl"], &[]),
            package("asterisk-curl", &[], &[]),
            package("asterisk-odbc", &[], &[]),
            package("asterisk-postgresql", &[], &[]),
            package(
                "asterisk-voicemail-plain",
                &[],
                &["asterisk-voicemail-odbc"],
            ),
            package(
                "asterisk-voicemail-odbc",
                &["asterisk-odbc"],
                &["asterisk-voicemail-plain"],
            ),
        ];
        let s = |v: &[&str]| v.iter().map(|x| x.to_string()).collect::<Vec<_>>();
        type Case = (Option<Vec<String>>, Result<Vec<String>, &'static str>);
        let cases: [Case; 7] = [
            (
                None,
                Ok(s(&["asterisk-curl", "asterisk-pjsip", "asterisk-voicemail-plain"])),
            ),
            // Short names, full names; what they need comes along.
            (
                Some(s(&["voicemail-odbc"])),
                Ok(s(&["asterisk-odbc", "asterisk-voicemail-odbc"])),
            ),
            (
                Some(s(&["asterisk-postgresql", "pjsip", "asterisk"])),
                Ok(s(&["asterisk-curl", "asterisk-pjsip", "asterisk-postgresql"])),
            ),
            (Some(s(&[])), Ok(s(&[]))),
            (
                Some(s(&["mysql"])),
                Err("--packages mysql: this build has no such subpackage; it has asterisk-pjsip, asterisk-curl, asterisk-odbc, asterisk-postgresql, asterisk-voicemail-plain, asterisk-voicemail-odbc"),
            ),
            (
                Some(s(&["devel"])),
                Err("--packages devel: this build has no such subpackage"),
            ),
            (
                Some(s(&["voicemail-plain", "voicemail-odbc"])),
                Err("--packages: asterisk-voicemail-odbc and asterisk-voicemail-plain cannot be installed together"),
            ),
        ];
        for (asked, want) in cases {
            match (to_install(asked.as_deref(), &offered), want) {
                (Ok(got), Ok(want)) => assert_eq!(got, want, "{asked:?}"),
                (Err(got), Err(want)) => {
                    assert!(got.to_string().starts_with(want), "{asked:?}: {got}")
                }
                (got, want) => panic!("{asked:?}: {got:?} vs {want:?}"),
            }
        }
        // A build without subpackages: the defaults are none, a name is said to be missing.
        assert_eq!(to_install(None, &[]).unwrap(), Vec::<String>::new());
        assert!(to_install(Some(&s(&["pjsip"])), &[])
            .unwrap_err()
            .to_string()
            .ends_with("it has none"));
        // The main package comes first in what is said, whatever was chosen.
        assert_eq!(installed(&[]), ["asterisk"]);
        assert_eq!(
            installed(&s(&["asterisk-curl", "asterisk-pjsip"])),
            ["asterisk", "asterisk-curl", "asterisk-pjsip"]
        );
    }
}
