//! Incremental builds: the build directory survives between runs of the same tree and options,
//! under `<target>/xtask/incremental/<key>`, and each run lays the packed tree over it, writing
//! only the files whose content changed (so make's timestamps stay true for the rest) and
//! removing the ones that went away. The spec then skips configure and menuselect when their
//! inputs are unchanged, and make rebuilds what depends on the change.
//!
//! Decided once (`decide`): on by default for trees with uncommitted changes, never for release
//! builds, `--clean` turns it off. The key holds the tree's path, the spec and the options, so
//! two trees never share a directory and a changed option starts afresh. A run marks the
//! directory while it builds: one that was interrupted is rebuilt from scratch.

use std::collections::BTreeMap;
use std::collections::BTreeSet;

use anyhow::{Context, Result};
use camino::{Utf8Path, Utf8PathBuf};

use crate::sha256;
use crate::source::archive::Member;

/// `--incremental` / `--clean`, or neither.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub enum Asked {
    #[default]
    Auto,
    On,
    Off,
}

/// Whether this build is incremental, and why (said in the output).
pub fn decide(asked: Asked, dirty: bool, release: bool, mounts: bool) -> (bool, &'static str) {
    match (asked, release, mounts) {
        (_, true, _) => (false, "a release build is always built clean"),
        (Asked::Off, _, _) => (false, "--clean"),
        (_, _, false) => (
            false,
            "the engine is not on this machine: a kept build directory cannot be mounted",
        ),
        (Asked::On, _, _) => (true, "--incremental"),
        (Asked::Auto, _, _) if dirty => (
            true,
            "the tree has uncommitted changes (--clean builds afresh)",
        ),
        (Asked::Auto, _, _) => (
            false,
            "the tree is committed (--incremental keeps the build directory)",
        ),
    }
}

/// A release build: make_version names a release, not a snapshot (`GIT-...`).
pub fn is_release(asterisk_version: &str) -> bool {
    !asterisk_version.starts_with("GIT-")
}

/// The kept directory's name: the tree's path, the spec, the options and where it builds.
pub fn key(tree: &Utf8Path, spec_sha256: &str, options_digest: &str, place: &str) -> String {
    let text = format!("{tree}\0{spec_sha256}\0{options_digest}\0{place}");
    sha256::of_parts(&[text.as_bytes()])[..16].to_string()
}

/// What laying the tree over the kept directory did.
#[derive(Debug, Default, PartialEq, Eq)]
pub struct Synced {
    pub written: usize,
    pub removed: usize,
    pub unchanged: usize,
    /// The directory was new (or rebuilt from scratch).
    pub fresh: bool,
}

/// The kept directory: `src/` (the build tree), `sources.list` (the paths laid last time) and
/// the mark of a build in progress.
pub struct Kept {
    pub dir: Utf8PathBuf,
}

const BUILDING: &str = "building";
const SOURCES: &str = "sources.list";

impl Kept {
    pub fn src(&self) -> Utf8PathBuf {
        self.dir.join("src")
    }

    /// Lays `members` (read from `tree`, with `top`'s generated files) over `src/`; a directory
    /// a build was interrupted in is emptied first. Marks the directory as building.
    pub fn sync(&self, tree: &Utf8Path, members: &BTreeMap<String, Member>) -> Result<Synced> {
        let mut synced = Synced::default();
        let src = self.src();
        if self.dir.join(BUILDING).exists() {
            eprintln!(
                "incremental: the last build in {} did not finish: building it afresh",
                self.dir
            );
            std::fs::remove_dir_all(&self.dir).with_context(|| format!("removing {}", self.dir))?;
        }
        if !src.exists() {
            synced.fresh = true;
        }
        std::fs::create_dir_all(&src).with_context(|| format!("creating {src}"))?;
        std::fs::write(self.dir.join(BUILDING), std::process::id().to_string())
            .with_context(|| format!("marking {}", self.dir))?;
        let before: BTreeSet<String> = std::fs::read_to_string(self.dir.join(SOURCES))
            .unwrap_or_default()
            .lines()
            .map(str::to_string)
            .collect();
        for (path, member) in members {
            crate::exec::interrupt::check()?;
            let to = src.join(path);
            let wanted: Option<Vec<u8>> = match member {
                Member::Dir => {
                    if !to.is_dir() {
                        let _ = std::fs::remove_file(&to);
                        std::fs::create_dir_all(&to).with_context(|| format!("creating {to}"))?;
                    }
                    None
                }
                Member::Symlink { target } => {
                    let same = std::fs::read_link(&to)
                        .map(|t| t.as_os_str() == std::ffi::OsStr::new(target))
                        .unwrap_or(false);
                    if same {
                        synced.unchanged += 1;
                    } else {
                        let _ = std::fs::remove_file(&to);
                        std::os::unix::fs::symlink(target, &to)
                            .with_context(|| format!("linking {to}"))?;
                        synced.written += 1;
                    }
                    None
                }
                Member::File { .. } => Some(
                    std::fs::read(tree.join(path))
                        .with_context(|| format!("reading {}", tree.join(path)))?,
                ),
                Member::Generated { contents } => Some(contents.clone()),
            };
            if let Some(bytes) = wanted {
                let executable = matches!(member, Member::File { executable: true });
                let same = !to.is_symlink()
                    && std::fs::read(&to).map(|b| b == bytes).unwrap_or(false)
                    && mode_is(&to, executable);
                if same {
                    synced.unchanged += 1;
                    continue;
                }
                if to.is_symlink() || to.is_dir() {
                    let _ = std::fs::remove_file(&to);
                }
                std::fs::write(&to, &bytes).with_context(|| format!("writing {to}"))?;
                set_mode(&to, executable)?;
                synced.written += 1;
            }
        }
        for gone in before.iter().filter(|p| !members.contains_key(*p)) {
            let path = src.join(gone);
            if path.is_file() || path.is_symlink() {
                std::fs::remove_file(&path).with_context(|| format!("removing {path}"))?;
                synced.removed += 1;
            }
        }
        let list: String = members
            .iter()
            .filter(|(_, m)| !matches!(m, Member::Dir))
            .map(|(p, _)| format!("{p}\n"))
            .collect();
        std::fs::write(self.dir.join(SOURCES), list)
            .with_context(|| format!("writing {}", self.dir.join(SOURCES)))?;
        Ok(synced)
    }

