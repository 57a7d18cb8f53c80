//! `cargo xtask doctor`'s checks: what each command needs on this machine, and for what is
//! missing, the exact fix on this distribution.
//!
//! The probes (which programs exist, what the engine answers, free space, SELinux, network) are
//! gathered into `Facts`; `findings` turns them into lines with a pure function, tested with
//! tables.

use camino::Utf8Path;

use crate::infra::engine::{Engine, EngineKind, Unusable};
use crate::infra::exec::Shell;

use crate::plan::{flag, place};
use bpaf::{construct, Parser};

/// The distribution families whose install commands differ.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Family {
    /// Debian 13 and later, Ubuntu: docker-buildx is a package.
    Debian,
    /// Debian 12 and earlier: no docker-buildx package; its docker.io (20.10) has BuildKit.
    Debian12,
    Fedora,
    Suse,
    Arch,
    Other,
}

/// The family of an `/etc/os-release` (its ID and ID_LIKE).
pub fn family(os_release: &str) -> Family {
    let mut ids = Vec::new();
    for line in os_release.lines() {
        if let Some(v) = line
            .strip_prefix("ID=")
            .or_else(|| line.strip_prefix("ID_LIKE="))
        {
            ids.extend(v.trim_matches('"').split_whitespace().map(str::to_string));
        }
    }
    let has = |names: &[&str]| ids.iter().any(|i| names.contains(&i.as_str()));
    let debian_release = os_release
        .lines()
        .find_map(|l| l.strip_prefix("VERSION_ID="))
        .and_then(|v| v.trim_matches('"').split('.').next()?.parse::<u32>().ok());
    let plain_debian = os_release
        .lines()
        .any(|l| l.trim_matches('"') == "ID=debian" || l == "ID=\"debian\"");
    if plain_debian && debian_release.is_some_and(|v| v <= 12) {
        Family::Debian12
    } else if has(&["debian", "ubuntu"]) {
        Family::Debian
    } else if has(&["fedora", "rhel", "centos", "rocky", "almalinux"]) {
        Family::Fedora
    } else if has(&["suse", "opensuse", "sles"]) {
        Family::Suse
    } else if has(&["arch"]) {
        Family::Arch
    } else {
        Family::Other
    }
}

/// What installs `what` on `family`.
pub fn install(family: Family, what: Need) -> String {
    use Family::*;
    use Need::*;
    let packages: &str = match (family, what) {
        (Debian12, Buildx) => {
            return "Debian 12 has no docker-buildx package, but its own docker.io (20.10) \
                    builds with BuildKit: apt-get install docker.io and use /usr/bin/docker \
                    (CONTAINER_ENGINE=/usr/bin/docker), or podman"
                .into()
        }
        (Debian | Debian12, Rpmbuild) => "rpm",
        (Fedora | Suse, Rpmbuild) => "rpm-build",
        (Arch, Rpmbuild) => "rpm-tools",
        (Debian | Debian12 | Fedora | Suse | Arch, Git) => "git",
        (Debian | Debian12 | Fedora | Suse | Arch, Curl) => "curl",
        (Debian | Debian12 | Fedora | Suse | Arch, Cpio) => "cpio",
        (Debian | Debian12, Rpm2cpio) => "rpm2cpio",
        (Fedora | Suse, Rpm2cpio) => "rpm",
        (Arch, Rpm2cpio) => "rpm-tools",
        (Debian | Debian12 | Arch, Gpg) => "gnupg",
        (Fedora, Gpg) => "gnupg2",
        (Suse, Gpg) => "gpg2",
        (Debian | Debian12, Sipp) => "sip-tester",
        (Fedora | Suse | Arch, Sipp) => "sipp",
        (Debian, Engine) => "docker.io docker-buildx (or podman catatonit)",
        (Debian12, Engine) => "docker.io (its /usr/bin/docker has BuildKit; or podman catatonit)",
        (Fedora, Engine) => "podman (or docker-ce with docker-buildx-plugin)",
        (Suse | Arch, Engine) => "docker docker-buildx (or podman)",
        (Debian, Buildx) => "docker-buildx",
        (Fedora, Buildx) => "docker-buildx-plugin",
        (Suse | Arch, Buildx) => "docker-buildx",
        (Debian | Debian12 | Fedora | Suse | Arch, Catatonit) => "catatonit",
        (Other, _) => return format!("install {} with this system's package manager", what.name()),
    };
    let tool = match family {
        Debian | Debian12 => "apt-get install",
        Fedora => "dnf install",
        Suse => "zypper install",
        Arch => "pacman -S",
        Other => "",
    };
    format!("{tool} {packages}")
}

/// The things a command may need that a package provides.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Need {
    Rpmbuild,
    Git,
    Curl,
    Engine,
    Buildx,
    Catatonit,
    Gpg,
    Sipp,
    Rpm2cpio,
    Cpio,
}

