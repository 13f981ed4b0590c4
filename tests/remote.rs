//! An ssh engine's shared connection (src/forward/): its socket carried as a
//! local unix socket over one ssh connection per host, through a real sshd
//! on loopback to a real engine. Who may use it, that every command shares
//! it, that nothing outlives its idle time or the death of any part, and
//! that a server that forbids it costs a note, never the command.

use std::path::PathBuf;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use crate::engines::bed_env;
use crate::harness::sshd::{self, Sshd, SshdOpts};
use crate::harness::testbed;
use crate::harness::users;
use crate::harness::{Env, Out, processes_mentioning};

/// The test bed's engines and `far`: pg's socket over ssh, with `persist`.
fn far_env(sshd: &Sshd, persist: &str, path: bool) -> Env {
    let bed = testbed::shared();
    let mut env = bed_env();
    let ssh_bin = sshd.install_client_config(&env.home);
    env.path = format!("{}:{}", ssh_bin.display(), env.path.to_string_lossy()).into();
    let host = if path {
        sshd.docker_host(&bed.pg.sock)
    } else {
        format!("ssh://{}@127.0.0.1:{}", sshd.user, sshd.port)
    };
    env.user_config(&format!(
        "persist = \"{persist}\"\n[engines.pg]\nhost = \"{}\"\n[engines.far]\nhost = \"{host}\"\n",
        bed.pg.host
    ));
    env.link("far-docker");
    env
}

/// The ssh logins sshd accepted so far.
fn logins(sshd: &Sshd) -> usize {
    sshd.log().matches("Accepted publickey").count()
}

/// The processes of this Env still running (its links' and its ssh's
/// command lines name its root).
fn leftovers(env: &Env) -> Vec<(i32, String)> {
    processes_mentioning(&env.root().display().to_string())
}

/// Waits until none of the Env's processes are left; fails after `within`.
fn all_gone(env: &Env, within: Duration) {
    let deadline = Instant::now() + within;
    loop {
        let left = leftovers(env);
        if left.is_empty() {
            return;
        }
        assert!(Instant::now() < deadline, "still running: {left:?}");
        std::thread::sleep(Duration::from_millis(50));
    }
}

/// The forwarded sockets in the Env's runtime dir.
fn sockets(env: &Env) -> Vec<PathBuf> {
    let dir = env.runtime_dir().join("dockmux-ssh");
    let mut found: Vec<PathBuf> = std::fs::read_dir(&dir)
        .map(|d| d.filter_map(|e| Some(e.ok()?.path())).collect())
        .unwrap_or_default();
    found.retain(|p| p.extension().is_some_and(|x| x == "sock"));
    found
}

/// The running ssh master of the Env.
fn master(env: &Env) -> i32 {
    let found: Vec<(i32, String)> = leftovers(env)
        .into_iter()
        .filter(|(_, line)| line.contains(".ctl") && line.contains(" -M "))
        .collect();
    assert_eq!(found.len(), 1, "{found:?}");
    found[0].0
}

fn ps(env: &Env) -> Out {
    env.run("far-docker", ["ps", "-a", "-q"])
}

#[test]
fn fifty_commands_share_one_connection_which_ends_when_idle() {
    let sshd = sshd::start(SshdOpts::default());
    let env = far_env(&sshd, "3s", true);
    let before = logins(&sshd);
    let children: Vec<_> = (0..50)
        .map(|_| {
            env.cmd("far-docker")
                .args(["version", "--format", "{{.Server.Version}}"])
                .stdin(Stdio::null())
                .stdout(Stdio::piped())
                .stderr(Stdio::piped())
                .spawn()
                .unwrap()
        })
        .collect();
    let want = env.run("pg-docker", ["version", "--format", "{{.Server.Version}}"]);
    for child in children {
        let out = Out::from_output(child.wait_with_output().unwrap());
        assert_eq!(out.ok(), want.ok(), "{out}");
        assert_eq!(out.stderr, "", "{out}");
    }
    // Plain ssh:// would have logged in fifty times.
    assert_eq!(logins(&sshd) - before, 1, "{}", sshd.log());
    master(&env);
    // Idle for 3 s with no connection open: ssh ends it.
    all_gone(&env, Duration::from_secs(15));
    // The next command starts a new one.
    assert_eq!(ps(&env).stderr, "");
    assert_eq!(logins(&sshd) - before, 2);
}

#[test]
fn another_user_cannot_connect_to_a_forward() {
    let sshd = sshd::start(SshdOpts::default());
    let env = far_env(&sshd, "1m", true);
    ps(&env).ok();
    let socks = sockets(&env);
    assert_eq!(socks.len(), 1, "{socks:?}");
    let connect = "import socket, sys\ns = socket.socket(socket.AF_UNIX)\ntry:\n    s.connect(sys.argv[1])\nexcept OSError as e:\n    sys.exit(e.strerror)\n";
    let mut mine = Command::new("python3");
    mine.args(["-c", connect]).arg(&socks[0]);
    // The same uid connects: the check below can fail.
    assert_eq!(Out::of(&mut mine).code, Some(0));
    let other = users::user("dmxforward");
    let mut theirs = Command::new("python3");
    theirs.args(["-c", connect]).arg(&socks[0]);
    other.runs(&mut theirs);
    let out = Out::of(&mut theirs);
    assert_eq!(out.code, Some(1), "{out}");
    assert!(out.stderr.contains("Permission denied"), "{out}");
    // Not even with the directory opened up: the socket is the user's alone.
    let dir = socks[0].parent().unwrap();
    use std::os::unix::fs::PermissionsExt;
    std::fs::set_permissions(env.root(), std::fs::Permissions::from_mode(0o755)).unwrap();
    std::fs::set_permissions(env.runtime_dir(), std::fs::Permissions::from_mode(0o755)).unwrap();
    std::fs::set_permissions(dir, std::fs::Permissions::from_mode(0o755)).unwrap();
    let out = Out::of(&mut theirs);
    assert!(out.stderr.contains("Permission denied"), "{out}");
}

