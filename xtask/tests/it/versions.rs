//! Versions end to end: make_version's string, the NVR's order under rpm itself, and Asterisk's
//! real branch shape (release tags on side branches), on git histories the tests build.

use std::path::Path;

use crate::support::*;

const CLEAN_SETUP: &str = "";

/// The NVR of a tree, from a dry run (which builds nothing).
pub fn nvr(tree: &Path, target: &Path, env: &[(&str, &str)]) -> (String, String) {
    version_line(&must(xtask(&dry_run_args(tree), target, env)))
}

/// The NVR of a tree, from a real build into `<target>/out` (a dirty tree's Release time is
/// recorded by builds, not by dry runs).
pub fn built_nvr(tree: &Path, target: &Path, env: &[(&str, &str)]) -> (String, String) {
    let out = target.join("out");
    version_line(&must(xtask(&native_rpm_args(tree, &out), target, env)))
}

#[test]
fn versions_follow_make_version_and_ascend() {
    let dir = scratch("versions");
    let tree = git_tree(&dir);
    let target = dir.join("target");
    let make_version = |env: &str| {
        sh(&tree, &format!("{env} build_tools/make_version ."))
            .trim()
            .to_string()
    };

    // Same clean commit, same NVR; the version is make_version's.
    let (a1, clean) = nvr(&tree, &target, &[]);
    assert_eq!(a1, make_version(CLEAN_SETUP));
    assert_eq!(nvr(&tree, &target, &[]).1, clean);
    // An output directory inside the tree (one git ignores: any other is refused, by a dry
    // run too) is no change to the tree.
    sh(&tree, "echo /rpms/ >> .git/info/exclude");
    std::fs::create_dir_all(tree.join("rpms")).unwrap();
    let inside = must(xtask(
        &[
            "rpm",
            "--native",
            "--dry-run",
            "--source",
            tree.to_str().unwrap(),
            "--out",
            tree.join("rpms").to_str().unwrap(),
        ],
        &target,
        &[],
    ));
    assert_eq!(version_line(&inside).1, clean);
    std::fs::remove_dir_all(tree.join("rpms")).unwrap();
    sh(&tree, "sed -i '/^\\/rpms\\/$/d' .git/info/exclude");
    assert!(clean.ends_with("-1"), "{clean}");

    // An untracked file: make_version says no M, but the archive differs from the commit.
    sh(
        &tree,
        "echo new > untracked.txt; touch -d @1790000000 untracked.txt",
    );
    let (a2, untracked) = built_nvr(&tree, &target, &[]);
    assert_eq!(a2, make_version(""));
    assert!(!a2.ends_with('M'));
    assert_eq!(rpm_vercmp(&clean, &untracked), -1, "{clean} < {untracked}");

    // Successive edits of a tracked file ascend.
    sh(
        &tree,
        "echo edit >> README.md; touch -d @1790000100 README.md",
    );
    let (a3, edit1) = built_nvr(&tree, &target, &[]);
    assert_eq!(a3, make_version(""));
    assert!(a3.ends_with('M'));
    sh(
        &tree,
        "echo edit >> README.md; touch -d @1790000200 README.md",
    );
    let (_, edit2) = built_nvr(&tree, &target, &[]);
    assert_eq!(rpm_vercmp(&untracked, &edit1), -1, "{untracked} < {edit1}");
    assert_eq!(rpm_vercmp(&edit1, &edit2), -1, "{edit1} < {edit2}");

    // The next commit sorts above every edit before it; SOURCE_DATE_EPOCH is honoured.
    sh(
        &tree,
        "git add -A; GIT_COMMITTER_DATE=2026-08-07T00:00:00Z git commit -q -m three",
    );
    let (_, next) = nvr(&tree, &target, &[]);
    assert_eq!(rpm_vercmp(&edit2, &next), -1, "{edit2} < {next}");
    sh(&tree, "echo x >> README.md");
    let (_, stamped) = nvr(&tree, &target, &[("SOURCE_DATE_EPOCH", "1795000000")]);
    assert!(stamped.ends_with("-1.dirty.20261118110640"), "{stamped}");
    sh(&tree, "git checkout -q README.md");

    // The mainline: development branches, .develvars, MAINLINE_BRANCH, like make_version.
    sh(&tree, "git checkout -q -b devel/23/fix");
    let (a4, _) = nvr(&tree, &target, &[]);
    assert!(a4.starts_with("GIT-23-"), "{a4}");
    assert_eq!(a4, make_version(""));
    sh(
        &tree,
        "printf '[branch \"devel/23/fix\"]\\n\\tmainline-branch = 21\\n' > .develvars",
    );
    let (a5, _) = nvr(&tree, &target, &[]);
    assert!(a5.starts_with("GIT-21-"), "{a5}");
    assert_eq!(a5, make_version(""));
    let (a6, _) = nvr(&tree, &target, &[("MAINLINE_BRANCH", "20")]);
    assert_eq!(a6, make_version("MAINLINE_BRANCH=20"));
    assert!(a6.starts_with("GIT-20-"));

    // master heads for the next major; with no tag at all it can only say so.
    sh(&tree, "rm .develvars; git checkout -q master");
    let (_, master) = nvr(&tree, &target, &[]);
    assert!(master.starts_with("23.0.0~~master^3."), "{master}");
    sh(&tree, "git tag -d 22.0.0 >/dev/null");
    let untagged = must(xtask(&dry_run_args(&tree), &target, &[]));
    let (a7, untagged_nvr) = version_line(&untagged);
    assert_eq!(a7, make_version(""));
    assert!(untagged_nvr.starts_with("0~~master^3."), "{untagged_nvr}");
    assert!(
        untagged.stderr.contains("git fetch --tags"),
        "{}",
        untagged.stderr
    );

    // A .version file wins over git, as in a release checkout.
    sh(&tree, "echo 23.5.0-rc1 > .version");
    let (a8, rc) = nvr(&tree, &target, &[]);
    assert_eq!(a8, "23.5.0-rc1");
    assert!(rc.starts_with("23.5.0~rc1-1.dirty."), "{rc}");
    std::fs::remove_dir_all(&dir).unwrap();
}

