//! A command as data, how it is made (`Shell`), and how a query runs (`read`): the half of the
//! runner that captures; `stream` is the half that streams.

use std::time::{Duration, Instant};

use anyhow::{anyhow, Context, Result};
use camino::{Utf8Path, Utf8PathBuf};

use super::failure::{describe_status, tail_of, Failed, NotInstalled};
use crate::infra::interrupt;

/// How commands run, decided once from the flags and handed to whoever makes commands (the
/// idea of xshell's `Shell`): no global switch.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Shell {
    /// `--dry-run`: commands that change things are printed, not run; queries still run.
    pub dry_run: bool,
    /// `--verbose`: queries are printed too.
    pub verbose: bool,
}

impl Shell {
    /// A command of this shell.
    pub fn cmd(&self, program: impl Into<String>) -> Cmd {
        let mut cmd = Cmd::new(program);
        cmd.shell = *self;
        cmd
    }

    /// git in `root`, the one way the xtask runs it: without optional locks, so that a query
    /// never writes the index of a tree it must not touch. git's guard against repositories
    /// another user owns stays on (their `.git/config` could run programs as you: fsmonitor,
    /// hooks, filters); `Tree::locate` turns its refusal into one line.
    pub fn git(&self, root: &Utf8Path) -> Cmd {
        self.cmd("git")
            .args(["-C", root.as_str()])
            .env("GIT_OPTIONAL_LOCKS", "0")
            // git's messages in English whatever the user's locale: its refusals are read.
            .env("LC_ALL", "C")
    }

    /// rpm, the one way the xtask asks it anything.
    pub fn rpm(&self) -> Cmd {
        self.cmd("rpm")
    }

    /// An `rpm` query about package files: their signatures are not this tool's business.
    pub fn rpm_query(&self, package: &Utf8Path, format: &str) -> Cmd {
        self.rpm_query_with(package, &["--qf", format])
    }

    /// An `rpm` query about a package file with other query options (`-l`, `--xml`).
    pub fn rpm_query_with(&self, package: &Utf8Path, options: &[&str]) -> Cmd {
        self.rpm()
            .args(["-qp", "--nosignature"])
            .args(options.iter().copied())
            .arg(rpm_path(package))
    }
}

/// A file's path as rpm and rpmsign must be given it: they expand macros in their file
/// arguments (`--out '/tmp/o%(cmd)'` would run `cmd`), and `%%` is their `%`.
pub fn rpm_path(path: &Utf8Path) -> String {
    path.as_str().replace('%', "%%")
}

/// How long a query may take, and how long a run may print nothing.
pub(super) const QUERY_SECS: (&str, u64) = ("ASTERISK_XTASK_QUERY_SECS", 120);
pub(super) const STALL_SECS: (&str, u64) = ("ASTERISK_XTASK_STALL_SECS", 1800);

/// The limits the environment may set (seconds, MiB), each a whole number above 0.
pub const LIMIT_SETTINGS: [&str; 4] = [
    QUERY_SECS.0,
    STALL_SECS.0,
    "ASTERISK_XTASK_FETCH_STALL_SECS",
    "ASTERISK_XTASK_FETCH_MAX_MIB",
];

pub(super) fn limit((var, default): (&str, u64)) -> Duration {
    let secs = std::env::var(var)
        .ok()
        .and_then(|v| v.trim().parse::<u64>().ok())
        .filter(|n| *n > 0)
        .unwrap_or(default);
    Duration::from_secs(secs)
}

#[derive(Debug, Clone)]
pub struct Cmd {
    pub(super) program: String,
    pub(super) args: Vec<String>,
    pub(super) env: Vec<(String, String)>,
    pub(super) dir: Option<Utf8PathBuf>,
    /// Run when the command is interrupted (after it is killed): removes what it leaves behind.
    pub(super) cleanup: Option<Box<Cmd>>,
    /// Lines (by a substring) that mean the program will never finish, and what that means.
    pub(super) stop_on: Vec<(&'static str, &'static str)>,
    /// A cleanup step (removing a container): it runs to the end even after a Ctrl-C.
    pub(super) cleanup_step: bool,
    /// Overrides of the environment's query and stall limits.
    pub(super) query_limit: Option<Duration>,
    pub(super) stall_limit: Option<Duration>,
    /// A file the program writes that may not grow past a size: (path, bytes, what to say).
    pub(super) file_limit: Option<(Utf8PathBuf, u64, String)>,
    pub(super) shell: Shell,
}

