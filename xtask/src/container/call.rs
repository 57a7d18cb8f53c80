//! smoke's SIP call: sipp (the SIP test tool) against the booted image, as a softphone behind
//! NAT would reach it. SIP is published on a free port of 127.0.0.1, an RTP range of its own
//! too (ASTERISK_RTP_PORTS, with ASTERISK_EXTERNAL_ADDRESS=127.0.0.1, so the answer's SDP
//! names the published address), and endpoint 6001 gets a password of this run
//! (ASTERISK_ENDPOINT_PASSWORD). Three steps, each timed: an OPTIONS (200), a REGISTER with
//! digest authentication (200), and a call to the echo test: answered, three seconds of G.711
//! sent from here, the same number of packets back (counted here and by Asterisk's
//! `pjsip show channelstats`), and a BYE (200).
//!
//! The flags (`--call`, `--no-call`, `--config`) are this slice's; `smoke` only asks it for
//! the container's arguments and then to place the call.

use std::net::{Ipv4Addr, SocketAddrV4, UdpSocket};
use std::time::{Duration, Instant};

use anyhow::{anyhow, bail, Context, Result};
use bpaf::{construct, long, Parser};
use camino::{Utf8Path, Utf8PathBuf};

use std::collections::BTreeMap;

use super::checks;
use crate::infra::engine::Engine;
use crate::infra::exec::Shell;
use crate::infra::interrupt;
use crate::infra::regular::{self, Copied};
use crate::plan::flag::Usage;

/// The endpoint and extension of the image's default configuration (contrib/docker/image).
const ENDPOINT: &str = "6001";
const ECHO_EXTENSION: &str = "600";
/// The image's asterisk group: a uid in it can run the image (its state is the group's).
const ASTERISK_GID: u32 = 450;
/// Three seconds of 20 ms packets of PCMU (160 bytes each).
const PACKETS: u32 = 150;
const PAYLOAD: usize = 160;
/// RTP ports the call's container gets (five calls' worth).
const RTP_PORTS: u16 = 10;
/// How long one SIP step waits for an answer.
const ANSWER_SECS: u64 = 5;
/// How long the call stays up after it is answered: the audio, its echo, and the count.
const CALL_MS: u64 = 7000;

const OPTIONS_XML: &str = include_str!("sipp/options.xml");
const REGISTER_XML: &str = include_str!("sipp/register.xml");
const CALL_XML: &str = include_str!("sipp/call.xml");

/// Whether smoke places the call.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum CallMode {
    /// When sipp is installed; a line says so when it is not.
    #[default]
    IfSipp,
    /// `--call`: a missing sipp is an error.
    Required,
    /// `--no-call`.
    Skip,
}

#[derive(Debug, Clone, Default)]
pub struct CallFlags {
    pub mode: CallMode,
    /// `--config PATH`: a directory mounted as /etc/asterisk, or files mounted into it.
    pub config: Vec<Utf8PathBuf>,
}

pub fn flags() -> impl Parser<CallFlags> {
    let call = long("call")
        .help("Fail when sipp is missing instead of skipping the SIP call")
        .req_flag(CallMode::Required);
    let no_call = long("no-call")
        .help("Skip the SIP call (OPTIONS, REGISTER, a call to the echo test)")
        .req_flag(CallMode::Skip);
    let mode = construct!([call, no_call]).fallback(CallMode::IfSipp);
    let config = long("config")
        .help("Boot with your configuration: a directory as /etc/asterisk (a copy), or a file mounted into it read-only (repeatable)")
        .argument::<String>("PATH")
        .parse(crate::plan::flag::non_empty("config"))
        .map(Utf8PathBuf::from)
        .many();
    construct!(CallFlags { mode, config })
}

/// What the call needs, decided before the container starts.
pub struct Call {
    sipp: String,
    password: String,
    rtp: (u16, u16),
    scratch: Utf8PathBuf,
}

