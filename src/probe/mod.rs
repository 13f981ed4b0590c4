//! Is each engine up? Probes run concurrently (a few threads, see pool.rs)
//! under one deadline, so ten engines of which five hang cost one timeout,
//! not five; every docker client started is gone when the answer is given
//! (children.rs). Whatever an engine or docker says is escaped on the way
//! in (escape.rs): it is shown on a terminal. A unix socket is
//! asked directly (`GET /version`: one round trip, no extra process); tcp and
//! ssh engines are asked through the stock client's own `docker version`
//! with the engine's environment, so TLS and ssh behave exactly as they do
//! for `NAME-docker` and their errors are docker's own. Never used on the
//! engine hot path.

use std::io::{ErrorKind, Read, Write};
use std::os::fd::{AsRawFd, FromRawFd};
use std::os::unix::ffi::OsStrExt;
use std::os::unix::fs::{FileTypeExt, MetadataExt};
use std::os::unix::net::UnixStream;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::Arc;
use std::time::{Duration, Instant};

use serde::Serialize;

use crate::accounts::Accounts;
use crate::children::{Batch, Unfinished};
use crate::config::{Config, Engine};
use crate::engine;
use crate::engine::client;
use crate::error::Error;
use crate::escape;
use crate::host::Kind;
use crate::pool;

/// The default bound on all probes together.
pub const DEFAULT_TIMEOUT: Duration = Duration::from_secs(2);

/// Probes at a time: engines are asked in parallel, but a config of a
/// thousand costs this many threads (and docker clients), not a thousand.
const WORKERS: usize = 16;

/// What a probe found.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum State {
    Up,
    NoSocket,
    NotASocket,
    PermissionDenied,
    Refused,
    TimedOut,
    TlsError,
    SshError,
    /// The client could not reach the engine for another reason (docker's message says why).
    Down,
    /// The engine answered, but not like a docker engine.
    Error,
    /// Not probed: no docker client to ask.
    Unknown,
}

impl State {
    /// Short words for the STATUS column.
    pub fn label(self) -> &'static str {
        match self {
            State::Up => "up",
            State::NoSocket => "no socket",
            State::NotASocket => "not a socket",
            State::PermissionDenied => "permission denied",
            State::Refused => "refused",
            State::TimedOut => "timed out",
            State::TlsError => "tls error",
            State::SshError => "ssh error",
            State::Down => "down",
            State::Error => "error",
            State::Unknown => "unknown",
        }
    }
}

#[derive(Clone, Debug, Serialize)]
pub struct Status {
    pub state: State,
    pub server_version: Option<String>,
    pub api_version: Option<String>,
    /// What went wrong, in docker's words where docker was asked.
    pub error: Option<String>,
    /// How to fix it.
    pub fix: Option<String>,
}

impl Status {
    /// The versions are the engine's words: escaped here.
    fn up(server_version: Option<String>, api_version: Option<String>) -> Status {
        let safe = |v: Option<String>| v.map(|v| escape::owned(&v));
        Status {
            state: State::Up,
            server_version: safe(server_version),
            api_version: safe(api_version),
            error: None,
            fix: None,
        }
    }

    /// `error` may quote the engine or docker: escaped here.
    fn failed(state: State, error: impl Into<String>, fix: Option<String>) -> Status {
        Status {
            state,
            server_version: None,
            api_version: None,
            error: Some(escape::owned(&error.into())),
            fix: fix.map(|f| escape::owned(&f)),
        }
    }

    /// An engine answered, but not with docker's JSON.
    pub fn bad_answer(e: &dyn std::fmt::Display) -> Status {
        Status::failed(
            State::Error,
            format!("the answer is not docker's JSON ({e})"),
            Some("check that this is a docker engine and its client".into()),
        )
    }

    pub fn is_up(&self) -> bool {
        self.state == State::Up
    }

