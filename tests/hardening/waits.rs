//! Long waits on many engines (issue 19 item 7, issue 22 item 11): `each
//! --timeout` stops an engine's command and says which; SIGTERM, SIGINT and
//! SIGHUP to `dockmux each` reach every client and none outlives it; on a
//! terminal (tmux) `each`, `list`, `ps` and `find` show which engines are
//! still pending after a second and erase the line when done; off a
//! terminal, nothing.

use std::os::unix::process::CommandExt;
use std::process::Stdio;
use std::time::{Duration, Instant};

use super::probes::{left_behind, marked_processes};
use super::streams::{tmux, wait};
use crate::engines::bed_env;
use crate::harness::{Out, dockmux_bin, finishes};
use crate::status::hanging_engines;

#[test]
fn each_timeout_stops_the_engines_that_run_too_long_and_names_them() {
    let mut env = bed_env();
    let mark = format!("each-timeout-{}", std::process::id());
    env.var("DOCKMUX_TEST_MARK", &mark);
    let start = Instant::now();
    let out = finishes(&mut env.dockmux(["each", "--timeout", "2s", "--", "events"]));
    let took = start.elapsed();
    let err = out.fails(1);
    assert!(took < Duration::from_secs(10), "{took:?}: {out}");
    for name in ["pg ", "lzc"] {
        assert!(
            err.contains(&format!("{name} | dockmux: timed out after 2s; stopped\n")),
            "{out}"
        );
    }
    let summary = err.lines().last().unwrap_or_default();
    assert!(summary.starts_with("dockmux each: failed on "), "{out}");
    assert!(summary.contains("pg (timed out after 2s)"), "{out}");
    assert!(summary.contains("lzc (timed out after 2s)"), "{out}");
    // Not a terminal: no progress line.
    assert!(!err.contains("waiting for"), "{out}");
    assert_eq!(
        left_behind(&mark, Duration::from_secs(3)),
        Vec::<u32>::new()
    );
    // A command that ends in time is untouched.
    Out::of(&mut env.dockmux(["each", "--timeout", "30s", "--", "version", "-f", "ok"])).ok();
}

#[test]
fn a_signal_to_each_reaches_every_client_and_none_outlives_it() {
    let env = bed_env();
    for sig in [libc::SIGTERM, libc::SIGINT, libc::SIGHUP] {
        let mark = format!("each-signal-{sig}-{}", std::process::id());
        let mut cmd = env.dockmux(["each", "--", "events"]);
        cmd.env("DOCKMUX_TEST_MARK", &mark)
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::null());
        // As a shell starts a background job: SIGINT ignored. `kill -INT`
        // must still end it.
        // SAFETY: signal is async-signal-safe.
        unsafe {
            cmd.pre_exec(|| {
                libc::signal(libc::SIGINT, libc::SIG_IGN);
                Ok(())
            });
        }
        let mut child = cmd.spawn().unwrap();
        // dockmux and both clients.
        let until = Instant::now() + Duration::from_secs(30);
        while marked_processes(&mark).len() < 3 {
            assert!(Instant::now() < until, "the clients never started");
            std::thread::sleep(Duration::from_millis(50));
        }
        // SAFETY: kill has no memory-safety preconditions.
        unsafe { libc::kill(child.id() as i32, sig) };
        let until = Instant::now() + Duration::from_secs(10);
        let status = loop {
            if let Some(s) = child.try_wait().unwrap() {
                break s;
            }
            if Instant::now() > until {
                let _ = child.kill();
                panic!("dockmux each outlived signal {sig}");
            }
            std::thread::sleep(Duration::from_millis(20));
        };
        use std::os::unix::process::ExitStatusExt;
        assert_eq!(status.signal(), Some(sig), "{status:?}");
        let left = left_behind(&mark, Duration::from_secs(3));
        for pid in &left {
            // SAFETY: as above.
            unsafe { libc::kill(*pid as i32, libc::SIGKILL) };
        }
        assert!(left.is_empty(), "signal {sig}: left behind {left:?}");
    }
}

#[test]
fn on_a_terminal_the_engines_still_pending_show_after_a_second_and_go() {
    let env = bed_env();
    let dir = tempfile::tempdir().unwrap();
    let (_hung, hanging) = hanging_engines(dir.path(), 2);
    let both = format!(
        "{}{hanging}",
        std::fs::read_to_string(env.user_config_path()).unwrap()
    );
    env.user_config(&both);
    let lines = [
        "each --timeout 3s pg lzc -- events",
        "list --timeout 3s",
        "ps --timeout 3s",
        "find nothing-has-this-name --timeout 3s",
    ];
    let dockmux = dockmux_bin();
    let script: String = lines
        .iter()
        .enumerate()
        .map(|(i, l)| format!("clear; '{}' {l}; echo END{i}; sleep 1; ", dockmux.display()))
        .collect::<String>()
        + "sleep 60";
    let tmux = tmux(&env, "waits", (150, 40), &script);
    for (i, l) in lines.iter().enumerate() {
        let expect = if i == 0 {
            "dockmux: waiting for lzc, pg ("
        } else {
            "dockmux: waiting for hang0, hang1 ("
        };
        let shown = wait(&tmux, &format!("{l}: the pending line"), |s| {
            s.contains(expect)
        });
        assert!(!shown.contains(&format!("END{i}")), "{l}: {shown}");
        let done = wait(&tmux, &format!("{l} to end"), |s| {
            s.contains(&format!("END{i}"))
        });
        assert!(
            !done.contains("waiting for"),
            "{l}: the line stayed:\n{done}"
        );
    }
}
