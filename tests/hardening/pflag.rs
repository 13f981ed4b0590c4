//! A model of how the docker client reads its global flags, written from
//! docker/cli and spf13/pflag (not from src/flags.rs), so the two can be
//! checked against each other.
//!
//! docker/cli `TopLevelCommand.HandleGlobalFlags` (cli/cobra.go) parses the
//! arguments with a fresh pflag FlagSet holding the root command's flags and
//! persistent flags, interspersing off: it stops at the first non-flag word
//! (the command). pflag's `parseArgs`, `parseLongArg`, `parseShortArg` and
//! `parseSingleShortArg` (flag.go) are followed step by step below; Go
//! strings are bytes, as here.

/// What docker makes of the words before its command.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Outcome {
    /// The word (the first of them) that pflag took as `-H`/`--host` or
    /// `-c`/`--context`: docker would talk to another engine, or refuse.
    Engine(Vec<u8>),
    /// pflag stops with an error before any such word: docker refuses the
    /// command line and talks to no engine.
    Fails,
    /// No engine flag: docker runs the command against DOCKER_HOST.
    Passes,
}

struct Flag {
    name: &'static str,
    shorthand: Option<u8>,
    /// Bool flags have NoOptDefVal "true": a value only as `--name=v` or `-n=v`.
    boolean: bool,
}

/// cli/flags/options.go InstallFlags, `--version`/`-v` and `--config` from
/// cmd/docker/docker.go, and the persistent `--help`/`-h` from
/// cli/cobra.go setupCommonRootCommand.
const FLAGS: &[Flag] = &[
    flag("config", None, false),
    flag("context", Some(b'c'), false),
    flag("debug", Some(b'D'), true),
    flag("help", Some(b'h'), true),
    flag("host", Some(b'H'), false),
    flag("log-level", Some(b'l'), false),
    flag("tls", None, true),
    flag("tlscacert", None, false),
    flag("tlscert", None, false),
    flag("tlskey", None, false),
    flag("tlsverify", None, true),
    flag("version", Some(b'v'), true),
];

const fn flag(name: &'static str, shorthand: Option<u8>, boolean: bool) -> Flag {
    Flag {
        name,
        shorthand,
        boolean,
    }
}

fn is_engine(f: &Flag) -> bool {
    f.name == "host" || f.name == "context"
}

/// Go's strconv.ParseBool.
fn parse_bool(v: &[u8]) -> bool {
    matches!(
        v,
        b"1" | b"t"
            | b"T"
            | b"TRUE"
            | b"true"
            | b"True"
            | b"0"
            | b"f"
            | b"F"
            | b"FALSE"
            | b"false"
            | b"False"
    )
}

/// Setting a flag: bool flags must parse; the string and list flags take
/// anything at this stage (the host is checked later, when the client
/// initialises, after the command line was accepted).
fn set(f: &Flag, value: &[u8]) -> Result<(), ()> {
    if f.boolean && !parse_bool(value) {
        return Err(());
    }
    Ok(())
}

pub fn parse(args: &[Vec<u8>]) -> Outcome {
    let mut engine: Option<Vec<u8>> = None;
    let mut args = args;
    // parseArgs
    while let Some((s, rest)) = args.split_first() {
        args = rest;
        if s.is_empty() || s[0] != b'-' || s.len() == 1 {
            // Not interspersed: the command and everything after it are arguments.
            break;
        }
        let step = if s[1] == b'-' {
            if s.len() == 2 {
                // "--" terminates the flags.
                break;
            }
            parse_long_arg(s, &mut args)
        } else {
            parse_short_arg(s, &mut args)
        };
        match step {
            Step::Ok { engine_flag } => {
                if engine_flag && engine.is_none() {
                    engine = Some(s.clone());
                }
            }
            // The flag was recognised as an engine flag but failed (no value):
            // it was still read as that flag.
            Step::Err { engine_flag: true } => return Outcome::Engine(engine.unwrap_or(s.clone())),
            Step::Err { engine_flag: false } => {
                return engine.map_or(Outcome::Fails, Outcome::Engine);
            }
        }
    }
    engine.map_or(Outcome::Passes, Outcome::Engine)
}

enum Step {
    Ok { engine_flag: bool },
    Err { engine_flag: bool },
}

