//! Which spec file builds the tree, and what rpmbuild is told about the build.
//!
//! The spec is the source tree's own `contrib/rpm/asterisk.spec` when it has one, else the one
//! beside the xtask (so an older checkout, or the sample tree, is built with the current
//! packaging); `--spec FILE` names another. Everything that changes from build to build reaches
//! the spec as `--define`s, computed here from plain data.

use anyhow::{bail, Result};
use camino::{Utf8Path, Utf8PathBuf};

use super::options::{Options, CONFIGURE_SOURCE, MENUSELECT_SOURCE};
use super::subpackages::Split;
use crate::bundled::sounds::SoundSet;
use crate::bundled::tarball::Tarball;
use crate::source::rpm_version::RpmVersion;

/// Where the spec lives, relative to a tree (or to the xtask's workspace).
const SPEC_PATH: &str = "contrib/rpm/asterisk.spec";

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Origin {
    /// `--spec FILE`.
    Given,
    /// The source tree's own `contrib/rpm/asterisk.spec`.
    Tree,
    /// The one beside the xtask: the source tree has none.
    Xtask,
}

impl Origin {
    pub fn describe(self) -> &'static str {
        match self {
            Origin::Given => "given on the command line",
            Origin::Tree => "the source tree's own",
            Origin::Xtask => "beside the xtask: the source tree has none",
        }
    }
}

#[derive(Debug, Clone)]
pub struct Located {
    pub path: Utf8PathBuf,
    pub origin: Origin,
}

/// Which candidates for a packaging file exist.
#[derive(Debug, Clone, Copy, Default)]
struct Candidates {
    pub given: bool,
    pub in_tree: bool,
    pub beside_xtask: bool,
}

/// The file to use: the given one, else the tree's own, else the xtask's.
fn origin_of(c: Candidates) -> Option<Origin> {
    if c.given {
        Some(Origin::Given)
    } else if c.in_tree {
        Some(Origin::Tree)
    } else if c.beside_xtask {
        Some(Origin::Xtask)
    } else {
        None
    }
}

pub fn locate(given: Option<&Utf8Path>, tree: &Utf8Path, xtask_root: &Utf8Path) -> Result<Located> {
    locate_file(SPEC_PATH, Some("--spec"), given, tree, xtask_root)
}

/// A packaging file (`rel` inside a tree): the given one, the tree's own, else the xtask's.
pub fn locate_file(
    rel: &str,
    flag: Option<&str>,
    given: Option<&Utf8Path>,
    tree: &Utf8Path,
    xtask_root: &Utf8Path,
) -> Result<Located> {
    if let Some(path) = given {
        let flag = flag.unwrap_or("the command line");
        let problem = match std::fs::metadata(path) {
            Err(_) if path.is_symlink() => Some("is a link to nothing"),
            Err(_) => Some("does not exist"),
            Ok(m) if m.is_dir() => Some("is a directory"),
            Ok(m) if !m.is_file() => Some("is not a regular file (a device or a pipe?)"),
            Ok(m) if m.len() == 0 => Some("is empty"),
            Ok(_) => None,
        };
        if let Some(problem) = problem {
            bail!("{path} given with {flag} {problem}: name a spec file");
        }
    }
    let in_tree = tree.join(rel);
    let beside = xtask_root.join(rel);
    let candidates = Candidates {
        given: given.is_some(),
        in_tree: in_tree.is_file(),
        beside_xtask: beside.is_file(),
    };
    let (path, origin) = match origin_of(candidates) {
        Some(Origin::Given) => (
            given.map(Utf8Path::to_owned).unwrap_or_default(),
            Origin::Given,
        ),
        Some(Origin::Tree) => (in_tree, Origin::Tree),
        Some(Origin::Xtask) => (beside, Origin::Xtask),
        None => bail!(
            "{rel} is missing: neither {in_tree} nor {beside} exists; restore it{}",
            flag.map(|f| format!(" or pass {f} FILE"))
                .unwrap_or_default()
        ),
    };
    Ok(Located { path, origin })
}

