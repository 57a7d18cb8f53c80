//! What is packed and what it is called: the tree, its files, its version and date, the archive.

pub mod archive;
pub mod date;
pub mod fileset;
pub mod pack;
pub mod pgzip;
pub mod release;
pub mod rpm_version;
pub mod snapshot;
pub mod status;
pub mod tree;
pub mod vercmp;
pub mod version;
pub mod warnings;
