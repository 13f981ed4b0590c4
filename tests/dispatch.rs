//! Engine mode against the recording fake docker: routing, argument
//! fidelity, environment hygiene, refused flags, exit codes, recursion.

use std::ffi::OsString;
use std::os::unix::ffi::OsStringExt;
use std::os::unix::fs::PermissionsExt;

use crate::harness::exe::write_executable;
use crate::harness::{Env, TWO_ENGINES, write_fake};

fn env_with_fake() -> Env {
    let env = Env::new();
    env.user_config(TWO_ENGINES);
    env.fake_docker();
    env
}

#[test]
fn pg_docker_runs_docker_against_pg() {
    let env = env_with_fake();
    env.link("pg-docker");
    env.run("pg-docker", ["ps", "-a"]).ok();
    let call = env.last_call();
    assert_eq!(call.args_str(), ["ps", "-a"]);
    assert_eq!(call.var("DOCKER_HOST"), Some("unix:///nonexistent/pg.sock"));
    assert_eq!(call.var("DOCKMUX_ENGINE"), Some("pg"));
    assert_eq!(call.argv0, env.bin.join("docker"));
}

#[test]
fn each_name_reaches_its_own_engine() {
    let env = env_with_fake();
    for (name, host) in [
        ("pg-docker", "unix:///nonexistent/pg.sock"),
        ("playground", "unix:///nonexistent/pg.sock"),
        ("lzc-docker", "unix:///nonexistent/lzc.sock"),
    ] {
        env.link(name);
        env.run(name, ["info"]).ok();
        assert_eq!(env.last_call().var("DOCKER_HOST"), Some(host), "{name}");
    }
}

#[test]
fn dotted_names_are_not_extensions() {
    let env = Env::new();
    env.user_config("[engines.\"db.prod\"]\nhost = \"tcp://db:2375\"\n");
    env.fake_docker();
    env.link("db.prod-docker");
    env.run("db.prod-docker", ["ps"]).ok();
    assert_eq!(env.last_call().var("DOCKER_HOST"), Some("tcp://db:2375"));
}

#[test]
fn busybox_style_without_links() {
    let env = env_with_fake();
    env.dockmux(["lzc-docker", "volume", "ls"])
        .status()
        .unwrap();
    let call = env.last_call();
    assert_eq!(call.args_str(), ["volume", "ls"]);
    assert_eq!(
        call.var("DOCKER_HOST"),
        Some("unix:///nonexistent/lzc.sock")
    );
}

#[test]
fn unknown_engine_names_the_engines_and_the_config() {
    let env = env_with_fake();
    env.link("pgg-docker");
    let out = env.run("pgg-docker", ["ps"]);
    let err = out.fails(125);
    let config = env.user_config_path();
    assert_eq!(
        err.trim_end(),
        format!(
            "pgg-docker: no engine named 'pgg'; known engines: lzc, pg (config: {}); did you mean 'pg-docker'?",
            config.display()
        )
    );
    assert!(!env.fake_ran());
    // Far from any name: no suggestion.
    env.link("zzz-docker");
    let out = env.run("zzz-docker", ["ps"]);
    let err = out.fails(125);
    assert!(!err.contains("did you mean"), "{out}");
    assert!(
        err.contains("to add it: dockmux add zzz HOST --link"),
        "{out}"
    );
}

#[test]
fn arguments_pass_byte_for_byte() {
    let env = env_with_fake();
    env.link("pg-docker");
    let args: Vec<OsString> = vec![
        OsString::from_vec(vec![0xff, 0xfe, b'x']),
        OsString::new(),
        OsString::from("two\nlines"),
        OsString::from("--"),
        OsString::from("-H"),
        OsString::from("with space and 'quotes' \"and\" $VARS `cmd`"),
    ];
    // Arguments after a subcommand are docker's business, -H included.
    let mut all = vec![OsString::from("run")];
    all.extend(args);
    env.cmd("pg-docker").args(&all).status().unwrap();
    assert_eq!(env.last_call().args, all);
}

