//! A small record kept per tree in the target directory (the dirty builds' ledger, git's
//! memo): named by a digest of the tree's path, written in one step (a temporary file renamed
//! over it), so that a reader sees the old record or the new one, never half of one.

use anyhow::{Context, Result};
use camino::{Utf8Path, Utf8PathBuf};

/// One tree's record of one kind in a target directory.
pub struct TreeRecord {
    path: Utf8PathBuf,
}

impl TreeRecord {
    /// The record of `kind` (a directory under `target/xtask`) for `tree`.
    pub fn of(target: &Utf8Path, tree: &Utf8Path, kind: &str) -> TreeRecord {
        let key = &crate::infra::digest::sha256_of_parts(&[tree.as_str().as_bytes()])[..16];
        TreeRecord {
            path: target.join("xtask").join(kind).join(key),
        }
    }

    /// The record beside this one whose name ends in `.suffix`.
    pub fn beside(&self, suffix: &str) -> TreeRecord {
        TreeRecord {
            path: Utf8PathBuf::from(format!("{}.{suffix}", self.path)),
        }
    }

    /// The record's text; None when there is none or it cannot be read.
    pub fn read(&self) -> Option<String> {
        std::fs::read_to_string(&self.path).ok()
    }

    /// Replaces the record with `text`, in one step.
    pub fn write(&self, text: &str) -> Result<()> {
        let path = &self.path;
        let dir = path.parent().context("a record has no directory")?;
        std::fs::create_dir_all(dir).with_context(|| format!("creating {dir}"))?;
        let tmp = Utf8PathBuf::from(format!("{path}.tmp-{}", std::process::id()));
        std::fs::write(&tmp, text).with_context(|| format!("writing {tmp}"))?;
        std::fs::rename(&tmp, path).with_context(|| format!("writing {path}"))
    }
}
