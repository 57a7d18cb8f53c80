//! `cargo xtask image` and `cargo xtask smoke` with a real engine, on a local RPM-capable
//! runtime base made without a registry (Debian minbase with rpm, dnf and a "system provides"
//! package), through the same Dockerfile line (dnf install) that EL bases use.

use std::path::Path;
use std::process::Command;

use crate::support::*;

const RUNTIME_BASE: &str = "xtask-test/runtime:bookworm";

fn image_args<'a>(tree: &'a Path, out: &'a Path, tag: &'a str) -> Vec<&'a str> {
    vec![
        "image",
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
    ]
}

fn inspect(engine: &str, what: &str, format: &str) -> String {
    let out = Command::new(engine)
        .args(["inspect", "--format", format, what])
        .output()
        .unwrap();
    String::from_utf8_lossy(&out.stdout).trim().to_string()
}

fn label(engine: &str, image: &str, name: &str) -> String {
    inspect(
        engine,
        image,
        &format!("{{{{index .Config.Labels \"{name}\"}}}}"),
    )
}

fn remove_image(engine: &str, tag: &str) {
    let _ = Command::new(engine).args(["rmi", "-f", tag]).output();
    // Earlier builds under the same tag are left untagged: remove those the xtask made.
    let _ = Command::new(engine)
        .args([
            "image",
            "prune",
            "-f",
            "--filter",
            "label=org.asterisk.xtask.image=1",
        ])
        .output();
}

/// Builds `tag` from `base` with another ENTRYPOINT (a JSON array), for images that misbehave.
fn derived_image(engine: &str, dir: &Path, base: &str, tag: &str, entrypoint: &str) {
    let context = dir.join("derived");
    std::fs::create_dir_all(&context).unwrap();
    std::fs::write(
        context.join("Dockerfile"),
        format!("FROM {base}\nENTRYPOINT {entrypoint}\n"),
    )
    .unwrap();
    sh(
        &context,
        &format!("DOCKER_BUILDKIT=1 {engine} build -q -t {tag} . >/dev/null"),
    );
}

