//! `dockmux __complete ARGS… WORD`: dockmux's own candidates in cobra's
//! completion protocol — one per line, `value<TAB>description` unless asked as
//! `__completeNoDesc`, then `:DIRECTIVE` — so one shell client completes
//! dockmux and the engine commands alike. Candidates come from the clap
//! definition and, for engine names, from the config as it is at TAB time:
//! engines added later complete without regenerating anything.

use std::ffi::{OsStr, OsString};
use std::os::unix::ffi::OsStrExt;

use clap::{Arg, ArgAction, Command, ValueHint};

use crate::config::{self, Config, Sources};
use crate::engine::dispatch;
use crate::error::Result;
use crate::exit_codes::ExitCode;
use crate::{engine, output};

// cobra's ShellCompDirective bits; 0 means "candidates, else files".
pub(super) const ERROR: u32 = 1;
pub(super) const NO_SPACE: u32 = 2;
pub(super) const NO_FILES: u32 = 4;
const DIRS_ONLY: u32 = 16;

/// The two request verbs of the protocol.
pub fn is_request(word: &OsStr) -> bool {
    word == "__complete" || word == "__completeNoDesc"
}

#[derive(Debug, Default, PartialEq)]
pub struct Answer {
    /// (value, description)
    pub candidates: Vec<(String, String)>,
    pub directive: u32,
}

/// Answers `dockmux VERB ARGS…`; the last argument is the word being completed.
/// `root`: dockmux's command line (the caller's, so this module needs no CLI).
pub fn answer(verb: &OsStr, args: &[OsString], root: Command) -> Result<ExitCode> {
    // `dockmux pg-docker … WORD`: the engine command answers, as through its link.
    if args.len() > 1 && dispatch::is_docker_command(args[0].as_bytes()) {
        let mut rest = vec![verb.to_owned()];
        rest.extend_from_slice(&args[1..]);
        return match engine::run(&args[0].to_string_lossy(), &rest)? {
            engine::Ran::NotAnEngine => Ok(ExitCode::Refused),
            engine::Ran::Completion(request) => super::old_client::answer(request),
        };
    }
    let words: Vec<String> = args
        .iter()
        .map(|a| a.to_string_lossy().into_owned())
        .collect();
    let cfg = config::load(&Sources::from_env()).ok();
    let answer = complete(&words, cfg.as_ref(), root);
    output::print(&answer.render(verb == "__complete"))?;
    Ok(ExitCode::Success)
}

impl Answer {
    /// As the protocol has it: a line per candidate (`value<TAB>description`
    /// when `describe`), then `:DIRECTIVE`.
    pub(super) fn render(&self, describe: bool) -> String {
        let mut out = String::new();
        for (value, about) in &self.candidates {
            out.push_str(value);
            if describe && !about.is_empty() {
                out.push('\t');
                out.push_str(about);
            }
            out.push('\n');
        }
        out.push_str(&format!(":{}\n", self.directive));
        out
    }
}

/// The candidates for the last of `words` (the arguments after `dockmux`).
/// `cfg` is `None` when the config cannot be read.
pub fn complete(words: &[String], cfg: Option<&Config>, mut root: Command) -> Answer {
    let (cur, done) = match words.split_last() {
        Some((cur, done)) => (cur.as_str(), done),
        None => ("", &[][..]),
    };
    root.build();
    let mut cmd = &root;
    let mut used: Vec<&str> = Vec::new();
    let mut pending: Option<&Arg> = None;
    let mut positionals = 0;
    let mut only_positionals = false;
    for word in done {
        if pending.take().is_some() {
            continue;
        }
        if only_positionals || word == "-" || !word.starts_with('-') {
            match cmd.find_subcommand(word).filter(|_| positionals == 0) {
                Some(sub) if !only_positionals => {
                    cmd = sub;
                    used.clear();
                }
                _ => {
                    // From a trailing argument on (`exec ENGINE CMD…`), every
                    // word is the program's, flags included.
                    if positional_at(cmd, positionals).is_some_and(Arg::is_trailing_var_arg_set) {
                        only_positionals = true;
                    }
                    positionals += 1;
                }
            }
        } else if word == "--" {
            only_positionals = true;
        } else if let Some(long) = word.strip_prefix("--") {
            let (name, value) = match long.split_once('=') {
                Some((n, _)) => (n, true),
                None => (long, false),
            };
            if let Some(arg) = cmd.get_arguments().find(|a| a.get_long() == Some(name)) {
                used.push(arg.get_id().as_str());
                if takes_value(arg) && !value {
                    pending = Some(arg);
                }
            }
        } else {
            // A bundle of shorthands; a value-taking one takes the rest, or the next word.
            let shorts = &word[1..];
            for (i, c) in shorts.char_indices() {
                let Some(arg) = cmd.get_arguments().find(|a| a.get_short() == Some(c)) else {
                    continue;
                };
                used.push(arg.get_id().as_str());
                if takes_value(arg) {
                    if i + c.len_utf8() == shorts.len() {
                        pending = Some(arg);
                    }
                    break;
                }
            }
        }
    }

    if let Some(arg) = pending {
        return values(arg, cur, cfg);
    }
    if !only_positionals && cur.starts_with('-') {
        if let Some((name, value)) = cur.strip_prefix("--").and_then(|l| l.split_once('=')) {
            return match cmd.get_arguments().find(|a| a.get_long() == Some(name)) {
                Some(arg) if takes_value(arg) => values(arg, value, cfg),
                _ => no_files(),
            };
        }
        return flags(cmd, &used, cur);
    }
    let mut answer = no_files();
    if positionals == 0 && !only_positionals {
        for sub in cmd.get_subcommands().filter(|s| !s.is_hide_set()) {
            let about = sub.get_about().map(|a| a.to_string()).unwrap_or_default();
            answer.candidates.push((sub.get_name().to_string(), about));
        }
        // busybox style: `dockmux pg-docker ARGS…` runs as the link would.
        if std::ptr::eq(cmd, &root)
            && let Some(cfg) = cfg
        {
            for e in &cfg.engines {
                answer
                    .candidates
                    .push((format!("{}-docker", e.name), engine_about(e)));
            }
        }
    }
    if let Some((arg, nth)) = positional_for(cmd, positionals) {
        let more = if arg.is_trailing_var_arg_set() && nth > 0 {
            // The program's own arguments: files, as a shell would offer.
            Answer::default()
        } else {
            values(arg, cur, cfg)
        };
        answer.directive = more.directive;
        answer.candidates.extend(more.candidates);
    }
    keep_prefixed(answer, cur)
}

