//! Bad input to `cargo xtask rpm`: one clear line that says what is wrong and what to do, and
//! nothing lost (the tree untouched, the previous outputs in place).

use std::os::unix::ffi::OsStrExt;
use std::path::Path;

use crate::support::*;

/// The error is one line (rpmbuild's own lines may follow, indented).
fn one_line(run: &Run) -> String {
    assert!(!run.ok, "expected a failure:\n{}", run.stderr);
    let error = run.error();
    let first = error.lines().next().unwrap().to_string();
    for extra in error.lines().skip(1) {
        assert!(
            extra.starts_with("    "),
            "more than one error line:\n{error}"
        );
    }
    first
}

#[test]
fn not_an_asterisk_tree() {
    let dir = scratch("not-asterisk");
    std::fs::write(dir.join("configure.ac"), "AC_INIT([freeswitch], [1.10])\n").unwrap();
    let run = xtask(
        &["rpm", "--native", "--source", dir.to_str().unwrap()],
        &dir.join("target"),
        &[],
    );
    let line = one_line(&run);
    assert!(line.contains("is not an Asterisk source tree"), "{line}");
    assert!(
        line.contains("build_tools/make_version") && line.contains("--source"),
        "{line}"
    );
    let missing = xtask(
        &["rpm", "--native", "--source", "/nonexistent/asterisk"],
        &dir.join("target"),
        &[],
    );
    assert!(
        one_line(&missing).contains("does not exist"),
        "{}",
        missing.stderr
    );
    std::fs::remove_dir_all(&dir).unwrap();
}

#[test]
fn no_spec() {
    let dir = scratch("no-spec");
    let tree = plain_tree(&dir, true);
    let run = xtask(
        &[
            "rpm",
            "--native",
            "--source",
            tree.to_str().unwrap(),
            "--spec",
            "/nonexistent/asterisk.spec",
        ],
        &dir.join("target"),
        &[],
    );
    let line = one_line(&run);
    assert!(
        line.contains("/nonexistent/asterisk.spec") && line.contains("does not exist"),
        "{line}"
    );
    std::fs::remove_dir_all(&dir).unwrap();
}

#[test]
fn rpmbuild_missing_names_the_package() {
    let dir = scratch("no-rpmbuild");
    let tree = plain_tree(&dir, true);
    // A PATH with git and a shell but no rpmbuild.
    let bin = dir.join("bin");
    std::fs::create_dir_all(&bin).unwrap();
    for tool in ["git", "sh"] {
        let found = sh(&dir, &format!("command -v {tool}"));
        std::os::unix::fs::symlink(found.trim(), bin.join(tool)).unwrap();
    }
    let run = xtask(
        &["rpm", "--native", "--source", tree.to_str().unwrap()],
        &dir.join("target"),
        &[("PATH", bin.to_str().unwrap())],
    );
    let line = one_line(&run);
    assert!(line.contains("rpmbuild is not installed"), "{line}");
    assert!(
        line.contains("apt-get install rpm") && line.contains("dnf install rpm-build"),
        "{line}"
    );
    std::fs::remove_dir_all(&dir).unwrap();
}

#[test]
fn failed_builds_keep_the_previous_outputs() {
    let dir = scratch("keep");
    let tree = git_tree(&dir);
    let target = dir.join("target");
    let out = dir.join("out");
    must(xtask(&native_rpm_args(&tree, &out), &target, &[]));
    let good = tree_checksums(&out);

    // A spec rpmbuild rejects: its own message is shown.
    let bad_spec = dir.join("bad.spec");
    let spec = std::fs::read_to_string(
        Path::new(env!("CARGO_MANIFEST_DIR")).join("../contrib/rpm/asterisk.spec"),
    )
    .unwrap();
    std::fs::write(&bad_spec, spec.replace("License:", "Bogus: tag\nLicense:")).unwrap();
    let mut args = native_rpm_args(&tree, &out);
    args.extend(["--spec", bad_spec.to_str().unwrap()]);
    let run = xtask(&args, &target, &[]);
    let line = one_line(&run);
    assert!(
        line.contains("it rejected the spec") && line.contains("untouched"),
        "{line}"
    );
    assert!(
        run.error().contains("Unknown tag: Bogus"),
        "rpmbuild's message is missing:\n{}",
        run.error()
    );
    assert_eq!(tree_checksums(&out), good);

    // A build that fails in %build: the phase is named, the last lines shown.
    sh(&tree, "echo 'this is not C' >> main/asterisk.c");
    let run = xtask(&native_rpm_args(&tree, &out), &target, &[]);
    let line = one_line(&run);
    assert!(line.contains("rpmbuild failed in %build"), "{line}");
    assert!(run.error().contains("error:"), "{}", run.error());
    assert_eq!(
        tree_checksums(&out),
        good,
        "a failed build changed the outputs"
    );
    std::fs::remove_dir_all(&dir).unwrap();
}

