//! The adversary's table: bad input and faults across `rpm`, `image` and `smoke`, a row each.
//! Every row asserts the exit code, the one `error:` line (or the warning a tolerated fault
//! gives), and that nothing was lost or left behind: the tree it used, the previous outputs and
//! any file a user put beside them are byte for byte as they were, no staging directory is
//! left beside the output directory, and (for the engine rows) no container or volume is left.

use std::path::{Path, PathBuf};
use std::process::Command;

use crate::support::*;

/// What a row runs, and what must survive it.
struct Attempt {
    args: Vec<String>,
    env: Vec<(String, String)>,
    /// Files and directories that must be exactly as they were before the run.
    unchanged: Vec<PathBuf>,
    /// Held for the run (a lock, a mount); dropped afterwards.
    _hold: Vec<Box<dyn std::any::Any>>,
}

/// Prepares a row in its own directory; None when it cannot run here (said loudly).
type Setup = Box<dyn Fn(&World, &Path) -> Option<Attempt>>;

/// A row: its name, what it sets up, the exit code, and what the error (or warning) says.
struct Row {
    name: &'static str,
    setup: Setup,
    code: i32,
    says: &'static str,
}

/// What the rows share: a git tree with uncommitted edits, a plain tree, and an output
/// directory holding the outputs of a good build.
struct World {
    tree: PathBuf,
    plain: PathBuf,
    out: PathBuf,
    spec: PathBuf,
    engine: Option<String>,
}

fn s(v: &[&str]) -> Vec<String> {
    v.iter().map(|a| a.to_string()).collect()
}

fn p(path: &Path) -> String {
    path.to_str().unwrap().to_string()
}

/// `rpm --native -q --source TREE --out OUT` and more.
fn rpm(tree: &Path, out: &Path, more: &[&str]) -> Vec<String> {
    let mut args = s(&["rpm", "--native", "-q", "--source"]);
    args.extend([p(tree), "--out".into(), p(out)]);
    args.extend(s(more));
    args
}

fn attempt(args: Vec<String>, unchanged: &[&Path]) -> Option<Attempt> {
    Some(Attempt {
        args,
        env: Vec::new(),
        unchanged: unchanged.iter().map(|p| p.to_path_buf()).collect(),
        _hold: Vec::new(),
    })
}

fn with_env(mut a: Option<Attempt>, env: &[(&str, &str)]) -> Option<Attempt> {
    if let Some(a) = a.as_mut() {
        a.env
            .extend(env.iter().map(|(k, v)| (k.to_string(), v.to_string())));
    }
    a
}

/// A copy of a tree for a row that changes it (the copy is then the tree that must not change).
fn copy_of(tree: &Path, row: &Path) -> PathBuf {
    let copy = row.join("tree");
    let status = Command::new("cp")
        .arg("-a")
        .arg(tree)
        .arg(&copy)
        .status()
        .unwrap();
    assert!(status.success());
    copy
}

/// A copy of the previous outputs, with whatever the row adds.
fn out_copy(world: &World, row: &Path) -> PathBuf {
    let out = row.join("out");
    let status = Command::new("cp")
        .arg("-a")
        .arg(&world.out)
        .arg(&out)
        .status()
        .unwrap();
    assert!(status.success());
    out
}

/// A picture of a path: checksums of every file, links with their targets.
fn picture(path: &Path) -> String {
    if path.is_dir() {
        tree_checksums(path)
    } else if path.exists() {
        sh(Path::new("/"), &format!("sha256sum '{}'", path.display()))
    } else {
        "absent".into()
    }
}

/// Staging or probe directories an output directory's run left beside it.
fn leftovers_beside(out: &Path) -> Vec<String> {
    let (Some(parent), Some(name)) = (out.parent(), out.file_name()) else {
        return Vec::new();
    };
    let prefix = format!(".{}.", name.to_str().unwrap());
    std::fs::read_dir(parent)
        .map(|entries| {
            entries
                .flatten()
                .map(|e| e.file_name().to_string_lossy().into_owned())
                .filter(|n| n.starts_with(&prefix))
                .collect()
        })
        .unwrap_or_default()
}

fn engine_env(w: &World) -> Vec<(String, String)> {
    vec![("CONTAINER_ENGINE".to_string(), w.engine.clone().unwrap())]
}

