//! What a build was made with and what it holds: the record the spec leaves (the effective
//! menuselect.makeopts, the configure arguments, the modules left out and why) and the modules
//! in the packages. Published beside the RPMs (`build/`), summarised in the manifest.

use anyhow::{Context, Result};
use camino::{Utf8Path, Utf8PathBuf};

use crate::infra::digest;

/// The files of the record, in the order they are published.
const FILES: [&str; 3] = ["menuselect.makeopts", "configure-args", "modules-left-out"];
/// Where the record is published in the output directory, and copied into the image.
pub const PUBLISHED_DIR: &str = "build";

/// The spec's record of one build.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct BuildRecord {
    /// Each file of the record that the spec wrote.
    pub files: Vec<Utf8PathBuf>,
    /// (module, why) for each module menuselect left out.
    pub left_out: Vec<(String, String)>,
    /// The sha256 of the effective menuselect.makeopts and configure arguments.
    pub effective_sha256: String,
}

/// `name reason...` lines, as the spec writes modules-left-out.
fn parse_left_out(text: &str) -> Vec<(String, String)> {
    text.lines()
        .filter_map(|line| {
            let (name, why) = line.trim().split_once(' ').unwrap_or((line.trim(), ""));
            (!name.is_empty()).then(|| (name.to_string(), why.trim().to_string()))
        })
        .collect()
}

/// The modules in a package's file list: `.../asterisk/modules/<name>.so`, sorted.
pub fn modules_of(file_list: &str) -> Vec<String> {
    let mut modules: Vec<String> = file_list
        .lines()
        .filter_map(|path| {
            let (dir, file) = path.trim().rsplit_once('/')?;
            let name = file.strip_suffix(".so")?;
            dir.ends_with("/asterisk/modules").then(|| name.to_string())
        })
        .collect();
    modules.sort();
    modules
}

/// The kind of reason a module was left out, for the summary: what it needs (None: it is not
/// selected).
pub fn reason_kind(why: &str) -> Option<&'static str> {
    if why.contains("a library this spec does not build with") {
        Some("a library the spec does not build with (--enable NAME builds one)")
    } else if why.contains("an option of dev mode only") {
        Some("an option only dev mode has (--dev)")
    } else if why.contains("configure did not find it") || why.contains("told to go without") {
        Some("a library the build root lacks")
    } else if why.contains(" (off)") {
        Some("an option or module that is not selected")
    } else {
        None
    }
}

/// Reads the record the spec left in `dir` (absent files are left out of it).
pub fn read(dir: &Utf8Path) -> Result<BuildRecord> {
    let mut record = BuildRecord::default();
    let mut digest_parts: Vec<Vec<u8>> = Vec::new();
    for name in FILES {
        let path = dir.join(name);
        if !path.is_file() {
            continue;
        }
        let bytes = std::fs::read(&path).with_context(|| format!("reading {path}"))?;
        if name == "modules-left-out" {
            record.left_out = parse_left_out(&String::from_utf8_lossy(&bytes));
        } else {
            digest_parts.push(bytes);
        }
        record.files.push(path);
    }
    if !digest_parts.is_empty() {
        let parts: Vec<&[u8]> = digest_parts.iter().map(Vec::as_slice).collect();
        record.effective_sha256 = digest::sha256_of_parts(&parts);
    }
    Ok(record)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn left_out_lines() {
        let text = "cdr_pgsql pgsql (a library this spec does not build with)\nchan_dahdi dahdi (configure did not find it) tonezone (configure did not find it)\napp_skel off (not selected)\n\n";
        let got = parse_left_out(text);
        assert_eq!(got.len(), 3);
        assert_eq!(
            got[0],
            (
                "cdr_pgsql".into(),
                "pgsql (a library this spec does not build with)".into()
            )
        );
        assert_eq!(
            reason_kind(&got[0].1),
            Some("a library the spec does not build with (--enable NAME builds one)")
        );
        assert_eq!(
            reason_kind(&got[1].1),
            Some("a library the build root lacks")
        );
        assert_eq!(reason_kind(&got[2].1), None);
        assert_eq!(
            reason_kind("TEST_FRAMEWORK (an option of dev mode only: --dev)"),
            Some("an option only dev mode has (--dev)")
        );
    }

    #[test]
    fn modules_in_a_file_list() {
        let list = "/usr/lib64/asterisk/modules/res_pjsip.so\n/usr/lib64/asterisk/modules/app_dial.so\n/usr/lib64/asterisk/modules/libminiprivate.so.1\n/usr/lib64/libasteriskssl.so.1\n/usr/lib64/asterisk/other/x.so\n/usr/lib64/asterisk/modules\n";
        assert_eq!(modules_of(list), ["app_dial", "res_pjsip"]);
    }
}
