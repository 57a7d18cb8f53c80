//! Reading a file the user or the tree names, without hanging: a FIFO (or a device) where a
//! file should be blocks `read` for ever, so only regular files (or links to them) are read, and
//! copied (`copy_dir`).

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

/// What `copy_dir` made, or passed over.
pub enum Copied<'a> {
    Dir(&'a Utf8Path),
    File(&'a Utf8Path),
    /// A link to a directory, not followed (it may lead back up the tree).
    LinkedDir(&'a Utf8Path),
}

/// Copies the directories and regular files under `from` into `to` (links to files followed;
/// links to directories, devices and pipes left out), handing each to `visit` as it goes.
pub fn copy_dir(
    from: &Utf8Path,
    to: &Utf8Path,
    visit: &mut dyn FnMut(Copied) -> anyhow::Result<()>,
) -> anyhow::Result<()> {
    use anyhow::Context;
    std::fs::create_dir_all(to).with_context(|| format!("creating {to}"))?;
    visit(Copied::Dir(to))?;
    for entry in from
        .read_dir_utf8()
        .with_context(|| format!("reading {from}"))?
    {
        let entry = entry.with_context(|| format!("reading {from}"))?;
        let source = entry.path();
        let dest = to.join(entry.file_name());
        let meta =
            std::fs::metadata(source).with_context(|| format!("{source} is a link to nothing"))?;
        let link = entry
            .file_type()
            .with_context(|| format!("reading {source}"))?
            .is_symlink();
        if meta.is_dir() && link {
            visit(Copied::LinkedDir(source))?;
        } else if meta.is_dir() {
            copy_dir(source, &dest, visit)?;
        } else if meta.is_file() {
            std::fs::copy(source, &dest)
                .with_context(|| format!("{source} cannot be read: make it readable to you"))?;
            visit(Copied::File(&dest))?;
        }
    }
    Ok(())
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
