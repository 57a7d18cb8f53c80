//! Every command's flags and their help, declared once.
//!
//! A small table-driven parser (no clap: it would double the xtask's cold build). Each flag is
//! declared with its help text; `cargo xtask --help` and `cargo xtask <command> --help` are
//! printed from the same tables, and a test checks the tables themselves. What it rejects is a
//! `Usage` error, which exits with 2.

use anyhow::{bail, Context, Result};
use camino::Utf8PathBuf;

pub struct Flag {
    pub name: &'static str,
    pub short: Option<char>,
    /// The value's placeholder, or None for a switch.
    pub value: Option<&'static str>,
    pub help: &'static str,
    /// May be given more than once.
    pub repeats: bool,
}

pub struct CommandSpec {
    pub name: &'static str,
    pub about: &'static str,
    pub flags: &'static [Flag],
}

const fn switch(name: &'static str, help: &'static str) -> Flag {
    Flag {
        name,
        short: None,
        value: None,
        help,
        repeats: false,
    }
}

const fn valued(name: &'static str, value: &'static str, help: &'static str) -> Flag {
    Flag {
        name,
        short: None,
        value: Some(value),
        help,
        repeats: false,
    }
}

pub const RPM_FLAGS: &[Flag] = &[
    valued(
        "source",
        "DIR",
        "The Asterisk tree to package (default: the checkout the xtask lives in)",
    ),
    valued(
        "out",
        "DIR",
        "Where the RPMs, SRPM, source archive and manifest.json go (default: <target>/rpm)",
    ),
    switch("native", "Build with this host's rpmbuild"),
    switch(
        "container",
        "Build in the builder container (the default when a container engine answers)",
    ),
    valued(
        "engine",
        "PROG",
        "Container engine program, a name or a path (default: $CONTAINER_ENGINE, else docker, else podman)",
    ),
    valued(
        "base-image",
        "IMG",
        "Base of the builder image (default: docker.io/library/almalinux:9); an image that has rpmbuild is used as it is",
    ),
    switch(
        "rebuild-builder",
        "Build the builder image even when one made of the same inputs exists",
    ),
    switch("no-ccache", "Build in the container without the ccache volume"),
    switch(
        "nodeps",
        "Do not check BuildRequires (passed to rpmbuild; automatic on hosts whose packages rpm does not know)",
    ),
    valued(
        "spec",
        "FILE",
        "Use this spec instead of contrib/rpm/asterisk.spec from the tree or beside the xtask",
    ),
    valued(
        "rpm-version",
        "V",
        "RPM Version instead of the one derived from the Asterisk version",
    ),
    valued(
        "rpm-release",
        "R",
        "RPM Release instead of the derived one (1, or 1.dirty.<time> for uncommitted changes)",
    ),
    valued(
        "download-cache",
        "DIR",
        "Directory with third-party tarballs (pjproject-<v>.tar.bz2) for a build without network \
         (default: ~/.cache/asterisk-xtask/downloads when it exists)",
    ),
    valued("jobs", "N", "Parallel make jobs (default: every CPU)"),
    Flag {
        name: "quiet",
        short: Some('q'),
        value: None,
        help: "One line per rpmbuild phase instead of its whole output",
        repeats: false,
    },
    switch(
        "dry-run",
        "Print what would run; build and write nothing",
    ),
    switch("verbose", "Also print the queries (git, rpm) the xtask runs"),
];

/// `image` takes every flag of `rpm` (for when the RPMs must be built first) and these.
pub const IMAGE_FLAGS: &[Flag] = &[
    Flag {
        name: "tag",
        short: None,
        value: Some("T"),
        help: "Tag the image T; may repeat (default: asterisk:<rpm version-release> and asterisk:dev)",
        repeats: true,
    },
    valued(
        "runtime-base",
        "IMG",
        "Base of the runtime image, with dnf, microdnf or rpm (default: docker.io/library/almalinux:9-minimal)",
    ),
    valued(
        "rtp-ports",
        "FIRST-LAST",
        "The UDP range for media: written into the image's rtp.conf and EXPOSEd (default: 10000-10099)",
    ),
];