#[test]
fn nothing_is_left_after_sigkill_of_the_client_the_forward_or_sshd() {
    let sshd = sshd::start(SshdOpts::default());
    let env = far_env(&sshd, "2s", true);
    let kill = |pid: i32| {
        // SAFETY: kill has no memory-safety preconditions.
        assert_eq!(unsafe { libc::kill(pid, libc::SIGKILL) }, 0);
    };

    // The client, while it holds a forwarded connection open (`events` streams).
    let mut client = env.cmd("far-docker").arg("events").spawn().unwrap();
    std::thread::sleep(Duration::from_secs(1));
    master(&env);
    kill(client.id() as i32);
    client.wait().unwrap();
    all_gone(&env, Duration::from_secs(15));

    // The forward: the next command replaces what it left.
    ps(&env).ok();
    kill(master(&env));
    all_gone(&env, Duration::from_secs(5));
    let out = ps(&env);
    out.ok();
    assert_eq!(out.stderr, "");

    // sshd, every process of it: the connection ends with it. Not while
    // the session that turns Nagle off still runs (the command does not
    // wait for it): a shell killed in root's `pyenv init` leaves pyenv's
    // rehash lock, and every later shell on the machine waits 60 s for it.
    master(&env);
    no_session_under(&sshd);
    for pid in sshd_processes(&sshd) {
        // A session's process may end on its own meanwhile.
        // SAFETY: kill has no memory-safety preconditions.
        let gone = unsafe { libc::kill(pid, libc::SIGKILL) } != 0;
        let why = std::io::Error::last_os_error().raw_os_error();
        assert!(!gone || why == Some(libc::ESRCH), "kill {pid}: {why:?}");
    }
    all_gone(&env, Duration::from_secs(10));
    sshd.stop();
    sshd.restart();
    let out = ps(&env);
    out.ok();
    assert_eq!(out.stderr, "");
}

/// Waits until no session runs under sshd (every process below it is an
/// sshd); fails after 20 s.
fn no_session_under(sshd: &Sshd) {
    let deadline = Instant::now() + Duration::from_secs(20);
    loop {
        let busy: Vec<(i32, String)> = sshd_processes(sshd)
            .into_iter()
            .filter_map(|pid| {
                let comm = std::fs::read_to_string(format!("/proc/{pid}/comm")).ok()?;
                (comm.trim() != "sshd").then(|| (pid, comm.trim().to_string()))
            })
            .collect();
        if busy.is_empty() {
            return;
        }
        assert!(
            Instant::now() < deadline,
            "sessions still running: {busy:?}"
        );
        std::thread::sleep(Duration::from_millis(20));
    }
}

/// The sshd listener and every process below it.
fn sshd_processes(sshd: &Sshd) -> Vec<i32> {
    let listener: i32 = std::fs::read_to_string(sshd.dir.join("sshd.pid"))
        .unwrap()
        .trim()
        .parse()
        .unwrap();
    let mut group = vec![listener];
    let mut i = 0;
    while i < group.len() {
        group.extend(children_of(group[i]));
        i += 1;
    }
    group
}

fn children_of(parent: i32) -> Vec<i32> {
    let Ok(dir) = std::fs::read_dir("/proc") else {
        return Vec::new();
    };
    dir.filter_map(|e| {
        let pid: i32 = e.ok()?.file_name().to_str()?.parse().ok()?;
        (state_of(pid)?.1 == parent).then_some(pid)
    })
    .collect()
}

/// A process's state letter (`Z`: a zombie) and parent, from /proc.
fn state_of(pid: i32) -> Option<(char, i32)> {
    let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).ok()?;
    let mut fields = stat.rsplit_once(')')?.1.split_whitespace();
    let state = fields.next()?.chars().next()?;
    Some((state, fields.next()?.parse().ok()?))
}

