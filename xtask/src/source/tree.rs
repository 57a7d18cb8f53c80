//! The Asterisk tree to package, found and checked, and what git knows about it.
//!
//! The tree is the workspace root (the checkout the xtask lives in) unless `--source DIR` names
//! another. It must look like Asterisk: `configure.ac` whose `AC_INIT` names asterisk,
//! `build_tools/make_version` and `main/`. `kind` says whether git can list its files.

use anyhow::{bail, Context, Result};
use camino::{Utf8Path, Utf8PathBuf};

use super::snapshot::{Snapshot, Tag};
use super::version::UNKNOWN_VERSION;
use crate::infra::exec::{Cmd, Shell};

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TreeKind {
    /// Git answers for the tree (its own `.git`, or an enclosing repository).
    Git,
    /// No git: an unpacked release tarball, say.
    Plain,
}

#[derive(Debug, Clone)]
pub struct Tree {
    /// Absolute, canonical path of the tree.
    pub root: Utf8PathBuf,
    pub kind: TreeKind,
    /// Runs git in it.
    sh: Shell,
}

impl Tree {
    /// Finds the tree at `source` (or the workspace root) and checks that it is Asterisk.
    pub fn locate(sh: Shell, source: Option<&Utf8Path>, workspace_root: &Utf8Path) -> Result<Tree> {
        let given = source.unwrap_or(workspace_root);
        let root = given.canonicalize_utf8().with_context(|| {
            format!("the source tree {given} does not exist: pass --source DIR naming an Asterisk checkout")
        })?;
        let missing = missing_asterisk_parts(&root);
        if !missing.is_empty() {
            let hint = if source.is_some() {
                "check the --source path"
            } else {
                "pass --source DIR naming an Asterisk checkout"
            };
            bail!(
                "{root} is not an Asterisk source tree (expected configure.ac with AC_INIT([asterisk], ...), \
                 build_tools/make_version and main/; missing: {}): {hint}",
                missing.join(", ")
            );
        }
        let asked = sh
            .git(&root)
            .args(["rev-parse", "--is-inside-work-tree"])
            .read();
        if let Err(e) = &asked {
            let said = match e.downcast_ref::<crate::infra::exec::Failed>() {
                Some(f) => f.tail.join("\n"),
                None => String::new(),
            };
            if said.contains("dubious ownership") || said.contains("safe.directory") {
                bail!("{}", not_yours(&root, &said));
            }
        }
        let answers = asked.is_ok_and(|s| s.trim() == "true");
        let kind = if answers {
            TreeKind::Git
        } else {
            TreeKind::Plain
        };
        Ok(Tree { root, kind, sh })
    }
}

/// Why git will not read a tree another user owns, and what to do, in one line: the repository
/// git named (the tree may be a directory inside it), and which of it and its `.git` is
/// another user's.
fn not_yours(root: &Utf8Path, said: &str) -> String {
    use std::os::unix::fs::MetadataExt;
    let repository = refused_repository(said).unwrap_or_else(|| root.to_string());
    let repository = Utf8Path::new(&repository);
    // SAFETY: getuid cannot fail.
    let me = unsafe { libc::getuid() };
    // `.git` may be a file naming the repository elsewhere (`gitdir: ...`: a worktree, a
    // submodule): that directory is one git checks too.
    let dot_git = repository.join(".git");
    let gitdir = std::fs::read_to_string(&dot_git)
        .ok()
        .and_then(|t| {
            t.lines()
                .next()?
                .strip_prefix("gitdir:")
                .map(|d| d.trim().to_string())
        })
        .map(|d| repository.join(d));
    let theirs = [Some(repository.to_owned()), Some(dot_git), gitdir]
        .into_iter()
        .flatten()
        .find_map(|p| {
            let uid = std::fs::metadata(&p).ok()?.uid();
            (uid != me).then(|| format!("{p} belongs to uid {uid}, not to you (uid {me})"))
        })
        .unwrap_or_else(|| format!("{repository} is another user's"));
    let inside = match repository == root {
        true => String::new(),
        false => format!(" (the tree {root} is inside it)"),
    };
    format!(
        "git refuses to read the repository {repository}{inside}: {theirs}, and a repository of \
         another user's can run its programs as you (CVE-2022-24765): build it as its owner, or, \
         if you trust its .git/config, run `git config --global --add safe.directory {repository}`"
    )
}

