//! Incremental builds, as the user asks for them (`--incremental`, `--clean`) and as the build
//! decides: on by default for trees with uncommitted changes, never for release builds, off
//! with `--clean` or an engine that cannot mount the kept directory. The kept directory itself
//! is `rpmbuild::incremental`'s.

use bpaf::{construct, long, Parser};

/// `--incremental` / `--clean`, or neither.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub enum Mode {
    #[default]
    Auto,
    On,
    Off,
}

/// Whether this build is incremental, and why (said in the output).
pub fn decide(asked: Mode, dirty: bool, release: bool, mounts: bool) -> (bool, &'static str) {
    match (asked, release, mounts) {
        (_, true, _) => (false, "a release build is always built clean"),
        (Mode::Off, _, _) => (false, "--clean"),
        (_, _, false) => (
            false,
            "the engine is not on this machine: a kept build directory cannot be mounted",
        ),
        (Mode::On, _, _) => (true, "--incremental"),
        (Mode::Auto, _, _) if dirty => (
            true,
            "the tree has uncommitted changes; --clean builds afresh",
        ),
        (Mode::Auto, _, _) => (
            false,
            "the tree is committed (--incremental keeps the build directory)",
        ),
    }
}

/// Whether a build that is not incremental keeps its build directory for the next edit's: a
/// committed snapshot built without `--clean` (a clean build, in full, in the kept directory),
/// so that the first edit after it builds on it rather than from nothing. Never a release, never
/// `--clean`, never where the directory cannot be mounted.
pub fn seeds(asked: Mode, dirty: bool, release: bool, mounts: bool) -> bool {
    asked == Mode::Auto && !dirty && !release && mounts
}

/// A release build: make_version names a release, not a snapshot (`GIT-...`).
pub fn is_release(asterisk_version: &str) -> bool {
    !asterisk_version.starts_with("GIT-")
}

/// The concern's flags.
pub fn flags() -> impl Parser<Mode> {
    let on = long("incremental")
        .help("Keep the build directory between runs and rebuild only what changed (the default for trees with uncommitted changes; never for releases)")
        .req_flag(Mode::On);
    let off = long("clean")
        .help("Build in a fresh directory, not incrementally")
        .req_flag(Mode::Off);
    construct!([on, off]).fallback(Mode::Auto)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn when_a_build_is_incremental() {
        let cases = [
            ((Mode::Auto, true, false, true), true),
            ((Mode::Auto, false, false, true), false),
            ((Mode::On, false, false, true), true),
            ((Mode::Off, true, false, true), false),
            ((Mode::On, true, true, true), false),
            ((Mode::Auto, true, true, true), false),
            ((Mode::On, true, false, false), false),
        ];
        for ((asked, dirty, release, mounts), want) in cases {
            assert_eq!(
                decide(asked, dirty, release, mounts).0,
                want,
                "{asked:?} {dirty} {release} {mounts}"
            );
        }
        // Only a committed snapshot, asked for nothing, where the directory can be mounted.
        let seeding = [
            ((Mode::Auto, false, false, true), true),
            ((Mode::Auto, true, false, true), false),
            ((Mode::Auto, false, true, true), false),
            ((Mode::Off, false, false, true), false),
            ((Mode::On, false, false, true), false),
            ((Mode::Auto, false, false, false), false),
        ];
        for ((asked, dirty, release, mounts), want) in seeding {
            assert_eq!(
                seeds(asked, dirty, release, mounts),
                want,
                "{asked:?} {dirty} {release} {mounts}"
            );
        }
        assert!(is_release("22.10.1") && is_release("certified-22.8-cert4"));
        assert!(!is_release("GIT-master-abc1234M"));
    }
}
