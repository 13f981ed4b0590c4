//! `dockmux doctor`: checks everything users trip on — config files, the
//! docker client and each engine's own, each engine, links and PATH (also the PATH of `ssh HOST
//! CMD`), stale links, inherited DOCKER_* variables, completion files — and
//! prints a fix for each finding. Exit 1 if there is any.

use std::path::Path;
use std::time::{Duration, Instant};

use clap::Args;
use serde::Serialize;

use crate::completion::{Places, Shell};
use crate::config::{self, Config, Engine, Sources};
use crate::docker::client_version;
use crate::docker::probe;
use crate::engine;
use crate::engine::client;
use crate::engine::forward;
use crate::error::{Error, Result};
use crate::exit_codes::ExitCode;
use crate::output;
use crate::text::escape;
use crate::view::render;
use crate::view::style::{self, Stream, Tone};

mod links;
mod ssh;

use links::{check_links, check_shadowing, check_shared_links, check_stale_links, commands};
use ssh::check_ssh_path;

#[derive(Args, Debug)]
pub struct DoctorArgs {
    /// Print machine-readable JSON
    #[arg(long)]
    pub json: bool,
    /// Bound on probing all engines together (e.g. 2s, 500ms)
    #[arg(long, value_name = "DURATION", default_value = "2s", value_parser = probe::parse_timeout)]
    pub timeout: Duration,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Level {
    Ok,
    /// A known limitation that works as documented: shown, with what it
    /// takes to lift it, but not a finding (doctor still exits 0).
    Note,
    Warning,
    Problem,
}

#[derive(Debug, Serialize)]
pub struct Check {
    /// Which check: config, client, engine, policy, link, ssh_path, stale_link, shared_link, environment, completion.
    pub check: &'static str,
    pub level: Level,
    pub message: String,
    pub fix: Option<String>,
}

#[derive(Serialize)]
struct Report<'a> {
    ok: bool,
    problems: usize,
    warnings: usize,
    checks: &'a [Check],
}

#[derive(Default)]
struct Checks(Vec<Check>);

impl Checks {
    fn ok(&mut self, check: &'static str, message: impl Into<String>) {
        self.push(check, Level::Ok, message, None::<String>);
    }

    fn push(
        &mut self,
        check: &'static str,
        level: Level,
        message: impl Into<String>,
        fix: Option<impl Into<String>>,
    ) {
        // One line each, whatever paths, variables and answers they quote.
        self.0.push(Check {
            check,
            level,
            message: escape::owned(&message.into()),
            fix: fix.map(|f| escape::owned(&f.into())),
        });
    }
}

pub fn run(args: &DoctorArgs, sources: &Sources) -> Result<ExitCode> {
    let mut c = Checks::default();
    let cfg = check_config(&mut c, sources);
    check_client(&mut c, cfg.as_ref(), args.timeout);
    if let Some(cfg) = &cfg {
        check_engine_clients(&mut c, cfg, args.timeout);
        // Connections first: the engines are then asked through them.
        check_forwards(&mut c, cfg);
        check_engines(&mut c, cfg, args.timeout);
        let link_dirs = check_links(&mut c, cfg);
        check_shadowing(&mut c, cfg);
        check_ssh_path(&mut c, cfg, sources, &link_dirs);
        check_stale_links(&mut c, cfg, &link_dirs);
        check_shared_links(&mut c, cfg, sources, &link_dirs);
        check_completion(&mut c, cfg);
    }
    check_environment(&mut c);

    let count = |l| c.0.iter().filter(|x| x.level == l).count();
    let (problems, warnings) = (count(Level::Problem), count(Level::Warning));
    let text = if args.json {
        render::json(&Report {
            ok: problems + warnings == 0,
            problems,
            warnings,
            checks: &c.0,
        })
    } else {
        text(&c.0, problems, warnings)
    };
    output::print(&text)?;
    Ok(if problems + warnings == 0 {
        ExitCode::Success
    } else {
        ExitCode::Failure
    })
}

