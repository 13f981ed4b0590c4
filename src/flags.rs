//! docker's global flags, as the client parses them (cli/flags/options.go,
//! pflag with interspersing off): they come before the subcommand, end at the
//! first non-flag word or `--`, and value-taking flags consume their value.
//! dockmux needs two answers from them: is the engine being overridden
//! (`-H`/`--host`, `-c`/`--context`), and is this a command that never
//! talks to the daemon (completion, help, version), for which the
//! missing-socket note would be noise.

use std::ffi::OsString;
use std::os::unix::ffi::OsStrExt;

/// Long global flags that take a value (`--name value` or `--name=value`).
const LONG_WITH_VALUE: &[&[u8]] = &[
    b"config",
    b"context",
    b"host",
    b"log-level",
    b"tlscacert",
    b"tlscert",
    b"tlskey",
];
/// Short global flags that take a value (`-l v`, `-lv`, `-l=v`).
const SHORT_WITH_VALUE: &[u8] = b"cHl";

#[derive(Debug, PartialEq, Eq)]
pub enum Scan {
    /// No engine override. `quiet`: a command that does not contact the
    /// daemon. `command`: the index of the first word after the global flags
    /// (the subcommand; `args.len()` when there is none).
    Ok { quiet: bool, command: usize },
    /// An engine override, as the user wrote it.
    Refused(String),
}

pub fn scan(args: &[OsString]) -> Scan {
    let mut quiet = false;
    let mut i = 0;
    let mut subcommand: Option<&[u8]> = None;
    let mut command = args.len();
    while i < args.len() {
        let arg = args[i].as_bytes();
        i += 1;
        if arg == b"--" {
            subcommand = args.get(i).map(|a| a.as_bytes());
            command = i;
            break;
        }
        if let Some(long) = arg.strip_prefix(b"--") {
            let (name, has_value) = match long.iter().position(|&b| b == b'=') {
                Some(eq) => (&long[..eq], true),
                None => (long, false),
            };
            match name {
                b"host" | b"context" => return Scan::Refused(lossy(arg)),
                b"help" | b"version" => quiet = true,
                _ => {}
            }
            if !has_value && LONG_WITH_VALUE.contains(&name) {
                i += 1;
            }
            continue;
        }
        if arg.len() > 1 && arg[0] == b'-' {
            // A bundle of shorthands: `-D`, `-DH x`, `-Hx`, `-H=x`, `-lH` (H is l's value).
            for (j, &c) in arg.iter().enumerate().skip(1) {
                // pflag skips the rest of a bundle from `test.` on (go test's
                // flags): docker runs `-test.H ps` as plain `ps`.
                if arg[j..].starts_with(b"test.") {
                    break;
                }
                match c {
                    b'H' | b'c' => return Scan::Refused(lossy(arg)),
                    b'h' | b'v' => quiet = true,
                    _ => {}
                }
                if SHORT_WITH_VALUE.contains(&c) {
                    if j + 1 == arg.len() {
                        i += 1;
                    }
                    break;
                }
            }
            continue;
        }
        subcommand = Some(arg);
        command = i - 1;
        break;
    }
    if let Some(sub) = subcommand {
        quiet |= sub.starts_with(b"__complete") || sub == b"completion" || sub == b"help";
    }
    // `pg-docker ps --help` prints help without asking the daemon too.
    quiet |= args[i.min(args.len())..]
        .iter()
        .any(|a| a.as_bytes() == b"--help");
    Scan::Ok {
        quiet,
        command: command.min(args.len()),
    }
}

fn lossy(b: &[u8]) -> String {
    String::from_utf8_lossy(b).into_owned()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn s(args: &[&str]) -> Scan {
        scan(&args.iter().map(OsString::from).collect::<Vec<_>>())
    }

    fn refused(args: &[&str]) -> bool {
        matches!(s(args), Scan::Refused(_))
    }

    #[test]
    fn every_spelling_of_host_and_context_is_refused() {
        for args in [
            &["-H", "x", "ps"][..],
            &["-Hx", "ps"],
            &["-H=x", "ps"],
            &["--host", "x", "ps"],
            &["--host=x", "ps"],
            &["-DH", "x", "ps"],
            &["-c", "ctx", "ps"],
            &["-cctx", "ps"],
            &["-c=ctx", "ps"],
            &["--context=ctx"],
            &["--context", "ctx", "ps"],
            &["--config", "/d", "-H", "x", "ps"],
            &["-l", "debug", "--host=", "ps"],
            &["-D", "-c", "x"],
        ] {
            assert!(refused(args), "{args:?}");
        }
    }

    #[test]
    fn flags_after_the_subcommand_or_as_values_are_not() {
        for args in [
            &["ps", "-H", "x"][..],
            &["run", "--host", "x"],
            &["--config", "-H", "ps"],
            &["--config=/d", "ps", "-c", "x"],
            &["-l", "-H", "ps"],
            &["-lH", "ps"],
            &["--tlscert", "--host", "ps"],
            &["--", "-H", "x"],
            &["-", "-H"],
            &["-test.H", "ps"],
            &["-Dtest.c", "ps"],
            &[],
        ] {
            assert!(!refused(args), "{args:?}");
        }
    }

    #[test]
    fn quiet_for_commands_that_do_not_reach_the_daemon() {
        for args in [
            &["__complete", "ps", ""][..],
            &["__completeNoDesc", "rm", ""],
            &["completion", "bash"],
            &["--help"],
            &["-v"],
            &["--version"],
            &["-D", "--version"],
            &["ps", "--help"],
            &["help"],
        ] {
            assert!(matches!(s(args), Scan::Ok { quiet: true, .. }), "{args:?}");
        }
        for args in [&["ps"][..], &["version"], &["run", "x", "-v"], &[]] {
            assert!(matches!(s(args), Scan::Ok { quiet: false, .. }), "{args:?}");
        }
    }

    #[test]
    fn the_command_is_the_first_word_after_the_global_flags() {
        for (args, at) in [
            (&["rm", "x"][..], 0),
            (&["-l", "debug", "rm", "x"], 2),
            (&["--log-level=info", "system", "prune"], 1),
            (&["-D", "--config", "/d", "rm"], 3),
            (&["-ldebug", "rm"], 1),
            (&["--", "rm"], 1),
            (&["-D"], 1),
            (&[], 0),
        ] {
            assert!(
                matches!(s(args), Scan::Ok { command, .. } if command == at),
                "{args:?}: {:?}",
                s(args)
            );
        }
    }
}
