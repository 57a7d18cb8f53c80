//! Which paths of the tree go into the source archive, and which differ from the commit.
//!
//! In a git tree: every tracked file as it is in the working tree (deleted ones left out) plus
//! untracked files git does not ignore. In a plain tree: every file. Never `.git`, never the
//! target or output directory. Symlinks stay symlinks, exec bits are kept, and a name that is
//! not UTF-8 is an error.

use std::os::unix::fs::{MetadataExt, PermissionsExt};

use anyhow::{bail, Context, Result};
use camino::{Utf8Path, Utf8PathBuf};

use super::status::parse_status;
use super::tree::{Tree, TreeKind};
use super::warnings::{warn_about_contents, warn_about_links};

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum EntryKind {
    File { executable: bool },
    Symlink { target: String },
}

#[derive(Debug, Clone)]
pub struct Entry {
    /// Relative to the tree, `/`-separated.
    pub path: String,
    pub kind: EntryKind,
    pub mtime: i64,
}

#[derive(Debug, Clone, Default)]
pub struct FileSet {
    /// Sorted by path.
    pub entries: Vec<Entry>,
    /// Paths (relative to the tree) that differ from the commit: modified, added, untracked.
    pub changed: Vec<String>,
    /// Whether the tree differs from its commit at all (including deletions and untracked
    /// files); always true for a plain tree, which has no commit.
    pub differs: bool,
    /// Whether a tracked file changed (git's dirty mark); false for a plain tree.
    pub tracked_changes: bool,
    /// Notes for the user (build outputs packed, submodules skipped).
    pub warnings: Vec<String>,
}

/// Collects the file set. `excluded` are absolute directories never packed (target, out).
pub fn collect(tree: &Tree, excluded: &[Utf8PathBuf]) -> Result<FileSet> {
    let excluded = relative_exclusions(&tree.root, excluded);
    match tree.kind {
        TreeKind::Git => collect_git(tree, &excluded),
        TreeKind::Plain => collect_plain(&tree.root, &excluded),
    }
}

/// The excluded directories that lie inside the tree, relative to it.
fn relative_exclusions(root: &Utf8Path, excluded: &[Utf8PathBuf]) -> Vec<String> {
    excluded
        .iter()
        .filter_map(|dir| {
            let dir = dir.canonicalize_utf8().unwrap_or_else(|_| dir.clone());
            dir.strip_prefix(root).ok().map(|rel| rel.to_string())
        })
        .filter(|rel| !rel.is_empty())
        .collect()
}

/// Whether `rel` is `.git`, inside it, or inside one of the excluded directories.
pub fn is_excluded(rel: &str, excluded: &[String]) -> bool {
    let under = |dir: &str| rel == dir || rel.starts_with(&format!("{dir}/"));
    under(".git") || rel.split('/').any(|c| c == ".git") || excluded.iter().any(|d| under(d))
}

/// NUL-separated names from git, each of which must be UTF-8.
pub fn split_names(bytes: &[u8]) -> Result<Vec<String>> {
    bytes
        .split(|b| *b == 0)
        .filter(|name| !name.is_empty())
        .map(|name| match std::str::from_utf8(name) {
            Ok(s) => Ok(s.to_string()),
            Err(_) => bail!(
                "the file name {:?} is not UTF-8: rename it, or add it to .gitignore to leave it out",
                String::from_utf8_lossy(name)
            ),
        })
        .collect()
}

fn collect_git(tree: &Tree, excluded: &[String]) -> Result<FileSet> {
    let root = &tree.root;
    let git = |args: &[&str]| tree.git().args(args.iter().copied());
    let listed = git(&[
        "ls-files",
        "-z",
        "--cached",
        "--others",
        "--exclude-standard",
        "--deduplicate",
    ])
    .read_bytes()
    .context("listing the tree's files with git")?;
    let mut set = FileSet::default();
    let mut submodules = Vec::new();
    for path in split_names(&listed)? {
        if is_excluded(&path, excluded) {
            continue;
        }
        match entry_at(root, &path, Hint::Git)? {
            Some(Looked::Entry(entry)) => set.entries.push(entry),
            Some(Looked::Directory) => {
                set.warnings.push(format!(
                    "{path} is a submodule or nested repository: left out of the archive"
                ));
                submodules.push(path);
            }
            None => {} // deleted in the working tree
        }
    }
    set.entries.sort_by(|a, b| a.path.cmp(&b.path));
    set.entries.dedup_by(|a, b| a.path == b.path);

    // Paths from `git status` are relative to the repository, the tree may be inside it.
    let prefix = git(&["rev-parse", "--show-prefix"])
        .read()
        .context("asking git where the tree is in its repository")?;
    let prefix = prefix.trim_end_matches('\n');
    let status = git(&[
        "status",
        "--porcelain=v1",
        "-z",
        "--untracked-files=all",
        "--",
        ".",
    ])
    .read_bytes()
    .context("asking git which files differ from the commit")?;
    let status = parse_status(&status, prefix, excluded, &submodules)?;
    set.differs = status.any;
    set.tracked_changes = status.tracked;
    set.changed = status.changed;
    warn_about_contents(root, &mut set);
    Ok(set)
}

