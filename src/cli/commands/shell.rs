//! `dockmux shell NAME [-- CMD…]`: the user's shell (or CMD) with plain
//! `docker` bound to engine NAME. A private directory first on PATH holds a
//! link named `docker` to dockmux; invoked through it with `DOCKMUX_SHELL`
//! set, dockmux runs as `NAME-docker` (engine/dispatch.rs), so refusals and
//! the engine's policy hold as they do for `NAME-docker`. `DOCKER_HOST` and
//! the rest of the engine's environment are set too, for compose and SDKs.
//! By exec, like `exec`: `exit` returns to the caller's shell.

use std::ffi::{OsStr, OsString};
use std::io::ErrorKind;
use std::os::unix::fs::{DirBuilderExt, MetadataExt};
use std::path::{Path, PathBuf};

use clap::Args;

use crate::config::{self, Sources};
use crate::engine::dispatch::SHELL_VAR;
use crate::engine::{self, replace};
use crate::error::{Error, Result};
use crate::exit_codes::ExitCode;
use crate::{
    docker::ssh_bridge, files::accounts, files::paths, files::secure, output, text::quote,
};

#[derive(Args, Debug)]
pub struct ShellArgs {
    /// The engine plain `docker` runs against in the shell
    #[arg(value_name = "ENGINE")]
    pub name: String,
    /// Run this program (and its arguments) instead of your shell
    #[arg(value_name = "CMD", last = true)]
    pub command: Vec<OsString>,
}

/// Returns only if the shell could not be started.
pub fn run(args: &ShellArgs, sources: &Sources) -> Result<ExitCode> {
    if let Some(pinned) = std::env::var_os(SHELL_VAR).filter(|v| !v.is_empty()) {
        return Err(Error::Usage(format!(
            "this shell is already pinned to engine '{}' (dockmux shell); \
             `exit` it first, or run {}-docker for that engine",
            pinned.to_string_lossy(),
            args.name
        )));
    }
    let cfg = config::load(sources)?;
    let engine = cfg.require_to_use(&args.name)?;
    let env = engine::checked_env(engine)?;
    let dir = pin_dir()?;
    link_docker(&dir)?;
    if ssh_bridge::needed(engine).is_some() {
        output::note(&format!(
            "dockmux: note: {}",
            ssh_bridge::env_note(&engine.name)
        ));
    }
    let path = match std::env::var_os("PATH").filter(|p| !p.is_empty()) {
        Some(rest) => {
            let mut p = dir.clone().into_os_string();
            p.push(":");
            p.push(rest);
            p
        }
        None => dir.clone().into_os_string(),
    };
    let mut program: Vec<OsString> = match args.command.first() {
        Some(_) => args.command.clone(),
        None => vec![login_shell()],
    };
    // execvp searches the PATH dockmux was given, not the shell's: the one
    // program the pin dir holds is named there.
    if program[0] == "docker" {
        program[0] = dir.join("docker").into_os_string();
    }
    let mut vars: Vec<(&str, Option<&str>)> = env.iter().map(|(k, v)| (*k, v.as_deref())).collect();
    let path = path.to_string_lossy().into_owned();
    vars.push(("PATH", Some(&path)));
    vars.push((SHELL_VAR, Some(&engine.name)));
    let argv: Vec<&OsStr> = program.iter().map(OsString::as_os_str).collect();
    let source = replace::exec(&argv, &vars, &[]);
    Err(Error::ProgramNotRunnable {
        program: program[0].to_string_lossy().into_owned(),
        fix: Some(format!(
            "check that {} exists and is executable, or name another program: \
             dockmux shell {} -- PROGRAM",
            quote::sh(&program[0].to_string_lossy()),
            quote::sh(&args.name)
        )),
        source,
    })
}

/// $SHELL, else the login shell in /etc/passwd, else /bin/sh.
fn login_shell() -> OsString {
    if let Some(shell) = paths::env("SHELL").filter(|s| s.is_absolute()) {
        return shell.into_os_string();
    }
    accounts::Accounts::users(Path::new("/"))
        .shell(secure::euid())
        .map(OsString::from)
        .unwrap_or_else(|| OsString::from("/bin/sh"))
}

/// The caller's own directory for the `docker` link: in XDG_RUNTIME_DIR when
/// that is the caller's, else /tmp/dockmux-shell-UID. Whatever is found
/// there must be a directory the caller owns that no one else may enter:
/// its `docker` is what the shell runs.
fn pin_dir() -> Result<PathBuf> {
    let uid = secure::euid();
    let private = |m: &std::fs::Metadata| m.is_dir() && m.uid() == uid && m.mode() & 0o077 == 0;
    let dir = match paths::env("XDG_RUNTIME_DIR")
        .filter(|d| std::fs::symlink_metadata(d).is_ok_and(|m| private(&m)))
    {
        Some(runtime) => runtime.join("dockmux-shell"),
        None => PathBuf::from(format!("/tmp/dockmux-shell-{uid}")),
    };
    match std::fs::DirBuilder::new().mode(0o700).create(&dir) {
        Ok(()) => return Ok(dir),
        Err(e) if e.kind() == ErrorKind::AlreadyExists => {}
        Err(e) => {
            return Err(Error::io(format!("cannot make {}", dir.display()), e));
        }
    }
    match std::fs::symlink_metadata(&dir) {
        Ok(m) if private(&m) => Ok(dir),
        Ok(m) => Err(Error::Usage(format!(
            "{} is not a directory only you can enter (owner uid {}, mode {:o}); \
             someone may have put it there: remove it (rm -r {}) and try again",
            dir.display(),
            m.uid(),
            m.mode() & 0o7777,
            quote::sh(&dir.to_string_lossy())
        ))),
        Err(e) => Err(Error::io(format!("cannot read {}", dir.display()), e)),
    }
}

/// `DIR/docker` -> this dockmux, replaced in one rename when it points
/// elsewhere (an older dockmux, another path).
fn link_docker(dir: &Path) -> Result<()> {
    let me =
        std::env::current_exe().map_err(|e| Error::io("cannot tell where this dockmux is", e))?;
    let link = dir.join("docker");
    if std::fs::read_link(&link).is_ok_and(|to| to == me) {
        return Ok(());
    }
    let tmp = dir.join(format!(".docker.{}", std::process::id()));
    let _ = std::fs::remove_file(&tmp);
    std::os::unix::fs::symlink(&me, &tmp)
        .and_then(|()| std::fs::rename(&tmp, &link))
        .map_err(|e| {
            let _ = std::fs::remove_file(&tmp);
            Error::io(format!("cannot link {} to dockmux", link.display()), e)
        })
}
