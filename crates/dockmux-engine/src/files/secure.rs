//! ssh's StrictModes, for everything that decides where a docker command
//! goes or what runs: the config files, the docker client the config names,
//! and an engine's TLS directory and files. One rule for all of them:
//!
//! - the thing itself is owned by root or by the caller and writable by no
//!   one else;
//! - every directory that can redirect the path — each ancestor of each hop
//!   of its symlink chain — is owned by root or the caller, and writable by
//!   no one else unless it is sticky (like /tmp) and the entry below it is
//!   owned by root or the caller (then no one else can replace that entry);
//! - every symlink on the way is owned by root or the caller.
//!
//! Edits check the file they write by the same rule (`check_to_write`)
//! before they lock or make anything.

use std::borrow::Cow;
use std::ffi::OsStr;
use std::os::unix::ffi::{OsStrExt, OsStringExt};
use std::path::{Path, PathBuf};

use crate::error::Error;

/// Symlinks followed before giving up, as the kernel's limit (ELOOP).
const MAX_HOPS: usize = 40;

pub fn euid() -> u32 {
    // SAFETY: geteuid cannot fail and has no preconditions.
    unsafe { libc::geteuid() }
}

/// What is wrong, and the command that fixes it.
#[derive(Debug)]
pub struct Insecure {
    pub problem: String,
    pub fix: String,
    /// The refusal is that another user owns this (and whom): root writing
    /// there would leave files that user cannot change.
    pub owner: Option<(PathBuf, u32)>,
}

/// Why a path could not be checked.
#[derive(Debug)]
pub enum Refusal {
    Insecure(Insecure),
    /// A lookup on the way failed (missing, a symlink loop, no permission).
    Io(PathBuf, std::io::Error),
}

impl Refusal {
    /// The error for `what` (named only when refused), or `io`'s for a failed lookup.
    pub fn into_error(
        self,
        what: impl FnOnce() -> String,
        io: impl FnOnce(PathBuf, std::io::Error) -> Error,
    ) -> Error {
        match self {
            Refusal::Insecure(Insecure { problem, fix, .. }) => Error::Insecure {
                what: what(),
                problem,
                fix,
            },
            Refusal::Io(path, e) => io(path, e),
        }
    }
}

/// What lstat says of one file: all the rule and its callers look at.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Found {
    pub dev: u64,
    pub ino: u64,
    pub uid: u32,
    pub mode: u32,
}

impl Found {
    fn kind(&self) -> u32 {
        self.mode & libc::S_IFMT
    }
    pub fn is_file(&self) -> bool {
        self.kind() == libc::S_IFREG
    }
    pub fn is_dir(&self) -> bool {
        self.kind() == libc::S_IFDIR
    }
    fn is_symlink(&self) -> bool {
        self.kind() == libc::S_IFLNK
    }
}

/// lstat of the NUL-terminated path in `c`.
fn lstat(c: &[u8]) -> std::io::Result<Found> {
    // SAFETY: an all-zero stat is valid; lstat fills it.
    let mut st: libc::stat = unsafe { std::mem::zeroed() };
    // SAFETY: c ends in a NUL (callers push one) and st is writable.
    if unsafe { libc::lstat(c.as_ptr().cast(), &mut st) } != 0 {
        return Err(std::io::Error::last_os_error());
    }
    Ok(Found {
        dev: st.st_dev,
        ino: st.st_ino,
        uid: st.st_uid,
        mode: st.st_mode,
    })
}

fn as_path(bytes: &[u8]) -> &Path {
    if bytes.is_empty() {
        Path::new("/")
    } else {
        Path::new(OsStr::from_bytes(bytes))
    }
}

/// What one run's walks have checked, for the walks after them: the engine
/// path walks the config's path and then the client's, which share `/` at
/// least. A directory that passed is owned by root or the caller, and only
/// they can write it or the directories above it, so no one else can have
/// changed it since. For one short run only: a long-lived process would
/// miss the caller's own changes.
#[derive(Default)]
pub struct Walked {
    me: Option<u32>,
    root: Option<Found>,
    /// The last walk's buffers, kept: the directory it reached (see
    /// `walk`), and the directories on the way to it, each one's length in
    /// `at` and what lstat said. They are real directories, not symlinks,
    /// so a path that starts with one of them, whole components alike,
    /// passes through it.
    at: Vec<u8>,
    dirs: Vec<(usize, Found)>,
}

/// Checks `path` by the rule above, following symlinks as the kernel does;
/// returns what it leads to. A relative path is taken from the current
/// directory, whose own ancestors count too. On the engine path: one lstat
/// per component and no allocation per component.
pub fn check(path: &Path) -> Result<Found, Refusal> {
    check_with(path, &mut Walked::default())
}

