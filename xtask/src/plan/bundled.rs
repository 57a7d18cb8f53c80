//! What is bundled and where it is cached, as the user says it: `--download-cache DIR`,
//! `--offline`, `--without-pjproject`. The concern's flags and its part of the plan; `bundled`
//! fetches, verifies and records what the tree names.

use anyhow::{Context, Result};
use bpaf::{construct, long, Parser};
use camino::{Utf8Path, Utf8PathBuf};

use super::concern::Cx;
use super::flag;
use super::paths::{check_apart, check_cache_apart_from_out, Near};
use crate::infra::workspace::{absolute, user_cache_of_env};

/// The packages a build bundles, as Asterisk's configure can: pjproject (the SIP stack; a tree
/// must say how to fetch it) and libjwt (STIR/SHAKEN's JSON Web Tokens; bundled when the tree
/// has third-party/libjwt, as trees since Asterisk 18 do), unless the user builds without them.
/// jansson comes from the system.
pub const BUNDLED: &[&str] = &[PJPROJECT, "libjwt"];

/// The SIP stack's package: without it, no res_pjsip modules and no chan_pjsip.
pub const PJPROJECT: &str = "pjproject";

/// The bundled packages a tree may lack (older trees): bundled only where the tree names them.
pub const BUNDLED_IF_THE_TREE_HAS_IT: &[&str] = &["libjwt"];

/// Whether the network may be used.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Network {
    Allowed,
    /// `--offline`: nothing touches the network; what is missing is an error.
    Off,
}

/// What the flags say.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct BundledFlags {
    pub download_cache: Option<Utf8PathBuf>,
    pub offline: bool,
    pub without_pjproject: bool,
}

impl BundledFlags {
    /// The command line that says these choices, as `rpm` parses it (bench passes them on);
    /// `--download-cache` made absolute.
    pub fn args(&self) -> Result<Vec<String>> {
        let mut args: Vec<String> = Vec::new();
        if let Some(dir) = &self.download_cache {
            args.extend(["--download-cache".into(), absolute(dir)?.to_string()]);
        }
        if self.offline {
            args.push("--offline".into());
        }
        if self.without_pjproject {
            args.push("--without-pjproject".into());
        }
        Ok(args)
    }
}

/// `--download-cache DIR`, which `fetch` takes too.
pub fn cache_flag(help: &'static str) -> impl Parser<Option<Utf8PathBuf>> {
    flag::path("download-cache", "DIR", help)
}

/// `--offline`, which `fetch` takes too.
pub fn offline_flag(help: &'static str) -> impl Parser<bool> {
    long("offline").help(help).switch()
}

/// The concern's flags, as `rpm` (and `image`) take them.
pub fn flags() -> impl Parser<BundledFlags> {
    let download_cache = cache_flag(
        "Where the third-party tarballs the tree bundles are fetched to and taken from (default: $XDG_CACHE_HOME/asterisk-xtask/downloads, else ~/.cache/asterisk-xtask/downloads)",
    );
    let offline = offline_flag(
        "Touch no network: the download cache must hold every tarball (cargo xtask fetch fills it)",
    );
    let without_pjproject = long("without-pjproject")
        .help("Build without the bundled pjproject: no res_pjsip modules, no chan_pjsip (said in the summary and the manifest)")
        .switch();
    construct!(BundledFlags {
        download_cache,
        offline,
        without_pjproject,
    })
}

/// The concern's part of the plan.
#[derive(Debug, Clone)]
pub struct BundledPlan {
    /// Where third-party tarballs are fetched to and taken from.
    pub download_cache: Utf8PathBuf,
    /// The third-party packages the build bundles (none with `--without-pjproject`).
    pub packages: Vec<&'static str>,
    pub network: Network,
}

/// What is bundled: every package but those built without (`--without-pjproject`, or
/// `--without-library` naming the package's library).
pub fn packages(without_pjproject: bool, without_libraries: &[String]) -> Vec<&'static str> {
    BUNDLED
        .iter()
        .copied()
        .filter(|p| !(without_pjproject && *p == PJPROJECT))
        .filter(|p| !without_libraries.iter().any(|l| l.eq_ignore_ascii_case(p)))
        .collect()
}

/// Whether the network may be used, as `--offline` says.
pub fn network(offline: bool) -> Network {
    match offline {
        true => Network::Off,
        false => Network::Allowed,
    }
}

/// The concern's flags and its part of the plan, as the plan's table names them.
pub type Flags = BundledFlags;
pub type Part = BundledPlan;

/// The plan part: the cache resolved (refused inside the xtask's directories, or holding or
/// inside the output directory), what is bundled, whether the network may be used.
pub fn part(flags: &BundledFlags, cx: &Cx) -> Result<BundledPlan> {
    if let Some(dir) = &flags.download_cache {
        check_apart(dir, "--download-cache", Near::Inside, cx.ws)?;
    }
    let plan = BundledPlan {
        download_cache: cache_dir(flags.download_cache.as_deref())?,
        packages: packages(flags.without_pjproject, cx.without_libraries),
        network: network(flags.offline),
    };
    check_cache_apart_from_out(&plan.download_cache, cx.out)?;
    Ok(plan)
}

/// `--download-cache DIR`, else the default under the user's cache directory.
pub fn cache_dir(given: Option<&Utf8Path>) -> Result<Utf8PathBuf> {
    match given {
        Some(dir) => absolute(dir),
        // `$XDG_CACHE_HOME/asterisk-xtask/downloads`, else `~/.cache/asterisk-xtask/downloads`.
        None => user_cache_of_env().map(|c| c.join("downloads")).context(
            "no download cache: set HOME or XDG_CACHE_HOME to an absolute path, or pass --download-cache DIR",
        ),
    }
}

/// What `--verbose`'s plan calls this concern's line.
pub const SAYS: &str = "downloads";

/// The plan part in a line, for `--verbose`.
pub fn describe(_: &Flags, p: &BundledPlan) -> String {
    let bundled = match p.packages.is_empty() {
        true => "nothing bundled".to_string(),
        false => p.packages.join(", "),
    };
    let network = match p.network {
        Network::Allowed => "may fetch",
        Network::Off => "offline",
    };
    format!("{} ({bundled}; {network})", p.download_cache)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_flags_say_themselves_again() {
        let cases = [
            BundledFlags::default(),
            BundledFlags {
                download_cache: Some("/srv/downloads".into()),
                offline: true,
                without_pjproject: true,
            },
        ];
        for want in cases {
            let args = want.args().unwrap();
            let words: Vec<&str> = args.iter().map(String::as_str).collect();
            let got = flags().to_options().run_inner(words.as_slice()).unwrap();
            assert_eq!(got, want, "{args:?}");
        }
    }

    #[test]
    fn what_is_bundled() {
        let s = |v: &[&str]| v.iter().map(|x| x.to_string()).collect::<Vec<_>>();
        let cases: [(bool, Vec<String>, &[&str]); 5] = [
            (false, vec![], &["pjproject", "libjwt"]),
            (true, vec![], &["libjwt"]),
            (false, s(&["LIBJWT"]), &["pjproject"]),
            (false, s(&["PJPROJECT", "libjwt"]), &[]),
            (false, s(&["PGSQL"]), &["pjproject", "libjwt"]),
        ];
        for (without_pjproject, without, want) in cases {
            assert_eq!(packages(without_pjproject, &without), want, "{without:?}");
        }
    }
}
