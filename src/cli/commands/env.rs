//! `dockmux env NAME`: lines for `eval` that point the current shell at an
//! engine, like `docker-machine env`. The variables are exactly those
//! `NAME-docker` sets (`engine::docker_env`), quoted for the shell; for an
//! ssh engine, its shared connection's socket, as `NAME-docker` uses it.

use clap::{Args, ValueEnum};

use crate::config::{self, Sources};
use crate::engine;
use crate::error::Result;
use crate::exit_codes::ExitCode;
use crate::{docker::ssh_bridge, engine::forward};
use crate::{output, text::quote};

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

/// Why DOCKER_HOST is a local socket, and what to do once it has gone.
fn forward_note(name: &str, persist: u64) -> String {
    format!(
        "DOCKER_HOST is engine '{name}''s shared ssh connection, a local socket that ends \
         after {} without use; once it has ended, run `dockmux env {name}` again \
         ({name}-docker and `dockmux exec {name}` start it again by themselves)",
        crate::docker::probe::show_duration(std::time::Duration::from_secs(persist))
    )
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
        let mut env = engine::checked_env(engine)?;
        // An ssh engine's shared connection, as NAME-docker and exec use it
        // (started when it is down); it ends after its idle time, which
        // the shell's DOCKER_HOST outlives: said below.
        let place = forward::Place::of(engine);
        let forwarded = place.as_ref().and_then(|p| p.reach(false));
        let note = match (&forwarded, &place) {
            (Some(host), Some(p)) => {
                env[0].1 = Some(host.clone());
                Some(forward_note(name, p.persist))
            }
            _ => ssh_bridge::needed(engine).map(|_| ssh_bridge::env_note(name)),
        };
        for (key, value) in env {
            out.push_str(&match value {
                Some(v) => shell.set(key, &v),
                None => shell.unset(key),
            });
        }
        if let Some(note) = note {
            // What eval cannot express: said in the output and, as eval hides that, on stderr.
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
