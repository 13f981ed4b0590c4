//! The refusal against the real clients (issue 9, items 1 and 2). A generated
//! corpus of command lines runs through every docker client here — Debian's
//! 20.10 at /usr/bin/docker (always: ./scripts/test installs it) and the one
//! in /usr/local/bin (28.2 on the test machine) where present — with
//! DOCKER_HOST on a unix socket that records connections, the lines' `-H`
//! values and the context `evil` on another, and the default socket
//! (/var/run/docker.sock, what `-H ''` means) on a third, in a private mount
//! namespace. `pg-docker` must refuse every line with which some client
//! reached a socket other than DOCKER_HOST's, and pass every line with which
//! every client did its work on DOCKER_HOST's engine alone. A completion
//! request must be refused as the words after its verb are, and whenever a
//! client reached another socket with it.

use std::ffi::CString;
use std::io::{Read, Write};
use std::os::fd::AsRawFd;
use std::os::unix::net::{UnixListener, UnixStream};
use std::os::unix::process::CommandExt;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::sync::Mutex;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant};

use crate::harness::Env;

use super::env_with_fast_fake;

/// Stands for the `evil` socket's URL in a corpus word.
const EVIL: &str = "{E}";
/// Stands for a config directory (with `currentContext: evil`).
const CFG: &str = "{C}";

/// Global-flag spellings; each is one or two words.
const ENGINE_ATOMS: &[&[&str]] = &[
    &["-H", EVIL],
    &["-H{E}"],
    &["-H={E}"],
    &["--host", EVIL],
    &["--host={E}"],
    &["-DH", EVIL],
    &["-DH{E}"],
    &["-vH", EVIL],
    &["-hH", EVIL],
    &["-H", ""],
    &["-H="],
    &["--host="],
    &["-c", "evil"],
    &["-cevil"],
    &["-c=evil"],
    &["--context", "evil"],
    &["--context=evil"],
    &["-Dc", "evil"],
];
/// Engine flags that leave DOCKER_HOST in charge.
const PASSING_ATOMS: &[&[&str]] = &[
    &["-c", "default"],
    &["--context=default"],
    &["--context="],
    &["-c", ""],
    &["-l", "-H"],
    &["-lH"],
    &["-test.H"],
];
const OTHER_ATOMS: &[&[&str]] = &[
    &["-D"],
    &["--debug"],
    &["-l", "debug"],
    &["-ldebug"],
    &["--log-level=info"],
    &["--config", CFG],
    &["--config={C}"],
    &["-D=true"],
    &["--debug=false"],
    &["--tlsverify=false"],
    &["-Dtest.c"],
    &["--"],
];
const ERROR_ATOMS: &[&[&str]] = &[
    &["---host", EVIL],
    &["--hos", EVIL],
    &["--Host", EVIL],
    &["-x"],
    &["--bogus"],
    &["-D=H"],
    &["-H"],
];
const HELP_ATOMS: &[&[&str]] = &[&["--help"], &["-h"], &["-v"], &["--help=false"]];
/// Command words: one that works against the recording engine, one that is
/// no command, a plugin's name (none is installed), and none.
const COMMANDS: &[&[&str]] = &[
    &["version"],
    &["version"],
    &["version"],
    &["foo"],
    &["compose"],
    &[],
];

/// The issue's own lines and the classes around them, as written.
const FIXED: &[&[&str]] = &[
    &["--", "-H", EVIL, "version"],
    &["--", "--host={E}", "version"],
    &["--", "-H{E}", "version"],
    &["-D", "--", "-H", EVIL, "version"],
    &["--", "--", "-H", EVIL, "version"],
    &["--", "version", "-H", EVIL],
    &["--", "-H", EVIL],
    &["foo", "-H", EVIL, "--help"],
    &["foo", "-H", EVIL, "-x"],
    &["foo", "-H", EVIL],
    &["foo", "-H", EVIL, "-v"],
    &["compose", "ps", "-H", EVIL, "--help"],
    &["-c", "evil", "-c", "default", "version"],
    &["-c", "default", "-c", "evil", "version"],
    &["--", "-c", "evil", "version"],
    &["--config", CFG, "version"],
    &["-H", "", "version"],
    &["--", "-H", "", "version"],
    &["version"],
];

