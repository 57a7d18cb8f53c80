//! The run stage: the image of your tree, running, with Asterisk's console in your terminal.
//!
//! One container per tree (named and labelled after `<host>:<tree>`): a new run replaces the one
//! an earlier run left (detached, or whose xtask is gone), and refuses while another run of the
//! tree is attached to it. SIP (5060 UDP and TCP) and the image's RTP range are published on
//! 127.0.0.1 (every address with `--publish-all`; the host's network with `--host-network`).
//! When another tree's run holds 5060, SIP gets ports the engine picks and RTP stays unpublished
//! (local clients reach the container's own address), so two trees run side by side. A port
//! something else holds is refused with what holds it. Leaving the console, or Ctrl-C, removes
//! the container with its anonymous volumes and the private copy of `--config`; `--keep-state`
//! keeps /var/lib/asterisk and /var/spool/asterisk in named volumes; `--detach` leaves it
//! running and says how to reach and stop it.

use std::time::Instant;

use anyhow::{anyhow, bail, Context, Result};
use camino::{Utf8Path, Utf8PathBuf};

use super::boot_test;
use super::call;
use super::runtime_image::{tree_label, TREE_LABEL};
use crate::infra::digest;
use crate::infra::engine::{hostname, Engine};
use crate::infra::exec::alive;
use crate::infra::interrupt::{self, Interrupted};
use crate::source::tree::Tree;

use crate::plan::flag;
use bpaf::{construct, long, Parser};

/// Which tree's run a container is (a digest of `<host>:<tree>`).
const RUN_LABEL: &str = "org.asterisk.xtask.run";
/// `<host>:<pid>` of the attached run, or `detached`.
const OWNER_LABEL: &str = "org.asterisk.xtask.run.owner";
/// The private copy of `--config` the container mounts, removed with it.
const COPY_LABEL: &str = "org.asterisk.xtask.run.copy";
/// The image's SIP port.
const SIP_PORT: u16 = 5060;

/// Where the container listens.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub enum Listen {
    /// Published on 127.0.0.1.
    #[default]
    Loopback,
    /// `--publish-all`: published on every address.
    All,
    /// `--host-network`: the host's network, nothing to publish.
    Host,
}

/// What `run` was asked for, besides the image.
#[derive(Debug, Clone, Default)]
pub struct ContainerFlags {
    pub config: Option<Utf8PathBuf>,
    pub network: Listen,
    pub keep_state: bool,
    pub detach: bool,
    pub timeout_secs: u64,
}

/// The run of a tree: its id (for the labels), the container's and the kept volumes' names.
#[derive(Debug, Clone, PartialEq, Eq)]
struct RunName {
    pub id: String,
    pub container: String,
}

impl RunName {
    pub fn of(tree_label: &str) -> RunName {
        let id = digest::sha256_of_parts(&[tree_label.as_bytes()])[..12].to_string();
        RunName {
            container: format!("asterisk-xtask-run-{id}"),
            id,
        }
    }

