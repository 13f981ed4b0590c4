//! `dockmux add`, `remove`, `rename`: edits keep everything else in the file
//! byte for byte, are checked as loading checks, are atomic, and bad input
//! writes nothing.

use std::os::unix::fs::{MetadataExt, PermissionsExt};
use std::os::unix::process::ExitStatusExt;
use std::path::Path;
use std::process::Stdio;
use std::time::{Duration, Instant, SystemTime};

use crate::harness::{Env, Out};

/// A config as a person writes it: comments everywhere, odd spacing, a
/// section heading, an inline table, a trailing comment.
const COMMENTED: &str = r#"# My engines — hand written, please keep my notes.
docker = "/usr/bin/docker"   # the real client

# ---- on this box ----

# The playground (Dockge deploys here)
[engines.pg]
host = "unix:///data/playground/docker.sock"   # from the seed
aliases = [ "playground" ,"pgd" ]  # odd spacing on purpose

# The app store
[engines.lzc]  # header comment
host="unix:///lzcsys/run/lzc-docker/docker.sock"
description = 'LazyCat app store'

# ---- remote ----
[engines.remote]
host = "tcp://10.0.0.5:2376"
tls = {verify=true,   cert_path = "/etc/dockmux/certs/remote"}
# end of file: keep me
"#;

/// COMMENTED without its `docker =` line, for tests with the fake client.
fn commented_fake() -> String {
    COMMENTED.replace("docker = \"/usr/bin/docker\"   # the real client\n", "")
}

fn run(env: &Env, args: &[&str]) -> Out {
    Out::of(&mut env.dockmux(args))
}

fn read(p: &Path) -> String {
    std::fs::read_to_string(p).unwrap()
}

#[test]
fn add_appends_and_leaves_every_other_byte_alone() {
    let env = Env::new();
    let path = env.user_config(COMMENTED);
    run(
        &env,
        &[
            "add",
            "nas",
            "ssh://me@nas.local",
            "--description",
            "The NAS",
            "--alias",
            "n",
        ],
    )
    .ok();
    let after = read(&path);
    assert_eq!(
        after,
        format!(
            "{COMMENTED}\n[engines.nas]\nhost = \"ssh://me@nas.local\"\ndescription = \"The NAS\"\naliases = [\"n\"]\n"
        )
    );
    let names = run(&env, &["list", "--names"]);
    assert_eq!(names.ok(), "lzc\nnas\npg\nremote\n");
}

#[test]
fn rename_changes_only_the_table_header() {
    let env = Env::new();
    let path = env.user_config(COMMENTED);
    run(&env, &["rename", "lzc", "store"]).ok();
    assert_eq!(
        read(&path),
        COMMENTED.replace(
            "[engines.lzc]  # header comment",
            "[engines.store]  # header comment"
        )
    );
    let out = run(&env, &["list", "--names"]);
    assert_eq!(out.ok(), "pg\nremote\nstore\n");
}

#[test]
fn remove_cuts_out_the_engine_and_its_own_comment_only() {
    let env = Env::new();
    let path = env.user_config(COMMENTED);
    run(&env, &["remove", "lzc"]).ok();
    let block = "\n# The app store\n[engines.lzc]  # header comment\nhost=\"unix:///lzcsys/run/lzc-docker/docker.sock\"\ndescription = 'LazyCat app store'\n";
    assert!(COMMENTED.contains(block));
    assert_eq!(read(&path), COMMENTED.replacen(block, "", 1));

    // A heading set off by a blank line stays; the engine's own comment goes.
    let now = read(&path);
    run(&env, &["remove", "pg"]).ok();
    let block = "\n# The playground (Dockge deploys here)\n[engines.pg]\nhost = \"unix:///data/playground/docker.sock\"   # from the seed\naliases = [ \"playground\" ,\"pgd\" ]  # odd spacing on purpose\n";
    assert!(now.contains(block));
    assert_eq!(read(&path), now.replacen(block, "", 1));
    assert!(read(&path).contains("\n# ---- on this box ----\n"));
}

#[test]
fn a_new_config_is_private_and_keeps_the_built_in_engines() {
    let env = Env::new();
    let path = env.user_config_path();
    assert!(!path.exists());
    run(&env, &["add", "nas", "ssh://me@nas"]).ok();
    let mode = |p: &Path| std::fs::metadata(p).unwrap().mode() & 0o7777;
    assert_eq!(mode(&path), 0o600);
    assert_eq!(mode(path.parent().unwrap()), 0o700);
    // Before the file existed the built-in pg and lzc were in use; they still are.
    let out = run(&env, &["list", "--names"]);
    assert_eq!(out.ok(), "lzc\nnas\npg\n");
}

#[test]
fn the_files_mode_is_kept_and_a_symlinked_config_stays_a_link() {
    let env = Env::new();
    let real = env.root().join("dotfiles/engines.toml");
    std::fs::create_dir_all(real.parent().unwrap()).unwrap();
    std::fs::write(&real, COMMENTED).unwrap();
    std::fs::set_permissions(&real, std::fs::Permissions::from_mode(0o640)).unwrap();
    let link = env.user_config_path();
    std::fs::create_dir_all(link.parent().unwrap()).unwrap();
    std::os::unix::fs::symlink(&real, &link).unwrap();
    run(&env, &["add", "nas", "ssh://nas"]).ok();
    assert!(std::fs::symlink_metadata(&link).unwrap().is_symlink());
    assert_eq!(std::fs::metadata(&real).unwrap().mode() & 0o7777, 0o640);
    assert!(read(&real).starts_with(COMMENTED));
}

