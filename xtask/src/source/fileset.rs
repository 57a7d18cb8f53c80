//! Which paths of the tree go into the source archive, and which differ from the commit.
//!
//! In a git tree: every tracked file as it is in the working tree (deleted ones left out) plus
//! untracked files git does not ignore. In a plain tree: every file. Never `.git`, never the
//! target or output directory. Symlinks stay symlinks, exec bits are kept, and a name that is
//! not UTF-8 is an error.

use std::os::unix::fs::{MetadataExt, PermissionsExt};

use anyhow::{bail, Context, Result};
use camino::{Utf8Path, Utf8PathBuf};

use super::entries::{is_excluded, split_names, Entry, EntryKind, FileSet};
use super::status::parse_status;
use super::tree::{Tree, TreeKind};
use super::warnings::{warn_about_contents, warn_about_links};

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
    let mut status = parse_status(&status, prefix, excluded, &submodules)?;
    // git status does not look at files marked assume-unchanged or skip-worktree: compared
    // here, so that an edit under such a mark is a change like any other.
    let marked = git(&["ls-files", "-v", "-s", "-z", "--", "."])
        .read_bytes()
        .context("asking git which files it is told not to look at")?;
    for path in hidden_changes(root, &split_names(&marked)?, excluded)? {
        status.any = true;
        status.tracked = true;
        if root.join(&path).is_file() && !status.changed.contains(&path) {
            status.changed.push(path);
        }
    }
    set.differs = status.any;
    set.tracked_changes = status.tracked;
    set.changed = status.changed;
    warn_about_contents(root, &mut set);
    Ok(set)
}

/// The files of `git ls-files -v -s` lines marked assume-unchanged (a lower-case tag) or
/// skip-worktree (`S`) whose content is not their index blob's, or that are gone.
fn hidden_changes(root: &Utf8Path, lines: &[String], excluded: &[String]) -> Result<Vec<String>> {
    let mut out = Vec::new();
    for line in lines {
        let Some((tag, rest)) = line.split_once(' ') else {
            continue;
        };
        if !(tag == "S" || tag.chars().all(|c| c.is_ascii_lowercase())) {
            continue;
        }
        // `<mode> <blob> <stage>\t<path>`
        let Some((fields, path)) = rest.split_once('\t') else {
            continue;
        };
        let mut fields = fields.split(' ');
        let (Some(mode), Some(blob)) = (fields.next(), fields.next()) else {
            continue;
        };
        if is_excluded(path, excluded) || !mode.starts_with("100") {
            continue;
        }
        let file = root.join(path);
        let now = match std::fs::symlink_metadata(&file) {
            Ok(m) if m.is_file() => Some(git_blob_id(&file)?),
            Ok(_) => None,
            Err(_) => None,
        };
        if now.as_deref() != Some(blob) {
            out.push(path.to_string());
        }
    }
    Ok(out)
}

/// The id git gives a file's bytes as a blob (no filters: a file a filter would change counts
/// as changed, which is the safe side).
fn git_blob_id(file: &Utf8Path) -> Result<String> {
    let bytes = std::fs::read(file).with_context(|| format!("reading {file}"))?;
    let header = format!("blob {}\0", bytes.len());
    Ok(crate::infra::digest::sha1_of_parts(&[
        header.as_bytes(),
        &bytes,
    ]))
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
fn build_outputs<'a>(paths: impl Iterator<Item = &'a str>) -> Vec<&'a str> {
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
    fn files_git_is_told_not_to_look_at_are_compared() {
        let dir = std::env::temp_dir().join(format!("hidden-{}", std::process::id()));
        let root = Utf8PathBuf::try_from(dir).unwrap();
        std::fs::create_dir_all(&root).unwrap();
        for (name, text) in [("a", "a\n"), ("b", "b2\n"), ("c", "c2\n"), ("x", "x2\n")] {
            std::fs::write(root.join(name), text).unwrap();
        }
        // (78981922... is git's id of "a\n", 61780798... of "b\n", f2ad6c76... of "c\n")
        let lines: Vec<String> = [
            "h 100644 78981922613b2afb6025042ff6bd878ac1994e85 0\ta",
            "S 100644 61780798228d17af2d34fce4cfbdf35556832472 0\tb",
            "H 100644 f2ad6c76f0115a6ba5b00456a849810e7ec0af20 0\tc",
            "h 100644 f2ad6c76f0115a6ba5b00456a849810e7ec0af20 0\tgone",
            "S 100644 61780798228d17af2d34fce4cfbdf35556832472 0\tx",
        ]
        .map(String::from)
        .to_vec();
        // a is unchanged under its mark, b edited under one, c edited but git sees it (its
        // status says so), gone is gone, x is left out.
        assert_eq!(
            hidden_changes(&root, &lines, &["x".to_string()]).unwrap(),
            ["b", "gone"]
        );
        std::fs::remove_dir_all(&root).unwrap();
    }

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
