//! The subpackages, computed from the tree before the build: a module that needs an optional
//! library goes to the subpackage of that library's family, named as Fedora names it
//! (`asterisk-pjsip`, `asterisk-postgresql`, `asterisk-odbc`, ...), or to one named after the
//! library when no family has it; a module that needs such a module goes where that one goes;
//! modules built from one source another way (the voicemail storage variants, whose sources are
//! links to app_voicemail.c) go to packages of which one may be installed; the rest stays in
//! `asterisk`. A module's sample configuration (`NAME.conf`, or the name without its
//! `res_`/`chan_`/... prefix) goes with it when no other package claims it.
//!
//! Read from each module's MODULEINFO (`moduleinfo`): its `<depend>`s, `<defaultenabled>`, its
//! category, and what configure.ac and menuselect-deps say its dependencies are. The spec gets
//! the packages to declare (those with a module that may be built) and a file of lines that its
//! `%install` sorts the installed modules and configuration by (Source4). No spec edit is needed
//! for a new module, or a new library.

use std::collections::{BTreeMap, BTreeSet};

use crate::infra::json::{json, Value};
use anyhow::{bail, Context, Result};

use super::moduleinfo::{Module, TreeInfo};
use super::options::{left_on_by_file, Options};
use crate::infra::json;
use crate::plan::options::{dev_choices, Choice};

/// Library (configure.ac's or menuselect-deps' name) -> its family's subpackage, named as
/// Fedora's spec names it where Fedora has one.
const FAMILIES: &[(&str, &str)] = &[
    ("PJPROJECT", "pjsip"),
    ("PGSQL", "postgresql"),
    ("MYSQLCLIENT", "mysql"),
    ("UNIXODBC", "odbc"),
    ("IODBC", "odbc"),
    ("GENERIC_ODBC", "odbc"),
    ("LDAP", "ldap"),
    ("NETSNMP", "snmp"),
    ("LUA", "lua"),
    ("CURL", "curl"),
    ("SPANDSP", "fax"),
    ("ICAL", "calendar"),
    ("NEON", "calendar"),
    ("NEON29", "calendar"),
    ("IKSEMEL", "xmpp"),
    ("JACK", "jack"),
    ("RADIUS", "radius"),
    ("FREETDS", "tds"),
    ("COROSYNC", "corosync"),
    ("BLUETOOTH", "mobile"),
    ("PORTAUDIO", "portaudio"),
    ("ALSA", "alsa"),
    ("DAHDI", "dahdi"),
    ("TONEZONE", "dahdi"),
    ("PRI", "dahdi"),
    ("SS7", "dahdi"),
    ("OPENR2", "dahdi"),
    ("SPEEX", "speex"),
    ("SPEEX_PREPROCESS", "speex"),
    ("SPEEXDSP", "speex"),
    ("OGG", "ogg"),
    ("VORBIS", "ogg"),
    ("OPUS", "opus"),
    ("OPUSFILE", "opus"),
    ("SRTP", "srtp"),
];

/// The main package's name (the spec's Name).
pub const MAIN: &str = "asterisk";

/// Whether the binary package `name` is the main package: the one rule for it, wherever it is
/// asked (the manifest's records, the SBOM, `--packages`, the image). A subpackage (`-devel`,
/// a sound set, a library's) and debuginfo have other names; the source package is not a
/// binary package.
pub fn is_main(name: &str) -> bool {
    name == MAIN
}

/// The package names the build has besides the generated ones.
const RESERVED: &[&str] = &[
    MAIN,
    "asterisk-devel",
    "asterisk-debuginfo",
    "asterisk-debugsource",
];

/// The prefixes module names carry for their kind; a module's configuration may be named
/// without it (res_pjsip reads pjsip.conf).
const NAME_PREFIXES: &[&str] = &[
    "app_", "bridge_", "cdr_", "cel_", "chan_", "codec_", "format_", "func_", "pbx_", "res_",
];

