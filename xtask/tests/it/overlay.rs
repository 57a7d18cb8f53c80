//! These files drop into an Asterisk checkout: none of them may collide with a path Asterisk
//! has, and every file of this repository is either part of the overlay or named as this
//! repository's own (README.md, ARCHITECTURE.md, docs/, .gitignore, .ci/), as the README says.

use std::path::Path;
use std::process::Command;

/// What the README tells a user to copy into an Asterisk checkout.
const OVERLAY: &[&str] = &[
    "Cargo.toml",
    "Cargo.lock",
    ".cargo/",
    "xtask/",
    "contrib/rpm/",
    "contrib/docker/Dockerfile.builder",
    "contrib/docker/Dockerfile",
    "contrib/docker/image/",
    "tests/fixtures/mini-asterisk/",
    "tests/fixtures/downloads/",
    ".github/workflows/xtask-packages.yml",
];

/// This repository's own files, which an Asterisk checkout has its own of.
const REPOSITORY_ONLY: &[&str] = &[
    "README.md",
    "ARCHITECTURE.md",
    "docs/",
    ".gitignore",
    ".ci/",
];

/// Paths an Asterisk checkout has (master, 2026), where the overlay lands.
const ASTERISK_PATHS: &[&str] = &[
    ".gitignore",
    "README.md",
    "Makefile",
    "configure",
    "configure.ac",
    ".github/ISSUE_TEMPLATE/",
    ".github/workflows/CreateDocs.yml",
    ".github/workflows/IssueOpened.yml",
    ".github/workflows/NightlyAdmin.yml",
    ".github/workflows/NightlyTests.yml",
    ".github/workflows/OnPRAction.yml",
    ".github/workflows/Releaser.yml",
    ".github/workflows/WeeklyTests.yml",
    "contrib/docker/Dockerfile.asterisk",
    "contrib/docker/Dockerfile.packager",
    "contrib/docker/README.md",
    "contrib/docker/make-package.sh",
    "contrib/systemd/",
    "contrib/scripts/",
    "contrib/init.d/",
    "tests/CI/",
    "tests/keys/",
    "tests/Makefile",
    "tests/test_",
];

fn matches(path: &str, entry: &str) -> bool {
    if entry.ends_with('/') || entry.ends_with('_') {
        path.starts_with(entry)
    } else {
        path == entry
    }
}

#[test]
fn the_overlay_drops_into_asterisk_without_clobbering() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("..");
    let out = Command::new("git")
        .arg("-C")
        .arg(&root)
        .args(["ls-files", "--cached", "--others", "--exclude-standard"])
        .output()
        .unwrap();
    assert!(out.status.success(), "git ls-files failed");
    let files = String::from_utf8(out.stdout).unwrap();
    assert!(files.lines().any(|f| f == "xtask/Cargo.toml"), "{files}");
    for file in files.lines() {
        let in_overlay = OVERLAY.iter().any(|e| matches(file, e));
        let own = REPOSITORY_ONLY.iter().any(|e| matches(file, e));
        assert!(
            in_overlay || own,
            "{file} is neither in the overlay nor this repository's own: add it to both lists and the README"
        );
        if in_overlay {
            let clash = ASTERISK_PATHS.iter().find(|e| matches(file, e));
            assert!(
                clash.is_none(),
                "{file} would clobber Asterisk's {}",
                clash.unwrap()
            );
        }
    }
    let readme = std::fs::read_to_string(root.join("README.md")).unwrap();
    for entry in OVERLAY {
        assert!(
            readme.contains(entry),
            "the README's overlay list lacks {entry}"
        );
    }
}
