//! The smoke stage: proof that an image boots, is what its label says, and stops cleanly.
//!
//! Starts the image in a labelled container (removed afterwards with its volumes, on failure and
//! on Ctrl-C too), waits for its health check, asks the running Asterisk `core show version`,
//! and fails unless the answer carries the version the image's org.opencontainers.image.version
//! label names (no manifest needed), the process runs as a non-root user, and it stops with
//! status 0 on its stop signal.

use std::time::{Duration, Instant};

use anyhow::{anyhow, bail, Context, Result};

use camino::Utf8Path;

use super::call::{self, CallFlags};
use super::checks;
use crate::infra::engine::{self, Engine, EngineKind};
use crate::infra::exec::Shell;
use crate::infra::interrupt;

use crate::plan::{flag, place};
use bpaf::{construct, long, Parser};
use camino::Utf8PathBuf;

pub const DEFAULT_TAG: &str = "asterisk:dev";
const VERSION_LABEL: &str = "org.opencontainers.image.version";
/// How long `stop` waits for the stop signal to work before it kills.
const STOP_GRACE_SECS: u64 = 30;

/// Where a container stands while the smoke test waits for it.
#[derive(Debug, PartialEq, Eq)]
enum Waiting {
    Healthy,
    Starting,
    Exited(i64),
    Unhealthy,
    NoHealthCheck,
}

/// Reads `{{.State.Status}} {{.State.ExitCode}} {{health status or "none"}}`.
fn read_state(line: &str) -> Waiting {
    let mut words = line.split_whitespace();
    let status = words.next().unwrap_or("");
    let code = words.next().and_then(|c| c.parse().ok()).unwrap_or(-1);
    let health = words.next().unwrap_or("none");
    match (status, health) {
        ("exited" | "dead", _) => Waiting::Exited(code),
        (_, "healthy") => Waiting::Healthy,
        (_, "unhealthy") => Waiting::Unhealthy,
        (_, "none") => Waiting::NoHealthCheck,
        _ => Waiting::Starting,
    }
}

/// The real uid in a `/proc/<pid>/status`.
fn uid_of_status(status: &str) -> Option<u32> {
    status
        .lines()
        .find_map(|l| l.strip_prefix("Uid:"))
        .and_then(|rest| rest.split_whitespace().next())
        .and_then(|uid| uid.parse().ok())
}

/// Removes the container when the smoke test ends, however it ends.
struct Container<'a> {
    engine: &'a Engine,
    name: String,
}

impl Drop for Container<'_> {
    fn drop(&mut self) {
        self.engine.remove_container(&self.name);
    }
}

/// The label that says an image was built with `--dev`.
const DEV_LABEL: &str = "org.asterisk.build.dev";

/// `--unit-tests`: the category (empty for all) and where the JUnit XML goes.
pub struct UnitTests<'a> {
    pub category: &'a str,
    pub results: &'a Utf8Path,
}

fn label(engine: &Engine, tag: &str, name: &str) -> Result<String> {
    let value = engine
        .cmd()
        .args([
            "image",
            "inspect",
            "--format",
            &format!("{{{{index .Config.Labels \"{name}\"}}}}"),
            tag,
        ])
        .read()?;
    Ok(match value.trim() {
        "<no value>" => String::new(),
        v => v.to_string(),
    })
}

