//! Incremental builds: the build directory survives between runs of the same tree and options,
//! under `<target>/xtask/incremental/<key>`, and each run lays the packed tree over it, writing
//! only the files whose content changed (so make's timestamps stay true for the rest) and
//! removing the ones that went away. The spec then skips configure and menuselect when their
//! inputs are unchanged, and make rebuilds what depends on the change.
//!
//! Whether a build is incremental is `plan::rebuild`'s decision. The key holds the tree's
//! path, the spec and the options, so two trees never share a directory and a changed option
//! starts afresh. A run marks the directory while it builds: one that was interrupted is
//! rebuilt from scratch; a change make cannot follow starts it afresh too (`verdict`).
//!
//! What is laid is read from the archive, never from the tree again: a file saved while the
//! build runs cannot reach the packages unless it reached the archive and the SRPM too.

use std::collections::BTreeMap;

use anyhow::{Context, Result};
use camino::{Utf8Path, Utf8PathBuf};

use crate::infra::digest;
use crate::source::archive::Member;

/// The kept directory's name: the tree's path, the spec, the options and where it builds.
pub fn key(tree: &Utf8Path, spec_sha256: &str, options_digest: &str, place: &str) -> String {
    let text = format!("{tree}\0{spec_sha256}\0{options_digest}\0{place}");
    digest::sha256_of_parts(&[text.as_bytes()])[..16].to_string()
}

/// What laying the tree over the kept directory did.
#[derive(Debug, Default, PartialEq, Eq)]
pub struct Synced {
    pub written: usize,
    pub removed: usize,
    pub unchanged: usize,
    /// The directory was new, or was emptied first: why.
    pub fresh: Option<String>,
}

/// How one path of the tree stands against the kept directory.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Change {
    /// A file or link the last build did not have.
    Added,
    /// A file whose content or mode changed.
    Edited,
    /// A link that points elsewhere now, or a file that became a link or the other way round:
    /// make follows links to their targets' times, which need not be newer.
    Relinked,
    /// A path the last build had that the tree no longer has (deleted, renamed, moved).
    Removed,
    /// A path that is another kind of thing now: a directory where a file or a link was, or
    /// the other way round (files under a link to a directory would be written through it).
    Retyped,
    /// A file of the tree the last build wrote over (a generated file that is also in the
    /// tree): laid again, it would be newer than what make generates it from, and stay.
    Rewritten,
}

/// Whether a kept directory can take these changes and still give what a clean build gives,
/// or why it must start afresh. make rebuilds what depends on an edited or added file; what it
/// cannot see is a file that went away (its objects and modules stay and are packaged), a link
/// whose target changed, a change to the build system itself (objects do not depend on the
/// makefiles, configure's scripts, build_tools or third-party's patches), and a new header
/// (it may take the place of another of its name on the include path).
fn verdict(changes: &[(&str, Change)]) -> Option<String> {
    let first = |want: &dyn Fn(&str, Change) -> bool| {
        changes.iter().find(|(p, c)| want(p, *c)).map(|(p, _)| *p)
    };
    if let Some(path) = first(&|_, c| c == Change::Removed) {
        return Some(format!(
            "{path} was removed or renamed since the last build, and what was built from it would stay"
        ));
    }
    if let Some(path) = first(&|_, c| c == Change::Relinked) {
        return Some(format!("the link {path} changed"));
    }
    if let Some(path) = first(&|_, c| c == Change::Rewritten) {
        return Some(format!(
            "the last build wrote over {path}, a file of the tree, and a clean build would not"
        ));
    }
    if let Some(path) = first(&|_, c| c == Change::Retyped) {
        return Some(format!(
            "{path} changed between a file, a link and a directory"
        ));
    }
    if let Some(path) = first(&|p, _| is_build_file(p)) {
        return Some(format!("{path} is part of the build system"));
    }
    if let Some(path) = first(&|p, c| c == Change::Added && is_header(p)) {
        return Some(format!("{path} is a new header"));
    }
    None
}

