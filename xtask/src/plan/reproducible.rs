//! `--check-reproducible`: the concern's flag. `outputs::reproducible` builds a second time and
//! compares; a build whose packages differ publishes nothing, so the check has no record of
//! its own in the manifest (the packages it lists are the ones that passed).

use bpaf::{long, Parser};

/// The concern's flag, as the plan's table names it.
pub type Flags = bool;

/// What `--verbose`'s plan calls this concern's line.
pub const SAYS: &str = "reproduce";

pub fn describe(check: &Flags) -> String {
    match check {
        true => "build twice and compare (--check-reproducible)".into(),
        false => "no second build".into(),
    }
}

pub fn flags() -> impl Parser<Flags> {
    long("check-reproducible")
        .help("Build a second time (later; in a container under another host name) and fail, naming the differing files, unless the packages are the same byte for byte")
        .switch()
}
