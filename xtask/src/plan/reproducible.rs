//! `--check-reproducible`: the concern's flag. `outputs::reproducible` builds a second time and
//! compares; a build whose packages differ publishes nothing, so the check has no record of
//! its own in the manifest (the packages it lists are the ones that passed).

use bpaf::{long, Parser};

/// The concern's flag, as the plan's table names it.
pub type Flags = bool;

pub fn flags() -> impl Parser<Flags> {
    long("check-reproducible")
        .help("Build a second time (later; in a container under another host name) and fail, naming the differing files, unless the packages are the same byte for byte")
        .switch()
}
