//! Host URLs: dockmux's check (crates/dockmux-engine/src/config/host/mod.rs) against the real docker clients.
//! Each string of a generated corpus goes to every client as DOCKER_HOST,
//! and what the client does with it is recorded, not guessed: a tcp host
//! reaches an HTTP proxy the client is pointed at (so no name is looked
//! up), an ssh host runs a fake `ssh` that records its arguments (which the
//! real `ssh -G` then has to take), a unix host dials a listening socket or
//! names the one it tried. What dockmux accepts, every client must reach
//! exactly as written; every URL dockmux suggests must pass dockmux's check
//! and be reached as written too.

use std::collections::BTreeSet;
use std::io::{BufRead, BufReader};
use std::net::TcpListener;
use std::os::unix::net::UnixListener;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::sync::Mutex;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant};

use dockmux::config::host::{self, Kind};

use crate::harness::exe::write_executable;
use crate::harness::{Env, Out, testbed};

/// What a client did with a host string.
#[derive(Debug, Clone, PartialEq, Eq)]
enum Verdict {
    /// It refused the string before connecting (its message).
    Refused(String),
    /// A tcp host: the `HOST:PORT` and base path of its request.
    Tcp(String, String),
    /// A unix host: the socket path it dialed.
    Unix(String),
    /// An ssh host: the arguments it ran ssh with.
    Ssh(Vec<String>),
    /// Neither within the time limit.
    Unclear(String),
}

struct Bed {
    dir: tempfile::TempDir,
    /// The fake ssh's directory, first on the clients' PATH.
    bin: PathBuf,
    /// Where unix hosts of the corpus live.
    sockets: PathBuf,
}

impl Bed {
    fn new() -> Bed {
        let dir = tempfile::Builder::new()
            .prefix("dmxhost-")
            .tempdir()
            .unwrap();
        let bin = dir.path().join("bin");
        let sockets = dir.path().join("s");
        std::fs::create_dir_all(&bin).unwrap();
        std::fs::create_dir_all(&sockets).unwrap();
        write_executable(
            &bin.join("ssh"),
            "#!/bin/sh\nprintf '%s\\0' \"$@\" > \"$FAKE_SSH_RECORD\"\nexit 255\n",
        );
        Bed { dir, bin, sockets }
    }

    /// Runs `client version` with DOCKER_HOST=`url` and says what it did
    /// (`None` when the loopback address a tcp URL names is taken here).
    fn run(&self, client: &Path, url: &str, n: usize) -> Option<Verdict> {
        let run_dir = self.dir.path().join(format!("run-{n}"));
        std::fs::create_dir_all(&run_dir).unwrap();
        let record = run_dir.join("ssh");
        let proxy = TcpListener::bind("127.0.0.1:0").unwrap();
        let proxy_url = format!("http://{}", proxy.local_addr().unwrap());
        let mut listeners = vec![proxy];
        // A unix host dockmux accepts gets a listening socket at its path; a
        // loopback tcp one (which clients do not send through a proxy), a
        // listener at its address.
        let mut unix = None;
        match host::check(url) {
            Ok(Kind::Unix) => {
                unix = host::unix_socket(url).and_then(|p| {
                    let l = UnixListener::bind(p).ok()?;
                    l.set_nonblocking(true).ok()?;
                    Some((l, p.to_path_buf()))
                })
            }
            Ok(Kind::Tcp) => {
                let authority = url["tcp://".len()..].split('/').next().unwrap();
                let loopback = authority
                    .replace("localhost", "127.0.0.1")
                    .parse::<std::net::SocketAddr>()
                    .ok()
                    .filter(|a| a.ip().is_loopback());
                if let Some(addr) = loopback {
                    listeners.push(TcpListener::bind(addr).ok()?);
                }
            }
            _ => {}
        }
        for l in &listeners {
            l.set_nonblocking(true).unwrap();
        }
        let mut child = Command::new(client)
            .args(["version", "--format", "{{.Server.Version}}"])
            .env_clear()
            .env("PATH", format!("{}:/usr/bin:/bin", self.bin.display()))
            .env("HOME", &run_dir)
            .env("DOCKER_CONFIG", run_dir.join(".docker"))
            .env("DOCKER_HOST", url)
            .env("HTTP_PROXY", &proxy_url)
            .env("http_proxy", &proxy_url)
            .env("FAKE_SSH_RECORD", &record)
            .current_dir(&run_dir)
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap();
        let start = Instant::now();
        let mut verdict = None;
        let mut dialed_unix = None;
        loop {
            for l in &listeners {
                if let Ok((s, _)) = l.accept()
                    && let Some((authority, base)) = http_target(&s)
                {
                    verdict.get_or_insert(Verdict::Tcp(authority, base));
                }
            }
            if let Some((l, p)) = &unix
                && l.accept().is_ok()
            {
                dialed_unix = Some(p.display().to_string());
            }
            if child.try_wait().unwrap().is_some() {
                break;
            }
            if start.elapsed() > Duration::from_secs(20) {
                let _ = child.kill();
                let _ = child.wait();
                return Some(verdict.unwrap_or(Verdict::Unclear("no answer within 20s".into())));
            }
            std::thread::sleep(Duration::from_millis(5));
        }
        let out = child.wait_with_output().unwrap();
        let stderr = String::from_utf8_lossy(&out.stderr).into_owned();
        if let Some((_, p)) = unix {
            let _ = std::fs::remove_file(p);
        }
        Some(verdict.unwrap_or_else(|| judge(dialed_unix, &record, stderr)))
    }
}