/// A subpackage the build declares.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Subpackage {
    /// `asterisk-postgresql`
    pub name: String,
    /// What it holds, in words.
    pub summary: String,
    /// The libraries that put modules here (empty for a variant's package).
    pub libraries: Vec<String>,
    /// Packages it cannot be installed with (the other variants).
    pub conflicts: Vec<String>,
    /// Other subpackages it needs: their modules are needed by its modules.
    pub requires: Vec<String>,
    /// The modules it holds that may be built.
    pub modules: Vec<String>,
    /// Named after its library, no family having it: said in the summary.
    pub unfamiliar: bool,
    /// The bundled libraries its modules hold, linked in (`libjwt`): its `Provides: bundled()`.
    pub bundles: Vec<String>,
}

/// The bundled libraries Asterisk links into the modules that `<depend>` on them (pjproject is
/// not one: it is libasteriskpj, in the main package, which the modules link to).
const LINKED_IN: &[&str] = &["libjwt"];

/// The bundled libraries of `LINKED_IN` a module depends on.
fn linked_in(m: &Module) -> Vec<String> {
    LINKED_IN
        .iter()
        .filter(|b| m.depends.iter().any(|d| d.eq_ignore_ascii_case(b)))
        .map(|b| b.to_string())
        .collect()
}

/// The split of a tree's modules.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Split {
    /// The packages with a module that may be built: what the spec declares.
    pub packages: Vec<Subpackage>,
    /// module -> package, for every module of the tree that leaves the main package.
    pub placed: BTreeMap<String, String>,
    /// configuration file -> package, for the files that go with a module.
    pub configs: BTreeMap<String, String>,
    /// The bundled libraries linked into modules the main package keeps.
    pub main_bundles: Vec<String>,
}

/// Why a package has its name: a family, a library no family has, a variant. Two reasons for
/// one name is a tree the split cannot follow.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
enum NameFrom {
    Family(String),
    Library(String),
    Variant(String),
}

impl NameFrom {
    fn describe(&self) -> String {
        match self {
            NameFrom::Family(f) => format!("the {f} family of libraries"),
            NameFrom::Library(l) => format!("the library {l}"),
            NameFrom::Variant(m) => format!("the variants of {m}"),
        }
    }
}

/// The package of an optional library: None for one the core links.
fn package_of_library(var: &str, core: &BTreeSet<String>) -> Option<(String, NameFrom)> {
    let var = var.to_uppercase();
    if core.contains(&var) {
        return None;
    }
    Some(match FAMILIES.iter().find(|(v, _)| *v == var) {
        Some((_, family)) => (
            format!("asterisk-{family}"),
            NameFrom::Family(family.to_string()),
        ),
        None => (
            format!("asterisk-{}", var.to_lowercase().replace('_', "-")),
            NameFrom::Library(var),
        ),
    })
}

/// The package of a variant: `asterisk-voicemail-plain` for app_voicemail itself,
/// `asterisk-voicemail-odbc` for app_voicemail_odbc.
fn package_of_variant(module: &str, base: &str) -> String {
    let stem = strip_prefix(base);
    match module.strip_prefix(base).and_then(|r| r.strip_prefix('_')) {
        Some(kind) if !kind.is_empty() => format!("asterisk-{stem}-{}", kind.replace('_', "-")),
        _ => format!("asterisk-{stem}-plain"),
    }
    .replace('_', "-")
}

fn strip_prefix(name: &str) -> &str {
    NAME_PREFIXES
        .iter()
        .find_map(|p| name.strip_prefix(p))
        .unwrap_or(name)
}

/// The base module of a module that has variants (itself, when others are variants of it).
fn variant_base<'a>(m: &'a Module, modules: &'a [Module]) -> Option<&'a str> {
    match &m.variant_of {
        Some(base) => Some(base),
        None => modules
            .iter()
            .any(|o| o.variant_of.as_deref() == Some(&m.name))
            .then_some(m.name.as_str()),
    }
}

