//! An engine's own `client = "/path/to/docker"` (issue 22 item 4): the
//! engine path and `each` run that client instead of the one on PATH, it
//! is trusted only as the PATH client is, and `add`/`set` write it as they
//! write every key, keeping the file's other bytes.

use std::os::unix::fs::PermissionsExt;
use std::path::Path;
use std::process::Command;

use crate::harness::exe::write_executable;
use crate::harness::testbed::{self, Engine};
use crate::harness::{Env, Out};

/// Both clients this machine has (scripts/test installs Debian's docker.io;
/// the 28.x one is in /usr/local/bin).
const OLD: &str = "/usr/bin/docker";
const NEW: &str = "/usr/local/bin/docker";
const VERSION: [&str; 3] = ["version", "--format", "{{.Client.Version}}"];

/// What `client` says its own version is, asked directly of `engine`.
fn version_of(client: &str, engine: &Engine) -> String {
    let mut cmd = Command::new(client);
    cmd.args(VERSION)
        .env_clear()
        .env("DOCKER_HOST", &engine.host)
        .env("HOME", "/nonexistent");
    Out::of(&mut cmd).ok().trim().to_string()
}

fn dockmux(env: &Env, args: &[&str]) -> Out {
    Out::of(&mut env.dockmux(args))
}

#[test]
fn an_engine_runs_its_own_client_and_each_does_too() {
    let bed = testbed::shared();
    let (old, new) = (version_of(OLD, &bed.pg), version_of(NEW, &bed.pg));
    assert_ne!(
        old, new,
        "the two clients must differ for this test to tell"
    );
    let env = Env::new();
    // PATH's docker is the new one; pg says the old one, lzc names none.
    std::os::unix::fs::symlink(NEW, env.bin.join("docker")).unwrap();
    env.user_config(&format!(
        "[engines.pg]\nhost = \"{}\"\nclient = \"{OLD}\"\n\n[engines.lzc]\nhost = \"{}\"\n",
        bed.pg.host, bed.lzc.host
    ));
    env.link("pg-docker");
    env.link("lzc-docker");
    assert_eq!(env.run("pg-docker", VERSION).ok().trim(), old);
    assert_eq!(env.run("lzc-docker", VERSION).ok().trim(), new);
    let each = dockmux(
        &env,
        &[
            "each", "--group", "pg", "lzc", "--", VERSION[0], VERSION[1], VERSION[2],
        ],
    );
    assert_eq!(each.ok(), format!("lzc | {new}\npg  | {old}\n"));
    // Each way round: lzc on the old one by `set`, pg back to PATH's.
    dockmux(&env, &["set", "lzc", "--client", OLD]).ok();
    dockmux(&env, &["set", "pg", "--no-client"]).ok();
    assert_eq!(env.run("pg-docker", VERSION).ok().trim(), new);
    assert_eq!(env.run("lzc-docker", VERSION).ok().trim(), old);
    // list --json shows it, null when unset.
    let json: serde_json::Value =
        serde_json::from_str(dockmux(&env, &["list", "--json", "--timeout", "2s"]).ok()).unwrap();
    let client = |name: &str| {
        json.as_array()
            .unwrap()
            .iter()
            .find(|e| e["name"] == name)
            .unwrap_or_else(|| panic!("{name} not in {json}"))["client"]
            .clone()
    };
    assert_eq!(client("lzc"), OLD);
    assert!(client("pg").is_null(), "{json}");
}

/// Clients the rule refuses, each a script that leaves `ran` behind if it
/// runs at all.
struct Bad {
    ran: std::path::PathBuf,
    /// Mode 0777: writable by everyone.
    loose: std::path::PathBuf,
    /// Trusted, but not executable.
    plain: std::path::PathBuf,
}