/// The repository git's refusal names: `... dubious ownership in repository at '/x'`.
fn refused_repository(said: &str) -> Option<String> {
    let at = said.split("repository at '").nth(1)?;
    Some(at.split('\'').next()?.to_string()).filter(|p| !p.is_empty())
}

/// What an Asterisk tree has that `root` lacks.
fn missing_asterisk_parts(root: &Utf8Path) -> Vec<&'static str> {
    let mut missing = Vec::new();
    match crate::infra::regular::read_to_string(&root.join("configure.ac")) {
        Ok(text) if is_asterisk_configure_ac(&text) => {}
        Ok(_) => missing.push("AC_INIT([asterisk], ...) in configure.ac"),
        Err(_) => missing.push("configure.ac"),
    }
    if !root.join("build_tools/make_version").is_file() {
        missing.push("build_tools/make_version");
    }
    if !root.join("main").is_dir() {
        missing.push("main/");
    }
    missing
}

/// Whether an `AC_INIT` line names the package asterisk.
fn is_asterisk_configure_ac(text: &str) -> bool {
    text.lines().any(|line| {
        line.trim_start()
            .strip_prefix("AC_INIT(")
            .map(|args| {
                let first = args.split(',').next().unwrap_or("");
                first.trim().trim_matches(['[', ']']).trim() == "asterisk"
            })
            .unwrap_or(false)
    })
}

#[cfg(test)]
mod tests {

    #[test]
    fn the_repository_git_refuses_is_the_one_it_names() {
        let said = "fatal: detected dubious ownership in repository at '/tmp/o u/ter'\nTo add an exception for this directory, call:\n\n\tgit config --global --add safe.directory '/tmp/o u/ter'";
        assert_eq!(refused_repository(said).as_deref(), Some("/tmp/o u/ter"));
        assert_eq!(refused_repository("fatal: not a git repository"), None);
    }

    use super::*;

    #[test]
    fn asterisk_configure_ac() {
        let cases = [
            ("AC_INIT([asterisk], [master], [https://x])", true),
            ("  AC_INIT([asterisk],[23])", true),
            ("AC_INIT(asterisk, 1.0)", true),
            ("AC_INIT([freeswitch], [1.10])", false),
            ("dnl AC_INIT([asterisk])", false),
            ("", false),
        ];
        for (text, want) in cases {
            assert_eq!(is_asterisk_configure_ac(text), want, "{text}");
        }
    }
}

/// Git facts about HEAD.
#[derive(Debug, Clone)]
pub struct Head {
    /// The commit's full hash.
    pub commit: String,
    /// Committer time, seconds since the epoch.
    pub commit_time: i64,
}

impl Tree {
    /// git in the tree (see `Shell::git`: the one way the xtask runs git).
    pub fn git(&self) -> Cmd {
        self.sh.git(&self.root)
    }

    /// `--fetch-tags`: `git fetch --tags` from the remote the branch follows (else `origin`, else
    /// the only remote), said in one line; a plain tree or one without remotes is an error.
    pub fn fetch_tags(&self) -> Result<()> {
        if self.kind == TreeKind::Plain {
            bail!(
                "--fetch-tags: {} is not a git checkout, so it has no tags to fetch: leave --fetch-tags out",
                self.root
            );
        }
        let remotes = self.git().args(["remote"]).read()?;
        let remotes: Vec<&str> = remotes.split_whitespace().collect();
        let branch = self
            .git()
            .args(["symbolic-ref", "--short", "-q", "HEAD"])
            .read_optional()?
            .unwrap_or_default();
        let followed = match branch.trim() {
            "" => None,
            b => self
                .git()
                .args(["config", "--get", &format!("branch.{b}.remote")])
                .read_optional()?
                .map(|r| r.trim().to_string()),
        };
        let Some(remote) = choose_remote(followed.as_deref(), &remotes) else {
            bail!(
                "--fetch-tags: the repository of {} has no remote to fetch tags from: add one (git remote add origin URL) or leave --fetch-tags out",
                self.root
            );
        };
        eprintln!("fetching the tags of {remote} (--fetch-tags)");
        self.git()
            .args(["fetch", "--quiet", "--tags", &remote])
            .read()
            .map_err(|e| {
                anyhow::anyhow!(
                    "--fetch-tags: git fetch --tags {remote} failed: {}",
                    crate::infra::exec::last_line(&e)
                )
            })?;
        Ok(())
    }

