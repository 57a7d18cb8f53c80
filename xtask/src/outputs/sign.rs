//! `--sign KEYID`: the RPMs and the SRPM signed with rpm's own signing (`rpmsign --addsign`
//! through gpg, `GNUPGHOME` honoured), never with a passphrase prompt.
//!
//! The key is checked before anything is built (it exists, and gpg signs with it in batch mode),
//! so a key that would ask for a passphrase stops the build at once, in one line.

use anyhow::{bail, Context, Result};
use camino::{Utf8Path, Utf8PathBuf};

use crate::infra::exec::{rpm_path, Failed, Shell};

/// gpg in batch mode, failing rather than asking for a passphrase.
const BATCH: &str = "--batch --pinentry-mode error";

impl Signer {
    /// The manifest's record of who signed.
    pub fn record(&self) -> crate::plan::sign::SignedBy {
        crate::plan::sign::SignedBy {
            key: self.key.clone(),
            fingerprint: self.fingerprint.clone(),
        }
    }
}

/// A key gpg can sign with, unattended.
#[derive(Debug, Clone)]
pub struct Signer {
    pub key: String,
    pub fingerprint: String,
    gpg: Utf8PathBuf,
    rpmsign: Utf8PathBuf,
}

/// The fingerprint of the first secret key in `gpg --list-secret-keys --with-colons`.
pub fn fingerprint_of(colons: &str) -> Option<String> {
    let mut in_secret = false;
    for line in colons.lines() {
        let fields: Vec<&str> = line.split(':').collect();
        match fields.first() {
            Some(&"sec") => in_secret = true,
            Some(&"fpr") if in_secret => return fields.get(9).map(|f| f.to_string()),
            _ => {}
        }
    }
    None
}

/// Why gpg could not sign, in words, from what it printed.
pub fn explain_gpg(key: &str, stderr: &str) -> String {
    let home = std::env::var("GNUPGHOME").unwrap_or_else(|_| "~/.gnupg".into());
    if stderr.contains("Read-only file system")
        || stderr.contains("not writable")
        || stderr.contains("failed to create temporary file")
    {
        format!(
            "gpg cannot work in {home}: it must be writable (gpg keeps its lock files, trust \
             database and agent socket there): copy it to a writable directory and point \
             GNUPGHOME at the copy"
        )
    } else if stderr.contains("No secret key") {
        format!("gpg has no secret key {key} (in {home}; GNUPGHOME names another): import it, or name one that `gpg --list-secret-keys` shows")
    } else if stderr.contains("No pinentry")
        || stderr.contains("Inappropriate ioctl")
        || stderr.contains("Operation cancelled")
        || stderr.contains("passphrase")
    {
        format!(
            "the key {key} needs a passphrase, and an unattended build cannot type it: preset it \
             in gpg-agent (gpg-preset-passphrase, or `allow-preset-passphrase`), or sign with a \
             key kept for CI without one"
        )
    } else {
        format!(
            "gpg cannot sign with {key}: {}",
            stderr.lines().last().unwrap_or("").trim()
        )
    }
}

/// Checks, before the build, that `key` signs unattended (by signing `probe`, any readable file,
/// to stdout); finds gpg and rpmsign.
pub fn prepare(sh: Shell, key: &str, probe: &Utf8Path) -> Result<Signer> {
    let find = |names: &[&str], install: &str| -> Result<Utf8PathBuf> {
        names
            .iter()
            .find_map(|n| which::which(n).ok())
            .and_then(|p| Utf8PathBuf::try_from(p).ok())
            .with_context(|| {
                format!(
                    "{} is not installed: {install} (cargo xtask doctor)",
                    names[0]
                )
            })
    };
    let rpmsign = find(
        &["rpmsign"],
        "install it (Debian/Ubuntu: apt-get install rpm; Fedora/EL: dnf install rpm-sign)",
    )?;
    let gpg = find(
        &["gpg", "gpg2"],
        "install it (Debian/Ubuntu: apt-get install gnupg; Fedora/EL: dnf install gnupg2)",
    )?;
    let listed = sh
        .cmd(gpg.as_str())
        .args(["--batch", "--list-secret-keys", "--with-colons", key])
        .read();
    let fingerprint = match listed {
        Ok(text) => fingerprint_of(&text),
        // gpg fails listing a key it does not have, and also when it cannot work at all.
        Err(e) => match e.downcast_ref::<Failed>() {
            Some(f)
                if !f
                    .tail
                    .iter()
                    .any(|l| l.contains("No secret key") || l.contains("No public key"))
                    && !f.tail.is_empty() =>
            {
                bail!(explain_gpg(key, &f.tail.join("\n")))
            }
            _ => None,
        },
    };
    let Some(fingerprint) = fingerprint else {
        bail!(explain_gpg(key, "No secret key"));
    };
    // Never `--output /dev/null`: gpg removes its output file when signing fails.
    let signed = sh
        .cmd(gpg.as_str())
        .args(BATCH.split(' '))
        .args([
            "--local-user",
            key,
            "--detach-sign",
            "--armor",
            "--output",
            "-",
        ])
        .arg(probe.as_str())
        .read();
    if let Err(e) = signed {
        let said = match e.downcast_ref::<Failed>() {
            Some(f) => f.tail.join("\n"),
            None => format!("{e:#}"),
        };
        bail!(explain_gpg(key, &said));
    }
    Ok(Signer {
        key: key.to_string(),
        fingerprint,
        gpg,
        rpmsign,
    })
}