#[test]
fn environment_is_cleaned_and_set() {
    let mut env = env_with_fake();
    env.var("DOCKER_HOST", "unix:///wrong.sock")
        .var("DOCKER_CONTEXT", "other")
        .var("DOCKER_TLS_VERIFY", "1")
        .var("DOCKER_TLS", "1")
        .var("DOCKER_CERT_PATH", "/certs")
        .var("DOCKER_CONFIG", "/keep/me")
        .var("KEEP", "yes");
    env.link("pg-docker");
    env.run("pg-docker", ["ps"]).ok();
    let call = env.last_call();
    assert_eq!(call.var("DOCKER_HOST"), Some("unix:///nonexistent/pg.sock"));
    for gone in [
        "DOCKER_CONTEXT",
        "DOCKER_TLS_VERIFY",
        "DOCKER_TLS",
        "DOCKER_CERT_PATH",
    ] {
        assert_eq!(call.var(gone), None, "{gone} should be removed");
    }
    assert_eq!(call.var("DOCKER_CONFIG"), Some("/keep/me"));
    assert_eq!(call.var("KEEP"), Some("yes"));
    assert_eq!(call.var("DOCKMUX_DEPTH"), Some("1"));
}

#[test]
fn an_engines_own_tls_is_set() {
    let mut env = Env::new();
    env.user_config(
        "[engines.remote]\nhost = \"tcp://10.0.0.5:2376\"\ntls = { verify = true, cert_path = \"/etc/dockmux/certs/remote\" }\n\
         [engines.lab]\nhost = \"tcp://lab:2376\"\ntls = { verify = false }\n",
    );
    env.fake_docker();
    env.var("DOCKER_CERT_PATH", "/inherited")
        .var("DOCKER_TLS", "1");
    env.link("remote-docker");
    env.link("lab-docker");
    env.run("remote-docker", ["ps"]).ok();
    let call = env.last_call();
    assert_eq!(call.var("DOCKER_TLS_VERIFY"), Some("1"));
    assert_eq!(
        call.var("DOCKER_CERT_PATH"),
        Some("/etc/dockmux/certs/remote")
    );
    assert_eq!(call.var("DOCKER_TLS"), None);
    env.run("lab-docker", ["ps"]).ok();
    let call = env.last_call();
    assert_eq!(call.var("DOCKER_TLS"), Some("1"));
    assert_eq!(call.var("DOCKER_TLS_VERIFY"), None);
    assert_eq!(call.var("DOCKER_CERT_PATH"), None);
}

#[test]
fn host_and_context_overrides_are_refused() {
    let env = env_with_fake();
    env.link("pg-docker");
    for args in [
        &["-H", "unix:///x", "ps"][..],
        &["-Hunix:///x", "ps"],
        &["-H=unix:///x", "ps"],
        &["--host", "unix:///x", "ps"],
        &["--host=unix:///x", "ps"],
        &["-DH", "unix:///x", "ps"],
        &["--context", "other", "ps"],
        &["-c", "other", "ps"],
        &["-cother", "ps"],
        &["--config", "/tmp", "-H", "x", "ps"],
    ] {
        let out = env.run("pg-docker", args);
        let err = out.fails(125);
        assert!(err.starts_with("pg-docker: refusing '"), "{args:?}: {out}");
        assert!(err.contains("plain `docker"), "{args:?}: {out}");
        assert!(!env.fake_ran(), "{args:?} reached docker");
    }
    // After the subcommand, or as a flag's value, they are docker's own.
    for args in [
        &["ps", "-H", "x"][..],
        &["--config", "-H", "ps"],
        &["-l", "debug", "run", "--host", "x"],
    ] {
        env.clear_record();
        env.run("pg-docker", args).ok();
        assert_eq!(env.last_call().args_str(), args);
    }
}

