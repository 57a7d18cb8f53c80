//! What `git status` says, reduced to what packaging needs: what differs, and whether a
//! tracked file changed (make_version's M).

use anyhow::{bail, Result};

use super::entries::{is_excluded, split_names};

/// What `git status --porcelain=v1 -z` says, reduced to what packaging needs.
#[derive(Debug, Default, PartialEq, Eq)]
pub struct StatusSummary {
    /// Paths (relative to the repository) with content that differs from HEAD and still exists.
    pub changed: Vec<String>,
    /// Any line at all: modified, added, deleted, renamed or untracked.
    pub any: bool,
    /// Any change to a tracked file, staged or not: what makes `git describe --dirty` mark M.
    pub tracked: bool,
}

/// Reads `git status --porcelain=v1 -z` run in a tree at `prefix` inside its repository:
/// paths come back relative to the tree, and those `excluded` (the target or output
/// directory, when inside the tree) count for nothing.
/// A change to a submodule (one of `submodules`) marks the tree's version dirty, as make_version
/// does, but is no change to the archive, which leaves submodules out.
pub fn parse_status(
    bytes: &[u8],
    prefix: &str,
    excluded: &[String],
    submodules: &[String],
) -> Result<StatusSummary> {
    let names = split_names(bytes)?;
    let mut summary = StatusSummary::default();
    let mut fields = names.into_iter();
    while let Some(field) = fields.next() {
        if field.len() < 4 {
            bail!("unexpected `git status` line {field:?}");
        }
        let (code, path) = field.split_at(3);
        // A rename or copy carries its source path as the next field.
        if code.starts_with('R') || code.starts_with('C') {
            fields.next();
        }
        let Some(path) = path.strip_prefix(prefix) else {
            continue;
        };
        if is_excluded(path.trim_end_matches('/'), excluded) {
            continue;
        }
        summary.tracked |= code != "?? ";
        if submodules.iter().any(|m| m == path.trim_end_matches('/')) {
            continue;
        }
        summary.any = true;
        if !code.contains('D') {
            summary.changed.push(path.to_string());
        }
    }
    Ok(summary)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn status_lines() {
        let cases: [(&[u8], StatusSummary); 5] = [
            (b"", StatusSummary::default()),
            (
                b" M main/a.c\0?? new file.txt\0",
                StatusSummary {
                    changed: vec!["main/a.c".into(), "new file.txt".into()],
                    any: true,
                    tracked: true,
                },
            ),
            (
                b" D gone.c\0",
                StatusSummary {
                    changed: vec![],
                    any: true,
                    tracked: true,
                },
            ),
            (
                b"R  new.c\0old.c\0A  added.h\0",
                StatusSummary {
                    changed: vec!["new.c".into(), "added.h".into()],
                    any: true,
                    tracked: true,
                },
            ),
            (
                b"?? only-untracked\0",
                StatusSummary {
                    changed: vec!["only-untracked".into()],
                    any: true,
                    tracked: false,
                },
            ),
        ];
        for (input, want) in cases {
            assert_eq!(
                parse_status(input, "", &[], &[]).unwrap(),
                want,
                "{input:?}"
            );
        }
    }

    #[test]
    fn status_of_a_tree_inside_its_repository() {
        let input = b" M sub/tree/a.c\0?? sub/tree/target/\0?? sub/tree/new.txt\0 M other/b.c\0";
        let got = parse_status(input, "sub/tree/", &["target".to_string()], &[]).unwrap();
        assert_eq!(got.changed, ["a.c", "new.txt"]);
        // Only the target directory untracked: the tree is as committed.
        let clean = parse_status(b"?? target/\0", "", &["target".to_string()], &[]).unwrap();
        assert_eq!(clean, StatusSummary::default());
        // A dirty submodule: make_version's M, but nothing packed changed.
        let sub = parse_status(
            b" M third-party/sub\0",
            "",
            &[],
            &["third-party/sub".to_string()],
        )
        .unwrap();
        assert_eq!(
            sub,
            StatusSummary {
                changed: vec![],
                any: false,
                tracked: true
            }
        );
    }
}
