//! `cargo xtask rpm --container` end to end with a real engine. No registry is reachable where
//! these run, so they build their own base images (Debian minbase + rpm + gcc + ccache) and pass
//! `--base-image` and `--nodeps` (Debian's rpm database does not know the BuildRequires names).

use std::path::Path;
use std::process::Command;
use std::time::{Duration, Instant};

use crate::support::*;

fn container_args<'a>(tree: &'a Path, out: &'a Path) -> Vec<&'a str> {
    vec![
        "rpm",
        "--container",
        "-q",
        "--base-image",
        BUILDER_BASE,
        "--nodeps",
        "--source",
        tree.to_str().unwrap(),
        "--out",
        out.to_str().unwrap(),
    ]
}

/// `name -> sorted file list` of every binary RPM in an output directory. Build-id links are
/// left out: they follow the binaries' bytes, which hold the build directory's path.
fn package_files(out: &Path) -> Vec<(String, String)> {
    let names = sh(out, "cd RPMS && find . -name '*.rpm' | LC_ALL=C sort");
    names
        .lines()
        .map(|name| {
            let files = sh(&out.join("RPMS"), &format!("rpm -qpl --nosignature '{name}' | grep -v '^/usr/lib/.build-id' | LC_ALL=C sort"));
            (name.to_string(), files)
        })
        .collect()
}

fn ccache_hits(run: &Run) -> u64 {
    let line = run
        .stderr
        .lines()
        .find(|l| l.starts_with("ccache: "))
        .unwrap_or_else(|| panic!("no ccache line:\n{}", run.stderr));
    line["ccache: ".len()..]
        .split(' ')
        .next()
        .and_then(|n| n.parse().ok())
        .unwrap_or(0)
}

#[test]
fn container_build_matches_native_reuses_its_builder_and_hits_ccache() {
    let Some(EngineFixture { engine }) = EngineFixture::get("container_build_matches_native")
    else {
        return;
    };
    let dir = scratch("container");
    let tree = git_tree(&dir);
    sh(&tree, "echo '/* local patch */' >> main/asterisk.c");
    let target = dir.join("target");
    let env = [("CONTAINER_ENGINE", engine.as_str())];

    let native_out = dir.join("native");
    must(xtask(&native_rpm_args(&tree, &native_out), &target, &env));
    let out = dir.join("out");
    let started = Instant::now();
    let first = must(xtask(&container_args(&tree, &out), &target, &env));
    let first_time = started.elapsed();
    assert!(
        first.stderr.contains("build: in a container"),
        "{}",
        first.stderr
    );
    assert!(
        first.stderr.contains("builder: asterisk-xtask-builder:"),
        "{}",
        first.stderr
    );

    // The same packages as the native build: names (so versions) and file lists.
    assert_eq!(package_files(&out), package_files(&native_out));
    let manifest = std::fs::read_to_string(out.join("manifest.json")).unwrap();
    assert!(manifest_field(&manifest, "builder").starts_with("container asterisk-xtask-builder:"));
    assert_eq!(
        manifest_field(&manifest, "version"),
        manifest_field(
            &std::fs::read_to_string(native_out.join("manifest.json")).unwrap(),
            "version"
        )
    );

    // The second run reuses the builder; a one-line patch hits the cache for the other files.
    sh(&tree, "echo '/* one more line */' >> main/asterisk.c");
    let started = Instant::now();
    let second = must(xtask(&container_args(&tree, &out), &target, &env));
    let second_time = started.elapsed();
    assert!(second.stderr.contains("(reused"), "{}", second.stderr);
    assert!(
        ccache_hits(&second) > 0,
        "no ccache hits on the second build:\n{}",
        second.stderr
    );
    eprintln!(
        "sample tree in the container: first build {first_time:?}, after a one-line patch {second_time:?} \
         ({} ccache hits)",
        ccache_hits(&second)
    );

    // --rebuild-builder builds it again; --no-ccache builds without the cache.
    let mut args = container_args(&tree, &out);
    args.extend(["--rebuild-builder", "--no-ccache"]);
    let third = must(xtask(&args, &target, &env));
    assert!(third.stderr.contains("(built in"), "{}", third.stderr);
    assert!(!third.stderr.contains("ccache:"), "{}", third.stderr);
    assert!([&first, &second, &third]
        .iter()
        .all(|r| containers_of(&engine, r).is_empty()));
    std::fs::remove_dir_all(&dir).unwrap();
}