/// Boots `tag`, waits up to `timeout_secs` for its health check, checks its version, user,
/// modules (and unit tests when asked) and stop; the container is removed however it ends.
pub fn check(
    engine: &Engine,
    tag: &str,
    timeout_secs: u64,
    unit_tests: Option<UnitTests>,
    call_flags: &CallFlags,
) -> Result<()> {
    let Some(image_id) = engine.image_id(tag)? else {
        bail!(
            "there is no image {tag}: build it with cargo xtask image (or name another with --tag)"
        );
    };
    let want = label(engine, tag, VERSION_LABEL)?;
    if want.is_empty() {
        bail!("the image {tag} has no {VERSION_LABEL} label: build it with cargo xtask image");
    }
    if unit_tests.is_some() && label(engine, tag, DEV_LABEL)? != "yes" {
        bail!(
            "the image {tag} was not built with --dev, so it has no test framework and no unit \
             tests: build it with cargo xtask image --dev{}",
            if tag == DEFAULT_TAG {
                " (asterisk:dev is the tag every image gets, dev build or not)"
            } else {
                ""
            }
        );
    }
    let mounts = call::mounts(&call_flags.config)?;
    eprintln!("smoke: {tag} ({image_id}), expecting Asterisk {want}");
    for described in &mounts.described {
        eprintln!("  configuration: {described}");
    }
    let call = call::prepare(call_flags.mode)?;
    engine.remove_leftovers()?;

    let container = Container {
        engine,
        name: format!("asterisk-xtask-smoke-{}", std::process::id()),
    };
    let started = Instant::now();
    engine
        .cmd()
        .args(["run", "-d", "--init", "--name", &container.name])
        .args([
            "--label",
            &format!("{}={}", engine::BUILD_LABEL, engine::owner_label()),
        ])
        .args(call.as_ref().map(|c| c.run_args()).unwrap_or_default())
        .args(mounts.args.iter().cloned())
        .args(
            mounts
                .user
                .iter()
                .flat_map(|u| ["--user".to_string(), u.clone()]),
        )
        .arg(tag)
        .run(|line| eprintln!("  container {line}"))
        .with_context(|| format!("starting {tag}"))?;

    wait_healthy(
        engine,
        &container.name,
        tag,
        timeout_secs,
        started,
        &format!("the smoke test of {tag} failed; the container was removed"),
        Asked::Engine,
    )?;
    eprintln!("  healthy after {:.1}s", started.elapsed().as_secs_f64());

    let exec = |args: &[&str]| {
        engine
            .cmd()
            .args(["exec", &container.name])
            .args(args.iter().copied())
            .read()
    };
    let answer = checks::asterisk(engine, &container.name, "core show version")?;
    let answer = answer.trim();
    eprintln!("  core show version: {answer}");
    if !answer.contains(&format!("Asterisk {want}")) {
        bail!("the running Asterisk says '{answer}', but the image's {VERSION_LABEL} label says {want}");
    }
    eprintln!("  matches {VERSION_LABEL}={want}");
    let uid = exec(&["cat", "/proc/1/status"])
        .ok()
        .as_deref()
        .and_then(uid_of_status)
        .context("reading the container's user")?;
    let user = exec(&["id", "-un"]).unwrap_or_default();
    if uid == 0 {
        bail!("the container runs as root: the image must set a non-root USER");
    }
    match user.trim() {
        "" => eprintln!("  runs as uid {uid}, not root"),
        name => eprintln!("  runs as uid {uid} ({name}), not root"),
    }
    checks::modules(engine, &container.name, tag)?;
    if let Some(u) = &unit_tests {
        checks::unit_tests(engine, &container.name, tag, u.category, u.results)?;
    }
    if let Some(c) = &call {
        c.place(engine, &container.name, call_flags.mode)
            .with_context(|| {
                format!("the smoke test of {tag} failed; the container was removed")
            })?;
    }

    // `docker stop` sends the image's STOPSIGNAL, then SIGKILL after the grace period: a clean
    // stop ends before that, with status 0.
    let stopping = Instant::now();
    engine
        .cmd()
        .args(["stop", "-t", &STOP_GRACE_SECS.to_string(), &container.name])
        .read()
        .context("stopping the container")?;
    let code = engine
        .cmd()
        .args([
            "inspect",
            "--format",
            "{{.State.ExitCode}}",
            &container.name,
        ])
        .read()?;
    let code = code.trim();
    if code != "0" {
        return Err(anyhow!(crate::infra::exec::Failed {
            program: format!("{tag}'s container"),
            code: None,
            status: format!(
                "did not stop cleanly: status {code} after {:.1}s (SIGKILL comes after {STOP_GRACE_SECS}s)",
                stopping.elapsed().as_secs_f64()
            ),
            tail: last_logs(engine, &container.name),
        })
        .context(format!("the smoke test of {tag} failed; the container was removed")));
    }
    eprintln!(
        "  stops cleanly on its stop signal ({:.1}s, status 0)",
        stopping.elapsed().as_secs_f64()
    );
    eprintln!(
        "smoke: {tag} passed in {:.1}s",
        started.elapsed().as_secs_f64()
    );
    Ok(())
}

