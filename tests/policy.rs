//! Protected and read-only engines (issue 14), against the recording fake
//! client: every spelling of every command in dockmux's copy of docker's
//! command tree (which `the_tree_is_the_clients_own` holds to both real
//! clients), judged against lists written here from docker's reference
//! docs, not from src/engine/policy. Then the real tty prompt in tmux, and a prune
//! on the real test bed.

use std::path::Path;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use dockmux::engine::line::tree::{NODES, PLUGIN, RUN_FLAGS, RUN_SHORTHANDS, V20, V28};

use crate::hardening::fake_client;
use crate::harness::testbed::{self, IMAGE};
use crate::harness::tmux::Tmux;
use crate::harness::{Env, Out};

const CONFIG: &str = r#"
[engines.lzc]
host = "unix:///nonexistent/lzc.sock"
description = "the app store"
protect = true

[engines.audit]
host = "unix:///nonexistent/audit.sock"
readonly = true

[engines.pg]
host = "unix:///nonexistent/pg.sock"
"#;

fn env() -> Env {
    let env = Env::new();
    env.user_config(CONFIG);
    std::os::unix::fs::symlink(fake_client(), env.bin.join("docker")).unwrap();
    for l in ["lzc-docker", "audit-docker", "pg-docker"] {
        env.link(l);
    }
    env
}

/// docker's reference, per object: the commands that remove, kill, stop,
/// prune or overwrite (docs.docker.com/reference/cli/docker/…; compose and
/// buildx from theirs).
const DESTRUCTIVE: &[(&str, &[&str])] = &[
    (
        "container",
        &[
            "rm", "kill", "stop", "restart", "pause", "rename", "prune", "update",
        ],
    ),
    ("image", &["rm", "prune", "tag", "load"]),
    ("volume", &["rm", "prune"]),
    ("network", &["rm", "prune", "disconnect"]),
    ("builder", &["prune"]),
    ("system", &["prune"]),
    ("swarm", &["leave"]),
    // Issue 18 item 7: what removes or replaces tasks, nodes, a cluster or contexts.
    ("service", &["rm", "scale", "update", "rollback", "create"]),
    ("stack", &["rm", "deploy"]),
    ("secret", &["rm"]),
    ("config", &["rm"]),
    ("node", &["rm", "demote"]),
    ("plugin", &["rm", "disable", "install", "upgrade", "set"]),
    ("checkpoint", &["rm"]),
    ("context", &["rm"]),
    // With the arguments `args_for` gives them: into a container, over a name.
    ("container", &["cp"]),
    ("image", &["import"]),
    (
        "compose",
        &[
            "down", "rm", "kill", "stop", "restart", "pause", "scale", "up", "create", "run",
            "watch",
        ],
    ),
    ("buildx", &["prune", "rm", "stop"]),
    ("buildx history", &["rm"]),
];

/// …and the commands that only read (the read-only engine's allow-list).
const READING: &[(&str, &[&str])] = &[
    (
        "container",
        &[
            "ls", "inspect", "logs", "top", "stats", "port", "diff", "wait", "export",
        ],
    ),
    ("image", &["ls", "inspect", "history", "save"]),
    ("system", &["df", "info", "events"]),
    ("volume", &["ls", "inspect"]),
    ("network", &["ls", "inspect"]),
    ("node", &["ls", "inspect", "ps"]),
    ("service", &["ls", "inspect", "logs", "ps"]),
    ("stack", &["ls", "ps", "services", "config"]),
    ("secret", &["ls", "inspect"]),
    ("config", &["ls", "inspect"]),
    ("plugin", &["ls", "inspect"]),
    ("checkpoint", &["ls"]),
    ("context", &["ls", "inspect", "show"]),
    ("manifest", &["inspect"]),
    ("trust", &["inspect"]),
    ("", &["inspect", "version", "search"]),
    (
        "compose",
        &[
            "ps", "ls", "logs", "config", "images", "top", "events", "port", "version", "stats",
            "volumes",
        ],
    ),
    ("buildx", &["ls", "inspect", "du", "version"]),
    ("buildx history", &["ls", "inspect", "logs", "trace"]),
    ("buildx imagetools", &["inspect"]),
];

fn listed(list: &[(&str, &[&str])], path: &str) -> bool {
    list.iter().any(|(object, verbs)| {
        verbs.iter().any(|v| {
            let full = if object.is_empty() {
                v.to_string()
            } else {
                format!("{object} {v}")
            };
            full == path
        })
    })
}

/// Arguments that make each command do its thing.
fn args_for(canonical: &str) -> Vec<&'static str> {
    match canonical {
        "image import" => vec!["f.tar", "name:1"],
        "container cp" => vec!["./f", "app:/etc/f"],
        "image tag" => vec!["a", "b"],
        "container run" | "container create" => vec!["alpine"],
        "compose scale" => vec!["web=0"],
        _ => vec!["x"],
    }
}

/// Every way to type `node`: each name or alias at each level.
fn spellings(path: &str) -> Vec<Vec<&'static str>> {
    let words: Vec<&str> = path.split(' ').collect();
    let mut out: Vec<Vec<&'static str>> = vec![vec![]];
    for k in 1..=words.len() {
        let prefix = words[..k].join(" ");
        let node = NODES
            .iter()
            .find(|n| n.path == prefix)
            .expect("every level is a node");
        out = out
            .into_iter()
            .flat_map(|s| {
                node.names().map(move |name| {
                    let mut s = s.clone();
                    s.push(name);
                    s
                })
            })
            .collect();
    }
    out
}

fn is_group(path: &str) -> bool {
    NODES
        .iter()
        .any(|n| n.path.starts_with(&format!("{path} ")))
}

/// What a fake-client run printed when it ran with `args`.
fn ran_with(out: &Out, args: &[String]) -> bool {
    let mut want = Vec::new();
    for a in args {
        want.extend_from_slice(a.as_bytes());
        want.push(0);
    }
    out.code == Some(0) && out.raw.stdout == want
}

/// Global flags, the command as spelled, and arguments that make it act.
fn command_line(prefix: &[&str], spelling: &[&str], canonical: &str) -> Vec<String> {
    prefix
        .iter()
        .chain(spelling)
        .chain(&args_for(canonical))
        .map(|s| s.to_string())
        .collect()
}

const PREFIXES: &[&[&str]] = &[
    &[],
    &["-l", "debug"],
    &["--log-level=info"],
    &["-D", "--config", "/nonexistent/cfg"],
    &["--"],
];

