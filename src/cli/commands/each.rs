//! `dockmux each [PATTERN…] [-j N] [--group|--merge] -- DOCKER-ARGS…`: the same
//! docker command on each selected engine, in parallel, each with exactly
//! the environment `NAME-docker` gives it. Every check comes before anything
//! runs anywhere: the engines, an engine-moving flag (`-H`), a terminal
//! flag (`-it`: there is no terminal to share), and the engines' policies —
//! a read-only engine refuses, protected ones are confirmed once, together.
//! Output lines carry `NAME | `; a line is written whole, so no line holds
//! two engines' bytes. Each client runs in its own process group: at
//! `--timeout` that group is killed, and SIGTERM, SIGINT or SIGHUP to
//! dockmux goes to every group (killed a moment later if it is still
//! there) before dockmux ends by the same signal, so no client outlives it.

use std::ffi::OsString;
use std::io::{ErrorKind, Read, Write};
use std::os::fd::AsRawFd;
use std::os::unix::process::CommandExt;
use std::path::PathBuf;
use std::process::{Command, ExitStatus, Stdio};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use clap::Args;

use crate::config::{self, Engine, Sources};
use crate::docker::pending::{Pending, Tracker};
use crate::engine;
use crate::engine::client;
use crate::engine::line::{self, Line, Name, Refused};
use crate::engine::policy::{self, Verdict};
use crate::error::{Error, Result};
use crate::exit_codes::ExitCode;
use crate::text::escape;
use crate::{cli::selection, docker::pool, docker::probe};
use crate::{docker::host_cap, engine::forward};

#[derive(Args, Debug)]
pub struct EachArgs {
    #[arg(value_name = "ENGINE", help = crate::cli::selection::HELP)]
    pub patterns: Vec<String>,
    /// Engines at a time
    #[arg(short = 'j', long = "jobs", value_name = "N", default_value_t = 8,
          value_parser = clap::value_parser!(u16).range(1..))]
    pub jobs: u16,
    /// Print each engine's output as one block, in name order, once all are done
    #[arg(long)]
    pub group: bool,
    /// Print output that several engines share once, under the list of their names (as dshbak -c does), once all are done
    #[arg(long, conflicts_with = "group")]
    pub merge: bool,
    /// Stop an engine's command after this long (e.g. 30s, 500ms); it counts as failed
    #[arg(long, value_name = "DURATION", value_parser = probe::parse_timeout)]
    pub timeout: Option<Duration>,
    /// The docker command line (after --)
    #[arg(value_name = "DOCKER-ARGS", last = true, required = true)]
    pub docker: Vec<OsString>,
}

/// A line longer than this is written in pieces (each still prefixed).
const LINE_CAP: usize = 64 * 1024;

/// How long a client's group has to end after a signal, before SIGKILL.
const GRACE: Duration = Duration::from_secs(2);

