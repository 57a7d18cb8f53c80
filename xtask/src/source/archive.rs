//! The deterministic source archive `asterisk-<version>.tar.gz`.
//!
//! One top directory; entries sorted by name, every directory listed before its contents; owner
//! and group 0/root; one mtime for everything (the source date); modes 0755 or 0644 from the exec
//! bit; symlinks kept. The gzip header holds no name and no time. The same tree packed twice gives
//! the same bytes. A Ctrl-C stops it between two reads.

use std::collections::BTreeMap;
use std::fs::File;
use std::io::{BufWriter, Write};

use anyhow::{Context, Result};
use camino::Utf8Path;
use tar::{EntryType, Header};

use super::pgzip::ParGz;

use super::entries::{Entry, EntryKind};

/// What goes into the archive at one path.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Member {
    Dir,
    /// A file copied from the tree.
    File {
        executable: bool,
    },
    Symlink {
        target: String,
    },
    /// A file the xtask writes (`.version`).
    Generated {
        contents: Vec<u8>,
    },
}

/// The archive's members by path (relative to the top directory), parents included.
pub fn members(entries: &[Entry], generated: &[(&str, Vec<u8>)]) -> BTreeMap<String, Member> {
    let mut members = BTreeMap::new();
    let add_parents = |members: &mut BTreeMap<String, Member>, path: &str| {
        let mut at = 0;
        while let Some(i) = path[at..].find('/') {
            members.insert(path[..at + i].to_string(), Member::Dir);
            at += i + 1;
        }
    };
    for entry in entries {
        add_parents(&mut members, &entry.path);
        let member = match &entry.kind {
            EntryKind::File { executable } => Member::File {
                executable: *executable,
            },
            EntryKind::Symlink { target } => Member::Symlink {
                target: target.clone(),
            },
        };
        members.insert(entry.path.clone(), member);
    }
    for (path, contents) in generated {
        add_parents(&mut members, path);
        members.insert(
            path.to_string(),
            Member::Generated {
                contents: contents.clone(),
            },
        );
    }
    members
}

/// Reads a file for the archive, failing as soon as a Ctrl-C comes (a large file would
/// otherwise keep the user waiting for as long as it takes to compress).
struct Interruptible(File);

impl std::io::Read for Interruptible {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        if crate::infra::interrupt::requested() {
            return Err(std::io::Error::other("interrupted"));
        }
        self.0.read(buf)
    }
}

/// What an archive holds: `members` of `tree`, under `top_dir/`, all dated `mtime`.
pub struct Contents<'a> {
    pub tree: &'a Utf8Path,
    pub members: &'a BTreeMap<String, Member>,
    pub top_dir: &'a str,
    pub mtime: i64,
}

/// Writes the contents into a gzip-compressed tar at `out`; on any failure (an interrupt
/// included) no partial archive is left.
pub fn write(contents: &Contents, out: &Utf8Path) -> Result<()> {
    let result = write_all(contents, out);
    if result.is_err() {
        let _ = std::fs::remove_file(out);
        crate::infra::interrupt::check()?;
    }
    result
}

fn write_all(c: &Contents, out: &Utf8Path) -> Result<()> {
    let (tree, members, top_dir, mtime) = (c.tree, c.members, c.top_dir, c.mtime);
    let file = File::create(out).with_context(|| format!("creating {out}"))?;
    // Compressed on every core, the same bytes on any machine (see pgzip).
    let gz = ParGz::new(BufWriter::with_capacity(1 << 20, file));
    let mut tar = tar::Builder::new(gz);
    let header = |kind: EntryType, mode: u32, size: u64| -> Result<Header> {
        let mut h = Header::new_gnu();
        h.set_entry_type(kind);
        h.set_mode(mode);
        h.set_size(size);
        h.set_uid(0);
        h.set_gid(0);
        h.set_username("root")?;
        h.set_groupname("root")?;
        h.set_mtime(mtime.max(0) as u64);
        Ok(h)
    };
    let mut top = header(EntryType::Directory, 0o755, 0)?;
    tar.append_data(&mut top, format!("{top_dir}/"), std::io::empty())
        .context("writing the archive's top directory")?;
    for (path, member) in members {
        crate::infra::interrupt::check()?;
        let name = format!("{top_dir}/{path}");
        let result = match member {
            Member::Dir => {
                let mut h = header(EntryType::Directory, 0o755, 0)?;
                tar.append_data(&mut h, format!("{name}/"), std::io::empty())
            }
            Member::File { executable } => {
                let src = tree.join(path);
                let f = File::open(&src).with_context(|| format!("reading {src}"))?;
                let len = f
                    .metadata()
                    .with_context(|| format!("reading {src}"))?
                    .len();
                let mode = if *executable { 0o755 } else { 0o644 };
                let mut h = header(EntryType::Regular, mode, len)?;
                tar.append_data(&mut h, &name, Interruptible(f))
            }
            Member::Symlink { target } => {
                let mut h = header(EntryType::Symlink, 0o777, 0)?;
                tar.append_link(&mut h, &name, target)
            }
            Member::Generated { contents } => {
                let mut h = header(EntryType::Regular, 0o644, contents.len() as u64)?;
                tar.append_data(&mut h, &name, contents.as_slice())
            }
        };
        result.with_context(|| format!("adding {path} to {out}"))?;
    }
    let gz = tar
        .into_inner()
        .with_context(|| format!("finishing {out}"))?;
    let mut file = gz.finish().with_context(|| format!("finishing {out}"))?;
    file.flush().with_context(|| format!("writing {out}"))?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn file(path: &str) -> Entry {
        Entry {
            path: path.into(),
            kind: EntryKind::File { executable: false },
            mtime: 0,
        }
    }

    #[test]
    fn members_list_parents_first_and_sorted() {
        let entries = [
            file("main/asterisk.c"),
            file("a b/c.txt"),
            file("configure"),
        ];
        let got: Vec<String> = members(&entries, &[(".version", b"1\n".to_vec())])
            .into_keys()
            .collect();
        assert_eq!(
            got,
            [
                ".version",
                "a b",
                "a b/c.txt",
                "configure",
                "main",
                "main/asterisk.c"
            ]
        );
    }

    #[test]
    fn generated_replaces_a_tree_file() {
        let m = members(&[file(".version")], &[(".version", b"2\n".to_vec())]);
        assert_eq!(
            m[".version"],
            Member::Generated {
                contents: b"2\n".to_vec()
            }
        );
    }
}
