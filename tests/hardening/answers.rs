//! What an engine's answer may cost (issue 19, item 6): engines answering
//! `GET /containers/json` (and find's lists) with huge or cheap-to-send,
//! costly-to-keep answers fail with the reason, and `dockmux ps` stays
//! within a few hundred MB, measured as the child's own peak RSS (wait4).

use std::io::{Read, Write};
use std::os::unix::net::UnixListener;
use std::os::unix::process::CommandExt;
use std::path::Path;
use std::process::{Command, Stdio};
use std::sync::Arc;

use crate::harness::Env;

/// A fake engine at `sock` answering every GET with `body` (chunked, as
/// dockerd sends a big answer), one thread per connection.
fn engine(sock: &Path, body: Arc<Vec<u8>>) -> UnixListener {
    let listener = UnixListener::bind(sock).unwrap();
    let accepting = listener.try_clone().unwrap();
    std::thread::spawn(move || {
        for mut conn in accepting.incoming().flatten() {
            let body = Arc::clone(&body);
            std::thread::spawn(move || {
                let mut request = Vec::new();
                let mut byte = [0u8; 1];
                while !request.ends_with(b"\r\n\r\n") && conn.read(&mut byte).unwrap_or(0) == 1 {
                    request.push(byte[0]);
                }
                let head = "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nTransfer-Encoding: chunked\r\n\r\n";
                let _ = conn.write_all(head.as_bytes());
                for chunk in body.chunks(1 << 16) {
                    let _ = write!(conn, "{:x}\r\n", chunk.len());
                    let _ = conn.write_all(chunk);
                    let _ = conn.write_all(b"\r\n");
                }
                let _ = conn.write_all(b"0\r\n\r\n");
            });
        }
    });
    listener
}

/// A JSON list of `element`, repeated to about `bytes`.
fn list_of(element: &str, bytes: usize) -> Arc<Vec<u8>> {
    let mut body = b"[".to_vec();
    while body.len() < bytes {
        body.extend_from_slice(element.as_bytes());
        body.push(b',');
    }
    body.extend_from_slice(element.as_bytes());
    body.push(b']');
    Arc::new(body)
}

/// Runs `cmd` (address space limited to 2 GiB, so a dockmux without bounds
/// fails here rather than stalling the machine); its exit code, stdout,
/// stderr and peak RSS in MiB.
fn measured(cmd: &mut Command, dir: &Path) -> (i32, String, String, i64) {
    let (out, err) = (dir.join("out"), dir.join("err"));
    cmd.stdin(Stdio::null())
        .stdout(std::fs::File::create(&out).unwrap())
        .stderr(std::fs::File::create(&err).unwrap());
    // SAFETY: setrlimit is async-signal-safe.
    unsafe {
        cmd.pre_exec(|| {
            let limit = libc::rlimit {
                rlim_cur: 2 << 30,
                rlim_max: 2 << 30,
            };
            libc::setrlimit(libc::RLIMIT_AS, &limit);
            Ok(())
        });
    }
    #[allow(clippy::zombie_processes)] // waited for by wait4 below, for its rusage
    let child = cmd.spawn().unwrap();
    let mut status = 0;
    // SAFETY: an all-zero rusage is valid; wait4 fills it for this child only.
    let mut usage: libc::rusage = unsafe { std::mem::zeroed() };
    let pid = child.id() as libc::pid_t;
    // SAFETY: pid is our own child, not yet waited for.
    assert_eq!(unsafe { libc::wait4(pid, &mut status, 0, &mut usage) }, pid);
    let code = if libc::WIFEXITED(status) {
        libc::WEXITSTATUS(status)
    } else {
        128 + libc::WTERMSIG(status)
    };
    let read = |p| std::fs::read_to_string(p).unwrap();
    (code, read(&out), read(&err), usage.ru_maxrss / 1024)
}