pub fn run(args: &EachArgs, sources: &Sources) -> Result<ExitCode> {
    let cfg = config::load(sources)?;
    let engines = selection::select(&cfg, &args.patterns)?;
    let shown = policy::shown(
        "dockmux",
        &std::iter::once(OsString::from("each"))
            .chain(args.patterns.iter().map(OsString::from))
            .chain(std::iter::once(OsString::from("--")))
            .chain(args.docker.iter().cloned())
            .collect::<Vec<_>>(),
    );
    let line = check_line(&args.docker, &engines)?;
    check_policies(&engines, &line, &shown)?;
    // Each engine's client: the shared one searched once, if any runs it.
    let mut clients = client::PerEngine::new(cfg.docker.as_ref());
    let width = engines
        .iter()
        .map(|e| e.name.chars().count())
        .max()
        .unwrap_or(0);
    // Every engine's client and TLS material checked before any command runs.
    let jobs: Vec<Job> = engines
        .iter()
        .map(|e| {
            Ok(Job {
                docker: clients.of(e)?,
                name: e.name.clone(),
                // Merged output is shown under the engines' names instead.
                prefix: if args.merge {
                    String::new()
                } else {
                    format!("{:<width$} | ", e.name)
                },
                env: engine::checked_env(e)?.into_iter().collect(),
                forward: forward::Place::of(e),
            })
        })
        .collect::<Result<_>>()?;
    let depth = match jobs.first() {
        Some(job) => engine::next_depth(&job.docker)?.to_string(),
        None => "1".to_string(),
    };
    let mut pending = Pending::start();
    let shared = Arc::new(Shared {
        args: args.docker.clone(),
        depth,
        group: args.group || args.merge,
        timeout: args.timeout,
        out: Mutex::new(()),
        running: Mutex::new(Running::default()),
        pending: pending.tracker(),
        cap: host_cap::Cap::default(),
    });
    let watcher = watch_signals(&shared);
    let worker = Arc::clone(&shared);
    // Without --timeout, a command runs as long as it runs, as with NAME-docker.
    let forever = far_future();
    let results = pool::map(jobs, args.jobs.into(), forever, move |job: Job| {
        worker.run(&job)
    });
    if shared.running().stopping {
        // A signal ended the clients: the watcher ends dockmux by it.
        if let Some(w) = watcher {
            let _ = w.join();
        }
    }
    pending.finish();
    let mut failed = Vec::new();
    let mut outputs = Vec::new();
    for (e, result) in engines.iter().zip(results) {
        let done = result.unwrap_or_else(|| Done::failed("did not finish"));
        if args.group {
            shared.write(&done.stdout, &done.stderr);
        }
        if let Some(why) = &done.failure {
            failed.push(format!("{} ({why})", e.name));
        }
        outputs.push((e.name.as_str(), done));
    }
    if args.merge {
        let (stdout, stderr) = merged(&outputs);
        shared.write(&stdout, &stderr);
    }
    // Engines whose table holds a mistake ran nothing: said, as list says them.
    let skipped = selection::skipped_notes(&cfg, &args.patterns);
    if failed.is_empty() && skipped.is_empty() {
        return Ok(ExitCode::Success);
    }
    if !failed.is_empty() {
        crate::output::note(&format!("dockmux each: failed on {}", failed.join(", ")));
    }
    crate::output::notes(&skipped);
    Ok(ExitCode::Failure)
}

/// The line, read once; refused where docker would do with it what
/// `each` cannot allow.
fn check_line<'a>(args: &'a [OsString], engines: &[&Engine]) -> Result<Line<'a>> {
    let line = line::read(args).map_err(|Refused { word, .. }| Error::RefusedFlag {
        flag: word,
        engine: names(engines),
    })?;
    let cmd = line.command();
    let attaches = cmd.node.is_some_and(|n| {
        matches!(
            n.same_as,
            "container run" | "container create" | "container exec" | "container start"
        )
    });
    let terminal = cmd.flags.iter().find(|f| {
        let on = f.value.is_none_or(|v| line::parse_bool(v) == Some(true));
        on && matches!(
            f.name,
            Name::Short(b'i' | b't') | Name::Long(b"interactive" | b"tty")
        )
    });
    if let Some(f) = terminal.filter(|_| attaches) {
        let flag = match f.name {
            Name::Short(c) => format!("-{}", c as char),
            Name::Long(l) => format!("--{}", String::from_utf8_lossy(l)),
        };
        return Err(Error::Usage(format!(
            "refusing '{flag}': `dockmux each` runs on several engines at once with standard \
             input /dev/null and no terminal; drop -i/-t, or run it on one engine with NAME-docker"
        )));
    }
    Ok(line)
}

