//! The unix-socket HTTP client: `GET /version` (and the API calls `ps` and
//! `find` ask) straight over an engine's socket, one round trip, every read
//! and write bounded by the deadline, every failure a status with its fix.

use std::io::{ErrorKind, Read, Write};
use std::os::fd::{AsRawFd, FromRawFd};
use std::os::unix::ffi::OsStrExt;
use std::os::unix::fs::{FileTypeExt, MetadataExt};
use std::os::unix::net::UnixStream;
use std::path::Path;
use std::sync::Arc;
use std::time::{Duration, Instant};

use super::bounded::{Budget, Meter};
use super::{State, Status, Target, timed_out};
use crate::files::accounts::Accounts;

/// A unix socket that is there and is a socket: its engine's API, asked
/// under the deadline, every failure a status with its fix.
pub(super) struct Socket<'a> {
    t: &'a Target,
    path: &'a Path,
    meta: std::fs::Metadata,
    deadline: Instant,
    timeout: Duration,
}

impl<'a> Socket<'a> {
    pub(super) fn open(
        t: &'a Target,
        deadline: Instant,
        timeout: Duration,
    ) -> Result<Socket<'a>, Status> {
        let path = crate::config::host::unix_socket(&t.host).unwrap_or(Path::new(""));
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

    /// `GET what`, its answer charged to `meter` as it is read.
    pub(super) fn get(&self, what: &str, meter: &mut Meter) -> Result<Response, Status> {
        let mut stream = connect(self.path, self.deadline)
            .map_err(|e| connect_error(self.t, self.path, &self.meta, e))?;
        http_get(&mut stream, what, self.deadline, meter).map_err(|e| match e {
            Got::Over(status) => status,
            Got::Io(e) if matches!(e.kind(), ErrorKind::WouldBlock | ErrorKind::TimedOut) => {
                timed_out(self.timeout)
            }
            Got::Io(e) => Status::failed(
                State::Error,
                format!("{}: {e}", self.path.display()),
                Some("check that this socket belongs to a docker engine".into()),
            ),
        })
    }
}

pub(super) fn probe_unix(
    t: &Target,
    deadline: Instant,
    timeout: Duration,
    budget: &Arc<Budget>,
) -> Status {
    let socket = match Socket::open(t, deadline, timeout) {
        Ok(s) => s,
        Err(status) => return status,
    };
    let shown = socket.path.display();
    // A version is a few hundred bytes.
    let mut meter = Meter::new(budget, 64 << 10);
    let mut get = |what: &str| socket.get(what, &mut meter);
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
    match serde_json::from_slice::<super::Version>(&version.body) {
        Ok(v) => Status::up(v.version, v.api_version.or(api)),
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
pub(super) fn connect(path: &Path, deadline: Instant) -> std::io::Result<UnixStream> {
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

pub(super) fn connect_error(
    t: &Target,
    path: &Path,
    meta: &std::fs::Metadata,
    e: std::io::Error,
) -> Status {
    let shown = path.display();
    match e.kind() {
        ErrorKind::PermissionDenied => {
            let fix = match Accounts::groups(Path::new("/")).name(meta.gid()) {
                _ if crate::files::secure::euid() == 0 => format!(
                    "root was refused too: check the socket's owner and mode (ls -l {shown}) \
                     and any AppArmor or SELinux rule"
                ),
                Some(g) if meta.gid() != 0 && meta.mode() & 0o060 == 0o060 => format!(
                    "join group '{g}' (as root: usermod -aG {g} {}; then log in again), or run it as root",
                    user_name()
                ),
                // Open to a group that /etc/group does not name (a container's
                // or another system's gid): name it, then join it.
                None if meta.gid() != 0 && meta.mode() & 0o060 == 0o060 => format!(
                    "the socket is open to group {gid}, which has no name in /etc/group: \
                     name it and join it (as root: groupadd -g {gid} docker-{gid} && \
                     usermod -aG docker-{gid} {}; then log in again), or run it as root",
                    user_name(),
                    gid = meta.gid()
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
pub(super) struct Response {
    pub(super) head: String,
    pub(super) body: Vec<u8>,
}

/// Why a GET got no answer.
pub(super) enum Got {
    Io(std::io::Error),
    /// The answer passed its bound (the status says which).
    Over(Status),
}

impl From<std::io::Error> for Got {
    fn from(e: std::io::Error) -> Got {
        Got::Io(e)
    }
}

/// `GET what` over an open connection. Every read and write is bounded by
/// what is left until `deadline`; the buffer's growth is charged to `meter`.
pub(super) fn http_get(
    stream: &mut UnixStream,
    what: &str,
    deadline: Instant,
    meter: &mut Meter,
) -> Result<Response, Got> {
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
    let mut chunk = [0u8; 16 << 10];
    loop {
        stream.set_read_timeout(Some(left()?))?;
        let n = stream.read(&mut chunk)?;
        if n == 0 {
            break;
        }
        let had = buf.capacity();
        buf.reserve(n);
        meter.charge(buf.capacity() - had).map_err(Got::Over)?;
        buf.extend_from_slice(&chunk[..n]);
    }
    Ok(parse_response(buf, what)?)
}

/// The value of header `name` (lower case).
pub(super) fn header<'a>(head: &'a str, name: &str) -> Option<&'a str> {
    head.lines().skip(1).find_map(|l| {
        let (k, v) = l.split_once(':')?;
        k.trim().eq_ignore_ascii_case(name).then(|| v.trim())
    })
}

/// A complete HTTP/1.1 200 response (plain or chunked body), its body
/// made in `resp`'s own buffer: an answer is never copied.
pub(super) fn parse_response(mut resp: Vec<u8>, what: &str) -> std::io::Result<Response> {
    let bad = |why: &str| std::io::Error::new(ErrorKind::InvalidData, why.to_string());
    let split =
        memchr::memmem::find(&resp, b"\r\n\r\n").ok_or_else(|| bad("not an HTTP answer"))?;
    let head = String::from_utf8_lossy(&resp[..split]).into_owned();
    let status_line = head.lines().next().unwrap_or_default();
    if status_line.split_whitespace().nth(1) != Some("200") {
        return Err(bad(&format!("answered '{status_line}' to GET {what}")));
    }
    resp.drain(..split + 4);
    let chunked = header(&head, "transfer-encoding").is_some_and(|v| v.contains("chunked"));
    if !chunked {
        return Ok(Response { head, body: resp });
    }
    // Chunks are joined in place: what is kept never runs ahead of what is read.
    let (mut read, mut kept) = (0, 0);
    loop {
        let rest = &resp[read..];
        let eol = memchr::memmem::find(rest, b"\r\n").ok_or_else(|| bad("truncated chunk"))?;
        let size_text = String::from_utf8_lossy(&rest[..eol]);
        let size = usize::from_str_radix(size_text.split(';').next().unwrap_or("").trim(), 16)
            .map_err(|_| bad("bad chunk size"))?;
        read += eol + 2;
        if size == 0 {
            resp.truncate(kept);
            return Ok(Response { head, body: resp });
        }
        let end = read
            .checked_add(size)
            .filter(|&end| end + 2 <= resp.len())
            .ok_or_else(|| bad("truncated chunk"))?;
        resp.copy_within(read..end, kept);
        kept += size;
        read = end + 2;
    }
}

/// The name of the user running dockmux (`$USER` may lie or be unset),
/// read from /etc/passwd as the group is.
pub(super) fn user_name() -> String {
    let uid = crate::files::secure::euid();
    Accounts::users(Path::new("/"))
        .name(uid)
        .unwrap_or_else(|| uid.to_string())
}
