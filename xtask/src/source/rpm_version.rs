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

use std::cmp::Ordering;

use anyhow::{bail, Result};

use super::version::UNKNOWN_VERSION;

/// An RPM Version and Release.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RpmVersion {
    pub version: String,
    pub release: String,
}

/// A tag of the repository and the commit time of what it points at.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Tag {
    pub name: String,
    pub commit_time: i64,
}

/// What the repository says about a snapshot's commit, besides make_version's string.
#[derive(Debug, Clone, Default)]
pub struct Snapshot {
    /// The mainline make_version printed (`master`, `22`, `certified/22.8`).
    pub mainline: String,
    /// The commit's full hash.
    pub commit: String,
    pub commit_time: i64,
    /// Commits reachable from it (`git rev-list --count HEAD`).
    pub depth: u64,
    /// A shallow clone: the depth and the tags are only what it fetched.
    pub shallow: bool,
    /// Every tag in the repository.
    pub tags: Vec<Tag>,
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

/// `22.10.1` -> `22.10.1`; `23.5.0-rc1` -> `23.5.0~rc1`; `22.0.0-pre1` -> `22.0.0~pre1`;
/// `certified-22.8-cert4` -> `22.8+cert4`; `certified/22.8-cert4-rc1` -> `22.8+cert4~rc1`.
/// None for anything else.
pub fn release_rpm_version(tag: &str) -> Option<String> {
    let (certified, rest) = match tag
        .strip_prefix("certified-")
        .or_else(|| tag.strip_prefix("certified/"))
    {
        Some(rest) => (true, rest),
        None => (false, tag),
    };
    let mut parts = rest.split('-');
    let numbers = parts.next()?;
    if !is_dotted_number(numbers) {
        return None;
    }
    let mut out = numbers.to_string();
    let mut next = parts.next();
    if certified {
        let cert = next?.strip_prefix("cert")?;
        if !is_number(cert) {
            return None;
        }
        out.push_str(&format!("+cert{cert}"));
        next = parts.next();
    }
    if let Some(pre) = next {
        let kind = pre.trim_end_matches(|c: char| c.is_ascii_digit());
        let n = &pre[kind.len()..];
        if !matches!(kind, "rc" | "pre" | "beta" | "alpha") || !is_number(n) {
            return None;
        }
        out.push_str(&format!("~{pre}"));
    }
    if parts.next().is_some() {
        return None;
    }
    Some(out)
}

/// Which releases a mainline's snapshots sit between.
#[derive(Debug, Clone, PartialEq, Eq)]
enum Line {
    /// A maintenance branch `N`: after the newest `N.*` release.
    Major(String),
    /// `certified/N.M`: after the newest `certified-N.M-certK`.
    Certified(String),
    /// master, or any other name: ahead of every release, towards the next major.
    Next(String),
}

fn line_of(mainline: &str) -> Line {
    if is_number(mainline) {
        return Line::Major(mainline.to_string());
    }
    if let Some(n) = mainline
        .strip_prefix("certified/")
        .filter(|n| is_dotted_number(n))
    {
        return Line::Certified(n.to_string());
    }
    let name: String = mainline
        .chars()
        .map(|c| if c.is_ascii_alphanumeric() { c } else { '_' })
        .collect();
    Line::Next(if name.is_empty() { "dev".into() } else { name })
}

/// Whether a release tag belongs to a line.
fn in_line(tag: &str, line: &Line) -> bool {
    match line {
        Line::Major(n) => tag.starts_with(&format!("{n}.")),
        Line::Certified(n) => ["certified-", "certified/"]
            .iter()
            .any(|p| tag.starts_with(&format!("{p}{n}-cert"))),
        Line::Next(_) => false,
    }
}

/// The major number of a release tag (`22` of `22.10.1` and of `certified-22.8-cert4`).
fn major_of(tag: &str) -> Option<u64> {
    let rest = tag
        .strip_prefix("certified-")
        .or_else(|| tag.strip_prefix("certified/"))
        .unwrap_or(tag);
    rest.split(['.', '-']).next()?.parse().ok()
}

/// `<base>^<depth>.<commit date>.<hash>` for `GIT-<mainline>-<describe>`, with its basis.
fn snapshot_version(git: &str, s: &Snapshot) -> Result<(String, String, Vec<String>)> {
    let describe = git
        .strip_prefix(&format!("{}-", s.mainline))
        .unwrap_or(git)
        .trim_end_matches('M');
    let hash: String = s.commit.chars().take(10).collect();
    if hash.len() < 7 || !is_hex(&hash) {
        bail!("cannot read the commit of the git snapshot 'GIT-{git}'");
    }
    // A release tag `git describe` reached: certainly before this commit, whatever its date.
    let reached = describe
        .rsplitn(3, '-')
        .nth(2)
        .filter(|t| release_rpm_version(t).is_some());
    let line = line_of(&s.mainline);
    let releases: Vec<(String, &str)> = s
        .tags
        .iter()
        .filter(|t| t.commit_time <= s.commit_time || Some(t.name.as_str()) == reached)
        .filter_map(|t| release_rpm_version(&t.name).map(|v| (v, t.name.as_str())))
        .collect();
    fn newest<'a>(
        candidates: impl Iterator<Item = &'a (String, &'a str)>,
    ) -> Option<(String, &'a str)> {
        candidates.max_by(|a, b| rpmvercmp(&a.0, &b.0)).cloned()
    }
    let mut notes = Vec::new();
    let (base, basis) = match &line {
        Line::Major(n) | Line::Certified(n) => {
            let pattern = match &line {
                Line::Major(_) => format!("{n}.*"),
                _ => format!("certified-{n}-*"),
            };
            match newest(releases.iter().filter(|r| in_line(r.1, &line))) {
                Some((v, tag)) => {
                    let how = if Some(tag) == reached {
                        "reachable from it"
                    } else {
                        "tagged on another branch"
                    };
                    (
                        v,
                        format!(
                            "after {tag}, the newest {pattern} release made by this commit ({how})"
                        ),
                    )
                }
                None => {
                    notes.push(format!(
                        "this repository has no {pattern} release tag made by this commit, so the \
                         version is based on the line's name alone and sorts below its releases: \
                         fetch the tags (git fetch --tags) for one that sorts right"
                    ));
                    (n.clone(), format!("line {n}, no release tag known"))
                }
            }
        }
        Line::Next(name) => {
            let newest_major = releases.iter().filter_map(|r| major_of(r.1)).max();
            match newest_major {
                Some(m) => (
                    format!("{}.0.0~~{name}", m + 1),
                    format!(
                        "{name} heads for {}: above every release up to {m}.*, below {}.0.0's first pre-release",
                        m + 1,
                        m + 1
                    ),
                ),
                None => {
                    notes.push(format!(
                        "this repository has no release tag made by this commit, so the {name} \
                         snapshot sorts below every release: fetch the tags (git fetch --tags) for \
                         one that sorts right"
                    ));
                    (format!("0~~{name}"), format!("{name}, no release tag known"))
                }
            }
        }
    };
    if s.shallow {
        notes.push(format!(
            "this is a shallow clone: the count {} is of the commits it holds, not of the whole \
             history, and only the tags it fetched are known, so its versions do not sort with \
             those of full clones: `git fetch --unshallow --tags` fixes that",
            s.depth
        ));
    }
    let date = super::version::utc_stamp(s.commit_time).0;
    Ok((
        format!("{base}^{}.{date}.{hash}", s.depth),
        format!("{basis}; {} commits, committed {date}", s.depth),
        notes,
    ))
}

