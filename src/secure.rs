//! Refuses config files others could have written (ssh's StrictModes is the
//! model): the config decides where every docker command, credentials
//! included, is sent.

use std::fs::Metadata;
use std::os::unix::fs::{MetadataExt, PermissionsExt};
use std::path::Path;

use crate::error::{Error, Result};

pub fn euid() -> u32 {
    // SAFETY: geteuid cannot fail and has no preconditions.
    unsafe { libc::geteuid() }
}

/// What is wrong with a file or directory's ownership or mode, and the command that fixes it.
pub fn problem(path: &Path, meta: &Metadata) -> Option<(String, String)> {
    let me = euid();
    let what = if meta.is_dir() { "directory" } else { "file" };
    if meta.uid() != 0 && meta.uid() != me {
        return Some((
            format!(
                "{what} {} is owned by uid {}, not by you (uid {me}) or root",
                path.display(),
                meta.uid()
            ),
            format!("chown {me} {}", path.display()),
        ));
    }
    let mode = meta.permissions().mode();
    // A sticky directory (like /tmp) is fine: others cannot replace our file in it.
    let sticky = meta.is_dir() && mode & 0o1000 != 0;
    if mode & 0o022 != 0 && !sticky {
        let who = if mode & 0o002 != 0 {
            "everyone"
        } else {
            "its group"
        };
        return Some((
            format!(
                "{what} {} is writable by {who} (mode {:o})",
                path.display(),
                mode & 0o7777
            ),
            format!("chmod go-w {}", path.display()),
        ));
    }
    None
}

/// Checks an opened config file (`meta` from fstat), its directory and, when
/// `path` is a symlink, the real file's directory too.
pub fn check_config(path: &Path, meta: &Metadata) -> Result<()> {
    let refuse = |(problem, fix): (String, String)| Error::InsecureConfig {
        path: path.to_path_buf(),
        problem,
        fix,
    };
    if let Some(p) = problem(path, meta) {
        return Err(refuse(p));
    }
    let mut dirs = vec![crate::paths::parent(path).to_path_buf()];
    let is_link = std::fs::symlink_metadata(path)
        .map(|m| m.file_type().is_symlink())
        .unwrap_or(false);
    if is_link {
        let real = std::fs::canonicalize(path).map_err(|e| Error::ConfigRead {
            path: path.to_path_buf(),
            source: e,
        })?;
        dirs.push(crate::paths::parent(&real).to_path_buf());
    }
    for dir in dirs {
        if let Ok(m) = std::fs::metadata(&dir)
            && let Some(p) = problem(&dir, &m)
        {
            return Err(refuse(p));
        }
    }
    Ok(())
}
