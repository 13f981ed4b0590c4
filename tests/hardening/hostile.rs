//! Hostile setups, beyond those tests/dispatch.rs and tests/management.rs
//! cover (writable or foreign configs, symlinks into writable places, a
//! `docker` symlink to dockmux, a PATH of only links, the depth limit, a
//! socket path that is a file or directory): each is refused or handled with
//! a clear message, never a loop, a hang or a crash.

use std::ffi::{CString, OsStr, OsString};
use std::os::unix::ffi::{OsStrExt, OsStringExt};
use std::os::unix::fs::PermissionsExt;
use std::os::unix::process::CommandExt;
use std::process::{Command, Stdio};

use super::env_with_fast_fake;
use crate::harness::{Env, Out, TWO_ENGINES, copy_dockmux, dockmux_bin, finishes, write_fake};

#[test]
fn a_fifo_device_or_directory_in_the_configs_place_is_refused_without_hanging() {
    let mut env = env_with_fast_fake();
    let fifo = env.root().join("fifo.toml");
    let c = CString::new(fifo.as_os_str().as_bytes()).unwrap();
    // SAFETY: c is a valid path.
    assert_eq!(unsafe { libc::mkfifo(c.as_ptr(), 0o600) }, 0);
    let dir = env.root().join("dir.toml");
    std::fs::create_dir(&dir).unwrap();
    std::fs::set_permissions(&dir, std::fs::Permissions::from_mode(0o700)).unwrap();
    let dev = env.root().join("dev.toml");
    std::os::unix::fs::symlink("/dev/zero", &dev).unwrap();
    for path in [&fifo, &dir, &dev] {
        env.var("DOCKMUX_CONFIG", path);
        let out = finishes(&mut env.cmd("pg-docker"));
        let err = out.fails(125);
        assert!(
            err.contains("is not a regular file"),
            "{}: {out}",
            path.display()
        );
        let out = finishes(&mut env.dockmux(["list"]));
        assert!(out.fails(125).contains("is not a regular file"), "{out}");
    }
}

#[test]
fn a_symlink_loop_as_config_is_an_error() {
    let mut env = env_with_fast_fake();
    let a = env.root().join("a.toml");
    let b = env.root().join("b.toml");
    std::os::unix::fs::symlink(&b, &a).unwrap();
    std::os::unix::fs::symlink(&a, &b).unwrap();
    env.var("DOCKMUX_CONFIG", &a);
    let out = finishes(&mut env.cmd("pg-docker"));
    let err = out.fails(125);
    assert!(
        err.starts_with(&format!("pg-docker: cannot read config {}", a.display())),
        "{out}"
    );
}

#[test]
fn a_system_config_directory_others_can_write_is_refused() {
    let env = env_with_fast_fake();
    std::fs::remove_file(env.user_config_path()).unwrap();
    let path = env.system_config(TWO_ENGINES);
    let dir = path.parent().unwrap();
    std::fs::set_permissions(dir, std::fs::Permissions::from_mode(0o775)).unwrap();
    let out = env.run("pg-docker", ["ps"]);
    assert!(
        out.fails(125)
            .contains(&format!("chmod go-w {}", dir.display())),
        "{out}"
    );
    std::fs::set_permissions(dir, std::fs::Permissions::from_mode(0o755)).unwrap();
    env.run("pg-docker", ["ps"]).ok();
}

#[test]
fn a_hard_linked_docker_is_still_dockmux_and_is_skipped() {
    // A copy of dockmux with a hard link to it named `docker`: same file,
    // another name (the test binary may live on another file system).
    let mut env = Env::new();
    env.user_config(TWO_ENGINES);
    let copy = env.root().join("dockmux");
    copy_dockmux(&copy);
    std::os::unix::fs::symlink(&copy, env.bin.join("pg-docker")).unwrap();
    std::fs::hard_link(&copy, env.bin.join("docker")).unwrap();
    let later = env.root().join("later");
    std::fs::create_dir(&later).unwrap();
    write_fake(&later.join("docker"), &env.record);
    env.var("PATH", format!("{}:{}", env.bin.display(), later.display()));
    env.run("pg-docker", ["ps"]).ok();
    assert_eq!(env.last_call().argv0, later.join("docker"));

    env.var("PATH", env.bin.clone());
    let out = env.run("pg-docker", ["ps"]);
    assert!(out.fails(127).contains("link to dockmux"), "{out}");
}

