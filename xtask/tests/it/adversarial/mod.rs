//! The adversary's table: bad input and faults across `rpm`, `image` and `smoke`, a row each.
//! Every row asserts the exit code, the one `error:` line (or the warning a tolerated fault
//! gives), and that nothing was lost or left behind: the tree it used, the previous outputs and
//! any file a user put beside them are byte for byte as they were, no staging directory is
//! left beside the output directory, and (for the engine rows) no container or volume is left.

use std::path::{Path, PathBuf};
use std::process::Command;

use crate::support::*;

mod engine_rows;
mod fault_rows;
mod input_rows;
mod package_rows;
mod trust_rows;

/// What a row runs, and what must survive it.
pub struct Attempt {
    pub args: Vec<String>,
    pub env: Vec<(String, String)>,
    /// Files and directories that must be exactly as they were before the run (a path that
    /// did not exist must still not exist).
    pub unchanged: Vec<PathBuf>,
    /// Names beside an output directory that this row put there itself, and that must stay:
    /// the exemption from "nothing is left beside it" is this row's only.
    pub kept_beside: Vec<String>,
    /// Held for the run (a lock, a mount); dropped afterwards.
    pub _hold: Vec<Box<dyn std::any::Any>>,
}

/// Prepares a row in its own directory; None when it cannot run here (said loudly).
pub type Setup = Box<dyn Fn(&World, &Path) -> Option<Attempt>>;

/// A row: its name, what it sets up, the exit code, and what the error (or warning) says.
pub struct Row {
    pub name: &'static str,
    pub setup: Setup,
    pub code: i32,
    pub says: &'static str,
    /// The row needs a container engine.
    pub engine: bool,
}

/// How many rows the table has: a row lost (or one added) is seen.
const ROWS: usize = 112;

/// What the rows share: a git tree with uncommitted edits, a plain tree, and an output
/// directory holding the outputs of a good build.
pub struct World {
    pub tree: PathBuf,
    pub plain: PathBuf,
    pub out: PathBuf,
    pub spec: PathBuf,
    pub engine: Option<String>,
}

pub fn s(v: &[&str]) -> Vec<String> {
    v.iter().map(|a| a.to_string()).collect()
}

pub fn p(path: &Path) -> String {
    path.to_str().unwrap().to_string()
}

/// `rpm --native -q --source TREE --out OUT` and more.
pub fn rpm(tree: &Path, out: &Path, more: &[&str]) -> Vec<String> {
    let mut args = s(&["rpm", "--native", "-q", "--source"]);
    args.extend([p(tree), "--out".into(), p(out)]);
    args.extend(s(more));
    args
}

pub fn attempt(args: Vec<String>, unchanged: &[&Path]) -> Option<Attempt> {
    Some(Attempt {
        args,
        env: Vec::new(),
        unchanged: unchanged.iter().map(|p| p.to_path_buf()).collect(),
        kept_beside: Vec::new(),
        _hold: Vec::new(),
    })
}

pub fn with_env(mut a: Option<Attempt>, env: &[(&str, &str)]) -> Option<Attempt> {
    if let Some(a) = a.as_mut() {
        a.env
            .extend(env.iter().map(|(k, v)| (k.to_string(), v.to_string())));
    }
    a
}

/// A copy of a tree for a row that changes it (the copy is then the tree that must not change).
pub fn copy_of(tree: &Path, row: &Path) -> PathBuf {
    let copy = row.join("tree");
    let status = Command::new("cp")
        .arg("-a")
        .arg(tree)
        .arg(&copy)
        .status()
        .unwrap();
    assert!(status.success());
    copy
}

/// A copy of the previous outputs, with whatever the row adds.
pub fn out_copy(world: &World, row: &Path) -> PathBuf {
    let out = row.join("out");
    let status = Command::new("cp")
        .arg("-a")
        .arg(&world.out)
        .arg(&out)
        .status()
        .unwrap();
    assert!(status.success());
    out
}

/// A picture of a path: checksums of every file, links with their targets.
fn picture(path: &Path) -> String {
    if path.is_dir() {
        tree_checksums(path)
    } else if path.exists() {
        sh(Path::new("/"), &format!("sha256sum '{}'", path.display()))
    } else {
        "absent".into()
    }
}

