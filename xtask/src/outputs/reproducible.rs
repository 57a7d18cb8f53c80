//! `--check-reproducible`: the build runs a second time (later, and in a container under another
//! host name) and its packages are compared byte for byte with the first build's; when they
//! differ, the files inside (or, when every file is the same, the header fields) that differ are
//! named.
//!
//! The comparisons of rpm's listings are pure functions with table tests.

use std::collections::BTreeMap;

use anyhow::{bail, Context, Result};
use camino::{Utf8Path, Utf8PathBuf};

use crate::infra::exec::Shell;
use crate::infra::progress::PhaseTimer;
use crate::rpmbuild::Run;

/// The second build's container host name (the first's is `container::HOSTNAME`).
const CHECK_HOSTNAME: &str = "asterisk-xtask-check";

/// Header fields that differ whenever anything else does: digests and signatures of the rest.
const CONSEQUENCES: [&str; 8] = [
    "Sigmd5",
    "Sha1header",
    "Sha256header",
    "Sigsize",
    "Payloaddigest",
    "Payloaddigestalt",
    "Longsigsize",
    "Sourcepkgid",
];

/// One line per file of `rpm -qp --qf '[%{FILENAMES}\t%{FILEDIGESTS}\t%{FILEMTIMES}\t...]'`:
/// the paths whose digest, time, mode or owner differ, or that only one package has.
fn differing_files(a: &str, b: &str) -> Vec<String> {
    let parse = |text: &str| -> BTreeMap<String, String> {
        text.lines()
            .filter_map(|l| l.split_once('\t'))
            .map(|(path, rest)| (path.to_string(), rest.to_string()))
            .collect()
    };
    let (a, b) = (parse(a), parse(b));
    let mut out = Vec::new();
    for (path, what) in &a {
        match b.get(path) {
            None => out.push(format!("{path} (only in the first)")),
            Some(other) if other != what => {
                let fields = ["content", "time", "mode", "owner"];
                let which: Vec<&str> = what
                    .split('\t')
                    .zip(other.split('\t'))
                    .zip(fields)
                    .filter(|((x, y), _)| x != y)
                    .map(|(_, f)| f)
                    .collect();
                out.push(format!("{path} ({})", which.join(", ")));
            }
            Some(_) => {}
        }
    }
    out.extend(
        b.keys()
            .filter(|p| !a.contains_key(*p))
            .map(|p| format!("{p} (only in the second)")),
    );
    out
}

/// The header fields of two `rpm -qp --xml` dumps that differ, but for the digests of the rest.
fn differing_tags(a: &str, b: &str) -> Vec<String> {
    let parse = |text: &str| -> BTreeMap<String, String> {
        let mut tags = BTreeMap::new();
        for block in text.split("<rpmTag name=\"").skip(1) {
            if let Some((name, rest)) = block.split_once('"') {
                tags.insert(name.to_string(), rest.to_string());
            }
        }
        tags
    };
    let (a, b) = (parse(a), parse(b));
    let names: std::collections::BTreeSet<&String> = a.keys().chain(b.keys()).collect();
    names
        .into_iter()
        .filter(|n| !CONSEQUENCES.contains(&n.as_str()))
        .filter(|n| a.get(*n) != b.get(*n))
        .cloned()
        .collect()
}

