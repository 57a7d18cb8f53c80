//! What the source archive is made of: the tree's entries (a file or a link, its path, mode and
//! time), the file set `fileset` collects, and how git's names are read and which paths are
//! never packed. Below `fileset`, `status` and `warnings`, which all speak of them.

use anyhow::{bail, Result};

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