impl Drop for Call {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.scratch);
    }
}

/// sipp, found, or why the call is skipped (None), or an error under `--call`.
pub fn prepare(mode: CallMode) -> Result<Option<Call>> {
    if mode == CallMode::Skip {
        eprintln!("  sip call: skipped (--no-call)");
        return Ok(None);
    }
    let Ok(sipp) = which::which("sipp") else {
        let fix =
            "apt-get install sip-tester on Debian and Ubuntu, dnf install sipp on Fedora and EPEL";
        if mode == CallMode::Required {
            bail!("--call needs sipp, which is not installed: {fix}");
        }
        eprintln!("  sip call: skipped: sipp is not installed ({fix}; --call makes this an error)");
        return Ok(None);
    };
    let sipp = Utf8PathBuf::from_path_buf(sipp)
        .map_err(|p| anyhow!("sipp's path is not UTF-8: {}", p.display()))?;
    let scratch = Utf8PathBuf::from_path_buf(std::env::temp_dir())
        .map_err(|p| anyhow!("the temporary directory is not UTF-8: {}", p.display()))?
        .join(format!("asterisk-xtask-call-{}", std::process::id()));
    std::fs::create_dir_all(&scratch).with_context(|| format!("creating {scratch}"))?;
    Ok(Some(Call {
        sipp: sipp.to_string(),
        password: password()?,
        rtp: free_rtp_range()?,
        scratch,
    }))
}

impl Call {
    /// The container's arguments: SIP and the RTP range published on 127.0.0.1, the
    /// environment that makes the SDP name that address, and this run's password.
    pub fn run_args(&self) -> Vec<String> {
        let (first, last) = self.rtp;
        vec![
            "-p".into(),
            "127.0.0.1::5060/udp".into(),
            "-p".into(),
            format!("127.0.0.1:{first}-{last}:{first}-{last}/udp"),
            "-e".into(),
            "ASTERISK_EXTERNAL_ADDRESS=127.0.0.1".into(),
            "-e".into(),
            format!("ASTERISK_RTP_PORTS={first}-{last}"),
            "-e".into(),
            format!("ASTERISK_ENDPOINT_PASSWORD={}", self.password),
        ]
    }

    /// The three steps against the running container `name`.
    pub fn place(&self, engine: &Engine, name: &str, mode: CallMode) -> Result<()> {
        let transports = checks::asterisk(engine, name, "pjsip show transports")?;
        if transports.contains("No such command") {
            if mode == CallMode::Required {
                bail!(
                    "--call: the image has no PJSIP (its packages do not include asterisk-pjsip)"
                );
            }
            eprintln!("  sip call: skipped: the image has no PJSIP (asterisk-pjsip is not among its packages)");
            return Ok(());
        }
        let port = engine
            .cmd()
            .args(["port", name, "5060/udp"])
            .read()
            .context("asking where the container's SIP port is published")?;
        let port = published_port(&port)
            .with_context(|| format!("reading the published SIP port from '{}'", port.trim()))?;
        let sh = engine.sh;
        let started = Instant::now();
        self.step(sh, "OPTIONS", OPTIONS_XML, port)?;
        eprintln!(
            "  sip OPTIONS as {ENDPOINT} (digest): 200 OK ({:.1}s)",
            started.elapsed().as_secs_f64()
        );
        let started = Instant::now();
        self.step(sh, "REGISTER", REGISTER_XML, port)?;
        eprintln!(
            "  sip REGISTER as {ENDPOINT} (digest): 200 OK ({:.1}s)",
            started.elapsed().as_secs_f64()
        );
        let started = Instant::now();
        let media = UdpSocket::bind(SocketAddrV4::new(Ipv4Addr::LOCALHOST, 0))
            .context("opening a UDP socket for the call's audio")?;
        let media_port = media
            .local_addr()
            .context("reading the audio socket")?
            .port();
        let media_file = self.scratch.join("media");
        let _ = std::fs::remove_file(&media_file);
        let xml = CALL_XML
            .replace("EXTENSION", ECHO_EXTENSION)
            .replace("RTP_PORT", &media_port.to_string())
            .replace("MEDIA_FILE", media_file.as_str())
            .replace("PAUSE_MS", &CALL_MS.to_string());
        let counted = std::thread::scope(|scope| {
            let sipp = scope.spawn(|| self.step(sh, "call", &xml, port));
            let audio = echo_test(&media, &media_file, || sipp.is_finished())
                .and_then(|client| Ok((client, channel_stats(engine, name)?)));
            let signalled = sipp
                .join()
                .unwrap_or_else(|_| Err(anyhow!("the sipp thread panicked")));
            signalled.and(audio)
        })?;
        let ((sent, back), (asterisk_in, asterisk_out)) = counted;
        let learning = if asterisk_in < sent {
            format!(
                " (strict RTP keeps the first {} while it learns the source)",
                sent - asterisk_in
            )
        } else {
            String::new()
        };
        eprintln!(
            "  sip call to {ECHO_EXTENSION} (echo test): answered, {sent} RTP packets sent, {back} came \
             back; Asterisk counted {asterisk_in} in{learning}, {asterisk_out} out; BYE 200 OK ({:.1}s)",
            started.elapsed().as_secs_f64()
        );
        if let Some(problem) = audio_problem(sent, back, asterisk_in, asterisk_out) {
            bail!("sip call to {ECHO_EXTENSION} (echo test): {problem}");
        }
        Ok(())
    }

