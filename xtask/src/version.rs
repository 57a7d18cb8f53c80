//! NAME
//!     version: the Asterisk version string and the RPM Version/Release it maps to.
//!
//! DESCRIPTION
//!     `asterisk_version` reproduces what `build_tools/make_version DIR` prints, from facts
//!     gathered about the tree (`TreeFacts`). `rpm_version` maps that string to an RPM
//!     Version/Release that rpm accepts and that sorts the way a packager expects:
//!
//!     | Asterisk version                  | Version                              | Release          |
//!     |-----------------------------------|--------------------------------------|------------------|
//!     | `22.10.1`                         | `22.10.1`                            | `1`              |
//!     | `23.5.0-rc1`                      | `23.5.0~rc1`                         | `1`              |
//!     | `certified-22.8-cert4`            | `22.8+cert4`                         | `1`              |
//!     | `GIT-23-23.5.0-rc1-1-gf1261ae41e` | `23.5.0~rc1^1.20260806.f1261ae41e`   | `1`              |
//!     | `GIT-master-f0c1c1a7b7M`          | `0^61234.20260806.f0c1c1a7b7`        | `1.dirty.<time>` |
//!
//!     A git build after tag T gets `T^<commits since T>.<commit date>.<hash>`: above T, below
//!     the next release or pre-release, ascending with every commit. Without a reachable tag the
//!     base is `0` (a branch name is no version) and the count is the commit's depth. A tree with
//!     uncommitted changes gets Release `1.dirty.<source date>`: above the clean build of the
//!     same commit, ascending with every later edit.

use anyhow::{bail, Result};

/// What `make_version` prints for a tree without `.version` and without a `.git` directory.
pub const UNKNOWN_VERSION: &str = "UNKNOWN__and_probably_unsupported";

/// Everything `make_version` looks at, gathered from the tree by the caller.
#[derive(Debug, Clone, Default)]
pub struct TreeFacts {
    /// Contents of `.version`, if the file exists.
    pub dot_version: Option<String>,
    /// Whether `.git` is a directory (make_version tests `-d`).
    pub git_dir: bool,
    /// `$MAINLINE_BRANCH` from the environment, if set and non-empty.
    pub mainline_env: Option<String>,
    /// `branch.<current branch>.mainline-branch` from `.develvars`, if any.
    pub develvars_mainline: Option<String>,
    /// The current branch (`git symbolic-ref --short HEAD`), empty when detached.
    pub branch: String,
    /// Contents of `configure.ac`.
    pub configure_ac: String,
    /// `git describe --long --always --tags --dirty=M`.
    pub describe: String,
}

/// The string `build_tools/make_version` prints for a tree with these facts.
pub fn asterisk_version(facts: &TreeFacts) -> String {
    if let Some(v) = &facts.dot_version {
        // `cat .version` inside `$(...)`: trailing newlines go, everything else stays.
        return v.trim_end_matches('\n').to_string();
    }
    if !facts.git_dir {
        return UNKNOWN_VERSION.to_string();
    }
    format!("GIT-{}-{}", mainline_branch(facts), facts.describe)
}

/// make_version's precedence: environment, `.develvars`, `devel[opment]/N/...`, `AC_INIT`.
fn mainline_branch(facts: &TreeFacts) -> String {
    if let Some(m) = facts.mainline_env.as_deref().filter(|m| !m.is_empty()) {
        return m.to_string();
    }
    if let Some(m) = facts
        .develvars_mainline
        .as_deref()
        .filter(|m| !m.is_empty())
    {
        return m.to_string();
    }
    if let Some(m) = devel_branch_mainline(&facts.branch) {
        return m;
    }
    ac_init_mainline(&facts.configure_ac)
}

/// `sed -n -r -e "s@devel(opment)?/([0-9]+)/.+@\2@p"`: the number in `devel/N/x` or
/// `development/N/x`. sed matches anywhere in the name and prints the whole substituted line.
fn devel_branch_mainline(branch: &str) -> Option<String> {
    for (start, _) in branch.match_indices("devel") {
        let rest = &branch[start + "devel".len()..];
        let rest = rest.strip_prefix("opment").unwrap_or(rest);
        let Some(rest) = rest.strip_prefix('/') else {
            continue;
        };
        let digits = rest.bytes().take_while(u8::is_ascii_digit).count();
        if digits == 0 {
            continue;
        }
        let after = &rest[digits..];
        if after.len() >= 2 && after.starts_with('/') {
            // `.+` is greedy to the end of the line: the match ends at the end of the name.
            return Some(format!("{}{}", &branch[..start], &rest[..digits]));
        }
    }
    None
}

