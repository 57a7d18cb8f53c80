//! The RPM Version and Release of an Asterisk version, ordered the way rpm orders them.
//!
//! | Asterisk version                     | Version                                   | Release          |
//! |--------------------------------------|-------------------------------------------|------------------|
//! | `22.10.1`                            | `22.10.1`                                 | `1`              |
//! | `23.5.0-rc1`, `22.0.0-pre1`          | `23.5.0~rc1`, `22.0.0~pre1`               | `1`              |
//! | `certified-22.8-cert4`               | `22.8+cert4`                              | `1`              |
//! | `GIT-22-22.0.0-pre1-541-g69535d4837` | `22.10.1^34466.20260806.69535d4837`       | `1`              |
//! | `GIT-master-f0c1c1a7b7`              | `24.0.0~~master^34483.20260806.f0c1c1a7b7` | `1`              |
//! | any of these, with uncommitted edits | the same                                  | `1.dirty.<time>` |
//!
//! Asterisk tags its releases on `releases/N` branches, so no release is reachable from the
//! branch a snapshot is made on. A snapshot's base is therefore the newest release *of its line*
//! that the repository knows and that was made no later than the snapshot's commit (reachable or
//! not): for branch `N` the newest `N.*` tag, for `certified/N.M` the newest `certified-N.M-*`,
//! for master (or any other mainline) the next major, `<newest major + 1>.0.0~~master`, which
//! sorts above every release made so far and below the next major's first pre-release. After
//! `^` come the commit's depth (ascending along a branch), its date and its hash, so a snapshot
//! sorts above its base, below the next release, and the same clean commit always gets the same
//! Version.

use anyhow::{bail, Result};

use super::snapshot::{snapshot_version, Snapshot};
use super::version::{release_rpm_version, UNKNOWN_VERSION};

/// An RPM Version and Release.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RpmVersion {
    pub version: String,
    pub release: String,
}

/// An RPM version with what it was derived from, for the user.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Derived {
    pub rpm: RpmVersion,
    /// What the Version is based on, in words; empty for a release.
    pub basis: String,
    /// Things the user should know (a shallow clone, no tags).
    pub notes: Vec<String>,
}

/// Maps an Asterisk version to an RPM Version/Release. `snapshot` is needed for `GIT-...`
/// versions; `dirty_stamp` (the source date as `YYYYMMDDHHMMSS`) marks uncommitted changes.
pub fn rpm_version(
    asterisk: &str,
    snapshot: Option<&Snapshot>,
    dirty_stamp: Option<&str>,
) -> Result<Derived> {
    let release = match dirty_stamp {
        Some(stamp) => format!("1.dirty.{stamp}"),
        None => "1".to_string(),
    };
    let (version, basis, notes) = if let Some(git) = asterisk.strip_prefix("GIT-") {
        let Some(snapshot) = snapshot else {
            bail!(
                "the version '{asterisk}' is a git snapshot's, but this tree has no git history to \
                 order it by: pass --rpm-version (and --rpm-release)"
            );
        };
        snapshot_version(git, snapshot)?
    } else if let Some(v) = release_rpm_version(asterisk) {
        (v, String::new(), Vec::new())
    } else if asterisk == UNKNOWN_VERSION {
        bail!(
            "make_version calls this tree '{UNKNOWN_VERSION}' (it has neither a .version file nor a \
             .git directory): pass --rpm-version (and --rpm-release), or write the release into .version"
        );
    } else {
        bail!(
            "cannot derive an RPM version from the Asterisk version '{asterisk}': \
             pass --rpm-version (and --rpm-release), or write the release into .version"
        );
    };
    Ok(Derived {
        rpm: RpmVersion { version, release },
        basis,
        notes,
    })
}

/// The RPM Version/Release: the overrides where given, else derived from the Asterisk version.
pub fn resolve_rpm_version(
    asterisk: &str,
    snapshot: Option<&Snapshot>,
    dirty_stamp: Option<String>,
    version_override: Option<&str>,
    release_override: Option<&str>,
) -> Result<Derived> {
    let mut derived = match version_override {
        Some(v) => Derived {
            rpm: RpmVersion {
                version: v.to_string(),
                release: match &dirty_stamp {
                    Some(stamp) => format!("1.dirty.{stamp}"),
                    None => "1".into(),
                },
            },
            basis: "--rpm-version".into(),
            notes: Vec::new(),
        },
        None => rpm_version(asterisk, snapshot, dirty_stamp.as_deref())?,
    };
    if let Some(r) = release_override {
        derived.rpm.release = r.to_string();
    }
    check_rpm_field("the RPM Version (--rpm-version)", &derived.rpm.version)?;
    check_rpm_field("the RPM Release (--rpm-release)", &derived.rpm.release)?;
    Ok(derived)
}