fn parse_long_arg(s: &[u8], args: &mut &[Vec<u8>]) -> Step {
    let name = &s[2..];
    if name.is_empty() || name[0] == b'-' || name[0] == b'=' {
        // "bad flag syntax"
        return Step::Err { engine_flag: false };
    }
    let (name, value) = match name.iter().position(|&b| b == b'=') {
        Some(eq) => (&name[..eq], Some(&name[eq + 1..])),
        None => (name, None),
    };
    let Some(flag) = FLAGS.iter().find(|f| f.name.as_bytes() == name) else {
        // "unknown flag" (`--help` is defined, so no ErrHelp here)
        return Step::Err { engine_flag: false };
    };
    let engine_flag = is_engine(flag);
    let value: Vec<u8> = match value {
        Some(v) => v.to_vec(),
        None if flag.boolean => b"true".to_vec(),
        None => match args.split_first() {
            Some((v, rest)) => {
                *args = rest;
                v.clone()
            }
            // "flag needs an argument"
            None => return Step::Err { engine_flag },
        },
    };
    match set(flag, &value) {
        Ok(()) => Step::Ok { engine_flag },
        Err(()) => Step::Err { engine_flag },
    }
}

fn parse_short_arg(s: &[u8], args: &mut &[Vec<u8>]) -> Step {
    let mut shorthands = &s[1..];
    let mut engine_flag = false;
    while !shorthands.is_empty() {
        // parseSingleShortArg
        if shorthands.starts_with(b"test.") {
            break;
        }
        let c = shorthands[0];
        let mut out = &shorthands[1..];
        let Some(flag) = FLAGS.iter().find(|f| f.shorthand == Some(c)) else {
            // "unknown shorthand flag"
            return Step::Err { engine_flag };
        };
        let this_engine = is_engine(flag);
        let value: Vec<u8> = if shorthands.len() > 2 && shorthands[1] == b'=' {
            out = b"";
            shorthands[2..].to_vec()
        } else if flag.boolean {
            b"true".to_vec()
        } else if shorthands.len() > 1 {
            out = b"";
            shorthands[1..].to_vec()
        } else if let Some((v, rest)) = args.split_first() {
            *args = rest;
            v.clone()
        } else {
            // "flag needs an argument"
            return Step::Err {
                engine_flag: engine_flag || this_engine,
            };
        };
        engine_flag |= this_engine;
        if set(flag, &value).is_err() {
            return Step::Err { engine_flag };
        }
        shorthands = out;
    }
    Step::Ok { engine_flag }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn p(args: &[&str]) -> Outcome {
        parse(
            &args
                .iter()
                .map(|a| a.as_bytes().to_vec())
                .collect::<Vec<_>>(),
        )
    }

    fn engine(w: &str) -> Outcome {
        Outcome::Engine(w.as_bytes().to_vec())
    }

    /// Cases checked by hand against the docker 28.2.2 client (DOCKER_HOST
    /// on a missing socket, `-H bogus://x` to see whether -H was read).
    #[test]
    fn the_model_answers_as_the_real_client_did() {
        assert_eq!(p(&["--help", "-H", "bogus://x", "ps"]), engine("-H"));
        assert_eq!(p(&["-h", "-H", "bogus://x", "ps"]), engine("-H"));
        assert_eq!(p(&["-test.H", "ps"]), Outcome::Passes);
        assert_eq!(p(&["-Dtest.H", "ps"]), Outcome::Passes);
        assert_eq!(p(&["-D=H", "-H", "bogus://x", "ps"]), Outcome::Fails);
        assert_eq!(p(&["--bogus", "-H", "bogus://x", "ps"]), Outcome::Fails);
        assert_eq!(p(&["-x", "-H", "bogus://x", "ps"]), Outcome::Fails);
        assert_eq!(p(&["-H=", "ps"]), engine("-H="));
        assert_eq!(p(&["-l", "-H", "ps"]), Outcome::Passes);
        assert_eq!(p(&["--tlsverify=false", "-H", "x", "ps"]), engine("-H"));
        assert_eq!(p(&["-vH", "bogus://x"]), engine("-vH"));
        assert_eq!(p(&["--", "-H", "x"]), Outcome::Passes);
        assert_eq!(p(&["ps", "-H", "x"]), Outcome::Passes);
        assert_eq!(p(&["-cx", "--host", "y"]), engine("-cx"));
        assert_eq!(p(&["-H"]), engine("-H"));
        assert_eq!(p(&["---host", "x"]), Outcome::Fails);
    }
}
