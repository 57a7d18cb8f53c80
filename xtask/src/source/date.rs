//! The archive's one mtime: SOURCE_DATE_EPOCH, the commit's time, the time of a dirty tree's
//! Release (`release`), or, without git, the newest file; never in the future.

use anyhow::{bail, Result};

use super::version::rfc3339;

/// The archive's one mtime, and why it is not what it would have been.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SourceDate {
    pub epoch: i64,
    /// Set when a date in the future was brought back to now.
    pub note: Option<String>,
}

/// How far ahead of now the user's Release clock may have run (builds of several trees, more
/// than one a second; the system clock stepped back) and still be followed.
pub const MAX_AHEAD_SECS: i64 = 300;

/// SOURCE_DATE_EPOCH as a number of seconds, checked: None when unset or empty. Refused when it
/// is no number, before 1970, or in the future (make rebuilds forever on files dated after its
/// clock).
pub fn pinned(env: Option<&str>, now: i64) -> Result<Option<i64>> {
    let Some(value) = env.filter(|v| !v.is_empty()) else {
        return Ok(None);
    };
    let epoch: i64 = value.trim().parse().map_err(|_| {
        anyhow::anyhow!(
            "SOURCE_DATE_EPOCH must be a whole number of seconds since 1970, not '{}'",
            value.escape_debug()
        )
    })?;
    if epoch < 0 {
        bail!("SOURCE_DATE_EPOCH={epoch} is before 1970: set it to a time after, or unset it");
    }
    if epoch > now {
        bail!(
            "SOURCE_DATE_EPOCH={epoch} ({}) is in the future, and make would rebuild forever on \
             files dated after its clock: set it to a time past, or unset it",
            rfc3339(epoch.min(253_402_300_799))
        );
    }
    Ok(Some(epoch))
}

/// SOURCE_DATE_EPOCH if set (`pinned`); else, for a dirty git tree, its Release time (`dirty`)
/// less `MAX_AHEAD_SECS`, so that it is a time past even when the Release clock runs ahead of
/// the system's (and one Release has one set of bytes, whenever it is built); else the commit
/// time of a clean tree; else (no commit: a tree without git) the newest mtime among its files.
/// Never in the future: a date still ahead of `now` (clock skew) is brought back to `now`, and
/// said.
pub fn source_date(
    pinned: Option<i64>,
    commit_time: Option<i64>,
    dirty: Option<i64>,
    files: &[(&str, i64)],
    now: i64,
) -> SourceDate {
    if let Some(epoch) = pinned {
        return SourceDate { epoch, note: None };
    }
    let newest = files.iter().max_by_key(|(_, mtime)| *mtime);
    let (epoch, what) = match (dirty, commit_time, newest) {
        // A Release further ahead than the clock may run (the clock stepped back further):
        // the commit's time, which does not change with the clock either.
        (Some(release), Some(commit), _) if release - MAX_AHEAD_SECS > now && commit <= now => {
            return SourceDate {
                epoch: commit,
                note: Some(format!(
                    "the Release time {} is more than {MAX_AHEAD_SECS} s ahead of this clock (is a \
                     clock wrong?): the archive is dated at the commit instead",
                    rfc3339(release.min(253_402_300_799))
                )),
            };
        }
        (Some(release), _, _) => (
            release - MAX_AHEAD_SECS,
            "the time of the last build of this tree".to_string(),
        ),
        (None, Some(commit), _) => (commit, "the commit".to_string()),
        (None, None, Some((path, mtime))) => (*mtime, format!("{path}'s modification time")),
        (None, None, None) => (0, String::new()),
    };
    if epoch > now {
        return SourceDate {
            epoch: now,
            note: Some(format!(
                "{what} is in the future ({}; is a clock wrong?): the archive is dated now instead, \
                 so make does not rebuild forever",
                rfc3339(epoch.min(253_402_300_799))
            )),
        };
    }
    SourceDate { epoch, note: None }
}

pub fn now_epoch() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_secs() as i64)
        .unwrap_or(0)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn source_dates() {
        const NOW: i64 = 2_000_000_000;
        // (SOURCE_DATE_EPOCH, commit time, dirty time, mtimes of the files, answer)
        type Case<'a> = (Option<i64>, Option<i64>, Option<i64>, &'a [i64], i64);
        let cases: [Case; 6] = [
            (Some(123), Some(5), Some(9), &[9], 123),
            (None, Some(100), None, &[500], 100),
            (None, Some(100), Some(700), &[50, 500], 700 - MAX_AHEAD_SECS),
            (None, Some(100), Some(7000), &[], 7000 - MAX_AHEAD_SECS),
            (None, None, None, &[7, 3], 7),
            (None, None, None, &[], 0),
        ];
        for (env, commit, dirty, mtimes, want) in cases {
            let files: Vec<(&str, i64)> = mtimes.iter().map(|m| ("f", *m)).collect();
            let got = source_date(env, commit, dirty, &files, NOW);
            assert_eq!(
                got,
                SourceDate {
                    epoch: want,
                    note: None
                },
                "{env:?} {commit:?} {dirty:?} {mtimes:?}"
            );
        }
        // Clock skew: brought back to now, and said.
        let skewed = source_date(None, None, None, &[("main/a.c", NOW + 5)], NOW);
        assert_eq!(skewed.epoch, NOW);
        assert!(skewed.note.unwrap().contains("main/a.c"));
        // A Release clock ahead of the system's by less than MAX_AHEAD_SECS: the same date
        // whenever it is built (never `now`).
        // Far ahead (the clock stepped back further): the commit's time, said.
        let far = source_date(None, Some(100), Some(NOW + 1000), &[], NOW);
        assert_eq!(far.epoch, 100);
        assert!(far.note.unwrap().contains("dated at the commit"));
        for now in [NOW - 200, NOW - 1, NOW] {
            let ahead = source_date(None, Some(100), Some(NOW + 100), &[], now);
            assert_eq!(
                ahead,
                SourceDate {
                    epoch: NOW + 100 - MAX_AHEAD_SECS,
                    note: None
                }
            );
        }
        let commit = source_date(None, Some(NOW + 9), None, &[], NOW);
        assert_eq!(commit.epoch, NOW);
        assert!(commit.note.unwrap().contains("the commit"));
    }

    #[test]
    fn source_date_epoch_is_checked() {
        const NOW: i64 = 2_000_000_000;
        assert_eq!(pinned(None, NOW).unwrap(), None);
        assert_eq!(pinned(Some(""), NOW).unwrap(), None);
        assert_eq!(pinned(Some(" 42 "), NOW).unwrap(), Some(42));
        // Refused: not a number, before 1970, in the future (past tar's 11 octal digits too).
        for (env, want) in [
            ("yesterday", "whole number"),
            ("-5", "before 1970"),
            ("2000000001", "in the future"),
            ("8589934592", "in the future"),
            ("99999999999999999999", "whole number"),
        ] {
            let err = pinned(Some(env), NOW).unwrap_err().to_string();
            assert!(err.contains(want), "{env}: {err}");
        }
    }
}