/// Read-only engines refuse before anything runs; protected ones that
/// would hold the command are confirmed once, all named together.
fn check_policies(engines: &[&Engine], line: &Line, shown: &str) -> Result<()> {
    let mut held: Vec<&Engine> = Vec::new();
    let mut why = String::new();
    for e in engines {
        match policy::judge(e, line) {
            Verdict::Run => {}
            Verdict::Refuse => {
                return Err(Error::ReadOnly {
                    engine: e.name.clone(),
                    command: shown.to_string(),
                    origin: e.origin.to_string(),
                });
            }
            Verdict::Hold(w) => {
                policy::check_pin(e, shown)?;
                // Lifted for this user (dockmux protect lift): no second yes.
                if policy::lift::until(e).is_none() {
                    held.push(e);
                }
                why = w;
            }
        }
    }
    if held.is_empty() {
        return Ok(());
    }
    policy::confirm(&held, shown, &policy::with_preview(&held, line, why))
}

fn names(engines: &[&Engine]) -> String {
    engines
        .iter()
        .map(|e| e.name.as_str())
        .collect::<Vec<_>>()
        .join(", ")
}

/// One engine's run: plain owned data (an `Engine` is not `Send`).
struct Job {
    /// The engine's docker client.
    docker: PathBuf,
    name: String,
    prefix: String,
    env: Vec<(&'static str, Option<String>)>,
    /// An ssh engine's shared connection, started (on this job's thread,
    /// so hosts start in parallel) when it is not up.
    forward: Option<forward::Place>,
}

/// A deadline that never comes.
fn far_future() -> Instant {
    Instant::now() + Duration::from_secs(100 * 365 * 24 * 3600)
}

struct Shared {
    args: Vec<OsString>,
    depth: String,
    group: bool,
    timeout: Option<Duration>,
    /// Held while a line (or a group's block) is written.
    out: Mutex<()>,
    running: Mutex<Running>,
    /// The engines whose command runs, shown on a terminal.
    pending: Tracker,
    /// Logins at once per ssh host (src/docker/host_cap.rs).
    cap: host_cap::Cap,
}

/// The clients running now, by process group; once a signal came, none starts.
#[derive(Default)]
struct Running {
    groups: Vec<libc::pid_t>,
    stopping: bool,
}

impl Shared {
    fn running(&self) -> std::sync::MutexGuard<'_, Running> {
        self.running.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// Sends `sig` to every running client's group.
    fn signal_all(&self, sig: libc::c_int) {
        for &g in &self.running().groups {
            // SAFETY: kill has no memory-safety preconditions; g is a group we started.
            unsafe { libc::kill(-g, sig) };
        }
    }
}

/// TERM, INT and HUP (unless HUP is ignored, as under nohup) are taken by
/// a thread of their own: it passes the signal to every client's group,
/// kills what is left after [`GRACE`], and ends dockmux by the signal.
/// SIGINT counts even when dockmux was started with it ignored (as a
/// shell's background job is): `kill -INT` must end `each` and its clients.
fn watch_signals(shared: &Arc<Shared>) -> Option<std::thread::JoinHandle<()>> {
    // SAFETY: plain sigset and sigaction calls on local values.
    unsafe {
        let mut set: libc::sigset_t = std::mem::zeroed();
        libc::sigemptyset(&mut set);
        libc::sigaddset(&mut set, libc::SIGTERM);
        libc::sigaddset(&mut set, libc::SIGINT);
        let mut hup: libc::sigaction = std::mem::zeroed();
        libc::sigaction(libc::SIGHUP, std::ptr::null(), &mut hup);
        if hup.sa_sigaction != libc::SIG_IGN {
            libc::sigaddset(&mut set, libc::SIGHUP);
        }
        // Blocked here, so in every thread started after; clients start
        // with an empty mask (std clears it).
        libc::pthread_sigmask(libc::SIG_BLOCK, &set, std::ptr::null_mut());
        let shared = Arc::clone(shared);
        let watcher = std::thread::Builder::new()
            .name("dockmux-signals".into())
            .stack_size(64 * 1024)
            .spawn(move || {
                let mut sig = 0;
                if libc::sigwait(&set, &mut sig) != 0 {
                    return;
                }
                shared.running().stopping = true;
                shared.signal_all(sig);
                let until = Instant::now() + GRACE;
                while !shared.running().groups.is_empty() && Instant::now() < until {
                    std::thread::sleep(Duration::from_millis(20));
                }
                shared.signal_all(libc::SIGKILL);
                shared.pending.around(|| ());
                // Ended by the signal itself, as the caller expects.
                libc::signal(sig, libc::SIG_DFL);
                let mut one: libc::sigset_t = std::mem::zeroed();
                libc::sigemptyset(&mut one);
                libc::sigaddset(&mut one, sig);
                libc::pthread_sigmask(libc::SIG_UNBLOCK, &one, std::ptr::null_mut());
                libc::raise(sig);
                libc::_exit(128 + sig);
            });
        if watcher.is_err() {
            // Nobody would take them: the signals keep their usual effect.
            libc::pthread_sigmask(libc::SIG_UNBLOCK, &set, std::ptr::null_mut());
        }
        watcher.ok()
    }
}

/// How one engine's command ended, and (with --group) what it wrote.
struct Done {
    failure: Option<String>,
    stdout: Vec<u8>,
    stderr: Vec<u8>,
}

impl Done {
    fn failed(why: &str) -> Done {
        Done {
            failure: Some(why.to_string()),
            stdout: Vec::new(),
            stderr: Vec::new(),
        }
    }
}

impl Shared {
    fn run(&self, job: &Job) -> Done {
        let mut cmd = Command::new(&job.docker);
        cmd.args(&self.args)
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped());
        engine::set_env(&mut cmd, &job.env);
        engine::builder::set_env(&mut cmd);
        let host = job.forward.as_ref().and_then(|p| p.host(true));
        let _slot = match host {
            Some(host) => {
                cmd.env("DOCKER_HOST", host);
                None
            }
            // Over plain ssh:// this is a login: a few at a time per host.
            None => job.env[0]
                .1
                .as_deref()
                .and_then(|url| self.cap.enter(url, far_future()).flatten()),
        };
        cmd.env("DOCKMUX_DEPTH", &self.depth);
        // Its own group: the client and whatever it starts (ssh) are stopped together.
        cmd.process_group(0);
        let spawned = {
            let mut running = self.running();
            if running.stopping {
                return Done::failed("not started: dockmux was stopped");
            }
            let spawned = cmd.spawn();
            if let Ok(c) = &spawned {
                running.groups.push(c.id() as libc::pid_t);
            }
            spawned
        };
        self.pending.begin(&job.name);
        let done = self.follow(job, spawned);
        self.pending.end(&job.name);
        done
    }

