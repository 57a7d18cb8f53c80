//! The layers, checked: every source file imports only its own layer and those below it, no
//! file reaches back for an item of a folder it is inside (siblings it may use; not `super::X`,
//! `super::*`, nor `crate::infra::exec::X` from inside `infra/exec/`), and no two files use each
//! other, through any chain (within a layer too: what both need goes below both). Every
//! `crate::` and `super::` path is read whole, in `use` lines, nested groups and code, in
//! everything but the `#[cfg(test)]` items; a `super::` path as the `crate::` path it names
//! (from a folder's mod.rs, `super::x` is `crate::x`). Renaming the crate (`use crate as x`,
//! `extern crate self as x`) is refused, and so is `crate::checked` (the end-to-end tests'
//! window, not a layer). A test rather than a convention, because the order drifts otherwise.

use std::path::{Path, PathBuf};

/// The layers, from the bottom up: a module may use those of its rank and below.
const LAYERS: &[(&str, u8)] = &[
    ("infra", 0),
    ("plan", 1),
    ("source", 2),
    ("bundled", 3),
    ("rpmbuild", 4),
    ("outputs", 5),
    ("container", 6),
    ("machine", 7),
    ("measure", 8),
    ("cli", 9),
    ("commands", 10),
];

fn rank(module: &str) -> Option<u8> {
    LAYERS.iter().find(|(m, _)| *m == module).map(|(_, r)| *r)
}

/// Every `.rs` file under `dir`, with its path relative to `src/`.
fn sources(dir: &Path, rel: &Path, out: &mut Vec<(PathBuf, String)>) {
    for entry in std::fs::read_dir(dir).unwrap().flatten() {
        let path = entry.path();
        let name = rel.join(entry.file_name());
        if path.is_dir() {
            sources(&path, &name, out);
        } else if name.extension().is_some_and(|e| e == "rs") {
            out.push((name, std::fs::read_to_string(&path).unwrap()));
        }
    }
}

/// The text as the compiler reads its paths: comments (line, block, nested) blanked, the
/// contents of strings, raw strings and characters blanked (their quotes kept), newlines kept;
/// then the spaces around each `::` taken out (`crate :: commands`, which `#[rustfmt::skip]`
/// lets stand, is `crate::commands`).
fn sanitized(text: &str) -> String {
    let b: Vec<char> = text.chars().collect();
    let mut out = String::with_capacity(text.len());
    let blank = |c: char| if c == '\n' { '\n' } else { ' ' };
    let ident = |c: char| c.is_alphanumeric() || c == '_';
    let mut i = 0;
    while i < b.len() {
        let c = b[i];
        let next = b.get(i + 1).copied();
        if c == '/' && next == Some('/') {
            while i < b.len() && b[i] != '\n' {
                out.push(' ');
                i += 1;
            }
            continue;
        }
        if c == '/' && next == Some('*') {
            let mut depth = 0;
            while i < b.len() {
                if b[i] == '/' && b.get(i + 1) == Some(&'*') {
                    depth += 1;
                    out.push_str("  ");
                    i += 2;
                } else if b[i] == '*' && b.get(i + 1) == Some(&'/') {
                    depth -= 1;
                    out.push_str("  ");
                    i += 2;
                    if depth == 0 {
                        break;
                    }
                } else {
                    out.push(blank(b[i]));
                    i += 1;
                }
            }
            continue;
        }
        let after_ident = i > 0 && ident(b[i - 1]);
        // A raw string: r"..", r#".."#, br#".."#.
        if c == 'r' && !after_ident || (c == 'b' && next == Some('r') && !after_ident) {
            let start = if c == 'b' { i + 1 } else { i };
            let hashes = b[start + 1..].iter().take_while(|&&h| h == '#').count();
            if b.get(start + 1 + hashes) == Some(&'"') {
                let open = start + 2 + hashes;
                out.extend(&b[i..open]);
                i = open;
                while i < b.len() {
                    if b[i] == '"' && b[i + 1..].iter().take_while(|&&h| h == '#').count() >= hashes
                    {
                        out.push('"');
                        out.extend(std::iter::repeat_n('#', hashes));
                        i += 1 + hashes;
                        break;
                    }
                    out.push(blank(b[i]));
                    i += 1;
                }
                continue;
            }
        }
        if c == '"' {
            out.push('"');
            i += 1;
            while i < b.len() && b[i] != '"' {
                if b[i] == '\\' {
                    out.push(' ');
                    i += 1;
                }
                if i < b.len() {
                    out.push(blank(b[i]));
                    i += 1;
                }
            }
            if i < b.len() {
                out.push('"');
                i += 1;
            }
            continue;
        }
        if c == '\'' {
            // A character ('{', '\'', '\u{7b}'), not a lifetime ('a).
            let end = match next {
                // After the escaped character: '\'' ends at its third quote.
                Some('\\') => b
                    .get(i + 3..)
                    .and_then(|rest| rest.iter().position(|&q| q == '\''))
                    .map(|p| i + 3 + p),
                Some(_) if b.get(i + 2) == Some(&'\'') => Some(i + 2),
                _ => None,
            };
            if let Some(end) = end {
                out.push('\'');
                out.extend(std::iter::repeat_n(' ', end - i - 1));
                out.push('\'');
                i = end + 1;
                continue;
            }
        }
        out.push(c);
        i += 1;
    }
    out.lines()
        .map(|line| {
            let mut l = line.to_string();
            while l.contains(" ::") || l.contains(":: ") {
                l = l.replace(" ::", "::").replace(":: ", "::");
            }
            l
        })
        .collect::<Vec<_>>()
        .join("\n")
}

