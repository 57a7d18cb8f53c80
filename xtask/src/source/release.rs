//! The Release of a tree with uncommitted changes, `1.dirty.<UTC time>`, and the one date of its
//! archive: the time this exact content was first built here.
//!
//! What is packed is summed up in a digest (the commit, every path with its kind and mode, the
//! contents of the paths that differ from the commit). The target directory keeps, per tree,
//! the digest and time of its last build (`xtask/releases/<tree key>`); the output directory's
//! manifest says the same of what it holds. The same digest as the last build (or as the output
//! directory, when nothing later was built here) gets the same time, so the same tree keeps its
//! NVR and stays up to date; any other digest (an edit, a deletion, a revert, going back to the
//! tree another output directory holds) gets a time after both and no earlier than now. So along a day of edits the Release
//! only goes up, and two different trees never share one, even within a second: nor two trees
//! with target directories of their own, through the user's `Clock`.

use std::collections::HashSet;
use std::io::Read;

use anyhow::{Context, Result};
use camino::{Utf8Path, Utf8PathBuf};

use super::date::MAX_AHEAD_SECS;
use super::entries::{Entry, EntryKind};
use super::tree_record::TreeRecord;
use crate::infra::interrupt;
use crate::infra::workspace::user_cache_of_env;

/// A build's tree, summed up: its digest and the time its Release carries.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Stamped {
    pub digest: String,
    pub epoch: i64,
}

/// Where a dirty tree's time came from, for the user.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Why {
    /// The same tree as the last build in this target directory, or as the output directory.
    SameTree,
    /// A changed tree: now, or just after the last build when that was later.
    Changed,
    /// `SOURCE_DATE_EPOCH`: the user chose the time (and its order).
    Pinned,
}

/// The time a dirty tree of `digest` gets: `pinned` (SOURCE_DATE_EPOCH) when set; the recorded
/// time of the later of the last build here (`last`) and the output directory's (`published`)
/// when it had the same digest; else the first second after both that is not before `now`.
pub fn dirty_time(
    digest: &str,
    last: Option<&Stamped>,
    published: Option<&Stamped>,
    now: i64,
    pinned: Option<i64>,
) -> (i64, Why) {
    if let Some(epoch) = pinned {
        return (epoch, Why::Pinned);
    }
    // The output directory's time only while nothing later was built here: going back to the
    // tree it holds after building another one is a change (its old time would be below the
    // other's Release).
    // And the other way round: the last build here, only while the output directory holds
    // nothing later (another target directory built into it since).
    let published_current = published.filter(|p| last.is_none_or(|l| l.epoch <= p.epoch));
    let last_current = last.filter(|l| published.is_none_or(|p| p.epoch <= l.epoch));
    if let Some(same) = [last_current, published_current]
        .into_iter()
        .flatten()
        .find(|s| s.digest == digest)
    {
        return (same.epoch, Why::SameTree);
    }
    let after = [last, published]
        .into_iter()
        .flatten()
        .map(|s| s.epoch + 1)
        .max()
        .unwrap_or(i64::MIN);
    (now.max(after), Why::Changed)
}

/// The last dirty time given to any tree of this user (`asterisk-xtask/dirty-clock` in the user's
/// cache directory), so that two trees with target directories of their own (two worktrees of
/// one commit) never get one time, and so one NVR and one image tag, within a second.
pub struct Clock {
    path: Utf8PathBuf,
}

impl Clock {
    /// The user's clock, in the user's cache (`infra::workspace::user_cache`); None without one.
    pub fn of_user() -> Option<Clock> {
        Some(Clock {
            path: user_cache_of_env()?.join("dirty-clock"),
        })
    }

    /// `epoch`, or the second after the last time given when that is not before it; recorded
    /// under a lock (two builds at once take two seconds). Best effort: a clock that cannot be
    /// written costs only this guarantee, and `epoch` is taken as it is.
    pub fn take(&self, epoch: i64) -> i64 {
        self.try_take(epoch).unwrap_or(epoch)
    }

    fn try_take(&self, epoch: i64) -> Result<i64> {
        use std::io::{Seek, Write};
        let dir = self.path.parent().context("the clock has no directory")?;
        std::fs::create_dir_all(dir)?;
        let mut file = std::fs::OpenOptions::new()
            .create(true)
            .truncate(false)
            .read(true)
            .write(true)
            .open(&self.path)?;
        file.lock()?;
        let mut text = String::new();
        file.read_to_string(&mut text)?;
        // A last time far ahead of this one is a clock that was wrong then, or a file someone
        // wrote: followed, it would date every later build ahead of the clock.
        let taken = match text.trim().parse::<i64>() {
            // (Strictly less: the time given is then at most MAX_AHEAD_SECS ahead, and the
            // archive, dated that much before its Release, is never in the future.)
            Ok(last) if last >= epoch && last - epoch < MAX_AHEAD_SECS => last + 1,
            _ => epoch,
        };
        file.set_len(0)?;
        file.rewind()?;
        writeln!(file, "{taken}")?;
        Ok(taken)
    }
}