pub const SMOKE_FLAGS: &[Flag] = &[
    valued("tag", "T", "The image to check (default: asterisk:dev)"),
    valued(
        "engine",
        "PROG",
        "Container engine program (default: $CONTAINER_ENGINE, else docker, else podman)",
    ),
    valued(
        "timeout",
        "SECS",
        "How long the container may take to become healthy (default: 120)",
    ),
];

pub const COMMANDS: &[CommandSpec] = &[
    CommandSpec {
        name: "rpm",
        about: "Pack the working tree into a source archive and build RPMs from it with the in-tree spec",
        flags: RPM_FLAGS,
    },
    CommandSpec {
        name: "image",
        about: "Build a runtime image from the RPMs of the working tree (building them first when needed)",
        flags: IMAGE_FLAGS,
    },
    CommandSpec {
        name: "smoke",
        about: "Start an image, wait until it is healthy, and check that it answers with its version",
        flags: SMOKE_FLAGS,
    },
];

/// Every flag a command takes: `image` takes `rpm`'s too.
pub fn flags_of(spec: &CommandSpec) -> Vec<&'static Flag> {
    let mut all: Vec<&'static Flag> = Vec::new();
    if spec.name == "image" {
        all.extend(RPM_FLAGS.iter());
    }
    all.extend(spec.flags.iter());
    all
}

#[derive(Debug, Clone, Default)]
pub struct RpmFlags {
    pub source: Option<Utf8PathBuf>,
    pub out: Option<Utf8PathBuf>,
    pub native: bool,
    pub container: bool,
    pub engine: Option<String>,
    pub base_image: Option<String>,
    pub rebuild_builder: bool,
    pub no_ccache: bool,
    pub nodeps: bool,
    pub spec: Option<Utf8PathBuf>,
    pub rpm_version: Option<String>,
    pub rpm_release: Option<String>,
    pub download_cache: Option<Utf8PathBuf>,
    pub jobs: Option<u32>,
    pub quiet: bool,
    pub dry_run: bool,
    pub verbose: bool,
}

#[derive(Debug, Clone, Default)]
pub struct ImageFlags {
    pub rpm: RpmFlags,
    pub tags: Vec<String>,
    pub runtime_base: Option<String>,
    /// The first and last RTP port.
    pub rtp_ports: (u16, u16),
}

/// Fifty calls' worth of RTP: enough to try a build, small enough for `docker run -P`.
pub const DEFAULT_RTP_PORTS: (u16, u16) = (10000, 10099);
/// The most ports `--rtp-ports` may name: each is a line in the image's config.
const MAX_RTP_PORTS: u32 = 10_001;

/// `FIRST-LAST`: an even first port (RTP, with RTCP on the odd one after it), at most
/// 10,001 ports, within 1024..=65535.
pub fn rtp_ports(v: &str) -> Result<(u16, u16)> {
    let parsed = v
        .split_once('-')
        .and_then(|(a, b)| Some((a.trim().parse::<u16>().ok()?, b.trim().parse::<u16>().ok()?)));
    match parsed {
        Some((first, last))
            if first >= 1024 && first < last && u32::from(last - first) < MAX_RTP_PORTS =>
        {
            Ok((first, last))
        }
        _ => bail!(
            "--rtp-ports takes FIRST-LAST, two ports from 1024 to 65535 with FIRST below LAST and \
             at most {MAX_RTP_PORTS} ports, not '{v}'"
        ),
    }
}

/// A tag the engine will accept: `name[:tag]`, lower-case name.
pub fn check_tag(tag: &str) -> Result<()> {
    let (name, t) = match tag.rsplit_once(':') {
        Some((n, t)) if !t.contains('/') => (n, Some(t)),
        _ => (tag, None),
    };
    let name_ok = !name.is_empty()
        && name
            .chars()
            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || "._-/:".contains(c));
    let tag_ok = t.is_none_or(|t| {
        !t.is_empty()
            && t.len() <= 128
            && !t.starts_with(['.', '-'])
            && t.chars()
                .all(|c| c.is_ascii_alphanumeric() || "_.-".contains(c))
    });
    if !name_ok || !tag_ok {
        bail!("--tag {tag} is not a valid image name: use name[:tag] with a lower-case name and a tag of letters, digits, _ . -");
    }
    Ok(())
}

