//! Finding the stock docker client: the config's `docker`, else the first
//! `docker` on PATH that is not dockmux itself and that the caller may run
//! (as the shell searches). Identity is by file (device and inode), so a
//! link named `docker` pointing at dockmux is skipped whatever its path —
//! the same guard rustup's proxies use. A client the config names by path
//! is checked like the config itself (crates/dockmux-engine/src/files/secure.rs): whoever can change it
//! runs code as everyone who uses the config.

use std::ffi::OsStr;
use std::os::unix::fs::MetadataExt;
use std::path::{Path, PathBuf};

use crate::config::{Client, Engine};
use crate::error::{Error, Result};
use crate::files::secure::{self, Walked};

/// What execvp would search when PATH is unset.
const DEFAULT_PATH: &str = "/usr/local/bin:/usr/bin:/bin";

/// (device, inode) of a file.
type Identity = (u64, u64);

fn identity(path: &Path) -> Option<Identity> {
    std::fs::metadata(path).ok().map(|m| (m.dev(), m.ino()))
}

/// stat(2) of the NUL-terminated path in `c`: (device, inode, mode).
fn stat_c(c: &[u8]) -> Option<(Identity, u32)> {
    debug_assert_eq!(c.last(), Some(&0));
    // SAFETY: an all-zero stat is valid; stat fills it.
    let mut st: libc::stat = unsafe { std::mem::zeroed() };
    // SAFETY: c ends in a NUL and st is writable.
    if unsafe { libc::stat(c.as_ptr().cast(), &mut st) } != 0 {
        return None;
    }
    Some(((st.st_dev, st.st_ino), st.st_mode))
}

/// The running dockmux binary's identity.
pub fn self_identity() -> Option<Identity> {
    stat_c(b"/proc/self/exe\0")
        .map(|(id, _)| id)
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
    find_with(configured, &mut Walked::default())
}

/// Each engine's client, as its `NAME-docker` picks it (its own `client`,
/// else the config's `docker`, else PATH's), for a command that runs many
/// engines: the shared one is looked for once, and only when an engine
/// runs it.
pub struct PerEngine<'a> {
    top: Option<&'a Client>,
    shared: Option<PathBuf>,
}

impl<'a> PerEngine<'a> {
    /// `top`: the config's `docker`.
    pub fn new(top: Option<&'a Client>) -> Self {
        PerEngine { top, shared: None }
    }

    /// The client `engine` runs; an error says what is wrong and the fix,
    /// as [`find`]'s do.
    pub fn of(&mut self, engine: &Engine) -> Result<PathBuf> {
        if let Some(own) = engine.client_or(None) {
            return find(Some(&own));
        }
        match &self.shared {
            Some(found) => Ok(found.clone()),
            None => Ok(self.shared.insert(find(self.top)?).clone()),
        }
    }
}

/// [`find`], sharing the directories `walked` holds as checked (see
/// [`secure::check_with`]).
pub fn find_with(configured: Option<&Client>, walked: &mut Walked) -> Result<PathBuf> {
    let mut skipped = Vec::new();
    let found = find_client(configured, &mut skipped, walked);
    for u in &skipped {
        crate::output::note(&format!("dockmux: note: {}; fix: {}", u.problem(), u.fix()));
    }
    found
}

/// [`find`], with a line in `skipped` for each `docker` on PATH passed
/// over because another user could change it: it is checked like a client
/// the config names by path, and never run (doctor reports these).
pub fn find_noting(configured: Option<&Client>, skipped: &mut Vec<Untrusted>) -> Result<PathBuf> {
    find_client(configured, skipped, &mut Walked::default())
}

