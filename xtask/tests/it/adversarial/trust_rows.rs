//! Rows of what would publish packages that are not what the user built, or lose what is
//! theirs: empty values taken as "not given", outputs inside the xtask's own directories, values
//! make would evaluate, another user's repository, a download cache that cannot be used, names
//! too long for a file, a GNUPGHOME gpg cannot write, an unknown builder taken for a known one.

use std::path::{Path, PathBuf};

use super::*;

/// A read-only bind mount of `dir` at `at` (root only: None, said, elsewhere; under CI a
/// failure).
struct ReadOnly(PathBuf);

impl ReadOnly {
    fn bind(dir: &Path, at: &Path) -> Option<ReadOnly> {
        std::fs::create_dir_all(at).unwrap();
        let ok = Command::new("mount")
            .args(["--bind"])
            .arg(dir)
            .arg(at)
            .status()
            .is_ok_and(|s| s.success());
        let ro = ok
            && Command::new("mount")
                .args(["-o", "remount,bind,ro"])
                .arg(at)
                .status()
                .is_ok_and(|s| s.success());
        if ro {
            return Some(ReadOnly(at.to_path_buf()));
        }
        let _ = Command::new("umount").arg(at).status();
        cannot_run(&format!(
            "a case: cannot bind-mount {} read-only (not root?)",
            at.display()
        ));
        None
    }
}

impl Drop for ReadOnly {
    fn drop(&mut self) {
        // gpg's agent may still hold the directory for a moment.
        let _ = Command::new("gpgconf").args(["--kill", "all"]).status();
        let _ = Command::new("umount").arg(&self.0).status();
    }
}

