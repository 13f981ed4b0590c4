//! Issue 22 item 1: on a protected engine the prompt and the refusal say
//! what the command would remove, from the engine's own answer. Checked
//! against what the command then removes on a real engine: the preview is
//! taken, the command confirmed and run (by each client), and the names
//! that vanished are the names the preview gave.

use std::collections::{BTreeMap, BTreeSet};
use std::path::Path;
use std::process::Command;

use crate::harness::testbed::{self, Engine, IMAGE};
use crate::harness::tmux::Tmux;
use crate::harness::{Env, Out};

type Kinds = BTreeMap<&'static str, BTreeSet<String>>;

const KINDS: [&str; 4] = ["container", "image", "volume", "network"];

fn env_for(engine: &Engine, client: &Path) -> Env {
    let env = Env::new();
    env.user_config(&format!(
        "[engines.box]\nhost = \"{}\"\nprotect = true\n",
        engine.host
    ));
    std::os::unix::fs::symlink(client, env.bin.join("docker")).unwrap();
    env.link("box-docker");
    env
}

fn docker(e: &Engine, args: &[&str]) -> String {
    Out::of(e.docker().args(args)).ok().to_string()
}

/// Everything on the engine, by kind: names (an untagged image by its
/// short ID, as docker shows it).
fn inventory(e: &Engine) -> Kinds {
    let set = |text: String| -> BTreeSet<String> { text.lines().map(str::to_string).collect() };
    let mut k = Kinds::new();
    k.insert(
        "container",
        set(docker(e, &["ps", "-a", "--format", "{{.Names}}"])),
    );
    let images = docker(
        e,
        &["images", "--format", "{{.Repository}}:{{.Tag}} {{.ID}}"],
    );
    k.insert(
        "image",
        images
            .lines()
            .map(|l| {
                let (tag, id) = l.split_once(' ').unwrap();
                if tag == "<none>:<none>" { id } else { tag }.to_string()
            })
            .collect(),
    );
    k.insert("volume", set(docker(e, &["volume", "ls", "-q"])));
    k.insert(
        "network",
        set(docker(e, &["network", "ls", "--format", "{{.Name}}"])),
    );
    k
}

/// The preview's names by kind, checking each count against its names.
fn parse(err: &str) -> Kinds {
    let body = err
        .split("[now: ")
        .nth(1)
        .and_then(|r| r.split(']').next())
        .unwrap_or_else(|| panic!("no preview in {err:?}"));
    let mut out: Kinds = KINDS.iter().map(|k| (*k, BTreeSet::new())).collect();
    let mut rest = body;
    while let Some(open) = rest.find(" (") {
        let head = &rest[..open];
        let close = open + rest[open..].find(')').unwrap();
        let names: Vec<String> = rest[open + 2..close]
            .split(", ")
            .map(str::to_string)
            .collect();
        let words: Vec<&str> = head
            .split([' ', ',', ';'])
            .filter(|w| !w.is_empty())
            .collect();
        let at = words
            .iter()
            .rposition(|w| KINDS.iter().any(|k| w.starts_with(k)))
            .unwrap_or_else(|| panic!("no kind in {head:?}"));
        let kind = KINDS.iter().find(|k| words[at].starts_with(**k)).unwrap();
        let count: usize = words[..at]
            .iter()
            .rev()
            .find_map(|w| w.parse().ok())
            .unwrap();
        assert_eq!(count, names.len(), "{body}");
        out.get_mut(kind).unwrap().extend(names);
        rest = &rest[close + 1..];
    }
    out
}

/// Runs `args` on `box`: held first (the preview read from the refusal),
/// then confirmed; returns the preview and what vanished.
fn preview_then_run(env: &Env, e: &Engine, args: &[&str]) -> (Kinds, Kinds) {
    let held = env.run("box-docker", args);
    let preview = parse(held.fails(125));
    let before = inventory(e);
    let mut cmd = env.cmd("box-docker");
    cmd.args(args).env("DOCKMUX_CONFIRM", "box");
    // Not checked: `rm` of a running container without -f fails for it.
    Out::of(&mut cmd);
    let after = inventory(e);
    let gone = before
        .iter()
        .map(|(k, names)| (*k, names.difference(&after[k]).cloned().collect()))
        .collect();
    (preview, gone)
}

