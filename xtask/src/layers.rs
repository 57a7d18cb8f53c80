//! The layers, checked: every source file imports only its own layer and those below it, and
//! no file reaches back into its parent module for an item (siblings it may use). A test
//! rather than a convention, because the order drifts otherwise.

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
    ("cli", 7),
    ("machine", 8),
    ("measure", 8),
    ("commands", 9),
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

/// The code of a file that is not its tests: up to its first `#[cfg(test)]`, comments left out.
fn code(text: &str) -> Vec<(usize, &str)> {
    text.lines()
        .enumerate()
        .take_while(|(_, l)| l.trim() != "#[cfg(test)]")
        .filter(|(_, l)| !l.trim_start().starts_with("//"))
        .map(|(n, l)| (n + 1, l))
        .collect()
}

/// The top modules a line names as `crate::<module>`.
fn crate_paths(line: &str) -> Vec<&str> {
    line.match_indices("crate::")
        .filter(|(at, _)| !line[..*at].ends_with(|c: char| c.is_alphanumeric() || c == '_'))
        .map(|(at, _)| {
            let rest = &line[at + "crate::".len()..];
            let end = rest
                .find(|c: char| !(c.is_alphanumeric() || c == '_'))
                .unwrap_or(rest.len());
            &rest[..end]
        })
        .collect()
}

/// The names a line takes from `super::` (`use super::{a, b}`, `super::x::y`).
fn super_names(line: &str) -> Vec<String> {
    let mut out = Vec::new();
    for (at, _) in line.match_indices("super::") {
        let rest = &line[at + "super::".len()..];
        let names: Vec<&str> = match rest.strip_prefix('{') {
            Some(list) => list[..list.find('}').unwrap_or(list.len())]
                .split(',')
                .collect(),
            None => vec![rest],
        };
        for name in names {
            let name = name.trim();
            let end = name
                .find(|c: char| !(c.is_alphanumeric() || c == '_'))
                .unwrap_or(name.len());
            if end > 0 {
                out.push(name[..end].to_string());
            }
        }
    }
    out
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
        // A file's siblings: the other files and folders of its directory.
        let dir = src.join(path).parent().unwrap().to_path_buf();
        let siblings: Vec<String> = std::fs::read_dir(&dir)
            .unwrap()
            .flatten()
            .map(|e| {
                e.file_name()
                    .to_string_lossy()
                    .trim_end_matches(".rs")
                    .to_string()
            })
            .collect();
        let is_module_root = path.ends_with("mod.rs") || parts.len() == 1;
        let is_tests = path.ends_with("tests.rs");
        for (n, line) in code(text) {
            for used in crate_paths(line) {
                match rank(used) {
                    Some(r) if r > mine => wrong.push(format!(
                        "{}:{n}: {top} (layer {mine}) uses crate::{used} (layer {r})",
                        path.display()
                    )),
                    _ => {}
                }
            }
            if is_module_root || is_tests {
                continue;
            }
            for name in super_names(line) {
                if name != "self" && !siblings.contains(&name) {
                    wrong.push(format!(
                        "{}:{n}: takes super::{name} from its parent module",
                        path.display()
                    ));
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
    assert_eq!(
        crate_paths("use crate::infra::exec::{Cmd, Shell};"),
        ["infra"]
    );
    assert_eq!(
        crate_paths("    let x = crate::outputs::manifest::of(); // crate::cli"),
        ["outputs", "cli"]
    );
    assert!(crate_paths("use mycrate::x;").is_empty());
    assert_eq!(super_names("use super::{sign, Run};"), ["sign", "Run"]);
    assert_eq!(super_names("use super::manifest::Manifest;"), ["manifest"]);
    assert_eq!(
        super_names("use super::options::{Options, SOURCE};"),
        ["options"]
    );
    assert_eq!(super_names("use super::{a::B, c};"), ["a", "c"]);
    assert_eq!(code("a\n// crate::x\n#[cfg(test)]\nb\n"), [(1, "a")]);
}

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
            let words: Vec<&str> = line.split_whitespace().collect();
            if let [vis, kind, name, ..] = words.as_slice() {
                if vis.starts_with("pub") && matches!(*kind, "struct" | "enum" | "trait" | "type") {
                    let name = name.trim_end_matches(|c: char| !c.is_alphanumeric() && c != '_');
                    let name = name.split('<').next().unwrap_or(name).to_string();
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
}