fn bad_clients(env: &Env) -> Bad {
    let ran = env.root().join("ran");
    let script = format!("#!/bin/sh\ntouch {}\n", ran.display());
    let [loose, plain] = [("loose-docker", 0o777), ("plain-docker", 0o644)].map(|(name, mode)| {
        let p = env.root().join(name);
        write_executable(&p, &script);
        std::fs::set_permissions(&p, std::fs::Permissions::from_mode(mode)).unwrap();
        p
    });
    Bad { ran, loose, plain }
}

/// A client of the engine's key that another user could change is refused
/// before it runs, naming the key and the fix, as the PATH client would be
/// passed over; a missing or non-executable one says the key too.
#[test]
fn an_untrusted_missing_or_unrunnable_client_is_refused_naming_the_key() {
    let env = Env::new();
    let Bad { ran, loose, plain } = bad_clients(&env);
    // A dir anyone can write (not sticky): whoever can, can swap the client.
    let open = env.root().join("open");
    std::fs::create_dir(&open).unwrap();
    std::fs::set_permissions(&open, std::fs::Permissions::from_mode(0o777)).unwrap();
    write_executable(
        &open.join("docker"),
        format!("#!/bin/sh\ntouch {}\n", ran.display()),
    );
    // The PATH's client would run if the key were passed over.
    env.fake_docker();
    env.link("pg-docker");
    let config = env.user_config_path();
    let fix = format!(
        "fix client = \"{{}}\" in [engines.pg] of {} (or take it out: dockmux set pg --no-client)",
        config.display()
    );
    let with = |client: &Path| {
        env.user_config(&format!(
            "[engines.pg]\nhost = \"unix:///run/none.sock\"\nclient = \"{}\"\n",
            client.display()
        ));
    };
    for (client, code, says) in [
        (
            open.join("docker"),
            125,
            format!(
                "refusing to use the docker client {}/docker (client = in [engines.pg] of {}): ",
                open.display(),
                config.display()
            ),
        ),
        (
            loose.clone(),
            125,
            format!(
                "refusing to use the docker client {} (client = in [engines.pg] of {}): ",
                loose.display(),
                config.display()
            ),
        ),
        (
            env.root().join("missing"),
            127,
            fix.replace("{}", &env.root().join("missing").display().to_string()),
        ),
        (
            plain.clone(),
            126,
            format!(
                "make it executable (chmod +x {}), or {}",
                plain.display(),
                fix.replace("{}", &plain.display().to_string())
            ),
        ),
    ] {
        with(&client);
        let out = env.run("pg-docker", ["ps"]);
        assert!(
            out.fails(code).contains(&says),
            "{}: {out}",
            client.display()
        );
        assert!(!ran.exists(), "{} ran", client.display());
        assert!(!env.fake_ran(), "the PATH client ran instead of refusing");
    }
    // `set` says so at once (the edit is made: the file may be fixed next).
    env.user_config("[engines.pg]\nhost = \"unix:///run/none.sock\"\n");
    let out = dockmux(
        &env,
        &["set", "pg", "--client", &loose.display().to_string()],
    );
    assert!(
        out.ok().contains("note: refusing to use the docker client")
            && out.ok().contains("until then pg-docker fails"),
        "{out}"
    );
}

/// `add --client` writes the key with the others; `set --client` and
/// `--no-client` change only its line; a path that is not absolute is
/// refused with the key's rule and writes nothing.
#[test]
fn set_client_keeps_every_other_byte() {
    let env = Env::new();
    let text = "# mine\r\n[engines.pg]  # play\r\nhost = \"unix:///run/pg.sock\"   # the socket\r\n\r\n# end: keep\r\n";
    let path = env.user_config(text);
    dockmux(&env, &["set", "pg", "--client", OLD]).ok();
    let with = text.replace(
        "# the socket\r\n",
        &format!("# the socket\r\nclient = \"{OLD}\"\r\n"),
    );
    assert_eq!(std::fs::read_to_string(&path).unwrap(), with);
    let out = dockmux(&env, &["set", "pg", "--client", "docker"]);
    assert!(
        out.fails(125)
            .contains("client = \"docker\": give the docker client's absolute path"),
        "{out}"
    );
    assert_eq!(std::fs::read_to_string(&path).unwrap(), with);
    dockmux(&env, &["set", "pg", "--no-client"]).ok();
    assert_eq!(std::fs::read_to_string(&path).unwrap(), text);
    dockmux(&env, &["add", "nas", "ssh://me@nas", "--client", NEW]).ok();
    assert_eq!(
        std::fs::read_to_string(&path).unwrap(),
        format!("{text}\r\n[engines.nas]\r\nhost = \"ssh://me@nas\"\r\nclient = \"{NEW}\"\r\n")
    );
}