fn collect_plain(root: &Utf8Path, excluded: &[String]) -> Result<FileSet> {
    let mut set = FileSet {
        differs: true,
        ..FileSet::default()
    };
    let mut pending = vec![String::new()];
    while let Some(dir) = pending.pop() {
        let abs = if dir.is_empty() {
            root.to_owned()
        } else {
            root.join(&dir)
        };
        let read = std::fs::read_dir(&abs).with_context(|| format!("reading directory {abs}"))?;
        for item in read {
            let item = item.with_context(|| format!("reading directory {abs}"))?;
            let Some(name) = item.file_name().to_str().map(str::to_string) else {
                bail!(
                    "the file name {:?} in {abs} is not UTF-8: rename it or remove it",
                    item.file_name()
                );
            };
            let rel = if dir.is_empty() {
                name
            } else {
                format!("{dir}/{name}")
            };
            if is_excluded(&rel, excluded) {
                continue;
            }
            match entry_at(root, &rel, Hint::Plain)? {
                Some(Looked::Entry(entry)) => set.entries.push(entry),
                Some(Looked::Directory) => pending.push(rel),
                None => {}
            }
        }
    }
    set.entries.sort_by(|a, b| a.path.cmp(&b.path));
    set.changed = set.entries.iter().map(|e| e.path.clone()).collect();
    let outputs = build_outputs(set.entries.iter().map(|e| e.path.as_str()));
    if !outputs.is_empty() {
        set.warnings.push(format!(
            "this tree has been configured or built in place ({} ...): those outputs will be packed; \
             run `make distclean` first for a clean archive",
            outputs.join(", ")
        ));
    }
    warn_about_links(&mut set);
    Ok(set)
}

/// Up to three paths that show a configured or built tree.
pub fn build_outputs<'a>(paths: impl Iterator<Item = &'a str>) -> Vec<&'a str> {
    paths
        .filter(|p| *p == "config.status" || p.ends_with(".o"))
        .take(3)
        .collect()
}

enum Looked {
    Entry(Entry),
    Directory,
}

/// How a tree decides what is packed, for the advice on a file that cannot be.
#[derive(Clone, Copy)]
enum Hint {
    Git,
    Plain,
}

fn entry_at(root: &Utf8Path, rel: &str, hint: Hint) -> Result<Option<Looked>> {
    let abs = root.join(rel);
    let meta = match std::fs::symlink_metadata(&abs) {
        Ok(meta) => meta,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(None),
        Err(e) => return Err(e).with_context(|| format!("reading {abs}")),
    };
    let kind = if meta.file_type().is_symlink() {
        let target = std::fs::read_link(&abs).with_context(|| format!("reading the link {abs}"))?;
        let Some(target) = target.to_str() else {
            bail!("the link {abs} points to a name that is not UTF-8: change it");
        };
        EntryKind::Symlink {
            target: target.to_string(),
        }
    } else if meta.is_dir() {
        return Ok(Some(Looked::Directory));
    } else if meta.is_file() {
        EntryKind::File {
            executable: meta.permissions().mode() & 0o111 != 0,
        }
    } else {
        let what = match hint {
            // git lists no untracked FIFO or socket: this one is a tracked path.
            Hint::Git => &*format!("put back the file git tracks there (git checkout -- '{rel}')"),
            Hint::Plain => {
                "remove it or move it out of the tree (without git, every file in the tree is packed)"
            }
        };
        bail!("{abs} is neither a file, a link nor a directory (a FIFO or socket?): {what}");
    };
    Ok(Some(Looked::Entry(Entry {
        path: rel.to_string(),
        kind,
        mtime: meta.mtime(),
    })))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn exclusions() {
        let excluded = vec!["target".to_string(), "out/rpm".to_string()];
        let cases = [
            ("main/asterisk.c", false),
            ("target", true),
            ("target/debug/xtask", true),
            ("targets/x", false),
            ("out/rpm/manifest.json", true),
            ("out/other", false),
            (".git", true),
            (".git/config", true),
            ("third-party/x/.git/HEAD", true),
            (".github/workflows/ci.yml", false),
            (".gitignore", false),
        ];
        for (rel, want) in cases {
            assert_eq!(is_excluded(rel, &excluded), want, "{rel}");
        }
    }

    #[test]
    fn names_must_be_utf8() {
        assert_eq!(
            split_names(b"a\0b c\0\0").unwrap(),
            vec!["a".to_string(), "b c".to_string()]
        );
        let err = split_names(b"ok\0bad\xff\0").unwrap_err().to_string();
        assert!(err.contains("not UTF-8") && err.contains("bad"), "{err}");
    }

    #[test]
    fn build_outputs_are_noticed() {
        let paths = ["configure", "main/asterisk.o", "config.status", "a.c"];
        assert_eq!(
            build_outputs(paths.into_iter()),
            vec!["main/asterisk.o", "config.status"]
        );
        assert!(build_outputs(["a.c", "b.h"].into_iter()).is_empty());
    }
}