/// What a client did, when no request reached a listener.
fn judge(dialed_unix: Option<String>, record: &Path, stderr: String) -> Verdict {
    if let Some(p) = dialed_unix {
        return Verdict::Unix(p);
    }
    if let Ok(bytes) = std::fs::read(record) {
        let args = bytes
            .split(|&b| b == 0)
            .map(|a| String::from_utf8_lossy(a).into_owned())
            .collect::<Vec<_>>();
        return Verdict::Ssh(args[..args.len() - 1].to_vec());
    }
    // A unix socket that is not there (or a listener that closed): the
    // client names the one it tried.
    if let Some(rest) = stderr.split("read unix @->").nth(1)
        && let Some((path, _)) = rest.split_once(": read:")
    {
        return Verdict::Unix(path.to_string());
    }
    if let Some(rest) = stderr
        .split("Cannot connect to the Docker daemon at unix://")
        .nth(1)
        && let Some(path) = rest.split(". Is the docker daemon running?").next()
    {
        return Verdict::Unix(path.to_string());
    }
    let connecting = ["Cannot connect", "error during connect", "dial "];
    if connecting.iter().any(|m| stderr.contains(m)) {
        return Verdict::Unclear(stderr);
    }
    Verdict::Refused(stderr.trim().to_string())
}

/// The `HOST:PORT` and base path of the first request on `s`: from the
/// absolute URL a proxy is sent (`HEAD http://HOST:PORT/BASE/_ping`), else
/// from the Host header and the path.
fn http_target(s: &std::net::TcpStream) -> Option<(String, String)> {
    s.set_nonblocking(false).ok()?;
    s.set_read_timeout(Some(Duration::from_secs(5))).ok()?;
    let mut lines = BufReader::new(s).lines().map_while(Result::ok);
    let request = lines.next()?;
    let target = request.split(' ').nth(1)?.to_string();
    let (authority, path) = match target.strip_prefix("http://") {
        Some(t) => {
            let (a, p) = t.split_at(t.find('/').unwrap_or(t.len()));
            (a.to_string(), p.to_string())
        }
        None => {
            let host = lines
                .take_while(|l| !l.is_empty())
                .find_map(|l| l.strip_prefix("Host: ").map(String::from))?;
            (host, target)
        }
    };
    let base = path.split("/_ping").next().unwrap_or("");
    let base = base.split("/v1.").next().unwrap_or("");
    Some((authority, base.to_string()))
}

/// What reaching `url` as written looks like, for a URL dockmux accepts.
fn as_written(url: &str) -> Verdict {
    match host::check(url).unwrap() {
        Kind::Unix => Verdict::Unix(host::unix_socket(url).unwrap().display().to_string()),
        Kind::Tcp => {
            let rest = &url["tcp://".len()..];
            let (authority, path) = rest.split_at(rest.find('/').unwrap_or(rest.len()));
            Verdict::Tcp(authority.to_string(), path.to_string())
        }
        Kind::Ssh => Verdict::Ssh(ssh_args(url).0),
    }
}

