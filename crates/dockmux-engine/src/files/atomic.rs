//! Replacing a file (configs, completion files, wrapper scripts) so that a
//! crash at any moment leaves either the old file or the new one, never a
//! mix: write a temp file in the same directory, fsync it, rename it over
//! the original, fsync the directory. The original's mode (and owner, when
//! root edits) is kept.

use std::fs::{DirBuilder, File, OpenOptions};
use std::io::{ErrorKind, Write};
use std::os::unix::fs::{DirBuilderExt, MetadataExt, OpenOptionsExt, PermissionsExt};
use std::path::{Path, PathBuf};

use crate::error::{Error, Result, permission_fix};
use crate::files::paths::parent;

/// Modes for a file that does not exist yet, and for directories created for it.
#[derive(Clone, Copy, Debug)]
pub struct NewFile {
    pub file_mode: u32,
    pub dir_mode: u32,
}

/// A user's own config: 0600 in a 0700 directory.
pub const PRIVATE: NewFile = NewFile {
    file_mode: 0o600,
    dir_mode: 0o700,
};

/// A system-wide config every user must read: 0644 in a 0755 directory.
pub const SHARED: NewFile = NewFile {
    file_mode: 0o644,
    dir_mode: 0o755,
};

/// A script every user may run: 0755 in a 0755 directory.
pub const EXECUTABLE: NewFile = NewFile {
    file_mode: 0o755,
    dir_mode: 0o755,
};

/// The file a write to `path` really replaces: a symlinked config is written
/// through, so the link (a dotfiles repo, say) stays a link.
pub fn resolve(path: &Path) -> Result<PathBuf> {
    match std::fs::symlink_metadata(path) {
        Ok(m) if m.file_type().is_symlink() => std::fs::canonicalize(path).map_err(|e| {
            Error::io(
                format!(
                    "{} is a symlink whose target cannot be reached; fix or remove the link",
                    path.display()
                ),
                e,
            )
        }),
        _ => Ok(path.to_path_buf()),
    }
}

/// Replaces `path` with `bytes` atomically (see the module doc). `path` must
/// already be resolved (see [`resolve`]).
pub fn write(path: &Path, bytes: &[u8], new: NewFile) -> Result<()> {
    write_as(path, bytes, new, false)
}

/// Like [`write`], but the file gets `new.file_mode` even when it replaces
/// one with another mode: a script must end up executable.
pub fn write_with_mode(path: &Path, bytes: &[u8], new: NewFile) -> Result<()> {
    write_as(path, bytes, new, true)
}

fn write_as(path: &Path, bytes: &[u8], new: NewFile, force_mode: bool) -> Result<()> {
    let dir = parent(path);
    let fail = |what: &str, e| Error::io(format!("cannot {what} {}", path.display()), e);
    let old = match std::fs::metadata(path) {
        Ok(m) => Some(m),
        Err(e) if e.kind() == ErrorKind::NotFound => None,
        Err(e) => return Err(fail("read", e)),
    };
    if old.is_none() && !dir.exists() {
        DirBuilder::new()
            .recursive(true)
            .mode(new.dir_mode)
            .create(dir)
            .map_err(|e| {
                let fix = permission_fix(&e);
                Error::io(format!("cannot create {}{fix}", dir.display()), e)
            })?;
    }
    let tmp = temp_name(path);
    let result = (|| {
        #[expect(
            clippy::disallowed_methods,
            reason = "the atomic writer's own temp file, renamed into place once whole"
        )]
        let mut file = OpenOptions::new()
            .write(true)
            .create_new(true)
            .mode(0o600)
            .open(&tmp)?;
        let mode = match &old {
            Some(m) if !force_mode => m.mode() & 0o7777,
            _ => new.file_mode,
        };
        // Explicitly, so the umask cannot narrow (or the default widen) the mode.
        file.set_permissions(std::fs::Permissions::from_mode(mode))?;
        if let Some(m) = &old {
            keep_owner(&file, m)?;
        }
        file.write_all(bytes)?;
        file.sync_all()?;
        drop(file);
        std::fs::rename(&tmp, path)?;
        File::open(dir)?.sync_all()
    })();
    result.map_err(|e| {
        let _ = std::fs::remove_file(&tmp);
        Error::io(
            format!("cannot write {}{}", path.display(), permission_fix(&e)),
            e,
        )
    })
}