    /// HEAD and its time; None for a plain tree or a repository without commits.
    pub fn head(&self) -> Result<Option<Head>> {
        if self.kind == TreeKind::Plain {
            return Ok(None);
        }
        // A repository without a commit yet has no HEAD: no commit time, no snapshot version.
        let Some(out) = self
            .git()
            .args(["log", "-1", "--format=%ct %H"])
            .read_optional()?
            .filter(|s| !s.trim().is_empty())
        else {
            return Ok(None);
        };
        let (time, commit) = out
            .trim()
            .split_once(' ')
            .context("reading HEAD's commit")?;
        let commit_time = time.parse().context("reading HEAD's commit time")?;
        Ok(Some(Head {
            commit: commit.to_string(),
            commit_time,
        }))
    }

    /// Why make_version calls this tree UNKNOWN, and what to do, in words.
    pub fn why_unknown(&self) -> String {
        let rpm_version = "or pass --rpm-version (and --rpm-release) to package it as that";
        let no_commit = self.root.join(".git").is_dir()
            && self
                .git()
                .args(["rev-parse", "-q", "--verify", "HEAD"])
                .read_optional()
                .ok()
                .flatten()
                .is_none();
        let why = if no_commit {
            format!(
                "its repository has no commit yet, and make_version describes the commits: \
                 commit the tree (git commit), {rpm_version}"
            )
        } else if self.root.join(".git").is_file() {
            format!(
                "it is a git worktree (its .git is a file), and Asterisk's build_tools/make_version \
                 reads only a .git directory: build from a clone (git clone --local), {rpm_version}"
            )
        } else if self.kind == TreeKind::Git {
            format!(
                "it lies inside another git repository without a .git directory of its own, which \
                 is all Asterisk's build_tools/make_version reads: build from a clone of it, {rpm_version}"
            )
        } else {
            "it has neither a .version file nor a .git directory: write the release into .version \
             (for example 22.10.1), or pass --rpm-version (and --rpm-release)"
                .to_string()
        };
        format!("make_version calls {} {UNKNOWN_VERSION}: {why}", self.root)
    }

    /// What a snapshot's RPM version is ordered by: HEAD, its depth (`git rev-list --count
    /// HEAD`), the repository's tags.
    pub fn snapshot(&self, head: &Head, depth: u64, mainline: String) -> Result<Snapshot> {
        let shallow = self
            .git()
            .args(["rev-parse", "--is-shallow-repository"])
            .read()?
            .trim()
            == "true";
        let listed = self
            .git()
            .args([
                "for-each-ref",
                "--format=%(refname:strip=2)%09%(*committerdate:unix)%09%(committerdate:unix)",
                "refs/tags",
            ])
            .read()
            .context("listing the repository's tags")?;
        Ok(Snapshot {
            mainline,
            commit: head.commit.clone(),
            commit_time: head.commit_time,
            depth,
            shallow,
            tags: parse_tags(&listed),
        })
    }

    /// What `build_tools/make_version` looks at. `tracked_changes` is git's dirty state;
    /// `described` gives `git describe --long --always --tags` (see `git_memo`).
    pub fn version_facts(
        &self,
        tracked_changes: bool,
        described: impl Fn() -> Result<String>,
    ) -> Result<super::version::TreeFacts> {
        let read = |name: &str| crate::infra::regular::read_to_string(&self.root.join(name));
        let dot_version = match read(".version") {
            Ok(text) => Some(check_dot_version(&self.root, text)?),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => None,
            Err(e) => return Err(e).with_context(|| format!("reading {}/.version", self.root)),
        };
        let git_dir = self.root.join(".git").is_dir();
        let mut facts = super::version::TreeFacts {
            dot_version,
            git_dir,
            mainline_env: std::env::var("MAINLINE_BRANCH").ok(),
            configure_ac: read("configure.ac")
                .with_context(|| format!("reading {}/configure.ac", self.root))?,
            ..Default::default()
        };
        if facts.dot_version.is_some() || !git_dir {
            return Ok(facts);
        }
        // A repository without a commit: nothing to describe, as make_version finds (the
        // version is unknown; `why_unknown` says so).
        let has_commit = self
            .git()
            .args(["rev-parse", "-q", "--verify", "HEAD"])
            .read_optional()?
            .is_some();
        if !has_commit {
            facts.git_dir = false;
            return Ok(facts);
        }
        facts.branch = self
            .git()
            .args(["symbolic-ref", "--short", "HEAD"])
            .read_optional()?
            .unwrap_or_default()
            .trim_end()
            .to_string();
        if self.root.join(".develvars").is_file() {
            let key = format!("branch.{}.mainline-branch", facts.branch);
            facts.develvars_mainline = self
                .git()
                .args(["config", "-f", ".develvars", "--get", &key])
                .read_optional()?
                .map(|s| s.trim_end().to_string());
        }
        // `--dirty=M` would refresh (write) the index; the dirty state comes from `git status`
        // run without optional locks instead, which is the same test.
        facts.describe = format!("{}{}", described()?, if tracked_changes { "M" } else { "" });
        Ok(facts)
    }
}

