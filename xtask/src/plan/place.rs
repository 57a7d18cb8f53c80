//! Where rpmbuild runs: the concern's flags (`--native`, `--container`, the engine, the builder's
//! base, ccache, `--nodeps`), the decision over this machine, and how the plan says it. Its part
//! of the manifest is the builder (`native` or `container <tag>`), which the outputs stage names.

use anyhow::Result;
use bpaf::{construct, long, Parser};
use camino::Utf8PathBuf;

use super::concern::Cx;
use super::flag;
use super::paths::{check_apart, check_rpm_can_work_in, Near};
use crate::infra::engine::{Engine, Unusable};
use crate::infra::exec::Shell;
use crate::infra::workspace::absolute;

/// The install hint for a missing rpmbuild, per distribution.
const RPMBUILD_HINT: &str = "rpmbuild is not installed: install it (Fedora/RHEL/Rocky/Alma: \
    dnf install rpm-build; Debian/Ubuntu: apt-get install rpm; openSUSE: zypper install rpm-build; \
    Arch: pacman -S rpm-tools; cargo xtask doctor checks the rest)";
/// The default base of the builder: see contrib/docker/Dockerfile.builder for why.
const DEFAULT_BASE_IMAGE: &str = "docker.io/library/almalinux:9";

/// Where `--native` / `--container` say the build runs; `Auto` when neither is given.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub enum Where {
    #[default]
    Auto,
    Native,
    Container,
}

/// What the user said about where the build runs.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct PlaceFlags {
    pub place: Where,
    pub engine: Option<String>,
    pub base_image: Option<String>,
    pub rebuild_builder: bool,
    pub no_ccache: bool,
    /// `--ccache-dir DIR`: ccache in a host directory instead of a volume.
    pub ccache_dir: Option<Utf8PathBuf>,
    pub nodeps: bool,
}

impl PlaceFlags {
    /// The command line that says these choices, as `rpm` parses it (bench passes them on);
    /// `--ccache-dir` made absolute.
    pub fn args(&self) -> Result<Vec<String>> {
        let mut args: Vec<String> = Vec::new();
        match self.place {
            Where::Native => args.push("--native".into()),
            Where::Container => args.push("--container".into()),
            Where::Auto => {}
        }
        if let Some(engine) = &self.engine {
            args.extend(["--engine".into(), engine.clone()]);
        }
        if let Some(base) = &self.base_image {
            args.extend(["--base-image".into(), base.clone()]);
        }
        if self.rebuild_builder {
            args.push("--rebuild-builder".into());
        }
        if self.no_ccache {
            args.push("--no-ccache".into());
        }
        if let Some(dir) = &self.ccache_dir {
            args.extend(["--ccache-dir".into(), absolute(dir)?.to_string()]);
        }
        if self.nodeps {
            args.push("--nodeps".into());
        }
        Ok(args)
    }
}

/// `--native` or `--container` (neither: decided by the machine).
fn where_flags(container_help: &'static str) -> impl Parser<Where> {
    let native = long("native")
        .help("Build with this host's rpmbuild")
        .req_flag(Where::Native);
    let container = long("container")
        .help(container_help)
        .req_flag(Where::Container);
    construct!([native, container]).fallback(Where::Auto)
}

/// `--engine PROG`, which every command that uses an engine takes.
pub fn engine_flag() -> impl Parser<Option<String>> {
    flag::text(
        "engine",
        "PROG",
        "Container engine program, a name or a path (default: $CONTAINER_ENGINE, else docker, else podman)",
    )
}

/// The concern's flags, as `rpm` (and `image`) take them.
pub fn flags() -> impl Parser<PlaceFlags> {
    let place =
        where_flags("Build in the builder container (the default when a container engine answers)");
    let engine = engine_flag();
    let base_image = flag::text(
        "base-image",
        "IMG",
        "Base of the builder image (default: docker.io/library/almalinux:9); an image that has rpmbuild is used as it is",
    );
    let rebuild_builder = long("rebuild-builder")
        .help("Build the builder image even when one made of the same inputs exists (and the packages, even when up to date)")
        .switch();
    let no_ccache = long("no-ccache")
        .help("Build in the container without the ccache volume")
        .switch();
    let ccache_dir = flag::path(
        "ccache-dir",
        "DIR",
        "Keep the container build's ccache in this host directory instead of a volume (a CI cache, e.g. actions/cache); made if missing",
    );
    let nodeps = long("nodeps")
        .help("Do not check BuildRequires (passed to rpmbuild; automatic on hosts whose packages rpm does not know)")
        .switch();
    construct!(PlaceFlags {
        place,
        engine,
        base_image,
        rebuild_builder,
        no_ccache,
        ccache_dir,
        nodeps,
    })
}

