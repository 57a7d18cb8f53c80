//! The build's choices: menuselect words, a menuselect file to start from, configure arguments,
//! dev mode, and the optional libraries configure is told to go without.
//!
//! The module set follows the spec and the user, not the build host: every optional library
//! configure.ac names (`AST_EXT_LIB_SETUP`) that is neither one the spec builds with
//! (`%global asterisk_build_libraries`) nor needed by a module the user selects (`--enable NAME`,
//! or left on by `--menuselect FILE`) gets `--without-<option>`. Decided once, here, from plain
//! text; the spec applies the result and checks that each choice held.

use std::collections::BTreeSet;

use anyhow::{bail, Context, Result};
use camino::{Utf8Path, Utf8PathBuf};

use serde_json::{json, Value};

use crate::infra::{digest, json};
use crate::plan::choices::{dev_choices, Choice, Wanted};

/// The module directories and the menuselect category of each (Asterisk's `MENUSELECT_CATEGORY`).
const MODULE_DIRS: [&str; 12] = [
    "addons", "apps", "bridges", "cdr", "cel", "channels", "codecs", "formats", "funcs", "pbx",
    "res", "tests",
];

/// Whether a file reads as a `menuselect.makeopts`: lines `MENUSELECT_<NAME>=<names>`, at
/// least one. make reads the file (Asterisk's Makefile includes it), so a value may only hold
/// what menuselect writes there (names, spaces and `=`): anything make could evaluate (`$`, a
/// backtick, a quote, a `#`) is refused, never passed on.
pub fn check_makeopts(text: &str) -> Result<()> {
    let mut lines = 0;
    for (n, line) in text.lines().enumerate() {
        if line.trim().is_empty() {
            continue;
        }
        let shown: String = line.chars().take(60).collect();
        let Some((key, value)) = line.split_once('=') else {
            bail!("line {}: '{shown}' is no MENUSELECT_<NAME>=... line", n + 1);
        };
        let good = key.strip_prefix("MENUSELECT_").is_some_and(|rest| {
            !rest.is_empty()
                && rest
                    .chars()
                    .all(|c| c.is_ascii_alphanumeric() || "_-.".contains(c))
        });
        if !good {
            bail!("line {}: '{shown}' is no MENUSELECT_<NAME>=... line", n + 1);
        }
        if let Some(c) = value
            .chars()
            .find(|c| !(c.is_ascii_alphanumeric() || "_-.+= \t".contains(*c)))
        {
            bail!(
                "line {}: {key} holds {c:?}, which make would read as more than a name (a \
                 menuselect.makeopts lists names only)",
                n + 1
            );
        }
        lines += 1;
    }
    match lines {
        0 => bail!("it is empty"),
        _ => Ok(()),
    }
}

/// The choices whose outcome the build checks: each name's last choice, unless a later
/// category choice may have changed it again (the module's own category; for a name that is
/// no module of the tree, an option, any category but the module directories'). Choices apply
/// in order, so `--enable X --disable X` leaves X off, and only the `--disable` is checked.
pub fn checked<'a>(choices: &'a [Choice], modules: &[Module]) -> Vec<&'a Choice> {
    let module_categories: BTreeSet<String> = MODULE_DIRS
        .iter()
        .map(|d| format!("MENUSELECT_{}", d.to_uppercase()))
        .collect();
    let overrides = |name: &str, category: &str| match modules.iter().find(|m| m.name == name) {
        Some(m) => m.category == category,
        None => !module_categories.contains(category),
    };
    choices
        .iter()
        .enumerate()
        .filter(|(_, c)| matches!(c, Choice::Enable(_) | Choice::Disable(_)))
        .filter(|(i, c)| {
            !choices[i + 1..].iter().any(|later| match later {
                Choice::Enable(n) | Choice::Disable(n) => n == c.name(),
                Choice::EnableCategory(cat) | Choice::DisableCategory(cat) => {
                    overrides(c.name(), cat)
                }
            })
        })
        .map(|(_, c)| c)
        .collect()
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

/// The libraries the spec builds with: its `%global asterisk_build_libraries A B C` line.
pub fn spec_libraries(spec: &str) -> Option<Vec<String>> {
    spec.lines().find_map(|line| {
        let rest = line.trim().strip_prefix("%global")?.trim_start();
        let value = rest.strip_prefix("asterisk_build_libraries")?;
        value
            .starts_with(char::is_whitespace)
            .then(|| value.split_whitespace().map(str::to_uppercase).collect())
    })
}