#[test]
fn the_dirty_release_follows_what_is_packed() {
    let dir = scratch("dirty-release");
    let tree = git_tree(&dir);
    let target = dir.join("target");
    // An untracked file whose name sorts before the tracked file edited after it.
    sh(&tree, "echo n > NOTES.txt; touch -d @1790000000 NOTES.txt");
    let (_, notes) = built_nvr(&tree, &target, &[]);
    sh(
        &tree,
        "echo '/* edit */' >> main/asterisk.c; touch -d @1790000500 main/asterisk.c",
    );
    let (_, edited) = built_nvr(&tree, &target, &[]);
    assert_eq!(
        rpm_vercmp(&notes, &edited),
        -1,
        "{notes} < {edited}: the edit was missed"
    );
    sh(&tree, "git checkout -q main/asterisk.c; rm NOTES.txt");

    // A submodule is not packed: its changes mark make_version's M, not the Release.
    let sub = dir.join("sub");
    std::fs::create_dir_all(&sub).unwrap();
    sh(
        &sub,
        "git init -q . && echo a > a && git add a && git -c user.email=a@b -c user.name=n commit -qm a",
    );
    sh(
        &tree,
        &format!(
            "git -c protocol.file.allow=always submodule add -q {} third-party/sub
             GIT_COMMITTER_DATE='2026-08-07T00:00:00Z' git commit -qm sub",
            sub.display()
        ),
    );
    let (clean_version, clean) = nvr(&tree, &target, &[]);
    assert!(clean.ends_with("-1"), "{clean}");
    sh(&tree, "echo b >> third-party/sub/a");
    let (dirty_version, dirty) = nvr(&tree, &target, &[]);
    assert_eq!(dirty, clean, "a submodule change moved the Release");
    assert_eq!(dirty_version, format!("{clean_version}M"));
    assert_eq!(
        dirty_version,
        sh(&tree, "build_tools/make_version .").trim(),
        "not make_version's string"
    );
    std::fs::remove_dir_all(&dir).unwrap();
}

