//! `dockmux completions SHELL [COMMAND…]`: prints the completion script
//! (src/completion/) for dockmux and the engine commands.

use clap::Args;

use crate::completion::{DOCKMUX, Shell, script};
use crate::config::{self, Config, Sources};
use crate::error::{Error, Result};
use crate::exit_codes::ExitCode;
use crate::{output, text::suggest};

#[derive(Args, Debug)]
pub struct CompletionsArgs {
    /// The shell to print the script for
    #[arg(value_enum)]
    pub shell: Shell,
    /// Commands to complete [default: dockmux and every engine command]
    #[arg(value_name = "COMMAND")]
    pub commands: Vec<String>,
}

pub fn run(args: &CompletionsArgs, sources: &Sources) -> Result<ExitCode> {
    let loaded = config::load(sources);
    let commands = match &loaded {
        Ok(cfg) if args.commands.is_empty() => all_commands(cfg),
        Ok(cfg) => {
            check_commands(&args.commands, cfg)?;
            args.commands.clone()
        }
        // A broken config still gets dockmux completed (the script is usually
        // eval'ed from an rc file); the error that follows says what to fix.
        Err(_) if args.commands.is_empty() => vec![DOCKMUX.to_string()],
        Err(_) => return loaded.map(|_| ExitCode::Success),
    };
    output::print(&script(args.shell, &commands))?;
    loaded.map(|_| ExitCode::Success)
}

/// dockmux, then every engine command (`NAME-docker` and aliases).
fn all_commands(cfg: &Config) -> Vec<String> {
    std::iter::once(DOCKMUX.to_string())
        .chain(cfg.engines.iter().flat_map(|e| e.commands()))
        .collect()
}

fn check_commands(given: &[String], cfg: &Config) -> Result<()> {
    let known = all_commands(cfg);
    match given.iter().find(|c| !known.contains(c)) {
        None => Ok(()),
        Some(c) => Err(Error::Usage(format!(
            "'{c}' is neither dockmux nor an engine command; known: {}{}",
            known.join(", "),
            suggest::did_you_mean(c, known.iter().map(String::as_str))
        ))),
    }
}