#[test]
fn outputs_belong_to_the_invoking_user() {
    let Some(EngineFixture { engine }) = EngineFixture::get("outputs_belong_to_the_invoking_user")
    else {
        return;
    };
    let dir = scratch("owner");
    let tree = git_tree(&dir);
    let out = dir.join("out");
    let target = dir.join("target");
    sh(&dir, "chown -R 1000:1000 .");
    let docker_gid = sh(&dir, "getent group docker | cut -d: -f3 || true");
    let mut cmd = Command::new("setpriv");
    cmd.args(["--reuid=1000", "--regid=1000"]);
    match docker_gid.trim() {
        "" => cmd.arg("--clear-groups"),
        gid => cmd.arg(format!("--groups={gid}")),
    };
    cmd.arg(env!("CARGO_BIN_EXE_xtask"))
        .args(container_args(&tree, &out))
        .env("CARGO_TARGET_DIR", &target)
        .env("CONTAINER_ENGINE", &engine)
        .env("XDG_CACHE_HOME", test_cache_home())
        .env("HOME", &*dir);
    let result = cmd.output().unwrap();
    assert!(
        result.status.success(),
        "{}",
        String::from_utf8_lossy(&result.stderr)
    );
    let owners = sh(&out, "find . -exec stat -c '%u:%g %n' {} + | LC_ALL=C sort");
    assert!(owners.lines().count() >= 6, "{owners}");
    for line in owners.lines() {
        assert!(
            line.starts_with("1000:1000 "),
            "not owned by the invoking user: {line}\n{owners}"
        );
    }
    // The files inside the packages stay root's.
    let rpm = sh(&out, "ls RPMS/x86_64/asterisk-[0-9]*.rpm");
    let inside = sh(
        &out,
        &format!(
            "rpm -qp --nosignature --qf '[%{{FILEUSERNAME}}\\n]' {}",
            rpm.trim()
        ),
    );
    assert!(inside.lines().any(|u| u == "root"), "{inside}");
    assert!(!inside.lines().any(|u| u == "xtask"), "{inside}");
    std::fs::remove_dir_all(&dir).unwrap();
}

#[test]
fn ctrl_c_removes_the_container_and_publishes_nothing() {
    let Some(EngineFixture { engine }) = EngineFixture::get("ctrl_c_removes_the_container") else {
        return;
    };
    let dir = scratch("interrupt");
    let tree = git_tree(&dir);
    let out = dir.join("out");
    let target = dir.join("target");
    let env = [("CONTAINER_ENGINE", engine.as_str())];
    must(xtask(&container_args(&tree, &out), &target, &env));
    let good = tree_checksums(&out);

    // A leftover of a killed run (its pid is gone) is removed by the next run.
    let leftover_owner = format!("{}:4194303", hostname());
    sh(
        &dir,
        &format!(
            "{engine} run -d --label org.asterisk.xtask.build={leftover_owner} xtask-test/minbase:bookworm sleep 600 >/dev/null"
        ),
    );
    assert_eq!(build_containers(&engine, Some(&leftover_owner)).len(), 1);

    sh(&tree, "touch .slow-build");
    let mut child = spawn_xtask(
        &container_args(&tree, &out),
        &[
            ("CARGO_TARGET_DIR", target.to_str().unwrap()),
            ("CONTAINER_ENGINE", engine.as_str()),
        ],
    );
    let owner = wait_for_container(&engine, &mut child, "build");
    assert!(
        build_containers(&engine, Some(&leftover_owner)).is_empty(),
        "the leftover was not removed"
    );
    interrupt_and_check(&engine, child, &owner);
    assert_eq!(
        tree_checksums(&out),
        good,
        "an interrupted build changed the outputs"
    );
    std::fs::remove_dir_all(&dir).unwrap();
}

