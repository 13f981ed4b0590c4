//! What dockmux says: to odd invocation names, to words that are not its
//! commands, when exec's limits or a loop stop it, when its stdout is gone;
//! each message names the real values and gives only the hints that apply.

use std::ffi::OsString;
use std::os::unix::process::CommandExt;
use std::process::Command;

use crate::assert_said;
use crate::harness::testbed;
use crate::harness::{Env, Out, TWO_ENGINES};

fn env_with_fake() -> Env {
    let env = Env::new();
    env.user_config(TWO_ENGINES);
    env.fake_docker();
    env
}

/// dockmux with argv[0] = `name`, in the env's scrubbed environment.
fn invoked_as(env: &Env, name: impl Into<OsString>, args: &[&str]) -> Out {
    let mut cmd = env.dockmux(args);
    cmd.arg0(name.into());
    Out::of(&mut cmd)
}

#[test]
fn a_renamed_binary_acts_as_dockmux_and_says_so_when_it_cannot() {
    let env = env_with_fake();
    env.link("dmx");
    assert_eq!(env.run("dmx", ["list", "--names"]).ok(), "lzc\npg\n");
    // busybox style works under the new name too.
    env.run("dmx", ["pg-docker", "ps"]).ok();
    assert_eq!(
        env.last_call().var("DOCKER_HOST"),
        Some("unix:///nonexistent/pg.sock")
    );
    // `images` is docker's, not dockmux's (`ps` is both); no `add dmx`.
    let images = env.run("dmx", ["images"]);
    images.fails(125);
    // A link named like an alias, mistyped: the alias is offered.
    let mistyped = invoked_as(&env, "playgrond", &["images"]);
    mistyped.fails(125);
    assert_said!(
        &env,
        "renamed_binary",
        &[("dmx images", &images), ("playgrond images", &mistyped)]
    );
}

#[test]
fn an_empty_argv0_is_dockmux_and_messages_never_start_with_a_colon() {
    let env = env_with_fake();
    assert_eq!(invoked_as(&env, "", &["list", "--names"]).ok(), "lzc\npg\n");
    let out = invoked_as(&env, "", &["nonsense"]);
    out.fails(125);
    assert_said!(&env, "empty_argv0", &[("(argv[0] empty) nonsense", &out)]);
}

#[test]
fn a_login_shell_name_runs_its_engine_and_case_gets_a_suggestion() {
    let env = env_with_fake();
    // login(1) starts a login shell as `-NAME`.
    invoked_as(&env, "-pg-docker", &["ps"]).ok();
    assert_eq!(
        env.last_call().var("DOCKER_HOST"),
        Some("unix:///nonexistent/pg.sock")
    );
    env.clear_record();
    let out = invoked_as(&env, "PG-docker", &["ps"]);
    out.fails(125);
    assert_said!(&env, "case_of_an_engine_command", &[("PG-docker ps", &out)]);
    assert!(!env.fake_ran());
}

#[test]
fn an_engine_word_after_dockmux_points_at_the_engine_command() {
    let env = env_with_fake();
    let run = |args: &[&str]| Out::of(&mut env.dockmux(args));
    let lines: [&[&str]; 4] = [
        &["pg", "ps", "-a", "--format", "{{.Names}}"],
        &["playground", "ps"],
        &["lst"],
        &["pgg", "ps"],
    ];
    let outs: Vec<(String, Out)> = lines
        .iter()
        .map(|args| (format!("dockmux {}", args.join(" ")), run(args)))
        .collect();
    for (line, out) in &outs {
        assert_eq!(out.code, Some(125), "{line}: {out}");
    }
    let steps: Vec<(&str, &Out)> = outs.iter().map(|(l, o)| (l.as_str(), o)).collect();
    assert_said!(&env, "engine_word_after_dockmux", &steps);
    assert!(!env.fake_ran());
}

#[test]
fn version_is_a_command_and_a_flag() {
    let env = Env::new();
    let want = format!("dockmux {}\n", env!("CARGO_PKG_VERSION"));
    assert_eq!(Out::of(&mut env.dockmux(["version"])).ok(), want);
    assert_eq!(Out::of(&mut env.dockmux(["--version"])).ok(), want);
}

/// Runs `cmd` with its stdout closed (not /dev/null: no descriptor at all).
fn with_stdout_closed(cmd: &mut Command) -> Out {
    // SAFETY: close() is async-signal-safe.
    unsafe {
        cmd.pre_exec(|| {
            libc::close(1);
            Ok(())
        });
    }
    let child = cmd
        .stdin(std::process::Stdio::null())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    Out::from_output(child.wait_with_output().unwrap())
}

