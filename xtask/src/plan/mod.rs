//! The user's choices, resolved once into the plan every stage follows.
//!
//! Each concern is a module of its own that owns its flags (a bpaf parser) and its part of the
//! plan (`concern` says what a concern module has; its record in the manifest is made beside
//! its stage's work): `place` (where rpmbuild runs), `bundled` (third-party sources and their cache),
//! `options` (menuselect, configure, dev), `sign`, `sounds`, `incremental`, `reproducible`.
//! This file composes them in one table, `concerns!`, one line a concern, beside the few flags
//! every build has (`Core`). `--verbose` prints the plan. The decisions are pure functions with
//! table tests.

pub mod concern;
pub mod flag;
pub mod paths;

// The concerns' modules, declared here rather than by `concerns!` so that `cargo fmt` finds
// their files (it does not look into macros).
pub mod bundled;
pub mod incremental;
pub mod options;
pub mod place;
pub mod reproducible;
pub mod sign;
pub mod sounds;

use anyhow::Result;
use bpaf::{construct, long, short, Parser};
use camino::Utf8PathBuf;

use flag::Usage;

use crate::infra::exec::Shell;
use crate::infra::workspace::Workspace;
use concern::Cx;

/// The most `--jobs` may ask for: make's jobserver hangs when the tokens do not fit its pipe.
const MAX_JOBS: u32 = 1024;

/// What every build is told, whatever the concerns.
#[derive(Debug, Clone, Default)]
pub struct Core {
    pub source: Option<Utf8PathBuf>,
    pub out: Option<Utf8PathBuf>,
    pub spec: Option<Utf8PathBuf>,
    pub rpm_version: Option<String>,
    pub rpm_release: Option<String>,
    /// `--force`: build even when the published outputs are this build's.
    pub force: bool,
    pub jobs: Option<u32>,
    pub quiet: bool,
    /// `--dry-run` and `--verbose`.
    pub sh: Shell,
    /// `--fetch-tags`: fetch the repository's tags before reading the version.
    pub fetch_tags: bool,
}

/// `--rpm-version` or `--rpm-release`, checked as rpm takes them.
fn rpm_field_flag(name: &str, v: Option<String>) -> std::result::Result<Option<String>, Usage> {
    match &v {
        Some(s) => {
            let field = match name {
                "--rpm-version" => "Version",
                _ => "Release",
            };
            flag::rpm_field(&format!("the RPM {field} ({name})"), s).map(|()| v)
        }
        None => Ok(None),
    }
}

/// `--jobs N`: 1 to 1024.
pub fn jobs(v: &str) -> std::result::Result<u32, Usage> {
    v.parse::<u32>()
        .ok()
        .filter(|n| (1..=MAX_JOBS).contains(n))
        .ok_or_else(|| {
            Usage(format!(
                "--jobs takes a whole number from 1 to {MAX_JOBS}, not '{v}'"
            ))
        })
}

fn core_flags() -> impl Parser<Core> {
    let source =
        flag::source("The Asterisk tree to package (default: the checkout the xtask lives in)");
    let out = flag::out(
        "Where the RPMs, SRPM, source archive and manifest.json go (default: <target>/rpm)",
    );
    let spec = flag::path(
        "spec",
        "FILE",
        "Use this spec instead of contrib/rpm/asterisk.spec from the tree or beside the xtask",
    );
    let rpm_version = flag::text(
        "rpm-version",
        "V",
        "RPM Version instead of the one derived from the Asterisk version",
    )
    .parse(|v| rpm_field_flag("--rpm-version", v));
    let rpm_release = flag::text(
        "rpm-release",
        "R",
        "RPM Release instead of the derived one (1, or 1.dirty.<time> for uncommitted changes)",
    )
    .parse(|v| rpm_field_flag("--rpm-release", v));
    let force = long("force")
        .help("Build even when the output directory already holds this build's packages (same archive bytes, spec, options, builder)")
        .switch();
    let jobs = long("jobs")
        .help("Parallel make jobs, 1 to 1024 (default: every CPU)")
        .argument::<String>("N")
        .parse(|v| jobs(&v))
        .optional();
    let quiet = short('q')
        .long("quiet")
        .help("One line per rpmbuild phase instead of its whole output")
        .switch();
    let sh = flag::shell_of_a_build("Print what would run; build and write nothing");
    let fetch_tags = long("fetch-tags")
        .help("Fetch the tags of the tree's git remote before reading the version (make_version describes the commit with the tags it can see; a clone made without tags gets a lower version). The only write the xtask makes to the tree's repository, and only when asked")
        .switch();
    construct!(Core {
        source,
        out,
        spec,
        rpm_version,
        rpm_release,
        force,
        jobs,
        quiet,
        sh,
        fetch_tags,
    })
}

/// How rpmbuild's output reaches the user.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum BuildLog {
    /// Every line.
    Stream,
    /// One line per phase (`-q`).
    Phases,
}

