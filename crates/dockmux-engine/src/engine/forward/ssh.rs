//! The ssh command lines of a forward, and running them with a bound. Each
//! is OpenSSH's own client, found on PATH as docker's ssh helper finds it,
//! so the user's ssh config, keys and agent apply as they do for `ssh://`.

use std::io::Read;
use std::os::unix::net::UnixStream;
use std::os::unix::process::CommandExt;
use std::path::Path;
use std::process::{Command, Stdio};
use std::sync::mpsc;
use std::time::{Duration, Instant};

use super::Place;

/// What a finished ssh printed.
pub struct Ran {
    pub ok: bool,
    pub stdout: String,
    pub stderr: String,
}

/// A command for the host's ControlMaster socket: `ssh -S CTL OPTIONS… DEST`.
fn ssh(place: &Place, options: &[&str]) -> Command {
    let mut cmd = Command::new("ssh");
    cmd.arg("-S").arg(&place.ctl).args(options);
    cmd.args(place.spec.destination());
    cmd
}

/// The host's connection: authenticates, then goes to the background as the
/// ControlMaster, which ends once it has been idle `persist` seconds with no
/// forwarded connection open. BatchMode: it never prompts (a key or an
/// agent is needed; otherwise the command goes over `ssh://`, which may).
/// ServerAlive: a host that vanishes without a word ends it too. It starts
/// with the forwards of `engines` (`-L` each, as [`forwards`] adds them
/// later), so a cold start runs one ssh process, not two.
pub fn master<'a>(
    place: &Place,
    engines: impl IntoIterator<Item = (&'a Place, &'a str)>,
) -> Command {
    let persist = format!("ControlPersist={}s", place.persist);
    let specs = specs(engines);
    let mut options = vec![
        "-M",
        "-N",
        "-T",
        "-o",
        &persist,
        "-o",
        "BatchMode=yes",
        "-o",
        "ConnectTimeout=10",
        "-o",
        "ServerAliveInterval=30",
        "-o",
        "ServerAliveCountMax=3",
        "-o",
        "ExitOnForwardFailure=yes",
        "-o",
        "StreamLocalBindUnlink=yes",
    ];
    for spec in &specs {
        options.extend(["-L", spec]);
    }
    ssh(place, &options)
}

/// `-L`'s argument for each engine: its local socket, then the remote one.
fn specs<'a>(engines: impl IntoIterator<Item = (&'a Place, &'a str)>) -> Vec<String> {
    engines
        .into_iter()
        .map(|(engine, remote)| format!("{}:{remote}", engine.sock.display()))
        .collect()
}

/// Adds (`forward`) or removes (`cancel`) the engine's socket on the
/// host's connection.
pub fn forward(place: &Place, op: &str, remote: &str) -> Command {
    forwards(place, op, [(place, remote)])
}

/// [`forward`] for several engines on `place`'s host, in one request to
/// the connection: ssh asks for each `-L` in turn, goes on past one that
/// fails, and fails in the end if any did.
pub fn forwards<'a>(
    place: &Place,
    op: &str,
    engines: impl IntoIterator<Item = (&'a Place, &'a str)>,
) -> Command {
    let specs = specs(engines);
    let mut options = vec!["-O", op];
    for spec in &specs {
        options.extend(["-L", spec]);
    }
    ssh(place, &options)
}

/// Runs `remote_cmd` on the host over the connection.
pub fn session(place: &Place, remote_cmd: &str) -> Command {
    let mut cmd = ssh(
        place,
        &["-T", "-o", "ControlMaster=no", "-o", "BatchMode=yes"],
    );
    cmd.arg(remote_cmd);
    cmd
}

/// The host's connection is up: its control socket answers.
pub fn master_up(place: &Place) -> bool {
    UnixStream::connect(&place.ctl).is_ok()
}

/// Ends the connection `place` uses (every forward on its host). True when
/// one was up.
pub fn stop(place: &Place) -> bool {
    let up = stop_ctl(&place.ctl);
    let _ = std::fs::remove_file(&place.sock);
    up
}