/// The ssh arguments docker runs for an ssh URL dockmux accepts (without
/// the options a client puts first), and the ones `ssh -G` checks.
fn ssh_args(url: &str) -> (Vec<String>, Vec<String>) {
    let rest = &url["ssh://".len()..];
    let (authority, path) = rest.split_at(rest.find('/').unwrap_or(rest.len()));
    let (user, host_port) = match authority.rsplit_once('@') {
        Some((u, hp)) => (Some(u), hp),
        None => (None, authority),
    };
    let (host, port) = match host_port.strip_prefix('[') {
        Some(v6) => {
            let (h, tail) = v6.split_once(']').unwrap();
            (h, tail.strip_prefix(':'))
        }
        None => match host_port.split_once(':') {
            Some((h, p)) => (h, Some(p)),
            None => (host_port, None),
        },
    };
    let mut login = Vec::new();
    if let Some(u) = user {
        login.extend(["-l".to_string(), u.to_string()]);
    }
    if let Some(p) = port {
        login.extend(["-p".to_string(), p.to_string()]);
    }
    login.extend(["--".to_string(), host.to_string()]);
    let mut all = login.clone();
    all.push("docker".into());
    if !path.is_empty() {
        all.extend(["--host".to_string(), format!("unix://{path}")]);
    }
    all.extend(["system".to_string(), "dial-stdio".to_string()]);
    (all, login)
}

/// The real ssh takes these arguments (it checks host names and ports).
fn ssh_takes(login: &[String], home: &Path) -> bool {
    Command::new("ssh")
        .arg("-G")
        .args(["-F", "/dev/null"])
        .args(login)
        .env_clear()
        .env("HOME", home)
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .status()
        .is_ok_and(|s| s.success())
}

/// The corpus: the strings and the classes around them.
fn corpus(sockets: &Path) -> Vec<String> {
    let mut c: Vec<String> = [
        "tcp://::1:2375",
        "tcp://h:+80",
        "tcp://h :2375",
        "ssh://me@nas local",
        "ssh://host -- args",
        "ssh://-oProxyCommand=id",
        "ssh://-oProxyCommand=touch /tmp/x",
        "tcp://[::1]x:2375",
        "nas:2375",
        "nas",
        "http://nas:2376",
        "https://nas:2376",
        "npipe:////./pipe/docker_engine",
        "fd://3",
        "TCP://nas:2375",
        " tcp://nas:2375 ",
        "tcp://nas:2375://x",
        "tcp://",
        "ssh://",
        "unix://",
        "",
    ]
    .map(String::from)
    .to_vec();
    let s = sockets.display().to_string();
    for p in [
        format!("{s}/d.sock"),
        format!("{s}/a b.sock"),
        format!("{s}/100%.sock"),
        format!("{s}/a%20b.sock"),
        format!("{s}/q?x.sock"),
        format!("{s}/h#x.sock"),
        format!("{s}//d.sock"),
        // sun_path's limit: 107 bytes fit, 108 do not.
        format!("{s}/{}", "l".repeat(107 - s.len() - 1)),
        format!("{s}/{}", "l".repeat(108 - s.len() - 1)),
    ] {
        c.push(format!("unix://{p}"));
        c.push(p.clone());
        c.push(format!("unix://{}", &p[1..]));
    }
    let hosts = [
        "nas",
        "NAS.example.",
        "db.prod_1",
        "10.1.2.3",
        "[fe80::1]",
        "fe80::1",
        "::1",
        "[::1]x",
        "[nas]",
        "010.0.0.1",
        "1.2.3",
        "-x",
        "h x",
        "h;x",
        "ü",
        "a..b",
        "",
    ];
    for h in hosts {
        for p in ["", ":", ":2375", ":+80", ":0", ":x"] {
            c.push(format!("tcp://{h}{p}"));
        }
        for p in ["", ":22", ":+22"] {
            c.push(format!("ssh://{h}{p}"));
        }
    }
    for tail in ["/base", "/a%41", "/", "?x=1", "#f", "/a b"] {
        c.push(format!("tcp://nas:2375{tail}"));
    }
    for port in [":01", ":65536"] {
        c.push(format!("tcp://nas{port}"));
    }
    for port in [":0", ":99999", ":x"] {
        c.push(format!("ssh://nas{port}"));
    }
    c.push("tcp://me@nas:2375".into());
    for user in ["me@", "me:pw@", "@", "-l@", "me%40x@", "m e@", "me.x_y-z@"] {
        c.push(format!("ssh://{user}nas"));
    }
    for tail in [
        "/run/d.sock",
        "/",
        "/a b",
        "/$(x).sock",
        "/a%20b",
        "?x",
        "#f",
        " -- args",
        " local",
    ] {
        c.push(format!("ssh://me@nas:2222{tail}"));
    }
    c
}

