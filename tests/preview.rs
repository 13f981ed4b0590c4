//! Issue 22 item 1: on a protected engine the prompt and the refusal say
//! what the command would remove, from the engine's own answer. Checked
//! against what the command then removes on a real engine: the preview is
//! taken, the command confirmed and run (by each client), and the names
//! that vanished are the names the preview gave.

use std::collections::{BTreeMap, BTreeSet};
use std::path::Path;

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
    parse_in(err, &KINDS)
}

/// [`parse`], for the kinds a preview of `kinds` holds.
fn parse_in(err: &str, kinds: &[&'static str]) -> Kinds {
    let body = err
        .split("[now: ")
        .nth(1)
        .and_then(|r| r.split(']').next())
        .unwrap_or_else(|| panic!("no preview in {err:?}"));
    let mut out: Kinds = kinds.iter().map(|k| (*k, BTreeSet::new())).collect();
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
            .rposition(|w| kinds.iter().any(|k| w.starts_with(k)))
            .unwrap_or_else(|| panic!("no kind in {head:?}"));
        let kind = kinds.iter().find(|k| words[at].starts_with(**k)).unwrap();
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
    (preview, vanished(&before, &inventory(e)))
}

/// What is in `before` and not in `after`, by kind.
fn vanished(before: &Kinds, after: &Kinds) -> Kinds {
    before
        .iter()
        .map(|(k, names)| (*k, names.difference(&after[k]).cloned().collect()))
        .collect()
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

/// The shell line a terminal (tmux) runs `command` by, in `env`'s
/// environment: then `EXIT=STATUS`, and it stays on screen.
fn on_terminal(env: &Env, command: &str) -> String {
    let mut line = format!("cd {} && env -i", env.root().display());
    for (k, v) in [
        ("PATH", env.bin.display().to_string() + ":/usr/bin:/bin"),
        ("HOME", env.home.display().to_string()),
        ("XDG_RUNTIME_DIR", env.runtime_dir().display().to_string()),
    ] {
        line.push_str(&format!(" {k}={v}"));
    }
    line.push_str(&format!(" {command}; echo EXIT=$?; sleep 100"));
    line
}

#[test]
fn the_prompt_shows_the_preview_and_says_when_there_is_none() {
    let e = testbed::private("preview-tty");
    let env = env_for(&e, &testbed::real_docker());
    docker(&e, &["volume", "create", "tty-vol"]);
    let line = on_terminal(
        &env,
        &format!("{} volume rm tty-vol", env.bin.join("box-docker").display()),
    );
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

/// docker's CLI-plugin protocol in front of Debian's docker-compose (v1,
/// which labels what it makes as v2 does: com.docker.compose.project), in
/// the test HOME's own cli-plugins dir: `docker compose` with either client.
fn compose_plugin(env: &Env) {
    let compose = "/usr/bin/docker-compose";
    assert!(
        Path::new(compose).exists(),
        "{compose} missing (Debian package docker-compose): run the tests with ./scripts/test"
    );
    let dir = env.home.join(".docker/cli-plugins");
    std::fs::create_dir_all(&dir).unwrap();
    crate::harness::exe::write_executable(
        &dir.join("docker-compose"),
        format!(
            "#!/bin/sh\nif [ \"$1\" = docker-cli-plugin-metadata ]; then\n  \
             echo '{{\"SchemaVersion\":\"0.1.0\",\"Vendor\":\"dockmux tests\",\"Version\":\"1.29.2\"}}'\n  \
             exit 0\nfi\nshift\nexec {compose} \"$@\"\n"
        ),
    );
}

/// `compose down` and `down -v` by each client: the project's containers
/// and network, with -v its named volume and its containers' anonymous
/// ones; another project's and a lone container's are left. And `rm -v`
/// takes a container's anonymous volume.
#[test]
fn compose_down_and_rm_v_remove_what_the_preview_names() {
    for (i, client) in testbed::all_dockers().iter().enumerate() {
        let e = testbed::private(&format!("compose{i}"));
        let env = env_for(&e, client);
        compose_plugin(&env);
        for project in ["proj", "other"] {
            let dir = env.root().join(project);
            std::fs::create_dir(&dir).unwrap();
            std::fs::write(
                dir.join("compose.yaml"),
                format!(
                    "services:\n  web:\n    image: {IMAGE}\n    command: [sleep, \"1000\"]\n    \
                     stop_grace_period: 1s\n    networks: [back]\n    volumes: [\"data:/data\", /anon]\n  \
                     job:\n    image: {IMAGE}\n    command: [\"true\"]\n    networks: [back]\n\
                     networks:\n  back:\n    internal: true\nvolumes:\n  data: {{}}\n"
                ),
            )
            .unwrap();
            let mut up = env.cmd("box-docker");
            up.args([
                "compose",
                "-f",
                &format!("{project}/compose.yaml"),
                "up",
                "-d",
            ])
            .env("DOCKMUX_CONFIRM", "box");
            Out::of(&mut up).ok();
        }
        docker(
            &e,
            &[
                "run",
                "-d",
                "--name",
                "lone",
                "--network",
                "none",
                "-v",
                "/lone",
                IMAGE,
                "sleep",
                "1000",
            ],
        );
        let anon = |c: &str| -> BTreeSet<String> {
            docker(&e, &["inspect", "--format", "{{range .Mounts}}{{if not (eq .Destination \"/data\")}}{{.Name}} {{end}}{{end}}", c])
                .split_whitespace()
                .map(str::to_string)
                .collect()
        };
        let proj_anon = anon("proj_web_1");
        assert_eq!(proj_anon.len(), 1, "{proj_anon:?}");
        let (p, g) = preview_then_run(
            &env,
            &e,
            &["compose", "-f", "proj/compose.yaml", "down", "-v"],
        );
        same(&p, &g, "compose down -v");
        let mut want_volumes: BTreeSet<String> = proj_anon;
        want_volumes.insert("proj_data".into());
        assert_eq!(
            p["container"],
            ["proj_job_1", "proj_web_1"].map(String::from).into()
        );
        assert_eq!(p["network"], ["proj_back".to_string()].into());
        assert_eq!(p["volume"], want_volumes, "{p:?}");
        // Without -v the volumes stay.
        let (p, g) = preview_then_run(
            &env,
            &e,
            &["compose", "-p", "other", "-f", "other/compose.yaml", "down"],
        );
        same(&p, &g, "compose -p other -f … down");
        assert!(p["volume"].is_empty() && p["container"].len() == 2, "{p:?}");
        let lone = anon("lone");
        let (p, g) = preview_then_run(&env, &e, &["rm", "-fv", "lone"]);
        same(&p, &g, "rm -fv");
        assert_eq!(p["volume"], lone, "{p:?}");
    }
}

const SWARM: [&str; 4] = ["service", "secret", "config", "network"];

/// Services, secrets, configs and networks, by name.
fn swarm_inventory(e: &Engine) -> Kinds {
    let names = |what: &str| -> BTreeSet<String> {
        docker(e, &[what, "ls", "--format", "{{.Name}}"])
            .lines()
            .map(str::to_string)
            .collect()
    };
    SWARM.iter().map(|k| (*k, names(k))).collect()
}

/// `stack rm` on a single-node swarm (its own engine; the manager on a
/// free loopback port): the preview names the stack's services, secrets,
/// configs and networks, and those are what go (the networks once the
/// services' tasks have ended); another stack's stay.
#[test]
fn stack_rm_removes_what_the_preview_names() {
    let e = testbed::private("swarm");
    let free = || {
        std::net::TcpListener::bind("127.0.0.1:0")
            .unwrap()
            .local_addr()
            .unwrap()
            .port()
    };
    // The gossip port is docker's fixed 7946: said, not left to a hang.
    assert!(
        std::net::TcpListener::bind("127.0.0.1:7946").is_ok(),
        "127.0.0.1:7946 is taken (another swarm on this machine?): the test swarm's gossip needs it"
    );
    let (listen, data) = (free(), free());
    docker(
        &e,
        &[
            "swarm",
            "init",
            "--listen-addr",
            &format!("127.0.0.1:{listen}"),
            "--advertise-addr",
            "127.0.0.1",
            "--data-path-port",
            &data.to_string(),
        ],
    );
    for (i, client) in testbed::all_dockers().iter().enumerate() {
        let env = env_for(&e, client);
        let file = env.root().join("stack.yaml");
        std::fs::write(
            &file,
            format!(
                "version: \"3.8\"\nservices:\n  web:\n    image: {IMAGE}\n    command: [sleep, \"1000\"]\n    \
                 stop_grace_period: 1s\n    networks: [back]\n    configs: [conf]\n    secrets: [pw]\n  \
                 job:\n    image: {IMAGE}\n    command: [sleep, \"1000\"]\n    stop_grace_period: 1s\n\
                 networks:\n  back: {{}}\nconfigs:\n  conf:\n    file: ./stack.yaml\n\
                 secrets:\n  pw:\n    file: ./stack.yaml\n"
            ),
        )
        .unwrap();
        let (mine, other) = (format!("st{i}"), format!("keep{i}"));
        for stack in [&mine, &other] {
            let mut deploy = env.cmd("box-docker");
            deploy
                .args(["stack", "deploy", "-c", "stack.yaml", stack])
                .env("DOCKMUX_CONFIRM", "box");
            Out::of(&mut deploy).ok();
        }
        let held = env.run("box-docker", ["stack", "rm", &mine]);
        let preview = parse_in(held.fails(125), &SWARM);
        let before = swarm_inventory(&e);
        let mut rm = env.cmd("box-docker");
        rm.args(["stack", "rm", &mine])
            .env("DOCKMUX_CONFIRM", "box");
        Out::of(&mut rm).ok();
        // Its networks go once its tasks have ended.
        let label = format!("label=com.docker.stack.namespace={mine}");
        let deadline = std::time::Instant::now() + std::time::Duration::from_secs(30);
        while !docker(&e, &["network", "ls", "-q", "--filter", &label]).is_empty() {
            assert!(
                std::time::Instant::now() < deadline,
                "{mine}'s networks stayed"
            );
            std::thread::sleep(std::time::Duration::from_millis(200));
        }
        let gone = vanished(&before, &swarm_inventory(&e));
        same(
            &preview,
            &gone,
            &format!("stack rm by {}", client.display()),
        );
        let named = |names: &[&str]| -> BTreeSet<String> {
            names.iter().map(|n| format!("{mine}_{n}")).collect()
        };
        assert_eq!(preview["service"], named(&["job", "web"]));
        assert_eq!(preview["secret"], named(&["pw"]));
        assert_eq!(preview["config"], named(&["conf"]));
        assert_eq!(preview["network"], named(&["back", "default"]));
    }
    // The swarm's own bridge (docker_gwbridge) would outlive the engine.
    docker(&e, &["swarm", "leave", "--force"]);
    docker(&e, &["network", "rm", "docker_gwbridge"]);
}

/// `dockmux each` on protected engines: its one prompt, and the refusal
/// without a terminal, say what the command would remove on each held
/// engine, as `NAME-docker` does for one; confirmed, that is what goes.
#[test]
fn each_says_what_it_would_remove_on_each_engine() {
    let bed = testbed::shared();
    let env = Env::new();
    env.user_config(&format!(
        "[engines.one]\nhost = \"{}\"\nprotect = true\n\n[engines.two]\nhost = \"{}\"\nprotect = true\n",
        bed.pg.host, bed.lzc.host
    ));
    std::os::unix::fs::symlink(testbed::real_docker(), env.bin.join("docker")).unwrap();
    let vol = crate::engines::unique("each-preview");
    docker(&bed.pg, &["volume", "create", &vol]);
    let args = ["each", "one", "two", "--", "volume", "rm", &vol];
    let held = Out::of(&mut env.dockmux(args));
    let want = format!(
        "removes volumes [one: now: 1 volume ({vol}); two: now: nothing listed to remove; no volume {vol}]; nothing ran"
    );
    assert!(held.fails(125).contains(&want), "{held}");
    // On a terminal: the same, in the prompt; typed back, it runs.
    let line = on_terminal(
        &env,
        &format!(
            "{} {}",
            crate::harness::dockmux_bin().display(),
            args.join(" ")
        ),
    );
    let t = Tmux::start("each-preview", (400, 20), &line);
    t.wait_for("to run it:");
    let prompt = format!(
        "removes volumes [one: now: 1 volume ({vol}); two: now: nothing listed to remove; no volume {vol}]. Type 'one,two' to run it:"
    );
    assert!(t.screen().contains(&prompt), "{}", t.screen());
    t.type_line("one,two");
    t.wait_for("EXIT=");
    assert!(t.screen().contains("EXIT=1"), "{}", t.screen());
    assert!(
        !docker(&bed.pg, &["volume", "ls", "-q"])
            .lines()
            .any(|v| v == vol),
        "{vol} is still there"
    );
}

/// `each`'s previews are asked at once, under the one bound: an engine that
/// accepts and never answers leaves the others' lists whole.
#[test]
fn each_asks_the_engines_previews_at_once() {
    let bed = testbed::shared();
    let env = Env::new();
    let stuck = env.root().join("stuck.sock");
    let _listener = std::os::unix::net::UnixListener::bind(&stuck).unwrap();
    env.user_config(&format!(
        "[engines.early]\nhost = \"unix://{}\"\nprotect = true\n\n[engines.one]\nhost = \"{}\"\nprotect = true\n",
        stuck.display(),
        bed.pg.host
    ));
    std::os::unix::fs::symlink(testbed::real_docker(), env.bin.join("docker")).unwrap();
    let vol = crate::engines::unique("each-stuck");
    docker(&bed.pg, &["volume", "create", &vol]);
    let start = std::time::Instant::now();
    let held = Out::of(&mut env.dockmux(["each", "early", "one", "--", "volume", "rm", &vol]));
    let took = start.elapsed();
    docker(&bed.pg, &["volume", "rm", &vol]);
    let want = format!(
        "removes volumes [early: no list of what it removes: the engine did not say within 2s; one: now: 1 volume ({vol})]; nothing ran"
    );
    assert!(held.fails(125).contains(&want), "{held}");
    assert!(took < std::time::Duration::from_secs(5), "{took:?}");
}
