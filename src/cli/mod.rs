//! Management mode: the `dockmux` command line (clap). Each subcommand is one
//! file in src/commands/ (its arguments and its work); this file only routes:
//! a command is one variant of [`Command`] and one arm of the match in [`run`].

mod commands;
mod selection;

use std::ffi::OsString;

use clap::error::ErrorKind;
use clap::{CommandFactory, Parser, Subcommand};

use crate::cli::commands as cmd;
use crate::completion;
use crate::config::{self, Config, Sources};
use crate::engine;
use crate::error::{Error, Result};
use crate::exit_codes::ExitCode;
use crate::{output, text::quote, text::suggest, view::style};

#[derive(Parser, Debug)]
#[command(
    name = "dockmux",
    bin_name = "dockmux",
    version,
    about = "One docker client, many engines: run `NAME-docker …` to reach engine NAME.",
    after_help = "Invoked as NAME-docker (a link made by `dockmux link`) or as `dockmux NAME-docker ARGS…`,\n\
                  dockmux runs the docker client against engine NAME from engines.toml.",
    styles = style::HELP
)]
pub struct Cli {
    #[command(subcommand)]
    pub command: Command,
    /// Colour: on a terminal unless NO_COLOR is set (auto), always, or never
    #[arg(long, global = true, value_enum, value_name = "WHEN", default_value_t = style::When::Auto)]
    pub color: style::When,
}

#[derive(Subcommand, Debug)]
pub enum Command {
    /// List the engines, whether each is up, and the commands that reach them
    List(cmd::list::ListArgs),
    /// Check config, client, engines, links, PATH and completion; print a fix for each finding
    Doctor(cmd::doctor::DoctorArgs),
    /// Print shell lines that point the current shell's docker at an engine (for eval)
    Env(cmd::env::EnvArgs),
    /// Every engine's containers in one table (or one JSON array)
    Ps(cmd::ps::PsArgs),
    /// Run one docker command on each engine, in parallel, output lines prefixed `NAME | `
    Each(cmd::each::EachArgs),
    /// Which engine holds a container, image, volume or network (by name or ID prefix)
    Find(cmd::find::FindArgs),
    /// Run any program with an engine's environment (DOCKER_HOST, TLS)
    Exec(cmd::exec::ExecArgs),
    /// Start your shell with plain `docker` bound to an engine (`exit` returns)
    Shell(cmd::shell::ShellArgs),
    /// End the shared ssh connections of ssh engines (all, or the named engines' hosts)
    Disconnect(cmd::disconnect::DisconnectArgs),
    /// Make a NAME-docker link (and one per alias) to dockmux for each engine
    Link(cmd::link::LinkArgs),
    /// Remove links to dockmux (and only those)
    Unlink(cmd::unlink::UnlinkArgs),
    /// Show the config files and the effective config
    #[command(subcommand)]
    Config(cmd::config::ConfigCmd),
    /// Write POSIX sh wrapper scripts, for hosts that cannot run dockmux
    Wrappers(cmd::wrappers::WrappersArgs),
    /// Find the engines on this host and propose config entries for them
    Discover(cmd::discover::DiscoverArgs),
    /// Add an engine to the config (keeps your comments and formatting)
    Add(cmd::add::AddArgs),
    /// Remove engines from the config
    Remove(cmd::remove::RemoveArgs),
    /// Rename an engine (and its NAME-docker link, if there is one)
    Rename(cmd::rename::RenameArgs),
    /// Change engines in place: host, description, aliases, tags, protect, readonly
    Set(cmd::set::SetArgs),
    /// Lift a protected engine's second yes for a while (for you only), or resume it
    #[command(subcommand)]
    Protect(cmd::protect::ProtectCmd),
    /// Docker contexts: export engines as contexts, import contexts as engines
    #[command(subcommand)]
    Contexts(cmd::contexts::ContextsCmd),
    /// Print the shell completion script for dockmux and the engine commands
    Completions(cmd::completions::CompletionsArgs),
    /// Copy this dockmux to the bin dir, with its links, completion files and man pages
    Install(cmd::install::InstallArgs),
    /// Remove what install and link put in the bin dir (the config stays)
    Uninstall(cmd::uninstall::UninstallArgs),
    /// Install this dockmux on another machine over ssh
    Push(cmd::push::PushArgs),
    /// Print dockmux's version (as --version does)
    Version,
}

