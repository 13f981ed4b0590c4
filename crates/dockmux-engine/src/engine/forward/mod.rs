//! An ssh engine's socket as a local unix socket, carried over one ssh
//! connection per user and host that everything shares: the engine path,
//! `exec`, `ps`, `each`, `find`, completion. Plain `ssh://` costs a full ssh
//! login and a remote `docker system dial-stdio` for every connection docker
//! opens (0.5 s on loopback, 0.8 s over a 30 ms link); a forwarded socket
//! costs a channel on a connection that is already up.
//!
//! The connection is OpenSSH's own: a ControlMaster per host (`HOST.ctl`)
//! with `ControlPersist` set to the engine's `persist`, so ssh itself ends it
//! once it has been idle that long with no forwarded connection open; each
//! engine on the host adds its socket (`ENGINE.sock`): with `-L` as the
//! connection starts, or with `-O forward` once it is up. No
//! dockmux process stays behind: whatever part is killed, what is left is at
//! most a socket file, which the next start replaces (ssh's
//! `StreamLocalBindUnlink`) and which the check below finds dead first.
//!
//! Everything lives in one directory only the user can enter (see
//! [`dir`]), and a socket is used only after a check: it is a socket, the
//! user's own, 0600 (ssh's default `StreamLocalBindMask`), and something
//! listens on it. When the forward cannot start the command goes over
//! `ssh://` as it did before, with one note (start.rs), and a marker keeps
//! the next commands from trying again until the idle time has passed.

use std::os::unix::fs::{FileTypeExt, MetadataExt};
use std::os::unix::net::UnixStream;
use std::path::{Path, PathBuf};

use crate::config::Engine;
use crate::config::host::{self, SshSpec};
use crate::{files::paths, files::secure};

mod ssh;
mod start;

pub use ssh::stop;
pub use start::{diagnose, start, start_host};

/// Ends every shared connection of the user (each control socket in the
/// directory); returns how many were up.
pub fn stop_all() -> usize {
    let Ok(entries) = std::fs::read_dir(dir()) else {
        return 0;
    };
    let ctls: Vec<PathBuf> = entries
        .filter_map(|e| Some(e.ok()?.path()))
        .filter(|p| p.extension().is_some_and(|x| x == "ctl"))
        .collect();
    ctls.iter().filter(|ctl| ssh::stop_ctl(ctl)).count()
}

/// Where an engine's forward lives.
#[derive(Clone, Debug)]
pub struct Place {
    /// The engine's name, for the note.
    pub engine: String,
    pub dir: PathBuf,
    /// The engine's forwarded socket.
    pub sock: PathBuf,
    /// The host's ControlMaster socket.
    pub ctl: PathBuf,
    /// Held while the host's connection or a forward on it starts.
    pub lock: PathBuf,
    /// Left when the forward could not start: until it is older than the
    /// idle time, commands go over `ssh://` without trying again.
    pub failed: PathBuf,
    pub spec: SshSpec,
    /// Seconds of idle time (never 0 here).
    pub persist: u64,
}

impl Place {
    /// The engine's place, when it is an ssh engine whose connection is not
    /// turned off (`persist = "0"`).
    pub fn of(engine: &Engine) -> Option<Place> {
        let persist = engine.persist_secs();
        if persist == 0 {
            return None;
        }
        let spec = host::ssh_spec(&engine.host)?;
        let dir = dir();
        let host_key = key(&[spec.user.as_deref().unwrap_or(""), &spec.host, port(&spec)]);
        let engine_key = key(&[&host_key, &spec.path]);
        Some(Place {
            engine: engine.name.clone(),
            sock: dir.join(format!("{engine_key}.sock")),
            ctl: dir.join(format!("{host_key}.ctl")),
            lock: dir.join(format!("{host_key}.lock")),
            failed: dir.join(format!("{engine_key}.failed")),
            dir,
            spec,
            persist,
        })
    }

    /// The DOCKER_HOST of the forward, started if it is not up; `None`
    /// when it cannot start now (then the note has been given, unless
    /// `quiet`, and the command goes over `ssh://`).
    pub fn reach(&self, quiet: bool) -> Option<String> {
        self.reach_unless(|| quiet)
    }

    /// [`Place::reach`], asking `quiet` only when there is a note to give.
    fn reach_unless(&self, quiet: impl FnOnce() -> bool) -> Option<String> {
        if live(&self.sock) {
            return Some(self.docker_host());
        }
        if start::failed_recently(self) {
            return None;
        }
        match start(self) {
            Ok(()) => Some(self.docker_host()),
            Err(failure) => {
                if !quiet() {
                    crate::output::note(&failure.note(&self.engine));
                }
                None
            }
        }
    }