/// `awk '/AC_INIT/ { print substr($2, 2, length($2) - 3) }' configure.ac`.
pub fn ac_init_mainline(configure_ac: &str) -> String {
    let mut printed = Vec::new();
    for line in configure_ac.lines().filter(|l| l.contains("AC_INIT")) {
        let field = line.split_whitespace().nth(1).unwrap_or("");
        printed.push(awk_substr(field, 2, field.chars().count() as i64 - 3));
    }
    // `$(...)` drops the trailing newlines of what awk printed.
    printed.join("\n").trim_end_matches('\n').to_string()
}

/// awk's `substr(s, m, n)`: characters m..m+n-1 (1-based), clipped to the string.
fn awk_substr(s: &str, m: i64, n: i64) -> String {
    let start = m.max(1);
    let end = (m + n).min(s.chars().count() as i64 + 1);
    if end <= start {
        return String::new();
    }
    s.chars()
        .skip((start - 1) as usize)
        .take((end - start) as usize)
        .collect()
}

/// Git facts the RPM mapping of a `GIT-...` version needs besides the string itself.
#[derive(Debug, Clone, Default)]
pub struct Snapshot {
    /// Commit date of HEAD as `YYYYMMDD` (UTC).
    pub commit_date: String,
    /// Number of commits reachable from HEAD (`git rev-list --count HEAD`): the ordering key
    /// when no tag is reachable.
    pub depth: u64,
}

/// An RPM Version and Release.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RpmVersion {
    pub version: String,
    pub release: String,
}

/// Maps an Asterisk version to RPM Version/Release. `dirty_stamp` is set (to the source date,
/// `YYYYMMDDHHMMSS`) when the tree has uncommitted changes.
pub fn rpm_version(
    asterisk: &str,
    snapshot: &Snapshot,
    dirty_stamp: Option<&str>,
) -> Result<RpmVersion> {
    let version = if let Some(git) = asterisk.strip_prefix("GIT-") {
        git_rpm_version(git, snapshot)?
    } else if let Some(v) = release_rpm_version(asterisk) {
        v
    } else {
        bail!(
            "cannot derive an RPM version from the Asterisk version '{asterisk}': \
             pass --rpm-version (and --rpm-release), or write the release into .version"
        );
    };
    let release = match dirty_stamp {
        Some(stamp) => format!("1.dirty.{stamp}"),
        None => "1".to_string(),
    };
    Ok(RpmVersion { version, release })
}

/// `22.10.1` -> `22.10.1`; `23.5.0-rc1` -> `23.5.0~rc1`; `certified-22.8-cert4` -> `22.8+cert4`;
/// `certified/22.8-cert4-rc1` -> `22.8+cert4~rc1`. None for anything else.
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
        if !matches!(kind, "rc" | "beta" | "alpha") || !is_number(n) {
            return None;
        }
        out.push_str(&format!("~{pre}"));
    }
    if parts.next().is_some() {
        return None;
    }
    Some(out)
}

/// `<mainline>-<describe>` where describe is `TAG-N-gHASH[M]` or `HASH[M]`.
fn git_rpm_version(git: &str, snapshot: &Snapshot) -> Result<String> {
    let describe = git.trim_end_matches('M');
    // The mainline can hold dashes (`certified/22.8`), the tag too: parse from the right.
    let mut from_right = describe.rsplitn(3, '-');
    let last = from_right.next().unwrap_or("");
    let (base, count, hash) = match (last.strip_prefix('g'), from_right.next(), from_right.next()) {
        (Some(hash), Some(count), Some(rest)) if is_number(count) && is_hex(hash) => {
            // rest is `<mainline>-<tag>`: the tag is the longest suffix that is a release.
            let base = tag_suffix(rest).unwrap_or_else(|| "0".to_string());
            (base, count.parse::<u64>().unwrap_or(0), hash)
        }
        _ => {
            let hash = describe.rsplit('-').next().unwrap_or("");
            if !is_hex(hash) {
                bail!("cannot read the git describe part of the Asterisk version 'GIT-{git}'");
            }
            ("0".to_string(), snapshot.depth, hash)
        }
    };
    if snapshot.commit_date.is_empty() {
        bail!("no commit date for the git snapshot version of 'GIT-{git}'");
    }
    Ok(format!("{base}^{count}.{}.{hash}", snapshot.commit_date))
}

/// The RPM version of the release tag at the end of `<mainline>-<tag>`, if there is one.
fn tag_suffix(mainline_and_tag: &str) -> Option<String> {
    let mut cut = Some(0);
    while let Some(at) = cut {
        let candidate = &mainline_and_tag[at..];
        if let Some(v) = release_rpm_version(candidate) {
            return Some(v);
        }
        cut = candidate.find('-').map(|i| at + i + 1);
    }
    None
}