/// The most a build waits for the clock to reach its Release time (when it follows another
/// build of a changed tree within the same second).
pub const MAX_WAIT_SECS: i64 = 2;

/// Waits until the clock has reached `epoch` (a Ctrl-C ends the wait); returns the time then.
pub fn wait_for(epoch: i64) -> Result<i64> {
    loop {
        interrupt::check()?;
        let now = super::date::now_epoch();
        if now >= epoch {
            return Ok(now);
        }
        std::thread::sleep(std::time::Duration::from_millis(50));
    }
}

/// The digest of what is packed: the commit, every entry's path, kind and mode (so a deletion
/// or a rename changes it), the contents of the `changed` paths (the others are the commit's),
/// and the generated files. A Ctrl-C stops it between two reads.
pub fn tree_digest(
    root: &Utf8Path,
    commit: Option<&str>,
    entries: &[Entry],
    changed: &HashSet<&str>,
    generated: &[(&str, &[u8])],
) -> Result<String> {
    let mut h = crate::infra::digest::Sha256Sum::default();
    h.update(format!("commit {}\0", commit.unwrap_or("none")));
    for e in entries {
        h.update(e.path.as_bytes());
        match &e.kind {
            EntryKind::File { executable } => {
                h.update(if *executable { b"\0x\0" } else { b"\0f\0" })
            }
            EntryKind::Symlink { target } => {
                h.update(b"\0l\0");
                h.update(target.as_bytes());
            }
        }
        if changed.contains(e.path.as_str()) && matches!(e.kind, EntryKind::File { .. }) {
            interrupt::check()?;
            h.update(crate::infra::digest::sha256_of_file(&root.join(&e.path))?);
        }
        h.update(b"\n");
    }
    for (path, contents) in generated {
        h.update(format!("generated {path}\0"));
        h.update(crate::infra::digest::sha256_of_parts(&[contents]));
    }
    Ok(h.hex())
}

/// The record of a tree's last dirty build in a target directory.
pub struct Ledger {
    record: TreeRecord,
}

impl Ledger {
    /// The record for `tree` in the target directory `target`.
    pub fn of(target: &Utf8Path, tree: &Utf8Path) -> Ledger {
        Ledger {
            record: TreeRecord::of(target, tree, "releases"),
        }
    }

    /// The last build's digest and time; None when there was none (or the record is unreadable,
    /// which only costs a new time).
    pub fn last(&self) -> Option<Stamped> {
        parse(&self.record.read()?)
    }

    /// Records this build's digest and time, in one step.
    pub fn record(&self, stamped: &Stamped) -> Result<()> {
        self.record
            .write(&format!("{} {}\n", stamped.digest, stamped.epoch))
    }

    /// The version-release and digest of the last build of this tree here, dirty or not.
    pub fn last_nvr(&self) -> Option<(String, String)> {
        let text = self.record.beside("nvr").read()?;
        let (nvr, digest) = text.trim().split_once(' ')?;
        Some((nvr.to_string(), digest.to_string()))
    }

    /// Records this build's version-release and digest, in one step.
    pub fn record_nvr(&self, nvr: &str, digest: &str) -> Result<()> {
        self.record
            .beside("nvr")
            .write(&format!("{nvr} {digest}\n"))
    }
}

/// What to say when this build's version-release meets the last one of the same tree here:
/// other contents under the same NVR (a tree whose version does not follow commits or edits:
/// one with .version, or without git), or an NVR that sorts below the last one (a committed
/// patch after dirty builds of a .version tree), so that the packages would not upgrade it.
/// `why` says why the version stays (".version says 22.1.0", "a tree without git").
pub fn nvr_note(last: Option<(&str, &str)>, nvr: &str, digest: &str, why: &str) -> Option<String> {
    let (last_nvr, last_digest) = last?;
    let name = |v: &str| format!("asterisk-{v}");
    if last_nvr == nvr && last_digest != digest && !digest.is_empty() {
        return Some(format!(
            "{} was built here before from other contents: {why}, so both builds have one NVR \
             and a host with the first one installed would not take the second; pass \
             --rpm-release to tell them apart",
            name(nvr)
        ));
    }
    let (v, r) = nvr.rsplit_once('-')?;
    let (lv, lr) = last_nvr.rsplit_once('-')?;
    let order = super::vercmp::rpmvercmp(lv, v).then_with(|| super::vercmp::rpmvercmp(lr, r));
    (order == std::cmp::Ordering::Greater).then(|| {
        format!(
            "the last build of this tree here was {}, which sorts above {} ({why}): a host that \
             installed it takes this one only with rpm --oldpackage (or pass --rpm-release)",
            name(last_nvr),
            name(nvr)
        )
    })
}

