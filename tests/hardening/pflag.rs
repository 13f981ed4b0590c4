//! A model of how the docker clients pick their engine from a command line,
//! written from docker/cli, spf13/pflag and spf13/cobra (not from
//! crates/dockmux-engine/src/engine/line/global.rs), so the two can be checked against each other (argv.rs);
//! the real clients check both (refusal_corpus.rs).
//!
//! docker/cli's runDocker (cmd/docker/docker.go) first parses the arguments
//! with a fresh pflag FlagSet holding the root command's flags, interspersing
//! off (cli/cobra.go HandleGlobalFlags), then initialises the client. The
//! 20.10 client makes its API client there (cli/command/cli.go Initialize):
//! only this first pass can choose its engine. From 23.0 on the API client is
//! made at first use, after cobra has run the rest (`flags.Args()`): with
//! TraverseChildren the root command parses its flags again from what cobra's
//! Traverse collects, and the `-H` hosts it adds are the ones used (the
//! context was resolved before, so a late `--context` does nothing). pflag's
//! `parseArgs`, `parseLongArg`, `parseShortArg`, `parseSingleShortArg`
//! (flag.go) and cobra's `Traverse`, `isFlagArg`, `execute` (command.go) are
//! followed step by step below; Go strings are bytes, as here.

/// What dockmux must make of a command line.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Outcome {
    /// Some client would use another engine because of this word.
    Engine(Vec<u8>),
    /// No client uses another engine.
    Passes,
}

struct Flag {
    name: &'static str,
    shorthand: Option<u8>,
    /// Bool flags have NoOptDefVal "true": a value only as `--name=v` or `-n=v`.
    boolean: bool,
}

/// cli/flags/options.go InstallFlags, `--version`/`-v` from
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

/// The root command's children in docker 28.2: commands.AddCommands
/// (cli/command/commands/commands.go) and cobra's `help`, `completion`,
/// `__complete` (alias `__completeNoDesc`). `rm`'s alias `remove` is left
/// out: DOCKER_HIDE_LEGACY_COMMANDS removes it, and then `remove` is no
/// command.
const COMMANDS: &str = "run exec ps build pull push images login logout search version info \
    bake builder checkpoint container context image manifest network plugin system trust volume \
    config node secret service stack swarm attach commit cp create diff export kill logs pause \
    port rename restart rm start stats stop top unpause update wait history import load rmi save \
    tag events inspect help completion __complete __completeNoDesc";

fn find_next(word: &[u8]) -> bool {
    COMMANDS
        .split(' ')
        .any(|c| !c.is_empty() && c.as_bytes() == word)
}

fn lookup(name: &[u8]) -> Option<&'static Flag> {
    FLAGS.iter().find(|f| f.name.as_bytes() == name)
}

fn shorthand_lookup(c: u8) -> Option<&'static Flag> {
    FLAGS.iter().find(|f| f.shorthand == Some(c))
}

/// Go's strconv.ParseBool.
fn parse_bool(v: &[u8]) -> Option<bool> {
    match v {
        b"1" | b"t" | b"T" | b"TRUE" | b"true" | b"True" => Some(true),
        b"0" | b"f" | b"F" | b"FALSE" | b"false" | b"False" => Some(false),
        _ => None,
    }
}

/// The values pflag stored, with the word (an index into the command line)
/// that stored each.
#[derive(Default)]
struct FlagSet {
    hosts: Vec<usize>,
    context: Option<(usize, Vec<u8>)>,
    help: bool,
    version: bool,
    /// flags.Args(): the words left.
    args: Vec<(usize, Vec<u8>)>,
}

type Words<'a> = [(usize, &'a [u8])];

impl FlagSet {
    fn set(&mut self, f: &Flag, value: &[u8], word: usize) -> Result<(), ()> {
        if f.boolean {
            let b = parse_bool(value).ok_or(())?;
            match f.name {
                "help" => self.help = b,
                "version" => self.version = b,
                _ => {}
            }
            return Ok(());
        }
        match f.name {
            // A ListOpts without validator: any value is appended.
            "host" => self.hosts.push(word),
            "context" => self.context = Some((word, value.to_vec())),
            _ => {}
        }
        Ok(())
    }

