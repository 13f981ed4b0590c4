//! docker's global flags, read as the stock clients read them: where the
//! command word is, the root's flags before it, and whether the line would
//! go to another engine, which `NAME-docker` refuses. This is the one place
//! that knows docker's global flags and where its command starts.
//!
//! How the clients read a command line (docker/cli cmd/docker/docker.go
//! runDocker, cli/cobra.go HandleGlobalFlags, spf13/pflag, spf13/cobra):
//! 1. First pass: pflag with interspersing off, over the root flags. It ends
//!    at the first non-flag word (the command), at `--`, or at an error.
//!    Every client takes `-H`/`--host` and `-c`/`--context` from here.
//! 2. cobra then runs the rest, and since docker 23 the client connects
//!    lazily, so root flags that cobra parses again still pick the engine
//!    (20.10 made its client before that and ignores them). cobra parses
//!    root flags again when the rest does not start with a built-in command:
//!    after `--` (Traverse collects flags up to the first command word) and
//!    when the first word is no built-in (maybe a plugin; otherwise the root
//!    command parses the whole rest, interspersed). A `--context` read then
//!    is too late to matter; a `-H` is not.
//! 3. A completion request (`__complete WORDS…`) parses WORDS as a command
//!    line; dockmux refuses it as it would refuse WORDS.

use std::ffi::OsString;
use std::os::unix::ffi::OsStrExt;

use super::{Flag, Name, parse_bool};

/// A line some client would run on another engine: the word that makes it,
/// and whether it came inside a completion request.
#[derive(Debug, PartialEq, Eq)]
pub struct Refused {
    pub word: String,
    pub completion: bool,
}

/// The root's part of a line.
pub(super) struct Global<'a> {
    /// Index of the command word (`args.len()`: none, or a rejected line).
    pub at: usize,
    /// The root flags read before it.
    pub flags: Vec<Flag<'a>>,
}

#[derive(Clone, Copy, PartialEq, Eq)]
enum Role {
    Host,
    Context,
    Other,
}

struct RootFlag {
    long: &'static [u8],
    short: u8,
    /// Bool flags take a value only as `--name=v` / `-n=v`.
    boolean: bool,
    role: Role,
}

const fn flag(long: &'static [u8], short: u8, boolean: bool, role: Role) -> RootFlag {
    RootFlag {
        long,
        short,
        boolean,
        role,
    }
}

/// The root command's flags: cli/flags/options.go InstallFlags, `--version`
/// from cmd/docker/docker.go, the persistent `--help` from cli/cobra.go.
const FLAGS: &[RootFlag] = &[
    flag(b"config", 0, false, Role::Other),
    flag(b"context", b'c', false, Role::Context),
    flag(b"debug", b'D', true, Role::Other),
    flag(b"help", b'h', true, Role::Other),
    flag(b"host", b'H', false, Role::Host),
    flag(b"log-level", b'l', false, Role::Other),
    flag(b"tls", 0, true, Role::Other),
    flag(b"tlscacert", 0, false, Role::Other),
    flag(b"tlscert", 0, false, Role::Other),
    flag(b"tlskey", 0, false, Role::Other),
    flag(b"tlsverify", 0, true, Role::Other),
    flag(b"version", b'v', true, Role::Other),
];

/// The top-level commands of docker 28.2 (cli/command/commands/commands.go,
/// plus cobra's help, completion and `__complete`), sorted. Left out: the
/// alias `remove` of `rm`, which DOCKER_HIDE_LEGACY_COMMANDS takes away.
const COMMANDS: &[&[u8]] = &[
    b"__complete",
    b"__completeNoDesc",
    b"attach",
    b"bake",
    b"build",
    b"builder",
    b"checkpoint",
    b"commit",
    b"completion",
    b"config",
    b"container",
    b"context",
    b"cp",
    b"create",
    b"diff",
    b"events",
    b"exec",
    b"export",
    b"help",
    b"history",
    b"image",
    b"images",
    b"import",
    b"info",
    b"inspect",
    b"kill",
    b"load",
    b"login",
    b"logout",
    b"logs",
    b"manifest",
    b"network",
    b"node",
    b"pause",
    b"plugin",
    b"port",
    b"ps",
    b"pull",
    b"push",
    b"rename",
    b"restart",
    b"rm",
    b"rmi",
    b"run",
    b"save",
    b"search",
    b"secret",
    b"service",
    b"stack",
    b"start",
    b"stats",
    b"stop",
    b"swarm",
    b"system",
    b"tag",
    b"top",
    b"trust",
    b"unpause",
    b"update",
    b"version",
    b"volume",
    b"wait",
];

