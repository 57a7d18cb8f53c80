//! Directories the user names, as the xtask compares them: absolute, resolved, and kept apart
//! from the xtask's own work directory.

use anyhow::{bail, Result};
use camino::{Utf8Path, Utf8PathBuf};

use crate::infra::workspace::absolute;
use crate::infra::workspace::Workspace;

/// How a directory the user names may stand to the xtask's own work directory
/// (`<target>/xtask`), whose directories every build empties.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Near {
    /// Inside it is refused (an output, a cache): the next build would empty it.
    Inside,
    /// Inside it or holding it is refused (an output directory, which a build replaces).
    InsideOrHolding,
}

/// Refuses a directory given with `flag` that lies inside the xtask's work directory (or, for
/// `Near::InsideOrHolding`, holds it): one line, before anything is done.
pub fn check_apart(path: &Utf8Path, flag: &str, near: Near, ws: &Workspace) -> Result<()> {
    let ours = resolved(&ws.target.join("xtask"));
    let given = resolved(&absolute(path)?);
    if given.starts_with(&ours) {
        bail!(
            "{flag} {path} is inside {ours}, the xtask's own work directory, which every build \
             empties: choose a directory outside it"
        );
    }
    if near == Near::InsideOrHolding && ours.starts_with(&given) {
        bail!(
            "{flag} {path} holds {ours}, the xtask's own work directory (and the target \
             directory {}): choose a directory of its own (the default is {}/rpm)",
            ws.target,
            ws.target
        );
    }
    Ok(())
}

/// Refuses a work directory rpmbuild cannot build in: rpm puts `_topdir` into its scripts
/// unquoted and expands `%` in it, so a path with a space, a `%` or another character a shell
/// reads (`~/My Work/asterisk`) fails in `%prep` with a message that names neither.
pub fn check_rpm_can_work_in(work: &Utf8Path) -> Result<()> {
    if let Some(c) = work
        .as_str()
        .chars()
        .find(|c| !(c.is_ascii_alphanumeric() || "/._-+=,:@~^".contains(*c)))
    {
        bail!(
            "rpmbuild cannot build in {work}: the path holds {c:?}, which rpm passes to the shell \
             unquoted (or expands, for %): set CARGO_TARGET_DIR to a directory whose path has \
             only letters, digits and / . _ - + = , : @ ~ ^, or build in the container"
        );
    }
    Ok(())
}

/// Refuses a download cache and an output directory that are one, or one inside the other: a
/// build replaces its output directory whole.
pub fn check_cache_apart_from_out(cache: &Utf8Path, out: &Utf8Path) -> Result<()> {
    let (c, o) = (resolved(cache), resolved(out));
    if c.starts_with(&o) || o.starts_with(&c) {
        bail!(
            "the download cache {cache} and the output directory {out} are {}: a build replaces \
             its output directory, and the cache with it; give each a directory of its own \
             (--download-cache DIR, --out DIR)",
            if c == o {
                "the same directory"
            } else {
                "one inside the other"
            }
        );
    }
    Ok(())
}

/// `--out` as the build uses it: absolute, and, when it is a link, the directory it points to
/// (a build replaces the directory, and must not replace the link).
/// The output directory `--out` names (checked apart from the xtask's work directory), else
/// `<target>/rpm`: where `rpm` publishes and `smoke --unit-tests` looks.
pub fn out_or_default(given: Option<&Utf8Path>, ws: &Workspace) -> Result<Utf8PathBuf> {
    match given {
        Some(dir) => {
            check_apart(dir, "--out", Near::InsideOrHolding, ws)?;
            out_dir(dir)
        }
        None => Ok(ws.target.join("rpm")),
    }
}

pub fn out_dir(given: &Utf8Path) -> Result<Utf8PathBuf> {
    let abs = absolute(given)?;
    if abs.is_symlink() {
        return match abs.canonicalize_utf8() {
            Ok(target) => Ok(target),
            Err(_) => bail!(
                "--out {given} is a link to nothing: point it at a directory, or name one with --out"
            ),
        };
    }
    Ok(abs)
}