#[test]
fn depth_counter_values_at_and_around_the_limit_and_junk() {
    let mut env = env_with_fast_fake();
    env.var("FAKE_MODE", "exit").var("FAKE_ARG", "0");
    env.var("DOCKMUX_DEPTH", "9");
    env.run("pg-docker", ["ps"]).ok();
    env.var("DOCKMUX_DEPTH", "10");
    assert!(
        env.run("pg-docker", ["ps"])
            .fails(125)
            .contains("DOCKMUX_DEPTH=10")
    );
    env.var("DOCKMUX_DEPTH", "4294967295");
    assert!(env.run("pg-docker", ["ps"]).fails(125).contains("loop"));
    // Not a count: read as 0, never a crash.
    for junk in ["", "x", "-1", "99999999999999999999", "1e3", " 9"] {
        env.var("DOCKMUX_DEPTH", junk);
        env.run("pg-docker", ["ps"]).ok();
    }
}

#[test]
fn odd_paths_find_the_client_or_say_why() {
    let mut env = env_with_fast_fake();
    env.var("FAKE_MODE", "exit").var("FAKE_ARG", "0");
    // Empty entries (the current directory), relative and missing ones, a long PATH.
    let long = "/nonexistent/dir:".repeat(5000);
    for path in [
        format!("::relative/dir:/nonexistent:{}", env.bin.display()),
        format!("{long}{}", env.bin.display()),
    ] {
        env.var("PATH", &path);
        env.run("pg-docker", ["ps"]).ok();
    }
    // An empty PATH is the current directory alone: no client there.
    env.var("PATH", "");
    assert!(
        env.run("pg-docker", ["ps"])
            .fails(127)
            .contains("not on PATH")
    );
    // No PATH at all: execvp's default, where the real client is installed.
    let mut cmd = env.cmd("pg-docker");
    cmd.env_remove("PATH").arg("--version");
    let out = finishes(&mut cmd);
    assert!(out.ok().starts_with("Docker version"), "{out}");
}

#[test]
fn odd_invocation_names_are_unknown_engines_or_dockmux_not_crashes() {
    let env = env_with_fast_fake();
    // A NAME-docker that no engine has is an unknown engine; a name that is
    // no engine command at all is dockmux under that name (here without a
    // command, so a usage error); an empty one is plain dockmux.
    for (name, says) in [
        (OsString::new(), "Usage: dockmux"),
        (OsString::from("-docker"), "runs as dockmux"),
        (
            OsString::from_vec(b"\xff\xfe-docker".to_vec()),
            "no engine named",
        ),
        (OsString::from("/"), "runs as dockmux"),
        (OsString::from("x".repeat(5000)), "runs as dockmux"),
    ] {
        let mut cmd = Command::new(dockmux_bin());
        cmd.arg0(&name)
            .env_clear()
            .env("HOME", &env.home)
            .env("PATH", &env.path);
        let out = finishes(&mut cmd);
        assert_eq!(out.code, Some(125), "{:?}: {out}", name);
        assert!(out.stderr.contains(says), "{name:?}: {out}");
        assert!(!out.stderr.starts_with(':'), "{name:?}: {out}");
    }
}

#[test]
fn closed_standard_streams_are_no_crash() {
    // The missing-socket note goes to a closed stderr; docker still runs.
    let env = env_with_fast_fake();
    let mut cmd = env.cmd("pg-docker");
    cmd.args(["ps"])
        .env("FAKE_MODE", "exit")
        .env("FAKE_ARG", "4");
    // SAFETY: close() is async-signal-safe.
    unsafe {
        cmd.pre_exec(|| {
            for fd in 0..3 {
                libc::close(fd);
            }
            Ok(())
        });
    }
    let status = cmd.status().unwrap();
    assert_eq!(status.code(), Some(4));
}

/// `cmd` with stdout or stderr (fd 1 or 2) on /dev/full, where every write fails with ENOSPC.
fn to_full(cmd: &mut Command, fd: i32) -> Out {
    let full = std::fs::OpenOptions::new()
        .write(true)
        .open("/dev/full")
        .unwrap();
    if fd == 1 {
        cmd.stdout(full);
    } else {
        cmd.stderr(full);
    }
    let out = Out::from_output(cmd.stdin(Stdio::null()).output().unwrap());
    assert!(
        std::os::unix::process::ExitStatusExt::signal(&out.raw.status).is_none(),
        "{cmd:?} died of a signal: {out}"
    );
    out
}

