//! Finding the stock docker client: the config's `docker`, else the first
//! `docker` on PATH that is not dockmux itself and that the caller may run
//! (as the shell searches). Identity is by file (device and inode), so a
//! link named `docker` pointing at dockmux is skipped whatever its path —
//! the same guard rustup's proxies use. A client the config names by path
//! is checked like the config itself (src/secure.rs): whoever can change it
//! runs code as everyone who uses the config.

use std::ffi::OsStr;
use std::os::unix::fs::MetadataExt;
use std::path::{Path, PathBuf};

use crate::config::Client;
use crate::error::{Error, Result};

/// What execvp would search when PATH is unset.
const DEFAULT_PATH: &str = "/usr/local/bin:/usr/bin:/bin";

/// (device, inode) of a file.
type Identity = (u64, u64);

fn identity(path: &Path) -> Option<Identity> {
    std::fs::metadata(path).ok().map(|m| (m.dev(), m.ino()))
}

/// The running dockmux binary's identity.
pub fn self_identity() -> Option<Identity> {
    identity(Path::new("/proc/self/exe"))
        .or_else(|| std::env::current_exe().ok().and_then(|p| identity(&p)))
}

/// Is `path` (after following links) the running dockmux binary?
pub fn is_self(path: &Path) -> bool {
    match (identity(path), self_identity()) {
        (Some(a), Some(b)) => a == b,
        _ => false,
    }
}

/// Resolves the client to run. Errors say how to fix the setup; a note on
/// stderr names each untrusted `docker` on PATH that was passed over.
pub fn find(configured: Option<&Client>) -> Result<PathBuf> {
    let mut skipped = Vec::new();
    let found = find_noting(configured, &mut skipped);
    for u in &skipped {
        crate::output::note(&format!("dockmux: note: {}; fix: {}", u.problem(), u.fix()));
    }
    found
}

/// [`find`], with a line in `skipped` for each `docker` on PATH passed
/// over because another user could change it: it is checked like a client
/// the config names by path, and never run (doctor reports these).
pub fn find_noting(configured: Option<&Client>, skipped: &mut Vec<Untrusted>) -> Result<PathBuf> {
    let found = find_client(configured);
    skipped.extend(found.1);
    found.0
}

fn find_client(configured: Option<&Client>) -> (Result<PathBuf>, Vec<Untrusted>) {
    let mut untrusted = Vec::new();
    let found = match configured {
        Some(c) if c.path.starts_with('/') => check_configured(Path::new(&c.path), c),
        Some(c) => search_path(OsStr::new(&c.path), &mut untrusted).map_err(|why| {
            let why = match why {
                Missing::NotExecutable(p) => format!("{} is not executable", p.display()),
                Missing::Nowhere(why) => why,
            };
            Error::NoClient(format!(
                "{why}: docker = \"{}\" (from {}) names no usable program on PATH; \
                 give its absolute path in the config",
                c.path, c.origin
            ))
        }),
        None => search_path(OsStr::new("docker"), &mut untrusted).map_err(|why| match why {
            Missing::NotExecutable(path) => Error::ClientNotExecutable {
                fix: format!(
                    "make it executable (chmod +x {})",
                    crate::text::quote::path(&path)
                ),
                path,
                source: std::io::Error::from(std::io::ErrorKind::PermissionDenied),
            },
            Missing::Nowhere(why) => Error::NoClient(format!(
                "{why}: no docker client found on PATH; install the docker CLI \
                 (Debian: apt-get install docker.io; or docker-ce-cli) or set \
                 docker = \"/path/to/docker\" in the config"
            )),
        }),
    };
    (found, untrusted)
}

fn check_configured(path: &Path, c: &Client) -> Result<PathBuf> {
    let meta = crate::files::secure::check(path).map_err(|r| {
        r.into_error(
            || {
                format!(
                    "the docker client {} (docker = in {})",
                    path.display(),
                    c.origin
                )
            },
            |_, source| Error::ClientNotExecutable {
                path: path.to_path_buf(),
                source,
                fix: format!("fix docker = \"{}\" in {}", c.path, c.origin),
            },
        )
    })?;
    if (meta.dev, meta.ino) == self_identity().unwrap_or_default() {
        return Err(Error::Usage(format!(
            "docker = \"{}\" (from {}) is dockmux itself; point it at the real docker client",
            c.path, c.origin
        )));
    }
    if !meta.is_file() {
        return Err(Error::Usage(format!(
            "docker = \"{}\" (from {}) is not a program file; point it at the docker client, e.g. /usr/bin/docker",
            c.path, c.origin
        )));
    }
    Ok(path.to_path_buf())
}

