//! The Asterisk version string exactly as `build_tools/make_version DIR` prints it, from facts
//! gathered about the tree (`TreeFacts`); `rpm_version` maps it to RPM's Version and Release.

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
pub fn mainline_branch(facts: &TreeFacts) -> String {
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
fn ac_init_mainline(configure_ac: &str) -> String {
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

/// The longest Asterisk version the xtask packages: file names are made of it (the archive,
/// the packages, a sound set's subpackage on top), and a file name may hold 255 bytes.
const MAX_VERSION_LEN: usize = 128;

/// Refuses a version too long to name files with, in one line (`from_file`: it came from
/// `.version`).
pub fn check_length(version: &str, from_file: bool) -> anyhow::Result<()> {
    if version.len() <= MAX_VERSION_LEN {
        return Ok(());
    }
    let shown: String = version.chars().take(32).collect();
    anyhow::bail!(
        "the Asterisk version '{shown}...' is {} bytes long, and the archive and packages named \
         after it would have names longer than a file name may be: {} (Asterisk's look like \
         22.10.1), at most {MAX_VERSION_LEN}",
        version.len(),
        match from_file {
            true => "shorten .version",
            false => "shorten the branch name or MAINLINE_BRANCH it is made of",
        }
    )
}

/// Refuses a version holding a character rpm or the spec's shell would read as more than text
/// (`%`, `$`, quotes, spaces, ...): it goes into the spec's `%global asterisk_version`, which the
/// SRPM carries. Asterisk's are letters, digits and `. _ - + ~ ^ /` (`certified/22.8`).
pub fn check_characters(version: &str, from_file: bool) -> anyhow::Result<()> {
    let Some(c) = version
        .chars()
        .find(|c| !(c.is_ascii_alphanumeric() || "._-+~^/@=,".contains(*c)))
    else {
        return Ok(());
    };
    let shown: String = version.chars().take(64).collect();
    anyhow::bail!(
        "the Asterisk version '{shown}' holds {c:?}, which rpm or the shell in the spec would read as more than a version (Asterisk's look like 22.10.1 or GIT-master-1a2b3c4): {}",
        match from_file {
            true => "fix .version",
            false => "fix what make_version reads (AC_INIT in configure.ac, .develvars, the branch name)",
        }
    )
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

/// Where Asterisk publishes a release's tarball, for a version `make_version` printed on a
/// release tag (None for branches and snapshots).
pub fn release_url(asterisk_version: &str) -> Option<String> {
    release_rpm_version(asterisk_version)?;
    let dir = match asterisk_version.starts_with("certified-") {
        true => "certified-asterisk",
        false => "asterisk",
    };
    if asterisk_version.contains('/') {
        return None;
    }
    Some(format!(
        "https://downloads.asterisk.org/pub/telephony/{dir}/releases/asterisk-{asterisk_version}.tar.gz"
    ))
}

/// The date of a `%changelog` entry for a Unix time, in UTC: `Tue Dec 01 2026`.
pub fn changelog_date(epoch: i64) -> String {
    let (d, _) = utc_stamp(epoch);
    let days = epoch.div_euclid(86_400);
    let weekday =
        ["Sun", "Mon", "Tue", "Wed", "Thu", "Fri", "Sat"][(days + 4).rem_euclid(7) as usize];
    let months = [
        "Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec",
    ];
    let month = d[4..6].parse::<usize>().unwrap_or(1).clamp(1, 12);
    format!("{weekday} {} {} {}", months[month - 1], &d[6..8], &d[0..4])
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

pub(super) fn is_number(s: &str) -> bool {
    !s.is_empty() && s.bytes().all(|b| b.is_ascii_digit())
}

pub(super) fn is_dotted_number(s: &str) -> bool {
    s.split('.').all(is_number)
}

pub(super) fn is_hex(s: &str) -> bool {
    s.bytes().all(|b| b.is_ascii_hexdigit())
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
    fn versions_hold_nothing_rpm_or_a_shell_would_read() {
        for good in [
            "22.10.1",
            "GIT-master-1a2b3c4M",
            "certified/22.8-cert4",
            "22.1.0-rc1",
        ] {
            check_characters(good, true).unwrap();
        }
        for bad in [
            "m%(touch x)-1a2b",
            "22.1.0$(id)",
            "22 1",
            "22`id`",
            "22'x",
            "22;x",
        ] {
            let err = check_characters(bad, false).unwrap_err().to_string();
            assert!(err.contains("which rpm or the shell"), "{bad}: {err}");
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

    #[test]
    fn release_addresses() {
        let cases = [
            ("22.1.0", Some("https://downloads.asterisk.org/pub/telephony/asterisk/releases/asterisk-22.1.0.tar.gz")),
            ("23.0.0-rc1", Some("https://downloads.asterisk.org/pub/telephony/asterisk/releases/asterisk-23.0.0-rc1.tar.gz")),
            ("certified-22.8-cert4", Some("https://downloads.asterisk.org/pub/telephony/certified-asterisk/releases/asterisk-certified-22.8-cert4.tar.gz")),
            ("certified/22.8-cert4", None),
            ("GIT-master-abc1234", None),
            ("22.1.0-1-gabc", None),
        ];
        for (v, want) in cases {
            assert_eq!(release_url(v).as_deref(), want, "{v}");
        }
    }

    #[test]
    fn changelog_dates() {
        for (epoch, want) in [
            (0, "Thu Jan 01 1970"),
            (1_796_083_200, "Tue Dec 01 2026"),
            (1_709_164_800, "Thu Feb 29 2024"),
            (-86_400, "Wed Dec 31 1969"),
        ] {
            assert_eq!(changelog_date(epoch), want, "{epoch}");
        }
    }
}
