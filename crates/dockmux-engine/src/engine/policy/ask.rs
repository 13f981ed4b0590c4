//! Asking a protected engine what a command would touch: its data root
//! (`/info`), a named volume's driver options, the containers that use a
//! volume. Only for protected engines, only for the commands that need the
//! answer, over the engine's unix socket with a short deadline and a bounded
//! read. An engine that cannot be asked gets no benefit of the doubt: the
//! caller holds.
//!
//! `/info` (the data root and the engine's identity, for `pin`) is cached
//! per engine, with the socket's identity (device, inode, change time): a
//! restarted or repointed engine makes a new socket, and it is asked again.

use std::io::{Read, Write};
use std::os::unix::fs::MetadataExt;
use std::os::unix::net::UnixStream;
use std::path::Path;
use std::time::{Duration, Instant};

use super::json;
use crate::config::Settings as Engine;
use crate::files::cache;

/// How long one question may take, all of it.
const DEADLINE: Duration = Duration::from_millis(1500);
/// The largest answer read (a real `/info` is a few KB).
const MAX_ANSWER: usize = 1 << 20;

/// Why the engine could not answer, for the hold's reason.
pub type Why = String;

/// `GET path` on `engine`'s socket: the body of a 200 answer, or a 404's
/// `None`; any other outcome is the reason it could not be asked.
fn get(engine: &Engine, path: &str) -> Result<Option<Vec<u8>>, Why> {
    let until = Instant::now() + DEADLINE;
    get_within(engine, path, until, MAX_ANSWER).map(|a| a.map(|a| a.body))
}

/// An engine's answer: its body, and the API version it speaks (the
/// `Api-Version` header).
pub struct Answer {
    pub body: Vec<u8>,
    pub api: Option<(u32, u32)>,
}

/// [`get`] by a deadline shared with other questions, reading at most
/// `cap` bytes.
pub fn get_within(
    engine: &Engine,
    path: &str,
    until: Instant,
    cap: usize,
) -> Result<Option<Answer>, Why> {
    let Some(sock) = engine.unix_socket() else {
        return Err(format!(
            "engine '{}' is not on a local unix socket, so dockmux cannot ask it",
            engine.name
        ));
    };
    let cannot = |e: std::io::Error| format!("cannot ask engine '{}': {e}", engine.name);
    let mut s = UnixStream::connect(sock).map_err(cannot)?;
    let left = || {
        until
            .checked_duration_since(Instant::now())
            .filter(|d| !d.is_zero())
    };
    let timed_out = || format!("engine '{}' did not answer in time", engine.name);
    s.set_write_timeout(left()).map_err(cannot)?;
    // HTTP/1.0: the answer is not chunked and ends when the engine closes.
    s.write_all(format!("GET {path} HTTP/1.0\r\nHost: docker\r\n\r\n").as_bytes())
        .map_err(cannot)?;
    let mut answer = Vec::with_capacity(8192);
    let mut buf = [0u8; 8192];
    loop {
        let Some(d) = left() else {
            return Err(timed_out());
        };
        s.set_read_timeout(Some(d)).map_err(cannot)?;
        match s.read(&mut buf) {
            Ok(0) => break,
            Ok(n) if answer.len() + n > cap => {
                return Err(format!(
                    "engine '{}' answered {path} with more than {cap} bytes",
                    engine.name
                ));
            }
            Ok(n) => answer.extend_from_slice(&buf[..n]),
            Err(e) if e.kind() == std::io::ErrorKind::Interrupted => {}
            Err(e)
                if matches!(
                    e.kind(),
                    std::io::ErrorKind::WouldBlock | std::io::ErrorKind::TimedOut
                ) =>
            {
                return Err(timed_out());
            }
            Err(e) => return Err(cannot(e)),
        }
    }
    let bad = || format!("engine '{}' gave no HTTP answer to {path}", engine.name);
    let head_end = answer
        .windows(4)
        .position(|w| w == b"\r\n\r\n")
        .ok_or_else(bad)?;
    let status = answer
        .get(9..12)
        .filter(|_| answer.starts_with(b"HTTP/1."))
        .ok_or_else(bad)?;
    match status {
        b"200" => Ok(Some(Answer {
            api: api_version(&answer[..head_end]),
            body: answer[head_end + 4..].to_vec(),
        })),
        b"404" => Ok(None),
        other => Err(format!(
            "engine '{}' answered {path} with status {}",
            engine.name,
            crate::text::escape::bytes(other)
        )),
    }
}

/// The `Api-Version: 1.41` header of an answer's head.
fn api_version(head: &[u8]) -> Option<(u32, u32)> {
    let text = std::str::from_utf8(head).ok()?;
    let value = text.split("\r\n").find_map(|l| {
        let (k, v) = l.split_once(':')?;
        k.eq_ignore_ascii_case("api-version").then_some(v.trim())
    })?;
    let (major, minor) = value.split_once('.')?;
    Some((major.parse().ok()?, minor.parse().ok()?))
}

