//! `dockmux exec NAME [--] CMD ARGS…`: run any program (docker compose v1,
//! lazydocker, dive, a script using a Docker SDK) with the engine's
//! environment. By exec, like `NAME-docker`: the program's exit status,
//! signals and tty are its own, and it inherits the caller's ignored and
//! blocked signals as the client does on the engine path. For an ssh engine
//! with a socket path, which only the docker client understands, the program
//! gets a local socket carried over ssh (ssh_bridge.rs).

use std::ffi::{OsStr, OsString};

use clap::Args;

use crate::config::{self, Sources};
use crate::docker::ssh_bridge;
use crate::engine;
use crate::engine::forward;
use crate::engine::replace;
use crate::error::{Error, Result};
use crate::exit_codes::ExitCode;

#[derive(Args, Debug)]
pub struct ExecArgs {
    /// The engine whose environment the program gets
    #[arg(value_name = "ENGINE")]
    pub name: String,
    /// The program and its arguments (everything after NAME, flags included)
    #[arg(
        value_name = "CMD",
        required = true,
        trailing_var_arg = true,
        allow_hyphen_values = true
    )]
    pub command: Vec<OsString>,
}

/// Returns only if the program could not be started.
pub fn run(args: &ExecArgs, sources: &Sources) -> Result<ExitCode> {
    let cfg = config::load(sources)?;
    let engine = cfg.require_to_use(&args.name)?;
    let program = args
        .command
        .first()
        .ok_or_else(|| Error::Usage("give a program to run: dockmux exec NAME CMD…".into()))?;
    if program.is_empty() {
        return Err(Error::Usage(
            "the program name is empty; give a program to run: dockmux exec NAME CMD…".into(),
        ));
    }
    let mut env = engine::checked_env(engine)?;
    // An ssh engine's shared connection is a local socket any program can
    // use (src/forward/). Without one, a socket path in an ssh URL is for the
    // docker client only: the program gets a local socket carried over ssh
    // for its life instead.
    if let Some(host) = forward::reach(engine, || false) {
        env[0].1 = Some(host);
    } else if let Some(spec) = ssh_bridge::needed(engine) {
        env[0].1 = Some(ssh_bridge::start(&engine.name, &spec)?);
    }
    // Builds from the program stay on the engine, as NAME-docker's do.
    let vars: Vec<(&str, Option<&str>)> = env
        .iter()
        .map(|(k, v)| (*k, v.as_deref()))
        .chain(engine::builder::REPLACED.map(|k| (k, None)))
        .collect();
    let argv: Vec<&OsStr> = args.command.iter().map(OsString::as_os_str).collect();
    let source = replace::exec(&argv, &vars, &[engine::builder::BUILDER]);
    Err(Error::ProgramNotRunnable {
        program: program.to_string_lossy().into_owned(),
        fix: engine::exec_limit_fix(&source, &args.command[1..], &env),
        source,
    })
}
