//! TAB with Debian's docker.io client (20.10), whose `__complete` answers
//! `:0`, "files", for every argument: dockmux answers the arguments that
//! name containers, images, volumes and networks from the engine the
//! command names, as docker 28 would; everything else stays the client's.

use std::io::{Read, Write};
use std::net::{Shutdown, TcpListener};
use std::os::unix::net::{UnixListener, UnixStream};
use std::path::{Path, PathBuf};
use std::process::Command;

use super::{Sh, Term, assert_none, docker_ok, load_line, names, old_docker, shell_env, write_rc};
use crate::engines::unique;
use crate::harness::exe::write_executable;
use crate::harness::testbed::{self, IMAGE};
use crate::harness::{Env, Out};

/// The docker 23+ client the test bed runs; it answers `__complete` with
/// names, and is what an old client's answers are held against.
fn new_docker() -> PathBuf {
    let docker = testbed::real_docker();
    let out = Out::of(Command::new(&docker).arg("--version"));
    let major: Option<u32> = out
        .stdout
        .split("version ")
        .nth(1)
        .and_then(|v| v.split('.').next())
        .and_then(|v| v.parse().ok());
    assert!(
        major.is_some_and(|m| m >= 23),
        "{}: a docker client 23 or later is needed (docker-ce-cli, as ./scripts/test installs): {out}",
        docker.display()
    );
    docker
}

fn config_for(docker: &Path, engines: &[(&str, &str)]) -> String {
    let mut text = format!("docker = \"{}\"\n", docker.display());
    for (name, host) in engines {
        text.push_str(&format!("\n[engines.{name}]\nhost = \"{host}\"\n"));
    }
    text
}

/// `COMMAND __completeNoDesc WORDS… ''`: the candidates, sorted, and the
/// directive line.
fn ask(cmd: &mut Command, words: &[&str]) -> (Vec<String>, String, Out) {
    ask_typed(cmd, words, "")
}

/// The same with `cur` typed.
fn ask_typed(cmd: &mut Command, words: &[&str], cur: &str) -> (Vec<String>, String, Out) {
    let out = Out::of(cmd.arg("__completeNoDesc").args(words).arg(cur));
    let mut lines: Vec<String> = out.stdout.lines().map(String::from).collect();
    let directive = lines.pop().unwrap_or_default();
    lines.sort();
    (lines, directive, out)
}

/// The shells: `pg-docker rm`, `rmi`, `volume rm` and `network rm` list
/// pg's names and none of lzc's (and the other way round); configured
/// again with the 28 client, TAB answers as before.
fn an_old_client_completes_names_from_its_own_engine(sh: Sh) {
    let names = names();
    let bed = testbed::shared();
    let env = shell_env();
    let engines = [("pg", bed.pg.host.as_str()), ("lzc", bed.lzc.host.as_str())];
    env.user_config(&config_for(&old_docker(), &engines));
    write_rc(sh, &env.home, &load_line(sh));
    let term = Term::start(sh, &env, &[&env.bin], &[]);
    let images = |e: &str| names.of(e).map(|n| format!("{n}:v1"));
    for (engine, other) in [("pg", "lzc"), ("lzc", "pg")] {
        for (line, want, unwanted) in [
            ("rm ", names.of(engine), names.of(other)),
            ("rmi ", images(engine), images(other)),
            ("volume rm ", names.of(engine), names.of(other)),
            ("network rm ", names.of(engine), names.of(other)),
        ] {
            let line = format!("{engine}-docker {line}");
            let s = term.complete(&line, 2, &[&want[0], &want[1]]);
            assert_none(&s, &unwanted, &format!("{}: {line}", sh.name()));
        }
    }
    // Subcommands are still the old client's own.
    term.complete("pg-docker volume r", 2, &["rm"]);
    // The 28 client, configured again, answers as ever.
    env.user_config(&config_for(&new_docker(), &engines));
    let s = term.complete(
        "pg-docker rm ",
        2,
        &names.of("pg").each_ref().map(String::as_str),
    );
    assert_none(&s, &names.of("lzc"), "pg-docker rm, client 28");
}