/// Whether Nagle's algorithm is off (TCP_NODELAY) on each connected TCP
/// socket that process `pid` holds, read from the socket itself through a
/// copy of the process's descriptor (pidfd_getfd, as root).
fn nodelay_of(pid: i32) -> Vec<bool> {
    // SAFETY: plain syscalls on descriptors this function owns and closes;
    // getsockopt and getpeername write within the sizes given.
    unsafe {
        let pidfd = libc::syscall(libc::SYS_pidfd_open, pid, 0) as i32;
        if pidfd < 0 {
            return Vec::new();
        }
        let fds: Vec<i32> = std::fs::read_dir(format!("/proc/{pid}/fd"))
            .map(|d| {
                d.filter_map(|e| e.ok()?.file_name().to_str()?.parse().ok())
                    .collect()
            })
            .unwrap_or_default();
        let mut found = Vec::new();
        for fd in fds {
            let copy = libc::syscall(libc::SYS_pidfd_getfd, pidfd, fd, 0) as i32;
            if copy < 0 {
                continue;
            }
            let int = |level, name| {
                let mut v: libc::c_int = 0;
                let mut len = std::mem::size_of::<libc::c_int>() as libc::socklen_t;
                let ok = libc::getsockopt(copy, level, name, (&raw mut v).cast(), &mut len) == 0;
                ok.then_some(v)
            };
            let mut peer: libc::sockaddr_storage = std::mem::zeroed();
            let mut len = std::mem::size_of_val(&peer) as libc::socklen_t;
            let connected = libc::getpeername(copy, (&raw mut peer).cast(), &mut len) == 0;
            if connected && int(libc::SOL_SOCKET, libc::SO_PROTOCOL) == Some(libc::IPPROTO_TCP) {
                found.push(int(libc::IPPROTO_TCP, libc::TCP_NODELAY) == Some(1));
            }
            libc::close(copy);
        }
        libc::close(pidfd);
        found
    }
}

/// Waits until sshd's end of every connection to it has Nagle off: it is
/// turned off by a session that runs on its own while the command goes on.
/// Fails after 10 s.
fn no_delay_at_sshd(sshd: &Sshd) {
    let deadline = Instant::now() + Duration::from_secs(10);
    loop {
        let server: Vec<bool> = sshd_processes(sshd)
            .into_iter()
            .flat_map(nodelay_of)
            .collect();
        if !server.is_empty() && !server.contains(&false) {
            return;
        }
        assert!(Instant::now() < deadline, "{server:?}");
        std::thread::sleep(Duration::from_millis(50));
    }
}

/// The session that turns Nagle off (a mux client: `ControlMaster=no`).
fn sessions(env: &Env) -> Vec<(i32, String)> {
    leftovers(env)
        .into_iter()
        .filter(|(_, line)| line.contains("ControlMaster=no"))
        .collect()
}

/// The processes under sshd running `command`.
fn remote(sshd: &Sshd, command: &str) -> Vec<i32> {
    sshd_processes(sshd)
        .into_iter()
        .filter(|pid| {
            std::fs::read(format!("/proc/{pid}/cmdline"))
                .is_ok_and(|raw| String::from_utf8_lossy(&raw).replace('\0', " ").trim() == command)
        })
        .collect()
}

/// A cold command does not wait for the session that turns Nagle off: it
/// takes the remote user's shell start-up, and sshd turns Nagle off as
/// it starts the command, not when the command ends. That session cannot
/// outlive its bound (5 s) even when the command never ends (here one
/// forced on every session that outlasts it), and the connection then
/// ends after its idle time once the command has.
#[test]
fn a_cold_command_does_not_wait_for_the_no_delay_session_which_is_bounded() {
    let sshd = sshd::start(SshdOpts {
        extra_config: vec!["ForceCommand sleep 12".into()],
        ..SshdOpts::default()
    });
    let env = far_env(&sshd, "1s", true);
    let out = ps(&env);
    out.ok();
    assert_eq!(out.stderr, "");
    // Still running after the command ended: it was not waited for.
    let running = sessions(&env);
    assert_eq!(running.len(), 1, "{running:?}");
    // Ended by its bound while the remote command still runs.
    let deadline = Instant::now() + Duration::from_secs(10);
    while !sessions(&env).is_empty() {
        assert!(Instant::now() < deadline, "{:?}", sessions(&env));
        std::thread::sleep(Duration::from_millis(50));
    }
    assert_eq!(remote(&sshd, "sleep 12").len(), 1, "{}", sshd.log());
    // Then nothing is left once the command has ended and the idle time passed.
    all_gone(&env, Duration::from_secs(20));
}

/// `each` lives as long as its clients: the no-delay session it starts is
/// never left a zombie of it.
#[test]
fn a_long_each_keeps_no_zombie_of_the_session() {
    let sshd = sshd::start(SshdOpts::default());
    let env = far_env(&sshd, "1m", true);
    let mut each = env
        .dockmux(["each", "far", "--", "events"])
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    // The forward is up, the session has ended, and the client runs.
    let deadline = Instant::now() + Duration::from_secs(20);
    while sockets(&env).is_empty()
        || !sessions(&env).is_empty()
        || children_of(each.id() as i32).is_empty()
    {
        assert!(Instant::now() < deadline, "{:?}", leftovers(&env));
        std::thread::sleep(Duration::from_millis(50));
    }
    assert!(each.try_wait().unwrap().is_none(), "each ended early");
    let zombies: Vec<i32> = children_of(each.id() as i32)
        .into_iter()
        .filter(|pid| state_of(*pid).is_some_and(|(state, _)| state == 'Z'))
        .collect();
    assert!(zombies.is_empty(), "zombies of each: {zombies:?}");
    // SAFETY: kill has no memory-safety preconditions.
    assert_eq!(unsafe { libc::kill(each.id() as i32, libc::SIGTERM) }, 0);
    each.wait().unwrap();
    Out::of(&mut env.dockmux(["disconnect"])).ok();
    all_gone(&env, Duration::from_secs(10));
}