/// When root edits a file someone else owns, the new file keeps that owner.
fn keep_owner(file: &File, old: &std::fs::Metadata) -> std::io::Result<()> {
    if crate::files::secure::euid() != 0 {
        return Ok(());
    }
    let (uid, gid) = (old.uid(), old.gid());
    std::os::unix::fs::fchown(file, Some(uid), Some(gid))
}

fn temp_prefix(path: &Path) -> String {
    let name = path.file_name().unwrap_or_default().to_string_lossy();
    format!(".{name}.dockmux-tmp-")
}

/// The name a new version of `path` is written under before its rename into
/// place: hidden, in the same directory (so the rename is atomic), marked as
/// dockmux's, unique to this process.
pub fn temp_name(path: &Path) -> PathBuf {
    parent(path).join(format!("{}{}", temp_prefix(path), std::process::id()))
}

/// Temp files left by a writer that was killed before its rename: those
/// whose process is gone. Called with the config's lock held; a live
/// writer's file stays even so (one who reached the file by another path
/// took another lock).
pub fn remove_stale_temps(path: &Path) {
    let prefix = temp_prefix(path);
    let Ok(entries) = std::fs::read_dir(parent(path)) else {
        return;
    };
    for entry in entries.flatten() {
        let name = entry.file_name();
        let Some(pid) = name
            .to_string_lossy()
            .strip_prefix(&prefix)
            .map(str::to_string)
        else {
            continue;
        };
        if !pid.parse::<i32>().is_ok_and(alive) {
            let _ = std::fs::remove_file(entry.path());
        }
    }
}

/// Is process `pid` running (as anyone)?
fn alive(pid: i32) -> bool {
    // SAFETY: signal 0 only checks that the process exists.
    pid > 0
        && (unsafe { libc::kill(pid, 0) } == 0
            || std::io::Error::last_os_error().raw_os_error() == Some(libc::EPERM))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keeps_the_mode_and_creates_private_dirs() {
        let t = tempfile::tempdir().unwrap();
        let p = t.path().join("a/b/engines.toml");
        write(&p, b"x = 1\n", PRIVATE).unwrap();
        let mode = |p: &Path| std::fs::metadata(p).unwrap().mode() & 0o7777;
        assert_eq!(mode(&p), 0o600);
        assert_eq!(mode(p.parent().unwrap()), 0o700);
        std::fs::set_permissions(&p, std::fs::Permissions::from_mode(0o640)).unwrap();
        write(&p, b"x = 2\n", PRIVATE).unwrap();
        assert_eq!(mode(&p), 0o640);
        assert_eq!(std::fs::read(&p).unwrap(), b"x = 2\n");
        let left: Vec<_> = std::fs::read_dir(p.parent().unwrap())
            .unwrap()
            .map(|e| e.unwrap().file_name())
            .collect();
        assert_eq!(left, ["engines.toml"]);
    }

    #[test]
    fn a_script_is_executable_even_where_the_old_file_was_not() {
        let t = tempfile::tempdir().unwrap();
        let p = t.path().join("pg-docker");
        std::fs::write(&p, "not ours").unwrap();
        std::fs::set_permissions(&p, std::fs::Permissions::from_mode(0o600)).unwrap();
        write_with_mode(&p, b"#!/bin/sh\n", EXECUTABLE).unwrap();
        assert_eq!(std::fs::metadata(&p).unwrap().mode() & 0o7777, 0o755);
    }

    #[test]
    fn a_symlinked_config_is_written_through() {
        let t = tempfile::tempdir().unwrap();
        let real = t.path().join("real.toml");
        std::fs::write(&real, "old").unwrap();
        let link = t.path().join("engines.toml");
        std::os::unix::fs::symlink("real.toml", &link).unwrap();
        write(&resolve(&link).unwrap(), b"new", PRIVATE).unwrap();
        assert!(std::fs::symlink_metadata(&link).unwrap().is_symlink());
        assert_eq!(std::fs::read(&real).unwrap(), b"new");
    }

    #[test]
    fn only_temps_of_writers_that_are_gone_are_removed() {
        let t = tempfile::tempdir().unwrap();
        let p = t.path().join("engines.toml");
        // A pid above the kernel's limit (2^22) is never a process.
        let stale = t.path().join(".engines.toml.dockmux-tmp-99999999");
        let live = temp_name(&p);
        std::fs::write(&stale, "half").unwrap();
        std::fs::write(&live, "being written").unwrap();
        remove_stale_temps(&p);
        assert!(!stale.exists());
        assert!(live.exists());
    }
}
