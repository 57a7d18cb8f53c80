//! `cargo xtask bench`: clean build, no-op, patch loop and archive, measured on a scratch copy.

use anyhow::{Context, Result};
use camino::Utf8PathBuf;

use crate::infra::exec::Shell;
use crate::infra::workspace::Workspace;
use crate::measure::BenchFlags;
use crate::measure::{self, Bench};
use crate::plan::place::Where;
use crate::source::{fileset, tree::Tree};

pub fn run(flags: BenchFlags, ws: &Workspace) -> Result<()> {
    let sh = Shell {
        dry_run: false,
        verbose: flags.verbose,
    };
    let tree = Tree::locate(sh, flags.source.as_deref(), &ws.root)?;
    // Where the results go, checked before anything is measured (a bench takes minutes).
    let out = match &flags.out {
        Some(dir) => {
            crate::plan::paths::check_apart(dir, "--out", crate::plan::paths::Near::Inside, ws)?;
            crate::infra::workspace::absolute(dir)?
        }
        None => ws.target.join("bench"),
    };
    if out.exists() && !out.is_dir() {
        anyhow::bail!("the bench's --out {out} is not a directory: name a directory for bench.json and bench.svg");
    }
    std::fs::create_dir_all(&out).with_context(|| format!("creating {out} (--out)"))?;
    let probe = out.join(format!(".bench-probe-{}", std::process::id()));
    std::fs::write(&probe, "").with_context(|| format!("writing in {out} (--out)"))?;
    std::fs::remove_file(&probe).with_context(|| format!("removing {probe}"))?;
    let work = ws.target.join("xtask/bench");
    ws.prepare_target()?;
    if work.exists() {
        std::fs::remove_dir_all(&work).with_context(|| format!("removing {work}"))?;
    }
    // The scratch copy: what rpm would pack, and the history (for the version).
    let copy = work.join("tree");
    let files = fileset::collect(&tree, std::slice::from_ref(&ws.target))?;
    for entry in &files.entries {
        let (from, to) = (tree.root.join(&entry.path), copy.join(&entry.path));
        if let Some(dir) = to.parent() {
            std::fs::create_dir_all(dir).with_context(|| format!("creating {dir}"))?;
        }
        match &entry.kind {
            crate::source::entries::EntryKind::Symlink { target } => {
                std::os::unix::fs::symlink(target, &to)
            }
            _ => std::fs::copy(&from, &to).map(|_| ()),
        }
        .with_context(|| format!("copying {from} to {to}"))?;
    }
    if tree.root.join(".git").exists() {
        sh.cmd("cp")
            .args([
                "-a",
                tree.root.join(".git").as_str(),
                copy.join(".git").as_str(),
            ])
            .read()
            .context("copying the tree's history into the scratch copy")?;
        // The copied index names other inodes and times: refresh it once, as a checkout in use
        // is, or every `git status` of the copy would read and hash the whole tree again.
        let _ = sh
            .git(&copy)
            .args(["update-index", "-q", "--refresh"])
            .read();
    }
    eprintln!(
        "bench: a scratch copy of {} in {copy} ({} files)",
        tree.root,
        files.entries.len()
    );
    let mut rpm_args: Vec<String> = Vec::new();
    match flags.place {
        Where::Native => rpm_args.push("--native".into()),
        Where::Container => rpm_args.push("--container".into()),
        Where::Auto => {}
    }
    if let Some(base) = &flags.base_image {
        rpm_args.extend(["--base-image".into(), base.clone()]);
    }
    if flags.nodeps {
        rpm_args.push("--nodeps".into());
    }
    if flags.without_pjproject {
        rpm_args.push("--without-pjproject".into());
    }
    if let Some(dir) = &flags.download_cache {
        rpm_args.extend([
            "--download-cache".into(),
            crate::infra::workspace::absolute(dir)?.to_string(),
        ]);
    }
    let xtask = Utf8PathBuf::try_from(std::env::current_exe().context("finding the xtask")?)
        .context("the xtask's path is not UTF-8")?;
    let (steps, rounds) = Bench {
        sh,
        xtask,
        tree: copy,
        work: &work,
        rpm_args,
        running: flags.running.then(|| {
            // A tag of the bench's own, removed with its container at the end.
            let mut image_args = vec![
                "--tag".to_string(),
                format!("{}:{}", measure::BENCH_IMAGE, std::process::id()),
            ];
            if let Some(base) = &flags.runtime_base {
                image_args.extend(["--runtime-base".to_string(), base.clone()]);
            }
            image_args
        }),
    }
    .run(flags.runs)?;
    let parts = measure::breakdown(&rounds);
    let mut report = measure::report_json(&steps, &tree.root, flags.runs);
    report["patch_phases"] = serde_json::json!(parts
        .iter()
        .map(|(name, median)| serde_json::json!({"phase": name, "median": median}))
        .collect::<Vec<_>>());
    let mut json = serde_json::to_string_pretty(&report)?;
    json.push('\n');
    std::fs::write(out.join("bench.json"), json)
        .with_context(|| format!("writing {out}/bench.json"))?;
    std::fs::write(out.join("bench.svg"), measure::svg(&steps))
        .with_context(|| format!("writing {out}/bench.svg"))?;
    println!("{}", measure::table(&steps));
    println!("{}", measure::breakdown_table(&parts));
    eprintln!("bench: {out}/bench.json and {out}/bench.svg");
    std::fs::remove_dir_all(&work).with_context(|| format!("removing {work}"))?;
    Ok(())
}