/// The words of the completion requests: a command line, then the word
/// being completed.
const COMPLETION_FIXED: &[&[&str]] = &[
    &["-H", EVIL, "rm", ""],
    &["--", "-H", EVIL, "rm", ""],
    &["-c", "evil", "rm", ""],
    &["foo", "-H", EVIL, ""],
    &["-Dl", "x", "rm", "-H", EVIL, ""],
    &["--", "--", "-H", EVIL, "rm", ""],
    &["rm", ""],
];

/// xorshift64*: a fixed seed, so every run tries the same corpus.
struct Rng(u64);

impl Rng {
    fn below(&mut self, n: usize) -> usize {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        (self.0.wrapping_mul(0x2545_f491_4f6c_dd1d) >> 33) as usize % n
    }

    fn pick<'a>(&mut self, from: &[&'a [&'a str]]) -> &'a [&'a str] {
        from[self.below(from.len())]
    }
}

/// Up to two global-flag atoms from `kinds`, engine ones most often.
fn atoms(rng: &mut Rng, kinds: &[&[&[&str]]], out: &mut Vec<String>) {
    if kinds.is_empty() {
        return;
    }
    for _ in 0..rng.below(3) {
        let kind = kinds[rng.below(kinds.len())];
        out.extend(rng.pick(kind).iter().map(|w| w.to_string()));
    }
}

/// flags, maybe `--`, flags, a command word, flags: of any kind; or only
/// what leaves DOCKER_HOST in charge before `version`; or anything after the
/// command word.
fn random_line(rng: &mut Rng, commands: &[&[&str]]) -> Vec<String> {
    const ANY: &[&[&[&str]]] = &[
        ENGINE_ATOMS,
        ENGINE_ATOMS,
        ENGINE_ATOMS,
        ENGINE_ATOMS,
        OTHER_ATOMS,
        OTHER_ATOMS,
        OTHER_ATOMS,
        ERROR_ATOMS,
        HELP_ATOMS,
    ];
    const TAME: &[&[&[&str]]] = &[OTHER_ATOMS, OTHER_ATOMS, OTHER_ATOMS, PASSING_ATOMS];
    let profile = rng.below(8);
    let (before, after) = match profile {
        0..=2 => (ANY, &[][..]),
        3 => (ANY, ANY),
        4..=6 => (TAME, &[][..]),
        _ => (&[][..], ANY),
    };
    let mut line = Vec::new();
    atoms(rng, before, &mut line);
    if rng.below(2) == 0 {
        line.push("--".into());
    }
    atoms(rng, before, &mut line);
    match profile {
        4..=6 if commands == COMMANDS => line.push("version".into()),
        _ => line.extend(rng.pick(commands).iter().map(|w| w.to_string())),
    }
    if !after.is_empty() {
        // At least one word after the command.
        let n = line.len();
        while line.len() == n {
            atoms(rng, after, &mut line);
        }
    }
    line
}

struct Case {
    words: Vec<String>,
    /// For a completion request: its words after the verb.
    inner: Option<Vec<String>>,
}

fn corpus(lines: usize, requests: usize) -> Vec<Case> {
    let own = |l: &[&str]| l.iter().map(|w| w.to_string()).collect::<Vec<_>>();
    let mut seen = std::collections::HashSet::new();
    let mut cases = Vec::new();
    let mut add = |words: Vec<String>, inner: Option<Vec<String>>| {
        let new = seen.insert(words.clone());
        if new {
            cases.push(Case { words, inner });
        }
        new
    };
    let request = |verb: &str, inner: &[String]| {
        let mut w = vec![verb.to_string()];
        w.extend_from_slice(inner);
        w
    };
    for l in FIXED {
        add(own(l), None);
    }
    for (i, l) in COMPLETION_FIXED.iter().enumerate() {
        let verb = ["__complete", "__completeNoDesc"][i % 2];
        add(request(verb, &own(l)), Some(own(l)));
    }
    let mut rng = Rng(0x9e37_79b9_7f4a_7c15);
    let mut n = 0;
    while n < lines + requests {
        // A completion request completes `rm`'s argument: the client asks
        // the engine for container names.
        let commands = if n < lines {
            COMMANDS
        } else {
            &[&["rm"][..], &["rm"], &["rm"], &[]]
        };
        let mut line = random_line(&mut rng, commands);
        let inner = (n >= lines).then(|| {
            line.push(String::new());
            line.clone()
        });
        let words = match &inner {
            Some(inner) => request("__complete", inner),
            None => line,
        };
        n += usize::from(add(words, inner));
    }
    cases
}

/// One worker's sockets and config: DOCKER_HOST's engine, `evil` (the
/// lines' `-H` values and context `evil`), the default socket (bound over
/// /run in the client's mount namespace).
struct Slot {
    engine_path: PathBuf,
    engine: UnixListener,
    evil_url: String,
    evil: UnixListener,
    run_dir: CString,
    default: UnixListener,
    config: PathBuf,
    home: PathBuf,
}

impl Slot {
    fn new(dir: &Path, setup_client: &Path) -> Slot {
        std::fs::create_dir_all(dir.join("run")).unwrap();
        std::fs::create_dir_all(dir.join("home")).unwrap();
        let listen = |p: PathBuf| {
            let l = UnixListener::bind(&p).unwrap_or_else(|e| panic!("bind {}: {e}", p.display()));
            l.set_nonblocking(true).unwrap();
            l
        };
        let evil_path = dir.join("evil.sock");
        let config = dir.join("config");
        let evil_url = format!("unix://{}", evil_path.display());
        // The context store as docker writes it; config.json names it current
        // (DOCKER_HOST must still win).
        let out = Command::new(setup_client)
            .args(["context", "create", "evil", "--docker"])
            .arg(format!("host={evil_url}"))
            .env_clear()
            .env("HOME", dir.join("home"))
            .env("DOCKER_CONFIG", &config)
            .output()
            .unwrap();
        assert!(out.status.success(), "docker context create: {out:?}");
        std::fs::write(config.join("config.json"), r#"{"currentContext": "evil"}"#).unwrap();
        Slot {
            engine_path: dir.join("engine.sock"),
            engine: listen(dir.join("engine.sock")),
            evil_url,
            evil: listen(evil_path),
            run_dir: CString::new(dir.join("run").into_os_string().into_encoded_bytes()).unwrap(),
            default: listen(dir.join("run/docker.sock")),
            config,
            home: dir.join("home"),
        }
    }

    fn fill(&self, words: &[String]) -> Vec<String> {
        let config = self.config.display().to_string();
        words
            .iter()
            .map(|w| w.replace(EVIL, &self.evil_url).replace(CFG, &config))
            .collect()
    }

    /// Runs `client` on the line: its exit code and the connections each
    /// socket got.
    fn run(&self, client: &Path, words: &[String]) -> Seen {
        let mut cmd = Command::new(client);
        cmd.args(self.fill(words))
            .env_clear()
            .env("PATH", "/usr/bin:/bin")
            .env("HOME", &self.home)
            .env("DOCKER_CONFIG", &self.config)
            .env(
                "DOCKER_HOST",
                format!("unix://{}", self.engine_path.display()),
            )
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::null());
        let run_dir = self.run_dir.clone();
        // SAFETY: only syscalls between fork and exec, on memory made before.
        unsafe {
            cmd.pre_exec(move || {
                let ok = libc::unshare(libc::CLONE_NEWNS) == 0
                    && libc::mount(
                        c"none".as_ptr(),
                        c"/".as_ptr(),
                        std::ptr::null(),
                        libc::MS_REC | libc::MS_PRIVATE,
                        std::ptr::null(),
                    ) == 0
                    && libc::mount(
                        run_dir.as_ptr(),
                        c"/run".as_ptr(),
                        std::ptr::null(),
                        libc::MS_BIND,
                        std::ptr::null(),
                    ) == 0;
                if ok {
                    Ok(())
                } else {
                    Err(std::io::Error::last_os_error())
                }
            })
        };
        let mut child = cmd.spawn().unwrap_or_else(|e| {
            panic!(
                "cannot run {} in a private mount namespace ({e}): the test runs as root",
                client.display()
            )
        });
        let mut seen = Seen::default();
        let deadline = Instant::now() + Duration::from_secs(30);
        let status = loop {
            self.serve(&mut seen, 10);
            if let Some(status) = child.try_wait().unwrap() {
                break status;
            }
            if Instant::now() > deadline {
                let _ = child.kill();
                let _ = child.wait();
                panic!("{} hung on {words:?}", client.display());
            }
        };
        // What connected before the client exited is still queued.
        self.serve(&mut seen, 0);
        seen.code = status.code();
        seen
    }

