//! The words from the command word on, read as the docker client reads
//! them: the command path through docker's cobra tree (each command's names
//! and aliases, from tree.rs), then each level's own flags with pflag's
//! rules, so that `--help` counts only where docker reads it as help and a
//! flag's value is never mistaken for a flag or a command.

use std::ffi::OsString;
use std::os::unix::ffi::OsStrExt;

use super::tree::NODES;
use super::{Flag, Name, parse_bool};

/// One command of docker's tree (or of the compose and buildx plugins').
#[derive(Debug)]
pub struct Node {
    /// The command's words, by their cobra names: `container rm`.
    pub path: &'static str,
    /// The command this one is a shortcut of (`rm` → `container rm`); else `path`.
    pub same_as: &'static str,
    /// More names at its own level (`container remove`).
    pub aliases: &'static [&'static str],
    /// Its long flags that take a value (`--filter f`).
    pub long: &'static [&'static str],
    /// Its shorthands that take a value (`-t 5`).
    pub short: &'static [u8],
    /// Which clients have it: tree::V20, V28, PLUGIN.
    pub clients: u8,
}

impl Node {
    fn name(&self) -> &'static str {
        self.path.rsplit(' ').next().unwrap_or(self.path)
    }

    fn parent(&self) -> &'static str {
        self.path.rsplit_once(' ').map_or("", |(p, _)| p)
    }

    /// The words that reach this command from its parent.
    pub fn names(&self) -> impl Iterator<Item = &'static str> {
        std::iter::once(self.name()).chain(self.aliases.iter().copied())
    }

    /// It has subcommands (alone, it prints its help).
    pub fn is_group(&self) -> bool {
        NODES.iter().any(|n| is_below(n.path, self.path))
    }

    /// run, create and exec stop reading their flags at the image or
    /// container (pflag interspersing off): what follows is the container's.
    fn interspersed(&self) -> bool {
        !matches!(
            self.same_as,
            "container run"
                | "container create"
                | "container exec"
                | "compose run"
                | "compose exec"
        )
    }
}

/// The command of a line: its path in docker's tree, its flags and its
/// arguments.
#[derive(Debug, Default)]
pub struct Command<'a> {
    /// The command the words reach; `None` when the first word is none of
    /// docker's (a plugin dockmux does not know, a typo) or there is none.
    pub node: Option<&'static Node>,
    /// Whether any word at all names a command (`None` with words: unknown).
    pub has_command: bool,
    /// Flags of the command and of the levels above it (compose's `--dry-run`).
    pub flags: Vec<Flag<'a>>,
    /// The command's arguments.
    pub args: Vec<&'a [u8]>,
    /// docker would print help instead of running anything.
    pub help: bool,
}

impl<'a> Command<'a> {
    /// The last `--long` (or `-short`) is given and not turned off
    /// (`--x`, `--x=true`, `--x=VALUE`; not `--x=false`).
    pub fn on(&self, long: &str, short: Option<u8>) -> bool {
        super::on(&self.flags, long, short)
    }

    /// Every value given for a flag, by its long name or its shorthand.
    pub fn values(&self, long: &str, short: Option<u8>) -> Vec<&'a [u8]> {
        self.flags
            .iter()
            .filter(|f| f.is(long, short))
            .filter_map(|f| f.value)
            .collect()
    }
}

/// Reads `args` from the command word (at `i`) on; `help` is what the
/// global flags said of `--help`.
pub(super) fn read(args: &[OsString], mut i: usize, help: bool) -> Command<'_> {
    let mut line = Command {
        help,
        ..Command::default()
    };
    // cobra's own commands: help, and completion (scripts and answers).
    if let Some(first) = args.get(i).map(|a| a.as_bytes())
        && (first == b"help" || first == b"completion" || first.starts_with(b"__complete"))
    {
        line.has_command = true;
        line.help = true;
        return line;
    }
    let mut node: Option<&'static Node> = None;
    while let Some(word) = args.get(i) {
        let Some(next) = child(node, word.as_bytes()) else {
            break;
        };
        line.has_command = true;
        node = Some(next);
        i += 1;
        if !next.is_group() {
            break;
        }
        // A group's own flags come before its subcommand (cobra TraverseChildren).
        let stop = read_flags(next, &args[i..], &mut line, true);
        i += stop;
    }
    if !line.has_command && i < args.len() {
        line.has_command = true;
    }
    line.node = node;
    if let Some(n) = node {
        read_flags(n, &args[i..], &mut line, false);
    }
    line
}

/// The command `word` names under `parent` (the root when `None`).
fn child(parent: Option<&Node>, word: &[u8]) -> Option<&'static Node> {
    let under = parent.map_or("", |p| p.path);
    // The cheap test first: most nodes end in another word.
    let find = |under: &str| {
        NODES.iter().find(|n| {
            let named = n.path.as_bytes().ends_with(word) && n.name().as_bytes() == word;
            (named || n.aliases.iter().any(|a| a.as_bytes() == word)) && n.parent() == under
        })
    };
    find(under).or_else(|| match under {
        // With buildx installed, `docker builder …` runs `docker buildx …`.
        "builder" => find("buildx"),
        _ => None,
    })
}

/// `path` is a command directly or further below `parent` (the root: "").
fn is_below(path: &str, parent: &str) -> bool {
    parent.is_empty()
        || path
            .strip_prefix(parent)
            .is_some_and(|r| r.starts_with(' '))
}

