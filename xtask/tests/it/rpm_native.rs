//! `cargo xtask rpm --native` end to end: the real binary, the real rpmbuild, copies of the
//! sample tree made into git repositories.

use std::path::Path;

use crate::support::*;

const CLEAN_SETUP: &str = "";

/// A modified file, an untracked file, an ignored file, a deleted file and paths with spaces.
fn make_dirty(tree: &Path) {
    sh(
        tree,
        "printf '/* patched by the test */\\n' >> main/asterisk.c
         mkdir -p 'docs dir'
         echo untracked > 'docs dir/notes with space.txt'
         echo ignored > scratch.o
         git rm -q --cached configs/samples/http.conf.sample
         rm configs/samples/http.conf.sample",
    );
}

#[test]
fn working_tree_becomes_rpms() {
    let dir = scratch("e2e");
    let tree = git_tree(&dir);
    make_dirty(&tree);
    let target = dir.join("target");
    let out = dir.join("out");
    let before = (tree_checksums(&tree), sh(&tree, "git status --porcelain"));
    // What Asterisk's own make_version (the sample tree's copy of its rules) prints.
    let make_version = sh(&tree, "build_tools/make_version .").trim().to_string();
    assert!(make_version.starts_with("GIT-master-22.0.0-1-g") && make_version.ends_with('M'));

    // The build host's menuselect choices must not reach the package.
    let home = dir.join("home");
    std::fs::create_dir_all(&home).unwrap();
    std::fs::write(home.join(".asterisk.makeopts"), "res_mini=no\n").unwrap();
    let run = must(xtask(
        &[
            "rpm",
            "--native",
            "--source",
            tree.to_str().unwrap(),
            "--out",
            out.to_str().unwrap(),
            "-q",
        ],
        &target,
        &[("HOME", home.to_str().unwrap())],
    ));
    assert!(run.stderr.contains("beside the xtask"), "{}", run.stderr);

    // The manifest.
    let manifest = std::fs::read_to_string(out.join("manifest.json")).unwrap();
    assert_eq!(manifest_field(&manifest, "asterisk_version"), make_version);
    assert_eq!(manifest_field(&manifest, "name"), "asterisk");
    let version = manifest_field(&manifest, "version");
    let release = manifest_field(&manifest, "release");
    // master heads for the major after the newest release tag (22.0.0); 2 commits deep.
    let hash = sh(&tree, "git rev-parse --short=10 HEAD");
    assert_eq!(
        version,
        format!("23.0.0~~master^2.20260806.{}", hash.trim())
    );
    assert!(release.starts_with("1.dirty."), "{release}");
    let sde: i64 = manifest_field(&manifest, "source_date_epoch")
        .parse()
        .unwrap();
    assert!(
        sde > 1_786_031_149,
        "a dirty tree dates from its newest change: {sde}"
    );
    let artifacts = manifest_artifacts(&manifest);
    let kinds: Vec<&str> = artifacts.iter().map(|a| a.1.as_str()).collect();
    assert_eq!(kinds, ["rpm", "rpm", "srpm", "source"], "{manifest}");
    for (path, _, sha) in &artifacts {
        let got = sh(&out, &format!("sha256sum '{path}'"));
        assert!(got.starts_with(sha.as_str()), "{path}: {got} vs {sha}");
    }
    let rpm_path = artifacts
        .iter()
        .find(|a| a.1 == "rpm" && !a.0.contains("-devel-"))
        .map(|a| a.0.clone())
        .unwrap();

    // rpm's reading of the package.
    let nvr = sh(
        &out,
        &format!("rpm -qp --nosignature --qf '%{{NAME}} %{{VERSION}} %{{RELEASE}}' '{rpm_path}'"),
    );
    assert_eq!(nvr, format!("asterisk {version} {release}"));
    let files = sh(&out, &format!("rpm -qpl --nosignature '{rpm_path}'"));
    for want in [
        "/usr/sbin/asterisk",
        "/etc/asterisk/asterisk.conf",
        "/usr/lib/systemd/system/asterisk.service",
    ] {
        assert!(files.lines().any(|l| l == want), "{want} not in\n{files}");
    }
    assert!(
        !files.contains("http.conf"),
        "a deleted sample was packaged:\n{files}"
    );
    assert!(
        files.contains("/res_mini.so"),
        "~/.asterisk.makeopts leaked into the build:\n{files}"
    );
    let configs = sh(&out, &format!("rpm -qpc --nosignature '{rpm_path}'"));
    assert!(configs.contains("/etc/asterisk/asterisk.conf"), "{configs}");

    // The binary inside the package reports the tree's version.
    let root = dir.join("root");
    std::fs::create_dir_all(&root).unwrap();
    sh(
        &root,
        &format!(
            "rpm2cpio '{}' | cpio -idm --quiet",
            out.join(&rpm_path).display()
        ),
    );
    let v = sh(&root, "LD_LIBRARY_PATH=usr/lib64 usr/sbin/asterisk -V");
    assert_eq!(v.trim(), format!("Asterisk {make_version}"));

    // The archive holds the working tree as it is.
    let archive = artifacts
        .iter()
        .find(|a| a.1 == "source")
        .unwrap()
        .0
        .clone();
    let top = archive.trim_end_matches(".tar.gz").to_string();
    assert_eq!(top, format!("asterisk-{make_version}"));
    let listing = sh(&out, &format!("tar -tzvf '{archive}'"));
    let has = |name: &str| {
        listing
            .lines()
            .any(|l| l.ends_with(&format!("{top}/{name}")))
    };
    assert!(has("docs dir/notes with space.txt"), "{listing}");
    assert!(has(".version"));
    assert!(!has("scratch.o"), "an ignored file was packed");
    assert!(
        !has("configs/samples/http.conf.sample"),
        "a deleted file was packed"
    );
    assert!(
        !listing.contains("/.git/") && !listing.contains("target/"),
        "{listing}"
    );
    assert!(
        listing.lines().any(|l| l.starts_with("lrwxrwxrwx")
            && l.ends_with("apps/app_hello_compat.c -> app_hello.c")),
        "the symlink did not survive:\n{listing}"
    );
    assert!(
        listing
            .lines()
            .any(|l| l.starts_with("-rwxr-xr-x root/root")
                && l.ends_with(&format!("{top}/configure"))),
        "the exec bit or owner did not survive:\n{listing}"
    );
    let extracted = dir.join("extracted");
    std::fs::create_dir_all(&extracted).unwrap();
    sh(
        &extracted,
        &format!("tar -xzf '{}'", out.join(&archive).display()),
    );
    let patched = std::fs::read_to_string(extracted.join(&top).join("main/asterisk.c")).unwrap();
    assert!(patched.ends_with("/* patched by the test */\n"));
    let dot_version = std::fs::read_to_string(extracted.join(&top).join(".version")).unwrap();
    assert_eq!(dot_version, format!("{make_version}\n"));

    // The source tree is untouched, and the work files are under the target directory.
    let after = (tree_checksums(&tree), sh(&tree, "git status --porcelain"));
    assert_eq!(before, after);
    assert!(target.join("xtask/rpm-work/SOURCES").is_dir());

    // Packing the same tree again gives the same bytes.
    let first = sh(&out, &format!("sha256sum < '{archive}'"));
    must(xtask(
        &[
            "rpm",
            "--native",
            "--source",
            tree.to_str().unwrap(),
            "--out",
            out.to_str().unwrap(),
            "-q",
        ],
        &target,
        &[],
    ));
    let second = sh(&out, &format!("sha256sum < '{archive}'"));
    assert_eq!(first, second, "two runs gave different archives");
    std::fs::remove_dir_all(&dir).unwrap();
}