#[test]
fn unwritable_or_foreign_out_dir() {
    let dir = scratch("out-dir");
    let tree = plain_tree(&dir, true);
    let target = dir.join("target");
    let file = dir.join("a-file");
    std::fs::write(&file, "x").unwrap();
    // Root may write anywhere a directory can be made; under a file nothing can be.
    let run = xtask(&native_rpm_args(&tree, &file.join("rpm")), &target, &[]);
    assert!(
        one_line(&run).contains(&format!(
            "{} is not a directory: choose another --out",
            file.display()
        )),
        "{}",
        run.stderr
    );
    let run = xtask(
        &native_rpm_args(&tree, Path::new("/proc/xtask-rpm")),
        &target,
        &[],
    );
    assert!(
        one_line(&run).contains("choose a writable --out"),
        "{}",
        run.stderr
    );
    // A directory of someone else's files is never replaced.
    let mine = dir.join("mine");
    std::fs::create_dir_all(&mine).unwrap();
    std::fs::write(mine.join("notes.txt"), "keep me").unwrap();
    let run = xtask(&native_rpm_args(&tree, &mine), &target, &[]);
    assert!(
        one_line(&run).contains("not an earlier output of cargo xtask"),
        "{}",
        run.stderr
    );
    assert_eq!(
        std::fs::read_to_string(mine.join("notes.txt")).unwrap(),
        "keep me"
    );
    assert!(
        !target.join("xtask/rpm-work").exists(),
        "work started before the checks"
    );
    std::fs::remove_dir_all(&dir).unwrap();
}

#[test]
fn non_utf8_file_names() {
    let dir = scratch("non-utf8");
    let tree = git_tree(&dir);
    let name = std::ffi::OsStr::from_bytes(b"bad-\xff-name.txt");
    std::fs::write(tree.join(name), "x").unwrap();
    let before = tree_checksums(&tree);
    let run = xtask(
        &["rpm", "--native", "--source", tree.to_str().unwrap()],
        &dir.join("target"),
        &[],
    );
    let line = one_line(&run);
    assert!(
        line.contains("not UTF-8") && line.contains("bad-"),
        "{line}"
    );
    assert!(line.contains("rename it"), "{line}");
    assert_eq!(tree_checksums(&tree), before);

    // The same in a tree without git.
    let plain = plain_tree(&dir.join("p"), true);
    std::fs::write(plain.join("main").join(name), "x").unwrap();
    let run = xtask(
        &["rpm", "--native", "--source", plain.to_str().unwrap()],
        &dir.join("target"),
        &[],
    );
    assert!(one_line(&run).contains("not UTF-8"), "{}", run.stderr);
    std::fs::remove_dir_all(&dir).unwrap();
}

#[test]
fn help_is_the_manual() {
    let dir = scratch("help");
    let run = must(xtask(&["--help"], &dir, &[]));
    assert!(
        run.stdout.contains("rpm") && run.stdout.contains("Usage: cargo xtask"),
        "{}",
        run.stdout
    );
    let run = must(xtask(&["rpm", "--help"], &dir, &[]));
    for flag in [
        "--native",
        "--source=DIR",
        "--out=DIR",
        "--nodeps",
        "--rpm-version=V",
        "--quiet",
    ] {
        assert!(run.stdout.contains(flag), "{flag} missing:\n{}", run.stdout);
    }
    let run = xtask(&["rpm", "--bogus"], &dir, &[]);
    assert!(one_line(&run).contains("no such flag: `--bogus`"));
    assert_eq!(run.code, Some(2), "usage errors exit with 2");
    // --verbose prints the plan, once, and the queries.
    let tree = plain_tree(&dir.join("v"), true);
    let run = must(xtask(
        &[
            "rpm",
            "--native",
            "--dry-run",
            "--verbose",
            "--jobs",
            "3",
            "--source",
            tree.to_str().unwrap(),
        ],
        &dir.join("target"),
        &[],
    ));
    assert_eq!(run.stderr.matches("plan:\n").count(), 1, "{}", run.stderr);
    for line in [
        "  build in   this host (",
        "  jobs       3",
        "  version    derived / release derived",
        "$ GIT_OPTIONAL_LOCKS=0 LC_ALL=C git -C ",
    ] {
        assert!(run.stderr.contains(line), "{line}:\n{}", run.stderr);
    }
    let run = must(xtask(&["--version"], &dir, &[]));
    assert!(
        run.stdout
            .contains(&format!("xtask {}", env!("CARGO_PKG_VERSION"))),
        "{}",
        run.stdout
    );
    std::fs::remove_dir_all(&dir).unwrap();
}