#[test]
fn a_protected_engine_holds_every_destructive_spelling_and_runs_the_rest() {
    let env = env();
    let (mut held, mut passed) = (0, 0);
    for node in NODES.iter().filter(|n| !is_group(n.path)) {
        let destructive = listed(DESTRUCTIVE, node.same_as);
        let prefixes = if destructive {
            PREFIXES
        } else {
            &PREFIXES[..2]
        };
        for spelling in spellings(node.path) {
            for prefix in prefixes {
                let args = command_line(prefix, &spelling, node.same_as);
                let out = env.run("lzc-docker", &args);
                if destructive {
                    let err = out.fails(125);
                    assert!(
                        err.contains("engine 'lzc' (the app store) is protected")
                            && err.contains("DOCKMUX_CONFIRM=lzc")
                            && out.stdout.is_empty(),
                        "{args:?}: {out}"
                    );
                    held += 1;
                } else {
                    assert!(ran_with(&out, &args), "{args:?} should run: {out}");
                    passed += 1;
                }
            }
        }
    }
    // The same commands, with arguments that overwrite nothing, run.
    for args in [
        &["cp", "app:/etc/f", "./f"][..],
        &["image", "import", "f.tar"],
        &["import", "-"],
    ] {
        let args: Vec<String> = args.iter().map(|s| s.to_string()).collect();
        let out = env.run("lzc-docker", &args);
        assert!(ran_with(&out, &args), "{args:?} should run: {out}");
    }
    eprintln!("protect: {held} destructive spellings held, {passed} others ran");
    assert!(held > 300 && passed > 200, "{held} {passed}");
}

#[test]
fn a_read_only_engine_runs_only_reading_commands() {
    let env = env();
    let (mut refused, mut passed) = (0, 0);
    for node in NODES.iter().filter(|n| !is_group(n.path)) {
        let reads = listed(READING, node.same_as);
        for spelling in spellings(node.path) {
            for prefix in &PREFIXES[..2] {
                let args = command_line(prefix, &spelling, node.same_as);
                let out = env.run("audit-docker", &args);
                if reads {
                    assert!(ran_with(&out, &args), "{args:?} should run: {out}");
                    passed += 1;
                } else {
                    let err = out.fails(125);
                    assert!(
                        err.contains("engine 'audit' is read-only")
                            && err.contains("readonly = true")
                            && out.stdout.is_empty(),
                        "{args:?}: {out}"
                    );
                    refused += 1;
                }
            }
        }
    }
    // Reading cp (out of a container) runs; a command dockmux does not know is refused.
    for (args, runs) in [
        (&["cp", "app:/etc/f", "./f"][..], true),
        (&["cp", "/etc/f", "app:/etc/f"], false),
        (&["nonsense-plugin", "ls"], false),
        (&[], true),
        (&["volume"], true),
    ] {
        let args: Vec<String> = args.iter().map(|s| s.to_string()).collect();
        let out = env.run("audit-docker", &args);
        assert_eq!(ran_with(&out, &args), runs, "{args:?}: {out}");
    }
    eprintln!("readonly: {refused} spellings refused, {passed} reading ones ran");
    assert!(refused > 300 && passed > 100, "{refused} {passed}");
}

#[test]
fn run_and_create_that_would_give_a_container_the_box_are_held() {
    let env = env();
    let held: &[&[&str]] = &[
        &["--privileged"],
        &["--privileged=true"],
        &["--privileged=1"],
        &["-it", "--privileged"],
        &["--cap-add", "SYS_ADMIN"],
        &["--cap-add=sys_admin"],
        &["--cap-add", "CAP_SYS_ADMIN"],
        &["--cap-add=cap_sys_admin"],
        &["--cap-add", "ALL"],
        &["--cap-add=all"],
        &["--cap-add", "NET_ADMIN", "--cap-add", "SYS_MODULE"],
        &["--pid", "host"],
        &["--pid=host"],
        &["--userns", "host"],
        &["--userns=host"],
        &["-v", "/:/host"],
        &["-v/:/host"],
        &["-itv", "/:/host"],
        &["--volume", "/:/host:ro"],
        &["--volume=//:/host"],
        &["-v", "/var/../:/host"],
        &["-v", "/var:/v"],
        &["-v", "/var/lib/docker/volumes:/v"],
        &["-v", "/nonexistent:/s"],
        &["--mount", "type=bind,source=/,target=/host"],
        &["--mount=type=bind,src=/var/lib,dst=/l"],
        &["--mount", "Type=BIND,Source=/,Target=/h,readonly"],
        &["--mount", "\"type=bind\",\"source=/\",target=/h"],
        // Issue 18: what reaches past the sandbox by any route, held by default.
        &["--cap-add", "NET_ADMIN"],
        &["--pid", "container:app"],
        &["--network=container:app"],
        &["--net", "host"],
        &["--network", "name=host,alias=x"],
        &["--ipc=host"],
        &["--uts", "host"],
        &["--cgroupns=host"],
        &["--security-opt", "seccomp=unconfined"],
        &["--security-opt=no-new-privileges=false"],
        &["--device", "/dev/loop0:/dev/x"],
        &["--device=/dev/sda"],
        &["--device-cgroup-rule", "b 7:* rwm"],
        &["--gpus", "all"],
        &["--volumes-from", "app"],
        &["--use-api-socket"],
        &["--annotation", "x=y"],
        &["--some-future-flag", "x"],
        &["-h", "1", "--privileged"],
        &["-h=true", "--privileged"],
        &["-v", "/home/me/src:/src"],
        &["-v", ".:/h"],
        &["-v", "..:/h"],
        &["-v", "~:/h"],
        &["-v", "~/x:/h"],
        &["-v", "data:/data"],
        &["--mount", "type=volume,source=v,target=/"],
        &[
            "--mount",
            "type=volume,dst=/h,volume-opt=type=none,volume-opt=o=bind,volume-opt=device=/",
        ],
        &["--mount", "dst=/h,volume-opt=device=/dev/sda"],
        &["--mount", "type=npipe,src=x,dst=/y"],
        // A network is asked of the engine (its driver may be host); this
        // engine cannot be asked.
        &["--network", "appnet"],
        &["--net=0123abcd"],
    ];
    // Plainly safe, and judged without asking the engine.
    let safe: &[&[&str]] = &[
        &[],
        &["--privileged=false"],
        &["--cap-drop", "ALL"],
        &["-v", "/data"],
        &["--volume=/data"],
        &["--tmpfs", "/t"],
        &["--mount", "type=tmpfs,dst=/t"],
        &["--mount", "type=volume,dst=/anon"],
        &["--security-opt", "no-new-privileges"],
        &["--network", "none", "--pid=", "--ipc", "private"],
        &["--network=bridge"],
        &["-e", "--privileged"],
        &["--name", "--privileged"],
        &["-h", "box", "-it", "--rm", "-p", "8080:80", "-m", "64m"],
    ];
    for cmd in [
        &["run"][..],
        &["create"],
        &["container", "run"],
        &["container", "create"],
    ] {
        for (flags, hold) in held
            .iter()
            .map(|f| (f, true))
            .chain(safe.iter().map(|f| (f, false)))
        {
            let args: Vec<String> = cmd
                .iter()
                .chain(flags.iter())
                .chain(&["alpine", "sh"])
                .map(|s| s.to_string())
                .collect();
            let out = env.run("lzc-docker", &args);
            if hold {
                assert!(out.fails(125).contains("is protected"), "{args:?}: {out}");
            } else {
                assert!(ran_with(&out, &args), "{args:?} should run: {out}");
            }
        }
    }
    // After the image, the words are the container's.
    let args: Vec<String> = ["run", "alpine", "sh", "--privileged", "-v", "/:/h"]
        .map(String::from)
        .to_vec();
    assert!(ran_with(&env.run("lzc-docker", &args), &args));
}