#[test]
fn a_full_stdout_or_stderr_keeps_the_exit_code() {
    let env = env_with_fast_fake();
    // The missing-socket note cannot be written; docker runs and its code is ours.
    let mut cmd = env.cmd("pg-docker");
    cmd.args(["ps"])
        .env("FAKE_MODE", "exit")
        .env("FAKE_ARG", "4");
    assert_eq!(to_full(&mut cmd, 2).code, Some(4));
    // A refusal that cannot be printed is still a refusal.
    for args in [&["-H", "x", "ps"][..], &["--context", "x", "ps"]] {
        let out = to_full(env.cmd("pg-docker").args(args), 2);
        assert_eq!(out.code, Some(125), "{args:?}");
        assert!(!env.fake_ran(), "{args:?} reached the client");
    }
    let out = to_full(&mut env.dockmux(["nope-docker", "ps"]), 2);
    assert_eq!(out.code, Some(125));
    // dockmux's usage errors, help and lists.
    assert_eq!(to_full(&mut env.dockmux(["nonsense"]), 2).code, Some(125));
    assert_eq!(
        to_full(&mut env.dockmux(["list", "--json"]), 1).code,
        Some(1)
    );
    assert_eq!(to_full(&mut env.dockmux(["--help"]), 1).code, Some(1));
    assert_eq!(to_full(&mut env.dockmux(["--version"]), 1).code, Some(1));
    // add --link does its work and notes (a link dir not on PATH) to a full stderr.
    let dir = env.root().join("links");
    std::fs::create_dir(&dir).unwrap();
    let mut add = env.dockmux([
        "add",
        "box",
        "unix:///box.sock",
        "--alias",
        "boxd",
        "--link",
        "--dir",
    ]);
    add.arg(&dir);
    let out = to_full(&mut add, 2);
    assert_eq!(out.code, Some(0), "{out}");
    assert!(dir.join("box-docker").exists() && dir.join("boxd").exists());
    // And with stdout full too, the report is the error, the work is done.
    let out = to_full(env.dockmux(["link", "box", "--dir"]).arg(&dir), 1);
    assert_eq!(out.code, Some(1), "{out}");
    assert!(
        out.stderr.contains("cannot write to standard output"),
        "{out}"
    );
}

#[test]
fn the_environment_passes_through_untouched_but_for_the_engine() {
    // Non-UTF-8 values, newlines, '=' in values, empty values, many
    // variables: the client sees what it would see run directly, but for
    // the engine's variables.
    let env = Env::new();
    env.user_config(TWO_ENGINES);
    env.fake_docker();
    env.link("pg-docker");
    let direct_record = env.root().join("direct");
    std::fs::create_dir(&direct_record).unwrap();
    let direct_fake = env.root().join("direct-docker");
    write_fake(&direct_fake, &direct_record);
    let mut vars: Vec<(OsString, OsString)> = vec![
        (
            "WEIRD".into(),
            OsString::from_vec(b"\xff\xfe\n=a=b".to_vec()),
        ),
        ("EMPTY".into(), "".into()),
        ("DOCKER_CONFIG".into(), "/keep/me".into()),
        ("DOCKMUX_DEPTHS".into(), "not the counter".into()),
        ("DOCKER_HOSTNAME".into(), "not the host".into()),
        ("DOCKER_HOST".into(), "tcp://wrong:1".into()),
        ("DOCKER_CONTEXT".into(), "other".into()),
        ("DOCKER_TLS_VERIFY".into(), "1".into()),
        // What would steer a build elsewhere (issue 18).
        ("BUILDX_BUILDER".into(), "elsewhere".into()),
        ("BUILDKIT_HOST".into(), "tcp://evil:1234".into()),
    ];
    for i in 0..2000 {
        vars.push((format!("V{i}").into(), format!("value {i}").into()));
    }
    let mut direct = env.program(&direct_fake);
    let mut through = env.cmd("pg-docker");
    for (k, v) in &vars {
        direct.env(k, v);
        through.env(k, v);
    }
    Out::of(direct.arg("ps")).ok();
    Out::of(through.arg("ps")).ok();
    let read = |dir: &std::path::Path| {
        let raw = std::fs::read(dir.join("env")).unwrap();
        let mut m: std::collections::BTreeMap<OsString, OsString> = raw
            .split(|&b| b == 0)
            .filter(|kv| !kv.is_empty())
            .map(|kv| {
                let eq = kv.iter().position(|&b| b == b'=').unwrap();
                (
                    OsStr::from_bytes(&kv[..eq]).to_owned(),
                    OsStr::from_bytes(&kv[eq + 1..]).to_owned(),
                )
            })
            .collect();
        // Set by the fake's own shell.
        m.remove(OsStr::new("PWD"));
        m
    };
    let mut want = read(&direct_record);
    for gone in ["DOCKER_CONTEXT", "DOCKER_TLS_VERIFY", "BUILDKIT_HOST"] {
        assert!(want.remove(OsStr::new(gone)).is_some());
    }
    for (k, v) in [
        ("DOCKER_HOST", "unix:///nonexistent/pg.sock"),
        ("DOCKMUX_ENGINE", "pg"),
        ("DOCKMUX_DEPTH", "1"),
        ("BUILDX_BUILDER", "default"),
    ] {
        want.insert(k.into(), v.into());
    }
    let got = read(&env.record);
    assert_eq!(got.len(), want.len());
    for (k, v) in &want {
        assert_eq!(got.get(k), Some(v), "{k:?}");
    }
}
