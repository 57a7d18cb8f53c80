//! Digests in hex, of files and of data: SHA-256 for what the manifest records and what tags
//! name, MD5 and SHA-1 for the checksums Asterisk's tree gives its downloads. One reader for all.

use std::io::Read;

use anyhow::{Context, Result};
use camino::Utf8Path;
use md5::Md5;
use sha1::Sha1;
use sha2::{Digest, Sha256};

/// The SHA-256 of data given in parts (a separator between parts is the caller's).
pub fn sha256_of_parts(parts: &[&[u8]]) -> String {
    let mut hasher = Sha256::new();
    for part in parts {
        hasher.update(part);
    }
    hex(&hasher.finalize())
}

/// The SHA-1 of data given in parts (git's blob ids, SPDX's verification code).
pub fn sha1_of_parts(parts: &[&[u8]]) -> String {
    let mut hasher = Sha1::new();
    for part in parts {
        hasher.update(part);
    }
    hex(&hasher.finalize())
}

/// A SHA-256 summed up piece by piece (the tree's digest), in hex when finished.
#[derive(Default)]
pub struct Sha256Sum(Sha256);

impl Sha256Sum {
    pub fn update(&mut self, data: impl AsRef<[u8]>) {
        self.0.update(data);
    }

    pub fn hex(self) -> String {
        hex(&self.0.finalize())
    }
}

/// The SHA-256 of a file's contents.
pub fn sha256_of_file(path: &Utf8Path) -> Result<String> {
    of_file::<Sha256>(path)
}

/// A file's size in bytes.
pub fn size_of_file(path: &Utf8Path) -> Result<u64> {
    Ok(std::fs::metadata(path)
        .with_context(|| format!("reading {path}"))?
        .len())
}

/// The MD5 of a file's contents.
pub fn md5_of_file(path: &Utf8Path) -> Result<String> {
    of_file::<Md5>(path)
}

/// The SHA-1 of a file's contents.
pub fn sha1_of_file(path: &Utf8Path) -> Result<String> {
    of_file::<Sha1>(path)
}

/// A file's digest; a Ctrl-C stops it between two reads.
fn of_file<D: Digest>(path: &Utf8Path) -> Result<String> {
    let mut file = std::fs::File::open(path).with_context(|| format!("reading {path}"))?;
    let mut hasher = D::new();
    let mut buf = vec![0u8; 1 << 16];
    loop {
        super::interrupt::check()?;
        let n = file
            .read(&mut buf)
            .with_context(|| format!("reading {path}"))?;
        if n == 0 {
            break;
        }
        hasher.update(&buf[..n]);
    }
    Ok(hex(&hasher.finalize()))
}

/// Bytes in lower-case hex.
pub fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn known_digests() {
        assert_eq!(
            sha256_of_parts(&[]),
            "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"
        );
        assert_eq!(
            sha256_of_parts(&[b"ab", b"c"]),
            "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"
        );
        let dir = camino::Utf8PathBuf::try_from(std::env::temp_dir()).unwrap();
        let file = dir.join(format!("xtask-digest-{}", std::process::id()));
        std::fs::write(&file, "abc").unwrap();
        assert_eq!(
            sha256_of_file(&file).unwrap(),
            "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"
        );
        // git hash-object of "abc": the blob id is SHA-1 over a header and the bytes.
        assert_eq!(
            sha1_of_parts(&[b"blob 3\0", b"abc"]),
            "f2ba8f84ab5c1bce84a7b441cb1959cfc7093b7f"
        );
        let mut sum = Sha256Sum::default();
        sum.update(b"a");
        sum.update("bc");
        assert_eq!(
            sum.hex(),
            "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"
        );
        assert_eq!(
            md5_of_file(&file).unwrap(),
            "900150983cd24fb0d6963f7d28e17f72"
        );
        assert_eq!(
            sha1_of_file(&file).unwrap(),
            "a9993e364706816aba3e25717850c26c9cd0d89d"
        );
        std::fs::remove_file(&file).unwrap();
    }
}
