//! Every console block of the README and of docs/ is replayed: each
//! `$ command` in one sh session (stderr with stdout, as a terminal shows
//! them), and the transcript must be the block, byte for byte. A block says
//! which scene replays it with a marker on the line before its fence,
//! `<!-- replay: SCENE -->`; `every_console_block_names_its_scene` fails for a
//! block without one, so no block goes unreplayed. A scene sets up the world
//! the block describes (harness::world: the block's own paths, in a private
//! mount namespace) and replays it.

use std::path::Path;
use std::sync::{Mutex, MutexGuard, OnceLock};
use std::time::{Duration, Instant};

use crate::harness::testbed::{self, Engine, EngineGuard};
use crate::harness::tmux::Tmux;
use crate::harness::world::World;
use crate::harness::{Env, Out};

/// The scenes, each a test below that replays the blocks marked with its name.
const SCENES: &[&str] = &[
    "install",
    "first-use",
    "link",
    "shell",
    "manage",
    "set",
    "discover",
    "old-client",
    "engines-up",
    "fanout",
    "protected",
    "preview",
    "lift",
    "tab",
    "lazycat-demo",
];

/// The pages whose console blocks are replayed: README.md and docs/*.md.
fn pages() -> Vec<String> {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let mut pages: Vec<String> = std::fs::read_dir(root.join("docs"))
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .filter(|n| n.ends_with(".md"))
        .map(|n| format!("docs/{n}"))
        .collect();
    pages.sort();
    pages.insert(0, "README.md".to_string());
    pages
}

/// One console block: where it is, its marker's scene (if any), its text.
struct Block {
    page: String,
    line: usize,
    heading: String,
    scene: Option<String>,
    text: String,
}

const FENCE: &str = "```console";

fn blocks(page: &str) -> Vec<Block> {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join(page);
    let text = std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{page}: {e}"));
    let lines: Vec<&str> = text.split_inclusive('\n').collect();
    let mut out = Vec::new();
    let mut heading = String::new();
    let mut i = 0;
    while i < lines.len() {
        let line = lines[i].trim_end_matches('\n');
        if line.starts_with('#') {
            heading = line.to_string();
        }
        if line.trim_start() == FENCE {
            let scene = i
                .checked_sub(1)
                .map(|p| lines[p].trim())
                .and_then(|m| m.strip_prefix("<!-- replay:"))
                .and_then(|m| m.strip_suffix("-->"))
                .map(|m| m.trim().to_string());
            let start = i + 1;
            let mut end = start;
            while end < lines.len() && lines[end].trim() != "```" {
                end += 1;
            }
            out.push(Block {
                page: page.to_string(),
                line: i + 1,
                heading: heading.clone(),
                scene,
                text: lines[start..end].concat(),
            });
            i = end;
        }
        i += 1;
    }
    out
}

/// The blocks marked `scene` (one or more), in page order.
fn scene(name: &str) -> Vec<String> {
    assert!(SCENES.contains(&name), "{name} is not in SCENES");
    let found: Vec<String> = pages()
        .iter()
        .flat_map(|p| blocks(p))
        .filter(|b| b.scene.as_deref() == Some(name))
        .map(|b| b.text)
        .collect();
    assert!(!found.is_empty(), "no console block is marked {name:?}");
    found
}

/// The one block marked `scene`.
fn block(name: &str) -> String {
    let mut found = scene(name);
    assert_eq!(found.len(), 1, "more than one block is marked {name:?}");
    found.remove(0)
}

#[test]
fn every_console_block_names_its_scene() {
    let mut wrong = Vec::new();
    let mut used = std::collections::BTreeSet::new();
    for page in pages() {
        for b in blocks(&page) {
            let at = format!("{}:{} (under {:?})", b.page, b.line, b.heading);
            match b.scene {
                None => wrong.push(format!(
                    "{at}: no `<!-- replay: SCENE -->` on the line before the fence: \
                     add a scene to tests/readme.rs that replays the block"
                )),
                Some(s) if !SCENES.contains(&s.as_str()) => wrong.push(format!(
                    "{at}: scene {s:?} is not one of tests/readme.rs's SCENES"
                )),
                Some(s) => {
                    used.insert(s);
                }
            }
        }
    }
    for s in SCENES {
        if !used.contains(*s) {
            wrong.push(format!("scene {s:?} replays no block"));
        }
    }
    assert!(wrong.is_empty(), "{}", wrong.join("\n"));
}