#[test]
fn engine_problems_get_one_line() {
    let dir = scratch("engine-errors");
    let tree = plain_tree(&dir, true);
    let target = dir.join("target");
    let src = tree.to_str().unwrap();

    let run = xtask(
        &[
            "rpm",
            "--container",
            "--source",
            src,
            "--engine",
            "/nonexistent/docker",
        ],
        &target,
        &[],
    );
    assert!(!run.ok);
    let line = run.error().lines().next().unwrap().to_string();
    assert!(
        line.contains("/nonexistent/docker") && line.contains("--native"),
        "{line}"
    );

    let stopped = [
        ("DOCKER_HOST", "unix:///nonexistent/docker.sock"),
        ("CONTAINER_ENGINE", "docker"),
    ];
    let run = xtask(&["rpm", "--container", "--source", src], &target, &stopped);
    assert!(!run.ok);
    let line = run.error().lines().next().unwrap().to_string();
    assert!(
        line.contains("does not answer") && line.contains("start it"),
        "{line}"
    );

    // With neither flag, a stopped engine falls back to this host's rpmbuild, and says so.
    let run = xtask(&["rpm", "--dry-run", "--source", src], &target, &stopped);
    assert!(run.ok, "{}", run.stderr);
    assert!(
        run.stderr.contains("building with this host's rpmbuild"),
        "{}",
        run.stderr
    );

    let run = xtask(
        &["rpm", "--native", "--container", "--source", src],
        &target,
        &[],
    );
    assert!(
        run.error()
            .contains("--native and --container exclude each other"),
        "{}",
        run.error()
    );
    assert_eq!(run.code, Some(2));
    std::fs::remove_dir_all(&dir).unwrap();
}

#[test]
fn the_bundled_stand_in_travels_in_the_srpm_which_rebuilds_offline() {
    let Some(EngineFixture { engine }) =
        EngineFixture::get("the_bundled_stand_in_travels_in_the_srpm_which_rebuilds_offline")
    else {
        return;
    };
    let dir = scratch("bundled");
    let tree = plain_tree(&dir, true);
    let target = dir.join("target");
    let env = [("CONTAINER_ENGINE", engine.as_str())];
    let args = |out: &Path, more: &[&str]| -> Vec<String> {
        let mut a: Vec<String> = container_args(&tree, out)
            .iter()
            .map(|s| s.to_string())
            .collect();
        a.retain(|s| s != "-q");
        a.extend(more.iter().map(|s| s.to_string()));
        a
    };
    let run_with = |a: Vec<String>, env: &[(&str, &str)]| {
        xtask(
            &a.iter().map(String::as_str).collect::<Vec<_>>(),
            &target,
            env,
        )
    };
    let pjsip = |rpm_dir: &Path| {
        sh(
            rpm_dir,
            "for rpm in RPMS/x86_64/*.rpm; do rpm -qpl --nosignature $rpm; done",
        )
        .contains("res_pjsip_mini.so")
    };

    // By default the tree's pjproject is bundled: from the download cache, into the SRPM.
    let out = dir.join("with");
    let run = must(run_with(args(&out, &[]), &env));
    assert!(
        run.stdout
            .contains("building the bundled pjproject 2.17 from Source1"),
        "{}",
        run.stdout
    );
    assert!(
        run.stderr.contains("bundled: pjproject 2.17"),
        "{}",
        run.stderr
    );
    assert!(pjsip(&out));
    let srpm = sh(&out, "ls SRPMS/*.src.rpm");
    let srpm = srpm.trim();
    let sources = sh(&out, &format!("rpm -qpl --nosignature {srpm}"));
    assert!(sources.contains("pjproject-2.17.tar.bz2"), "{sources}");
    // libjwt likewise (STIR/SHAKEN's), from the tree's third-party/libjwt.
    assert!(sources.contains("libjwt-1.15.3.tar.gz"), "{sources}");
    assert!(
        run.stdout
            .contains("building the bundled libjwt 1.15.3 from Source5"),
        "{}",
        run.stdout
    );
    // pjproject is libasteriskpj, in the main package; libjwt is linked into the modules that
    // need it, and the package holding them provides it: no module of the sample tree does.
    let provides = sh(
        &out,
        "rpm -qp --provides --nosignature $(ls RPMS/x86_64/asterisk-[0-9]*.rpm)",
    );
    assert!(provides.contains("bundled(pjproject) = 2.17"), "{provides}");
    let all = sh(&out, "rpm -qp --provides --nosignature RPMS/*/*.rpm");
    assert!(!all.contains("bundled(libjwt)"), "{all}");
    let manifest = manifest_json(&std::fs::read_to_string(out.join("manifest.json")).unwrap());
    assert_eq!(manifest["bundled"][0]["name"], "pjproject");
    assert_eq!(manifest["bundled"][0]["version"], "2.17");
    assert_eq!(manifest["bundled"][0]["file"], "pjproject-2.17.tar.bz2");
    assert_eq!(
        manifest["bundled"][0]["md5"],
        "3545c58cae4a3c9231eb3c87a2876e37"
    );

    // The SRPM rebuilds in the builder with no network and no --define: SIP included.
    let rebuild = dir.join("rebuild");
    std::fs::create_dir_all(&rebuild).unwrap();
    std::fs::copy(out.join(srpm), rebuild.join("asterisk.src.rpm")).unwrap();
    // `container <tag> <image id>`: the very image that built them.
    let builder = manifest["builder"]
        .as_str()
        .unwrap()
        .split_whitespace()
        .nth(2)
        .unwrap()
        .to_string();
    sh(
        &dir,
        &format!(
            "{engine} run --rm --network none -v {}:/r:z {builder} rpmbuild --rebuild --nodeps \
             --define '_topdir /r/top' /r/asterisk.src.rpm",
            rebuild.display()
        ),
    );
    assert!(
        pjsip(&rebuild.join("top")),
        "the offline rebuild lost the SIP modules"
    );

    // --without-pjproject: an explicit choice, said, and recorded with its reason.
    let out = dir.join("without");
    let run = must(run_with(args(&out, &["--without-pjproject"]), &env));
    assert!(
        run.stderr
            .contains("bundled: libjwt (built --without-pjproject"),
        "{}",
        run.stderr
    );
    assert!(!pjsip(&out));
    let manifest = manifest_json(&std::fs::read_to_string(out.join("manifest.json")).unwrap());
    assert_eq!(manifest["bundled"].as_array().unwrap().len(), 1);
    assert_eq!(manifest["bundled"][0]["name"], "libjwt");
    assert!(manifest["bundled_note"]
        .as_str()
        .unwrap()
        .contains("--without-pjproject"));

    // --offline with an empty cache: one line naming the file, its address and the fix.
    let empty = dir.join("empty-home");
    std::fs::create_dir_all(&empty).unwrap();
    let run = run_with(
        args(&dir.join("offline"), &["--offline"]),
        &[
            ("CONTAINER_ENGINE", engine.as_str()),
            ("XDG_CACHE_HOME", empty.to_str().unwrap()),
        ],
    );
    assert!(!run.ok);
    let line = run.error();
    assert!(
        line.contains("--offline")
            && line.contains("pjproject-2.17.tar.bz2 from https://")
            && line.contains("cargo xtask fetch"),
        "{line}"
    );
    assert!(!dir.join("offline").exists());
}