fn is_number(s: &str) -> bool {
    !s.is_empty() && s.bytes().all(|b| b.is_ascii_digit())
}

fn is_dotted_number(s: &str) -> bool {
    s.split('.').all(is_number)
}

fn is_hex(s: &str) -> bool {
    s.len() >= 4 && s.bytes().all(|b| b.is_ascii_hexdigit())
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
        bail!("{what} '{s}' holds '{c}', which rpm does not accept: use letters, digits and . _ + ~ ^");
    }
    Ok(())
}

/// A file-name-safe form of the Asterisk version, for `asterisk-<this>.tar.gz` and its top
/// directory (`certified/22.8` mainlines hold a slash).
pub fn archive_stem(asterisk: &str) -> String {
    let safe: String = asterisk
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || "._+~-".contains(c) {
                c
            } else {
                '_'
            }
        })
        .collect();
    format!("asterisk-{safe}")
}

/// `YYYYMMDD` and `YYYYMMDDHHMMSS` of a Unix time, in UTC.
pub fn utc_stamp(epoch: i64) -> (String, String) {
    let days = epoch.div_euclid(86_400);
    let secs = epoch.rem_euclid(86_400);
    // Civil-from-days (proleptic Gregorian), after Howard Hinnant's algorithm.
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let day = doy - (153 * mp + 2) / 5 + 1;
    let month = if mp < 10 { mp + 3 } else { mp - 9 };
    let year = yoe + era * 400 + i64::from(month <= 2);
    let date = format!("{year:04}{month:02}{day:02}");
    let time = format!(
        "{date}{:02}{:02}{:02}",
        secs / 3600,
        secs % 3600 / 60,
        secs % 60
    );
    (date, time)
}