/// The block's commands as one sh script that prints the transcript.
fn replay_script(block: &str) -> String {
    // `$?` is carried past each printed prompt line, for `echo $?`.
    let mut script = String::from("s=0\n");
    for line in block.lines() {
        if let Some(cmd) = line.strip_prefix("$ ") {
            let shown = cmd.replace('\'', r"'\''");
            script.push_str(&format!(
                "printf '%s\\n' '$ {shown}'\n(exit $s)\n{cmd} 2>&1\ns=$?\n"
            ));
        }
    }
    script
}

/// Runs the block's commands in one `sh` and returns the transcript.
fn replay(env: &Env, block: &str) -> String {
    Out::of(env.program("/bin/sh").args(["-c", &replay_script(block)])).stdout
}

/// Replays the block in `world`; the setup must not fail.
fn replay_in(world: &World, block: &str) -> String {
    let out = world.run(&replay_script(block));
    assert_ne!(out.code, Some(99), "the world's setup failed: {out}");
    out.stdout
}

/// Asserts the transcript is the block, showing both whole when not.
#[track_caller]
fn same(got: &str, block: &str) {
    assert!(
        got == block,
        "the replay differs from the block\n--- replay\n{got}--- block\n{block}---"
    );
}

/// "First use": the built-in engines on a machine that is not a LazyCat box.
#[test]
fn first_use_is_what_a_machine_without_the_engines_shows() {
    for p in ["/data/playground", "/lzcsys"] {
        assert!(
            !Path::new(p).exists(),
            "{p} exists: this machine runs the LazyCat engines (scripts/lazycat-demo?), \
             so README's 'First use' (a machine without them) cannot be replayed here"
        );
    }
    let env = Env::new();
    for name in ["dockmux", "pg-docker", "lzc-docker"] {
        env.link(name);
    }
    std::os::unix::fs::symlink(testbed::real_docker(), env.bin.join("docker")).unwrap();
    let block = block("first-use");
    same(&replay(&env, &block), &block);
}

/// docs/completion.md: an old client's names, on an engine holding the block's
/// containers (web-1 running, db-1 created and never started).
#[test]
fn completion_with_an_old_client_lists_the_engines_own_names() {
    let pair = pair();
    let engine = &*pair.pg;
    container(engine, &["create"], "db-1", &["true"]);
    container(engine, &["run", "-d"], "web-1", &["sleep", "100000"]);
    let env = Env::new();
    env.user_config(&format!(
        "docker = \"{}\"\n[engines.pg]\nhost = \"{}\"\n",
        crate::completion::old_docker().display(),
        engine.host
    ));
    env.link("pg-docker");
    let block = block("old-client");
    same(&replay(&env, &block), &block);
}

/// README "Install": `./dockmux install` as root, no config, no engines. The
/// directories it writes are tmpfs mounts of the world.
#[test]
fn install_as_root_puts_everything_where_the_block_says() {
    let mut w = World::new();
    for d in ["/usr/local", "/etc/fish"] {
        w.tmpfs(d);
    }
    w.sh("mkdir -p /usr/local/bin /usr/local/share/man")
        .dockmux_at("/home/me/dockmux");
    let block = block("install");
    same(&replay_in(&w, &block), &block);
}

/// README "Managing engines": `link nas` for an entry written by hand, with
/// dockmux in ~/.local/bin.
#[test]
fn link_makes_the_link_and_completion_files_in_home() {
    let mut w = World::new();
    w.dockmux_at("/home/me/.local/bin/dockmux")
        .user_config("[engines.nas]\nhost = \"ssh://me@nas.local\"\n");
    let block = block("link");
    same(&replay_in(&w, &block), &block);
}