fn text(checks: &[Check], problems: usize, warnings: usize) -> String {
    let mut out = String::new();
    for ch in checks {
        let (level, tone) = match ch.level {
            Level::Ok => ("ok", Tone::Good),
            Level::Note => ("note", Tone::Note),
            Level::Warning => ("warning", Tone::Warn),
            Level::Problem => ("PROBLEM", Tone::Bad),
        };
        // Padded outside the paint: escapes take no column.
        let pad = " ".repeat(8usize.saturating_sub(level.len()));
        let level = style::paint(Stream::Stdout, tone, level);
        out.push_str(&format!("{level}{pad} {:<12} {}\n", ch.check, ch.message));
        if let Some(fix) = &ch.fix {
            out.push_str(&format!("{:<8} {:<12} fix: {fix}\n", "", ""));
        }
    }
    out.push_str(&match (problems, warnings) {
        (0, 0) => "\nno problems found\n".to_string(),
        (p, w) => format!("\n{p} problem(s), {w} warning(s)\n"),
    });
    out
}

/// Each config file on its own (parse, permissions), then the merged config.
fn check_config(c: &mut Checks, sources: &Sources) -> Option<Config> {
    let mut each_ok = true;
    for path in sources.candidates() {
        if !path.exists() && sources.explicit.is_none() {
            continue;
        }
        let alone = Sources {
            explicit: Some(path.to_path_buf()),
            system: sources.system.clone(),
            user: None,
        };
        match config::load(&alone) {
            Ok(cfg) => c.ok(
                "config",
                format!("{}: {} engine(s)", path.display(), cfg.engines.len()),
            ),
            Err(e) => {
                each_ok = false;
                config_finding(c, e);
            }
        }
    }
    match config::load(sources) {
        Ok(cfg) => {
            if cfg.built_in {
                c.ok(
                    "config",
                    format!(
                        "no config file; using the built-in engines ({})",
                        cfg.describe_sources()
                    ),
                );
            }
            for b in &cfg.broken {
                c.push(
                    "config",
                    Level::Problem,
                    format!("engine '{}' is not usable: {}", b.name, b.error()),
                    Some(format!("edit {}", b.place)),
                );
            }
            for clash in &cfg.clashes {
                c.push(
                    "clash",
                    Level::Problem,
                    clash.error().to_string(),
                    Some(format!("edit {}", clash.place)),
                );
            }
            Some(cfg)
        }
        Err(e) => {
            // Files that are fine alone can still fail together (an insecure one).
            if each_ok {
                config_finding(c, e);
            }
            c.push(
                "config",
                Level::Problem,
                "engine, link and completion checks skipped: the config does not load",
                None::<String>,
            );
            None
        }
    }
}

fn config_finding(c: &mut Checks, e: Error) {
    let (message, fix) = match e {
        Error::Insecure { what, problem, fix } => (format!("refusing {what}: {problem}"), fix),
        Error::ConfigAt { place, message } => {
            (format!("{place}: {message}"), format!("edit {place}"))
        }
        other => (
            other.to_string(),
            "fix the file, or move it away to use the other config files".to_string(),
        ),
    };
    c.push("config", Level::Problem, message, Some(fix));
}

/// The shared client: the config's `docker`, else PATH's. Only the engines
/// without a `client` of their own run it; when every engine has one, what
/// is wrong with it is a note (nothing runs it), not a finding.
fn check_client(c: &mut Checks, cfg: Option<&Config>, timeout: Duration) {
    let needed = cfg.is_none_or(|cfg| cfg.engines.iter().any(|e| e.client.is_none()));
    let mut shared = Checks::default();
    check_shared_client(&mut shared, cfg, timeout);
    for mut check in shared.0 {
        if !needed && check.level != Level::Ok {
            check.level = Level::Note;
            check
                .message
                .push_str(" (no engine runs it: each has its own client)");
        }
        c.0.push(check);
    }
}

