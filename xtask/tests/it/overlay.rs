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
    ".github/workflows/XtaskPackages.yml",
    ".github/workflows/XtaskPackagesPR.yml",
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

/// The major version of each `uses: owner/action@vN` in a workflow.
fn action_majors(text: &str) -> Vec<(String, u32)> {
    text.lines()
        .filter_map(|l| l.trim().strip_prefix("uses: "))
        .filter_map(|u| u.split_once("@v"))
        .filter_map(|(a, v)| Some((a.to_string(), v.split('.').next()?.parse().ok()?)))
        .collect()
}

#[test]
fn the_workflow_is_one_upstream_can_call() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("..");
    let read = |f: &str| std::fs::read_to_string(root.join(".github/workflows").join(f)).unwrap();
    let reusable = read("XtaskPackages.yml");
    let caller = read("XtaskPackagesPR.yml");
    // Reusable, with the inputs callers choose; the caller runs on a label and by hand only.
    assert!(
        reusable.contains("\non:\n  workflow_call:\n    inputs:\n"),
        "not reusable"
    );
    for input in ["distributions:", "unit_tests:", "image:"] {
        assert!(
            reusable.contains(&format!("\n      {input}\n")),
            "no input {input}"
        );
    }
    assert!(caller.contains("uses: ./.github/workflows/XtaskPackages.yml"));
    assert!(caller.contains("  pull_request:\n    types: [labeled]\n"));
    assert!(caller.contains("\n  workflow_dispatch:\n"));
    // Another label cancels nothing: the label is part of the concurrency group.
    assert!(caller.contains("-${{ github.event.label.name || github.event_name }}"));
    for trigger in ["\n  push:", "synchronize", "pull_request_target"] {
        assert!(
            !caller.contains(trigger) && !reusable.contains(trigger),
            "{trigger}"
        );
    }
    // The distributions supported today; none past its end of life.
    for base in [
        "almalinux:8\"",
        "almalinux:9\"",
        "almalinux:10\"",
        "registry.fedoraproject.org/fedora:44\"",
    ] {
        assert!(reusable.contains(base), "{base}");
    }
    for gone in [
        "fedora:41",
        "fedora:40",
        "fedora:39",
        "centos:7",
        "almalinux:7",
    ] {
        assert!(!reusable.contains(gone), "{gone}");
    }
    // Action versions at least upstream's (asterisk-ci-actions uses upload-artifact v7,
    // github-script v8) and the current checkout and cache.
    let least = [
        ("actions/checkout", 6),
        ("actions/cache", 5),
        ("actions/cache/restore", 5),
        ("actions/cache/save", 5),
        ("actions/upload-artifact", 7),
    ];
    let used = action_majors(&reusable);
    assert!(used.len() >= 6, "{used:?}");
    for (action, major) in &used {
        let want = least.iter().find(|(a, _)| a == action).unwrap_or_else(|| {
            panic!("{action}: not an action this test knows the current major of")
        });
        assert!(*major >= want.1, "{action}@v{major} is behind v{}", want.1);
    }
    // The builder image is restored by its content and saved only when it was built; ccache is
    // keyed per branch, restored by prefix and capped.
    assert!(reusable.contains("key: xtask-builder-${{ matrix.name }}-${{ steps.base.outputs.id }}-${{ hashFiles('contrib/docker/Dockerfile.builder', 'contrib/rpm/asterisk.spec') }}"));
    assert!(reusable.contains("docker load -q -i"));
    assert!(reusable.contains("if: steps.builder.outputs.cache-hit != 'true'"));
    assert!(reusable.contains("key: xtask-ccache-${{ matrix.name }}-${{ env.BRANCH }}-"));
    assert!(!reusable.contains("github.sha"), "a cache keyed per commit");
    assert!(reusable.contains("max_size = %s"));
    // The version needs the tags.
    assert!(reusable.contains("fetch-tags: true"));
}