/// The concerns, one line each: those with a part of the plan, then those whose flags are all
/// they have. Each line gives the concern's module (declared above) its field in `RpmFlags`, its parser in
/// `rpm_flags` (in this order in `--help`) and, for the first kind, its part in `Plan`,
/// resolved in this order by `Plan::resolve`.
macro_rules! concerns {
    (planned { $($p:ident,)* } flags only { $($f:ident,)* }) => {
        /// `rpm`'s flags (`image` takes them too): the core and each concern's.
        #[derive(Debug, Clone, Default)]
        pub struct RpmFlags {
            pub core: Core,
            $(pub $p: $p::Flags,)*
            $(pub $f: $f::Flags,)*
        }

        /// `rpm`'s whole command line: the core, then each concern's flags.
        pub fn rpm_flags() -> impl Parser<RpmFlags> {
            let core = core_flags();
            $(let $p = $p::flags();)*
            $(let $f = $f::flags();)*
            construct!(RpmFlags { core, $($p,)* $($f,)* })
        }

        /// Everything a build does, decided: the flags as given, what every build has, and
        /// each concern's part of the plan. A concern of flags only adds nothing here: the
        /// stages read `given`.
        #[derive(Debug, Clone)]
        pub struct Plan {
            /// How programs run (`--dry-run`, `--verbose`).
            pub sh: Shell,
            /// The command line as given.
            pub given: RpmFlags,
            /// `--out`, or the default, checked.
            pub out: Utf8PathBuf,
            /// rpmbuild's directories: under the target directory, reset by every build.
            pub work: Utf8PathBuf,
            pub log: BuildLog,
            $(pub $p: $p::Part,)*
        }

        impl Plan {
            /// Resolves `rpm`'s flags (also `image`'s) on this machine.
            pub fn resolve(flags: &RpmFlags, ws: &Workspace) -> Result<Plan> {
                let core = &flags.core;
                let out = paths::out_or_default(core.out.as_deref(), ws)?;
                let work = ws.target.join("xtask/rpm-work");
                let cx = Cx {
                    sh: core.sh,
                    ws,
                    out: &out,
                    work: &work,
                    without_libraries: &flags.options.without_libraries,
                };
                $(let $p = $p::part(&flags.$p, &cx)?;)*
                let plan = Plan {
                    sh: core.sh,
                    given: flags.clone(),
                    log: match core.quiet {
                        true => BuildLog::Phases,
                        false => BuildLog::Stream,
                    },
                    out,
                    work,
                    $($p,)*
                };
                if core.sh.verbose {
                    eprint!("{}", plan.describe());
                }
                Ok(plan)
            }

            /// The plan in a few lines, for `--verbose`: what every build has, then each
            /// concern's part as it says it.
            pub fn describe(&self) -> String {
                let or_default =
                    |v: &Option<String>| v.clone().unwrap_or_else(|| "derived".into());
                let core = &self.given.core;
                let mut out = format!(
                    "plan:\n  outputs    {}\n  work       {}\n  jobs       {}\n  version    {} / release {}\n  rpmbuild   {}, dry run: {}\n",
                    self.out,
                    self.work,
                    core.jobs.map_or("every CPU".to_string(), |j| j.to_string()),
                    or_default(&core.rpm_version),
                    or_default(&core.rpm_release),
                    match self.log {
                        BuildLog::Stream => "every line",
                        BuildLog::Phases => "a line per phase (-q)",
                    },
                    self.sh.dry_run
                );
                $(out.push_str(&format!(
                    "  {:<10} {}\n",
                    $p::SAYS,
                    $p::describe(&self.given.$p, &self.$p)
                ));)*
                $(out.push_str(&format!(
                    "  {:<10} {}\n",
                    $f::SAYS,
                    $f::describe(&self.given.$f)
                ));)*
                out
            }
        }
    };
}

concerns! {
    planned {
        place,
        bundled,
        options,
        sign,
    }
    flags only {
        sounds,
        incremental,
        reproducible,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_plan_reads_as_lines() {
        let plan = Plan {
            sh: Shell::default(),
            given: RpmFlags {
                core: Core {
                    rpm_release: Some("7".into()),
                    jobs: Some(2),
                    ..Core::default()
                },
                ..RpmFlags::default()
            },
            out: "/t/rpm".into(),
            work: "/t/xtask/rpm-work".into(),
            log: BuildLog::Phases,
            place: Ok(place::Place::Native {
                rpmbuild: "/usr/bin/rpmbuild".into(),
                nodeps: true,
                nodeps_note: None,
            }),
            bundled: bundled::BundledPlan {
                download_cache: "/t/downloads".into(),
                packages: vec!["pjproject", "libjwt"],
                network: bundled::Network::Off,
            },
            options: options::Wanted {
                dev: true,
                choices: vec![options::Choice::Enable("app_skel".into())],
                ..options::Wanted::default()
            },
            sign: None,
        };
        let text = plan.describe();
        for want in [
            "build in   this host (/usr/bin/rpmbuild), BuildRequires checked: false",
            "outputs    /t/rpm",
            "downloads  /t/downloads (pjproject, libjwt; offline)",
            "jobs       2",
            "version    derived / release 7",
            "options    dev: true; menuselect: --enable app_skel; file: none; configure: the spec's",
            "sign       no",
            "sounds     none",
            "incremental when the tree has uncommitted changes (never for a release)",
            "reproduce  no second build",
        ] {
            assert!(text.contains(want), "{want}:\n{text}");
        }
    }
}