    /// The build finished: the directory is good to build on.
    pub fn done(&self) -> Result<()> {
        std::fs::remove_file(self.dir.join(BUILDING))
            .with_context(|| format!("finishing {}", self.dir))
    }
}

fn mode_is(path: &Utf8Path, executable: bool) -> bool {
    use std::os::unix::fs::PermissionsExt;
    std::fs::metadata(path)
        .map(|m| (m.permissions().mode() & 0o111 != 0) == executable)
        .unwrap_or(false)
}

fn set_mode(path: &Utf8Path, executable: bool) -> Result<()> {
    use std::os::unix::fs::PermissionsExt;
    let mode = if executable { 0o755 } else { 0o644 };
    std::fs::set_permissions(path, std::fs::Permissions::from_mode(mode))
        .with_context(|| format!("setting the mode of {path}"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn when_a_build_is_incremental() {
        let cases = [
            ((Asked::Auto, true, false, true), true),
            ((Asked::Auto, false, false, true), false),
            ((Asked::On, false, false, true), true),
            ((Asked::Off, true, false, true), false),
            ((Asked::On, true, true, true), false),
            ((Asked::Auto, true, true, true), false),
            ((Asked::On, true, false, false), false),
        ];
        for ((asked, dirty, release, mounts), want) in cases {
            assert_eq!(
                decide(asked, dirty, release, mounts).0,
                want,
                "{asked:?} {dirty} {release} {mounts}"
            );
        }
        assert!(is_release("22.10.1") && is_release("certified-22.8-cert4"));
        assert!(!is_release("GIT-master-abc1234M"));
        assert_ne!(
            key("/a".into(), "s", "o", "native"),
            key("/b".into(), "s", "o", "native")
        );
        assert_ne!(
            key("/a".into(), "s", "o", "native"),
            key("/a".into(), "s", "p", "native")
        );
        assert_eq!(key("/a".into(), "s", "o", "native").len(), 16);
    }

    #[test]
    fn only_what_changed_is_written() {
        let base = std::env::temp_dir().join(format!("kept-{}", std::process::id()));
        let base = Utf8PathBuf::try_from(base).unwrap();
        let tree = base.join("tree");
        std::fs::create_dir_all(tree.join("main")).unwrap();
        std::fs::write(tree.join("main/a.c"), "a").unwrap();
        std::fs::write(tree.join("main/b.c"), "b").unwrap();
        let mut members = BTreeMap::new();
        members.insert("main".to_string(), Member::Dir);
        members.insert("main/a.c".to_string(), Member::File { executable: false });
        members.insert("main/b.c".to_string(), Member::File { executable: false });
        members.insert(
            ".version".to_string(),
            Member::Generated {
                contents: b"1\n".to_vec(),
            },
        );
        let kept = Kept {
            dir: base.join("kept"),
        };
        let first = kept.sync(&tree, &members).unwrap();
        assert_eq!((first.written, first.fresh), (3, true));
        kept.done().unwrap();
        // A build output beside the sources stays; an old b.o is not ours to remove.
        std::fs::write(kept.src().join("main/b.o"), "object").unwrap();
        let when = std::fs::metadata(kept.src().join("main/b.c"))
            .unwrap()
            .modified()
            .unwrap();
        std::thread::sleep(std::time::Duration::from_millis(20));
        std::fs::write(tree.join("main/a.c"), "a2").unwrap();
        members.remove("main/b.c");
        let second = kept.sync(&tree, &members).unwrap();
        assert_eq!(
            second,
            Synced {
                written: 1,
                removed: 1,
                unchanged: 1,
                fresh: false
            }
        );
        assert_eq!(
            std::fs::read_to_string(kept.src().join("main/a.c")).unwrap(),
            "a2"
        );
        assert!(!kept.src().join("main/b.c").exists() && kept.src().join("main/b.o").exists());
        let _ = when;
        // Interrupted (the mark is still there): afresh.
        let third = kept.sync(&tree, &members).unwrap();
        assert!(third.fresh && !kept.src().join("main/b.o").exists());
        std::fs::remove_dir_all(&base).unwrap();
    }
}
