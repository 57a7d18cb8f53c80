//! Flags and this machine resolved, once, into the plan every stage follows.
//!
//! The only reader of the raw flags: where the build runs (and why), whether BuildRequires are
//! checked, ccache, jobs, the output, work and download-cache directories, the version
//! overrides, dry run and verbosity (as the `Shell` that makes every command). `--verbose`
//! prints the plan. The decisions themselves are pure functions with table tests.

use anyhow::{bail, Context, Result};
use camino::{Utf8Path, Utf8PathBuf};

use crate::build::options::{self, Wanted};
use crate::cli::{RpmFlags, Usage, Where};
use crate::container::engine::Engine;
use crate::exec::Shell;
use crate::thirdparty::cache::{self, Network};
use crate::thirdparty::BUNDLED;
use crate::Workspace;

/// The install hint for a missing rpmbuild, per distribution.
pub const RPMBUILD_HINT: &str = "rpmbuild is not installed: install it (Fedora/RHEL/Rocky/Alma: \
    dnf install rpm-build; Debian/Ubuntu: apt-get install rpm; openSUSE: zypper install rpm-build; \
    Arch: pacman -S rpm-tools; cargo xtask doctor checks the rest)";
/// The default base of the builder: see contrib/docker/Dockerfile.builder for why.
pub const DEFAULT_BASE_IMAGE: &str = "docker.io/library/almalinux:9";

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

/// How rpmbuild's output reaches the user.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Output {
    /// Every line.
    Stream,
    /// One line per phase (`-q`).
    Phases,
}

/// Everything a build does, decided.
#[derive(Debug, Clone)]
pub struct Plan {
    pub sh: Shell,
    pub source: Option<Utf8PathBuf>,
    pub spec: Option<Utf8PathBuf>,
    pub out: Utf8PathBuf,
    /// rpmbuild's directories: under the target directory, reset by every build.
    pub work: Utf8PathBuf,
    /// Where third-party tarballs are fetched to and taken from.
    pub download_cache: Utf8PathBuf,
    /// The third-party packages the build bundles (none with `--without-pjproject`).
    pub bundled: Vec<&'static str>,
    pub network: Network,
    /// Sound sets to package (menuselect names); none by default.
    pub sounds: Vec<String>,
    /// Menuselect and configure choices, dev mode: the environment's, then the flags'.
    pub options: Wanted,
    /// The gpg key to sign the packages with.
    pub sign: Option<String>,
    /// Build twice and compare the packages.
    pub check_reproducible: bool,
    /// `--incremental`, `--clean`, or neither (decided per tree in the build).
    pub incremental: crate::build::incremental::Asked,
    pub rpm_version: Option<String>,
    pub rpm_release: Option<String>,
    pub jobs: Option<u32>,
    pub output: Output,
    /// Where a build would run, or why none can: `image` needs it only when its RPMs are stale.
    pub place: std::result::Result<Place, String>,
}

/// What the flags and the machine allow, in the order the README gives.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Choice {
    Native,
    Container,
}

