//! Starting a forward: the host's connection if it is not up, then the
//! engine's socket on it, then `GET /_ping` through it, all under one bound.
//! The probe is what tells a working forward from one the server refuses:
//! with `AllowStreamLocalForwarding no` ssh still binds the local socket
//! and `ExitOnForwardFailure` does not see it; every connection is reset.
//! One start per host at a time (a lock), so fifty commands at once make one
//! connection, and the others use it.

use std::io::{Read, Write};
use std::os::unix::fs::{DirBuilderExt, MetadataExt, OpenOptionsExt};
use std::os::unix::net::UnixStream;
use std::path::Path;
use std::time::{Duration, Instant, SystemTime};

use super::ssh::{self, master_up};
use super::{Place, live};
use crate::{files::atomic, files::secure};

/// The longest a command waits for a forward before it goes over `ssh://`
/// (a cold start takes ~0.6 s over a 30 ms link; ssh's ConnectTimeout is 10 s).
const BOUND: Duration = Duration::from_secs(20);

/// The longest unix socket path (sun_path holds 108 bytes with its NUL).
const SUN_PATH_MAX: usize = 107;

/// Why a forward did not start.
#[derive(Debug)]
pub struct Failure(pub String);

impl Failure {
    /// The one note a command gives before it goes over `ssh://`.
    pub fn note(&self, engine: &str) -> String {
        format!(
            "dockmux: engine '{engine}': no shared ssh connection ({}); this command goes over \
             ssh:// as before (`dockmux doctor` checks the host)",
            self.0
        )
    }
}

/// A start failed within the idle time: commands go over `ssh://` without
/// trying again until it has passed.
pub fn failed_recently(place: &Place) -> bool {
    std::fs::symlink_metadata(&place.failed).is_ok_and(|m| {
        let age = m
            .modified()
            .ok()
            .and_then(|t| SystemTime::now().duration_since(t).ok());
        m.uid() == secure::euid() && age.is_some_and(|a| a.as_secs() < place.persist)
    })
}

/// Starts the engine's forward (and the host's connection if needed).
pub fn start(place: &Place) -> Result<(), Failure> {
    let deadline = Instant::now() + BOUND;
    let _lock = prepare(place, deadline)?;
    // Another command may have started it while this one waited.
    if live(&place.sock) {
        return Ok(());
    }
    if failed_recently(place) {
        let why = std::fs::read_to_string(&place.failed).unwrap_or_default();
        return Err(Failure(why.trim().to_string()));
    }
    let started = connect(place, deadline);
    remember(place, &started);
    started
}

/// Keeps a failed start's reason for the idle time ([`failed_recently`]),
/// or forgets an earlier one.
fn remember(place: &Place, started: &Result<(), Failure>) {
    match started {
        Ok(()) => {
            let _ = std::fs::remove_file(&place.failed);
        }
        Err(Failure(why)) => {
            let _ = atomic::write(&place.failed, why.as_bytes(), atomic::PRIVATE);
        }
    }
}

/// The forwards' directory checked, the socket paths fit, and the host's
/// start lock held (until the file returned is dropped).
fn prepare(place: &Place, deadline: Instant) -> Result<std::fs::File, Failure> {
    private_dir(&place.dir)?;
    paths_fit(place)?;
    lock(&place.lock, deadline)
}

/// The engine's socket paths fit in a unix socket's address.
fn paths_fit(place: &Place) -> Result<(), Failure> {
    for path in [&place.sock, &place.ctl] {
        // ssh binds its control socket at a temporary name 17 bytes longer.
        if path.as_os_str().len() + 17 > SUN_PATH_MAX {
            return Err(Failure(format!(
                "the socket path {} is too long for a unix socket; set XDG_RUNTIME_DIR to a shorter directory",
                path.display()
            )));
        }
    }
    Ok(())
}

/// Starts the forwards of several engines on one host, as a fan-out needs
/// them (`dockmux ps`): the host's connection if it is down, started with
/// all their forwards (else one `-O forward` for them all), then a
/// `/_ping` through each, at once. A
/// start per engine runs one ssh process and one `/_ping` after another
/// under the host's lock. An engine that does not answer then, or whose
/// remote socket is not in its URL, is started on its own ([`start`]).
/// When the connection cannot start, every engine gets that reason and
/// none tries again within the idle time. As [`super::Place::reach`], it
/// gives the note of each engine that cannot start, except one whose start
/// failed within the idle time: that one goes over `ssh://` quietly.
/// `places` share one connection (their `ctl`).
pub fn start_host(places: &[Place]) {
    let places: Vec<&Place> = places.iter().filter(|p| !failed_recently(p)).collect();
    for (place, started) in places.iter().zip(start_together(&places)) {
        if let Err(failure) = started {
            crate::output::note(&failure.note(&place.engine));
        }
    }
}

