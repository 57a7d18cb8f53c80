//! What is packed and what it is called: the tree, its files, its version and date, the archive.

pub(crate) mod archive;
pub(crate) mod date;
pub(crate) mod entries;
pub(crate) mod fileset;
pub(crate) mod git_memo;
pub(crate) mod pack;
pub(crate) mod pgzip;
pub(crate) mod release;
pub(crate) mod rpm_version;
pub(crate) mod snapshot;
pub(crate) mod status;
pub(crate) mod tree;
pub(crate) mod tree_record;
pub(crate) mod vercmp;
pub(crate) mod version;
pub(crate) mod warnings;