    /// The client's output, until it ends or its time is up.
    fn follow(&self, job: &Job, spawned: std::io::Result<std::process::Child>) -> Done {
        let mut child = match spawned {
            Ok(c) => c,
            Err(e) => {
                let done = Done::failed(&format!("cannot run {}: {e}", job.docker.display()));
                let line = format!("{}cannot run {}: {e}\n", job.prefix, job.docker.display());
                return self.emit(done, line.as_bytes());
            }
        };
        let mut streams = [
            Stream::new(
                child
                    .stdout
                    .take()
                    .map(|s| Box::new(s) as Box<dyn ReadFd + Send>),
            ),
            Stream::new(
                child
                    .stderr
                    .take()
                    .map(|s| Box::new(s) as Box<dyn ReadFd + Send>),
            ),
        ];
        let mut done = Done::failed("");
        let group = child.id() as libc::pid_t;
        let mut deadline = self.timeout.map(|t| Instant::now() + t);
        let mut timed_out = false;
        while streams.iter().any(|s| s.source.is_some()) {
            let left = deadline.map(|d| d.saturating_duration_since(Instant::now()));
            if left.is_some_and(|l| l.is_zero()) {
                if timed_out {
                    // Killed, yet its output stays open (something outside its
                    // group holds it): given up.
                    break;
                }
                timed_out = true;
                // SAFETY: kill has no memory-safety preconditions; the group is the client's.
                unsafe { libc::kill(-group, libc::SIGKILL) };
                deadline = Some(Instant::now() + Duration::from_secs(1));
                continue;
            }
            let ready = wait_readable(&streams, left);
            for (i, s) in streams.iter_mut().enumerate() {
                if !ready[i] {
                    continue;
                }
                for line in s.read_lines(&job.prefix) {
                    if self.group {
                        [&mut done.stdout, &mut done.stderr][i].extend_from_slice(&line);
                    } else {
                        self.write_one(i, &line);
                    }
                }
            }
        }
        drop(streams);
        let status = child.wait();
        self.running().groups.retain(|&g| g != group);
        done.failure = match status {
            _ if timed_out => {
                let shown = probe::show_duration(self.timeout.unwrap_or_default());
                let line = format!("{}dockmux: timed out after {shown}; stopped\n", job.prefix);
                done = self.emit(done, line.as_bytes());
                Some(format!("timed out after {shown}"))
            }
            Ok(status) => failure(status),
            Err(e) => Some(format!("cannot wait for docker: {e}")),
        };
        done
    }

