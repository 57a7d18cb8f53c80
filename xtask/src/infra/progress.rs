//! What a run tells its user about time and size: the time per step, sizes in binary units.

use std::time::{Duration, Instant};

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

    /// `time: archive 1.2s, %build 3.0s; total 5.0s`
    pub fn line(&self) -> String {
        let phases: Vec<String> = self
            .phases
            .iter()
            .map(|(p, d)| format!("{p} {}", human_duration(*d)))
            .collect();
        format!(
            "time: {}; total {}",
            phases.join(", "),
            human_duration(self.total())
        )
    }
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

/// `1 file`, `2 files`: a count and its noun, plural when not one.
pub fn count(n: usize, noun: &str) -> String {
    match n {
        1 => format!("1 {noun}"),
        n => format!("{n} {noun}s"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

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