    /// The DOCKER_HOST of the forward when it is up, or (with `start`)
    /// once started.
    pub fn host(&self, start: bool) -> Option<String> {
        match start {
            true => self.reach(false),
            false => live(&self.sock).then(|| self.docker_host()),
        }
    }

    /// The host's connection is up: its control socket takes a connect.
    /// That connect stays in ssh's multiplexer (no channel, nothing sent
    /// to the server), unlike one to a forwarded socket.
    pub fn host_up(&self) -> bool {
        ssh::master_up(self)
    }

    /// The host's connection, for grouping engines by it.
    pub fn host_id(&self) -> &Path {
        &self.ctl
    }

    /// `unix://SOCK`, for DOCKER_HOST.
    pub fn docker_host(&self) -> String {
        format!("unix://{}", self.sock.display())
    }
}

fn port(spec: &SshSpec) -> &str {
    spec.port.as_deref().unwrap_or("")
}

/// The directory of the forwards: `$XDG_RUNTIME_DIR/dockmux-ssh` (the
/// runtime dir is the user's own, 0700, and gone at logout), else
/// `/tmp/dockmux-ssh-UID`. It is checked before anything is started in it
/// (start.rs); a socket in it is checked before every use ([`live`]).
pub fn dir() -> PathBuf {
    match paths::env("XDG_RUNTIME_DIR").filter(|d| d.is_absolute()) {
        Some(runtime) => runtime.join("dockmux-ssh"),
        None => PathBuf::from(format!("/tmp/dockmux-ssh-{}", secure::euid())),
    }
}

/// A short stable name for `parts` (FNV-1a, 64 bits, in hex): file names of
/// a fixed length whatever the host and path, so every socket path fits in
/// sun_path when the directory does.
fn key(parts: &[&str]) -> String {
    let mut h: u64 = 0xcbf2_9ce4_8422_2325;
    for part in parts {
        for b in part.bytes().chain([0]) {
            h ^= u64::from(b);
            h = h.wrapping_mul(0x0100_0000_01b3);
        }
    }
    format!("{h:016x}")
}

/// The forward at `sock` is up and safe to use: [`safe`], and something
/// listening. One lstat and one connect: this runs on the engine path.
pub fn live(sock: &Path) -> bool {
    safe(sock) && UnixStream::connect(sock).is_ok()
}

/// The file at `sock` is safe to connect to: a socket (not a link), the
/// user's own, no access for others. One lstat. Whether something listens
/// is left to the connect that uses it: a connect to a forward makes ssh
/// open a channel and the server connect to the engine, so a fan-out lets
/// its own request's connect be the check, rather than pay for two.
pub fn safe(sock: &Path) -> bool {
    std::fs::symlink_metadata(sock).is_ok_and(|m| {
        m.file_type().is_socket() && m.uid() == secure::euid() && m.mode() & 0o077 == 0
    })
}

/// The engine path's question: the DOCKER_HOST of the engine's forward,
/// started if it is not up; `None` when the engine has none or it cannot
/// start now (then the note has been given, unless `quiet` says so: asked
/// only then).
pub fn reach(engine: &Engine, quiet: impl FnOnce() -> bool) -> Option<String> {
    Place::of(engine)?.reach_unless(quiet)
}

/// An engine's shared connection, as `list` shows it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum State {
    /// Not an ssh engine.
    None,
    /// Turned off (`persist = "0"`).
    Off,
    Up,
    Down,
}

impl State {
    /// Up: the host's connection is up and the engine's socket is in place
    /// and safe. Judged without a connect to the socket, which would cost a
    /// channel and a connection at the engine per engine listed (and wait
    /// without end on one whose listener takes no more); a socket that a
    /// dead connection left is found by the next command on it, which
    /// starts the forward again.
    pub fn of(engine: &Engine) -> State {
        match Place::of(engine) {
            Some(place) if safe(&place.sock) && place.host_up() => State::Up,
            Some(_) => State::Down,
            None if engine.kind == host::Kind::Ssh => State::Off,
            None => State::None,
        }
    }

    pub fn label(self) -> Option<&'static str> {
        match self {
            State::None => None,
            State::Off => Some("off"),
            State::Up => Some("up"),
            State::Down => Some("down"),
        }
    }
}
