//! The container engine (docker or podman) and the labelled containers it runs.
//!
//! The program is `--engine`, else `$CONTAINER_ENGINE`, else docker, else podman. Docker gets
//! `DOCKER_BUILDKIT=1`; `DOCKER_HOST` and docker contexts reach it untouched. Every build
//! container is named and labelled with the xtask's host and pid, so that an interrupted run
//! removes its own (with its anonymous volumes) and the next run removes those whose xtask is
//! gone.

use anyhow::{anyhow, bail, Context, Result};

use crate::infra::exec::{Cmd, Shell};

/// The label on every build container; its value is `<host>:<pid>` of the xtask that made it.
pub const BUILD_LABEL: &str = "org.asterisk.xtask.build";

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum EngineKind {
    Docker,
    Podman,
}

#[derive(Debug, Clone)]
pub struct Engine {
    pub program: String,
    pub kind: EngineKind,
    /// How its commands run (dry run, verbose).
    pub sh: Shell,
}

/// The engine program to use, from the flag, the environment and what is installed.
fn choose_program(
    flag: Option<&str>,
    env: Option<&str>,
    docker_installed: bool,
    podman_installed: bool,
) -> Option<String> {
    if let Some(p) = flag.or(env).filter(|p| !p.is_empty()) {
        return Some(p.to_string());
    }
    if docker_installed {
        return Some("docker".into());
    }
    podman_installed.then(|| "podman".into())
}

/// podman if the program's file name says so, docker (or a docker-compatible CLI) otherwise.
fn kind_of(program: &str) -> EngineKind {
    let name = program.rsplit('/').next().unwrap_or(program);
    if name.contains("podman") {
        EngineKind::Podman
    } else {
        EngineKind::Docker
    }
}

/// One line about an engine that did not answer, with what to do.
/// Whether a docker client of `version` builds with BuildKit, given whether `docker buildx`
/// answers: from docker 23 on, BuildKit is the buildx component, which some installs lack.
pub fn buildkit(program: &str, version: &str, buildx: bool) -> Result<()> {
    let major = version
        .split('.')
        .next()
        .and_then(|m| m.trim_start_matches('v').parse::<u32>().ok());
    match (buildx, major) {
        (true, _) => Ok(()),
        (false, Some(m)) if m < 23 => Ok(()),
        _ => Err(anyhow!(
            "the docker CLI {program} (version {}) cannot build with BuildKit: its buildx \
             component is missing. Install it (Ubuntu, Debian 13: apt-get install docker-buildx; \
             Fedora/EL: dnf install docker-buildx-plugin; Debian 12 has none, but its docker.io's \
             /usr/bin/docker has BuildKit), or point CONTAINER_ENGINE (or --engine) at a docker \
             that has it or at podman; cargo xtask doctor says which for this machine",
            if version.is_empty() {
                "unknown"
            } else {
                version
            }
        )),
    }
}

/// Why an installed engine cannot be used, in the engine's (or the check's) own words: a fact
/// that decisions read (`place::where_to_build`, doctor's findings) and keep rather than raise.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Unusable(pub String);

impl Unusable {
    /// The check's error, with its context, as the one line a user reads.
    pub fn of(err: &anyhow::Error) -> Unusable {
        Unusable(format!("{err:#}"))
    }
}