/// A file the build system is made of: makefiles and their includes, configure and its inputs,
/// the build's own scripts, menuselect, the bundled third-party sources' rules and patches.
fn is_build_file(path: &str) -> bool {
    let name = path.rsplit('/').next().unwrap_or(path);
    let top = path.split('/').next().unwrap_or(path);
    // What configure and menuselect write at the top of the tree: one the tree brings would be
    // used as it is where configure is reused, and replaced where it runs.
    let configured = matches!(
        path,
        "makeopts"
            | "config.status"
            | "config.log"
            | "menuselect.makeopts"
            | "menuselect-tree"
            | "include/asterisk/autoconfig.h"
            | "include/asterisk/buildopts.h"
    );
    configured
        || matches!(
            name,
            "Makefile" | "GNUmakefile" | "makefile" | "configure" | "configure.ac" | "bootstrap.sh"
        )
        || name.starts_with("Makefile.")
        || [".mak", ".mk", ".m4", ".in", ".rules"]
            .iter()
            .any(|ext| name.ends_with(ext))
        || matches!(
            top,
            "build_tools" | "menuselect" | "autoconf" | "third-party"
        ) && path.contains('/')
}

fn is_header(path: &str) -> bool {
    [".h", ".hh", ".hpp", ".hxx"]
        .iter()
        .any(|ext| path.ends_with(ext))
}

/// The kept directory: `src/` (the build tree), `laid.list` (the paths laid last time, each
/// file's with the sha256 of what was laid) and the mark of a build in progress.
pub struct Kept {
    pub dir: Utf8PathBuf,
    /// Made afresh by a clean build (of a committed tree) for the next edit's build.
    pub seeding: bool,
    /// Laid afresh for this build (new, emptied, or sown): it is a clean build's.
    pub fresh: bool,
}

const BUILDING: &str = "building";
/// `path NUL sha256 NUL` for each path laid (no digest for a link): NUL-separated, since a path
/// may hold a newline.
const LAID: &str = "laid.list";

/// What the last build laid: each path, with the sha256 of a file's bytes (empty for a link);
/// empty when there is no list, or not one this version wrote.
fn read_laid(dir: &Utf8Path) -> BTreeMap<String, String> {
    let bytes = std::fs::read(dir.join(LAID)).unwrap_or_default();
    let Ok(text) = String::from_utf8(bytes) else {
        return BTreeMap::new();
    };
    let fields: Vec<&str> = text.split_terminator('\0').collect();
    if !fields.len().is_multiple_of(2) {
        return BTreeMap::new();
    }
    fields
        .chunks(2)
        .map(|pair| (pair[0].to_string(), pair[1].to_string()))
        .collect()
}

/// The regular files of a packed archive (a gzip-compressed tar, one gzip member or several),
/// by path under its top directory `top`.
pub fn archive_files(archive: &Utf8Path, top: &str) -> Result<BTreeMap<String, Vec<u8>>> {
    use std::io::Read;
    let file = std::fs::File::open(archive).with_context(|| format!("opening {archive}"))?;
    let gz = flate2::read::MultiGzDecoder::new(std::io::BufReader::new(file));
    let mut tar = tar::Archive::new(gz);
    let mut files = BTreeMap::new();
    for entry in tar
        .entries()
        .with_context(|| format!("reading {archive}"))?
    {
        crate::infra::interrupt::check()?;
        let mut entry = entry.with_context(|| format!("reading {archive}"))?;
        if !entry.header().entry_type().is_file() {
            continue;
        }
        let path = entry.path().with_context(|| format!("reading {archive}"))?;
        let Some(rel) = path
            .to_str()
            .and_then(|p| p.strip_prefix(top))
            .and_then(|p| p.strip_prefix('/'))
            .map(str::to_string)
        else {
            continue;
        };
        let mut bytes = Vec::new();
        entry
            .read_to_end(&mut bytes)
            .with_context(|| format!("reading {rel} in {archive}"))?;
        files.insert(rel, bytes);
    }
    Ok(files)
}

/// What a member's bytes are, when it has any (a directory or a link has none): the archive's.
fn bytes_of<'a>(
    files: &'a BTreeMap<String, Vec<u8>>,
    path: &str,
    member: &'a Member,
) -> Result<Option<&'a [u8]>> {
    Ok(match member {
        Member::Dir | Member::Symlink { .. } => None,
        Member::File { .. } => Some(
            files
                .get(path)
                .with_context(|| format!("the packed archive holds no {path}"))?,
        ),
        Member::Generated { contents } => Some(contents),
    })
}

impl Kept {
    pub fn src(&self) -> Utf8PathBuf {
        self.dir.join("src")
    }

