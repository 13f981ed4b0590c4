//! Is each engine up? Probes run concurrently under one deadline, so ten
//! engines of which five hang cost one timeout, not five. A unix socket is
//! asked directly (`GET /version`: one round trip, no extra process); tcp and
//! ssh engines are asked through the stock client's own `docker version`
//! with the engine's environment, so TLS and ssh behave exactly as they do
//! for `NAME-docker` and their errors are docker's own. Never used on the
//! engine hot path.

use std::io::{ErrorKind, Read, Write};
use std::os::unix::fs::{FileTypeExt, MetadataExt};
use std::os::unix::net::UnixStream;
use std::os::unix::process::CommandExt;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::sync::mpsc;
use std::time::{Duration, Instant};

use serde::Serialize;

use crate::client;
use crate::config::{Config, Engine};
use crate::engine;
use crate::host::Kind;

/// The default bound on all probes together.
pub const DEFAULT_TIMEOUT: Duration = Duration::from_secs(2);

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
    fn up(server_version: Option<String>, api_version: Option<String>) -> Status {
        Status {
            state: State::Up,
            server_version,
            api_version,
            error: None,
            fix: None,
        }
    }

    fn failed(state: State, error: impl Into<String>, fix: Option<String>) -> Status {
        Status {
            state,
            server_version: None,
            api_version: None,
            error: Some(error.into()),
            fix,
        }
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
    fn new(e: &Engine) -> Target {
        Target {
            host: e.host.clone(),
            kind: e.kind,
            hint: e.hint.clone(),
            tls: e.tls.is_some(),
            env: engine::docker_env(e).into_iter().collect(),
        }
    }
}

/// Probes `engines` concurrently; returns their statuses in the same order,
/// all within `timeout` (plus a few milliseconds).
pub fn probe_all(cfg: &Config, engines: &[&Engine], timeout: Duration) -> Vec<Status> {
    let deadline = Instant::now() + timeout;
    // The client is only looked for when a non-unix engine needs it.
    let needs_client = engines.iter().any(|e| e.kind != Kind::Unix);
    let docker: Result<PathBuf, String> = if needs_client {
        client::find(cfg.docker.as_ref()).map_err(|e| e.to_string())
    } else {
        Err(String::new())
    };
    let (tx, rx) = mpsc::channel();
    for (i, e) in engines.iter().enumerate() {
        let target = Target::new(e);
        let docker = docker.clone();
        let tx = tx.clone();
        // Detached on purpose: a connect that never returns must not hold up
        // the answer; it ends with the process.
        std::thread::spawn(move || {
            let status = match (target.kind, docker) {
                (Kind::Unix, _) => probe_unix(&target, deadline, timeout),
                (_, Ok(docker)) => probe_client(&docker, &target, deadline, timeout),
                (_, Err(why)) => Status::failed(
                    State::Unknown,
                    format!("cannot ask the engine: {why}"),
                    None,
                ),
            };
            let _ = tx.send((i, status));
        });
    }
    drop(tx);
    let mut out: Vec<Option<Status>> = vec![None; engines.len()];
    // A little grace so a probe that gives up exactly at the deadline is heard.
    let give_up = deadline + Duration::from_millis(100);
    while out.iter().any(Option::is_none) {
        let left = give_up.saturating_duration_since(Instant::now());
        match rx.recv_timeout(left) {
            Ok((i, status)) => out[i] = Some(status),
            Err(_) => break,
        }
    }
    out.into_iter()
        .map(|s| s.unwrap_or_else(|| timed_out(timeout)))
        .collect()
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

fn probe_unix(t: &Target, deadline: Instant, timeout: Duration) -> Status {
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
            return Status::failed(State::NoSocket, format!("no socket at {shown}"), start_it());
        }
        Err(e) if e.kind() == ErrorKind::PermissionDenied => {
            return Status::failed(
                State::PermissionDenied,
                format!("cannot reach {shown}: a directory on the way is not open to you"),
                Some("run with sudo, or ask for access to the socket's directory".into()),
            );
        }
        Err(e) => return Status::failed(State::Error, format!("{shown}: {e}"), None),
    };
    if !meta.file_type().is_socket() {
        let what = if meta.is_dir() {
            "a directory"
        } else {
            "not a socket"
        };
        return Status::failed(
            State::NotASocket,
            format!("{shown} is {what}"),
            Some("fix the engine's host in the config".into()),
        );
    }
    let talk_error = |e: std::io::Error| {
        if matches!(e.kind(), ErrorKind::WouldBlock | ErrorKind::TimedOut) {
            timed_out(timeout)
        } else {
            Status::failed(
                State::Error,
                format!("{shown}: {e}"),
                Some("check that this socket belongs to a docker engine".into()),
            )
        }
    };
    let get = |what: &str| match UnixStream::connect(path) {
        Ok(mut stream) => http_get(&mut stream, what, deadline).map_err(talk_error),
        Err(e) => Err(connect_error(t, path, &meta, e)),
    };
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