impl Cmd {
    pub fn new(program: impl Into<String>) -> Cmd {
        Cmd {
            program: program.into(),
            args: Vec::new(),
            env: Vec::new(),
            dir: None,
            cleanup: None,
            stop_on: Vec::new(),
            cleanup_step: false,
            query_limit: None,
            stall_limit: None,
            file_limit: None,
            shell: Shell::default(),
        }
    }

    /// Marks a command that cleans up after an interrupted one: a Ctrl-C does not cut it short
    /// (its time limit still holds).
    pub fn cleanup_step(mut self) -> Cmd {
        self.cleanup_step = true;
        self
    }

    /// How long `read` waits for an answer (default: `ASTERISK_XTASK_QUERY_SECS`; the
    /// environment sets it, this the tests).
    #[cfg(test)]
    pub fn query_limit(mut self, limit: Duration) -> Cmd {
        self.query_limit = Some(limit);
        self
    }

    /// How long `run` lets the program print nothing (default: `ASTERISK_XTASK_STALL_SECS`).
    pub fn stall_limit(mut self, limit: Duration) -> Cmd {
        self.stall_limit = Some(limit);
        self
    }

    /// Stops `run` when the file at `path` grows past `bytes` (a download that never ends, or
    /// is far larger than it can be), failing with `reason`.
    pub fn file_limit(mut self, path: &Utf8Path, bytes: u64, reason: impl Into<String>) -> Cmd {
        self.file_limit = Some((path.to_owned(), bytes, reason.into()));
        self
    }

    /// Stops the program when it prints a line holding `pattern`, failing with `reason`.
    pub fn stop_on(mut self, pattern: &'static str, reason: &'static str) -> Cmd {
        self.stop_on.push((pattern, reason));
        self
    }

    /// A command to run if this one is interrupted, e.g. `docker rm -f <container>`.
    pub fn on_interrupt(mut self, cleanup: Cmd) -> Cmd {
        self.cleanup = Some(Box::new(cleanup));
        self
    }

    pub fn arg(mut self, arg: impl Into<String>) -> Cmd {
        self.args.push(arg.into());
        self
    }

    pub fn args<I, S>(mut self, args: I) -> Cmd
    where
        I: IntoIterator<Item = S>,
        S: Into<String>,
    {
        self.args.extend(args.into_iter().map(Into::into));
        self
    }

    pub fn env(mut self, key: impl Into<String>, value: impl Into<String>) -> Cmd {
        self.env.push((key.into(), value.into()));
        self
    }

    pub fn dir(mut self, dir: &Utf8Path) -> Cmd {
        self.dir = Some(dir.to_owned());
        self
    }

    /// The command as a line a user can paste into a shell.
    pub fn display(&self) -> String {
        let mut words: Vec<String> = Vec::new();
        if let Some(dir) = &self.dir {
            words.push(format!("(cd {} &&", shell_quote(dir.as_str())));
        }
        words.extend(
            self.env
                .iter()
                .map(|(k, v)| format!("{k}={}", shell_quote(v))),
        );
        words.push(shell_quote(&self.program));
        words.extend(self.args.iter().map(|a| shell_quote(a)));
        let mut line = words.join(" ");
        if self.dir.is_some() {
            line.push(')');
        }
        line
    }

    pub(super) fn expression(&self) -> duct::Expression {
        // No program gets a terminal to prompt on: CI has none, and a program in its own
        // process group that read one would be stopped.
        let mut expr = duct::cmd(&self.program, &self.args).stdin_null();
        for (k, v) in &self.env {
            expr = expr.env(k, v);
        }
        if let Some(dir) = &self.dir {
            expr = expr.dir(dir);
        }
        expr
    }

    /// Runs a query and returns its stdout. Printed only with `--verbose`; runs in dry-run too.
    pub fn read(&self) -> Result<String> {
        let bytes = self.read_bytes()?;
        String::from_utf8(bytes).with_context(|| format!("`{}` printed non-UTF-8", self.display()))
    }

