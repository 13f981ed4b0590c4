//! The lock that serialises edits of one config file, so two `dockmux add`
//! at once cannot lose an update.
//!
//! It is a file next to the config, `.engines.toml.lock`, made 0600 by the
//! editor: only those who can write the config's directory can open it. (A
//! lock on the directory itself could be taken by any user who can read it,
//! and stall root's edits of /etc/dockmux for good.) The directory is made
//! first when it is missing, so the first edits of a new config are
//! serialised too. The holder removes the file before letting go; a waiter
//! that then holds a file no longer in place starts over. The wait is
//! bounded per holder and says who holds the lock.

use std::fs::{File, OpenOptions};
use std::io::ErrorKind;
use std::os::fd::AsRawFd;
use std::os::unix::fs::{MetadataExt, OpenOptionsExt, PermissionsExt};
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use crate::error::{Error, Result, permission_fix};
use crate::files::paths::parent;

/// How long one holder may keep the lock before a waiter gives up. An edit
/// takes milliseconds; a holder that changes resets the clock, so a queue of
/// edits is never cut short.
const PATIENCE: Duration = Duration::from_secs(10);
/// After this long, a waiter says what it is waiting for.
const SAY_AFTER: Duration = Duration::from_secs(1);
const POLL: Duration = Duration::from_millis(10);

/// The held lock; released (and its file removed) when dropped.
pub struct Lock {
    file: File,
    path: PathBuf,
    /// Directories made for the config, deepest last.
    created: Vec<PathBuf>,
    keep_dirs: bool,
}

/// The lock file for the config at `path`.
pub fn lock_path(path: &Path) -> PathBuf {
    let name = path.file_name().unwrap_or_default().to_string_lossy();
    parent(path).join(format!(".{name}.lock"))
}

impl Lock {
    /// Takes the lock for the config at `path`, making its directory (with
    /// `dir_mode`) when missing.
    pub fn acquire(path: &Path, dir_mode: u32) -> Result<Lock> {
        let dir = parent(path);
        let lock = lock_path(path);
        let mut created = Vec::new();
        let mut clock = Clock::new();
        let mut vanished = 0;
        loop {
            make_dirs(dir, dir_mode, &mut created)?;
            #[expect(
                clippy::disallowed_methods,
                reason = "the lock file holds no data: only its flock matters"
            )]
            let file = match OpenOptions::new()
                .read(true)
                .write(true)
                .create(true)
                .mode(0o600)
                .custom_flags(libc::O_NOFOLLOW | libc::O_CLOEXEC)
                .open(&lock)
            {
                Ok(f) => f,
                // Another editor's clean-up removed the new directory meanwhile
                // (a few times at most; a dangling symlink in its place, for good).
                Err(e) if e.kind() == ErrorKind::NotFound && vanished < 20 => {
                    vanished += 1;
                    continue;
                }
                Err(e) => {
                    return Err(Error::io(
                        format!(
                            "cannot create the lock file {}{}",
                            lock.display(),
                            permission_fix(&e)
                        ),
                        e,
                    ));
                }
            };
            wait_for(&file, &lock, path, &mut clock)?;
            if same_inode(&file, &lock) {
                return Ok(Lock {
                    file,
                    path: lock,
                    created,
                    keep_dirs: false,
                });
            }
            // The holder removed the file as it let go: the queue moved on;
            // lock the one in place now.
            clock.moved_on();
        }
    }

    /// The edit was written: the directories made for it stay.
    pub fn keep_dirs(&mut self) {
        self.keep_dirs = true;
    }
}

impl Drop for Lock {
    fn drop(&mut self) {
        // Removed while still held, so no one locks a file that is about to go.
        let _ = std::fs::remove_file(&self.path);
        if !self.keep_dirs {
            // An edit that wrote nothing leaves no trace, not even a directory.
            for d in self.created.iter().rev() {
                let _ = std::fs::remove_dir(d);
            }
        }
        // SAFETY: unlocking a descriptor we own (closing it would too).
        unsafe { libc::flock(self.file.as_raw_fd(), libc::LOCK_UN) };
    }
}