    /// The named volumes `--keep-state` keeps: (volume, where it is mounted).
    pub fn volumes(&self) -> [(String, &'static str); 2] {
        [
            (format!("{}-lib", self.container), "/var/lib/asterisk"),
            (format!("{}-spool", self.container), "/var/spool/asterisk"),
        ]
    }
}

/// What to do with a container an earlier run of the tree left.
#[derive(Debug, PartialEq, Eq)]
pub enum Earlier {
    Replace,
    /// Another run of this tree is attached to it (its xtask's pid).
    Attached(u32),
}

/// An attached run whose xtask still lives on this host keeps its container; anything else
/// (detached, a run that was killed, another host's label) is replaced.
pub fn earlier(owner: &str, this_host: &str, alive: impl Fn(u32) -> bool) -> Earlier {
    match owner.rsplit_once(':') {
        Some((host, pid)) if host == this_host => match pid.parse::<u32>() {
            Ok(p) if alive(p) && p != std::process::id() => Earlier::Attached(p),
            _ => Earlier::Replace,
        },
        _ => Earlier::Replace,
    }
}

/// How SIP and RTP are published.
#[derive(Debug, Clone, PartialEq, Eq)]
enum Publish {
    /// On `address`, at the image's own ports.
    Fixed {
        address: &'static str,
    },
    /// SIP on ports the engine picks on `address`, RTP not published (another tree's run has
    /// the fixed ones).
    Picked {
        address: &'static str,
        holder: String,
    },
    Host,
}

/// The engine's arguments for a way of publishing.
fn publish_args(p: &Publish, rtp: (u16, u16)) -> Vec<String> {
    let sip = |address: &str, host_port: &str| {
        ["udp", "tcp"]
            .iter()
            .flat_map(|proto| {
                [
                    "-p".to_string(),
                    format!("{address}:{host_port}:{SIP_PORT}/{proto}"),
                ]
            })
            .collect::<Vec<_>>()
    };
    match p {
        Publish::Fixed { address } => {
            let mut args = sip(address, &SIP_PORT.to_string());
            args.push("-p".into());
            args.push(format!(
                "{address}:{}-{}:{}-{}/udp",
                rtp.0, rtp.1, rtp.0, rtp.1
            ));
            args
        }
        Publish::Picked { address, .. } => sip(address, ""),
        Publish::Host => vec!["--network".into(), "host".into()],
    }
}

/// The port numbers of a `/proc/net/{udp,tcp}[6]` table bound to `port` (in any state for UDP,
/// listening for TCP), with their socket inodes.
fn socket_inodes(table: &str, port: u16, tcp: bool) -> Vec<u64> {
    let want = format!("{port:04X}");
    table
        .lines()
        .skip(1)
        .filter_map(|line| {
            let f: Vec<&str> = line.split_whitespace().collect();
            let local = f.get(1)?;
            let state = f.get(3)?;
            let inode = f.get(9)?.parse::<u64>().ok()?;
            let (_, p) = local.rsplit_once(':')?;
            (p.eq_ignore_ascii_case(&want) && (!tcp || *state == "0A")).then_some(inode)
        })
        .collect()
}

/// Who holds a port on this host: `name (pid N)`, when /proc tells.
fn holder_of(port: u16, tcp: bool) -> Option<String> {
    let tables: &[&str] = match tcp {
        true => &["/proc/net/tcp", "/proc/net/tcp6"],
        false => &["/proc/net/udp", "/proc/net/udp6"],
    };
    let inodes: Vec<u64> = tables
        .iter()
        .filter_map(|t| std::fs::read_to_string(t).ok())
        .flat_map(|t| socket_inodes(&t, port, tcp))
        .collect();
    if inodes.is_empty() {
        return None;
    }
    for entry in std::fs::read_dir("/proc").ok()?.flatten() {
        let Some(pid) = entry
            .file_name()
            .to_str()
            .and_then(|p| p.parse::<u32>().ok())
        else {
            continue;
        };
        let Ok(fds) = std::fs::read_dir(entry.path().join("fd")) else {
            continue;
        };
        for fd in fds.flatten() {
            let Ok(link) = std::fs::read_link(fd.path()) else {
                continue;
            };
            let link = link.to_string_lossy();
            if inodes
                .iter()
                .any(|i| link.as_ref() == format!("socket:[{i}]"))
            {
                let name = std::fs::read_to_string(entry.path().join("comm")).unwrap_or_default();
                return Some(format!("{} (pid {pid})", name.trim()));
            }
        }
    }
    None
}

/// The first port of SIP and the RTP range that cannot be bound on `address`: `(port, proto)`.
fn busy_port(address: &str, rtp: (u16, u16)) -> Option<(u16, &'static str)> {
    if std::net::UdpSocket::bind((address, SIP_PORT)).is_err() {
        return Some((SIP_PORT, "udp"));
    }
    if std::net::TcpListener::bind((address, SIP_PORT)).is_err() {
        return Some((SIP_PORT, "tcp"));
    }
    (rtp.0..=rtp.1)
        .find(|p| std::net::UdpSocket::bind((address, *p)).is_err())
        .map(|p| (p, "udp"))
}

/// The image names a tree: it must be this one (`run --tag` of another tree's image would run
/// someone else's Asterisk and retag it).
pub fn check_image_tree(engine: &Engine, tag: &str, tree: &Tree) -> Result<()> {
    if engine.image_id(tag)?.is_none() {
        return Ok(());
    }
    let theirs = engine
        .cmd()
        .args([
            "image",
            "inspect",
            "--format",
            &format!("{{{{index .Config.Labels \"{TREE_LABEL}\"}}}}"),
            tag,
        ])
        .read()?;
    let theirs = theirs.trim();
    let mine = tree_label(tree);
    if !theirs.is_empty() && theirs != "<no value>" && theirs != mine {
        bail!(
            "--tag {tag} names an image of another tree ({theirs}): run would replace it with this tree's; choose another tag, or leave --tag out"
        );
    }
    Ok(())
}

/// Removes the container and the copy of `--config` it mounts, however the run ends (unless
/// detached).
struct Running<'a> {
    engine: &'a Engine,
    name: String,
    copy: Option<Utf8PathBuf>,
    keep: bool,
}