/// The positional argument that takes word number `n` (0-based) among the
/// positional words, and how many words before it that argument took: its
/// own place, else the last repeatable one before it.
fn positional_for(cmd: &Command, n: usize) -> Option<(&Arg, usize)> {
    let mut found = None;
    for (i, a) in cmd
        .get_positionals()
        .filter(|a| !a.is_hide_set())
        .enumerate()
    {
        if i == n {
            return Some((a, 0));
        }
        if i < n && is_many(a) {
            found = Some((a, n - i));
        }
    }
    found
}

/// The positional argument word number `n` belongs to.
fn positional_at(cmd: &Command, n: usize) -> Option<&Arg> {
    positional_for(cmd, n).map(|(a, _)| a)
}

fn no_files() -> Answer {
    Answer {
        candidates: Vec::new(),
        directive: NO_FILES,
    }
}

fn takes_value(arg: &Arg) -> bool {
    arg.get_action().takes_values()
}

fn is_many(arg: &Arg) -> bool {
    matches!(arg.get_action(), ArgAction::Append)
}

/// The values an argument takes.
fn values(arg: &Arg, cur: &str, cfg: Option<&Config>) -> Answer {
    let mut answer = no_files();
    let possible: Vec<_> = arg
        .get_possible_values()
        .into_iter()
        .filter(|v| !v.is_hide_set())
        .collect();
    if !possible.is_empty() {
        for v in possible {
            let about = v.get_help().map(|h| h.to_string()).unwrap_or_default();
            answer.candidates.push((v.get_name().to_string(), about));
        }
        return keep_prefixed(answer, cur);
    }
    let names = arg.get_value_names().unwrap_or_default();
    match names.first().map(|n| n.as_str()) {
        // A program to run: the executables on PATH, as the shell offers commands.
        Some(PROGRAM) => {
            answer.candidates = programs_on_path(cur)
                .into_iter()
                .map(|p| (p, String::new()))
                .collect();
        }
        // Engine names and command names come from the config as it is now.
        Some("ENGINE" | "COMMAND") => {
            let Some(cfg) = cfg else {
                answer.directive = ERROR;
                return answer;
            };
            if names[0] == "COMMAND" {
                answer
                    .candidates
                    .push((super::DOCKMUX.to_string(), "dockmux itself".to_string()));
                for e in &cfg.engines {
                    for c in e.commands() {
                        answer.candidates.push((c, engine_about(e)));
                    }
                }
            } else {
                for e in &cfg.engines {
                    let about = e.description.clone().unwrap_or_else(|| e.host.clone());
                    answer.candidates.push((e.name.clone(), about));
                }
            }
        }
        // Paths: by hint, else by the value name the commands use (DIR, FILE, PATH).
        name => match (arg.get_value_hint(), name) {
            // clap calls every PathBuf AnyPath; the value name says more.
            (ValueHint::DirPath, _) | (ValueHint::Unknown | ValueHint::AnyPath, Some("DIR")) => {
                answer.directive = DIRS_ONLY
            }
            (ValueHint::AnyPath | ValueHint::FilePath, _)
            | (ValueHint::Unknown, Some("FILE" | "PATH")) => answer.directive = 0,
            _ => {}
        },
    }
    keep_prefixed(answer, cur)
}