    /// The STATUS cell: `up 28.2.2 (API 1.50)` or the state's label.
    pub fn summary(&self) -> String {
        match (self.state, &self.server_version) {
            (State::Up, Some(v)) => match &self.api_version {
                Some(api) => format!("up {v} (API {api})"),
                None => format!("up {v}"),
            },
            (state, _) => state.label().to_string(),
        }
    }

    /// One line: the error and its fix.
    pub fn detail(&self) -> String {
        let error = self.error.as_deref().unwrap_or(self.state.label());
        match &self.fix {
            Some(fix) => format!("{error}; fix: {fix}"),
            None => error.to_string(),
        }
    }
}

/// What one probe thread needs: plain owned data (an `Engine` is not `Send`).
struct Target {
    host: String,
    kind: Kind,
    hint: Option<String>,
    tls: bool,
    env: Vec<(&'static str, Option<String>)>,
}

impl Target {
    /// The engine as a probe needs it; refused (as a status) when its TLS
    /// material could be changed by others: the client is not run with it.
    fn new(e: &Engine) -> Result<Target, Status> {
        let env = engine::checked_env(e).map_err(|err| match err {
            Error::Insecure { what, problem, fix } => Status::failed(
                State::TlsError,
                format!("refusing {what}: {problem}"),
                Some(fix),
            ),
            other => Status::failed(State::TlsError, other.to_string(), None),
        })?;
        Ok(Target {
            host: e.host.clone(),
            kind: e.kind,
            hint: e.hint.clone(),
            tls: e.tls.is_some(),
            env: env.into_iter().collect(),
        })
    }
}

/// Probes `engines` concurrently; returns their statuses in the same order,
/// all within `timeout` (plus a few milliseconds), and with every docker
/// client it started killed.
pub fn probe_all(cfg: &Config, engines: &[&Engine], timeout: Duration) -> Vec<Status> {
    fan_out(cfg, engines, timeout, |t, reach| {
        Ok(match (t.kind, &reach.docker) {
            (Kind::Unix, _) => probe_unix(t, reach.deadline, reach.timeout),
            (_, Ok(docker)) => probe_client(&reach.batch, docker, t, reach.deadline, reach.timeout),
            (_, Err(why)) => no_client(why),
        })
    })
    .into_iter()
    .map(|r| r.unwrap_or_else(|s| s))
    .collect()
}

/// One question for many engines: the API paths a unix socket is asked
/// (GET, in order), or the client commands a tcp or ssh engine runs instead
/// (with the engine's environment, as for `NAME-docker`).
pub struct Question {
    pub api: Vec<String>,
    pub client: Vec<Vec<String>>,
}

/// An engine's answers, in the question's order.
pub enum Answer {
    /// The API's bodies (JSON as the engine wrote it).
    Api(Vec<Vec<u8>>),
    /// The client's standard outputs.
    Client(Vec<Vec<u8>>),
}

/// The most an engine's API answer may hold: `ps -a` of thousands of
/// containers is megabytes, but never this.
const ANSWER_CAP: usize = 64 << 20;

/// Asks `engines` `question` concurrently under one deadline, as
/// [`probe_all`] probes them; an engine that cannot answer gets the status
/// that says why (and the fix).
pub fn ask_all(
    cfg: &Config,
    engines: &[&Engine],
    timeout: Duration,
    question: Question,
) -> Vec<Result<Answer, Status>> {
    fan_out(cfg, engines, timeout, move |t, reach| {
        match (t.kind, &reach.docker) {
            (Kind::Unix, _) => {
                let socket = Socket::open(t, reach.deadline, reach.timeout)?;
                let bodies = question
                    .api
                    .iter()
                    .map(|what| socket.get(what, ANSWER_CAP).map(|r| r.body))
                    .collect::<Result<_, _>>()?;
                Ok(Answer::Api(bodies))
            }
            (_, Ok(docker)) => {
                let outs = question
                    .client
                    .iter()
                    .map(|args| run_client(reach, docker, t, args))
                    .collect::<Result<_, _>>()?;
                Ok(Answer::Client(outs))
            }
            (_, Err(why)) => Err(no_client(why)),
        }
    })
}

/// What every job gets besides its engine.
struct Reach {
    /// The docker client, for tcp and ssh engines.
    docker: Result<PathBuf, String>,
    /// Every client started belongs to it: closed, none is left running.
    batch: Arc<Batch>,
    deadline: Instant,
    timeout: Duration,
}

/// Runs `job` for each engine on a few threads under one deadline; returns
/// the results in the engines' order, all within `timeout` (plus a few
/// milliseconds), with every docker client started killed.
fn fan_out<R, F>(
    cfg: &Config,
    engines: &[&Engine],
    timeout: Duration,
    job: F,
) -> Vec<Result<R, Status>>
where
    R: Send + 'static,
    F: Fn(&Target, &Reach) -> Result<R, Status> + Send + Sync + 'static,
{
    let deadline = Instant::now() + timeout;
    // The client is only looked for when a non-unix engine needs it.
    let needs_client = engines.iter().any(|e| e.kind != Kind::Unix);
    let docker: Result<PathBuf, String> = if needs_client {
        client::find(cfg.docker.as_ref()).map_err(|e| e.to_string())
    } else {
        Err(String::new())
    };
    let batch = Arc::new(Batch::new());
    let reach = Reach {
        docker,
        batch: Arc::clone(&batch),
        deadline,
        timeout,
    };
    let targets: Vec<Result<Target, Status>> = engines.iter().map(|e| Target::new(e)).collect();
    // A little grace so a job that gives up exactly at the deadline is heard.
    let give_up = deadline + Duration::from_millis(100);
    let results = pool::map(targets, WORKERS, give_up, move |target| {
        // Refused before asking (TLS material others can change).
        let target = target?;
        if Instant::now() >= deadline {
            return Err(not_asked(timeout));
        }
        job(&target, &reach)
    });
    // Jobs still running past the grace: their clients die now, and none starts later.
    batch.close();
    results
        .into_iter()
        .map(|r| r.unwrap_or_else(|| Err(timed_out(timeout))))
        .collect()
}

fn no_client(why: &str) -> Status {
    Status::failed(
        State::Unknown,
        format!("cannot ask the engine: {why}"),
        None,
    )
}

/// An engine whose turn came after the deadline.
fn not_asked(timeout: Duration) -> Status {
    Status::failed(
        State::TimedOut,
        format!(
            "not asked: the timeout ({}) ran out before its turn ({WORKERS} engines are asked at a time)",
            show_duration(timeout)
        ),
        Some("raise --timeout, or see which engines hang".into()),
    )
}

fn timed_out(timeout: Duration) -> Status {
    Status::failed(
        State::TimedOut,
        format!("no answer within {}", show_duration(timeout)),
        Some("check that the engine is not hung (or raise --timeout)".into()),
    )
}

/// `2s`, `500ms`, `1.5s`.
pub fn show_duration(d: Duration) -> String {
    if d.subsec_millis() == 0 {
        format!("{}s", d.as_secs())
    } else if d.as_secs() == 0 {
        format!("{}ms", d.as_millis())
    } else {
        format!("{}s", d.as_secs_f64())
    }
}

/// Parses `--timeout`: `2`, `2s`, `1.5s`, `500ms`.
pub fn parse_timeout(s: &str) -> Result<Duration, String> {
    let bad = || format!("invalid duration '{s}'; write e.g. 2s, 1.5s or 500ms");
    let (num, scale) = if let Some(n) = s.strip_suffix("ms") {
        (n, 0.001)
    } else if let Some(n) = s.strip_suffix('s') {
        (n, 1.0)
    } else {
        (s, 1.0)
    };
    let secs: f64 = num.trim().parse().map_err(|_| bad())?;
    let secs = secs * scale;
    if !secs.is_finite() || secs <= 0.0 || secs > 3600.0 {
        return Err(format!(
            "invalid duration '{s}'; it must be more than 0 and at most 1 hour"
        ));
    }
    Ok(Duration::from_secs_f64(secs))
}

/// A unix socket that is there and is a socket: its engine's API, asked
/// under the deadline, every failure a status with its fix.
struct Socket<'a> {
    t: &'a Target,
    path: &'a Path,
    meta: std::fs::Metadata,
    deadline: Instant,
    timeout: Duration,
}

