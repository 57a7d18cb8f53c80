//! The download cache: every tarball the build bundles, fetched with curl and verified against
//! the tree's md5 before it gets its final name.
//!
//! A file is written as `.<name>.part-<pid>`, checked, then renamed: two fetches at once and an
//! interrupted download never leave a partial or unverified file under the final name, and the
//! parts of runs that are gone are removed. A file already there is verified, not fetched again.
//! curl honours the proxies of the environment (`https_proxy`, `no_proxy`).

use std::io::Read;

use anyhow::{bail, Context, Result};
use camino::{Utf8Path, Utf8PathBuf};
use md5::{Digest, Md5};

use super::bundle::Tarball;
use crate::exec::{interrupt, Failed, Shell};
use crate::report::human_size;

/// Whether the network may be used.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Network {
    Allowed,
    /// `--offline`: nothing touches the network; what is missing is an error.
    Off,
}

/// `$XDG_CACHE_HOME/asterisk-xtask/downloads`, else `~/.cache/asterisk-xtask/downloads`.
pub fn default_dir(xdg_cache_home: Option<&str>, home: Option<&str>) -> Option<Utf8PathBuf> {
    let base = match (
        xdg_cache_home.filter(|s| !s.is_empty()),
        home.filter(|s| !s.is_empty()),
    ) {
        (Some(xdg), _) => Utf8PathBuf::from(xdg),
        (None, Some(home)) => Utf8PathBuf::from(home).join(".cache"),
        (None, None) => return None,
    };
    Some(base.join("asterisk-xtask/downloads"))
}

/// The md5 of a file, in hex.
pub fn md5_of_file(path: &Utf8Path) -> Result<String> {
    let mut file = std::fs::File::open(path).with_context(|| format!("reading {path}"))?;
    let mut hasher = Md5::new();
    let mut buf = vec![0u8; 1 << 16];
    loop {
        let n = file
            .read(&mut buf)
            .with_context(|| format!("reading {path}"))?;
        if n == 0 {
            break;
        }
        hasher.update(&buf[..n]);
    }
    Ok(hasher
        .finalize()
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect())
}

/// Brings every tarball into `cache`, verified. In a dry run, says what it would fetch.
pub fn ensure(sh: Shell, tarballs: &[Tarball], cache: &Utf8Path, network: Network) -> Result<()> {
    if !sh.dry_run {
        std::fs::create_dir_all(cache)
            .with_context(|| format!("creating the download cache {cache}"))?;
        remove_stale_parts(cache);
    }
    let mut missing = Vec::new();
    for t in tarballs {
        let path = cache.join(&t.file);
        if path.is_file() {
            let md5 = md5_of_file(&path)?;
            if md5 != t.md5 {
                bail!(
                    "{path} does not match the md5 the tree gives ({md5}, not {}): remove it and run \
                     cargo xtask fetch again",
                    t.md5
                );
            }
            eprintln!("fetch: {} {} is in {cache} (md5 ok)", t.name, t.version);
            continue;
        }
        match (network, sh.dry_run) {
            (_, true) => eprintln!("fetch: would download {} to {path} (md5 {})", t.url, t.md5),
            (Network::Off, false) => missing.push(t),
            (Network::Allowed, false) => download(sh, t, cache)?,
        }
    }
    if !missing.is_empty() {
        let list: Vec<String> = missing
            .iter()
            .map(|t| format!("{} from {}", t.file, t.url))
            .collect();
        bail!(
            "--offline, and the download cache {cache} lacks {}: run cargo xtask fetch on a \
             machine with network and copy {cache} here, or drop --offline",
            list.join(", ")
        );
    }
    Ok(())
}

fn download(sh: Shell, t: &Tarball, cache: &Utf8Path) -> Result<()> {
    let part = cache.join(format!(".{}.part-{}", t.file, std::process::id()));
    let result = fetch_to(sh, t, &part);
    if result.is_err() {
        let _ = std::fs::remove_file(&part);
        interrupt::check()?;
        return result;
    }
    let dest = cache.join(&t.file);
    std::fs::rename(&part, &dest).with_context(|| format!("renaming {part} to {dest}"))?;
    Ok(())
}

fn fetch_to(sh: Shell, t: &Tarball, part: &Utf8Path) -> Result<()> {
    eprintln!("fetch: {} {} from {}", t.name, t.version, t.url);
    sh.cmd("curl")
        .args(["--fail", "--location", "--silent", "--show-error"])
        .args([
            "--connect-timeout",
            "20",
            "--max-time",
            "900",
            "--retry",
            "2",
        ])
        .args(["--output", part.as_str(), t.url.as_str()])
        .run(|_| {})
        .map_err(|e| {
            let why = match e.downcast_ref::<Failed>() {
                Some(f) => f.tail.last().cloned().unwrap_or_else(|| f.status.clone()),
                None => format!("{e:#}"),
            };
            anyhow::anyhow!(
                "could not download {} ({}): check the network and the proxy (https_proxy), or \
                 put {} into the download cache by hand",
                t.url,
                why.trim(),
                t.file
            )
        })?;
    let md5 = md5_of_file(part)?;
    if md5 != t.md5 {
        bail!(
            "{} from {} does not match the md5 the tree gives ({md5}, not {}): nothing was cached; \
             the address may serve another file, or the tree's third-party/{}/{}.md5 is out of date",
            t.file,
            t.url,
            t.md5,
            t.name,
            t.file
        );
    }
    let size = std::fs::metadata(part).map(|m| m.len()).unwrap_or(0);
    eprintln!("fetch: {} ({}, md5 ok)", t.file, human_size(size));
    Ok(())
}

/// Removes `.<file>.part-<pid>` files of fetches whose process is gone.
fn remove_stale_parts(cache: &Utf8Path) {
    let Ok(entries) = cache.read_dir_utf8() else {
        return;
    };
    for entry in entries.flatten() {
        let name = entry.file_name();
        let Some(pid) = name
            .strip_prefix('.')
            .and_then(|n| n.rsplit_once(".part-"))
            .and_then(|(_, pid)| pid.parse::<u32>().ok())
        else {
            continue;
        };
        if pid != std::process::id() && !crate::exec::alive(pid) {
            let _ = std::fs::remove_file(entry.path());
        }
    }
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
            (None, None, None),
        ];
        for (xdg, home, want) in cases {
            assert_eq!(default_dir(xdg, home).as_deref().map(|p| p.as_str()), want);
        }
    }
}