impl std::fmt::Display for Unusable {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

impl std::error::Error for Unusable {}

fn explain_engine_failure(program: &str, stderr: &str) -> String {
    let said = stderr
        .lines()
        .map(str::trim)
        .find(|l| !l.is_empty())
        .unwrap_or("no answer");
    let hint = if stderr.contains("buildx component is missing")
        || stderr.contains("requires buildx")
    {
        "this docker client has no BuildKit (buildx): install its buildx component (cargo xtask doctor says how here), or point --engine at a docker that has it"
    } else if stderr.contains("permission denied") {
        "add yourself to the docker group (or use podman), then log in again"
    } else if stderr.contains("Cannot connect") || stderr.contains("Is the docker daemon running") {
        "start it (systemctl start docker, or run dockerd), check DOCKER_HOST and `docker context ls` (rpm and image can also build with --native)"
    } else {
        "start it, choose another with --engine or CONTAINER_ENGINE (rpm and image can also build with --native)"
    };
    format!("the container engine {program} does not answer ({said}): {hint}")
}

/// Which labelled containers are leftovers of an xtask run that is gone: those made on this
/// host by a process that no longer exists. Others may belong to a build still running.
pub fn leftovers<'a>(
    labelled: &'a [(String, String)],
    this_host: &str,
    alive: impl Fn(u32) -> bool,
) -> Vec<&'a str> {
    labelled
        .iter()
        .filter(|(_, owner)| match owner.rsplit_once(':') {
            Some((host, pid)) => {
                host == this_host && pid.parse::<u32>().map(|p| !alive(p)).unwrap_or(false)
            }
            None => false,
        })
        .map(|(id, _)| id.as_str())
        .collect()
}

impl Engine {
    /// The engine chosen by `--engine`/`CONTAINER_ENGINE`, else the first installed.
    pub fn find(sh: Shell, flag: Option<&str>) -> Option<Engine> {
        let env = std::env::var("CONTAINER_ENGINE").ok();
        let program = choose_program(
            flag,
            env.as_deref(),
            which::which("docker").is_ok(),
            which::which("podman").is_ok(),
        )?;
        Some(Engine {
            kind: kind_of(&program),
            program,
            sh,
        })
    }

    /// The engine `find` gives, answering (and building with BuildKit when `buildkit`), or one
    /// line: what `needs` it (as "to build the image with") and how to get one.
    pub fn ready(sh: Shell, flag: Option<&str>, needs: &str, buildkit: bool) -> Result<Engine> {
        let engine = Engine::find(sh, flag).with_context(|| {
            format!(
                "no container engine {needs}: install docker or podman, or name one with \
                 --engine or CONTAINER_ENGINE (cargo xtask doctor)"
            )
        })?;
        engine.check()?;
        if buildkit {
            engine.check_buildkit()?;
        }
        Ok(engine)
    }

    /// A command of this engine.
    pub fn cmd(&self) -> Cmd {
        let cmd = self.sh.cmd(self.program.clone());
        match self.kind {
            EngineKind::Docker => cmd.env("DOCKER_BUILDKIT", "1"),
            EngineKind::Podman => cmd,
        }
    }

    /// Ok when the engine's server answers; else one line saying how to make it answer.
    pub fn check(&self) -> Result<()> {
        let probe = match self.kind {
            EngineKind::Docker => ["version", "--format", "{{.Server.Version}}"],
            EngineKind::Podman => ["version", "--format", "{{.Version}}"],
        };
        match self.cmd().args(probe).read() {
            Ok(_) => Ok(()),
            Err(e)
                if e.downcast_ref::<crate::infra::exec::NotInstalled>()
                    .is_some() =>
            {
                bail!(
                "the container engine {} is not installed: install docker (with buildx) or podman, \
                 name another with --engine or CONTAINER_ENGINE (rpm and image can also build with --native) \
                 (cargo xtask doctor checks what this machine has)",
                self.program
            )
            }
            Err(e) => {
                let text = match e.downcast_ref::<crate::infra::exec::Failed>() {
                    Some(f) if f.tail.is_empty() => f.status.clone(),
                    Some(f) => f.tail.join("\n"),
                    None => format!("{e:#}"),
                };
                bail!(explain_engine_failure(&self.program, &text))
            }
        }
    }