impl<'a> Socket<'a> {
    fn open(t: &'a Target, deadline: Instant, timeout: Duration) -> Result<Socket<'a>, Status> {
        let path = crate::host::unix_socket(&t.host).unwrap_or(Path::new(""));
        let shown = path.display();
        let start_it = || {
            Some(
                t.hint
                    .clone()
                    .unwrap_or_else(|| "start the engine (or fix its host in the config)".into()),
            )
        };
        let meta = match std::fs::metadata(path) {
            Ok(m) => m,
            Err(e) if e.kind() == ErrorKind::NotFound => {
                return Err(Status::failed(
                    State::NoSocket,
                    format!("no socket at {shown}"),
                    start_it(),
                ));
            }
            Err(e) if e.kind() == ErrorKind::PermissionDenied => {
                return Err(Status::failed(
                    State::PermissionDenied,
                    format!("cannot reach {shown}: a directory on the way is not open to you"),
                    Some(format!(
                        "ask for access to the directories on the way to {shown} (ls -ld each), or run it as root"
                    )),
                ));
            }
            Err(e) => return Err(Status::failed(State::Error, format!("{shown}: {e}"), None)),
        };
        if !meta.file_type().is_socket() {
            let what = if meta.is_dir() {
                "a directory"
            } else {
                "not a socket"
            };
            return Err(Status::failed(
                State::NotASocket,
                format!("{shown} is {what}"),
                Some("fix the engine's host in the config".into()),
            ));
        }
        Ok(Socket {
            t,
            path,
            meta,
            deadline,
            timeout,
        })
    }

    /// `GET what`, its answer at most `limit` bytes.
    fn get(&self, what: &str, limit: usize) -> Result<Response, Status> {
        let mut stream = connect(self.path, self.deadline)
            .map_err(|e| connect_error(self.t, self.path, &self.meta, e))?;
        http_get(&mut stream, what, self.deadline, limit).map_err(|e| {
            if matches!(e.kind(), ErrorKind::WouldBlock | ErrorKind::TimedOut) {
                timed_out(self.timeout)
            } else {
                Status::failed(
                    State::Error,
                    format!("{}: {e}", self.path.display()),
                    Some("check that this socket belongs to a docker engine".into()),
                )
            }
        })
    }
}

fn probe_unix(t: &Target, deadline: Instant, timeout: Duration) -> Status {
    let socket = match Socket::open(t, deadline, timeout) {
        Ok(s) => s,
        Err(status) => return status,
    };
    let shown = socket.path.display();
    let get = |what: &str| socket.get(what, 1 << 20);
    // /_ping is the cheapest answer; docker's carries both versions in its headers.
    let ping = match get("/_ping") {
        Ok(r) => r,
        Err(status) => return status,
    };
    let api = header(&ping.head, "api-version").map(str::to_string);
    let server = header(&ping.head, "server")
        .and_then(|s| s.strip_prefix("Docker/"))
        .and_then(|s| s.split_whitespace().next())
        .map(str::to_string);
    if server.is_some() {
        return Status::up(server, api);
    }
    // Other engines (podman) name themselves differently: ask /version.
    let version = match get("/version") {
        Ok(r) => r,
        Err(status) => return status,
    };
    match serde_json::from_slice::<serde_json::Value>(&version.body) {
        Ok(v) => {
            let field = |k: &str| v.get(k).and_then(|x| x.as_str()).map(str::to_string);
            Status::up(field("Version"), field("ApiVersion").or(api))
        }
        Err(_) => Status::failed(
            State::Error,
            format!("{shown} answered, but not with docker's version JSON"),
            Some("check that this socket belongs to a docker engine".into()),
        ),
    }
}

/// Connects to the socket at `path`, giving up at `deadline`: a listener
/// that never accepts makes a plain connect wait forever once its backlog is
/// full. (Linux bounds a unix connect by the socket's send timeout.)
fn connect(path: &Path, deadline: Instant) -> std::io::Result<UnixStream> {
    let left = deadline.saturating_duration_since(Instant::now());
    if left.is_zero() {
        return Err(ErrorKind::TimedOut.into());
    }
    // SAFETY: plain socket(2); the fd is owned by the UnixStream at once.
    let fd = unsafe { libc::socket(libc::AF_UNIX, libc::SOCK_STREAM | libc::SOCK_CLOEXEC, 0) };
    if fd < 0 {
        return Err(std::io::Error::last_os_error());
    }
    // SAFETY: fd is a fresh socket nothing else owns.
    let stream = unsafe { UnixStream::from_raw_fd(fd) };
    stream.set_write_timeout(Some(left))?;
    // SAFETY: an all-zero sockaddr_un is valid.
    let mut addr: libc::sockaddr_un = unsafe { std::mem::zeroed() };
    addr.sun_family = libc::AF_UNIX as libc::sa_family_t;
    let bytes = path.as_os_str().as_bytes();
    if bytes.len() >= addr.sun_path.len() {
        return Err(std::io::Error::new(
            ErrorKind::InvalidInput,
            "socket path too long for a unix socket address",
        ));
    }
    for (d, s) in addr.sun_path.iter_mut().zip(bytes) {
        *d = *s as libc::c_char;
    }
    let len = std::mem::size_of::<libc::sa_family_t>() + bytes.len() + 1;
    // SAFETY: addr is a valid sockaddr_un of at least `len` bytes.
    let rc = unsafe {
        libc::connect(
            stream.as_raw_fd(),
            (&raw const addr).cast::<libc::sockaddr>(),
            len as libc::socklen_t,
        )
    };
    if rc != 0 {
        let e = std::io::Error::last_os_error();
        // EAGAIN: the backlog stayed full until the timeout.
        return Err(if e.kind() == ErrorKind::WouldBlock {
            ErrorKind::TimedOut.into()
        } else {
            e
        });
    }
    Ok(stream)
}

fn connect_error(t: &Target, path: &Path, meta: &std::fs::Metadata, e: std::io::Error) -> Status {
    let shown = path.display();
    match e.kind() {
        ErrorKind::PermissionDenied => {
            let fix = match Accounts::groups(Path::new("/")).name(meta.gid()) {
                _ if crate::secure::euid() == 0 => format!(
                    "root was refused too: check the socket's owner and mode (ls -l {shown}) \
                     and any AppArmor or SELinux rule"
                ),
                Some(g) if meta.gid() != 0 && meta.mode() & 0o060 == 0o060 => format!(
                    "join group '{g}' (as root: usermod -aG {g} {}; then log in again), or run it as root",
                    user_name()
                ),
                _ => "run it as root (the socket is open to root only; dockerd's --group / \
                      daemon.json \"group\" opens it to a group)"
                    .to_string(),
            };
            Status::failed(
                State::PermissionDenied,
                format!("permission denied on {shown}"),
                Some(fix),
            )
        }
        ErrorKind::ConnectionRefused => Status::failed(
            State::Refused,
            format!("connection refused at {shown} (a socket file is left, but no engine listens)"),
            Some(
                t.hint
                    .clone()
                    .unwrap_or_else(|| "start the engine".to_string()),
            ),
        ),
        ErrorKind::NotFound => {
            Status::failed(State::NoSocket, format!("no socket at {shown}"), None)
        }
        _ => Status::failed(State::Error, format!("{shown}: {e}"), None),
    }
}

/// An HTTP answer: the head (status line and headers) and the body.
struct Response {
    head: String,
    body: Vec<u8>,
}

/// `GET what` over an open connection. Every read and write is bounded by
/// what is left until `deadline`.
fn http_get(
    stream: &mut UnixStream,
    what: &str,
    deadline: Instant,
    limit: usize,
) -> std::io::Result<Response> {
    let left = || {
        let d = deadline.saturating_duration_since(Instant::now());
        if d.is_zero() {
            Err(std::io::Error::from(ErrorKind::TimedOut))
        } else {
            Ok(d)
        }
    };
    stream.set_write_timeout(Some(left()?))?;
    let request = format!("GET {what} HTTP/1.1\r\nHost: docker\r\nConnection: close\r\n\r\n");
    stream.write_all(request.as_bytes())?;
    let mut buf = Vec::new();
    let mut chunk = [0u8; 4096];
    loop {
        stream.set_read_timeout(Some(left()?))?;
        let n = stream.read(&mut chunk)?;
        if n == 0 {
            break;
        }
        buf.extend_from_slice(&chunk[..n]);
        if buf.len() > limit {
            return Err(std::io::Error::other("answer too long"));
        }
    }
    parse_response(&buf, what)
}

/// The value of header `name` (lower case).
fn header<'a>(head: &'a str, name: &str) -> Option<&'a str> {
    head.lines().skip(1).find_map(|l| {
        let (k, v) = l.split_once(':')?;
        k.trim().eq_ignore_ascii_case(name).then(|| v.trim())
    })
}

