//! rpmbuild's phases, read from its output lines as they go by, and the lines that mean it will
//! never end.

use std::time::{Duration, Instant};

use crate::infra::exec::Cmd;

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
