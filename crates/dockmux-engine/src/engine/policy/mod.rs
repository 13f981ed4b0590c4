//! Protected and read-only engines (`protect = true`, `readonly = true` in
//! engines.toml). Before docker runs, the command line as docker reads it
//! (engine/line: every spelling, alias and global flag, read once) is judged
//! (classify.rs): a destructive command on a protected engine is held until
//! the user types the engine's name (confirm.rs); on a read-only engine only
//! reading commands run. Engines without a policy never get here.
//!
//! `judge` is the whole decision, with no side effects, so a command that
//! runs on several engines can ask it for each before running anywhere.

use std::ffi::OsString;
use std::os::unix::ffi::OsStrExt;

use crate::config::Engine;
use crate::engine::line::Line;
use crate::error::{Error, Result};

mod ask;
mod classify;
mod confirm;
mod host_path;
pub mod json;
pub mod lift;
mod preview;
mod touch;

pub use classify::table;

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

/// The verdict for `line` on `engine`. Help and completion requests
/// always run.
pub fn judge(engine: &Engine, line: &Line) -> Verdict {
    let Some(policy) = engine.policy() else {
        return Verdict::Run;
    };
    let cmd = line.command();
    if cmd.help {
        return Verdict::Run;
    }
    match (policy, classify::kind(cmd, engine)) {
        (_, classify::Kind::Reads) | (Policy::Protect, classify::Kind::Writes) => Verdict::Run,
        (Policy::Protect, classify::Kind::Destroys(why)) => Verdict::Hold(why),
        (Policy::Readonly, _) => Verdict::Refuse,
    }
}

/// The engine path's check: returns when the command may run (confirmed
/// if it had to be); otherwise the error that says why not and how.
pub fn enforce(command: &str, engine: &Engine, line: &Line) -> Result<()> {
    let args = line.words();
    match judge(engine, line) {
        Verdict::Run => Ok(()),
        Verdict::Refuse => Err(Error::ReadOnly {
            engine: engine.name.clone(),
            command: shown(command, args),
            origin: engine.origin.to_string(),
        }),
        Verdict::Hold(why) => {
            let shown = shown(command, args);
            check_pin(engine, &shown)?;
            if lift::until(engine).is_some() {
                return Ok(());
            }
            confirm::confirm(&[engine], &shown, &with_preview(&[engine], line, why))
        }
    }
}

/// `why` and what the held command `line` would remove on each engine, as
/// the engines answer now, all of them within one [`preview::BOUND`]:
/// `removes volumes [now: 1 volume (x)]` for one engine, `[lzc: now: …;
/// pg: now: …]` for several (in their order). Unchanged for a command that
/// removes no named things. Several engines are asked at once, so a slow
/// one costs the others nothing.
pub fn with_preview(engines: &[&Engine], line: &Line, why: String) -> String {
    let until = std::time::Instant::now() + preview::BOUND;
    let command = line.command();
    let lists: Vec<Option<String>> = match engines {
        [one] => vec![preview::preview(command, one, until)],
        _ => std::thread::scope(|s| {
            let asked: Vec<_> = engines
                .iter()
                .map(|e| s.spawn(move || preview::preview(command, e, until)))
                .collect();
            asked.into_iter().map(|t| t.join().ok().flatten()).collect()
        }),
    };
    let mut each = Vec::with_capacity(engines.len());
    for (e, list) in engines.iter().zip(lists) {
        let Some(list) = list else {
            return why;
        };
        each.push(match engines.len() {
            1 => list,
            _ => format!("{}: {list}", e.name),
        });
    }
    match each.is_empty() {
        true => why,
        false => format!("{why} [{}]", each.join("; ")),
    }
}

/// A held command on a pinned engine runs only where the pin says: an
/// engine that answers as another (its socket repointed, the box
/// reinstalled) is refused, not asked, since typing the name back would
/// confirm the wrong engine. Asked from `/info`, cached per socket; an
/// engine that cannot be asked is held as ever.
pub fn check_pin(engine: &Engine, shown: &str) -> Result<()> {
    let Some(pin) = &engine.pin else {
        return Ok(());
    };
    match ask::info(engine) {
        Ok(now) if now.pin() != *pin => {
            Err(Error::EngineChanged(Box::new(crate::error::EngineChange {
                engine: engine.name.clone(),
                command: shown.to_string(),
                pinned: pin.clone(),
                now: now.pin(),
                origin: engine.origin.to_string(),
                system: matches!(&engine.origin, crate::config::Origin::File(p)
                if **p == *crate::config::Sources::from_env().system),
            })))
        }
        _ => Ok(()),
    }
}

/// What `engine` answers as now, written as its `pin`; else why it cannot
/// be asked (not a local socket, down, no answer within the deadline).
pub fn identity(engine: &crate::config::Settings) -> std::result::Result<String, String> {
    ask::info(engine).map(|i| i.pin())
}

/// The command line as the user could type it again, safe to show: a word
/// with a control character (or bytes that are not UTF-8) in bash's `$'…'`,
/// each such character as an escape, so none reaches a terminal raw.
pub fn shown(command: &str, args: &[OsString]) -> String {
    std::iter::once(command.to_string())
        .chain(args.iter().map(|a| word(a.as_bytes())))
        .collect::<Vec<_>>()
        .join(" ")
}

fn word(b: &[u8]) -> String {
    let plain = !b.is_empty()
        && b.iter()
            .all(|c| c.is_ascii_alphanumeric() || b"-_./:=,@%+".contains(c));
    if plain {
        return String::from_utf8_lossy(b).into_owned();
    }
    let odd = b
        .utf8_chunks()
        .any(|c| !c.invalid().is_empty() || c.valid().chars().any(crate::text::escape::is_unsafe));
    if !odd {
        return crate::text::quote::sh(&String::from_utf8_lossy(b));
    }
    let mut out = String::from("$'");
    for chunk in b.utf8_chunks() {
        for c in chunk.valid().chars() {
            match c {
                '\\' => out.push_str("\\\\"),
                '\'' => out.push_str("\\'"),
                c if crate::text::escape::is_unsafe(c) && (c as u32) < 0x80 => {
                    out.push_str(&format!("\\x{:02x}", c as u32))
                }
                c if crate::text::escape::is_unsafe(c) => {
                    out.push_str(&format!("\\u{:04x}", c as u32))
                }
                c => out.push(c),
            }
        }
        for b in chunk.invalid() {
            out.push_str(&format!("\\x{b:02x}"));
        }
    }
    out.push('\'');
    out
}

#[cfg(test)]
mod tests {
    #[test]
    fn shown_words_hold_no_control_character() {
        let args: Vec<std::ffi::OsString> = vec![
            "rm".into(),
            "x\x1b]0;PWNED\x07".into(),
            "it's \\".into(),
            "a b".into(),
            std::os::unix::ffi::OsStringExt::from_vec(b"\xff\xc2\x9b".to_vec()),
        ];
        assert_eq!(
            super::shown("lzc-docker", &args),
            r"lzc-docker rm $'x\x1b]0;PWNED\x07' 'it'\''s \' 'a b' $'\xff\u009b'"
        );
    }
}
