//! `cargo xtask bench`: the contributor's loop, measured side by side in one run, on a scratch
//! copy of the tree (the user's is never touched): a clean build (`rpm --force`), a no-op (`rpm`
//! again: up to date), the first edit after it (the kept build directory made: its own step), a
//! patch loop (another one-line edit of the same `.c` file on the warm directory, `rpm`, the
//! lines taken back) with where its time goes (rpm's phases), and the source archive against
//! `git archive --format=tar.gz HEAD`. Each a few times, interleaved; medians and ratios in a
//! table, `bench.json` and a bar chart (`bench.svg`).
//!
//! The arithmetic and the chart are pure functions with table tests.

pub mod scratch;

use std::time::Instant;

use crate::infra::json::{json, Value};
use anyhow::{bail, Context, Result};
use camino::{Utf8Path, Utf8PathBuf};

use crate::infra::exec::Shell;

use crate::infra::engine::Engine;
use crate::plan::place;
use crate::plan::{bundled, flag};
use bpaf::{construct, long, Parser};

/// One measured step: its name, what it is compared with, and its times in seconds.
#[derive(Debug, Clone, PartialEq)]
pub struct Step {
    pub name: &'static str,
    pub baseline: &'static str,
    pub seconds: Vec<f64>,
}

const CLEAN: &str = "clean build (rpm --force)";
const NOOP: &str = "no-op (rpm, unchanged tree)";
const FIRST_PATCH: &str = "first edit after a clean build";
const PATCH: &str = "patch loop (one line in a .c file)";
/// The repository of the image `bench --running` makes (tagged with its pid, removed at the end).
const BENCH_IMAGE: &str = "asterisk-xtask-bench";
const RUNNING: &str = "one-line patch to a running container answering SIP OPTIONS";
const RUN_UNCHANGED: &str = "run, nothing changed, to Asterisk's console";
const ARCHIVE: &str = "source archive (rpm's packing)";
const GIT_ARCHIVE: &str = "git archive --format=tar.gz HEAD";

/// The median of some times (0 for none).
fn median(times: &[f64]) -> f64 {
    let mut v = times.to_vec();
    v.sort_by(|a, b| a.partial_cmp(b).unwrap_or(std::cmp::Ordering::Equal));
    match v.len() {
        0 => 0.0,
        n if n % 2 == 1 => v[n / 2],
        n => (v[n / 2 - 1] + v[n / 2]) / 2.0,
    }
}

/// Each step's median and its ratio to its baseline's median (None without one).
pub fn ratios(steps: &[Step]) -> Vec<(&'static str, f64, Option<f64>, &'static str)> {
    steps
        .iter()
        .map(|s| {
            let base = steps
                .iter()
                .find(|b| b.name == s.baseline && b.name != s.name)
                .map(|b| median(&b.seconds))
                .filter(|m| *m > 0.0);
            let m = median(&s.seconds);
            (s.name, m, base.map(|b| m / b), s.baseline)
        })
        .collect()
}

/// rpm's phases and their seconds, as its `time:` line names them.
pub type Phases = Vec<(String, f64)>;

/// rpm's `time:` line (`time: archive 0.1s, %build 1m02s, ...; total 1m10s`) as (phase,
/// seconds), the total left out.
pub fn phases(line: &str) -> Phases {
    let Some(rest) = line.strip_prefix("time: ") else {
        return Vec::new();
    };
    let rest = rest.split(';').next().unwrap_or_default();
    rest.split(", ")
        .filter_map(|part| {
            let (name, took) = part.trim().rsplit_once(' ')?;
            Some((name.to_string(), seconds_of(took)?))
        })
        .collect()
}

/// `1m02s`, `0.4s`, `3s` as seconds.
fn seconds_of(took: &str) -> Option<f64> {
    let took = took.strip_suffix('s')?;
    match took.split_once('m') {
        Some((m, s)) => Some(m.parse::<f64>().ok()? * 60.0 + s.parse::<f64>().ok()?),
        None => took.parse().ok(),
    }
}

