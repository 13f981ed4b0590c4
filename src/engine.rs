//! Engine mode: invoked as `NAME-docker` (or an alias), point the docker
//! client at engine NAME and become it. This is the hot path of every docker
//! command a user types: read the config, a few stats, exec. No clap, no
//! probing, no extra processes.

use std::convert::Infallible;
use std::ffi::{OsStr, OsString};
use std::io::Write;
use std::process::Command;

use crate::client;
use crate::config::{self, Engine};
use crate::error::{Error, Result};
use crate::flags::{self, Scan};
use crate::replace;

/// Nested dockmux invocations allowed before we call it a loop.
pub const MAX_DEPTH: u32 = 10;
/// The recursion counter in the environment.
const DEPTH_VAR: &str = "DOCKMUX_DEPTH";

/// The environment that points a docker client at `engine`: `Some` sets, `None` removes.
pub fn docker_env(engine: &Engine) -> [(&'static str, Option<String>); 6] {
    let tls = engine.tls.as_ref();
    let [host, context, tls_verify, tls_on, cert_path, dockmux_engine] = ENV_KEYS;
    [
        (host, Some(engine.host.clone())),
        // DOCKER_HOST beats a context anyway; removing it keeps tools that read it honest.
        (context, None),
        // Inherited TLS settings would break a unix socket; only the engine's own count.
        (tls_verify, tls.filter(|t| t.verify).map(|_| "1".into())),
        (tls_on, tls.filter(|t| !t.verify).map(|_| "1".into())),
        (cert_path, tls.and_then(|t| t.cert_path.clone())),
        (dockmux_engine, Some(engine.name.clone())),
    ]
}

/// Every variable `docker_env` sets or removes, in its order.
pub const ENV_KEYS: [&str; 6] = [
    "DOCKER_HOST",
    "DOCKER_CONTEXT",
    "DOCKER_TLS_VERIFY",
    "DOCKER_TLS",
    "DOCKER_CERT_PATH",
    "DOCKMUX_ENGINE",
];

/// Sets (`Some`) or removes (`None`) each variable.
pub fn set_env(cmd: &mut Command, vars: &[(&str, Option<String>)]) {
    for (key, value) in vars {
        match value {
            Some(v) => cmd.env(key, v),
            None => cmd.env_remove(key),
        };
    }
}

/// Reads and bumps the recursion counter; errors past the limit.
pub fn next_depth() -> Result<u32> {
    let depth = std::env::var(DEPTH_VAR)
        .ok()
        .and_then(|d| d.parse::<u32>().ok())
        .unwrap_or(0);
    if depth >= MAX_DEPTH {
        return Err(Error::Recursion { depth });
    }
    Ok(depth + 1)
}

/// Runs docker for the engine `command` names. Returns only on failure.
pub fn run(command: &str, args: &[OsString]) -> Result<Infallible> {
    let (ref engine, docker) = config::load_engine(&config::Sources::from_env(), command)?;
    let quiet = match flags::scan(args) {
        Scan::Refused { word, completion } => {
            if completion {
                // The shell's answer: no candidates and no file names (cobra's
                // ShellCompDirectiveNoFileComp), so TAB offers nothing.
                let _ = std::io::stdout().write_all(b":4\n");
            }
            return Err(Error::RefusedFlag {
                flag: word,
                engine: engine.name.clone(),
            });
        }
        Scan::Ok(line) => line.quiet,
    };
    // Only engines with a policy pay for reading the command line.
    if engine.policy.is_some() {
        crate::policy::enforce(command, engine, args)?;
    }
    let depth = next_depth()?;
    let client = client::find(docker.as_ref())?;
    if !quiet {
        warn_if_down(command, engine);
    }
    let depth = depth.to_string();
    let env = docker_env(engine);
    let vars: Vec<(&str, Option<&str>)> = env
        .iter()
        .map(|(k, v)| (*k, v.as_deref()))
        .chain(std::iter::once((DEPTH_VAR, Some(depth.as_str()))))
        .collect();
    // argv[0] is the client's path.
    let argv: Vec<&OsStr> = std::iter::once(client.as_os_str())
        .chain(args.iter().map(OsString::as_os_str))
        .collect();
    let err = replace::exec(&argv, &vars);
    Err(Error::ClientNotExecutable {
        fix: if err.kind() == std::io::ErrorKind::PermissionDenied {
            format!("make it executable (chmod +x {})", client.display())
        } else {
            "check that it is a working docker client".to_string()
        },
        path: client,
        source: err,
    })
}

/// One line on stderr when a unix socket is plainly not there, then docker
/// runs anyway (it may be starting, and docker's own error follows).
fn warn_if_down(command: &str, engine: &Engine) {
    let Some(sock) = engine.unix_socket() else {
        return;
    };
    let name = &engine.name;
    let path = sock.display();
    let problem = match std::fs::metadata(sock) {
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
            format!("engine '{name}' is not running: no socket at {path}")
        }
        Ok(m) if m.is_dir() => format!("engine '{name}': {path} is a directory, not a socket"),
        Ok(m) if m.is_file() => format!("engine '{name}': {path} is a regular file, not a socket"),
        _ => return,
    };
    match &engine.hint {
        Some(hint) => eprintln!("{command}: {problem} ({hint})"),
        None => eprintln!("{command}: {problem}"),
    }
}