/// The NVR of a tree, from a dry run (which builds nothing).
fn nvr(tree: &Path, target: &Path, env: &[(&str, &str)]) -> (String, String) {
    version_line(&must(xtask(
        &[
            "rpm",
            "--native",
            "--dry-run",
            "--source",
            tree.to_str().unwrap(),
        ],
        target,
        env,
    )))
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
    // An output directory inside the tree is no change to the tree.
    std::fs::create_dir_all(tree.join("rpms")).unwrap();
    std::fs::write(tree.join("rpms/manifest.json"), "{}").unwrap();
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
    assert!(clean.ends_with("-1"), "{clean}");

    // An untracked file: make_version says no M, but the archive differs from the commit.
    sh(
        &tree,
        "echo new > untracked.txt; touch -d @1790000000 untracked.txt",
    );
    let (a2, untracked) = nvr(&tree, &target, &[]);
    assert_eq!(a2, make_version(""));
    assert!(!a2.ends_with('M'));
    assert_eq!(rpm_vercmp(&clean, &untracked), -1, "{clean} < {untracked}");

    // Successive edits of a tracked file ascend.
    sh(
        &tree,
        "echo edit >> README.md; touch -d @1790000100 README.md",
    );
    let (a3, edit1) = nvr(&tree, &target, &[]);
    assert_eq!(a3, make_version(""));
    assert!(a3.ends_with('M'));
    sh(
        &tree,
        "echo edit >> README.md; touch -d @1790000200 README.md",
    );
    let (_, edit2) = nvr(&tree, &target, &[]);
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
    let untagged = must(xtask(
        &[
            "rpm",
            "--native",
            "--dry-run",
            "--source",
            tree.to_str().unwrap(),
        ],
        &target,
        &[],
    ));
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
    let (_, notes) = nvr(&tree, &target, &[]);
    sh(
        &tree,
        "echo edit >> main/asterisk.c; touch -d @1790000500 main/asterisk.c",
    );
    let (_, edited) = nvr(&tree, &target, &[]);
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

#[test]
fn rpm_versions_sort_under_rpm() {
    use xtask::source::rpm_version::rpm_version;
    use xtask::source::snapshot::{Snapshot, Tag};
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
        let ours = xtask::source::vercmp::rpmvercmp(va, vb)
            .then_with(|| xtask::source::vercmp::rpmvercmp(ra, rb));
        assert_eq!(ours, std::cmp::Ordering::Less, "{} < {}", pair[0], pair[1]);
    }
}

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
fn versions_sort_on_asterisks_real_history() {
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
    let run = must(xtask(
        &[
            "rpm",
            "--native",
            "--dry-run",
            "--source",
            shallow.to_str().unwrap(),
        ],
        &target,
        &[],
    ));
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
    let run = xtask(
        &[
            "rpm",
            "--native",
            "--dry-run",
            "--source",
            worktree.to_str().unwrap(),
        ],
        &target,
        &[],
    );
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

#[test]
fn plain_tree_is_packed_whole_and_warns_when_built_in_place() {
    let dir = scratch("plain");
    let tree = plain_tree(&dir, true);
    sh(
        &tree,
        "./configure --without-pjproject-bundled >/dev/null; echo built > main/stale.o",
    );
    let target = dir.join("target");
    let out = dir.join("out");
    let run = must(xtask(
        &[
            "rpm",
            "--native",
            "--source",
            tree.to_str().unwrap(),
            "--out",
            out.to_str().unwrap(),
            "-q",
        ],
        &target,
        &[],
    ));
    assert!(run.stderr.contains("(no git)"), "{}", run.stderr);
    assert!(
        run.stderr.contains("configured or built in place"),
        "{}",
        run.stderr
    );
    let (asterisk, nvr) = version_line(&run);
    assert_eq!((asterisk.as_str(), nvr.as_str()), ("22.1.0", "22.1.0-1"));
    let listing = sh(&out, "tar -tzf asterisk-22.1.0.tar.gz");
    assert!(
        listing.contains("asterisk-22.1.0/main/stale.o"),
        "a plain tree packs everything"
    );

    // Without .version a plain tree has no version: make_version's UNKNOWN, and a clear error.
    std::fs::remove_file(tree.join(".version")).unwrap();
    let run = xtask(
        &[
            "rpm",
            "--native",
            "--dry-run",
            "--source",
            tree.to_str().unwrap(),
        ],
        &target,
        &[],
    );
    assert!(!run.ok);
    assert!(
        run.error().contains("UNKNOWN__and_probably_unsupported")
            && run.error().contains("--rpm-version"),
        "{}",
        run.error()
    );
    let run = must(xtask(
        &[
            "rpm",
            "--native",
            "--dry-run",
            "--source",
            tree.to_str().unwrap(),
            "--rpm-version",
            "9.9",
            "--rpm-release",
            "3",
        ],
        &target,
        &[],
    ));
    assert_eq!(version_line(&run).1, "9.9-3");
    std::fs::remove_dir_all(&dir).unwrap();
}

#[test]
fn ctrl_c_stops_rpmbuild_and_its_children_and_publishes_nothing() {
    let dir = scratch("native-interrupt");
    let tree = git_tree(&dir);
    let target = dir.join("target");
    let out = dir.join("out");
    let args = native_rpm_args(&tree, &out);
    must(xtask(&args, &target, &[]));
    let good = tree_checksums(&out);

    sh(&tree, "touch .slow-build");
    let mut child = spawn_xtask(&args, &[("CARGO_TARGET_DIR", target.to_str().unwrap())]);
    // Wait until make is in its slow step (rpmbuild's work directory holds the built binary).
    let work = target.join("xtask/rpm-work/BUILD");
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(60);
    while sh(
        &dir,
        &format!(
            "find '{}' -name libasteriskssl.so.1 | head -n 1",
            work.display()
        ),
    )
    .is_empty()
    {
        assert!(
            std::time::Instant::now() < deadline,
            "the build never got going"
        );
        assert!(child.try_wait().unwrap().is_none(), "the xtask ended early");
        std::thread::sleep(std::time::Duration::from_millis(100));
    }
    std::thread::sleep(std::time::Duration::from_millis(500));
    sh(&dir, &format!("kill -INT {}", child.id()));
    // The build sleeps two minutes: stopping well before that means its children were ended.
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(30);
    while child.try_wait().unwrap().is_none() {
        if std::time::Instant::now() > deadline {
            let _ = child.kill();
            panic!("the xtask went on after Ctrl-C: rpmbuild's children were not stopped");
        }
        std::thread::sleep(std::time::Duration::from_millis(100));
    }
    let result = child.wait_with_output().unwrap();
    let stderr = String::from_utf8_lossy(&result.stderr);
    assert_eq!(result.status.code(), Some(130), "{stderr}");
    assert!(stderr.contains("interrupted"), "{stderr}");
    assert_eq!(
        tree_checksums(&out),
        good,
        "an interrupted build changed the outputs"
    );
    // Nothing of the build goes on: no process runs in its work directory.
    std::thread::sleep(std::time::Duration::from_millis(500));
    // (The bracket keeps pgrep's own shell from matching.)
    let pattern = format!("[{}]", &target.to_str().unwrap()[..1]) + &target.to_str().unwrap()[1..];
    let left = sh(&dir, &format!("pgrep -af '{pattern}' || true"));
    assert_eq!(left.trim(), "", "processes of the build survived");
    std::fs::remove_dir_all(&dir).unwrap();
}