/// Where the patch loop's time goes: each phase's median over the rounds, largest first.
fn breakdown(rounds: &[Phases]) -> Phases {
    let mut names: Vec<String> = Vec::new();
    for r in rounds {
        for (n, _) in r {
            if !names.contains(n) {
                names.push(n.clone());
            }
        }
    }
    let mut out: Vec<(String, f64)> = names
        .into_iter()
        .map(|n| {
            let times: Vec<f64> = rounds
                .iter()
                .map(|r| r.iter().find(|(m, _)| *m == n).map_or(0.0, |p| p.1))
                .collect();
            (n, median(&times))
        })
        .collect();
    out.sort_by(|a, b| b.1.partial_cmp(&a.1).unwrap_or(std::cmp::Ordering::Equal));
    out
}

/// `run`'s `  healthy after 2.1s` as seconds.
pub fn healthy_after(line: &str) -> Option<f64> {
    seconds_of(line.trim().strip_prefix("healthy after ")?)
}

/// The breakdown as lines under the table, headed `title`.
fn breakdown_table(title: &str, parts: &[(String, f64)]) -> String {
    let total: f64 = parts.iter().map(|p| p.1).sum();
    let mut out = format!("{title}, where the time goes (medians):\n");
    for (name, took) in parts {
        let share = if total > 0.0 {
            took / total * 100.0
        } else {
            0.0
        };
        out.push_str(&format!(
            "  {name:<20} {took:>8.2}s {share:>5.1}%
"
        ));
    }
    out
}

/// The table printed at the end.
pub fn table(steps: &[Step]) -> String {
    let mut out = format!("{:<40} {:>9} {:>8}  {}\n", "step", "median", "ratio", "to");
    for (name, m, ratio, base) in ratios(steps) {
        let ratio = ratio.map_or("-".to_string(), |r| format!("{r:.3}"));
        let to = if ratio == "-" { "" } else { base };
        out.push_str(&format!("{name:<40} {m:>8.2}s {ratio:>8}  {to}\n"));
    }
    out
}

/// A small horizontal bar chart of the medians, as SVG.
pub fn svg(steps: &[Step]) -> String {
    let rows = ratios(steps);
    let longest = rows.iter().map(|r| r.1).fold(0.0_f64, f64::max).max(1e-9);
    let (label_w, bar_w, row_h) = (300.0, 420.0, 28.0);
    let height = 40.0 + row_h * rows.len() as f64;
    let mut out = format!(
        "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"{}\" height=\"{height}\" font-family=\"sans-serif\" font-size=\"13\">\n\
         <text x=\"10\" y=\"22\" font-weight=\"bold\">cargo xtask bench: medians (seconds)</text>\n",
        label_w + bar_w + 90.0
    );
    for (i, (name, m, _, _)) in rows.iter().enumerate() {
        let y = 36.0 + row_h * i as f64;
        let w = (m / longest * bar_w).max(1.0);
        out.push_str(&format!(
            "<text x=\"10\" y=\"{:.0}\">{}</text>\n<rect x=\"{label_w}\" y=\"{y:.0}\" width=\"{w:.1}\" height=\"{:.0}\" fill=\"#4a7ab7\"/>\n<text x=\"{:.1}\" y=\"{:.0}\">{m:.2}</text>\n",
            y + 15.0,
            name.replace('&', "&amp;").replace('<', "&lt;"),
            row_h - 8.0,
            label_w + w + 6.0,
            y + 15.0
        ));
    }
    out.push_str("</svg>\n");
    out
}

/// bench.json: every time, the medians and the ratios.
fn report_json(steps: &[Step], tree: &Utf8Path, runs: usize) -> Value {
    json!({
        "tree": tree.as_str(),
        "runs": runs,
        "steps": ratios(steps).iter().zip(steps).map(|((name, m, ratio, base), s)| json!({
            "name": name,
            "seconds": s.seconds,
            "median": m,
            "ratio": ratio,
            "to": if ratio.is_some() { Some(*base) } else { None },
        })).collect::<Vec<_>>(),
    })
}

/// The first `.c` file of `main/` (sorted), where the patch loop adds its line.
fn patch_target(tree: &Utf8Path) -> Result<Utf8PathBuf> {
    let main = tree.join("main");
    let mut files: Vec<Utf8PathBuf> = main
        .read_dir_utf8()
        .with_context(|| format!("reading {main}"))?
        .filter_map(|e| e.ok())
        .map(|e| e.path().to_owned())
        .filter(|p| p.extension() == Some("c"))
        .collect();
    files.sort();
    files
        .into_iter()
        .next()
        .with_context(|| format!("{main} holds no .c file to patch"))
}