/// What the build is, as the spec sees it.
#[derive(Debug, Clone)]
pub struct SpecInputs {
    pub asterisk_version: String,
    pub rpm: RpmVersion,
    pub archive_name: String,
    pub top_dir: String,
    pub source_date_epoch: i64,
    /// Where Asterisk publishes this release (a release tag built from a clean tree).
    pub source_url: Option<String>,
    /// Empty: built without the bundled third-party libraries.
    pub bundled: Vec<Tarball>,
    /// Sound sets, a subpackage each; none by default.
    pub sounds: Vec<SoundSet>,
    /// Menuselect and configure choices, dev mode.
    pub options: Options,
    /// The subpackages generated from the tree.
    pub split: Split,
    pub jobs: Option<u32>,
    /// The kept build directory of an incremental build (on this host).
    pub incremental: Option<Utf8PathBuf>,
    /// The kept directory is made by a clean build, for the next edit: packaged in full.
    pub seeding: bool,
}

/// Whether the packages are for trying rather than shipping: dev builds. They skip debuginfo
/// and compress fast; release builds keep the distribution's defaults.
pub fn fast_packaging(o: &Options) -> bool {
    o.dev
}

/// Whether this build's packages are for trying: a dev build, or an incremental one (but the
/// clean build that seeds the kept directory). They are packaged fast (`defines`), and their
/// SBOM lists the packages without hashing each file (`outputs::publish_build`).
pub fn for_trying(inputs: &SpecInputs) -> bool {
    fast_packaging(&inputs.options) || (inputs.incremental.is_some() && !inputs.seeding)
}

/// The values that make the spec this build's, as `%global` lines: written into the copy of the
/// spec that rpmbuild reads and that goes into the SRPM, so that `rpmbuild --rebuild` (mock,
/// koji, copr, another machine) needs no `--define`.
fn globals(inputs: &SpecInputs) -> Vec<(String, String)> {
    let mut out = vec![
        (
            "asterisk_version".to_string(),
            inputs.asterisk_version.clone(),
        ),
        ("asterisk_rpm_version".into(), inputs.rpm.version.clone()),
        ("asterisk_rpm_release".into(), inputs.rpm.release.clone()),
        ("asterisk_source".into(), inputs.archive_name.clone()),
        ("asterisk_topdir".into(), inputs.top_dir.clone()),
    ];
    if let Some(dir) = inputs
        .source_url
        .as_deref()
        .and_then(|u| source_dir(u, &inputs.archive_name))
    {
        out.push(("asterisk_source_url".into(), dir));
    }
    for b in &inputs.bundled {
        out.push((format!("asterisk_{}_version", b.name), b.version.clone()));
        let file = b.url.rsplit('/').next().unwrap_or_default();
        if let Some(dir) = source_dir(&b.url, file) {
            out.push((format!("asterisk_{}_url", b.name), dir));
        }
    }
    if !inputs.sounds.is_empty() {
        let sets: Vec<String> = inputs
            .sounds
            .iter()
            .map(|s| format!("{}:{}:{}", s.package, s.file, s.dir))
            .collect();
        out.push(("asterisk_sound_sets".into(), sets.join(" ")));
        let enable: Vec<String> = inputs
            .sounds
            .iter()
            .map(|s| format!("--enable {}", s.name))
            .collect();
        out.push(("asterisk_sounds_enable".into(), enable.join(" ")));
    }
    let o = &inputs.options;
    let mut optional = |name: &str, value: String| {
        if !value.is_empty() {
            out.push((name.to_string(), value));
        }
    };
    optional("asterisk_menuselect", o.menuselect_words());
    optional("asterisk_menuselect_check", o.check_words());
    if o.menuselect_file.is_some() {
        optional("asterisk_menuselect_file", MENUSELECT_SOURCE.to_string());
    }
    if o.configure_file().is_some() {
        optional("asterisk_configure_args_file", CONFIGURE_SOURCE.to_string());
    }
    optional("asterisk_configure_without", o.without_words());
    optional(
        "asterisk_libraries_left_out",
        o.left_out
            .iter()
            .map(|l| l.var.clone())
            .collect::<Vec<_>>()
            .join(" "),
    );
    optional("asterisk_packages_file", PACKAGES_SOURCE.to_string());
    optional("asterisk_subpackages", inputs.split.names().join(" "));
    for b in &inputs.split.main_bundles {
        optional(&format!("asterisk_{b}_in_main"), "1".into());
    }
    if o.dev {
        optional("asterisk_dev", "1".into());
    }
    if fast_packaging(o) {
        optional("asterisk_fast_packaging", "1".into());
    }
    // Reproducible packages: build time and file times from the source date.
    out.push(("use_source_date_epoch_as_buildtime".into(), "1".into()));
    out.push(("clamp_mtime_to_source_date_epoch".into(), "1".into()));
    out
}

