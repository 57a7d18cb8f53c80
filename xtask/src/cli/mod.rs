//! Every command's flags and their help, declared once with bpaf; errors are one line.
//!
//! Parsing only types what was said: exclusive choices are enums here (`--native` or
//! `--container`), and values are checked (ranges, tags, port ranges) before anything runs.
//! What the flags mean on this machine is decided once, in `plan`.

use anyhow::Result;
use bpaf::{construct, long, short, OptionParser, ParseFailure, Parser};
use camino::Utf8PathBuf;

use crate::build::options::Choice;

/// Where `--native` / `--container` say the build runs; `Auto` when neither is given.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub enum Where {
    #[default]
    Auto,
    Native,
    Container,
}

/// `rpm`'s flags; `image` takes them too.
#[derive(Debug, Clone, Default)]
pub struct RpmFlags {
    pub source: Option<Utf8PathBuf>,
    pub out: Option<Utf8PathBuf>,
    pub place: Where,
    pub engine: Option<String>,
    pub base_image: Option<String>,
    pub rebuild_builder: bool,
    pub no_ccache: bool,
    /// `--ccache-dir DIR`: ccache in a host directory instead of a volume.
    pub ccache_dir: Option<Utf8PathBuf>,
    pub nodeps: bool,
    pub spec: Option<Utf8PathBuf>,
    pub rpm_version: Option<String>,
    pub rpm_release: Option<String>,
    pub download_cache: Option<Utf8PathBuf>,
    pub without_pjproject: bool,
    pub offline: bool,
    /// Sound sets to package, as menuselect names them.
    pub sounds: Vec<String>,
    /// `--enable`, `--disable`, `--enable-category`, `--disable-category`, in order.
    pub choices: Vec<Choice>,
    pub menuselect: Option<Utf8PathBuf>,
    pub configure_args: Vec<String>,
    pub dev: bool,
    /// `--sign KEYID`: sign the packages with this gpg key.
    pub sign: Option<String>,
    /// `--check-reproducible`: build twice and compare.
    pub check_reproducible: bool,
    /// `--force`: build even when the published outputs are this build's.
    pub force: bool,
    /// `--incremental` / `--clean`.
    pub incremental: crate::build::incremental::Asked,
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

#[derive(Debug, Clone, Default)]
pub struct SmokeFlags {
    pub tag: Option<String>,
    pub engine: Option<String>,
    pub timeout_secs: u64,
    /// `--unit-tests [CATEGORY]`: Some("") for all.
    pub unit_tests: Option<String>,
    pub out: Option<Utf8PathBuf>,
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
    Smoke(SmokeFlags),
    Fetch(FetchFlags),
    Doctor(DoctorFlags),
    Bench(BenchFlags),
}

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
/// Fifty calls' worth of RTP: enough to try a build, small enough for `docker run -P`.
pub const DEFAULT_RTP_PORTS: (u16, u16) = (10000, 10099);

pub fn parse(args: &[String]) -> Result<Command> {
    let words: Vec<&str> = match args.len() {
        0 => vec!["--help"],
        _ => args.iter().map(String::as_str).collect(),
    };
    let words = join_configure_args(&words);
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
        ))
        .into());
    }
    match options().run_inner(words.as_slice()) {
        Ok(command) => Ok(command),
        Err(ParseFailure::Stdout(doc, full)) => Ok(Command::Print(doc.monochrome(full))),
        Err(ParseFailure::Completion(text)) => Ok(Command::Print(text)),
        Err(ParseFailure::Stderr(doc)) => Err(Usage(usage_line(&doc.monochrome(false))).into()),
    }
}

/// bpaf's message as one line (it wraps long ones), our own checks' messages as they are, and
/// where to look.
fn usage_line(text: &str) -> String {
    let line = text.split_whitespace().collect::<Vec<_>>().join(" ");
    // `couldn't parse `99999`: --jobs takes ...`: our message already names the value.
    let line = match line.split_once("`: ") {
        Some((head, ours)) if head.starts_with("couldn't parse") && ours.starts_with("--") => {
            ours.to_string()
        }
        _ => line,
    };
    format!("{line} (cargo xtask --help)")
}

