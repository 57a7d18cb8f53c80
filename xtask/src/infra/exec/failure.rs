//! How a program failed, as errors that name it, its exit status and its last lines.

/// A program that could not be started because it is not there.
#[derive(Debug)]
pub struct NotInstalled {
    pub program: String,
    /// The command line that was to run.
    pub line: String,
}

impl std::fmt::Display for NotInstalled {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "{} is not installed (running `{}`): cargo xtask doctor says what to install",
            self.program, self.line
        )
    }
}

impl std::error::Error for NotInstalled {}

/// What a failed program said last (its last non-empty line, else its status), or the error.
pub fn last_line(e: &anyhow::Error) -> String {
    match e.downcast_ref::<Failed>() {
        Some(f) => f
            .tail
            .iter()
            .rev()
            .find(|l| !l.trim().is_empty())
            .cloned()
            .unwrap_or_else(|| f.status.clone()),
        None => format!("{e}"),
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

pub(super) fn describe_status(status: std::process::ExitStatus) -> String {
    use std::os::unix::process::ExitStatusExt;
    match (status.code(), status.signal()) {
        (Some(code), _) => format!("exited with status {code}"),
        (None, Some(sig)) => format!("was killed by signal {sig}"),
        _ => "failed".to_string(),
    }
}

/// How many trailing output lines an error carries.
pub(super) const TAIL_LINES: usize = 25;

pub(super) fn tail_of(text: &str) -> Vec<String> {
    let lines: Vec<&str> = text.lines().collect();
    let start = lines.len().saturating_sub(TAIL_LINES);
    lines[start..].iter().map(|s| s.to_string()).collect()
}
