//! Edits on a box shared by root and other users, with real users: root
//! never leaves root-owned files in a user's HOME, no user can stall root's
//! edits, links every user runs name engines every user has, and `add
//! --link` either does all its steps or says what is left.

use std::os::unix::fs::{MetadataExt, PermissionsExt};
use std::path::Path;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use crate::harness::users::{User, user};
use crate::harness::{Env, Out};

fn chmod(p: &Path, mode: u32) {
    std::fs::set_permissions(p, std::fs::Permissions::from_mode(mode)).unwrap();
}

/// Runs `dockmux ARGS…`, killing it if it takes longer than `limit`.
fn edit_within(env: &Env, args: &[&str], limit: Duration) -> (Out, Duration) {
    run_within(&mut env.dockmux(args), limit)
}

/// Runs `cmd`, killing it if it takes longer than `limit`.
fn run_within(cmd: &mut Command, limit: Duration) -> (Out, Duration) {
    // Before the spawn: once exec'd, the child may start its own clock
    // before this thread runs again, and a bound it keeps would then look
    // microseconds short.
    let t = Instant::now();
    let mut child = cmd
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    while child.try_wait().unwrap().is_none() {
        if t.elapsed() > limit {
            let _ = child.kill();
            break;
        }
        std::thread::sleep(Duration::from_millis(20));
    }
    (
        Out::from_output(child.wait_with_output().unwrap()),
        t.elapsed(),
    )
}

/// Waits until `path` exists (a holder's "I have the lock" mark).
fn wait_for(path: &Path) {
    let t = Instant::now();
    while !path.exists() {
        assert!(
            t.elapsed() < Duration::from_secs(20),
            "{} never appeared",
            path.display()
        );
        std::thread::sleep(Duration::from_millis(10));
    }
}

/// Holds a flock on `path` (as `by`, else root) until killed; returns once
/// it is held, `held` being its mark. --no-fork: the process that locks is
/// the one that sleeps (and is killed).
fn hold_flock(path: &Path, held: &Path, by: Option<&User>) -> std::process::Child {
    let mut flock = Command::new("/usr/bin/flock");
    flock
        .args(["-x", "--no-fork"])
        // flock -c runs $SHELL; the test users have no login shell.
        .env("SHELL", "/bin/sh")
        .arg(path)
        .args(["-c", &format!("touch {} && exec sleep 60", held.display())]);
    if let Some(u) = by {
        u.runs(&mut flock);
    }
    let holder = flock.spawn().unwrap();
    wait_for(held);
    holder
}

/// A directory of the user's own, for their HOME or their marks.
fn own_dir(env: &Env, u: &User, name: &str) -> std::path::PathBuf {
    let d = env.root().join(name);
    std::fs::create_dir_all(&d).unwrap();
    u.owns(&d);
    d
}

#[test]
fn root_with_a_users_home_refuses_and_leaves_nothing_there() {
    let alice = user("dmx-home");
    let env = Env::new();
    alice.owns(&env.home);
    let out = Out::of(&mut env.dockmux(["add", "nas", "ssh://me@nas"]));
    let err = out.fails(125);
    assert!(
        err.contains(&format!(
            "{} is owned by dmx-home (uid {})",
            env.home.display(),
            alice.uid
        )) && err.contains("run it as that user")
            && err.contains("--system"),
        "{out}"
    );
    assert_eq!(
        std::fs::read_dir(&env.home).unwrap().count(),
        0,
        "root left files in the HOME"
    );
    // With ~/.config already there, and the HOME root's: the same, for ~/.config.
    std::fs::create_dir(env.home.join(".config")).unwrap();
    alice.owns(&env.home.join(".config"));
    std::os::unix::fs::lchown(&env.home, Some(0), Some(0)).unwrap();
    let out = Out::of(&mut env.dockmux(["add", "nas", "ssh://me@nas"]));
    assert!(
        out.fails(125).contains(".config is owned by dmx-home"),
        "{out}"
    );
    assert_eq!(
        std::fs::read_dir(env.home.join(".config")).unwrap().count(),
        0
    );
    // --system is root's to edit, and works.
    Out::of(&mut env.dockmux(["add", "--system", "nas", "ssh://me@nas"])).ok();
    // As that user, the edit is theirs: the files are theirs too.
    let mut c = env.dockmux(["add", "box", "ssh://me@box"]);
    chmod(env.root(), 0o755);
    alice.runs(&mut c);
    let out = Out::of(&mut c);
    out.ok();
    let cfg = env.user_config_path();
    assert_eq!(std::fs::metadata(&cfg).unwrap().uid(), alice.uid);
    assert_eq!(
        std::fs::metadata(cfg.parent().unwrap()).unwrap().uid(),
        alice.uid
    );
}

