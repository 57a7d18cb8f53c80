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

/// What a build does with a kept build directory.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Rebuild {
    /// Builds on the kept directory, and why (said in the output).
    Incremental(&'static str),
    /// Builds clean, in full, in the kept directory, for the next edit's incremental build to
    /// build on: a committed snapshot asked for nothing, where the directory can be mounted.
    KeepClean,
    /// Builds clean in rpmbuild's own directory, and why.
    Clean(&'static str),
}

/// Whether this build is incremental, keeps its directory for the next edit's, or neither.
/// Never a release, never `--clean`, never where the directory cannot be mounted.
pub fn decide(asked: Mode, dirty: bool, release: bool, mounts: bool) -> Rebuild {
    match (asked, release, mounts) {
        (_, true, _) => Rebuild::Clean("a release build is always built clean"),
        (Mode::Off, _, _) => Rebuild::Clean("--clean"),
        (_, _, false) => Rebuild::Clean(
            "the engine is not on this machine: a kept build directory cannot be mounted",
        ),
        (Mode::On, _, _) => Rebuild::Incremental("--incremental"),
        (Mode::Auto, _, _) if dirty => {
            Rebuild::Incremental("the tree has uncommitted changes; --clean builds afresh")
        }
        (Mode::Auto, _, _) => Rebuild::KeepClean,
    }
}

/// A release build: make_version names a release, not a snapshot (`GIT-...`).
pub fn is_release(asterisk_version: &str) -> bool {
    !asterisk_version.starts_with("GIT-")
}

/// The concern's flags, as the plan's table names them.
pub type Flags = Mode;

/// What `--verbose`'s plan calls this concern's line.
pub const SAYS: &str = "incremental";

pub fn describe(mode: &Flags) -> String {
    match mode {
        Mode::Auto => "when the tree has uncommitted changes (never for a release)",
        Mode::On => "yes (--incremental; never for a release)",
        Mode::Off => "no (--clean)",
    }
    .into()
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
        use Rebuild::*;
        let mounted = "the engine is not on this machine: a kept build directory cannot be mounted";
        let cases = [
            (
                (Mode::Auto, true, false, true),
                Incremental("the tree has uncommitted changes; --clean builds afresh"),
            ),
            ((Mode::Auto, false, false, true), KeepClean),
            ((Mode::On, false, false, true), Incremental("--incremental")),
            ((Mode::Off, true, false, true), Clean("--clean")),
            ((Mode::Off, false, false, true), Clean("--clean")),
            (
                (Mode::On, true, true, true),
                Clean("a release build is always built clean"),
            ),
            (
                (Mode::Auto, true, true, true),
                Clean("a release build is always built clean"),
            ),
            (
                (Mode::Auto, false, true, true),
                Clean("a release build is always built clean"),
            ),
            ((Mode::On, true, false, false), Clean(mounted)),
            ((Mode::Auto, false, false, false), Clean(mounted)),
        ];
        for ((asked, dirty, release, mounts), want) in cases {
            assert_eq!(
                decide(asked, dirty, release, mounts),
                want,
                "{asked:?} {dirty} {release} {mounts}"
            );
        }
        assert!(is_release("22.10.1") && is_release("certified-22.8-cert4"));
        assert!(!is_release("GIT-master-abc1234M"));
    }
}
