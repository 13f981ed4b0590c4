//! Probing many engines (issue 9, item 13): a thousand engines under a low
//! memory limit end normally, no docker client outlives `list`, and a
//! client's answer bigger than a pipe holds is read, not taken for a hang.

use std::os::unix::fs::PermissionsExt;
use std::os::unix::net::UnixListener;
use std::path::Path;
use std::process::Command;
use std::time::{Duration, Instant};

use serde_json::Value;

use crate::harness::{Env, Out, SYSTEM_PATH, copy_dockmux, dockmux_bin, finishes};

/// `n` engines on one socket that takes connections and never answers.
fn silent_engines(dir: &Path, n: usize) -> (UnixListener, String) {
    let sock = dir.join("silent.sock");
    let listener = UnixListener::bind(&sock).unwrap();
    let config = (0..n)
        .map(|i| format!("[engines.e{i}]\nhost = \"unix://{}\"\n", sock.display()))
        .collect();
    (listener, config)
}

/// A fake docker client: `body` after a shebang, executable.
fn fake_client(env: &Env, body: &str) {
    let path = env.bin.join("docker");
    crate::harness::exe::write_executable(&path, format!("#!/bin/sh\n{body}"));
}

#[test]
fn a_thousand_engines_under_a_low_memory_limit_are_all_listed() {
    let env = Env::new();
    let (_listener, config) = silent_engines(env.root(), 1000);
    env.user_config(&config);
    // A thread per engine reserved 1000 stacks: past the limit, and a failed
    // thread::spawn aborted (SIGABRT) before anything was printed.
    for limit_kib in [2_000_000, 200_000] {
        let start = Instant::now();
        let out = finishes(env.program("/bin/sh").args([
            "-c",
            &format!(
                "ulimit -v {limit_kib}; exec '{}' list --timeout 500ms",
                dockmux_bin().display()
            ),
        ]));
        let text = out.ok();
        let rows = text.lines().filter(|l| l.starts_with('e')).count();
        eprintln!(
            "1000 silent engines, ulimit -v {limit_kib}: exit 0 in {:?}",
            start.elapsed()
        );
        // 1000 table rows and 1000 notes (none is up).
        assert_eq!(rows, 2000, "{out}");
        assert!(text.contains("e999: "), "{out}");
        assert!(text.contains("no answer within 500ms"), "{out}");
    }
}

/// The name dockmux gives the forwarded socket of `ssh://USER@HOST:PORT/PATH`
/// in its runtime dir (crates/dockmux-engine/src/engine/forward/mod.rs:
/// FNV-1a of the host's parts, then of that and the path, each part ended
/// by a NUL).
fn forward_name(user: &str, host: &str, port: &str, path: &str) -> String {
    let fnv = |parts: &[&str]| {
        let mut h: u64 = 0xcbf2_9ce4_8422_2325;
        for b in parts.iter().flat_map(|p| p.bytes().chain([0])) {
            h = (h ^ u64::from(b)).wrapping_mul(0x0100_0000_01b3);
        }
        format!("{h:016x}")
    };
    format!("{}.sock", fnv(&[&fnv(&[user, host, port]), path]))
}

/// The same for ssh engines whose shared connection's sockets are in place:
/// a fan-out gives each such engine a thread of its own (it waits on the
/// network), but no more than the limit leaves room for; past it a thread
/// starts and a later allocation fails, which aborts.
#[test]
fn a_thousand_engines_behind_forwards_under_a_low_memory_limit_are_all_asked() {
    let env = Env::new();
    let dir = env.runtime_dir().join("dockmux-ssh");
    std::fs::create_dir_all(&dir).unwrap();
    std::fs::set_permissions(&dir, std::fs::Permissions::from_mode(0o700)).unwrap();
    // A documentation address: nothing is reached over the network.
    let (user, host, port) = ("me", "192.0.2.1", "22");
    let mut config = String::new();
    let listeners: Vec<UnixListener> = (0..1000)
        .map(|i| {
            let path = format!("/e{i}.sock");
            config.push_str(&format!(
                "[engines.e{i}]\nhost = \"ssh://{user}@{host}:{port}{path}\"\n"
            ));
            let sock = dir.join(forward_name(user, host, port, &path));
            let listener = UnixListener::bind(&sock).unwrap();
            std::fs::set_permissions(&sock, std::fs::Permissions::from_mode(0o600)).unwrap();
            listener
        })
        .collect();
    env.user_config(&config);
    for limit_kib in [2_000_000, 200_000, 100_000] {
        let out = finishes(env.program("/bin/sh").args([
            "-c",
            &format!(
                "ulimit -v {limit_kib}; exec '{}' ps --timeout 500ms",
                dockmux_bin().display()
            ),
        ]));
        // Asked on its socket, which never answers: no ssh:// fallback.
        assert_eq!(out.code, Some(1), "ulimit -v {limit_kib}: {out}");
        let timed_out = out
            .stderr
            .lines()
            .filter(|l| l.contains(": no answer within 500ms") || l.contains(": not asked: "))
            .count();
        assert_eq!(timed_out, 1000, "ulimit -v {limit_kib}: {out}");
    }
    drop(listeners);
}