/// Issue 9, items 1 and 2: docker 23+ reads root flags again after a first
/// `--`, and a completion request's words are a command line.
#[test]
fn engine_flags_behind_dashes_or_in_completion_requests_are_refused() {
    let env = env_with_fake();
    env.link("pg-docker");
    let evil = "unix:///tmp/evil.sock";
    let minus_h = format!("-H{evil}");
    let long = format!("--host={evil}");
    for args in [
        &["--", "-H", evil, "version"][..],
        &["--", long.as_str(), "ps"],
        &["--", minus_h.as_str(), "ps"],
        &["-D", "--", "-H", evil, "volume", "ls"],
        &["foo", "-H", evil, "--help"],
    ] {
        let out = env.run("pg-docker", args);
        let err = out.fails(125);
        assert!(err.starts_with("pg-docker: refusing '"), "{args:?}: {out}");
        assert_eq!(out.stdout, "", "{args:?}");
        assert!(!env.fake_ran(), "{args:?} reached docker");
    }
    // TAB offers nothing: no candidates, and no file names either (`:4`).
    for args in [
        &["__complete", "-H", "unix:///tmp/EVIL.sock", "rm", ""][..],
        &["__completeNoDesc", "-H", "unix:///tmp/EVIL.sock", "rm", ""],
        &["__complete", "--", "-H", evil, "rm", ""],
        &["-D", "__complete", "--context=other", "ps", ""],
    ] {
        let out = env.run("pg-docker", args);
        let err = out.fails(125);
        assert!(err.starts_with("pg-docker: refusing '"), "{args:?}: {out}");
        assert_eq!(out.stdout, ":4\n", "{args:?}");
        assert!(!env.fake_ran(), "{args:?} reached docker");
    }
    // What no client sends elsewhere still runs: a second `--`, flags after
    // the command, the context DOCKER_HOST makes.
    for args in [
        &["--", "--", "-H", evil, "version"][..],
        &["--", "ps", "-H", evil],
        &["--", "-c", "other", "version"],
        &["-c", "default", "ps"],
        &["__complete", "ps", "-H", ""],
    ] {
        env.clear_record();
        env.run("pg-docker", args).ok();
        assert_eq!(env.last_call().args_str(), args);
    }
}

#[test]
fn exit_status_is_dockers_and_docker_replaces_dockmux() {
    let env = env_with_fake();
    env.link("pg-docker");
    for code in [0, 1, 3, 125, 126, 127, 255] {
        env.fake_exit(code);
        let mut child = env.cmd("pg-docker").arg("ps").spawn().unwrap();
        let pid = child.id();
        let status = child.wait().unwrap();
        assert_eq!(status.code(), Some(code));
        // exec, not spawn: the fake runs in the very process we started.
        assert_eq!(env.last_call().pid, pid);
    }
}

#[test]
fn missing_socket_note_only_when_the_daemon_is_asked() {
    let env = env_with_fake();
    env.link("pg-docker");
    let out = env.run("pg-docker", ["ps"]);
    out.ok();
    assert_eq!(
        out.stderr,
        "pg-docker: engine 'pg' is not running: no socket at /nonexistent/pg.sock (start the playground)\n"
    );
    for args in [
        &["__complete", "ps", ""][..],
        &["__completeNoDesc", "rm", ""],
        &["completion", "bash"],
        &["--help"],
        &["-v"],
        &["--version"],
    ] {
        let out = env.run("pg-docker", args);
        out.ok();
        assert_eq!(out.stderr, "", "{args:?}");
    }
}

#[test]
fn a_socket_path_that_is_a_file_or_directory_is_named() {
    let env = Env::new();
    let dir = env.root().join("sockdir");
    std::fs::create_dir(&dir).unwrap();
    let file = env.root().join("sockfile");
    std::fs::write(&file, "").unwrap();
    env.user_config(&format!(
        "[engines.d]\nhost = \"unix://{}\"\n[engines.f]\nhost = \"unix://{}\"\n",
        dir.display(),
        file.display()
    ));
    env.fake_docker();
    env.link("d-docker");
    env.link("f-docker");
    let out = env.run("d-docker", ["ps"]);
    assert!(
        out.ok().is_empty() && out.stderr.contains("is a directory, not a socket"),
        "{out}"
    );
    let out = env.run("f-docker", ["ps"]);
    assert!(
        out.stderr.contains("is a regular file, not a socket"),
        "{out}"
    );
}

#[test]
fn a_docker_link_to_dockmux_on_path_is_skipped() {
    let mut env = Env::new();
    env.user_config(TWO_ENGINES);
    env.link("pg-docker");
    // bin/docker is dockmux; the real (fake) client sits later on PATH.
    env.link("docker");
    let later = env.root().join("later");
    std::fs::create_dir(&later).unwrap();
    write_fake(&later.join("docker"), &env.record);
    let path = format!("{}:{}", env.bin.display(), later.display());
    env.var("PATH", path);
    env.run("pg-docker", ["ps"]).ok();
    assert_eq!(env.last_call().argv0, later.join("docker"));
}