    /// Accepts and answers every connection waiting, after polling up to
    /// `wait_ms` for one.
    fn serve(&self, seen: &mut Seen, wait_ms: i32) {
        let listeners = [&self.engine, &self.evil, &self.default];
        let mut fds: Vec<libc::pollfd> = listeners
            .iter()
            .map(|l| libc::pollfd {
                fd: l.as_raw_fd(),
                events: libc::POLLIN,
                revents: 0,
            })
            .collect();
        // SAFETY: `fds` is a valid array of pollfd of the given length.
        unsafe { libc::poll(fds.as_mut_ptr(), fds.len() as libc::nfds_t, wait_ms) };
        for (i, l) in listeners.iter().enumerate() {
            while let Ok((stream, _)) = l.accept() {
                match i {
                    0 => seen.engine += 1,
                    _ => seen.elsewhere += 1,
                }
                answer(stream);
            }
        }
    }
}

/// A minimal engine: any request gets 200 with a version body (headers only
/// for HEAD), enough for `docker version` to succeed.
fn answer(mut s: UnixStream) {
    let _ = s.set_nonblocking(false);
    let _ = s.set_read_timeout(Some(Duration::from_secs(5)));
    let mut req = Vec::new();
    let mut buf = [0u8; 4096];
    while !req.windows(4).any(|w| w == b"\r\n\r\n") {
        match s.read(&mut buf) {
            Ok(0) | Err(_) => return,
            Ok(n) => req.extend_from_slice(&buf[..n]),
        }
    }
    let body = r#"{"Version":"99.0","ApiVersion":"1.41","MinAPIVersion":"1.12","Os":"linux","Arch":"amd64"}"#;
    let mut out = format!(
        "HTTP/1.1 200 OK\r\nApi-Version: 1.41\r\nContent-Type: application/json\r\n\
         Connection: close\r\nContent-Length: {}\r\n\r\n",
        body.len()
    );
    if !req.starts_with(b"HEAD ") {
        out.push_str(body);
    }
    let _ = s.write_all(out.as_bytes());
}

#[derive(Default, Debug, Clone)]
struct Seen {
    code: Option<i32>,
    engine: usize,
    /// Connections to `evil` or the default socket.
    elsewhere: usize,
}

/// dockmux's decision: true if refused (exit 125, the refusal message, and
/// for a completion request the `:4` answer).
fn refused(env: &Env, words: &[String], completion: bool) -> bool {
    let filled: Vec<String> = words
        .iter()
        .map(|w| {
            w.replace(EVIL, "unix:///tmp/evil.sock")
                .replace(CFG, "/tmp")
        })
        .collect();
    let out = env
        .cmd("pg-docker")
        .args(&filled)
        .stdin(Stdio::null())
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    match out.status.code() {
        Some(125) => {
            assert!(
                stderr.starts_with("pg-docker: refusing '"),
                "{filled:?}: {stderr}"
            );
            let want: &[u8] = if completion { b":4\n" } else { b"" };
            assert_eq!(out.stdout, want, "{filled:?}");
            true
        }
        Some(0) => false,
        other => panic!("pg-docker {filled:?}: exit {other:?}: {stderr}"),
    }
}

fn version(client: &Path) -> String {
    let out = Command::new(client).arg("--version").output().unwrap();
    String::from_utf8_lossy(&out.stdout).trim().to_string()
}

#[test]
fn the_refusal_answers_as_the_real_clients_do() {
    const WORKERS: usize = 4;
    let debian = PathBuf::from("/usr/bin/docker");
    assert!(
        debian.exists(),
        "no docker client at /usr/bin/docker: install Debian's docker.io (./scripts/test does)"
    );
    let mut clients = vec![debian.clone()];
    let newer = PathBuf::from("/usr/local/bin/docker");
    if newer.exists() {
        clients.push(newer);
    } else {
        eprintln!("refusal corpus: no /usr/local/bin/docker here; only Debian's client runs");
    }
    let versions: Vec<String> = clients.iter().map(|c| version(c)).collect();
    let env = env_with_fast_fake();
    let dir = tempfile::Builder::new()
        .prefix("dmx-corpus-")
        .tempdir_in("/tmp")
        .unwrap();
    let slots: Vec<Slot> = (0..WORKERS)
        .map(|i| Slot::new(&dir.path().join(i.to_string()), &debian))
        .collect();
    let cases = corpus(400, 120);
    let start = Instant::now();
    // Jobs: every (case, client), then dockmux on every case (and on a
    // completion request's words alone).
    let runs = cases.len() * clients.len();
    let next = AtomicUsize::new(0);
    let seen: Mutex<Vec<Vec<Option<Seen>>>> =
        Mutex::new(vec![vec![None; clients.len()]; cases.len()]);
    let decided: Mutex<Vec<(bool, Option<bool>)>> = Mutex::new(vec![(false, None); cases.len()]);
    std::thread::scope(|scope| {
        for slot in &slots {
            let (next, seen, decided, cases, clients, env) =
                (&next, &seen, &decided, &cases, &clients, &env);
            scope.spawn(move || {
                loop {
                    let job = next.fetch_add(1, Ordering::Relaxed);
                    if job < runs {
                        let (case, client) = (job / clients.len(), job % clients.len());
                        let s = slot.run(&clients[client], &cases[case].words);
                        seen.lock().unwrap()[case][client] = Some(s);
                    } else if job < runs + cases.len() {
                        let case = &cases[job - runs];
                        let whole = refused(env, &case.words, case.inner.is_some());
                        let inner = case.inner.as_ref().map(|w| refused(env, w, false));
                        decided.lock().unwrap()[job - runs] = (whole, inner);
                    } else {
                        break;
                    }
                }
            });
        }
    });
    let seen: Vec<Vec<Seen>> = seen
        .into_inner()
        .unwrap()
        .into_iter()
        .map(|s| s.into_iter().map(Option::unwrap).collect())
        .collect();
    let decided = decided.into_inner().unwrap();
    let mut wrong = Vec::new();
    let (mut elsewhere, mut engine_only, mut neither, mut neither_refused) = (0, 0, 0, 0);
    for ((case, seen), (refused, inner)) in cases.iter().zip(&seen).zip(&decided) {
        let reached_other = seen.iter().any(|s| s.elsewhere > 0);
        let all_worked = seen
            .iter()
            .all(|s| s.code == Some(0) && s.engine > 0 && s.elsewhere == 0);
        let why = if reached_other {
            elsewhere += 1;
            (!refused).then_some("a client reached another socket, and pg-docker passed it")
        } else if let Some(inner) = inner {
            // A completion request goes as its words would; its clients
            // completing on DOCKER_HOST's engine does not make them pass.
            (inner != refused)
                .then_some("pg-docker decided the completion request otherwise than its words")
        } else if all_worked {
            engine_only += 1;
            refused
                .then_some("every client worked on DOCKER_HOST's engine, and pg-docker refused it")
        } else {
            neither += 1;
            neither_refused += usize::from(*refused);
            None
        };
        let why = why.or_else(|| {
            inner
                .is_some_and(|inner| inner != *refused)
                .then_some("pg-docker decided the completion request otherwise than its words")
        });
        if let Some(why) = why {
            wrong.push(format!("{:?}: {why}; clients: {seen:?}", case.words));
        }
    }
    let requests = cases.iter().filter(|c| c.inner.is_some()).count();
    eprintln!(
        "refusal corpus: {} command lines ({} of them completion requests) × {} clients ({}) \
         in {:.1?}: {elsewhere} reached another socket in some client (all must be refused); \
         of the other lines, {engine_only} worked on DOCKER_HOST's engine alone in every client \
         (none may be refused) and {neither} did not ({neither_refused} of them refused); every \
         completion request decided as its words; failures: {}",
        cases.len(),
        requests,
        clients.len(),
        versions.join("; "),
        start.elapsed(),
        wrong.len(),
    );
    assert!(wrong.is_empty(), "{}", wrong.join("\n"));
    // Each kind of case must have come up often, or the corpus says little.
    assert!(
        elsewhere > 100 && engine_only > 100,
        "{elsewhere} {engine_only}"
    );
}