    /// One sipp run of `xml`; its error names the step and the response it got.
    fn step(&self, sh: Shell, step: &str, xml: &str, port: u16) -> Result<()> {
        let file = self.scratch.join(format!("{}.xml", step.to_lowercase()));
        std::fs::write(&file, xml).with_context(|| format!("writing {file}"))?;
        let errors = self
            .scratch
            .join(format!("{}-errors.log", step.to_lowercase()));
        let _ = std::fs::remove_file(&errors);
        let local = free_udp_port()?;
        let control = free_udp_port()?;
        let media_port = free_udp_port()?;
        let cmd = sh
            .cmd(&self.sipp)
            .arg(format!("127.0.0.1:{port}"))
            .args(["-sf", file.as_str(), "-s", ENDPOINT, "-au", ENDPOINT])
            .args(["-ap", &self.password, "-i", "127.0.0.1"])
            .args(["-p", &local.to_string(), "-cp", &control.to_string()])
            .args([
                "-mp",
                &media_port.to_string(),
                "-m",
                "1",
                "-l",
                "1",
                "-nostdin",
            ])
            .args(["-recv_timeout", &format!("{}s", ANSWER_SECS)])
            .args([
                "-timeout",
                &format!("{}s", ANSWER_SECS * 3 + CALL_MS / 1000),
            ])
            .args([
                "-timeout_error",
                "-trace_err",
                "-error_file",
                errors.as_str(),
            ])
            .stall_limit(Duration::from_secs(ANSWER_SECS * 6 + CALL_MS / 1000));
        let mut screen = Vec::new();
        let ran = cmd.run(|line| screen.push(line.to_string()));
        if ran.is_ok() {
            return Ok(());
        }
        interrupt::check()?;
        let log = std::fs::read_to_string(&errors).unwrap_or_default();
        let what = sipp_failure(&log).unwrap_or_else(|| {
            format!(
                "sipp failed ({})",
                ran.err().map(|e| format!("{e:#}")).unwrap_or_default()
            )
        });
        let hint = if what.contains(" 401 ") {
            " (the password smoke set through ASTERISK_ENDPOINT_PASSWORD was refused: a \
             configuration that does not take it from environment.conf?)"
        } else {
            ""
        };
        bail!("sip {step} as {ENDPOINT}: {what}{hint}")
    }
}

