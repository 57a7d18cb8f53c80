//! NAME
//!     publish: put a finished build into the output directory in one step.
//!
//! DESCRIPTION
//!     Outputs are assembled in a staging directory beside the output directory (same file
//!     system), then swapped in with renames: the previous outputs stay whole until the new ones
//!     are complete, and a failed or interrupted build publishes nothing. An output directory
//!     that holds anything but a previous build (no manifest.json) is never replaced.

use anyhow::{bail, Context, Result};
use camino::{Utf8Path, Utf8PathBuf};

pub const MANIFEST: &str = "manifest.json";

/// Checks, before any work, that `out` can be published to: it is new, empty, or a previous
/// output; and its parent is writable. Creates the parent.
pub fn check_out_dir(out: &Utf8Path) -> Result<()> {
    if out.exists() {
        if !out.is_dir() {
            bail!("the output path {out} is a file: choose a directory with --out");
        }
        let mut entries = out
            .read_dir_utf8()
            .with_context(|| format!("reading the output directory {out}"))?;
        let empty = entries.next().is_none();
        if !empty && !out.join(MANIFEST).is_file() {
            bail!(
                "the output directory {out} holds files that no earlier build wrote (no {MANIFEST}): \
                 choose a new or empty directory with --out"
            );
        }
    }
    let parent = parent_of(out)?;
    std::fs::create_dir_all(&parent).with_context(|| {
        format!("cannot create the output directory's parent {parent}: choose a writable --out")
    })?;
    let probe = sibling(out, "probe")?;
    std::fs::create_dir(&probe).with_context(|| {
        format!(
            "cannot write in {parent}, where the output directory goes: choose a writable --out"
        )
    })?;
    std::fs::remove_dir(&probe).with_context(|| format!("removing {probe}"))?;
    Ok(())
}

/// A fresh staging directory beside `out`.
pub fn staging_dir(out: &Utf8Path) -> Result<Utf8PathBuf> {
    let staging = sibling(out, "staging")?;
    if staging.exists() {
        std::fs::remove_dir_all(&staging).with_context(|| format!("removing {staging}"))?;
    }
    std::fs::create_dir_all(&staging).with_context(|| format!("creating {staging}"))?;
    Ok(staging)
}

/// Moves (or copies across file systems) `src` to `staging/rel`.
pub fn stage_file(src: &Utf8Path, staging: &Utf8Path, rel: &str) -> Result<()> {
    let dest = staging.join(rel);
    if let Some(dir) = dest.parent() {
        std::fs::create_dir_all(dir).with_context(|| format!("creating {dir}"))?;
    }
    if std::fs::rename(src, &dest).is_err() {
        std::fs::copy(src, &dest).with_context(|| format!("copying {src} to {dest}"))?;
    }
    Ok(())
}

/// Replaces `out` with `staging`. A leftover of an interrupted swap is restored first.
pub fn swap_in(staging: &Utf8Path, out: &Utf8Path) -> Result<()> {
    let old = sibling(out, "old")?;
    if old.exists() && !out.exists() {
        // An earlier run stopped between its two renames: that was the last good output.
        std::fs::rename(&old, out).with_context(|| format!("restoring {out} from {old}"))?;
    }
    if old.exists() {
        std::fs::remove_dir_all(&old).with_context(|| format!("removing {old}"))?;
    }
    if out.exists() {
        std::fs::rename(out, &old).with_context(|| format!("moving {out} aside"))?;
    }
    if let Err(e) = std::fs::rename(staging, out) {
        let _ = std::fs::rename(&old, out);
        return Err(e).with_context(|| format!("moving the new outputs into {out}"));
    }
    if old.exists() {
        std::fs::remove_dir_all(&old).with_context(|| format!("removing the old outputs {old}"))?;
    }
    Ok(())
}

fn parent_of(out: &Utf8Path) -> Result<Utf8PathBuf> {
    match out.parent() {
        Some(p) if !p.as_str().is_empty() => Ok(p.to_owned()),
        Some(_) => Ok(Utf8PathBuf::from(".")),
        None => bail!("{out} cannot be an output directory: choose another --out"),
    }
}

/// `<parent>/.<name>.<what>-<pid>` (staging, probe) or `<parent>/.<name>.old`.
fn sibling(out: &Utf8Path, what: &str) -> Result<Utf8PathBuf> {
    let Some(name) = out.file_name() else {
        bail!("{out} cannot be an output directory: choose another --out");
    };
    let leaf = if what == "old" {
        format!(".{name}.old")
    } else {
        format!(".{name}.{what}-{}", std::process::id())
    };
    Ok(parent_of(out)?.join(leaf))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn temp(name: &str) -> Utf8PathBuf {
        let dir = Utf8PathBuf::from(std::env::temp_dir().to_str().unwrap())
            .join(format!("xtask-publish-{name}-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(&dir).unwrap();
        dir
    }

    #[test]
    fn swap_replaces_previous_outputs() {
        let root = temp("swap");
        let out = root.join("rpm");
        std::fs::create_dir_all(&out).unwrap();
        std::fs::write(out.join(MANIFEST), "old").unwrap();
        std::fs::write(out.join("stale.rpm"), "old").unwrap();
        check_out_dir(&out).unwrap();
        let staging = staging_dir(&out).unwrap();
        let src = root.join("new.rpm");
        std::fs::write(&src, "new").unwrap();
        stage_file(&src, &staging, "RPMS/x86_64/new.rpm").unwrap();
        std::fs::write(staging.join(MANIFEST), "new").unwrap();
        swap_in(&staging, &out).unwrap();
        assert_eq!(std::fs::read_to_string(out.join(MANIFEST)).unwrap(), "new");
        assert!(out.join("RPMS/x86_64/new.rpm").is_file());
        assert!(!out.join("stale.rpm").exists());
        let leftovers: Vec<_> = root
            .read_dir_utf8()
            .unwrap()
            .map(|e| e.unwrap().file_name().to_string())
            .collect();
        assert_eq!(leftovers, ["rpm"], "{leftovers:?}");
        std::fs::remove_dir_all(&root).unwrap();
    }

    #[test]
    fn foreign_directories_are_refused() {
        let root = temp("foreign");
        std::fs::write(root.join("notes.txt"), "mine").unwrap();
        let err = check_out_dir(&root).unwrap_err().to_string();
        assert!(err.contains("no earlier build wrote"), "{err}");
        let file = root.join("notes.txt");
        assert!(check_out_dir(&file)
            .unwrap_err()
            .to_string()
            .contains("is a file"));
        let under_file = file.join("rpm");
        assert!(check_out_dir(&under_file)
            .unwrap_err()
            .to_string()
            .contains("choose a writable --out"));
        std::fs::remove_dir_all(&root).unwrap();
    }

    #[test]
    fn interrupted_swap_is_restored() {
        let root = temp("restore");
        let out = root.join("rpm");
        let old = root.join(".rpm.old");
        std::fs::create_dir_all(&old).unwrap();
        std::fs::write(old.join(MANIFEST), "good").unwrap();
        let staging = staging_dir(&out).unwrap();
        std::fs::write(staging.join(MANIFEST), "new").unwrap();
        swap_in(&staging, &out).unwrap();
        assert_eq!(std::fs::read_to_string(out.join(MANIFEST)).unwrap(), "new");
        assert!(!old.exists());
        std::fs::remove_dir_all(&root).unwrap();
    }
}
