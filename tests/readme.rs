//! The README's console blocks that can run anywhere, run: each `$ command`
//! in one sh session (stderr with stdout, as a terminal shows them), and the
//! transcript must be the block, byte for byte.

use std::path::Path;

use crate::harness::testbed;
use crate::harness::{Env, Out};

/// The first ```console block after `heading` in `page` (README.md or a
/// page of docs/).
fn console_block(page: &str, heading: &str) -> String {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join(page);
    let readme = std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{page}: {e}"));
    let at = readme
        .find(heading)
        .unwrap_or_else(|| panic!("{page} has no {heading:?}"));
    let start = readme[at..].find("```console\n").expect("a console block") + at;
    let body = &readme[start + "```console\n".len()..];
    body[..body.find("```").expect("the block's end")].to_string()
}

/// Runs the block's commands in one `sh` and returns the transcript.
fn replay(env: &Env, block: &str) -> String {
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
    Out::of(env.program("/bin/sh").args(["-c", &script])).stdout
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
    let block = console_block("README.md", "## First use");
    assert_eq!(replay(&env, &block), block);
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
    let block = console_block("docs/completion.md", "# Completion in depth");
    assert_eq!(replay(&env, &block), block);
}
