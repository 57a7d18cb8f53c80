//! Rows of bad input: the command line, paths, and output directories that are not ours.

use std::path::Path;

use super::*;

pub fn rows() -> Vec<Row> {
    vec![
        // --- the command line: usage errors exit 2 -------------------------------------------
        Row {
            name: "an unknown command",
            setup: Box::new(|_, _| attempt(s(&["rpms"]), &[])),
            code: 2,
            says: "`rpms`, did you mean `rpm`?",
            engine: false,
        },
        Row {
            name: "an unknown flag",
            setup: Box::new(|w, _| attempt(rpm(&w.tree, &w.out, &["--bogus"]), &[&w.out])),
            code: 2,
            says: "no such flag: `--bogus`",
            engine: false,
        },
        Row {
            name: "a stray argument",
            setup: Box::new(|w, _| attempt(rpm(&w.tree, &w.out, &["extra"]), &[&w.out])),
            code: 2,
            says: "`extra` is not expected in this context",
            engine: false,
        },
        Row {
            name: "a flag without its value",
            setup: Box::new(|_, _| attempt(s(&["rpm", "--out"]), &[])),
            code: 2,
            says: "`--out` requires an argument `DIR`",
            engine: false,
        },
        Row {
            name: "--jobs 0",
            setup: Box::new(|w, _| attempt(rpm(&w.tree, &w.out, &["--jobs", "0"]), &[&w.out])),
            code: 2,
            says: "--jobs takes a whole number from 1 to 1024",
            engine: false,
        },
        Row {
            name: "--jobs 99999 (make's jobserver would hang)",
            setup: Box::new(|w, _| attempt(rpm(&w.tree, &w.out, &["--jobs", "99999"]), &[&w.out])),
            code: 2,
            says: "--jobs takes a whole number from 1 to 1024",
            engine: false,
        },
        Row {
            name: "--native with --container",
            setup: Box::new(|w, _| attempt(rpm(&w.tree, &w.out, &["--container"]), &[&w.out])),
            code: 2,
            says: "--native and --container exclude each other: choose where the build runs",
            engine: false,
        },
        Row {
            name: "a flag given twice",
            setup: Box::new(|w, _| attempt(rpm(&w.tree, &w.out, &["--native"]), &[&w.out])),
            code: 2,
            says: "argument `--native` cannot be used multiple times",
            engine: false,
        },
        // --- menuselect and configure choices (issue 10) --------------------------------------
        Row {
            name: "--enable a name menuselect does not know",
            setup: Box::new(|w, _| {
                attempt(
                    rpm(&w.tree, &w.out, &["--enable", "app_nope"]),
                    &[&w.tree, &w.out],
                )
            }),
            code: 1,
            says: "menuselect has no module or option named 'app_nope' (--enable app_nope)",
            engine: false,
        },
        Row {
            name: "--disable-category a category menuselect does not know",
            setup: Box::new(|w, _| {
                attempt(
                    rpm(&w.tree, &w.out, &["--disable-category", "MENUSELECT_NOPE"]),
                    &[&w.tree, &w.out],
                )
            }),
            code: 1,
            says: "menuselect has no category named 'MENUSELECT_NOPE'",
            engine: false,
        },
        Row {
            name: "--enable a module whose library no machine has",
            setup: Box::new(|w, _| {
                attempt(
                    rpm(&w.tree, &w.out, &["--enable", "res_mini_nosuch"]),
                    &[&w.tree, &w.out],
                )
            }),
            code: 1,
            says: "res_mini_nosuch cannot be built: it needs nosuchlib (configure did not find it)",
            engine: false,
        },
        Row {
            name: "ASTERISK_XTASK_MENUSELECT names an unknown module",
            setup: Box::new(|w, _| {
                with_env(
                    attempt(rpm(&w.tree, &w.out, &[]), &[&w.tree, &w.out]),
                    &[("ASTERISK_XTASK_MENUSELECT", "--disable chan_nope")],
                )
            }),
            code: 1,
            says: "menuselect has no module or option named 'chan_nope'",
            engine: false,
        },
        Row {
            name: "ASTERISK_XTASK_MENUSELECT with a word menuselect does not take",
            setup: Box::new(|w, _| {
                with_env(
                    attempt(rpm(&w.tree, &w.out, &[]), &[&w.out]),
                    &[("ASTERISK_XTASK_MENUSELECT", "--enable-all x")],
                )
            }),
            code: 2,
            says: "ASTERISK_XTASK_MENUSELECT: '--enable-all' is not a menuselect choice",
            engine: false,
        },
        Row {
            name: "--enable with shell in the name",
            setup: Box::new(|w, _| {
                attempt(rpm(&w.tree, &w.out, &["--enable", "x;reboot"]), &[&w.out])
            }),
            code: 2,
            says: "--enable takes a module, option or category name as menuselect spells it",
            engine: false,
        },
        Row {
            name: "--configure-arg with nothing after it",
            setup: Box::new(|w, _| attempt(rpm(&w.tree, &w.out, &["--configure-arg"]), &[&w.out])),
            code: 2,
            says: "`--configure-arg` requires an argument `ARG`",
            engine: false,
        },
        Row {
            name: "--menuselect a file that is not a menuselect.makeopts",
            setup: Box::new(|w, row| {
                let file = row.join("asterisk.conf");
                std::fs::write(&file, "[options]\nverbose = 3\n").unwrap();
                attempt(
                    rpm(&w.tree, &w.out, &["--menuselect", &p(&file)]),
                    &[&w.tree, &w.out, &file],
                )
            }),
            code: 1,
            says:
                "is not a menuselect.makeopts: line 1: '[options]' is no MENUSELECT_<NAME>=... line",
            engine: false,
        },
        Row {
            name: "--menuselect a directory",
            setup: Box::new(|w, row| {
                attempt(
                    rpm(&w.tree, &w.out, &["--menuselect", &p(row)]),
                    &[&w.tree, &w.out],
                )
            }),
            code: 1,
            says: "given with --menuselect is a directory",
            engine: false,
        },
        Row {
            name: "--menuselect a file that selects a module whose library no machine has",
            setup: Box::new(|w, row| {
                let file = row.join("menuselect.makeopts");
                std::fs::write(
                    &file,
                    "MENUSELECT_RES=res_mini_private\nMENUSELECT_CFLAGS=\n",
                )
                .unwrap();
                attempt(
                    rpm(&w.tree, &w.out, &["--menuselect", &p(&file)]),
                    &[&w.tree, &w.out, &file],
                )
            }),
            code: 1,
            says: "menuselect.makeopts selects modules whose dependencies this build lacks",
            engine: false,
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
            engine: false,
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
            engine: false,
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
            engine: false,
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
            engine: false,
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
            engine: false,
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
            engine: false,
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
            engine: false,
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
            engine: false,
        },
        Row {
            name: "--download-cache naming a file",
            setup: Box::new(|w, row| {
                let file = row.join("cache-file");
                std::fs::write(&file, "mine").unwrap();
                attempt(
                    rpm(&w.tree, &w.out, &["--download-cache", &p(&file)]),
                    &[&w.tree, &w.out, &file],
                )
            }),
            code: 1,
            says: "is a file, not a directory: move it away, or name a directory with --download-cache DIR",
            engine: false,
        },
        Row {
            name: "--download-cache naming a link to nothing",
            setup: Box::new(|w, row| {
                let link = row.join("cache-link");
                std::os::unix::fs::symlink(row.join("gone"), &link).unwrap();
                attempt(
                    rpm(&w.tree, &w.out, &["--download-cache", &p(&link)]),
                    &[&w.tree, &w.out],
                )
            }),
            code: 1,
            says: "which does not exist: make that directory, or name another with --download-cache DIR",
            engine: false,
        },
        Row {
            name: "--offline with an empty download cache",
            setup: Box::new(|w, row| {
                attempt(
                    rpm(
                        &w.tree,
                        &w.out,
                        &["--offline", "--download-cache", &p(&row.join("empty"))],
                    ),
                    &[&w.tree, &w.out],
                )
            }),
            code: 1,
            says: "--offline, and the download cache",
            engine: false,
        },
        Row {
            name: "--offline with sounds the cache does not hold",
            setup: Box::new(|w, row| {
                // A cache of its own, with pjproject and libjwt in it and no sounds.
                let cache = row.join("cache");
                seed_downloads(&cache);
                let cache = p(&cache);
                let more = [
                    "--offline",
                    "--sounds",
                    "MOH-OPSOUND-WAV",
                    "--download-cache",
                    &cache,
                ];
                attempt(rpm(&w.tree, &w.out, &more), &[&w.tree, &w.out])
            }),
            code: 1,
            says: "lacks asterisk-moh-opsound-wav-2.03.tar.gz.sha1 from https://sounds.invalid/",
            engine: false,
        },
        Row {
            name: "--sounds naming a set the tree does not know",
            setup: Box::new(|w, _| {
                attempt(
                    rpm(&w.tree, &w.out, &["--sounds", "CORE-SOUNDS-KLINGON-GSM"]),
                    &[&w.tree, &w.out],
                )
            }),
            code: 1,
            says: "--sounds CORE-SOUNDS-KLINGON-GSM is not a sound set of this tree",
            engine: false,
        },
        Row {
            name: "a tree whose pjproject checksum file is gone",
            setup: Box::new(|w, row| {
                let tree = copy_of(&w.tree, row);
                std::fs::remove_file(tree.join("third-party/pjproject/pjproject-2.17.tar.bz2.md5"))
                    .unwrap();
                attempt(rpm(&tree, &row.join("o"), &[]), &[&tree])
            }),
            code: 1,
            says: "the tree does not say how to fetch pjproject",
            engine: false,
        },
        Row {
            name: "--out naming a file",
            setup: Box::new(|w, row| {
                let file = row.join("a-file");
                std::fs::write(&file, "mine").unwrap();
                attempt(rpm(&w.tree, &file, &[]), &[&file])
            }),
            code: 1,
            says: "is not a directory: choose a directory with --out",
            engine: false,
        },
        Row {
            name: "--out under a file",
            setup: Box::new(|w, row| {
                let file = row.join("a-file");
                std::fs::write(&file, "mine").unwrap();
                attempt(rpm(&w.tree, &file.join("rpm"), &[]), &[&file])
            }),
            code: 1,
            says: "a-file is not a directory: choose another --out",
            engine: false,
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
            engine: false,
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
            engine: false,
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
            engine: false,
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
            engine: false,
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
            engine: false,
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
            engine: false,
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
            engine: false,
        },
    ]
}