    /// parseArgs; Err on the first error, with what was set until then.
    fn parse_args(&mut self, mut args: &Words, interspersed: bool) -> Result<(), ()> {
        while let Some((&(w, s), rest)) = args.split_first() {
            args = rest;
            if s.is_empty() || s[0] != b'-' || s.len() == 1 {
                self.args.push((w, s.to_vec()));
                if !interspersed {
                    self.args.extend(args.iter().map(|&(w, a)| (w, a.to_vec())));
                    return Ok(());
                }
                continue;
            }
            if s[1] == b'-' {
                if s.len() == 2 {
                    // "--" terminates the flags.
                    self.args.extend(args.iter().map(|&(w, a)| (w, a.to_vec())));
                    break;
                }
                args = self.parse_long_arg(w, s, args)?;
            } else {
                args = self.parse_short_arg(w, s, args)?;
            }
        }
        Ok(())
    }

    fn parse_long_arg<'a, 'b>(
        &mut self,
        w: usize,
        s: &[u8],
        args: &'b Words<'a>,
    ) -> Result<&'b Words<'a>, ()> {
        let name = &s[2..];
        if name.is_empty() || name[0] == b'-' || name[0] == b'=' {
            return Err(()); // bad flag syntax
        }
        let (name, value) = match name.iter().position(|&b| b == b'=') {
            Some(eq) => (&name[..eq], Some(&name[eq + 1..])),
            None => (name, None),
        };
        // `--help` is defined, so no ErrHelp from an unknown one here.
        let f = lookup(name).ok_or(())?; // unknown flag
        let (value, rest) = match value {
            Some(v) => (v, args),
            None if f.boolean => (&b"true"[..], args),
            None => match args.split_first() {
                Some((v, rest)) => (v.1, rest),
                None => return Err(()), // flag needs an argument
            },
        };
        self.set(f, value, w)?;
        Ok(rest)
    }

    fn parse_short_arg<'a, 'b>(
        &mut self,
        w: usize,
        s: &[u8],
        args: &'b Words<'a>,
    ) -> Result<&'b Words<'a>, ()> {
        let mut out_args = args;
        let mut shorthands = &s[1..];
        while !shorthands.is_empty() {
            // parseSingleShortArg, handed the word's original args each time.
            if shorthands.starts_with(b"test.") {
                break;
            }
            let c = shorthands[0];
            let mut out = &shorthands[1..];
            let f = shorthand_lookup(c).ok_or(())?; // unknown shorthand flag
            let value: &[u8] = if shorthands.len() > 2 && shorthands[1] == b'=' {
                out = b"";
                &shorthands[2..]
            } else if f.boolean {
                b"true"
            } else if shorthands.len() > 1 {
                out = b"";
                &shorthands[1..]
            } else if let Some((v, rest)) = args.split_first() {
                out_args = rest;
                v.1
            } else {
                return Err(()); // flag needs an argument
            };
            self.set(f, value, w)?;
            shorthands = out;
        }
        Ok(out_args)
    }
}

/// cobra's isFlagArg.
fn is_flag_arg(a: &[u8]) -> bool {
    (a.len() >= 3 && a.starts_with(b"--")) || (a.len() >= 2 && a[0] == b'-' && a[1] != b'-')
}

/// cobra's hasNoOptDefVal / shortHasNoOptDefVal on the root's flags.
fn has_no_opt_def_val(name: &[u8]) -> bool {
    lookup(name).is_some_and(|f| f.boolean)
}

fn short_has_no_opt_def_val(name: &[u8]) -> bool {
    !name.is_empty() && shorthand_lookup(name[0]).is_some_and(|f| f.boolean)
}