    /// How each member stands against `src/` (unchanged members are left out), and the paths
    /// the last build laid that are gone.
    fn changes(
        &self,
        files: &BTreeMap<String, Vec<u8>>,
        members: &BTreeMap<String, Member>,
        before: &BTreeMap<String, String>,
    ) -> Result<(Vec<(String, Change)>, usize)> {
        let src = self.src();
        let mut changes = Vec::new();
        let mut unchanged = 0;
        for (path, member) in members {
            crate::infra::interrupt::check()?;
            let at = src.join(path);
            let was_link = at.is_symlink();
            // What is there now, not following a link: a directory is one only as itself.
            let was_dir = std::fs::symlink_metadata(&at).is_ok_and(|m| m.is_dir());
            let exists = std::fs::symlink_metadata(&at).is_ok();
            let change = match member {
                Member::Dir if exists && !was_dir => Some(Change::Retyped),
                Member::Dir => continue,
                _ if was_dir => Some(Change::Retyped),
                Member::Symlink { target } => {
                    let same = std::fs::read_link(&at)
                        .map(|t| t.as_os_str() == std::ffi::OsStr::new(target))
                        .unwrap_or(false);
                    match (same, before.contains_key(path)) {
                        (true, _) => None,
                        (false, false) => Some(Change::Added),
                        (false, true) => Some(Change::Relinked),
                    }
                }
                Member::File { .. } | Member::Generated { .. } => {
                    let executable = matches!(member, Member::File { executable: true });
                    let bytes = bytes_of(files, path, member)?.unwrap_or_default();
                    let there = match was_link {
                        true => None,
                        false => std::fs::read(&at).ok(),
                    };
                    let same = there.as_deref() == Some(bytes) && mode_is(&at, executable);
                    // What is there is neither the tree's file nor what was laid: the build
                    // wrote over it.
                    let rewritten = there.as_deref().is_some_and(|b| {
                        b != bytes
                            && before.get(path).is_some_and(|laid| {
                                !laid.is_empty() && *laid != digest::sha256_of_parts(&[b])
                            })
                    });
                    match (same, before.contains_key(path), was_link) {
                        (true, _, _) => None,
                        _ if rewritten => Some(Change::Rewritten),
                        (false, false, _) => Some(Change::Added),
                        (false, true, true) => Some(Change::Relinked),
                        (false, true, false) => Some(Change::Edited),
                    }
                }
            };
            match change {
                Some(c) => changes.push((path.clone(), c)),
                None => unchanged += 1,
            }
        }
        changes.extend(
            before
                .keys()
                .filter(|p| !members.contains_key(*p))
                .map(|p| (p.clone(), Change::Removed)),
        );
        Ok((changes, unchanged))
    }

    /// Lays `members` (their bytes from the packed archive's `files`, with the generated files)
    /// over `src/`, writing only what changed and removing what went away; starts afresh (and
    /// says why) when a build was interrupted there or the changes are ones make cannot follow
    /// (`verdict`). Marks the directory as building.
    pub fn sync(
        &self,
        files: &BTreeMap<String, Vec<u8>>,
        members: &BTreeMap<String, Member>,
    ) -> Result<Synced> {
        let mut synced = Synced::default();
        let src = self.src();
        let before = read_laid(&self.dir);
        let fresh = if self.dir.join(BUILDING).exists() {
            Some("the last build there did not finish".to_string())
        } else if !src.exists() || before.is_empty() {
            Some("there was none".to_string())
        } else {
            let (changes, unchanged) = self.changes(files, members, &before)?;
            let listed: Vec<(&str, Change)> =
                changes.iter().map(|(p, c)| (p.as_str(), *c)).collect();
            match verdict(&listed) {
                Some(why) => Some(why),
                None => {
                    synced.unchanged = unchanged;
                    self.mark()?;
                    for (path, change) in &changes {
                        self.apply(files, path, members.get(path), *change)?;
                        match change {
                            Change::Removed => synced.removed += 1,
                            _ => synced.written += 1,
                        }
                    }
                    None
                }
            }
        };
        if let Some(why) = fresh {
            if self.dir.exists() {
                std::fs::remove_dir_all(&self.dir)
                    .with_context(|| format!("removing {}", self.dir))?;
            }
            std::fs::create_dir_all(&src).with_context(|| format!("creating {src}"))?;
            self.mark()?;
            for (path, member) in members {
                crate::infra::interrupt::check()?;
                self.apply(files, path, Some(member), Change::Added)?;
                if !matches!(member, Member::Dir) {
                    synced.written += 1;
                }
            }
            // Every file of one time, as an unpacked archive's are: laid one by one, a file
            // written later (a generated file's source) would make make remake what a clean
            // build keeps.
            let when = std::time::SystemTime::now();
            for (path, member) in members {
                if matches!(member, Member::File { .. } | Member::Generated { .. }) {
                    let at = src.join(path);
                    std::fs::File::options()
                        .write(true)
                        .open(&at)
                        .and_then(|f| f.set_modified(when))
                        .with_context(|| format!("dating {at}"))?;
                }
            }
            synced.fresh = Some(why);
        }
        let mut list = String::new();
        for (path, member) in members {
            if matches!(member, Member::Dir) {
                continue;
            }
            let sha = bytes_of(files, path, member)?
                .map(|b| digest::sha256_of_parts(&[b]))
                .unwrap_or_default();
            list.push_str(&format!("{path}\0{sha}\0"));
        }
        std::fs::write(self.dir.join(LAID), list)
            .with_context(|| format!("writing {}", self.dir.join(LAID)))?;
        Ok(synced)
    }

