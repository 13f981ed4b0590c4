//! `dockmux shell NAME`: plain `docker` bound to one engine, on the real
//! test bed with both real clients, and an interactive bash in tmux.

use std::os::unix::fs::PermissionsExt;
use std::path::PathBuf;

use crate::engines::{bed_env, unique};
use crate::harness::testbed::{self, IMAGE};
use crate::harness::tmux::Tmux;
use crate::harness::{Env, Out};

/// A runtime dir of the test's own (the pinned `docker` link goes there).
fn runtime(env: &mut Env) -> PathBuf {
    let run = env.root().join("run");
    std::fs::create_dir_all(&run).unwrap();
    std::fs::set_permissions(&run, std::fs::Permissions::from_mode(0o700)).unwrap();
    env.var("XDG_RUNTIME_DIR", &run);
    run
}

fn create(env: &Env, cmd: &str, name: &str) {
    env.run(cmd, ["create", "--name", name, "--network", "none", IMAGE])
        .ok();
}

#[test]
fn plain_docker_reaches_the_pinned_engine_and_other_names_their_own() {
    testbed::shared();
    for client in testbed::all_dockers() {
        let mut env = bed_env();
        runtime(&mut env);
        std::fs::remove_file(env.bin.join("docker")).unwrap();
        std::os::unix::fs::symlink(&client, env.bin.join("docker")).unwrap();
        let (on_pg, on_lzc) = (unique("sh-pg"), unique("sh-lzc"));
        create(&env, "pg-docker", &on_pg);
        create(&env, "lzc-docker", &on_lzc);
        let script = "docker ps -a --format '{{.Names}}'; echo ---; \
                      lzc-docker ps -a --format '{{.Names}}'; echo ---; \
                      echo \"$DOCKMUX_SHELL $DOCKMUX_ENGINE $DOCKER_HOST\"";
        let out = Out::of(&mut env.dockmux(["shell", "pg", "--", "sh", "-c", script]));
        let parts: Vec<&str> = out.ok().split("---\n").collect();
        assert_eq!(parts.len(), 3, "{client:?}: {out}");
        let (pg, lzc, vars) = (parts[0], parts[1], parts[2]);
        assert!(pg.lines().any(|l| l == on_pg), "{client:?}: {out}");
        assert!(!pg.lines().any(|l| l == on_lzc), "{client:?}: {out}");
        assert!(lzc.lines().any(|l| l == on_lzc), "{client:?}: {out}");
        assert!(!lzc.lines().any(|l| l == on_pg), "{client:?}: {out}");
        let bed = testbed::shared();
        assert_eq!(vars.trim(), format!("pg pg {}", bed.pg.host), "{out}");
        for (cmd, name) in [("pg-docker", &on_pg), ("lzc-docker", &on_lzc)] {
            env.run(cmd, ["rm", name]).ok();
        }
    }
}

#[test]
fn the_pinned_docker_refuses_what_pg_docker_refuses_and_never_nests() {
    let mut env = Env::new();
    runtime(&mut env);
    env.user_config(
        "[engines.pg]\nhost = \"unix:///nonexistent/pg.sock\"\n\
         [engines.lzc]\nhost = \"unix:///nonexistent/lzc.sock\"\nprotect = true\n",
    );
    env.fake_docker();
    env.link("dockmux");
    let out = Out::of(&mut env.dockmux([
        "shell",
        "pg",
        "--",
        "docker",
        "-H",
        "unix:///nonexistent/lzc.sock",
        "ps",
    ]));
    assert!(
        out.fails(125)
            .contains("refusing '-H': it would send this command to another engine than 'pg'"),
        "{out}"
    );
    assert!(!env.fake_ran(), "{out}");
    let out = Out::of(&mut env.dockmux(["shell", "pg", "--", "docker", "ps"]));
    out.ok();
    let call = env.last_call();
    assert_eq!(call.args_str(), ["ps"]);
    assert_eq!(call.var("DOCKER_HOST"), Some("unix:///nonexistent/pg.sock"));
    let out = Out::of(&mut env.dockmux(["shell", "pg", "--", "dockmux", "shell", "lzc"]));
    assert!(
        out.fails(125).contains(
            "this shell is already pinned to engine 'pg' (dockmux shell); `exit` it first"
        ),
        "{out}"
    );
    // The engine's policy holds for plain docker too.
    env.clear_record();
    let out = Out::of(&mut env.dockmux(["shell", "lzc", "--", "docker", "rm", "web"]));
    assert!(
        out.fails(125)
            .contains("engine 'lzc' is protected: `lzc-docker rm web` removes"),
        "{out}"
    );
    assert!(!env.fake_ran(), "{out}");
    let out = Out::of(&mut env.dockmux(["shell", "nope"]));
    assert!(out.fails(125).contains("nope"), "{out}");
}

#[test]
fn a_pin_dir_someone_else_owns_is_refused() {
    let mut env = Env::new();
    let run = runtime(&mut env);
    env.user_config("[engines.pg]\nhost = \"unix:///nonexistent/pg.sock\"\n");
    env.fake_docker();
    let planted = run.join("dockmux-shell");
    std::fs::create_dir(&planted).unwrap();
    std::os::unix::fs::symlink("/bin/true", planted.join("docker")).unwrap();
    std::os::unix::fs::lchown(&planted, Some(4242), None).unwrap();
    let out = Out::of(&mut env.dockmux(["shell", "pg", "--", "docker", "ps"]));
    assert!(
        out.fails(125)
            .contains("is not a directory only you can enter (owner uid 4242"),
        "{out}"
    );
    assert!(!env.fake_ran());
}

/// An interactive bash in tmux: `dockmux shell pg`, plain docker lists pg's
/// containers, `exit` returns to the shell that started it.
#[test]
fn in_a_terminal_exit_returns_to_the_first_shell() {
    let mut env = bed_env();
    runtime(&mut env);
    env.link("dockmux");
    let on_pg = unique("tty-pg");
    create(&env, "pg-docker", &on_pg);
    let outer = format!(
        "env -i PATH={path} HOME={home} XDG_RUNTIME_DIR={run} DOCKMUX_SYSTEM_CONFIG={sys} \
         SHELL=/bin/bash TERM=xterm PS1='outer$ ' bash --norc --noprofile",
        path = env.path.to_string_lossy(),
        home = env.home.display(),
        run = env.root().join("run").display(),
        sys = env.system_config_path.display(),
    );
    let tmux = Tmux::start("shell", (200, 50), &outer);
    tmux.wait_for("outer$ ");
    tmux.type_line("dockmux shell pg");
    tmux.type_line("echo \"in=$DOCKMUX_SHELL\"");
    tmux.wait_for("in=pg");
    tmux.type_line(&format!(
        "docker ps -a --format '{{{{.Names}}}}' | grep -cx {on_pg}; echo listed-$((1+1))"
    ));
    tmux.wait_for("listed-2");
    tmux.type_line("exit");
    tmux.type_line("echo \"back=[$DOCKMUX_SHELL]\"");
    tmux.wait_for("back=[]");
    let shown = tmux.screen();
    drop(tmux);
    env.run("pg-docker", ["rm", &on_pg]).ok();
    let lines: Vec<&str> = shown.lines().collect();
    let at = lines
        .iter()
        .position(|l| l.contains("| grep -cx tty-pg-"))
        .unwrap();
    assert_eq!(lines[at + 1].trim(), "1", "{shown}");
}