#[derive(Debug, Clone, Default)]
pub struct SmokeFlags {
    pub tag: Option<String>,
    pub engine: Option<String>,
    pub timeout_secs: u64,
}

#[derive(Debug)]
pub enum Command {
    Help(String),
    Rpm(RpmFlags),
    Image(ImageFlags),
    Smoke(SmokeFlags),
}

/// What the command line said, before typing: (flag name, value) in order.
type Said = Vec<(&'static str, Option<String>)>;

/// A command line the xtask cannot take: `main` exits with 2 for it, as usage errors do.
#[derive(Debug)]
pub struct Usage(pub String);

impl std::fmt::Display for Usage {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

impl std::error::Error for Usage {}

/// The most `--jobs` may ask for: make's jobserver hangs when the tokens do not fit its pipe.
pub const MAX_JOBS: u32 = 1024;

pub fn parse(args: &[String]) -> Result<Command> {
    parse_words(args).map_err(|e| Usage(format!("{e:#}")).into())
}

fn parse_words(args: &[String]) -> Result<Command> {
    let Some((first, rest)) = args.split_first() else {
        return Ok(Command::Help(main_help()));
    };
    if matches!(first.as_str(), "-V" | "--version") {
        return Ok(Command::Help(format!(
            "xtask {}\n",
            env!("CARGO_PKG_VERSION")
        )));
    }
    if matches!(first.as_str(), "-h" | "--help" | "help") {
        return Ok(Command::Help(match rest.first() {
            Some(name) => command_help(find_command(name)?),
            None => main_help(),
        }));
    }
    let spec = find_command(first)?;
    if rest.iter().any(|a| a == "-h" || a == "--help") {
        return Ok(Command::Help(command_help(spec)));
    }
    let said = parse_flags(spec, rest)?;
    match spec.name {
        "rpm" => Ok(Command::Rpm(rpm_flags(&said)?)),
        "image" => {
            let tags: Vec<String> = said
                .iter()
                .filter(|(n, _)| *n == "tag")
                .filter_map(|(_, v)| v.clone())
                .collect();
            for tag in &tags {
                check_tag(tag)?;
            }
            Ok(Command::Image(ImageFlags {
                rpm: rpm_flags(&said)?,
                tags,
                runtime_base: value_of(&said, "runtime-base").filter(|b| !b.is_empty()),
                rtp_ports: match value_of(&said, "rtp-ports") {
                    Some(v) => rtp_ports(&v)?,
                    None => DEFAULT_RTP_PORTS,
                },
            }))
        }
        "smoke" => Ok(Command::Smoke(SmokeFlags {
            tag: value_of(&said, "tag").filter(|t| !t.is_empty()),
            engine: value_of(&said, "engine").filter(|e| !e.is_empty()),
            timeout_secs: match value_of(&said, "timeout") {
                Some(v) => v.parse::<u64>().ok().filter(|n| *n > 0).with_context(|| {
                    format!("--timeout takes a whole number of seconds above 0, not '{v}'")
                })?,
                None => 120,
            },
        })),
        other => unreachable!("command {other} is declared but not dispatched"),
    }
}

fn find_command(name: &str) -> Result<&'static CommandSpec> {
    COMMANDS.iter().find(|c| c.name == name).with_context(|| {
        let names: Vec<&str> = COMMANDS.iter().map(|c| c.name).collect();
        format!(
            "unknown command '{name}': the commands are {} (cargo xtask --help)",
            names.join(", ")
        )
    })
}

fn parse_flags(spec: &CommandSpec, args: &[String]) -> Result<Said> {
    let flags = flags_of(spec);
    let mut said = Said::new();
    let mut i = 0;
    while i < args.len() {
        let arg = &args[i];
        let (name, inline) = if let Some(long) = arg.strip_prefix("--") {
            match long.split_once('=') {
                Some((n, v)) => (n.to_string(), Some(v.to_string())),
                None => (long.to_string(), None),
            }
        } else if let Some(short) = arg.strip_prefix('-').filter(|s| s.chars().count() == 1) {
            let c = short.chars().next().unwrap_or('-');
            let flag = flags.iter().find(|f| f.short == Some(c));
            match flag {
                Some(f) => (f.name.to_string(), None),
                None => bail!(
                    "unknown flag '{arg}' for {}: see cargo xtask {} --help",
                    spec.name,
                    spec.name
                ),
            }
        } else {
            bail!(
                "unexpected argument '{arg}' for {}: see cargo xtask {} --help",
                spec.name,
                spec.name
            );
        };
        let Some(flag) = flags.iter().find(|f| f.name == name) else {
            bail!(
                "unknown flag '--{name}' for {}: see cargo xtask {} --help",
                spec.name,
                spec.name
            );
        };
        let value = match (flag.value, inline) {
            (None, None) => None,
            (None, Some(_)) => bail!("--{name} takes no value"),
            (Some(_), Some(v)) => Some(v),
            (Some(placeholder), None) => {
                i += 1;
                match args.get(i) {
                    Some(v) => Some(v.clone()),
                    None => bail!("--{name} needs a value: --{name} {placeholder}"),
                }
            }
        };
        if !flag.repeats && said.iter().any(|(n, _)| *n == flag.name) {
            bail!("--{name} is given twice");
        }
        said.push((flag.name, value));
        i += 1;
    }
    Ok(said)
}

fn switch_on(said: &Said, name: &str) -> bool {
    said.iter().any(|(n, _)| *n == name)
}

fn value_of(said: &Said, name: &str) -> Option<String> {
    said.iter()
        .find(|(n, _)| *n == name)
        .and_then(|(_, v)| v.clone())
}

fn path_of(said: &Said, name: &str) -> Result<Option<Utf8PathBuf>> {
    match value_of(said, name) {
        Some(v) if v.is_empty() => bail!("--{name} needs a non-empty path"),
        Some(v) => Ok(Some(Utf8PathBuf::from(v))),
        None => Ok(None),
    }
}

fn rpm_flags(said: &Said) -> Result<RpmFlags> {
    let jobs = match value_of(said, "jobs") {
        Some(v) => Some(
            v.parse::<u32>()
                .ok()
                .filter(|n| (1..=MAX_JOBS).contains(n))
                .with_context(|| {
                    format!("--jobs takes a whole number from 1 to {MAX_JOBS}, not '{v}'")
                })?,
        ),
        None => None,
    };
    if switch_on(said, "native") && switch_on(said, "container") {
        bail!("--native and --container exclude each other: choose one");
    }
    Ok(RpmFlags {
        source: path_of(said, "source")?,
        out: path_of(said, "out")?,
        native: switch_on(said, "native"),
        container: switch_on(said, "container"),
        engine: value_of(said, "engine").filter(|e| !e.is_empty()),
        base_image: value_of(said, "base-image").filter(|b| !b.is_empty()),
        rebuild_builder: switch_on(said, "rebuild-builder"),
        no_ccache: switch_on(said, "no-ccache"),
        nodeps: switch_on(said, "nodeps"),
        spec: path_of(said, "spec")?,
        rpm_version: value_of(said, "rpm-version"),
        rpm_release: value_of(said, "rpm-release"),
        download_cache: path_of(said, "download-cache")?,
        jobs,
        quiet: switch_on(said, "quiet"),
        dry_run: switch_on(said, "dry-run"),
        verbose: switch_on(said, "verbose"),
    })
}

pub fn main_help() -> String {
    let mut s = String::from(
        "Build RPMs and container images of an Asterisk working tree.\n\nUsage: cargo xtask <command> [flags]\n\nCommands:\n",
    );
    for c in COMMANDS {
        s.push_str(&format!("  {:<8}{}\n", c.name, c.about));
    }
    s.push_str("\n`cargo xtask <command> --help` lists a command's flags.\n");
    s
}

pub fn command_help(spec: &CommandSpec) -> String {
    let mut s = format!(
        "{}\n\nUsage: cargo xtask {} [flags]\n\nFlags:\n",
        spec.about, spec.name
    );
    for f in flags_of(spec) {
        let mut left = match f.short {
            Some(c) => format!("-{c}, --{}", f.name),
            None => format!("    --{}", f.name),
        };
        if let Some(v) = f.value {
            left.push_str(&format!(" {v}"));
        }
        s.push_str(&format!("  {left:<26}{}\n", f.help));
    }
    s.push_str(&format!("  {:<26}{}\n", "-h, --help", "Print this help"));
    s
}

#[cfg(test)]
mod tests {
    use super::*;

    fn args(s: &str) -> Vec<String> {
        s.split_whitespace().map(str::to_string).collect()
    }

    #[test]
    fn the_tables_are_sound() {
        for c in COMMANDS {
            let mut names: Vec<&str> = flags_of(c).iter().map(|f| f.name).collect();
            names.sort();
            let before = names.len();
            names.dedup();
            assert_eq!(before, names.len(), "duplicate flag in {}", c.name);
            for f in flags_of(c) {
                assert!(!f.help.is_empty() && !f.help.ends_with('.'), "--{}", f.name);
                assert!(f
                    .name
                    .chars()
                    .all(|ch| ch.is_ascii_lowercase() || ch == '-'));
                assert!(command_help(c).contains(&format!("--{}", f.name)));
            }
            assert!(main_help().contains(c.name));
        }
    }

    #[test]
    fn rpm_flags_parse() {
        let Command::Rpm(f) = parse(&args(
            "rpm --native --source tests/fixtures/mini-asterisk -q --out=o --jobs 3 --rpm-version 1.2",
        ))
        .unwrap() else {
            panic!("not rpm");
        };
        assert!(f.native && f.quiet && !f.nodeps);
        assert_eq!(f.source.unwrap(), "tests/fixtures/mini-asterisk");
        assert_eq!(f.out.unwrap(), "o");
        assert_eq!(f.jobs, Some(3));
        assert_eq!(f.rpm_version.as_deref(), Some("1.2"));
    }

    #[test]
    fn bad_command_lines_say_what_is_wrong() {
        let cases = [
            ("bogus", "unknown command 'bogus'"),
            ("rpm --bogus", "unknown flag '--bogus'"),
            ("rpm -z", "unknown flag '-z'"),
            ("rpm --source", "--source needs a value"),
            ("rpm --native=yes", "--native takes no value"),
            ("rpm --jobs 0", "--jobs takes a whole number"),
            ("rpm --jobs 99999", "from 1 to 1024"),
            ("rpm --native --container", "exclude each other"),
            ("image --tag Bad:x", "not a valid image name"),
            (
                "image --rtp-ports 10001-10000",
                "--rtp-ports takes FIRST-LAST",
            ),
            ("image --rtp-ports 100-200", "--rtp-ports takes FIRST-LAST"),
            ("image --rtp-ports 10000-30000", "at most 10001"),
            ("rpm extra", "unexpected argument 'extra'"),
            ("rpm --native --native", "given twice"),
        ];
        for (line, want) in cases {
            let err = parse(&args(line)).unwrap_err();
            assert!(
                err.downcast_ref::<Usage>().is_some(),
                "{line}: not a usage error"
            );
            let err = err.to_string();
            assert!(err.contains(want), "{line}: {err}");
        }
        assert_eq!(rtp_ports("10000-20000").unwrap(), (10000, 20000));
    }

    #[test]
    fn image_and_smoke_flags_parse() {
        let Command::Image(f) = parse(&args(
            "image --native --tag a:1 --tag a:dev --runtime-base base:9 --base-image b:9",
        ))
        .unwrap() else {
            panic!("not image");
        };
        assert!(f.rpm.native);
        assert_eq!(f.tags, ["a:1", "a:dev"]);
        assert_eq!(f.runtime_base.as_deref(), Some("base:9"));
        assert_eq!(f.rpm.base_image.as_deref(), Some("b:9"));
        let Command::Smoke(s) = parse(&args("smoke --tag x:1 --timeout 5")).unwrap() else {
            panic!("not smoke");
        };
        assert_eq!((s.tag.as_deref(), s.timeout_secs), (Some("x:1"), 5));
        assert!(parse(&args("smoke --native")).is_err());
        assert!(parse(&args("smoke --tag a --tag b")).is_err());
    }

    #[test]
    fn help_is_reachable() {
        for line in [
            "",
            "--help",
            "help",
            "help rpm",
            "rpm --help",
            "rpm -h",
            "--version",
        ] {
            assert!(
                matches!(parse(&args(line)).unwrap(), Command::Help(_)),
                "{line}"
            );
        }
    }
}