/// A complete HTTP/1.1 200 response (plain or chunked body).
fn parse_response(resp: &[u8], what: &str) -> std::io::Result<Response> {
    let bad = |why: &str| std::io::Error::new(ErrorKind::InvalidData, why.to_string());
    let split = resp
        .windows(4)
        .position(|w| w == b"\r\n\r\n")
        .ok_or_else(|| bad("not an HTTP answer"))?;
    let head = String::from_utf8_lossy(&resp[..split]).into_owned();
    let body = &resp[split + 4..];
    let status_line = head.lines().next().unwrap_or_default();
    if status_line.split_whitespace().nth(1) != Some("200") {
        return Err(bad(&format!("answered '{status_line}' to GET {what}")));
    }
    let chunked = header(&head, "transfer-encoding").is_some_and(|v| v.contains("chunked"));
    if !chunked {
        return Ok(Response {
            head,
            body: body.to_vec(),
        });
    }
    let mut out = Vec::new();
    let mut rest = body;
    loop {
        let eol = rest
            .windows(2)
            .position(|w| w == b"\r\n")
            .ok_or_else(|| bad("truncated chunk"))?;
        let size_text = String::from_utf8_lossy(&rest[..eol]);
        let size = usize::from_str_radix(size_text.split(';').next().unwrap_or("").trim(), 16)
            .map_err(|_| bad("bad chunk size"))?;
        rest = &rest[eol + 2..];
        if size == 0 {
            return Ok(Response { head, body: out });
        }
        let data = rest.get(..size).ok_or_else(|| bad("truncated chunk"))?;
        out.extend_from_slice(data);
        rest = rest.get(size + 2..).ok_or_else(|| bad("truncated chunk"))?;
    }
}

