//! The archive's one mtime: SOURCE_DATE_EPOCH, the commit's time, or the newest change; never
//! in the future.

use anyhow::{bail, Result};

use super::version::rfc3339;

/// The archive's one mtime, and why it is not what it would have been.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SourceDate {
    pub epoch: i64,
    /// Set when a date in the future was brought back to now.
    pub note: Option<String>,
}

/// SOURCE_DATE_EPOCH if set; else the commit time of a clean tree; else the newest mtime among
/// the files that differ from the commit (and never before the commit). Never in the future:
/// make rebuilds forever on files dated after its clock, so a SOURCE_DATE_EPOCH ahead of `now`
/// is refused, and a commit or file dated ahead (clock skew) is brought back to `now`.
pub fn source_date(
    env: Option<&str>,
    commit_time: Option<i64>,
    differs: bool,
    changed: &[(&str, i64)],
    now: i64,
) -> Result<SourceDate> {
    if let Some(value) = env.filter(|v| !v.is_empty()) {
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
        return Ok(SourceDate { epoch, note: None });
    }
    let newest = changed.iter().max_by_key(|(_, mtime)| *mtime);
    let (epoch, what) = match (commit_time, differs, newest) {
        (Some(commit), false, _) | (Some(commit), true, None) => (commit, "the commit".to_string()),
        (Some(commit), true, Some((path, mtime))) if *mtime > commit => {
            (*mtime, format!("{path}'s modification time"))
        }
        (Some(commit), true, Some(_)) => (commit, "the commit".to_string()),
        (None, _, Some((path, mtime))) => (*mtime, format!("{path}'s modification time")),
        (None, _, None) => (0, String::new()),
    };
    if epoch > now {
        return Ok(SourceDate {
            epoch: now,
            note: Some(format!(
                "{what} is in the future ({}; is a clock wrong?): the archive is dated now instead, \
                 so make does not rebuild forever",
                rfc3339(epoch.min(253_402_300_799))
            )),
        });
    }
    Ok(SourceDate { epoch, note: None })
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
        // (SOURCE_DATE_EPOCH, commit time, tree differs, mtimes of changed files, answer)
        type Case<'a> = (Option<&'a str>, Option<i64>, bool, &'a [i64], i64);
        let cases: [Case; 8] = [
            (Some("123"), Some(5), true, &[9], 123),
            (None, Some(100), false, &[500], 100),
            (None, Some(100), true, &[50, 500, 200], 500),
            (None, Some(100), true, &[50], 100),
            (None, Some(100), true, &[], 100),
            (None, None, true, &[7, 3], 7),
            (Some(""), Some(100), false, &[], 100),
            (Some(" 42 "), None, true, &[], 42),
        ];
        for (env, commit, differs, mtimes, want) in cases {
            let changed: Vec<(&str, i64)> = mtimes.iter().map(|m| ("f", *m)).collect();
            let got = source_date(env, commit, differs, &changed, NOW).unwrap();
            assert_eq!(
                got,
                SourceDate {
                    epoch: want,
                    note: None
                },
                "{env:?} {commit:?} {mtimes:?}"
            );
        }
        // Refused: not a number, before 1970, in the future (past tar's 11 octal digits too).
        for (env, want) in [
            ("yesterday", "whole number"),
            ("-5", "before 1970"),
            ("2000000001", "in the future"),
            ("8589934592", "in the future"),
            ("99999999999999999999", "whole number"),
        ] {
            let err = source_date(Some(env), None, true, &[], NOW)
                .unwrap_err()
                .to_string();
            assert!(err.contains(want), "{env}: {err}");
        }
        // Clock skew in the tree or the commit: brought back to now, and said.
        let skewed = source_date(None, Some(100), true, &[("main/a.c", NOW + 5)], NOW).unwrap();
        assert_eq!(skewed.epoch, NOW);
        assert!(skewed.note.unwrap().contains("main/a.c"));
        let commit = source_date(None, Some(NOW + 9), false, &[], NOW).unwrap();
        assert_eq!(commit.epoch, NOW);
        assert!(commit.note.unwrap().contains("the commit"));
    }
}
