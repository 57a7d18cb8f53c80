//! The bundled sources stage: what the tree bundles (its third-party tarballs, the sound sets
//! asked for), brought into the download cache and verified, and the manifest's record of them.

pub mod cache;
pub mod sounds;
pub mod tarball;

use crate::infra::json::{json, Value};
use anyhow::Result;
use camino::{Utf8Path, Utf8PathBuf};

use crate::infra::exec::Shell;
use crate::infra::json;
use crate::infra::record::Record;
use crate::plan::bundled::{Network, BUNDLED_IF_THE_TREE_HAS_IT, PJPROJECT};
use tarball::Tarball;

use crate::plan::flag;
use bpaf::{construct, Parser};

/// Brings what the tree bundles of `packages` into `cache` (unless `network` is off, then it
/// must be there), verified against the tree's md5.
pub fn prepare(
    sh: Shell,
    packages: &[&str],
    tree: &Utf8Path,
    cache_dir: &Utf8Path,
    network: Network,
) -> Result<Vec<Bundled>> {
    let tarballs = packages
        .iter()
        .filter(|p| {
            !BUNDLED_IF_THE_TREE_HAS_IT.contains(p)
                || tree
                    .join("third-party")
                    .join(p)
                    .join("Makefile.rules")
                    .is_file()
        })
        .map(|package| tarball::tarball(tree, package))
        .collect::<Result<Vec<_>>>()?;
    cache::ensure(sh, &tarballs, cache_dir, network)?;
    tarballs
        .into_iter()
        .map(|tarball| {
            let path = cache_dir.join(&tarball.file);
            let sha256 = if sh.dry_run && !path.is_file() {
                String::new()
            } else {
                crate::infra::digest::sha256_of_file(&path)?
            };
            Ok(Bundled { tarball, sha256 })
        })
        .collect()
}

/// A third-party source the packages bundle: the tarball the tree names, brought into the
/// download cache and verified against the tree's md5, with its SHA-256 (empty in a dry run,
/// which fetches nothing). The manifest records it as it is.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Bundled {
    pub tarball: Tarball,
    pub sha256: String,
}

impl Bundled {
    /// Where it is in the download cache `cache`.
    pub fn path_in(&self, cache: &Utf8Path) -> Utf8PathBuf {
        cache.join(&self.tarball.file)
    }

    pub fn to_json(&self) -> Value {
        let t = &self.tarball;
        json!({
            "name": t.name,
            "version": t.version,
            "file": t.file,
            "url": t.url,
            "md5": t.md5,
            "sha256": self.sha256,
        })
    }

    pub fn from_json(v: &Value) -> anyhow::Result<Bundled> {
        Ok(Bundled {
            tarball: Tarball {
                name: json::text(v, "name")?,
                version: json::text(v, "version")?,
                file: json::text(v, "file")?,
                url: json::text(v, "url")?,
                md5: json::text(v, "md5")?,
            },
            sha256: json::text(v, "sha256")?,
        })
    }
}

/// The manifest's record of the bundled sources: each source, and when there are none of
/// pjproject, what that leaves out (`without_pjproject`).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct BundledRecord {
    pub sources: Vec<Bundled>,
    pub note: String,
}

impl BundledRecord {
    pub fn of(fetched: &[Bundled]) -> BundledRecord {
        BundledRecord {
            sources: fetched.to_vec(),
            note: without_pjproject(fetched).unwrap_or_default().into(),
        }
    }
}

/// `bundled` and `bundled_note`. The sources a manifest records are those fetched now when they
/// have the same names and bytes, in the same order.
impl Record for BundledRecord {
    const LABEL: &'static str = "bundled sources";

    fn write(&self) -> Vec<(&'static str, Value)> {
        let sources: Vec<Value> = self.sources.iter().map(Bundled::to_json).collect();
        vec![
            ("bundled", Value::Array(sources)),
            ("bundled_note", Value::String(self.note.clone())),
        ]
    }

    fn read(doc: &Value) -> Result<Self> {
        Ok(BundledRecord {
            sources: json::list(doc, "bundled", Bundled::from_json)?,
            note: json::text(doc, "bundled_note")?,
        })
    }

    fn same(&self, next: &Self) -> bool {
        let key = |b: &Bundled| (b.tarball.name.clone(), b.sha256.clone());
        self.sources
            .iter()
            .map(key)
            .eq(next.sources.iter().map(key))
    }
}

/// What a build without pjproject lacks, said by the summary and the manifest (None: it has
/// it).
pub fn without_pjproject(fetched: &[Bundled]) -> Option<&'static str> {
    (!fetched.iter().any(|f| f.tarball.name == PJPROJECT))
        .then_some("built --without-pjproject: no res_pjsip modules, no chan_pjsip")
}

// `fetch`'s flags.

#[derive(Debug, Clone, Default)]
pub struct FetchFlags {
    pub source: Option<Utf8PathBuf>,
    pub download_cache: Option<Utf8PathBuf>,
    pub sounds: Vec<String>,
    pub offline: bool,
    /// `--dry-run` and `--verbose`.
    pub sh: Shell,
}

pub fn fetch_flags() -> impl Parser<FetchFlags> {
    let source = flag::source(
        "The Asterisk tree whose third-party/ says what to fetch (default: the checkout the xtask lives in)",
    );
    let download_cache = crate::plan::bundled::cache_flag(
        "Where the tarballs go (default: $XDG_CACHE_HOME/asterisk-xtask/downloads, else ~/.cache/asterisk-xtask/downloads)",
    );
    let sounds = crate::plan::sounds::flag(
        "Sound sets to fetch too, as menuselect names them (CORE-SOUNDS-EN-GSM,MOH-OPSOUND-WAV); may repeat (default: none)",
    );
    let offline = crate::plan::bundled::offline_flag(
        "Touch no network: only check that the cache holds every tarball, verified",
    );
    let sh = flag::shell_with_dry_run("Say what would be fetched; fetch and write nothing");
    construct!(FetchFlags {
        source,
        download_cache,
        sounds,
        offline,
        sh,
    })
}