/// sshd before OpenSSH 10.1 turns Nagle's algorithm off on a connection
/// only once a session on it runs a command: a connection that only
/// forwards keeps it on for good, and the second part of an answer the
/// engine writes in two (`logs`: its headers, then the log) waits for the
/// client's delayed ACK, 40 ms on loopback; behind a slow link the last
/// part of a long answer waits a round trip. The shared connection sends
/// without delay at both ends.
#[test]
fn the_shared_connection_sends_without_delay_at_both_ends() {
    let sshd = sshd::start(SshdOpts::default());
    let env = far_env(&sshd, "1m", true);
    ps(&env).ok();
    assert_eq!(nodelay_of(master(&env)), [true]);
    no_delay_at_sshd(&sshd);
}

/// The session that turns Nagle off is a speed-up only: a server that
/// allows no sessions (`MaxSessions 0`; forwarding still works) gets the
/// forward with no note.
#[test]
fn a_host_that_allows_no_sessions_still_forwards_without_a_note() {
    let sshd = sshd::start(SshdOpts {
        extra_config: vec!["MaxSessions 0".into()],
        ..SshdOpts::default()
    });
    let env = far_env(&sshd, "1m", true);
    let out = ps(&env);
    out.ok();
    assert_eq!(out.stderr, "");
    assert_eq!(sockets(&env).len(), 1);
    master(&env);
}

/// A cold fan-out starts a host's engines together (one connection, one
/// request for all their sockets, their pings at once); one whose remote
/// socket is missing is told once, by name, and goes over `ssh://`, while
/// the others on the same connection answer through it.
#[test]
fn a_cold_fan_out_starts_a_hosts_engines_together_and_tells_the_one_that_fails() {
    let bed = testbed::shared();
    let sshd = sshd::start(SshdOpts::default());
    let env = far_env(&sshd, "1m", true);
    let links = env.root().join("links");
    std::fs::create_dir_all(&links).unwrap();
    let mut config = String::from("persist = \"1m\"\n");
    for name in ["e0", "e1", "e2", "gone"] {
        let path = links.join(format!("{name}.sock"));
        if name != "gone" {
            std::os::unix::fs::symlink(&bed.pg.sock, &path).unwrap();
        }
        config.push_str(&format!(
            "[engines.{name}]\nhost = \"{}\"\n",
            sshd.docker_host(&path)
        ));
    }
    env.user_config(&config);
    let ps = || Out::of(&mut env.dockmux(["ps", "-a", "--timeout", "30s"]));
    let notes = |out: &Out| -> Vec<String> {
        out.stderr
            .lines()
            .filter(|l| l.contains("no shared ssh connection"))
            .map(str::to_string)
            .collect()
    };
    let out = ps();
    assert_eq!(out.code, Some(1), "{out}");
    let told = notes(&out);
    assert_eq!(told.len(), 1, "{out}");
    assert!(
        told[0].contains("engine 'gone'") && told[0].contains("gone.sock"),
        "{out}"
    );
    // Three forwards listen (the refused one's file may stay, dead).
    let listening = sockets(&env)
        .iter()
        .filter(|s| std::os::unix::net::UnixStream::connect(s).is_ok())
        .count();
    assert_eq!(listening, 3, "{out}");
    // The next fan-out uses the same connection, and the one that failed is
    // not tried again within the idle time (no note): it goes over ssh://.
    let connection = master(&env);
    let out = ps();
    assert_eq!(out.code, Some(1), "{out}");
    assert!(notes(&out).is_empty(), "{out}");
    assert!(out.stderr.starts_with("gone: "), "{out}");
    assert_eq!(master(&env), connection);
}

#[test]
fn a_host_that_forbids_forwarding_still_works_with_one_note() {
    let sshd = sshd::start(SshdOpts {
        extra_config: vec!["AllowStreamLocalForwarding no".into()],
        ..SshdOpts::default()
    });
    let env = far_env(&sshd, "1m", true);
    // What only pg's daemon says (other tests add containers meanwhile).
    let id = ["info", "--format", "{{.ID}}"];
    let want = env.run("pg-docker", id);
    let out = env.run("far-docker", id);
    assert_eq!(out.ok(), want.ok());
    let notes: Vec<&str> = out.stderr.lines().collect();
    assert_eq!(notes.len(), 1, "{out}");
    assert!(
        notes[0].contains("engine 'far': no shared ssh connection")
            && notes[0].contains("AllowStreamLocalForwarding"),
        "{out}"
    );
    // Not tried again within the idle time: no note, no wait.
    let out = env.run("far-docker", id);
    assert_eq!(out.ok(), want.ok());
    assert_eq!(out.stderr, "");
    // The connection the failed start made ends on demand.
    Out::of(&mut env.dockmux(["disconnect"])).ok();
    all_gone(&env, Duration::from_secs(10));
}