/// rpm's version comparison (`rpmvercmp` of rpm 4.15 and later, with `~` and `^`).
pub fn rpmvercmp(a: &str, b: &str) -> Ordering {
    if a == b {
        return Ordering::Equal;
    }
    let (a, b) = (a.as_bytes(), b.as_bytes());
    let (mut i, mut j) = (0, 0);
    let separator = |c: u8| !c.is_ascii_alphanumeric() && c != b'~' && c != b'^';
    while i < a.len() || j < b.len() {
        while i < a.len() && separator(a[i]) {
            i += 1;
        }
        while j < b.len() && separator(b[j]) {
            j += 1;
        }
        let (x, y) = (a.get(i).copied(), b.get(j).copied());
        if x == Some(b'~') || y == Some(b'~') {
            if x != Some(b'~') {
                return Ordering::Greater;
            }
            if y != Some(b'~') {
                return Ordering::Less;
            }
            i += 1;
            j += 1;
            continue;
        }
        if x == Some(b'^') || y == Some(b'^') {
            if x.is_none() {
                return Ordering::Less;
            }
            if y.is_none() {
                return Ordering::Greater;
            }
            if x != Some(b'^') {
                return Ordering::Greater;
            }
            if y != Some(b'^') {
                return Ordering::Less;
            }
            i += 1;
            j += 1;
            continue;
        }
        if x.is_none() || y.is_none() {
            break;
        }
        let numeric = a[i].is_ascii_digit();
        let take = |s: &[u8], from: usize| {
            let mut end = from;
            while end < s.len()
                && if numeric {
                    s[end].is_ascii_digit()
                } else {
                    s[end].is_ascii_alphabetic()
                }
            {
                end += 1;
            }
            end
        };
        let (ei, ej) = (take(a, i), take(b, j));
        if ej == j {
            // Segments of different kinds: a number is newer than letters.
            return if numeric {
                Ordering::Greater
            } else {
                Ordering::Less
            };
        }
        let (mut sa, mut sb) = (&a[i..ei], &b[j..ej]);
        if numeric {
            while sa.first() == Some(&b'0') {
                sa = &sa[1..];
            }
            while sb.first() == Some(&b'0') {
                sb = &sb[1..];
            }
            match sa.len().cmp(&sb.len()) {
                Ordering::Equal => {}
                other => return other,
            }
        }
        match sa.cmp(sb) {
            Ordering::Equal => {}
            other => return other,
        }
        i = ei;
        j = ej;
    }
    match (i >= a.len(), j >= b.len()) {
        (true, true) => Ordering::Equal,
        (true, false) => Ordering::Less,
        _ => Ordering::Greater,
    }
}

