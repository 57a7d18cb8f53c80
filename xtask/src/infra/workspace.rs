//! Where the xtask lives and writes: the workspace root, the target directory, its lock.

use anyhow::{Context, Result};
use camino::{Utf8Path, Utf8PathBuf};

/// The running xtask: its version and the first 16 hex digits of its executable's SHA-256 (read
/// once), or "unknown" when the executable cannot be read. A manifest records it, so packages
/// an earlier xtask built are not taken for this one's.
pub fn xtask_identity() -> String {
    static IDENTITY: std::sync::OnceLock<String> = std::sync::OnceLock::new();
    IDENTITY
        .get_or_init(|| {
            let digest = std::env::current_exe()
                .ok()
                .and_then(|exe| Utf8PathBuf::from_path_buf(exe).ok())
                .and_then(|exe| crate::infra::digest::sha256_of_file(&exe).ok());
            match digest {
                Some(sha) => format!("{} {}", env!("CARGO_PKG_VERSION"), &sha[..16]),
                None => "unknown".into(),
            }
        })
        .clone()
}

/// Where the xtask lives and writes.
#[derive(Debug, Clone)]
pub struct Workspace {
    /// The workspace root: the Asterisk checkout the xtask was dropped into (or this repository).
    pub root: Utf8PathBuf,
    /// The target directory: `CARGO_TARGET_DIR`, else `<root>/target`. Everything the xtask
    /// writes goes under it, unless `--out` says otherwise.
    pub target: Utf8PathBuf,
}

impl Workspace {
    pub fn from_env() -> Result<Workspace> {
        let root = Utf8Path::new(env!("CARGO_MANIFEST_DIR"))
            .parent()
            .context("the xtask crate has no parent directory")?
            .to_owned();
        let target = match std::env::var("CARGO_TARGET_DIR") {
            Ok(dir) if !dir.is_empty() => absolute(Utf8Path::new(&dir))?,
            _ => root.join("target"),
        };
        Ok(Workspace { root, target })
    }

    /// Holds the target directory's build lock until the returned file is dropped: two builds
    /// at once would share the work directory.
    pub fn lock(&self) -> Result<std::fs::File> {
        let dir = self.target.join("xtask");
        std::fs::create_dir_all(&dir).with_context(|| format!("creating {dir}"))?;
        let path = dir.join("lock");
        let file = std::fs::OpenOptions::new()
            .create(true)
            .truncate(false)
            .write(true)
            .open(&path)
            .with_context(|| format!("opening {path}"))?;
        match file.try_lock() {
            Ok(()) => Ok(file),
            Err(std::fs::TryLockError::WouldBlock) => anyhow::bail!(
                "another cargo xtask is building in {}: wait for it to finish, or give this one its own CARGO_TARGET_DIR",
                self.target
            ),
            Err(std::fs::TryLockError::Error(e)) => {
                Err(e).with_context(|| format!("locking {path}"))
            }
        }
    }

    /// Creates the target directory with a `.gitignore` of `*` in it, so that git in the tree
    /// around it (an Asterisk checkout's `.gitignore` does not name `target/`) leaves it alone.
    pub fn prepare_target(&self) -> Result<()> {
        std::fs::create_dir_all(&self.target)
            .with_context(|| format!("creating the target directory {}", self.target))?;
        let ignore = self.target.join(".gitignore");
        if !ignore.exists() {
            std::fs::write(
                &ignore,
                "# Written by cargo xtask: everything here is build output.\n*\n",
            )
            .with_context(|| format!("writing {ignore}"))?;
        }
        Ok(())
    }
}

/// `LD_LIBRARY_PATH` without what `cargo run` (so `cargo xtask`) put in front of it: the
/// directories of the xtask's own build (`exe_dir`, its `deps`) and of the toolchain
/// (`sysroot`, the directory above `$CARGO`'s `bin/`). Those would reach rpmbuild, and the
/// native builder's identity, which would then differ between `cargo xtask` and the binary run
/// directly, or another target directory. None: nothing of the user's is left.
pub fn without_cargo_paths(
    value: &str,
    exe_dir: &Utf8Path,
    sysroot: Option<&Utf8Path>,
) -> Option<String> {
    let entries: Vec<&str> = value.split(':').collect();
    // Cargo's own come first: a profile directory and its `deps` (this xtask's, or the one a
    // copy of it was built in), then the toolchain's.
    let ours = |i: usize| {
        let entry = Utf8Path::new(entries[i]);
        let deps_of = |dir: &str| Utf8Path::new(dir).join("deps") == entry;
        entry == exe_dir
            || entry == exe_dir.join("deps")
            || sysroot.is_some_and(|root| entry.starts_with(root))
            || entries
                .get(i + 1)
                .is_some_and(|next| entry.join("deps") == *next)
            || (i > 0 && deps_of(entries[i - 1]))
    };
    let first_theirs = (0..entries.len())
        .find(|&i| !ours(i))
        .unwrap_or(entries.len());
    let kept = &entries[first_theirs..];
    match kept.is_empty() {
        true => None,
        false => Some(kept.join(":")),
    }
}