fn start_together(places: &[&Place]) -> Vec<Result<(), Failure>> {
    let deadline = Instant::now() + BOUND;
    // What each came to here; `None`: to be started on its own.
    let mut started: Vec<Option<Result<(), Failure>>> = places.iter().map(|_| None).collect();
    // Those that can start together; the others start on their own.
    let together: Vec<usize> = (0..places.len())
        .filter(|&i| {
            let p = places[i];
            p.ctl == places[0].ctl
                && paths_fit(p).is_ok()
                && forwardable(&p.spec.path)
                && !live(&p.sock)
        })
        .collect();
    if let Some(&first) = together.first()
        && let Ok(_lock) = prepare(places[first], deadline)
    {
        let engines = || {
            together
                .iter()
                .map(|&i| (places[i], places[i].spec.path.as_str()))
        };
        match up(places[first], deadline, engines()) {
            Err(Failure(why)) => {
                for &i in &together {
                    started[i] = Some(Err(Failure(why.clone())));
                }
            }
            Ok(forwarded) => {
                if !forwarded {
                    let _ = ssh::run(
                        &mut ssh::forwards(places[first], "forward", engines()),
                        deadline,
                    );
                }
                std::thread::scope(|scope| {
                    let pings: Vec<_> = together
                        .iter()
                        .map(|&i| {
                            let sock = &places[i].sock;
                            let pinged =
                                move || UnixStream::connect(sock).map(|s| ping_on(s, deadline));
                            (i, scope.spawn(pinged))
                        })
                        .collect();
                    for (i, pinged) in pings {
                        let place = places[i];
                        started[i] = match pinged.join() {
                            Ok(Ok(Ok(()))) => Some(Ok(())),
                            // ssh listens there, and the engine does not
                            // answer through it.
                            Ok(Ok(Err(why))) => Some(Err(no_answer(&place.spec.path, &why))),
                            // Nothing listens: ssh says why when asked alone.
                            _ => None,
                        };
                    }
                });
                let refused = together
                    .iter()
                    .filter(|&&i| matches!(started[i], Some(Err(_))))
                    .map(|&i| (places[i], places[i].spec.path.as_str()))
                    .collect::<Vec<_>>();
                if !refused.is_empty() {
                    let _ = ssh::run(
                        &mut ssh::forwards(places[first], "cancel", refused),
                        deadline,
                    );
                }
            }
        }
        for (place, started) in places.iter().zip(&started) {
            if let Some(started) = started {
                remember(place, started);
            }
        }
    }
    places
        .iter()
        .zip(started)
        .map(|(place, started)| started.unwrap_or_else(|| start(place)))
        .collect()
}

/// doctor's check: starts the forward whatever an earlier start found, and
/// when the engine does not answer through it, asks the host whether the
/// socket is there, to tell a server that forbids forwarding from a socket
/// that is missing.
pub fn diagnose(place: &Place) -> Result<(), Failure> {
    let _ = std::fs::remove_file(&place.failed);
    let Err(failure) = start(place) else {
        return Ok(());
    };
    let path = &place.spec.path;
    if path.is_empty() || !master_up(place) || !failure.0.starts_with("the engine at") {
        return Err(failure);
    }
    let deadline = Instant::now() + Duration::from_secs(10);
    let test = format!("test -S {}", crate::text::quote::sh(path));
    let why = match ssh::run(&mut ssh::session(place, &test), deadline) {
        Ok(ran) if ran.ok => format!(
            "{path} is a socket on the host, but the server does not forward it: sshd_config \
             has AllowStreamLocalForwarding no (or DisableForwarding)"
        ),
        Ok(_) => format!("there is no socket at {path} on the host"),
        Err(_) => return Err(failure),
    };
    let failure = Failure(why);
    let _ = atomic::write(&place.failed, failure.0.as_bytes(), atomic::PRIVATE);
    Err(failure)
}

