//! `attach`: a program that takes the terminal (a console): the xtask's own stdin, stdout and
//! stderr, in the terminal's foreground process group so that it can read the keyboard. The one
//! kind of run with no time limit (a person types), but it still ends within a fraction of a
//! second of a SIGINT or SIGTERM sent to the xtask.

use std::time::Duration;

use anyhow::{Context, Result};

use super::cmd::Cmd;
use crate::infra::interrupt;

impl Cmd {
    /// Runs the program on the terminal until it ends; its exit code (None: killed by a signal).
    pub fn attach(&self) -> Result<Option<i32>> {
        eprintln!("$ {}", self.display());
        if self.shell.dry_run {
            return Ok(Some(0));
        }
        let mut command = std::process::Command::new(&self.program);
        command.args(&self.args);
        for (k, v) in &self.env {
            command.env(k, v);
        }
        if let Some(dir) = &self.dir {
            command.current_dir(dir);
        }
        let mut child = command.spawn().map_err(|e| self.spawn_error(e))?;
        loop {
            if let Some(status) = child
                .try_wait()
                .with_context(|| format!("waiting for {}", self.program))?
            {
                // A Ctrl-C the program also saw (it ends it first) is still an interrupt.
                if interrupt::requested() {
                    return Err(interrupt::Interrupted::default().into());
                }
                return Ok(status.code());
            }
            if interrupt::requested() {
                // SAFETY: kill(2) on our own child.
                unsafe { libc::kill(child.id() as libc::pid_t, libc::SIGTERM) };
                for _ in 0..20 {
                    if child.try_wait().ok().flatten().is_some() {
                        break;
                    }
                    std::thread::sleep(Duration::from_millis(50));
                }
                let _ = child.kill();
                let _ = child.wait();
                return Err(interrupt::Interrupted::default().into());
            }
            std::thread::sleep(Duration::from_millis(50));
        }
    }
}
