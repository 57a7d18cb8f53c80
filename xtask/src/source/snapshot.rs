//! Where a git snapshot sorts: the newest release of its line that its commit knows, reachable
//! or not, and its depth, date and hash after `^`.

use anyhow::{bail, Result};

use super::vercmp::rpmvercmp;
use super::version::{is_dotted_number, is_hex, is_number, release_rpm_version};

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
pub fn snapshot_version(git: &str, s: &Snapshot) -> Result<(String, String, Vec<String>)> {
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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::source::rpm_version::rpm_version;

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
}
