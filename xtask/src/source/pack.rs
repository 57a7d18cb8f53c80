//! The pack stage: tree, files, version and date become the deterministic source archive.

use anyhow::{bail, Result};
use camino::{Utf8Path, Utf8PathBuf};

use super::rpm_version::{self, RpmVersion};
use super::tree::{Tree, TreeKind};
use super::{archive, date, fileset, release, version};
use crate::infra::digest;
use crate::infra::interrupt;
use crate::infra::progress::{human_size, PhaseTimer};
use crate::infra::workspace::Workspace;
use crate::plan::Plan;

/// The tree packed into its source archive, with what it is called and when it was made.
pub struct Packed {
    pub out: Utf8PathBuf,
    pub work: Utf8PathBuf,
    pub asterisk_version: String,
    pub rpm: RpmVersion,
    pub source_date: i64,
    pub revision: String,
    pub stem: String,
    pub archive_name: String,
    pub archive_path: Utf8PathBuf,
    /// Empty in a dry run, which writes no archive.
    pub archive_sha256: String,
    /// What the archive holds, by path (for an incremental build's kept directory).
    pub members: std::collections::BTreeMap<String, archive::Member>,
    /// The tree has uncommitted changes.
    pub dirty: bool,
    /// What is packed, summed up (see `release`).
    pub tree_digest: String,
    /// A dirty tree's Release time.
    pub dirty_time: Option<i64>,
    /// Asterisk's own release, as it publishes it: a release version, and either an unpacked
    /// tree without git (a release tarball) or a commit tagged with that version, unchanged.
    /// Only then do the spec and the SBOM name Asterisk's release address.
    pub upstream_release: bool,
    /// The tree's ledger in the target directory, which `record_published` writes.
    ledger: release::Ledger,
}

impl Packed {
    /// Records, once the packages are published, that this tree's build got its Release and
    /// NVR: the next build's Release is reckoned from published builds only (a build that
    /// failed or was interrupted gave its tree nothing: going back to the published tree is up
    /// to date).
    pub fn record_published(&self) -> Result<()> {
        if let Some(epoch) = self.dirty_time {
            self.ledger.record(&release::Stamped {
                digest: self.tree_digest.clone(),
                epoch,
            })?;
        }
        self.ledger.record_nvr(
            &format!("{}-{}", self.rpm.version, self.rpm.release),
            &self.tree_digest,
        )
    }
}

/// What packing needs to know of the plan.
pub struct PackInputs<'a> {
    /// The output directory: never packed, and its manifest names the last dirty build.
    pub out: &'a Utf8Path,
    /// rpmbuild's work directory, where the archive goes (`SOURCES/`).
    pub work: &'a Utf8Path,
    /// The target directory: never packed, and it keeps the dirty Releases' ledger.
    pub target: &'a Utf8Path,
    pub rpm_version: Option<&'a str>,
    pub rpm_release: Option<&'a str>,
    /// A dev build: the Release says so.
    pub dev: bool,
    pub dry_run: bool,
    /// The tree digest and Release time of the dirty build the output directory holds, if it
    /// holds one (the outputs stage reads it: `outputs::earlier::published_stamp`).
    pub published: Option<release::Stamped>,
    /// `--fetch-tags`: fetch the remote's tags first.
    pub fetch_tags: bool,
}

impl<'a> PackInputs<'a> {
    pub fn of(plan: &'a Plan, ws: &'a Workspace) -> PackInputs<'a> {
        PackInputs {
            out: &plan.out,
            work: &plan.work,
            target: &ws.target,
            rpm_version: plan.given.core.rpm_version.as_deref(),
            rpm_release: plan.given.core.rpm_release.as_deref(),
            dev: plan.options.dev,
            dry_run: plan.sh.dry_run,
            published: None,
            fetch_tags: plan.given.core.fetch_tags,
        }
    }
}

