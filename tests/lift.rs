//! Issue 22 item 3: `dockmux protect lift ENGINE DURATION` sets a
//! protected engine's second yes aside for the user who lifted it, until
//! the deadline or `protect resume`; another user's lift lifts nothing.

use std::os::unix::fs::PermissionsExt;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use crate::engines::unique;
use crate::harness::testbed::{self, IMAGE};
use crate::harness::users::user;
use crate::harness::{Env, Out};

fn protected() -> Env {
    let bed = testbed::shared();
    let env = Env::new();
    env.user_config(&format!(
        "[engines.lzc]\nhost = \"{}\"\nprotect = true\n\n[engines.audit]\nhost = \"{}\"\nreadonly = true\n\n[engines.pg]\nhost = \"{}\"\n",
        bed.lzc.host, bed.lzc.host, bed.pg.host
    ));
    std::os::unix::fs::symlink(testbed::real_docker(), env.bin.join("docker")).unwrap();
    env.link("lzc-docker");
    env
}

/// A volume on lzc, and `lzc-docker volume rm` of it with no terminal and
/// no DOCKMUX_CONFIRM: it runs only when the protection is lifted.
fn rm_runs(env: &Env) -> bool {
    rm_runs_in(env, &env.runtime_dir())
}

/// [`rm_runs`] with `XDG_RUNTIME_DIR=runtime`.
fn rm_runs_in(env: &Env, runtime: &std::path::Path) -> bool {
    let lzc = || testbed::shared().lzc.docker();
    let vol = unique("lifted");
    Out::of(lzc().args(["volume", "create", &vol])).ok();
    let mut rm = env.cmd("lzc-docker");
    rm.args(["volume", "rm", &vol])
        .env("XDG_RUNTIME_DIR", runtime);
    let out = Out::of(&mut rm);
    match out.code {
        Some(0) => true,
        Some(125) if out.stderr.contains("DOCKMUX_CONFIRM=lzc") => {
            Out::of(lzc().args(["volume", "rm", &vol])).ok();
            false
        }
        _ => panic!("neither ran nor held: {out}"),
    }
}

fn utc(secs: u64) -> String {
    let out = Out::of(std::process::Command::new("date").args([
        "-u",
        "-d",
        &format!("@{secs}"),
        "+%Y-%m-%dT%H:%M:%SZ",
    ]));
    out.ok().trim().to_string()
}

fn now() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .unwrap()
        .as_secs()
}

#[test]
fn a_lift_runs_held_commands_until_it_ends_or_is_resumed() {
    let env = protected();
    assert!(!rm_runs(&env));
    let before = now();
    let out = Out::of(&mut env.dockmux(["protect", "lift", "lzc", "10m"]));
    let after = now();
    assert!(
        out.ok().starts_with("lifted   protection of engine 'lzc'"),
        "{out}"
    );
    assert!(rm_runs(&env));
    // run, judged by what it touches, is lifted too.
    env.run(
        "lzc-docker",
        [
            "run",
            "--rm",
            "--network",
            "none",
            "-v",
            "/:/h",
            IMAGE,
            "true",
        ],
    )
    .ok();
    // list shows it; --json says until when, to the second.
    let list = Out::of(&mut env.dockmux(["list", "--no-probe", "lzc"]));
    assert!(list.ok().contains("protect, lifted until "), "{list}");
    let json = Out::of(&mut env.dockmux(["list", "--json", "--no-probe"]));
    let v: serde_json::Value = serde_json::from_str(json.ok()).unwrap();
    let until = v[1]["lifted_until"]
        .as_str()
        .unwrap_or_default()
        .to_string();
    assert_eq!(v[1]["name"], "lzc");
    assert!(
        (utc(before + 600)..=utc(after + 600)).contains(&until),
        "{until} not 10m after {before}..{after}"
    );
    assert!(v[0]["lifted_until"].is_null() && v[2]["lifted_until"].is_null());
    // Resumed: asked again.
    let out = Out::of(&mut env.dockmux(["protect", "resume", "lzc"]));
    assert!(out.ok().starts_with("resumed  protection"), "{out}");
    assert!(!rm_runs(&env));
    let out = Out::of(&mut env.dockmux(["protect", "resume", "lzc"]));
    assert!(out.ok().contains("was not lifted"), "{out}");
    // A short lift ends when it says.
    Out::of(&mut env.dockmux(["protect", "lift", "lzc", "2s"])).ok();
    let lifted_at = SystemTime::now();
    assert!(rm_runs(&env));
    std::thread::sleep(Duration::from_secs(2).saturating_sub(lifted_at.elapsed().unwrap()));
    std::thread::sleep(Duration::from_millis(50));
    assert!(!rm_runs(&env), "the lift outlived its 2s");
    let list = Out::of(&mut env.dockmux(["list", "--no-probe", "lzc"]));
    assert!(!list.ok().contains("lifted"), "{list}");
}