/// A module's `<depend>`s from its `/*** MODULEINFO ... ***/` block; None without one.
pub fn moduleinfo_depends(source: &str) -> Option<Vec<String>> {
    let start = source.find("/*** MODULEINFO")?;
    let block = &source[start..];
    let block = &block[..block.find("***/").unwrap_or(block.len())];
    let mut depends = Vec::new();
    let mut rest = block;
    while let Some(at) = rest.find("<depend") {
        rest = &rest[at..];
        let Some(open_end) = rest.find('>') else {
            break;
        };
        let body = &rest[open_end + 1..];
        let Some(close) = body.find("</depend>") else {
            break;
        };
        let names = body[..close].trim();
        // `<depend>a,b</depend>` means a or b; either counts as needed for the policy.
        depends.extend(
            names
                .split(',')
                .map(|n| n.trim().to_string())
                .filter(|n| !n.is_empty()),
        );
        rest = &body[close..];
    }
    Some(depends)
}

/// A module of the tree: its name, menuselect category and dependencies.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Module {
    pub name: String,
    pub category: String,
    pub depends: Vec<String>,
}

/// The modules the tree's module directories hold (sources with a MODULEINFO block).
pub fn modules(tree: &Utf8Path) -> Result<Vec<Module>> {
    let mut out = Vec::new();
    for dir in MODULE_DIRS {
        let path = tree.join(dir);
        let Ok(entries) = path.read_dir_utf8() else {
            continue;
        };
        for entry in entries {
            let entry = entry.with_context(|| format!("reading {path}"))?;
            let file = entry.file_name();
            let Some(name) = file.strip_suffix(".c").or_else(|| file.strip_suffix(".cc")) else {
                continue;
            };
            let Ok(text) = std::fs::read(entry.path()) else {
                continue;
            };
            if let Some(depends) = moduleinfo_depends(&String::from_utf8_lossy(&text)) {
                out.push(Module {
                    name: name.to_string(),
                    category: format!("MENUSELECT_{}", dir.to_uppercase()),
                    depends,
                });
            }
        }
    }
    out.sort_by(|a, b| a.name.cmp(&b.name));
    Ok(out)
}

/// The modules a menuselect.makeopts leaves on: module categories list what is off.
pub fn left_on_by_file<'a>(makeopts: &str, modules: &'a [Module]) -> Vec<&'a Module> {
    let mut off = BTreeSet::new();
    let mut categories = BTreeSet::new();
    for line in makeopts.lines() {
        if let Some((key, names)) = line.split_once('=') {
            categories.insert(key.trim());
            off.extend(names.split_whitespace().map(|n| (key.trim(), n)));
        }
    }
    modules
        .iter()
        .filter(|m| categories.contains(m.category.as_str()))
        .filter(|m| !off.contains(&(m.category.as_str(), m.name.as_str())))
        .collect()
}

/// The optional libraries configure goes without: all but the allowed ones (by VAR, any case).
/// Libraries that share an option (SPEEX, SPEEX_PREPROCESS) are left out only together.
pub fn libraries_left_out(
    optional: &[OptionalLibrary],
    allowed: &BTreeSet<String>,
) -> Vec<OptionalLibrary> {
    let kept_options: BTreeSet<&str> = optional
        .iter()
        .filter(|l| allowed.contains(&l.var.to_uppercase()))
        .map(|l| l.option.as_str())
        .collect();
    let mut seen = BTreeSet::new();
    optional
        .iter()
        .filter(|l| !kept_options.contains(l.option.as_str()))
        .filter(|l| seen.insert(l.var.clone()))
        .cloned()
        .collect()
}

/// The choices resolved against a tree and a spec.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Options {
    pub choices: Vec<Choice>,
    /// The file to start from and its sha256.
    pub menuselect_file: Option<(Utf8PathBuf, String)>,
    /// That file's text, as it was checked (what the build gets, even if the file changes).
    pub menuselect_text: Option<String>,
    pub configure_args: Vec<String>,
    pub dev: bool,
    /// Optional libraries configure goes without.
    pub left_out: Vec<OptionalLibrary>,
    /// Optional libraries built with because a selected module needs them, though the spec
    /// does not name them.
    pub named_libraries: Vec<String>,
    /// The choices whose outcome the build checks (`checked`, dev's first).
    pub checks: Vec<Choice>,
}

