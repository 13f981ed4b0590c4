//! `dockmux exec` for an ssh engine whose URL names a socket path
//! (`ssh://me@box/data/playground/docker.sock`). Newer docker clients read
//! such a URL; docker-compose v1, the Docker SDKs and the 20.10 client reject
//! it. So for the life of the program a unix socket in a private directory
//! stands for the engine: each connection to it runs what docker's own ssh
//! connection helper runs (docker/cli cli/connhelper: `ssh -o
//! ConnectTimeout=30 -T [-l USER] [-p PORT] -- HOST docker
//! --host=unix://PATH system dial-stdio`) and carries the bytes both ways, so
//! the program reaches the engine exactly when `NAME-docker` does, with the
//! same ssh setup. The bridge is a process of its own, forked twice before
//! the program is exec'd (so the program gets no child it did not start); it
//! ignores the terminal's SIGINT/SIGQUIT (the program may still need the
//! engine to shut down cleanly), watches the program through a pidfd, and
//! removes the socket once the program is gone. A third process watches the
//! bridge: if the bridge dies first (SIGKILL, OOM), it says so on the
//! program's stderr and removes the directory. A bridge directory whose
//! bridge is gone (its pid and start time, written in the directory, no
//! longer match a process) is removed by the next `dockmux exec`.

use std::io::{self, Read, Write};
use std::net::Shutdown;
use std::os::fd::{AsRawFd, FromRawFd, OwnedFd};
use std::os::unix::fs::{DirBuilderExt, MetadataExt};
use std::os::unix::net::{UnixListener, UnixStream};
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::sync::{Arc, Mutex};

use crate::config::Engine;
use crate::config::host::{self, SshSpec};
use crate::error::{Error, Result};
use crate::{files::paths, output, text::quote};

/// The engine's ssh URL, when it names a socket path (else no bridge is needed).
pub fn needed(engine: &Engine) -> Option<SshSpec> {
    host::ssh_spec(&engine.host).filter(|s| !s.path.trim_matches('/').is_empty())
}

/// What the program is told about an engine it reaches through the bridge.
pub fn env_note(name: &str) -> String {
    format!(
        "only newer docker clients accept a socket path in an ssh:// DOCKER_HOST (the 20.10 \
         client, docker-compose v1 and the Docker SDKs reject it); run those with \
         `dockmux exec {name} CMD…`, which carries the socket over ssh"
    )
}

/// The ssh options that share one ssh connection among the program's
/// connections (each costs a whole ssh handshake otherwise, 1.6 s on the test
/// machine): the first becomes the master, in the private directory; it
/// outlives its own session by at most a minute, and is told to exit when the
/// program ends.
fn mux_args(dir: &Path) -> Vec<String> {
    let ctl = dir.join("ssh.ctl").display().to_string();
    [
        "-o",
        "ControlMaster=auto",
        "-o",
        &format!("ControlPath={ctl}"),
        "-o",
        "ControlPersist=60",
    ]
    .map(str::to_string)
    .to_vec()
}

/// docker's own ssh command for one connection to the engine.
fn ssh_args(spec: &SshSpec) -> Vec<String> {
    let mut args = vec!["-o".to_string(), "ConnectTimeout=30".into(), "-T".into()];
    args.extend(spec.destination());
    // One word for the remote shell, quoted: the path may hold anything.
    args.push(format!(
        "docker {} system dial-stdio",
        quote::sh(&format!("--host=unix://{}", spec.path))
    ));
    args
}

