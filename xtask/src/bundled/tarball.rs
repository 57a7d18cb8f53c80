//! What the tree says it bundles: versions from `third-party/versions.mak`, the address from each
//! `third-party/<pkg>/Makefile.rules`, the checksum from its `<tarball>.md5`. Never a hard-coded
//! host.

use std::collections::BTreeMap;

use anyhow::{bail, Context, Result};
use camino::Utf8Path;

/// A third-party tarball the build bundles.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Tarball {
    /// The package: `pjproject`, `jansson`, `libjwt`.
    pub name: String,
    pub version: String,
    /// `pjproject-2.17.tar.bz2`
    pub file: String,
    /// `PACKAGE_URL/TARBALL_FILE`, expanded.
    pub url: String,
    pub md5: String,
}

/// `NAME=value` lines of `versions.mak` (make and shell syntax alike); comments and blank lines
/// are passed over.
fn parse_versions(text: &str) -> BTreeMap<String, String> {
    text.lines()
        .map(str::trim)
        .filter(|l| !l.is_empty() && !l.starts_with('#'))
        .filter_map(|l| l.split_once('='))
        .map(|(k, v)| (k.trim().to_string(), v.trim().to_string()))
        .filter(|(k, _)| !k.is_empty() && k.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'_'))
        .collect()
}

/// The value of `NAME ?= value`, `NAME = value` or `NAME := value` in a makefile (the first
/// one, with `$(VAR)` and `${VAR}` expanded from `vars`). Commented lines do not count.
pub fn make_variable(
    text: &str,
    name: &str,
    vars: &BTreeMap<String, String>,
) -> Result<Option<String>> {
    for line in text.lines().map(str::trim).filter(|l| !l.starts_with('#')) {
        let Some(rest) = line.strip_prefix(name) else {
            continue;
        };
        let rest = rest.trim_start();
        let value = ["?=", ":=", "="]
            .iter()
            .find_map(|op| rest.strip_prefix(op));
        if let Some(value) = value {
            return expand(value.trim(), vars).map(Some);
        }
    }
    Ok(None)
}

/// `$(VAR)` and `${VAR}` replaced from `vars`; an unknown variable is an error.
pub fn expand(value: &str, vars: &BTreeMap<String, String>) -> Result<String> {
    let mut out = String::new();
    let mut rest = value;
    while let Some(at) = rest.find('$') {
        out.push_str(&rest[..at]);
        let after = &rest[at + 1..];
        let close = match after.chars().next() {
            Some('(') => ')',
            Some('{') => '}',
            _ => bail!("cannot expand '{value}': only $(VAR) and ${{VAR}} are understood"),
        };
        let end = after
            .find(close)
            .with_context(|| format!("cannot expand '{value}': an unclosed $( or ${{"))?;
        let var = &after[1..end];
        let Some(v) = vars.get(var) else {
            bail!("cannot expand '{value}': {var} is not set in third-party/versions.mak");
        };
        out.push_str(v);
        rest = &after[end + 1..];
    }
    out.push_str(rest);
    Ok(out)
}

/// The md5 of `file` in a `<md5>  <file>` checksum file.
fn md5_of(text: &str, file: &str) -> Option<String> {
    text.lines().find_map(|line| {
        let mut words = line.split_whitespace();
        let sum = words.next()?;
        let name = words.next()?.trim_start_matches('*');
        (name == file && sum.len() == 32 && sum.bytes().all(|b| b.is_ascii_hexdigit()))
            .then(|| sum.to_ascii_lowercase())
    })
}

/// The tarball the tree bundles for `package` (its `third-party/<package>/` directory).
pub fn tarball(tree: &Utf8Path, package: &str) -> Result<Tarball> {
    let dir = tree.join("third-party");
    let read = |path: &Utf8Path| {
        crate::infra::regular::read_to_string(path).with_context(|| {
            format!("reading {path}: the tree does not say how to fetch {package}")
        })
    };
    let vars = parse_versions(&read(&dir.join("versions.mak"))?);
    let rules_path = dir.join(package).join("Makefile.rules");
    let rules = read(&rules_path)?;
    let variable = |name: &str| -> Result<String> {
        make_variable(&rules, name, &vars)?
            .with_context(|| format!("{rules_path} does not set {name}"))
    };
    let base = variable("PACKAGE_URL")?;
    let file = variable("TARBALL_FILE")?;
    let version_var = format!("{}_VERSION", package.to_ascii_uppercase());
    let version = vars
        .get(&version_var)
        .with_context(|| format!("{dir}/versions.mak does not set {version_var}"))?
        .clone();
    let md5_path = dir.join(package).join(format!("{file}.md5"));
    let md5 = md5_of(&read(&md5_path)?, &file)
        .with_context(|| format!("{md5_path} has no md5 for {file}"))?;
    Ok(Tarball {
        name: package.to_string(),
        version,
        url: format!("{}/{file}", base.trim_end_matches('/')),
        file,
        md5,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn vars() -> BTreeMap<String, String> {
        parse_versions(
            "# This file is also 'sourced' by the\n# configure script\nJANSSON_VERSION=2.15.1\nPJPROJECT_VERSION=2.17\n\nLIBJWT_VERSION = 1.15.3\n",
        )
    }

    #[test]
    fn versions_are_read_like_make_and_sh() {
        let v = vars();
        assert_eq!(v["PJPROJECT_VERSION"], "2.17");
        // Older trees (20.5.0) put spaces around `=`.
        assert_eq!(v["LIBJWT_VERSION"], "1.15.3");
        assert_eq!(v.len(), 3);
    }

    #[test]
    fn makefile_variables_expand() {
        let rules = "# PACKAGE_URL ?= http://www.pjsip.org/release/$(PJPROJECT_VERSION)\n\n\
                     PACKAGE_URL ?= https://example.org/third-party/pjproject/$(PJPROJECT_VERSION)\n\
                     TARBALL_FILE = pjproject-${PJPROJECT_VERSION}.tar.bz2\n";
        let v = vars();
        assert_eq!(
            make_variable(rules, "PACKAGE_URL", &v).unwrap().unwrap(),
            "https://example.org/third-party/pjproject/2.17"
        );
        assert_eq!(
            make_variable(rules, "TARBALL_FILE", &v).unwrap().unwrap(),
            "pjproject-2.17.tar.bz2"
        );
        assert_eq!(make_variable(rules, "NOPE", &v).unwrap(), None);
        let err = expand("$(NOT_SET)/x", &v).unwrap_err().to_string();
        assert!(err.contains("NOT_SET is not set"), "{err}");
        assert_eq!(
            format!("{:#}", expand("$(UNCLOSED", &v).unwrap_err()),
            "cannot expand '$(UNCLOSED': an unclosed $( or ${"
        );
        assert_eq!(
            format!("{:#}", expand("$VAR", &v).unwrap_err()),
            "cannot expand '$VAR': only $(VAR) and ${VAR} are understood"
        );
        assert_eq!(expand("plain", &v).unwrap(), "plain");
    }

    #[test]
    fn checksums_are_found_by_name() {
        let text = "baacc87418a95107657039269bc71538  pjproject-2.17.tar.bz2\n";
        assert_eq!(
            md5_of(text, "pjproject-2.17.tar.bz2").as_deref(),
            Some("baacc87418a95107657039269bc71538")
        );
        assert_eq!(md5_of(text, "pjproject-2.16.tar.bz2"), None);
        assert_eq!(
            md5_of("nothex  pjproject-2.17.tar.bz2\n", "pjproject-2.17.tar.bz2"),
            None
        );
    }
}
