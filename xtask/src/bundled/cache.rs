//! The download cache: every tarball the build bundles, fetched with curl and verified against
//! the tree's md5 before it gets its final name.
//!
//! A file is written as `.<name>.part-<pid>`, checked, then renamed: two fetches at once and an
//! interrupted download never leave a partial or unverified file under the final name, and the
//! parts of runs that are gone are removed. A file already there is verified, not fetched again.
//! curl honours the proxies of the environment (`https_proxy`, `no_proxy`).

use anyhow::{bail, Context, Result};
use camino::Utf8Path;

use super::sounds::SoundSet;
use super::tarball::Tarball;
use crate::infra::digest;
use crate::infra::exec::{Failed, Shell};
use crate::infra::interrupt;
use crate::infra::progress::human_size;
use crate::plan::bundled::Network;

/// Makes the download cache directory (`check_cache` first).
fn make_cache(cache: &Utf8Path) -> Result<()> {
    check_cache(cache)?;
    std::fs::create_dir_all(cache).with_context(|| format!("creating the download cache {cache}"))
}

/// Reading only (a dry run's and an offline run's too): a cache path that is something else
/// than a directory or nothing yet is said in one line.
fn check_cache(cache: &Utf8Path) -> Result<()> {
    if cache.is_symlink() && !cache.exists() {
        let to = std::fs::read_link(cache).unwrap_or_default();
        bail!(
            "the download cache {cache} is a link to {}, which does not exist: make that \
             directory, or name another with --download-cache DIR",
            to.display()
        );
    }
    if cache.exists() && !cache.is_dir() {
        bail!(
            "the download cache {cache} is a file, not a directory: move it away, or name a \
             directory with --download-cache DIR"
        );
    }
    Ok(())
}

/// Brings every sound set and its `.sha1` into `cache`, the tarball checked against it.
pub fn ensure_sounds(
    sh: Shell,
    sets: &[SoundSet],
    cache: &Utf8Path,
    network: Network,
) -> Result<()> {
    if !sets.is_empty() {
        check_cache(cache)?;
    }
    if !sh.dry_run && !sets.is_empty() && network == Network::Allowed {
        make_cache(cache)?;
    }
    for set in sets {
        let sha1_file = format!("{}.sha1", set.file);
        let sha1_url = format!("{}.sha1", set.url);
        let path = cache.join(&set.file);
        let sha1_path = cache.join(&sha1_file);
        for (file, url) in [(&sha1_file, &sha1_url), (&set.file, &set.url)] {
            if !cache.join(file).is_file() && network == Network::Off {
                bail!(
                    "--offline, and the download cache {cache} lacks {file} from {url}: run \
                     cargo xtask fetch --sounds {} on a machine with network and copy {cache} here, \
                     or drop --offline",
                    set.name
                );
            }
        }
        // A dry run checks what is there (reading only) and says what it would download.
        if sh.dry_run && (!path.is_file() || !sha1_path.is_file()) {
            eprintln!(
                "fetch: would download {} and {sha1_url} to {cache}",
                set.url
            );
            continue;
        }
        if !sha1_path.is_file() {
            download(
                sh,
                &set.name,
                &set.version,
                &sha1_url,
                &sha1_file,
                cache,
                None,
            )?;
        }
        let text =
            std::fs::read_to_string(&sha1_path).with_context(|| format!("reading {sha1_path}"))?;
        let sha1 = super::sounds::sha1_in(&text)
            .with_context(|| format!("{sha1_path} holds no sha1: remove it and fetch again"))?;
        if path.is_file() {
            let found = digest::sha1_of_file(&path)?;
            if found != sha1 {
                bail!(
                    "{path} does not match {sha1_file} ({found}, not {sha1}): remove both, and the \
                     next fetch (or build with network) brings them again"
                );
            }
            eprintln!(
                "fetch: {} {} is in {cache} (sha1 ok)",
                set.name, set.version
            );
            continue;
        }
        let check = Check {
            kind: "sha1",
            want: &sha1,
            of: digest::sha1_of_file,
            source: &sha1_file,
        };
        download(
            sh,
            &set.name,
            &set.version,
            &set.url,
            &set.file,
            cache,
            Some(check),
        )?;
    }
    Ok(())
}

/// What a downloaded file must match before it gets its name.
struct Check<'a> {
    kind: &'static str,
    want: &'a str,
    of: fn(&Utf8Path) -> Result<String>,
    /// Where the expected value came from, for the error.
    source: &'a str,
}