/// Sends the audio once the call is answered (sipp writes the answer's address to
/// `media_file`), counts what comes back; (sent, received).
fn echo_test(
    socket: &UdpSocket,
    media_file: &Utf8Path,
    sipp_done: impl Fn() -> bool,
) -> Result<(u32, u32)> {
    let waiting = Instant::now();
    let remote = loop {
        interrupt::check()?;
        if let Some(remote) = std::fs::read_to_string(media_file)
            .ok()
            .as_deref()
            .and_then(media_line)
        {
            break remote;
        }
        if sipp_done() || waiting.elapsed() > Duration::from_secs(ANSWER_SECS * 3) {
            // sipp's own error (the response it got) says why.
            return Ok((0, 0));
        }
        std::thread::sleep(Duration::from_millis(20));
    };
    socket
        .set_read_timeout(Some(Duration::from_millis(2)))
        .context("setting the audio socket's timeout")?;
    let mut buf = [0u8; 2048];
    let mut back = 0;
    let start = Instant::now();
    for seq in 0..PACKETS {
        socket
            .send_to(&rtp_packet(seq), remote)
            .with_context(|| format!("sending RTP to {remote}"))?;
        let due = start + Duration::from_millis(20 * u64::from(seq + 1));
        while Instant::now() < due {
            if socket.recv_from(&mut buf).is_ok() {
                back += 1;
            }
        }
    }
    let draining = Instant::now();
    while back < PACKETS && draining.elapsed() < Duration::from_secs(1) {
        if socket.recv_from(&mut buf).is_ok() {
            back += 1;
        }
    }
    Ok((PACKETS, back))
}

/// Asterisk's own count of the call's packets, in and out.
fn channel_stats(engine: &Engine, name: &str) -> Result<(u32, u32)> {
    let text = checks::asterisk(engine, name, "pjsip show channelstats")?;
    Ok(channel_counts(&text, ENDPOINT).unwrap_or((0, 0)))
}

/// An RTP packet of PCMU silence: version 2, payload type 0, 20 ms of samples per packet.
fn rtp_packet(seq: u32) -> Vec<u8> {
    let mut p = Vec::with_capacity(12 + PAYLOAD);
    p.extend_from_slice(&[0x80, 0x00]);
    p.extend_from_slice(&(seq as u16).to_be_bytes());
    p.extend_from_slice(&(seq * PAYLOAD as u32).to_be_bytes());
    p.extend_from_slice(&0x5854_4153u32.to_be_bytes()); // "XTAS", the SSRC
    p.resize(12 + PAYLOAD, 0xff);
    p
}

/// With strictrtp (Asterisk's default), the packets Asterisk keeps while it learns a new
/// source (rtp.conf's `probation`, 4 by default) are neither counted nor echoed.
const LEARNING_PACKETS: u32 = 4;

/// What is wrong with the counts, if anything: every packet Asterisk took is echoed, and every
/// one it sent comes back; only the learning packets may go missing on the way in.
fn audio_problem(sent: u32, back: u32, asterisk_in: u32, asterisk_out: u32) -> Option<String> {
    if sent == 0 {
        return Some("the call was not answered with an audio address".into());
    }
    if asterisk_in + LEARNING_PACKETS < sent {
        return Some(format!(
            "{sent} RTP packets sent, Asterisk counted {asterisk_in} arriving (more missing than \
             strict RTP's {LEARNING_PACKETS} learning packets: the RTP range is not reachable?)"
        ));
    }
    if asterisk_out != asterisk_in {
        return Some(format!(
            "{sent} RTP packets sent, {back} came back (Asterisk took {asterisk_in} and sent \
             {asterisk_out}): the echo test did not echo them all"
        ));
    }
    if back != asterisk_out {
        return Some(format!(
            "Asterisk sent {asterisk_out} RTP packets back, {back} arrived: lost on the way"
        ));
    }
    None
}