/// Why no place to build can be had on this machine, in one line with what to do.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Unavailable(pub String);

impl std::fmt::Display for Unavailable {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

impl std::error::Error for Unavailable {}

/// Where rpmbuild runs, with what it needs there.
#[derive(Debug, Clone)]
pub enum Place {
    Native {
        rpmbuild: Utf8PathBuf,
        nodeps: bool,
        /// Said when the xtask, not the user, turned `--nodeps` on.
        nodeps_note: Option<&'static str>,
    },
    Container {
        engine: Engine,
        base_image: String,
        rebuild_builder: bool,
        ccache: bool,
        /// ccache in this host directory instead of the builder's volume.
        ccache_dir: Option<Utf8PathBuf>,
        nodeps: bool,
    },
}

/// `--native`, `--container`, or (neither) the container when an engine answers, else native
/// when rpmbuild exists: `Where::Native` or `Where::Container`, never `Auto`. `engine` is None
/// when no engine is installed, else whether it answers.
pub fn where_to_build(
    wanted: Where,
    engine: Option<std::result::Result<(), Unusable>>,
    rpmbuild_found: bool,
) -> std::result::Result<Where, Unavailable> {
    let no = |why: String| Err(Unavailable(why));
    match wanted {
        Where::Native if rpmbuild_found => Ok(Where::Native),
        Where::Native => no(format!(
            "{RPMBUILD_HINT}, or build in a container (drop --native)"
        )),
        Where::Container => match engine {
            Some(Ok(())) => Ok(Where::Container),
            Some(Err(why)) => no(why.0),
            None => no(
                "no container engine: install docker or podman, name one with --engine \
                 or CONTAINER_ENGINE, or build with --native (cargo xtask doctor)"
                    .into(),
            ),
        },
        Where::Auto => match engine {
            Some(Ok(())) => Ok(Where::Container),
            _ if rpmbuild_found => Ok(Where::Native),
            Some(Err(why)) => no(format!(
                "{why}; rpmbuild is not installed either, so --native cannot stand in \
                 (cargo xtask doctor)"
            )),
            None => no(
                "nothing to build with: install docker or podman (cargo xtask rpm then \
                 builds in a container) or rpmbuild (then --native; Debian/Ubuntu: apt-get \
                 install rpm; Fedora/EL: dnf install rpm-build); cargo xtask doctor says \
                 what this machine has"
                    .into(),
            ),
        },
    }
}

/// What the host's rpm database knows.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum HostRpmdb {
    /// The host's packages are RPMs: BuildRequires can be checked.
    KnowsHostPackages,
    /// A Debian-family host: every BuildRequires would be reported missing.
    Foreign,
}

/// Whether to pass `--nodeps` to a native rpmbuild (`asked`: the flag), and a note when the
/// xtask decided it.
fn decide_nodeps(asked: bool, host: HostRpmdb) -> (bool, Option<&'static str>) {
    match (asked, host) {
        (true, _) => (true, None),
        (false, HostRpmdb::KnowsHostPackages) => (false, None),
        (false, HostRpmdb::Foreign) => (
            true,
            Some(
                "this host's packages are not in the rpm database (a Debian-family host?): \
                 BuildRequires are not checked (--nodeps)",
            ),
        ),
    }
}

/// The concern's flags, as the plan's table names them.
pub type Flags = PlaceFlags;

/// The concern's part of the plan: where the build runs, or why it cannot (`image` needs it only
/// when its RPMs are stale, so the reason is kept, not raised).
pub type Part = std::result::Result<Place, Unavailable>;