/// What `bench` runs: the xtask itself, on a scratch copy of the tree.
pub struct Bench<'a> {
    pub sh: Shell,
    pub xtask: Utf8PathBuf,
    /// The scratch copy.
    pub tree: Utf8PathBuf,
    /// Where the scratch builds keep their target directory and outputs.
    pub work: &'a Utf8Path,
    /// `rpm`'s flags for every build (--native, --container, ...).
    pub rpm_args: Vec<String>,
    /// `--running`: `run --detach`'s image flags (--runtime-base ...), for the step from a patch
    /// to a running container that answers SIP; None leaves the step out.
    pub running: Option<Vec<String>>,
    /// The engine `--running`'s container runs on (`check_engine`'s).
    pub engine: Option<Engine>,
}

/// The container `run --detach` names in its output.
fn detached_name(line: &str) -> Option<&str> {
    line.strip_prefix("run: ")?
        .strip_suffix(" is running, detached")
}

/// Whether something answers a SIP OPTIONS on `addr` (any SIP status line) within a second.
fn answers_sip(addr: &str) -> bool {
    let Ok(socket) = std::net::UdpSocket::bind("127.0.0.1:0") else {
        return false;
    };
    let _ = socket.set_read_timeout(Some(std::time::Duration::from_secs(1)));
    let Ok(local) = socket.local_addr() else {
        return false;
    };
    let request = format!(
        "OPTIONS sip:bench@127.0.0.1 SIP/2.0\r\nVia: SIP/2.0/UDP {local};branch=z9hG4bK-bench\r\n\
         From: <sip:bench@127.0.0.1>;tag=bench\r\nTo: <sip:bench@127.0.0.1>\r\n\
         Call-ID: xtask-bench-{}\r\nCSeq: 1 OPTIONS\r\nMax-Forwards: 70\r\nContent-Length: 0\r\n\r\n",
        std::process::id()
    );
    if socket.send_to(request.as_bytes(), addr).is_err() {
        return false;
    }
    let mut buf = [0u8; 2048];
    matches!(socket.recv_from(&mut buf), Ok((n, _)) if buf[..n].starts_with(b"SIP/2.0 "))
}