fn is_command(word: &[u8]) -> bool {
    COMMANDS.binary_search(&word).is_ok()
}

/// cobra's completion request verbs.
pub fn is_completion(word: &[u8]) -> bool {
    word == b"__complete" || word == b"__completeNoDesc"
}

/// Reads `args` as docker would up to the command word; refused when it
/// goes to another engine.
pub(super) fn read(args: &[OsString]) -> Result<Global<'_>, Refused> {
    let mut global = Global {
        at: args.len(),
        flags: Vec::new(),
    };
    // Where the command line being read starts: past a completion verb, the
    // words after it are a command line of their own.
    let mut base = 0;
    loop {
        let line = &args[base..];
        let first = pflag(line, false);
        let refuse = |at: usize| Refused {
            word: lossy(args[base + at].as_bytes()),
            completion: base > 0,
        };
        if let Some(at) = first.host.or(first.context) {
            return Err(refuse(at));
        }
        if first.error {
            // The client rejects the line before it runs anything.
            break;
        }
        let rest = first.stop + usize::from(first.dash);
        if base == 0 {
            global.flags = first.flags;
        }
        let (at, again) = again(&line[rest..]).map_err(|at| refuse(rest + at))?;
        if base == 0 && !again.is_empty() {
            global.flags.extend(again);
        }
        let Some(at) = at else {
            break;
        };
        if base == 0 {
            global.at = rest + at;
        }
        if !is_completion(args[base + rest + at].as_bytes()) {
            break;
        }
        base += rest + at + 1;
    }
    Ok(global)
}

/// cobra's run of what the first pass left (`rest`), in a client that
/// connects lazily: the index of the command word, if any, and the root
/// flags cobra reads; or the index of a `-H` that takes effect.
fn again(rest: &[OsString]) -> Result<(Option<usize>, Vec<Flag<'_>>), usize> {
    if rest.is_empty() {
        return Ok((None, Vec::new()));
    }
    match traverse(rest) {
        // The usual line: the command word comes first.
        Found::Command(0) => Ok((Some(0), Vec::new())),
        // The root command parses the flags before the command word.
        Found::Command(at) => {
            let root = pflag(&rest[..at], true);
            match root.host {
                Some(host) => Err(host),
                None => Ok((Some(at), root.flags)),
            }
        }
        // A first word that is no command: a plugin gets the words if it is
        // installed. Otherwise the root command parses them all, and reaches
        // its engine only to print help or a flag error (it asks the engine
        // what to hide).
        Found::NotCommand(0) => {
            let root = pflag(rest, true);
            let help = super::on(&root.flags, "help", Some(b'h'));
            match root.host {
                Some(host) if root.error || help => Err(host),
                _ => Ok((Some(0), Vec::new())),
            }
        }
        // Only after `--`: no plugin; the root command parses all the words.
        Found::NotCommand(_) | Found::Nothing => {
            let root = pflag(rest, true);
            match root.host {
                Some(host) => Err(host),
                None => Ok((None, root.flags)),
            }
        }
    }
}

enum Found {
    Command(usize),
    NotCommand(usize),
    Nothing,
}

/// cobra's Command.Traverse from the root: the first word it does not take
/// for a flag or a flag's value, and whether that is a command.
fn traverse(args: &[OsString]) -> Found {
    let mut value_next = false;
    for (i, arg) in args.iter().enumerate() {
        let a = arg.as_bytes();
        let has_eq = a.contains(&b'=');
        if a.starts_with(b"--") && !has_eq {
            value_next = !long(&a[2..]).is_some_and(|f| f.boolean);
        } else if a.len() == 2 && a[0] == b'-' && !has_eq {
            value_next = !short(a[1]).is_some_and(|f| f.boolean);
        } else if value_next {
            value_next = false;
        } else if !is_flag_like(a) {
            return match is_command(a) {
                true => Found::Command(i),
                false => Found::NotCommand(i),
            };
        }
    }
    Found::Nothing
}

/// cobra's isFlagArg.
fn is_flag_like(a: &[u8]) -> bool {
    (a.len() >= 3 && a.starts_with(b"--")) || (a.len() >= 2 && a[0] == b'-' && a[1] != b'-')
}

fn long(name: &[u8]) -> Option<&'static RootFlag> {
    FLAGS.iter().find(|f| f.long == name)
}

fn short(c: u8) -> Option<&'static RootFlag> {
    FLAGS.iter().find(|f| f.short == c && c != 0)
}

