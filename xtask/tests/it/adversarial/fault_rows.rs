//! Rows of faults: the environment, odd trees, builds that fail or would never end, and faults
//! that are tolerated with a warning.

use super::*;

pub fn rows() -> Vec<Row> {
    vec![
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
            engine: false,
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
            engine: false,
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
            engine: false,
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
            engine: false,
        },
        Row {
            name: "--rpm-version rpm does not accept",
            setup: Box::new(|w, _| {
                attempt(
                    rpm(&w.tree, &w.out, &["--rpm-version", "1-2"]),
                    &[&w.tree, &w.out],
                )
            }),
            code: 2,
            says: "the RPM Version (--rpm-version) '1-2' holds '-'",
            engine: false,
        },
        Row {
            name: "an empty --rpm-release",
            setup: Box::new(|w, _| {
                attempt(
                    rpm(&w.tree, &w.out, &["--rpm-release", ""]),
                    &[&w.tree, &w.out],
                )
            }),
            code: 2,
            says: "--rpm-release needs a value, and was given an empty one",
            engine: false,
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
            engine: false,
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
            engine: false,
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
            engine: false,
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
            engine: false,
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
            engine: false,
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
            engine: false,
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
            engine: false,
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
            engine: false,
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
            engine: false,
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
            engine: false,
        },
        // --- faults that are tolerated, and said -------------------------------------------
        Row {
            name: "a file dated in the future (clock skew) in a tree without git",
            setup: Box::new(|w, row| {
                let tree = copy_of(&w.plain, row);
                sh(
                    &tree,
                    "echo more >> README.md; touch -d '+2 days' README.md",
                );
                attempt(rpm(&tree, &row.join("o"), &["--dry-run"]), &[&tree])
            }),
            code: 0,
            says: "README.md's modification time is in the future",
            engine: false,
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
            engine: false,
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
            engine: false,
        },
        Row {
            name: "a staging directory left by a run that was killed",
            setup: Box::new(|w, row| {
                let out = out_copy(w, row);
                let stale = row.join(".out.staging-4000000");
                std::fs::create_dir_all(stale.join("RPMS")).unwrap();
                std::fs::write(stale.join(".cargo-xtask-staging"), "").unwrap();
                std::fs::write(stale.join("RPMS/x.rpm"), vec![0u8; 4096]).unwrap();
                // Not ours (no mark): kept, and the only name this row may leave beside out.
                std::fs::create_dir_all(row.join(".out.staging-4000001")).unwrap();
                // A real build, which publishes: only the tree must stay as it was.
                let mut a = attempt(rpm(&w.tree, &out, &["--rpm-version", "9.9"]), &[&w.tree])?;
                a.kept_beside.push(".out.staging-4000001".into());
                Some(a)
            }),
            code: 0,
            says: "left by a run that did not finish",
            engine: false,
        },
    ]
}