#[test]
fn a_remote_engine_gets_copies_not_mounts() {
    let Some(EngineFixture { engine }) =
        EngineFixture::get("a_remote_engine_gets_copies_not_mounts")
    else {
        return;
    };
    if Command::new("socat").arg("-V").output().is_err() {
        cannot_run("a_remote_engine_gets_copies_not_mounts: socat is not installed");
        return;
    }
    // The local engine behind a TCP endpoint: what the xtask sees is a remote engine, whose
    // machine does not have this one's files.
    let port = 23000 + std::process::id() % 2000;
    let mut proxy = Command::new("socat")
        .arg(format!("TCP-LISTEN:{port},bind=127.0.0.1,reuseaddr,fork"))
        .arg("UNIX-CONNECT:/var/run/docker.sock")
        .spawn()
        .unwrap();
    std::thread::sleep(Duration::from_millis(300));
    let dir = scratch("remote");
    let tree = git_tree(&dir);
    let target = dir.join("target");
    let host = format!("tcp://127.0.0.1:{port}");
    let env = [
        ("CONTAINER_ENGINE", engine.as_str()),
        ("DOCKER_HOST", host.as_str()),
    ];
    let out = dir.join("out");
    let run = xtask(&container_args(&tree, &out), &target, &env);
    let _ = proxy.kill();
    let _ = proxy.wait();
    let run = must(run);
    assert!(run.stderr.contains("copied, not mounted"), "{}", run.stderr);
    let commands: Vec<&str> = run.stderr.lines().filter(|l| l.starts_with("$ ")).collect();
    assert!(
        commands.iter().any(|c| c.contains(" create ")),
        "{commands:#?}"
    );
    assert!(
        !commands.iter().any(|c| c.contains(" -v /")),
        "a host path was mounted into a remote engine: {commands:#?}"
    );
    let native_out = dir.join("native");
    must(xtask(&native_rpm_args(&tree, &native_out), &target, &[]));
    assert_eq!(package_files(&out), package_files(&native_out));
    // The spec's record of the build came back too, and the container built the same modules
    // as this host did: the module set follows the spec, not the build root.
    for file in ["build/menuselect.makeopts", "build/modules-left-out"] {
        assert_eq!(
            std::fs::read_to_string(out.join(file)).unwrap(),
            std::fs::read_to_string(native_out.join(file)).unwrap(),
            "{file}"
        );
    }
    let modules = |dir: &Path| {
        manifest_json(&std::fs::read_to_string(dir.join("manifest.json")).unwrap())["modules"]
            .clone()
    };
    assert_eq!(modules(&out), modules(&native_out));
    assert!(containers_of(&engine, &run).is_empty());
    std::fs::remove_dir_all(&dir).unwrap();
}

