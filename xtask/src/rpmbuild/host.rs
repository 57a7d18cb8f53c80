//! What a build on this host depends on beyond the tree and the spec: the packages installed
//! (a `-devel` package added or removed changes what configure finds), the system's own rpm
//! macro files (`/etc/rpm`: an administrator's `%_smp_mflags` or `%optflags`), the compilers
//! and tools PATH finds (size and time of the file each resolves to), and the variables
//! compilers, linkers and configure read. It names the builder in the manifest ("native
//! <digest>"), so "up to date" sees a changed host, and it is part of the kept directory's key,
//! so an incremental build never reuses configure's findings from another host state.

use crate::infra::digest;

/// The package databases whose change means packages came or went.
const PACKAGE_DATABASES: [&str; 5] = [
    "/var/lib/dpkg/status",
    "/var/lib/rpm/rpmdb.sqlite",
    "/var/lib/rpm/Packages",
    "/var/lib/rpm/Packages.db",
    "/usr/lib/sysimage/rpm/rpmdb.sqlite",
];

/// Where an administrator's rpm macros live (rpm reads `/etc/rpm/macros*`; its rcfile and
/// `macros.d` files of packages are covered by the package databases).
const SYSTEM_MACROS: &str = "/etc/rpm";

/// The environment make, a compiler, a linker, pkg-config or configure reads (PATH: which
/// compiler runs).
const BUILD_VARIABLES: [&str; 21] = [
    "PATH",
    "MAKEFLAGS",
    "MFLAGS",
    "GNUMAKEFLAGS",
    "CC",
    "CXX",
    "CPP",
    "CFLAGS",
    "CXXFLAGS",
    "CPPFLAGS",
    "LDFLAGS",
    "LIBS",
    "LIBRARY_PATH",
    "CPATH",
    "C_INCLUDE_PATH",
    "CPLUS_INCLUDE_PATH",
    "PKG_CONFIG_PATH",
    "PKG_CONFIG_LIBDIR",
    "PKG_CONFIG_SYSROOT_DIR",
    "LD_LIBRARY_PATH",
    "COMPILER_PATH",
];

/// `native <digest>` of this host's package databases and system macro files (size and
/// time), and its build variables.
///
/// Read once per run (the kept directory's key, the up-to-date check and the manifest all ask):
/// the state the build began with.
pub fn identity() -> String {
    static IDENTITY: std::sync::OnceLock<String> = std::sync::OnceLock::new();
    IDENTITY
        .get_or_init(|| {
            let databases = PACKAGE_DATABASES.map(std::path::Path::new);
            read_identity(&databases, SYSTEM_MACROS.as_ref(), &BUILD_PROGRAMS, |var| {
                std::env::var(var).ok()
            })
        })
        .clone()
}

/// The identity of a host whose package databases, macro directory, build programs and
/// variables are these (`identity` gives this host's).
fn read_identity(
    databases: &[&std::path::Path],
    macros: &std::path::Path,
    programs: &[&str],
    variable: impl Fn(&str) -> Option<String>,
) -> String {
    let stamp = |path: &std::path::Path| {
        std::fs::metadata(path)
            .ok()
            .and_then(|m| Some((m.len(), m.modified().ok()?)))
            .and_then(|(len, t)| Some((len, t.duration_since(std::time::UNIX_EPOCH).ok()?)))
            .map(|(len, t)| format!("{len} {}", t.as_nanos()))
            .unwrap_or_default()
    };
    let databases = databases
        .iter()
        .map(|path| (path.display().to_string(), stamp(path)));
    let macros = macro_files(macros)
        .into_iter()
        .map(|path| (path.display().to_string(), stamp(&path)));
    // The programs the build runs, as PATH finds them (their final file: a compiler replaced
    // in /usr/local/bin, outside any package database, is another builder).
    let programs = programs.iter().map(|name| {
        let found = which::which(name)
            .ok()
            .and_then(|p| std::fs::canonicalize(p).ok());
        let stamp = found
            .as_ref()
            .map(|p| format!("{} {}", p.display(), stamp(p)))
            .unwrap_or_default();
        (name.to_string(), stamp)
    });
    let variables = BUILD_VARIABLES
        .iter()
        .map(|var| (var.to_string(), variable(var).unwrap_or_default()));
    of(databases.chain(macros).chain(programs).chain(variables))
}

/// The programs a build of Asterisk runs from PATH.
const BUILD_PROGRAMS: [&str; 12] = [
    "cc",
    "gcc",
    "c++",
    "g++",
    "cpp",
    "ld",
    "as",
    "ar",
    "make",
    "pkg-config",
    "install",
    "sh",
];