/// (bytes, mtime) of a file, or None when it is absent.
fn snapshot(p: &Path) -> Option<(Vec<u8>, SystemTime)> {
    let m = std::fs::metadata(p).ok()?;
    Some((std::fs::read(p).unwrap(), m.modified().unwrap()))
}

#[test]
fn bad_input_is_refused_with_125_and_writes_nothing() {
    let env = Env::new();
    env.system_config("[engines.sys]\nhost = \"unix:///sys.sock\"\naliases = [\"shared\"]\n");
    let path = env.user_config(COMMENTED);
    // mtimes have a coarse granularity on some file systems: make any write visible.
    std::thread::sleep(Duration::from_millis(20));
    let before = snapshot(&path);
    let sys_before = snapshot(&env.system_config_path);
    let cases: &[(&[&str], &str)] = &[
        (
            &["add", "pg", "unix:///x.sock"],
            "engine 'pg' already exists",
        ),
        (
            &["add", "sys", "unix:///x.sock"],
            "engine 'sys' already exists",
        ),
        (
            &["add", "x", "unix:///x.sock", "--alias", "playground"],
            "command 'playground' already reaches engine 'pg'",
        ),
        (
            &["add", "x", "unix:///x.sock", "--alias", "shared"],
            "already reaches engine 'sys'",
        ),
        (
            &["add", "x", "unix:///x.sock", "--alias", "pg-docker"],
            "command 'pg-docker' already reaches engine 'pg'",
        ),
        (&["add", "x", "/tmp/x.sock"], "unix:///tmp/x.sock"),
        (&["add", "x", "tcp://nas"], "needs a port"),
        (&["add", "x", "ssh://me:pw@nas"], "passwords"),
        (&["add", "Bad", "unix:///x.sock"], "try 'bad'"),
        (
            &["add", "x", "unix:///x.sock", "--tlsverify"],
            "TLS applies only to tcp",
        ),
        (
            &["add", "x", "unix:///x.sock", "--alias", "dockmux-x"],
            "belong to dockmux",
        ),
        (&["remove", "nope"], "no engine named 'nope'"),
        (&["remove", "sys"], "add --system"),
        (&["remove", "pg", "--system"], "drop --system"),
        (&["rename", "nope", "x"], "no engine named 'nope'"),
        (&["rename", "pg", "lzc"], "engine 'lzc' already exists"),
        (&["rename", "pg", "Nope"], "try 'nope'"),
        (&["rename", "lzc", "sys"], "engine 'sys' already exists"),
        (
            &["add", "x", "unix:///x.sock", "--alias", "y", "--alias", "y"],
            "given twice",
        ),
    ];
    for (args, needle) in cases {
        let out = run(&env, args);
        let err = out.fails(125);
        assert!(
            err.contains(needle),
            "{args:?}: expected '{needle}' in: {out}"
        );
        assert_eq!(snapshot(&path), before, "{args:?} wrote the user config");
        assert_eq!(
            snapshot(&env.system_config_path),
            sys_before,
            "{args:?} wrote the system config"
        );
    }
    let left: Vec<_> = std::fs::read_dir(path.parent().unwrap())
        .unwrap()
        .map(|e| e.unwrap().file_name())
        .collect();
    assert_eq!(left, ["engines.toml"], "temp files left behind");
}

#[test]
fn a_missing_config_to_edit_is_refused_and_not_created() {
    // DOCKMUX_CONFIG names a file that is not there.
    let mut env = Env::new();
    let missing = env.root().join("missing.toml");
    env.var("DOCKMUX_CONFIG", &missing);
    for args in [
        vec!["add", "x", "unix:///x.sock"],
        vec!["remove", "x"],
        vec!["rename", "x", "y"],
    ] {
        let out = run(&env, &args);
        assert!(out.fails(125).contains("does not exist"), "{out}");
        assert!(!missing.exists());
    }
    // The system config is missing and the engine lives in the user's.
    let env = Env::new();
    env.user_config("[engines.mine]\nhost = \"unix:///m.sock\"\n");
    let out = run(&env, &["remove", "mine", "--system"]);
    assert!(out.fails(125).contains("which does not exist"), "{out}");
    assert!(!env.system_config_path.exists());
    // No file at all: built-in engines in use, an unknown name creates nothing.
    let env = Env::new();
    let out = run(&env, &["remove", "nope"]);
    out.fails(125);
    assert!(!env.user_config_path().exists());
}

#[test]
fn system_edits_go_to_the_system_file_readable_by_all() {
    let env = Env::new();
    env.system_config("");
    env.user_config("[engines.mine]\nhost = \"unix:///m.sock\"\n");
    run(&env, &["add", "--system", "shared", "tcp://10.1.1.1:2375"]).ok();
    let sys = &env.system_config_path;
    assert_eq!(
        read(sys),
        "[engines.shared]\nhost = \"tcp://10.1.1.1:2375\"\n"
    );
    // A user engine of the same name would shadow it: refused.
    let out = run(&env, &["add", "shared", "unix:///s.sock"]);
    assert!(out.fails(125).contains("already exists"), "{out}");
    run(&env, &["rename", "--system", "shared", "team"]).ok();
    run(&env, &["remove", "--system", "team"]).ok();
    assert_eq!(read(sys), "");
    assert_eq!(run(&env, &["list", "--names"]).ok(), "mine\n");
}

