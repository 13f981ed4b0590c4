//! A docker command line, read once as the stock clients read it, into a
//! typed line: the root's global flags with their values, the command word,
//! then the command path through docker's tree (aliases resolved) with the
//! command's own flags and arguments. The engine path reads it once, and the
//! refusal (global.rs), the policy and the builder check all judge that one
//! reading, so no two of them can read the words differently.
//!
//! Two parts, read in order and each word once: global.rs reads the words
//! up to the command word (every engine needs that, to refuse `-H`), and
//! command.rs the words from it on, only when something asks
//! ([`Line::command`]: a policy, a `--builder`, a note to print), so an
//! engine without a policy does not pay for docker's tree (tree.rs, which
//! scripts/policy-tree generates from both clients).

use std::cell::OnceCell;
use std::ffi::OsString;
use std::os::unix::ffi::OsStrExt;

mod command;
mod global;
pub mod tree;

pub use command::{Command, Node};
pub use global::{Refused, is_completion};

/// A flag as written: `--name[=value]` or one letter of a `-abc` bundle.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Name<'a> {
    Long(&'a [u8]),
    Short(u8),
}

/// A flag with its value, borrowed from argv.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Flag<'a> {
    pub name: Name<'a>,
    /// `None` for a bool flag written without `=value`.
    pub value: Option<&'a [u8]>,
}

impl Flag<'_> {
    /// Named `long` or, with `short`, that letter.
    fn is(&self, long: &str, short: Option<u8>) -> bool {
        self.name == Name::Long(long.as_bytes())
            || short.is_some_and(|s| self.name == Name::Short(s))
    }

    /// Given and not turned off (`--x`, `--x=true`, `--x=value`; not `--x=false`).
    fn on(&self) -> bool {
        self.value.is_none_or(|v| parse_bool(v) != Some(false))
    }
}

/// The last of `flags` named `long` (or `short`) is given and not turned off.
fn on(flags: &[Flag], long: &str, short: Option<u8>) -> bool {
    flags
        .iter()
        .rfind(|f| f.is(long, short))
        .is_some_and(Flag::on)
}

/// A command line (the words after `NAME-docker`), read.
#[derive(Debug)]
pub struct Line<'a> {
    words: &'a [OsString],
    /// The root command's flags that the client reads before the command
    /// word (`-D`, `--log-level=info`, `--help`), in order.
    pub global: Vec<Flag<'a>>,
    /// Index of the command word: the first word after the global flags
    /// that the client runs as a command; `words.len()` when there is none,
    /// or when the client rejects its global flags.
    pub at: usize,
    /// Boxed: most lines are never read this far, and a small `Line` is
    /// cheaper to hand around.
    command: OnceCell<Box<Command<'a>>>,
}

/// Reads `words` (everything after `NAME-docker`) up to the command word;
/// refused when some client would take another engine from them.
pub fn read(words: &[OsString]) -> Result<Line<'_>, Refused> {
    let g = global::read(words)?;
    Ok(Line {
        words,
        global: g.flags,
        at: g.at,
        command: OnceCell::new(),
    })
}

impl<'a> Line<'a> {
    /// The words the line was read from.
    pub fn words(&self) -> &'a [OsString] {
        self.words
    }

    /// The command word, if any.
    pub fn word(&self) -> Option<&'a [u8]> {
        self.words.get(self.at).map(|w| w.as_bytes())
    }

    /// The command path, its flags and arguments: the words from the
    /// command word on, read on first use.
    pub fn command(&self) -> &Command<'a> {
        self.command.get_or_init(|| {
            let help = on(&self.global, "help", Some(b'h'));
            Box::new(command::read(self.words, self.at, help))
        })
    }

    /// The value of the last global flag `--long` (`--config DIR`), as the
    /// client keeps it.
    pub fn global_value(&self, long: &str) -> Option<&'a [u8]> {
        self.global
            .iter()
            .rfind(|f| f.is(long, None))
            .and_then(|f| f.value)
    }

    /// The words of a completion request (`__complete WORDS…`), the last
    /// being completed.
    #[inline]
    pub fn completion(&self) -> Option<&'a [OsString]> {
        self.word()
            .filter(|w| is_completion(w))
            .map(|_| &self.words[self.at + 1..])
    }

    /// The client does not contact the daemon: it prints help, its version
    /// or a completion script, or answers a completion request.
    pub fn quiet(&self) -> bool {
        let cmd = self.command();
        // `-v` is the root command's own: `docker -v ps` runs ps.
        cmd.help || (cmd.node.is_none() && on(&self.global, "version", Some(b'v')))
    }
}