/// `image` on the git tree, into a copy of the previous outputs.
fn image(w: &World, row: &Path, more: &[&str]) -> Option<Attempt> {
    let out = out_copy(w, row);
    let mut args = s(&["image", "--native", "-q", "--source"]);
    args.extend([p(&w.tree), "--out".into(), p(&out)]);
    args.extend(s(more));
    let mut a = attempt(args, &[&w.tree, &out]).unwrap();
    a.env = engine_env(w);
    Some(a)
}

fn smoke(w: &World, more: &[&str]) -> Option<Attempt> {
    let mut args = s(&["smoke"]);
    args.extend(s(more));
    let mut a = attempt(args, &[]).unwrap();
    a.env = engine_env(w);
    Some(a)
}

fn engine_rows() -> Vec<Row> {
    vec![
        Row {
            name: "image: a runtime base that is not here",
            setup: Box::new(|w, row| image(w, row, &["--runtime-base", "xtask-test/no-such:1"])),
            code: 1,
            says: "or name a local image with --runtime-base",
        },
        Row {
            name: "image: a runtime base without rpm",
            setup: Box::new(|w, row| {
                image(w, row, &["--runtime-base", "xtask-test/minbase:bookworm"])
            }),
            code: 1,
            says: "has neither dnf, microdnf nor rpm",
        },
        Row {
            name: "image: an invalid tag",
            setup: Box::new(|w, row| image(w, row, &["--tag", "Asterisk:dev"])),
            code: 2,
            says: "is not a valid image name",
        },
        Row {
            name: "image: an RTP range upside down",
            setup: Box::new(|w, row| image(w, row, &["--rtp-ports", "20000-10000"])),
            code: 2,
            says: "--rtp-ports takes FIRST-LAST",
        },
        Row {
            name: "image: an engine that is not installed",
            setup: Box::new(|w, row| {
                let mut a = image(w, row, &["--engine", "/nonexistent/docker"]);
                a.as_mut().unwrap().env.clear();
                a
            }),
            code: 1,
            says: "the container engine /nonexistent/docker is not installed: install docker",
        },
        Row {
            name: "image: an engine that hangs",
            setup: Box::new(|w, row| {
                let fake = row.join("docker");
                std::fs::write(&fake, "#!/bin/sh\nexec sleep 600\n").unwrap();
                sh(row, "chmod +x docker");
                let mut a = image(w, row, &["--engine", &p(&fake)]);
                let a_ref = a.as_mut().unwrap();
                a_ref.env = vec![("ASTERISK_XTASK_QUERY_SECS".into(), "2".into())];
                a
            }),
            code: 1,
            says: "did not answer in 2s",
        },
        Row {
            name: "image --dry-run without the runtime base here",
            setup: Box::new(|w, row| {
                image(
                    w,
                    row,
                    &["--dry-run", "--runtime-base", "xtask-test/no-such:1"],
                )
            }),
            code: 0,
            says: "would pull xtask-test/no-such:1",
        },
        Row {
            name: "rpm in a builder whose rpm database knows no BuildRequires",
            setup: Box::new(|w, _| {
                let mut args = s(&["rpm", "--container", "-q", "--base-image", "xtask-test/builder:bookworm"]);
                args.extend(["--source".into(), p(&w.tree), "--out".into(), p(&w.out)]);
                let mut a = attempt(args, &[&w.tree, &w.out]).unwrap();
                a.env = engine_env(w);
                Some(a)
            }),
            code: 1,
            says: "the builder image lacks BuildRequires of the spec (listed below): install them, or pass --nodeps",
        },
        Row {
            name: "smoke: no such image",
            setup: Box::new(|w, _| smoke(w, &["--tag", "xtask-test/never-built:1"])),
            code: 1,
            says: "there is no image xtask-test/never-built:1",
        },
        Row {
            name: "smoke: a timeout of 0",
            setup: Box::new(|w, _| smoke(w, &["--timeout", "0"])),
            code: 2,
            says: "--timeout takes a whole number",
        },
        Row {
            name: "smoke: an image without the version label",
            setup: Box::new(|w, _| smoke(w, &["--tag", "xtask-test/minbase:bookworm"])),
            code: 1,
            says: "has no org.opencontainers.image.version label",
        },
        Row {
            name: "smoke: an engine that hangs",
            setup: Box::new(|_, row| {
                let fake = row.join("docker");
                std::fs::write(&fake, "#!/bin/sh\nexec sleep 600\n").unwrap();
                sh(row, "chmod +x docker");
                with_env(
                    attempt(s(&["smoke", "--engine", &p(&fake)]), &[]),
                    &[("ASTERISK_XTASK_QUERY_SECS", "2")],
                )
            }),
            code: 1,
            says: "did not answer in 2s",
        },
    ]
}

