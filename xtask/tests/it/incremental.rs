//! Incremental builds: the kept build directory, only the changed files laid over it, configure
//! and menuselect reused when their inputs are, a full build when a build input changes, the
//! same packages as a clean build, an interrupted build rebuilt, two trees apart.

use std::path::Path;

use crate::support::*;

/// `path digest mode` of every file in the binary packages but build-id links.
fn contents(out: &Path) -> String {
    let mut lines: Vec<String> = sh(out, "find RPMS -name '*.rpm' | sort")
        .lines()
        .flat_map(|rpm| {
            sh(out, &format!("rpm -qp --nosignature --qf '[%{{FILENAMES}} %{{FILEDIGESTS}} %{{FILEMODES}}\\n]' '{rpm}'"))
                .lines()
                .filter(|l| !l.contains("/.build-id"))
                .map(str::to_string)
                .collect::<Vec<_>>()
        })
        .collect();
    lines.sort();
    lines.join("\n")
}

fn compiled(run: &Run) -> Vec<String> {
    run.stdout
        .lines()
        .filter(|l| l.starts_with("gcc ") && l.contains(" -c -o "))
        .map(|l| {
            l.split(" -c -o ")
                .nth(1)
                .unwrap()
                .split(' ')
                .next()
                .unwrap()
                .to_string()
        })
        .collect()
}

#[test]
fn incremental_builds_rebuild_only_what_changed_and_match_a_clean_build() {
    let dir = scratch("incremental");
    let tree = git_tree(&dir);
    let target = dir.join("target");
    let out = dir.join("out");
    let args = |more: &[&'static str]| {
        let mut a = vec![
            "rpm",
            "--native",
            "--source",
            tree.to_str().unwrap(),
            "--out",
            out.to_str().unwrap(),
        ];
        a.extend(more);
        a
    };
    // A committed tree builds clean; uncommitted changes make it incremental by default.
    let committed = must(xtask(&args(&[]), &target, &[]));
    assert!(
        !committed.stderr.contains("incremental: yes"),
        "{}",
        committed.stderr
    );
    sh(&tree, "echo '/* edit one */' >> main/asterisk.c");
    let first = must(xtask(&args(&[]), &target, &[]));
    assert!(
        first
            .stderr
            .contains("incremental: yes (the tree has uncommitted changes"),
        "{}",
        first.stderr
    );
    assert!(
        first.stderr.contains("a new build directory in"),
        "{}",
        first.stderr
    );
    assert!(
        first.stderr.contains("packaging: fast, for trying"),
        "{}",
        first.stderr
    );

    // One line in one module: one file laid, configure and menuselect reused, one module
    // compiled (and the core, whose build.h make_build_h writes every time, as Asterisk's).
    sh(&tree, "echo '/* edit two */' >> res/res_mini.c");
    let second = must(xtask(&args(&[]), &target, &[]));
    assert_one_change_reused(&second);
    assert!(
        second.stdout.contains("xtask: menuselect: reused"),
        "{}",
        second.stdout
    );
    let built = compiled(&second);
    assert!(built.contains(&"res/res_mini.o".to_string()), "{built:?}");
    assert!(
        !built.contains(&"apps/app_hello.o".to_string()),
        "{built:?}"
    );
    let incremental = contents(&out);

    // A clean build of the same tree: the same files, the same bytes.
    let clean_out = dir.join("clean");
    let clean = must(xtask(
        &[
            "rpm",
            "--native",
            "--clean",
            "--source",
            tree.to_str().unwrap(),
            "--out",
            clean_out.to_str().unwrap(),
        ],
        &target,
        &[],
    ));
    assert!(
        clean.stderr.contains("incremental: no (--clean)"),
        "{}",
        clean.stderr
    );
    assert_eq!(contents(&clean_out), incremental);

    // A build input changed (configure.ac): configure runs again, by itself.
    sh(&tree, "echo 'dnl a change' >> configure.ac");
    let third = must(xtask(&args(&[]), &target, &[]));
    assert!(
        !third.stdout.contains("xtask: configure: reused"),
        "{}",
        third.stdout
    );

    // Interrupted (the mark of a build in progress stays): the next run starts afresh.
    let kept = sh(&target, "ls -d xtask/incremental/*").trim().to_string();
    std::fs::write(target.join(&kept).join("building"), "1").unwrap();
    let fourth = must(xtask(&args(&["--force"]), &target, &[]));
    assert!(
        fourth.stderr.contains("did not finish: building it afresh"),
        "{}",
        fourth.stderr
    );

    // Another tree never shares the kept directory.
    let other_parent = dir.join("other");
    std::fs::create_dir_all(&other_parent).unwrap();
    let other = git_tree(&other_parent);
    sh(&other, "echo '/* edit */' >> main/asterisk.c");
    must(xtask(
        &[
            "rpm",
            "--native",
            "--source",
            other.to_str().unwrap(),
            "--out",
            dir.join("out-other").to_str().unwrap(),
        ],
        &target,
        &[],
    ));
    let kept_dirs = sh(&target, "ls xtask/incremental | wc -l")
        .trim()
        .parse::<u32>()
        .unwrap();
    assert_eq!(kept_dirs, 2);
}
