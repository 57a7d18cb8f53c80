//! The values flags take, checked before anything runs: one line each saying what is wrong.

use crate::plan::Usage;

/// The most ports `--rtp-ports` may name: each is a line in the image's config.
const MAX_RTP_PORTS: u32 = 10_001;

/// `FIRST-LAST`: at most 10,001 ports within 1024..=65535, FIRST below LAST.
pub fn rtp_ports(v: &str) -> std::result::Result<(u16, u16), Usage> {
    let parsed = v
        .split_once('-')
        .and_then(|(a, b)| Some((a.trim().parse::<u16>().ok()?, b.trim().parse::<u16>().ok()?)));
    match parsed {
        Some((first, last))
            if first >= 1024 && first < last && u32::from(last - first) < MAX_RTP_PORTS =>
        {
            Ok((first, last))
        }
        _ => Err(Usage(format!(
            "--rtp-ports takes FIRST-LAST, two ports from 1024 to 65535 with FIRST below LAST and \
             at most {MAX_RTP_PORTS} ports, not '{v}'"
        ))),
    }
}

/// `--packages A,B,C`: package names (letters, digits, `-`, `_`, `+`, `.`), none empty.
pub fn package_names(v: &str) -> std::result::Result<Vec<String>, Usage> {
    let names: Vec<String> = v.split(',').map(|n| n.trim().to_string()).collect();
    let good = |n: &str| {
        !n.is_empty()
            && !n.starts_with('-')
            && n.chars()
                .all(|c| c.is_ascii_alphanumeric() || "-_+.".contains(c))
    };
    match names.iter().all(|n| good(n)) {
        true => Ok(names),
        false => Err(Usage(format!(
            "--packages takes subpackage names separated by commas (pjsip,voicemail-plain), not '{v}'"
        ))),
    }
}

/// A tag the engine will accept: `name[:tag]`, lower-case name.
pub fn check_tag(tag: &str) -> std::result::Result<(), Usage> {
    if tag.trim().is_empty() {
        return Err(Usage(
            "--tag needs a value, and was given an empty one (an unset variable?)".into(),
        ));
    }
    let (name, t) = match tag.rsplit_once(':') {
        Some((n, t)) if !t.contains('/') => (n, Some(t)),
        _ => (tag, None),
    };
    let name_ok = !name.is_empty()
        && !name.starts_with(['-', '.', '_', '/', ':'])
        && name
            .chars()
            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || "._-/:".contains(c));
    let tag_ok = t.is_none_or(|t| {
        !t.is_empty()
            && t.len() <= 128
            && !t.starts_with(['.', '-'])
            && t.chars()
                .all(|c| c.is_ascii_alphanumeric() || "_.-".contains(c))
    });
    if !name_ok || !tag_ok {
        return Err(Usage(format!(
            "--tag {tag} is not a valid image name: use name[:tag] with a lower-case name and a \
             tag of letters, digits, _ . -"
        )));
    }
    Ok(())
}