/// [`check`], starting below the deepest directory of `walked`'s last walk
/// that `path` begins with, and leaving this walk's for the next.
pub fn check_with(path: &Path, walked: &mut Walked) -> Result<Found, Refusal> {
    let me = *walked.me.get_or_insert_with(euid);
    let io = |p: &[u8], e| Refusal::Io(as_path(p).to_path_buf(), e);
    let given = path.as_os_str().as_bytes();
    if given.contains(&0) {
        let e = std::io::Error::from(std::io::ErrorKind::InvalidInput);
        return Err(io(given, e));
    }
    // What is still to walk: the path, or a symlink's target followed by the
    // rest of the path before it.
    let rest: Cow<[u8]> = if path.has_root() {
        Cow::Borrowed(given)
    } else {
        let cwd = std::env::current_dir().map_err(|e| io(b".", e))?;
        let mut joined = cwd.into_os_string().into_vec();
        joined.push(b'/');
        joined.extend_from_slice(given);
        Cow::Owned(joined)
    };
    let root = match walked.root {
        Some(root) => root,
        None => {
            let root = lstat(b"/\0").map_err(|e| io(b"", e))?;
            owned(b"", root, me)?;
            *walked.root.insert(root)
        }
    };
    let (mut at, mut dirs) = (
        std::mem::take(&mut walked.at),
        std::mem::take(&mut walked.dirs),
    );
    let resume = dirs
        .iter()
        .rposition(|&(len, _)| {
            rest.starts_with(&at[..len]) && matches!(rest.get(len), None | Some(b'/'))
        })
        .map_or(0, |d| d + 1);
    dirs.truncate(resume);
    at.truncate(dirs.last().map_or(0, |d| d.0));
    at.reserve(rest.len() + 64);
    dirs.reserve(16);
    let result = walk(rest, root, me, &mut at, &mut dirs);
    (walked.at, walked.dirs) = (at, dirs);
    result
}

/// The walk from `at` (a directory, "" for the root, then "/name" per step;
/// a NUL is pushed after an entry for lstat and popped again), whose
/// directories below the root are in `dirs`: their length in `at`, and what
/// lstat said.
fn walk(
    mut rest: Cow<[u8]>,
    root: Found,
    me: u32,
    at: &mut Vec<u8>,
    dirs: &mut Vec<(usize, Found)>,
) -> Result<Found, Refusal> {
    let io = |p: &[u8], e| Refusal::Io(as_path(p).to_path_buf(), e);
    let mut hops = 0;
    let mut i = at.len();
    loop {
        while rest.get(i) == Some(&b'/') {
            i += 1;
        }
        if i >= rest.len() {
            break;
        }
        let end = rest[i..]
            .iter()
            .position(|&b| b == b'/')
            .map_or(rest.len(), |n| i + n);
        let (from, to) = (i, end);
        i = end;
        match &rest[from..to] {
            b"." => continue,
            b".." => {
                dirs.pop();
                at.truncate(dirs.last().map_or(0, |d| d.0));
                continue;
            }
            _ => {}
        }
        let (dir_len, dir) = dirs.last().copied().unwrap_or((0, root));
        at.push(b'/');
        at.extend_from_slice(&rest[from..to]);
        at.push(0);
        let found = lstat(at);
        at.pop();
        let found = found.map_err(|e| io(at, e))?;
        may_replace(&at[..dir_len], dir, at, found, me)?;
        let last = rest[i..].iter().all(|&b| b == b'/');
        if found.is_symlink() {
            // Its owner chose where it leads.
            if found.uid != 0 && found.uid != me {
                let link = as_path(at);
                return Err(foreign(
                    link,
                    found.uid,
                    format!(
                        "symlink {} is owned by uid {}, not by you (uid {me}) or root",
                        link.display(),
                        found.uid
                    ),
                    format!("chown -h {me} {}", crate::text::quote::path(link)),
                ));
            }
            hops += 1;
            if hops > MAX_HOPS {
                return Err(io(at, std::io::Error::from_raw_os_error(libc::ELOOP)));
            }
            let target = std::fs::read_link(as_path(at)).map_err(|e| io(at, e))?;
            let mut next = target.into_os_string().into_vec();
            if next.first() == Some(&b'/') {
                dirs.clear();
                at.clear();
            } else {
                at.truncate(dir_len);
            }
            next.push(b'/');
            next.extend_from_slice(&rest[i..]);
            rest = Cow::Owned(next);
            i = 0;
            continue;
        }
        owned(at, found, me)?;
        if last {
            return Ok(found);
        }
        if !found.is_dir() {
            return Err(io(at, std::io::Error::from_raw_os_error(libc::ENOTDIR)));
        }
        dirs.push((at.len(), found));
    }
    // The path ends in a directory reached by `..` or `/`: checked on the way in.
    Ok(dirs.last().map_or(root, |d| d.1))
}