#[test]
fn image_from_the_sample_tree_boots_and_says_its_version() {
    let Some(EngineFixture { engine }) = EngineFixture::get("image_from_the_sample_tree") else {
        return;
    };
    let dir = scratch("image");
    let tree = git_tree(&dir);
    sh(&tree, "echo '/* patch under test */' >> main/asterisk.c");
    let out = dir.join("out");
    let target = dir.join("target");
    let tag = format!("xtask-test/asterisk:{}", std::process::id());
    let env = [("CONTAINER_ENGINE", engine.as_str())];

    let first = must(xtask(&image_args(&tree, &out, &tag), &target, &env));
    assert!(
        first.stderr.contains("holds no RPMs: building them"),
        "{}",
        first.stderr
    );
    let manifest = std::fs::read_to_string(out.join("manifest.json")).unwrap();
    let asterisk_version = manifest_field(&manifest, "asterisk_version");
    let version_release = format!(
        "{}-{}",
        manifest_field(&manifest, "version"),
        manifest_field(&manifest, "release")
    );
    let image_id = inspect(&engine, &tag, "{{.Id}}");
    assert!(
        manifest.contains(&image_id),
        "the manifest does not record the image:\n{manifest}"
    );

    // Labels, user, health check, ports, volumes: all in `docker inspect`.
    assert_eq!(
        label(&engine, &tag, "org.opencontainers.image.version"),
        asterisk_version
    );
    assert_eq!(
        label(&engine, &tag, "org.asterisk.rpm.version-release"),
        version_release
    );
    let sde: i64 = manifest_field(&manifest, "source_date_epoch")
        .parse()
        .unwrap();
    // The expected value by `date`, not by the xtask's own formatter.
    let created = sh(&tree, &format!("date -u -d @{sde} +%Y-%m-%dT%H:%M:%SZ"));
    assert_eq!(
        label(&engine, &tag, "org.opencontainers.image.created"),
        created.trim()
    );
    let revision = label(&engine, &tag, "org.opencontainers.image.revision");
    let head = sh(&tree, "git rev-parse HEAD");
    assert_eq!(revision, format!("{}-dirty", head.trim()));
    assert_eq!(
        label(&engine, &tag, "org.opencontainers.image.title"),
        "Asterisk"
    );
    assert!(label(&engine, &tag, "org.opencontainers.image.source").starts_with("https://"));
    // The fixed uid and gid, numeric, as Kubernetes' runAsNonRoot checks it: the package's.
    assert_eq!(inspect(&engine, &tag, "{{.Config.User}}"), "450:450");
    let ids = sh(
        &dir,
        &format!(
            "{engine} run --rm --entrypoint sh {tag} -c 'id -u asterisk; id -g asterisk; id -u'"
        ),
    );
    assert_eq!(ids, "450\n450\n450\n");
    assert!(
        inspect(&engine, &tag, "{{json .Config.Healthcheck}}").contains("pjsip show transports")
    );
    // A small RTP range by default, the same in EXPOSE and in ASTERISK_RTP_PORTS, which the
    // entry point writes into environment.conf.
    let ports = inspect(&engine, &tag, "{{json .Config.ExposedPorts}}");
    for port in ["5060/udp", "5060/tcp", "8088/tcp", "10000/udp", "10099/udp"] {
        assert!(ports.contains(port), "{port} is not exposed");
    }
    assert!(
        !ports.contains("10100/udp") && !ports.contains("20000/udp"),
        "{ports}"
    );
    assert_eq!(ports.matches("/udp").count(), 101, "{ports}");
    assert!(
        inspect(&engine, &tag, "{{json .Config.Env}}").contains("ASTERISK_RTP_PORTS=10000-10099"),
        "{}",
        inspect(&engine, &tag, "{{json .Config.Env}}")
    );
    let rtp = sh(
        &dir,
        &format!("{engine} run --rm --entrypoint cat {tag} /etc/asterisk/environment.conf"),
    );
    assert!(
        rtp.contains("rtpstart = 10000\n") && rtp.contains("rtpend = 10099\n"),
        "{rtp}"
    );
    // The image's own small configuration; Asterisk's samples moved aside, all there.
    let etc = sh(
        &dir,
        &format!("{engine} run --rm --entrypoint sh {tag} -c 'ls /etc/asterisk; echo --; ls /usr/share/asterisk/samples'"),
    );
    let (etc, samples) = etc.split_once("--\n").unwrap();
    assert_eq!(
        etc.split_whitespace().collect::<Vec<_>>().join(" "),
        "README ari.conf asterisk.conf cdr.conf environment.conf extensions.conf features.conf http.conf keys logger.conf manager.conf modules.conf pjsip.conf rtp.conf"
    );
    let sample_files = std::fs::read_dir(fixture().join("configs/samples"))
        .unwrap()
        .count();
    assert!(
        samples.split_whitespace().count() >= sample_files - 2,
        "{samples}"
    );
    assert!(samples.contains("voicemail.conf"), "{samples}");
    let volumes = inspect(&engine, &tag, "{{json .Config.Volumes}}");
    assert!(
        volumes.contains("/var/lib/asterisk") && volumes.contains("/var/spool/asterisk"),
        "{volumes}"
    );
    assert_eq!(inspect(&engine, &tag, "{{.Config.StopSignal}}"), "SIGTERM");

    // Packages, not a compile: no .rpm file anywhere, the package is in the rpm database.
    let rpms = sh(&dir, &format!("{engine} run --rm --entrypoint sh {tag} -c 'find / -xdev -name \"*.rpm\" 2>/dev/null; true'"));
    assert_eq!(rpms.trim(), "", "RPM files left in the image");
    let installed = sh(
        &dir,
        &format!("{engine} run --rm --entrypoint rpm {tag} -q asterisk"),
    );
    assert_eq!(
        installed.trim(),
        format!("asterisk-{version_release}.x86_64")
    );
    // What a SIP PBX needs of the subpackages the build has (by default), said in a label and a
    // file; the others are not installed.
    let held = "asterisk asterisk-pjsip asterisk-voicemail-plain";
    assert_eq!(label(&engine, &tag, "org.asterisk.packages"), held);
    let all = sh(
        &dir,
        &format!("{engine} run --rm --entrypoint rpm {tag} -qa --qf '%{{NAME}}\\n' 'asterisk*'"),
    );
    let mut all: Vec<&str> = all.lines().collect();
    all.sort();
    assert_eq!(all.join(" "), held);
    let listing = sh(
        &dir,
        &format!("{engine} run --rm --entrypoint cat {tag} /usr/share/doc/asterisk/build/packages"),
    );
    assert_eq!(
        listing,
        held.split(' ')
            .map(|p| format!("{p}-{version_release}\n"))
            .collect::<String>()
    );

    // The smoke test passes, says what it checked, and leaves no volume behind.
    let volumes = dangling_volumes(&engine);
    let smoke = must(xtask(&["smoke", "--tag", &tag], &target, &env));
    let left = volumes_left(&engine, &volumes);
    assert!(left.is_empty(), "smoke left volumes: {left:?}");
    assert!(
        smoke.stderr.contains(&format!(
            "matches org.opencontainers.image.version={asterisk_version}"
        )),
        "{}",
        smoke.stderr
    );
    assert!(smoke.stderr.contains("not root"), "{}", smoke.stderr);
    assert!(smoke.stderr.contains("stops cleanly"), "{}", smoke.stderr);
    // The call, step by step (the stand-in core answers SIP as Asterisk does).
    for step in [
        "sip OPTIONS as 6001 (digest): 200 OK",
        "sip REGISTER as 6001 (digest): 200 OK",
        "sip call to 600 (echo test): answered, 150 RTP packets sent, 146 came back; Asterisk counted 146 in (strict RTP keeps the first 4 while it learns the source), 146 out; BYE 200 OK",
    ] {
        assert!(smoke.stderr.contains(step), "{step}:\n{}", smoke.stderr);
    }
    assert!(containers_of(&engine, &smoke).is_empty());

    // A second run with the tree unchanged uses the RPMs it has.
    let second = must(xtask(&image_args(&tree, &out, &tag), &target, &env));
    assert!(
        second
            .stderr
            .contains("holds the RPMs of this tree: using them"),
        "{}",
        second.stderr
    );
    assert!(!second.stderr.contains("rpmbuild"), "{}", second.stderr);
    // The same packages through the Dockerfile's plain-rpm way (a base without dnf).
    let rpm_tag = format!("{tag}-rpm");
    let mut args = image_args(&tree, &out, &rpm_tag);
    args.extend(["--rtp-ports", "12000-12199"]);
    // Other packages: the ODBC voicemail brings the ODBC package it needs. --force builds the
    // RPMs again, as it does for rpm, though they are this tree's.
    args.extend(["--packages", "postgresql,voicemail-odbc", "--force"]);
    let base_at = args.iter().position(|a| *a == RUNTIME_BASE).unwrap();
    args[base_at] = "xtask-test/runtime-rpm:bookworm";
    let plain = must(xtask(&args, &target, &env));
    assert!(
        plain.stderr.contains(&format!(
            "rpms: {} is not compared (--force): building them",
            out.display()
        )),
        "{}",
        plain.stderr
    );
    assert!(plain.stderr.contains("rpmbuild"), "{}", plain.stderr);
    assert!(
        plain.stderr.contains("Updating / installing"),
        "rpm -U did not run:\n{}",
        plain.stderr
    );
    assert_eq!(
        label(&engine, &rpm_tag, "org.asterisk.packages"),
        "asterisk asterisk-odbc asterisk-postgresql asterisk-voicemail-odbc"
    );
    // smoke checks the modules of the packages installed: 3 of the main one's, 3 of theirs;
    // without PJSIP there is no call to place, which --call makes an error.
    let smoke = must(xtask(&["smoke", "--tag", &rpm_tag], &target, &env));
    assert!(smoke.stderr.contains("stops cleanly"), "{}", smoke.stderr);
    assert!(
        smoke
            .stderr
            .contains("sip call: skipped: the image has no PJSIP"),
        "{}",
        smoke.stderr
    );
    let required = xtask(&["smoke", "--tag", &rpm_tag, "--call"], &target, &env);
    assert_eq!(required.code, Some(1), "{}", required.stderr);
    assert!(
        required.error().contains("--call: the image has no PJSIP"),
        "{}",
        required.stderr
    );
    assert!(containers_of(&engine, &required).is_empty());
    assert!(
        smoke.stderr.contains("modules: 6 shipped, 6 loaded"),
        "{}",
        smoke.stderr
    );
    let ports = inspect(&engine, &rpm_tag, "{{json .Config.ExposedPorts}}");
    assert!(
        ports.contains("12199/udp") && !ports.contains("10000/udp"),
        "{ports}"
    );
    remove_image(&engine, &rpm_tag);

    // A change to the tree builds them again.
    sh(&tree, "echo '/* another */' >> main/asterisk.c");
    let third = must(xtask(&image_args(&tree, &out, &tag), &target, &env));
    assert!(
        third
            .stderr
            .contains("holds other outputs (different: source archive"),
        "{}",
        third.stderr
    );

    remove_image(&engine, &tag);
    std::fs::remove_dir_all(&dir).unwrap();
}

