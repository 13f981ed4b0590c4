//! TAB with a docker client older than 23. Such a client takes
//! `__complete` (cobra is in 20.10 too) but answers `:0`, "files", for
//! every argument: `pg-docker rm <TAB>` would offer file names. So for the
//! arguments that name containers, images, volumes or networks, dockmux
//! answers in the client's place, with the names of the engine the command
//! names, filtered as docker 28 filters them (`wanted.rs`), asked as
//! `dockmux find` asks (`listing.rs`). Everything else — subcommands,
//! flags, flag values, a client 23 or later — is still the client's.
//!
//! Why not the client's own bash/zsh/fish files (Debian ships them)? They
//! run plain `docker` for names, which reaches the default engine, each in
//! its own way per shell; this answer goes to the right engine by
//! construction and works in every shell that speaks the protocol.
//!
//! Cost: nothing for ordinary commands (the engine path hands over
//! completion requests only, engine::Ran::Completion); for a request at a
//! name's place, one `docker --version` per client file (remembered:
//! client_version::major), and for an old client the engine's lists.

mod listing;
mod wanted;

use std::os::unix::ffi::OsStrExt;
use std::time::{Duration, Instant};

use super::answer::{Answer, ERROR, NO_FILES, NO_SPACE};
use crate::docker::client_version;
use crate::engine::Request;
use crate::error::Result;
use crate::exit_codes::ExitCode;
use crate::output;
use wanted::Wanted;

/// Within the shells' own bound on a request (2 s by default), so the
/// answer is heard and no client started here outlives it.
const BOUND: Duration = Duration::from_millis(1500);

/// Answers an engine command's completion request itself when its client
/// is older than docker 23 and the last word is a name's place; otherwise
/// the client answers, as ever. Returns the exit status, or the error that
/// kept the client from running.
pub fn answer(request: Box<Request>) -> Result<ExitCode> {
    if answered(&request)? {
        return Ok(ExitCode::Success);
    }
    Err(request.exec())
}

fn answered(request: &Request) -> Result<bool> {
    let Request {
        engine,
        docker,
        client,
        words,
        ..
    } = request;
    let Some(wanted) = wanted::read(words) else {
        return Ok(false);
    };
    let deadline = Instant::now() + BOUND;
    match client_version::major(client, deadline) {
        Some(major) if major < client_version::COMPLETES_NAMES => {}
        // New enough, or not telling: the client answers, as ever.
        _ => return Ok(false),
    }
    let cur = words.last().map(|w| w.as_bytes()).unwrap_or_default();
    let left = deadline.saturating_duration_since(Instant::now());
    let answer = match wanted {
        // Paths inside a container are not listed (and local files would be wrong).
        Wanted::CopyEnd { in_container: true } => Answer {
            candidates: Vec::new(),
            directive: NO_FILES,
        },
        _ => match listing::names(engine, docker.as_ref(), &wanted, left) {
            // An engine that cannot tell: no candidates, no files (cobra's error).
            Err(_) => Answer {
                candidates: Vec::new(),
                directive: ERROR,
            },
            // `NAME:` and no space; local files when no name fits.
            Ok(names) if matches!(wanted, Wanted::CopyEnd { .. }) => Answer {
                candidates: offered(names.into_iter().map(|n| n + ":"), cur),
                directive: NO_SPACE,
            },
            Ok(names) => Answer {
                candidates: offered(names.into_iter(), cur),
                directive: NO_FILES,
            },
        },
    };
    output::print(&answer.render(false))?;
    Ok(true)
}

/// The names that start with what was typed, without descriptions.
fn offered(names: impl Iterator<Item = String>, cur: &[u8]) -> Vec<(String, String)> {
    names
        .filter(|n| n.as_bytes().starts_with(cur))
        .map(|n| (n, String::new()))
        .collect()
}