/// `list --names` as a user with no config of their own sees it.
fn others_see(env: &Env) -> String {
    let mut c = env.dockmux(["list", "--names"]);
    c.env("HOME", env.root().join("someone-else"));
    Out::of(&mut c).ok().to_string()
}

#[test]
fn a_first_system_config_keeps_the_built_in_engines_and_losses_are_told() {
    let env = Env::new();
    env.user_config("[engines.mine]\nhost = \"unix:///m.sock\"\n");
    assert_eq!(others_see(&env), "lzc\npg\n");
    let out = run(&env, &["add", "--system", "media", "tcp://10.1.1.1:2375"]);
    assert!(
        out.ok()
            .contains("which users without a config of their own had"),
        "{out}"
    );
    let sys = &env.system_config_path;
    assert_eq!(std::fs::metadata(sys).unwrap().mode() & 0o777, 0o644);
    assert_eq!(others_see(&env), "lzc\nmedia\npg\n");
    assert_eq!(
        run(&env, &["list", "--names"]).ok(),
        "lzc\nmedia\nmine\npg\n"
    );

    let out = run(&env, &["rename", "--system", "pg", "play"]);
    assert!(
        out.ok().contains(
            "these commands stop working (unless their own config has them): pg-docker\n"
        ),
        "{out}"
    );
    let out = run(&env, &["remove", "--system", "lzc"]);
    assert!(
        out.ok()
            .contains("stop working (unless their own config has them): lzc-docker\n"),
        "{out}"
    );
    run(&env, &["remove", "--system", "media"]).ok();
    let out = run(&env, &["remove", "--system", "play"]);
    let text = out.ok();
    assert!(text.contains("play-docker"), "{out}");
    assert!(
        text.contains(&format!("{} holds no engines now", sys.display()))
            && text.contains(&format!("rm {}", sys.display())),
        "{out}"
    );
    assert_eq!(others_see(&env), "");
    // A user's own edits take nothing from anyone: no such note.
    let out = run(&env, &["remove", "mine"]);
    assert!(!out.ok().contains("note"), "{out}");
}

#[test]
fn removing_a_user_override_brings_back_the_system_entry() {
    let env = Env::new();
    env.system_config("[engines.pg]\nhost = \"unix:///sys/pg.sock\"\n");
    env.user_config("[engines.pg]\nhost = \"unix:///mine/pg.sock\"\n");
    let out = run(&env, &["remove", "pg"]);
    assert!(
        out.ok().contains("unix:///sys/pg.sock) is in effect now"),
        "{out}"
    );
    let json = run(&env, &["list", "--json"]);
    let v: serde_json::Value = serde_json::from_str(json.ok()).unwrap();
    assert_eq!(v[0]["host"], "unix:///sys/pg.sock");
}

/// `add nas … --alias nasd --link --dir BIN`.
fn add_nas_linked(env: &Env, bin: &str) {
    let args = [
        "add",
        "nas",
        "ssh://me@nas",
        "--alias",
        "nasd",
        "--link",
        "--dir",
        bin,
    ];
    run(env, &args).ok();
}

#[test]
fn add_link_and_remove_unlink_manage_the_engines_commands() {
    let env = Env::new();
    env.user_config(&commented_fake());
    env.fake_docker();
    let bin = env.bin.to_str().unwrap();
    add_nas_linked(&env, bin);
    for cmd in ["nas-docker", "nasd"] {
        env.clear_record();
        env.run(cmd, ["ps"]).ok();
        assert_eq!(
            env.last_call().var("DOCKER_HOST"),
            Some("ssh://me@nas"),
            "{cmd}"
        );
    }
    run(&env, &["remove", "nas", "--unlink", "--dir", bin]).ok();
    assert!(!env.bin.join("nas-docker").exists());
    assert!(!env.bin.join("nasd").exists());
    // A file that is not ours in the way: refused before the config is touched.
    std::fs::write(env.bin.join("box-docker"), "#!/bin/sh\n").unwrap();
    let path = env.user_config_path();
    let before = snapshot(&path);
    let out = run(&env, &["add", "box", "ssh://box", "--link", "--dir", bin]);
    assert!(out.fails(125).contains("in the way"), "{out}");
    assert_eq!(snapshot(&path), before);
    assert_eq!(read(&env.bin.join("box-docker")), "#!/bin/sh\n");
}

#[test]
fn rename_moves_the_engines_link_and_leaves_others() {
    let env = Env::new();
    env.user_config(&commented_fake());
    env.fake_docker();
    let bin = env.bin.to_str().unwrap();
    run(&env, &["link", "--dir", bin]).ok();
    run(&env, &["rename", "pg", "play", "--dir", bin]).ok();
    assert!(std::fs::symlink_metadata(env.bin.join("pg-docker")).is_err());
    env.run("play-docker", ["ps"]).ok();
    assert_eq!(
        env.last_call().var("DOCKER_HOST"),
        Some("unix:///data/playground/docker.sock")
    );
    // The aliases did not change, nor did their links.
    env.clear_record();
    env.run("playground", ["ps"]).ok();
    assert_eq!(env.last_call().var("DOCKMUX_ENGINE"), Some("play"));
}

