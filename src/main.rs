//! argv[0] → engine mode (exec docker) or management mode (clap).
//!
//! `no_main`: Rust's start-up (stdio poll, SIGPIPE ignored, the main thread's
//! stack guard read from /proc/self/maps) costs more than the whole engine
//! path and would leave its marks on the docker client's signal state. Here
//! the client inherits the caller's signal dispositions and mask untouched.
#![no_main]

use std::ffi::{OsString, c_char, c_int};
use std::io::Write;

use dockmux::engine::dispatch::{self, Mode};
use dockmux::engine::{self, replace};
use dockmux::error::Error;
use dockmux::exit_codes::ExitCode;
use dockmux::{cli, output};

#[unsafe(no_mangle)]
pub extern "C" fn main(_argc: c_int, _argv: *const *const c_char) -> c_int {
    // std captures argv itself on glibc, with or without its own main.
    let argv: Vec<OsString> = std::env::args_os().collect();
    let (invoked, result) = match dispatch::classify(&argv) {
        // Returns only if docker could not be started, the name is no
        // engine's, or it is a completion request, which the management
        // side may answer itself.
        Mode::Engine { command, args } => match engine::run(&command, args) {
            Ok(engine::Ran::NotAnEngine) => {
                let name = dispatch::invoked_name(&argv);
                as_dockmux(&argv, name)
            }
            Ok(engine::Ran::Completion(request)) => (command, cli::complete(request)),
            Err(err) => (command, Err(err)),
        },
        Mode::Manage => manage(&argv, None),
    };
    // The one place errors are printed and exit codes chosen.
    let code = match result {
        Ok(code) => code,
        // No one reads any more (`dockmux list | head -1`): nothing to say.
        Err(Error::ReaderGone) => ExitCode::Success,
        Err(err) => {
            output::error(&format!("{invoked}: {err}"));
            err.exit_code()
        }
    };
    // Rust's start-up would flush stdout on the way out; here it is ours to do.
    #[expect(
        clippy::disallowed_methods,
        reason = "main.rs ends the process: the last flush is its"
    )]
    let _ = std::io::stdout().flush();
    i32::from(code)
}

/// dockmux under another name (`dmx`; `None`: an empty argv[0]): `dmx
/// pg-docker ps` runs engine pg, anything else is the management CLI, and
/// messages carry the name.
fn as_dockmux(
    argv: &[OsString],
    name: Option<String>,
) -> (String, dockmux::error::Result<ExitCode>) {
    match dispatch::as_dockmux(argv) {
        Mode::Engine { command, args } => {
            let ran = match engine::run(&command, args) {
                Ok(engine::Ran::NotAnEngine) => Ok(ExitCode::Refused),
                Ok(engine::Ran::Completion(request)) => cli::complete(request),
                Err(err) => Err(err),
            };
            (command, ran)
        }
        Mode::Manage => {
            let (dockmux, result) = manage(argv, name.as_deref());
            (name.unwrap_or(dockmux), result)
        }
    }
}

fn manage(argv: &[OsString], foreign: Option<&str>) -> (String, dockmux::error::Result<ExitCode>) {
    // What Rust's own start-up does: a closed pipe is an EPIPE error
    // (handled in output.rs), not death by SIGPIPE. `dockmux exec` puts the
    // caller's disposition back for its program.
    replace::ignore_sigpipe();
    output::claim_standard_fds();
    ("dockmux".to_string(), cli::run(argv, foreign))
}