    /// A spawn failure's line, as the other output goes.
    fn emit(&self, mut done: Done, line: &[u8]) -> Done {
        if self.group {
            done.stderr.extend_from_slice(line);
        } else {
            self.write_one(1, line);
        }
        done
    }

    fn write_one(&self, stream: usize, bytes: &[u8]) {
        if stream == 0 {
            self.write(bytes, b"");
        } else {
            self.write(b"", bytes);
        }
    }

    /// Writes whole lines under the lock: no other engine's bytes between.
    fn write(&self, stdout: &[u8], stderr: &[u8]) {
        let _held = self.out.lock().unwrap_or_else(|e| e.into_inner());
        self.pending.around(|| self.write_now(stdout, stderr));
    }

    #[expect(
        clippy::disallowed_methods,
        reason = "each's writer threads hold the one lock on both streams, and end dockmux when its reader has gone"
    )]
    fn write_now(&self, stdout: &[u8], stderr: &[u8]) {
        if !stdout.is_empty() {
            let mut out = std::io::stdout().lock();
            if let Err(e) = out.write_all(stdout).and_then(|()| out.flush())
                && e.kind() == ErrorKind::BrokenPipe
            {
                // The reader has gone (`| head`): as for the other commands.
                std::process::exit(0);
            }
        }
        if !stderr.is_empty() {
            let _ = std::io::stderr().lock().write_all(stderr);
        }
    }
}

/// The engines' outputs, each output that several share once, under the
/// list of their names, as `dshbak -c` prints pdsh's: blocks in the order
/// of their first engine (name order); what went to stderr goes there,
/// under the same names. Engines that wrote nothing get no block.
fn merged(outputs: &[(&str, Done)]) -> (Vec<u8>, Vec<u8>) {
    let mut blocks: Vec<(Vec<&str>, &Done)> = Vec::new();
    for (name, done) in outputs {
        match blocks
            .iter_mut()
            .find(|(_, d)| d.stdout == done.stdout && d.stderr == done.stderr)
        {
            Some((names, _)) => names.push(name),
            None => blocks.push((vec![name], done)),
        }
    }
    let (mut stdout, mut stderr) = (Vec::new(), Vec::new());
    for (names, done) in blocks {
        let header = format!("----------------\n{}\n----------------\n", names.join(","));
        for (out, bytes) in [(&mut stdout, &done.stdout), (&mut stderr, &done.stderr)] {
            if !bytes.is_empty() {
                out.extend_from_slice(header.as_bytes());
                out.extend_from_slice(bytes);
            }
        }
    }
    (stdout, stderr)
}

