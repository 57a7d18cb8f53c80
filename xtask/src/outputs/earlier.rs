//! Whether an output directory is an earlier output of this tool: a manifest of its schema (or
//! an older one) and nothing in the directory but the files it lists, each of the size it
//! records.

use std::collections::BTreeSet;

use anyhow::{Context, Result};
use camino::Utf8Path;

use super::manifest::listed_artifacts;
use super::manifest::MANIFEST;

/// Every directory that holds one of `paths` (relative, `/`-separated), at any depth.
pub fn parents<'a>(paths: impl Iterator<Item = &'a str>) -> BTreeSet<String> {
    let mut parents = BTreeSet::new();
    for path in paths {
        let mut at = path;
        while let Some((parent, _)) = at.rsplit_once('/') {
            parents.insert(parent.to_string());
            at = parent;
        }
    }
    parents
}

/// What is in a directory, as far as publishing cares: regular files with their sizes,
/// directories, and anything else.
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub struct Listing {
    pub files: Vec<(String, u64)>,
    pub dirs: Vec<String>,
    /// Links, FIFOs, sockets: never written by this tool.
    pub others: Vec<String>,
}

/// The paths of `listing` that no build wrote, given the files the manifest lists (relative,
/// with their sizes). Empty means the directory is an earlier output and may be replaced.
pub fn foreign(listing: &Listing, listed: &[(String, u64)]) -> Vec<String> {
    let parents = parents(listed.iter().map(|(p, _)| p.as_str()));
    let mut out: Vec<String> = listing
        .files
        .iter()
        .filter(|(path, size)| {
            path != MANIFEST && !listed.iter().any(|(p, s)| p == path && s == size)
        })
        .map(|(path, _)| path.clone())
        .chain(
            listing
                .dirs
                .iter()
                .filter(|d| !parents.contains(*d))
                .cloned(),
        )
        .chain(listing.others.iter().cloned())
        .collect();
    out.sort();
    out
}

/// Whether a path from a manifest stays inside the directory: relative, no `..`, no empty or
/// `.` parts. A manifest that names anything else is not this tool's.
fn is_plain_relative(path: &str) -> bool {
    !path.is_empty()
        && !path.starts_with('/')
        && path
            .split('/')
            .all(|p| !p.is_empty() && p != "." && p != "..")
}

/// Lists `dir` recursively (paths relative to it). Links are not followed.
pub fn list(dir: &Utf8Path) -> Result<Listing> {
    let mut listing = Listing::default();
    let mut pending = vec![String::new()];
    while let Some(rel) = pending.pop() {
        let abs = if rel.is_empty() {
            dir.to_owned()
        } else {
            dir.join(&rel)
        };
        for entry in abs
            .read_dir_utf8()
            .with_context(|| format!("reading {abs}"))?
        {
            let entry = entry.with_context(|| format!("reading {abs}"))?;
            let path = if rel.is_empty() {
                entry.file_name().to_string()
            } else {
                format!("{rel}/{}", entry.file_name())
            };
            let meta = std::fs::symlink_metadata(entry.path())
                .with_context(|| format!("reading {}", entry.path()))?;
            if meta.is_dir() {
                listing.dirs.push(path.clone());
                pending.push(path);
            } else if meta.is_file() {
                listing.files.push((path, meta.len()));
            } else {
                listing.others.push(path);
            }
        }
    }
    Ok(listing)
}

/// Why a directory is not an earlier output of this tool, in words ("it has no manifest.json").
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NotEarlier(pub String);