/// doctor checks each engine's own client as the engine path would (the
/// PATH client alone said nothing of them): trusted, present and runnable
/// by the same rule, each finding with its fix, and the version of one that
/// passes, asked only then, so an untrusted one never runs.
#[test]
fn doctor_checks_each_engines_client_by_the_engine_paths_rule() {
    let env = Env::new();
    let Bad { ran, loose, plain } = bad_clients(&env);
    let missing = env.root().join("missing");
    std::os::unix::fs::symlink(NEW, env.bin.join("docker")).unwrap();
    let mut toml = String::new();
    for (name, client) in [
        ("a", Path::new(OLD)),
        ("b", Path::new(NEW)),
        ("c", &loose),
        ("d", &missing),
        ("e", &plain),
        ("f", env.root()),
        ("g", Path::new("")),
    ] {
        toml.push_str(&format!(
            "[engines.{name}]\nhost = \"unix:///run/none-{name}.sock\"\n"
        ));
        if !client.as_os_str().is_empty() {
            toml.push_str(&format!("client = \"{}\"\n", client.display()));
        }
    }
    let config = env.user_config(&toml);
    let out = dockmux(&env, &["doctor", "--json", "--timeout", "5s"]);
    assert_eq!(out.code, Some(1), "{out}");
    assert!(!ran.exists(), "doctor ran a client the rule refuses");
    let report: serde_json::Value = serde_json::from_str(&out.stdout).unwrap();
    let clients: Vec<(String, String, String)> = report["checks"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|c| c["check"] == "client")
        .map(|c| {
            let s = |k: &str| c[k].as_str().unwrap_or("-").to_string();
            (s("level"), s("message"), s("fix"))
        })
        .collect();
    // As each client tells an engine its version.
    let bed = testbed::shared();
    let (old, new) = (version_of(OLD, &bed.pg), version_of(NEW, &bed.pg));
    let cfg = config.display();
    let key = |e: &str, p: &Path| {
        format!(
            "fix client = \"{}\" in [engines.{e}] of {cfg} (or take it out: dockmux set {e} --no-client)",
            p.display()
        )
    };
    let expected = [
        (
            "ok".to_string(),
            format!("{}/docker (docker {new})", env.bin.display()),
            "-".to_string(),
        ),
        (
            "note".to_string(),
            format!(
                "a: {OLD} is docker {old}: a-docker works; TAB completes the names of containers, \
                 images, volumes and networks through dockmux, other arguments need docker 23 or later"
            ),
            "to complete every argument, point it at a newer docker CLI: dockmux set a --client PATH \
             (or take it out: dockmux set a --no-client)"
                .to_string(),
        ),
        ("ok".to_string(), format!("b: {NEW} (docker {new})"), "-".to_string()),
        (
            "problem".to_string(),
            format!(
                "c: refusing to use the docker client {} (client = in [engines.c] of {cfg}): \
                 file {} is writable by everyone (mode 777)",
                loose.display(),
                loose.display()
            ),
            format!("chmod go-w {}; or {}", loose.display(), key("c", &loose)),
        ),
        (
            "problem".to_string(),
            format!(
                "d: cannot run docker client {}: No such file or directory (os error 2)",
                missing.display()
            ),
            key("d", &missing),
        ),
        (
            "problem".to_string(),
            format!("e: cannot run docker client {}: permission denied", plain.display()),
            format!(
                "make it executable (chmod +x {}), or {}",
                plain.display(),
                key("e", &plain)
            ),
        ),
        (
            "problem".to_string(),
            format!(
                "f: client = \"{}\" (engine 'f', from {cfg}) is not a program file; point it at \
                 the docker client, e.g. /usr/bin/docker",
                env.root().display()
            ),
            key("f", env.root()),
        ),
    ];
    assert_eq!(clients, expected, "{out}");
    // Each one fixed, doctor has nothing to say of the clients.
    for name in ["c", "d", "e", "f"] {
        dockmux(&env, &["set", name, "--no-client"]).ok();
    }
    let out = dockmux(&env, &["doctor", "--json", "--timeout", "5s"]);
    let report: serde_json::Value = serde_json::from_str(&out.stdout).unwrap();
    let problems: Vec<&serde_json::Value> = report["checks"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|c| c["check"] == "client" && c["level"] != "ok" && c["level"] != "note")
        .collect();
    assert!(problems.is_empty(), "{out}");
}

