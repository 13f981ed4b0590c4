//! The dirs dockmux made links in, so that a link made with `--dir D` is
//! found by every later command that looks for links (`unlink`, `link
//! --prune`, `uninstall`, `doctor`, `rename`, `remove --unlink`) even when D
//! is on no PATH and `--dir D` is not given again.
//!
//! One index per user, `${XDG_STATE_HOME:-~/.local/state}/dockmux/link-dirs`;
//! root's links serve every user, so root's index sits beside the system
//! config (`/etc/dockmux/link-dirs`). A line is an absolute directory and
//! only a hint: what in it is dockmux's is still decided by that dir's own
//! record and each link's check (link_record.rs, links.rs). The index is
//! read only when nothing another user can write leads to it (secure.rs),
//! and written atomically under a lock.

use std::ffi::OsStr;
use std::os::unix::ffi::OsStrExt;
use std::path::{Component, Path, PathBuf};

use crate::error::{Error, Result};
use crate::files::atomic::{self, NewFile};
use crate::files::lock::Lock;

const FILE: &str = "link-dirs";
/// Far above any real index (a line per link dir), far below a cost.
const MAX_BYTES: usize = 1 << 20;

/// The caller's index. None without an absolute HOME (then links are found
/// through `--dir` only, as before), and in unit tests, which must not touch
/// the index of whoever runs them.
fn path() -> Option<(PathBuf, NewFile)> {
    if cfg!(test) {
        return None;
    }
    if crate::files::secure::euid() == 0 {
        let system = crate::config::Sources::from_env().system;
        return Some((
            crate::files::paths::parent(&system).join(FILE),
            atomic::SHARED,
        ));
    }
    let state = match crate::files::paths::env("XDG_STATE_HOME") {
        Some(x) if x.is_absolute() => x,
        _ => crate::files::paths::env("HOME")
            .filter(|h| h.is_absolute())?
            .join(".local/state"),
    };
    Some((state.join("dockmux").join(FILE), atomic::PRIVATE))
}

/// The existing dirs the caller's index names.
pub fn dirs() -> Vec<PathBuf> {
    let Some((path, _)) = path() else {
        return Vec::new();
    };
    read(&path).into_iter().filter(|d| d.is_dir()).collect()
}

/// Notes that `dir` holds links dockmux made (`holds`), or no longer does.
/// Entries for dirs without a record of links any more are dropped on the way.
pub fn note(dir: &Path, holds: bool) -> Result<()> {
    match path() {
        Some((path, new)) => note_in(&path, new, dir, holds),
        None => Ok(()),
    }
}

fn note_in(index: &Path, new: NewFile, dir: &Path, holds: bool) -> Result<()> {
    let Some(dir) = absolute(dir) else {
        return Ok(());
    };
    if read(index).contains(&dir) == holds {
        return Ok(());
    }
    if let Err(refusal) = crate::files::secure::check_to_write(index) {
        return Err(refusal.into_error(
            || format!("the index of link dirs {}", index.display()),
            |p, e| Error::io(format!("cannot check {}", p.display()), e),
        ));
    }
    let mut lock = Lock::acquire(index, new.dir_mode)?;
    let mut dirs = read(index);
    dirs.retain(|d| *d != dir && d.join(crate::install::links::record::FILE).is_file());
    if holds {
        dirs.push(dir);
    }
    if dirs.is_empty() {
        // No links left anywhere: no index either.
        return match std::fs::remove_file(index) {
            Err(e) if e.kind() != std::io::ErrorKind::NotFound => {
                Err(Error::io(format!("cannot remove {}", index.display()), e))
            }
            _ => Ok(()),
        };
    }
    let mut text =
        String::from("# The dirs dockmux made links in (each has its .dockmux-links).\n");
    for d in &dirs {
        // Line-based: a dir whose name holds a newline is not indexed.
        match d.to_str() {
            Some(s) if !s.contains('\n') => {
                text.push_str(s);
                text.push('\n');
            }
            _ => {}
        }
    }
    atomic::write(&atomic::resolve(index)?, text.as_bytes(), new)?;
    lock.keep_dirs();
    Ok(())
}

/// The dirs in the index at `path`; none when it is missing or another
/// user could have written it.
fn read(path: &Path) -> Vec<PathBuf> {
    if !crate::files::secure::check(path).is_ok_and(|f| f.is_file()) {
        return Vec::new();
    }
    let Ok(contents) = crate::files::safe_read::read(path, MAX_BYTES) else {
        return Vec::new();
    };
    contents
        .bytes
        .split(|b| *b == b'\n')
        .filter(|l| l.first() == Some(&b'/'))
        .map(|l| PathBuf::from(OsStr::from_bytes(l)))
        .filter(|p| plain(p))
        .collect()
}

/// An absolute path with no `.` or `..` in it.
fn plain(p: &Path) -> bool {
    p.components()
        .all(|c| matches!(c, Component::RootDir | Component::Normal(_)))
}

fn absolute(dir: &Path) -> Option<PathBuf> {
    std::fs::canonicalize(dir).ok().filter(|d| plain(d))
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::os::unix::fs::PermissionsExt;

    #[test]
    fn dirs_are_noted_dropped_and_never_read_from_a_file_others_can_write() {
        let t = tempfile::tempdir().unwrap();
        std::fs::set_permissions(t.path(), std::fs::Permissions::from_mode(0o700)).unwrap();
        let index = t.path().join("state/link-dirs");
        let (a, b) = (t.path().join("a"), t.path().join("b"));
        for d in [&a, &b] {
            std::fs::create_dir(d).unwrap();
            std::fs::write(d.join(crate::install::links::record::FILE), "").unwrap();
        }
        note_in(&index, atomic::PRIVATE, &a, true).unwrap();
        note_in(&index, atomic::PRIVATE, &b, true).unwrap();
        assert_eq!(read(&index), [a.clone(), b.clone()]);
        // A dir whose record is gone is dropped when the index is next written.
        std::fs::remove_file(b.join(crate::install::links::record::FILE)).unwrap();
        note_in(&index, atomic::PRIVATE, &a, false).unwrap();
        assert!(!index.exists());
        note_in(&index, atomic::PRIVATE, &a, true).unwrap();
        std::fs::set_permissions(&index, std::fs::Permissions::from_mode(0o666)).unwrap();
        assert!(read(&index).is_empty());
        assert!(note_in(&index, atomic::PRIVATE, &b, true).is_err());
        std::fs::write(&index, "relative\n/x/../etc\n/ok\n").unwrap();
        std::fs::set_permissions(&index, std::fs::Permissions::from_mode(0o600)).unwrap();
        assert_eq!(read(&index), [PathBuf::from("/ok")]);
    }
}