#[test]
fn help_and_completion_are_never_held() {
    let env = env();
    for engine in ["lzc-docker", "audit-docker"] {
        for args in [
            &["system", "prune", "-af", "--help"][..],
            &["rm", "--help"],
            &["rm", "-fh", "x"],
            &["container", "--help", "rm", "x"],
            &["compose", "down", "--help"],
            &["run", "--privileged", "--help", "alpine"],
            &["help", "rm"],
            &["__complete", "rm", ""],
            &["__completeNoDesc", "system", "prune", ""],
            &["completion", "bash"],
        ] {
            let args: Vec<String> = args.iter().map(|s| s.to_string()).collect();
            let out = env.run(engine, &args);
            assert!(ran_with(&out, &args), "{engine} {args:?}: {out}");
        }
        // Words that only look like help requests are not.
        for args in [
            &["rm", "--help=false", "x"][..],
            &["rm", "x", "--", "--help"],
            &["stop", "-t", "--help", "x"],
            &["run", "--privileged", "alpine", "--help"],
        ] {
            let out = env.run(engine, args);
            assert_eq!(out.code, Some(125), "{engine} {args:?}: {out}");
        }
    }
}

#[test]
fn dockmux_confirm_must_name_the_engine() {
    let mut env = env();
    let args = ["system", "prune", "-af"];
    env.var("DOCKMUX_CONFIRM", "lzc");
    let out = env.run("lzc-docker", args);
    assert!(ran_with(&out, &args.map(String::from)), "{out}");
    for wrong in ["1", "yes", "pg", "LZC", "lzc ", ""] {
        let mut env = self::env();
        env.var("DOCKMUX_CONFIRM", wrong);
        let out = env.run("lzc-docker", args);
        let err = out.fails(125);
        assert!(out.stdout.is_empty(), "{wrong:?}: {out}");
        assert!(
            err.contains("DOCKMUX_CONFIRM=lzc lzc-docker system prune -af"),
            "{err}"
        );
        if !wrong.is_empty() {
            assert!(
                err.contains(&format!("DOCKMUX_CONFIRM={wrong} is not 'lzc'")),
                "{err}"
            );
        }
    }
    // No policy, nothing asked: an engine without one runs anything.
    let env = self::env();
    let out = env.run("pg-docker", args);
    assert!(ran_with(&out, &args.map(String::from)), "{out}");
    // Read-only has no override.
    let mut env = self::env();
    env.var("DOCKMUX_CONFIRM", "audit");
    assert_eq!(env.run("audit-docker", ["rm", "x"]).code, Some(125));
}

#[test]
fn the_built_in_lazycat_config_protects_lzc() {
    let env = Env::new();
    std::os::unix::fs::symlink(fake_client(), env.bin.join("docker")).unwrap();
    env.link("lzc-docker");
    env.link("pg-docker");
    let out = env.run("lzc-docker", ["rm", "-f", "app"]);
    assert!(
        out.fails(125)
            .contains("engine 'lzc' (LazyCat app store engine) is protected"),
        "{out}"
    );
    let out = env.run("pg-docker", ["rm", "-f", "app"]);
    assert!(
        ran_with(&out, &["rm", "-f", "app"].map(String::from)),
        "{out}"
    );
}

// ---- the tree against the real clients ----

/// What a client's help says about one command: its aliases at its own
/// level, its subcommands, its flags that take a value.
struct Help {
    aliases: Vec<String>,
    subs: Vec<String>,
    value_flags: Vec<String>,
}

fn client_says(client: &Path, args: &[&str]) -> String {
    let out = Command::new(client)
        .args(args)
        .env_clear()
        .env("DOCKER_HOST", "unix:///nonexistent.sock")
        .env("DOCKER_CONFIG", "/nonexistent/docker-config")
        .env("HOME", "/nonexistent")
        .stdin(Stdio::null())
        .output()
        .unwrap();
    String::from_utf8_lossy(&out.stdout).into_owned()
}

fn help(client: &Path, path: &[String]) -> Help {
    let mut args: Vec<&str> = path.iter().map(String::as_str).collect();
    args.push("--help");
    let text = client_says(client, &args);
    let mut h = Help {
        aliases: vec![],
        subs: vec![],
        value_flags: vec![],
    };
    let mut section = "";
    for line in text.lines() {
        if !line.starts_with(' ') {
            section = line;
            continue;
        }
        let t = line.trim();
        match section {
            "Aliases:" => {
                for a in t.split(", ") {
                    // 28.x writes whole command lines; 20.10 the names.
                    let words: Vec<&str> = a.split(' ').collect();
                    let mine = match words.as_slice() {
                        ["docker", rest @ ..]
                            if rest.len() == path.len()
                                && rest[..rest.len() - 1] == path[..path.len() - 1] =>
                        {
                            rest.last().copied()
                        }
                        [name] => Some(*name),
                        _ => None,
                    };
                    if let Some(m) = mine.filter(|m| *m != path.last().unwrap()) {
                        h.aliases.push(m.to_string());
                    }
                }
            }
            s if s.ends_with("Commands:") => {
                h.subs.push(
                    t.split_whitespace()
                        .next()
                        .unwrap()
                        .trim_end_matches('*')
                        .to_string(),
                );
            }
            "Options:" | "Flags:" if t.starts_with('-') => {
                // `-t, --time int   Seconds…`: a type after the name takes a value.
                let spec = t.split("  ").next().unwrap();
                let words: Vec<&str> = spec.split_whitespace().collect();
                if let Some(long) = words.iter().find(|w| w.starts_with("--"))
                    && words.last() != Some(long)
                {
                    h.value_flags
                        .push(long.trim_start_matches("--").to_string());
                }
            }
            _ => {}
        }
    }
    if !h.subs.is_empty() || path.is_empty() {
        // Help leaves out experimental commands (20.10's checkpoint); cobra's
        // completion lists every command that runs.
        let mut args: Vec<&str> = vec!["__complete"];
        args.extend(path.iter().map(String::as_str));
        args.push("");
        for line in client_says(client, &args).lines() {
            let word = line.split('\t').next().unwrap_or("");
            if !word.is_empty()
                && !word.starts_with([':', '-'])
                && !h.subs.iter().any(|s| s == word)
            {
                h.subs.push(word.to_string());
            }
        }
    }
    h
}