    /// Lays `members` into an emptied directory, for a clean build that keeps it: what
    /// `sync` does when it starts afresh, whatever was there.
    pub fn sow(
        &self,
        files: &BTreeMap<String, Vec<u8>>,
        members: &BTreeMap<String, Member>,
    ) -> Result<()> {
        if self.dir.exists() {
            std::fs::remove_dir_all(&self.dir).with_context(|| format!("removing {}", self.dir))?;
        }
        self.sync(files, members).map(|_| ())
    }

    fn mark(&self) -> Result<()> {
        std::fs::write(self.dir.join(BUILDING), std::process::id().to_string())
            .with_context(|| format!("marking {}", self.dir))
    }

    /// Makes `src/<path>` what `member` says (removes it for `Change::Removed`).
    fn apply(
        &self,
        files: &BTreeMap<String, Vec<u8>>,
        path: &str,
        member: Option<&Member>,
        change: Change,
    ) -> Result<()> {
        let to = self.src().join(path);
        let Some(member) = member.filter(|_| change != Change::Removed) else {
            if to.is_file() || to.is_symlink() {
                std::fs::remove_file(&to).with_context(|| format!("removing {to}"))?;
            }
            return Ok(());
        };
        if let Some(dir) = to.parent() {
            std::fs::create_dir_all(dir).with_context(|| format!("creating {dir}"))?;
        }
        match member {
            Member::Dir => {
                if !to.is_dir() {
                    let _ = std::fs::remove_file(&to);
                    std::fs::create_dir_all(&to).with_context(|| format!("creating {to}"))?;
                }
            }
            Member::Symlink { target } => {
                if to.is_symlink() || to.is_file() {
                    std::fs::remove_file(&to).with_context(|| format!("removing {to}"))?;
                }
                std::os::unix::fs::symlink(target, &to).with_context(|| format!("linking {to}"))?;
            }
            Member::File { .. } | Member::Generated { .. } => {
                let bytes = bytes_of(files, path, member)?.unwrap_or_default();
                if to.is_symlink() {
                    std::fs::remove_file(&to).with_context(|| format!("removing {to}"))?;
                }
                std::fs::write(&to, bytes).with_context(|| format!("writing {to}"))?;
                set_mode(&to, matches!(member, Member::File { executable: true }))?;
            }
        }
        Ok(())
    }