/// A contributor's day: edits, a deleted newest file, a tree whose only change is a deletion,
/// two changes in quick succession, a revert, rebuilds of unchanged trees. Each change gets a
/// Release above the last; an unchanged tree keeps its NVR and is up to date.
#[test]
fn the_dirty_release_only_goes_up_along_a_day_of_edits() {
    let dir = scratch("release-day");
    let tree = git_tree(&dir);
    let target = dir.join("target");
    let out = dir.join("out");
    let build = || must(xtask(&native_rpm_args(&tree, &out), &target, &[]));
    let (_, clean) = version_line(&build());
    // (what the step does to the tree; whether it changes what is packed)
    let steps: [(&str, bool); 14] = [
        ("echo '/* one */' >> main/asterisk.c", true),
        ("true", false),
        ("echo n > NOTES.txt", true),
        ("rm NOTES.txt", true),
        ("echo '/* two */' >> res/res_mini.c", true),
        ("echo '/* three */' >> res/res_mini.c", true),
        ("touch main/asterisk.c", false),
        ("git checkout -q res/res_mini.c", true),
        (
            "git checkout -q main/asterisk.c; rm configs/samples/http.conf.sample",
            true,
        ),
        ("true", false),
        (
            "git checkout -q configs/samples/http.conf.sample; echo '/* one */' >> main/asterisk.c",
            true,
        ),
        (
            "echo x > apps/new_helper.txt; rm apps/new_helper.txt",
            false,
        ),
        // Edits git status does not see (files marked so): changes all the same.
        (
            "git update-index --assume-unchanged res/res_mini.c; echo '/* hidden */' >> res/res_mini.c",
            true,
        ),
        (
            "git update-index --skip-worktree apps/app_hello.c; echo '/* hidden */' >> apps/app_hello.c",
            true,
        ),
    ];
    let mut last: Option<String> = None;
    for (script, changes) in steps {
        sh(&tree, script);
        let run = build();
        let (_, now) = version_line(&run);
        assert!(now.contains(".dirty."), "{script}: {now}");
        if let Some(before) = &last {
            match changes {
                true => assert_eq!(rpm_vercmp(before, &now), -1, "{script}: {before} -> {now}"),
                false => {
                    assert_eq!(&now, before, "{script}: the same tree got another NVR");
                    assert!(
                        run.stderr.contains("up to date:"),
                        "{script}: {}",
                        run.stderr
                    );
                }
            }
        }
        last = Some(now);
    }
    // Back at the commit: the commit's own NVR, the same as before the day began (below the
    // dirty builds, as every build of that commit is).
    sh(
        &tree,
        "git update-index --no-assume-unchanged res/res_mini.c; git update-index --no-skip-worktree apps/app_hello.c; \
         git checkout -q main/asterisk.c res/res_mini.c apps/app_hello.c",
    );
    assert_eq!(version_line(&build()).1, clean);
    // The dry run of a tree says the NVR its build got.
    sh(&tree, "echo '/* again */' >> main/asterisk.c");
    let (_, built) = version_line(&build());
    assert_eq!(nvr(&tree, &target, &[]).1, built);
    // Another tree into a second output directory, then back to the first directory's tree:
    // a change, above the second's (the first directory's Release would be below it).
    let second = dir.join("out-2");
    sh(&tree, "echo '/* elsewhere */' >> res/res_mini.c");
    let (_, other) = version_line(&must(xtask(&native_rpm_args(&tree, &second), &target, &[])));
    sh(&tree, "git checkout -q res/res_mini.c");
    let back = build();
    let (_, back_nvr) = version_line(&back);
    assert_eq!(
        rpm_vercmp(&other, &back_nvr),
        -1,
        "{other} -> {back_nvr}:\n{}",
        back.stderr
    );
    assert!(!back.stderr.contains("up to date:"), "{}", back.stderr);
}