/// `contexts export` writes an engine's context with the client that
/// engine runs: its own, not PATH's (here a recording fake that would
/// claim success and write nothing); an engine without one still gets
/// PATH's. The context then reaches the same engine as the link.
#[test]
fn contexts_export_runs_the_engines_own_client() {
    let bed = testbed::shared();
    let env = Env::new();
    env.fake_docker();
    env.user_config(&format!(
        "[engines.pg]\nhost = \"{}\"\nclient = \"{NEW}\"\n\n[engines.lzc]\nhost = \"{}\"\n",
        bed.pg.host, bed.lzc.host
    ));
    env.link("pg-docker");
    let out = dockmux(&env, &["contexts", "export", "pg"]);
    assert!(out.ok().contains("created  context 'pg'"), "{out}");
    assert!(!env.fake_ran(), "PATH's docker wrote pg's context: {out}");
    let id = ["info", "--format", "{{.DockerRootDir}}"];
    let via_link = env.run("pg-docker", id).ok().trim().to_string();
    let via_context = Out::of(env.program(NEW).args(["--context", "pg"]).args(id));
    assert_eq!(via_context.ok().trim(), via_link);
    let lzc_id = Out::of(env.program(NEW).env("DOCKER_HOST", &bed.lzc.host).args(id));
    assert_ne!(lzc_id.ok().trim(), via_link, "the two engines must differ");
    // lzc names no client: PATH's runs for it.
    let out = dockmux(&env, &["contexts", "export", "lzc"]);
    assert!(out.fails(1).contains("context 'lzc' is not in"), "{out}");
    assert_eq!(
        env.last_call().args_str()[..3],
        ["context", "create", "lzc"]
    );
}

/// `wrappers` writes the client the engine runs into its script: its own
/// `client` (quoted for sh), else the top-level `docker`, else `docker`
/// on PATH; each script passes shellcheck and runs that client.
#[test]
fn wrappers_exec_the_client_the_engine_runs() {
    let bed = testbed::shared();
    let (old, new) = (version_of(OLD, &bed.pg), version_of(NEW, &bed.pg));
    let env = Env::new();
    env.fake_docker();
    // A path the shell must be given quoted: a space and a quote.
    let odd = env.root().join("it's a dir");
    std::fs::create_dir(&odd).unwrap();
    std::os::unix::fs::symlink(OLD, odd.join("docker")).unwrap();
    let config = |top: &str| {
        env.user_config(&format!(
            "{top}[engines.pg]\nhost = \"{}\"\nclient = \"{}\"\n\n[engines.lzc]\nhost = \"{}\"\n",
            bed.pg.host,
            odd.join("docker").display(),
            bed.lzc.host
        ));
    };
    let dir = env.root().join("w");
    std::fs::create_dir(&dir).unwrap();
    let wrap = |expect: [(&str, &str); 2]| {
        dockmux(&env, &["wrappers", "--dir", &dir.display().to_string()]).ok();
        for (command, version) in expect {
            let script = dir.join(command);
            let check = Out::of(
                Command::new("shellcheck")
                    .arg("--severity=style")
                    .arg(&script),
            );
            assert_eq!(check.code, Some(0), "{command}: {check}");
            let out = Out::of(env.program(&script).args(VERSION));
            assert_eq!(out.ok().trim(), version, "{command}: {out}");
        }
    };
    config(&format!("docker = \"{NEW}\"\n\n"));
    wrap([("pg-docker", &old), ("lzc-docker", &new)]);
    assert!(!env.fake_ran(), "PATH's docker ran");
    config("");
    wrap([("pg-docker", &old), ("lzc-docker", "")]);
    assert_eq!(env.last_call().args_str(), VERSION);
}