#[test]
fn a_path_of_only_dockmux_links_is_a_clear_127() {
    let mut env = Env::new();
    env.user_config(TWO_ENGINES);
    env.link("pg-docker");
    env.link("docker");
    env.var("PATH", env.bin.clone());
    let out = env.run("pg-docker", ["ps"]);
    let err = out.fails(127);
    assert!(err.starts_with("pg-docker: "), "{out}");
    assert!(err.contains("link to dockmux"), "{out}");
}

#[test]
fn no_docker_client_is_127_and_says_what_to_do() {
    let mut env = Env::new();
    env.user_config(TWO_ENGINES);
    env.link("pg-docker");
    env.var("PATH", env.bin.clone());
    let out = env.run("pg-docker", ["ps"]);
    let err = out.fails(127);
    assert!(err.contains("no docker client found on PATH"), "{out}");
    assert!(err.contains("docker = "), "{out}");
}

#[test]
fn a_client_that_is_not_executable_is_126() {
    let mut env = Env::new();
    env.user_config(TWO_ENGINES);
    env.link("pg-docker");
    let docker = env.fake_docker();
    std::fs::set_permissions(&docker, std::fs::Permissions::from_mode(0o644)).unwrap();
    env.var("PATH", env.bin.clone());
    let out = env.run("pg-docker", ["ps"]);
    assert!(out.fails(126).contains("chmod +x"), "{out}");

    // Named in the config, the same.
    env.user_config(&format!("docker = \"{}\"\n{TWO_ENGINES}", docker.display()));
    let out = env.run("pg-docker", ["ps"]);
    assert!(out.fails(126).contains("chmod +x"), "{out}");
}

#[test]
fn the_configured_client_wins_over_path() {
    let env = Env::new();
    env.fake_docker();
    let other = env.root().join("other-docker");
    let rec2 = env.root().join("rec2");
    std::fs::create_dir(&rec2).unwrap();
    write_fake(&other, &rec2);
    env.user_config(&format!("docker = \"{}\"\n{TWO_ENGINES}", other.display()));
    env.link("pg-docker");
    env.run("pg-docker", ["ps"]).ok();
    assert!(rec2.join("argv").exists());
    assert!(!env.fake_ran());
}

#[test]
fn recursion_is_stopped() {
    let mut env = Env::new();
    env.link("pg-docker");
    // A config pointing the client at dockmux itself is refused outright.
    env.user_config(&format!(
        "docker = \"{}\"\n{TWO_ENGINES}",
        env.bin.join("pg-docker").display()
    ));
    let out = env.run("pg-docker", ["ps"]);
    assert!(out.fails(125).contains("is dockmux itself"), "{out}");

    // The depth counter is the backstop.
    env.user_config(TWO_ENGINES);
    env.fake_docker();
    env.var("DOCKMUX_DEPTH", "10");
    let out = env.run("pg-docker", ["ps"]);
    assert!(out.fails(125).contains("loop"), "{out}");
    assert!(!env.fake_ran());
}

#[test]
fn a_docker_wrapper_that_calls_back_into_dockmux_terminates() {
    // `docker` on PATH is a script that runs pg-docker again: a loop that file
    // identity cannot see. The depth counter ends it with an error.
    let mut env = Env::new();
    env.user_config(TWO_ENGINES);
    env.link("pg-docker");
    let docker = env.bin.join("docker");
    write_executable(&docker, "#!/bin/sh\nexec pg-docker \"$@\"\n");
    env.var("PATH", format!("{}:/usr/bin:/bin", env.bin.display()));
    let out = env.run("pg-docker", ["ps"]);
    assert!(out.fails(125).contains("DOCKMUX_DEPTH=10"), "{out}");
}

#[test]
fn a_configured_client_that_is_a_directory_is_refused_at_its_place() {
    let env = Env::new();
    let config = env.user_config(&format!("docker = \"/usr/bin\"\n{TWO_ENGINES}"));
    env.link("pg-docker");
    let out = env.run("pg-docker", ["ps"]);
    let err = out.fails(125);
    assert!(
        err.contains(&format!(
            "docker = \"/usr/bin\" (from {}) is not a program file",
            config.display()
        )),
        "{out}"
    );
}
