//! Trust boundaries (issue 9): what the config points at (the client, TLS
//! material) gets the config's own StrictModes rule; every directory that
//! can redirect the config's path counts; no config value carries a control
//! character; a config over the size cap is refused at once. Real users
//! (useradd) and real directory modes throughout.

use std::os::unix::fs::{PermissionsExt, symlink};
use std::os::unix::process::CommandExt;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::{Duration, Instant};

use crate::harness::testbed;
use crate::harness::users::{self, User};
use crate::harness::{Env, Out, TWO_ENGINES, finishes, write_fake};

/// The other user of these tests: someone who is not the caller.
fn other() -> User {
    users::user("dockmux-other")
}

fn chmod(path: &Path, mode: u32) {
    std::fs::set_permissions(path, std::fs::Permissions::from_mode(mode)).unwrap();
}

fn mkdir(path: &Path, mode: u32) -> PathBuf {
    std::fs::create_dir_all(path).unwrap();
    chmod(path, mode);
    path.to_path_buf()
}

/// A world-writable sticky directory under /tmp, like /tmp/shared; removed when dropped.
struct Shared(PathBuf);

impl Shared {
    fn new() -> Shared {
        let dir = tempfile::Builder::new()
            .prefix("dockmux-shared-")
            .tempdir_in("/tmp")
            .unwrap()
            .keep();
        chmod(&dir, 0o1777);
        Shared(dir)
    }
}

