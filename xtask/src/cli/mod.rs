//! The command line: every command's flags and their help, composed with bpaf from the
//! concerns' parsers (`plan::rpm_flags` and its parts), and the few flags only one command has.
//! Errors are one line. Parsing only types what was said, and checks values (ranges, tags, port
//! ranges) before anything runs; what the flags mean on this machine is decided in `plan`.

use anyhow::Result;
use bpaf::{construct, long, OptionParser, ParseFailure, Parser};
use camino::Utf8PathBuf;

pub use crate::plan::place::Where;
use crate::plan::{choices, downloads, flag, place, sound_sets};
pub use crate::plan::{RpmFlags, Usage};

#[derive(Debug, Clone, Default)]
pub struct ImageFlags {
    pub rpm: RpmFlags,
    pub tags: Vec<String>,
    pub runtime_base: Option<String>,
    /// The first and last RTP port.
    pub rtp_ports: (u16, u16),
    /// `--packages A,B`: the subpackages to install; None for the defaults.
    pub packages: Option<Vec<String>>,
}

#[derive(Debug, Clone, Default)]
pub struct RunFlags {
    pub image: ImageFlags,
    pub choices: crate::container::dev_container::RunChoices,
}

#[derive(Debug, Clone, Default)]
pub struct SmokeFlags {
    pub tag: Option<String>,
    pub engine: Option<String>,
    pub timeout_secs: u64,
    /// `--unit-tests [CATEGORY]`: Some("") for all.
    pub unit_tests: Option<String>,
    pub out: Option<Utf8PathBuf>,
    pub call: crate::container::call::CallFlags,
    pub verbose: bool,
}

#[derive(Debug, Clone, Default)]
pub struct FetchFlags {
    pub source: Option<Utf8PathBuf>,
    pub download_cache: Option<Utf8PathBuf>,
    pub sounds: Vec<String>,
    pub offline: bool,
    pub dry_run: bool,
    pub verbose: bool,
}

#[derive(Debug, Clone, Default)]
pub struct BenchFlags {
    pub source: Option<Utf8PathBuf>,
    pub out: Option<Utf8PathBuf>,
    pub runs: usize,
    pub place: Where,
    pub base_image: Option<String>,
    pub nodeps: bool,
    pub without_pjproject: bool,
    pub download_cache: Option<Utf8PathBuf>,
    /// `--running`: the step from a patch to a running container answering SIP.
    pub running: bool,
    pub runtime_base: Option<String>,
    pub verbose: bool,
}

#[derive(Debug, Clone, Default)]
pub struct DoctorFlags {
    pub engine: Option<String>,
    pub verbose: bool,
}

#[derive(Debug)]
pub enum Command {
    /// Help or the version, to print on stdout.
    Print(String),
    Rpm(RpmFlags),
    Image(ImageFlags),
    Run(RunFlags),
    Smoke(SmokeFlags),
    Fetch(FetchFlags),
    Doctor(DoctorFlags),
    Bench(BenchFlags),
}

/// Fifty calls' worth of RTP: enough to try a build, small enough for `docker run -P`.
pub const DEFAULT_RTP_PORTS: (u16, u16) = (10000, 10099);