/// README "A shell pinned to one engine": the built-in engines, none running.
#[test]
fn shell_pins_the_built_in_engine() {
    let mut w = World::new();
    w.dockmux_at("/home/me/.local/bin/dockmux");
    let block = block("shell");
    same(&replay_in(&w, &block), &block);
}

/// README "Managing engines": the session from no config file at all.
#[test]
fn managing_engines_from_no_config() {
    let mut w = World::new();
    w.dockmux_at("/home/me/.local/bin/dockmux");
    let block = block("manage");
    same(&replay_in(&w, &block), &block);
}

/// README `set`: a config the user wrote, with a comment of their own.
#[test]
fn set_changes_only_the_keys_given() {
    let mut w = World::new();
    w.dockmux_at("/home/me/.local/bin/dockmux").user_config(
        "# my engines\n[engines.pg]\nhost = \"unix:///data/playground/docker.sock\"   # the playground\n\n\
         [engines.nas]\nhost = \"ssh://me@nas.local\"\ndescription = \"the NAS\"\n",
    );
    let block = block("set");
    same(&replay_in(&w, &block), &block);
}

/// README `discover --root`: the seed's tree, from the checkout, with a user
/// config holding only nas.
#[test]
fn discover_reads_the_seed_tree() {
    let mut w = World::new();
    w.dockmux_at("/home/me/.local/bin/dockmux")
        .user_config("[engines.nas]\nhost = \"ssh://me@nas.local\"\n")
        .cwd(env!("CARGO_MANIFEST_DIR"));
    let block = block("discover");
    same(&replay_in(&w, &block), &block);
}

/// README "Are my engines up?": pg up (a testbed engine's socket at the
/// block's path), lzc's socket missing, nas.local not a name that resolves;
/// the engines linked, with their completion files, in ~/.local/bin.
#[test]
fn list_and_doctor_show_each_engine_as_it_is() {
    let tb = testbed::shared();
    let mut w = World::new();
    w.dockmux_at("/home/me/.local/bin/dockmux")
        .user_config(
            "[engines.pg]\nhost = \"unix:///run/dockmux-demo/pg.sock\"\ndescription = \"Playground engine\"\n\n\
             [engines.lzc]\nhost = \"unix:///run/dockmux-demo/lzc.sock\"\nhint = \"the app store engine starts with the box\"\n\n\
             [engines.nas]\nhost = \"ssh://me@nas.local\"\n",
        )
        .bind(&tb.pg.sock, "/run/dockmux-demo/pg.sock")
        .as_me("dockmux link");
    let block = block("engines-up");
    same(&replay_in(&w, &block), &block);
}

/// Two engines of the scenes that show containers and volumes, started once;
/// a scene holds them (the lock) and empties them before it fills them.
struct Pair {
    pg: EngineGuard,
    lzc: EngineGuard,
}

fn pair() -> MutexGuard<'static, Pair> {
    static PAIR: OnceLock<Mutex<Pair>> = OnceLock::new();
    let pair = PAIR
        .get_or_init(|| {
            Mutex::new(Pair {
                pg: testbed::private("readme-pg"),
                lzc: testbed::private("readme-lzc"),
            })
        })
        .lock()
        .unwrap_or_else(|e| e.into_inner());
    for e in [&*pair.pg, &*pair.lzc] {
        let ids = docker(e, &["ps", "-aq"]);
        if !ids.is_empty() {
            let mut rm = vec!["rm", "-f"];
            rm.extend(ids.lines());
            docker(e, &rm);
        }
        let vols = docker(e, &["volume", "ls", "-q"]);
        if !vols.is_empty() {
            let mut rm = vec!["volume", "rm"];
            rm.extend(vols.lines());
            docker(e, &rm);
        }
    }
    pair
}