/// cobra's Traverse from the root: Some((flags it collected, position of the
/// child command)) or None when it stops at the root.
fn traverse(args: &Words) -> Option<(usize, usize)> {
    let mut in_flag = false;
    for (i, &(_, arg)) in args.iter().enumerate() {
        let has_eq = arg.contains(&b'=');
        if arg.starts_with(b"--") && !has_eq {
            in_flag = !has_no_opt_def_val(&arg[2..]);
            continue;
        }
        if arg.starts_with(b"-")
            && !has_eq
            && arg.len() == 2
            && !short_has_no_opt_def_val(&arg[1..])
        {
            in_flag = true;
            continue;
        }
        if in_flag {
            in_flag = false;
            continue;
        }
        if is_flag_arg(arg) {
            continue;
        }
        return find_next(arg).then_some((i, i));
    }
    None
}

/// docker/cli's plugin manager: only such a name can be a plugin.
fn plugin_name(w: &[u8]) -> bool {
    !w.is_empty()
        && w[0].is_ascii_lowercase()
        && w.iter()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit())
}

enum Client {
    /// Debian's 20.10: API client made in Initialize.
    Eager,
    /// 23.0 and later (28.2 here): API client made at first use.
    Lazy,
}

/// Whether the client can talk to another engine than DOCKER_HOST's: the
/// word that makes it. `words` is a whole command line.
fn foreign(words: &Words, client: &Client) -> Option<usize> {
    let mut fs = FlagSet::default();
    let first = fs.parse_args(words, false);
    // Initialize runs on success and, for the usage message, on failure too
    // (HandleGlobalFlags); resolveContextName: --context, then -H, then
    // DOCKER_HOST. `default` (or empty: unset) is DOCKER_HOST's own context.
    if let Some(&w) = fs.hosts.first() {
        return Some(w);
    }
    if let Some((w, ctx)) = &fs.context
        && !ctx.is_empty()
        && ctx != b"default"
    {
        return Some(*w);
    }
    if first.is_err() {
        return None;
    }
    if let Client::Eager = client {
        return None;
    }
    let rest: Vec<(usize, &[u8])> = fs.args.iter().map(|(w, a)| (*w, a.as_slice())).collect();
    let &(_, w0) = rest.first()?;
    // runDocker: when cobra's Find fails on the words, a plugin named by the
    // first one runs instead, with the whole command line, and reads its
    // global flags as the client does. dockmux cannot know whether it is
    // installed; without it, the root command gets the words.
    let mut root = FlagSet::default();
    match traverse(&rest) {
        Some((collected, _)) => {
            // root.ParseFlags(collected), then the child runs. Counted even if
            // that parse then fails, where cobra stops before running it.
            let _ = root.parse_args(&rest[..collected], true);
            root.hosts.first().copied()
        }
        None => {
            // root.execute(rest): ParseFlags (interspersed); a flag error goes
            // to docker's FlagErrorFunc and `--help` to its help function,
            // which both ask the engine what to hide; a bare line shows help
            // too. `-v` prints the version; other words are "unknown command".
            let parsed = root.parse_args(&rest, true);
            let host = root.hosts.first().copied()?;
            let contacts = parsed.is_err() || root.help;
            if plugin_name(w0) || !is_flag_arg(w0) && w0 != b"--" {
                // The first word is a plugin's, or no command: only the cases
                // that contact an engine count, so an installed plugin's own
                // `-H` words are not refused.
                contacts.then_some(host)
            } else {
                // Only after `--`: every host the root command reads counts.
                Some(host)
            }
        }
    }
}

/// What dockmux must make of `args` (the words after `NAME-docker`).
pub fn parse(args: &[Vec<u8>]) -> Outcome {
    let words: Vec<(usize, &[u8])> = args.iter().map(|a| a.as_slice()).enumerate().collect();
    let mut from = 0;
    loop {
        let line = &words[from..];
        let hit = foreign(line, &Client::Eager).or_else(|| foreign(line, &Client::Lazy));
        if let Some(i) = hit {
            return Outcome::Engine(args[i].clone());
        }
        // dockmux's rule for a completion request (`__complete WORDS…`, the
        // command the client runs): WORDS is a command line like any other.
        match command_word(line) {
            Some(i) if matches!(&args[i][..], b"__complete" | b"__completeNoDesc") => from = i + 1,
            _ => return Outcome::Passes,
        }
    }
}