fn is_number(s: &str) -> bool {
    !s.is_empty() && s.bytes().all(|b| b.is_ascii_digit())
}

fn is_dotted_number(s: &str) -> bool {
    s.split('.').all(is_number)
}

fn is_hex(s: &str) -> bool {
    s.bytes().all(|b| b.is_ascii_hexdigit())
}

/// Whether rpm accepts `s` as a Version or Release: no `-`, `/`, `:`, no whitespace, not empty.
pub fn check_rpm_field(what: &str, s: &str) -> Result<()> {
    if s.is_empty() {
        bail!("{what} is empty");
    }
    if let Some(c) = s
        .chars()
        .find(|c| !(c.is_ascii_alphanumeric() || "._+~^".contains(*c)))
    {
        bail!(
            "{what} '{}' holds {c:?}, which rpm does not accept: use letters, digits and . _ + ~ ^",
            s.escape_debug()
        );
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    const AUG6: i64 = 1_786_031_149; // 2026-08-06 15:45:49 UTC

    fn tag(name: &str, commit_time: i64) -> Tag {
        Tag {
            name: name.into(),
            commit_time,
        }
    }

    fn snap(mainline: &str, tags: &[Tag]) -> Snapshot {
        Snapshot {
            mainline: mainline.into(),
            commit: "f0c1c1a7b7e1d2c3b4a5968778695a4b3c2d1e0f".into(),
            commit_time: AUG6,
            depth: 34483,
            shallow: false,
            tags: tags.to_vec(),
        }
    }

    fn version(asterisk: &str, s: &Snapshot) -> String {
        rpm_version(asterisk, Some(s), None).unwrap().rpm.version
    }

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
    fn snapshot_bases_follow_the_line() {
        let tags = [
            tag("20.5.0", AUG6 - 100),
            tag("22.0.0-pre1", AUG6 - 900),
            tag("22.10.0", AUG6 - 200),
            tag("22.10.1", AUG6 - 50),
            // Made after the snapshot's commit: not its base.
            tag("22.11.0-rc1", AUG6 + 50),
            tag("23.4.1", AUG6 - 10),
            tag("certified-22.8-cert4", AUG6 - 300),
            tag("my-own-tag", AUG6 - 1),
        ];
        let cases = [
            (
                "master",
                "GIT-master-f0c1c1a7b7",
                "24.0.0~~master^34483.20260806.f0c1c1a7b7",
            ),
            (
                "22",
                "GIT-22-22.0.0-pre1-541-gf0c1c1a7b7",
                "22.10.1^34483.20260806.f0c1c1a7b7",
            ),
            (
                "20",
                "GIT-20-f0c1c1a7b7M",
                "20.5.0^34483.20260806.f0c1c1a7b7",
            ),
            (
                "certified/22.8",
                "GIT-certified/22.8-f0c1c1a7b7",
                "22.8+cert4^34483.20260806.f0c1c1a7b7",
            ),
            ("21", "GIT-21-f0c1c1a7b7", "21^34483.20260806.f0c1c1a7b7"),
            (
                "my-feature",
                "GIT-my-feature-f0c1c1a7b7",
                "24.0.0~~my_feature^34483.20260806.f0c1c1a7b7",
            ),
        ];
        for (mainline, asterisk, want) in cases {
            assert_eq!(
                version(asterisk, &snap(mainline, &tags)),
                want,
                "{asterisk}"
            );
        }
        // A tag git describe reached counts even when its date is off.
        let skewed = [tag("22.12.0", AUG6 + 99)];
        assert_eq!(
            version("GIT-22-22.12.0-3-gf0c1c1a7b7", &snap("22", &skewed)),
            "22.12.0^34483.20260806.f0c1c1a7b7"
        );
    }

    #[test]
    fn snapshots_say_what_they_stand_on() {
        let d = rpm_version(
            "GIT-22-22.0.0-pre1-541-gf0c1c1a7b7",
            Some(&snap("22", &[tag("22.10.1", 1)])),
            None,
        )
        .unwrap();
        assert!(
            d.basis.contains("after 22.10.1") && d.basis.contains("another branch"),
            "{}",
            d.basis
        );
        assert!(d.notes.is_empty());
        let bare = rpm_version("GIT-master-f0c1c1a7b7", Some(&snap("master", &[])), None).unwrap();
        assert_eq!(bare.rpm.version, "0~~master^34483.20260806.f0c1c1a7b7");
        assert!(
            bare.notes[0].contains("git fetch --tags"),
            "{:?}",
            bare.notes
        );
        let shallow = Snapshot {
            shallow: true,
            depth: 1,
            ..snap("22", &[])
        };
        let d = rpm_version("GIT-22-f0c1c1a7b7", Some(&shallow), None).unwrap();
        assert!(
            d.notes.iter().any(|n| n.contains("shallow clone")),
            "{:?}",
            d.notes
        );
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
    fn vercmp_agrees_with_rpm() {
        // Pairs with a < b, from rpm's own test suite and Asterisk's shapes.
        let less = [
            ("1.0", "1.0.1"),
            ("1.0~rc1", "1.0"),
            ("1.0~rc1", "1.0~rc2"),
            ("1.0", "1.0^git1"),
            ("1.0^git1", "1.0.1"),
            ("1.0^git1", "1.0^git2"),
            ("1.0~rc1^git1", "1.0"),
            ("22.8~cert4", "22.8"),
            ("22.8", "22.8+cert4"),
            ("21^5.1.a", "21.0.0"),
            ("23.5.0", "24.0.0~~master^1.2.abc"),
            ("24.0.0~~master^1.2.abc", "24.0.0~pre1"),
            ("2.0a", "2.0.1"),
            ("a", "1"),
            ("1.010", "1.11"),
            ("1.0", "1.0a"),
        ];
        for (a, b) in less {
            assert_eq!(rpmvercmp(a, b), Ordering::Less, "{a} < {b}");
            assert_eq!(rpmvercmp(b, a), Ordering::Greater, "{b} > {a}");
        }
        for (a, b) in [("1.0", "1.0"), ("1.01", "1.1"), ("1_0", "1.0")] {
            assert_eq!(rpmvercmp(a, b), Ordering::Equal, "{a} = {b}");
        }
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
}