/// The whole command line: `rpm`, `image` or `smoke`.
pub fn options() -> OptionParser<Command> {
    let rpm = rpm_flags()
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
    construct!([rpm, image, smoke, fetch, doctor, bench])
        .to_options()
        .descr("Build RPMs and container images of an Asterisk working tree.")
        .usage("Usage: cargo xtask <command> [flags]")
        .footer("`cargo xtask <command> --help` lists a command's flags.")
        .version(concat!("xtask ", env!("CARGO_PKG_VERSION")))
}

/// A flag's value that must not be empty: an empty one (CI's `--sign "$KEYID"` with the
/// variable unset) is a usage error, never taken as "not given".
fn non_empty(name: &'static str) -> impl Fn(String) -> std::result::Result<String, String> {
    move |v: String| match v.trim().is_empty() {
        true => Err(format!(
            "--{name} needs a value, and was given an empty one (an unset variable?)"
        )),
        false => Ok(v),
    }
}

fn text(name: &'static str, meta: &'static str, help: &'static str) -> impl Parser<Option<String>> {
    long(name)
        .help(help)
        .argument::<String>(meta)
        .parse(non_empty(name))
        .optional()
}

fn path(
    name: &'static str,
    meta: &'static str,
    help: &'static str,
) -> impl Parser<Option<Utf8PathBuf>> {
    long(name)
        .help(help)
        .argument::<String>(meta)
        .parse(move |v| match v.is_empty() {
            true => Err(format!("--{name} needs a non-empty path")),
            false => Ok(Utf8PathBuf::from(v)),
        })
        .optional()
}

fn engine() -> impl Parser<Option<String>> {
    text(
        "engine",
        "PROG",
        "Container engine program, a name or a path (default: $CONTAINER_ENGINE, else docker, else podman)",
    )
}

fn sounds() -> impl Parser<Vec<String>> {
    long("sounds")
        .help("Sound sets to fetch and package, a subpackage each, as menuselect names them (CORE-SOUNDS-EN-GSM,MOH-OPSOUND-WAV); may repeat (default: none)")
        .argument::<String>("NAME[,NAME...]")
        .parse(|list: String| {
            let names: Vec<String> = list.split(',').map(|n| n.trim().to_string()).collect();
            match names.iter().any(String::is_empty) {
                true => Err(format!(
                    "--sounds takes NAME[,NAME...] with no empty name, not '{list}' (an unset variable?)"
                )),
                false => Ok(names),
            }
        })
        .many()
        .map(|lists| lists.into_iter().flatten().collect())
}

fn verbose() -> impl Parser<bool> {
    long("verbose")
        .help("Also print the queries (git, rpm, the engine) the xtask runs, and the plan")
        .switch()
}

