//! Which engines a command still waits for, shown on a terminal: after a
//! second, one line on stderr (`dockmux: waiting for nas, pg (3s)`), kept
//! current and erased when the wait ends. Nothing when stderr is not a
//! terminal. `list`, `ps`, `find` (probe/) and `each` share it; a command
//! that prints while it waits writes through [`Tracker::around`], so the line
//! is never mixed with its output.

use std::sync::{Arc, Condvar, Mutex, MutexGuard};
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

/// Silence this long before the line shows: a quick answer shows nothing.
const QUIET: Duration = Duration::from_secs(1);
/// How often the line is brought up to date.
const TICK: Duration = Duration::from_millis(200);

#[derive(Default)]
struct State {
    /// The engines waited for, in the order they began.
    names: Vec<String>,
    /// What is on the terminal now (empty: nothing).
    shown: String,
    done: bool,
}

struct Inner {
    state: Mutex<State>,
    wake: Condvar,
    start: Instant,
}

/// The wait of one command. Dropping it (or [`Pending::finish`]) erases
/// the line.
pub struct Pending {
    inner: Option<Arc<Inner>>,
    drawer: Option<JoinHandle<()>>,
}

impl Pending {
    /// Starts watching; shows nothing unless stderr is a terminal.
    pub fn start() -> Pending {
        // SAFETY: isatty only looks at the fd.
        let tty = unsafe { libc::isatty(libc::STDERR_FILENO) } == 1;
        let dumb = std::env::var_os("TERM").is_none_or(|t| t == "dumb" || t.is_empty());
        if !tty || dumb {
            return Pending::none();
        }
        let inner = Arc::new(Inner {
            state: Mutex::new(State::default()),
            wake: Condvar::new(),
            start: Instant::now(),
        });
        let drawing = Arc::clone(&inner);
        // No thread, no line: the command runs as without it.
        let drawer = std::thread::Builder::new()
            .name("dockmux-pending".into())
            .stack_size(64 * 1024)
            .spawn(move || draw_until_done(&drawing))
            .ok();
        Pending {
            inner: drawer.as_ref().map(|_| inner),
            drawer,
        }
    }

    /// Shows nothing, wherever stderr goes.
    pub fn none() -> Pending {
        Pending {
            inner: None,
            drawer: None,
        }
    }

    /// A handle for the threads that begin and end the engines' waits.
    pub fn tracker(&self) -> Tracker {
        Tracker(self.inner.clone())
    }

    /// Ends the wait: the line is erased and stays so.
    pub fn finish(&mut self) {
        if let Some(inner) = self.inner.take() {
            let mut state = lock(&inner);
            state.done = true;
            erase(&mut state);
            inner.wake.notify_all();
        }
        if let Some(t) = self.drawer.take() {
            let _ = t.join();
        }
    }
}

impl Drop for Pending {
    fn drop(&mut self) {
        self.finish();
    }
}

/// Marks engines as waited for and done; does nothing off a terminal.
#[derive(Clone)]
pub struct Tracker(Option<Arc<Inner>>);

impl Tracker {
    pub fn begin(&self, name: &str) {
        if let Some(inner) = &self.0 {
            lock(inner).names.push(name.to_string());
        }
    }

    /// Runs `write` (which prints) with the line out of the way; the line
    /// comes back at the next tick.
    pub fn around<R>(&self, write: impl FnOnce() -> R) -> R {
        let Some(inner) = &self.0 else {
            return write();
        };
        let mut state = lock(inner);
        erase(&mut state);
        write()
    }

    pub fn end(&self, name: &str) {
        if let Some(inner) = &self.0 {
            let mut state = lock(inner);
            if let Some(i) = state.names.iter().position(|n| n == name) {
                state.names.remove(i);
            }
            inner.wake.notify_all();
        }
    }
}

fn lock(inner: &Inner) -> MutexGuard<'_, State> {
    inner.state.lock().unwrap_or_else(|e| e.into_inner())
}

fn draw_until_done(inner: &Inner) {
    let mut state = lock(inner);
    loop {
        if state.done {
            return;
        }
        let waited = inner.start.elapsed();
        if waited >= QUIET {
            let line = line(&state.names, waited, width());
            if line != state.shown {
                erase(&mut state);
                // Written whole at once, so no other write splits it.
                crate::output::notes(&line);
                state.shown = line;
            }
        }
        let nap = if waited < QUIET { QUIET - waited } else { TICK };
        state = inner
            .wake
            .wait_timeout(state, nap)
            .unwrap_or_else(|e| e.into_inner())
            .0;
    }
}

/// The line for `names` after `waited`, cut to `width` columns (a line that
/// wrapped could not be erased); empty when nothing is waited for.
fn line(names: &[String], waited: Duration, width: usize) -> String {
    if names.is_empty() {
        return String::new();
    }
    let mut sorted: Vec<&str> = names.iter().map(String::as_str).collect();
    sorted.sort_unstable();
    let secs = format!(" ({}s)", waited.as_secs());
    let mut text = String::from("dockmux: waiting for ");
    for (i, name) in sorted.iter().enumerate() {
        let more = format!(" and {} more", sorted.len() - i);
        let sep = if i == 0 { "" } else { ", " };
        let room = width.saturating_sub(secs.len() + more.len() + 1);
        if text.chars().count() + sep.len() + name.chars().count() > room && i + 1 < sorted.len() {
            text.push_str(&more);
            break;
        }
        text.push_str(sep);
        text.push_str(name);
    }
    text.push_str(&secs);
    text.chars().take(width.saturating_sub(1)).collect()
}

fn erase(state: &mut State) {
    if !state.shown.is_empty() {
        crate::output::notes("\r\x1b[K");
        state.shown.clear();
    }
}

/// The terminal's columns (80 when it does not say).
fn width() -> usize {
    // SAFETY: an all-zero winsize is valid; TIOCGWINSZ fills it.
    let mut ws: libc::winsize = unsafe { std::mem::zeroed() };
    // SAFETY: ws is a valid winsize for the ioctl to fill.
    let ok = unsafe { libc::ioctl(libc::STDERR_FILENO, libc::TIOCGWINSZ, &mut ws) } == 0;
    if ok && ws.ws_col > 0 {
        ws.ws_col.into()
    } else {
        80
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_line_names_engines_in_order_and_fits_the_terminal() {
        let names = |v: &[&str]| v.iter().map(|s| s.to_string()).collect::<Vec<_>>();
        let two = names(&["pg", "nas"]);
        assert_eq!(
            line(&two, Duration::from_millis(3500), 80),
            "dockmux: waiting for nas, pg (3s)"
        );
        assert_eq!(line(&[], Duration::from_secs(3), 80), "");
        let many: Vec<String> = (0..100).map(|i| format!("engine{i:02}")).collect();
        let l = line(&many, Duration::from_secs(1), 60);
        assert!(l.chars().count() < 60, "{l}");
        assert!(l.starts_with("dockmux: waiting for engine00, "), "{l}");
        assert!(l.ends_with(" more (1s)"), "{l}");
    }
}