#[derive(Clone, Copy)]
enum Changelog {
    Before,
    Header,
    Text,
    After,
}

/// The build's `%changelog` entry: the source's date, the version and release (without the
/// distribution's tag, which rpmlint's ReleaseExtension allows), and what it is.
fn changelog_entry(inputs: &SpecInputs) -> String {
    format!(
        "* {} Asterisk xtask maintainers <asterisk-xtask@localhost> - {}-{}\n\
         - Asterisk {}, built from its source tree by cargo xtask rpm\n",
        crate::source::version::changelog_date(inputs.source_date_epoch),
        inputs.rpm.version,
        inputs.rpm.release,
        inputs.asterisk_version.replace('%', "%%"),
    )
}

/// The directory of a Source's address, for a `Source: DIR/FILE` line: only an address that ends
/// with the file rpm finds in SOURCES, and one that a `%global` holds as is (no `%`, no spaces,
/// no quotes); None otherwise, and the spec names the file alone.
fn source_dir(url: &str, file: &str) -> Option<String> {
    let dir = url.strip_suffix(file)?.strip_suffix('/')?;
    (plain_url(url) && !file.is_empty() && !dir.is_empty()).then(|| dir.to_string())
}

/// An address a `%global`, a Source line and an SPDX downloadLocation all take as it is: a
/// scheme, printable ASCII, no `%`, quotes, backslashes, braces, `$` or backquotes.
pub fn plain_url(url: &str) -> bool {
    url.split_once("://").is_some_and(|(scheme, rest)| {
        !scheme.is_empty() && scheme.bytes().all(|b| b.is_ascii_alphabetic()) && !rest.is_empty()
    }) && url
        .bytes()
        .all(|b| b.is_ascii_graphic() && !b"%'\"\\{}$`".contains(&b))
}

/// The file name of the subpackages' map in the SRPM (Source4): which module and configuration
/// file goes to which subpackage.
pub const PACKAGES_SOURCE: &str = "xtask-packages";

/// The spec with this build's values in front, and, for each sound set, its tarball and `.sha1`
/// as Sources (after `Source0:`) and a subpackage (at the end), and the subpackages generated
/// from the tree (at the end).
pub fn render(spec: &str, inputs: &SpecInputs) -> String {
    let mut out = String::from(
        "# Written by cargo xtask rpm for this build: the values it derived from the tree.\n",
    );
    for (k, v) in globals(inputs) {
        out.push_str(&format!("%global {k} {v}\n"));
    }
    out.push('\n');
    let sources: String = inputs
        .sounds
        .iter()
        .enumerate()
        .map(|(i, s)| {
            let at = source_dir(&s.url, &s.file)
                .map(|d| format!("{d}/"))
                .unwrap_or_default();
            format!(
                "Source{}:      {at}{}\nSource{}:      {}.sha1\n",
                100 + 2 * i,
                s.file,
                101 + 2 * i,
                s.file
            )
        })
        .collect();
    let mut inserted = sources.is_empty();
    let mut changelog = Changelog::Before;
    for line in spec.split_inclusive('\n') {
        // The first %changelog entry: this build's, in plain text (rpmlint warns of macros there).
        changelog = match (changelog, line.trim_end()) {
            (Changelog::Before, "%changelog") => Changelog::Header,
            (Changelog::Header, l) if l.starts_with("* ") => {
                out.push_str(&changelog_entry(inputs));
                changelog = Changelog::Text;
                continue;
            }
            (Changelog::Text, l) if l.starts_with("* ") || l.is_empty() => Changelog::After,
            (Changelog::Text, _) => continue,
            (state, _) => state,
        };
        out.push_str(line);
        if !inserted && line.starts_with("Source0:") {
            out.push_str(&sources);
            inserted = true;
        }
    }
    for s in &inputs.sounds {
        out.push_str(&format!(
            "\n%package -n {p}\nSummary:        Asterisk sounds: {n} {v}\n\
             Requires:       %{{name}} = %{{version}}-%{{release}}\n\n\
             %description -n {p}\nThe {n} sound set ({f}) for Asterisk %{{asterisk_version}}.\n\n\
             %files -n {p} -f xtask-{p}.files\n",
            p = s.package,
            n = s.name,
            v = s.version,
            f = s.file
        ));
    }
    let (packages, files) = inputs.split.spec_sections();
    if !packages.is_empty() {
        out.push_str(&format!(
            "\n# The subpackages, generated by cargo xtask rpm from the tree's MODULEINFO (Source4\n\
             # says which module goes where).\n{packages}{files}"
        ));
    }
    out
}