#[test]
fn bash_completes_names_from_its_own_engine_with_the_20_10_client() {
    an_old_client_completes_names_from_its_own_engine(Sh::Bash);
}

#[test]
fn zsh_completes_names_from_its_own_engine_with_the_20_10_client() {
    an_old_client_completes_names_from_its_own_engine(Sh::Zsh);
}

#[test]
fn fish_completes_names_from_its_own_engine_with_the_20_10_client() {
    an_old_client_completes_names_from_its_own_engine(Sh::Fish);
}

/// TAB at a name's place needs the client's version: it is asked once per
/// client file (a docker process costs as much as the client's answer),
/// and again when the file is replaced.
#[test]
fn the_clients_version_is_asked_once_per_client_file() {
    let names = names();
    let bed = testbed::shared();
    let env = Env::new();
    let log = env.root().join("asked");
    let client = env.root().join("client");
    let wrapper = |docker: &Path| {
        format!(
            "#!/bin/sh\n[ \"$1\" = --version ] && echo asked >> '{}'\nexec '{}' \"$@\"\n",
            log.display(),
            docker.display()
        )
    };
    let asked = || {
        std::fs::read_to_string(&log)
            .unwrap_or_default()
            .lines()
            .count()
    };
    write_executable(&client, wrapper(&old_docker()));
    env.user_config(&config_for(&client, &[("pg", bed.pg.host.as_str())]));
    env.link("pg-docker");
    for _ in 0..3 {
        let (ours, directive, out) = ask(&mut env.cmd("pg-docker"), &["rm"]);
        assert!(names.of("pg").iter().all(|n| ours.contains(n)), "{out}");
        assert_eq!(directive, ":4", "{out}");
    }
    assert_eq!(asked(), 1);
    // Another client in its place: asked again.
    write_executable(&client, wrapper(&new_docker()));
    let (ours, _, out) = ask(&mut env.cmd("pg-docker"), &["rm"]);
    assert!(names.of("pg").iter().all(|n| ours.contains(n)), "{out}");
    assert_eq!(asked(), 2);
}