/// Makes `dir` and its missing parents with `mode` (exactly: the umask does
/// not narrow a system directory every user must read), noting each one made.
fn make_dirs(dir: &Path, mode: u32, created: &mut Vec<PathBuf>) -> Result<()> {
    let missing: Vec<&Path> = dir
        .ancestors()
        .take_while(|d| !d.as_os_str().is_empty() && std::fs::symlink_metadata(d).is_err())
        .collect();
    for d in missing.into_iter().rev() {
        match std::fs::create_dir(d) {
            Ok(()) => {
                created.push(d.to_path_buf());
                let _ = std::fs::set_permissions(d, std::fs::Permissions::from_mode(mode));
            }
            Err(e) if e.kind() == ErrorKind::AlreadyExists => {}
            Err(e) => {
                return Err(Error::io(
                    format!("cannot create {}{}", d.display(), permission_fix(&e)),
                    e,
                ));
            }
        }
    }
    Ok(())
}

fn same_inode(file: &File, path: &Path) -> bool {
    match (file.metadata(), std::fs::symlink_metadata(path)) {
        (Ok(a), Ok(b)) => a.dev() == b.dev() && a.ino() == b.ino(),
        _ => false,
    }
}

/// Who held the lock when, so the wait is bounded per holder.
struct Clock {
    since: Instant,
    holder: Option<Holder>,
    said: bool,
}

impl Clock {
    fn new() -> Clock {
        Clock {
            since: Instant::now(),
            holder: None,
            said: false,
        }
    }

    /// Another edit finished: the wait for the next one starts now.
    fn moved_on(&mut self) {
        self.since = Instant::now();
        self.holder = None;
    }
}

/// Waits for the lock on `file`, saying after a while who holds it, and
/// giving up when one holder keeps it longer than [`PATIENCE`].
fn wait_for(file: &File, lock: &Path, config: &Path, clock: &mut Clock) -> Result<()> {
    loop {
        // SAFETY: flock on a descriptor we own; LOCK_NB never blocks.
        if unsafe { libc::flock(file.as_raw_fd(), libc::LOCK_EX | libc::LOCK_NB) } == 0 {
            return Ok(());
        }
        let e = std::io::Error::last_os_error();
        if e.kind() != ErrorKind::WouldBlock && e.kind() != ErrorKind::Interrupted {
            return Err(Error::io(format!("cannot lock {}", lock.display()), e));
        }
        // A holder that is not found (it let go meanwhile) leaves the clock running.
        if let Some(holder) = holder_of(file)
            && Some(&holder) != clock.holder.as_ref()
        {
            // Someone else's turn now: the queue is moving.
            clock.holder = Some(holder);
            clock.since = Instant::now();
        }
        let waited = clock.since.elapsed();
        let who = clock
            .holder
            .as_ref()
            .map_or_else(|| "another process".to_string(), Holder::describe);
        if waited >= PATIENCE {
            let stop = match &clock.holder {
                Some(h) => format!(
                    "wait for it to finish or stop it (kill {}), then rerun",
                    h.pid
                ),
                None => "wait for it to finish, then rerun".to_string(),
            };
            return Err(Error::Failed(format!(
                "cannot edit {}: {who} has held its lock ({}) for {} s; {stop}",
                config.display(),
                lock.display(),
                PATIENCE.as_secs()
            )));
        }
        if waited >= SAY_AFTER && !clock.said {
            clock.said = true;
            // A note only: a closed or full stderr does not stop the edit.
            crate::output::note(&format!(
                "dockmux: waiting for {who}, which is editing {} (lock {})",
                config.display(),
                lock.display()
            ));
        }
        std::thread::sleep(POLL);
    }
}

/// The process holding a flock on a file, from /proc/locks.
#[derive(Clone, Debug, PartialEq, Eq)]
struct Holder {
    pid: u32,
    uid: Option<u32>,
    command: Option<String>,
}