/// Staging or probe directories an output directory's run left beside it.
fn leftovers_beside(out: &Path) -> Vec<String> {
    let (Some(parent), Some(name)) = (out.parent(), out.file_name()) else {
        return Vec::new();
    };
    let prefix = format!(".{}.", name.to_str().unwrap());
    std::fs::read_dir(parent)
        .map(|entries| {
            entries
                .flatten()
                .map(|e| e.file_name().to_string_lossy().into_owned())
                .filter(|n| n.starts_with(&prefix))
                .collect()
        })
        .unwrap_or_default()
}

/// Every row of the table.
fn rows() -> Vec<Row> {
    let mut rows = input_rows::rows();
    rows.extend(fault_rows::rows());
    rows.extend(trust_rows::rows());
    rows.extend(package_rows::rows());
    rows.extend(engine_rows::rows());
    rows
}

#[test]
fn bad_input_and_faults_lose_nothing_and_leave_nothing() {
    let dir = scratch("adversary");
    let tree = git_tree(&dir.join("git"));
    sh(
        &tree,
        "echo '/* edit */' >> main/asterisk.c; echo new > NOTES.txt",
    );
    let plain = plain_tree(&dir.join("plain"), true);
    let out = dir.join("good-out");
    must(xtask(
        &native_rpm_args(&tree, &out),
        &dir.join("target"),
        &[],
    ));
    let engine = EngineFixture::get("the adversary's engine rows").map(|f| f.engine);
    let world = World {
        tree,
        plain,
        out,
        spec: Path::new(env!("CARGO_MANIFEST_DIR")).join("../contrib/rpm/asterisk.spec"),
        engine: engine.clone(),
    };
    let rows = rows();
    assert_eq!(
        rows.len(),
        ROWS,
        "the table has {} rows, not {ROWS}",
        rows.len()
    );
    // The docs say how many, and the count is this one.
    for doc in ["docs/testing.md", "docs/refused.md"] {
        let text =
            std::fs::read_to_string(Path::new(env!("CARGO_MANIFEST_DIR")).join("..").join(doc))
                .unwrap();
        assert!(
            text.contains(&format!("{ROWS} rows")),
            "{doc} does not say {ROWS} rows"
        );
    }
    let mut names = std::collections::BTreeSet::new();
    let (mut ran, mut skipped) = (0, Vec::new());
    for (n, row) in rows.iter().enumerate() {
        assert!(names.insert(row.name), "two rows named {}", row.name);
        if row.engine && engine.is_none() {
            skipped.push(row.name);
            continue;
        }
        let row_dir = dir.join(format!("row{n}"));
        std::fs::create_dir_all(&row_dir).unwrap();
        let Some(attempt) = (row.setup)(&world, &row_dir) else {
            skipped.push(row.name);
            continue;
        };
        let before: Vec<String> = attempt.unchanged.iter().map(|p| picture(p)).collect();
        let volumes = engine.as_deref().map(dangling_volumes);
        let args: Vec<&str> = attempt.args.iter().map(String::as_str).collect();
        let env: Vec<(&str, &str)> = attempt
            .env
            .iter()
            .map(|(k, v)| (k.as_str(), v.as_str()))
            .collect();
        let run = xtask(&args, &row_dir.join("target"), &env);
        let context = format!("row '{}':\n{}", row.name, run.stderr);
        assert_eq!(run.code, Some(row.code), "exit code of {context}");
        if row.code == 0 {
            assert!(run.stderr.contains(row.says), "{context}");
            eprintln!("{:<64} exit 0, says: {}", row.name, row.says);
        } else {
            let error = run.error();
            let first = error.lines().next().unwrap();
            assert!(first.contains(row.says), "{context}");
            for extra in error.lines().skip(1) {
                assert!(
                    extra.starts_with("    "),
                    "more than one error line: {context}"
                );
            }
            assert!(!first.contains('\r'), "{context}");
            eprintln!("{:<64} exit {}: {first}", row.name, row.code);
        }
        for (path, was) in attempt.unchanged.iter().zip(&before) {
            assert_eq!(&picture(path), was, "{} changed: {context}", path.display());
        }
        for out in attempt
            .args
            .windows(2)
            .filter(|w| w[0] == "--out")
            .map(|w| PathBuf::from(&w[1]))
        {
            let left: Vec<String> = leftovers_beside(&out)
                .into_iter()
                .filter(|n| !attempt.kept_beside.contains(n))
                .collect();
            for kept in &attempt.kept_beside {
                let path = out.parent().unwrap().join(kept);
                assert!(path.exists(), "{} was removed: {context}", path.display());
            }
            assert!(
                left.is_empty(),
                "left beside {}: {left:?}: {context}",
                out.display()
            );
        }
        if let (Some(engine), Some(volumes)) = (engine.as_deref(), volumes) {
            assert!(
                containers_of(engine, &run).is_empty(),
                "a container was left: {context}"
            );
            let left = volumes_left(engine, &volumes);
            assert!(left.is_empty(), "volumes were left ({left:?}): {context}");
        }
        drop(attempt);
        ran += 1;
    }
    eprintln!("{ran} rows ran, {} skipped: {skipped:?}", skipped.len());
    assert_eq!(ran + skipped.len(), ROWS);
    // Under CI every row runs (the engine answers, mounts can be made): none may be skipped.
    if std::env::var("CI").is_ok_and(|v| v == "true") {
        assert!(
            skipped.is_empty(),
            "CI=true, and rows were skipped: {skipped:?}"
        );
    }
    std::fs::remove_dir_all(&dir).unwrap();
}