#[test]
fn one_build_at_a_time_per_target_directory() {
    let dir = scratch("lock");
    let tree = plain_tree(&dir, true);
    let target = dir.join("target");
    std::fs::create_dir_all(target.join("xtask")).unwrap();
    // Another build holds the lock.
    let held = std::fs::File::create(target.join("xtask/lock")).unwrap();
    use std::os::unix::io::AsRawFd;
    // SAFETY: flock(2) on a file this test owns.
    assert_eq!(unsafe { libc::flock(held.as_raw_fd(), libc::LOCK_EX) }, 0);
    let run = xtask(&native_rpm_args(&tree, &dir.join("out")), &target, &[]);
    drop(held);
    let line = one_line(&run);
    assert!(line.contains("another cargo xtask is building"), "{line}");
    assert!(!dir.join("out").exists());
    // Once it is gone, the build runs.
    must(xtask(
        &native_rpm_args(&tree, &dir.join("out")),
        &target,
        &[],
    ));
    std::fs::remove_dir_all(&dir).unwrap();
}

#[test]
fn a_closed_output_pipe_ends_the_build_and_publishes_nothing_half() {
    // `cargo xtask rpm ... 2>&1 | head -30`: the pipe closes while rpmbuild streams; the build must
    // end (not wait for the stall limit) and leave no half-published output.
    let dir = scratch("closed-pipe");
    let tree = git_tree(&dir);
    let out = dir.join("out");
    let target = dir.join("target");
    let mut args: Vec<&str> = native_rpm_args(&tree, &out);
    args.retain(|a| *a != "-q");
    let line = args
        .iter()
        .map(|a| format!("'{a}'"))
        .collect::<Vec<_>>()
        .join(" ");
    let started = std::time::Instant::now();
    let status = std::process::Command::new("timeout")
        .arg("300")
        .arg("sh")
        .arg("-c")
        .arg(format!(
            "\"$0\" {line} 2>&1 | head -30 >/dev/null; exit ${{PIPESTATUS:-0}}"
        ))
        .arg(env!("CARGO_BIN_EXE_xtask"))
        .env("CARGO_TARGET_DIR", &target)
        .env("XDG_CACHE_HOME", test_cache_home())
        .env("ASTERISK_XTASK_STALL_SECS", "600")
        .status()
        .unwrap();
    assert_ne!(status.code(), Some(124), "the xtask hung on a closed pipe");
    assert!(
        started.elapsed().as_secs() < 200,
        "it waited {:?}",
        started.elapsed()
    );
    // Whatever it got to: no staging directory left, and outputs only if complete.
    let leftovers = sh(&dir, "ls -A out 2>/dev/null | grep -c '^\\.' || true");
    assert_eq!(
        leftovers.trim(),
        "0",
        "{}",
        sh(&dir, "ls -la out 2>/dev/null || true")
    );
    if out.join("manifest.json").exists() {
        let manifest = std::fs::read_to_string(out.join("manifest.json")).unwrap();
        for (path, _, sha) in manifest_artifacts(&manifest) {
            assert!(sh(&out, &format!("sha256sum '{path}'")).starts_with(&sha));
        }
    }
    // No rpmbuild of it left running.
    let running = sh(
        &dir,
        &format!("pgrep -f '[r]pmbuild.*{}' || true", target.display()),
    );
    assert!(running.trim().is_empty(), "{running}");
    std::fs::remove_dir_all(&dir).unwrap();
}