/// The modules menuselect leaves selected, as far as the choices tell: the defaults, the
/// menuselect file, the spec's and the user's choices in order. (Whether their libraries are
/// there is `buildable`'s question.)
pub fn selected(info: &TreeInfo, options: &Options) -> BTreeSet<String> {
    let modules = &info.modules;
    let mut on: BTreeSet<String> = match &options.menuselect_text {
        Some(text) => {
            let from_file: BTreeSet<String> = left_on_by_file(text, modules)
                .into_iter()
                .map(|m| m.name.clone())
                .collect();
            let categories: BTreeSet<&str> = text
                .lines()
                .filter_map(|l| l.split_once('=').map(|(k, _)| k.trim()))
                .collect();
            modules
                .iter()
                .filter(|m| {
                    from_file.contains(&m.name)
                        || (!categories.contains(m.category.as_str()) && m.default_on)
                })
                .map(|m| m.name.clone())
                .collect()
        }
        None => modules
            .iter()
            .filter(|m| m.default_on)
            .map(|m| m.name.clone())
            .collect(),
    };
    let mut choices: Vec<Choice> = options
        .distribution
        .iter()
        .map(|n| Choice::Enable(n.clone()))
        .collect();
    if options.dev {
        choices.extend(dev_choices());
    }
    choices.extend(options.choices.iter().cloned());
    for c in &choices {
        match c {
            Choice::Enable(n) => {
                on.insert(n.clone());
            }
            Choice::Disable(n) => {
                on.remove(n);
            }
            Choice::EnableCategory(cat) | Choice::DisableCategory(cat) => {
                for m in modules.iter().filter(|m| &m.category == cat) {
                    match c {
                        Choice::EnableCategory(_) => on.insert(m.name.clone()),
                        _ => on.remove(&m.name),
                    };
                }
            }
        }
    }
    on.retain(|n| modules.iter().any(|m| &m.name == n));
    on
}

/// The modules that may be built: possible (each `<depend>` group has a member that is a
/// possible module, a library not left out, or something else: an option) and selected.
/// Generous on purpose: a package declared for a module that then is not built is only not
/// published; a module built for a package not declared would stop the build.
pub fn buildable(
    info: &TreeInfo,
    selected: &BTreeSet<String>,
    left_out: &BTreeSet<String>,
) -> BTreeSet<String> {
    let by_name: BTreeMap<&str, &Module> =
        info.modules.iter().map(|m| (m.name.as_str(), m)).collect();
    let mut possible: BTreeSet<&str> = by_name.keys().copied().collect();
    loop {
        let before = possible.len();
        let now: BTreeSet<&str> = possible
            .iter()
            .copied()
            .filter(|name| {
                by_name[name].groups.iter().all(|group| {
                    group.iter().any(|dep| {
                        if by_name.contains_key(dep.as_str()) {
                            possible.contains(dep.as_str())
                        } else {
                            let var = dep.to_uppercase();
                            !(info.known.contains(&var) && left_out.contains(&var))
                        }
                    })
                })
            })
            .collect();
        possible = now;
        if possible.len() == before {
            break;
        }
    }
    possible
        .into_iter()
        .filter(|n| selected.contains(*n))
        .map(str::to_string)
        .collect()
}

/// Where one module goes: its variant's package, else the first of its `<depend>`s that leaves
/// the main package (a library's family, or the package of a module it needs).
fn place(
    m: &Module,
    info: &TreeInfo,
    by_name: &BTreeMap<&str, &Module>,
    seen: &mut BTreeSet<String>,
) -> Option<(String, NameFrom, Option<String>)> {
    if !seen.insert(m.name.clone()) {
        return None;
    }
    if let Some(base) = variant_base(m, &info.modules) {
        return Some((
            package_of_variant(&m.name, base),
            NameFrom::Variant(base.to_string()),
            None,
        ));
    }
    for dep in &m.depends {
        if let Some(needed) = by_name.get(dep.as_str()) {
            if let Some(found) = place(needed, info, by_name, seen) {
                return Some(found);
            }
        } else if info.known.contains(&dep.to_uppercase())
            && !LINKED_IN.iter().any(|b| dep.eq_ignore_ascii_case(b))
        {
            // (A library linked into the module, bundled, needs no package of its own.)
            if let Some((package, origin)) = package_of_library(dep, &info.core) {
                return Some((package, origin, Some(dep.to_uppercase())));
            }
        }
    }
    None
}