pub fn rpm_flags() -> impl Parser<RpmFlags> {
    let source = path(
        "source",
        "DIR",
        "The Asterisk tree to package (default: the checkout the xtask lives in)",
    );
    let out = path(
        "out",
        "DIR",
        "Where the RPMs, SRPM, source archive and manifest.json go (default: <target>/rpm)",
    );
    let native = long("native")
        .help("Build with this host's rpmbuild")
        .req_flag(Where::Native);
    let container = long("container")
        .help("Build in the builder container (the default when a container engine answers)")
        .req_flag(Where::Container);
    let place = construct!([native, container]).fallback(Where::Auto);
    let engine = engine();
    let base_image = text(
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
    let ccache_dir = path(
        "ccache-dir",
        "DIR",
        "Keep the container build's ccache in this host directory instead of a volume (a CI cache, e.g. actions/cache); made if missing",
    );
    let nodeps = long("nodeps")
        .help("Do not check BuildRequires (passed to rpmbuild; automatic on hosts whose packages rpm does not know)")
        .switch();
    let spec = path(
        "spec",
        "FILE",
        "Use this spec instead of contrib/rpm/asterisk.spec from the tree or beside the xtask",
    );
    let rpm_version = text(
        "rpm-version",
        "V",
        "RPM Version instead of the one derived from the Asterisk version",
    );
    let rpm_release = text(
        "rpm-release",
        "R",
        "RPM Release instead of the derived one (1, or 1.dirty.<time> for uncommitted changes)",
    );
    let download_cache = path(
        "download-cache",
        "DIR",
        "Where the third-party tarballs the tree bundles are fetched to and taken from (default: $XDG_CACHE_HOME/asterisk-xtask/downloads, else ~/.cache/asterisk-xtask/downloads)",
    );
    let without_pjproject = long("without-pjproject")
        .help("Build without the bundled pjproject: no res_pjsip modules, no chan_pjsip (said in the summary and the manifest)")
        .switch();
    let offline = long("offline")
        .help("Touch no network: the download cache must hold every tarball (cargo xtask fetch fills it)")
        .switch();
    let sounds = sounds();
    let choices = choices();
    let menuselect = path(
        "menuselect",
        "FILE",
        "A menuselect.makeopts to start from (the one `make menuselect` left in your tree, which is never packed)",
    );
    let configure_args = configure_args();
    let dev = long("dev")
        .help("Dev mode: --enable-dev-mode, TEST_FRAMEWORK with the unit tests, DONT_OPTIMIZE, BETTER_BACKTRACES; the Release says dev")
        .switch();
    let sign = text(
        "sign",
        "KEYID",
        "Sign the RPMs and the SRPM with this gpg key (rpmsign --addsign; GNUPGHOME honoured; a key that needs a passphrase is refused before the build)",
    );
    let incremental = {
        use crate::build::incremental::Asked;
        let on = long("incremental")
            .help("Keep the build directory between runs and rebuild only what changed (the default for trees with uncommitted changes; never for releases)")
            .req_flag(Asked::On);
        let off = long("clean")
            .help("Build in a fresh directory, not incrementally")
            .req_flag(Asked::Off);
        construct!([on, off]).fallback(Asked::Auto)
    };
    let force = long("force")
        .help("Build even when the output directory already holds this build's packages (same archive bytes, spec, options, builder)")
        .switch();
    let check_reproducible = long("check-reproducible")
        .help("Build a second time (later; in a container under another host name) and fail, naming the differing files, unless the packages are the same byte for byte")
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
    let dry_run = long("dry-run")
        .help("Print what would run; build and write nothing")
        .switch();
    let verbose = verbose();
    construct!(RpmFlags {
        source,
        out,
        place,
        engine,
        base_image,
        rebuild_builder,
        no_ccache,
        ccache_dir,
        nodeps,
        spec,
        rpm_version,
        rpm_release,
        download_cache,
        without_pjproject,
        offline,
        sounds,
        choices,
        menuselect,
        configure_args,
        dev,
        sign,
        check_reproducible,
        force,
        incremental,
        jobs,
        quiet,
        dry_run,
        verbose,
    })
}

/// `--configure-arg ARG`, repeatable.
fn configure_args() -> impl Parser<Vec<String>> {
    long("configure-arg")
        .help("An argument for configure, after the spec's own (--configure-arg --with-foo); may repeat")
        .argument::<String>("ARG")
        .parse(|a| match a.is_empty() || a.contains('\n') {
            true => Err("--configure-arg takes one non-empty line".to_string()),
            false => Ok(a),
        })
        .many()
}

/// `--configure-arg --with-foo` as `--configure-arg=--with-foo`: configure's arguments start
/// with `--`, which bpaf takes for a flag after a space.
pub fn join_configure_args(words: &[&str]) -> Vec<String> {
    let mut out = Vec::new();
    let mut words = words.iter();
    while let Some(word) = words.next() {
        match (*word, words.as_slice().first()) {
            ("--configure-arg", Some(next)) => {
                out.push(format!("--configure-arg={next}"));
                words.next();
            }
            _ => out.push(word.to_string()),
        }
    }
    out
}

/// The menuselect choices, in the order given (also after ASTERISK_XTASK_MENUSELECT's).
fn choices() -> impl Parser<Vec<Choice>> {
    let one = |flag: &'static str, meta: &'static str, help: &'static str| {
        long(&flag[2..])
            .help(help)
            .argument::<String>(meta)
            .parse(move |name| Choice::new(flag, &name))
    };
    let enable = one(
        "--enable",
        "NAME",
        "Select a module or option in menuselect (app_skel, DONT_OPTIMIZE); its library must be there, or the build fails naming it; may repeat",
    );
    let disable = one(
        "--disable",
        "NAME",
        "Leave a module or option out (chan_iax2); may repeat",
    );
    let enable_category = one(
        "--enable-category",
        "CAT",
        "Select every module of a menuselect category (MENUSELECT_TESTS); may repeat",
    );
    let disable_category = one(
        "--disable-category",
        "CAT",
        "Leave out every module of a category; may repeat. Also ASTERISK_XTASK_MENUSELECT=\"--enable X ...\", applied first",
    );
    construct!([enable, disable, enable_category, disable_category]).many()
}