#[test]
fn rpm_versions_sort_under_rpm() {
    use xtask::checked::rpm_version;
    use xtask::checked::{Snapshot, Tag};
    let day = |d: i64| 1_785_000_000 + d * 86_400;
    let tags: Vec<Tag> = [
        ("20.5.0", 1),
        ("22.0.0-pre1", 2),
        ("22.10.1", 10),
        ("certified-22.8-cert4", 5),
        ("23.5.0-rc1", 20),
    ]
    .into_iter()
    .map(|(name, d)| Tag {
        name: name.into(),
        commit_time: day(d),
    })
    .collect();
    let snap = |mainline: &str, d: i64, depth: u64| Snapshot {
        mainline: mainline.into(),
        commit: format!("{depth:010x}abcdef"),
        commit_time: day(d),
        depth,
        shallow: false,
        tags: tags.clone(),
    };
    // (Asterisk version, snapshot, dirty stamp) in the order rpm must sort them.
    let ascending: Vec<(&str, Option<Snapshot>, Option<&str>)> = vec![
        ("20.5.0", None, None),
        ("GIT-20-0123abcd", Some(snap("20", 3, 100)), None),
        ("GIT-20-4567abcd", Some(snap("20", 4, 101)), None),
        (
            "GIT-20-4567abcdM",
            Some(snap("20", 4, 101)),
            Some("20260803000000"),
        ),
        ("22.0.0-pre1", None, None),
        (
            "GIT-22-22.0.0-pre1-5-g0123abcd",
            Some(snap("22", 3, 200)),
            None,
        ),
        ("22.8", None, None),
        ("certified-22.8-cert4-rc1", None, None),
        ("certified-22.8-cert4", None, None),
        (
            "GIT-certified/22.8-0123abcd",
            Some(snap("certified/22.8", 6, 50)),
            None,
        ),
        ("certified-22.8-cert5", None, None),
        ("22.8.0", None, None),
        // Branch 22 reaches only its -pre1 tag; the releases were tagged elsewhere.
        ("22.10.1", None, None),
        (
            "GIT-22-22.0.0-pre1-541-g0123abcd",
            Some(snap("22", 11, 741)),
            None,
        ),
        (
            "GIT-22-22.0.0-pre1-542-g89abcdef",
            Some(snap("22", 12, 742)),
            None,
        ),
        (
            "GIT-22-22.0.0-pre1-542-g89abcdefM",
            Some(snap("22", 12, 742)),
            Some("20260901000000"),
        ),
        (
            "GIT-22-22.0.0-pre1-542-g89abcdefM",
            Some(snap("22", 12, 742)),
            Some("20260901000100"),
        ),
        ("22.10.2-rc1", None, None),
        ("22.10.2", None, None),
        ("23.4.1", None, None),
        ("23.5.0-rc1", None, None),
        (
            "GIT-23-23.0.0-pre1-9-gf1261ae41e",
            Some(snap("23", 21, 900)),
            None,
        ),
        ("23.5.0", None, None),
        ("23.5.1-rc1", None, None),
        // master is ahead of every release so far, and behind the next major.
        ("GIT-master-0123abcd", Some(snap("master", 22, 1000)), None),
        ("GIT-master-4567abcd", Some(snap("master", 23, 1001)), None),
        ("24.0.0-pre1", None, None),
        ("24.0.0-rc1", None, None),
        ("24.0.0", None, None),
    ];
    let nvrs: Vec<String> = ascending
        .iter()
        .map(|(v, s, d)| {
            let r = rpm_version(v, s.as_ref(), *d).unwrap().rpm;
            format!("{}-{}", r.version, r.release)
        })
        .collect();
    for pair in nvrs.windows(2) {
        assert_eq!(
            rpm_vercmp(&pair[0], &pair[1]),
            -1,
            "{} < {}",
            pair[0],
            pair[1]
        );
        // The xtask's own comparison agrees with rpm's, Version first, then Release.
        let (va, ra) = pair[0].rsplit_once('-').unwrap();
        let (vb, rb) = pair[1].rsplit_once('-').unwrap();
        let ours =
            xtask::checked::rpmvercmp(va, vb).then_with(|| xtask::checked::rpmvercmp(ra, rb));
        assert_eq!(ours, std::cmp::Ordering::Less, "{} < {}", pair[0], pair[1]);
    }
}