#[test]
fn hostile_answers_fail_their_engine_and_ps_stays_small() {
    let env = Env::new();
    // 16 engines, asked at once: 2 MB of numbers (~3.4 KB each as a generic
    // tree), and 12 MB of the cheapest objects that pass for containers. Read
    // into buffers that double, they hold 8 x 4 + 8 x 16 MiB: within the
    // total, whichever engine answers first, so each fails for its own reason.
    let zeros = engine(&env.root().join("zeros.sock"), list_of("0", 2 << 20));
    let ids = engine(
        &env.root().join("ids.sock"),
        list_of(r#"{"Id":"x"}"#, 12 << 20),
    );
    let (_keep, _keep2) = (zeros, ids);
    let mut config = String::new();
    for i in 0..8 {
        for kind in ["zeros", "ids"] {
            let sock = env.root().join(format!("{kind}.sock"));
            config.push_str(&format!(
                "[engines.{kind}{i}]\nhost = \"unix://{}\"\n",
                sock.display()
            ));
        }
    }
    env.user_config(&config);
    for json in [false, true] {
        let mut cmd = env.dockmux(["ps", "-a", "--timeout", "60s"]);
        if json {
            cmd.arg("--json");
        }
        let (code, out, err, rss) = measured(&mut cmd, env.root());
        eprintln!("ps (json: {json}) against 16 hostile engines: peak RSS {rss} MiB");
        assert_eq!(code, 1, "{out}{err}");
        for i in 0..8 {
            assert!(
                err.contains(&format!(
                    "zeros{i}: the answer is not docker's JSON (element 1 of the list is not an object, so not one of docker's containers)"
                )),
                "{err}"
            );
            let why = format!("ids{i}: ");
            let line = err
                .lines()
                .find(|l| l.starts_with(&why))
                .unwrap_or_else(|| panic!("{err}"));
            assert!(
                line.contains("would take more than 64 MiB of memory")
                    || line.contains("the engines' answers together would take more than"),
                "{err}"
            );
        }
        assert!(rss < 400, "peak RSS {rss} MiB");
    }
    // One engine alone meets its own bound.
    let (code, out, err, rss) = measured(
        &mut env.dockmux(["ps", "-a", "ids0", "--timeout", "60s"]),
        env.root(),
    );
    eprintln!("ps against one engine of 12 MB of {{\"Id\":\"x\"}}: peak RSS {rss} MiB");
    assert_eq!(code, 1, "{out}{err}");
    assert!(err.starts_with("ids0: its answer would take more than 64 MiB of memory, more than an engine's answer may; fix: "), "{err}");
    assert!(rss < 200, "peak RSS {rss} MiB");
    // find walks the same lists the same way (it asks four: 48 MB from ids0,
    // in buffers of 64 MiB).
    let (code, out, err, rss) = measured(
        &mut env.dockmux(["find", "x", "zeros0", "ids0", "--timeout", "60s"]),
        env.root(),
    );
    eprintln!("find against two of them: peak RSS {rss} MiB");
    assert_eq!(code, 1, "{out}{err}");
    assert!(
        err.contains("\nzeros0: the answer is not docker's JSON (element 1 of the list is not an object, so not one of docker's containers)"),
        "{err}"
    );
    assert!(
        err.contains("\nids0: its answer would take more than 64 MiB"),
        "{err}"
    );
    assert!(rss < 400, "peak RSS {rss} MiB");
}

/// Through the docker client (tcp and ssh engines), `ps` reads the client's
/// output under the same memory bound as a socket's answer, not a fixed
/// 1 MiB (which failed past ~2,500 containers). The client is a recording
/// fake that replays a real engine's `ps --format '{{json .}}'` line: what
/// is measured is what dockmux does with the size of the output, which the
/// fake gives exactly and fast (a real engine takes minutes to create
/// 10,000 containers; the socket path's test does that).
#[test]
fn ps_through_the_client_takes_ten_thousand_containers_and_bounds_the_rest() {
    use crate::harness::exe::write_executable;
    use crate::harness::testbed::{self, IMAGE};
    let env = Env::new();
    let engine = &testbed::shared().pg;
    let name = format!("answers-line-{}", std::process::id());
    let docker = |args: &[&str]| {
        let out = engine.docker().args(args).output().unwrap();
        assert!(out.status.success(), "{out:?}");
        String::from_utf8(out.stdout).unwrap()
    };
    docker(&[
        "create",
        "--name",
        &name,
        "--network",
        "none",
        IMAGE,
        "true",
    ]);
    let line = docker(&[
        "ps",
        "-a",
        "--format",
        "{{json .}}",
        "--filter",
        &format!("name={name}"),
    ]);
    docker(&["rm", &name]);
    assert_eq!(line.lines().count(), 1, "{line}");

    let answer = env.root().join("answer");
    std::fs::write(&answer, line.repeat(10_000)).unwrap();
    let fake = env.root().join("docker");
    write_executable(
        &fake,
        format!(
            "#!/bin/sh\ncase \"$1\" in ps) exec cat {};; esac\nexit 1\n",
            answer.display()
        ),
    );
    env.user_config(&format!(
        "docker = \"{}\"\n[engines.far]\nhost = \"tcp://127.0.0.1:9\"\n",
        fake.display()
    ));
    let mut cmd = env.dockmux(["ps", "-a", "--timeout", "60s"]);
    let (code, out, err, rss) = measured(&mut cmd, env.root());
    let size = std::fs::metadata(&answer).unwrap().len() >> 10;
    eprintln!("ps -a through the client, 10,000 containers ({size} KiB): peak RSS {rss} MiB");
    assert_eq!((code, err.as_str()), (0, ""), "{out}");
    assert_eq!(
        out.lines().filter(|l| l.starts_with("far ")).count(),
        10_000
    );

    // A client that never stops writing rows is cut off at the engine's bound.
    write_executable(&fake, "#!/bin/sh\nyes '{\"ID\":\"x\",\"Names\":\"y\"}'\n");
    let (code, out, err, rss) = measured(&mut cmd, env.root());
    eprintln!("ps -a through a client that writes without end: peak RSS {rss} MiB");
    assert_eq!(code, 1, "{out}{err}");
    assert!(
        err.starts_with("far: its answer would take more than 64 MiB of memory"),
        "{err}"
    );
    assert!(rss < 400, "peak RSS {rss} MiB");
}
