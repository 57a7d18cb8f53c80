//! `cargo xtask rpm --native` end to end: the real binary, the real rpmbuild, copies of the
//! sample tree made into git repositories.

mod common;

use std::path::Path;

use common::*;

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
    let hash = make_version
        .rsplit("-g")
        .next()
        .unwrap()
        .trim_end_matches('M');
    assert_eq!(version, format!("22.0.0^1.20260806.{hash}"));
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
        "echo new > untracked.txt; touch -d @1800000000 untracked.txt",
    );
    let (a2, untracked) = nvr(&tree, &target, &[]);
    assert_eq!(a2, make_version(""));
    assert!(!a2.ends_with('M'));
    assert_eq!(rpm_vercmp(&clean, &untracked), -1, "{clean} < {untracked}");

    // Successive edits of a tracked file ascend.
    sh(
        &tree,
        "echo edit >> README.md; touch -d @1800000100 README.md",
    );
    let (a3, edit1) = nvr(&tree, &target, &[]);
    assert_eq!(a3, make_version(""));
    assert!(a3.ends_with('M'));
    sh(
        &tree,
        "echo edit >> README.md; touch -d @1800000200 README.md",
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
    let (_, stamped) = nvr(&tree, &target, &[("SOURCE_DATE_EPOCH", "1900000000")]);
    assert!(stamped.ends_with("-1.dirty.20300317174640"), "{stamped}");
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

    // No tag reachable: the hash alone, ordered by depth below every release.
    sh(&tree, "rm .develvars; git tag -d 22.0.0 >/dev/null");
    let (a7, untagged) = nvr(&tree, &target, &[]);
    assert_eq!(a7, make_version(""));
    assert!(untagged.starts_with("0^3."), "{untagged}");
    assert_eq!(rpm_vercmp(&untagged, "22.0.0-1"), -1);

    // A .version file wins over git, as in a release checkout.
    sh(&tree, "echo 23.5.0-rc1 > .version");
    let (a8, rc) = nvr(&tree, &target, &[]);
    assert_eq!(a8, "23.5.0-rc1");
    assert!(rc.starts_with("23.5.0~rc1-1.dirty."), "{rc}");
    std::fs::remove_dir_all(&dir).unwrap();
}

#[test]
fn rpm_versions_sort_under_rpm() {
    use xtask::version::{rpm_version, Snapshot};
    let snap = |date: &str, depth| Snapshot {
        commit_date: date.into(),
        depth,
    };
    // (Asterisk version, snapshot, dirty stamp) in the order rpm must sort them.
    let ascending = [
        ("GIT-master-0123abcd", snap("20260801", 100), None),
        ("GIT-master-4567abcd", snap("20260802", 101), None),
        (
            "GIT-master-4567abcdM",
            snap("20260802", 101),
            Some("20260803000000"),
        ),
        ("22.8", snap("", 0), None),
        ("certified-22.8-cert4-rc1", snap("", 0), None),
        ("certified-22.8-cert4", snap("", 0), None),
        (
            "GIT-certified/22.8-certified-22.8-cert4-2-g0123abcd",
            snap("20260801", 0),
            None,
        ),
        ("certified-22.8-cert5", snap("", 0), None),
        ("22.8.0", snap("", 0), None),
        ("22.10.1", snap("", 0), None),
        ("GIT-22-22.10.1-1-g0123abcd", snap("20260801", 0), None),
        ("GIT-22-22.10.1-2-g89abcdef", snap("20260802", 0), None),
        (
            "GIT-22-22.10.1-2-g89abcdefM",
            snap("20260802", 0),
            Some("20260901000000"),
        ),
        (
            "GIT-22-22.10.1-2-g89abcdefM",
            snap("20260802", 0),
            Some("20260901000100"),
        ),
        ("22.10.2-rc1", snap("", 0), None),
        ("22.10.2", snap("", 0), None),
        ("23.5.0-rc1", snap("", 0), None),
        ("GIT-23-23.5.0-rc1-1-gf1261ae41e", snap("20260806", 0), None),
        ("23.5.0", snap("", 0), None),
        ("GIT-23-23.5.0-3-gabcdef01", snap("20260901", 0), None),
        ("23.5.1-rc1", snap("", 0), None),
    ];
    let nvrs: Vec<String> = ascending
        .iter()
        .map(|(v, s, d)| {
            let r = rpm_version(v, s, *d).unwrap();
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
    }
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