pub fn parse(args: &[String]) -> Result<Command> {
    let words: Vec<&str> = match args.len() {
        0 => vec!["--help"],
        _ => args.iter().map(String::as_str).collect(),
    };
    let words = choices::join_configure_args(&words);
    let words: Vec<&str> = words.iter().map(String::as_str).collect();
    // `--unit-tests` may come without a value (all tests), so bpaf would take an empty one for
    // none: an empty value is refused here, as for every other flag.
    let empty_category = words.iter().enumerate().any(|(i, w)| {
        *w == "--unit-tests=" || (*w == "--unit-tests" && words.get(i + 1) == Some(&""))
    });
    if empty_category {
        return Err(Usage(usage_line(
            "--unit-tests needs a value when one is given, and was given an empty one (an unset \
             variable?): leave the value out to run every test",
            words.first().copied(),
        ))
        .into());
    }
    // bpaf would say "`--native` cannot be used multiple times", which reads wrong.
    if words.contains(&"--native") && words.contains(&"--container") {
        return Err(Usage(usage_line(
            "--native and --container exclude each other: choose where the build runs",
            words.first().copied(),
        ))
        .into());
    }
    match options().run_inner(words.as_slice()) {
        Ok(command) => Ok(command),
        Err(ParseFailure::Stdout(doc, full)) => Ok(Command::Print(doc.monochrome(full))),
        Err(ParseFailure::Completion(text)) => Ok(Command::Print(text)),
        Err(ParseFailure::Stderr(doc)) => {
            Err(Usage(usage_line(&doc.monochrome(false), words.first().copied())).into())
        }
    }
}

/// bpaf's message as one line (it wraps long ones), our own checks' messages as they are, and
/// where to look.
/// The commands, for the help a usage error points at.
const COMMANDS: [&str; 7] = ["rpm", "image", "run", "smoke", "fetch", "doctor", "bench"];

fn usage_line(text: &str, command: Option<&str>) -> String {
    let line = text.split_whitespace().collect::<Vec<_>>().join(" ");
    // `couldn't parse `99999`: --jobs takes ...`: our message already names the value.
    let line = match line.split_once("`: ") {
        Some((head, ours)) if head.starts_with("couldn't parse") && ours.starts_with("--") => {
            ours.to_string()
        }
        _ => line,
    };
    match command.filter(|c| COMMANDS.contains(c)) {
        Some(c) => format!("{line} (cargo xtask {c} --help)"),
        None => format!("{line} (cargo xtask --help)"),
    }
}

/// The whole command line: `rpm`, `image` or `smoke`.
pub fn options() -> OptionParser<Command> {
    let rpm = crate::plan::rpm_flags()
        .to_options()
        .descr("Pack the working tree into a source archive and build RPMs from it with the in-tree spec")
        .usage("Usage: cargo xtask rpm [flags]")
        .command("rpm")
        .help("Pack the working tree and build RPMs from it with the in-tree spec")
        .map(Command::Rpm);
    let image = image_flags()
        .to_options()
        .descr("Build a runtime image from the RPMs of the working tree (building them first when needed); takes every flag of rpm")
        .usage("Usage: cargo xtask image [flags]")
        .command("image")
        .help("Build a runtime image from the RPMs of the working tree")
        .map(Command::Image);
    let run = run_flags()
        .to_options()
        .descr("Build what is not up to date, make (or reuse) the image, start it with SIP and RTP on 127.0.0.1, wait until it is healthy and attach Asterisk's console; leaving the console or Ctrl-C removes the container. Takes every flag of rpm and image")
        .usage("Usage: cargo xtask run [flags]")
        .command("run")
        .help("Your patched Asterisk, running, with its console in your terminal")
        .map(Command::Run);
    let smoke = smoke_flags()
        .to_options()
        .descr(
            "Start an image, wait until it is healthy, and check that it answers with its version",
        )
        .usage("Usage: cargo xtask smoke [flags]")
        .command("smoke")
        .help("Check that an image boots, answers with its version and stops cleanly")
        .map(Command::Smoke);
    let fetch = fetch_flags()
        .to_options()
        .descr("Bring the third-party tarballs the tree bundles (pjproject) into the download cache, verified against the tree's md5")
        .usage("Usage: cargo xtask fetch [flags]")
        .command("fetch")
        .help("Fetch and verify the third-party tarballs the tree bundles, for builds without network")
        .map(Command::Fetch);
    let doctor = doctor_flags()
        .to_options()
        .descr("Check what each command needs on this machine (rpmbuild, the engine and BuildKit, podman's catatonit, disk space, SELinux, network) and print the fix for what is missing")
        .usage("Usage: cargo xtask doctor [flags]")
        .command("doctor")
        .help("Check this machine for what each command needs, and say how to fix what is missing")
        .map(Command::Doctor);
    let bench = bench_flags()
        .to_options()
        .descr("Measure the contributor's loop on a scratch copy of the tree: a clean build, a no-op, a one-line patch, and the source archive against git archive; medians and ratios, bench.json and bench.svg")
        .usage("Usage: cargo xtask bench [flags]")
        .command("bench")
        .help("Measure clean build, no-op, patch loop and archive side by side")
        .map(Command::Bench);
    construct!([rpm, image, run, smoke, fetch, doctor, bench])
        .to_options()
        .descr("Build RPMs and container images of an Asterisk working tree.")
        .usage("Usage: cargo xtask <command> [flags]")
        .footer("`cargo xtask <command> --help` lists a command's flags.")
        .version(concat!("xtask ", env!("CARGO_PKG_VERSION")))
}