#[test]
fn image_and_smoke_refuse_bad_input_and_leave_nothing_running() {
    let Some(EngineFixture { engine }) = EngineFixture::get("image_and_smoke_refuse_bad_input")
    else {
        return;
    };
    let dir = scratch("image-errors");
    let tree = plain_tree(&dir, true);
    let out = dir.join("out");
    let target = dir.join("target");
    let tag = format!("xtask-test/asterisk-bad:{}", std::process::id());
    let env = [("CONTAINER_ENGINE", engine.as_str())];
    let first_line = |run: &Run| run.error().lines().next().unwrap().to_string();

    // No RPMs, and no way to build them (no rpmbuild on PATH).
    let bin = dir.join("bin");
    std::fs::create_dir_all(&bin).unwrap();
    for tool in ["git", "sh"] {
        let found = sh(&dir, &format!("command -v {tool}"));
        std::os::unix::fs::symlink(found.trim(), bin.join(tool)).unwrap();
    }
    let run = xtask(
        &image_args(&tree, &out, &tag),
        &target,
        &[
            ("CONTAINER_ENGINE", engine.as_str()),
            ("PATH", bin.to_str().unwrap()),
        ],
    );
    assert!(!run.ok);
    let line = first_line(&run);
    assert!(
        line.contains("RPMs of this tree are needed") && line.contains("rpmbuild is not installed"),
        "{line}"
    );

    // A runtime base that is not here and cannot be pulled.
    let mut args = image_args(&tree, &out, &tag);
    let base_at = args.iter().position(|a| *a == RUNTIME_BASE).unwrap();
    args[base_at] = "xtask-test/no-such-base:1";
    let run = xtask(&args, &target, &env);
    assert!(!run.ok);
    assert!(
        first_line(&run).contains("is not here and could not be pulled"),
        "{}",
        run.stderr
    );

    // A runtime base without rpm.
    args[base_at] = "xtask-test/minbase:bookworm";
    let run = xtask(&args, &target, &env);
    assert!(!run.ok);
    assert!(
        first_line(&run).contains("has neither dnf, microdnf nor rpm"),
        "{}",
        run.stderr
    );

    // Interrupted while the engine builds the image: the RPMs were published, and it says so.
    let stuck_base = format!("xtask-test/stuck-base:{}", std::process::id());
    let context = dir.join("stuck");
    std::fs::create_dir_all(&context).unwrap();
    std::fs::write(
        context.join("Dockerfile"),
        format!(
            "FROM {RUNTIME_BASE}\nRUN printf '#!/bin/sh\\nexec sleep 600\\n' > /usr/local/bin/dnf && chmod +x /usr/local/bin/dnf\n"
        ),
    )
    .unwrap();
    sh(
        &context,
        &format!("DOCKER_BUILDKIT=1 {engine} build -q -t {stuck_base} . >/dev/null"),
    );
    let mut args = image_args(&tree, &out, &tag);
    args[base_at] = &stuck_base;
    let mut child = spawn_xtask(
        &args,
        &[
            ("CONTAINER_ENGINE", engine.as_str()),
            ("CARGO_TARGET_DIR", target.to_str().unwrap()),
        ],
    );
    use std::io::{BufRead, BufReader};
    let mut lines = BufReader::new(child.stderr.take().unwrap()).lines();
    let mut seen = String::new();
    for line in lines.by_ref() {
        let line = line.unwrap();
        seen.push_str(&line);
        seen.push('\n');
        if line.contains("dnf -y install") || line.contains("RUN --mount") {
            break;
        }
    }
    std::thread::sleep(std::time::Duration::from_secs(1));
    sh(&dir, &format!("kill -INT {}", child.id()));
    let rest: Vec<String> = lines.map(|l| l.unwrap()).collect();
    let status = child.wait().unwrap();
    let all = format!("{seen}{}", rest.join("\n"));
    assert_eq!(status.code(), Some(130), "{all}");
    assert!(
        all.contains(&format!(
            "interrupted: the RPMs in {} are this tree's; no image was built",
            out.display()
        )),
        "{all}"
    );
    assert!(out.join("manifest.json").is_file(), "{all}");
    assert!(
        inspect(&engine, &tag, "{{.Id}}").is_empty(),
        "an image was tagged"
    );
    let _ = Command::new(&engine)
        .args(["rmi", "-f", &stuck_base])
        .output();

    // A good image, then one whose Asterisk dies at start: smoke fails with its last log lines.
    must(xtask(&image_args(&tree, &out, &tag), &target, &env));
    let broken = format!("{tag}-broken");
    derived_image(
        &engine,
        &dir,
        &tag,
        &broken,
        r#"["sh", "-c", "echo 'unable to read asterisk.conf' >&2; exit 3"]"#,
    );
    let run = xtask(&["smoke", "--tag", &broken], &target, &env);
    assert!(!run.ok);
    let line = first_line(&run);
    assert!(
        line.contains("smoke test") && line.contains("exited with status 3"),
        "{line}"
    );
    assert!(
        run.error().contains("unable to read asterisk.conf"),
        "no log lines:\n{}",
        run.error()
    );
    assert!(containers_of(&engine, &run).is_empty());

    // One that is healthy but does not stop cleanly on its stop signal.
    derived_image(
        &engine,
        &dir,
        &tag,
        &broken,
        r#"["sh", "-c", "/usr/local/sbin/asterisk-start /usr/sbin/asterisk -f & pid=$!; trap 'kill $pid; exit 7' TERM; wait"]"#,
    );
    let run = xtask(&["smoke", "--tag", &broken], &target, &env);
    assert!(!run.ok);
    let line = first_line(&run);
    assert!(line.contains("did not stop cleanly: status 7"), "{line}");
    assert!(containers_of(&engine, &run).is_empty());

    // One that never becomes healthy: Ctrl-C ends the wait and removes the container.
    derived_image(&engine, &dir, &tag, &broken, r#"["sleep", "600"]"#);
    let mut child = spawn_xtask(
        &["smoke", "--tag", &broken],
        &[("CONTAINER_ENGINE", engine.as_str())],
    );
    let owner = wait_for_container(&engine, &mut child, "smoke");
    sh(&dir, &format!("kill -INT {}", child.id()));
    let result = child.wait_with_output().unwrap();
    assert_eq!(
        result.status.code(),
        Some(130),
        "{}",
        String::from_utf8_lossy(&result.stderr)
    );
    assert!(
        build_containers(&engine, Some(&owner)).is_empty(),
        "the smoke container survived"
    );

    let run = xtask(
        &["smoke", "--tag", "xtask-test/never-built:1"],
        &target,
        &env,
    );
    assert!(
        first_line(&run).contains("there is no image"),
        "{}",
        run.stderr
    );

    remove_image(&engine, &broken);
    remove_image(&engine, &tag);
    std::fs::remove_dir_all(&dir).unwrap();
}

/// The smoke test checks every shipped module and, on a --dev image, runs Asterisk's unit
/// tests; a module that cannot load for a missing library fails it, naming both.
#[test]
fn smoke_checks_modules_and_runs_unit_tests() {
    let Some(EngineFixture { engine }) = EngineFixture::get("smoke_checks_modules") else {
        return;
    };
    let dir = scratch("smoke-modules");
    let tree = git_tree(&dir);
    let out = dir.join("out");
    let target = dir.join("target");
    let tag = format!("xtask-test/asterisk-dev:{}", std::process::id());
    let env = [("CONTAINER_ENGINE", engine.as_str())];
    let smoke_unit = |tag: &str| {
        xtask(
            &[
                "smoke",
                "--tag",
                tag,
                "--unit-tests",
                "/main/strings/",
                "--out",
                out.to_str().unwrap(),
            ],
            &target,
            &env,
        )
    };

    // A dev image, with the test module; the smoke test sees every module load, then runs the
    // unit tests and leaves Asterisk's JUnit XML in the out dir, recorded in the manifest.
    let mut args = image_args(&tree, &out, &tag);
    args.push("--dev");
    must(xtask(&args, &target, &env));
    assert_eq!(label(&engine, &tag, "org.asterisk.build.dev"), "yes");
    let manifest = std::fs::read_to_string(out.join("manifest.json")).unwrap();
    let effective = manifest_json(&manifest)["options"]["effective_sha256"]
        .as_str()
        .unwrap()
        .to_string();
    assert_eq!(
        label(&engine, &tag, "org.asterisk.build.options"),
        effective
    );
    let inside = sh(&dir, &format!("{engine} run --rm --entrypoint cat {tag} /usr/share/doc/asterisk/build/menuselect.makeopts"));
    assert!(inside.contains("TEST_FRAMEWORK"), "{inside}");
    // Both SBOMs (SPDX, CycloneDX): in the image, and the SPDX one's digest in a label.
    let sboms: Vec<_> = manifest_artifacts(&manifest)
        .into_iter()
        .filter(|a| a.1 == "sbom")
        .collect();
    let names: Vec<&str> = sboms.iter().map(|a| a.0.as_str()).collect();
    assert!(
        names.len() == 2 && names[0].ends_with(".spdx.json") && names[1].ends_with(".cdx.json"),
        "{names:?}"
    );
    assert_eq!(label(&engine, &tag, "org.asterisk.sbom.sha256"), sboms[0].2);
    for (sbom, _, sbom_sha) in &sboms {
        let inside = sh(
            &dir,
            &format!(
                "{engine} run --rm --entrypoint sha256sum {tag} /usr/share/doc/asterisk/build/{sbom}"
            ),
        );
        assert!(inside.starts_with(sbom_sha.as_str()), "{inside}");
    }
    let run = must(smoke_unit(&tag));
    assert!(
        run.stderr
            .contains("modules: 6 shipped, 6 loaded, 0 not loaded"),
        "{}",
        run.stderr
    );
    assert!(
        run.stderr
            .contains("1 Test(s) Executed  1 Passed  0 Failed"),
        "{}",
        run.stderr
    );
    let xml = std::fs::read_to_string(out.join("unit-tests.xml")).unwrap();
    assert!(
        xml.contains("<testcase time=\"0.0\" classname=\"main/strings/\" name=\"join\"/>"),
        "{xml}"
    );
    let artifacts =
        manifest_artifacts(&std::fs::read_to_string(out.join("manifest.json")).unwrap());
    assert!(
        artifacts
            .iter()
            .any(|a| a.0 == "unit-tests.xml" && a.1 == "unit-tests"),
        "{artifacts:?}"
    );
    assert!(containers_of(&engine, &run).is_empty());

    // A failing unit test fails the smoke test, named.
    sh(&tree, "touch tests/fail-a-test");
    must(xtask(&args, &target, &env));
    let run = smoke_unit(&tag);
    assert_eq!(run.code, Some(1), "{}", run.stderr);
    let error = run.error();
    assert!(
        error.starts_with("error: 1 of 2 unit tests failed in ")
            && error.contains(
                "/main/strings/ - fails_on_purpose (this test fails on purpose (tests/fail-a-test))"
            ),
        "{error}"
    );
    assert!(std::fs::read_to_string(out.join("unit-tests.xml"))
        .unwrap()
        .contains("<failure>"));
    sh(&tree, "rm tests/fail-a-test");

    // A module whose library the image lacks: the smoke test names both.
    let mut args = image_args(&tree, &out, &tag);
    args.extend(["--enable", "res_mini_private"]);
    must(xtask(&args, &target, &env));
    assert_eq!(label(&engine, &tag, "org.asterisk.build.dev"), "no");
    let run = xtask(&["smoke", "--tag", &tag], &target, &env);
    assert_eq!(run.code, Some(1), "{}", run.stderr);
    let error = run.error();
    assert!(
        error.starts_with("error: the smoke test of ")
            && error
                .contains("res_mini_private cannot load: libminiprivate.so.1 is not in the image"),
        "{error}"
    );
    assert!(containers_of(&engine, &run).is_empty());

    // --unit-tests on an image built without --dev: one line, before anything starts.
    let run = smoke_unit(&tag);
    assert_eq!(run.code, Some(1), "{}", run.stderr);
    assert!(
        run.error().starts_with(&format!(
            "error: the image {tag} was not built with --dev, so it has no test framework"
        )),
        "{}",
        run.stderr
    );
    assert!(!run.stderr.contains("healthy after"), "{}", run.stderr);
    remove_image(&engine, &tag);
}

/// The image's own configuration with `edit` applied to one file, written to `dir/name`.
fn edited_config(
    engine: &str,
    tag: &str,
    dir: &Path,
    name: &str,
    edit: &str,
) -> std::path::PathBuf {
    std::fs::create_dir_all(dir).unwrap();
    let original = sh(
        dir,
        &format!("{engine} run --rm --entrypoint cat {tag} /etc/asterisk/{name}"),
    );
    let path = dir.join(name);
    std::fs::write(&path, original).unwrap();
    sh(dir, &format!("sed -i {edit} {name}"));
    path
}

#[test]
fn smoke_places_a_call_and_names_the_step_that_fails() {
    let Some(EngineFixture { engine }) = EngineFixture::get("smoke_places_a_call") else {
        return;
    };
    let dir = scratch("call");
    let tree = git_tree(&dir);
    let out = dir.join("out");
    let target = dir.join("target");
    let tag = format!("xtask-test/asterisk:call-{}", std::process::id());
    let env = [("CONTAINER_ENGINE", engine.as_str())];
    must(xtask(&image_args(&tree, &out, &tag), &target, &env));
    let smoke = |args: &[&str]| {
        let mut all = vec!["smoke", "--tag", tag.as_str()];
        all.extend(args);
        let run = xtask(&all, &target, &env);
        assert!(containers_of(&engine, &run).is_empty(), "{}", run.stderr);
        run
    };

    // Each way a call fails, named by its step, through a configuration file mounted over the
    // image's (read-only: smoke never writes to it).
    let configs = dir.join("configs");
    let cases: [(&str, &str, &str, &str); 5] = [
        (
            // PJSIP installed but not loaded: never healthy (only an image without it may lack
            // transports).
            "pjsip-not-loaded",
            "modules.conf",
            "'$a noload = res_pjsip_mini.so'",
            "became unhealthy: its health check fails",
        ),
        (
            "wrong-password",
            "pjsip.conf",
            "'s/^\\[6001-auth\\](environment-password)$/[6001-auth]\\npassword = not-the-one-smoke-set/'",
            "sip OPTIONS as 6001: SIP/2.0 401 Unauthorized (waiting for 200) (the password smoke set through ASTERISK_ENDPOINT_PASSWORD was refused",
        ),
        (
            "no-answer",
            "pjsip.conf",
            "'s/^bind = 0.0.0.0:5060$/bind = 0.0.0.0:5070/'",
            "sip OPTIONS as 6001: no answer within 5s",
        ),
        (
            "no-echo",
            "extensions.conf",
            "'s/^ same => n,Echo()$/ same => n,Wait(20)/'",
            "sip call to 600 (echo test): 150 RTP packets sent, 0 came back (Asterisk took 146 and sent 0): the echo test did not echo them all",
        ),
        (
            // 600 is the start of 6001: Asterisk answers 484, as it does here.
            "unknown-extension",
            "extensions.conf",
            "'s/^exten => 600,/exten => 700,/'",
            "sip call as 6001: SIP/2.0 484 Address Incomplete",
        ),
    ];
    for (case, file, edit, says) in cases {
        let path = edited_config(&engine, &tag, &configs.join(case), file, edit);
        let run = smoke(&["--config", path.to_str().unwrap()]);
        assert_eq!(run.code, Some(1), "{case}: {}", run.stderr);
        assert!(run.error().contains(says), "{case}: {}", run.stderr);
        assert!(
            run.stderr
                .contains(&format!("configuration: {} (read-only)", path.display())),
            "{case}: {}",
            run.stderr
        );
    }

    // A pjsip.conf Asterisk rejects: unhealthy, and smoke prints the line its log names.
    let broken = edited_config(
        &engine,
        &tag,
        &configs.join("broken"),
        "pjsip.conf",
        "'s/^\\[transport-udp\\](environment-transport)$/[transport-udp/'",
    );
    let run = smoke(&["--config", broken.to_str().unwrap()]);
    assert_eq!(run.code, Some(1), "{}", run.stderr);
    let line = sh(
        broken.parent().unwrap(),
        "grep -n '^\\[transport-udp$' pjsip.conf | cut -d: -f1",
    );
    assert!(
        run.error()
            .contains("became unhealthy: its health check fails; its log says: ")
            && run.error().contains(&format!(
                "config.c: parse error: no closing ']', line {} of /etc/asterisk/pjsip.conf",
                line.trim()
            )),
        "{}",
        run.stderr
    );

    // A file only its owner can read: smoke runs the container as that owner, in the asterisk
    // group, as docs/image.md's docker run line does; without that the entry point says why.
    let private = dir.join("private");
    let pjsip = edited_config(
        &engine,
        &tag,
        &private,
        "pjsip.conf",
        "'s/^; SIP:/; Private. SIP:/'",
    );
    sh(
        &private,
        "chown 1234:1234 pjsip.conf && chmod 0600 pjsip.conf",
    );
    let run = smoke(&["--config", pjsip.to_str().unwrap()]);
    assert_eq!(run.code, Some(0), "{}", run.stderr);
    assert!(
        run.stderr.contains("run as its owner 1234:450"),
        "{}",
        run.stderr
    );
    assert!(run.stderr.contains("runs as uid 1234"), "{}", run.stderr);
    assert!(
        run.stderr.contains("sip call to 600 (echo test): answered"),
        "{}",
        run.stderr
    );
    let refused = Command::new(&engine)
        .args(["run", "--rm", "-v"])
        .arg(format!("{}:/etc/asterisk/pjsip.conf:ro", pjsip.display()))
        .arg(&tag)
        .output()
        .unwrap();
    assert_eq!(refused.status.code(), Some(78));
    assert_eq!(
        String::from_utf8_lossy(&refused.stderr).trim(),
        "asterisk-start: /etc/asterisk/pjsip.conf cannot be read by uid 450 gid 450 (owner 1234:1234, mode 600): run the container as its owner (--user 1234:450) or make it readable by group 450"
    );
    assert_eq!(
        std::fs::read_to_string(&pjsip).unwrap().lines().next().unwrap_or(""),
        "; Private. SIP: UDP and TCP on 5060 (and TLS on 5061 when /etc/asterisk/keys holds asterisk.crt and",
        "the mounted file was changed"
    );

    // The environment's bad values stop the start with one line and status 78.
    for (variable, says) in [
        ("ASTERISK_RTP_PORTS=10099-10000", "ASTERISK_RTP_PORTS=10099-10000 is upside down: FIRST must be below LAST"),
        ("ASTERISK_EXTERNAL_ADDRESS=300.1.2.3", "ASTERISK_EXTERNAL_ADDRESS=300.1.2.3 is not an address (an IPv4 or IPv6 address, or a host name, without a port)"),
        ("ASTERISK_VERBOSE=loud", "ASTERISK_VERBOSE=loud is not a number from 0 to 9"),
        ("ASTERISK_ENDPOINT_PASSWORD=short", "ASTERISK_ENDPOINT_PASSWORD is shorter than 8 characters"),
        ("TZ=Nowhere/City", "TZ=Nowhere/City is not a time zone in /usr/share/zoneinfo (such as Europe/Berlin)"),
        ("ASTERISK_EXTERNAL_ADDRESS=1.2.3.4:5060", "ASTERISK_EXTERNAL_ADDRESS=1.2.3.4:5060 is not an address (an IPv4 or IPv6 address, or a host name, without a port)"),
        ("ASTERISK_EXTERNAL_ADDRESS=:::::", "ASTERISK_EXTERNAL_ADDRESS=::::: is not an address (an IPv4 or IPv6 address, or a host name, without a port)"),
        ("ASTERISK_LOCAL_NET=999.999.0.0/99", "ASTERISK_LOCAL_NET=999.999.0.0/99: '999.999.0.0/99' is not a network (ADDRESS/BITS, such as 192.168.0.0/16; comma-separated)"),
        ("ASTERISK_LOCAL_NET=192.168.0.0/16,,", "ASTERISK_LOCAL_NET=192.168.0.0/16,, has an empty item: separate networks with single commas"),
        ("ASTERISK_RTP_PORTS=010000-10099", "ASTERISK_RTP_PORTS=010000-10099 is not FIRST-LAST (such as 10000-10099)"),
        ("ASTERISK_RTP_PORTS=10000-10000", "ASTERISK_RTP_PORTS=10000-10000 is one port: RTP needs a range, FIRST below LAST (such as 10000-10099)"),
        ("ASTERISK_EXTERNAL_ADDRESS=01.02.03.04", "ASTERISK_EXTERNAL_ADDRESS=01.02.03.04 is not an address (an IPv4 or IPv6 address, or a host name, without a port)"),
    ] {
        let run = Command::new(&engine)
            .args(["run", "--rm", "-e", variable, &tag])
            .output()
            .unwrap();
        assert_eq!(run.status.code(), Some(78), "{variable}");
        assert_eq!(
            String::from_utf8_lossy(&run.stderr).trim(),
            format!("asterisk-start: {says}"),
            "{variable}"
        );
    }

    // The environment's good values land in environment.conf, readable.
    let written = sh(
        &dir,
        &format!("{engine} run --rm -e ASTERISK_EXTERNAL_ADDRESS=203.0.113.7 -e ASTERISK_LOCAL_NET=192.168.0.0/16,10.0.0.0/8 -e ASTERISK_VERBOSE=5 -e ASTERISK_ENDPOINT_PASSWORD=correct-horse -e TZ=Europe/Berlin --entrypoint /usr/local/sbin/asterisk-start {tag} cat /etc/asterisk/environment.conf"),
    );
    // The time zone is the process's own: what Asterisk (here `date`) sees.
    let zone = sh(
        &dir,
        &format!("{engine} run --rm -e TZ=Europe/Berlin --entrypoint /usr/local/sbin/asterisk-start {tag} date +%Z"),
    );
    assert!(matches!(zone.trim(), "CET" | "CEST"), "{zone}");
    for line in [
        "; TZ=Europe/Berlin",
        "verbose = 5",
        "external_media_address = 203.0.113.7",
        "external_signaling_address = 203.0.113.7",
        "local_net = 192.168.0.0/16\nlocal_net = 10.0.0.0/8",
        "password = correct-horse",
    ] {
        assert!(written.contains(line), "{line}:\n{written}");
    }

    // A whole directory: smoke boots it through a private copy (the entry point writes
    // environment.conf there), and the directory itself is never written.
    let whole = dir.join("whole");
    std::fs::create_dir_all(&whole).unwrap();
    sh(
        &whole,
        &format!("{engine} run --rm --entrypoint tar {tag} -C /etc/asterisk -c . | tar -x && rm environment.conf && chmod -R go-rwx . && chown -R 1234:1234 . && ln -s . loop"),
    );
    let modes = |d: &Path| sh(d, "find . -printf '%m %u:%g %p\\n' | LC_ALL=C sort");
    // (Its link to itself: the files' sums, and the links in `modes`.)
    let sums = |d: &Path| {
        sh(
            d,
            "find . -type f -print0 | LC_ALL=C sort -z | xargs -0 sha256sum",
        )
    };
    let before = (sums(&whole), modes(&whole));
    let run = must(smoke(&["--config", whole.to_str().unwrap()]));
    assert!(
        run.stderr.contains(&format!(
            "configuration: {} (a copy: yours is never written)",
            whole.display()
        )),
        "{}",
        run.stderr
    );
    assert!(
        run.stderr.contains("sip call to 600 (echo test): answered"),
        "{}",
        run.stderr
    );
    assert!(
        run.stderr
            .contains("/loop links to a directory: not copied"),
        "{}",
        run.stderr
    );
    assert_eq!(
        (sums(&whole), modes(&whole)),
        before,
        "the mounted directory was changed"
    );
    assert!(!whole.join("environment.conf").exists());
    let copies = sh(
        &dir,
        "ls -d /tmp/asterisk-xtask-config-* 2>/dev/null | wc -l",
    );
    assert_eq!(copies.trim(), "0", "a configuration copy was left behind");
    // docs/image.md's own line for a whole directory (no copy): mounted as it is, owned by 1234 and
    // readable by it alone, the container run as its owner in the asterisk group is healthy (a
    // PJSIP transport up), and environment.conf is written there, the owner's.
    let direct = dir.join("direct");
    sh(
        &dir,
        &format!(
            "cp -a {} {} && rm {}/loop",
            whole.display(),
            direct.display(),
            direct.display()
        ),
    );
    let name = format!("xtask-readme-line-{}", std::process::id());
    let started = Command::new(&engine)
        .args([
            "run", "--init", "-d", "--name", &name, "--user", "1234:450", "-v",
        ])
        .arg(format!("{}:/etc/asterisk", direct.display()))
        .args(["-p", "127.0.0.1::5060/udp", &tag])
        .output()
        .unwrap();
    assert!(
        started.status.success(),
        "{}",
        String::from_utf8_lossy(&started.stderr)
    );
    let mut health = String::new();
    for _ in 0..120 {
        health = inspect(&engine, &name, "{{.State.Health.Status}}");
        if health != "starting" {
            break;
        }
        std::thread::sleep(std::time::Duration::from_millis(500));
    }
    let logs = sh(&dir, &format!("{engine} logs {name} 2>&1 | tail -n 5"));
    let _ = Command::new(&engine)
        .args(["rm", "-f", "-v", &name])
        .output();
    assert_eq!(health, "healthy", "{logs}");
    assert_eq!(
        sh(&direct, "stat -c '%u %a' environment.conf").trim(),
        "1234 660"
    );
    // A configuration of its own that does not include environment.conf gets none, and a line.
    let own = dir.join("own");
    std::fs::create_dir_all(&own).unwrap();
    std::fs::write(own.join("asterisk.conf"), "[options]\nverbose = 1\n").unwrap();
    let said = Command::new(&engine)
        .args(["run", "--rm", "-v"])
        .arg(format!("{}:/etc/asterisk", own.display()))
        .args([
            "--entrypoint",
            "/usr/local/sbin/asterisk-start",
            &tag,
            "true",
        ])
        .output()
        .unwrap();
    assert_eq!(said.status.code(), Some(0));
    assert_eq!(
        String::from_utf8_lossy(&said.stdout).trim(),
        "asterisk-start: no file in /etc/asterisk includes environment.conf: the ASTERISK_* variables do not apply (your configuration is used as it is)"
    );
    assert!(!own.join("environment.conf").exists());

    // A certificate in /etc/asterisk/keys turns TLS on 5061 on (the real Asterisk check is in
    // the notes: the stand-in speaks no TLS).
    let keys = dir.join("keys");
    std::fs::create_dir_all(&keys).unwrap();
    std::fs::write(keys.join("asterisk.crt"), "certificate\n").unwrap();
    std::fs::write(keys.join("asterisk.key"), "key\n").unwrap();
    let with_tls = sh(
        &dir,
        &format!("{engine} run --rm -v {}:/etc/asterisk/keys:ro --entrypoint /usr/local/sbin/asterisk-start {tag} cat /etc/asterisk/environment.conf", keys.display()),
    );
    assert!(
        with_tls.contains("[transport-tls](environment-transport)\ntype = transport\nprotocol = tls\nbind = 0.0.0.0:5061\ncert_file = /etc/asterisk/keys/asterisk.crt\npriv_key_file = /etc/asterisk/keys/asterisk.key"),
        "{with_tls}"
    );
    assert!(!written.contains("transport-tls"), "{written}");

    // Without sipp the call is skipped with one line; --call makes that an error; --no-call
    // skips it.
    let no_sipp = dir.join("no-sipp");
    std::fs::create_dir_all(&no_sipp).unwrap();
    let bare = [
        ("CONTAINER_ENGINE", engine.as_str()),
        ("PATH", no_sipp.to_str().unwrap()),
    ];
    let run = must(xtask(&["smoke", "--tag", &tag], &target, &bare));
    assert!(
        run.stderr.contains("sip call: skipped: sipp is not installed (apt-get install sip-tester on Debian and Ubuntu, dnf install sipp on Fedora and EPEL; --call makes this an error)"),
        "{}",
        run.stderr
    );
    let run = xtask(&["smoke", "--tag", &tag, "--call"], &target, &bare);
    assert_eq!(run.code, Some(1), "{}", run.stderr);
    assert!(
        run.error()
            .contains("--call needs sipp, which is not installed"),
        "{}",
        run.stderr
    );
    let run = must(smoke(&["--no-call"]));
    assert!(
        run.stderr.contains("sip call: skipped (--no-call)"),
        "{}",
        run.stderr
    );
    assert!(!run.stderr.contains("sip OPTIONS"), "{}", run.stderr);

    // --config paths that cannot work: one line each, before anything starts.
    let root_only = dir.join("root-only");
    std::fs::create_dir_all(&root_only).unwrap();
    std::fs::write(root_only.join("rtp.conf"), "[general]\n").unwrap();
    sh(&root_only, "chmod 0600 rtp.conf");
    let other = dir.join("other-owner");
    std::fs::create_dir_all(&other).unwrap();
    std::fs::write(other.join("cdr.conf"), "[general]\n").unwrap();
    sh(&other, "chown 2345:2345 cdr.conf");
    let pjsip_path = pjsip.to_str().unwrap();
    let rtp_path = root_only.join("rtp.conf");
    let cdr_path = other.join("cdr.conf");
    let rows: [(&[&str], i32, &str); 7] = [
        (&["--config", "/nonexistent/pjsip.conf"], 2, "--config /nonexistent/pjsip.conf: no such file or directory: name a configuration directory or file"),
        (&["--config", ""], 2, "--config needs a value, and was given an empty one (an unset variable?)"),
        (&["--config", "/dev/null"], 2, "--config /dev/null is neither a regular file nor a directory: name a configuration file"),
        (&["--config", pjsip_path, "--config", broken.to_str().unwrap()], 2, "would both be /etc/asterisk/pjsip.conf: name one"),
        (&["--config", rtp_path.to_str().unwrap()], 1, "cannot be read in the container (owner 0:0, mode 600): root owns it and the image runs as uid 450"),
        (&["--config", pjsip_path, "--config", cdr_path.to_str().unwrap()], 1, "belongs to uid 2345, but the container already runs as 1234:450 for another --config: give the files one owner"),
        (&["--config", whole.to_str().unwrap(), "--config", own.to_str().unwrap()], 2, "only one directory can be /etc/asterisk: name files for the rest"),
    ];
    for (args, code, says) in rows {
        let run = smoke(args);
        assert_eq!(run.code, Some(code), "{args:?}: {}", run.stderr);
        assert!(run.error().contains(says), "{args:?}: {}", run.stderr);
        assert!(
            !run.stderr.contains("docker run"),
            "{args:?} started a container: {}",
            run.stderr
        );
    }

    remove_image(&engine, &tag);
    std::fs::remove_dir_all(&dir).unwrap();
}

/// The image's own configuration, read as Asterisk reads it (sections, templates, `key = value`):
/// PJSIP on UDP and TCP 5060 (TLS only from the entry point, with a certificate), every endpoint
/// authenticated, no route out of the box, HTTP, ARI and AMI off, logs to the console and a file.
#[test]
fn the_default_configuration_listens_authenticates_and_stays_in_the_box() {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("../contrib/docker/image/asterisk");
    // [name](templates) -> key = value lines, templates applied.
    let sections = |file: &str| -> Vec<(String, Vec<(String, String)>)> {
        let text = std::fs::read_to_string(dir.join(file)).unwrap();
        // (name, templates, its own key = value lines)
        type Section = (String, Vec<String>, Vec<(String, String)>);
        let mut out: Vec<Section> = Vec::new();
        for line in text.lines() {
            let line = line.split(';').next().unwrap().trim();
            if let Some(head) = line.strip_prefix('[') {
                let (name, rest) = head.split_once(']').unwrap();
                let templates = rest
                    .trim_matches(|c| c == '(' || c == ')')
                    .split(',')
                    .filter(|t| !t.is_empty() && *t != "!")
                    .map(str::to_string)
                    .collect();
                // A template (`(!)`) is no object of its own: named "!" here, and skipped.
                let name = if rest.contains('!') {
                    "!".to_string()
                } else {
                    name.to_string()
                };
                out.push((name, templates, Vec::new()));
            } else if let Some((k, v)) = line.split_once('=') {
                let (k, v) = (
                    k.trim().trim_end_matches('>').trim(),
                    v.trim_start_matches('>').trim(),
                );
                if let Some(last) = out.last_mut() {
                    last.2.push((k.to_string(), v.to_string()));
                }
            }
        }
        let named: Vec<(String, Vec<(String, String)>)> = text
            .lines()
            .filter_map(|l| l.trim().strip_prefix('['))
            .filter_map(|h| h.split_once(']'))
            .map(|(n, _)| n.to_string())
            .zip(out.iter().map(|(_, _, kv)| kv.clone()))
            .collect();
        out.iter()
            .filter(|(name, _, _)| name != "!")
            .map(|(name, templates, own)| {
                let mut all: Vec<(String, String)> = templates
                    .iter()
                    .flat_map(|t| {
                        named
                            .iter()
                            .filter(move |(n, _)| n == t)
                            .flat_map(|(_, kv)| kv.clone())
                    })
                    .collect();
                all.extend(own.clone());
                (name.clone(), all)
            })
            .collect()
    };
    let get = |kv: &[(String, String)], k: &str| {
        kv.iter()
            .rev()
            .find(|(key, _)| key == k)
            .map(|(_, v)| v.clone())
    };
    let pjsip = sections("pjsip.conf");
    let transports: Vec<(Option<String>, Option<String>)> = pjsip
        .iter()
        .filter(|(_, kv)| get(kv, "type").as_deref() == Some("transport"))
        .map(|(_, kv)| (get(kv, "protocol"), get(kv, "bind")))
        .collect();
    assert_eq!(
        transports,
        [
            (Some("udp".into()), Some("0.0.0.0:5060".into())),
            (Some("tcp".into()), Some("0.0.0.0:5060".into()))
        ]
    );
    let endpoints: Vec<&(String, Vec<(String, String)>)> = pjsip
        .iter()
        .filter(|(_, kv)| get(kv, "type").as_deref() == Some("endpoint"))
        .collect();
    assert_eq!(endpoints.len(), 1, "{endpoints:?}");
    for (name, kv) in &endpoints {
        let auth = get(kv, "auth").unwrap_or_else(|| panic!("endpoint {name} has no auth"));
        assert!(
            pjsip
                .iter()
                .any(|(n, a)| n == &auth && get(a, "type").as_deref() == Some("auth")),
            "{name}: {auth}"
        );
        assert_eq!(get(kv, "context").as_deref(), Some("demo"));
    }
    assert!(
        !pjsip
            .iter()
            .any(|(_, kv)| get(kv, "type").as_deref() == Some("identify")),
        "an identify section lets requests in by address"
    );
    // The dialplan answers its own numbers and dials only the phone registered here.
    let text = std::fs::read_to_string(dir.join("extensions.conf")).unwrap();
    let extensions: Vec<&str> = text
        .lines()
        .filter(|l| !l.trim_start().starts_with(';'))
        .filter(|l| l.contains("=>"))
        .collect();
    for line in &extensions {
        assert!(!line.contains("=> _"), "a pattern: {line}");
        if let Some(at) = line.find("Dial(") {
            assert!(line[at..].starts_with("Dial(PJSIP/6001,"), "{line}");
        }
    }
    for (file, section) in [
        ("http.conf", "general"),
        ("ari.conf", "general"),
        ("manager.conf", "general"),
    ] {
        let s = sections(file);
        let kv = &s.iter().find(|(n, _)| n == section).unwrap().1;
        assert_eq!(get(kv, "enabled").as_deref(), Some("no"), "{file}");
    }
    let logger = sections("logger.conf");
    let files = &logger.iter().find(|(n, _)| n == "logfiles").unwrap().1;
    assert!(
        get(files, "console").is_some_and(|v| v.contains("verbose")),
        "{files:?}"
    );
    assert!(
        get(files, "messages.log").is_some_and(|v| v.contains("error")),
        "{files:?}"
    );
}