/// rpmbuild's directories, all under one work directory.
pub fn rpmbuild_dirs(work: &Utf8Path) -> Vec<(&'static str, Utf8PathBuf)> {
    vec![
        ("_topdir", work.to_owned()),
        ("_sourcedir", work.join("SOURCES")),
        ("_specdir", work.join("SPECS")),
        ("_builddir", work.join("BUILD")),
        ("_buildrootdir", work.join("BUILDROOT")),
        ("_rpmdir", work.join("RPMS")),
        ("_srcrpmdir", work.join("SRPMS")),
        ("_tmppath", work.join("tmp")),
    ]
}

/// rpm's macro files as `rpm --showrc` lists them ("Macro path: ..."), without the user's own
/// (`~/.rpmmacros`, `~/.config/rpm/macros`): a build on this host reads the system's macros,
/// as one in the builder does, and never a `%dist` or `%vendor` the user's home happens to
/// set, which would change the packages without changing what "up to date" compares. None
/// when rpm lists no path.
pub fn system_macro_path(showrc: &str) -> Option<String> {
    let path = showrc
        .lines()
        .find_map(|l| l.strip_prefix("Macro path: "))?
        .trim();
    // Split at the colons outside %{...}.
    let mut parts = Vec::new();
    let (mut depth, mut start) = (0usize, 0usize);
    for (i, c) in path.char_indices() {
        match c {
            '{' => depth += 1,
            '}' => depth = depth.saturating_sub(1),
            ':' if depth == 0 => {
                parts.push(&path[start..i]);
                start = i + 1;
            }
            _ => {}
        }
    }
    parts.push(&path[start..]);
    let users = |p: &str| {
        let p = p.to_ascii_lowercase();
        p.starts_with('~') || p.contains("xdg") || p.contains("home}")
    };
    let kept: Vec<&str> = parts
        .into_iter()
        .filter(|p| !p.is_empty() && !users(p))
        .collect();
    (!kept.is_empty()).then(|| kept.join(":"))
}

/// rpm's configuration files without the user's `~/.rpmrc` (whose `optflags` would change the
/// packages): rpm's own, each vendor's beside it, and the system's; the first must exist.
/// None when rpm's own is not where rpm keeps it.
pub fn system_rcfiles(rpm_lib: &Utf8Path) -> Option<String> {
    let main = rpm_lib.join("rpmrc");
    if !main.is_file() {
        return None;
    }
    let mut files = vec![main.to_string()];
    let mut vendors: Vec<String> = std::fs::read_dir(rpm_lib)
        .into_iter()
        .flatten()
        .flatten()
        .map(|e| e.path().join("rpmrc"))
        .filter(|p| p.is_file())
        .filter_map(|p| p.to_str().map(str::to_string))
        .collect();
    vendors.sort();
    files.extend(vendors);
    // (rpm reports a file of the list that is not there as an error.)
    if Utf8Path::new("/etc/rpmrc").is_file() {
        files.push("/etc/rpmrc".into());
    }
    Some(files.join(":"))
}

