//! `cargo xtask fetch`: the third-party tarballs the tree bundles, in the download cache,
//! verified, so that later builds need no network.

use anyhow::{Context, Result};

use crate::cli::FetchFlags;
use crate::exec::Shell;
use crate::plan::absolute;
use crate::source::tree::Tree;
use crate::thirdparty::cache::{self, Network};
use crate::thirdparty::{self, sounds, BUNDLED};
use crate::Workspace;

pub fn run(flags: FetchFlags, ws: &Workspace) -> Result<()> {
    let sh = Shell {
        dry_run: flags.dry_run,
        verbose: flags.verbose,
    };
    let tree = Tree::locate(sh, flags.source.as_deref(), &ws.root)?;
    let dir = match &flags.download_cache {
        Some(dir) => absolute(dir)?,
        None => cache::default_dir(
            std::env::var("XDG_CACHE_HOME").ok().as_deref(),
            std::env::var("HOME").ok().as_deref(),
        )
        .context("no download cache: set HOME or XDG_CACHE_HOME, or pass --download-cache DIR")?,
    };
    let network = if flags.offline {
        Network::Off
    } else {
        Network::Allowed
    };
    thirdparty::prepare(sh, BUNDLED, &tree.root, &dir, network)?;
    let sets = sounds::selected(&tree.root, &flags.sounds)?;
    cache::ensure_sounds(sh, &sets, &dir, network)?;
    if !sh.dry_run {
        eprintln!(
            "fetch: the download cache {dir} holds everything {} bundles",
            tree.root
        );
    }
    Ok(())
}