#[test]
fn the_tree_is_the_clients_own() {
    for (client, bit) in [("/usr/bin/docker", V20), ("/usr/local/bin/docker", V28)] {
        let client = Path::new(client);
        assert!(
            client.exists(),
            "{} is missing: ./scripts/test installs docker.io; the 28.x client is in /usr/local/bin on the test machine",
            client.display()
        );
        let mut seen = Vec::new();
        let mut todo: Vec<Vec<String>> = help(client, &[])
            .subs
            .into_iter()
            .filter(|s| s != "help" && s != "completion")
            .map(|s| vec![s])
            .collect();
        while let Some(path) = todo.pop() {
            let h = help(client, &path);
            let joined = path.join(" ");
            let node = NODES.iter().find(|n| n.path == joined).unwrap_or_else(|| {
                panic!(
                    "{}: `docker {joined}` is not in crates/dockmux-engine/src/engine/line/tree.rs",
                    client.display()
                )
            });
            assert!(
                node.clients & bit != 0,
                "{joined}: not marked for {}",
                client.display()
            );
            for a in &h.aliases {
                assert!(
                    node.aliases.contains(&a.as_str()),
                    "{joined}: alias {a} missing"
                );
            }
            for f in &h.value_flags {
                assert!(
                    node.long.contains(&f.as_str()),
                    "{joined}: --{f} takes a value"
                );
            }
            todo.extend(h.subs.iter().map(|s| {
                let mut p = path.clone();
                p.push(s.clone());
                p
            }));
            seen.push(joined);
        }
        for node in NODES.iter().filter(|n| n.clients & bit != 0) {
            assert!(
                seen.contains(&node.path.to_string()),
                "{}: {} has no `{}`",
                client.display(),
                client.display(),
                node.path
            );
        }
        eprintln!(
            "{}: {} commands, all in the tree",
            client.display(),
            seen.len()
        );
    }
    assert!(
        NODES
            .iter()
            .any(|n| n.clients == PLUGIN && n.path == "compose down")
    );
}

/// run and create are judged flag by flag from tree.rs's RUN_FLAGS (its
/// shorthands and its marks of the flags that keep a container in its
/// sandbox): every flag of both clients' run and create is there with its
/// shorthand, so a flag a later docker adds fails here until
/// scripts/policy-tree runs again, and then holds the command until
/// someone marks it.
#[test]
fn every_run_and_create_flag_is_in_the_tree_with_its_shorthand() {
    let mut seen = 0;
    for client in testbed::all_dockers() {
        for command in ["run", "create", "container run", "container create"] {
            let words: Vec<&str> = command.split(' ').chain(["--help"]).collect();
            let text = client_says(&client, &words);
            assert!(text.contains("Usage:"), "{}: {text}", client.display());
            for (long, short, _, _) in help_flags(&text) {
                assert!(
                    RUN_FLAGS.iter().any(|f| f.long == long),
                    "{} {command}: --{long} is not in RUN_FLAGS: run scripts/policy-tree",
                    client.display()
                );
                let named: Vec<char> = RUN_SHORTHANDS
                    .iter()
                    .filter(|(_, l)| *l == long)
                    .map(|(c, _)| *c as char)
                    .collect();
                assert_eq!(named, Vec::from_iter(short), "{command} --{long}");
                seen += 1;
            }
        }
    }
    assert!(seen > 300, "{seen} flags");
    assert!(
        RUN_FLAGS.windows(2).all(|w| w[0].long < w[1].long),
        "sorted"
    );
    // A flag that takes a host path or grants a privilege is never marked.
    for long in [
        "volume",
        "mount",
        "device",
        "privileged",
        "cap-add",
        "volumes-from",
        "pid",
        "network",
    ] {
        assert!(
            RUN_FLAGS.iter().any(|f| f.long == long && !f.sandboxed),
            "--{long}"
        );
    }
}

// ---- a real terminal ----

/// Runs `lzc-docker ARGS` in a tmux pane, types `ahead` at once (before
/// the prompt can be there) and `answer` at the prompt, and returns what the
/// pane shows and the exit status.
fn on_a_tty(env: &Env, args: &str, ahead: &str, answer: &str) -> (String, String) {
    let tag = format!("{}-{}-{}", std::process::id(), ahead.len(), answer.len());
    let status_file = env.root().join(format!("status-{tag}"));
    let out_file = env.root().join(format!("pane-out-{tag}"));
    let script = format!(
        "sleep 0.5; env -i PATH={path} HOME={home} DOCKMUX_SYSTEM_CONFIG={sys} lzc-docker {args} > {out} 2>&1; echo $? > {status}.tmp; mv {status}.tmp {status}; sleep 60",
        path = env.path.to_string_lossy(),
        home = env.home.display(),
        sys = env.system_config_path.display(),
        out = out_file.display(),
        status = status_file.display(),
    );
    let tmux = Tmux::start("policy", (200, 20), &script);
    if !ahead.is_empty() {
        tmux.type_line(ahead);
    }
    tmux.wait_for("to run it:");
    let deadline = Instant::now() + Duration::from_secs(20);
    let prompt = tmux.screen();
    tmux.type_line(answer);
    while !status_file.exists() {
        assert!(
            Instant::now() < deadline,
            "no exit; screen:\n{}",
            tmux.screen()
        );
        std::thread::sleep(Duration::from_millis(30));
    }
    drop(tmux);
    let status = std::fs::read_to_string(&status_file).unwrap();
    let out = std::fs::read_to_string(&out_file).unwrap_or_default();
    (format!("{prompt}\n---\n{out}"), status.trim().to_string())
}

#[test]
fn on_a_terminal_the_engine_name_confirms_and_anything_else_does_not() {
    let env = env();
    let (screen, status) = on_a_tty(&env, "system prune -af", "", "pg");
    assert_eq!(status, "125", "{screen}");
    assert!(
        screen.contains(
            "engine 'lzc' (the app store) is protected: `lzc-docker system prune -af` removes"
        ),
        "{screen}"
    );
    assert!(
        screen.contains("not confirmed: 'pg' is not 'lzc'; nothing ran"),
        "{screen}"
    );
    assert!(!screen.contains("prune\0"), "the client ran: {screen}");
    let (screen, status) = on_a_tty(&env, "system prune -af", "", "lzc");
    assert_eq!(status, "0", "{screen}");
    // The fake client ran with the words as typed.
    assert!(screen.ends_with("system\0prune\0-af\0"), "{screen}");
    // No server and no socket of this run is left in the machine's tmux dir.
    let dir = std::path::PathBuf::from(format!("/tmp/tmux-{}", unsafe { libc::geteuid() }));
    let left: Vec<_> = std::fs::read_dir(&dir)
        .into_iter()
        .flatten()
        .flatten()
        .filter(|e| {
            e.file_name()
                .to_string_lossy()
                .starts_with(&format!("dockmux-policy-{}-", std::process::id()))
        })
        .map(|e| e.file_name())
        .collect();
    assert!(left.is_empty(), "left in {}: {left:?}", dir.display());
}