/// An engine with a container in each state, one on another network, a
/// network, a volume and a tagged image: for every command that completes names in
/// docker 28, the 20.10 client through dockmux offers what docker 28
/// offers (its own answer, asked of the same engine, is the expectation).
#[test]
fn an_old_client_offers_what_docker_28_offers() {
    let engine = testbed::private("states");
    let u = unique("s").replace('-', "");
    let n = |w: &str| format!("{w}-{u}");
    let d = |args: &[&str]| docker_ok(&engine, args);
    let none = ["--network", "none", IMAGE];
    d(&[&["create", "--name", &n("created")][..], &none, &["true"]].concat());
    d(&[&["run", "--name", &n("exited")][..], &none, &["true"]].concat());
    for state in ["running", "paused"] {
        d(&[
            &["run", "-d", "--name", &n(state)][..],
            &none,
            &["sleep", "100000"],
        ]
        .concat());
    }
    d(&["pause", &n("paused")]);
    // On the host network, the others on none (a network of its own would
    // be a bridge on the host, which outlives the engine).
    d(&[
        "create",
        "--name",
        &n("wired"),
        "--network",
        "host",
        IMAGE,
        "true",
    ]);
    d(&["network", "create", "--config-only", &n("net")]);
    d(&["volume", "create", &n("vol")]);
    d(&["tag", IMAGE, &format!("{}:v1", n("img"))]);

    let env = Env::new();
    env.user_config(&config_for(&old_docker(), &[("st", engine.host.as_str())]));
    env.link("st-docker");
    let lines: &[&[&str]] = &[
        &["rm"],
        &["rm", "-f"],
        &["container", "rm", "x"],
        &["start"],
        &["container", "start", "-a"],
        &["stop"],
        &["stop", "-t", "5"],
        &["restart"],
        &["kill", "-s", "KILL"],
        &["logs"],
        &["exec"],
        &["exec", "-it", "-u", "root"],
        &["attach"],
        &["container", "inspect"],
        &["port"],
        &["top"],
        &["pause"],
        &["unpause"],
        &["rename"],
        &["wait"],
        &["diff"],
        &["export"],
        &["commit"],
        &["update"],
        &["stats"],
        &["rmi"],
        &["image", "rm"],
        &["run"],
        &["run", "--rm", "--name", "x", "-e", "A=1"],
        &["create"],
        &["push"],
        &["save"],
        &["tag", IMAGE],
        &["history"],
        &["image", "inspect"],
        &["volume", "rm"],
        &["volume", "inspect"],
        &["network", "rm"],
        &["network", "inspect"],
        &["network", "connect", "none"],
        &["network", "connect", "host"],
        &["network", "disconnect", "host"],
    ];
    for words in lines {
        let (ours, directive, out) = ask(&mut env.cmd("st-docker"), words);
        assert_eq!(out.code, Some(0), "{words:?}: {out}");
        let (theirs, their_directive, their_out) = ask(&mut engine.docker(), words);
        assert!(
            !theirs.is_empty(),
            "{words:?}: docker 28 offers nothing: {their_out}"
        );
        assert_eq!(
            (&ours, &directive),
            (&theirs, &their_directive),
            "{words:?}: the 20.10 client through dockmux, then docker 28"
        );
    }

    // Where docker 28 offers nothing: `cp` takes `NAME:` (no space after it,
    // files when no name fits), `inspect` containers and images.
    let listed = |args: &[&str]| -> Vec<String> {
        let out = Out::of(engine.docker().args(args));
        out.ok().lines().map(String::from).collect()
    };
    let containers = listed(&["ps", "-a", "--format", "{{.Names}}"]);
    let tags = listed(&["images", "--format", "{{.Repository}}:{{.Tag}}"]);
    let mut cp: Vec<String> = containers.iter().map(|c| format!("{c}:")).collect();
    cp.sort();
    let (ours, directive, out) = ask(&mut env.cmd("st-docker"), &["cp"]);
    assert_eq!((ours, directive.as_str()), (cp, ":2"), "{out}");
    let (ours, directive, out) = ask_typed(&mut env.cmd("st-docker"), &["cp"], "cr");
    assert_eq!(
        (ours, directive.as_str()),
        (vec![n("created") + ":"], ":2"),
        "{out}"
    );
    // A path inside a container is not listed, and local files would be wrong.
    let in_container = format!("{}:/e", n("created"));
    let (ours, directive, out) = ask_typed(&mut env.cmd("st-docker"), &["cp"], &in_container);
    assert_eq!((ours, directive.as_str()), (vec![], ":4"), "{out}");
    let mut all: Vec<String> = containers.iter().chain(&tags).cloned().collect();
    all.sort();
    let (ours, directive, out) = ask(&mut env.cmd("st-docker"), &["inspect"]);
    assert_eq!((ours, directive.as_str()), (all, ":4"), "{out}");

    // Everything else is the old client's own answer, word for word: flags,
    // a flag's value, subcommands, the command a container runs, a local path.
    for (words, cur) in [
        (&["rm"][..], "--f"),
        (&["stop", "-t"], ""),
        (&["volume"], ""),
        (&["run", IMAGE], ""),
        (&["cp"], "./f"),
    ] {
        let (ours, directive, out) = ask_typed(&mut env.cmd("st-docker"), words, cur);
        let mut old = Command::new(old_docker());
        old.env("DOCKER_HOST", &engine.host);
        let (theirs, their_directive, _) = ask_typed(&mut old, words, cur);
        assert_eq!(
            (ours, directive),
            (theirs, their_directive),
            "{words:?} {cur:?}: {out}"
        );
    }
}