/// The files under `dir` (and its `macros.d`), sorted; none when it is not there.
fn macro_files(dir: &std::path::Path) -> Vec<std::path::PathBuf> {
    let list = |dir: &std::path::Path| -> Vec<std::path::PathBuf> {
        std::fs::read_dir(dir)
            .map(|entries| entries.flatten().map(|e| e.path()).collect())
            .unwrap_or_default()
    };
    let mut files: Vec<_> = list(dir)
        .into_iter()
        .flat_map(|path| match path.is_dir() {
            true => list(&path),
            false => vec![path],
        })
        .filter(|path| path.is_file())
        .collect();
    files.sort();
    files
}

/// The digest of `name = value` pairs, as `native <16 hex>`.
fn of(pairs: impl Iterator<Item = (String, String)>) -> String {
    let text: String = pairs.map(|(k, v)| format!("{k}\0{v}\0")).collect();
    format!(
        "native {}",
        &digest::sha256_of_parts(&[text.as_bytes()])[..16]
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn another_host_state_is_another_builder() {
        let host =
            |pairs: &[(&str, &str)]| of(pairs.iter().map(|(k, v)| (k.to_string(), v.to_string())));
        let base = host(&[("/var/lib/dpkg/status", "10 1"), ("LIBRARY_PATH", "")]);
        assert!(base.starts_with("native ") && base.len() == 7 + 16);
        assert_eq!(
            base,
            host(&[("/var/lib/dpkg/status", "10 1"), ("LIBRARY_PATH", "")])
        );
        for other in [
            host(&[("/var/lib/dpkg/status", "12 2"), ("LIBRARY_PATH", "")]),
            host(&[
                ("/var/lib/dpkg/status", "10 1"),
                ("LIBRARY_PATH", "/opt/lib"),
            ]),
        ] {
            assert_ne!(base, other);
        }
    }

    #[test]
    fn the_identity_follows_each_thing_it_reads() {
        // A stand-in host in a directory: a package database, a macro directory, a program
        // (found through PATH only when it is there: `sh`, which every host has) and the
        // variables. Each change is another identity; reading it again is the same one.
        let dir = tempfile_dir("identity");
        let db = dir.join("status");
        let macros = dir.join("etc-rpm");
        std::fs::create_dir_all(&macros).unwrap();
        std::fs::write(&db, "Package: a\n").unwrap();
        let vars =
            |cflags: &'static str| move |v: &str| (v == "CFLAGS").then(|| cflags.to_string());
        let read = |programs: &[&str], cflags: &'static str| {
            read_identity(&[db.as_path()], &macros, programs, vars(cflags))
        };
        let base = read(&[], "-O2");
        assert_eq!(base, read(&[], "-O2"));
        let mut seen = vec![base.clone()];
        let mut differs = |what: &str, now: String| {
            assert!(!seen.contains(&now), "{what} left the identity as it was");
            seen.push(now);
        };
        differs("CFLAGS", read(&[], "-O0"));
        differs("a program", read(&["sh"], "-O2"));
        std::fs::write(&db, "Package: a\nPackage: b-devel\n").unwrap();
        differs("a package added", read(&[], "-O2"));
        std::fs::write(macros.join("macros"), "%_smp_mflags -j1\n").unwrap();
        differs("an rpm macro file", read(&[], "-O2"));
        std::fs::remove_file(&db).unwrap();
        differs("the database gone", read(&[], "-O2"));
        std::fs::remove_dir_all(&dir).unwrap();
    }

    #[test]
    fn the_system_macro_files_are_each_file_under_the_directory() {
        let dir = tempfile_dir("macros");
        std::fs::create_dir_all(dir.join("macros.d")).unwrap();
        std::fs::write(dir.join("macros"), "%_smp_mflags -j1\n").unwrap();
        std::fs::write(dir.join("macros.d/macros.local"), "%optflags -O0\n").unwrap();
        let names: Vec<String> = macro_files(&dir)
            .iter()
            .map(|p| p.strip_prefix(&dir).unwrap().display().to_string())
            .collect();
        assert_eq!(names, ["macros", "macros.d/macros.local"]);
        assert!(macro_files(&dir.join("none")).is_empty());
        std::fs::remove_dir_all(&dir).unwrap();
    }

    fn tempfile_dir(name: &str) -> std::path::PathBuf {
        let dir = std::env::temp_dir().join(format!("xtask-host-{name}-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        dir
    }
}