impl Need {
    fn name(self) -> &'static str {
        match self {
            Need::Rpmbuild => "rpmbuild",
            Need::Git => "git",
            Need::Curl => "curl",
            Need::Engine => "docker or podman",
            Need::Buildx => "docker's buildx component",
            Need::Catatonit => "catatonit",
            Need::Gpg => "gpg",
            Need::Sipp => "sipp",
            Need::Rpm2cpio => "rpm2cpio",
            Need::Cpio => "cpio",
        }
    }
}

/// What the probes found.
#[derive(Debug, Clone, Default)]
pub struct Facts {
    pub os_release: String,
    pub rpmbuild: Option<String>,
    pub rpm: Option<String>,
    pub git: Option<String>,
    pub curl: Option<String>,
    pub rpm2cpio: Option<String>,
    pub cpio: Option<String>,
    pub gpg: Option<String>,
    pub sipp: Option<String>,
    /// The engine program found, and its kind.
    pub engine: Option<(String, EngineKind)>,
    /// Whether the engine answered, or what it said.
    pub engine_answers: Option<Result<(), Unusable>>,
    /// For docker: whether it builds with BuildKit, or why not.
    pub buildkit: Option<Result<(), Unusable>>,
    pub catatonit: Option<bool>,
    pub rootless: Option<bool>,
    /// Free bytes where the target directory is, and that directory.
    pub free: Option<(u64, String)>,
    pub selinux_enforcing: bool,
    /// Whether the third-party download host answered (None: not tried).
    pub network: Option<bool>,
}

/// What a line of the report says of its item.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum State {
    Ok,
    /// Missing for one feature only, or worth knowing.
    Note,
    /// Missing for what the commands do: doctor fails.
    Missing,
}

impl std::fmt::Display for State {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.pad(match self {
            State::Ok => "ok",
            State::Note => "note",
            State::Missing => "MISSING",
        })
    }
}

/// One line of the report.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Finding {
    pub item: &'static str,
    pub state: State,
    pub text: String,
}

/// Where the tree's third-party tarballs come from (third-party/pjproject/Makefile.rules).
const NETWORK_PROBE: &str = "https://raw.githubusercontent.com/asterisk/third-party/master/";

/// The space a real Asterisk build needs in the target directory: the build tree (~480 MB),
/// the packages and the archive, with room to spare.
const NEEDED_BYTES: u64 = 2 << 30;

/// What the facts mean, item by item.
pub fn findings(f: &Facts) -> Vec<Finding> {
    let fam = family(&f.os_release);
    let mut out = Vec::new();
    // A program every build needs: MISSING when it is not there; one feature's: a note.
    let found_or = |missing: State| {
        move |item: &'static str, found: &Option<String>, need: Need, used: &str| match found {
            Some(path) => Finding {
                item,
                state: State::Ok,
                text: path.clone(),
            },
            None => Finding {
                item,
                state: missing,
                text: format!("{}; needed by {used}", install(fam, need)),
            },
        }
    };
    let program = found_or(State::Missing);
    out.push(program(
        "rpmbuild",
        &f.rpmbuild,
        Need::Rpmbuild,
        "cargo xtask rpm --native",
    ));
    out.push(program(
        "rpm",
        &f.rpm,
        Need::Rpmbuild,
        "every build (it reads the packages made)",
    ));
    out.push(program(
        "git",
        &f.git,
        Need::Git,
        "the version of a git checkout",
    ));
    out.push(program(
        "curl",
        &f.curl,
        Need::Curl,
        "cargo xtask fetch, and builds that fetch",
    ));
    out.push(program(
        "rpm2cpio",
        &f.rpm2cpio,
        Need::Rpm2cpio,
        "every build (the SBOM lists the packages' files)",
    ));
    out.push(program(
        "cpio",
        &f.cpio,
        Need::Cpio,
        "every build (the SBOM lists the packages' files)",
    ));
    // What only one feature needs: a note when missing.
    let optional = found_or(State::Note);
    out.push(optional("gpg", &f.gpg, Need::Gpg, "rpm --sign"));
    out.push(optional(
        "sipp",
        &f.sipp,
        Need::Sipp,
        "smoke's SIP call (skipped without it; --call makes that an error)",
    ));
    let mut add = |item, state, text: String| out.push(Finding { item, state, text });
    match (&f.engine, &f.engine_answers) {
        (None, _) => add(
            "engine",
            State::Missing,
            format!(
                "{}; needed by cargo xtask image and smoke, and rpm in a container",
                install(fam, Need::Engine)
            ),
        ),
        (Some((p, _)), Some(Err(why))) => add(
            "engine",
            State::Missing,
            format!("{p} does not answer: {why}"),
        ),
        (Some((p, kind)), _) => add("engine", State::Ok, format!("{p} ({kind:?})")),
    }
    match &f.buildkit {
        Some(Ok(())) => add("buildkit", State::Ok, "the engine builds with BuildKit".into()),
        Some(Err(_)) => add(
            "buildkit",
            State::Missing,
            format!(
                "{} (or point CONTAINER_ENGINE at podman); needed by cargo xtask image and rpm in a container",
                install(fam, Need::Buildx)
            ),
        ),
        None => {}
    }
    match f.catatonit {
        Some(true) => add("catatonit", State::Ok, "podman's --init has it".into()),
        Some(false) => add(
            "catatonit",
            State::Missing,
            format!(
                "{}; podman's --init (smoke) needs it",
                install(fam, Need::Catatonit)
            ),
        ),
        None => {}
    }
    if let Some(true) = f.rootless {
        add(
            "rootless",
            State::Note,
            "the engine runs rootless: files the build writes through mounts belong to your user; \
             the xtask runs the build as your uid"
                .into(),
        );
    }
    match &f.free {
        Some((bytes, dir)) if *bytes < NEEDED_BYTES => add(
            "disk",
            State::Missing,
            format!(
                "{} free in {dir}, a real Asterisk build needs about 2 GiB: free some, or point \
                 CARGO_TARGET_DIR and --out at a disk with room",
                crate::infra::progress::human_size(*bytes)
            ),
        ),
        Some((bytes, dir)) => add(
            "disk",
            State::Ok,
            format!(
                "{} free in {dir}",
                crate::infra::progress::human_size(*bytes)
            ),
        ),
        None => {}
    }
    if f.selinux_enforcing {
        add(
            "selinux",
            State::Note,
            "SELinux is enforcing: the build's mounts are relabelled (:z), so keep the tree and \
             the target directory where the engine may relabel them (not in /usr or /etc)"
                .into(),
        );
    }
    match f.network {
        Some(true) => add(
            "network",
            State::Ok,
            "the third-party download host answers".into(),
        ),
        Some(false) => add(
            "network",
            State::Note,
            "no network to the third-party download host: fetch on a machine that has it \
             (cargo xtask fetch --download-cache DIR), bring DIR here, and build with \
             --download-cache DIR --offline"
                .into(),
        ),
        None => {}
    }
    out
}

