//! What a build tells its user as it goes and when it ends.
//!
//! rpmbuild's phases read from its output lines (and the lines that mean it will never end),
//! the time each step took, sizes and durations in human units, and the closing summary of
//! published artifacts.

use std::time::{Duration, Instant};

use camino::Utf8Path;

use crate::manifest::Manifest;
use crate::process::Cmd;
use crate::publish;

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

/// Wall-clock time per step of the whole command.
pub struct PhaseTimer {
    start: Instant,
    mark: Instant,
    phases: Vec<(String, Duration)>,
}

impl Default for PhaseTimer {
    fn default() -> Self {
        let now = Instant::now();
        PhaseTimer {
            start: now,
            mark: now,
            phases: Vec::new(),
        }
    }
}

impl PhaseTimer {
    pub fn end(&mut self, phase: &str) {
        let now = Instant::now();
        self.add(phase, now - self.mark);
        self.mark = now;
    }

    pub fn absorb(&mut self, phases: &[(String, Duration)]) {
        for (phase, took) in phases {
            self.add(phase, *took);
        }
        self.mark = Instant::now();
    }

    /// Adds time to a phase, merging a phase seen twice (rpmbuild's "files" step is).
    fn add(&mut self, phase: &str, took: Duration) {
        match self.phases.iter_mut().find(|(p, _)| p == phase) {
            Some((_, total)) => *total += took,
            None => self.phases.push((phase.to_string(), took)),
        }
    }

    pub fn total(&self) -> Duration {
        self.start.elapsed()
    }
}

pub fn summary(out: &Utf8Path, manifest: &Manifest, timer: &PhaseTimer) {
    eprintln!("\npublished to {out}:");
    for a in &manifest.artifacts {
        eprintln!("  {:<72} {:>9}", a.path, human_size(a.size));
    }
    eprintln!("  {:<72}", publish::MANIFEST);
    let phases: Vec<String> = timer
        .phases
        .iter()
        .map(|(p, d)| format!("{p} {}", human_duration(*d)))
        .collect();
    eprintln!(
        "time: {}; total {}",
        phases.join(", "),
        human_duration(timer.total())
    );
}

pub fn human_size(bytes: u64) -> String {
    match bytes {
        b if b >= 1 << 30 => format!("{:.1} GiB", b as f64 / (1u64 << 30) as f64),
        b if b >= 1 << 20 => format!("{:.1} MiB", b as f64 / (1 << 20) as f64),
        b if b >= 1 << 10 => format!("{:.1} KiB", b as f64 / (1 << 10) as f64),
        b => format!("{b} B"),
    }
}

pub fn human_duration(d: Duration) -> String {
    let s = d.as_secs_f64();
    if s >= 60.0 {
        format!("{}m{:02}s", (s / 60.0) as u64, (s % 60.0) as u64)
    } else {
        format!("{s:.1}s")
    }
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

    #[test]
    fn sizes_and_durations() {
        assert_eq!(human_size(512), "512 B");
        assert_eq!(human_size(5_872_026), "5.6 MiB");
        assert_eq!(human_size(2048), "2.0 KiB");
        assert_eq!(human_size(3 << 30), "3.0 GiB");
        assert_eq!(human_duration(Duration::from_millis(1500)), "1.5s");
        assert_eq!(human_duration(Duration::from_secs(125)), "2m05s");
    }
}