/// Issue 18: keys typed before the prompt (`echo lzc | ssh -tt box …`)
/// confirm nothing; the answer to the question does.
#[test]
fn typeahead_before_the_prompt_is_discarded() {
    let env = env();
    let (screen, status) = on_a_tty(&env, "rm app", "lzc", "pg");
    assert_eq!(status, "125", "{screen}");
    assert!(
        screen.contains("not confirmed: 'pg' is not 'lzc'"),
        "{screen}"
    );
    let (screen, status) = on_a_tty(&env, "rm app", "pg", "lzc");
    assert_eq!(status, "0", "{screen}");
}

/// Issue 18: arguments in the prompt and in the refusal are escaped: a
/// terminal command in a container name is shown, never run.
#[test]
fn arguments_reach_the_terminal_escaped() {
    let env = env();
    let (screen, status) = on_a_tty(
        &env,
        r#"rm "$(printf 'x\033]0;PWNED\007y')""#,
        "",
        "no\x1b[2J",
    );
    assert_eq!(status, "125", "{screen}");
    assert!(
        screen.contains(r"`lzc-docker rm $'x\x1b]0;PWNED\x07y'` removes containers"),
        "{screen}"
    );
    let log = std::fs::read(env.root().join(format!(
        "pane-out-{}-0-{}",
        std::process::id(),
        "no\x1b[2J".len()
    )))
    .unwrap();
    assert!(!log.contains(&0x1b), "raw escape on stderr: {log:?}");
    // Without a terminal, the refusal and its fix.
    let mut cmd = env.cmd("lzc-docker");
    cmd.args(["rm", "x\x1b]0;PWNED\x07y"]);
    cmd.env("DOCKMUX_CONFIRM", "\x1b[2J");
    unsafe_setsid(&mut cmd);
    let out = Out::of(&mut cmd);
    let err = out.fails(125);
    assert!(!err.contains('\x1b') && !err.contains('\x07'), "{err:?}");
    assert!(
        err.contains(r"DOCKMUX_CONFIRM=lzc lzc-docker rm $'x\x1b]0;PWNED\x07y'"),
        "{err}"
    );
    assert!(
        err.contains(r"DOCKMUX_CONFIRM=\x1b[2J is not 'lzc'"),
        "{err}"
    );
}

// ---- the real test bed ----

#[test]
fn system_prune_on_a_protected_engine_without_a_tty_removes_nothing() {
    let bed = testbed::shared();
    let protected = format!(
        "[engines.lzc]\nhost = \"{}\"\nprotect = true\n",
        bed.lzc.host
    );
    let mut env = crate::engines::bed_env();
    env.user_config(&protected);
    let name = crate::engines::unique("protect");
    env.run(
        "lzc-docker",
        [
            "create",
            "--name",
            &name,
            "--network",
            "none",
            IMAGE,
            "true",
        ],
    )
    .ok();
    env.run("lzc-docker", ["volume", "create", &name]).ok();
    // Setsid: no controlling terminal, as under `ssh box cmd`.
    let mut cmd = env.cmd("lzc-docker");
    cmd.args(["system", "prune", "-af", "--volumes"]);
    unsafe_setsid(&mut cmd);
    let out = Out::of(&mut cmd);
    assert!(out.fails(125).contains("DOCKMUX_CONFIRM=lzc"), "{out}");
    let ps = env.run(
        "lzc-docker",
        [
            "ps",
            "-a",
            "--filter",
            &format!("name={name}"),
            "--format",
            "{{.Names}}",
        ],
    );
    assert_eq!(ps.ok().trim(), name);
    let vols = env.run(
        "lzc-docker",
        ["volume", "ls", "-q", "--filter", &format!("name={name}")],
    );
    assert_eq!(vols.ok().trim(), name);
    // Confirmed, removal runs (one container, not a prune of the shared bed).
    env.var("DOCKMUX_CONFIRM", "lzc");
    env.run("lzc-docker", ["rm", &name]).ok();
    env.run("lzc-docker", ["volume", "rm", &name]).ok();
}

/// Starts the child in a new session: it has no controlling terminal.
fn unsafe_setsid(cmd: &mut Command) {
    use std::os::unix::process::CommandExt;
    // SAFETY: setsid is async-signal-safe.
    unsafe {
        cmd.pre_exec(|| {
            libc::setsid();
            Ok(())
        });
    }
}

// ---- managing policies: add, list, doctor ----

#[test]
fn add_sets_a_policy_that_list_and_doctor_show() {
    let env = Env::new();
    env.user_config("[engines.pg]\nhost = \"unix:///nonexistent/pg.sock\"\n");
    env.dockmux(["add", "lzc", "unix:///nonexistent/lzc.sock", "--protect"])
        .output()
        .map(Out::from_output)
        .unwrap()
        .ok();
    env.dockmux(["add", "audit", "ssh://me@audit", "--readonly"])
        .output()
        .map(Out::from_output)
        .unwrap()
        .ok();
    let text = std::fs::read_to_string(env.user_config_path()).unwrap();
    assert!(
        text.ends_with(
            "[engines.lzc]\nhost = \"unix:///nonexistent/lzc.sock\"\nprotect = true\n\n[engines.audit]\nhost = \"ssh://me@audit\"\nreadonly = true\n"
        ),
        "{text}"
    );
    // Both keys, as a config may hold them (and doctor's `add` line for such
    // an engine gives): both written, and readonly holds.
    let both = Out::from_output(
        env.dockmux(["add", "x", "unix:///x.sock", "--protect", "--readonly"])
            .output()
            .unwrap(),
    );
    both.ok();
    let text = std::fs::read_to_string(env.user_config_path()).unwrap();
    assert!(
        text.ends_with("[engines.x]\nhost = \"unix:///x.sock\"\nprotect = true\nreadonly = true\n"),
        "{text}"
    );

    let list = Out::from_output(env.dockmux(["list", "--no-probe"]).output().unwrap());
    let rows: Vec<Vec<&str>> = list
        .ok()
        .lines()
        .map(|l| l.split_whitespace().collect())
        .collect();
    // CONNECTION: audit is an ssh engine (its shared connection, src/forward/).
    assert_eq!(
        rows[0],
        ["NAME", "COMMAND", "HOST", "POLICY", "CONNECTION", "SOURCE"]
    );
    let policy_of = |name: &str| rows.iter().find(|r| r[0] == name).unwrap()[3];
    assert_eq!(
        [
            policy_of("audit"),
            policy_of("lzc"),
            policy_of("pg"),
            policy_of("x")
        ],
        ["readonly", "protect", "-", "readonly"]
    );
    let json = Out::from_output(
        env.dockmux(["list", "--no-probe", "--json"])
            .output()
            .unwrap(),
    );
    let v: serde_json::Value = serde_json::from_str(json.ok()).unwrap();
    let policies: Vec<(&str, &serde_json::Value)> = v
        .as_array()
        .unwrap()
        .iter()
        .map(|e| (e["name"].as_str().unwrap(), &e["policy"]))
        .collect();
    assert_eq!(
        policies,
        [
            ("audit", &serde_json::json!("readonly")),
            ("lzc", &serde_json::json!("protect")),
            ("pg", &serde_json::Value::Null),
            ("x", &serde_json::json!("readonly"))
        ]
    );
    let doctor = Out::from_output(
        env.dockmux(["doctor", "--timeout", "100ms"])
            .output()
            .unwrap(),
    );
    assert!(
        doctor
            .stdout
            .contains("ok       policy       lzc: protected: destructive commands need the engine's name typed back"),
        "{doctor}"
    );
    assert!(
        doctor
            .stdout
            .contains("ok       policy       audit: read-only: only commands that read run"),
        "{doctor}"
    );
}

