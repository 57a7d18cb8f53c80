//! Reading a file the user or the tree names, without hanging: a FIFO (or a device) where a
//! file should be blocks `read` for ever, so only regular files (or links to them) are read.

use std::io::{Error, ErrorKind, Result};

use camino::Utf8Path;

fn check(path: &Utf8Path) -> Result<()> {
    let meta = std::fs::metadata(path)?;
    match meta.is_file() {
        true => Ok(()),
        false => Err(Error::new(
            ErrorKind::InvalidInput,
            "not a regular file (a directory, a device or a pipe?)",
        )),
    }
}

/// The bytes of a regular file.
pub fn read(path: &Utf8Path) -> Result<Vec<u8>> {
    check(path)?;
    std::fs::read(path)
}

/// The text of a regular file.
pub fn read_to_string(path: &Utf8Path) -> Result<String> {
    check(path)?;
    std::fs::read_to_string(path)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_regular_files_are_read() {
        let dir = std::env::temp_dir().join(format!("regular-{}", std::process::id()));
        let dir = camino::Utf8PathBuf::try_from(dir).unwrap();
        std::fs::create_dir_all(&dir).unwrap();
        std::fs::write(dir.join("f"), "text").unwrap();
        std::os::unix::fs::symlink(dir.join("f"), dir.join("link")).unwrap();
        let fifo = dir.join("fifo");
        assert!(std::process::Command::new("mkfifo")
            .arg(fifo.as_str())
            .status()
            .unwrap()
            .success());
        assert_eq!(read_to_string(&dir.join("f")).unwrap(), "text");
        assert_eq!(read(&dir.join("link")).unwrap(), b"text");
        // Returns at once, never blocks.
        assert_eq!(read(&fifo).unwrap_err().kind(), ErrorKind::InvalidInput);
        assert_eq!(read(&dir).unwrap_err().kind(), ErrorKind::InvalidInput);
        assert_eq!(
            read(&dir.join("none")).unwrap_err().kind(),
            ErrorKind::NotFound
        );
        std::fs::remove_dir_all(&dir).unwrap();
    }
}
