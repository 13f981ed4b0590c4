//! `dockmux env NAME`: lines for `eval` that point the current shell at an
//! engine, like `docker-machine env`. The variables are exactly those
//! `NAME-docker` sets (`engine::docker_env`), quoted for the shell.

use clap::{Args, ValueEnum};

use crate::config::{self, Sources};
use crate::engine;
use crate::error::Result;
use crate::exit_codes::ExitCode;
use crate::ssh_bridge;
use crate::{output, quote};

#[derive(Args, Debug)]
pub struct EnvArgs {
    /// The engine to point the shell at
    #[arg(value_name = "ENGINE", required_unless_present = "unset")]
    pub name: Option<String>,
    /// Shell syntax [default: fish if $SHELL is fish, else sh]
    #[arg(long, value_enum)]
    pub shell: Option<Shell>,
    /// Print lines that undo `dockmux env` instead
    #[arg(long)]
    pub unset: bool,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
pub enum Shell {
    /// POSIX sh, bash, zsh, dash, ksh
    Sh,
    Fish,
}

impl Shell {
    fn from_env() -> Shell {
        let shell = std::env::var_os("SHELL").unwrap_or_default();
        let base = std::path::Path::new(&shell).file_name().unwrap_or_default();
        if base == "fish" {
            Shell::Fish
        } else {
            Shell::Sh
        }
    }

    fn set(self, key: &str, value: &str) -> String {
        match self {
            Shell::Sh => format!("export {key}={}\n", quote::sh(value)),
            Shell::Fish => format!("set -gx {key} {};\n", quote::fish(value)),
        }
    }

    fn unset(self, key: &str) -> String {
        match self {
            Shell::Sh => format!("unset {key}\n"),
            // `set -e` of an unset variable fails (status 4) and fish's `set`
            // keeps that status: `… | source; and docker ps` would stop.
            Shell::Fish => format!("if set -q {key}; set -e {key}; end;\n"),
        }
    }

    fn eval_hint(self, args: &str) -> String {
        match self {
            Shell::Sh => format!("# eval \"$(dockmux env {args})\"\n"),
            Shell::Fish => format!("# dockmux env {args} | source\n"),
        }
    }
}

pub fn run(args: &EnvArgs, sources: &Sources) -> Result<ExitCode> {
    let shell = args.shell.unwrap_or_else(Shell::from_env);
    let flag = if args.shell.is_some() || shell == Shell::Fish {
        format!(
            " --shell {}",
            if shell == Shell::Fish { "fish" } else { "sh" }
        )
    } else {
        String::new()
    };
    let mut out = String::new();
    if args.unset {
        // Also checks the name when one is given, so a typo is not silently ignored.
        if let Some(name) = &args.name {
            let cfg = config::load(sources)?;
            cfg.require(name)?;
        }
        for key in engine::ENV_KEYS {
            out.push_str(&shell.unset(key));
        }
        out.push_str("# Run this command to undo `dockmux env` in your shell:\n");
        out.push_str(&shell.eval_hint(&format!("--unset{flag}")));
    } else {
        let name = args.name.as_deref().unwrap_or_default();
        let cfg = config::load(sources)?;
        let engine = cfg.require_to_use(name)?;
        for (key, value) in engine::checked_env(engine)? {
            out.push_str(&match value {
                Some(v) => shell.set(key, &v),
                None => shell.unset(key),
            });
        }
        if ssh_bridge::needed(engine).is_some() {
            // What eval cannot express: said in the output and, as eval hides that, on stderr.
            let note = ssh_bridge::env_note(name);
            out.push_str(&format!("# note: {note}\n"));
            output::note(&format!("dockmux: note: {note}"));
        }
        out.push_str(&format!(
            "# Run this command to point your shell's docker at engine '{name}':\n"
        ));
        out.push_str(&shell.eval_hint(&format!("{name}{flag}")));
    }
    output::print(&out)?;
    Ok(ExitCode::Success)
}