#[test]
fn another_user_locking_the_config_directory_does_not_stall_roots_edit() {
    let mallory = user("dmx-lock");
    let env = Env::new();
    chmod(env.root(), 0o755);
    let etc = env.system_config_path.parent().unwrap().to_path_buf();
    chmod(&etc, 0o755);
    let marks = own_dir(&env, &mallory, "marks");
    let held = marks.join("held");
    // What any user can do to a directory they can read: flock it, for good.
    let mut holder = hold_flock(&etc, &held, Some(&mallory));
    let (out, took) = edit_within(
        &env,
        &["add", "--system", "media", "tcp://10.1.1.1:2375"],
        Duration::from_secs(20),
    );
    let _ = holder.kill();
    let _ = holder.wait();
    out.ok();
    assert!(took < Duration::from_secs(5), "took {took:?}");
    // The lock file went with the edit: only the config is left.
    assert_eq!(std::fs::read_dir(&etc).unwrap().count(), 1);
}

#[test]
fn a_held_lock_is_waited_for_a_bounded_time_naming_its_holder() {
    let env = Env::new();
    let cfg = env.user_config("[engines.mine]\nhost = \"unix:///m.sock\"\n");
    let lock = cfg.parent().unwrap().join(".engines.toml.lock");
    let held = env.root().join("held");
    let mut holder = hold_flock(&lock, &held, None);
    let (out, took) = edit_within(
        &env,
        &["add", "nas", "ssh://me@nas"],
        Duration::from_secs(40),
    );
    let pid = holder.id();
    let _ = holder.kill();
    let _ = holder.wait();
    let err = out.fails(1);
    assert!(
        err.contains(&format!(
            "waiting for pid {pid} (user root (uid 0), sleep 60)"
        )) && err.contains("has held its lock")
            && err.contains(&format!("kill {pid}")),
        "{out}"
    );
    assert!(
        took >= Duration::from_secs(10) && took < Duration::from_secs(30),
        "took {took:?}"
    );
    assert!(!std::fs::read_to_string(&cfg).unwrap().contains("nas"));
    // Once it is free, the edit goes through.
    Out::of(&mut env.dockmux(["add", "nas", "ssh://me@nas"])).ok();
}

/// An Env whose link dir `shared-bin` every user can run from.
fn shared_env() -> (Env, std::path::PathBuf) {
    let env = Env::new();
    chmod(env.root(), 0o755);
    let dir = env.root().join("shared-bin");
    std::fs::create_dir(&dir).unwrap();
    chmod(&dir, 0o755);
    (env, dir)
}

#[test]
fn roots_links_every_user_runs_name_engines_every_user_has() {
    let bob = user("dmx-other");
    let (mut env, dir) = shared_env();
    let d = dir.to_str().unwrap();
    env.fake_docker();
    chmod(&env.record, 0o777);
    // Root's own engine, linked where everyone runs commands from: refused, nothing done.
    let out = Out::of(&mut env.dockmux(["add", "media", "unix:///m.sock", "--link", "--dir", d]));
    let err = out.fails(125);
    assert!(
        err.contains("serves every user") && err.contains("add --system"),
        "{out}"
    );
    assert!(!env.user_config_path().exists());
    assert_eq!(std::fs::read_dir(&dir).unwrap().count(), 0);
    // `link` refuses the same, before making any link.
    env.user_config("[engines.mine]\nhost = \"unix:///mine.sock\"\n");
    let out = Out::of(&mut env.dockmux(["link", "--dir", d]));
    assert!(
        out.fails(125)
            .contains("engine mine is only in your own config"),
        "{out}"
    );
    assert_eq!(std::fs::read_dir(&dir).unwrap().count(), 0);
    // --system: the engine is everyone's, and so is the command.
    Out::of(&mut env.dockmux([
        "add",
        "--system",
        "media",
        "unix:///m.sock",
        "--link",
        "--dir",
        d,
    ]))
    .ok();
    let mut c = env.program(dir.join("media-docker"));
    c.arg("ps").env("HOME", env.root().join("bobs-home"));
    bob.runs(&mut c);
    Out::of(&mut c).ok();
    assert_eq!(env.last_call().var("DOCKER_HOST"), Some("unix:///m.sock"));
    // doctor finds a link every user runs for an engine only root's config has.
    std::os::unix::fs::symlink(crate::harness::dockmux_bin(), dir.join("mine-docker")).unwrap();
    let path = format!("{d}:{}", crate::harness::SYSTEM_PATH);
    env.var("PATH", &path);
    let out = Out::of(&mut env.dockmux(["doctor", "--json"]));
    let v: serde_json::Value = serde_json::from_str(&out.stdout).unwrap();
    let found: Vec<&serde_json::Value> = v["checks"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|c| c["check"] == "shared_link")
        .collect();
    assert_eq!(found.len(), 1, "{out}");
    assert!(
        found[0]["message"]
            .as_str()
            .unwrap()
            .contains("engine 'mine' is only in")
            && found[0]["fix"]
                .as_str()
                .unwrap()
                .contains("dockmux add --system mine unix:///mine.sock"),
        "{out}"
    );
}