/// A tiny xorshift: random kill moments without a dependency.
struct Rng(u64);
impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0
    }
}

#[test]
fn a_sigkill_during_writes_never_leaves_a_config_that_fails_to_load() {
    let env = Env::new();
    let path = env.user_config(COMMENTED);
    // How long one write takes here, so the kills land inside the runs; it
    // follows the machine's load (longer after a kill, shorter after a
    // finished run), so both keep happening on a busy machine too.
    let t = Instant::now();
    run(&env, &["add", "probe", "unix:///probe.sock"]).ok();
    run(&env, &["remove", "probe"]).ok();
    let mut span = (t.elapsed() / 2).as_micros() as u64;
    let seed = SystemTime::now()
        .duration_since(SystemTime::UNIX_EPOCH)
        .unwrap()
        .as_nanos() as u64
        | 1;
    let mut rng = Rng(seed);
    let (mut killed, mut finished, mut mid_write) = (0, 0, 0);
    for i in 0..60 {
        let name = format!("e{}", i % 4);
        let listed = run(&env, &["list", "--names"]);
        let args: Vec<String> = if listed.ok().lines().any(|l| l == name) {
            vec!["remove".into(), name]
        } else {
            vec![
                "add".into(),
                name.clone(),
                format!("unix:///run/{name}.sock"),
            ]
        };
        let mut child = env
            .dockmux(&args)
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .unwrap();
        std::thread::sleep(Duration::from_micros(rng.next() % (span + 1)));
        let _ = child.kill();
        let status = child.wait().unwrap();
        if status.signal() == Some(libc::SIGKILL) {
            killed += 1;
            span = span * 5 / 4 + 1;
        } else {
            assert!(status.success(), "{args:?}: {status} (seed {seed})");
            finished += 1;
            span = span * 4 / 5;
        }
        if std::fs::read_dir(path.parent().unwrap()).unwrap().count() > 1 {
            mid_write += 1;
        }
        let check = run(&env, &["list", "--names"]);
        assert_eq!(
            check.code,
            Some(0),
            "after {args:?} (seed {seed}): {check}\n{}",
            read(&path)
        );
        assert!(read(&path).starts_with(COMMENTED), "seed {seed}");
    }
    assert!(
        killed > 0 && finished > 0,
        "kills {killed}, finished {finished}: the timing missed"
    );
    eprintln!("{killed} killed ({mid_write} between temp file and rename), {finished} finished");
    // A later edit sweeps up the temp file of a killed writer.
    run(&env, &["add", "last", "unix:///last.sock"]).ok();
    let left: Vec<_> = std::fs::read_dir(path.parent().unwrap())
        .unwrap()
        .map(|e| e.unwrap().file_name())
        .collect();
    assert_eq!(left, ["engines.toml"]);
}

#[test]
fn inline_and_dotted_engine_tables_are_edited_in_their_own_style() {
    let env = Env::new();
    let path = env.user_config(
        "engines = { a = { host = \"unix:///a\" }, b = { host = \"unix:///b\" } }  # inline\n",
    );
    run(&env, &["add", "c", "unix:///c"]).ok();
    run(&env, &["rename", "a", "z"]).ok();
    run(&env, &["remove", "b"]).ok();
    assert_eq!(
        read(&path),
        "engines = { z = { host = \"unix:///a\" }, c = { host = \"unix:///c\" } }  # inline\n"
    );

    let path = env
        .user_config("[engines]\npg.host = \"unix:///pg\"  # dotted\nlzc.host = \"unix:///lzc\"\n");
    run(&env, &["rename", "pg", "play"]).ok();
    run(&env, &["remove", "lzc"]).ok();
    assert_eq!(
        read(&path),
        "[engines]\nplay.host = \"unix:///pg\"  # dotted\n"
    );
    assert_eq!(run(&env, &["list", "--names"]).ok(), "play\n");
}

#[test]
fn remove_unlink_and_rename_refuse_a_link_dir_that_is_not_there_and_edit_nothing() {
    let env = Env::new();
    let path = env.user_config(COMMENTED);
    let nowhere = env.root().join("no-such-dir");
    let nowhere = nowhere.to_str().unwrap();
    for args in [
        vec!["remove", "pg", "--unlink", "--dir", nowhere],
        vec!["rename", "pg", "play", "--dir", nowhere],
    ] {
        let out = run(&env, &args);
        let err = out.fails(125);
        assert!(
            err.contains(nowhere) && err.contains("does not exist"),
            "{args:?}: {out}"
        );
        assert_eq!(read(&path), COMMENTED, "{args:?} edited the config");
    }
    let out = run(&env, &["unlink", "--dir", nowhere]);
    assert!(out.fails(125).contains("does not exist"), "{out}");
}