/// The code of a file that is not its tests, as `sanitized` reads it: every line but the item
/// after each `#[cfg(test)]` (a `mod tests { ... }` to its closing brace, or `mod tests;`),
/// blank lines (and so comments) left out.
fn code(text: &str) -> Vec<(usize, String)> {
    let text = sanitized(text);
    let mut out = Vec::new();
    let mut lines = text.lines().enumerate();
    while let Some((n, line)) = lines.next() {
        if line.trim() == "#[cfg(test)]" {
            // Skip the item: to the `;` of a one-line one, or until its braces close.
            let mut braces = Braces::default();
            for (_, l) in lines.by_ref() {
                if braces.read(l) {
                    break;
                }
            }
            continue;
        }
        if !line.trim().is_empty() {
            out.push((n + 1, line.to_string()));
        }
    }
    out
}

/// The braces of an item read line by line, outside strings, characters and comments.
#[derive(Default)]
struct Braces {
    depth: i32,
    opened: bool,
    /// Inside a string: the `#`s its raw string closes with (None: an ordinary one).
    string: Option<Option<usize>>,
    /// Inside a block comment.
    comment: bool,
}

impl Braces {
    /// Reads a line; whether the item ends on it (its braces closed, or a `;` before any).
    fn read(&mut self, line: &str) -> bool {
        let b = line.as_bytes();
        let mut i = 0;
        let mut last = None;
        while i < b.len() {
            let c = b[i];
            if self.comment {
                if b[i..].starts_with(b"*/") {
                    self.comment = false;
                    i += 1;
                }
            } else if let Some(raw) = self.string {
                match raw {
                    None if c == b'\\' => i += 1,
                    None if c == b'"' => self.string = None,
                    Some(n)
                        if c == b'"'
                            && b[i + 1..].iter().take_while(|&&h| h == b'#').count() >= n =>
                    {
                        self.string = None;
                        i += n;
                    }
                    _ => {}
                }
            } else if b[i..].starts_with(b"//") {
                break;
            } else if b[i..].starts_with(b"/*") {
                self.comment = true;
                i += 1;
            } else if c == b'r'
                && !b[..i]
                    .last()
                    .is_some_and(|p| p.is_ascii_alphanumeric() || *p == b'_')
            {
                let hashes = b[i + 1..].iter().take_while(|&&h| h == b'#').count();
                if b.get(i + 1 + hashes) == Some(&b'"') {
                    self.string = Some(Some(hashes));
                    i += 1 + hashes;
                }
            } else if c == b'"' {
                self.string = Some(None);
            } else if c == b'\'' {
                // A character ('{', '\'', '\u{7b}'), not a lifetime ('a).
                let end = match b.get(i + 1) {
                    Some(b'\\') => b[i + 2..]
                        .iter()
                        .position(|&q| q == b'\'')
                        .map(|p| i + 2 + p),
                    Some(_) if b.get(i + 2) == Some(&b'\'') => Some(i + 2),
                    _ => None,
                };
                if let Some(end) = end {
                    i = end;
                }
            } else {
                match c {
                    b'{' => {
                        self.depth += 1;
                        self.opened = true;
                    }
                    b'}' => self.depth -= 1,
                    _ => {}
                }
                if !c.is_ascii_whitespace() {
                    last = Some(c);
                }
            }
            i += 1;
        }
        match self.opened {
            true => self.depth <= 0 && self.string.is_none() && !self.comment,
            false => last == Some(b';') && self.string.is_none(),
        }
    }
}