    /// The build finished: the directory is good to build on.
    /// The first file of the tree the build wrote over (or removed): what the directory holds
    /// there is no longer what was laid. A clean build would have packaged the tree's file (make
    /// leaves a file newer than its sources alone, and every file of a clean build is as new as
    /// the others), so such a build must be made again in a fresh directory.
    pub fn rewritten(&self) -> Result<Option<String>> {
        let src = self.src();
        for (path, laid) in read_laid(&self.dir) {
            crate::infra::interrupt::check()?;
            if laid.is_empty() {
                continue;
            }
            let at = src.join(&path);
            let same = !at.is_symlink()
                && std::fs::read(&at).is_ok_and(|b| digest::sha256_of_parts(&[&b]) == laid);
            if !same {
                return Ok(Some(path));
            }
        }
        Ok(None)
    }

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
    fn keys_follow_the_tree_and_the_options() {
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
    fn what_a_kept_directory_can_take() {
        use Change::*;
        type Case<'a> = (&'a [(&'a str, Change)], Option<&'a str>);
        let cases: [Case; 11] = [
            (&[], None),
            (
                &[("res/res_mini.c", Edited), ("include/asterisk.h", Edited)],
                None,
            ),
            (&[("res/res_new.c", Added), ("doc/notes.txt", Added)], None),
            (
                &[("res/res_mini.c", Removed)],
                Some("res/res_mini.c was removed or renamed"),
            ),
            (
                &[("res/res_mini2.c", Added), ("res/res_mini.c", Removed)],
                Some("res/res_mini.c was removed"),
            ),
            (
                &[("apps/app_voicemail_imap.c", Relinked)],
                Some("the link apps/app_voicemail_imap.c changed"),
            ),
            (
                &[("res/mini", Retyped)],
                Some("res/mini changed between a file, a link and a directory"),
            ),
            (
                &[("Makefile", Edited)],
                Some("Makefile is part of the build system"),
            ),
            (
                &[("third-party/pjproject/patches/0001-x.patch", Added)],
                Some("is part of the build system"),
            ),
            (
                &[("include/asterisk/new.h", Added)],
                Some("include/asterisk/new.h is a new header"),
            ),
            (
                &[("res/Makefile.rules", Edited), ("res/res_mini.c", Edited)],
                Some("res/Makefile.rules is part"),
            ),
        ];
        for (changes, want) in cases {
            let got = verdict(changes);
            match want {
                None => assert_eq!(got, None, "{changes:?}"),
                Some(w) => assert!(
                    got.as_deref().is_some_and(|g| g.contains(w)),
                    "{changes:?}: {got:?}"
                ),
            }
        }
        for (path, build) in [
            ("Makefile", true),
            ("main/Makefile", true),
            ("Makefile.rules", true),
            ("makeopts.in", true),
            ("third-party/versions.mak", true),
            ("build_tools/make_version", true),
            ("menuselect/menuselect.c", true),
            ("autoconf/ast_ext_lib.m4", true),
            ("configure", true),
            ("res/res_mini.c", false),
            ("include/asterisk/module.h", false),
            ("build_tools", false),
            ("contrib/docker/Dockerfile", false),
            ("makeopts", true),
            ("include/asterisk/autoconfig.h", true),
            ("res/makeopts.c", false),
        ] {
            assert_eq!(is_build_file(path), build, "{path}");
        }
    }

    #[test]
    fn a_file_the_build_wrote_over_starts_afresh_and_any_path_is_listed() {
        let base = std::env::temp_dir().join(format!("kept-rewritten-{}", std::process::id()));
        let base = Utf8PathBuf::try_from(base).unwrap();
        let _ = std::fs::remove_dir_all(&base);
        // (A name with a newline: the list of what was laid holds it as it is.)
        let odd = "doc/x\nz.c";
        let mut members = BTreeMap::new();
        members.insert("doc".to_string(), Member::Dir);
        for path in ["doc/gen.xml", "doc/gen.src", odd] {
            members.insert(path.to_string(), Member::File { executable: false });
        }
        let files = |gen: &str| -> BTreeMap<String, Vec<u8>> {
            [("doc/gen.xml", gen), ("doc/gen.src", "v1"), (odd, "z")]
                .iter()
                .map(|(p, b)| (p.to_string(), b.as_bytes().to_vec()))
                .collect()
        };
        let kept = Kept {
            dir: base.join("kept"),
            seeding: false,
            fresh: false,
        };
        kept.sync(&files("tree's"), &members).unwrap();
        assert_eq!(kept.rewritten().unwrap(), None);
        kept.done().unwrap();
        // The build writes over the tree's file.
        std::fs::write(kept.src().join("doc/gen.xml"), "made").unwrap();
        assert_eq!(kept.rewritten().unwrap().as_deref(), Some("doc/gen.xml"));
        let next = kept.sync(&files("tree's"), &members).unwrap();
        assert!(
            next.fresh
                .as_deref()
                .unwrap_or_default()
                .contains("the last build wrote over doc/gen.xml"),
            "{next:?}"
        );
        kept.done().unwrap();
        // An edit of the tree's copy is an edit, not a rewrite.
        let edited = kept.sync(&files("tree's, edited"), &members).unwrap();
        assert_eq!((edited.written, edited.fresh), (1, None));
        kept.done().unwrap();
        // The odd name's removal is seen.
        members.remove(odd);
        let gone = kept.sync(&files("tree's, edited"), &members).unwrap();
        assert!(
            gone.fresh
                .as_deref()
                .unwrap_or_default()
                .contains("was removed"),
            "{gone:?}"
        );
        std::fs::remove_dir_all(&base).unwrap();
    }

    #[test]
    fn only_what_changed_is_written_and_a_removal_starts_afresh() {
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
            seeding: false,
            fresh: false,
        };
        // The archive's files: what packing read (here, the tree as it is at each step).
        let files = |tree: &Utf8Path| -> BTreeMap<String, Vec<u8>> {
            ["main/a.c", "main/b.c"]
                .iter()
                .filter_map(|p| Some((p.to_string(), std::fs::read(tree.join(p)).ok()?)))
                .collect()
        };
        let first = kept.sync(&files(&tree), &members).unwrap();
        assert_eq!(
            (first.written, first.fresh.as_deref()),
            (3, Some("there was none"))
        );
        kept.done().unwrap();
        // A build output beside the sources stays while only edits come.
        std::fs::write(kept.src().join("main/b.o"), "object").unwrap();
        std::fs::write(tree.join("main/a.c"), "a2").unwrap();
        let second = kept.sync(&files(&tree), &members).unwrap();
        assert_eq!(
            second,
            Synced {
                written: 1,
                removed: 0,
                unchanged: 2,
                fresh: None
            }
        );
        assert_eq!(
            std::fs::read_to_string(kept.src().join("main/a.c")).unwrap(),
            "a2"
        );
        assert!(kept.src().join("main/b.o").exists());
        kept.done().unwrap();
        // b.c goes: its b.o must not outlive it, so the directory starts afresh.
        members.remove("main/b.c");
        let third = kept.sync(&files(&tree), &members).unwrap();
        assert!(third.fresh.unwrap().contains("main/b.c was removed"));
        assert!(!kept.src().join("main/b.c").exists() && !kept.src().join("main/b.o").exists());
        // Interrupted (the mark is still there): afresh.
        std::fs::write(kept.src().join("main/a.o"), "object").unwrap();
        let fourth = kept.sync(&files(&tree), &members).unwrap();
        assert_eq!(
            fourth.fresh.as_deref(),
            Some("the last build there did not finish")
        );
        assert!(!kept.src().join("main/a.o").exists());
        kept.done().unwrap();
        // What is laid is what was packed: the tree changed since means nothing.
        let packed = files(&tree);
        std::fs::write(tree.join("main/a.c"), "saved while the build ran").unwrap();
        kept.sync(&packed, &members).unwrap();
        assert_eq!(
            std::fs::read_to_string(kept.src().join("main/a.c")).unwrap(),
            "a2"
        );
        kept.done().unwrap();
        let mut missing = packed.clone();
        missing.remove("main/a.c");
        std::fs::write(kept.src().join("main/a.c"), "x").unwrap();
        let err = kept.sync(&missing, &members).unwrap_err().to_string();
        assert_eq!(err, "the packed archive holds no main/a.c");
        // A link to a directory that becomes a directory of its own: what is under it would be
        // written through the old link, into the directory it named.
        let mut linked = members.clone();
        linked.insert(
            "apps".to_string(),
            Member::Symlink {
                target: "main".into(),
            },
        );
        kept.sync(&packed, &linked).unwrap();
        kept.done().unwrap();
        let mut own = members.clone();
        own.insert("apps".to_string(), Member::Dir);
        own.insert(
            "apps/c.c".to_string(),
            Member::Generated {
                contents: b"c".to_vec(),
            },
        );
        let retyped = kept.sync(&packed, &own).unwrap();
        assert!(
            retyped
                .fresh
                .as_deref()
                .unwrap()
                .contains("apps changed between"),
            "{retyped:?}"
        );
        assert!(!kept.src().join("main/c.c").exists() && kept.src().join("apps/c.c").is_file());
        kept.done().unwrap();
        // A file that becomes a directory (b.c, then b.c/d.c): afresh, not "File exists".
        let mut file = members.clone();
        file.insert(
            "main/b.c".to_string(),
            Member::Generated {
                contents: b"b".to_vec(),
            },
        );
        kept.sync(&packed, &file).unwrap();
        kept.done().unwrap();
        let mut dir = members.clone();
        dir.insert("main/b.c".to_string(), Member::Dir);
        dir.insert(
            "main/b.c/d.c".to_string(),
            Member::Generated {
                contents: b"d".to_vec(),
            },
        );
        let became = kept.sync(&packed, &dir).unwrap();
        assert!(became
            .fresh
            .as_deref()
            .unwrap()
            .contains("main/b.c changed between"));
        assert!(kept.src().join("main/b.c/d.c").is_file());
        std::fs::remove_dir_all(&base).unwrap();
    }
}