/// The host port in `docker port NAME 5060/udp`'s answer (`127.0.0.1:49153`).
fn published_port(answer: &str) -> Option<u16> {
    answer
        .lines()
        .filter_map(|l| l.trim().rsplit_once(':'))
        .find_map(|(_, port)| port.parse().ok())
}

/// "ADDRESS PORT ..." as the call scenario writes the answer's media line.
fn media_line(text: &str) -> Option<SocketAddrV4> {
    if !text.ends_with('\n') {
        return None; // still being written
    }
    let mut words = text.split_whitespace();
    let address: Ipv4Addr = words.next()?.parse().ok()?;
    let port: u16 = words.next()?.parse().ok()?;
    Some(SocketAddrV4::new(address, port))
}

/// The receive and transmit counts of the first channel of `endpoint` in
/// `pjsip show channelstats`.
fn channel_counts(text: &str, endpoint: &str) -> Option<(u32, u32)> {
    let prefix = format!("{endpoint}-");
    text.lines().find_map(|line| {
        let words: Vec<&str> = line.split_whitespace().collect();
        let at = words.iter().position(|w| w.starts_with(&prefix))?;
        // ChannelId UpTime Codec Count Lost Pct Jitter Count ...
        let count = |w: &str| -> Option<u32> {
            match w.strip_suffix('K') {
                Some(thousands) => thousands.parse::<u32>().ok().map(|n| n * 1000),
                None => w.parse().ok(),
            }
        };
        Some((count(words.get(at + 3)?)?, count(words.get(at + 7)?)?))
    })
}

/// The response sipp got instead of the one it waited for, or its timeout, from its error log.
fn sipp_failure(log: &str) -> Option<String> {
    if let Some(at) = log.find("received '") {
        let status = log[at + 10..].lines().next().unwrap_or("").trim();
        let waiting = log[..at]
            .rsplit_once("while expecting '")
            .and_then(|(_, rest)| rest.split('\'').next());
        return Some(match waiting {
            Some(code) => format!("{status} (waiting for {code})"),
            None => status.to_string(),
        });
    }
    if log.contains("timeout") || log.contains("Timeout") {
        return Some(format!("no answer within {ANSWER_SECS}s"));
    }
    None
}

/// `--config`'s mounts and the user the container runs as; a directory's copy is removed when
/// this is dropped.
pub struct Mounts {
    pub args: Vec<String>,
    pub user: Option<String>,
    /// Said in smoke's output, one per path.
    pub described: Vec<String>,
    copy: Option<Utf8PathBuf>,
}

impl Mounts {
    /// Takes the private copy of a directory over from the mounts (which would remove it when
    /// dropped): for a container that outlives the command (`run --detach`).
    pub fn take_copy(&mut self) -> Option<Utf8PathBuf> {
        self.copy.take()
    }
}

impl Drop for Mounts {
    fn drop(&mut self) {
        if let Some(copy) = &self.copy {
            let _ = std::fs::remove_dir_all(copy);
        }
    }
}