/// Pids of live processes whose environment holds `mark`.
pub(crate) fn marked_processes(mark: &str) -> Vec<u32> {
    let needle = format!("DOCKMUX_TEST_MARK={mark}");
    std::fs::read_dir("/proc")
        .unwrap()
        .flatten()
        .filter_map(|e| e.file_name().to_str()?.parse::<u32>().ok())
        .filter(|pid| {
            // A zombie's environment reads empty: only the living count.
            std::fs::read(format!("/proc/{pid}/environ"))
                .is_ok_and(|env| env.split(|&b| b == 0).any(|kv| kv == needle.as_bytes()))
        })
        .collect()
}

/// Waits up to `limit` for no marked process to be left; returns those left.
pub(crate) fn left_behind(mark: &str, limit: Duration) -> Vec<u32> {
    let until = Instant::now() + limit;
    loop {
        let left = marked_processes(mark);
        if left.is_empty() || Instant::now() > until {
            return left;
        }
        std::thread::sleep(Duration::from_millis(50));
    }
}

#[test]
fn no_docker_client_outlives_list_even_those_started_after_the_deadline() {
    let mut env = Env::new();
    let mark = format!("probes-{}", std::process::id());
    env.var("DOCKMUX_TEST_MARK", &mark);
    let started = env.root().join("started");
    // A client that hangs, and a child of it that hangs too.
    fake_client(
        &env,
        &format!(
            "echo $$ >> '{0}'\n/bin/sleep 1000 &\necho $! >> '{0}'\nwait\n",
            started.display()
        ),
    );
    let config: String = (0..100)
        .map(|i| format!("[engines.t{i}]\nhost = \"tcp://127.0.0.1:{}\"\n", 20000 + i))
        .collect();
    env.user_config(&config);
    let start = Instant::now();
    for timeout in ["1ms"; 10].into_iter().chain(["300ms"; 2]) {
        let out = finishes(&mut env.dockmux(["list", "--timeout", timeout]));
        out.ok();
    }
    let starts = std::fs::read_to_string(&started)
        .map(|s| s.lines().count())
        .unwrap_or(0);
    let left = left_behind(&mark, Duration::from_secs(3));
    eprintln!(
        "12 runs of list over 100 hanging tcp engines: {starts} client processes started, {} left, {:?}",
        left.len(),
        start.elapsed()
    );
    for pid in &left {
        // SAFETY: kill has no memory-safety preconditions.
        unsafe { libc::kill(*pid as i32, libc::SIGKILL) };
    }
    assert!(left.is_empty(), "left behind: {left:?}");
    // The 300ms runs asked some engines: the killing was put to the test.
    assert!(starts > 0, "no client was ever started");
}

