//! What is packed as it is but is probably not meant, said as warnings: links that point out of
//! the tree, and unfinished merges among the files that differ from the commit.

use camino::Utf8Path;

use super::entries::{EntryKind, FileSet};

/// Warnings about what is packed as it is but is probably not meant: links that point out of
/// the tree, and (among the files that differ from the commit) unfinished merges.
pub fn warn_about_contents(root: &Utf8Path, set: &mut FileSet) {
    warn_about_links(set);
    let changed: std::collections::HashSet<&str> = set.changed.iter().map(String::as_str).collect();
    let mut conflicted = Vec::new();
    for entry in &set.entries {
        if !changed.contains(entry.path.as_str()) || !matches!(entry.kind, EntryKind::File { .. }) {
            continue;
        }
        let abs = root.join(&entry.path);
        let small = std::fs::metadata(&abs)
            .map(|m| m.len() <= 8 << 20)
            .unwrap_or(false);
        if let Some(line) = small
            .then(|| crate::infra::regular::read(&abs).ok())
            .flatten()
            .and_then(|bytes| conflict_marker_line(&bytes))
        {
            conflicted.push(format!("{}:{line}", entry.path));
        }
    }
    if !conflicted.is_empty() {
        set.warnings.push(format!(
            "merge conflict markers in {}: they are packed as they are; finish the merge first",
            conflicted.join(", ")
        ));
    }
}

pub fn warn_about_links(set: &mut FileSet) {
    for entry in &set.entries {
        if let EntryKind::Symlink { target } = &entry.kind {
            if escapes_tree(&entry.path, target) {
                set.warnings.push(format!(
                    "the link {} points out of the tree ({target}): the archive keeps the link, \
                     not what it points to",
                    entry.path
                ));
            }
        }
    }
}

/// Whether a link at `path` (relative to the tree) to `target` leads out of the tree.
fn escapes_tree(path: &str, target: &str) -> bool {
    if target.starts_with('/') {
        return true;
    }
    let mut depth = path.matches('/').count() as i64;
    for part in target.split('/') {
        match part {
            "" | "." => {}
            ".." => {
                depth -= 1;
                if depth < 0 {
                    return true;
                }
            }
            _ => depth += 1,
        }
    }
    false
}

/// The line (1-based) where a merge conflict starts: `<<<<<<< ` followed later by `=======`
/// and `>>>>>>> ` at the start of lines.
fn conflict_marker_line(text: &[u8]) -> Option<usize> {
    let mut start = None;
    let mut middle = false;
    for (n, line) in text.split(|b| *b == b'\n').enumerate() {
        if line.starts_with(b"<<<<<<< ") || line == b"<<<<<<<" {
            start = Some(n + 1);
            middle = false;
        } else if start.is_some() && line.starts_with(b"=======") {
            middle = true;
        } else if middle && (line.starts_with(b">>>>>>> ") || line == b">>>>>>>") {
            return start;
        }
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn links_out_of_the_tree() {
        let cases = [
            ("apps/app_voicemail_imap.c", "app_voicemail.c", false),
            ("a/b/c", "../../x", false),
            ("a/b/c", "../../../x", true),
            ("top", "../x", true),
            ("top", "/etc/passwd", true),
            ("a/b", "./c/../../d", false),
            ("a/b", "c/../../../d", true),
        ];
        for (path, target, want) in cases {
            assert_eq!(escapes_tree(path, target), want, "{path} -> {target}");
        }
    }

    #[test]
    fn conflict_markers() {
        let merged = b"int a;\n<<<<<<< HEAD\nint b;\n=======\nint c;\n>>>>>>> topic\n";
        assert_eq!(conflict_marker_line(merged), Some(2));
        assert_eq!(conflict_marker_line(b"<<<<<<< only an opening\n"), None);
        assert_eq!(conflict_marker_line(b"a\n=======\n>>>>>>> x\n"), None);
        assert_eq!(conflict_marker_line(b"/* ======= */\n"), None);
    }
}