/// Checks the path of a file about to be written (a config an edit makes
/// or replaces) by the same rule, as far as it exists: what is missing the
/// caller makes, in directories only root and the caller control.
/// `Ok(None)` when something on the way is missing.
pub fn check_to_write(path: &Path) -> Result<Option<Found>, Refusal> {
    match check(path) {
        Ok(found) => Ok(Some(found)),
        Err(Refusal::Io(_, e)) if e.kind() == std::io::ErrorKind::NotFound => Ok(None),
        Err(refusal) => Err(refusal),
    }
}

/// Owned by someone other than root and `me`.
fn foreign(path: &Path, uid: u32, problem: String, fix: String) -> Refusal {
    Refusal::Insecure(Insecure {
        problem,
        fix,
        owner: Some((path.to_path_buf(), uid)),
    })
}

/// The thing itself (or a directory on the way): owned by root or `me`,
/// writable by no one else.
fn owned(path: &[u8], found: Found, me: u32) -> Result<(), Refusal> {
    let what = if found.is_dir() { "directory" } else { "file" };
    let path = as_path(path);
    if found.uid != 0 && found.uid != me {
        return Err(foreign(
            path,
            found.uid,
            format!(
                "{what} {} is owned by uid {}, not by you (uid {me}) or root",
                path.display(),
                found.uid
            ),
            format!("chown {me} {}", crate::text::quote::path(path)),
        ));
    }
    // A directory on the way may be sticky; `may_replace` checks its entries.
    let sticky_dir = found.is_dir() && found.mode & 0o1000 != 0;
    if found.mode & 0o022 != 0 && !sticky_dir {
        return Err(writable(what, path, found.mode));
    }
    Ok(())
}

/// Can someone other than root and `me` replace `entry` in `dir`?
fn may_replace(
    dir: &[u8],
    dir_found: Found,
    entry: &[u8],
    found: Found,
    me: u32,
) -> Result<(), Refusal> {
    let mode = dir_found.mode;
    if mode & 0o022 == 0 {
        return Ok(());
    }
    if mode & 0o1000 == 0 {
        return Err(writable("directory", as_path(dir), mode));
    }
    if found.uid != 0 && found.uid != me {
        let link = if found.is_symlink() { "-h " } else { "" };
        let entry = as_path(entry);
        return Err(Refusal::Insecure(Insecure {
            problem: format!(
                "{} is owned by uid {} and sits in {}, which others can write to: its owner can replace it",
                entry.display(),
                found.uid,
                as_path(dir).display()
            ),
            fix: format!(
                "chown {link}{me} {} (or move it)",
                crate::text::quote::path(entry)
            ),
            // Its owner can swap it: a danger to the caller, whoever that is.
            owner: None,
        }));
    }
    Ok(())
}