/// The word the lazy client runs as its command, if any.
fn command_word(words: &Words) -> Option<usize> {
    let mut fs = FlagSet::default();
    fs.parse_args(words, false).ok()?;
    let rest: Vec<(usize, &[u8])> = fs.args.iter().map(|(w, a)| (*w, a.as_slice())).collect();
    let (_, at) = traverse(&rest)?;
    Some(rest[at].0)
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

    /// Cases checked by hand against the 20.10.24 and 28.2.2 clients
    /// (DOCKER_HOST on a recording socket, `-H` on another).
    #[test]
    fn the_model_answers_as_the_real_clients_did() {
        assert_eq!(p(&["--help", "-H", "bogus://x", "ps"]), engine("-H"));
        assert_eq!(p(&["-h", "-H", "bogus://x", "ps"]), engine("-H"));
        assert_eq!(p(&["-test.H", "ps"]), Outcome::Passes);
        assert_eq!(p(&["-Dtest.H", "ps"]), Outcome::Passes);
        assert_eq!(p(&["-D=H", "-H", "bogus://x", "ps"]), Outcome::Passes);
        assert_eq!(p(&["--bogus", "-H", "bogus://x", "ps"]), Outcome::Passes);
        assert_eq!(p(&["-x", "-H", "bogus://x", "ps"]), Outcome::Passes);
        assert_eq!(p(&["-H=", "ps"]), engine("-H="));
        assert_eq!(p(&["-l", "-H", "ps"]), Outcome::Passes);
        assert_eq!(p(&["--tlsverify=false", "-H", "x", "ps"]), engine("-H"));
        assert_eq!(p(&["-vH", "bogus://x"]), engine("-vH"));
        assert_eq!(p(&["ps", "-H", "x"]), Outcome::Passes);
        assert_eq!(p(&["-cx", "--host", "y"]), engine("--host"));
        assert_eq!(p(&["-H"]), Outcome::Passes);
        assert_eq!(p(&["---host", "x"]), Outcome::Passes);
        assert_eq!(p(&["-c", "default", "version"]), Outcome::Passes);
        assert_eq!(p(&["--context=", "version"]), Outcome::Passes);
        assert_eq!(
            p(&["-c", "evil", "-c", "default", "version"]),
            Outcome::Passes
        );
        assert_eq!(p(&["-c", "default", "-c", "evil", "version"]), engine("-c"));
        // 28.2 reads root flags again after a first `--`; 20.10 does not.
        assert_eq!(p(&["--", "-H", "x", "version"]), engine("-H"));
        assert_eq!(p(&["-D", "--", "-H", "x", "version"]), engine("-H"));
        assert_eq!(p(&["--", "-H", "x"]), engine("-H"));
        assert_eq!(p(&["--", "-c", "evil", "version"]), Outcome::Passes);
        assert_eq!(p(&["--", "--", "-H", "x", "version"]), Outcome::Passes);
        assert_eq!(p(&["--", "version", "-H", "x"]), Outcome::Passes);
        // 28.2's root command reads a line whose first word is no command.
        assert_eq!(p(&["foo", "-H", "x", "--help"]), engine("-H"));
        assert_eq!(p(&["foo", "-H", "x", "-x"]), engine("-H"));
        assert_eq!(p(&["foo", "-H", "x"]), Outcome::Passes);
        assert_eq!(p(&["foo", "-H", "x", "-v"]), Outcome::Passes);
        // Completion requests.
        assert_eq!(p(&["__complete", "-H", "x", "rm", ""]), engine("-H"));
        assert_eq!(p(&["--", "__complete", "-H", "x", "rm", ""]), engine("-H"));
        assert_eq!(p(&["__complete", "foo", "-H", "x", ""]), Outcome::Passes);
    }
}
