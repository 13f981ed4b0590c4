//! Small path facts several commands need: where an environment variable
//! points, a file's directory, whether two paths are the same file.

use std::os::unix::fs::MetadataExt;
use std::path::{Path, PathBuf};

/// A set, non-empty environment variable, as a path (`HOME=` counts as unset).
pub fn env(key: &str) -> Option<PathBuf> {
    std::env::var_os(key)
        .filter(|v| !v.is_empty())
        .map(PathBuf::from)
}

/// Where the caller's own programs go by default: /usr/local/bin for
/// root (which non-interactive ssh finds), else ~/.local/bin; None without
/// an absolute HOME. `install` puts dockmux there, and links go there when
/// dockmux came from a package (whose directory is the package manager's).
pub fn own_bin_dir() -> Option<PathBuf> {
    if crate::files::secure::euid() == 0 {
        return Some(PathBuf::from("/usr/local/bin"));
    }
    env("HOME")
        .filter(|h| h.is_absolute())
        .map(|h| h.join(".local/bin"))
}

/// The directory holding `path`: `.` for a bare file name.
pub fn parent(path: &Path) -> &Path {
    match path.parent() {
        Some(p) if !p.as_os_str().is_empty() => p,
        _ => Path::new("."),
    }
}

/// Do both paths name the same existing file (device and inode), whatever
/// links or spellings lead there?
pub fn same_file(a: &Path, b: &Path) -> bool {
    match (std::fs::metadata(a), std::fs::metadata(b)) {
        (Ok(x), Ok(y)) => x.dev() == y.dev() && x.ino() == y.ino(),
        _ => false,
    }
}

/// May this process create and remove entries in `dir`? (access(2), which
/// also says no on a read-only file system, for root too.)
pub fn writable(dir: &Path) -> bool {
    let Ok(c) = std::ffi::CString::new(std::os::unix::ffi::OsStrExt::as_bytes(dir.as_os_str()))
    else {
        return false;
    };
    // SAFETY: c is a valid NUL-terminated path.
    unsafe { libc::access(c.as_ptr(), libc::W_OK | libc::X_OK) == 0 }
}