/// What one pflag parse of the root flags found.
#[derive(Default)]
struct Parsed<'a> {
    /// Where it stopped: the first non-flag word (interspersing off), `--`,
    /// the word in error, or the end.
    stop: usize,
    dash: bool,
    error: bool,
    /// The first word that set `-H`.
    host: Option<usize>,
    /// The word that set `--context` to a context other than the one
    /// DOCKER_HOST makes (`default`, or empty: unset).
    context: Option<usize>,
    /// The flags it set, in order.
    flags: Vec<Flag<'a>>,
}

/// spf13/pflag's parseArgs over the root flags (flag.go: parseLongArg,
/// parseShortArg, parseSingleShortArg), stopping at the first error.
fn pflag(args: &[OsString], interspersed: bool) -> Parsed<'_> {
    let mut p = Parsed {
        stop: args.len(),
        ..Parsed::default()
    };
    let mut i = 0;
    while i < args.len() {
        let at = i;
        let s = args[i].as_bytes();
        i += 1;
        if s.len() < 2 || s[0] != b'-' {
            if interspersed {
                continue;
            }
            p.stop = at;
            return p;
        }
        if s == b"--" {
            p.stop = at;
            p.dash = true;
            return p;
        }
        let ok = if s[1] == b'-' {
            long_arg(&mut p, args, &mut i, at)
        } else {
            short_arg(&mut p, args, &mut i, at)
        };
        if !ok {
            p.stop = at;
            p.error = true;
            return p;
        }
    }
    p
}

fn long_arg<'a>(p: &mut Parsed<'a>, args: &'a [OsString], i: &mut usize, at: usize) -> bool {
    let name = &args[at].as_bytes()[2..];
    if name[0] == b'-' || name[0] == b'=' {
        return false; // bad flag syntax
    }
    let (name, inline) = match name.iter().position(|&b| b == b'=') {
        Some(eq) => (&name[..eq], Some(&name[eq + 1..])),
        None => (name, None),
    };
    let Some(flag) = long(name) else {
        return false; // unknown flag
    };
    let value = match inline {
        Some(v) => Some(v),
        None if flag.boolean => None,
        None => match args.get(*i) {
            Some(v) => {
                *i += 1;
                Some(v.as_bytes())
            }
            None => return false, // flag needs an argument
        },
    };
    set(p, flag, Name::Long(name), value, at)
}

fn short_arg<'a>(p: &mut Parsed<'a>, args: &'a [OsString], i: &mut usize, at: usize) -> bool {
    let mut shorthands = &args[at].as_bytes()[1..];
    while let Some(&c) = shorthands.first() {
        // pflag skips go test's flags (`-test.v`) to the end of the word.
        if shorthands.starts_with(b"test.") {
            break;
        }
        let Some(flag) = short(c) else {
            return false; // unknown shorthand flag
        };
        let value;
        if shorthands.len() > 2 && shorthands[1] == b'=' {
            value = Some(&shorthands[2..]);
            shorthands = b"";
        } else if flag.boolean {
            value = None;
            shorthands = &shorthands[1..];
        } else if shorthands.len() > 1 {
            value = Some(&shorthands[1..]);
            shorthands = b"";
        } else if let Some(v) = args.get(*i) {
            *i += 1;
            value = Some(v.as_bytes());
            shorthands = b"";
        } else {
            return false; // flag needs an argument
        }
        if !set(p, flag, Name::Short(c), value, at) {
            return false;
        }
    }
    true
}

/// Sets a flag as pflag would; false where pflag fails (a bool that is no
/// Go bool).
fn set<'a>(
    p: &mut Parsed<'a>,
    flag: &RootFlag,
    name: Name<'a>,
    value: Option<&'a [u8]>,
    at: usize,
) -> bool {
    if flag.boolean && value.is_some_and(|v| parse_bool(v).is_none()) {
        return false;
    }
    match flag.role {
        Role::Host => {
            p.host.get_or_insert(at);
        }
        // The last one counts; `default` is the context DOCKER_HOST makes.
        Role::Context => {
            p.context = value
                .is_some_and(|v| !matches!(v, b"" | b"default"))
                .then_some(at)
        }
        Role::Other => {}
    }
    p.flags.push(Flag { name, value });
    true
}