fn image_flags() -> impl Parser<ImageFlags> {
    let rpm = crate::plan::rpm_flags();
    let tags = long("tag")
        .help("Tag the image T; may repeat (default: asterisk:<rpm version-release> and asterisk:dev)")
        .argument::<String>("T")
        .parse(|t| check_tag(&t).map(|()| t))
        .many();
    let runtime_base = flag::text(
        "runtime-base",
        "IMG",
        "Base of the runtime image, with dnf, microdnf or rpm (default: docker.io/library/almalinux:9-minimal)",
    );
    let rtp_ports = long("rtp-ports")
        .help("The UDP range for media: written into the image's rtp.conf and EXPOSEd (default: 10000-10099)")
        .argument::<String>("FIRST-LAST")
        .parse(|v| rtp_ports(&v))
        .fallback(DEFAULT_RTP_PORTS);
    let packages = long("packages")
        .help("The subpackages to install besides asterisk, by name (pjsip or asterisk-pjsip), comma-separated; what they need comes along (default: pjsip, voicemail-plain, curl, srtp and the codecs speex, ogg, gsm, opus, those the build has)")
        .argument::<String>("NAME,...")
        .parse(|v| package_names(&v))
        .optional();
    construct!(ImageFlags {
        rpm,
        tags,
        runtime_base,
        rtp_ports,
        packages,
    })
}

fn run_flags() -> impl Parser<RunFlags> {
    use crate::container::dev_container::{Listen, RunChoices};
    let image = image_flags();
    let config = flag::path(
        "config",
        "DIR",
        "A configuration directory to use as /etc/asterisk (a private copy: yours is never written)",
    );
    let all = long("publish-all")
        .help("Publish SIP and RTP on every address, not only 127.0.0.1 (phones on your network; set ASTERISK_EXTERNAL_ADDRESS for NAT)")
        .req_flag(Listen::All);
    let host = long("host-network")
        .help("Run in the host's network instead of publishing ports")
        .req_flag(Listen::Host);
    let network = construct!([all, host]).fallback(Listen::Loopback);
    let keep_state = long("keep-state")
        .help("Keep /var/lib/asterisk and /var/spool/asterisk in named volumes (said at start) from run to run")
        .switch();
    let detach = long("detach")
        .help("Leave the container running and print its name and how to attach to it and stop it")
        .switch();
    let timeout_secs = timeout_flag();
    let choices = construct!(RunChoices {
        config,
        network,
        keep_state,
        detach,
        timeout_secs,
    });
    construct!(RunFlags { image, choices })
}

fn fetch_flags() -> impl Parser<FetchFlags> {
    let source = flag::path(
        "source",
        "DIR",
        "The Asterisk tree whose third-party/ says what to fetch (default: the checkout the xtask lives in)",
    );
    let download_cache = downloads::cache_flag(
        "Where the tarballs go (default: $XDG_CACHE_HOME/asterisk-xtask/downloads, else ~/.cache/asterisk-xtask/downloads)",
    );
    let sounds = sound_sets::flags();
    let offline = long("offline")
        .help("Touch no network: only check that the cache holds every tarball, verified")
        .switch();
    let dry_run = long("dry-run")
        .help("Say what would be fetched; fetch and write nothing")
        .switch();
    let verbose = flag::verbose();
    construct!(FetchFlags {
        source,
        download_cache,
        sounds,
        offline,
        dry_run,
        verbose,
    })
}