/// The split for a tree and the build's choices. `reserved`: the names the build has already
/// (the main package, -devel, the sound sets): a package the tree's metadata would name so, or
/// name for two reasons, is refused.
pub fn split(info: &TreeInfo, options: &Options, reserved: &[String]) -> Result<Split> {
    let by_name: BTreeMap<&str, &Module> =
        info.modules.iter().map(|m| (m.name.as_str(), m)).collect();
    let mut placed: BTreeMap<String, (String, NameFrom, Option<String>)> = BTreeMap::new();
    for m in &info.modules {
        if let Some(found) = place(m, info, &by_name, &mut BTreeSet::new()) {
            placed.insert(m.name.clone(), found);
        }
    }
    // One reason per name.
    let mut origins: BTreeMap<&str, BTreeMap<&NameFrom, Vec<&str>>> = BTreeMap::new();
    for (module, (package, origin, _)) in &placed {
        origins
            .entry(package)
            .or_default()
            .entry(origin)
            .or_default()
            .push(module);
    }
    for (package, by_origin) in &origins {
        let why: Vec<String> = by_origin
            .iter()
            .map(|(o, ms)| format!("{} ({})", o.describe(), ms.join(", ")))
            .collect();
        if by_origin.len() > 1 {
            bail!(
                "the tree's metadata names the subpackage {package} twice: for {}; rename the \
                 library in configure.ac or a module",
                why.join(" and for ")
            );
        }
        if reserved.iter().any(|r| r == package) || RESERVED.contains(package) {
            bail!(
                "the tree's metadata names a subpackage {package}, a name the build already has, \
                 for {}; rename the library in configure.ac or the module",
                why.join(", ")
            );
        }
    }
    let left_out: BTreeSet<String> = options.left_out.iter().map(|l| l.var.clone()).collect();
    let built = buildable(info, &selected(info, options), &left_out);
    let mut packages: BTreeMap<String, Subpackage> = BTreeMap::new();
    for (module, (package, origin, library)) in &placed {
        if !built.contains(module) {
            continue;
        }
        let entry = packages
            .entry(package.clone())
            .or_insert_with(|| Subpackage {
                name: package.clone(),
                summary: String::new(),
                libraries: Vec::new(),
                conflicts: Vec::new(),
                requires: Vec::new(),
                modules: Vec::new(),
                unfamiliar: matches!(origin, NameFrom::Library(_)),
                bundles: Vec::new(),
            });
        entry.modules.push(module.clone());
        for b in linked_in(by_name[module.as_str()]) {
            if !entry.bundles.contains(&b) {
                entry.bundles.push(b);
            }
        }
        if let Some(lib) = library {
            if !entry.libraries.contains(lib) {
                entry.libraries.push(lib.clone());
            }
        }
    }
    let declared: BTreeSet<String> = packages.keys().cloned().collect();
    // What each package's modules need from the others: the modules they depend on, and the
    // family of a library a variant needs (voicemail-odbc needs res_odbc's asterisk-odbc).
    let mut requires: BTreeMap<String, BTreeSet<String>> = BTreeMap::new();
    for (module, (package, _, _)) in &placed {
        if !built.contains(module) {
            continue;
        }
        for dep in &by_name[module.as_str()].depends {
            let other = match placed.get(dep) {
                Some((p, _, _)) if built.contains(dep) => Some(p.clone()),
                Some(_) => None,
                None if info.known.contains(&dep.to_uppercase()) => {
                    package_of_library(dep, &info.core).map(|(p, _)| p)
                }
                None => None,
            };
            if let Some(other) = other.filter(|o| o != package && declared.contains(o)) {
                requires.entry(package.clone()).or_default().insert(other);
            }
        }
    }
    // The variants of one module exclude each other.
    let mut variants: BTreeMap<&str, BTreeSet<&str>> = BTreeMap::new();
    for (package, origin, _) in placed.values() {
        if let NameFrom::Variant(base) = origin {
            if declared.contains(package) {
                variants.entry(base).or_default().insert(package);
            }
        }
    }
    for p in packages.values_mut() {
        p.requires = requires
            .remove(&p.name)
            .unwrap_or_default()
            .into_iter()
            .collect();
        let base = variants
            .iter()
            .find(|(_, group)| group.contains(p.name.as_str()))
            .map(|(base, group)| (*base, group));
        p.summary = match base {
            Some((base, group)) => {
                p.conflicts = group
                    .iter()
                    .filter(|v| **v != p.name)
                    .map(|v| v.to_string())
                    .collect();
                format!(
                    "Asterisk's {} ({} storage)",
                    strip_prefix(base),
                    p.name.rsplit('-').next().unwrap_or_default()
                )
            }
            None => format!(
                "Asterisk modules that need {}",
                p.libraries.join(", ").to_lowercase()
            ),
        };
    }
    // Configuration goes with a module when exactly one package claims it (never a variant's:
    // every variant reads the same file).
    let mut claims: BTreeMap<String, BTreeSet<String>> = BTreeMap::new();
    for (module, (package, origin, _)) in &placed {
        if matches!(origin, NameFrom::Variant(_)) {
            continue;
        }
        for name in [module.as_str(), strip_prefix(module)] {
            claims
                .entry(format!("{name}.conf"))
                .or_default()
                .insert(package.clone());
        }
    }
    let configs = claims
        .into_iter()
        .filter(|(_, packages)| packages.len() == 1)
        .filter_map(|(conf, packages)| packages.into_iter().next().map(|p| (conf, p)))
        .collect();
    let mut main_bundles: Vec<String> = info
        .modules
        .iter()
        .filter(|m| built.contains(&m.name) && !placed.contains_key(&m.name))
        .flat_map(linked_in)
        .collect();
    main_bundles.sort();
    main_bundles.dedup();
    Ok(Split {
        main_bundles,
        placed: placed.into_iter().map(|(m, (p, _, _))| (m, p)).collect(),
        packages: packages.into_values().collect(),
        configs,
    })
}