/// An engine command's completion request, handed over by the engine path
/// (engine::Ran::Completion): answered here where its client cannot name
/// the engine's objects, else run by the client.
pub fn complete(request: Box<engine::Request>) -> Result<ExitCode> {
    completion::old_client::answer(request)
}

/// Parses `argv` and runs the command; returns the exit code. `foreign`:
/// the name dockmux was invoked as when that is neither dockmux nor an
/// engine command (a renamed binary), for messages.
pub fn run(argv: &[OsString], foreign: Option<&str>) -> Result<ExitCode> {
    // The shells' completion requests (cobra's protocol), answered before clap.
    if let Some(verb) = argv.get(1).filter(|v| completion::is_request(v)) {
        return completion::answer(verb, &argv[2..], Cli::command());
    }
    let cli = match Cli::try_parse_from(argv) {
        Ok(cli) => {
            style::init(cli.color);
            cli
        }
        Err(e) if !e.use_stderr() => {
            style::init(style::when_in(argv));
            // --help, --version: their output is the command's work.
            return match e.print() {
                Err(err) if err.kind() != std::io::ErrorKind::BrokenPipe => Err(Error::io(
                    "cannot write to standard output (is it closed or full?)",
                    err,
                )),
                _ => Ok(ExitCode::Success),
            };
        }
        Err(e) => {
            style::init(style::when_in(argv));
            let sources = Sources::from_env();
            let cfg = config::load(&sources).ok();
            // The word clap took for a command: after `--color WHEN`, if given.
            let mut at = 1;
            while let Some(a) = argv.get(at).map(|a| a.to_string_lossy()) {
                match a.strip_prefix("--color") {
                    Some("") => at += 2,
                    Some(v) if v.starts_with('=') => at += 1,
                    _ => break,
                }
            }
            let message = match (e.kind(), argv.get(at), foreign) {
                (ErrorKind::InvalidSubcommand, Some(word), _) => {
                    unknown_command(&word.to_string_lossy(), &argv[at + 1..], cfg.as_ref())
                }
                (ErrorKind::DisplayHelpOnMissingArgumentOrSubcommand, None, Some(name)) => Some(
                    format!("give it a command, e.g. `{name} list` (`{name} --help` lists them)"),
                ),
                _ => None,
            };
            let note = foreign.map(|name| renamed_note(name, cfg.as_ref()));
            if message.is_none() && note.is_none() {
                // A usage error; if stderr is gone, the exit code still says so.
                let _ = e.print();
                return Ok(ExitCode::Refused);
            }
            let clap = e.render().to_string();
            let message = message.unwrap_or_else(|| {
                clap.strip_prefix("error: ")
                    .unwrap_or(&clap)
                    .trim_end()
                    .to_string()
            });
            return Err(Error::Usage(match note {
                Some(note) => format!("{note}; {message}"),
                None => message,
            }));
        }
    };
    if output::stdout_closed() && !matches!(cli.command, Command::Version) {
        // Refused before anything is done: what it would print would be lost.
        return Err(output::closed_stdout_error());
    }
    let sources = Sources::from_env();
    match &cli.command {
        Command::List(args) => cmd::list::run(args, &sources),
        Command::Ps(args) => cmd::ps::run(args, &sources),
        Command::Each(args) => cmd::each::run(args, &sources),
        Command::Find(args) => cmd::find::run(args, &sources),
        Command::Doctor(args) => cmd::doctor::run(args, &sources),
        Command::Env(args) => cmd::env::run(args, &sources),
        Command::Exec(args) => cmd::exec::run(args, &sources),
        Command::Shell(args) => cmd::shell::run(args, &sources),
        Command::Disconnect(args) => cmd::disconnect::run(args, &sources),
        Command::Link(args) => cmd::link::run(args, &sources),
        Command::Unlink(args) => cmd::unlink::run(args, &sources),
        Command::Config(args) => cmd::config::run(args, &sources),
        Command::Wrappers(args) => cmd::wrappers::run(args, &sources),
        Command::Discover(args) => cmd::discover::run(args, &sources),
        Command::Add(args) => cmd::add::run(args, &sources),
        Command::Remove(args) => cmd::remove::run(args, &sources),
        Command::Rename(args) => cmd::rename::run(args, &sources),
        Command::Set(args) => cmd::set::run(args, &sources),
        Command::Protect(args) => cmd::protect::run(args, &sources),
        Command::Contexts(args) => cmd::contexts::run(args, &sources),
        Command::Completions(args) => cmd::completions::run(args, &sources),
        Command::Install(args) => cmd::install::run(args, &sources, Cli::command()),
        Command::Uninstall(args) => cmd::uninstall::run(args, &sources, Cli::command()),
        Command::Push(args) => cmd::push::run(args, &sources),
        Command::Version => cmd::version::run(),
    }
}