fn major(client: &Path) -> u32 {
    let out = Command::new(client).arg("--version").output().unwrap();
    let text = String::from_utf8_lossy(&out.stdout);
    let v = text.split("version ").nth(1).unwrap_or("0");
    v.split('.')
        .next()
        .unwrap_or("0")
        .trim()
        .parse()
        .unwrap_or(0)
}

/// `%XX` escapes decoded (a client escapes the base path it sends).
fn unescape(s: &str) -> String {
    let b = s.as_bytes();
    let mut out = Vec::with_capacity(b.len());
    let mut i = 0;
    while i < b.len() {
        let hex = s
            .get(i + 1..i + 3)
            .and_then(|h| u8::from_str_radix(h, 16).ok());
        match (b[i], hex) {
            (b'%', Some(c)) => {
                out.push(c);
                i += 3;
            }
            (c, _) => {
                out.push(c);
                i += 1;
            }
        }
    }
    String::from_utf8_lossy(&out).into_owned()
}

/// The URLs a message suggests (`write "…"`).
fn suggestions(message: &str) -> Vec<String> {
    message
        .split("write ")
        .skip(1)
        .flat_map(|part| part.split(" (or "))
        .filter_map(|s| s.split('"').nth(1).map(String::from))
        .collect()
}

#[test]
fn hosts_dockmux_accepts_are_reached_as_written_by_every_real_client() {
    let bed = Bed::new();
    let clients: Vec<(PathBuf, u32)> = testbed::all_dockers()
        .into_iter()
        .map(|c| {
            let m = major(&c);
            (c, m)
        })
        .collect();
    let mut urls = corpus(&bed.sockets);
    // Every suggestion is tried as well.
    let mut suggested = BTreeSet::new();
    for u in &urls {
        if let Err(e) = host::check(u) {
            for s in suggestions(&e) {
                assert!(
                    host::check(&s).is_ok(),
                    "{u:?}: suggests {s:?}: {:?}",
                    host::check(&s)
                );
                suggested.insert(s);
            }
        }
    }
    for s in &suggested {
        if !urls.contains(s) {
            urls.push(s.clone());
        }
    }

    // One URL at a time goes to the clients in turn: its socket or
    // listener is its own.
    let next = AtomicUsize::new(0);
    let results = Mutex::new(Vec::new());
    let skipped = Mutex::new(Vec::new());
    let start = Instant::now();
    std::thread::scope(|s| {
        for _ in 0..4 {
            s.spawn(|| {
                loop {
                    let n = next.fetch_add(1, Ordering::Relaxed);
                    let Some(url) = urls.get(n) else { break };
                    for (i, (client, m)) in clients.iter().enumerate() {
                        match bed.run(client, url, n * clients.len() + i) {
                            Some(v) => {
                                results
                                    .lock()
                                    .unwrap()
                                    .push((url.clone(), client.clone(), *m, v))
                            }
                            None => skipped.lock().unwrap().push(url.clone()),
                        }
                    }
                }
            });
        }
    });
    let results = results.into_inner().unwrap();
    let skipped = skipped.into_inner().unwrap();

    let home = bed.dir.path().join("ssh-home");
    std::fs::create_dir_all(&home).unwrap();
    let mut failures = Vec::new();
    let (mut accepted, mut stricter, mut old_ssh_paths) = (0, Vec::new(), 0);
    for (url, client, m, v) in &results {
        let who = format!("{} ({m}.x)", client.display());
        match host::check(url) {
            Ok(kind) => {
                accepted += 1;
                // docker before 23 takes no socket path in an ssh URL.
                if kind == Kind::Ssh && *m < 23 && url["ssh://".len()..].contains('/') {
                    old_ssh_paths += 1;
                    if !matches!(v, Verdict::Refused(e) if e.contains("extra path")) {
                        failures.push(format!("{url:?}: {who} did {v:?}, not the known refusal"));
                    }
                    continue;
                }
                let want = as_written(url);
                let reached = match (&want, v) {
                    (Verdict::Ssh(w), Verdict::Ssh(got)) => got.ends_with(w),
                    // The base path as sent: escaped, without a final '/'.
                    (Verdict::Tcp(wa, wp), Verdict::Tcp(ga, gp)) => {
                        wa == ga && wp.trim_end_matches('/') == unescape(gp)
                    }
                    (w, got) => w == got,
                };
                if !reached {
                    failures.push(format!(
                        "{url:?} accepted, but {who} did {v:?}; as written is {want:?}"
                    ));
                }
                if kind == Kind::Ssh && !ssh_takes(&ssh_args(url).1, &home) {
                    failures.push(format!(
                        "{url:?} accepted, but ssh -G refuses {:?}",
                        ssh_args(url).1
                    ));
                }
            }
            Err(e) => {
                // Refused by dockmux: fine whatever docker did, but note where it
                // reached the URL as written (dockmux is stricter there).
                if let Verdict::Tcp(..) | Verdict::Unix(_) | Verdict::Ssh(_) = v
                    && !matches!(v, Verdict::Unix(p) if !p.starts_with('/'))
                {
                    stricter.push(format!("{url:?} ({who}: {v:?}): {e}"));
                }
            }
        }
    }
    let refused = results.len() - accepted;
    eprintln!(
        "host URLs: {} strings ({} suggested) x {} clients {:?} = {} runs in {:.1?} ({} skipped, their loopback \
         address taken: {skipped:?}): {accepted} accepted and reached as written ({old_ssh_paths} of them ssh paths a \
         client before 23 refuses), {refused} refused by dockmux, of which {} reached something by docker; failures: {}",
        urls.len(),
        suggested.len(),
        clients.len(),
        clients.iter().map(|(_, m)| *m).collect::<Vec<_>>(),
        results.len(),
        start.elapsed(),
        skipped.len(),
        stricter.len(),
        failures.len()
    );
    for s in stricter.iter().take(12) {
        eprintln!("  refused, docker reached: {s}");
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
    assert!(
        accepted > 40,
        "only {accepted} accepted runs: the corpus lost its valid URLs"
    );
}

#[test]
fn a_unix_socket_path_longer_than_sun_path_is_refused_wherever_a_host_is_read() {
    let env = Env::new();
    let base = env.root().display().to_string();
    let at = |len: usize| format!("{base}/{}", "s".repeat(len - base.len() - 1));
    // sun_path holds 108 bytes, the NUL included.
    let max = 107;
    let (fits, over) = (at(max), at(max + 1));
    // The kernel's own limit: a socket binds at the longest length, not one byte over.
    assert!(UnixListener::bind(&fits).is_ok());
    assert!(UnixListener::bind(&over).is_err());
    let limit = format!("at most {max}");
    for url in [format!("unix://{over}"), format!("ssh://nas{over}")] {
        let out = Out::of(&mut env.dockmux(["add", "t", &url]));
        let err = out.fails(125);
        assert!(
            err.contains(&format!("host '{url}'")) && err.contains(&limit),
            "{out}"
        );
        assert!(!env.user_config_path().exists(), "{out}");
    }
    // A config holding one is refused when it is read, at the key.
    let cfg = env.user_config(&format!("[engines.t]\nhost = \"unix://{over}\"\n"));
    let out = Out::of(&mut env.dockmux(["list"]));
    assert!(
        out.code != Some(0)
            && out.stderr.contains(&format!("{}:2:", cfg.display()))
            && out.stderr.contains(&limit),
        "{out}"
    );
    std::fs::remove_file(&cfg).unwrap();
    Out::of(&mut env.dockmux(["add", "t", &format!("unix://{fits}")])).ok();
}