#[test]
fn the_remote_socket_is_found_as_dial_stdio_finds_it() {
    let bed = testbed::shared();
    let sshd = sshd::start(SshdOpts {
        env: vec![(
            "DOCKER_HOST".into(),
            format!("unix://{}", bed.pg.sock.display()),
        )],
        ..SshdOpts::default()
    });
    let env = far_env(&sshd, "1m", false);
    let before = logins(&sshd);
    let id = ["info", "--format", "{{.ID}}"];
    let want = env.run("pg-docker", id);
    for _ in 0..2 {
        let out = env.run("far-docker", id);
        assert_eq!(out.ok(), want.ok());
        assert_eq!(out.stderr, "");
    }
    assert_eq!(logins(&sshd) - before, 1, "{}", sshd.log());
    assert_eq!(sockets(&env).len(), 1);
    // The session that asked for the socket turned Nagle off at sshd's end.
    no_delay_at_sshd(&sshd);
}

#[test]
fn persist_0_turns_it_off() {
    let sshd = sshd::start(SshdOpts::default());
    let env = far_env(&sshd, "0", true);
    let before = logins(&sshd);
    ps(&env).ok();
    ps(&env).ok();
    assert_eq!(logins(&sshd) - before, 2);
    assert!(sockets(&env).is_empty());
    // docker's own ssh helpers end as it exits; nothing stays.
    all_gone(&env, Duration::from_secs(5));
}

/// `set far --persist 0` writes the engine's own key, and the engine path
/// obeys it over the file's top-level 1m: a login per command, no
/// shared socket. `add` writes it too; a host with no ssh connection is
/// refused it.
#[test]
fn set_persist_is_written_and_obeyed() {
    let sshd = sshd::start(SshdOpts::default());
    let env = far_env(&sshd, "1m", true);
    let dockmux = |args: &[&str]| Out::of(&mut env.dockmux(args));
    dockmux(&["set", "far", "--persist", "0"]).ok();
    let file = std::fs::read_to_string(env.user_config_path()).unwrap();
    let far = &file[file.find("[engines.far]").expect(&file)..];
    assert!(far.contains("persist = \"0\""), "{file}");
    let before = logins(&sshd);
    ps(&env).ok();
    ps(&env).ok();
    assert_eq!(logins(&sshd) - before, 2, "{}", sshd.log());
    assert!(sockets(&env).is_empty());
    // Taken out again: the top-level 1m holds, one login for both.
    dockmux(&["set", "far", "--no-persist"]).ok();
    let before = logins(&sshd);
    ps(&env).ok();
    ps(&env).ok();
    assert_eq!(logins(&sshd) - before, 1, "{}", sshd.log());
    Out::of(&mut env.dockmux(["disconnect"])).ok();
    // add writes it; on a unix or tcp host it is refused, and nothing changes.
    let host = format!("ssh://{}@127.0.0.1:{}", sshd.user, sshd.port);
    dockmux(&["add", "far2", &host, "--persist", "90s"]).ok();
    let file = std::fs::read_to_string(env.user_config_path()).unwrap();
    assert!(file.ends_with("persist = \"90s\"\n"), "{file}");
    for args in [
        &["add", "sock", "unix:///run/x.sock", "--persist", "90s"][..],
        &["set", "pg", "--persist", "90s"],
    ] {
        let out = dockmux(args);
        assert!(
            out.fails(125).contains("applies only to ssh:// hosts")
                && out.stderr.contains("drop --persist"),
            "{args:?}: {out}"
        );
    }
    assert_eq!(
        std::fs::read_to_string(env.user_config_path()).unwrap(),
        file
    );
}

#[test]
fn list_ps_and_disconnect_see_and_use_the_connection() {
    let sshd = sshd::start(SshdOpts::default());
    let env = far_env(&sshd, "1m", true);
    let connection = |env: &Env| {
        let out = Out::of(&mut env.dockmux(["list", "--no-probe", "far"]));
        let text = out.ok().to_string();
        let header: Vec<&str> = text.lines().next().unwrap().split_whitespace().collect();
        let row: Vec<&str> = text.lines().nth(1).unwrap().split_whitespace().collect();
        let at = header.iter().position(|h| *h == "CONNECTION").expect(&text);
        row[at].to_string()
    };
    assert_eq!(connection(&env), "down");
    let before = logins(&sshd);
    // dockmux ps starts it, and asks the engine through it.
    for _ in 0..2 {
        Out::of(&mut env.dockmux(["ps", "far"])).ok();
    }
    assert_eq!(logins(&sshd) - before, 1, "{}", sshd.log());
    assert_eq!(connection(&env), "up");
    let json = Out::of(&mut env.dockmux(["list", "--json", "far"]));
    assert!(json.ok().contains("\"connection\": \"up\""), "{json}");
    let out = Out::of(&mut env.dockmux(["disconnect", "far"]));
    assert!(
        out.ok()
            .contains("far: the shared connection to 127.0.0.1 ended"),
        "{out}"
    );
    all_gone(&env, Duration::from_secs(5));
    assert_eq!(connection(&env), "down");
    // All of them, and a second time nothing is left to end.
    ps(&env).ok();
    assert_eq!(
        Out::of(&mut env.dockmux(["disconnect"])).ok(),
        "ended 1 shared ssh connection\n"
    );
    assert_eq!(
        Out::of(&mut env.dockmux(["disconnect"])).ok(),
        "ended 0 shared ssh connections\n"
    );
    all_gone(&env, Duration::from_secs(5));
    let out = Out::of(&mut env.dockmux(["disconnect", "pg"]));
    assert_eq!(out.code, Some(125), "{out}");
    assert!(out.stderr.contains("not an ssh engine"), "{out}");
}