    /// That this engine builds with BuildKit (the runtime Dockerfile's `RUN --mount` needs it):
    /// docker 23 and later only through the buildx component; earlier ones and podman have it.
    pub fn check_buildkit(&self) -> Result<()> {
        if self.kind == EngineKind::Podman {
            return Ok(());
        }
        let client = self
            .cmd()
            .args(["version", "--format", "{{.Client.Version}}"])
            .read()
            .unwrap_or_default();
        let buildx = self.cmd().args(["buildx", "version"]).read().is_ok();
        buildkit(&self.program, client.trim(), buildx)
    }

    /// The image's id, or None when the engine does not have it.
    pub fn image_id(&self, image: &str) -> Result<Option<String>> {
        Ok(self
            .cmd()
            .args(["image", "inspect", "--format", "{{.Id}}", image])
            .read_optional()?
            .map(|s| s.trim().to_string()))
    }

    /// The image's id, pulling it first when it is not here. `flag` names the flag that chose
    /// the image, for the error.
    pub fn image_id_or_pull(&self, image: &str, flag: &str) -> Result<String> {
        if let Some(id) = self.image_id(image)? {
            return Ok(id);
        }
        self.cmd()
            .args(["pull", image])
            .run(|line| eprintln!("{line}"))
            .map_err(|e| {
                anyhow!(
                    "the image {image} is not here and could not be pulled ({}): build or load it, \
                     or name a local image with {flag}",
                    crate::infra::exec::last_line(&e)
                )
            })?;
        self.image_id(image)?
            .with_context(|| format!("{image} was pulled but the engine does not show it"))
    }

    /// Where the engine's server is: `DOCKER_HOST`, else the current docker context's endpoint
    /// (podman: `CONTAINER_HOST`). None means the default local socket.
    pub fn endpoint(&self) -> Option<String> {
        let env = |k: &str| std::env::var(k).ok().filter(|v| !v.is_empty());
        match self.kind {
            EngineKind::Podman => env("CONTAINER_HOST"),
            EngineKind::Docker => env("DOCKER_HOST").or_else(|| {
                self.cmd()
                    .args([
                        "context",
                        "inspect",
                        "--format",
                        "{{.Endpoints.docker.Host}}",
                    ])
                    .read()
                    .ok()
                    .map(|s| s.trim().to_string())
            }),
        }
    }

    /// A throwaway look inside an image: `run --rm --network none --entrypoint ENTRY IMAGE ARGS`.
    pub fn peek(&self, image: &str, entrypoint: &str, args: &[&str]) -> Cmd {
        self.cmd()
            .args([
                "run",
                "--rm",
                "--network",
                "none",
                "--entrypoint",
                entrypoint,
                image,
            ])
            .args(args.iter().copied())
    }

    /// Removes a container, whatever its state, with its anonymous volumes (an image's VOLUMEs);
    /// quiet, and fine if it is gone already. When the removal fails because another process is
    /// removing it (two runs cleaning the same leftover), waits until it is gone (up to 30 s),
    /// so that "removed" means that no listing shows it any more.
    pub fn remove_container(&self, name: &str) {
        if self.remove_cmd(name).read().is_ok() {
            return;
        }
        let deadline = std::time::Instant::now() + std::time::Duration::from_secs(30);
        while std::time::Instant::now() < deadline && self.container_exists(name) {
            std::thread::sleep(std::time::Duration::from_millis(200));
        }
    }

    /// Whether the engine still lists a container (in any state, "removing" included).
    fn container_exists(&self, name: &str) -> bool {
        self.cmd()
            .args(["container", "inspect", "--format", "{{.Id}}", name])
            .cleanup_step()
            .read()
            .is_ok()
    }

    /// The `docker rm -f -v` command for a container, to run on interrupt.
    pub fn remove_cmd(&self, name: &str) -> Cmd {
        self.cmd().args(["rm", "-f", "-v", name]).cleanup_step()
    }

