//! `cargo xtask doctor` on this machine, and on the same machine with parts taken away: a PATH
//! without rpmbuild, a docker CLI without BuildKit.

use crate::support::*;

#[test]
fn doctor_says_what_is_missing_and_how_to_fix_it() {
    let dir = scratch("doctor");
    let target = dir.join("target");
    // A PATH with the usual tools but rpmbuild, and a docker 28 client without buildx in front
    // of whatever engine this machine has.
    let bin = dir.join("bin");
    std::fs::create_dir_all(&bin).unwrap();
    for tool in ["sh", "rpm", "git", "curl", "cat", "uname", "id"] {
        if let Ok(path) = which(tool) {
            std::os::unix::fs::symlink(path, bin.join(tool)).unwrap();
        }
    }
    let real = std::env::var("CONTAINER_ENGINE").unwrap_or_else(|_| "/usr/bin/docker".into());
    std::fs::write(
        bin.join("docker"),
        format!(
            "#!/bin/sh\ncase \"$1 $2\" in\n  'buildx version') exit 1 ;;\n  'version --format') case \"$3\" in *Client*) echo 28.2.2; exit 0 ;; esac ;;\nesac\nexec {real} \"$@\"\n"
        ),
    )
    .unwrap();
    sh(&bin, "chmod +x docker");
    let path = bin.to_str().unwrap();
    let docker = bin.join("docker");
    let run = xtask(
        &["doctor"],
        &target,
        &[
            ("PATH", path),
            ("CONTAINER_ENGINE", docker.to_str().unwrap()),
        ],
    );
    assert_eq!(run.code, Some(1), "{}{}", run.stdout, run.stderr);
    let line = |item: &str| {
        run.stdout
            .lines()
            .find(|l| l.split_whitespace().nth(1) == Some(item))
            .unwrap_or_else(|| panic!("no {item} line:\n{}", run.stdout))
            .to_string()
    };
    let os_release = std::fs::read_to_string("/etc/os-release").unwrap_or_default();
    let debian = os_release.contains("ID=debian");
    let debian12 = debian && os_release.contains("VERSION_ID=\"12\"");
    let ci = std::env::var("CI").is_ok_and(|v| v == "true");
    // CI runs on Debian 12 with an engine: what this test checks there must be checked.
    assert!(
        !ci || debian12,
        "CI=true, but this is not Debian 12:\n{os_release}"
    );
    let rpmbuild = line("rpmbuild");
    assert!(rpmbuild.starts_with("MISSING "), "{rpmbuild}");
    if debian {
        assert!(
            rpmbuild.contains("apt-get install rpm; needed by cargo xtask rpm --native"),
            "{rpmbuild}"
        );
    }
    assert!(line("rpm").starts_with("ok "), "{}", run.stdout);
    assert!(line("disk").starts_with("ok "), "{}", run.stdout);
    // The SBOM's unpacking tools are not on this PATH either.
    for tool in ["rpm2cpio", "cpio"] {
        assert!(line(tool).starts_with("MISSING "), "{}", run.stdout);
    }
    // Only when the engine answers is BuildKit asked about.
    assert!(!ci || line("engine").starts_with("ok "), "{}", run.stdout);
    if line("engine").starts_with("ok ") {
        let buildkit = line("buildkit");
        assert!(buildkit.starts_with("MISSING "), "{buildkit}");
        if debian12 {
            // Debian 12 has no docker-buildx package: the fix is its own docker.io.
            assert!(
                buildkit.contains("Debian 12 has no docker-buildx package")
                    && buildkit.contains("/usr/bin/docker"),
                "{buildkit}"
            );
        }
    }
    let error = run.error();
    assert!(
        error.starts_with("error: this machine lacks what some commands need: rpmbuild"),
        "{error}"
    );
}

fn which(tool: &str) -> Result<std::path::PathBuf, ()> {
    std::env::var("PATH")
        .unwrap_or_default()
        .split(':')
        .map(|d| std::path::Path::new(d).join(tool))
        .find(|p| p.is_file())
        .ok_or(())
}