/// The `--config` paths as mounts. A file is mounted read-only over the image's, and the
/// container runs as its owner in the asterisk group when that is not root (a file mounted from
/// the host keeps its owner and mode, which uid 450 may not read): the README's `docker run`
/// line. A directory becomes /etc/asterisk through a private copy, so that the entry point can
/// write environment.conf and Asterisk its files while yours are never written.
pub fn mounts(config: &[Utf8PathBuf]) -> Result<Mounts> {
    use std::os::unix::fs::MetadataExt;
    let mut m = Mounts {
        args: Vec::new(),
        user: None,
        described: Vec::new(),
        copy: None,
    };
    // SAFETY: getuid(2) cannot fail.
    let me = unsafe { libc::getuid() };
    let mut targets: BTreeMap<String, &Utf8Path> = BTreeMap::new();
    for path in config {
        let absolute = crate::infra::workspace::absolute(path)?;
        let meta = std::fs::metadata(&absolute).map_err(|e| match e.kind() {
            std::io::ErrorKind::NotFound => anyhow!(Usage(format!(
                "--config {path}: no such file or directory: name a configuration directory or file"
            ))),
            _ => anyhow!("--config {path}: {e}"),
        })?;
        if meta.is_dir() {
            if m.copy.is_some() {
                bail!(Usage(format!(
                    "--config {path}: only one directory can be /etc/asterisk: name files for the rest"
                )));
            }
            let copy = Utf8PathBuf::from_path_buf(std::env::temp_dir())
                .map_err(|p| anyhow!("the temporary directory is not UTF-8: {}", p.display()))?
                .join(format!("asterisk-xtask-config-{}", std::process::id()));
            let _ = std::fs::remove_dir_all(&copy);
            m.copy = Some(copy.clone());
            copy_config(&absolute, &copy, path, me)?;
            m.args.push("--mount".into());
            m.args
                .push(format!("type=bind,source={copy},target=/etc/asterisk"));
            m.described
                .push(format!("{path} (a copy: yours is never written)"));
            if me != 0 {
                m.user = Some(format!("{me}:{ASTERISK_GID}"));
            }
            continue;
        }
        if !meta.is_file() {
            bail!(Usage(format!(
                "--config {path} is neither a regular file nor a directory: name a configuration file"
            )));
        }
        let name = absolute
            .file_name()
            .with_context(|| format!("--config {path} names no file"))?;
        if let Some(other) = targets.insert(name.to_string(), path) {
            bail!(Usage(format!(
                "--config {other} and --config {path} would both be /etc/asterisk/{name}: name one"
            )));
        }
        if absolute.as_str().contains(',') {
            bail!("--config {path}: a path with a comma cannot be mounted: move or link it");
        }
        if !name.ends_with(".conf") {
            eprintln!(
                "  note: --config {path}: Asterisk reads the .conf files of /etc/asterisk; {name} is mounted, but may be read by nothing"
            );
        }
        let owner = meta.uid();
        let user = match owner {
            0 => format!("450:{ASTERISK_GID}"),
            _ => format!("{owner}:{ASTERISK_GID}"),
        };
        if let Some(other) = m.user.as_ref().filter(|u| **u != user && owner != 0) {
            bail!(
                "--config {path} belongs to uid {owner}, but the container already runs as {other} \
                 for another --config: give the files one owner"
            );
        }
        if let Some(how) = unreadable(owner, meta.gid(), meta.mode()) {
            bail!(
                "--config {path} cannot be read in the container (owner {owner}:{}, mode {:o}): {how}",
                meta.gid(),
                meta.mode() & 0o7777
            );
        }
        m.args.push("--mount".into());
        m.args.push(format!(
            "type=bind,source={absolute},target=/etc/asterisk/{name},readonly"
        ));
        if owner != 0 {
            m.user = Some(user);
        }
        m.described.push(match owner {
            0 => format!("{path} (read-only)"),
            _ => format!("{path} (read-only, run as its owner {owner}:{ASTERISK_GID})"),
        });
    }
    Ok(m)
}

/// Why the container cannot read a mounted file, or None: it runs as the file's owner (in the
/// asterisk group) unless root owns it, when it runs as uid 450.
pub fn unreadable(owner: u32, group: u32, mode: u32) -> Option<&'static str> {
    let by_owner = owner != 0 && mode & 0o400 != 0;
    let by_group = group == ASTERISK_GID && mode & 0o040 != 0;
    if by_owner || by_group || mode & 0o004 != 0 {
        return None;
    }
    Some(match owner {
        0 => "root owns it and the image runs as uid 450: make it readable by group 450 (chgrp 450, chmod g+r) or give it to your user",
        _ => "make it readable by its owner (chmod u+r)",
    })
}

