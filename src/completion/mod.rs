//! Shell completion for dockmux and every engine command, in bash, zsh and
//! fish. Each shell asks the command on the line for its candidates through
//! cobra's `__complete` protocol — the stock docker client speaks it (v23+),
//! and so does dockmux (`answer`) — so `pg-docker rm <TAB>` lists the
//! containers of engine pg, because `pg-docker __complete …` runs against it.
//!
//! - `script`: the script for a shell and a set of command names
//!   (for `dockmux completions`, src/cli/commands/completions.rs);
//! - `files`: the per-name files `dockmux link` installs where each shell
//!   finds them on its own, so names linked later complete in new shells;
//! - `answer`: `dockmux __complete …`, dockmux's own candidates;
//! - `old_client`: an engine command's names when its client is older than
//!   docker 23, whose `__complete` offers files for every argument.

mod answer;
mod files;
pub mod old_client;
mod script;

use clap::ValueEnum;

pub use answer::{answer, is_request};
pub use files::Places;
use script::MARK;
pub use script::script;

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