/// Starts the bridge for engine `name`; returns the DOCKER_HOST that reaches
/// it. The bridge lives until this process (the program, after exec) ends.
pub fn start(name: &str, spec: &SshSpec) -> Result<String> {
    let dir = private_dir()?;
    let sock = dir.join("docker.sock");
    let cleanup = |e: Error| {
        let _ = std::fs::remove_file(&sock);
        let _ = std::fs::remove_dir(&dir);
        e
    };
    let listener = UnixListener::bind(&sock)
        .map_err(|e| cleanup(Error::io(format!("cannot listen on {}", sock.display()), e)))?;
    listener
        .set_nonblocking(true)
        .map_err(|e| cleanup(Error::io("cannot set up the ssh bridge", e)))?;
    // SAFETY: getpid has no preconditions.
    let me = unsafe { libc::getpid() };
    let program = pidfd(me);
    let mut args = mux_args(&dir);
    args.extend(ssh_args(spec));
    let mut stop = mux_args(&dir);
    stop.extend(["-O".to_string(), "exit".into()]);
    stop.extend(spec.destination());
    let args = Bridge { args, stop };
    let shown_sock = sock.display().to_string();
    let fail = |what: &str| {
        cleanup(Error::Failed(format!(
            "cannot start the ssh bridge for engine '{name}' ({what}: {}); \
             use the engine's own client instead: {name}-docker",
            io::Error::last_os_error()
        )))
    };
    // SAFETY: dockmux exec runs no other threads, so the child may go on
    // running Rust code; each child leaves by _exit only.
    match unsafe { libc::fork() } {
        -1 => Err(fail("fork")),
        0 => {
            // SAFETY: as above.
            let bridge = unsafe { libc::fork() };
            if bridge == 0 {
                serve(&listener, program.as_ref(), me, &args, &dir, name);
            }
            if bridge > 0 {
                drop(listener);
                // SAFETY: as above; the watcher leaves by _exit only.
                if unsafe { libc::fork() } == 0 {
                    watch_bridge(bridge, &dir, name, &shown_sock);
                }
            }
            // SAFETY: leaving the intermediate child without running anything
            // of the parent's; its status says whether the bridge started.
            unsafe { libc::_exit(i32::from(bridge < 0)) }
        }
        child => {
            let mut status = 0;
            // SAFETY: waits for the child just forked.
            let waited = unsafe { libc::waitpid(child, &mut status, 0) };
            if waited != child || !libc::WIFEXITED(status) || libc::WEXITSTATUS(status) != 0 {
                // Nobody would serve the socket: the program would hang on it.
                return Err(fail("fork"));
            }
            Ok(format!("unix://{}", sock.display()))
        }
    }
}

/// Waits for the bridge `pid` to end; if it left its directory (it was
/// killed), says so on the program's stderr and removes the directory.
fn watch_bridge(pid: libc::pid_t, dir: &Path, name: &str, sock: &str) -> ! {
    quiet_process();
    let bridge = pidfd(pid);
    while !ended(bridge.as_ref(), pid) {
        if let Some(fd) = &bridge {
            let mut p = libc::pollfd {
                fd: fd.as_raw_fd(),
                events: libc::POLLIN,
                revents: 0,
            };
            // SAFETY: one valid pollfd.
            unsafe { libc::poll(&mut p, 1, -1) };
        } else {
            std::thread::sleep(std::time::Duration::from_millis(200));
        }
    }
    if dir.exists() {
        output::note(&format!(
            "dockmux exec: the ssh bridge for engine '{name}' (pid {pid}) ended before the \
             program did (it was killed): the program can no longer reach the engine at \
             unix://{sock}; run the program again with dockmux exec {name}"
        ));
        remove_bridge_dir(dir);
    }
    // SAFETY: ends the watcher without running the parent's exit handlers.
    unsafe { libc::_exit(0) }
}

/// What the bridge and its watcher share: the terminal's SIGINT/SIGQUIT are
/// the program's, and the program's stdin and stdout are not held (a pipe
/// reader must see EOF when the program ends).
fn quiet_process() {
    // SAFETY: signal dispositions and fds of this process alone.
    unsafe {
        libc::signal(libc::SIGINT, libc::SIG_IGN);
        libc::signal(libc::SIGQUIT, libc::SIG_IGN);
        libc::signal(libc::SIGPIPE, libc::SIG_IGN);
        let null = libc::open(c"/dev/null".as_ptr(), libc::O_RDWR);
        if null >= 0 {
            libc::dup2(null, 0);
            libc::dup2(null, 1);
            libc::close(null);
        }
    }
}

/// The files a bridge makes in its directory, and the directory.
fn remove_bridge_dir(dir: &Path) {
    for f in ["docker.sock", "ssh.ctl", "bridge"] {
        let _ = std::fs::remove_file(dir.join(f));
    }
    let _ = std::fs::remove_dir(dir);
}

/// Process `pid`'s start time (clock ticks after boot), from /proc: with
/// the pid it names one process, whatever reuses the pid later.
fn start_time(pid: u32) -> Option<u64> {
    let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).ok()?;
    // After the command's `)`: state is field 3, starttime field 22.
    let (_, rest) = stat.rsplit_once(") ")?;
    rest.split(' ').nth(19)?.parse().ok()
}

/// Removes the bridge directories in `base` whose bridge is gone: only
/// directories (not symlinks) named as a bridge's, this user's, mode 0700,
/// whose `bridge` file names a process that no longer runs (pid and start
/// time), or, without that file, whose program's pid no longer runs.
fn sweep(base: &Path) {
    let Ok(entries) = std::fs::read_dir(base) else {
        return;
    };
    for entry in entries.flatten() {
        let name = entry.file_name();
        let Some(program) = bridge_dir_pid(&name.to_string_lossy()) else {
            continue;
        };
        let dir = entry.path();
        let ours = std::fs::symlink_metadata(&dir).is_ok_and(|m| {
            m.is_dir() && m.uid() == crate::files::secure::euid() && m.mode() & 0o7777 == 0o700
        });
        if !ours {
            continue;
        }
        let recorded = std::fs::read_to_string(dir.join("bridge")).ok();
        let alive = match recorded.as_deref().and_then(|r| r.trim().split_once(' ')) {
            Some((pid, start)) => pid
                .parse()
                .ok()
                .and_then(start_time)
                .is_some_and(|t| Some(t) == start.parse().ok()),
            None => Path::new(&format!("/proc/{program}")).exists(),
        };
        if !alive {
            remove_bridge_dir(&dir);
        }
    }
}