fn lossy(b: &[u8]) -> String {
    String::from_utf8_lossy(b).into_owned()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn s(args: &[&str]) -> Result<usize, Refused> {
        read(&args.iter().map(OsString::from).collect::<Vec<_>>()).map(|g| g.at)
    }

    fn refused(args: &[&str]) -> Option<String> {
        s(args).err().map(|r| r.word)
    }

    #[test]
    fn the_command_list_is_sorted_for_binary_search() {
        assert!(COMMANDS.windows(2).all(|w| w[0] < w[1]));
    }

    #[test]
    fn every_spelling_of_host_and_context_is_refused() {
        for (args, word) in [
            (&["-H", "x", "ps"][..], "-H"),
            (&["-Hx", "ps"], "-Hx"),
            (&["-H=x", "ps"], "-H=x"),
            (&["--host", "x", "ps"], "--host"),
            (&["--host=x", "ps"], "--host=x"),
            (&["-DH", "x", "ps"], "-DH"),
            (&["-c", "ctx", "ps"], "-c"),
            (&["-cctx", "ps"], "-cctx"),
            (&["-c=ctx", "ps"], "-c=ctx"),
            (&["--context=ctx"], "--context=ctx"),
            (&["-c", "default", "-c", "x", "ps"], "-c"),
            (&["--config", "/d", "-H", "x", "ps"], "-H"),
            (&["-l", "debug", "--host=", "ps"], "--host="),
            (&["-D", "-c", "x"], "-c"),
            (&["-c", "x", "--bogus"], "-c"),
            // Read again after a first `--` by docker >= 23.
            (&["--", "-H", "x", "version"], "-H"),
            (&["--", "--host=x", "ps"], "--host=x"),
            (&["-D", "--", "-Hx", "ps"], "-Hx"),
            (&["--", "-H", "x"], "-H"),
            (&["--", "-D", "-H", "x", "volume", "ls"], "-H"),
            // The root command reads a line it has no command for.
            (&["foo", "-H", "x", "--help"], "-H"),
            (&["foo", "-H", "x", "-x"], "-H"),
            // A completion request's words are a command line.
            (&["__complete", "-H", "x", "rm", ""], "-H"),
            (&["__completeNoDesc", "--context=x", ""], "--context=x"),
            (&["-D", "__complete", "--", "-H", "x", "rm", ""], "-H"),
            (&["--", "__complete", "-H", "x", "rm", ""], "-H"),
        ] {
            assert_eq!(refused(args).as_deref(), Some(word), "{args:?}");
        }
    }

    #[test]
    fn what_reaches_docker_s_engine_passes() {
        for args in [
            &["ps", "-H", "x"][..],
            &["run", "--host", "x"],
            &["--config", "-H", "ps"],
            &["--config=/d", "ps", "-c", "x"],
            &["-l", "-H", "ps"],
            &["-lH", "ps"],
            &["--tlscert", "--host", "ps"],
            &["-", "-H"],
            &["-test.H", "ps"],
            &["-Dtest.c", "ps"],
            &["-c", "default", "ps"],
            &["--context=", "ps"],
            &["-c", "x", "-c", "default", "ps"],
            &["--", "-c", "x", "version"],
            &["--", "--", "-H", "x", "version"],
            &["--", "version", "-H", "x"],
            &["--", "ps", "-H", "x"],
            &["--bogus", "-H", "x"],
            // docker's own error: a flag that needs a value and has none sets nothing.
            &["-H"],
            &["-D", "--host"],
            &["-x", "-H", "x", "ps"],
            &["foo", "-H", "x"],
            &["foo", "-H", "x", "-v"],
            &["foo", "--", "-H", "x", "--help"],
            &["compose", "exec", "web", "curl", "-H", "X: y", "url"],
            &["__complete", "ps", "-H", ""],
            &[],
        ] {
            assert_eq!(refused(args), None, "{args:?}");
        }
    }

    #[test]
    fn a_refusal_inside_a_completion_request_says_so() {
        assert_eq!(
            s(&["__complete", "-H", "x", ""]),
            Err(Refused {
                word: "-H".into(),
                completion: true
            })
        );
        assert_eq!(
            s(&["-H", "x", "__complete", ""]),
            Err(Refused {
                word: "-H".into(),
                completion: false
            })
        );
    }

    #[test]
    fn the_command_word_is_found_after_the_global_flags() {
        for (args, at) in [
            (&["ps"][..], 0),
            (&["-D", "-l", "debug", "ps", "-a"], 3),
            (&["--config", "/d", "--", "ps"], 3),
            (&["--", "-D", "ps"], 2),
            (&["--", "--", "x", "ps"], 3),
            (&["-D"], 1),
            (&["--bogus", "ps"], 2),
            (&["foo", "bar"], 0),
            (&["__complete", "-D", "rm", ""], 0),
            (&["rm", "x"], 0),
            (&["-l", "debug", "rm", "x"], 2),
            (&["--log-level=info", "system", "prune"], 1),
            (&["-D", "--config", "/d", "rm"], 3),
            (&["-ldebug", "rm"], 1),
            (&["--", "rm"], 1),
            (&[], 0),
        ] {
            assert_eq!(s(args), Ok(at), "{args:?}");
        }
    }
}
