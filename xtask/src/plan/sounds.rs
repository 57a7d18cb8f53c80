//! `--sounds NAME[,NAME...]`: the sound sets to fetch and package, as menuselect names them.
//! `bundled::sounds` finds them in the tree; the manifest records each set.

use bpaf::{long, Parser};

/// The concern's flags, as the plan's table names them.
pub type Flags = Vec<String>;

/// What `--verbose`'s plan calls this concern's line.
pub const SAYS: &str = "sounds";

pub fn describe(sets: &Flags) -> String {
    match sets.is_empty() {
        true => "none".into(),
        false => sets.join(", "),
    }
}

pub fn flags() -> impl Parser<Flags> {
    flag("Sound sets to fetch and package, a subpackage each, as menuselect names them (CORE-SOUNDS-EN-GSM,MOH-OPSOUND-WAV); may repeat (default: none)")
}

/// `--sounds`, with the help of the command that takes it (`fetch` only fetches them).
pub fn flag(help: &'static str) -> impl Parser<Flags> {
    long("sounds")
        .help(help)
        .argument::<String>("NAME[,NAME...]")
        .parse(|list: String| {
            let names: Vec<String> = list.split(',').map(|n| n.trim().to_string()).collect();
            match names.iter().any(String::is_empty) {
                true => Err(super::flag::Usage(format!(
                    "--sounds takes NAME[,NAME...] with no empty name, not '{list}' (an unset variable?)"
                ))),
                false => Ok(names),
            }
        })
        .many()
        .map(|lists| lists.into_iter().flatten().collect())
}
