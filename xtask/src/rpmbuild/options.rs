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

use crate::infra::json::{json, Value};

use super::moduleinfo::{self, Module, OptionalLibrary, MODULE_DIRS};
use crate::infra::record::Record;
use crate::infra::{digest, json, regular};
use crate::plan::flag::Usage;
use crate::plan::options::{dev_choices, Choice, Wanted};

/// Whether a file reads as a `menuselect.makeopts`: lines `MENUSELECT_<NAME>=<names>`, at
/// least one. make reads the file (Asterisk's Makefile includes it), so a value may only hold
/// what menuselect writes there (names, spaces and `=`): anything make could evaluate (`$`, a
/// backtick, a quote, a `#`) is refused, never passed on.
pub fn check_makeopts(text: &str) -> Result<()> {
    let mut lines = 0;
    // (Split at \n alone: `lines` would drop the \r of a Windows line end, which make keeps
    // as part of the value.)
    for (n, line) in text.split('\n').enumerate() {
        if line.contains('\r') {
            bail!(
                "line {} holds a carriage return (a file saved with Windows line ends), which make reads as part of the value: save it with Unix line ends (dos2unix)",
                n + 1
            );
        }
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
pub fn checked_choices<'a>(choices: &'a [Choice], modules: &[Module]) -> Vec<&'a Choice> {
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

/// The words of a `%global NAME A B C` line of the spec; None without one.
fn spec_words(spec: &str, name: &str) -> Option<Vec<String>> {
    spec.lines().find_map(|line| {
        let rest = line.trim().strip_prefix("%global")?.trim_start();
        let value = rest.strip_prefix(name)?;
        value
            .starts_with(char::is_whitespace)
            .then(|| value.split_whitespace().map(str::to_string).collect())
    })
}

/// The libraries the spec builds with: its `%global asterisk_build_libraries A B C` line.
pub fn spec_libraries(spec: &str) -> Option<Vec<String>> {
    spec_words(spec, "asterisk_build_libraries")
        .map(|words| words.iter().map(|w| w.to_uppercase()).collect())
}

/// The modules the spec turns on beyond menuselect's defaults, as a distribution does (the
/// voicemail variants): its `%global asterisk_distribution_enable` line.
fn spec_enables(spec: &str) -> Vec<String> {
    spec_words(spec, "asterisk_distribution_enable").unwrap_or_default()
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
    /// `--without-library`'s libraries (configure.ac's names).
    pub without_libraries: Vec<String>,
    /// The modules the spec turns on beyond menuselect's defaults (its
    /// `asterisk_distribution_enable`).
    pub distribution: Vec<String>,
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

/// The library `--without-library NAME` means: configure.ac's VAR, by VAR or option (any case).
fn library_named<'a>(name: &str, optional: &'a [OptionalLibrary]) -> Option<&'a OptionalLibrary> {
    optional
        .iter()
        .find(|l| l.var.eq_ignore_ascii_case(name))
        .or_else(|| {
            optional
                .iter()
                .find(|l| l.option.eq_ignore_ascii_case(name))
        })
}

/// Resolves what the user wants against the tree (its libraries and modules) and the spec.
/// `bundled`: the third-party packages the build bundles; PJPROJECT is left out without it.
pub fn resolve(
    wanted: &Wanted,
    info: &moduleinfo::TreeInfo,
    spec: &str,
    bundled: &[&str],
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
    let optional = &info.optional;
    let modules = &info.modules;
    let mut without = Vec::new();
    for name in &wanted.without_libraries {
        let Some(library) = library_named(name, optional) else {
            let names: Vec<&str> = optional.iter().map(|l| l.var.as_str()).collect();
            return Err(Usage(format!(
                "--without-library {name}: configure.ac declares no optional library so named \
                 (AST_EXT_LIB_SETUP names {})",
                names.join(" ")
            ))
            .into());
        };
        // Libraries that share an option (SPEEX, SPEEX_PREPROCESS) go together.
        for l in optional.iter().filter(|l| l.option == library.option) {
            if !without.contains(&l.var) {
                without.push(l.var.clone());
            }
        }
    }
    let left_out;
    let mut named_libraries = Vec::new();
    let mut all_choices = if wanted.dev {
        dev_choices()
    } else {
        Vec::new()
    };
    all_choices.extend(wanted.choices.iter().cloned());
    let checks = checked_choices(&all_choices, modules)
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
            selected.extend(left_on_by_file(text, modules));
        }
        let optional_vars: BTreeSet<String> =
            optional.iter().map(|l| l.var.to_uppercase()).collect();
        let mut allowed: BTreeSet<String> = spec_libraries.into_iter().collect();
        for module in &selected {
            for dep in &module.depends {
                let var = dep.to_uppercase();
                if optional_vars.contains(&var) && allowed.insert(var.clone()) {
                    named_libraries.push(var);
                }
            }
        }
        // A module the user selects by name needs its library: going without it is a contradiction.
        for module in &selected {
            if let Some(var) = module
                .depends
                .iter()
                .map(|d| d.to_uppercase())
                .find(|v| without.contains(v))
            {
                bail!(
                    "--enable {} needs {var}, which --without-library leaves out: drop one of the two",
                    module.name
                );
            }
        }
        if !bundled.contains(&crate::plan::bundled::PJPROJECT) {
            allowed.remove("PJPROJECT");
        }
        for var in &without {
            allowed.remove(var);
        }
        named_libraries.retain(|v| allowed.contains(v));
        left_out = libraries_left_out(optional, &allowed);
    } else {
        // A spec that names no libraries builds with what the host has, but what the user
        // goes without.
        left_out = optional
            .iter()
            .filter(|l| without.contains(&l.var))
            .cloned()
            .collect();
    }
    Ok(Options {
        choices: wanted.choices.clone(),
        menuselect_text: menuselect_file.as_ref().map(|(_, _, text)| text.clone()),
        menuselect_file: menuselect_file.map(|(p, sha, _)| (p, sha)),
        configure_args: wanted.configure_args.clone(),
        dev: wanted.dev,
        left_out,
        named_libraries,
        without_libraries: without,
        distribution: spec_enables(spec),
        checks,
    })
}

/// The `--menuselect` file's text, or one line saying why it cannot be one.
fn read_menuselect_file(path: &Utf8Path) -> Result<String> {
    let problem = match std::fs::metadata(path) {
        Err(_) => "does not exist".to_string(),
        Ok(m) if m.is_dir() => "is a directory".to_string(),
        // A FIFO would block the read for ever.
        Ok(m) if !m.is_file() => "is not a regular file (a device or a pipe?)".to_string(),
        Ok(_) => match regular::read(path) {
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
    /// `--without-library`'s.
    pub libraries_without: Vec<String>,
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
            libraries_without: self.without_libraries.clone(),
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
            "libraries_without": self.libraries_without,
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
            libraries_without: json::texts(v, "libraries_without")?,
            digest: json::text(v, "digest")?,
            effective_sha256: json::text(v, "effective_sha256")?,
        })
    }
}

/// `options`. Packages are built with these choices when the digests are the same.
impl Record for OptionsRecord {
    const LABEL: &'static str = "options";

    fn write(&self) -> Vec<(&'static str, Value)> {
        vec![("options", self.to_json())]
    }

    fn read(doc: &Value) -> Result<Self> {
        OptionsRecord::from_json(json::field(doc, "options")?).context("in \"options\"")
    }

    fn same(&self, next: &Self) -> bool {
        self.digest == next.digest
    }
}

#[cfg(test)]
mod tests;
