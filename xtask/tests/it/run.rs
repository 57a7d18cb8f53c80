//! `cargo xtask run` with a real engine: the tree's image started with SIP and RTP on 127.0.0.1,
//! answering SIP, replaced by the next run, its console attached and leaving nothing behind;
//! side by side with another tree's; and each bad input refused in one line with nothing left.
//! One test, because SIP's port 5060 on 127.0.0.1 is one per machine.

use std::io::Write;
use std::net::UdpSocket;
use std::path::Path;
use std::process::{Command, Stdio};
use std::time::Duration;

use crate::support::*;

const RUNTIME_BASE: &str = "xtask-test/runtime:bookworm";

fn run_args<'a>(tree: &'a Path, out: &'a Path, tag: &'a str, more: &[&'a str]) -> Vec<&'a str> {
    let mut args = vec![
        "run",
        "--native",
        "-q",
        "--source",
        tree.to_str().unwrap(),
        "--out",
        out.to_str().unwrap(),
        "--runtime-base",
        RUNTIME_BASE,
        "--tag",
        tag,
    ];
    args.extend_from_slice(more);
    args
}

fn docker(engine: &str, args: &[&str]) -> String {
    let out = Command::new(engine).args(args).output().unwrap();
    String::from_utf8_lossy(&out.stdout).trim().to_string()
}

/// The container a detached run names.
fn started(run: &Run) -> String {
    run.stderr
        .lines()
        .find_map(|l| {
            l.strip_prefix("run: ")?
                .strip_suffix(" is running, detached")
        })
        .unwrap_or_else(|| panic!("no container named:\n{}", run.stderr))
        .to_string()
}

/// The first SIP status line the address answers an OPTIONS with.
fn options(port: u16) -> String {
    let socket = UdpSocket::bind("127.0.0.1:0").unwrap();
    socket
        .set_read_timeout(Some(Duration::from_secs(5)))
        .unwrap();
    let local = socket.local_addr().unwrap();
    let request = format!(
        "OPTIONS sip:6001@127.0.0.1 SIP/2.0\r\nVia: SIP/2.0/UDP {local};branch=z9hG4bK-run-1\r\n\
         From: <sip:6001@127.0.0.1>;tag=run1\r\nTo: <sip:6001@127.0.0.1>\r\nCall-ID: run-test-1\r\n\
         CSeq: 1 OPTIONS\r\nMax-Forwards: 70\r\nContent-Length: 0\r\n\r\n"
    );
    socket
        .send_to(request.as_bytes(), ("127.0.0.1", port))
        .unwrap();
    let mut buf = [0u8; 4096];
    let (n, _) = socket.recv_from(&mut buf).expect("no SIP answer");
    String::from_utf8_lossy(&buf[..n])
        .lines()
        .next()
        .unwrap_or_default()
        .to_string()
}

fn run_containers(engine: &str) -> Vec<String> {
    docker(
        engine,
        &["ps", "-aq", "--filter", "label=org.asterisk.xtask.run"],
    )
    .split_whitespace()
    .map(str::to_string)
    .collect()
}

/// `cargo xtask run ARGS` started in the background, its stderr kept.
fn spawn_run(args: &[&str], target: &Path, engine: &str, stdin: Stdio) -> std::process::Child {
    Command::new(env!("CARGO_BIN_EXE_xtask"))
        .args(args)
        .env("CARGO_TARGET_DIR", target)
        .env("XDG_CACHE_HOME", test_cache_home())
        .env("CONTAINER_ENGINE", engine)
        .stdin(stdin)
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap()
}

/// Waits until the container's health is `wanted` (a container that must not become healthy
/// while it is `starting` fails the test if it does).
fn wait_for_health(engine: &str, name: &str, wanted: &str, deadline: std::time::Instant) {
    loop {
        let health = docker(
            engine,
            &["inspect", "--format", "{{.State.Health.Status}}", name],
        );
        if health == wanted {
            break;
        }
        assert!(
            wanted == "healthy" || health != "healthy",
            "{name}: healthy while waiting for {wanted}"
        );
        assert!(
            std::time::Instant::now() < deadline,
            "{name}: never {wanted}"
        );
        std::thread::sleep(Duration::from_millis(200));
    }
    std::thread::sleep(Duration::from_secs(1));
}

/// Ctrl-C to a run: exit 130, the line that says the container was removed, and no run
/// container or volume of its left.
fn interrupt_run_and_check(
    child: std::process::Child,
    engine: &str,
    name: &str,
    volumes_before: &std::collections::BTreeSet<String>,
    when: &str,
) {
    let pid = child.id().to_string();
    assert!(Command::new("kill")
        .args(["-INT", &pid])
        .status()
        .unwrap()
        .success());
    let ended = child.wait_with_output().unwrap();
    let stderr = String::from_utf8_lossy(&ended.stderr);
    assert_eq!(ended.status.code(), Some(130), "{when}: {stderr}");
    assert!(
        stderr.contains(&format!("interrupted: the container {name} was removed")),
        "{when}: {stderr}"
    );
    assert!(
        run_containers(engine).is_empty(),
        "a run container survived Ctrl-C {when}"
    );
    assert_eq!(
        volumes_left(engine, volumes_before),
        Vec::<String>::new(),
        "volumes were left by Ctrl-C {when}"
    );
}

#[test]
fn run_starts_the_tree_replaces_attaches_and_leaves_nothing() {
    let Some(EngineFixture { engine }) = EngineFixture::get("run") else {
        return;
    };
    let dir = scratch("run");
    let tree = git_tree(&dir);
    let out = dir.join("out");
    let target = dir.join("target");
    let tag = format!("xtask-test/asterisk:run-{}", std::process::id());
    let env = [("CONTAINER_ENGINE", engine.as_str())];
    let volumes_before = dangling_volumes(&engine);

    // Detached: built, started, healthy, SIP on 127.0.0.1:5060 answering.
    let first = must(xtask(
        &run_args(&tree, &out, &tag, &["--detach"]),
        &target,
        &env,
    ));
    let name = started(&first);
    assert!(
        first
            .stderr
            .contains("  SIP on 127.0.0.1:5060 (UDP, TCP), RTP on 127.0.0.1:10000-10099"),
        "{}",
        first.stderr
    );
    assert!(
        first.stderr.contains(&format!(
            "  console: {engine} exec -it {name} asterisk -rvvv"
        )),
        "{}",
        first.stderr
    );
    assert_eq!(
        docker(&engine, &["port", &name, "5060/udp"]),
        "127.0.0.1:5060"
    );
    // It returned as soon as Asterisk answered the image's own health test, which passes now;
    // the engine's check, on its interval, then says the same.
    assert_eq!(
        docker(
            &engine,
            &[
                "exec",
                &name,
                "/bin/sh",
                "-c",
                "asterisk -rx 'pjsip show transports' | grep -c 'Objects found'"
            ]
        ),
        "1"
    );
    let mut health = String::new();
    for _ in 0..60 {
        health = docker(
            &engine,
            &["inspect", "--format", "{{.State.Health.Status}}", &name],
        );
        if health != "starting" {
            break;
        }
        std::thread::sleep(std::time::Duration::from_millis(500));
    }
    assert_eq!(health, "healthy");
    let answer = options(5060);
    assert!(answer.starts_with("SIP/2.0 "), "{answer}");
    let first_id = docker(&engine, &["inspect", "--format", "{{.Id}}", &name]);

    // Again, nothing changed: the image is reused and the container replaced.
    let again = must(xtask(
        &run_args(&tree, &out, &tag, &["--detach"]),
        &target,
        &env,
    ));
    assert_eq!(started(&again), name);
    assert!(
        again.stderr.contains(&format!(
            "run: replacing {name}, which an earlier run of this tree started (removed while the build runs)"
        )),
        "{}",
        again.stderr
    );
    assert!(
        again
            .stderr
            .contains("is this build's, with the same base, packages and RTP range: using it"),
        "{}",
        again.stderr
    );
    assert_ne!(
        docker(&engine, &["inspect", "--format", "{{.Id}}", &name]),
        first_id
    );

    // Another tree runs beside it: SIP on a port the engine picks; neither touches the other.
    let other_dir = dir.join("other");
    let other = git_tree(&other_dir);
    let other_out = other_dir.join("out");
    let beside = must(xtask(
        &run_args(
            &other,
            &other_out,
            &tag.replace("run-", "run-other-"),
            &["--detach"],
        ),
        &target,
        &env,
    ));
    let other_name = started(&beside);
    assert_ne!(other_name, name);
    assert!(
        beside.stderr.contains(&format!("5060 is {name} (")),
        "{}",
        beside.stderr
    );
    let picked = docker(&engine, &["port", &other_name, "5060/udp"]);
    let picked: u16 = picked.rsplit(':').next().unwrap().parse().unwrap();
    assert!(options(picked).starts_with("SIP/2.0 "));
    assert!(options(5060).starts_with("SIP/2.0 "));
    docker(&engine, &["rm", "-f", "-v", &other_name]);

    // Attached: the console takes stdin; leaving it removes the container and its volumes.
    let mut child = Command::new(env!("CARGO_BIN_EXE_xtask"))
        .args(run_args(&tree, &out, &tag, &[]))
        .env("CARGO_TARGET_DIR", &target)
        .env("XDG_CACHE_HOME", test_cache_home())
        .env("CONTAINER_ENGINE", &engine)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    // Until it is healthy, a second run of the tree is refused: one is attached.
    let deadline = std::time::Instant::now() + Duration::from_secs(120);
    loop {
        let owner = docker(&engine, &["inspect", "--format", "{{index .Config.Labels \"org.asterisk.xtask.run.owner\"}} {{.State.Health.Status}}", &name]);
        if owner == format!("{}:{} healthy", hostname(), child.id()) {
            break;
        }
        assert!(
            std::time::Instant::now() < deadline,
            "the attached run never came up: {owner}"
        );
        std::thread::sleep(Duration::from_millis(300));
    }
    let refused = xtask(&run_args(&tree, &out, &tag, &["--detach"]), &target, &env);
    assert_eq!(refused.code, Some(1), "{}", refused.stderr);
    // Refused before anything was packed or built.
    assert!(
        !refused.stderr.contains("packages: ") && !refused.stderr.contains("version: "),
        "{}",
        refused.stderr
    );
    assert!(
        refused.error().contains(&format!(
            "is attached to {name}, this tree's container: leave its console (exit) first"
        )),
        "{}",
        refused.stderr
    );
    let mut stdin = child.stdin.take().unwrap();
    stdin.write_all(b"core show version\n").unwrap();
    drop(stdin);
    let console = child.wait_with_output().unwrap();
    let said = String::from_utf8_lossy(&console.stdout);
    let stderr = String::from_utf8_lossy(&console.stderr);
    assert!(console.status.success(), "{stderr}");
    assert!(
        said.contains("Connected to Asterisk") && said.contains("Asterisk "),
        "{said}"
    );
    assert!(
        stderr.contains(&format!("run: the console closed: removing {name}")),
        "{stderr}"
    );
    assert!(
        run_containers(&engine).is_empty(),
        "a run container survived"
    );
    assert_eq!(
        volumes_left(&engine, &volumes_before),
        Vec::<String>::new(),
        "volumes were left"
    );

    // Ctrl-C in the console: the same, exit 130. The console's input stays open: only the
    // interrupt ends the run.
    let mut child = spawn_run(
        &run_args(&tree, &out, &tag, &[]),
        &target,
        &engine,
        Stdio::piped(),
    );
    wait_for_health(
        &engine,
        &name,
        "healthy",
        deadline + Duration::from_secs(120),
    );
    let open_input = child.stdin.take();
    interrupt_run_and_check(child, &engine, &name, &volumes_before, "in the console");
    drop(open_input);

    // Ctrl-C while it boots (a configuration without a SIP transport keeps its health check
    // from passing): the same, exit 130, nothing left.
    let booting = dir.join("booting");
    std::fs::create_dir_all(&booting).unwrap();
    sh(
        &booting,
        &format!("{engine} run --rm --entrypoint tar {tag} -C /etc/asterisk -c . | tar -x && sed -i '/^\\[transport-/,/^$/d' pjsip.conf && ! grep -q '^type = transport' pjsip.conf"),
    );
    let child = spawn_run(
        &run_args(&tree, &out, &tag, &["--config", booting.to_str().unwrap()]),
        &target,
        &engine,
        Stdio::null(),
    );
    wait_for_health(
        &engine,
        &name,
        "starting",
        std::time::Instant::now() + Duration::from_secs(120),
    );
    interrupt_run_and_check(child, &engine, &name, &volumes_before, "while booting");
    assert_eq!(
        sh(
            &dir,
            "ls -d /tmp/asterisk-xtask-config-* 2>/dev/null | wc -l"
        )
        .trim(),
        "0",
        "the configuration's copy was left"
    );

    // --keep-state: named volumes, said, kept after the console closes.
    let kept = must(xtask(
        &run_args(&tree, &out, &tag, &["--keep-state"]),
        &target,
        &env,
    ));
    let volumes = [format!("{name}-lib"), format!("{name}-spool")];
    assert!(
        kept.stderr.contains(&format!(
            "state: kept in the volumes {} and {}",
            volumes[0], volumes[1]
        )),
        "{}",
        kept.stderr
    );
    for v in &volumes {
        assert_eq!(
            docker(&engine, &["volume", "inspect", "--format", "{{.Name}}", v]),
            *v
        );
    }
    assert!(run_containers(&engine).is_empty());
    docker(&engine, &["volume", "rm", &volumes[0], &volumes[1]]);

    // Bad input: one line each, nothing started.
    let missing = xtask(
        &run_args(&tree, &out, &tag, &["--config", "/nonexistent/conf"]),
        &target,
        &env,
    );
    assert_eq!(missing.code, Some(2), "{}", missing.stderr);
    assert!(
        missing
            .error()
            .starts_with("error: --config /nonexistent/conf: no such directory"),
        "{}",
        missing.stderr
    );
    assert!(
        !missing.stderr.contains("version: "),
        "checked only after packing:\n{}",
        missing.stderr
    );
    let file = dir.join("pjsip.conf");
    std::fs::write(&file, "[x]\n").unwrap();
    let not_dir = xtask(
        &run_args(&tree, &out, &tag, &["--config", file.to_str().unwrap()]),
        &target,
        &env,
    );
    assert_eq!(not_dir.code, Some(2), "{}", not_dir.stderr);
    assert!(
        not_dir
            .error()
            .contains("is not a directory: name the directory to use as /etc/asterisk"),
        "{}",
        not_dir.stderr
    );
    let held = UdpSocket::bind("127.0.0.1:5060").unwrap();
    let busy = xtask(&run_args(&tree, &out, &tag, &["--detach"]), &target, &env);
    assert_eq!(busy.code, Some(1), "{}", busy.stderr);
    assert!(
        busy.error().contains("127.0.0.1:5060/udp is in use (")
            && busy
                .error()
                .contains(&format!("(pid {}) holds it", std::process::id())),
        "{}",
        busy.stderr
    );
    drop(held);
    let no_engine = xtask(
        &run_args(&tree, &out, &tag, &["--detach"]),
        &target,
        &[("CONTAINER_ENGINE", "/nonexistent/docker")],
    );
    assert_eq!(no_engine.code, Some(1), "{}", no_engine.stderr);
    assert_eq!(
        no_engine.error().trim_end().lines().count(),
        1,
        "{}",
        no_engine.stderr
    );
    let foreign = tag.replace("run-", "run-other-");
    let theirs = xtask(
        &run_args(&tree, &out, &foreign, &["--detach"]),
        &target,
        &env,
    );
    assert_eq!(theirs.code, Some(1), "{}", theirs.stderr);
    assert!(
        theirs
            .error()
            .contains(&format!("--tag {foreign} names an image of another tree (")),
        "{}",
        theirs.stderr
    );
    for run in [&missing, &not_dir, &busy, &no_engine, &theirs] {
        assert_eq!(run.error().trim_end().lines().count(), 1, "{}", run.stderr);
    }
    assert!(
        run_containers(&engine).is_empty(),
        "a bad input left a container"
    );
    assert_eq!(
        volumes_left(&engine, &volumes_before),
        Vec::<String>::new(),
        "volumes were left"
    );

    // The bench's step from a one-line patch to a running container that answers SIP (here,
    // where 5060 is this test's): timed, and its container removed afterwards.
    let bench_out = dir.join("bench");
    let bench = must(xtask(
        &[
            "bench",
            "--runs",
            "1",
            "--native",
            "--source",
            tree.to_str().unwrap(),
            "--out",
            bench_out.to_str().unwrap(),
            "--running",
            "--runtime-base",
            RUNTIME_BASE,
        ],
        &target,
        &env,
    ));
    assert!(
        bench
            .stdout
            .contains("one-line patch to a running container answering SIP OPTIONS"),
        "{}",
        bench.stdout
    );
    let json: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(bench_out.join("bench.json")).unwrap())
            .unwrap();
    assert_eq!(json["steps"].as_array().unwrap().len(), 8);
    assert!(
        bench
            .stdout
            .contains("run, nothing changed, to Asterisk's console"),
        "{}",
        bench.stdout
    );
    assert!(
        run_containers(&engine).is_empty(),
        "the bench left its container"
    );
    docker(&engine, &["rmi", &tag, &foreign]);
    std::fs::remove_dir_all(&dir).unwrap();
}
