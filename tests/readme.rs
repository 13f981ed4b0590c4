//! Every console block of the README and of docs/ is replayed: each
//! `$ command` in one sh session (stderr with stdout, as a terminal shows
//! them), and the transcript must be the block, byte for byte. A block says
//! which scene replays it with a marker on the line before its fence,
//! `<!-- replay: SCENE -->`; `every_console_block_names_its_scene` fails for a
//! block without one, so no block goes unreplayed. A scene sets up the world
//! the block describes (harness::world: the block's own paths, in a private
//! mount namespace) and replays it.

use std::path::Path;

use crate::harness::testbed;
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
];

/// Scenes not written yet, each with what it still needs: their blocks are
/// not replayed (a debt, listed here so it stays visible; a new block cannot
/// join it without editing this list).
const NOT_YET: &[(&str, &str)] = &[
    (
        "lazycat-demo",
        "two more dockerds at /data and /lzcsys: needs an overlay root",
    ),
    (
        "engines-up",
        "a scene with pg up, lzc down and nas unresolvable",
    ),
    ("fanout", "a scene with the block's containers and volumes"),
    ("tab", "bash in tmux with bash-completion"),
    ("protected", "a terminal (tmux) for the typed confirmations"),
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
                Some(s) if NOT_YET.iter().any(|(n, _)| *n == s) => {}
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
    let engine = testbed::private("readme");
    let docker = |args: &[&str]| Out::of(engine.docker().args(args)).ok().to_string();
    docker(&[
        "create",
        "--name",
        "db-1",
        "--network",
        "none",
        testbed::IMAGE,
        "true",
    ]);
    docker(&[
        "run",
        "-d",
        "--name",
        "web-1",
        "--network",
        "none",
        testbed::IMAGE,
        "sleep",
        "100000",
    ]);
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