/// The paths a use tree names, each whole, and where the tree ends: from `a::{b::C, d::{self,
/// e}}` (what follows `crate::` or `super::`) a::b::C, a::d, a::d::e; a glob stays `*`.
fn tree(s: &str) -> (Vec<String>, usize) {
    let b = s.as_bytes();
    let is_path = |c: u8| c.is_ascii_alphanumeric() || c == b'_' || c == b':';
    let mut i = 0;
    while i < b.len() && is_path(b[i]) {
        i += 1;
    }
    let written = &s[..i];
    let prefix = written.trim_end_matches("::");
    let join = |item: &str| match (prefix, item) {
        (p, "self") => p.to_string(),
        ("", item) => item.to_string(),
        (p, item) => format!("{p}::{item}"),
    };
    let open = written.is_empty() || written.ends_with("::");
    match b.get(i) {
        Some(b'*') if open => (vec![join("*")], i + 1),
        Some(b'{') if open => {
            i += 1;
            let mut out = Vec::new();
            while i < b.len() {
                while i < b.len() && b[i].is_ascii_whitespace() {
                    i += 1;
                }
                if b.get(i) == Some(&b'}') {
                    return (out, i + 1);
                }
                let (items, used) = tree(&s[i..]);
                out.extend(items.iter().map(|item| join(item)));
                i += used.max(1);
                // ` as name`, then the next item or the group's end.
                let mut depth = 0;
                while i < b.len() && !(depth == 0 && matches!(b[i], b',' | b'}')) {
                    match b[i] {
                        b'{' => depth += 1,
                        b'}' => depth -= 1,
                        _ => {}
                    }
                    i += 1;
                }
                match b.get(i) {
                    Some(b',') => i += 1,
                    Some(_) => return (out, i + 1),
                    None => {}
                }
            }
            (out, i)
        }
        _ => (vec![prefix.to_string()], i),
    }
}

/// The whole paths a line names after `anchor` (`crate::` or `super::`), groups expanded.
fn paths_after(line: &str, anchor: &str) -> Vec<String> {
    let mut out = Vec::new();
    for (at, _) in line.match_indices(anchor) {
        if line[..at].ends_with(|c: char| c.is_alphanumeric() || c == '_') {
            continue;
        }
        out.extend(tree(&line[at + anchor.len()..]).0);
    }
    out.retain(|p| !p.is_empty());
    out
}

/// The top modules a line names as `crate::<module>`, also in a group (`crate::{a::X, b}`).
fn crate_paths(line: &str) -> Vec<String> {
    firsts(paths_after(line, "crate::"))
}

/// The first segment of each path, each once, in order.
fn firsts(paths: Vec<String>) -> Vec<String> {
    let mut tops: Vec<String> = Vec::new();
    for p in paths {
        let top = p.split("::").next().unwrap_or(&p).to_string();
        if !tops.contains(&top) {
            tops.push(top);
        }
    }
    tops
}

/// The code's lines with each multi-line `use` joined into one (numbered by its first line),
/// so that a group spread over lines is read whole.
fn statements(lines: &[(usize, String)]) -> Vec<(usize, String)> {
    let mut out: Vec<(usize, String)> = Vec::new();
    let mut open: Option<(usize, String)> = None;
    for (n, line) in lines {
        if let Some((first, mut joined)) = open.take() {
            joined.push(' ');
            joined.push_str(line.trim());
            match line.trim_end().ends_with(';') {
                true => out.push((first, joined)),
                false => open = Some((first, joined)),
            }
            continue;
        }
        // `use`, after any visibility (`pub`, `pub(crate)`, `pub(super)`, `pub(in a::b)`).
        let t = line.trim_start();
        let t = match t.strip_prefix("pub") {
            Some(rest) if rest.starts_with('(') => rest.find(')').map_or(rest, |e| &rest[e + 1..]),
            Some(rest) => rest,
            None => t,
        };
        let is_use = t.trim_start().starts_with("use ");
        match is_use && !line.trim_end().ends_with(';') {
            true => open = Some((*n, line.trim().to_string())),
            false => out.push((*n, line.to_string())),
        }
    }
    out.extend(open);
    out
}

