//! Puts a finished build into the output directory in one step, and never deletes what it did
//! not write.
//!
//! Outputs are assembled in a staging directory beside the output directory (same file system),
//! then swapped in with renames: the previous outputs stay whole until the new ones are complete,
//! and a failed or interrupted build publishes nothing. An existing output directory is replaced
//! only when it is recognisably an earlier output: a `manifest.json` of this tool's schema, and
//! nothing in the directory but the files that manifest lists (each of the size it records).
//! Anything else is refused before any work starts, and checked again just before the swap.
//! The previous outputs are then removed file by file, as listed, never as a whole tree.

use anyhow::{bail, Context, Result};
use camino::{Utf8Path, Utf8PathBuf};

use crate::plan::paths::resolved;
use crate::source::tree::{Tree, TreeKind};

use super::earlier::{earlier_output, parents};

/// The file that marks a staging directory as this tool's, so that a later run may remove it.
const STAGING_MARK: &str = ".cargo-xtask-staging";

/// Refuses an output directory inside the source tree where the next build would pack it (not
/// under the target directory, and, in a git tree, not ignored): its packages would travel in
/// the next archive. Asterisk's .gitignore ignores `out/`, which is fine.
pub fn check_out_not_packed(out: &Utf8Path, tree: &Tree, target: &Utf8Path) -> Result<()> {
    let (o, root, t) = (resolved(out), resolved(&tree.root), resolved(target));
    if !o.starts_with(&root) || o.starts_with(&t) {
        return Ok(());
    }
    let ignored = match tree.kind {
        TreeKind::Git => tree
            .git()
            .args(["check-ignore", "-q", "--no-index", o.as_str()])
            .read_optional()?
            .is_some(),
        TreeKind::Plain => false,
    };
    if ignored {
        return Ok(());
    }
    bail!(
        "--out {out} is inside the source tree {}, whose next archive would pack the packages \
         published there: choose a directory outside the tree{}",
        tree.root,
        match tree.kind {
            TreeKind::Git => " (or one git ignores, as Asterisk's out/)",
            TreeKind::Plain => "",
        }
    )
}

/// Checks, reading only (a dry run checks it too), that `out` may be published to: it is new,
/// empty, or an earlier output.
pub fn check_out_usable(out: &Utf8Path) -> Result<()> {
    if out.exists() || out.is_symlink() {
        if !out.is_dir() {
            bail!("the output path {out} is not a directory: choose a directory with --out");
        }
        if let Err(why) = earlier_output(out)? {
            bail!(
                "the output directory {out} is not an earlier output of cargo xtask: {why}; \
                 nothing in it was changed: choose a new or empty directory with --out"
            );
        }
    }
    Ok(())
}

/// The nearest existing path above `out`, and whether it is a directory (None: nothing above
/// it exists, up to the root).
fn nearest_existing(out: &Utf8Path) -> Result<Option<(Utf8PathBuf, bool)>> {
    let parent = parent_of(out)?;
    let mut at = parent.as_path();
    loop {
        if at.exists() {
            return Ok(Some((at.to_owned(), at.is_dir())));
        }
        match at.parent() {
            Some(up) if !up.as_str().is_empty() => at = up,
            _ => return Ok(None),
        }
    }
}

/// A file where the output directory's parent must be a directory (`--out README.md/sub`).
fn file_in_the_way(out: &Utf8Path, at: &Utf8Path) -> anyhow::Error {
    anyhow::anyhow!(
        "cannot make the output directory {out}: {at} is not a directory: choose another --out"
    )
}

/// Checks, reading only (a dry run's), what `check_out_dir` makes sure of by writing: that the
/// output directory's parent can be made and written in. Every existing directory above it
/// must be a directory, and the nearest one writable to this user. (Only the write itself can
/// tell a directory that refuses new entries whatever its mode, as /proc does, even to root.)
pub fn check_out_parent_readonly(out: &Utf8Path) -> Result<()> {
    match nearest_existing(out)? {
        Some((at, false)) => Err(file_in_the_way(out, &at)),
        Some((at, true)) => {
            let c = std::ffi::CString::new(at.as_str())
                .with_context(|| format!("{at} holds a NUL byte"))?;
            // SAFETY: access(2) reads the NUL-terminated path and nothing else.
            let writable = unsafe { libc::access(c.as_ptr(), libc::W_OK | libc::X_OK) } == 0;
            if !writable {
                bail!(
                    "cannot write in {at}, where the output directory goes: choose a writable --out"
                );
            }
            Ok(())
        }
        None => Ok(()),
    }
}