fn bench_flags() -> impl Parser<BenchFlags> {
    let source = flag::path(
        "source",
        "DIR",
        "The Asterisk tree to measure (a scratch copy of it; default: the checkout the xtask lives in)",
    );
    let out = flag::path(
        "out",
        "DIR",
        "Where bench.json and bench.svg go (default: <target>/bench)",
    );
    let runs = long("runs")
        .help("Rounds of each step, interleaved (default: 3)")
        .argument::<String>("N")
        .parse(|v| {
            v.parse::<usize>()
                .ok()
                .filter(|n| (1..=100).contains(n))
                .ok_or_else(|| format!("--runs takes a whole number from 1 to 100, not '{v}'"))
        })
        .fallback(3);
    let place = place::where_flags("Build in the builder container");
    let base_image = flag::text(
        "base-image",
        "IMG",
        "Base of the builder image (as rpm takes it)",
    );
    let nodeps = long("nodeps").help("Passed to rpm").switch();
    let without_pjproject = long("without-pjproject").help("Passed to rpm").switch();
    let download_cache = downloads::cache_flag("Passed to rpm");
    let running = long("running")
        .help("Also time a one-line patch to a running container that answers SIP OPTIONS (cargo xtask run --detach; needs a container engine and SIP's 5060 on 127.0.0.1)")
        .switch();
    let runtime_base = flag::text(
        "runtime-base",
        "IMG",
        "Base of the runtime image for --running (as image takes it)",
    );
    let verbose = flag::verbose();
    construct!(BenchFlags {
        source,
        out,
        runs,
        place,
        base_image,
        nodeps,
        without_pjproject,
        download_cache,
        running,
        runtime_base,
        verbose,
    })
}

fn doctor_flags() -> impl Parser<DoctorFlags> {
    let engine = place::engine_flag();
    let verbose = flag::verbose();
    construct!(DoctorFlags { engine, verbose })
}

/// `--timeout SECS`: how long smoke and run wait for the container to become healthy.
fn timeout_flag() -> impl Parser<u64> {
    long("timeout")
        .help("How long the container may take to become healthy (default: 120)")
        .argument::<String>("SECS")
        .parse(|v| {
            v.parse::<u64>().ok().filter(|n| *n > 0).ok_or_else(|| {
                format!("--timeout takes a whole number of seconds above 0, not '{v}'")
            })
        })
        .fallback(120)
}

fn smoke_flags() -> impl Parser<SmokeFlags> {
    let tag = long("tag")
        .help("The image to check (default: asterisk:dev)")
        .argument::<String>("T")
        .parse(|t| check_tag(&t).map(|()| t))
        .optional();
    let engine = place::engine_flag();
    let timeout_secs = timeout_flag();
    let with_category = long("unit-tests")
        .help("On a --dev image: run Asterisk's unit tests (`test execute`) of CATEGORY, or all, in the booted container; JUnit XML into the out dir")
        .argument::<String>("CATEGORY")
        .parse(flag::non_empty("unit-tests"));
    let all = long("unit-tests").req_flag(String::new()).hide();
    let unit_tests = construct!([with_category, all]).optional();
    let out = flag::path(
        "out",
        "DIR",
        "Where --unit-tests writes unit-tests.xml (default: <target>/rpm, recorded in its manifest)",
    );
    let call = crate::container::call::flags();
    let verbose = flag::verbose();
    construct!(SmokeFlags {
        tag,
        engine,
        timeout_secs,
        unit_tests,
        out,
        call,
        verbose,
    })
}

mod values;

pub use values::{check_tag, package_names, rtp_ports};

#[cfg(test)]
mod tests;
