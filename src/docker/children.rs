//! Child processes run under a deadline (the docker client that `list` and
//! `doctor` ask), none left behind. Each child starts a session of its own —
//! no controlling terminal, so an ssh it starts cannot prompt, and one
//! process group, killed whole. Its output is read while it runs (a child
//! blocked on a full pipe would look hung). A [`Batch`] knows every group it
//! started; closing it kills those still running and starts no more, so a
//! probe thread that reaches its spawn after the caller gave up leaves
//! nothing behind.

use std::io::{ErrorKind, Read};
use std::os::fd::AsRawFd;
use std::os::unix::process::CommandExt;
use std::process::{Child, ChildStderr, ChildStdout, Command, ExitStatus, Stdio};
use std::sync::Mutex;
use std::time::{Duration, Instant};

/// More than any answer dockmux asks for; a child writing more is cut off.
pub const OUTPUT_CAP: usize = 1 << 20;

/// A child process that ended in time.
pub struct Finished {
    pub status: ExitStatus,
    pub stdout: Vec<u8>,
    pub stderr: Vec<u8>,
    /// stdout or stderr went over [`OUTPUT_CAP`] (the rest was read and dropped).
    pub overflowed: bool,
}

/// How a run ended, when it did not finish.
#[derive(Debug)]
pub enum Unfinished {
    /// The deadline came first; the child was killed with its group.
    TimedOut,
    /// The batch was closed before the child could start.
    Closed,
    /// It could not be started.
    Spawn(std::io::Error),
}

/// The process groups of one set of runs.
#[derive(Default)]
pub struct Batch {
    state: Mutex<Groups>,
}

#[derive(Default)]
struct Groups {
    /// Leaders not yet reaped: their ids cannot name another process group.
    live: Vec<i32>,
    closed: bool,
}

impl Batch {
    pub fn new() -> Batch {
        Batch::default()
    }

    /// Runs `cmd` (stdin closed, stdout and stderr captured, each up to
    /// [`OUTPUT_CAP`]) until it exits or `deadline` comes; either way its
    /// whole process group is killed (a helper it left would hold the pipes open).
    pub fn run_until(&self, cmd: &mut Command, deadline: Instant) -> Result<Finished, Unfinished> {
        self.run(cmd, deadline, None)
    }

    /// [`Batch::run_until`] for a child whose stdout is an answer of any
    /// size: each growth of its buffer is first `charge`d (the caller's
    /// bound on what an answer may cost in memory), and the child is cut off
    /// (`overflowed`) when `charge` says no.
    pub fn run_charged(
        &self,
        cmd: &mut Command,
        deadline: Instant,
        charge: &mut dyn FnMut(usize) -> bool,
    ) -> Result<Finished, Unfinished> {
        self.run(cmd, deadline, Some(charge))
    }

    fn run(
        &self,
        cmd: &mut Command,
        deadline: Instant,
        mut charge: Option<&mut dyn FnMut(usize) -> bool>,
    ) -> Result<Finished, Unfinished> {
        cmd.stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped());
        // SAFETY: setsid is async-signal-safe.
        unsafe {
            cmd.pre_exec(|| {
                libc::setsid();
                Ok(())
            });
        }
        let mut child = {
            let mut groups = self.lock();
            if groups.closed {
                return Err(Unfinished::Closed);
            }
            // Spawned under the lock: `close` cannot run between the start and the record.
            let child = cmd.spawn().map_err(Unfinished::Spawn)?;
            groups.live.push(child.id() as i32);
            child
        };
        let pgid = child.id() as i32;
        let (mut out, mut err) = (
            Pipe::new(child.stdout.take()),
            Pipe::new(child.stderr.take()),
        );
        let exited = loop {
            let left = deadline.saturating_duration_since(Instant::now());
            // Short waits: the exit itself is seen by polling (below).
            wait_readable(&[&out, &err], left.min(Duration::from_millis(10)));
            out.drain(charge.as_deref_mut());
            err.drain(None);
            // Past the cap the answer is useless: no waiting for the rest.
            if has_exited(&child) || out.overflowed || err.overflowed {
                break true;
            }
            if Instant::now() >= deadline {
                break false;
            }
        };
        self.kill(pgid);
        if !exited {
            let _ = child.wait();
            return Err(Unfinished::TimedOut);
        }
        // What the group wrote before it died; a descendant that left the
        // group may hold the pipes open, so no waiting for their end.
        out.drain(charge);
        err.drain(None);
        let status = child.wait().map_err(Unfinished::Spawn)?;
        Ok(Finished {
            status,
            overflowed: out.overflowed || err.overflowed,
            stdout: out.buf,
            stderr: err.buf,
        })
    }

    /// Kills every group still running and refuses new runs.
    pub fn close(&self) {
        let mut groups = self.lock();
        groups.closed = true;
        for pgid in groups.live.drain(..) {
            // SAFETY: kill has no memory-safety preconditions.
            unsafe { libc::kill(-pgid, libc::SIGKILL) };
        }
    }

    /// Kills group `pgid` (its leader not yet reaped) and forgets it.
    fn kill(&self, pgid: i32) {
        let mut groups = self.lock();
        if let Some(at) = groups.live.iter().position(|&g| g == pgid) {
            groups.live.swap_remove(at);
            // SAFETY: kill has no memory-safety preconditions.
            unsafe { libc::kill(-pgid, libc::SIGKILL) };
        }
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, Groups> {
        // A thread that panicked holding the lock left a valid list.
        self.state.lock().unwrap_or_else(|e| e.into_inner())
    }
}

