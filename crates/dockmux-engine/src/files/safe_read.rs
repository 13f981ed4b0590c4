//! Reading a file whose path someone else chose (another user's dockerd
//! names its `--config-file`; /proc and the trees `discover --root` reads
//! hold anything): only a regular file, never blocking, never more than a
//! cap. A FIFO would block the open forever, `/dev/zero` never ends, and
//! opening some devices acts (a watchdog starts counting), so the path is
//! first opened with O_PATH — which opens nothing — and only a regular file
//! is then opened for reading, through that very descriptor.

use std::fs::{File, Metadata, OpenOptions};
use std::io::Read;
use std::os::fd::AsRawFd;
use std::os::unix::fs::{FileTypeExt, MetadataExt, OpenOptionsExt};
use std::path::Path;

/// What was read.
pub struct Contents {
    pub bytes: Vec<u8>,
    /// The file's owner.
    pub uid: u32,
    /// The file held more than the cap; `bytes` is its first `cap` bytes.
    pub truncated: bool,
}

/// Why a file was not read.
#[derive(Debug)]
pub enum Skipped {
    Missing,
    /// Not a regular file: what it is ("a FIFO", "a device"…).
    NotRegular(&'static str),
    /// Its size (first) says it is over the cap (second).
    TooLarge(u64, usize),
    Io(std::io::Error),
}

impl std::fmt::Display for Skipped {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Skipped::Missing => write!(f, "no such file"),
            Skipped::NotRegular(what) => write!(f, "{what}, not a regular file; not read"),
            Skipped::TooLarge(n, cap) => {
                write!(
                    f,
                    "{n} bytes, more than the {} KiB read at most; not read",
                    cap >> 10
                )
            }
            Skipped::Io(e) => write!(f, "{e}"),
        }
    }
}

/// The regular file at `path` (symlinks followed), if it is at most `cap`
/// bytes: a bigger one is not read at all; one that reports a smaller size
/// (as /proc files report 0) is read up to `cap`.
pub fn read(path: &Path, cap: usize) -> Result<Contents, Skipped> {
    read_within(path, cap, true)
}

/// The first `cap` bytes (at most) of the regular file at `path`, whatever its size.
pub fn read_start(path: &Path, cap: usize) -> Result<Contents, Skipped> {
    read_within(path, cap, false)
}

fn read_within(path: &Path, cap: usize, whole: bool) -> Result<Contents, Skipped> {
    let handle = OpenOptions::new()
        .read(true)
        .custom_flags(libc::O_PATH)
        .open(path)
        .map_err(|e| match e.kind() {
            std::io::ErrorKind::NotFound => Skipped::Missing,
            _ => Skipped::Io(e),
        })?;
    let meta = handle.metadata().map_err(Skipped::Io)?;
    if !meta.is_file() {
        return Err(Skipped::NotRegular(kind(&meta)));
    }
    if whole && meta.len() > cap as u64 {
        return Err(Skipped::TooLarge(meta.len(), cap));
    }
    let file = reopen(&handle, path, &meta)?;
    let mut bytes = Vec::new();
    file.take(cap as u64 + 1)
        .read_to_end(&mut bytes)
        .map_err(Skipped::Io)?;
    let truncated = bytes.len() > cap;
    bytes.truncate(cap);
    Ok(Contents {
        bytes,
        uid: meta.uid(),
        truncated,
    })
}

/// The file `handle` (O_PATH) stands for, open for reading, non-blocking.
fn reopen(handle: &File, path: &Path, meta: &Metadata) -> Result<File, Skipped> {
    let open = |p: &Path| {
        OpenOptions::new()
            .read(true)
            .custom_flags(libc::O_NONBLOCK | libc::O_NOCTTY)
            .open(p)
    };
    let via_fd = format!("/proc/self/fd/{}", handle.as_raw_fd());
    match open(Path::new(&via_fd)) {
        Ok(f) => Ok(f),
        // Without /proc: the path again, then make sure it is still the same file.
        Err(_) => {
            let f = open(path).map_err(Skipped::Io)?;
            let again = f.metadata().map_err(Skipped::Io)?;
            if (again.dev(), again.ino()) != (meta.dev(), meta.ino()) {
                return Err(Skipped::Io(std::io::Error::other(
                    "it was replaced while being read",
                )));
            }
            Ok(f)
        }
    }
}

fn kind(meta: &Metadata) -> &'static str {
    let t = meta.file_type();
    if t.is_dir() {
        "a directory"
    } else if t.is_fifo() {
        "a FIFO"
    } else if t.is_socket() {
        "a socket"
    } else if t.is_char_device() || t.is_block_device() {
        "a device"
    } else {
        "not a file"
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_regular_files_are_read_and_never_past_the_cap() {
        let dir = tempfile::tempdir().unwrap();
        let f = dir.path().join("f");
        std::fs::write(&f, "0123456789").unwrap();
        let c = read(&f, 64).unwrap();
        assert_eq!(
            (c.bytes.as_slice(), c.truncated),
            (&b"0123456789"[..], false)
        );
        assert!(matches!(read(&f, 4), Err(Skipped::TooLarge(10, 4))));
        let c = read_start(&f, 4).unwrap();
        assert_eq!((c.bytes.as_slice(), c.truncated), (&b"0123"[..], true));
        // /proc files say they are empty; the cap still holds.
        let c = read(Path::new("/proc/self/cmdline"), 3).unwrap();
        assert_eq!(c.bytes.len(), 3);
        assert!(c.truncated);

        let fifo = dir.path().join("fifo");
        let c_path = std::ffi::CString::new(fifo.to_str().unwrap()).unwrap();
        // SAFETY: a valid NUL-terminated path.
        assert_eq!(unsafe { libc::mkfifo(c_path.as_ptr(), 0o600) }, 0);
        assert!(matches!(
            read(&fifo, 64),
            Err(Skipped::NotRegular("a FIFO"))
        ));
        assert!(matches!(
            read(Path::new("/dev/zero"), 64),
            Err(Skipped::NotRegular("a device"))
        ));
        assert!(matches!(
            read(dir.path(), 64),
            Err(Skipped::NotRegular("a directory"))
        ));
        assert!(matches!(
            read(&dir.path().join("none"), 64),
            Err(Skipped::Missing)
        ));
    }
}
