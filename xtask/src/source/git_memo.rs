//! What git takes longest to tell about a tree (`git describe --long --always --tags` and `git
//! rev-list --count HEAD`: about a second together on Asterisk's 1,600 tags), kept per tree in
//! the target directory with what decides them: HEAD and its abbreviation (which grows with the
//! repository and follows `core.abbrev`), every tag and replace ref with the object it names,
//! and the shallow and graft files. Any change to those asks git again; a record that
//! does not read back exactly is asked again too, so the memo only ever saves time.

use anyhow::{Context, Result};
use camino::Utf8Path;

use super::tree_record::TreeRecord;

use crate::infra::exec::Cmd;

/// The answers the memo keeps.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Described {
    /// `git describe --long --always --tags`, trimmed.
    pub describe: String,
    /// `git rev-list --count HEAD`.
    pub depth: u64,
}

/// The memo of one tree in a target directory.
pub struct GitMemo {
    record: TreeRecord,
}

impl GitMemo {
    /// The memo for `tree` in the target directory `target`.
    pub fn of(target: &Utf8Path, tree: &Utf8Path) -> GitMemo {
        GitMemo {
            record: TreeRecord::of(target, tree, "git"),
        }
    }

    /// The answers for the repository as it is now: from the record when what decides them is
    /// unchanged, else from git (and recorded, unless `keep` is false).
    pub fn describe(&self, git: impl Fn() -> Cmd, keep: bool) -> Result<Described> {
        let key = key(&git)?;
        if let Some(d) = self.record.read().and_then(|text| parse(&text, &key)) {
            return Ok(d);
        }
        let describe = git()
            .args(["describe", "--long", "--always", "--tags"])
            .read()
            .context("running git describe")?
            .trim_end()
            .to_string();
        let depth = git()
            .args(["rev-list", "--count", "HEAD"])
            .read()?
            .trim()
            .parse()
            .context("counting HEAD's commits")?;
        let d = Described { describe, depth };
        if keep {
            // Only time is lost when the record cannot be written.
            let _ = self.record.write(&render(&key, &d));
        }
        Ok(d)
    }
}

/// What decides describe and the count, summed up: HEAD and its abbreviation, the tags and
/// replace refs with their objects, the shallow boundary and the grafts.
fn key(git: &impl Fn() -> Cmd) -> Result<String> {
    let head = git()
        .args(["rev-parse", "HEAD", "--absolute-git-dir", "--short", "HEAD"])
        .read()
        .context("reading HEAD")?;
    let git_dir = head.lines().nth(1).unwrap_or_default();
    let refs = git()
        .args([
            "for-each-ref",
            "--format=%(objectname) %(refname)",
            "refs/tags",
            "refs/replace",
        ])
        .read()
        .context("listing the repository's tags")?;
    let file = |name: &str| std::fs::read(Utf8Path::new(git_dir).join(name)).unwrap_or_default();
    Ok(crate::infra::digest::sha256_of_parts(&[
        head.as_bytes(),
        refs.as_bytes(),
        &file("shallow"),
        &file("info/grafts"),
    ]))
}

fn render(key: &str, d: &Described) -> String {
    format!("{key}\n{}\n{}\n", d.describe, d.depth)
}