impl Drop for Batch {
    fn drop(&mut self) {
        self.close();
    }
}

/// Has `child` exited? Asked without reaping it, so its pid (and group id)
/// stays its own until the group is killed.
fn has_exited(child: &Child) -> bool {
    // SAFETY: an all-zero siginfo_t is valid; waitid writes into it.
    let mut info: libc::siginfo_t = unsafe { std::mem::zeroed() };
    let flags = libc::WEXITED | libc::WNOHANG | libc::WNOWAIT;
    // SAFETY: info is a valid siginfo_t to write to.
    let rc = unsafe { libc::waitid(libc::P_PID, child.id(), &mut info, flags) };
    // SAFETY: si_pid is set by waitid (0 when the child has not changed state).
    rc != 0 || unsafe { info.si_pid() } != 0
}

/// One captured output stream, read without blocking.
struct Pipe {
    source: Option<Box<dyn ReadFd + Send>>,
    buf: Vec<u8>,
    overflowed: bool,
}

trait ReadFd: Read + AsRawFd {}
impl ReadFd for ChildStdout {}
impl ReadFd for ChildStderr {}

impl Pipe {
    fn new<R: ReadFd + Send + 'static>(source: Option<R>) -> Pipe {
        let source = source.map(|s| {
            // SAFETY: fcntl on an fd we own.
            unsafe {
                let fl = libc::fcntl(s.as_raw_fd(), libc::F_GETFL);
                libc::fcntl(s.as_raw_fd(), libc::F_SETFL, fl | libc::O_NONBLOCK);
            }
            Box::new(s) as Box<dyn ReadFd + Send>
        });
        Pipe {
            source,
            buf: Vec::new(),
            overflowed: false,
        }
    }

    /// Reads what is there now; at the end of the stream, stops watching
    /// it. Without `charge`, up to [`OUTPUT_CAP`] is kept; with it, every
    /// growth of the buffer needs its yes.
    fn drain(&mut self, mut charge: Option<&mut (dyn FnMut(usize) -> bool + '_)>) {
        let Some(src) = self.source.as_mut() else {
            return;
        };
        let mut chunk = [0u8; 16 * 1024];
        loop {
            match src.read(&mut chunk) {
                Ok(0) => {
                    self.source = None;
                    return;
                }
                Ok(_) if self.overflowed => {}
                Ok(n) => match charge.as_deref_mut() {
                    None => {
                        let room = OUTPUT_CAP.saturating_sub(self.buf.len());
                        self.buf.extend_from_slice(&chunk[..n.min(room)]);
                        self.overflowed |= n > room;
                    }
                    Some(charge) => {
                        let (need, had) = (self.buf.len() + n, self.buf.capacity());
                        // The buffer doubles, as a Vec does; charged before it grows.
                        let to = (had * 2).max(need).max(64 << 10);
                        if need > had && !charge(to - had) {
                            self.overflowed = true;
                        } else {
                            if need > had {
                                self.buf.reserve_exact(to - self.buf.len());
                            }
                            self.buf.extend_from_slice(&chunk[..n]);
                        }
                    }
                },
                Err(e) if e.kind() == ErrorKind::Interrupted => {}
                Err(e) if e.kind() == ErrorKind::WouldBlock => return,
                Err(_) => {
                    self.source = None;
                    return;
                }
            }
        }
    }
}

/// Waits up to `wait` for one of the open pipes to have something (or end).
fn wait_readable(pipes: &[&Pipe], wait: Duration) {
    let mut fds: Vec<libc::pollfd> = pipes
        .iter()
        .filter_map(|p| p.source.as_ref())
        .map(|s| libc::pollfd {
            fd: s.as_raw_fd(),
            events: libc::POLLIN,
            revents: 0,
        })
        .collect();
    let ms = wait.as_millis().min(i32::MAX as u128) as i32;
    if fds.is_empty() {
        std::thread::sleep(wait);
        return;
    }
    // SAFETY: fds is a valid array of fds.len() pollfds.
    unsafe { libc::poll(fds.as_mut_ptr(), fds.len() as libc::nfds_t, ms) };
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sh(script: &str) -> Command {
        let mut c = Command::new("/bin/sh");
        c.args(["-c", script]);
        c
    }

    #[test]
    fn output_larger_than_a_pipe_is_read_while_the_child_runs() {
        let batch = Batch::new();
        let deadline = Instant::now() + Duration::from_secs(20);
        let done = batch
            .run_until(&mut sh("head -c 300000 /dev/zero; echo oops >&2"), deadline)
            .unwrap();
        assert!(done.status.success());
        assert_eq!(
            (done.stdout.len(), done.stderr.as_slice()),
            (300000, &b"oops\n"[..])
        );
        assert!(!done.overflowed);
    }

    #[test]
    fn a_child_past_the_deadline_is_killed_and_a_closed_batch_starts_nothing() {
        let batch = Batch::new();
        let start = Instant::now();
        let r = batch.run_until(&mut sh("sleep 30"), start + Duration::from_millis(200));
        assert!(matches!(r, Err(Unfinished::TimedOut)), "{:?}", r.err());
        assert!(start.elapsed() < Duration::from_secs(10));
        batch.close();
        let r = batch.run_until(&mut sh("true"), Instant::now() + Duration::from_secs(5));
        assert!(matches!(r, Err(Unfinished::Closed)));
    }
}