#[test]
fn doctor_says_why_a_host_has_no_connection() {
    let sshd = sshd::start(SshdOpts {
        extra_config: vec!["AllowStreamLocalForwarding no".into()],
        ..SshdOpts::default()
    });
    let env = far_env(&sshd, "2s", true);
    let out = Out::of(&mut env.dockmux(["doctor"]));
    let line = out
        .stdout
        .lines()
        .find(|l| l.contains("connection") && l.contains("far:"))
        .unwrap_or_else(|| panic!("{out}"));
    assert!(line.starts_with("warning"), "{out}");
    assert!(
        line.contains("is a socket on the host, but the server does not forward it")
            && line.contains("AllowStreamLocalForwarding no"),
        "{out}"
    );
    // A host that forwards: ok.
    let sshd = sshd::start(SshdOpts::default());
    let env = far_env(&sshd, "2s", true);
    let out = Out::of(&mut env.dockmux(["doctor"]));
    assert!(
        out.stdout.lines().any(|l| l.starts_with("ok")
            && l.contains("far: the shared ssh connection to 127.0.0.1 works")),
        "{out}"
    );
}

#[test]
fn exec_gives_a_program_the_shared_connection() {
    let bed = testbed::shared();
    let sshd = sshd::start(SshdOpts::default());
    let env = far_env(&sshd, "1m", true);
    let sdk = "import docker, os; print(os.environ['DOCKER_HOST']); \
               print(docker.from_env().info()['DockerRootDir'])";
    let out = Out::of(&mut env.dockmux(["exec", "far", "python3", "-c", sdk]));
    let text = out.ok();
    let (host, root) = text.trim().split_once('\n').unwrap();
    assert!(root.starts_with(bed.pg.root.to_str().unwrap()), "{out}");
    assert_eq!(
        sockets(&env),
        [PathBuf::from(host.strip_prefix("unix://").unwrap())]
    );
    // It stays for the next command.
    let before = logins(&sshd);
    ps(&env).ok();
    assert_eq!(logins(&sshd), before);
}

#[test]
fn a_fan_out_over_plain_ssh_stays_under_sshds_startup_limit() {
    // No forwarding here, so each engine is a whole ssh login; this sshd
    // drops any login past 5 at once (MaxStartups), as a busy one drops
    // some past 10 by default.
    let sshd = sshd::start(SshdOpts {
        extra_config: vec![
            "AllowStreamLocalForwarding no".into(),
            "MaxStartups 5".into(),
        ],
        ..SshdOpts::default()
    });
    let env = far_env(&sshd, "1m", true);
    let url = sshd.docker_host(&testbed::shared().pg.sock);
    let mut config = String::new();
    for i in 0..12 {
        config.push_str(&format!("[engines.far{i:02}]\nhost = \"{url}\"\n"));
    }
    env.user_config(&config);
    let out = Out::of(&mut env.dockmux(["ps", "-a", "--timeout", "60s"]));
    assert_eq!(out.code, Some(0), "{out}");
    let each = Out::of(&mut env.dockmux(["each", "-j", "12", "--", "version", "--format", "ok"]));
    assert_eq!(each.code, Some(0), "{each}");
    assert_eq!(
        each.stdout.lines().filter(|l| l.ends_with("| ok")).count(),
        12,
        "{each}"
    );
}

/// `dockmux env` points the shell where `NAME-docker` and `exec` go: the
/// shared connection's local socket (started if down), and says that it
/// ends after its idle time; with `persist = "0"`, `ssh://` as before.
#[test]
fn env_points_the_shell_at_the_shared_connection_and_says_so() {
    let bed = testbed::shared();
    let sshd = sshd::start(SshdOpts::default());
    let env = far_env(&sshd, "1m", true);
    let out = Out::of(&mut env.dockmux(["env", "far", "--shell", "sh"]));
    let text = out.ok();
    let sock = sockets(&env);
    assert_eq!(sock.len(), 1, "{out}");
    assert!(
        text.contains(&format!(
            "export DOCKER_HOST='unix://{}'\n",
            sock[0].display()
        )),
        "{out}"
    );
    assert!(
        out.stderr
            .contains("DOCKER_HOST is engine 'far''s shared ssh connection, a local socket that ends after 60s without use"),
        "{out}"
    );
    // A shell that evals it reaches the engine with plain docker.
    let script = "eval \"$(\"$0\" env far --shell sh 2>/dev/null)\" && docker info --format '{{.DockerRootDir}}'";
    let dockmux = crate::harness::dockmux_bin();
    let out = Out::of(env.program("sh").args(["-c", script]).arg(&dockmux));
    assert!(out.ok().starts_with(bed.pg.root.to_str().unwrap()), "{out}");

    let env = far_env(&sshd, "0", true);
    let out = Out::of(&mut env.dockmux(["env", "far", "--shell", "sh"]));
    assert!(out.ok().contains("export DOCKER_HOST='ssh://"), "{out}");
    assert!(!out.stderr.contains("shared ssh connection"), "{out}");
}