#[test]
fn add_link_into_a_dir_it_cannot_write_changes_nothing() {
    let carol = user("dmx-link");
    let env = Env::new();
    chmod(env.root(), 0o755);
    let home = own_dir(&env, &carol, "carol");
    let bin = own_dir(&env, &carol, "carol/bin");
    chmod(&bin, 0o555);
    let mut c = env.dockmux([
        "add",
        "nas",
        "ssh://me@nas",
        "--link",
        "--dir",
        bin.to_str().unwrap(),
    ]);
    c.env("HOME", &home);
    carol.runs(&mut c);
    let out = Out::of(&mut c);
    let err = out.fails(125);
    assert!(
        err.contains(&format!("cannot make links in {}", bin.display()))
            && err.contains("nothing was changed"),
        "{out}"
    );
    assert!(!home.join(".config").exists(), "the config was written");
}

/// Everything below `dir` (links not followed), with owner and mode.
fn listing(dir: &Path) -> Vec<(std::path::PathBuf, u32, u32)> {
    let mut all = Vec::new();
    for entry in std::fs::read_dir(dir).unwrap() {
        let p = entry.unwrap().path();
        let m = std::fs::symlink_metadata(&p).unwrap();
        all.push((p.clone(), m.uid(), m.mode()));
        if m.is_dir() {
            all.extend(listing(&p));
        }
    }
    all.sort();
    all
}

/// The refusal root gets for an edit in `owner`'s tree at `at`.
fn assert_foreign_tree(out: &Out, at: &Path, owner: &User) {
    let err = out.fails(125);
    assert!(
        err.contains(&format!(
            "{} is owned by {} (uid {}), not root",
            at.display(),
            owner.name,
            owner.uid
        )) && err.contains("run it as that user")
            && err.contains("--system"),
        "{out}"
    );
}

#[test]
fn root_follows_no_users_config_link_into_a_root_owned_dir() {
    let atk1 = user("dmx-atk1");
    let env = Env::new();
    atk1.owns(&env.home);
    // Root's own directory (standing in for /etc), where the user's ~/.config leads.
    let etc = env.root().join("etc-standin");
    std::fs::create_dir(&etc).unwrap();
    let link = env.home.join(".config");
    std::os::unix::fs::symlink(&etc, &link).unwrap();
    atk1.owns(&link);
    let before = (listing(&env.home), listing(&etc));
    let out = Out::of(&mut env.dockmux(["add", "evil", "unix:///tmp/evil.sock"]));
    assert_foreign_tree(&out, &env.home, &atk1);
    assert_eq!((listing(&env.home), listing(&etc)), before, "{out}");
    // Where a config is there already, loading refuses it for the same
    // directory, and the edit leaves it as it was.
    std::fs::create_dir(etc.join("dockmux")).unwrap();
    std::fs::write(etc.join("dockmux/engines.toml"), "").unwrap();
    let before = listing(&etc);
    let list = Out::of(&mut env.dockmux(["list"]));
    assert!(
        list.fails(125).contains(&format!(
            "directory {} is owned by uid {}",
            env.home.display(),
            atk1.uid
        )),
        "{list}"
    );
    let out = Out::of(&mut env.dockmux(["add", "evil", "unix:///tmp/evil.sock"]));
    assert_foreign_tree(&out, &env.home, &atk1);
    assert_eq!(listing(&etc), before, "{out}");
}

#[test]
fn root_refuses_its_own_dir_inside_a_users_home() {
    let atk2 = user("dmx-atk2");
    let env = Env::new();
    atk2.owns(&env.home);
    // Root made ~/.config: the nearest directory is root's, the HOME above it is not.
    std::fs::create_dir(env.home.join(".config")).unwrap();
    let before = listing(&env.home);
    let out = Out::of(&mut env.dockmux(["add", "r1", "unix:///tmp/r.sock"]));
    assert_foreign_tree(&out, &env.home, &atk2);
    assert_eq!(listing(&env.home), before, "{out}");
}