/// Whether rpm accepts `s` as a Version or Release: no `-`, `/`, `:`, no whitespace, not empty.
fn check_rpm_field(what: &str, s: &str) -> Result<()> {
    // The same rule as the flags', but a version derived from the tree is no usage error.
    crate::plan::flag::rpm_field(what, s).map_err(|u| anyhow::anyhow!(u.0))
}

/// The Release of a `--dev` build: it says dev, so it is never taken for a normal build.
pub fn dev_release(release: &str) -> String {
    match release.split('.').any(|p| p == "dev") {
        true => release.to_string(),
        // (`1.` given with --rpm-release: `1.dev`, not `1..dev`, which rpm refuses.)
        false => format!("{}.dev", release.trim_end_matches('.')),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn releases() {
        let cases = [
            ("22.10.1", Some("22.10.1")),
            ("23.5.0-rc1", Some("23.5.0~rc1")),
            ("22.0.0-pre1", Some("22.0.0~pre1")),
            ("23.0.0-beta2", Some("23.0.0~beta2")),
            ("certified-22.8-cert4", Some("22.8+cert4")),
            ("certified/18.9-cert4", Some("18.9+cert4")),
            ("certified-22.8-cert4-rc1", Some("22.8+cert4~rc1")),
            ("certified-22.8-cert1-pre1", Some("22.8+cert1~pre1")),
            ("22.10", Some("22.10")),
            ("master", None),
            ("22.10.1-foo1", None),
            ("22.10.1-rc1-x", None),
            ("certified-22.8", None),
        ];
        for (tag, want) in cases {
            assert_eq!(release_rpm_version(tag).as_deref(), want, "{tag}");
        }
        let got = rpm_version("22.10.1", None, Some("20261130083000")).unwrap();
        assert_eq!(got.rpm.version, "22.10.1");
        assert_eq!(got.rpm.release, "1.dirty.20261130083000");
    }

    #[test]
    fn what_cannot_be_ordered_is_refused() {
        let err = rpm_version(UNKNOWN_VERSION, None, None)
            .unwrap_err()
            .to_string();
        assert!(
            err.contains("--rpm-version") && err.contains(".git directory"),
            "{err}"
        );
        let err = rpm_version("GIT-master-abc", None, None)
            .unwrap_err()
            .to_string();
        assert!(err.contains("no git history"), "{err}");
        let err = rpm_version("master", None, None).unwrap_err().to_string();
        assert!(err.contains("--rpm-version"), "{err}");
    }

    #[test]
    fn overrides_win_and_are_checked() {
        let got = resolve_rpm_version("22.1.0", None, None, None, None).unwrap();
        assert_eq!(
            (got.rpm.version.as_str(), got.rpm.release.as_str()),
            ("22.1.0", "1")
        );
        let got = resolve_rpm_version(
            "UNKNOWN__and_probably_unsupported",
            None,
            None,
            Some("9.9"),
            Some("7"),
        )
        .unwrap();
        assert_eq!(
            (got.rpm.version.as_str(), got.rpm.release.as_str()),
            ("9.9", "7")
        );
        let got = resolve_rpm_version("x", None, Some("20261130000000".into()), Some("1.0"), None)
            .unwrap();
        assert_eq!(got.rpm.release, "1.dirty.20261130000000");
        let err = resolve_rpm_version("22.1.0", None, None, Some("1-2"), None).unwrap_err();
        assert!(
            err.to_string().contains("'-'") && err.to_string().contains("--rpm-version"),
            "{err}"
        );
        let err = resolve_rpm_version("22.1.0", None, None, None, Some("")).unwrap_err();
        assert!(err.to_string().contains("is empty"), "{err}");
        let err = resolve_rpm_version("UNKNOWN__and_probably_unsupported", None, None, None, None)
            .unwrap_err();
        assert!(err.to_string().contains("--rpm-version"), "{err}");
    }

    #[test]
    fn rpm_fields_are_checked() {
        for good in [
            "1",
            "22.8+cert4",
            "23.5.0~rc1^1.20260806.abc",
            "1.dirty.2026",
            "24.0.0~~master^1.2.a",
        ] {
            check_rpm_field("Version", good).unwrap();
        }
        for bad in ["", "23.5.0-rc1", "a/b", "1:2", "a b", "1\r"] {
            assert!(check_rpm_field("Version", bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn dev_releases_say_so() {
        for (release, want) in [
            ("1", "1.dev"),
            ("1.dirty.20261130T101010Z", "1.dirty.20261130T101010Z.dev"),
            ("3.dev", "3.dev"),
            ("1.devel", "1.devel.dev"),
            ("1.", "1.dev"),
        ] {
            assert_eq!(dev_release(release), want);
        }
    }
}