/// The part, resolved; `--ccache-dir` inside the xtask's own directories, or a native build's
/// work directory that rpm cannot use, is refused at once.
pub fn part(flags: &PlaceFlags, cx: &Cx) -> Result<Part> {
    if let Some(dir) = &flags.ccache_dir {
        check_apart(dir, "--ccache-dir", Near::Inside, cx.ws)?;
    }
    let place = resolve(cx.sh, flags);
    if let Ok(Place::Native { .. }) = &place {
        check_rpm_can_work_in(cx.work)?;
        let unused = container_only(flags);
        if !unused.is_empty() {
            eprintln!(
                "note: {} {} for container builds; this one runs on this host, without {}",
                unused.join(", "),
                if unused.len() == 1 { "is" } else { "are" },
                if unused.len() == 1 { "it" } else { "them" }
            );
        }
    }
    Ok(place)
}

/// What the command line says that bpaf would misread (it would say "`--native` cannot be used
/// multiple times"), as the line to say instead.
pub fn misread_words(words: &[&str]) -> Option<&'static str> {
    (words.contains(&"--native") && words.contains(&"--container"))
        .then_some("--native and --container exclude each other: choose where the build runs")
}

/// Where the build runs, or the reason it cannot, as an error (`plan.place` is the part).
pub fn required(part: &Part) -> Result<&Place> {
    part.as_ref().map_err(|why| anyhow::anyhow!(why.clone()))
}

/// The flags given that only a container build reads (not `--engine`, which `image` uses
/// after a native build, nor `--rebuild-builder`, which also builds the packages again).
fn container_only(flags: &PlaceFlags) -> Vec<&'static str> {
    [
        ("--base-image", flags.base_image.is_some()),
        ("--no-ccache", flags.no_ccache),
        ("--ccache-dir", flags.ccache_dir.is_some()),
    ]
    .into_iter()
    .filter_map(|(flag, given)| given.then_some(flag))
    .collect()
}

/// Where the build runs on this machine, or why it cannot.
fn resolve(sh: Shell, flags: &PlaceFlags) -> Part {
    let rpmbuild = which::which("rpmbuild")
        .ok()
        .and_then(|p| Utf8PathBuf::try_from(p).ok());
    let engine = match flags.place {
        Where::Native => None,
        _ => Engine::find(sh, flags.engine.as_deref()),
    };
    let answers = engine.as_ref().map(|e| {
        e.check()
            .and_then(|()| e.check_buildkit())
            .map_err(|err| Unusable::of(&err))
    });
    let choice = where_to_build(flags.place, answers.clone(), rpmbuild.is_some())?;
    match (choice, engine, rpmbuild) {
        (Where::Container, Some(engine), _) => Ok(Place::Container {
            engine,
            base_image: flags
                .base_image
                .clone()
                .unwrap_or_else(|| DEFAULT_BASE_IMAGE.to_string()),
            rebuild_builder: flags.rebuild_builder,
            ccache: !flags.no_ccache,
            ccache_dir: match &flags.ccache_dir {
                Some(dir) if flags.no_ccache => {
                    return Err(Unavailable(format!(
                        "--ccache-dir {dir} and --no-ccache ask for opposite things: drop one"
                    )))
                }
                Some(dir) => Some(absolute(dir).map_err(|e| Unavailable(format!("{e:#}")))?),
                None => None,
            },
            nodeps: flags.nodeps,
        }),
        (Where::Native, _, Some(rpmbuild)) => {
            if let Some(Err(why)) = answers {
                eprintln!("note: {why}; building with this host's rpmbuild");
            }
            let (nodeps, nodeps_note) = decide_nodeps(flags.nodeps, host_rpmdb(sh));
            Ok(Place::Native {
                rpmbuild,
                nodeps,
                nodeps_note,
            })
        }
        _ => Err(Unavailable(RPMBUILD_HINT.into())),
    }
}

/// What `--verbose`'s plan calls this concern's line.
pub const SAYS: &str = "build in";