/// The program's pid in a bridge directory's name, `dockmux-exec-PID-HEX8`.
fn bridge_dir_pid(name: &str) -> Option<u32> {
    let (pid, hex) = name.strip_prefix("dockmux-exec-")?.split_once('-')?;
    let hex_ok = hex.len() == 8 && hex.bytes().all(|b| b.is_ascii_hexdigit());
    hex_ok.then(|| pid.parse().ok()).flatten()
}

/// A new directory only the caller can enter, in XDG_RUNTIME_DIR when it is
/// the caller's, else in /tmp; the bridge directories left there by
/// bridges that are gone are removed first.
fn private_dir() -> Result<PathBuf> {
    let runtime = paths::env("XDG_RUNTIME_DIR").filter(|d| {
        std::fs::metadata(d).is_ok_and(|m| {
            m.is_dir() && m.uid() == crate::files::secure::euid() && m.mode() & 0o077 == 0
        })
    });
    let base = runtime.unwrap_or_else(|| PathBuf::from("/tmp"));
    sweep(&base);
    let mut last = None;
    for _ in 0..16 {
        let mut random = [0u8; 4];
        // SAFETY: fills the 4 bytes of `random`.
        unsafe { libc::getrandom(random.as_mut_ptr().cast(), random.len(), 0) };
        let dir = base.join(format!(
            "dockmux-exec-{}-{:08x}",
            std::process::id(),
            u32::from_ne_bytes(random)
        ));
        // mkdir fails if the name exists: the directory is surely our own.
        match std::fs::DirBuilder::new().mode(0o700).create(&dir) {
            Ok(()) => return Ok(dir),
            Err(e) if e.kind() == io::ErrorKind::AlreadyExists => last = Some(e),
            Err(e) => {
                return Err(Error::io(
                    format!("cannot make a private directory in {}", base.display()),
                    e,
                ));
            }
        }
    }
    Err(Error::io(
        format!("cannot make a private directory in {}", base.display()),
        last.unwrap_or_else(|| io::Error::from(io::ErrorKind::AlreadyExists)),
    ))
}

/// A pidfd for process `pid` (Linux 5.3+); `None` where there is none.
fn pidfd(pid: libc::pid_t) -> Option<OwnedFd> {
    // SAFETY: pidfd_open takes a pid and flags and returns a new fd or -1.
    let fd = unsafe { libc::syscall(libc::SYS_pidfd_open, pid, 0) };
    // SAFETY: a fresh fd, owned here alone.
    (fd >= 0).then(|| unsafe { OwnedFd::from_raw_fd(fd as i32) })
}

/// Has the program ended? Without a pidfd: no such process, or a zombie.
fn ended(program: Option<&OwnedFd>, pid: libc::pid_t) -> bool {
    if let Some(fd) = program {
        let mut p = libc::pollfd {
            fd: fd.as_raw_fd(),
            events: libc::POLLIN,
            revents: 0,
        };
        // SAFETY: one valid pollfd.
        return unsafe { libc::poll(&mut p, 1, 0) } > 0;
    }
    let state = std::fs::read_to_string(format!("/proc/{pid}/stat")).unwrap_or_default();
    let state = state.rsplit_once(") ").map(|(_, s)| s.chars().next());
    matches!(state, None | Some(Some('Z' | 'X')))
}

/// The bridge process: accepts connections until the program ends, then
/// cleans up and exits.
/// The ssh commands of a bridge: one connection, and ending the shared one.
struct Bridge {
    args: Vec<String>,
    stop: Vec<String>,
}