/// The record's answers when it was made for `key` and reads back whole.
fn parse(text: &str, key: &str) -> Option<Described> {
    let mut lines = text.strip_suffix('\n')?.split('\n');
    let (k, describe, depth) = (lines.next()?, lines.next()?, lines.next()?);
    if k != key || describe.is_empty() || lines.next().is_some() {
        return None;
    }
    Some(Described {
        describe: describe.to_string(),
        depth: depth.parse().ok()?,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::infra::exec::Shell;

    #[test]
    fn a_record_reads_back_only_whole_and_for_its_key() {
        let d = Described {
            describe: "20.1.0-12-gabc".into(),
            depth: 42,
        };
        let text = render("k1", &d);
        assert_eq!(parse(&text, "k1"), Some(d.clone()));
        let cases = [
            ("k2", text.clone()),
            ("k1", text.trim_end().to_string()),
            ("k1", format!("{text}extra\n")),
            ("k1", "k1\n\n42\n".to_string()),
            ("k1", "k1\n20.1.0-12-gabc\nforty\n".to_string()),
            ("k1", text[..text.len() / 2].to_string()),
            ("k1", String::new()),
        ];
        for (key, text) in cases {
            assert_eq!(parse(&text, key), None, "{key}: {text:?}");
        }
    }

    /// The property: after any sequence of what changes describe or the count (commits, tags
    /// made, moved, deleted, annotated, a reset, an amend, a longer abbreviation, a replace ref, a
    /// shallow clone), the memo answers what git answers.
    #[test]
    fn the_memo_answers_what_git_answers_after_any_change() {
        let base = std::env::temp_dir().join(format!("xtask-git-memo-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&base);
        let base = camino::Utf8PathBuf::from_path_buf(base).unwrap();
        let repo = base.join("repo");
        std::fs::create_dir_all(&repo).unwrap();
        let sh = Shell::default();
        let git = |root: &Utf8Path, args: &[&str]| {
            sh.git(root)
                .args(["-c", "user.name=t", "-c", "user.email=t@t"])
                .args(args.iter().copied())
                .env("GIT_COMMITTER_DATE", "1700000000 +0000")
                .env("GIT_AUTHOR_DATE", "1700000000 +0000")
                .read()
                .unwrap()
        };
        git(&repo, &["init", "-q", "-b", "main"]);
        let memo = GitMemo::of(&base.join("target"), &repo);
        let mut n = 0;
        let mut commit = |root: &Utf8Path| {
            n += 1;
            std::fs::write(root.join("f"), format!("{n}\n")).unwrap();
            git(root, &["add", "f"]);
            git(root, &["commit", "-q", "-m", &format!("c{n}")]);
        };
        commit(&repo);
        type Step<'a> = (&'a str, &'a [&'a [&'a str]]);
        let steps: &[Step] = &[
            ("nothing changed", &[]),
            ("a lightweight tag", &[&["tag", "1.0.0"]]),
            ("a commit", &[]),
            (
                "an annotated tag on it",
                &[&["tag", "-a", "-m", "x", "1.1.0"]],
            ),
            ("the tag moved back", &[&["tag", "-f", "1.1.0", "HEAD~1"]]),
            ("a tag deleted", &[&["tag", "-d", "1.1.0"]]),
            ("a reset", &[&["reset", "-q", "--hard", "HEAD~1"]]),
            ("an amend", &[&["commit", "-q", "--amend", "-m", "amended"]]),
            (
                "a tag of the same name elsewhere",
                &[&["tag", "-f", "1.0.0", "HEAD"]],
            ),
            ("a commit", &[]),
            ("a longer abbreviation", &[&["config", "core.abbrev", "14"]]),
            ("every tag deleted", &[&["tag", "-d", "1.0.0"]]),
        ];
        let check = |root: &Utf8Path, memo: &GitMemo, what: &str| {
            let want = Described {
                describe: git(root, &["describe", "--long", "--always", "--tags"])
                    .trim_end()
                    .to_string(),
                depth: git(root, &["rev-list", "--count", "HEAD"])
                    .trim()
                    .parse()
                    .unwrap(),
            };
            for round in ["asked", "remembered"] {
                let got = memo.describe(|| sh.git(root), true).unwrap();
                assert_eq!(got, want, "{what} ({round})");
            }
        };
        check(&repo, &memo, "the first commit");
        for (what, commands) in steps {
            if what.starts_with("a commit") {
                commit(&repo);
            }
            for args in *commands {
                git(&repo, args);
            }
            check(&repo, &memo, what);
        }
        // A replace ref changes what HEAD's history is.
        commit(&repo);
        commit(&repo);
        let first = git(&repo, &["rev-list", "--max-parents=0", "HEAD"]);
        let parent = git(&repo, &["rev-parse", "HEAD~1"]);
        git(&repo, &["replace", "--graft", parent.trim(), first.trim()]);
        check(&repo, &memo, "a replace ref");
        // A shallow clone, then deepened: the count follows the boundary.
        let shallow = base.join("shallow");
        let url = format!("file://{repo}");
        git(
            &base,
            &["clone", "-q", "--depth", "1", &url, shallow.as_str()],
        );
        let memo = GitMemo::of(&base.join("target"), &shallow);
        check(&shallow, &memo, "a shallow clone");
        git(&shallow, &["fetch", "-q", "--deepen", "1"]);
        check(&shallow, &memo, "a deepened clone");
        // Not kept: nothing is written.
        let unkept = GitMemo::of(&base.join("other-target"), &repo);
        unkept.describe(|| sh.git(&repo), false).unwrap();
        assert!(!base.join("other-target").exists());
        std::fs::remove_dir_all(&base).unwrap();
    }
}
