//! NAME
//!     process: the one place external programs run.
//!
//! DESCRIPTION
//!     A `Cmd` is data: program, arguments, environment, directory. `run` prints it as a shell
//!     line (`$ rpmbuild -ba ...`) and streams its merged output line by line to a callback;
//!     `read` captures stdout of a query. Failure becomes an error that names the program, its
//!     exit status and the last lines it printed. With `--dry-run`, `run` prints and returns.

use std::collections::VecDeque;
use std::io::{BufRead, BufReader};
use std::sync::atomic::{AtomicBool, Ordering};

use anyhow::{anyhow, Context, Result};
use camino::{Utf8Path, Utf8PathBuf};

static DRY_RUN: AtomicBool = AtomicBool::new(false);
static VERBOSE: AtomicBool = AtomicBool::new(false);

/// `--dry-run`: commands that change things are printed, not run.
pub fn set_dry_run(on: bool) {
    DRY_RUN.store(on, Ordering::Relaxed);
}

pub fn dry_run() -> bool {
    DRY_RUN.load(Ordering::Relaxed)
}

/// `--verbose`: queries are printed too.
pub fn set_verbose(on: bool) {
    VERBOSE.store(on, Ordering::Relaxed);
}

/// How many trailing output lines an error carries.
const TAIL_LINES: usize = 25;

#[derive(Debug, Clone)]
pub struct Cmd {
    program: String,
    args: Vec<String>,
    env: Vec<(String, String)>,
    dir: Option<Utf8PathBuf>,
    /// Run when the command is interrupted (after it is killed): removes what it leaves behind.
    cleanup: Option<Box<Cmd>>,
}