/// Waits until the container `name` (of image `tag`, started at `started`) is healthy: its log's
/// telling line and last lines when it exits, turns unhealthy or stays starting past the timeout,
/// with `failed` as the error's context.
pub fn wait_healthy(
    engine: &Engine,
    name: &str,
    tag: &str,
    timeout_secs: u64,
    started: Instant,
    failed: &str,
    asked: Asked,
) -> Result<()> {
    let timeout = Duration::from_secs(timeout_secs);
    let own_test = match asked {
        Asked::Engine => None,
        Asked::Here => health_test(engine, name),
    };
    loop {
        interrupt::check()?;
        if engine.kind == EngineKind::Podman && own_test.is_none() {
            // podman runs health checks from systemd timers, which a host without systemd
            // (CI containers) lacks: run the check here. Its failures count as usual.
            let _ = engine.cmd().args(["healthcheck", "run", name]).read();
        }
        if let Some(test) = &own_test {
            let passed = engine
                .cmd()
                .args(["exec", name])
                .args(test.iter().map(String::as_str))
                .read()
                .is_ok();
            if passed {
                return Ok(());
            }
        }
        let state = engine
            .cmd()
            .args([
                "inspect",
                "--format",
                "{{.State.Status}} {{.State.ExitCode}} {{if .State.Health}}{{.State.Health.Status}}{{else}}none{{end}}",
                name,
            ])
            .read()?;
        let problem = match read_state(&state) {
            Waiting::Healthy => return Ok(()),
            Waiting::Starting if started.elapsed() < timeout => {
                let poll = match own_test {
                    Some(_) => 200,
                    None => 500,
                };
                std::thread::sleep(Duration::from_millis(poll));
                continue;
            }
            Waiting::Starting => format!(
                "is not healthy after {timeout_secs}s (--timeout sets how long smoke waits)"
            ),
            Waiting::Exited(code) => format!("exited with status {code} before it became healthy"),
            Waiting::Unhealthy => "became unhealthy: its health check fails".to_string(),
            Waiting::NoHealthCheck => "has no HEALTHCHECK to wait for".to_string(),
        };
        let log = logs(engine, name);
        let problem = match telling_line(&log) {
            Some(line) => format!("{problem}; its log says: {line}"),
            None => problem,
        };
        let tail = log[log.len().saturating_sub(20)..].to_vec();
        return Err(anyhow!(crate::infra::exec::Failed {
            program: format!("{tag}'s container"),
            code: None,
            status: problem,
            tail,
        })
        .context(failed.to_string()));
    }
}

/// Who runs the image's health check while `wait_healthy` waits.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Asked {
    /// The engine, on the image's interval: smoke proves the HEALTHCHECK as the engine runs it.
    Engine,
    /// The xtask too, as soon as the container runs: `run` attaches the moment Asterisk
    /// answers, not at the engine's first interval (5 s).
    Here,
}

/// The image's health test as a command to exec in the container (`CMD-SHELL x` is
/// `/bin/sh -c x`), or None when it has none the xtask can run.
fn health_test(engine: &Engine, name: &str) -> Option<Vec<String>> {
    let json = engine
        .cmd()
        .args([
            "inspect",
            "--format",
            "{{json .Config.Healthcheck.Test}}",
            name,
        ])
        .read()
        .ok()?;
    health_command(&json)
}