impl Drop for Running<'_> {
    fn drop(&mut self) {
        if self.keep {
            return;
        }
        self.engine.remove_container(&self.name);
        if let Some(copy) = &self.copy {
            let _ = std::fs::remove_dir_all(copy);
        }
    }
}

/// The knobs of the image's entry point that `run` passes on from the environment (not
/// ASTERISK_RTP_PORTS: the range published is the image's; `image --rtp-ports` sets it).
const PASSED_ON: [&str; 5] = [
    "ASTERISK_EXTERNAL_ADDRESS",
    "ASTERISK_LOCAL_NET",
    "ASTERISK_VERBOSE",
    "ASTERISK_ENDPOINT_PASSWORD",
    "TZ",
];

/// Replaces what an earlier run of the tree left, starts the image, waits until it is healthy,
/// then attaches the console (or, detached, says how to).
pub fn run(engine: &Engine, tag: &str, tree: &Tree, c: &ContainerFlags) -> Result<()> {
    let label = tree_label(tree);
    let name = RunName::of(&label);
    check_config(c)?;
    // The configuration is checked (and copied) before the earlier container goes.
    let mut mounts = match &c.config {
        Some(dir) => Some(call::mounts(std::slice::from_ref(dir))?),
        None => None,
    };
    let rtp = super::runtime_image::rtp_range(engine, tag)?.with_context(|| {
        format!("{tag} names no ASTERISK_RTP_PORTS: build it with cargo xtask image")
    })?;
    replace_earlier(engine, &name)?;
    let publish = choose_publish(engine, c.network, rtp, &label)?;
    let mut running = Running {
        engine,
        name: name.container.clone(),
        copy: mounts.as_mut().and_then(|m| m.take_copy()),
        keep: false,
    };
    let owner = match c.detach {
        true => "detached".to_string(),
        false => format!("{}:{}", hostname(), std::process::id()),
    };
    let mut start = engine
        .cmd()
        .args(["run", "-d", "--init", "--name", &name.container])
        .args(["--label", &format!("{RUN_LABEL}={}", name.id)])
        .args(["--label", &format!("{OWNER_LABEL}={owner}")])
        .args(["--label", &format!("{TREE_LABEL}={label}")]);
    if let Some(copy) = &running.copy {
        start = start.args(["--label", &format!("{COPY_LABEL}={copy}")]);
    }
    start = start.args(publish_args(&publish, rtp));
    if let Some(m) = &mounts {
        start = start.args(m.args.iter().cloned());
        if let Some(user) = &m.user {
            start = start.args(["--user", user]);
        }
        for d in &m.described {
            eprintln!("  configuration: {d}");
        }
    }
    if c.keep_state {
        for (volume, at) in name.volumes() {
            start = start.args(["-v", &format!("{volume}:{at}")]);
        }
    }
    for knob in PASSED_ON {
        if let Ok(v) = std::env::var(knob) {
            start = start.args(["-e", &format!("{knob}={v}")]);
        }
    }
    interrupt::check()?;
    let started = Instant::now();
    start
        .arg(tag)
        .run(|line| eprintln!("  container {line}"))
        .with_context(|| format!("starting {tag}"))?;
    eprintln!("run: {} from {tag}", name.container);
    let waited = boot_test::wait_healthy(
        engine,
        &name.container,
        tag,
        c.timeout_secs,
        started,
        &format!("{tag} did not come up; the container was removed"),
        boot_test::Asked::Here,
    );
    if let Err(e) = waited {
        return Err(interrupted_or(e, &name.container));
    }
    eprintln!("  healthy after {:.1}s", started.elapsed().as_secs_f64());
    say_where(engine, &name.container, &publish, rtp);
    if c.keep_state {
        let volumes: Vec<String> = name.volumes().iter().map(|v| v.0.clone()).collect();
        eprintln!(
            "  state: kept in the volumes {} (the next run of this tree with --keep-state uses them again; docker volume rm {} drops them)",
            volumes.join(" and "),
            volumes.join(" ")
        );
    }
    let program = &engine.program;
    if c.detach {
        running.keep = true;
        eprintln!(
            "run: {n} is running, detached\n  console: {program} exec -it {n} asterisk -rvvv\n  logs:    {program} logs -f {n}\n  stop:    {program} rm -f -v {n}    (the next cargo xtask run of this tree replaces it)",
            n = name.container
        );
        return Ok(());
    }
    // SAFETY: isatty(3) only asks.
    let tty = unsafe { libc::isatty(0) } == 1;
    eprintln!("run: the console (exit, quit or Ctrl-C leaves it, and removes the container)");
    let console = engine
        .cmd()
        .args(["exec", if tty { "-it" } else { "-i" }, &name.container])
        .args(["asterisk", "-rvvv"])
        .attach();
    match console {
        Ok(_) => {
            eprintln!("run: the console closed: removing {}", name.container);
            Ok(())
        }
        Err(e) => Err(interrupted_or(e, &name.container)),
    }
}

