//! `dockmux doctor`: checks everything users trip on — config files, the
//! docker client, each engine, links and PATH (also the PATH of `ssh HOST
//! CMD`), stale links, inherited DOCKER_* variables, completion files — and
//! prints a fix for each finding. Exit 1 if there is any.

use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::{Duration, Instant};

use clap::Args;
use serde::Serialize;

use crate::children::Batch;
use crate::completion::{Places, Shell};
use crate::config::{self, Config, Engine, Sources};
use crate::engine;
use crate::engine::client;
use crate::error::{Error, Result};
use crate::escape;
use crate::exit_codes;
use crate::links::{self, SelfExe};
use crate::output;
use crate::probe;
use crate::programs;
use crate::render;
use crate::ssh_path;

/// cobra's `__complete`, which the completion scripts ask, came with docker 23.
const MIN_COMPLETION_MAJOR: u32 = 23;

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

pub fn run(args: &DoctorArgs, sources: &Sources) -> Result<i32> {
    let mut c = Checks::default();
    let cfg = check_config(&mut c, sources);
    check_client(&mut c, cfg.as_ref(), args.timeout);
    if let Some(cfg) = &cfg {
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
        exit_codes::SUCCESS
    } else {
        exit_codes::FAILURE
    })
}

fn text(checks: &[Check], problems: usize, warnings: usize) -> String {
    let mut out = String::new();
    for ch in checks {
        let level = match ch.level {
            Level::Ok => "ok",
            Level::Warning => "warning",
            Level::Problem => "PROBLEM",
        };
        out.push_str(&format!("{level:<8} {:<12} {}\n", ch.check, ch.message));
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

fn check_client(c: &mut Checks, cfg: Option<&Config>, timeout: Duration) {
    let path = match client::find(cfg.and_then(|c| c.docker.as_ref())) {
        Ok(p) => p,
        Err(e) => {
            c.push("client", Level::Problem, e.to_string(), None::<String>);
            return;
        }
    };
    let shown = path.display();
    let mut cmd = Command::new(&path);
    cmd.arg("--version");
    let out = Batch::new().run_until(&mut cmd, Instant::now() + timeout);
    let text = match &out {
        Ok(done) if done.status.success() => String::from_utf8_lossy(&done.stdout).into_owned(),
        _ => {
            c.push(
                "client",
                Level::Problem,
                format!("{shown} --version failed"),
                Some("check that it is a working docker client (reinstall it)"),
            );
            return;
        }
    };
    let version = client_version(&text);
    match version {
        Some((v, major)) if major >= MIN_COMPLETION_MAJOR => {
            c.ok("client", format!("{shown} (docker {v})"))
        }
        Some((v, _)) => c.push(
            "client",
            Level::Warning,
            format!(
                "{shown} is docker {v}: NAME-docker works, but tab completion needs docker {MIN_COMPLETION_MAJOR} or later"
            ),
            Some("install a newer docker CLI (docker-ce-cli from docker.com, or a newer docker.io)"),
        ),
        None => c.push(
            "client",
            Level::Warning,
            format!("{shown}: cannot tell its version from '{}'", text.trim()),
            Some("check that it is the docker client"),
        ),
    }
}

/// `Docker version 28.2.2, build e6534b4` → ("28.2.2", 28).
fn client_version(text: &str) -> Option<(String, u32)> {
    let rest = text.trim().strip_prefix("Docker version ")?;
    let v = rest.split([',', ' ']).next()?.to_string();
    let major = v.split('.').next()?.parse().ok()?;
    Some((v, major))
}

fn check_engines(c: &mut Checks, cfg: &Config, timeout: Duration) {
    let engines: Vec<&Engine> = cfg.engines.iter().collect();
    for (e, s) in engines.iter().zip(probe::probe_all(cfg, &engines, timeout)) {
        if let Some(p) = e.policy {
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

/// Where the shell finds each engine command; returns the directories on
/// PATH holding working links, each with the first command found there.
fn check_links(c: &mut Checks, cfg: &Config) -> Vec<(PathBuf, String)> {
    let exe_dir = SelfExe::find().ok().map(|e| e.dir().to_path_buf());
    let path_dirs: Vec<PathBuf> = std::env::var_os("PATH")
        .map(|p| std::env::split_paths(&p).collect())
        .unwrap_or_default();
    let mut dirs: Vec<(PathBuf, String)> = Vec::new();
    for (engine, command) in commands(cfg) {
        let found = path_dirs
            .iter()
            .map(|d| d.join(&command))
            .find(|p| std::fs::symlink_metadata(p).is_ok());
        match found {
            Some(p) if links::is_ours(&p) && std::fs::metadata(&p).is_ok() => {
                c.ok("link", format!("{command}: {}", p.display()));
                let dir = p.parent().unwrap_or(Path::new("/")).to_path_buf();
                if !dirs.iter().any(|(d, _)| *d == dir) {
                    dirs.push((dir, command.clone()));
                }
            }
            Some(p) if links::is_ours(&p) => c.push(
                "link",
                Level::Problem,
                format!(
                    "{command}: {} is a broken link (dockmux moved?)",
                    p.display()
                ),
                Some(format!(
                    "dockmux link --dir {} (relinks it to this binary)",
                    p.parent().unwrap_or(Path::new("/")).display()
                )),
            ),
            Some(p) if !programs::may_stand_in_front(&command) => c.push(
                "link",
                Level::Problem,
                format!(
                    "{command}: alias of engine '{engine}' names the program {}; dockmux does not link over programs",
                    p.display()
                ),
                Some(format!(
                    "drop the alias '{command}' from engine '{engine}' in the config"
                )),
            ),
            Some(p) => c.push(
                "link",
                Level::Problem,
                format!(
                    "{command}: the shell runs {}, which is not a link to this dockmux",
                    p.display()
                ),
                Some(format!(
                    "remove it, or replace it: dockmux link --force --dir {}",
                    p.parent().unwrap_or(Path::new("/")).display()
                )),
            ),
            None => {
                let off_path = exe_dir
                    .as_ref()
                    .map(|d| d.join(&command))
                    .filter(|p| links::is_ours(p));
                match off_path {
                    Some(p) => {
                        let dir = p.parent().unwrap_or(Path::new("/")).display().to_string();
                        c.push(
                            "link",
                            Level::Problem,
                            format!(
                                "{command}: {} exists, but {dir} is not on PATH",
                                p.display()
                            ),
                            Some(format!(
                                "add it to PATH in your shell profile: export PATH=\"{dir}:$PATH\""
                            )),
                        )
                    }
                    None => c.push(
                        "link",
                        Level::Problem,
                        format!("{command}: not found on PATH"),
                        Some(link_fix(engine, exe_dir.as_deref(), &path_dirs)),
                    ),
                }
            }
        }
    }
    dirs
}

/// Links to dockmux named like another program (an alias `ssh`, `ls`):
/// whoever finds the link first runs dockmux instead of that program.
fn check_shadowing(c: &mut Checks, cfg: &Config) {
    let mut dirs: Vec<PathBuf> = std::env::var_os("PATH")
        .map(|p| std::env::split_paths(&p).collect())
        .unwrap_or_default();
    if let Ok(exe) = SelfExe::find() {
        dirs.push(exe.dir().to_path_buf());
    }
    for (engine, link, program) in links::shadowing_links(cfg, &dirs) {
        c.push(
            "link",
            Level::Problem,
            format!(
                "{}: this link to dockmux stands in front of the program {}",
                link.display(),
                program.display()
            ),
            Some(format!(
                "rm {} and drop the alias '{}' from engine '{engine}' in the config",
                link.display(),
                link.file_name().unwrap_or_default().to_string_lossy()
            )),
        );
    }
}

/// The `dockmux link` that puts an engine's links where this shell finds
/// them: next to dockmux when that is on PATH and writable, else the first
/// writable directory on PATH.
fn link_fix(engine: &str, exe_dir: Option<&Path>, path_dirs: &[PathBuf]) -> String {
    let writable = |d: &Path| {
        use std::os::unix::ffi::OsStrExt;
        std::ffi::CString::new(d.as_os_str().as_bytes())
            // SAFETY: a valid NUL-terminated path; access has no other preconditions.
            .is_ok_and(|c| d.is_dir() && unsafe { libc::access(c.as_ptr(), libc::W_OK) } == 0)
    };
    if let Some(exe) = exe_dir
        && path_dirs.iter().any(|d| d == exe)
        && writable(exe)
    {
        return format!("dockmux link {engine}");
    }
    match path_dirs.iter().find(|d| d.is_absolute() && writable(d)) {
        Some(d) => format!("dockmux link --dir {} {engine}", d.display()),
        None => format!(
            "no directory on your PATH is writable for you: make one (mkdir -p ~/.local/bin), \
             add it to PATH, then dockmux link --dir ~/.local/bin {engine}"
        ),
    }
}

/// Every (engine name, command name) pair.
fn commands(cfg: &Config) -> impl Iterator<Item = (&str, String)> {
    cfg.engines
        .iter()
        .flat_map(|e| e.commands().map(move |c| (e.name.as_str(), c)))
}

/// What `ssh THIS-HOST COMMAND` runs: each engine command the user's shell
/// finds is looked up along the PATH sshd gives non-interactive sessions
/// (not the user's own PATH: a command linked in two places is fine when
/// ssh finds either). The fix depends on whose engine it is: root can link
/// a system or built-in engine for everyone, but a user's own engine is in
/// no config root reads, so its fix is the user's.
fn check_ssh_path(
    c: &mut Checks,
    cfg: &Config,
    sources: &Sources,
    link_dirs: &[(PathBuf, String)],
) {
    if link_dirs.is_empty() {
        return;
    }
    let Some(ssh) = ssh_path::current() else {
        c.ok("ssh_path", "no sshd on this machine: nothing to check");
        return;
    };
    let host = host_name();
    let ssh_dirs: Vec<PathBuf> = std::env::split_paths(&ssh.path).collect();
    // The commands the user's shell finds, and where.
    let user_path: Vec<PathBuf> = std::env::var_os("PATH")
        .map(|p| std::env::split_paths(&p).collect())
        .unwrap_or_default();
    let mut missing: Vec<(&Engine, String, PathBuf)> = Vec::new();
    for e in &cfg.engines {
        for command in e.commands() {
            let Some(here) = user_path
                .iter()
                .map(|d| d.join(&command))
                .find(|p| links::is_ours(p) && std::fs::metadata(p).is_ok())
            else {
                continue;
            };
            let over_ssh = ssh_dirs
                .iter()
                .map(|d| d.join(&command))
                .find(|p| std::fs::symlink_metadata(p).is_ok());
            match over_ssh {
                Some(p) if links::is_ours(&p) && std::fs::metadata(&p).is_ok() => {}
                Some(p) => c.push(
                    "ssh_path",
                    Level::Warning,
                    format!(
                        "`ssh {host} {command} ps` runs {}, which is not a link to this dockmux \
                         (non-interactive ssh commands get PATH={}, {})",
                        p.display(),
                        ssh.path,
                        ssh.from
                    ),
                    Some(format!(
                        "remove it, or replace it: as root, dockmux link --force --dir {} {}",
                        p.parent().unwrap_or(Path::new("/")).display(),
                        e.name
                    )),
                ),
                None => missing.push((e, command, here)),
            }
        }
    }
    if missing.is_empty() {
        c.ok(
            "ssh_path",
            format!(
                "`ssh {host} NAME-docker …` finds the links (PATH={}, {})",
                ssh.path, ssh.from
            ),
        );
        return;
    }
    let system_dir = ssh_dirs
        .iter()
        .find(|d| d.as_path() == Path::new("/usr/local/bin"))
        .or(ssh_dirs.first())
        .map(|d| d.display().to_string())
        .unwrap_or_else(|| "/usr/local/bin".into());
    // One finding per directory and kind of engine: root can link system
    // and built-in engines; only the user can serve their own.
    let mut groups: Vec<(PathBuf, bool, Vec<&Engine>, Vec<&str>)> = Vec::new();
    for (e, command, here) in &missing {
        let dir = here.parent().unwrap_or(Path::new("/")).to_path_buf();
        let shared = match &e.origin {
            config::Origin::BuiltIn => true,
            config::Origin::File(p) => sources.explicit.is_none() && **p == *sources.system,
        };
        match groups.iter_mut().find(|g| g.0 == dir && g.1 == shared) {
            Some(g) => {
                if !g.2.iter().any(|x| x.name == e.name) {
                    g.2.push(e);
                }
                g.3.push(command);
            }
            None => groups.push((dir, shared, vec![e], vec![command])),
        }
    }
    for (dir, shared, engines, commands) in groups {
        let names: Vec<&str> = engines.iter().map(|e| e.name.as_str()).collect();
        let setenv = format!("SetEnv PATH={}:{}", ssh.path, dir.display());
        let fix = if shared {
            format!(
                "as root: dockmux link --dir {system_dir} {} (or {setenv} in sshd_config)",
                names.join(" ")
            )
        } else {
            let adds: Vec<String> = engines
                .iter()
                .map(|e| format!("{} --system --link --dir {system_dir}", add_command(e)))
                .collect();
            format!(
                "{} in your own config ({}), which no other user's commands read \
                 (root's included), so your own PATH must serve {}: {}; or, to give every \
                 user {}, as root: {}",
                if names.len() == 1 {
                    format!("engine {} is", names[0])
                } else {
                    format!("engines {} are", names.join(", "))
                },
                engines[0].origin,
                if names.len() == 1 { "it" } else { "them" },
                ssh_path::path_fix(&dir),
                if names.len() == 1 {
                    "the engine"
                } else {
                    "the engines"
                },
                adds.join("; ")
            )
        };
        c.push(
            "ssh_path",
            Level::Warning,
            format!(
                "`ssh {host} {} ps` will not find {}: {} is not on the PATH non-interactive \
                 ssh commands get (PATH={}, {})",
                commands[0],
                commands.join(", "),
                dir.display(),
                ssh.path,
                ssh.from
            ),
            Some(fix),
        );
    }
}

/// The `dockmux add` that makes the same engine elsewhere: its host,
/// description, hint, aliases and TLS settings.
fn add_command(e: &Engine) -> String {
    let q = crate::quote::sh_word;
    let mut words = vec!["dockmux add".to_string(), q(&e.name), q(&e.host)];
    let mut opt = |flag: &str, value: &str| words.push(format!("{flag} {}", q(value)));
    if let Some(d) = &e.description {
        opt("--description", d);
    }
    if let Some(h) = &e.hint {
        opt("--hint", h);
    }
    for a in &e.aliases {
        opt("--alias", a);
    }
    if let Some(tls) = &e.tls {
        if let Some(c) = &tls.cert_path {
            opt("--cert-path", c);
        }
        words.push(if tls.verify { "--tlsverify" } else { "--tls" }.to_string());
    }
    words.join(" ")
}

/// This machine's name, as `ssh NAME` would reach it.
fn host_name() -> String {
    std::fs::read_to_string("/proc/sys/kernel/hostname")
        .map(|h| h.trim().to_string())
        .ok()
        .filter(|h| !h.is_empty())
        .unwrap_or_else(|| "THIS-HOST".to_string())
}

fn check_stale_links(c: &mut Checks, cfg: &Config, link_dirs: &[(PathBuf, String)]) {
    let claimed: Vec<String> = cfg.engines.iter().flat_map(Engine::commands).collect();
    let mut dirs: Vec<PathBuf> = link_dirs.iter().map(|(d, _)| d.clone()).collect();
    if let Ok(exe) = SelfExe::find()
        && !dirs.iter().any(|d| d == exe.dir())
    {
        dirs.push(exe.dir().to_path_buf());
    }
    let mut any = false;
    for dir in &dirs {
        let Ok(found) = links::links_in(dir) else {
            continue;
        };
        for (path, name) in found {
            if !claimed.contains(&name) {
                any = true;
                c.push(
                    "stale_link",
                    Level::Warning,
                    format!("{}: no engine is named by it any more", path.display()),
                    Some(format!(
                        "dockmux link --prune --dir {} (or rm {})",
                        dir.display(),
                        path.display()
                    )),
                );
            }
        }
    }
    if !any {
        c.ok("stale_link", "no links to dockmux that no engine claims");
    }
}

/// Links every user runs that only this user's config serves.
fn check_shared_links(c: &mut Checks, cfg: &Config, sources: &Sources, dirs: &[(PathBuf, String)]) {
    for (dir, _) in dirs {
        for (path, e) in crate::shared::private_links(dir, &cfg.engines, sources) {
            c.push(
                "shared_link",
                Level::Warning,
                format!(
                    "{}: every user runs it, but engine '{}' is only in {}, so for everyone else it fails",
                    path.display(),
                    e.name,
                    e.origin
                ),
                Some(format!(
                    "as root, put it in the system config (dockmux remove {n}, then dockmux add --system {n} {}), or remove the link (rm {})",
                    e.host,
                    path.display(),
                    n = e.name
                )),
            );
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
                Some(format!("dockmux link {engine} (it installs them)")),
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
        if which::which(shell.name()).is_ok() {
            shells.push(shell);
        }
    }
    shells
}

#[cfg(test)]
mod tests {
    #[test]
    fn client_versions_are_read_from_docker_version_lines() {
        assert_eq!(
            super::client_version("Docker version 28.2.2, build e6534b4\n"),
            Some(("28.2.2".into(), 28))
        );
        assert_eq!(
            super::client_version("Docker version 20.10.24+dfsg1, build 297e128"),
            Some(("20.10.24+dfsg1".into(), 20))
        );
        assert_eq!(super::client_version("podman version 4.3.1"), None);
    }
}
