//! Reproducible packages: the same tree gives the same bytes at another time, in another
//! directory, under another host name; `--check-reproducible` builds twice and names what differs.

use std::path::Path;

use crate::support::*;

fn package_bytes(out: &Path) -> Vec<(String, Vec<u8>)> {
    let mut found: Vec<(String, Vec<u8>)> = sh(out, "find RPMS SRPMS -name '*.rpm' | sort")
        .lines()
        .map(|p| (p.to_string(), std::fs::read(out.join(p)).unwrap()))
        .collect();
    found.sort();
    found
}

#[test]
fn the_same_tree_gives_the_same_packages_natively() {
    let dir = scratch("reproducible-native");
    let tree = git_tree(&dir);
    // Two builds, seconds apart, in two target directories, under two host names.
    let run = |n: &str| {
        let out = dir.join(format!("out-{n}"));
        let target = dir.join(format!("target-{n}"));
        let script = format!(
            "hostname host-{n} && exec '{}' rpm --native -q --source '{}' --out '{}'",
            env!("CARGO_BIN_EXE_xtask"),
            tree.display(),
            out.display()
        );
        let status = std::process::Command::new("unshare")
            .args(["--uts", "sh", "-c", &script])
            .env("CARGO_TARGET_DIR", &target)
            .env("XDG_CACHE_HOME", test_cache_home())
            .output()
            .unwrap();
        (out, status)
    };
    let (one, status) = run("one");
    if !status.status.success() && String::from_utf8_lossy(&status.stderr).contains("unshare") {
        // Under CI a test that cannot run fails: .ci/run runs as root, where unshare works.
        cannot_run("the reproducibility check: unshare --uts is not allowed here");
        return;
    }
    assert!(
        status.status.success(),
        "{}",
        String::from_utf8_lossy(&status.stderr)
    );
    std::thread::sleep(std::time::Duration::from_secs(2));
    let (two, status) = run("two");
    assert!(
        status.status.success(),
        "{}",
        String::from_utf8_lossy(&status.stderr)
    );
    let (a, b) = (package_bytes(&one), package_bytes(&two));
    // The SRPM, the main package, -devel and the five subpackages of the sample tree.
    assert_eq!(a.len(), 8);
    assert_eq!(
        a.iter().map(|p| &p.0).collect::<Vec<_>>(),
        b.iter().map(|p| &p.0).collect::<Vec<_>>()
    );
    for (name, _) in &a {
        // The SRPM records its spec as rpmbuild parsed it, with the build directory in it
        // (and each binary package names the SRPM's id): natively, the packages' bytes differ
        // across directories, but their files, metadata and payloads match; in the container
        // (one directory) every byte does (below).
        let listing = |out: &Path| {
            sh(out, &format!("rpm -qp --nosignature --qf '[%{{FILENAMES}} %{{FILEDIGESTS}} %{{FILEMTIMES}} %{{FILEMODES}}\\n]%{{BUILDHOST}} %{{BUILDTIME}}' '{name}'"))
        };
        assert_eq!(listing(&one), listing(&two), "{name}");
        if name.starts_with("RPMS/") {
            let payload = |out: &Path| sh(out, &format!("rpm2cpio '{name}' | sha256sum"));
            assert_eq!(payload(&one), payload(&two), "{name}'s payload");
        }
    }
    // The binary says who built it where and when, from fixed names and the source date.
    let rpm = &main_rpm(&std::fs::read_to_string(one.join("manifest.json")).unwrap());
    let strings = sh(
        &one,
        &format!("rpm2cpio '{rpm}' | cpio -i --quiet --to-stdout ./usr/sbin/asterisk | strings"),
    );
    assert!(
        strings.contains("asterisk-xtask-build") && !strings.contains("host-one"),
        "the build host leaked"
    );

    // In the same directory, later: byte for byte, and --check-reproducible says so.
    let target = dir.join("target-one");
    let out = dir.join("out-check");
    let mut args = native_rpm_args(&tree, &out);
    args.push("--check-reproducible");
    let run = must(xtask(&args, &target, &[]));
    assert!(
        run.stderr
            .contains("reproducible: the 8 packages of two builds are the same, byte for byte"),
        "{}",
        run.stderr
    );

    // Something that differs from build to build is named, and nothing is published.
    sh(&tree, "touch .not-reproducible");
    let out = dir.join("out-differs");
    let mut args = native_rpm_args(&tree, &out);
    args.push("--check-reproducible");
    let run = xtask(&args, &target, &[]);
    assert_eq!(run.code, Some(1), "{}", run.stderr);
    let error = run.error();
    assert!(
        error.starts_with("error: not reproducible: 1 of 8 packages differ between two builds of the same tree: RPMS/x86_64/asterisk-")
            && error.contains(": /var/lib/asterisk/documentation/build-id (content)"),
        "{error}"
    );
    assert!(
        !out.exists(),
        "a build that is not reproducible was published"
    );
}

