//! Engine mode: invoked as `NAME-docker` (or an alias), point the docker
//! client at engine NAME and become it. This is the hot path of every docker
//! command a user types: read the config, a few stats, exec. No clap, no
//! probing, no extra processes (a test, tests/layout.rs, holds it to that).
//!
//! The path in order: dispatch.rs (argv[0] decides the mode), here (the
//! engine's config, its environment, the exec), line/ (the docker command
//! line, read once for the refusals, the policy and the builder check),
//! client.rs (which docker client
//! runs), replace.rs (the exec itself, leaving the caller's signal state as
//! it found it).

pub mod builder;
pub mod client;
pub mod dispatch;
pub mod forward;
pub mod line;
pub mod policy;
pub mod replace;

use std::ffi::{OsStr, OsString};
use std::path::{Path, PathBuf};
use std::process::Command;

use crate::config::{self, Client, Engine};
use crate::error::{Error, Result};
use crate::files::secure;
use line::Refused;

/// Nested dockmux invocations allowed before we call it a loop.
pub const MAX_DEPTH: u32 = 10;
/// The recursion counter in the environment.
const DEPTH_VAR: &str = "DOCKMUX_DEPTH";

/// The environment that points a docker client at `engine`: `Some` sets,
/// `None` removes. For a client run here use [`checked_env`]; this unchecked
/// form is for wrapper scripts, which run on other hosts.
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

/// `docker_env`, refused when the engine's TLS material could be changed by
/// others (see [`check_tls`]).
pub fn checked_env(engine: &Engine) -> Result<[(&'static str, Option<String>); 6]> {
    check_tls(engine)?;
    Ok(docker_env(engine))
}

/// An engine's `tls.cert_path` directory and the files in it get the
/// config's own rule (crates/dockmux-engine/src/files/secure.rs): whoever can change the CA can stand in
/// for the engine, and hand the client's key to whom they like. Missing
/// files are left for docker to report (it names the one it wanted).
pub fn check_tls(engine: &Engine) -> Result<()> {
    let Some(dir) = engine.tls.as_ref().and_then(|t| t.cert_path.as_deref()) else {
        return Ok(());
    };
    let dir = Path::new(dir);
    let paths = std::iter::once(dir.to_path_buf()).chain(config::TLS_FILES.map(|f| dir.join(f)));
    for path in paths {
        match secure::check(&path) {
            Ok(_) | Err(secure::Refusal::Io(..)) => {}
            Err(refusal) => {
                return Err(refusal.into_error(
                    || {
                        format!(
                            "the TLS files of engine '{}' (tls.cert_path = \"{}\" in {})",
                            engine.name,
                            dir.display(),
                            engine.origin
                        )
                    },
                    |p, e| Error::io(format!("cannot check {}", p.display()), e),
                ));
            }
        }
    }
    Ok(())
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

/// Reads and bumps the recursion counter; errors past the limit, naming the
/// client that runs dockmux again.
pub fn next_depth(client: &Path) -> Result<u32> {
    let depth = std::env::var(DEPTH_VAR)
        .ok()
        .and_then(|d| d.parse::<u32>().ok())
        .unwrap_or(0);
    if depth >= MAX_DEPTH {
        let client = format!(" ({})", client.display());
        return Err(Error::Recursion { depth, client });
    }
    Ok(depth + 1)
}

/// What [`run`] returns when it does not exec.
pub enum Ran<'a> {
    /// The name it was invoked as is no engine command and does not look
    /// like one (not `NAME-docker`, no engine's alias), so this is dockmux
    /// under another name (a renamed binary, an empty argv[0]), and it acts
    /// as dockmux.
    NotAnEngine,
    /// A completion request, which the management side may answer itself
    /// before it goes to the client (see [`Request`]).
    Completion(Box<Request<'a>>),
}

/// A completion request (`NAME-docker __complete WORDS…`), checked as any
/// command line is and its client found. A client older than docker 23
/// answers it with files where a name goes, so the management side
/// (completion/old_client) answers some itself: that asks the engine and
/// reads JSON, which the engine path never does. The rest go to the
/// client by [`Request::exec`].
pub struct Request<'a> {
    pub engine: Engine,
    /// The client the config names for the engine (its `client`, else
    /// the top-level `docker`), to ask the engine as `find` does.
    pub docker: Option<Client>,
    /// The client that answers otherwise.
    pub client: PathBuf,
    /// The words after the request verb; the last is being completed.
    pub words: &'a [OsString],
    args: &'a [OsString],
    depth: u32,
}

impl Request<'_> {
    /// Runs the client with the request, as for any command. Returns only
    /// on failure.
    pub fn exec(self) -> Error {
        exec_client(
            &self.engine,
            self.client,
            self.docker.as_ref(),
            self.depth,
            self.args,
        )
    }
}