impl std::fmt::Display for NotEarlier {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

impl std::error::Error for NotEarlier {}

/// The files an earlier output in `dir` consists of (its manifest's artifacts, then the
/// manifest), or why `dir` is not an earlier output; an error when it cannot be read (with the
/// system's reason, for the hints a full or read-only disk gets).
pub fn earlier_output(dir: &Utf8Path) -> anyhow::Result<Result<Vec<String>, NotEarlier>> {
    // An empty directory may be used; any other needs this tool's manifest, which is looked at
    // before anything is listed (a directory such as / is refused at once, not walked).
    let empty = dir
        .read_dir_utf8()
        .with_context(|| format!("reading {dir}"))?
        .next()
        .is_none();
    let not = |why: String| Ok(Err(NotEarlier(why)));
    if empty {
        return Ok(Ok(Vec::new()));
    }
    let text = match std::fs::read_to_string(dir.join(MANIFEST)) {
        Ok(text) => text,
        Err(_) => return not(format!("it has no {MANIFEST}")),
    };
    let listed = match listed_artifacts(&text) {
        Ok(listed) => listed,
        Err(e) => return not(format!("its {MANIFEST} is not one this tool wrote ({e:#})")),
    };
    if let Some((bad, _)) = listed.iter().find(|(p, _)| !is_plain_relative(p)) {
        return not(format!(
            "its {MANIFEST} lists {bad}, which is outside it: this tool writes no such manifest"
        ));
    }
    let listing = list(dir)?;
    let strangers = foreign(&listing, &listed);
    if !strangers.is_empty() {
        let shown: Vec<&str> = strangers.iter().take(3).map(String::as_str).collect();
        let more = strangers.len().saturating_sub(3);
        return not(format!(
            "it holds {} that no build wrote ({}{})",
            if strangers.len() == 1 {
                "a file".to_string()
            } else {
                format!("{} files", strangers.len())
            },
            shown.join(", "),
            if more > 0 {
                format!(" and {more} more")
            } else {
                String::new()
            }
        ));
    }
    let mut files: Vec<String> = listed.into_iter().map(|(p, _)| p).collect();
    files.push(MANIFEST.to_string());
    Ok(Ok(files))
}

/// The tree digest and Release time of the dirty build an output directory holds, if it holds
/// one: a dirty Release after it must be later (`source::release`).
pub fn published_stamp(out: &Utf8Path) -> Option<crate::source::release::Stamped> {
    // (Read from any schema that has it: an updated xtask's first build must still go above
    // the Release an older one published. A manifest without one, or none, holds no stamp;
    // one that is not this tool's is refused before, as no earlier output.)
    let text = std::fs::read_to_string(out.join(MANIFEST)).ok()?;
    let (digest, epoch) = super::manifest::dirty_record(&text).ok()??;
    Some(crate::source::release::Stamped { digest, epoch })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn what_counts_as_foreign() {
        let listed = vec![("RPMS/x86_64/a.rpm".to_string(), 5)];
        let listing = |files: &[(&str, u64)], dirs: &[&str], others: &[&str]| Listing {
            files: files.iter().map(|(p, s)| (p.to_string(), *s)).collect(),
            dirs: dirs.iter().map(|d| d.to_string()).collect(),
            others: others.iter().map(|o| o.to_string()).collect(),
        };
        let cases = [
            (
                listing(
                    &[("RPMS/x86_64/a.rpm", 5), (MANIFEST, 9)],
                    &["RPMS", "RPMS/x86_64"],
                    &[],
                ),
                vec![],
            ),
            (listing(&[(MANIFEST, 9)], &[], &[]), vec![]),
            (
                listing(
                    &[("RPMS/x86_64/a.rpm", 6), (MANIFEST, 9)],
                    &["RPMS", "RPMS/x86_64"],
                    &[],
                ),
                vec!["RPMS/x86_64/a.rpm"],
            ),
            (
                listing(&[("notes.txt", 1), (MANIFEST, 9)], &[".git"], &[]),
                vec![".git", "notes.txt"],
            ),
            (listing(&[(MANIFEST, 9)], &[], &["link"]), vec!["link"]),
        ];
        for (l, want) in cases {
            assert_eq!(foreign(&l, &listed), want, "{l:?}");
        }
        for (path, ok) in [
            ("RPMS/a.rpm", true),
            ("a.tar.gz", true),
            ("../x", false),
            ("/etc/passwd", false),
            ("a//b", false),
            ("./a", false),
            ("", false),
        ] {
            assert_eq!(is_plain_relative(path), ok, "{path}");
        }
    }
}