#[test]
fn a_closed_stdout_fails_the_command_before_it_does_anything() {
    let env = env_with_fake();
    let mut outs = Vec::new();
    for args in [
        &["list", "--no-probe"][..],
        &["list", "--names"],
        &["env", "pg"],
        &["config", "show"],
        &["completions", "bash"],
    ] {
        let out = with_stdout_closed(&mut env.dockmux(args));
        out.fails(1);
        outs.push((format!("dockmux {} >&-", args.join(" ")), out));
    }
    let steps: Vec<(&str, &Out)> = outs.iter().map(|(l, o)| (l.as_str(), o)).collect();
    assert_said!(&env, "closed_stdout", &steps);
    // An edit is refused before the config is touched.
    let before = std::fs::read(env.user_config_path()).unwrap();
    let out = with_stdout_closed(&mut env.dockmux(["add", "nas", "ssh://me@nas.invalid"]));
    out.fails(1);
    assert_eq!(std::fs::read(env.user_config_path()).unwrap(), before);
}

#[test]
fn a_value_over_execs_limit_is_named_with_its_fix() {
    let env = Env::new();
    let long = format!("/{}", "c".repeat(200_000));
    env.user_config(&format!(
        "[engines.big]\nhost = \"tcp://127.0.0.1:2376\"\ntls = {{ verify = true, cert_path = \"{long}\" }}\n"
    ));
    env.fake_docker();
    env.link("big-docker");
    let engine = env.run("big-docker", ["ps"]);
    engine.fails(126);
    let exec = Out::of(&mut env.dockmux(["exec", "big", "true"]));
    exec.fails(126);
    assert_said!(
        &env,
        "value_over_execs_limit",
        &[("big-docker ps", &engine), ("dockmux exec big true", &exec)]
    );
    assert!(!env.fake_ran());
}

#[test]
fn a_wrapper_loop_says_the_engine_is_down_once_and_names_the_client() {
    let env = Env::new();
    env.user_config(TWO_ENGINES);
    // `docker` is a script that runs an engine command: a loop.
    let wrapper = env.bin.join("docker");
    crate::harness::exe::write_executable(&wrapper, "#!/bin/sh\nexec pg-docker \"$@\"\n");
    env.link("pg-docker");
    let out = env.run("pg-docker", ["ps"]);
    out.fails(125);
    assert_said!(&env, "wrapper_loop", &[("pg-docker ps", &out)]);
}

#[test]
fn the_engines_hint_comes_only_with_a_missing_socket() {
    let env = Env::new();
    let dir = env.root().join("not-a-socket");
    std::fs::create_dir(&dir).unwrap();
    env.user_config(&format!(
        "[engines.pg]\nhost = \"unix://{}\"\nhint = \"start the playground\"\n\n\
         [engines.gone]\nhost = \"unix:///nonexistent/gone.sock\"\nhint = \"start gone\"\n",
        dir.display()
    ));
    env.fake_docker();
    env.link("pg-docker");
    env.link("gone-docker");
    let dir_host = env.run("pg-docker", ["ps"]);
    dir_host.ok();
    let gone = env.run("gone-docker", ["ps"]);
    assert_said!(
        &env,
        "engines_hint",
        &[("pg-docker ps", &dir_host), ("gone-docker ps", &gone)]
    );
}

#[test]
fn how_to_add_an_engine_is_said_where_the_engine_would_be_used() {
    let env = env_with_fake();
    env.link("nas-docker");
    // Where the engine would be used, how to add it; where it would be
    // changed, only that there is none.
    let mut outs = vec![("nas-docker ps".to_string(), env.run("nas-docker", ["ps"]))];
    for args in [
        &["exec", "nas", "true"][..],
        &["env", "nas"],
        &["link", "nas"],
        &["remove", "nas"],
        &["rename", "nas", "box"],
        &["unlink", "nas"],
        &["list", "nas"],
    ] {
        outs.push((
            format!("dockmux {}", args.join(" ")),
            Out::of(&mut env.dockmux(args)),
        ));
    }
    for (line, out) in &outs {
        assert_eq!(out.code, Some(125), "{line}: {out}");
    }
    let steps: Vec<(&str, &Out)> = outs.iter().map(|(l, o)| (l.as_str(), o)).collect();
    assert_said!(&env, "how_to_add_an_engine", &steps);
}