impl Bench<'_> {
    /// Runs `rpm` with `more`: how long it took, whether it said it was up to date, and its
    /// phases.
    fn rpm(&self, more: &[&str]) -> Result<(f64, bool, Phases)> {
        let started = Instant::now();
        let mut up_to_date = false;
        let mut timed = Vec::new();
        self.sh
            .cmd(self.xtask.as_str())
            .arg("rpm")
            .args(["-q", "--source", self.tree.as_str()])
            .args(["--out", self.work.join("out").as_str()])
            .args(self.rpm_args.iter().map(String::as_str))
            .args(more.iter().copied())
            .env("CARGO_TARGET_DIR", self.work.join("target").as_str())
            .run(|line| {
                up_to_date |= line.starts_with("up to date: ");
                if line.starts_with("time: ") {
                    timed = phases(line);
                }
                // What rpm said it did, in its own words, round by round.
                if line.starts_with("up to date: ") || line.starts_with("incremental: ") {
                    eprintln!("bench:   {line}");
                }
            })
            .with_context(|| format!("cargo xtask rpm {} on {}", more.join(" "), self.tree))?;
        Ok((started.elapsed().as_secs_f64(), up_to_date, timed))
    }

    /// The whole measurement: `runs` rounds of clean, no-op, first edit, patch, archive, git
    /// archive; and the phases of the patch loop and (with `--running`) of the patch to a
    /// running container, round by round.
    pub fn run(&self, runs: usize) -> Result<Measured> {
        let mut steps = vec![
            Step {
                name: CLEAN,
                baseline: CLEAN,
                seconds: vec![],
            },
            Step {
                name: NOOP,
                baseline: CLEAN,
                seconds: vec![],
            },
            Step {
                name: FIRST_PATCH,
                baseline: CLEAN,
                seconds: vec![],
            },
            Step {
                name: PATCH,
                baseline: CLEAN,
                seconds: vec![],
            },
            Step {
                name: RUNNING,
                baseline: CLEAN,
                seconds: vec![],
            },
            Step {
                name: RUN_UNCHANGED,
                baseline: CLEAN,
                seconds: vec![],
            },
            Step {
                name: ARCHIVE,
                baseline: GIT_ARCHIVE,
                seconds: vec![],
            },
            Step {
                name: GIT_ARCHIVE,
                baseline: GIT_ARCHIVE,
                seconds: vec![],
            },
        ];
        let target = patch_target(&self.tree)?;
        let original = std::fs::read(&target).with_context(|| format!("reading {target}"))?;
        let mut rounds = Vec::new();
        let mut running_rounds = Vec::new();
        let mut container: Option<String> = None;
        for round in 1..=runs {
            eprintln!("bench: round {round} of {runs}");
            steps[0].seconds.push(self.rpm(&["--force"])?.0);
            // The no-op must be up to date and the patch built, or this measures something else.
            let (noop, up_to_date, _) = self.rpm(&[])?;
            if !up_to_date {
                bail!("the no-op round {round} was not up to date: the bench would time a build");
            }
            steps[1].seconds.push(noop);
            // The first edit after the clean build (whose directory it builds on, the version
            // now a dirty one's: its own step); the patch loop is the next edit.
            let mut patched = original.clone();
            let mut timed = Vec::new();
            for (i, step) in [3usize, 4].iter().enumerate() {
                patched
                    .extend_from_slice(format!("/* bench round {round}, edit {i} */\n").as_bytes());
                std::fs::write(&target, &patched).with_context(|| format!("patching {target}"))?;
                let took = self.rpm(&[]);
                if took.is_err() || *step == 4 {
                    std::fs::write(&target, &original)
                        .with_context(|| format!("restoring {target}"))?;
                }
                let (took, up_to_date, phases) = took?;
                if up_to_date {
                    bail!("the edit of round {round} was taken as up to date: nothing was built");
                }
                steps[*step - 1].seconds.push(took);
                timed = phases;
            }
            rounds.push(timed);
            if let Some(image_args) = &self.running {
                patched
                    .extend_from_slice(format!("/* bench round {round}, running */\n").as_bytes());
                std::fs::write(&target, &patched).with_context(|| format!("patching {target}"))?;
                let took = self
                    .patch_to_running(image_args, &mut container)
                    .and_then(|took| Ok((took, self.run_unchanged(image_args, &mut container)?)));
                std::fs::write(&target, &original)
                    .with_context(|| format!("restoring {target}"))?;
                let ((took, phases), unchanged) = took?;
                steps[4].seconds.push(took);
                steps[5].seconds.push(unchanged);
                running_rounds.push(phases);
            }
            steps[6].seconds.push(self.archive_only()?);
            steps[7].seconds.push(self.git_archive()?);
        }
        if let (Some(name), Some(engine)) = (&container, &self.engine) {
            let _ = engine
                .cmd()
                .args(["rm", "-f", "-v", name])
                .cleanup_step()
                .read();
            let _ = engine
                .cmd()
                .args(["rmi", &format!("{BENCH_IMAGE}:{}", std::process::id())])
                .cleanup_step()
                .read();
        }
        if self.running.is_none() {
            steps.retain(|s| s.name != RUNNING && s.name != RUN_UNCHANGED);
        }
        Ok(Measured {
            steps,
            patch: rounds,
            running: running_rounds,
        })
    }

    /// From an edited tree to a container of it that answers SIP OPTIONS: `run --detach` (which
    /// builds, makes the image, replaces the last round's container), then OPTIONS until one is
    /// answered on the port the engine published.
    fn patch_to_running(
        &self,
        image_args: &[String],
        container: &mut Option<String>,
    ) -> Result<(f64, Phases)> {
        let started = Instant::now();
        let (name, mut phases) = self.run_detached(image_args, container)?;
        let detached = started.elapsed().as_secs_f64();
        let published = self
            .engine()?
            .cmd()
            .args(["port", &name, "5060/udp"])
            .read()
            .with_context(|| format!("reading the SIP port of {name}"))?;
        let addr = published
            .lines()
            .next()
            .map(|l| l.trim().replace("0.0.0.0:", "127.0.0.1:"))
            .unwrap_or_else(|| "127.0.0.1:5060".into());
        while !answers_sip(&addr) {
            crate::infra::interrupt::check()?;
            if started.elapsed().as_secs() > 600 {
                bail!("{name} did not answer SIP OPTIONS on {addr} within 600s");
            }
        }
        let took = started.elapsed().as_secs_f64();
        // What run's own lines do not cover: the engine starting the container, and the time
        // from healthy (or run's end) to the first OPTIONS answered.
        let said: f64 = phases.iter().map(|p| p.1).sum();
        phases.push((
            "start, attach, rest of run".into(),
            (detached - said).max(0.0),
        ));
        phases.push(("SIP OPTIONS answered".into(), took - detached));
        Ok((took, phases))
    }

    /// `run` again with nothing changed (up to date, the image reused, the container started
    /// and healthy), then a command through Asterisk's console in it: what a contributor waits
    /// for between `run`s. The last round's container is removed first, untimed, as leaving
    /// its console does (replacing a detached one also waits for the engine to stop it: with
    /// docker's userland proxy, a process per published port).
    fn run_unchanged(&self, image_args: &[String], container: &mut Option<String>) -> Result<f64> {
        let engine = self.engine()?;
        if let Some(name) = container.take() {
            engine
                .cmd()
                .args(["rm", "-f", "-v", &name])
                .cleanup_step()
                .read()
                .with_context(|| format!("removing {name}, as leaving its console does"))?;
        }
        let started = Instant::now();
        let (name, _) = self.run_detached(image_args, container)?;
        engine
            .cmd()
            .args(["exec", &name, "asterisk", "-rx", "core show version"])
            .read()
            .with_context(|| format!("Asterisk's console in {name}"))?;
        Ok(started.elapsed().as_secs_f64())
    }

    /// The engine of `--running` (checked before the first build).
    fn engine(&self) -> Result<&Engine> {
        self.engine
            .as_ref()
            .context("bench --running needs a container engine")
    }

    /// `run --detach` of the tree; the container it names, and where its time went (rpm's
    /// phases and the image, as its `time:` line says, then the boot until healthy).
    fn run_detached(
        &self,
        image_args: &[String],
        container: &mut Option<String>,
    ) -> Result<(String, Phases)> {
        let mut name = None;
        let mut timed = Vec::new();
        let mut boot = None;
        self.sh
            .cmd(self.xtask.as_str())
            .arg("run")
            .args(["-q", "--detach", "--source", self.tree.as_str()])
            .args(["--out", self.work.join("out").as_str()])
            .args(self.rpm_args.iter().map(String::as_str))
            .args(image_args.iter().map(String::as_str))
            .env("CARGO_TARGET_DIR", self.work.join("target").as_str())
            .run(|line| {
                if let Some(n) = detached_name(line) {
                    name = Some(n.to_string());
                }
                if line.starts_with("time: ") {
                    timed = phases(line);
                }
                boot = boot.or(healthy_after(line));
            })
            .with_context(|| format!("cargo xtask run --detach on {}", self.tree))?;
        let name = name.context("run --detach named no container")?;
        *container = Some(name.clone());
        timed.extend(boot.map(|b| ("boot (until healthy)".to_string(), b)));
        Ok((name, timed))
    }

    /// Packing alone: a dry run packs nothing, so the archive is timed in this process.
    fn archive_only(&self) -> Result<f64> {
        let tree = crate::source::tree::Tree::locate(self.sh, Some(&self.tree), &self.tree)?;
        let started = Instant::now();
        let files = crate::source::fileset::collect(&tree, &[])?;
        let members =
            crate::source::archive::members(&files.entries, &[(".version", b"bench\n".to_vec())]);
        let out = self.work.join("bench.tar.gz");
        crate::source::archive::write(
            &crate::source::archive::Contents {
                tree: &self.tree,
                members: &members,
                top_dir: "asterisk-bench",
                mtime: 0,
            },
            &out,
        )?;
        let took = started.elapsed().as_secs_f64();
        std::fs::remove_file(&out).with_context(|| format!("removing {out}"))?;
        Ok(took)
    }

    fn git_archive(&self) -> Result<f64> {
        if !self.tree.join(".git").exists() {
            bail!(
                "{} has no git: nothing to compare the archive with",
                self.tree
            );
        }
        let out = self.work.join("git-archive.tar.gz");
        let started = Instant::now();
        self.sh
            .git(&self.tree)
            .args(["archive", "--format=tar.gz", "-o", out.as_str(), "HEAD"])
            .read()?;
        let took = started.elapsed().as_secs_f64();
        std::fs::remove_file(&out).with_context(|| format!("removing {out}"))?;
        Ok(took)
    }
}