/// Copies a configuration directory for the container: the asterisk group's to read and write
/// when this runs as root, else the invoking user's alone (the container then runs as them).
fn copy_config(from: &Utf8Path, to: &Utf8Path, given: &Utf8Path, me: u32) -> Result<()> {
    use std::os::unix::fs::PermissionsExt;
    let own = |path: &Utf8Path, mode: u32| -> Result<()> {
        if me == 0 {
            let c = std::ffi::CString::new(path.as_str())?;
            // SAFETY: chown(2) on a path this function just made.
            if unsafe { libc::chown(c.as_ptr(), 0, ASTERISK_GID) } != 0 {
                return Err(std::io::Error::last_os_error())
                    .with_context(|| format!("chown {path}"));
            }
        }
        let mode = if me == 0 { mode } else { mode & 0o700 };
        std::fs::set_permissions(path, std::fs::Permissions::from_mode(mode))
            .with_context(|| format!("chmod {path}"))
    };
    regular::copy_dir(from, to, &mut |copied| match copied {
        Copied::Dir(dir) => own(dir, 0o2770),
        Copied::File(file) => own(file, 0o660),
        Copied::LinkedDir(link) => {
            eprintln!("  note: --config {given}: {link} links to a directory: not copied");
            Ok(())
        }
    })
    .with_context(|| format!("--config {given}"))
}

/// A password for this run: 16 hex digits from the system's random source.
fn password() -> Result<String> {
    use std::io::Read;
    let mut bytes = [0u8; 8];
    std::fs::File::open("/dev/urandom")
        .and_then(|mut f| f.read_exact(&mut bytes))
        .context("reading /dev/urandom for the call's password")?;
    Ok(bytes.iter().map(|b| format!("{b:02x}")).collect())
}

/// A free UDP port of 127.0.0.1 (the system picks; it is free when this returns).
fn free_udp_port() -> Result<u16> {
    Ok(UdpSocket::bind(SocketAddrV4::new(Ipv4Addr::LOCALHOST, 0))
        .and_then(|s| s.local_addr())
        .context("finding a free UDP port")?
        .port())
}

