//! `cargo xtask bench` runs on the sample tree, on a scratch copy (the tree itself is not
//! touched), and measures what it says: its no-op was up to date and its patch was built (the
//! bench checks both and fails otherwise), every step has its times. No timing is asserted.

use std::time::{Duration, Instant};

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
        "patch loop (rpm's phases), where the time goes (medians):",
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
    // In the order of the steps: the clean build, the no-op (the one up to date), the first
    // edit and the patch (both built on the kept directory).
    let order: Vec<&str> = run
        .stderr
        .lines()
        .filter_map(|l| l.strip_prefix("bench:   "))
        .map(|l| match l {
            l if l.starts_with("up to date: ") => "up to date",
            l if l.starts_with("incremental: ") && l.contains("the kept build directory") => {
                "incremental"
            }
            l if l.starts_with("incremental: ") => "built",
            _ => "other",
        })
        .collect();
    assert_eq!(
        order,
        ["built", "up to date", "incremental", "incremental"],
        "{}",
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
        "one-line patch to a running container, where the time goes (medians):",
    ] {
        assert!(run.stdout.contains(step), "{step}:\n{}", run.stdout);
    }
    let json: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(out.join("bench.json")).unwrap()).unwrap();
    let steps = json["steps"].as_array().unwrap();
    assert_eq!(steps.len(), 8, "{steps:?}");
    // Where the patch to a running container goes: rpm's phases, the image, the boot, the
    // answer, each measured (the boot and the image take time).
    let running: Vec<(String, f64)> = json["running_phases"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| {
            (
                p["phase"].as_str().unwrap().to_string(),
                p["median"].as_f64().unwrap(),
            )
        })
        .collect();
    for phase in [
        "%build",
        "image",
        "boot (until healthy)",
        "SIP OPTIONS answered",
    ] {
        assert!(
            running.iter().any(|(p, _)| p == phase),
            "{phase}: {running:?}"
        );
    }
    assert!(
        running
            .iter()
            .any(|(p, s)| p == "boot (until healthy)" && *s > 0.0),
        "{running:?}"
    );
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

/// Ctrl-C to the bench alone (a CI job's cancel, `kill -INT` of its pid) while its rpm builds in
/// a container: the rpm, stopped, is given the moment it needs to remove its container; the
/// bench exits 130 and leaves no container and no scratch copy.
#[test]
fn an_interrupted_bench_leaves_no_build_container() {
    let Some(EngineFixture { engine }) = EngineFixture::get("an interrupted bench") else {
        return;
    };
    let dir = scratch("bench-interrupted");
    let tree = git_tree(&dir);
    sh(&tree, "touch .slow-build");
    let target = dir.join("target");
    let out = dir.join("bench-out");
    let mut child = spawn_xtask(
        &[
            "bench",
            "--source",
            tree.to_str().unwrap(),
            "--runs",
            "1",
            "--container",
            "--base-image",
            BUILDER_BASE,
            "--nodeps",
            "--out",
            out.to_str().unwrap(),
        ],
        &[
            ("CARGO_TARGET_DIR", target.to_str().unwrap()),
            ("CONTAINER_ENGINE", engine.as_str()),
        ],
    );
    // The container belongs to the bench's rpm, a process of its own.
    let host = hostname();
    let deadline = Instant::now() + Duration::from_secs(180);
    let owner = loop {
        let owners: Vec<String> = children_of(child.id())
            .iter()
            .map(|pid| format!("{host}:{pid}"))
            .collect();
        if let Some(o) = owners
            .into_iter()
            .find(|o| !build_containers(&engine, Some(o)).is_empty())
        {
            break o;
        }
        assert!(
            Instant::now() < deadline,
            "the bench's build container never started"
        );
        assert!(
            child.try_wait().unwrap().is_none(),
            "the bench ended before its build container started"
        );
        std::thread::sleep(Duration::from_millis(200));
    };
    interrupt_and_check(&engine, child, &owner);
    assert!(
        !target.join("xtask/bench").exists(),
        "the scratch copy was left behind"
    );
    assert!(!out.join("bench.json").exists());
    std::fs::remove_dir_all(&dir).unwrap();
}