/// `YYYY-MM-DDTHH:MM:SSZ` of a Unix time (OCI's `created`).
pub fn rfc3339(epoch: i64) -> String {
    let (_, t) = utc_stamp(epoch);
    format!(
        "{}-{}-{}T{}:{}:{}Z",
        &t[0..4],
        &t[4..6],
        &t[6..8],
        &t[8..10],
        &t[10..12],
        &t[12..14]
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    const CONFIGURE_AC: &str =
        "AC_PREREQ(2.60)\nAC_INIT([asterisk], [master], [https://github.com/asterisk/asterisk/issues])\n";

    fn git_facts(branch: &str, describe: &str) -> TreeFacts {
        TreeFacts {
            git_dir: true,
            branch: branch.into(),
            configure_ac: CONFIGURE_AC.into(),
            describe: describe.into(),
            ..TreeFacts::default()
        }
    }

    #[test]
    fn asterisk_version_follows_make_version() {
        let cases: Vec<(TreeFacts, &str)> = vec![
            (
                TreeFacts {
                    dot_version: Some("22.10.1\n".into()),
                    git_dir: true,
                    ..git_facts("master", "f0c1c1a7b7M")
                },
                "22.10.1",
            ),
            (TreeFacts::default(), UNKNOWN_VERSION),
            (git_facts("master", "f0c1c1a7b7"), "GIT-master-f0c1c1a7b7"),
            (git_facts("master", "f0c1c1a7b7M"), "GIT-master-f0c1c1a7b7M"),
            (
                git_facts("devel/23/my-fix", "23.5.0-rc1-1-gf1261ae41e"),
                "GIT-23-23.5.0-rc1-1-gf1261ae41e",
            ),
            (
                git_facts("development/22/x", "abcdef0123"),
                "GIT-22-abcdef0123",
            ),
            // `devel/23/` with nothing after the slash is not a development branch.
            (
                git_facts("devel/23/", "abcdef0123"),
                "GIT-master-abcdef0123",
            ),
            (
                git_facts("feature/devel-23", "abcdef0123"),
                "GIT-master-abcdef0123",
            ),
            (
                TreeFacts {
                    develvars_mainline: Some("21".into()),
                    ..git_facts("devel/23/x", "abcdef0123")
                },
                "GIT-21-abcdef0123",
            ),
            (
                TreeFacts {
                    mainline_env: Some("20".into()),
                    develvars_mainline: Some("21".into()),
                    ..git_facts("devel/23/x", "abcdef0123")
                },
                "GIT-20-abcdef0123",
            ),
            (
                TreeFacts {
                    configure_ac: "AC_INIT([asterisk], [certified/22.8], [x])".into(),
                    ..git_facts("", "certified-22.8-cert4-2-g0123abcd")
                },
                "GIT-certified/22.8-certified-22.8-cert4-2-g0123abcd",
            ),
        ];
        for (facts, want) in cases {
            assert_eq!(asterisk_version(&facts), want, "{facts:?}");
        }
    }

    #[test]
    fn ac_init_is_read_like_awk() {
        let cases = [
            ("AC_INIT([asterisk], [23], [x])", "23"),
            ("AC_INIT([asterisk],[23],[x])", ""),
            ("AC_INIT([asterisk], [master])", "master"),
            ("nothing here", ""),
            ("  AC_INIT([asterisk], [22], [x])\nAC_INIT_X a [b],", "22"),
            (
                "AC_INIT([asterisk], [22], [x])\nAC_INIT([x], [23], [x])",
                "22\n23",
            ),
        ];
        for (input, want) in cases {
            assert_eq!(ac_init_mainline(input), want, "{input}");
        }
    }

    #[test]
    fn rpm_versions_of_releases_and_snapshots() {
        let snap = Snapshot {
            commit_date: "20260806".into(),
            depth: 61234,
        };
        let cases = [
            ("22.10.1", "22.10.1"),
            ("23.5.0-rc1", "23.5.0~rc1"),
            ("23.0.0-beta2", "23.0.0~beta2"),
            ("certified-22.8-cert4", "22.8+cert4"),
            ("certified/18.9-cert4", "18.9+cert4"),
            ("certified-22.8-cert4-rc1", "22.8+cert4~rc1"),
            ("GIT-master-f0c1c1a7b7", "0^61234.20260806.f0c1c1a7b7"),
            ("GIT-master-f0c1c1a7b7M", "0^61234.20260806.f0c1c1a7b7"),
            (
                "GIT-23-23.5.0-rc1-1-gf1261ae41e",
                "23.5.0~rc1^1.20260806.f1261ae41e",
            ),
            (
                "GIT-22-22.10.1-7-g0123abcd99M",
                "22.10.1^7.20260806.0123abcd99",
            ),
            (
                "GIT-certified/22.8-certified-22.8-cert4-2-g0123abcd",
                "22.8+cert4^2.20260806.0123abcd",
            ),
            // A tag that is no release: the snapshot still sorts by its count.
            ("GIT-master-my-tag-3-gabcdef0", "0^3.20260806.abcdef0"),
        ];
        for (asterisk, want) in cases {
            let got = rpm_version(asterisk, &snap, None).unwrap();
            assert_eq!(got.version, want, "{asterisk}");
            assert_eq!(got.release, "1");
            check_rpm_field("Version", &got.version).unwrap();
        }
        let dirty = rpm_version("22.10.1", &snap, Some("20261130083000")).unwrap();
        assert_eq!(dirty.release, "1.dirty.20261130083000");
    }

    #[test]
    fn rpm_version_rejects_what_it_cannot_order() {
        for bad in [UNKNOWN_VERSION, "master", "22.10", "GIT-master-zzzz"] {
            let snap = Snapshot {
                commit_date: "20260806".into(),
                depth: 1,
            };
            let got = rpm_version(bad, &snap, None);
            // `22.10` is a valid release shape; everything else must fail.
            if bad == "22.10" {
                assert_eq!(got.unwrap().version, "22.10");
            } else {
                let err = got.unwrap_err().to_string();
                assert!(
                    err.contains("--rpm-version") || err.contains("git describe"),
                    "{err}"
                );
            }
        }
    }

    #[test]
    fn rpm_fields_are_checked() {
        for good in [
            "1",
            "22.8+cert4",
            "23.5.0~rc1^1.20260806.abc",
            "1.dirty.2026",
        ] {
            check_rpm_field("Version", good).unwrap();
        }
        for bad in ["", "23.5.0-rc1", "a/b", "1:2", "a b"] {
            assert!(check_rpm_field("Version", bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn archive_stems_are_file_names() {
        assert_eq!(archive_stem("22.10.1"), "asterisk-22.10.1");
        assert_eq!(
            archive_stem("GIT-certified/22.8-abc"),
            "asterisk-GIT-certified_22.8-abc"
        );
    }

    #[test]
    fn utc_stamps() {
        assert_eq!(utc_stamp(0), ("19700101".into(), "19700101000000".into()));
        // 2026-08-06 15:45:49 UTC
        assert_eq!(
            utc_stamp(1_786_031_149),
            ("20260806".into(), "20260806154549".into())
        );
        assert_eq!(utc_stamp(951_782_400).0, "20000229");
        assert_eq!(rfc3339(1_786_031_149), "2026-08-06T15:45:49Z");
    }
}
