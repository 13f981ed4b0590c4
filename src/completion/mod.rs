//! Shell completion for dockmux and every engine command, in bash, zsh and
//! fish. Each shell asks the command on the line for its candidates through
//! cobra's `__complete` protocol — the stock docker client speaks it (v23+),
//! and so does dockmux (`answer`) — so `pg-docker rm <TAB>` lists the
//! containers of engine pg, because `pg-docker __complete …` runs against it.
//!
//! - `script`: the script for a shell and a set of command names
//!   (`dockmux completions SHELL [COMMAND…]`);
//! - `files`: the per-name files `dockmux link` installs where each shell
//!   finds them on its own, so names linked later complete in new shells;
//! - `answer`: `dockmux __complete …`, dockmux's own candidates.

mod answer;
mod files;
mod script;

use clap::{Args, ValueEnum};

use crate::config::{self, Config, Sources};
use crate::error::{Error, Result};
use crate::{output, suggest};

pub use answer::{answer, is_request};
pub use files::Places;
use script::{MARK, script};

/// The name dockmux completes itself under.
pub const DOCKMUX: &str = "dockmux";

#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
pub enum Shell {
    Bash,
    Zsh,
    Fish,
}

impl Shell {
    pub fn name(self) -> &'static str {
        match self {
            Shell::Bash => "bash",
            Shell::Zsh => "zsh",
            Shell::Fish => "fish",
        }
    }

    /// The file a shell's lazy loading looks for when completing `command`.
    pub fn file_name(self, command: &str) -> String {
        match self {
            Shell::Bash => command.to_string(),
            Shell::Zsh => format!("_{command}"),
            Shell::Fish => format!("{command}.fish"),
        }
    }

    /// The command a per-name file of this shell completes (inverse of `file_name`).
    pub fn command_of(self, file_name: &str) -> Option<&str> {
        match self {
            Shell::Bash => Some(file_name),
            Shell::Zsh => file_name.strip_prefix('_'),
            Shell::Fish => file_name.strip_suffix(".fish"),
        }
    }
}

#[derive(Args, Debug)]
pub struct CompletionsArgs {
    /// The shell to print the script for
    #[arg(value_enum)]
    pub shell: Shell,
    /// Commands to complete [default: dockmux and every engine command]
    #[arg(value_name = "COMMAND")]
    pub commands: Vec<String>,
}

/// `dockmux completions SHELL [COMMAND…]`.
pub fn run(args: &CompletionsArgs, sources: &Sources) -> Result<i32> {
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
        Err(_) => return loaded.map(|_| 0),
    };
    output::print(&script(args.shell, &commands))?;
    loaded.map(|_| 0)
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
