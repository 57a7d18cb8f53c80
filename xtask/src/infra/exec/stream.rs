//! `Cmd::run`: a program's merged output streamed line by line, watched for Ctrl-C, for
//! silence and for lines that mean it will never end.

use std::collections::VecDeque;
use std::io::{BufRead, BufReader};
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::Mutex;
use std::time::{Duration, Instant};

use anyhow::{anyhow, Context, Result};

use super::cmd::{limit, Cmd, STALL_SECS};
use super::failure::{Failed, TAIL_LINES};
use crate::infra::interrupt;

/// How long a program stopped with SIGTERM has to end before it is killed.
const TERM_GRACE: Duration = Duration::from_secs(10);

impl Cmd {
    /// Prints the command, runs it and hands every line of its merged stdout and stderr to
    /// `on_line`. On failure the error carries the last lines.
    pub fn run(&self, mut on_line: impl FnMut(&str)) -> Result<()> {
        eprintln!("$ {}", self.display());
        if self.shell.dry_run {
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
        // A panic while reading (the xtask's own output closed: `| head`) ends the program and
        // its children too, rather than leaving them to die of their next write.
        let _ends = EndsOnUnwind(&reader, self.cleanup.as_deref());
        let mut tail: VecDeque<String> = VecDeque::with_capacity(TAIL_LINES);
        let finished = AtomicBool::new(false);
        let started = Instant::now();
        // Milliseconds after `started` of the last line; why the program was stopped.
        let last_line = AtomicU64::new(0);
        let stopped: Mutex<Option<String>> = Mutex::new(None);
        let stall = self.stall_limit.unwrap_or_else(|| limit(STALL_SECS));
        // `grace`: whether the program gets TERM_GRACE to end on SIGTERM. Only the watcher
        // waits so: the reader must go on draining the output meanwhile, or a program that
        // writes as it ends would block until killed.
        let stop = |why: Option<String>, grace: bool| {
            for pid in reader.pids() {
                // SAFETY: kill(2) on the process group the child leads.
                unsafe { libc::kill(-(pid as libc::pid_t), libc::SIGTERM) };
            }
            // A program that cleans up on SIGTERM (an xtask removing its build container, as
            // bench's are) is given a moment to: killed at once, it would leave the container.
            let grace = Instant::now() + if grace { TERM_GRACE } else { Duration::ZERO };
            while matches!(reader.try_wait(), Ok(None)) && Instant::now() < grace {
                std::thread::sleep(Duration::from_millis(50));
            }
            let _ = reader.kill();
            if let Some(why) = why {
                *stopped.lock().unwrap_or_else(|e| e.into_inner()) = Some(why);
            }
            if let Some(cleanup) = &self.cleanup {
                let _ = cleanup.read();
            }
        };
        let read = std::thread::scope(|scope| {
            // Ctrl-C or SIGTERM, or no line for too long: kill the program, run its cleanup.
            scope.spawn(|| {
                while !finished.load(Ordering::SeqCst) {
                    if interrupt::requested() {
                        return stop(None, true);
                    }
                    // The reader may store a line's time after `elapsed` was taken: saturate.
                    let quiet = started
                        .elapsed()
                        .saturating_sub(Duration::from_millis(last_line.load(Ordering::SeqCst)));
                    if quiet > stall {
                        return stop(Some(format!(
                            "printed nothing for {}s, so it looks stuck and was stopped ({} sets the limit)",
                            stall.as_secs(),
                            STALL_SECS.0
                        )), true);
                    }
                    if let Some((path, bytes, reason)) = &self.file_limit {
                        let size = std::fs::metadata(path).map(|m| m.len()).unwrap_or(0);
                        if size > *bytes {
                            return stop(Some(reason.clone()), true);
                        }
                    }
                    std::thread::sleep(Duration::from_millis(50));
                }
            });
            let mut seen = |line: &str| {
                last_line.store(started.elapsed().as_millis() as u64, Ordering::SeqCst);
                if let Some((_, reason)) = self.stop_on.iter().find(|(p, _)| line.contains(p)) {
                    if !finished.swap(true, Ordering::SeqCst) {
                        stop(Some(reason.to_string()), false);
                    }
                }
                on_line(line);
            };
            // Also when a line cannot be printed (stderr is a pipe that closed: `| head`) and
            // the callback panics: the watcher must end, or the scope would wait for it.
            let _done = Finished(&finished);
            self.read_lines(&reader, &mut tail, &mut seen)
        });
        let status = reader
            .try_wait()
            .with_context(|| format!("waiting for {}", self.program))?
            .map(|o| o.status);
        interrupt::check()?;
        if let Some(why) = stopped.into_inner().unwrap_or_else(|e| e.into_inner()) {
            return Err(anyhow!(Failed {
                program: self.program.clone(),
                code: None,
                status: why,
                tail: Vec::from(tail),
            }));
        }
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
}

/// Raises `finished` when dropped, however the reading ends.
/// Kills the program's process group, and runs its cleanup (a build container's removal),
/// when dropped while panicking.
struct EndsOnUnwind<'a>(&'a duct::ReaderHandle, Option<&'a Cmd>);

impl Drop for EndsOnUnwind<'_> {
    fn drop(&mut self) {
        if std::thread::panicking() {
            for pid in self.0.pids() {
                // SAFETY: kill(2) on the process group the child leads.
                unsafe { libc::kill(-(pid as libc::pid_t), libc::SIGKILL) };
            }
            let _ = self.0.kill();
            if let Some(cleanup) = self.1 {
                let _ = cleanup.read();
            }
        }
    }
}

struct Finished<'a>(&'a AtomicBool);

impl Drop for Finished<'_> {
    fn drop(&mut self) {
        self.0.store(true, Ordering::SeqCst);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn nothing_waits_forever() {
        let second = Duration::from_secs(1);
        let err = Cmd::new("sleep")
            .arg("30")
            .query_limit(second)
            .read()
            .unwrap_err()
            .to_string();
        assert!(err.contains("did not answer in 1s"), "{err}");
        let err = Cmd::new("sh")
            .args(["-c", "echo working; sleep 30"])
            .stall_limit(second)
            .run(|_| {})
            .unwrap_err()
            .to_string();
        assert!(
            err.contains("printed nothing for 1s") && err.contains("working"),
            "{err}"
        );
        let started = Instant::now();
        let err = Cmd::new("sh")
            .args([
                "-c",
                "while :; do echo 'make: Clock skew detected'; sleep 0.1; done",
            ])
            .stop_on("Clock skew", "loops on dates in the future")
            .run(|_| {})
            .unwrap_err()
            .to_string();
        assert!(err.starts_with("sh loops on dates in the future"), "{err}");
        assert!(started.elapsed() < Duration::from_secs(20));
    }

    #[test]
    fn a_file_that_grows_too_large_stops_the_program() {
        let dir = std::env::temp_dir().join(format!("xtask-limit-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let file = camino::Utf8PathBuf::try_from(dir.join("grows")).unwrap();
        let started = Instant::now();
        let err = Cmd::new("sh")
            .args([
                "-c",
                "while :; do head -c 65536 /dev/zero; sleep 0.01; done > \"$0\"",
                file.as_str(),
            ])
            .file_limit(&file, 1 << 20, "wrote too much")
            .run(|_| {})
            .unwrap_err()
            .to_string();
        assert!(err.starts_with("sh wrote too much"), "{err}");
        assert!(started.elapsed() < Duration::from_secs(20));
        std::fs::remove_dir_all(&dir).unwrap();
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
