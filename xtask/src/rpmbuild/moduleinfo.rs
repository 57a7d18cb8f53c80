//! What the tree says about its modules and libraries, read from plain text before anything is
//! built: each module's MODULEINFO (in its source, or in its directory's Makefile when the
//! Makefile writes it, as apps/Makefile does for the voicemail variants), the optional libraries
//! configure.ac declares and menuselect knows, and the libraries the core itself links.

use std::collections::BTreeSet;

use anyhow::{Context, Result};
use camino::Utf8Path;

use crate::infra::regular;

/// The module directories; each one's menuselect category is `MENUSELECT_<DIR>`.
pub const MODULE_DIRS: [&str; 12] = [
    "addons", "apps", "bridges", "cdr", "cel", "channels", "codecs", "formats", "funcs", "pbx",
    "res", "tests",
];

/// A module of the tree, as its MODULEINFO describes it.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Module {
    pub name: String,
    /// `MENUSELECT_APPS`.
    pub category: String,
    /// Its `<depend>`s, each alternative of `<depend>a,b</depend>` named.
    pub depends: Vec<String>,
    /// `<depend>`s as menuselect reads them: one of each group is enough.
    pub groups: Vec<Vec<String>>,
    /// False for `<defaultenabled>no</defaultenabled>`.
    pub default_on: bool,
    /// `core`, `extended`, `deprecated`, ...; empty when unsaid.
    pub support_level: String,
    /// The module whose source this one's is a link to: the same code built another way
    /// (`app_voicemail_odbc` of `app_voicemail`).
    pub variant_of: Option<String>,
}

/// The bodies of `<tag>...</tag>` (and `<tag attr="...">...</tag>`) in `text`, in order.
fn tag_bodies<'a>(text: &'a str, tag: &str) -> Vec<&'a str> {
    let open = format!("<{tag}");
    let close = format!("</{tag}>");
    let mut out = Vec::new();
    let mut rest = text;
    while let Some(at) = rest.find(&open) {
        rest = &rest[at + open.len()..];
        // `<depend>` or `<depend type=...>`, not `<dependency>`.
        if !rest.starts_with(['>', ' ', '\t']) {
            continue;
        }
        let Some(gt) = rest.find('>') else { break };
        let body = &rest[gt + 1..];
        let Some(end) = body.find(&close) else { break };
        out.push(body[..end].trim());
        rest = &body[end..];
    }
    out
}

/// A module described by the XML of its MODULEINFO (or what its Makefile echoes).
fn described(name: &str, category: &str, xml: &str) -> Module {
    let groups: Vec<Vec<String>> = tag_bodies(xml, "depend")
        .into_iter()
        .map(|names| {
            names
                .split(',')
                .map(|n| n.trim().to_string())
                .filter(|n| !n.is_empty())
                .collect::<Vec<_>>()
        })
        .filter(|g| !g.is_empty())
        .collect();
    Module {
        name: name.to_string(),
        category: category.to_string(),
        depends: groups.iter().flatten().cloned().collect(),
        groups,
        default_on: tag_bodies(xml, "defaultenabled")
            .first()
            .is_none_or(|v| !v.eq_ignore_ascii_case("no")),
        support_level: tag_bodies(xml, "support_level")
            .first()
            .map(|s| s.to_string())
            .unwrap_or_default(),
        variant_of: None,
    }
}

/// The `/*** MODULEINFO ... ***/` block of a source, if it has one.
fn moduleinfo_block(source: &str) -> Option<&str> {
    let start = source.find("/*** MODULEINFO")?;
    let block = &source[start..];
    Some(&block[..block.find("***/").unwrap_or(block.len())])
}

/// What a directory's Makefile echoes for `.NAME.moduleinfo` (Asterisk's apps/Makefile writes
/// the voicemail variants' MODULEINFO so): the rule's recipe lines, joined.
fn makefile_moduleinfo(makefile: &str, name: &str) -> Option<String> {
    let target = format!(".{name}.moduleinfo:");
    let mut lines = makefile.lines();
    lines.find(|l| l.starts_with(&target))?;
    Some(
        lines
            .take_while(|l| l.starts_with('\t'))
            .collect::<Vec<_>>()
            .join("\n"),
    )
}