/// The remote `--fetch-tags` fetches from: the one the branch follows, else `origin`, else the
/// only one; None when there is none to choose.
fn choose_remote(followed: Option<&str>, remotes: &[&str]) -> Option<String> {
    if let Some(r) = followed.filter(|r| remotes.contains(r)) {
        return Some(r.to_string());
    }
    if remotes.contains(&"origin") {
        return Some("origin".into());
    }
    match remotes {
        [only] => Some(only.to_string()),
        _ => None,
    }
}

/// `.version` as make_version would print it, refused when that would break the build: a
/// carriage return (CRLF), another control character, or nothing at all.
fn check_dot_version(root: &Utf8Path, text: String) -> Result<String> {
    let value = text.trim_end_matches('\n');
    if value.is_empty() {
        bail!("{root}/.version is empty: write the release into it (for example 22.10.1), or remove it");
    }
    if value.contains('\r') {
        bail!(
            "{root}/.version ends its line with a carriage return (CRLF): make_version would put it \
             into the version; save the file with LF line endings"
        );
    }
    if let Some(c) = value.chars().find(|c| c.is_control()) {
        bail!(
            "{root}/.version holds the control character {c:?} ({:?}): make_version would put it \
             into the version; write the release alone on one line",
            value
        );
    }
    Ok(text)
}

/// `git for-each-ref` lines `name<TAB>peeled commit time<TAB>commit time` (the first for
/// annotated tags, the second for lightweight ones).
fn parse_tags(listed: &str) -> Vec<Tag> {
    listed
        .lines()
        .filter_map(|line| {
            let mut fields = line.split('\t');
            let name = fields.next()?;
            let time = fields.find_map(|f| f.trim().parse::<i64>().ok())?;
            Some(Tag {
                name: name.to_string(),
                commit_time: time,
            })
        })
        .collect()
}

#[cfg(test)]
mod more_tests {
    use super::*;

    #[test]
    fn tags_and_their_times() {
        let listed = "22.10.1\t1786000000\t\nlight\t\t1700000000\nblob-tag\t\t\n";
        assert_eq!(
            parse_tags(listed),
            [
                Tag {
                    name: "22.10.1".into(),
                    commit_time: 1_786_000_000
                },
                Tag {
                    name: "light".into(),
                    commit_time: 1_700_000_000
                },
            ]
        );
    }

    #[test]
    fn dot_version_must_be_one_clean_line() {
        let root = Utf8Path::new("/t");
        assert_eq!(
            check_dot_version(root, "22.10.1\n".into()).unwrap(),
            "22.10.1\n"
        );
        for (text, want) in [
            ("22.10.1\r\n", "carriage return"),
            ("\n", "is empty"),
            ("22.10.1\nextra\n", "control character"),
        ] {
            let err = check_dot_version(root, text.into())
                .unwrap_err()
                .to_string();
            assert!(err.contains(want) && !err.contains('\r'), "{err}");
        }
    }
}

#[cfg(test)]
mod remote_tests {
    use super::*;

    #[test]
    fn the_remote_tags_come_from() {
        let cases: [(Option<&str>, &[&str], Option<&str>); 6] = [
            (Some("upstream"), &["origin", "upstream"], Some("upstream")),
            (None, &["origin", "upstream"], Some("origin")),
            (Some("gone"), &["origin"], Some("origin")),
            (None, &["fork"], Some("fork")),
            (None, &["a", "b"], None),
            (None, &[], None),
        ];
        for (followed, remotes, want) in cases {
            assert_eq!(
                choose_remote(followed, remotes).as_deref(),
                want,
                "{followed:?} {remotes:?}"
            );
        }
    }
}
