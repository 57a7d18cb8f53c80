//! Where a bench works and writes: its results directory, checked before anything is measured
//! (a bench takes minutes), and the scratch copy of the tree it builds (the user's is never
//! touched).

use anyhow::{bail, Context, Result};
use camino::{Utf8Path, Utf8PathBuf};

use crate::infra::exec::Shell;
use crate::infra::workspace::{absolute, Workspace};
use crate::plan::paths::{check_apart, Near};
use crate::source::entries::EntryKind;
use crate::source::{fileset, tree::Tree};

/// `--out` (or `<target>/bench`), made and written to once, so that a bench that cannot leave
/// its results stops before it starts.
pub fn results_dir(out: Option<&Utf8Path>, ws: &Workspace) -> Result<Utf8PathBuf> {
    let out = match out {
        Some(dir) => {
            check_apart(dir, "--out", Near::Inside, ws)?;
            absolute(dir)?
        }
        None => ws.target.join("bench"),
    };
    if out.exists() && !out.is_dir() {
        bail!("the bench's --out {out} is not a directory: name a directory for bench.json and bench.svg");
    }
    std::fs::create_dir_all(&out).with_context(|| format!("creating {out} (--out)"))?;
    let probe = out.join(format!(".bench-probe-{}", std::process::id()));
    std::fs::write(&probe, "").with_context(|| format!("writing in {out} (--out)"))?;
    std::fs::remove_file(&probe).with_context(|| format!("removing {probe}"))?;
    Ok(out)
}

/// A copy of what rpm would pack of `tree`, and its history (for the version), in
/// `work/tree`; `work` is the bench's own and laid afresh.
pub fn copy(sh: Shell, tree: &Tree, ws: &Workspace, work: &Utf8Path) -> Result<Utf8PathBuf> {
    ws.prepare_target()?;
    if work.exists() {
        std::fs::remove_dir_all(work).with_context(|| format!("removing {work}"))?;
    }
    let copy = work.join("tree");
    let files = fileset::collect(tree, std::slice::from_ref(&ws.target))?;
    for entry in &files.entries {
        let (from, to) = (tree.root.join(&entry.path), copy.join(&entry.path));
        if let Some(dir) = to.parent() {
            std::fs::create_dir_all(dir).with_context(|| format!("creating {dir}"))?;
        }
        match &entry.kind {
            EntryKind::Symlink { target } => std::os::unix::fs::symlink(target, &to),
            _ => std::fs::copy(&from, &to).map(|_| ()),
        }
        .with_context(|| format!("copying {from} to {to}"))?;
    }
    if tree.root.join(".git").exists() {
        sh.cmd("cp")
            .args([
                "-a",
                tree.root.join(".git").as_str(),
                copy.join(".git").as_str(),
            ])
            .read()
            .context("copying the tree's history into the scratch copy")?;
        // The copied index names other inodes and times: refresh it once, as a checkout in use
        // is, or every `git status` of the copy would read and hash the whole tree again.
        let _ = sh
            .git(&copy)
            .args(["update-index", "-q", "--refresh"])
            .read();
    }
    eprintln!(
        "bench: a scratch copy of {} in {copy} ({} files)",
        tree.root,
        files.entries.len()
    );
    Ok(copy)
}