#[test]
fn crlf_bom_inline_and_spaced_headers_keep_their_bytes() {
    let env = Env::new();
    let cases = [
        "\u{feff}# mine\r\n[engines.pg]\r\nhost = \"unix:///pg.sock\"\r\n",
        "engines = { pg = { host = \"unix:///pg.sock\" } }\n",
        "[ engines . pg ]\nhost = \"unix:///pg.sock\"\n",
        "[engines]\npg.host = \"unix:///pg.sock\"   # dotted\n",
        "engines.pg.host = \"unix:///pg.sock\"",
    ];
    let path = env.user_config_path();
    for text in cases {
        env.user_config(text);
        run(&env, &["add", "zz", "unix:///zz.sock", "--alias", "zed"]).ok();
        let added = read(&path);
        assert!(one_insertion(text, &added), "{added:?}");
        assert_eq!(
            added.contains("\r\n"),
            text.contains("\r\n"),
            "line endings: {added:?}"
        );
        assert!(
            !added.contains("[engines .zz]") && !added.contains("}}"),
            "{added:?}"
        );
        assert_eq!(
            run(&env, &["list", "--names"]).ok(),
            "pg\nzz\n",
            "{added:?}"
        );
        run(&env, &["remove", "zz"]).ok();
        assert_eq!(read(&path), text);
    }
}

#[test]
fn a_read_only_config_is_refused_and_left_alone() {
    let env = Env::new();
    let path = env.user_config(COMMENTED);
    std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o400)).unwrap();
    let before = snapshot(&path);
    for args in [
        vec!["add", "x", "unix:///x.sock"],
        vec!["remove", "pg"],
        vec!["rename", "pg", "play"],
    ] {
        let out = run(&env, &args);
        let err = out.fails(125);
        assert!(
            err.contains("read-only (mode 400)")
                && err.contains(&format!("chmod u+w {}", path.display())),
            "{args:?}: {out}"
        );
        assert_eq!(snapshot(&path), before, "{args:?}");
        assert_eq!(std::fs::metadata(&path).unwrap().mode() & 0o777, 0o400);
    }
}

#[test]
fn fifty_first_time_adds_at_once_are_all_kept() {
    let env = Env::new();
    assert!(!env.home.join(".config").exists());
    let children: Vec<_> = (0..50)
        .map(|i| {
            env.dockmux(["add", &format!("e{i}"), &format!("unix:///run/e{i}.sock")])
                .stdout(Stdio::null())
                .stderr(Stdio::piped())
                .spawn()
                .unwrap()
        })
        .collect();
    for (i, child) in children.into_iter().enumerate() {
        let out = Out::from_output(child.wait_with_output().unwrap());
        assert_eq!(out.code, Some(0), "add e{i}: {out}");
    }
    let names = run(&env, &["list", "--names"]);
    let mut want: Vec<String> = (0..50).map(|i| format!("e{i}")).collect();
    want.extend(["lzc".to_string(), "pg".to_string()]);
    want.sort();
    assert_eq!(names.ok(), format!("{}\n", want.join("\n")));
    let left: Vec<_> = std::fs::read_dir(env.user_config_path().parent().unwrap())
        .unwrap()
        .map(|e| e.unwrap().file_name())
        .collect();
    assert_eq!(left, ["engines.toml"], "temp or lock files left behind");
}

/// Is `after` `before` with one run of bytes inserted somewhere?
fn one_insertion(before: &str, after: &str) -> bool {
    let (b, a) = (before.as_bytes(), after.as_bytes());
    let prefix = b.iter().zip(a).take_while(|(x, y)| x == y).count();
    let suffix = b[prefix..]
        .iter()
        .rev()
        .zip(a[prefix..].iter().rev())
        .take_while(|(x, y)| x == y)
        .count();
    a.len() > b.len() && prefix + suffix == b.len()
}

