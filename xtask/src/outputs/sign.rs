//! `--sign KEYID`: the RPMs and the SRPM signed with rpm's own signing (`rpmsign --addsign`
//! through gpg, `GNUPGHOME` honoured), never with a passphrase prompt, by the signer the plan
//! checked before anything was built (`plan::sign`).

use anyhow::{Context, Result};
use camino::{Utf8Path, Utf8PathBuf};

use crate::infra::exec::{rpm_path, Failed, Shell};
use crate::plan::sign::{explain_gpg, Signer, BATCH};

/// Signs what rpmbuild wrote in `work` when there is a signer.
pub fn sign_if(
    sh: Shell,
    signer: Option<&Signer>,
    work: &Utf8Path,
    timer: &mut crate::infra::progress::PhaseTimer,
) -> Result<()> {
    let Some(signer) = signer else {
        return Ok(());
    };
    sign(sh, signer, &crate::rpmbuild::packages_in(work)?)?;
    timer.end("sign");
    Ok(())
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
