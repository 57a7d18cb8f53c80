//! What a packager runs first: rpmlint on the spec, the SRPM and the RPMs, with the
//! configuration in the tree (contrib/rpm/asterisk-rpmlint.toml) that lists every accepted
//! finding and why (the same file covers real Asterisk master: checked there by hand, see the
//! notes). A new finding fails this test.

use std::path::{Path, PathBuf};
use std::process::Command;

use crate::support::*;

fn repo() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("..")
}

/// rpmlint, or None (said loudly; under CI it must be there: .ci/run installs it).
fn rpmlint() -> bool {
    if Command::new("rpmlint")
        .arg("--version")
        .output()
        .is_ok_and(|o| o.status.success())
    {
        return true;
    }
    cannot_run("rpmlint: it is not installed (apt-get install rpmlint)");
    false
}

/// rpmlint's summary line: (errors, warnings), and everything it printed.
fn lint(args: &[&str], files: &[PathBuf]) -> (u32, u32, String) {
    let out = Command::new("rpmlint")
        .args(args)
        .args(files)
        .output()
        .unwrap();
    let text = format!(
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    let summary = text
        .lines()
        .find(|l| l.contains(" errors, ") && l.contains(" warnings"))
        .unwrap_or_else(|| panic!("no summary from rpmlint:\n{text}"));
    let count = |what: &str| -> u32 {
        let before = &summary[..summary.find(what).unwrap()];
        before
            .rsplit(|c: char| !c.is_ascii_digit())
            .find(|w| !w.is_empty())
            .unwrap()
            .parse()
            .unwrap()
    };
    (count(" errors"), count(" warnings"), text)
}

#[test]
fn rpmlint_finds_nothing_it_has_not_been_told_of() {
    // The spec parses on its own, with no defines: placeholders, and %prep says how to build.
    let spec = repo().join("contrib/rpm/asterisk.spec");
    let parsed = Command::new("rpmspec")
        .arg("-P")
        .arg(&spec)
        .output()
        .unwrap();
    let text = String::from_utf8_lossy(&parsed.stdout);
    assert!(
        parsed.status.success(),
        "{}",
        String::from_utf8_lossy(&parsed.stderr)
    );
    assert!(
        String::from_utf8_lossy(&parsed.stderr).trim().is_empty(),
        "rpmspec -P warned"
    );
    assert!(text.contains("\nVersion:        0\n"), "{text}");
    assert!(text.contains("build it with cargo xtask rpm"), "{text}");
    if !rpmlint() {
        return;
    }
    let dir = scratch("rpmlint");
    let tree = git_tree(&dir);
    let out = dir.join("out");
    must(xtask(
        &native_rpm_args(&tree, &out),
        &dir.join("target"),
        &[],
    ));
    let mut files = vec![spec];
    for pattern in ["SRPMS/*.src.rpm", "RPMS/*/*.rpm"] {
        for f in sh(&out, &format!("ls {pattern}")).lines() {
            files.push(out.join(f));
        }
    }
    assert!(files.len() >= 4, "{files:?}");
    // The packages' source spec says where the bundled sources come from, and its changelog
    // names this build's version and release in plain text.
    let srpm_spec = sh(
        &out,
        "rpm2cpio SRPMS/*.src.rpm | cpio -i --quiet --to-stdout asterisk.spec",
    );
    assert!(
        srpm_spec.contains(
            "%global asterisk_pjproject_url https://third-party.invalid/pjproject/2.17\n"
        ),
        "{srpm_spec}"
    );
    let manifest = std::fs::read_to_string(out.join("manifest.json")).unwrap();
    let vr = format!(
        "{}-{}",
        manifest_field(&manifest, "version"),
        manifest_field(&manifest, "release")
    );
    assert!(
        srpm_spec.contains(&format!(
            "%changelog\n* Sat Aug 01 2026 Asterisk xtask maintainers <asterisk-xtask@localhost> - {vr}\n"
        )) || srpm_spec.contains(&format!("<asterisk-xtask@localhost> - {vr}\n")),
        "{srpm_spec}"
    );
    let license = sh(
        &out,
        "rpm -qp --nosignature --qf '%{LICENSE}' SRPMS/*.src.rpm",
    );
    assert_eq!(license, "GPL-2.0-only AND GPL-2.0-or-later AND MPL-2.0");

    let config = repo().join("contrib/rpm/asterisk-rpmlint.toml");
    let args = ["-c", config.to_str().unwrap()];
    let (errors, warnings, said) = lint(&args, &files);
    assert_eq!(
        (errors, warnings),
        (0, 0),
        "rpmlint found what no one accepted:\n{said}"
    );
    // Without the configuration the same files give findings: the test can fail.
    let (errors, warnings, _) = lint(&[], &files);
    assert!(errors > 0 && warnings > 0, "{errors} {warnings}");
    std::fs::remove_dir_all(&dir).unwrap();
}