/// Runs docker for the engine `command` names. Returns only on failure, or
/// when it does not exec ([`Ran`]).
pub fn run<'a>(command: &str, args: &'a [OsString]) -> Result<Ran<'a>> {
    // The config's trust walk and the client's share what they have checked.
    let mut walked = secure::Walked::default();
    let sources = config::Sources::from_env();
    let (mut engine, docker) = match config::load_engine_with(&sources, command, &mut walked) {
        Err(Error::UnknownEngine { .. }) if !dispatch::is_docker_command(command.as_bytes()) => {
            return Ok(Ran::NotAnEngine);
        }
        loaded => loaded?,
    };
    let line = match line::read(args) {
        Err(Refused { word, completion }) => {
            if completion {
                // The shell's answer: no candidates and no file names (cobra's
                // ShellCompDirectiveNoFileComp), so TAB offers nothing.
                let _ = crate::output::print(":4\n");
            }
            return Err(Error::RefusedFlag {
                flag: word,
                engine: engine.name.clone(),
            });
        }
        Ok(line) => line,
    };
    // Only engines with a policy pay for reading the command's own words.
    if engine.policy().is_some() {
        policy::enforce(command, &engine, &line)?;
    }
    builder::check(&engine, &line)?;
    let docker = engine.client_or(docker);
    let client = client::find_with(docker.as_ref(), &mut walked)?;
    let depth = next_depth(&client)?;
    // Only the outermost dockmux speaks: a client that runs dockmux again
    // (a wrapper loop) must not repeat the note at every level. Whether the
    // client would reach the engine at all is asked only for a note.
    let quiet = || depth > 1 || line.quiet();
    warn_if_down(command, &engine, quiet);
    // An ssh engine goes through its shared connection when it has one
    // (src/forward/: a stat and a connect when it is up).
    if let Some(forwarded) = crate::engine::forward::reach(&engine, quiet) {
        engine.settings.host = forwarded;
    }
    if let Some(words) = line.completion() {
        return Ok(Ran::Completion(Box::new(Request {
            engine,
            docker,
            client,
            words,
            args,
            depth,
        })));
    }
    Err(exec_client(&engine, client, docker.as_ref(), depth, args))
}

/// Becomes `client ARGS…` with the engine's environment; returns only the
/// error that kept it from doing so. `configured`: the config's key that
/// named the client, for the fix.
fn exec_client(
    engine: &Engine,
    client: PathBuf,
    configured: Option<&Client>,
    depth: u32,
    args: &[OsString],
) -> Error {
    let depth = depth.to_string();
    let env = match checked_env(engine) {
        Ok(env) => env,
        Err(e) => return e,
    };
    // On the stack: every variable the exec sets or drops.
    let mut vars = [("", None); ENV_KEYS.len() + builder::REPLACED.len() + 1];
    let all = (env.iter().map(|(k, v)| (*k, v.as_deref())))
        .chain(builder::REPLACED.map(|k| (k, None)))
        .chain(std::iter::once((DEPTH_VAR, Some(depth.as_str()))));
    for (slot, var) in vars.iter_mut().zip(all) {
        *slot = var;
    }
    // argv[0] is the client's path.
    let argv: Vec<&OsStr> = std::iter::once(client.as_os_str())
        .chain(args.iter().map(OsString::as_os_str))
        .collect();
    let err = replace::exec(&argv, &vars, &[builder::BUILDER]);
    Error::ClientNotExecutable {
        fix: match exec_limit_fix(&err, args, &env) {
            Some(fix) => fix,
            None if err.kind() == std::io::ErrorKind::PermissionDenied => {
                let chmod = format!(
                    "make it executable (chmod +x {})",
                    crate::text::quote::path(&client)
                );
                match configured {
                    Some(c) => format!("{chmod}, or {}", c.fix()),
                    None => chmod,
                }
            }
            None => match configured {
                Some(c) => format!("check that it is a working docker client, or {}", c.fix()),
                None => "check that it is a working docker client".to_string(),
            },
        },
        path: client,
        source: err,
    }
}

/// The fix for an exec that failed for its arguments and environment
/// (E2BIG): `args` after the program, `vars` as `docker_env` gives them,
/// applied to this process's environment as the program received it.
pub fn exec_limit_fix(
    err: &std::io::Error,
    args: &[OsString],
    vars: &[(&str, Option<String>)],
) -> Option<String> {
    if err.raw_os_error() != Some(libc::E2BIG) {
        return None;
    }
    let mut env: Vec<(OsString, OsString)> = std::env::vars_os()
        .filter(|(k, _)| !vars.iter().any(|(key, _)| k == key))
        .collect();
    env.extend(
        vars.iter()
            .filter_map(|(k, v)| Some((OsString::from(k), OsString::from(v.as_ref()?)))),
    );
    let program = OsString::from("PROGRAM");
    let argv: Vec<&OsStr> = std::iter::once(program.as_os_str())
        .chain(args.iter().map(OsString::as_os_str))
        .collect();
    let from_config: Vec<&str> = vars.iter().map(|(k, _)| *k).collect();
    crate::error::exec_limit_fix(err, &argv, &env, &from_config)
}

/// One line on stderr when a unix socket is plainly not there and the
/// client would reach for it (not `quiet`), then docker runs anyway (it may
/// be starting, and docker's own error follows).
fn warn_if_down(command: &str, engine: &Engine, quiet: impl FnOnce() -> bool) {
    let Some(sock) = engine.unix_socket() else {
        return;
    };
    let name = &engine.name;
    let path = sock.display();
    // The engine's hint says how to start it: it applies to a missing socket only.
    let (problem, hint) = match std::fs::metadata(sock) {
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => (
            format!("engine '{name}' is not running: no socket at {path}"),
            engine.hint.as_deref(),
        ),
        Ok(m) if m.is_dir() => (
            format!("engine '{name}': {path} is a directory, not a socket"),
            None,
        ),
        Ok(m) if m.is_file() => (
            format!("engine '{name}': {path} is a regular file, not a socket"),
            None,
        ),
        _ => return,
    };
    if quiet() {
        return;
    }
    crate::output::note(&match hint {
        Some(hint) => format!("{command}: {problem} ({hint})"),
        None => format!("{command}: {problem}"),
    });
}