/// Containers, images, volumes and networks in every state a prune tells
/// apart.
fn scene(e: &Engine) {
    let tar = testbed::rootfs_tar();
    let import = |name: Option<&str>| {
        let mut c = e.docker();
        c.args(["import", "-c", r#"CMD ["/bin/sh"]"#]).arg(&tar);
        c.args(name);
        Out::of(&mut c).ok();
    };
    import(Some("extra:1"));
    import(None);
    for v in ["vol-used", "vol-stopped", "vol-free"] {
        docker(e, &["volume", "create", v]);
    }
    docker(e, &["network", "create", "--internal", "net-used"]);
    docker(
        e,
        &[
            "network",
            "create",
            "--internal",
            "--label",
            "keep=1",
            "net-free",
        ],
    );
    docker(
        e,
        &[
            "run",
            "-d",
            "--name",
            "run-1",
            "--network",
            "net-used",
            "-v",
            "vol-used:/d",
            IMAGE,
            "sleep",
            "1000",
        ],
    );
    docker(
        e,
        &[
            "run",
            "--name",
            "stopped-1",
            "--network",
            "none",
            "-v",
            "vol-stopped:/d",
            IMAGE,
            "true",
        ],
    );
    docker(
        e,
        &[
            "create",
            "--name",
            "created-1",
            "--label",
            "keep=1",
            "--network",
            "none",
            IMAGE,
            "true",
        ],
    );
    docker(
        e,
        &[
            "create",
            "--name",
            "created-2",
            "--network",
            "none",
            "-v",
            "/d",
            IMAGE,
            "true",
        ],
    );
}

fn same(preview: &Kinds, gone: &Kinds, what: &str) {
    assert_eq!(
        preview, gone,
        "{what}: the preview against what was removed"
    );
}

#[test]
fn the_preview_names_what_each_command_then_removes() {
    let clients = testbed::all_dockers();
    assert!(clients.len() >= 2, "both clients: {clients:?}");
    for (i, client) in clients.iter().enumerate() {
        let e = testbed::private(&format!("preview{i}"));
        scene(&e);
        let env = env_for(&e, client);
        let empty = |pairs: &[(&'static str, &[&str])]| -> Kinds {
            let mut k: Kinds = KINDS.iter().map(|k| (*k, BTreeSet::new())).collect();
            for (kind, names) in pairs {
                k.insert(kind, names.iter().map(|s| s.to_string()).collect());
            }
            k
        };
        // One by one: rm (a running one left without -f), rmi, volume rm, network rm.
        let (p, g) = preview_then_run(&env, &e, &["rm", "created-2", "run-1"]);
        same(&p, &g, "rm");
        assert_eq!(p, empty(&[("container", &["created-2"])]));
        let (p, g) = preview_then_run(&env, &e, &["rmi", "extra:1"]);
        same(&p, &g, "rmi");
        let (p, g) = preview_then_run(&env, &e, &["volume", "rm", "vol-free"]);
        same(&p, &g, "volume rm");
        // Prunes with filters, then everything.
        let (p, g) = preview_then_run(
            &env,
            &e,
            &["container", "prune", "-f", "--filter", "label!=keep=1"],
        );
        same(&p, &g, "container prune --filter label!=keep=1");
        assert_eq!(p, empty(&[("container", &["stopped-1"])]));
        let (p, g) = preview_then_run(
            &env,
            &e,
            &["network", "prune", "-f", "--filter", "label=keep=1"],
        );
        same(&p, &g, "network prune --filter label=keep=1");
        assert_eq!(p, empty(&[("network", &["net-free"])]));
        let (p, g) = preview_then_run(&env, &e, &["system", "prune", "-af", "--volumes"]);
        same(&p, &g, "system prune -af --volumes");
        assert!(
            p["container"].contains("created-1") && !p["container"].contains("run-1"),
            "{p:?}"
        );
        assert!(
            !p["image"].contains(IMAGE) && !p["volume"].contains("vol-used"),
            "{p:?}"
        );
        // Nothing left to remove: said so.
        let held = env.run("box-docker", ["system", "prune", "-af", "--volumes"]);
        assert!(
            held.fails(125)
                .contains("[now: nothing listed to remove; build cache is not listed]"),
            "{held}"
        );
    }
}

#[test]
fn the_prompt_shows_the_preview_and_says_when_there_is_none() {
    let e = testbed::private("preview-tty");
    let env = env_for(&e, &testbed::real_docker());
    docker(&e, &["volume", "create", "tty-vol"]);
    let cmd = Command::new(env.bin.join("box-docker"));
    let mut line = format!("cd {} && env -i", env.root().display());
    for (k, v) in [
        ("PATH", env.bin.display().to_string() + ":/usr/bin:/bin"),
        ("HOME", env.home.display().to_string()),
        ("XDG_RUNTIME_DIR", env.runtime_dir().display().to_string()),
    ] {
        line.push_str(&format!(" {k}={v}"));
    }
    line.push_str(&format!(
        " {} volume rm tty-vol; echo EXIT=$?; sleep 100",
        cmd.get_program().to_string_lossy()
    ));
    let t = Tmux::start("preview", (200, 20), &line);
    t.wait_for("Type 'box' to run it:");
    assert!(
        t.screen()
            .contains("removes volumes [now: 1 volume (tty-vol)]. Type 'box'"),
        "{}",
        t.screen()
    );
    t.type_line("box");
    t.wait_for("EXIT=0");
    // An engine that does not answer in time: asked without the list, saying so.
    let stuck = env.root().join("stuck.sock");
    let _listener = std::os::unix::net::UnixListener::bind(&stuck).unwrap();
    env.user_config(&format!(
        "[engines.box]\nhost = \"unix://{}\"\nprotect = true\n",
        stuck.display()
    ));
    let start = std::time::Instant::now();
    let held = env.run("box-docker", ["volume", "prune", "-f"]);
    let took = start.elapsed();
    assert!(
        held.fails(125)
            .contains("[no list of what it removes: the engine did not say within 2s]"),
        "{held}"
    );
    assert!(took < std::time::Duration::from_secs(5), "{took:?}");
}