fn serve(
    listener: &UnixListener,
    program: Option<&OwnedFd>,
    pid: libc::pid_t,
    bridge: &Bridge,
    dir: &Path,
    name: &str,
) -> ! {
    quiet_process();
    // Who serves the directory, for a later sweep: pid and start time.
    let me = std::process::id();
    if let Some(t) = start_time(me) {
        let record = format!("{me} {t}\n");
        let _ = crate::files::atomic::write(
            &dir.join("bridge"),
            record.as_bytes(),
            crate::files::atomic::PRIVATE,
        );
    }
    let live: Arc<Mutex<Vec<u32>>> = Arc::default();
    loop {
        let mut fds = [
            libc::pollfd {
                fd: listener.as_raw_fd(),
                events: libc::POLLIN,
                revents: 0,
            },
            libc::pollfd {
                fd: program.map_or(-1, AsRawFd::as_raw_fd),
                events: libc::POLLIN,
                revents: 0,
            },
        ];
        let timeout = if program.is_some() { -1 } else { 200 };
        // SAFETY: two valid pollfds (a negative fd is ignored by poll).
        unsafe { libc::poll(fds.as_mut_ptr(), 2, timeout) };
        if ended(program, pid) {
            break;
        }
        loop {
            match listener.accept() {
                Ok((conn, _)) => connect(conn, &bridge.args, &live, name),
                Err(e) if e.kind() == io::ErrorKind::WouldBlock => break,
                Err(_) => {
                    // Out of fds, say: wait, rather than spin.
                    std::thread::sleep(std::time::Duration::from_millis(100));
                    break;
                }
            }
        }
    }
    for child in live.lock().unwrap_or_else(|e| e.into_inner()).iter() {
        // SAFETY: our own ssh children.
        unsafe { libc::kill(*child as libc::pid_t, libc::SIGTERM) };
    }
    if dir.join("ssh.ctl").exists() {
        let _ = Command::new("ssh")
            .args(&bridge.stop)
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .status();
    }
    remove_bridge_dir(dir);
    // SAFETY: ends the bridge process without running the parent's exit handlers.
    unsafe { libc::_exit(0) }
}

/// One connection: an ssh to the engine, bytes copied both ways.
fn connect(conn: UnixStream, args: &[String], live: &Arc<Mutex<Vec<u32>>>, name: &str) {
    let _ = conn.set_nonblocking(false);
    let spawned = Command::new("ssh")
        .args(args)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::inherit())
        .spawn();
    let mut child = match spawned {
        Ok(c) => c,
        Err(e) => {
            output::note(&format!(
                "dockmux exec: cannot run ssh for engine '{name}': {e}; install the OpenSSH client \
                 (Debian: apt-get install openssh-client)"
            ));
            return;
        }
    };
    let id = child.id();
    live.lock().unwrap_or_else(|e| e.into_inner()).push(id);
    let (Some(mut to_ssh), Some(mut from_ssh), Ok(mut reader)) =
        (child.stdin.take(), child.stdout.take(), conn.try_clone())
    else {
        let _ = child.kill();
        let _ = child.wait();
        return;
    };
    let upstream = std::thread::Builder::new().spawn(move || {
        copy(&mut reader, &mut to_ssh);
        // Dropping ssh's stdin: the remote dial-stdio half-closes toward the engine.
    });
    let live = Arc::clone(live);
    let mut writer = conn;
    let downstream = std::thread::Builder::new().spawn(move || {
        copy(&mut from_ssh, &mut writer);
        let _ = writer.shutdown(Shutdown::Write);
        let _ = child.wait();
        live.lock()
            .unwrap_or_else(|e| e.into_inner())
            .retain(|p| *p != id);
    });
    if upstream.is_err() || downstream.is_err() {
        output::note(&format!(
            "dockmux exec: cannot serve a connection to engine '{name}': no thread"
        ));
    }
}

fn copy(from: &mut impl Read, to: &mut impl Write) {
    let mut buf = [0u8; 32 * 1024];
    loop {
        match from.read(&mut buf) {
            Ok(0) | Err(_) => return,
            Ok(n) => {
                if to.write_all(&buf[..n]).is_err() {
                    return;
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bridge_directories_are_known_by_their_whole_name() {
        assert_eq!(bridge_dir_pid("dockmux-exec-123-0a1b2c3d"), Some(123));
        for other in [
            "dockmux-exec-123-0a1b2c3",
            "dockmux-exec-x-0a1b2c3d",
            "dockmux-exec-123-0a1b2c3g",
            "dockmux-exec--0a1b2c3d",
            "dockmux-123-0a1b2c3d",
        ] {
            assert_eq!(bridge_dir_pid(other), None, "{other}");
        }
        assert!(start_time(std::process::id()).is_some());
    }

    #[test]
    fn runs_what_dockers_ssh_helper_runs() {
        let spec = host::ssh_spec("ssh://me@box:2222/data/play ground/docker.sock").unwrap();
        assert_eq!(
            ssh_args(&spec),
            [
                "-o",
                "ConnectTimeout=30",
                "-T",
                "-l",
                "me",
                "-p",
                "2222",
                "--",
                "box",
                "docker '--host=unix:///data/play ground/docker.sock' system dial-stdio"
            ]
        );
    }
}