/// The names a line takes as `crate::<folder>::<name>`, for a folder (`infra::exec`) the file
/// is inside: each must be a module in that folder, not an item of its mod.rs (`*` is all of
/// them).
fn parent_items(line: &str, folder: &str) -> Vec<String> {
    let prefix = format!("{folder}::");
    paths_after(line, "crate::")
        .iter()
        .filter_map(|p| p.strip_prefix(&prefix))
        .map(|rest| rest.split("::").next().unwrap_or(rest).to_string())
        .collect()
}

/// The line with each `super::` chain written as the `crate::` path it names, for a file of
/// module `module` (`source::pack`; a folder's mod.rs is the folder's module): `super::x` in
/// `source::pack` is `crate::source::x`, and in `source` (source/mod.rs) `crate::x`, so that an
/// import through `super::` is checked as the same import written from the crate is.
fn absolute(line: &str, module: &str) -> String {
    let line = line.replace("self::super::", "super::");
    let line = line.as_str();
    let parts: Vec<&str> = module.split("::").filter(|p| !p.is_empty()).collect();
    let mut out = String::with_capacity(line.len());
    let mut rest = line;
    while let Some(at) = rest.find("super::") {
        let before = &rest[..at];
        out.push_str(before);
        let after_ident = before
            .chars()
            .last()
            .is_some_and(|c| c.is_alphanumeric() || c == '_' || c == ':');
        if after_ident {
            out.push_str("super::");
            rest = &rest[at + "super::".len()..];
            continue;
        }
        let mut up = 0;
        let mut tail = &rest[at..];
        while let Some(t) = tail.strip_prefix("super::") {
            up += 1;
            tail = t.trim_start();
        }
        let base = &parts[..parts.len().saturating_sub(up)];
        out.push_str("crate::");
        for p in base {
            out.push_str(p);
            out.push_str("::");
        }
        rest = tail;
    }
    out.push_str(rest);
    out
}

/// Whether a statement names the crate (or a parent module) under another name (`use crate as
/// x`, `use crate::{self as x}`, `use super::{self as x}`, `extern crate self as x`), which
/// would reach any layer through `x::` where this test does not follow: read as words, whatever
/// the spacing. (A module of a layer renamed, `crate::plan::sign::{self as s}`, is checked as
/// `crate::plan` already.)
fn renames_a_module(line: &str) -> bool {
    let words: Vec<&str> = line
        .split(|c: char| !(c.is_alphanumeric() || c == '_'))
        .filter(|w| !w.is_empty())
        .collect();
    let root = |w: &str| matches!(w, "crate" | "super");
    words
        .windows(2)
        .any(|w| w == ["extern", "crate"] || (root(w[0]) && w[1] == "as"))
        || words
            .windows(3)
            .any(|w| root(w[0]) && w[1] == "self" && w[2] == "as")
}

