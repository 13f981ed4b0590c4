//! `dockmux exec NAME [--] CMD ARGS…`: run any program (docker compose v1,
//! lazydocker, dive, a script using a Docker SDK) with the engine's
//! environment. By exec, like `NAME-docker`: the program's exit status,
//! signals and tty are its own.

use std::ffi::OsString;
use std::os::unix::process::CommandExt;
use std::process::Command;

use clap::Args;

use crate::config::{self, Sources};
use crate::engine;
use crate::error::{Error, Result};

#[derive(Args, Debug)]
pub struct ExecArgs {
    /// The engine whose environment the program gets
    #[arg(value_name = "NAME")]
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
pub fn run(args: &ExecArgs, sources: &Sources) -> Result<i32> {
    let cfg = config::load(sources)?;
    let engine = cfg.require(&args.name)?;
    let (program, rest) = args
        .command
        .split_first()
        .ok_or_else(|| Error::Usage("give a program to run: dockmux exec NAME CMD…".into()))?;
    if program.is_empty() {
        return Err(Error::Usage(
            "the program name is empty; give a program to run: dockmux exec NAME CMD…".into(),
        ));
    }
    let mut cmd = Command::new(program);
    cmd.args(rest);
    engine::apply_env(&mut cmd, engine);
    let source = cmd.exec();
    Err(Error::ProgramNotRunnable {
        program: program.to_string_lossy().into_owned(),
        source,
    })
}