    /// Removes build containers left by xtask runs that were killed.
    pub fn remove_leftovers(&self) -> Result<()> {
        let ids = self
            .cmd()
            .args(["ps", "-aq", "--filter", &format!("label={BUILD_LABEL}")])
            .read()
            .context("listing build containers")?;
        let ids: Vec<&str> = ids.split_whitespace().collect();
        if ids.is_empty() {
            return Ok(());
        }
        let format = format!("{{{{.Id}}}} {{{{index .Config.Labels \"{BUILD_LABEL}\"}}}}");
        let owners = self
            .cmd()
            .args(["inspect", "--format", &format])
            .args(ids.iter().copied())
            .read_optional()?
            .unwrap_or_default();
        let labelled: Vec<(String, String)> = owners
            .lines()
            .filter_map(|l| l.split_once(' '))
            .map(|(id, owner)| (id.to_string(), owner.to_string()))
            .collect();
        for id in leftovers(&labelled, &hostname(), crate::infra::exec::alive) {
            eprintln!("removing the build container {id}, left by an xtask run that was killed");
            self.remove_container(id);
        }
        Ok(())
    }
}

/// `<host>:<pid>`, the value of `BUILD_LABEL` for this run.
pub fn owner_label() -> String {
    format!("{}:{}", hostname(), std::process::id())
}

pub fn hostname() -> String {
    std::fs::read_to_string("/proc/sys/kernel/hostname")
        .map(|s| s.trim().to_string())
        .unwrap_or_else(|_| "localhost".into())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn buildkit_by_version_and_buildx() {
        let cases = [
            ("20.10.24+dfsg1", false, true),
            ("22.06.0", false, true),
            ("28.2.2", false, false),
            ("23.0.0", false, false),
            ("28.2.2", true, true),
            ("", false, false),
            ("", true, true),
        ];
        for (version, buildx, ok) in cases {
            let got = buildkit("/usr/local/bin/docker", version, buildx);
            assert_eq!(got.is_ok(), ok, "{version} {buildx}: {got:?}");
            if let Err(why) = got {
                let why = why.to_string();
                assert!(
                    why.contains("buildx component is missing") && why.contains("CONTAINER_ENGINE"),
                    "{why}"
                );
            }
        }
    }

    #[test]
    fn engine_program_choice() {
        let cases = [
            (
                (Some("/usr/bin/docker"), Some("podman"), true, true),
                Some("/usr/bin/docker"),
            ),
            ((None, Some("podman"), true, true), Some("podman")),
            ((None, Some(""), true, true), Some("docker")),
            ((None, None, false, true), Some("podman")),
            ((None, None, false, false), None),
        ];
        for ((flag, env, docker, podman), want) in cases {
            assert_eq!(
                choose_program(flag, env, docker, podman).as_deref(),
                want,
                "{flag:?} {env:?}"
            );
        }
        assert_eq!(kind_of("/usr/bin/podman"), EngineKind::Podman);
        assert_eq!(kind_of("/usr/local/bin/docker"), EngineKind::Docker);
        assert_eq!(kind_of("nerdctl"), EngineKind::Docker);
    }

    #[test]
    fn engine_failures_say_what_to_do() {
        let cases = [
            ("Cannot connect to the Docker daemon at unix:///var/run/docker.sock. Is the docker daemon running?", "systemctl start docker"),
            ("ERROR: BuildKit is enabled but the buildx component is missing or broken.", "install its buildx component"),
            ("permission denied while trying to connect to the Docker daemon socket", "docker group"),
            ("something else", "--engine"),
        ];
        for (stderr, want) in cases {
            let line = explain_engine_failure("docker", stderr);
            assert!(line.contains(want) && !line.contains('\n'), "{line}");
        }
    }

    #[test]
    fn only_dead_runs_of_this_host_leave_leftovers() {
        let labelled = vec![
            ("a".to_string(), "here:100".to_string()),
            ("b".to_string(), "here:200".to_string()),
            ("c".to_string(), "elsewhere:100".to_string()),
            ("d".to_string(), "garbage".to_string()),
        ];
        let got = leftovers(&labelled, "here", |pid| pid == 200);
        assert_eq!(got, ["a"]);
    }
}