/// Config texts in the shapes the loader accepts, from a seed: engines as
/// `[engines.NAME]` tables (spaced, quoted, with sub-tables), under
/// `[engines]` as dotted keys or inline tables, as top-level dotted keys, or
/// all in one inline `engines = { … }` (one line or several); LF or CRLF,
/// with or without a BOM, a final newline, comments and blank lines.
fn config_shape(seed: u64) -> String {
    let mut rng = Rng(seed | 1);
    let mut pick = |n: u64| (rng.next() % n) as usize;
    let nl = if pick(3) == 0 { "\r\n" } else { "\n" };
    let names = ["pg", "lzc", "a.b", "n-1", "x_y"];
    let count = 1 + pick(3);
    let engines: Vec<(&str, Vec<String>)> = (0..count)
        .map(|i| {
            let mut fields = vec![format!("host = \"tcp://h{i}:2376\"")];
            match pick(3) {
                0 => fields.push(format!("aliases = [ \"al{i}\" ,'bl{i}']")),
                // Across lines, with comments and a trailing comma.
                1 => fields.push(format!(
                    "aliases = [{nl}  \"al{i}\", # first{nl}  'bl{i}',{nl}]"
                )),
                _ => {}
            }
            match pick(4) {
                0 => fields
                    .push("description   =  \"it's \\\"quoted\\\" # not a comment\"".to_string()),
                1 => fields.push("description='a [table] {inline} # literal'".to_string()),
                // Lines in a string that look like a header, a comment and a blank
                // line (joined by line-ending backslashes: a value holds no newline).
                2 => fields.push(format!(
                    "description = \"\"\"{nl}[engines.fake] \\{nl}# no comment \\{nl}{nl}\"\"\""
                )),
                _ => {}
            }
            (names[i], fields)
        })
        .collect();
    let key = |n: &str, pick: &mut dyn FnMut(u64) -> usize| {
        if n.contains('.') || pick(4) == 0 {
            format!("\"{n}\"")
        } else {
            n.to_string()
        }
    };
    let comment = |pick: &mut dyn FnMut(u64) -> usize| match pick(4) {
        0 => format!("# a note{nl}"),
        1 => nl.to_string(),
        _ => String::new(),
    };
    let mut out = String::new();
    if pick(4) == 0 {
        out.push('\u{feff}');
    }
    out.push_str(&comment(&mut pick));
    if pick(3) == 0 {
        out.push_str(&format!("docker = \"/usr/bin/docker\"  # client{nl}"));
    }
    match pick(4) {
        // [engines.NAME] tables.
        0 => {
            for (n, fields) in &engines {
                out.push_str(&comment(&mut pick));
                let k = key(n, &mut pick);
                if pick(2) == 0 {
                    out.push_str(&format!("[ engines . {k} ]  # {n}{nl}"));
                } else {
                    out.push_str(&format!("[engines.{k}]{nl}"));
                }
                for f in fields {
                    out.push_str(&format!("{f}{nl}"));
                }
                if pick(3) == 0 {
                    out.push_str(&format!("{nl}[engines.{k}.tls]{nl}verify = true{nl}"));
                }
            }
        }
        // [engines] with dotted keys or inline tables.
        1 => {
            out.push_str(&format!("[engines]{nl}"));
            for (n, fields) in &engines {
                let k = key(n, &mut pick);
                out.push_str(&comment(&mut pick));
                if pick(2) == 0 {
                    out.push_str(&format!("{k} = {{ {} }}{nl}", fields.join(", ")));
                } else {
                    for f in fields {
                        out.push_str(&format!("{k}.{f}{nl}"));
                    }
                }
            }
        }
        // Top-level dotted keys.
        2 => {
            for (n, fields) in &engines {
                let k = key(n, &mut pick);
                out.push_str(&comment(&mut pick));
                if pick(2) == 0 {
                    out.push_str(&format!("engines.{k} = {{ {} }}{nl}", fields.join(", ")));
                } else {
                    for f in fields {
                        out.push_str(&format!("engines . {k}.{f}{nl}"));
                    }
                }
            }
        }
        // One inline table, on one line or several.
        _ => {
            let multi = pick(2) == 0;
            let entries: Vec<String> = engines
                .iter()
                .map(|(n, fields)| format!("{} = {{ {} }}", key(n, &mut pick), fields.join(", ")))
                .collect();
            if multi {
                let trailing = if pick(2) == 0 { "," } else { "" };
                out.push_str(&format!(
                    "engines = {{{nl}  {}{trailing}  # last{nl}}}{nl}",
                    entries.join(&format!(",{nl}  "))
                ));
            } else {
                out.push_str(&format!(
                    "engines = {{ {} }}   # all{nl}",
                    entries.join(", ")
                ));
            }
        }
    }
    out.push_str(&comment(&mut pick));
    if pick(3) == 0 {
        out.truncate(out.trim_end_matches(['\r', '\n']).len());
    }
    out
}

proptest::proptest! {
    #![proptest_config(proptest::prelude::ProptestConfig {
        cases: 48,
        failure_persistence: None,
        ..Default::default()
    })]

    /// `add` then `remove` of one engine gives the file back byte for byte,
    /// in every shape the loader accepts.
    #[test]
    fn add_then_remove_gives_the_file_back_byte_for_byte(seed in proptest::prelude::any::<u64>()) {
        let env = Env::new();
        let text = config_shape(seed);
        let path = env.user_config(&text);
        let before = run(&env, &["list", "--names"]);
        proptest::prop_assert_eq!(before.code, Some(0), "the generated config does not load:\n{}\n{}", text, before);
        let added = run(&env, &["add", "zz", "tcp://10.0.0.9:2375", "--alias", "zed", "--description", "new \"one\""]);
        proptest::prop_assert_eq!(added.code, Some(0), "{}\n{}", text, added);
        let after = read(&path);
        proptest::prop_assert!(one_insertion(&text, &after), "add changed other bytes: {:?}", after);
        let listed = run(&env, &["list", "--names"]);
        let mut want: Vec<&str> = before.stdout.lines().chain(["zz"]).collect();
        want.sort_unstable();
        proptest::prop_assert_eq!(listed.ok().lines().collect::<Vec<_>>(), want, "{:?}", after);
        run(&env, &["remove", "zz"]).ok();
        proptest::prop_assert_eq!(read(&path), text, "after add it was {:?}", after);
    }
}

#[test]
fn remove_without_unlink_names_the_links_it_leaves_and_how_to_remove_them() {
    let env = Env::new();
    env.user_config(&commented_fake());
    let bin = env.bin.to_str().unwrap();
    add_nas_linked(&env, bin);
    let out = run(&env, &["remove", "nas"]);
    let (link, alias) = (env.bin.join("nas-docker"), env.bin.join("nasd"));
    assert!(
        out.ok().contains(&format!(
            "note: '{}', '{}' still run dockmux, which has no engine for them now; remove them: rm '{}' '{}'\n",
            link.display(),
            alias.display(),
            link.display(),
            alias.display()
        )),
        "{out}"
    );
    // The links of other engines are not named.
    assert!(!out.stdout.contains("pg-docker"), "{out}");
}

