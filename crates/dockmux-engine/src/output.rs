//! What dockmux prints: to stdout, where a closed pipe (`dockmux list |
//! head -1`) is not an error; notes and errors to stderr, which never panic
//! (tables and JSON are render.rs's). Nothing else in dockmux writes to the
//! standard streams:
//! `print!`/`eprintln!` panic when a write fails, and with panic=abort that
//! is SIGABRT in place of the exit code.

#![allow(
    clippy::disallowed_methods,
    reason = "this is the module that writes to the standard streams"
)]

use std::io::Write;
use std::sync::OnceLock;
use std::sync::atomic::{AtomicBool, Ordering};

use crate::error::{Error, Result};

/// Set when the management CLI started with no standard output at all.
static STDOUT_CLOSED: AtomicBool = AtomicBool::new(false);

/// What Rust's start-up does (skipped: see main.rs): a standard descriptor
/// that is closed gets /dev/null, so no file dockmux opens later (a config,
/// a temp file being written) can land on fd 0-2 and receive its output.
/// A closed stdout is remembered: `print` then fails, as the command's
/// output went nowhere (std's stdout would swallow EBADF and exit 0).
pub fn claim_standard_fds() {
    for fd in 0..3 {
        // SAFETY: fcntl(F_GETFD) and open have no memory-safety preconditions;
        // the path is a NUL-terminated literal.
        let closed = unsafe { libc::fcntl(fd, libc::F_GETFD) } == -1;
        if closed {
            if fd == 1 {
                STDOUT_CLOSED.store(true, Ordering::Relaxed);
            }
            // open returns the lowest free descriptor: this one.
            unsafe { libc::open(c"/dev/null".as_ptr(), libc::O_RDWR) };
        }
    }
}

/// Whether the management CLI started with stdout closed.
pub fn stdout_closed() -> bool {
    STDOUT_CLOSED.load(Ordering::Relaxed)
}

pub fn closed_stdout_error() -> Error {
    Error::io(
        "standard output is closed, so nothing this command says could be seen; \
         give it a stdout (>/dev/null to discard what it prints)",
        std::io::Error::from_raw_os_error(libc::EBADF),
    )
}

/// Writes `text` to stdout; if the reader has gone, [`Error::ReaderGone`]
/// (main.rs ends the command quietly, with success).
pub fn print(text: &str) -> Result<()> {
    if stdout_closed() {
        return Err(closed_stdout_error());
    }
    let mut out = std::io::stdout().lock();
    match out.write_all(text.as_bytes()).and_then(|()| out.flush()) {
        Err(e) if e.kind() == std::io::ErrorKind::BrokenPipe => Err(Error::ReaderGone),
        Err(e) => Err(Error::io(
            "cannot write to standard output (is it closed or full?)",
            e,
        )),
        Ok(()) => Ok(()),
    }
}

/// Colours a line for stderr (`true`: an error). Set by the management CLI
/// (style.rs) once it knows whether stderr takes colour; the engine path
/// never sets it, so its lines stay plain and this file needs no colour crate.
type Painter = fn(&str, bool) -> String;

static PAINTER: OnceLock<Painter> = OnceLock::new();

pub fn set_painter(painter: Painter) {
    let _ = PAINTER.set(painter);
}

/// Writes `line` and a newline to stderr. A failed write (stderr closed,
/// full, or a gone reader) is ignored: stderr is where it would be reported,
/// and the exit code still says how the command went.
pub fn note(line: &str) {
    write_line(line, false);
}

/// Writes an error's line (`NAME: what is wrong; the fix`) to stderr, as [`note`].
pub fn error(line: &str) {
    write_line(line, true);
}

fn write_line(line: &str, error: bool) {
    let painted = PAINTER.get().map(|paint| paint(line, error));
    let line = painted.as_deref().unwrap_or(line);
    let mut err = std::io::stderr().lock();
    let _ = err
        .write_all(line.as_bytes())
        .and_then(|()| err.write_all(b"\n"));
}

/// Writes `text` as it is (lines with their newlines) to stderr; a failed
/// write is ignored, as by [`note`].
pub fn notes(text: &str) {
    let _ = std::io::stderr().lock().write_all(text.as_bytes());
}
