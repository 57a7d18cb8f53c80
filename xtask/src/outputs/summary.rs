//! What a build tells its user when it ends: what was published, what is bundled, the modules
//! built and left out, the time per step. (What it says before it starts is rpmbuild's
//! `announce`.)

use camino::Utf8Path;

use super::build_record;
use super::manifest::Manifest;
use crate::infra::progress::{human_size, PhaseTimer};

/// The modules built and left out, by reason, in a few lines.
pub fn modules(manifest: &Manifest) {
    if manifest.modules.is_empty() && manifest.left_out.is_empty() {
        return;
    }
    eprintln!(
        "modules: {} built, {} left out (manifest.json \"modules\" and \"left_out\", build/modules-left-out)",
        manifest.modules.len(),
        manifest.left_out.len()
    );
    for p in manifest
        .packages
        .iter()
        .filter(|p| !p.modules.is_empty() || p.path.is_none())
    {
        match &p.path {
            Some(_) => eprintln!(
                "  {:<28} {} module{}",
                p.name,
                p.modules.len(),
                if p.modules.len() == 1 { "" } else { "s" }
            ),
            None => eprintln!("  {:<28} {}", p.name, p.note),
        }
    }
    let mut kinds: Vec<(Option<&str>, Vec<&str>)> = Vec::new();
    for (name, why) in &manifest.left_out {
        let kind = build_record::reason_kind(why);
        match kinds.iter_mut().find(|(k, _)| *k == kind) {
            Some((_, names)) => names.push(name),
            None => kinds.push((kind, vec![name])),
        }
    }
    for (kind, names) in kinds {
        let what = match (kind, names.len()) {
            (None, n) => format!("{n} not selected"),
            (Some(k), 1) => format!("1 needs {k}"),
            (Some(k), n) => format!("{n} need {k}"),
        };
        eprintln!(
            "  {what}: {}{}",
            names.iter().take(6).copied().collect::<Vec<_>>().join(" "),
            if names.len() > 6 { " ..." } else { "" }
        );
    }
}

pub fn summary(out: &Utf8Path, manifest: &Manifest, timer: &PhaseTimer) {
    eprintln!("\npublished to {out}:");
    for a in &manifest.artifacts {
        eprintln!("  {:<72} {:>9}", a.path, human_size(a.size));
    }
    let size = std::fs::metadata(out.join(super::manifest::MANIFEST)).map_or(0, |m| m.len());
    eprintln!(
        "  {:<72} {:>9}",
        super::manifest::MANIFEST,
        human_size(size)
    );
    match manifest.records.bundled.sources.as_slice() {
        [] => eprintln!("bundled: nothing ({})", manifest.records.bundled.note),
        list => {
            let names: Vec<String> = list
                .iter()
                .map(|b| format!("{} {}", b.tarball.name, b.tarball.version))
                .collect();
            eprintln!(
                "bundled: {} (in the packages, and a Source of the SRPM each){}",
                names.join(", "),
                match manifest.records.bundled.note.is_empty() {
                    true => String::new(),
                    false => format!("; {}", manifest.records.bundled.note),
                }
            );
        }
    }
    match manifest.records.sounds.as_slice() {
        [] => eprintln!(
            "sounds: none (--sounds CORE-SOUNDS-EN-GSM,MOH-OPSOUND-WAV,... packages sets)"
        ),
        sets => {
            let names: Vec<String> = sets
                .iter()
                .map(|s| format!("{} {} ({})", s.name, s.version, s.package))
                .collect();
            eprintln!("sounds: {}", names.join(", "));
        }
    }
    modules(manifest);
    eprintln!("{}", timer.line());
}