/// RTP_PORTS consecutive free UDP ports of 127.0.0.1, starting at an even one.
fn free_rtp_range() -> Result<(u16, u16)> {
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.subsec_nanos());
    let seed = u64::from(std::process::id()) ^ u64::from(now);
    for attempt in 0..200u64 {
        let first = 20000 + ((seed.wrapping_mul(7919) + attempt * 7) % 2000) as u16 * 10;
        let held: Vec<UdpSocket> = (first..first + RTP_PORTS)
            .filter_map(|p| UdpSocket::bind(SocketAddrV4::new(Ipv4Addr::LOCALHOST, p)).ok())
            .collect();
        if held.len() == usize::from(RTP_PORTS) {
            return Ok((first, first + RTP_PORTS - 1));
        }
    }
    bail!("no {RTP_PORTS} free consecutive UDP ports between 20000 and 40000 for the call's RTP")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn channelstats_rows() {
        let text = "                                             ...........Receive......... .........Transmit..........\n \
                    BridgeId ChannelId ........ UpTime.. Codec.   Count    Lost Pct  Jitter   Count    Lost Pct  Jitter RTT....\n \
                    =================\n          6001-00000005      00:00:03 ulaw      150       0    0   0.000    149       0    0   0.000   0.000\n\nObjects found: 1\n";
        assert_eq!(channel_counts(text, "6001"), Some((150, 149)));
        let bridged = " 1a2b3c4d 6001-0000000a      00:10:00 alaw     120K      3    0   0.002    119K      0    0   0.000   0.010\n";
        assert_eq!(channel_counts(bridged, "6001"), Some((120_000, 119_000)));
        assert_eq!(channel_counts("No objects found.\n", "6001"), None);
        assert_eq!(channel_counts(text, "6002"), None);
    }

    #[test]
    fn sipp_error_logs() {
        let unexpected = "The following events occurred:\n2026-12-02\t01:03:35.47: Aborting call on unexpected message for Call-Id '1-17989@127.0.0.1': while expecting '200' (index 3), received 'SIP/2.0 401 Unauthorized\nVia: SIP/2.0/UDP 127.0.0.1:5060\n";
        assert_eq!(
            sipp_failure(unexpected).as_deref(),
            Some("SIP/2.0 401 Unauthorized (waiting for 200)")
        );
        let not_found = "while expecting '100' (index 1), received 'SIP/2.0 404 Not Found\n";
        assert_eq!(
            sipp_failure(not_found).as_deref(),
            Some("SIP/2.0 404 Not Found (waiting for 100)")
        );
        let silent = "2026-12-02 01:00:00: Call-Id: 1-2@127.0.0.1: Aborting call on UDP retransmission timeout for message\n";
        assert_eq!(sipp_failure(silent).as_deref(), Some("no answer within 5s"));
        let recv = "1-2@x: Call (index 2) failed on recv timeout\n";
        assert_eq!(sipp_failure(recv).as_deref(), Some("no answer within 5s"));
        assert_eq!(sipp_failure(""), None);
    }

    #[test]
    fn media_lines_and_ports() {
        assert_eq!(
            media_line("127.0.0.1 20004 c=IN IP4 127.0.0.1 m=audio 20004\n"),
            Some("127.0.0.1:20004".parse().unwrap())
        );
        assert_eq!(media_line("127.0.0.1 20004"), None, "no newline yet");
        assert_eq!(media_line("\n"), None);
        assert_eq!(media_line("host 1\n"), None);
        assert_eq!(published_port("127.0.0.1:49153\n"), Some(49153));
        assert_eq!(published_port("0.0.0.0:32768\n[::]:32768\n"), Some(32768));
        assert_eq!(published_port(""), None);
    }

    #[test]
    fn audio_counts() {
        let cases = [
            ((150, 150, 150, 150), None),
            ((150, 146, 146, 146), None),
            ((0, 0, 0, 0), Some("not answered")),
            ((150, 0, 0, 0), Some("Asterisk counted 0 arriving")),
            ((150, 145, 145, 145), Some("Asterisk counted 145 arriving")),
            (
                (150, 0, 146, 0),
                Some("0 came back (Asterisk took 146 and sent 0)"),
            ),
            (
                (150, 149, 150, 150),
                Some("Asterisk sent 150 RTP packets back, 149 arrived"),
            ),
        ];
        for ((sent, back, i, o), want) in cases {
            let got = audio_problem(sent, back, i, o);
            match want {
                None => assert_eq!(got, None),
                Some(w) => assert!(got.as_deref().unwrap_or("").contains(w), "{got:?}"),
            }
        }
    }

    #[test]
    fn who_can_read_a_mounted_file() {
        let cases = [
            (1234, 1234, 0o600, true),
            (1234, 1234, 0o000, false),
            (1234, 1234, 0o040, false),
            (0, 0, 0o600, false),
            (0, 0, 0o644, true),
            (0, 450, 0o640, true),
            (0, 450, 0o600, false),
            (1234, 450, 0o040, true),
        ];
        for (owner, group, mode, readable) in cases {
            assert_eq!(
                unreadable(owner, group, mode).is_none(),
                readable,
                "{owner}:{group} {mode:o}"
            );
        }
        assert!(unreadable(0, 0, 0o600).unwrap().contains("chgrp 450"));
        assert!(unreadable(5, 5, 0).unwrap().contains("chmod u+r"));
    }

    #[test]
    fn packets_are_rtp() {
        let p = rtp_packet(3);
        assert_eq!(p.len(), 172);
        assert_eq!(&p[..4], &[0x80, 0, 0, 3]);
        assert_eq!(u32::from_be_bytes([p[4], p[5], p[6], p[7]]), 480);
    }
}