/// Copies bytes both ways between a TCP listener on loopback and a unix
/// socket: an engine reached by `tcp://`, so its names come through the
/// client (`docker ps --format …`), as for tcp and ssh engines.
fn tcp_to(sock: &Path) -> u16 {
    let listener = TcpListener::bind(("127.0.0.1", 0)).unwrap();
    let port = listener.local_addr().unwrap().port();
    let sock = sock.to_path_buf();
    std::thread::spawn(move || {
        for tcp in listener.incoming().flatten() {
            let Ok(unix) = UnixStream::connect(&sock) else {
                continue;
            };
            let (mut from, mut to) = (tcp.try_clone().unwrap(), unix.try_clone().unwrap());
            std::thread::spawn(move || {
                let _ = std::io::copy(&mut from, &mut to);
                let _ = to.shutdown(Shutdown::Write);
            });
            let (mut from, mut to) = (unix, tcp);
            std::thread::spawn(move || {
                let _ = std::io::copy(&mut from, &mut to);
                let _ = to.shutdown(Shutdown::Both);
            });
        }
    });
    port
}

/// A tcp engine that is lzc's daemon: its names are lzc's, through the old
/// client's own listing; and `-H` inside a completion request is refused
/// as on every other path.
#[test]
fn an_old_client_lists_a_tcp_engine_through_the_client() {
    let names = names();
    let bed = testbed::shared();
    let port = tcp_to(&bed.lzc.sock);
    let tcp = format!("tcp://127.0.0.1:{port}");
    let env = Env::new();
    env.user_config(&config_for(
        &old_docker(),
        &[("pg", &bed.pg.host), ("far", &tcp)],
    ));
    env.link("far-docker");
    let images = names.of("lzc").map(|n| format!("{n}:v1"));
    for (words, want) in [
        (&["rm"][..], names.of("lzc")),
        (&["rmi"], images),
        (&["volume", "rm"], names.of("lzc")),
        (&["network", "rm"], names.of("lzc")),
    ] {
        let (got, directive, out) = ask(&mut env.cmd("far-docker"), words);
        assert_eq!(directive, ":4", "{words:?}: {out}");
        for w in &want {
            assert!(got.contains(w), "{words:?}: {w} missing: {out}");
        }
        assert_none(
            &out.stdout,
            &names.of("pg"),
            &format!("far-docker {words:?}"),
        );
    }
    let (got, directive, out) = ask(&mut env.cmd("far-docker"), &["-H", &bed.pg.host, "rm"]);
    assert_eq!(
        (got, directive.as_str(), out.code),
        (vec![], ":4", Some(125)),
        "{out}"
    );
    assert!(out.stderr.contains("-H"), "{out}");
}

/// A unix socket that answers every request with `body` as JSON.
fn fake_engine(path: &Path, body: &'static str) {
    let listener = UnixListener::bind(path).unwrap();
    std::thread::spawn(move || {
        for mut conn in listener.incoming().flatten() {
            let mut head = Vec::new();
            let mut byte = [0u8];
            while !head.ends_with(b"\r\n\r\n") && conn.read(&mut byte).unwrap_or(0) == 1 {
                head.push(byte[0]);
            }
            let _ = write!(
                conn,
                "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{body}",
                body.len()
            );
        }
    });
}

/// Names are the engine's text: one with a control character (a terminal
/// command, a line break that would forge a candidate or the directive,
/// a bidi override) is not offered; the others are.
#[test]
fn names_with_control_characters_are_not_offered() {
    let env = Env::new();
    let sock = env.root().join("evil.sock");
    fake_engine(
        &sock,
        r#"[{"Id":"1","Names":["/good-one"],"State":"exited"},
            {"Id":"2","Names":["/evil\u001b]0;pwned\u0007"],"State":"exited"},
            {"Id":"3","Names":["/two\n:0"],"State":"exited"},
            {"Id":"4","Names":["/tab\there"],"State":"exited"},
            {"Id":"5","Names":["/bidi\u202egnp"],"State":"exited"},
            {"Id":"6","Names":["/good-two"],"State":"created"}]"#,
    );
    env.user_config(&config_for(
        &old_docker(),
        &[("evil", &format!("unix://{}", sock.display()))],
    ));
    env.link("evil-docker");
    let (got, directive, out) = ask(&mut env.cmd("evil-docker"), &["rm"]);
    assert_eq!(
        (got, directive.as_str()),
        (vec!["good-one".to_string(), "good-two".to_string()], ":4"),
        "{out}"
    );
    assert!(!out.stdout.contains('\u{1b}'), "{out}");
}
