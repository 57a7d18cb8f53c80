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
    // A committed tree builds clean, in full, packaged in full, in the directory the next edit
    // builds on; uncommitted changes make it incremental by default, and the first edit is
    // already one on a kept directory (its version, and so the archive's name, changed:
    // nothing in the build names it, so configure and menuselect are reused).
    let committed = must(xtask(&args(&[]), &target, &[]));
    assert!(
        committed
            .stderr
            .contains("incremental: no (a committed tree): built in full in")
            && committed
                .stderr
                .contains("kept for the next edit's incremental build"),
        "{}",
        committed.stderr
    );
    assert!(
        !committed.stderr.contains("packaging: fast"),
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
        first.stderr.contains("the kept build directory in")
            && first.stdout.contains("xtask: configure: reused"),
        "{}\n{}",
        first.stderr,
        first.stdout
    );
    let built = compiled(&first);
    assert!(
        built.contains(&"main/asterisk.o".to_string())
            && !built.contains(&"res/res_mini.o".to_string()),
        "{built:?}"
    );
    assert!(
        first.stderr.contains("packaging: fast, for trying"),
        "{}",
        first.stderr
    );

    // One line in one module: one file laid, configure and menuselect reused, one module
    // compiled (and the core, whose build.h make_build_h writes every time, as Asterisk's).
    // The bundled tarballs in the kept directory keep their time (a newer copy would make
    // make unpack and build pjproject, and every module on it, again).
    let tarball_times = || {
        sh(
            &target,
            "stat -c '%n %Y' xtask/incremental/*/src/xtask-downloads/*.tar.* | sort",
        )
    };
    let before = tarball_times();
    assert!(before.contains("pjproject-2.17.tar.bz2"), "{before}");
    std::thread::sleep(std::time::Duration::from_millis(1100));
    sh(&tree, "echo '/* edit two */' >> res/res_mini.c");
    let second = must(xtask(&args(&[]), &target, &[]));
    assert_one_change_reused(&second);
    assert!(
        second.stdout.contains("xtask: menuselect: reused"),
        "{}",
        second.stdout
    );
    assert!(
        second.stdout.contains("xtask: modules left out: reused"),
        "{}",
        second.stdout
    );
    assert_eq!(tarball_times(), before);
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
        fourth
            .stderr
            .contains("(the last build there did not finish)"),
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

    // A new commit changes the version: nothing the kept directory's build reads names it
    // (the directory is entered by its own path, compiled-in paths name /usr/src/debug/asterisk),
    // so configure is reused there, and the modules left out are the same, for the same
    // reasons: res_mini_nosuch lacks nosuchlib, not the math library.
    sh(
        &tree,
        "git checkout -q configure.ac; git -c user.email=a@b -c user.name=n commit -qam edits; \
         echo '/* edit three */' >> res/res_mini.c",
    );
    let named = |run: &Run| {
        assert!(run.ok, "{}", run.stderr);
        std::fs::read_to_string(out.join("build/modules-left-out")).unwrap()
    };
    let before = named(&xtask(&args(&["--enable", "func_mini_math"]), &target, &[]));
    sh(
        &tree,
        "git -c user.email=a@b -c user.name=n commit -qam more; echo '/* edit four */' >> res/res_mini.c",
    );
    let run = xtask(&args(&["--enable", "func_mini_math"]), &target, &[]);
    assert!(
        run.stderr.contains("the kept build directory in"),
        "{}",
        run.stderr
    );
    assert!(
        run.stdout.contains("xtask: configure: reused"),
        "{}",
        run.stdout
    );
    let after = named(&run);
    assert_eq!(after, before);
    // The math library was found (and named by --enable): it is no reason, before or after.
    assert!(
        after.contains("res_mini_nosuch nosuchlib (a library this spec does not build with)\n"),
        "{after}"
    );
}

/// The change in OPS that takes back the deleted, renamed and moved sources.
const REVERT_SOURCES: usize = 11;