/// `--native`, `--container`, or (neither) the container when an engine answers, else native
/// when rpmbuild exists. `engine` is None when no engine is installed, else whether it answers.
pub fn choose(
    wanted: Where,
    engine: Option<std::result::Result<(), String>>,
    rpmbuild_found: bool,
) -> std::result::Result<Choice, String> {
    match wanted {
        Where::Native if rpmbuild_found => Ok(Choice::Native),
        Where::Native => Err(format!(
            "{RPMBUILD_HINT}, or build in a container (drop --native)"
        )),
        Where::Container => match engine {
            Some(Ok(())) => Ok(Choice::Container),
            Some(Err(why)) => Err(why),
            None => Err(
                "no container engine: install docker or podman, name one with --engine \
                 or CONTAINER_ENGINE, or build with --native (cargo xtask doctor)"
                    .into(),
            ),
        },
        Where::Auto => match engine {
            Some(Ok(())) => Ok(Choice::Container),
            _ if rpmbuild_found => Ok(Choice::Native),
            Some(Err(why)) => Err(format!(
                "{why}; rpmbuild is not installed either, so --native cannot stand in \
                 (cargo xtask doctor)"
            )),
            None => Err(
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
pub enum HostRpmdb {
    /// The host's packages are RPMs: BuildRequires can be checked.
    KnowsHostPackages,
    /// A Debian-family host: every BuildRequires would be reported missing.
    Foreign,
}

/// Whether to pass `--nodeps` to a native rpmbuild (`asked`: the flag), and a note when the
/// xtask decided it.
pub fn decide_nodeps(asked: bool, host: HostRpmdb) -> (bool, Option<&'static str>) {
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

impl Plan {
    /// Resolves `rpm`'s flags (also `image`'s) on this machine.
    pub fn resolve(flags: &RpmFlags, ws: &Workspace) -> Result<Plan> {
        let sh = Shell {
            dry_run: flags.dry_run,
            verbose: flags.verbose,
        };
        let out = match &flags.out {
            Some(dir) => {
                check_apart(dir, "--out", Near::InsideOrHolding, ws)?;
                absolute(dir)?
            }
            None => ws.target.join("rpm"),
        };
        if let Some(dir) = &flags.download_cache {
            check_apart(dir, "--download-cache", Near::Inside, ws)?;
        }
        if let Some(dir) = &flags.ccache_dir {
            check_apart(dir, "--ccache-dir", Near::Inside, ws)?;
        }
        let plan = Plan {
            sh,
            source: flags.source.clone(),
            spec: flags.spec.clone(),
            out,
            work: ws.target.join("xtask/rpm-work"),
            download_cache: download_cache(flags.download_cache.as_deref())?,
            bundled: if flags.without_pjproject {
                Vec::new()
            } else {
                BUNDLED.to_vec()
            },
            network: if flags.offline {
                Network::Off
            } else {
                Network::Allowed
            },
            sounds: flags.sounds.clone(),
            options: wanted(flags, std::env::var(options::ENV).ok().as_deref())?,
            sign: flags.sign.clone(),
            check_reproducible: flags.check_reproducible,
            incremental: flags.incremental,
            rpm_version: flags.rpm_version.clone(),
            rpm_release: flags.rpm_release.clone(),
            jobs: flags.jobs,
            output: if flags.quiet {
                Output::Phases
            } else {
                Output::Stream
            },
            place: place(sh, flags),
        };
        if flags.verbose {
            eprint!("{}", plan.describe());
        }
        Ok(plan)
    }

    /// The plan in a few lines, for `--verbose`.
    pub fn describe(&self) -> String {
        let place = match &self.place {
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
        };
        let or_default = |v: &Option<String>| v.clone().unwrap_or_else(|| "derived".into());
        let bundled = if self.bundled.is_empty() {
            "nothing bundled".to_string()
        } else {
            self.bundled.join(", ")
        };
        let downloads = format!("{} ({bundled}; {:?})", self.download_cache, self.network);
        let o = &self.options;
        let choices: Vec<String> = o
            .choices
            .iter()
            .map(|c| format!("{} {}", c.flag(), c.name()))
            .collect();
        let options = format!(
            "dev: {}; menuselect: {}; file: {}; configure: {}",
            o.dev,
            if choices.is_empty() {
                "the spec's".to_string()
            } else {
                choices.join(" ")
            },
            o.menuselect_file
                .as_ref()
                .map_or("none".to_string(), |f| f.to_string()),
            if o.configure_args.is_empty() {
                "the spec's".to_string()
            } else {
                o.configure_args.join(" ")
            },
        );
        format!(
            "plan:\n  build in   {place}\n  outputs    {}\n  work       {}\n  downloads  {}\n  \
             options    {options}\n  jobs       {}\n  version    {} / release {}\n  output     {:?}, dry run: {}\n",
            self.out,
            self.work,
            downloads,
            self.jobs.map_or("every CPU".to_string(), |j| j.to_string()),
            or_default(&self.rpm_version),
            or_default(&self.rpm_release),
            self.output,
            self.sh.dry_run
        )
    }

    /// Where the build runs, or the reason it cannot, as an error.
    pub fn place(&self) -> Result<&Place> {
        self.place.as_ref().map_err(|why| anyhow::anyhow!("{why}"))
    }
}

/// The choices: the environment's words first, then the flags', in order. A bad word in the
/// environment is a usage error, as a bad flag is.
pub fn wanted(flags: &RpmFlags, env: Option<&str>) -> Result<Wanted> {
    let mut choices = options::parse_words(env.unwrap_or("")).map_err(Usage)?;
    choices.extend(flags.choices.iter().cloned());
    let menuselect_file = match &flags.menuselect {
        Some(path) => Some(absolute(path)?),
        None => None,
    };
    Ok(Wanted {
        choices,
        menuselect_file,
        configure_args: flags.configure_args.clone(),
        dev: flags.dev,
    })
}

fn place(sh: Shell, flags: &RpmFlags) -> std::result::Result<Place, String> {
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
            .map_err(|err| format!("{err:#}"))
    });
    let choice = choose(flags.place, answers.clone(), rpmbuild.is_some())?;
    match (choice, engine, rpmbuild) {
        (Choice::Container, Some(engine), _) => Ok(Place::Container {
            engine,
            base_image: flags
                .base_image
                .clone()
                .unwrap_or_else(|| DEFAULT_BASE_IMAGE.to_string()),
            rebuild_builder: flags.rebuild_builder,
            ccache: !flags.no_ccache,
            ccache_dir: match &flags.ccache_dir {
                Some(dir) if flags.no_ccache => {
                    return Err(format!(
                        "--ccache-dir {dir} and --no-ccache ask for opposite things: drop one"
                    ))
                }
                Some(dir) => Some(absolute(dir).map_err(|e| format!("{e:#}"))?),
                None => None,
            },
            nodeps: flags.nodeps,
        }),
        (Choice::Native, _, Some(rpmbuild)) => {
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
        _ => Err(RPMBUILD_HINT.into()),
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

/// `--download-cache DIR`, else the default under the user's cache directory.
fn download_cache(given: Option<&Utf8Path>) -> Result<Utf8PathBuf> {
    match given {
        Some(dir) => absolute(dir),
        None => cache::default_dir(
            std::env::var("XDG_CACHE_HOME").ok().as_deref(),
            std::env::var("HOME").ok().as_deref(),
        )
        .context("no download cache: set HOME or XDG_CACHE_HOME, or pass --download-cache DIR"),
    }
}

/// How a directory the user names may stand to the xtask's own work directory
/// (`<target>/xtask`), whose directories every build empties.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Near {
    /// Inside it is refused (an output, a cache): the next build would empty it.
    Inside,
    /// Inside it or holding it is refused (an output directory, which a build replaces).
    InsideOrHolding,
}

/// Refuses a directory given with `flag` that lies inside the xtask's work directory (or, for
/// `Near::InsideOrHolding`, holds it): one line, before anything is done.
pub fn check_apart(path: &Utf8Path, flag: &str, near: Near, ws: &Workspace) -> Result<()> {
    let ours = resolved(&ws.target.join("xtask"));
    let given = resolved(&absolute(path)?);
    if given.starts_with(&ours) {
        bail!(
            "{flag} {path} is inside {ours}, the xtask's own work directory, which every build \
             empties: choose a directory outside it"
        );
    }
    if near == Near::InsideOrHolding && ours.starts_with(&given) {
        bail!(
            "{flag} {path} holds {ours}, the xtask's own work directory (and the target \
             directory {}): choose a directory of its own (the default is {}/rpm)",
            ws.target,
            ws.target
        );
    }
    Ok(())
}

/// `path` with `.` and `..` worked out and its deepest existing part's links resolved, so that
/// two names of one place compare equal.
pub fn resolved(path: &Utf8Path) -> Utf8PathBuf {
    let mut lexical = Utf8PathBuf::new();
    for part in path.components() {
        match part {
            camino::Utf8Component::ParentDir => {
                lexical.pop();
            }
            camino::Utf8Component::CurDir => {}
            other => lexical.push(other.as_str()),
        }
    }
    let mut existing = lexical.clone();
    let mut rest = Vec::new();
    loop {
        if let Ok(real) = existing.canonicalize_utf8() {
            let mut out = real;
            for part in rest.iter().rev() {
                out.push(part);
            }
            return out;
        }
        match (existing.file_name().map(str::to_string), existing.parent()) {
            (Some(name), Some(parent)) => {
                rest.push(name);
                existing = parent.to_owned();
            }
            _ => return lexical,
        }
    }
}

/// `path` made absolute against the current directory.
pub fn absolute(path: &Utf8Path) -> Result<Utf8PathBuf> {
    if path.is_absolute() {
        return Ok(path.to_owned());
    }
    let cwd = std::env::current_dir().context("finding the current directory")?;
    let cwd = Utf8PathBuf::try_from(cwd).context("the current directory is not UTF-8")?;
    Ok(cwd.join(path))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn where_the_build_runs() {
        let up = || Some(Ok(()));
        let down = || {
            Some(Err(
                "the container engine docker does not answer".to_string()
            ))
        };
        let ok = [
            ((Where::Native, None, true), Choice::Native),
            ((Where::Container, up(), false), Choice::Container),
            ((Where::Auto, up(), true), Choice::Container),
            ((Where::Auto, down(), true), Choice::Native),
            ((Where::Auto, None, true), Choice::Native),
        ];
        for ((wanted, engine, rpmbuild), want) in ok {
            assert_eq!(choose(wanted, engine, rpmbuild).unwrap(), want);
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
            let err = choose(wanted, engine, rpmbuild).unwrap_err();
            assert!(err.contains(want), "{err}");
        }
    }

    #[test]
    fn directories_apart_from_the_work_directory() {
        let base = Utf8PathBuf::try_from(std::env::temp_dir())
            .unwrap()
            .join(format!("xtask-apart-{}", std::process::id()));
        let ws = Workspace {
            root: base.join("root"),
            target: base.join("root/target"),
        };
        std::fs::create_dir_all(ws.target.join("xtask/rpm-work")).unwrap();
        let t = ws.target.as_str();
        let cases = [
            (format!("{t}/rpm"), Near::InsideOrHolding, None),
            (format!("{base}/elsewhere/out"), Near::InsideOrHolding, None),
            (
                format!("{t}/xtask/rpm-work/out"),
                Near::InsideOrHolding,
                Some("is inside"),
            ),
            (
                format!("{t}/rpm/../xtask/new"),
                Near::Inside,
                Some("is inside"),
            ),
            (format!("{t}/xtask"), Near::Inside, Some("is inside")),
            (t.to_string(), Near::InsideOrHolding, Some("holds")),
            ("/".to_string(), Near::InsideOrHolding, Some("holds")),
            ("/".to_string(), Near::Inside, None),
        ];
        for (path, near, want) in cases {
            let got = check_apart(Utf8Path::new(&path), "--out", near, &ws);
            match want {
                None => assert!(got.is_ok(), "{path}: {got:?}"),
                Some(w) => {
                    let e = got.unwrap_err().to_string();
                    assert!(e.contains(w) && !e.contains('\n'), "{path}: {e}");
                }
            }
        }
        // Through a link to the work directory, too.
        std::os::unix::fs::symlink(ws.target.join("xtask"), base.join("link")).unwrap();
        assert!(check_apart(&base.join("link/out"), "--out", Near::Inside, &ws).is_err());
        std::fs::remove_dir_all(&base).unwrap();
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

    #[test]
    fn the_plan_reads_as_lines() {
        let plan = Plan {
            sh: Shell::default(),
            source: None,
            spec: None,
            out: "/t/rpm".into(),
            work: "/t/xtask/rpm-work".into(),
            download_cache: "/t/downloads".into(),
            bundled: vec!["pjproject"],
            network: Network::Off,
            sounds: vec![],
            options: Wanted {
                dev: true,
                choices: vec![options::Choice::Enable("app_skel".into())],
                ..Wanted::default()
            },
            sign: None,
            check_reproducible: false,
            incremental: Default::default(),
            rpm_version: None,
            rpm_release: Some("7".into()),
            jobs: Some(2),
            output: Output::Phases,
            place: Ok(Place::Native {
                rpmbuild: "/usr/bin/rpmbuild".into(),
                nodeps: true,
                nodeps_note: None,
            }),
        };
        let text = plan.describe();
        for want in [
            "build in   this host (/usr/bin/rpmbuild), BuildRequires checked: false",
            "outputs    /t/rpm",
            "jobs       2",
            "version    derived / release 7",
            "options    dev: true; menuselect: --enable app_skel; file: none; configure: the spec's",
        ] {
            assert!(text.contains(want), "{want}:\n{text}");
        }
    }
}