    /// Like `read`, for output that may hold any bytes (file names).
    pub fn read_bytes(&self) -> Result<Vec<u8>> {
        if self.shell.verbose {
            eprintln!("$ {}", self.display());
        }
        let handle = self
            .expression()
            .stdout_capture()
            .stderr_capture()
            .unchecked()
            .start()
            .map_err(|e| self.spawn_error(e))?;
        let started = Instant::now();
        let timeout = self.query_limit.unwrap_or_else(|| limit(QUERY_SECS));
        // Most queries end within milliseconds: look often at first, then every 50 ms.
        let mut pause = Duration::from_millis(1);
        let output = loop {
            if let Some(output) = handle
                .try_wait()
                .with_context(|| format!("waiting for {}", self.program))?
            {
                break output;
            }
            if interrupt::requested() && !self.cleanup_step {
                let _ = handle.kill();
                return Err(interrupt::Interrupted::default().into());
            }
            if started.elapsed() > timeout {
                let _ = handle.kill();
                return Err(anyhow!(Failed {
                    program: self.program.clone(),
                    code: None,
                    status: format!(
                        "did not answer in {}s and was stopped (running `{}`; {} sets the limit)",
                        timeout.as_secs(),
                        self.display(),
                        QUERY_SECS.0
                    ),
                    tail: Vec::new(),
                }));
            }
            std::thread::sleep(pause);
            pause = (pause * 2).min(Duration::from_millis(50));
        };
        if !output.status.success() {
            let stderr = String::from_utf8_lossy(&output.stderr);
            return Err(self.failure(output.status, &tail_of(&stderr)));
        }
        Ok(output.stdout.clone())
    }

    /// Runs a query whose non-zero exit is an answer, not an error: Ok(None) then.
    pub fn read_optional(&self) -> Result<Option<String>> {
        match self.read() {
            Ok(s) => Ok(Some(s)),
            Err(e) if e.downcast_ref::<Failed>().is_some() => Ok(None),
            Err(e) => Err(e),
        }
    }

    pub(super) fn spawn_error(&self, e: std::io::Error) -> anyhow::Error {
        if e.kind() == std::io::ErrorKind::NotFound {
            anyhow!(NotInstalled {
                program: self.program.clone(),
                line: self.display(),
            })
        } else {
            anyhow!(e).context(format!("could not start `{}`", self.display()))
        }
    }

    pub(super) fn failure(
        &self,
        status: std::process::ExitStatus,
        tail: &[String],
    ) -> anyhow::Error {
        anyhow!(Failed {
            program: self.program.clone(),
            code: status.code(),
            status: describe_status(status),
            tail: tail.to_vec(),
        })
    }
}

/// Whether a process exists (on this machine).
pub fn alive(pid: u32) -> bool {
    // SAFETY: signal 0 only asks whether the process exists.
    let r = unsafe { libc::kill(pid as libc::pid_t, 0) };
    r == 0 || std::io::Error::last_os_error().raw_os_error() == Some(libc::EPERM)
}

/// Quotes a word for a POSIX shell when it needs it.
fn shell_quote(word: &str) -> String {
    let plain = !word.is_empty()
        && word
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b"-_./=:,+%@^~".contains(&b));
    if plain {
        word.to_string()
    } else {
        format!("'{}'", word.replace('\'', r"'\''"))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn quoting() {
        let cases = [
            ("rpmbuild", "rpmbuild"),
            ("_topdir /a b", "'_topdir /a b'"),
            ("", "''"),
            ("it's", r"'it'\''s'"),
            ("%{_libdir}", "'%{_libdir}'"),
        ];
        for (word, want) in cases {
            assert_eq!(shell_quote(word), want);
        }
    }

    #[test]
    fn failures_carry_program_status_and_tail() {
        let err = Cmd::new("sh")
            .args(["-c", "echo one; echo two >&2; exit 3"])
            .run(|_| {})
            .unwrap_err()
            .to_string();
        assert!(err.starts_with("sh exited with status 3"), "{err}");
        assert!(err.contains("one") && err.contains("two"), "{err}");
        let err = Cmd::new("no-such-program-xtask").read().unwrap_err();
        assert!(err.to_string().contains("is not installed"), "{err}");
        let none = Cmd::new("sh")
            .args(["-c", "exit 1"])
            .read_optional()
            .unwrap();
        assert!(none.is_none());
    }
}