fn rows() -> Vec<Row> {
    let mut rows: Vec<Row> = vec![
        // --- the command line: usage errors exit 2 -------------------------------------------
        Row {
            name: "an unknown command",
            setup: Box::new(|_, _| attempt(s(&["rpms"]), &[])),
            code: 2,
            says: "`rpms`, did you mean `rpm`?",
        },
        Row {
            name: "an unknown flag",
            setup: Box::new(|w, _| attempt(rpm(&w.tree, &w.out, &["--bogus"]), &[&w.out])),
            code: 2,
            says: "no such flag: `--bogus`",
        },
        Row {
            name: "a stray argument",
            setup: Box::new(|w, _| attempt(rpm(&w.tree, &w.out, &["extra"]), &[&w.out])),
            code: 2,
            says: "`extra` is not expected in this context",
        },
        Row {
            name: "a flag without its value",
            setup: Box::new(|_, _| attempt(s(&["rpm", "--out"]), &[])),
            code: 2,
            says: "`--out` requires an argument `DIR`",
        },
        Row {
            name: "--jobs 0",
            setup: Box::new(|w, _| attempt(rpm(&w.tree, &w.out, &["--jobs", "0"]), &[&w.out])),
            code: 2,
            says: "--jobs takes a whole number from 1 to 1024",
        },
        Row {
            name: "--jobs 99999 (make's jobserver would hang)",
            setup: Box::new(|w, _| attempt(rpm(&w.tree, &w.out, &["--jobs", "99999"]), &[&w.out])),
            code: 2,
            says: "--jobs takes a whole number from 1 to 1024",
        },
        Row {
            name: "--native with --container",
            setup: Box::new(|w, _| attempt(rpm(&w.tree, &w.out, &["--container"]), &[&w.out])),
            code: 2,
            says: "`--container` cannot be used at the same time as `--native`",
        },
        Row {
            name: "a flag given twice",
            setup: Box::new(|w, _| attempt(rpm(&w.tree, &w.out, &["--native"]), &[&w.out])),
            code: 2,
            says: "argument `--native` cannot be used multiple times",
        },
        // --- paths -----------------------------------------------------------------------------
        Row {
            name: "--source that does not exist",
            setup: Box::new(|w, row| {
                attempt(
                    rpm(Path::new("/nonexistent/asterisk"), &row.join("o"), &[]),
                    &[&w.out],
                )
            }),
            code: 1,
            says: "the source tree /nonexistent/asterisk does not exist",
        },
        Row {
            name: "--source that is not Asterisk",
            setup: Box::new(|_, row| {
                std::fs::write(row.join("configure.ac"), "AC_INIT([freeswitch], [1.10])\n")
                    .unwrap();
                attempt(rpm(row, &row.join("o"), &[]), &[row])
            }),
            code: 1,
            says: "is not an Asterisk source tree",
        },
        Row {
            name: "--source naming a file",
            setup: Box::new(|w, row| {
                attempt(
                    rpm(&w.tree.join("README.md"), &row.join("o"), &[]),
                    &[&w.tree],
                )
            }),
            code: 1,
            says: "is not an Asterisk source tree",
        },
        Row {
            name: "--spec that does not exist",
            setup: Box::new(|w, _| {
                attempt(
                    rpm(&w.tree, &w.out, &["--spec", "/nonexistent.spec"]),
                    &[&w.tree, &w.out],
                )
            }),
            code: 1,
            says: "/nonexistent.spec given with --spec does not exist",
        },
        Row {
            name: "--spec naming a directory",
            setup: Box::new(|w, row| {
                attempt(
                    rpm(&w.tree, &w.out, &["--spec", &p(row)]),
                    &[&w.tree, &w.out],
                )
            }),
            code: 1,
            says: "given with --spec is a directory",
        },
        Row {
            name: "--spec /dev/null",
            setup: Box::new(|w, _| {
                attempt(
                    rpm(&w.tree, &w.out, &["--spec", "/dev/null"]),
                    &[&w.tree, &w.out],
                )
            }),
            code: 1,
            says: "/dev/null given with --spec is not a regular file",
        },
        Row {
            name: "--spec naming an empty file",
            setup: Box::new(|w, row| {
                std::fs::write(row.join("empty.spec"), "").unwrap();
                attempt(
                    rpm(&w.tree, &w.out, &["--spec", &p(&row.join("empty.spec"))]),
                    &[&w.tree, &w.out],
                )
            }),
            code: 1,
            says: "given with --spec is empty",
        },
        Row {
            name: "a spec rpmbuild rejects",
            setup: Box::new(|w, row| {
                let spec = std::fs::read_to_string(&w.spec).unwrap();
                let bad = row.join("bad.spec");
                std::fs::write(&bad, spec.replace("License:", "Bogus: tag\nLicense:")).unwrap();
                attempt(
                    rpm(&w.tree, &w.out, &["--spec", &p(&bad)]),
                    &[&w.tree, &w.out],
                )
            }),
            code: 1,
            says: "it rejected the spec",
        },
        Row {
            name: "--download-cache that does not exist",
            setup: Box::new(|w, _| {
                attempt(
                    rpm(&w.tree, &w.out, &["--download-cache", "/nonexistent/cache"]),
                    &[&w.tree, &w.out],
                )
            }),
            code: 1,
            says: "the download cache /nonexistent/cache is not a directory",
        },
        // --- the output directory: nothing that is not ours is ever replaced ---------------
        Row {
            name: "--out naming a file",
            setup: Box::new(|w, row| {
                let file = row.join("a-file");
                std::fs::write(&file, "mine").unwrap();
                attempt(rpm(&w.tree, &file, &[]), &[&file])
            }),
            code: 1,
            says: "is not a directory: choose a directory with --out",
        },
        Row {
            name: "--out under a file",
            setup: Box::new(|w, row| {
                let file = row.join("a-file");
                std::fs::write(&file, "mine").unwrap();
                attempt(rpm(&w.tree, &file.join("rpm"), &[]), &[&file])
            }),
            code: 1,
            says: "choose a writable --out",
        },
        Row {
            name: "--out holding someone's files",
            setup: Box::new(|w, row| {
                let mine = row.join("mine");
                std::fs::create_dir_all(&mine).unwrap();
                std::fs::write(mine.join("notes.txt"), "keep me").unwrap();
                attempt(rpm(&w.tree, &mine, &[]), &[&mine])
            }),
            code: 1,
            says: "it has no manifest.json",
        },
        Row {
            name: "--out at a git repository with a manifest.json of its own",
            setup: Box::new(|w, row| {
                let repo = row.join("webapp");
                std::fs::create_dir_all(&repo).unwrap();
                std::fs::write(
                    repo.join("manifest.json"),
                    r#"{"name": "webapp", "icons": []}"#,
                )
                .unwrap();
                sh(&repo, "git init -q . && git add -A && git -c user.email=a@b -c user.name=n commit -qm one");
                attempt(rpm(&w.tree, &repo, &[]), &[&repo])
            }),
            code: 1,
            says: "is not one this tool wrote",
        },
        Row {
            name: "--out holding earlier outputs and a user's file beside them",
            setup: Box::new(|w, row| {
                let out = out_copy(w, row);
                std::fs::write(out.join("RPMS/my-notes.txt"), "keep me").unwrap();
                attempt(rpm(&w.tree, &out, &[]), &[&out])
            }),
            code: 1,
            says: "a file that no build wrote (RPMS/my-notes.txt)",
        },
        Row {
            name: "--out whose manifest lists a path outside it",
            setup: Box::new(|w, row| {
                let out = out_copy(w, row);
                let manifest = std::fs::read_to_string(out.join("manifest.json")).unwrap();
                let first = manifest_artifacts(&manifest)[0].0.clone();
                std::fs::write(
                    out.join("manifest.json"),
                    manifest.replace(&first, "../../victim"),
                )
                .unwrap();
                attempt(rpm(&w.tree, &out, &[]), &[&out])
            }),
            code: 1,
            says: "which is outside it",
        },
        Row {
            name: "--out on a read-only file system",
            setup: Box::new(|w, row| {
                let mount = Mount::tmpfs(&row.join("ro"), "ro")?;
                let mut a = attempt(rpm(&w.tree, &row.join("ro/rpm"), &[]), &[&w.tree]).unwrap();
                a._hold.push(Box::new(mount));
                Some(a)
            }),
            code: 1,
            says: "mounted read-only",
        },
        Row {
            name: "a disk that fills up while publishing",
            setup: Box::new(|w, row| {
                // Room for the probe and the staging directory, not for the packages.
                let mount = Mount::tmpfs(&row.join("small"), "size=24k")?;
                let mut a = attempt(rpm(&w.tree, &row.join("small/rpm"), &[]), &[&w.tree]).unwrap();
                a._hold.push(Box::new(mount));
                Some(a)
            }),
            code: 1,
            says: "the disk is full",
        },
        Row {
            name: "another build holding the target directory",
            setup: Box::new(|w, row| {
                // The harness gives each row the target directory <row>/target.
                let target = row.join("target");
                std::fs::create_dir_all(target.join("xtask")).unwrap();
                let held = std::fs::File::create(target.join("xtask/lock")).unwrap();
                use std::os::unix::io::AsRawFd;
                // SAFETY: flock(2) on a file this test owns.
                assert_eq!(unsafe { libc::flock(held.as_raw_fd(), libc::LOCK_EX) }, 0);
                let mut a = attempt(rpm(&w.tree, &w.out, &[]), &[&w.tree, &w.out]).unwrap();
                a._hold.push(Box::new(held));
                Some(a)
            }),
            code: 1,
            says: "another cargo xtask is building",
        },
        // --- the environment -----------------------------------------------------------------
        Row {
            name: "SOURCE_DATE_EPOCH in the future (make would rebuild forever)",
            setup: Box::new(|w, _| {
                with_env(
                    attempt(rpm(&w.tree, &w.out, &[]), &[&w.tree, &w.out]),
                    &[("SOURCE_DATE_EPOCH", "4000000000")],
                )
            }),
            code: 1,
            says: "SOURCE_DATE_EPOCH=4000000000 (2096-10-02T07:06:40Z) is in the future",
        },
        Row {
            name: "SOURCE_DATE_EPOCH past the tar header's 11 octal digits",
            setup: Box::new(|w, _| {
                with_env(
                    attempt(rpm(&w.tree, &w.out, &[]), &[&w.tree, &w.out]),
                    &[("SOURCE_DATE_EPOCH", "8589934592")],
                )
            }),
            code: 1,
            says: "is in the future",
        },
        Row {
            name: "SOURCE_DATE_EPOCH that is no number",
            setup: Box::new(|w, _| {
                with_env(
                    attempt(rpm(&w.tree, &w.out, &[]), &[&w.tree, &w.out]),
                    &[("SOURCE_DATE_EPOCH", "yesterday")],
                )
            }),
            code: 1,
            says: "SOURCE_DATE_EPOCH must be a whole number of seconds since 1970",
        },
        Row {
            name: "SOURCE_DATE_EPOCH before 1970",
            setup: Box::new(|w, _| {
                with_env(
                    attempt(rpm(&w.tree, &w.out, &[]), &[&w.tree, &w.out]),
                    &[("SOURCE_DATE_EPOCH", "-1")],
                )
            }),
            code: 1,
            says: "SOURCE_DATE_EPOCH=-1 is before 1970",
        },
        Row {
            name: "--rpm-version rpm does not accept",
            setup: Box::new(|w, _| {
                attempt(
                    rpm(&w.tree, &w.out, &["--rpm-version", "1-2"]),
                    &[&w.tree, &w.out],
                )
            }),
            code: 1,
            says: "the RPM Version (--rpm-version) '1-2' holds '-'",
        },
        Row {
            name: "an empty --rpm-release",
            setup: Box::new(|w, _| {
                attempt(
                    rpm(&w.tree, &w.out, &["--rpm-release", ""]),
                    &[&w.tree, &w.out],
                )
            }),
            code: 1,
            says: "the RPM Release (--rpm-release) is empty",
        },
        // --- odd trees -------------------------------------------------------------------------
        Row {
            name: "a FIFO in a tree without git",
            setup: Box::new(|w, row| {
                let tree = copy_of(&w.plain, row);
                sh(&tree, "mkfifo main/pipe");
                attempt(rpm(&tree, &row.join("o"), &[]), &[&tree])
            }),
            code: 1,
            says: "move it out of the tree (without git, every file in the tree is packed)",
        },
        Row {
            name: "a tracked file that became a FIFO",
            setup: Box::new(|w, row| {
                let tree = copy_of(&w.tree, row);
                sh(&tree, "rm COPYING; mkfifo COPYING");
                attempt(rpm(&tree, &row.join("o"), &[]), &[&tree])
            }),
            code: 1,
            says: "put back the file git tracks there (git checkout -- 'COPYING')",
        },
        Row {
            name: "a file name that is not UTF-8",
            setup: Box::new(|w, row| {
                let tree = copy_of(&w.tree, row);
                use std::os::unix::ffi::OsStrExt;
                std::fs::write(tree.join(std::ffi::OsStr::from_bytes(b"bad-\xff.txt")), "x")
                    .unwrap();
                attempt(rpm(&tree, &row.join("o"), &[]), &[&tree])
            }),
            code: 1,
            says: "is not UTF-8: rename it",
        },
        Row {
            name: ".version with a CRLF line ending",
            setup: Box::new(|w, row| {
                let tree = copy_of(&w.plain, row);
                std::fs::write(tree.join(".version"), "22.1.0\r\n").unwrap();
                attempt(rpm(&tree, &row.join("o"), &[]), &[&tree])
            }),
            code: 1,
            says: "ends its line with a carriage return (CRLF)",
        },
        Row {
            name: "an empty .version",
            setup: Box::new(|w, row| {
                let tree = copy_of(&w.plain, row);
                std::fs::write(tree.join(".version"), "\n").unwrap();
                attempt(rpm(&tree, &row.join("o"), &[]), &[&tree])
            }),
            code: 1,
            says: ".version is empty",
        },
        Row {
            name: "a tree without .version and without git",
            setup: Box::new(|w, row| {
                let tree = copy_of(&w.plain, row);
                std::fs::remove_file(tree.join(".version")).unwrap();
                attempt(rpm(&tree, &row.join("o"), &[]), &[&tree])
            }),
            code: 1,
            says: "it has neither a .version file nor a .git directory: write the release into .version",
        },
        Row {
            name: "a tree inside another repository, without a .git of its own",
            setup: Box::new(|w, row| {
                let outer = row.join("outer");
                std::fs::create_dir_all(&outer).unwrap();
                sh(&outer, "git init -q .");
                let tree = copy_of(&w.plain, &outer);
                std::fs::remove_file(tree.join(".version")).unwrap();
                attempt(rpm(&tree, &row.join("o"), &[]), &[&tree])
            }),
            code: 1,
            says: "lies inside another git repository without a .git directory of its own",
        },
        // --- builds that fail or would never end --------------------------------------------
        Row {
            name: "a build that fails in %build",
            setup: Box::new(|w, row| {
                let tree = copy_of(&w.tree, row);
                sh(&tree, "echo 'this is not C' >> main/asterisk.c");
                attempt(rpm(&tree, &w.out, &[]), &[&tree, &w.out])
            }),
            code: 1,
            says: "rpmbuild failed in %build",
        },
        Row {
            name: "a build that prints nothing for longer than the limit",
            setup: Box::new(|w, row| {
                let tree = copy_of(&w.tree, row);
                std::fs::write(tree.join(".slow-build"), "").unwrap();
                with_env(
                    attempt(rpm(&tree, &w.out, &[]), &[&tree, &w.out]),
                    &[("ASTERISK_XTASK_STALL_SECS", "3")],
                )
            }),
            code: 1,
            says: "printed nothing for 3s, so it looks stuck",
        },
        Row {
            name: "a build machine whose clock is behind the sources",
            setup: Box::new(|w, row| {
                let tree = copy_of(&w.tree, row);
                std::fs::write(tree.join(".clock-behind"), "").unwrap();
                attempt(rpm(&tree, &w.out, &[]), &[&tree, &w.out])
            }),
            code: 1,
            says: "found files dated after its clock and would rebuild forever",
        },
        // --- faults that are tolerated, and said -------------------------------------------
        Row {
            name: "a file dated in the future (clock skew)",
            setup: Box::new(|w, row| {
                let tree = copy_of(&w.tree, row);
                sh(
                    &tree,
                    "echo more >> README.md; touch -d '+2 days' README.md",
                );
                attempt(rpm(&tree, &row.join("o"), &["--dry-run"]), &[&tree])
            }),
            code: 0,
            says: "README.md's modification time is in the future",
        },
        Row {
            name: "a link that points out of the tree",
            setup: Box::new(|w, row| {
                let tree = copy_of(&w.tree, row);
                sh(&tree, "ln -s /etc/hostname main/hostname");
                attempt(rpm(&tree, &row.join("o"), &["--dry-run"]), &[&tree])
            }),
            code: 0,
            says: "the link main/hostname points out of the tree (/etc/hostname)",
        },
        Row {
            name: "an unfinished merge",
            setup: Box::new(|w, row| {
                let tree = copy_of(&w.tree, row);
                sh(
                    &tree,
                    "printf '<<<<<<< HEAD\\na\\n=======\\nb\\n>>>>>>> topic\\n' >> main/ssl.c",
                );
                attempt(rpm(&tree, &row.join("o"), &["--dry-run"]), &[&tree])
            }),
            code: 0,
            says: "merge conflict markers in main/ssl.c:",
        },
        Row {
            name: "a staging directory left by a run that was killed",
            setup: Box::new(|w, row| {
                let out = out_copy(w, row);
                let stale = row.join(".out.staging-4000000");
                std::fs::create_dir_all(stale.join("RPMS")).unwrap();
                std::fs::write(stale.join(".cargo-xtask-staging"), "").unwrap();
                std::fs::write(stale.join("RPMS/x.rpm"), vec![0u8; 4096]).unwrap();
                // Not ours (no mark): kept.
                std::fs::create_dir_all(row.join(".out.staging-4000001")).unwrap();
                // A real build, which publishes: only the tree must stay as it was.
                attempt(rpm(&w.tree, &out, &["--rpm-version", "9.9"]), &[&w.tree])
            }),
            code: 0,
            says: "left by a run that did not finish",
        },
    ];
    rows.extend(engine_rows());
    rows
}

