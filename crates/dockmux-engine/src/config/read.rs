//! Reading a config file: refused unless only its owner and root could have
//! written it (secure.rs), refused when too large, read in one go.

use std::fs::File;
use std::os::unix::fs::{MetadataExt, OpenOptionsExt};
use std::path::Path;

use super::MAX_CONFIG_BYTES;
use super::clash::place_of_bytes;
use crate::error::{Error, Result};
use crate::files::secure::{self, Walked};

/// Opens a candidate file, refuses it if others could have written it or it
/// is too large, reads it. `Ok(None)` when it does not exist.
/// `walked`: see [`secure::check_with`].
pub(super) fn read_checked(path: &Path, walked: &mut Walked) -> Result<Option<String>> {
    let read_err = |source| Error::ConfigRead {
        path: path.to_path_buf(),
        source,
    };
    // Non-blocking: opening a FIFO put where the config belongs would
    // otherwise wait for a writer forever; fstat below refuses it.
    let opened = std::fs::OpenOptions::new()
        .read(true)
        .custom_flags(libc::O_NONBLOCK)
        .open(path);
    let file = match opened {
        Ok(f) => f,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(None),
        Err(e) => return Err(read_err(e)),
    };
    let meta = file.metadata().map_err(read_err)?;
    if !meta.is_file() {
        return Err(Error::Usage(format!(
            "config {} is not a regular file; move it away or point DOCKMUX_CONFIG at the file",
            path.display()
        )));
    }
    let walked = secure::check_with(path, walked)
        .map_err(|r| r.into_error(|| path.display().to_string(), |_, e| read_err(e)))?;
    if (walked.dev, walked.ino) != (meta.dev(), meta.ino()) {
        return Err(read_err(std::io::Error::other(
            "it was replaced while being read; run the command again",
        )));
    }
    check_size(path, meta.len())?;
    let bytes = read_all(&file, meta.len()).map_err(read_err)?;
    // It grew past the cap after fstat.
    check_size(path, bytes.len() as u64)?;
    String::from_utf8(bytes)
        .map(Some)
        .map_err(|e| Error::ConfigAt {
            place: place_of_bytes(Some(path), e.as_bytes(), e.utf8_error().valid_up_to()),
            message: "the config is not valid UTF-8; save it as UTF-8".to_string(),
        })
}

pub(super) fn check_size(path: &Path, size: u64) -> Result<()> {
    if size > MAX_CONFIG_BYTES {
        return Err(Error::ConfigTooLarge {
            path: path.to_path_buf(),
            size,
            cap: MAX_CONFIG_BYTES,
        });
    }
    Ok(())
}

/// Reads a file whose size fstat already told, straight into the buffer, and
/// at most one byte past the cap (so a file that grows is caught, not read
/// whole): read_to_end would ask the kernel for size and offset again and
/// read in growing chunks, and zeroing a buffer first costs a pass over it.
fn read_all(file: &File, size: u64) -> std::io::Result<Vec<u8>> {
    use std::os::fd::AsRawFd;
    let limit = MAX_CONFIG_BYTES as usize + 1;
    let size = usize::try_from(size).unwrap_or(limit).min(limit);
    let mut bytes = Vec::with_capacity(size.saturating_add(1).min(limit));
    while bytes.len() < limit {
        if bytes.len() == bytes.capacity() {
            // It grew since fstat.
            bytes.reserve(bytes.capacity().max(4096));
        }
        let want = limit - bytes.len();
        let spare = bytes.spare_capacity_mut();
        let room = spare.len().min(want);
        // SAFETY: read(2) writes at most room <= spare.len() bytes into the spare capacity.
        let n = unsafe { libc::read(file.as_raw_fd(), spare.as_mut_ptr().cast(), room) };
        match n {
            0 => return Ok(bytes),
            // SAFETY: the first n bytes of the spare capacity were just written.
            1.. => unsafe { bytes.set_len(bytes.len() + n as usize) },
            _ => {
                let e = std::io::Error::last_os_error();
                if e.kind() != std::io::ErrorKind::Interrupted {
                    return Err(e);
                }
            }
        }
    }
    Ok(bytes)
}
