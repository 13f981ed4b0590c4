//! Protected and read-only engines (`protect = true`, `readonly = true` in
//! engines.toml). Before docker runs, the command line is read as docker
//! reads it (commands.rs: every spelling, alias and global flag) and judged
//! (classify.rs): a destructive command on a protected engine is held until
//! the user types the engine's name (confirm.rs); on a read-only engine only
//! reading commands run. Engines without a policy never get here.
//!
//! `judge` is the whole decision, with no side effects, so a command that
//! runs on several engines can ask it for each before running anywhere.

use std::ffi::OsString;
use std::os::unix::ffi::OsStrExt;

use crate::config::Engine;
use crate::error::{Error, Result};

mod classify;
pub mod commands;
mod confirm;
mod run_flags;
pub mod tree;

pub use confirm::{CONFIRM_VAR, confirm};

use crate::config::Policy;

/// What a command line may do on an engine.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Verdict {
    /// Runs as ever.
    Run,
    /// Protected engine, destructive command: runs only once confirmed.
    /// What it does, for the prompt ("removes containers").
    Hold(String),
    /// Read-only engine, a command that is not known to read: never runs.
    Refuse,
}

/// The verdict for `args` (the words after `NAME-docker`) on `engine`.
/// Help and completion requests always run.
pub fn judge(engine: &Engine, args: &[OsString]) -> Verdict {
    let Some(policy) = engine.policy else {
        return Verdict::Run;
    };
    let line = commands::read(args);
    if line.help {
        return Verdict::Run;
    }
    match (policy, classify::kind(&line, engine)) {
        (_, classify::Kind::Reads) | (Policy::Protect, classify::Kind::Writes) => Verdict::Run,
        (Policy::Protect, classify::Kind::Destroys(why)) => Verdict::Hold(why),
        (Policy::Readonly, _) => Verdict::Refuse,
    }
}

/// The engine path's check: returns when the command may run (confirmed
/// if it had to be); otherwise the error that says why not and how.
pub fn enforce(command: &str, engine: &Engine, args: &[OsString]) -> Result<()> {
    match judge(engine, args) {
        Verdict::Run => Ok(()),
        Verdict::Refuse => Err(Error::ReadOnly {
            engine: engine.name.clone(),
            command: shown(command, args),
            origin: engine.origin.to_string(),
        }),
        Verdict::Hold(why) => confirm::confirm(&[engine], &shown(command, args), &why),
    }
}

/// The command line as the user could type it again.
pub fn shown(command: &str, args: &[OsString]) -> String {
    std::iter::once(command.to_string())
        .chain(args.iter().map(|a| {
            let s = String::from_utf8_lossy(a.as_bytes());
            let plain = !s.is_empty()
                && s.bytes()
                    .all(|b| b.is_ascii_alphanumeric() || b"-_./:=,@%+".contains(&b));
            if plain {
                s.into_owned()
            } else {
                crate::quote::sh(&s)
            }
        }))
        .collect::<Vec<_>>()
        .join(" ")
}