/// The name of the user running dockmux (`$USER` may lie or be unset),
/// read from /etc/passwd as the group is.
fn user_name() -> String {
    let uid = crate::secure::euid();
    Accounts::users(Path::new("/"))
        .name(uid)
        .unwrap_or_else(|| uid.to_string())
}

/// The plain ssh command that checks what docker's ssh transport needs:
/// `ssh -p 2222 me@nas docker version` for `ssh://me@nas:2222`, with
/// `-H unix://PATH` when the URL names the remote socket.
fn ssh_check_command(url: &str) -> String {
    let rest = url.strip_prefix("ssh://").unwrap_or(url);
    let (authority, path) = match rest.find('/') {
        Some(i) => (&rest[..i], Some(&rest[i..])),
        None => (rest, None),
    };
    let (user, hostport) = match authority.rsplit_once('@') {
        Some((u, h)) => (Some(u), h),
        None => (None, authority),
    };
    let (host, port) = match hostport.rsplit_once(':') {
        Some((h, p)) if !p.is_empty() && p.bytes().all(|b| b.is_ascii_digit()) => (h, Some(p)),
        _ => (hostport, None),
    };
    let host = host.trim_start_matches('[').trim_end_matches(']');
    let mut words = vec!["ssh".to_string()];
    if let Some(p) = port {
        words.extend(["-p".to_string(), p.to_string()]);
    }
    words.push(match user {
        Some(u) => format!("{u}@{host}"),
        None => host.to_string(),
    });
    words.push("docker".to_string());
    if let Some(path) = path.filter(|p| *p != "/") {
        words.extend(["-H".to_string(), format!("unix://{path}")]);
    }
    words.push("version".to_string());
    let words: Vec<String> = words.iter().map(|w| crate::quote::sh_word(w)).collect();
    words.join(" ")
}