/// Checks, before any work, that `out` can be published to (`check_out_usable`) and that its
/// parent is writable. Creates the parent; removes staging directories that runs which are
/// gone left beside it.
pub fn check_out_dir(out: &Utf8Path) -> Result<()> {
    check_out_usable(out)?;
    // A file where a directory must be is said as such (the write would say "File exists").
    if let Some((at, false)) = nearest_existing(out)? {
        return Err(file_in_the_way(out, &at));
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
    remove_stale_staging(out, crate::infra::exec::alive)?;
    Ok(())
}

/// A staging directory beside the output directory; removed when dropped, unless published.
pub struct Staging {
    pub path: Utf8PathBuf,
    published: bool,
}

impl Drop for Staging {
    fn drop(&mut self) {
        if !self.published {
            let _ = std::fs::remove_dir_all(&self.path);
        }
    }
}

/// A fresh staging directory beside `out`, marked as this tool's.
pub fn staging_dir(out: &Utf8Path) -> Result<Staging> {
    let path = sibling(out, "staging")?;
    std::fs::create_dir_all(&path).with_context(|| format!("creating {path}"))?;
    let staging = Staging {
        path,
        published: false,
    };
    std::fs::write(staging.path.join(STAGING_MARK), "")
        .with_context(|| format!("writing in {}", staging.path))?;
    Ok(staging)
}

/// Removes `.<out>.staging-<pid>` directories beside `out` that carry this tool's mark and
/// whose process is gone (a run that was killed, or lost its disk, before publishing).
fn remove_stale_staging(out: &Utf8Path, alive: impl Fn(u32) -> bool) -> Result<()> {
    let (Some(name), Ok(parent)) = (out.file_name(), parent_of(out)) else {
        return Ok(());
    };
    let prefix = format!(".{name}.staging-");
    let Ok(entries) = parent.read_dir_utf8() else {
        return Ok(());
    };
    for entry in entries.flatten() {
        let Some(pid) = entry
            .file_name()
            .strip_prefix(&prefix)
            .and_then(|p| p.parse::<u32>().ok())
        else {
            continue;
        };
        let path = entry.path();
        if pid != std::process::id() && !alive(pid) && path.join(STAGING_MARK).is_file() {
            eprintln!("removing {path}, left by a run that did not finish");
            std::fs::remove_dir_all(path).with_context(|| format!("removing {path}"))?;
        }
    }
    Ok(())
}

/// Moves (or copies across file systems) `src` to `staging/rel`.
pub fn stage_file(src: &Utf8Path, staging: &Staging, rel: &str) -> Result<()> {
    let dest = staging.path.join(rel);
    if let Some(dir) = dest.parent() {
        std::fs::create_dir_all(dir).with_context(|| format!("creating {dir}"))?;
    }
    if std::fs::rename(src, &dest).is_err() {
        std::fs::copy(src, &dest).with_context(|| format!("copying {src} to {dest}"))?;
    }
    Ok(())
}

/// Replaces `out` with the staging directory. `out` is checked again first (it may have been
/// filled while the build ran); a leftover of an interrupted swap is restored first.
pub fn swap_in(mut staging: Staging, out: &Utf8Path) -> Result<()> {
    std::fs::remove_file(staging.path.join(STAGING_MARK))
        .with_context(|| format!("finishing {}", staging.path))?;
    let old = sibling(out, "old")?;
    if old.is_dir() && !out.exists() {
        // An earlier run stopped between its two renames: that was the last good output.
        std::fs::rename(&old, out).with_context(|| format!("restoring {out} from {old}"))?;
    }
    if old.is_dir() {
        remove_earlier_output(&old)?;
    }
    let previous = if out.exists() {
        let files = match earlier_output(out)? {
            Ok(files) => files,
            Err(why) => {
                // Keep the new outputs where they are: they are the user's now.
                staging.published = true;
                bail!(
                    "the output directory {out} changed while the build ran: {why}; nothing in it \
                     was changed, the new outputs are in {}: move them yourself, or build again \
                     with another --out",
                    staging.path
                );
            }
        };
        std::fs::rename(out, &old).with_context(|| format!("moving {out} aside"))?;
        Some(files)
    } else {
        None
    };
    if let Err(e) = std::fs::rename(&staging.path, out) {
        if previous.is_some() {
            let _ = std::fs::rename(&old, out);
        }
        return Err(e).with_context(|| format!("moving the new outputs into {out}"));
    }
    staging.published = true;
    if let Some(files) = previous {
        remove_listed(&old, &files)?;
    }
    Ok(())
}

/// Removes an earlier output that was moved aside, if it is one; else says so and keeps it.
fn remove_earlier_output(dir: &Utf8Path) -> Result<()> {
    match earlier_output(dir)? {
        Ok(files) => remove_listed(dir, &files),
        Err(why) => bail!(
            "{dir} is left from an earlier publish but {why}: look at it and remove it yourself"
        ),
    }
}

/// Removes exactly `files` from `dir`, then the directories they leave empty, then `dir`.
/// Whatever else appeared meanwhile stays, and is said.
fn remove_listed(dir: &Utf8Path, files: &[String]) -> Result<()> {
    for rel in files {
        let path = dir.join(rel);
        match std::fs::remove_file(&path) {
            Ok(()) => {}
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => {}
            Err(e) => return Err(e).with_context(|| format!("removing the old output {path}")),
        }
    }
    let parents = parents(files.iter().map(String::as_str));
    // Deepest first; remove_dir fails on a directory that still holds something.
    let mut parents: Vec<String> = parents.into_iter().collect();
    parents.sort_by_key(|p| std::cmp::Reverse(p.matches('/').count()));
    for parent in parents {
        let _ = std::fs::remove_dir(dir.join(parent));
    }
    if std::fs::remove_dir(dir).is_err() && dir.exists() {
        eprintln!(
            "warning: {dir} holds files that appeared while publishing: kept; look at them and remove it yourself"
        );
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
    use crate::outputs::manifest::MANIFEST;
    use crate::outputs::manifest::{Artifact, Kind, Manifest};

    struct Temp(Utf8PathBuf);
    impl Drop for Temp {
        fn drop(&mut self) {
            let _ = std::fs::remove_dir_all(&self.0);
        }
    }

    fn temp(name: &str) -> Temp {
        let dir = Utf8PathBuf::from(std::env::temp_dir().to_str().unwrap())
            .join(format!("xtask-publish-{name}-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(&dir).unwrap();
        Temp(dir)
    }

    /// An earlier output in `out`: one RPM and the manifest that lists it.
    fn earlier(out: &Utf8Path) {
        std::fs::create_dir_all(out.join("RPMS/x86_64")).unwrap();
        std::fs::write(out.join("RPMS/x86_64/old.rpm"), "old").unwrap();
        let manifest = Manifest {
            name: "asterisk".into(),
            version: "1".into(),
            release: "1".into(),
            spec_release: "1".into(),
            asterisk_version: "1".into(),
            source_date_epoch: 0,
            revision: String::new(),
            tree_digest: String::new(),
            dirty_time: None,
            spec: "s".into(),
            spec_sha256: String::new(),
            builder: "native".into(),
            xtask: String::new(),
            artifacts: vec![Artifact {
                path: "RPMS/x86_64/old.rpm".into(),
                kind: Kind::Rpm,
                sha256: String::new(),
                size: 3,
            }],
            records: Default::default(),
            modules: vec![],
            packages: vec![],
            left_out: vec![],
            image: None,
        };
        std::fs::write(out.join(MANIFEST), manifest.to_json()).unwrap();
    }

    fn names(dir: &Utf8Path) -> Vec<String> {
        let mut n: Vec<String> = dir
            .read_dir_utf8()
            .unwrap()
            .map(|e| e.unwrap().file_name().to_string())
            .collect();
        n.sort();
        n
    }

    #[test]
    fn swap_replaces_only_what_the_manifest_lists() {
        let root = temp("swap");
        let out = root.0.join("rpm");
        earlier(&out);
        check_out_dir(&out).unwrap();
        let staging = staging_dir(&out).unwrap();
        let src = root.0.join("new.rpm");
        std::fs::write(&src, "new").unwrap();
        stage_file(&src, &staging, "RPMS/x86_64/new.rpm").unwrap();
        std::fs::write(staging.path.join(MANIFEST), "new").unwrap();
        swap_in(staging, &out).unwrap();
        assert_eq!(std::fs::read_to_string(out.join(MANIFEST)).unwrap(), "new");
        assert!(out.join("RPMS/x86_64/new.rpm").is_file());
        assert!(!out.join("RPMS/x86_64/old.rpm").exists());
        assert!(!out.join(STAGING_MARK).exists());
        assert_eq!(names(&root.0), ["rpm"]);
    }

    #[test]
    fn foreign_directories_are_refused_and_kept() {
        let root = temp("foreign");
        let dir = root.0.join("mine");
        std::fs::create_dir_all(&dir).unwrap();
        std::fs::write(dir.join("notes.txt"), "mine").unwrap();
        let err = check_out_dir(&dir).unwrap_err().to_string();
        assert!(err.contains("has no manifest.json"), "{err}");
        // A manifest.json that is someone else's.
        std::fs::write(dir.join(MANIFEST), r#"{"name": "my-app"}"#).unwrap();
        let err = check_out_dir(&dir).unwrap_err().to_string();
        assert!(err.contains("not one this tool wrote"), "{err}");
        // Ours, with a file of the user's beside the outputs.
        let out = root.0.join("out");
        earlier(&out);
        std::fs::write(out.join("RPMS/x86_64/mine.txt"), "keep").unwrap();
        let err = check_out_dir(&out).unwrap_err().to_string();
        assert!(
            err.contains("a file that no build wrote (RPMS/x86_64/mine.txt)"),
            "{err}"
        );
        assert!(!err.contains('\n'), "{err}");
        // Filled while the build ran: the swap refuses, keeps both, says where the new ones are.
        std::fs::remove_file(out.join("RPMS/x86_64/mine.txt")).unwrap();
        let staging = staging_dir(&out).unwrap();
        let kept = staging.path.clone();
        std::fs::write(out.join("late.txt"), "keep").unwrap();
        let err = swap_in(staging, &out).unwrap_err().to_string();
        assert!(
            err.contains("changed while the build ran") && err.contains(kept.as_str()),
            "{err}"
        );
        assert!(out.join("late.txt").is_file() && out.join("RPMS/x86_64/old.rpm").is_file());
        assert!(kept.is_dir(), "the new outputs were thrown away");
        // A manifest that lists a path outside its directory is not ours.
        let evil = root.0.join("evil");
        earlier(&evil);
        let text = std::fs::read_to_string(evil.join(MANIFEST)).unwrap();
        std::fs::write(
            evil.join(MANIFEST),
            text.replace("RPMS/x86_64/old.rpm", "../notes.txt"),
        )
        .unwrap();
        let err = check_out_dir(&evil).unwrap_err().to_string();
        assert!(err.contains("outside it"), "{err}");
        // Not a directory; under a file.
        let file = dir.join("notes.txt");
        assert!(check_out_dir(&file)
            .unwrap_err()
            .to_string()
            .contains("not a directory"));
        assert!(check_out_dir(&file.join("rpm"))
            .unwrap_err()
            .to_string()
            .contains(&format!("{file} is not a directory: choose another --out")));
    }

    #[test]
    fn interrupted_swap_is_restored() {
        let root = temp("restore");
        let out = root.0.join("rpm");
        let old = root.0.join(".rpm.old");
        earlier(&old);
        let staging = staging_dir(&out).unwrap();
        std::fs::write(staging.path.join(MANIFEST), "new").unwrap();
        swap_in(staging, &out).unwrap();
        assert_eq!(std::fs::read_to_string(out.join(MANIFEST)).unwrap(), "new");
        assert!(!old.exists());
    }

    #[test]
    fn staging_of_dead_runs_is_removed_and_nothing_else() {
        let root = temp("stale");
        let out = root.0.join("rpm");
        let dead = root.0.join(".rpm.staging-4000001");
        std::fs::create_dir_all(dead.join("RPMS")).unwrap();
        std::fs::write(dead.join(STAGING_MARK), "").unwrap();
        let alive = root.0.join(".rpm.staging-4000002");
        std::fs::create_dir_all(&alive).unwrap();
        std::fs::write(alive.join(STAGING_MARK), "").unwrap();
        let unmarked = root.0.join(".rpm.staging-4000003");
        std::fs::create_dir_all(&unmarked).unwrap();
        remove_stale_staging(&out, |pid| pid == 4_000_002).unwrap();
        assert_eq!(
            names(&root.0),
            [".rpm.staging-4000002", ".rpm.staging-4000003"]
        );
        // A staging directory that is dropped unpublished goes with it.
        let staging = staging_dir(&out).unwrap();
        let path = staging.path.clone();
        drop(staging);
        assert!(!path.exists());
    }
}
