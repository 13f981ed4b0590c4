//! Management mode: the `dockmux` command line (clap). Each subcommand's
//! arguments and work live in its own module; this file only routes.

use std::ffi::OsString;

use clap::{Parser, Subcommand};

use crate::completion::{self, CompletionsArgs};
use crate::config::Sources;
use crate::config_cmd::{self, ConfigCmd};
use crate::contexts::{self, ContextsCmd};
use crate::discover::{self, DiscoverArgs};
use crate::doctor::{self, DoctorArgs};
use crate::edit::{self, AddArgs, RemoveArgs, RenameArgs};
use crate::env_cmd::{self, EnvArgs};
use crate::error::Result;
use crate::exec::{self, ExecArgs};
use crate::exit_codes;
use crate::links::{self, LinkArgs, UnlinkArgs};
use crate::list::{self, ListArgs};
use crate::wrappers::{self, WrappersArgs};

#[derive(Parser, Debug)]
#[command(
    name = "dockmux",
    bin_name = "dockmux",
    version,
    about = "One docker client, many engines: run `NAME-docker …` to reach engine NAME.",
    after_help = "Invoked as NAME-docker (a link made by `dockmux link`) or as `dockmux NAME-docker ARGS…`,\n\
                  dockmux runs the docker client against engine NAME from engines.toml."
)]
pub struct Cli {
    #[command(subcommand)]
    pub command: Command,
}

#[derive(Subcommand, Debug)]
pub enum Command {
    /// List the engines, whether each is up, and the commands that reach them
    List(ListArgs),
    /// Check config, client, engines, links, PATH and completion; print a fix for each finding
    Doctor(DoctorArgs),
    /// Print shell lines that point the current shell's docker at an engine (for eval)
    Env(EnvArgs),
    /// Run any program with an engine's environment (DOCKER_HOST, TLS)
    Exec(ExecArgs),
    /// Make a NAME-docker link (and one per alias) to dockmux for each engine
    Link(LinkArgs),
    /// Remove links to dockmux (and only those)
    Unlink(UnlinkArgs),
    /// Show the config files and the effective config
    #[command(subcommand)]
    Config(ConfigCmd),
    /// Write POSIX sh wrapper scripts, for hosts that cannot run dockmux
    Wrappers(WrappersArgs),
    /// Find the engines on this host and propose config entries for them
    Discover(DiscoverArgs),
    /// Add an engine to the config (keeps your comments and formatting)
    Add(AddArgs),
    /// Remove an engine from the config
    Remove(RemoveArgs),
    /// Rename an engine (and its NAME-docker link, if there is one)
    Rename(RenameArgs),
    /// Docker contexts: export engines as contexts, import contexts as engines
    #[command(subcommand)]
    Contexts(ContextsCmd),
    /// Print the shell completion script for dockmux and the engine commands
    Completions(CompletionsArgs),
}

/// Parses `argv` and runs the command; returns the exit code.
pub fn run(argv: &[OsString]) -> Result<i32> {
    // The shells' completion requests (cobra's protocol), answered before clap.
    if let Some(verb) = argv.get(1).filter(|v| completion::is_request(v)) {
        return completion::answer(verb, &argv[2..]);
    }
    let cli = match Cli::try_parse_from(argv) {
        Ok(cli) => cli,
        Err(e) => {
            let _ = e.print();
            return Ok(if e.use_stderr() {
                exit_codes::REFUSED
            } else {
                exit_codes::SUCCESS
            });
        }
    };
    let sources = Sources::from_env();
    match &cli.command {
        Command::List(args) => list::run(args, &sources),
        Command::Doctor(args) => doctor::run(args, &sources),
        Command::Env(args) => env_cmd::run(args, &sources),
        Command::Exec(args) => exec::run(args, &sources),
        Command::Link(args) => links::link(args, &sources),
        Command::Unlink(args) => links::unlink(args, &sources),
        Command::Config(cmd) => config_cmd::run(cmd, &sources),
        Command::Wrappers(args) => wrappers::run(args, &sources),
        Command::Discover(args) => discover::run(args, &sources),
        Command::Add(args) => edit::add(args, &sources),
        Command::Remove(args) => edit::remove(args, &sources),
        Command::Rename(args) => edit::rename(args, &sources),
        Command::Contexts(cmd) => contexts::run(cmd, &sources),
        Command::Completions(args) => completion::run(args, &sources),
    }
}