/// A fake engine on a unix socket that notes every connection it takes, in
/// the order taken, with the request line sent on it (empty while none
/// came): a connect that only checks the forward still costs a channel and
/// a connection here.
struct Noting {
    sock: PathBuf,
    taken: std::sync::Arc<std::sync::Mutex<Vec<std::sync::Arc<std::sync::Mutex<String>>>>>,
}

/// Lists held until `all` engines have been asked for theirs (for at most
/// a minute): engines asked in turns never all get an answer.
struct Together {
    asked: std::sync::Mutex<usize>,
    all: usize,
    came: std::sync::Condvar,
}

impl Together {
    fn wait(&self) {
        let mut asked = self.asked.lock().unwrap();
        *asked += 1;
        self.came.notify_all();
        let _ = self
            .came
            .wait_timeout_while(asked, Duration::from_secs(60), |n| *n < self.all)
            .unwrap();
    }
}

impl Noting {
    fn start(sock: PathBuf) -> Noting {
        Noting::holding(sock, None)
    }

    fn holding(sock: PathBuf, together: Option<std::sync::Arc<Together>>) -> Noting {
        use std::io::{BufRead, BufReader, Write};
        let listener = std::os::unix::net::UnixListener::bind(&sock).unwrap();
        let taken = std::sync::Arc::new(std::sync::Mutex::new(Vec::new()));
        let noted = std::sync::Arc::clone(&taken);
        std::thread::spawn(move || {
            for conn in listener.incoming().flatten() {
                let together = together.clone();
                let line = std::sync::Arc::new(std::sync::Mutex::new(String::new()));
                noted.lock().unwrap().push(std::sync::Arc::clone(&line));
                std::thread::spawn(move || {
                    let mut reader = BufReader::new(&conn);
                    let mut first = String::new();
                    let _ = reader.read_line(&mut first);
                    let mut rest = String::new();
                    while reader.read_line(&mut rest).is_ok_and(|n| n > 2) {
                        rest.clear();
                    }
                    let first = first.trim().to_string();
                    if let Some(together) =
                        together.filter(|_| first.starts_with("GET /containers/"))
                    {
                        together.wait();
                    }
                    let body = if first.starts_with("GET /volumes") {
                        "{\"Volumes\":[]}"
                    } else if first.starts_with("GET /_ping") {
                        "OK"
                    } else {
                        "[]"
                    };
                    *line.lock().unwrap() = first;
                    let _ = write!(
                        &conn,
                        "HTTP/1.1 200 OK\r\nApi-Version: 1.41\r\nServer: Docker/20.10.24 (linux)\r\n\
                         Content-Type: application/json\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{body}",
                        body.len()
                    );
                });
            }
        });
        Noting { sock, taken }
    }

    /// The request lines of the connections taken since the last call, once
    /// a last one sent through `forward` has come: ssh takes a forward's
    /// connections in order and the server connects for each in order, so
    /// every connection made before it has been taken by then.
    fn since(&self, forward: &std::path::Path) -> Vec<String> {
        use std::io::{Read, Write};
        let mut s = std::os::unix::net::UnixStream::connect(forward).unwrap();
        s.write_all(b"GET /last HTTP/1.1\r\nHost: x\r\n\r\n")
            .unwrap();
        let mut answer = String::new();
        s.read_to_string(&mut answer).unwrap();
        assert!(answer.starts_with("HTTP/1.1 200"), "{answer}");
        let mut taken = self.taken.lock().unwrap();
        let lines: Vec<String> = taken.iter().map(|l| l.lock().unwrap().clone()).collect();
        taken.clear();
        let last = lines.iter().position(|l| l.starts_with("GET /last"));
        let last = last.unwrap_or_else(|| panic!("{lines:?}"));
        lines[..last].to_vec()
    }
}