impl Holder {
    fn describe(&self) -> String {
        let mut s = format!("pid {}", self.pid);
        if let Some(uid) = self.uid {
            s.push_str(&format!(" (user {}", user_name(uid)));
            if let Some(c) = &self.command {
                s.push_str(&format!(", {c}"));
            }
            s.push(')');
        }
        s
    }
}

fn holder_of(file: &File) -> Option<Holder> {
    let meta = file.metadata().ok()?;
    let locks = std::fs::read_to_string("/proc/locks").ok()?;
    let pid = holder_pid(&locks, meta.dev(), meta.ino())?;
    let proc = PathBuf::from(format!("/proc/{pid}"));
    let uid = std::fs::metadata(&proc).ok().map(|m| m.uid());
    let command = std::fs::read(proc.join("cmdline"))
        .ok()
        .map(|b| command_line(&b))
        .filter(|c| !c.is_empty());
    Some(Holder { pid, uid, command })
}

/// The pid of the granted (not waiting) lock on `dev`/`ino` in /proc/locks,
/// whose lines read `1: FLOCK  ADVISORY  WRITE 1234 fe:00:5325048 0 EOF`
/// (waiters have `->` after the number).
fn holder_pid(locks: &str, dev: u64, ino: u64) -> Option<u32> {
    let want = format!("{:02x}:{:02x}:{ino}", libc::major(dev), libc::minor(dev));
    locks.lines().find_map(|line| {
        let fields: Vec<&str> = line.split_whitespace().collect();
        if fields.get(1) == Some(&"->") || fields.get(5) != Some(&want.as_str()) {
            return None;
        }
        fields.get(4)?.parse().ok().filter(|&pid| pid > 0)
    })
}

/// A process's command line as one printable line: the holder may be
/// another user's process, whose arguments are theirs to choose.
fn command_line(raw: &[u8]) -> String {
    let text = String::from_utf8_lossy(raw);
    let joined = text.trim_end_matches('\0').replace('\0', " ");
    let mut out = String::new();
    for c in joined.chars().take(200) {
        if c.is_control() {
            out.extend(c.escape_default());
        } else {
            out.push(c);
        }
    }
    out
}

/// A user's name from /etc/passwd (not glibc's NSS, which a static build
/// cannot load: see crates/dockmux-engine/src/files/accounts.rs), else the uid as a number.
pub fn user_name(uid: u32) -> String {
    crate::files::accounts::Accounts::users(std::path::Path::new("/")).describe_user(uid)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_holder_is_the_granted_lock_not_a_waiter() {
        let dev = libc::makedev(0xfe, 0);
        let locks = "1: FLOCK  ADVISORY  WRITE 29520 fe:00:10010961 0 EOF\n\
                     1: -> FLOCK  ADVISORY  WRITE 777 fe:00:42 0 EOF\n\
                     2: FLOCK  ADVISORY  WRITE 28433 fe:00:42 0 EOF\n";
        assert_eq!(holder_pid(locks, dev, 42), Some(28433));
        assert_eq!(holder_pid(locks, dev, 43), None);
    }

    #[test]
    fn control_characters_in_a_command_line_are_escaped() {
        assert_eq!(
            command_line(b"flock\0/x\x1b]0;owned\x07\0"),
            "flock /x\\u{1b}]0;owned\\u{7}"
        );
    }

    #[test]
    fn a_lock_makes_the_directory_and_an_unused_one_leaves_nothing() {
        let t = tempfile::tempdir().unwrap();
        let p = t.path().join("a/b/engines.toml");
        let lock = Lock::acquire(&p, 0o700).unwrap();
        assert!(lock_path(&p).exists());
        assert_eq!(
            std::fs::metadata(t.path().join("a")).unwrap().mode() & 0o7777,
            0o700
        );
        drop(lock);
        assert!(!t.path().join("a").exists());
        let mut lock = Lock::acquire(&p, 0o755).unwrap();
        lock.keep_dirs();
        drop(lock);
        assert!(t.path().join("a/b").is_dir());
        assert!(!lock_path(&p).exists());
    }
}