/// `<digest> <epoch>`, as `Ledger::record` writes it.
pub fn parse(text: &str) -> Option<Stamped> {
    let (digest, epoch) = text.trim().split_once(' ')?;
    let ok = digest.len() == 64 && digest.bytes().all(|b| b.is_ascii_hexdigit());
    Some(Stamped {
        digest: ok.then(|| digest.to_string())?,
        epoch: epoch.trim().parse().ok()?,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn no_two_trees_take_one_second() {
        let dir = std::env::temp_dir().join(format!("clock-{}", std::process::id()));
        let clock = Clock {
            path: Utf8PathBuf::try_from(dir.join("dirty-clock")).unwrap(),
        };
        // Two trees in one second, then a later second, then a clock gone back.
        assert_eq!(clock.take(100), 100);
        assert_eq!(clock.take(100), 101);
        assert_eq!(clock.take(200), 200);
        assert_eq!(clock.take(150), 201);
        // Far ahead (a clock that was wrong, a file written by hand): the time as it is.
        std::fs::write(&clock.path, "99999\n").unwrap();
        assert_eq!(clock.take(400), 400);
        assert_eq!(clock.take(400), 401);
        // Never more than MAX_AHEAD_SECS ahead: exactly that far is not followed.
        std::fs::write(&clock.path, format!("{}\n", 1000 + MAX_AHEAD_SECS)).unwrap();
        assert_eq!(clock.take(1000), 1000);
        std::fs::write(&clock.path, format!("{}\n", 1000 + MAX_AHEAD_SECS - 1)).unwrap();
        assert_eq!(clock.take(1000), 1000 + MAX_AHEAD_SECS);
        // Unreadable: the time as it is.
        std::fs::write(&clock.path, "garbage").unwrap();
        assert_eq!(clock.take(300), 300);
        let nowhere = Clock {
            path: Utf8PathBuf::from("/proc/no-such/dirty-clock"),
        };
        assert_eq!(nowhere.take(7), 7);
        std::fs::remove_dir_all(&dir).unwrap();
    }

    #[test]
    fn an_nvr_met_again_is_said() {
        let why = ".version says 22.1.0";
        type Case = (
            Option<(&'static str, &'static str)>,
            &'static str,
            &'static str,
            Option<&'static str>,
        );
        let cases: [Case; 6] = [
            (None, "22.1.0-1", "a", None),
            // The same tree again: nothing to say.
            (Some(("22.1.0-1", "a")), "22.1.0-1", "a", None),
            // Other contents, one NVR.
            (Some(("22.1.0-1", "a")), "22.1.0-1", "b", Some("asterisk-22.1.0-1 was built here before from other contents: .version says 22.1.0, so both builds have one NVR")),
            // A committed patch after dirty builds: below them.
            (Some(("22.1.0-1.dirty.20261201100000", "a")), "22.1.0-1", "b", Some("the last build of this tree here was asterisk-22.1.0-1.dirty.20261201100000, which sorts above asterisk-22.1.0-1")),
            // Going up: nothing to say.
            (Some(("22.1.0-1", "a")), "22.1.0-1.dirty.20261201100000", "b", None),
            (Some(("0^5.20260806.abc-1", "a")), "0^6.20260807.def-1", "b", None),
        ];
        for (last, nvr, digest, want) in cases {
            let got = nvr_note(last, nvr, digest, why);
            match want {
                None => assert_eq!(got, None, "{last:?} {nvr}"),
                Some(w) => assert!(
                    got.as_deref().is_some_and(|g| g.starts_with(w)),
                    "{last:?} {nvr}: {got:?}"
                ),
            }
        }
    }

    fn at(digest: char, epoch: i64) -> Stamped {
        Stamped {
            digest: digest.to_string().repeat(64),
            epoch,
        }
    }

    #[test]
    fn the_dirty_time_only_goes_up_while_the_tree_changes() {
        let d = |c: char| c.to_string().repeat(64);
        // (digest, last build here, output directory's, now, SOURCE_DATE_EPOCH) -> time, why
        type Case = (
            char,
            Option<Stamped>,
            Option<Stamped>,
            i64,
            Option<i64>,
            i64,
            Why,
        );
        let cases: Vec<Case> = vec![
            // A first build: now.
            ('a', None, None, 100, None, 100, Why::Changed),
            // The same tree again, later: the same time (the same NVR, up to date).
            ('a', Some(at('a', 100)), None, 500, None, 100, Why::SameTree),
            ('a', None, Some(at('a', 90)), 500, None, 90, Why::SameTree),
            (
                'a',
                Some(at('b', 80)),
                Some(at('a', 90)),
                500,
                None,
                90,
                Why::SameTree,
            ),
            // Back to this target directory's last tree after another target directory built
            // another tree into the output directory: a change, above the other's time.
            (
                'a',
                Some(at('a', 100)),
                Some(at('b', 120)),
                110,
                None,
                121,
                Why::Changed,
            ),
            // Back to the tree an output directory holds after building another one (to
            // another directory): a change, above the other's time.
            (
                'a',
                Some(at('b', 100)),
                Some(at('a', 90)),
                100,
                None,
                101,
                Why::Changed,
            ),
            // A change in the same second as the last build: one second after it.
            ('b', Some(at('a', 100)), None, 100, None, 101, Why::Changed),
            // The clock went back: still after the last build.
            ('b', Some(at('a', 100)), None, 50, None, 101, Why::Changed),
            // The output directory holds a later build than this target directory's.
            (
                'b',
                Some(at('a', 100)),
                Some(at('c', 300)),
                200,
                None,
                301,
                Why::Changed,
            ),
            // A later change, a while after: now.
            ('b', Some(at('a', 100)), None, 900, None, 900, Why::Changed),
            // SOURCE_DATE_EPOCH decides, whatever was before.
            ('b', Some(at('a', 100)), None, 900, Some(7), 7, Why::Pinned),
        ];
        for (digest, last, published, now, pinned, want, why) in cases {
            assert_eq!(
                dirty_time(&d(digest), last.as_ref(), published.as_ref(), now, pinned),
                (want, why),
                "{digest} {last:?} {published:?} {now}"
            );
        }
        // A day of edits, reverts and rebuilds: up on every change, the same on a rebuild.
        let trees = ['a', 'b', 'b', 'a', 'c', 'c', 'a', 'b'];
        let mut last: Option<Stamped> = None;
        let mut previous: Option<(char, i64)> = None;
        for (n, tree) in trees.into_iter().enumerate() {
            let now = 1000 + (n as i64) / 3; // several builds a second
            let (epoch, _) = dirty_time(&d(tree), last.as_ref(), None, now, None);
            if let Some((before, then)) = previous {
                match before == tree {
                    true => assert_eq!(epoch, then, "a rebuild of {tree} moved"),
                    false => assert!(
                        epoch > then,
                        "{before} -> {tree} went from {then} to {epoch}"
                    ),
                }
            }
            previous = Some((tree, epoch));
            last = Some(Stamped {
                digest: d(tree),
                epoch,
            });
        }
    }

    #[test]
    fn ledger_lines() {
        let d = "ab".repeat(32);
        assert_eq!(
            parse(&format!("{d} 17\n")),
            Some(Stamped {
                digest: d.clone(),
                epoch: 17
            })
        );
        for bad in [
            "",
            "x 1",
            &d.to_string(),
            &format!("{d} soon"),
            &format!("{}z 1", &d[1..]),
        ] {
            assert_eq!(parse(bad), None, "{bad}");
        }
    }

    #[test]
    fn the_digest_sees_deletions_renames_modes_and_contents() {
        let root = Utf8PathBuf::try_from(std::env::temp_dir())
            .unwrap()
            .join(format!("xtask-digest-{}", std::process::id()));
        std::fs::create_dir_all(&root).unwrap();
        std::fs::write(root.join("a.c"), "one").unwrap();
        std::fs::write(root.join("b.c"), "two").unwrap();
        let file = |path: &str, executable| Entry {
            path: path.into(),
            kind: EntryKind::File { executable },
            mtime: 0,
        };
        let both = [file("a.c", false), file("b.c", false)];
        let changed: HashSet<&str> = ["a.c"].into();
        let digest = |entries: &[Entry], commit| {
            tree_digest(&root, commit, entries, &changed, &[(".version", b"1\n")]).unwrap()
        };
        let base = digest(&both, Some("c1"));
        assert_eq!(base, digest(&both, Some("c1")));
        assert_ne!(base, digest(&both, Some("c2")), "another commit");
        assert_ne!(base, digest(&both[..1], Some("c1")), "a deletion");
        assert_ne!(
            base,
            digest(&[file("a.c", false), file("c.c", false)], Some("c1")),
            "a rename"
        );
        assert_ne!(
            base,
            digest(&[file("a.c", true), file("b.c", false)], Some("c1")),
            "a mode"
        );
        std::fs::write(root.join("a.c"), "uno").unwrap();
        assert_ne!(base, digest(&both, Some("c1")), "an edit");
        // b.c is the commit's: its bytes are not read (the commit names them).
        std::fs::write(root.join("a.c"), "one").unwrap();
        std::fs::write(root.join("b.c"), "changed but said to be the commit's").unwrap();
        assert_eq!(base, digest(&both, Some("c1")));
        std::fs::remove_dir_all(&root).unwrap();
    }
}