/// A change to the tree, as a shell script of step `n`.
type Op = (&'static str, fn(usize) -> String);

/// Every kind of change a contributor makes: edits of sources and headers, files added,
/// deleted, renamed, moved and relinked, the Makefile's flags changed, and reverts.
const OPS: [Op; 17] = [
    ("edit a module", |n| {
        let file = [
            "res/res_mini.c",
            "apps/app_hello.c",
            "funcs/func_mini_math.c",
            "main/asterisk.c",
        ][n % 4];
        format!("[ ! -f {file} ] || printf 'const char edit_{n}[] = \"{n}\";\\n' >> {file}")
    }),
    ("edit a header every module includes", |n| {
        format!("printf 'static const char header_{n}[] __attribute__((used)) = \"{n}\";\\n' >> include/asterisk.h")
    }),
    ("add an untracked file", |n| {
        format!("echo {n} > notes-{n}.txt")
    }),
    ("add a new header", |n| {
        format!("printf '#define MINI_EXTRA_{n} 1\\n' > include/asterisk/extra_{n}.h")
    }),
    ("delete an untracked file", |_| "rm -f notes-*.txt".into()),
    ("delete a tracked file nothing builds", |_| {
        "rm -f configs/samples/http.conf.sample".into()
    }),
    ("delete a module's source the Makefile lists", |_| {
        "rm -f res/res_mini.c".into()
    }),
    ("rename a module's source", |_| {
        "[ ! -f res/res_mini.c ] || mv res/res_mini.c res/res_mini2.c".into()
    }),
    ("move a source to another directory", |_| {
        "[ ! -f funcs/func_mini_math.c ] || mv funcs/func_mini_math.c apps/".into()
    }),
    ("point a link at another source", |_| {
        "ln -sfn ../res/res_pjsip_mini.c apps/app_hello_compat.c".into()
    }),
    ("change the Makefile's flags", |n| {
        format!("sed -i 's/^MINI_DEFINES=.*/MINI_DEFINES=-DMINI_TAG={n}/' Makefile")
    }),
    ("revert the moved and renamed sources", |_| {
        "rm -f res/res_mini2.c apps/func_mini_math.c; git checkout -q -- res funcs apps".into()
    }),
    ("revert the Makefile and the header", |_| {
        "git checkout -q -- Makefile include/asterisk.h".into()
    }),
    ("revert everything", |_| {
        "git checkout -q -- . && git clean -fdq -- .".into()
    }),
    (
        "turn a link to a directory into a directory, or back",
        |n| {
            // Under the link, a sample make installs: written through a stale link it would land
            // in configs/samples and in the packages.
            format!("if [ -L samples.d ]; then rm samples.d; mkdir samples.d; echo {n} > samples.d/extra.conf.sample; \
                 else rm -rf samples.d; ln -s configs/samples samples.d; fi")
        },
    ),
    ("turn a file into a directory, or back", |n| {
        format!(
            "if [ -d notes.d ]; then rm -rf notes.d; echo {n} > notes.d; \
                 else rm -f notes.d; mkdir notes.d; echo {n} > notes.d/{n}.txt; fi"
        )
    }),
    ("add a new source to a module directory", |n| {
        format!("printf '/*** MODULEINFO\\n\\t<support_level>extended</support_level>\\n ***/\\nint extra_{n};\\n' > res/res_extra_{n}.c")
    }),
];

/// The promise of incremental builds, as a property: after any sequence of changes, the
/// packages of an incremental build hold what a --clean build of the same tree holds (or both
/// builds fail). Over seeded random sequences that use every kind of change.
#[test]
fn incremental_builds_equal_clean_ones_after_any_sequence_of_changes() {
    let dir = scratch("incremental-property");
    let tree = git_tree(&dir);
    let target = dir.join("target");
    let seed: u64 = std::env::var("XTASK_PROPERTY_SEED")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(20261201);
    eprintln!("incremental property: seed {seed} (XTASK_PROPERTY_SEED)");
    // Every kind twice, in an order of the seed's (a small LCG: the same seed, the same run);
    // a change that breaks the build is taken back a step or two later, as a contributor does.
    let mut next = {
        let mut state = seed;
        move |below: usize| {
            state = state
                .wrapping_mul(6364136223846793005)
                .wrapping_add(1442695040888963407);
            (state >> 33) as usize % below
        }
    };
    let mut episodes: Vec<Vec<usize>> = Vec::new();
    for _ in 0..2 {
        for (op, (what, _)) in OPS.iter().enumerate() {
            match *what {
                "delete a module's source the Makefile lists"
                | "rename a module's source"
                | "move a source to another directory" => episodes.push(vec![op, REVERT_SOURCES]),
                _ if op == REVERT_SOURCES => {}
                _ => episodes.push(vec![op]),
            }
        }
    }
    for i in (1..episodes.len()).rev() {
        episodes.swap(i, next(i + 1));
    }
    let mut order = Vec::new();
    for mut episode in episodes {
        if episode.len() == 2 && next(2) == 0 {
            // Something else happens before the breakage is taken back.
            episode.insert(1, next(3));
        }
        order.extend(episode);
    }
    let (mut kept, mut fresh, mut failed) = (0, 0, 0);
    let mut done = Vec::new();
    for (n, op) in order.into_iter().enumerate() {
        let (what, script) = OPS[op];
        sh(&tree, &script(n));
        done.push(what);
        let build = |more: &[&str], out: &str| {
            let out = dir.join(out);
            let mut args = native_rpm_args(&tree, &out);
            args.extend(more);
            xtask(&args, &target, &[])
        };
        let incremental = build(&[], "incremental");
        let clean = build(&["--clean"], "clean");
        let context = format!(
            "after {done:?}:\nincremental:\n{}\nclean:\n{}",
            incremental.stderr, clean.stderr
        );
        assert_eq!(incremental.ok, clean.ok, "one build failed: {context}");
        // A dry run now says what a run would: up to date after a build, a build after a
        // failure (what is published is the last tree that built).
        let dry = must(build(&["--dry-run"], "incremental"));
        assert_eq!(
            dry.stderr.contains("up to date: "),
            incremental.ok,
            "the dry run after {done:?}:\n{}",
            dry.stderr
        );
        if !incremental.ok {
            assert!(
                incremental.stderr.contains("rpmbuild failed in %build"),
                "{context}"
            );
            failed += 1;
            continue;
        }
        assert_eq!(
            version_line(&incremental),
            version_line(&clean),
            "{context}"
        );
        assert_eq!(
            contents(&dir.join("incremental")),
            contents(&dir.join("clean")),
            "the packages differ: {context}"
        );
        if incremental.stderr.contains("the kept build directory in") {
            kept += 1;
        } else if incremental.stderr.contains("a fresh build directory in") {
            fresh += 1;
        }
    }
    eprintln!("incremental property: {kept} builds on the kept directory, {fresh} afresh, {failed} failed alike");
    // The run exercised each path: builds on a kept directory, fallbacks, failures.
    assert!(
        kept >= 6 && fresh >= 6 && failed >= 3,
        "{kept} kept, {fresh} fresh, {failed} failed"
    );
}

/// A file the build generates that the tree also holds (as `main/ast_expr2.c` is, when its
/// parser is rebuilt): a clean build packages what make makes of it from files all of one time,
/// and an incremental build, which would lay the tree's copy again newer than its sources or
/// have make write over it, starts afresh instead, and says why.
#[test]
fn a_file_the_build_writes_over_is_packaged_as_a_clean_build_packages_it() {
    let dir = scratch("incremental-rewritten");
    let tree = git_tree(&dir);
    let target = dir.join("target");
    let build = |out: &Path, more: &[&str]| {
        let mut a = native_rpm_args(&tree, out);
        a.retain(|w| *w != "-q");
        a.extend(more);
        must(xtask(&a, &target, &[]))
    };
    let same_as_clean = |out: &Path, step: &str| {
        let clean = dir.join(format!("clean-{step}"));
        build(&clean, &["--clean"]);
        assert_eq!(contents(out), contents(&clean), "{step}");
    };
    let out = dir.join("out");
    // The tree holds the documentation the build makes, with other content.
    sh(
        &tree,
        "echo '<docs>from the tree</docs>' > doc/core-en_US.xml; git add -f doc/core-en_US.xml; \
         GIT_COMMITTER_DATE='2026-08-07T10:00:00Z' git commit -q -m doc --date '2026-08-07T10:00:00Z'",
    );
    let committed = build(&out, &[]);
    assert!(
        committed.stderr.contains("kept for the next edit"),
        "{}",
        committed.stderr
    );
    // An edit the documentation does not depend on: the build's copy is not the tree's, which
    // make would keep if it were laid again.
    sh(&tree, "echo '/* one */' >> main/asterisk.c");
    let first = build(&out, &[]);
    assert!(
        first
            .stderr
            .contains("the last build wrote over doc/core-en_US.xml, a file of the tree"),
        "{}",
        first.stderr
    );
    same_as_clean(&out, "edit");
    // The tree's copy made what the build makes; then a new source it is made from: make writes
    // over it during an incremental build, which is made again in a fresh directory.
    let made = sh(
        &dir,
        &format!(
            "cat {}/target/xtask/incremental/*/src/doc/core-en_US.xml",
            dir.display()
        ),
    );
    std::fs::write(tree.join("doc/core-en_US.xml"), &made).unwrap();
    let second = build(&out, &[]);
    sh(&tree, "echo 'int x;' > apps/app_new.c");
    let third = build(&out, &[]);
    assert!(
        third.stderr.contains(
            "incremental: the build wrote over doc/core-en_US.xml, a file of the tree, which a clean build packages as the tree has it: building again in a fresh directory"
        ),
        "{}\n{}",
        second.stderr,
        third.stderr
    );
    same_as_clean(&out, "new source");
}

/// A build on this host depends on the host too: another state of it (here a library path
/// the linker reads; a -devel package installed or removed is the same) is another builder, so
/// the packages are not "up to date" and configure's findings are not reused.
#[test]
fn another_host_state_builds_afresh() {
    let dir = scratch("incremental-host");
    let tree = git_tree(&dir);
    let target = dir.join("target");
    let out = dir.join("out");
    sh(&tree, "echo '/* one */' >> main/asterisk.c");
    let args = native_rpm_args(&tree, &out);
    must(xtask(&args, &target, &[]));
    let again = must(xtask(&args, &target, &[]));
    assert!(again.stderr.contains("up to date:"), "{}", again.stderr);
    let lib = dir.join("lib");
    std::fs::create_dir_all(&lib).unwrap();
    let other = must(xtask(
        &args,
        &target,
        &[("LIBRARY_PATH", lib.to_str().unwrap())],
    ));
    assert!(!other.stderr.contains("up to date:"), "{}", other.stderr);
    assert!(
        other.stderr.contains("a fresh build directory") && other.stderr.contains("there was none"),
        "{}",
        other.stderr
    );
}

/// A generated file the tree ships beside its source (`main/ast_expr2.c` beside
/// `ast_expr2.y`), both of one time in the archive: a clean build leaves it as the tree has it,
/// and so does a build that lays the tree into a kept directory, whatever order it writes in.
#[test]
fn a_kept_directory_is_laid_as_an_archive_unpacks_all_of_one_time() {
    let dir = scratch("incremental-one-time");
    let tree = git_tree(&dir);
    let target = dir.join("target");
    // (apps/ is written before tests/: laid one by one, the source would be the newer.)
    sh(
        &tree,
        "printf 'v1\\n' > tests/gen.src; printf 'the tree s copy\\n' > apps/gen.txt; \
         printf '\\nall: apps/gen.txt\\napps/gen.txt: tests/gen.src\\n\\tsed s/^/made:/ $< > $@\\n\
         install: gen-install\\ngen-install:\\n\\t$(INSTALL) -D -m 644 apps/gen.txt \"$(DESTDIR)$(ASTDATADIR)/documentation/gen.txt\"\\n' >> Makefile; \
         git add -A; GIT_COMMITTER_DATE='2026-08-07T10:00:00Z' git commit -q -m gen --date '2026-08-07T10:00:00Z'",
    );
    let kept = dir.join("kept");
    let run = must(xtask(&native_rpm_args(&tree, &kept), &target, &[]));
    assert!(
        run.stderr.contains("kept for the next edit"),
        "{}",
        run.stderr
    );
    let clean = dir.join("clean");
    let mut args = native_rpm_args(&tree, &clean);
    args.push("--clean");
    must(xtask(&args, &target, &[]));
    assert_eq!(contents(&kept), contents(&clean));
    let shipped = sh(
        &clean,
        "rpm2cpio RPMS/x86_64/asterisk-[0-9]*.rpm | cpio -i --quiet --to-stdout ./var/lib/asterisk/documentation/gen.txt",
    );
    assert_eq!(shipped, "the tree s copy\n");
}

#[test]
fn a_failed_build_leaves_its_directory_good_to_build_on() {
    // An edit, a build whose recipe half writes its target and fails: the next build (the
    // failure gone) continues in the same directory, makes that target again, and packages
    // what a clean build packages. A build stopped by Ctrl-C, by contrast, starts afresh
    // (rpm_native's interrupt test).
    let dir = scratch("failed-kept");
    let tree = git_tree(&dir);
    let target = dir.join("target");
    let out = dir.join("out");
    let args = native_rpm_args(&tree, &out);
    must(xtask(&args, &target, &[]));
    sh(&tree, "echo '/* an edit */' >> res/res_mini.c");
    // A dry run says what the run does: incremental, in the kept directory, packaged fast.
    let mut dry = args.clone();
    dry.push("--dry-run");
    let said = must(xtask(&dry, &target, &[]));
    assert!(
        said.stderr
            .contains("incremental: yes (the tree has uncommitted changes")
            && said
                .stderr
                .contains("would lay the tree over the build directory")
            && said.stderr.contains("asterisk_fast_packaging 1")
            && said.stderr.contains("ASTERISK_XTASK_KEPT=/"),
        "{}",
        said.stderr
    );
    let failed = xtask(&args, &target, &[("MINI_HALF_WRITTEN", "1")]);
    assert!(!failed.ok, "{}", failed.stderr);
    assert!(
        failed.stderr.contains("doc/core-en_US.xml half written")
            && failed.stderr.contains("Deleting file 'doc/core-en_US.xml'")
            && failed.stderr.contains("stays good to build on"),
        "{}",
        failed.stderr
    );
    let again = must(xtask(&args, &target, &[]));
    assert!(
        again.stderr.contains("the kept build directory in")
            && !again.stderr.contains("a fresh build directory"),
        "{}",
        again.stderr
    );
    assert!(
        !compiled(&again).contains(&"main/asterisk.o".to_string()),
        "{:?}",
        compiled(&again)
    );
    let clean_out = dir.join("out-clean");
    let mut clean = native_rpm_args(&tree, &clean_out);
    clean.push("--clean");
    must(xtask(&clean, &target, &[]));
    assert_eq!(contents(&out), contents(&clean_out));
    let doc = sh(
        &out,
        "rpm2cpio RPMS/*/asterisk-[0-9]*.rpm | cpio -i --quiet --to-stdout '*core-en_US.xml'",
    );
    assert!(doc.contains("</docs>"), "{doc}");
}