fn image_flags() -> impl Parser<ImageFlags> {
    let rpm = rpm_flags();
    let tags = long("tag")
        .help("Tag the image T; may repeat (default: asterisk:<rpm version-release> and asterisk:dev)")
        .argument::<String>("T")
        .parse(|t| check_tag(&t).map(|()| t))
        .many();
    let runtime_base = text(
        "runtime-base",
        "IMG",
        "Base of the runtime image, with dnf, microdnf or rpm (default: docker.io/library/almalinux:9-minimal)",
    );
    let rtp_ports = long("rtp-ports")
        .help("The UDP range for media: written into the image's rtp.conf and EXPOSEd (default: 10000-10099)")
        .argument::<String>("FIRST-LAST")
        .parse(|v| rtp_ports(&v))
        .fallback(DEFAULT_RTP_PORTS);
    construct!(ImageFlags {
        rpm,
        tags,
        runtime_base,
        rtp_ports,
    })
}

fn fetch_flags() -> impl Parser<FetchFlags> {
    let source = path(
        "source",
        "DIR",
        "The Asterisk tree whose third-party/ says what to fetch (default: the checkout the xtask lives in)",
    );
    let download_cache = path(
        "download-cache",
        "DIR",
        "Where the tarballs go (default: $XDG_CACHE_HOME/asterisk-xtask/downloads, else ~/.cache/asterisk-xtask/downloads)",
    );
    let sounds = sounds();
    let offline = long("offline")
        .help("Touch no network: only check that the cache holds every tarball, verified")
        .switch();
    let dry_run = long("dry-run")
        .help("Say what would be fetched; fetch and write nothing")
        .switch();
    let verbose = verbose();
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
    let source = path(
        "source",
        "DIR",
        "The Asterisk tree to measure (a scratch copy of it; default: the checkout the xtask lives in)",
    );
    let out = path(
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
    let native = long("native")
        .help("Build with this host's rpmbuild")
        .req_flag(Where::Native);
    let container = long("container")
        .help("Build in the builder container")
        .req_flag(Where::Container);
    let place = construct!([native, container]).fallback(Where::Auto);
    let base_image = text(
        "base-image",
        "IMG",
        "Base of the builder image (as rpm takes it)",
    );
    let nodeps = long("nodeps").help("Passed to rpm").switch();
    let without_pjproject = long("without-pjproject").help("Passed to rpm").switch();
    let download_cache = path("download-cache", "DIR", "Passed to rpm");
    let verbose = verbose();
    construct!(BenchFlags {
        source,
        out,
        runs,
        place,
        base_image,
        nodeps,
        without_pjproject,
        download_cache,
        verbose,
    })
}

fn doctor_flags() -> impl Parser<DoctorFlags> {
    let engine = engine();
    let verbose = verbose();
    construct!(DoctorFlags { engine, verbose })
}

fn smoke_flags() -> impl Parser<SmokeFlags> {
    let tag = text("tag", "T", "The image to check (default: asterisk:dev)");
    let engine = engine();
    let timeout_secs = long("timeout")
        .help("How long the container may take to become healthy (default: 120)")
        .argument::<String>("SECS")
        .parse(|v| {
            v.parse::<u64>().ok().filter(|n| *n > 0).ok_or_else(|| {
                format!("--timeout takes a whole number of seconds above 0, not '{v}'")
            })
        })
        .fallback(120);
    let with_category = long("unit-tests")
        .help("On a --dev image: run Asterisk's unit tests (`test execute`) of CATEGORY, or all, in the booted container; JUnit XML into the out dir")
        .argument::<String>("CATEGORY")
        .parse(non_empty("unit-tests"));
    let all = long("unit-tests").req_flag(String::new()).hide();
    let unit_tests = construct!([with_category, all]).optional();
    let out = path(
        "out",
        "DIR",
        "Where --unit-tests writes unit-tests.xml (default: <target>/rpm, recorded in its manifest)",
    );
    let verbose = verbose();
    construct!(SmokeFlags {
        tag,
        engine,
        timeout_secs,
        unit_tests,
        out,
        verbose,
    })
}

mod values;

pub use values::{check_tag, jobs, rtp_ports};

#[cfg(test)]
mod tests;