/// `--ccache-dir DIR`: the cache in a host directory (what a CI cache keeps between runs), made
/// if missing, hit by the next build; not with --no-ccache.
#[test]
fn ccache_in_a_host_directory() {
    let Some(EngineFixture { engine }) = EngineFixture::get("ccache_in_a_host_directory") else {
        return;
    };
    let dir = scratch("ccache-dir");
    let tree = git_tree(&dir);
    let target = dir.join("target");
    let cache = dir.join("ci-cache/ccache");
    let env = [("CONTAINER_ENGINE", engine.as_str())];
    let run = |out: &str| {
        let out = dir.join(out);
        let mut args = container_args(&tree, &out);
        args.extend(["--ccache-dir", cache.to_str().unwrap(), "--verbose"]);
        must(xtask(&args, &target, &env))
    };
    let first = run("one");
    assert!(
        first
            .stderr
            .contains(&format!("ccache: in {}", cache.display())),
        "{}",
        first.stderr
    );
    assert!(
        first
            .stderr
            .contains(&format!("{}:/ccache:z", cache.display())),
        "{}",
        first.stderr
    );
    let files = sh(&cache, "find . -type f | wc -l")
        .trim()
        .parse::<u32>()
        .unwrap();
    assert!(files > 0, "nothing was cached in {}", cache.display());
    // Another tree's build hits it (the cache outlives the work directory).
    sh(&tree, "echo '/* another edit */' >> README.md");
    let second = run("two");
    assert!(ccache_hits(&second) > 0, "{}", second.stderr);

    let third = dir.join("three");
    let mut args = container_args(&tree, &third);
    args.extend(["--ccache-dir", cache.to_str().unwrap(), "--no-ccache"]);
    let clash = xtask(&args, &target, &env);
    assert_eq!(clash.code, Some(1), "{}", clash.stderr);
    assert!(
        clash
            .error()
            .contains("--no-ccache ask for opposite things"),
        "{}",
        clash.stderr
    );
}

/// The builder Dockerfile on EL9, EL8 and Fedora bases (the workflow's matrix): each enables
/// its own repositories (CRB, PowerTools, none) before installing rpm-build, ccache and the
/// BuildRequires. No EL or Fedora image can be had here: stand-ins with their os-release and a
/// dnf that writes down what it is asked.
#[test]
fn the_builder_enables_each_distributions_repositories() {
    let Some(EngineFixture { engine }) =
        EngineFixture::get("the_builder_enables_each_distributions_repositories")
    else {
        return;
    };
    let dir = scratch("builder-repos");
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("..");
    for (id, version, wants) in [
        ("almalinux", "9.6", "config-manager --set-enabled crb"),
        (
            "almalinux",
            "8.10",
            "config-manager --set-enabled powertools",
        ),
        ("fedora", "41", ""),
    ] {
        let base = format!(
            "xtask-test/fake-{id}-{}:{}",
            version.replace('.', "-"),
            std::process::id()
        );
        let stand_in = dir.join(format!("base-{id}-{version}"));
        std::fs::create_dir_all(&stand_in).unwrap();
        std::fs::write(
            stand_in.join("Dockerfile"),
            format!(
                "FROM xtask-test/minbase:bookworm\n\
                 RUN printf 'ID=\"{id}\"\\nVERSION_ID=\"{version}\"\\n' > /etc/os-release \
                  && printf '#!/bin/sh\\necho \"$*\" >> /dnf.log\\n' > /usr/local/bin/dnf && chmod +x /usr/local/bin/dnf\n"
            ),
        )
        .unwrap();
        sh(
            &stand_in,
            &format!("DOCKER_BUILDKIT=1 {engine} build -q -t {base} . >/dev/null"),
        );
        let context = dir.join(format!("builder-{id}-{version}"));
        std::fs::create_dir_all(&context).unwrap();
        std::fs::copy(
            root.join("contrib/docker/Dockerfile.builder"),
            context.join("Dockerfile"),
        )
        .unwrap();
        std::fs::copy(
            root.join("contrib/rpm/asterisk.spec"),
            context.join("asterisk.spec"),
        )
        .unwrap();
        let tag = format!("{base}-builder");
        sh(&context, &format!("DOCKER_BUILDKIT=1 {engine} build -q --build-arg BASE_IMAGE={base} -t {tag} . >/dev/null"));
        let log = sh(
            &dir,
            &format!("{engine} run --rm --entrypoint cat {tag} /dnf.log"),
        );
        let lines: Vec<&str> = log.lines().collect();
        match wants {
            "" => assert!(
                !log.contains("config-manager") && !log.contains("epel-release"),
                "{id}: {log}"
            ),
            enable => assert!(
                lines.contains(&enable)
                    && log.contains("install dnf-plugins-core epel-release")
                    && lines.contains(&"-y install epel-rpm-macros"),
                "{id} {version}: {log}"
            ),
        }
        assert!(
            lines.contains(&"-y install rpm-build ccache"),
            "{id}: {log}"
        );
        // EPEL's libraries only where EPEL is enabled.
        let builddep = match wants {
            "" => "-y builddep --define asterisk_rpm_version 0 /usr/share/asterisk-xtask/asterisk.spec",
            _ => "-y builddep --define asterisk_rpm_version 0 --define=asterisk_epel 1 /usr/share/asterisk-xtask/asterisk.spec",
        };
        assert!(lines.contains(&builddep), "{id}: {log}");
        let _ = std::process::Command::new(&engine)
            .args(["rmi", "-f", &tag, &base])
            .output();
    }
}