fn connect(place: &Place, deadline: Instant) -> Result<(), Failure> {
    // A path in the URL is forwarded as the connection starts.
    let path = place.spec.path.as_str();
    let early = forwardable(path).then_some((place, path));
    let forwarded = up(place, deadline, early)?;
    let remote = match path {
        "" => remote_socket(place, deadline)?,
        path => path.to_string(),
    };
    if !forwardable(&remote) {
        return Err(Failure(format!(
            "ssh cannot forward the remote socket path '{remote}'"
        )));
    }
    if !(forwarded && early.is_some()) {
        let ran =
            ssh::run(&mut ssh::forward(place, "forward", &remote), deadline).map_err(Failure)?;
        if !ran.ok {
            return Err(Failure(format!(
                "ssh could not forward {remote}: {}",
                last_line(&ran.stderr, "no reason given")
            )));
        }
    }
    if let Err(why) = ping(&place.sock, deadline) {
        let _ = ssh::run(&mut ssh::forward(place, "cancel", &remote), deadline);
        return Err(no_answer(&remote, &why));
    }
    Ok(())
}

/// The engine at `remote` does not answer through its forward (`why`).
fn no_answer(remote: &str, why: &str) -> Failure {
    Failure(format!(
        "the engine at {remote} does not answer through a forwarded socket ({why}); the \
         server may forbid it (sshd_config AllowStreamLocalForwarding) or the socket may not \
         exist"
    ))
}

/// ssh can forward the remote socket at `path` (`-L` splits at a colon).
fn forwardable(path: &str) -> bool {
    path.starts_with('/') && !path.contains(':')
}

/// The host's connection, started if it is down.
/// When it starts it here, it starts with the forwards of `engines`, and
/// says so (`Ok(true)`).
fn up<'a>(
    place: &Place,
    deadline: Instant,
    engines: impl IntoIterator<Item = (&'a Place, &'a str)>,
) -> Result<bool, Failure> {
    if !master_up(place) {
        // A master killed outright leaves its control socket: ssh would
        // then run without one ("already exists, disabling multiplexing").
        let _ = std::fs::remove_file(&place.ctl);
        let ran = ssh::run(&mut ssh::master(place, engines), deadline).map_err(Failure)?;
        if !ran.ok || !master_up(place) {
            return Err(Failure(format!(
                "ssh could not connect: {}",
                last_line(&ran.stderr, "no reason given")
            )));
        }
        // Asking for the remote socket is such a session itself.
        if !place.spec.path.is_empty() {
            no_delay(place);
        }
        return Ok(true);
    }
    Ok(false)
}

/// A new connection's session that turns Nagle's algorithm off at the
/// server's end: sshd (before OpenSSH 10.1) sets TCP_NODELAY on a
/// connection only once a session on it runs a command, and then for the
/// connection's life. Without it the connection only forwards and keeps
/// Nagle on: the second part of an answer the engine writes in two
/// (`logs`: headers, then the log) waits for the client's delayed ACK,
/// 40 ms on loopback, and the last part of a long answer behind a slow
/// link waits a round trip (bench/REMOTE.md). The client's end has it off
/// already (ssh sets it on every connection).
///
/// sshd sets it as it starts the command (session.c, do_exec_*), so
/// nothing here waits for the command to end, which takes the remote
/// user's shell start-up (a `.bashrc` may take half a second): the session
/// runs on its own (ssh.rs [`ssh::detach`]), ended after [`NO_DELAY_BOUND`]
/// if it is still running then (a command forced on the key may never
/// end). A server that allows no session only loses the speed-up.
fn no_delay(place: &Place) {
    let _ = ssh::detach(&mut ssh::session(place, "true"), NO_DELAY_BOUND);
}

/// The longest the session of [`no_delay`] runs.
const NO_DELAY_BOUND: Duration = Duration::from_secs(5);