/// The file name the menuselect file has in the SRPM (Source2).
pub const MENUSELECT_SOURCE: &str = "xtask-menuselect.makeopts";
/// The file name configure's extra arguments have in the SRPM (Source3).
pub const CONFIGURE_SOURCE: &str = "xtask-configure-args";

impl Options {
    /// The words after the spec's own menuselect choices (not the dev ones: the spec adds those).
    pub fn menuselect_words(&self) -> String {
        self.choices
            .iter()
            .map(|c| format!("{} {}", c.flag(), c.name()))
            .collect::<Vec<_>>()
            .join(" ")
    }

    /// The choices the spec checks the outcome of (`checked`, the dev ones first).
    pub fn check_words(&self) -> String {
        self.checks
            .iter()
            .map(|c| format!("{} {}", c.flag(), c.name()))
            .collect::<Vec<_>>()
            .join(" ")
    }

    /// configure's extra arguments as the spec reads them (Source3): one a line, exactly as
    /// given, never read by a shell or by rpm.
    pub fn configure_file(&self) -> Option<String> {
        (!self.configure_args.is_empty()).then(|| {
            self.configure_args
                .iter()
                .map(|a| format!("{a}\n"))
                .collect()
        })
    }

    pub fn without_words(&self) -> String {
        self.left_out
            .iter()
            .map(|l| format!("--without-{}", l.option))
            .collect::<BTreeSet<_>>()
            .into_iter()
            .collect::<Vec<_>>()
            .join(" ")
    }

    /// One line per choice, for comparing builds.
    pub fn lines(&self) -> Vec<String> {
        let mut out = vec![format!("dev: {}", self.dev)];
        out.extend(
            self.choices
                .iter()
                .map(|c| format!("menuselect: {} {}", c.flag(), c.name())),
        );
        if let Some((path, sha)) = &self.menuselect_file {
            out.push(format!("menuselect file: {path} sha256 {sha}"));
        }
        out.extend(
            self.configure_args
                .iter()
                .map(|a| format!("configure: {a}")),
        );
        out.extend(
            self.left_out
                .iter()
                .map(|l| format!("without: {} (--without-{})", l.var, l.option)),
        );
        out
    }

    /// The sha256 of `record()` without the file's path: what a reuse compares.
    pub fn digest(&self) -> String {
        let mut record = self.lines();
        if let Some((_, sha)) = &self.menuselect_file {
            for line in record.iter_mut() {
                if line.starts_with("menuselect file:") {
                    *line = format!("menuselect file sha256 {sha}");
                }
            }
        }
        digest::sha256_of_parts(&[record.join("\n").as_bytes()])
    }
}

/// Resolves what the user wants against the tree (configure.ac, its modules) and the spec.
/// `bundled_pjproject`: false with `--without-pjproject`, whose PJPROJECT is then left out too.
pub fn resolve(
    wanted: &Wanted,
    tree: &Utf8Path,
    spec: &str,
    bundled_pjproject: bool,
) -> Result<Options> {
    let menuselect_file = match &wanted.menuselect_file {
        Some(path) => {
            let text = read_menuselect_file(path)?;
            Some((
                path.clone(),
                digest::sha256_of_parts(&[text.as_bytes()]),
                text,
            ))
        }
        None => None,
    };
    let configure_ac = std::fs::read_to_string(tree.join("configure.ac")).unwrap_or_default();
    let optional = optional_libraries(&configure_ac);
    let mut left_out = Vec::new();
    let mut named_libraries = Vec::new();
    let modules = modules(tree)?;
    let mut all_choices = if wanted.dev {
        dev_choices()
    } else {
        Vec::new()
    };
    all_choices.extend(wanted.choices.iter().cloned());
    let checks = checked(&all_choices, &modules)
        .into_iter()
        .cloned()
        .collect();
    if let Some(spec_libraries) = spec_libraries(spec) {
        let mut selected: Vec<&Module> = wanted
            .choices
            .iter()
            .filter_map(|c| match c {
                Choice::Enable(name) => modules.iter().find(|m| &m.name == name),
                _ => None,
            })
            .collect();
        if let Some((_, _, text)) = &menuselect_file {
            selected.extend(left_on_by_file(text, &modules));
        }
        let optional_vars: BTreeSet<String> =
            optional.iter().map(|l| l.var.to_uppercase()).collect();
        let mut allowed: BTreeSet<String> = spec_libraries.into_iter().collect();
        for module in selected {
            for dep in &module.depends {
                let var = dep.to_uppercase();
                if optional_vars.contains(&var) && allowed.insert(var.clone()) {
                    named_libraries.push(var);
                }
            }
        }
        if !bundled_pjproject {
            allowed.remove("PJPROJECT");
        }
        left_out = libraries_left_out(&optional, &allowed);
    }
    Ok(Options {
        choices: wanted.choices.clone(),
        menuselect_text: menuselect_file.as_ref().map(|(_, _, text)| text.clone()),
        menuselect_file: menuselect_file.map(|(p, sha, _)| (p, sha)),
        configure_args: wanted.configure_args.clone(),
        dev: wanted.dev,
        left_out,
        named_libraries,
        checks,
    })
}

