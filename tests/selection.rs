//! One grammar for every ENGINE argument (src/cli/selection.rs): names,
//! commands, globs, `@TAG` and `^` exclusions pick the same engines in
//! `list`, `ps`, `each`, `find`, `link`, `unlink`, `wrappers`, `contexts
//! export` and `set`; one test per command, on real engines where the command
//! asks one.

use std::collections::BTreeSet;
use std::path::Path;

use serde_json::Value;

use crate::engines::unique;
use crate::harness::testbed;
use crate::harness::{Env, Out};

/// Three engines: pg and lzc are the test bed's two, px is pg's engine again
/// under another name. Tags: pg home, lzc home+store, px nas.
fn tagged() -> Env {
    let bed = testbed::shared();
    let env = Env::new();
    env.user_config(&format!(
        "[engines.pg]\nhost = \"{pg}\"\ntags = [\"home\"]\n\n\
         [engines.lzc]\nhost = \"{lzc}\"\naliases = [\"store\"]\ntags = [\"home\", \"store\"]\n\n\
         [engines.px]\nhost = \"{pg}\"\ntags = [\"nas\"]\n",
        pg = bed.pg.host,
        lzc = bed.lzc.host
    ));
    std::os::unix::fs::symlink(testbed::real_docker(), env.bin.join("docker")).unwrap();
    for cmd in ["pg-docker", "lzc-docker", "store", "px-docker"] {
        env.link(cmd);
    }
    env
}

fn set(items: &[&str]) -> BTreeSet<String> {
    items.iter().map(|s| s.to_string()).collect()
}

/// The ENGINE words each test gives, and the engines they pick.
const CASES: &[(&[&str], &[&str])] = &[
    (&["@home"], &["lzc", "pg"]),
    (&["@home", "^lzc"], &["pg"]),
    (&["p*", "^@nas"], &["pg"]),
    (&["^@home"], &["px"]),
    (&["store"], &["lzc"]),
    (&["@n?s", "lzc"], &["lzc", "px"]),
];

/// Runs `picked` on every case and compares.
fn each_case(picked: impl Fn(&[&str]) -> BTreeSet<String>) {
    for (words, want) in CASES {
        assert_eq!(picked(words), set(want), "{words:?}");
    }
}

#[test]
fn list_takes_the_grammar() {
    let env = tagged();
    each_case(|words| {
        let out = Out::of(env.dockmux(["list", "--names"]).args(words));
        out.ok().lines().map(String::from).collect()
    });
    // A tag no engine has: refused, with the tags there are.
    let out = Out::of(&mut env.dockmux(["list", "@hom"]));
    let err = out.fails(125);
    assert!(
        err.contains("no engine has tag 'hom'") && err.contains("did you mean '@home'"),
        "{out}"
    );
}

#[test]
fn ps_takes_the_grammar() {
    let env = tagged();
    let name = unique("selps");
    for cmd in ["pg-docker", "lzc-docker"] {
        crate::fanout::create(&env, cmd, &name);
    }
    each_case(|words| {
        let out = Out::of(env.dockmux(["ps", "-a", "--json"]).args(words));
        let v: Value = serde_json::from_str(out.ok()).unwrap_or_else(|e| panic!("{e}: {out}"));
        v.as_array()
            .unwrap()
            .iter()
            .filter(|c| c["Names"] == name.as_str())
            .map(|c| c["engine"].as_str().unwrap().to_string())
            .collect()
    });
    env.run("pg-docker", ["rm", &name]).ok();
    env.run("lzc-docker", ["rm", &name]).ok();
}

#[test]
fn each_takes_the_grammar() {
    let env = tagged();
    each_case(|words| {
        let out = Out::of(env.dockmux(["each"]).args(words).args([
            "--",
            "version",
            "--format",
            "{{.Server.Os}}",
        ]));
        out.ok()
            .lines()
            .map(|l| l.split(" | ").next().unwrap().trim().to_string())
            .collect()
    });
}