/// `set` changes engines in place: only the keys it sets change bytes (the
/// rest of the file, comments and spacing, stays), several engines at once
/// in one write, and what it sets holds on the real engines: a protected
/// engine holds `rm` until confirmed, and taking protect out lets it run.
#[test]
fn set_changes_engines_in_place_and_the_engines_follow() {
    let bed = crate::harness::testbed::shared();
    let env = crate::engines::bed_env();
    let text = format!(
        "# mine: keep\n[engines.pg]   # the playground\nhost = \"{}\"  # pg\n\n\
         # the store\n[engines.lzc]\nhost = '{}'\ndescription = \"store\"\n",
        bed.pg.host, bed.lzc.host
    );
    let path = env.user_config(&text);
    let out = run(&env, &["set", "pg", "lzc", "--protect", "--tag", "nas"]);
    assert!(out.ok().contains("changed  engine 'lzc'"), "{out}");
    // Protected, each is pinned to what its socket answers as (issue 22.2).
    let pin = |e: &crate::harness::testbed::Engine| {
        let f = "id={{.ID}} name={{.Name}} root={{.DockerRootDir}}";
        Out::of(e.docker().args(["info", "--format", f]))
            .ok()
            .trim()
            .to_string()
    };
    let protected = format!(
        "# mine: keep\n[engines.pg]   # the playground\nhost = \"{}\"  # pg\nprotect = true\npin = \"{}\"\ntags = [\"nas\"]\n\n\
         # the store\n[engines.lzc]\nhost = '{}'\ndescription = \"store\"\nprotect = true\npin = \"{}\"\ntags = [\"nas\"]\n",
        bed.pg.host,
        pin(&bed.pg),
        bed.lzc.host,
        pin(&bed.lzc)
    );
    assert_eq!(read(&path), protected);
    // The engine path reads it: `rm` without a terminal or DOCKMUX_CONFIRM is held.
    let name = crate::engines::unique("setprot");
    env.run("pg-docker", ["volume", "create", &name]).ok();
    let out = env.run("pg-docker", ["volume", "rm", &name]);
    assert!(out.fails(125).contains("DOCKMUX_CONFIRM=pg"), "{out}");
    // Taken out again: the file is as it was, and rm runs.
    run(&env, &["set", "pg", "lzc", "--no-protect", "--no-tags"]).ok();
    assert_eq!(read(&path), text);
    env.run("pg-docker", ["volume", "rm", &name]).ok();
    // Same again changes nothing, and writes nothing.
    let before = std::fs::metadata(&path).unwrap().ino();
    let out = run(&env, &["set", "lzc", "--no-protect"]);
    assert!(out.ok().starts_with("unchanged engine 'lzc'"), "{out}");
    assert_eq!(std::fs::metadata(&path).unwrap().ino(), before);
    // The host too: the engine answers from the new one.
    run(&env, &["set", "lzc", "--host", &bed.pg.host]).ok();
    let id = |cmd: &str| {
        env.run(cmd, ["info", "--format", "{{.DockerRootDir}}"])
            .ok()
            .to_string()
    };
    assert_eq!(id("lzc-docker"), id("pg-docker"));
}

/// What `add` refuses, `set` refuses, naming what is wrong, and writes
/// nothing: a bad host, a taken command, an unknown engine, a bad tag, one
/// bad engine among several.
#[test]
fn set_refuses_what_add_refuses_and_writes_nothing() {
    let env = Env::new();
    let path = env.user_config(COMMENTED);
    for (args, says) in [
        (
            &["set", "pg", "--host", "/tmp/x.sock"][..],
            "unix:///tmp/x.sock",
        ),
        (
            &["set", "pg", "--alias", "lzc-docker"],
            "already reaches engine 'lzc'",
        ),
        (&["set", "pgx", "--protect"], "did you mean 'pg'"),
        (&["set", "pg", "--tag", "Nas"], "tag 'Nas' is invalid"),
        (
            &[
                "set",
                "lzc",
                "--host",
                "unix:///ok.sock",
                "--hint",
                "a\u{1b}[2Jb",
            ],
            "hint",
        ),
        (
            &["set", "pg", "lzc", "--alias", "x"],
            "one engine at a time",
        ),
        (&["set", "pg"], "nothing to change"),
        (&["set", "pg", "--tls"], "TLS applies only to tcp"),
    ] {
        let out = run(&env, args);
        assert!(out.fails(125).contains(says), "{args:?}: {out}");
        assert_eq!(read(&path), COMMENTED, "{args:?}");
    }
}

/// `--no-…` takes a key out with its own line; TLS is set in place.
#[test]
fn set_takes_keys_out_and_sets_tls() {
    let env = Env::new();
    let path = env.user_config(COMMENTED);
    run(&env, &["set", "lzc", "--no-description"]).ok();
    run(&env, &["set", "remote", "--tls"]).ok();
    let want = COMMENTED
        .replace("description = 'LazyCat app store'\n", "")
        .replace(
            "tls = {verify=true,   cert_path = \"/etc/dockmux/certs/remote\"}",
            "tls = { verify = false, cert_path = \"/etc/dockmux/certs/remote\" }",
        );
    assert_eq!(read(&path), want);
}