#[test]
fn lift_refuses_read_only_and_unprotected_engines() {
    let env = protected();
    let out = Out::of(&mut env.dockmux(["protect", "lift", "audit", "10m"]));
    assert!(
        out.fails(125)
            .contains("read-only, and a lift does not lift that"),
        "{out}"
    );
    let out = Out::of(&mut env.dockmux(["protect", "lift", "pg", "10m"]));
    assert!(out.fails(125).contains("is not protected"), "{out}");
    for bad in ["0", "soon", "10d", ""] {
        let out = Out::of(&mut env.dockmux(["protect", "lift", "lzc", bad]));
        assert!(out.fails(125).contains("is not a duration"), "{bad}: {out}");
    }
}

#[test]
fn another_users_lift_lifts_nothing() {
    let env = protected();
    let other = user("dmx-lift");
    // Their own lift, in a runtime dir of theirs that the caller is pointed
    // at (as a planted /tmp/dockmux-lift-UID would be): written by dockmux
    // as that user, from a config of theirs for the same engine.
    let theirs = std::env::temp_dir().join(unique("dmx-lift-theirs"));
    std::fs::create_dir(&theirs).unwrap();
    std::fs::set_permissions(&theirs, std::fs::Permissions::from_mode(0o755)).unwrap();
    let config = theirs.join("engines.toml");
    std::fs::copy(env.user_config_path(), &config).unwrap();
    other.owns_tree(&theirs);
    let mut lift = env.dockmux(["protect", "lift", "lzc", "10m"]);
    lift.env("DOCKMUX_CONFIG", &config)
        .env("XDG_RUNTIME_DIR", &theirs)
        .current_dir("/");
    other.runs(&mut lift);
    Out::of(&mut lift).ok();
    let planted = theirs.join("dockmux-lift/lzc");
    assert!(planted.is_file());
    assert!(!rm_runs_in(&env, &theirs));
    // Lifting there is refused, naming the directory.
    let mut lift = env.dockmux(["protect", "lift", "lzc", "10m"]);
    lift.env("XDG_RUNTIME_DIR", &theirs);
    let out = Out::of(&mut lift);
    assert!(out.fails(125).contains("is not yours alone"), "{out}");
    // In the caller's own dir, a lift file that is another user's: ignored.
    Out::of(&mut env.dockmux(["protect", "lift", "lzc", "10m"])).ok();
    let mine = env.runtime_dir().join("dockmux-lift/lzc");
    assert!(rm_runs(&env));
    other.owns(&mine);
    assert!(!rm_runs(&env));
    // Or the caller's own file, open to others: ignored.
    std::os::unix::fs::lchown(&mine, Some(0), Some(0)).unwrap();
    std::fs::set_permissions(&mine, std::fs::Permissions::from_mode(0o644)).unwrap();
    assert!(!rm_runs(&env));
    std::fs::remove_dir_all(&theirs).unwrap();
}