/// Ends the connection whose control socket is `ctl`; true when one was up.
/// Its forwarded sockets are left: nothing listens on them now, and the
/// next start replaces them.
pub fn stop_ctl(ctl: &Path) -> bool {
    if UnixStream::connect(ctl).is_err() {
        return false;
    }
    let deadline = Instant::now() + Duration::from_secs(5);
    let mut cmd = Command::new("ssh");
    // The destination is a placeholder: -O speaks to the control socket only.
    cmd.arg("-S").arg(ctl).args(["-O", "exit", "--", "dockmux"]);
    let _ = run(&mut cmd, deadline);
    true
}

/// Starts `cmd` and does not wait for it. It is not left a child of this
/// process: an intermediate child forks it and exits at once, and is
/// reaped here, so it is never a zombie of a long `dockmux ps` or `each`,
/// nor of the docker client the engine path execs. It cannot outlive
/// `bound` whatever becomes of this process: an alarm set before its exec
/// (exec keeps it) ends it then, by SIGALRM's default action.
pub fn detach(cmd: &mut Command, bound: Duration) -> Result<(), String> {
    let secs = bound.as_secs().clamp(1, u64::from(libc::c_uint::MAX)) as libc::c_uint;
    cmd.stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .process_group(0);
    // SAFETY: runs between fork and exec in the child, and calls only
    // async-signal-safe functions (fork, _exit, signal, alarm); the
    // intermediate is single-threaded, as any forked child is.
    unsafe {
        cmd.pre_exec(move || match libc::fork() {
            -1 => Err(std::io::Error::last_os_error()),
            0 => {
                libc::signal(libc::SIGALRM, libc::SIG_DFL);
                libc::alarm(secs);
                Ok(())
            }
            _ => libc::_exit(0),
        });
    }
    // spawn returns once the grandchild has exec'd (or says why it could not).
    let mut middle = cmd
        .spawn()
        .map_err(|e| format!("cannot run ssh ({e}); install OpenSSH's client"))?;
    let _ = middle.wait();
    Ok(())
}

/// Runs `cmd` until it exits or `deadline` comes (then its process group
/// is killed). A master that went to the background has left the group
/// (daemon's setsid) and closed its end of the pipes, so it is not waited
/// for and not killed.
pub fn run(cmd: &mut Command, deadline: Instant) -> Result<Ran, String> {
    cmd.stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .process_group(0);
    let mut child = cmd
        .spawn()
        .map_err(|e| format!("cannot run ssh ({e}); install OpenSSH's client"))?;
    let (tx, rx) = mpsc::channel();
    for (i, pipe) in [
        child
            .stdout
            .take()
            .map(|p| Box::new(p) as Box<dyn Read + Send>),
        child
            .stderr
            .take()
            .map(|p| Box::new(p) as Box<dyn Read + Send>),
    ]
    .into_iter()
    .enumerate()
    {
        let tx = tx.clone();
        std::thread::spawn(move || {
            let mut buf = Vec::new();
            if let Some(pipe) = pipe {
                let _ = pipe.take(1 << 16).read_to_end(&mut buf);
            }
            let _ = tx.send((i, buf));
        });
    }
    let status = loop {
        match child.try_wait() {
            Ok(Some(status)) => break status,
            Ok(None) if Instant::now() < deadline => std::thread::sleep(Duration::from_millis(5)),
            _ => {
                // SAFETY: kill has no memory-safety preconditions; the
                // leader is not reaped yet, so the group id is ours.
                unsafe { libc::kill(-(child.id() as i32), libc::SIGKILL) };
                let _ = child.wait();
                return Err("ssh did not finish in time".into());
            }
        }
    };
    let mut out = [Vec::new(), Vec::new()];
    for _ in 0..2 {
        let left = deadline.saturating_duration_since(Instant::now());
        match rx.recv_timeout(left.max(Duration::from_millis(100))) {
            Ok((i, buf)) => out[i] = buf,
            Err(_) => break,
        }
    }
    let [stdout, stderr] = out.map(|b| String::from_utf8_lossy(&b).into_owned());
    Ok(Ran {
        ok: status.success(),
        stdout,
        stderr,
    })
}