#[test]
fn a_clone_without_tags_says_so_and_fetches_them_only_when_asked() {
    let dir = scratch("fetch-tags");
    let origin = git_tree(&dir);
    let target = dir.join("target");
    let clone = dir.join("clone");
    sh(
        &dir,
        &format!(
            "git clone -q --no-tags {} {}",
            origin.display(),
            clone.display()
        ),
    );
    assert_eq!(sh(&clone, "git tag").trim(), "");
    // Without tags: the version is based on the line's name alone, and the output says why.
    let tagless = must(xtask(&dry_run_args(&clone), &target, &[]));
    let (_, nvr) = version_line(&tagless);
    assert!(nvr.starts_with("0~~master^2."), "{nvr}");
    assert!(
        tagless
            .stderr
            .contains("this repository has no release tag made by this commit"),
        "{}",
        tagless.stderr
    );
    assert!(
        tagless.stderr.contains("git fetch --tags"),
        "{}",
        tagless.stderr
    );
    // Nothing fetched unasked.
    assert_eq!(sh(&clone, "git tag").trim(), "");
    // --fetch-tags: the remote's tags, and the version the full clone has.
    let mut args = dry_run_args(&clone);
    args.push("--fetch-tags");
    let fetched = must(xtask(&args, &target, &[]));
    assert!(
        fetched
            .stderr
            .contains("fetching the tags of origin (--fetch-tags)"),
        "{}",
        fetched.stderr
    );
    assert_eq!(sh(&clone, "git tag").trim(), "22.0.0");
    assert_eq!(version_line(&fetched).1, nvr_of(&origin, &target));
    assert!(version_line(&fetched).1.starts_with("23.0.0~~master^"));

    // One line each, exit 1, nothing changed: no remote, a remote that is gone, no git.
    sh(&clone, "git remote remove origin");
    let none = xtask(&args, &target, &[]);
    assert_eq!(none.code, Some(1), "{}", none.stderr);
    assert!(
        none.error().starts_with("error: --fetch-tags: the repository of ")
            && none.error().contains("has no remote to fetch tags from: add one (git remote add origin URL) or leave --fetch-tags out"),
        "{}",
        none.stderr
    );
    sh(&clone, "git remote add origin /nonexistent/repository");
    let gone = xtask(&args, &target, &[]);
    assert_eq!(gone.code, Some(1), "{}", gone.stderr);
    assert!(
        gone.error()
            .starts_with("error: --fetch-tags: git fetch --tags origin failed: "),
        "{}",
        gone.stderr
    );
    assert_eq!(
        gone.error().trim_end().lines().count(),
        1,
        "{}",
        gone.stderr
    );
    let plain = plain_tree(&dir.join("plain"), false);
    let mut args = dry_run_args(&plain);
    args.push("--fetch-tags");
    let run = xtask(&args, &target, &[]);
    assert_eq!(run.code, Some(1), "{}", run.stderr);
    assert!(
        run.error()
            .contains("is not a git checkout, so it has no tags to fetch"),
        "{}",
        run.stderr
    );
    std::fs::remove_dir_all(&dir).unwrap();
}

fn nvr_of(tree: &Path, target: &Path) -> String {
    nvr(tree, target, &[]).1
}