#[test]
fn find_takes_the_grammar() {
    let env = tagged();
    let name = unique("selfind");
    env.run("pg-docker", ["volume", "create", &name]).ok();
    env.run("lzc-docker", ["volume", "create", &name]).ok();
    each_case(|words| {
        let out = Out::of(env.dockmux(["find", "--json", &name]).args(words));
        let v: Value = serde_json::from_str(out.ok()).unwrap_or_else(|e| panic!("{e}: {out}"));
        v.as_array()
            .unwrap()
            .iter()
            .map(|f| f["engine"].as_str().unwrap().to_string())
            .collect()
    });
    env.run("pg-docker", ["volume", "rm", &name]).ok();
    env.run("lzc-docker", ["volume", "rm", &name]).ok();
}

/// The engines whose NAME-docker is a link in `dir`.
fn linked(dir: &Path) -> BTreeSet<String> {
    std::fs::read_dir(dir)
        .unwrap()
        .filter_map(|e| {
            let name = e.unwrap().file_name().into_string().unwrap();
            name.strip_suffix("-docker").map(String::from)
        })
        .collect()
}

/// Each case: `before` (if any) then `dockmux COMMAND --dir D WORDS…` in a
/// new dir D; the engines with a `NAME-docker` in D after.
fn into_dir(env: &Env, before: Option<&str>, command: &str) {
    each_case(|words| {
        let dir = tempfile::tempdir_in(env.root()).unwrap();
        let d = dir.path().to_str().unwrap();
        if let Some(b) = before {
            Out::of(&mut env.dockmux([b, "--dir", d])).ok();
        }
        Out::of(env.dockmux([command, "--dir", d]).args(words)).ok();
        let made = linked(dir.path());
        match before {
            // What is gone is what was picked.
            Some(_) => set(&["lzc", "pg", "px"])
                .difference(&made)
                .cloned()
                .collect(),
            None => made,
        }
    });
}

#[test]
fn link_takes_the_grammar() {
    into_dir(&tagged(), None, "link");
}

#[test]
fn unlink_takes_the_grammar() {
    into_dir(&tagged(), Some("link"), "unlink");
}

#[test]
fn wrappers_takes_the_grammar() {
    into_dir(&tagged(), None, "wrappers");
}

#[test]
fn contexts_export_takes_the_grammar() {
    let env = tagged();
    each_case(|words| {
        let home = tempfile::tempdir_in(env.root()).unwrap();
        let out = Out::of(
            env.dockmux(["contexts", "export"])
                .args(words)
                .env("DOCKER_CONFIG", home.path()),
        );
        let report = out.ok().to_string();
        // What the real client sees in that store.
        let ls = Out::of(
            env.cmd("docker")
                .args(["context", "ls", "--format", "{{.Name}}"])
                .env("DOCKER_CONFIG", home.path()),
        );
        let contexts: BTreeSet<String> = ls
            .ok()
            .lines()
            .filter(|c| *c != "default")
            .map(String::from)
            .collect();
        assert_eq!(
            contexts.len(),
            report.matches("created  context").count(),
            "{report}"
        );
        contexts
    });
}

#[test]
fn set_takes_the_grammar() {
    let env = tagged();
    each_case(|words| {
        let path = env.user_config_path();
        let before = std::fs::read_to_string(&path).unwrap();
        Out::of(env.dockmux(["set", "--readonly"]).args(words)).ok();
        let out = Out::of(&mut env.dockmux(["list", "--json", "--no-probe"]));
        let v: Value = serde_json::from_str(out.ok()).unwrap();
        std::fs::write(&path, before).unwrap();
        v.as_array()
            .unwrap()
            .iter()
            .filter(|e| e["readonly"] == true)
            .map(|e| e["name"].as_str().unwrap().to_string())
            .collect()
    });
}
