//! The build's choices, as the user makes them: menuselect words (`--enable`, `--disable`, the
//! categories, and `ASTERISK_XTASK_MENUSELECT` before them), a menuselect file to start from,
//! configure's extra arguments and dev mode. The concern's flags and its part of the plan;
//! `rpmbuild::options` resolves them against the tree and the spec, and records them.

use anyhow::Result;
use bpaf::{construct, long, Parser};
use camino::Utf8PathBuf;

use super::concern::Cx;
use super::flag::{self, Usage};
use crate::infra::workspace::absolute;

/// The environment variable that carries menuselect words for CI.
const ENV: &str = "ASTERISK_XTASK_MENUSELECT";

/// What `--dev` asks menuselect for (the spec adds the same words; listed here for the record).
pub const DEV_MENUSELECT: &str = "--enable TEST_FRAMEWORK --enable DONT_OPTIMIZE \
    --enable BETTER_BACKTRACES --enable-category MENUSELECT_TESTS";

/// One menuselect choice, as menuselect's command line takes it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Choice {
    Enable(String),
    Disable(String),
    EnableCategory(String),
    DisableCategory(String),
}

impl Choice {
    pub fn flag(&self) -> &'static str {
        match self {
            Choice::Enable(_) => "--enable",
            Choice::Disable(_) => "--disable",
            Choice::EnableCategory(_) => "--enable-category",
            Choice::DisableCategory(_) => "--disable-category",
        }
    }

    pub fn name(&self) -> &str {
        match self {
            Choice::Enable(n)
            | Choice::Disable(n)
            | Choice::EnableCategory(n)
            | Choice::DisableCategory(n) => n,
        }
    }

    /// The choice for a flag and a name, the name checked.
    pub fn new(flag: &str, name: &str) -> std::result::Result<Choice, Usage> {
        let make: fn(String) -> Choice = match flag {
            "--enable" => Choice::Enable,
            "--disable" => Choice::Disable,
            "--enable-category" => Choice::EnableCategory,
            "--disable-category" => Choice::DisableCategory,
            other => {
                return Err(Usage(format!(
                    "'{other}' is not a menuselect choice: use --enable, --disable, \
                     --enable-category or --disable-category"
                )))
            }
        };
        check_name(flag, name)?;
        Ok(make(name.to_string()))
    }
}

/// A menuselect name: letters, digits, `_ - . +` (what Asterisk's modules and options use),
/// nothing the spec's shell would read otherwise.
fn check_name(flag: &str, name: &str) -> std::result::Result<(), Usage> {
    let ok = !name.is_empty()
        && !name.starts_with('-')
        && name
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || "_-.+".contains(c));
    match ok {
        true => Ok(()),
        false => Err(Usage(format!(
            "{flag} takes a module, option or category name as menuselect spells it (app_skel, \
             DONT_OPTIMIZE, MENUSELECT_TESTS), not '{name}'"
        ))),
    }
}

/// `ASTERISK_XTASK_MENUSELECT`'s words: `--enable X --disable-category C ...`.
fn parse_words(text: &str) -> std::result::Result<Vec<Choice>, Usage> {
    let words: Vec<&str> = text.split_whitespace().collect();
    let mut out = Vec::new();
    for pair in words.chunks(2) {
        match pair {
            [flag, name] => {
                out.push(Choice::new(flag, name).map_err(|e| Usage(format!("{ENV}: {e}")))?)
            }
            [flag] => return Err(Usage(format!("{ENV}: {flag} needs a name after it"))),
            _ => {}
        }
    }
    Ok(out)
}

/// What `--dev` asks menuselect for, as choices (applied before the user's).
pub fn dev_choices() -> Vec<Choice> {
    parse_words(DEV_MENUSELECT).unwrap_or_default()
}

/// What the user asked for, from the flags and the environment.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Wanted {
    /// The environment's words, then the flags', in order.
    pub choices: Vec<Choice>,
    pub menuselect_file: Option<Utf8PathBuf>,
    pub configure_args: Vec<String>,
    pub dev: bool,
    /// `--without-library NAME`, in order: configure.ac's names (or options) the build goes
    /// without, beyond the spec's.
    pub without_libraries: Vec<String>,
}

/// What the flags say, before the environment's words join them.
#[derive(Debug, Clone, Default)]
pub struct OptionFlags {
    /// `--enable`, `--disable`, `--enable-category`, `--disable-category`, in order.
    pub choices: Vec<Choice>,
    pub menuselect: Option<Utf8PathBuf>,
    pub configure_args: Vec<String>,
    pub dev: bool,
    pub without_libraries: Vec<String>,
}

