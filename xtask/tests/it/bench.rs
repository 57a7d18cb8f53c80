//! `cargo xtask bench` runs on the sample tree, on a scratch copy (the tree itself is not
//! touched), and measures what it says: its no-op was up to date and its patch was built (the
//! bench checks both and fails otherwise), every step has its times. No timing is asserted.

use crate::support::*;

#[test]
fn bench_runs_on_a_scratch_copy_and_reports() {
    let dir = scratch("bench");
    let tree = git_tree(&dir);
    sh(&tree, "echo '/* uncommitted */' >> main/asterisk.c");
    let before = (tree_checksums(&tree), sh(&tree, "git status --porcelain"));
    let target = dir.join("target");
    let out = dir.join("bench-out");
    let run = must(xtask(
        &[
            "bench",
            "--source",
            tree.to_str().unwrap(),
            "--runs",
            "1",
            "--native",
            "--out",
            out.to_str().unwrap(),
        ],
        &target,
        &[],
    ));
    for step in [
        "clean build (rpm --force)",
        "no-op (rpm, unchanged tree)",
        "first edit after a clean build",
        "patch loop (one line in a .c file)",
        "patch loop, where the time goes (rpm's phases, medians):",
        "  %build ",
        "  publish ",
        "source archive (rpm's packing)",
        "git archive --format=tar.gz HEAD",
    ] {
        assert!(run.stdout.contains(step), "{step}:\n{}", run.stdout);
    }
    let json: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(out.join("bench.json")).unwrap()).unwrap();
    let steps = json["steps"].as_array().unwrap();
    assert_eq!(steps.len(), 6);
    let phases = json["patch_phases"].as_array().unwrap();
    assert!(
        phases.iter().any(|p| p["phase"] == "%install") && phases.len() >= 5,
        "{phases:?}"
    );
    assert!(steps
        .iter()
        .all(|s| s["seconds"].as_array().unwrap().len() == 1));
    assert_eq!(steps[1]["to"], "clean build (rpm --force)");
    assert!(std::fs::read_to_string(out.join("bench.svg"))
        .unwrap()
        .starts_with("<svg"));
    // What each rpm said, as the bench passes it on: the clean build, the first edit and the
    // patch were built (each says whether incrementally), and only the no-op was up to date.
    assert!(run.stderr.contains("bench: round 1 of 1"), "{}", run.stderr);
    let said = |what: &str| {
        run.stderr
            .lines()
            .filter(|l| l.starts_with(&format!("bench:   {what}")))
            .count()
    };
    assert_eq!(said("up to date: "), 1, "{}", run.stderr);
    assert_eq!(said("incremental: "), 3, "{}", run.stderr);
    assert!(
        said("incremental: yes") >= 2,
        "the edits were not incremental: {}",
        run.stderr
    );
    // The tree is as it was: the uncommitted edit travelled with the copy, not back.
    assert_eq!(
        (tree_checksums(&tree), sh(&tree, "git status --porcelain")),
        before
    );
    assert!(
        !target.join("xtask/bench").exists(),
        "the scratch copy was left behind"
    );
}

/// `bench --running`: the patch to a running container that answers SIP OPTIONS and `run` with
/// nothing changed are measured (each round's container replaced, the last removed at the end,
/// and the bench's image with it).
#[test]
fn bench_running_measures_the_container_steps_and_leaves_nothing() {
    let Some(EngineFixture { engine }) = EngineFixture::get("bench --running") else {
        return;
    };
    let dir = scratch("bench-running");
    let tree = git_tree(&dir);
    let target = dir.join("target");
    let out = dir.join("bench-out");
    let volumes_before = dangling_volumes(&engine);
    let run = must(xtask(
        &[
            "bench",
            "--source",
            tree.to_str().unwrap(),
            "--runs",
            "1",
            "--native",
            "--running",
            "--runtime-base",
            "xtask-test/runtime:bookworm",
            "--out",
            out.to_str().unwrap(),
        ],
        &target,
        &[("CONTAINER_ENGINE", engine.as_str())],
    ));
    for step in [
        "one-line patch to a running container answering SIP OPTIONS",
        "run, nothing changed, to Asterisk's console",
    ] {
        assert!(run.stdout.contains(step), "{step}:\n{}", run.stdout);
    }
    let json: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(out.join("bench.json")).unwrap()).unwrap();
    let steps = json["steps"].as_array().unwrap();
    assert_eq!(steps.len(), 8, "{steps:?}");
    assert!(steps
        .iter()
        .all(|s| s["seconds"].as_array().unwrap().len() == 1));
    // Its containers (labelled with the scratch copy's tree) and image are gone.
    let left = docker_lines(
        &engine,
        &[
            "ps",
            "-a",
            "--format",
            "{{.Label \"org.asterisk.xtask.tree\"}}",
        ],
    );
    assert!(
        !left
            .iter()
            .any(|t| t.contains(dir.to_str().unwrap()) || t.contains("xtask/bench")),
        "{left:?}"
    );
    let images = docker_lines(&engine, &["images", "--format", "{{.Repository}}:{{.Tag}}"]);
    assert!(
        !images.iter().any(|i| i.ends_with(&format!(":{}", run.pid))),
        "{images:?}"
    );
    assert_eq!(volumes_left(&engine, &volumes_before), Vec::<String>::new());
}

fn docker_lines(engine: &str, args: &[&str]) -> Vec<String> {
    let out = std::process::Command::new(engine)
        .args(args)
        .output()
        .unwrap();
    String::from_utf8_lossy(&out.stdout)
        .lines()
        .map(str::to_string)
        .collect()
}
