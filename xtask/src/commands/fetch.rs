//! `cargo xtask fetch`: the third-party tarballs the tree bundles, in the download cache,
//! verified, so that later builds need no network.

use anyhow::Result;

use crate::bundled::FetchFlags;
use crate::bundled::{self, cache, sounds};
use crate::infra::workspace::Workspace;
use crate::plan::bundled::{cache_dir, BUNDLED};
use crate::source::tree::Tree;

pub fn run(flags: FetchFlags, ws: &Workspace) -> Result<()> {
    let sh = flags.sh;
    let tree = Tree::locate(sh, flags.source.as_deref(), &ws.root)?;
    let dir = cache_dir(flags.download_cache.as_deref())?;
    let network = crate::plan::bundled::network(flags.offline);
    // The names first: a wrong one is said before anything is downloaded.
    let sets = sounds::selected(&tree.root, &flags.sounds)?;
    bundled::prepare(sh, BUNDLED, &tree.root, &dir, network)?;
    cache::ensure_sounds(sh, &sets, &dir, network)?;
    if !sh.dry_run {
        eprintln!(
            "fetch: the download cache {dir} holds everything {} bundles",
            tree.root
        );
    }
    Ok(())
}