#[test]
fn each_layer_imports_only_those_below_it_and_no_file_its_parent() {
    let src = Path::new(env!("CARGO_MANIFEST_DIR")).join("src");
    let mut files = Vec::new();
    sources(&src, Path::new(""), &mut files);
    let mut wrong = Vec::new();
    for (path, text) in &files {
        let parts: Vec<String> = path
            .iter()
            .map(|p| p.to_string_lossy().trim_end_matches(".rs").to_string())
            .collect();
        let top = parts[0].as_str();
        if matches!(top, "lib" | "main" | "layers") {
            continue;
        }
        let mine = rank(top)
            .unwrap_or_else(|| panic!("{} is in no layer: add it to LAYERS", path.display()));
        // The entries of a folder (its files and folders).
        let names_in = |dir: &Path| -> Vec<String> {
            std::fs::read_dir(dir)
                .unwrap()
                .flatten()
                .map(|e| {
                    e.file_name()
                        .to_string_lossy()
                        .trim_end_matches(".rs")
                        .to_string()
                })
                .collect()
        };
        // A test module is its parent's own tests: `use super::*` is what it is for.
        let is_tests = path.ends_with("tests.rs");
        // The folders the file is inside (for a folder's mod.rs, those above its own):
        // `crate::<folder>::<name>` from inside one must name a module beside it there, not an
        // item of the folder's mod.rs.
        let own = match path.ends_with("mod.rs") {
            true => parts.len() - 2,
            false => parts.len() - 1,
        };
        let folders: Vec<(String, Vec<String>)> = (1..=own)
            .map(|k| {
                let folder = parts[..k].join("::");
                let entries = names_in(&src.join(parts[..k].join("/")));
                (folder, entries)
            })
            .collect();
        let module = module_of(path);
        for (n, line) in statements(&code(text)) {
            if renames_a_module(&line) {
                wrong.push(format!(
                    "{}:{n}: names the crate or a module under another name, which the layers \
                     test cannot follow",
                    path.display()
                ));
            }
            // `super::` read as the path it names from the crate: checked as that is.
            let line = absolute(&line, &module);
            let line = line.as_str();
            for used in crate_paths(line) {
                let used = used.as_str();
                match rank(used) {
                    Some(r) if r > mine => wrong.push(format!(
                        "{}:{n}: {top} (layer {mine}) uses crate::{used} (layer {r})",
                        path.display()
                    )),
                    Some(_) => {}
                    None => wrong.push(format!(
                        "{}:{n}: uses crate::{used}, which is in no layer (an item of the crate \
                         root is reached around the layers)",
                        path.display()
                    )),
                }
            }
            if !is_tests {
                for (folder, entries) in &folders {
                    for name in parent_items(line, folder) {
                        if !entries.contains(&name) {
                            wrong.push(format!(
                                "{}:{n}: takes crate::{folder}::{name} from its own folder's mod.rs",
                                path.display()
                            ));
                        }
                    }
                }
            }
        }
    }
    assert!(
        wrong.is_empty(),
        "imports against the layers:\n{}",
        wrong.join("\n")
    );
}