/// `dockmux WORD …` where WORD is no dockmux command: an engine's name or
/// command (`dockmux pg ps`) is pointed at the command that does it; else the
/// commands and the nearest name. `None` leaves clap's own message.
fn unknown_command(word: &str, rest: &[OsString], cfg: Option<&Config>) -> Option<String> {
    let rest: String = rest
        .iter()
        .map(|a| format!(" {}", quote::sh_word(&a.to_string_lossy())))
        .collect();
    if let Some(cfg) = cfg {
        if let Some(e) = cfg.engine(word) {
            return Some(format!(
                "'{word}' is an engine, not a dockmux command: run `{word}-docker{rest}` \
                 (or `dockmux {word}-docker{rest}`)",
                word = e.name
            ));
        }
        if let Some(e) = cfg.engine_for_command(word) {
            return Some(format!(
                "'{word}' is a command of engine '{}', not of dockmux: run `{word}{rest}`",
                e.name
            ));
        }
    }
    let mut root = Cli::command();
    root.build();
    let commands: Vec<String> = root
        .get_subcommands()
        .filter(|c| !c.is_hide_set())
        .map(|c| c.get_name().to_string())
        .collect();
    let engine_commands: Vec<String> = cfg
        .map(|c| c.engines.iter().flat_map(|e| e.commands()).collect())
        .unwrap_or_default();
    let near = suggest::closest(
        word,
        commands
            .iter()
            .chain(&engine_commands)
            .chain(cfg.iter().flat_map(|c| c.engines.iter().map(|e| &e.name)))
            .map(String::as_str),
    );
    let hint = match near {
        Some(n) if commands.iter().any(|c| c == n) => {
            format!("; did you mean `dockmux {n}{rest}`?")
        }
        Some(n) => match cfg.and_then(|c| c.engine(n)) {
            Some(e) => format!("; did you mean `{}-docker{rest}`?", e.name),
            None => format!("; did you mean `{n}{rest}`?"),
        },
        None => String::new(),
    };
    Some(format!(
        "'{word}' is not a dockmux command; the commands are {}{hint}",
        commands.join(", ")
    ))
}

/// For a renamed binary (or a link named after no engine): why it acts as
/// dockmux, and the engine command it may have meant.
fn renamed_note(name: &str, cfg: Option<&Config>) -> String {
    let all: Vec<String> = cfg
        .map(|c| c.engines.iter().flat_map(|e| e.commands()).collect())
        .unwrap_or_default();
    let near = match suggest::closest(name, all.iter().map(String::as_str)) {
        Some(c) => format!("did you mean '{c}'? "),
        None => String::new(),
    };
    let known = match all.is_empty() {
        true => String::new(),
        false => format!(" ({near}the engine commands are {})", all.join(", ")),
    };
    format!("'{name}' is not an engine command{known}, so it runs as dockmux under that name")
}

#[cfg(test)]
mod tests {
    use clap::CommandFactory;

    use crate::config::Key;

    /// Every engine key (crates/dockmux-engine/src/config/keys.rs) can be given to the commands
    /// that write engines, under the option the key names.
    #[test]
    fn every_key_has_its_option() {
        let cli = super::Cli::command();
        for command in ["add", "set"] {
            let sub = cli.find_subcommand(command).unwrap();
            for flag in Key::ALL.iter().filter_map(|k| k.flag()) {
                let long = flag.trim_start_matches("--");
                assert!(
                    sub.get_arguments().any(|a| a.get_long() == Some(long)),
                    "dockmux {command} has no {flag}"
                );
            }
        }
    }
}