/// `docker ARGS` on `engine` (the real client); must succeed.
fn docker(engine: &Engine, args: &[&str]) -> String {
    Out::of(engine.docker().args(args)).ok().to_string()
}

/// `docker create`/`run -d` of IMAGE with no network.
fn container(engine: &Engine, how: &[&str], name: &str, cmd: &[&str]) {
    let mut args = how.to_vec();
    args.extend(["--name", name, "--network", "none", testbed::IMAGE]);
    args.extend(cmd);
    docker(engine, &args);
}

/// What varies between runs of a scene with containers, made the same on both
/// sides of the comparison, and nothing else: a container ID (a word of 12
/// hex digits) becomes `############`, and the two digits of `NN seconds`
/// (`CREATED`, `Up NN seconds`) become `##`. The scene waits until its
/// containers are 10 seconds old, so the widths do not change (a minute
/// later they would: the block would be too slow to replay).
fn steady(text: &str) -> String {
    let lines: Vec<String> = text
        .split('\n')
        .map(|line| {
            let words: Vec<String> = line
                .split(' ')
                .map(|w| {
                    let id =
                        w.len() == 12 && w.bytes().all(|b| matches!(b, b'0'..=b'9' | b'a'..=b'f'));
                    if id { "#".repeat(12) } else { w.to_string() }
                })
                .collect();
            let mut line = words.join(" ");
            let mut from = 0;
            while let Some(at) = line[from..].find(" seconds") {
                let at = from + at;
                let digits = line.as_bytes()[..at]
                    .iter()
                    .rev()
                    .take_while(|b| b.is_ascii_digit())
                    .count();
                if digits == 2 {
                    line.replace_range(at - 2..at, "##");
                }
                from = at + 1;
            }
            line
        })
        .collect();
    lines.join("\n")
}

/// README "Every engine at once": pg with a running and a created container
/// and two volumes, lzc (protected) with one of each, nas's socket missing.
#[test]
fn ps_each_and_find_ask_every_engine() {
    let pair = pair();
    let (pg, lzc) = (&*pair.pg, &*pair.lzc);
    container(pg, &["run", "-d"], "web", &["sleep", "100000"]);
    container(pg, &["create"], "job", &["true"]);
    container(lzc, &["run", "-d"], "shop", &["sleep", "100000"]);
    let made = Instant::now();
    for v in ["pg-data", "vol1"] {
        docker(pg, &["volume", "create", v]);
    }
    docker(lzc, &["volume", "create", "shop-data"]);
    let mut w = World::new();
    w.dockmux_at("/home/me/.local/bin/dockmux")
        .user_config(
            "[engines.pg]\nhost = \"unix:///run/dockmux-fanout/pg.sock\"\n\n\
             [engines.lzc]\nhost = \"unix:///run/dockmux-fanout/lzc.sock\"\n\
             description = \"LazyCat app store engine\"\nprotect = true\n\n\
             [engines.nas]\nhost = \"unix:///run/dockmux-fanout/nas.sock\"\n\
             hint = \"start the NAS's engine: systemctl start docker-nas\"\n",
        )
        .bind(&pg.sock, "/run/dockmux-fanout/pg.sock")
        .bind(&lzc.sock, "/run/dockmux-fanout/lzc.sock")
        .as_me("dockmux link");
    std::thread::sleep(Duration::from_millis(10_500).saturating_sub(made.elapsed()));
    let block = block("fanout");
    let got = replay_in(&w, &block);
    assert!(
        made.elapsed() < Duration::from_secs(55),
        "the replay took too long for its ages"
    );
    assert!(
        steady(&got) == steady(&block),
        "the replay differs from the block (IDs and ages aside)\n--- replay\n{got}--- block\n{block}---"
    );
}