/// Takes `cargo run`'s library paths out of this process's `LD_LIBRARY_PATH` (see
/// `without_cargo_paths`) when cargo started it; `main` calls it before anything runs.
pub fn forget_cargo_library_paths() {
    let (Some(cargo), Some(value)) = (
        std::env::var_os("CARGO"),
        std::env::var("LD_LIBRARY_PATH").ok(),
    ) else {
        return;
    };
    let Some(exe) = std::env::current_exe()
        .ok()
        .and_then(|e| Utf8PathBuf::try_from(e).ok())
    else {
        return;
    };
    let Some(exe_dir) = exe.parent() else { return };
    let cargo = Utf8PathBuf::try_from(std::path::PathBuf::from(cargo)).ok();
    let sysroot = cargo
        .as_deref()
        .and_then(|c| c.parent())
        .filter(|bin| bin.file_name() == Some("bin"))
        .and_then(|bin| bin.parent());
    match without_cargo_paths(&value, exe_dir, sysroot) {
        Some(kept) => std::env::set_var("LD_LIBRARY_PATH", kept),
        None => std::env::remove_var("LD_LIBRARY_PATH"),
    }
}

/// The xtask's directory in the user's cache: `$XDG_CACHE_HOME/asterisk-xtask`, else
/// `~/.cache/asterisk-xtask` (a relative or empty value is ignored, as the XDG rules say); None
/// without either. The download cache's default and the dirty-build clock live there.
pub fn user_cache(xdg_cache_home: Option<&str>, home: Option<&str>) -> Option<Utf8PathBuf> {
    let absolute = |v: Option<&str>| v.filter(|s| s.starts_with('/')).map(Utf8PathBuf::from);
    let base = absolute(xdg_cache_home).or_else(|| absolute(home).map(|h| h.join(".cache")))?;
    Some(base.join("asterisk-xtask"))
}

/// `user_cache` of this process's environment.
pub fn user_cache_of_env() -> Option<Utf8PathBuf> {
    user_cache(
        std::env::var("XDG_CACHE_HOME").ok().as_deref(),
        std::env::var("HOME").ok().as_deref(),
    )
}

/// `path` made absolute against the current directory.
pub fn absolute(path: &Utf8Path) -> Result<Utf8PathBuf> {
    if path.is_absolute() {
        return Ok(path.to_owned());
    }
    let cwd = std::env::current_dir().context("finding the current directory")?;
    let cwd = Utf8PathBuf::try_from(cwd).context("the current directory is not UTF-8")?;
    Ok(cwd.join(path))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_default_cache() {
        let cases = [
            (
                Some("/x"),
                Some("/home/u"),
                Some("/x/asterisk-xtask/downloads"),
            ),
            (
                Some(""),
                Some("/home/u"),
                Some("/home/u/.cache/asterisk-xtask/downloads"),
            ),
            (
                None,
                Some("/home/u"),
                Some("/home/u/.cache/asterisk-xtask/downloads"),
            ),
            // Relative values are ignored, as the XDG rules say.
            (
                Some("rel"),
                Some("/home/u"),
                Some("/home/u/.cache/asterisk-xtask/downloads"),
            ),
            (None, Some("home"), None),
            (Some(""), Some(""), None),
            (None, None, None),
        ];
        for (xdg, home, want) in cases {
            assert_eq!(
                user_cache(xdg, home)
                    .map(|c| c.join("downloads"))
                    .as_deref()
                    .map(|p| p.as_str()),
                want
            );
        }
    }

    #[test]
    fn cargo_runs_library_paths_are_taken_out() {
        let exe = Utf8Path::new("/w/target/debug");
        let root = Utf8Path::new("/r/toolchains/stable");
        let cargo = "/w/target/debug:/w/target/debug/deps:/r/toolchains/stable/lib/rustlib/x86_64-unknown-linux-gnu/lib:/r/toolchains/stable/lib";
        let cases = [
            (cargo.to_string(), None),
            (
                format!("{cargo}:/opt/lib:/usr/local/lib"),
                Some("/opt/lib:/usr/local/lib"),
            ),
            // The user's own entries are kept even when they look like cargo's, after them.
            (
                format!("{cargo}:/opt/lib:/w/target/debug"),
                Some("/opt/lib:/w/target/debug"),
            ),
            ("/opt/lib".to_string(), Some("/opt/lib")),
            (
                "/w/target/debug/deps2:/x".to_string(),
                Some("/w/target/debug/deps2:/x"),
            ),
            // A copy of the xtask elsewhere, run by a cargo test: cargo's pair still goes.
            (
                "/t/debug:/t/debug/deps:/r/toolchains/stable/lib:/opt/lib".to_string(),
                Some("/opt/lib"),
            ),
        ];
        for (value, want) in cases {
            assert_eq!(
                without_cargo_paths(&value, exe, Some(root)).as_deref(),
                want,
                "{value}"
            );
        }
        assert_eq!(
            without_cargo_paths("/r/toolchains/stable/lib:/x", exe, None).as_deref(),
            Some("/r/toolchains/stable/lib:/x")
        );
    }
}