#[test]
fn the_checks_read_lines_right() {
    let pair = |a: &[&str]| concern_pair(&a.iter().map(|s| s.to_string()).collect::<Vec<_>>());
    assert!(pair(&["plan/sign", "outputs/sign"]));
    assert!(pair(&["bundled", "plan/bundled"]));
    assert!(!pair(&["plan/bench", "commands/bench"]));
    assert!(!pair(&["outputs/sign", "container/sign"]));
    assert!(!pair(&["plan/sign", "outputs/signing"]));
    assert!(!pair(&["plan/sign", "outputs/sign", "container/sign"]));
    let owned = |l: &[(usize, &str)]| -> Vec<(usize, String)> {
        l.iter().map(|(n, s)| (*n, s.to_string())).collect()
    };
    let lines = owned(&[
        (1, "use crate::{"),
        (2, "    cli::Usage,"),
        (3, "    infra::exec,"),
        (4, "};"),
        (5, "let x = 1;"),
    ]);
    let joined = statements(&lines);
    assert_eq!(joined.len(), 2);
    let scoped = owned(&[
        (1, "pub(super) use crate::{"),
        (2, "    commands::rpm as r,"),
        (3, "};"),
    ]);
    assert_eq!(crate_paths(&statements(&scoped)[0].1), ["commands"]);
    assert_eq!(joined[0].0, 1);
    assert_eq!(crate_paths(&joined[0].1), ["cli", "infra"]);
    assert_eq!(
        parent_items("use crate::rpmbuild::Run; xcrate::rpmbuild::y", "rpmbuild"),
        ["Run"]
    );
    assert_eq!(
        crate_paths("use crate::infra::exec::{Cmd, Shell};"),
        ["infra"]
    );
    assert_eq!(
        crate_paths("    let x = crate::outputs::manifest::of(); // crate::cli"),
        ["outputs", "cli"]
    );
    assert!(crate_paths("use mycrate::x;").is_empty());
    assert_eq!(
        crate_paths("use crate::{commands::rpm, infra::{exec, json}, plan};"),
        ["commands", "infra", "plan"]
    );
    assert_eq!(crate_paths("use crate::{cli::Usage,"), ["cli"]);
    // super:: as the crate path it names, from a file and from a folder's mod.rs.
    let abs = |line: &str, module: &str| absolute(line, module);
    assert_eq!(
        abs("use super::{sign, Run};", "outputs::publish"),
        "use crate::outputs::{sign, Run};"
    );
    assert_eq!(
        abs("use super::outputs::manifest::Manifest as _Up;", "source"),
        "use crate::outputs::manifest::Manifest as _Up;"
    );
    assert_eq!(
        abs("use super::super::x::Y;", "rpmbuild::options::menu"),
        "use crate::rpmbuild::x::Y;"
    );
    assert_eq!(abs("use super::*;", "infra"), "use crate::*;");
    assert_eq!(
        abs("pub(super) fn f() {}", "infra::exec"),
        "pub(super) fn f() {}"
    );
    assert_eq!(abs("x.super::y", "a::b"), "x.crate::a::y");
    assert_eq!(abs("my_super::y", "a::b"), "my_super::y");
    assert_eq!(
        crate_paths(&abs("use super::commands::rpm;", "infra")),
        ["commands"]
    );
    assert_eq!(crate_paths(&abs("use super::*;", "infra")), ["*"]);
    assert_eq!(
        parent_items(
            &abs("use super::{a::B, Run};", "rpmbuild::phases"),
            "rpmbuild"
        ),
        ["a", "Run"]
    );
    // Renaming the crate or a module, however it is spaced.
    for renames in [
        "use crate as x;",
        "use crate::{self as a};",
        "use crate::{ self as a };",
        "use crate::{\n self\n as a };",
        "extern crate self as x;",
        "extern crate xtask;",
        "use super::{self as parent};",
        "use super as parent;",
    ] {
        assert!(renames_a_module(renames), "{renames}");
    }
    for fine in [
        "use crate::infra::exec::{self, Cmd};",
        "use crate::plan::sign as plan_sign;",
        "use super::options::Options as O;",
        "use crate::plan::incremental::{self as plan_incremental, Rebuild};",
        "let crate_as = 1;",
        "use std::io::{self as stdio};",
    ] {
        assert!(!renames_a_module(fine), "{fine}");
    }
    assert_eq!(
        paths_after(
            "use crate::infra::{self, exec::{Cmd, Shell as Sh}, json::*};",
            "crate::"
        ),
        [
            "infra",
            "infra::exec::Cmd",
            "infra::exec::Shell",
            "infra::json::*"
        ]
    );
    assert_eq!(
        parent_items("use crate::infra::exec::{Failed, stream};", "infra::exec"),
        ["Failed", "stream"]
    );
    assert_eq!(
        parent_items("use crate::{infra::{exec::Shell}, plan};", "infra"),
        ["exec"]
    );
    assert_eq!(
        parent_items("let s = crate::outputs::publish::Stage::new();", "outputs"),
        ["publish"]
    );
    assert_eq!(
        code("a\n// crate::x\n#[cfg(test)]\nb;\nc\n"),
        owned(&[(1, "a"), (5, "c")])
    );
    assert_eq!(
        code("a\n#[cfg(test)]\nmod tests {\n    fn t() {}\n}\nimpl X {\n}\n"),
        owned(&[(1, "a"), (6, "impl X {"), (7, "}")])
    );
    // Braces in strings, raw strings, characters and comments are not the item's, and a
    // lifetime is no character.
    let tricky = "a\n#[cfg(test)]\nmod tests {\n    const S: &str = \"}}\";\n    \
                  const R: &str = r#\"\"}\"#;\n    const C: char = '}';\n    \
                  fn f<'a>(x: &'a str) -> &'a str { x } /* } */\n    const Q: char = '\\'';\n}\n\
                  use crate::cli;\n";
    assert_eq!(code(tricky), owned(&[(1, "a"), (10, "use crate::cli;")]));
    let multi = "#[cfg(test)]\nconst S: &str = \"\n}\n\";\nuse crate::cli;\n";
    assert_eq!(code(multi), owned(&[(5, "use crate::cli;")]));
    // What hid an import from the test once: a comment inside a group (line or block), spaces
    // around `::` (under #[rustfmt::skip]), a `#[cfg(test)]` line inside a raw string.
    let hidden = "use crate::{\n    infra::progress, // the clock\n    source::tree,\n};\n";
    let joined = statements(&code(hidden));
    assert_eq!(crate_paths(&joined[0].1), ["infra", "source"]);
    assert_eq!(
        crate_paths(&code("use crate::{/* the command */ commands::image};")[0].1),
        ["commands"]
    );
    assert_eq!(
        crate_paths(&code("#[rustfmt::skip]\nuse crate :: commands :: fetch;")[1].1),
        ["commands"]
    );
    let raw = "const S: &str = r#\"\n#[cfg(test)]\n\"#;\nuse crate::commands::smoke;\n";
    assert_eq!(
        code(raw).last().map(|(n, l)| (*n, l.as_str())),
        Some((4, "use crate::commands::smoke;"))
    );
    assert_eq!(
        sanitized("let u = \"http://x\"; crate::a /* b /* c */ d */ e // f"),
        "let u = \"        \"; crate::a                   e     "
    );
    assert_eq!(sanitized("f(b'x', '\\'', 'a: {})"), "f(b' ', '  ', 'a: {})");
    assert_eq!(
        absolute("use self::super::super::commands::rpm;", "source::a"),
        "use crate::commands::rpm;"
    );
}