/// The place in a line, for `--verbose`.
pub fn describe(_: &Flags, place: &std::result::Result<Place, Unavailable>) -> String {
    match place {
        Ok(Place::Native {
            rpmbuild, nodeps, ..
        }) => format!("this host ({rpmbuild}), BuildRequires checked: {}", !nodeps),
        Ok(Place::Container {
            engine,
            base_image,
            rebuild_builder,
            ccache,
            ccache_dir,
            nodeps,
        }) => format!(
            "a container ({}), builder from {base_image}{}, ccache: {}, BuildRequires checked: {}",
            engine.program,
            if *rebuild_builder { " (rebuilt)" } else { "" },
            match (ccache, ccache_dir) {
                (false, _) => "off".to_string(),
                (true, Some(dir)) => format!("in {dir}"),
                (true, None) => "in a volume".to_string(),
            },
            !nodeps
        ),
        Err(why) => format!("nowhere: {why}"),
    }
}

/// Whether rpm's database knows what provides /bin/sh: it does not on hosts whose packages are
/// not RPMs.
fn host_rpmdb(sh: Shell) -> HostRpmdb {
    let knows = sh
        .rpm()
        .args(["-q", "--whatprovides", "/bin/sh"])
        .read_optional()
        .is_ok_and(|answer| answer.is_some());
    if knows {
        HostRpmdb::KnowsHostPackages
    } else {
        HostRpmdb::Foreign
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn flags_a_native_build_does_not_read() {
        let none = PlaceFlags::default();
        assert!(container_only(&none).is_empty());
        let some = PlaceFlags {
            engine: Some("podman".into()),
            base_image: Some("b".into()),
            rebuild_builder: true,
            ccache_dir: Some("/c".into()),
            ..PlaceFlags::default()
        };
        assert_eq!(container_only(&some), ["--base-image", "--ccache-dir"]);
    }

    #[test]
    fn the_flags_say_themselves_again() {
        // What bench passes on to rpm parses back to the choices it was made of.
        let cases = [
            PlaceFlags::default(),
            PlaceFlags {
                place: Where::Native,
                nodeps: true,
                ..PlaceFlags::default()
            },
            PlaceFlags {
                place: Where::Container,
                engine: Some("/usr/bin/podman".into()),
                base_image: Some("localhost/alma:9".into()),
                rebuild_builder: true,
                no_ccache: true,
                ccache_dir: Some("/var/cache/ccache".into()),
                nodeps: false,
            },
        ];
        for want in cases {
            let args = want.args().unwrap();
            let words: Vec<&str> = args.iter().map(String::as_str).collect();
            let got = flags().to_options().run_inner(words.as_slice()).unwrap();
            assert_eq!(got, want, "{args:?}");
        }
        let relative = PlaceFlags {
            ccache_dir: Some("cc".into()),
            ..PlaceFlags::default()
        };
        let args = relative.args().unwrap();
        assert!(Utf8PathBuf::from(&args[1]).is_absolute(), "{args:?}");
    }

    #[test]
    fn where_the_build_runs() {
        let up = || Some(Ok(()));
        let down = || {
            Some(Err(Unusable(
                "the container engine docker does not answer".to_string(),
            )))
        };
        let ok = [
            ((Where::Native, None, true), Where::Native),
            ((Where::Container, up(), false), Where::Container),
            ((Where::Auto, up(), true), Where::Container),
            ((Where::Auto, down(), true), Where::Native),
            ((Where::Auto, None, true), Where::Native),
        ];
        for ((wanted, engine, rpmbuild), want) in ok {
            assert_eq!(where_to_build(wanted, engine, rpmbuild).unwrap(), want);
        }
        let bad = [
            ((Where::Native, up(), false), "apt-get install rpm"),
            ((Where::Container, down(), true), "does not answer"),
            ((Where::Container, None, true), "no container engine"),
            (
                (Where::Auto, down(), false),
                "rpmbuild is not installed either",
            ),
            ((Where::Auto, None, false), "install docker or podman"),
        ];
        for ((wanted, engine, rpmbuild), want) in bad {
            let err = where_to_build(wanted, engine, rpmbuild).unwrap_err();
            assert!(err.0.contains(want), "{err}");
        }
    }

    #[test]
    fn nodeps_decision() {
        use HostRpmdb::*;
        assert_eq!(decide_nodeps(true, KnowsHostPackages), (true, None));
        assert_eq!(decide_nodeps(true, Foreign), (true, None));
        assert_eq!(decide_nodeps(false, KnowsHostPackages), (false, None));
        let (on, note) = decide_nodeps(false, Foreign);
        assert!(on && note.is_some());
    }
}