/// The environment variable that tells the spec where an incremental build's kept directory
/// is. Not a macro: rpm writes the spec into the SRPM with its macros expanded, and a clean build
/// that keeps its directory must make the SRPM a clean build makes.
const KEPT_ENV: &str = "ASTERISK_XTASK_KEPT";

/// `KEPT_ENV`'s value for rpmbuild: the kept directory's sources, or empty (never what the
/// user's environment happens to hold) for a build in rpmbuild's own directory.
pub fn kept_env(kept: Option<&Utf8Path>) -> (String, String) {
    let value = kept
        .map(|k| k.join("src").into_string())
        .unwrap_or_default();
    (KEPT_ENV.to_string(), value)
}

/// The `--define`s of this machine's build, in order: rpmbuild's directories and the jobs.
/// (What the package is goes into the spec itself: `render`.)
/// `kept`: where an incremental build's kept directory is, as rpmbuild sees it.
pub fn defines(
    inputs: &SpecInputs,
    work: &Utf8Path,
    kept: Option<&Utf8Path>,
) -> Vec<(String, String)> {
    let mut out: Vec<(String, String)> = rpmbuild_dirs(work)
        .into_iter()
        .map(|(k, v)| (k.to_string(), v.into_string()))
        .collect();
    // Packages for trying: made fast (see the spec); a clean build that only keeps its
    // directory for the next edit is packaged in full. (Where the kept directory is goes in
    // rpmbuild's environment: `kept_env`.)
    if kept.is_some() && !inputs.seeding {
        out.push(("asterisk_fast_packaging".into(), "1".into()));
    }
    if let Some(jobs) = inputs.jobs {
        out.push(("asterisk_jobs".into(), jobs.to_string()));
    }
    // Where the spec leaves the build's record (menuselect file, configure arguments, modules
    // left out) for the xtask to read; not a %global: another rebuild has no use for it.
    out.push((
        "asterisk_xtask_info".into(),
        work.join(INFO_DIR).into_string(),
    ));
    // The build host rpm records: fixed, so that the same tree gives the same packages anywhere.
    out.push(("_buildhost".into(), BUILD_HOST.into()));
    out
}

/// The build host the packages name (rpm's BUILDHOST), wherever they were built.
const BUILD_HOST: &str = "asterisk-xtask-build";

/// Beside rpmbuild's directories: the build's record, written by the spec.
pub const INFO_DIR: &str = "xtask-build-info";

