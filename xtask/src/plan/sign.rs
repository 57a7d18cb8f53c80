//! `--sign KEYID`: the concern's flag, its part of the plan, and its record in the manifest.
//! `outputs::sign` checks the key before the build and signs the packages after it.

use crate::infra::json::{json, Value};
use anyhow::Result;
use bpaf::Parser;

use super::flag;
use crate::infra::json;

/// The key to sign with, as given.
pub fn flags() -> impl Parser<Option<String>> {
    flag::text(
        "sign",
        "KEYID",
        "Sign the RPMs and the SRPM with this gpg key (rpmsign --addsign; GNUPGHOME honoured; a key that needs a passphrase is refused before the build)",
    )
}

/// Whether packages signed as `recorded` says (None: unsigned) are what `wanted` asks for:
/// the same key as given, or unsigned both.
pub fn same(recorded: Option<&SignedBy>, wanted: &Option<String>) -> bool {
    recorded.map(|r| r.key.as_str()) == wanted.as_deref()
}

/// Who signed the packages: the key as given and its fingerprint.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SignedBy {
    pub key: String,
    pub fingerprint: String,
}

impl SignedBy {
    /// The manifest's `signed_by`: the record, or null for unsigned packages.
    pub fn to_json(record: Option<&SignedBy>) -> Value {
        match record {
            Some(r) => json!({"key": r.key, "fingerprint": r.fingerprint}),
            None => Value::Null,
        }
    }

    pub fn from_json(v: &Value) -> Result<SignedBy> {
        Ok(SignedBy {
            key: json::text(v, "key")?,
            fingerprint: json::text(v, "fingerprint")?,
        })
    }
}