/// What a named volume is, as far as the policy cares.
pub struct Volume {
    /// It exists and has driver options (`volume create -o …`).
    pub options: bool,
    /// Containers (any state) that use it.
    pub used: bool,
}

/// Asks about volume `name` (a valid volume name: nothing to escape in a URL).
pub fn volume(engine: &Engine, name: &str) -> Result<Volume, Why> {
    let odd = |what: &str| format!("engine '{}' gave an odd answer about {what}", engine.name);
    let options = match get(engine, &format!("/volumes/{name}"))? {
        None => false,
        Some(body) => !json::is_empty(json::field(&body, "Options").ok_or_else(|| odd(name))?),
    };
    // filters={"volume":["NAME"]}, percent-encoded.
    let users = get(
        engine,
        &format!("/containers/json?all=1&filters=%7B%22volume%22%3A%5B%22{name}%22%5D%7D"),
    )?
    .ok_or_else(|| odd("its containers"))?;
    let t = users.trim_ascii();
    if !t.starts_with(b"[") {
        return Err(odd("its containers"));
    }
    Ok(Volume {
        options,
        used: !json::is_empty(t),
    })
}

/// The driver of the network the engine would resolve `name` to (a name,
/// an ID or a unique ID prefix, as `docker network inspect` resolves it);
/// `None` when the engine has no such network (the run would fail there).
pub fn network_driver(engine: &Engine, name: &str) -> Result<Option<String>, Why> {
    let Some(body) = get(engine, &format!("/networks/{}", percent_encoded(name)))? else {
        return Ok(None);
    };
    json::field(&body, "Driver")
        .and_then(json::string)
        .map(Some)
        .ok_or_else(|| {
            format!(
                "engine '{}' gave an odd answer about network {}",
                engine.name,
                crate::text::escape::owned(name)
            )
        })
}

/// `s` as one path segment of a URL: every byte but the unreserved ones escaped.
fn percent_encoded(s: &str) -> String {
    s.bytes()
        .map(|b| match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'.' | b'_' | b'~' => {
                (b as char).to_string()
            }
            _ => format!("%{b:02X}"),
        })
        .collect()
}

/// The engine's data root: `data_root` from the config, else the engine's
/// `DockerRootDir` ([`info`]).
pub fn data_root(engine: &Engine) -> Result<String, Why> {
    match &engine.data_root {
        Some(d) => Ok(d.clone()),
        None => info(engine).map(|i| i.root),
    }
}

/// What the engine says it is, from `/info`.
pub struct Info {
    pub id: String,
    pub name: String,
    /// `DockerRootDir`.
    pub root: String,
}

impl Info {
    /// As `pin = "…"` writes it.
    pub fn pin(&self) -> String {
        crate::config::rules::pin(&self.id, &self.name, &self.root)
    }
}

/// The engine's `/info` (ID, Name, DockerRootDir), from the cache while the
/// socket is the same one: one question per engine start, shared by the
/// data root and the pin.
pub fn info(engine: &Engine) -> Result<Info, Why> {
    let sock_id = engine
        .unix_socket()
        .and_then(|s| std::fs::metadata(s).ok())
        .map(|m| format!("{} {} {} {}", m.dev(), m.ino(), m.ctime(), m.ctime_nsec()));
    let cache = sock_id
        .as_ref()
        .and_then(|_| cache::file(&format!("data-root/{}", engine.name)));
    let key = |id: &str| format!("{}\n{id}\n", engine.host);
    if let (Some(id), Some(file)) = (&sock_id, &cache)
        && let Some(info) = read_cache(file, &key(id))
    {
        return Ok(info);
    }
    let body =
        get(engine, "/info")?.ok_or_else(|| format!("engine '{}' has no /info", engine.name))?;
    let text = |k: &str| {
        json::field(&body, k)
            .and_then(json::string)
            .filter(|v| !v.chars().any(crate::text::escape::is_unsafe))
    };
    // The pin's words are split at spaces; the root is its last.
    let word = |k: &str| text(k).filter(|v| !v.contains(' '));
    let root = text("DockerRootDir")
        .filter(|r| r.starts_with('/'))
        .ok_or_else(|| format!("engine '{}' did not say its DockerRootDir", engine.name))?;
    let info = Info {
        id: word("ID")
            .filter(|i| !i.is_empty())
            .unwrap_or_else(|| "-".into()),
        name: word("Name").unwrap_or_default(),
        root,
    };
    if let (Some(id), Some(file)) = (&sock_id, &cache) {
        let answer = format!("{}\n{}\n{}\n", info.id, info.name, info.root);
        cache::write(file, &key(id), &answer);
    }
    Ok(info)
}

/// The cached answer when it was written for the same host and socket.
fn read_cache(file: &Path, key: &str) -> Option<Info> {
    let text = cache::read(file, key)?;
    let mut lines = text.strip_suffix('\n')?.split('\n');
    let (id, name, root) = (lines.next()?, lines.next()?, lines.next()?);
    (lines.next().is_none() && root.starts_with('/')).then(|| Info {
        id: id.to_string(),
        name: name.to_string(),
        root: root.to_string(),
    })
}
