//! Replacing this process with another program, as the engine path and
//! `dockmux exec` both do: the inherited environment passes as it is, in its
//! order, with only the given keys set or dropped, and the caller's signal
//! dispositions and mask reach the program untouched. std's `Command::exec`
//! would reset SIGPIPE to its default and empty the signal mask.

use std::ffi::{CStr, OsStr, c_char};
use std::os::unix::ffi::OsStrExt;
use std::sync::atomic::{AtomicUsize, Ordering};

/// The SIGPIPE disposition dockmux was started with, when management mode
/// changed it (see main.rs); `usize::MAX` while unchanged.
static CALLER_SIGPIPE: AtomicUsize = AtomicUsize::new(usize::MAX);

/// Ignores SIGPIPE for the management commands (a closed pipe is then an
/// EPIPE error, handled in output.rs), remembering the caller's disposition
/// for the programs `dockmux exec` starts.
pub fn ignore_sigpipe() {
    // SAFETY: setting a signal to SIG_IGN has no preconditions.
    let old = unsafe { libc::signal(libc::SIGPIPE, libc::SIG_IGN) };
    if old != libc::SIG_ERR {
        CALLER_SIGPIPE.store(old, Ordering::Relaxed);
    }
}

/// Puts back the SIGPIPE disposition the caller gave dockmux.
fn restore_sigpipe() {
    let old = CALLER_SIGPIPE.load(Ordering::Relaxed);
    if old != usize::MAX {
        // SAFETY: `old` came from signal() itself: SIG_DFL or SIG_IGN, as a
        // freshly exec'd process cannot have a handler.
        unsafe { libc::signal(libc::SIGPIPE, old) };
    }
}

/// Replaces this process with `argv[0] ARGS…` (argv[0] searched on PATH as
/// execvp does), in the inherited environment with `vars` applied (`Some`
/// sets, `None` drops) and the `fixed` `KEY=VALUE` entries added (written
/// out already: nothing to build; `vars` drops their keys). Returns only on
/// failure.
pub fn exec(
    argv: &[&OsStr],
    vars: &[(&str, Option<&str>)],
    fixed: &[&'static CStr],
) -> std::io::Error {
    if argv.is_empty() {
        return std::io::Error::from(std::io::ErrorKind::InvalidInput);
    }
    // Every string the new program gets that is not inherited, NUL-terminated,
    // one after the other in one buffer: `KEY=VALUE` for each set variable,
    // then the arguments.
    let set = vars
        .iter()
        .filter_map(|(k, v)| Some((k.as_bytes(), (*v)?.as_bytes())));
    let size = set
        .clone()
        .map(|(k, v)| k.len() + v.len() + 2)
        .sum::<usize>()
        + argv.iter().map(|a| a.len() + 1).sum::<usize>();
    let mut buf: Vec<u8> = Vec::with_capacity(size);
    for (k, v) in set.clone() {
        buf.extend_from_slice(k);
        buf.push(b'=');
        buf.extend_from_slice(v);
        buf.push(0);
    }
    for a in argv {
        buf.extend_from_slice(a.as_bytes());
        buf.push(0);
    }
    let n_set = set.count();
    // A NUL inside one would end it early.
    if buf.iter().filter(|&&b| b == 0).count() != n_set + argv.len() {
        // std's own wording, for what std's Command would have refused.
        return std::io::Error::new(
            std::io::ErrorKind::InvalidInput,
            "nul byte found in provided data",
        );
    }
    let mut strings = buf.split(|&b| b == 0).map(|s| s.as_ptr().cast::<c_char>());
    let ours = |entry: &[u8]| match entry.iter().position(|&b| b == b'=') {
        Some(eq) => vars.iter().any(|(k, _)| k.as_bytes() == &entry[..eq]),
        None => false,
    };
    // The environment's pointers, then argv's, in one array.
    let mut envp: Vec<*const c_char> = Vec::with_capacity(64 + argv.len());
    // SAFETY: `environ` is the NULL-terminated array of C strings this process
    // was started with; nothing in dockmux changes it (no set_var), and the
    // callers are single-threaded here.
    unsafe {
        let mut p = environ;
        while !p.is_null() && !(*p).is_null() {
            if !ours(CStr::from_ptr(*p).to_bytes()) {
                envp.push(*p);
            }
            p = p.add(1);
        }
    }
    envp.extend(strings.by_ref().take(n_set));
    envp.extend(fixed.iter().map(|c| c.as_ptr()));
    envp.push(std::ptr::null());
    let argv_at = envp.len();
    envp.extend(strings.take(argv.len()));
    envp.push(std::ptr::null());
    let (envp, argvp) = envp.split_at(argv_at);
    restore_sigpipe();
    // execvpe, as std's exec uses execvp: a script without #! still runs under /bin/sh.
    // SAFETY: all three arrays are NULL-terminated and outlive the call.
    unsafe { libc::execvpe(argvp[0], argvp.as_ptr(), envp.as_ptr()) };
    let err = std::io::Error::last_os_error();
    // Still dockmux: a closed pipe stays an error, not death.
    ignore_sigpipe_again();
    err
}

fn ignore_sigpipe_again() {
    if CALLER_SIGPIPE.load(Ordering::Relaxed) != usize::MAX {
        // SAFETY: as in ignore_sigpipe.
        unsafe { libc::signal(libc::SIGPIPE, libc::SIG_IGN) };
    }
}

unsafe extern "C" {
    static environ: *const *const c_char;
}