#[test]
fn protect_and_readonly_are_checked_like_every_key() {
    let env = Env::new();
    env.user_config("[engines.lzc]\nhost = \"unix:///nonexistent/lzc.sock\"\nprotect = \"yes\"\n");
    env.link("lzc-docker");
    let err = env.run("lzc-docker", ["ps"]).fails(125).to_string();
    assert!(
        err.contains("engines.toml:3:11: protect must be true or false"),
        "{err}"
    );
    env.user_config("[engines.lzc]\nhost = \"unix:///nonexistent/lzc.sock\"\nprotekt = true\n");
    let err = env.run("lzc-docker", ["ps"]).fails(125).to_string();
    assert!(err.contains("did you mean 'protect'"), "{err}");
    // Both set: the stricter one holds.
    env.user_config(
        "[engines.lzc]\nhost = \"unix:///nonexistent/lzc.sock\"\nprotect = true\nreadonly = true\n",
    );
    std::os::unix::fs::symlink(fake_client(), env.bin.join("docker")).unwrap();
    let err = env.run("lzc-docker", ["rm", "x"]).fails(125).to_string();
    assert!(err.contains("is read-only"), "{err}");
}

// ---- issue 18 ----

/// Item 7: orchestration that removes or replaces, as the attack typed it.
/// Each form is held, or in the table in docs/protected-engines.md of what runs unconfirmed.
#[test]
fn orchestration_that_removes_or_replaces_is_held() {
    let env = env();
    for args in [
        &["update", "--memory", "8m", "app"][..],
        &["container", "update", "--restart", "no", "app"],
        &["compose", "up", "--remove-orphans"],
        &["compose", "up", "--force-recreate"],
        &["compose", "up", "-V"],
        &["compose", "-p", "p", "up", "-d"],
        &["compose", "create", "--force-recreate"],
        &["stack", "deploy", "--prune", "-c", "s.yml", "s"],
        &["service", "scale", "s=0"],
        &["service", "update", "--replicas", "0", "s"],
        &["node", "update", "--availability", "drain", "n"],
        &["node", "update", "--availability=pause", "n"],
        &["swarm", "init", "--force-new-cluster"],
        &["context", "rm", "c"],
        &["exec", "--privileged", "app", "sh"],
        &["build", "--allow", "security.insecure", "."],
        &["volume", "create", "-o", "type=none", "v"],
        &["volume", "create", "--opt=device=/dev/sda", "v"],
    ] {
        let out = env.run("lzc-docker", args);
        assert!(
            out.fails(125).contains("is protected") && out.stdout.is_empty(),
            "{args:?}: {out}"
        );
    }
    // What the table says runs, runs.
    for args in [
        &["exec", "-it", "app", "sh"][..],
        &["start", "app"],
        &["node", "update", "--availability", "active", "n"],
        &["swarm", "init"],
        &["compose", "up", "--dry-run"],
        &["compose", "start"],
        &["volume", "create", "v"],
        &["build", "-t", "x", "."],
    ] {
        let args: Vec<String> = args.iter().map(|s| s.to_string()).collect();
        let out = env.run("lzc-docker", &args);
        assert!(ran_with(&out, &args), "{args:?} should run: {out}");
    }
}

const TABLE_START: &str = "<!-- policy table: generated from crates/dockmux-engine/src/engine/policy/classify.rs; tests/policy.rs checks it -->\n";
const TABLE_END: &str = "<!-- end of policy table -->";

/// The table in docs/protected-engines.md of what a protected engine holds and runs comes from
/// the classifier's own rules. `DOCKMUX_BLESS=1` writes it.
#[test]
fn the_readme_table_is_the_classifiers() {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("docs/protected-engines.md");
    let readme = std::fs::read_to_string(&path).unwrap();
    let start = readme
        .find(TABLE_START)
        .expect("docs/protected-engines.md has the policy table's start")
        + TABLE_START.len();
    let end = start + readme[start..].find(TABLE_END).expect("and its end");
    let want = dockmux::engine::policy::table();
    if std::env::var_os("DOCKMUX_BLESS").is_some() {
        std::fs::write(
            &path,
            format!("{}{want}{}", &readme[..start], &readme[end..]),
        )
        .unwrap();
        return;
    }
    assert_eq!(
        readme[start..end],
        want,
        "DOCKMUX_BLESS=1 cargo test readme_table writes it"
    );
}

/// Item 8: reading commands that act with a flag are refused on read-only.
#[test]
fn a_read_only_engine_refuses_reads_that_act() {
    let env = env();
    for (args, runs) in [
        (&["buildx", "inspect", "--bootstrap"][..], false),
        (&["buildx", "inspect", "b", "--bootstrap=true"], false),
        (&["builder", "inspect", "--bootstrap"], false),
        (
            &["buildx", "--builder", "b", "inspect", "--bootstrap"],
            false,
        ),
        (&["buildx", "inspect"], true),
        (&["buildx", "inspect", "--bootstrap=false"], true),
    ] {
        let args: Vec<String> = args.iter().map(|s| s.to_string()).collect();
        let out = env.run("audit-docker", &args);
        assert_eq!(ran_with(&out, &args), runs, "{args:?}: {out}");
        if !runs {
            assert!(out.fails(125).contains("is read-only"), "{out}");
        }
    }
}