/// The value name of an argument that takes a program to run (`exec`).
pub const PROGRAM: &str = "CMD";

/// The names of the executable files on PATH that start with `prefix`, sorted, once each.
fn programs_on_path(prefix: &str) -> Vec<String> {
    programs_on_path_in(&std::env::var_os("PATH").unwrap_or_default(), prefix)
}

fn programs_on_path_in(path: &OsStr, prefix: &str) -> Vec<String> {
    use std::os::unix::fs::PermissionsExt;
    let mut found: Vec<String> = std::env::split_paths(path)
        .filter_map(|dir| std::fs::read_dir(dir).ok())
        .flatten()
        .flatten()
        .filter_map(|e| {
            let name = e.file_name().into_string().ok()?;
            if !name.starts_with(prefix) {
                return None;
            }
            // metadata follows links: a link to a program is a program.
            let m = std::fs::metadata(e.path()).ok()?;
            (m.is_file() && m.permissions().mode() & 0o111 != 0).then_some(name)
        })
        .collect();
    found.sort();
    found.dedup();
    found
}

fn engine_about(e: &config::Engine) -> String {
    format!("docker on engine {}", e.name)
}

/// The options of `cmd` not given yet (repeatable ones always), long and short.
fn flags(cmd: &Command, used: &[&str], cur: &str) -> Answer {
    let mut answer = no_files();
    for arg in cmd.get_arguments() {
        if arg.is_positional() || arg.is_hide_set() {
            continue;
        }
        let repeatable = matches!(arg.get_action(), ArgAction::Append | ArgAction::Count);
        if !repeatable && used.contains(&arg.get_id().as_str()) {
            continue;
        }
        let about = arg
            .get_help()
            .map(|h| h.to_string())
            .unwrap_or_default()
            .lines()
            .next()
            .unwrap_or_default()
            .to_string();
        if let Some(long) = arg.get_long() {
            answer.candidates.push((format!("--{long}"), about.clone()));
        }
        if let Some(short) = arg.get_short() {
            answer.candidates.push((format!("-{short}"), about));
        }
    }
    keep_prefixed(answer, cur)
}

fn keep_prefixed(mut answer: Answer, cur: &str) -> Answer {
    answer.candidates.retain(|(v, _)| v.starts_with(cur));
    answer
}

#[cfg(test)]
mod tests {
    use clap::CommandFactory;

    use super::*;
    use crate::cli::Cli;
    use std::path::PathBuf;

    /// The built-in engines (pg, lzc): no config file exists.
    fn built_in() -> Config {
        config::load(&Sources {
            explicit: None,
            system: PathBuf::from("/nonexistent/dockmux/engines.toml"),
            user: None,
        })
        .unwrap()
    }

    fn values_for(words: &[&str], cfg: Option<&Config>) -> (Vec<String>, u32) {
        let words: Vec<String> = words.iter().map(|w| w.to_string()).collect();
        let a = complete(&words, cfg, Cli::command());
        (
            a.candidates.into_iter().map(|(v, _)| v).collect(),
            a.directive,
        )
    }

    #[test]
    fn subcommands_and_engine_commands_first() {
        let cfg = built_in();
        let (v, d) = values_for(&[""], Some(&cfg));
        for want in [
            "list",
            "link",
            "unlink",
            "config",
            "completions",
            "lzc-docker",
            "pg-docker",
        ] {
            assert!(v.iter().any(|x| x == want), "{want} in {v:?}");
        }
        assert_eq!(d, NO_FILES);
        assert_eq!(values_for(&["li"], Some(&cfg)).0, ["list", "link"]);
        assert_eq!(
            values_for(&["config", ""], Some(&cfg)).0,
            ["path", "show", "help"]
        );
    }

    #[test]
    fn engine_names_where_a_command_takes_them() {
        let cfg = built_in();
        assert_eq!(values_for(&["link", ""], Some(&cfg)).0, ["lzc", "pg"]);
        assert_eq!(
            values_for(&["unlink", "--dir", "/x", "p"], Some(&cfg)).0,
            ["pg"]
        );
        // Several engines may follow.
        assert_eq!(values_for(&["link", "pg", ""], Some(&cfg)).0, ["lzc", "pg"]);
        assert_eq!(
            values_for(&["completions", "bash", ""], Some(&cfg)).0,
            ["dockmux", "lzc-docker", "pg-docker"]
        );
        // No config: an error, which the shells turn into no candidates.
        assert_eq!(values_for(&["link", ""], None), (vec![], ERROR));
    }