/// `--without-library NAME`: a library's name as configure.ac spells it (PGSQL, or its option
/// postgres); whether the tree knows it is checked against configure.ac.
/// An argument for configure: one non-empty line of letters, digits, spaces and
/// `_ - = . / , : + @ ~ ^ %`. configure copies its arguments (`CFLAGS=...`, `CC=...`, `--sysconfdir=...`)
/// into makeopts, which make reads and expands (a `$(shell ...)` runs), and whose values the
/// shell of make's recipes reads again (a `;` or a quote runs or breaks things): anything such
/// a shell or make would read is refused, never passed on.
fn configure_arg(a: &str) -> std::result::Result<(), Usage> {
    if a.is_empty() || a.contains(['\n', '\r']) {
        return Err(Usage(
            "--configure-arg takes one non-empty line (no line break, no carriage return)".into(),
        ));
    }
    let plain = |c: char| c.is_alphanumeric() || " _-=./,:+@~^%".contains(c);
    match a.chars().find(|c| !plain(*c)) {
        Some(c) => Err(Usage(format!(
            "--configure-arg {a} holds {c:?}, which make or its recipes' shell would expand \
             (configure copies its arguments into makeopts): a configure argument may hold \
             letters, digits, spaces and _ - = . / , : + @ ~ ^ %"
        ))),
        None => Ok(()),
    }
}

fn library_name(name: &str) -> std::result::Result<String, Usage> {
    let ok = !name.is_empty()
        && !name.starts_with('-')
        && name
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || "_-".contains(c));
    match ok {
        true => Ok(name.to_string()),
        false => Err(Usage(format!(
            "--without-library takes a library as configure.ac names it (PGSQL, or its option \
             postgres), not '{name}'"
        ))),
    }
}

/// The concern's flags.
pub fn flags() -> impl Parser<OptionFlags> {
    let choices = choice_flags();
    let menuselect = flag::path(
        "menuselect",
        "FILE",
        "A menuselect.makeopts to start from (the one `make menuselect` left in your tree, which is never packed)",
    );
    let configure_args = long("configure-arg")
        .help("An argument for configure, after the spec's own (--configure-arg --with-foo); may repeat")
        .argument::<String>("ARG")
        .parse(|a| configure_arg(&a).map(|()| a))
        .many();
    let dev = long("dev")
        .help("Dev mode: --enable-dev-mode, TEST_FRAMEWORK with the unit tests, DONT_OPTIMIZE, BETTER_BACKTRACES; the Release says dev")
        .switch();
    let without_libraries = long("without-library")
        .help("Build without an optional library the spec builds with (PGSQL or postgres, as configure.ac names it), and the modules that need it; may repeat. The summary says what it cost")
        .argument::<String>("NAME")
        .parse(|n| library_name(&n))
        .many();
    construct!(OptionFlags {
        choices,
        menuselect,
        configure_args,
        dev,
        without_libraries,
    })
}

/// The menuselect choices, in the order given (also after ASTERISK_XTASK_MENUSELECT's).
fn choice_flags() -> impl Parser<Vec<Choice>> {
    let one = |flag: &'static str, meta: &'static str, help: &'static str| {
        long(&flag[2..])
            .help(help)
            .argument::<String>(meta)
            .parse(move |name| Choice::new(flag, &name))
    };
    let enable = one(
        "--enable",
        "NAME",
        "Select a module or option in menuselect (app_skel, DONT_OPTIMIZE); its library must be there, or the build fails naming it; may repeat",
    );
    let disable = one(
        "--disable",
        "NAME",
        "Leave a module or option out (chan_iax2); may repeat",
    );
    let enable_category = one(
        "--enable-category",
        "CAT",
        "Select every module of a menuselect category (MENUSELECT_TESTS); may repeat",
    );
    let disable_category = one(
        "--disable-category",
        "CAT",
        "Leave out every module of a category; may repeat. Also ASTERISK_XTASK_MENUSELECT=\"--enable X ...\", applied first",
    );
    construct!([enable, disable, enable_category, disable_category]).many()
}

/// `--configure-arg --with-foo` as `--configure-arg=--with-foo`: configure's arguments start
/// with `--`, which bpaf takes for a flag after a space.
pub fn join_configure_args(words: &[&str]) -> Vec<String> {
    let mut out = Vec::new();
    let mut words = words.iter();
    while let Some(word) = words.next() {
        match (*word, words.as_slice().first()) {
            ("--configure-arg", Some(next)) => {
                out.push(format!("--configure-arg={next}"));
                words.next();
            }
            _ => out.push(word.to_string()),
        }
    }
    out
}

/// The concern's flags and its part of the plan, as the plan's table names them.
pub type Flags = OptionFlags;
pub type Part = Wanted;

/// The part: the flags' choices joined by `ASTERISK_XTASK_MENUSELECT`'s (`ENV`).
pub fn part(flags: &OptionFlags, _: &Cx) -> Result<Wanted> {
    wanted(flags, std::env::var(ENV).ok().as_deref())
}