/// What `--without-library` cost: the modules it leaves out (that the build would have
/// otherwise), and the packages that are gone with them.
pub fn cost(info: &TreeInfo, options: &Options, split: &Split) -> (Vec<String>, Vec<String>) {
    if options.without_libraries.is_empty() {
        return (Vec::new(), Vec::new());
    }
    let chosen = selected(info, options);
    let left_out: BTreeSet<String> = options.left_out.iter().map(|l| l.var.clone()).collect();
    let mut allowed = left_out.clone();
    for var in &options.without_libraries {
        allowed.remove(var);
    }
    let with = buildable(info, &chosen, &allowed);
    let without = buildable(info, &chosen, &left_out);
    let lost: Vec<String> = with.difference(&without).cloned().collect();
    let kept: BTreeSet<&str> = split.packages.iter().map(|p| p.name.as_str()).collect();
    let gone: BTreeSet<String> = lost
        .iter()
        .filter_map(|m| split.placed.get(m))
        .filter(|p| !kept.contains(p.as_str()))
        .cloned()
        .collect();
    (lost, gone.into_iter().collect())
}

impl Split {
    /// Source4's text: `module NAME PACKAGE` and `config FILE PACKAGE` lines, sorted.
    pub fn map_file(&self) -> String {
        let modules = self.placed.iter().map(|(m, p)| format!("module {m} {p}\n"));
        let configs = self
            .configs
            .iter()
            .map(|(c, p)| format!("config {c} {p}\n"));
        modules.chain(configs).collect()
    }

    /// The declared packages' names.
    pub fn names(&self) -> Vec<String> {
        self.packages.iter().map(|p| p.name.clone()).collect()
    }