/// The names `plan::concern` asks of each concern's module.
const CONCERN_ALIASES: [&str; 2] = ["Flags", "Part"];

#[test]
fn one_name_for_one_thing() {
    let src = Path::new(env!("CARGO_MANIFEST_DIR")).join("src");
    let mut files = Vec::new();
    sources(&src, Path::new(""), &mut files);
    let mut seen: std::collections::BTreeMap<String, String> = Default::default();
    let mut twice = Vec::new();
    for (path, text) in &files {
        // Folders tools skip or collapse: build/ as output, thirdparty/ as vendored code.
        for part in path.iter() {
            let part = part.to_string_lossy();
            assert!(
                !matches!(
                    part.as_ref(),
                    "build" | "thirdparty" | "third_party" | "vendor"
                ),
                "{} is in a folder that tools skip",
                path.display()
            );
        }
        for (_, line) in code(text) {
            // The visibility read whole (`pub`, `pub(crate)`, `pub(in crate::infra)`).
            let t = line.trim_start();
            let Some(rest) = t.strip_prefix("pub") else {
                continue;
            };
            let rest = match rest.strip_prefix('(') {
                Some(scoped) => scoped.split_once(')').map_or("", |(_, r)| r),
                None => rest,
            };
            let words: Vec<&str> = rest.split_whitespace().collect();
            if let [kind, name, ..] = words.as_slice() {
                if matches!(*kind, "struct" | "enum" | "trait" | "type") {
                    // `Usage(u8);`, `Plan<'a>`, `Plan {`: the name alone.
                    let name = name
                        .split(|c: char| !(c.is_alphanumeric() || c == '_'))
                        .next()
                        .unwrap_or(name)
                        .to_string();
                    // The aliases every concern of the plan has (plan::concern), always read
                    // with the concern's name (`sign::Flags`), as `io::Result` is.
                    if *kind == "type"
                        && CONCERN_ALIASES.contains(&name.as_str())
                        && path.starts_with("plan")
                    {
                        continue;
                    }
                    let here = path.display().to_string();
                    if let Some(there) = seen.insert(name.clone(), here.clone()) {
                        twice.push(format!("{name}: {there} and {here}"));
                    }
                }
            }
        }
    }
    assert!(
        twice.is_empty(),
        "public types of one name:\n{}",
        twice.join("\n")
    );
    // One file for one name: no two files (nor a file and a folder elsewhere) share one, so
    // that a name says which stage it is (a folder with its own mod.rs, or a file with its
    // tests beside it in a folder of its name, is one module).
    let mut names: std::collections::BTreeMap<String, Vec<String>> = Default::default();
    for (path, _) in &files {
        let stem = path.file_stem().unwrap().to_string_lossy().to_string();
        if matches!(stem.as_str(), "mod" | "tests" | "lib" | "main") {
            continue;
        }
        let module = path.with_extension("").display().to_string();
        names.entry(stem).or_default().push(module);
    }
    for (path, _) in &files {
        for dir in path.parent().into_iter().flat_map(|p| p.iter()) {
            let dir = dir.to_string_lossy().to_string();
            let module: String = path
                .iter()
                .take_while(|p| p.to_string_lossy() != dir)
                .chain(std::iter::once(std::ffi::OsStr::new(&dir)))
                .map(|p| p.to_string_lossy().to_string())
                .collect::<Vec<_>>()
                .join("/");
            let entry = names.entry(dir).or_default();
            if !entry.contains(&module) {
                entry.push(module);
            }
        }
    }
    let shared: Vec<String> = names
        .iter()
        .filter(|(_, at)| at.len() > 1 && !concern_pair(at))
        .map(|(name, at)| format!("{name}: {}", at.join(", ")))
        .collect();
    assert!(
        shared.is_empty(),
        "names used twice:\n{}",
        shared.join("\n")
    );
}