/// The signer `--sign` asks for, its key checked before anything is built (none in a dry run
/// or without `--sign`); says which key signs.
pub fn prepare_if(plan: &crate::plan::Plan, probe: &Utf8Path) -> Result<Option<Signer>> {
    match &plan.given.sign {
        Some(key) if !plan.sh.dry_run => {
            let signer = prepare(plan.sh, key, probe)?;
            eprintln!("sign: with {} ({})", signer.key, signer.fingerprint);
            Ok(Some(signer))
        }
        _ => Ok(None),
    }
}

/// Signs what rpmbuild wrote in `work` when there is a signer; the manifest's record of it.
pub fn sign_if(
    sh: Shell,
    signer: Option<&Signer>,
    work: &Utf8Path,
    timer: &mut crate::infra::progress::PhaseTimer,
) -> Result<Option<crate::plan::sign::SignedBy>> {
    let Some(signer) = signer else {
        return Ok(None);
    };
    sign(sh, signer, &crate::rpmbuild::packages_in(work)?)?;
    timer.end("sign");
    Ok(Some(signer.record()))
}

/// Signs `packages` in place.
pub fn sign(sh: Shell, signer: &Signer, packages: &[Utf8PathBuf]) -> Result<()> {
    if packages.is_empty() {
        return Ok(());
    }
    sh.cmd(signer.rpmsign.as_str())
        .arg("--addsign")
        .args(["--define", &format!("_gpg_name {}", signer.key)])
        // Debian's rpm names /usr/bin/gpg2, which Debian does not have.
        .args(["--define", &format!("__gpg {}", signer.gpg)])
        .args(["--define", &format!("_gpg_sign_cmd_extra_args {BATCH}")])
        .args(packages.iter().map(|p| rpm_path(p)))
        .read()
        .map_err(|e| {
            let said = match e.downcast_ref::<Failed>() {
                Some(f) => f.tail.join("\n"),
                None => format!("{e:#}"),
            };
            anyhow::anyhow!(explain_gpg(&signer.key, &said))
        })
        .with_context(|| format!("signing {} packages with {}", packages.len(), signer.key))?;
    eprintln!(
        "signed: {} packages with {} ({})",
        packages.len(),
        signer.key,
        signer.fingerprint
    );
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fingerprints_from_gpg() {
        let colons = "sec:u:3072:1:98444091FF907DA5:1796054671:::u:::scESC:::+:::23::0:\n\
            fpr:::::::::1323A867EB94C843D728A6D098444091FF907DA5:\n\
            uid:u::::1796054671::93D8::xtask test <test@xtask.invalid>::::::::::0:\n\
            ssb:u:3072:1:AAAA:1796054671::::::e:::+:::23:\n\
            fpr:::::::::9CAB0E6673B27C5DF43C94C7E28B28753F78975C:\n";
        assert_eq!(
            fingerprint_of(colons).as_deref(),
            Some("1323A867EB94C843D728A6D098444091FF907DA5")
        );
        assert_eq!(fingerprint_of("fpr:::::::::AB:\n"), None);
        assert_eq!(fingerprint_of(""), None);
    }

    #[test]
    fn gpg_failures_in_words() {
        for read_only in [
            "gpg: Note: trustdb not writable\ngpg: Fatal: /x/trustdb.gpg: failed to append a record: Bad file descriptor",
            "gpg: failed to create temporary file '/x/.#lk0x1': Read-only file system",
        ] {
            assert!(explain_gpg("k", read_only).contains("it must be writable"), "{read_only}");
        }
        assert!(explain_gpg("k", "gpg: signing failed: No pinentry").contains("needs a passphrase"));
        assert!(explain_gpg("k", "gpg: skipped \"k\": No secret key")
            .starts_with("gpg has no secret key k"));
        assert_eq!(
            explain_gpg("k", "gpg: something\ngpg: signing failed: Bad thing"),
            "gpg cannot sign with k: gpg: signing failed: Bad thing"
        );
    }
}