#[test]
fn ctrl_c_while_packing_stops_within_moments() {
    // A sparse 2 GiB file takes about 14 s to pack here: the interrupt must not wait for it.
    let dir = scratch("pack-interrupt");
    let tree = git_tree(&dir);
    sh(&tree, "truncate -s 2G big-untracked.bin");
    let before = tree_checksums_light(&tree);
    let target = dir.join("target");
    let out = dir.join("out");
    let mut child = spawn_xtask(
        &native_rpm_args(&tree, &out),
        &[("CARGO_TARGET_DIR", target.to_str().unwrap())],
    );
    // Wait until it has begun packing (the version is known), then interrupt.
    use std::io::{BufRead, BufReader};
    let stderr = child.stderr.take().unwrap();
    let mut lines = BufReader::new(stderr).lines();
    let mut seen = String::new();
    for line in lines.by_ref() {
        let line = line.unwrap();
        seen.push_str(&line);
        seen.push('\n');
        if line.starts_with("version: ") {
            break;
        }
    }
    std::thread::sleep(std::time::Duration::from_millis(500));
    let signalled = std::time::Instant::now();
    sh(&dir, &format!("kill -INT {}", child.id()));
    let rest: Vec<String> = lines.map(|l| l.unwrap()).collect();
    let status = child.wait().unwrap();
    let took = signalled.elapsed();
    let all = format!("{seen}{}", rest.join("\n"));
    assert_eq!(status.code(), Some(130), "{all}");
    assert!(
        !all.contains("archive: "),
        "packing finished before the interrupt took: {all}"
    );
    assert!(all.contains("interrupted: nothing was published"), "{all}");
    assert!(
        took < std::time::Duration::from_secs(5),
        "the interrupt took {took:?}: {all}"
    );
    assert!(!out.exists());
    let sources = target.join("xtask/rpm-work/SOURCES");
    let partial: Vec<_> = std::fs::read_dir(&sources)
        .map(|d| d.flatten().collect())
        .unwrap_or_default();
    assert!(
        partial.is_empty(),
        "a partial archive was left: {partial:?}"
    );
    assert_eq!(tree_checksums_light(&tree), before);
    std::fs::remove_dir_all(&dir).unwrap();
}

/// Sizes and times of every file (checksumming 2 GiB of zeros would take longer than the test).
fn tree_checksums_light(dir: &Path) -> String {
    sh(
        dir,
        "find . -path ./.git -prune -o -type f -printf '%p %s %T@\\n' | LC_ALL=C sort",
    )
}