/// Whether the modules of one name are one concern's two halves: `plan/<concern>` (what the
/// user chose: its flags, plan part and record) and the stage that does it (`outputs/sign`,
/// `rpmbuild/incremental`, the `bundled` folder). A command, the cli or a third place of the
/// name is a twin.
fn concern_pair(at: &[String]) -> bool {
    let [a, b] = at else { return false };
    let (chosen, stage) = match (a.starts_with("plan/"), b.starts_with("plan/")) {
        (true, false) => (a, b),
        (false, true) => (b, a),
        _ => return false,
    };
    let top = stage.split('/').next().unwrap_or(stage);
    let stem = |m: &str| m.rsplit('/').next().unwrap_or(m).to_string();
    stem(chosen) == stem(stage)
        && !matches!(top, "commands" | "cli" | "infra" | "machine" | "measure")
}

/// A file's module path (`source/fileset.rs`: `source::fileset`; `outputs/mod.rs`: `outputs`).
fn module_of(path: &Path) -> String {
    let parts: Vec<String> = path
        .iter()
        .map(|p| p.to_string_lossy().trim_end_matches(".rs").to_string())
        .collect();
    let parts = match parts.last().map(String::as_str) {
        Some("mod") => &parts[..parts.len() - 1],
        _ => &parts[..],
    };
    parts.join("::")
}

/// The modules a line uses: each `crate::` path (also in a group) and each `super::` name, as
/// the longest module path it starts with.
fn modules_used(line: &str, me: &str, modules: &[String]) -> Vec<String> {
    let mut paths = paths_after(line, "crate::");
    // `super::` is the module's parent (for a folder's mod.rs, the folder's parent).
    let parent = me.rsplit_once("::").map_or("", |(p, _)| p);
    for path in paths_after(line, "super::") {
        paths.push(match parent {
            "" => path,
            parent => format!("{parent}::{path}"),
        });
    }
    paths
        .iter()
        .filter_map(|p| {
            let parts: Vec<&str> = p.split("::").collect();
            (1..=parts.len())
                .rev()
                .map(|n| parts[..n].join("::"))
                .find(|m| modules.contains(m))
        })
        .filter(|m| m != me)
        .collect()
}

#[test]
fn no_two_files_use_each_other() {
    let src = Path::new(env!("CARGO_MANIFEST_DIR")).join("src");
    let mut files = Vec::new();
    sources(&src, Path::new(""), &mut files);
    files.retain(|(p, _)| {
        !p.ends_with("tests.rs") && !matches!(module_of(p).as_str(), "lib" | "main" | "layers")
    });
    let modules: Vec<String> = files.iter().map(|(p, _)| module_of(p)).collect();
    let mut uses: std::collections::BTreeMap<String, std::collections::BTreeSet<String>> =
        Default::default();
    for (path, text) in &files {
        let me = module_of(path);
        let entry = uses.entry(me.clone()).or_default();
        for (_, line) in statements(&code(text)) {
            for used in modules_used(&line, &me, &modules) {
                // A module's own folder (outputs -> outputs::publish) is its to compose.
                if !used.starts_with(&format!("{me}::")) {
                    entry.insert(used);
                }
            }
        }
    }
    // Every module that reaches itself back, by a walk of what it uses (any length: each module
    // is visited once per start), with the path it takes.
    let mut cycles = std::collections::BTreeSet::new();
    for start in uses.keys() {
        let mut parent: std::collections::BTreeMap<&String, &String> = Default::default();
        let mut stack = vec![start];
        let mut seen = std::collections::BTreeSet::from([start]);
        while let Some(at) = stack.pop() {
            for next in uses.get(at).into_iter().flatten() {
                if next == start {
                    let mut cycle = vec![at.clone()];
                    let mut back = at;
                    while let Some(p) = parent.get(back) {
                        cycle.push((*p).clone());
                        back = p;
                    }
                    cycle.reverse();
                    let min = cycle.iter().enumerate().min_by_key(|(_, m)| *m).unwrap().0;
                    cycle.rotate_left(min);
                    cycles.insert(cycle.join(" -> "));
                } else if seen.insert(next) {
                    parent.insert(next, at);
                    stack.push(next);
                }
            }
        }
    }
    assert!(
        cycles.is_empty(),
        "files that use each other (put what both need below both):\n{}",
        cycles.into_iter().collect::<Vec<_>>().join("\n")
    );
}
