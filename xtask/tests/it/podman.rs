//! The same commands with podman as the engine: the builder, the image and the smoke test.
//! The base images come from docker (`docker save | podman load`); no registry is needed.

use std::process::Command;

use crate::support::*;

#[test]
fn podman_builds_rpms_and_an_image_that_passes_smoke() {
    let Some(EngineFixture { engine: docker }) =
        EngineFixture::get("podman_builds_rpms_and_an_image")
    else {
        return;
    };
    if Command::new("podman").arg("--version").output().is_err() {
        cannot_run("podman_builds_rpms_and_an_image: podman is not installed");
        return;
    }
    let dir = scratch("podman");
    // These machines' hard limits are below podman's defaults (`error setting rlimit`): give
    // it limits they allow. Nothing about the xtask depends on this.
    let conf = dir.join("containers.conf");
    std::fs::write(
        &conf,
        "[containers]\ndefault_ulimits = [\"nofile=20000:20000\", \"nproc=32768:32768\"]\n",
    )
    .unwrap();
    sh(
        &dir,
        &format!(
            "{docker} save xtask-test/builder:bookworm xtask-test/runtime:bookworm | podman load -q >/dev/null"
        ),
    );
    let tree = git_tree(&dir);
    let target = dir.join("target");
    let out = dir.join("out");
    let tag = format!("xtask-test/asterisk-podman:{}", std::process::id());
    let env = [
        ("CONTAINER_ENGINE", "podman"),
        ("CONTAINERS_CONF", conf.to_str().unwrap()),
    ];
    let src = tree.to_str().unwrap();
    let out_dir = out.to_str().unwrap();

    let rpm = must(xtask(
        &[
            "rpm",
            "--container",
            "-q",
            "--nodeps",
            "--source",
            src,
            "--out",
            out_dir,
            "--base-image",
            "localhost/xtask-test/builder:bookworm",
        ],
        &target,
        &env,
    ));
    assert!(
        rpm.stderr.contains("build: in a container (podman)"),
        "{}",
        rpm.stderr
    );
    let manifest = std::fs::read_to_string(out.join("manifest.json")).unwrap();
    assert!(
        manifest_field(&manifest, "builder").starts_with("container "),
        "{manifest}"
    );

    let image = must(xtask(
        &[
            "image",
            "-q",
            "--source",
            src,
            "--out",
            out_dir,
            "--tag",
            &tag,
            "--runtime-base",
            "localhost/xtask-test/runtime:bookworm",
            // The RPMs are this build's only for the same builder: the same base, as rpm's.
            "--container",
            "--nodeps",
            "--base-image",
            "localhost/xtask-test/builder:bookworm",
        ],
        &target,
        &env,
    ));
    assert!(
        image
            .stderr
            .contains("holds the RPMs of this tree: using them"),
        "{}",
        image.stderr
    );
    let health = sh(
        &dir,
        &format!("podman image inspect --format '{{{{json .Config.Healthcheck}}}}' {tag}"),
    );
    assert!(
        health.contains("pjsip show transports"),
        "podman dropped the HEALTHCHECK: {health}"
    );

    let smoke = must(xtask(&["smoke", "--tag", &tag], &target, &env));
    assert!(smoke.stderr.contains("not root"), "{}", smoke.stderr);
    let left = sh(
        &dir,
        "podman ps -aq --filter label=org.asterisk.xtask.build",
    );
    assert_eq!(left.trim(), "", "podman containers were left behind");
    let _ = Command::new("podman").args(["rmi", "-f", &tag]).output();
    std::fs::remove_dir_all(&dir).unwrap();
}