/// `remove a b` takes both out in one write; one unknown name removes none.
#[test]
fn remove_takes_several_engines_or_none() {
    let env = Env::new();
    let path = env.user_config(COMMENTED);
    let out = run(&env, &["remove", "pg", "nope"]);
    assert!(out.fails(125).contains("no engine named 'nope'"), "{out}");
    assert_eq!(read(&path), COMMENTED);
    let out = run(&env, &["remove", "pg", "remote", "pg"]);
    let report = out.ok();
    assert!(
        report.contains("removed  engine 'pg'") && report.contains("removed  engine 'remote'"),
        "{out}"
    );
    let left = read(&path);
    assert!(
        !left.contains("[engines.pg]") && !left.contains("[engines.remote]"),
        "{left}"
    );
    assert!(left.contains("[engines.lzc]  # header comment"), "{left}");
}

/// `add` of a unix socket that is not there adds the engine and says so at
/// once; one that is there says nothing of the kind.
#[test]
fn add_notes_a_socket_that_does_not_exist() {
    let bed = crate::harness::testbed::shared();
    let env = Env::new();
    let out = run(&env, &["add", "later", "unix:///run/dockmux-none/d.sock"]);
    out.ok();
    assert!(
        out.stderr
            .contains("no socket at /run/dockmux-none/d.sock yet: later-docker fails"),
        "{out}"
    );
    let out = run(&env, &["add", "now", &bed.pg.host]);
    out.ok();
    assert!(!out.stderr.contains("no socket"), "{out}");
}

/// The outcomes of `dockmux ARGS --json`: (done, kind, subject) each.
fn outcomes(env: &Env, args: &[&str]) -> Vec<(String, String, String)> {
    let mut all = args.to_vec();
    all.push("--json");
    let out = run(env, &all);
    let v: serde_json::Value = serde_json::from_str(out.ok())
        .unwrap_or_else(|e| panic!("{args:?}: not JSON ({e}): {out}"));
    v["outcomes"]
        .as_array()
        .unwrap_or_else(|| panic!("{args:?}: no outcomes: {out}"))
        .iter()
        .map(|o| {
            let s = |k: &str| {
                o[k].as_str()
                    .unwrap_or_else(|| panic!("{k}: {o}"))
                    .to_string()
            };
            assert!(!s("text").is_empty(), "{o}");
            (s("done"), s("kind"), s("subject"))
        })
        .collect()
}

/// Write commands say what they did as JSON with --json, and did it.
#[test]
fn write_commands_report_their_outcomes_as_json() {
    let env = Env::new();
    let path = env.user_config(&commented_fake());
    env.fake_docker();
    env.link("dockmux");
    let t = |done: &str, kind: &str, subject: &str| {
        (done.to_string(), kind.to_string(), subject.to_string())
    };
    let bin = env.bin.display().to_string();
    assert_eq!(
        outcomes(&env, &["add", "nas", "unix:///run/nas.sock"]),
        [t("added", "engine", "nas")]
    );
    assert!(read(&path).contains("[engines.nas]"));
    assert_eq!(
        outcomes(&env, &["set", "nas", "lzc", "--protect"]),
        [t("changed", "engine", "lzc"), t("changed", "engine", "nas")]
    );
    assert_eq!(
        outcomes(&env, &["set", "nas", "--protect"]),
        [t("unchanged", "engine", "nas")]
    );
    let linked = outcomes(&env, &["link", "--dir", &bin, "nas"]);
    assert_eq!(
        linked[0],
        t("linked", "link", &format!("{bin}/nas-docker")),
        "{linked:?}"
    );
    assert!(
        linked[1..]
            .iter()
            .all(|o| o.1 == "completion" && o.0 == "wrote"),
        "{linked:?}"
    );
    let renamed = outcomes(&env, &["rename", "nas", "box", "--dir", &bin]);
    assert_eq!(
        renamed[..2],
        [
            t("renamed", "engine", "nas"),
            t("linked", "link", &format!("{bin}/box-docker")),
        ],
        "{renamed:?}"
    );
    assert!(
        renamed.contains(&t("removed", "link", &format!("{bin}/nas-docker"))),
        "{renamed:?}"
    );
    assert!(env.bin.join("box-docker").exists() && !env.bin.join("nas-docker").exists());
    let unlinked = outcomes(&env, &["unlink", "--dir", &bin, "box"]);
    assert_eq!(
        unlinked[0],
        t("removed", "link", &format!("{bin}/box-docker")),
        "{unlinked:?}"
    );
    assert!(!env.bin.join("box-docker").exists());
    assert_eq!(
        outcomes(&env, &["remove", "box"]),
        [t("removed", "engine", "box")]
    );
    assert!(!read(&path).contains("[engines.box]"));
    let wrappers = env.root().join("wrappers");
    std::fs::create_dir(&wrappers).unwrap();
    let w = wrappers.display().to_string();
    assert_eq!(
        outcomes(&env, &["wrappers", "--dir", &w, "lzc"]),
        [t("wrote", "wrapper", &format!("{w}/lzc-docker"))]
    );
    // Nothing done: no outcomes, and the reason.
    let out = run(&env, &["unlink", "--dir", &w, "--json"]);
    let v: serde_json::Value = serde_json::from_str(out.ok()).unwrap();
    assert_eq!(v["outcomes"], serde_json::json!([]), "{out}");
    assert!(
        v["nothing"]
            .as_str()
            .unwrap()
            .starts_with("no links to dockmux in"),
        "{out}"
    );
}