/// `["CMD-SHELL", "x"]` -> `/bin/sh -c x`; `["CMD", "a", "b"]` -> `a b`; anything else None.
pub fn health_command(json: &str) -> Option<Vec<String>> {
    let words: Vec<String> = crate::infra::json::parse(json.trim())
        .ok()?
        .as_array()?
        .iter()
        .map(|w| w.as_str().map(str::to_string))
        .collect::<Option<_>>()?;
    match words.split_first() {
        Some((kind, rest)) if kind == "CMD-SHELL" && rest.len() == 1 => {
            Some(vec!["/bin/sh".into(), "-c".into(), rest[0].clone()])
        }
        Some((kind, rest)) if kind == "CMD" && !rest.is_empty() => Some(rest.to_vec()),
        _ => None,
    }
}

/// The line of a container's log that says why it failed: the entry point's refusal, or the
/// configuration line Asterisk rejected (config.c's warning names the file and line), without
/// the terminal's colours.
fn telling_line(log: &[String]) -> Option<String> {
    log.iter().map(|l| checks::strip_ansi(l.trim())).find(|l| {
        l.starts_with("asterisk-start: ")
            || (l.contains(" config.c:") && (l.contains("WARNING") || l.contains("ERROR")))
    })
}

fn last_logs(engine: &Engine, name: &str) -> Vec<String> {
    let log = logs(engine, name);
    log[log.len().saturating_sub(20)..].to_vec()
}

/// The container's whole log (the line that tells may lie far before its end).
fn logs(engine: &Engine, name: &str) -> Vec<String> {
    let logs = engine
        .cmd()
        .args(["logs", name])
        .env("DOCKER_CLI_HINTS", "false");
    // docker logs writes the container's stderr to its own stderr: merge both.
    let mut lines = Vec::new();
    let _ = logs.run(|line| lines.push(line.to_string()));
    lines
}

// `smoke`'s flags.

#[derive(Debug, Clone, Default)]
pub struct SmokeFlags {
    pub tag: Option<String>,
    pub engine: Option<String>,
    pub timeout_secs: u64,
    /// `--unit-tests [CATEGORY]`: Some("") for all.
    pub unit_tests: Option<String>,
    pub out: Option<Utf8PathBuf>,
    pub call: CallFlags,
    /// `--verbose`.
    pub sh: Shell,
}

/// `--unit-tests` may come without a value (all tests), so bpaf would take an empty one for
/// none: an empty value is refused, as for every other flag (the line to say, before bpaf).
pub fn misread_words(words: &[&str]) -> Option<&'static str> {
    let empty = words.iter().enumerate().any(|(i, w)| {
        *w == "--unit-tests=" || (*w == "--unit-tests" && words.get(i + 1) == Some(&""))
    });
    empty.then_some(
        "--unit-tests needs a value when one is given, and was given an empty one (an unset \
         variable?): leave the value out to run every test",
    )
}

pub fn flags() -> impl Parser<SmokeFlags> {
    let tag = flag::tag("The image to check (default: asterisk:dev)").optional();
    let engine = place::engine_flag();
    let timeout_secs = timeout_flag();
    // `--unit-tests` with a category, or alone (bpaf's way to an optional value).
    const UNIT_TESTS: &str = "unit-tests";
    let with_category = long(UNIT_TESTS)
        .help("On a --dev image: run Asterisk's unit tests (`test execute`) of CATEGORY, or all, in the booted container; JUnit XML into the out dir")
        .argument::<String>("CATEGORY")
        .parse(flag::non_empty(UNIT_TESTS));
    let all = long(UNIT_TESTS).req_flag(String::new()).hide();
    let unit_tests = construct!([with_category, all]).optional();
    let out = flag::out(
        "Where --unit-tests writes unit-tests.xml (default: <target>/rpm, recorded in its manifest)",
    );
    let call = call::flags();
    let sh = flag::shell();
    construct!(SmokeFlags {
        tag,
        engine,
        timeout_secs,
        unit_tests,
        out,
        call,
        sh,
    })
}

