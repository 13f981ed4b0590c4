//! The docker client's version, as `docker --version` prints it: doctor
//! reports it, and completion (completion/old_client) answers in the place
//! of a client too old to name the engine's objects. Runs a process, so it
//! is never on the engine path.

use std::io::Read;
use std::os::unix::fs::{DirBuilderExt, MetadataExt, OpenOptionsExt};
use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::Instant;

use crate::docker::children::Batch;
use crate::files::{atomic, paths, secure};

/// The first docker whose `__complete` answers with names (cobra's
/// completion came with docker 23; 20.10's answers `:0`, "files", for every
/// argument).
pub const COMPLETES_NAMES: u32 = 23;

/// What `CLIENT --version` prints, if it succeeds before `deadline`.
pub fn output(client: &Path, deadline: Instant) -> Option<String> {
    let mut cmd = Command::new(client);
    cmd.arg("--version");
    match Batch::new().run_until(&mut cmd, deadline) {
        Ok(done) if done.status.success() => {
            Some(String::from_utf8_lossy(&done.stdout).into_owned())
        }
        _ => None,
    }
}

/// The client's major version, as [`output`] and [`parse`] tell it,
/// remembered for the client file it came from: TAB at a name's place asks
/// it every time, and a docker process costs as much as the client's own
/// answer (bench/REMOTE.md). The file's identity (device, inode, size,
/// modification and change times, after symlinks) is the key: replacing or
/// rewriting the client changes it, and it is asked again.
pub fn major(client: &Path, deadline: Instant) -> Option<u32> {
    let key = std::fs::metadata(client).ok().map(|m| {
        format!(
            "{}\0{}:{}:{}:{}.{}:{}.{}\n",
            client.display(),
            m.dev(),
            m.ino(),
            m.size(),
            m.mtime(),
            m.mtime_nsec(),
            m.ctime(),
            m.ctime_nsec()
        )
    });
    let file = cache_file();
    if let (Some(key), Some(file)) = (&key, &file)
        && let Some(major) = read_cache(file, key)
    {
        return Some(major);
    }
    let (_, major) = parse(&output(client, deadline)?)?;
    if let (Some(key), Some(file)) = (key, file) {
        write_cache(&file, &format!("{key}{major}\n"));
    }
    Some(major)
}

/// `$XDG_CACHE_HOME/dockmux/client-version` (or `~/.cache/…`): one client,
/// the last asked.
fn cache_file() -> Option<PathBuf> {
    let base = paths::env("XDG_CACHE_HOME")
        .filter(|p| p.is_absolute())
        .or_else(|| paths::env("HOME").map(|h| h.join(".cache")))?;
    Some(base.join("dockmux/client-version"))
}

/// Only this user could have written it: theirs, writable by no one else.
fn mine(meta: &std::fs::Metadata) -> bool {
    meta.uid() == secure::euid() && meta.mode() & 0o022 == 0
}

/// The remembered major version, when the file (and its directory) is the
/// user's alone and was written for the same client file.
fn read_cache(file: &Path, key: &str) -> Option<u32> {
    let dir_ok = std::fs::symlink_metadata(file.parent()?).is_ok_and(|m| m.is_dir() && mine(&m));
    let f = std::fs::OpenOptions::new()
        .read(true)
        .custom_flags(libc::O_NOFOLLOW | libc::O_NONBLOCK)
        .open(file)
        .ok()?;
    let meta = f.metadata().ok()?;
    if !dir_ok || !meta.is_file() || !mine(&meta) {
        return None;
    }
    let mut text = String::new();
    f.take(8192).read_to_string(&mut text).ok()?;
    text.strip_prefix(key)?.strip_suffix('\n')?.parse().ok()
}

/// Best effort: a cache that cannot be written is asked again next time.
fn write_cache(file: &Path, text: &str) {
    let Some(dir) = file.parent() else { return };
    if !dir.exists() {
        let _ = std::fs::DirBuilder::new()
            .recursive(true)
            .mode(0o700)
            .create(dir);
    }
    if std::fs::symlink_metadata(dir).is_ok_and(|m| m.is_dir() && mine(&m)) {
        let _ = atomic::write(file, text.as_bytes(), atomic::PRIVATE);
    }
}

/// `Docker version 28.2.2, build e6534b4` → ("28.2.2", 28).
pub fn parse(text: &str) -> Option<(String, u32)> {
    let rest = text.trim().strip_prefix("Docker version ")?;
    let v = rest.split([',', ' ']).next()?.to_string();
    let major = v.split('.').next()?.parse().ok()?;
    Some((v, major))
}

#[cfg(test)]
mod tests {
    #[test]
    fn versions_are_read_from_docker_version_lines() {
        assert_eq!(
            super::parse("Docker version 28.2.2, build e6534b4\n"),
            Some(("28.2.2".into(), 28))
        );
        assert_eq!(
            super::parse("Docker version 20.10.24+dfsg1, build 297e128"),
            Some(("20.10.24+dfsg1".into(), 20))
        );
        assert_eq!(super::parse("podman version 4.3.1"), None);
    }
}