impl Cmd {
    pub fn new(program: impl Into<String>) -> Cmd {
        Cmd {
            program: program.into(),
            args: Vec::new(),
            env: Vec::new(),
            dir: None,
            cleanup: None,
        }
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

    pub fn program(&self) -> &str {
        &self.program
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

    fn expression(&self) -> duct::Expression {
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
        if VERBOSE.load(Ordering::Relaxed) {
            eprintln!("$ {}", self.display());
        }
        let output = self
            .expression()
            .stdout_capture()
            .stderr_capture()
            .unchecked()
            .run()
            .map_err(|e| self.spawn_error(e))?;
        if !output.status.success() {
            let stderr = String::from_utf8_lossy(&output.stderr);
            return Err(self.failure(output.status, &tail_of(&stderr)));
        }
        Ok(output.stdout)
    }

    /// Runs a query whose non-zero exit is an answer, not an error: Ok(None) then.
    pub fn read_optional(&self) -> Result<Option<String>> {
        match self.read() {
            Ok(s) => Ok(Some(s)),
            Err(e) if e.downcast_ref::<Failed>().is_some() => Ok(None),
            Err(e) => Err(e),
        }
    }

    /// Prints the command, runs it and hands every line of its merged stdout and stderr to
    /// `on_line`. On failure the error carries the last lines.
    pub fn run(&self, mut on_line: impl FnMut(&str)) -> Result<()> {
        eprintln!("$ {}", self.display());
        if dry_run() {
            return Ok(());
        }
        // Its own process group, so that an interrupt can end the program and its children
        // (make, gcc) together; the terminal's Ctrl-C reaches the xtask, which does that.
        let reader = self
            .expression()
            .before_spawn(|cmd| {
                std::os::unix::process::CommandExt::process_group(cmd, 0);
                Ok(())
            })
            .stderr_to_stdout()
            .unchecked()
            .reader()
            .map_err(|e| self.spawn_error(e))?;
        let mut tail: VecDeque<String> = VecDeque::with_capacity(TAIL_LINES);
        let finished = AtomicBool::new(false);
        let read = std::thread::scope(|scope| {
            // Ctrl-C or SIGTERM: kill the program, then run its cleanup.
            scope.spawn(|| {
                while !finished.load(Ordering::SeqCst) {
                    if crate::interrupt::requested() {
                        for pid in reader.pids() {
                            // SAFETY: kill(2) on the process group the child leads.
                            unsafe { libc::kill(-(pid as libc::pid_t), libc::SIGTERM) };
                        }
                        let _ = reader.kill();
                        if let Some(cleanup) = &self.cleanup {
                            let _ = cleanup.read();
                        }
                        return;
                    }
                    std::thread::sleep(std::time::Duration::from_millis(100));
                }
            });
            let result = self.read_lines(&reader, &mut tail, &mut on_line);
            finished.store(true, Ordering::SeqCst);
            result
        });
        let status = reader
            .try_wait()
            .with_context(|| format!("waiting for {}", self.program))?
            .map(|o| o.status);
        crate::interrupt::check()?;
        read?;
        let status = status.ok_or_else(|| anyhow!("{} did not exit", self.program))?;
        if !status.success() {
            return Err(self.failure(status, &Vec::from(tail)));
        }
        Ok(())
    }

    fn read_lines(
        &self,
        reader: &duct::ReaderHandle,
        tail: &mut VecDeque<String>,
        on_line: &mut impl FnMut(&str),
    ) -> Result<()> {
        let mut lines = BufReader::new(reader);
        let mut buf = Vec::new();
        loop {
            buf.clear();
            let n = lines
                .read_until(b'\n', &mut buf)
                .with_context(|| format!("reading the output of {}", self.program))?;
            if n == 0 {
                return Ok(());
            }
            let line = String::from_utf8_lossy(&buf);
            let line = line.trim_end_matches(['\n', '\r']);
            on_line(line);
            if tail.len() == TAIL_LINES {
                tail.pop_front();
            }
            tail.push_back(line.to_string());
        }
    }

    fn spawn_error(&self, e: std::io::Error) -> anyhow::Error {
        if e.kind() == std::io::ErrorKind::NotFound {
            anyhow!(
                "{} is not installed (running `{}`)",
                self.program,
                self.display()
            )
        } else {
            anyhow!(e).context(format!("could not start `{}`", self.display()))
        }
    }

    fn failure(&self, status: std::process::ExitStatus, tail: &[String]) -> anyhow::Error {
        anyhow!(Failed {
            program: self.program.clone(),
            code: status.code(),
            status: describe_status(status),
            tail: tail.to_vec(),
        })
    }
}

/// A program that ran and failed: its name, how it ended, its last lines.
#[derive(Debug)]
pub struct Failed {
    pub program: String,
    /// The exit code, when it exited (not killed by a signal).
    pub code: Option<i32>,
    pub status: String,
    pub tail: Vec<String>,
}

impl std::fmt::Display for Failed {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{} {}", self.program, self.status)?;
        if !self.tail.is_empty() {
            write!(f, "; its last lines:")?;
            for line in &self.tail {
                write!(f, "\n    {line}")?;
            }
        }
        Ok(())
    }
}

impl std::error::Error for Failed {}

fn describe_status(status: std::process::ExitStatus) -> String {
    use std::os::unix::process::ExitStatusExt;
    match (status.code(), status.signal()) {
        (Some(code), _) => format!("exited with status {code}"),
        (None, Some(sig)) => format!("was killed by signal {sig}"),
        _ => "failed".to_string(),
    }
}

fn tail_of(text: &str) -> Vec<String> {
    let lines: Vec<&str> = text.lines().collect();
    let start = lines.len().saturating_sub(TAIL_LINES);
    lines[start..].iter().map(|s| s.to_string()).collect()
}

/// Quotes a word for a POSIX shell when it needs it.
pub fn shell_quote(word: &str) -> String {
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

    #[test]
    fn streaming_sees_every_line() {
        let mut seen = Vec::new();
        Cmd::new("sh")
            .args(["-c", "printf 'a\\nb\\n'; echo c >&2"])
            .run(|l| seen.push(l.to_string()))
            .unwrap();
        seen.sort();
        assert_eq!(seen, ["a", "b", "c"]);
    }
}