// `bench`'s flags.

#[derive(Debug, Clone, Default)]
pub struct BenchFlags {
    pub source: Option<Utf8PathBuf>,
    pub out: Option<Utf8PathBuf>,
    pub runs: usize,
    /// rpm's place and bundled-source flags, passed on to every `rpm` of the bench.
    pub place: place::PlaceFlags,
    pub bundled: bundled::BundledFlags,
    /// `--running`: the step from a patch to a running container answering SIP.
    pub running: bool,
    pub runtime_base: Option<String>,
    /// `--verbose`.
    pub sh: Shell,
}

impl BenchFlags {
    /// The flags every `rpm` of the bench is given (those of rpm the bench takes).
    pub fn rpm_args(&self) -> Result<Vec<String>> {
        let mut args = self.place.args()?;
        args.extend(self.bundled.args()?);
        Ok(args)
    }

    /// With `--running`, `run --detach`'s image flags: a tag of the bench's own (removed with
    /// its container at the end) and `--runtime-base`.
    pub fn image_args(&self) -> Option<Vec<String>> {
        self.running.then(|| {
            let mut args = vec![
                "--tag".to_string(),
                format!("{BENCH_IMAGE}:{}", std::process::id()),
            ];
            if let Some(base) = &self.runtime_base {
                args.extend(["--runtime-base".to_string(), base.clone()]);
            }
            args
        })
    }
}

