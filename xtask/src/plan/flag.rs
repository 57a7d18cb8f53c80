//! What every concern's flags are made of: values that may not be empty, paths, and the error
//! of a command line the xtask cannot take.

use bpaf::{long, Parser};
use camino::Utf8PathBuf;

/// A command line the xtask cannot take: `main` exits with 2 for it, as usage errors do.
#[derive(Debug)]
pub struct Usage(pub String);

impl std::fmt::Display for Usage {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

impl std::error::Error for Usage {}

/// A flag's value that must not be empty: an empty one (CI's `--sign "$KEYID"` with the
/// variable unset) is a usage error, never taken as "not given".
pub fn non_empty(name: &'static str) -> impl Fn(String) -> std::result::Result<String, String> {
    move |v: String| match v.trim().is_empty() {
        true => Err(format!(
            "--{name} needs a value, and was given an empty one (an unset variable?)"
        )),
        false => Ok(v),
    }
}

/// `--NAME VALUE`, optional, never empty.
pub fn text(
    name: &'static str,
    meta: &'static str,
    help: &'static str,
) -> impl Parser<Option<String>> {
    long(name)
        .help(help)
        .argument::<String>(meta)
        .parse(non_empty(name))
        .optional()
}

/// `--NAME PATH`, optional, never empty.
pub fn path(
    name: &'static str,
    meta: &'static str,
    help: &'static str,
) -> impl Parser<Option<Utf8PathBuf>> {
    long(name)
        .help(help)
        .argument::<String>(meta)
        .parse(move |v| match v.is_empty() {
            true => Err(format!("--{name} needs a non-empty path")),
            false => Ok(Utf8PathBuf::from(v)),
        })
        .optional()
}

/// `--verbose`, which every command takes.
pub fn verbose() -> impl Parser<bool> {
    long("verbose")
        .help("Also print the queries (git, rpm, the engine) the xtask runs, and the plan")
        .switch()
}