/// Brings every tarball into `cache`, verified. In a dry run, says what it would fetch.
pub fn ensure(sh: Shell, tarballs: &[Tarball], cache: &Utf8Path, network: Network) -> Result<()> {
    // Offline, nothing is written: what is missing is said, not made room for. A dry run
    // refuses what the run would.
    if !tarballs.is_empty() {
        check_cache(cache)?;
    }
    if !sh.dry_run && network == Network::Allowed {
        make_cache(cache)?;
        remove_stale_parts(cache);
    }
    let mut missing = Vec::new();
    for t in tarballs {
        let path = cache.join(&t.file);
        if path.is_file() {
            let md5 = digest::md5_of_file(&path)?;
            if md5 != t.md5 {
                bail!(
                    "{path} does not match the md5 the tree gives ({md5}, not {}): remove it, and the \
                     next fetch (or build with network) brings it again",
                    t.md5
                );
            }
            eprintln!("fetch: {} {} is in {cache} (md5 ok)", t.name, t.version);
            continue;
        }
        match (network, sh.dry_run) {
            // Offline, a dry run refuses what the run refuses.
            (Network::Off, _) => missing.push(t),
            (Network::Allowed, true) => {
                eprintln!("fetch: would download {} to {path} (md5 {})", t.url, t.md5)
            }
            (Network::Allowed, false) => {
                let source = format!("the tree's third-party/{}/{}.md5", t.name, t.file);
                let check = Check {
                    kind: "md5",
                    want: &t.md5,
                    of: digest::md5_of_file,
                    source: &source,
                };
                download(sh, &t.name, &t.version, &t.url, &t.file, cache, Some(check))?
            }
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

fn download(
    sh: Shell,
    name: &str,
    version: &str,
    url: &str,
    file: &str,
    cache: &Utf8Path,
    check: Option<Check>,
) -> Result<()> {
    let part = cache.join(format!(".{file}.part-{}", std::process::id()));
    let result = fetch_to(sh, name, version, url, file, &part, check);
    if result.is_err() {
        let _ = std::fs::remove_file(&part);
        interrupt::check()?;
        return result;
    }
    let dest = cache.join(file);
    std::fs::rename(&part, &dest).with_context(|| format!("renaming {part} to {dest}"))?;
    Ok(())
}

/// How long a download may receive nothing before it counts as stalled, and the most it may
/// bring: the environment's, else these.
const STALL_SECS: (&str, u64) = ("ASTERISK_XTASK_FETCH_STALL_SECS", 30);
const MAX_MIB: (&str, u64) = ("ASTERISK_XTASK_FETCH_MAX_MIB", 512);

fn setting((var, default): (&str, u64)) -> u64 {
    std::env::var(var)
        .ok()
        .and_then(|v| v.trim().parse::<u64>().ok())
        .filter(|n| *n > 0)
        .unwrap_or(default)
}

/// Why curl stopped, in words, from its exit code and last line.
fn explain_curl(code: Option<i32>, said: &str, stall: u64, max_mib: u64) -> String {
    match code {
        Some(28) => format!(
            "nothing came for {stall}s ({} sets how long that may last): the server accepted and \
             went quiet",
            STALL_SECS.0
        ),
        Some(63) => format!(
            "it is larger than {max_mib} MiB, far more than any tarball of the tree's ({} raises \
             the limit)",
            MAX_MIB.0
        ),
        _ => said.trim().to_string(),
    }
}

fn fetch_to(
    sh: Shell,
    name: &str,
    version: &str,
    url: &str,
    file: &str,
    part: &Utf8Path,
    check: Option<Check>,
) -> Result<()> {
    eprintln!("fetch: {name} {version} from {url}");
    // The part file is made here, so that a cache that cannot be written is said as such, not
    // as a network problem.
    std::fs::File::create(part)
        .with_context(|| format!("writing into the download cache ({part})"))?;
    let (stall, max_mib) = (setting(STALL_SECS), setting(MAX_MIB));
    let max_bytes = max_mib << 20;
    // curl watches its own progress: a slow download goes on as long as bytes come, a silent
    // server is left after `stall` seconds, and no download grows past `max_bytes` (curl's
    // --max-filesize only knows an announced length: the file is watched too).
    sh.cmd("curl")
        .args(["--fail", "--location", "--silent", "--show-error"])
        .args(["--connect-timeout", "20", "--retry", "2"])
        .args(["--speed-limit", "1", "--speed-time", &stall.to_string()])
        .args(["--max-filesize", &max_bytes.to_string()])
        .args(["--output", part.as_str(), url])
        .stall_limit(std::time::Duration::from_secs(24 * 3600))
        .file_limit(
            part,
            max_bytes,
            explain_curl(Some(63), "", stall, max_mib),
        )
        .run(|_| {})
        .map_err(|e| {
            let why = match e.downcast_ref::<Failed>() {
                Some(f) if f.code.is_none() => f.status.clone(),
                Some(f) => explain_curl(
                    f.code,
                    &f.tail.last().cloned().unwrap_or_else(|| f.status.clone()),
                    stall,
                    max_mib,
                ),
                None => format!("{e:#}"),
            };
            match e.downcast_ref::<Failed>().and_then(|f| f.code) {
                Some(23) => anyhow::anyhow!(
                    "could not write {part} while downloading {url} ({why}): the disk may be full \
                     or the download cache not writable; nothing was cached"
                ),
                _ => anyhow::anyhow!(
                    "could not download {url} ({why}): check the network and the proxy \
                     (https_proxy), or put {file} into the download cache by hand; nothing was cached"
                ),
            }
        })?;
    if let Some(check) = check {
        let found = (check.of)(part)?;
        if found != check.want {
            bail!(
                "{file} from {url} does not match the {} in {} ({found}, not {}): nothing was \
                 cached; the address may serve another file, or {} is out of date",
                check.kind,
                check.source,
                check.want,
                check.source
            );
        }
        let size = std::fs::metadata(part).map(|m| m.len()).unwrap_or(0);
        eprintln!("fetch: {file} ({}, {} ok)", human_size(size), check.kind);
    }
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
        if pid != std::process::id() && !crate::infra::exec::alive(pid) {
            let _ = std::fs::remove_file(entry.path());
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn curl_failures_in_words() {
        assert!(
            explain_curl(Some(28), "curl: (28) Operation too slow", 30, 512)
                .contains("nothing came for 30s (ASTERISK_XTASK_FETCH_STALL_SECS")
        );
        assert!(explain_curl(Some(63), "", 30, 512).contains("larger than 512 MiB"));
        assert_eq!(
            explain_curl(
                Some(22),
                " curl: (22) The requested URL returned error: 404\n",
                30,
                512
            ),
            "curl: (22) The requested URL returned error: 404"
        );
    }
}