fn check_shared_client(c: &mut Checks, cfg: Option<&Config>, timeout: Duration) {
    // An untrusted docker on PATH is passed over, never run (not even for its version).
    let mut skipped = Vec::new();
    let found = client::find_noting(cfg.and_then(|c| c.docker.as_ref()), &mut skipped);
    for u in skipped {
        c.push("client", Level::Problem, u.problem(), Some(u.fix()));
    }
    let path = match found {
        Ok(p) => p,
        Err(e) => {
            c.push("client", Level::Problem, e.to_string(), None::<String>);
            return;
        }
    };
    check_version(c, None, &path, timeout);
}

/// Each engine's own `client`, checked by the rule the engine path applies
/// (engine/client.rs: there, trusted, runnable, not dockmux) and then asked
/// its version as the main client is; never run when the rule refuses it.
fn check_engine_clients(c: &mut Checks, cfg: &Config, timeout: Duration) {
    for e in &cfg.engines {
        // Without a top-level client to fall back on: only the engine's own.
        let Some(configured) = e.client_or(None) else {
            continue;
        };
        match client::usable(&configured) {
            Ok(path) => check_version(c, Some(&e.name), &path, timeout),
            Err(err) => {
                let (message, fix) = match err {
                    Error::Insecure { what, problem, fix } => (
                        format!("refusing to use {what}: {problem}"),
                        format!("{fix}; or {}", configured.fix()),
                    ),
                    Error::ClientNotExecutable { path, source, fix } => (
                        format!("cannot run docker client {}: {source}", path.display()),
                        fix,
                    ),
                    other => (other.to_string(), configured.fix()),
                };
                c.push(
                    "client",
                    Level::Problem,
                    format!("{}: {message}", e.name),
                    Some(fix),
                );
            }
        }
    }
}

/// The version of the client at `path`: the main one (`engine` None) or
/// an engine's own, whose lines start with the engine's name.
fn check_version(c: &mut Checks, engine: Option<&str>, path: &Path, timeout: Duration) {
    let shown = match engine {
        None => path.display().to_string(),
        Some(e) => format!("{e}: {}", path.display()),
    };
    let Some(text) = client_version::output(path, Instant::now() + timeout) else {
        let fix = "check that it is a working docker client (reinstall it)";
        c.push(
            "client",
            Level::Problem,
            format!("{shown} --version failed"),
            Some(match engine {
                None => fix.to_string(),
                Some(e) => format!("{fix}, or take it out: dockmux set {e} --no-client"),
            }),
        );
        return;
    };
    let version = client_version::parse(&text);
    let commands = match engine {
        None => "NAME-docker works".to_string(),
        Some(e) => format!("{e}-docker works"),
    };
    match version {
        Some((v, major)) if major >= client_version::COMPLETES_NAMES => {
            c.ok("client", format!("{shown} (docker {v})"))
        }
        // Debian 12 ships docker 20.10: everything works, completion of
        // names included (through dockmux), so this is a note, not a finding.
        Some((v, _)) => c.push(
            "client",
            Level::Note,
            format!(
                "{shown} is docker {v}: {commands}; TAB completes the names of containers, images, volumes and networks through dockmux, other arguments need docker {} or later",
                client_version::COMPLETES_NAMES
            ),
            Some(match engine {
                None => "to complete every argument, install a newer docker CLI (docker-ce-cli from docker.com, or a newer docker.io)".to_string(),
                Some(e) => format!("to complete every argument, point it at a newer docker CLI: dockmux set {e} --client PATH (or take it out: dockmux set {e} --no-client)"),
            }),
        ),
        None => c.push(
            "client",
            Level::Warning,
            format!("{shown}: cannot tell its version from '{}'", text.trim()),
            Some("check that it is the docker client"),
        ),
    }
}

fn check_engines(c: &mut Checks, cfg: &Config, timeout: Duration) {
    let engines: Vec<&Engine> = cfg.engines.iter().collect();
    for (e, s) in engines.iter().zip(probe::probe_all(cfg, &engines, timeout)) {
        if let Some(p) = e.policy() {
            c.ok("policy", format!("{}: {}", e.name, p.describe()));
        }
        if s.is_up() {
            c.ok(
                "engine",
                format!("{}: {} at {}", e.name, s.summary(), e.host),
            );
        } else {
            c.push(
                "engine",
                Level::Problem,
                format!(
                    "{}: {}",
                    e.name,
                    s.error.as_deref().unwrap_or(s.state.label())
                ),
                s.fix.clone(),
            );
        }
    }
}

