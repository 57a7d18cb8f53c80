//! `--sign KEYID`: packages signed with rpm's own signing through a real gpg and a throwaway
//! key, checked with `rpm -K` after importing the public key; a key that needs a passphrase or
//! does not exist stops the build before anything is built.

use std::path::Path;

use crate::support::*;

/// A GNUPGHOME with a key without passphrase (`nopass@xtask.invalid`) and one with
/// (`locked@xtask.invalid`).
fn keys(dir: &Path) -> std::path::PathBuf {
    let home = dir.join("gnupg");
    std::fs::create_dir_all(&home).unwrap();
    sh(dir, &format!("chmod 700 '{}'", home.display()));
    let gpg = format!("GNUPGHOME='{}' gpg --batch --quiet", home.display());
    sh(
        dir,
        &format!("{gpg} --passphrase '' --quick-gen-key 'xtask test <nopass@xtask.invalid>' rsa2048 sign never 2>&1"),
    );
    sh(
        dir,
        &format!("{gpg} --passphrase secret --pinentry-mode loopback --quick-gen-key 'xtask locked <locked@xtask.invalid>' rsa2048 sign never 2>&1"),
    );
    home
}

#[test]
fn packages_are_signed_and_verify() {
    let dir = scratch("signing");
    let home = keys(&dir);
    let tree = git_tree(&dir);
    let target = dir.join("target");
    let out = dir.join("out");
    let env = [("GNUPGHOME", home.to_str().unwrap())];

    let mut args = native_rpm_args(&tree, &out);
    args.extend(["--sign", "nopass@xtask.invalid"]);
    let run = must(xtask(&args, &target, &env));
    assert!(
        run.stderr
            .contains("signed: 8 packages with nopass@xtask.invalid"),
        "{}",
        run.stderr
    );
    let text = std::fs::read_to_string(out.join("manifest.json")).unwrap();
    let manifest = manifest_json(&text);
    let fingerprint = manifest["signed_by"]["fingerprint"]
        .as_str()
        .unwrap()
        .to_string();
    assert_eq!(fingerprint.len(), 40, "{text}");

    // rpm checks the signatures once it knows the public key (a database of the test's own).
    let db = dir.join("rpmdb");
    std::fs::create_dir_all(&db).unwrap();
    sh(
        &dir,
        &format!(
            "GNUPGHOME='{}' gpg --batch --armor --export nopass@xtask.invalid > key.asc && rpm --dbpath '{}' --import key.asc",
            home.display(),
            db.display()
        ),
    );
    for (path, kind, sha) in manifest_artifacts(&text) {
        if kind != "rpm" && kind != "srpm" {
            continue;
        }
        let checked = sh(
            &out,
            &format!("rpm --dbpath '{}' -Kv '{path}'", db.display()),
        );
        assert!(
            checked.contains("Header V4 RSA/SHA")
                && checked.contains(" Signature, key ID ")
                && checked.contains(": OK"),
            "{path}: {checked}"
        );
        // The key id rpm names is the tail of the fingerprint the manifest records.
        let id = checked
            .split("key ID ")
            .nth(1)
            .unwrap()
            .split(':')
            .next()
            .unwrap();
        assert!(
            fingerprint.to_lowercase().ends_with(id),
            "{id} vs {fingerprint}"
        );
        assert!(
            !checked.contains("NOKEY") && !checked.contains("BAD"),
            "{path}: {checked}"
        );
        let got = sh(&out, &format!("sha256sum '{path}'"));
        assert!(
            got.starts_with(&sha),
            "the manifest records the signed bytes: {path}"
        );
    }
    // Without the key imported, rpm says the signature's key is unknown: it is really there.
    let rpm = manifest_artifacts(&text)
        .into_iter()
        .find(|a| a.1 == "srpm")
        .unwrap()
        .0;
    let empty = dir.join("emptydb");
    std::fs::create_dir_all(&empty).unwrap();
    let unknown = sh(
        &out,
        &format!("rpm --dbpath '{}' -K '{rpm}' 2>&1 || true", empty.display()),
    );
    assert!(
        unknown.contains("NOKEY") || unknown.contains("SIGNATURES NOT OK"),
        "{unknown}"
    );

    // Again with the same key: up to date. With another key under the same name (a new
    // keyring, a rotated key): signed anew, with the new key's fingerprint recorded.
    let again = must(xtask(&args, &target, &env));
    let said = format!("{}{}", again.stdout, again.stderr);
    assert!(said.contains("up to date: "), "{said}");
    let rotated = dir.join("rotated");
    std::fs::create_dir_all(&rotated).unwrap();
    let other = keys(&rotated);
    let env = [("GNUPGHOME", other.to_str().unwrap())];
    let resigned = must(xtask(&args, &target, &env));
    let said = format!("{}{}", resigned.stdout, resigned.stderr);
    assert!(said.contains("(different: signing key)"), "{said}");
    assert!(!said.contains("up to date: "), "{said}");
    let text = std::fs::read_to_string(out.join("manifest.json")).unwrap();
    let now = manifest_json(&text)["signed_by"]["fingerprint"]
        .as_str()
        .unwrap()
        .to_string();
    assert_eq!(now.len(), 40, "{text}");
    assert_ne!(now, fingerprint, "the new key's fingerprint is recorded");
}

#[test]
fn a_key_that_would_ask_or_does_not_exist_stops_the_build_first() {
    let dir = scratch("signing-bad");
    let home = keys(&dir);
    let tree = git_tree(&dir);
    let target = dir.join("target");
    let out = dir.join("out");
    let env = [("GNUPGHOME", home.to_str().unwrap())];
    for (key, says) in [
        ("locked@xtask.invalid", "error: the key locked@xtask.invalid needs a passphrase, and an unattended build cannot type it"),
        ("nobody@xtask.invalid", "error: gpg has no secret key nobody@xtask.invalid"),
    ] {
        let mut args = native_rpm_args(&tree, &out);
        args.extend(["--sign", key]);
        let run = xtask(&args, &target, &env);
        assert_eq!(run.code, Some(1), "{}", run.stderr);
        assert!(run.error().starts_with(says), "{}", run.stderr);
        assert!(!run.stderr.contains("archive:"), "it packed before refusing: {}", run.stderr);
        assert!(!out.exists(), "something was published");
        // gpg removes its output file when it fails to sign: the probe must not name one.
        use std::os::unix::fs::FileTypeExt;
        let null = std::fs::metadata("/dev/null").unwrap().file_type();
        assert!(null.is_char_device(), "/dev/null was replaced");
    }
}