fn find_client(
    configured: Option<&Client>,
    untrusted: &mut Vec<Untrusted>,
    walked: &mut Walked,
) -> Result<PathBuf> {
    match configured {
        Some(c) if c.path.starts_with('/') => check_configured(Path::new(&c.path), c, walked),
        Some(c) => search_path(OsStr::new(&c.path), untrusted, walked).map_err(|why| {
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
        None => search_path(OsStr::new("docker"), untrusted, walked).map_err(|why| match why {
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
    }
}

/// The client an absolute `docker`/`client` key names, checked as the
/// engine path checks it and also whether the caller may run it (which
/// the engine path leaves to exec): for `add` and `set` to say at once.
pub fn usable(c: &Client) -> Result<PathBuf> {
    let path = check_configured(Path::new(&c.path), c, &mut Walked::default())?;
    let mut bytes = std::os::unix::ffi::OsStrExt::as_bytes(path.as_os_str()).to_vec();
    bytes.push(0);
    if !may_execute(&bytes) {
        return Err(Error::ClientNotExecutable {
            fix: format!(
                "make it executable (chmod +x {}), or {}",
                crate::text::quote::path(&path),
                c.fix()
            ),
            path,
            source: std::io::Error::from(std::io::ErrorKind::PermissionDenied),
        });
    }
    Ok(path)
}

fn check_configured(path: &Path, c: &Client, walked: &mut Walked) -> Result<PathBuf> {
    let meta = secure::check_with(path, walked).map_err(|r| {
        r.into_error(
            || {
                format!(
                    "the docker client {} ({} = in {})",
                    path.display(),
                    c.key(),
                    c.place()
                )
            },
            |_, source| Error::ClientNotExecutable {
                path: path.to_path_buf(),
                source,
                fix: c.fix(),
            },
        )
    })?;
    if (meta.dev, meta.ino) == self_identity().unwrap_or_default() {
        return Err(Error::Usage(format!(
            "{} is dockmux itself; point it at the real docker client",
            c.said()
        )));
    }
    if !meta.is_file() {
        return Err(Error::Usage(format!(
            "{} is not a program file; point it at the docker client, e.g. /usr/bin/docker",
            c.said()
        )));
    }
    Ok(path.to_path_buf())
}

/// May the caller run the NUL-terminated path in `c`? As execve decides, by
/// the effective ids (and ACLs): root may run a file with any execute bit,
/// others need theirs.
fn may_execute(c: &[u8]) -> bool {
    debug_assert_eq!(c.last(), Some(&0));
    // SAFETY: c ends in a NUL.
    unsafe {
        libc::faccessat(
            libc::AT_FDCWD,
            c.as_ptr().cast(),
            libc::X_OK,
            libc::AT_EACCESS,
        ) == 0
    }
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
    search_path(OsStr::new(name), &mut Vec::new(), &mut Walked::default()).ok()
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
/// but root and the caller can change (crates/dockmux-engine/src/files/secure.rs, as for `docker =
/// "/path"`); each untrusted one passed over gets a line in `untrusted`.
fn search_path(
    name: &OsStr,
    untrusted: &mut Vec<Untrusted>,
    walked: &mut Walked,
) -> std::result::Result<PathBuf, Missing> {
    use std::os::unix::ffi::OsStrExt;
    let path_var = std::env::var_os("PATH");
    let dirs = path_var.as_deref().unwrap_or(OsStr::new(DEFAULT_PATH));
    let me = self_identity();
    let mut skipped_self = false;
    let mut not_executable = None;
    // Every candidate is built in this one buffer, NUL-terminated for the
    // system calls: this runs on the engine path, once per PATH entry.
    let mut c: Vec<u8> = Vec::with_capacity(dirs.len() + name.len() + 2);
    for dir in dirs.as_bytes().split(|&b| b == b':') {
        // An empty PATH entry means the current directory, as for execvp.
        let dir: &[u8] = if dir.is_empty() { b"." } else { dir };
        c.clear();
        c.extend_from_slice(dir);
        if !dir.ends_with(b"/") {
            c.push(b'/');
        }
        c.extend_from_slice(name.as_bytes());
        if c.contains(&0) {
            continue;
        }
        c.push(0);
        let Some((id, mode)) = stat_c(&c) else {
            continue;
        };
        if mode & libc::S_IFMT != libc::S_IFREG {
            continue;
        }
        if Some(id) == me {
            skipped_self = true;
            continue;
        }
        let may_run = may_execute(&c);
        c.pop();
        let candidate = Path::new(OsStr::from_bytes(&c));
        // As the shell: one the caller may not run is passed over for a later one.
        if !may_run {
            not_executable.get_or_insert_with(|| candidate.to_path_buf());
            continue;
        }
        match secure::check_with(candidate, walked) {
            Ok(_) => return Ok(candidate.to_path_buf()),
            Err(secure::Refusal::Insecure(i)) => untrusted.push(Untrusted {
                path: candidate.to_path_buf(),
                problem: i.problem,
                fix: i.fix,
            }),
            Err(secure::Refusal::Io(..)) => {}
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