/// Go's strconv.ParseBool.
pub fn parse_bool(v: &[u8]) -> Option<bool> {
    match v {
        b"1" | b"t" | b"T" | b"TRUE" | b"true" | b"True" => Some(true),
        b"0" | b"f" | b"F" | b"FALSE" | b"false" | b"False" => Some(false),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn words(args: &[&str]) -> Vec<OsString> {
        args.iter().map(OsString::from).collect()
    }

    #[test]
    fn global_flags_keep_their_values() {
        let w = words(&[
            "-D",
            "--log-level=info",
            "-l",
            "warn",
            "-c",
            "default",
            "ps",
        ]);
        let line = read(&w).unwrap();
        assert_eq!(line.word(), Some(&b"ps"[..]));
        assert_eq!(
            line.global,
            [
                Flag {
                    name: Name::Short(b'D'),
                    value: None
                },
                Flag {
                    name: Name::Long(b"log-level"),
                    value: Some(b"info")
                },
                Flag {
                    name: Name::Short(b'l'),
                    value: Some(b"warn")
                },
                Flag {
                    name: Name::Short(b'c'),
                    value: Some(b"default")
                },
            ]
        );
    }

    /// `--help` before the command is help (the persistent flag), and the
    /// last one given counts, in the global flags or the command's.
    #[test]
    fn help_is_read_where_docker_reads_it() {
        let help = |args: &[&str]| {
            let w = words(args);
            let line = read(&w).unwrap();
            (line.command().help, line.command().node.map(|n| n.same_as))
        };
        for args in [
            &["--help", "volume", "rm", "x"][..],
            &["-h", "volume", "rm", "x"],
            &["-D", "--help", "rm", "x"],
            &["--", "--help", "volume", "rm", "x"],
            &["--help", "--", "volume", "rm", "x"],
        ] {
            let (help, node) = help(args);
            assert!(help, "{args:?}");
            assert!(node.is_some_and(|n| n.ends_with(" rm")), "{args:?}");
        }
        for args in [
            &["--help", "rm", "--help=false", "x"][..],
            &["--help=false", "volume", "rm", "x"],
            &["run", "alpine", "echo", "--help"],
        ] {
            assert!(!help(args).0, "{args:?}");
        }
    }

    #[test]
    fn quiet_for_commands_that_do_not_reach_the_daemon() {
        let quiet = |args: &[&str]| read(&words(args)).unwrap().quiet();
        for args in [
            &["__complete", "ps", ""][..],
            &["__completeNoDesc", "rm", ""],
            &["completion", "bash"],
            &["--help"],
            &["--", "--help"],
            &["-v"],
            &["--version"],
            &["-v", "foo"],
            &["-D", "--version"],
            &["ps", "--help"],
            &["--help", "volume", "rm", "x"],
            &["help"],
        ] {
            assert!(quiet(args), "{args:?}");
        }
        for args in [
            &["ps"][..],
            &["version"],
            &["run", "x", "-v"],
            &["run", "alpine", "echo", "--help"],
            &["-v", "volume", "rm", "x"],
            &[],
        ] {
            assert!(!quiet(args), "{args:?}");
        }
    }

    #[test]
    fn a_completion_request_hands_over_the_words_after_its_verb() {
        let w = words(&["-D", "__complete", "rm", ""]);
        let line = read(&w).unwrap();
        assert_eq!(line.completion(), Some(&w[2..]));
        assert_eq!(read(&words(&["rm", "x"])).unwrap().completion(), None);
    }
}