/// `docker version` with the engine's environment, killed at the deadline.
fn probe_client(
    batch: &Batch,
    docker: &Path,
    t: &Target,
    deadline: Instant,
    timeout: Duration,
) -> Status {
    let args = ["version", "--format", "{{json .Server}}"];
    let done = match client_output(batch, docker, t, &args, deadline, timeout) {
        Ok(done) => done,
        Err(status) => return status,
    };
    let server: serde_json::Value = serde_json::from_slice(&done.stdout).unwrap_or_default();
    let field = |k: &str| server.get(k).and_then(|x| x.as_str()).map(str::to_string);
    if done.status.success() && server.is_object() {
        return Status::up(field("Version"), field("ApiVersion"));
    }
    classify_client_error(t, docker_message(&done.stderr))
}

/// `docker ARGS…` for [`ask_all`]: its output when it succeeds.
fn run_client(
    reach: &Reach,
    docker: &Path,
    t: &Target,
    args: &[String],
) -> Result<Vec<u8>, Status> {
    let done = client_output(&reach.batch, docker, t, args, reach.deadline, reach.timeout)?;
    if done.status.success() {
        Ok(done.stdout)
    } else {
        Err(classify_client_error(t, docker_message(&done.stderr)))
    }
}

/// The client run with the engine's environment until it exits or the
/// deadline comes.
fn client_output(
    batch: &Batch,
    docker: &Path,
    t: &Target,
    args: &[impl AsRef<std::ffi::OsStr>],
    deadline: Instant,
    timeout: Duration,
) -> Result<crate::children::Finished, Status> {
    let mut cmd = Command::new(docker);
    cmd.args(args)
        // ssh must not ask for a password or a host key on the user's terminal.
        .env("SSH_ASKPASS_REQUIRE", "never");
    engine::set_env(&mut cmd, &t.env);
    let done = match batch.run_until(&mut cmd, deadline) {
        Ok(done) => done,
        Err(Unfinished::TimedOut | Unfinished::Closed) => return Err(timed_out(timeout)),
        Err(Unfinished::Spawn(e)) => {
            return Err(Status::failed(
                State::Unknown,
                format!("cannot run {}: {e}", docker.display()),
                None,
            ));
        }
    };
    if done.overflowed {
        let first = args
            .first()
            .map(|a| a.as_ref().to_string_lossy().into_owned());
        return Err(Status::failed(
            State::Error,
            format!(
                "{} {} wrote more than {} MiB",
                docker.display(),
                first.unwrap_or_default(),
                crate::children::OUTPUT_CAP >> 20
            ),
            Some("check that the docker client is docker's".into()),
        ));
    }
    Ok(done)
}