fn writable(what: &str, path: &Path, mode: u32) -> Refusal {
    let who = if mode & 0o002 != 0 {
        "everyone"
    } else {
        "its group"
    };
    Refusal::Insecure(Insecure {
        problem: format!(
            "{what} {} is writable by {who} (mode {:o})",
            path.display(),
            mode & 0o7777
        ),
        fix: format!("chmod go-w {}", crate::text::quote::path(path)),
        owner: None,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::os::unix::fs::{PermissionsExt, symlink};

    fn mode(p: &Path, m: u32) {
        std::fs::set_permissions(p, std::fs::Permissions::from_mode(m)).unwrap();
    }

    fn refused(p: &Path) -> String {
        match check(p) {
            Err(Refusal::Insecure(i)) => format!("{}; fix: {}", i.problem, i.fix),
            other => panic!("{} not refused: {other:?}", p.display()),
        }
    }

    #[test]
    fn every_directory_of_every_hop_counts() {
        let t = tempfile::tempdir().unwrap();
        let r = t.path();
        mode(r, 0o755);
        for d in ["safe", "ww", "ww/sub"] {
            std::fs::create_dir(r.join(d)).unwrap();
            mode(&r.join(d), 0o755);
        }
        std::fs::write(r.join("safe/real.toml"), "").unwrap();
        mode(&r.join("safe/real.toml"), 0o600);
        std::fs::write(r.join("ww/sub/engines.toml"), "").unwrap();
        mode(&r.join("ww/sub/engines.toml"), 0o600);
        symlink("../ww/l", r.join("safe/engines.toml")).unwrap();
        symlink("../safe/real.toml", r.join("ww/l")).unwrap();
        assert!(check(&r.join("safe/engines.toml")).is_ok());
        assert!(check(&r.join("ww/sub/engines.toml")).is_ok());
        mode(&r.join("ww"), 0o777);
        let via_link = refused(&r.join("safe/engines.toml"));
        assert!(
            via_link.contains("/ww is writable by everyone"),
            "{via_link}"
        );
        let below = refused(&r.join("ww/sub/engines.toml"));
        assert!(below.contains("/ww is writable by everyone"), "{below}");
        // Sticky, and the entries below are ours: no one else can replace them.
        mode(&r.join("ww"), 0o1777);
        assert!(check(&r.join("safe/engines.toml")).is_ok());
        assert!(check(&r.join("ww/sub/engines.toml")).is_ok());
        // The file itself, and its own directory.
        mode(&r.join("safe/real.toml"), 0o620);
        assert!(refused(&r.join("safe/engines.toml")).contains("writable by its group"));
        mode(&r.join("safe/real.toml"), 0o600);
        mode(&r.join("safe"), 0o775);
        assert!(refused(&r.join("safe/real.toml")).contains("chmod go-w"));
    }

    #[test]
    fn a_shared_walk_answers_as_a_fresh_one() {
        let t = tempfile::tempdir().unwrap();
        let r = t.path();
        mode(r, 0o755);
        for d in ["a", "a/b", "ww", "ww/sub", "sticky"] {
            std::fs::create_dir(r.join(d)).unwrap();
            mode(&r.join(d), 0o755);
        }
        mode(&r.join("ww"), 0o777);
        mode(&r.join("sticky"), 0o1777);
        for f in ["a/b/f", "a/g", "ww/sub/f", "sticky/f"] {
            std::fs::write(r.join(f), "").unwrap();
            mode(&r.join(f), 0o600);
        }
        symlink("../a/b", r.join("sticky/l")).unwrap();
        let paths = [
            "a/b/f",
            "a/g",
            "a/b/../g",
            "ww/sub/f",
            "a/b",
            "sticky/l/f",
            "sticky/f",
            "a/none",
            "ww/sub",
            "a/b/f/x",
        ];
        let show = |r: Result<Found, Refusal>| match r {
            Ok(found) => format!("{found:?}"),
            Err(Refusal::Insecure(i)) => format!("{}; {}", i.problem, i.fix),
            Err(Refusal::Io(p, e)) => format!("{}: {e}", p.display()),
        };
        let mut walked = Walked::default();
        for p in paths {
            let p = r.join(p);
            assert_eq!(show(check_with(&p, &mut walked)), show(check(&p)), "{p:?}");
        }
        // A walk leaves the directories it passed through for the next.
        let held = |walked: &Walked, p: &str| {
            let p = r.join(p);
            (walked.dirs.iter()).any(|&(len, _)| walked.at[..len] == *p.as_os_str().as_bytes())
        };
        check_with(&r.join("a/b/f"), &mut walked).unwrap();
        assert!(held(&walked, "a") && held(&walked, "a/b"));
        check_with(&r.join("ww/sub/f"), &mut walked).unwrap_err();
        assert!(!held(&walked, "ww") && !held(&walked, "a"));
    }

    #[test]
    fn relative_paths_dots_and_loops() {
        let t = tempfile::tempdir().unwrap();
        let r = t.path();
        std::fs::write(r.join("f"), "").unwrap();
        mode(&r.join("f"), 0o644);
        let dotted = r.join("./x/../f");
        std::fs::create_dir(r.join("x")).unwrap();
        assert!(check(&dotted).is_ok());
        symlink("b", r.join("a")).unwrap();
        symlink("a", r.join("b")).unwrap();
        assert!(
            matches!(check(&r.join("a")), Err(Refusal::Io(_, e)) if e.raw_os_error() == Some(libc::ELOOP))
        );
        assert!(matches!(check(&r.join("missing")), Err(Refusal::Io(..))));
    }

    #[test]
    #[cfg_attr(
        not(feature = "privileged-tests"),
        ignore = "chowns a symlink to another uid: needs root (./scripts/test)"
    )]
    fn a_symlink_someone_else_owns_is_not_followed() {
        let t = tempfile::tempdir().unwrap();
        let r = t.path();
        mode(r, 0o755);
        std::fs::create_dir(r.join("d")).unwrap();
        mode(&r.join("d"), 0o755);
        symlink(r.join("d"), r.join("l")).unwrap();
        assert!(check(&r.join("l")).is_ok());
        // The tests run as root: the link becomes another user's.
        std::os::unix::fs::lchown(r.join("l"), Some(4242), None).unwrap();
        let other = 4242;
        let why = refused(&r.join("l/x"));
        assert!(
            why.contains(&format!(
                "symlink {} is owned by uid {other}",
                r.join("l").display()
            )),
            "{why}"
        );
        assert!(matches!(
            check_to_write(&r.join("l/x")),
            Err(Refusal::Insecure(_))
        ));
        // Through root's own link, what is missing is the writer's to make.
        assert!(matches!(check_to_write(&r.join("d/x/y")), Ok(None)));
    }
}
