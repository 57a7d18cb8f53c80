//! Rows that need a container engine: `image`, `smoke`, and a builder without BuildRequires.

use std::path::Path;

use super::*;

fn engine_env(w: &World) -> Vec<(String, String)> {
    vec![("CONTAINER_ENGINE".to_string(), w.engine.clone().unwrap())]
}

/// `image` on the git tree, into a copy of the previous outputs.
fn image(w: &World, row: &Path, more: &[&str]) -> Option<Attempt> {
    let out = out_copy(w, row);
    let mut args = s(&["image", "--native", "-q", "--source"]);
    args.extend([p(&w.tree), "--out".into(), p(&out)]);
    args.extend(s(more));
    let mut a = attempt(args, &[&w.tree, &out]).unwrap();
    a.env = engine_env(w);
    Some(a)
}

fn smoke(w: &World, more: &[&str]) -> Option<Attempt> {
    let mut args = s(&["smoke"]);
    args.extend(s(more));
    let mut a = attempt(args, &[]).unwrap();
    a.env = engine_env(w);
    Some(a)
}

pub fn rows() -> Vec<Row> {
    vec![
        Row {
            name: "image --packages naming a subpackage the build does not have",
            setup: Box::new(|w, row| {
                image(w, row, &["--runtime-base", "xtask-test/runtime:bookworm", "--packages", "pjsip,mysql"])
            }),
            code: 1,
            says: "--packages mysql: this build has no such subpackage; it has asterisk-odbc, asterisk-pjsip, asterisk-postgresql, asterisk-voicemail-odbc, asterisk-voicemail-plain",
            engine: true,
        },
        Row {
            name: "image --packages naming two that cannot be installed together",
            setup: Box::new(|w, row| {
                image(
                    w,
                    row,
                    &["--runtime-base", "xtask-test/runtime:bookworm", "--packages", "voicemail-plain,asterisk-voicemail-odbc"],
                )
            }),
            code: 1,
            says: "--packages: asterisk-voicemail-odbc and asterisk-voicemail-plain cannot be installed together",
            engine: true,
        },
        Row {
            name: "image: a runtime base that is not here",
            setup: Box::new(|w, row| image(w, row, &["--runtime-base", "xtask-test/no-such:1"])),
            code: 1,
            says: "or name a local image with --runtime-base",
            engine: true,
        },
        Row {
            name: "image: a runtime base without rpm",
            setup: Box::new(|w, row| {
                image(w, row, &["--runtime-base", "xtask-test/minbase:bookworm"])
            }),
            code: 1,
            says: "has neither dnf, microdnf nor rpm",
            engine: true,
        },
        Row {
            name: "image: a docker CLI without BuildKit (no buildx component)",
            setup: Box::new(|w, row| {
                // A docker 28 client without buildx, in front of the real engine.
                let bin = row.join("bin");
                std::fs::create_dir_all(&bin).unwrap();
                let docker = bin.join("docker");
                std::fs::write(
                    &docker,
                    format!(
                        "#!/bin/sh\ncase \"$1 $2\" in\n  'buildx version') echo \"docker: unknown command: docker buildx\" >&2; exit 1 ;;\n  'version --format') case \"$3\" in *Client*) echo 28.2.2; exit 0 ;; esac ;;\n  build*) echo 'ERROR: BuildKit is enabled but the buildx component is missing or broken.' >&2; exit 1 ;;\nesac\nexec {} \"$@\"\n",
                        w.engine.clone().unwrap()
                    ),
                )
                .unwrap();
                sh(&bin, "chmod +x docker");
                let mut a = image(w, row, &[])?;
                a.env = vec![("CONTAINER_ENGINE".to_string(), p(&docker))];
                Some(a)
            }),
            code: 1,
            says: "(version 28.2.2) cannot build with BuildKit: its buildx component is missing",
            engine: true,
        },
        Row {
            name: "image: an invalid tag",
            setup: Box::new(|w, row| image(w, row, &["--tag", "Asterisk:dev"])),
            code: 2,
            says: "is not a valid image name",
            engine: true,
        },
        Row {
            name: "image: an RTP range upside down",
            setup: Box::new(|w, row| image(w, row, &["--rtp-ports", "20000-10000"])),
            code: 2,
            says: "--rtp-ports takes FIRST-LAST",
            engine: true,
        },
        Row {
            name: "image: an engine that is not installed",
            setup: Box::new(|w, row| {
                let mut a = image(w, row, &["--engine", "/nonexistent/docker"]);
                a.as_mut().unwrap().env.clear();
                a
            }),
            code: 1,
            says: "the container engine /nonexistent/docker is not installed: install docker",
            engine: true,
        },
        Row {
            name: "image: an engine that hangs",
            setup: Box::new(|w, row| {
                let fake = row.join("docker");
                std::fs::write(&fake, "#!/bin/sh\nexec sleep 600\n").unwrap();
                sh(row, "chmod +x docker");
                let mut a = image(w, row, &["--engine", &p(&fake)]);
                let a_ref = a.as_mut().unwrap();
                a_ref.env = vec![("ASTERISK_XTASK_QUERY_SECS".into(), "2".into())];
                a
            }),
            code: 1,
            says: "did not answer in 2s",
            engine: true,
        },
        Row {
            name: "image --dry-run without the runtime base here",
            setup: Box::new(|w, row| {
                image(
                    w,
                    row,
                    &["--dry-run", "--runtime-base", "xtask-test/no-such:1"],
                )
            }),
            code: 0,
            says: "would pull xtask-test/no-such:1",
            engine: true,
        },
        Row {
            name: "rpm in a builder whose rpm database knows no BuildRequires",
            setup: Box::new(|w, _| {
                let mut args = s(&["rpm", "--container", "-q", "--base-image", "xtask-test/builder:bookworm"]);
                args.extend(["--source".into(), p(&w.tree), "--out".into(), p(&w.out)]);
                let mut a = attempt(args, &[&w.tree, &w.out]).unwrap();
                a.env = engine_env(w);
                Some(a)
            }),
            code: 1,
            says: "the builder image lacks BuildRequires of the spec (listed below): install them, or pass --nodeps",
            engine: true,
        },
        Row {
            name: "rpm in the container with a target directory whose path holds a ':' (-v splits at it)",
            setup: Box::new(|w, row| {
                let mut args = s(&["rpm", "--container", "-q", "--nodeps", "--base-image", "xtask-test/builder:bookworm"]);
                args.extend(["--source".into(), p(&w.tree), "--out".into(), p(&w.out)]);
                let mut a = attempt(args, &[&w.tree, &w.out]).unwrap();
                a.env = engine_env(w);
                a.env.push(("CARGO_TARGET_DIR".into(), p(&row.join("t:1"))));
                Some(a)
            }),
            code: 1,
            says: "t:1/xtask/rpm-work holds a ':', which a container engine cannot mount (-v splits at it): build with a target directory (CARGO_TARGET_DIR) and --ccache-dir without ':', or with --native",
            engine: true,
        },
        Row {
            name: "smoke: no such image",
            setup: Box::new(|w, _| smoke(w, &["--tag", "xtask-test/never-built:1"])),
            code: 1,
            says: "there is no image xtask-test/never-built:1",
            engine: true,
        },
        Row {
            name: "smoke: a timeout of 0",
            setup: Box::new(|w, _| smoke(w, &["--timeout", "0"])),
            code: 2,
            says: "--timeout takes a whole number",
            engine: true,
        },
        Row {
            name: "smoke: an image without the version label",
            setup: Box::new(|w, _| smoke(w, &["--tag", "xtask-test/minbase:bookworm"])),
            code: 1,
            says: "has no org.opencontainers.image.version label",
            engine: true,
        },
        Row {
            name: "smoke: an engine that hangs",
            setup: Box::new(|_, row| {
                let fake = row.join("docker");
                std::fs::write(&fake, "#!/bin/sh\nexec sleep 600\n").unwrap();
                sh(row, "chmod +x docker");
                with_env(
                    attempt(s(&["smoke", "--engine", &p(&fake)]), &[]),
                    &[("ASTERISK_XTASK_QUERY_SECS", "2")],
                )
            }),
            code: 1,
            says: "did not answer in 2s",
            engine: true,
        },
    ]
}
