//! Third-party sources: what the tree bundles, and the download cache that holds it.

pub mod bundle;
pub mod cache;
pub mod sounds;

/// The packages a build bundles: pjproject (Asterisk's SIP stack), unless the user builds
/// without it. jansson and libjwt come from the system (the spec does not bundle them).
pub const BUNDLED: &[&str] = &["pjproject"];

use anyhow::Result;
use camino::{Utf8Path, Utf8PathBuf};

use crate::exec::Shell;
use bundle::Tarball;
use cache::Network;

/// A tarball of the tree's, in the download cache and verified.
#[derive(Debug, Clone)]
pub struct Fetched {
    pub tarball: Tarball,
    pub path: Utf8PathBuf,
    /// Empty in a dry run, which fetches nothing.
    pub sha256: String,
}

/// Brings what the tree bundles of `packages` into `cache` (unless `network` is off, then it
/// must be there), verified against the tree's md5.
pub fn prepare(
    sh: Shell,
    packages: &[&str],
    tree: &Utf8Path,
    cache_dir: &Utf8Path,
    network: Network,
) -> Result<Vec<Fetched>> {
    let tarballs = packages
        .iter()
        .map(|package| bundle::tarball(tree, package))
        .collect::<Result<Vec<_>>>()?;
    cache::ensure(sh, &tarballs, cache_dir, network)?;
    tarballs
        .into_iter()
        .map(|tarball| {
            let path = cache_dir.join(&tarball.file);
            let sha256 = if sh.dry_run && !path.is_file() {
                String::new()
            } else {
                crate::sha256::of_file(&path)?
            };
            Ok(Fetched {
                tarball,
                path,
                sha256,
            })
        })
        .collect()
}
