//! The second yes: on a terminal, the user types the engine's name back;
//! without one, `DOCKMUX_CONFIRM=NAME` in the environment says it. A blanket
//! yes (`1`, `yes`) or another engine's name confirms nothing. What was
//! typed before the prompt appeared (`echo lzc | ssh -tt box …`, keys
//! pressed ahead) is discarded: only an answer to the question counts.

use std::io::{BufRead, BufReader, Write};

use crate::config::Engine;
use crate::error::{Error, Result};

/// The variable that confirms a held command without a terminal.
pub const CONFIRM_VAR: &str = "DOCKMUX_CONFIRM";

/// Returns once the user confirmed `command` on `engines` (one name, or
/// several joined with `,` in name order); else the error that says how.
pub fn confirm(engines: &[&Engine], command: &str, why: &str) -> Result<()> {
    let names: Vec<&str> = engines.iter().map(|e| e.name.as_str()).collect();
    let expected = names.join(",");
    let given = std::env::var_os(CONFIRM_VAR);
    if given.as_deref() == Some(std::ffi::OsStr::new(&expected)) {
        return Ok(());
    }
    let what = describe(engines, command, why);
    #[expect(
        clippy::disallowed_methods,
        reason = "the prompt goes to the terminal, not to stdout or stderr"
    )]
    let tty = std::fs::OpenOptions::new()
        .read(true)
        .write(true)
        .custom_flags(libc::O_NOCTTY)
        .open("/dev/tty");
    let Ok(mut tty) = tty else {
        return Err(Error::Held {
            what,
            expected,
            given: given.map(|g| crate::text::escape::owned(&g.to_string_lossy())),
            command: command.to_string(),
        });
    };
    let prompt = format!("{what}. Type '{}' to run it: ", emphasis(&expected));
    let mut answer = String::new();
    // SAFETY: tcflush on an open descriptor has no other preconditions.
    unsafe { libc::tcflush(std::os::fd::AsRawFd::as_raw_fd(&tty), libc::TCIFLUSH) };
    let asked = tty
        .write_all(prompt.as_bytes())
        .and_then(|()| tty.flush())
        .and_then(|()| BufReader::new(&tty).read_line(&mut answer));
    let answer = answer.trim_end_matches(['\n', '\r']);
    match asked {
        Ok(_) if answer == expected => Ok(()),
        _ => Err(Error::NotConfirmed {
            expected,
            typed: crate::text::escape::owned(answer),
        }),
    }
}

use std::os::unix::fs::OpenOptionsExt;

/// The name to type, bold red: the prompt goes to /dev/tty, always a
/// terminal, so only `NO_COLOR` and a dumb `TERM` keep it plain. Two SGR
/// sequences, written here: the engine path takes no colour crate.
fn emphasis(name: &str) -> String {
    let set = |v: &str| std::env::var_os(v).is_some_and(|v| !v.is_empty());
    let dumb = std::env::var_os("TERM").is_none_or(|t| t.is_empty() || t == "dumb");
    if set("NO_COLOR") || dumb {
        name.to_string()
    } else {
        format!("\x1b[1;31m{name}\x1b[0m")
    }
}

/// "engine 'lzc' (LazyCat app store engine) is protected: `lzc-docker rm x` removes containers"
fn describe(engines: &[&Engine], command: &str, why: &str) -> String {
    let each: Vec<String> = engines
        .iter()
        .map(|e| match &e.description {
            Some(d) if !d.is_empty() => format!("'{}' ({d})", e.name),
            _ => format!("'{}'", e.name),
        })
        .collect();
    let (noun, verb) = if engines.len() == 1 {
        ("engine", "is")
    } else {
        ("engines", "are")
    };
    format!(
        "{noun} {} {verb} protected: `{command}` {why}",
        each.join(", ")
    )
}
