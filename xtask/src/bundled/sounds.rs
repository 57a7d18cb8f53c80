//! The sound sets the tree knows (`sounds/sounds.xml`) and where their tarballs are
//! (`sounds/Makefile`), named as Asterisk's sounds/Makefile names them.

use std::collections::BTreeMap;

use anyhow::{bail, Context, Result};
use camino::Utf8Path;

use super::tarball::make_variable;
use crate::infra::json::{self, json, Value};
use crate::infra::record::Record;

/// One selected sound set.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SoundSet {
    /// As menuselect knows it: `CORE-SOUNDS-EN-GSM`.
    pub name: String,
    /// The package: `asterisk-core-sounds-en-gsm`.
    pub package: String,
    pub version: String,
    /// `asterisk-core-sounds-en-gsm-1.6.1.tar.gz`; its checksum is `<file>.sha1` beside it.
    pub file: String,
    pub url: String,
    /// Where it unpacks, under Asterisk's data directory: `sounds/en`, `moh`.
    pub dir: String,
}

impl SoundSet {
    /// The manifest's record of a packaged set: its name, version and subpackage.
    pub fn record(&self) -> SoundRecord {
        SoundRecord {
            name: self.name.clone(),
            version: self.version.clone(),
            package: self.package.clone(),
        }
    }
}

/// A sound set the packages hold, as the manifest records it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SoundRecord {
    pub name: String,
    pub version: String,
    pub package: String,
}

impl SoundRecord {
    pub fn to_json(&self) -> Value {
        json!({"name": self.name, "version": self.version, "package": self.package})
    }

    pub fn from_json(v: &Value) -> anyhow::Result<SoundRecord> {
        Ok(SoundRecord {
            name: json::text(v, "name")?,
            version: json::text(v, "version")?,
            package: json::text(v, "package")?,
        })
    }
}

/// `sounds`. The sound sets a manifest records are those asked for now when they have the same
/// names and versions, in the same order.
impl Record for Vec<SoundRecord> {
    const LABEL: &'static str = "sound sets";

    fn write(&self) -> Vec<(&'static str, Value)> {
        let sets: Vec<Value> = self.iter().map(SoundRecord::to_json).collect();
        vec![("sounds", Value::Array(sets))]
    }

    fn read(doc: &Value) -> Result<Self> {
        json::list(doc, "sounds", SoundRecord::from_json)
    }

    fn same(&self, next: &Self) -> bool {
        let key = |s: &SoundRecord| (s.name.clone(), s.version.clone());
        self.iter().map(key).eq(next.iter().map(key))
    }
}

/// The member names of the sound categories of a `sounds.xml`.
pub fn known(sounds_xml: &str) -> Vec<String> {
    let mut names = Vec::new();
    let mut in_sounds = false;
    for line in sounds_xml.lines().map(str::trim) {
        if let Some(rest) = line.strip_prefix("<category name=\"") {
            let category = rest.split('"').next().unwrap_or("");
            in_sounds = matches!(
                category,
                "MENUSELECT_CORE_SOUNDS" | "MENUSELECT_MOH" | "MENUSELECT_EXTRA_SOUNDS"
            );
        } else if let Some(rest) = line.strip_prefix("<member name=\"") {
            if in_sounds {
                names.push(rest.split('"').next().unwrap_or("").to_string());
            }
        }
    }
    names
}

/// `CORE-SOUNDS-EN_AU-WAV` -> (`asterisk-core-sounds-en_AU-wav`, `sounds/en_AU`, which version);
/// the substitutions of Asterisk's sounds/Makefile: the language's first part and the format
/// lower-cased, the rest as it is.
fn package_of(name: &str) -> Option<(String, String, &'static str)> {
    let lang = |l: &str| match l.split_once('_') {
        Some((a, b)) => format!("{}_{b}", a.to_ascii_lowercase()),
        None => l.to_ascii_lowercase(),
    };
    if let Some(rest) = name.strip_prefix("CORE-SOUNDS-") {
        let (l, format) = rest.rsplit_once('-')?;
        let l = lang(l);
        return Some((
            format!("asterisk-core-sounds-{l}-{}", format.to_ascii_lowercase()),
            format!("sounds/{l}"),
            "CORE_SOUNDS_VERSION",
        ));
    }
    if let Some(rest) = name.strip_prefix("EXTRA-SOUNDS-") {
        let (l, format) = rest.rsplit_once('-')?;
        let l = lang(l);
        return Some((
            format!("asterisk-extra-sounds-{l}-{}", format.to_ascii_lowercase()),
            format!("sounds/{l}"),
            "EXTRA_SOUNDS_VERSION",
        ));
    }
    let rest = name.strip_prefix("MOH-")?;
    Some((
        format!("asterisk-moh-{}", rest.to_ascii_lowercase()),
        "moh".into(),
        "MOH_VERSION",
    ))
}