/// Probes this machine.
pub fn probe(sh: Shell, engine_program: Option<&str>, target: &Utf8Path) -> Facts {
    let found = |name: &str| which::which(name).ok().map(|p| p.display().to_string());
    let mut f = Facts {
        os_release: std::fs::read_to_string("/etc/os-release").unwrap_or_default(),
        rpmbuild: found("rpmbuild"),
        rpm: found("rpm"),
        git: found("git"),
        curl: found("curl"),
        rpm2cpio: found("rpm2cpio"),
        cpio: found("cpio"),
        gpg: found("gpg").or_else(|| found("gpg2")),
        sipp: found("sipp"),
        selinux_enforcing: std::fs::read_to_string("/sys/fs/selinux/enforce")
            .map(|s| s.trim() == "1")
            .unwrap_or(false),
        ..Facts::default()
    };
    if let Some(e) = Engine::find(sh, engine_program) {
        f.engine = Some((e.program.clone(), e.kind));
        let answers = e.check().map_err(|err| Unusable::of(&err));
        if answers.is_ok() {
            f.buildkit = (e.kind == EngineKind::Docker)
                .then(|| e.check_buildkit().map_err(|err| Unusable::of(&err)));
            let rootless = match e.kind {
                EngineKind::Docker => e
                    .cmd()
                    .args(["info", "--format", "{{.SecurityOptions}}"])
                    .read()
                    .map(|s| s.contains("rootless")),
                EngineKind::Podman => e
                    .cmd()
                    .args(["info", "--format", "{{.Host.Security.Rootless}}"])
                    .read()
                    .map(|s| s.trim() == "true"),
            };
            f.rootless = rootless.ok();
        }
        if e.kind == EngineKind::Podman {
            f.catatonit = Some(
                which::which("catatonit").is_ok()
                    || Utf8Path::new("/usr/libexec/podman/catatonit").exists(),
            );
        }
        f.engine_answers = Some(answers);
    }
    let mut dir = target.to_owned();
    while !dir.exists() {
        match dir.parent() {
            Some(p) => dir = p.to_owned(),
            None => break,
        }
    }
    f.free = free_bytes(&dir).map(|b| (b, dir.to_string()));
    if f.curl.is_some() {
        f.network = Some(
            sh.cmd("curl")
                .args([
                    "-sS",
                    "-o",
                    "/dev/null",
                    "--max-time",
                    "5",
                    "-I",
                    NETWORK_PROBE,
                ])
                .read()
                .is_ok(),
        );
    }
    f
}

/// Free bytes on the file system that holds `dir`.
fn free_bytes(dir: &Utf8Path) -> Option<u64> {
    let path = std::ffi::CString::new(dir.as_str()).ok()?;
    let mut st: libc::statvfs = unsafe { std::mem::zeroed() };
    // SAFETY: a valid C string and a zeroed statvfs this function owns.
    let rc = unsafe { libc::statvfs(path.as_ptr(), &mut st) };
    (rc == 0).then(|| st.f_bavail as u64 * st.f_frsize as u64)
}

// `doctor`'s flags.

#[derive(Debug, Clone, Default)]
pub struct DoctorFlags {
    pub engine: Option<String>,
    /// `--verbose`.
    pub sh: Shell,
}

pub fn flags() -> impl Parser<DoctorFlags> {
    let engine = place::engine_flag();
    let sh = flag::shell();
    construct!(DoctorFlags { engine, sh })
}

#[cfg(test)]
mod tests;