/// `--running` needs an engine that answers and builds images: said before the first build,
/// not after the half hour of builds before the step that needs it.
pub fn check_engine(flags: &BenchFlags) -> Result<Engine> {
    Engine::ready(
        flags.sh,
        flags.place.engine.as_deref(),
        "for bench --running",
        true,
    )
}

/// What a bench measured: each step's times, and the phases of its patch rounds.
pub struct Measured {
    pub steps: Vec<Step>,
    /// The patch loop's rpm phases, round by round.
    pub patch: Vec<Phases>,
    /// The patch to a running container's phases (rpm's, the image, the boot, the answer),
    /// round by round; empty without `--running`.
    pub running: Vec<Phases>,
}

/// The results, written into `out` (`bench.json`, `bench.svg`) and printed as tables.
pub fn write_results(out: &Utf8Path, m: &Measured, tree: &Utf8Path, runs: usize) -> Result<()> {
    let steps = &m.steps;
    let parts = breakdown(&m.patch);
    let running = breakdown(&m.running);
    let as_json = |parts: &Phases| {
        json!(parts
            .iter()
            .map(|(name, median)| json!({"phase": name, "median": median}))
            .collect::<Vec<_>>())
    };
    let mut report = report_json(steps, tree, runs);
    report["patch_phases"] = as_json(&parts);
    if !running.is_empty() {
        report["running_phases"] = as_json(&running);
    }
    let mut text = report.pretty();
    text.push('\n');
    std::fs::write(out.join("bench.json"), text)
        .with_context(|| format!("writing {out}/bench.json"))?;
    std::fs::write(out.join("bench.svg"), svg(steps))
        .with_context(|| format!("writing {out}/bench.svg"))?;
    println!("{}", table(steps));
    println!("{}", breakdown_table("patch loop (rpm's phases)", &parts));
    if !running.is_empty() {
        println!(
            "{}",
            breakdown_table("one-line patch to a running container", &running)
        );
    }
    eprintln!("bench: {out}/bench.json and {out}/bench.svg");
    Ok(())
}