/// The sets named, as the tree describes them; an unknown name is an error listing the known.
pub fn selected(tree: &Utf8Path, names: &[String]) -> Result<Vec<SoundSet>> {
    if names.is_empty() {
        return Ok(Vec::new());
    }
    let read = |rel: &str| {
        let path = tree.join(rel);
        crate::infra::regular::read_to_string(&path)
            .with_context(|| format!("reading {path}: the tree does not say which sounds it has"))
    };
    let known = known(&read("sounds/sounds.xml")?);
    let makefile = read("sounds/Makefile")?;
    let no_vars = BTreeMap::new();
    let variable = |v: &str| -> Result<String> {
        make_variable(&makefile, v, &no_vars)?
            .with_context(|| format!("{tree}/sounds/Makefile does not set {v}"))
    };
    let base = variable("SOUNDS_URL")?;
    let mut sets = Vec::new();
    for name in names {
        if !known.contains(name) {
            let shown: Vec<&str> = known.iter().take(6).map(String::as_str).collect();
            bail!(
                "--sounds {name} is not a sound set of this tree (sounds/sounds.xml knows {} of \
                 them, such as {}): use those names",
                known.len(),
                shown.join(", ")
            );
        }
        let (package, dir, version_var) =
            package_of(name).with_context(|| format!("cannot name the tarball of {name}"))?;
        let version = variable(version_var)?;
        let file = format!("{package}-{version}.tar.gz");
        sets.push(SoundSet {
            name: name.clone(),
            url: format!("{}/{file}", base.trim_end_matches('/')),
            package,
            version,
            file,
            dir,
        });
    }
    Ok(sets)
}

/// The sha1 in a `.sha1` file (`<sha1>  <file>`), lower-case.
pub fn sha1_in(text: &str) -> Option<String> {
    let sum = text.split_whitespace().next()?;
    (sum.len() == 40 && sum.bytes().all(|b| b.is_ascii_hexdigit()))
        .then(|| sum.to_ascii_lowercase())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_become_packages_like_asterisks_makefile() {
        let cases = [
            (
                "CORE-SOUNDS-EN-GSM",
                "asterisk-core-sounds-en-gsm",
                "sounds/en",
                "CORE_SOUNDS_VERSION",
            ),
            (
                "CORE-SOUNDS-EN_AU-WAV",
                "asterisk-core-sounds-en_AU-wav",
                "sounds/en_AU",
                "CORE_SOUNDS_VERSION",
            ),
            (
                "EXTRA-SOUNDS-FR-SLN16",
                "asterisk-extra-sounds-fr-sln16",
                "sounds/fr",
                "EXTRA_SOUNDS_VERSION",
            ),
            (
                "MOH-OPSOUND-WAV",
                "asterisk-moh-opsound-wav",
                "moh",
                "MOH_VERSION",
            ),
        ];
        for (name, package, dir, version) in cases {
            assert_eq!(
                package_of(name),
                Some((package.to_string(), dir.to_string(), version)),
                "{name}"
            );
        }
        assert_eq!(package_of("BUILD_NATIVE"), None);
    }

    #[test]
    fn sound_sets_of_a_sounds_xml() {
        let xml = "<category name=\"MENUSELECT_CORE_SOUNDS\" x>\n<member name=\"CORE-SOUNDS-EN-GSM\" y>\n</category>\n\
                   <category name=\"MENUSELECT_APPS\">\n<member name=\"app_dial\">\n</category>\n\
                   <category name=\"MENUSELECT_MOH\">\n<member name=\"MOH-OPSOUND-WAV\">\n";
        assert_eq!(known(xml), ["CORE-SOUNDS-EN-GSM", "MOH-OPSOUND-WAV"]);
        assert_eq!(
            sha1_in(
                "0123456789abcdef0123456789ABCDEF01234567  asterisk-moh-opsound-wav-2.03.tar.gz\n"
            )
            .as_deref(),
            Some("0123456789abcdef0123456789abcdef01234567")
        );
        assert_eq!(sha1_in("nope"), None);
    }
}