/// May the caller run `path`? As execve decides, by the effective ids (and
/// ACLs): root may run a file with any execute bit, others need theirs.
fn may_execute(path: &Path) -> bool {
    use std::os::unix::ffi::OsStrExt;
    // A NUL-terminated copy on the stack: this runs on the engine path.
    // (Not zeroed first: that would cost more than the rest of the search.)
    let bytes = path.as_os_str().as_bytes();
    let mut c = std::mem::MaybeUninit::<[u8; libc::PATH_MAX as usize]>::uninit();
    if bytes.len() >= libc::PATH_MAX as usize || bytes.contains(&0) {
        return false;
    }
    let p = c.as_mut_ptr().cast::<u8>();
    // SAFETY: bytes.len() + 1 <= PATH_MAX bytes are written into c, the last a NUL.
    unsafe {
        std::ptr::copy_nonoverlapping(bytes.as_ptr(), p, bytes.len());
        p.add(bytes.len()).write(0);
    }
    // SAFETY: p points at a NUL-terminated path.
    unsafe { libc::faccessat(libc::AT_FDCWD, p.cast(), libc::X_OK, libc::AT_EACCESS) == 0 }
}

enum Missing {
    /// Only candidates the caller may not run were found (the first one).
    NotExecutable(PathBuf),
    /// Nothing usable; a short reason (what was seen and skipped).
    Nowhere(String),
}

/// The program `name` as the shell would run it: the first on PATH the
/// caller may execute that is not dockmux (dockmux's one PATH search; doctor
/// asks it for the shells too).
pub fn on_path(name: &str) -> Option<PathBuf> {
    search_path(OsStr::new(name), &mut Vec::new()).ok()
}

/// A program on PATH passed over because another user could change it.
pub struct Untrusted {
    path: PathBuf,
    problem: String,
    fix: String,
}

impl Untrusted {
    pub fn problem(&self) -> String {
        format!("skipped {} on PATH: {}", self.path.display(), self.problem)
    }

    pub fn fix(&self) -> String {
        format!(
            "{}, or take {} off PATH",
            self.fix,
            crate::text::quote::path(crate::files::paths::parent(&self.path))
        )
    }
}

/// The first executable `name` on PATH that is not dockmux and that no one
/// but root and the caller can change (src/secure.rs, as for `docker =
/// "/path"`); each untrusted one passed over gets a line in `untrusted`.
fn search_path(
    name: &OsStr,
    untrusted: &mut Vec<Untrusted>,
) -> std::result::Result<PathBuf, Missing> {
    let path_var = std::env::var_os("PATH");
    let dirs = path_var.as_deref().unwrap_or(OsStr::new(DEFAULT_PATH));
    let me = self_identity();
    let mut skipped_self = false;
    let mut not_executable = None;
    for dir in std::env::split_paths(dirs) {
        // An empty PATH entry means the current directory, as for execvp.
        let dir = if dir.as_os_str().is_empty() {
            PathBuf::from(".")
        } else {
            dir
        };
        let candidate = dir.join(name);
        let Ok(meta) = std::fs::metadata(&candidate) else {
            continue;
        };
        if !meta.is_file() {
            continue;
        }
        if Some((meta.dev(), meta.ino())) == me {
            skipped_self = true;
            continue;
        }
        // As the shell: one the caller may not run is passed over for a later one.
        if !may_execute(&candidate) {
            not_executable.get_or_insert(candidate);
            continue;
        }
        match crate::files::secure::check(&candidate) {
            Ok(_) => return Ok(candidate),
            Err(crate::files::secure::Refusal::Insecure(i)) => untrusted.push(Untrusted {
                path: candidate,
                problem: i.problem,
                fix: i.fix,
            }),
            Err(crate::files::secure::Refusal::Io(..)) => {}
        }
    }
    if let Some(p) = not_executable {
        return Err(Missing::NotExecutable(p));
    }
    let mut why = Vec::new();
    if skipped_self {
        why.push(format!(
            "skipped '{}' on PATH because it is a link to dockmux",
            name.to_string_lossy()
        ));
    }
    if !untrusted.is_empty() {
        why.push(format!(
            "every '{}' on PATH could be changed by another user (see the note)",
            name.to_string_lossy()
        ));
    }
    if why.is_empty() {
        why.push(format!("'{}' is not on PATH", name.to_string_lossy()));
    }
    Err(Missing::Nowhere(why.join("; ")))
}