/// Computes the tree's version and writes its archive into the work directory.
pub fn pack(plan: &PackInputs, tree: &Tree, timer: &mut PhaseTimer) -> Result<Packed> {
    let out = plan.out.to_owned();

    // What goes in, and what it is called.
    let files = fileset::collect(tree, &[plan.target.to_owned(), out.clone()])?;
    for warning in &files.warnings {
        eprintln!("warning: {warning}");
    }
    if plan.fetch_tags {
        tree.fetch_tags()?;
    }
    let head = tree.head()?;
    // describe and the commit count, from the target directory's memo when HEAD and the tags
    // are as they were (a dry run keeps nothing); asked once, when needed.
    let memo = super::git_memo::GitMemo::of(plan.target, &tree.root);
    let asked = std::cell::OnceCell::new();
    let described = || -> Result<super::git_memo::Described> {
        if let Some(d) = asked.get() {
            return Ok(Clone::clone(d));
        }
        let d = memo.describe(|| tree.git(), !plan.dry_run)?;
        Ok(asked.get_or_init(|| d).clone())
    };
    let facts = tree.version_facts(files.tracked_changes, || Ok(described()?.describe))?;
    let asterisk_version = version::asterisk_version(&facts);
    if asterisk_version == version::UNKNOWN_VERSION && plan.rpm_version.is_none() {
        bail!("{}", tree.why_unknown());
    }
    version::check_length(&asterisk_version, facts.dot_version.is_some())?;
    version::check_characters(&asterisk_version, facts.dot_version.is_some())?;
    let changed: std::collections::HashSet<&str> =
        files.changed.iter().map(String::as_str).collect();
    let now = date::now_epoch();
    let pinned = date::pinned(std::env::var("SOURCE_DATE_EPOCH").ok().as_deref(), now)?;
    let dirty = tree.kind == TreeKind::Git && files.differs;
    let dot_version = format!("{asterisk_version}\n");
    // What is packed, summed up; a dirty tree's Release time follows it (see `release`). A
    // tree without git has no commit for the unchanged files: every file is summed.
    let all: std::collections::HashSet<&str> =
        files.entries.iter().map(|e| e.path.as_str()).collect();
    let digest = release::tree_digest(
        &tree.root,
        head.as_ref().map(|h| h.commit.as_str()),
        &files.entries,
        match tree.kind {
            TreeKind::Git => &changed,
            TreeKind::Plain => &all,
        },
        &[(".version", dot_version.as_bytes())],
    )?;
    let ledger = release::Ledger::of(plan.target, &tree.root);
    let mut now = now;
    let dirty_time = match dirty {
        false => None,
        true => {
            let (mut epoch, why) = release::dirty_time(
                &digest,
                ledger.last().as_ref(),
                plan.published.as_ref(),
                now,
                pinned,
            );
            // A changed tree's time is one no other tree of this user has had.
            if why == release::Why::Changed && !plan.dry_run {
                if let Some(clock) = release::Clock::of_user() {
                    epoch = clock.take(epoch);
                }
            }
            // A second change within the second of the last build gets the next second: wait
            // for it rather than date the archive ahead of the clock (make would stop on that).
            if !plan.dry_run && (1..=release::MAX_WAIT_SECS).contains(&(epoch - now)) {
                now = release::wait_for(epoch)?;
            }
            let (_, stamp) = version::utc_stamp(epoch);
            eprintln!(
                "release: dirty.{stamp} ({})",
                match why {
                    release::Why::SameTree => "the same tree as the last build",
                    release::Why::Changed => "the tree changed since the last build",
                    release::Why::Pinned => "SOURCE_DATE_EPOCH",
                }
            );
            Some(epoch)
        }
    };
    let all_files: Vec<(&str, i64)> = match tree.kind {
        TreeKind::Plain => files
            .entries
            .iter()
            .map(|e| (e.path.as_str(), e.mtime))
            .collect(),
        TreeKind::Git => Vec::new(),
    };
    let date = date::source_date(
        pinned,
        head.as_ref().map(|h| h.commit_time),
        dirty_time,
        &all_files,
        now,
    );
    if let Some(note) = &date.note {
        eprintln!("warning: {note}");
    }
    let source_date = date.epoch;
    let snapshot = match &head {
        Some(h) if facts.dot_version.is_none() && asterisk_version.starts_with("GIT-") => {
            Some(tree.snapshot(h, described()?.depth, version::mainline_branch(&facts))?)
        }
        _ => None,
    };
    let derived = rpm_version::resolve_rpm_version(
        &asterisk_version,
        snapshot.as_ref(),
        dirty_time.map(|t| version::utc_stamp(t).1),
        plan.rpm_version,
        plan.rpm_release,
    )?;
    let mut rpm = derived.rpm;
    if plan.dev {
        rpm.release = super::rpm_version::dev_release(&rpm.release);
    }
    eprintln!(
        "version: {asterisk_version} -> asterisk-{}-{}{}",
        rpm.version,
        rpm.release,
        if dirty { " (uncommitted changes)" } else { "" }
    );
    if !derived.basis.is_empty() {
        eprintln!("  based on: {}", derived.basis);
    }
    for note in &derived.notes {
        eprintln!("note: {note}");
    }
    let upstream_release = !dirty
        && crate::source::version::release_url(&asterisk_version).is_some()
        && match tree.kind {
            super::tree::TreeKind::Plain => true,
            super::tree::TreeKind::Git => tree
                .git()
                .args(["tag", "--points-at", "HEAD"])
                .read_optional()?
                .unwrap_or_default()
                .lines()
                .any(|t| t.trim() == asterisk_version),
        };
    let revision = match &head {
        Some(h) => format!("{}{}", h.commit, if dirty { "-dirty" } else { "" }),
        None => String::new(),
    };
    // The same NVR for other contents, or one below the last build's: said (the version of a
    // tree with .version, or without git, follows neither commits nor edits).
    let nvr = format!("{}-{}", rpm.version, rpm.release);
    let stays = match (&facts.dot_version, tree.kind) {
        (Some(v), _) => format!(".version says {}, whatever is committed", v.trim()),
        (None, TreeKind::Plain) => "a tree without git keeps its version whatever is edited".into(),
        (None, TreeKind::Git) => "the version follows the commits".into(),
    };
    let last = ledger.last_nvr();
    if plan.rpm_release.is_none() {
        if let Some(note) = release::nvr_note(
            last.as_ref().map(|(n, d)| (n.as_str(), d.as_str())),
            &nvr,
            &digest,
            &stays,
        ) {
            eprintln!("note: {note}");
        }
    }

    // The archive.
    let work = plan.work.to_owned();
    let stem = version::archive_stem(&asterisk_version);
    let archive_name = format!("{stem}.tar.gz");
    let archive_path = work.join("SOURCES").join(&archive_name);
    let members = archive::members(&files.entries, &[(".version", dot_version.into_bytes())]);
    let mut archive_sha256 = String::new();
    if plan.dry_run {
        eprintln!(
            "would write {archive_path} ({} entries, mtime {source_date})",
            members.len()
        );
    } else {
        let contents = archive::Contents {
            tree: &tree.root,
            members: &members,
            top_dir: &stem,
            mtime: source_date,
        };
        archive::write(&contents, &archive_path)?;
        archive_sha256 = digest::sha256_of_file(&archive_path)?;
        eprintln!(
            "archive: {archive_name} ({} files, {})",
            files.entries.len() + 1,
            human_size(digest::size_of_file(&archive_path)?)
        );
    }
    timer.end("archive");
    interrupt::check()?;
    Ok(Packed {
        out,
        work,
        asterisk_version,
        rpm,
        source_date,
        revision,
        stem,
        archive_name,
        archive_path,
        archive_sha256,
        members,
        dirty,
        tree_digest: digest,
        dirty_time,
        upstream_release,
        ledger,
    })
}