    /// Every subcommand path (`["contexts", "export"]`) and its command.
    fn leaves(cmd: &Command, path: Vec<String>, out: &mut Vec<(Vec<String>, Command)>) {
        out.push((path.clone(), cmd.clone()));
        for sub in cmd.get_subcommands().filter(|s| s.get_name() != "help") {
            let mut p = path.clone();
            p.push(sub.get_name().to_string());
            leaves(sub, p, out);
        }
    }

    #[test]
    fn every_argument_that_takes_an_engine_completes_the_engine_names() {
        let cfg = built_in();
        let mut root = Cli::command();
        root.build();
        let mut all = Vec::new();
        leaves(&root, vec![], &mut all);
        // The positionals that take something else, each named: a new
        // positional must be placed here or take ENGINE.
        let others = [
            "add name",
            "add host",
            "rename new",
            "completions shell",
            "completions commands",
            "exec command",
            "shell command",
            "each docker",
            "find text",
            "contexts import contexts",
            "push host",
            "protect lift duration",
        ];
        let mut engine_args = Vec::new();
        for (path, cmd) in &all {
            for (i, arg) in cmd.get_positionals().enumerate() {
                let key = format!("{} {}", path.join(" "), arg.get_id());
                let value_name = arg.get_value_names().and_then(|n| n.first().cloned());
                if value_name.as_ref().is_some_and(|n| n == "ENGINE") {
                    let mut words = path.clone();
                    words.extend((0..i).map(|_| "x".to_string()));
                    words.push(String::new());
                    let (v, d) = values_for(
                        &words.iter().map(String::as_str).collect::<Vec<_>>(),
                        Some(&cfg),
                    );
                    assert_eq!(
                        (v, d),
                        (vec!["lzc".to_string(), "pg".to_string()], NO_FILES),
                        "{key}"
                    );
                    engine_args.push(key);
                } else {
                    assert!(
                        others.contains(&key.as_str()),
                        "{key}: takes an engine? give it value_name = \"ENGINE\""
                    );
                }
            }
        }
        for want in [
            "exec name",
            "shell name",
            "env name",
            "remove names",
            "set engines",
            "rename old",
            "list engines",
            "link engines",
            "unlink engines",
            "ps patterns",
            "each patterns",
            "find patterns",
        ] {
            assert!(
                engine_args.iter().any(|k| k == want),
                "{want} in {engine_args:?}"
            );
        }
    }

    #[test]
    fn exec_completes_a_program_on_path_then_its_files() {
        let cfg = built_in();
        let dir = tempfile::tempdir().unwrap();
        let make = |name: &str, mode: u32| {
            use std::os::unix::fs::PermissionsExt;
            let p = dir.path().join(name);
            std::fs::write(&p, "#!/bin/sh\n").unwrap();
            std::fs::set_permissions(&p, std::fs::Permissions::from_mode(mode)).unwrap();
        };
        make("zqprog-alpha", 0o755);
        make("zqprog-bravo", 0o700);
        make("zqprog-notes", 0o644);
        let programs = programs_on_path_in(dir.path().as_os_str(), "zqprog-");
        assert_eq!(programs, ["zqprog-alpha", "zqprog-bravo"]);
        // After the program: its arguments are files, and exec's own flags are not offered.
        assert_eq!(
            values_for(&["exec", "pg", "ls", ""], Some(&cfg)),
            (vec![], 0)
        );
        assert_eq!(
            values_for(&["exec", "pg", "ls", "-"], Some(&cfg)),
            (vec![], 0)
        );
        assert_eq!(
            values_for(&["exec", "pg", "--", "ls", ""], Some(&cfg)),
            (vec![], 0)
        );
        assert_eq!(values_for(&["exec", "p"], Some(&cfg)).0, ["pg"]);
    }

    #[test]
    fn flags_values_and_directories() {
        let cfg = built_in();
        let (v, _) = values_for(&["link", "--"], Some(&cfg));
        assert!(
            v.contains(&"--prune".to_string()) && v.contains(&"--dir".to_string()),
            "{v:?}"
        );
        // Given once, not offered again.
        let (v, _) = values_for(&["link", "--force", "--f"], Some(&cfg));
        assert!(v.is_empty(), "{v:?}");
        assert_eq!(
            values_for(&["link", "--dir", ""], Some(&cfg)),
            (vec![], DIRS_ONLY)
        );
        assert_eq!(
            values_for(&["link", "--dir=/t"], Some(&cfg)),
            (vec![], DIRS_ONLY)
        );
        assert_eq!(values_for(&["completions", "z"], Some(&cfg)).0, ["zsh"]);
        let (v, _) = values_for(&["list", "--names", "-"], Some(&cfg));
        assert!(
            v.contains(&"--json".to_string()) && v.contains(&"-h".to_string()),
            "{v:?}"
        );
        assert!(!v.contains(&"--names".to_string()), "{v:?}");
    }
}