#[test]
fn a_client_answer_bigger_than_a_pipe_is_read_while_it_runs() {
    let env = Env::new();
    let answer = env.root().join("answer.json");
    let padding = "x".repeat(200_000);
    std::fs::write(
        &answer,
        format!(r#"{{"Version":"28.2.2","ApiVersion":"1.50","Padding":"{padding}"}}"#),
    )
    .unwrap();
    fake_client(&env, &format!("/bin/cat '{}'\n", answer.display()));
    env.user_config("[engines.big]\nhost = \"tcp://127.0.0.1:2375\"\n");
    let out = finishes(&mut env.dockmux(["list", "--json", "--timeout", "5s"]));
    let v: Value = serde_json::from_str(out.ok()).unwrap_or_else(|e| panic!("{e}: {out}"));
    let status = &v[0]["status"];
    assert_eq!(status["state"], "up", "{status}");
    assert_eq!(status["server_version"], "28.2.2", "{status}");
}

#[test]
fn a_client_that_writes_without_end_is_cut_off_not_waited_for() {
    let env = Env::new();
    fake_client(&env, "exec /bin/cat /dev/zero\n");
    env.user_config("[engines.flood]\nhost = \"tcp://127.0.0.1:2375\"\n");
    let start = Instant::now();
    let out = finishes(&mut env.dockmux(["list", "--json", "--timeout", "3s"]));
    let v: Value = serde_json::from_str(out.ok()).unwrap_or_else(|e| panic!("{e}: {out}"));
    let status = &v[0]["status"];
    assert_eq!(status["state"], "error", "{status}");
    assert!(
        status["error"]
            .as_str()
            .unwrap()
            .contains("wrote more than 1 MiB"),
        "{status}"
    );
    assert!(
        start.elapsed() < Duration::from_secs(3),
        "{:?}",
        start.elapsed()
    );
}

/// The name of group `gid` as the system's own tools say it.
fn group_name(gid: u32) -> String {
    let out = Out::of(Command::new("getent").args(["group", &gid.to_string()]));
    out.ok().split(':').next().unwrap().to_string()
}

/// A 0660 socket of group `gid` (root's) with a listener, a copy of dockmux
/// and a config naming the socket, in a directory anyone may enter.
struct GroupSocket {
    dir: tempfile::TempDir,
    bin: std::path::PathBuf,
    config: std::path::PathBuf,
    _listener: UnixListener,
}

impl GroupSocket {
    fn new(gid: u32) -> GroupSocket {
        let dir = tempfile::tempdir().unwrap();
        std::fs::set_permissions(dir.path(), std::fs::Permissions::from_mode(0o755)).unwrap();
        let sock = dir.path().join("grp.sock");
        let listener = UnixListener::bind(&sock).unwrap();
        std::os::unix::fs::chown(&sock, Some(0), Some(gid)).unwrap();
        std::fs::set_permissions(&sock, std::fs::Permissions::from_mode(0o660)).unwrap();
        let bin = dir.path().join("dockmux");
        copy_dockmux(&bin);
        let config = dir.path().join("engines.toml");
        std::fs::write(
            &config,
            format!("[engines.grp]\nhost = \"unix://{}\"\n", sock.display()),
        )
        .unwrap();
        std::fs::set_permissions(&config, std::fs::Permissions::from_mode(0o644)).unwrap();
        GroupSocket {
            dir,
            bin,
            config,
            _listener: listener,
        }
    }

    /// `dockmux list --json` as uid 65534 (no groups), run under `wrap`
    /// (a tracer and its arguments) when given; the engine's status.
    fn status_for_nobody(&self, wrap: &[&std::ffi::OsStr]) -> Value {
        let mut cmd = match wrap.split_first() {
            Some((program, args)) => {
                let mut c = Command::new(program);
                c.args(args).arg("setpriv");
                c
            }
            None => Command::new("setpriv"),
        };
        let out = Out::of(
            cmd.args(["--reuid=65534", "--regid=65534", "--clear-groups", "--"])
                .arg(&self.bin)
                .args(["list", "--json"])
                .env_clear()
                .env("PATH", SYSTEM_PATH)
                .env("HOME", self.dir.path())
                .env("DOCKMUX_CONFIG", &self.config)
                .current_dir(self.dir.path()),
        );
        let v: Value = serde_json::from_str(out.ok()).unwrap_or_else(|e| panic!("{e}: {out}"));
        v[0]["status"].clone()
    }
}

/// A socket open to a gid /etc/group does not name: the fix says so, and
/// how to name and join it (not "open to root only").
#[test]
fn a_permission_fix_for_a_group_with_no_name_says_how_to_use_it() {
    let gid = (50000..60000)
        .find(|g| Out::of(Command::new("getent").args(["group", &g.to_string()])).code == Some(2))
        .unwrap();
    let status = GroupSocket::new(gid).status_for_nobody(&[]);
    let fix = status["fix"].as_str().unwrap();
    assert!(
        fix.contains(&format!("open to group {gid}, which has no name"))
            && fix.contains(&format!("groupadd -g {gid} docker-{gid}")),
        "{fix}"
    );
    assert!(!fix.contains("root only"), "{fix}");
}

#[test]
fn a_permission_fix_names_the_socket_group_without_glibc_nss() {
    // A socket of group 1 (daemon), 0660, that uid 65534 may not open; the
    // fix names the group. A static binary cannot load glibc's NSS modules:
    // the name must come from /etc/group itself, not getgrgid_r.
    let socket = GroupSocket::new(1);
    let trace = socket.dir.path().join("trace");
    let wrap: Vec<&std::ffi::OsStr> = [
        "strace",
        "-f",
        "-qq",
        "-e",
        "trace=execve,open,openat",
        "-o",
    ]
    .iter()
    .map(std::ffi::OsStr::new)
    .chain([trace.as_os_str()])
    .collect();
    let status = &socket.status_for_nobody(&wrap);
    let bin = &socket.bin;
    assert_eq!(status["state"], "permission_denied", "{status}");
    let group = group_name(1);
    assert!(
        status["fix"]
            .as_str()
            .unwrap()
            .contains(&format!("join group '{group}'")),
        "{status}"
    );
    let opened = std::fs::read_to_string(&trace).unwrap();
    // Only what dockmux opened counts: the lines after setpriv execs it.
    let nss: Vec<&str> = opened
        .lines()
        .skip_while(|l| !l.contains(&format!("execve(\"{}\"", bin.display())))
        .filter(|l| l.contains("nsswitch.conf") || l.contains("libnss_"))
        .collect();
    assert!(
        opened.contains("execve(") && opened.contains("etc/group"),
        "the trace does not show dockmux reading /etc/group:\n{opened}"
    );
    assert!(nss.is_empty(), "NSS used:\n{}", nss.join("\n"));
}
