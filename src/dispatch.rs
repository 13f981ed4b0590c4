//! argv[0] decides the mode, before any CLI parsing: `dockmux` is the
//! management CLI; any other name is an engine command (`NAME-docker` or an
//! alias), resolved against the config in engine mode. busybox style,
//! `dockmux NAME-docker ARGS…` acts as if invoked through that link.

use std::ffi::{OsStr, OsString};
use std::os::unix::ffi::OsStrExt;
use std::path::Path;

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
        return match argv.get(1) {
            Some(first) if is_docker_command(first.as_bytes()) => Mode::Engine {
                command: command_name_string(first.as_bytes()),
                args: &argv[2..],
            },
            _ => Mode::Manage,
        };
    }
    Mode::Engine {
        command: command_name_string(name),
        args: argv.get(1..).unwrap_or_default(),
    }
}

/// The basename; no extension stripping (`db.prod-docker` is engine `db.prod`).
fn command_name(argv0: &OsStr) -> &[u8] {
    Path::new(argv0).file_name().unwrap_or(argv0).as_bytes()
}

fn command_name_string(name: &[u8]) -> String {
    String::from_utf8_lossy(command_name(OsStr::from_bytes(name))).into_owned()
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