#[test]
fn list_takes_names_commands_and_patterns() {
    let env = env_with_fake();
    let list = |args: &[&str]| {
        let mut all = vec!["list", "--names"];
        all.extend_from_slice(args);
        Out::of(&mut env.dockmux(all))
    };
    assert_eq!(list(&["pg"]).ok(), "pg\n");
    assert_eq!(list(&["playground"]).ok(), "pg\n");
    assert_eq!(list(&["l*"]).ok(), "lzc\n");
    assert_eq!(list(&["*-docker"]).ok(), "lzc\npg\n");
    assert_eq!(list(&["pg", "lzc"]).ok(), "lzc\npg\n");
    let near = list(&["pgg"]);
    near.fails(125);
    let none = list(&["z*"]);
    none.fails(125);
    assert_said!(
        &env,
        "list_selection",
        &[
            ("dockmux list --names pgg", &near),
            ("dockmux list --names 'z*'", &none)
        ]
    );
    // The table and --json hold only the engines asked about.
    let out = Out::of(&mut env.dockmux(["list", "lzc", "--no-probe"]));
    assert!(!out.ok().contains("pg"), "{out}");
    let out = Out::of(&mut env.dockmux(["list", "lzc", "--json"]));
    let v: serde_json::Value = serde_json::from_str(out.ok()).unwrap();
    assert_eq!(v.as_array().unwrap().len(), 1, "{out}");
    assert_eq!(v[0]["name"], "lzc");
}

#[test]
fn an_ssh_engines_fix_names_its_own_user_host_and_port() {
    let env = Env::new();
    // Port 1 on loopback: nothing listens, ssh fails at once.
    env.user_config("[engines.nas]\nhost = \"ssh://me@127.0.0.1:1\"\n");
    std::os::unix::fs::symlink(testbed::real_docker(), env.bin.join("docker")).unwrap();
    let out = Out::of(&mut env.dockmux(["list", "--timeout", "20s"]));
    let text = out.ok();
    assert!(
        text.contains(
            "fix: check that `ssh -p 1 me@127.0.0.1 docker version` works from this shell"
        ),
        "{out}"
    );
    assert!(!text.contains("USER@HOST"), "{out}");
}

/// The fix in `text` that starts after `open` and ends at `close`.
fn fix_in<'a>(text: &'a str, open: &str, close: char) -> &'a str {
    let rest = text
        .split_once(open)
        .unwrap_or_else(|| panic!("no {open:?} in {text}"))
        .1;
    &rest[..rest
        .find(close)
        .unwrap_or_else(|| panic!("no {close:?} in {rest}"))]
}

/// Every fix that holds a value quotes it: pasted into sh, a fix naming a
/// directory called `x;touch PWN` does what it says and nothing else.
#[test]
fn suggested_fixes_run_as_written_when_pasted_into_a_shell() {
    let env = env_with_fake();
    let evil = env.root().join("x;touch PWN");
    let pwn = env.root().join("PWN");
    let sh = |line: &str| {
        let out = Out::of(
            Command::new("/bin/sh")
                .args(["-c", line])
                .current_dir(env.root()),
        );
        assert!(!pwn.exists(), "`{line}` ran more than it says");
        out
    };
    let d = evil.to_str().unwrap();
    for args in [
        &["link", "--dir", d][..],
        &["install", "--dir", d][..],
        &["add", "nas", "unix:///run/nas.sock", "--link", "--dir", d][..],
    ] {
        let out = Out::of(&mut env.dockmux(args));
        let err = out.fails(125);
        let dir = fix_in(err, "(mkdir -p ", ')');
        sh(&format!("mkdir -p {dir}")).ok();
        assert!(evil.is_dir(), "{args:?}: {out}");
        std::fs::remove_dir(&evil).unwrap();
    }
    // Links in a directory not on PATH: the note's PATH line.
    std::fs::create_dir(&evil).unwrap();
    let out = Out::of(&mut env.dockmux(["link", "--dir", d]));
    out.ok();
    let export = fix_in(&out.stderr, "add it (", ')');
    let path = sh(&format!("{export}; printf %s \"$PATH\""));
    assert!(path.ok().starts_with(&format!("{d}:")), "{export}: {path}");
    // A config others can write: doctor's chmod.
    let cfg = evil.join("engines.toml");
    std::fs::write(&cfg, "[engines.x]\nhost = \"unix:///x.sock\"\n").unwrap();
    std::fs::set_permissions(&cfg, std::os::unix::fs::PermissionsExt::from_mode(0o666)).unwrap();
    let mut doctor = env.dockmux(["doctor", "--timeout", "100ms"]);
    doctor.env("DOCKMUX_CONFIG", &cfg);
    let out = Out::of(&mut doctor);
    let chmod = fix_in(&out.stdout, "fix: chmod", '\n');
    sh(&format!("chmod{chmod}")).ok();
    let mode =
        std::os::unix::fs::PermissionsExt::mode(&std::fs::metadata(&cfg).unwrap().permissions());
    assert_eq!(mode & 0o777, 0o644, "{out}");
}