/// The choices: the environment's words first, then the flags', in order. A bad word in the
/// environment is a usage error, as a bad flag is.
pub fn wanted(flags: &OptionFlags, env: Option<&str>) -> Result<Wanted> {
    let mut choices = parse_words(env.unwrap_or(""))?;
    choices.extend(flags.choices.iter().cloned());
    let menuselect_file = match &flags.menuselect {
        Some(path) => Some(absolute(path)?),
        None => None,
    };
    Ok(Wanted {
        choices,
        menuselect_file,
        configure_args: flags.configure_args.clone(),
        dev: flags.dev,
        without_libraries: flags.without_libraries.clone(),
    })
}

/// What `--verbose`'s plan calls this concern's line.
pub const SAYS: &str = "options";

/// The choices in a line, for `--verbose`.
pub fn describe(_: &Flags, w: &Wanted) -> String {
    let choices: Vec<String> = w
        .choices
        .iter()
        .map(|c| format!("{} {}", c.flag(), c.name()))
        .collect();
    format!(
        "dev: {}; menuselect: {}; file: {}; configure: {}{}",
        w.dev,
        if choices.is_empty() {
            "the spec's".to_string()
        } else {
            choices.join(" ")
        },
        w.menuselect_file
            .as_ref()
            .map_or("none".to_string(), |f| f.to_string()),
        if w.configure_args.is_empty() {
            "the spec's".to_string()
        } else {
            w.configure_args.join(" ")
        },
        if w.without_libraries.is_empty() {
            String::new()
        } else {
            format!("; without {}", w.without_libraries.join(" "))
        },
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn configure_arguments() {
        for good in [
            "--with-x=a b",
            "CFLAGS=-O2 -DX=1",
            "LDFLAGS=-Wl,-rpath,/opt/x",
            "--with-x=%_libdir",
            "é ünï 電話",
        ] {
            assert!(configure_arg(good).is_ok(), "{good}");
        }
        for (bad, says) in [
            ("", "one non-empty line"),
            ("a\nb", "one non-empty line"),
            ("a\r", "one non-empty line"),
            ("CFLAGS=$(shell id)", "holds '$'"),
            ("--with-x=$HOME", "holds '$'"),
            ("--with-x=`id`", "holds '`'"),
            ("CC=gcc -DX=1;id", "holds ';'"),
            ("--sysconfdir=/etc';x;'", "holds '\\''"),
            ("CFLAGS=-DX='\"a b\"'", "holds '\\''"),
            ("CFLAGS=-DZ=%(id)", "holds '('"),
            ("a|b", "holds '|'"),
            ("a>b", "holds '>'"),
            ("a&b", "holds '&'"),
            ("a\\b", "holds '\\\\'"),
            ("a{b}", "holds '{'"),
        ] {
            let err = configure_arg(bad).unwrap_err().0;
            assert!(err.contains(says), "{bad:?}: {err}");
        }
    }

    #[test]
    fn names_menuselect_takes() {
        for good in [
            "app_skel",
            "DONT_OPTIMIZE",
            "MENUSELECT_TESTS",
            "CORE-SOUNDS-EN-GSM",
            "res_pjsip.x+1",
        ] {
            assert!(check_name("--enable", good).is_ok(), "{good}");
        }
        for bad in ["", "-x", "--enable", "a b", "a;rm", "$(x)", "a'b", "ä"] {
            let err = check_name("--enable", bad).unwrap_err();
            assert!(err.0.starts_with("--enable takes a module"), "{bad}: {err}");
        }
    }

    #[test]
    fn words_from_the_environment() {
        let cases: [(&str, Result<Vec<Choice>, &str>); 6] = [
            ("", Ok(vec![])),
            (
                "--enable DONT_OPTIMIZE  --disable-category MENUSELECT_TESTS",
                Ok(vec![
                    Choice::Enable("DONT_OPTIMIZE".into()),
                    Choice::DisableCategory("MENUSELECT_TESTS".into()),
                ]),
            ),
            (
                "--enable",
                Err("ASTERISK_XTASK_MENUSELECT: --enable needs a name after it"),
            ),
            (
                "app_skel --enable",
                Err("ASTERISK_XTASK_MENUSELECT: 'app_skel' is not a menuselect choice"),
            ),
            (
                "--enable-all x",
                Err("ASTERISK_XTASK_MENUSELECT: '--enable-all' is not a menuselect choice"),
            ),
            (
                "--disable $(reboot)",
                Err("ASTERISK_XTASK_MENUSELECT: --disable takes a module"),
            ),
        ];
        for (text, want) in cases {
            match (parse_words(text), want) {
                (Ok(got), Ok(want)) => assert_eq!(got, want, "{text}"),
                (Err(got), Err(want)) => assert!(got.0.starts_with(want), "{text}: {got}"),
                (got, want) => panic!("{text}: {got:?} vs {want:?}"),
            }
        }
    }
}