/// A warm fan-out opens one connection per request through a forward: no
/// connect just to check that it is up, as each costs a channel on the
/// host's connection and a connection at the engine. An engine whose
/// host's connection died (its ssh killed, the socket files left) is found
/// by its request's refused connect, its forward started again, and asked.
#[test]
fn a_warm_fan_out_opens_one_connection_per_request() {
    let sshd = sshd::start(SshdOpts::default());
    let env = far_env(&sshd, "1m", true);
    // Two hosts (one sshd by two names), two engines on the first.
    let engines: Vec<(String, String, Noting)> = [
        ("a0", "127.0.0.1"),
        ("a1", "127.0.0.1"),
        ("b0", "localhost"),
    ]
    .into_iter()
    .map(|(name, host)| {
        let fake = Noting::start(env.root().join(format!("{name}.sock")));
        let url = format!(
            "ssh://{}@{host}:{}{}",
            sshd.user,
            sshd.port,
            fake.sock.display()
        );
        (name.to_string(), url, fake)
    })
    .collect();
    let config: String = engines
        .iter()
        .map(|(name, url, _)| format!("[engines.{name}]\nhost = \"{url}\"\n"))
        .collect();
    env.user_config(&format!("persist = \"1m\"\n{config}"));
    let forward_of = |env: &Env, name: &str| {
        let out = Out::of(&mut env.dockmux(["env", name, "--shell", "sh"]));
        let text = out.ok();
        let at = text.find("export DOCKER_HOST='unix://").expect(text) + 27;
        PathBuf::from(&text[at..at + text[at..].find('\'').unwrap()])
    };
    // Cold: started and asked.
    let ps = |env: &Env| Out::of(&mut env.dockmux(["ps", "--timeout", "20s"]));
    assert_eq!(ps(&env).stderr, "");
    let forwards: Vec<PathBuf> = engines
        .iter()
        .map(|(n, _, _)| forward_of(&env, n))
        .collect();
    for ((_, _, fake), forward) in engines.iter().zip(&forwards) {
        fake.since(forward);
    }
    let before = logins(&sshd);
    let out = ps(&env);
    assert_eq!((out.code, out.stderr.as_str()), (Some(0), ""), "{out}");
    let find = Out::of(&mut env.dockmux(["find", "nothing-here", "--timeout", "20s"]));
    assert_eq!(find.code, Some(1), "{find}");
    for ((name, _, fake), forward) in engines.iter().zip(&forwards) {
        assert_eq!(
            fake.since(forward),
            [
                "GET /containers/json?all=0 HTTP/1.1",
                "GET /containers/json?all=1 HTTP/1.1",
                "GET /images/json HTTP/1.1",
                "GET /volumes HTTP/1.1",
                "GET /networks HTTP/1.1",
            ],
            "{name}"
        );
    }
    assert_eq!(logins(&sshd), before, "{}", sshd.log());
    // list's CONNECTION column costs no connection; its probe one each.
    let list = Out::of(&mut env.dockmux(["list", "--json", "--timeout", "20s"]));
    let list: serde_json::Value = serde_json::from_str(list.ok()).unwrap();
    let ups = list.as_array().unwrap().iter();
    let ups = ups.filter(|e| e["connection"] == "up" && e["status"]["state"] == "up");
    assert_eq!(ups.count(), 3, "{list}");
    for ((name, _, fake), forward) in engines.iter().zip(&forwards) {
        assert_eq!(fake.since(forward), ["GET /_ping HTTP/1.1"], "{name}");
    }

    // The first host's connection dies: its sockets are left, refusing.
    let first = leftovers(&env)
        .into_iter()
        .filter(|(_, line)| line.contains(" -M ") && line.contains(" -- 127.0.0.1"))
        .map(|(pid, _)| pid)
        .collect::<Vec<_>>();
    assert_eq!(first.len(), 1, "{:?}", leftovers(&env));
    // SAFETY: kill has no memory-safety preconditions.
    assert_eq!(unsafe { libc::kill(first[0], libc::SIGKILL) }, 0);
    while leftovers(&env).iter().any(|(pid, _)| *pid == first[0]) {
        std::thread::sleep(Duration::from_millis(10));
    }
    assert!(forwards[0].exists() && forwards[1].exists());
    let out = ps(&env);
    assert_eq!((out.code, out.stderr.as_str()), (Some(0), ""), "{out}");
    assert_eq!(logins(&sshd), before + 1, "{}", sshd.log());
    for ((name, _, fake), forward) in engines.iter().zip(&forwards) {
        let lines = fake.since(forward);
        // Every connection carried a request, and the list was asked once.
        assert!(
            lines.iter().all(|l| l.starts_with("GET ")),
            "{name}: {lines:?}"
        );
        let asked = lines
            .iter()
            .filter(|l| l.starts_with("GET /containers/json?all=0 "));
        assert_eq!(asked.count(), 1, "{name}: {lines:?}");
    }
}

/// Engines behind shared connections are asked all at once, not in turns of
/// a fixed number of threads: each such request waits on the network, and
/// a turn costs a channel open and a request behind the link. Here every
/// engine answers only once all have been asked, so engines asked in turns
/// would time out.
#[test]
fn engines_behind_forwards_are_asked_all_at_once() {
    let sshd = sshd::start(SshdOpts::default());
    let env = far_env(&sshd, "1m", true);
    // More than a fan-out's threads for other engines (64), on two hosts.
    let n = 80;
    let together = std::sync::Arc::new(Together {
        asked: std::sync::Mutex::new(0),
        all: n,
        came: std::sync::Condvar::new(),
    });
    let mut config = "persist = \"1m\"\n".to_string();
    let fakes: Vec<Noting> = (0..n)
        .map(|i| {
            let fake = Noting::holding(
                env.root().join(format!("e{i:02}.sock")),
                Some(std::sync::Arc::clone(&together)),
            );
            let host = ["127.0.0.1", "localhost"][i % 2];
            config.push_str(&format!(
                "[engines.e{i:02}]\nhost = \"ssh://{}@{host}:{}{}\"\n",
                sshd.user,
                sshd.port,
                fake.sock.display()
            ));
            fake
        })
        .collect();
    env.user_config(&config);
    // Cold: every forward started (the lists all held till the last).
    let out = Out::of(&mut env.dockmux(["ps", "--timeout", "60s"]));
    assert_eq!((out.code, out.stderr.as_str()), (Some(0), ""), "{out}");
    *together.asked.lock().unwrap() = 0;
    let start = Instant::now();
    let out = Out::of(&mut env.dockmux(["ps", "--timeout", "10s"]));
    assert_eq!((out.code, out.stderr.as_str()), (Some(0), ""), "{out}");
    assert!(
        start.elapsed() < Duration::from_secs(10),
        "{:?}",
        start.elapsed()
    );
    drop(fakes);
}