/// Replays the block in `world` on a terminal: an interactive sh in tmux
/// (prompt `$ `) is typed each command, and each answer the block shows after
/// a protected engine's prompt (`… to run it: ANSWER`); the transcript is
/// what the terminal shows.
fn replay_on_terminal(world: &World, block: &str) -> String {
    let tmux = Tmux::start(
        "readme",
        (400, 60),
        &world.command_line("PS1='$ '; export PS1; exec /bin/sh -i\n"),
    );
    let history = || tmux.screen_and_history();
    let count = |what: &str| {
        history()
            .lines()
            .filter(|l| l.starts_with(what) || l.contains(what))
            .count()
    };
    let wait = |what: &str, n: usize| {
        let deadline = Instant::now() + Duration::from_secs(20);
        while count(what) < n {
            assert!(
                Instant::now() < deadline,
                "no {what:?} #{n}; terminal:\n{}",
                history()
            );
            std::thread::sleep(Duration::from_millis(30));
        }
    };
    const ASK: &str = " to run it:";
    let (mut prompts, mut asks) = (1, 0);
    wait("$ ", prompts);
    for line in block.lines() {
        if let Some(cmd) = line.strip_prefix("$ ") {
            wait("$ ", prompts);
            tmux.type_line(cmd);
            prompts += 1;
        } else if let Some(at) = line.find(ASK) {
            asks += 1;
            wait(ASK, asks);
            tmux.type_line(line[at + ASK.len()..].trim_start());
        }
    }
    // The prompt after the last command: it is all done.
    let deadline = Instant::now() + Duration::from_secs(20);
    loop {
        let text = history();
        let text = text.trim_end();
        if text.lines().count() > 0
            && text.lines().last() == Some("$")
            && count("$ ") >= prompts - 1
        {
            let shown = text.strip_suffix("$").unwrap();
            if shown.lines().filter(|l| l.starts_with("$ ")).count() == prompts - 1 {
                // A terminal shows no trailing blanks (a prompt's last space).
                return shown
                    .lines()
                    .map(|l| format!("{}\n", l.trim_end()))
                    .collect();
            }
        }
        assert!(
            Instant::now() < deadline,
            "the last command did not end; terminal:\n{text}"
        );
        std::thread::sleep(Duration::from_millis(30));
    }
}

/// The app store engine (protect) and a second name for it (readonly),
/// holding a created container `notes` and a volume `notes-data`.
fn app_store(lzc: &Engine) -> World {
    container(lzc, &["create"], "notes", &["true"]);
    docker(lzc, &["volume", "create", "notes-data"]);
    let mut w = World::new();
    w.dockmux_at("/home/me/.local/bin/dockmux")
        .user_config(
            "[engines.lzc]\nhost = \"unix:///run/dockmux-demo/lzc.sock\"\n\
             description = \"LazyCat app store engine\"\nprotect = true\n\n\
             [engines.audit]\nhost = \"unix:///run/dockmux-demo/lzc.sock\"\n\
             description = \"the app store engine, to look at\"\nreadonly = true\n",
        )
        .bind(&lzc.sock, "/run/dockmux-demo/lzc.sock")
        .as_me("dockmux link");
    w
}

/// docs/protected-engines.md: the app store engine held and refused; typed
/// on a terminal, as the confirmations need one.
#[test]
fn protected_and_read_only_engines_hold_and_refuse() {
    let pair = pair();
    let w = app_store(&pair.lzc);
    let block = block("protected");
    same(&replay_on_terminal(&w, &block), &block);
}

/// README "See what a command would remove": the prompt's preview on a
/// terminal, the refusal's without one.
#[test]
fn the_prompt_and_the_refusal_say_what_would_be_removed() {
    let pair = pair();
    let w = app_store(&pair.lzc);
    let block = block("preview");
    same(&replay_on_terminal(&w, &block), &block);
}

/// `until HH:MM:SS` (a lift's end, from the wall clock) as `until ##:##:##`
/// on both sides of the comparison; nothing else changes.
fn clock(text: &str) -> String {
    let mut out = text.to_string();
    let mut from = 0;
    while let Some(at) = out[from..].find("until ") {
        let start = from + at + "until ".len();
        let time = out.as_bytes().get(start..start + 8).is_some_and(|t| {
            t.iter().enumerate().all(|(i, b)| {
                if i % 3 == 2 {
                    *b == b':'
                } else {
                    b.is_ascii_digit()
                }
            })
        });
        if time {
            out.replace_range(start..start + 8, "##:##:##");
        }
        from = start;
    }
    out
}