/// pflag over one level's words: flags go to `line`, arguments to
/// `line.args`. With `group`, stops at the first argument (the subcommand)
/// and returns its index; `--` ends the flags.
fn read_flags<'a>(
    node: &Node,
    words: &'a [OsString],
    line: &mut Command<'a>,
    group: bool,
) -> usize {
    let mut i = 0;
    let mut flags_done = false;
    while i < words.len() {
        let w = words[i].as_bytes();
        if flags_done || w.len() < 2 || w[0] != b'-' {
            if group {
                return i;
            }
            line.args.push(w);
            if !node.interspersed() {
                flags_done = true;
            }
            i += 1;
            continue;
        }
        i += 1;
        if w == b"--" {
            if group {
                // cobra stops at `--` before a subcommand: nothing runs.
                return words.len();
            }
            flags_done = true;
            continue;
        }
        if let Some(long) = w.strip_prefix(b"--") {
            let (name, value) = match long.iter().position(|&b| b == b'=') {
                Some(eq) => (&long[..eq], Some(&long[eq + 1..])),
                None if node.long.iter().any(|l| l.as_bytes() == long) => {
                    let v = words.get(i).map(|v| v.as_bytes());
                    i += 1;
                    (long, v.or(Some(b"")))
                }
                None => (long, None),
            };
            note(
                node,
                line,
                Flag {
                    name: Name::Long(name),
                    value,
                },
            );
            continue;
        }
        // A bundle: `-af`, `-t5`, `-t=5`, `-h=false`.
        let letters = &w[1..];
        let mut j = 0;
        while j < letters.len() {
            let c = letters[j];
            let rest = &letters[j + 1..];
            if let Some(v) = rest.strip_prefix(b"=") {
                note(
                    node,
                    line,
                    Flag {
                        name: Name::Short(c),
                        value: Some(v),
                    },
                );
                break;
            }
            if node.short.contains(&c) {
                let value = if rest.is_empty() {
                    i += 1;
                    words.get(i - 1).map_or(&b""[..], |v| v.as_bytes())
                } else {
                    rest
                };
                note(
                    node,
                    line,
                    Flag {
                        name: Name::Short(c),
                        value: Some(value),
                    },
                );
                break;
            }
            note(
                node,
                line,
                Flag {
                    name: Name::Short(c),
                    value: None,
                },
            );
            j += 1;
        }
    }
    words.len()
}

/// Records a flag; `--help`/`-h` set or clear help as pflag would (`-h`
/// is not help where the command has a `-h` of its own: run's --hostname).
fn note<'a>(node: &Node, line: &mut Command<'a>, flag: Flag<'a>) {
    let help = match flag.name {
        Name::Long(b"help") => true,
        Name::Short(b'h') => !node.short.contains(&b'h'),
        _ => false,
    };
    if help {
        line.help = flag.value.is_none_or(|v| parse_bool(v) == Some(true));
    }
    line.flags.push(flag);
}

#[cfg(test)]
mod tests {
    use super::*;

    fn line(args: &[&str]) -> (Option<&'static str>, bool, Vec<String>) {
        let args: Vec<OsString> = args.iter().map(OsString::from).collect();
        let line = super::super::read(&args).unwrap();
        let l = line.command();
        (
            l.node.map(|n| n.same_as),
            l.help,
            l.args
                .iter()
                .map(|a| String::from_utf8_lossy(a).into_owned())
                .collect(),
        )
    }

    #[test]
    fn paths_aliases_and_global_flags() {
        for (args, want) in [
            (&["rm", "x"][..], "container rm"),
            (&["container", "remove", "x"], "container rm"),
            (&["-l", "debug", "rm", "x"], "container rm"),
            (&["--log-level=info", "system", "prune"], "system prune"),
            (&["--", "-l", "debug", "rmi", "x"], "image rm"),
            (&["image", "rmi", "x"], "image rm"),
            (&["stack", "down", "s"], "stack rm"),
            (
                &["compose", "-f", "x.yml", "-p", "p", "down"],
                "compose down",
            ),
            (&["builder", "prune"], "builder prune"),
            (&["builder", "du"], "buildx du"),
            (
                &["buildx", "--builder", "b", "history", "rm"],
                "buildx history rm",
            ),
        ] {
            assert_eq!(line(args).0, Some(want), "{args:?}");
        }
    }

    #[test]
    fn help_only_where_docker_reads_it() {
        assert!(line(&["rm", "--help"]).1);
        assert!(line(&["rm", "-fh", "x"]).1);
        assert!(line(&["container", "--help", "rm", "x"]).1);
        assert!(!line(&["rm", "--help=false", "x"]).1);
        assert!(!line(&["rm", "x", "--", "--help"]).1);
        assert!(!line(&["stop", "-t", "--help", "x"]).1);
        assert!(!line(&["run", "alpine", "echo", "--help"]).1);
        assert!(!line(&["run", "--name", "-h", "alpine"]).1);
        // run's -h is --hostname: `-h 1` and `-h=true` name a host.
        assert!(!line(&["run", "-h", "1", "--privileged", "alpine"]).1);
        assert!(!line(&["run", "-h=true", "alpine"]).1);
    }

    #[test]
    fn values_are_not_commands_or_arguments() {
        assert_eq!(line(&["stop", "-t", "5", "x"]).2, ["x"]);
        assert_eq!(
            line(&["run", "-v", "/:/h", "alpine", "-v"]).2,
            ["alpine", "-v"]
        );
        assert_eq!(
            line(&["volume", "prune", "--filter", "all", "-f"]).2,
            Vec::<String>::new()
        );
    }
}