#[test]
fn container_builds_are_the_same_under_another_host_name() {
    let Some(EngineFixture { engine }) =
        EngineFixture::get("container_builds_are_the_same_under_another_host_name")
    else {
        return;
    };
    let dir = scratch("reproducible-container");
    let tree = git_tree(&dir);
    let target = dir.join("target");
    let env = [("CONTAINER_ENGINE", engine.as_str())];
    let args = |out: &Path, spec: Option<&Path>| {
        let mut a: Vec<String> = [
            "rpm",
            "--container",
            "-q",
            "--base-image",
            BUILDER_BASE,
            "--nodeps",
            "--check-reproducible",
            "--source",
        ]
        .iter()
        .map(|s| s.to_string())
        .collect();
        a.extend([
            tree.display().to_string(),
            "--out".into(),
            out.display().to_string(),
        ]);
        if let Some(spec) = spec {
            a.extend(["--spec".into(), spec.display().to_string()]);
        }
        a
    };
    let out = dir.join("out");
    let a = args(&out, None);
    let run = must(xtask(
        &a.iter().map(String::as_str).collect::<Vec<_>>(),
        &target,
        &env,
    ));
    assert!(
        run.stderr
            .contains("in a container named asterisk-xtask-check"),
        "{}",
        run.stderr
    );
    assert!(
        run.stderr
            .contains("reproducible: the 8 packages of two builds are the same, byte for byte"),
        "{}",
        run.stderr
    );

    // Another build directory on this host (another target directory), later: the same bytes.
    std::thread::sleep(std::time::Duration::from_secs(1));
    let elsewhere = dir.join("out-elsewhere");
    let mut a = args(&elsewhere, None);
    a.retain(|w| w != "--check-reproducible");
    let kept = must(xtask(
        &a.iter().map(String::as_str).collect::<Vec<_>>(),
        &dir.join("target-elsewhere"),
        &env,
    ));
    // A committed tree's build keeps its directory for the next edit, and its SRPM is still a
    // clean build's (the kept directory is named in rpmbuild's environment, not in the spec).
    assert!(
        kept.stderr
            .contains("kept for the next edit's incremental build"),
        "{}",
        kept.stderr
    );
    assert_eq!(package_bytes(&out), package_bytes(&elsewhere));

    // Without the spec's wrappers, make_build_h writes the host name and the time into the
    // binary, and the check names it.
    let spec = dir.join("plain.spec");
    let text = std::fs::read_to_string(
        Path::new(env!("CARGO_MANIFEST_DIR")).join("../contrib/rpm/asterisk.spec"),
    )
    .unwrap();
    let without: String = text
        .lines()
        .filter(|l| !l.starts_with("export PATH=$PWD/xtask-reproducible"))
        .map(|l| format!("{l}\n"))
        .collect();
    assert_ne!(without, text);
    std::fs::write(&spec, without).unwrap();
    let out = dir.join("out-plain");
    let a = args(&out, Some(&spec));
    let run = xtask(
        &a.iter().map(String::as_str).collect::<Vec<_>>(),
        &target,
        &env,
    );
    assert_eq!(run.code, Some(1), "{}", run.stderr);
    let error = run.error();
    assert!(
        error.contains("/usr/sbin/asterisk (content)")
            && error.contains("/usr/include/asterisk/build.h (content)"),
        "{error}"
    );
    assert!(containers_of(&engine, &run).is_empty());
}