/// rpmbuild's `--define` arguments for `defines`.
pub fn define_args(defines: &[(String, String)]) -> Vec<String> {
    defines
        .iter()
        .flat_map(|(k, v)| ["--define".to_string(), format!("{k} {v}")])
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn spec_choice() {
        let cases = [
            ((true, true, true), Some(Origin::Given)),
            ((false, true, true), Some(Origin::Tree)),
            ((false, true, false), Some(Origin::Tree)),
            ((false, false, true), Some(Origin::Xtask)),
            ((false, false, false), None),
        ];
        for ((given, tree, xtask), want) in cases {
            let c = Candidates {
                given,
                in_tree: tree,
                beside_xtask: xtask,
            };
            assert_eq!(origin_of(c), want);
        }
    }

    #[test]
    fn defines_carry_the_version_and_directories() {
        let inputs = SpecInputs {
            asterisk_version: "GIT-master-abc1234M".into(),
            rpm: RpmVersion {
                version: "0^5.20260806.abc1234".into(),
                release: "1.dirty.20261130083000".into(),
            },
            archive_name: "asterisk-GIT-master-abc1234M.tar.gz".into(),
            top_dir: "asterisk-GIT-master-abc1234M".into(),
            source_date_epoch: 1,
            source_url: None,
            bundled: vec![Tarball {
                name: "pjproject".into(),
                version: "2.17".into(),
                file: "pjproject-2.17.tar.bz2".into(),
                url: "https://raw.githubusercontent.com/asterisk/third-party/master/pjproject/2.17/pjproject-2.17.tar.bz2".into(),
                md5: "00000000000000000000000000000000".into(),
            }],
            sounds: vec![SoundSet {
                name: "MOH-OPSOUND-WAV".into(),
                package: "asterisk-moh-opsound-wav".into(),
                version: "2.03".into(),
                file: "asterisk-moh-opsound-wav-2.03.tar.gz".into(),
                url: "https://x/asterisk-moh-opsound-wav-2.03.tar.gz".into(),
                dir: "moh".into(),
            }],
            options: Options {
                choices: vec![crate::plan::options::Choice::Disable("chan_iax2".into())],
                menuselect_file: Some(("/home/u/ast/menuselect.makeopts".into(), "aa".into())),
                menuselect_text: Some("MENUSELECT_APPS=\n".into()),
                configure_args: vec!["--with-x=a b".into()],
                dev: true,
                left_out: vec![super::super::moduleinfo::OptionalLibrary {
                    var: "PGSQL".into(),
                    option: "postgres".into(),
                }],
                named_libraries: vec![],
                without_libraries: vec![],
                distribution: vec![],
                checks: vec![crate::plan::options::Choice::Disable("chan_iax2".into())],
            },
            split: Split::default(),
            jobs: Some(2),
            incremental: None,
            seeding: false,
        };
        let d = defines(&inputs, Utf8Path::new("/t/w"), None);
        let get = |k: &str| d.iter().find(|(key, _)| key == k).map(|(_, v)| v.as_str());
        assert_eq!(get("_topdir"), Some("/t/w"));
        assert_eq!(get("_sourcedir"), Some("/t/w/SOURCES"));
        assert_eq!(get("asterisk_jobs"), Some("2"));
        assert_eq!(get("asterisk_xtask_info"), Some("/t/w/xtask-build-info"));
        // What the package is travels in the spec, not on the command line.
        assert_eq!(get("asterisk_rpm_version"), None);
        let args = define_args(&d[..1]);
        assert_eq!(args, ["--define", "_topdir /t/w"]);
        // A kept directory is named in the environment only (a macro would be expanded into the
        // SRPM's spec): an incremental build is packaged fast, a kept clean build in full.
        let kept = Utf8Path::new("/t/kept");
        let incremental = defines(&inputs, Utf8Path::new("/t/w"), Some(kept));
        assert!(incremental.iter().all(|(_, v)| !v.contains("/t/kept")));
        assert!(incremental
            .iter()
            .any(|(k, v)| k == "asterisk_fast_packaging" && v == "1"));
        let seeding = SpecInputs {
            seeding: true,
            ..inputs.clone()
        };
        let kept_clean = defines(&seeding, Utf8Path::new("/t/w"), Some(kept));
        assert_eq!(kept_clean, d);
        assert_eq!(
            kept_env(Some(kept)),
            ("ASTERISK_XTASK_KEPT".to_string(), "/t/kept/src".to_string())
        );
        assert_eq!(
            kept_env(None),
            ("ASTERISK_XTASK_KEPT".to_string(), String::new())
        );
        // The system's macros, not the user's.
        let showrc = "ARCHITECTURE AND OS:\nMacro path: /usr/lib/rpm/macros:/usr/lib/rpm/macros.d/macros.*:/etc/rpm/macros:/etc/rpm/%{_target}/macros:~/.rpmmacros\n";
        assert_eq!(
            system_macro_path(showrc).as_deref(),
            Some("/usr/lib/rpm/macros:/usr/lib/rpm/macros.d/macros.*:/etc/rpm/macros:/etc/rpm/%{_target}/macros")
        );
        let xdg = "Macro path: /usr/lib/rpm/macros:%{getenv:XDG_CONFIG_HOME}/rpm/macros:~/.config/rpm/macros\n";
        assert_eq!(
            system_macro_path(xdg).as_deref(),
            Some("/usr/lib/rpm/macros")
        );
        let rpm420 = "Macro path: /usr/lib/rpm/macros:%{_xdg_config_home}/rpm/macros\n";
        assert_eq!(
            system_macro_path(rpm420).as_deref(),
            Some("/usr/lib/rpm/macros")
        );
        assert_eq!(system_macro_path("no such line"), None);
        let spec = render(
            "Name: asterisk\nSource0: a.tar.gz\n%files\n%changelog\n* Mon Nov 30 2026 A <a@b> - 0-1\n- one\n  two\n\n* Sun Nov 29 2026 A <a@b> - 0-0\n- old\n",
            &inputs,
        );
        assert!(
            spec.contains("%changelog\n* Thu Jan 01 1970 Asterisk xtask maintainers <asterisk-xtask@localhost> - 0^5.20260806.abc1234-1.dirty.20261130083000\n- Asterisk GIT-master-abc1234M, built from its source tree by cargo xtask rpm\n\n* Sun Nov 29 2026 A <a@b> - 0-0\n- old\n"),
            "{spec}"
        );
        for line in [
            "%global asterisk_rpm_version 0^5.20260806.abc1234\n",
            "%global asterisk_rpm_release 1.dirty.20261130083000\n",
            "%global asterisk_pjproject_version 2.17\n",
            "%global asterisk_source asterisk-GIT-master-abc1234M.tar.gz\n",
            "%global asterisk_menuselect --disable chan_iax2\n",
            "%global asterisk_menuselect_file xtask-menuselect.makeopts\n",
            "%global asterisk_configure_args_file xtask-configure-args\n",
            "%global asterisk_menuselect_check --disable chan_iax2\n",
            "%global asterisk_configure_without --without-postgres\n",
            "%global asterisk_libraries_left_out PGSQL\n",
            "%global asterisk_dev 1\n",
            "%global asterisk_pjproject_url https://raw.githubusercontent.com/asterisk/third-party/master/pjproject/2.17\n",
        ] {
            assert!(spec.contains(line), "{line}: {spec}");
        }
        assert!(
            spec.contains("Source0: a.tar.gz\nSource100:      https://x/asterisk-moh-opsound-wav-2.03.tar.gz\nSource101:      asterisk-moh-opsound-wav-2.03.tar.gz.sha1\n"),
            "{spec}"
        );
        assert!(spec.contains("%global asterisk_sound_sets asterisk-moh-opsound-wav:asterisk-moh-opsound-wav-2.03.tar.gz:moh\n"), "{spec}");
        assert!(
            spec.contains("%global asterisk_sounds_enable --enable MOH-OPSOUND-WAV\n"),
            "{spec}"
        );
        assert!(
            spec.contains(
                "%files -n asterisk-moh-opsound-wav -f xtask-asterisk-moh-opsound-wav.files\n"
            ),
            "{spec}"
        );
        let without = render(
            "Name: asterisk\n",
            &SpecInputs {
                bundled: vec![],
                sounds: vec![],
                ..inputs
            },
        );
        assert!(
            !without.contains("pjproject") && !without.contains("sound"),
            "{without}"
        );
        assert!(without.ends_with("\n\nName: asterisk\n"), "{without}");
    }

    #[test]
    fn source_addresses_only_when_they_name_the_file_and_hold_no_macro() {
        let cases = [
            (
                "https://a.org/x/f-1.tar.gz",
                "f-1.tar.gz",
                Some("https://a.org/x"),
            ),
            ("https://a.org/x/f-1.tar.gz", "g-1.tar.gz", None),
            ("https://a.org/%7Bx/f-1.tar.gz", "f-1.tar.gz", None),
            ("https://a.org/a b/f-1.tar.gz", "f-1.tar.gz", None),
            ("https://a.org/%{x}/f-1.tar.gz", "f-1.tar.gz", None),
            ("f-1.tar.gz", "f-1.tar.gz", None),
            ("", "", None),
            ("https://a.org/x/f'1.tar.gz", "f'1.tar.gz", None),
            ("://a.org/f-1.tar.gz", "f-1.tar.gz", None),
            ("h2p://a.org/f-1.tar.gz", "f-1.tar.gz", None),
            (
                "https://ex ample.com/100%/\"q\"/2.17/f-1.tar.gz",
                "f-1.tar.gz",
                None,
            ),
        ];
        for (url, file, want) in cases {
            assert_eq!(source_dir(url, file).as_deref(), want, "{url}");
        }
    }

    /// The spec's reproducible `find` (what make_xml_documentation lists the documented sources
    /// with): `-exec grep -l PATTERN {} ;` runs one grep for many files and prints the same names
    /// as a grep per file; any other `-exec`, or two, are find's own; all sorted.
    #[test]
    fn the_reproducible_find_runs_grep_l_once_for_many_files() {
        let spec = std::fs::read_to_string(
            Utf8Path::new(env!("CARGO_MANIFEST_DIR")).join("../contrib/rpm/asterisk.spec"),
        )
        .unwrap();
        let head = "cat > xtask-reproducible/find <<EOF\n";
        let body = &spec[spec.find(head).unwrap() + head.len()..];
        let body = &body[..body.find("\nEOF\n").unwrap() + 1];
        // What the unquoted here-document gives the shell: `\$` is `$`, $real_find expanded.
        let real_find = which::which("find").unwrap();
        let script = body
            .replace("$real_find", real_find.to_str().unwrap())
            .replace("\\$", "$");
        let dir = std::env::temp_dir().join(format!("xtask-find-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        let (tree, bin) = (dir.join("tree"), dir.join("bin"));
        std::fs::create_dir_all(tree.join("sub dir")).unwrap();
        std::fs::create_dir_all(&bin).unwrap();
        for i in 0..40 {
            let text = match i % 3 {
                0 => "/*** DOCUMENTATION <application language=\"en_US\"> ***/",
                1 => "int x;",
                _ => "<!DOCTYPE docs SYSTEM \"appdocsxml.dtd\">",
            };
            let name = match i % 4 {
                0 => format!("sub dir/m{i}.c"),
                1 => format!("f{i}.xml"),
                _ => format!("z{i}.c"),
            };
            std::fs::write(tree.join(name), text).unwrap();
        }
        std::fs::write(bin.join("find"), &script).unwrap();
        // A grep that counts its runs.
        let real_grep = which::which("grep").unwrap();
        let log = dir.join("greps");
        std::fs::write(
            bin.join("grep"),
            format!(
                "#!/bin/sh\necho run >> '{}'\nexec '{}' \"$@\"\n",
                log.display(),
                real_grep.display()
            ),
        )
        .unwrap();
        use std::os::unix::fs::PermissionsExt;
        let executable = std::fs::Permissions::from_mode(0o755);
        std::fs::set_permissions(bin.join("grep"), executable).unwrap();
        let run = |find: &str, args: &[&str]| {
            let _ = std::fs::remove_file(&log);
            let out = std::process::Command::new("sh")
                .arg("-c")
                .arg(format!("{find} \"$@\" | LC_ALL=C sort"))
                .arg("find")
                .args(args)
                .env("PATH", format!("{}:/usr/bin:/bin", bin.display()))
                .current_dir(&tree)
                .output()
                .unwrap();
            let greps = std::fs::read_to_string(&log)
                .unwrap_or_default()
                .lines()
                .count();
            (String::from_utf8(out.stdout).unwrap(), greps)
        };
        let wrapper = format!("sh '{}'", bin.join("find").display());
        let real = real_find.to_str().unwrap();
        let names = ["(", "-name", "*.c", "-o", "-name", "*.xml", ")"];
        let pattern = ["-l", "-E", "(language=\"en_US\"|appdocsxml.dtd)", "{}", ";"];
        for grep in ["grep".to_string(), bin.join("grep").display().to_string()] {
            let mut args = vec!["."];
            args.extend(names);
            args.extend(["-exec", grep.as_str()]);
            args.extend(pattern);
            let (want, per_file) = run(real, &args);
            let (got, batched) = run(&wrapper, &args);
            assert_eq!(got, want, "{grep}");
            assert_eq!(want.lines().count(), 27, "{want}");
            assert_eq!((per_file, batched), (40, 1), "{grep}");
        }
        // Another program, or a second -exec: as find runs them, a run per file.
        for args in [
            vec![".", "-name", "*.xml", "-exec", "echo", "{}", ";"],
            vec![".", "-name", "*.c", "-exec", "grep", "-q", "x", "{}", ";"],
            vec![
                ".", "-name", "*.c", "-exec", "grep", "-l", "int", "{}", ";", "-exec", "echo",
                "{}", ";",
            ],
        ] {
            let (want, per_file) = run(real, &args);
            assert_eq!(run(&wrapper, &args), (want, per_file), "{args:?}");
        }
        std::fs::remove_dir_all(&dir).unwrap();
    }
}