/// An incremental build in the container: the kept directory is mounted, only the change is
/// laid over it, configure is reused, and the packages match a clean build's.
#[test]
fn incremental_builds_in_the_container() {
    let Some(EngineFixture { engine }) = EngineFixture::get("incremental_in_the_container") else {
        return;
    };
    let dir = scratch("container-incremental");
    let tree = git_tree(&dir);
    let target = dir.join("target");
    let out = dir.join("out");
    let env = [("CONTAINER_ENGINE", engine.as_str())];
    // The committed tree's build keeps its directory: the first edit builds on it.
    let mut verbose = container_args(&tree, &out);
    verbose.retain(|a| *a != "-q");
    let committed = must(xtask(&verbose, &target, &env));
    assert!(
        committed
            .stderr
            .contains("kept for the next edit's incremental build"),
        "{}",
        committed.stderr
    );
    sh(&tree, "echo '/* edit one */' >> main/asterisk.c");
    let first = must(xtask(&verbose, &target, &env));
    assert!(
        first.stderr.contains("incremental: yes"),
        "{}",
        first.stderr
    );
    // (The edit and .version, whose make_version gained its M.)
    assert!(
        first.stderr.contains("the kept build directory in")
            && first.stderr.contains(": 2 files changed, 0 removed")
            && first.stdout.contains("xtask: configure: reused"),
        "{}\n{}",
        first.stderr,
        first.stdout
    );
    sh(&tree, "echo '/* edit two */' >> res/res_mini.c");
    let mut args = container_args(&tree, &out);
    args.retain(|a| *a != "-q");
    let second = must(xtask(&args, &target, &env));
    assert_one_change_reused(&second);
    assert!(
        second.stderr.contains("-v ") && second.stderr.contains(":/xtask-kept:"),
        "{}",
        second.stderr
    );
    let clean_out = dir.join("clean");
    let mut args = container_args(&tree, &clean_out);
    args.push("--clean");
    must(xtask(&args, &target, &env));
    assert_eq!(package_files(&out), package_files(&clean_out));
    assert!(containers_of(&engine, &second).is_empty());
}

