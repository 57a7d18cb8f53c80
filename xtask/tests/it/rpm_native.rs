//! `cargo xtask rpm --native` end to end: the real binary, the real rpmbuild, copies of the
//! sample tree made into git repositories.

use std::path::Path;

use crate::support::*;

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
    std::fs::write(home.join(".asterisk.makeopts"), "MENUSELECT_RES=res_mini\n").unwrap();
    let run = must(xtask(
        &native_rpm_args(&tree, &out),
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
    // The main package, -devel, and the subpackages of the sample tree's libraries and
    // voicemail variants: odbc, pjsip, postgresql, voicemail-odbc, voicemail-plain.
    assert_eq!(
        kinds,
        [
            "rpm",
            "rpm",
            "rpm",
            "rpm",
            "rpm",
            "rpm",
            "rpm",
            "srpm",
            "source",
            "build-info",
            "build-info",
            "build-info",
            "sbom",
            "sbom"
        ],
        "{manifest}"
    );
    for (path, _, sha) in &artifacts {
        let got = sh(&out, &format!("sha256sum '{path}'"));
        assert!(got.starts_with(sha.as_str()), "{path}: {got} vs {sha}");
    }
    let rpm_path = main_rpm(&manifest);

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
    must(xtask(&native_rpm_args(&tree, &out), &target, &[]));
    let second = sh(&out, &format!("sha256sum < '{archive}'"));
    assert_eq!(first, second, "two runs gave different archives");
    std::fs::remove_dir_all(&dir).unwrap();
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
    let run = must(xtask(&native_rpm_args(&tree, &out), &target, &[]));
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
    let run = xtask(&dry_run_args(&tree), &target, &[]);
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
            "find -L '{}' -name libasteriskssl.so.1 | head -n 1",
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
    // The tree had uncommitted changes, so the build was incremental: its kept directory is
    // marked as unfinished, and the next run builds it afresh, and well.
    assert!(stderr.contains("incremental: yes"), "{stderr}");
    sh(&tree, "rm .slow-build && echo '/* resumed */' >> README.md");
    let again = must(xtask(&args, &target, &[]));
    assert!(
        again
            .stderr
            .contains("(the last build there did not finish)"),
        "{}",
        again.stderr
    );
    std::fs::remove_dir_all(&dir).unwrap();
}

#[test]
fn the_srpm_rebuilds_with_no_network_and_no_defines() {
    let dir = scratch("srpm-offline");
    let tree = git_tree(&dir);
    let out = dir.join("out");
    must(xtask(
        &native_rpm_args(&tree, &out),
        &dir.join("target"),
        &[],
    ));
    let srpm = sh(&out, "ls SRPMS/*.src.rpm");
    // A network namespace of its own, with no interface up: nothing can be downloaded.
    let top = dir.join("rebuild");
    sh(
        &dir,
        &format!(
            "unshare --map-root-user --net sh -c 'ip link set lo down 2>/dev/null; rpmbuild --rebuild --nodeps \
             --define \"_topdir {}\" {}' >/dev/null",
            top.display(),
            out.join(srpm.trim()).display()
        ),
    );
    let files = sh(
        &top,
        "rpm -qpl --nosignature $(ls RPMS/x86_64/asterisk-pjsip-[0-9]*.rpm)",
    );
    assert!(files.contains("res_pjsip_mini.so"), "{files}");
}

/// An unchanged tree with the same options is up to date: nothing is built, and it says what it
/// compared; a change, other options, a missing output or --force build again.
#[test]
fn an_unchanged_tree_is_up_to_date() {
    let dir = scratch("up-to-date");
    let tree = git_tree(&dir);
    let target = dir.join("target");
    let out = dir.join("out");
    must(xtask(&native_rpm_args(&tree, &out), &target, &[]));
    let manifest = std::fs::read_to_string(out.join("manifest.json")).unwrap();

    let again = must(xtask(&native_rpm_args(&tree, &out), &target, &[]));
    assert!(again.stderr.contains(&format!("up to date: {} holds this build's packages (compared: source archive, spec, version, bundled sources, sound sets, options, signing key, builder and xtask)", out.display())), "{}", again.stderr);
    assert!(
        !again.stderr.contains("%build"),
        "it built: {}",
        again.stderr
    );
    assert_eq!(
        std::fs::read_to_string(out.join("manifest.json")).unwrap(),
        manifest
    );

    let mut args = native_rpm_args(&tree, &out);
    args.extend(["--disable", "app_hello"]);
    let other = must(xtask(&args, &target, &[]));
    assert!(
        other
            .stderr
            .contains("holds other outputs (different: options)"),
        "{}",
        other.stderr
    );
    must(xtask(&native_rpm_args(&tree, &out), &target, &[]));

    // A byte of a published package changed (the size the same): not this build's any more.
    let main = out.join(main_rpm(
        &std::fs::read_to_string(out.join("manifest.json")).unwrap(),
    ));
    let mut bytes = std::fs::read(&main).unwrap();
    let at = bytes.len() / 2;
    bytes[at] ^= 1;
    std::fs::write(&main, &bytes).unwrap();
    let changed = must(xtask(&native_rpm_args(&tree, &out), &target, &[]));
    assert!(
        changed
            .stderr
            .contains("lacks or has changed 1 of its outputs"),
        "{}",
        changed.stderr
    );

    let rpm = manifest_artifacts(&std::fs::read_to_string(out.join("manifest.json")).unwrap())
        .into_iter()
        .find(|a| a.1 == "srpm")
        .unwrap()
        .0;
    std::fs::remove_file(out.join(&rpm)).unwrap();
    let missing = xtask(&native_rpm_args(&tree, &out), &target, &[]);
    // An output directory that lacks a file it lists is not up to date, and not quite ours
    // either: the build says so rather than replacing it.
    assert!(
        missing
            .stderr
            .contains("lacks or has changed 1 of its outputs")
            || missing.stderr.contains("not an earlier output"),
        "{}",
        missing.stderr
    );

    let fresh = dir.join("out2");
    must(xtask(&native_rpm_args(&tree, &fresh), &target, &[]));
    let mut args = native_rpm_args(&tree, &fresh);
    args.push("--force");
    let forced = must(xtask(&args, &target, &[]));
    assert!(!forced.stderr.contains("up to date"), "{}", forced.stderr);
    sh(&tree, "echo '/* edit */' >> main/asterisk.c");
    let changed = must(xtask(&native_rpm_args(&tree, &fresh), &target, &[]));
    assert!(
        changed
            .stderr
            .contains("holds other outputs (different: source archive, version)"),
        "{}",
        changed.stderr
    );

    // Another xtask (here the same one with a byte more: an update of it) builds again; the
    // one that built them is up to date again after.
    let other_xtask = dir.join("xtask-updated");
    let mut exe = std::fs::read(env!("CARGO_BIN_EXE_xtask")).unwrap();
    exe.push(0);
    std::fs::write(&other_xtask, exe).unwrap();
    std::fs::set_permissions(
        &other_xtask,
        std::os::unix::fs::PermissionsExt::from_mode(0o755),
    )
    .unwrap();
    let updated = must(xtask_at(
        &other_xtask,
        &native_rpm_args(&tree, &fresh),
        &target,
        &[],
    ));
    assert!(
        updated
            .stderr
            .contains("holds other outputs (different: xtask)"),
        "{}",
        updated.stderr
    );
    let manifest = std::fs::read_to_string(fresh.join("manifest.json")).unwrap();
    assert!(
        manifest_field(&manifest, "xtask").starts_with("0.1.0 "),
        "{manifest}"
    );
    let same = must(xtask_at(
        &other_xtask,
        &native_rpm_args(&tree, &fresh),
        &target,
        &[],
    ));
    assert!(same.stderr.contains("up to date"), "{}", same.stderr);

    // A compiler replaced in place (outside the package database, PATH the same) is another
    // builder.
    let bin = dir.join("bin");
    std::fs::create_dir_all(&bin).unwrap();
    let gcc = bin.join("gcc");
    std::fs::write(&gcc, "#!/bin/sh\nexec /usr/bin/gcc \"$@\"\n").unwrap();
    std::fs::set_permissions(&gcc, std::os::unix::fs::PermissionsExt::from_mode(0o755)).unwrap();
    let path = format!("{}:{}", bin.display(), std::env::var("PATH").unwrap());
    let env = [("PATH", path.as_str())];
    must(xtask(&native_rpm_args(&tree, &fresh), &target, &env));
    let unchanged = must(xtask(&native_rpm_args(&tree, &fresh), &target, &env));
    assert!(
        unchanged.stderr.contains("up to date"),
        "{}",
        unchanged.stderr
    );
    std::fs::write(
        &gcc,
        "#!/bin/sh\nexec /usr/bin/gcc -DANOTHER_COMPILER \"$@\"\n",
    )
    .unwrap();
    let replaced = must(xtask(&native_rpm_args(&tree, &fresh), &target, &env));
    assert!(
        replaced
            .stderr
            .contains("holds other outputs (different: builder)"),
        "{}",
        replaced.stderr
    );
}

/// `--out` naming a link: the outputs go where it points, and the link stays a link (a build
/// replaces the directory, never the user's link).
#[test]
fn a_linked_output_directory_gets_the_outputs_and_stays_a_link() {
    let dir = scratch("linked-out");
    let tree = git_tree(&dir);
    let target = dir.join("target");
    let real = dir.join("srv-out");
    must(xtask(&native_rpm_args(&tree, &real), &target, &[]));
    let link = dir.join("out-link");
    std::os::unix::fs::symlink(&real, &link).unwrap();
    sh(&tree, "echo '/* another */' >> main/asterisk.c");
    let run = must(xtask(&native_rpm_args(&tree, &link), &target, &[]));
    assert!(link.is_symlink(), "the link was replaced:\n{}", run.stderr);
    assert_eq!(std::fs::read_link(&link).unwrap(), real);
    let manifest = std::fs::read_to_string(real.join("manifest.json")).unwrap();
    assert!(
        manifest_field(&manifest, "release").contains("dirty"),
        "{manifest}"
    );
    // A link to nothing is said.
    let dangling = dir.join("dangling");
    std::os::unix::fs::symlink(dir.join("nowhere"), &dangling).unwrap();
    let run = xtask(&native_rpm_args(&tree, &dangling), &target, &[]);
    assert_eq!(run.code, Some(1), "{}", run.stderr);
    assert!(
        run.error().contains("is a link to nothing"),
        "{}",
        run.error()
    );
}

/// rpm expands macros in the file names it is given: an output directory whose name holds
/// `%(...)` is read and signed as it is named, and nothing in its name runs.
#[test]
fn an_output_directory_named_like_a_macro_runs_nothing() {
    let dir = scratch("out-macro");
    let tree = plain_tree(&dir, true);
    let target = dir.join("target");
    let marker = dir.join("ran");
    // (The command names the marker through the environment: a / would split the name.)
    let out = dir.join("o%(touch $XTASK_TEST_MARKER)");
    let env = [("XTASK_TEST_MARKER", marker.to_str().unwrap())];
    must(xtask(&native_rpm_args(&tree, &out), &target, &env));
    assert!(!marker.exists(), "a command in --out's name ran");
    let manifest = std::fs::read_to_string(out.join("manifest.json")).unwrap();
    assert!(!manifest_artifacts(&manifest).is_empty());
    // The image reads the same directory: its packages are found by their names as given.
    let main = sh(&out, "ls RPMS/x86_64/asterisk-[0-9]*.rpm");
    assert!(main.contains("asterisk-"), "{main}");
    assert!(!marker.exists());
}

/// A build on this host reads the system's rpm macros, never the user's `~/.rpmmacros`: a
/// `%dist` or `%vendor` there would change the packages (and "up to date" would not see it).
#[test]
fn the_users_rpmmacros_do_not_reach_the_packages() {
    let dir = scratch("rpmmacros");
    let tree = plain_tree(&dir, true);
    let target = dir.join("target");
    let home = dir.join("home");
    std::fs::create_dir_all(home.join(".config/rpm")).unwrap();
    let evil = "%dist .evil\n%vendor EvilCorp\n";
    std::fs::write(home.join(".rpmmacros"), evil).unwrap();
    std::fs::write(home.join(".config/rpm/macros"), evil).unwrap();
    // And the user's rpmrc, whose optflags would reach every compile.
    std::fs::write(
        home.join(".rpmrc"),
        "optflags: x86_64 -O2 -DXTASK_TEST_USERS_RPMRC\noptflags: amd64 -O2 -DXTASK_TEST_USERS_RPMRC\n",
    )
    .unwrap();
    let out = dir.join("out");
    let config = home.join(".config");
    let env = [
        ("HOME", home.to_str().unwrap()),
        ("XDG_CONFIG_HOME", config.to_str().unwrap()),
    ];
    let mut args = native_rpm_args(&tree, &out);
    args.retain(|a| *a != "-q");
    let run = must(xtask(&args, &target, &env));
    assert!(
        run.stdout.contains("gcc ") && !run.stdout.contains("XTASK_TEST_USERS_RPMRC"),
        "{}",
        run.stdout
    );
    let rpms = sh(&out, "ls RPMS/*/ SRPMS/");
    assert!(!rpms.contains(".evil"), "{rpms}");
    let vendor = sh(
        &out,
        "rpm -qp --nosignature --qf '%{VENDOR}\\n' RPMS/x86_64/asterisk-[0-9]*.rpm",
    );
    assert!(!vendor.contains("EvilCorp"), "{vendor}");
}

/// The tree's version goes into the spec (and the SRPM): one holding what rpm or a shell
/// would run is refused in one line, before anything is built, and nothing in it runs.
#[test]
fn a_version_that_rpm_or_a_shell_would_run_is_refused() {
    let dir = scratch("version-macro");
    let tree = plain_tree(&dir, true);
    let target = dir.join("target");
    let marker = dir.join("ran");
    std::fs::write(
        tree.join(".version"),
        "22.1.0%(touch $XTASK_TEST_MARKER)$(touch $XTASK_TEST_MARKER)\n",
    )
    .unwrap();
    let out = dir.join("out");
    let run = xtask(
        &native_rpm_args(&tree, &out),
        &target,
        &[("XTASK_TEST_MARKER", marker.to_str().unwrap())],
    );
    assert_eq!(run.code, Some(1), "{}", run.stderr);
    assert!(
        run.error().contains("holds '%', which rpm or the shell"),
        "{}",
        run.stderr
    );
    assert!(run.error().contains("fix .version"), "{}", run.stderr);
    assert!(!marker.exists() && !out.exists());
}

/// `cargo xtask` runs the xtask with cargo's own library directories in front of
/// LD_LIBRARY_PATH (the xtask's target directory, the toolchain's): they are not the user's, so
/// they make no other builder. A build so started and the binary run directly with the user's
/// value alone are the same build.
#[test]
fn cargos_library_paths_are_not_the_builds() {
    let dir = scratch("cargo-paths");
    let tree = git_tree(&dir);
    let target = dir.join("target");
    let out = dir.join("out");
    let exe_dir = Path::new(env!("CARGO_BIN_EXE_xtask")).parent().unwrap();
    let toolchain = dir.join("toolchains/stable");
    let cargo = toolchain.join("bin/cargo");
    let by_cargo = format!(
        "{0}:{0}/deps:{1}/lib/rustlib/x86_64-unknown-linux-gnu/lib:{1}/lib:/opt/xtask-user-lib",
        exe_dir.display(),
        toolchain.display()
    );
    let args = native_rpm_args(&tree, &out);
    must(xtask(
        &args,
        &target,
        &[
            ("CARGO", cargo.to_str().unwrap()),
            ("LD_LIBRARY_PATH", &by_cargo),
        ],
    ));
    let direct = must(xtask(
        &args,
        &target,
        &[("LD_LIBRARY_PATH", "/opt/xtask-user-lib")],
    ));
    let said = format!("{}{}", direct.stdout, direct.stderr);
    assert!(said.contains("up to date: "), "{said}");
    // The user's own value still counts: another one is another builder.
    let other = must(xtask(&args, &target, &[("LD_LIBRARY_PATH", "/opt/other")]));
    let said = format!("{}{}", other.stdout, other.stderr);
    assert!(said.contains("different: builder"), "{said}");
    std::fs::remove_dir_all(&dir).unwrap();
}
