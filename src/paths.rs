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
