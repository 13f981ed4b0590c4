//! Exit status and signals: what the caller of `pg-docker` sees (every exit
//! code, death by signal) and what the client inherits (ignored and blocked
//! signals) are what they would be with docker run directly.

use std::io::{BufRead, BufReader};
use std::os::unix::process::{CommandExt, ExitStatusExt};
use std::process::{Command, ExitStatus, Stdio};
use std::time::Instant;

use super::{env_with_fast_fake, fake_client};
use crate::harness::Env;

/// The fake run directly, with the same scrubbed environment as `pg-docker`.
fn direct(env: &Env) -> Command {
    env.program(fake_client())
}

fn status(mut cmd: Command, mode: &str, arg: &str) -> ExitStatus {
    cmd.env("FAKE_MODE", mode)
        .env("FAKE_ARG", arg)
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .status()
        .unwrap()
}

/// Restores default handling of `sigs` in the child: a test runner started
/// in the background may have left SIGINT ignored, and then no one dies.
fn default_signals(cmd: &mut Command, sigs: &'static [i32]) {
    // SAFETY: signal() is async-signal-safe.
    unsafe {
        cmd.pre_exec(move || {
            for &s in sigs {
                libc::signal(s, libc::SIG_DFL);
            }
            Ok(())
        });
    }
}

const DEADLY: &[i32] = &[libc::SIGTERM, libc::SIGKILL, libc::SIGINT];

#[test]
fn every_exit_code_is_seen_as_if_docker_ran_directly() {
    let env = env_with_fast_fake();
    let start = Instant::now();
    let mut differ = Vec::new();
    for code in 0..=255 {
        let arg = code.to_string();
        let want = status(direct(&env), "exit", &arg);
        let got = status(env.cmd("pg-docker"), "exit", &arg);
        assert_eq!(want.code(), Some(code));
        if got.into_raw() != want.into_raw() {
            differ.push((code, got));
        }
    }
    eprintln!(
        "exit codes: 256 cases in {:.1?}, failures: {}",
        start.elapsed(),
        differ.len()
    );
    assert!(differ.is_empty(), "{differ:?}");
}

#[test]
fn death_by_signal_is_seen_as_if_docker_ran_directly() {
    let env = env_with_fast_fake();
    let mut cases = 0;
    for &sig in DEADLY {
        // The client kills itself…
        let mut d = direct(&env);
        default_signals(&mut d, DEADLY);
        let mut p = env.cmd("pg-docker");
        default_signals(&mut p, DEADLY);
        let want = status(d, "signal", &sig.to_string());
        let got = status(p, "signal", &sig.to_string());
        assert_eq!(want.signal(), Some(sig));
        assert_eq!(got.into_raw(), want.into_raw(), "signal {sig}");
        // …or the caller signals the process it started, which is docker by then.
        let mut seen = Vec::new();
        for mut cmd in [direct(&env), env.cmd("pg-docker")] {
            default_signals(&mut cmd, DEADLY);
            let mut child = cmd
                .env("FAKE_MODE", "wait")
                .stdin(Stdio::null())
                .stdout(Stdio::piped())
                .spawn()
                .unwrap();
            let mut ready = String::new();
            BufReader::new(child.stdout.take().unwrap())
                .read_line(&mut ready)
                .unwrap();
            assert_eq!(ready, "ready\n");
            // SAFETY: kill has no memory-safety preconditions.
            unsafe { libc::kill(child.id() as i32, sig) };
            seen.push(child.wait().unwrap());
        }
        assert_eq!(seen[0].signal(), Some(sig));
        assert_eq!(
            seen[1].into_raw(),
            seen[0].into_raw(),
            "signal {sig} from outside"
        );
        cases += 2;
    }
    eprintln!(
        "signals: {cases} cases (SIGTERM, SIGKILL, SIGINT; raised by the client and sent by the caller), failures: 0"
    );
}

/// The SigBlk and SigIgn lines the client reports under a caller that
/// ignores `ignore` and blocks `block`.
fn sig_state(mut cmd: Command, ignore: &'static [i32], block: &'static [i32]) -> String {
    // SAFETY: only async-signal-safe calls between fork and exec.
    unsafe {
        cmd.pre_exec(move || {
            for &s in ignore {
                libc::signal(s, libc::SIG_IGN);
            }
            let mut set: libc::sigset_t = std::mem::zeroed();
            libc::sigemptyset(&mut set);
            for &s in block {
                libc::sigaddset(&mut set, s);
            }
            libc::pthread_sigmask(libc::SIG_SETMASK, &set, std::ptr::null_mut());
            Ok(())
        });
    }
    let out = cmd.env("FAKE_MODE", "sigstate").output().unwrap();
    assert!(out.status.success());
    String::from_utf8(out.stdout).unwrap()
}

fn mask(line: &str, state: &str) -> u64 {
    let hex = state
        .lines()
        .find_map(|l| l.strip_prefix(line))
        .unwrap_or_else(|| panic!("no {line} in {state}"));
    u64::from_str_radix(hex.trim(), 16).unwrap()
}

#[test]
fn the_client_inherits_the_callers_ignored_and_blocked_signals() {
    // Rust's runtime ignores SIGPIPE and std's exec resets it and the mask;
    // the client must see the caller's state, whatever it is.
    let env = env_with_fast_fake();
    let cases: [(&[i32], &[i32]); 4] = [
        (&[], &[]),
        (&[libc::SIGPIPE, libc::SIGHUP, libc::SIGUSR1], &[]),
        (&[libc::SIGINT, libc::SIGPIPE], &[]),
        (
            &[libc::SIGINT],
            &[libc::SIGUSR2, libc::SIGTERM, libc::SIGCHLD],
        ),
    ];
    for (ignore, block) in cases {
        let want = sig_state(direct(&env), ignore, block);
        // The engine path, and `dockmux exec` (management mode ignores
        // SIGPIPE for itself; the program must not see that).
        let mut exec = env.dockmux(["exec", "pg"]);
        exec.arg(fake_client());
        for (how, cmd) in [("pg-docker", env.cmd("pg-docker")), ("dockmux exec", exec)] {
            let got = sig_state(cmd, ignore, block);
            assert_eq!(got, want, "{how}: ignoring {ignore:?}, blocking {block:?}");
            // The caller's own changes are there (besides what the test runner
            // itself inherited).
            let bits = |sigs: &[i32]| sigs.iter().fold(0u64, |m, &s| m | 1 << (s - 1));
            assert_eq!(
                mask("SigIgn:", &got) & bits(ignore),
                bits(ignore),
                "{how}: {got}"
            );
            assert_eq!(mask("SigBlk:", &got), bits(block), "{how}: {got}");
        }
    }
    eprintln!(
        "signal state: 4 caller states (none, 3 ignored, SIGINT and SIGPIPE ignored, 1 ignored + 3 blocked) through \
         pg-docker and dockmux exec, failures: 0"
    );
}