#[test]
fn bad_input_and_faults_lose_nothing_and_leave_nothing() {
    let dir = scratch("adversary");
    let tree = git_tree(&dir.join("git"));
    sh(
        &tree,
        "echo '/* edit */' >> main/asterisk.c; echo new > NOTES.txt",
    );
    let plain = plain_tree(&dir.join("plain"), true);
    let out = dir.join("good-out");
    must(xtask(
        &native_rpm_args(&tree, &out),
        &dir.join("target"),
        &[],
    ));
    let engine = EngineFixture::get("the adversary's engine rows").map(|f| f.engine);
    let world = World {
        tree,
        plain,
        out,
        spec: Path::new(env!("CARGO_MANIFEST_DIR")).join("../contrib/rpm/asterisk.spec"),
        engine: engine.clone(),
    };
    let rows = rows();
    assert!(rows.len() >= 40, "the table has {} rows", rows.len());
    let mut names = std::collections::BTreeSet::new();
    let mut ran = 0;
    for (n, row) in rows.iter().enumerate() {
        assert!(names.insert(row.name), "two rows named {}", row.name);
        let needs_engine = ["image", "smoke", "rpm in a builder"]
            .iter()
            .any(|prefix| row.name.starts_with(prefix));
        if needs_engine && engine.is_none() {
            continue;
        }
        let row_dir = dir.join(format!("row{n}"));
        std::fs::create_dir_all(&row_dir).unwrap();
        let Some(attempt) = (row.setup)(&world, &row_dir) else {
            continue;
        };
        let before: Vec<String> = attempt.unchanged.iter().map(|p| picture(p)).collect();
        let volumes = engine.as_deref().map(dangling_volumes);
        let args: Vec<&str> = attempt.args.iter().map(String::as_str).collect();
        let env: Vec<(&str, &str)> = attempt
            .env
            .iter()
            .map(|(k, v)| (k.as_str(), v.as_str()))
            .collect();
        let run = xtask(&args, &row_dir.join("target"), &env);
        let context = format!("row '{}':\n{}", row.name, run.stderr);
        assert_eq!(run.code, Some(row.code), "exit code of {context}");
        if row.code == 0 {
            assert!(run.stderr.contains(row.says), "{context}");
            eprintln!("{:<64} exit 0, says: {}", row.name, row.says);
        } else {
            let error = run.error();
            let first = error.lines().next().unwrap();
            assert!(first.contains(row.says), "{context}");
            for extra in error.lines().skip(1) {
                assert!(
                    extra.starts_with("    "),
                    "more than one error line: {context}"
                );
            }
            assert!(!first.contains('\r'), "{context}");
            eprintln!("{:<64} exit {}: {first}", row.name, row.code);
        }
        for (path, was) in attempt.unchanged.iter().zip(&before) {
            assert_eq!(&picture(path), was, "{} changed: {context}", path.display());
        }
        for out in attempt
            .args
            .windows(2)
            .filter(|w| w[0] == "--out")
            .map(|w| PathBuf::from(&w[1]))
        {
            let left: Vec<String> = leftovers_beside(&out)
                .into_iter()
                .filter(|n| !n.ends_with("staging-4000001"))
                .collect();
            assert!(
                left.is_empty(),
                "left beside {}: {left:?}: {context}",
                out.display()
            );
        }
        if let (Some(engine), Some(volumes)) = (engine.as_deref(), volumes) {
            assert!(
                containers_of(engine, &run).is_empty(),
                "a container was left: {context}"
            );
            let after = dangling_volumes(engine);
            assert!(after.is_subset(&volumes), "volumes were left: {context}");
        }
        drop(attempt);
        ran += 1;
    }
    eprintln!("{ran} rows ran");
    assert!(ran >= 40 || engine.is_none(), "only {ran} rows ran");
    std::fs::remove_dir_all(&dir).unwrap();
}