/// Builds again and compares; fails naming what differs.
pub fn check(run: &Run, timer: &mut PhaseTimer) -> Result<()> {
    let sh = run.plan.sh;
    let work = &run.packed.work;
    let first = run.ws.target.join("xtask/rpm-check-first");
    if first.exists() {
        std::fs::remove_dir_all(&first).with_context(|| format!("removing {first}"))?;
    }
    std::fs::create_dir_all(&first).with_context(|| format!("creating {first}"))?;
    for dir in ["RPMS", "SRPMS"] {
        std::fs::rename(work.join(dir), first.join(dir))
            .with_context(|| format!("keeping the first build's {dir} in {first}"))?;
    }
    for dir in ["RPMS", "SRPMS", "BUILD", "BUILDROOT"] {
        let path = work.join(dir);
        if path.exists() {
            std::fs::remove_dir_all(&path).with_context(|| format!("removing {path}"))?;
        }
        std::fs::create_dir_all(&path).with_context(|| format!("creating {path}"))?;
    }
    timer.end("build");
    eprintln!(
        "check: building again to compare (later{})",
        match crate::plan::place::required(&run.plan.place)? {
            crate::plan::place::Place::Container { .. } =>
                format!(", in a container named {CHECK_HOSTNAME}"),
            crate::plan::place::Place::Native { .. } =>
                ", in the same directory on this host".into(),
        }
    );
    run.rpmbuild(CHECK_HOSTNAME, timer)?;
    let firsts = crate::rpmbuild::packages_in(&first)?;
    let mut same = 0;
    let mut differ = Vec::new();
    for a in &firsts {
        let rel = a.strip_prefix(&first).unwrap_or(a);
        let b = work.join(rel);
        if !b.exists() {
            differ.push(format!("{rel} (the second build made none)"));
        } else if std::fs::read(a)? == std::fs::read(&b)? {
            same += 1;
        } else {
            differ.push(format!("{}: {}", rel, what_differs(sh, a, &b)?.join(", ")));
        }
    }
    timer.end("check");
    if !differ.is_empty() {
        bail!(
            "not reproducible: {} of {} packages differ between two builds of the same tree: {} \
             (the first build's packages are in {first}, the second's in {work})",
            differ.len(),
            firsts.len(),
            differ.join("; ")
        );
    }
    eprintln!("reproducible: the {same} packages of two builds are the same, byte for byte");
    Ok(())
}

/// The files inside two packages that differ, else their header fields that do.
fn what_differs(sh: Shell, a: &Utf8Path, b: &Utf8Path) -> Result<Vec<String>> {
    let list = |p: &Utf8PathBuf| {
        sh.rpm_query(
            p,
            "[%{FILENAMES}\\t%{FILEDIGESTS}\\t%{FILEMTIMES}\\t%{FILEMODES}\\t%{FILEUSERNAME}\\n]",
        )
        .read()
    };
    let files = differing_files(&list(&a.to_owned())?, &list(&b.to_owned())?);
    if !files.is_empty() {
        return Ok(files);
    }
    let xml = |p: &Utf8Path| sh.rpm_query_with(p, &["--xml"]).read();
    let tags = differing_tags(&xml(a)?, &xml(b)?);
    Ok(match tags.is_empty() {
        true => vec!["the same files and header fields, other bytes (signatures?)".into()],
        false => tags
            .into_iter()
            .map(|t| format!("header field {t}"))
            .collect(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn files_that_differ() {
        let a = "/usr/sbin/asterisk\taa\t100\t33261\troot\n/etc/asterisk/asterisk.conf\tbb\t100\t33188\troot\n/only/a\tcc\t1\t1\troot\n";
        let b = "/usr/sbin/asterisk\tab\t100\t33261\troot\n/etc/asterisk/asterisk.conf\tbb\t101\t33188\tasterisk\n/only/b\tcc\t1\t1\troot\n";
        assert_eq!(
            differing_files(a, b),
            [
                "/etc/asterisk/asterisk.conf (time, owner)",
                "/only/a (only in the first)",
                "/usr/sbin/asterisk (content)",
                "/only/b (only in the second)",
            ]
        );
        assert!(differing_files(a, a).is_empty());
    }

    #[test]
    fn header_fields_that_differ() {
        let a = "<rpmHeader>\n  <rpmTag name=\"Sha1header\">\n\t<string>1</string>\n  </rpmTag>\n  <rpmTag name=\"Buildhost\">\n\t<string>vm</string>\n  </rpmTag>\n  <rpmTag name=\"Name\">\n\t<string>asterisk</string>\n  </rpmTag>\n</rpmHeader>\n";
        let b = a.replace(">vm<", ">other<").replace(">1<", ">2<");
        assert_eq!(differing_tags(a, &b), ["Buildhost"]);
        assert!(differing_tags(a, a).is_empty());
    }
}