/// The socket the remote docker uses, found as `docker system dial-stdio`
/// finds it there: the remote client's DOCKER_HOST, else its current
/// context, else the default socket.
fn remote_socket(place: &Place, deadline: Instant) -> Result<String, Failure> {
    let ran = ssh::run(
        &mut ssh::session(
            place,
            "docker context inspect --format '{{.Endpoints.docker.Host}}'",
        ),
        deadline,
    )
    .map_err(Failure)?;
    let host = ran.stdout.trim();
    match host.strip_prefix("unix://") {
        Some(path) if ran.ok && path.starts_with('/') && !path.contains('\n') => {
            Ok(path.to_string())
        }
        _ if ran.ok => Err(Failure(format!(
            "the remote docker uses {}, not a unix socket",
            crate::text::escape::owned(host)
        ))),
        _ => Err(Failure(format!(
            "cannot tell which socket the remote docker uses ({}); put its path in the host \
             URL, like ssh://HOST/var/run/docker.sock",
            last_line(&ran.stderr, "docker context inspect failed")
        ))),
    }
}

/// `GET /_ping` through the forward answers 200.
fn ping(sock: &Path, deadline: Instant) -> Result<(), String> {
    ping_on(
        UnixStream::connect(sock).map_err(|e| e.to_string())?,
        deadline,
    )
}

/// [`ping`] on a connection made.
fn ping_on(mut s: UnixStream, deadline: Instant) -> Result<(), String> {
    let left = deadline
        .saturating_duration_since(Instant::now())
        .clamp(Duration::from_millis(100), Duration::from_secs(5));
    let _ = s.set_read_timeout(Some(left));
    s.write_all(b"GET /_ping HTTP/1.0\r\nHost: docker\r\n\r\n")
        .map_err(|e| e.to_string())?;
    let mut head = Vec::new();
    let mut buf = [0u8; 256];
    while !head.windows(2).any(|w| w == b"\r\n") && head.len() < 4096 {
        match s.read(&mut buf) {
            Ok(0) => break,
            Ok(n) => head.extend_from_slice(&buf[..n]),
            Err(e) => return Err(e.to_string()),
        }
    }
    let line = head.split(|&b| b == b'\r').next().unwrap_or_default();
    if line.starts_with(b"HTTP/1.") && line.windows(5).any(|w| w == b" 200 ") {
        return Ok(());
    }
    Err(if head.is_empty() {
        "the connection was closed".into()
    } else {
        format!(
            "answer: {}",
            crate::text::escape::owned(&String::from_utf8_lossy(line))
        )
    })
}

/// Makes the forwards' directory if needed, and checks it is one only the
/// user can enter: a directory (not a link), the user's own, mode 0700.
fn private_dir(dir: &Path) -> Result<(), Failure> {
    let _ = std::fs::DirBuilder::new().mode(0o700).create(dir);
    match std::fs::symlink_metadata(dir) {
        Ok(m) if m.is_dir() && m.uid() == secure::euid() && m.mode() & 0o077 == 0 => Ok(()),
        Ok(m) => Err(Failure(format!(
            "{} is not a directory only you can enter (owner uid {}, mode {:o}); remove it and \
             the next command makes it again",
            dir.display(),
            m.uid(),
            m.mode() & 0o7777
        ))),
        Err(e) => Err(Failure(format!("cannot make {}: {e}", dir.display()))),
    }
}

/// The host's start lock, waited for until `deadline`. Released when the
/// file is closed, also when the holder dies.
fn lock(path: &Path, deadline: Instant) -> Result<std::fs::File, Failure> {
    #[expect(
        clippy::disallowed_methods,
        reason = "the lock file holds no data: only its flock matters"
    )]
    let file = std::fs::OpenOptions::new()
        .read(true)
        .write(true)
        .create(true)
        .mode(0o600)
        .custom_flags(libc::O_NOFOLLOW)
        .open(path)
        .map_err(|e| Failure(format!("cannot open {}: {e}", path.display())))?;
    use std::os::fd::AsRawFd;
    loop {
        // SAFETY: flock on an fd this function owns.
        if unsafe { libc::flock(file.as_raw_fd(), libc::LOCK_EX | libc::LOCK_NB) } == 0 {
            return Ok(file);
        }
        if Instant::now() >= deadline {
            return Err(Failure(
                "another command has been starting the connection for too long".into(),
            ));
        }
        std::thread::sleep(Duration::from_millis(10));
    }
}

/// The last non-empty line of ssh's stderr, escaped (it may quote the server).
fn last_line(stderr: &str, otherwise: &str) -> String {
    let line = stderr
        .lines()
        .rev()
        .map(str::trim)
        .find(|l| !l.is_empty())
        .unwrap_or(otherwise);
    crate::text::escape::owned(line)
}