pub fn rows() -> Vec<Row> {
    vec![
        // --- empty values: an unset variable is never "not given" -----------------------------
        Row {
            name: "--sign with an empty key (CI's --sign \"$KEYID\" with KEYID unset)",
            setup: Box::new(|w, _| {
                attempt(rpm(&w.tree, &w.out, &["--sign", ""]), &[&w.tree, &w.out])
            }),
            code: 2,
            says: "--sign needs a value, and was given an empty one (an unset variable?)",
            engine: false,
        },
        Row {
            name: "--sounds with an empty list",
            setup: Box::new(|w, _| {
                attempt(rpm(&w.tree, &w.out, &["--sounds", ""]), &[&w.tree, &w.out])
            }),
            code: 2,
            says: "--sounds takes NAME[,NAME...] with no empty name",
            engine: false,
        },
        Row {
            name: "--base-image empty",
            setup: Box::new(|w, _| {
                attempt(
                    rpm(&w.tree, &w.out, &["--base-image", ""]),
                    &[&w.tree, &w.out],
                )
            }),
            code: 2,
            says: "--base-image needs a value",
            engine: false,
        },
        // --- outputs the xtask would empty itself --------------------------------------------
        Row {
            name: "--out inside the xtask's own work directory",
            setup: Box::new(|w, row| {
                let inside = row.join("target/xtask/rpm-work/out");
                attempt(rpm(&w.tree, &inside, &[]), &[&w.tree, &inside])
            }),
            code: 1,
            says: "is inside",
            engine: false,
        },
        Row {
            name: "--out holding the target directory",
            setup: Box::new(|w, row| {
                std::fs::write(row.join("notes.txt"), "mine").unwrap();
                attempt(rpm(&w.tree, row, &[]), &[&w.tree, &row.join("notes.txt")])
            }),
            code: 1,
            says: "holds",
            engine: false,
        },
        Row {
            name: "--out /",
            setup: Box::new(|w, _| attempt(rpm(&w.tree, Path::new("/"), &[]), &[&w.tree])),
            code: 1,
            says: "--out / holds",
            engine: false,
        },
        Row {
            name: "--download-cache inside the xtask's own work directory",
            setup: Box::new(|w, row| {
                let inside = row.join("target/xtask/rpm-work/cache");
                attempt(
                    rpm(&w.tree, &w.out, &["--download-cache", &p(&inside)]),
                    &[&w.tree, &w.out],
                )
            }),
            code: 1,
            says: "--download-cache",
            engine: false,
        },
        Row {
            name: "bench --out naming a file (said before anything is measured)",
            setup: Box::new(|w, row| {
                let file = row.join("results");
                std::fs::write(&file, "mine").unwrap();
                let args = s(&[
                    "bench",
                    "--native",
                    "--source",
                    &p(&w.tree),
                    "--out",
                    &p(&file),
                ]);
                attempt(args, &[&w.tree, &file])
            }),
            code: 1,
            says: "is not a directory: name a directory for bench.json",
            engine: false,
        },
        // --- values that must never be evaluated ---------------------------------------------
        Row {
            name: "--menuselect a file whose value make would run",
            setup: Box::new(|w, row| {
                let file = row.join("menuselect.makeopts");
                let mark = row.join("ran");
                std::fs::write(
                    &file,
                    format!("MENUSELECT_APPS=$(shell touch {})\n", mark.display()),
                )
                .unwrap();
                attempt(
                    rpm(&w.tree, &w.out, &["--menuselect", &p(&file)]),
                    &[&w.tree, &w.out, &file, &mark],
                )
            }),
            code: 1,
            says: "line 1: MENUSELECT_APPS holds '$', which make would read as more than a name",
            engine: false,
        },
        Row {
            name: "a tree another user owns, whose .git/config runs a program",
            setup: Box::new(|w, row| {
                let (tree, mark) = foreign_tree(w, row);
                attempt(rpm(&tree, &row.join("o"), &[]), &[&tree, &mark])
            }),
            code: 1,
            says: "git refuses to read",
            engine: false,
        },
        Row {
            name: "a tree of yours whose .git alone is another user's",
            setup: Box::new(|w, row| {
                let (tree, mark) = foreign_tree(w, row);
                sh(&tree, "chown 0:0 .");
                attempt(rpm(&tree, &row.join("o"), &[]), &[&tree, &mark])
            }),
            code: 1,
            says: ".git belongs to uid 65534, not to you (uid 0)",
            engine: false,
        },
        Row {
            name: "a tree whose .git file names a repository another user owns",
            setup: Box::new(|w, row| {
                let tree = copy_of(&w.tree, row);
                let gitdir = row.join("gitdir");
                sh(
                    &tree,
                    &format!(
                        "mv .git {g} && echo 'gitdir: {g}' > .git && chown -R 65534:65534 {g}",
                        g = gitdir.display()
                    ),
                );
                attempt(rpm(&tree, &row.join("o"), &[]), &[&tree])
            }),
            code: 1,
            says: "gitdir belongs to uid 65534, not to you (uid 0)",
            engine: false,
        },
        Row {
            name: "a plain tree of yours inside another user's repository",
            setup: Box::new(|w, row| {
                let outer = row.join("outer");
                std::fs::create_dir_all(&outer).unwrap();
                sh(&outer, "git init -q . && chown -R 65534:65534 .git");
                let plain = outer.join("sub");
                sh(
                    row,
                    &format!("cp -a {} {}", w.plain.display(), plain.display()),
                );
                attempt(rpm(&plain, &row.join("o"), &[]), &[&plain])
            }),
            code: 1,
            says: "outer/.git belongs to uid 65534, not to you (uid 0)",
            engine: false,
        },
        Row {
            name: "--configure-arg whose value make would run (configure copies it to makeopts)",
            setup: Box::new(|w, row| {
                let mark = row.join("ran");
                let arg = format!("CFLAGS=-O2 $(shell touch {})", mark.display());
                attempt(
                    rpm(&w.tree, &w.out, &["--configure-arg", &arg]),
                    &[&w.tree, &w.out, &mark],
                )
            }),
            code: 2,
            says: "which make or its recipes' shell would expand",
            engine: false,
        },
        Row {
            name: "a tree another user owns, and git speaks German",
            setup: Box::new(|w, row| {
                let (tree, mark) = foreign_tree(w, row);
                // (C.UTF-8 is not C: gettext reads LANGUAGE, and Debian's git has German.)
                with_env(
                    attempt(rpm(&tree, &row.join("o"), &[]), &[&tree, &mark]),
                    &[("LC_ALL", "C.UTF-8"), ("LANGUAGE", "de")],
                )
            }),
            code: 1,
            says: "git refuses to read",
            engine: false,
        },
        // --- a download cache that cannot be used ---------------------------------------------
        Row {
            name: "a download cache on a read-only file system",
            setup: Box::new(|w, row| {
                let mount = Mount::tmpfs(&row.join("ro-cache"), "ro")?;
                let mut a = attempt(
                    rpm(
                        &w.tree,
                        &w.out,
                        &["--download-cache", &p(&row.join("ro-cache"))],
                    ),
                    &[&w.tree, &w.out],
                )?;
                a._hold.push(Box::new(mount));
                Some(a)
            }),
            code: 1,
            says: "writing into the download cache",
            engine: false,
        },
        // --- names too long for a file -------------------------------------------------------
        Row {
            name: "a .version of 300 characters",
            setup: Box::new(|w, row| {
                let tree = copy_of(&w.plain, row);
                std::fs::write(tree.join(".version"), format!("22.{}\n", "1".repeat(297))).unwrap();
                attempt(rpm(&tree, &row.join("o"), &[]), &[&tree])
            }),
            code: 1,
            says: "is 300 bytes long",
            engine: false,
        },
        // --- signing ---------------------------------------------------------------------------
        Row {
            name: "--sign with a GNUPGHOME gpg cannot write",
            setup: Box::new(|w, row| {
                let home = row.join("gnupg");
                std::fs::create_dir_all(&home).unwrap();
                sh(
                    row,
                    &format!(
                        "chmod 700 {h}; GNUPGHOME={h} gpg --batch --passphrase '' --quick-gen-key \
                         'ro <ro@xtask.invalid>' ed25519 sign never 2>/dev/null; GNUPGHOME={h} gpgconf --kill all",
                        h = home.display()
                    ),
                );
                let ro = row.join("gnupg-ro");
                let mount = ReadOnly::bind(&home, &ro)?;
                let mut a = with_env(
                    attempt(
                        rpm(&w.tree, &w.out, &["--sign", "ro@xtask.invalid"]),
                        &[&w.tree, &w.out],
                    ),
                    &[("GNUPGHOME", &p(&ro))],
                )?;
                a._hold.push(Box::new(mount));
                Some(a)
            }),
            code: 1,
            says: "it must be writable",
            engine: false,
        },
        // --- rows that need an engine ---------------------------------------------------------
        Row {
            name: "rpm in a builder from a base that is not here, over an earlier container output",
            setup: Box::new(|w, row| {
                let out = row.join("out");
                let env = [("CONTAINER_ENGINE", w.engine.clone().unwrap())];
                let env: Vec<(&str, &str)> = env.iter().map(|(k, v)| (*k, v.as_str())).collect();
                let build = |base: &str| {
                    let mut args =
                        s(&["rpm", "--container", "-q", "--nodeps", "--base-image", base]);
                    args.extend(["--source".into(), p(&w.tree), "--out".into(), p(&out)]);
                    args
                };
                let first = build("xtask-test/builder:bookworm");
                let first: Vec<&str> = first.iter().map(String::as_str).collect();
                must(xtask(&first, &row.join("first-target"), &env));
                let mut a = attempt(build("xtask-test/no-such:1"), &[&w.tree, &out])?;
                a.env = vec![("CONTAINER_ENGINE".into(), w.engine.clone().unwrap())];
                Some(a)
            }),
            code: 1,
            says: "the image xtask-test/no-such:1 is not here and could not be pulled",
            engine: true,
        },
        Row {
            name: "smoke --unit-tests with an empty category",
            setup: Box::new(|w, _| {
                let mut a = attempt(s(&["smoke", "--unit-tests", ""]), &[])?;
                a.env = vec![("CONTAINER_ENGINE".into(), w.engine.clone().unwrap())];
                Some(a)
            }),
            code: 2,
            says: "--unit-tests needs a value when one is given",
            engine: true,
        },
        Row {
            name: "smoke --unit-tests of an image whose outputs are elsewhere",
            setup: Box::new(|w, _| {
                let mut a = attempt(
                    s(&[
                        "smoke",
                        "--unit-tests",
                        "--tag",
                        "xtask-test/minbase:bookworm",
                    ]),
                    &[],
                )?;
                a.env = vec![("CONTAINER_ENGINE".into(), w.engine.clone().unwrap())];
                Some(a)
            }),
            code: 1,
            says:
                "the unit test results go beside the RPMs of the image xtask-test/minbase:bookworm",
            engine: true,
        },
        // --- what a newcomer's trial found -------------------------------------------------
        Row {
            name: "--menuselect naming a FIFO (the read would block for ever)",
            setup: Box::new(|w, row| {
                let fifo = row.join("menuselect.fifo");
                sh(row, "mkfifo menuselect.fifo");
                attempt(
                    rpm(&w.tree, &w.out, &["--menuselect", &p(&fifo)]),
                    &[&w.tree, &w.out],
                )
            }),
            code: 1,
            says: "given with --menuselect is not a regular file (a device or a pipe?)",
            engine: false,
        },
        Row {
            name: "a target directory whose path holds a space (rpm passes it unquoted)",
            setup: Box::new(|w, row| {
                let target = row.join("my target");
                with_env(
                    attempt(rpm(&w.tree, &w.out, &[]), &[&w.tree, &w.out]),
                    &[("CARGO_TARGET_DIR", &p(&target))],
                )
            }),
            code: 1,
            says: "rpmbuild cannot build in",
            engine: false,
        },
        Row {
            name: "a target directory whose path holds a % (rpm expands it)",
            setup: Box::new(|w, row| {
                let target = row.join("t%{?dist}");
                with_env(
                    attempt(rpm(&w.tree, &w.out, &[]), &[&w.tree, &w.out]),
                    &[("CARGO_TARGET_DIR", &p(&target))],
                )
            }),
            code: 1,
            says: "the path holds '%'",
            engine: false,
        },
        Row {
            name: "--download-cache the same directory as --out",
            setup: Box::new(|w, _| {
                attempt(
                    rpm(&w.tree, &w.out, &["--download-cache", &p(&w.out)]),
                    &[&w.tree, &w.out],
                )
            }),
            code: 1,
            says: "are the same directory: a build replaces its output directory",
            engine: false,
        },
        Row {
            name: "--out inside the source tree, where the next archive would pack it",
            setup: Box::new(|w, row| {
                let tree = copy_of(&w.tree, row);
                let out = tree.join("packages");
                attempt(rpm(&tree, &out, &[]), &[&tree])
            }),
            code: 1,
            says: "is inside the source tree",
            engine: false,
        },
        Row {
            name: "a repository with no commit yet",
            setup: Box::new(|_, row| {
                let tree = plain_tree(row, false);
                sh(&tree, "git init -q .");
                attempt(
                    rpm(&tree, &row.join("out"), &[]),
                    &[&tree, &row.join("out")],
                )
            }),
            code: 1,
            says: "its repository has no commit yet, and make_version describes the commits",
            engine: false,
        },
        Row {
            name: "a limit setting that is no number (it would be ignored)",
            setup: Box::new(|w, _| {
                with_env(
                    attempt(rpm(&w.tree, &w.out, &[]), &[&w.tree, &w.out]),
                    &[("ASTERISK_XTASK_QUERY_SECS", "abc")],
                )
            }),
            code: 2,
            says: "ASTERISK_XTASK_QUERY_SECS=\"abc\" is no whole number above 0",
            engine: false,
        },
        Row {
            name: "--tag that starts with a dash",
            setup: Box::new(|w, _| {
                let mut args = s(&["image", "--native", "-q", "--source"]);
                args.extend([p(&w.tree), "--out".into(), p(&w.out), "--tag=-rm".into()]);
                attempt(args, &[&w.tree, &w.out])
            }),
            code: 2,
            says: "--tag -rm is not a valid image name",
            engine: false,
        },
        Row {
            name: "fetch --sounds naming a set the tree does not know (said before any download)",
            setup: Box::new(|w, row| {
                let cache = row.join("empty");
                attempt(
                    s(&[
                        "fetch",
                        "--source",
                        &p(&w.tree),
                        "--download-cache",
                        &p(&cache),
                        "--sounds",
                        "NOPE",
                    ]),
                    &[&w.tree, &cache],
                )
            }),
            code: 1,
            says: "--sounds NOPE is not a sound set of this tree",
            engine: false,
        },
        Row {
            name: "smoke --unit-tests into the outputs of a build that records no image",
            setup: Box::new(|w, row| {
                let out = out_copy(w, row);
                let mut a = attempt(
                    s(&[
                        "smoke",
                        "--unit-tests",
                        "--tag",
                        "xtask-test/minbase:bookworm",
                        "--out",
                        &p(&out),
                    ]),
                    &[&out],
                )?;
                a.env = vec![("CONTAINER_ENGINE".into(), w.engine.clone().unwrap())];
                Some(a)
            }),
            code: 1,
            says: "manifest.json records no image, not xtask-test/minbase:bookworm",
            engine: true,
        },
    ]
}

/// A copy of the sample tree owned by nobody (65534), whose .git/config runs a program that
/// would leave a mark: git must refuse it, and the mark must never appear.
fn foreign_tree(w: &World, row: &Path) -> (PathBuf, PathBuf) {
    let tree = copy_of(&w.tree, row);
    let mark = row.join("fsmonitor-ran");
    sh(
        &tree,
        &format!(
            "git config core.fsmonitor 'touch {}; false'; chown -R 65534:65534 .",
            mark.display()
        ),
    );
    (tree, mark)
}
