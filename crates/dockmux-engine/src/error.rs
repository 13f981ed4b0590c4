//! dockmux's typed errors. `main` is the one place that prints them, prefixed
//! with the name dockmux was invoked as, and turns them into an exit code.

use std::ffi::{OsStr, OsString};
use std::fmt;
use std::path::PathBuf;

use crate::exit_codes::ExitCode;

/// A place in a config file, for messages: `PATH:LINE:COL`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Place {
    /// `None` for the built-in default config.
    pub file: Option<PathBuf>,
    pub line: usize,
    pub col: usize,
}

impl fmt::Display for Place {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match &self.file {
            Some(p) => write!(f, "{}:{}:{}", p.display(), self.line, self.col),
            None => write!(f, "<built-in config>:{}:{}", self.line, self.col),
        }
    }
}

#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// The config is malformed or invalid at a known place.
    #[error("{place}: {message}")]
    ConfigAt { place: Place, message: String },

    /// A config file, the client it names or an engine's TLS material could
    /// be changed by others (crates/dockmux-engine/src/files/secure.rs). `what` names the thing and,
    /// for what the config points at, the config key and file.
    #[error("refusing to use {what}: {problem}; fix: {fix}")]
    Insecure {
        what: String,
        problem: String,
        fix: String,
    },

    /// A config file larger than any real one (over `cap` bytes, the
    /// config's MAX_CONFIG_BYTES): refused before reading it.
    #[error(
        "refusing to read config {path}: it holds {size} bytes or more, over the {cap} bytes (1 MiB) a config may hold; \
         a config takes a few hundred bytes per engine, so check what wrote this one and replace it"
    )]
    ConfigTooLarge { path: PathBuf, size: u64, cap: u64 },

    /// Reading a config file failed (other than "does not exist").
    #[error("cannot read config {path}: {source}")]
    ConfigRead {
        path: PathBuf,
        source: std::io::Error,
    },

    /// `$DOCKMUX_CONFIG` names a file that is not there.
    #[error(
        "config file {path} (from DOCKMUX_CONFIG) does not exist; create it or unset DOCKMUX_CONFIG"
    )]
    ExplicitConfigMissing { path: PathBuf },

    #[error("no engine named '{name}'; known engines: {known} (config: {config}){suggestion}")]
    UnknownEngine {
        name: String,
        known: String,
        config: String,
        /// Either empty, or a leading "; did you mean …?" or "; to add it: …" clause.
        suggestion: String,
    },

    #[error(
        "refusing '{flag}': it would send this command to another engine than '{engine}'. \
         Use plain `docker {flag} …` to pick an engine by flag"
    )]
    RefusedFlag { flag: String, engine: String },

    /// A destructive command on a protected engine, with no terminal to confirm on.
    #[error(
        "{what}; nothing ran. To run it, confirm with the engine's name: {}",
        confirm_fix(.expected, .given.as_deref(), .command)
    )]
    Held {
        what: String,
        expected: String,
        given: Option<String>,
        command: String,
    },

    /// A held command on a protected engine that now answers as another
    /// than the one its `pin` names. Boxed: five strings would make every
    /// `Result` in both crates carry 128 bytes.
    #[error(
        "engine '{engine}' answers as another engine than the one protected: its pin is \
         \"{pinned}\" ({origin}), it now says \"{now}\"; `{command}` did not run. If the \
         engine was moved or reinstalled on purpose, accept the new one: dockmux set {engine} \
         --pin{}",
        if .0.system { " --system" } else { "" },
        engine = .0.engine,
        pinned = .0.pinned,
        origin = .0.origin,
        now = .0.now,
        command = .0.command
    )]
    EngineChanged(Box<EngineChange>),

    /// The name typed at the prompt was not the engine's.
    #[error("not confirmed: '{typed}' is not '{expected}'; nothing ran")]
    NotConfirmed { expected: String, typed: String },

    /// A command that is not known to read, on a read-only engine.
    #[error(
        "engine '{engine}' is read-only: `{command}` is not a reading command; nothing ran. \
         Run it on another engine, or remove `readonly = true` from [engines.{engine}] in {origin}"
    )]
    ReadOnly {
        engine: String,
        command: String,
        origin: String,
    },

    #[error(
        "dockmux is calling itself in a loop (DOCKMUX_DEPTH={depth}): the docker client it runs{client} \
         runs dockmux again; make `docker` on PATH (or `docker =` in the config) the real docker client, \
         not a link to dockmux or a script that runs an engine command"
    )]
    Recursion {
        depth: u32,
        /// ` (PATH)` of the client.
        client: String,
    },

    #[error("{0}")]
    NoClient(String),

    #[error("cannot run docker client {path}: {source}; {fix}")]
    ClientNotExecutable {
        path: PathBuf,
        source: std::io::Error,
        fix: String,
    },

    /// `dockmux exec` could not start its program. `fix`: set when the
    /// reason is not the program (exec_limit_fix).
    #[error("cannot run '{program}': {}", fix.clone().unwrap_or_else(|| not_runnable(.program, .source)))]
    ProgramNotRunnable {
        program: String,
        source: std::io::Error,
        fix: Option<String>,
    },

    /// Bad arguments to a management command (the message says what and how to fix it).
    #[error("{0}")]
    Usage(String),

    /// A management command could not finish; the message says what was left undone.
    #[error("{0}")]
    Failed(String),

    #[error("{context}: {source}")]
    Io {
        context: String,
        source: std::io::Error,
    },

    /// Standard output's reader has gone (`dockmux list | head -1`): the
    /// command stops there, and main.rs ends it quietly, with success.
    #[error("the reader of standard output has gone")]
    ReaderGone,
}