/// The `--menuselect` file's text, or one line saying why it cannot be one.
pub fn read_menuselect_file(path: &Utf8Path) -> Result<String> {
    let problem = match std::fs::metadata(path) {
        Err(_) => "does not exist".to_string(),
        Ok(m) if m.is_dir() => "is a directory".to_string(),
        Ok(_) => match std::fs::read(path) {
            Err(e) => format!("cannot be read ({e})"),
            Ok(bytes) => match String::from_utf8(bytes) {
                Err(_) => "is not text".to_string(),
                Ok(text) => match check_makeopts(&text) {
                    Ok(()) => return Ok(text),
                    Err(why) => format!("is not a menuselect.makeopts: {why:#}"),
                },
            },
        },
    };
    bail!(
        "{path} given with --menuselect {problem}: give the menuselect.makeopts that \
         `make menuselect` writes at the top of a configured tree"
    )
}

/// The choices a build was made with, as the manifest keeps them.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct OptionsRecord {
    pub dev: bool,
    /// `--enable app_skel`, ..., after the spec's own choices.
    pub menuselect: Vec<String>,
    pub menuselect_file_sha256: Option<String>,
    pub configure_args: Vec<String>,
    /// The optional libraries configure went without.
    pub libraries_left_out: Vec<String>,
    /// Libraries built with because a selected module needs them.
    pub libraries_named: Vec<String>,
    /// The sha256 of the choices: what a reuse compares.
    pub digest: String,
    /// The sha256 of the effective menuselect.makeopts and configure arguments (the image's
    /// org.asterisk.build.options label); empty until the build's record is read.
    pub effective_sha256: String,
}

impl Options {
    /// What the manifest keeps of the choices.
    pub fn record(&self) -> OptionsRecord {
        OptionsRecord {
            dev: self.dev,
            menuselect: self
                .choices
                .iter()
                .map(|c| format!("{} {}", c.flag(), c.name()))
                .collect(),
            menuselect_file_sha256: self.menuselect_file.as_ref().map(|(_, sha)| sha.clone()),
            configure_args: self.configure_args.clone(),
            libraries_left_out: self.left_out.iter().map(|l| l.var.clone()).collect(),
            libraries_named: self.named_libraries.clone(),
            digest: self.digest(),
            effective_sha256: String::new(),
        }
    }
}

impl OptionsRecord {
    pub fn to_json(&self) -> Value {
        json!({
            "dev": self.dev,
            "menuselect": self.menuselect,
            "menuselect_file_sha256": self.menuselect_file_sha256,
            "configure_args": self.configure_args,
            "libraries_left_out": self.libraries_left_out,
            "libraries_named": self.libraries_named,
            "digest": self.digest,
            "effective_sha256": self.effective_sha256,
        })
    }

    pub fn from_json(v: &Value) -> Result<OptionsRecord> {
        Ok(OptionsRecord {
            dev: json::flag(v, "dev")?,
            menuselect: json::texts(v, "menuselect")?,
            menuselect_file_sha256: json::nullable(v, "menuselect_file_sha256", |x| {
                x.as_str().map(str::to_string).context("not a string")
            })?,
            configure_args: json::texts(v, "configure_args")?,
            libraries_left_out: json::texts(v, "libraries_left_out")?,
            libraries_named: json::texts(v, "libraries_named")?,
            digest: json::text(v, "digest")?,
            effective_sha256: json::text(v, "effective_sha256")?,
        })
    }
}

#[cfg(test)]
mod tests;