/// The modules the tree's module directories hold: sources with a MODULEINFO block, or one
/// their Makefile writes. Sorted by name.
pub fn modules(tree: &Utf8Path) -> Result<Vec<Module>> {
    let mut out = Vec::new();
    for dir in MODULE_DIRS {
        let path = tree.join(dir);
        let Ok(entries) = path.read_dir_utf8() else {
            continue;
        };
        let category = format!("MENUSELECT_{}", dir.to_uppercase());
        let makefile = regular::read_to_string(&path.join("Makefile")).unwrap_or_default();
        let mut found = Vec::new();
        for entry in entries {
            let entry = entry.with_context(|| format!("reading {path}"))?;
            let file = entry.file_name();
            let Some(name) = file.strip_suffix(".c").or_else(|| file.strip_suffix(".cc")) else {
                continue;
            };
            let module = match makefile_moduleinfo(&makefile, name) {
                Some(xml) => described(name, &category, &xml),
                None => {
                    let Ok(text) = regular::read(entry.path()) else {
                        continue;
                    };
                    let text = String::from_utf8_lossy(&text);
                    let Some(block) = moduleinfo_block(&text) else {
                        continue;
                    };
                    described(name, &category, block)
                }
            };
            // A link to another source of the directory: a variant of that module.
            let variant_of = std::fs::read_link(entry.path())
                .ok()
                .filter(|target| target.components().count() == 1)
                .and_then(|target| {
                    let target = target.to_str()?.to_string();
                    target
                        .strip_suffix(".c")
                        .or_else(|| target.strip_suffix(".cc"))
                        .map(str::to_string)
                });
            found.push(Module {
                variant_of,
                ..module
            });
        }
        // A variant's base must be a module too.
        let names: BTreeSet<String> = found.iter().map(|m| m.name.clone()).collect();
        for m in &mut found {
            if m.variant_of.as_ref().is_some_and(|b| !names.contains(b)) {
                m.variant_of = None;
            }
        }
        out.extend(found);
    }
    out.sort_by(|a, b| a.name.cmp(&b.name));
    Ok(out)
}

/// An optional library as configure.ac declares it: `AST_EXT_LIB_SETUP([PGSQL], [...], [postgres])`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OptionalLibrary {
    /// `PGSQL`: the name modules depend on (case aside) and menuselect-deps uses.
    pub var: String,
    /// `postgres`: configure's `--with-postgres` / `--without-postgres`.
    pub option: String,
}

/// Every `AST_EXT_LIB_SETUP([VAR], [description], [option])` in configure.ac, in order.
pub fn optional_libraries(configure_ac: &str) -> Vec<OptionalLibrary> {
    configure_ac
        .lines()
        .filter_map(|line| {
            let args = line.trim().strip_prefix("AST_EXT_LIB_SETUP(")?;
            // The bracketed arguments, in order (a description may hold commas).
            let quoted: Vec<&str> = args
                .split('[')
                .skip(1)
                .filter_map(|part| part.split_once(']').map(|(inside, _)| inside.trim()))
                .collect();
            let (var, option) = (*quoted.first()?, *quoted.get(2)?);
            let word = |s: &str| {
                !s.is_empty()
                    && s.chars()
                        .all(|c| c.is_ascii_alphanumeric() || "_-".contains(c))
            };
            (word(var) && word(option)).then(|| OptionalLibrary {
                var: var.to_string(),
                option: option.to_string(),
            })
        })
        .collect()
}

/// The names `build_tools/menuselect-deps.in` gives menuselect (`GENERIC_ODBC=@PBX_GENERIC_ODBC@`):
/// what configure found, libraries and facilities, as modules' `<depend>`s name them.
fn menuselect_deps(text: &str) -> Vec<String> {
    text.lines()
        .filter_map(|l| l.split_once('='))
        .map(|(name, _)| name.trim().to_string())
        .filter(|n| !n.is_empty() && n.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'_'))
        .collect()
}

/// Every library name a `<depend>` may mean (upper case): configure.ac's optional libraries
/// and what menuselect-deps names.
fn known_libraries(tree: &Utf8Path, optional: &[OptionalLibrary]) -> BTreeSet<String> {
    let deps =
        regular::read_to_string(&tree.join("build_tools/menuselect-deps.in")).unwrap_or_default();
    optional
        .iter()
        .map(|l| l.var.to_uppercase())
        .chain(menuselect_deps(&deps).into_iter().map(|n| n.to_uppercase()))
        .collect()
}

/// The C library's facilities and what the core needs whatever it is built with (the
/// cryptography of libasteriskssl, zlib, the bundled libraries, compiled in): a module that
/// needs only these stays in the main package.
const CORE_FACILITIES: &[&str] = &[
    "BKTR", "CRYPT", "CRYPTO", "DLADDR", "GNU_LD", "ICONV", "INOTIFY", "KQUEUE", "LIBJWT",
    "OPENSSL", "RT", "SYSLOG", "TIMERFD", "ZLIB",
];

/// The libraries the core links, as main/Makefile names them (`$(LIBEDIT_LIB)`), and the
/// facilities above: the main package requires these anyway.
fn core_libraries(tree: &Utf8Path, known: &BTreeSet<String>) -> BTreeSet<String> {
    let makefile = regular::read_to_string(&tree.join("main/Makefile")).unwrap_or_default();
    let mut out: BTreeSet<String> = CORE_FACILITIES.iter().map(|s| s.to_string()).collect();
    let mut rest = makefile.as_str();
    while let Some(at) = rest.find("$(") {
        rest = &rest[at + 2..];
        let end = rest.find(')').unwrap_or(rest.len());
        if let Some(var) = rest[..end].strip_suffix("_LIB") {
            if known.contains(var) {
                out.insert(var.to_string());
            }
        }
    }
    out
}