/// `None` for exit 0; else "exit 3" or "signal 9".
fn failure(status: ExitStatus) -> Option<String> {
    use std::os::unix::process::ExitStatusExt;
    match (status.code(), status.signal()) {
        (Some(0), _) => None,
        (Some(code), _) => Some(format!("exit {code}")),
        (None, Some(sig)) => Some(format!("signal {sig}")),
        (None, None) => Some("ended".to_string()),
    }
}

trait ReadFd: Read + AsRawFd {}
impl ReadFd for std::process::ChildStdout {}
impl ReadFd for std::process::ChildStderr {}

/// One of the child's outputs, cut into lines.
struct Stream {
    source: Option<Box<dyn ReadFd + Send>>,
    partial: Vec<u8>,
}

impl Stream {
    fn new(source: Option<Box<dyn ReadFd + Send>>) -> Stream {
        Stream {
            source,
            partial: Vec::new(),
        }
    }

    /// Reads what is there and returns the complete lines, each prefixed,
    /// escaped (a `\r` must not overwrite the prefix) and ended by `\n`; at
    /// the end, the last line even without its `\n`.
    fn read_lines(&mut self, prefix: &str) -> Vec<Vec<u8>> {
        let Some(src) = self.source.as_mut() else {
            return Vec::new();
        };
        let mut chunk = [0u8; 16 * 1024];
        let ended = match src.read(&mut chunk) {
            Ok(0) => true,
            Ok(n) => {
                self.partial.extend_from_slice(&chunk[..n]);
                false
            }
            Err(e) if e.kind() == ErrorKind::Interrupted => false,
            Err(_) => true,
        };
        let mut lines = Vec::new();
        while let Some(nl) = memchr::memchr(b'\n', &self.partial) {
            let rest = self.partial.split_off(nl + 1);
            lines.push(line(prefix, &self.partial[..nl]));
            self.partial = rest;
        }
        if self.partial.len() >= LINE_CAP || (ended && !self.partial.is_empty()) {
            lines.push(line(prefix, &self.partial));
            self.partial.clear();
        }
        if ended {
            self.source = None;
        }
        lines
    }
}

fn line(prefix: &str, bytes: &[u8]) -> Vec<u8> {
    let mut out = Vec::with_capacity(prefix.len() + bytes.len() + 1);
    out.extend_from_slice(prefix.as_bytes());
    out.extend_from_slice(escape::bytes(bytes).as_bytes());
    out.push(b'\n');
    out
}

/// Blocks until one of the open streams has something (or ends), or `left`
/// passes; which.
fn wait_readable(streams: &[Stream], left: Option<Duration>) -> [bool; 2] {
    let mut fds: Vec<(usize, libc::pollfd)> = streams
        .iter()
        .enumerate()
        .filter_map(|(i, s)| s.source.as_ref().map(|src| (i, src)))
        .map(|(i, s)| {
            let fd = libc::pollfd {
                fd: s.as_raw_fd(),
                events: libc::POLLIN,
                revents: 0,
            };
            (i, fd)
        })
        .collect();
    let mut raw: Vec<libc::pollfd> = fds.iter().map(|f| f.1).collect();
    // SAFETY: raw is a valid array of raw.len() pollfds.
    let ms = left.map_or(-1, |l| l.as_millis().clamp(1, i32::MAX as u128) as i32);
    // SAFETY: raw is a valid array of raw.len() pollfds.
    let rc = unsafe { libc::poll(raw.as_mut_ptr(), raw.len() as libc::nfds_t, ms) };
    if rc == 0 {
        return [false; 2];
    }
    let mut ready = [false; 2];
    for ((i, _), r) in fds.iter_mut().zip(&raw) {
        // An interrupted poll: every open stream is read (a read blocks at most until data).
        ready[*i] = rc < 0 || r.revents != 0;
    }
    ready
}