/// Each ssh engine's shared connection (src/forward/): started if it is not
/// up, and when it cannot be, why (the server forbids forwarding, the socket
/// is missing, ssh cannot log in).
fn check_forwards(c: &mut Checks, cfg: &Config) {
    for e in &cfg.engines {
        let Some(place) = forward::Place::of(e) else {
            continue;
        };
        let host = &place.spec.host;
        match forward::diagnose(&place) {
            Ok(()) => c.ok(
                "connection",
                format!(
                    "{}: the shared ssh connection to {host} works ({})",
                    e.name,
                    place.docker_host()
                ),
            ),
            Err(why) => c.push(
                "connection",
                Level::Warning,
                format!(
                    "{}: no shared ssh connection to {host}: {}; its commands go over ssh:// \
                     (slower: a login per connection)",
                    e.name, why.0
                ),
                Some(format!(
                    "make `ssh {host}` work without a prompt and allow unix-socket forwarding \
                     (AllowStreamLocalForwarding yes), or set persist = \"0\" in [engines.{}]",
                    e.name
                )),
            ),
        }
    }
}

/// DOCKER_* variables that send plain `docker` (and other tools) elsewhere.
fn check_environment(c: &mut Checks) {
    let from_env_cmd = std::env::var("DOCKMUX_ENGINE").ok();
    let mut any = false;
    // DOCKMUX_ENGINE only names the engine `dockmux env` chose; it sends nothing anywhere.
    for key in engine::ENV_KEYS
        .into_iter()
        .filter(|k| *k != "DOCKMUX_ENGINE")
    {
        let Some(value) = std::env::var_os(key).filter(|v| !v.is_empty()) else {
            continue;
        };
        any = true;
        let fix = match &from_env_cmd {
            Some(engine) => format!(
                "it comes from `dockmux env {engine}`; undo it with: eval \"$(dockmux env --unset)\""
            ),
            None => format!("unset {key}, and remove it from your shell profile"),
        };
        c.push(
            "environment",
            Level::Warning,
            format!(
                "{key}={} is set: plain `docker` and other tools follow it (NAME-docker ignores it)",
                value.to_string_lossy()
            ),
            Some(fix),
        );
    }
    if !any {
        c.ok(
            "environment",
            "no DOCKER_HOST, DOCKER_CONTEXT or DOCKER_TLS* inherited",
        );
    }
}

/// Completion files per engine command, for the shells installed here.
fn check_completion(c: &mut Checks, cfg: &Config) {
    let shells = installed_shells();
    if shells.is_empty() {
        return;
    }
    let names = |shells: &[Shell]| {
        shells
            .iter()
            .map(|s| s.name())
            .collect::<Vec<_>>()
            .join(", ")
    };
    for (engine, command) in commands(cfg) {
        let missing: Vec<Shell> = shells
            .iter()
            .filter(|&&shell| !Places::searched(shell, &command).iter().any(|p| p.exists()))
            .copied()
            .collect();
        if missing.is_empty() {
            c.ok("completion", format!("{command}: {}", names(&shells)));
        } else {
            c.push(
                "completion",
                Level::Warning,
                format!("{command}: no completion file for {}", names(&missing)),
                Some(format!(
                    "dockmux link {} (it installs them)",
                    crate::text::quote::sh_word(engine)
                )),
            );
        }
    }
}

fn installed_shells() -> Vec<Shell> {
    let mut shells = Vec::new();
    if Path::new("/usr/share/bash-completion/bash_completion").exists() {
        shells.push(Shell::Bash);
    }
    for shell in [Shell::Zsh, Shell::Fish] {
        if client::on_path(shell.name()).is_some() {
            shells.push(shell);
        }
    }
    shells
}