#[test]
fn a_build_that_fails_gives_its_tree_no_release_and_a_dry_run_says_what_the_run_would() {
    // Published; an edit that does not compile; the edit undone: the published tree again,
    // up to date with its Release (the failed build published nothing, so it gave its tree
    // nothing), and a dry run says so first.
    let dir = scratch("failed-release");
    let tree = git_tree(&dir);
    let target = dir.join("target");
    let out = dir.join("out");
    sh(&tree, "echo '/* dirty */' >> res/res_mini.c");
    let args = native_rpm_args(&tree, &out);
    let (_, published) = version_line(&must(xtask(&args, &target, &[])));
    let before = tree_checksums(&out);
    sh(&tree, "echo 'syntax error here' >> main/asterisk.c");
    let failed = xtask(&args, &target, &[]);
    assert!(!failed.ok, "{}", failed.stderr);
    assert!(failed.error().contains("%build"), "{}", failed.error());
    sh(&tree, "git checkout -q main/asterisk.c");
    let mut dry = args.clone();
    dry.push("--dry-run");
    let said = must(xtask(&dry, &target, &[]));
    assert!(said.stderr.contains("up to date: "), "{}", said.stderr);
    let again = must(xtask(&args, &target, &[]));
    assert!(again.stderr.contains("up to date: "), "{}", again.stderr);
    assert_eq!(version_line(&again).1, published);
    assert_eq!(tree_checksums(&out), before);
    // A changed tree: the dry run says it would build, and why.
    sh(&tree, "echo '/* more */' >> res/res_mini.c");
    let said = must(xtask(&dry, &target, &[]));
    assert!(
        said.stderr
            .contains(&format!("build: {} holds other outputs", out.display())),
        "{}",
        said.stderr
    );
    assert_eq!(tree_checksums(&out), before);

    // What the real run refuses, a dry run refuses: an output path that is a file, a
    // directory no build wrote. And --offline with an empty cache makes no cache.
    let file = dir.join("a-file");
    std::fs::write(&file, "mine").unwrap();
    let foreign = dir.join("foreign");
    std::fs::create_dir_all(&foreign).unwrap();
    std::fs::write(foreign.join("notes.txt"), "mine").unwrap();
    let under_file = file.join("sub");
    for (place, says) in [
        (
            &file,
            format!("the output path {} is not a directory", file.display()),
        ),
        (
            &under_file,
            format!(
                "cannot make the output directory {}: {} is not a directory: choose another --out",
                under_file.display(),
                file.display()
            ),
        ),
        (
            &foreign,
            format!(
                "the output directory {} is not an earlier output of cargo xtask",
                foreign.display()
            ),
        ),
    ] {
        for dry_run in [false, true] {
            let mut a = vec!["rpm", "--native", "-q", "--source", tree.to_str().unwrap()];
            a.extend(["--out", place.to_str().unwrap()]);
            if dry_run {
                a.push("--dry-run");
            }
            let run = xtask(&a, &target, &[]);
            assert!(!run.ok && run.code == Some(1), "{a:?}: {}", run.stderr);
            assert!(run.error().contains(&says), "{a:?}: {}", run.error());
        }
    }
    assert_eq!(std::fs::read(&file).unwrap(), b"mine");
    assert_eq!(std::fs::read(foreign.join("notes.txt")).unwrap(), b"mine");
    let none = dir.join("no-cache");
    for dry_run in [false, true] {
        let offline_out = dir.join("out-offline");
        let mut a = vec!["rpm", "--native", "--source", tree.to_str().unwrap()];
        a.extend(["--out", offline_out.to_str().unwrap(), "--offline"]);
        a.extend(["--download-cache", none.to_str().unwrap()]);
        if dry_run {
            a.push("--dry-run");
        }
        let run = xtask(&a, &target, &[]);
        assert!(!run.ok, "{a:?}: {}", run.stderr);
        assert!(
            run.error().contains("--offline, and the download cache"),
            "{a:?}: {}",
            run.error()
        );
        assert!(!none.exists(), "{a:?} made {}", none.display());
    }
    // A download cache that is a file: refused by the run and its dry run alike.
    let out_cache = dir.join("out-cache");
    for dry_run in [false, true] {
        let mut a = vec!["rpm", "--native", "--source", tree.to_str().unwrap()];
        a.extend(["--out", out_cache.to_str().unwrap()]);
        a.extend(["--download-cache", file.to_str().unwrap()]);
        if dry_run {
            a.push("--dry-run");
        }
        let run = xtask(&a, &target, &[]);
        assert!(!run.ok && run.code == Some(1), "{a:?}: {}", run.stderr);
        assert!(
            run.error().contains("is a file, not a directory"),
            "{a:?}: {}",
            run.error()
        );
    }
    assert_eq!(std::fs::read(&file).unwrap(), b"mine");
}
