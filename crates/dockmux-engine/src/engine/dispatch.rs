//! argv[0] decides the mode, before any CLI parsing: `dockmux` is the
//! management CLI; any other name is an engine command (`NAME-docker` or an
//! alias), resolved against the config in engine mode. busybox style,
//! `dockmux NAME-docker ARGS…` acts as if invoked through that link.

use std::ffi::{OsStr, OsString};
use std::os::unix::ffi::OsStrExt;
use std::path::Path;

/// Set by `dockmux shell NAME` to NAME: there, dockmux invoked as plain
/// `docker` (the shell's link to it) is `NAME-docker`.
pub const SHELL_VAR: &str = "DOCKMUX_SHELL";

#[derive(Debug, PartialEq, Eq)]
pub enum Mode<'a> {
    /// Run docker against the engine `command` names, with `args`.
    Engine {
        command: String,
        args: &'a [OsString],
    },
    /// The management CLI, parsed by clap.
    Manage,
}

pub fn classify(argv: &[OsString]) -> Mode<'_> {
    let argv0 = argv.first().map(OsString::as_os_str).unwrap_or_default();
    let name = command_name(argv0);
    // Any `dockmux…` name not ending in -docker (dockmux, dockmux.old,
    // dockmux-x86_64) is dockmux itself; aliases may not start with it.
    if name.starts_with(b"dockmux") && !is_docker_command(name) {
        return as_dockmux(argv);
    }
    if name == b"docker"
        && let Some(pinned) = std::env::var_os(SHELL_VAR).filter(|v| !v.is_empty())
    {
        return Mode::Engine {
            command: format!("{}-docker", pinned.to_string_lossy()),
            args: argv.get(1..).unwrap_or_default(),
        };
    }
    Mode::Engine {
        command: String::from_utf8_lossy(name).into_owned(),
        args: argv.get(1..).unwrap_or_default(),
    }
}

/// dockmux itself, whatever argv[0] says: `dockmux NAME-docker ARGS…` runs as
/// that link would; anything else is the management CLI. Also for a name that
/// turned out to be no engine command (engine::NotAnEngine).
pub fn as_dockmux(argv: &[OsString]) -> Mode<'_> {
    match argv.get(1) {
        Some(first) if is_docker_command(first.as_bytes()) => Mode::Engine {
            command: String::from_utf8_lossy(basename(first)).into_owned(),
            args: &argv[2..],
        },
        _ => Mode::Manage,
    }
}

/// The name dockmux was invoked as, for messages: argv[0]'s command name;
/// `None` when there is none (an empty argv[0]).
pub fn invoked_name(argv: &[OsString]) -> Option<String> {
    let argv0 = argv.first().map(OsString::as_os_str).unwrap_or_default();
    match command_name(argv0) {
        b"" => None,
        name => Some(String::from_utf8_lossy(name).into_owned()),
    }
}

/// The basename; no extension stripping (`db.prod-docker` is engine `db.prod`).
/// A leading `-` is the login-shell mark (login(1) runs `-NAME`), not part
/// of the name: engine names never start with one.
fn command_name(argv0: &OsStr) -> &[u8] {
    let base = basename(argv0);
    base.strip_prefix(b"-").unwrap_or(base)
}

fn basename(path: &OsStr) -> &[u8] {
    Path::new(path).file_name().unwrap_or(path).as_bytes()
}

/// `NAME-docker`, with a non-empty NAME.
pub fn is_docker_command(name: &[u8]) -> bool {
    name.len() > b"-docker".len() && name.ends_with(b"-docker")
}

#[cfg(test)]
mod tests {
    use super::*;

    fn argv(a: &[&str]) -> Vec<OsString> {
        a.iter().map(OsString::from).collect()
    }

    fn engine(a: &[&str]) -> Option<(String, Vec<OsString>)> {
        let v = argv(a);
        match classify(&v) {
            Mode::Engine { command, args } => Some((command, args.to_vec())),
            Mode::Manage => None,
        }
    }

    #[test]
    fn by_link_name() {
        assert_eq!(
            engine(&["/usr/local/bin/pg-docker", "ps", "-a"]),
            Some(("pg-docker".into(), argv(&["ps", "-a"])))
        );
        assert_eq!(
            engine(&["db.prod-docker"]),
            Some(("db.prod-docker".into(), vec![]))
        );
        assert_eq!(engine(&["playground", "ps"]).unwrap().0, "playground");
        // login(1)'s mark for a login shell.
        assert_eq!(engine(&["-pg-docker"]).unwrap().0, "pg-docker");
        assert_eq!(engine(&["/bin/-pg-docker", "ps"]).unwrap().0, "pg-docker");
        assert_eq!(engine(&["-dockmux", "list"]), None);
    }

    #[test]
    fn dockmux_itself_and_busybox_style() {
        assert_eq!(engine(&["/usr/bin/dockmux", "list"]), None);
        assert_eq!(engine(&["dockmux"]), None);
        assert_eq!(engine(&["dockmux", "-docker"]), None);
        assert_eq!(
            engine(&["dockmux", "pg-docker", "ps"]),
            Some(("pg-docker".into(), argv(&["ps"])))
        );
        assert_eq!(
            engine(&["dockmux", "/x/lzc-docker"]),
            Some(("lzc-docker".into(), vec![]))
        );
    }
}