/// What the recording fake in `record` was last given, after argv[0].
fn fake_args(record: &Path) -> Option<Vec<String>> {
    let argv = std::fs::read(record.join("argv")).ok()?;
    let argv = String::from_utf8(argv).unwrap();
    Some(
        argv.split_terminator('\0')
            .skip(1)
            .map(String::from)
            .collect(),
    )
}

/// `ps` and `list` ask a tcp (or plain ssh) engine through the client its
/// `NAME-docker` runs: its own `client`, trusted only as that one is, and
/// the others through PATH's (or the config's) client.
#[test]
fn a_fan_out_asks_each_engine_through_its_own_client() {
    let env = Env::new();
    env.fake_docker();
    let own = env.root().join("own");
    let record = env.root().join("own-record");
    std::fs::create_dir_all(&own).unwrap();
    std::fs::create_dir_all(&record).unwrap();
    let client = own.join("docker");
    crate::harness::write_fake(&client, &record);
    // Nothing listens on port 9: only the clients' runs are looked at.
    let config = env.user_config(&format!(
        "[engines.nas]\nhost = \"tcp://127.0.0.1:9\"\nclient = \"{}\"\n\n\
         [engines.box]\nhost = \"tcp://127.0.0.1:8\"\n",
        client.display()
    ));
    let ps = ["ps", "--format", "{{json .}}"];
    // Each fake lists no containers.
    let out = dockmux(&env, &["ps", "--timeout", "10s"]);
    assert_eq!((out.code, out.stderr.as_str()), (Some(0), ""), "{out}");
    assert_eq!(fake_args(&record).unwrap(), ps);
    let path_client = env.last_call();
    assert_eq!(path_client.args_str(), ps);
    assert_eq!(path_client.var("DOCKER_HOST"), Some("tcp://127.0.0.1:8"));

    std::fs::remove_file(record.join("argv")).unwrap();
    env.clear_record();
    let out = dockmux(&env, &["list", "nas", "--timeout", "10s"]);
    assert_eq!(out.code, Some(0), "{out}");
    let version = ["version", "--format", "{{json .Server}}"];
    assert_eq!(fake_args(&record).unwrap(), version);
    assert!(!env.fake_ran(), "PATH's client asked nas");

    // One that others could change is refused, naming the key; not run.
    std::fs::remove_file(record.join("argv")).unwrap();
    env.clear_record();
    std::fs::set_permissions(&client, std::fs::Permissions::from_mode(0o777)).unwrap();
    let out = dockmux(&env, &["ps", "--timeout", "10s"]);
    assert_eq!(out.code, Some(1), "{out}");
    let says = format!(
        "nas: cannot ask the engine: refusing to use the docker client {} (client = in [engines.nas] of {}): ",
        client.display(),
        config.display()
    );
    assert!(out.stderr.contains(&says), "{out}");
    assert_eq!(fake_args(&record), None, "nas's client ran");
    assert_eq!(env.last_call().args_str(), ps);
}