/// The spec's BuildRequires are complete for a minimal build root (mock's and koji's hold
/// `@buildsys-build` alone): a stand-in "Fedora" base holds only Debian's equivalents of
/// `@buildsys-build`, and its `dnf` installs the Debian name of each package it is asked for, so
/// the builder Dockerfile's own `dnf builddep` of the spec makes the build root. The sample tree
/// (whose configure asks, as Asterisk's does, for a download utility even with the bundled
/// tarballs in the cache) builds there; with one BuildRequires taken out of the spec, it does not.
#[test]
fn a_build_root_of_the_specs_buildrequires_alone_builds_the_tree() {
    let Some(EngineFixture { engine }) = EngineFixture::get("build_root_of_buildrequires") else {
        return;
    };
    let dir = scratch("buildroot");
    let base = format!("xtask-test/buildsys-{}:44", std::process::id());
    let context = dir.join("base");
    std::fs::create_dir_all(&context).unwrap();
    // RPM name -> Debian packages. rpm-build is what the Dockerfile installs before builddep;
    // Fedora's gcc requires glibc-devel. The sample's stand-in modules link no real library, so
    // the -devel and -libs packages of the libraries are recorded and skipped; any other name the
    // spec asks for fails here until it is given its Debian name.
    std::fs::write(
        context.join("dnf"),
        r#"#!/bin/sh
set -eu
debian() {
    case "$1" in
        rpm-build) echo rpm debugedit file cpio xz-utils ;;
        ccache) echo ccache ;;
        gcc) echo gcc libc6-dev ;;
        gcc-c++) echo g++ ;;
        make) echo make ;;
        pkgconfig) echo pkgconf ;;
        curl) echo curl ;;
        bzip2) echo bzip2 ;;
        gzip) echo gzip ;;
        tar) echo tar ;;
        patch) echo patch ;;
        sed) echo sed ;;
        binutils) echo binutils ;;
        coreutils) echo coreutils ;;
        findutils) echo findutils ;;
        gawk) echo gawk ;;
        dnf-plugins-core|systemd-rpm-macros) ;;
        *-devel|*-libs) echo "$1" >> /skipped.log ;;
        *) echo "dnf stand-in: no Debian name for $1" >&2; exit 1 ;;
    esac
}
install() {
    pkgs=
    for name in "$@"; do pkgs="$pkgs $(debian "$name")"; done
    echo "$pkgs" >> /installed.log
    [ -n "${pkgs# }" ] || return 0
    apt-get update -q >/dev/null
    # shellcheck disable=SC2086
    DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends $pkgs >/dev/null
}
[ "$1" = -y ] && shift
case "$1" in
    install) shift; install "$@" ;;
    builddep)
        shift
        # dnf's and rpmspec's --define and spec arguments are the same.
        names=$(rpmspec -q --buildrequires "$@" | awk '{ print $1 }' | sort -u)
        echo "$names" > /buildrequires.log
        # shellcheck disable=SC2086
        install $names ;;
    clean) rm -rf /var/lib/apt/lists/* ;;
    *) echo "dnf stand-in: $*" >&2; exit 1 ;;
esac
"#,
    )
    .unwrap();
    // @buildsys-build's tools that Debian's minbase lacks (the rest it has).
    std::fs::write(
        context.join("Dockerfile"),
        "FROM xtask-test/minbase:bookworm\n\
         RUN apt-get update -q && DEBIAN_FRONTEND=noninteractive apt-get install -y -q \
             --no-install-recommends bzip2 cpio diffutils gawk patch unzip xz-utils \
          && rm -rf /var/lib/apt/lists/*\n\
         RUN printf 'ID=fedora\\nVERSION_ID=44\\n' > /etc/os-release\n\
         COPY dnf /usr/local/bin/dnf\n\
         RUN chmod +x /usr/local/bin/dnf && ! command -v curl && ! command -v wget && ! command -v gcc\n",
    )
    .unwrap();
    sh(
        &context,
        &format!("DOCKER_BUILDKIT=1 {engine} build -q --network host -t {base} . >/dev/null"),
    );
    let tree = plain_tree(&dir, true);
    let target = dir.join("target");
    let env = [("CONTAINER_ENGINE", engine.as_str())];
    let build = |out: &Path, spec: Option<&Path>| {
        let mut args = vec![
            "rpm",
            "--container",
            "--base-image",
            &base,
            "--nodeps",
            "--source",
            tree.to_str().unwrap(),
            "--out",
            out.to_str().unwrap(),
        ];
        if let Some(spec) = spec {
            args.extend(["--spec", spec.to_str().unwrap()]);
        }
        xtask(&args, &target, &env)
    };
    let builder_of = |run: &Run| {
        run.stderr
            .lines()
            .chain(run.stdout.lines())
            .find_map(|l| {
                l.split_whitespace()
                    .find(|w| w.starts_with("asterisk-xtask-builder"))
            })
            .map(|w| w.trim_end_matches([',', ':', ')']).to_string())
    };

    let out = dir.join("out");
    let run = must(build(&out, None));
    assert!(
        run.stdout.contains("building the bundled pjproject 2.17"),
        "{}",
        run.stdout
    );
    assert!(!package_files(&out).is_empty());
    let builder = builder_of(&run).unwrap_or_else(|| panic!("no builder named:\n{}", run.stderr));
    // The build root was made by the spec's BuildRequires: curl came from them.
    let asked = sh(
        &dir,
        &format!("{engine} run --rm --entrypoint cat {builder} /buildrequires.log"),
    );
    assert!(asked.lines().any(|l| l == "curl"), "{asked}");

    // Without `BuildRequires: curl`, configure stops where Asterisk's does.
    let spec = std::fs::read_to_string(
        Path::new(env!("CARGO_MANIFEST_DIR")).join("../contrib/rpm/asterisk.spec"),
    )
    .unwrap();
    let without: String = spec
        .lines()
        .filter(|l| l.split_whitespace().collect::<Vec<_>>() != ["BuildRequires:", "curl"])
        .map(|l| format!("{l}\n"))
        .collect();
    assert_ne!(
        without.len(),
        spec.len(),
        "the spec has no BuildRequires: curl"
    );
    let short = dir.join("without-curl.spec");
    std::fs::write(&short, without).unwrap();
    let out = dir.join("out-without-curl");
    let run = build(&out, Some(&short));
    assert!(!run.ok, "built without a download utility:\n{}", run.stderr);
    let all = format!("{}{}", run.stdout, run.stderr);
    assert!(
        all.contains("A download utility (wget, curl, or fetch) is required"),
        "{all}"
    );
    assert!(!out.join("RPMS").exists());
    let mut images = vec![base.clone(), builder];
    images.extend(builder_of(&run));
    let _ = Command::new(&engine)
        .arg("rmi")
        .arg("-f")
        .args(&images)
        .output();
}

/// The builder is its image, not its tag: packages built in one image are not "up to date" for
/// another image put behind the same tag (the manifest records the image's id).
#[test]
fn another_image_behind_the_builder_tag_is_another_builder() {
    let Some(EngineFixture { engine }) = EngineFixture::get("builder behind its tag") else {
        return;
    };
    let dir = scratch("builder-id");
    let tree = git_tree(&dir);
    let target = dir.join("target");
    let out = dir.join("out");
    let env = [("CONTAINER_ENGINE", engine.as_str())];
    // A base of this test's own, so that the builder tag it makes is this test's alone.
    let base = format!("xtask-test/builder-id:{}", std::process::id());
    let context = dir.join("base");
    std::fs::create_dir_all(&context).unwrap();
    std::fs::write(
        context.join("Dockerfile"),
        format!(
            "FROM {BUILDER_BASE}\nLABEL org.asterisk.xtask.test={}\n",
            std::process::id()
        ),
    )
    .unwrap();
    sh(
        &dir,
        &format!(
            "{engine} build -q -t {base} {} >/dev/null",
            context.display()
        ),
    );
    let mut args = container_args(&tree, &out);
    let at = args.iter().position(|a| *a == BUILDER_BASE).unwrap();
    args[at] = base.as_str();
    must(xtask(&args, &target, &env));
    let builder = manifest_field(
        &std::fs::read_to_string(out.join("manifest.json")).unwrap(),
        "builder",
    );
    let tag = builder.split_whitespace().nth(1).unwrap().to_string();
    let id = builder.split_whitespace().nth(2).unwrap().to_string();
    assert!(id.starts_with("sha256:"), "{builder}");
    let again = must(xtask(&args, &target, &env));
    assert!(again.stderr.contains("up to date"), "{}", again.stderr);

    // Another image under the builder's tag: the packages are built again, in it.
    let other = dir.join("other");
    std::fs::create_dir_all(&other).unwrap();
    std::fs::write(
        other.join("Dockerfile"),
        format!("FROM {tag}\nENV CFLAGS=-DOTHER_BUILDER\n"),
    )
    .unwrap();
    sh(
        &dir,
        &format!("{engine} build -q -t {tag} {} >/dev/null", other.display()),
    );
    let rebuilt = must(xtask(&args, &target, &env));
    assert!(
        rebuilt
            .stderr
            .contains("holds other outputs (different: builder)"),
        "{}",
        rebuilt.stderr
    );
    let now = manifest_field(
        &std::fs::read_to_string(out.join("manifest.json")).unwrap(),
        "builder",
    );
    assert_ne!(now, builder);
    let _ = std::process::Command::new(&engine)
        .args(["rmi", "-f", &tag, &base])
        .output();
    let volume = format!("asterisk-xtask-ccache-{}", tag.rsplit(':').next().unwrap());
    let _ = std::process::Command::new(&engine)
        .args(["volume", "rm", &volume])
        .output();
    std::fs::remove_dir_all(&dir).unwrap();
}