/// A buildx plugin that records its arguments and the variables that steer
/// a build, for both real clients (buildx is not packaged for Debian 12).
fn recording_buildx(dir: &Path, record: &Path) {
    recording_buildx_with(
        dir,
        record,
        &[
            ("onlzc", "unix:///nonexistent/lzc.sock"),
            ("elsewhere", "unix:///nonexistent/other.sock"),
        ],
    );
}

/// [`recording_buildx`] with buildx's records of `builders` (name, endpoint).
fn recording_buildx_with(dir: &Path, record: &Path, builders: &[(&str, &str)]) {
    let plugins = dir.join("cli-plugins");
    std::fs::create_dir_all(&plugins).unwrap();
    let script = format!(
        "#!/bin/sh\nif [ \"$1\" = docker-cli-plugin-metadata ]; then\n  echo '{{\"SchemaVersion\":\"0.1.0\",\"Vendor\":\"dockmux tests\",\"Version\":\"v0.36.1\",\"ShortDescription\":\"records\"}}'\n  exit 0\nfi\n{{ echo \"$*\"; echo \"BUILDX_BUILDER=${{BUILDX_BUILDER-unset}}\"; echo \"BUILDKIT_HOST=${{BUILDKIT_HOST-unset}}\"; }} > {}\n",
        record.display()
    );
    crate::harness::exe::write_executable(&plugins.join("docker-buildx"), script);
    let instances = dir.join("buildx/instances");
    std::fs::create_dir_all(&instances).unwrap();
    for (name, endpoint) in builders {
        std::fs::write(
            instances.join(name),
            format!(
                "{{\"Name\":\"{name}\",\"Driver\":\"docker-container\",\"Nodes\":[{{\"Name\":\"{name}0\",\"Endpoint\":\"{endpoint}\"}}]}}"
            ),
        )
        .unwrap();
    }
}

/// Builds stay on the engine: BUILDX_BUILDER, BUILDKIT_HOST and a builder
/// chosen elsewhere do not move them; `--builder` only names one on NAME.
#[test]
fn builds_stay_on_the_engine() {
    for client in crate::harness::testbed::all_dockers() {
        let mut env = Env::new();
        env.user_config(CONFIG);
        std::os::unix::fs::symlink(&client, env.bin.join("docker")).unwrap();
        env.link("lzc-docker");
        env.link("pg-docker");
        let dc = env.root().join("docker-config");
        let record = env.root().join("buildx-record");
        recording_buildx(&dc, &record);
        env.var("DOCKER_CONFIG", &dc);
        env.var("BUILDX_BUILDER", "elsewhere");
        env.var("BUILDKIT_HOST", "tcp://evil:1234");
        let c = client.display();
        for engine in ["lzc-docker", "pg-docker"] {
            let _ = std::fs::remove_file(&record);
            let out = env.run(engine, ["buildx", "ls"]);
            let got = std::fs::read_to_string(&record).unwrap_or_default();
            assert_eq!(
                got, "buildx ls\nBUILDX_BUILDER=default\nBUILDKIT_HOST=unset\n",
                "{c} {engine}: {out}"
            );
        }
        // Before: pg-docker passed both variables on (a recording says where it went).
        for args in [
            &["buildx", "--builder", "elsewhere", "ls"][..],
            &["buildx", "build", "--builder=elsewhere", "."],
            &["buildx", "build", "--builder", "nonesuch", "."],
            &["buildx", "--builder", "../buildx/instances/onlzc", "ls"],
            &["build", "--builder", "elsewhere", "."],
            &["image", "build", "--builder=elsewhere", "."],
        ] {
            let _ = std::fs::remove_file(&record);
            let out = env.run("lzc-docker", args);
            assert!(
                out.fails(125).contains("refusing '--builder"),
                "{c} {args:?}: {out}"
            );
            assert!(!record.exists(), "{c} {args:?}: the plugin ran");
        }
        for args in [
            &["buildx", "--builder", "onlzc", "ls"][..],
            &["buildx", "build", "--builder", "default", "."],
        ] {
            let _ = std::fs::remove_file(&record);
            let out = env.run("lzc-docker", args);
            assert!(record.exists(), "{c} {args:?}: {out}");
        }
        // A `--config DIR` on the line: the client takes its plugins, and
        // buildx its builders, from DIR; so does the check. There `onlzc`
        // is elsewhere, and `there` is on lzc.
        let other = env.root().join("other-config");
        recording_buildx_with(
            &other,
            &record,
            &[
                ("onlzc", "unix:///nonexistent/other.sock"),
                ("there", "unix:///nonexistent/lzc.sock"),
            ],
        );
        let o = other.to_str().unwrap();
        for (args, runs) in [
            (
                &["--config", o, "buildx", "--builder", "onlzc", "ls"][..],
                false,
            ),
            (&["--config", o, "build", "--builder=onlzc", "."], false),
            (&["--config", o, "buildx", "--builder", "there", "ls"], true),
            (&["buildx", "--builder", "there", "ls"], false),
        ] {
            let _ = std::fs::remove_file(&record);
            let out = env.run("lzc-docker", args);
            assert_eq!(record.exists(), runs, "{c} {args:?}: {out}");
            if !runs {
                assert!(
                    out.fails(125).contains("refusing '--builder"),
                    "{c} {args:?}: {out}"
                );
            }
        }
    }
}

// ---- the corpus: every run/create flag that reaches the host, in every spelling ----

/// run's flags from a client's own help: (long, short, takes a value, description).
fn run_flags(client: &Path) -> Vec<(String, Option<char>, bool, String)> {
    help_flags(&client_says(client, &["run", "--help"]))
}

/// The flags a command's help lists, as [`run_flags`] gives them.
fn help_flags(text: &str) -> Vec<(String, Option<char>, bool, String)> {
    let mut out = Vec::new();
    for line in text.lines().map(str::trim).filter(|l| l.starts_with('-')) {
        let (spec, desc) = line.split_once("  ").unwrap_or((line, ""));
        let words: Vec<&str> = spec.split_whitespace().collect();
        let Some(long) = words.iter().find(|w| w.starts_with("--")) else {
            continue;
        };
        let short = words
            .iter()
            .find(|w| w.len() == 3 && w.starts_with('-') && w.ends_with(','))
            .map(|w| w.chars().nth(1).unwrap());
        out.push((
            long.trim_start_matches("--").to_string(),
            short,
            words.last() != Some(long),
            desc.trim().to_lowercase(),
        ));
    }
    out
}