fn connect_error(t: &Target, path: &Path, meta: &std::fs::Metadata, e: std::io::Error) -> Status {
    let shown = path.display();
    match e.kind() {
        ErrorKind::PermissionDenied => {
            let fix = match group_name(meta.gid()) {
                Some(g) if meta.gid() != 0 && meta.mode() & 0o060 == 0o060 => format!(
                    "join group '{g}' (sudo usermod -aG {g} $USER, then log in again) or use sudo"
                ),
                _ => "use sudo (the socket is open to root only; dockerd's --group / \
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
fn http_get(stream: &mut UnixStream, what: &str, deadline: Instant) -> std::io::Result<Response> {
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
        if buf.len() > 1 << 20 {
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

fn group_name(gid: u32) -> Option<String> {
    let mut buf = vec![0 as libc::c_char; 16 * 1024];
    let mut grp: libc::group = unsafe { std::mem::zeroed() };
    let mut result: *mut libc::group = std::ptr::null_mut();
    // SAFETY: all pointers are valid for the call; buf outlives the use of grp's strings.
    let rc = unsafe { libc::getgrgid_r(gid, &mut grp, buf.as_mut_ptr(), buf.len(), &mut result) };
    if rc != 0 || result.is_null() {
        return None;
    }
    // SAFETY: gr_name points into buf, NUL-terminated, set by a successful getgrgid_r.
    let name = unsafe { std::ffi::CStr::from_ptr(grp.gr_name) };
    Some(name.to_string_lossy().into_owned())
}

/// `docker version` with the engine's environment, killed at the deadline.
fn probe_client(docker: &Path, t: &Target, deadline: Instant, timeout: Duration) -> Status {
    let mut cmd = Command::new(docker);
    cmd.args(["version", "--format", "{{json .Server}}"])
        // ssh must not ask for a password or a host key on the user's terminal.
        .env("SSH_ASKPASS_REQUIRE", "never");
    engine::set_env(&mut cmd, &t.env);
    let done = match run_until(&mut cmd, deadline) {
        Ok(Some(done)) => done,
        Ok(None) => return timed_out(timeout),
        Err(e) => {
            return Status::failed(
                State::Unknown,
                format!("cannot run {}: {e}", docker.display()),
                None,
            );
        }
    };
    let server: serde_json::Value = serde_json::from_slice(&done.stdout).unwrap_or_default();
    let field = |k: &str| server.get(k).and_then(|x| x.as_str()).map(str::to_string);
    if done.status.success() && server.is_object() {
        return Status::up(field("Version"), field("ApiVersion"));
    }
    classify_client_error(t, docker_message(&done.stderr))
}

/// A child process that ended in time.
pub struct Finished {
    pub status: std::process::ExitStatus,
    pub stdout: Vec<u8>,
    pub stderr: Vec<u8>,
}

/// Runs `cmd` (stdin closed, small outputs captured: each must fit a pipe) in a
/// session of its own;
/// `Ok(None)` when `deadline` came first and it was killed with everything it started.
pub fn run_until(cmd: &mut Command, deadline: Instant) -> std::io::Result<Option<Finished>> {
    cmd.stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
    // SAFETY: setsid is async-signal-safe. A new session has no controlling
    // terminal (so an ssh started by docker cannot prompt; it fails as in
    // BatchMode) and is its own process group, which the deadline kills whole.
    unsafe {
        cmd.pre_exec(|| {
            libc::setsid();
            Ok(())
        });
    }
    let mut child = cmd.spawn()?;
    let pgid = child.id() as i32;
    let status = loop {
        match child.try_wait() {
            Ok(Some(s)) => break Some(s),
            Ok(None) if Instant::now() >= deadline => break None,
            Ok(None) => std::thread::sleep(Duration::from_millis(5)),
            Err(_) => break None,
        }
    };
    // Also after a normal exit: a helper left behind would hold the pipes open.
    // SAFETY: kill has no memory-safety preconditions.
    unsafe { libc::kill(-pgid, libc::SIGKILL) };
    let Some(status) = status else {
        let _ = child.wait();
        return Ok(None);
    };
    let mut stdout = Vec::new();
    let mut stderr = Vec::new();
    if let Some(mut o) = child.stdout.take() {
        let _ = o.read_to_end(&mut stdout);
    }
    if let Some(mut e) = child.stderr.take() {
        let _ = e.read_to_end(&mut stderr);
    }
    Ok(Some(Finished {
        status,
        stdout,
        stderr,
    }))
}

/// docker's own error text, on one line.
fn docker_message(stderr: &[u8]) -> String {
    let text = String::from_utf8_lossy(stderr);
    let lines: Vec<&str> = text
        .lines()
        .map(str::trim)
        .filter(|l| !l.is_empty())
        .collect();
    if lines.is_empty() {
        "docker version failed without a message".to_string()
    } else {
        lines.join(" ")
    }
}

fn classify_client_error(t: &Target, message: String) -> Status {
    let lower = message.to_ascii_lowercase();
    let (state, fix) = if t.kind == Kind::Ssh {
        let fix = if lower.contains("permission denied") {
            "check that your ssh key is accepted (ssh -p PORT USER@HOST docker version)"
        } else if lower.contains("host key") {
            "connect once with plain ssh to check and accept the host key"
        } else {
            "check that `ssh USER@HOST docker version` works from this shell"
        };
        (State::SshError, fix)
    } else if t.tls
        || lower.contains("tls")
        || lower.contains("x509")
        || lower.contains("certificate")
    {
        (
            State::TlsError,
            "check the engine's tls settings (cert_path holds ca.pem, cert.pem, key.pem)",
        )
    } else if lower.contains("permission denied") {
        (State::PermissionDenied, "use sudo or ask for access")
    } else if lower.contains("connection refused") {
        (State::Refused, "start the engine, or fix its host")
    } else {
        (State::Down, "start the engine, or fix its host")
    };
    Status::failed(state, message, Some(fix.to_string()))
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