    /// The spec's `%package` and `%description` of each subpackage (at
    /// `%{?asterisk_subpackages}`) and their `%files` (at `%{?asterisk_subpackage_files}`).
    pub fn spec_sections(&self) -> (String, String) {
        let mut packages = String::new();
        let mut files = String::new();
        for p in &self.packages {
            packages.push_str(&format!(
                "%package -n {n}\nSummary:        {s}\nRequires:       %{{name}}%{{?_isa}} = %{{version}}-%{{release}}\n",
                n = p.name,
                s = p.summary
            ));
            for r in &p.requires {
                packages.push_str(&format!(
                    "Requires:       {r}%{{?_isa}} = %{{version}}-%{{release}}\n"
                ));
            }
            for c in &p.conflicts {
                packages.push_str(&format!("Conflicts:      {c}\n"));
            }
            for b in &p.bundles {
                packages.push_str(&format!(
                    "%if %{{defined asterisk_{b}_version}}\n\
                     Provides:       bundled({b}) = %{{asterisk_{b}_version}}\n%endif\n"
                ));
            }
            let why = match (p.libraries.is_empty(), p.conflicts.is_empty()) {
                (false, _) => format!(
                    "The Asterisk modules that need {} (configure.ac's name{}).",
                    p.libraries.join(", "),
                    if p.libraries.len() > 1 { "s" } else { "" }
                ),
                (true, false) => format!(
                    "One build of a module that has several; only one of {}, {} may be installed.",
                    p.name,
                    p.conflicts.join(", ")
                ),
                (true, true) => "Asterisk modules.".to_string(),
            };
            let text = format!(
                "{why} Generated from the tree's MODULEINFO by cargo xtask rpm: {}.",
                p.modules.join(", ")
            );
            packages.push_str(&format!(
                "\n%description -n {n}\n{}\n\n",
                wrap(&text, DESCRIPTION_WIDTH),
                n = p.name,
            ));
            files.push_str(&format!("%files -n {n} -f xtask-{n}.files\n\n", n = p.name));
        }
        (packages, files)
    }
}

/// The widest line of a `%description` that rpmlint takes (`description-line-too-long`).
pub const DESCRIPTION_WIDTH: usize = 79;

/// Text broken into lines of at most `width` characters at spaces (a longer word stands alone).
pub fn wrap(text: &str, width: usize) -> String {
    let mut lines: Vec<String> = Vec::new();
    let mut line = String::new();
    for word in text.split_whitespace() {
        if !line.is_empty() && line.chars().count() + 1 + word.chars().count() > width {
            lines.push(std::mem::take(&mut line));
        }
        if !line.is_empty() {
            line.push(' ');
        }
        line.push_str(word);
    }
    if !line.is_empty() {
        lines.push(line);
    }
    lines.join("\n")
}

/// A binary package of the build, as the manifest records it.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct PackageRecord {
    /// `asterisk-postgresql`
    pub name: String,
    /// Its artifact; None when it was not published (nothing of it was built).
    pub path: Option<String>,
    /// The modules it holds.
    pub modules: Vec<String>,
    /// The subpackages it needs, and those it cannot be installed with.
    pub requires: Vec<String>,
    pub conflicts: Vec<String>,
    /// Why it is not published, or what to know about its name; empty otherwise.
    pub note: String,
}

impl PackageRecord {
    pub fn to_json(&self) -> Value {
        json!({
            "name": self.name,
            "path": self.path,
            "modules": self.modules,
            "requires": self.requires,
            "conflicts": self.conflicts,
            "note": self.note,
        })
    }

    pub fn from_json(v: &Value) -> Result<PackageRecord> {
        Ok(PackageRecord {
            name: json::text(v, "name")?,
            path: json::nullable(v, "path", |x| {
                x.as_str().map(str::to_string).context("not a string")
            })?,
            modules: json::texts(v, "modules")?,
            requires: json::texts(v, "requires")?,
            conflicts: json::texts(v, "conflicts")?,
            note: json::text(v, "note")?,
        })
    }
}

#[cfg(test)]
mod tests;
