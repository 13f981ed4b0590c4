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

/// A client of the engine's key that another user could change is refused
/// before it runs, naming the key and the fix, as the PATH client would be
/// passed over; a missing or non-executable one says the key too.
#[test]
fn an_untrusted_missing_or_unrunnable_client_is_refused_naming_the_key() {
    let env = Env::new();
    let ran = env.root().join("ran");
    let script = format!("#!/bin/sh\ntouch {}\n", ran.display());
    // A dir anyone can write (not sticky): whoever can, can swap the client.
    let open = env.root().join("open");
    std::fs::create_dir(&open).unwrap();
    std::fs::set_permissions(&open, std::fs::Permissions::from_mode(0o777)).unwrap();
    write_executable(&open.join("docker"), &script);
    // Mode 0777: writable by everyone.
    let loose = env.root().join("loose-docker");
    write_executable(&loose, &script);
    std::fs::set_permissions(&loose, std::fs::Permissions::from_mode(0o777)).unwrap();
    // Trusted, but not executable.
    let plain = env.root().join("plain-docker");
    write_executable(&plain, &script);
    std::fs::set_permissions(&plain, std::fs::Permissions::from_mode(0o644)).unwrap();
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