/// `path` with `.` and `..` worked out and its deepest existing part's links resolved, so that
/// two names of one place compare equal.
pub fn resolved(path: &Utf8Path) -> Utf8PathBuf {
    let mut lexical = Utf8PathBuf::new();
    for part in path.components() {
        match part {
            camino::Utf8Component::ParentDir => {
                lexical.pop();
            }
            camino::Utf8Component::CurDir => {}
            other => lexical.push(other.as_str()),
        }
    }
    let mut existing = lexical.clone();
    let mut rest = Vec::new();
    loop {
        if let Ok(real) = existing.canonicalize_utf8() {
            let mut out = real;
            for part in rest.iter().rev() {
                out.push(part);
            }
            return out;
        }
        match (existing.file_name().map(str::to_string), existing.parent()) {
            (Some(name), Some(parent)) => {
                rest.push(name);
                existing = parent.to_owned();
            }
            _ => return lexical,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn paths_rpm_can_build_in() {
        for good in [
            "/home/u/asterisk/target/xtask/rpm-work",
            "/t/a-b_c.d+e=f,g:h@i~j^k",
        ] {
            assert!(check_rpm_can_work_in(Utf8Path::new(good)).is_ok(), "{good}");
        }
        for (bad, c) in [
            ("/home/u/My Work/target", "' '"),
            ("/t/%{?dist}/x", "'%'"),
            ("/t/a'b", "'\\''"),
            ("/t/$(x)", "'$'"),
            ("/t/a\tb", "'\\t'"),
        ] {
            let err = check_rpm_can_work_in(Utf8Path::new(bad))
                .unwrap_err()
                .to_string();
            assert!(err.contains(&format!("the path holds {c}")), "{bad}: {err}");
        }
        let e = check_cache_apart_from_out(Utf8Path::new("/t/o"), Utf8Path::new("/t/o"));
        assert!(e
            .unwrap_err()
            .to_string()
            .contains("are the same directory"));
        let e = check_cache_apart_from_out(Utf8Path::new("/t/o/cache"), Utf8Path::new("/t/o"));
        assert!(e
            .unwrap_err()
            .to_string()
            .contains("are one inside the other"));
        assert!(
            check_cache_apart_from_out(Utf8Path::new("/t/cache"), Utf8Path::new("/t/o")).is_ok()
        );
    }

    #[test]
    fn directories_apart_from_the_work_directory() {
        let base = Utf8PathBuf::try_from(std::env::temp_dir())
            .unwrap()
            .join(format!("xtask-apart-{}", std::process::id()));
        let ws = Workspace {
            root: base.join("root"),
            target: base.join("root/target"),
        };
        std::fs::create_dir_all(ws.target.join("xtask/rpm-work")).unwrap();
        let t = ws.target.as_str();
        let cases = [
            (format!("{t}/rpm"), Near::InsideOrHolding, None),
            (format!("{base}/elsewhere/out"), Near::InsideOrHolding, None),
            (
                format!("{t}/xtask/rpm-work/out"),
                Near::InsideOrHolding,
                Some("is inside"),
            ),
            (
                format!("{t}/rpm/../xtask/new"),
                Near::Inside,
                Some("is inside"),
            ),
            (format!("{t}/xtask"), Near::Inside, Some("is inside")),
            (t.to_string(), Near::InsideOrHolding, Some("holds")),
            ("/".to_string(), Near::InsideOrHolding, Some("holds")),
            ("/".to_string(), Near::Inside, None),
        ];
        for (path, near, want) in cases {
            let got = check_apart(Utf8Path::new(&path), "--out", near, &ws);
            match want {
                None => assert!(got.is_ok(), "{path}: {got:?}"),
                Some(w) => {
                    let e = got.unwrap_err().to_string();
                    assert!(e.contains(w) && !e.contains('\n'), "{path}: {e}");
                }
            }
        }
        // Through a link to the work directory, too.
        std::os::unix::fs::symlink(ws.target.join("xtask"), base.join("link")).unwrap();
        assert!(check_apart(&base.join("link/out"), "--out", Near::Inside, &ws).is_err());
        std::fs::remove_dir_all(&base).unwrap();
    }
}