/// `--config` names a directory (checked before anything is built, and again before it is
/// copied).
pub fn check_config(c: &ContainerFlags) -> Result<()> {
    if let Some(config) = &c.config {
        let absolute = crate::infra::workspace::absolute(config)?;
        if !absolute.is_dir() {
            bail!(crate::plan::flag::Usage(match absolute.exists() {
                true => format!("--config {config} is not a directory: name the directory to use as /etc/asterisk (single files: cargo xtask smoke --config FILE)"),
                false => format!("--config {config}: no such directory: name the directory to use as /etc/asterisk"),
            }));
        }
    }
    Ok(())
}

/// An interrupt says what it removed; anything else is as it came.
fn interrupted_or(e: anyhow::Error, name: &str) -> anyhow::Error {
    match e.downcast_ref::<Interrupted>().is_some() || interrupt::requested() {
        true => anyhow!(Interrupted {
            done: Some(format!("the container {name} was removed")),
        }),
        false => e,
    }
}

/// The containers earlier runs of a tree left (detached, or whose xtask is gone), found before
/// anything is built so that an attached run is refused at once, and removed while the build
/// runs (removing one that publishes the RTP range takes the engine seconds).
pub struct Leftovers<'a> {
    engine: &'a Engine,
    /// (container, the copy of `--config` it mounts).
    found: Vec<(String, String)>,
}

