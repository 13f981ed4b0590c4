//! The engine path reads a command line once (crates/dockmux-engine/src/
//! engine/line), and everything that judges it judges that one reading. Two
//! readings once disagreed: the refusal's scan took any `--help` after the
//! command for a help request (no note that the engine is down), while the
//! policy's ignored a `--help` before the command (so `audit-docker --help
//! volume rm x` was refused). Here the real clients decide, line by line,
//! whether a line is help or reaches the engine, and dockmux's policy and
//! its note must both answer as they did.

use std::path::Path;
use std::process::{Command, Stdio};

use crate::hardening::fake_client;
use crate::harness::{Env, Out};

const CONFIG: &str = r#"
[engines.audit]
host = "unix:///nonexistent/audit.sock"
readonly = true

[engines.lzc]
host = "unix:///nonexistent/lzc.sock"
protect = true

[engines.pg]
host = "unix:///nonexistent/pg.sock"
"#;

/// Lines where the help flag stands in every place docker reads it, and
/// in places it does not.
const LINES: &[&[&str]] = &[
    &["--help", "volume", "rm", "x"],
    &["-h", "volume", "rm", "x"],
    &["-D", "--help", "rm", "x"],
    &["--", "--help", "volume", "rm", "x"],
    &["--help", "--", "volume", "rm", "x"],
    &["volume", "--help", "rm", "x"],
    &["rm", "-fh", "x"],
    &["--help", "rm", "--help=false", "x"],
    &["--help=false", "volume", "rm", "x"],
    &["-v", "volume", "rm", "x"],
    &["rm", "x", "--", "--help"],
    &["stop", "-t", "5", "x", "--help"],
    &["run", "alpine", "echo", "--help"],
    &["run", "--name", "-h", "alpine"],
];

/// What a real client does with `args`, its engine not there: prints help
/// (`true`), or reaches for the engine (`false`).
fn client_prints_help(client: &Path, args: &[&str]) -> bool {
    let out = Command::new(client)
        .args(args)
        .env_clear()
        .env("DOCKER_HOST", "unix:///nonexistent/engine.sock")
        .env("DOCKER_CONFIG", "/nonexistent/docker-config")
        .env("HOME", "/nonexistent")
        .stdin(Stdio::null())
        .output()
        .unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout);
    let stderr = String::from_utf8_lossy(&out.stderr);
    let reached = stderr.contains("Cannot connect to the Docker daemon");
    let help = out.status.success() && stdout.contains("Usage:");
    assert!(
        help != reached,
        "{} {args:?}: neither help nor the engine: {stdout}{stderr}",
        client.display()
    );
    help
}

/// What the fake client printed when it ran with `args`.
fn ran_with(out: &Out, args: &[&str]) -> bool {
    let want: Vec<u8> = args
        .iter()
        .flat_map(|a| [a.as_bytes(), b"\0"].concat())
        .collect();
    out.code == Some(0) && out.raw.stdout == want
}

#[test]
fn help_is_help_where_the_clients_read_it_for_the_policy_and_the_note() {
    let env = Env::new();
    env.user_config(CONFIG);
    std::os::unix::fs::symlink(fake_client(), env.bin.join("docker")).unwrap();
    for l in ["audit-docker", "lzc-docker", "pg-docker"] {
        env.link(l);
    }
    let mut kinds = [0; 2];
    for args in LINES {
        let mut said = ["/usr/bin/docker", "/usr/local/bin/docker"]
            .map(|c| client_prints_help(Path::new(c), args));
        said.sort();
        assert_eq!(said[0], said[1], "{args:?}: the clients differ");
        let help = said[0];
        kinds[usize::from(help)] += 1;
        // A read-only engine runs help and refuses these commands.
        let out = env.run("audit-docker", *args);
        assert_eq!(ran_with(&out, args), help, "audit-docker {args:?}: {out}");
        if !help {
            assert_eq!(out.code, Some(125), "audit-docker {args:?}: {out}");
        }
        // A protected one runs help and holds the removals (no terminal here).
        if args.contains(&"rm") {
            let out = env.run("lzc-docker", *args);
            assert_eq!(ran_with(&out, args), help, "lzc-docker {args:?}: {out}");
        }
        // An engine without a policy: the note that it is down only where
        // the client reaches for it.
        let out = env.run("pg-docker", *args);
        assert!(ran_with(&out, args), "pg-docker {args:?}: {out}");
        let note = "pg-docker: engine 'pg' is not running: no socket at /nonexistent/pg.sock\n";
        let want = if help { "" } else { note };
        assert_eq!(out.stderr, want, "pg-docker {args:?}");
    }
    assert!(kinds.iter().all(|&n| n >= 3), "help and not: {kinds:?}");
}