/// docker's own error text, on one line.
fn docker_message(stderr: &[u8]) -> String {
    match escape::one_line(stderr) {
        m if m.is_empty() => "docker failed without a message".to_string(),
        m => m,
    }
}

fn classify_client_error(t: &Target, message: String) -> Status {
    let lower = message.to_ascii_lowercase();
    let (state, fix) = if t.kind == Kind::Ssh {
        let check = ssh_check_command(&t.host);
        let fix = if lower.contains("permission denied") {
            format!("check that your ssh key is accepted: {check}")
        } else if lower.contains("host key") {
            format!("connect once with plain ssh to check and accept the host key: {check}")
        } else {
            format!("check that `{check}` works from this shell")
        };
        (State::SshError, fix)
    } else if t.tls
        || lower.contains("tls")
        || lower.contains("x509")
        || lower.contains("certificate")
    {
        (
            State::TlsError,
            "check the engine's tls settings (cert_path holds ca.pem, cert.pem, key.pem)".into(),
        )
    } else if lower.contains("permission denied") {
        (
            State::PermissionDenied,
            format!("ask for access to {} (the engine refused you)", t.host),
        )
    } else if lower.contains("connection refused") {
        (State::Refused, "start the engine, or fix its host".into())
    } else {
        (State::Down, "start the engine, or fix its host".into())
    };
    Status::failed(state, message, Some(fix))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn timeouts_parse_in_seconds_and_milliseconds() {
        assert_eq!(parse_timeout("2"), Ok(Duration::from_secs(2)));
        assert_eq!(parse_timeout("2s"), Ok(Duration::from_secs(2)));
        assert_eq!(parse_timeout("1.5s"), Ok(Duration::from_millis(1500)));
        assert_eq!(parse_timeout("250ms"), Ok(Duration::from_millis(250)));
        for bad in ["", "0", "-1s", "abc", "2h", "nan", "7200"] {
            assert!(parse_timeout(bad).is_err(), "{bad}");
        }
        assert_eq!(show_duration(Duration::from_millis(250)), "250ms");
        assert_eq!(show_duration(Duration::from_millis(1500)), "1.5s");
        assert_eq!(show_duration(Duration::from_secs(2)), "2s");
    }

    #[test]
    fn ssh_fix_lines_name_the_engines_own_user_host_port_and_socket() {
        assert_eq!(
            ssh_check_command("ssh://me@nas:2222"),
            "ssh -p 2222 me@nas docker version"
        );
        assert_eq!(ssh_check_command("ssh://nas"), "ssh nas docker version");
        assert_eq!(
            ssh_check_command("ssh://root@box/data/x.sock"),
            "ssh root@box docker -H unix:///data/x.sock version"
        );
        assert_eq!(
            ssh_check_command("ssh://me@[::1]:22"),
            "ssh -p 22 me@::1 docker version"
        );
    }

    #[test]
    fn http_answers_plain_and_chunked() {
        let plain = b"HTTP/1.1 200 OK\r\nApi-Version: 1.41\r\nContent-Length: 2\r\n\r\n{}";
        let r = parse_response(plain, "/x").unwrap();
        assert_eq!(r.body, b"{}");
        assert_eq!(header(&r.head, "api-version"), Some("1.41"));
        let chunked = b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n3\r\n{\"a\r\n4\r\n\":1}\r\n0\r\n\r\n";
        assert_eq!(parse_response(chunked, "/x").unwrap().body, b"{\"a\":1}");
        let err = parse_response(b"HTTP/1.1 404 Not Found\r\n\r\n", "/x")
            .err()
            .unwrap();
        assert!(err.to_string().contains("404"), "{err}");
        assert!(parse_response(b"garbage", "/x").is_err());
    }
}
