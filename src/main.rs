//! argv[0] → engine mode (exec docker) or management mode (clap).
//!
//! `no_main`: Rust's start-up (stdio poll, SIGPIPE ignored, the main thread's
//! stack guard read from /proc/self/maps) costs more than the whole engine
//! path and would leave its marks on the docker client's signal state. Here
//! the client inherits the caller's signal dispositions and mask untouched.
#![no_main]

use std::ffi::{OsString, c_char, c_int};
use std::io::Write;

use dockmux::dispatch::{self, Mode};
use dockmux::{cli, engine, replace};

#[unsafe(no_mangle)]
pub extern "C" fn main(_argc: c_int, _argv: *const *const c_char) -> c_int {
    // std captures argv itself on glibc, with or without its own main.
    let argv: Vec<OsString> = std::env::args_os().collect();
    let (invoked, result) = match dispatch::classify(&argv) {
        // Returns only if docker could not be started.
        Mode::Engine { command, args } => {
            let err = engine::run(&command, args).map(|never| match never {});
            (command, err)
        }
        Mode::Manage => {
            // What Rust's own start-up does: a closed pipe is an EPIPE error
            // (handled in output.rs), not death by SIGPIPE. `dockmux exec`
            // puts the caller's disposition back for its program.
            replace::ignore_sigpipe();
            ("dockmux".to_string(), cli::run(&argv))
        }
    };
    // The one place errors are printed and exit codes chosen.
    let code = match result {
        Ok(code) => code,
        Err(err) => {
            eprintln!("{invoked}: {err}");
            err.exit_code()
        }
    };
    // Rust's start-up would flush stdout on the way out; here it is ours to do.
    let _ = std::io::stdout().flush();
    code.clamp(0, 255)
}