/// `--timeout SECS`: how long smoke and run wait for the container to become healthy.
pub fn timeout_flag() -> impl Parser<u64> {
    long("timeout")
        .help("How long the container may take to become healthy (default: 120)")
        .argument::<String>("SECS")
        .parse(|v| {
            v.parse::<u64>().ok().filter(|n| *n > 0).ok_or_else(|| {
                flag::Usage(format!(
                    "--timeout takes a whole number of seconds above 0, not '{v}'"
                ))
            })
        })
        .fallback(120)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn health_tests_as_commands() {
        let cases: [(&str, Option<&[&str]>); 6] = [
            (
                r#"["CMD-SHELL","asterisk -rx 'core show uptime'"]"#,
                Some(&["/bin/sh", "-c", "asterisk -rx 'core show uptime'"]),
            ),
            (
                r#"["CMD","/usr/bin/true","x"]"#,
                Some(&["/usr/bin/true", "x"]),
            ),
            (r#"["NONE"]"#, None),
            ("null", None),
            (r#"["CMD"]"#, None),
            ("", None),
        ];
        for (json, want) in cases {
            let want = want.map(|w| w.iter().map(|s| s.to_string()).collect::<Vec<_>>());
            assert_eq!(health_command(json), want, "{json}");
        }
    }

    #[test]
    fn container_states() {
        let cases = [
            ("running 0 healthy", Waiting::Healthy),
            ("running 0 starting", Waiting::Starting),
            ("running 0 unhealthy", Waiting::Unhealthy),
            ("running 0 none", Waiting::NoHealthCheck),
            ("exited 3 starting", Waiting::Exited(3)),
            ("dead 137 none", Waiting::Exited(137)),
            ("created 0 starting", Waiting::Starting),
        ];
        for (line, want) in cases {
            assert_eq!(read_state(line), want, "{line}");
        }
    }

    #[test]
    fn the_line_that_tells() {
        let log = |lines: &[&str]| lines.iter().map(|l| l.to_string()).collect::<Vec<_>>();
        let rejected = log(&[
            "Asterisk Ready.",
            "[2026-12-02 01:00:00] WARNING[1] config.c: parse error: no closing ']', line 12 of /etc/asterisk/pjsip.conf",
            "[2026-12-02 01:00:00] ERROR[1] res_pjsip/config_transport.c: Unable to load pjsip.conf",
        ]);
        assert_eq!(
            telling_line(&rejected).as_deref(),
            Some("[2026-12-02 01:00:00] WARNING[1] config.c: parse error: no closing ']', line 12 of /etc/asterisk/pjsip.conf")
        );
        // Real Asterisk's console: file:line and function, in colour.
        let real = log(&[
            "[2026-12-02 01:30:43] \u{1b}[1;33mWARNING\u{1b}[0m[1]: \u{1b}[1;37mconfig.c\u{1b}[0m:\u{1b}[1;37m2074\u{1b}[0m \u{1b}[1;37mprocess_text_line\u{1b}[0m: parse error: no closing ']', line 8 of /etc/asterisk/pjsip.conf",
        ]);
        assert_eq!(
            telling_line(&real).as_deref(),
            Some("[2026-12-02 01:30:43] WARNING[1]: config.c:2074 process_text_line: parse error: no closing ']', line 8 of /etc/asterisk/pjsip.conf")
        );
        let refused = log(&[
            "asterisk-start: ASTERISK_RTP_PORTS=2-1 is upside down: FIRST must be below LAST",
        ]);
        assert!(telling_line(&refused).unwrap().contains("upside down"));
        assert_eq!(telling_line(&log(&["Asterisk Ready."])), None);
    }

    #[test]
    fn uids_from_proc() {
        let status = "Name:\tasterisk\nUmask:\t0022\nUid:\t999\t999\t999\t999\nGid:\t999\n";
        assert_eq!(uid_of_status(status), Some(999));
        assert_eq!(uid_of_status("Name: x\n"), None);
    }
}
