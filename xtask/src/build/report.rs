//! What a build tells its user as it goes and when it ends.
//!
//! rpmbuild's phases read from its output lines (and the lines that mean it will never end), and
//! the closing summary of published artifacts.

use std::time::{Duration, Instant};

use camino::Utf8Path;

use super::manifest::Manifest;
use super::options::{self, Options};
use super::publish;
use super::record;
use crate::exec::Cmd;
use crate::report::{human_size, PhaseTimer};

/// The phase an rpmbuild output line starts, if any.
pub fn phase_of_line(line: &str) -> Option<&str> {
    if let Some(rest) = line.strip_prefix("Executing(") {
        return rest.split(')').next();
    }
    if line.starts_with("Processing files:") || line.starts_with("Checking for unpackaged") {
        return Some("files");
    }
    if line.starts_with("Wrote: ") {
        return Some("write");
    }
    None
}

/// rpmbuild as the xtask runs it: stopped when make reports files dated after its clock, on
/// which it would otherwise rebuild (and, for included makefiles, restart) forever.
pub fn watch_rpmbuild(cmd: Cmd) -> Cmd {
    const SKEW: &str = "found files dated after its clock and would rebuild forever: the build \
        machine's clock is behind the source date (SOURCE_DATE_EPOCH, a commit or a file's time); \
        set that clock right, or SOURCE_DATE_EPOCH to a time it has passed";
    cmd.stop_on("has modification time", SKEW)
        .stop_on("Clock skew detected", SKEW)
}

/// Follows rpmbuild's phases as its lines go by.
#[derive(Default)]
pub struct PhaseTracker {
    current: Option<(String, Instant)>,
    done: Vec<(String, Duration)>,
}

impl PhaseTracker {
    /// Enters `phase`; returns the phase that ended, with its time, when it changed.
    pub fn enter(&mut self, phase: &str) -> Option<(String, Duration)> {
        if self.current.as_ref().is_some_and(|(p, _)| p == phase) {
            return None;
        }
        let ended = self.close();
        self.current = Some((phase.to_string(), Instant::now()));
        ended
    }

    fn close(&mut self) -> Option<(String, Duration)> {
        let (phase, start) = self.current.take()?;
        let took = start.elapsed();
        self.done.push((phase.clone(), took));
        Some((phase, took))
    }

    /// Every phase seen, in order, the last one (where a failure happened) included.
    pub fn finish(mut self) -> Vec<(String, Duration)> {
        self.close();
        self.done
    }
}

/// The build's choices, said before it starts.
pub fn options(o: &Options) {
    let mut said = Vec::new();
    if o.dev {
        said.push(format!("--dev ({})", options::DEV_MENUSELECT));
    }
    said.extend(
        o.choices
            .iter()
            .map(|c| format!("{} {}", c.flag(), c.name())),
    );
    if let Some((path, _)) = &o.menuselect_file {
        said.push(format!("starting from {path}"));
    }
    said.extend(o.configure_args.iter().map(|a| format!("configure {a}")));
    if !said.is_empty() {
        eprintln!("options: {}", said.join(", "));
    }
    if super::spec::fast_packaging(o) {
        eprintln!(
            "packaging: fast, for trying (no debuginfo, zstd or gzip level 1); \
             release builds keep the distribution's defaults"
        );
    }
    if !o.named_libraries.is_empty() {
        eprintln!(
            "libraries: also built with {} (the modules you selected need them)",
            o.named_libraries.join(", ")
        );
    }
    if !o.left_out.is_empty() {
        let names: Vec<&str> = o.left_out.iter().map(|l| l.option.as_str()).collect();
        eprintln!(
            "libraries: configure goes without {} optional libraries the spec does not build with ({}{})",
            names.len(),
            names.iter().take(8).copied().collect::<Vec<_>>().join(", "),
            if names.len() > 8 { ", ..." } else { "" }
        );
    }
}

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
    let mut kinds: Vec<(&str, Vec<&str>)> = Vec::new();
    for (name, why) in &manifest.left_out {
        let kind = record::reason_kind(why);
        match kinds.iter_mut().find(|(k, _)| *k == kind) {
            Some((_, names)) => names.push(name),
            None => kinds.push((kind, vec![name])),
        }
    }
    for (kind, names) in kinds {
        eprintln!(
            "  {} {kind}: {}{}",
            names.len(),
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
    eprintln!("  {:<72}", publish::MANIFEST);
    match manifest.bundled.as_slice() {
        [] => eprintln!("bundled: nothing ({})", manifest.bundled_note),
        list => {
            let names: Vec<String> = list
                .iter()
                .map(|b| format!("{} {}", b.name, b.version))
                .collect();
            eprintln!(
                "bundled: {} (in the packages, and a Source of the SRPM)",
                names.join(", ")
            );
        }
    }
    match manifest.sounds.as_slice() {
        [] => eprintln!(
            "sounds: none (--sounds CORE-SOUNDS-EN-GSM,MOH-OPSOUND-WAV,... packages sets)"
        ),
        sets => {
            let names: Vec<String> = sets
                .iter()
                .map(|(name, version, package)| format!("{name} {version} ({package})"))
                .collect();
            eprintln!("sounds: {}", names.join(", "));
        }
    }
    modules(manifest);
    eprintln!("{}", timer.line());
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn phases_from_rpmbuild_lines() {
        let cases = [
            (
                "Executing(%prep): /bin/sh -e /var/tmp/rpm-tmp.x",
                Some("%prep"),
            ),
            (
                "Executing(%build): /bin/sh -e /var/tmp/rpm-tmp.y",
                Some("%build"),
            ),
            ("Executing(rmbuild): /bin/sh -e x", Some("rmbuild")),
            ("Processing files: asterisk-22.1.0-1.x86_64", Some("files")),
            (
                "Wrote: /t/RPMS/x86_64/asterisk-22.1.0-1.x86_64.rpm",
                Some("write"),
            ),
            ("gcc -O2 -c main/asterisk.c", None),
        ];
        for (line, want) in cases {
            assert_eq!(phase_of_line(line), want, "{line}");
        }
        let mut t = PhaseTracker::default();
        assert!(t.enter("%prep").is_none());
        assert!(t.enter("%prep").is_none());
        assert_eq!(t.enter("%build").map(|(p, _)| p).as_deref(), Some("%prep"));
        let all: Vec<String> = t.finish().into_iter().map(|(p, _)| p).collect();
        assert_eq!(all, ["%prep", "%build"]);
    }
}