/// What the tree says, read once: its modules, its optional libraries, every library name a
/// `<depend>` may mean, and those the core links.
#[derive(Debug, Clone, Default)]
pub struct TreeInfo {
    pub modules: Vec<Module>,
    pub optional: Vec<OptionalLibrary>,
    pub known: BTreeSet<String>,
    pub core: BTreeSet<String>,
}

pub fn read(tree: &Utf8Path) -> Result<TreeInfo> {
    let configure_ac = regular::read_to_string(&tree.join("configure.ac")).unwrap_or_default();
    let optional = optional_libraries(&configure_ac);
    let known = known_libraries(tree, &optional);
    Ok(TreeInfo {
        modules: modules(tree)?,
        core: core_libraries(tree, &known),
        optional,
        known,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn moduleinfo_blocks() {
        let cdr_pgsql = "/*\n * license\n */\n\n/*** MODULEINFO\n\t<depend>pgsql</depend>\n\t<support_level>extended</support_level>\n ***/\n#include \"asterisk.h\"\n<depend>not_in_the_block</depend>\n";
        let depends = |text: &str| moduleinfo_block(text).map(|b| described("x", "y", b).depends);
        assert_eq!(depends(cdr_pgsql), Some(vec!["pgsql".to_string()]));
        let several = "/*** MODULEINFO\n<depend type=\"module\">res_pjsip</depend>\n<depend>pjproject</depend>\n<depend>openssl,crypto</depend>\n<use type=\"external\">srtp</use>\n<defaultenabled>no</defaultenabled>\n<support_level>deprecated</support_level>\n***/";
        let m = described(
            "res_x",
            "MENUSELECT_RES",
            moduleinfo_block(several).unwrap(),
        );
        assert_eq!(m.depends, ["res_pjsip", "pjproject", "openssl", "crypto"]);
        assert_eq!(m.groups.len(), 3);
        assert_eq!(m.groups[2], ["openssl", "crypto"]);
        assert!(!m.default_on);
        assert_eq!(m.support_level, "deprecated");
        let plain = described(
            "app_x",
            "MENUSELECT_APPS",
            "<support_level>core</support_level>",
        );
        assert!(plain.default_on && plain.depends.is_empty());
        assert_eq!(depends("int main(void) { return 0; }"), None);
        // `<dependency>` is no `<depend>`.
        assert!(tag_bodies("<dependency>x</dependency>", "depend").is_empty());
    }

    #[test]
    fn what_a_makefile_writes_for_a_module() {
        // As Asterisk's apps/Makefile.
        let makefile = "all: _all\n\n.app_voicemail_odbc.moduleinfo: app_voicemail_odbc.c\n\
            \t@echo \"<member name=\\\"app_voicemail_odbc\\\">\" > $@\n\
            \techo \"<support_level>core</support_level>\"  >> $@\n\
            \techo \"<defaultenabled>no</defaultenabled>\" >> $@\n\
            \techo \"<depend>generic_odbc</depend>\" >> $@\n\
            \techo \"</member>\" >> $@\n\napp_x.o: y\n";
        let xml = makefile_moduleinfo(makefile, "app_voicemail_odbc").unwrap();
        let m = described("app_voicemail_odbc", "MENUSELECT_APPS", &xml);
        assert_eq!(m.depends, ["generic_odbc"]);
        assert!(!m.default_on);
        assert_eq!(makefile_moduleinfo(makefile, "app_voicemail"), None);
    }

    #[test]
    fn libraries_menuselect_knows() {
        assert_eq!(
            menuselect_deps(
                "BLUETOOTH=@PBX_BLUETOOTH@\nGENERIC_ODBC=@PBX_GENERIC_ODBC@\n\nbad line\nX Y=1\n"
            ),
            ["BLUETOOTH", "GENERIC_ODBC"]
        );
    }

    #[test]
    fn optional_libraries_from_configure_ac() {
        let configure_ac = "AC_INIT([asterisk], [master])\n\
            AST_EXT_LIB_SETUP([CRYPTO], [OpenSSL Cryptography], [crypto])\n\
            AST_EXT_LIB_SETUP_OPTIONAL([OPENSSL_BIO_METHOD], [OpenSSL BIO Method Support], [CRYPTO], [crypto])\n\
            AST_EXT_LIB_SETUP([PGSQL], [PostgreSQL], [postgres])\n\
            AST_EXT_LIB_SETUP([SDL_IMAGE], [Sdl Image, with a comma], [SDL_image])\n\
            AST_EXT_LIB_SETUP([BROKEN], [no option])\n\
            dnl AST_EXT_LIB_SETUP([X], [commented], [x])\n";
        let got: Vec<(String, String)> = optional_libraries(configure_ac)
            .into_iter()
            .map(|l| (l.var, l.option))
            .collect();
        let want: Vec<(String, String)> = [
            ("CRYPTO", "crypto"),
            ("PGSQL", "postgres"),
            ("SDL_IMAGE", "SDL_image"),
        ]
        .iter()
        .map(|(a, b)| (a.to_string(), b.to_string()))
        .collect();
        assert_eq!(got, want);
    }
}
