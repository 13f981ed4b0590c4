//! doctor's look at `ssh THIS-HOST COMMAND`: whether the PATH sshd gives
//! non-interactive sessions finds each engine command, and whose fix it is.

use std::path::{Path, PathBuf};

use super::{Checks, Level};
use crate::config::{self, Config, Engine, Sources};
use crate::docker::ssh_path;
use crate::install::links;

/// What `ssh THIS-HOST COMMAND` runs: each engine command the user's shell
/// finds is looked up along the PATH sshd gives non-interactive sessions
/// (not the user's own PATH: a command linked in two places is fine when
/// ssh finds either). The fix depends on whose engine it is: root can link
/// a system or built-in engine for everyone, but a user's own engine is in
/// no config root reads, so its fix is the user's.
pub(super) fn check_ssh_path(
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
                        crate::text::quote::path(crate::files::paths::parent(&p)),
                        crate::text::quote::sh_word(&e.name)
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
        .map(|d| crate::text::quote::path(d))
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
                .map(|e| format!("{} --system --link --dir {system_dir}", e.add_line()))
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

/// This machine's name, as `ssh NAME` would reach it.
pub(super) fn host_name() -> String {
    std::fs::read_to_string("/proc/sys/kernel/hostname")
        .map(|h| h.trim().to_string())
        .ok()
        .filter(|h| !h.is_empty())
        .unwrap_or_else(|| "THIS-HOST".to_string())
}