/// README "Lift protection for a while": lifted, listed, a held command
/// runs unasked, resumed.
#[test]
fn a_lift_is_listed_and_runs_held_commands_until_resumed() {
    let pair = pair();
    let w = app_store(&pair.lzc);
    let block = block("lift");
    let got = replay_in(&w, &block);
    assert!(
        clock(&got) == clock(&block),
        "the replay differs from the block (the time aside)\n--- replay\n{got}--- block\n{block}---"
    );
}

/// README "Completion": TAB twice in a new bash (its ~/.bashrc loads
/// bash-completion, as the README says root's must) after `pg-docker rm `, on
/// an engine with one running and two stopped containers; the 28.x client.
#[test]
fn tab_in_bash_offers_the_engines_containers() {
    let pair = pair();
    let pg = &*pair.pg;
    container(pg, &["run", "-d"], "web-1", &["sleep", "100000"]);
    container(pg, &["create"], "db-1", &["true"]);
    container(pg, &["create"], "job-1", &["true"]);
    let mut w = World::new();
    w.dockmux_at("/home/me/.local/bin/dockmux")
        .user_config("[engines.pg]\nhost = \"unix:///run/dockmux-demo/pg.sock\"\n")
        .file(
            "/home/me/.bashrc",
            ". /usr/share/bash-completion/bash_completion\nPS1='$ '\n",
            0o644,
        )
        .bind(&pg.sock, "/run/dockmux-demo/pg.sock")
        .as_me("dockmux link");
    let block = block("tab");
    let (typed, shown) = block.split_once('\n').unwrap();
    let line = typed.strip_prefix("$ ").unwrap();
    let (words, tabs) = line.split_once("<TAB>").unwrap();
    assert_eq!(tabs, "<TAB>", "the block types two TABs at the end");
    let tmux = Tmux::start(
        "readme-tab",
        (120, 30),
        &w.command_line("exec /bin/bash -i\n"),
    );
    tmux.wait_for("$ ");
    tmux.type_text(words);
    tmux.keys(&["Tab", "Tab"]);
    // bash lists the names, then shows the prompt and the line again.
    let prompt = format!("$ {}", words.trim_end());
    let deadline = Instant::now() + Duration::from_secs(20);
    let screen = loop {
        let screen = tmux.screen();
        if screen.lines().filter(|l| l.trim_end() == prompt).count() == 2 {
            break screen;
        }
        assert!(
            Instant::now() < deadline,
            "no list of names; screen:\n{screen}"
        );
        std::thread::sleep(Duration::from_millis(30));
    };
    let listed: String = screen
        .lines()
        .skip_while(|l| l.trim_end() != prompt)
        .skip(1)
        .take_while(|l| l.trim_end() != prompt)
        .map(|l| format!("{}\n", l.trim_end()))
        .collect();
    same(&format!("{typed}\n{listed}"), &format!("{typed}\n{shown}"));
}

/// README "First use": `scripts/lazycat-demo` as root, its engines at the
/// box's own paths (/data, /lzcsys: a root of the world's own), its logs in
/// a tmpfs /var/log; the built-in engines linked in ~/.local/bin; root's
/// PATH (dockerd is in /usr/sbin).
#[test]
fn lazycat_demo_gives_each_name_its_own_engine() {
    testbed::require_engines();
    let mut w = World::new();
    w.dockmux_at("/home/me/.local/bin/dockmux")
        .as_me("dockmux link")
        .tmpfs("/var/log")
        .var(
            "PATH",
            "/home/me/.local/bin:/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin",
        )
        .cwd(env!("CARGO_MANIFEST_DIR"))
        .own_root(&["/data", "/lzcsys"]);
    let block = block("lazycat-demo");
    same(&replay_in(&w, &block), &block);
}
