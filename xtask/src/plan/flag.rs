//! What every concern's flags are made of: values that may not be empty, paths, and the error
//! of a command line the xtask cannot take.

use bpaf::{construct, long, Parser};
use camino::Utf8PathBuf;

use crate::infra::exec::Shell;

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
pub fn non_empty(name: &'static str) -> impl Fn(String) -> std::result::Result<String, Usage> {
    move |v: String| match v.trim().is_empty() {
        true => Err(Usage(format!(
            "--{name} needs a value, and was given an empty one (an unset variable?)"
        ))),
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

/// `--tag T`, an image reference checked as the engine takes it (`image` takes many, `smoke`
/// one).
pub fn tag(help: &'static str) -> impl Parser<String> {
    long("tag")
        .help(help)
        .argument::<String>("T")
        .parse(|t| check_tag(&t).map(|()| t))
}

/// `--out DIR`: where a command writes what it makes.
pub fn out(help: &'static str) -> impl Parser<Option<Utf8PathBuf>> {
    path("out", "DIR", help)
}

/// The longest Version or Release taken: the NVR names files (`...-debuginfo-<V>-<R>.x86_64.rpm`).
const MAX_RPM_FIELD: usize = 80;

/// A Version or Release rpm accepts: letters, digits and `. _ + ~ ^`, not empty. `what` names
/// it in the message.
pub fn rpm_field(what: &str, s: &str) -> std::result::Result<(), Usage> {
    if s.is_empty() {
        return Err(Usage(format!("{what} is empty")));
    }
    // rpm refuses `..` in a Version or Release; a long one makes file names past 255 bytes
    // (found only in %install, after the whole build).
    if s.contains("..") {
        return Err(Usage(format!(
            "{what} '{s}' holds \"..\", which rpm does not accept"
        )));
    }
    if s.len() > MAX_RPM_FIELD {
        return Err(Usage(format!(
            "{what} is {} characters long; at most {MAX_RPM_FIELD} keep the packages' file names \
             within what a file system takes",
            s.len()
        )));
    }
    match s
        .chars()
        .find(|c| !(c.is_ascii_alphanumeric() || "._+~^".contains(*c)))
    {
        Some(c) => Err(Usage(format!(
            "{what} '{}' holds {c:?}, which rpm does not accept: use letters, digits and . _ + ~ ^",
            s.escape_debug()
        ))),
        None => Ok(()),
    }
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
            true => Err(Usage(format!("--{name} needs a non-empty path"))),
            false => Ok(Utf8PathBuf::from(v)),
        })
        .optional()
}

/// `--source DIR`: the Asterisk tree a command works on.
pub fn source(help: &'static str) -> impl Parser<Option<Utf8PathBuf>> {
    path("source", "DIR", help)
}

/// `--dry-run`: say what would happen, write nothing.
pub fn dry_run(help: &'static str) -> impl Parser<bool> {
    long("dry-run").help(help).switch()
}

/// `--verbose`, which every command takes: its help says what it prints.
fn verbose(help: &'static str) -> impl Parser<bool> {
    long("verbose").help(help).switch()
}

/// What `--verbose` prints, for every command.
const VERBOSE: &str = "Also print the queries (git, rpm, the engine) the xtask runs";

/// How a command that changes nothing it is not asked to runs its programs: `--verbose`.
pub fn shell() -> impl Parser<Shell> {
    verbose(VERBOSE).map(|verbose| Shell {
        dry_run: false,
        verbose,
    })
}

/// How a command with a dry run runs its programs: `--dry-run` (its `help`) and `--verbose`.
pub fn shell_with_dry_run(help: &'static str) -> impl Parser<Shell> {
    with_dry_run(help, VERBOSE)
}

/// The same for a command that builds (rpm, image, run): `--verbose` prints its plan too.
pub fn shell_of_a_build(help: &'static str) -> impl Parser<Shell> {
    with_dry_run(
        help,
        "Also print the queries (git, rpm, the engine) the xtask runs, and the plan",
    )
}

fn with_dry_run(help: &'static str, verbose_help: &'static str) -> impl Parser<Shell> {
    let dry_run = dry_run(help);
    let verbose = verbose(verbose_help);
    construct!(dry_run, verbose).map(|(dry_run, verbose)| Shell { dry_run, verbose })
}

/// Refuses a limit setting of the environment (`infra::exec::LIMIT_SETTINGS`) that is no whole
/// number above 0: left alone it would fall back to the default without a word, and the user
/// would wait for a limit they did not set.
pub fn check_limit_settings(get: impl Fn(&str) -> Option<String>) -> anyhow::Result<()> {
    for var in crate::infra::exec::LIMIT_SETTINGS {
        if let Some(value) = get(var) {
            if !value.trim().parse::<u64>().is_ok_and(|n| n > 0) {
                return Err(Usage(format!(
                    "{var}={value:?} is no whole number above 0: set it to one, or unset it"
                ))
                .into());
            }
        }
    }
    Ok(())
}

/// A tag the engine will accept: `name[:tag]`, lower-case name.
pub fn check_tag(tag: &str) -> std::result::Result<(), Usage> {
    if tag.trim().is_empty() {
        return Err(Usage(
            "--tag needs a value, and was given an empty one (an unset variable?)".into(),
        ));
    }
    let (name, t) = match tag.rsplit_once(':') {
        Some((n, t)) if !t.contains('/') => (n, Some(t)),
        _ => (tag, None),
    };
    let name_ok = !name.is_empty()
        && !name.starts_with(['-', '.', '_', '/', ':'])
        && name
            .chars()
            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || "._-/:".contains(c));
    let tag_ok = t.is_none_or(|t| {
        !t.is_empty()
            && t.len() <= 128
            && !t.starts_with(['.', '-'])
            && t.chars()
                .all(|c| c.is_ascii_alphanumeric() || "_.-".contains(c))
    });
    if !name_ok || !tag_ok {
        return Err(Usage(format!(
            "--tag {tag} is not a valid image name: use name[:tag] with a lower-case name and a \
             tag of letters, digits, _ . -"
        )));
    }
    Ok(())
}

#[cfg(test)]
mod limit_tests {
    use super::*;

    #[test]
    fn limits_are_whole_numbers_above_zero() {
        let env = |pairs: &'static [(&'static str, &'static str)]| {
            move |k: &str| {
                pairs
                    .iter()
                    .find(|(n, _)| *n == k)
                    .map(|(_, v)| v.to_string())
            }
        };
        assert!(check_limit_settings(env(&[])).is_ok());
        assert!(check_limit_settings(env(&[("ASTERISK_XTASK_QUERY_SECS", "30")])).is_ok());
        for (var, value) in [
            ("ASTERISK_XTASK_QUERY_SECS", "abc"),
            ("ASTERISK_XTASK_STALL_SECS", "0"),
            ("ASTERISK_XTASK_FETCH_STALL_SECS", "-1"),
            ("ASTERISK_XTASK_FETCH_MAX_MIB", ""),
        ] {
            let pairs: &'static [(&'static str, &'static str)] =
                Box::leak(vec![(var, value)].into_boxed_slice());
            let err = check_limit_settings(env(pairs)).unwrap_err();
            assert!(err.downcast_ref::<Usage>().is_some());
            assert!(err.to_string().starts_with(&format!("{var}=")), "{err}");
        }
    }
}