impl Drop for Shared {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

#[test]
fn a_client_others_can_rewrite_is_never_run_by_the_engine_path_doctor_or_list() {
    let shared = Shared::new();
    let docker = shared.0.join("docker");
    let env = Env::new();
    write_fake(&docker, &env.record);
    // Root's, but mode 0777: anyone may rewrite it, and another user does.
    chmod(&docker, 0o777);
    let pwned = env.root().join("pwned");
    let mut rewrite = Command::new("/bin/sh");
    rewrite
        .arg("-c")
        .arg(format!(
            "printf '#!/bin/sh\\ntouch {}\\n' > {}",
            pwned.display(),
            docker.display()
        ))
        .env_clear();
    other().runs(&mut rewrite);
    assert!(
        rewrite.status().unwrap().success(),
        "the other user could not rewrite it"
    );
    env.user_config(&format!(
        "docker = \"{}\"\n{TWO_ENGINES}\n[engines.remote]\nhost = \"tcp://127.0.0.1:9\"\n",
        docker.display()
    ));
    env.link("pg-docker");

    let out = env.run("pg-docker", ["ps"]);
    let err = out.fails(125);
    assert!(
        err.contains(&format!(
            "refusing to use the docker client {} (docker = in {})",
            docker.display(),
            env.user_config_path().display()
        )) && err.contains("is writable by everyone (mode 777)")
            && err.contains(&format!("fix: chmod go-w {}", docker.display())),
        "{out}"
    );
    let doctor = Out::of(&mut env.dockmux(["doctor"]));
    assert_eq!(doctor.code, Some(1), "{doctor}");
    assert!(
        doctor.stdout.contains("refusing to use the docker client"),
        "{doctor}"
    );
    // list asks the tcp engine through the client: not this one.
    Out::of(&mut env.dockmux(["list", "--timeout", "2s"]));
    assert!(!pwned.exists(), "the rewritten client ran");

    // Fixed (rewritten by root, no longer writable by others): it runs.
    write_fake(&docker, &env.record);
    chmod(&docker, 0o755);
    env.run("pg-docker", ["ps"]).ok();
    assert_eq!(env.last_call().argv0, docker);

    // A link to it that the other user owns, in the sticky directory: its
    // owner may replace it.
    let link = shared.0.join("link");
    symlink(&docker, &link).unwrap();
    other().owns(&link);
    env.user_config(&format!("docker = \"{}\"\n{TWO_ENGINES}", link.display()));
    env.clear_record();
    let out = env.run("pg-docker", ["ps"]);
    let err = out.fails(125);
    assert!(
        err.contains(&format!(
            "{} is owned by uid {}",
            link.display(),
            other().uid
        )) && err.contains(&format!("chown -h 0 {}", link.display())),
        "{out}"
    );
    assert!(!env.fake_ran());
}

/// A `docker` found on PATH gets the same check as `docker = "/path"`: one
/// another user put in a sticky directory early on root's PATH is passed
/// over with a note naming it and the fix, by the engine path and by doctor
/// (which does not run it, not even for its version).
#[test]
fn a_docker_on_path_another_user_can_change_is_skipped_with_a_note() {
    let shared = Shared::new();
    let theirs = shared.0.join("docker");
    let env = Env::new();
    let pwned = env.root().join("pwned");
    crate::harness::exe::write_executable(
        &theirs,
        format!("#!/bin/sh\ntouch {}\n", pwned.display()).into_bytes(),
    );
    other().owns(&theirs);
    env.user_config(TWO_ENGINES);
    env.fake_docker();
    env.link("pg-docker");
    let path = format!("{}:{}", shared.0.display(), env.path.to_str().unwrap());
    let out = Out::of(env.cmd("pg-docker").arg("ps").env("PATH", &path));
    out.ok();
    assert_eq!(env.last_call().argv0, env.bin.join("docker"), "{out}");
    let note = format!(
        "dockmux: note: skipped {} on PATH: {} is owned by uid {}",
        theirs.display(),
        theirs.display(),
        other().uid
    );
    assert!(out.stderr.contains(&note), "{out}");
    assert!(
        out.stderr
            .contains(&format!("or take {} off PATH", shared.0.display())),
        "{out}"
    );
    let doctor = Out::of(
        env.dockmux(["doctor", "--timeout", "1s"])
            .env("PATH", &path),
    );
    assert!(
        doctor
            .stdout
            .contains(&format!("skipped {} on PATH", theirs.display())),
        "{doctor}"
    );
    assert!(!pwned.exists(), "the other user's docker ran");
}

#[test]
fn tls_material_others_can_change_is_refused_wherever_it_would_be_used() {
    let env = Env::new();
    env.fake_docker();
    let certs = mkdir(&env.root().join("certs"), 0o777);
    let fixture = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/tls");
    for f in ["ca.pem", "cert.pem", "key.pem"] {
        std::fs::copy(fixture.join(f), certs.join(f)).unwrap();
        chmod(&certs.join(f), 0o644);
    }
    chmod(&certs.join("ca.pem"), 0o666);
    env.user_config(&format!(
        "[engines.r]\nhost = \"tcp://127.0.0.1:9\"\ntls = {{ verify = true, cert_path = \"{}\" }}\n",
        certs.display()
    ));
    env.link("r-docker");
    let what = format!(
        "refusing to use the TLS files of engine 'r' (tls.cert_path = \"{}\" in {})",
        certs.display(),
        env.user_config_path().display()
    );
    let refused = |env: &Env, needle: &Path| {
        for args in [
            vec!["r-docker", "ps"],
            vec!["env", "r"],
            vec!["exec", "r", "/bin/true"],
            vec!["contexts", "export", "r"],
            vec!["each", "r", "--", "ps"],
        ] {
            let out = Out::of(&mut env.dockmux(&args));
            let err = out.fails(125);
            assert!(
                err.contains(&what)
                    && err.contains("writable by everyone")
                    && err.contains(&format!("chmod go-w {}", needle.display())),
                "{args:?}: {out}"
            );
        }
        let list = Out::of(&mut env.dockmux(["list", "--json"]));
        assert!(
            list.stdout.contains("refusing the TLS files of engine 'r'"),
            "{list}"
        );
        assert!(!env.fake_ran(), "the client ran with that material");
    };
    refused(&env, &certs);
    chmod(&certs, 0o755);
    refused(&env, &certs.join("ca.pem"));
    chmod(&certs.join("ca.pem"), 0o644);
    env.run("r-docker", ["ps"]).ok();
    assert_eq!(
        env.last_call().var("DOCKER_CERT_PATH"),
        Some(certs.to_str().unwrap())
    );
}

#[test]
fn a_docker_on_path_the_caller_may_not_run_is_skipped_as_the_shell_does() {
    let user = other();
    let mut env = Env::new();
    // The other user must reach the test's files.
    chmod(env.root(), 0o755);
    env.user_config(TWO_ENGINES);
    user.owns_tree(&env.home);
    user.owns_tree(&env.record);
    env.link("pg-docker");
    // Early on PATH: root's own client, 0700.
    let root_record = mkdir(&env.root().join("root-record"), 0o700);
    write_fake(&env.bin.join("docker"), &root_record);
    chmod(&env.bin.join("docker"), 0o700);
    let later = mkdir(&env.root().join("later"), 0o755);
    write_fake(&later.join("docker"), &env.record);
    env.var("PATH", format!("{}:{}", env.bin.display(), later.display()));

    let mut cmd = env.cmd("pg-docker");
    cmd.arg("ps");
    user.runs(&mut cmd);
    Out::of(&mut cmd).ok();
    assert_eq!(env.last_call().argv0, later.join("docker"));
    assert_eq!(env.last_call().args_str(), ["ps"]);

    // The shell agrees: it runs the later one too.
    env.clear_record();
    let mut sh = env.program("/bin/sh");
    sh.args(["-c", "docker ps"]);
    user.runs(&mut sh);
    Out::of(&mut sh).ok();
    assert_eq!(env.last_call().argv0, later.join("docker"));

    // Root may run it: root gets the early one (with a home of root's own:
    // root does not take a config from a home another user holds).
    let root_home = mkdir(&env.root().join("root-home"), 0o700);
    std::fs::write(root_home.join("engines.toml"), TWO_ENGINES).unwrap();
    let mut cmd = env.cmd("pg-docker");
    cmd.arg("ps")
        .env("HOME", &root_home)
        .env("DOCKMUX_CONFIG", root_home.join("engines.toml"));
    Out::of(&mut cmd).ok();
    assert!(root_record.join("argv").exists());

    // Only one the caller may not run: the shell's 126 and a fix.
    env.var("PATH", env.bin.clone());
    let mut cmd = env.cmd("pg-docker");
    cmd.arg("ps");
    user.runs(&mut cmd);
    let out = Out::of(&mut cmd);
    assert!(
        out.fails(126)
            .contains(&env.bin.join("docker").display().to_string()),
        "{out}"
    );
}

#[test]
fn every_directory_that_can_redirect_the_config_path_counts() {
    let env = Env::new();
    env.fake_docker();
    env.link("pg-docker");
    let base = mkdir(&env.root().join("c"), 0o755);
    let safe = mkdir(&base.join("safe"), 0o755);
    let ww = mkdir(&base.join("ww"), 0o777);
    let sub = mkdir(&ww.join("sub"), 0o755);
    for f in [safe.join("real.toml"), sub.join("engines.toml")] {
        std::fs::write(&f, TWO_ENGINES).unwrap();
        chmod(&f, 0o600);
    }
    // safe/engines.toml -> ../ww/l -> ../safe/real.toml
    symlink("../ww/l", safe.join("engines.toml")).unwrap();
    symlink("../safe/real.toml", ww.join("l")).unwrap();

    let loads: &[&[&str]] = &[&["pg-docker", "ps"], &["list"]];
    let refused_by =
        |commands: &[&[&str]], env: &Env, cwd: &Path, config: &Path, problem: &str, fix: &str| {
            for &args in commands {
                let mut cmd = env.dockmux(args);
                cmd.env("DOCKMUX_CONFIG", config).current_dir(cwd);
                let out = Out::of(&mut cmd);
                let err = out.fails(125);
                assert!(
                    err.contains(&format!("refusing to use {}: {problem}", config.display()))
                        && err.contains(&format!("fix: {fix}")),
                    "{args:?} {}: {out}",
                    config.display()
                );
            }
            assert!(!env.fake_ran());
        };
    let refused = |env: &Env, cwd: &Path, config: &Path, problem: &str, fix: &str| {
        refused_by(loads, env, cwd, config, problem, fix);
        refused_by(
            &[&["add", "x", "unix:///x"]],
            env,
            cwd,
            config,
            problem,
            fix,
        );
    };
    let accepted = |env: &Env, cwd: &Path, config: &Path| {
        let mut cmd = env.dockmux(["pg-docker", "ps"]);
        cmd.env("DOCKMUX_CONFIG", config).current_dir(cwd);
        Out::of(&mut cmd).ok();
        env.clear_record();
    };
    let writable = format!(
        "directory {} is writable by everyone (mode 777)",
        ww.display()
    );
    let fix = format!("chmod go-w {}", ww.display());
    let root = env.root().to_path_buf();
    // Through a hop of the chain; below a writable directory; relative, from inside it.
    refused(&env, &root, &safe.join("engines.toml"), &writable, &fix);
    refused(&env, &root, &sub.join("engines.toml"), &writable, &fix);
    refused(&env, &sub, Path::new("engines.toml"), &writable, &fix);
    refused(
        &env,
        &sub,
        Path::new("../sub/./engines.toml"),
        &writable,
        &fix,
    );

    // Sticky, with every entry ours: no one else can replace them.
    chmod(&ww, 0o1777);
    accepted(&env, &root, &safe.join("engines.toml"));
    accepted(&env, &root, &sub.join("engines.toml"));
    accepted(&env, &sub, Path::new("engines.toml"));

    // Sticky, but the link belongs to someone else: its owner may replace it.
    let user = other();
    user.owns(&ww.join("l"));
    let problem = format!(
        "{} is owned by uid {} and sits in {}",
        ww.join("l").display(),
        user.uid,
        ww.display()
    );
    refused(
        &env,
        &root,
        &safe.join("engines.toml"),
        &problem,
        &format!("chown -h 0 {}", ww.join("l").display()),
    );
    // Their directory in the sticky one: they may swap what is in it.
    user.owns(&sub);
    let theirs = format!(
        "{} is owned by uid {} and sits in {}",
        sub.display(),
        user.uid,
        ww.display()
    );
    let fix = format!("chown 0 {}", sub.display());
    refused(&env, &root, &sub.join("engines.toml"), &theirs, &fix);
    // Their directory anywhere on the way, even where no one else may write.
    let held = mkdir(&base.join("held"), 0o755);
    std::fs::write(held.join("engines.toml"), TWO_ENGINES).unwrap();
    chmod(&held.join("engines.toml"), 0o600);
    accepted(&env, &root, &held.join("engines.toml"));
    user.owns(&held);
    let theirs = format!("directory {} is owned by uid {}", held.display(), user.uid);
    let fix = format!("chown 0 {}", held.display());
    refused_by(
        loads,
        &env,
        &root,
        &held.join("engines.toml"),
        &theirs,
        &fix,
    );
    // Root's edit there would leave files that user cannot change: it says so
    // (tests/edit_users.rs has the cases).
    let mut add = env.dockmux(["add", "x", "unix:///x"]);
    add.env("DOCKMUX_CONFIG", held.join("engines.toml"));
    let out = Out::of(&mut add);
    assert!(
        out.fails(125).contains(&format!(
            "{} is owned by {} (uid {}), not root",
            held.display(),
            user.name,
            user.uid
        )),
        "{out}"
    );
}

/// Config values of every kind holding a control character, raw where TOML
/// allows it, else as an escape; and the key the error must name.
const CONTROL_CASES: &[(&str, &str)] = &[
    (
        "[engines.pg]\nhost = \"unix:///s\"\ndescription = \"a\\nrm -rf ~\"\n",
        "description",
    ),
    (
        "[engines.pg]\nhost = \"unix:///s\"\ndescription = 'tab\there'\n",
        "description",
    ),
    (
        "[engines.pg]\nhost = \"unix:///s\"\nhint = \"\\u001b]0;OWNED\\u0007\"\n",
        "hint",
    ),
    (
        "[engines.pg]\nhost = \"unix:///s\"\nhint = 'c1 \u{9b}2J'\n",
        "hint",
    ),
    ("[engines.pg]\nhost = \"unix:///s\\r\"\n", "host"),
    ("[engines.pg]\nhost = \"ssh://me@nas\\u007f\"\n", "host"),
    (
        "[engines.pg]\nhost = \"unix:///s\"\naliases = [\"ok\", \"x\\ny\"]\n",
        "aliases",
    ),
    (
        "docker = \"/usr/bin/docker\\n\"\n[engines.pg]\nhost = \"unix:///s\"\n",
        "docker",
    ),
    (
        "[engines.pg]\nhost = \"tcp://h:2376\"\ntls = { verify = true, cert_path = \"/c\\u0085\" }\n",
        "tls.cert_path",
    ),
    (
        "[engines.\"p\\u001bg\"]\nhost = \"unix:///s\"\n",
        "an engine name",
    ),
];

#[test]
fn a_control_character_in_any_config_value_is_refused_naming_the_key() {
    let env = Env::new();
    env.fake_docker();
    env.link("pg-docker");
    let wrappers = env.root().join("wrappers");
    for (text, key) in CONTROL_CASES {
        env.user_config(text);
        let engine = Out::of(env.cmd("pg-docker").arg("ps"));
        let list = Out::of(&mut env.dockmux(["list"]));
        let wrap = Out::of(env.dockmux(["wrappers", "--dir"]).arg(&wrappers));
        // list lists the other engines and says this one's error (exit 1);
        // a mistake in a top-level value or an engine's name stops the file.
        let whole_file = matches!(*key, "docker" | "an engine name");
        let listed = if whole_file { 125 } else { 1 };
        for (out, code) in [(&engine, 125), (&list, listed), (&wrap, 125)] {
            let err = out.fails(code);
            assert!(
                err.contains(&format!("{key} holds a control character (U+")),
                "{text:?}: {out}"
            );
            // Said, not shown: the message itself holds none.
            assert!(
                !err.trim_end_matches('\n').chars().any(char::is_control),
                "{text:?}: {err:?}"
            );
        }
        // The engine path's quick scanner and the full parser say the same.
        assert_eq!(
            engine.stderr.strip_prefix("pg-docker: "),
            list.stderr
                .strip_prefix("dockmux: ")
                .map(|e| e.strip_prefix("skipped engine 'pg': ").unwrap_or(e)),
            "{text:?}"
        );
        assert!(!env.fake_ran() && !wrappers.exists(), "{text:?}");
    }
}

#[test]
fn control_characters_are_refused_where_values_enter_add_discover_import() {
    let env = Env::new();
    let cfg = env.user_config("[engines.keep]\nhost = \"unix:///keep.sock\"\n");
    let before = std::fs::read(&cfg).unwrap();
    for (args, key) in [
        (
            vec!["add", "box", "unix:///s", "--description", "a\n#!/bin/sh"],
            "description",
        ),
        (
            vec!["add", "box", "unix:///s", "--hint", "\u{1b}[2J"],
            "hint",
        ),
        (
            vec!["add", "box", "unix:///s", "--alias", "b\tx"],
            "aliases",
        ),
        (vec!["add", "box", "unix:///s\n"], "host"),
        (vec!["add", "box", "ssh://me@nas\u{202e}"], "host"),
        (
            vec!["add", "box", "tcp://h:1", "--cert-path", "/c\u{85}"],
            "tls.cert_path",
        ),
        (vec!["add", "bo\u{7f}x", "unix:///s"], "the engine name"),
    ] {
        let out = Out::of(&mut env.dockmux(&args));
        let err = out.fails(125);
        assert!(
            err.contains(&format!("{key} holds a control character")),
            "{args:?}: {out}"
        );
        assert!(!err.trim_end().chars().any(char::is_control), "{err:?}");
        assert_eq!(
            std::fs::read(&cfg).unwrap(),
            before,
            "{args:?} changed the config"
        );
    }

    // discover: a dockerd (root's) whose -H, or whose --config-file path,
    // holds a newline: the first is never proposed, and nothing written
    // holds a control character.
    let root = env.root().join("box");
    for (pid, argv) in [
        (
            70,
            vec!["dockerd", "-H", "unix:///run/a.sock\ntouch /tmp/x"],
        ),
        (
            71,
            vec!["dockerd", "--config-file", "/etc/x\n;id/daemon.json"],
        ),
    ] {
        let dir = root.join(format!("proc/{pid}"));
        std::fs::create_dir_all(&dir).unwrap();
        let cmdline: Vec<u8> = argv.iter().flat_map(|a| a.bytes().chain([0])).collect();
        std::fs::write(dir.join("cmdline"), cmdline).unwrap();
        std::fs::write(dir.join("status"), "Name:\tdockerd\nUid:\t0\t0\t0\t0\n").unwrap();
    }
    std::fs::create_dir_all(root.join("etc/x\n;id")).unwrap();
    std::fs::write(
        root.join("etc/x\n;id/daemon.json"),
        r#"{"hosts": ["unix:///run/b.sock"]}"#,
    )
    .unwrap();
    Out::of(env.dockmux(["discover", "--write", "--root"]).arg(&root)).ok();
    let written = std::fs::read_to_string(&cfg).unwrap();
    assert!(written.contains("unix:///run/b.sock"), "{written}");
    assert!(!written.contains("a.sock"), "{written}");
    assert!(
        !written.chars().any(|c| c.is_control() && c != '\n'),
        "{written:?}"
    );
    Out::of(&mut env.dockmux(["list"])).ok();
    std::fs::write(&cfg, &before).unwrap();

    // contexts import: a context the real client made, with a newline in its description.
    std::os::unix::fs::symlink(testbed::real_docker(), env.bin.join("docker")).unwrap();
    let made = Out::of(env.program("docker").args([
        "context",
        "create",
        "evil",
        "--description",
        "x\ntouch /tmp/pwned",
        "--docker",
        "host=unix:///evil.sock",
    ]));
    made.ok();
    // Its description is shown text: imported escaped, as a visible `\n`.
    Out::of(&mut env.dockmux(["contexts", "import", "evil"])).ok();
    let written = std::fs::read_to_string(&cfg).unwrap();
    assert!(written.contains(r"x\ntouch /tmp/pwned"), "{written}");
    assert!(
        !written.chars().any(|c| c.is_control() && c != '\n'),
        "{written:?}"
    );
    Out::of(&mut env.dockmux(["list"])).ok();
    std::fs::write(&cfg, &before).unwrap();
    // A host the client would refuse, in a store written by hand: refused by name.
    let meta = env.home.join(".docker/contexts/meta/0f1e2d");
    std::fs::create_dir_all(&meta).unwrap();
    std::fs::write(
        meta.join("meta.json"),
        r#"{"Name":"odd","Endpoints":{"docker":{"Host":"unix:///odd\u001b]0;x.sock"}}}"#,
    )
    .unwrap();
    let out = Out::of(&mut env.dockmux(["contexts", "import", "odd"]));
    assert!(
        out.fails(125).contains("host holds a control character"),
        "{out}"
    );
    assert_eq!(std::fs::read(&cfg).unwrap(), before);
}

/// The address space a refusal must fit in: reading the file whole could not.
const MEMORY_CAP: u64 = 64 << 20;

/// Runs `cmd` under [`MEMORY_CAP`] (killed and failed after 10 s); its output
/// and wall time. (The cap, not a measurement: a child's peak RSS as the
/// kernel reports it includes the test process's own, which it was forked
/// from.)
fn capped(cmd: &mut Command) -> (Out, Duration) {
    // SAFETY: setrlimit is async-signal-safe.
    unsafe {
        cmd.pre_exec(|| {
            let limit = libc::rlimit {
                rlim_cur: MEMORY_CAP,
                rlim_max: MEMORY_CAP,
            };
            if libc::setrlimit(libc::RLIMIT_AS, &limit) != 0 {
                return Err(std::io::Error::last_os_error());
            }
            Ok(())
        });
    }
    let start = Instant::now();
    let out = finishes(cmd);
    (out, start.elapsed())
}

#[test]
fn a_config_over_the_size_cap_is_refused_at_once_on_every_path() {
    let mut env = Env::new();
    env.fake_docker();
    env.link("pg-docker");
    let cfg = env.user_config(TWO_ENGINES);
    // 3 GiB, sparse: free to make, ruinous to read.
    std::fs::OpenOptions::new()
        .write(true)
        .open(&cfg)
        .unwrap()
        .set_len(3 << 30)
        .unwrap();
    let cases: [&[&str]; 6] = [
        &["pg-docker", "ps"],
        &["list"],
        &["env", "pg"],
        &["add", "box", "unix:///s"],
        &["config", "show"],
        &["wrappers", "--dir", "/nonexistent"],
    ];
    let mut slowest = Duration::ZERO;
    for args in cases {
        let (out, took) = capped(&mut env.dockmux(args));
        let err = out.fails(125);
        assert!(
            err.contains(&format!(
                "refusing to read config {}: it holds 3221225472 bytes or more, over the 1048576 bytes (1 MiB)",
                cfg.display()
            )),
            "{args:?}: {out}"
        );
        assert!(took < Duration::from_millis(500), "{args:?} took {took:?}");
        slowest = slowest.max(took);
    }
    eprintln!(
        "size cap: a 3 GiB config refused by {} commands within {} MiB of address space, the slowest in {slowest:?}",
        cases.len(),
        MEMORY_CAP >> 20
    );
    let (doctor, _) = capped(&mut env.dockmux(["doctor"]));
    assert!(
        doctor.stdout.contains("3221225472 bytes or more"),
        "{doctor}"
    );

    // The cap is the documented 1 MiB: one byte over is refused, at it is read.
    let padded = |len: usize| {
        let mut text = TWO_ENGINES.to_string();
        let line = format!("#{}\n", "x".repeat(99));
        while text.len() + line.len() < len {
            text.push_str(&line);
        }
        text.push_str(&"#".repeat(len - text.len() - 1));
        text.push('\n');
        assert_eq!(text.len(), len);
        text
    };
    env.user_config(&padded(1 << 20));
    env.run("pg-docker", ["ps"]).ok();
    env.user_config(&padded((1 << 20) + 1));
    assert!(
        env.run("pg-docker", ["ps"])
            .fails(125)
            .contains("1048577 bytes or more")
    );

    // A file whose size fstat does not tell (st_size 0) is read only up to the cap.
    let kallsyms = Path::new("/proc/kallsyms");
    let real_size = std::fs::read(kallsyms).map(|b| b.len()).unwrap_or(0);
    assert!(
        real_size > 1 << 20,
        "/proc/kallsyms holds {real_size} bytes: pick another"
    );
    env.var("DOCKMUX_CONFIG", kallsyms);
    let (out, _) = capped(&mut env.cmd("pg-docker"));
    assert!(out.fails(125).contains("1048577 bytes or more"), "{out}");
}