/// Values that reach the host, the engine's data or its socket, for each
/// flag whose help says it takes a path, device, volume, mount or privilege;
/// empty for such flags that reach nothing of the host (limits, in-container
/// paths, the client's own files). A flag the help describes so and this
/// test does not know fails the test, for someone to judge.
pub(crate) fn reaching_values(flag: &str) -> Option<Vec<&'static str>> {
    Some(match flag {
        "volume" => vec![
            "/:/h",
            "/var/lib/docker:/d",
            "/var/run:/r",
            "/run/docker.sock:/s",
            ".:/h",
            "..:/h",
            "~:/h",
            "/etc:/e:ro",
            "//:/h:rw",
        ],
        "mount" => vec![
            "type=bind,src=/,dst=/h",
            "dst=/h,type=bind,source=/",
            "target=/h,readonly,Type=BIND,Source=/var/lib/docker",
            "source=/run,type=bind,target=/r",
            "type=volume,src=v,dst=/h,volume-opt=type=none,volume-opt=o=bind,volume-opt=device=/",
            "volume-opt=device=/,dst=/h,volume-opt=o=bind,src=v,volume-opt=type=none",
            "dst=/h,volume-opt=device=/dev/sda,volume-opt=type=ext4",
            "\"type=bind\",\"src=/\",\"dst=/h\"",
        ],
        "device" => vec!["/dev/loop0:/dev/x", "/dev/sda", "/dev/mem:/dev/mem:rwm"],
        "device-cgroup-rule" => vec!["b 7:* rwm", "a *:* rwm", "c 1:1 rwm"],
        "gpus" => vec!["all"],
        "volumes-from" => vec!["app", "app:ro"],
        "cap-add" => vec![
            "SYS_ADMIN",
            "sys_module",
            "ALL",
            "cap_dac_read_search",
            "NET_ADMIN",
        ],
        "privileged" => vec![""],
        "security-opt" => vec![
            "seccomp=unconfined",
            "apparmor=unconfined",
            "label=disable",
            "systempaths=unconfined",
        ],
        "pid" | "ipc" | "uts" | "userns" | "cgroupns" | "network" => vec!["host"],
        "use-api-socket" => vec![""],
        // Limits on a device, paths inside the container, the client's own
        // files, names of drivers and plugins: they reach nothing of the host.
        "blkio-weight-device"
        | "device-read-bps"
        | "device-read-iops"
        | "device-write-bps"
        | "device-write-iops"
        | "tmpfs"
        | "workdir"
        | "volume-driver"
        | "cidfile"
        | "env-file"
        | "label-file"
        | "storage-opt"
        | "cap-drop"
        | "mac-address"
        | "link-local-ip"
        | "cgroup-parent"
        | "isolation"
        | "read-only"
        | "runtime" => vec![],
        _ => return None,
    })
}

fn reaches_host(desc: &str) -> bool {
    [
        "path",
        "device",
        "volume",
        "mount",
        "privilege",
        "capabilit",
        "namespace",
        "security",
        "bind",
        "socket",
        "gpu",
        "cgroup",
        "file",
    ]
    .iter()
    .any(|w| desc.contains(w))
}

/// The corpus: each flag of both clients' `run --help` whose help says it
/// may reach the host, with each of `values(flag)` in every spelling the
/// client takes, after each of `cmds`, then `tail` (the image and command);
/// the lines, each once, and the flags.
pub(crate) fn corpus(
    cmds: &[&[&str]],
    values: &dyn Fn(&str, &str) -> Vec<String>,
    tail: &[&str],
) -> (Vec<Vec<String>>, std::collections::BTreeSet<String>) {
    let mut lines: Vec<Vec<String>> = Vec::new();
    let mut flags = std::collections::BTreeSet::new();
    for client in crate::harness::testbed::all_dockers() {
        for (long, short, takes, desc) in run_flags(&client) {
            if !reaches_host(&desc)
                && !matches!(
                    long.as_str(),
                    "privileged" | "pid" | "ipc" | "uts" | "userns" | "cgroupns" | "network"
                )
            {
                continue;
            }
            flags.insert(long.clone());
            for v in values(&long, &format!("{}: --{long} ({desc})", client.display())) {
                let mut spellings: Vec<Vec<String>> = Vec::new();
                if takes {
                    spellings.push(vec![format!("--{long}={v}")]);
                    spellings.push(vec![format!("--{long}"), v.to_string()]);
                    if let Some(s) = short {
                        spellings.push(vec![format!("-{s}"), v.to_string()]);
                        spellings.push(vec![format!("-{s}{v}")]);
                        spellings.push(vec![format!("-{s}={v}")]);
                        spellings.push(vec![format!("-it{s}"), v.to_string()]);
                    }
                    // Repeated, after a harmless one.
                    let harmless = match long.as_str() {
                        "volume" => "/anon",
                        "mount" => "type=tmpfs,dst=/t",
                        _ => "",
                    };
                    if !harmless.is_empty() {
                        spellings.push(vec![
                            format!("--{long}"),
                            harmless.to_string(),
                            format!("--{long}"),
                            v.to_string(),
                        ]);
                    }
                } else if v.is_empty() {
                    for b in ["", "=true", "=1", "=True", "=t"] {
                        spellings.push(vec![format!("--{long}{b}")]);
                    }
                } else {
                    spellings.push(vec![format!("--{long}={v}")]);
                }
                for s in spellings {
                    for cmd in cmds {
                        let mut line: Vec<String> = cmd.iter().map(|c| c.to_string()).collect();
                        line.push("--rm".into());
                        line.extend(s.iter().cloned());
                        line.extend(tail.iter().map(|t| t.to_string()));
                        if !lines.contains(&line) {
                            lines.push(line);
                        }
                    }
                }
            }
        }
    }
    (lines, flags)
}

#[test]
fn the_run_corpus_from_both_clients_help_is_held_on_a_protected_engine() {
    let env = env();
    let values = |flag: &str, what: &str| -> Vec<String> {
        reaching_values(flag)
            .unwrap_or_else(|| {
                panic!("{what}: judge what it reaches and add it to reaching_values")
            })
            .iter()
            .map(|v| v.to_string())
            .collect()
    };
    let cmds: [&[&str]; 4] = [
        &["run"],
        &["create"],
        &["container", "run"],
        &["-l", "info", "container", "create"],
    ];
    let (lines, flags) = corpus(&cmds, &values, &["alpine", "sh"]);
    let mut ran = Vec::new();
    for line in &lines {
        let out = env.run("lzc-docker", line);
        if out.code != Some(125) || !out.stderr.contains("is protected") {
            ran.push(format!("{line:?}: {out}"));
        }
    }
    eprintln!(
        "corpus: {} lines over {} flags from both clients' run help; {} ran unconfirmed",
        lines.len(),
        flags.len(),
        ran.len()
    );
    assert!(ran.is_empty(), "ran unconfirmed:\n{}", ran.join("\n"));
    assert!(lines.len() > 500, "{}", lines.len());
}
