//! `--check-reproducible`: the concern's flag. `outputs::reproducible` builds a second time and
//! compares; the manifest records that the check passed.

use bpaf::{long, Parser};

pub fn flags() -> impl Parser<bool> {
    long("check-reproducible")
        .help("Build a second time (later; in a container under another host name) and fail, naming the differing files, unless the packages are the same byte for byte")
        .switch()
}