pub fn flags() -> impl Parser<BenchFlags> {
    let source = flag::source(
        "The Asterisk tree to measure (a scratch copy of it; default: the checkout the xtask lives in)",
    );
    let out = flag::out("Where bench.json and bench.svg go (default: <target>/bench)");
    let runs = long("runs")
        .help("Rounds of each step, interleaved (default: 3)")
        .argument::<String>("N")
        .parse(|v| {
            v.parse::<usize>()
                .ok()
                .filter(|n| (1..=100).contains(n))
                .ok_or_else(|| {
                    flag::Usage(format!(
                        "--runs takes a whole number from 1 to 100, not '{v}'"
                    ))
                })
        })
        .fallback(3);
    let place = place::flags();
    let bundled = bundled::flags();
    let running = long("running")
        .help("Also time a one-line patch to a running container that answers SIP OPTIONS (cargo xtask run --detach; needs a container engine and SIP's 5060 on 127.0.0.1)")
        .switch();
    let runtime_base = crate::container::runtime_image::runtime_base_flag(
        "Base of the runtime image for --running (as image takes it)",
    );
    let sh = flag::shell();
    construct!(BenchFlags {
        source,
        out,
        runs,
        place,
        bundled,
        running,
        runtime_base,
        sh,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn step(name: &'static str, baseline: &'static str, seconds: &[f64]) -> Step {
        Step {
            name,
            baseline,
            seconds: seconds.to_vec(),
        }
    }

    #[test]
    fn medians_and_ratios() {
        assert_eq!(median(&[]), 0.0);
        assert_eq!(median(&[3.0, 1.0, 2.0]), 2.0);
        assert_eq!(median(&[4.0, 1.0, 2.0, 3.0]), 2.5);
        let steps = [
            step(CLEAN, CLEAN, &[100.0, 120.0, 110.0]),
            step(NOOP, CLEAN, &[1.0, 2.0, 1.5]),
            step(ARCHIVE, GIT_ARCHIVE, &[0.4]),
            step(GIT_ARCHIVE, GIT_ARCHIVE, &[1.0]),
        ];
        let r = ratios(&steps);
        assert_eq!(r[0].2, None);
        assert!((r[1].2.unwrap() - 1.5 / 110.0).abs() < 1e-9);
        assert_eq!(r[2].2, Some(0.4));
        let t = table(&steps);
        assert!(t.contains("no-op (rpm, unchanged tree)"), "{t}");
        assert!(t.contains("0.014"), "{t}");
        let chart = svg(&steps);
        assert!(
            chart.starts_with("<svg") && chart.matches("<rect").count() == 4,
            "{chart}"
        );
        let j = report_json(&steps, Utf8Path::new("/t"), 3);
        assert_eq!(j["steps"][1]["to"], CLEAN);
        assert_eq!(j["steps"][0]["to"], Value::Null);
    }

    #[test]
    fn where_the_time_goes() {
        let line = "time: archive 0.1s, %prep 0.0s, %build 1m02s, %install 22.7s, publish 1.8s; total 1m27s";
        assert_eq!(
            phases(line),
            [
                ("archive".to_string(), 0.1),
                ("%prep".to_string(), 0.0),
                ("%build".to_string(), 62.0),
                ("%install".to_string(), 22.7),
                ("publish".to_string(), 1.8)
            ]
        );
        assert!(phases("version: x").is_empty());
        let rounds = vec![
            phases("time: %build 10s, publish 2s; total 12s"),
            phases("time: %build 30s, publish 1s, image 4s; total 35s"),
            phases("time: %build 20s, publish 3s; total 23s"),
        ];
        let b = breakdown(&rounds);
        assert_eq!(b[0], ("%build".to_string(), 20.0));
        assert_eq!(b[1], ("publish".to_string(), 2.0));
        assert_eq!(b[2], ("image".to_string(), 0.0));
        let t = breakdown_table("patch loop", &b);
        assert!(
            t.starts_with("patch loop, where the time goes (medians):\n"),
            "{t}"
        );
        assert!(t.contains("%build") && t.contains("90.9%"), "{t}");
        // run's boot line, as bench reads it into the running step's phases.
        assert_eq!(healthy_after("  healthy after 2.1s"), Some(2.1));
        assert_eq!(healthy_after("  healthy after 1m02s"), Some(62.0));
        assert_eq!(healthy_after("healthy"), None);
    }
}
