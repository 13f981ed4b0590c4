//! Small answers remembered per user under `$XDG_CACHE_HOME/dockmux/` (or
//! `~/.cache/dockmux/`): what a protected engine said it is (policy/ask.rs),
//! the docker client's version (src/docker/client_version.rs). Each file
//! holds a key, then the answer. An entry is used only when the file and its
//! directory are the user's alone and it was written under the same key;
//! anything else is asked again, so a cache never decides more than a fresh
//! question would.

use std::io::Read;
use std::os::unix::fs::{MetadataExt, OpenOptionsExt};
use std::path::{Path, PathBuf};

use crate::files::{atomic, paths, secure};

/// The most a cache file may hold: its answers are a few lines.
const MAX: u64 = 8192;

/// `$XDG_CACHE_HOME/dockmux/NAME` (or `~/.cache/dockmux/NAME`); `None`
/// without an absolute cache dir or a HOME.
pub fn file(name: &str) -> Option<PathBuf> {
    let base = paths::env("XDG_CACHE_HOME")
        .filter(|p| p.is_absolute())
        .or_else(|| paths::env("HOME").map(|h| h.join(".cache")))?;
    Some(base.join("dockmux").join(name))
}

/// Only this user could have written it: theirs, writable by no one else.
fn mine(meta: &std::fs::Metadata) -> bool {
    meta.uid() == secure::euid() && meta.mode() & 0o022 == 0
}

/// What follows `key` in `file`, when the file (a regular file, not a link)
/// and its directory are the user's alone.
pub fn read(file: &Path, key: &str) -> Option<String> {
    let dir_ok = std::fs::symlink_metadata(file.parent()?).is_ok_and(|m| m.is_dir() && mine(&m));
    let f = std::fs::OpenOptions::new()
        .read(true)
        .custom_flags(libc::O_NOFOLLOW | libc::O_NONBLOCK)
        .open(file)
        .ok()?;
    let meta = f.metadata().ok()?;
    if !dir_ok || !meta.is_file() || !mine(&meta) || meta.len() > MAX {
        return None;
    }
    let mut text = String::new();
    f.take(MAX).read_to_string(&mut text).ok()?;
    text.strip_prefix(key).map(str::to_string)
}

/// Writes `key` then `answer` to `file`, whole or not at all. Best effort: a
/// cache that cannot be written (or sits in a directory that is not the
/// user's alone) is asked again next time.
pub fn write(file: &Path, key: &str, answer: &str) {
    let Some(dir) = file.parent() else { return };
    if dir.exists() && !std::fs::symlink_metadata(dir).is_ok_and(|m| m.is_dir() && mine(&m)) {
        return;
    }
    let text = format!("{key}{answer}");
    let _ = atomic::write(file, text.as_bytes(), atomic::PRIVATE);
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::os::unix::fs::PermissionsExt;

    fn dir() -> PathBuf {
        let d = std::env::temp_dir().join(format!(
            "dockmux-cache-test-{}-{:?}",
            std::process::id(),
            std::thread::current().id()
        ));
        let _ = std::fs::remove_dir_all(&d);
        d
    }

    #[test]
    fn an_answer_is_read_back_only_under_its_key() {
        let d = dir();
        let f = d.join("sub/entry");
        write(&f, "k1\n", "answer\n");
        assert_eq!(read(&f, "k1\n").as_deref(), Some("answer\n"));
        assert_eq!(read(&f, "k2\n"), None);
        let _ = std::fs::remove_dir_all(&d);
    }

    #[test]
    fn a_file_or_dir_others_could_write_is_not_used_nor_written() {
        let d = dir();
        let f = d.join("entry");
        write(&f, "k\n", "a\n");
        std::fs::set_permissions(&f, std::fs::Permissions::from_mode(0o666)).unwrap();
        assert_eq!(read(&f, "k\n"), None, "a group/other-writable file");
        std::fs::set_permissions(&f, std::fs::Permissions::from_mode(0o600)).unwrap();
        std::fs::set_permissions(&d, std::fs::Permissions::from_mode(0o777)).unwrap();
        assert_eq!(read(&f, "k\n"), None, "in an other-writable dir");
        write(&f, "k\n", "b\n");
        std::fs::set_permissions(&d, std::fs::Permissions::from_mode(0o700)).unwrap();
        assert_eq!(
            read(&f, "k\n").as_deref(),
            Some("a\n"),
            "not rewritten there"
        );
        let link = d.join("link");
        std::os::unix::fs::symlink(&f, &link).unwrap();
        assert_eq!(read(&link, "k\n"), None, "a symlink is not followed");
        let _ = std::fs::remove_dir_all(&d);
    }

    #[test]
    fn a_file_longer_than_a_cache_is_not_read() {
        let d = dir();
        let f = d.join("entry");
        write(&f, "k\n", &"x".repeat(MAX as usize));
        assert_eq!(read(&f, "k\n"), None);
        let _ = std::fs::remove_dir_all(&d);
    }
}