impl Error {
    pub fn exit_code(&self) -> ExitCode {
        match self {
            Error::ConfigAt { .. }
            | Error::Insecure { .. }
            | Error::ConfigTooLarge { .. }
            | Error::ConfigRead { .. }
            | Error::ExplicitConfigMissing { .. }
            | Error::UnknownEngine { .. }
            | Error::RefusedFlag { .. }
            | Error::Held { .. }
            | Error::NotConfirmed { .. }
            | Error::EngineChanged(_)
            | Error::ReadOnly { .. }
            | Error::Recursion { .. }
            | Error::Usage(_) => ExitCode::Refused,
            Error::ClientNotExecutable { source, .. }
            | Error::ProgramNotRunnable { source, .. } => {
                if source.kind() == std::io::ErrorKind::NotFound {
                    ExitCode::NotFound
                } else {
                    ExitCode::NotExecutable
                }
            }
            Error::NoClient(_) => ExitCode::NotFound,
            Error::Failed(_) | Error::Io { .. } => ExitCode::Failure,
            Error::ReaderGone => ExitCode::Success,
        }
    }

    pub fn io(context: impl Into<String>, source: std::io::Error) -> Error {
        Error::Io {
            context: context.into(),
            source,
        }
    }
}

/// The fix for an exec that failed for what it was given rather than for
/// the program: E2BIG, arguments and environment over the kernel's limits.
/// `args` and `env` are what exec was given; `from_config`: the variables
/// whose values come from the engine's config. `None` for other errors.
pub fn exec_limit_fix(
    e: &std::io::Error,
    args: &[&OsStr],
    env: &[(OsString, OsString)],
    from_config: &[&str],
) -> Option<String> {
    if e.raw_os_error() != Some(libc::E2BIG) {
        return None;
    }
    // Linux's MAX_ARG_STRLEN: 32 pages, for each argument and each NAME=value.
    const EACH: usize = 32 * 4096;
    let sizes = args
        .iter()
        .enumerate()
        .map(|(i, a)| (a.len() + 1, format!("argument {i}")))
        .chain(env.iter().map(|(k, v)| {
            (
                k.len() + v.len() + 2,
                format!("variable {}", k.to_string_lossy()),
            )
        }));
    let (mut total, mut longest) = (0, (0, String::new()));
    for (n, what) in sizes {
        total += n;
        if n > longest.0 {
            longest = (n, what);
        }
    }
    // SAFETY: sysconf has no preconditions.
    let limit = unsafe { libc::sysconf(libc::_SC_ARG_MAX) };
    let (n, what) = longest;
    let which = if n > EACH {
        format!("{what} alone is {n} bytes, over the {EACH} allowed for each")
    } else {
        format!(
            "{total} bytes together, over the {limit} allowed here; the longest is {what}, {n} bytes"
        )
    };
    let fix = match what.strip_prefix("variable ") {
        Some(key) if from_config.contains(&key) => "shorten that value in the engine's config",
        _ => "pass that data in a file or on stdin instead",
    };
    Some(format!("the argument list is too long ({which}); {fix}"))
}

/// The fix for the common failure of writing where only root (or another
/// user) may: editing the system config, linking into /usr/local/bin.
pub fn permission_fix(e: &std::io::Error) -> &'static str {
    if e.kind() == std::io::ErrorKind::PermissionDenied {
        " (run as root, or as the owner of that directory)"
    } else {
        ""
    }
}

/// How to confirm a held command without a terminal.
fn confirm_fix(expected: &str, given: Option<&str>, command: &str) -> String {
    let wrong = match given {
        Some(g) => format!(" (DOCKMUX_CONFIRM={g} is not '{expected}')"),
        None => String::new(),
    };
    format!("DOCKMUX_CONFIRM={expected} {command}{wrong}, or run it on a terminal")
}

/// Why a program could not be started, and what to do about it (as a shell would say it).
fn not_runnable(program: &str, source: &std::io::Error) -> String {
    match source.kind() {
        std::io::ErrorKind::NotFound if program.contains('/') => {
            "no such file; check the path".to_string()
        }
        std::io::ErrorKind::NotFound => {
            "command not found on PATH; check the name or give its path".to_string()
        }
        std::io::ErrorKind::PermissionDenied => {
            format!(
                "permission denied; is it an executable file? (chmod +x {})",
                crate::text::quote::sh_word(program)
            )
        }
        _ => format!("{source}"),
    }
}

pub type Result<T, E = Error> = std::result::Result<T, E>;

/// What [`Error::EngineChanged`] reports: the pinned identity and the one
/// the engine now answers with.
#[derive(Debug)]
pub struct EngineChange {
    pub engine: String,
    pub command: String,
    pub pinned: String,
    pub now: String,
    pub origin: String,
    pub system: bool,
}