#[test]
fn ctrl_c_while_packing_stops_within_moments() {
    // A sparse 2 GiB file takes about 14 s to pack here: the interrupt must not wait for it.
    let dir = scratch("pack-interrupt");
    let tree = git_tree(&dir);
    sh(&tree, "truncate -s 2G big-untracked.bin");
    let before = tree_checksums_light(&tree);
    let target = dir.join("target");
    let out = dir.join("out");
    let mut child = spawn_xtask(
        &native_rpm_args(&tree, &out),
        &[("CARGO_TARGET_DIR", target.to_str().unwrap())],
    );
    // Wait until it has begun packing (the version is known), then interrupt.
    use std::io::{BufRead, BufReader};
    let stderr = child.stderr.take().unwrap();
    let mut lines = BufReader::new(stderr).lines();
    let mut seen = String::new();
    for line in lines.by_ref() {
        let line = line.unwrap();
        seen.push_str(&line);
        seen.push('\n');
        if line.starts_with("version: ") {
            break;
        }
    }
    std::thread::sleep(std::time::Duration::from_millis(500));
    let signalled = std::time::Instant::now();
    sh(&dir, &format!("kill -INT {}", child.id()));
    let rest: Vec<String> = lines.map(|l| l.unwrap()).collect();
    let status = child.wait().unwrap();
    let took = signalled.elapsed();
    let all = format!("{seen}{}", rest.join("\n"));
    assert_eq!(status.code(), Some(130), "{all}");
    assert!(
        !all.contains("archive: "),
        "packing finished before the interrupt took: {all}"
    );
    assert!(all.contains("interrupted: nothing was published"), "{all}");
    assert!(
        took < std::time::Duration::from_secs(5),
        "the interrupt took {took:?}: {all}"
    );
    assert!(!out.exists());
    let sources = target.join("xtask/rpm-work/SOURCES");
    let partial: Vec<_> = std::fs::read_dir(&sources)
        .map(|d| d.flatten().collect())
        .unwrap_or_default();
    assert!(
        partial.is_empty(),
        "a partial archive was left: {partial:?}"
    );
    assert_eq!(tree_checksums_light(&tree), before);
    std::fs::remove_dir_all(&dir).unwrap();
}

/// Sizes and times of every file (checksumming 2 GiB of zeros would take longer than the test).
fn tree_checksums_light(dir: &Path) -> String {
    sh(
        dir,
        "find . -path ./.git -prune -o -type f -printf '%p %s %T@\\n' | LC_ALL=C sort",
    )
}