#[test]
fn an_edit_where_another_user_can_replace_the_config_is_refused_before_locking() {
    let atk1 = user("dmx-atk1");
    let atk2 = user("dmx-atk2");
    let mut env = Env::new();
    chmod(env.root(), 0o755);
    // atk2's open directory inside a sticky one everyone writes to (as /tmp),
    // with a lock file anyone may open, held by atk2.
    let public = env.root().join("pub");
    std::fs::create_dir(&public).unwrap();
    chmod(&public, 0o1777);
    let ww = public.join("ww");
    let dir = ww.join("dockmux");
    std::fs::create_dir_all(&dir).unwrap();
    let lock = dir.join(".engines.toml.lock");
    std::fs::write(&lock, "").unwrap();
    for (p, mode) in [(&ww, 0o777), (&dir, 0o777), (&lock, 0o666)] {
        chmod(p, mode);
        atk2.owns(p);
    }
    let held = own_dir(&env, &atk2, "marks").join("held");
    let mut holder = hold_flock(&lock, &held, Some(&atk2));
    env.var("XDG_CONFIG_HOME", &ww);
    let before = listing(&ww);
    let mut add = env.dockmux(["add", "nas", "ssh://me@nas"]);
    atk1.runs(&mut add);
    let (out, took) = run_within(&mut add, Duration::from_secs(20));
    let _ = holder.kill();
    let _ = holder.wait();
    let err = out.fails(125).to_string();
    assert!(took < Duration::from_secs(5), "took {took:?}: {out}");
    assert_eq!(listing(&ww), before, "{out}");
    // Loading refuses the config atk1 would have had there, in the same words.
    let cfg = dir.join("engines.toml");
    std::fs::write(&cfg, "").unwrap();
    chmod(&cfg, 0o600);
    atk1.owns(&cfg);
    let mut list = env.dockmux(["list"]);
    atk1.runs(&mut list);
    let list = Out::of(&mut list);
    assert_eq!(err, list.fails(125), "{out}\n{list}");
    assert!(
        err.contains(&format!("{} is owned by uid {}", ww.display(), atk2.uid)),
        "{out}"
    );
}

#[test]
fn a_home_of_slash_does_not_make_a_shared_dir_the_callers_own() {
    let (env, dir) = shared_env();
    let cfg = env.root().join("mine.toml");
    std::fs::write(&cfg, "[engines.mine]\nhost = \"unix:///mine.sock\"\n").unwrap();
    std::fs::set_permissions(&cfg, std::fs::Permissions::from_mode(0o600)).unwrap();
    let before = std::fs::read(&cfg).unwrap();
    let mut c = env.dockmux([
        "add",
        "u1",
        "unix:///x",
        "--link",
        "--dir",
        dir.to_str().unwrap(),
    ]);
    c.env("HOME", "/").env("DOCKMUX_CONFIG", &cfg);
    let out = Out::of(&mut c);
    assert!(out.fails(125).contains("serves every user"), "{out}");
    assert_eq!(std::fs::read(&cfg).unwrap(), before, "{out}");
    assert_eq!(std::fs::read_dir(&dir).unwrap().count(), 0);
}

#[test]
fn rename_refuses_to_move_a_link_of_a_users_own_engine_into_a_shared_dir() {
    let (env, dir) = shared_env();
    let d = dir.to_str().unwrap();
    let cfg = env.user_config("[engines.u3]\nhost = \"unix:///u3.sock\"\n");
    // A link made before (by hand, or by an older dockmux) for the user's own engine.
    std::os::unix::fs::symlink(crate::harness::dockmux_bin(), dir.join("u3-docker")).unwrap();
    let before = std::fs::read(&cfg).unwrap();
    let out = Out::of(&mut env.dockmux(["rename", "u3", "u4", "--dir", d]));
    let err = out.fails(125);
    assert!(
        err.contains("serves every user") && err.contains("the engine was not renamed"),
        "{out}"
    );
    assert_eq!(std::fs::read(&cfg).unwrap(), before);
    assert!(!dir.join("u4-docker").exists());
    let out = Out::of(std::process::Command::new("/usr/bin/find").arg(&env.system_share));
    assert!(
        !out.stdout.contains("u4"),
        "completions were written: {out}"
    );
}