impl<'a> Leftovers<'a> {
    /// What earlier runs of `tree` left; an error when a run is attached to its container.
    pub fn of(engine: &'a Engine, tree: &Tree) -> Result<Leftovers<'a>> {
        let name = RunName::of(&tree_label(tree));
        Leftovers::named(engine, &name)
    }

    fn named(engine: &'a Engine, name: &RunName) -> Result<Leftovers<'a>> {
        let listed = engine
            .cmd()
            .args([
                "ps",
                "-a",
                "--filter",
                &format!("label={RUN_LABEL}={}", name.id),
                "--format",
                &format!(
                    "{{{{.Names}}}}\t{{{{.Label \"{OWNER_LABEL}\"}}}}\t{{{{.Label \"{COPY_LABEL}\"}}}}"
                ),
            ])
            .read()
            .context("listing this tree's run containers")?;
        let mut found = Vec::new();
        for line in listed.lines().filter(|l| !l.trim().is_empty()) {
            let mut f = line.split('\t');
            let (container, owner, copy) = (
                f.next().unwrap_or_default(),
                f.next().unwrap_or_default(),
                f.next().unwrap_or_default(),
            );
            if let Earlier::Attached(pid) = earlier(owner, &hostname(), alive) {
                bail!(
                    "another cargo xtask run (pid {pid}) is attached to {container}, this tree's container: leave its console (exit) first, or stop it ({} rm -f -v {container})",
                    engine.program
                );
            }
            found.push((container.to_string(), copy.to_string()));
        }
        Ok(Leftovers { engine, found })
    }

    /// The containers found.
    pub fn names(&self) -> Vec<&str> {
        self.found.iter().map(|(c, _)| c.as_str()).collect()
    }

    /// Removes the containers with their anonymous volumes, and the copies of `--config` runs
    /// made for them.
    pub fn remove(&self) {
        for (container, copy) in &self.found {
            self.engine.remove_container(container);
            // Only the copies runs make, under the temporary directory.
            if is_run_copy(Utf8Path::new(copy)) {
                let _ = std::fs::remove_dir_all(copy);
            }
        }
    }
}

/// The container an earlier run of this tree left: replaced, unless a run is attached to it.
fn replace_earlier(engine: &Engine, name: &RunName) -> Result<()> {
    let left = Leftovers::named(engine, name)?;
    for container in left.names() {
        eprintln!("run: replacing {container}, which an earlier run of this tree started");
    }
    left.remove();
    Ok(())
}

/// Fixed ports when they are free; ports the engine picks when another tree's run holds them;
/// an error naming the holder otherwise.
fn choose_publish(
    engine: &Engine,
    network: Listen,
    rtp: (u16, u16),
    label: &str,
) -> Result<Publish> {
    let address = match network {
        Listen::Host => "0.0.0.0",
        Listen::Loopback => "127.0.0.1",
        Listen::All => "0.0.0.0",
    };
    let Some((port, proto)) = busy_port(address, rtp) else {
        return Ok(match network {
            Listen::Host => Publish::Host,
            _ => Publish::Fixed { address },
        });
    };
    if network != Listen::Host {
        if let Some(other) = other_trees_run(engine, label)? {
            return Ok(Publish::Picked {
                address,
                holder: other,
            });
        }
    }
    let holder = holder_of(port, proto == "tcp")
        .map(|h| format!("{h} holds it"))
        .unwrap_or_else(|| "something this user cannot see holds it".into());
    bail!(
        "{address}:{port}/{proto} is in use ({holder}): the container needs SIP's 5060 and the image's RTP range; stop what holds it, and run again"
    )
}

/// A run container of another tree that publishes SIP's port: its container name and tree.
fn other_trees_run(engine: &Engine, label: &str) -> Result<Option<String>> {
    let listed = engine
        .cmd()
        .args([
            "ps",
            "--filter",
            &format!("label={RUN_LABEL}"),
            "--format",
            &format!("{{{{.Names}}}}\t{{{{.Label \"{TREE_LABEL}\"}}}}\t{{{{.Ports}}}}"),
        ])
        .read()?;
    Ok(listed.lines().find_map(|line| {
        let mut f = line.split('\t');
        let (name, tree, ports) = (f.next()?, f.next()?, f.next()?);
        (tree != label && ports.contains(&format!(":{SIP_PORT}->")))
            .then(|| format!("{name} ({tree})"))
    }))
}

/// Where the container answers, as the engine published it.
fn say_where(engine: &Engine, name: &str, publish: &Publish, rtp: (u16, u16)) {
    match publish {
        Publish::Host => eprintln!(
            "  SIP on the host's 5060 (UDP, TCP), RTP {}-{}: the host's network",
            rtp.0, rtp.1
        ),
        Publish::Fixed { address } => eprintln!(
            "  SIP on {address}:5060 (UDP, TCP), RTP on {address}:{}-{}",
            rtp.0, rtp.1
        ),
        Publish::Picked { holder, .. } => {
            let ports = engine
                .cmd()
                .args(["port", name, &format!("{SIP_PORT}/udp")])
                .read()
                .unwrap_or_default();
            eprintln!(
                "  SIP on {} (UDP; TCP: {} port {name} 5060/tcp): 5060 is {holder}'s; RTP is not published (local clients reach the container's address)",
                ports.lines().next().unwrap_or("a port the engine picked").trim(),
                engine.program
            );
        }
    }
}

/// The private copy of `--config`, if the path is one runs make.
fn is_run_copy(path: &Utf8Path) -> bool {
    path.as_str().contains("/asterisk-xtask-config-")
}

// `run`'s flags: the image's and its own.

#[derive(Debug, Clone, Default)]
pub struct RunFlags {
    pub image: super::runtime_image::ImageFlags,
    pub container: ContainerFlags,
}

pub fn flags() -> impl Parser<RunFlags> {
    let image = super::runtime_image::flags();
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
    let timeout_secs = boot_test::timeout_flag();
    let container = construct!(ContainerFlags {
        config,
        network,
        keep_state,
        detach,
        timeout_secs,
    });
    construct!(RunFlags { image, container })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn one_container_per_tree() {
        let a = RunName::of("host:/src/asterisk");
        assert_eq!(a, RunName::of("host:/src/asterisk"));
        assert_ne!(a, RunName::of("host:/src/asterisk-2"));
        assert_ne!(a, RunName::of("other:/src/asterisk"));
        assert_eq!(a.container.len(), "asterisk-xtask-run-".len() + 12);
        assert_eq!(a.volumes()[0].0, format!("{}-lib", a.container));
        assert_eq!(a.volumes()[1].1, "/var/spool/asterisk");
    }

    #[test]
    fn what_an_earlier_run_left() {
        let alive = |p: u32| p == 42;
        let cases = [
            ("here:42", Earlier::Attached(42)),
            ("here:43", Earlier::Replace),
            ("there:42", Earlier::Replace),
            ("detached", Earlier::Replace),
            ("", Earlier::Replace),
            ("here:x", Earlier::Replace),
        ];
        for (owner, want) in cases {
            assert_eq!(earlier(owner, "here", alive), want, "{owner}");
        }
        // This very process is never another run.
        let me = format!("here:{}", std::process::id());
        assert_eq!(earlier(&me, "here", |_| true), Earlier::Replace);
    }

    #[test]
    fn how_ports_are_published() {
        let rtp = (10000, 10099);
        assert_eq!(
            publish_args(
                &Publish::Fixed {
                    address: "127.0.0.1"
                },
                rtp
            ),
            [
                "-p",
                "127.0.0.1:5060:5060/udp",
                "-p",
                "127.0.0.1:5060:5060/tcp",
                "-p",
                "127.0.0.1:10000-10099:10000-10099/udp"
            ]
        );
        assert_eq!(
            publish_args(
                &Publish::Picked {
                    address: "0.0.0.0",
                    holder: "x".into()
                },
                rtp
            ),
            ["-p", "0.0.0.0::5060/udp", "-p", "0.0.0.0::5060/tcp"]
        );
        assert_eq!(publish_args(&Publish::Host, rtp), ["--network", "host"]);
    }

    #[test]
    fn sockets_on_a_port() {
        let udp = "  sl  local_address rem_address   st tx_queue rx_queue tr tm->when retrnsmt   uid  timeout inode ref pointer drops\n\
                   1: 0100007F:13C4 00000000:0000 07 00000000:00000000 00:00000000 00000000     0        0 31337 2 0000000000000000 0\n\
                   2: 00000000:2710 00000000:0000 07 00000000:00000000 00:00000000 00000000     0        0 31338 2 0000000000000000 0\n";
        assert_eq!(socket_inodes(udp, 5060, false), [31337]);
        assert_eq!(socket_inodes(udp, 10000, false), [31338]);
        assert!(socket_inodes(udp, 5061, false).is_empty());
        let tcp = "  sl  local_address rem_address   st\n\
                   0: 0100007F:13C4 00000000:0000 0A 00000000:00000000 00:00000000 00000000     0        0 4242 1\n\
                   1: 0100007F:13C4 0100007F:9C40 01 00000000:00000000 00:00000000 00000000     0        0 4343 1\n";
        assert_eq!(socket_inodes(tcp, 5060, true), [4242]);
        assert!(is_run_copy(Utf8Path::new("/tmp/asterisk-xtask-config-12")));
        assert!(!is_run_copy(Utf8Path::new("/home/me/conf")));
    }
}
