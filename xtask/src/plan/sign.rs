//! `--sign KEYID`: the concern's flag; its part of the plan, the signer, whose key is checked
//! before anything is built (it exists, and gpg signs with it in batch mode, so a key that would
//! ask for a passphrase stops the build at once, in one line); and its record in the manifest,
//! who signed. `outputs::sign` signs the packages after the build.

use anyhow::{bail, Context, Result};
use bpaf::Parser;
use camino::{Utf8Path, Utf8PathBuf};

use super::concern::Cx;
use super::flag;
use crate::infra::exec::{Failed, Shell};
use crate::infra::json::{self, json, Value};
use crate::infra::record::Record;

/// The key to sign with, as given.
pub type Flags = Option<String>;

pub fn flags() -> impl Parser<Flags> {
    flag::text(
        "sign",
        "KEYID",
        "Sign the RPMs and the SRPM with this gpg key (rpmsign --addsign; GNUPGHOME honoured; a key that needs a passphrase is refused before the build)",
    )
}

/// The signer `--sign` asks for (none without it, nor in a dry run, which runs nothing).
pub type Part = Option<Signer>;

/// The signer, its key checked by signing the xtask's own program; says which key signs.
pub fn part(flags: &Flags, cx: &Cx) -> Result<Part> {
    match flags {
        Some(key) if !cx.sh.dry_run => {
            let probe = std::env::current_exe().context("finding the xtask's own program")?;
            let probe = Utf8PathBuf::try_from(probe).context("the xtask's own program")?;
            let signer = prepare(cx.sh, key, &probe)?;
            eprintln!("sign: with {} ({})", signer.key, signer.fingerprint);
            Ok(Some(signer))
        }
        _ => Ok(None),
    }
}

/// What `--verbose`'s plan calls this concern's line.
pub const SAYS: &str = "sign";

/// The key, and its fingerprint once checked (a dry run checks none).
pub fn describe(key: &Flags, signer: &Part) -> String {
    match (key, signer) {
        (None, _) => "no".into(),
        (Some(key), None) => format!("with {key} (not checked: a dry run)"),
        (Some(_), Some(s)) => format!("with {} ({})", s.key, s.fingerprint),
    }
}

/// Who signed the packages: the key as given and its fingerprint. None: unsigned.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SignedBy {
    pub key: String,
    pub fingerprint: String,
}

/// What a build of `key` by `signer` records: the key as given, the fingerprint as checked
/// (none in a dry run, which checks nothing).
pub fn record(key: &Flags, signer: Option<&Signer>) -> Option<SignedBy> {
    key.as_ref().map(|key| SignedBy {
        key: key.clone(),
        fingerprint: signer.map(|s| s.fingerprint.clone()).unwrap_or_default(),
    })
}

/// The manifest's `signed_by`: the record, or null for unsigned packages. Packages are this
/// build's when signed by the same key (its name and fingerprint), or unsigned both.
impl Record for Option<SignedBy> {
    const LABEL: &'static str = "signing key";

    fn write(&self) -> Vec<(&'static str, Value)> {
        let v = match self {
            Some(r) => json!({"key": r.key, "fingerprint": r.fingerprint}),
            None => Value::Null,
        };
        vec![("signed_by", v)]
    }

    fn read(doc: &Value) -> Result<Self> {
        json::nullable(doc, "signed_by", |v| {
            Ok(SignedBy {
                key: json::text(v, "key")?,
                fingerprint: json::text(v, "fingerprint")?,
            })
        })
    }

    /// The same key as given, and the same key behind it: a key replaced under the same name
    /// (a new subkey, another keyring) signs anew. A dry run, which asks gpg nothing, knows no
    /// fingerprint and compares the name alone.
    fn same(&self, next: &Self) -> bool {
        match (self, next) {
            (None, None) => true,
            (Some(was), Some(now)) => {
                was.key == now.key
                    && (now.fingerprint.is_empty() || was.fingerprint == now.fingerprint)
            }
            _ => false,
        }
    }
}

/// gpg in batch mode, failing rather than asking for a passphrase.
pub const BATCH: &str = "--batch --pinentry-mode error";

/// A key gpg can sign with, unattended.
#[derive(Debug, Clone)]
pub struct Signer {
    pub key: String,
    pub fingerprint: String,
    pub gpg: Utf8PathBuf,
    pub rpmsign: Utf8PathBuf,
}

/// The fingerprint of the first secret key in `gpg --list-secret-keys --with-colons`.
fn fingerprint_of(colons: &str) -> Option<String> {
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
