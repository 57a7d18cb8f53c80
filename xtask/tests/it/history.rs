//! Versions on a git history shaped like Asterisk's: releases tagged on `releases/N` branches,
//! a `-pre1` tag on the mainline, a certified line, a shallow clone and a worktree.

use std::path::Path;

use crate::support::*;
use crate::versions::nvr;

/// Commits with a fixed date on the current branch: `commit(tree, "2026-02-01", "msg")`.
fn commit(tree: &Path, date: &str, message: &str) {
    sh(
        tree,
        &format!(
            "echo '{message}' >> README.md; git add -A
             GIT_COMMITTER_DATE='{date}T12:00:00Z' git commit -q -m '{message}' --date '{date}T12:00:00Z'"
        ),
    );
}

#[test]
fn versions_sort_on_a_history_shaped_like_asterisks() {
    // Asterisk's shape: releases are tagged on releases/N branches, never reachable from the
    // branch N they are cut from; branch N reaches only its N.0.0-pre1 tag; master none.
    let dir = scratch("history");
    let tree = plain_tree(&dir, false);
    let target = dir.join("target");
    let ac_init = |line: &str| {
        sh(
            &tree,
            &format!("sed -i 's|^AC_INIT(.*|AC_INIT([asterisk], [{line}], [x])|' configure.ac"),
        );
    };
    sh(
        &tree,
        "git init -q -b master .
         git config user.email test@example.org
         git config user.name Test",
    );
    commit(&tree, "2026-01-01", "initial");
    let release = |branch: &str, version: &str, date: &str| {
        sh(&tree, &format!("git checkout -q {branch}"));
        sh(&tree, &format!("echo {version} > .version"));
        commit(&tree, date, version);
        sh(&tree, &format!("git tag -a -m {version} {version}"));
    };
    let at = |rev: &str| {
        sh(&tree, &format!("git checkout -q {rev}"));
        nvr(&tree, &target, &[]).1
    };

    // Branch 20 and its releases.
    sh(&tree, "git checkout -q -b 20 master");
    ac_init("20");
    commit(&tree, "2026-01-15", "20: start");
    let s20_before = at("20");
    sh(&tree, "git checkout -q -b releases/20 20");
    release("releases/20", "20.5.0", "2026-02-15");
    let r20 = at("20.5.0");
    commit_on(&tree, "20", "2026-03-01", "20: fix");
    let s20_after = at("20");

    // Branch 22 with its -pre1 tag, releases/22 with the releases.
    sh(&tree, "git checkout -q -b 22 master");
    ac_init("22");
    commit(&tree, "2026-02-01", "22: start");
    sh(&tree, "git tag -a -m pre 22.0.0-pre1");
    let pre = at("22");
    sh(&tree, "git checkout -q -b releases/22 22");
    release("releases/22", "22.0.0-rc1", "2026-03-01");
    release("releases/22", "22.0.0", "2026-03-10");
    commit_on(&tree, "22", "2026-04-01", "22: fix one");
    let s22_a = at("22");
    release("releases/22", "22.1.0", "2026-05-01");
    commit_on(&tree, "22", "2026-06-01", "22: fix two");
    let s22_b = at("22");

    // certified/22.8 and its cert releases.
    sh(&tree, "git checkout -q -b certified/22.8 22.0.0-pre1");
    ac_init("certified/22.8");
    commit(&tree, "2026-03-05", "certified: start");
    sh(
        &tree,
        "git checkout -q -b releases/certified-22.8 certified/22.8",
    );
    release(
        "releases/certified-22.8",
        "certified-22.8-cert4",
        "2026-03-06",
    );
    commit_on(&tree, "certified/22.8", "2026-03-20", "certified: fix");
    let cert = at("certified/22.8");

    // master, ahead of all of it.
    commit_on(&tree, "master", "2026-07-01", "master: more");
    let master = at("master");

    let ascending = [
        ("branch 20 before its release", s20_before.clone()),
        ("20.5.0", r20),
        ("branch 20 after 20.5.0", s20_after),
        ("branch 22 at its -pre1 tag", pre),
        ("22.0.0-rc1", at("22.0.0-rc1")),
        ("22.0.0", at("22.0.0")),
        ("branch 22 after 22.0.0", s22_a.clone()),
        ("22.1.0", at("22.1.0")),
        ("branch 22 after 22.1.0", s22_b.clone()),
        ("the next 22 release", "22.1.1-1".to_string()),
        ("master", master.clone()),
        (
            "the next major's first pre-release",
            "23.0.0~pre1-1".to_string(),
        ),
    ];
    for pair in ascending.windows(2) {
        assert_eq!(
            rpm_vercmp(&pair[0].1, &pair[1].1),
            -1,
            "{} ({}) must sort below {} ({})",
            pair[0].0,
            pair[0].1,
            pair[1].0,
            pair[1].1
        );
    }
    assert!(s22_b.starts_with("22.1.0^"), "{s22_b}");
    assert!(master.starts_with("23.0.0~~master^"), "{master}");
    assert_eq!(rpm_vercmp("22.8+cert4-1", &cert), -1, "{cert}");
    assert_eq!(rpm_vercmp(&cert, "22.8+cert5-1"), -1, "{cert}");
    assert!(s20_before.starts_with("20^"), "{s20_before}");

    // A release tagged later does not move the NVR of a commit made before it.
    sh(&tree, "git checkout -q releases/22");
    release("releases/22", "22.2.0", "2026-09-01");
    assert_eq!(
        at("22"),
        s22_b,
        "a later tag changed an earlier commit's NVR"
    );

    // A shallow clone says what its version stands on.
    let shallow = dir.join("shallow");
    sh(
        &dir,
        &format!(
            "git clone -q --depth 1 -b 22 file://{} {}",
            tree.display(),
            shallow.display()
        ),
    );
    let run = must(xtask(&dry_run_args(&shallow), &target, &[]));
    assert!(
        run.stderr.contains("shallow clone") && run.stderr.contains("--unshallow"),
        "{}",
        run.stderr
    );

    // A worktree: make_version calls it UNKNOWN; the xtask says why and what to do.
    let worktree = dir.join("wt");
    sh(
        &tree,
        &format!("git worktree add -q --detach {} 22", worktree.display()),
    );
    let run = xtask(&dry_run_args(&worktree), &target, &[]);
    assert!(!run.ok);
    let error = run.error();
    assert!(
        error.contains("worktree")
            && error.contains("git clone --local")
            && error.contains("--rpm-version"),
        "{error}"
    );
    std::fs::remove_dir_all(&dir).unwrap();
}

/// `commit` on another branch.
fn commit_on(tree: &Path, branch: &str, date: &str, message: &str) {
    sh(tree, &format!("git checkout -q {branch}"));
    commit(tree, date, message);
}
