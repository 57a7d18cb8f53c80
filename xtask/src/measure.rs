//! `cargo xtask bench`: the contributor's loop, measured side by side in one run, on a scratch
//! copy of the tree (the user's is never touched): a clean build (`rpm --force`), a no-op (`rpm`
//! again: up to date), a patch loop (one line added to a `.c` file, `rpm`, the line taken back),
//! and the source archive against `git archive --format=tar.gz HEAD`. Each a few times,
//! interleaved; medians and ratios in a table, `bench.json` and a bar chart (`bench.svg`).
//!
//! The arithmetic and the chart are pure functions with table tests.

use std::time::Instant;

use anyhow::{bail, Context, Result};
use camino::{Utf8Path, Utf8PathBuf};
use serde_json::json;

use crate::infra::exec::Shell;

/// One measured step: its name, what it is compared with, and its times in seconds.
#[derive(Debug, Clone, PartialEq)]
pub struct Step {
    pub name: &'static str,
    pub baseline: &'static str,
    pub seconds: Vec<f64>,
}

pub const CLEAN: &str = "clean build (rpm --force)";
pub const NOOP: &str = "no-op (rpm, unchanged tree)";
pub const PATCH: &str = "patch loop (one line in a .c file)";
pub const ARCHIVE: &str = "source archive (rpm's packing)";
pub const GIT_ARCHIVE: &str = "git archive --format=tar.gz HEAD";

/// The median of some times (0 for none).
pub fn median(times: &[f64]) -> f64 {
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
pub fn report_json(steps: &[Step], tree: &Utf8Path, runs: usize) -> serde_json::Value {
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
pub fn patch_target(tree: &Utf8Path) -> Result<Utf8PathBuf> {
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
}

impl Bench<'_> {
    /// Runs `rpm` with `more`: how long it took, and whether it said it was up to date.
    fn rpm(&self, more: &[&str]) -> Result<(f64, bool)> {
        let started = Instant::now();
        let mut up_to_date = false;
        self.sh
            .cmd(self.xtask.as_str())
            .arg("rpm")
            .args(["-q", "--source", self.tree.as_str()])
            .args(["--out", self.work.join("out").as_str()])
            .args(self.rpm_args.iter().map(String::as_str))
            .args(more.iter().copied())
            .env("CARGO_TARGET_DIR", self.work.join("target").as_str())
            .run(|line| up_to_date |= line.starts_with("up to date: "))
            .with_context(|| format!("cargo xtask rpm {} on {}", more.join(" "), self.tree))?;
        Ok((started.elapsed().as_secs_f64(), up_to_date))
    }

    /// The whole measurement: `runs` rounds of clean, no-op, patch, archive, git archive.
    pub fn run(&self, runs: usize) -> Result<Vec<Step>> {
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
                name: PATCH,
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
        for round in 1..=runs {
            eprintln!("bench: round {round} of {runs}");
            steps[0].seconds.push(self.rpm(&["--force"])?.0);
            // The no-op must be up to date and the patch built, or this measures something else.
            let (noop, up_to_date) = self.rpm(&[])?;
            if !up_to_date {
                bail!("the no-op round {round} was not up to date: the bench would time a build");
            }
            steps[1].seconds.push(noop);
            let mut patched = original.clone();
            patched.extend_from_slice(format!("/* bench round {round} */\n").as_bytes());
            std::fs::write(&target, &patched).with_context(|| format!("patching {target}"))?;
            let took = self.rpm(&[]);
            std::fs::write(&target, &original).with_context(|| format!("restoring {target}"))?;
            let (took, up_to_date) = took?;
            if up_to_date {
                bail!("the patch of round {round} was taken as up to date: nothing was built");
            }
            steps[2].seconds.push(took);
            steps[3].seconds.push(self.archive_only()?);
            steps[4].seconds.push(self.git_archive()?);
        }
        Ok(steps)
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
        assert_eq!(j["steps"][0]["to"], serde_json::Value::Null);
    }
}
